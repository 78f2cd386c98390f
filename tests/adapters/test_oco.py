"""Two exits sent as one OCO list follow the idempotency rule of single orders: a list refused
unexecuted is sent again with the same ids, a lost answer is looked up by the legs' client ids
(never resent blindly), legs that cannot be asked about stay in doubt until reconciled, and a
refusal rejects both legs."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from tradeforge.adapters.ccxt.execution_core import ExecutionSettings
from tradeforge.adapters.ccxt.retry import RetryPolicy
from tradeforge.adapters.ccxt.session import SessionSettings
from tradeforge.model.enums import OrderSide, OrderStatus, OrderType
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.sandbox import SandboxServer

from .harness import Harness

SELL = OrderSide.SELL
QUICK = SessionSettings(retry=RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0))
SETTINGS = ExecutionSettings(lookup_delay=0.0, fill_grace=0.2, reconcile_every=None)
OCO_METHOD = "privatePostOrderListOco"
ACCEPTED = ["OrderSubmitted", "OrderAccepted"]


@pytest.fixture
def venue(paused: SandboxServer) -> Any:
    """A harness (1 BTC, 10,000 USDT) that records every OCO list it sends."""
    harness = Harness(paused, SETTINGS, QUICK)
    harness.lists = []
    exchange = harness.session.exchange
    real = getattr(exchange, OCO_METHOD)

    async def counted(params: dict[str, Any], *rest: Any) -> Any:
        harness.lists.append(dict(params))
        return await real(params, *rest)

    setattr(exchange, OCO_METHOD, counted)
    yield harness
    harness.close()


def exits(venue: Harness, qty: str = "0.01") -> tuple[Order, Order]:
    """A take profit at 40,000 and a stop loss at 20,000 selling ``qty`` BTC (list ``L-1``)."""
    take = venue.order("x-TP", SELL, OrderType.LIMIT, qty, price=Decimal(40_000),
                       order_list_id="L-1")  # fmt: skip
    stop = venue.order("x-SL", SELL, OrderType.STOP_MARKET, qty, stop_price=Decimal(20_000),
                       order_list_id="L-1")  # fmt: skip
    return take, stop


def submit_oco(venue: Harness, take: Order, stop: Order) -> None:
    venue.engine.submit_list(OrderList.oco("L-1", [take, stop]))
    venue.settle(quiet=0.5)


def resting(venue: Harness, cid: str) -> list[tuple[str, str]]:
    """The venue's orders under ``cid``: (status, type)."""
    return [(o["status"], o["type"]) for o in venue.venue_orders(cid)]


def test_an_oco_list_is_one_request_and_locks_the_coin_once(
    venue: Harness, paused: SandboxServer
) -> None:
    take, stop = exits(venue)
    submit_oco(venue, take, stop)
    assert len(venue.lists) == 1
    sent = venue.lists[0]
    assert (sent["side"], sent["quantity"], sent["listClientOrderId"]) == ("SELL", "0.01", "L-1")
    assert (sent["aboveType"], sent["abovePrice"], sent["aboveClientOrderId"]) == (
        "LIMIT_MAKER", "40000", "x-TP",
    )  # fmt: skip
    assert (sent["belowType"], sent["belowStopPrice"], sent["belowClientOrderId"]) == (
        "STOP_LOSS", "20000", "x-SL",
    )  # fmt: skip
    assert venue.sends == []  # no single order
    assert (venue.kinds("x-TP"), venue.kinds("x-SL")) == (ACCEPTED, ACCEPTED)
    assert resting(venue, "x-TP") == [("open", "limit")]
    assert paused.balances()["BTC"] == (Decimal("0.99"), Decimal("0.01"))
    assert venue.engine._oco == {}  # the venue cancels one leg when the other fills


def test_an_oco_list_refused_unexecuted_is_sent_again_with_the_same_ids(
    venue: Harness, paused: SandboxServer
) -> None:
    paused.error_burst(1, status=503)  # the first send is refused unexecuted
    take, stop = exits(venue)
    submit_oco(venue, take, stop)
    assert len(venue.lists) == 2
    assert venue.lists[0] == venue.lists[1]  # the same list, the same client ids
    assert resting(venue, "x-TP") == [("open", "limit")]
    assert len(venue.venue_orders("x-SL")) == 1
    assert (take.status, stop.status) == (OrderStatus.ACCEPTED, OrderStatus.ACCEPTED)
    assert paused.balances()["BTC"] == (Decimal("0.99"), Decimal("0.01"))


