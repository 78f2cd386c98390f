"""Backup and restore of a whole store, on both backends.

- **SQLite**: SQLite's online backup API (``sqlite3.Connection.backup``), a consistent copy
  taken while other connections read and write; the backup is itself a SQLite file. Restore
  copies it back the same way.
- **PostgreSQL**: ``pg_dump --format=custom`` of the store's schema when ``pg_dump`` is on
  the PATH, restored with ``pg_restore --clean --if-exists --single-transaction`` (the password
  goes through ``PGPASSWORD``, never the command line). Without ``pg_dump``, or with
  ``method="jsonl"``, a portable JSON-lines dump of every table through SQLAlchemy: a header
  line (format, schema revision, table list), then one line per row with exact values
  (decimals and datetimes as text). A JSON-lines backup restores into either backend.

:func:`restore` recognises the format from the file itself.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tradeforge.persistence import migrations
from tradeforge.persistence.errors import SchemaError, StoreError
from tradeforge.persistence.rows import canonical, clear, decode, iter_rows, reset_sequences, tables
from tradeforge.persistence.store import Store

Method = Literal["sqlite", "pg_dump", "jsonl"]
JSONL_FORMAT = "tradeforge-jsonl/1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"
_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """A backup written or restored: the file and the method."""

    path: Path
    method: Method


def backup(store: Store, path: str | Path, *, method: Method | None = None) -> BackupInfo:
    """Write a backup of ``store`` to ``path`` (parent folders are created).

    Parameters
    ----------
    method : {"sqlite", "pg_dump", "jsonl"}, optional
        Default: ``sqlite`` for SQLite, ``pg_dump`` for PostgreSQL when it is on the PATH,
        else ``jsonl``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    chosen = method or _default_method(store)
    if chosen == "sqlite":
        if store.backend != "sqlite":
            raise StoreError("the sqlite backup method needs a SQLite store")
        target.unlink(missing_ok=True)
        with store.translate_errors(), store.engine.connect() as connection:
            raw: Any = connection.connection.dbapi_connection
            with sqlite3.connect(target) as copy:
                raw.backup(copy)
            copy.close()
    elif chosen == "pg_dump":
        _pg_tool(store, "pg_dump", "--format=custom", f"--file={target}",
                 f"--schema={store.schema or 'public'}", "--no-owner")  # fmt: skip
    else:
        _write_jsonl(store, target)
    return BackupInfo(target, chosen)


def restore(store: Store, path: str | Path) -> BackupInfo:
    """Replace the contents of ``store`` with the backup at ``path``.

    Raises
    ------
    StoreError
        When the file is missing, of an unknown format, or of a format this backend cannot
        restore (a SQLite file into PostgreSQL: use a JSON-lines backup or ``db copy``).
    """
    source = Path(path)
    if not source.is_file():
        raise StoreError(f"backup file {source} not found")
    with source.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(_SQLITE_MAGIC):
        _restore_sqlite(store, source)
        return BackupInfo(source, "sqlite")
    if head.startswith(_PGDUMP_MAGIC):
        if store.backend != "postgresql":
            raise StoreError(f"{source} is a pg_dump archive: it restores into PostgreSQL only")
        _pg_tool(store, "pg_restore", "--clean", "--if-exists", "--single-transaction",
                 "--no-owner", f"--schema={store.schema or 'public'}", str(source))  # fmt: skip
        store.dispose()
        return BackupInfo(source, "pg_dump")
    if head.startswith(b"{"):
        _restore_jsonl(store, source)
        return BackupInfo(source, "jsonl")
    raise StoreError(f"{source} is not a tradeforge backup (SQLite, pg_dump or JSON lines)")


def _default_method(store: Store) -> Method:
    if store.backend == "sqlite":
        return "sqlite"
    return "pg_dump" if shutil.which("pg_dump") else "jsonl"


def _restore_sqlite(store: Store, source: Path) -> None:
    if store.backend != "sqlite":
        raise StoreError(f"{source} is a SQLite file: use `tradeforge db copy` into PostgreSQL")
    store.dispose()
    with store.translate_errors(), store.engine.connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        with sqlite3.connect(source) as backup_file:
            backup_file.backup(raw)
        backup_file.close()
    store.dispose()


def _pg_tool(store: Store, tool: str, *args: str) -> None:
    found = shutil.which(tool)
    if found is None:
        raise StoreError(f"{tool} is not on the PATH (install postgresql-client)")
    url = store.url
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": str(url.password)} if url.password else {})}
    done = subprocess.run(
        [found, f"--dbname={libpq}", *args], capture_output=True, text=True, check=False, env=env
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise StoreError(f"{tool} failed: {lines[0] if lines else f'exit {done.returncode}'}")


def _write_jsonl(store: Store, target: Path) -> None:
    revision = migrations.current(store)
    header = {"format": JSONL_FORMAT, "revision": revision, "tables": [t.name for t in tables()]}
    with (
        store.translate_errors(),
        store.engine.connect() as connection,
        target.open("w", encoding="utf-8") as out,
    ):
        out.write(json.dumps(header) + "\n")
        for table in tables():
            for row in iter_rows(connection, table):
                line = {"table": table.name, "row": {k: canonical(v) for k, v in row.items()}}
                out.write(json.dumps(line, sort_keys=True) + "\n")


def _restore_jsonl(store: Store, source: Path) -> None:
    by_name = {t.name: t for t in tables()}
    with source.open(encoding="utf-8") as lines:
        header = json.loads(next(lines))
        if header.get("format") != JSONL_FORMAT:
            raise StoreError(f"{source}: not a {JSONL_FORMAT} backup")
        migrations.ensure_schema(store)
        if header.get("revision") != migrations.current(store):
            raise SchemaError(
                f"{source} was taken at schema revision {header.get('revision')}, the store is "
                f"at {migrations.current(store)}"
            )
        with store.translate_errors(), store.engine.begin() as connection:
            clear(connection)
            current: str | None = None
            batch: list[dict[str, Any]] = []
            for line in lines:  # rows come table by table, parents first
                item = json.loads(line)
                if item["table"] != current or len(batch) >= _BATCH:
                    if batch and current is not None:
                        connection.execute(by_name[current].insert(), batch)
                    current, batch = item["table"], []
                batch.append(decode(by_name[item["table"]], item["row"]))
            if batch and current is not None:
                connection.execute(by_name[current].insert(), batch)
            reset_sequences(connection)
