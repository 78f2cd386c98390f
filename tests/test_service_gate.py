"""The CI gate: a test needing PostgreSQL or Redis may skip locally but never under CI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
MARKED_TEST = """
import pytest

@pytest.mark.redis
def test_uses_redis(redis_url):
    assert redis_url
"""


@pytest.fixture
def gated_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    shutil.copy(CONFTEST, pytester.path / "conftest.py")
    pytester.makeini("[pytest]\nmarkers =\n    redis: r\n    postgres: p\n")
    pytester.makepyfile(test_marked=MARKED_TEST)
    # Port 9 (discard) is closed here: the service is unreachable.
    monkeypatch.setenv("TRADEFORGE_TEST_REDIS_URL", "redis://127.0.0.1:9/0")
    return pytester


def test_unreachable_service_skips_locally(
    gated_run: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRADEFORGE_REQUIRE_SERVICES", raising=False)
    result = gated_run.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)


def test_unreachable_service_fails_when_required(
    gated_run: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEFORGE_REQUIRE_SERVICES", "1")
    result = gated_run.runpytest_subprocess("-p", "no:cacheprovider")
    # The skip happens while setting up the fixture, so pytest reports an error.
    result.assert_outcomes(errors=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*TRADEFORGE_REQUIRE_SERVICES=1 forbids that*"])
