"""Enumerations of the trading domain: sides, order types, statuses and contingencies.

Members carry their name as value (``OrderSide.BUY.value == "BUY"``), so they serialize as
readable text and ``OrderSide("BUY")`` reads them back.
"""

from __future__ import annotations

from enum import Enum


class _Enum(Enum):
    """Members hash by identity: they are singletons, and the hot dictionaries and sets of
    the engines look them up millions of times (``Enum`` hashes by name, in Python)."""

    __hash__ = object.__hash__


class OrderSide(_Enum):
    """The side of an order or a fill."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> OrderSide:
        """The other side: ``BUY.opposite is SELL``."""
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY

    @property
    def sign(self) -> int:
        """``+1`` for a buy, ``-1`` for a sell: the sign a fill adds to a net position."""
        return 1 if self is OrderSide.BUY else -1


class OrderType(_Enum):
    """What an order does at the venue."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_MARKET = "STOP_MARKET"
    STOP_LIMIT = "STOP_LIMIT"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"

    @property
    def has_price(self) -> bool:
        """True when the order needs a limit ``price``."""
        return self in _LIMIT_TYPES

    @property
    def has_stop_price(self) -> bool:
        """True when the order needs a ``stop_price`` (trigger); trailing stops may have one."""
        return self in _STOP_TYPES

    @property
    def is_trailing(self) -> bool:
        """True for trailing stops, which need a trailing offset."""
        return self is OrderType.TRAILING_STOP_MARKET


_LIMIT_TYPES = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
_STOP_TYPES = frozenset(
    {
        OrderType.STOP_MARKET,
        OrderType.STOP_LIMIT,
        OrderType.TAKE_PROFIT_MARKET,
        OrderType.TAKE_PROFIT_LIMIT,
    }
)


class TimeInForce(_Enum):
    """How long an order works: good till canceled, immediate or cancel, fill or kill, good till
    date (needs ``expire_time_ns``), or the trading day."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTD = "GTD"
    DAY = "DAY"


class OrderStatus(_Enum):
    """Where an order is in its life cycle.

    ``INITIALIZED`` orders exist only locally. ``SUBMITTED`` and ``PENDING_CANCEL`` orders wait
    for the venue (:attr:`is_in_flight`); ``ACCEPTED``, ``PARTIALLY_FILLED`` and
    ``PENDING_CANCEL`` orders work at the venue (:attr:`is_open`); ``FILLED``, ``CANCELED``,
    ``REJECTED`` and ``EXPIRED`` are terminal (:attr:`is_closed`).
    """

    INITIALIZED = "INITIALIZED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_open(self) -> bool:
        """True while the order works at the venue and can still fill."""
        return self in _OPEN

    @property
    def is_closed(self) -> bool:
        """True in a terminal status: no event can change the order any more."""
        return self in _CLOSED

    @property
    def is_in_flight(self) -> bool:
        """True while a request to the venue awaits its answer."""
        return self in _IN_FLIGHT


_OPEN = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL})
_CLOSED = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
_IN_FLIGHT = frozenset({OrderStatus.SUBMITTED, OrderStatus.PENDING_CANCEL})


class PositionSide(_Enum):
    """The side of a net position, or of a signal's direction."""

    LONG = "LONG"
    SHORT = "SHORT"
    FLAT = "FLAT"


class LiquiditySide(_Enum):
    """Whether a fill added liquidity to the book (maker) or took it (taker)."""

    MAKER = "MAKER"
    TAKER = "TAKER"


class TrailingOffsetType(_Enum):
    """How a trailing stop's offset is expressed: a price distance or basis points (1/100 %)."""

    PRICE = "PRICE"
    BASIS_POINTS = "BASIS_POINTS"


class ContingencyType(_Enum):
    """How the orders of an order list depend on each other.

    ``OCO``: one fill cancels the others. ``OTO``: the parent's fill activates the children.
    ``BRACKET``: an entry whose fill activates a stop loss and a take profit that are OCO.
    ``NONE``: a stand-alone order.
    """

    NONE = "NONE"
    OCO = "OCO"
    OTO = "OTO"
    BRACKET = "BRACKET"
