"""``tradeforge analysis``: look-ahead bias, indicator warm-up and Monte Carlo robustness.

::

    tradeforge analysis lookahead sma_cross --symbol BTC/USDT --timeframe 1h --cuts 20
    tradeforge analysis recursive rsi --param period=14 --history 50 --history 200
    tradeforge analysis montecarlo sma_cross --simulations 1000 --block 24 --report mc.html

Each loads the strategy and the bars as ``tradeforge backtest`` does (the catalog, else the
bundled samples), prints rich tables, or JSON with ``--json``. Bad settings are one-line
errors with status 1. ``lookahead --strict`` exits with status 3 when it finds a bias.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeforge.analysis import (
    AnalysisError,
    LookaheadReport,
    MonteCarloResult,
    RecursiveReport,
    lookahead_analysis,
    monte_carlo,
    recursive_analysis,
)
from tradeforge.analysis.recursive import HISTORIES, TOLERANCE
from tradeforge.backtest import Backtest
from tradeforge.cli.backtest_command import load_series, parse_params
from tradeforge.cli.context import cli_context
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.strategies import load_strategy
from tradeforge.strategy.base import Strategy

EXIT_BIASED = 3
"""Status of ``lookahead --strict`` when something reads the future."""

analysis_app = typer.Typer(
    help="Robustness analyses: look-ahead bias, indicator warm-up, Monte Carlo.",
    no_args_is_help=True,
)

StrategyArg = Annotated[str, typer.Argument(help="Built-in name or path.py[:Class].")]
Symbols = Annotated[list[str] | None, typer.Option("--symbol", help="Symbol (repeat for several).")]
TimeframeOpt = Annotated[str, typer.Option("--timeframe", "-t", help="Bar timeframe.")]
Venue = Annotated[str, typer.Option("--venue", help="Catalog venue.")]
Start = Annotated[str | None, typer.Option("--from", help="Start (ISO date).")]
End = Annotated[str | None, typer.Option("--to", help="End, exclusive (ISO date).")]
Params = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="Strategy parameter name=value.")
]
Cash = Annotated[float, typer.Option("--cash", help="Starting balance.")]
Commission = Annotated[float, typer.Option("--commission", help="Fee rate (0.001 = 0.1 %).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@contextmanager
def one_line_errors() -> Iterator[None]:
    """An :class:`AnalysisError` becomes ``error: ...`` on stderr and status 1."""
    try:
        yield
    except AnalysisError as error:
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(str(error))}", highlight=False
        )
        raise typer.Exit(1) from None


def _inputs(
    ctx: typer.Context,
    strategy: str,
    symbols: list[str] | None,
    timeframe: str,
    where: tuple[str, str | None, str | None],
) -> tuple[type[Strategy], list[BarSeries], str]:
    """The strategy class, the bars (catalog or samples) and a label of them."""
    venue, start, end = where
    strategy_cls = load_strategy(strategy)
    chosen = [Symbol.parse(s) for s in (symbols or ["BTC/USDT"])]
    tf = Timeframe.parse(timeframe)
    series, source = load_series(cli_context(ctx).catalog_path, venue, chosen, tf, start, end)
    names = ", ".join(map(str, chosen))
    return strategy_cls, series, f"{venue} {names} {tf} ({source}, {len(series[0]):,} bars)"


@analysis_app.command("lookahead")
def lookahead_command(
    ctx: typer.Context,
    strategy: StrategyArg,
    symbols: Symbols = None,
    timeframe: TimeframeOpt = "1h",
    venue: Venue = "binance",
    start: Start = None,
    end: End = None,
    params: Params = None,
    cuts: Annotated[int, typer.Option("--cuts", help="Evenly spaced cuts.")] = 20,
    signal_cuts: Annotated[
        int, typer.Option("--signal-cuts", help="Signal bars cut at too (and the bar after).")
    ] = 10,
    cash: Cash = 10_000.0,
    commission: Commission = 0.001,
    as_json: AsJson = False,
    strict: Annotated[
        bool, typer.Option("--strict", help=f"Exit with status {EXIT_BIASED} on a finding.")
    ] = False,
) -> None:
    """Recompute indicators, signals and orders on data cut at many bars; report what changed
    (it reads the future), with the first bar that differs and the likely cause."""
    strategy_cls, series, label = _inputs(ctx, strategy, symbols, timeframe, (venue, start, end))
    with one_line_errors():
        report = lookahead_analysis(
            strategy_cls, series, parse_params(params or []), cuts=cuts, signal_cuts=signal_cuts,
            backtest_options={"cash": cash, "commission": commission},
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        _print_lookahead(cli_context(ctx).console, report, label)
    if strict and report.biased:
        raise typer.Exit(EXIT_BIASED)


@analysis_app.command("recursive")
def recursive_command(
    ctx: typer.Context,
    strategy: StrategyArg,
    symbols: Symbols = None,
    timeframe: TimeframeOpt = "1h",
    venue: Venue = "binance",
    start: Start = None,
    end: End = None,
    params: Params = None,
    histories: Annotated[
        list[int] | None,
        typer.Option("--history", help="History length to try, bars (repeat; default 25 … 5000)."),
    ] = None,
    window: Annotated[int, typer.Option("--window", help="Last bars compared.")] = 100,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Relative difference counted as settled.")
    ] = TOLERANCE,
    as_json: AsJson = False,
) -> None:
    """Compute each indicator with more and more history before the last bars; report how far
    it is from the longest-history values and the history from which it settles."""
    strategy_cls, series, label = _inputs(ctx, strategy, symbols, timeframe, (venue, start, end))
    with one_line_errors():
        report = recursive_analysis(
            strategy_cls, series, parse_params(params or []), histories=histories or HISTORIES,
            window=window, tolerance=tolerance,
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    _print_recursive(cli_context(ctx).console, report, label)


@analysis_app.command("montecarlo")
def montecarlo_command(
    ctx: typer.Context,
    strategy: StrategyArg,
    symbols: Symbols = None,
    timeframe: TimeframeOpt = "1h",
    venue: Venue = "binance",
    start: Start = None,
    end: End = None,
    params: Params = None,
    simulations: Annotated[int, typer.Option("--simulations", "-n", help="Paths.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    block: Annotated[int, typer.Option("--block", help="Bootstrap block, bars (1: iid).")] = 1,
    additive: Annotated[
        bool, typer.Option("--additive", help="Shuffle trade PnL, not compounded returns.")
    ] = False,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Central interval (0.9: 5 % to 95 %).")
    ] = 0.9,
    cash: Cash = 10_000.0,
    commission: Commission = 0.001,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the HTML report with the section.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Backtest, then shuffle the trades and bootstrap the bar returns: distributions of the
    final return and the max drawdown with confidence intervals."""
    strategy_cls, series, label = _inputs(ctx, strategy, symbols, timeframe, (venue, start, end))
    result = Backtest(series, strategy_cls, cash=cash, commission=commission).run(
        **parse_params(params or [])
    )
    with one_line_errors():
        found = monte_carlo(
            result,
            simulations,
            seed=seed,
            block=block,
            compound=not additive,
            confidence=confidence,
        )
    written: dict[str, Any] = {}
    if report is not None:
        from tradeforge.report import write_report  # noqa: PLC0415 - plotly only when asked

        written["report"] = str(write_report(result, report, monte_carlo=found).resolve())
    if as_json:
        document = {"shuffle": found.shuffle.to_dict(), "bootstrap": found.bootstrap.to_dict()}
        typer.echo(json.dumps({**document, **written}, indent=2, default=str))
        return
    console = cli_context(ctx).console
    console.print(f"{strategy_cls.__name__} on {label}: {len(result.trades)} trades")
    for mc in found:
        console.print(_montecarlo_table(mc))
    if written:
        console.print(f"HTML report: {written['report']}", soft_wrap=True)


