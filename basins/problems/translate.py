"""An activation's sympy expression as a function of one backend's arrays (numpy, torch, jax).

A small whitelist translation, not ``sympy.lambdify``: the node types the
activation parser admits (numbers, +, ×, powers, exp, log, sin, cos, tan,
tanh, sinh, cosh, erf, |·|, sign, Max, Min, Heaviside, Piecewise and its
relations) map onto the backend's own functions, so that torch and jax can
differentiate the result.  Constant subtrees (π, √2, exact rationals) become
float64 numbers (correctly rounded); a repeated subtree is evaluated once.
``Max``/``Min`` are rewritten as ``Piecewise`` first, so at a kink the
derivative is that of the first piece (``Max(0, t − 1)`` has slope 0 at t = 1),
the same convention as the closed forms.

>>> import numpy as np, sympy as sp
>>> from basins.activations import T
>>> f = translate(sp.Max(0, T - 1), numpy_namespace())
>>> f(np.array([0.0, 1.0, 3.0])).tolist()
[0.0, 0.0, 2.0]
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp

from basins.activations import T, Activation
from basins.errors import InvalidArgument

__all__ = ["Namespace", "numpy_namespace", "torch_namespace", "jax_namespace", "translate", "activation_function",
           "require"]


@dataclass(frozen=True)
class Namespace:
    """The functions of one array backend that the translation uses."""

    name: str
    functions: dict[str, Callable[..., Any]]
    where: Callable[[Any, Any, Any], Any]
    full_like: Callable[[Any, float], Any]
    logical_and: Callable[[Any, Any], Any]
    logical_or: Callable[[Any, Any], Any]
    logical_not: Callable[[Any], Any]


def require(module: str, extra: str) -> Any:
    """Import an optional backend, or raise one line naming the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InvalidArgument(f"the {extra} backend needs {module!r}, which is not installed; "
                              f"install it with: pip install 'basins[{extra}]'") from None


def numpy_namespace() -> Namespace:
    import numpy as np
    from scipy import special

    funcs = {"exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
             "sinh": np.sinh, "cosh": np.cosh, "erf": special.erf, "Abs": np.abs, "sign": np.sign,
             "atan": np.arctan, "asinh": np.arcsinh, "erfc": special.erfc}
    return Namespace("numpy", funcs, np.where, lambda t, c: np.full_like(t, c, dtype=np.float64),
                     np.logical_and, np.logical_or, np.logical_not)


def torch_namespace() -> Namespace:
    torch = require("torch", "torch")
    funcs = {"exp": torch.exp, "log": torch.log, "sin": torch.sin, "cos": torch.cos, "tan": torch.tan,
             "tanh": torch.tanh, "sinh": torch.sinh, "cosh": torch.cosh, "erf": torch.special.erf,
             "Abs": torch.abs, "sign": torch.sign, "atan": torch.atan, "asinh": torch.asinh,
             "erfc": torch.special.erfc}
    return Namespace("torch", funcs, torch.where, lambda t, c: torch.full_like(t, c, dtype=torch.float64),
                     torch.logical_and, torch.logical_or, torch.logical_not)


