"""Orders the node did not send, taken into its books as ``external`` orders.

Reconciliation adopts what the venue shows and the store does not: an open order placed by
someone else (:func:`adopt_open_order`), a fill of an order the node never knew
(:func:`adopt_fill`), and holdings no fill explains (:func:`adopt_holding`). Each becomes an
:class:`~tradeforge.model.orders.Order` tagged ``external``, owned by no strategy, with the
events that bring it to the venue's state, so the store and the portfolio can book it like any
other order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tradeforge.adapters.ccxt.replies import VenueTrade
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderType
from tradeforge.model.events import OrderAccepted, OrderFilled, OrderSubmitted
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity

EXTERNAL = "external"
"""The tag of adopted orders."""
NS_PER_MS = 1_000_000
_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "limit_maker": OrderType.LIMIT,
    "stop_loss": OrderType.STOP_MARKET,
    "stop_loss_limit": OrderType.STOP_LIMIT,
    "take_profit": OrderType.TAKE_PROFIT_MARKET,
    "take_profit_limit": OrderType.TAKE_PROFIT_LIMIT,
}


def adopt_open_order(raw: Mapping[str, Any], trades: Sequence[VenueTrade], now_ns: int) -> Order:
    """An open venue order (ccxt's unified order) as an external order, accepted, with the
    fills it already had.

    Raises
    ------
    KeyError, ValueError
        When the venue's order lacks what an order needs (symbol, side, amount).
    """
    symbol = Symbol.parse(str(raw["symbol"]))
    kind = _TYPES.get(str(raw.get("type") or "").lower(), OrderType.LIMIT)
    ts = int(raw["timestamp"]) * NS_PER_MS if raw.get("timestamp") else now_ns
    venue_id = str(raw["id"])
    order = Order(
        str(raw.get("clientOrderId") or f"ext-{venue_id}"),
        symbol,
        OrderSide(str(raw["side"]).upper()),
        kind,
        Quantity(_decimal(raw["amount"])),
        ts_init=ts,
        price=_price(raw.get("price")) if kind.name.endswith("LIMIT") else None,
        stop_price=_price(raw.get("triggerPrice") or raw.get("stopPrice")),
        post_only=str(raw.get("type")).lower() == "limit_maker",
        tags=(EXTERNAL,),
    )
    _accept(order, ts, venue_id)
    for trade in trades:
        order.apply(fill_event(order.client_order_id, order.side, trade, ts))
    return order


def adopt_fill(trade: VenueTrade, now_ns: int) -> Order:
    """A fill of an order the node does not know, as a filled external market order of its
    own (one per trade: ``ext-<market>-<trade id>``)."""
    ts = trade.ts if trade.ts is not None else now_ns
    if trade.side is None:
        raise ValueError(f"trade {trade.trade_id}: the venue does not say its side")
    cid = f"ext-{trade.symbol.base}{trade.symbol.quote}-{trade.trade_id}"
    order = Order(
        cid, trade.symbol, trade.side, OrderType.MARKET, Quantity(trade.quantity), ts_init=ts,
        tags=(EXTERNAL,),
    )  # fmt: skip
    _accept(order, ts, trade.venue_order_id or cid)
    order.apply(fill_event(cid, trade.side, trade, ts))
    return order


def adopt_holding(symbol: Symbol, quantity: Decimal, price: Price, ts: int) -> Order:
    """Holdings of ``symbol``'s base no fill explains (``quantity`` may be negative: less is
    held than the fills say), as an external market order filled at ``price``, no fee."""
    side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
    cid = f"ext-bal-{symbol.base}-{ts // 1_000_000_000}"
    order = Order(
        cid, symbol, side, OrderType.MARKET, Quantity(abs(quantity)), ts_init=ts,
        tags=(EXTERNAL, "balance"),
    )  # fmt: skip
    _accept(order, ts, cid)
    order.apply(
        OrderFilled(
            ts=ts, client_order_id=cid, symbol=symbol, trade_id=f"bal-{symbol.base}-{ts}",
            venue_order_id=cid, order_side=side, last_qty=Quantity(abs(quantity)),
            last_price=price, fee=Money(0, symbol.quote), liquidity_side=LiquiditySide.TAKER,
        )
    )  # fmt: skip
    return order


def fill_event(cid: str, side: OrderSide, trade: VenueTrade, ts: int) -> OrderFilled:
    """The :class:`OrderFilled` of one of the venue's trades, for order ``cid``."""
    return OrderFilled(
        ts=trade.ts if trade.ts is not None else ts,
        client_order_id=cid,
        symbol=trade.symbol,
        trade_id=trade.trade_id,
        venue_order_id=trade.venue_order_id,
        order_side=side,
        last_qty=Quantity(trade.quantity),
        last_price=Price(trade.price),
        fee=trade.fee or Money(0, trade.symbol.quote),
        liquidity_side=trade.liquidity or LiquiditySide.TAKER,
    )


def _accept(order: Order, ts: int, venue_id: str) -> None:
    cid, symbol = order.client_order_id, order.symbol
    order.apply(OrderSubmitted(ts=ts, client_order_id=cid, symbol=symbol))
    order.apply(OrderAccepted(ts=ts, client_order_id=cid, symbol=symbol, venue_order_id=venue_id))


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def _price(value: Any) -> Price | None:
    if value is None or value == 0:
        return None
    return Price(_decimal(value))
