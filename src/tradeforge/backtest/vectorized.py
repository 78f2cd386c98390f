"""The vectorized signal mode: entry and exit arrays in, trades out, compiled.

The strategy supplies boolean ``entries`` and ``exits`` over its primary series (decided at each
bar's close, without looking ahead); :func:`simulate_signals` trades them with the same order
semantics as the event-driven engine, in one numba-compiled pass:

* an entry while flat sends a market buy of ``quantity`` (or of ``fraction`` of equity, sized
  at the fill price as ``floor(value / (price * (1 + fee)) / step) * step``);
* an exit while long sends a market sell of the whole position;
* market orders fill where the matching core says (:func:`~tradeforge.backtest.matching.price_at`
  at the start of the next bar's path, i.e. its open; or at the signal bar's close with
  ``fill_at_close``);
* optional ``stop_loss`` / ``take_profit`` (fractions of the entry price) rest from the bar after
  the entry and trigger where :func:`~tradeforge.backtest.matching.first_touch` finds them on the
  bar's path (low first for a long: the adverse assumption), filling at the level or the open
  when gapped;
* fees are ``qty * price * fee`` on every fill.

It is the fast path for parameter sweeps; for the same strategy it produces the trades of the
event-driven mode (the benchmark checks it on a million bars).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.engine import BacktestEngine, _with_commission
from tradeforge.backtest.matching import NEVER, bar_path, first_touch, price_at
from tradeforge.common.jit import njit
from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument
from tradeforge.strategy.base import Strategy
from tradeforge.strategy.context import StrategyContext

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class SignalRun:
    """Fills and equity of a vectorized run (float64).

    ``fill_at_close`` is True for a fill at its bar's close (a market order with
    ``fill_at_close``), False for one during the bar (at the open, or a stop loss or take
    profit on the bar's path); None means every fill is during its bar.
    """

    fill_bar: NDArray[np.int64]
    fill_side: NDArray[np.int64]
    fill_qty: FloatArray
    fill_price: FloatArray
    fill_fee: FloatArray
    equity: FloatArray
    final_equity: float
    cash: float
    position: float
    fill_at_close: BoolArray | None = None

    def round_trip_fills(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """The fills of each round trip, in order.

        Returns
        -------
        entries : numpy.ndarray of int
            Index of each buy fill.
        exits : numpy.ndarray of int
            Index of the sell fill that closed it, -1 while the position is open.
        """
        buys = np.flatnonzero(self.fill_side > 0)
        sells = np.flatnonzero(self.fill_side < 0)
        # fills alternate buy, sell, buy ...: the k-th sell closes the k-th buy
        exits = np.full(len(buys), -1, dtype=np.intp)
        exits[: len(sells)] = sells
        return buys, exits

    def trades(self) -> pd.DataFrame:
        """Round trips: entry and exit bar and price, size, PnL and fees.

        One row per buy, in order: ``entry_bar``, ``exit_bar`` (-1 while still open),
        ``entry_price``, ``exit_price`` (NaN while open), ``size``, ``pnl`` (before fees, NaN
        while open) and ``fees`` (of both fills).
        """
        buys, exit_rows = self.round_trip_fills()
        closed = exit_rows >= 0
        row = np.where(closed, exit_rows, 0)  # any valid row where there is no exit
        qty, entry = self.fill_qty[buys], self.fill_price[buys]
        exit_px = np.where(closed, self.fill_price[row], np.nan)
        return pd.DataFrame({
            "entry_bar": self.fill_bar[buys],
            "exit_bar": np.where(closed, self.fill_bar[row], -1),
            "entry_price": entry, "exit_price": exit_px, "size": qty,
            "pnl": qty * (exit_px - entry),
            "fees": self.fill_fee[buys] + np.where(closed, self.fill_fee[row], 0.0),
        })  # fmt: skip


def bind_strategy(
    strategy: Strategy,
    series: list[BarSeries],
    instruments: list[Instrument],
    config: BacktestConfig,
) -> Instrument:
    """Attach ``strategy`` to ``series`` for a vectorized run, without building an engine.

    The strategy gets the series it declares applicable at once (all that ``on_start`` and
    :meth:`~tradeforge.strategy.base.Strategy.signals` need to compute indicators). The rest
    of its context (clock, portfolio, execution, instruments, order ids) is the one a full
    :class:`~tradeforge.backtest.engine.BacktestEngine` gives it, built the first time the
    strategy reaches for any of it; most strategies never do, and skip the engine's cost.

    Parameters
    ----------
    strategy : Strategy
        A new strategy instance.
    series : list of BarSeries
        Fresh series (their own cursors); the first is the primary series.
    instruments : list of Instrument
        The backtest's instruments (before the configured commission).
    config : BacktestConfig
        The backtest's configuration.

    Returns
    -------
    Instrument
        The primary series' instrument, with the configured commission.

    Raises
    ------
    ValueError
        When a series has no instrument or the strategy trades none of the symbols (as the
        engine would).
    """
    by_symbol = {i.symbol: i for i in instruments}
    missing = {s.symbol for s in series} - set(by_symbol)
    if missing:
        raise ValueError(f"no instrument for {', '.join(map(str, missing))}")
    applicable = [s for s in series if strategy.is_applicable(s.symbol)]
    if not applicable:
        raise ValueError(f"strategy {strategy.strategy_id} trades none of the given symbols")

    def engine_context() -> StrategyContext:
        engine = BacktestEngine(series, instruments, config)
        engine.add_strategy(strategy)  # binds the strategy to the engine's own context
        return strategy.ctx

    strategy._bind(_DeferredContext(strategy.strategy_id, applicable, engine_context))
    return _with_commission(by_symbol[series[0].symbol], config.commission)


class _DeferredContext(StrategyContext):
    """A strategy context whose series are set and whose other services (every other field of
    :class:`StrategyContext`) come from ``build()``, called on first use."""

    def __init__(
        self, strategy_id: str, series: list[BarSeries], build: Callable[[], StrategyContext]
    ) -> None:
        # the dataclass __init__ is skipped on purpose: unset fields go through __getattr__
        self.strategy_id = strategy_id
        self.series = series
        self._build = build

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "_build" not in self.__dict__:
            raise AttributeError(name)
        real = self.__dict__.get("_real")
        if real is None:
            real = self._real = self._build()
        return getattr(real, name)

    def __repr__(self) -> str:
        labels = ", ".join(s.label for s in self.series)
        return f"_DeferredContext({self.strategy_id!r}, [{labels}])"


def simulate_signals(  # noqa: PLR0917 - bars and signals are arrays by position
    o: FloatArray,
    h: FloatArray,
    low: FloatArray,
    c: FloatArray,
    entries: BoolArray,
    exits: BoolArray,
    *,
    cash: float,
    fee: float,
    quantity: float = 0.0,
    fraction: float = 0.0,
    step: float = 1e-8,
    fill_at_close: bool = False,
    stop_loss: float = 0.0,
    take_profit: float = 0.0,
) -> SignalRun:
    """Trade ``entries``/``exits`` over the bars (see the module docstring for the rules).

    Give exactly one of ``quantity`` (base units) or ``fraction`` (of equity, in (0, 1]).
    """
    n = len(c)
    for name, array in (("open", o), ("high", h), ("low", low), ("entries", entries),
                        ("exits", exits)):  # fmt: skip
        if len(array) != n:
            raise ValueError(f"{name} has {len(array)} values, close has {n}")
    if (quantity > 0) == (fraction > 0):
        raise ValueError("give exactly one of quantity > 0 or fraction > 0")
    capacity = 2 * int(np.count_nonzero(entries)) + 2
    out = _simulate(
        np.ascontiguousarray(o, dtype=np.float64), np.ascontiguousarray(h, dtype=np.float64),
        np.ascontiguousarray(low, dtype=np.float64), np.ascontiguousarray(c, dtype=np.float64),
        np.ascontiguousarray(entries, dtype=np.bool_), np.ascontiguousarray(exits, dtype=np.bool_),
        float(cash), float(fee), float(quantity), float(fraction), float(step),
        bool(fill_at_close), float(stop_loss), float(take_profit), capacity,
    )  # fmt: skip
    bars, sides, qtys, prices, fees, at_close, equity, count, final_cash, position = out
    k = int(count)
    final = float(final_cash + position * c[-1]) if n else float(cash)
    return SignalRun(bars[:k], sides[:k], qtys[:k], prices[:k], fees[:k], equity, final,
                     float(final_cash), float(position), at_close[:k])  # fmt: skip


@njit
def _simulate(  # noqa: PLR0917 - one compiled pass
    o: FloatArray,
    h: FloatArray,
    low: FloatArray,
    c: FloatArray,
    entries: BoolArray,
    exits: BoolArray,
    cash: float,
    fee: float,
    quantity: float,
    fraction: float,
    step: float,
    fill_at_close: bool,
    stop_loss: float,
    take_profit: float,
    capacity: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], FloatArray, FloatArray, FloatArray, BoolArray,
           FloatArray, int, float, float]:  # fmt: skip
    n = len(c)
    bars = np.empty(capacity, dtype=np.int64)
    sides = np.empty(capacity, dtype=np.int64)
    qtys = np.empty(capacity)
    prices = np.empty(capacity)
    fees = np.empty(capacity)
    at_close = np.zeros(capacity, dtype=np.bool_)
    equity = np.empty(n)
    count = 0
    position = 0.0
    pending = 0  # +1 buy, -1 sell, sent at the previous bar's close
    entry_price = 0.0
    for i in range(n):
        if pending != 0:
            path = bar_path(o[i], h[i], low[i], c[i], False)
            px = price_at(path, 0.0)
            count, cash, position, entry_price = _fill(
                pending, px, i, cash, position, entry_price, fee, quantity, fraction, step,
                bars, sides, qtys, prices, fees, count,
            )  # fmt: skip
            pending = 0
        elif position > 0 and (stop_loss > 0 or take_profit > 0):
            path = bar_path(o[i], h[i], low[i], c[i], False)
            hit, px = _exit_touch(path, entry_price, stop_loss, take_profit)
            if hit != NEVER:
                count, cash, position, entry_price = _fill(
                    -1, px, i, cash, position, entry_price, fee, quantity, fraction, step,
                    bars, sides, qtys, prices, fees, count,
                )  # fmt: skip
        signal = 0
        if entries[i] and position == 0:
            signal = 1
        elif exits[i] and position > 0:
            signal = -1
        if signal != 0:
            if fill_at_close:
                filled = count
                count, cash, position, entry_price = _fill(
                    signal, c[i], i, cash, position, entry_price, fee, quantity, fraction, step,
                    bars, sides, qtys, prices, fees, count,
                )  # fmt: skip
                at_close[filled] = count > filled
            elif i + 1 < n:
                pending = signal
        equity[i] = cash + position * c[i]
    return bars, sides, qtys, prices, fees, at_close, equity, count, cash, position


@njit
def _exit_touch(
    path: FloatArray, entry: float, stop_loss: float, take_profit: float
) -> tuple[float, float]:
    sl_hit, tp_hit = NEVER, NEVER
    if stop_loss > 0:
        sl_hit = first_touch(path, 0.0, entry * (1.0 - stop_loss), -1)
    if take_profit > 0:
        tp_hit = first_touch(path, 0.0, entry * (1.0 + take_profit), 1)
    if sl_hit == NEVER and tp_hit == NEVER:
        return NEVER, 0.0
    sl_first = tp_hit == NEVER or (sl_hit != NEVER and sl_hit <= tp_hit)
    hit = sl_hit if sl_first else tp_hit
    level = entry * (1.0 - stop_loss) if sl_first else entry * (1.0 + take_profit)
    px = price_at(path, 0.0) if hit == 0.0 else level
    return hit, px


@njit
def _fill(  # noqa: PLR0917 - compiled helper
    side: int,
    px: float,
    bar: int,
    cash: float,
    position: float,
    entry_price: float,
    fee: float,
    quantity: float,
    fraction: float,
    step: float,
    bars: NDArray[np.int64],
    sides: NDArray[np.int64],
    qtys: FloatArray,
    prices: FloatArray,
    fees: FloatArray,
    count: int,
) -> tuple[int, float, float, float]:
    if side > 0:
        if quantity > 0:
            qty = quantity
        else:
            value = fraction * cash
            qty = np.floor(value / (px * (1.0 + fee)) / step + 1e-9) * step
        if qty <= 0 or qty * px * (1.0 + fee) > cash + 1e-12:
            return count, cash, position, entry_price
        cost = qty * px
        cash -= cost + cost * fee
        position += qty
        entry_price = px
    else:
        qty = position
        value = qty * px
        cash += value - value * fee
        position = 0.0
    bars[count] = bar
    sides[count] = side
    qtys[count] = qty
    prices[count] = px
    fees[count] = qty * px * fee
    return count + 1, cash, position, entry_price
