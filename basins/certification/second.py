"""An independent second verifier of certificates (mpmath interval arithmetic, exact rationals).

It shares no evaluation code with :mod:`basins.certification.smooth` (python-flint balls)
or :mod:`basins.certification.piecewise_linear`: σ and its derivatives are evaluated here by a
walk of the sympy expressions with ``mpmath.iv`` intervals (functions without
an interval version in mpmath — tanh, erf, atan — are enclosed by their
monotonicity and, for erf, a Taylor series with a bound on the remainder),
and the network's gradient, Hessian and loss are written out again.  For
piecewise-linear σ the finite piece analysis is redone in exact rational
arithmetic, with σ and its one-sided slopes taken from sympy's exact
evaluation of the expression rather than from the breakpoint table.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 and Theorem 7 (``shared/papers/002_dcd1bd86d7cd4545.txt``);
SPEC §7, last bullet.
"""

from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterator, Sequence

import mpmath
import numpy as np
import sympy as sp

from basins.validate import proof_inputs
from basins.activations import T
from basins.io.case import Case
from basins.errors import InvalidArgument, VerificationFailed

__all__ = ["Reverification", "reverify", "reverify_or_raise"]

CERTIFIED = "certified"
REJECTED = "rejected"

_iv = mpmath.iv


@dataclass(frozen=True)
class Reverification:
    """The second verifier's verdict: method, status and its checks (name, passed, detail)."""

    method: str
    status: str
    checks: tuple[tuple[str, bool, str], ...]

    @property
    def certified(self) -> bool:
        return self.status == CERTIFIED

    @property
    def failed(self) -> list[str]:
        return [n for n, ok, _ in self.checks if not ok]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "status": self.status,
                "checks": [{"name": n, "passed": ok, "detail": d} for n, ok, d in self.checks]}


# ------------------------------------------------------------ intervals --

@contextlib.contextmanager
def _iv_dps(dps: int) -> Iterator[None]:
    """Set mpmath.iv's precision inside a block (restored afterwards)."""
    old = _iv.prec
    _iv.dps = dps
    try:
        yield
    finally:
        _iv.prec = old


def _I(a: Any, b: Any = None) -> Any:
    return _iv.mpf([a, a if b is None else b])


def _lo(a: Any) -> Any:
    return a.a


def _hi(a: Any) -> Any:
    return a.b


def _hull(a: Any, b: Any) -> Any:
    return _iv.mpf([min(a.a, b.a), max(a.b, b.b)])


def _num(a: Any, digits: int = 12) -> str:
    """An interval endpoint (a thin interval) as a short decimal string."""
    mpi = getattr(a, "_mpi_", None)
    return mpmath.nstr(mpmath.mpf(mpi[0]) if mpi is not None else a, digits)


def _finite(a: Any) -> bool:
    return bool(mpmath.isfinite(a.a) and mpmath.isfinite(a.b))


