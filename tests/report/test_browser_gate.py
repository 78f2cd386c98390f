"""The browser test may skip without Chromium locally, but never under CI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
MARKED_TEST = """
import pytest

@pytest.mark.browser
def test_uses_chromium(chromium):
    assert chromium
"""


@pytest.fixture
def no_chromium(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    shutil.copy(CONFTEST, pytester.path / "conftest.py")
    pytester.makeini("[pytest]\nmarkers =\n    browser: b\n    redis: r\n    postgres: p\n")
    pytester.makepyfile(test_marked=MARKED_TEST)
    monkeypatch.setenv("TRADEFORGE_TEST_CHROMIUM", str(pytester.path / "no-such-chromium"))
    return pytester


def test_missing_chromium_skips_locally(
    no_chromium: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRADEFORGE_REQUIRE_SERVICES", raising=False)
    result = no_chromium.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)


def test_missing_chromium_fails_when_required(
    no_chromium: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEFORGE_REQUIRE_SERVICES", "1")
    result = no_chromium.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*TRADEFORGE_REQUIRE_SERVICES=1 forbids that*"])
