"""One entry point for every supported file: :func:`load_file`."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tradeforge.data.errors import DataError
from tradeforge.data.importers.base import ColumnMap, FileInfo, LoadedFile, TsUnit
from tradeforge.data.importers.columns import HEADERLESS, build_raw, infer_kind, resolve
from tradeforge.data.importers.csv import read_csv
from tradeforge.data.importers.freqtrade import read_feather, read_json
from tradeforge.data.importers.names import KNOWN_VENUES, NameHints, hints_from_path
from tradeforge.data.importers.parquet import read_parquet
from tradeforge.data.importers.sheet import Sheet
from tradeforge.data.schema import TS, DataKind, require_kind
from tradeforge.data.timestamps import floor_ns
from tradeforge.model.symbol import Symbol, SymbolError
from tradeforge.model.timeframe import Timeframe

FORMATS: dict[str, str] = {
    ".csv": "csv", ".csv.gz": "csv", ".feather": "feather", ".json": "json",
    ".json.gz": "json", ".parquet": "parquet",
}  # fmt: skip


def file_format(path: Path) -> str:
    """``csv``, ``feather``, ``json`` or ``parquet`` from the file suffix.

    Raises
    ------
    DataError
        For any other suffix, listing the supported ones.
    """
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    raise DataError(
        f"{path.name}: unknown file format {''.join(path.suffixes) or '(no suffix)'}; "
        f"supported: {', '.join(FORMATS)}"
    )


def load_file(
    path: Path | str,
    *,
    kind: DataKind | str | None = None,
    venue: str | None = None,
    symbol: Symbol | str | None = None,
    timeframe: Timeframe | str | None = None,
    columns: ColumnMap | None = None,
    ts_unit: TsUnit = "auto",
    ts_format: str | None = None,
    header: bool | None = None,
    delimiter: str | None = None,
    snap_to_timeframe: bool = False,
) -> LoadedFile:
    """Load a market-data file as raw rows, with what its name and contents tell.

    Parameters
    ----------
    path : Path or str
        A ``.csv`` (or ``.csv.gz``), ``.feather``, ``.json`` (or ``.json.gz``) or ``.parquet``
        file.
    kind : {"bars", "trades", "quotes"}, optional
        Inferred from the file name (``-trades``), the format or the columns when omitted.
    venue, symbol, timeframe : optional
        Override what the path says (freqtrade names, a ``binance`` parent folder, hive
        folders of a catalog export).
    columns : mapping, optional
        Canonical name -> file column name or 0-based index, e.g.
        ``{"ts": "open_time", "size": 2}``; unmapped columns are found by common names
        (``timestamp``, ``amount``, ``quantity``, ``bid_price``...). For trades,
        ``"buyer_maker"`` maps Binance's is-buyer-maker flag to the aggressor side.
    ts_unit : {"auto", "s", "ms", "us", "ns", "iso"}
        Unit of numeric timestamps; ``auto`` decides by magnitude, ``iso`` forces text.
    ts_format : str, optional
        strptime format for text timestamps that are not ISO-8601 (``"%d.%m.%Y %H:%M:%S.%f"``).
    header, delimiter : optional
        CSV only; detected when omitted.
    snap_to_timeframe : bool
        Floor bar timestamps to the timeframe's open times (e.g. monthly bars dated at month
        end). Off by default: misaligned bars are reported, not silently moved.

    Returns
    -------
    LoadedFile
        ``frame`` is unsorted and not deduplicated, so validation sees the file as it is.

    Raises
    ------
    DataError
        For an unknown format, an empty file, a file kind not supported yet (freqtrade
        ``-mark`` and ``-funding_rate``) or a kind that cannot be inferred.
    DataFileError
        For a missing column or a cell that cannot be read, naming row and column.
    """
    path = Path(path)
    fmt = file_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    hints = hints_from_path(path)
    sheet = _READERS[fmt](path, header, delimiter)
    labels = list(sheet.table.columns)
    found_kind = _kind(path, kind, hints, sheet, labels)
    mapping = columns if columns is not None or not sheet.headerless else HEADERLESS.get(found_kind)
    found = resolve(labels, found_kind, mapping, path)
    frame = build_raw(
        sheet.table, found, path, ts_unit=ts_unit, ts_format=ts_format, rows=sheet.rows
    )
    info = _info(fmt, found_kind, hints, sheet.table).overridden(
        venue=venue,
        symbol=Symbol.parse(symbol) if isinstance(symbol, str) else symbol,
        timeframe=Timeframe.parse(timeframe) if timeframe is not None else None,
    )
    if snap_to_timeframe:
        frame = _snap(path, frame, info.timeframe)
    return LoadedFile(path, frame, info)


def _read_csv(path: Path, header: bool | None, delimiter: str | None) -> Sheet:
    return read_csv(path, header=header, delimiter=delimiter)


_READERS: dict[str, Callable[[Path, bool | None, str | None], Sheet]] = {
    "csv": _read_csv,
    "feather": lambda path, _h, _d: read_feather(path),
    "json": lambda path, _h, _d: read_json(path),
    "parquet": lambda path, _h, _d: read_parquet(path),
}


def _kind(
    path: Path,
    kind: DataKind | str | None,
    hints: NameHints,
    sheet: Sheet,
    labels: Sequence[Hashable],
) -> DataKind:
    if kind is not None:
        return require_kind(kind)
    found = hints.kind or sheet.kind or (None if sheet.headerless else infer_kind(labels))
    if found is None and sheet.headerless:
        width = len(labels)
        found = DataKind.BARS if width >= 6 else DataKind.TRADES if width == 3 else None
    if found is None:
        raise DataError(f"{path.name}: cannot tell bars, trades or quotes apart; pass kind=")
    return found


# Tardis exchange ids naming a linear (quote-settled) derivatives venue: id -> ccxt id.
TARDIS_LINEAR: dict[str, str] = {"binance-futures": "binance", "bybit": "bybit"}


def _info(fmt: str, kind: DataKind, hints: NameHints, table: pd.DataFrame) -> FileInfo:
    symbol, market = hints.symbol or _single_symbol(table), hints.market
    exchange = _single_value(table, "exchange")
    venue = hints.venue or _single_venue(exchange)
    if symbol is not None and exchange in TARDIS_LINEAR and symbol.settle is None:
        symbol, market = Symbol(symbol.base, symbol.quote, symbol.quote), "futures"
    return FileInfo(fmt, kind, symbol, hints.timeframe, venue, market)


def _single_value(table: pd.DataFrame, column: str) -> str | None:
    if column not in table.columns or len(table) == 0:
        return None
    values = table[column].astype("str").unique()
    return str(values[0]) if len(values) == 1 else None


def _single_symbol(table: pd.DataFrame) -> Symbol | None:
    text = _single_value(table, "symbol")
    try:
        return Symbol.parse(text) if text else None
    except SymbolError:
        return None


def _single_venue(text: str | None) -> str | None:
    """A Tardis-style ``exchange`` value (``binance-futures`` -> ``binance``)."""
    head = text.split("-")[0].lower() if text else None
    return head if head in KNOWN_VENUES else None


def _snap(path: Path, frame: pd.DataFrame, timeframe: Timeframe | None) -> pd.DataFrame:
    if timeframe is None:
        raise DataError(f"{path.name}: snap_to_timeframe needs a timeframe")
    snapped = frame.copy()
    snapped[TS] = floor_ns(frame[TS].to_numpy(dtype=np.int64), timeframe)
    return snapped
