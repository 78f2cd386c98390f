"""Series revealed bar by bar: what a strategy may see of its data and indicators.

A :class:`Line` holds a whole float64 series (computed once, vectorized) and a shared
:class:`Cursor`, the index of the last bar that has closed. Indexing is relative to the cursor,
Python style: ``line[-1]`` is the current value, ``line[-2]`` the one before, and ``len(line)``
the number of values revealed so far. Nothing past the cursor is reachable through the public
surface, so a strategy cannot look ahead.

:func:`crossover` and :func:`crossunder` are computed vectorized for a whole pair of lines the
first time a pair is asked about, then read at the cursor: the per-bar cost is one lookup.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import SupportsIndex, overload

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


class Cursor:
    """The index of the last revealed row of one series (-1 before the first bar)."""

    __slots__ = ("i",)

    def __init__(self) -> None:
        self.i = -1


class LookAheadError(IndexError):
    """An index reached past the current bar (or before the first one)."""


class Line:
    """A float series revealed up to its cursor.

    Parameters
    ----------
    values : numpy.ndarray
        The whole series, float64, one value per bar of the series it belongs to.
    cursor : Cursor
        The cursor of that series; the engine moves it.
    name : str
        For messages and plots.
    """

    __slots__ = ("_cached_list", "_crosses", "_cursor", "_values", "name")

    def __init__(self, values: FloatArray, cursor: Cursor, name: str = "") -> None:
        self._values = values
        self._cached_list: list[float] | None = None
        self._cursor = cursor
        self._crosses: dict[object, frozenset[int]] = {}
        self.name = name

    @property
    def _list(self) -> list[float]:
        """The values as a Python list (built on first use: scalar reads are faster)."""
        cached = self._cached_list
        if cached is None:
            cached = self._cached_list = self._values.tolist()
        return cached

    @overload
    def __getitem__(self, key: SupportsIndex) -> float: ...
    @overload
    def __getitem__(self, key: slice) -> FloatArray: ...

    def __getitem__(self, key: SupportsIndex | slice) -> float | FloatArray:
        """``line[-1]`` is the current bar; slices cover the revealed part only."""
        end = self._cursor.i + 1
        if isinstance(key, slice):
            return self._values[:end][key]
        k = key.__index__()
        index = end + k if k < 0 else k
        if not 0 <= index < end:
            raise LookAheadError(f"{self.name or 'line'}[{k}] is not revealed: {end} values so far")
        return self._list[index]

    def __len__(self) -> int:
        return self._cursor.i + 1

    def __iter__(self) -> Iterator[float]:
        return iter(self._list[: self._cursor.i + 1])

    def __float__(self) -> float:
        return self[-1]

    @property
    def values(self) -> FloatArray:
        """The revealed values (a read-only view)."""
        view = self._values[: self._cursor.i + 1]
        view.flags.writeable = False
        return view

    @property
    def last(self) -> float:
        """The current value (``line[-1]``); NaN before the first bar."""
        i = self._cursor.i
        return self._list[i] if i >= 0 else float("nan")

    @property
    def cursor(self) -> Cursor:
        """The cursor of the series this line moves with (a :class:`BarSeries`' ``cursor``)."""
        return self._cursor

    def full(self) -> FloatArray:
        """The whole series, for the engine and for indicator computation at start only."""
        return self._values

    def __repr__(self) -> str:
        return f"Line({self.name!r}, {len(self)}/{len(self._values)} revealed)"


def crossover(a: Line, b: Line | float) -> bool:
    """True when ``a`` crossed above ``b`` on this bar: ``a[-2] < b[-2]`` and ``a[-1] > b[-1]``.

    Equal values do not cross (the same rule as backtesting.py). NaN never crosses, so the
    warm-up of an indicator produces no signal.
    """
    i = a._cursor.i
    if i < 1:
        return False
    try:
        return i in a._crosses[b]
    except KeyError:
        return i in _crossings(a, b, above=True)


def crossunder(a: Line, b: Line | float) -> bool:
    """True when ``a`` crossed below ``b`` on this bar (``crossover(b, a)``)."""
    i = a._cursor.i
    if i < 1:
        return False
    try:
        return i in a._crosses[("under", b)]
    except KeyError:
        return i in _crossings(a, b, above=False)


def crosses_above(a: Line | FloatArray, b: Line | FloatArray | float) -> NDArray[np.bool_]:
    """Vectorized :func:`crossover` over whole series: True at each bar where ``a`` crossed
    above ``b`` (for signal arrays, e.g. the vectorized mode's entries).

    Parameters
    ----------
    a : Line or numpy.ndarray
        The series that crosses.
    b : Line, numpy.ndarray or float
        The series (or level) it crosses.

    Returns
    -------
    numpy.ndarray of bool
        ``a[i-1] < b[i-1] and a[i] > b[i]`` at each bar ``i`` (False at the first bar, and
        wherever a value is NaN).
    """
    x = a.full() if isinstance(a, Line) else np.asarray(a, dtype=np.float64)
    if isinstance(b, Line):
        y: FloatArray | float = b.full()
    elif isinstance(b, np.ndarray):
        y = np.asarray(b, dtype=np.float64)
    else:
        y = float(b)
    crossed = np.empty(len(x), dtype=bool)
    if len(x) == 0:
        return crossed
    crossed[0] = False
    # two comparisons written straight into the result, one temporary: the same values as
    # (x[:-1] < y[:-1]) & (x[1:] > y[1:])
    now, before = crossed[1:], np.empty(len(x) - 1, dtype=bool)
    with np.errstate(invalid="ignore"):
        if isinstance(y, float):
            np.greater(x[1:], y, out=now)
            np.less(x[:-1], y, out=before)
        else:
            np.greater(x[1:], y[1:], out=now)
            np.less(x[:-1], y[:-1], out=before)
    now &= before
    return crossed


def _crossings(a: Line, b: Line | float, *, above: bool) -> frozenset[int]:
    """The bars where ``a`` crossed ``b``, computed once per pair: a set, because crossings
    are few (a list of flags would cost 8 bytes per bar)."""
    if isinstance(b, Line) and b._cursor is not a._cursor:
        raise ValueError(f"cannot cross {a.name} with {b.name}: they belong to different series")
    crossed = (
        crosses_above(a, b)
        if above
        else crosses_above(b if isinstance(b, Line) else np.full_like(a.full(), float(b)), a)
    )
    result = frozenset(np.flatnonzero(crossed).tolist())
    a._crosses[b if above else ("under", b)] = result
    return result
