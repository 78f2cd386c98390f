"""Binance's JSON shapes for the sandbox's records and market data.

REST bodies (orders, fills, trades, klines, tickers, the book) and the events of the user data
stream (``executionReport``, ``outboundAccountPosition``, ``listStatus``). Decimals are written
as Binance writes them: fixed point, 8 decimals. Spot orders never carry ``positionSide`` or
``cumQuote`` (ccxt would read them as contract orders).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeforge.sandbox.instruments import fmt
from tradeforge.sandbox.records import (
    BalanceUpdate,
    Fill,
    ListUpdate,
    OrderListRecord,
    OrderRecord,
    OrderUpdate,
)
from tradeforge.sandbox.tape import Candle, DayStats, Print, Tape

_ZERO = Decimal(0)


# -- orders -----------------------------------------------------------------------------------


def order(record: OrderRecord) -> dict[str, Any]:
    """An order as ``GET /api/v3/order``, ``openOrders`` and ``allOrders`` return it."""
    return {
        "symbol": record.symbol.venue_id,
        "orderId": record.order_id,
        "orderListId": record.order_list_id,
        "clientOrderId": record.client_order_id,
        "price": fmt(record.price),
        "origQty": fmt(record.orig_qty),
        "executedQty": fmt(record.executed_qty),
        "cummulativeQuoteQty": fmt(record.quote_qty),
        "status": record.status,
        "timeInForce": record.time_in_force,
        "type": record.order_type,
        "side": record.side,
        "stopPrice": fmt(record.stop_price),
        "icebergQty": fmt(_ZERO),
        "time": record.time,
        "updateTime": record.update_time,
        "isWorking": not record.is_stop,
        "workingTime": record.time if not record.is_stop else -1,
        "origQuoteOrderQty": fmt(record.orig_quote_qty),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def new_order(record: OrderRecord, response_type: str) -> dict[str, Any]:
    """The answer to ``POST /api/v3/order``: ACK, RESULT or FULL (with ``fills``)."""
    ack = {
        "symbol": record.symbol.venue_id,
        "orderId": record.order_id,
        "orderListId": record.order_list_id,
        "clientOrderId": record.client_order_id,
        "transactTime": record.time,
    }
    if response_type == "ACK":
        return ack
    body = order(record)
    result = {**ack, **{k: body[k] for k in (
        "price", "origQty", "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty", "status",
        "timeInForce", "type", "side", "workingTime", "selfTradePreventionMode",
    )}}  # fmt: skip
    if record.is_stop:
        result["stopPrice"] = body["stopPrice"]
    if response_type == "FULL":
        result["fills"] = [fill(f) for f in record.fills]
    return result


def canceled_order(record: OrderRecord, cancel_client_id: str) -> dict[str, Any]:
    """The answer to ``DELETE /api/v3/order``: ``clientOrderId`` is the cancel's own id."""
    body = order(record)
    result = {
        "symbol": body["symbol"],
        "origClientOrderId": record.client_order_id,
        "orderId": record.order_id,
        "orderListId": record.order_list_id,
        "clientOrderId": cancel_client_id,
        "transactTime": record.update_time,
    }
    for key in ("price", "origQty", "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty",
                "status", "timeInForce", "type", "side", "selfTradePreventionMode"):  # fmt: skip
        result[key] = body[key]
    if record.is_stop:
        result["stopPrice"] = body["stopPrice"]
    return result


def fill(item: Fill) -> dict[str, Any]:
    """One entry of a FULL order answer's ``fills``."""
    return {
        "price": fmt(item.price),
        "qty": fmt(item.qty),
        "commission": fmt(item.commission),
        "commissionAsset": item.commission_asset,
        "tradeId": item.trade_id,
    }


def my_trade(item: Fill) -> dict[str, Any]:
    """A row of ``GET /api/v3/myTrades``."""
    return {
        "symbol": item.symbol.venue_id,
        "id": item.trade_id,
        "orderId": item.order_id,
        "orderListId": item.order_list_id,
        "price": fmt(item.price),
        "qty": fmt(item.qty),
        "quoteQty": fmt(item.quote_qty),
        "commission": fmt(item.commission),
        "commissionAsset": item.commission_asset,
        "time": item.time,
        "isBuyer": item.is_buyer,
        "isMaker": item.is_maker,
        "isBestMatch": True,
    }


