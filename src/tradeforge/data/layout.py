"""Where the catalog keeps each series: hive-style folders and time partitions.

::

    root/bars/venue=binance/symbol=BTC-USDT/timeframe=5m/year=2021.parquet
    root/trades/venue=binance/symbol=BTC-USDT/month=2021-05.parquet
    root/quotes/venue=binance/symbol=BTC-USDT-USDT/month=2021-05.parquet

Bars are partitioned by year, ticks by month. The month timeframe ``1M`` is written
``1month`` so it cannot collide with ``1m`` (minute) on case-insensitive file systems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tradeforge.data.errors import DataError
from tradeforge.data.schema import DataKind
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

_VENUE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_MONTH_TOKEN = "1month"
_PARTITION = re.compile(r"^(?:year=(?P<year>\d{4})|month=(?P<ym>\d{4}-\d{2}))\.parquet$")


def timeframe_token(timeframe: Timeframe) -> str:
    """Folder token of a timeframe: ``5m``, ``1h``, ``1month`` for ``1M``."""
    return _MONTH_TOKEN if str(timeframe) == "1M" else str(timeframe)


def timeframe_from_token(token: str) -> Timeframe:
    """Inverse of :func:`timeframe_token`."""
    return Timeframe.parse("1M" if token == _MONTH_TOKEN else token)


def check_venue(venue: str) -> str:
    """A venue id as stored: lower case letters, digits and ``_`` (a ccxt id)."""
    if not isinstance(venue, str) or not _VENUE.match(venue):
        raise DataError(f"invalid venue {venue!r}: use a ccxt exchange id such as 'binance'")
    return venue


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """One series: kind, venue, symbol and (bars only) timeframe."""

    kind: DataKind
    venue: str
    symbol: Symbol
    timeframe: Timeframe | None = None

    @staticmethod
    def of(
        kind: DataKind,
        venue: str,
        symbol: Symbol | str,
        timeframe: Timeframe | str | None = None,
    ) -> SeriesKey:
        """Build and check a key from what a trader types."""
        sym = symbol if isinstance(symbol, Symbol) else Symbol.parse(symbol)
        tf = None if timeframe is None else Timeframe.parse(timeframe)
        if (kind is DataKind.BARS) != (tf is not None):
            raise DataError(f"{kind} series {'need' if tf is None else 'take no'} timeframe")
        return SeriesKey(kind, check_venue(venue), sym, tf)

    def directory(self, root: Path) -> Path:
        """The series folder under the catalog root."""
        folder = root / self.kind.value / f"venue={self.venue}" / f"symbol={self.symbol.cache_key}"
        if self.timeframe is not None:
            folder = folder / f"timeframe={timeframe_token(self.timeframe)}"
        return folder

    @property
    def label(self) -> str:
        """``bars binance BTC/USDT 5m``, for messages."""
        parts = [self.kind.value, self.venue, str(self.symbol)]
        return " ".join([*parts, str(self.timeframe)] if self.timeframe else parts)


def partition_starts(ts: npt.NDArray[np.int64], kind: DataKind) -> npt.NDArray[np.int64]:
    """Start (ns) of the partition each timestamp belongs to: its year for bars, else month."""
    unit = "datetime64[Y]" if kind is DataKind.BARS else "datetime64[M]"
    starts = ts.view("datetime64[ns]").astype(unit).astype("datetime64[ns]")
    return np.asarray(starts.view(np.int64), dtype=np.int64)


def partition_name(start_ns: int, kind: DataKind) -> str:
    """File name of the partition starting at ``start_ns``: ``year=2021.parquet``."""
    moment = np.datetime64(start_ns, "ns")
    if kind is DataKind.BARS:
        return f"year={moment.astype('datetime64[Y]')}.parquet"
    return f"month={moment.astype('datetime64[M]')}.parquet"


def partition_bounds(name: str) -> tuple[int, int] | None:
    """``[start, end)`` in ns of a partition file name, or ``None`` for other files."""
    match = _PARTITION.match(name)
    if match is None:
        return None
    first = np.datetime64(match["year"], "Y") if match["year"] else np.datetime64(match["ym"], "M")
    after = first + 1
    return (
        int(first.astype("datetime64[ns]").astype(np.int64)),
        int(after.astype("datetime64[ns]").astype(np.int64)),
    )


def series_in(root: Path) -> list[SeriesKey]:
    """Every series folder under ``root`` holding at least one partition."""
    keys = []
    for kind in DataKind:
        for folder in sorted((root / kind.value).glob("venue=*/symbol=*")):
            venue = folder.parent.name.removeprefix("venue=")
            symbol = Symbol.parse(folder.name.removeprefix("symbol="))
            if kind is not DataKind.BARS:
                if any(folder.glob("*.parquet")):
                    keys.append(SeriesKey(kind, venue, symbol))
                continue
            for tf_folder in sorted(folder.glob("timeframe=*")):
                if any(tf_folder.glob("*.parquet")):
                    tf = timeframe_from_token(tf_folder.name.removeprefix("timeframe="))
                    keys.append(SeriesKey(kind, venue, symbol, tf))
    return keys
