"""New-order requests as Binance reads them: ``POST /api/v3/order`` and the OCO endpoints.

The parsers check which parameters each order type needs and refuses, with Binance's codes
(-1102 missing, -1106 not required, -1115/-1116/-1117 bad values), and return typed requests;
the venue then checks them against the market (filters, balance, triggers).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeforge.model.enums import OrderSide
from tradeforge.sandbox import errors
from tradeforge.sandbox.instruments import ORDER_TYPES
from tradeforge.sandbox.params import Params

SIDES = {"BUY": OrderSide.BUY, "SELL": OrderSide.SELL}
TIMES_IN_FORCE = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK"}
RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
_WITH_PRICE = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_WITH_STOP = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
_WITH_TIME_IN_FORCE = frozenset({"LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
_UNSUPPORTED = ("trailingDelta", "icebergQty", "strategyId", "strategyType", "pegPriceType")
_ABOVE_SELL = frozenset({"LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
_BELOW_SELL = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT"})


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A validated new order (not yet checked against the market).

    Attributes
    ----------
    symbol_id : str
        Binance's id (``BTCUSDT``).
    side : OrderSide
    order_type : str
        Binance's type (``MARKET``, ``LIMIT``, ``LIMIT_MAKER``, ``STOP_LOSS``,
        ``STOP_LOSS_LIMIT``, ``TAKE_PROFIT``, ``TAKE_PROFIT_LIMIT``).
    quantity, quote_qty : Decimal or None
        Base quantity, or (market orders only) the quote amount to spend.
    price, stop_price : Decimal or None
    time_in_force : str
        ``GTC``, ``IOC`` or ``FOK``.
    client_order_id : str or None
    response_type : str
        ``ACK``, ``RESULT`` or ``FULL``.
    """

    symbol_id: str
    side: OrderSide
    order_type: str
    quantity: Decimal | None
    quote_qty: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: str
    client_order_id: str | None
    response_type: str


@dataclass(frozen=True, slots=True)
class OcoRequest:
    """A validated one-cancels-the-other list: a leg above and a leg below the market."""

    symbol_id: str
    side: OrderSide
    quantity: Decimal
    above: OrderRequest
    below: OrderRequest
    list_client_order_id: str | None
    response_type: str


def parse_order(params: Params) -> OrderRequest:
    """Read ``POST /api/v3/order`` (and ``/order/test``).

    Raises
    ------
    BinanceError
        For a missing, superfluous or malformed parameter.
    """
    symbol_id = params.symbol_id()
    assert symbol_id is not None
    side = params.choice("side", SIDES, errors.bad_side())
    kind = params.choice("type", dict.fromkeys(ORDER_TYPES), errors.bad_order_type())
    for name in _UNSUPPORTED:
        if params.text(name) is not None:
            raise errors.not_required(name)
    quantity, quote_qty = _quantities(params, kind)
    return OrderRequest(
        symbol_id=symbol_id,
        side=SIDES[side],
        order_type=kind,
        quantity=quantity,
        quote_qty=quote_qty,
        price=_only_for(params, "price", kind in _WITH_PRICE),
        stop_price=_only_for(params, "stopPrice", kind in _WITH_STOP),
        time_in_force=_time_in_force(params, "timeInForce", kind),
        client_order_id=params.client_id("newClientOrderId"),
        response_type=response_type(params, "FULL" if kind in ("MARKET", "LIMIT") else "ACK"),
    )


def response_type(params: Params, default: str) -> str:
    """``newOrderRespType``: ACK, RESULT or FULL."""
    value = (params.text("newOrderRespType") or default).upper()
    if value not in RESPONSE_TYPES:
        raise errors.invalid_value("newOrderRespType")
    return value


def _quantities(params: Params, kind: str) -> tuple[Decimal | None, Decimal | None]:
    quantity = params.positive("quantity")
    quote_qty = params.positive("quoteOrderQty")
    if kind != "MARKET":
        if quote_qty is not None:
            raise errors.not_required("quoteOrderQty")
        if quantity is None:
            raise errors.mandatory("quantity")
        return quantity, None
    if quantity is not None and quote_qty is not None:
        raise errors.not_required("quoteOrderQty")
    if quantity is None and quote_qty is None:
        raise errors.BinanceError(
            -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
        )
    return quantity, quote_qty


