"""Strategies the node tests run (loaded by path, as a user's file would be)."""

from __future__ import annotations

from tradeforge.model.enums import OrderSide, OrderType
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.values import Price
from tradeforge.strategies import SmaCross
from tradeforge.strategy import Strategy
from tradeforge.strategy.views import BarView


class LateSma(SmaCross):
    """The built-in SMA crossover, trading only from bar ``start_at`` on (a node's first live
    bar: a backtest over the same bars then trades exactly as the node)."""

    start_at: int = 0

    def on_bar(self, bar: BarView) -> None:
        if bar.index >= self.start_at:
            super().on_bar(bar)


class Probe(SmaCross):
    """Records what each ``on_bar`` sees: the bar, the history length and both SMAs."""

    def on_start(self) -> None:
        super().on_start()
        self.seen: list[tuple[int, int, float, float, float]] = []

    def on_bar(self, bar: BarView) -> None:
        self.seen.append(
            (bar.ts_open, len(self.close), bar.close, self.fast_ma[-1], self.slow_ma[-1])
        )


class Resting(Strategy):
    """Buys ``quantity`` with a limit ``offset`` (a fraction) under its first live bar's
    close, once: an order that stays open."""

    quantity: float = 0.001
    offset: float = 0.5

    def on_bar(self, bar: BarView) -> None:
        if not self.open_orders() and not getattr(self, "placed", False):
            self.placed = True
            self.buy(self.quantity, limit=bar.close * self.offset)


class Churn(Strategy):
    """Trades on every bar, by the bar's index: a market buy, a limit buy just under the
    close, a limit sell just over it, a market sell; an order still open at the next bar is
    canceled first (that bar places nothing). Sells only what the position holds."""

    quantity: float = 0.001
    offset: float = 0.0003

    def on_bar(self, bar: BarView) -> None:
        waiting = self.open_orders()
        if waiting:
            for order in waiting:
                self.cancel(order)
            return
        held = float(self.position().signed_qty)
        step = bar.index % 4
        if step == 0:
            self.buy(self.quantity)
        elif step == 1:
            self.buy(self.quantity, limit=bar.close * (1 - self.offset))
        elif step == 2 and held >= self.quantity:
            self.sell(self.quantity, limit=bar.close * (1 + self.offset))
        elif step == 3 and held >= self.quantity:
            self.sell(self.quantity)


class Protected(Strategy):
    """On its first live bar, once: a limit buy ``offset`` under the close and, sent when it
    fills (an OTO list the engine emulates), a stop loss ``loss`` under the entry."""

    quantity: float = 0.001
    offset: float = 0.001
    loss: float = 0.002

    def on_bar(self, bar: BarView) -> None:
        if getattr(self, "placed", False):
            return
        self.placed = True
        entry = self.order(OrderSide.BUY, self.quantity, limit=bar.close * (1 - self.offset))
        assert isinstance(entry, Order)
        list_id = f"L-{entry.client_order_id}"
        entry = Order.limit(
            entry.client_order_id, entry.symbol, OrderSide.BUY, entry.quantity,
            Price(entry.price or 0), ts_init=entry.ts_init, strategy_id=self.strategy_id,
            order_list_id=list_id,
        )  # fmt: skip
        stop = self.ctx.instruments[entry.symbol].round_price(
            float(entry.price or 0) * (1 - self.loss), OrderSide.SELL
        )
        exit_ = Order(
            f"{entry.client_order_id}-SL", entry.symbol, OrderSide.SELL, OrderType.STOP_MARKET,
            entry.quantity, ts_init=entry.ts_init, stop_price=stop, reduce_only=True,
            strategy_id=self.strategy_id, order_list_id=list_id,
            parent_order_id=entry.client_order_id,
        )  # fmt: skip
        self.submit(OrderList.oto(list_id, entry, [exit_]))


class Bracketed(Strategy):
    """On its first live bar, once: a limit buy ``offset`` under the close with a stop loss
    ``loss`` under the entry and a take profit ``gain`` above it (a bracket)."""

    quantity: float = 0.001
    offset: float = 0.001
    loss: float = 0.05
    gain: float = 0.01

    def on_bar(self, bar: BarView) -> None:
        if not getattr(self, "placed", False):
            self.placed = True
            entry = bar.close * (1 - self.offset)
            self.buy(
                self.quantity, limit=entry, sl=entry * (1 - self.loss), tp=entry * (1 + self.gain)
            )
