"""``tradeforge trade``: run a paper or live trading node until Ctrl-C (or ``--duration``).

The node's config is validated before anything connects (a bad key stops it with one line
naming the file and the key); live mode also needs ``--mode live`` and the venue's keys in the
environment. While it runs it prints what it does: orders sent, fills, cancels, rejections,
and a status line (last close, position, equity, PnL) every ``--status-every`` bars; at the
end a summary. :class:`NodePrinter` is shared with ``tradeforge demo``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeforge.cli.context import cli_context
from tradeforge.cli.db_commands import DbOption, open_store, store_url
from tradeforge.common.config import ConfigError
from tradeforge.model.events import (
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)
from tradeforge.model.market_data import Bar
from tradeforge.model.orders import Order

if TYPE_CHECKING:
    from tradeforge.live import NodeConfig, TradingNode


class Mode(StrEnum):
    """Where orders go."""

    PAPER = "paper"
    LIVE = "live"


def trade(
    ctx: typer.Context,
    mode: Annotated[
        Mode, typer.Option("--mode", help="paper (local fills) or live (orders on the venue).")
    ],
    config: Annotated[Path, typer.Option("--config", help="The node's YAML or TOML file.")],
    duration: Annotated[
        str | None, typer.Option("--duration", help="Stop after this long (60s, 5m, 2h).")
    ] = None,
    db: DbOption = None,
    resume: Annotated[
        str | None,
        typer.Option("--resume", help="Lift a halt (kill switch, breaker) at start: the reason."),
    ] = None,
    status_every: Annotated[
        int, typer.Option("--status-every", help="A status line every N bars (0: none).")
    ] = 12,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary only.")] = False,
) -> None:
    """Run a trading node: the backtest's strategies, risk engine and portfolio on a venue."""
    from tradeforge.live import TradingNode, load_node_config  # noqa: PLC0415 - ccxt only here
    from tradeforge.live.config import credentials_variables, venue_credentials  # noqa: PLC0415

    context = cli_context(ctx)
    settings = _with_mode(load_node_config(config), Mode(mode), config)
    seconds = _seconds(duration)
    credentials = venue_credentials(settings)
    if settings.mode == "live" and credentials is None:
        raise ConfigError(
            f"{config}: live mode needs the venue's API keys in the environment: set "
            f"{credentials_variables(settings)}"
        )
    store = open_store(db or settings.store or store_url(context, None))
    node = TradingNode(settings, store, credentials=credentials)
    printer = NodePrinter(context.console, status_every, quiet=as_json)
    summary = run_node(node, printer, seconds, resume=resume)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))


def run_node(
    node: TradingNode,
    printer: NodePrinter,
    seconds: float | None,
    *,
    resume: str | None = None,
    started: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Start ``node``, run it until a signal or ``seconds``, print and return the summary
    (``started`` is called once the node is up).

    Raises
    ------
    typer.Exit
        With status 1 when the node cannot start (the venue unreachable, a market it does
        not list); the reason is printed.
    """
    from tradeforge.adapters.ccxt import VenueError  # noqa: PLC0415 - ccxt only here
    from tradeforge.live import NodeError, stop_on_signals  # noqa: PLC0415
    from tradeforge.live.venue import VenueLinkError  # noqa: PLC0415

    node.observers.append(printer)
    with stop_on_signals(node.request_stop), _warnings_on_stderr():
        try:
            node.start()
        except (NodeError, VenueLinkError, VenueError, LookupError) as error:
            Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}")
            raise typer.Exit(1) from None
        if resume:
            node.trading.resume(resume)
        printer.started(node)
        if started is not None:
            started()
        reason = node.run(seconds)
    return printer.finished(node, reason)


@contextmanager
def _warnings_on_stderr() -> Iterator[None]:
    """The node's warnings and errors (a strategy's traceback, a venue event not applied) on
    stderr while it runs; reconciliation differences are printed with the orders instead."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.addFilter(lambda record: not record.name.startswith("tradeforge.live.reconcile"))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("tradeforge.live")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _with_mode(settings: NodeConfig, mode: Mode, path: Path) -> NodeConfig:
    if "mode" in settings.model_fields_set and settings.mode != mode.value:
        raise ConfigError(
            f"{path}: mode: the file says {settings.mode}, --mode says {mode.value}; they "
            "must agree"
        )
    return settings.model_copy(update={"mode": mode.value})


def _seconds(duration: str | None) -> float | None:
    from tradeforge.risk.config_types import duration as read  # noqa: PLC0415

    if duration is None:
        return None
    try:
        value = read(duration)
    except ValueError as error:
        raise ConfigError(f"options: --duration: {error}") from None
    if not isinstance(value, timedelta):
        try:
            value = timedelta(seconds=float(str(value)))
        except ValueError:
            raise ConfigError(f"options: --duration: not a duration: {duration!r}") from None
    if value.total_seconds() <= 0:
        raise ConfigError(f"options: --duration: must be positive, got {duration!r}")
    return value.total_seconds()


