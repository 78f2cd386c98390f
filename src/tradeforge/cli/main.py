"""Entry point: ``tradeforge [--config F] [--profile P] [--catalog DIR] COMMAND``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tradeforge import __version__
from tradeforge.cli.analysis_commands import analysis_app
from tradeforge.cli.backtest_command import backtest
from tradeforge.cli.context import CliContext, cli_context
from tradeforge.cli.data_commands import data_app
from tradeforge.cli.db_commands import audit_app, db_app, runs_app
from tradeforge.cli.demo import demo
from tradeforge.cli.errors import run_reporting_errors
from tradeforge.cli.optimize_command import optimize
from tradeforge.cli.report_commands import report_app
from tradeforge.cli.sandbox_command import sandbox
from tradeforge.cli.trade_command import trade
from tradeforge.cli.walkforward_command import validate_symbols, walkforward
from tradeforge.common.config import load_config
from tradeforge.model.symbol import set_default_quote

PIPED_WIDTH = 120

app = typer.Typer(
    name="tradeforge",
    help="Algorithmic trading, crypto first: data, backtests, paper and live trading.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tradeforge {__version__}")
        raise typer.Exit


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="YAML or TOML config file (or TRADEFORGE_CONFIG)."),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="dev, paper or live (or TRADEFORGE_PROFILE).")
    ] = None,
    catalog: Annotated[
        Path | None, typer.Option(help="Catalog folder (default: <home>/catalog).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Load the configuration every command uses."""
    settings = load_config(config, profile=profile)
    set_default_quote(settings.data.default_quote)
    ctx.obj = CliContext(config=settings, console=_console(), catalog_override=catalog)


def _console() -> Console:
    """Rich output; piped output gets 120 columns instead of 80 so tables stay whole."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPED_WIDTH)


@config_app.command("show")
def config_show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the configuration in effect; secrets are masked."""
    settings = cli_context(ctx).config
    document = settings.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(document, indent=2))
    else:
        cli_context(ctx).console.print_json(data=document)


app.add_typer(data_app, name="data")
app.command("demo")(demo)
app.command("backtest")(backtest)
app.command("optimize")(optimize)
app.command("walkforward")(walkforward)
app.command("validate-symbols")(validate_symbols)
app.add_typer(report_app, name="report")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(runs_app, name="runs")
app.command("sandbox")(sandbox)
app.command("trade")(trade)
app.add_typer(analysis_app, name="analysis")


def main() -> None:
    """Console-script entry point."""
    run_reporting_errors(app)
