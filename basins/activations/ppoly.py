"""Piecewise polynomials with exact rational coefficients: a fast path for large designed σ.

A designed activation (Theorem 4) is a Piecewise of thousands of polynomial
pieces.  The generic symbolic machinery of :mod:`basins.activations.core`
(``sympy.lambdify``, one ``sympy.limit`` per breakpoint) does not scale to
that, so an expression of the canonical form

    Piecewise((p_0(t), t < b_1), (p_1(t), t < b_2), ..., (p_K(t), True)),
    b_1 < b_2 < ... < b_K rational, every p_k a polynomial with rational coefficients,

is recognised by :func:`from_expr` and handled here: coefficients are kept
exactly (as :class:`fractions.Fraction`, in the local variable t − c_k with
c_k the left end of piece k), evaluation is by ``searchsorted`` and Horner
(numpy float64, or mpmath at the caller's precision with exact centres), and
continuity of σ, σ′, σ″ at every breakpoint is decided exactly by comparing
the one-sided values of neighbouring pieces.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of Basins*, arXiv:1812.11039,
Theorem 4 (activation design).
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from fractions import Fraction
from math import factorial
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

__all__ = ["PiecewisePolynomial", "from_expr", "MIN_PIECES"]

#: Expressions with fewer pieces than this keep the generic symbolic path.
MIN_PIECES = 3

_T = sp.Symbol("t", real=True)


def _frac(q: Any) -> Fraction:
    if isinstance(q, Fraction):
        return q
    if isinstance(q, sp.Rational):
        return Fraction(int(q.p), int(q.q))
    if isinstance(q, int):
        return Fraction(q)
    if isinstance(q, float):
        return Fraction(q)
    raise TypeError(f"{q!r} is not rational")


def _shift(coeffs: Sequence[Fraction], a: Fraction) -> list[Fraction]:
    """Coefficients of p(s + a) from those of p(s) (ascending powers), exactly (Horner/Taylor shift)."""
    c = list(coeffs)
    n = len(c)
    for i in range(n):
        for j in range(n - 2, i - 1, -1):
            c[j] += a * c[j + 1]
    return c


def _horner_exact(coeffs: Sequence[Fraction], s: Fraction, order: int) -> Fraction:
    """p^(order)(s) exactly."""
    d = [factorial(k + order) // factorial(k) * c for k, c in enumerate(coeffs[order:])]
    out = Fraction(0)
    for c in reversed(d):
        out = out * s + c
    return out


@dataclass(frozen=True, eq=False)
class PiecewisePolynomial:
    """Pieces ``coeffs[k]`` (ascending powers of t − centers[k]) on [b_k, b_{k+1}).

    ``breakpoints`` has K entries, ``coeffs`` and ``centers`` K + 1; piece 0
    covers t < b_1 and piece K covers t ≥ b_K.
    """

    breakpoints: tuple[Fraction, ...]
    centers: tuple[Fraction, ...]
    coeffs: tuple[tuple[Fraction, ...], ...]

    @property
    def degree(self) -> int:
        return max(len(c) for c in self.coeffs) - 1

    # ---- exact -----------------------------------------------------------
    def one_sided(self, k: int, order: int) -> tuple[Fraction, Fraction]:
        """(left limit, right value) of σ^(order) at breakpoint k (0-based), exactly."""
        b = self.breakpoints[k]
        left = _horner_exact(self.coeffs[k], b - self.centers[k], order)
        right = _horner_exact(self.coeffs[k + 1], b - self.centers[k + 1], order)
        return left, right

    @functools.cached_property
    def nonsmooth_points(self) -> tuple[Fraction, ...]:
        """Breakpoints where σ, σ′ or σ″ jumps (exact comparison)."""
        out = []
        for k in range(len(self.breakpoints)):
            if any(a != b for a, b in (self.one_sided(k, j) for j in range(3))):
                out.append(self.breakpoints[k])
        return tuple(out)

    def continuous_at_zero(self, order: int) -> bool:
        """Whether σ, ..., σ^(order) are continuous at t = 0."""
        if Fraction(0) not in self.breakpoints:
            return True
        k = self.breakpoints.index(Fraction(0))
        return all(a == b for a, b in (self.one_sided(k, j) for j in range(order + 1)))

    def value(self, t: Fraction | int, order: int = 0) -> Fraction:
        """σ^(order)(t) exactly (right-continuous at breakpoints)."""
        t = Fraction(t)
        k = bisect.bisect_right(self.breakpoints, t)
        return _horner_exact(self.coeffs[k], t - self.centers[k], order)

    def piecewise_linear(self) -> tuple[list[Fraction], list[tuple[Fraction, Fraction]]] | None:
        """(breakpoints, [(slope, intercept)]) when continuous and of degree ≤ 1, else None."""
        if any(any(c != 0 for c in cs[2:]) for cs in self.coeffs):
            return None
        if any(a != b for a, b in (self.one_sided(k, 0) for k in range(len(self.breakpoints)))):
            return None
        pieces = []
        for cs, c in zip(self.coeffs, self.centers):
            c0 = cs[0] if cs else Fraction(0)
            c1 = cs[1] if len(cs) > 1 else Fraction(0)
            pieces.append((c1, c0 - c1 * c))
        bps, keep = [], [pieces[0]]
        for b, p in zip(self.breakpoints, pieces[1:]):
            if p != keep[-1]:
                bps.append(b)
                keep.append(p)
        return bps, keep

    # ---- numerics ----------------------------------------------------------
    @functools.cached_property
    def _float_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Breakpoints, and per piece: the centre nearer to each half of it with its coefficients.

        Each bounded piece is stored twice, expanded (exactly, then rounded)
        about its left and about its right end; evaluation uses the end
        nearer to t, so that values near every breakpoint keep full relative
        accuracy however large the polynomial grows inside the piece.
        """
        deg = self.degree
        K = len(self.coeffs)
        CL = np.zeros((K, deg + 1))
        CR = np.zeros((K, deg + 1))
        right = list(self.centers)
        for k, cs in enumerate(self.coeffs):
            CL[k, : len(cs)] = [float(c) for c in cs]
            if 0 < k < K - 1:
                right[k] = self.breakpoints[k]
                CR[k, : len(cs)] = [float(c) for c in _shift(cs, self.breakpoints[k] - self.centers[k])]
            else:
                CR[k] = CL[k]
        cl = np.array([float(c) for c in self.centers])
        cr = np.array([float(c) for c in right])
        mid = np.where(cr > cl, cl + (cr - cl) / 2, np.inf)
        return np.array([float(b) for b in self.breakpoints]), cl, cr, mid, CL, CR

    @staticmethod
    def _derived(C: np.ndarray, order: int) -> np.ndarray:
        deg = C.shape[1] - 1
        if order > deg:
            return np.zeros((C.shape[0], 1))
        f = np.array([factorial(k + order) / factorial(k) for k in range(deg + 1 - order)])
        return C[:, order:] * f[None, :]

    def numpy(self, order: int = 0) -> Callable[[np.ndarray], np.ndarray]:
        """σ^(order) as a vectorised float64 function (searchsorted + Horner about the nearer end)."""
        bps, cl, cr, mid, CL, CR = self._float_tables
        DL, DR = self._derived(CL, order), self._derived(CR, order)

        def evaluate(u: np.ndarray) -> np.ndarray:
            u = np.asarray(u, dtype=float)
            k = np.searchsorted(bps, u, side="right")
            use_right = u >= mid[k]
            s = np.where(use_right, u - cr[k], u - cl[k])
            out = np.zeros(u.shape)
            for j in range(DL.shape[1] - 1, -1, -1):
                out = out * s + np.where(use_right, DR[k, j], DL[k, j])
            return out

        return evaluate

    def numpy_taylor(self, order: int) -> Callable[[np.ndarray], np.ndarray]:
        """σ^(p)(u)/p!, p = 0..order, stacked on a new first axis."""
        fns = [self.numpy(p) for p in range(order + 1)]
        scale = [1.0 / factorial(p) for p in range(order + 1)]

        def evaluate(u: np.ndarray) -> np.ndarray:
            u = np.asarray(u, dtype=float)
            out = np.empty((order + 1,) + u.shape)
            for p, f in enumerate(fns):
                out[p] = f(u) * scale[p]
            return out

        return evaluate

    def mpmath(self, order: int = 0) -> Callable[[Any], Any]:
        """σ^(order) at the caller's mpmath precision (exact centres and coefficients rounded once)."""
        def evaluate(u: Any) -> Any:
            u = mpmath.mpf(u)
            k = bisect.bisect_right(self.breakpoints, _mpf_to_fraction(u))
            cs = self.coeffs[k]
            s = u - mpmath.mpf(self.centers[k].numerator) / self.centers[k].denominator
            out = mpmath.mpf(0)
            for j in range(len(cs) - 1, order - 1, -1):
                c = cs[j] * (factorial(j) // factorial(j - order))
                out = out * s + mpmath.mpf(c.numerator) / c.denominator
            return out

        return evaluate

    # ---- text --------------------------------------------------------------
    def to_text(self) -> str:
        """A Piecewise expression in t (Horner form in t − c_k) that :func:`from_expr` reads back."""
        parts = []
        for k, (cs, c) in enumerate(zip(self.coeffs, self.centers)):
            s = "t" if c == 0 else f"(t - ({_q(c)}))"
            poly = _q(cs[-1]) if cs else "0"
            for a in reversed(cs[:-1]):
                poly = f"{_q(a)} + {s}*({poly})"
            cond = f"t < {_q(self.breakpoints[k])}" if k < len(self.breakpoints) else "True"
            parts.append(f"({poly}, {cond})")
        return "Piecewise(" + ", ".join(parts) + ")"


def _q(a: Fraction) -> str:
    return str(a.numerator) if a.denominator == 1 else f"{a.numerator}/{a.denominator}"


def _mpf_to_fraction(u: Any) -> Fraction:
    """The exact value of an mpf (mpf.man_exp drops the sign)."""
    u = mpmath.mpf(u)
    if u == 0:
        return Fraction(0)
    man, exp = u.man_exp
    q = Fraction(int(man)) * (Fraction(2) ** int(exp))
    return -q if u < 0 else q


def from_expr(expr: Any, *, min_pieces: int = MIN_PIECES) -> PiecewisePolynomial | None:
    """The piecewise polynomial of ``expr`` when it has the canonical form, else None (cheaply).

    The form: a Piecewise whose conditions are ``t < b`` with rational,
    strictly increasing b, the last ``True``, each piece a polynomial in t
    with rational coefficients, and at least ``min_pieces`` pieces.
    """
    if not isinstance(expr, sp.Piecewise) or len(expr.args) < min_pieces:
        return None
    args = expr.args
    if args[-1][1] is not sp.true:
        return None
    bps: list[Fraction] = []
    for _, cond in args[:-1]:
        if not isinstance(cond, sp.StrictLessThan) or cond.lhs != _T or not isinstance(cond.rhs, sp.Rational):
            return None
        b = _frac(cond.rhs)
        if bps and not b > bps[-1]:
            return None
        bps.append(b)
    coeffs, centers = [], []
    for k, (piece, _) in enumerate(args):
        center = bps[k - 1] if k > 0 else (bps[0] if bps else Fraction(0))
        poly = _as_poly(piece, center)
        if poly is None:
            return None
        while len(poly) > 1 and poly[-1] == 0:
            poly.pop()
        coeffs.append(tuple(poly))
        centers.append(center)
    return PiecewisePolynomial(tuple(bps), tuple(centers), tuple(coeffs))


_MAX_DEGREE = 16


def _as_poly(e: Any, center: Fraction) -> list[Fraction] | None:
    """Coefficients of e as a polynomial in s = t − center (ascending), exactly; None if e is not one.

    A direct walk of the expression tree over Fractions (t ↦ center + s):
    much faster than ``sympy.Poly`` for big rational coefficients, and free
    of the cancellation of expanding in powers of t.
    """
    if e is _T:
        return [center, Fraction(1)]
    if isinstance(e, sp.Rational):
        return [_frac(e)]
    if isinstance(e, sp.Add):
        out: list[Fraction] = [Fraction(0)]
        for a in e.args:
            p = _as_poly(a, center)
            if p is None:
                return None
            if len(p) > len(out):
                out += [Fraction(0)] * (len(p) - len(out))
            for i, c in enumerate(p):
                out[i] += c
        return out
    if isinstance(e, sp.Mul):
        out = [Fraction(1)]
        for a in e.args:
            p = _as_poly(a, center)
            if p is None or len(out) + len(p) - 2 > _MAX_DEGREE:
                return None
            out = _mul(out, p)
        return out
    if isinstance(e, sp.Pow) and isinstance(e.exp, sp.Integer) and 0 <= int(e.exp) <= _MAX_DEGREE:
        base = _as_poly(e.base, center)
        if base is None or (len(base) - 1) * int(e.exp) > _MAX_DEGREE:
            return None
        out = [Fraction(1)]
        for _ in range(int(e.exp)):
            out = _mul(out, base)
        return out
    return None


def _mul(a: list[Fraction], b: list[Fraction]) -> list[Fraction]:
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, p in enumerate(a):
        if p:
            for j, q in enumerate(b):
                out[i + j] += p * q
    return out
