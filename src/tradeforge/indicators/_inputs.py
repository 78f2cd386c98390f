"""Input handling shared by the indicators: conversion, validation, the first valid row.

Every indicator converts its series with :func:`as_series`, checks its periods with
:func:`check_period` and its series lengths with :func:`check_lengths`, then starts its warm-up
at :func:`first_valid`, the first row where no input is NaN (what the ``talib`` Python wrapper
does, so leading NaN, e.g. the warm-up of another indicator, are skipped the same way).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import numpy.typing as npt

from tradeforge.common.jit import njit

FloatArray = npt.NDArray[np.float64]
"""The indicators' input and output type: a 1-D float64 array."""


def as_series(values: npt.ArrayLike, name: str) -> FloatArray:
    """``values`` as a 1-D float64 array (a view when it already is one).

    Raises
    ------
    ValueError
        When ``values`` cannot be read as numbers or is not one-dimensional.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of numbers: {error}") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got {array.ndim} dimensions")
    return array


def check_period(value: object, name: str, minimum: int = 1) -> int:
    """``value`` as an ``int`` after checking it is an integer ``>= minimum``.

    Raises
    ------
    ValueError
        When ``value`` is not an integer (``bool`` and ``float`` are refused) or is too small.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    period = int(value)
    if period < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {period}")
    return period


def check_factor(value: object, name: str) -> float:
    """``value`` as a ``float`` after checking it is a finite real number.

    Raises
    ------
    ValueError
        When ``value`` is not a real number, is a ``bool``, or is NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    factor = float(value)
    if not math.isfinite(factor):
        raise ValueError(f"{name} must be a finite number, got {factor}")
    return factor


def check_lengths(**series: FloatArray) -> None:
    """Check that all the named series have the same length.

    Raises
    ------
    ValueError
        Naming every series and its length when they differ.
    """
    lengths = {name: len(values) for name, values in series.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}={length}" for name, length in lengths.items())
        raise ValueError(f"input series must have equal lengths, got {listed}")


@njit
def _first_valid(a: FloatArray, b: FloatArray, c: FloatArray) -> int:
    for i in range(len(a)):
        if not (np.isnan(a[i]) or np.isnan(b[i]) or np.isnan(c[i])):
            return i
    return len(a)


def first_valid(*series: FloatArray) -> int:
    """Index of the first row where none of the (one to three) series is NaN.

    ``len`` of the series when there is no such row.
    """
    a, b, c = (series * 3)[:3]
    return _first_valid(a, b, c)
