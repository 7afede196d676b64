"""Ball arithmetic (python-flint ``arb``): σ and its derivatives over a ball, rigorously.

:func:`arb_compile` walks a sympy expression once into a closure on balls or
truncated power series of balls; :func:`arb_evaluator` turns it into
``u ↦ [σ(u), σ′(u), …]``.  A Piecewise whose condition a ball cannot decide
gives the union of the pieces that may apply; a ball that may leave every
piece, or meets a singularity, gives a non-finite ball.
"""

from __future__ import annotations

from typing import Any, Callable

import sympy as sp

from basins.activations.parse import T, shorten
from basins.errors import ActivationError

__all__ = ["arb_compile", "arb_evaluator"]


def arb_evaluator(fn: Callable[[Any], Any], order: int) -> Callable[[Any], list[Any]]:
    import flint

    factorials = [1, 1, 2, 6, 24]

    def evaluate(u: Any) -> list[Any]:
        u = u if isinstance(u, flint.arb) else flint.arb(u)
        old = flint.ctx.cap
        flint.ctx.cap = order + 1
        try:
            out = fn(flint.arb_series([u, 1]) if order else flint.arb_series([u]))
            coeffs = _arb_coeffs(out, order + 1)
        except (ValueError, ZeroDivisionError):
            # a series division whose denominator's ball contains 0 (e.g. 1/(e^(2u)+1) on a huge u):
            # the ball meets a possible singularity, so nothing finite is claimed
            return [flint.arb("nan")] * (order + 1)
        finally:
            flint.ctx.cap = old
        return [coeffs[k] * factorials[k] for k in range(order + 1)]

    return evaluate


def _arb_coeffs(s: Any, n: int) -> list[Any]:
    import flint

    if isinstance(s, flint.arb):
        return [s] + [flint.arb(0)] * (n - 1)
    c = list(s.coeffs())[:n]
    return c + [flint.arb(0)] * (n - len(c))


def _arb_number(e: sp.Expr) -> Any:
    import flint

    if isinstance(e, sp.Integer):
        return flint.arb(int(e))
    if isinstance(e, sp.Rational):
        return flint.arb(int(e.p)) / int(e.q)
    if isinstance(e, sp.Float):
        sign, man, exp, _ = e._mpf_
        return flint.arb(flint.fmpz((-1) ** sign * int(man))) * flint.arb(2) ** int(exp)
    if e == sp.pi:
        return flint.arb.pi()
    if e == sp.E:
        return flint.arb.const_e()
    raise ActivationError(f"activation constant {e} has no ball evaluator")


def _arb_union(a: Any, b: Any) -> Any:
    import flint

    if isinstance(a, flint.arb) and isinstance(b, flint.arb):
        return a.union(b)
    n = max(flint.ctx.cap, 1)
    ca, cb = _arb_coeffs(a, n), _arb_coeffs(b, n)
    return flint.arb_series([p.union(q) for p, q in zip(ca, cb)])


def _arb_nan() -> Any:
    import flint

    return flint.arb("nan")


def _arb_ipow(b: Any, n: int) -> Any:
    import flint

    if n == 0:
        return flint.arb(1)
    if n < 0:
        return 1 / _arb_ipow(b, -n)
    out, base = None, b
    while n:
        if n & 1:
            out = base if out is None else out * base
        n >>= 1
        if n:
            base = base * base
    return out


def _arb_tanh(s: Any) -> Any:
    return 1 - 2 / ((2 * s).exp() + 1)


_ARB_FUNCS: dict[Any, Callable[[Any], Any]] = {
    sp.exp: lambda s: s.exp(),
    sp.log: lambda s: s.log(),
    sp.sin: lambda s: s.sin(),
    sp.cos: lambda s: s.cos(),
    sp.tan: lambda s: s.sin() / s.cos(),
    sp.atan: lambda s: s.atan(),
    sp.erf: lambda s: s.erf(),
    sp.erfc: lambda s: s.erfc(),
    sp.tanh: _arb_tanh,
    sp.sinh: lambda s: (s.exp() - (-s).exp()) / 2,
    sp.cosh: lambda s: (s.exp() + (-s).exp()) / 2,
    sp.asinh: lambda s: (s + (s * s + 1).sqrt()).log(),
}


