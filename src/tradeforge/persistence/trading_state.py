"""The trading state across restarts: every change stored as it happens, the machine restored
from the stored history.

A live node subscribes :func:`record_changes` to its bus, so each
:class:`~tradeforge.risk.state.TradingStateChanged` is written (with an audit entry) in its own
unit of work; after a restart :func:`restore_machine` gives the machine back its state, reason,
source and time, and its history.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeforge.common.bus import Handler, MessageBus
from tradeforge.common.clock import Clock
from tradeforge.persistence.models import TradingStateChangeRecord
from tradeforge.persistence.repositories import RiskRepository
from tradeforge.persistence.store import Store
from tradeforge.persistence.types import datetime_to_ns, ns_to_datetime
from tradeforge.risk.state import (
    STATE_TOPIC,
    TradingState,
    TradingStateChanged,
    TradingStateMachine,
)


class TradingStateRepository:
    """Trading-state changes in the store, as domain events.

    Parameters
    ----------
    session : Session
        The caller's unit of work.
    actor : str
        Who records (the audit log's actor), e.g. ``risk`` or ``cli:alice``.
    """

    def __init__(self, session: Session, *, actor: str = "risk") -> None:
        self.session = session
        self.actor = actor

    def save(self, change: TradingStateChanged) -> TradingStateChangeRecord:
        """Store ``change`` (exact ns time, source) and its audit entry."""
        return RiskRepository(self.session).change_state(
            ts=ns_to_datetime(change.ts),
            old_state=change.previous.value,
            new_state=change.state.value,
            reason=change.reason,
            actor=self.actor,
            source=change.source,
            ts_ns=change.ts,
        )

    def history(self) -> list[TradingStateChanged]:
        """Every stored change, in the order it was stored (a row without a source, from
        before revision 0002, reads its actor as the source and its microsecond time)."""
        rows = self.session.scalars(
            select(TradingStateChangeRecord).order_by(TradingStateChangeRecord.id)
        ).all()
        return [_change(row) for row in rows]


def _change(row: TradingStateChangeRecord) -> TradingStateChanged:
    return TradingStateChanged(
        ts=row.ts_ns if row.ts_ns is not None else datetime_to_ns(row.ts),
        state=TradingState(row.new_state),
        previous=TradingState(row.old_state),
        reason=row.reason,
        source=row.source if row.source is not None else row.actor,
    )


def record_changes(store: Store, bus: MessageBus, *, actor: str = "risk") -> Handler:
    """Store every change published on ``bus`` (topic ``risk.state``), each in its own unit
    of work; returns the handler (to unsubscribe)."""

    def save(change: TradingStateChanged) -> None:
        with store.session() as session:
            TradingStateRepository(session, actor=actor).save(change)

    bus.subscribe(STATE_TOPIC, save)
    return save


def restore_machine(
    store: Store, clock: Clock, bus: MessageBus | None = None
) -> TradingStateMachine:
    """A state machine in the stored state (ACTIVE when nothing was stored), with its history;
    nothing is published."""
    machine = TradingStateMachine(clock, bus)
    with store.session() as session:
        machine.restore(TradingStateRepository(session).history())
    return machine
