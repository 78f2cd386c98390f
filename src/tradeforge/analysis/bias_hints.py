"""Why a line changes when later bars are removed: the usual causes, told apart.

Two kinds of evidence are read:

* the *footprint*: the bars of the full-data line that change when one bar in the middle of
  the data is scaled up (and, separately, down) by a fixed factor. A causal line changes only
  at and after that bar. A line that reads ``k`` bars ahead changes ``k`` bars before it; a
  centered window changes about as many bars before as after it; a line normalized by a
  statistic of the whole series changes back to its first value;
* the *cut differences* (:class:`~tradeforge.analysis.differences.CutDifference`): when the
  footprint shows nothing (a maximum the scaled bar does not reach, for instance), a line
  whose every defined value differs from the start at every cut depends on the whole series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tradeforge.analysis.bars import bar_at, nudged
from tradeforge.analysis.differences import CutDifference, differing
from tradeforge.analysis.outputs import Output, strategy_outputs
from tradeforge.data.replay import BarSeries
from tradeforge.strategy.base import Strategy

Cause = Literal["shift", "centered", "global", "unknown"]

NUDGE_FACTORS = (1.25, 0.8)
"""The factors the probed bar is scaled by (up, then down: one of them moves a rolling
maximum or minimum, and flips a comparison either way)."""


@dataclass(frozen=True)
class Footprint:
    """Which bars of a full-data line depend on one probed bar.

    Attributes
    ----------
    ahead : int
        How many bars before the probed bar changed: the line reads that far ahead (0: it
        reads no later bar, as far as this probe shows).
    behind : int
        How many bars after the probed bar changed (a causal window's reach).
    reaches_start : bool
        The change goes back to the line's first value.
    """

    ahead: int
    behind: int
    reaches_start: bool


@dataclass(frozen=True)
class Diagnosis:
    """The likely cause of a look-ahead finding.

    Attributes
    ----------
    cause : {"shift", "centered", "global", "unknown"}
    bars_ahead : int or None
        How far ahead the line reads, when known.
    hint : str
        What it probably is and how to fix it.
    """

    cause: Cause
    bars_ahead: int | None
    hint: str


def footprints(
    strategy: type[Strategy],
    params: Mapping[str, Any],
    series: list[BarSeries],
    full: Sequence[Output],
    wanted: set[int],
) -> dict[int, Footprint]:
    """The footprint of each output in ``wanted`` (indices into ``full``), probing the
    middle bar of the primary series."""
    primary = series[0]
    probe_ns = int(primary.ts_open[len(primary) // 2])
    changed: dict[int, np.ndarray[Any, np.dtype[np.bool_]]] = {}
    for factor in NUDGE_FACTORS:
        outputs = strategy_outputs(strategy, params, nudged(series, probe_ns, factor))
        for k in wanted:
            moved = differing(outputs[k].values, full[k].values)
            changed[k] = changed[k] | moved if k in changed else moved
    return {
        k: _footprint(changed[k], bar_at(series[full[k].series], probe_ns), full[k].values)
        for k in wanted
    }


def _footprint(
    changed: np.ndarray[Any, np.dtype[np.bool_]], probed: int, values: np.ndarray[Any, Any]
) -> Footprint:
    bars = np.flatnonzero(changed)
    if not len(bars) or probed < 0:
        return Footprint(0, 0, reaches_start=False)
    defined = np.flatnonzero(~np.isnan(values))
    start = int(defined[0]) if len(defined) else 0
    return Footprint(
        ahead=max(0, probed - int(bars[0])),
        behind=max(0, int(bars[-1]) - probed),
        reaches_start=int(bars[0]) <= start < probed,
    )


def diagnose(footprint: Footprint | None, cuts: Sequence[CutDifference]) -> Diagnosis:
    """The cause the evidence points to (see the module docstring)."""
    if footprint is not None and footprint.reaches_start and footprint.ahead > 1:
        return _global()
    if footprint is not None and footprint.ahead > 0:
        ahead, behind = footprint.ahead, footprint.behind
        if behind > 0 and abs(ahead - behind) <= 1:
            return Diagnosis(
                "centered",
                ahead,
                f"centered window: each value reads {ahead} bar(s) ahead and {behind} behind "
                "(rolling(..., center=True), a symmetric filter); use a trailing window",
            )
        return Diagnosis(
            "shift",
            ahead,
            f"reads {ahead} bar(s) ahead: a negative shift (shift(-{ahead}), x[i + {ahead}]) "
            "or data from later bars; shift by a positive number of bars instead",
        )
    if cuts and all(d.first == d.first_defined and 2 * d.differing >= d.defined for d in cuts):
        return _global()
    tail = max((d.tail for d in cuts), default=0)
    return Diagnosis(
        "unknown",
        None,
        f"values up to {tail} bar(s) before the cut changed when later bars were removed: the "
        "computation reads bars after the one it is for",
    )


def _global() -> Diagnosis:
    return Diagnosis(
        "global",
        None,
        "normalized by a statistic of the whole series (its min, max, mean or std): every "
        "past value changes as later bars arrive; use rolling or expanding statistics",
    )
