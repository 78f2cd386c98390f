"""Deduplicate incoming rows and merge them into stored ones.

Identity: a bar is identified by its ``ts``; a trade by ``(ts, trade_id)`` when every trade
in the frame has an id. Rows without an identity (quotes, trades without ids) are never
deduplicated one by one, because two identical ticks may both be real; instead an import
replaces the stored ticks inside the time window it covers, so re-importing a file is
idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from tradeforge.data import checks
from tradeforge.data.errors import DataError, DataFileError
from tradeforge.data.schema import COLUMNS, TS, DataKind

OnConflict = Literal["raise", "first", "last"]
ON_CONFLICT_CHOICES: tuple[str, ...] = ("raise", "first", "last")


@dataclass(frozen=True, slots=True)
class Deduplicated:
    """Incoming rows sorted by time, one row per identity."""

    table: pd.DataFrame
    exact_duplicates_dropped: int
    conflicts_resolved: int
    out_of_order_rows: int


@dataclass(frozen=True, slots=True)
class Merged:
    """A partition after merging incoming rows into stored ones."""

    table: pd.DataFrame
    rows_added: int
    rows_replaced: int
    rows_unchanged: int

    @property
    def changed(self) -> bool:
        """True when the partition must be rewritten."""
        return self.rows_added > 0 or self.rows_replaced > 0


def identity(table: pd.DataFrame, kind: DataKind) -> list[str] | None:
    """Columns identifying a row, or ``None`` for rows without an identity."""
    if kind is DataKind.BARS:
        return [TS]
    if kind is DataKind.TRADES and len(table) and bool((table["trade_id"] != "").all()):
        return [TS, "trade_id"]
    return None


def deduplicate(
    table: pd.DataFrame,
    kind: DataKind,
    *,
    on_conflict: OnConflict = "raise",
    path: Path | None = None,
    source: str = "<frame>",
) -> Deduplicated:
    """Sort by time, drop exact duplicates and settle conflicting ones.

    Raises
    ------
    DataFileError
        On two rows with the same identity and different values when ``on_conflict`` is
        ``"raise"``; the message names the later row, the column and the earlier row.
    """
    if on_conflict not in ON_CONFLICT_CHOICES:
        raise DataError(f"on_conflict must be one of {ON_CONFLICT_CHOICES}, got {on_conflict!r}")
    ts = table[TS].to_numpy()
    out_of_order = int((ts[1:] < ts[:-1]).sum())
    ordered = table.sort_values(TS, kind="stable").reset_index(drop=True)
    key = identity(ordered, kind)
    if key is None:
        return Deduplicated(ordered, 0, 0, out_of_order)
    values = [c for c in COLUMNS[kind] if c not in key]
    exact = ordered.duplicated(subset=[*key, *values], keep="first").to_numpy()
    unique = ordered[~exact]
    conflicting = unique.duplicated(subset=key, keep=False).to_numpy()
    if conflicting.any() and on_conflict == "raise":
        _, found = checks.duplicates(table, key, values)
        issue = found.examples[0]
        raise DataFileError(path, issue.detail, row=issue.row, column=issue.column, source=source)
    kept = unique.drop_duplicates(subset=key, keep="first" if on_conflict == "first" else "last")
    return Deduplicated(
        kept.reset_index(drop=True), int(exact.sum()), len(unique) - len(kept), out_of_order
    )


def merge(stored: pd.DataFrame, incoming: pd.DataFrame, kind: DataKind) -> Merged:
    """Merge sorted, deduplicated ``incoming`` rows into a stored partition.

    Incoming rows replace stored rows with the same identity; for rows without an identity
    they replace the stored rows inside ``[first, last]`` of the incoming timestamps.
    """
    if stored.empty:
        return Merged(incoming, len(incoming), 0, 0)
    key = identity(incoming, kind)
    if key is None or identity(stored, kind) is None:
        return _merge_window(stored, incoming, kind)
    values = [c for c in COLUMNS[kind] if c not in key]
    both = pd.concat([stored, incoming], ignore_index=True)
    overlapped = both.duplicated(subset=key, keep="last").to_numpy()[: len(stored)]
    same = both.duplicated(subset=[*key, *values], keep="last").to_numpy()[: len(stored)]
    replaced = int((overlapped & ~same).sum())
    unchanged = int(same.sum())
    kept = pd.concat([stored[~overlapped], incoming], ignore_index=True)
    kept = kept.sort_values(TS, kind="stable").reset_index(drop=True)
    return Merged(kept, len(incoming) - replaced - unchanged, replaced, unchanged)


def _merge_window(stored: pd.DataFrame, incoming: pd.DataFrame, kind: DataKind) -> Merged:
    ts = stored[TS].to_numpy()
    first, last = incoming[TS].iloc[0], incoming[TS].iloc[-1]
    inside = (ts >= first) & (ts <= last)
    columns = [TS, *COLUMNS[kind]]
    window = stored.loc[inside, columns].reset_index(drop=True)
    if window.equals(incoming[columns].reset_index(drop=True)):
        return Merged(stored, 0, 0, len(incoming))
    replaced = int(inside.sum())
    kept = pd.concat([stored[~inside], incoming], ignore_index=True)
    kept = kept.sort_values(TS, kind="stable").reset_index(drop=True)
    return Merged(kept, max(len(incoming) - replaced, 0), replaced, 0)
