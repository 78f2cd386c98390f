"""What catalog operations report back: writes, imports and the series a catalog holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from tradeforge.data.importers.base import FileInfo
from tradeforge.data.reports import ValidationReport
from tradeforge.data.schema import DataKind
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe


@dataclass(frozen=True, slots=True)
class WriteReport:
    """What one write did to a series.

    Parameters
    ----------
    series : str
        ``bars binance BTC/USDT 5m``.
    rows_in : int
        Rows handed in.
    rows_added : int
        Rows the series did not have before.
    rows_replaced : int
        Stored rows overwritten by incoming rows with the same identity and other values (a
        re-downloaded last candle). For ticks without ids: the stored rows of the replaced
        time window.
    rows_unchanged : int
        Incoming rows identical to stored ones.
    exact_duplicates_dropped : int
        Incoming rows that repeated an earlier incoming row exactly.
    conflicts_resolved : int
        Incoming rows dropped by ``on_conflict="first"`` or ``"last"``.
    out_of_order_rows : int
        Incoming rows earlier than the row before them (they are sorted before storing).
    partitions_written : tuple of str
        Partition files rewritten, relative to the catalog root.
    """

    series: str
    rows_in: int
    rows_added: int
    rows_replaced: int
    rows_unchanged: int
    exact_duplicates_dropped: int
    conflicts_resolved: int
    out_of_order_rows: int
    partitions_written: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        out = asdict(self)
        out["partitions_written"] = list(self.partitions_written)
        return out


@dataclass(frozen=True, slots=True)
class ImportResult:
    """A file import: what the file was, what it contained, and what was stored."""

    file: FileInfo
    validation: ValidationReport
    write: WriteReport


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """A stored series, described from Parquet metadata without reading its rows.

    ``first`` and ``last`` are tz-aware UTC timestamps (``None`` when empty), ``bytes`` the
    size of its files on disk.
    """

    kind: DataKind
    venue: str
    symbol: Symbol
    timeframe: Timeframe | None
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    bytes: int
    partitions: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (ISO timestamps)."""
        return {
            "kind": self.kind.value,
            "venue": self.venue,
            "symbol": str(self.symbol),
            "timeframe": None if self.timeframe is None else str(self.timeframe),
            "rows": self.rows,
            "first": None if self.first is None else self.first.isoformat(),
            "last": None if self.last is None else self.last.isoformat(),
            "bytes": self.bytes,
            "partitions": self.partitions,
        }