def _monotone(thin: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An increasing function, enclosed from its values at the two endpoints."""

    def f(a: Any) -> Any:
        lo, hi = thin(_I(a.a)), thin(_I(a.b))
        return _iv.mpf([lo.a, hi.b])
    return f


def _tanh_thin(a: Any) -> Any:
    if a.a >= 0:
        return 1 - 2 / (_iv.exp(2 * a) + 1)
    return -(1 - 2 / (_iv.exp(-2 * a) + 1))


def _atan_thin(a: Any) -> Any:
    # atan(u) = 2 atan(u / (1 + sqrt(1 + u²))) halves the argument; then an alternating series
    u = a
    for _ in range(4):
        u = u / (1 + _iv.sqrt(1 + u * u))
    # |u| ≤ tan(π/32) < 0.1: Σ (-1)^k u^(2k+1)/(2k+1) with remainder below the next term
    total, term, k = _I(0), u, 0
    while True:
        nxt = term / (2 * k + 1)
        total += nxt if k % 2 == 0 else -nxt
        k += 1
        term = term * u * u
        bound = abs(term / (2 * k + 1))
        if bound.b < mpmath.mpf(2) ** (-_iv.prec - 8):
            total += _iv.mpf([-bound.b, bound.b])
            break
    return 16 * total


def _erf_thin(a: Any) -> Any:
    """erf at a point by its Maclaurin series; remainder bounded once the terms decrease."""
    x = a
    if abs(x).a > 7:  # erfc(7) < 4.2e-23 < 2^-70, so erf(x) ∈ [1 − 2^-70, 1] for x > 7 (odd for x < −7)
        tail = _iv.mpf(1) - _iv.mpf(2) ** -70   # an interval around 1 − 2^-70, computed in intervals
        band = _iv.mpf([tail.a, 1])
        return band if x.a > 0 else -band
    x2 = x * x
    total, term, n = _I(0), x, 0          # term = (-1)^n x^(2n+1) / n!
    while True:
        total += term / (2 * n + 1)
        n += 1
        term = -term * x2 / n
        if n > x2.b + 2:
            bound = abs(term).b / (2 * n + 1)
            if bound < mpmath.mpf(2) ** (-_iv.prec - 8):
                total += _iv.mpf([-bound, bound])
                break
    return 2 / _iv.sqrt(_iv.pi) * total


_FUNCS: dict[Any, Callable[[Any], Any]] = {
    sp.exp: _iv.exp,
    sp.log: _iv.log,
    sp.sin: _iv.sin,
    sp.cos: _iv.cos,
    sp.tanh: _monotone(_tanh_thin),
    sp.atan: _monotone(_atan_thin),
    sp.erf: _monotone(_erf_thin),
    sp.erfc: lambda a: 1 - _monotone(_erf_thin)(a),
    sp.sinh: lambda a: (_iv.exp(a) - _iv.exp(-a)) / 2,
    sp.cosh: lambda a: (_iv.exp(a) + _iv.exp(-a)) / 2,
}


def _compile(e: Any) -> Callable[[Any], Any]:
    """Interval closure of a sympy expression in t (rigorous enclosure, or a non-finite one)."""
    if e == T:
        return lambda u: u
    if e.is_Rational:
        c = e
        return lambda u: _iv.mpf(int(c.p)) / int(c.q)
    if isinstance(e, sp.Float):
        c = mpmath.mpf(e._mpf_)  # exact binary value of the sympy Float
        return lambda u: _I(c)
    if e == sp.pi:
        return lambda u: _iv.pi
    if e == sp.E:
        return lambda u: _iv.e
    if isinstance(e, sp.Add):
        parts = [_compile(a) for a in e.args]
        return lambda u: sum((p(u) for p in parts[1:]), parts[0](u))
    if isinstance(e, sp.Mul):
        parts = [_compile(a) for a in e.args]

        def mul(u: Any) -> Any:
            out = parts[0](u)
            for p in parts[1:]:
                out = out * p(u)
            return out
        return mul
    if isinstance(e, sp.Pow):
        base, ex = e.args
        fb = _compile(base)
        if ex.is_Integer:
            n = int(ex)
            return lambda u: fb(u) ** n
        if ex == sp.Rational(1, 2):
            return lambda u: _iv.sqrt(fb(u))
        if base == sp.E:
            fx = _compile(ex)
            return lambda u: _iv.exp(fx(u))
        fx = _compile(ex)
        return lambda u: _iv.exp(fx(u) * _iv.log(fb(u)))
    if isinstance(e, sp.Piecewise):
        pieces = [(_compile(a), _condition(c)) for a, c in e.args]

        def piecewise(u: Any) -> Any:
            out = None
            for f, cond in pieces:
                st = cond(u)
                if st is False:
                    continue
                val = f(u)
                out = val if out is None else _hull(out, val)
                if st is True:
                    return out
            return _iv.mpf([-mpmath.inf, mpmath.inf])
        return piecewise
    func = _FUNCS.get(e.func)
    if func is not None and len(e.args) == 1:
        fa = _compile(e.args[0])
        return lambda u: func(fa(u))
    raise InvalidArgument(f"activation: {type(e).__name__} in {str(e)[:60]} has no interval evaluator here")


def _condition(c: Any) -> Callable[[Any], bool | None]:
    if c == sp.true:
        return lambda u: True
    if c == sp.false:
        return lambda u: False
    if isinstance(c, (sp.And, sp.Or)):
        parts = [_condition(a) for a in c.args]
        conj = isinstance(c, sp.And)

        def comb(u: Any) -> bool | None:
            s = [p(u) for p in parts]
            if conj:
                return False if False in s else (True if all(x is True for x in s) else None)
            return True if True in s else (False if all(x is False for x in s) else None)
        return comb
    if isinstance(c, sp.core.relational.Relational):
        f = _compile(c.lhs - c.rhs)
        op = type(c)

        def rel(u: Any) -> bool | None:
            d = f(u)
            lo, hi = d.a, d.b
            table = {
                sp.StrictGreaterThan: (lo > 0, hi <= 0), sp.GreaterThan: (lo >= 0, hi < 0),
                sp.StrictLessThan: (hi < 0, lo >= 0), sp.LessThan: (hi <= 0, lo > 0),
                sp.Equality: (lo == hi == 0, lo > 0 or hi < 0), sp.Unequality: (lo > 0 or hi < 0, lo == hi == 0),
            }
            yes, no = table.get(op, (False, False))
            return True if yes else (False if no else None)
        return rel
    raise InvalidArgument(f"activation: condition {c} has no interval evaluator here")


# ------------------------------------------------------------- network --

class _Net:
    def __init__(self, case: Case, act: Any):
        self.s = [_compile(act.derivative(k)) for k in range(3)]
        self.x = [_I(mpmath.mpf(float(a))) for a in case.x]
        self.y = [_I(mpmath.mpf(float(a))) for a in case.y]
        self.m = case.m

    def parts(self, v: Sequence[Any], w: Sequence[Any], order: int) -> tuple[list, list, list, list]:
        z, z1, z2 = [], [], []
        for wi in w:
            us = [wi * xj for xj in self.x]
            z.append([self.s[0](u) for u in us])
            if order >= 1:
                z1.append([xj * self.s[1](u) for xj, u in zip(self.x, us)])
            if order >= 2:
                z2.append([xj * xj * self.s[2](u) for xj, u in zip(self.x, us)])
        r = []
        for j in range(len(self.x)):
            acc = -self.y[j]
            for i in range(self.m):
                acc = acc + v[i] * z[i][j]
            r.append(acc)
        return z, z1, z2, r

    def loss(self, v: Sequence[Any], w: Sequence[Any]) -> Any:
        _, _, _, r = self.parts(v, w, 0)
        total = _I(0)
        for rj in r:
            total = total + rj ** 2
        return total

    def gradient(self, v: Sequence[Any], w: Sequence[Any]) -> list:
        z, z1, _, r = self.parts(v, w, 1)
        g = [2 * _dot(z[i], r) for i in range(self.m)]
        return g + [2 * v[i] * _dot(z1[i], r) for i in range(self.m)]

    def hessian(self, v: Sequence[Any], w: Sequence[Any]) -> list[list]:
        m = self.m
        z, z1, z2, r = self.parts(v, w, 2)
        cols = z + [[v[i] * e for e in z1[i]] for i in range(m)]
        H: list[list[Any]] = [[None] * (2 * m) for _ in range(2 * m)]
        for a in range(2 * m):
            for b in range(a, 2 * m):
                H[a][b] = H[b][a] = 2 * _dot(cols[a], cols[b])
        for i in range(m):
            c = 2 * _dot(z1[i], r)
            H[i][m + i] = H[i][m + i] + c
            H[m + i][i] = H[m + i][i] + c
            H[m + i][m + i] = H[m + i][m + i] + 2 * v[i] * _dot(z2[i], r)
        return H


def _dot(a: Sequence[Any], b: Sequence[Any]) -> Any:
    acc = _I(0)
    for p, q in zip(a, b):
        acc = acc + p * q
    return acc


# ------------------------------------------------------- smoothness --

class _Smoothness:
    """σ ∈ C² on intervals, decided without the first verifier's code.

    Every relational in a Piecewise condition of σ, σ′, σ″ is a *switch*
    g(t).  A switch linear in t with rational coefficients changes only at its
    exact root r: an interval containing r is accepted when the pieces that
    apply just left and just right of r (found by evaluating the conditions
    exactly at rational points beside r) have equal values of σ, σ′ and σ″ at
    r (exact sympy arithmetic).  Every other switch is evaluated in mpmath
    intervals and must keep a strict sign on the interval.  Anything
    undecided rejects.
    """

    def __init__(self, act: Any):
        self.ders = [act.derivative(k) for k in range(3)]
        rels: dict[str, Any] = {}
        for e in self.ders:
            for pw in e.atoms(sp.Piecewise):
                for _, cond in pw.args:
                    for rel in cond.atoms(sp.core.relational.Relational):
                        g = sp.expand(rel.lhs - rel.rhs)
                        rels.setdefault(sp.srepr(g), g)
        self.roots: list[Fraction] = []
        self.others: list[tuple[str, Callable[[Any], Any] | None]] = []
        for g in rels.values():
            if g.is_number:
                continue
            if g.is_polynomial(T) and sp.degree(g, T) == 1:
                a, b = sp.Poly(g, T).all_coeffs()
                if a.is_Rational and b.is_Rational:
                    r = -b / a
                    self.roots.append(Fraction(int(r.p), int(r.q)))
                    continue
            try:
                self.others.append((str(g), _compile(g)))
            except InvalidArgument:
                self.others.append((str(g), None))
        self.roots.sort()
        self._junction: dict[Fraction, bool] = {}

    def decide(self, u: Any) -> tuple[bool, str]:
        """(True, "") when σ is C² on the interval u; otherwise (False, why)."""
        if not _finite(u):
            return False, "the interval is not finite"
        for text, f in self.others:
            d = f(u) if f is not None else None
            if d is None or not _finite(d) or (d.a <= 0 <= d.b):
                return False, f"the switch {text[:60]} of σ may change sign on the interval"
        lo, hi = _frac(u.a), _frac(u.b)
        import bisect

        i0, i1 = bisect.bisect_left(self.roots, lo), bisect.bisect_right(self.roots, hi)
        for r in self.roots[i0:i1]:
            if r == lo or r == hi:
                return False, f"the switch point {r} is an end of the interval (undecided)"
            if not self._c2_at(r, min(r - lo, hi - r)):
                return False, f"σ, σ′ or σ″ jumps at t = {r}"
        return True, ""

    def _c2_at(self, r: Fraction, room: Fraction) -> bool:
        if r in self._junction:
            return self._junction[r]
        import bisect

        k = bisect.bisect_left(self.roots, r)
        gaps = [room]
        if k > 0:
            gaps.append(r - self.roots[k - 1])
        if k + 1 < len(self.roots):
            gaps.append(self.roots[k + 1] - r)
        h = min(gaps) / 2
        ok = True
        for e in self.ders:
            left, right = _piece_at(e, r - h), _piece_at(e, r + h)
            if left is None or right is None:
                ok = False
                break
            R = sp.Rational(r.numerator, r.denominator)
            a, b = left.subs(T, R), right.subs(T, R)
            if not (a.is_finite and b.is_finite) or sp.simplify(a - b) != 0:
                ok = False
                break
        self._junction[r] = ok
        return ok


def _not_smooth(smooth: _Smoothness, X: list, x: Sequence[float], m: int) -> str:
    """Why σ is not proved C² on a pre-activation interval w_i x_j over the box X ("" if it is on all)."""
    for i in range(m):
        for j, xj in enumerate(x):
            ok, why = smooth.decide(X[m + i] * _I(mpmath.mpf(float(xj))))
            if not ok:
                return f"w_{i + 1} x_{j + 1}: {why}"
    return ""


def _frac(x: Any) -> Fraction:
    man, exp = mpmath.mpf(x).man_exp
    return Fraction(int(man)) * Fraction(2) ** int(exp) if man else Fraction(0)


def _piece_at(e: Any, q: Fraction) -> Any:
    """The expression of the Piecewise piece that applies at the rational q (exactly), None if undecided."""
    if not isinstance(e, sp.Piecewise):
        if e.has(sp.Piecewise):
            return None
        return e
    Q = sp.Rational(q.numerator, q.denominator)
    bounds = _canonical_bounds(e)
    if bounds is not None:
        import bisect

        return e.args[bisect.bisect_right(bounds, q)][0]
    for expr, cond in e.args:
        val = cond.subs(T, Q) if cond not in (sp.true, sp.false) else cond
        if val == sp.true:
            return _piece_at(expr, q) if expr.has(sp.Piecewise) else expr
        if val != sp.false:
            return None
    return None


@functools.lru_cache(maxsize=64)
def _canonical_bounds(e: Any) -> list[Fraction] | None:
    """b_1 < … < b_K when e = Piecewise((p_0, t < b_1), …, (p_K, True)) with rational b, else None."""
    out: list[Fraction] = []
    for expr, cond in e.args[:-1]:
        if (not isinstance(cond, sp.StrictLessThan) or cond.lhs != T or not cond.rhs.is_Rational
                or expr.has(sp.Piecewise)):
            return None
        out.append(Fraction(int(cond.rhs.p), int(cond.rhs.q)))
    if e.args[-1][1] != sp.true or len(e.args) < 2 or any(a >= b for a, b in zip(out, out[1:])):
        return None
    return out


# ------------------------------------------------------- smooth verdict --

def _reverify_smooth(case: Case, dps: int) -> Reverification:
    method = f"mpmath.iv intervals at {dps} digits: Krawczyk, interval Cholesky, interval losses"
    checks: list[tuple[str, bool, str]] = []
    m = case.m
    act, problem = proof_inputs(case)
    if problem:
        return Reverification(method, REJECTED, (("inputs", False, problem),))
    assert case.witness is not None
    theta0 = [float(a) for a in case.v] + [float(a) for a in case.w]
    with _iv_dps(dps), mpmath.workdps(dps):
        try:
            net = _Net(case, act)
        except InvalidArgument as exc:
            return Reverification(method, REJECTED, (("inputs", False, str(exc)),))
        th = [_I(mpmath.mpf(a)) for a in theta0]
        g0 = net.gradient(th[:m], th[m:])
        H0 = net.hessian(th[:m], th[m:])
        if not all(_finite(e) for e in g0) or not all(_finite(e) for row in H0 for e in row):
            return Reverification(method, REJECTED, (("inputs", False, "σ is not finite at the point"),))
        Hm = np.array([[float(e.mid) for e in row] for row in H0])
        try:
            C = np.linalg.inv(Hm)
        except np.linalg.LinAlgError:
            return Reverification(method, REJECTED, (("krawczyk", False, "singular Hessian"),))
        # own centre: two Newton steps in mpmath at this precision, rounded to float64
        with mpmath.workdps(dps):
            Hmp = mpmath.matrix([[e.mid for e in row] for row in H0])
            step = mpmath.lu_solve(Hmp, mpmath.matrix([e.mid for e in g0]))
        centre = [float(mpmath.mpf(a) - step[i]) for i, a in enumerate(theta0)]
        offset = max(abs(a - c) for a, c in zip(theta0, centre))
        scale = 1.0 + max(abs(a) for a in theta0)
        Ci = [[_I(mpmath.mpf(float(C[i, j]))) for j in range(2 * m)] for i in range(2 * m)]
        cI = [_I(mpmath.mpf(c)) for c in centre]
        gc = net.gradient(cI[:m], cI[m:])
        smooth = _Smoothness(act)
        proved = None
        touch = ""
        for e in (-33, -40, -26, -20, -46):
            rho = 2.0 ** math.ceil(math.log2(scale * 2.0 ** e))
            if rho <= 2 * offset:
                continue
            R = mpmath.mpf(rho)
            X = [_iv.mpf([mpmath.mpf(c) - R, mpmath.mpf(c) + R]) for c in centre]
            # smoothness on the box first: a box where σ ∈ C² is not proved is never used
            why = _not_smooth(smooth, X, case.x, m)
            if why:
                touch = touch or f"ρ = {rho:.3g}: {why}"
                continue
            HX = net.hessian(X[:m], X[m:])
            if not all(_finite(x) for row in HX for x in row):
                continue
            dev = _iv.mpf([-R, R])
            K = []
            for i in range(2 * m):
                k = cI[i] - _dot(Ci[i], gc)
                for j in range(2 * m):
                    a = (1 if i == j else 0) - _dot(Ci[i], [HX[l][j] for l in range(2 * m)])
                    k = k + a * dev
                K.append(k)
            if all(Ki.a > Xi.a and Ki.b < Xi.b for Ki, Xi in zip(K, X)):
                proved = (rho, X, HX, K)
                break
        if proved is None:
            checks.append(("C2", False, "σ is not proved C² on any box tried; first: " + touch) if touch else
                          ("krawczyk", False, "K(X) ⊄ int X for every radius tried"))
            return Reverification(method, REJECTED, tuple(checks))
        rho, X, HX, K = proved
        checks.append(("C2", True, "σ is C² on every pre-activation interval of X (switches decided in intervals, "
                                   "junctions exactly)"))
        checks.append(("krawczyk", True, f"K(X) ⊂ int X, X = centre ± {rho:.3g}: one critical point in X"))
        inside = all(abs(Fraction(a) - Fraction(c)) < Fraction(rho) for a, c in zip(theta0, centre))
        checks.append(("point", inside, f"|θ − centre|∞ = {offset:.3g} < ρ = {rho:.3g}"))
        pivots = _cholesky(HX)
        pd = len(pivots) == 2 * m and all(p.a > 0 for p in pivots)
        low = min((p.a for p in pivots), default=mpmath.mpf(0))
        checks.append(("positive definite", pd, f"interval Cholesky pivots all > 0 (smallest ≥ {_num(low, 8)})"
                       if pd else "an interval Cholesky pivot is not > 0"))
        EK = net.loss(K[:m], K[m:])
        Ew = net.loss([_I(mpmath.mpf(float(a))) for a in case.witness.v],
                      [_I(mpmath.mpf(float(a))) for a in case.witness.w])
        sub = bool(Ew.b < EK.a)
        checks.append(("sub-optimal", sub, f"E(witness) ≤ {_num(Ew.b)} < {_num(EK.a)} ≤ E(θ*)"
                       if sub else "E(witness) is not provably below E(θ*)"))
    ok = all(c[1] for c in checks)
    return Reverification(method, CERTIFIED if ok else REJECTED, tuple(checks))


def _cholesky(H: list[list]) -> list:
    n = len(H)
    L: list[list[Any]] = [[None] * n for _ in range(n)]
    piv = []
    for k in range(n):
        d = H[k][k]
        for j in range(k):
            d = d - L[k][j] ** 2
        piv.append(d)
        if not d.a > 0:
            return piv
        L[k][k] = _iv.sqrt(d)
        for i in range(k + 1, n):
            s = H[i][k]
            for j in range(k):
                s = s - L[i][j] * L[k][j]
            L[i][k] = s / L[k][k]
    return piv


# ----------------------------------------------- piecewise-linear verdict --

def _sigma_exact(act: Any) -> Callable[[Fraction], Fraction]:
    expr = act.expr

    @functools.lru_cache(maxsize=None)
    def s(u: Fraction) -> Fraction:
        # exact (nsimplify would round a rational with a large denominator to a simpler one)
        val = expr.subs(T, sp.Rational(u.numerator, u.denominator))
        val = sp.Rational(val) if isinstance(val, sp.Float) else val
        if not val.is_Rational:
            raise InvalidArgument(f"σ({u}) = {val} is not rational")
        return Fraction(int(val.p), int(val.q))
    return s


def _exact_fraction(b: Any) -> Fraction:
    """A sympy number as a Fraction, exactly (a Float by its binary value); TypeError when irrational."""
    b = sp.Rational(b) if isinstance(b, sp.Float) else b
    if not b.is_Rational:
        raise TypeError(f"{b} is not rational")
    return Fraction(int(b.p), int(b.q))


def _reverify_pl(case: Case) -> Reverification:
    """Exact rational piece analysis, with slopes from σ's values (not from a table)."""
    method = ("exact rationals (fractions): one-sided pieces from sympy's exact values of σ, "
              "LDLᵀ / kernel and extreme rays on each orthant")
    checks: list[tuple[str, bool, str]] = []
    act, problem = proof_inputs(case)
    if problem:
        return Reverification(method, REJECTED, (("inputs", False, problem),))
    assert case.witness is not None
    pl = act.piecewise_linear
    if pl is None:
        return Reverification(method, REJECTED, (("inputs", False, "σ is not piecewise linear"),))
    sigma = _sigma_exact(act)
    try:
        bps = sorted(_exact_fraction(b) for b in pl.breakpoints)
    except (TypeError, ValueError):
        return Reverification(method, REJECTED, (("inputs", False, "irrational breakpoints"),))
    x = [Fraction(float(a)) for a in case.x]
    y = [Fraction(float(a)) for a in case.y]
    v = [Fraction(float(a)) for a in case.v]
    w = [Fraction(float(a)) for a in case.w]
    m, n = len(w), len(x)
    gaps = [abs(b - c) for b in bps for c in bps if b != c] + [Fraction(1)]
    h = min(gaps) / 4

    def slope(u: Fraction, side: int) -> Fraction:
        # side = +1: the piece just right of u; -1: just left; h is below every gap between breakpoints
        d = min([abs(b - u) for b in bps if b != u] + [h]) / 2
        return (sigma(u + side * d) - sigma(u)) / (side * d)

    on = [[w[i] * x[j] in bps and x[j] != 0 for j in range(n)] for i in range(m)]
    kinked = [i for i in range(m) if any(on[i])]
    yhat = [sum(v[i] * sigma(w[i] * x[j]) for i in range(m)) for j in range(n)]
    r = [yhat[j] - y[j] for j in range(n)]
    E = sum(rj * rj for rj in r)
    Ew_pred = [sum(Fraction(float(a)) * sigma(Fraction(float(b)) * x[j]) for a, b in zip(case.witness.v, case.witness.w))
               for j in range(n)]
    Ew = sum((p - q) ** 2 for p, q in zip(Ew_pred, y))
    if len(kinked) > 12:
        return Reverification(method, REJECTED, (("pieces", False, f"{len(kinked)} kinked neurons: 2^{len(kinked)} pieces"),))
    all_ok = True
    worst = ""
    z = [[sigma(w[i] * x[j]) for j in range(n)] for i in range(m)]
    slopes = [[{1: slope(w[i] * x[j], 1), -1: slope(w[i] * x[j], -1)} for j in range(n)] for i in range(m)]
    for mask in range(2 ** len(kinked)):
        sgn = {i: (1 if (mask >> k) & 1 else -1) for k, i in enumerate(kinked)}
        # slopes a_ij on this orthant: direction of δu_ij = δw_i x_j
        a = [[slopes[i][j][(sgn.get(i, 1) if x[j] > 0 else -sgn.get(i, 1))] if x[j] != 0 else Fraction(0)
              for j in range(n)] for i in range(m)]
        z1 = [[x[j] * a[i][j] for j in range(n)] for i in range(m)]
        g = [2 * sum(z[i][j] * r[j] for j in range(n)) for i in range(m)]
        g += [2 * v[i] * sum(z1[i][j] * r[j] for j in range(n)) for i in range(m)]
        cols = z + [[v[i] * e for e in z1[i]] for i in range(m)]
        H: list[list[Fraction]] = [[2 * sum((p * q for p, q in zip(cols[s], cols[t])), Fraction(0))
                                    for t in range(2 * m)] for s in range(2 * m)]
        for i in range(m):
            c = 2 * sum(z1[i][j] * r[j] for j in range(n))
            H[i][m + i] += c
            H[m + i][i] += c
        # first order: free coordinates need g = 0; a sign-constrained w_i needs sgn_i g ≥ 0
        keep, signs = [], []
        for k in range(2 * m):
            i = k - m
            if k >= m and i in sgn:
                if sgn[i] * g[k] < 0:
                    all_ok, worst = False, f"orthant {mask}: E decreases along w_{i + 1}"
                if g[k] == 0:
                    keep.append(k)
                    signs.append(sgn[i])
            else:
                if g[k] != 0:
                    all_ok, worst = False, f"orthant {mask}: ∂E/∂θ_{k + 1} = {float(g[k]):.3g} ≠ 0"
                keep.append(k)
                signs.append(0)
        if not _positive_on_cone([[H[s][t] for t in keep] for s in keep], signs):
            all_ok, worst = False, f"orthant {mask}: dᵀHd > 0 fails on the critical cone"
    checks.append(("pieces", all_ok, f"all {2 ** len(kinked)} orthants of the {len(kinked)} kinked neurons: "
                                     "first-order conditions and dᵀHd > 0 on the critical cone"
                   if all_ok else worst))
    checks.append(("sub-optimal", Ew < E, f"E(witness) = {float(Ew):.12g} < E = {float(E):.12g} (exact)"))
    ok = all(c[1] for c in checks)
    return Reverification(method, CERTIFIED if ok else REJECTED, tuple(checks))


def _pd_exact(A: list[list[Fraction]]) -> bool:
    """Positive definite by exact LDLᵀ (Fractions)."""
    n = len(A)
    A = [row[:] for row in A]
    for k in range(n):
        if A[k][k] <= 0:
            return False
        for i in range(k + 1, n):
            f = A[i][k] / A[k][k]
            for j in range(k, n):
                A[i][j] -= f * A[k][j]
    return True


def _rank_and_kernel(A: list[list[Fraction]], ncols: int) -> tuple[int, list[list[Fraction]]]:
    """Rank and a kernel basis of a rational matrix (Gauss–Jordan on Fractions)."""
    M = [row[:] for row in A]
    piv_cols: list[int] = []
    r = 0
    for c in range(ncols):
        p = next((i for i in range(r, len(M)) if M[i][c] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        inv = 1 / M[r][c]
        M[r] = [e * inv for e in M[r]]
        for i in range(len(M)):
            if i != r and M[i][c] != 0:
                f = M[i][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[r])]
        piv_cols.append(c)
        r += 1
    kernel = []
    for fc in (c for c in range(ncols) if c not in piv_cols):
        vec = [Fraction(0)] * ncols
        vec[fc] = Fraction(1)
        for row, pc in enumerate(piv_cols):
            vec[pc] = -M[row][fc]
        kernel.append(vec)
    return r, kernel


def _positive_on_cone(H: list[list[Fraction]], signs: list[int]) -> bool:
    """dᵀHd > 0 for every d ≠ 0 with signs[j]·d_j ≥ 0 (signs[j] = 0: free), exactly."""
    import itertools

    if _pd_exact(H):
        return True
    n = len(H)
    # semidefinite: eliminate with the largest diagonal as pivot; a zero pivot needs a zero block
    A = [row[:] for row in H]
    rest = list(range(n))
    while rest:
        k = max(rest, key=lambda i: A[i][i])
        if A[k][k] < 0:
            return False
        if A[k][k] == 0:
            if any(A[i][j] != 0 for i in rest for j in rest):
                return False
            break
        rest.remove(k)
        for i in rest:
            f = A[i][k] / A[k][k]
            for j in rest:
                A[i][j] -= f * A[k][j]
    _, kern = _rank_and_kernel(H, n)
    k = len(kern)
    if k == 0:
        return True
    if k > 6:
        return False
    C = [[s * v[j] for v in kern] for j, s in enumerate(signs) if s != 0]
    if not C or _rank_and_kernel(C, k)[0] < k:
        return False
    for rows in itertools.combinations(range(len(C)), k - 1):
        sub = [C[r] for r in rows]
        rank, rays = _rank_and_kernel(sub, k) if sub else (0, [[Fraction(1)]])
        if rank != k - 1 or len(rays) != 1:
            continue
        for sgn in (1, -1):
            if all(sum(a * sgn * c for a, c in zip(row, rays[0])) >= 0 for row in C):
                return False
    return True


# ---------------------------------------------------------------- public --

def reverify(case: Case, *, dps: int = 40) -> Reverification:
    """Re-prove a case with the second, independent verifier.

    Parameters
    ----------
    case : Case
        Only the activation, x, y, v, w and witness are used.
    dps : int
        Decimal digits of the interval arithmetic (smooth σ), ≥ 20.

    Examples
    --------
    >>> from basins.constructions.prop4 import construct_prop4
    >>> reverify(construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])).status
    'certified'

    References
    ----------
    Li, Ding & Sun, Proposition 4 and Theorem 7; SPEC §7 (certificates a third party can re-verify).
    """
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 20:
        raise InvalidArgument(f"dps={dps!r} must be an integer ≥ 20")
    act, _ = proof_inputs(case)
    if act is not None and act.piecewise_linear is not None:
        return _reverify_pl(case)
    return _reverify_smooth(case, dps)


def reverify_or_raise(case: Case, *, dps: int = 40) -> Reverification:
    """:func:`reverify`, raising VerificationFailed (naming the check) when not proved.

    Raises
    ------
    VerificationFailed
        With ``.check`` the first failed check.
    """
    res = reverify(case, dps=dps)
    if not res.certified:
        name = res.failed[0] if res.failed else "incomplete"
        detail = next((d for n, ok, d in res.checks if n == name), "")
        raise VerificationFailed(f"second verifier rejects the case at check {name!r}: {detail}", check=name)
    return res
