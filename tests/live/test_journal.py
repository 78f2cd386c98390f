"""The node's journal: a burst of events is stored with one commit, before anyone is told."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.persistence.factories import NS, accept, fill, limit_order
from tradeforge.live.journal import OrderJournal
from tradeforge.persistence import migrations
from tradeforge.persistence.models import FillRecord, OrderStateRecord
from tradeforge.persistence.store import Store


def states(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(OrderStateRecord)) or 0)


def test_a_batch_is_written_when_it_ends_then_its_callbacks_run(store: Store) -> None:
    migrations.upgrade(store)
    journal = OrderJournal(store, "binance", "node:test")
    first, second = limit_order("O-1"), limit_order("O-2")
    journal.record_new(first)
    told: list[tuple[str, int]] = []
    with journal.batch():
        accept(first)
        journal.record(first, then=lambda: told.append(("O-1", states(store))))
        journal.record(second, then=lambda: told.append(("O-2", states(store))))
        fill(first, "0.5", "42000.10", "T-1", NS + 10_000)
        journal.record(first, then=lambda: told.append(("O-1 fill", states(store))))
        assert states(store) == 1  # only what was written before the batch
        assert told == []
    # one commit: every event of both orders, then the callbacks in order
    assert told == [("O-1", 5), ("O-2", 5), ("O-1 fill", 5)]
    with store.session() as session:
        assert session.scalars(select(FillRecord.trade_id)).all() == ["T-1"]
    rebuilt = {o.client_order_id: o for o in journal.orders()}
    assert rebuilt["O-1"].events == first.events and rebuilt["O-2"].events == second.events


def test_outside_a_batch_each_record_is_written_before_its_callback(store: Store) -> None:
    migrations.upgrade(store)
    journal = OrderJournal(store, "binance", "node:test")
    order = limit_order("O-1")
    told: list[int] = []
    journal.record(order, then=lambda: told.append(states(store)))
    accept(order)
    journal.record(order, then=lambda: told.append(states(store)))
    assert told == [1, 3]
