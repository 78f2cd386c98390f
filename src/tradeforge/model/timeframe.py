"""Bar timeframes: parse, format, and align bar open and close times.

Timestamps are integer nanoseconds since the Unix epoch, UTC. Alignment follows Binance, the
reference venue: intraday and daily bars align to multiples of their length since the epoch
(so 3d bars align to 1970-01-01 like Binance's), weekly bars open on Monday 00:00 UTC, and
monthly bars open on the first day of the calendar month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import ClassVar

NANOS_PER_SECOND = 1_000_000_000
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
# Monday 1970-01-05 00:00 UTC: weekly bars align to it.
_FIRST_MONDAY_NS = 4 * 86_400 * NANOS_PER_SECOND
_PATTERN = re.compile(r"^\s*(\d+)\s*([smhdwM])\s*$")


class TimeframeError(ValueError):
    """A timeframe string or value that tradeforge does not support."""


class Unit(Enum):
    """The unit a timeframe counts in."""

    SECOND = "s"
    MINUTE = "m"
    HOUR = "h"
    DAY = "d"
    WEEK = "w"
    MONTH = "M"


@dataclass(frozen=True, slots=True)
class Timeframe:
    """The length of one bar, such as ``5m`` or ``1d``.

    Parameters
    ----------
    count : int
        How many units one bar spans.
    unit : Unit
        The unit; months are calendar months, everything else has a fixed length.

    Examples
    --------
    >>> tf = Timeframe.parse("5m")
    >>> str(tf), tf.nanos
    ('5m', 300000000000)
    """

    count: int
    unit: Unit

    SUPPORTED: ClassVar[tuple[str, ...]] = (
        "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h",
        "1d", "3d", "1w", "1M",
    )  # fmt: skip

    def __post_init__(self) -> None:
        if str(self) not in self.SUPPORTED:
            raise TimeframeError(
                f"unsupported timeframe {str(self)!r}; supported: {', '.join(self.SUPPORTED)}"
            )

    @staticmethod
    def parse(text: str | Timeframe) -> Timeframe:
        """Parse ``"5m"``, ``"1h"``, ``"1d"``, ``"1M"`` (month) and the like.

        Raises
        ------
        TimeframeError
            When the text is not one of :attr:`SUPPORTED` (``1M`` is a month, ``1m`` a minute).
        """
        if isinstance(text, Timeframe):
            return text
        if not isinstance(text, str):
            raise TimeframeError(f"timeframe must be a string like '5m', got {text!r}")
        return _parse_cached(text)

    def __str__(self) -> str:
        return f"{self.count}{self.unit.value}"

    def __repr__(self) -> str:
        return f"Timeframe({str(self)!r})"

    @property
    def is_calendar(self) -> bool:
        """True for months, whose length in nanoseconds varies."""
        return self.unit is Unit.MONTH

    @property
    def nanos(self) -> int:
        """Length in nanoseconds (``1M`` counts 30 days: align months with :meth:`floor`)."""
        if self.unit is Unit.MONTH:
            return self.count * 30 * 86_400 * NANOS_PER_SECOND
        return self.count * _UNIT_SECONDS[self.unit.value] * NANOS_PER_SECOND

    @property
    def seconds(self) -> int:
        """Length in seconds (a 30-day month for ``1M``)."""
        return self.nanos // NANOS_PER_SECOND

    @property
    def pandas_freq(self) -> str:
        """The pandas offset alias of this timeframe, for resampling frames."""
        aliases = {"s": "s", "m": "min", "h": "h", "d": "D", "w": "W-MON", "M": "MS"}
        return f"{self.count}{aliases[self.unit.value]}"

    def floor(self, ts_ns: int) -> int:
        """Open time of the bar that contains ``ts_ns``."""
        if self.unit is Unit.MONTH:
            moment = datetime.fromtimestamp(ts_ns // NANOS_PER_SECOND, tz=UTC)
            return _month_start_ns(moment.year, moment.month)
        if self.unit is Unit.WEEK:
            offset = (ts_ns - _FIRST_MONDAY_NS) % self.nanos
            return ts_ns - offset
        return ts_ns - ts_ns % self.nanos

    def is_aligned(self, ts_ns: int) -> bool:
        """True when ``ts_ns`` is the open time of a bar of this timeframe."""
        return self.floor(ts_ns) == ts_ns

    def next_open(self, open_ns: int) -> int:
        """Open time of the bar after the one that opens at ``open_ns``."""
        if self.unit is Unit.MONTH:
            moment = datetime.fromtimestamp(self.floor(open_ns) // NANOS_PER_SECOND, tz=UTC)
            months = moment.year * 12 + (moment.month - 1) + self.count
            return _month_start_ns(months // 12, months % 12 + 1)
        return self.floor(open_ns) + self.nanos

    def close_time(self, open_ns: int) -> int:
        """Close time of the bar that opens at ``open_ns``: the next bar's open time.

        A bar is complete, and delivered to strategies, at this instant.
        """
        return self.next_open(open_ns)

    def bars_between(self, first_open_ns: int, last_open_ns: int) -> int:
        """How many bar opens lie in ``[first_open_ns, last_open_ns)`` (fixed-length units)."""
        if self.unit is Unit.MONTH:
            count, cursor = 0, self.floor(first_open_ns)
            while cursor < last_open_ns:
                cursor, count = self.next_open(cursor), count + 1
            return count
        return (self.floor(last_open_ns) - self.floor(first_open_ns)) // self.nanos

    def __lt__(self, other: Timeframe) -> bool:
        return self.nanos < other.nanos

    def __le__(self, other: Timeframe) -> bool:
        return self.nanos <= other.nanos

    def divides(self, other: Timeframe) -> bool:
        """True when bars of ``other`` are made of a whole number of bars of this timeframe."""
        if other.unit is Unit.MONTH:
            return self.unit is Unit.MONTH or (86_400 * NANOS_PER_SECOND) % self.nanos == 0
        if self.unit is Unit.MONTH:
            return False
        if other.unit is Unit.WEEK and self.unit is not Unit.WEEK:
            return (86_400 * NANOS_PER_SECOND) % self.nanos == 0
        return other.nanos % self.nanos == 0


@lru_cache(maxsize=256)
def _parse_cached(text: str) -> Timeframe:
    match = _PATTERN.match(text)
    if match is None:
        raise TimeframeError(
            f"cannot read timeframe {text!r}; expected one of {', '.join(Timeframe.SUPPORTED)}"
        )
    return Timeframe(int(match.group(1)), Unit(match.group(2)))


def _month_start_ns(year: int, month: int) -> int:
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) * NANOS_PER_SECOND
