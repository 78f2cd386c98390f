"""Orders through the real ccxt client: fills at the prices the fill rules give, exact fees.

The sandbox stands at 2021-01-02 00:00 UTC (last trade: the bar's open, 29331.70) with
10000 USDT and 1 BTC; fees are 0.1 %, in USDT. Tests advance the market by hand and compare
with the catalog bars.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt
import pytest

from tradeforge.sandbox import SandboxServer

from .conftest import BAR_MS, START_MS, first_touch, rest

FEE = Decimal("0.001")
OPEN = Decimal("29331.70")


def balances(exchange: ccxt.binance) -> dict[str, tuple[Decimal, Decimal]]:
    """Asset to (free, locked), exactly as the venue sent them."""
    info = exchange.fetch_balance()["info"]["balances"]
    return {b["asset"]: (Decimal(b["free"]), Decimal(b["locked"])) for b in info}


def fills(order: dict[str, Any]) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(price, qty, commission) of a FULL order answer."""
    return [(Decimal(f["price"]), Decimal(f["qty"]), Decimal(f["commission"]))
            for f in order["info"]["fills"]]  # fmt: skip


def test_market_buy_fills_at_the_last_trade_and_pays_the_taker_fee(paused: SandboxServer) -> None:
    exchange = rest(paused)
    order = exchange.create_order("BTC/USDT", "market", "buy", 0.01)
    assert (order["status"], order["filled"], order["average"]) == ("closed", 0.01, 29331.70)
    notional = OPEN * Decimal("0.01")
    assert fills(order) == [(OPEN, Decimal("0.01"), notional * FEE)]
    assert order["timestamp"] == START_MS
    assert balances(exchange) == {
        "BTC": (Decimal("1.01"), Decimal(0)),
        "USDT": (Decimal(10_000) - notional - notional * FEE, Decimal(0)),
    }


def test_market_buy_with_cost_is_sized_at_the_fill_price(paused: SandboxServer) -> None:
    exchange = rest(paused)
    order = exchange.create_market_buy_order_with_cost("BTC/USDT", 100)
    # floor(100 / (29331.70 x 1.001)) to the 0.00001 step
    assert order["filled"] == 0.0034
    assert order["info"]["origQuoteOrderQty"] == "100.00000000"
    spent = OPEN * Decimal("0.0034") * (1 + FEE)
    assert balances(exchange)["USDT"] == (Decimal(10_000) - spent, Decimal(0))


def test_market_sell_receives_the_notional_less_the_fee(paused: SandboxServer) -> None:
    exchange = rest(paused)
    exchange.create_order("BTC/USDT", "market", "sell", 0.5)
    received = OPEN * Decimal("0.5") * (1 - FEE)
    assert balances(exchange) == {
        "BTC": (Decimal("0.5"), Decimal(0)),
        "USDT": (Decimal(10_000) + received, Decimal(0)),
    }


def test_limit_buy_rests_locked_then_fills_at_its_price_as_maker(paused: SandboxServer) -> None:
    exchange = rest(paused)
    order = exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 29000)
    assert (order["status"], order["filled"]) == ("open", 0.0)
    locked = Decimal("290") * (1 + FEE)  # the price and the taker fee are reserved
    assert balances(exchange)["USDT"] == (Decimal(10_000) - locked, locked)
    bar, fill_price = first_touch(29000, below=True)
    paused.advance(6 * BAR_MS)
    done = exchange.fetch_order(order["id"], "BTC/USDT")
    assert (done["status"], done["average"]) == ("closed", float(fill_price))
    (trade,) = exchange.fetch_my_trades("BTC/USDT")
    assert (trade["takerOrMaker"], trade["price"], trade["fee"]["cost"]) == ("maker", 29000, 0.29)
    opened = int(bar.name.timestamp() * 1000)
    assert opened <= trade["timestamp"] < opened + BAR_MS
    assert balances(exchange)["USDT"] == (Decimal(10_000) - Decimal("290.29"), Decimal(0))


def test_marketable_limit_fills_at_once_at_the_last_trade(paused: SandboxServer) -> None:
    order = rest(paused).create_order("BTC/USDT", "limit", "buy", 0.01, 29500)
    assert (order["status"], order["average"]) == ("closed", 29331.70)
    assert fills(order)[0][2] == OPEN * Decimal("0.01") * FEE  # taker


