"""The kill switch through engine runs: from a strategy and from the engine, with and without
flattening, on top of a breaker's halt, and from the market-order fast path."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.backtest.helpers import bars, instrument, ns
from tests.risk.engine_runs import each, engine_run
from tests.risk.helpers import OK, reasons, scripted_on
from tradeforge.backtest import Backtest
from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.engine import BacktestEngine
from tradeforge.backtest.fast_path import FastPathExit
from tradeforge.data.replay import BarSeries
from tradeforge.model.enums import OrderStatus
from tradeforge.model.symbol import Symbol
from tradeforge.risk.kill_switch import KillSwitchReport
from tradeforge.risk.state import TradingState, TradingStateChanged

ACTIVE, HALTED = TradingState.ACTIVE, TradingState.HALTED
DATA = bars(*[(100.0, 101.0, 99.0, 100.0)] * 3, *[(100.0, 102.0, 98.0, 101.0)] * 5)


def test_a_strategy_s_kill_switch_cancels_everything_flattens_and_refuses_what_follows() -> None:
    reports: list[KillSwitchReport] = []
    script = {
        0: lambda s, e: s.buy(2, sl=90, tp=120),  # entry fills at bar 1's open; exits rest
        1: lambda s, e: s.buy(1, limit=95),  # rests below the market
        2: lambda s, e: reports.append(s.ctx.trading.kill_switch("desk stop", flatten=True)),
        3: lambda s, e: s.buy(1),
        4: lambda s, e: s.sell(1, limit=150),
    }
    done = engine_run(DATA, script)
    (report,) = reports
    orders = {o.client_order_id: o for o in done.result.run.execution.orders.values()}
    entry, stop, take, limit, flat, *later = orders.values()
    assert report.ts == ns(3)
    assert report.reason == "desk stop"
    assert report.canceled == (stop.client_order_id, take.client_order_id, limit.client_order_id)
    for order in (stop, take, limit):
        assert order.status is OrderStatus.CANCELED
        assert order.last_event.reason == "kill switch: desk stop"  # type: ignore[union-attr]
    assert report.flatten_orders == (flat,)
    assert flat.client_order_id == "O-240101030000-kill-1"
    assert (flat.side.value, flat.quantity, flat.reduce_only, flat.tags, flat.strategy_id) == (
        "SELL", 2, True, ("kill switch",), "Scripted",
    )  # fmt: skip
    assert flat.status is OrderStatus.FILLED
    assert flat.avg_px == 100  # bar 3's open
    assert done.result.portfolio.positions() == {}
    assert entry.status is OrderStatus.FILLED
    halted = "trading is HALTED by kill switch: desk stop"
    assert [o.last_event.reason for o in later] == [halted, halted]  # type: ignore[union-attr]
    assert done.engine.trading.history == [
        TradingStateChanged(ns(3), HALTED, ACTIVE, "desk stop", "kill switch")
    ]
    trades = done.result.trades
    assert list(trades["exit_order"]) == [flat.client_order_id]
    assert list(trades["exit_tags"]) == ["kill switch"]


def test_the_engine_s_kill_switch_keeps_positions_and_a_person_resumes() -> None:
    script = {
        0: lambda s, e: s.buy(2, sl=90, tp=120),
        2: lambda s, e: e.kill_switch("venue incident"),  # positions stay, exits go
        3: lambda s, e: s.sell(1),  # refused: halted, even to reduce
        5: each(lambda s, e: e.trading.resume("incident over"), lambda s, e: s.sell(1)),
    }
    done = engine_run(DATA, script)
    halted = "trading is HALTED by kill switch: venue incident"
    assert reasons(done.result) == [OK, OK, OK, halted, OK]
    orders = done.result.orders
    assert list(orders["status"]) == ["FILLED", "CANCELED", "CANCELED", "REJECTED", "FILLED"]
    assert list(orders["reason"][1:3]) == ["kill switch: venue incident"] * 2
    assert done.result.portfolio.position(Symbol.parse("ASSET/USD")).signed_qty == 1
    assert [(c.ts, c.state, c.source, c.reason) for c in done.engine.trading.history] == [
        (ns(3), HALTED, "kill switch", "venue incident"),
        (ns(6), ACTIVE, "manual", "incident over"),
    ]


def test_a_kill_switch_on_top_of_a_breaker_outlasts_it() -> None:
    script: dict[int, Any] = {
        0: lambda s, e: s.buy(2),
        1: lambda s, e: e.trading.board.record_latency(6000),  # halted by latency
        2: lambda s, e: s.ctx.trading.kill_switch("flatten all", flatten=True),  # passes
        3: lambda s, e: e.trading.board.record_latency(100),  # latency lets go
        4: lambda s, e: s.buy(1),  # still halted: by the kill switch now
    }
    risk = {"breakers": {"latency": {"halt": "5s"}}}
    done = engine_run(DATA, script, risk=risk)
    slow = "the venue round trip took 6000 ms, the halt level is 5000 ms"
    fast = "released after the 5m cooldown: the venue round trip took 100 ms"
    assert [(c.ts, c.state, c.previous, c.source, c.reason) for c in done.changes] == [
        (ns(2), HALTED, ACTIVE, "latency", slow),
        (ns(4), HALTED, HALTED, "kill switch", "flatten all"),
    ]
    assert fast in [e.message for e in done.published if hasattr(e, "message")]
    assert reasons(done.result) == [OK, OK, "trading is HALTED by kill switch: flatten all"]
    assert done.result.portfolio.positions() == {}


def test_on_the_fast_path_the_kill_switch_moves_the_run_to_the_full_kernel() -> None:
    script = {
        0: lambda s: s.buy(2),
        3: lambda s: s.ctx.trading.kill_switch("stop", flatten=True),
        5: lambda s: s.buy(1),
    }
    result = Backtest(DATA, scripted_on(script, "ASSET/USD"), cash=1_000).run()
    assert not result.run.fast_path
    assert result.portfolio.positions() == {}
    assert list(result.orders["reason"]) == ["", "", "trading is HALTED by kill switch: stop"]
    assert result.trading_states.to_dict("records") == [
        {"ts": pd.Timestamp(ns(4), unit="ns", tz="UTC"), "state": "HALTED",
         "previous": "ACTIVE", "reason": "stop", "source": "kill switch"},
    ]  # fmt: skip


def test_the_engine_s_kill_switch_needs_the_full_kernel() -> None:
    series = [BarSeries.from_frame(Symbol.parse("ASSET/USD"), DATA)]
    engine = BacktestEngine(series, [instrument()], BacktestConfig(), fast_path=True)
    with pytest.raises(FastPathExit):
        engine.kill_switch("stop")
