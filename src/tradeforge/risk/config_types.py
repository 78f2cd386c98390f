"""What every risk configuration model shares: strictness, durations, exact decimals.

The limits (:mod:`tradeforge.risk.limits`) and the circuit breakers
(:mod:`tradeforge.risk.breaker_limits`) read their YAML the same way: unknown keys are refused,
models are frozen, durations read ``250ms``, ``30s``, ``5m``, ``1h``, ``1d``, a number of
seconds or ISO 8601, and floats become decimals through their shortest text.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class Strict(BaseModel):
    """A frozen model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def duration(value: object) -> object:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"1d"``, ``"250ms"`` or a number of seconds."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
        if not value.strip().upper().startswith("P") and ":" not in value:
            raise ValueError(
                f"write a duration as 30s, 5m, 1h, 1d, 250ms, a number of seconds or "
                f"ISO 8601 (PT5M), got {value!r}"
            )
    return value


def positive(value: timedelta) -> timedelta:
    """``value``, or a ValueError when it is not a positive duration."""
    if value <= timedelta(0):
        raise ValueError(f"must be a positive duration, got {value}")
    return value


def exact(value: object) -> object:
    """A float as the decimal of its shortest text (``0.1`` is ``Decimal("0.1")``); a bool is
    refused, anything else passes to the field's own validation."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {value!r}")
    return Decimal(repr(value)) if isinstance(value, float) else value


Duration = Annotated[timedelta, BeforeValidator(duration)]
"""A duration read as :func:`duration` does (a field type for config models)."""

PositiveDuration = Annotated[timedelta, BeforeValidator(duration), AfterValidator(positive)]
"""A positive duration read as :func:`duration` does (a field type for config models)."""
