"""Persistence: tradeforge's state in SQLite (default) or PostgreSQL, through SQLAlchemy 2.

- :mod:`~tradeforge.persistence.store`: :class:`Store`, the engine and short sessions.
- :mod:`~tradeforge.persistence.models`: the tables (instruments, orders and their state
  history, fills, positions, balances, equity, signals, strategy/backtest/optimization runs,
  risk events, trading-state changes, the audit log).
- :mod:`~tradeforge.persistence.types`: exact decimals, UTC datetimes, ``Symbol`` columns.
- :mod:`~tradeforge.persistence.repositories`, :mod:`~tradeforge.persistence.runs`: reads
  and writes.
- :mod:`~tradeforge.persistence.audit`: the hash-chained audit log and its verification.
- :mod:`~tradeforge.persistence.migrations`: Alembic, shipped in the package.
- :mod:`~tradeforge.persistence.copy`, :mod:`~tradeforge.persistence.backup`: moving and
  saving whole stores. :mod:`~tradeforge.persistence.candles`: the PostgreSQL candle store.

See ``docs/persistence.md``.
"""

from tradeforge.persistence.errors import (
    ConstraintViolationError,
    CopyMismatchError,
    SchemaError,
    StoreError,
    StoreUnavailableError,
    StoreUrlError,
    StoreValueError,
)
from tradeforge.persistence.store import Store, normalize_url

__all__ = [
    "ConstraintViolationError",
    "CopyMismatchError",
    "SchemaError",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "StoreUrlError",
    "StoreValueError",
    "normalize_url",
]