def test_ioc_limit_that_cannot_fill_expires(paused: SandboxServer) -> None:
    order = rest(paused).create_order(
        "BTC/USDT", "limit", "buy", 0.01, 29000, {"timeInForce": "IOC"}
    )
    assert (order["status"], order["info"]["status"], order["filled"]) == (
        "expired", "EXPIRED", 0.0
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "params", "level", "below"),
    [
        ("market", {"stopLossPrice": 29150}, 29150, True),
        ("limit", {"stopLossPrice": 29150}, 29150, True),
        ("market", {"takeProfitPrice": 29400}, 29400, False),
        ("limit", {"takeProfitPrice": 29400}, 29400, False),
    ],
)
def test_sell_stop_loss_and_take_profit_trigger_at_their_level(
    paused: SandboxServer, kind: str, params: dict[str, Any], level: int, below: bool
) -> None:
    exchange = rest(paused)
    limit_price = None if kind == "market" else level - 50 if below else level + 0
    order = exchange.create_order("BTC/USDT", kind, "sell", 0.5, limit_price, params)
    listed = exchange.fetch_open_orders("BTC/USDT")
    assert [(o["id"], o["triggerPrice"], o["info"]["type"]) for o in listed] == [
        (order["id"], level, order["info"]["type"])
    ]
    assert balances(exchange)["BTC"] == (Decimal("0.5"), Decimal("0.5"))
    bar, fill_price = first_touch(level, below)
    paused.advance(int(bar.name.timestamp() * 1000) - START_MS + BAR_MS)
    done = exchange.fetch_order(order["id"], "BTC/USDT")
    assert (done["status"], done["average"]) == ("closed", float(fill_price))
    received = fill_price * Decimal("0.5") * (1 - FEE)
    assert balances(exchange) == {
        "BTC": (Decimal("0.5"), Decimal(0)),
        "USDT": (Decimal(10_000) + received, Decimal(0)),
    }


def test_buy_take_profit_triggers_when_the_price_falls_to_it(paused: SandboxServer) -> None:
    exchange = rest(paused)
    order = exchange.create_order("BTC/USDT", "market", "buy", 0.01, None,
                                  {"takeProfitPrice": 29000})  # fmt: skip
    assert order["info"]["type"] == "TAKE_PROFIT"
    paused.advance(6 * BAR_MS)
    done = exchange.fetch_order(order["id"], "BTC/USDT")
    assert (done["status"], done["average"]) == ("closed", 29000.0)


def test_cancel_order_frees_the_lock_and_reports_both_client_ids(paused: SandboxServer) -> None:
    exchange = rest(paused)
    order = exchange.create_order(
        "BTC/USDT", "limit", "sell", 0.3, 30000, {"clientOrderId": "a:b/1"}
    )
    canceled = exchange.cancel_order(order["id"], "BTC/USDT", {"newClientOrderId": "undo-1"})
    assert (canceled["status"], canceled["clientOrderId"]) == ("canceled", "undo-1")
    assert canceled["info"]["origClientOrderId"] == "a:b/1"
    assert balances(exchange)["BTC"] == (Decimal(1), Decimal(0))
    found = exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "a:b/1"})
    assert (found["id"], found["status"]) == (order["id"], "canceled")


def test_order_history_queries(paused: SandboxServer) -> None:
    exchange = rest(paused)
    first = exchange.create_order("BTC/USDT", "market", "buy", 0.01)
    second = exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 28000)
    third = exchange.create_order("BTC/USDT", "limit", "sell", 0.01, 31000)
    exchange.cancel_order(third["id"], "BTC/USDT")
    assert [o["id"] for o in exchange.fetch_open_orders("BTC/USDT")] == [second["id"]]
    assert [o["id"] for o in exchange.fetch_open_orders()] == [second["id"]]
    assert [(o["id"], o["status"]) for o in exchange.fetch_orders("BTC/USDT")] == [
        (first["id"], "closed"), (second["id"], "open"), (third["id"], "canceled"),
    ]  # fmt: skip
    assert [o["id"] for o in exchange.fetch_closed_orders("BTC/USDT")] == [first["id"]]
    assert [t["order"] for t in exchange.fetch_my_trades("BTC/USDT")] == [first["id"]]
    assert exchange.fetch_order_trades(first["id"], "BTC/USDT")[0]["amount"] == 0.01
    assert exchange.cancel_all_orders("BTC/USDT")[0]["id"] == second["id"]
    assert exchange.fetch_open_orders("BTC/USDT") == []


