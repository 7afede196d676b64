"""Activations: one sympy expression in ``t``, its derivatives, and its evaluators.

An :class:`Activation` holds a sympy expression in the real variable ``t``.
Its derivatives are derived symbolically once and compiled, in this module
only, to numpy and mpmath evaluators (and through :mod:`basins.activations.balls`
to ball arithmetic).  The properties the constructions need
(C² and where it fails, positive homogeneity, piecewise linearity with
breakpoints and slopes, the derivatives at 0) are decided symbolically.

User text is turned into an expression by the whitelist parser of
:mod:`basins.activations.parse`: no user text is ever evaluated as code.
"""


from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp

from basins.activations.balls import arb_compile, arb_evaluator
from basins.activations.parse import (PARAMETRISED, REGISTRY, T, parse_expression, real_expression_problem,
                                      registry_names, shorten)
from basins.errors import ActivationError, InvalidArgument

__all__ = [
    "T",
    "Activation",
    "PiecewiseLinear",
    "REGISTRY",
    "as_activation",
    "parse_expression",
    "registry_names",
]


_NONSMOOTH = (sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign)


@dataclass(frozen=True)
class PiecewiseLinear:
    """A piecewise-linear σ: sorted breakpoints and (slope, intercept) per interval.

    ``pieces[k]`` holds on the interval between ``breakpoints[k-1]`` and
    ``breakpoints[k]`` (unbounded at the ends); all numbers are exact sympy
    numbers.
    """

    breakpoints: tuple[sp.Expr, ...]
    pieces: tuple[tuple[sp.Expr, sp.Expr], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "breakpoints": [str(b) for b in self.breakpoints],
            "slopes": [str(s) for s, _ in self.pieces],
            "intercepts": [str(c) for _, c in self.pieces],
        }


