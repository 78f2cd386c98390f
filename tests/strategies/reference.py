"""Independent reference simulations of the built-in strategies' documented rules.

They use pandas / TA-Lib for the signals and plain ``Decimal`` arithmetic for the account:
none of tradeforge's engine, indicators or sizing code, so agreement with a backtest is a real
cross-check. Every rule they implement is the one the strategy docstrings state: market orders
sized at the signal close (99 % of equity, taker fee included, truncated to the step) fill at
the next open; exits of the breakout's bracket at their level or, when gapped, at the open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, Context, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

STEP = Decimal("0.00000001")
FEE = Decimal("0.001")
FRACTION = Decimal("0.99")
TICK = Decimal("0.01")
HOUR = pd.Timedelta(hours=1)
X = Context(prec=100)
"""Products and sums are exact (as tradeforge's are); divisions keep 28 digits (the default)."""


def dec(x: Any) -> Decimal:
    """A float as tradeforge reads it: through its shortest text."""
    return Decimal(repr(float(x)))


def trunc(x: Decimal, step: Decimal = STEP) -> Decimal:
    """Truncate toward zero to a multiple of ``step``."""
    return (x / step).to_integral_value(ROUND_DOWN) * step


@dataclass(frozen=True)
class RefFill:
    """One simulated fill."""

    ts: pd.Timestamp
    symbol: str
    side: str  # "BUY" / "SELL"
    qty: Decimal
    price: Decimal


@dataclass
class Account:
    """A spot account in one quote currency, exact."""

    cash: Decimal
    held: dict[str, Decimal] = field(default_factory=dict)
    fills: list[RefFill] = field(default_factory=list)

    def qty(self, symbol: str) -> Decimal:
        return self.held.get(symbol, Decimal(0))

    def buy(self, ts: pd.Timestamp, symbol: str, qty: Decimal, price: Decimal) -> bool:
        """Buy when the cash covers it (the venue cancels the order otherwise)."""
        notional = X.multiply(qty, price)
        cost = X.add(notional, X.multiply(notional, FEE))
        if cost > self.cash:
            return False
        self.cash = X.subtract(self.cash, cost)
        self.held[symbol] = self.qty(symbol) + qty
        self.fills.append(RefFill(ts, symbol, "BUY", qty, price))
        return True

    def sell(self, ts: pd.Timestamp, symbol: str, qty: Decimal, price: Decimal) -> None:
        notional = X.multiply(qty, price)
        self.cash = X.add(self.cash, X.subtract(notional, X.multiply(notional, FEE)))
        self.held[symbol] = self.qty(symbol) - qty
        self.fills.append(RefFill(ts, symbol, "SELL", qty, price))

    def equity(self, closes: dict[str, Decimal]) -> Decimal:
        total = self.cash
        for symbol, qty in self.held.items():
            total = X.add(total, X.multiply(qty, closes[symbol]))
        return total


def affordable(cash: Decimal, close: float) -> Decimal:
    """99 % of ``cash`` (equity when flat) in base units at ``close``, taker fee included."""
    return trunc(X.multiply(cash, FRACTION) / X.multiply(dec(close), 1 + FEE))


def crosses_above(a: npt.ArrayLike, b: npt.ArrayLike | float) -> npt.NDArray[np.bool_]:
    """``a[i-1] < b[i-1] and a[i] > b[i]`` (NaN never crosses)."""
    x = np.asarray(a, dtype=np.float64)
    y = np.broadcast_to(np.asarray(b, dtype=np.float64), x.shape)
    out = np.zeros(len(x), dtype=bool)
    with np.errstate(invalid="ignore"):
        out[1:] = (x[:-1] < y[:-1]) & (x[1:] > y[1:])
    return out


def simulate_long_only(
    frame: pd.DataFrame,
    entries: npt.NDArray[np.bool_],
    exits: npt.NDArray[np.bool_],
    symbol: str,
    cash: Decimal = Decimal(10_000),
) -> Account:
    """Signals at bar closes; a market buy (when flat) or a full sale (when long) fills at the
    next bar's open."""
    account = Account(cash)
    opens, closes = frame["open"].to_numpy(), frame["close"].to_numpy()
    times = frame.index
    pending: tuple[str, Decimal] | None = None
    for i in range(len(frame)):
        if pending is not None:
            side, qty = pending
            if side == "BUY":
                account.buy(times[i], symbol, qty, dec(opens[i]))
            else:
                account.sell(times[i], symbol, qty, dec(opens[i]))
            pending = None
        held = account.qty(symbol)
        if not held and entries[i]:
            qty = affordable(account.cash, closes[i])
            if qty > 0:
                pending = ("BUY", qty)
        elif held > 0 and exits[i]:
            pending = ("SELL", held)
    return account


def daily_resistance(frame_1h: pd.DataFrame, lookback: int) -> pd.Series:
    """Per hourly bar: the max high of the last ``lookback`` days completed at its close.

    Days come from pandas' own resampling (UTC midnight buckets, empty days dropped).
    """
    daily_high = frame_1h["high"].resample("1D").max().dropna()
    rolling = daily_high.rolling(lookback).max()
    day_close = pd.DatetimeIndex(daily_high.index) + pd.Timedelta(days=1)
    hour_close = pd.DatetimeIndex(frame_1h.index) + HOUR
    # the last day whose close is at or before each hourly close
    position = np.searchsorted(day_close.asi8, hour_close.asi8, side="right") - 1
    values = np.where(position >= 0, rolling.to_numpy()[np.maximum(position, 0)], np.nan)
    return pd.Series(values, index=frame_1h.index, name="resistance")


@dataclass
class BracketTrade:
    """One simulated breakout trade."""

    signal_time: pd.Timestamp  # open time of the signal bar
    signal_close: float
    entry_time: pd.Timestamp
    entry_price: Decimal
    take_profit: Decimal
    stop_loss: Decimal
    exit_time: pd.Timestamp | None = None  # open time of the bar the exit filled in
    exit_price: Decimal | None = None
    exit_kind: str = ""  # "TP", "SL", "TP-gap", "SL-gap"


def simulate_breakout(
    frame_1h: pd.DataFrame,
    symbol: str,
    *,
    lookback: int = 20,
    take_profit: str = "0.07",
    stop_loss: str = "0.16",
    cash: Decimal = Decimal(10_000),
) -> tuple[Account, list[BracketTrade]]:
    """Bracket entries on hourly closes above the daily resistance, exits at TP / SL."""
    account = Account(cash)
    resistance = daily_resistance(frame_1h, lookback).to_numpy()
    o, h, lo, c = (frame_1h[k].to_numpy() for k in ("open", "high", "low", "close"))
    times = frame_1h.index
    trades: list[BracketTrade] = []
    pending: tuple[Decimal, BracketTrade] | None = None
    open_trade: BracketTrade | None = None
    for i in range(len(frame_1h)):
        if pending is not None:
            qty, trade = pending
            pending = None
            if account.buy(times[i], symbol, qty, dec(o[i])):
                trade.entry_time, trade.entry_price = times[i], dec(o[i])
                trades.append(trade)
                open_trade = trade
        if open_trade is not None:
            _bracket_exit(
                account, trade=open_trade, symbol=symbol, ts=times[i], o=o[i], h=h[i], lo=lo[i]
            )
            if open_trade.exit_time is not None:
                open_trade = None
        if open_trade is None and not np.isnan(resistance[i]) and c[i] > resistance[i]:
            qty = affordable(account.cash, c[i])
            ref = dec(c[i])
            tp = X.multiply(ref, 1 + Decimal(take_profit)).quantize(TICK, ROUND_CEILING)
            sl = X.multiply(ref, 1 - Decimal(stop_loss)).quantize(TICK, ROUND_CEILING)
            trade = BracketTrade(times[i], float(c[i]), times[i], Decimal(0), tp, sl)
            pending = (qty, trade)
    return account, trades


def _bracket_exit(
    account: Account,
    *,
    trade: BracketTrade,
    symbol: str,
    ts: pd.Timestamp,
    o: float,
    h: float,
    lo: float,
) -> None:
    qty = account.qty(symbol)
    hit_sl, hit_tp = lo <= trade.stop_loss, h >= trade.take_profit
    if dec(o) <= trade.stop_loss:
        price, kind = dec(o), "SL-gap"
    elif dec(o) >= trade.take_profit:
        price, kind = dec(o), "TP-gap"
    elif hit_sl and hit_tp:
        raise AssertionError(f"bar {ts} reaches both exits: the path would decide")
    elif hit_sl:
        price, kind = trade.stop_loss, "SL"
    elif hit_tp:
        price, kind = trade.take_profit, "TP"
    else:
        return
    account.sell(ts, symbol, qty, price)
    trade.exit_time, trade.exit_price, trade.exit_kind = ts, price, kind


def trailing_returns(closes: pd.DataFrame, lookback: int) -> pd.DataFrame:
    """``close / close.shift(lookback) - 1`` per column (rows are aligned bar times)."""
    return closes / closes.shift(lookback) - 1.0


def top_n(row: pd.Series, n: int) -> list[str]:
    """The ``n`` columns with the highest values, ties in column order."""
    order = np.argsort(-row.to_numpy(), kind="stable")
    return [str(row.index[k]) for k in order[:n]]


def simulate_rotation(
    frames: dict[str, pd.DataFrame],
    *,
    lookback: int,
    n: int,
    rebalance: int,
    weight: str = "0.95",
    cash: Decimal = Decimal(10_000),
) -> tuple[Account, list[tuple[pd.Timestamp, list[str]]]]:
    """The rotation's two-phase rebalancing on aligned frames (same index for all)."""
    symbols = list(frames)
    opens = pd.DataFrame({s: f["open"] for s, f in frames.items()})
    closes = pd.DataFrame({s: f["close"] for s, f in frames.items()})
    returns = trailing_returns(closes, lookback)
    account = Account(cash)
    orders: list[tuple[str, str, Decimal]] = []
    pending: set[str] | None = None  # the symbols to buy up to their weight
    chosen_log: list[tuple[pd.Timestamp, list[str]]] = []
    for i, ts in enumerate(closes.index):
        for side, symbol, qty in orders:  # fills at this bar's opens, in symbol order
            price = dec(opens.at[ts, symbol])
            if side == "BUY":
                account.buy(ts, symbol, qty, price)
            else:
                account.sell(ts, symbol, qty, price)
        orders = []
        if i < lookback:
            continue
        last = {s: dec(closes.at[ts, s]) for s in symbols}

        def delta(symbol: str, last: dict[str, Decimal] = last) -> Decimal:
            equity = account.equity(last)
            target = X.multiply(equity, Decimal(weight)) / X.multiply(Decimal(n), last[symbol])
            return target - account.qty(symbol)

        if (i - lookback) % rebalance == 0:
            chosen = top_n(returns.iloc[i], n)
            chosen_log.append((ts, chosen))
            pending = set(chosen)
            for s in symbols:
                held = account.qty(s)
                if held and s not in pending:
                    orders.append(("SELL", s, held))
                elif held and delta(s) < 0 and trunc(-delta(s)) > 0:
                    orders.append(("SELL", s, trunc(-delta(s))))
        if pending is not None and not orders:
            buys = [(s, delta(s)) for s in symbols if s in pending]
            orders = [("BUY", s, trunc(d)) for s, d in buys if d > 0 and trunc(d) > 0]
            pending = None
    return account, chosen_log
