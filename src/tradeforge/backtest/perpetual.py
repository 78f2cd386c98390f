"""Perpetual futures: funding rates, the maintenance margin and the liquidation price.

The semantics follow Binance USDⓈ-M perpetuals in one-way mode with **cross margin**: every
position settled in a currency draws on that currency's whole wallet, as the
:class:`~tradeforge.backtest.venue_account.MarginAccount` pools cash per settle currency.

Funding
    At every funding time ``T`` a position of signed size ``q`` (base units, positive long)
    pays ``q × mark(T) × rate(T)`` in the settle currency: with a positive rate longs pay and
    shorts receive, with a negative rate the opposite. ``mark(T)`` is the mark price at ``T``
    when a mark series is given (the open of the mark candle stamped ``T``, as Freqtrade reads
    it), otherwise the close of the bar that closes at ``T``. Amounts are exact decimals, not
    rounded.

Maintenance margin
    A position of notional ``N`` (at the mark) needs ``N × rate − amount``
    (:class:`MaintenanceMargin`; Binance's first tier: 0.5 % and 0).

Liquidation price
    The account is liquidated when its margin balance (wallet plus unrealized PnL) falls to
    the maintenance margin of its positions. Solved for the price ``P`` of one position
    (size ``Q > 0``, entry ``E``, ``s = +1`` long or ``−1`` short)::

        P = (WB − MM_other + UPNL_other + amount − s × Q × E) / (Q × (rate − s))

    where ``WB`` is the wallet balance of the settle currency, ``MM_other`` and
    ``UPNL_other`` the maintenance margin and unrealized PnL of the account's other positions
    in that currency (zero in isolated margin, where ``WB`` is the position's own margin).
    See :func:`liquidation_price` and :func:`isolated_liquidation_price`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT

__all__ = [
    "FundingDataError",
    "FundingRates",
    "MaintenanceMargin",
    "isolated_liquidation_price",
    "liquidation_price",
]

# The liquidation price is a quotient: 28 significant digits, rounded half-even, so that a
# price with a few decimals comes out exactly (the fill is rounded to the tick afterwards).
_DIVISION = Context(prec=28, rounding=ROUND_HALF_EVEN)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_RATE_COLUMNS = ("funding_rate", "rate", "open")
_SHOWN = 3  # offending timestamps named in an error message


class FundingDataError(ValueError):
    """Funding-rate or mark-price data that cannot be used; the message names the problem."""


@dataclass(frozen=True, slots=True)
class MaintenanceMargin:
    """The maintenance margin of a position: ``notional × rate − amount``.

    Contract: :meth:`margin` is linear in the notional and is what the account must keep per
    position; when the margin balance (wallet plus unrealized PnL) of a settle currency falls
    to the sum over its positions, the account is liquidated. ``rate`` and ``amount`` are one
    row of a venue's tier table (Binance calls ``amount`` the *maintenance amount*); the
    caller picks the row that matches the position's size. Binance's first tier for most
    USDⓈ-M contracts is ``rate=0.005, amount=0``, the default.

    Parameters
    ----------
    rate : Decimal
        Maintenance margin rate, ``0 <= rate < 1`` (``0.005`` is 0.5 %).
    amount : Decimal
        Maintenance amount subtracted from ``notional × rate``, ``>= 0``.

    Raises
    ------
    ValueError
        When ``rate`` or ``amount`` is out of range.
    """

    rate: Decimal = Decimal("0.005")
    amount: Decimal = _ZERO

    def __post_init__(self) -> None:
        rate, amount = _decimal(self.rate, "rate"), _decimal(self.amount, "amount")
        if not _ZERO <= rate < _ONE:
            raise ValueError(f"maintenance margin rate must be in [0, 1), got {rate}")
        if amount < 0:
            raise ValueError(f"maintenance amount must be >= 0, got {amount}")
        object.__setattr__(self, "rate", rate)
        object.__setattr__(self, "amount", amount)

    def margin(self, notional: Decimal) -> Decimal:
        """The maintenance margin of a position of ``notional`` (its sign is ignored)."""
        return EXACT.subtract(EXACT.multiply(abs(notional), self.rate), self.amount)


def liquidation_price(
    wallet_balance: Decimal,
    qty: Decimal,
    entry_price: Decimal,
    maintenance: MaintenanceMargin,
    *,
    other_maintenance: Decimal = _ZERO,
    other_unrealized: Decimal = _ZERO,
) -> Decimal | None:
    """The mark price at which a position is liquidated (cross margin, one-way mode).

    Solves ``WB + UPNL_other + q × (P − E) = MM_other + |q| × P × rate − amount`` for ``P``
    (see the module docstring)::

        P = (WB − MM_other + UPNL_other + amount − s × Q × E) / (Q × (rate − s))

    with ``Q = |qty|`` and ``s`` the sign of ``qty``. Leverage does not appear: in cross
    margin the wallet backs the position. For isolated margin pass the position's margin as
    ``wallet_balance`` and nothing else (:func:`isolated_liquidation_price`).

    Parameters
    ----------
    wallet_balance : Decimal
        The settle currency's wallet balance (deposits, realized PnL, fees and funding).
    qty : Decimal
        The position's signed size in base units (contracts × contract size): positive long.
    entry_price : Decimal
        Its average entry price.
    maintenance : MaintenanceMargin
        The maintenance margin rate and amount of the position.
    other_maintenance, other_unrealized : Decimal
        Maintenance margin and unrealized PnL of the other positions in the same wallet.

    Returns
    -------
    Decimal or None
        The price, to 28 significant digits. ``None`` for a long that cannot be liquidated
        (the wallet covers the price falling to zero); ``0`` for a short already below its
        maintenance margin (liquidated at any price).

    Raises
    ------
    ValueError
        When ``qty`` is zero or ``entry_price`` is not positive.
    """
    if not qty:
        raise ValueError("a liquidation price needs a position: qty is zero")
    if entry_price <= 0:
        raise ValueError(f"entry price must be positive, got {entry_price}")
    side = _ONE if qty > 0 else -_ONE
    size = abs(qty)
    numerator = (
        wallet_balance
        - other_maintenance
        + other_unrealized
        + maintenance.amount
        - side * size * entry_price
    )
    price = _DIVISION.divide(numerator, size * (maintenance.rate - side))
    if side > 0:
        return price if price > 0 else None
    return max(price, _ZERO)


def isolated_liquidation_price(
    qty: Decimal,
    entry_price: Decimal,
    leverage: Decimal,
    maintenance: MaintenanceMargin,
) -> Decimal | None:
    """The liquidation price of an isolated position opened with ``leverage``.

    Its margin is ``|qty| × entry_price / leverage``; :func:`liquidation_price` with that margin
    as the wallet and no other positions. For a long at 10x with a 0.5 % rate:
    ``E × (1 − 1/10) / (1 − 0.005)``.
    """
    if leverage < 1:
        raise ValueError(f"leverage must be >= 1, got {leverage}")
    margin = _DIVISION.divide(abs(qty) * entry_price, leverage)
    return liquidation_price(margin, qty, entry_price, maintenance)


class FundingRates:
    """The funding rates of one perpetual, by funding time, with optional mark prices.

    Parameters
    ----------
    ts : array of int
        Funding times, integer nanoseconds since the epoch, UTC, strictly increasing.
    rates : array of float
        The funding rate at each time (``0.0001`` is 0.01 %), finite.
    marks : array of float, optional
        The mark price at each time, finite and positive; without it the bar's close at the
        funding time is used.

    Raises
    ------
    FundingDataError
        When the arrays differ in length, a time is out of order or repeated, or a rate or
        mark is NaN, infinite (or, for marks, not positive); the message names the first
        offending times.
    """

    __slots__ = ("marks", "rates", "ts")

    def __init__(self, ts: ArrayLike, rates: ArrayLike, marks: ArrayLike | None = None) -> None:
        times = np.asarray(ts)
        if times.ndim != 1 or (len(times) and not np.issubdtype(times.dtype, np.integer)):
            raise FundingDataError(
                f"funding times must be a 1-d array of integer nanoseconds, got {times.dtype} "
                f"with shape {times.shape}"
            )
        self.ts: NDArray[np.int64] = times.astype(np.int64)
        self.rates: NDArray[np.float64] = _finite(rates, "funding rate", self.ts)
        self.marks: NDArray[np.float64] | None = (
            None if marks is None else _finite(marks, "mark price", self.ts, positive=True)
        )
        _check_order(self.ts)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        column: str | None = None,
        mark: pd.DataFrame | None = None,
        mark_column: str = "open",
        floor: str | None = "1s",
    ) -> FundingRates:
        """Read a frame of funding rates, like Freqtrade's ``*-funding_rate.feather``.

        Parameters
        ----------
        frame : DataFrame
            Times in a ``date`` column (or the DatetimeIndex); naive times are UTC.
        column : str, optional
            The rate column; default the first of ``funding_rate``, ``rate``, ``open``
            (Freqtrade's files keep the rate in ``open``).
        mark : DataFrame, optional
            Mark-price candles (Freqtrade's ``*-mark.feather``); the mark at a funding time
            is ``mark_column`` of the candle stamped at that time. Every funding time needs one.
        mark_column : str
            Which mark column (default ``open``, as Freqtrade's funding-fee calculation).
        floor : str or None
            Floor the funding times to this frequency (default one second): venues stamp a
            settlement a few milliseconds after the scheduled time (Binance records the
            00:00 funding at 00:00:00.017), and the position is taken at the scheduled time.
            ``None`` keeps the times as recorded.

        Raises
        ------
        FundingDataError
            For a missing column, unparsable or repeated times, times out of order, NaN
            rates, or funding times without a mark candle.
        """
        times = _times(frame, "funding")
        if floor is not None:
            times = times.floor(floor)
        name = column or next((c for c in _RATE_COLUMNS if c in frame.columns), None)
        if name is None or name not in frame.columns:
            wanted = repr(column) if column else " or ".join(repr(c) for c in _RATE_COLUMNS)
            raise FundingDataError(
                f"funding frame has no rate column {wanted}; columns: {list(frame.columns)}"
            )
        rates = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        ts = times.asi8
        marks = None if mark is None else _marks_at(ts, mark, mark_column)
        return cls(ts, rates, marks)

    def __len__(self) -> int:
        return len(self.ts)

    def __repr__(self) -> str:
        if not len(self):
            return "FundingRates(empty)"
        first, last = (pd.Timestamp(int(t), tz="UTC") for t in (self.ts[0], self.ts[-1]))
        marks = ", with marks" if self.marks is not None else ""
        return f"FundingRates({len(self)} from {first} to {last}{marks})"

    def rate(self, k: int) -> Decimal:
        """The ``k``-th rate as an exact decimal (through its shortest text)."""
        return Decimal(repr(float(self.rates[k])))

    def mark(self, k: int) -> Decimal | None:
        """The ``k``-th mark price as an exact decimal; ``None`` without marks."""
        if self.marks is None:
            return None
        return Decimal(repr(float(self.marks[k])))

    def to_frame(self) -> pd.DataFrame:
        """Times (UTC index ``date``), ``rate`` and, when known, ``mark``."""
        data: dict[str, NDArray[np.float64]] = {"rate": self.rates}
        if self.marks is not None:
            data["mark"] = self.marks
        index = pd.DatetimeIndex(pd.to_datetime(self.ts, utc=True), name="date")
        return pd.DataFrame(data, index=index)


NO_FUNDING = 2**63 - 1
"""A time after every bar: nothing is due."""


class FundingSchedule:
    """The funding times still to settle, per perpetual, and the earliest of them.

    ``next_ns`` is what a venue compares each bar's close with: one integer comparison per bar
    while nothing is due.
    """

    def __init__(self) -> None:
        self.rates: dict[Symbol, FundingRates] = {}
        self._next: dict[Symbol, int] = {}  # index of the next unsettled funding time
        self.next_ns = NO_FUNDING

    def __bool__(self) -> bool:
        return bool(self.rates)

    def add(self, symbol: Symbol, rates: FundingRates) -> None:
        """Settle ``rates`` on ``symbol`` from its first funding time on."""
        self.rates[symbol] = rates
        self._next[symbol] = 0
        self._update_next()

    def take_due(self, symbol: Symbol, until_ns: int) -> list[tuple[FundingRates, int]]:
        """``symbol``'s unsettled funding times up to ``until_ns`` (as rates and index),
        marked settled."""
        rates = self.rates.get(symbol)
        due: list[tuple[FundingRates, int]] = []
        if rates is not None:
            k, times = self._next[symbol], rates.ts
            while k < len(times) and times[k] <= until_ns:
                due.append((rates, k))
                k += 1
            self._next[symbol] = k
        self._update_next()
        return due

    def _update_next(self) -> None:
        earliest = NO_FUNDING
        for symbol, rates in self.rates.items():
            k = self._next[symbol]
            if k < len(rates):
                earliest = min(earliest, int(rates.ts[k]))
        self.next_ns = earliest


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        result = Decimal(value)
        if result.is_finite():
            return result
    raise ValueError(f"maintenance margin {name} must be a finite number, got {value!r}")


def _times(frame: pd.DataFrame, what: str) -> pd.DatetimeIndex:
    if not isinstance(frame, pd.DataFrame):
        raise FundingDataError(f"{what} data must be a DataFrame, got {type(frame).__name__}")
    if "date" in frame.columns:
        raw = frame["date"]
    elif isinstance(frame.index, pd.DatetimeIndex):
        raw = frame.index.to_series()
    else:
        raise FundingDataError(
            f"{what} frame has no 'date' column and no DatetimeIndex; "
            f"columns: {list(frame.columns)}"
        )
    if not pd.api.types.is_datetime64_any_dtype(raw):
        raise FundingDataError(f"{what} times must be datetimes, got dtype {raw.dtype}")
    times = pd.DatetimeIndex(raw)
    if times.hasnans:
        at = int(np.flatnonzero(times.isna())[0])
        raise FundingDataError(f"{what} time missing (NaT) in row {at}")
    if times.tz is None:
        times = times.tz_localize("UTC")
    return times.tz_convert("UTC").as_unit("ns")


def _finite(
    values: ArrayLike, what: str, ts: NDArray[np.int64], *, positive: bool = False
) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != ts.shape:
        raise FundingDataError(f"{len(ts)} funding times but {array.shape} {what}s")
    bad = ~np.isfinite(array)
    if positive:
        bad |= array <= 0
    if bad.any():
        rows = np.flatnonzero(bad)
        kind = "NaN, infinite or not positive" if positive else "NaN or infinite"
        raise FundingDataError(f"{what} {kind} at {len(rows)} funding time(s): {_stamps(ts[rows])}")
    return array


def _check_order(ts: NDArray[np.int64]) -> None:
    if len(ts) < 2:
        return
    step = np.diff(ts)
    repeated = np.flatnonzero(step == 0)
    if len(repeated):
        raise FundingDataError(
            f"duplicate funding times ({len(repeated)}): {_stamps(ts[repeated])}"
        )
    back = np.flatnonzero(step < 0)
    if len(back):
        k = int(back[0])
        raise FundingDataError(
            f"funding times are not sorted: {_stamp(ts[k + 1])} (row {k + 1}) comes after "
            f"{_stamp(ts[k])} (row {k}); sort them first"
        )


def _marks_at(ts: NDArray[np.int64], mark: pd.DataFrame, column: str) -> NDArray[np.float64]:
    times = _times(mark, "mark")
    if column not in mark.columns:
        raise FundingDataError(
            f"mark frame has no column {column!r}; columns: {list(mark.columns)}"
        )
    values = pd.to_numeric(mark[column], errors="coerce").to_numpy(dtype=np.float64)
    by_time = pd.Series(values, index=times.asi8)
    if by_time.index.has_duplicates:
        dup = by_time.index[by_time.index.duplicated()].to_numpy()
        raise FundingDataError(f"duplicate mark times: {_stamps(dup)}")
    found = by_time.reindex(ts)
    missing = ts[found.isna().to_numpy() & ~np.isin(ts, by_time.index[by_time.isna()])]
    if len(missing):
        raise FundingDataError(
            f"no mark candle at {len(missing)} funding time(s): {_stamps(missing)}; give mark "
            "candles covering every funding time, or none (the bar's close is used)"
        )
    return found.to_numpy(dtype=np.float64)


def _stamp(t: int | np.integer) -> str:
    return pd.Timestamp(int(t), tz="UTC").isoformat()


def _stamps(ts: Iterable[int] | NDArray[np.int64]) -> str:
    values = [int(t) for t in ts]
    shown = ", ".join(_stamp(t) for t in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")
