"""Summary statistics of a backtest: a typed mapping, the same figures ``--json`` prints.

Conventions (``docs/backtesting.md``, section "Statistics", has every formula):

* The equity curve is **anchored**: the initial cash at the first bar's open, then the equity at
  every bar close. Returns are the per-bar simple returns of that curve, with equity floored at
  0: the bar that loses everything returns -100 %, the bars after it 0.
* **Annualization** follows the bar length and a :class:`Calendar` (crypto: 365 days of 24 h,
  ``periods_per_year = 365 × 86,400 / bar seconds``; ``"equity"``: 252 days of 6.5 h).
  Volatility, Sharpe and Sortino scale by ``sqrt(periods_per_year)``. CAGR counts calendar
  years of 365 days from the first bar's open to the last bar's close.
* The **risk-free rate** is annual, compounded to a per-bar rate
  ``(1 + rate) ** (1 / periods_per_year) - 1`` and subtracted from every return.
* Every value is defined, without warnings, for runs with no trades and for runs that lose
  everything: a ratio ``x / 0`` is ``inf`` (``-inf``) when ``x > 0`` (``x < 0``) and ``0.0``
  when ``x == 0``, except volatility, Sharpe, Sortino and SQN, which are ``0.0`` without
  dispersion (fewer than two values, or all equal).
  :meth:`Stats.to_json` writes non-finite numbers as ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

Floats = NDArray[np.float64]

DAY_SECONDS = 86_400.0
WEEK_SECONDS = 7 * DAY_SECONDS
YEAR_SECONDS = 365 * DAY_SECONDS


@dataclass(frozen=True, slots=True)
class Calendar:
    """When a market trades, which decides how many bars make a year.

    Parameters
    ----------
    trading_days : float
        Trading days in a year: 365 for crypto, 252 for stock exchanges.
    session_hours : float
        Trading hours in a trading day: 24 for crypto, 6.5 for NYSE.
    """

    trading_days: float
    session_hours: float

    def periods_per_year(self, bar_seconds: float) -> float:
        """Bars of ``bar_seconds`` in a year.

        Intraday bars (shorter than a session) count ``trading_days × session / bar``; bars
        from a session up to a week count as trading days, ``trading_days × 1 day / bar`` (a
        daily bar is one trading day); bars of a week or longer count calendar time,
        ``365 days / bar``. For crypto (365 days of 24 h) all three are
        ``365 × 86,400 / bar_seconds``.

        Parameters
        ----------
        bar_seconds : float
            Length of one bar, > 0.

        Returns
        -------
        float
            Periods per year, e.g. 8,760 for hourly crypto bars, 252 for daily stock bars.
        """
        if bar_seconds <= 0:
            raise ValueError(f"bar length must be positive, got {bar_seconds} s")
        session = self.session_hours * 3_600.0
        if bar_seconds >= WEEK_SECONDS:
            return YEAR_SECONDS / bar_seconds
        if bar_seconds >= session:
            return self.trading_days * DAY_SECONDS / bar_seconds
        return self.trading_days * session / bar_seconds


CRYPTO = Calendar(trading_days=365, session_hours=24)
"""Markets trading around the clock: 365 days × 24 h."""

EQUITY = Calendar(trading_days=252, session_hours=6.5)
"""Stock exchanges: 252 trading days of 6.5 h (NYSE)."""

CALENDARS: dict[str, Calendar] = {"crypto": CRYPTO, "equity": EQUITY}
"""Calendars by the name ``BacktestConfig.calendar`` takes."""


class _FieldMapping(Mapping[str, Any]):
    """A dataclass that also reads as a mapping of its fields, in their order."""

    __slots__ = ()
    _keys: ClassVar[tuple[str, ...]] = ()

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True, slots=True)
class SymbolStats(_FieldMapping):
    """One symbol's trades.

    Attributes
    ----------
    trades : int
        Closed trades.
    win_rate_pct : float
        Closed trades with a positive net PnL, percent of ``trades`` (0.0 without trades).
    pnl : float
        Net PnL (fees included) of the closed trades.
    fees : float
        Fees of every trade of the symbol, open ones included.
    """

    trades: int
    win_rate_pct: float
    pnl: float
    fees: float


SymbolStats._keys = tuple(f.name for f in fields(SymbolStats))


@dataclass(frozen=True, slots=True)
class Stats(_FieldMapping):
    """The statistics of one run: attributes (``stats.sharpe``) and a read-only mapping
    (``stats["sharpe"]``, ``dict(stats)``) in this order.

    Percentages are in percent (``total_return_pct=12.5`` is +12.5 %), ratios plain floats,
    money from the exact ledger ``Decimal``. See the module docstring for the conventions and
    ``docs/backtesting.md`` for the formulas.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    duration: pd.Timedelta
    exposure_pct: float
    final_equity: Decimal
    peak_equity: float
    total_return_pct: float
    buy_and_hold_return_pct: float
    cagr_pct: float
    volatility_ann_pct: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown_pct: float
    max_drawdown_duration: pd.Timedelta
    avg_drawdown_pct: float
    avg_drawdown_duration: pd.Timedelta
    trades: int
    open_trades: int
    win_rate_pct: float
    best_trade_pct: float
    worst_trade_pct: float
    avg_trade_pct: float
    profit_factor: float
    expectancy: float
    sqn: float
    kelly: float
    avg_trade_duration: pd.Timedelta
    max_trade_duration: pd.Timedelta
    fees: Decimal
    funding_paid: Decimal
    periods_per_year: float
    risk_free_rate: float
    per_symbol: dict[str, SymbolStats]

    def to_json(self) -> dict[str, Any]:
        """The statistics as JSON-ready values.

        Returns
        -------
        dict
            Timestamps as ISO 8601 text, durations as pandas' text (``"3 days 02:00:00"``),
            ``Decimal`` as its exact text, ``inf`` and ``nan`` as ``None`` (JSON ``null``),
            ``per_symbol`` as nested objects.
        """
        return {key: _jsonable(getattr(self, key)) for key in self._keys}


