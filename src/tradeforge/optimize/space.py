"""The parameter space of a search: which values each strategy parameter may take.

A search is given per parameter either

* a sequence of values (``range(5, 50, 5)``, ``[0.01, 0.02]``, ``("1h", "4h")``): a grid
  dimension, every value tried by a grid search;
* an :class:`IntRange` or :class:`FloatRange`: bounds for the model-based searches (TPE,
  CMA-ES, NSGA-II), and a grid too when it has a ``step``;
* a single value (``fast=10``, a string included): fixed for every trial.

:meth:`ParameterSpace.build` checks every name against the strategy's declared parameters and
every value against the parameter's type (``"12"`` becomes ``12`` for an ``int``), so a typo
fails before the first trial, with a message naming the parameter.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pydantic

from tradeforge.strategy.params import ParameterError, parameter_fields


@dataclass(frozen=True, slots=True)
class IntRange:
    """Integers from ``low`` to ``high``, both included, every ``step``.

    Parameters
    ----------
    low, high : int
        Bounds, ``low <= high``.
    step : int
        Spacing, ``>= 1``; the grid is ``low, low + step, ...`` up to ``high``.
    log : bool
        Model-based searches sample on a log scale (needs ``step == 1`` and ``low >= 1``).
    """

    low: int
    high: int
    step: int = 1
    log: bool = False

    def __post_init__(self) -> None:
        if self.step < 1:
            raise ValueError(f"step must be >= 1, got {self.step}")
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.log and (self.step != 1 or self.low < 1):
            raise ValueError("a log range needs step=1 and low >= 1")

    @property
    def griddable(self) -> bool:
        """Whether a grid search can enumerate it (always)."""
        return True

    def values(self) -> list[Any]:
        """Every grid value, in increasing order."""
        return list(range(self.low, self.high + 1, self.step))

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (for records and reports)."""
        return {"low": self.low, "high": self.high, "step": self.step, "log": self.log}


@dataclass(frozen=True, slots=True)
class FloatRange:
    """Numbers from ``low`` to ``high``, both included.

    Parameters
    ----------
    low, high : float
        Bounds, ``low <= high``.
    step : float, optional
        Spacing; without it the range is continuous (model-based searches only).
    log : bool
        Model-based searches sample on a log scale (needs ``low > 0`` and no ``step``).
    """

    low: float
    high: float
    step: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("bounds must be finite numbers")
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.step is not None and not self.step > 0:
            raise ValueError(f"step must be > 0, got {self.step}")
        if self.log and (self.step is not None or self.low <= 0):
            raise ValueError("a log range needs low > 0 and no step")

    @property
    def griddable(self) -> bool:
        """Whether a grid search can enumerate it (only with a ``step``)."""
        return self.step is not None

    def values(self) -> list[Any]:
        """Every grid value (``low + k * step``, rounded to 12 decimals), increasing."""
        if self.step is None:
            raise ValueError("a continuous range has no grid: give step=")
        count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        return [round(self.low + k * self.step, 12) for k in range(count)]

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (for records and reports)."""
        return {"low": self.low, "high": self.high, "step": self.step, "log": self.log}


@dataclass(frozen=True, slots=True)
class Choice:
    """An explicit list of values, tried in the order given."""

    options: tuple[Any, ...]

    @property
    def griddable(self) -> bool:
        """Whether a grid search can enumerate it (always)."""
        return True

    def values(self) -> list[Any]:
        """The values, in the order given."""
        return list(self.options)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (for records and reports)."""
        return {"values": [_plain(v) for v in self.options]}


Dimension = IntRange | FloatRange | Choice


