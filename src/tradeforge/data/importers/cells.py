"""Read file cells into typed arrays, naming the file, row and column of any bad cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.data.errors import DataError, DataFileError
from tradeforge.data.importers.base import TS_UNITS, TsUnit

_UNIT_NANOS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
# Epoch numbers below these bounds are read as s, ms, µs; above the last as ns. The bounds
# are the year 5138 in the finer unit, so any date after 1973 gets the right unit.
_MAGNITUDES = ((1e11, "s"), (1e14, "ms"), (1e17, "us"))
_MISSING_TEXT = frozenset({"", "nan", "NaN", "NAN", "null", "NULL", "None", "NA", "N/A"})
_SIDES = {"buy": "buy", "b": "buy", "sell": "sell", "s": "sell", "": "", "unknown": ""}
_TRUE = frozenset({"true", "1", "t", "yes"})
_FALSE = frozenset({"false", "0", "f", "no"})


class Cells:
    """One column of a file being read: its values, its name in the file and the row numbers."""

    def __init__(self, values: pd.Series, path: Path, label: str, rows: npt.NDArray[np.int64]):
        self.values = values.reset_index(drop=True)
        self.path = path
        self.label = label
        self.rows = rows

    def fail(self, position: int, message: str) -> DataFileError:
        """The error for the cell at ``position``."""
        row = int(self.rows[position])
        return DataFileError(self.path, message, row=row, column=self.label)

    def first_bad(self, bad: npt.NDArray[np.bool_], message: str) -> None:
        """Raise for the first ``True`` in ``bad``; ``{value}`` in the message is the cell."""
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            raise self.fail(position, message.format(value=self.values.iloc[position]))


def numbers(cells: Cells) -> npt.NDArray[np.float64]:
    """Float64 values; empty and ``NaN`` cells become NaN (validation reports them)."""
    values = cells.values
    if pd.api.types.is_bool_dtype(values.dtype):
        cells.first_bad(np.ones(len(values), dtype=np.bool_), "{value!r} is not a number")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    text = values.astype("str").str.strip()
    parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(parsed) & ~text.isin(_MISSING_TEXT).to_numpy() & values.notna().to_numpy()
    cells.first_bad(bad, "{value!r} is not a number")
    return parsed


def timestamps(
    cells: Cells, unit: TsUnit = "auto", ts_format: str | None = None
) -> npt.NDArray[np.int64]:
    """Nanoseconds since the epoch, UTC.

    Datetime columns are taken as they are (naive ones are UTC). Numbers are epoch s, ms, µs
    or ns: ``unit`` says which, or ``"auto"`` picks by magnitude of the largest value (below
    1e11 s, below 1e14 ms, below 1e17 µs, else ns). Text is ISO-8601 (without an offset it is
    UTC; offsets are converted), or follows ``ts_format`` (a strptime format).
    """
    if unit not in TS_UNITS:
        raise DataError(f"ts_unit must be one of {', '.join(TS_UNITS)}, got {unit!r}")
    values = cells.values
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        values.dtype
    ):
        return _datetimes(cells, pd.DatetimeIndex(values))
    if unit != "iso" and ts_format is None:
        numeric = _epoch_numbers(cells)
        if numeric is not None:
            return _scale(numeric, _unit_for(numeric) if unit == "auto" else unit)
        if unit != "auto":
            numbers(cells)  # raises naming the first cell that is not a number
    return _parse_text(cells, ts_format)


def _datetimes(cells: Cells, index: pd.DatetimeIndex) -> npt.NDArray[np.int64]:
    cells.first_bad(np.asarray(index.isna()), "missing timestamp")
    utc = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return np.asarray(utc.as_unit("ns").asi8, dtype=np.int64)


def _epoch_numbers(cells: Cells) -> pd.Series | None:
    values = cells.values
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        cells.first_bad(values.isna().to_numpy(), "missing timestamp")
        return values
    text = values.astype("str").str.strip()
    parsed = pd.to_numeric(text, errors="coerce")
    if parsed.isna().all():
        return None
    cells.first_bad(parsed.isna().to_numpy(), "cannot read timestamp {value!r}")
    return parsed


def _unit_for(numeric: pd.Series) -> str:
    largest = float(np.abs(numeric.to_numpy(dtype=np.float64)).max()) if len(numeric) else 0.0
    return next((unit for bound, unit in _MAGNITUDES if largest < bound), "ns")


def _scale(numeric: pd.Series, unit: str) -> npt.NDArray[np.int64]:
    factor = _UNIT_NANOS[unit]
    if pd.api.types.is_integer_dtype(numeric.dtype):
        return numeric.to_numpy(dtype=np.int64) * factor
    values = numeric.to_numpy(dtype=np.float64)
    whole = np.floor(values)
    # Split whole and fractional parts so 1.6e12 ms does not lose its last digits in float64.
    fraction_ns = np.round((values - whole) * factor / 1_000) * 1_000 if factor >= 1_000 else 0
    return np.asarray(whole.astype(np.int64) * factor + np.asarray(fraction_ns, dtype=np.int64))


def _parse_text(cells: Cells, ts_format: str | None) -> npt.NDArray[np.int64]:
    text = cells.values.astype("str").str.strip()
    parsed = pd.to_datetime(text, utc=True, format=ts_format or "ISO8601", errors="coerce")
    index = pd.DatetimeIndex(parsed)
    hint = f"format {ts_format!r}" if ts_format else "ISO-8601 or epoch numbers"
    cells.first_bad(
        np.asarray(index.isna()), "cannot read timestamp {value!r} (expected " + hint + ")"
    )
    return np.asarray(index.as_unit("ns").asi8, dtype=np.int64)


def text(cells: Cells) -> npt.NDArray[np.object_]:
    """Strings; integral floats lose their ``.0`` (ids read from JSON), missing cells are ``""``."""
    values = cells.values
    if pd.api.types.is_float_dtype(values.dtype):
        integral = values.dropna() == np.floor(values.dropna())
        if bool(integral.all()):
            values = values.astype("Int64")
    out = values.astype("str").to_numpy(dtype=object)
    out[values.isna().to_numpy()] = ""
    return out


def sides(cells: Cells) -> npt.NDArray[np.object_]:
    """Aggressor sides: ``buy``/``b``, ``sell``/``s``; empty or ``unknown`` is ``""``."""
    lowered = pd.Series(text(cells)).str.strip().str.lower()
    mapped = lowered.map(_SIDES)
    cells.first_bad(mapped.isna().to_numpy(), "side {value!r} is not buy or sell")
    return mapped.to_numpy(dtype=object)


def sides_from_buyer_maker(cells: Cells) -> npt.NDArray[np.object_]:
    """Aggressor side from Binance's ``is_buyer_maker``: the maker bought, so a seller hit."""
    lowered = pd.Series(text(cells)).str.strip().str.lower()
    is_true = lowered.isin(_TRUE).to_numpy()
    cells.first_bad(~is_true & ~lowered.isin(_FALSE).to_numpy(), "{value!r} is not true or false")
    return np.where(is_true, "sell", "buy").astype(object)


def flags(cells: Cells) -> npt.NDArray[np.bool_]:
    """Booleans (``synthetic``, ``partial``)."""
    values = cells.values
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.bool_)
    lowered = pd.Series(text(cells)).str.strip().str.lower()
    is_true = lowered.isin(_TRUE).to_numpy()
    cells.first_bad(~is_true & ~lowered.isin(_FALSE).to_numpy(), "{value!r} is not true or false")
    return is_true