Stats._keys = tuple(f.name for f in fields(Stats))


NAT_NS = np.iinfo(np.int64).min
"""A missing time (NaT) as int64 nanoseconds: the exit time of a trade still open."""


@dataclass(frozen=True, slots=True)
class TradeColumns:
    """The round trips as the statistics read them: one array per figure, a row per trade.

    Attributes
    ----------
    symbol : ndarray of object
        The symbols, as text.
    entry_ns, exit_ns : ndarray of int64
        Entry and exit times, ns UTC; ``exit_ns`` is :data:`NAT_NS` while the trade is open.
    net_pnl, return_pct, fees : ndarray of float64
        Net PnL (fees included), net PnL over the entry notional in percent, fees paid.
    """

    symbol: NDArray[np.object_]
    entry_ns: NDArray[np.int64]
    exit_ns: NDArray[np.int64]
    net_pnl: Floats
    return_pct: Floats
    fees: Floats

    def __len__(self) -> int:
        return len(self.entry_ns)

    @property
    def closed(self) -> NDArray[np.bool_]:
        """Which trades are closed."""
        closed: NDArray[np.bool_] = self.exit_ns != NAT_NS
        return closed

    @classmethod
    def of_frame(cls, trades: pd.DataFrame) -> TradeColumns:
        """The columns of a trades table (``BacktestResult.trades``'s columns; a table without
        ``exit_time`` has only open trades, one without rows none)."""
        n = len(trades)
        if not n or "exit_time" not in trades:
            zeros = np.zeros(n)
            return cls(np.full(n, "", dtype=object), np.zeros(n, dtype=np.int64),
                       np.full(n, NAT_NS, dtype=np.int64), zeros, zeros, zeros)  # fmt: skip
        return cls(
            trades["symbol"].astype(str).to_numpy(dtype=object),
            _ns(trades["entry_time"]),
            _ns(trades["exit_time"]),
            trades["net_pnl"].to_numpy(dtype=np.float64),
            _floats(trades, "return_pct"),
            _floats(trades, "fees"),
        )


