"""Download a venue's bars into the catalog: paged, resumable, validated.

:func:`download_bars` fetches the closed bars of ``[since, until)`` that the catalog lacks:
the part before the stored series (when ``since`` is earlier) and everything after its last
bar, so running it again resumes where the catalog ends. Bars are written to the catalog in
chunks of ``flush_rows`` (each write atomic and validated) and once more when the download
stops for any reason, an interruption included, so what was received is never lost and a
rerun continues from it. At the end the stored series is validated (rows, first and last,
gaps, duplicates, OHLC sanity) and reported with the download's own counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.adapters.ccxt.data_client import CcxtDataClient
from tradeforge.adapters.ccxt.paging import PageStats, first_open_ms, next_open_ms
from tradeforge.adapters.ccxt.replies import NS_PER_MS, OhlcvRow, parse_ohlcv
from tradeforge.data.catalog import ParquetCatalog
from tradeforge.data.reports import BarValidationReport
from tradeforge.data.schema import BAR_VALUE_COLUMNS, TS
from tradeforge.data.timestamps import TimeLike, iso, to_ns
from tradeforge.data.validate import validate_bars
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

Progress = Callable[[int, int | None], None]
"""``progress(bars_done, bars_expected)``; the expectation may be unknown (None)."""


@dataclass(slots=True)
class DownloadReport:
    """What a download did and what the stored series looks like afterwards.

    Attributes
    ----------
    series : str
        ``bars binance BTC/USDT 1m``.
    segments : list of (int, int or None)
        The ranges fetched, ms: ``[start, end)``.
    written : int
        Bars added to the catalog.
    stats : PageStats
        Pages, rows received and kept, duplicates and malformed rows dropped, gaps.
    retries : int
        Requests retried after transient errors.
    validation : BarValidationReport or None
        The stored series from ``since`` (None when nothing is stored).
    """

    series: str
    segments: list[tuple[int, int | None]] = field(default_factory=list)
    written: int = 0
    stats: PageStats = field(default_factory=PageStats)
    retries: int = 0
    validation: BarValidationReport | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        stats = self.stats
        return {
            "series": self.series,
            "segments": [
                {"start": iso(a * NS_PER_MS), "end": None if b is None else iso(b * NS_PER_MS)}
                for a, b in self.segments
            ],
            "written": self.written,
            "pages": stats.pages,
            "received": stats.received,
            "kept": stats.kept,
            "duplicates_dropped": stats.duplicates,
            "malformed_dropped": stats.malformed,
            "retries": self.retries,
            "validation": None if self.validation is None else self.validation.to_dict(),
        }


class _Writer:
    """Buffers closed bars and writes them to the catalog in chunks."""

    def __init__(
        self, catalog: ParquetCatalog, key: tuple[str, Symbol, Timeframe], flush_rows: int
    ) -> None:
        self.catalog, self.key, self.flush_rows = catalog, key, flush_rows
        self.rows: list[OhlcvRow] = []
        self.written = 0

    def add(self, rows: list[OhlcvRow]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        venue, symbol, tf = self.key
        report = self.catalog.write_bars(venue, symbol, tf, bars_frame(self.rows))
        self.written += report.rows_added
        self.rows = []


def bars_frame(rows: list[OhlcvRow]) -> pd.DataFrame:
    """Raw catalog bars (``ts`` int64 ns) from candle rows."""
    table = np.array([row[1:] for row in rows], dtype=np.float64).reshape(len(rows), 5)
    frame = pd.DataFrame(table, columns=list(BAR_VALUE_COLUMNS))
    frame.insert(0, TS, np.array([row[0] for row in rows], dtype=np.int64) * NS_PER_MS)
    return frame


def plan_segments(
    span: tuple[int, int] | None, tf: Timeframe, since_ms: int, until_ms: int | None
) -> list[tuple[int, int | None]]:
    """The ranges (ms) to fetch, given the stored series' first and last opens (ns).

    Nothing stored: all of ``[since, until)``. Stored: the part before its first bar when
    ``since`` is earlier, and the part after its last bar.
    """
    start = first_open_ms(tf, since_ms)
    if span is None:
        return [(start, until_ms)]
    first_ms, last_ms = span[0] // NS_PER_MS, span[1] // NS_PER_MS
    segments: list[tuple[int, int | None]] = []
    if start < first_ms:
        segments.append((start, first_ms if until_ms is None else min(first_ms, until_ms)))
    resume = max(start, next_open_ms(tf, last_ms))
    if until_ms is None or resume < until_ms:
        segments.append((resume, until_ms))
    return segments


async def newest_open_ms(client: CcxtDataClient, symbol: Symbol, tf: Timeframe) -> int | None:
    """The open (ms) of the venue's newest candle, for progress estimates; None if unknown."""
    rows = await client.session.call("fetch_ohlcv", str(symbol), str(tf), limit=1)
    try:
        return parse_ohlcv(rows[-1])[0] if isinstance(rows, list) and rows else None
    except (TypeError, ValueError):
        return None


