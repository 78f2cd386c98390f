"""Synthetic geometric-Brownian 1-minute OHLCV bars for benchmarks.

``gbm_bars(n, seed)`` is deterministic: the same ``n`` and ``seed`` give bit-identical bars
on every run. The walk is continuous (each bar opens at the previous close), so a strategy
that fills at the next bar's open sees no gaps. All prices are rounded to 1e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2020-01-01", tz="UTC")
START_PRICE = 100.0
SIGMA_PER_BAR = 0.0005  # log-return standard deviation of one 1-minute bar
WICK_SIGMA = 0.0002  # scale of the extra excursion beyond the open/close range
DECIMALS = 6


def _closes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Closes of a driftless geometric Brownian walk that starts at ``START_PRICE``."""
    log_returns = rng.normal(-0.5 * SIGMA_PER_BAR**2, SIGMA_PER_BAR, n)
    return np.round(START_PRICE * np.exp(np.cumsum(log_returns)), DECIMALS)


def _wicks(
    rng: np.random.Generator, opens: np.ndarray, closes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Highs and lows: the open/close range widened by a small random excursion each side."""
    n = len(closes)
    up = np.exp(np.abs(rng.normal(0.0, WICK_SIGMA, n)))
    down = np.exp(-np.abs(rng.normal(0.0, WICK_SIGMA, n)))
    highs = np.round(np.maximum(opens, closes) * up, DECIMALS)
    lows = np.round(np.minimum(opens, closes) * down, DECIMALS)
    return highs, lows


def gbm_bars(n: int = 1_000_000, seed: int = 42) -> pd.DataFrame:
    """Return ``n`` synthetic 1-minute OHLCV bars from a seeded geometric Brownian walk.

    Args:
        n: number of bars (at least 1).
        seed: seed of ``numpy.random.default_rng``; the same seed gives identical bars.

    Returns:
        A DataFrame indexed by ``ts`` (UTC, 1-minute steps from 2020-01-01 00:00) with
        float64 columns open, high, low, close, volume. Prices start near 100 and are
        rounded to 1e-6; ``open[i] == close[i-1]``, ``high >= max(open, close)``,
        ``low <= min(open, close)`` and ``volume > 0``.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    closes = _closes(rng, n)
    opens = np.concatenate(([START_PRICE], closes[:-1]))
    highs, lows = _wicks(rng, opens, closes)
    volumes = np.round(rng.lognormal(mean=3.0, sigma=0.5, size=n) + 0.001, DECIMALS)
    index = pd.date_range(START, periods=n, freq="1min", name="ts")
    return pd.DataFrame(
        {"open": opens, "high": highs, "low": lows, "close": closes, "volume": volumes},
        index=index,
    )
