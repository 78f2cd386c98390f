"""Indicator speed: tradeforge (numba) against TA-Lib (C) on 1,000,000 bars.

The bars are a seeded geometric random walk (close) with a high / low envelope and random
volume. Each figure is the best of several runs, after a first call that loads or compiles
the numba code (cached on disk, so only the very first run compiles).
Run: ``python bench/bench_indicators.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import talib

from tradeforge import indicators as ind

FloatArray = npt.NDArray[np.float64]
SIZE = 1_000_000
REPEATS = 7


def random_bars(size: int, seed: int = 20261121) -> dict[str, FloatArray]:
    rng = np.random.default_rng(seed)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, size)))
    spread = np.abs(rng.normal(0.0, 0.001, (2, size)))
    return {
        "high": close * (1.0 + spread[0]),
        "low": close * (1.0 - spread[1]),
        "close": close,
        "volume": rng.uniform(1.0, 100.0, size),
    }


def best_time(call: Callable[[], object]) -> float:
    call()
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def cases(b: dict[str, FloatArray]) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    h, lo, c, v = b["high"], b["low"], b["close"], b["volume"]
    return {
        "sma(30)": (lambda: ind.sma(c, 30), lambda: talib.SMA(c, 30)),
        "ema(30)": (lambda: ind.ema(c, 30), lambda: talib.EMA(c, 30)),
        "rsi(14)": (lambda: ind.rsi(c, 14), lambda: talib.RSI(c, 14)),
        "macd(12,26,9)": (lambda: ind.macd(c), lambda: talib.MACD(c)),
        "bbands(20)": (lambda: ind.bbands(c, 20), lambda: talib.BBANDS(c, 20)),
        "true_range": (lambda: ind.true_range(h, lo, c), lambda: talib.TRANGE(h, lo, c)),
        "atr(14)": (lambda: ind.atr(h, lo, c), lambda: talib.ATR(h, lo, c)),
        "adx(14)": (lambda: ind.adx(h, lo, c), lambda: talib.ADX(h, lo, c)),
        "stoch(5,3,3)": (lambda: ind.stoch(h, lo, c), lambda: talib.STOCH(h, lo, c)),
        "obv": (lambda: ind.obv(c, v), lambda: talib.OBV(c, v)),
    }


def main() -> None:
    bars = random_bars(SIZE)
    print(f"{SIZE:,} bars, best of {REPEATS} runs")
    print(f"{'indicator':<16}{'tradeforge ms':>15}{'TA-Lib ms':>12}{'ours / TA-Lib':>15}")
    for name, (ours, theirs) in cases(bars).items():
        mine, reference = best_time(ours), best_time(theirs)
        print(f"{name:<16}{mine * 1e3:>15.2f}{reference * 1e3:>12.2f}{mine / reference:>14.2f}x")


if __name__ == "__main__":
    main()
