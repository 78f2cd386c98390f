"""Validate market data before it is stored or traded on.

The validators read raw importer frames (unsorted, with duplicates, ``ts`` as an int64 column
and ``source_row`` naming the file row) as well as canonical frames, and never modify them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tradeforge.data import checks
from tradeforge.data.errors import DataFileError
from tradeforge.data.reports import (
    NO_FINDING,
    BarValidationReport,
    Finding,
    Gap,
    QuoteValidationReport,
    TradeValidationReport,
    ValidationReport,
)
from tradeforge.data.schema import (
    BAR_VALUE_COLUMNS,
    PRICE_COLUMNS,
    TRADE_SIDES,
    TS,
    DataKind,
    table_form,
)
from tradeforge.data.timestamps import bar_number, is_aligned, iso
from tradeforge.model.timeframe import Timeframe

DEFAULT_OUTLIER_SIGMA = 10.0
TRADE_MEDIAN_WINDOW = 101


def validate_bars(
    frame: pd.DataFrame,
    timeframe: Timeframe | str,
    *,
    outlier_sigma: float = DEFAULT_OUTLIER_SIGMA,
) -> BarValidationReport:
    """Check a bar series and report everything a trader should know about it.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw (``ts`` int64 ns column, optional ``source_row``) or canonical bars.
    timeframe : Timeframe or str
        The bars' timeframe; gaps and alignment are judged against it.
    outlier_sigma : float
        A bar is an outlier when its close-to-close |log return| exceeds this many robust
        sigmas. The robust sigma is 1.4826 × the median of all |close-to-close log returns|
        (the MAD about zero, which estimates sigma for normal returns); when more than half the
        returns are 0 (thin markets where closes repeat) it uses the non-zero ones only.

    Returns
    -------
    BarValidationReport
        Errors: NaNs, non-positive prices, negative volume, misaligned timestamps, OHLC
        violations (high below max(open, close), low above min(open, close), high < low) and
        conflicting duplicates. Warnings: gaps (bars missing between consecutive distinct
        open times), exact duplicates, rows out of time order, outliers, zero-volume bars.
    """
    tf = Timeframe.parse(timeframe)
    table = table_form(frame, DataKind.BARS)
    exact, conflicting = checks.duplicates(table, [TS], list(BAR_VALUE_COLUMNS))
    series = _one_row_per_key(table, [TS])
    outliers, sigma = checks.outlier_moves(series, "close", outlier_sigma)
    ts = series[TS].to_numpy(dtype=np.int64)
    return BarValidationReport(
        timeframe=str(tf),
        rows=len(table),
        bars=len(series),
        first=int(ts[0]) if len(ts) else None,
        last=int(ts[-1]) if len(ts) else None,
        gaps=find_gaps(ts, tf),
        nan_values=checks.nan_values(table, BAR_VALUE_COLUMNS),
        non_positive_prices=checks.non_positive(table, PRICE_COLUMNS, "price"),
        negative_volume=checks.negative(table, ("volume",), "volume"),
        misaligned=_misaligned(table, tf),
        ohlc_violations=_ohlc_violations(table),
        conflicting_duplicates=conflicting,
        exact_duplicates=exact,
        out_of_order=checks.out_of_order(table),
        outliers=outliers,
        zero_volume_bars=int((series["volume"].to_numpy() == 0).sum()),
        robust_sigma=sigma,
        outlier_sigma=outlier_sigma,
    )


def find_gaps(ts: np.ndarray, timeframe: Timeframe) -> tuple[Gap, ...]:
    """Gaps between sorted, distinct bar open times ``ts`` (int64 ns)."""
    numbers = bar_number(np.asarray(ts, dtype=np.int64), timeframe)
    steps = np.diff(numbers)
    gaps = []
    for i in np.flatnonzero(steps > 1):
        start = timeframe.next_open(int(ts[i]))
        gaps.append(Gap(start, int(ts[i + 1]), int(steps[i]) - 1))
    return tuple(gaps)


def _one_row_per_key(table: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    ordered = table.sort_values(TS, kind="stable")
    return ordered.drop_duplicates(subset=key, keep="first").reset_index(drop=True)


def _misaligned(table: pd.DataFrame, tf: Timeframe) -> Finding:
    ts = table[TS].to_numpy(dtype=np.int64)
    mask = ~is_aligned(ts, tf)
    return checks.finding(
        table, mask, TS, lambda i: f"{iso(int(ts[i]))} is not a {tf} bar open time"
    )


def _ohlc_violations(table: pd.DataFrame) -> Finding:
    o, h, low, c = (table[col].to_numpy(dtype=np.float64) for col in PRICE_COLUMNS)
    high_low = h < low
    high_body = h < np.maximum(o, c)
    low_body = low > np.minimum(o, c)

    def detail(i: int) -> str:
        if high_low[i]:
            return f"high {float(h[i])!r} below low {float(low[i])!r}"
        if high_body[i]:
            return f"high {float(h[i])!r} below max(open, close) {float(max(o[i], c[i]))!r}"
        return f"low {float(low[i])!r} above min(open, close) {float(min(o[i], c[i]))!r}"

    parts = [
        checks.finding(table, high_low, "high", detail),
        checks.finding(table, high_body & ~high_low, "high", detail),
        checks.finding(table, low_body & ~high_low & ~high_body, "low", detail),
    ]
    return checks.merge_findings(parts)


def validate_trades(
    frame: pd.DataFrame, *, outlier_sigma: float = DEFAULT_OUTLIER_SIGMA
) -> TradeValidationReport:
    """Check a trade series (raw or canonical).

    Errors: NaN price or size, non-positive price or size, a side other than ``buy``,
    ``sell`` or empty, and the same ``(ts, trade_id)`` twice with different values (only
    judged when every trade has an id). Warnings: exact duplicates, rows out of time order,
    outliers, trades without an aggressor side. A trade is an outlier when
    ``|log(price / m)|`` exceeds ``outlier_sigma`` robust sigmas (1.4826 × their median) of
    those deviations, ``m`` being the median price of the 101 trades centred on it.
    """
    table = table_form(frame, DataKind.TRADES)
    sides = table["side"].to_numpy(dtype=object)
    has_ids = bool(len(table)) and bool((table["trade_id"] != "").all())
    exact, conflicting = (NO_FINDING, NO_FINDING)
    if has_ids:
        exact, conflicting = checks.duplicates(table, [TS, "trade_id"], ["price", "size", "side"])
    ordered = table.sort_values(TS, kind="stable").reset_index(drop=True)
    outliers, sigma = checks.outlier_prices(ordered, "price", outlier_sigma, TRADE_MEDIAN_WINDOW)
    invalid = ~np.isin(sides, list(TRADE_SIDES))
    ts = ordered[TS].to_numpy(dtype=np.int64)
    return TradeValidationReport(
        rows=len(table),
        first=int(ts[0]) if len(ts) else None,
        last=int(ts[-1]) if len(ts) else None,
        nan_values=checks.nan_values(table, ("price", "size")),
        non_positive_prices=checks.non_positive(table, ("price",), "price"),
        non_positive_sizes=checks.non_positive(table, ("size",), "size"),
        invalid_sides=checks.finding(
            table, invalid, "side", lambda i: f"side {str(sides[i])!r} is not 'buy', 'sell' or ''"
        ),
        conflicting_duplicates=conflicting,
        exact_duplicates=exact,
        out_of_order=checks.out_of_order(table),
        outliers=outliers,
        unknown_side_trades=int((sides == "").sum()),
        robust_sigma=sigma,
        outlier_sigma=outlier_sigma,
    )


def validate_quotes(frame: pd.DataFrame) -> QuoteValidationReport:
    """Check a quote series (raw or canonical).

    Errors: NaNs, non-positive bid or ask, negative sizes. Warnings: crossed quotes (bid above
    ask) and rows out of time order.
    """
    table = table_form(frame, DataKind.QUOTES)
    bid = table["bid"].to_numpy(dtype=np.float64)
    ask = table["ask"].to_numpy(dtype=np.float64)
    ts = np.sort(table[TS].to_numpy(dtype=np.int64))
    return QuoteValidationReport(
        rows=len(table),
        first=int(ts[0]) if len(ts) else None,
        last=int(ts[-1]) if len(ts) else None,
        nan_values=checks.nan_values(table, ("bid", "bid_size", "ask", "ask_size")),
        non_positive_prices=checks.non_positive(table, ("bid", "ask"), "price"),
        negative_sizes=checks.negative(table, ("bid_size", "ask_size"), "size"),
        crossed=checks.finding(
            table, bid > ask, "bid", lambda i: f"bid {float(bid[i])!r} above ask {float(ask[i])!r}"
        ),
        out_of_order=checks.out_of_order(table),
    )


def raise_for_errors(
    report: ValidationReport,
    *,
    path: Path | None = None,
    source: str = "<frame>",
    allow_conflicts: bool = False,
) -> None:
    """Raise a :class:`DataFileError` for the first error in ``report``, if any.

    Parameters
    ----------
    report : BarValidationReport, TradeValidationReport or QuoteValidationReport
        The report to act on.
    path : Path, optional
        The file the data came from, named in the error.
    source : str
        Label for in-memory frames.
    allow_conflicts : bool
        Let conflicting duplicates pass (they are settled by ``on_conflict``).
    """
    skip = ("conflicting_duplicates",) if allow_conflicts else ()
    found = report.first_error(skip=skip)
    if found is None:
        return
    _, issue = found
    raise DataFileError(path, issue.detail, row=issue.row, column=issue.column, source=source)
