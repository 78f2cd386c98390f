"""``tradeforge demo``: paper trading on a local exchange, offline, in half a minute.

It starts the sandbox (a local Binance-compatible exchange, ``docs/sandbox.md``) replaying the
bundled BTC/USDT 5-minute bars at 1000x, and a paper trading node (``docs/live.md``) running
the built-in ``sma_cross`` strategy against it: live bars from the sandbox through ccxt, fills
by the node's local simulated exchange with the backtest's rules. It prints what the node does
(orders, fills, a status line with equity and PnL) as it goes and stops after ``--seconds``
(25) or on Ctrl-C, then prints a summary.

``tradeforge demo --backtest`` is the first demo: import the bundled sample candles into the
local catalog, print their validation report, backtest the built-in breakout strategy on the
bundled BTC/USDT hourly bars, print its summary and write its interactive HTML report to
``<home>/reports/demo-breakout.html``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.cli.backtest_command import print_result
from tradeforge.cli.context import CliContext, cli_context
from tradeforge.cli.render import gaps_table, series_summary_table, validation_table
from tradeforge.cli.trade_command import NodePrinter, run_node
from tradeforge.data import BarValidationReport, DataError, DataKind, ParquetCatalog, validate_bars
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategies import Breakout, SmaCross

HEADLINE_SERIES = "binance BTC/USDT 5m"
PAPER_SECONDS = 20.0
"""How long the paper session of ``tradeforge demo`` runs by default, seconds."""
PAPER_SYMBOL = "BTC/USDT"
PAPER_START = "2021-01-10"
PAPER_SPEED = 1000
PAPER_PARAMS = {"fast": 5, "slow": 20}
WARMUP_BARS = 300
"""Bars of history before the replayed day (the node loads as many)."""
DEMO_REPORT = "demo-breakout.html"
"""File name of the demo's HTML report, in ``<home>/reports``."""


def demo(
    ctx: typer.Context,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest", help="Import the samples, backtest the breakout, write its report."
        ),
    ] = False,
    seconds: Annotated[
        float, typer.Option("--seconds", help="How long the paper session runs.", min=1)
    ] = PAPER_SECONDS,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Paper-trade the bundled data on a local exchange for half a minute (offline)."""
    if backtest:
        _backtest_demo(ctx, as_json)
    else:
        _paper_demo(cli_context(ctx), seconds, as_json)


def _paper_demo(context: CliContext, seconds: float, as_json: bool) -> None:
    """The sandbox and a paper node on it, for ``seconds``; the summary."""
    from tradeforge.live import TradingNode, node_config  # noqa: PLC0415 - ccxt only here
    from tradeforge.persistence.store import Store  # noqa: PLC0415
    from tradeforge.sandbox import SandboxConfig, SandboxServer  # noqa: PLC0415

    printer = NodePrinter(context.console, status_every=12, quiet=as_json)
    market = SandboxConfig(
        port=0, speed=PAPER_SPEED, symbols=(PAPER_SYMBOL,), start=PAPER_START, paused=True
    )
    with tempfile.TemporaryDirectory(prefix="tradeforge-demo-") as folder:
        store = Store(f"sqlite:///{Path(folder) / 'demo.db'}")
        with SandboxServer(market) as server:
            config = node_config(
                {
                    "name": "demo", "mode": "paper",
                    "venue": {"exchange": "binance", "name": "sandbox", "url": server.http_url},
                    "symbols": [PAPER_SYMBOL], "timeframes": ["5m"],
                    "strategies": [{"name": "sma_cross", "params": PAPER_PARAMS}],
                    "paper": {"balances": {"USDT": 10_000}},
                },
                "demo",
            )  # fmt: skip
            if not as_json:
                _paper_banner(context.console, seconds)
            # the market stands still until the node has loaded its history, then runs
            node = TradingNode(config, store)
            summary = run_node(node, printer, seconds, started=server.resume)
        store.dispose()
    result = _day_backtest()
    if as_json:
        summary["backtest"] = {"strategy": "sma_cross", **result.summary()}
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    context.console.print(
        f"\nThe same strategy backtested on the whole replayed day (the paper session above saw "
        f"its first {summary.get('bars', 0)} bars): the kernel, on the bundled data.",
        highlight=False,
    )
    label = f"binance {PAPER_SYMBOL} 5m, {PAPER_START} (bundled samples), backtested"
    print_result(context.console, "SmaCross", result, label)


def _day_backtest() -> BacktestResult:
    """The demo's strategy backtested on the bundled bars of the day the sandbox replays,
    after the node's warm-up bars: the same kernel on replayed data, trading from the day's
    first bar as the node does."""
    symbol = Symbol.parse(PAPER_SYMBOL)
    frame = ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", symbol, "5m")
    day = pd.Timestamp(PAPER_START, tz="UTC")
    first = int(frame.index.searchsorted(day))
    start = max(0, first - WARMUP_BARS)
    bars = frame.iloc[start : int(frame.index.searchsorted(day + pd.Timedelta(days=1)))]

    class FromTheDay(SmaCross):
        """SmaCross, trading from the replayed day's first bar."""

        def on_start(self) -> None:
            super().on_start()
            self.warmup = max(self.warmup, first - start)

    return Backtest(bars, FromTheDay, cash=10_000, commission=0.001, symbol=PAPER_SYMBOL).run(
        **PAPER_PARAMS
    )