def _floats(trades: pd.DataFrame, column: str) -> Floats:
    if column not in trades:
        return np.zeros(len(trades))
    return trades[column].to_numpy(dtype=np.float64)


def _ns(times: pd.Series) -> NDArray[np.int64]:
    return pd.DatetimeIndex(times).as_unit("ns").asi8


def _jsonable(value: object) -> object:
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def compute_stats(
    equity: pd.Series,
    trades: pd.DataFrame,
    *,
    initial_cash: Decimal,
    final_equity: Decimal,
    fees: Decimal = Decimal(0),
    funding_paid: Decimal = Decimal(0),
    buy_and_hold: float = 0.0,
    exposure: float = 0.0,
    bar_seconds: float | None = None,
    calendar: Calendar = CRYPTO,
    risk_free_rate: float = 0.0,
    periods_per_year: float | None = None,
) -> Stats:
    """The statistics of one run.

    Parameters
    ----------
    equity : Series
        Equity at every bar close (DatetimeIndex of close times, UTC), at least one bar.
    trades : DataFrame
        Round trips as :attr:`BacktestResult.trades` has them (``symbol``, ``entry_time``,
        ``exit_time`` (NaT while open), ``net_pnl``, ``return_pct``, ``fees``); may be empty.
    initial_cash, final_equity : Decimal
        Exact starting balance (> 0) and final equity.
    fees, funding_paid : Decimal
        Exact totals paid (funding: negative when received).
    buy_and_hold : float
        Return of holding the first symbol, a fraction.
    exposure : float
        Share of bars with an open position, 0 to 1.
    bar_seconds : float, optional
        Bar length; default: the median spacing of ``equity`` (one day for a single bar).
    calendar : Calendar
        Decides the periods per year (default :data:`CRYPTO`).
    risk_free_rate : float
        Annual risk-free rate, a fraction (0.04 is 4 %).
    periods_per_year : float, optional
        Overrides the calendar's periods per year.

    Returns
    -------
    Stats
        Every statistic; see the module docstring for the conventions and edge cases.
    """
    return stats_of_columns(
        pd.DatetimeIndex(equity.index).as_unit("ns").asi8,
        equity.to_numpy(dtype=np.float64),
        TradeColumns.of_frame(trades),
        initial_cash=initial_cash,
        final_equity=final_equity,
        fees=fees,
        funding_paid=funding_paid,
        buy_and_hold=buy_and_hold,
        exposure=exposure,
        bar_seconds=bar_seconds,
        calendar=calendar,
        risk_free_rate=risk_free_rate,
        periods_per_year=periods_per_year,
        by_symbol="exit_time" in trades,
    )


def stats_of_columns(
    closes: NDArray[np.int64],
    equity: Floats,
    trades: TradeColumns,
    *,
    initial_cash: Decimal,
    final_equity: Decimal,
    fees: Decimal = Decimal(0),
    funding_paid: Decimal = Decimal(0),
    buy_and_hold: float = 0.0,
    exposure: float = 0.0,
    bar_seconds: float | None = None,
    calendar: Calendar = CRYPTO,
    risk_free_rate: float = 0.0,
    periods_per_year: float | None = None,
    by_symbol: bool = True,
) -> Stats:
    """:func:`compute_stats` on arrays: the equity curve and the round trips as columns, no
    DataFrame built (the same figures, bit for bit).

    Parameters
    ----------
    closes : ndarray of int64
        Bar close times, ns UTC (the equity curve's index), at least one.
    equity : ndarray of float64
        Equity at every close.
    trades : TradeColumns
        The round trips.
    by_symbol : bool
        Compute ``per_symbol`` (default); ``False`` leaves it empty, for a caller that never
        reads it (a parameter search keeps every other statistic of each run).
    initial_cash, final_equity, fees, funding_paid, buy_and_hold, exposure, bar_seconds,
    calendar, risk_free_rate, periods_per_year
        As for :func:`compute_stats`.

    Returns
    -------
    Stats
    """
    if not len(equity):
        raise ValueError("statistics need an equity curve of at least one bar")
    step = bar_seconds or _median_step(closes)
    periods = periods_per_year or calendar.periods_per_year(step)
    times = np.concatenate(([closes[0] - round(step * 1e9)], closes))
    values = np.concatenate(([float(initial_cash)], equity))
    curve = _curve_stats(values, times, periods, risk_free_rate)
    start, end = pd.Timestamp(times[0], tz="UTC"), pd.Timestamp(times[-1], tz="UTC")
    return Stats(
        start=start,
        end=end,
        duration=end - start,
        exposure_pct=100.0 * exposure,
        final_equity=final_equity,
        total_return_pct=100.0 * float(final_equity / initial_cash - 1),
        buy_and_hold_return_pct=100.0 * buy_and_hold,
        fees=fees,
        funding_paid=funding_paid,
        periods_per_year=periods,
        risk_free_rate=risk_free_rate,
        per_symbol=_per_symbol(trades) if by_symbol else {},
        **curve,
        **_trade_stats(trades),
    )


