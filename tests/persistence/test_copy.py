"""``db copy`` moves a whole store and proves it with row counts and checksums."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from tests.persistence.seed import seed
from tradeforge.persistence import audit, migrations
from tradeforge.persistence.copy import copy_store, verify_copy
from tradeforge.persistence.errors import CopyMismatchError, StoreError
from tradeforge.persistence.repositories import OrderRepository
from tradeforge.persistence.store import Store


@pytest.mark.postgres
def test_sqlite_to_postgresql_copies_everything(make_store: Callable[[str], Store]) -> None:
    source, target = make_store("sqlite"), make_store("postgres")
    migrations.upgrade(source)
    seed(source)
    report = copy_store(source, target)
    sums = {t.table: t.rows for t in report.tables}
    assert sums["orders"] == 3
    assert sums["order_states"] == 12  # initialized, submitted, accepted, filled
    assert sums["fills"] == 3
    assert sums["audit_log"] == 13  # 12 order events + 1 backtest
    assert sums["backtest_runs"] == sums["balances"] == 1
    assert report.rows == sum(sums.values()) == 33
    with target.session() as session:
        assert audit.verify(session).ok
        order = OrderRepository(session).load("O-2")
        assert order is not None and str(order.filled_qty) == "1E-8"
        # ids continue after the copied ones
        OrderRepository(session).save(_fresh_order(), venue="binance")
        assert session.execute(text("SELECT max(id) FROM orders")).scalar() == 4


def _fresh_order() -> object:
    from tests.persistence.factories import limit_order

    return limit_order("O-new")


def test_a_changed_row_fails_the_verification(
    make_store: Callable[[str], Store], backend: str
) -> None:
    source, target = make_store("sqlite"), make_store(backend)
    migrations.upgrade(source)
    seed(source, orders=1)
    copy_store(source, target)
    with target.engine.begin() as connection:
        connection.execute(text("UPDATE balances SET total = '0.00000002'"))
    with pytest.raises(CopyMismatchError, match="table balances: checksums differ"):
        verify_copy(source, target)
    with target.engine.begin() as connection:
        connection.execute(text("UPDATE balances SET total = '0.00000001'"))
        connection.execute(text("DELETE FROM fills"))
    with pytest.raises(CopyMismatchError, match="table fills: 1 rows in the source, 0 in the"):
        verify_copy(source, target)


def test_the_target_must_be_empty(make_store: Callable[[str], Store]) -> None:
    source, target = make_store("sqlite"), make_store("sqlite")
    for store in (source, target):
        migrations.upgrade(store)
        seed(store, orders=1)
    with pytest.raises(
        StoreError, match="is not empty \\(rows in audit_log, balances, backtest_runs, orders"
    ):
        copy_store(source, target)
