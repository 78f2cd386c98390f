"""Turn the errors users cause into one clear line and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from tradeforge.common.config import ConfigError
from tradeforge.data.errors import DataError
from tradeforge.model.symbol import SymbolError
from tradeforge.model.timeframe import TimeframeError
from tradeforge.model.values import NumberError
from tradeforge.persistence.errors import StoreError
from tradeforge.strategies.registry import StrategyLoadError
from tradeforge.strategy.errors import OrderRequestError, StrategyError
from tradeforge.strategy.params import ParameterError

USER_ERRORS: tuple[type[Exception], ...] = (
    ConfigError,
    DataError,
    SymbolError,
    TimeframeError,
    NumberError,
    FileNotFoundError,
    ParameterError,
    StrategyLoadError,
    StrategyError,
    OrderRequestError,
    StoreError,
)
EXIT_USER_ERROR = 1


def run_reporting_errors(command: Callable[[], object]) -> None:
    """Run the CLI; a user error prints ``error: ...`` on stderr and exits with status 1."""
    try:
        command()
    except USER_ERRORS as error:
        message = (
            " ".join(str(error).split("\n")) if not isinstance(error, ConfigError) else str(error)
        )
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(message)}", highlight=False
        )
        sys.exit(EXIT_USER_ERROR)
