"""The code stays ruff- and mypy-clean: checked by the test suite, so CI enforces it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_ruff_lint_and_format_are_clean() -> None:
    lint = run_tool("ruff", "check", "src", "tests", "bench", "tools", ".ci")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run_tool("ruff", "format", "--check", "src", "tests", "bench", "tools", ".ci")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict_is_clean() -> None:
    result = run_tool("mypy", "--no-error-summary")
    assert result.returncode == 0, result.stdout + result.stderr