def _median_step(closes: NDArray[np.int64]) -> float:
    return float(np.median(np.diff(closes))) / 1e9 if len(closes) > 1 else DAY_SECONDS


def _curve_stats(
    values: Floats, times: NDArray[np.int64], periods: float, risk_free_rate: float
) -> dict[str, Any]:
    returns = equity_returns(values)
    risk_free = per_period_rate(risk_free_rate, periods)
    volatility, sharpe, sortino = _return_ratios(returns, periods, risk_free)
    growth = cagr(values, float(times[-1] - times[0]) / 1e9 / YEAR_SECONDS)
    depth = drawdowns(values)
    worst = float(depth.min())
    return {
        "peak_equity": float(values.max()),
        "cagr_pct": 100.0 * growth,
        "volatility_ann_pct": 100.0 * volatility,
        "sharpe": sharpe,
        "sortino": sortino,
        "calmar": _ratio(growth, -worst),
        **_drawdown_stats(depth, times),
    }


def equity_returns(values: Floats) -> Floats:
    """Per-bar simple returns of an equity curve floored at 0.

    Parameters
    ----------
    values : ndarray
        Equity, the first value the (positive) starting balance.

    Returns
    -------
    ndarray
        ``values[i] / values[i - 1] - 1``, one shorter than ``values``; -1 on the bar where
        equity reaches 0 or below, 0 on the bars after (nothing left to grow).
    """
    if _positive(values):  # nothing to floor, no zero to divide by: one division
        return values[1:] / values[:-1] - 1.0
    floored = np.maximum(values, 0.0)
    before = floored[:-1]
    ratio = np.divide(floored[1:], before, out=np.ones(len(before)), where=before > 0)
    return ratio - 1.0


def per_period_rate(annual_rate: float, periods: float) -> float:
    """The per-bar rate compounding to ``annual_rate`` over ``periods`` bars:
    ``(1 + annual_rate) ** (1 / periods) - 1``."""
    return math.expm1(math.log1p(annual_rate) / periods) if annual_rate else 0.0


def annualized_volatility(returns: Floats, periods: float) -> float:
    """Sample standard deviation of ``returns`` (ddof=1) × ``sqrt(periods)``; 0.0 with
    fewer than two returns or constant returns."""
    if _constant(returns):
        return 0.0
    return float(np.std(returns, ddof=1)) * math.sqrt(periods)


def _return_ratios(returns: Floats, periods: float, risk_free: float) -> tuple[float, float, float]:
    """:func:`annualized_volatility`, :func:`sharpe_ratio` and :func:`sortino_ratio`; without a
    risk-free rate the excess returns are the returns, and the three share their passes over
    the array (the same figures)."""
    if risk_free:
        return (
            annualized_volatility(returns, periods),
            sharpe_ratio(returns, periods, risk_free),
            sortino_ratio(returns, periods, risk_free),
        )
    if _constant(returns):
        return 0.0, 0.0, 0.0
    mean, std, root = np.mean(returns), np.std(returns, ddof=1), math.sqrt(periods)
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    return float(std) * root, float(mean / std) * root, _ratio(float(mean), downside) * root


