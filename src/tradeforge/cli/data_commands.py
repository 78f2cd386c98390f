"""``tradeforge data ...``: import, download, list, show, validate and resample market data."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tradeforge.cli.context import CliContext, cli_context
from tradeforge.cli.render import (
    catalog_table,
    frame_table,
    gaps_table,
    import_table,
    validation_table,
)
from tradeforge.data import (
    DataError,
    DataKind,
    ParquetCatalog,
    fill_gaps,
    load_file,
    resample_bars,
    validate_bars,
)
from tradeforge.data.errors import UnsupportedDataError
from tradeforge.data.importers import FORMATS, ColumnMap, TsUnit
from tradeforge.data.merge import OnConflict
from tradeforge.data.reports import BarValidationReport, ValidationReport
from tradeforge.data.results import WriteReport
from tradeforge.data.validate import validate_quotes, validate_trades
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

if TYPE_CHECKING:  # ccxt is imported only by the commands that talk to a venue
    from tradeforge.adapters.ccxt.data_client import CcxtDataClient
    from tradeforge.adapters.ccxt.download import DownloadReport
    from tradeforge.adapters.ccxt.factory import Credentials

data_app = typer.Typer(
    help="Market data: import, download, list, show, validate, resample.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
VenueOption = Annotated[str | None, typer.Option(help="Venue (ccxt id); default from config.")]


def _catalog(ctx: typer.Context) -> ParquetCatalog:
    return ParquetCatalog(cli_context(ctx).catalog_path)


def _venue(ctx: typer.Context, venue: str | None) -> str:
    return venue or cli_context(ctx).config.data.default_venue


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, default=str))


def _parse_columns(text: str | None) -> ColumnMap | None:
    """``ts=0,open=1`` or ``ts=open_time,size=qty`` to a column map."""
    if not text:
        return None
    mapping: dict[str, str | int] = {}
    for item in text.split(","):
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise DataError(f"--columns: {item!r} must read like name=column (e.g. ts=0,open=1)")
        value = column.strip()
        mapping[name.strip()] = int(value) if value.isdigit() else value
    return mapping


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and _supported(p))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    if not found:
        raise DataError(
            f"no market-data files ({', '.join(FORMATS)}) in {', '.join(map(str, paths))}"
        )
    return found


def _supported(path: Path) -> bool:
    return path.name.lower().endswith(tuple(FORMATS))


@contextmanager
def _progress(ctx: typer.Context, quiet: bool) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=cli_context(ctx).console,
        transient=True,
        disable=quiet,
    )
    with progress:
        yield progress


@data_app.command("import")
def import_files(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to import.")],
    venue: Annotated[
        str | None, typer.Option(help="Venue; inferred from folders when omitted.")
    ] = None,
    symbol: Annotated[str | None, typer.Option(help="Symbol; inferred from file names.")] = None,
    timeframe: Annotated[
        str | None, typer.Option(help="Bar timeframe; inferred from names.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="bars, trades or quotes.")] = None,
    columns: Annotated[
        str | None, typer.Option(help="Column map, e.g. ts=0,open=1,high=2 or ts=open_time.")
    ] = None,
    ts_unit: Annotated[str, typer.Option(help="auto, s, ms, us, ns or iso.")] = "auto",
    on_conflict: Annotated[
        str, typer.Option(help="Same time, different values: raise, first or last.")
    ] = "raise",
    as_json: JsonOption = False,
) -> None:
    """Import CSV, Feather, JSON(.gz) or Parquet market data into the catalog.

    Each file is validated, then written atomically: a bad file leaves the catalog as it was.
    """
    catalog = _catalog(ctx)
    column_map = _parse_columns(columns)
    files = _files(paths)
    results: list[tuple[str, WriteReport, ValidationReport]] = []
    skipped: list[str] = []
    with _progress(ctx, as_json) as progress:
        task = progress.add_task("importing", total=len(files))
        partitions = progress.add_task("writing partitions", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(partitions, completed=done, total=total)

        for path in files:
            progress.update(task, description=f"importing {path.name}")
            progress.reset(partitions, total=None)
            try:
                result = catalog.import_file(
                    path,
                    venue=venue,
                    symbol=symbol,
                    timeframe=timeframe,
                    kind=kind,
                    columns=column_map,
                    ts_unit=cast(TsUnit, ts_unit),
                    on_conflict=cast(OnConflict, on_conflict),
                    on_progress=on_progress,
                )
            except UnsupportedDataError as error:
                if path in paths:  # named explicitly: the user wants to know
                    raise
                skipped.append(str(error))
            else:
                results.append((path.name, result.write, result.validation))
            progress.advance(task)
    if as_json:
        imported = [
            {"file": name, "write": write.to_dict(), "validation": report.to_dict()}
            for name, write, report in results
        ]
        _print_json({"imported": imported, "skipped": skipped})
        return
    console = cli_context(ctx).console
    console.print(import_table(results))
    for reason in skipped:
        console.print(f"[yellow]skipped[/] {reason}")
    console.print(f"catalog: {catalog.root}")


@data_app.command("list")
def list_series(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the series in the catalog (read from Parquet metadata, fast)."""
    series = _catalog(ctx).list()
    if as_json:
        _print_json([info.to_dict() for info in series])
        return
    console = cli_context(ctx).console
    if not series:
        console.print(
            f"the catalog at {cli_context(ctx).catalog_path} is empty; "
            "try `tradeforge demo --backtest`"
        )
        return
    console.print(catalog_table(series))


