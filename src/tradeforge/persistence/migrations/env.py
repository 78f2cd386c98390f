"""Alembic environment: runs the migrations on the store handed over in the config."""

from __future__ import annotations

from alembic import context

from tradeforge.persistence.migrations import context_options
from tradeforge.persistence.store import Store


def run_migrations() -> None:
    """Migrate the :class:`Store` in ``config.attributes["store"]``, in one transaction."""
    store = context.config.attributes.get("store")
    if not isinstance(store, Store):
        raise RuntimeError("tradeforge migrations run through tradeforge.persistence.migrations")
    with store.engine.begin() as connection:
        context.configure(connection=connection, **context_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
