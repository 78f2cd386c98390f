"""The trading node's configuration: one frozen pydantic tree, read from YAML or TOML.

``load_node_config(path)`` validates everything before anything connects: unknown keys,
symbols, timeframes, strategy names and their parameters (each strategy is built once), the
risk limits and durations. Every error names the file and the dotted key, e.g.
``node.yaml: strategies.0.params: SmaCross: unknown parameter 'fats'``. Secrets are never read
from the file: API keys come from ``TRADEFORGE_<VENUE>_API_KEY``, ``_API_SECRET`` and
``_PASSWORD`` (:func:`venue_credentials`).

A minimal paper node::

    mode: paper
    venue: {exchange: binance}
    symbols: [BTC/USDT]
    timeframes: [5m]
    strategies:
      - {name: sma_cross, params: {fast: 10, slow: 30}}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator

from tradeforge.adapters.ccxt.factory import Credentials
from tradeforge.common.config import ConfigError, StrictModel, read_config_file
from tradeforge.model.symbol import Symbol, SymbolError
from tradeforge.model.timeframe import Timeframe, TimeframeError
from tradeforge.risk.config_types import Duration, PositiveDuration
from tradeforge.risk.limits import RiskConfig, RiskConfigError, describe
from tradeforge.strategies.registry import StrategyLoadError, load_strategy
from tradeforge.strategy.base import Strategy
from tradeforge.strategy.params import ParameterError

Mode = Literal["paper", "live"]
ENV_PREFIX = "TRADEFORGE_"
_SECRET_KEYS = frozenset({"api_key", "api_secret", "secret", "password", "credentials"})


class NodeConfigError(ConfigError):
    """A node configuration that cannot be used; the message names the file and the key."""


class VenueSettings(StrictModel):
    """The venue the node trades on (and reads live data from).

    Parameters
    ----------
    exchange : str
        The ccxt exchange id (``binance``).
    name : str or None
        The venue's name in the store (default: the exchange id); paper orders are stored
        under ``<name>-paper``.
    url : str or None
        A local Binance-compatible host (the sandbox): every REST and websocket URL of the
        exchange is pointed at it.
    keys_env : str or None
        The ``<VENUE>`` of the key variables (``TRADEFORGE_<VENUE>_API_KEY``); default the
        exchange id in capitals.
    weight_per_minute : int or None
        The request budget the node keeps to (Binance spot: 6000 weight per minute, which
        is the default for it); set it for an account with a higher tier or a sandbox
        without limits.
    """

    exchange: str
    name: str | None = None
    url: str | None = None
    keys_env: str | None = None
    weight_per_minute: int | None = Field(default=None, ge=1)

    @field_validator("exchange")
    @classmethod
    def _known_exchange(cls, value: str) -> str:
        import ccxt  # type: ignore[import-untyped]  # noqa: PLC0415 - heavy, only to check

        if value not in ccxt.exchanges:
            raise ValueError(f"unknown ccxt exchange {value!r}")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"write the venue URL as http://host:port, got {value!r}")
        return value

    @property
    def venue_name(self) -> str:
        """The name orders are stored under."""
        return self.name or self.exchange


class StrategySettings(StrictModel):
    """One strategy the node runs.

    Parameters
    ----------
    name : str
        A built-in (``sma_cross``, ``rsi``, ``breakout``, ``bollinger``,
        ``momentum_rotation``) or ``path/to/file.py[:ClassName]``.
    id : str or None
        The strategy id (default: the name); its first eight letters and digits tag its
        client order ids, so they must differ between strategies.
    params : mapping
        Parameter values, checked against the strategy's declared parameters.
    symbols, timeframes : tuple of str, optional
        What it trades and reads (default: the node's); its own extra timeframes are added.
    warmup_bars : int, optional
        History bars to load per series before trading (default: ``warmup.bars``, doubled
        until every indicator has a value at the last bar).
    """

    name: str
    id: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    symbols: tuple[str, ...] | None = None
    timeframes: tuple[str, ...] | None = None
    warmup_bars: int | None = Field(default=None, ge=1, le=100_000)

    @field_validator("name")
    @classmethod
    def _loadable(cls, value: str) -> str:
        try:
            load_strategy(value)
        except StrategyLoadError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _spot_symbols(value)

    @field_validator("timeframes")
    @classmethod
    def _timeframes(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _timeframe_list(value)

    @model_validator(mode="after")
    def _params(self) -> Self:
        """Build the strategy once: its parameters are checked here, before any connection."""
        try:
            self.build()
        except (ParameterError, ValueError, TypeError) as error:
            raise ValueError(f"params: {error}") from None
        return self

    @property
    def strategy_id(self) -> str:
        """The strategy's id."""
        return self.id or self.name

    @property
    def strategy_class(self) -> type[Strategy]:
        """The strategy's class."""
        return load_strategy(self.name)

    def build(self) -> Strategy:
        """A new instance of the strategy with these parameters."""
        return self.strategy_class(self.strategy_id, **self.params)


class PaperSettings(StrictModel):
    """The local simulated exchange of a paper node (the backtest's fill rules).

    Parameters
    ----------
    balances : mapping
        Starting balances, currency to amount.
    market_fill : {"next_open", "close"}
        Where a market order sent at a bar's close trades.
    intrabar : {"adverse", "favorable", "high_first", "low_first", "nearest"}
        Which extreme of a bar the assumed price path visits first.
    slippage_bps : float
        Fixed slippage of taker fills, basis points.
    """

    balances: dict[str, Decimal] = Field(default_factory=lambda: {"USDT": Decimal(10_000)})
    market_fill: Literal["next_open", "close"] = "next_open"
    intrabar: Literal["adverse", "favorable", "high_first", "low_first", "nearest"] = "adverse"
    slippage_bps: float = Field(default=0.0, ge=0)

    @field_validator("balances")
    @classmethod
    def _balances(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        out = {}
        for currency, amount in value.items():
            if not currency.isalnum() or not amount.is_finite() or amount < 0:
                raise ValueError(f"{currency}: a balance is a currency code and an amount >= 0")
            out[currency.upper()] = amount
        return out


class ShutdownSettings(StrictModel):
    """What a stop (SIGINT, SIGTERM, the end of ``--duration``) does with open orders.

    Parameters
    ----------
    orders : {"cancel", "leave"}
        Cancel every open order (default), or leave them working at the venue (they are
        reconciled at the next start).
    timeout : timedelta
        How long to wait for the venue to confirm the cancels.
    """

    orders: Literal["cancel", "leave"] = "cancel"
    timeout: PositiveDuration = timedelta(seconds=10)


class ReconcileSettings(StrictModel):
    """Reconciliation with the venue (live mode).

    Parameters
    ----------
    interval : timedelta
        Between two reconciliations while running (open orders, fills, balances).
    grace : timedelta
        How long an order stored as sent, but unknown to the venue, may still arrive there
        before it is marked rejected (a request in flight when the node stopped).
    """

    interval: PositiveDuration = timedelta(seconds=60)
    grace: Duration = timedelta(seconds=10)


class WarmupSettings(StrictModel):
    """History loaded before the first live bar.

    Parameters
    ----------
    bars : int
        Bars per series to start with.
    max_bars : int
        The most bars per series the warm-up may grow to.
    """

    bars: int = Field(default=300, ge=1, le=100_000)
    max_bars: int = Field(default=5_000, ge=1, le=100_000)


class NodeConfig(StrictModel):
    """A trading node: its venue, markets, strategies, risk limits, store and policies.

    Parameters
    ----------
    mode : {"paper", "live"}
        Paper: live data from the venue, fills from a local simulated exchange. Live: orders
        on the venue. ``tradeforge trade --mode`` must say the same.
    name : str
        The node's name (its runs in the store).
    venue : VenueSettings
    symbols : tuple of str
        The markets (spot, one quote currency).
    timeframes : tuple of str
        The bars every strategy gets unless it names its own.
    strategies : tuple of StrategySettings
    risk : RiskConfig or None
        Pre-trade limits and breakers (a mapping, or the path of a YAML file).
    store : str or None
        The state store's URL (default ``<home>/tradeforge.db``).
    paper, shutdown, reconcile, warmup
        See their classes.
    """

    mode: Mode = "paper"
    name: str = Field(default="node", min_length=1, max_length=32)
    venue: VenueSettings
    symbols: tuple[str, ...]
    timeframes: tuple[str, ...] = ("5m",)
    strategies: tuple[StrategySettings, ...]
    risk: RiskConfig | None = None
    store: str | None = None
    paper: PaperSettings = PaperSettings()
    shutdown: ShutdownSettings = ShutdownSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    warmup: WarmupSettings = WarmupSettings()

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one symbol")
        symbols = _spot_symbols(value)
        quotes = {Symbol.parse(s).quote for s in symbols}
        if len(quotes) > 1:
            raise ValueError(f"every symbol must share one quote currency, got {sorted(quotes)}")
        return symbols

    @field_validator("timeframes")
    @classmethod
    def _timeframes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _timeframe_list(value)

    @field_validator("risk", mode="before")
    @classmethod
    def _risk_file(cls, value: object) -> object:
        if isinstance(value, str | Path):
            try:
                return RiskConfig.from_yaml(value)
            except RiskConfigError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("strategies")
    @classmethod
    def _some(cls, value: tuple[StrategySettings, ...]) -> tuple[StrategySettings, ...]:
        if not value:
            raise ValueError("list at least one strategy")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [s.strategy_id for s in self.strategies]
        tags = [order_id_tag(i) for i in ids]
        if len(set(tags)) != len(tags):
            raise ValueError(f"strategy ids {ids} must differ in their first 8 letters and digits")
        for k, strategy in enumerate(self.strategies):
            extra = set(strategy.symbols or ()) - set(self.symbols)
            if extra:
                raise ValueError(f"strategies.{k}.symbols: {sorted(extra)} not in symbols")
        return self

    @property
    def currency(self) -> str:
        """The account currency: the quote of the symbols."""
        return Symbol.parse(self.symbols[0]).quote

    @property
    def store_venue(self) -> str:
        """The venue name the node's orders are stored under (``<name>-paper`` in paper)."""
        name = self.venue.venue_name
        return name if self.mode == "live" else f"{name}-paper"

    def strategy_symbols(self, strategy: StrategySettings) -> list[Symbol]:
        """The symbols ``strategy`` trades."""
        return [Symbol.parse(s) for s in strategy.symbols or self.symbols]

    def strategy_timeframes(self, strategy: StrategySettings, built: Strategy) -> list[Timeframe]:
        """The timeframes ``strategy`` reads: its own (or the node's) and its extra ones,
        shortest first."""
        names = [*(strategy.timeframes or self.timeframes), *built.extra_timeframes()]
        unique = {Timeframe.parse(n) for n in names}
        return sorted(unique, key=lambda tf: tf.nanos)


def order_id_tag(strategy_id: str) -> str:
    """The tag in ``strategy_id``'s client order ids: its first eight letters and digits (as
    the backtest makes it)."""
    return "".join(ch for ch in strategy_id if ch.isalnum())[:8] or "S"


def _spot_symbols(value: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for text in value:
        try:
            symbol = Symbol.parse(text)
        except SymbolError as error:
            raise ValueError(str(error)) from None
        if symbol.is_derivative:
            raise ValueError(f"{text}: the node trades spot markets only")
        out.append(str(symbol))
    if len(set(out)) != len(out):
        raise ValueError("a symbol is listed twice")
    return tuple(out)


def _timeframe_list(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("list at least one timeframe")
    try:
        return tuple(str(Timeframe.parse(text)) for text in value)
    except TimeframeError as error:
        raise ValueError(str(error)) from None


def load_node_config(path: Path | None = None, **overrides: Any) -> NodeConfig:
    """Read a node config file (YAML or TOML) and apply ``overrides`` (``None`` skipped).

    Raises
    ------
    NodeConfigError
        For an unreadable file, a secret written in it, an unknown key or a bad value; each
        line names the file (or ``options``) and the dotted key.
    """
    raw = read_config_file(path, "node config", NodeConfigError) if path is not None else {}
    source = str(path) if path is not None else "options"
    _refuse_secrets(raw, source)
    given = {key: value for key, value in overrides.items() if value is not None}
    return node_config({**raw, **given}, source)


def node_config(data: Mapping[str, Any], source: str = "node config") -> NodeConfig:
    """Validate a mapping as a :class:`NodeConfig`; errors name ``source`` and the key.

    Raises
    ------
    NodeConfigError
    """
    try:
        return NodeConfig.model_validate(dict(data))
    except ValidationError as error:
        raise NodeConfigError(describe(error, source)) from None


def venue_credentials(
    config: NodeConfig, environ: Mapping[str, str] | None = None
) -> Credentials | None:
    """The venue's API keys from ``TRADEFORGE_<VENUE>_API_KEY``, ``_API_SECRET`` and
    ``_PASSWORD``; None when the key or the secret is missing."""
    env = os.environ if environ is None else environ
    stem = f"{ENV_PREFIX}{(config.venue.keys_env or config.venue.exchange).upper()}_"
    key, secret = env.get(f"{stem}API_KEY"), env.get(f"{stem}API_SECRET")
    if not key or not secret:
        return None
    return Credentials(key, secret, env.get(f"{stem}PASSWORD") or None)


def credentials_variables(config: NodeConfig) -> str:
    """The names of the key variables, for messages."""
    stem = f"{ENV_PREFIX}{(config.venue.keys_env or config.venue.exchange).upper()}_"
    return f"{stem}API_KEY and {stem}API_SECRET"


def _refuse_secrets(raw: Mapping[str, Any], source: str, prefix: str = "") -> None:
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if str(key).lower() in _SECRET_KEYS:
            raise NodeConfigError(
                f"{source}: {dotted}: secrets are read only from environment variables "
                f"({ENV_PREFIX}<VENUE>_API_KEY, _API_SECRET, _PASSWORD), never from files"
            )
        if isinstance(value, Mapping):
            _refuse_secrets(value, source, f"{dotted}.")
        elif isinstance(value, list):
            for k, item in enumerate(value):
                if isinstance(item, Mapping):
                    _refuse_secrets(item, source, f"{dotted}.{k}.")
