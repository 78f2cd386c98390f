"""The trading state: the machine's holds and history, the gate first in every risk engine,
and manual changes through real engine runs (which orders were refused, and why)."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from tests.backtest.helpers import bars, ns
from tests.risk.engine_runs import EngineAction, each, engine_run
from tests.risk.helpers import OK, reasons, rejections, scripted_on
from tradeforge.backtest import Backtest
from tradeforge.common.bus import MessageBus
from tradeforge.common.clock import TestClock
from tradeforge.risk.gate import TradingStateGate, is_gate_reason
from tradeforge.risk.state import (
    STATE_TOPIC,
    TradingState,
    TradingStateChanged,
    TradingStateMachine,
)

ACTIVE, REDUCING, HALTED = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED
FLAT = bars(*[(100.0, 100.0, 100.0, 100.0)] * 8)


def utc(hours: float) -> pd.Timestamp:
    """The time ``hours`` after the first bar's open (bar ``i`` closes at ``utc(i + 1)``)."""
    return pd.Timestamp(ns(hours), unit="ns", tz="UTC")


def test_the_most_restrictive_hold_decides_and_every_change_is_published() -> None:
    clock, bus = TestClock(ns(0)), MessageBus()
    seen: list[TradingStateChanged] = []
    bus.subscribe(STATE_TOPIC, seen.append)
    machine = TradingStateMachine(clock, bus)
    machine.hold("volatility", REDUCING, "vol high")
    clock.set_time(ns(1))
    machine.hold("daily_loss", HALTED, "loss")
    machine.hold("latency", HALTED, "slow")  # a second halt: the earlier one gives the reason
    clock.set_time(ns(2))
    machine.release("daily_loss", "loss over")  # still halted, now by latency
    machine.release("latency", "fast again")  # back to what volatility holds
    clock.set_time(ns(3))
    machine.release("volatility", "calm")
    machine.release("volatility", "calm again")  # holds nothing: no change
    machine.resume("nothing to resume")  # already active: no change
    machine.set_state(HALTED, "maintenance")
    clock.set_time(ns(4))
    machine.set_state(ACTIVE, "done", "cli:alice")
    expected = [
        TradingStateChanged(ns(0), REDUCING, ACTIVE, "vol high", "volatility"),
        TradingStateChanged(ns(1), HALTED, REDUCING, "loss", "daily_loss"),
        TradingStateChanged(ns(2), HALTED, HALTED, "slow", "latency"),
        TradingStateChanged(ns(2), REDUCING, HALTED, "vol high", "volatility"),
        TradingStateChanged(ns(3), ACTIVE, REDUCING, "calm", "volatility"),
        TradingStateChanged(ns(3), HALTED, ACTIVE, "maintenance", "manual"),
        TradingStateChanged(ns(4), ACTIVE, HALTED, "done", "cli:alice"),
    ]
    assert seen == machine.history == expected
    assert (machine.state, machine.reason, machine.source, machine.since_ns) == (
        ACTIVE, "done", "cli:alice", ns(4),
    )  # fmt: skip
    assert machine.holds == {}


def test_resume_lets_every_hold_go_and_tells_the_listeners() -> None:
    clock = TestClock(ns(0))
    machine = TradingStateMachine(clock)
    told: list[str] = []
    machine.on_resume(lambda: told.append("reset"))
    machine.hold("drawdown", HALTED, "deep")
    machine.hold("kill switch", HALTED, "stop")
    machine.resume("reviewed")
    assert machine.state is ACTIVE
    assert machine.holds == {}
    assert told == ["reset"]
    assert [(c.state, c.source, c.reason) for c in machine.history] == [
        (HALTED, "drawdown", "deep"),
        (ACTIVE, "manual", "reviewed"),
    ]


def test_restore_takes_up_the_last_change_as_a_hold() -> None:
    history = [
        TradingStateChanged(ns(0), REDUCING, ACTIVE, "vol high", "volatility"),
        TradingStateChanged(ns(5) + 17, HALTED, REDUCING, "loss", "daily_loss"),
    ]
    machine = TradingStateMachine(TestClock(ns(9)))
    machine.restore(history)
    assert (machine.state, machine.reason, machine.source, machine.since_ns) == (
        HALTED, "loss", "daily_loss", ns(5) + 17,
    )  # fmt: skip
    assert machine.holds == {"daily_loss": (HALTED, "loss")}
    assert machine.history == history
    machine.release("daily_loss", "over")
    assert machine.history[-1] == TradingStateChanged(ns(9), ACTIVE, HALTED, "over", "daily_loss")


