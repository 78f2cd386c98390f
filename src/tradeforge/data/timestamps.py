"""Timestamps for market data: integer nanoseconds since the epoch, UTC.

Vectorized versions of the :class:`~tradeforge.model.timeframe.Timeframe` alignment rules
(intraday and daily bars on epoch multiples, weeks on Monday, months on the 1st), and the one
place that turns what a trader types (``"2021-05-01"``, a datetime, an int) into nanoseconds.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.data.errors import DataError
from tradeforge.model.timeframe import Timeframe, Unit

NanosArray: TypeAlias = npt.NDArray[np.int64]
TimeLike: TypeAlias = str | int | datetime | date | pd.Timestamp | np.datetime64

# Monday 1970-01-05 00:00 UTC: weekly bars align to it (see Timeframe.floor).
_FIRST_MONDAY_NS = 4 * 86_400 * 1_000_000_000


def to_ns(value: TimeLike) -> int:
    """Read a moment as integer nanoseconds since the epoch, UTC.

    Parameters
    ----------
    value : str, int, datetime, date, pandas.Timestamp or numpy.datetime64
        ISO-8601 text (without an offset it is read as UTC), nanoseconds, a timezone-aware
        datetime or Timestamp, a date (midnight UTC) or a numpy datetime64 (UTC by convention).

    Raises
    ------
    DataError
        For unreadable text, a naive datetime (it would be local time, which tradeforge never
        guesses) or an unsupported type.
    """
    if isinstance(value, bool):
        raise DataError(f"cannot read {value!r} as a timestamp")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[ns]").astype(np.int64))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise DataError(f"naive datetime {value!r}: pass a timezone-aware UTC time")
        return int(pd.Timestamp(value).tz_convert("UTC").value)
    if isinstance(value, date):
        return int(pd.Timestamp(value.isoformat(), tz="UTC").value)
    raise DataError(f"cannot read {value!r} ({type(value).__name__}) as a timestamp")


def _parse_text(text: str) -> int:
    try:
        stamp = pd.Timestamp(text.strip())
    except ValueError:
        raise DataError(f"cannot read timestamp {text!r}; use ISO-8601") from None
    if pd.isna(stamp):
        raise DataError(f"cannot read timestamp {text!r}; use ISO-8601")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.as_unit("ns").value)


def iso(ts_ns: int) -> str:
    """ISO-8601 text of a nanosecond timestamp, e.g. ``2021-05-19T13:05:00+00:00``."""
    return pd.Timestamp(ts_ns, tz="UTC").isoformat()


def as_utc(ts_ns: int) -> pd.Timestamp:
    """A timezone-aware UTC :class:`pandas.Timestamp`."""
    return pd.Timestamp(ts_ns, tz="UTC")


def floor_ns(ts: NanosArray, timeframe: Timeframe) -> NanosArray:
    """Open time of the bar containing each timestamp (vectorized :meth:`Timeframe.floor`)."""
    ts = np.asarray(ts, dtype=np.int64)
    if timeframe.unit is Unit.MONTH:
        months = ts.view("datetime64[ns]").astype("datetime64[M]")
        return months.astype("datetime64[ns]").view(np.int64)
    if timeframe.unit is Unit.WEEK:
        return ts - (ts - _FIRST_MONDAY_NS) % timeframe.nanos
    return ts - ts % timeframe.nanos


def bar_number(ts: NanosArray, timeframe: Timeframe) -> NanosArray:
    """Consecutive integer per bar: bars ``n`` and ``n + 1`` are neighbours without a gap."""
    opens = floor_ns(ts, timeframe)
    if timeframe.unit is Unit.MONTH:
        months = opens.view("datetime64[ns]").astype("datetime64[M]").view(np.int64)
        return months // timeframe.count
    if timeframe.unit is Unit.WEEK:
        return (opens - _FIRST_MONDAY_NS) // timeframe.nanos
    return opens // timeframe.nanos


def is_aligned(ts: NanosArray, timeframe: Timeframe) -> npt.NDArray[np.bool_]:
    """True where a timestamp is a bar open time of ``timeframe``."""
    return np.asarray(floor_ns(ts, timeframe) == ts, dtype=np.bool_)


def bar_opens(first_ns: int, last_ns: int, timeframe: Timeframe) -> NanosArray:
    """Every bar open time from ``first_ns`` to ``last_ns``, both included (both aligned)."""
    if not timeframe.is_calendar:
        return np.arange(first_ns, last_ns + 1, timeframe.nanos, dtype=np.int64)
    opens = [first_ns]
    while opens[-1] < last_ns:
        opens.append(timeframe.next_open(opens[-1]))
    return np.asarray(opens, dtype=np.int64)


def bar_lengths(opens: NanosArray, timeframe: Timeframe) -> NanosArray:
    """Length in nanoseconds of the bar opening at each time (months vary)."""
    if not timeframe.is_calendar:
        return np.full(len(opens), timeframe.nanos, dtype=np.int64)
    months = opens.view("datetime64[ns]").astype("datetime64[M]")
    ends = (months + timeframe.count).astype("datetime64[ns]").view(np.int64)
    return np.asarray(ends - opens, dtype=np.int64)
