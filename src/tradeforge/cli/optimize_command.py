"""``tradeforge optimize STRATEGY``: search a strategy's parameters on catalog bars.

``--param`` takes ``name=start:stop:step`` (``stop`` included: ``fast=5:50:5`` is 5, 10 ... 50),
``name=low:high`` (a range for TPE, CMA-ES and NSGA-II; integers when both bounds are),
``name=a,b,c`` (a list) or ``name=value`` (fixed). The other options are those of
``Backtest.optimize``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, cast

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeforge.backtest import Backtest
from tradeforge.cli.backtest_command import load_series
from tradeforge.cli.context import CliContext, cli_context
from tradeforge.cli.db_commands import actor, now, open_store, store_url
from tradeforge.cli.errors import EXIT_USER_ERROR
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.optimize import FloatRange, IntRange, OptimizeError, OptimizeResult
from tradeforge.report.tables import format_value
from tradeforge.strategies import load_strategy

PARAM_HELP = (
    "name=start:stop:step (stop included), name=low:high (a range for tpe/cmaes/nsga2), "
    "name=a,b,c or name=value; repeat for each parameter."
)
SHOWN_STATS = ("total_return_pct", "sharpe", "max_drawdown_pct", "trades")


def optimize(
    ctx: typer.Context,
    strategy: Annotated[str, typer.Argument(help="Built-in name or path.py[:Class].")],
    params: Annotated[list[str] | None, typer.Option("--param", "-p", help=PARAM_HELP)] = None,
    maximize: Annotated[
        list[str] | None, typer.Option("--maximize", help="Statistic to maximize (repeatable).")
    ] = None,
    minimize: Annotated[
        list[str] | None, typer.Option("--minimize", help="Statistic to minimize (repeatable).")
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="grid, random, tpe, cmaes or nsga2.")
    ] = "grid",
    trials: Annotated[
        int | None, typer.Option("--trials", help="Points to try (not for grid; default 100).")
    ] = None,
    constraint: Annotated[
        str | None, typer.Option("--constraint", help='Admissible points, e.g. "fast < slow".')
    ] = None,
    min_trades: Annotated[
        int, typer.Option("--min-trades", help="Fewest closed trades a best run needs.")
    ] = 0,
    mode: Annotated[str, typer.Option("--mode", help="event or vector.")] = "event",
    quantity: Annotated[float, typer.Option("--quantity", help="Vector mode: order size.")] = 0.0,
    fraction: Annotated[
        float, typer.Option("--fraction", help="Vector mode: share of equity per order.")
    ] = 0.0,
    executor: Annotated[
        str, typer.Option("--executor", help="process, serial or ray.")
    ] = "process",
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address (auto, ray://...).")
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Parallel trials.")] = None,
    storage: Annotated[
        str | None,
        typer.Option("--storage", help="Database URL that makes the search resumable."),
    ] = None,
    study: Annotated[str | None, typer.Option("--study", help="Stored study name.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random and optuna seed.")] = 0,
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
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the HTML report to this file.")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Best trials shown (and in --json).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    no_record: Annotated[
        bool, typer.Option("--no-record", help="Do not record the search in the store.")
    ] = False,
) -> None:
    """Search a strategy's parameters over catalog bars (or the bundled samples).

    The search is recorded in the store (``tradeforge runs``' database) unless ``--no-record``.
    """
    context = cli_context(ctx)
    strategy_cls = load_strategy(strategy)
    chosen = [Symbol.parse(s) for s in (symbols or ["BTC/USDT"])]
    tf = Timeframe.parse(timeframe)
    series, source = load_series(context.catalog_path, venue, chosen, tf, start, end)
    bt = Backtest(series, strategy_cls, cash=cash, commission=commission, market_fill=market_fill)
    try:
        space = parse_space(params or [])
        result = bt.optimize(
            maximize=maximize, minimize=minimize, method=method, trials=trials,
            constraint=constraint, mode=cast(Literal["event", "vector"], mode), quantity=quantity,
            fraction=fraction,
            min_trades=min_trades, executor=executor, workers=workers, address=address,
            storage=storage, study=study, seed=seed, progress=False if no_progress else None,
            **space,
        )  # fmt: skip
    except OptimizeError as error:
        _fail(str(error))
    written: dict[str, Any] = {}
    if report is not None:
        written["report"] = str(result.report(report).resolve())
    if not no_record:
        written["run_id"] = record_cli_optimization(
            context, strategy_cls, result, report=written.get("report"),
            span=(venue, chosen, str(tf), start, end),
        )  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**result.summary(top), **written}, indent=2, default=str))
        return
    print_search(context.console, result, f"{venue} {source}", top)
    for key, label in (("report", "HTML report"), ("run_id", "recorded as optimization")):
        if key in written:
            context.console.print(f"{label}: {written[key]}", soft_wrap=True)


def parse_space(items: list[str]) -> dict[str, Any]:
    """``--param`` values to the keyword arguments of ``Backtest.optimize``.

    Raises
    ------
    OptimizeError
        Naming the malformed ``--param``.
    """
    if not items:
        raise OptimizeError(f"give at least one --param to search: {PARAM_HELP}")
    space: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise OptimizeError(f"bad --param {item!r}: use {PARAM_HELP}")
        if name in space:
            raise OptimizeError(f"bad --param {item!r}: {name!r} is given twice")
        space[name] = _values(item, text.strip())
    return space


def _values(item: str, text: str) -> Any:
    if ":" in text:
        return _range(item, text)
    if "," in text:
        values = [v.strip() for v in text.split(",")]
        if not all(values):
            raise OptimizeError(f"bad --param {item!r}: an empty value in the list")
        return values
    return text


def _range(item: str, text: str) -> IntRange | FloatRange:
    parts = [p.strip() for p in text.split(":")]
    if len(parts) not in (2, 3):
        raise OptimizeError(f"bad --param {item!r}: a range is start:stop or start:stop:step")
    numbers = [_number(item, p) for p in parts]
    try:
        if all(isinstance(n, int) for n in numbers):
            low, high, *step = (int(n) for n in numbers)
            return IntRange(low, high, step[0] if step else 1)
        low_f, high_f, *step_f = (float(n) for n in numbers)
        return FloatRange(low_f, high_f, step_f[0] if step_f else None)
    except ValueError as error:
        raise OptimizeError(f"bad --param {item!r}: {error}") from None


def _number(item: str, text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise OptimizeError(f"bad --param {item!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise OptimizeError(f"bad --param {item!r}: {text!r} is not a finite number")
    return value


def print_search(console: Console, result: OptimizeResult, source: str, top: int) -> None:
    """The best trials as a table, then the best point."""
    title = (f"{result.method} search of {result.strategy} on {source}: "
             f"{result.objective.describe()}, {len(result.trials):,} trials")  # fmt: skip
    table = Table(title=title, title_justify="left", header_style="bold")
    goals = {g.name for g in result.objective.goals}
    columns = ["trial", *result.params, *result.value_columns,
               *(s for s in SHOWN_STATS if s not in goals)]  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    rows = result.top(top)
    for _, row in rows.iterrows():
        table.add_row(*(escape(format_value(c, _plain(row[c]))) for c in columns))
    console.print(table)
    if rows.empty:
        console.print(f"no eligible trial (min trades {result.objective.min_trades})")
        return
    best = ", ".join(f"{k}={v}" for k, v in result.best_params.items())
    console.print(f"best: {best} ({result.objective.describe()}: {result.best_value})")


def record_cli_optimization(
    context: CliContext,
    strategy_cls: type,
    result: OptimizeResult,
    *,
    span: tuple[str, list[Symbol], str, str | None, str | None],
    report: str | None,
) -> int:
    """Record the search in the store (``optimization_runs``); returns its id.

    ``span`` is the venue, the symbols, the timeframe and the ``--from``/``--to`` dates."""
    from tradeforge.persistence import runs  # noqa: PLC0415 - SQLAlchemy only when used

    first = result.value_columns[0]
    trials = [
        {"params": {k: _plain(row[k]) for k in result.params},
         "value": _finite(row[first]) if row["eligible"] else None}
        for _, row in result.trials.iterrows()
    ]  # fmt: skip
    venue, symbols, timeframe, start, end = span
    data_span = runs.DataSpan(venue, symbols, timeframe, _day(start), _day(end))
    with open_store(store_url(context, None)) as store, store.session() as session:
        record = runs.record_optimization(
            session, strategy=strategy_cls.__name__, span=data_span,
            space=result.space, objective=result.objective.describe(), trials=trials,
            recorded_at=now(), maximize=result.objective.goals[0].maximize,
            code_hash=runs.code_hash(strategy_cls), report_path=report, actor=actor(),
        )  # fmt: skip
        return record.id


def _fail(message: str) -> NoReturn:
    """Print ``error: ...`` on stderr, as every user error is, and exit with status 1."""
    console = Console(stderr=True, soft_wrap=True, emoji=False)
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(EXIT_USER_ERROR)


def _day(text: str | None) -> datetime | None:
    """``--from``/``--to`` as UTC midnight (or the time given)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None