def _paper_banner(console: Console, seconds: float) -> None:
    params = ", ".join(f"{k}={v}" for k, v in PAPER_PARAMS.items())
    console.print(
        f"[bold]tradeforge demo[/]: a local exchange (the sandbox) replays the bundled Binance "
        f"{PAPER_SYMBOL} 5m bars from {PAPER_START} at {PAPER_SPEED}x; a paper node runs "
        f"sma_cross ({params}) on them: live bars through ccxt, fills by its local simulated "
        f"exchange with the backtest's rules, every order stored before it is sent. It stops "
        f"after {seconds:g} s, or on Ctrl-C. Offline.",
        highlight=False,
    )


def _backtest_demo(ctx: typer.Context, as_json: bool) -> None:
    """Import the bundled sample data into the catalog and print its validation report, then
    backtest the breakout and write its report."""
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
    result = _demo_backtest(catalog)
    report, seconds = _write_report(result, context.reports_path / DEMO_REPORT)
    if as_json:
        document = {
            "catalog": str(catalog.root),
            "series": {k: r.to_dict() for k, r in reports},
            "backtest": {"strategy": "breakout", "symbol": "BTC/USDT", "timeframe": "1h",
                         **result.summary()},
            "report": str(report),
        }  # fmt: skip
        typer.echo(json.dumps(document, indent=2, default=str))
        return
    _print(context.console, catalog, reports)
    print_result(context.console, "Breakout", result, "binance BTC/USDT 1h (bundled samples)")
    context.console.print(
        f"HTML report ({report.stat().st_size / 1e6:.1f} MB, written in {seconds:.1f} s), "
        f"open it in a browser: {report}",
        soft_wrap=True,
    )


def _write_report(result: BacktestResult, path: Path) -> tuple[Path, float]:
    """The demo's HTML report, written to ``path``; its absolute path and the seconds taken."""
    started = time.perf_counter()
    written = result.report(path, title="tradeforge demo: Breakout on BTC/USDT 1h").resolve()
    return written, time.perf_counter() - started


def _demo_backtest(catalog: ParquetCatalog) -> BacktestResult:
    """The built-in breakout strategy on the bundled BTC/USDT hourly bars (2019 to 2024)."""
    symbol = Symbol.parse("BTC/USDT")
    frame = catalog.read_bars("binance", symbol, "1h")
    series = BarSeries.from_frame(symbol, frame, Timeframe.parse("1h"))
    return Backtest([series], Breakout, cash=10_000, commission=0.001).run()


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
