"""Run the CLI in-process against a catalog in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tradeforge.cli.main import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data"
Invoke = Callable[..., Result]


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    return tmp_path / "catalog"


@pytest.fixture
def invoke(catalog_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``invoke("data", "list", "--json")`` runs the CLI with ``--catalog`` set to a temp dir."""
    for variable in ("TRADEFORGE_CONFIG", "TRADEFORGE_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    # state the commands write (the demo's HTML report) goes to a temporary home
    monkeypatch.setenv("TRADEFORGE_HOME", str(catalog_dir.parent / "home"))
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--catalog", str(catalog_dir), *args])

    return run


def json_of(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a subprocess (errors are printed, not raised)."""
    return subprocess.run(
        [sys.executable, "-m", "tradeforge", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
