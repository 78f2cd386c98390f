"""The audit chain names the row that was edited, inserted or deleted with raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.persistence.factories import moment
from tradeforge.persistence import audit
from tradeforge.persistence.audit import GENESIS_HASH, TamperKind
from tradeforge.persistence.store import Store


@pytest.fixture
def chained(store: Store) -> Store:
    with store.session() as session:
        for n in range(1, 6):
            audit.append(session, ts=moment(n), actor="cli:alice", action="config.changed",
                         subject=f"risk.limit_{n}", details={"to": str(n * 100)})  # fmt: skip
    return store


def _raw(store: Store, statement: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(statement))


def test_an_intact_chain_verifies(chained: Store) -> None:
    with chained.session() as session:
        result = audit.verify(session)
        rows = session.execute(text("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq"))
        chain = list(rows)
    assert result.ok
    assert result.entries == 5
    assert chain[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in chain[1:]] == [r.hash for r in chain[:-1]]
    assert result.head_hash == chain[-1].hash
    assert result.head_hash == audit.entry_hash(
        seq=5, ts=moment(5), actor="cli:alice", action="config.changed",
        subject="risk.limit_5", details='{"to":"500"}', prev_hash=chain[3].hash,
    )  # fmt: skip


def test_an_update_is_named(chained: Store) -> None:
    _raw(chained, 'UPDATE audit_log SET details = \'{"to":"999"}\' WHERE seq = 3')
    with chained.session() as session:
        result = audit.verify(session)
    assert result.problem is not None
    assert (result.problem.kind, result.problem.seq, result.problem.row_id) == (
        TamperKind.EDITED, 3, 3,
    )  # fmt: skip
    assert result.problem.message == (
        "audit entry id 3 (seq 3) was edited: its content no longer matches its hash"
    )
    assert result.entries == 2


def test_an_insert_is_named(chained: Store) -> None:
    _raw(chained, "INSERT INTO audit_log (id, seq, ts, actor, action, subject, details, "
                  "prev_hash, hash) VALUES (42, 6, '2024-01-02 04:00:00', 'mallory', "
                  "'order.canceled', 'O-1', '{}', 'bogus', 'bogus')")  # fmt: skip
    with chained.session() as session:
        result = audit.verify(session)
    assert result.problem is not None
    assert (result.problem.kind, result.problem.seq, result.problem.row_id) == (
        TamperKind.INSERTED, 6, 42,
    )  # fmt: skip
    assert "audit entry id 42 (seq 6) was inserted" in result.problem.message


def test_a_delete_is_named(chained: Store) -> None:
    _raw(chained, "DELETE FROM audit_log WHERE seq IN (2, 3)")
    with chained.session() as session:
        result = audit.verify(session)
    assert result.problem is not None
    assert (result.problem.kind, result.problem.seq, result.problem.row_id) == (
        TamperKind.DELETED, 4, 4,
    )  # fmt: skip
    assert (
        result.problem.message == "entries seq 2 to 3 were deleted before audit entry id 4 (seq 4)"
    )


def test_a_rehashed_edit_is_caught_by_the_next_link(chained: Store) -> None:
    with chained.session() as session:
        row = session.execute(text("SELECT prev_hash FROM audit_log WHERE seq = 2")).one()
    forged = audit.entry_hash(seq=2, ts=moment(2), actor="cli:alice", action="config.changed",
                              subject="risk.limit_2", details='{"to":"1"}',
                              prev_hash=row.prev_hash)  # fmt: skip
    _raw(chained, f"UPDATE audit_log SET details = '{{\"to\":\"1\"}}', hash = '{forged}' "
                  "WHERE seq = 2")  # fmt: skip
    with chained.session() as session:
        result = audit.verify(session)
    assert result.problem is not None
    assert (result.problem.kind, result.problem.seq) == (TamperKind.INSERTED, 3)
