"""Whole tables as canonical rows: for ``db copy`` checksums and for JSON-lines backups.

A canonical value is the same text on SQLite and PostgreSQL for the same stored value:
decimals without exponent or trailing zeros, datetimes in ISO 8601 UTC, symbols and enums as
text, JSON documents with sorted keys. A table's checksum is the SHA-256 of its canonical rows
in primary-key order, one JSON line each.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

from tradeforge.model.symbol import Symbol
from tradeforge.persistence.models import Base
from tradeforge.persistence.types import ExactDecimal, UtcDateTime

BATCH_ROWS = 1_000


def tables() -> list[Table]:
    """Every table of the store, parents before children."""
    return list(Base.metadata.sorted_tables)


@dataclass(frozen=True, slots=True)
class TableSum:
    """A table's row count and checksum."""

    table: str
    rows: int
    checksum: str


def canonical(value: Any) -> Any:
    """A JSON-ready value that is the same text on every backend."""
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Symbol):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, sort_keys=True))
    return value


def _decimal_text(value: Decimal) -> str:
    if not value:
        return "0"
    return format(value.normalize(), "f")


def iter_rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """The table's rows in primary-key order, as Python values (through the column types)."""
    query = select(table).order_by(*table.primary_key.columns)
    for row in connection.execution_options(yield_per=BATCH_ROWS).execute(query):
        yield dict(row._mapping)


def table_sum(connection: Connection, table: Table) -> TableSum:
    """Row count and SHA-256 of the canonical rows."""
    digest, count = hashlib.sha256(), 0
    for row in iter_rows(connection, table):
        line = json.dumps({k: canonical(v) for k, v in row.items()}, sort_keys=True)
        digest.update(line.encode("utf-8") + b"\n")
        count += 1
    return TableSum(table.name, count, digest.hexdigest())


def count_rows(connection: Connection, table: Table) -> int:
    """``SELECT count(*)``."""
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A row read back from JSON lines: decimals and datetimes from their text."""
    out = dict(row)
    for column in table.columns:
        value = out.get(column.name)
        if value is None:
            continue
        if isinstance(column.type, ExactDecimal):
            out[column.name] = Decimal(value)
        elif isinstance(column.type, UtcDateTime):
            out[column.name] = datetime.fromisoformat(value)
    return out


def reset_sequences(connection: Connection) -> None:
    """PostgreSQL: move every ``id`` sequence past the largest stored id (after copying ids)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables():
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
            )
        )


def clear(connection: Connection) -> None:
    """Delete every row of every table, children first."""
    for table in reversed(tables()):
        connection.execute(table.delete())
