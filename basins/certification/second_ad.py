"""Forward-mode differentiation of σ for the second verifier (mpmath intervals, exact sympy numbers).

σ is read only as the sympy expression ``act.expr``; nothing else of
:mod:`basins.activations` is used (no ``act.derivative``, no ``sympy.diff``).
:func:`compile_sigma` turns the expression into a tree of nodes; a node maps a
Taylor jet (c_0, …, c_K), c_k = f^(k)/k!, of its argument to the jet of its
value by the usual recurrences of automatic differentiation (Griewank &
Walther, *Evaluating Derivatives*, ch. 13): products by convolution,
exp/log/sin/cos/tanh/atan/erf/powers by their ODEs.  Two number systems:

* :class:`IntervalNumbers` — ``mpmath.iv`` intervals; every function is
  evaluated only where it is analytic (log, sqrt, real powers need an
  argument > 0, a division a denominator without 0), otherwise
  :class:`NotSmooth` is raised; tanh, atan, erf have no interval version in
  mpmath and are enclosed here from their monotonicity (erf and atan by
  series with a bound on the remainder).
* :class:`ExactNumbers` — sympy numbers, for the exact junction check.

Abs, Max, Min, Heaviside, sign and Piecewise are *switches*: a condition
g(t) ⋚ 0 chooses the piece.  :class:`Smoothness` decides σ ∈ C² on an
interval from them (see its docstring).

References
----------
Griewank & Walther, *Evaluating Derivatives* (2008), §13.2 (Taylor recurrences);
Moore, Kearfott & Cloud, *Introduction to Interval Analysis* (2009).
"""

from __future__ import annotations

import bisect
import contextlib
from fractions import Fraction
from typing import Any, Callable, Iterator, Sequence

import mpmath
import sympy as sp

from basins.errors import InvalidArgument

__all__ = ["ORDER", "iv", "iv_dps", "interval", "finite", "frac", "tanh_enclosure", "atan_enclosure",
           "erf_enclosure", "NotSmooth", "IntervalNumbers", "ExactNumbers", "Node", "compile_sigma",
           "Smoothness"]

#: Jets carry σ, σ′, σ″/2, σ‴/6.
ORDER = 3
T = sp.Symbol("t")
iv = mpmath.iv


@contextlib.contextmanager
def iv_dps(dps: int) -> Iterator[None]:
    """Set mpmath.iv's precision inside a block (restored afterwards)."""
    old = iv.prec
    iv.dps = dps
    try:
        yield
    finally:
        iv.prec = old


def interval(a: Any, b: Any = None) -> Any:
    return iv.mpf([a, a if b is None else b])


def finite(a: Any) -> bool:
    return bool(mpmath.isfinite(a.a) and mpmath.isfinite(a.b))


def frac(x: Any) -> Fraction:
    """A finite mpf (an interval endpoint) as an exact Fraction (``man_exp`` drops the sign: not used)."""
    sign, man, exp, _ = mpmath.mpf(x)._mpf_
    if not man:
        return Fraction(0)
    return (-1) ** int(sign) * Fraction(int(man)) * Fraction(2) ** int(exp)


class NotSmooth(ArithmeticError):
    """A function met an argument where it is not proved analytic (or a switch is undecided)."""


# ----------------------------------------------------- thin enclosures --

