"""Public REST endpoints: ``/api/v3/ping``, ``time``, ``exchangeInfo``, ``depth``, ``trades``,
``aggTrades``, ``klines``, ``avgPrice`` and the tickers.

Market data is read from the tapes up to the market time of now: nothing of the future leaks.
``/api/v3/time`` answers the wall clock (ccxt's time sync and the signature checks use it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradeforge.model.timeframe import Timeframe, TimeframeError
from tradeforge.sandbox import errors, wire
from tradeforge.sandbox.core import Sandbox
from tradeforge.sandbox.http import public_params, reply
from tradeforge.sandbox.instruments import exchange_info, fmt
from tradeforge.sandbox.limits import depth_weight
from tradeforge.sandbox.params import Params
from tradeforge.sandbox.tape import Tape

router = APIRouter(prefix="/api/v3")
_AVERAGE_MS = 5 * 60_000
_HOUR_MS = 3_600_000


@router.get("/ping")
async def ping(request: Request) -> Response:
    """Connectivity."""
    await public_params(request)
    return reply(request, {})


@router.get("/time")
async def server_time(request: Request) -> Response:
    """The server's wall-clock time."""
    sandbox, _ = await public_params(request)
    return reply(request, {"serverTime": sandbox.wall_ms()})


@router.get("/exchangeInfo")
async def info(request: Request) -> Response:
    """The markets and their filters (``symbol`` or ``symbols`` narrow the list)."""
    sandbox, params = await public_params(request, 20)
    tapes = _chosen(sandbox, params) or sandbox.tapes
    return reply(request, exchange_info([t.instrument for t in tapes], sandbox.wall_ms()))


@router.get("/depth")
async def depth(request: Request) -> Response:
    """The synthetic book around the last trade."""
    sandbox, params = await public_params(request)
    limit = params.limit("limit", 100, 5000)
    sandbox.weights.take(depth_weight(limit) - 1)
    tape = _one(sandbox, params)
    return reply(request, wire.depth(tape, sandbox.last_trade(tape.symbol), limit))


@router.get("/trades")
async def trades(request: Request) -> Response:
    """The latest trades."""
    sandbox, params = await public_params(request, 25)
    tape, limit = _one(sandbox, params), params.limit("limit", 500, 1000)
    last = sandbox.last_trade(tape.symbol).seq
    return reply(request, [wire.trade_row(t) for t in tape.trades(last - limit + 1, last)])


@router.get("/historicalTrades")
async def historical_trades(request: Request) -> Response:
    """Older trades from ``fromId`` on (or the latest)."""
    sandbox, params = await public_params(request, 25)
    tape, limit = _one(sandbox, params), params.limit("limit", 500, 1000)
    last = sandbox.last_trade(tape.symbol).seq
    from_id = params.integer("fromId")
    first = last - limit + 1 if from_id is None else from_id - 1
    rows = tape.trades(first, min(last, first + limit - 1))
    return reply(request, [wire.trade_row(t) for t in rows])


@router.get("/aggTrades")
async def agg_trades(request: Request) -> Response:
    """Aggregate trades (each synthetic trade is one), by id, by time or the latest."""
    sandbox, params = await public_params(request, 2)
    tape, limit = _one(sandbox, params), params.limit("limit", 500, 1000)
    last = sandbox.last_trade(tape.symbol).seq
    from_id, start, end = (params.integer(n) for n in ("fromId", "startTime", "endTime"))
    if start is not None and end is not None and not 0 <= end - start <= _HOUR_MS:
        raise errors.invalid_value("endTime")
    if from_id is not None:
        first, final = from_id - 1, last
    elif start is not None or end is not None:
        final = min(last, tape.seq_at(end)) if end is not None else last
        first = tape.seq_from(start) if start is not None else final - limit + 1
    else:
        first, final = last - limit + 1, last
    first = max(first, 0)
    rows = tape.trades(first, min(final, first + limit - 1))
    return reply(request, [wire.agg_trade(t) for t in rows])


