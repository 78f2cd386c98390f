"""Backup then restore gives back identical rows, on both backends and by every method."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.persistence.seed import seed
from tradeforge.persistence.backup import backup, restore
from tradeforge.persistence.errors import StoreError
from tradeforge.persistence.rows import table_sum, tables
from tradeforge.persistence.store import Store


def _sums(store: Store) -> dict[str, tuple[int, str]]:
    with store.engine.connect() as connection:
        return {t.name: (s.rows, s.checksum) for t in tables() for s in [table_sum(connection, t)]}


@pytest.mark.parametrize("method", [None, "jsonl"])
def test_backup_then_restore_gives_identical_rows(
    store: Store, tmp_path: Path, method: str | None
) -> None:
    seed(store)
    before = _sums(store)
    info = backup(store, tmp_path / "backup.bin", method=method)  # type: ignore[arg-type]
    expected = method or ("sqlite" if store.backend == "sqlite" else "pg_dump")
    assert info.method == expected
    with store.engine.begin() as connection:  # damage after the backup
        connection.execute(text("DELETE FROM fills"))
        connection.execute(text("UPDATE balances SET total = '5'"))
    assert _sums(store) != before
    assert restore(store, info.path).method == expected
    assert _sums(store) == before
    assert before["orders"][0] == 3


def test_a_jsonl_backup_moves_between_backends(
    make_store: object, store: Store, tmp_path: Path
) -> None:
    seed(store)
    path = backup(store, tmp_path / "dump.jsonl", method="jsonl").path
    other = make_store("sqlite")  # type: ignore[operator]
    restore(other, path)
    assert _sums(other) == _sums(store)


def test_an_unknown_file_is_refused(store: Store, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    with pytest.raises(StoreError, match="is not a tradeforge backup"):
        restore(store, bogus)
