"""The execution engine between strategies and a venue: life cycle, local rejection, and the
contingencies it emulates (OTO/bracket, OCO, trailing stops), against a scripted fake venue and
through a whole backtest.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.backtest.helpers import D, bars, fills, instrument, ns, orders, reason, run
from tradeforge.common.clock import TestClock
from tradeforge.execution.engine import ExecutionEngine
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType
from tradeforge.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    OrderUpdated,
    PositionClosed,
    PositionEvent,
    PositionOpened,
)
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.engine import RiskEngine

SYMBOL = Symbol.parse("ASSET/USD")


class FakeVenue:
    """Records what the engine sends; the test plays the venue's answers."""

    def __init__(self, *, contingency: bool = False, last: float | None = 100.0) -> None:
        self.supports_contingency = contingency
        self.handler: Callable[[OrderEvent], None] = lambda e: None
        self.sent: list[Order] = []
        self.lists: list[OrderList] = []
        self.canceled: list[tuple[str, str]] = []
        self.modified: list[tuple[str, Price | None]] = []
        self.last = last
        self._trade = 0

    def connect(self, handler: Callable[[OrderEvent], None]) -> None:
        self.handler = handler

    def last_price(self, symbol: Symbol) -> float | None:
        return self.last

    def submit_order(self, order: Order, quote_quantity: Decimal | None = None) -> None:
        self.sent.append(order)

    def submit_order_list(self, orders: OrderList) -> None:
        self.lists.append(orders)

    def cancel_order(self, client_order_id: str, reason: str = "canceled") -> bool:
        self.canceled.append((client_order_id, reason))
        self.handler(
            OrderCanceled(ts=1, client_order_id=client_order_id, symbol=SYMBOL, reason=reason)
        )
        return True

    def modify_order(self, client_order_id: str, **changes: Any) -> bool:
        self.modified.append((client_order_id, changes.get("stop_price")))
        self.handler(OrderUpdated(ts=1, client_order_id=client_order_id, symbol=SYMBOL, **changes))
        return True

    # -- the venue's answers ----------------------------------------------------------------

    def accept(self, order: Order) -> None:
        self.handler(
            OrderAccepted(
                ts=1, client_order_id=order.client_order_id, symbol=SYMBOL, venue_order_id="V"
            )
        )

    def fill(self, order: Order, qty: str, price: str) -> None:
        self._trade += 1
        self.handler(
            OrderFilled(
                ts=2,
                client_order_id=order.client_order_id,
                symbol=SYMBOL,
                trade_id=str(self._trade),
                venue_order_id="V",
                order_side=order.side,
                last_qty=Quantity(qty),
                last_price=Price(price),
                fee=Money(0, "USD"),
                liquidity_side=LiquiditySide.TAKER,
            )
        )


class Refuse:
    def __init__(self, text: str) -> None:
        self.text = text

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        return self.text if order.side is OrderSide.SELL else ""


@pytest.fixture
def venue() -> FakeVenue:
    return FakeVenue()


def _engine(
    venue: FakeVenue, checks: list[Any] | None = None
) -> tuple[ExecutionEngine, list[OrderEvent], list[PositionEvent]]:
    inst = instrument()
    portfolio = Portfolio("USD", D(1000), [inst])
    engine = ExecutionEngine(
        TestClock(0), RiskEngine(checks or [], venue.last_price), portfolio, venue, {SYMBOL: inst}
    )
    seen: list[OrderEvent] = []
    positions: list[PositionEvent] = []
    engine.register("S", lambda order, event: seen.append(event), positions.append)
    return engine, seen, positions


def _order(cid: str, side: OrderSide = OrderSide.BUY, **kw: Any) -> Order:
    kind = kw.pop("kind", OrderType.MARKET)
    return Order(cid, SYMBOL, side, kind, kw.pop("qty", D(1)), ts_init=0, strategy_id="S", **kw)


def test_life_cycle_of_a_market_order(venue: FakeVenue) -> None:
    engine, seen, positions = _engine(venue)
    order = engine.submit(_order("A"))
    assert venue.sent == [order]
    assert engine.open_orders() == [order]
    venue.accept(order)
    venue.fill(order, "1", "101")
    assert order.status is OrderStatus.FILLED
    assert engine.open_orders() == []
    assert [type(e) for e in seen] == [OrderSubmitted, OrderAccepted, OrderFilled]
    [opened] = positions
    assert isinstance(opened, PositionOpened)
    assert engine.portfolio.cash == 899


def test_a_refused_order_is_rejected_locally_and_never_sent(venue: FakeVenue) -> None:
    engine, seen, _ = _engine(venue, [Refuse("no shorts here")])
    order = engine.submit(_order("A", OrderSide.SELL))
    assert venue.sent == []
    assert order.status is OrderStatus.REJECTED
    [event] = seen
    assert isinstance(event, OrderRejected)
    assert event.reason == "no shorts here"


