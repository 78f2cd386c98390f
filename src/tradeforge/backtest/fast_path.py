"""The market-order fast path of the backtest engine.

Most strategies trade market orders only: buy on a signal, close on another. For them the
engine can skip the venue's order book, the risk engine's object graph and the event plumbing
between the engines, while keeping every result identical. :class:`FastExecution` stands in for
the :class:`~tradeforge.execution.engine.ExecutionEngine` in the strategy's context and does,
for a market order, exactly what the kernel's engines do together:

* the risk checks of :class:`~tradeforge.risk.engine.RiskEngine` (the instrument's filters at
  the last close, the balance of a spot account, the base held for a sell);
* the life cycle of the order, with the same events applied to the same :class:`Order`
  (submitted, accepted or rejected, updated when sized by value, filled or canceled);
* the fill of the :class:`~tradeforge.backtest.exchange.SimulatedExchange` (the next bar's open
  or this bar's close, the slippage model, the tick rounding toward the taker, the taker fee,
  the venue balance check at the fill price), booked in the same
  :class:`~tradeforge.portfolio.portfolio.Portfolio` and venue account.

It covers a spot (``cash``) account with one series and one strategy, no latency, no volume
cap, no lower-timeframe detail, no funding, and a strategy that does not listen to order or
position events (:func:`fast_path_blocker` says why a run does not qualify). The first time the
strategy asks for anything else (a limit, stop, bracket, OCO or trailing order), the fast path
raises :class:`FastPathExit` and :class:`~tradeforge.backtest.facade.Backtest` runs the
backtest again, from the start and with a new strategy instance, on the full kernel. Tests run
the built-in strategies and random market-order strategies both ways and compare every order,
fill, trade and equity value.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeforge.backtest.models import NoSlippage, SlippageModel
from tradeforge.backtest.order_journal import OrderJournal
from tradeforge.backtest.venue_account import CashAccount
from tradeforge.common.clock import Clock
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderType
from tradeforge.model.events import (
    FundingPaid,
    OrderCanceled,
    OrderRejected,
)
from tradeforge.model.instrument import Instrument, tick_rounder
from tradeforge.model.order_list import OrderList
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Money, Quantity, truncate_to_step
from tradeforge.portfolio.portfolio import Portfolio

if TYPE_CHECKING:
    from tradeforge.backtest.config import BacktestConfig
    from tradeforge.strategy.base import Strategy

_ZERO = Decimal(0)
_ONE = Decimal(1)
_MARKET = OrderType.MARKET
_TAKER = LiquiditySide.TAKER


class FastPathExit(BaseException):
    """The strategy asked for something the fast path does not cover.

    A ``BaseException``, so that neither the engine's wrapping of strategy errors nor a
    strategy's own ``except Exception`` can swallow it.
    """


def fast_path_blocker(
    config: BacktestConfig, strategies: list[Strategy], series_count: int, has_detail: bool
) -> str:
    """Why a run cannot take the fast path; ``""`` when it can."""
    from tradeforge.strategy.base import Strategy  # noqa: PLC0415 - the strategy imports us

    if not config.fast_path:
        return "disabled (fast_path=False)"
    checks = (
        (series_count != 1 or len(strategies) != 1, "several series or strategies"),
        (config.account != "cash", "a margin account"),
        (config.latency_ms > 0, "latency"),
        (config.max_volume_share is not None, "a volume cap"),
        (has_detail, "lower-timeframe detail"),
        (bool(config.funding), "funding"),
        (config.risk is not None and config.risk.breakers is not None, "circuit breakers"),
        (config.risk is not None, "risk limits"),
    )
    for failed, reason in checks:
        if failed:
            return reason
    for strategy in strategies:
        for hook in ("on_order_event", "on_position_event"):
            if getattr(type(strategy), hook) is not getattr(Strategy, hook):
                return f"{type(strategy).__name__} overrides {hook}"
    return ""


class _Terms:
    """What a fill reads of an instrument, prepared once."""

    __slots__ = ("base", "buy_fill_price", "contract", "instrument", "quote", "sell_fill_price",
                 "symbol", "taker", "unit_contract")  # fmt: skip

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.symbol = instrument.symbol
        self.base, self.quote = instrument.symbol.base, instrument.symbol.quote
        self.taker = instrument.taker_fee
        self.contract = instrument.contract_size
        # a contract of exactly 1 (exponent 0): the venue's value of a fill is its notional
        self.unit_contract = self.contract == 1 and self.contract.as_tuple().exponent == 0
        # fills round toward the taker: a buy's price up, a sell's down
        self.buy_fill_price = tick_rounder(instrument, "sell")
        self.sell_fill_price = tick_rounder(instrument, "buy")


class _Working:
    """A market order accepted and waiting for its fill."""

    __slots__ = ("buy", "client_order_id", "order", "quote_quantity", "terms", "ts_accepted",
                 "venue_order_id")  # fmt: skip

    def __init__(  # noqa: PLR0917 - what the fill needs
        self,
        order: Order,
        client_order_id: str,
        buy: bool,
        terms: _Terms,
        venue_order_id: int,
        quote_quantity: Decimal | None,
        ts_accepted: int,
    ) -> None:
        self.order = order
        self.client_order_id = client_order_id
        self.buy = buy
        self.terms = terms
        self.venue_order_id = venue_order_id
        self.quote_quantity = quote_quantity
        self.ts_accepted = ts_accepted


class FastExecution:
    """Market orders of one spot strategy, from submission to booked fill (see the module).

    Parameters
    ----------
    clock : Clock
        The backtest's clock (event times).
    portfolio : Portfolio
        Where fills are booked.
    account : CashAccount
        The venue's starting balances; the fast path keeps them itself from there (a fill is
        checked against them at the fill price, as on the exchange).
    instruments : dict of Symbol to Instrument
        Trading rules and fees.
    last_price : callable
        The last close of a symbol (market orders are checked at it).
    slippage : SlippageModel, optional
        Applied to every fill, as on the exchange.
    fill_at_close : bool
        Fill market orders at once at the last close (``market_fill="close"``).
    """

    def __init__(  # noqa: PLR0917 - the engines it stands between
        self,
        clock: Clock,
        portfolio: Portfolio,
        account: CashAccount,
        instruments: dict[Symbol, Instrument],
        last_price: Callable[[Symbol], float | None],
        slippage: SlippageModel | None = None,
        *,
        fill_at_close: bool = False,
    ) -> None:
        self.clock = clock
        self.portfolio = portfolio
        self.instruments = instruments
        self._last_price = last_price
        self.slippage = slippage or NoSlippage()
        self._slips = not isinstance(self.slippage, NoSlippage)
        self._terms = {symbol: _Terms(i) for symbol, i in instruments.items()}
        self.fill_at_close = fill_at_close
        self.orders = OrderJournal()
        """Every order submitted, by client order id (the results read them)."""
        self.funding: list[FundingPaid] = []
        self.working: list[_Working] = []
        """Market orders waiting for the next bar's open."""
        self._open: dict[str, Order] = {}
        # the venue's balances (a spot account without locks: market orders reserve nothing)
        self.account = account
        self._free = {c: account.free(c) for c in account.account.currencies}
        self._order_seq = 0
        self._trade_seq = 0

    # -- what a strategy reads --------------------------------------------------------------

    def open_orders(self, symbol: Symbol | None = None) -> list[Order]:
        """Orders submitted and not yet closed."""
        if symbol is None:
            return list(self._open.values())
        return [o for o in self._open.values() if o.symbol == symbol]

    def venue_last_price(self, symbol: Symbol) -> float | None:
        """The last close of ``symbol``."""
        return self._last_price(symbol)

    # -- commands ---------------------------------------------------------------------------

    def submit(self, order: Order, quote_quantity: Decimal | None = None) -> Order:
        """Check, accept and (at the close) fill a market order; leave on anything else."""
        if order.order_type is not _MARKET:
            raise FastPathExit(f"a {order.order_type.value} order")
        cid = order.client_order_id
        self.orders.add(order)
        terms = self._terms.get(order.symbol)
        if terms is None:
            raise FastPathExit(f"an order for {order.symbol}, which the run does not trade")
        ts = self.clock.timestamp_ns()
        last = self._last_price(order.symbol)
        price = Decimal(repr(last)) if last is not None else None
        reason = self._risk_reason(order, terms, price, quote_quantity)
        if reason:
            order.apply(
                OrderRejected(ts=ts, client_order_id=cid, symbol=order.symbol, reason=reason)
            )
            return order
        self._open[cid] = order
        # the venue's filters are the risk engine's, at the same price: they pass too
        self._order_seq += 1
        working = _Working(
            order, cid, order.side is OrderSide.BUY, terms, self._order_seq, quote_quantity, ts
        )
        order.accept_now(ts, str(self._order_seq))
        if self.fill_at_close and last is not None:
            self._execute(working, last, ts, 0.0)
        else:
            self.working.append(working)
        return order

    def submit_list(self, orders: OrderList) -> OrderList:
        """Order lists (OCO, brackets) need the full kernel."""
        raise FastPathExit("an order list")

    def cancel(self, client_order_id: str) -> bool:
        """Cancel a market order still waiting for its fill; False when not open."""
        order = self._open.get(client_order_id)
        if order is None:
            return False
        self.working = [w for w in self.working if w.order is not order]
        self._close(
            order,
            OrderCanceled(
                ts=self.clock.timestamp_ns(),
                client_order_id=client_order_id,
                symbol=order.symbol,
                reason="canceled",
            ),
        )
        return True

    def cancel_all(self, symbol: Symbol | None = None, strategy_id: str | None = None) -> int:
        """Cancel every waiting order (of ``symbol``, of ``strategy_id``); the count."""
        canceled = 0
        for order in self.open_orders(symbol):
            if strategy_id is None or order.strategy_id == strategy_id:
                canceled += self.cancel(order.client_order_id)
        return canceled

    def modify(self, client_order_id: str, **changes: object) -> bool:
        """Amending needs the full kernel (market orders cannot be amended anyway)."""
        raise FastPathExit("an order amendment")

    def require_kernel(self, reason: str) -> None:
        """Leave for the full kernel: the strategy needs ``reason``."""
        raise FastPathExit(reason)

    # -- the venue's side -------------------------------------------------------------------

    def settle_venue(self) -> None:
        """Bring the venue's account to the balances the fast path kept (at the end of a run,
        so that the venue reads as after the full kernel's run)."""
        account = self.account.account
        for currency, free in self._free.items():
            delta = EXACT.subtract(free, account.free(currency).amount)
            if delta > 0:
                account.credit(Money(delta, currency))
            elif delta < 0:
                account.debit(Money(-delta, currency))

    def fill_working(self, ts_open: int, open_price: float, volume: float) -> None:
        """Fill the waiting market orders at a bar's open, in the order they came."""
        working, self.working = self.working, []
        for item in working:
            if item.client_order_id in self._open:
                self._execute(item, open_price, ts_open, volume)

    def _execute(self, item: _Working, price: float, ts: int, volume: float) -> None:
        """What :meth:`SimulatedExchange._execute` does for a market order, then the booking."""
        order, terms, buy = item.order, item.terms, item.buy
        if self._slips:
            price = self.slippage.slipped_price(
                price, 1 if buy else -1, float(order.leaves_qty), volume
            )
        fill_px = terms.buy_fill_price(price) if buy else terms.sell_fill_price(price)
        qty = order.quantity if item.quote_quantity is None else self._value_quantity(item, fill_px)
        if qty <= 0:
            self._unfillable(order, "quantity rounds to zero at the fill price")
            return
        notional = EXACT.multiply(fill_px, EXACT.multiply(qty, terms.contract))
        fee = EXACT.multiply(notional, terms.taker)
        reason = self._shortfall(terms, buy, qty, fill_px, notional, fee)
        if reason:
            self._unfillable(order, reason)
            return
        resized = item.quote_quantity is not None and qty != order.quantity
        if resized:
            order.update_quantity_now(ts, qty)
        self._venue_fill(terms, buy, qty, notional, fee)
        self._trade_seq += 1
        fee_money = Money(fee, terms.quote)
        venue_order_id = item.venue_order_id
        order.fill_now(
            ts, str(self._trade_seq), str(venue_order_id), qty, fill_px, fee_money, _TAKER
        )
        cid = item.client_order_id
        self.portfolio.book_fill(terms.symbol, buy, qty, fill_px, fee_money, ts, cid, order.tags)
        del self._open[cid]
        spec = order.market_spec()
        if spec is not None:  # closed for good: kept as what rebuilds it
            self.orders.filled(
                cid,
                (*spec, item.ts_accepted, venue_order_id, resized, ts, self._trade_seq, qty,
                 fill_px, fee, terms.quote),  # the fields of a FilledMarket
            )  # fmt: skip

    def _shortfall(  # noqa: PLR0917 - one fill's figures
        self, terms: _Terms, buy: bool, qty: Decimal, price: Decimal, notional: Decimal,
        fee: Decimal,
    ) -> str:  # fmt: skip
        """:meth:`CashAccount.shortfall`, on the balances :meth:`_venue_fill` keeps."""
        free = self._free
        if buy:
            if terms.unit_contract:  # the venue's value of the fill is its notional
                need = EXACT.add(notional, fee)
            else:
                value = EXACT.multiply(qty, price)
                need = EXACT.add(value, EXACT.multiply(value, terms.taker))
            have = free.get(terms.quote, _ZERO)
            if need > have:
                return f"insufficient {terms.quote}: need {need}, free {have}"
        elif qty > free.get(terms.base, _ZERO):
            return f"insufficient {terms.base}: need {qty}, free {free.get(terms.base, _ZERO)}"
        return ""

    def _venue_fill(
        self, terms: _Terms, buy: bool, qty: Decimal, notional: Decimal, fee: Decimal
    ) -> None:
        """:meth:`CashAccount.fill` on plain balances: quote for base, then the fee."""
        free = self._free
        base, quote = terms.base, terms.quote
        if buy:
            free[quote] = EXACT.subtract(free.get(quote, _ZERO), notional)
            free[base] = EXACT.add(free.get(base, _ZERO), qty)
        else:
            free[base] = EXACT.subtract(free.get(base, _ZERO), qty)
            free[quote] = EXACT.add(free.get(quote, _ZERO), notional)
        if fee:
            free[quote] = EXACT.subtract(free[quote], fee)

    def _value_quantity(self, item: _Working, price: Decimal) -> Quantity:
        """The quantity a value-sized order buys at the fill price, fees included."""
        instrument = item.terms.instrument
        rate = _ONE + instrument.taker_fee
        unit_cost = EXACT.multiply(EXACT.multiply(price, instrument.contract_size), rate)
        value = item.quote_quantity
        assert value is not None, "a value order carries its quote quantity"
        raw = value / unit_cost
        return Quantity(truncate_to_step(Quantity(max(raw, _ZERO)), instrument.quantity_step))

    def _unfillable(self, order: Order, reason: str) -> None:
        self._close(
            order,
            OrderCanceled(
                ts=self.clock.timestamp_ns(),
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                reason=reason,
            ),
        )

    def _close(self, order: Order, event: OrderCanceled | OrderRejected) -> None:
        order.apply(event)
        self._open.pop(order.client_order_id, None)

    # -- the risk engine's checks -----------------------------------------------------------

    def _risk_reason(
        self, order: Order, terms: _Terms, price: Decimal | None, notional: Decimal | None
    ) -> str:
        """:class:`InstrumentFilters` then :class:`BalanceCheck` on a spot account."""
        instrument, quantity = terms.instrument, order.quantity
        if notional is not None:
            if notional < instrument.min_notional:
                return f"NOTIONAL: value {notional} below the minimum {instrument.min_notional}"
        elif price is not None:
            broken = instrument.check_order(price, quantity)
            if broken:
                return "; ".join(check.message for check in broken)
        if order.reduce_only:
            return ""
        portfolio = self.portfolio
        if order.side is OrderSide.BUY:
            if notional is not None:
                cost = notional
            elif price is None:
                cost = _ZERO
            else:  # the value and its taker fee at the last price
                value = EXACT.multiply(quantity, price)
                cost = EXACT.add(value, EXACT.multiply(value, terms.taker))
            free = portfolio.cash  # waiting market orders reserve nothing, as in the kernel
            if cost > free:
                return f"insufficient {portfolio.currency}: order needs {cost:.8f}, free {free:.8f}"
            return ""
        return self._sell_shortfall(order)

    def _sell_shortfall(self, order: Order) -> str:
        """A spot sell of more than is held, net of what open sells already offer."""
        held = self.portfolio.position(order.symbol).signed_qty
        selling = sum(
            (
                o.leaves_qty
                for o in self._open.values()
                if o.symbol == order.symbol and o.side.sign < 0 and not o.reduce_only
            ),
            _ZERO,
        )
        if order.quantity > held - selling:
            return (
                f"insufficient {order.symbol.base}: sell {order.quantity}, "
                f"held {held} of which {selling} already offered (spot cannot short)"
            )
        return ""
