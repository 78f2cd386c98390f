"""A wheel of tradeforge ships the risk gate compiled with mypyc (``tools/hatch_build.py``), and
the compiled gate behaves as the Python one: the risk tests run against the wheel and pass.
An editable install (this test environment's) runs the Python source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import tradeforge.risk.engine

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from compile_gate import GATE_MODULES  # noqa: E402

pytestmark = [pytest.mark.compiler, pytest.mark.xdist_group("wheel")]  # one build
EXTENSION = sysconfig.get_config_var("EXT_SUFFIX")  # .cpython-311-x86_64-linux-gnu.so
TAG = f"cp{sys.version_info.major}{sys.version_info.minor}"


def _needs_a_compiler() -> None:
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if shutil.which("gcc") is None or not headers.is_file():
        pytest.skip(f"needs gcc and the Python headers ({headers})")


def _wheel(folder: Path, **env: str) -> Path:
    """A wheel of the checkout, built as ``pip wheel`` builds it (isolated), in ``folder``."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(REPO)],
        env={**os.environ, **env}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [wheel] = folder.glob("tradeforge-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _needs_a_compiler()
    return _wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked: a folder to put first on ``PYTHONPATH``."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def run_installed(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )


def test_the_wheel_ships_every_gate_module_compiled_beside_its_source(wheel: Path) -> None:
    assert wheel.name == f"tradeforge-0.1.0-{TAG}-{TAG}-linux_x86_64.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in GATE_MODULES:
        source = f"tradeforge/{module}"
        assert source in names
        assert source.removesuffix(".py") + EXTENSION in names
    assert "tradeforge/risk/checks/market.py" in names  # numba compiles its kernel
    assert "tradeforge/risk/checks/market" + EXTENSION not in names
    runtime = [n for n in names if "/" not in n and n.endswith("__mypyc" + EXTENSION)]
    assert len(runtime) == 1  # the runtime the compiled modules share
    assert len([n for n in names if n.endswith(".so")]) == len(GATE_MODULES) + 1


def test_the_installed_wheel_imports_the_compiled_gate(installed: Path) -> None:
    where = run_installed(
        installed,
        "-c",
        "import tradeforge.risk.engine as e, tradeforge.risk.checks.market as m; "
        "print(e.__file__); print(m.__file__)",
    )
    engine, market = where.stdout.split()
    assert engine == str(installed / "tradeforge" / "risk" / f"engine{EXTENSION}"), where.stderr
    assert market == str(installed / "tradeforge" / "risk" / "checks" / "market.py")


def test_the_risk_tests_pass_against_the_compiled_gate(installed: Path) -> None:
    done = run_installed(installed, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/risk")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " failed" not in done.stdout and " passed" in done.stdout


def test_an_editable_install_runs_the_python_source() -> None:
    assert tradeforge.risk.engine.__file__ == str(REPO / "src/tradeforge/risk/engine.py")


def test_a_wheel_without_the_compiled_gate_on_request(tmp_path: Path) -> None:
    pure = _wheel(tmp_path, TRADEFORGE_PURE_PYTHON="1")
    assert pure.name == "tradeforge-0.1.0-py3-none-any.whl"
    assert not [n for n in zipfile.ZipFile(pure).namelist() if n.endswith(".so")]
