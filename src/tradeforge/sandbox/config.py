"""The sandbox's settings: frozen pydantic models, unknown keys refused by dotted name.

``load_sandbox_config(path, **overrides)`` reads a YAML or TOML file (``tradeforge sandbox
--config sandbox.yaml``) and applies command-line overrides on top; every error names the file
and the key, e.g. ``sandbox.yaml: speed: Input should be less than or equal to 1000``.

The API key and secret here are the sandbox's own made-up credentials, not a venue's: they
may be written in a file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from tradeforge.common.config import ConfigError, StrictModel, describe_validation, read_config_file
from tradeforge.model.symbol import Symbol, SymbolError
from tradeforge.model.timeframe import Timeframe, TimeframeError

DEFAULT_API_KEY = "sandbox-key"
DEFAULT_API_SECRET = "sandbox-secret"  # a made-up credential of the local sandbox


class MarketModelConfig(StrictModel):
    """How bars become a live market (see ``docs/sandbox.md``, "The synthetic market").

    Parameters
    ----------
    steps_per_leg : int
        Trades printed on each of the three legs of a bar's path (open → first extreme →
        second extreme → close); a bar prints ``3 × steps_per_leg + 1`` trades.
    book_levels : int
        Price levels on each side of the synthetic order book.
    half_spread_ticks : int
        Distance in ticks from the last trade price to the best bid and to the best ask.
    level_gap_ticks : int
        Ticks between two levels of the book.
    level_notional : Decimal
        Quote value of each book level at the series' first open (its size is fixed).
    """

    steps_per_leg: int = Field(default=4, ge=1, le=50)
    book_levels: int = Field(default=20, ge=1, le=1000)
    half_spread_ticks: int = Field(default=1, ge=1, le=1000)
    level_gap_ticks: int = Field(default=1, ge=1, le=1000)
    level_notional: Decimal = Field(default=Decimal(10_000), gt=0)


class InstrumentConfig(StrictModel):
    """Overrides of one symbol's filters (Binance's values, or inferred from the data)."""

    price_tick: Decimal | None = Field(default=None, gt=0)
    quantity_step: Decimal | None = Field(default=None, gt=0)
    min_quantity: Decimal | None = Field(default=None, ge=0)
    max_quantity: Decimal | None = Field(default=None, gt=0)
    min_notional: Decimal | None = Field(default=None, ge=0)


class FaultConfig(StrictModel):
    """Faults active from the start (more can be injected while running)."""

    latency_ms: int = Field(default=0, ge=0, le=60_000)


class SandboxConfig(StrictModel):
    """One sandbox venue.

    Parameters
    ----------
    name : str
        The venue's name (several sandboxes side by side are distinct venues).
    host, port : str, int
        Where to listen; port 0 picks a free port.
    symbols : tuple of str
        The markets, as ``BTC/USDT``; each needs catalog bars of ``timeframe``.
    timeframe : str
        The catalog bars replayed (``5m``, ``1h``, ...).
    venue : str
        The catalog venue the bars are read from.
    catalog : Path or None
        A catalog folder searched before the bundled samples.
    start : datetime
        Market time at which the replay starts (UTC when naive).
    speed : float
        Market seconds per wall-clock second, 1 to 1000.
    paused : bool
        Start with the replay paused (tests step it by hand).
    balances : dict
        Starting balances, currency to amount.
    maker_fee, taker_fee : Decimal
        Fee rates (0.001 = 0.1 %), charged in the quote currency.
    api_key, api_secret : str
        The credentials clients sign with.
    rate_limit : int or None
        Request weight allowed per minute (Binance: 6000); None for no limit.
    """

    name: str = "sandbox"
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65_535)
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT")
    timeframe: str = "5m"
    venue: str = "binance"
    catalog: Path | None = None
    start: datetime = datetime(2021, 1, 2, tzinfo=UTC)
    speed: float = Field(default=60.0, ge=1, le=1000)
    paused: bool = False
    balances: dict[str, Decimal] = Field(default_factory=lambda: {"USDT": Decimal(10_000)})
    maker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    taker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1, max_length=128)
    api_secret: str = Field(default=DEFAULT_API_SECRET, min_length=1, max_length=256)
    rate_limit: int | None = Field(default=None, ge=1)
    market: MarketModelConfig = MarketModelConfig()
    instruments: dict[str, InstrumentConfig] = Field(default_factory=dict)
    faults: FaultConfig = FaultConfig()

    @field_validator("symbols")
    @classmethod
    def _spot_symbols(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one symbol")
        parsed = [_spot_symbol(text) for text in value]
        if len(set(parsed)) != len(parsed):
            raise ValueError("a symbol is listed twice")
        return tuple(str(s) for s in parsed)

    @field_validator("instruments")
    @classmethod
    def _instrument_symbols(cls, value: dict[str, InstrumentConfig]) -> dict[str, InstrumentConfig]:
        return {str(_spot_symbol(text)): terms for text, terms in value.items()}

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, value: str) -> str:
        try:
            return str(Timeframe.parse(value))
        except TimeframeError as error:
            raise ValueError(str(error)) from None

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @field_validator("balances")
    @classmethod
    def _balances(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        out = {}
        for currency, amount in value.items():
            code = currency.upper()
            if not code.isalnum():
                raise ValueError(f"{currency!r} is not a currency code")
            if amount < 0 or not amount.is_finite():
                raise ValueError(f"{code}: a balance must be a finite amount >= 0, got {amount}")
            out[code] = amount
        return out

    @property
    def start_ms(self) -> int:
        """The replay's start, ms since the epoch."""
        return int(self.start.timestamp() * 1000)

    @property
    def spot_symbols(self) -> list[Symbol]:
        """The markets as :class:`Symbol` objects, in the order given."""
        return [Symbol.parse(s) for s in self.symbols]


def _spot_symbol(text: str) -> Symbol:
    try:
        symbol = Symbol.parse(text)
    except SymbolError as error:
        raise ValueError(str(error)) from None
    if symbol.is_derivative:
        raise ValueError(f"{text}: the sandbox serves spot markets only")
    return symbol


def load_sandbox_config(path: Path | None = None, **overrides: Any) -> SandboxConfig:
    """Read a sandbox config file (optional) and apply ``overrides`` (``None`` values skipped).

    Raises
    ------
    ConfigError
        For an unreadable file, an unknown key or a bad value; the message names the file
        (or ``options``) and the dotted key.
    """
    raw = read_config_file(path, "sandbox config") if path is not None else {}
    given = {key: value for key, value in overrides.items() if value is not None}
    source = str(path) if path is not None else "options"
    try:
        return SandboxConfig.model_validate({**raw, **given})
    except ValidationError as error:
        raise ConfigError(describe_validation(error, source)) from None