def test_a_refused_list_rejects_every_member(venue: FakeVenue) -> None:
    engine, _, _ = _engine(venue, [Refuse("no")])
    bracket = OrderList.bracket(
        "B", SYMBOL, OrderSide.SELL, D(1), stop_loss=D(110), take_profit=D(90), ts_init=0,
        strategy_id="S",
    )  # fmt: skip
    engine.submit_list(bracket)
    assert [o.status for o in bracket.orders] == [OrderStatus.REJECTED] * 3
    assert [reason(o) for o in bracket.orders] == ["no", "list refused: no", "list refused: no"]
    assert venue.sent == []


def _bracket() -> OrderList:
    return OrderList.bracket(
        "B", SYMBOL, OrderSide.BUY, D(2), stop_loss=D(95), take_profit=D(110), ts_init=0,
        strategy_id="S",
    )  # fmt: skip


def test_emulated_bracket_holds_the_exits_until_the_entry_fills(venue: FakeVenue) -> None:
    engine, _, positions = _engine(venue)
    bracket = engine.submit_list(_bracket())
    entry, sl, tp = bracket.orders
    assert venue.sent == [entry]
    assert engine.open_orders() == [entry]
    venue.accept(entry)
    venue.fill(entry, "1", "100")  # partial: the exits still wait
    assert venue.sent == [entry]
    venue.fill(entry, "1", "100")
    assert venue.sent == [entry, sl, tp]
    assert engine.open_orders() == [sl, tp]
    venue.accept(sl)
    venue.accept(tp)
    venue.fill(sl, "2", "95")
    # the engine cancels the sibling at the venue
    assert venue.canceled == [(tp.client_order_id, f"OCO: {sl.client_order_id} filled")]
    assert tp.status is OrderStatus.CANCELED
    assert engine.open_orders() == []
    assert isinstance(positions[-1], PositionClosed)
    assert engine.portfolio.realized_pnl() == -10


def test_emulated_oco_cancels_on_a_partial_fill(venue: FakeVenue) -> None:
    engine, _, _ = _engine(venue)
    a = _order("A", kind=OrderType.LIMIT, price=D(90), order_list_id="L", qty=D(2))
    b = _order("B", kind=OrderType.LIMIT, price=D(80), order_list_id="L", qty=D(2))
    engine.submit_list(OrderList.oco("L", [a, b]))
    assert venue.sent == [a, b]
    venue.accept(a)
    venue.accept(b)
    venue.fill(b, "1", "80")
    assert venue.canceled == [("A", "OCO: B filled")]
    assert (a.status, b.status) == (OrderStatus.CANCELED, OrderStatus.PARTIALLY_FILLED)


def test_canceling_the_entry_drops_the_held_exits(venue: FakeVenue) -> None:
    engine, _, _ = _engine(venue)
    entry, sl, tp = engine.submit_list(_bracket()).orders
    venue.accept(entry)
    assert engine.cancel(entry.client_order_id)
    assert venue.canceled == [(entry.client_order_id, "canceled")]
    assert [o.status for o in (entry, sl, tp)] == [OrderStatus.CANCELED] * 3
    assert reason(sl) == reason(tp) == "parent canceled"
    assert venue.sent == [entry]


def test_a_rejected_entry_drops_the_held_exits(venue: FakeVenue) -> None:
    engine, _, _ = _engine(venue)
    entry, sl, tp = engine.submit_list(_bracket()).orders
    venue.handler(
        OrderRejected(ts=1, client_order_id=entry.client_order_id, symbol=SYMBOL, reason="x")
    )
    assert [o.status for o in (entry, sl, tp)] == [
        OrderStatus.REJECTED,
        OrderStatus.CANCELED,
        OrderStatus.CANCELED,
    ]
    assert reason(sl) == "parent closed unfilled"


def test_native_contingency_sends_the_list_as_one(venue: FakeVenue) -> None:
    venue.supports_contingency = True
    engine, _, _ = _engine(venue)
    bracket = engine.submit_list(_bracket())
    assert venue.lists == [bracket]
    assert venue.sent == []


def test_an_event_for_an_unknown_order_is_an_error(venue: FakeVenue) -> None:
    _engine(venue)
    with pytest.raises(KeyError, match="unknown order X"):
        venue.accept(_order("X"))