@data_app.command("show")
def show(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="e.g. BTC/USDT")],
    timeframe: Annotated[str | None, typer.Argument(help="Bar timeframe, e.g. 5m.")] = None,
    venue: VenueOption = None,
    kind: Annotated[str, typer.Option(help="bars, trades or quotes.")] = "bars",
    start: Annotated[str | None, typer.Option("--from", help="Start (ISO, UTC).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="End, excluded (ISO, UTC).")] = None,
    rows: Annotated[int, typer.Option(help="How many rows to print.")] = 10,
    tail: Annotated[bool, typer.Option(help="Print the last rows instead of the first.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Print rows of a series."""
    frame = _read(ctx, symbol, timeframe, venue, kind, start, end)
    shown = frame.tail(rows) if tail else frame.head(rows)
    if as_json:
        out = shown.reset_index()
        out["ts"] = out["ts"].map(lambda ts: ts.isoformat())
        _print_json({"rows": len(frame), "data": out.to_dict(orient="records")})
        return
    title = f"{kind} {_venue(ctx, venue)} {Symbol.parse(symbol)} {timeframe or ''}".strip()
    cli_context(ctx).console.print(frame_table(f"{title}: {len(frame):,} rows", shown))


def _read(
    ctx: typer.Context,
    symbol: str,
    timeframe: str | None,
    venue: str | None,
    kind: str,
    start: str | None,
    end: str | None,
) -> Any:
    catalog, where = _catalog(ctx), _venue(ctx, venue)
    data_kind = DataKind(kind) if kind in {k.value for k in DataKind} else None
    if data_kind is None:
        raise DataError(f"--kind {kind!r}: use bars, trades or quotes")
    if data_kind is DataKind.BARS:
        if timeframe is None:
            raise DataError("bars need a timeframe, e.g. `tradeforge data show BTC/USDT 5m`")
        frame = catalog.read_bars(where, symbol, timeframe, start, end)
    elif data_kind is DataKind.TRADES:
        frame = catalog.read_trades(where, symbol, start, end)
    else:
        frame = catalog.read_quotes(where, symbol, start, end)
    if frame.empty:
        label = f"{data_kind.value} {where} {Symbol.parse(symbol)} {timeframe or ''}".strip()
        raise DataError(f"no data for {label} in {catalog.root}; see `tradeforge data list`")
    return frame


@data_app.command("validate")
def validate(
    ctx: typer.Context,
    symbol: Annotated[str | None, typer.Argument(help="e.g. SOL/USDT")] = None,
    timeframe: Annotated[str | None, typer.Argument(help="Bar timeframe, e.g. 5m.")] = None,
    venue: VenueOption = None,
    file: Annotated[
        Path | None, typer.Option(help="Validate a file instead of the catalog.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="bars, trades or quotes (default: bars, or from the file).")
    ] = None,
    sigma: Annotated[float | None, typer.Option(help="Outlier threshold in robust sigmas.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Report gaps, duplicates, backwards time, OHLC violations, bad prices and outliers.

    Exits 1 when the data has errors (warnings such as gaps do not fail).
    """
    context = cli_context(ctx)
    outlier_sigma = sigma or context.config.data.outlier_sigma
    if file is not None:
        loaded = load_file(file, kind=kind, symbol=symbol, timeframe=timeframe)
        label, frame, data_kind = file.name, loaded.frame, loaded.kind
        tf = loaded.info.timeframe
    elif symbol is None:
        raise DataError("name a series (e.g. `data validate SOL/USDT 5m`) or pass --file")
    else:
        kind = kind or "bars"
        frame = _read(ctx, symbol, timeframe, venue, kind, None, None)
        data_kind, tf = DataKind(kind), Timeframe.parse(timeframe) if timeframe else None
        label = f"{kind} {_venue(ctx, venue)} {Symbol.parse(symbol)} {timeframe or ''}".strip()
    report = _validate(frame, data_kind, tf, outlier_sigma)
    _print_report(context, label, report, as_json)
    if not report.ok:
        raise typer.Exit(1)


def _validate(
    frame: Any, kind: DataKind, timeframe: Timeframe | None, sigma: float
) -> ValidationReport:
    if kind is DataKind.BARS:
        if timeframe is None:
            raise DataError("bars need a timeframe to be validated; pass it after the symbol")
        return validate_bars(frame, timeframe, outlier_sigma=sigma)
    if kind is DataKind.TRADES:
        return validate_trades(frame, outlier_sigma=sigma)
    return validate_quotes(frame)


def _print_report(context: CliContext, label: str, report: ValidationReport, as_json: bool) -> None:
    if as_json:
        _print_json({"series": label, **report.to_dict()})
        return
    if isinstance(report, BarValidationReport):
        context.console.print(validation_table(label, report))
        gaps = gaps_table(report)
        if gaps is not None:
            context.console.print(gaps)
        return
    context.console.print_json(data={"series": label, **report.to_dict()})


@data_app.command("resample")
def resample(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="e.g. BTC/USDT")],
    source: Annotated[str, typer.Option("--from", help="Source timeframe, e.g. 5m.")],
    target: Annotated[str, typer.Option("--to", help="Target timeframe, e.g. 1h.")],
    venue: VenueOption = None,
    gaps: Annotated[
        str, typer.Option("--fill-gaps", help="leave, or flat: synthetic bars at the last close.")
    ] = "leave",
    as_json: JsonOption = False,
) -> None:
    """Build bars of a longer timeframe from stored ones, exactly, and store them.

    Buckets with fewer source bars than a full one are kept and flagged ``partial``.
    """
    catalog, where = _catalog(ctx), _venue(ctx, venue)
    bars = catalog.read_bars(where, symbol, source)
    if bars.empty:
        raise DataError(f"no {source} bars for {where} {Symbol.parse(symbol)}; see `data list`")
    if gaps not in ("leave", "flat"):
        raise DataError(f"--fill-gaps {gaps!r}: use leave or flat")
    filled = fill_gaps(bars, source, policy=cast(Any, gaps))
    result = resample_bars(filled, source, target)
    write = catalog.write_bars(where, symbol, target, result)
    partial = int(result["partial"].sum())
    if as_json:
        _print_json({"write": write.to_dict(), "bars": len(result), "partial_bars": partial})
        return
    context = cli_context(ctx)
    context.console.print(
        f"{write.series}: {len(result):,} bars from {len(bars):,} {source} bars "
        f"({write.rows_added:,} added, {write.rows_replaced:,} replaced, {partial:,} partial)"
    )


@data_app.command("download")
def download(
    ctx: typer.Context,
    exchange: Annotated[str, typer.Option(help="ccxt exchange id, e.g. binance.")],
    symbol: Annotated[str, typer.Option(help="e.g. BTC/USDT")],
    timeframe: Annotated[str, typer.Option(help="Bar timeframe, e.g. 1m.")],
    since: Annotated[str, typer.Option(help="First bar wanted (ISO, UTC).")],
    until: Annotated[
        str | None, typer.Option(help="End, excluded (ISO, UTC); default: the newest closed bar.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Base URL of a local sandbox, e.g. http://127.0.0.1:8765."),
    ] = None,
    venue: Annotated[
        str | None, typer.Option(help="Catalog venue to store under; default the exchange id.")
    ] = None,
    retries: Annotated[
        int, typer.Option(min=1, help="Attempts per request on transient errors.")
    ] = 5,
    as_json: JsonOption = False,
) -> None:
    """Download bars from an exchange through ccxt into the catalog.

    Resumes where the catalog's series ends, retries transient errors with backoff, and
    validates the stored series at the end (exits 1 when it has errors).
    API keys, when a venue needs them, come from TRADEFORGE_<EXCHANGE>_API_KEY / _API_SECRET.
    """
    from tradeforge.adapters.ccxt.data_client import CcxtDataClient  # noqa: PLC0415 - ccxt only when used
    from tradeforge.adapters.ccxt.factory import build_session  # noqa: PLC0415 - ccxt only when used
    from tradeforge.adapters.ccxt.retry import RetryPolicy  # noqa: PLC0415 - ccxt only when used
    from tradeforge.adapters.ccxt.session import SessionSettings  # noqa: PLC0415 - ccxt only when used

    context = cli_context(ctx)
    where = venue or exchange
    base_url = url or _sandbox_url(context, exchange)
    settings = SessionSettings(retry=RetryPolicy(max_attempts=retries))
    try:
        session = build_session(
            exchange, url=base_url, credentials=_credentials(exchange), settings=settings
        )
    except ValueError as error:
        raise DataError(str(error)) from None
    catalog = _catalog(ctx)
    with _download_progress(ctx, as_json) as progress:
        task = progress.add_task(f"{exchange} {symbol} {timeframe}", total=None)

        def on_progress(done: int, expected: int | None) -> None:
            total = max(done, expected) if expected is not None else None
            progress.update(task, completed=done, total=total)

        report = _run_download(
            CcxtDataClient(session), catalog, where, symbol, timeframe, since, until, on_progress
        )
    _print_download(context, report, as_json)
    if report.validation is not None and not report.validation.ok:
        raise typer.Exit(1)


def _run_download(
    client: CcxtDataClient,
    catalog: ParquetCatalog,
    venue: str,
    symbol: str,
    timeframe: str,
    since: str,
    until: str | None,
    on_progress: Callable[[int, int | None], None],
) -> DownloadReport:
    from tradeforge.adapters.ccxt.download import download_bars  # noqa: PLC0415 - ccxt only when used
    from tradeforge.adapters.ccxt.errors import VenueError  # noqa: PLC0415 - ccxt only when used

    async def run() -> DownloadReport:
        try:
            return await download_bars(
                client,
                catalog,
                venue,
                symbol,
                timeframe,
                since=since,
                until=until,
                progress=on_progress,
            )
        finally:
            await client.close()

    try:
        return asyncio.run(run())
    except VenueError as error:
        raise DataError(
            f"download from {client.session.venue} stopped: {error} (the bars received so far "
            "are stored; run the command again to resume)"
        ) from None


def _sandbox_url(context: CliContext, exchange: str) -> str | None:
    for venue in context.config.venues.values():
        if venue.exchange == exchange and venue.sandbox_url:
            return venue.sandbox_url
    return None


def _credentials(exchange: str) -> Credentials:
    from tradeforge.adapters.ccxt.factory import Credentials  # noqa: PLC0415 - ccxt only when used

    prefix = f"TRADEFORGE_{exchange.upper()}_"
    return Credentials(
        api_key=os.environ.get(f"{prefix}API_KEY"),
        secret=os.environ.get(f"{prefix}API_SECRET"),
        password=os.environ.get(f"{prefix}PASSWORD"),
    )


@contextmanager
def _download_progress(ctx: typer.Context, quiet: bool) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=cli_context(ctx).console,
        transient=True,
        disable=quiet,
    )
    with progress:
        yield progress


def _print_download(context: CliContext, report: DownloadReport, as_json: bool) -> None:
    if as_json:
        _print_json(report.to_dict())
        return
    stats = report.stats
    context.console.print(
        f"{report.series}: {report.written:,} bars written from {stats.pages:,} pages "
        f"({stats.received:,} rows received, {stats.duplicates:,} duplicates and "
        f"{stats.malformed:,} malformed rows dropped, {report.retries:,} retries)"
    )
    if report.validation is None:
        context.console.print("nothing stored for this period")
        return
    _print_report(context, report.series, report.validation, as_json=False)
