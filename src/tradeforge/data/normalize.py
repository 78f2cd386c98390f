"""Turn raw or loosely typed frames into canonical ones, refusing bad data on the way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tradeforge.data.merge import Deduplicated, OnConflict, deduplicate
from tradeforge.data.reports import ValidationReport
from tradeforge.data.schema import DataKind, canonical_from_table, require_kind, table_form
from tradeforge.data.validate import (
    raise_for_errors,
    validate_bars,
    validate_quotes,
    validate_trades,
)
from tradeforge.model.timeframe import Timeframe


@dataclass(frozen=True, slots=True)
class Prepared:
    """Validated, sorted, deduplicated rows (table form) with the report that cleared them."""

    rows: Deduplicated
    report: ValidationReport


def prepare(
    frame: pd.DataFrame,
    kind: DataKind | str,
    *,
    timeframe: Timeframe | str | None = None,
    on_conflict: OnConflict = "raise",
    path: Path | None = None,
    source: str = "<frame>",
) -> Prepared:
    """Validate ``frame``, raise on its first error, then sort and deduplicate it.

    Raises
    ------
    DataFileError
        On the first error the validator finds (NaN, non-positive price, negative volume,
        misaligned bar, OHLC violation), or on conflicting duplicates when ``on_conflict`` is
        ``"raise"``.
    """
    kind = require_kind(kind)
    table = table_form(frame, kind, source=source)
    report = validate(table, kind, timeframe)
    raise_for_errors(report, path=path, source=source, allow_conflicts=on_conflict != "raise")
    rows = deduplicate(table, kind, on_conflict=on_conflict, path=path, source=source)
    return Prepared(rows, report)


def validate(
    frame: pd.DataFrame, kind: DataKind, timeframe: Timeframe | str | None = None
) -> ValidationReport:
    """Run the validator that fits ``kind`` (bars need a ``timeframe``)."""
    if kind is DataKind.BARS:
        if timeframe is None:
            raise TypeError("validating bars needs a timeframe")
        return validate_bars(frame, timeframe)
    if kind is DataKind.TRADES:
        return validate_trades(frame)
    return validate_quotes(frame)


def normalize_bars(
    frame: pd.DataFrame,
    timeframe: Timeframe | str,
    *,
    on_conflict: OnConflict = "raise",
    path: Path | None = None,
) -> pd.DataFrame:
    """Canonical bars from a raw or canonical frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Bars with a ``ts`` int64 ns column (or tz-aware datetimes, or a ``DatetimeIndex``) and
        ``open, high, low, close, volume``; ``synthetic`` and ``partial`` default to False.
    timeframe : Timeframe or str
        The bars' timeframe; every ``ts`` must be one of its open times.
    on_conflict : {"raise", "first", "last"}
        What to do with two rows at the same ``ts`` and different values.
    path : Path, optional
        The file the rows came from, named in errors.

    Raises
    ------
    DataFileError
        On invalid rows; see :func:`prepare`.
    """
    prepared = prepare(
        frame, DataKind.BARS, timeframe=timeframe, on_conflict=on_conflict, path=path
    )
    return canonical_from_table(prepared.rows.table, DataKind.BARS)


def normalize_trades(
    frame: pd.DataFrame, *, on_conflict: OnConflict = "raise", path: Path | None = None
) -> pd.DataFrame:
    """Canonical trades from a raw or canonical frame (``trade_id`` and ``side`` optional)."""
    prepared = prepare(frame, DataKind.TRADES, on_conflict=on_conflict, path=path)
    return canonical_from_table(prepared.rows.table, DataKind.TRADES)


def normalize_quotes(frame: pd.DataFrame, *, path: Path | None = None) -> pd.DataFrame:
    """Canonical quotes from a raw or canonical frame."""
    prepared = prepare(frame, DataKind.QUOTES, path=path)
    return canonical_from_table(prepared.rows.table, DataKind.QUOTES)
