"""Signed REST endpoints: orders, OCO lists, the account, trades, and listenKeys.

Every handler reads and checks all its parameters before it asks the venue to change
anything, so a malformed request gets Binance's error and leaves the sandbox as it was.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradeforge.sandbox import errors, wire
from tradeforge.sandbox.core import Sandbox
from tradeforge.sandbox.http import keyed, reply, signed_params
from tradeforge.sandbox.order_params import parse_legacy_oco, parse_oco, parse_order
from tradeforge.sandbox.params import Params
from tradeforge.sandbox.records import Fill, OrderListRecord, OrderRecord
from tradeforge.sandbox.tape import Tape

router = APIRouter(prefix="/api/v3")


# -- orders -------------------------------------------------------------------------------------


@router.post("/order")
async def new_order(request: Request) -> Response:
    """Place an order (MARKET, LIMIT, LIMIT_MAKER, STOP_LOSS[_LIMIT], TAKE_PROFIT[_LIMIT])."""
    sandbox, params = await signed_params(request)
    order = parse_order(params)
    record = sandbox.venue.place(order)
    return reply(request, wire.new_order(record, order.response_type))


@router.post("/order/test")
async def test_order(request: Request) -> Response:
    """Check an order as :func:`new_order` would, without placing it."""
    sandbox, params = await signed_params(request)
    sandbox.venue.check(parse_order(params))
    return reply(request, {})


@router.get("/order")
async def query_order(request: Request) -> Response:
    """One order, by ``orderId`` or ``origClientOrderId``."""
    sandbox, params = await signed_params(request, 4)
    return reply(request, wire.order(_find(sandbox, params)))


@router.delete("/order")
async def cancel_order(request: Request) -> Response:
    """Cancel an open order (an OCO leg cancels its whole list)."""
    sandbox, params = await signed_params(request)
    try:
        record = _find(sandbox, params)
    except errors.BinanceError as error:
        if error.code != errors.no_such_order().code:
            raise
        raise errors.unknown_order_cancel() from None
    cancel_id = _cancel_id(sandbox, params)
    sandbox.venue.cancel(record, cancel_id)
    return reply(request, wire.canceled_order(record, cancel_id))


@router.get("/openOrders")
async def open_orders(request: Request) -> Response:
    """The open orders of ``symbol``, or of every market."""
    sandbox, params = await signed_params(request, 6)
    tape = _tape(sandbox, params, required=False)
    records = sandbox.venue.open_orders(tape.symbol if tape else None)
    return reply(request, [wire.order(r) for r in records])


@router.delete("/openOrders")
async def cancel_open_orders(request: Request) -> Response:
    """Cancel every open order of ``symbol``."""
    sandbox, params = await signed_params(request)
    tape = _tape(sandbox, params)
    assert tape is not None
    cancel_id = _cancel_id(sandbox, params)
    records = sandbox.venue.cancel_all(tape.symbol, cancel_id)
    return reply(request, [wire.canceled_order(r, cancel_id) for r in records])


@router.get("/allOrders")
async def all_orders(request: Request) -> Response:
    """Orders of ``symbol`` from ``orderId`` on, or in a time range, oldest first."""
    sandbox, params = await signed_params(request, 20)
    tape = _tape(sandbox, params)
    assert tape is not None
    order_id, start, end = (params.integer(n) for n in ("orderId", "startTime", "endTime"))
    limit = params.limit("limit", 500, 1000)
    records = [
        r for r in sandbox.venue.orders.values()
        if r.symbol == tape.symbol and (order_id is None or r.order_id >= order_id)
        and (start is None or r.time >= start) and (end is None or r.time <= end)
    ]  # fmt: skip
    chosen = records[:limit] if order_id is not None or start is not None else records[-limit:]
    return reply(request, [wire.order(r) for r in chosen])


@router.get("/myTrades")
async def my_trades(request: Request) -> Response:
    """The account's fills in ``symbol``, oldest first."""
    sandbox, params = await signed_params(request, 20)
    tape = _tape(sandbox, params)
    assert tape is not None
    order_id, from_id = params.integer("orderId"), params.integer("fromId")
    start, end = params.integer("startTime"), params.integer("endTime")
    limit = params.limit("limit", 500, 1000)
    fills = [
        f for f in sandbox.venue.fills[tape.symbol] if _wanted(f, (order_id, from_id, start, end))
    ]
    chosen = fills[:limit] if from_id is not None or start is not None else fills[-limit:]
    return reply(request, [wire.my_trade(f) for f in chosen])


@router.get("/account")
async def account(request: Request) -> Response:
    """Balances: free (available to new orders) and locked (resting orders, OCO lists)."""
    sandbox, params = await signed_params(request, 20)
    if (params.text("omitZeroBalances") or "false").lower() == "true":
        balances = [b for b in sandbox.venue.balances() if b[1] or b[2]]
    else:
        balances = sandbox.venue.balances()
    return reply(request, wire.account(balances, sandbox.venue.update_time))


# -- order lists --------------------------------------------------------------------------------


@router.post("/orderList/oco")
async def new_oco(request: Request) -> Response:
    """Place an OCO list (``aboveType``/``belowType``)."""
    sandbox, params = await signed_params(request)
    oco = parse_oco(params)
    listed = sandbox.venue.place_oco(oco)
    return reply(request, _list_body(sandbox, listed, oco.response_type))


