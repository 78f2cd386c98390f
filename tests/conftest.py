"""Shared fixtures: where the real data lives, and the PostgreSQL / Redis gate.

Tests marked ``postgres`` or ``redis`` skip when the server is unreachable, tests marked
``browser`` when Chromium (or Playwright) is missing, and tests marked ``compiler`` when no C
compiler or Python headers are there, except when
``TRADEFORGE_REQUIRE_SERVICES=1`` (set by ``.ci/run``): then any skip of such a test, for
whatever reason, is reported as a failure, so CI can never pass without them.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Generator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest_plugins = ["pytester"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT.parent / "shared" / "data").resolve()
REQUIRE_SERVICES = os.environ.get("TRADEFORGE_REQUIRE_SERVICES") == "1"
SERVICE_MARKERS = ("postgres", "redis", "browser", "compiler")
DEFAULT_URLS = {
    "postgres": "postgresql://postgres@127.0.0.1:5432/test",
    "redis": "redis://127.0.0.1:6379/0",
}


def service_url(name: str) -> str:
    """URL of a test service, from ``TRADEFORGE_TEST_<NAME>_URL`` or the local default."""
    return os.environ.get(f"TRADEFORGE_TEST_{name.upper()}_URL", DEFAULT_URLS[name])


def reachable(url: str, timeout: float = 1.0) -> bool:
    """True when a TCP connection to the URL's host and port succeeds."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 0), timeout):
            return True
    except OSError:
        return False


def _require(name: str) -> str:
    url = service_url(name)
    if not reachable(url):
        pytest.skip(f"needs {name} at {url}")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the test PostgreSQL server (skips, or fails under CI, when unreachable)."""
    return _require("postgres")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the test Redis server (skips, or fails under CI, when unreachable)."""
    return _require("redis")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a Chromium binary for Playwright: ``TRADEFORGE_TEST_CHROMIUM``, else Debian's
    ``chromium`` on the PATH (skips, or fails under CI, when missing; no browser download)."""
    pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    configured = os.environ.get("TRADEFORGE_TEST_CHROMIUM")
    found = configured if configured else shutil.which("chromium")
    if not found or not Path(found).is_file():
        where = found or "chromium on the PATH"
        pytest.skip(f"needs Chromium at {where} (apt-get install chromium)")
    return found


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real market data in ``../shared/data`` (skips when it is not beside the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    needs_service = any(item.get_closest_marker(name) for name in SERVICE_MARKERS)
    if REQUIRE_SERVICES and needs_service and report.skipped:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} needs a service but was skipped, and "
            f"TRADEFORGE_REQUIRE_SERVICES=1 forbids that: {report.longrepr}"
        )
    return report