def test_order_test_endpoint_checks_without_placing(paused: SandboxServer) -> None:
    exchange = rest(paused)
    exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 29000, {"test": True})
    assert exchange.fetch_orders("BTC/USDT") == []


def _oco(exchange: ccxt.binance, above: str) -> dict[str, Any]:
    return exchange.private_post_orderlist_oco({
        "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.5",
        "aboveType": "LIMIT_MAKER", "abovePrice": above,
        "belowType": "STOP_LOSS_LIMIT", "belowStopPrice": "29000.00", "belowPrice": "28990.00",
        "belowTimeInForce": "GTC",
    })  # fmt: skip


def test_oco_locks_once_and_the_stop_leg_expires_the_limit_leg(paused: SandboxServer) -> None:
    exchange = rest(paused)
    listed = _oco(exchange, "29400.00")
    assert (listed["contingencyType"], listed["listOrderStatus"]) == ("OCO", "EXECUTING")
    assert balances(exchange)["BTC"] == (Decimal("0.5"), Decimal("0.5"))
    below, above = (int(o["orderId"]) for o in listed["orders"])
    # 00:20 reaches 29000.00 before 01:45 reaches 29400: the stop triggers, its limit fills
    paused.advance(6 * BAR_MS)
    stop, limit = (exchange.fetch_order(str(i), "BTC/USDT") for i in (below, above))
    assert (stop["status"], stop["average"]) == ("closed", 29000.0)
    assert (limit["status"], limit["info"]["status"]) == ("expired", "EXPIRED")
    status = exchange.private_get_orderlist({"orderListId": listed["orderListId"]})
    assert status["listOrderStatus"] == "ALL_DONE"
    received = Decimal("29000") * Decimal("0.5") * (1 - FEE)
    assert balances(exchange) == {
        "BTC": (Decimal("0.5"), Decimal(0)),
        "USDT": (Decimal(10_000) + received, Decimal(0)),
    }


def test_oco_limit_leg_fills_as_maker(paused: SandboxServer) -> None:
    exchange = rest(paused)
    paused.advance(BAR_MS)  # 00:05: the last trade is its open, 29224.64
    listed = _oco(exchange, "29305.00")  # 00:05 reaches 29307.01 before 00:20's 29000
    paused.advance(BAR_MS)
    below, above = (str(o["orderId"]) for o in listed["orders"])
    limit = exchange.fetch_order(above, "BTC/USDT")
    assert (limit["status"], limit["average"]) == ("closed", 29305.0)
    assert exchange.fetch_order(below, "BTC/USDT")["info"]["status"] == "EXPIRED"
    (trade,) = exchange.fetch_my_trades("BTC/USDT")
    assert (trade["takerOrMaker"], trade["fee"]["cost"]) == ("maker", 14.6525)


def test_cancel_oco_list_cancels_both_legs(paused: SandboxServer) -> None:
    exchange = rest(paused)
    listed = _oco(exchange, "29400.00")
    answer = exchange.private_delete_orderlist(
        {"symbol": "BTCUSDT", "orderListId": listed["orderListId"]}
    )
    assert answer["listOrderStatus"] == "ALL_DONE"
    assert [r["status"] for r in answer["orderReports"]] == ["CANCELED", "CANCELED"]
    assert balances(exchange)["BTC"] == (Decimal(1), Decimal(0))


def test_legacy_oco_endpoint(paused: SandboxServer) -> None:
    exchange = rest(paused)
    listed = exchange.private_post_order_oco({
        "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.5", "price": "29400.00",
        "stopPrice": "29000.00", "stopLimitPrice": "28990.00", "stopLimitTimeInForce": "GTC",
    })  # fmt: skip
    types = [r["type"] for r in listed["orderReports"]]
    assert types == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    assert [o["id"] for o in exchange.fetch_open_orders("BTC/USDT")] == [
        str(o["orderId"]) for o in listed["orders"]
    ]