@router.post("/order/oco")
async def new_legacy_oco(request: Request) -> Response:
    """Place an OCO list the deprecated way (``price``, ``stopPrice``, ``stopLimitPrice``)."""
    sandbox, params = await signed_params(request)
    oco = parse_legacy_oco(params)
    listed = sandbox.venue.place_oco(oco)
    return reply(request, _list_body(sandbox, listed, oco.response_type))


@router.delete("/orderList")
async def cancel_list(request: Request) -> Response:
    """Cancel an OCO list by ``orderListId`` or ``listClientOrderId``."""
    sandbox, params = await signed_params(request)
    listed = _find_list(sandbox, params, errors.unknown_order_cancel())
    cancel_id = _cancel_id(sandbox, params)
    records = sandbox.venue.cancel_list(listed, cancel_id)
    reports = [wire.canceled_order(r, cancel_id) for r in records]
    return reply(request, wire.order_list(listed, reports))


@router.get("/orderList")
async def query_list(request: Request) -> Response:
    """One OCO list."""
    sandbox, params = await signed_params(request, 4)
    listed = _find_list(sandbox, params, errors.no_such_order())
    return reply(request, _list_body(sandbox, listed, "ACK", reports=False))


@router.get("/openOrderList")
async def open_lists(request: Request) -> Response:
    """The OCO lists still executing."""
    sandbox, _ = await signed_params(request, 6)
    lists = [lst for lst in sandbox.venue.lists.values() if lst.is_open]
    return reply(request, [_list_body(sandbox, lst, "ACK", reports=False) for lst in lists])


@router.get("/allOrderList")
async def all_lists(request: Request) -> Response:
    """Every OCO list, oldest first."""
    sandbox, params = await signed_params(request, 20)
    limit = params.limit("limit", 500, 1000)
    lists = list(sandbox.venue.lists.values())[-limit:]
    return reply(request, [_list_body(sandbox, lst, "ACK", reports=False) for lst in lists])


# -- the legacy user data stream ----------------------------------------------------------------


@router.post("/userDataStream")
async def new_listen_key(request: Request) -> Response:
    """A listenKey for ``/ws/<listenKey>`` (API key only, unsigned)."""
    sandbox, key, _ = await keyed(request, 2)
    return reply(request, {"listenKey": sandbox.new_listen_key(key)})


@router.put("/userDataStream")
async def keep_alive(request: Request) -> Response:
    """Keep a listenKey alive (they never expire here)."""
    sandbox, _, params = await keyed(request, 2)
    sandbox.check_listen_key(params.text("listenKey"))
    return reply(request, {})


@router.delete("/userDataStream")
async def close_listen_key(request: Request) -> Response:
    """Forget a listenKey."""
    sandbox, _, params = await keyed(request, 2)
    key = sandbox.check_listen_key(params.text("listenKey"))
    del sandbox.listen_keys[key]
    return reply(request, {})


# -- helpers ------------------------------------------------------------------------------------


def _tape(sandbox: Sandbox, params: Params, required: bool = True) -> Tape | None:
    symbol_id = params.symbol_id(required=required)
    return None if symbol_id is None else sandbox.tape(symbol_id)


def _find(sandbox: Sandbox, params: Params) -> OrderRecord:
    tape = _tape(sandbox, params)
    assert tape is not None
    order_id, client_id = params.integer("orderId"), params.client_id("origClientOrderId")
    if order_id is None and client_id is None:
        raise errors.BinanceError(
            -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    return sandbox.venue.find(tape.symbol, order_id, client_id)


def _find_list(sandbox: Sandbox, params: Params, missing: errors.BinanceError) -> OrderListRecord:
    list_id, client_id = params.integer("orderListId"), params.client_id("listClientOrderId")
    if params.text("symbol") is not None:
        _tape(sandbox, params)
    if list_id is None and client_id is None:
        raise errors.BinanceError(
            -1102,
            "Param 'listClientOrderId' or 'orderListId' must be sent, but both were empty/null!",
        )
    for listed in sandbox.venue.lists.values():
        if (list_id is None or listed.order_list_id == list_id) and (
            client_id is None or listed.list_client_order_id == client_id
        ):
            return listed
    raise missing


def _cancel_id(sandbox: Sandbox, params: Params) -> str:
    return params.client_id("newClientOrderId") or sandbox.venue.next_cancel_id()


def _list_body(
    sandbox: Sandbox, listed: OrderListRecord, response_type: str, reports: bool = True
) -> dict[str, Any]:
    records = [sandbox.venue.orders[i] for i in listed.order_ids]
    if not reports:
        body = wire.order_list(listed, None)
        body["orders"] = [{"symbol": r.symbol.venue_id, "orderId": r.order_id,
                           "clientOrderId": r.client_order_id} for r in records]  # fmt: skip
        return body
    rows = [wire.new_order(r, "RESULT" if response_type == "ACK" else response_type)
            for r in records]  # fmt: skip
    return wire.order_list(listed, rows)


def _wanted(fill: Fill, filters: tuple[int | None, int | None, int | None, int | None]) -> bool:
    """Whether ``fill`` passes (orderId, fromId, startTime, endTime)."""
    order_id, from_id, start, end = filters
    return (
        (order_id is None or fill.order_id == order_id)
        and (from_id is None or fill.trade_id >= from_id)
        and (start is None or fill.time >= start)
        and (end is None or fill.time <= end)
    )
