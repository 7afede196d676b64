"""Rigorous certificates for piecewise-linear σ (SPEC §7, last bullet; Theorem 7).

Near a point, E is a polynomial on each of the finitely many pieces that meet
it.  Let S be the neurons i with some pre-activation w_i x_j (x_j ≠ 0) exactly
on a breakpoint of σ.  When S is empty, E is smooth near the point and the
ball certificate of :mod:`basins.certification.smooth` applies (its boxes must avoid the
breakpoints).  Otherwise the neighbourhood is the union of the 2^|S| closed
orthants {s_i δw_i ≥ 0 : i ∈ S}; on each, E equals a polynomial E_s fixed by
the one-sided slopes of σ, and the point is a strict local minimum of E iff it
is one of every E_s on its orthant.  For each orthant, in exact rational
arithmetic (python-flint ``fmpq``):

* first order: ∂E_s/∂θ_k = 0 for every unconstrained coordinate and
  s_i ∂E_s/∂w_i ≥ 0 for the constrained ones;
* second order: dᵀ∇²E_s d > 0 on the critical cone minus 0 — the Hessian
  restricted to the coordinates whose derivative vanishes is positive
  definite (leading principal minors > 0), or positive semidefinite with no
  non-zero null vector inside the orthant's cone (decided exactly through the
  extreme rays of that cone); a sufficient condition.

Sub-optimality is the exact comparison E(witness) < E(point).

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Theorem 7 and its proof, cases (i)–(vi) (arXiv:1812.11039);
Nocedal & Wright, *Numerical Optimization*, Theorem 12.6 (second-order
sufficient conditions with linear constraints).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

import sympy as sp

from basins.validate import proof_inputs
from basins.io.case import Case
from basins.io.dyadic import from_dyadic
from basins.certification.certificate import (CERTIFIED, REJECTED, Certificate, exact_inputs, input_digest,
                                              library_versions)
from basins.certification.smooth import certify_smooth
from basins.errors import NotApplicable
from basins.model import engine

__all__ = ["HYPOTHESES", "certify_pl", "MAX_KINKED"]

KIND = "piecewise linear: exact analysis of the pieces meeting the point (python-flint fmpq)"

#: What the piecewise-linear certificate proves, check by check.
HYPOTHESES: dict[str, str] = {
    "inputs": "x, y have one length N, v, w and the witness's v, w one length m, every input is finite; σ is "
              "continuous and piecewise linear with rational breakpoints, slopes and intercepts",
    "pieces": "on every orthant of the kinked neurons: first-order conditions and a Hessian positive "
              "definite on the coordinates with zero derivative",
    "sub-optimal": "E(witness) < E(point), exactly",
}

#: At most 2^MAX_KINKED orthants are analysed.
MAX_KINKED = 12


class _PL:
    """σ from its breakpoint table, in exact rationals."""

    def __init__(self, table: Any):
        import flint

        q = flint.fmpq
        self.q = q
        self.bps = [_rational(b) for b in table.breakpoints]
        self.pieces = [(_rational(s), _rational(c)) for s, c in table.pieces]

    def _index(self, u: Any, side: int) -> int:
        k = 0
        for b in self.bps:
            if u > b or (u == b and side > 0):
                k += 1
        return k

    def value(self, u: Any) -> Any:
        s, c = self.pieces[self._index(u, 1)]
        return s * u + c

    def slope(self, u: Any, side: int) -> Any:
        return self.pieces[self._index(u, side)][0]

    def on_breakpoint(self, u: Any) -> bool:
        return any(u == b for b in self.bps)


def _rational(e: Any) -> Any:
    import flint

    # exact: a Float is its binary value; nsimplify would round (it turns (10**20 + 1)/10**20 into 1)
    e = sp.Rational(e) if isinstance(e, sp.Float) else sp.simplify(e) if not isinstance(e, sp.Rational) else e
    if not isinstance(e, sp.Rational):
        raise NotApplicable(f"piecewise-linear σ: {e} is not rational; the exact certificate needs rational "
                            "breakpoints, slopes and intercepts", theorem="Theorem 7", hypothesis="inputs")
    return flint.fmpq(int(e.p), int(e.q))


def _q(a: float) -> Any:
    import flint

    n, d = float(a).as_integer_ratio()
    return flint.fmpq(n, d)


def _second_order(rows: list[list[Any]], signs: list[int]) -> tuple[bool, str, Any]:
    """dᵀHd > 0 on the critical cone {d : signs[k]·d_k ≥ 0 where signs[k] ≠ 0}, d ≠ 0.

    Decided by :func:`basins.certification.exact.positive_on_cone` (positive
    definite; semidefinite with no flat direction in the cone; or strict
    copositivity of the Schur complement); "undecided" beyond its cap rejects.
    Returns (ok, why not, smallest leading minor).
    """
    import flint

    from basins.certification.exact import positive_on_cone

    verdict = positive_on_cone([[_fraction(e) for e in r] for r in rows], signs)
    minor = None if verdict.smallest_minor is None else flint.fmpq(verdict.smallest_minor.numerator,
                                                                    verdict.smallest_minor.denominator)
    if verdict.positive is True:
        return True, "", minor
    if verdict.positive is None:
        return False, f"undecided: {verdict.detail}", minor
    return False, f"{verdict.detail}; d = ({', '.join(str(e) for e in verdict.witness or ())})", minor


def certify_pl(case: Case) -> Certificate:
    """Certify a case whose σ is piecewise linear, exactly.

    Parameters
    ----------
    case : Case
        σ continuous and piecewise linear with rational data; only the
        activation, x, y, v, w and the witness are used.

    Returns
    -------
    Certificate
        Kind "piecewise linear" (or the smooth ball certificate when no
        pre-activation sits on a breakpoint); "certified" only when every
        exact check holds.

    Raises
    ------
    NotApplicable
        When σ is not piecewise linear.

    Examples
    --------
    A single shifted-ReLU neuron with its kink at the third sample (Theorem 7, m = 1):

    >>> from basins.io.case import Case, Witness
    >>> from basins.activations import as_activation
    >>> case = Case(as_activation("shifted_relu"), x=(1.5, 1.25, 1.0), y=(0.5, 0.25, -100.0),
    ...             v=(1.0,), w=(1.0,), theorem="Theorem 7", loss=1e4,
    ...             witness=Witness((-13.6,), (2.0,), 8658.0))
    >>> certify_pl(case).status
    'certified'

    References
    ----------
    Li, Ding & Sun, Theorem 7 (piecewise-linear σ, the pattern argument); SPEC §7.
    """
    act, problem = proof_inputs(case)
    table = act.piecewise_linear if act is not None else None
    if act is not None and table is None:
        raise NotApplicable(f"activation={act.name!r} is not piecewise linear; use basins.certification.smooth.certify_smooth",
                            theorem="Theorem 7", hypothesis="σ piecewise linear")
    inputs = exact_inputs(case, act)
    versions = library_versions()
    checks: list[tuple[str, bool, str]] = []
    figures: dict[str, Any] = {}
    if problem:
        checks.append(("inputs", False, problem))
        return Certificate(KIND, REJECTED, tuple(checks), inputs, {"digest": input_digest(inputs)}, versions)
    try:
        pl = _PL(table)
    except NotApplicable as exc:
        checks.append(("inputs", False, str(exc)))
        return Certificate(KIND, REJECTED, tuple(checks), inputs, {"digest": input_digest(inputs)}, versions)
    x = [_q(a) for a in case.x]
    y = [_q(a) for a in case.y] if case.y_exact is None else [from_dyadic(t) for t in case.y_exact]
    v, w = [_q(a) for a in case.v], [_q(a) for a in case.w]
    m, n = len(w), len(x)
    kinked = [i for i in range(m) if any(x[j] != 0 and pl.on_breakpoint(w[i] * x[j]) for j in range(n))]
    if not kinked:
        return certify_smooth(case)
    assert case.witness is not None      # proof_inputs checked it
    if len(kinked) > MAX_KINKED:
        checks.append(("inputs", False, f"{len(kinked)} neurons sit on a breakpoint; at most {MAX_KINKED} "
                                        f"(2^{MAX_KINKED} orthants) are analysed"))
        return Certificate(KIND, REJECTED, tuple(checks), inputs, {"digest": input_digest(inputs)}, versions)
    checks.append(("inputs", True, f"breakpoints {', '.join(map(str, pl.bps))}; neurons on a breakpoint: "
                                   f"{', '.join(str(i + 1) for i in kinked)}"))
    E = _loss(pl, x, y, v, w)
    pieces_ok, failure, smallest_minor, pushed_min = True, "", None, None
    for mask in range(2 ** len(kinked)):
        sgn = {i: (1 if (mask >> k) & 1 else -1) for k, i in enumerate(kinked)}
        ok, detail, minor, pushed = _orthant(pl, x, y, v, w, sgn)
        if minor is not None and (smallest_minor is None or minor < smallest_minor):
            smallest_minor = minor
        if pushed is not None and (pushed_min is None or pushed < pushed_min):
            pushed_min = pushed
        if not ok and pieces_ok:
            pieces_ok = False
            signs = "".join("+" if sgn[i] > 0 else "−" for i in kinked)
            failure = f"orthant {signs} (signs of δw at neurons {', '.join(str(i + 1) for i in kinked)}): {detail}"
    if not pieces_ok:
        near = _near_kinks(pl, x, w)
        if near:
            i, j, b, gap = near[0]
            failure += (f"; note: w_{i + 1} x_{j + 1} misses the breakpoint {b} by {gap:.2g} (float rounding?): "
                        "the float data are not an exact kinked point; data exact in binary avoid this")
    figures["kinked neurons"] = [i + 1 for i in kinked]
    figures["orthants"] = 2 ** len(kinked)
    figures["smallest leading minor"] = str(smallest_minor)
    figures["smallest one-sided slope of E along a constrained w"] = None if pushed_min is None else str(pushed_min)
    checks.append(("pieces", pieces_ok,
                   f"all {2 ** len(kinked)} orthants: first-order conditions hold and dᵀ∇²E d > 0 on each "
                   "critical cone (positive definite, or semidefinite with no flat direction inside the orthant)" if pieces_ok
                   else failure))
    Ew = _loss(pl, x, y, [_q(a) for a in case.witness.v], [_q(a) for a in case.witness.w])
    figures["E"] = str(E)
    figures["E at witness"] = str(Ew)
    figures["E (float)"] = _float(E)
    figures["E at witness (float)"] = _float(Ew)
    checks.append(("sub-optimal", bool(Ew < E), f"E(witness) = {_float(Ew):.12g} < "
                                                f"E = {_float(E):.12g} (exact rationals)"
                   if Ew < E else "E(witness) is not below E"))
    figures = {"digest": input_digest(inputs), **figures}
    ok = all(c[1] for c in checks)
    exact = {"loss": (_fraction(E), _fraction(E)), "witness loss": (_fraction(Ew), _fraction(Ew))}
    return Certificate(KIND, CERTIFIED if ok else REJECTED, tuple(checks), inputs, figures, versions, exact)


def _near_kinks(pl: _PL, x: list, w: list, rel: float = 1e-12) -> list[tuple[int, int, Any, float]]:
    """Pre-activations within ``rel`` (relative) of a breakpoint but not on it."""
    out = []
    for i, wi in enumerate(w):
        for j, xj in enumerate(x):
            u = wi * xj
            for b in pl.bps:
                gap = abs(_float(u - b))
                if 0 < gap <= rel * max(1.0, abs(_float(b))):
                    out.append((i, j, b, gap))
    return out


def _fraction(q: Any) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _float(q: Any) -> float:
    return float(_fraction(q))


def _context(pl: _PL, sgn: dict[int, int] | None = None) -> engine.OneSidedContext:
    """The engine's exact context for σ on the orthant of signs ``sgn`` of δw at the kinked neurons."""
    return engine.OneSidedContext(pl.value, pl.slope, sgn, field="fmpq")