class NodePrinter:
    """Prints a node's orders, fills and status as they happen, then its summary.

    Parameters
    ----------
    console : Console
    status_every : int
        A status line every so many bars of the first series (0: none).
    quiet : bool
        Print nothing as it goes (``--json``).
    """

    def __init__(self, console: Console, status_every: int = 12, *, quiet: bool = False) -> None:
        self.console = console
        self.status_every = status_every
        self.quiet = quiet
        self.bars = 0
        self.orders: set[str] = set()
        self.fills: list[OrderFilled] = []
        self.rejected = 0
        self.start_equity = Decimal(0)
        self._node: TradingNode | None = None

    def started(self, node: TradingNode) -> None:
        """The node is up: its reconciliation and warm-up, and the equity PnL counts from."""
        self._node = node
        self.start_equity = node.portfolio.equity()
        if self.quiet:
            return
        for difference in node.differences:
            self._line("", "reconcile", escape(str(difference)))
        for series in node.kernel.series.values():
            if len(series):
                first, last = _when(int(series.ts_open[0])), _when(int(series.ts_open[-1]))
                self._line("", "warm-up", f"{series.label}: {len(series)} bars ({first} to {last})")
        self._line(_when(node.clock.timestamp_ns()), "start", self._status(node))

    def on_bar(self, bar: Bar) -> None:
        """Count the bars; print a status line now and then."""
        node = self._node
        if node is None or (bar.symbol, bar.timeframe) != next(iter(node.kernel.series)):
            return
        self.bars += 1
        if not self.quiet and self.status_every and self.bars % self.status_every == 0:
            close = bar.timeframe.close_time(bar.ts_open)
            self._line(_when(close), "status", self._status(node))

    def on_order_event(self, order: Order, event: OrderEvent) -> None:
        """Print an order sent, filled, canceled, expired or rejected."""
        self.orders.add(order.client_order_id)
        if isinstance(event, OrderFilled):
            self.fills.append(event)
        self.rejected += isinstance(event, OrderRejected)
        text = _describe(order, event)
        if text and not self.quiet:
            self._line(_when(event.ts), type(event).__name__.removeprefix("Order").lower(), text)

    def _status(self, node: TradingNode) -> str:
        portfolio = node.portfolio
        parts = []
        for symbol, series in node.kernel.execution_series().items():
            if len(series):
                held = portfolio.position(symbol).signed_qty
                close = float(series.close[series.cursor.i])
                parts.append(f"{symbol} {close:,.2f} held {_quantity(held)}")
        equity = portfolio.equity()
        pnl = equity - self.start_equity
        return f"{'  '.join(parts)}  equity {equity:,.2f}  PnL {pnl:+,.2f} {portfolio.currency}"

    def _line(self, when: str, what: str, text: str) -> None:
        self.console.print(f"{when:>16}  [bold]{what:<9}[/] {text}", highlight=False)

    def finished(self, node: TradingNode, reason: str) -> dict[str, Any]:
        """Print (unless quiet) and return the summary."""
        portfolio = node.portfolio
        equity = portfolio.equity()
        summary = {
            "stopped": reason,
            "bars": self.bars,
            "orders": len(self.orders),
            "fills": len(self.fills),
            "rejected": self.rejected,
            "realized_pnl": portfolio.realized_pnl(),
            "unrealized_pnl": portfolio.unrealized_pnl(),
            "fees": portfolio.fees,
            "start_equity": self.start_equity,
            "equity": equity,
            "pnl": equity - self.start_equity,
            "currency": portfolio.currency,
            "trading_state": node.trading.state.value,
            "open_orders": len(node.kernel.execution.open_orders()),
            "strategy_errors": node.strategy_errors,
        }
        if not self.quiet:
            self.console.print(_summary_table(summary))
        return summary


def _describe(order: Order, event: OrderEvent) -> str:
    what = f"{order.side.name} {order.quantity} {order.symbol}"
    cid = order.client_order_id
    if isinstance(event, OrderSubmitted):
        price = f" at {order.price}" if order.price is not None else ""
        return f"{cid}  {what} {order.order_type.name.lower()}{price}"
    if isinstance(event, OrderFilled):
        fee = event.fee
        return (
            f"{cid}  {event.order_side.name} {event.last_qty} {order.symbol} at "
            f"{event.last_price:,}  fee {fee.amount:.4f} {fee.currency}"
        )
    if isinstance(event, OrderRejected):
        return f"{cid}  {what}: {escape(event.reason)}"
    if isinstance(event, OrderCanceled) and event.reason:
        return f"{cid}  {what}: {escape(event.reason)}"
    if isinstance(event, OrderCanceled | OrderExpired):
        return f"{cid}  {what}"
    return ""


def _quantity(value: Decimal) -> str:
    return "0" if not value else format(value.normalize(), "f")


def _when(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _summary_table(summary: dict[str, Any]) -> Table:
    currency = summary["currency"]
    table = Table(title=f"node stopped ({summary['stopped']})", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    money = ("realized_pnl", "unrealized_pnl", "fees", "start_equity", "equity", "pnl")
    for key, value in summary.items():
        if key in ("stopped", "currency"):
            continue
        shown = f"{Decimal(value):,.2f} {currency}" if key in money else str(value)
        table.add_row(key.replace("_", " "), shown)
    return table
