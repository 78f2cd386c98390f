"""An order is never sent twice blindly: when a reply is lost, the order is looked up by its
client id before any retry, and sent again (with the same id) only if the venue lacks it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tradeforge.adapters.ccxt.execution_core import ExecutionSettings
from tradeforge.adapters.ccxt.retry import RetryPolicy
from tradeforge.adapters.ccxt.session import SessionSettings
from tradeforge.model.enums import OrderSide, OrderStatus, OrderType
from tradeforge.model.values import Quantity
from tradeforge.sandbox import SandboxServer

from .harness import Harness

BUY = OrderSide.BUY
QUICK = SessionSettings(retry=RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0))


def test_a_5xx_burst_sends_again_with_the_same_client_id(paused: SandboxServer) -> None:
    venue = Harness(paused, session_settings=QUICK)
    try:
        paused.error_burst(1, status=503)  # the first send is refused unexecuted
        order = venue.submit(venue.order("i-1", BUY, OrderType.MARKET, "0.01"))
        assert [s[0] for s in venue.sends] == ["create_order", "create_order"]
        assert venue.sends[0] == venue.sends[1]  # the same request, the same client id
        assert len(venue.venue_orders("i-1")) == 1
        assert venue.kinds("i-1") == ["OrderSubmitted", "OrderAccepted", "OrderFilled"]
        assert order.status is OrderStatus.FILLED
    finally:
        venue.close()


def test_a_lost_reply_is_looked_up_and_never_resent(paused: SandboxServer) -> None:
    """The venue executes the order but its answer comes after the client gave up."""

    async def clear_latency_then_wait(seconds: float) -> None:
        paused.set_latency(0)
        await asyncio.sleep(0.6)  # the delayed original lands in the meantime

    venue = Harness(
        paused, ExecutionSettings(lookup_delay=0.0, fill_grace=0.1, reconcile_every=None), QUICK,
        sleep=clear_latency_then_wait,
    )  # fmt: skip
    try:
        venue.session.exchange.timeout = 300  # ms
        paused.set_latency(600)
        order = venue.submit(venue.order("i-2", BUY, OrderType.MARKET, "0.01"))
        assert len(venue.sends) == 1
        assert len(venue.venue_orders("i-2")) == 1
        assert venue.kinds("i-2") == ["OrderSubmitted", "OrderAccepted", "OrderFilled"]
        assert order.status is OrderStatus.FILLED
        assert order.filled_qty == Quantity("0.01")
    finally:
        venue.close()


def test_a_duplicate_refusal_after_a_lost_reply_adopts_the_original(paused: SandboxServer) -> None:
    """The lookup comes before the original lands, the resend is refused as a duplicate, a
    second lookup finds the original: one order, adopted."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            paused.set_latency(0)  # the lookup answers at once, before the original lands
        else:
            await asyncio.sleep(0.8)

    settings = ExecutionSettings(lookup_delay=0.0, reconcile_every=None)
    venue = Harness(paused, settings, QUICK, sleep=sleep)
    try:
        venue.session.exchange.timeout = 300
        paused.set_latency(700)
        order = venue.submit(venue.order("i-3", BUY, OrderType.LIMIT, "0.01", price="20000"))
        assert len(venue.sends) == 2
        assert [o["status"] for o in venue.venue_orders("i-3")] == ["open"]
        assert venue.kinds("i-3") == ["OrderSubmitted", "OrderAccepted"]
        assert order.status is OrderStatus.ACCEPTED
    finally:
        venue.close()


def test_an_order_in_doubt_is_settled_by_reconciliation_not_resent(
    paused: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    venue = Harness(paused, session_settings=QUICK)
    try:
        paused.error_burst(3, status=503)  # the send and both tries of the lookup fail
        with caplog.at_level(logging.ERROR, logger="tradeforge.adapters"):
            order = venue.submit(venue.order("i-4", BUY, OrderType.MARKET, "0.01"))
            venue.settle(quiet=0.5)
        assert len(venue.sends) == 1  # never resent while in doubt
        assert venue.venue_orders("i-4") == []
        assert venue.kinds("i-4") == ["OrderSubmitted", "OrderRejected"]
        assert order.status is OrderStatus.REJECTED
        assert any(
            "in doubt until reconciled, not resent" in r.getMessage() for r in caplog.records
        )
        assert venue.client.core.in_doubt == set()
    finally:
        venue.close()
