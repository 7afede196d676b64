"""An independent second verifier of certificates (mpmath intervals, exact rationals).

Smooth σ — a proof by a different method than :mod:`basins.certification.smooth`:

* σ, σ′, σ″, σ‴ come from this verifier's own forward-mode differentiation of
  the sympy expression ``act.expr`` (:mod:`basins.certification.second_ad`:
  Taylor jets in ``mpmath.iv`` intervals); ``act.derivative``, ``sympy.diff``
  and the ball evaluators of :mod:`basins.activations` are not used.
* C² on every pre-activation interval of a box is decided before the box is
  used (:class:`~basins.certification.second_ad.Smoothness`: switches in
  intervals, junctions exactly from exact jets).
* Critical point: the Newton–Kantorovich theorem in the ∞-norm around a
  centre c (two Newton steps from the stored point at the working
  precision): with A ≈ ∇²E(c)⁻¹ in float, δ = ||I − A∇²E(c)|| < 1,
  β = ||A||/(1 − δ) ≥ ||∇²E(c)⁻¹||, η = ||A∇E(c)||/(1 − δ) ≥ ||∇²E(c)⁻¹∇E(c)||
  and L = max_a Σ_bc |∂³E/∂θ_a∂θ_b∂θ_c| over the box D = c ± R (a Lipschitz
  constant of ∇²E on D), h = βLη < 1/2 and t* = 2η/(1 + √(1 − 2h)) < R give
  a zero θ* of ∇E with |θ* − c|∞ ≤ t*; all bounds in intervals.
* Positive definiteness on all of D (so θ* is the unique critical point of
  the strictly convex E on D and a strict local minimum): an eigenvalue
  enclosure — Q from a float eigendecomposition of the midpoint matrix Hm of
  ∇²E(c); Gershgorin on QᵀHmQ (intervals) and Ostrowski's theorem with
  ε = ||QᵀQ − I|| bound λ_min(Hm) from below; Weyl's inequality with
  ||∇²E(θ) − Hm|| ≤ min(radius of ∇²E(D), ||∇²E(c) − Hm|| + L·R) bounds λ_min over D.
* Its own radii: D = c ± R, R₀ the power of 2 ≥ max(4|θ − c|∞, (1 + |θ|∞)·2^-48), then
  R₀·2^6, R₀·2^12, R₀·2^20, all ≤ (1 + |θ|∞)·2^-18.
* Witness: E(witness) < min E over c ± t*, in intervals.

Piecewise-linear σ: :mod:`basins.certification.second_pl` (exact rationals).

What it still shares with the first verifier: the input validation
:func:`basins.validate.proof_inputs` (which also re-parses the activation),
the :class:`~basins.io.case.Case` data model and its float data, the sympy
expression ``act.expr`` produced by basins' parser, the breakpoint list of
``act.piecewise_linear`` (piecewise-linear σ only; slopes and values are
recomputed from ``act.expr``), the exact cone decision
:mod:`basins.certification.exact` (piecewise-linear σ only), and the
libraries sympy, mpmath, numpy (float eigendecomposition and inverse, both
re-checked in intervals) and python-flint (inside ``exact``).

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 and Theorem 7 (arXiv:1812.11039);
SPEC §7, last bullet.  Ortega & Rheinboldt, *Iterative Solution of Nonlinear
Equations in Several Variables* (1970), 12.6.2 (Kantorovich); Horn & Johnson,
*Matrix Analysis* (2013), 4.3.1 (Weyl), 4.5.9 (Ostrowski), 6.1.1 (Gershgorin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import mpmath
import numpy as np

from basins.certification.second_ad import (NotSmooth, Smoothness, compile_sigma, finite, frac, interval, iv,
                                            iv_dps, sigma_jet)
from basins.certification.second_pl import reverify_pl
from basins.errors import InvalidArgument, VerificationFailed
from basins.io.case import Case
from basins.validate import proof_inputs

__all__ = ["Reverification", "reverify", "reverify_or_raise"]

CERTIFIED = "certified"
REJECTED = "rejected"
#: Radii of the Kantorovich domain: R₀ = the power of 2 ≥ max(4|θ − c|∞, (1 + |θ|∞)·2^-48), then R₀·2^k;
#: never above (1 + |θ|∞)·2^-18 (the stored point must be close to the proved minimum).
RADIUS_STEPS = (0, 6, 12, 20)


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


def _num(a: Any, digits: int = 12) -> str:
    return mpmath.nstr(mpmath.mpf(a), digits)


def _dot(a: Sequence[Any], b: Sequence[Any]) -> Any:
    acc = interval(0)
    for p, q in zip(a, b):
        acc = acc + p * q
    return acc


def _up(a: Any) -> Any:
    """An upper bound of |a| for an interval a."""
    return max(abs(a.a), abs(a.b))


# ------------------------------------------------------------- network --

class _Net:
    """E, ∇E, ∇²E and a bound of ∂³E in intervals, from σ's jets (SPEC §0 formulas written out again)."""

    def __init__(self, case: Case, node: Any):
        self.node = node
        self.x = [interval(mpmath.mpf(float(a))) for a in case.x]
        self.y = [interval(mpmath.mpf(float(a))) for a in case.y]
        self.m = case.m

    def parts(self, v: Sequence[Any], w: Sequence[Any], order: int) -> tuple[list, list, list, list, list]:
        """z, z′ = xσ′, z″ = x²σ″, z‴ = x³σ‴ (up to ``order``) and r = ŷ − y; raises NotSmooth."""
        z: list = []
        zd: list[list] = [[], [], []]
        for wi in w:
            jets = [sigma_jet(self.node, wi * xj, order) for xj in self.x]
            z.append([j[0] for j in jets])
            for k in range(1, order + 1):
                zd[k - 1].append([math.factorial(k) * xj ** k * j[k] for xj, j in zip(self.x, jets)])
        r = []
        for j in range(len(self.x)):
            acc = -self.y[j]
            for i in range(self.m):
                acc = acc + v[i] * z[i][j]
            r.append(acc)
        return z, zd[0], zd[1], zd[2], r

    def loss(self, v: Sequence[Any], w: Sequence[Any]) -> Any:
        r = self.parts(v, w, 0)[4]
        return _dot(r, r)

    def gradient(self, v: Sequence[Any], w: Sequence[Any]) -> list:
        z, z1, _, _, r = self.parts(v, w, 1)
        return [2 * _dot(z[i], r) for i in range(self.m)] + [2 * v[i] * _dot(z1[i], r) for i in range(self.m)]

    def hessian(self, v: Sequence[Any], w: Sequence[Any], parts: tuple | None = None) -> list[list]:
        m = self.m
        z, z1, z2, _, r = parts if parts is not None else self.parts(v, w, 2)
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

    def third_bound(self, v: Sequence[Any], parts: tuple) -> Any:
        """L = max_a Σ_b,c sup |∂³E/∂θ_a∂θ_b∂θ_c| over the box of ``parts`` (an mpf upper bound).

        ∂³E = 2 Σ_j (r_abc r + r_ab r_c + r_ac r_b + r_bc r_a); r_ab ≠ 0 only for one neuron:
        r_{v_i w_i} = z′_i, r_{w_i w_i} = v_i z″_i, r_{v_i w_i w_i} = z″_i, r_{w_i w_i w_i} = v_i z‴_i.
        """
        m = self.m
        z, z1, z2, z3, r = parts
        r1 = z + [[v[i] * e for e in z1[i]] for i in range(m)]
        r2 = {("vw", i): z1[i] for i in range(m)}
        r2.update({("ww", i): [v[i] * e for e in z2[i]] for i in range(m)})
        P = {(key, c): _dot(vec, r1[c]) for key, vec in r2.items() for c in range(2 * m)}
        D3 = {("vww", i): _dot(z2[i], r) for i in range(m)}
        D3.update({("www", i): v[i] * _dot(z3[i], r) for i in range(m)})

        def pair(a: int, b: int) -> tuple | None:
            if a % m != b % m:
                return None
            n_w = (a >= m) + (b >= m)
            return None if n_w == 0 else (("vw" if n_w == 1 else "ww"), a % m)

        def triple(a: int, b: int, c: int) -> tuple | None:
            if not a % m == b % m == c % m:
                return None
            n_w = (a >= m) + (b >= m) + (c >= m)
            return ("vww", a % m) if n_w == 2 else ("www", a % m) if n_w == 3 else None

        L = mpmath.mpf(0)
        for a in range(2 * m):
            row = mpmath.mpf(0)
            for b in range(2 * m):
                for c in range(2 * m):
                    t = interval(0)
                    key3 = triple(a, b, c)
                    if key3 is not None:
                        t = t + D3[key3]
                    for (p, q), s in (((a, b), c), ((a, c), b), ((b, c), a)):
                        key2 = pair(p, q)
                        if key2 is not None:
                            t = t + P[(key2, s)]
                    row += _up(2 * t)
            L = max(L, row)
        return L


