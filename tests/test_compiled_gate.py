"""The risk gate compiled with mypyc (``tools/compile_gate.py``) behaves as the Python one: the
risk tests run against the compiled modules and pass."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from compile_gate import GATE_MODULES, compile_gate, compiled_modules  # noqa: E402

pytestmark = pytest.mark.compiler


@pytest.fixture(scope="module")
def compiled() -> Path:
    """The compiled gate's folder (built once per change of the sources)."""
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if shutil.which("gcc") is None or not headers.is_file():
        pytest.skip(f"needs gcc and the Python headers ({headers})")
    return compile_gate(quiet=True)


def run_compiled(build: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(build)
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )


def test_every_gate_module_is_compiled_and_imported(compiled: Path) -> None:
    assert compiled_modules(compiled) == list(GATE_MODULES)
    where = run_compiled(
        compiled,
        "-c",
        "import tradeforge.risk.engine as e, tradeforge.risk.checks.market as m; "
        "print(e.__file__); print(m.__file__)",
    )
    engine, market = where.stdout.split()
    assert engine.startswith(str(compiled)) and engine.endswith(".so"), where.stderr
    assert market == str(compiled / "tradeforge" / "risk" / "checks" / "market.py")


def test_the_risk_tests_pass_against_the_compiled_gate(compiled: Path) -> None:
    done = run_compiled(compiled, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/risk")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " failed" not in done.stdout and " passed" in done.stdout
