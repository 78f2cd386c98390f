"""Risk limits: the typed configuration of the pre-trade checks.

A :class:`RiskConfig` holds one :class:`RiskLimits` for every strategy (``default``), the
per-strategy overrides (``strategies``) and the account-wide order rate
(``total_order_rate``). It loads from YAML (:meth:`RiskConfig.from_yaml`) or a mapping
(:meth:`RiskConfig.from_mapping`)::

    default:
      max_position_pct_equity: 0.25
      max_leverage: 2
      daily_loss_limit: 0.03
      order_rate: {max_orders: 10, per: 1m}
    total_order_rate: {max_orders: 50, per: 1m}
    strategies:
      breakout:               # merged field by field over default
        max_leverage: 1
        require_stop_loss: true

Every limit is off (``None``) by default except those that cannot refuse a sane order: a
client order id is never sent twice, a limit or stop price more than 50 % away from the last
price is refused, and an entry may not add to a position in the same direction
(``allow_pyramiding=False``). The reasons are in each field's description below and in
``docs/risk.md``. Unknown keys are refused; floats become decimals through their shortest text
(``0.1`` stays ``0.1``); a bad value is reported with its dotted key and the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from tradeforge.common.config import ConfigError
from tradeforge.model.symbol import Symbol, SymbolError
from tradeforge.risk.breaker_limits import BreakersConfig
from tradeforge.risk.config_types import PositiveDuration
from tradeforge.risk.config_types import Strict as _Strict
from tradeforge.risk.config_types import duration as _duration
from tradeforge.risk.config_types import exact as _exact
from tradeforge.risk.config_types import positive as _positive

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DECIMAL_FIELDS = (
    "max_position_notional", "max_position_pct_equity", "max_gross_exposure",
    "max_net_exposure", "max_leverage", "daily_loss_limit", "price_band", "max_correlation",
)  # fmt: skip


class RiskConfigError(ConfigError):
    """A risk configuration that cannot be used; the message names the source and the key."""


class RateLimit(_Strict):
    """At most ``max_orders`` orders sent within any sliding ``per`` window.

    Parameters
    ----------
    max_orders : int
        Orders allowed in the window (>= 1).
    per : timedelta
        The window: ``"1m"``, ``"10s"``, ``"1h"``, a number of seconds, or an ISO 8601
        duration.
    """

    max_orders: int = Field(ge=1)
    per: PositiveDuration


class TradingWindow(_Strict):
    """Hours in which entries are allowed, UTC.

    Parameters
    ----------
    start, end : time
        ``"08:00"`` to ``"20:00"`` means from 08:00:00 included to 20:00:00 excluded. An
        ``end`` not after ``start`` wraps past midnight (``22:00`` to ``06:00``); equal times
        mean the whole day.
    days : list of {"mon", ..., "sun"}
        The UTC weekdays the window applies to (default: every day); for a window that wraps,
        the day it opens.
    """

    start: time
    end: time
    days: tuple[Weekday, ...] = WEEKDAYS

    @field_validator("days", mode="before")
    @classmethod
    def _lower_days(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(str(day).lower()[:3] if isinstance(day, str) else day for day in value)
        return value

    @field_validator("start", "end")
    @classmethod
    def _naive_utc(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("write times without a zone: trading hours are UTC")
        return value


class RiskLimits(_Strict):
    """The limits the checks apply to one strategy's orders.

    Money is in the account currency; fractions are plain (``0.25`` is 25 %). ``None`` turns
    a limit off. Every field changes which orders are refused.

    Parameters
    ----------
    reject_duplicate_ids : bool
        Refuse an order whose client order id was already sent. Default ``True``: a venue
        treats a repeated id as the same order, so a second one is always a bug.
    duplicate_window : timedelta or None
        Refuse an order of the same strategy, symbol, side and quantity as one sent within this
        window (a strategy firing twice on one signal). Default ``None``: scaling in with equal
        clips is legitimate, so the window is the user's choice.
    allow_pyramiding : bool
        Whether an entry may add to a position (or to open entry orders) in its direction.
        Default ``False``: adding to a winner or a loser multiplies the risk of one idea;
        strategies that scale in say so.
    max_position_quantity : mapping of symbol to Decimal, or None
        Largest position per symbol in base units (``{"BTC/USDT": 0.5}``). Default ``None``:
        a quantity means something only per market.
    max_position_notional : Decimal or None
        Largest value of one position. Default ``None``: depends on the account size.
    max_position_pct_equity : Decimal or None
        Largest value of one position as a fraction of equity. Default ``None``.
    max_gross_exposure, max_net_exposure : Decimal or None
        Largest sum of the absolute (gross) and the signed (net, compared by its absolute
        value) position values. Default ``None``.
    max_open_positions : int or None
        Most symbols with a position or an open entry order at once. Default ``None``.
    max_leverage : Decimal or None
        Largest gross exposure divided by equity (a spot account is at most 1). Default
        ``None``: the venue's margin check (always on) already bounds it.
    daily_loss_limit : Decimal or None
        Stop entries once equity has fallen this fraction below its value at 00:00 UTC
        (realized and unrealized). Default ``None``: the right figure depends on the
        strategy's volatility.
    require_stop_loss, require_take_profit : bool
        An entry passes only as the entry of a bracket with a stop loss (and a take profit).
        Default ``False``: many strategies exit on signals instead.
    price_band : Decimal or None
        Refuse a limit or stop price further than this fraction from the last price (fat
        finger). Default ``0.5``: wide enough for any resting order a strategy means, narrow
        enough to catch a misplaced decimal point (10x or 0.1x the price).
    max_correlation : Decimal or None
        Refuse an entry whose returns correlate above this with an open position's in the same
        direction (an opposite position counts with the sign reversed: a hedge passes).
        Default ``None``: needs a universe to be meaningful.
    correlation_lookback : int
        Returns in the rolling window (default 100 bars, about four days of hourly bars); the
        check passes while fewer than half of them exist: a correlation of a few returns is
        noise.
    order_rate : RateLimit or None
        Orders per strategy per window. Default ``None``: the venue's own limits differ.
    allowed_symbols, allowed_venues : list of str, or None
        Where entries may go. Default ``None``: everywhere.
    trading_hours : list of TradingWindow, or None
        When entries may go (UTC). Default ``None``: crypto trades around the clock.

    Notes
    -----
    Orders that only reduce a position (``reduce_only``, or opposite to it and not larger) pass
    the symbol, venue, hours, daily loss, stop-loss and every exposure limit: a limit must
    never stop a position from being closed.
    """

    reject_duplicate_ids: bool = True
    duplicate_window: timedelta | None = None
    allow_pyramiding: bool = False
    max_position_quantity: dict[str, Decimal] | None = None
    max_position_notional: Decimal | None = Field(default=None, gt=0)
    max_position_pct_equity: Decimal | None = Field(default=None, gt=0)
    max_gross_exposure: Decimal | None = Field(default=None, gt=0)
    max_net_exposure: Decimal | None = Field(default=None, gt=0)
    max_open_positions: int | None = Field(default=None, ge=1)
    max_leverage: Decimal | None = Field(default=None, gt=0)
    daily_loss_limit: Decimal | None = Field(default=None, gt=0, le=1)
    require_stop_loss: bool = False
    require_take_profit: bool = False
    price_band: Decimal | None = Field(default=Decimal("0.5"), gt=0)
    max_correlation: Decimal | None = Field(default=None, gt=0, le=1)
    correlation_lookback: int = Field(default=100, ge=3)
    order_rate: RateLimit | None = None
    allowed_symbols: tuple[str, ...] | None = None
    allowed_venues: tuple[str, ...] | None = None
    trading_hours: tuple[TradingWindow, ...] | None = None

    @cached_property
    def symbol_quantities(self) -> dict[Symbol, Decimal]:
        """``max_position_quantity`` keyed by :class:`Symbol` (read at every order)."""
        return {Symbol.parse(k): v for k, v in (self.max_position_quantity or {}).items()}

    @cached_property
    def symbol_set(self) -> frozenset[Symbol] | None:
        """``allowed_symbols`` as a set of :class:`Symbol` (read at every order)."""
        if self.allowed_symbols is None:
            return None
        return frozenset(Symbol.parse(s) for s in self.allowed_symbols)

    @field_validator(*_DECIMAL_FIELDS, mode="before")
    @classmethod
    def _exact(cls, value: object) -> object:
        """Floats become decimals through their shortest text (0.1 stays 0.1)."""
        return _exact(value)

    @field_validator("duplicate_window", mode="before")
    @classmethod
    def _read_window(cls, value: object) -> object:
        return _duration(value)

    @field_validator("duplicate_window")
    @classmethod
    def _check_window(cls, value: timedelta | None) -> timedelta | None:
        return None if value is None else _positive(value)

    @field_validator("max_position_quantity", mode="before")
    @classmethod
    def _symbol_quantities(cls, value: object) -> object:
        """Keys become canonical symbols (``btc-usdt`` is ``BTC/USDT``); values decimals."""
        if not isinstance(value, Mapping):
            return value
        out: dict[str, object] = {}
        for key, limit in value.items():
            out[_canonical(key)] = _exact(limit)
        return out

    @field_validator("max_position_quantity")
    @classmethod
    def _positive_quantities(cls, value: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        for key, limit in (value or {}).items():
            if limit <= 0:
                raise ValueError(f"{key}: must be greater than 0, got {limit}")
        return value

    @field_validator("allowed_symbols", mode="before")
    @classmethod
    def _symbols(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(_canonical(item) for item in value)
        return value


def _canonical(value: object) -> str:
    """The symbol's canonical text, or a ValueError naming the spelling."""
    if not isinstance(value, str):
        raise ValueError(f"a symbol must be text, got {value!r}")
    try:
        return str(Symbol.parse(value))
    except SymbolError as error:
        raise ValueError(f"{value!r} is not a symbol: {error}") from None


