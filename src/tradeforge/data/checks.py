"""Vectorized row checks shared by the validators: each returns a :class:`Finding`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.data.reports import MAX_EXAMPLES, NO_FINDING, Finding, RowIssue
from tradeforge.data.schema import SOURCE_ROW, TS
from tradeforge.data.timestamps import iso

Mask = npt.NDArray[np.bool_]
# Robust sigma = MAD_TO_SIGMA * median absolute move (consistent with a normal's sigma).
MAD_TO_SIGMA = 1.4826


def finding(
    table: pd.DataFrame, mask: Mask, column: str | None, detail: Callable[[int], str]
) -> Finding:
    """Count the rows where ``mask`` holds; ``detail(i)`` describes row position ``i``."""
    positions = np.flatnonzero(mask)
    if len(positions) == 0:
        return NO_FINDING
    rows = table[SOURCE_ROW].to_numpy()
    stamps = table[TS].to_numpy()
    examples = tuple(
        RowIssue(int(rows[i]), int(stamps[i]), column, detail(int(i)))
        for i in positions[:MAX_EXAMPLES]
    )
    return Finding(len(positions), examples)


def merge_findings(parts: list[Finding]) -> Finding:
    """One finding from several (e.g. one per price column), examples in row order."""
    examples = sorted((e for p in parts for e in p.examples), key=lambda e: e.row)
    return Finding(sum(p.count for p in parts), tuple(examples[:MAX_EXAMPLES]))


def nan_values(table: pd.DataFrame, columns: tuple[str, ...]) -> Finding:
    """Rows with a missing (NaN) value in any of ``columns``; examples name the first one."""
    nan = np.isnan(table[list(columns)].to_numpy(dtype=np.float64))
    positions = np.flatnonzero(nan.any(axis=1))
    rows = table[SOURCE_ROW].to_numpy()
    stamps = table[TS].to_numpy()
    examples = tuple(
        RowIssue(int(rows[i]), int(stamps[i]), columns[int(nan[i].argmax())], "missing value (NaN)")
        for i in positions[:MAX_EXAMPLES]
    )
    return Finding(len(positions), examples)


def non_positive(table: pd.DataFrame, columns: tuple[str, ...], what: str) -> Finding:
    """Rows where a value in ``columns`` is zero or negative."""
    parts = []
    for column in columns:
        values = table[column].to_numpy(dtype=np.float64)
        parts.append(
            finding(table, values <= 0, column, _describe(values, what, "is not positive"))
        )
    return merge_findings(parts)


def negative(table: pd.DataFrame, columns: tuple[str, ...], what: str) -> Finding:
    """Rows where a value in ``columns`` is below zero."""
    parts = []
    for column in columns:
        values = table[column].to_numpy(dtype=np.float64)
        parts.append(finding(table, values < 0, column, _describe(values, what, "is negative")))
    return merge_findings(parts)


def _describe(values: npt.NDArray[np.float64], what: str, verdict: str) -> Callable[[int], str]:
    def detail(i: int) -> str:
        return f"{what} {float(values[i])!r} {verdict}"

    return detail


def out_of_order(table: pd.DataFrame) -> Finding:
    """Rows whose timestamp is earlier than the row before (time going backwards)."""
    ts = table[TS].to_numpy()
    mask = np.zeros(len(ts), dtype=np.bool_)
    mask[1:] = ts[1:] < ts[:-1]
    return finding(table, mask, TS, lambda i: "timestamp earlier than the previous row's")


def duplicates(table: pd.DataFrame, key: list[str], values: list[str]) -> tuple[Finding, Finding]:
    """(exact, conflicting) duplicates of ``key``: later rows repeating an earlier key.

    Exact: the row equals an earlier row in every value. Conflicting: the key was seen before
    with different values; the example names the first differing column and the earlier row.
    """
    exact_mask = table.duplicated(subset=[*key, *values], keep="first").to_numpy()
    repeated = table.duplicated(subset=key, keep="first").to_numpy()
    exact = finding(table, exact_mask, None, lambda i: "exact copy of an earlier row")
    conflict_mask = repeated & ~exact_mask
    if not conflict_mask.any():
        return exact, NO_FINDING
    first_rows = table.groupby(key, sort=False)[SOURCE_ROW].transform("first").to_numpy()
    positions = np.flatnonzero(conflict_mask)
    count = int(table[conflict_mask].drop_duplicates(subset=key).shape[0])
    examples = tuple(
        _conflict_issue(table, int(i), int(first_rows[i]), key, values)
        for i in positions[:MAX_EXAMPLES]
    )
    return exact, Finding(count, examples)


def _conflict_issue(
    table: pd.DataFrame, position: int, first_row: int, key: list[str], values: list[str]
) -> RowIssue:
    row = table.iloc[position]
    earlier = table[table[SOURCE_ROW] == first_row].iloc[0]
    column = next((c for c in values if row[c] != earlier[c]), values[0])
    here, there = _plain(row[column]), _plain(earlier[column])
    detail = (
        f"duplicate {'/'.join(key)} {iso(int(row[TS]))} with different values: "
        f"{column} {here!r} here, {there!r} in row {first_row}"
    )
    return RowIssue(int(row[SOURCE_ROW]), int(row[TS]), column, detail)


def _plain(value: object) -> object:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def robust_sigma(returns: npt.NDArray[np.float64]) -> float:
    """Robust scale of returns: 1.4826 × median |return| (the MAD about zero).

    When more than half the returns are 0 (thin markets), the median of the non-zero ones is
    used instead, so a handful of moves is not all flagged.
    """
    moves = np.abs(returns)
    sigma = MAD_TO_SIGMA * float(np.median(moves)) if len(moves) else 0.0
    if sigma == 0.0:
        moving = moves[moves != 0]
        sigma = MAD_TO_SIGMA * float(np.median(moving)) if len(moving) else 0.0
    return sigma


def outlier_moves(
    table: pd.DataFrame, price_column: str, outlier_sigma: float
) -> tuple[Finding, float]:
    """Rows whose |log return| from the previous row exceeds ``outlier_sigma`` robust sigmas.

    ``table`` must be sorted by time with one row per timestamp (or per trade).
    """
    prices = table[price_column].to_numpy(dtype=np.float64)
    usable = np.isfinite(prices) & (prices > 0)
    positions = np.flatnonzero(usable)
    logs = np.log(prices[positions])
    returns = np.diff(logs)
    sigma = robust_sigma(returns)
    mask = np.zeros(len(table), dtype=np.bool_)
    if sigma > 0:
        mask[positions[1:][np.abs(returns) > outlier_sigma * sigma]] = True
    change = np.zeros(len(table))
    change[positions[1:]] = returns

    def detail(i: int) -> str:
        moved = float(np.expm1(change[i]))
        sigmas = abs(change[i]) / sigma
        return (
            f"{price_column} moved {moved:+.2%} (log return {change[i]:+.4f}, {sigmas:.1f} sigma)"
        )

    return finding(table, mask, price_column, detail), sigma


def outlier_prices(
    table: pd.DataFrame, price_column: str, outlier_sigma: float, window: int
) -> tuple[Finding, float]:
    """Rows whose price strays from the centred rolling median of ``window`` rows.

    The deviation is ``|log(price / median)|``; a row is an outlier when it exceeds
    ``outlier_sigma`` robust sigmas of all deviations. Tick-to-tick returns are no use here:
    most are 0 and the rest bounce between bid and ask. ``table`` must be sorted by time.
    """
    prices = pd.Series(table[price_column].to_numpy(dtype=np.float64))
    prices = prices.where(prices > 0)
    median = prices.rolling(window, center=True, min_periods=1).median().to_numpy()
    deviation = np.log(prices.to_numpy() / median)
    finite = np.isfinite(deviation)
    sigma = robust_sigma(deviation[finite])
    mask = finite & (np.abs(np.nan_to_num(deviation)) > outlier_sigma * sigma) & (sigma > 0)

    def detail(i: int) -> str:
        return (
            f"{price_column} {float(prices.iloc[i])!r} is {float(np.expm1(deviation[i])):+.2%} "
            f"from the rolling median {float(median[i])!r} ({abs(deviation[i]) / sigma:.1f} sigma)"
        )

    return finding(table, mask, price_column, detail), sigma