def _loss(pl: _PL, x: Sequence[Any], y: Sequence[Any], v: Sequence[Any], w: Sequence[Any]) -> Any:
    return engine.loss(_context(pl), x, y, v, w)


def _orthant(pl: _PL, x: list, y: list, v: list, w: list, sgn: dict[int, int]
             ) -> tuple[bool, str, Any, Any]:
    m = len(w)
    # E_s on the orthant, from the engine: one-sided slopes of σ (the side is sign(δw_i)·sign(x_j)), σ″ = 0
    ev = engine.derivatives(_context(pl, sgn), x, y, v, w, order=2)
    g, Hfull = ev.gradient, ev.hessian
    keep: list[int] = []
    pushed_min = None
    for k in range(2 * m):
        i = k - m
        if k >= m and i in sgn:
            d = sgn[i] * g[k]
            if d < 0:
                return False, f"E decreases into the orthant along w_{i + 1} (one-sided slope {d})", None, None
            if d == 0:
                keep.append(k)
            elif pushed_min is None or d < pushed_min:
                pushed_min = d
        else:
            if g[k] != 0:
                name = f"v_{k + 1}" if k < m else f"w_{i + 1}"
                return False, f"∂E/∂{name} = {g[k]} ≠ 0", None, None
            keep.append(k)
    rows = [[Hfull[a][b] for b in keep] for a in keep]
    if not rows:
        return True, "", None, pushed_min
    signs = [sgn.get(k - m, 0) if k >= m else 0 for k in keep]
    ok, detail, minor = _second_order(rows, signs)
    if not ok:
        return False, detail, minor, None
    return True, "", minor, pushed_min
