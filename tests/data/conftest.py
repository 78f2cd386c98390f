"""Shared fixtures for the market-data tests: real files and small constructed frames."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "data"
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture
def fixtures() -> Path:
    """The small real files copied into the repo."""
    return FIXTURES


@pytest.fixture
def shared() -> Path:
    """The bundled real-data folder next to the repo; tests skip without it."""
    if not SHARED.is_dir():
        pytest.skip(f"shared market data not found at {SHARED}")
    return SHARED