@dataclass(frozen=True, eq=False)
class Activation:
    """An activation σ(t) given by a sympy expression in :data:`T`.

    Parameters
    ----------
    name : str
        A label (the registry name, or the expression text).
    expr : sympy.Expr
        The expression in ``t``.
    meta : mapping, optional
        Free-form labels of the code that made the activation.  They are
        never consulted: every fact about σ (C², kinks, piecewise linearity,
        homogeneity) is derived from ``expr`` alone, so a caller cannot make a
        certificate trust a declared property.

    Examples
    --------
    >>> s = Activation.from_text("swish")
    >>> s.derivatives_at_zero()
    (0, 1/2, 1/2)
    >>> s.is_c2, s.is_positively_homogeneous
    (True, False)
    >>> float(s.numpy(0)(np.array([1.0]))[0])  # doctest: +ELLIPSIS
    0.7310585786...
    """

    name: str
    expr: sp.Expr
    meta: Mapping[str, Any] = field(default_factory=dict)

    # ---- construction ----------------------------------------------------
    @classmethod
    def from_text(cls, text: str, *, argument: str = "activation") -> "Activation":
        """A registry name (``swish``, ``shifted_relu(2)``) or an expression in ``t``."""
        if not isinstance(text, str) or not text.strip():
            raise ActivationError(f"{argument}={text!r} must be a registry name or an expression in t")
        key = text.strip()
        if key in REGISTRY:
            return cls(key, parse_expression(REGISTRY[key][0], argument=argument))
        head, _, rest = key.partition("(")
        if head in PARAMETRISED and rest.endswith(")") and "(" not in rest:
            param = parse_expression(rest[:-1], argument=argument)
            if not param.is_number or not param.is_real:
                raise ActivationError(f"{argument}={key!r}: the parameter of {head} must be a real number")
            return cls(key, PARAMETRISED[head](param))
        return cls(key, parse_expression(key, argument=argument))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Activation) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @functools.cached_property
    def _key(self) -> Any:
        """What equality and hashing compare (computed once: the lru_caches hash self on every call)."""
        pp = self._ppoly
        if pp is not None:   # a designed σ: srepr of thousands of pieces would take seconds
            return ("piecewise polynomial", pp.breakpoints, pp.centers, pp.coeffs)
        return sp.srepr(self.expr)

    def __repr__(self) -> str:
        return f"Activation({self.name!r}, {self.text!r})"

    @functools.cached_property
    def text(self) -> str:
        """The expression as text that :func:`parse_expression` reads back exactly."""
        return str(self.expr)

    # ---- symbolic --------------------------------------------------------
    @functools.cached_property
    def _smooth_form(self) -> sp.Expr:
        """The expression with Max/Min/Abs/... rewritten as a folded Piecewise."""
        e = self.expr
        if e.has(*_NONSMOOTH):
            e = e.rewrite(sp.Piecewise)
        if e.has(sp.Piecewise):
            e = sp.piecewise_fold(e)
        return e

    @functools.cached_property
    def _derivatives(self) -> list[sp.Expr]:
        out = [self._smooth_form]
        for _ in range(4):
            d = sp.diff(out[-1], T)
            if d.has(sp.Piecewise):
                d = sp.piecewise_fold(d)
            out.append(d)
        return out

    def derivative(self, order: int) -> sp.Expr:
        """σ^(order) as a sympy expression (order 0 to 4)."""
        if order not in range(5):
            raise InvalidArgument(f"order={order!r} must be 0, 1, 2, 3 or 4")
        return self._derivatives[order]

    @functools.cached_property
    def _ppoly(self) -> Any:
        """The exact piecewise polynomial (basins.activations.ppoly) when ``expr`` is a Piecewise of polynomial
        pieces with conditions ``t < b`` (a designed σ): its fast, exact path replaces sympy's."""
        from basins.activations.ppoly import from_expr

        return from_expr(self.expr)

    @functools.cached_property
    def is_piecewise(self) -> bool:
        if self._ppoly is not None:
            return True
        return self._smooth_form.has(sp.Piecewise)

    @functools.cached_property
    def nonsmooth_points(self) -> tuple[sp.Expr, ...]:
        """Real points where σ, σ′ or σ″ is undefined or discontinuous (sorted, exact)."""
        if self._ppoly is not None:
            return tuple(sp.Rational(p.numerator, p.denominator) for p in self._ppoly.nonsmooth_points)
        candidates: set[sp.Expr] = set(self._breakpoint_candidates())
        bad = set()
        for c in candidates:
            for k in range(3):
                if not _continuous_at(self._derivatives[k], c):
                    bad.add(c)
                    break
        bad |= self._singular_points()
        return tuple(sorted(bad, key=lambda p: float(p)))

    @functools.cached_property
    def breakpoints(self) -> tuple[sp.Expr, ...]:
        """Boundaries of the pieces of a piecewise definition (sorted, exact)."""
        if self._ppoly is not None:
            return tuple(sp.Rational(p.numerator, p.denominator) for p in self._ppoly.breakpoints)
        return tuple(sorted(self._breakpoint_candidates(), key=lambda p: float(p)))

    def _breakpoint_candidates(self) -> set[sp.Expr]:
        return set(self._switch_zeros[0])

    @functools.cached_property
    def _switch_zeros(self) -> tuple[frozenset[sp.Expr], tuple[str, ...]]:
        """(real zeros of every switching function, the switches whose zeros were not all found).

        A switching function is ``lhs − rhs`` of a relational in a Piecewise
        condition of σ's smooth form (Max, Min, Abs, Heaviside and sign are
        rewritten to Piecewise first).  A zero set that sympy does not return
        as a finite set (periodic kinks such as those of ``Abs(sin(t))``), or
        the zeros of a switch that is not linear with rational coefficients
        (where smoothness would rest on undecidable symbolic limits), make the
        second entry non-empty: the set of kinks is then *unknown*.
        """
        points: set[sp.Expr] = set()
        unknown: list[str] = []
        for g in self._switch_functions:
            try:
                sols = sp.solveset(g, T, sp.S.Reals)
            except Exception:  # sympy may raise on transcendental equations
                unknown.append(str(g))
                continue
            if isinstance(sols, sp.FiniteSet) and all(z.is_real is not None for z in sols):
                points |= {z for z in sols if z.is_real}
                if not _linear_rational(g):
                    # the zeros are found, but whether σ is smooth there rests on sympy's limits of
                    # Piecewise pieces under conditions it cannot always decide: not a proof
                    unknown.append(str(g))
            else:
                unknown.append(str(g))
        return frozenset(points), tuple(unknown)

    @functools.cached_property
    def _switch_functions(self) -> tuple[sp.Expr, ...]:
        """lhs − rhs of every relational in a Piecewise condition of σ, σ′ or σ″ (distinct, in order)."""
        out: dict[Any, sp.Expr] = {}
        for e in (self._smooth_form,):
            for pw in e.atoms(sp.Piecewise):
                for _, cond in pw.args:
                    for rel in cond.atoms(sp.core.relational.Relational):
                        g = rel.lhs - rel.rhs
                        out.setdefault(sp.srepr(g), g)
        return tuple(out.values())

    @property
    def kinks_known(self) -> bool:
        """Whether :attr:`nonsmooth_points` is the complete set (every switch's zeros were found)."""
        if self._ppoly is not None:
            return True
        return not self._switch_zeros[1] and self._singular_known

    @property
    def _singular_known(self) -> bool:
        return self._singular[1]

    def _singular_points(self) -> set[sp.Expr]:
        return set(self._singular[0])

    @functools.cached_property
    def _singular(self) -> tuple[frozenset[sp.Expr], bool]:
        """(points where a smooth-form σ^(k), k ≤ 2, is undefined or discontinuous, whether that set is complete)."""
        out: set[sp.Expr] = set()
        known = True
        for k in range(3):
            e = self._derivatives[k]
            if e.has(sp.Piecewise):
                continue
            if _analytic_on_reals(e):
                continue
            try:
                dom = sp.calculus.util.continuous_domain(e, T, sp.S.Reals)
            except Exception:  # sympy cannot decide the domain: the set is unknown
                known = False
                continue
            comp = sp.Complement(sp.S.Reals, dom)
            if isinstance(comp, sp.FiniteSet):
                out |= set(comp)
            elif comp != sp.S.EmptySet:
                raise ActivationError(
                    f"activation={self.name!r} is not defined or not continuous on {comp}; "
                    "basins needs σ, σ′, σ″ defined on all of R except finitely many points"
                )
        return frozenset(out), known

    @property
    def is_c2(self) -> bool:
        """Whether σ is known to be C² on all of R (breakpoints of piecewise definitions included).

        False when a non-C² point was found *or* when the set of such points is
        not known (:attr:`kinks_known`); :meth:`c2_on_ball` decides smoothness
        on a given interval rigorously instead.
        """
        return self.kinks_known and not self.nonsmooth_points

    @functools.cached_property
    def piecewise_linear(self) -> PiecewiseLinear | None:
        """The breakpoints and slopes if σ is continuous and piecewise linear, else None."""
        if self._ppoly is not None:
            found = self._ppoly.piecewise_linear()
            if found is None:
                return None
            q = lambda a: sp.Rational(a.numerator, a.denominator)  # noqa: E731
            return PiecewiseLinear(tuple(q(b) for b in found[0]), tuple((q(a), q(c)) for a, c in found[1]))
        e = self._smooth_form
        pieces = [a[0] for a in e.args] if isinstance(e, sp.Piecewise) else [e]
        if e.has(sp.Piecewise) and not isinstance(e, sp.Piecewise):
            return None
        for p in pieces:
            if not (p.is_polynomial(T) and sp.degree(p, T) <= 1):
                return None
        bps = self.breakpoints
        for b in bps:
            if not _continuous_at(self._derivatives[0], b):
                return None
        tests = _interval_test_points(bps)
        out = []
        for p in tests:
            # exact values: nsimplify would round a rational such as (10**20 + 1)/10**20 to 1
            slope = sp.simplify(self._derivatives[1].subs(T, p))
            value = self._derivatives[0].subs(T, p)
            out.append((slope, sp.simplify(value - slope * p)))
        # merge equal neighbouring pieces (a breakpoint that is not a kink)
        keep_bps, keep_pieces = [], [out[0]]
        for b, piece in zip(bps, out[1:]):
            if piece != keep_pieces[-1]:
                keep_bps.append(b)
                keep_pieces.append(piece)
        return PiecewiseLinear(tuple(keep_bps), tuple(keep_pieces))

    @functools.cached_property
    def is_positively_homogeneous(self) -> bool:
        """σ(αt) = ασ(t) for all α > 0: piecewise linear, kinks only at 0, no intercepts."""
        pl = self.piecewise_linear
        if pl is None:
            return False
        return all(b == 0 for b in pl.breakpoints) and all(c == 0 for _, c in pl.pieces)

    def derivatives_at_zero(self) -> tuple[sp.Expr | None, sp.Expr | None, sp.Expr | None]:
        """(σ(0), σ′(0), σ″(0)) exactly; None where the derivative does not exist at 0."""
        out: list[sp.Expr | None] = []
        if self._ppoly is not None:
            for k in range(3):
                ok = (not out or out[-1] is not None) and self._ppoly.continuous_at_zero(k)
                v = self._ppoly.value(0, k) if ok else None
                out.append(None if v is None else sp.Rational(v.numerator, v.denominator))
            return out[0], out[1], out[2]
        for k in range(3):
            e = self._derivatives[k]
            if (not out or out[-1] is not None) and _continuous_at(e, sp.Integer(0)):
                out.append(sp.simplify(_limit(e, sp.Integer(0), "+")))
            else:
                out.append(None)
        return out[0], out[1], out[2]

    def properties(self) -> dict[str, Any]:
        """Everything decided about σ, as JSON-ready data."""
        d0 = self.derivatives_at_zero()
        pl = self.piecewise_linear
        known = self.kinks_known
        return {
            "name": self.name,
            "expression": self.text,
            "c2": self.is_c2 if known or self.nonsmooth_points else "unknown",
            "nonsmooth_points": ([str(p) for p in self.nonsmooth_points] if known else
                                 "unknown: the zeros of " + ", ".join(self._switch_zeros[1] or ("a derivative's domain",))
                                 + " were not found as a finite set"
                                 + (f" (found: {', '.join(map(str, self.nonsmooth_points))})"
                                    if self.nonsmooth_points else "")),
            "positively_homogeneous": self.is_positively_homogeneous,
            "piecewise_linear": pl.to_dict() if pl is not None else None,
            "at_zero": {k: (None if v is None else str(v)) for k, v in zip(("sigma", "d1", "d2"), d0)},
        }

    # ---- numerics: the one place where σ is compiled ---------------------
    @functools.lru_cache(maxsize=None)
    def numpy(self, order: int = 0) -> Callable[[np.ndarray], np.ndarray]:
        """σ^(order) as a vectorised float64 numpy function (order 0 to 4)."""
        if self._ppoly is not None:
            return self._ppoly.numpy(order)
        f = sp.lambdify(T, self.derivative(order), modules=["scipy", "numpy"])

        def evaluate(u: np.ndarray) -> np.ndarray:
            u = np.asarray(u, dtype=float)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                out = f(u)
            out = np.asarray(out, dtype=float)
            return out if out.shape == u.shape else np.broadcast_to(out, u.shape).copy()

        return evaluate

    @functools.lru_cache(maxsize=None)
    def numpy_taylor(self, order: int) -> Callable[[np.ndarray], np.ndarray]:
        """The Taylor coefficients σ^(p)(u)/p!, p = 0..order, evaluated together.

        Returns a function of an array ``u`` giving an array of shape
        ``(order + 1,) + u.shape``.  Derivatives beyond the fourth are derived
        here from :meth:`derivative`; all orders are compiled into one numpy
        function with their common subexpressions evaluated once.  Used by
        the sampling kernel (:mod:`basins.verification.sampling`).
        """
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 16:
            raise InvalidArgument(f"order={order!r} must be an integer from 0 to 16")
        if self._ppoly is not None:
            return self._ppoly.numpy_taylor(order)
        ders = [self.derivative(k) for k in range(min(order, 4) + 1)]
        while len(ders) <= order:
            d = sp.diff(ders[-1], T)
            ders.append(sp.piecewise_fold(d) if d.has(sp.Piecewise) else d)
        f = sp.lambdify(T, [d / sp.factorial(k) for k, d in enumerate(ders)], modules=["scipy", "numpy"], cse=True)

        def evaluate(u: np.ndarray) -> np.ndarray:
            u = np.asarray(u, dtype=float)
            out = np.empty((order + 1,) + u.shape)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                for k, c in enumerate(f(u)):
                    out[k] = c
            return out

        return evaluate

    @functools.lru_cache(maxsize=None)
    def mpmath(self, order: int = 0) -> Callable[[Any], Any]:
        """σ^(order) as an mpmath function of one mpf (uses the caller's precision)."""
        if self._ppoly is not None:
            return self._ppoly.mpmath(order)
        f = sp.lambdify(T, self.derivative(order), modules="mpmath")
        return lambda u: mpmath.mpf(f(mpmath.mpf(u)))

    def arb(self, order: int = 2) -> Callable[[Any], list[Any]]:
        """σ, σ′, ..., σ^(order) over a ball, in python-flint's ball arithmetic (rigorous).

        The returned function takes an ``arb`` ball ``u`` (or a float, taken
        exactly) and returns ``[σ(u), σ′(u), ..., σ^(order)(u)]`` as balls that
        contain every value σ^(k)(t) for t in ``u``.  It walks the sympy
        expression once with truncated power series (``arb_series``), at the
        caller's flint precision (``flint.ctx.prec``).  A Piecewise whose
        condition the ball cannot decide gives the union of the pieces that
        may apply; a ball that may leave every piece, or meets a singularity,
        gives a non-finite ball (callers reject it).

        Examples
        --------
        >>> import flint
        >>> d = Activation.from_text("exp").arb(2)(flint.arb(0))
        >>> [str(b) for b in d]
        ['1.00000000000000', '1.00000000000000', '1.00000000000000']
        """
        if order not in range(5):
            raise InvalidArgument(f"order={order!r} must be 0, 1, 2, 3 or 4")
        return arb_evaluator(self._arb_series_fn, order)

    # ---- smoothness on an interval, decided rigorously ---------------------
    @functools.cached_property
    def _switch_plan(self) -> tuple[tuple[Fraction, ...], frozenset[Fraction], tuple[tuple[str, Any], ...]]:
        """(sorted rational switch points, those where σ is not C², switches to evaluate in balls).

        A switch ``g(t)`` that is linear with rational coefficients switches at
        one exact rational point r; whether σ is C² at r is decided exactly
        (one-sided limits of σ, σ′, σ″, or the exact coefficients of a
        piecewise polynomial).  Every other switch is kept with a ball
        evaluator of g (or None when g has none): a ball on which g may vanish
        is undecided.
        """
        if self._ppoly is not None:
            return (tuple(self._ppoly.breakpoints), frozenset(self._ppoly.nonsmooth_points), ())
        roots: set[Fraction] = set()
        balls: list[tuple[str, Any]] = []
        for g in self._switch_functions:
            if g.is_number:
                if g.is_zero is False and g.is_extended_real:
                    continue          # a constant condition: no switch
                balls.append((str(g), None))
                continue
            if g.is_polynomial(T) and sp.degree(g, T) == 1:
                a, b = sp.Poly(g, T).all_coeffs()
                if a.is_Rational and b.is_Rational:
                    r = -b / a
                    roots.add(Fraction(int(r.p), int(r.q)))
                    continue
            try:
                fn = arb_compile(g)
            except ActivationError:
                fn = None
            balls.append((str(g), fn))
        bad: set[Fraction] = set()
        for r in roots:
            c = sp.Rational(r.numerator, r.denominator)
            if any(not _continuous_at(self._derivatives[k], c) for k in range(3)):
                bad.add(r)
        return tuple(sorted(roots)), frozenset(bad), tuple(balls)

    def c2_on_ball(self, u: Any, *, check_finite: bool = True) -> tuple[bool | None, str]:
        """Decide rigorously whether σ is C² on the ball ``u`` (a python-flint ``arb``).

        Returns ``(True, "")`` when proved: every switching function of a
        Piecewise/Max/Min/Abs/Heaviside/sign node either keeps its sign on
        ``u`` (ball arithmetic) or switches only at exact rational points where
        σ, σ′, σ″ are continuous (decided exactly), and σ, σ′, σ″ are finite
        balls on ``u`` (no singularity).  ``(False, why)`` when ``u`` contains
        a rational point where σ is not C²; ``(None, why)`` when undecided,
        naming the node.  Nothing declared on the object is consulted.
        ``check_finite=False`` skips the finiteness of σ, σ′, σ″ on ``u`` for
        callers that evaluate them over the same ball anyway and reject a
        non-finite result.

        Examples
        --------
        >>> import flint
        >>> Activation.from_text("Abs(sin(t))").c2_on_ball(flint.arb(3, 0.5))[0] is None
        True
        >>> Activation.from_text("elu").c2_on_ball(flint.arb(0, 1e-3))
        (False, 'σ is not C² at t = 0')
        >>> Activation.from_text("elu").c2_on_ball(flint.arb(1, 1e-3))
        (True, '')
        """
        import bisect
        import math

        import flint

        u = u if isinstance(u, flint.arb) else flint.arb(u)
        if not u.is_finite():
            return None, "the ball is not finite"
        roots, bad, balls = self._switch_plan
        if roots:
            lo = Fraction(math.nextafter(float(u.lower()), -math.inf))
            hi = Fraction(math.nextafter(float(u.upper()), math.inf))
            for r in roots[bisect.bisect_left(roots, lo):bisect.bisect_right(roots, hi)]:
                if r in bad:
                    return False, f"σ is not C² at t = {r}"
        for text, fn in balls:
            if fn is None:
                return None, f"the switch {shorten(text, 60)} of σ has no ball evaluator"
            d = fn(u)
            if not (d.is_finite() and not d.contains(0)):
                return None, (f"the switch {shorten(text, 60)} of σ may change sign on "
                              f"[{float(u.lower()):.17g}, {float(u.upper()):.17g}]")
        if not check_finite:
            return True, ""
        vals = self.arb(2)(u)
        if not all(b.is_finite() for b in vals):
            return None, "σ, σ′ or σ″ is not finite on the ball (a singularity may lie in it)"
        return True, ""

    @functools.cached_property
    def _arb_series_fn(self) -> Callable[[Any], Any]:
        return arb_compile(self._smooth_form)