def order_list(listed: OrderListRecord, reports: list[dict[str, Any]] | None) -> dict[str, Any]:
    """An OCO list; ``reports`` (the legs' order answers) for new and canceled lists."""
    body: dict[str, Any] = {
        "orderListId": listed.order_list_id,
        "contingencyType": "OCO",
        "listStatusType": listed.status,
        "listOrderStatus": listed.order_status,
        "listClientOrderId": listed.list_client_order_id,
        "transactionTime": listed.time,
        "symbol": listed.symbol.venue_id,
        "orders": [],
    }
    if reports is not None:
        body["orderReports"] = reports
        body["orders"] = [{"symbol": r["symbol"], "orderId": r["orderId"],
                           "clientOrderId": r.get("clientOrderId")} for r in reports]  # fmt: skip
    return body


def account(balances: list[tuple[str, Decimal, Decimal]], update_time: int) -> dict[str, Any]:
    """``GET /api/v3/account``."""
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": update_time,
        "accountType": "SPOT",
        "balances": [{"asset": a, "free": fmt(f), "locked": fmt(lk)} for a, f, lk in balances],
        "permissions": ["SPOT"],
        "uid": 1,
    }


# -- user data stream ---------------------------------------------------------------------------


def execution_report(update: OrderUpdate, event_time: int) -> dict[str, Any]:
    """``executionReport`` for one order change (NEW, TRADE, CANCELED, EXPIRED)."""
    record, item = update.order, update.fill
    canceled = update.execution in ("CANCELED", "EXPIRED")
    return {
        "e": "executionReport", "E": event_time, "s": record.symbol.venue_id,
        "c": update.cancel_client_id if canceled and update.cancel_client_id
        else record.client_order_id,
        "S": record.side, "o": record.order_type, "f": record.time_in_force,
        "q": fmt(record.orig_qty), "p": fmt(record.price), "P": fmt(record.stop_price),
        "F": fmt(_ZERO), "g": record.order_list_id,
        "C": record.client_order_id if canceled and update.cancel_client_id else "",
        "x": update.execution, "X": update.status or record.status, "r": "NONE",
        "i": record.order_id,
        "l": fmt(item.qty if item else _ZERO), "z": fmt(update.executed_qty),
        "L": fmt(item.price if item else _ZERO),
        "n": fmt(item.commission if item else _ZERO),
        "N": item.commission_asset if item else None,
        "T": update.time, "t": item.trade_id if item else -1, "v": 0, "I": 0,
        "w": update.status in ("NEW", "PARTIALLY_FILLED") and not record.is_stop,
        "m": item.is_maker if item else False, "M": False, "O": record.time,
        "Z": fmt(update.quote_qty), "Y": fmt(item.quote_qty if item else _ZERO),
        "Q": fmt(record.orig_quote_qty), "W": record.time, "V": "EXPIRE_MAKER",
    }  # fmt: skip


def account_position(update: BalanceUpdate, event_time: int) -> dict[str, Any]:
    """``outboundAccountPosition``: the balances of the assets that changed."""
    return {
        "e": "outboundAccountPosition",
        "E": event_time,
        "u": update.time,
        "B": [{"a": a, "f": fmt(f), "l": fmt(lk)} for a, f, lk in update.balances],
    }


def list_status(update: ListUpdate, event_time: int) -> dict[str, Any]:
    """``listStatus`` of an OCO list."""
    listed = update.order_list
    return {
        "e": "listStatus", "E": event_time, "s": listed.symbol.venue_id,
        "g": listed.order_list_id, "c": "OCO", "l": update.status, "L": update.order_status,
        "r": "NONE", "C": listed.list_client_order_id, "T": update.time,
        "O": [{"s": listed.symbol.venue_id, "i": i, "c": ""} for i in listed.order_ids],
    }  # fmt: skip


