"""``tradeforge walkforward`` and ``tradeforge validate-symbols``: out-of-sample checks of a search.

``walkforward`` optimizes on rolling (or anchored) train windows and trades each following
test window (:func:`tradeforge.optimize.walkforward.walk_forward`); ``validate-symbols`` runs
the same parameter sets on several symbols and flags those that work on one only
(:func:`tradeforge.optimize.multisymbol.validate_symbols`). ``--param`` takes the syntax of
``tradeforge optimize`` (parsed by its :func:`~tradeforge.cli.optimize_command.parse_space`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeforge.backtest import Backtest
from tradeforge.cli.backtest_command import load_series
from tradeforge.cli.context import cli_context
from tradeforge.cli.optimize_command import PARAM_HELP, _fail, parse_space
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.optimize import OptimizeError
from tradeforge.optimize.multisymbol import validate_symbols as validate
from tradeforge.optimize.multisymbol_result import MultiSymbolResult
from tradeforge.optimize.walkforward import walk_forward
from tradeforge.optimize.walkforward_result import WalkForwardResult
from tradeforge.report.tables import format_value
from tradeforge.strategies import load_strategy

StrategyArg = Annotated[str, typer.Argument(help="Built-in name or path.py[:Class].")]
ParamsOpt = Annotated[list[str] | None, typer.Option("--param", "-p", help=PARAM_HELP)]
MaximizeOpt = Annotated[
    str | None, typer.Option("--maximize", help="Statistic to maximize (default sharpe).")
]
MinimizeOpt = Annotated[str | None, typer.Option("--minimize", help="Statistic to minimize.")]
ConstraintOpt = Annotated[
    str | None, typer.Option("--constraint", help='Admissible points, e.g. "fast < slow".')
]
MinTradesOpt = Annotated[
    int, typer.Option("--min-trades", help="Fewest closed trades a run needs to count.")
]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="process, serial or ray.")]
AddressOpt = Annotated[
    str | None, typer.Option("--address", help="Ray cluster address (auto, ray://...).")
]
WorkersOpt = Annotated[int | None, typer.Option("--workers", help="Parallel trials.")]
TimeframeOpt = Annotated[str, typer.Option("--timeframe", "-t", help="Bar timeframe.")]
VenueOpt = Annotated[str, typer.Option("--venue", help="Catalog venue.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Start (ISO date).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="End, exclusive (ISO date).")]
CashOpt = Annotated[float, typer.Option("--cash", help="Starting balance.")]
CommissionOpt = Annotated[float, typer.Option("--commission", help="Fee rate (0.001 = 0.1 %).")]
FillOpt = Annotated[str, typer.Option("--market-fill", help="next_open or close.")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Write the HTML report here.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
NoProgressOpt = Annotated[bool, typer.Option("--no-progress", help="No progress bar.")]
SPAN_HELP = "bars (720) or a duration (180d, 12h)"


def walkforward(
    ctx: typer.Context,
    strategy: StrategyArg,
    train: Annotated[str, typer.Option("--train", help=f"Train window: {SPAN_HELP}.")],
    test: Annotated[str, typer.Option("--test", help=f"Test window: {SPAN_HELP}.")],
    params: ParamsOpt = None,
    step: Annotated[
        str | None, typer.Option("--step", help=f"Window step (default: --test): {SPAN_HELP}.")
    ] = None,
    anchored: Annotated[
        bool, typer.Option("--anchored", help="Train windows all start at the first bar.")
    ] = False,
    warmup: Annotated[
        str | None,
        typer.Option(
            "--warmup",
            help=f"Bars before each test window (default: its train start): {SPAN_HELP}.",
        ),
    ] = None,
    maximize: MaximizeOpt = None,
    minimize: MinimizeOpt = None,
    method: Annotated[
        str, typer.Option("--method", help="grid, random, tpe, cmaes or nsga2.")
    ] = "grid",
    trials: Annotated[
        int | None, typer.Option("--trials", help="Points per window (not for grid).")
    ] = None,
    constraint: ConstraintOpt = None,
    min_trades: MinTradesOpt = 0,
    executor: ExecutorOpt = "process",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="Random and optuna seed.")] = 0,
    symbols: Annotated[
        list[str] | None, typer.Option("--symbol", help="Symbol (repeat for several).")
    ] = None,
    timeframe: TimeframeOpt = "1h",
    venue: VenueOpt = "binance",
    start: FromOpt = None,
    end: ToOpt = None,
    cash: CashOpt = 10_000.0,
    commission: CommissionOpt = 0.001,
    market_fill: FillOpt = "next_open",
    report: ReportOpt = None,
    as_json: JsonOpt = False,
    no_progress: NoProgressOpt = False,
) -> None:
    """Walk forward: optimize on each train window, trade the test window after it."""
    context = cli_context(ctx)
    strategy_cls = load_strategy(strategy)
    chosen = [Symbol.parse(s) for s in (symbols or ["BTC/USDT"])]
    series, source = load_series(
        context.catalog_path, venue, chosen, Timeframe.parse(timeframe), start, end
    )
    bt = Backtest(series, strategy_cls, cash=cash, commission=commission, market_fill=market_fill)
    try:
        result = walk_forward(
            bt,
            space=parse_space(params or []),
            train=train,
            test=test,
            step=step,
            anchored=anchored,
            warmup=warmup,
            maximize=maximize,
            minimize=minimize,
            method=method,
            trials=trials,
            constraint=constraint,
            min_trades=min_trades,
            executor=executor,
            workers=workers,
            address=address,
            seed=seed,
            progress=False if no_progress else None,
        )
    except OptimizeError as error:
        _fail(str(error))
    written = {"report": str(result.report(report).resolve())} if report is not None else {}
    if as_json:
        typer.echo(json.dumps({**result.summary(), **written}, indent=2, default=str))
        return
    print_walkforward(context.console, result, f"{venue} {source}")
    if written:
        context.console.print(f"HTML report: {written['report']}", soft_wrap=True)


def validate_symbols(
    ctx: typer.Context,
    strategy: StrategyArg,
    symbols: Annotated[
        str, typer.Option("--symbols", help="Comma-separated symbols: BTC/USDT,ETH/USDT,...")
    ],
    params: ParamsOpt = None,
    maximize: MaximizeOpt = None,
    minimize: MinimizeOpt = None,
    constraint: ConstraintOpt = None,
    min_trades: MinTradesOpt = 0,
    threshold: Annotated[
        float, typer.Option("--threshold", help="A set works on a symbol above this value.")
    ] = 0.0,
    dominance: Annotated[
        float,
        typer.Option(
            "--dominance", help="Flag a set whose best symbol beats the runner-up this many times."
        ),
    ] = 3.0,
    executor: ExecutorOpt = "process",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    timeframe: TimeframeOpt = "1h",
    venue: VenueOpt = "binance",
    start: FromOpt = None,
    end: ToOpt = None,
    cash: CashOpt = 10_000.0,
    commission: CommissionOpt = 0.001,
    market_fill: FillOpt = "next_open",
    report: ReportOpt = None,
    as_json: JsonOpt = False,
    no_progress: NoProgressOpt = False,
) -> None:
    """Run the same parameter sets on several symbols; flag sets that work on one only."""
    context = cli_context(ctx)
    strategy_cls = load_strategy(strategy)
    names = [s.strip() for s in symbols.split(",") if s.strip()]
    if len(names) < 2:
        _fail(f"bad --symbols {symbols!r}: give two symbols or more, comma-separated")
    tf = Timeframe.parse(timeframe)
    data = {}
    for name in names:
        symbol = Symbol.parse(name)
        data[str(symbol)], _ = load_series(context.catalog_path, venue, [symbol], tf, start, end)
    try:
        result = validate(
            data,
            strategy_cls,
            parse_space(params or []),
            maximize=maximize,
            minimize=minimize,
            constraint=constraint,
            min_trades=min_trades,
            threshold=threshold,
            dominance=dominance,
            executor=executor,
            workers=workers,
            address=address,
            progress=False if no_progress else None,
            cash=cash,
            commission=commission,
            market_fill=market_fill,
        )
    except OptimizeError as error:
        _fail(str(error))
    written = {"report": str(result.report(report).resolve())} if report is not None else {}
    if as_json:
        typer.echo(json.dumps({**result.summary(), **written}, indent=2, default=str))
        return
    print_validation(context.console, result, f"{venue} {tf}")
    if written:
        context.console.print(f"HTML report: {written['report']}", soft_wrap=True)


def print_walkforward(console: Console, result: WalkForwardResult, source: str) -> None:
    """The windows as a table, then the efficiency, the stitched figures and the stability."""
    goal = result.objective.goals[0].name
    title = (
        f"walk-forward of {result.strategy} on {source}: {result.objective.describe()}, "
        f"{len(result.windows)} windows"
    )
    table = Table(title=title, title_justify="left", header_style="bold")
    columns = [
        "window",
        "test_start",
        "test_end",
        *result.params,
        "is_value",
        "oos_value",
        "oos_return_pct",
        "oos_trades",
    ]
    for column in columns:
        table.add_column(column.replace("value", goal), justify="right")
    for row in result.windows.to_dict("records"):
        table.add_row(*(escape(_cell(c, row[c])) for c in columns))
    console.print(table)
    stats = result.oos_stats
    console.print(
        f"walk-forward efficiency: {_cell('x', result.efficiency)} (annualized "
        f"returns), {_cell('x', result.value_efficiency)} ({goal})"
    )
    console.print(
        f"out of sample: total return {stats.total_return_pct:.2f} %, sharpe "
        f"{stats.sharpe:.3f}, max drawdown {stats.max_drawdown_pct:.2f} %, "
        f"{stats.trades} trades"
    )
    for name, row in result.stability.to_dict("index").items():
        console.print(
            f"{name}: mode {row['mode']} in {row['mode_share']:.0%} of the windows, "
            f"{row['distinct']} values, cv {_cell('cv', row['cv'])}"
        )


def print_validation(console: Console, result: MultiSymbolResult, source: str) -> None:
    """Every set's value per symbol, its aggregates and its flag."""
    title = (
        f"{result.strategy} on {len(result.symbols)} symbols ({source}): "
        f"{result.objective.describe()}"
    )
    table = Table(title=title, title_justify="left", header_style="bold")
    shown = ["median", "mean", "min", "pass_share", "flag"]
    for column in ["set", *result.params, *result.symbols, *shown]:
        table.add_column(column, justify="left" if column == "flag" else "right")
    values = result.values.to_dict("index")
    for key, row in result.aggregate.to_dict("index").items():
        cells = [str(key), *(_cell(p, row[p]) for p in result.params)]
        cells += [_cell(s, values[key][s]) for s in result.symbols]
        cells += [_cell(c, row[c]) for c in shown]
        table.add_row(*(escape(c) for c in cells))
    console.print(table)
    flagged = len(result.flagged)
    console.print(
        f"{flagged} of {len(result.aggregate)} sets flagged as working on one symbol "
        f"only; {len(result.robust)} work on every symbol"
    )


def _cell(name: str, value: Any) -> str:
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M"))
    if hasattr(value, "item"):
        value = value.item()
    return format_value(name, value)
