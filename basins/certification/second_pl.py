"""The second verifier's exact analysis of piecewise-linear σ (Theorem 7 points).

Exact rational arithmetic (:class:`fractions.Fraction`): σ and its one-sided
slopes come from sympy's exact values of ``act.expr`` (not from the
breakpoint table, whose breakpoints only are read); on every orthant of the
kinked neurons the first-order conditions are checked and dᵀHd > 0 on the
critical cone is decided by :func:`basins.certification.exact.positive_on_cone`
(the same exact module as the first verifier's piecewise-linear path; an
"undecided" outcome rejects).

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of Basins*, arXiv:1812.11039,
Theorem 7; SPEC §7.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any, Callable

import sympy as sp

from basins.certification.exact import positive_on_cone
from basins.errors import InvalidArgument
from basins.io.case import Case
from basins.validate import proof_inputs

__all__ = ["reverify_pl", "dyadic_parts"]

CERTIFIED = "certified"
REJECTED = "rejected"


def _sigma_exact(act: Any) -> Callable[[Fraction], Fraction]:
    expr = act.expr

    @functools.lru_cache(maxsize=None)
    def s(u: Fraction) -> Fraction:
        # exact (nsimplify would round a rational with a large denominator to a simpler one)
        val = expr.subs({sym: sp.Rational(u.numerator, u.denominator) for sym in expr.free_symbols})
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


def _beyond_theorem7(case: Case) -> str:
    """Why the case is outside Theorem 7's statement (d = 1, no biases; SPEC §11), or ""."""
    rows = [r for r in (*case.x, *case.w) if isinstance(r, (list, tuple))]
    d = max((len(r) for r in case.x if isinstance(r, (list, tuple))), default=1)
    if rows or case.bias or case.output_bias is not None:
        if all(len(r) == 1 for r in rows) and not case.bias and case.output_bias is None:
            return "x and w are rows of one number: pass them flat (d = 1 without biases)"
        return ("hypothesis 'd = 1 without biases' fails: Theorem 7 is a statement about d = 1 without biases "
                f"(here d = {d}, hidden bias {'yes' if case.bias else 'no'}, "
                f"output bias {'no' if case.output_bias is None else 'yes'}); no piecewise-linear analysis of "
                "this model is implemented")
    if case.witness is not None and case.witness.c is not None:
        return "the witness has an output bias but the point has none: it lies in another parameter space"
    return ""


def reverify_pl(case: Case) -> tuple[str, str, tuple[tuple[str, bool, str], ...]]:
    """Exact rational piece analysis, with slopes from σ's values (not from a table): (method, status, checks)."""
    method = ("exact rationals (fractions): one-sided pieces from sympy's exact values of σ, "
              "basins.certification.exact.positive_on_cone on each orthant")
    checks: list[tuple[str, bool, str]] = []
    beyond = _beyond_theorem7(case)
    if beyond:
        return method, REJECTED, (("inputs", False, beyond),)
    act, problem = proof_inputs(case)
    if problem:
        return method, REJECTED, (("inputs", False, problem),)
    assert case.witness is not None
    pl = act.piecewise_linear
    if pl is None:
        return method, REJECTED, (("inputs", False, "σ is not piecewise linear"),)
    sigma = _sigma_exact(act)
    try:
        bps = sorted(_exact_fraction(b) for b in pl.breakpoints)
    except (TypeError, ValueError):
        return method, REJECTED, (("inputs", False, "irrational breakpoints"),)
    x = [Fraction(float(a)) for a in case.x]
    y = ([Fraction(float(a)) for a in case.y] if case.y_exact is None
         else [_dyadic(t) for t in case.y_exact])       # labels stored beyond float64, exactly
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
        return method, REJECTED, (("pieces", False, f"{len(kinked)} kinked neurons: 2^{len(kinked)} pieces"),)
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
        verdict = positive_on_cone([[H[s][t] for t in keep] for s in keep], signs)
        if verdict.positive is not True:
            state = "undecided" if verdict.positive is None else "fails"
            all_ok, worst = False, f"orthant {mask}: dᵀHd > 0 {state} on the critical cone ({verdict.detail})"
    checks.append(("pieces", all_ok, f"all {2 ** len(kinked)} orthants of the {len(kinked)} kinked neurons: "
                                     "first-order conditions and dᵀHd > 0 on the critical cone"
                   if all_ok else worst))
    checks.append(("sub-optimal", Ew < E, f"E(witness) = {float(Ew):.12g} < E = {float(E):.12g} (exact)"))
    ok = all(c[1] for c in checks)
    return method, CERTIFIED if ok else REJECTED, tuple(checks)


def dyadic_parts(text: str) -> tuple[int, int]:
    """(n, e) of a dyadic text n·2^e ("[-]0x<hex>p<e>"), read here for the second verifier, independently of
    :mod:`basins.io.dyadic` (the case reader has checked the texts)."""
    sign, rest = (-1, text[1:]) if text.startswith("-") else (1, text)
    digits, exp = rest[2:].split("p")
    return sign * int(digits, 16), int(exp)


def _dyadic(text: str) -> Fraction:
    """A dyadic text as an exact rational."""
    man, exp = dyadic_parts(text)
    return Fraction(man) * Fraction(2) ** exp
