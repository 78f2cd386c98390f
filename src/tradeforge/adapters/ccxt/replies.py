"""ccxt's unified replies read into typed values, refusing anything malformed.

Each ``parse_*`` function takes one ccxt structure (a dict or a candle row), checks the
fields it needs (present, of the right type, finite, in range) and returns a frozen value, or
raises :class:`~tradeforge.adapters.ccxt.errors.MalformedReplyError` whose message names the
field and whose ``raw`` is the venue's payload (ccxt's ``info`` when there is one), so the
caller can log it and drop the reply: a hostile reply never reaches the kernel.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from tradeforge.adapters.ccxt.errors import MalformedReplyError
from tradeforge.model.account import AccountBalance
from tradeforge.model.enums import LiquiditySide, OrderSide
from tradeforge.model.symbol import Symbol, SymbolError
from tradeforge.model.values import Money, Price, Quantity

NS_PER_MS = 1_000_000
_log = logging.getLogger("tradeforge.adapters")
OhlcvRow = tuple[int, float, float, float, float, float]
"""A candle: open time (ms), open, high, low, close, volume."""


class VenueOrderStatus(Enum):
    """ccxt's unified order status."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        """No further change can come."""
        return self is not VenueOrderStatus.OPEN


_STATUS = {s.value: s for s in VenueOrderStatus} | {"canceling": VenueOrderStatus.OPEN}


@dataclass(frozen=True, slots=True)
class VenueTrade:
    """One fill of one of our orders, as the venue reports it.

    ``fee`` is None when the venue does not say; ``liquidity`` None when unknown.
    """

    trade_id: str
    venue_order_id: str | None
    symbol: Symbol
    side: OrderSide | None
    quantity: Quantity
    price: Price
    fee: Money | None
    liquidity: LiquiditySide | None
    ts: int | None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """An order's state at the venue (a reply, a query or a stream update)."""

    venue_order_id: str
    client_order_id: str | None
    symbol: Symbol
    status: VenueOrderStatus
    amount: Quantity | None
    filled: Quantity
    ts: int | None
    trades: tuple[VenueTrade, ...] = ()
    raw: Any = None


@dataclass(frozen=True, slots=True)
class VenueTicker:
    """A market's ticker: last price, best bid and ask when the stream carries them."""

    symbol: Symbol
    ts: int | None
    last: Price | None
    bid: Price | None
    ask: Price | None
    high: Price | None
    low: Price | None
    base_volume: Decimal | None
    raw: Any = None


def raw_of(reply: Any) -> Any:
    """What the venue sent: ccxt's ``info`` when present, else the reply itself."""
    if isinstance(reply, Mapping) and reply.get("info") is not None:
        return reply["info"]
    return reply


def _fail(what: str, reply: Any) -> MalformedReplyError:
    return MalformedReplyError(f"malformed venue reply: {what}", raw_of(reply))


