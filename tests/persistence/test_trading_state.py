"""The trading state across a restart, on SQLite and PostgreSQL: every change is stored as it
is published, and a new store object gives a new machine the same state, reason, source, time
and history; a breaker holding the state takes its hold up again."""

from __future__ import annotations

from sqlalchemy import select

from tests.backtest.helpers import ns
from tradeforge.common.bus import MessageBus
from tradeforge.common.clock import TestClock
from tradeforge.persistence import audit
from tradeforge.persistence.models import TradingStateChangeRecord
from tradeforge.persistence.repositories import RiskRepository
from tradeforge.persistence.store import Store
from tradeforge.persistence.trading_state import (
    TradingStateRepository,
    record_changes,
    restore_machine,
)
from tradeforge.persistence.types import ns_to_datetime
from tradeforge.risk.breaker_limits import LatencyBreaker as LatencyLimits
from tradeforge.risk.breakers import (
    BreakerBoard,
    BreakerLevel,
    CircuitBreakerReleased,
    LatencyBreaker,
)
from tradeforge.risk.state import TradingState, TradingStateChanged, TradingStateMachine

ACTIVE, REDUCING, HALTED = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED
EXACT = ns(1) + 123_457  # a time with nanoseconds


def _halted_machine(store: Store) -> TradingStateMachine:
    clock, bus = TestClock(ns(0)), MessageBus()
    record_changes(store, bus, actor="node:paper")
    machine = TradingStateMachine(clock, bus)
    machine.hold("drawdown", REDUCING, "equity is 15.00% below its peak")
    clock.set_time(EXACT)
    machine.hold("latency", HALTED, "the venue round trip took 6000 ms")
    return machine


def test_a_halted_machine_is_halted_after_a_restart(store: Store) -> None:
    before = _halted_machine(store)
    store.dispose()
    again = Store(store.url, schema=store.schema)  # a new process, the same database
    machine = restore_machine(again, TestClock(ns(9)))
    assert (machine.state, machine.reason, machine.source, machine.since_ns) == (
        HALTED, "the venue round trip took 6000 ms", "latency", EXACT,
    )  # fmt: skip
    assert machine.history == before.history == [
        TradingStateChanged(ns(0), REDUCING, ACTIVE, "equity is 15.00% below its peak",
                            "drawdown"),
        TradingStateChanged(EXACT, HALTED, REDUCING, "the venue round trip took 6000 ms",
                            "latency"),
    ]  # fmt: skip
    with again.session() as session:
        rows = session.scalars(select(TradingStateChangeRecord)).all()
        assert [(r.old_state, r.new_state, r.source, r.actor, r.ts_ns) for r in rows] == [
            ("ACTIVE", "REDUCING", "drawdown", "node:paper", ns(0)),
            ("REDUCING", "HALTED", "latency", "node:paper", EXACT),
        ]
        assert rows[1].ts == ns_to_datetime(EXACT)  # microseconds in the timestamp column
        assert RiskRepository(session).current_state() == "HALTED"
        assert audit.verify(session).entries == 2
    again.dispose()


def test_a_restored_breaker_hold_ends_a_cooldown_after_the_stored_change(store: Store) -> None:
    _halted_machine(store)
    clock = TestClock(EXACT + 60_000_000_000)  # a minute after the halt
    machine = restore_machine(store, clock)
    board = BreakerBoard([LatencyBreaker(LatencyLimits(halt="5s"))], machine, clock)
    board.record_latency(100)  # fast again, but the 5m cooldown runs from the stored halt
    assert machine.state is HALTED
    clock.set_time(EXACT + 300_000_000_000)
    board.check()
    assert machine.state is ACTIVE
    (released,) = board.events
    assert released == CircuitBreakerReleased(
        EXACT + 300_000_000_000, "latency", None, BreakerLevel.HALT, 100.0,
        "released after the 5m cooldown: the venue round trip took 100 ms",
    )  # fmt: skip


def test_rows_from_before_the_source_column_read_their_actor_as_source(store: Store) -> None:
    with store.session() as session:
        RiskRepository(session).change_state(
            ts=ns_to_datetime(ns(2)), old_state="ACTIVE", new_state="HALTED",
            reason="daily loss", actor="risk",
        )  # fmt: skip
    with store.session() as session:
        assert TradingStateRepository(session).history() == [
            TradingStateChanged(ns(2), HALTED, ACTIVE, "daily loss", "risk")
        ]
    assert restore_machine(store, TestClock()).state is HALTED
