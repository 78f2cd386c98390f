"""freqtrade data files: candle and trade Feather files, JSON and ``.json.gz`` lists.

Candles: ``date, open, high, low, close, volume`` (Feather, ``date`` tz-aware) or JSON
``[[ts_ms, open, high, low, close, volume], ...]`` or pandas' ``orient="columns"`` JSON.
Trades: ``timestamp (ms), id, type, side, price, amount, cost`` in the same two layouts.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pyarrow import feather

from tradeforge.data.errors import DataError, DataFileError
from tradeforge.data.importers.sheet import Sheet
from tradeforge.data.schema import DataKind

CANDLE_COLUMNS = ("date", "open", "high", "low", "close", "volume")
TRADE_COLUMNS = ("timestamp", "id", "type", "side", "price", "amount", "cost")
_LAYOUTS = {len(CANDLE_COLUMNS): (CANDLE_COLUMNS, DataKind.BARS),
            len(TRADE_COLUMNS): (TRADE_COLUMNS, DataKind.TRADES)}  # fmt: skip


def read_feather(path: Path) -> Sheet:
    """Read a Feather (Arrow IPC) file."""
    try:
        table = feather.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"{path.name}: not a readable Feather file ({error})") from None
    return Sheet.of(table.to_pandas())


def read_json(path: Path) -> Sheet:
    """Read a freqtrade JSON file (a list of rows, or pandas' column orientation)."""
    data = _load(path)
    if isinstance(data, dict):
        return _columns_orient(path, data)
    if not isinstance(data, list):
        raise DataError(f"{path.name}: expected a JSON list of rows, got {type(data).__name__}")
    if not data:
        raise DataError(f"{path.name}: empty file (no rows)")
    width = len(data[0]) if isinstance(data[0], list) else -1
    if width not in _LAYOUTS:
        raise DataFileError(path, "expected rows of 6 (candles) or 7 (trades) values", row=1)
    for number, row in enumerate(data, start=1):
        if not isinstance(row, list) or len(row) != width:
            raise DataFileError(path, f"expected a list of {width} values, got {row!r}", row=number)
    names, kind = _LAYOUTS[width]
    return Sheet.of(pd.DataFrame(data, columns=list(names)), kind=kind)


def _load(path: Path) -> Any:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise DataFileError(path, f"invalid JSON at line {error.lineno}: {error.msg}") from None
    except (OSError, EOFError) as error:
        raise DataError(f"{path.name}: cannot read ({error})") from None


def _columns_orient(path: Path, data: dict[str, Any]) -> Sheet:
    if not all(isinstance(values, dict) for values in data.values()):
        raise DataError(f"{path.name}: expected pandas 'columns' JSON ({{column: {{row: value}}}})")
    table = pd.DataFrame(data)
    try:
        table.index = table.index.astype("int64")
    except (TypeError, ValueError):
        raise DataError(f"{path.name}: row keys must be integers") from None
    table = table.sort_index()
    rows = table.index.to_numpy(dtype="int64") + 1
    return Sheet(table.reset_index(drop=True), rows)
