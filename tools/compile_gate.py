"""Compile the risk gate with mypyc: the pre-trade checks as C extensions, same source.

The gate runs at every order, so its cost is Python's: calls, attribute reads, small objects.
mypyc (the compiler mypy is built with) turns the type-annotated modules below into C
extensions with native calls between them and the same behaviour; everything else stays
Python. The correlation check's module is left out (its kernel is compiled by numba).

The tool copies ``src/tradeforge`` to ``build/compiled-gate/tradeforge`` and compiles the gate's
modules there; put that folder first on ``PYTHONPATH`` to run the compiled gate::

    python tools/compile_gate.py
    PYTHONPATH=build/compiled-gate python bench/bench_risk.py

A build is kept while no source file of the package changed (a stamp of their contents).
Needs a C compiler and the Python headers (``gcc``, ``python3-dev``) and mypy (the ``dev``
extra). A wheel's build runs it too and ships what it compiled (``tools/hatch_build.py``);
``tests/test_compiled_gate.py`` builds the wheel and runs the risk tests against it.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "src" / "tradeforge"
BUILD = REPO / "build" / "compiled-gate"
GATE_MODULES = (
    "risk/engine.py",
    "risk/ticket.py",
    "risk/context.py",
    "risk/account_view.py",
    "risk/holdings.py",
    "risk/projection.py",
    "risk/gate.py",
    "risk/checks/__init__.py",
    "risk/checks/account.py",
    "risk/checks/base.py",
    "risk/checks/exposure.py",
    "risk/checks/orders.py",
    "risk/checks/text.py",
    "risk/checks/venue.py",
)
"""The modules compiled, relative to the package (``risk/checks/market.py`` stays Python:
numba compiles its correlation kernel)."""
_STAMP = ".source-stamp"


def source_stamp(source: Path = SOURCE) -> str:
    """A digest of every Python file of the package, its path and its contents."""
    digest = hashlib.sha256()
    for path in sorted(source.rglob("*.py")):
        digest.update(path.relative_to(source).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(" ".join(GATE_MODULES).encode())
    return digest.hexdigest()


def compile_gate(build: Path = BUILD, *, quiet: bool = False) -> Path:
    """Build (or keep) the compiled gate under ``build``; return the folder to put on
    ``PYTHONPATH``.

    Raises
    ------
    RuntimeError
        When mypyc fails (its output is in the message).
    """
    stamp = source_stamp()
    kept = build / _STAMP
    if kept.exists() and kept.read_text() == stamp:
        return build
    shutil.rmtree(build, ignore_errors=True)
    shutil.copytree(SOURCE, build / "tradeforge", ignore=shutil.ignore_patterns("__pycache__"))
    command = [
        sys.executable, "-m", "mypyc",
        "--ignore-missing-imports",  # a wheel's build environment has mypy, not numpy
        *(f"tradeforge/{m}" for m in GATE_MODULES),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=build, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"mypyc failed ({' '.join(command)}):\n{done.stdout}\n{done.stderr}")
    if not quiet:
        print(f"compiled {len(GATE_MODULES)} modules of the risk gate into {build}")
    kept.write_text(stamp)
    return build


def shipped_extensions(build: Path = BUILD) -> dict[str, str]:
    """What a wheel ships of ``build``: each compiled module's extension, and the mypyc
    runtime they share (a top-level module), by the path each has in the wheel."""
    shipped = {str(path): path.name for path in build.glob("*__mypyc.*.so")}
    for module in GATE_MODULES:
        folder = (build / "tradeforge" / module).parent
        for path in folder.glob(_extension_of(module)):
            shipped[str(path)] = path.relative_to(build).as_posix()
    return shipped


def _extension_of(module: str) -> str:
    return f"{Path(module).stem}.*.so"


def _stem(module: str) -> str:
    """``risk/engine.py`` → ``tradeforge/risk/engine``: its extension's path in a wheel, less
    the suffix."""
    return f"tradeforge/{module.removesuffix('.py')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=BUILD, help="where to build")
    args = parser.parse_args()
    build = compile_gate(args.build)
    shipped = set(shipped_extensions(build).values())
    missing = [m for m in GATE_MODULES if not any(s.startswith(_stem(m) + ".") for s in shipped)]
    if missing:
        raise SystemExit(f"not compiled: {', '.join(missing)}")
    print(f"PYTHONPATH={build}")


if __name__ == "__main__":
    main()