# ------------------------------------------------ positive definiteness --

def _lambda_min_lower(Hc: list[list], HX: list[list], lip: Any) -> tuple[Any, str]:
    """A lower bound of λ_min(∇²E(θ)) for every θ of the box D.

    Hm = the float midpoint of ∇²E(c); Q from its float eigendecomposition.
    λ_min(Hm) ≥ ℓ/(1 + ε): ℓ a Gershgorin bound of QᵀHmQ (intervals), ε ≥ ||QᵀQ − I||∞
    (Ostrowski).  ||∇²E(θ) − Hm||₂ ≤ ||·||∞ ≤ min(radius of HX around Hm, ||∇²E(c) − Hm|| + lip)
    with lip = L·R the Lipschitz bound over D (Weyl).
    """
    n = len(Hc)
    mid = [[float(mpmath.mpf(e.mid)) for e in row] for row in Hc]

    def dev(M: list[list]) -> Any:
        return max(sum((_up(e - interval(mpmath.mpf(c))) for e, c in zip(row, mrow)), mpmath.mpf(0))
                   for row, mrow in zip(M, mid))
    rad = min(dev(HX), (interval(dev(Hc)) + interval(lip)).b)
    _, Q = np.linalg.eigh(np.array(mid))
    QI = [[interval(mpmath.mpf(float(Q[i, k]))) for k in range(n)] for i in range(n)]
    HQ = [[_dot([interval(mpmath.mpf(c)) for c in mid[i]], [QI[l][k] for l in range(n)]) for k in range(n)]
          for i in range(n)]
    M = [[_dot([QI[l][i] for l in range(n)], [HQ[l][k] for l in range(n)]) for k in range(n)] for i in range(n)]
    ell = min((M[i][i] - sum((abs(M[i][j]) for j in range(n) if j != i), interval(0))).a for i in range(n))
    eps = max(sum((_up(_dot([QI[l][i] for l in range(n)], [QI[l][k] for l in range(n)]) - (1 if i == k else 0))
                   for k in range(n)), mpmath.mpf(0)) for i in range(n))
    if not eps < 1 or not ell > 0:
        return mpmath.mpf(-1), f"Gershgorin bound of QᵀHmQ {_num(ell, 6)}, ||QᵀQ − I|| ≤ {_num(eps, 3)}"
    low = (interval(ell) / (1 + interval(eps)) - interval(rad)).a
    return low, (f"λ_min(Hm) ≥ {_num(ell, 8)}/(1 + {_num(eps, 3)}) (Gershgorin + Ostrowski), "
                 f"||∇²E(θ) − Hm|| ≤ {_num(rad, 3)} on D (Weyl)")


