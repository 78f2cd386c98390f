"""Constraints written as text (``"fast < slow"``), for the command line and for records.

An expression may use the searched and fixed parameters by name, numbers, strings, ``True``
and ``False``, arithmetic (``+ - * / // % **``), comparisons (chained too: ``5 <= fast <
slow``) and ``and``, ``or``, ``not``. Nothing else: no calls, attributes or subscripts, so a
constraint cannot run code. Names are checked when the expression is built.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable
from typing import Any

from tradeforge.optimize.errors import OptimizeError
from tradeforge.optimize.space import Params

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}


class ExpressionConstraint:
    """A parsed constraint: call it with a point to know whether the point is admissible.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"fast < slow"``.
    names : iterable of str
        The parameters it may use.

    Raises
    ------
    OptimizeError
        For a syntax error, a construct outside the allowed set, or an unknown name.
    """

    def __init__(self, text: str, names: Iterable[str]) -> None:
        self.text = text
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as error:
            raise OptimizeError(f"constraint {text!r}: {error.msg}") from None
        allowed = set(names)
        for node in ast.walk(tree):
            _check(node, text, allowed)
        self._body = tree.body

    def __call__(self, params: Params) -> bool:
        return bool(_evaluate(self._body, params))

    def __repr__(self) -> str:
        return f"ExpressionConstraint({self.text!r})"


_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Name,
    ast.Constant,
    ast.Load,
    ast.And,
    ast.Or,
    *_BINARY,
    *_COMPARE,
    *_UNARY,
)


def _check(node: ast.AST, text: str, names: set[str]) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        raise OptimizeError(
            f"constraint {text!r}: {type(node).__name__} is not allowed (use parameter names, "
            "numbers, arithmetic, comparisons, and/or/not)"
        )
    if isinstance(node, ast.Name) and node.id not in names and node.id not in ("True", "False"):
        known = ", ".join(sorted(names))
        raise OptimizeError(f"constraint {text!r}: unknown name {node.id!r} (parameters: {known})")


def _evaluate(node: ast.expr, params: Params) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return params[node.id]
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_evaluate(v, params) for v in node.values)
        return any(_evaluate(v, params) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, params))
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, params), _evaluate(node.right, params))
    assert isinstance(node, ast.Compare)
    left = _evaluate(node.left, params)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = _evaluate(right_node, params)
        if not _COMPARE[type(op)](left, right):
            return False
        left = right
    return True
