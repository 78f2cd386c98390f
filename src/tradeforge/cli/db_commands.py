"""``tradeforge db | audit | runs``: the state store from the command line.

Every command takes ``--db URL`` (or ``TRADEFORGE_DB_URL``); the default store is the SQLite
file ``<home>/tradeforge.db``. Commands that read or write records bring the schema up to date
first; ``db upgrade``/``downgrade`` move it explicitly.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeforge.cli.context import CliContext, cli_context

if TYPE_CHECKING:
    from tradeforge.backtest import BacktestResult
    from tradeforge.persistence.models import BacktestRunRecord
    from tradeforge.persistence.store import Store

DB_URL_ENV = "TRADEFORGE_DB_URL"
DB_FILE = "tradeforge.db"

db_app = typer.Typer(
    help="The state store: migrations, copy, backup, restore.", no_args_is_help=True
)
audit_app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)
runs_app = typer.Typer(help="Recorded backtests: list, show, compare.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", envvar=DB_URL_ENV, help="Database URL (default: sqlite:///<home>/tradeforge.db)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def default_url(context: CliContext) -> str:
    """``sqlite:///<home>/tradeforge.db``, absolute."""
    return f"sqlite:///{(context.config.home / DB_FILE).resolve()}"


def store_url(context: CliContext, db: str | None) -> str:
    """``--db``, else ``TRADEFORGE_DB_URL``, else the default SQLite file."""
    return db or os.environ.get(DB_URL_ENV) or default_url(context)


def open_store(url: str, *, migrate: bool = True) -> Store:
    """A store at ``url``, its schema brought up to date unless ``migrate`` is False."""
    from tradeforge.persistence import migrations  # noqa: PLC0415 - SQLAlchemy only when used
    from tradeforge.persistence.store import Store  # noqa: PLC0415

    store = Store(url)
    store.check_connection()
    if migrate:
        migrations.ensure_schema(store)
    return store


def actor() -> str:
    """Who runs the CLI, for the audit log: ``cli:<user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def now() -> datetime:
    """Wall-clock time, UTC (the CLI is the edge where wall time is allowed)."""
    return datetime.now(UTC)


# -- recording backtests (called by `tradeforge backtest`) -----------------------------------


def record_cli_backtest(
    context: CliContext,
    *,
    strategy_cls: type,
    result: BacktestResult,
    venue: str,
    symbols: Sequence[Any],
    timeframe: str,
    start: str | None,
    end: str | None,
    written: dict[str, Any],
) -> int:
    """Record one CLI backtest in the store; returns the run id."""
    from tradeforge.persistence import runs  # noqa: PLC0415

    span = runs.DataSpan(venue, list(symbols), timeframe, _day(start), _day(end))
    with open_store(store_url(context, None)) as store, store.session() as session:
        run = runs.record_backtest(
            session,
            strategy=strategy_cls.__name__,
            span=span,
            parameters=result.params,
            stats=result.stats.to_json(),
            initial_cash=Decimal(result.portfolio.initial_cash),
            final_equity=result.final_equity,
            recorded_at=now(),
            code_hash=runs.code_hash(strategy_cls),
            report_path=written.get("report"),
            export_path=str(Path(next(iter(written["export"].values()))).parent)
            if "export" in written
            else None,
            actor=actor(),
        )
        return run.id


def _day(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- db ---------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    db: DbOption = None,
) -> None:
    """Migrate the store up to a revision (default: the latest)."""
    from tradeforge.persistence import migrations  # noqa: PLC0415

    context = cli_context(ctx)
    with open_store(store_url(context, db), migrate=False) as store:
        migrations.upgrade(store, revision)
        context.console.print(f"{store!r} at revision {migrations.current(store)}")


@db_app.command("downgrade")
def db_downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target: a revision, -1, or base (drops all).")],
    db: DbOption = None,
) -> None:
    """Migrate the store down to a revision."""
    from tradeforge.persistence import migrations  # noqa: PLC0415

    context = cli_context(ctx)
    with open_store(store_url(context, db), migrate=False) as store:
        migrations.downgrade(store, revision)
        context.console.print(f"{store!r} at revision {migrations.current(store) or 'base'}")


@db_app.command("current")
def db_current(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """The revision the store is at, and the latest one."""
    from tradeforge.persistence import migrations  # noqa: PLC0415

    context = cli_context(ctx)
    with open_store(store_url(context, db), migrate=False) as store:
        found, head = migrations.current(store), migrations.head()
        if as_json:
            typer.echo(json.dumps({"current": found, "head": head}))
            return
        state = "up to date" if found == head else f"behind (latest {head})"
        context.console.print(f"{store!r}: revision {found or 'none (empty)'}, {state}")


@db_app.command("history")
def db_history(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The migrations shipped with this tradeforge, newest first."""
    from tradeforge.persistence import migrations  # noqa: PLC0415

    revisions = migrations.history()
    if as_json:
        typer.echo(
            json.dumps([r.__dict__ if hasattr(r, "__dict__") else _rev(r) for r in revisions])
        )
        return
    for rev in revisions:
        head = " (head)" if rev.is_head else ""
        cli_context(ctx).console.print(
            f"{rev.down_revision or '<base>'} -> {rev.revision}{head}: {escape(rev.message)}",
            soft_wrap=True,
        )


