"""Instruments: what a venue lets you trade and the filters an order must pass.

An :class:`Instrument` carries a market's trading rules (price tick, quantity step, minimum and
maximum quantity, minimum notional), its fees and its contract terms (contract size, settle
currency, linear or inverse, expiry). It rounds prices and quantities the way the venue does and
says which filter an order would break before the venue rejects it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from enum import Enum
from typing import Any, Protocol, overload

from tradeforge.model.symbol import Symbol
from tradeforge.model.values import (
    EXACT,
    Money,
    NumberError,
    Price,
    Quantity,
    round_to_increment,
    to_decimal,
    truncate_to_step,
)

# Inverse notionals divide by the price and rarely come out exact: 28 significant digits.
_DIVISION = Context(prec=28, rounding=ROUND_HALF_EVEN)
_NANOS_PER_MILLI = 1_000_000
_DECIMAL_FIELDS = (
    "price_tick", "quantity_step", "min_quantity", "max_quantity", "min_notional",
    "maker_fee", "taker_fee", "contract_size", "max_leverage",
)  # fmt: skip


class _SideEnum(Protocol):
    """An order-side enum whose values read ``buy``/``sell`` (``OrderSide``, ``AggressorSide``)."""

    @property
    def value(self) -> str: ...


class InstrumentError(ValueError):
    """An instrument whose terms contradict each other; the message names the field."""


class InstrumentKind(Enum):
    """What kind of contract an instrument is."""

    SPOT = "spot"
    PERPETUAL = "perpetual"
    FUTURE = "future"
    OPTION = "option"

    @property
    def is_derivative(self) -> bool:
        """True for everything but spot."""
        return self is not InstrumentKind.SPOT

    @property
    def expires(self) -> bool:
        """True for dated contracts (futures and options)."""
        return self in (InstrumentKind.FUTURE, InstrumentKind.OPTION)


class OrderFilter(Enum):
    """The venue rule an order breaks."""

    PRICE_TICK = "price_tick"
    QUANTITY_STEP = "quantity_step"
    MIN_QUANTITY = "min_quantity"
    MAX_QUANTITY = "max_quantity"
    MIN_NOTIONAL = "min_notional"

    @property
    def binance_filter(self) -> str:
        """Binance's name for the filter (``PRICE_FILTER``, ``LOT_SIZE``, ``MIN_NOTIONAL``)."""
        return _BINANCE_FILTERS[self]