def _mapping(reply: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(reply, Mapping):
        raise _fail(f"{what} is a {type(reply).__name__}, not an object", reply)
    return reply


def decimal_field(reply: Mapping[str, Any], name: str, *, required: bool = True) -> Decimal | None:
    """A finite number field as an exact decimal (floats through their shortest repr)."""
    value = reply.get(name)
    if value is None:
        if required:
            raise _fail(f"{name} is missing", reply)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _fail(f"{name} is a {type(value).__name__}, not a number", reply)
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise _fail(f"{name}={value!r} is not a number", reply) from None
    if not number.is_finite():
        raise _fail(f"{name}={value!r} is not finite", reply)
    return number


def _text(reply: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = reply.get(name)
    if value is None or value == "":
        if required:
            raise _fail(f"{name} is missing", reply)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(f"{name} is a {type(value).__name__}, not text", reply)
    return str(value)


def _ts_ns(reply: Mapping[str, Any], name: str = "timestamp") -> int | None:
    value = reply.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _fail(f"{name}={value!r} is not a time in ms", reply)
    return int(value) * NS_PER_MS


def _symbol(reply: Mapping[str, Any]) -> Symbol:
    text = _text(reply, "symbol")
    try:
        return Symbol.parse(text)
    except SymbolError as error:
        raise _fail(f"symbol {text!r}: {error}", reply) from None


def _positive(reply: Mapping[str, Any], name: str) -> Decimal:
    number = decimal_field(reply, name)
    assert number is not None
    if number <= 0:
        raise _fail(f"{name}={number} is not positive", reply)
    return number


def _side(reply: Mapping[str, Any]) -> OrderSide | None:
    side = reply.get("side")
    if side is None:
        return None
    if side not in ("buy", "sell"):
        raise _fail(f"side={side!r} is neither buy nor sell", reply)
    return OrderSide.BUY if side == "buy" else OrderSide.SELL


def _fee(reply: Mapping[str, Any]) -> Money | None:
    fee = reply.get("fee")
    if fee is None:
        return None
    fee = _mapping(fee, "fee")
    cost, currency = decimal_field(fee, "cost", required=False), fee.get("currency")
    if cost is None and currency is None:
        return None
    if cost is None or not isinstance(currency, str) or not currency:
        raise _fail(f"fee {dict(fee)!r} needs a cost and a currency", reply)
    return Money(cost, currency)


def _liquidity(reply: Mapping[str, Any]) -> LiquiditySide | None:
    kind = reply.get("takerOrMaker")
    if kind is None:
        return None
    if kind not in ("taker", "maker"):
        raise _fail(f"takerOrMaker={kind!r} is neither taker nor maker", reply)
    return LiquiditySide.MAKER if kind == "maker" else LiquiditySide.TAKER


def parse_trade(reply: Any) -> VenueTrade:
    """One of our fills (``fetch_my_trades``, ``watch_my_trades``, an order's ``trades``)."""
    trade = _mapping(reply, "trade")
    trade_id = _text(trade, "id")
    assert trade_id is not None
    return VenueTrade(
        trade_id=trade_id,
        venue_order_id=_text(trade, "order", required=False),
        symbol=_symbol(trade),
        side=_side(trade),
        quantity=Quantity(_positive(trade, "amount")),
        price=Price(_positive(trade, "price")),
        fee=_fee(trade),
        liquidity=_liquidity(trade),
        ts=_ts_ns(trade),
        raw=raw_of(trade),
    )


def parse_order(reply: Any) -> VenueOrder:
    """An order (``create_order``, ``fetch_order``, ``cancel_order``, ``watch_orders``).

    Trades embedded in the reply inherit the order's id, symbol, side and time when they
    lack them (Binance's ``fills`` carry none).
    """
    order = _mapping(reply, "order")
    status_text = order.get("status")
    status = _STATUS.get(status_text) if isinstance(status_text, str) else None
    if status is None:
        raise _fail(f"status={status_text!r} is not an order status", order)
    venue_id = _text(order, "id")
    assert venue_id is not None
    filled = decimal_field(order, "filled", required=False) or Decimal(0)
    amount = decimal_field(order, "amount", required=False)
    if filled < 0 or (amount is not None and (amount < 0 or filled > amount)):
        raise _fail(f"filled {filled} does not fit amount {amount}", order)
    ts = _ts_ns(order, "lastUpdateTimestamp") or _ts_ns(order)
    inherited = {"order": venue_id, "symbol": order.get("symbol"), "side": order.get("side")}
    trades = tuple(
        parse_trade({**inherited, "timestamp": order.get("timestamp"), **_present(t)})
        for t in order.get("trades") or ()
    )
    return VenueOrder(
        venue_order_id=venue_id,
        client_order_id=_text(order, "clientOrderId", required=False),
        symbol=_symbol(order),
        status=status,
        amount=None if amount is None else Quantity(amount),
        filled=Quantity(filled),
        ts=ts,
        trades=trades,
        raw=raw_of(order),
    )


def _present(trade: Any) -> dict[str, Any]:
    """The fields of an embedded trade that carry a value (so inherited ones fill the gaps)."""
    if not isinstance(trade, Mapping):
        raise _fail(f"embedded trade is a {type(trade).__name__}", trade)
    return {key: value for key, value in trade.items() if value is not None}


def parse_balances(reply: Any) -> dict[str, AccountBalance]:
    """``fetch_balance`` / ``watch_balance``: currency → free and locked."""
    balance = _mapping(reply, "balance")
    out: dict[str, AccountBalance] = {}
    free, used = balance.get("free") or {}, balance.get("used") or {}
    for currency in sorted(set(free) | set(used)):
        amounts = {"free": free.get(currency) or 0, "used": used.get(currency) or 0}
        free_amount, used_amount = (decimal_field(amounts, k) for k in ("free", "used"))
        assert free_amount is not None
        assert used_amount is not None
        out[currency] = AccountBalance(Money(free_amount, currency), Money(used_amount, currency))
    return out


def parse_ohlcv(row: Any) -> OhlcvRow:
    """One candle ``[ms, open, high, low, close, volume]``; a missing volume counts as 0.

    Raises
    ------
    MalformedReplyError
        On a short row, a time that is not an integer, prices that are not finite and
        positive, a negative volume, or a high/low that does not contain open and close.
    """
    if not isinstance(row, list | tuple) or len(row) < 5:
        raise MalformedReplyError(f"malformed venue reply: candle {row!r} is not a row", row)
    ts = row[0]
    if isinstance(ts, bool) or not isinstance(ts, int | float) or ts != int(ts) or ts < 0:
        raise MalformedReplyError(f"malformed venue reply: candle time {ts!r}", row)
    values = [_candle_number(v, row) for v in row[1:5]]
    volume = _candle_number(row[5] if len(row) > 5 and row[5] is not None else 0, row)
    o, h, low, c = values
    if min(values) <= 0 or volume < 0 or h < max(o, c) or low > min(o, c):
        raise MalformedReplyError(
            f"malformed venue reply: candle {row!r} breaks 0 < low <= open, close <= high", row
        )
    return int(ts), o, h, low, c, volume


def _candle_number(value: Any, row: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedReplyError(f"malformed venue reply: candle value {value!r}", row)
    try:
        number = float(value)
    except ValueError:
        raise MalformedReplyError(f"malformed venue reply: candle value {value!r}", row) from None
    if not math.isfinite(number):
        raise MalformedReplyError(f"malformed venue reply: candle value {value!r}", row)
    return number


def parse_ticker(reply: Any) -> VenueTicker:
    """``watch_ticker`` / ``fetch_ticker``."""
    ticker = _mapping(reply, "ticker")

    def price(name: str) -> Price | None:
        value = decimal_field(ticker, name, required=False)
        return None if value is None or value <= 0 else Price(value)

    return VenueTicker(
        symbol=_symbol(ticker),
        ts=_ts_ns(ticker),
        last=price("last"),
        bid=price("bid"),
        ask=price("ask"),
        high=price("high"),
        low=price("low"),
        base_volume=decimal_field(ticker, "baseVolume", required=False),
        raw=raw_of(ticker),
    )


def parse_each(items: Any, parse: Callable[[Any], Any], what: str) -> list[Any]:
    """Each item of a reply (a list, or one item) parsed with ``parse``; a malformed one is
    logged with its payload and skipped."""
    out = []
    for item in items if isinstance(items, list) else [items]:
        try:
            out.append(parse(item))
        except MalformedReplyError as error:
            _log.warning("%s dropped: %s; raw=%r", what, error, error.raw)
    return out
