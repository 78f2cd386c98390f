"""Alembic migrations, shipped inside the package and run programmatically.

The script directory is this folder (``env.py``, ``versions/``); no ``alembic.ini`` is needed.
``upgrade``, ``downgrade``, ``current`` and ``history`` take a :class:`~tradeforge.persistence.
store.Store` and run on its engine (and, on PostgreSQL, in its schema). The first revision
creates the whole schema; ``tests/persistence/test_migrations.py`` checks that models and
migrations agree on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from tradeforge.persistence.errors import SchemaError
from tradeforge.persistence.models import Base
from tradeforge.persistence.store import Store

SCRIPT_LOCATION = Path(__file__).resolve().parent
CANDLE_TABLE_PREFIX = "candles"
"""The PostgreSQL candle store manages its own tables (partitions, hypertables)."""


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the candle store's tables and views out of schema comparisons."""
    return not (reflected and (name or "").startswith(CANDLE_TABLE_PREFIX))


def context_options(dialect: str) -> dict[str, Any]:
    """The migration context options tradeforge uses (``env.py`` and the schema test)."""
    return {
        "target_metadata": Base.metadata,
        "render_as_batch": dialect == "sqlite",
        "include_object": include_object,
        "compare_type": True,
    }


@dataclass(frozen=True, slots=True)
class Revision:
    """One migration: its id, the one before it, and its message."""

    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def alembic_config(store: Store | None = None) -> Config:
    """An Alembic configuration pointing at the shipped scripts (and at ``store``, if given)."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if store is not None:
        config.attributes["store"] = store
    return config


def upgrade(store: Store, revision: str = "head") -> None:
    """Migrate ``store`` up to ``revision`` (default: the latest)."""
    _run(store, lambda config: command.upgrade(config, revision))


def downgrade(store: Store, revision: str) -> None:
    """Migrate ``store`` down to ``revision`` (``base`` removes every table, ``-1`` one step)."""
    _run(store, lambda config: command.downgrade(config, revision))


def current(store: Store) -> str | None:
    """The revision ``store`` is at, ``None`` when it has no tradeforge schema yet."""
    with store.translate_errors(), store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    """The latest revision shipped with this version of tradeforge."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None
    return found


def history() -> list[Revision]:
    """Every shipped revision, newest first."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    return [
        Revision(
            revision=rev.revision,
            down_revision=rev.down_revision if isinstance(rev.down_revision, str) else None,
            message=(rev.doc or "").strip(),
            is_head=rev.revision in heads,
        )
        for rev in script.walk_revisions()
    ]


def ensure_schema(store: Store) -> None:
    """Upgrade ``store`` to the latest revision when it is behind (a no-op when up to date)."""
    if current(store) != head():
        upgrade(store)


def _run(store: Store, action: object) -> None:
    assert callable(action)
    try:
        with store.translate_errors():
            action(alembic_config(store))
    except CommandError as error:
        raise SchemaError(f"{store!r}: {error}") from None
