"""``tradeforge sandbox``: a local Binance-compatible exchange replaying catalog bars.

Prints the URLs and the ccxt configuration to use, then serves until Ctrl-C.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from pprint import pformat
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tradeforge.cli.context import cli_context
from tradeforge.common.config import ConfigError

if TYPE_CHECKING:
    from tradeforge.sandbox import SandboxServer


def sandbox(
    ctx: typer.Context,
    port: Annotated[
        int | None, typer.Option("--port", help="Port on 127.0.0.1 (default 8765; 0: any).")
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option("--symbols", help="Comma-separated markets (default BTC/USDT,ETH/USDT)."),
    ] = None,
    speed: Annotated[
        float | None, typer.Option("--speed", help="Market seconds per second, 1 to 1000.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Market time to start from (ISO date).")
    ] = None,
    timeframe: Annotated[
        str | None, typer.Option("--timeframe", help="Catalog bars to replay (default 5m).")
    ] = None,
    balances: Annotated[
        list[str] | None,
        typer.Option("--balance", help="Starting balance CUR=amount (repeat; default USDT=10000)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Sandbox settings (YAML or TOML).")
    ] = None,
) -> None:
    """Serve a local Binance spot exchange (REST and WebSocket) that replays catalog bars."""
    from tradeforge.sandbox import SandboxError, SandboxServer, load_sandbox_config  # noqa: PLC0415 - FastAPI only here

    context = cli_context(ctx)
    settings = load_sandbox_config(
        config,
        port=port,
        symbols=_split(symbols),
        speed=speed,
        start=start,
        timeframe=timeframe,
        balances=_balances(balances),
    )
    if settings.catalog is None:
        settings = settings.model_copy(update={"catalog": context.catalog_path})
    try:
        server = SandboxServer(settings).start()
    except SandboxError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(1) from None
    _print_banner(context.console, server)
    server.wait()
    context.console.print("sandbox stopped")


def _split(symbols: str | None) -> list[str] | None:
    if symbols is None:
        return None
    return [s.strip() for s in symbols.split(",") if s.strip()]


def _balances(items: list[str] | None) -> dict[str, Decimal] | None:
    """``["USDT=10000", "BTC=1"]`` to a mapping; a bad item is a ConfigError naming it."""
    if not items:
        return None
    out: dict[str, Decimal] = {}
    for item in items:
        currency, sep, amount = item.partition("=")
        try:
            if not sep or not currency.strip():
                raise InvalidOperation
            out[currency.strip().upper()] = Decimal(amount.strip())
        except InvalidOperation:
            message = f"options: balances: bad --balance {item!r}; use CUR=amount"
            raise ConfigError(message) from None
    return out


def _print_banner(console: Console, server: SandboxServer) -> None:
    settings = server.config
    console.print(
        f"[bold]tradeforge sandbox[/] ({settings.name}): {', '.join(settings.symbols)} "
        f"{settings.timeframe} bars from {settings.start:%Y-%m-%d %H:%M} UTC at "
        f"{settings.speed:g}x",
        highlight=False,
    )
    console.print(f"REST       {server.http_url}/api/v3", highlight=False, soft_wrap=True)
    console.print(f"streams    {server.ws_url}/ws", highlight=False, soft_wrap=True)
    console.print(f"user data  {server.ws_url}/ws-api/v3", highlight=False, soft_wrap=True)
    console.print("ccxt (ccxt.binance or ccxt.pro.binance):", highlight=False)
    console.print(_snippet(server.ccxt_config()), highlight=False, soft_wrap=True, markup=False)
    console.print("Ctrl-C stops the sandbox.")


def _snippet(options: dict[str, Any]) -> str:
    return "exchange = ccxt.binance(" + pformat(options, indent=1, sort_dicts=False) + ")"
