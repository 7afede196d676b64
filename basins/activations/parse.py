"""The whitelist parser and the registry: activation text to a sympy expression in ``t``.

User text is turned into an expression by :func:`parse_expression`, which
walks Python's syntax tree and builds sympy objects itself: no user text is
ever evaluated as code.  Decimal literals become exact rationals; complex,
infinite and undefined values are refused.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

import numpy as np
import sympy as sp

from basins.errors import ActivationError

__all__ = ["T", "REGISTRY", "PARAMETRISED", "parse_expression", "registry_names", "real_expression_problem",
           "shorten"]

T = sp.Symbol("t", real=True)

#: Named activations: name -> (expression text, one-line description).
REGISTRY: dict[str, tuple[str, str]] = {
    "swish": ("t/(1 + exp(-t))", "Swish / SiLU, t·sigmoid(t)"),
    "softplus": ("log(1 + exp(t))", "softplus, log(1+e^t)"),
    "sigmoid": ("1/(1 + exp(-t))", "logistic sigmoid"),
    "shifted_sigmoid": ("1/(1 + exp(-t - 1))", "sigmoid shifted left by 1"),
    "tanh": ("tanh(t)", "hyperbolic tangent"),
    "gelu": ("t*(1 + erf(t/sqrt(2)))/2", "GELU, t·Φ(t)"),
    "elu": ("Piecewise((t, t > 0), (exp(t) - 1, True))", "ELU with α = 1 (C¹, not C² at 0)"),
    "sin": ("sin(t)", "sine"),
    "exp": ("exp(t)", "exponential"),
    "quadratic": ("t**2", "square (Example 1 of the paper: not full-rank reachable)"),
    "cubic": ("t**3 + t**2 + t", "cubic polynomial"),
    "linear": ("t", "identity (positively homogeneous)"),
    "relu": ("Max(0, t)", "ReLU (positively homogeneous)"),
    "leaky_relu": ("Max(t/100, t)", "leaky ReLU, slope 1/100 (positively homogeneous)"),
    "abs": ("Abs(t)", "absolute value (positively homogeneous)"),
    "shifted_relu": ("Max(0, t - 1)", "ReLU shifted right by 1, Max(0, t - c) with c = 1"),
}

# Parametrised names, e.g. ``shifted_relu(2)``, ``leaky_relu(0.1)``, ``elu(0.5)``.
PARAMETRISED: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "shifted_relu": lambda c: sp.Max(0, T - c),
    "leaky_relu": lambda c: sp.Max(c * T, T),
    "elu": lambda c: sp.Piecewise((T, T > 0), (c * (sp.exp(T) - 1), True)),
}


def registry_names() -> list[str]:
    """The names of the registry, sorted."""
    return sorted(REGISTRY)


# --------------------------------------------------------------------------
# The whitelist parser
# --------------------------------------------------------------------------

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "atan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "asinh": sp.asinh,
    "erf": sp.erf, "erfc": sp.erfc,
    "Abs": sp.Abs, "abs": sp.Abs, "Max": sp.Max, "max": sp.Max, "Min": sp.Min, "min": sp.Min,
    "Heaviside": sp.Heaviside, "sign": sp.sign,
    "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
    "softplus": lambda u: sp.log(1 + sp.exp(u)),
    "relu": lambda u: sp.Max(0, u),
}
_CONSTANTS: dict[str, sp.Expr] = {"t": T, "pi": sp.pi, "E": sp.E}
_MAX_TEXT = 5_000_000
_MAX_NUMERIC_EXPONENT = 100


def parse_expression(text: str, *, argument: str = "activation") -> sp.Expr:
    """Parse ``text`` into a sympy expression in ``t`` without evaluating code.

    The text is read with :func:`ast.parse` and each node is turned into a
    sympy object by hand: numbers (decimal literals become exact rationals),
    ``t``, ``pi``, ``E``, ``+ - * / **``, comparisons, ``&``/``|`` inside
    conditions, and calls of a fixed list of functions (``exp``, ``log``,
    ``erf``, ``tanh``, ``Max``, ``Abs``, ``Piecewise``, ...).  Anything else
    is rejected with :class:`~basins.errors.ActivationError`.

    Examples
    --------
    >>> parse_expression("t/(1 + exp(-t))")
    t/(1 + exp(-t))
    >>> parse_expression("Max(0, t - 0.5)")
    Max(0, t - 1/2)
    """
    if not isinstance(text, str):
        raise ActivationError(f"{argument}={text!r} must be a string expression in t")
    if len(text) > _MAX_TEXT:
        raise ActivationError(f"{argument}: expression of {len(text)} characters is too long")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ActivationError(f"{argument}={shorten(text)!r} is not a valid expression: {exc.msg}") from None
    try:
        expr = _Builder(text).build(tree.body)
    except RecursionError:
        raise ActivationError(f"{argument}={shorten(text)!r} is nested too deeply") from None
    except _Reject as exc:
        raise ActivationError(f"{argument}={shorten(text)!r}: {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ActivationError(f"{argument}={shorten(text)!r} is not a valid expression in t: {exc}") from None
    if not isinstance(expr, sp.Expr):
        raise ActivationError(f"{argument}={shorten(text)!r} is not a real-valued expression in t")
    problem = real_expression_problem(expr)
    if problem:
        raise ActivationError(f"{argument}={shorten(text)!r}: {problem}")
    extra = expr.free_symbols - {T}
    if extra:
        raise ActivationError(f"{argument}={shorten(text)!r} has unknown symbols {sorted(map(str, extra))}; only t is allowed")
    return expr


def shorten(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


class _Reject(Exception):
    pass


class _Builder:
    """Turn an ``ast`` tree into sympy objects, node by whitelisted node."""

    _BINOPS = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
    }
    _COMPARE = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge}

    def __init__(self, text: str):
        self.text = text

    def build(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise _Reject(f"{type(node).__name__} is not allowed (only arithmetic, t, numbers and whitelisted functions)")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if value is True:
            return sp.true
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Reject(f"constant {value!r} is not a number")
        if isinstance(value, int):  # before get_source_segment, which is linear in the text's length
            return sp.Integer(value)
        source = ast.get_source_segment(self.text, node) or repr(value)
        if not np.isfinite(value):
            raise _Reject(f"constant {source} is not finite")
        return sp.Rational(source.replace("_", ""))

    def _Name(self, node: ast.Name) -> Any:
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id == "True":
            return sp.true
        raise _Reject(f"unknown name {node.id!r}; the variable is t")

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise _Reject(f"operator {type(node.op).__name__} is not allowed")

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(node.op, ast.Pow):
            if isinstance(right, sp.Number) and abs(right) > _MAX_NUMERIC_EXPONENT:
                raise _Reject(f"exponent {right} is larger than {_MAX_NUMERIC_EXPONENT} in absolute value")
            return sp.Pow(left, right)
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            if not (isinstance(left, sp.logic.boolalg.Boolean) and isinstance(right, sp.logic.boolalg.Boolean)):
                raise _Reject("& and | combine conditions only")
            return sp.And(left, right) if isinstance(node.op, ast.BitAnd) else sp.Or(left, right)
        op = self._BINOPS.get(type(node.op))
        if op is None:
            raise _Reject(f"operator {type(node.op).__name__} is not allowed")
        return op(left, right)

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.build(v) for v in node.values]
        return sp.And(*values) if isinstance(node.op, ast.And) else sp.Or(*values)

    def _Compare(self, node: ast.Compare) -> Any:
        parts = []
        left = self.build(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.build(comparator)
            rel = self._COMPARE.get(type(op))
            if rel is None:
                raise _Reject(f"comparison {type(op).__name__} is not allowed")
            parts.append(rel(left, right))
            left = right
        return sp.And(*parts)

    def _Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.build(e) for e in node.elts)

    def _Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise _Reject("only calls of whitelisted functions by name, without keywords, are allowed")
        name = node.func.id
        if name != "Piecewise" and name not in _FUNCTIONS:
            raise _Reject(f"function {name!r} is not allowed; allowed: {', '.join(sorted(_FUNCTIONS))}, Piecewise")
        args = [self.build(a) for a in node.args]
        if name == "Piecewise":
            pieces = []
            for a in args:
                if not (isinstance(a, tuple) and len(a) == 2):
                    raise _Reject("Piecewise takes (expression, condition) pairs")
                pieces.append(a)
            if not pieces:
                raise _Reject("Piecewise needs at least one piece")
            return sp.Piecewise(*pieces)
        func = _FUNCTIONS.get(name)
        if func is None:
            raise _Reject(f"function {name!r} is not allowed; allowed: {', '.join(sorted(_FUNCTIONS))}, Piecewise")
        if any(isinstance(a, tuple) for a in args):
            raise _Reject(f"{name} takes expressions, not tuples")
        return func(*args)




def real_expression_problem(expr: Any) -> str:
    """Why a sympy expression is not a real expression of t ("" when it is one)."""
    if expr.has(sp.I):
        return f"{shorten(str(expr), 120)!r} has an imaginary part: σ must be real-valued"
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return f"{shorten(str(expr), 120)!r} contains an infinite or undefined constant"
    return ""
