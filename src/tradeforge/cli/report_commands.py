"""``tradeforge report compare``: several strategies or parameter sets on one HTML page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.cli.backtest_command import load_series, parse_params
from tradeforge.cli.context import cli_context
from tradeforge.cli.db_commands import record_cli_backtest
from tradeforge.data import DataError
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.strategies import load_strategy

report_app = typer.Typer(help="HTML reports of backtests.", no_args_is_help=True)


def parse_run(spec: str) -> tuple[str, dict[str, str]]:
    """``"sma_cross:fast=10,slow=30"`` to ``("sma_cross", {"fast": "10", "slow": "30"})``.

    The strategy is a built-in name or ``path.py[:Class]``; parameters follow the last ``:``
    when that part has a ``=``.
    """
    name, sep, tail = spec.rpartition(":")
    if not sep or "=" not in tail:
        name, tail = spec, ""
    usage = f"bad --run {spec!r}: use STRATEGY or STRATEGY:name=value,name=value"
    if not name.strip():
        raise DataError(usage)
    try:
        return name.strip(), parse_params([item for item in tail.split(",") if item.strip()])
    except DataError:
        raise DataError(usage) from None


def run_specs(
    specs: list[str], series: list[BarSeries], cash: float, commission: float, market_fill: str
) -> list[BacktestResult]:
    """One backtest per ``--run`` spec, all on the same bars."""
    results = []
    for spec in specs:
        name, params = parse_run(spec)
        bt = Backtest(series, load_strategy(name), cash=cash, commission=commission,
                      market_fill=market_fill)  # fmt: skip
        results.append(bt.run(**params))
    return results


@report_app.command("compare")
def compare_command(
    ctx: typer.Context,
    runs: Annotated[
        list[str],
        typer.Option("--run", help='A run: "breakout" or "sma_cross:fast=10,slow=30" (repeat).'),
    ],
    symbols: Annotated[
        list[str] | None, typer.Option("--symbol", help="Symbol (repeat for several).")
    ] = None,
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="Bar timeframe.")] = "1h",
    venue: Annotated[str, typer.Option("--venue", help="Catalog venue.")] = "binance",
    start: Annotated[str | None, typer.Option("--from", help="Start (ISO date).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="End, exclusive (ISO date).")] = None,
    cash: Annotated[float, typer.Option("--cash", help="Starting balance.")] = 10_000.0,
    commission: Annotated[
        float, typer.Option("--commission", help="Fee rate (0.001 = 0.1 %).")
    ] = 0.001,
    market_fill: Annotated[
        str, typer.Option("--market-fill", help="next_open or close.")
    ] = "next_open",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The HTML file (default <home>/reports/compare.html)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    no_record: Annotated[
        bool, typer.Option("--no-record", help="Do not record the runs in the store.")
    ] = False,
) -> None:
    """Backtest several runs on the same bars and compare them on one HTML page (each run is
    recorded in the store, as ``tradeforge backtest`` records its run, unless
    ``--no-record``)."""
    from tradeforge.report import compare  # noqa: PLC0415 - plotly only for this command

    context = cli_context(ctx)
    chosen = [Symbol.parse(s) for s in (symbols or ["BTC/USDT"])]
    tf = Timeframe.parse(timeframe)
    series, source = load_series(context.catalog_path, venue, chosen, tf, start, end)
    results = run_specs(runs, series, cash, commission, market_fill)
    target = output or context.reports_path / "compare.html"
    title = f"Comparison on {venue} {', '.join(map(str, chosen))} {tf} ({source})"
    path = compare(results, target, labels=runs, title=title).resolve()
    recorded: list[int] = []
    if not no_record:
        for spec, result in zip(runs, results, strict=True):
            recorded.append(
                record_cli_backtest(
                    context, strategy_cls=load_strategy(parse_run(spec)[0]), result=result,
                    venue=venue, symbols=chosen, timeframe=str(tf), start=start, end=end,
                    written={"report": str(path)},
                )
            )  # fmt: skip
    if as_json:
        document: dict[str, Any] = {
            "report": str(path),
            "runs": {spec: r.summary() for spec, r in zip(runs, results, strict=True)},
        }
        if recorded:
            document["run_ids"] = recorded
        typer.echo(json.dumps(document, indent=2, default=str))
        return
    for spec, result in zip(runs, results, strict=True):
        stats = result.stats
        context.console.print(
            f"{spec}: return {stats['total_return_pct']:.2f} %, max drawdown "
            f"{stats['max_drawdown_pct']:.2f} %, Sharpe {stats['sharpe']:.2f}, "
            f"{stats['trades']} trades",
            soft_wrap=True,
        )
    context.console.print(f"HTML comparison: {path}", soft_wrap=True)
