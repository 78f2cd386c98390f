"""What every command shares: the loaded configuration and the consoles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console

from tradeforge.common.config import TradeforgeConfig


@dataclass(frozen=True)
class CliContext:
    """The configuration in effect and where output goes."""

    config: TradeforgeConfig
    console: Console
    catalog_override: Path | None = None

    @property
    def catalog_path(self) -> Path:
        """The catalog folder: ``--catalog`` when given, else the configured one."""
        return self.catalog_override or self.config.catalog_path

    @property
    def reports_path(self) -> Path:
        """Where commands write reports by default: ``<home>/reports``."""
        return self.config.home / "reports"


def cli_context(ctx: typer.Context) -> CliContext:
    """The :class:`CliContext` the main callback stored."""
    found = ctx.find_object(CliContext)
    if found is None:  # pragma: no cover - the callback always runs first
        raise RuntimeError("tradeforge CLI context missing")
    return found