def jax_namespace() -> Namespace:
    jax = require("jax", "jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.scipy import special

    funcs = {"exp": jnp.exp, "log": jnp.log, "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "tanh": jnp.tanh,
             "sinh": jnp.sinh, "cosh": jnp.cosh, "erf": special.erf, "Abs": jnp.abs, "sign": jnp.sign,
             "atan": jnp.arctan, "asinh": jnp.arcsinh, "erfc": special.erfc}
    return Namespace("jax", funcs, jnp.where, lambda t, c: jnp.full_like(t, c, dtype=jnp.float64),
                     jnp.logical_and, jnp.logical_or, jnp.logical_not)


_RELATIONS: dict[type, Callable[[Any, Any], Any]] = {
    sp.StrictLessThan: lambda a, b: a < b,
    sp.LessThan: lambda a, b: a <= b,
    sp.StrictGreaterThan: lambda a, b: a > b,
    sp.GreaterThan: lambda a, b: a >= b,
    sp.Equality: lambda a, b: a == b,
    sp.Unequality: lambda a, b: a != b,
}


def translate(expr: sp.Expr, ns: Namespace, symbol: sp.Symbol = T) -> Callable[[Any], Any]:
    """σ as a function of a backend array ``t`` (float64 in, float64 out, same shape)."""
    expr = sp.sympify(expr)
    if expr.has(sp.Max, sp.Min):
        expr = expr.rewrite(sp.Piecewise)
    _check(expr, symbol)

    def evaluate(t: Any) -> Any:
        memo: dict[sp.Basic, Any] = {}
        out = _eval(expr, t, ns, symbol, memo)
        return ns.full_like(t, float(out)) if isinstance(out, float) else out

    return evaluate


@functools.lru_cache(maxsize=64)
def activation_function(text: str, backend: str) -> Callable[[Any], Any]:
    """σ from an activation's text (:attr:`Activation.text`) for ``backend`` ("numpy", "torch", "jax"), cached."""
    spaces = {"numpy": numpy_namespace, "torch": torch_namespace, "jax": jax_namespace}
    if backend not in spaces:
        raise InvalidArgument(f"backend={backend!r} is not one of {', '.join(spaces)}")
    return translate(Activation.from_text(text).expr, spaces[backend]())


def _check(expr: sp.Basic, symbol: sp.Symbol) -> None:
    extra = expr.free_symbols - {symbol}
    if extra:
        raise InvalidArgument(f"activation {expr}: symbols {sorted(map(str, extra))} other than {symbol}")


def _eval(node: sp.Basic, t: Any, ns: Namespace, symbol: sp.Symbol, memo: dict[sp.Basic, Any]) -> Any:
    if node in memo:
        return memo[node]
    if node == symbol:
        out: Any = t
    elif node is sp.true or node is sp.false:
        out = bool(node)
    elif not node.free_symbols:
        out = float(node)  # type: ignore[arg-type]
    elif isinstance(node, sp.Add):
        out = _fold(node.args, t, ns, symbol, memo, lambda a, b: a + b)
    elif isinstance(node, sp.Mul):
        out = _fold(node.args, t, ns, symbol, memo, lambda a, b: a * b)
    elif isinstance(node, sp.Pow):
        base = _eval(node.args[0], t, ns, symbol, memo)
        e = node.args[1]
        if e.free_symbols:
            out = ns.functions["exp"](_eval(e, t, ns, symbol, memo) * ns.functions["log"](base))
        elif e.is_Integer:
            out = base ** int(e)
        else:
            out = base ** float(e)  # type: ignore[arg-type]
    elif isinstance(node, sp.Piecewise):
        pieces = node.args
        out = _as_array(_eval(pieces[-1].expr, t, ns, symbol, memo), t, ns)
        if pieces[-1].cond is not sp.true:
            out = ns.where(_cond(pieces[-1].cond, t, ns, symbol, memo), out, ns.full_like(t, float("nan")))
        for piece in reversed(pieces[:-1]):
            value = _as_array(_eval(piece.expr, t, ns, symbol, memo), t, ns)
            out = ns.where(_cond(piece.cond, t, ns, symbol, memo), value, out)
    elif isinstance(node, sp.Heaviside):
        arg = _eval(node.args[0], t, ns, symbol, memo)
        at0 = float(node.args[1]) if len(node.args) > 1 else 0.5
        one, zero = ns.full_like(t, 1.0), ns.full_like(t, 0.0)
        out = ns.where(arg > 0, one, ns.where(arg < 0, zero, ns.full_like(t, at0)))
    elif isinstance(node, sp.Function) and type(node).__name__ in ns.functions:
        out = ns.functions[type(node).__name__](_as_array(_eval(node.args[0], t, ns, symbol, memo), t, ns))
    else:
        raise InvalidArgument(f"activation node {node} ({type(node).__name__}) has no {ns.name} translation")
    memo[node] = out
    return out


def _fold(args: Any, t: Any, ns: Namespace, symbol: sp.Symbol, memo: dict[sp.Basic, Any],
          op: Callable[[Any, Any], Any]) -> Any:
    out = _eval(args[0], t, ns, symbol, memo)
    for a in args[1:]:
        out = op(out, _eval(a, t, ns, symbol, memo))
    return out


def _cond(node: sp.Basic, t: Any, ns: Namespace, symbol: sp.Symbol, memo: dict[sp.Basic, Any]) -> Any:
    if node is sp.true or node is sp.false:
        return ns.full_like(t, 1.0 if node is sp.true else 0.0) > 0.5
    if type(node) in _RELATIONS:
        a = _eval(node.args[0], t, ns, symbol, memo)
        b = _eval(node.args[1], t, ns, symbol, memo)
        return _RELATIONS[type(node)](a, b)
    if isinstance(node, sp.And):
        return functools.reduce(ns.logical_and, [_cond(a, t, ns, symbol, memo) for a in node.args])
    if isinstance(node, sp.Or):
        return functools.reduce(ns.logical_or, [_cond(a, t, ns, symbol, memo) for a in node.args])
    if isinstance(node, sp.Not):
        return ns.logical_not(_cond(node.args[0], t, ns, symbol, memo))
    raise InvalidArgument(f"activation condition {node} ({type(node).__name__}) has no {ns.name} translation")


def _as_array(value: Any, t: Any, ns: Namespace) -> Any:
    return ns.full_like(t, float(value)) if isinstance(value, (int, float)) else value
