"""``db copy``: move a whole store to another database, then prove the copy is whole.

The target is migrated to the latest revision and must be empty. Every table is copied in
dependency order, in batches, in one transaction on the target (a failure leaves it empty),
ids included (PostgreSQL sequences are moved past them). Then each table's row count and
checksum (:mod:`tradeforge.persistence.rows`) are computed on both sides and compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeforge.persistence import migrations
from tradeforge.persistence.errors import CopyMismatchError, SchemaError, StoreError
from tradeforge.persistence.rows import (
    BATCH_ROWS,
    TableSum,
    count_rows,
    iter_rows,
    reset_sequences,
    table_sum,
    tables,
)
from tradeforge.persistence.store import Store, display_url


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What was copied: per table, the rows and the checksum both sides agree on."""

    source: str
    target: str
    tables: tuple[TableSum, ...]

    @property
    def rows(self) -> int:
        """Rows copied in all."""
        return sum(t.rows for t in self.tables)


def copy_store(source: Store, target: Store) -> CopyReport:
    """Copy every row of ``source`` into the empty ``target`` and verify the copy.

    Raises
    ------
    SchemaError
        When the source is not at the latest revision (upgrade it first).
    StoreError
        When the target already holds rows.
    CopyMismatchError
        When a table's row count or checksum differs after the copy; names the table.
    """
    head = migrations.head()
    if migrations.current(source) != head:
        raise SchemaError(
            f"{source!r} is at revision {migrations.current(source)}, not {head}: "
            "run `tradeforge db upgrade` on it first"
        )
    migrations.ensure_schema(target)
    with target.translate_errors(), target.engine.begin() as into:
        filled = [t.name for t in tables() if count_rows(into, t)]
        if filled:
            raise StoreError(
                f"{display_url(target.url)} is not empty (rows in {', '.join(filled)}): "
                "copy into an empty database"
            )
        with source.translate_errors(), source.engine.connect() as read:
            for table in tables():
                batch = []
                for row in iter_rows(read, table):
                    batch.append(row)
                    if len(batch) >= BATCH_ROWS:
                        into.execute(table.insert(), batch)
                        batch = []
                if batch:
                    into.execute(table.insert(), batch)
        reset_sequences(into)
    return verify_copy(source, target)


def verify_copy(source: Store, target: Store) -> CopyReport:
    """Compare row counts and checksums of every table on both stores.

    Raises
    ------
    CopyMismatchError
        Naming the first table that differs.
    """
    sums = []
    with source.engine.connect() as left, target.engine.connect() as right:
        for table in tables():
            a, b = table_sum(left, table), table_sum(right, table)
            if a.rows != b.rows:
                raise CopyMismatchError(
                    f"table {table.name}: {a.rows} rows in the source, {b.rows} in the target"
                )
            if a.checksum != b.checksum:
                raise CopyMismatchError(
                    f"table {table.name}: checksums differ ({a.checksum[:12]} in the source, "
                    f"{b.checksum[:12]} in the target)"
                )
            sums.append(a)
    return CopyReport(display_url(source.url), display_url(target.url), tuple(sums))