_BINANCE_FILTERS = {
    OrderFilter.PRICE_TICK: "PRICE_FILTER",
    OrderFilter.QUANTITY_STEP: "LOT_SIZE",
    OrderFilter.MIN_QUANTITY: "LOT_SIZE",
    OrderFilter.MAX_QUANTITY: "LOT_SIZE",
    OrderFilter.MIN_NOTIONAL: "MIN_NOTIONAL",
}


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """One filter an order breaks.

    Attributes
    ----------
    filter : OrderFilter
        The broken rule.
    value : Decimal
        The order's offending value (price, quantity or notional).
    limit : Decimal
        The instrument's limit (tick, step, minimum or maximum).
    message : str
        A sentence naming the value, the limit and the Binance filter.
    """

    filter: OrderFilter
    value: Decimal
    limit: Decimal
    message: str


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable market on one venue, with its trading rules, fees and contract terms.

    Decimal fields accept text, ints and ``Decimal`` (floats through their shortest text) and are
    stored as exact ``Decimal``.

    Parameters
    ----------
    symbol : Symbol
        The market; derivatives carry their settle currency (``BTC/USDT:USDT``).
    venue : str
        The venue id, such as ``binance``.
    kind : InstrumentKind
        Spot, perpetual, future or option; must agree with the symbol (spot has no settle
        currency, derivatives have one).
    price_tick : Decimal
        Smallest price increment, positive.
    quantity_step : Decimal
        Smallest quantity increment, positive; quantities are truncated to it.
    min_quantity : Decimal
        Smallest order quantity (``0``: only the step applies).
    max_quantity : Decimal or None
        Largest order quantity, ``None`` for no limit.
    min_notional : Decimal
        Smallest order value, in the notional's currency (quote for linear, base for inverse).
    maker_fee, taker_fee : Decimal
        Fee rates as fractions of the notional (``0.001`` is 0.1 %); negative rates are rebates.
    contract_size : Decimal
        Units of the underlying per contract (``1`` for spot); for inverse contracts, the quote
        value of one contract (``100`` USD on BitMEX XBTUSD).
    settle : str or None
        Settle (margin) currency; defaults to the symbol's and must equal it.
    max_leverage : Decimal
        Highest leverage the venue allows, ``>= 1``.
    is_inverse : bool
        True for contracts margined and settled in the base currency (``BTC/USD:BTC``).
    expiry_ns : int or None
        Expiry in nanoseconds since the epoch; required for futures and options, refused
        otherwise.

    Raises
    ------
    InstrumentError
        When a field is out of range or contradicts another; the message names the field.
    """

    symbol: Symbol
    venue: str
    kind: InstrumentKind
    price_tick: Decimal
    quantity_step: Decimal
    min_quantity: Decimal = Decimal(0)
    max_quantity: Decimal | None = None
    min_notional: Decimal = Decimal(0)
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)
    contract_size: Decimal = Decimal(1)
    settle: str | None = None
    max_leverage: Decimal = Decimal(1)
    is_inverse: bool = False
    expiry_ns: int | None = None

    def __post_init__(self) -> None:
        self._coerce_decimals()
        self._check_identity()
        self._check_increments()
        self._check_limits()
        self._check_rates()
        self._check_contract()

    def _coerce_decimals(self) -> None:
        for name in _DECIMAL_FIELDS:
            value = getattr(self, name)
            if value is None and name == "max_quantity":
                continue
            try:
                object.__setattr__(self, name, to_decimal(value, name))
            except NumberError as error:
                raise InstrumentError(f"{self._label()}: {error}") from None

    def _check_identity(self) -> None:
        if not isinstance(self.symbol, Symbol):
            raise InstrumentError(f"symbol must be a Symbol, got {self.symbol!r}")
        if not isinstance(self.venue, str) or not self.venue.isidentifier():
            raise InstrumentError(f"venue must be an id like 'binance', got {self.venue!r}")
        if not isinstance(self.kind, InstrumentKind):
            raise InstrumentError(f"kind must be an InstrumentKind, got {self.kind!r}")

    def _check_increments(self) -> None:
        for name in ("price_tick", "quantity_step", "contract_size"):
            if getattr(self, name) <= 0:
                raise InstrumentError(
                    f"{self._label()}: {name} must be positive, got {getattr(self, name)}"
                )

    def _check_limits(self) -> None:
        for name in ("min_quantity", "min_notional"):
            if getattr(self, name) < 0:
                raise InstrumentError(
                    f"{self._label()}: {name} must be >= 0, got {getattr(self, name)}"
                )
        if self.max_quantity is not None and self.max_quantity < max(
            self.min_quantity, self.quantity_step
        ):
            raise InstrumentError(
                f"{self._label()}: max_quantity {self.max_quantity} is below min_quantity "
                f"{self.min_quantity} or quantity_step {self.quantity_step}"
            )

    def _check_rates(self) -> None:
        for name in ("maker_fee", "taker_fee"):
            if not -1 < getattr(self, name) < 1:
                raise InstrumentError(
                    f"{self._label()}: {name} is a rate between -1 and 1 (0.001 = 0.1 %), "
                    f"got {getattr(self, name)}"
                )
        if self.max_leverage < 1:
            raise InstrumentError(
                f"{self._label()}: max_leverage must be >= 1, got {self.max_leverage}"
            )

    def _check_contract(self) -> None:
        if self.settle is None:
            object.__setattr__(self, "settle", self.symbol.settle)
        elif self.settle != self.symbol.settle:
            raise InstrumentError(
                f"{self._label()}: settle {self.settle!r} differs from the symbol's "
                f"settle currency {self.symbol.settle!r}"
            )
        if self.kind.is_derivative != self.symbol.is_derivative:
            needs = (
                "a settle currency in the symbol, like BTC/USDT:USDT"
                if self.kind.is_derivative
                else "a symbol without settle currency, like BTC/USDT"
            )
            raise InstrumentError(f"{self._label()}: kind {self.kind.name} needs {needs}")
        if not isinstance(self.is_inverse, bool):
            raise InstrumentError(f"{self._label()}: is_inverse must be a bool")
        if self.is_inverse and self.settle != self.symbol.base:
            raise InstrumentError(
                f"{self._label()}: is_inverse needs the base {self.symbol.base} as settle "
                f"currency, got settle {self.settle!r}"
            )
        self._check_expiry()

    def _check_expiry(self) -> None:
        if self.expiry_ns is not None and (
            isinstance(self.expiry_ns, bool) or not isinstance(self.expiry_ns, int)
        ):
            raise InstrumentError(f"{self._label()}: expiry_ns must be int, got {self.expiry_ns!r}")
        if self.kind.expires and self.expiry_ns is None:
            raise InstrumentError(f"{self._label()}: expiry_ns is required for a {self.kind.name}")
        if not self.kind.expires and self.expiry_ns is not None:
            raise InstrumentError(
                f"{self._label()}: expiry_ns must be None for a {self.kind.name}, "
                f"got {self.expiry_ns}"
            )

    def _label(self) -> str:
        return f"instrument {self.symbol} on {self.venue}"

    # -- properties ---------------------------------------------------------------------------

    @property
    def price_precision(self) -> int:
        """Decimal places of the price tick (``0.01`` → 2, ``0.5`` → 1, ``10`` → 0)."""
        return _decimal_places(self.price_tick)

    @property
    def quantity_precision(self) -> int:
        """Decimal places of the quantity step (``0.001`` → 3)."""
        return _decimal_places(self.quantity_step)

    @property
    def notional_currency(self) -> str:
        """Currency of :meth:`notional`: the quote for linear, the base for inverse."""
        return self.symbol.base if self.is_inverse else self.symbol.quote

    # -- rounding -----------------------------------------------------------------------------

    def round_price(self, price: object, side: _SideEnum | str | None = None) -> Price:
        """Round a price to the tick.

        Parameters
        ----------
        price : Decimal, str, int or float
            The price to round.
        side : OrderSide, AggressorSide, {"buy", "sell"} or None
            ``None`` rounds half-even to the nearest tick. A side rounds toward the passive
            side, so the order never becomes more aggressive: a buy rounds down, a sell up.
            Any enum whose value reads ``buy`` or ``sell`` in any case works.

        Raises
        ------
        NumberError
            When the price is not a finite number.
        ValueError
            When ``side`` is not ``"buy"``, ``"sell"`` or ``None``.
        """
        value = to_decimal(price, "price")
        tick = self.price_tick
        if _is_power_of_ten(tick):  # the common tick: rounding is a quantize
            return Price(value.quantize(tick, _passive_rounding(side), _ROUNDING))
        return Price(round_to_increment(value, tick, _passive_rounding(side)))

    def round_quantity(self, quantity: object) -> Quantity:
        """Truncate a quantity to the step, as venues do: it is never rounded up.

        Raises
        ------
        NumberError
            When the quantity is not a finite number or is negative.
        """
        return Quantity(truncate_to_step(Quantity(quantity), self.quantity_step))

    # -- value and fees -----------------------------------------------------------------------

    def notional(self, price: object, quantity: object) -> Money:
        """The value of ``quantity`` at ``price``.

        Linear: ``price * quantity * contract_size`` in the quote currency. Inverse:
        ``quantity * contract_size / price`` in the base currency, rounded to 28 significant
        digits (the only inexact case).

        Raises
        ------
        NumberError
            When a number is not finite, or an inverse notional gets a price <= 0.
        """
        value, amount = to_decimal(price, "price"), to_decimal(quantity, "quantity")
        contracts = EXACT.multiply(amount, self.contract_size)
        if not self.is_inverse:
            return Money(EXACT.multiply(value, contracts), self.symbol.quote)
        if value <= 0:
            raise NumberError(f"inverse notional needs a positive price, got {value}")
        return Money(_DIVISION.divide(contracts, value), self.symbol.base)

    @overload
    def fee(self, notional: Money, maker: bool) -> Money: ...
    @overload
    def fee(self, notional: Decimal, maker: bool) -> Decimal: ...

    def fee(self, notional: Money | Decimal, maker: bool) -> Money | Decimal:
        """Fee on a notional: ``notional * maker_fee`` or ``* taker_fee``.

        A positive result is paid, a negative one (a maker rebate) is received. ``Money`` in,
        ``Money`` out, in the notional's currency.
        """
        rate = self.maker_fee if maker else self.taker_fee
        if isinstance(notional, Money):
            return notional * rate
        return EXACT.multiply(to_decimal(notional, "notional"), rate)

    # -- order filters ------------------------------------------------------------------------

    def check_order(self, price: object, quantity: object) -> list[OrderCheck]:
        """The filters an order at ``price`` for ``quantity`` breaks; empty when it passes.

        Checks, in order: the price is a multiple of the tick (``PRICE_FILTER``); the quantity
        is a multiple of the step, positive, at least ``min_quantity`` and at most
        ``max_quantity`` (``LOT_SIZE``); the notional is at least ``min_notional``
        (``MIN_NOTIONAL``). Nothing is rounded: round first with :meth:`round_price` and
        :meth:`round_quantity`.
        """
        value, amount = to_decimal(price, "price"), to_decimal(quantity, "quantity")
        if self._passes(value, amount):
            return []
        checks = [
            self._check_tick(value),
            self._check_step(amount),
            self._check_min_quantity(amount),
            self._check_max_quantity(amount),
            self._check_min_notional(value, amount),
        ]
        return [check for check in checks if check is not None]

    def _passes(self, price: Decimal, quantity: Decimal) -> bool:
        """Every filter at once, for the common case of an order that breaks none."""
        return (
            quantity > 0
            and quantity >= self.min_quantity
            and (self.max_quantity is None or quantity <= self.max_quantity)
            and price % self.price_tick == 0
            and quantity % self.quantity_step == 0
            and self.min_notional == 0
        )

    def _check_tick(self, price: Decimal) -> OrderCheck | None:
        if price % self.price_tick == 0:
            return None
        return _broken(
            OrderFilter.PRICE_TICK, price, self.price_tick,
            f"price {price} is not a multiple of the tick {self.price_tick}",
        )  # fmt: skip

    def _check_step(self, quantity: Decimal) -> OrderCheck | None:
        if quantity % self.quantity_step == 0:
            return None
        return _broken(
            OrderFilter.QUANTITY_STEP, quantity, self.quantity_step,
            f"quantity {quantity} is not a multiple of the step {self.quantity_step}",
        )  # fmt: skip

    def _check_min_quantity(self, quantity: Decimal) -> OrderCheck | None:
        if quantity <= 0:
            return _broken(
                OrderFilter.MIN_QUANTITY, quantity, self.min_quantity,
                f"quantity {quantity} must be positive",
            )  # fmt: skip
        if quantity >= self.min_quantity:
            return None
        return _broken(
            OrderFilter.MIN_QUANTITY, quantity, self.min_quantity,
            f"quantity {quantity} is below the minimum {self.min_quantity}",
        )  # fmt: skip

    def _check_max_quantity(self, quantity: Decimal) -> OrderCheck | None:
        if self.max_quantity is None or quantity <= self.max_quantity:
            return None
        return _broken(
            OrderFilter.MAX_QUANTITY, quantity, self.max_quantity,
            f"quantity {quantity} is above the maximum {self.max_quantity}",
        )  # fmt: skip

    def _check_min_notional(self, price: Decimal, quantity: Decimal) -> OrderCheck | None:
        if self.min_notional == 0 or (self.is_inverse and price <= 0):
            return None
        notional = self.notional(price, quantity)
        if notional.amount >= self.min_notional:
            return None
        return _broken(
            OrderFilter.MIN_NOTIONAL, notional.amount, self.min_notional,
            f"notional {notional} is below the minimum {self.min_notional} "
            f"{notional.currency}",
        )  # fmt: skip

    # -- serialization ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary: decimals as exact text, ``kind`` as its value, ``symbol`` as text.

        :meth:`from_dict` reads it back to an equal instrument.
        """
        data: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Decimal):
                value = str(value)
            data[field.name] = value
        data["symbol"] = str(self.symbol)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Instrument:
        """Inverse of :meth:`to_dict`; unknown and missing fields are refused by name."""
        names = {field.name for field in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise InstrumentError(f"unknown instrument field(s) {sorted(unknown)}")
        missing = {"symbol", "venue", "kind", "price_tick", "quantity_step"} - set(data)
        if missing:
            raise InstrumentError(f"instrument field(s) {sorted(missing)} missing")
        values = dict(data)
        values["symbol"] = Symbol.parse(values["symbol"])
        values["kind"] = _kind(values["kind"])
        return cls(**values)

    @classmethod
    def from_ccxt_market(cls, market: Mapping[str, Any], venue: str) -> Instrument:
        """Build from one entry of ccxt's ``exchange.markets`` (its unified market structure).

        Reads ``base``, ``quote``, ``settle``, ``type``, ``precision.price`` and
        ``precision.amount`` as tick and step (ccxt's ``TICK_SIZE`` precision mode, which
        Binance, Bybit and OKX use; decimal-places mode is not read), ``limits.amount``,
        ``limits.cost.min``, ``limits.leverage.max``, ``maker``, ``taker``, ``contractSize``,
        ``inverse`` and ``expiry`` (milliseconds). Missing limits mean no limit.

        Parameters
        ----------
        market : mapping
            The ccxt market dictionary.
        venue : str
            The venue id (ccxt's ``exchange.id``, such as ``binance``); markets do not carry it.
        """
        limits = market.get("limits") or {}
        amount_limits = limits.get("amount") or {}
        expiry = market.get("expiry")
        return cls(
            symbol=Symbol(str(market["base"]), str(market["quote"]), market.get("settle") or None),
            venue=venue,
            kind=_ccxt_kind(str(market.get("type") or "spot")),
            price_tick=_ccxt_number(market["precision"]["price"], "precision.price"),
            quantity_step=_ccxt_number(market["precision"]["amount"], "precision.amount"),
            min_quantity=_ccxt_number(amount_limits.get("min") or 0, "limits.amount.min"),
            max_quantity=_optional_number(amount_limits.get("max"), "limits.amount.max"),
            min_notional=_ccxt_number((limits.get("cost") or {}).get("min") or 0, "cost.min"),
            maker_fee=_ccxt_number(market.get("maker") or 0, "maker"),
            taker_fee=_ccxt_number(market.get("taker") or 0, "taker"),
            contract_size=_ccxt_number(market.get("contractSize") or 1, "contractSize"),
            max_leverage=_ccxt_number(
                (limits.get("leverage") or {}).get("max") or 1, "limits.leverage.max"
            ),
            is_inverse=bool(market.get("inverse")),
            expiry_ns=None if expiry is None else int(expiry) * _NANOS_PER_MILLI,
        )


_POWERS_OF_TEN: dict[Decimal, bool] = {}
_ROUNDING_OF_SIDE: dict[object, str] = {}
# rounds without trapping Inexact (rounding to the tick is the point), exact otherwise
_ROUNDING = Context(prec=40, traps=[InvalidOperation, DivisionByZero, Overflow])


def _broken(which: OrderFilter, value: Decimal, limit: Decimal, text: str) -> OrderCheck:
    return OrderCheck(which, value, limit, f"{text} ({which.binance_filter})")


def tick_rounder(instrument: Instrument, side: str | None) -> Callable[[float], Price]:
    """``instrument.round_price(repr(price), side)`` as a function of a float price, prepared
    once for a hot loop (the backtest fast path rounds every fill with it)."""
    tick = instrument.price_tick
    if not _is_power_of_ten(tick):
        return lambda price: instrument.round_price(repr(price), side)
    mode = _passive_rounding(side)

    def round_to_tick(price: float) -> Price:
        return Price(Decimal(repr(price)).quantize(tick, mode, _ROUNDING))

    return round_to_tick


def _is_power_of_ten(tick: Decimal) -> bool:
    known = _POWERS_OF_TEN.get(tick)
    if known is None:
        known = _POWERS_OF_TEN[tick] = tick.as_tuple().digits == (1,) and tick > 0
    return known


def _passive_rounding(side: _SideEnum | str | None) -> str:
    mode = _ROUNDING_OF_SIDE.get(side)
    if mode is None:
        mode = _ROUNDING_OF_SIDE[side] = _rounding_of_side(side)
    return mode


def _rounding_of_side(side: _SideEnum | str | None) -> str:
    if side is None:
        return ROUND_HALF_EVEN
    text = str(getattr(side, "value", side)).lower()
    if text == "buy":
        return ROUND_FLOOR
    if text == "sell":
        return ROUND_CEILING
    raise ValueError(f"side must be 'buy', 'sell' or None, got {side!r}")


def _decimal_places(increment: Decimal) -> int:
    exponent = increment.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite by construction
    return max(0, -exponent)


def _kind(value: object) -> InstrumentKind:
    try:
        return InstrumentKind(value)
    except ValueError:
        choices = ", ".join(kind.value for kind in InstrumentKind)
        raise InstrumentError(f"unknown instrument kind {value!r}; use {choices}") from None


def _ccxt_kind(market_type: str) -> InstrumentKind:
    kinds = {"spot": InstrumentKind.SPOT, "swap": InstrumentKind.PERPETUAL,
             "future": InstrumentKind.FUTURE, "option": InstrumentKind.OPTION}  # fmt: skip
    if market_type not in kinds:
        raise InstrumentError(f"unsupported ccxt market type {market_type!r}")
    return kinds[market_type]


def _ccxt_number(value: object, name: str) -> Decimal:
    try:
        return to_decimal(value, name)
    except NumberError as error:
        raise InstrumentError(f"ccxt market: {error}") from None


def _optional_number(value: object, name: str) -> Decimal | None:
    return None if value is None else _ccxt_number(value, name)