def _expected(
    tf: Timeframe, segments: list[tuple[int, int | None]], newest: int | None
) -> int | None:
    total = 0
    for start, end in segments:
        stop = end if end is not None else newest
        if stop is None:
            return None
        total += max(0, tf.bars_between(start * NS_PER_MS, stop * NS_PER_MS))
    return total


async def download_bars(
    client: CcxtDataClient,
    catalog: ParquetCatalog,
    venue: str,
    symbol: Symbol | str,
    timeframe: Timeframe | str,
    *,
    since: TimeLike,
    until: TimeLike | None = None,
    flush_rows: int = 50_000,
    progress: Progress | None = None,
) -> DownloadReport:
    """Fetch the bars the catalog lacks in ``[since, until)`` and store them.

    Parameters
    ----------
    client : CcxtDataClient
        The venue (markets loaded or not).
    catalog : ParquetCatalog
        Where the bars go, under ``venue``.
    venue : str
        The catalog's venue name (usually the ccxt exchange id).
    symbol, timeframe
        The series.
    since, until
        The period; ``until`` None: up to the newest closed bar.
    flush_rows : int
        Bars buffered before each catalog write.
    progress : callable, optional
        ``progress(done, expected)`` after each page.

    Raises
    ------
    VenueError
        When the venue fails beyond the retries; the bars received until then are stored.
    """
    sym, tf = Symbol.parse(str(symbol)), Timeframe.parse(timeframe)
    since_ms = to_ns(since) // NS_PER_MS
    until_ms = None if until is None else to_ns(until) // NS_PER_MS
    report = DownloadReport(series=f"bars {venue} {sym} {tf}")
    report.segments = plan_segments(catalog.bar_span(venue, sym, tf), tf, since_ms, until_ms)
    retries_before = client.session.retries
    expected = _expected(tf, report.segments, await newest_open_ms(client, sym, tf))
    writer = _Writer(catalog, (venue, sym, tf), flush_rows)
    done = 0
    try:
        for start, end in report.segments:
            pager = client.pager(sym, tf, start, end)
            async for page in pager.pages():
                writer.add(page)
                done += len(page)
                if progress is not None:
                    progress(done, expected)
            _merge(report.stats, pager.stats)
    finally:
        writer.flush()
        report.written = writer.written
        report.retries = client.session.retries - retries_before
    stored = catalog.read_bars(
        venue, sym, tf, since_ms * NS_PER_MS, None if until_ms is None else until_ms * NS_PER_MS
    )
    report.validation = validate_bars(stored, tf) if len(stored) else None
    return report


def _merge(total: PageStats, part: PageStats) -> None:
    total.pages += part.pages
    total.received += part.received
    total.kept += part.kept
    total.duplicates += part.duplicates
    total.malformed += part.malformed
    total.gaps.extend(part.gaps)
