"""A typed front for numba's ``njit``.

numba ships no type information, so decorating with ``numba.njit`` directly would make
every compiled function ``Any`` to mypy. ``njit`` here keeps the decorated function's
signature. Compiled code is cached on disk (``cache=True``) so a second process skips the
compilation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def njit(fn: F) -> F:
    """Compile ``fn`` in nopython mode, cached, without the GIL; keep its signature."""
    return cast(F, numba.njit(cache=True, nogil=True)(fn))