def _rev(rev: Any) -> dict[str, Any]:
    return {
        "revision": rev.revision,
        "down_revision": rev.down_revision,
        "message": rev.message,
        "is_head": rev.is_head,
    }


@db_app.command("copy")
def db_copy(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--from", help="Source database URL.")],
    target: Annotated[str, typer.Option("--to", help="Target database URL (empty).")],
    as_json: JsonOption = False,
) -> None:
    """Copy a whole store into an empty database; verify row counts and checksums."""
    from tradeforge.persistence.copy import copy_store  # noqa: PLC0415

    with open_store(source, migrate=False) as left, open_store(target, migrate=False) as right:
        report = copy_store(left, right)
    if as_json:
        tables = {t.table: {"rows": t.rows, "checksum": t.checksum} for t in report.tables}
        typer.echo(json.dumps({"source": report.source, "target": report.target,
                               "rows": report.rows, "tables": tables}, indent=2))  # fmt: skip
        return
    console = cli_context(ctx).console
    table = Table("table", "rows", "checksum (sha256)", title=f"{report.source} -> {report.target}")
    for item in report.tables:
        table.add_row(item.table, str(item.rows), item.checksum[:16])
    console.print(table)
    console.print(f"copied {report.rows} rows; counts and checksums match")


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The backup file to write.")],
    method: Annotated[
        str | None, typer.Option(help="sqlite, pg_dump or jsonl (default: by backend).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Back the whole store up to a file."""
    from tradeforge.persistence.backup import backup  # noqa: PLC0415
    from tradeforge.persistence.errors import StoreError  # noqa: PLC0415

    if method not in (None, "sqlite", "pg_dump", "jsonl"):
        raise StoreError(f"unknown backup method {method!r}: use sqlite, pg_dump or jsonl")
    with open_store(store_url(cli_context(ctx), db), migrate=False) as store:
        info = backup(store, path, method=method)  # type: ignore[arg-type]
    cli_context(ctx).console.print(f"backup ({info.method}) written to {info.path.resolve()}")


@db_app.command("restore")
def db_restore(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A backup written by `tradeforge db backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: every row is replaced.")] = False,
    db: DbOption = None,
) -> None:
    """Replace the whole store with a backup."""
    from tradeforge.persistence.backup import restore  # noqa: PLC0415
    from tradeforge.persistence.errors import StoreError  # noqa: PLC0415

    if not yes:
        raise StoreError("restore replaces every row of the store: add --yes to confirm")
    with open_store(store_url(cli_context(ctx), db), migrate=False) as store:
        info = restore(store, path)
    cli_context(ctx).console.print(f"restored {info.path} ({info.method})")


# -- audit ------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check the audit log's hash chain; exit 1 naming the first edited, inserted or deleted row."""
    from tradeforge.persistence import audit  # noqa: PLC0415

    with open_store(store_url(cli_context(ctx), db)) as store, store.session() as session:
        result = audit.verify(session)
    problem = result.problem
    if as_json:
        document: dict[str, Any] = {"ok": result.ok, "entries": result.entries,
                                    "head_hash": result.head_hash, "problem": None}  # fmt: skip
        if problem is not None:
            document["problem"] = {"kind": problem.kind.value, "id": problem.row_id,
                                   "seq": problem.seq, "message": problem.message}  # fmt: skip
        typer.echo(json.dumps(document, indent=2))
    elif problem is None:
        cli_context(ctx).console.print(
            f"audit log intact: {result.entries} entries, head {result.head_hash}", soft_wrap=True
        )
    if problem is not None:
        if not as_json:
            Console(stderr=True, soft_wrap=True).print(
                f"[bold red]error:[/] {escape(problem.message)}", highlight=False
            )
        raise typer.Exit(1)


# -- runs -------------------------------------------------------------------------------------


@runs_app.command("list")
def runs_list(
    ctx: typer.Context,
    strategy: Annotated[str | None, typer.Option(help="Only this strategy.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The recorded backtests, newest first."""
    from tradeforge.persistence import runs  # noqa: PLC0415

    with open_store(store_url(cli_context(ctx), db)) as store, store.session() as session:
        found = runs.list_runs(session, strategy=strategy, limit=limit)
        if as_json:
            typer.echo(json.dumps([_run_json(r) for r in found], indent=2))
            return
        table = Table("id", "recorded (UTC)", "strategy", "parameters", "data", "return %",
                      "Sharpe", "trades", title="backtest runs")  # fmt: skip
        for run in found:
            table.add_row(str(run.id), f"{run.recorded_at:%Y-%m-%d %H:%M}", run.strategy,
                          escape(runs.params_text(run.parameters)),
                          f"{run.venue} {' '.join(run.symbols)} {run.timeframe}",
                          _num(run.stats.get("total_return_pct")), _num(run.stats.get("sharpe")),
                          str(run.trades))  # fmt: skip
        cli_context(ctx).console.print(table)


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="The run's id (see `runs list`).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One run: what ran, on what, its statistics and files."""
    from tradeforge.persistence import runs  # noqa: PLC0415

    with open_store(store_url(cli_context(ctx), db)) as store, store.session() as session:
        run = runs.get_run(session, run_id)
        document = _run_json(run)
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    table = Table("field", "value", title=f"backtest run {run_id}")
    for key, value in document.items():
        if key != "stats":
            table.add_row(key, escape(str(value)))
    for key, value in document["stats"].items():
        if not isinstance(value, dict):
            table.add_row(f"stats.{key}", _num(value))
    cli_context(ctx).console.print(table)


@runs_app.command("compare")
def runs_compare(
    ctx: typer.Context,
    run_ids: Annotated[list[int], typer.Argument(help="Two or more run ids.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Several runs side by side: parameters, final equity, the key statistics."""
    from tradeforge.persistence import runs  # noqa: PLC0415

    with open_store(store_url(cli_context(ctx), db)) as store, store.session() as session:
        rows = runs.comparison_table(runs.compare_runs(session, run_ids))
    if as_json:
        document = {label: [_plain(v) for v in values] for label, values in rows}
        typer.echo(json.dumps({"runs": run_ids, **document}, indent=2))
        return
    table = Table("", *[f"run {i}" for i in run_ids], title="backtest runs compared")
    for label, values in rows:
        table.add_row(label, *[escape(_num(v)) for v in values])
    cli_context(ctx).console.print(table)


def _run_json(run: BacktestRunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "recorded_at": run.recorded_at.isoformat(),
        "strategy": run.strategy,
        "parameters": run.parameters,
        "venue": run.venue,
        "symbols": run.symbols,
        "timeframe": run.timeframe,
        "start": run.start.isoformat() if run.start else None,
        "end": run.end.isoformat() if run.end else None,
        "initial_cash": str(run.initial_cash),
        "final_equity": str(run.final_equity),
        "trades": run.trades,
        "code_hash": run.code_hash,
        "report_path": run.report_path,
        "export_path": run.export_path,
        "stats": run.stats,
    }


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)