# -- market data --------------------------------------------------------------------------------


def kline_row(candle: Candle) -> list[Any]:
    """A row of ``GET /api/v3/klines``."""
    return [
        candle.open_time, fmt(candle.open), fmt(candle.high), fmt(candle.low), fmt(candle.close),
        fmt(candle.volume), candle.close_time, fmt(candle.quote_volume), candle.trades,
        fmt(candle.taker_base), fmt(candle.taker_quote), "0",
    ]  # fmt: skip


def agg_trade(trade: Print) -> dict[str, Any]:
    """A row of ``GET /api/v3/aggTrades`` (each synthetic trade is its own aggregate)."""
    tid = trade.seq + 1
    return {"a": tid, "p": fmt(trade.price), "q": fmt(trade.qty), "f": tid, "l": tid,
            "T": trade.time, "m": trade.buyer_maker, "M": True}  # fmt: skip


def trade_row(trade: Print) -> dict[str, Any]:
    """A row of ``GET /api/v3/trades``."""
    return {
        "id": trade.seq + 1, "price": fmt(trade.price), "qty": fmt(trade.qty),
        "quoteQty": fmt(trade.price * trade.qty), "time": trade.time,
        "isBuyerMaker": trade.buyer_maker, "isBestMatch": True,
    }  # fmt: skip


def depth(tape: Tape, last: Print, limit: int) -> dict[str, Any]:
    """``GET /api/v3/depth``: the book around the last trade, ``lastUpdateId`` = its seq + 1."""
    bids, asks = tape.book(last.ticks, limit)
    qty = fmt(tape.level_qty)
    return {
        "lastUpdateId": last.seq + 1,
        "bids": [[fmt(tape.price(t)), qty] for t in bids],
        "asks": [[fmt(tape.price(t)), qty] for t in asks],
    }


def ticker_24h(tape: Tape, stats: DayStats, mini: bool = False) -> dict[str, Any]:
    """``GET /api/v3/ticker/24hr`` (FULL, or MINI without book and change fields)."""
    change = stats.last - stats.open
    percent = (change / stats.open * 100).quantize(Decimal("0.001")) if stats.open else _ZERO
    vwap = stats.quote_volume / stats.volume if stats.volume else stats.last
    body: dict[str, Any] = {"symbol": tape.symbol.venue_id}
    if not mini:
        bids, asks = tape.book(_ticks(tape, stats.last), 1)
        body |= {
            "priceChange": fmt(change), "priceChangePercent": str(percent),
            "weightedAvgPrice": fmt(vwap), "prevClosePrice": fmt(stats.prev_close),
            "lastPrice": fmt(stats.last), "lastQty": fmt(stats.last_qty),
            "bidPrice": fmt(tape.price(bids[0])) if bids else fmt(_ZERO),
            "bidQty": fmt(tape.level_qty), "askPrice": fmt(tape.price(asks[0])),
            "askQty": fmt(tape.level_qty),
        }  # fmt: skip
    else:
        body["lastPrice"] = fmt(stats.last)
    return body | {
        "openPrice": fmt(stats.open), "highPrice": fmt(stats.high), "lowPrice": fmt(stats.low),
        "volume": fmt(stats.volume), "quoteVolume": fmt(stats.quote_volume),
        "openTime": stats.open_time, "closeTime": stats.close_time,
        "firstId": stats.first_seq + 1, "lastId": stats.last_seq + 1,
        "count": stats.last_seq - stats.first_seq + 1,
    }  # fmt: skip


def book_ticker(tape: Tape, last: Print) -> dict[str, Any]:
    """``GET /api/v3/ticker/bookTicker``."""
    bids, asks = tape.book(last.ticks, 1)
    qty = fmt(tape.level_qty)
    return {
        "symbol": tape.symbol.venue_id,
        "bidPrice": fmt(tape.price(bids[0])) if bids else fmt(_ZERO),
        "bidQty": qty,
        "askPrice": fmt(tape.price(asks[0])),
        "askQty": qty,
    }


def _ticks(tape: Tape, price: Decimal) -> int:
    return int(price / tape.tick)
