"""Monte Carlo: how much of a backtest's outcome is the luck of the order things happened in.

Two resamplings of a finished run, each giving distributions of the final return and of the
maximum drawdown, with percentiles and a central confidence interval:

* :func:`shuffle_trades` permutes the closed round trips. With additive PnL (each trade's net
  PnL in quote currency added to the starting cash) or compounded trade returns (each trade's
  PnL as a fraction of the equity before it), the final return is the same for every order;
  the path, hence the drawdown, is not. It answers "how deep could the drawdown have been with
  the same trades?".
* :func:`bootstrap_returns` draws per-bar returns with replacement: one at a time (iid) or in
  circular blocks of ``block`` consecutive bars, which keep short-range dependence such as
  volatility clusters. Final return and drawdown both vary. It answers "what else could these
  returns have produced?".

Everything is vectorized with NumPy and reproducible: a run is a function of its inputs, the
number of simulations and the seed (``numpy.random.default_rng(seed)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.analysis.errors import AnalysisError

if TYPE_CHECKING:
    from tradeforge.backtest.result import BacktestResult

FloatArray = npt.NDArray[np.float64]
Method = Literal["shuffle", "bootstrap"]

SIMULATIONS = 1000
"""Default number of simulated paths."""
CONFIDENCE = 0.90
"""Default central interval: from the 5th to the 95th percentile."""
MAX_CELLS = 4_000_000
"""Simulated values held at once; longer runs are simulated in chunks of paths."""
METRICS = ("final_return", "max_drawdown")


@dataclass(frozen=True)
class MonteCarloResult:
    """Simulated final returns and maximum drawdowns of one resampling.

    Attributes
    ----------
    method : {"shuffle", "bootstrap"}
    simulations : pandas.DataFrame
        One row per simulated path: ``final_return`` (0.10 is +10 %) and ``max_drawdown``
        (``equity / running peak - 1`` at its lowest, equity floored at 0: -0.25 is -25 %).
    observed : dict of str to float
        The same two figures for the path as it happened.
    confidence : float
        Width of the central interval (0.90: from the 5th to the 95th percentile).
    seed : int
    block : int
        Block length of a bootstrap (1: iid); 0 for a shuffle.
    compound : bool
        A shuffle of compounded trade returns (not of PnL).
    """

    method: Method
    simulations: pd.DataFrame
    observed: dict[str, float]
    confidence: float
    seed: int
    block: int = 0
    compound: bool = False

    @property
    def levels(self) -> tuple[float, float, float]:
        """The percentiles reported: the interval's bounds and the median (5, 50, 95)."""
        tail = round(50.0 * (1.0 - self.confidence), 10)  # 0.8 gives 10, not 9.999...
        return (tail, 50.0, 100.0 - tail)

    def interval(self, metric: str) -> tuple[float, float]:
        """The central ``confidence`` interval of ``final_return`` or ``max_drawdown``."""
        low, _, high = np.percentile(self.simulations[metric].to_numpy(), self.levels)
        return float(low), float(high)

    def summary(self) -> pd.DataFrame:
        """Per metric: ``mean``, ``std``, the percentiles at :attr:`levels` (``p5``, ``p50``,
        ``p95`` for 90 %) and ``observed``.

        Percentiles interpolate linearly between order statistics (NumPy's default).
        """
        rows = {}
        for metric in METRICS:
            values = self.simulations[metric].to_numpy()
            points = np.percentile(values, self.levels)
            rows[metric] = {
                "mean": float(values.mean()),
                "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                **{_label(q): float(v) for q, v in zip(self.levels, points, strict=True)},
                "observed": self.observed[metric],
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def to_dict(self) -> dict[str, Any]:
        """The settings and the summary as plain values, for JSON."""
        return {
            "method": self.method,
            "simulations": len(self.simulations),
            "seed": self.seed,
            "block": self.block,
            "compound": self.compound,
            "confidence": self.confidence,
            "summary": self.summary().to_dict(orient="index"),
        }


@dataclass(frozen=True)
class MonteCarloSet:
    """Both resamplings of one backtest (what the report shows)."""

    shuffle: MonteCarloResult
    bootstrap: MonteCarloResult

    def __iter__(self) -> Iterator[MonteCarloResult]:
        return iter((self.shuffle, self.bootstrap))


def monte_carlo(
    result: BacktestResult,
    simulations: int = SIMULATIONS,
    *,
    seed: int = 0,
    block: int = 1,
    compound: bool = True,
    confidence: float = CONFIDENCE,
) -> MonteCarloSet:
    """Shuffle the closed trades and bootstrap the bar returns of a finished backtest.

    Parameters
    ----------
    result : BacktestResult
    simulations : int
        Paths per resampling.
    seed : int
        The shuffle uses ``seed``, the bootstrap ``seed + 1``.
    block : int
        Bootstrap block length in bars (1: iid).
    compound : bool
        Shuffle each trade's PnL as a return on the equity before it (default), or as
        currency (False). Compounding fits strategies sized by a share of equity, as the
        built-in ones are: their PnL grows with the equity, and late, large PnL moved to where
        the equity was small would overstate the drawdowns (or ruin the account). Currency
        fits strategies that trade a fixed quantity.
    confidence : float
        Width of the central interval.

    Returns
    -------
    MonteCarloSet
    """
    closed = result.trades[result.trades["exit_time"].notna()]
    pnl = closed["net_pnl"].to_numpy(dtype=np.float64)
    cash = float(result.portfolio.initial_cash)
    return MonteCarloSet(
        shuffle_trades(pnl, cash, simulations, seed=seed, compound=compound, confidence=confidence),
        bootstrap_returns(
            result.bar_returns.to_numpy(dtype=np.float64), simulations, seed=seed + 1,
            block=block, confidence=confidence,
        ),
    )  # fmt: skip


def shuffle_trades(
    pnl: npt.ArrayLike,
    initial_cash: float,
    simulations: int = SIMULATIONS,
    *,
    seed: int = 0,
    compound: bool = False,
    confidence: float = CONFIDENCE,
) -> MonteCarloResult:
    """Permute the order of the trades and rebuild the equity path after each trade.

    Parameters
    ----------
    pnl : array-like of float
        Net PnL of each closed trade, in order, in quote currency.
    initial_cash : float
        Equity before the first trade (positive).
    simulations : int
        Permutations drawn (``rng.permuted`` of the trades, one row per path).
    seed : int
    compound : bool
        False (default): each path is ``initial_cash + cumsum(permuted pnl)``. True: each
        trade's PnL becomes a return on the equity before it in the original order, and a path
        is ``initial_cash * cumprod(1 + permuted returns)``.
    confidence : float
        Width of the central interval.

    Returns
    -------
    MonteCarloResult
        ``final_return`` is the same on every path (sums and products do not depend on the
        order); ``max_drawdown`` is measured on the equity after each trade, starting from
        ``initial_cash``.
    """
    trades = np.asarray(pnl, dtype=np.float64)
    _check(simulations, confidence)
    if not initial_cash > 0:
        raise AnalysisError(f"initial cash must be positive, got {initial_cash}")
    if not len(trades):
        raise AnalysisError("no closed trades to shuffle")
    before = initial_cash + np.concatenate(([0.0], np.cumsum(trades)[:-1]))
    steps = trades / before if compound else trades
    rng = np.random.default_rng(seed)
    paths = rng.permuted(np.tile(steps, (simulations, 1)), axis=1)
    frame = _frame(_summarize(_trade_paths(paths, initial_cash, compound=compound)))
    observed = _scalars(_summarize(_trade_paths(steps[None, :], initial_cash, compound=compound)))
    return MonteCarloResult("shuffle", frame, observed, confidence, seed, compound=compound)


def bootstrap_returns(
    returns: npt.ArrayLike,
    simulations: int = SIMULATIONS,
    *,
    seed: int = 0,
    block: int = 1,
    confidence: float = CONFIDENCE,
) -> MonteCarloResult:
    """Resample per-bar returns with replacement and compound each path.

    Parameters
    ----------
    returns : array-like of float
        Simple returns of consecutive bars (``result.bar_returns``), each ``>= -1``.
    simulations : int
        Paths drawn, each as long as ``returns``.
    seed : int
    block : int
        1: every bar drawn independently (``rng.integers(0, n, (paths, n))``). More: circular
        blocks; each path is ``ceil(n / block)`` blocks of ``block`` consecutive returns
        starting at uniform positions (``rng.integers(0, n, (paths, blocks))``), wrapping
        past the end, cut to ``n``.
    confidence : float
        Width of the central interval.

    Returns
    -------
    MonteCarloResult
        Paths start at 1; drawdowns are measured from that start on.

    Notes
    -----
    Paths are drawn in chunks of at most :data:`MAX_CELLS` values, from one generator in
    order, so a seed gives the same paths whatever the chunking.
    """
    values = np.asarray(returns, dtype=np.float64)
    _check(simulations, confidence)
    n = len(values)
    if not n:
        raise AnalysisError("no returns to bootstrap")
    if not 1 <= block <= n:
        raise AnalysisError(f"block must be between 1 and the {n} returns, got {block}")
    if np.isnan(values).any() or (values < -1).any():
        raise AnalysisError("returns must be numbers of at least -1 (a total loss)")
    rng = np.random.default_rng(seed)
    chunk = max(1, MAX_CELLS // n)
    parts = []
    for start in range(0, simulations, chunk):
        rows = min(chunk, simulations - start)
        drawn = values[_draw(rng, rows, n, block)]
        parts.append(_summarize_growth(_growth(drawn)))
    summary = {m: np.concatenate([p[m] for p in parts]) for m in METRICS}
    observed = _summarize_growth(_growth(values[None, :]))
    return MonteCarloResult(
        "bootstrap", pd.DataFrame(summary), _scalars(observed), confidence, seed, block
    )


def _draw(rng: np.random.Generator, rows: int, n: int, block: int) -> npt.NDArray[np.int64]:
    """Indices of the returns of ``rows`` paths of length ``n``."""
    if block == 1:
        return rng.integers(0, n, size=(rows, n))
    blocks = -(-n // block)
    starts = rng.integers(0, n, size=(rows, blocks))
    index = (starts[:, :, None] + np.arange(block)) % n
    return index.reshape(rows, blocks * block)[:, :n]


def _trade_paths(steps: FloatArray, initial_cash: float, *, compound: bool) -> FloatArray:
    """Equity before the first trade and after each one, one row per path."""
    grown = (
        np.cumprod(1.0 + steps, axis=1) * initial_cash
        if compound
        else initial_cash + np.cumsum(steps, axis=1)
    )
    start = np.full((len(steps), 1), initial_cash)
    return np.hstack((start, grown))


def _growth(returns: FloatArray) -> FloatArray:
    """Growth factor after each return, per row."""
    return np.asarray(np.cumprod(1.0 + returns, axis=1), dtype=np.float64)


def _summarize_growth(growth: FloatArray) -> dict[str, FloatArray]:
    """Final return and drawdown of paths of growth factors (the start, 1, is prepended)."""
    return _summarize(np.hstack((np.ones((len(growth), 1)), growth)))


def _summarize(equity: FloatArray) -> dict[str, FloatArray]:
    """Final return and maximum drawdown of each row of equity (the first column the start)."""
    floored = np.maximum(equity, 0.0)
    peak = np.maximum.accumulate(floored, axis=1)
    depth = np.divide(floored, peak, out=np.ones_like(peak), where=peak > 0) - 1.0
    return {"final_return": equity[:, -1] / equity[:, 0] - 1.0, "max_drawdown": depth.min(axis=1)}


def _frame(summary: dict[str, FloatArray]) -> pd.DataFrame:
    return pd.DataFrame({m: summary[m] for m in METRICS})


def _scalars(summary: dict[str, FloatArray]) -> dict[str, float]:
    return {m: float(summary[m][0]) for m in METRICS}


def _check(simulations: int, confidence: float) -> None:
    if simulations < 1:
        raise AnalysisError(f"simulations must be at least 1, got {simulations}")
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence must be between 0 and 1, got {confidence}")


def _label(level: float) -> str:
    """``5.0`` as ``p5``, ``2.5`` as ``p2.5``."""
    return f"p{level:g}"
