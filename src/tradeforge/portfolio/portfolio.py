"""The portfolio: balances, positions, PnL, fees and funding, exactly.

The portfolio books the fills the execution engine forwards, in ``Decimal`` arithmetic that
cannot round (see :mod:`tradeforge.model.values`), and keeps a *ledger*: after every fill, the
cash and the position of the symbol. The equity curve is computed from the ledger and the bars
afterwards (vectorized), so marking the portfolio costs nothing per bar.

Identity kept after every fill (tested after every backtest)::

    equity = cash + sum(position value at mark)
           = initial cash + realized PnL + unrealized PnL - fees - funding

Spot (``cash``) accounts hold the base currency: cash is the quote balance and a position's
value at mark is ``qty * mark``. Margin accounts hold only the settle currency: a position's
value at mark is its unrealized PnL. Every instrument must be quoted (or settled) in the
portfolio's currency.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Literal, NamedTuple

from tradeforge.model.enums import OrderSide
from tradeforge.model.events import OrderFilled, PositionEvent
from tradeforge.model.fill import Fill
from tradeforge.model.instrument import Instrument
from tradeforge.model.position import Position
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Money
from tradeforge.portfolio.ledger import Ledger, LedgerEntry
from tradeforge.portfolio.trades import TradeRecord

__all__ = ["AccountKind", "Ledger", "LedgerEntry", "Portfolio", "PortfolioError"]

AccountKind = Literal["cash", "margin"]
_ZERO = Decimal(0)


class PortfolioError(ValueError):
    """A fill or mark the portfolio cannot book; the message names it."""


class _Booked(NamedTuple):
    """The fields of a fill the portfolio books."""

    symbol: Symbol
    buy: bool
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts: int
    client_order_id: str


class Portfolio:
    """Balances and positions of one account in one currency.

    Parameters
    ----------
    currency : str
        The account currency (``USDT``); every instrument must be quoted in it.
    cash : Decimal
        The starting balance.
    instruments : iterable of Instrument
        The instruments it may hold.
    account : {"cash", "margin"}
        Spot or margin accounting (see the module docstring).
    """

    def __init__(
        self,
        currency: str,
        cash: Decimal,
        instruments: list[Instrument],
        account: AccountKind = "cash",
    ) -> None:
        self.currency = currency
        self.account = account
        self.initial_cash = cash
        self._cash = cash
        self._instruments = {i.symbol: i for i in instruments}
        self.price_source: Callable[[Symbol], float | None] | None = None
        """Where the current price of a symbol comes from (the venue's last price); positions
        are valued at it, else at their last fill."""
        self._positions: dict[Symbol, Position] = {}
        self._marks: dict[Symbol, Decimal] = {}
        self._fees = _ZERO
        self._funding = _ZERO
        self._tradable: set[Symbol] = set()
        self.booking_close: int | None = None
        """Set by a backtest while its venue trades a bar: that bar's close time. A fill at
        the bar's open carries the previous bar's close time; with this it counts in the
        equity from its own bar on (``counts_from`` of the ledger)."""
        self._realized_closed = _ZERO
        self.ledger = Ledger()
        self.trades: list[TradeRecord] = []
        self._open_trades: dict[Symbol, TradeRecord] = {}

    # -- reading ----------------------------------------------------------------------------

    @property
    def cash(self) -> Decimal:
        """The account-currency balance."""
        return self._cash

    @property
    def fees(self) -> Decimal:
        """Fees paid so far (rebates negative)."""
        return self._fees

    @property
    def funding(self) -> Decimal:
        """Funding paid so far (received negative)."""
        return self._funding

    def position(self, symbol: Symbol) -> Position:
        """The position in ``symbol`` (flat when never traded)."""
        position = self._positions.get(symbol)
        if position is None:
            position = self._new_position(symbol)
        return position

    def positions(self) -> dict[Symbol, Position]:
        """The open positions."""
        return {s: p for s, p in self._positions.items() if p.is_open}

    def mark(self, symbol: Symbol, price: Decimal) -> None:
        """Set the price positions in ``symbol`` are valued at."""
        self._marks[symbol] = price

    def last_mark(self, symbol: Symbol) -> Decimal | None:
        """The price ``symbol`` is valued at."""
        return self._marks.get(symbol)

    def valuation_price(self, symbol: Symbol) -> Decimal:
        """The price positions in ``symbol`` are valued at now."""
        return self._mark_of(symbol)

    def realized_pnl(self) -> Decimal:
        """Realized PnL of every position, fees excluded."""
        return sum((p.realized_pnl.amount for p in self._positions.values()), _ZERO)

    def unrealized_pnl(self) -> Decimal:
        """Unrealized PnL of the open positions at their marks."""
        total = _ZERO
        for symbol, position in self._positions.items():
            if position.is_open:
                total = EXACT.add(total, position.unrealized_pnl(self._mark_of(symbol)).amount)
        return total

    def position_value(self) -> Decimal:
        """What the open positions add to equity: market value (spot) or unrealized PnL."""
        if self.account == "margin":
            return self.unrealized_pnl()
        total = _ZERO
        for symbol, position in self._positions.items():
            if position.is_open:
                total = EXACT.add(total, position.notional(self._mark_of(symbol)).amount)
        return total

    def equity(self) -> Decimal:
        """Cash plus the open positions at their marks."""
        return EXACT.add(self._cash, self.position_value())

    def gross_exposure(self) -> Decimal:
        """Sum of the absolute values of the open positions at their marks."""
        return sum(
            (abs(p.notional(self._mark_of(s)).amount) for s, p in self.positions().items()), _ZERO
        )

    def accounting_gap(self) -> Decimal:
        """``equity - (initial + realized + unrealized - fees - funding)``; zero when sound."""
        expected = self.initial_cash + self.realized_pnl() + self.unrealized_pnl()
        return self.equity() - (expected - self._fees - self._funding)

    # -- booking ----------------------------------------------------------------------------

    def apply_fill(self, event: OrderFilled, tags: tuple[str, ...] = ()) -> PositionEvent:
        """Book a fill: cash, fee, position, trade log and ledger."""
        position = self._position_for(event.symbol, event.fee.currency, event.trade_id)
        before, realized_before = position.signed_qty, position.realized
        position_event = position.apply(Fill.from_event(event))
        pnl = EXACT.subtract(position.realized, realized_before)
        booked = _Booked(
            event.symbol,
            event.order_side is OrderSide.BUY,
            event.last_qty,
            event.last_price,
            event.fee.amount,
            event.ts,
            event.client_order_id,
        )
        self._settle(booked, position, before, pnl, tags)
        return position_event

    def book_fill(  # noqa: PLR0917 - one fill's fields
        self,
        symbol: Symbol,
        buy: bool,
        quantity: Decimal,
        price: Decimal,
        fee: Money,
        ts: int,
        client_order_id: str,
        tags: tuple[str, ...] = (),
    ) -> None:
        """Book a fill exactly as :meth:`apply_fill` books the :class:`OrderFilled` of these
        fields, without building the position event (for a backtest whose strategy does not
        listen to position events)."""
        position = self._positions.get(symbol)
        if position is None or symbol not in self._tradable or fee.currency != self.currency:
            position = self._position_for(symbol, fee.currency, client_order_id)
        before, realized_before = position.signed_qty, position.realized
        position.book(buy, quantity, price, fee.amount, ts)
        self._settle(
            _Booked(symbol, buy, quantity, price, fee.amount, ts, client_order_id),
            position,
            before,
            EXACT.subtract(position.realized, realized_before),
            tags,
        )

    def _position_for(self, symbol: Symbol, fee_currency: str, fill_name: str) -> Position:
        if fee_currency != self.currency:
            raise PortfolioError(
                f"fill {fill_name}: fee in {fee_currency}, portfolio in {self.currency}"
            )
        self._check_tradable(symbol)
        return self._positions.get(symbol) or self._new_position(symbol)

    def _settle(
        self,
        event: _Booked,
        position: Position,
        before: Decimal,
        pnl: Decimal,
        tags: tuple[str, ...],
    ) -> None:
        """Cash, fees, marks, trade log and ledger after ``position`` took the fill (which
        realized ``pnl``)."""
        symbol = event.symbol
        fee = event.fee
        self._fees = EXACT.add(self._fees, fee)
        if self.account != "cash":
            cash = EXACT.add(self._cash, pnl)
        elif event.buy:  # spot: the quote paid for the base, or received
            cash = EXACT.subtract(self._cash, EXACT.multiply(event.quantity, event.price))
        else:
            cash = EXACT.add(self._cash, EXACT.multiply(event.quantity, event.price))
        self._cash = EXACT.subtract(cash, fee)
        self._marks[symbol] = event.price
        self._log_trade(event, position, before, pnl, tags)
        self.ledger.record(
            event.ts, symbol, position.signed_qty, position.basis, self._cash, self.booking_close
        )

    def pay_funding(self, symbol: Symbol, amount: Decimal, ts: int) -> None:
        """Pay (positive) or receive (negative) funding on the position in ``symbol``.

        The ledger entry is stamped ``ts``, or the last entry's time when that is later (a
        funding time inside a bar is settled after the bar's fills), so the ledger stays in
        time order.
        """
        self._funding = EXACT.add(self._funding, amount)
        self._cash = EXACT.subtract(self._cash, amount)
        position = self.position(symbol)
        if self.ledger and self.ledger.ts[-1] > ts:
            ts = self.ledger.ts[-1]
        self.ledger.record(
            ts, symbol, position.signed_qty, position.basis, self._cash, self.booking_close
        )

    # -- internals --------------------------------------------------------------------------

    def _new_position(self, symbol: Symbol) -> Position:
        instrument = self._instruments.get(symbol)
        if instrument is None:
            raise PortfolioError(f"no instrument {symbol} in this portfolio")
        position = Position.for_instrument(instrument)
        self._positions[symbol] = position
        return position

    def _check_tradable(self, symbol: Symbol) -> None:
        if symbol in self._tradable:
            return
        instrument = self._instruments.get(symbol)
        if instrument is None:
            raise PortfolioError(f"no instrument {symbol} in this portfolio")
        quote = instrument.settle or instrument.symbol.quote
        if quote != self.currency or instrument.is_inverse:
            raise PortfolioError(
                f"{symbol} settles in {quote}; this portfolio accounts in {self.currency} "
                f"(linear instruments quoted in {self.currency} only)"
            )
        self._tradable.add(symbol)

    def _mark_of(self, symbol: Symbol) -> Decimal:
        if self.price_source is not None:
            live = self.price_source(symbol)
            if live is not None:
                return Decimal(repr(live))
        mark = self._marks.get(symbol)
        if mark is None:
            raise PortfolioError(f"no mark price for {symbol}")
        return mark

    def _log_trade(
        self,
        event: _Booked,
        position: Position,
        before: Decimal,
        pnl: Decimal,
        tags: tuple[str, ...],
    ) -> None:
        """Round trips from the position's change: ``before`` is its quantity before the fill,
        ``pnl`` what the fill realized."""
        symbol, after, fee = event.symbol, position.signed_qty, event.fee
        trade = self._open_trades.get(symbol)
        if trade is None:
            if not before and after:
                self._open(event, position, fee, tags)
            return
        trade.fees = EXACT.add(trade.fees, fee)
        trade.pnl = EXACT.add(trade.pnl, pnl)
        trade.size = max(trade.size, position.peak)
        long = trade.side == "LONG"
        if not after or long != (after > 0):  # back to flat, or flipped
            flipped = bool(before) and bool(after)
            trade.exit_ts = event.ts
            trade.exit_price = position.flip_close_px if flipped else position.avg_px_close
            trade.exit_order = event.client_order_id
            trade.exit_tags = tags
            del self._open_trades[symbol]
            if after:  # a flip opens the next round trip at the fill price
                self._open(event, position, _ZERO, tags)
        elif long == event.buy:  # built by several fills: their average
            trade.entry_price = position.avg_px_open or trade.entry_price

    def _open(
        self, event: _Booked, position: Position, fee: Decimal, tags: tuple[str, ...]
    ) -> None:
        held = position.signed_qty
        trade = TradeRecord(
            symbol=event.symbol,
            side="LONG" if held > 0 else "SHORT",
            entry_ts=event.ts,
            entry_price=event.price,
            size=held if held > 0 else -held,  # a long's own quantity: no copy to keep
            fees=fee,
            entry_order=event.client_order_id,
            tags=tags,
        )
        self.trades.append(trade)
        self._open_trades[event.symbol] = trade