def test_emulated_trailing_stop_moves_with_the_highs_and_never_back(venue: FakeVenue) -> None:
    engine, _, _ = _engine(venue)
    trail = Order.trailing_stop_market(
        "T", SYMBOL, OrderSide.SELL, D(1), D(2), ts_init=0, reduce_only=True, strategy_id="S"
    )
    engine.submit(trail)
    [sent] = venue.sent
    assert (sent.order_type, sent.stop_price) == (OrderType.STOP_MARKET, D(98))  # last 100 - 2
    venue.accept(trail)
    assert trail.stop_price is None  # the engine's order trails; the venue's has the stop
    engine.on_bar(SYMBOL, 103.0, 99.0)  # 101: moved
    assert trail.stop_price == 101
    engine.on_bar(SYMBOL, 102.0, 99.0)  # 100: looser, kept
    engine.on_bar(SYMBOL, 104.5, 99.0)  # 102.5: moved
    assert venue.modified == [("T", D(101)), ("T", D("102.5"))]


def test_a_trailing_stop_needs_a_price() -> None:
    venue = FakeVenue(last=None)
    engine, _, _ = _engine(venue)
    trail = Order.trailing_stop_market(
        "T", SYMBOL, OrderSide.SELL, D(1), D(2), ts_init=0, strategy_id="S"
    )
    engine.submit(trail)
    assert trail.status is OrderStatus.REJECTED
    assert reason(trail) == "trailing stop needs a price: no bar seen yet"


# -- through a backtest ---------------------------------------------------------------------


def test_trailing_stop_in_a_backtest() -> None:
    # buy at bar 1's open (100); at bar 1's close (102) trail 2 behind: stop 100.
    # bar 2 (high 106) moves it to 104; bar 3 (high 105.2) would loosen it to 103.2: kept;
    # bar 4 falls from 105 to 103 (adverse for a long): the stop trades at 104
    data = bars(
        (100, 101, 99, 100),
        (100, 103, 99.5, 102),
        (102, 106, 101, 105),
        (105, 105.2, 104.5, 105),
        (105, 105.5, 103, 104),
        (104, 104, 104, 104),
    )
    stops: list[Decimal | None] = []

    def watch(s: Any) -> None:
        stops.extend(o.stop_price for o in s.open_orders())

    result = run(
        data,
        {0: lambda s: s.buy(1), 1: lambda s: s.trailing_stop(distance=2), 2: watch, 3: watch},
    )
    assert stops == [D(104), D(104)]
    buy, stop = fills(result)
    assert (buy.last_price, stop.last_price) == (100, 104)
    assert abs(stop.ts - ns(4 + (0.5 / 3))) <= 1_000
    trail = orders(result)[1]
    assert trail.order_type is OrderType.TRAILING_STOP_MARKET
    assert trail.status is OrderStatus.FILLED
    assert result.final_equity == 1004


def test_oco_from_a_strategy() -> None:
    data = bars((100, 101, 99, 100), (100, 103, 99.5, 102), (102, 106, 101, 105))

    def place(s: Any) -> OrderList:
        return s.oco(
            s.order(OrderSide.BUY, 1, limit=99.5),
            s.order(OrderSide.BUY, 1, stop=105.5),
        )

    for native in (True, False):
        result = run(data, {0: place}, native_contingency=native)
        low, high = orders(result)
        assert low.status is OrderStatus.FILLED
        assert high.status is OrderStatus.CANCELED
        assert [f.last_price for f in fills(result)] == [D("99.5")]


def test_order_events_reach_the_strategy_in_order() -> None:
    data = bars((100, 101, 99, 100), (100, 103, 99.5, 102), (102, 106, 101, 105))
    result = run(data, {0: lambda s: s.buy(1), 1: lambda s: s.sell(1)})
    strategy = result.run.strategies[0]
    names = [type(e).__name__ for e in strategy.events]  # type: ignore[attr-defined]
    assert names == ["OrderSubmitted", "OrderAccepted", "OrderFilled"] * 2


def test_cancel_all_cancels_this_strategys_orders() -> None:
    data = bars((100, 101, 99, 100), (100, 103, 99.5, 102), (102, 106, 101, 105))

    def cancel(s: Any) -> None:
        assert s.cancel_all() == 2

    result = run(data, {0: lambda s: (s.buy(1, limit=90), s.buy(1, limit=91)), 1: cancel})
    assert [o.status for o in orders(result)] == [OrderStatus.CANCELED] * 2
    assert result.run.exchange.working_orders() == []


def test_trailing_stop_is_never_loosened_below_its_initial_stop(venue: FakeVenue) -> None:
    engine, _, _ = _engine(venue)
    trail = Order.trailing_stop_market(
        "T", SYMBOL, OrderSide.SELL, D(1), D(2), ts_init=0, reduce_only=True, strategy_id="S"
    )
    engine.submit(trail)
    venue.accept(trail)
    engine.on_bar(SYMBOL, 99.5, 97.0)  # 97.5 is looser than the initial 98
    assert venue.modified == []
