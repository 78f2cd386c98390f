"""Rich tables for what the data commands report."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from tradeforge.data import BarValidationReport, Finding, SeriesInfo, WriteReport
from tradeforge.data.reports import ValidationReport
from tradeforge.data.timestamps import iso

OK, WARN, ERROR = "green", "yellow", "bold red"
MAX_GAPS_SHOWN = 10


def _when(ts_ns: int | None) -> str:
    return "-" if ts_ns is None else iso(ts_ns).replace("T", " ").removesuffix("+00:00")


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:.2f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1000:.1f} kB"


def _status(count: int, style_if_any: str) -> Text:
    return Text(f"{count:,}", style=style_if_any if count else OK)


def validation_table(title: str, report: BarValidationReport) -> Table:
    """Every check of a bar report on its own line, coloured by severity."""
    table = Table(title=title, title_justify="left", show_header=True, header_style="bold")
    table.add_column("check")
    table.add_column("result", justify="right")
    table.add_column("detail")
    longest = report.longest_gap
    table.add_row("bars", f"{report.bars:,}", f"{_when(report.first)} → {_when(report.last)}")
    table.add_row(
        "gaps",
        _status(report.gap_count, WARN),
        f"{report.missing_bars:,} missing bars"
        + (f", longest {longest.missing_bars:,} from {_when(longest.start)}" if longest else ""),
    )
    findings: Sequence[tuple[str, Finding, str]] = (
        ("exact duplicates", report.exact_duplicates, WARN),
        ("conflicting duplicates", report.conflicting_duplicates, ERROR),
        ("time going backwards", report.out_of_order, WARN),
        ("OHLC violations", report.ohlc_violations, ERROR),
        ("non-positive prices", report.non_positive_prices, ERROR),
        ("negative volume", report.negative_volume, ERROR),
        ("NaN values", report.nan_values, ERROR),
        ("misaligned bars", report.misaligned, ERROR),
        (f"outlier moves (>{report.outlier_sigma:g}σ)", report.outliers, WARN),
    )
    for name, finding, severity in findings:
        detail = "; ".join(f"row {e.row}: {e.detail}" for e in finding.examples[:2])
        table.add_row(name, _status(finding.count, severity), detail)
    table.add_row("zero-volume bars", f"{report.zero_volume_bars:,}", "")
    table.add_row("verdict", _verdict(report), ", ".join(report.errors() + report.warnings()))
    return table


def gaps_table(report: BarValidationReport) -> Table | None:
    """The gaps of a report, largest first (at most ten), or ``None`` without gaps."""
    if not report.gaps:
        return None
    table = Table(title="gaps (largest first)", title_justify="left", header_style="bold")
    for column in ("first missing bar", "next bar present", "missing bars"):
        table.add_column(column, justify="right" if column == "missing bars" else "left")
    for gap in sorted(report.gaps, key=lambda g: (-g.missing_bars, g.start))[:MAX_GAPS_SHOWN]:
        table.add_row(_when(gap.start), _when(gap.end), f"{gap.missing_bars:,}")
    if report.gap_count > MAX_GAPS_SHOWN:
        table.caption = f"{report.gap_count - MAX_GAPS_SHOWN} more gaps; --json lists them all"
    return table


def series_summary_table(title: str, rows: Iterable[tuple[str, BarValidationReport]]) -> Table:
    """One line per series (``label`` is ``venue symbol timeframe``): span, gaps, verdict.

    The venue goes in the title.
    """
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in ("symbol", "tf", "bars", "from", "to", "gaps", "missing", "longest",
                   "outliers", "status"):  # fmt: skip
        table.add_column(column, justify="right" if column in _NUMERIC else "left", no_wrap=True)
    for label, report in rows:
        longest = report.longest_gap
        table.add_row(
            *label.split(" ", 2)[1:],
            f"{report.bars:,}",
            _day(report.first),
            _day(report.last),
            _status(report.gap_count, WARN),
            f"{report.missing_bars:,}",
            "-" if longest is None else f"{longest.missing_bars:,}",
            _status(report.outliers.count, WARN),
            _verdict(report),
        )
    return table


def _verdict(report: ValidationReport) -> Text:
    if not report.ok:
        return Text("ERRORS", style=ERROR)
    return Text("warnings", style=WARN) if report.warnings() else Text("OK", style=OK)


_NUMERIC = frozenset({"bars", "gaps", "missing", "longest", "outliers", "rows", "size"})


def _day(ts_ns: int | None) -> str:
    return "-" if ts_ns is None else iso(ts_ns)[:10]


def catalog_table(series: Sequence[SeriesInfo]) -> Table:
    """What the catalog holds."""
    table = Table(title="catalog", title_justify="left", header_style="bold")
    for column in ("kind", "venue", "symbol", "timeframe", "rows", "first", "last", "size"):
        table.add_column(column, justify="right" if column in ("rows", "size") else "left")
    for info in series:
        table.add_row(
            info.kind.value,
            info.venue,
            str(info.symbol),
            "-" if info.timeframe is None else str(info.timeframe),
            f"{info.rows:,}",
            "-" if info.first is None else _when(info.first.value),
            "-" if info.last is None else _when(info.last.value),
            _size(info.bytes),
        )
    return table


def import_table(rows: Sequence[tuple[str, WriteReport, ValidationReport]]) -> Table:
    """One line per imported file: what it held and what the catalog gained."""
    table = Table(title="imported", title_justify="left", header_style="bold")
    for column in ("file", "series", "rows", "added", "replaced", "duplicates", "warnings"):
        table.add_column(
            column, justify="left" if column in ("file", "series", "warnings") else "right"
        )
    for name, write, report in rows:
        table.add_row(
            name,
            write.series,
            f"{write.rows_in:,}",
            f"{write.rows_added:,}",
            f"{write.rows_replaced:,}",
            f"{write.exact_duplicates_dropped:,}",
            Text(", ".join(report.warnings()) or "none", style=WARN if report.warnings() else OK),
        )
    return table


def frame_table(title: str, frame: pd.DataFrame) -> Table:
    """A few rows of a canonical frame."""
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("ts (UTC)")
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for ts, row in frame.iterrows():
        stamp = pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[arg-type]
        table.add_row(stamp, *(_cell(value) for value in row))
    return table


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


# (key, label, kind): kinds decide the format and the colour (see _stat_text)
_STAT_ROWS: tuple[tuple[str, str, str], ...] = (
    ("start", "Start", "time"),
    ("end", "End", "time"),
    ("duration", "Duration", "duration"),
    ("exposure_pct", "Exposure time", "%"),
    ("final_equity", "Final equity", "money"),
    ("peak_equity", "Peak equity", "money"),
    ("total_return_pct", "Total return", "return%"),
    ("buy_and_hold_return_pct", "Buy & hold return", "return%"),
    ("cagr_pct", "CAGR", "return%"),
    ("volatility_ann_pct", "Volatility (ann.)", "%"),
    ("sharpe", "Sharpe ratio", "ratio"),
    ("sortino", "Sortino ratio", "ratio"),
    ("calmar", "Calmar ratio", "ratio"),
    ("max_drawdown_pct", "Max drawdown", "drawdown%"),
    ("max_drawdown_duration", "Max drawdown duration", "duration"),
    ("avg_drawdown_pct", "Avg drawdown", "drawdown%"),
    ("avg_drawdown_duration", "Avg drawdown duration", "duration"),
    ("trades", "Trades", "count"),
    ("win_rate_pct", "Win rate", "%"),
    ("best_trade_pct", "Best trade", "return%"),
    ("worst_trade_pct", "Worst trade", "return%"),
    ("avg_trade_pct", "Avg trade", "return%"),
    ("profit_factor", "Profit factor", "ratio"),
    ("expectancy", "Expectancy", "pnl"),
    ("sqn", "SQN", "ratio"),
    ("kelly", "Kelly criterion", "ratio"),
    ("avg_trade_duration", "Avg trade duration", "duration"),
    ("max_trade_duration", "Max trade duration", "duration"),
    ("fees", "Fees paid", "money"),
    ("funding_paid", "Funding paid", "money"),
)
_SKIP_WHEN_ZERO = frozenset({"funding_paid"})


def stats_table(title: str, stats: Mapping[str, object]) -> Table:
    """The key statistics of a backtest (:class:`~tradeforge.backtest.stats.Stats`).

    Returns and PnL are green when positive and red when negative, drawdowns red, everything
    else neutral; funding shows only when some was paid or received, and a line per symbol
    only with several symbols.
    """
    # wide enough for a title of up to 80 characters on one line
    table = Table(
        title=title, show_header=False, title_justify="left", min_width=min(len(title), 80)
    )
    table.add_column("stat", style="bold")
    table.add_column("value", justify="right")
    for key, label, kind in _STAT_ROWS:
        value = stats.get(key)
        if value is None or (key in _SKIP_WHEN_ZERO and not value):
            continue
        table.add_row(label, _stat_text(value, kind))
    per_symbol = stats.get("per_symbol")
    if isinstance(per_symbol, Mapping) and len(per_symbol) > 1:
        for symbol, row in per_symbol.items():
            table.add_row(f"  {symbol}", _symbol_text(row))
    return table


def _symbol_text(row: Any) -> Text:
    pnl = float(row.pnl)
    return Text.assemble(
        f"{row.trades:,} trades, {row.win_rate_pct:.1f} % won, PnL ",
        (f"{pnl:+,.2f}", _sign_style(pnl)),
        f", fees {float(row.fees):,.2f}",
    )


def _sign_style(number: float) -> str:
    return "green" if number > 0 else "red" if number < 0 else ""


def _stat_text(value: object, kind: str) -> Text:
    if isinstance(value, pd.Timestamp):
        return Text(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, pd.Timedelta):
        return Text(str(value.round("s")))
    if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
        return Text(str(value))
    number = float(value)
    if math.isinf(number):
        return Text("∞" if number > 0 else "-∞", style=_style(number, kind))
    text = {
        "money": f"{number:,.2f}",
        "pnl": f"{number:+,.2f}",
        "%": f"{number:.2f} %",
        "return%": f"{number:+.2f} %",
        "drawdown%": f"{number:.2f} %",
        "ratio": f"{number:.3f}",
        "count": f"{number:,.0f}",
    }.get(kind, f"{number:g}")
    return Text(text, style=_style(number, kind))


def _style(number: float, kind: str) -> str:
    if kind in ("return%", "pnl"):
        return _sign_style(number)
    if kind == "drawdown%" and number < 0:
        return "red"
    return ""