def arb_compile(e: Any) -> Callable[[Any], Any]:
    """A closure s ↦ e(s) on balls or truncated series of balls (rigorous enclosures)."""
    if e == T:
        return lambda s: s
    if e.is_Number or e in (sp.pi, sp.E):
        if e in (sp.nan, sp.zoo, sp.oo, -sp.oo):
            return lambda s: _arb_nan()
        c = _arb_number(e)
        return lambda s: c
    if e.is_number and not e.has(sp.Piecewise):
        # a constant sub-expression such as sqrt(2)/2: evaluated once per call
        inner = _arb_compile_node(e)
        return inner
    return _arb_compile_node(e)


def _arb_compile_node(e: Any) -> Callable[[Any], Any]:
    if isinstance(e, sp.Add):
        parts = [arb_compile(a) for a in e.args]

        def add(s: Any) -> Any:
            out = parts[0](s)
            for p in parts[1:]:
                out = out + p(s)
            return out
        return add
    if isinstance(e, sp.Mul):
        parts = [arb_compile(a) for a in e.args]

        def mul(s: Any) -> Any:
            out = parts[0](s)
            for p in parts[1:]:
                out = out * p(s)
            return out
        return mul
    if isinstance(e, sp.Pow):
        base, ex = e.args
        if ex.is_Integer:
            fb, n = arb_compile(base), int(ex)
            return lambda s: _arb_ipow(fb(s), n)
        if ex == sp.Rational(1, 2):
            fb = arb_compile(base)
            return lambda s: fb(s).sqrt()
        if ex == -sp.Rational(1, 2):
            fb = arb_compile(base)
            return lambda s: 1 / fb(s).sqrt()
        if base == sp.E:
            fx = arb_compile(ex)
            return lambda s: fx(s).exp()
        fb, fx = arb_compile(base), arb_compile(ex)
        return lambda s: (fx(s) * fb(s).log()).exp()
    if isinstance(e, sp.Piecewise):
        pieces = [(arb_compile(expr), _arb_condition(cond)) for expr, cond in e.args]

        def piecewise(s: Any) -> Any:
            u = _arb_coeffs(s, 1)[0]
            out = None
            for f, cond in pieces:
                state = cond(u)
                if state is False:
                    continue
                val = f(s)
                out = val if out is None else _arb_union(out, val)
                if state is True:
                    return out
            return _arb_nan()  # the ball may leave every piece
        return piecewise
    func = _ARB_FUNCS.get(type(e)) or _ARB_FUNCS.get(e.func)
    if func is not None and len(e.args) == 1:
        fa = arb_compile(e.args[0])
        return lambda s: func(fa(s))
    raise ActivationError(f"activation: {type(e).__name__} in {shorten(str(e))} has no ball evaluator")


def _arb_condition(c: Any) -> Callable[[Any], bool | None]:
    """A closure u ↦ True / False / None (undecided) for a condition on the ball u."""
    if c is sp.true or c == True:  # noqa: E712 - sympy's true
        return lambda u: True
    if c is sp.false or c == False:  # noqa: E712
        return lambda u: False
    if isinstance(c, (sp.And, sp.Or)):
        parts = [_arb_condition(a) for a in c.args]
        is_and = isinstance(c, sp.And)

        def combine(u: Any) -> bool | None:
            states = [p(u) for p in parts]
            if is_and:
                return False if False in states else (True if all(s is True for s in states) else None)
            return True if True in states else (False if all(s is False for s in states) else None)
        return combine
    if isinstance(c, sp.Not):
        inner = _arb_condition(c.args[0])

        def negate(u: Any) -> bool | None:
            st = inner(u)
            return None if st is None else not st
        return negate
    if isinstance(c, sp.core.relational.Relational):
        diff = arb_compile(c.lhs - c.rhs)
        op = type(c)

        def rel(u: Any) -> bool | None:
            d = diff(u)
            if not d.is_finite():
                return None
            if op is sp.StrictGreaterThan:
                yes, no = d > 0, d <= 0
            elif op is sp.GreaterThan:
                yes, no = d >= 0, d < 0
            elif op is sp.StrictLessThan:
                yes, no = d < 0, d >= 0
            elif op is sp.LessThan:
                yes, no = d <= 0, d > 0
            elif op is sp.Equality:
                yes, no = (d == 0 and d.is_exact()), not d.contains(0)
            elif op is sp.Unequality:
                yes, no = not d.contains(0), (d == 0 and d.is_exact())
            else:  # pragma: no cover
                return None
            return True if yes else (False if no else None)
        return rel
    raise ActivationError(f"activation: condition {c} has no ball evaluator")
