"""``tradeforge demo``: the main job on embedded defaults.

Import the bundled sample candles into the local catalog, print their validation report, then
backtest the built-in breakout strategy on the bundled BTC/USDT hourly bars and print its
summary, and write its interactive HTML report to ``<home>/reports/demo-breakout.html``. A later
issue adds a live demo against the local sandbox.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.cli.backtest_command import print_result
from tradeforge.cli.context import cli_context
from tradeforge.cli.render import gaps_table, series_summary_table, validation_table
from tradeforge.data import BarValidationReport, DataError, DataKind, ParquetCatalog, validate_bars
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategies import Breakout

HEADLINE_SERIES = "binance BTC/USDT 5m"
DEMO_REPORT = "demo-breakout.html"
"""File name of the demo's HTML report, in ``<home>/reports``."""


def demo(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Import the bundled sample data into the catalog and print its validation report."""
    context = cli_context(ctx)
    samples = [s for s in ParquetCatalog(SAMPLE_CATALOG).list() if s.kind is DataKind.BARS]
    if not samples:
        raise DataError(f"no sample data found in {SAMPLE_CATALOG}; is the package complete?")
    catalog = ParquetCatalog(context.catalog_path)
    sigma = context.config.data.outlier_sigma
    reports: list[tuple[str, BarValidationReport]] = []
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        console=context.console, transient=True, disable=as_json)  # fmt: skip
    with progress:
        task = progress.add_task("importing sample data", total=len(samples))
        for info in samples:
            assert info.timeframe is not None
            label = f"{info.venue} {info.symbol} {info.timeframe}"
            progress.update(task, description=f"importing {label}")
            bars = ParquetCatalog(SAMPLE_CATALOG).read_bars(info.venue, info.symbol, info.timeframe)
            catalog.write_bars(info.venue, info.symbol, info.timeframe, bars)
            stored = catalog.read_bars(info.venue, info.symbol, info.timeframe)
            reports.append((label, validate_bars(stored, info.timeframe, outlier_sigma=sigma)))
            progress.advance(task)
    result = _demo_backtest(catalog)
    report, seconds = _write_report(result, context.reports_path / DEMO_REPORT)
    if as_json:
        document = {
            "catalog": str(catalog.root),
            "series": {k: r.to_dict() for k, r in reports},
            "backtest": {"strategy": "breakout", "symbol": "BTC/USDT", "timeframe": "1h",
                         **result.summary()},
            "report": str(report),
        }  # fmt: skip
        typer.echo(json.dumps(document, indent=2, default=str))
        return
    _print(context.console, catalog, reports)
    print_result(context.console, "Breakout", result, "binance BTC/USDT 1h (bundled samples)")
    context.console.print(
        f"HTML report ({report.stat().st_size / 1e6:.1f} MB, written in {seconds:.1f} s), "
        f"open it in a browser: {report}",
        soft_wrap=True,
    )


def _write_report(result: BacktestResult, path: Path) -> tuple[Path, float]:
    """The demo's HTML report, written to ``path``; its absolute path and the seconds taken."""
    started = time.perf_counter()
    written = result.report(path, title="tradeforge demo: Breakout on BTC/USDT 1h").resolve()
    return written, time.perf_counter() - started


def _demo_backtest(catalog: ParquetCatalog) -> BacktestResult:
    """The built-in breakout strategy on the bundled BTC/USDT hourly bars (2019 to 2024)."""
    symbol = Symbol.parse("BTC/USDT")
    frame = catalog.read_bars("binance", symbol, "1h")
    series = BarSeries.from_frame(symbol, frame, Timeframe.parse("1h"))
    return Backtest([series], Breakout, cash=10_000, commission=0.001).run()


def _print(
    console: Console, catalog: ParquetCatalog, reports: list[tuple[str, BarValidationReport]]
) -> None:
    console.print(series_summary_table("sample data (binance spot): validation report", reports))
    headline = dict(reports).get(HEADLINE_SERIES)
    if headline is not None:
        console.print(validation_table(f"bars {HEADLINE_SERIES} in detail", headline))
        gaps = gaps_table(headline)
        if gaps is not None:
            console.print(gaps)
    console.print(f"\n{len(reports)} series imported into {catalog.root.resolve()}")
    console.print("next: `tradeforge data list`, `tradeforge data validate ETH/USDT 5m`, "
                  "`tradeforge data show BTC/USDT 1h --tail`")  # fmt: skip