def test_an_oco_list_whose_answer_is_lost_is_looked_up_not_resent(
    venue: Harness, paused: SandboxServer
) -> None:
    paused.error_burst(1, status=503, executed=True)  # placed; the answer is a 503
    take, stop = exits(venue)
    submit_oco(venue, take, stop)
    assert len(venue.lists) == 1
    assert (venue.kinds("x-TP"), venue.kinds("x-SL")) == (ACCEPTED, ACCEPTED)
    assert resting(venue, "x-TP") == [("open", "limit")]
    assert len(venue.venue_orders("x-SL")) == 1
    assert paused.balances()["BTC"] == (Decimal("0.99"), Decimal("0.01"))


def test_oco_legs_in_doubt_are_settled_by_reconciliation(
    venue: Harness, paused: SandboxServer
) -> None:
    """The list is placed, its answer lost, and the lookup fails too (both tries): both legs
    stay in doubt, never resent, until a reconciliation finds them."""
    paused.error_burst(1, status=503, executed=True)
    paused.error_burst(2, status=503)
    take, stop = exits(venue)
    submit_oco(venue, take, stop)
    venue.wait_for(lambda: take.status is OrderStatus.ACCEPTED)
    venue.wait_for(lambda: stop.status is OrderStatus.ACCEPTED)
    assert len(venue.lists) == 1
    assert venue.client.core.in_doubt == set()
    assert (venue.kinds("x-TP"), venue.kinds("x-SL")) == (ACCEPTED, ACCEPTED)


def test_an_oco_list_that_never_landed_is_rejected_once_known_missing(
    venue: Harness, paused: SandboxServer
) -> None:
    paused.error_burst(3, status=503)  # the send and both tries of the lookup fail
    take, stop = exits(venue)
    submit_oco(venue, take, stop)
    venue.wait_for(lambda: take.is_closed and stop.is_closed)
    assert len(venue.lists) == 1  # never resent while in doubt
    assert venue.venue_orders("x-TP") == venue.venue_orders("x-SL") == []
    assert (take.status, stop.status) == (OrderStatus.REJECTED, OrderStatus.REJECTED)
    assert venue.client.core.in_doubt == set()
    assert paused.balances()["BTC"] == (Decimal(1), Decimal(0))


def test_a_refused_oco_list_rejects_both_legs(venue: Harness, paused: SandboxServer) -> None:
    take, stop = exits(venue, qty="2")  # the account holds 1 BTC
    submit_oco(venue, take, stop)
    assert len(venue.lists) == 1
    assert (take.status, stop.status) == (OrderStatus.REJECTED, OrderStatus.REJECTED)
    rejections = [e for e in venue.events if type(e).__name__ == "OrderRejected"]
    assert len(rejections) == 2
    assert all("insufficient balance" in e.reason.lower() for e in rejections)
    assert venue.venue_orders("x-TP") == []
    assert venue.engine.open_orders() == []
    assert paused.balances()["BTC"] == (Decimal(1), Decimal(0))


def test_a_malformed_oco_answer_is_logged_raw_and_the_legs_looked_up(
    venue: Harness, paused: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The list is placed but its answer has no leg reports: the answer is logged as it came,
    both legs are looked up by their client ids and adopted, nothing is sent twice."""
    exchange = venue.session.exchange
    placed = getattr(exchange, OCO_METHOD)

    async def hostile(params: dict[str, Any], *rest: Any) -> Any:
        await placed(params, *rest)
        return {"orderListId": 7, "orderReports": "gone"}

    setattr(exchange, OCO_METHOD, hostile)
    take, stop = exits(venue)
    with caplog.at_level(logging.WARNING, logger="tradeforge.adapters"):
        submit_oco(venue, take, stop)
    assert len(venue.lists) == 1
    assert (venue.kinds("x-TP"), venue.kinds("x-SL")) == (ACCEPTED, ACCEPTED)
    warning = next(r.getMessage() for r in caplog.records if "OCO L-1" in r.getMessage())
    assert "outcome unknown" in warning and "'orderReports': 'gone'" in warning
    assert paused.balances()["BTC"] == (Decimal("0.99"), Decimal("0.01"))