def sharpe_ratio(returns: Floats, periods: float, risk_free: float = 0.0) -> float:
    """``mean(r - rf) / std(r - rf, ddof=1) × sqrt(periods)``, ``rf`` per bar.

    Returns
    -------
    float
        0.0 with fewer than two returns or constant excess returns (no volatility).
    """
    excess = returns - risk_free
    if _constant(excess):
        return 0.0
    return float(np.mean(excess) / np.std(excess, ddof=1)) * math.sqrt(periods)


def sortino_ratio(returns: Floats, periods: float, risk_free: float = 0.0) -> float:
    """``mean(r - rf) / sqrt(mean(min(r - rf, 0) ** 2)) × sqrt(periods)``, ``rf`` per bar
    (the downside deviation is taken over every bar, as Sortino defines it).

    Returns
    -------
    float
        0.0 with fewer than two returns or constant excess returns (as Sharpe: a flat curve
        takes no risk, even when it trails ``rf``); ``inf`` when no bar falls short of ``rf``
        but the mean exceeds it.
    """
    excess = returns - risk_free
    if _constant(excess):
        return 0.0
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    return _ratio(float(np.mean(excess)), downside) * math.sqrt(periods)


def cagr(values: Floats, years: float) -> float:
    """Compound annual growth rate of an equity curve: ``(values[-1] / values[0]) ** (1 /
    years) - 1``.

    Parameters
    ----------
    values : ndarray
        Equity, the first value the (positive) starting balance.
    years : float
        Time from the first to the last value in years of 365 days (calendar time, whatever
        the market's calendar: gaps in the data count).

    Returns
    -------
    float
        -1.0 when the final equity is 0 or below; 0.0 when ``years`` is 0; ``inf`` beyond the
        float range (a large gain over a short run).
    """
    if years <= 0:
        return 0.0
    growth = max(float(values[-1]), 0.0) / float(values[0])
    if growth <= 0:
        return -1.0
    exponent = math.log(growth) / years
    return math.inf if exponent > 700 else math.expm1(exponent)


def drawdowns(values: Floats) -> Floats:
    """``equity / running peak - 1`` at every point, equity floored at 0 (at worst -1).

    Parameters
    ----------
    values : ndarray
        Equity, the first value the (positive) starting balance.

    Returns
    -------
    ndarray
        Drawdown at every point, 0 at a new peak.
    """
    if _positive(values):  # nothing to floor, every peak above 0: one division
        return values / np.maximum.accumulate(values) - 1.0
    floored = np.maximum(values, 0.0)
    peak = np.maximum.accumulate(floored)
    return np.divide(floored, peak, out=np.ones(len(peak)), where=peak > 0) - 1.0


def _positive(values: Floats) -> bool:
    """Every value above 0 (and none NaN): what makes the floors and guards above no-ops."""
    return bool(len(values)) and float(values.min()) > 0