# ------------------------------------------------------- smooth verdict --

def _kantorovich(net: _Net, centre: list, R: Any, parts: tuple, v: list) -> tuple[Any, str, list, Any]:
    """(t*, detail, ∇²E(c), L): t* when Newton–Kantorovich proves a zero of ∇E within t* of c, else None."""
    n = 2 * net.m
    cI = [interval(c) for c in centre]
    g = net.gradient(cI[:net.m], cI[net.m:])
    Hc = net.hessian(cI[:net.m], cI[net.m:])
    try:
        A = np.linalg.inv(np.array([[float(mpmath.mpf(e.mid)) for e in row] for row in Hc]))
    except np.linalg.LinAlgError:
        return None, "singular Hessian at the centre", [], 0
    AI = [[interval(mpmath.mpf(float(A[i, j]))) for j in range(n)] for i in range(n)]
    delta = max(sum((_up((1 if i == k else 0) - _dot(AI[i], [Hc[l][k] for l in range(n)])) for k in range(n)),
                    mpmath.mpf(0)) for i in range(n))
    if not delta < 1:
        return None, f"||I − A∇²E(c)|| ≤ {_num(delta, 3)} is not < 1", Hc, 0
    normA = max(sum((_up(a) for a in row), mpmath.mpf(0)) for row in AI)
    Ag = max(_up(_dot(AI[i], g)) for i in range(n))
    one_minus = 1 - interval(delta)
    beta = (interval(normA) / one_minus).b
    eta = (interval(Ag) / one_minus).b
    L = net.third_bound(v, parts)
    h = (interval(beta) * interval(L) * interval(eta)).b
    if not h < mpmath.mpf(1) / 2:
        return None, f"h = βLη ≤ {_num(h, 3)} is not < 1/2", Hc, L
    tstar = (2 * interval(eta) / (1 + iv.sqrt(1 - 2 * interval(h)))).b
    if not tstar < R:
        return None, f"t* ≤ {_num(tstar, 3)} is not < R = {_num(R, 3)}", Hc, L
    return tstar, f"η ≤ {_num(eta, 3)}, β ≤ {_num(beta, 4)}, L ≤ {_num(L, 4)}, h ≤ {_num(h, 3)}", Hc, L