def test_the_gate_runs_first_even_without_a_risk_config() -> None:
    done = engine_run(FLAT, {0: lambda s, e: s.buy(1)})
    checks = done.engine.execution.risk.checks
    assert [type(c).__name__ for c in checks] == [
        "TradingStateGate", "InstrumentFilters", "BalanceCheck",
    ]  # fmt: skip
    assert isinstance(checks[0], TradingStateGate)
    with_limits = engine_run(FLAT, {}, risk={"default": {"max_leverage": 1}})
    assert isinstance(with_limits.engine.execution.risk.checks[0], TradingStateGate)
    assert done.result.trading_states.empty
    assert done.result.breaker_events.empty
    assert done.published == []


def test_without_breakers_the_fast_path_still_runs_and_trading_stays_active() -> None:
    seen: list[TradingState] = []
    script = {0: lambda s: s.buy(1), 3: lambda s: seen.append(s.ctx.trading.state)}
    result = Backtest(FLAT, scripted_on(script, "ASSET/USD"), cash=1_000).run()
    assert result.run.fast_path
    assert seen == [ACTIVE]
    assert list(result.trading_states.columns) == ["ts", "state", "previous", "reason", "source"]
    assert result.trading_states.empty


def test_manual_halt_reduce_and_resume_decide_which_orders_pass(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[tuple[int, TradingState, str]] = []

    def look(i: int) -> EngineAction:
        return lambda s, e: seen.append((i, s.ctx.trading.state, s.ctx.trading.reason))

    script = {
        0: lambda s, e: s.buy(2),  # fills at bar 1's open, 100
        1: each(
            lambda s, e: e.trading.halt("maintenance"),
            lambda s, e: s.buy(1),  # refused: halted
            lambda s, e: s.sell(1),  # refused too: HALTED refuses every order
            look(1),
        ),
        2: each(
            lambda s, e: e.trading.reduce("exits only"),
            lambda s, e: s.buy(1),  # refused: adds exposure
            lambda s, e: s.sell(1),  # reduces: passes
            look(2),
        ),
        4: each(
            lambda s, e: e.trading.resume("maintenance over", "cli:alice"),
            lambda s, e: s.buy(1),  # passes
            look(4),
        ),
    }
    with caplog.at_level(logging.WARNING, logger="tradeforge.risk"):
        done = engine_run(FLAT, script)
    halted = "trading is HALTED by manual: maintenance"
    reducing = "trading is REDUCING by manual: exits only; BUY 1.000 ASSET/USD would add exposure"
    assert reasons(done.result) == [OK, halted, halted, reducing, OK, OK]
    assert [r.rule for r in rejections(done.result)] == ["trading_state"] * 3
    assert seen == [
        (1, HALTED, "maintenance"),
        (2, REDUCING, "exits only"),
        (4, ACTIVE, "maintenance over"),
    ]
    frame = done.result.trading_states
    assert frame.to_dict("records") == [
        {"ts": utc(2), "state": "HALTED", "previous": "ACTIVE", "reason": "maintenance",
         "source": "manual"},
        {"ts": utc(3), "state": "REDUCING", "previous": "HALTED", "reason": "exits only",
         "source": "manual"},
        {"ts": utc(5), "state": "ACTIVE", "previous": "REDUCING", "reason": "maintenance over",
         "source": "cli:alice"},
    ]  # fmt: skip
    assert done.changes == done.engine.trading.history
    assert done.result.portfolio.position(done.result.run.series[0].symbol).signed_qty == 2
    assert "trading state HALTED (was ACTIVE) by manual: maintenance" in caplog.messages


def test_the_strategy_view_is_read_only() -> None:
    views: list[object] = []
    engine_run(FLAT, {0: lambda s, e: views.append(s.ctx.trading)})
    (view,) = views
    assert not hasattr(view, "halt")
    assert not hasattr(view, "resume")
    with pytest.raises(AttributeError):
        view.state = HALTED  # type: ignore[attr-defined]


def test_gate_reasons_are_recognized_for_lists_too() -> None:
    assert is_gate_reason("trading is HALTED by manual: x")
    assert is_gate_reason("list refused: trading is REDUCING by volatility: y; BUY 1 A/B would add")
    assert not is_gate_reason("insufficient USD: order needs 2002.00000000, free 1000.00000000")
