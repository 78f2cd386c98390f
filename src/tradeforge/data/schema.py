"""The canonical shape of market data frames, and conversions to and from it.

Canonical frames are indexed by a :class:`pandas.DatetimeIndex` named ``ts``
(``datetime64[ns, UTC]``, sorted):

- bars: ``open, high, low, close, volume`` (float64), ``synthetic`` (a gap-filled flat bar) and
  ``partial`` (a resampled bar built from fewer source bars than a full bucket), both bool;
  ``ts`` is the bar OPEN time and unique.
- trades: ``trade_id`` (str), ``price``, ``size`` (float64), ``side`` (str: ``"buy"``,
  ``"sell"`` or ``""``, the aggressor side).
- quotes: ``bid, bid_size, ask, ask_size`` (float64).

Internally the package works on the *table form*: the same columns with ``ts`` as an int64
nanosecond column and a ``source_row`` column (1-based row in the file the data came from),
which is what importers return and what validation reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.data.errors import DataError, DataFileError

TS = "ts"
SOURCE_ROW = "source_row"
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
BAR_VALUE_COLUMNS: tuple[str, ...] = (*PRICE_COLUMNS, "volume")
BAR_FLAG_COLUMNS: tuple[str, ...] = ("synthetic", "partial")
BAR_COLUMNS: tuple[str, ...] = (*BAR_VALUE_COLUMNS, *BAR_FLAG_COLUMNS)
TRADE_COLUMNS: tuple[str, ...] = ("trade_id", "price", "size", "side")
QUOTE_COLUMNS: tuple[str, ...] = ("bid", "bid_size", "ask", "ask_size")
TRADE_SIDES: frozenset[str] = frozenset({"buy", "sell", ""})


class DataKind(StrEnum):
    """What a series holds."""

    BARS = "bars"
    TRADES = "trades"
    QUOTES = "quotes"


COLUMNS: Mapping[DataKind, tuple[str, ...]] = {
    DataKind.BARS: BAR_COLUMNS,
    DataKind.TRADES: TRADE_COLUMNS,
    DataKind.QUOTES: QUOTE_COLUMNS,
}
STRING_COLUMNS: frozenset[str] = frozenset({"trade_id", "side"})
BOOL_COLUMNS: frozenset[str] = frozenset(BAR_FLAG_COLUMNS)
# Columns a frame may omit; they get these values.
DEFAULTS: Mapping[str, object] = {"synthetic": False, "partial": False, "trade_id": "", "side": ""}


def utc_index(ts_ns: npt.NDArray[np.int64]) -> pd.DatetimeIndex:
    """A ``ts`` index (``datetime64[ns, UTC]``) from nanosecond timestamps."""
    values = np.asarray(ts_ns, dtype=np.int64).view("datetime64[ns]")
    return pd.DatetimeIndex(values, name=TS).tz_localize("UTC")


def canonical_from_table(table: pd.DataFrame, kind: DataKind) -> pd.DataFrame:
    """Canonical frame from a table-form frame (already sorted and deduplicated)."""
    index = utc_index(table[TS].to_numpy(dtype=np.int64))
    data = {c: _column_values(table[c], c) for c in COLUMNS[kind]}
    return pd.DataFrame(data, index=index)


def empty_frame(kind: DataKind | str) -> pd.DataFrame:
    """A canonical frame of ``kind`` without rows."""
    kind = DataKind(kind)
    table = pd.DataFrame({TS: np.empty(0, dtype=np.int64)})
    for column in COLUMNS[kind]:
        table[column] = pd.Series([], dtype=_dtype(column))
    return canonical_from_table(table, kind)


def table_form(frame: pd.DataFrame, kind: DataKind, *, source: str = "<frame>") -> pd.DataFrame:
    """Table form of a canonical or raw frame: int64 ``ts`` column, typed columns, source rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical (``DatetimeIndex``) or raw (``ts`` column of int64 ns or tz-aware datetimes).
    kind : DataKind
        What the frame holds.
    source : str
        Label used in error messages.

    Raises
    ------
    DataFileError
        When a required column is missing or a column has the wrong type.
    """
    ts = _ts_nanos(frame, source)
    out = pd.DataFrame({TS: ts})
    for column in COLUMNS[kind]:
        out[column] = _typed_column(frame, column, source)
    if SOURCE_ROW in frame.columns:
        out[SOURCE_ROW] = frame[SOURCE_ROW].to_numpy(dtype=np.int64)
    else:
        out[SOURCE_ROW] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return out


def _ts_nanos(frame: pd.DataFrame, source: str) -> npt.NDArray[np.int64]:
    if TS in frame.columns:
        values: pd.Series | pd.Index = frame[TS]
    elif isinstance(frame.index, pd.DatetimeIndex):
        values = frame.index
    else:
        raise DataFileError(None, "no 'ts' column and no DatetimeIndex", column=TS, source=source)
    if pd.api.types.is_integer_dtype(values.dtype):
        return np.asarray(values, dtype=np.int64)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        utc = pd.DatetimeIndex(values).tz_convert("UTC").as_unit("ns")
        return np.asarray(utc.asi8, dtype=np.int64)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        raise DataFileError(
            None, "naive timestamps; localize them to UTC first", column=TS, source=source
        )
    raise DataFileError(
        None,
        f"timestamps must be int64 ns or tz-aware, got {values.dtype}",
        column=TS,
        source=source,
    )


def _typed_column(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    if column not in frame.columns:
        if column in DEFAULTS:
            return pd.Series([DEFAULTS[column]] * len(frame), dtype=_dtype(column))
        raise DataFileError(None, "missing column", column=column, source=source)
    values = frame[column]
    try:
        return pd.Series(_column_values(values, column))
    except (TypeError, ValueError) as error:
        message = f"wrong type {values.dtype}: {error}"
        raise DataFileError(None, message, column=column, source=source) from None


def _column_values(
    values: pd.Series, column: str
) -> npt.ArrayLike | pd.api.extensions.ExtensionArray:
    if column in STRING_COLUMNS:
        return pd.array(values.astype("str").to_numpy(), dtype="str")
    if column in BOOL_COLUMNS:
        if not pd.api.types.is_bool_dtype(values.dtype):
            raise ValueError("expected booleans")
        return values.to_numpy(dtype=np.bool_)
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        raise ValueError("expected numbers")
    return values.to_numpy(dtype=np.float64)


def _dtype(column: str) -> str:
    if column in STRING_COLUMNS:
        return "str"
    if column in BOOL_COLUMNS:
        return "bool"
    return "float64"


def require_kind(kind: DataKind | str) -> DataKind:
    """``kind`` as a :class:`DataKind`; explains the choices when it is unknown."""
    try:
        return DataKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in DataKind)
        raise DataError(f"unknown data kind {kind!r}; expected one of {choices}") from None
