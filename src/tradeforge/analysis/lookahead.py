"""Look-ahead analysis: does anything a strategy computes change when later bars are removed?

A value a strategy may act on at bar ``t`` must be the same whether the data ends at ``t`` or
goes on: that is what a live run sees. :func:`lookahead_analysis` computes the strategy's
indicators (and its :meth:`~tradeforge.strategy.Strategy.signals`, or for a strategy without
them the orders a real backtest makes) on the full data and on the data cut at many bars, and
reports every output whose values up to a cut differ from the full run's, with the first bar
that differs and the likely cause (:mod:`tradeforge.analysis.bias_hints`).

Cuts are evenly spaced from the warm-up bar to the last bar but one, plus the bars where the
full run has a signal or an order and the bar after each: a rule that peeks at the next bar's
close only shows where it fires.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from tradeforge.analysis.bars import analysis_series, ending_at
from tradeforge.analysis.bias_hints import Cause, Diagnosis, diagnose, footprints
from tradeforge.analysis.decisions import (
    Decision,
    backtest,
    changed_decisions,
    decisions,
    instruments_of,
)
from tradeforge.analysis.differences import ATOL, RTOL, CutDifference, cut_difference
from tradeforge.analysis.errors import AnalysisError
from tradeforge.analysis.outputs import Output, has_signals, strategy_outputs
from tradeforge.backtest.facade import Data
from tradeforge.data.replay import BarSeries
from tradeforge.strategy.base import Strategy

FindingKind = Literal["indicator", "signal", "entry"]


@dataclass(frozen=True)
class LookaheadFinding:
    """One output that changed when later bars were removed.

    Attributes
    ----------
    name : str
        The indicator's name, ``entries``/``exits`` for signals, ``buy``/``sell`` for orders.
    kind : {"indicator", "signal", "entry"}
        ``entry``: the orders of an event-driven backtest.
    first_bar : int
        The first bar (of the output's own series) that differed, over every cut.
    first_time : pandas.Timestamp
        Its open time (UTC).
    cut_bar : int
        The cut (last primary bar kept) where ``first_bar`` differed first.
    cuts_differing : int
        How many cuts showed a difference.
    differing : int
        The most bars (or orders) that differed at one cut.
    max_abs_diff : float
        The largest difference between two values both runs have (NaN when the cut runs
        only lack values the full run has, as a negative shift leaves; NaN for orders).
    cause : {"shift", "centered", "global", "unknown"}
    bars_ahead : int or None
        How many bars ahead the output reads, when the probe tells.
    hint : str
        The likely cause in words, and the usual fix.
    """

    name: str
    kind: FindingKind
    first_bar: int
    first_time: pd.Timestamp
    cut_bar: int
    cuts_differing: int
    differing: int
    max_abs_diff: float
    cause: Cause
    bars_ahead: int | None
    hint: str


@dataclass(frozen=True)
class LookaheadReport:
    """What :func:`lookahead_analysis` found.

    Attributes
    ----------
    strategy : str
        The class name.
    params : dict
        The parameters analysed.
    bars : int
        Bars of the primary series.
    cuts : tuple of int
        The cuts made (index of the last primary bar kept), ascending.
    checked : tuple of str
        Every output compared (``kind:name``).
    findings : tuple of LookaheadFinding
        Indicators first, then signals and orders, in the strategy's order.
    """

    strategy: str
    params: dict[str, Any]
    bars: int
    cuts: tuple[int, ...]
    checked: tuple[str, ...]
    findings: tuple[LookaheadFinding, ...]

    @property
    def biased(self) -> bool:
        """Whether anything changed."""
        return bool(self.findings)

    def frame(self) -> pd.DataFrame:
        """The findings, one row each (the columns of :class:`LookaheadFinding`)."""
        columns = list(LookaheadFinding.__dataclass_fields__)
        return pd.DataFrame([asdict(f) for f in self.findings], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON (times as ISO text)."""
        findings = [{**asdict(f), "first_time": f.first_time.isoformat()} for f in self.findings]
        return {
            "strategy": self.strategy,
            "params": self.params,
            "bars": self.bars,
            "cuts": list(self.cuts),
            "checked": list(self.checked),
            "biased": self.biased,
            "findings": findings,
        }


def lookahead_analysis(
    strategy: type[Strategy],
    data: Data,
    params: Mapping[str, Any] | None = None,
    *,
    cuts: int | Sequence[int] = 20,
    signal_cuts: int = 10,
    symbol: str = "ASSET/USD",
    backtest_options: Mapping[str, Any] | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> LookaheadReport:
    """Find the indicators, signals and orders of ``strategy`` that use future bars.

    Parameters
    ----------
    strategy : type of Strategy
    data : DataFrame, mapping of symbol to DataFrame, or list of BarSeries
        As :class:`~tradeforge.backtest.Backtest` takes it.
    params : mapping, optional
        Strategy parameters.
    cuts : int or sequence of int
        How many evenly spaced cuts (from the warm-up bar to the last bar but one), or the
        cuts themselves (indices of the last primary bar kept). More cuts find a bias that
        shows only at some bars (a normalization by the series' maximum shows only at cuts
        before the maximum) at the cost of one computation each.
    signal_cuts : int
        Signal (or order) bars of the full run to cut at as well, at each and at the bar
        after it, chosen evenly among them; 0 for none. A rule that reads the next bar only
        differs where it fires.
    symbol : str
        The symbol of a single DataFrame.
    backtest_options : mapping, optional
        :class:`~tradeforge.backtest.Backtest` keywords (``cash``, ``commission``, ...) of the
        backtests run for a strategy without ``signals()``.
    rtol, atol : float
        Values closer than this are equal.

    Returns
    -------
    LookaheadReport

    Raises
    ------
    AnalysisError
        For fewer than 3 bars, bad cuts, or a strategy whose outputs change in number.
    """
    chosen = dict(params or {})
    series = analysis_series(data, strategy(**chosen), symbol)
    primary = series[0]
    if len(primary) < 3:
        raise AnalysisError(f"look-ahead analysis needs at least 3 bars, got {len(primary)}")
    full = strategy_outputs(strategy, chosen, series)
    options = dict(backtest_options or {})
    orders = _full_decisions(strategy, chosen, series, options)
    plan = _cut_plan(cuts, signal_cuts, len(primary), _warmup(full), _signal_bars(full, orders))
    lines: dict[int, list[CutDifference]] = defaultdict(list)
    sides: dict[str, list[tuple[int, list[Decision]]]] = defaultdict(list)
    for cut in plan:
        part = ending_at(series, int(primary.ts_close[cut]))
        _compare_lines(
            strategy, params=chosen, part=part, full=full, cut=cut, found=lines,
            tolerances=(rtol, atol),
        )  # fmt: skip
        if orders is not None:
            made = decisions(backtest(strategy, chosen, part, options), primary)
            for side, changed in _by_side(changed_decisions(orders, made, cut)).items():
                sides[side].append((cut, changed))
    findings = _line_findings(strategy, chosen, series, full, lines)
    findings += _order_findings(primary, sides, [f.name for f in findings])
    checked = [f"{o.kind}:{o.name}" for o in full]
    if orders is not None:
        checked.append("entry:orders")
    return LookaheadReport(
        strategy.__name__, chosen, len(primary), plan, tuple(checked), tuple(findings)
    )


def _full_decisions(
    strategy: type[Strategy],
    params: dict[str, Any],
    series: list[BarSeries],
    options: dict[str, Any],
) -> Counter[Decision] | None:
    """The full run's orders for a strategy without signals (None for one with them); sets
    the instruments of the cut runs to the full run's."""
    if has_signals(strategy):
        return None
    result = backtest(strategy, params, series, options)
    options.setdefault("instruments", instruments_of(result))
    return decisions(result, series[0])


def _warmup(full: Sequence[Output]) -> int:
    """The first primary bar where every primary indicator has a value."""
    firsts = [
        int(np.argmax(~np.isnan(o.values))) if (~np.isnan(o.values)).any() else len(o.values)
        for o in full
        if o.kind == "indicator" and o.series == 0
    ]
    return max(firsts, default=0)


def _signal_bars(full: Sequence[Output], orders: Counter[Decision] | None) -> list[int]:
    """Bars where the full run signals (or orders)."""
    if orders is not None:
        return sorted({bar for bar, _, _ in orders})
    fired = [o.values > 0 for o in full if o.kind == "signal"]
    if not fired:
        return []
    return np.flatnonzero(np.logical_or.reduce(fired)).tolist()


def _cut_plan(
    cuts: int | Sequence[int], signal_cuts: int, n: int, warmup: int, signal_bars: list[int]
) -> tuple[int, ...]:
    """The cuts to make, ascending, each in ``[0, n - 2]``."""
    last = n - 2
    if isinstance(cuts, int):
        if cuts < 1:
            raise AnalysisError(f"cuts must be at least 1, got {cuts}")
        if warmup > last:
            ready = "never all" if warmup >= n else f"only from bar {warmup} all"
            raise AnalysisError(
                f"no bar to cut at: on {n} bars the indicators {ready} have values; give more data"
            )
        plan = set(np.linspace(warmup, last, cuts).round().astype(int).tolist())
    else:
        plan = {int(c) for c in cuts}
        bad = sorted(c for c in plan if not 0 <= c <= last)
        if bad or not plan:
            raise AnalysisError(f"cuts must be bars in [0, {last}], got {bad or 'none'}")
    if signal_cuts < 0:
        raise AnalysisError(f"signal_cuts must be 0 or more, got {signal_cuts}")
    if signal_cuts and signal_bars:
        picks = np.unique(np.linspace(0, len(signal_bars) - 1, signal_cuts).round().astype(int))
        fired = [signal_bars[k] for k in picks.tolist()]
        plan |= {bar + step for bar in fired for step in (0, 1) if bar + step <= last}
    return tuple(sorted(plan))


def _compare_lines(
    strategy: type[Strategy],
    *,
    params: dict[str, Any],
    part: list[BarSeries],
    full: Sequence[Output],
    cut: int,
    found: dict[int, list[CutDifference]],
    tolerances: tuple[float, float],
) -> None:
    """Compute the outputs on the cut bars and record where they differ from the full run."""
    outputs = strategy_outputs(strategy, params, part)
    if [o.name for o in outputs] != [o.name for o in full]:
        raise AnalysisError(
            f"{strategy.__name__} registers other outputs on bars cut at {cut}: "
            f"{[o.name for o in outputs]} instead of {[o.name for o in full]}"
        )
    for k, (mine, whole) in enumerate(zip(outputs, full, strict=True)):
        difference = cut_difference(mine.values, whole.values, cut, *tolerances)
        if difference is not None:
            found[k].append(difference)


def _line_findings(
    strategy: type[Strategy],
    params: dict[str, Any],
    series: list[BarSeries],
    full: Sequence[Output],
    found: dict[int, list[CutDifference]],
) -> list[LookaheadFinding]:
    prints = footprints(strategy, params, series, full, set(found)) if found else {}
    return [
        _finding(full[k], series[full[k].series], found[k], diagnose(prints.get(k), found[k]))
        for k in sorted(found)
    ]


def _by_side(changed: list[Decision]) -> dict[str, list[Decision]]:
    groups: dict[str, list[Decision]] = defaultdict(list)
    for decision in changed:
        groups[decision[1]].append(decision)
    return groups


def _order_findings(
    primary: BarSeries, sides: dict[str, list[tuple[int, list[Decision]]]], biased: list[str]
) -> list[LookaheadFinding]:
    seen = f" (see {', '.join(biased)})" if biased else ""
    diagnosis = Diagnosis(
        "unknown",
        None,
        "orders made at a bar changed when later bars were removed: an indicator or on_bar "
        f"reads bars after the current one{seen}",
    )
    out = []
    for side in sorted(sides):
        runs = [(cut, changed) for cut, changed in sides[side] if changed]
        first_bar, cut = min((min(d[0] for d in changed), cut) for cut, changed in runs)
        out.append(
            LookaheadFinding(
                side, "entry", first_bar, _open_time(primary, first_bar), cut, len(runs),
                max(len(changed) for _, changed in runs), float("nan"), diagnosis.cause,
                diagnosis.bars_ahead, diagnosis.hint,
            )
        )  # fmt: skip
    return out


def _finding(
    output: Output, series: BarSeries, diffs: list[CutDifference], diagnosis: Diagnosis
) -> LookaheadFinding:
    first = min(diffs, key=lambda d: (d.first, d.cut))
    gaps = [d.max_abs for d in diffs if not np.isnan(d.max_abs)]
    return LookaheadFinding(
        output.name, output.kind, first.first, _open_time(series, first.first), first.cut,
        len(diffs), max(d.differing for d in diffs), max(gaps, default=float("nan")),
        diagnosis.cause, diagnosis.bars_ahead, diagnosis.hint,
    )  # fmt: skip


def _open_time(series: BarSeries, bar: int) -> pd.Timestamp:
    return pd.Timestamp(int(series.ts_open[bar]), unit="ns", tz="UTC")