class RiskConfig(_Strict):
    """Limits for every strategy, per-strategy overrides and the account-wide order rate.

    Parameters
    ----------
    default : RiskLimits
        The limits of every strategy without an override.
    strategies : mapping of strategy id to RiskLimits
        Overrides, merged field by field over ``default`` when validated: an override names
        only what differs, and ``null`` turns a default limit off for that strategy. A nested
        value (``order_rate``, ``trading_hours``) is replaced whole.
    total_order_rate : RateLimit or None
        Orders of all strategies together per window. Default ``None``.
    breakers : BreakersConfig or None
        Circuit breakers of the account (daily loss, drawdown, losing streak, volatility,
        latency, connection, error rate): each moves the trading state to REDUCING or
        HALTED when its measure reaches a level (see
        :mod:`tradeforge.risk.breaker_limits`). Default ``None``: no breaker.
    """

    default: RiskLimits = RiskLimits()
    strategies: dict[str, RiskLimits] = Field(default_factory=dict)
    total_order_rate: RateLimit | None = None
    breakers: BreakersConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _merge_overrides(cls, data: object) -> object:
        """Lay each ``strategies.<id>`` mapping over ``default`` before validation."""
        if not isinstance(data, Mapping):
            return data
        default, strategies = data.get("default"), data.get("strategies")
        if not isinstance(strategies, Mapping):
            return data
        base = _given(default) if default is not None else {}
        if not isinstance(base, Mapping) or not _valid_limits(base):
            return data  # the default's own errors are reported once, at default.<key>
        merged = {
            key: {**base, **given} if isinstance(given := _given(value), Mapping) else value
            for key, value in strategies.items()
        }
        return {**data, "strategies": merged}

    def limits_for(self, strategy_id: str | None) -> RiskLimits:
        """The limits of ``strategy_id``'s orders (the default without an override)."""
        if strategy_id is None:
            return self.default
        return self.strategies.get(strategy_id, self.default)

    def every_limits(self) -> list[RiskLimits]:
        """The default and every override: a check is built when any of them enables it."""
        return [self.default, *self.strategies.values()]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "risk config") -> Self:
        """Validate a mapping (a YAML document's ``risk`` section, or the section itself).

        Raises
        ------
        RiskConfigError
            For an unknown key or a bad value; each line names ``source`` and the dotted key.
        """
        if not isinstance(data, Mapping):
            raise RiskConfigError(
                f"{source}: the risk config must be a mapping, got {type(data).__name__}"
            )
        if set(data) == {"risk"} and isinstance(data["risk"], Mapping):
            data = data["risk"]
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise RiskConfigError(describe(error, source)) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Self:
        """Read and validate a YAML file (the risk section itself, or a ``risk:`` key).

        Raises
        ------
        RiskConfigError
            For an unreadable file, invalid YAML, an unknown key or a bad value; the message
            names the file and the dotted key.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise RiskConfigError(
                f"{path}: cannot read the risk config: {error.strerror}"
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise RiskConfigError(f"{path}: not valid YAML: {error}") from None
        return cls.from_mapping({} if data is None else data, str(path))


class LimitsIndex:
    """:meth:`RiskConfig.limits_for` as one dictionary lookup (a check asks at every order).

    Parameters
    ----------
    config : RiskConfig
    """

    __slots__ = ("_by_strategy", "_default")

    def __init__(self, config: RiskConfig) -> None:
        self._default = config.default
        self._by_strategy: dict[str | None, RiskLimits] = {}
        self._by_strategy.update(config.strategies)

    def of(self, strategy_id: str | None) -> RiskLimits:
        """The limits of ``strategy_id``'s orders."""
        return self._by_strategy.get(strategy_id, self._default)


def _given(value: object) -> object:
    """A model's explicitly set fields as a mapping (an override names only those)."""
    if isinstance(value, BaseModel):
        return {name: getattr(value, name) for name in value.model_fields_set}
    return value


def _valid_limits(data: Mapping[str, Any]) -> bool:
    try:
        RiskLimits.model_validate(data)
    except ValidationError:
        return False
    return True


def describe(error: ValidationError, source: str) -> str:
    """One line per problem: ``source: dotted.key: message``."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = "unknown key" if problem["type"] == "extra_forbidden" else problem["msg"]
        lines.append(f"{source}: {where}: {message.removeprefix('Value error, ')}")
    return "\n".join(lines)
