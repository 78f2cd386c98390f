"""The Parquet data catalog: store, read, list and delete market-data series.

See :mod:`tradeforge.data.layout` for the folder layout. Every write validates the whole
frame before the first byte is written and replaces each partition atomically (a temporary
file, then ``os.replace``), so bad input never leaves a partially written catalog. One writer
per series at a time is assumed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from tradeforge.data import store
from tradeforge.data.errors import DataError
from tradeforge.data.importers import ColumnMap, TsUnit, load_file
from tradeforge.data.layout import (
    SeriesKey,
    partition_bounds,
    partition_name,
    partition_starts,
    series_in,
)
from tradeforge.data.merge import OnConflict, merge
from tradeforge.data.normalize import prepare
from tradeforge.data.reports import ValidationReport
from tradeforge.data.results import ImportResult, SeriesInfo, WriteReport
from tradeforge.data.schema import COLUMNS, TS, DataKind, require_kind
from tradeforge.data.store import ProgressCallback
from tradeforge.data.timestamps import TimeLike, as_utc, to_ns
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

SymbolLike = Symbol | str
TimeframeLike = Timeframe | str


class ParquetCatalog:
    """Market data on disk, one Parquet file per series and year (bars) or month (ticks).

    Parameters
    ----------
    root : Path or str
        The catalog folder; created on the first write.

    Examples
    --------
    >>> catalog = ParquetCatalog("~/.tradeforge/catalog")  # doctest: +SKIP
    >>> catalog.import_file("SOL_USDT-5m.feather", venue="binance")  # doctest: +SKIP
    >>> bars = catalog.read_bars("binance", "SOL/USDT", "5m", start="2024-11-01")  # doctest: +SKIP
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()

    # -- writing -------------------------------------------------------------------------

    def write_bars(
        self,
        venue: str,
        symbol: SymbolLike,
        timeframe: TimeframeLike,
        frame: pd.DataFrame,
        *,
        on_conflict: OnConflict = "raise",
        on_progress: ProgressCallback | None = None,
    ) -> WriteReport:
        """Add bars to a series; stored bars at the same ``ts`` are replaced.

        Parameters
        ----------
        venue : str
            ccxt exchange id, e.g. ``"binance"``.
        symbol : Symbol or str
            ``"BTC/USDT"``, ``"BTC/USDT:USDT"``...
        timeframe : Timeframe or str
            ``"5m"``; every bar's ``ts`` (its open time) must be aligned to it.
        frame : pandas.DataFrame
            Canonical bars or a raw frame (``ts`` int64 ns column); may be unsorted and hold
            duplicates: exact ones are dropped.
        on_conflict : {"raise", "first", "last"}
            Two incoming rows with the same ``ts`` and different values raise a
            :class:`DataFileError` unless told which to keep.
        on_progress : callable, optional
            Called as ``on_progress(done, total)`` after each partition file is staged.

        Raises
        ------
        DataFileError
            On NaNs, non-positive prices, negative volume, OHLC violations, bars not aligned to
            the timeframe (naming the first offending ts) or conflicting duplicates. Nothing
            is written then.
        """
        key = SeriesKey.of(DataKind.BARS, venue, symbol, timeframe)
        return self._write(key, frame, on_conflict=on_conflict, on_progress=on_progress)[0]

    def write_trades(
        self,
        venue: str,
        symbol: SymbolLike,
        frame: pd.DataFrame,
        *,
        on_conflict: OnConflict = "raise",
        on_progress: ProgressCallback | None = None,
    ) -> WriteReport:
        """Add trades; see :meth:`write_bars`.

        Trades with ids are identified by ``(ts, trade_id)``: stored ones are replaced, exact
        incoming duplicates dropped. Trades without ids replace the stored trades in the time
        window ``[first, last]`` they cover (identical ticks may both be real).
        """
        key = SeriesKey.of(DataKind.TRADES, venue, symbol)
        return self._write(key, frame, on_conflict=on_conflict, on_progress=on_progress)[0]

    def write_quotes(
        self,
        venue: str,
        symbol: SymbolLike,
        frame: pd.DataFrame,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> WriteReport:
        """Add quotes; they replace the stored quotes in the window ``[first, last]`` they cover."""
        key = SeriesKey.of(DataKind.QUOTES, venue, symbol)
        return self._write(key, frame, on_progress=on_progress)[0]

    def _write(
        self,
        key: SeriesKey,
        frame: pd.DataFrame,
        *,
        on_conflict: OnConflict = "raise",
        on_progress: ProgressCallback | None = None,
        path: Path | None = None,
    ) -> tuple[WriteReport, ValidationReport]:
        prepared = prepare(
            frame, key.kind, timeframe=key.timeframe, on_conflict=on_conflict, path=path,
            source=key.label,
        )  # fmt: skip
        rows = prepared.rows
        incoming = rows.table[[TS, *COLUMNS[key.kind]]]
        staged, added, replaced, unchanged = self._stage(key, incoming)
        store.write_atomic(staged, on_progress)
        report = WriteReport(
            series=key.label,
            rows_in=len(frame),
            rows_added=added,
            rows_replaced=replaced,
            rows_unchanged=unchanged,
            exact_duplicates_dropped=rows.exact_duplicates_dropped,
            conflicts_resolved=rows.conflicts_resolved,
            out_of_order_rows=rows.out_of_order_rows,
            partitions_written=tuple(str(p.relative_to(self.root)) for p in staged),
        )
        return report, prepared.report

    def _stage(
        self, key: SeriesKey, incoming: pd.DataFrame
    ) -> tuple[dict[Path, pa.Table], int, int, int]:
        """Merge incoming rows into each partition they touch; nothing is written here."""
        folder = key.directory(self.root)
        ts = incoming[TS].to_numpy(dtype=np.int64)
        starts = partition_starts(ts, key.kind)
        staged: dict[Path, pa.Table] = {}
        added = replaced = unchanged = 0
        for start in np.unique(starts):
            lo, hi = np.searchsorted(starts, start, "left"), np.searchsorted(starts, start, "right")
            target = folder / partition_name(int(start), key.kind)
            stored = store.read_partition(target, key.kind)
            merged = merge(stored, incoming.iloc[lo:hi].reset_index(drop=True), key.kind)
            added, replaced = added + merged.rows_added, replaced + merged.rows_replaced
            unchanged += merged.rows_unchanged
            if merged.changed:
                staged[target] = store.to_arrow(merged.table, key.kind)
        return staged, added, replaced, unchanged

    def import_file(
        self,
        path: Path | str,
        *,
        venue: str | None = None,
        symbol: SymbolLike | None = None,
        timeframe: TimeframeLike | None = None,
        kind: DataKind | str | None = None,
        columns: ColumnMap | None = None,
        ts_unit: TsUnit = "auto",
        ts_format: str | None = None,
        snap_to_timeframe: bool = False,
        on_conflict: OnConflict = "raise",
        on_progress: ProgressCallback | None = None,
    ) -> ImportResult:
        """Load a file (see :func:`~tradeforge.data.importers.load_file`), validate it, store it.

        Venue, symbol and timeframe default to what the file name and folders say
        (``binance/SOL_USDT-5m.feather``); pass them when they cannot be inferred.

        Returns
        -------
        ImportResult
            The file info, the validation report of the file as it was (duplicates, gaps,
            order) and the write report.

        Raises
        ------
        DataError
            When venue, symbol or timeframe is unknown, or the format is not supported.
        DataFileError
            On the first invalid row, naming file, row and column; nothing is written.
        """
        loaded = load_file(
            path, kind=kind, venue=venue, symbol=symbol, timeframe=timeframe, columns=columns,
            ts_unit=ts_unit, ts_format=ts_format, snap_to_timeframe=snap_to_timeframe,
        )  # fmt: skip
        info = loaded.info
        for name, value in (("venue", info.venue), ("symbol", info.symbol)):
            if value is None:
                raise DataError(f"{loaded.path.name}: cannot infer the {name}; pass {name}=")
        if loaded.kind is DataKind.BARS and info.timeframe is None:
            raise DataError(f"{loaded.path.name}: cannot infer the timeframe; pass timeframe=")
        assert info.venue is not None
        assert info.symbol is not None
        key = SeriesKey.of(loaded.kind, info.venue, info.symbol, info.timeframe)
        write, report = self._write(
            key, loaded.frame, on_conflict=on_conflict, on_progress=on_progress, path=loaded.path
        )
        return ImportResult(info, report, write)

    # -- reading -------------------------------------------------------------------------

    def read_bars(
        self,
        venue: str,
        symbol: SymbolLike,
        timeframe: TimeframeLike,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> pd.DataFrame:
        """Canonical bars with ``start <= ts < end``.

        Parameters
        ----------
        start, end : str, int, datetime or pandas.Timestamp, optional
            ISO text (UTC when it has no offset), ns since the epoch, or tz-aware times.
            Only partitions overlapping the range are read.
        """
        key = SeriesKey.of(DataKind.BARS, venue, symbol, timeframe)
        return self._read(key, start, end)

    def read_trades(
        self,
        venue: str,
        symbol: SymbolLike,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> pd.DataFrame:
        """Canonical trades with ``start <= ts < end``; see :meth:`read_bars`."""
        return self._read(SeriesKey.of(DataKind.TRADES, venue, symbol), start, end)

    def read_quotes(
        self,
        venue: str,
        symbol: SymbolLike,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> pd.DataFrame:
        """Canonical quotes with ``start <= ts < end``; see :meth:`read_bars`."""
        return self._read(SeriesKey.of(DataKind.QUOTES, venue, symbol), start, end)

    def _read(self, key: SeriesKey, start: TimeLike | None, end: TimeLike | None) -> pd.DataFrame:
        lo = None if start is None else to_ns(start)
        hi = None if end is None else to_ns(end)
        paths = self._partitions(key, lo, hi)
        table = store.read_range(paths, key.kind, lo, hi)
        frame: pd.DataFrame = table.to_pandas()
        return frame.set_index(TS)

    def _partitions(self, key: SeriesKey, lo: int | None, hi: int | None) -> list[Path]:
        chosen = []
        for path in sorted(key.directory(self.root).glob("*.parquet")):
            bounds = partition_bounds(path.name)
            if bounds is None:
                continue
            if (lo is None or bounds[1] > lo) and (hi is None or bounds[0] < hi):
                chosen.append(path)
        return chosen

    def bar_span(
        self, venue: str, symbol: SymbolLike, timeframe: TimeframeLike
    ) -> tuple[int, int] | None:
        """The first and last stored bar opens (ns) of a series, from the Parquet footers
        only; None when nothing is stored (where a download resumes)."""
        key = SeriesKey.of(DataKind.BARS, venue, symbol, timeframe)
        stats = [store.file_stats(p) for p in self._partitions(key, None, None)]
        firsts = [s.first for s in stats if s.first is not None]
        lasts = [s.last for s in stats if s.last is not None]
        return (min(firsts), max(lasts)) if firsts and lasts else None

    # -- listing and deleting ------------------------------------------------------------

    def list(self) -> list[SeriesInfo]:
        """Every stored series, from Parquet footers only (no rows are read)."""
        return [self._info(key) for key in series_in(self.root)]

    def _info(self, key: SeriesKey) -> SeriesInfo:
        stats = [store.file_stats(p) for p in self._partitions(key, None, None)]
        firsts = [s.first for s in stats if s.first is not None]
        lasts = [s.last for s in stats if s.last is not None]
        return SeriesInfo(
            kind=key.kind,
            venue=key.venue,
            symbol=key.symbol,
            timeframe=key.timeframe,
            rows=sum(s.rows for s in stats),
            first=as_utc(min(firsts)) if firsts else None,
            last=as_utc(max(lasts)) if lasts else None,
            bytes=sum(s.bytes for s in stats),
            partitions=len(stats),
        )

    def delete(
        self,
        kind: DataKind | str,
        venue: str,
        symbol: SymbolLike,
        timeframe: TimeframeLike | None = None,
    ) -> int:
        """Delete a whole series; returns how many partition files were removed."""
        key = SeriesKey.of(require_kind(kind), venue, symbol, timeframe)
        folder = key.directory(self.root)
        if not folder.exists():
            return 0
        removed = len(list(folder.glob("*.parquet")))
        shutil.rmtree(folder)
        kind_root = self.root / key.kind.value
        for parent in folder.parents:
            if parent == kind_root or not parent.is_relative_to(kind_root) or any(parent.iterdir()):
                break
            parent.rmdir()
        return removed
