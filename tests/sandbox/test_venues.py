"""Several sandboxes side by side are distinct venues with their own state."""

from __future__ import annotations

from decimal import Decimal

from .conftest import START, StartServer, rest


def test_two_sandboxes_keep_separate_books(make_server: StartServer) -> None:
    settings = {"paused": True, "start": START}
    first = make_server(name="alpha", balances={"USDT": Decimal(10_000)}, **settings)
    second = make_server(name="beta", balances={"USDT": Decimal(500)}, **settings)
    assert first.port != second.port
    a, b = rest(first), rest(second)
    bought = a.create_order("BTC/USDT", "market", "buy", 0.01)
    resting = b.create_order("BTC/USDT", "limit", "buy", 0.01, 29000)
    assert (bought["id"], resting["id"]) == ("1", "1")  # each venue numbers its own orders
    assert a.fetch_balance()["total"]["BTC"] == 0.01
    assert b.fetch_balance()["total"] == {"BTC": 0.0, "USDT": 500.0}
    assert b.fetch_balance()["used"]["USDT"] == 290.29
    assert a.fetch_open_orders("BTC/USDT") == []
    assert [o["id"] for o in b.fetch_open_orders("BTC/USDT")] == ["1"]
    second.advance(6 * 300_000)  # only the second venue's market moves
    assert b.fetch_order("1", "BTC/USDT")["status"] == "closed"
    assert a.fetch_ticker("BTC/USDT")["last"] == 29331.70
    assert b.fetch_ticker("BTC/USDT")["last"] != 29331.70
