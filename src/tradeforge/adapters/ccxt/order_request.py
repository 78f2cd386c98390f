"""A kernel :class:`~tradeforge.model.orders.Order` as the arguments of ccxt's ``create_order``.

The order type becomes ccxt's unified type and trigger parameter (``stopLossPrice`` for a
stop, ``takeProfitPrice`` for a take profit: Binance spot's ``STOP_LOSS[_LIMIT]`` and
``TAKE_PROFIT[_LIMIT]``), the client order id ccxt's unified ``clientOrderId`` (Binance's
``newClientOrderId``), and quantity, price and trigger are rounded to the market's precision
(:mod:`.normalize`). What the venue does not take (a type or time in force outside the
venue's profile, an id too long) is refused here, before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradeforge.adapters.ccxt.errors import OrderRefusedError
from tradeforge.adapters.ccxt.normalize import amount_to_precision, price_to_precision
from tradeforge.adapters.ccxt.venues import VenueProfile
from tradeforge.model.enums import OrderType, TimeInForce
from tradeforge.model.orders import Order

UNIFIED_TYPES: dict[OrderType, tuple[str, str | None]] = {
    OrderType.MARKET: ("market", None),
    OrderType.LIMIT: ("limit", None),
    OrderType.STOP_MARKET: ("market", "stopLossPrice"),
    OrderType.STOP_LIMIT: ("limit", "stopLossPrice"),
    OrderType.TAKE_PROFIT_MARKET: ("market", "takeProfitPrice"),
    OrderType.TAKE_PROFIT_LIMIT: ("limit", "takeProfitPrice"),
}
"""Kernel order type → ccxt's unified type and the parameter carrying the trigger."""


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What is sent for one order.

    Attributes
    ----------
    symbol, type, side : str
        ccxt's symbol, unified type and side.
    amount : Decimal or None
        The quantity as the venue will take it (None for a quote-quantity market buy).
    price : Decimal or None
        The limit price, rounded to the tick.
    stop_price : Decimal or None
        The trigger, rounded to the tick.
    cost : Decimal or None
        The quote amount of a quote-quantity market buy.
    params : dict
        ccxt parameters: client order id, trigger, time in force, post-only.
    """

    symbol: str
    type: str
    side: str
    amount: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    cost: Decimal | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def changes(self, order: Order) -> dict[str, Decimal]:
        """What rounding changed: ``quantity``, ``price``, ``stop_price`` as sent, for the
        fields that differ from the kernel's order (the kernel is told with an update)."""
        out: dict[str, Decimal] = {}
        pairs = (
            ("quantity", self.amount, order.quantity),
            ("price", self.price, order.price),
            ("stop_price", self.stop_price, order.stop_price),
        )
        for name, sent, held in pairs:
            if sent is not None and held is not None and sent != held:
                out[name] = sent
        return out


def build_request(
    exchange: Any,
    profile: VenueProfile,
    order: Order,
    venue_client_id: str,
    *,
    quote_quantity: Decimal | None = None,
    quantity: Decimal | None = None,
) -> OrderRequest:
    """The request for ``order``, rounded to the market.

    Parameters
    ----------
    exchange : ccxt exchange
        With markets loaded (precision).
    profile : VenueProfile
        The types, times in force and id length the venue takes.
    order : Order
        The kernel's order.
    venue_client_id : str
        The client order id to send (the kernel's, or a replacement's).
    quote_quantity : Decimal, optional
        Spend this much quote currency (a market buy only).
    quantity : Decimal, optional
        Send this quantity instead of the order's (a replacement of a partly filled order).

    Raises
    ------
    OrderRefusedError
        When the venue would not take the order as it is.
    """
    _check_supported(profile, order, venue_client_id)
    symbol = str(order.symbol)
    kind, trigger = UNIFIED_TYPES[order.order_type]
    params: dict[str, Any] = {"clientOrderId": venue_client_id}
    stop = (
        None if order.stop_price is None else price_to_precision(exchange, symbol, order.stop_price)
    )
    if trigger is not None and stop is not None:
        params[trigger] = float(stop)
    price = None if order.price is None else price_to_precision(exchange, symbol, order.price)
    if kind == "limit":
        if order.post_only:
            params["postOnly"] = True
        elif order.time_in_force is not TimeInForce.GTC:
            params["timeInForce"] = order.time_in_force.value
    if order.reduce_only and order.symbol.is_derivative:
        params["reduceOnly"] = True
    side = order.side.value.lower()
    if quote_quantity is not None:
        return _quote_request(exchange, order, quote_quantity, params)
    amount = amount_to_precision(
        exchange, symbol, quantity if quantity is not None else order.quantity
    )
    return OrderRequest(symbol, kind, side, amount, price, stop, None, params)


def _quote_request(
    exchange: Any, order: Order, quote_quantity: Decimal, params: dict[str, Any]
) -> OrderRequest:
    symbol, side = str(order.symbol), order.side.value.lower()
    if order.order_type is not OrderType.MARKET or side != "buy":
        raise OrderRefusedError(
            f"order {order.client_order_id}: a quote quantity needs a market buy"
        )
    if not exchange.has.get("createMarketBuyOrderWithCost"):
        raise OrderRefusedError(f"{exchange.id} takes no market buy by quote quantity")
    cost = price_to_precision(exchange, symbol, quote_quantity)
    return OrderRequest(symbol, "market", side, None, None, None, cost, params)


def _check_supported(profile: VenueProfile, order: Order, venue_client_id: str) -> None:
    cid = order.client_order_id
    if order.order_type not in profile.order_types or order.order_type not in UNIFIED_TYPES:
        raise OrderRefusedError(
            f"order {cid}: {profile.exchange_id} takes no {order.order_type.name} orders"
        )
    if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
        tif = order.time_in_force
        if tif not in profile.time_in_force:
            raise OrderRefusedError(
                f"order {cid}: {profile.exchange_id} takes no {tif.name} orders"
            )
    if len(venue_client_id) > profile.max_client_order_id:
        raise OrderRefusedError(
            f"order {cid}: client order id {venue_client_id!r} is longer than "
            f"{profile.max_client_order_id} characters"
        )
