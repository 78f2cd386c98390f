"""Migrations and models agree; upgrade, downgrade and upgrade again work on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, inspect

from tradeforge.persistence import migrations
from tradeforge.persistence.models import Base
from tradeforge.persistence.store import Store

TABLES = set(Base.metadata.tables)


def _diff(store: Store, metadata: MetaData) -> list[object]:
    with store.engine.connect() as connection:
        options = migrations.context_options(connection.dialect.name)
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, metadata))


def _tables(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(empty_store: Store) -> None:
    assert migrations.current(empty_store) is None
    migrations.upgrade(empty_store)
    assert migrations.current(empty_store) == migrations.head()
    assert _tables(empty_store) == TABLES
    migrations.downgrade(empty_store, "0001")  # before the trading state's source and ns time
    assert migrations.current(empty_store) == "0001"
    columns = {c["name"] for c in inspect(empty_store.engine).get_columns("trading_state_changes")}
    assert columns == {"id", "ts", "old_state", "new_state", "reason", "actor"}
    migrations.upgrade(empty_store)
    migrations.downgrade(empty_store, "base")
    assert migrations.current(empty_store) is None
    assert _tables(empty_store) == set()
    migrations.upgrade(empty_store)
    assert _tables(empty_store) == TABLES


def test_models_and_migrations_agree(store: Store) -> None:
    assert _diff(store, Base.metadata) == []


def test_the_comparison_sees_a_model_change(store: Store) -> None:
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    Table("extra", changed, Column("id", Integer, primary_key=True))
    diff = _diff(store, changed)
    assert [(d[0], d[1].name) for d in diff] == [("add_table", "extra")]  # type: ignore[index]


def test_history_lists_the_revisions_newest_first() -> None:
    history = migrations.history()
    assert [r.revision for r in history if r.is_head] == [history[0].revision]
    assert history[0].revision == migrations.head()
    first, second = history[-1], history[-2]
    assert (first.revision, first.down_revision) == ("0001", None)
    assert first.message == "initial schema: every table of the state store"
    assert (second.revision, second.down_revision) == ("0002", "0001")
    assert second.message == "trading state: the source and the exact time of each change"
