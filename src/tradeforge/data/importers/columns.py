"""Find the canonical columns in a file's columns, and build the raw frame from them.

Column names are matched case-insensitively against a table of aliases (``amount`` is a
trade's ``size``, ``timestamp`` is ``ts``); a caller's explicit mapping always wins.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.data.errors import DataError, DataFileError
from tradeforge.data.importers import cells
from tradeforge.data.importers.base import ColumnMap, TsUnit
from tradeforge.data.schema import COLUMNS, DEFAULTS, SOURCE_ROW, TS, DataKind

ALIASES: Mapping[str, tuple[str, ...]] = {
    TS: ("ts", "timestamp", "date", "datetime", "time", "open_time", "timestamp_utc",
         "unnamed: 0", ""),
    "open": ("open", "o"), "high": ("high", "h"), "low": ("low", "l"), "close": ("close", "c"),
    "volume": ("volume", "vol", "v"),
    "synthetic": ("synthetic",), "partial": ("partial",),
    "trade_id": ("trade_id", "id", "tid"),
    "price": ("price", "px"),
    "size": ("size", "amount", "quantity", "qty", "volume"),
    "side": ("side", "taker_side", "aggressor_side"),
    "buyer_maker": ("buyer_maker", "is_buyer_maker"),
    "bid": ("bid", "bid_price", "bid_px"), "ask": ("ask", "ask_price", "ask_px"),
    "bid_size": ("bid_size", "bid_amount", "bid_qty", "bid_volume"),
    "ask_size": ("ask_size", "ask_amount", "ask_qty", "ask_volume"),
}  # fmt: skip
# Where a header-less file keeps its columns, when the caller does not say.
HEADERLESS: Mapping[DataKind, Mapping[str, int]] = {
    DataKind.BARS: {TS: 0, "open": 1, "high": 2, "low": 3, "close": 4, "volume": 5},
    DataKind.TRADES: {TS: 0, "price": 1, "size": 2},
}
_READERS: Mapping[str, Callable[[cells.Cells], npt.NDArray[np.generic]]] = {
    "trade_id": cells.text, "side": cells.sides, "buyer_maker": cells.sides_from_buyer_maker,
    "synthetic": cells.flags, "partial": cells.flags,
}  # fmt: skip


def wanted(kind: DataKind) -> tuple[str, ...]:
    """Canonical columns (plus ``ts``) a file of ``kind`` is searched for."""
    extra = ("buyer_maker",) if kind is DataKind.TRADES else ()
    return (TS, *COLUMNS[kind], *extra)


def infer_kind(labels: Sequence[Hashable]) -> DataKind | None:
    """Bars if open/high/low/close are there, trades if price and size, quotes if bid and ask."""
    found = {name for name in ALIASES if _find(labels, name) is not None}
    if {"open", "high", "low", "close"} <= found:
        return DataKind.BARS
    if {"price", "size"} <= found:
        return DataKind.TRADES
    if {"bid", "ask"} <= found:
        return DataKind.QUOTES
    return None


def resolve(
    labels: Sequence[Hashable], kind: DataKind, explicit: ColumnMap | None, path: Path
) -> dict[str, Hashable]:
    """Canonical name -> file column for every column of ``kind`` the file has.

    Raises
    ------
    DataFileError
        When a required column is not there; the message lists the file's columns.
    """
    explicit = dict(explicit or {})
    unknown = set(explicit) - set(wanted(kind))
    if unknown:
        raise DataError(f"unknown canonical column(s) {sorted(unknown)} for {kind}: "
                        f"use {', '.join(wanted(kind))}")  # fmt: skip
    found: dict[str, Hashable] = {}
    for name in wanted(kind):
        label = _explicit(labels, name, explicit[name], path) if name in explicit else None
        label = label if label is not None else _find(labels, name, exclude=found.values())
        if label is not None:
            found[name] = label
    if "buyer_maker" in found and "side" in found:
        del found["buyer_maker"]
    _require(found, labels, kind, path)
    return found


def _explicit(labels: Sequence[Hashable], name: str, given: str | int, path: Path) -> Hashable:
    if isinstance(given, int) and not isinstance(given, bool):
        if not 0 <= given < len(labels):
            raise DataFileError(path, f"no column {given} for {name!r}; the file has {len(labels)}")
        return labels[given]
    if given not in labels:
        raise DataFileError(path, f"no column {given!r} for {name!r}; columns: {_show(labels)}")
    return given


def _find(labels: Sequence[Hashable], name: str, exclude: object = ()) -> Hashable | None:
    taken = set(exclude)  # type: ignore[call-overload]
    by_lower = {str(label).strip().lower(): label for label in labels if label not in taken}
    return next((by_lower[a] for a in ALIASES[name] if a in by_lower), None)


def _require(
    found: Mapping[str, Hashable], labels: Sequence[Hashable], kind: DataKind, path: Path
) -> None:
    for name in (TS, *COLUMNS[kind]):
        if name in found or name in DEFAULTS:
            continue
        looked = ", ".join(repr(a) for a in ALIASES[name] if a)
        raise DataFileError(
            path,
            f"missing column (looked for {looked}; columns: {_show(labels)}); "
            f"pass columns={{{name!r}: ...}}",
            column=name,
        )


def _show(labels: Sequence[Hashable]) -> str:
    return ", ".join(repr(label) for label in labels)


def build_raw(
    table: pd.DataFrame,
    found: Mapping[str, Hashable],
    path: Path,
    *,
    ts_unit: TsUnit = "auto",
    ts_format: str | None = None,
    rows: npt.NDArray[np.int64] | None = None,
) -> pd.DataFrame:
    """The raw frame: ``ts`` (int64 ns), ``source_row`` and each found canonical column."""
    rows = np.arange(1, len(table) + 1, dtype=np.int64) if rows is None else rows
    if len(table) == 0:
        raise DataFileError(path, "no data rows")
    out = pd.DataFrame(
        {TS: cells.timestamps(_cells(table, found[TS], path, rows), ts_unit, ts_format)}
    )
    out[SOURCE_ROW] = rows
    for name, label in found.items():
        if name == TS:
            continue
        read = _READERS.get(name, cells.numbers)
        target = "side" if name == "buyer_maker" else name
        out[target] = read(_cells(table, label, path, rows))
    return out


def _cells(
    table: pd.DataFrame, label: Hashable, path: Path, rows: npt.NDArray[np.int64]
) -> cells.Cells:
    return cells.Cells(table[label], path, str(label), rows)
