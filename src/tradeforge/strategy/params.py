"""Strategy parameters: typed class attributes, validated, overridable per run.

A strategy declares its parameters as annotated class attributes with defaults::

    class SmaCross(Strategy):
        fast: int = 10
        slow: int = 30

:func:`parameter_model` turns them into a frozen pydantic model (unknown names refused, values
converted and checked: ``"12"`` becomes ``12`` for an ``int``, ``"abc"`` is an error naming the
parameter). The strategy's instance attributes carry the validated values.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from typing import Any, ClassVar

import pydantic


class ParameterError(ValueError):
    """A strategy parameter is unknown or has a bad value; the message names it."""


_CACHE: dict[type, type[pydantic.BaseModel]] = {}


def parameter_fields(strategy_cls: type) -> dict[str, tuple[Any, Any]]:
    """The declared parameters of ``strategy_cls`` and its bases: ``name -> (type, default)``."""
    fields: dict[str, tuple[Any, Any]] = {}
    for cls in reversed(strategy_cls.__mro__):
        if cls is object or cls.__module__ == "tradeforge.strategy.base":
            continue
        hints = typing.get_type_hints(cls, include_extras=False)
        for name in inspect.get_annotations(cls):
            hint = hints.get(name)
            if name.startswith("_") or typing.get_origin(hint) is ClassVar or hint is ClassVar:
                continue
            if name not in cls.__dict__:
                raise ParameterError(f"{strategy_cls.__name__}.{name} needs a default value")
            fields[name] = (hint, cls.__dict__[name])
    return fields


def parameter_model(strategy_cls: type) -> type[pydantic.BaseModel]:
    """A frozen pydantic model of the parameters of ``strategy_cls`` (cached per class)."""
    model = _CACHE.get(strategy_cls)
    if model is None:
        fields = parameter_fields(strategy_cls)
        model = pydantic.create_model(  # type: ignore[call-overload]
            f"{strategy_cls.__name__}Params",
            __config__=pydantic.ConfigDict(extra="forbid", frozen=True),
            **fields,
        )
        _CACHE[strategy_cls] = model
    return model


def resolve_parameters(strategy_cls: type, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``overrides`` against the declared parameters; return every parameter's value.

    Raises
    ------
    ParameterError
        Naming each unknown parameter or bad value, and the strategy.
    """
    model = parameter_model(strategy_cls)
    try:
        validated = model(**dict(overrides))
    except pydantic.ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ParameterError(f"{strategy_cls.__name__}: {problems}") from None
    return validated.model_dump()


def _describe(error: Mapping[str, Any]) -> str:
    name = ".".join(str(part) for part in error["loc"]) or "parameters"
    if error["type"] == "extra_forbidden":
        return f"unknown parameter {name!r}"
    return f"parameter {name!r}: {error['msg']} (got {error.get('input')!r})"
