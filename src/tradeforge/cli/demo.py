"""``tradeforge demo``: the main job on embedded defaults.

For now: import the bundled sample candles into the local catalog and print their validation
report. Later issues turn it into a backtest, then a live demo against the local sandbox.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tradeforge.cli.context import cli_context
from tradeforge.cli.render import gaps_table, series_summary_table, validation_table
from tradeforge.data import BarValidationReport, DataError, DataKind, ParquetCatalog, validate_bars
from tradeforge.samples import SAMPLE_CATALOG

HEADLINE_SERIES = "binance BTC/USDT 5m"


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
    if as_json:
        document = {"catalog": str(catalog.root), "series": {k: r.to_dict() for k, r in reports}}
        typer.echo(json.dumps(document, indent=2))
        return
    _print(context.console, catalog, reports)


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
