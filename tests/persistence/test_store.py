"""Store URLs, backends and the CLI's one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.persistence.conftest import cli_url
from tradeforge.cli.main import app
from tradeforge.persistence import migrations
from tradeforge.persistence.errors import StoreUnavailableError, StoreUrlError
from tradeforge.persistence.store import Store, normalize_url


def test_postgresql_urls_get_the_psycopg_driver() -> None:
    for url in ("postgresql://u:pw@db:5432/tf", "postgres://u:pw@db:5432/tf",
                "postgresql+psycopg://u:pw@db:5432/tf"):  # fmt: skip
        normalized = normalize_url(url)
        assert normalized.drivername == "postgresql+psycopg"
        assert normalized.render_as_string(hide_password=False) == (
            "postgresql+psycopg://u:pw@db:5432/tf"
        )
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_bad_and_unsupported_urls_are_refused() -> None:
    with pytest.raises(StoreUrlError, match="bad database URL 'not a url'"):
        normalize_url("not a url")
    with pytest.raises(StoreUrlError, match="unsupported database 'mysql://u:\\*\\*\\*@h/d'"):
        normalize_url("mysql://u:secret@h/d")


def test_an_unreachable_server_is_one_clear_error() -> None:
    store = Store("postgresql://postgres@127.0.0.1:1/nothing")
    with pytest.raises(StoreUnavailableError, match="^cannot reach postgresql\\+psycopg://"):
        store.check_connection()


def test_the_cli_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    for args, message in (
        (["runs", "list", "--db", "mysql://x/y"], "error: unsupported database 'mysql://x/y'"),
        (["runs", "list", "--db", "postgresql://postgres@127.0.0.1:1/x"], "error: cannot reach"),
        (["runs", "show", "7"], "error: no backtest run 7"),
        (["db", "restore", "x.db"], "error: restore replaces every row of the store: add --yes"),
    ):
        done = subprocess.run([sys.executable, "-m", "tradeforge", *args], cwd=tmp_path,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr.startswith(message), (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1
    assert (tmp_path / ".tradeforge" / "tradeforge.db").is_file()  # the default store


def test_db_commands_upgrade_downgrade_current_history(empty_store: Store) -> None:
    runner, db, head = CliRunner(), cli_url(empty_store), migrations.head()
    current = runner.invoke(app, ["db", "current", "--db", db, "--json"])
    assert current.stdout.strip() == f'{{"current": null, "head": "{head}"}}'
    assert runner.invoke(app, ["db", "upgrade", "--db", db]).exit_code == 0
    current = runner.invoke(app, ["db", "current", "--db", db, "--json"])
    assert current.stdout.strip() == f'{{"current": "{head}", "head": "{head}"}}'
    assert runner.invoke(app, ["db", "downgrade", "base", "--db", db]).exit_code == 0
    current = runner.invoke(app, ["db", "current", "--db", db, "--json"])
    assert current.stdout.strip() == f'{{"current": null, "head": "{head}"}}'
    history = runner.invoke(app, ["db", "history"])
    assert "<base> -> 0001: initial schema" in history.stdout
    assert "0001 -> 0002: trading state: the source" in history.stdout.replace(" (head)", "")
    assert f"-> {head} (head): " in history.stdout


def test_audit_verify_and_db_backup_restore_commands(store: Store, tmp_path: Path) -> None:
    from sqlalchemy import text

    from tests.persistence.seed import seed

    seed(store, orders=1)
    runner, db = CliRunner(), cli_url(store)
    ok = runner.invoke(app, ["audit", "verify", "--db", db])
    assert ok.exit_code == 0 and "audit log intact: 5 entries" in ok.stdout
    if store.backend == "sqlite":
        backed = runner.invoke(app, ["db", "backup", str(tmp_path / "b.db"), "--db", db])
        assert "backup (sqlite) written to" in backed.stdout
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    bad = runner.invoke(app, ["audit", "verify", "--db", db, "--json"])
    assert bad.exit_code == 1
    assert '"kind": "edited"' in bad.stdout and '"seq": 2' in bad.stdout
    if store.backend == "sqlite":
        restored = runner.invoke(app, ["db", "restore", str(tmp_path / "b.db"), "--yes",
                                       "--db", db])  # fmt: skip
        assert restored.exit_code == 0, restored.output
        assert runner.invoke(app, ["audit", "verify", "--db", db]).exit_code == 0


@pytest.mark.postgres
def test_db_copy_command(make_store: object, tmp_path: Path) -> None:
    from tests.persistence.seed import seed
    from tradeforge.persistence import migrations

    source, target = make_store("sqlite"), make_store("postgres")  # type: ignore[operator]
    migrations.upgrade(source)
    seed(source, orders=2)
    done = CliRunner().invoke(app, ["db", "copy", "--from", cli_url(source), "--to",
                                    cli_url(target), "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["rows"] == 23  # 2 orders, 8 states, 2 fills, 9 audit, 1 run, 1 balance
    assert document["tables"]["audit_log"]["rows"] == 9