@router.get("/klines")
async def klines(request: Request) -> Response:
    """Candles of the trades printed so far."""
    return await _klines(request)


@router.get("/uiKlines")
async def ui_klines(request: Request) -> Response:
    """The same candles as ``klines``."""
    return await _klines(request)


async def _klines(request: Request) -> Response:
    sandbox, params = await public_params(request, 2)
    tape = _one(sandbox, params)
    try:
        interval = Timeframe.parse(params.required("interval"))
    except TimeframeError:
        raise errors.bad_interval() from None
    start, end = params.integer("startTime"), params.integer("endTime")
    limit = params.limit("limit", 500, 1000)
    candles = tape.candles(interval, sandbox.now_ms, start, end, limit)
    return reply(request, [wire.kline_row(c) for c in candles])


@router.get("/avgPrice")
async def avg_price(request: Request) -> Response:
    """The volume-weighted price of the last 5 minutes of trades."""
    sandbox, params = await public_params(request, 2)
    tape = _one(sandbox, params)
    last = sandbox.last_trade(tape.symbol)
    recent = list(tape.trades(tape.seq_from(last.time - _AVERAGE_MS), last.seq)) or [last]
    volume = sum((t.qty for t in recent), Decimal(0))
    value = sum((t.price * t.qty for t in recent), Decimal(0))
    price = value / volume if volume else last.price
    body = {"mins": 5, "price": fmt(price), "closeTime": last.time}
    return reply(request, body)


@router.get("/ticker/24hr")
async def ticker_24h(request: Request) -> Response:
    """Rolling 24 h statistics (``type=MINI`` for the short form)."""
    sandbox, params = await public_params(request, 2)
    mini = (params.text("type") or "FULL").upper()
    if mini not in ("FULL", "MINI"):
        raise errors.invalid_value("type")

    def row(tape: Tape) -> dict[str, Any]:
        stats = tape.day_stats(sandbox.now_ms)
        assert stats is not None
        return wire.ticker_24h(tape, stats, mini == "MINI")

    return reply(request, _each(sandbox, params, row))


@router.get("/ticker/price")
async def ticker_price(request: Request) -> Response:
    """The last trade price."""
    sandbox, params = await public_params(request, 2)
    return reply(request, _each(sandbox, params, lambda tape: {
        "symbol": tape.symbol.venue_id,
        "price": fmt(sandbox.last_trade(tape.symbol).price)}))  # fmt: skip


@router.get("/ticker/bookTicker")
async def book_ticker(request: Request) -> Response:
    """Best bid and ask of the synthetic book."""
    sandbox, params = await public_params(request, 2)
    return reply(request, _each(
        sandbox, params, lambda tape: wire.book_ticker(tape, sandbox.last_trade(tape.symbol))
    ))  # fmt: skip


def _one(sandbox: Sandbox, params: Params) -> Tape:
    symbol_id = params.symbol_id()
    assert symbol_id is not None
    return sandbox.tape(symbol_id)


def _chosen(sandbox: Sandbox, params: Params) -> list[Tape] | None:
    """The tapes of ``symbol`` or ``symbols``; None when neither is given."""
    single = params.symbol_id(required=False)
    many = params.symbol_list()
    if single is not None and many is not None:
        raise errors.BinanceError(-1128, "Combination of optional parameters invalid.")
    if single is not None:
        return [sandbox.tape(single)]
    if many is not None:
        return [sandbox.tape(s) for s in many]
    return None


def _each(sandbox: Sandbox, params: Params, row: Any) -> Any:
    """One row for ``symbol``, a list for ``symbols`` or for every market."""
    if params.text("symbol") is not None:
        return row(_one(sandbox, params))
    return [row(tape) for tape in _chosen(sandbox, params) or sandbox.tapes]