def _linear_rational(g: sp.Expr) -> bool:
    """Whether g = a·t + b with rational a ≠ 0 and b."""
    if not (g.is_polynomial(T) and sp.degree(g, T) == 1):
        return False
    return all(c.is_Rational for c in sp.Poly(g, T).all_coeffs())


_ENTIRE = (sp.exp, sp.sin, sp.cos, sp.erf, sp.erfc, sp.atan, sp.tanh, sp.sinh, sp.cosh, sp.asinh)


def _analytic_on_reals(e: sp.Expr) -> bool:
    """A structural proof that e is real-analytic on all of R (False: no proof, not a disproof).

    Constants, t, sums and products, non-negative integer powers, positive
    constants to an analytic power, and exp, sin, cos, erf, erfc, atan, tanh,
    sinh, cosh, asinh of analytic arguments.
    """
    if e == T:
        return True
    if e.is_number:
        return bool(e.is_finite and e.is_extended_real)
    if isinstance(e, (sp.Add, sp.Mul)):
        return all(_analytic_on_reals(a) for a in e.args)
    if isinstance(e, sp.Pow):
        base, ex = e.args
        if ex.is_Integer and ex >= 0:
            return _analytic_on_reals(base)
        return bool(base.is_number and base.is_positive and _analytic_on_reals(ex))
    if isinstance(e, _ENTIRE) and len(e.args) == 1:
        return _analytic_on_reals(e.args[0])
    return False