def _print_lookahead(console: Console, report: LookaheadReport, label: str) -> None:
    checked = f"{len(report.checked)} outputs at {len(report.cuts)} cuts"
    if not report.biased:
        console.print(f"[green]no look-ahead bias[/] in {report.strategy} on {label}: {checked}")
        return
    table = Table(title=f"Look-ahead bias in {report.strategy} on {label}", title_justify="left")
    for column in ("output", "kind", "first bar", "cut", "cuts", "max |diff|", "cause", "hint"):
        table.add_column(column, overflow="fold")
    for f in report.findings:
        table.add_row(
            escape(f.name), f.kind, f"{f.first_bar} ({f.first_time:%Y-%m-%d %H:%M})",
            str(f.cut_bar), str(f.cuts_differing), _number(f.max_abs_diff), f.cause,
            escape(f.hint),
        )  # fmt: skip
    console.print(table)
    console.print(f"[bold red]{len(report.findings)} biased[/] of {checked}")


def _print_recursive(console: Console, report: RecursiveReport, label: str) -> None:
    title = (
        f"{report.strategy} on {label}: relative difference over the last {report.window} bars "
        f"vs {report.reference:,} bars of history"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("indicator")
    for history in report.histories:
        table.add_column(f"{history:,}", justify="right")
    table.add_column("settles at", justify="right")
    for line in report.lines:
        cells = [_percent(line.differences[h], report.tolerance) for h in report.histories]
        settle = "–" if line.settle_bars is None else f"{line.settle_bars:,} bars"
        table.add_row(escape(line.name), *cells, settle)
    console.print(table)
    console.print(f"settled: within {report.tolerance:g} of the reference (columns: history bars)")


def _montecarlo_table(mc: MonteCarloResult) -> Table:
    how = (
        f"trades shuffled ({'compounded' if mc.compound else 'PnL added'})"
        if mc.method == "shuffle"
        else f"bar returns bootstrapped ({_blocks(mc)})"
    )
    table = Table(
        title=f"{how}: {len(mc.simulations):,} paths, seed {mc.seed}", title_justify="left"
    )
    summary = mc.summary()
    table.add_column("metric")
    for column in summary.columns:
        table.add_column(str(column), justify="right")
    for metric in summary.index:
        cells = [
            f"{100.0 * float(v):{'' if column == 'std' else '+'}.2f} %"
            for column, v in summary.loc[metric].items()
        ]
        table.add_row(str(metric).replace("_", " "), *cells)
    return table


def _blocks(mc: MonteCarloResult) -> str:
    return "iid" if mc.block == 1 else f"blocks of {mc.block}"


def _percent(value: float, tolerance: float) -> str:
    if math.isinf(value):
        return "[red]undefined[/]"
    style = "green" if value <= tolerance else "yellow"
    shown = "≈0" if 100.0 * value < 1e-6 else f"{100.0 * value:.3g}"
    return f"[{style}]{shown} %[/]"


def _number(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.6g}"
