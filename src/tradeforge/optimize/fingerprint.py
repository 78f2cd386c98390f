"""What makes a trial's result what it is, as one SHA-256: the identity of a resumable study.

Two searches share finished points only when their fingerprints match: the same strategy
class and source file, the same bars, the same venue settings and instruments, the same mode
and order size, and the same goals. A point's parameters are its key inside a study.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from tradeforge.data.replay import BarSeries
from tradeforge.optimize.shared import COLUMNS
from tradeforge.optimize.trial import TrialSpec


def study_fingerprint(spec: TrialSpec, series: list[BarSeries], detail: list[BarSeries]) -> str:
    """The SHA-256 (hex) of everything but the parameters that decides a trial's results."""
    # the store's module (sqlalchemy) only for a stored study: a search in memory never asks
    from tradeforge.persistence.runs import code_hash  # noqa: PLC0415

    digest = hashlib.sha256()
    strategy = spec.strategy
    digest.update(f"{strategy.__module__}.{strategy.__qualname__}".encode())
    digest.update((code_hash(strategy) or "").encode())
    for s in (*series, *detail):
        digest.update(f"|{s.symbol}|{s.timeframe}|{len(s)}|".encode())
        for name in COLUMNS:
            digest.update(np.ascontiguousarray(getattr(s, name)).tobytes())
    config = spec.config
    digest.update(repr(config.model_dump(exclude={"funding"})).encode())
    if config.funding:
        digest.update(pickle.dumps(sorted(config.funding.items()), protocol=5))
    digest.update(repr(spec.instruments).encode())
    digest.update(f"|{spec.mode}|{spec.quantity!r}|{spec.fraction!r}|".encode())
    digest.update(spec.objective.signature().encode())
    return digest.hexdigest()


def point_key(params: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of a point's canonical JSON (sorted names)."""
    text = json.dumps(dict(params), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def encode_number(value: Any) -> Any:
    """A value JSON and JSONB accept: non-finite floats become ``"inf"``, ``"-inf"``,
    ``"nan"``; decimals their exact text."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode_number(value: Any) -> Any:
    """The inverse of :func:`encode_number` for numbers (text other than the three
    markers stays text)."""
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    return value