def _interval_test_points(bps: Sequence[sp.Expr]) -> list[sp.Expr]:
    if not bps:
        return [sp.Integer(0)]
    pts = [bps[0] - 1]
    pts += [(a + b) / 2 for a, b in zip(bps, bps[1:])]
    pts.append(bps[-1] + 1)
    return pts


def _limit(e: sp.Expr, c: sp.Expr, direction: str) -> sp.Expr:
    if isinstance(e, sp.Piecewise) or e.has(sp.Piecewise):
        # evaluate the piece that is active just beside c
        eps = sp.Symbol("eps", positive=True)
        shifted = e.subs(T, c + eps if direction == "+" else c - eps)
        return sp.limit(shifted, eps, 0, "+")
    return sp.limit(e, T, c, direction)


def _continuous_at(e: sp.Expr, c: sp.Expr) -> bool:
    try:
        left, right = _limit(e, c, "-"), _limit(e, c, "+")
    except Exception:  # pragma: no cover - sympy internals
        return False
    if not (left.is_finite and right.is_finite):
        return False
    diff = sp.simplify(left - right)
    if diff != 0:
        return False
    value = e.subs(T, c)
    return bool(value.is_finite) and sp.simplify(value - left) == 0


def as_activation(activation: "Activation | str | sp.Expr", *, argument: str = "activation") -> Activation:
    """Accept a registry name, an expression string, a sympy expression or an Activation."""
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        return _from_text_cached(activation, argument)
    if isinstance(activation, sp.Expr):
        extra = activation.free_symbols - {T}
        if extra:
            raise ActivationError(f"{argument}={activation!r} has symbols {sorted(map(str, extra))}; use basins.activations.T")
        problem = real_expression_problem(activation)
        if problem:
            raise ActivationError(f"{argument}: {problem}")
        return Activation(str(activation), activation)
    raise ActivationError(f"{argument}={activation!r} must be a registry name, an expression string or an Activation")


@functools.lru_cache(maxsize=256)
def _from_text_cached(text: str, argument: str) -> Activation:
    return Activation.from_text(text, argument=argument)
