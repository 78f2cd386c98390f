"""What a multi-symbol validation returns: the goal per set and symbol, aggregates, flags.

A run *counts* when the strategy accepted the parameters, the goal is a number and the run
has at least ``min_trades`` closed trades; otherwise its value is NaN. A set **works** on a
symbol when its value is above the rule's ``threshold`` (below it for a minimized goal).

**The flag rule** (:class:`FlagRule`). With at least two symbols, a parameter set is flagged
as working on one symbol only when

1. it works on exactly one symbol (``"works on SOL/USDT only"``), or
2. it works on several, but its best symbol's score is more than ``dominance`` times the
   runner-up's (the second-best symbol's), which is positive: every other symbol is far
   behind (``"SOL/USDT dominates: 5.1 > 3 × 1.2"``).

Scores are the values oriented so that higher is better (a minimized goal's values negated);
NaN scores (runs that did not count) are skipped. A set that works nowhere is not flagged: it
simply does not work (``pass_share`` 0). The runner-up, not the median of the others, is
the reference of rule 2: a set strong on two symbols of five works on more than one, however
poor the other three are (``pass_share`` tells that).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.objective import Objective
from tradeforge.optimize.result import OptimizeResult

AGGREGATE_COLUMNS = (
    "mean",
    "median",
    "min",
    "max",
    "std",
    "symbols",
    "passing",
    "pass_share",
    "profitable_share",
    "best_symbol",
    "best_value",
    "runner_up",
    "flagged",
    "flag",
)
"""The columns of :attr:`MultiSymbolResult.aggregate` after the parameters."""


@dataclass(frozen=True)
class FlagRule:
    """When a parameter set works on one symbol only (see the module docstring).

    Parameters
    ----------
    threshold : float
        A set works on a symbol when its value is above this (below, minimizing).
    dominance : float
        Rule 2's factor, > 1 (``math.inf`` turns rule 2 off).
    """

    threshold: float = 0.0
    dominance: float = 3.0

    def __post_init__(self) -> None:
        if not self.dominance > 1:
            raise OptimizeError(f"dominance must be > 1, got {self.dominance}")

    def flag(self, scores: pd.Series, maximize: bool) -> str:
        """Why the set with ``scores`` (oriented, one per symbol, NaN: did not count) is
        flagged; ``""`` when it is not."""
        limit = self.threshold if maximize else -self.threshold
        passing = scores[scores > limit]
        if len(scores) < 2 or not len(passing):
            return ""
        best = str(scores.idxmax())
        if len(passing) == 1:
            return f"works on {best} only"
        top, second = (float(v) for v in passing.nlargest(2))
        if second > 0 and top > self.dominance * second:
            return f"{best} dominates: {top:.4g} > {self.dominance:g} × {second:.4g}"
        return ""


@dataclass(frozen=True)
class MultiSymbolResult:
    """The outcome of :func:`~tradeforge.optimize.multisymbol.validate_symbols`.

    Attributes
    ----------
    trials : DataFrame
        One row per set and symbol: ``symbol``, ``set``, the parameters, ``value``,
        ``eligible``, ``error`` and every statistic (as ``OptimizeResult.trials``).
    values : DataFrame
        The goal's value, sets (index ``set``) × symbols (columns); NaN where the run did
        not count.
    aggregate : DataFrame
        Per set (index ``set``): the parameters, then over the symbols ``mean``, ``median``,
        ``min``, ``max``, ``std`` (population) of the values, ``symbols`` (runs that
        counted), ``passing`` (symbols it works on), ``pass_share`` (of all symbols),
        ``profitable_share`` (symbols with a counted run and ``total_return_pct > 0``),
        ``best_symbol``, ``best_value``, ``runner_up`` (the second-best symbol's value),
        ``flagged`` and ``flag`` (the reason, ``""`` when not flagged).
    params : tuple of str
        The parameter columns.
    objective : Objective
    rule : FlagRule
    strategy : str
    """

    trials: pd.DataFrame
    values: pd.DataFrame
    aggregate: pd.DataFrame
    params: tuple[str, ...]
    objective: Objective
    rule: FlagRule
    strategy: str

    @classmethod
    def build(
        cls,
        runs: Mapping[str, OptimizeResult],
        params: Sequence[str],
        objective: Objective,
        rule: FlagRule,
    ) -> MultiSymbolResult:
        """Put each symbol's runs (every set, in the same order) together."""
        frames = []
        for symbol, result in runs.items():
            frame = result.trials.rename(columns={"trial": "set"})
            frame.insert(0, "symbol", symbol)
            frames.append(frame)
        trials = pd.concat(frames, ignore_index=True)
        counted = trials["value"].where(trials["eligible"].astype(bool))
        values = (
            trials.assign(value=counted)
            .pivot(index="set", columns="symbol", values="value")
            .reindex(columns=list(runs))
        )
        values.columns.name = None
        first = next(iter(runs.values()))
        sets = first.trials.set_index("trial")[list(params)]
        sets.index.name = "set"
        aggregate = _aggregate(values, sets, trials, objective, rule)
        strategy = first.strategy
        return cls(trials, values, aggregate, tuple(params), objective, rule, strategy)

    @property
    def symbols(self) -> list[str]:
        """The symbols, in the order given."""
        return [str(c) for c in self.values.columns]

    @property
    def flagged(self) -> pd.DataFrame:
        """The aggregate rows of the flagged sets."""
        return self.aggregate[self.aggregate["flagged"]]

    @property
    def robust(self) -> pd.DataFrame:
        """The sets that work on every symbol and are not flagged, best median first."""
        rows = self.aggregate
        rows = rows[(rows["passing"] == len(self.symbols)) & ~rows["flagged"]]
        maximize = self.objective.goals[0].maximize
        return rows.sort_values("median", ascending=not maximize, kind="stable")

    def summary(self) -> dict[str, Any]:
        """JSON-ready: the goal, the rule, the symbols and every set's values and aggregates."""
        rows = []
        for key, row in self.aggregate.to_dict("index").items():
            values = {s: _number(self.values.at[key, s]) for s in self.symbols}
            fields = {str(c): _json(v) for c, v in row.items()}
            rows.append({"set": _json(key), **fields, "values": values})
        return {
            "strategy": self.strategy,
            "objective": self.objective.describe(),
            "symbols": self.symbols,
            "params": list(self.params),
            "threshold": self.rule.threshold,
            "dominance": _number(self.rule.dominance),
            "flagged": int(self.aggregate["flagged"].sum()),
            "sets": rows,
        }

    def report(self, path: str | Path = "symbols.html", *, title: str | None = None) -> Path:
        """Write the HTML report: a heatmap of the goal, symbols × sets, flagged sets marked;
        the aggregates.

        Returns
        -------
        Path
            The file written (see :func:`tradeforge.report.multisymbol.write_multisymbol_report`).
        """
        from tradeforge.report.multisymbol import write_multisymbol_report  # noqa: PLC0415

        return write_multisymbol_report(self, path, title=title)


def _aggregate(
    values: pd.DataFrame,
    sets: pd.DataFrame,
    trials: pd.DataFrame,
    objective: Objective,
    rule: FlagRule,
) -> pd.DataFrame:
    maximize = objective.goals[0].maximize
    scores = values if maximize else -values
    limit = rule.threshold if maximize else -rule.threshold
    profitable = trials["eligible"].astype(bool) & (trials["total_return_pct"] > 0)
    profit_share = profitable.groupby(trials["set"]).sum() / values.shape[1]
    table = sets.copy()
    table["mean"] = values.mean(axis=1)
    table["median"] = values.median(axis=1)
    table["min"] = values.min(axis=1)
    table["max"] = values.max(axis=1)
    table["std"] = values.std(axis=1, ddof=0)
    table["symbols"] = values.notna().sum(axis=1)
    table["passing"] = (scores > limit).sum(axis=1)
    table["pass_share"] = table["passing"] / values.shape[1]
    table["profitable_share"] = profit_share.reindex(table.index).astype(float)
    best = [_best(scores.loc[k]) for k in table.index]
    table["best_symbol"] = best
    table["best_value"] = values.max(axis=1) if maximize else values.min(axis=1)
    table["runner_up"] = [_runner_up(scores.loc[k], maximize) for k in table.index]
    flags = [rule.flag(scores.loc[k], maximize) for k in table.index]
    table["flagged"] = [bool(f) for f in flags]
    table["flag"] = flags
    return table


def _best(scores: pd.Series) -> str:
    return str(scores.idxmax()) if scores.notna().any() else ""


def _runner_up(scores: pd.Series, maximize: bool) -> float:
    top = scores.dropna().nlargest(2)
    if len(top) < 2:
        return math.nan
    return float(top.iloc[1]) if maximize else -float(top.iloc[1])


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _json(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