class Params(Mapping[str, Any]):
    """One point of the space: read as a mapping (``p["fast"]``) or by attribute
    (``p.fast``), as constraints receive it."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"no parameter {name!r} (have {', '.join(self._values)})"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"


Constraint = Callable[[Params], bool]


@dataclass(frozen=True)
class ParameterSpace:
    """The searched dimensions and the fixed values of one strategy's parameters.

    Attributes
    ----------
    strategy : str
        The strategy class name (for messages).
    dimensions : dict of str to Dimension
        The searched parameters, in the order given.
    fixed : dict
        Parameters with one value for every trial.
    """

    strategy: str
    dimensions: dict[str, Dimension]
    fixed: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, strategy: type, spec: Mapping[str, Any]) -> ParameterSpace:
        """Check ``spec`` against the declared parameters of ``strategy``.

        Raises
        ------
        ParameterError
            Naming the strategy and the parameter: an unknown name, an empty sequence, a
            value the parameter's type refuses, a bad range, a repeated value, a float range
            for an ``int`` parameter, or no searched parameter at all.
        """
        name = strategy.__name__
        declared = parameter_fields(strategy)
        dimensions: dict[str, Dimension] = {}
        fixed: dict[str, Any] = {}
        for param, given in spec.items():
            if param not in declared:
                known = ", ".join(declared) or "none"
                raise ParameterError(f"{name}: unknown parameter {param!r} (declared: {known})")
            checked = _checked(name, param, declared[param][0], given)
            if isinstance(checked, IntRange | FloatRange | Choice):
                dimensions[param] = checked
            else:
                fixed[param] = checked
        if not dimensions:
            raise ParameterError(
                f"{name}: give at least one parameter to search, e.g. fast=range(5, 50, 5)"
            )
        return cls(name, dimensions, fixed)

    @property
    def names(self) -> list[str]:
        """The searched parameters, in order."""
        return list(self.dimensions)

    @property
    def griddable(self) -> bool:
        """Whether every dimension has a finite grid."""
        return all(d.griddable for d in self.dimensions.values())

    def grid_size(self) -> int:
        """Points of the whole grid before any constraint."""
        self.require_grid("grid")
        return math.prod(len(d.values()) for d in self.dimensions.values())

    def require_grid(self, method: str) -> None:
        """Raise when a dimension is continuous (a grid or random search needs steps)."""
        for param, dim in self.dimensions.items():
            if not dim.griddable:
                raise ParameterError(
                    f"{self.strategy}: parameter {param!r} is a continuous range; give it a "
                    f"step for a {method} search, or use method 'tpe', 'cmaes' or 'nsga2'"
                )

    def grid(self, constraint: Constraint | None = None) -> list[dict[str, Any]]:
        """Every point of the grid that passes ``constraint``, in ``itertools.product``
        order of the dimensions as given (the last varies fastest), fixed values included."""
        self.require_grid("grid")
        names = self.names
        points = (
            self.point(dict(zip(names, combo, strict=True)))
            for combo in itertools.product(*(d.values() for d in self.dimensions.values()))
        )
        return [p for p in points if constraint is None or constraint(Params(p))]

    def point(self, searched: Mapping[str, Any]) -> dict[str, Any]:
        """The full parameters of a trial: the fixed values, then the searched ones."""
        return {**self.fixed, **{k: _plain(searched[k]) for k in self.dimensions}}

    def describe(self) -> dict[str, Any]:
        """The space as JSON-ready values: each dimension's description, the fixed values."""
        described: dict[str, Any] = {k: d.describe() for k, d in self.dimensions.items()}
        described.update({k: {"fixed": _plain(v)} for k, v in self.fixed.items()})
        return described


def _checked(strategy: str, param: str, hint: Any, given: Any) -> Any:
    """A dimension or a fixed value, its values converted by the parameter's type."""
    adapter = pydantic.TypeAdapter(hint)

    def convert(value: Any) -> Any:
        try:
            return adapter.validate_python(value)
        except pydantic.ValidationError as exc:
            message = exc.errors()[0]["msg"]
            raise ParameterError(
                f"{strategy}: parameter {param!r}: {message} (got {value!r})"
            ) from None

    if isinstance(given, IntRange | FloatRange):
        if isinstance(given, FloatRange) and hint is int:
            raise ParameterError(
                f"{strategy}: parameter {param!r} is an int: give an IntRange or a range(...)"
            )
        convert(given.low)
        convert(given.high)
        return given
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        return convert(given)
    values = [convert(_plain(v)) for v in _sequence(given)]
    if not values:
        raise ParameterError(f"{strategy}: parameter {param!r}: no values to search")
    repeated = _first_repeat(values)
    if repeated is not None:
        raise ParameterError(f"{strategy}: parameter {param!r}: value {repeated!r} given twice")
    return Choice(tuple(values))


def _sequence(given: Any) -> Sequence[Any]:
    if isinstance(given, np.ndarray):
        return [v.item() for v in given.ravel()]
    return list(given)


def _first_repeat(values: list[Any]) -> Any:
    seen: set[tuple[type, Any]] = set()
    for value in values:
        key = (type(value), value)
        if key in seen:
            return value
        seen.add(key)
    return None


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers (so points pickle, hash and print plainly)."""
    return value.item() if isinstance(value, np.generic) else value