def _not_smooth(smooth: Smoothness, X: list, x: Sequence[float], m: int) -> str:
    for i in range(m):
        for j, xj in enumerate(x):
            ok, why = smooth.decide(X[m + i] * interval(mpmath.mpf(float(xj))))
            if not ok:
                return f"w_{i + 1} x_{j + 1}: {why}"
    return ""


def _reverify_smooth(case: Case, dps: int) -> Reverification:
    method = (f"mpmath.iv intervals at {dps} digits, own Taylor-jet differentiation of σ: Newton–Kantorovich, "
              "eigenvalue enclosure (Gershgorin/Ostrowski/Weyl), interval losses")
    checks: list[tuple[str, bool, str]] = []
    m = case.m
    act, problem = proof_inputs(case)
    if problem or act is None:
        return Reverification(method, REJECTED, (("inputs", False, problem),))
    assert case.witness is not None
    theta0 = [float(a) for a in case.v] + [float(a) for a in case.w]
    with iv_dps(dps), mpmath.workdps(dps):
        try:
            node, switches = compile_sigma(act.expr)
            net = _Net(case, node)
            smooth = Smoothness(node, switches)
            # every domain D used below contains θ ± (1 + |θ|∞)·2^-50: σ must be C² there first
            r0 = mpmath.mpf(1.0 + max(abs(a) for a in theta0)) * mpmath.mpf(2) ** -50
            why0 = _not_smooth(smooth, [iv.mpf([mpmath.mpf(a) - r0, mpmath.mpf(a) + r0]) for a in theta0], case.x, m)
            if why0:
                return Reverification(method, REJECTED, (("C2", False, f"next to the stored point: {why0}"),))
            centre = [mpmath.mpf(a) for a in theta0]
            for _ in range(2):          # own centre: Newton steps at the working precision
                cI = [interval(c) for c in centre]
                g0, H0 = net.gradient(cI[:m], cI[m:]), net.hessian(cI[:m], cI[m:])
                if not all(finite(e) for e in g0) or not all(finite(e) for row in H0 for e in row):
                    raise NotSmooth("σ is not finite at the point")
                step = mpmath.lu_solve(mpmath.matrix([[e.mid for e in row] for row in H0]),
                                       mpmath.matrix([e.mid for e in g0]))
                centre = [c - step[i] for i, c in enumerate(centre)]
        except InvalidArgument as exc:
            return Reverification(method, REJECTED, (("inputs", False, str(exc)),))
        except NotSmooth as exc:
            return Reverification(method, REJECTED, (("inputs", False, f"σ at the point: {exc}"),))
        except ZeroDivisionError:
            return Reverification(method, REJECTED, (("newton-kantorovich", False, "singular Hessian"),))
        offset = max(abs(mpmath.mpf(a) - c) for a, c in zip(theta0, centre))
        scale = 1.0 + max(abs(a) for a in theta0)
        proved = None
        first_why = ""
        base = max(4 * offset, mpmath.mpf(scale) * mpmath.mpf(2) ** -48)
        for k in RADIUS_STEPS:
            R = mpmath.mpf(2) ** (int(mpmath.ceil(mpmath.log(base, 2))) + k)
            if R <= 4 * offset or R > mpmath.mpf(scale) * mpmath.mpf(2) ** -18:
                continue
            X = [iv.mpf([c - R, c + R]) for c in centre]
            why = _not_smooth(smooth, X, case.x, m)   # C² on the box first: a box not proved C² is never used
            if why:
                first_why = first_why or f"C2: R = {_num(R, 3)}: {why}"
                continue
            try:
                parts = net.parts(X[:m], X[m:], 3)
                HX = net.hessian(X[:m], X[m:], parts)
                tstar, detail, Hc, L = _kantorovich(net, centre, R, parts, X[:m])
            except NotSmooth as exc:
                first_why = first_why or f"R = {_num(R, 3)}: {exc}"
                continue
            if tstar is None:
                first_why = first_why or f"newton-kantorovich: R = {_num(R, 3)}: {detail}"
                continue
            proved = (R, X, HX, tstar, detail, Hc, L)
            break
        if proved is None:
            name = "C2" if first_why.startswith("C2") else "newton-kantorovich"
            checks.append((name, False, first_why or f"no radius tried: the stored point is {_num(offset, 3)} from the "
                                                  "Newton centre"))
            return Reverification(method, REJECTED, tuple(checks))
        R, X, HX, tstar, detail, Hc, L = proved
        checks.append(("C2", True, "σ is C² on every pre-activation interval of D (switches in intervals, "
                                   "junctions exactly, own jets finite)"))
        checks.append(("newton-kantorovich", True, f"a zero θ* of ∇E with |θ* − c|∞ ≤ {_num(tstar, 3)} inside "
                                                   f"D = c ± {_num(R, 3)}; {detail}"))
        inside = all(abs(Fraction(a) - frac(c)) < frac(R) for a, c in zip(theta0, centre))
        checks.append(("point", inside, f"|θ − c|∞ = {_num(offset, 3)} < R = {_num(R, 3)}"))
        low, why = _lambda_min_lower(Hc, HX, (interval(L) * interval(R)).b)
        pd = bool(low > 0)
        checks.append(("positive definite", pd, f"λ_min(∇²E) ≥ {_num(low, 8)} > 0 on D: {why}" if pd
                       else f"no positive lower bound of λ_min(∇²E) on D ({why})"))
        B = [iv.mpf([c - tstar, c + tstar]) for c in centre]
        try:
            EB = net.loss(B[:m], B[m:])
            Ew = net.loss([interval(mpmath.mpf(float(a))) for a in case.witness.v],
                          [interval(mpmath.mpf(float(a))) for a in case.witness.w])
            sub = bool(Ew.b < EB.a)
        except NotSmooth:
            sub, Ew, EB = False, interval(0), interval(0)
        checks.append(("sub-optimal", sub, f"E(witness) ≤ {_num(Ew.b)} < {_num(EB.a)} ≤ E(θ*)"
                       if sub else "E(witness) is not provably below E(θ*)"))
    ok = all(c[1] for c in checks)
    return Reverification(method, CERTIFIED if ok else REJECTED, tuple(checks))


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
        return Reverification(*reverify_pl(case))
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
