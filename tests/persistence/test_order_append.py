"""The live node's fast path (``insert_new``, then ``append_new``) writes exactly the rows
``save`` writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.persistence.factories import NS, accept, fill, limit_order
from tradeforge.model.orders import Order
from tradeforge.persistence import audit, migrations
from tradeforge.persistence.errors import ConstraintViolationError
from tradeforge.persistence.models import (
    AuditEntryRecord,
    FillRecord,
    OrderRecord,
    OrderStateRecord,
)
from tradeforge.persistence.repositories import OrderRepository
from tradeforge.persistence.store import Store

Step = Callable[[Order], None]
STEPS: list[Step] = [
    lambda o: None,
    accept,
    lambda o: fill(o, "0.2", "42000.10", "T-1", NS + 10_000),
    lambda o: None,  # nothing new: nothing written
    lambda o: fill(o, "0.3", "42000.10", "T-2", NS + 20_000),
]


def rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of the order tables and the audit log, without the row ids."""
    out = {}
    with store.session() as session:
        for model in (OrderRecord, OrderStateRecord, FillRecord, AuditEntryRecord):
            found = session.scalars(select(model).order_by(model.id)).all()
            columns = [c.key for c in model.__table__.columns if c.key not in ("id", "order_id")]
            out[model.__tablename__] = [{c: getattr(r, c) for c in columns} for r in found]
    return out


def test_appending_writes_the_rows_saving_writes(
    make_store: Callable[[str], Store], backend: str
) -> None:
    saved, appended = make_store(backend), make_store(backend)
    for store in (saved, appended):
        migrations.upgrade(store)
    by_save, by_append = limit_order(), limit_order()
    row_id, stored = 0, 0
    for step in STEPS:
        step(by_save)
        step(by_append)
        with saved.session() as session:
            OrderRepository(session, actor="node:a").save(by_save, venue="binance")
        with appended.session() as session:
            repository = OrderRepository(session, actor="node:a")
            if not row_id:
                row_id = repository.insert_new(by_append, venue="binance")
            else:
                repository.append_new(by_append, row_id, stored)
        stored = len(by_append.events)
    expected = rows(saved)
    assert rows(appended) == expected
    assert [s["event"] for s in expected["order_states"]] == [
        "OrderInitialized", "OrderSubmitted", "OrderAccepted", "OrderFilled", "OrderFilled",
    ]  # fmt: skip
    assert [f["trade_id"] for f in expected["fills"]] == ["T-1", "T-2"]
    with appended.session() as session:
        check = audit.verify(session)
        assert check.problem is None and check.entries == 5


def test_inserting_an_order_already_stored_fails_and_writes_nothing(store: Store) -> None:
    order = limit_order()
    with store.session() as session:
        OrderRepository(session).insert_new(order, venue="binance")
    accept(order)
    with pytest.raises(ConstraintViolationError), store.session() as session:
        OrderRepository(session).insert_new(order, venue="binance")
    with store.session() as session:
        assert len(session.scalars(select(OrderStateRecord)).all()) == 1
