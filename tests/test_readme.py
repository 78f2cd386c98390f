"""The README's Quick start is what CI runs, and the CLI tour names real commands."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def load_ci_helper() -> object:
    spec = importlib.util.spec_from_file_location(
        "readme_command", REPO / ".ci" / "readme_command.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_start_has_exactly_two_commands() -> None:
    commands = load_ci_helper().quick_start_commands(README)  # type: ignore[attr-defined]
    assert len(commands) == 2
    setup_and_demo, setup_and_test = commands
    assert "requirements/lock.txt" in setup_and_demo
    assert setup_and_demo.endswith("tradeforge demo")
    assert "requirements/lock.txt" in setup_and_test
    assert "pytest" in setup_and_test


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert "readme_command.py 2" in ci
    assert "TRADEFORGE_REQUIRE_SERVICES=1" in ci


def test_tour_commands_exist() -> None:
    from typer.testing import CliRunner

    from tradeforge.cli.main import app

    tour = README.split("## A tour of the command line", 1)[1].split("\n## ", 1)[0]
    groups = "data |config |report |analysis |runs |db |audit "
    commands = set(re.findall(rf"^tradeforge ((?:{groups})?[\w-]+)", tour, re.M))
    assert {"demo", "data import", "data validate", "data resample", "config show"} <= commands
    assert "report compare" in commands
    runner = CliRunner()
    for command in sorted(commands):
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, f"tradeforge {command} --help: {result.output}"
