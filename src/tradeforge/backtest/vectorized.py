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

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.backtest.matching import NEVER, bar_path, first_touch, price_at
from tradeforge.common.jit import njit

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class SignalRun:
    """Fills and equity of a vectorized run (float64)."""

    fill_bar: NDArray[np.int64]
    fill_side: NDArray[np.int64]
    fill_qty: FloatArray
    fill_price: FloatArray
    fill_fee: FloatArray
    equity: FloatArray
    final_equity: float
    cash: float
    position: float

    def trades(self) -> pd.DataFrame:
        """Round trips (entry and exit bar time and price, size, PnL net of fees)."""
        buys = np.flatnonzero(self.fill_side > 0)
        sells = np.flatnonzero(self.fill_side < 0)
        rows = []
        for k, b in enumerate(buys):
            s = sells[k] if k < len(sells) else -1
            qty, entry = self.fill_qty[b], self.fill_price[b]
            exit_px = self.fill_price[s] if s >= 0 else np.nan
            fees = self.fill_fee[b] + (self.fill_fee[s] if s >= 0 else 0.0)
            rows.append({
                "entry_bar": int(self.fill_bar[b]),
                "exit_bar": int(self.fill_bar[s]) if s >= 0 else -1,
                "entry_price": float(entry), "exit_price": float(exit_px), "size": float(qty),
                "pnl": float(qty * (exit_px - entry)) if s >= 0 else np.nan,
                "fees": float(fees),
            })  # fmt: skip
        return pd.DataFrame(rows)


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
    bars, sides, qtys, prices, fees, equity, count, final_cash, position = out
    k = int(count)
    final = float(final_cash + position * c[-1]) if n else float(cash)
    return SignalRun(bars[:k], sides[:k], qtys[:k], prices[:k], fees[:k], equity, final,
                     float(final_cash), float(position))  # fmt: skip


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
) -> tuple[NDArray[np.int64], NDArray[np.int64], FloatArray, FloatArray, FloatArray, FloatArray,
           int, float, float]:  # fmt: skip
    n = len(c)
    bars = np.empty(capacity, dtype=np.int64)
    sides = np.empty(capacity, dtype=np.int64)
    qtys = np.empty(capacity)
    prices = np.empty(capacity)
    fees = np.empty(capacity)
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
                count, cash, position, entry_price = _fill(
                    signal, c[i], i, cash, position, entry_price, fee, quantity, fraction, step,
                    bars, sides, qtys, prices, fees, count,
                )  # fmt: skip
            elif i + 1 < n:
                pending = signal
        equity[i] = cash + position * c[i]
    return bars, sides, qtys, prices, fees, equity, count, cash, position


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