def _monotone(thin: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def f(a: Any) -> Any:
        lo, hi = thin(interval(a.a)), thin(interval(a.b))
        return iv.mpf([lo.a, hi.b])
    return f


def _tanh_thin(a: Any) -> Any:
    if a.a >= 0:
        return 1 - 2 / (iv.exp(2 * a) + 1)
    return -(1 - 2 / (iv.exp(-2 * a) + 1))


def _atan_thin(a: Any) -> Any:
    u = a      # atan(u) = 2 atan(u / (1 + sqrt(1 + u²))), four times; then the alternating series
    for _ in range(4):
        u = u / (1 + iv.sqrt(1 + u * u))
    total, term, k = interval(0), u, 0
    while True:
        nxt = term / (2 * k + 1)
        total += nxt if k % 2 == 0 else -nxt
        k += 1
        term = term * u * u
        bound = abs(term / (2 * k + 1))
        if bound.b < mpmath.mpf(2) ** (-iv.prec - 8):
            total += iv.mpf([-bound.b, bound.b])
            break
    return 16 * total


def _erf_thin(a: Any) -> Any:
    x = a
    if abs(x).a > 7:   # erfc(7) < 4.2e-23 < 2^-70
        band = iv.mpf([(iv.mpf(1) - iv.mpf(2) ** -70).a, 1])
        return band if x.a > 0 else -band
    x2 = x * x
    total, term, n = interval(0), x, 0
    while True:
        total += term / (2 * n + 1)
        n += 1
        term = -term * x2 / n
        if n > x2.b + 2:
            bound = abs(term).b / (2 * n + 1)
            if bound < mpmath.mpf(2) ** (-iv.prec - 8):
                total += iv.mpf([-bound, bound])
                break
    return 2 / iv.sqrt(iv.pi) * total


tanh_enclosure = _monotone(_tanh_thin)
atan_enclosure = _monotone(_atan_thin)
erf_enclosure = _monotone(_erf_thin)


# ------------------------------------------------------- number systems --

class IntervalNumbers:
    """mpmath.iv intervals (the precision is iv's current one)."""

    def const(self, c: Any) -> Any:
        if c.is_Rational:
            return iv.mpf(int(c.p)) / int(c.q)
        if isinstance(c, sp.Float):
            return interval(mpmath.mpf(c._mpf_))
        if c == sp.pi:
            return iv.pi
        if c == sp.E:
            return iv.e
        raise InvalidArgument(f"activation: constant {c} has no interval value here")

    def positive(self, a: Any) -> Any:
        if not a.a > 0:
            raise NotSmooth("a logarithm, root or real power of an argument that may be ≤ 0")
        return a

    def nonzero(self, a: Any) -> Any:
        if a.a <= 0 <= a.b or not finite(a):
            raise NotSmooth("a division by an interval that may contain 0")
        return a

    exp = staticmethod(lambda a: iv.exp(a))
    log = staticmethod(lambda a: iv.log(a))
    sin = staticmethod(lambda a: iv.sin(a))
    cos = staticmethod(lambda a: iv.cos(a))
    sqrt = staticmethod(lambda a: iv.sqrt(a))
    tanh = staticmethod(tanh_enclosure)
    atan = staticmethod(atan_enclosure)
    erf = staticmethod(erf_enclosure)

    def sign(self, a: Any) -> int | None:
        """+1, −1, 0 when decided, None when the interval straddles or touches 0 ambiguously."""
        if a.a > 0:
            return 1
        if a.b < 0:
            return -1
        if a.a == a.b == 0:
            return 0
        return None


class ExactNumbers:
    """Exact sympy numbers.  Conditions are decided at ``probe`` (exactly, or in 60-digit intervals)."""

    def __init__(self, probe: Fraction):
        self.probe = probe

    def const(self, c: Any) -> Any:
        return c

    def positive(self, a: Any) -> Any:
        if a.is_positive is not True:
            raise NotSmooth(f"{a} is not provably > 0")
        return a

    def nonzero(self, a: Any) -> Any:
        if a.is_zero is not False:
            raise NotSmooth(f"{a} is not provably ≠ 0")
        return a

    exp = staticmethod(sp.exp)
    log = staticmethod(sp.log)
    sin = staticmethod(sp.sin)
    cos = staticmethod(sp.cos)
    sqrt = staticmethod(sp.sqrt)
    tanh = staticmethod(sp.tanh)
    atan = staticmethod(sp.atan)
    erf = staticmethod(sp.erf)

    def sign(self, a: Any) -> int | None:
        if a.is_Rational:
            return int(bool(a > 0)) - int(bool(a < 0))
        return None


# ------------------------------------------------------------------ jets --

def _mul(a: list, b: list) -> list:
    return [sum((a[i] * b[k - i] for i in range(1, k + 1)), a[0] * b[k]) for k in range(len(a))]


def _ode(a: list, b0: Any, p: list | Callable[[int, list], Any]) -> list:
    """b with b′ = p·a′: b_k = (1/k) Σ_{j=1..k} j a_j p_{k−j}; p a jet or p(k, b) giving p_k from b_0..b_k."""
    b = [b0]
    for k in range(1, len(a)):
        ps = p if isinstance(p, list) else [p(i, b) for i in range(k)]
        b.append(sum((j * a[j] * ps[k - j] for j in range(2, k + 1)), a[1] * ps[k - 1]) / k)
    return b


def _recip(N: Any, a: list) -> list:
    a0 = N.nonzero(a[0])
    b = [1 / a0]
    for k in range(1, len(a)):
        b.append(-sum((a[j] * b[k - j] for j in range(2, k + 1)), a[1] * b[k - 1]) / a0)
    return b


def _exp(N: Any, a: list) -> list:
    b = [N.exp(a[0])]
    for k in range(1, len(a)):
        b.append(sum((j * a[j] * b[k - j] for j in range(2, k + 1)), a[1] * b[k - 1]) / k)
    return b


def _log(N: Any, a: list) -> list:
    a0 = N.positive(a[0])
    b = [N.log(a0)]
    for k in range(1, len(a)):
        s = sum((j * b[j] * a[k - j] for j in range(2, k)), b[1] * a[k - 1] if k > 1 else 0 * a[0])
        b.append((a[k] - s / k) / a0)
    return b


def _sincos(N: Any, a: list) -> tuple[list, list]:
    s, c = [N.sin(a[0])], [N.cos(a[0])]
    for k in range(1, len(a)):
        s.append(sum((j * a[j] * c[k - j] for j in range(2, k + 1)), a[1] * c[k - 1]) / k)
        c.append(-sum((j * a[j] * s[k - j] for j in range(2, k + 1)), a[1] * s[k - 1]) / k)
    return s, c


def _sqrt(N: Any, a: list) -> list:
    a0 = N.positive(a[0])
    b = [N.sqrt(a0)]
    for k in range(1, len(a)):
        s = sum((b[j] * b[k - j] for j in range(1, k)), 0 * a[0])
        b.append((a[k] - s) / (2 * b[0]))
    return b


def _pow_int(N: Any, a: list, n: int) -> list:
    if n < 0:
        return _pow_int(N, _recip(N, a), -n)
    out = [N.const(sp.Integer(1))] + [N.const(sp.Integer(0))] * (len(a) - 1)
    base = a
    while n:
        if n & 1:
            out = _mul(out, base)
        n >>= 1
        if n:
            base = _mul(base, base)
    return out


def _scale(a: list, c: Any) -> list:
    return [c * e for e in a]


def _func(N: Any, name: str, a: list) -> list:
    if name == "exp":
        return _exp(N, a)
    if name == "log":
        return _log(N, a)
    if name in ("sin", "cos"):
        s, c = _sincos(N, a)
        return s if name == "sin" else c
    if name == "sinh":
        e, f = _exp(N, a), _exp(N, _scale(a, -1))
        return [(p - q) / 2 for p, q in zip(e, f)]
    if name == "cosh":
        e, f = _exp(N, a), _exp(N, _scale(a, -1))
        return [(p + q) / 2 for p, q in zip(e, f)]
    if name == "tanh":      # b′ = (1 − b²) a′
        def p(i: int, b: list) -> Any:
            sq = sum((b[j] * b[i - j] for j in range(1, i + 1)), b[0] * b[i])
            return (1 - sq) if i == 0 else -sq
        return _ode(a, N.tanh(a[0]), p)
    if name == "atan":      # b′ = a′ / (1 + a²)
        d = _mul(a, a)
        d[0] = d[0] + 1
        return _ode(a, N.atan(a[0]), _recip(N, d))
    if name in ("erf", "erfc"):   # erf′ = 2/√π exp(−a²)
        sq = _mul(a, a)
        g = _scale(_exp(N, _scale(sq, -1)), 2 / N.sqrt(N.const(sp.pi)))
        b = _ode(a, N.erf(a[0]), g)
        return b if name == "erf" else [1 - b[0]] + [-e for e in b[1:]]
    raise InvalidArgument(f"activation: {name} has no jet here")


# ------------------------------------------------------------------ nodes --

_FUNC_NAMES = {sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tanh: "tanh", sp.atan: "atan",
               sp.erf: "erf", sp.erfc: "erfc", sp.sinh: "sinh", sp.cosh: "cosh"}
_RELS = {sp.StrictGreaterThan: ">", sp.GreaterThan: ">=", sp.StrictLessThan: "<", sp.LessThan: "<=",
         sp.Equality: "==", sp.Unequality: "!="}


class Node:
    """A compiled expression: ``jet(N, seed)`` maps the argument's jet to the value's jet."""

    def __init__(self, kind: str, args: tuple = (), data: Any = None):
        self.kind, self.args, self.data = kind, args, data

    def jet(self, N: Any, seed: list) -> list:
        k = self.kind
        if k == "t":
            return list(seed)
        if k == "const":
            c = N.const(self.data)
            return [c] + [0 * c] * (len(seed) - 1)
        if k == "add":
            parts = [a.jet(N, seed) for a in self.args]
            return [sum((p[i] for p in parts[1:]), parts[0][i]) for i in range(len(seed))]
        if k == "mul":
            out = self.args[0].jet(N, seed)
            for a in self.args[1:]:
                out = _mul(out, a.jet(N, seed))
            return out
        if k == "powi":
            return _pow_int(N, self.args[0].jet(N, seed), self.data)
        if k == "sqrt":
            return _sqrt(N, self.args[0].jet(N, seed))
        if k == "powr":             # b^r = exp(r log b), b > 0
            lg = _log(N, self.args[0].jet(N, seed))
            return _exp(N, _scale(lg, N.const(self.data)))
        if k == "powg":             # b^e = exp(e log b)
            lg = _log(N, self.args[0].jet(N, seed))
            return _exp(N, _mul(self.args[1].jet(N, seed), lg))
        if k == "func":
            return _func(N, self.data, self.args[0].jet(N, seed))
        if k == "pw":
            return self._piecewise(N, seed)
        raise InvalidArgument(f"node {k}")

    def _piecewise(self, N: Any, seed: list) -> list:
        out: list | None = None
        for piece, cond in self.data:
            st = cond_state(cond, N, seed)
            if st is False:
                continue
            val = piece.jet(N, seed)
            if out is None:
                out = val
            else:       # undecided conditions only happen in intervals: the hull of the candidates
                out = [iv.mpf([min(p.a, q.a), max(p.b, q.b)]) for p, q in zip(out, val)]
            if st is True:
                return out
        raise NotSmooth("no piece of a Piecewise is known to apply")


def cond_state(cond: tuple, N: Any, seed: list) -> bool | None:
    tag = cond[0]
    if tag == "const":
        return bool(cond[1])
    if tag in ("and", "or"):
        s = [cond_state(c, N, seed) for c in cond[1]]
        if tag == "and":
            return False if False in s else (True if all(x is True for x in s) else None)
        return True if True in s else (False if all(x is False for x in s) else None)
    op, g = cond[1], cond[2]
    if isinstance(N, ExactNumbers):
        sgn = _exact_sign(g, N.probe)
    else:
        sgn = N.sign(g.node.jet(N, [seed[0]])[0])
    if sgn is None:
        return None
    return {">": sgn > 0, ">=": sgn >= 0, "<": sgn < 0, "<=": sgn <= 0, "==": sgn == 0, "!=": sgn != 0}[op]


def _exact_sign(g: "Switch", q: Fraction) -> int | None:
    """The sign of g at the rational q: exactly when g(q) is rational, else from 60-digit intervals."""
    Q = sp.Rational(q.numerator, q.denominator)
    try:
        val = g.node.jet(ExactNumbers(q), [Q])[0]
        if getattr(val, "is_Rational", False):
            return int(bool(val > 0)) - int(bool(val < 0))
        with iv_dps(60):
            enc = g.node.jet(IntervalNumbers(), [iv.mpf(q.numerator) / q.denominator])[0]
            return IntervalNumbers().sign(enc)
    except NotSmooth:
        return None


class Switch:
    """g(t) of a condition g ⋚ 0: its expression, node, and rational root when g is linear with rational coefficients."""

    def __init__(self, g: Any):
        self.expr = sp.expand(g)
        self.node = _compile(self.expr, [])
        self.root: Fraction | None = None
        if self.expr.is_polynomial(T) and sp.degree(self.expr, T) == 1:
            a, b = sp.Poly(self.expr, T).all_coeffs()
            if a.is_Rational and b.is_Rational:
                r = -b / a
                self.root = Fraction(int(r.p), int(r.q))


def _rel(op: str, g: Any, sw: list) -> tuple:
    s = Switch(g)
    sw.append(s)
    return ("rel", op, s)


def _condition(c: Any, sw: list) -> tuple:
    if c in (sp.true, sp.false):
        return ("const", c == sp.true)
    if isinstance(c, (sp.And, sp.Or)):
        return ("and" if isinstance(c, sp.And) else "or", [_condition(a, sw) for a in c.args])
    op = _RELS.get(type(c))
    if op is None:
        raise InvalidArgument(f"activation: condition {c} has no evaluator here")
    return _rel(op, c.lhs - c.rhs, sw)


def _compile(e: Any, sw: list) -> Node:
    if e == T:
        return Node("t")
    if e.is_number and (e.is_Rational or isinstance(e, sp.Float) or e in (sp.pi, sp.E)):
        return Node("const", data=e)
    if isinstance(e, sp.Add):
        return Node("add", tuple(_compile(a, sw) for a in e.args))
    if isinstance(e, sp.Mul):
        return Node("mul", tuple(_compile(a, sw) for a in e.args))
    if isinstance(e, sp.Pow):
        base, ex = e.args
        if base == sp.E:
            return Node("func", (_compile(ex, sw),), "exp")
        if ex.is_Integer:
            return Node("powi", (_compile(base, sw),), int(ex))
        if ex == sp.Rational(1, 2):
            return Node("sqrt", (_compile(base, sw),))
        if ex.is_Rational or isinstance(ex, sp.Float):
            return Node("powr", (_compile(base, sw),), ex)
        return Node("powg", (_compile(base, sw), _compile(ex, sw)))
    if isinstance(e, sp.Piecewise):
        return Node("pw", data=[(_compile(a, sw), _condition(c, sw)) for a, c in e.args])
    one, zero = Node("const", data=sp.Integer(1)), Node("const", data=sp.Integer(0))
    if isinstance(e, sp.Abs):
        g = e.args[0]
        a = _compile(g, sw)
        return Node("pw", data=[(a, _rel(">=", g, sw)), (Node("mul", (Node("const", data=sp.Integer(-1)), a)),
                                                          ("const", True))])
    if isinstance(e, (sp.Max, sp.Min)):
        args = list(e.args)
        node = _compile(args[-1], sw)
        acc = args[-1]
        for a in reversed(args[:-1]):        # Max(a, rest) = a where a − rest ≥ 0, else rest
            node = Node("pw", data=[(_compile(a, sw), _rel(">=" if isinstance(e, sp.Max) else "<=", a - acc, sw)),
                                    (node, ("const", True))])
            acc = type(e)(a, acc)
        return node
    if isinstance(e, sp.Heaviside):
        g = e.args[0]
        h0 = e.args[1] if len(e.args) > 1 else sp.Rational(1, 2)
        return Node("pw", data=[(zero, _rel("<", g, sw)), (Node("const", data=h0), _rel("==", g, sw)),
                                (one, ("const", True))])
    if isinstance(e, sp.sign):
        g = e.args[0]
        return Node("pw", data=[(one, _rel(">", g, sw)), (Node("const", data=sp.Integer(-1)), _rel("<", g, sw)),
                                (zero, ("const", True))])
    name = _FUNC_NAMES.get(e.func)
    if name is not None and len(e.args) == 1:
        return Node("func", (_compile(e.args[0], sw),), name)
    raise InvalidArgument(f"activation: {type(e).__name__} in {str(e)[:60]} has no jet evaluator here")


def compile_sigma(expr: Any) -> tuple[Node, list[Switch]]:
    """The node tree of σ and its switches (every g of a condition, nested ones included)."""
    sw: list[Switch] = []
    node = _compile(sp.sympify(expr).subs({s: T for s in sp.sympify(expr).free_symbols}), sw)
    return node, sw


def sigma_jet(node: Node, u: Any, order: int = ORDER) -> list:
    """(σ, σ′, σ″/2, …) over the interval u; raises NotSmooth."""
    seed = [u, interval(1)] + [interval(0)] * (order - 1)
    return node.jet(IntervalNumbers(), seed[:order + 1])


# ------------------------------------------------------------ smoothness --

class Smoothness:
    """σ ∈ C² on intervals, decided from σ's switches and its jets.

    On an interval u, σ is accepted as C² when (1) every switch g that is
    not linear with a rational root keeps a strict sign on u (intervals);
    (2) at every rational root r of a linear switch strictly inside u, the
    pieces that apply just left and just right of r (chosen at exact
    rational points beside r) have equal σ, σ′, σ″ at r and σ(r) equals
    them — exact sympy numbers from the jets of :class:`ExactNumbers`; then
    σ″ is continuous at r (mean value theorem); (3) the order-3 jet of σ over
    u is finite: every function is analytic on the arguments it meets, so
    each piece is C³ there.  Anything undecided rejects.
    """

    def __init__(self, node: Node, switches: Sequence[Switch]):
        self.node = node
        self.roots = sorted({s.root for s in switches if s.root is not None})
        self.others = [s for s in switches if s.root is None and not s.expr.is_number]
        self._junction: dict[Fraction, str] = {}

    def decide(self, u: Any) -> tuple[bool, str]:
        if not finite(u):
            return False, "the interval is not finite"
        for s in self.others:
            try:
                d = s.node.jet(IntervalNumbers(), [u])[0]
            except NotSmooth:
                d = None
            if d is None or not finite(d) or d.a <= 0 <= d.b:
                return False, f"the switch {str(s.expr)[:60]} of σ may change sign on the interval"
        lo, hi = frac(u.a), frac(u.b)
        for r in self.roots[bisect.bisect_left(self.roots, lo):bisect.bisect_right(self.roots, hi)]:
            if r == lo or r == hi:
                return False, f"the switch point {r} is an end of the interval (undecided)"
            why = self._c2_at(r, min(r - lo, hi - r))
            if why:
                return False, why
        try:
            jet = sigma_jet(self.node, u)
        except NotSmooth as exc:
            return False, f"σ is not proved C³ on each piece: {exc}"
        if not all(finite(e) for e in jet):
            return False, "σ or a derivative is not finite on the interval"
        return True, ""

    def _c2_at(self, r: Fraction, room: Fraction) -> str:
        if r in self._junction:
            return self._junction[r]
        k = bisect.bisect_left(self.roots, r)
        gaps = [room] + ([r - self.roots[k - 1]] if k > 0 else []) + \
            ([self.roots[k + 1] - r] if k + 1 < len(self.roots) else [])
        h = min(gaps) / 2
        R = sp.Rational(r.numerator, r.denominator)
        seed = [R, sp.Integer(1), sp.Integer(0)]
        why = ""
        try:
            left = self.node.jet(ExactNumbers(r - h), seed)
            right = self.node.jet(ExactNumbers(r + h), seed)
            at = self.node.jet(ExactNumbers(r), seed[:1])[0]
            for k2, (a, b) in enumerate(zip(left, right)):
                if not (a.is_finite and b.is_finite) or sp.simplify(a - b) != 0:
                    why = f"σ, σ′ or σ″ jumps at t = {r}" if k2 else f"σ jumps at t = {r}"
                    break
            if not why and sp.simplify(at - left[0]) != 0:
                why = f"σ({r}) differs from its limits"
        except (NotSmooth, TypeError, ValueError) as exc:
            why = f"the junction at t = {r} is undecided ({exc})"
        self._junction[r] = why
        return why
