"""Find a strategy class by name: a built-in, or a class in a Python file."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

from tradeforge.strategies.bollinger import BollingerReversion
from tradeforge.strategies.breakout import Breakout
from tradeforge.strategies.momentum_rotation import MomentumRotation
from tradeforge.strategies.rsi_reversion import RsiReversion
from tradeforge.strategies.sma_cross import SmaCross
from tradeforge.strategy.base import Strategy

BUILTIN_STRATEGIES: dict[str, type[Strategy]] = {
    "sma_cross": SmaCross,
    "rsi": RsiReversion,
    "breakout": Breakout,
    "bollinger": BollingerReversion,
    "momentum_rotation": MomentumRotation,
}
"""The strategies shipped with tradeforge, by the name :func:`load_strategy` accepts."""


class StrategyLoadError(ValueError):
    """A strategy name or file that does not lead to exactly one strategy class."""


def load_strategy(name_or_path: str) -> type[Strategy]:
    """The strategy class ``name_or_path`` designates.

    Parameters
    ----------
    name_or_path : str
        One of

        * a built-in name (:data:`BUILTIN_STRATEGIES`: ``sma_cross``, ``rsi``, ``breakout``,
          ``bollinger``, ``momentum_rotation``; case and ``-``/``_`` do not matter);
        * ``path/to/file.py``: the file is imported and its one :class:`Strategy` subclass is
          taken (only classes defined in the file count, not imported ones);
        * ``path/to/file.py:ClassName``: that class of the file.

    Returns
    -------
    type of Strategy

    Raises
    ------
    StrategyLoadError
        (a ``ValueError``) for an unknown name (the message lists the built-ins), a missing
        file, a file that defines no or several strategies without a class name given (the
        message lists them), or a class name that is not a strategy of the file. An exception
        raised while importing the file propagates as the cause.
    """
    text = name_or_path.strip()
    path_text, class_name = _split_path(text)
    if path_text is None:
        key = text.lower().replace("-", "_")
        strategy = BUILTIN_STRATEGIES.get(key)
        if strategy is None:
            raise StrategyLoadError(
                f"unknown strategy {name_or_path!r}: built-ins are "
                f"{', '.join(sorted(BUILTIN_STRATEGIES))}; or give path/to/file.py[:ClassName]"
            )
        return strategy
    return _from_file(Path(path_text).expanduser(), class_name)


def _split_path(text: str) -> tuple[str | None, str | None]:
    """``("file.py", "Class")``, ``("file.py", None)``, or ``(None, None)`` for a name."""
    head, sep, tail = text.rpartition(":")
    if sep and head.endswith(".py") and (tail.isidentifier() or not tail):
        return head, tail or None
    if text.endswith(".py") or "/" in text or "\\" in text:
        return text, None
    return None, None


def _from_file(path: Path, class_name: str | None) -> type[Strategy]:
    if not path.is_file():
        raise StrategyLoadError(f"no strategy file {str(path)!r}")
    module = _import_file(path.resolve())
    candidates = {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, Strategy)
        and obj is not Strategy
        and obj.__module__ == module.__name__
    }
    listed = ", ".join(sorted(candidates)) or "none"
    if class_name is not None:
        found = candidates.get(class_name)
        if found is None:
            raise StrategyLoadError(
                f"{path} has no Strategy subclass {class_name!r} (strategies in it: {listed})"
            )
        return found
    if len(candidates) != 1:
        problem = "defines no Strategy subclass" if not candidates else "defines several strategies"
        raise StrategyLoadError(
            f"{path} {problem} (found: {listed}); name one with {path}:ClassName"
        )
    return next(iter(candidates.values()))


def _import_file(path: Path) -> ModuleType:
    """Import ``path`` as a module of its own (registered, so type hints resolve)."""
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:12]
    module_name = f"tradeforge_user_strategies.{_identifier(path.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StrategyLoadError(f"cannot import {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _identifier(stem: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in stem)
    return cleaned if cleaned.isidentifier() else f"m_{cleaned}"