def _drawdown_stats(depth: Floats, times: NDArray[np.int64]) -> dict[str, Any]:
    """Depth and duration of every drawdown (``depth``: :func:`drawdowns` at ``times``): a run
    of points below the running peak, from the peak's time to the first point back at it (or
    the last point when it never recovers)."""
    edges = np.diff(np.concatenate(([0], (depth < 0).astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)  # first point under water; the peak is the one before
    if not len(starts):
        zero = pd.Timedelta(0)
        return {"max_drawdown_pct": 0.0, "avg_drawdown_pct": 0.0,
                "max_drawdown_duration": zero, "avg_drawdown_duration": zero}  # fmt: skip
    ends = np.minimum(np.flatnonzero(edges == -1), len(times) - 1)
    lengths = times[ends] - times[starts - 1]
    return {
        "max_drawdown_pct": 100.0 * float(depth.min()),
        "avg_drawdown_pct": 100.0 * float(np.minimum.reduceat(depth, starts).mean()),
        "max_drawdown_duration": pd.Timedelta(int(lengths.max()), unit="ns"),
        "avg_drawdown_duration": _mean_duration(lengths),
    }


def _mean_duration(lengths: NDArray[np.int64]) -> pd.Timedelta:
    """The mean of durations in ns, to the second."""
    return pd.Timedelta(round(float(lengths.mean()) / 1e9), unit="s")


def _trade_stats(trades: TradeColumns) -> dict[str, Any]:
    closed = trades.closed
    count = int(np.count_nonzero(closed))
    if not count:
        zero = pd.Timedelta(0)
        return {"trades": 0, "open_trades": len(trades), "win_rate_pct": 0.0,
                "best_trade_pct": 0.0, "worst_trade_pct": 0.0, "avg_trade_pct": 0.0,
                "profit_factor": 0.0, "expectancy": 0.0, "sqn": 0.0, "kelly": 0.0,
                "avg_trade_duration": zero, "max_trade_duration": zero}  # fmt: skip
    net = trades.net_pnl[closed]
    pct = trades.return_pct[closed]
    held = trades.exit_ns[closed] - trades.entry_ns[closed]
    return {
        "trades": count,
        "open_trades": len(trades) - count,
        "win_rate_pct": 100.0 * float(np.mean(net > 0)),
        "best_trade_pct": float(pct.max()),
        "worst_trade_pct": float(pct.min()),
        "avg_trade_pct": float(pct.mean()),
        "profit_factor": profit_factor(net),
        "expectancy": float(net.mean()),
        "sqn": sqn(net),
        "kelly": kelly(net),
        "avg_trade_duration": _mean_duration(held),
        "max_trade_duration": pd.Timedelta(int(held.max()), unit="ns"),
    }


def profit_factor(net: Floats) -> float:
    """Gross profit / gross loss of the trades' net PnL: ``inf`` with winners and no loser,
    0.0 without winners (no trades, only losers or only breakevens)."""
    return _ratio(float(net[net > 0].sum()), float(-net[net < 0].sum()))


def sqn(net: Floats) -> float:
    """Van Tharp's system quality number, ``sqrt(n) × mean(pnl) / std(pnl, ddof=1)``; 0.0
    with fewer than two trades or equal PnLs."""
    if _constant(net):
        return 0.0
    return math.sqrt(len(net)) * float(np.mean(net) / np.std(net, ddof=1))


def kelly(net: Floats) -> float:
    """Kelly criterion ``W - (1 - W) / R`` of the trades' net PnL: ``W`` the win rate, ``R``
    the average win over the average loss.

    Returns
    -------
    float
        0.0 without trades; ``W`` without losing trades (``R`` infinite); ``-inf`` with
        losing trades and no winner (``R`` = 0: never bet).
    """
    if not len(net):
        return 0.0
    wins, losses = net[net > 0], -net[net < 0]
    win_rate = len(wins) / len(net)
    if not len(losses):
        return win_rate
    if not len(wins):
        return -math.inf
    return win_rate - (1.0 - win_rate) * float(losses.mean()) / float(wins.mean())


def _per_symbol(trades: TradeColumns) -> dict[str, SymbolStats]:
    if not len(trades):
        return {}
    closed = trades.closed
    net = trades.net_pnl
    table = (
        pd.DataFrame(
            {
                "symbol": trades.symbol,
                "closed": closed.astype(np.int64),
                "wins": (closed & (net > 0)).astype(np.int64),
                "pnl": np.where(closed, net, 0.0),
                "fees": trades.fees,
            }
        )
        .groupby("symbol", sort=True)
        .sum()
    )
    return {
        str(symbol): SymbolStats(
            trades=int(n),
            win_rate_pct=100.0 * int(wins) / int(n) if n else 0.0,
            pnl=float(pnl),
            fees=float(fee),
        )
        for symbol, n, wins, pnl, fee in zip(
            table.index, table["closed"], table["wins"], table["pnl"], table["fees"], strict=True
        )
    }


def _constant(values: Floats) -> bool:
    """Fewer than two values or all equal: no dispersion (a sample deviation computed anyway
    can be a 1e-18 residue instead of 0)."""
    return len(values) < 2 or float(np.ptp(values)) == 0.0


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; over a zero denominator ``±inf`` by the numerator's sign,
    0.0 for ``0 / 0``."""
    if denominator > 0:
        return numerator / denominator
    return math.copysign(math.inf, numerator) if numerator else 0.0
