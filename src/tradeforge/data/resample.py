"""Exact bar resampling, explicit gap filling, and bars built from trades.

Buckets follow :meth:`Timeframe.floor` (Binance's alignment): intraday and daily buckets on
multiples of their length since the epoch (so 3d like Binance), weeks from Monday 00:00 UTC,
months on the 1st. Nothing is dropped silently: a bucket with fewer source bars than a full
one is kept and flagged ``partial``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.data.errors import DataError
from tradeforge.data.schema import BAR_COLUMNS, DataKind, empty_frame, table_form, utc_index
from tradeforge.data.timestamps import bar_lengths, bar_opens, floor_ns, is_aligned, iso
from tradeforge.model.timeframe import Timeframe

GapPolicy = Literal["leave", "flat"]


def resample_bars(
    frame: pd.DataFrame, source_tf: Timeframe | str, target_tf: Timeframe | str
) -> pd.DataFrame:
    """Aggregate canonical bars into a longer timeframe.

    Open is the first open, high the highest high, low the lowest low, close the last close,
    volume the sum. ``partial`` is True when the bucket holds fewer source bars than a full
    bucket (at the edges of the data or around gaps) or any source bar is partial;
    ``synthetic`` is True when every source bar in the bucket is synthetic.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical bars of ``source_tf`` (sorted, unique, aligned).
    source_tf, target_tf : Timeframe or str
        ``target_tf`` must be a whole multiple of ``source_tf`` (5m -> 1h, 1d -> 1w, 1h -> 1M).

    Raises
    ------
    DataError
        When ``target_tf`` is not a whole multiple of ``source_tf``, or the bars are not
        sorted, unique and aligned to ``source_tf``.
    """
    source, target = Timeframe.parse(source_tf), Timeframe.parse(target_tf)
    if not source.divides(target):
        raise DataError(f"cannot resample {source} bars to {target}: not a whole multiple")
    table = table_form(frame, DataKind.BARS)
    ts = table["ts"].to_numpy(dtype=np.int64)
    _require_canonical(ts, source)
    if len(ts) == 0:
        return empty_frame(DataKind.BARS)
    buckets = floor_ns(ts, target)
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    opens = buckets[starts]
    counts = np.diff(np.r_[starts, len(ts)])
    full = bar_lengths(opens, target) // source.nanos if not source.is_calendar else 1
    columns = _aggregate(table, starts)
    columns["partial"] = columns["partial"] | (counts < full)
    return pd.DataFrame(columns, index=utc_index(opens))[list(BAR_COLUMNS)]


def _aggregate(table: pd.DataFrame, starts: npt.NDArray[np.intp]) -> dict[str, np.ndarray]:
    ends = np.r_[starts[1:], len(table)] - 1
    values = {c: table[c].to_numpy() for c in BAR_COLUMNS}
    return {
        "open": values["open"][starts],
        "high": np.maximum.reduceat(values["high"], starts),
        "low": np.minimum.reduceat(values["low"], starts),
        "close": values["close"][ends],
        "volume": np.add.reduceat(values["volume"], starts),
        "synthetic": np.logical_and.reduceat(values["synthetic"], starts),
        "partial": np.logical_or.reduceat(values["partial"], starts),
    }


def _require_canonical(ts: npt.NDArray[np.int64], timeframe: Timeframe) -> None:
    if len(ts) > 1 and not bool((ts[1:] > ts[:-1]).all()):
        raise DataError("bars must be sorted by time without duplicates; normalize them first")
    aligned = is_aligned(ts, timeframe)
    if not aligned.all():
        first = int(ts[np.flatnonzero(~aligned)[0]])
        raise DataError(f"bar at {iso(first)} is not a {timeframe} bar open time")


def fill_gaps(
    frame: pd.DataFrame, timeframe: Timeframe | str, policy: GapPolicy = "leave"
) -> pd.DataFrame:
    """Apply an explicit gap policy to canonical bars.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical bars of ``timeframe``.
    timeframe : Timeframe or str
        Their timeframe.
    policy : {"leave", "flat"}
        ``leave`` returns the bars unchanged (gaps stay gaps). ``flat`` inserts, for every
        missing bar between the first and the last, a bar with open = high = low = close =
        the previous close, volume 0 and ``synthetic=True``.

    Raises
    ------
    DataError
        For an unknown policy, or bars that are not sorted, unique and aligned.
    """
    tf = Timeframe.parse(timeframe)
    if policy not in ("leave", "flat"):
        raise DataError(f"unknown gap policy {policy!r}; use 'leave' or 'flat'")
    table = table_form(frame, DataKind.BARS)
    ts = table["ts"].to_numpy(dtype=np.int64)
    _require_canonical(ts, tf)
    bars = table[list(BAR_COLUMNS)]
    if policy == "leave" or len(ts) < 2:
        return pd.DataFrame({c: bars[c].to_numpy() for c in BAR_COLUMNS}, index=utc_index(ts))
    opens = bar_opens(int(ts[0]), int(ts[-1]), tf)
    present = np.isin(opens, ts)
    position = np.cumsum(present) - 1  # the last real bar at or before each open
    close = bars["close"].to_numpy()[position]
    columns: dict[str, np.ndarray] = {}
    for column in BAR_COLUMNS:
        stored = bars[column].to_numpy()
        values = np.empty(len(opens), dtype=stored.dtype)
        values[present] = stored
        columns[column] = values
    for column in ("open", "high", "low", "close"):
        columns[column][~present] = close[~present]
    columns["volume"][~present] = 0.0
    columns["synthetic"][~present] = True
    columns["partial"][~present] = False
    return pd.DataFrame(columns, index=utc_index(opens))


def bars_from_trades(trades: pd.DataFrame, timeframe: Timeframe | str) -> pd.DataFrame:
    """Build bars from trade ticks.

    Open is the first trade's price in the bucket, close the last, high and low the extremes,
    volume the summed size. A bucket without trades has no bar (a gap the validator reports;
    use :func:`fill_gaps` to fill it explicitly).

    Parameters
    ----------
    trades : pandas.DataFrame
        Canonical or raw trades (sorted by time here, keeping file order for equal times).
    timeframe : Timeframe or str
        The bar timeframe.
    """
    tf = Timeframe.parse(timeframe)
    table = table_form(trades, DataKind.TRADES).sort_values("ts", kind="stable")
    if table.empty:
        return empty_frame(DataKind.BARS)
    ts = table["ts"].to_numpy(dtype=np.int64)
    buckets = floor_ns(ts, tf)
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    price = table["price"].to_numpy(dtype=np.float64)
    size = table["size"].to_numpy(dtype=np.float64)
    ends = np.r_[starts[1:], len(table)] - 1
    columns = {
        "open": price[starts],
        "high": np.maximum.reduceat(price, starts),
        "low": np.minimum.reduceat(price, starts),
        "close": price[ends],
        "volume": np.add.reduceat(size, starts),
        "synthetic": np.zeros(len(starts), dtype=np.bool_),
        "partial": np.zeros(len(starts), dtype=np.bool_),
    }
    return pd.DataFrame(columns, index=utc_index(buckets[starts]))
