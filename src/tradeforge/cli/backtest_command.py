"""``tradeforge backtest``: run a strategy over catalog data and print its summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.cli.context import cli_context
from tradeforge.cli.db_commands import record_cli_backtest
from tradeforge.cli.render import stats_table
from tradeforge.data import DataError, ParquetCatalog
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategies import load_strategy


def backtest(
    ctx: typer.Context,
    strategy: Annotated[
        str, typer.Option("--strategy", "-s", help="Built-in name or path.py[:Class].")
    ] = "sma_cross",
    symbols: Annotated[
        list[str] | None, typer.Option("--symbol", help="Symbol (repeat for several).")
    ] = None,
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="Bar timeframe.")] = "1h",
    venue: Annotated[str, typer.Option("--venue", help="Catalog venue.")] = "binance",
    start: Annotated[str | None, typer.Option("--from", help="Start (ISO date).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="End, exclusive (ISO date).")] = None,
    params: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Strategy parameter name=value.")
    ] = None,
    cash: Annotated[float, typer.Option("--cash", help="Starting balance.")] = 10_000.0,
    commission: Annotated[
        float, typer.Option("--commission", help="Fee rate (0.001 = 0.1 %).")
    ] = 0.001,
    market_fill: Annotated[
        str, typer.Option("--market-fill", help="next_open or close.")
    ] = "next_open",
    timeframe_detail: Annotated[
        str | None,
        typer.Option(
            "--timeframe-detail",
            help="Shorter bars that decide the order of fills inside each bar (e.g. 5m).",
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the HTML report to this file.")
    ] = None,
    export_dir: Annotated[
        Path | None,
        typer.Option("--export", help="Write trades, orders, equity CSV and summary JSON here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    no_record: Annotated[
        bool, typer.Option("--no-record", help="Do not record the run in the store.")
    ] = False,
) -> None:
    """Backtest a strategy on catalog bars (the bundled samples when the catalog lacks them).

    The run is recorded in the store (``TRADEFORGE_DB_URL``, default ``<home>/tradeforge.db``;
    ``tradeforge runs list`` shows it) unless ``--no-record`` is given."""
    context = cli_context(ctx)
    strategy_cls = load_strategy(strategy)
    chosen = [Symbol.parse(s) for s in (symbols or ["BTC/USDT"])]
    tf = Timeframe.parse(timeframe)
    series, source = load_series(context.catalog_path, venue, chosen, tf, start, end)
    detail = None
    if timeframe_detail is not None:
        detail_tf = Timeframe.parse(timeframe_detail)
        detail, _ = load_series(context.catalog_path, venue, chosen, detail_tf, start, end)
    overrides = parse_params(params or [])
    bt = Backtest(series, strategy_cls, cash=cash, commission=commission,
                  market_fill=market_fill, detail=detail)  # fmt: skip
    result = bt.run(**overrides)
    written = write_outputs(result, report, export_dir)
    if not no_record:
        written["run_id"] = record_cli_backtest(
            context, strategy_cls=strategy_cls, result=result, venue=venue, symbols=chosen,
            timeframe=str(tf), start=start, end=end, written=written,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**result.summary(), **written}, indent=2, default=str))
        return
    print_result(context.console, strategy_cls.__name__, result, f"{venue} {source}")
    print_written(context.console, written)


def write_outputs(
    result: BacktestResult, report: Path | None, export_dir: Path | None
) -> dict[str, Any]:
    """Write the HTML report and the exports asked for; the absolute paths written, for
    ``--json`` (``{"report": path, "export": {"trades": path, ...}}``)."""
    written: dict[str, Any] = {}
    if report is not None:
        written["report"] = str(result.report(report).resolve())
    if export_dir is not None:
        files = result.export(export_dir)
        written["export"] = {name: str(path.resolve()) for name, path in files.items()}
    return written


def print_written(console: Console, written: dict[str, Any]) -> None:
    """One line for the report and one for the exports (nothing when nothing was written)."""
    if "report" in written:
        console.print(f"HTML report: {written['report']}", soft_wrap=True)
    if "export" in written:
        paths = [Path(p) for p in written["export"].values()]
        names = ", ".join(p.name for p in paths)
        console.print(f"exported {names} to {paths[0].parent}", soft_wrap=True)
    if "run_id" in written:
        console.print(f"recorded as run {written['run_id']} (`tradeforge runs show`)")


def load_series(
    catalog_path: Path,
    venue: str,
    symbols: list[Symbol],
    timeframe: Timeframe,
    start: str | None,
    end: str | None,
) -> tuple[list[BarSeries], str]:
    """Each symbol's bars from the catalog, or from the bundled samples; and where from."""
    series, sources = [], set()
    for symbol in symbols:
        frame, source = _read(catalog_path, venue, symbol, timeframe, start, end)
        if frame.empty:
            raise DataError(
                f"no {venue} {symbol} {timeframe} bars between {start or 'start'} and "
                f"{end or 'end'}; import some with `tradeforge data import`"
            )
        series.append(BarSeries.from_frame(symbol, frame, timeframe))
        sources.add(source)
    return series, " + ".join(sorted(sources))


def _read(
    catalog_path: Path,
    venue: str,
    symbol: Symbol,
    timeframe: Timeframe,
    start: str | None,
    end: str | None,
) -> tuple[Any, str]:
    for root, label in ((catalog_path, "catalog"), (SAMPLE_CATALOG, "bundled samples")):
        catalog = ParquetCatalog(root)
        if any(i.venue == venue and i.symbol == symbol and i.timeframe == timeframe
               for i in catalog.list()):  # fmt: skip
            return catalog.read_bars(venue, symbol, timeframe, start, end), label
    raise DataError(
        f"no {venue} {symbol} {timeframe} bars in {catalog_path} or in the bundled samples"
    )


def parse_params(items: list[str]) -> dict[str, str]:
    """``["fast=10", "slow=30"]`` to a mapping (values are validated by the strategy)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise DataError(f"bad --param {item!r}: use name=value")
        out[name.strip()] = value.strip()
    return out


def print_result(console: Console, name: str, result: BacktestResult, source: str) -> None:
    """The key statistics as a colored table, and a line about the data."""
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    console.print(stats_table(f"{name}({params}) on {source}", result.stats))
    console.print(f"final equity {result.final_equity:.2f}; {len(result.trades)} trades, "
                  f"{len(result.fills)} fills")  # fmt: skip