def _only_for(params: Params, name: str, needed: bool) -> Decimal | None:
    value = params.positive(name, required=needed)
    if value is not None and not needed:
        raise errors.not_required(name)
    return value


def _time_in_force(params: Params, name: str, kind: str) -> str:
    value = params.text(name)
    if kind not in _WITH_TIME_IN_FORCE:
        if value is not None:
            raise errors.not_required(name)
        return "GTC"
    if value is None:
        raise errors.mandatory(name)
    if value.upper() not in TIMES_IN_FORCE:
        raise errors.bad_time_in_force()
    return value.upper()


def parse_oco(params: Params) -> OcoRequest:
    """Read ``POST /api/v3/orderList/oco`` (``aboveType``/``belowType`` legs).

    Raises
    ------
    BinanceError
        For a missing, superfluous or malformed parameter, or legs on the wrong side.
    """
    symbol_id = params.symbol_id()
    assert symbol_id is not None
    side = SIDES[params.choice("side", SIDES, errors.bad_side())]
    quantity = params.positive("quantity", required=True)
    assert quantity is not None
    legs = []
    for where in ("above", "below"):
        kind = params.choice(f"{where}Type", dict.fromkeys(ORDER_TYPES), errors.bad_order_type())
        legs.append(OrderRequest(
            symbol_id=symbol_id, side=side, order_type=kind, quantity=quantity, quote_qty=None,
            price=_only_for(params, f"{where}Price", kind in _WITH_PRICE),
            stop_price=_only_for(params, f"{where}StopPrice", kind in _WITH_STOP),
            time_in_force=_time_in_force(params, f"{where}TimeInForce", kind),
            client_order_id=params.client_id(f"{where}ClientOrderId"), response_type="FULL",
        ))  # fmt: skip
    return _oco(params, (symbol_id, side, quantity), legs[0], legs[1])


def parse_legacy_oco(params: Params) -> OcoRequest:
    """Read the deprecated ``POST /api/v3/order/oco``: a LIMIT_MAKER at ``price`` and a
    STOP_LOSS(_LIMIT) at ``stopPrice`` (``stopLimitPrice``)."""
    symbol_id = params.symbol_id()
    assert symbol_id is not None
    side = SIDES[params.choice("side", SIDES, errors.bad_side())]
    quantity = params.positive("quantity", required=True)
    assert quantity is not None
    limit_price = params.positive("price", required=True)
    stop_limit = params.positive("stopLimitPrice")
    stop_kind = "STOP_LOSS" if stop_limit is None else "STOP_LOSS_LIMIT"
    tif = _time_in_force(params, "stopLimitTimeInForce", stop_kind)
    limit = OrderRequest(symbol_id, side, "LIMIT_MAKER", quantity, None, limit_price, None,
                         "GTC", params.client_id("limitClientOrderId"), "FULL")  # fmt: skip
    stop = OrderRequest(symbol_id, side, stop_kind, quantity, None, stop_limit,
                        params.positive("stopPrice", required=True), tif,
                        params.client_id("stopClientOrderId"), "FULL")  # fmt: skip
    above, below = (limit, stop) if side is OrderSide.SELL else (stop, limit)
    return _oco(params, (symbol_id, side, quantity), above, below)


def _oco(
    params: Params,
    head: tuple[str, OrderSide, Decimal],
    above: OrderRequest,
    below: OrderRequest,
) -> OcoRequest:
    """The list of ``(symbol id, side, quantity)`` with its two legs, checked for sides."""
    symbol_id, side, quantity = head
    sell = side is OrderSide.SELL
    above_ok = above.order_type in (_ABOVE_SELL if sell else _BELOW_SELL)
    below_ok = below.order_type in (_BELOW_SELL if sell else _ABOVE_SELL)
    if not (above_ok and below_ok):
        raise errors.BinanceError(-1166, "Invalid order types for the legs of an OCO order list.")
    return OcoRequest(
        symbol_id=symbol_id,
        side=side,
        quantity=quantity,
        above=above,
        below=below,
        list_client_order_id=params.client_id("listClientOrderId"),
        response_type=response_type(params, "ACK"),
    )
