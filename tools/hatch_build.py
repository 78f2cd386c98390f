"""Build hook: a wheel of tradeforge ships the risk gate compiled with mypyc.

Every order passes the risk gate, so its cost per order is Python's; compiled with mypyc
(``tools/compile_gate.py``: the same source, 14 modules) it costs about a third less, and
its p99 per order fits the 50 µs target (``docs/risk.md``, "Validation cost"). As mypy and
black ship, the wheel carries each compiled module's extension beside its source: Python
imports the extension first.

- An editable install (``pip install -e .``) stays pure Python: an edited source file is what
  runs, never a stale extension.
- ``TRADEFORGE_PURE_PYTHON=1`` builds a pure-Python wheel.
- Without a C compiler or the Python headers the build warns and ships Python: the gate's
  outcomes are the same, only slower.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compile_gate import GATE_MODULES, compile_gate, shipped_extensions

PURE_PYTHON = "TRADEFORGE_PURE_PYTHON"


class CompiledGateHook(BuildHookInterface):  # type: ignore[type-arg]  # untyped in hatchling
    """Compile the gate for a standard wheel and add its extensions to it."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile into a temporary folder; add the extensions and mark the wheel as
        platform-specific (its tag is inferred: ``cp311-cp311-linux_x86_64``)."""
        self._workdir: str | None = None
        if self.target_name != "wheel" or version == "editable":
            return
        if os.environ.get(PURE_PYTHON):
            self.app.display_info(f"{PURE_PYTHON} is set: the risk gate ships as Python")
            return
        self._workdir = tempfile.mkdtemp(prefix="tradeforge-gate-")
        try:
            build = compile_gate(Path(self._workdir) / "gate", quiet=True)
        except (RuntimeError, OSError) as error:
            self.app.display_warning(f"the risk gate ships as Python, mypyc failed: {error}")
            return
        shipped = shipped_extensions(build)
        if len(shipped) != len(GATE_MODULES) + 1:  # and the shared runtime
            raise RuntimeError(f"compiled gate incomplete: {sorted(shipped.values())}")
        build_data["force_include"].update(shipped)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        self.app.display_info(f"the risk gate is compiled: {len(GATE_MODULES)} modules")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary build."""
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
