"""Where two runs of the same output disagree: the comparison every analysis makes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

RTOL = 1e-9
"""Relative tolerance of two values counted as equal (causal indicators agree bit for bit;
this only absorbs summation order)."""
ATOL = 1e-12
"""Absolute tolerance of two values counted as equal."""


@dataclass(frozen=True)
class CutDifference:
    """How a line computed on bars cut at one bar differs from the full-data line.

    Attributes
    ----------
    cut : int
        The cut: index of the last primary bar kept.
    first : int
        First bar (of the line's own series) whose value differs.
    last_compared : int
        Last bar compared (the last one of the line's series closed at the cut).
    first_defined : int
        First bar where either run has a value (not NaN).
    differing : int
        How many compared bars differ.
    defined : int
        How many compared bars have a value in either run.
    max_abs : float
        Largest absolute difference where both runs have a value (NaN if none).
    """

    cut: int
    first: int
    last_compared: int
    first_defined: int
    differing: int
    defined: int
    max_abs: float

    @property
    def tail(self) -> int:
        """Bars from the first differing one to the last compared, both included."""
        return self.last_compared - self.first + 1


def differing(
    a: FloatArray, b: FloatArray, rtol: float = RTOL, atol: float = ATOL
) -> NDArray[np.bool_]:
    """Where ``a`` and ``b`` (same length) differ: beyond the tolerances, or NaN in one only."""
    return ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def cut_difference(
    part: FloatArray, full: FloatArray, cut: int, rtol: float = RTOL, atol: float = ATOL
) -> CutDifference | None:
    """Compare ``part`` (computed on the bars up to the cut) with ``full`` on its bars.

    Returns
    -------
    CutDifference or None
        None when every bar of ``part`` equals the full run's.
    """
    head = full[: len(part)]
    changed = differing(part, head, rtol, atol)
    if not changed.any():
        return None
    defined = ~(np.isnan(part) & np.isnan(head))
    both = ~(np.isnan(part) | np.isnan(head))
    gaps = np.abs(part[both & changed] - head[both & changed])
    return CutDifference(
        cut=cut,
        first=int(np.argmax(changed)),
        last_compared=len(part) - 1,
        first_defined=int(np.argmax(defined)),
        differing=int(changed.sum()),
        defined=int(defined.sum()),
        max_abs=float(gaps.max()) if len(gaps) else float("nan"),
    )
