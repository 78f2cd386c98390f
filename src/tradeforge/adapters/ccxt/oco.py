"""A position's two exits as one OCO order list at the venue.

On a spot venue each resting exit locks the coin it sells: a stop loss and a take profit sent
as two orders cannot both rest (the second is refused for insufficient balance). Binance's
answer is an OCO list (``POST /api/v3/orderList/oco``): a take profit above the price and a
stop loss below it (the reverse for a buy), one quantity locked once, either leg's fill
cancelling the other at the venue. :func:`oco_params` writes that request from the engine's two
exits; the venue profile names the ccxt method that sends it (``VenueProfile.oco_method``).
"""

from __future__ import annotations

from typing import Any

from tradeforge.model.enums import OrderSide, OrderType
from tradeforge.model.orders import Order

_STOPS = {OrderType.STOP_MARKET: "STOP_LOSS", OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT"}
_TAKES = {OrderType.LIMIT: "LIMIT_MAKER"}


def oco_pair(orders: list[Order]) -> tuple[Order, Order] | None:
    """``(take profit, stop loss)`` when ``orders`` are two exits one OCO list can hold: a limit
    and a stop of one symbol, side and quantity; else None."""
    if len(orders) != 2:
        return None
    takes = [o for o in orders if o.order_type in _TAKES]
    stops = [o for o in orders if o.order_type in _STOPS]
    if len(takes) != 1 or len(stops) != 1:
        return None
    take, stop = takes[0], stops[0]
    same = (take.symbol, take.side, take.quantity) == (stop.symbol, stop.side, stop.quantity)
    return (take, stop) if same else None


def oco_params(exchange: Any, take: Order, stop: Order, list_id: str) -> dict[str, Any]:
    """The ``orderList/oco`` request of ``take`` and ``stop`` (rounded to the market)."""
    symbol = str(stop.symbol)
    market = exchange.market(symbol)

    def price(value: Any) -> str:
        return str(exchange.price_to_precision(symbol, float(value)))

    take_leg = {"Type": _TAKES[take.order_type], "Price": price(take.price),
                "ClientOrderId": take.client_order_id}  # fmt: skip
    stop_leg: dict[str, str] = {"Type": _STOPS[stop.order_type],
                                "StopPrice": price(stop.stop_price),
                                "ClientOrderId": stop.client_order_id}  # fmt: skip
    if stop.order_type is OrderType.STOP_LIMIT:
        stop_leg |= {"Price": price(stop.price), "TimeInForce": "GTC"}
    sell = stop.side is OrderSide.SELL
    above, below = (take_leg, stop_leg) if sell else (stop_leg, take_leg)
    params: dict[str, Any] = {
        "symbol": market["id"], "side": "SELL" if sell else "BUY",
        "quantity": str(exchange.amount_to_precision(symbol, float(stop.quantity))),
        "listClientOrderId": list_id, "newOrderRespType": "FULL",
    }  # fmt: skip
    params |= {f"above{key}": value for key, value in above.items()}
    params |= {f"below{key}": value for key, value in below.items()}
    return params
