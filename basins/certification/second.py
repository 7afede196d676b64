"""An independent second verifier of certificates (mpmath intervals, exact rationals).

The network is the model of SPEC §11, ŷ_n = Σ_i v_i σ(w_i · x̃_n) (+ c) with x_n ∈ R^d,
x̃_n = (x_n, 1) with a hidden bias, θ = (v_1..v_m, w_1[1..D], …, w_m[1..D][, c]); the paper's model
(d = 1, no biases) is the case D = 1 without c and is computed by the same operations as before.
Its shapes are read here (:func:`_shape`), not from :mod:`basins.model.engine`: every row length, and a
witness in the same parameter space (same m, same D, an output bias iff the point has one).

Smooth σ — a proof by a different method than :mod:`basins.certification.smooth`:

* σ, σ′, σ″, σ‴ come from this verifier's own forward-mode differentiation of
  the sympy expression ``act.expr`` (:mod:`basins.certification.second_ad`:
  Taylor jets in ``mpmath.iv`` intervals); ``act.derivative``, ``sympy.diff``
  and the ball evaluators of :mod:`basins.activations` are not used.
* Derivatives of E written out again in intervals: pre-activations u_in = w_i · x̃_n, Jacobian columns
  σ(u_i), v_i x̃_{:,k} σ′(u_i) and 1 (for c); ∇²E = 2JᵀJ + 2 Σ_n r_n ∇²ŷ_n with (v_i, w_ik) entries
  r·(x̃_{:,k} σ′_i) and (w_i, w_i) blocks v_i Σ_n r_n σ″(u_in) x̃_n x̃_nᵀ; ∂³E from the third derivatives
  of ŷ (all inside one neuron: (v_i, w_ik, w_il) and (w_ik, w_il, w_ip)).
* C² on every pre-activation interval w_i · x̃_n of a box is decided before the box is
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
* Its own radii: D = c ± R, R₀ the power of 2 ≥ max(4|θ − c|∞, (1 + |θ|∞)·2^-48) (2^-(bits − 24) for data
  stored beyond float64, ``y_exact``), then
  R₀·2^6, R₀·2^12, R₀·2^20, all ≤ (1 + |θ|∞)·2^-18.
* Witness: E(witness) < min E over c ± t*, in intervals.

Piecewise-linear σ: :mod:`basins.certification.second_pl` (exact rationals; the paper's model only —
Theorem 7 is a statement about d = 1 without biases, other cases are refused at "inputs").

What it still shares with the first verifier: the input validation
:func:`basins.validate.proof_inputs` (which also re-parses the activation; for the
model of SPEC §11 only its activation checks are used, the data are checked here),
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

import itertools
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, NamedTuple, Sequence

import mpmath
import numpy as np

from basins.certification.second_ad import (NotSmooth, Smoothness, compile_sigma, finite, frac, interval, iv,
                                            iv_dps, sigma_jet)
from basins.certification.second_pl import dyadic_parts, reverify_pl
from basins.errors import InvalidArgument, VerificationFailed
from basins.io.case import Case
from basins.validate import proof_inputs

__all__ = ["Reverification", "reverify", "reverify_or_raise", "Enclosure", "enclose_derivatives"]

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

def _preact(w: Sequence[Any], xt: Sequence[Any]) -> Any:
    """u = w · x̃ in intervals (for D = 1 the single product w x)."""
    acc = w[0] * xt[0]
    for a, b in zip(w[1:], xt[1:]):
        acc = acc + a * b
    return acc


def _key(kinds: Sequence[tuple], idx: Sequence[int]) -> tuple | None:
    """The nonzero derivative of ŷ_n along the parameters ``idx`` (2 or 3 of them), or None when it vanishes.

    All mixed derivatives of order ≥ 2 live inside one neuron i, involve at most one v_i and never c:
    ("vw", i, (k,)) = x̃_k σ′, ("ww", i, (k, l)) = v_i x̃_k x̃_l σ″, ("vww", i, (k, l)) = x̃_k x̃_l σ″,
    ("www", i, (k, l, p)) = v_i x̃_k x̃_l x̃_p σ‴.
    """
    ks = [kinds[a] for a in idx]
    if any(t == "c" for t, _, _ in ks) or len({i for _, i, _ in ks}) != 1:
        return None
    ws = tuple(sorted(k for t, _, k in ks if t == "w"))
    if len(ws) < len(idx) - 1:
        return None
    tag = {(2, 1): "vw", (2, 2): "ww", (3, 2): "vww", (3, 3): "www"}[(len(idx), len(ws))]
    return (tag, ks[0][1], ws)


class _Net:
    """E, ∇E, ∇²E and a bound of ∂³E in intervals, from σ's jets (SPEC §0 and §11 formulas written out again).

    ŷ_n = Σ_i v_i σ(w_i · x̃_n) (+ c), θ = (v_1..v_m, w_1[1..D], …, w_m[1..D][, c]); the paper's model is
    D = 1 without c.  Methods take θ as a list of P = m(1 + D) (+ 1) intervals.
    """

    def __init__(self, node: Any, x: Sequence[Sequence[float]], y: Sequence[float], m: int, D: int, c: bool):
        self.node = node
        self.x = [[interval(mpmath.mpf(float(a))) for a in row] for row in x]     # x̃_n, N rows of D
        # y: floats, or dyadic texts (y_exact) taken exactly or as the interval of their outward roundings
        self.y = [interval(mpmath.mpf(float(a)) if not isinstance(a, str) else _exact_mpf(a)) for a in y]
        self.m, self.D, self.c = m, D, c
        self.P = m * (1 + D) + int(c)
        self.kinds: list[tuple] = ([("v", i, -1) for i in range(m)]
                                   + [("w", i, k) for i in range(m) for k in range(D)] + [("c", -1, -1)] * int(c))

    def split(self, theta: Sequence[Any]) -> tuple[list, list[list], Any]:
        m, D = self.m, self.D
        return (list(theta[:m]), [list(theta[m + i * D:m + (i + 1) * D]) for i in range(m)],
                theta[m + m * D] if self.c else None)

    def preacts(self, theta: Sequence[Any]) -> list[list]:
        """u_in = w_i · x̃_n (intervals), m rows of N."""
        W = self.split(theta)[1]
        return [[_preact(wi, xt) for xt in self.x] for wi in W]

    def parts(self, theta: Sequence[Any], order: int) -> tuple:
        """(z, z1, z2, z3, r, v): z_i = σ(u_i); z1[i][(k,)] = x̃_k σ′, z2[i][(k, l)] = x̃_k x̃_l σ″,
        z3[i][(k, l, p)] = x̃_k x̃_l x̃_p σ‴ (up to ``order``, k ≤ l ≤ p), r = ŷ − y; raises NotSmooth."""
        v, _, c = self.split(theta)
        z: list = []
        zd: list[list[dict]] = [[], [], []]
        for ui in self.preacts(theta):
            jets = [sigma_jet(self.node, u, order) for u in ui]
            z.append([j[0] for j in jets])
            for k in range(1, order + 1):
                zd[k - 1].append({ks: [_mono(math.factorial(k), xt, ks) * j[k] for xt, j in zip(self.x, jets)]
                                  for ks in itertools.combinations_with_replacement(range(self.D), k)})
        r = []
        for j in range(len(self.x)):
            acc = -self.y[j]
            for i in range(self.m):
                acc = acc + v[i] * z[i][j]
            r.append(acc if c is None else acc + c)
        return z, zd[0], zd[1], zd[2], r, v

    def columns(self, parts: tuple) -> list[list]:
        """The Jacobian ∂ŷ/∂θ: z_i, v_i x̃_k σ′(u_i), and the all-ones column of c."""
        z, z1, _, _, r, v = parts
        cols = list(z) + [[v[i] * e for e in z1[i][(k,)]] for i in range(self.m) for k in range(self.D)]
        return cols + [[interval(1)] * len(r)] * int(self.c)

    def loss(self, theta: Sequence[Any]) -> Any:
        r = self.parts(theta, 0)[4]
        return _dot(r, r)

    def gradient(self, theta: Sequence[Any]) -> list:
        z, z1, _, _, r, v = self.parts(theta, 1)
        g = [2 * _dot(z[i], r) for i in range(self.m)]
        g += [2 * v[i] * _dot(z1[i][(k,)], r) for i in range(self.m) for k in range(self.D)]
        if self.c:
            g.append(2 * sum(r[1:], r[0]))
        return g

    def hessian(self, theta: Sequence[Any], parts: tuple | None = None) -> list[list]:
        """2JᵀJ + 2 Σ_n r_n ∇²ŷ_n: (v_i, w_ik) += 2 r·(x̃_k σ′_i), (w_ik, w_il) += 2 v_i r·(x̃_k x̃_l σ″_i)."""
        m, D, P = self.m, self.D, self.P
        parts = parts if parts is not None else self.parts(theta, 2)
        _, z1, z2, _, r, v = parts
        cols = self.columns(parts)
        H: list[list[Any]] = [[None] * P for _ in range(P)]
        for a in range(P):
            for b in range(a, P):
                H[a][b] = H[b][a] = 2 * _dot(cols[a], cols[b])
        for i in range(m):
            for k in range(D):
                wk = m + i * D + k
                c = 2 * _dot(z1[i][(k,)], r)
                H[i][wk] = H[i][wk] + c
                H[wk][i] = H[wk][i] + c
                for ell in range(k, D):
                    wl = m + i * D + ell
                    e = 2 * v[i] * _dot(z2[i][(k, ell)], r)
                    H[wk][wl] = H[wk][wl] + e
                    if wl != wk:
                        H[wl][wk] = H[wl][wk] + e
        return H

    def third_bound(self, parts: tuple) -> Any:
        """L = max_a Σ_b,c sup |∂³E/∂θ_a∂θ_b∂θ_c| over the box of ``parts`` (an mpf upper bound).

        ∂³E = 2 Σ_n (r_abc r + r_ab r_c + r_ac r_b + r_bc r_a), the nonzero r_ab, r_abc as in :func:`_key`.
        """
        m, P, kinds = self.m, self.P, self.kinds
        _, z1, z2, z3, r, v = parts
        r1 = self.columns(parts)
        r2: dict[tuple, list] = {}
        D3: dict[tuple, Any] = {}
        for i in range(m):
            for ks in z1[i]:
                r2[("vw", i, ks)] = z1[i][ks]
            for ks in z2[i]:
                r2[("ww", i, ks)] = [v[i] * e for e in z2[i][ks]]
                D3[("vww", i, ks)] = _dot(z2[i][ks], r)
            for ks in z3[i]:
                D3[("www", i, ks)] = v[i] * _dot(z3[i][ks], r)
        Pd = {(key, c): _dot(vec, r1[c]) for key, vec in r2.items() for c in range(P)}
        K2 = [[_key(kinds, (a, b)) for b in range(P)] for a in range(P)]
        L = mpmath.mpf(0)
        for a in range(P):
            row = mpmath.mpf(0)
            for b in range(P):
                for c in range(P):
                    t = interval(0)
                    key3 = _key(kinds, (a, b, c)) if K2[a][b] is not None else None
                    if key3 is not None:
                        t = t + D3[key3]
                    for (p, q), s in (((a, b), c), ((a, c), b), ((b, c), a)):
                        key2 = K2[p][q]
                        if key2 is not None:
                            t = t + Pd[(key2, s)]
                    row += _up(2 * t)
            L = max(L, row)
        return L


def _mono(f: int, xt: Sequence[Any], ks: Sequence[int]) -> Any:
    """f · x̃_k x̃_l … over the indices ``ks`` (f = k!, the jets carry σ^(k)/k!)."""
    if len(set(ks)) == 1:
        return f * xt[ks[0]] ** len(ks)
    acc = f * xt[ks[0]]
    for k in ks[1:]:
        acc = acc * xt[k]
    return acc


# ------------------------------------------------ positive definiteness --

def _lambda_min_lower(Hc: list[list], HX: list[list], lip: Any) -> tuple[Any, str]:
    """A lower bound of λ_min(∇²E(θ)) for every θ of the box D.

    Hm = the float midpoint of ∇²E(c); Q from its float eigendecomposition.
    λ_min(Hm) ≥ ℓ/(1 + ε): ℓ a Gershgorin bound of QᵀHmQ (intervals), ε ≥ ||QᵀQ − I||∞
    (Ostrowski).  ||∇²E(θ) − Hm||₂ ≤ ||·||∞ ≤ min(radius of HX around Hm, ||∇²E(c) − Hm|| + lip)
    with lip = L·R the Lipschitz bound over D (Weyl).  When float64 does not resolve it (an
    ill-conditioned Hessian: λ_min below float64's rounding of the entries), Hm and Q are taken at the
    working digits instead (mpmath.eigsy).
    """
    low, text = _lambda_min_lower_at(Hc, HX, lip, False)
    if not low > 0:
        low, text = _lambda_min_lower_at(Hc, HX, lip, True)
    return low, text


def _lambda_min_lower_at(Hc: list[list], HX: list[list], lip: Any, digits: bool) -> tuple[Any, str]:
    n = len(Hc)
    if digits:
        with mpmath.workprec(iv.prec - 8):      # midpoints exact in the interval context
            mid = [[+((mpmath.mpf(e.a) + mpmath.mpf(e.b)) / 2) for e in row] for row in Hc]
        _, Qm = mpmath.eigsy(mpmath.matrix(mid))
        with mpmath.workprec(iv.prec - 8):
            Q = [[+Qm[i, k] for k in range(n)] for i in range(n)]
    else:
        mid = [[float(mpmath.mpf(e.mid)) for e in row] for row in Hc]
        Qf = np.linalg.eigh(np.array(mid))[1]
        Q = [[float(Qf[i, k]) for k in range(n)] for i in range(n)]

    def dev(M: list[list]) -> Any:
        return max(sum((_up(e - interval(mpmath.mpf(c))) for e, c in zip(row, mrow)), mpmath.mpf(0))
                   for row, mrow in zip(M, mid))
    rad = min(dev(HX), (interval(dev(Hc)) + interval(lip)).b)
    QI = [[interval(mpmath.mpf(Q[i][k])) for k in range(n)] for i in range(n)]
    HQ = [[_dot([interval(mpmath.mpf(c)) for c in mid[i]], [QI[l][k] for l in range(n)]) for k in range(n)]
          for i in range(n)]
    M = [[_dot([QI[l][i] for l in range(n)], [HQ[l][k] for l in range(n)]) for k in range(n)] for i in range(n)]
    ell = min((M[i][i] - sum((abs(M[i][j]) for j in range(n) if j != i), interval(0))).a for i in range(n))
    eps = max(sum((_up(_dot([QI[l][i] for l in range(n)], [QI[l][k] for l in range(n)]) - (1 if i == k else 0))
                   for k in range(n)), mpmath.mpf(0)) for i in range(n))
    how = " (midpoint and eigenvectors at the working digits)" if digits else ""
    if not eps < 1 or not ell > 0:
        return mpmath.mpf(-1), f"Gershgorin bound of QᵀHmQ {_num(ell, 6)}, ||QᵀQ − I|| ≤ {_num(eps, 3)}{how}"
    low = (interval(ell) / (1 + interval(eps)) - interval(rad)).a
    return low, (f"λ_min(Hm) ≥ {_num(ell, 8)}/(1 + {_num(eps, 3)}) (Gershgorin + Ostrowski), "
                 f"||∇²E(θ) − Hm|| ≤ {_num(rad, 3)} on D (Weyl){how}")


# ------------------------------------------------------- smooth verdict --

def _kantorovich(net: _Net, centre: list, R: Any, parts: tuple) -> tuple[Any, str, list, Any]:
    """(t*, detail, ∇²E(c), L): t* when Newton–Kantorovich proves a zero of ∇E within t* of c, else None."""
    n = net.P
    cI = [interval(c) for c in centre]
    g = net.gradient(cI)
    Hc = net.hessian(cI)
    try:   # A ≈ ∇²E(c)⁻¹ at the working digits (float64's inverse is noise once cond(∇²E) nears 1e16)
        A = mpmath.inverse(mpmath.matrix([[(mpmath.mpf(e.a) + mpmath.mpf(e.b)) / 2 for e in row] for row in Hc]))
    except ZeroDivisionError:
        return None, "singular Hessian at the centre", [], 0
    with mpmath.workprec(iv.prec - 8):       # entries exact in the interval context (A need only be close)
        AI = [[interval(+A[i, j]) for j in range(n)] for i in range(n)]
    delta = max(sum((_up((1 if i == k else 0) - _dot(AI[i], [Hc[l][k] for l in range(n)])) for k in range(n)),
                    mpmath.mpf(0)) for i in range(n))
    if not delta < 1:
        return None, f"||I − A∇²E(c)|| ≤ {_num(delta, 3)} is not < 1", Hc, 0
    normA = max(sum((_up(a) for a in row), mpmath.mpf(0)) for row in AI)
    Ag = max(_up(_dot(AI[i], g)) for i in range(n))
    one_minus = 1 - interval(delta)
    beta = (interval(normA) / one_minus).b
    eta = (interval(Ag) / one_minus).b
    L = net.third_bound(parts)
    h = (interval(beta) * interval(L) * interval(eta)).b
    if not h < mpmath.mpf(1) / 2:
        return None, f"h = βLη ≤ {_num(h, 3)} is not < 1/2", Hc, L
    tstar = (2 * interval(eta) / (1 + iv.sqrt(1 - 2 * interval(h)))).b
    if not tstar < R:
        return None, f"t* ≤ {_num(tstar, 3)} is not < R = {_num(R, 3)}", Hc, L
    return tstar, f"η ≤ {_num(eta, 3)}, β ≤ {_num(beta, 4)}, L ≤ {_num(L, 4)}, h ≤ {_num(h, 3)}", Hc, L


def _not_smooth(smooth: Smoothness, net: _Net, X: list, scalar: bool) -> str:
    """"" when σ is proved C² on every pre-activation interval w_i · x̃_n of the box X, else why not."""
    for i, ui in enumerate(net.preacts(X)):
        for j, u in enumerate(ui):
            ok, why = smooth.decide(u)
            if not ok:
                return f"w_{i + 1} x_{j + 1}: {why}" if scalar else f"w_{i + 1} · x̃_{j + 1}: {why}"
    return ""


@dataclass(frozen=True)
class _Shape:
    """The data of a case in the second verifier's own form: x̃ rows, y, θ of the point and of the witness."""

    x: tuple[tuple[float, ...], ...]
    y: tuple[float, ...]
    m: int
    D: int
    c: bool
    theta: tuple[float, ...]
    witness: tuple[float, ...]
    scalar: bool


def _shape(case: Case) -> tuple[_Shape | None, str]:
    """Read and check the parameter spaces of a case (SPEC §11), independently of the network engine.

    The paper's model (flat x and w, no biases) goes through :func:`basins.validate.proof_inputs`' checks
    unchanged; for the general model every row length, the bias flags and the witness's parameter space
    (same m, same D, an output bias iff the point has one) are checked here.
    """
    wit = case.witness
    assert wit is not None
    bias, c0 = case.bias, case.output_bias
    if not _general(case):
        if wit.c is not None:
            return None, ("the witness has an output bias but the point has none: "
                          "it lies in another parameter space")
        x = tuple((float(a),) for a in case.x)
        theta = tuple(float(a) for a in case.v) + tuple(float(a) for a in case.w)
        wtheta = tuple(float(a) for a in wit.v) + tuple(float(a) for a in wit.w)
        y: tuple = tuple(float(a) for a in case.y) if case.y_exact is None else tuple(case.y_exact)
        return _Shape(x, y, len(case.w), 1, False, theta, wtheta, True), ""
    if not isinstance(bias, bool):
        return None, f"bias={bias!r} must be true or false"
    try:
        rows = [tuple(float(a) for a in r) for r in case.x]
        W = [tuple(float(a) for a in r) for r in case.w]
        Ww = [tuple(float(a) for a in r) for r in wit.w]
        y = tuple(float(a) for a in case.y)
        v, wv = tuple(float(a) for a in case.v), tuple(float(a) for a in wit.v)
        c = None if c0 is None else float(c0)
        wc = None if wit.c is None else float(wit.c)
    except (TypeError, ValueError):
        return None, "x, y, v, w, c or the witness has an entry that is not a number (rows of numbers expected)"
    n, m = len(rows), len(W)
    if n < 1 or m < 1 or len(y) != n or len(v) != m:
        return None, f"N = {n} rows of x, {len(y)} of y; m = {m} rows of w, {len(v)} of v: N, m ≥ 1 must agree"
    d = len(rows[0])
    D = d + int(bias)
    if d < 1 or any(len(r) != d for r in rows):
        return None, f"x must be rows of one length d ≥ 1 (row lengths {sorted({len(r) for r in rows})})"
    if any(len(r) != D for r in W):
        return None, (f"w must be m rows of D = d{' + 1' if bias else ''} = {D} numbers "
                      f"(row lengths {sorted({len(r) for r in W})})")
    if len(Ww) != m or len(wv) != m or any(len(r) != D for r in Ww):
        return None, (f"the witness has {len(wv)} neurons (v) and rows of lengths {sorted({len(r) for r in Ww})} "
                      f"(w), but the point has m = {m} and D = {D}: it lies in another parameter space")
    if (wc is None) != (c is None):
        return None, ("the witness " + ("has no output bias but the point has one" if wc is None else
                                        "has an output bias but the point has none")
                      + ": it lies in another parameter space")
    flat = [*(a for r in rows for a in r), *y, *v, *(a for r in W for a in r), *wv, *(a for r in Ww for a in r),
            *([] if c is None else [c]), *([] if wc is None else [wc])]
    if not all(math.isfinite(a) for a in flat):
        return None, "x, y, v, w, c or the witness has an entry that is not finite"
    theta = v + tuple(a for r in W for a in r) + (() if c is None else (c,))
    wtheta = wv + tuple(a for r in Ww for a in r) + (() if wc is None else (wc,))
    xt = tuple(r + (1.0,) * int(bias) for r in rows)
    return _Shape(xt, y, m, D, c is not None, theta, wtheta, False), ""


def _general(case: Case) -> bool:
    """True unless the case is the paper's model stored flat (scalar x and w, no biases)."""
    nested = any(isinstance(a, (list, tuple, np.ndarray)) for a in (*case.x[:1], *case.w[:1]))
    return bool(nested or case.bias or case.output_bias is not None)


def _exact_mpf(text: str) -> Any:
    """A dyadic text n·2^e ("[-]0x<hex>p<e>", :mod:`basins.io.dyadic`) as an mpf at full precision (exact)."""
    man, exp = dyadic_parts(text)
    with mpmath.workprec(max(53, abs(man).bit_length() + 8)):
        return mpmath.mpf((man, exp))


def _scalar_form(case: Case) -> Case:
    """A d = 1 case without biases stored as rows of one number, written flat (the paper's model)."""
    wit = case.witness
    if (not _general(case) or case.bias or case.output_bias is not None or wit is None or wit.c is not None
            or not all(isinstance(r, (list, tuple)) and len(r) == 1 for r in (*case.x, *case.w, *wit.w))):
        return case
    return replace(case, x=tuple(r[0] for r in case.x), w=tuple(r[0] for r in case.w),
                   witness=replace(wit, w=tuple(r[0] for r in wit.w)))


def _reverify_smooth(case: Case, dps: int) -> Reverification:
    method = (f"mpmath.iv intervals at {dps} digits, own Taylor-jet differentiation of σ: Newton–Kantorovich, "
              "eigenvalue enclosure (Gershgorin/Ostrowski/Weyl), interval losses")
    checks: list[tuple[str, bool, str]] = []
    act, problem = proof_inputs(case)
    shape = None
    if act is not None and _general(case):      # proof_inputs reads flat data only: the rows are checked here
        problem = "the case has no witness of lower loss" if case.witness is None else ""
    if act is not None and not problem:
        shape, problem = _shape(case)
    if problem or act is None or shape is None:
        return Reverification(method, REJECTED, (("inputs", False, problem),))
    theta0 = list(shape.theta)
    with iv_dps(dps), mpmath.workdps(dps):
        try:
            node, switches = compile_sigma(act.expr)
            net = _Net(node, shape.x, shape.y, shape.m, shape.D, shape.c)
            smooth = Smoothness(node, switches)
            # every domain D used below contains θ ± (1 + |θ|∞)·2^-50: σ must be C² there first
            r0 = mpmath.mpf(1.0 + max(abs(a) for a in theta0)) * mpmath.mpf(2) ** -50
            why0 = _not_smooth(smooth, net, [iv.mpf([mpmath.mpf(a) - r0, mpmath.mpf(a) + r0]) for a in theta0],
                               shape.scalar)
            if why0:
                return Reverification(method, REJECTED, (("C2", False, f"next to the stored point: {why0}"),))
            centre = [mpmath.mpf(a) for a in theta0]
            for _ in range(2):          # own centre: Newton steps at the working precision
                cI = [interval(c) for c in centre]
                g0, H0 = net.gradient(cI), net.hessian(cI)
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
        # data beyond float64 (y_exact): the point is a critical point to their precision, and the Hessian may be
        # ill-conditioned to it: radii from 4·offset down to (1 + |θ|∞)·2^-(bits − 24)
        floor = 48 if case.y_exact is None else max(48, case.data_bits - 24)
        base = max(4 * offset, mpmath.mpf(scale) * mpmath.mpf(2) ** -floor)
        for k in RADIUS_STEPS:
            R = mpmath.mpf(2) ** (int(mpmath.ceil(mpmath.log(base, 2))) + k)
            if R <= 4 * offset or R > mpmath.mpf(scale) * mpmath.mpf(2) ** -18:
                continue
            X = [iv.mpf([c - R, c + R]) for c in centre]
            why = _not_smooth(smooth, net, X, shape.scalar)   # C² on the box first: a box not proved C² is never used
            if why:
                first_why = first_why or f"C2: R = {_num(R, 3)}: {why}"
                continue
            try:
                parts = net.parts(X, 3)
                HX = net.hessian(X, parts)
                tstar, detail, Hc, L = _kantorovich(net, centre, R, parts)
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
            EB = net.loss(B)
            Ew = net.loss([interval(mpmath.mpf(a)) for a in shape.witness])
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
        Only the activation, x, y, v, w, bias, output_bias and witness are used (SPEC §11 model).
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
    case = _scalar_form(case)
    act, _ = proof_inputs(case)
    if act is not None and act.piecewise_linear is not None:
        return Reverification(*reverify_pl(case))
    if case.y_exact is not None:      # data beyond float64: intervals at their digits and 40 more
        dps = max(dps, math.ceil(case.data_bits * math.log10(2)) + 40)
    return _reverify_smooth(case, dps)


class Enclosure(NamedTuple):
    """E, ∇E, ∇²E over a box (intervals) and L ≥ max_a Σ_b,c |∂³E/∂θ_a∂θ_b∂θ_c| on it (an mpf)."""

    loss: Any
    gradient: list
    hessian: list[list]
    third: Any


def enclose_derivatives(case: Case, *, dps: int = 40, radius: float = 0.0) -> Enclosure:
    """The second verifier's enclosures over the box θ ± radius around the case's stored point θ.

    θ = (v_1..v_m, w_1[1..D], …, w_m[1..D][, c]) as in SPEC §11 (θ = (v, w) for the paper's model);
    ``third`` is the bound L that Newton–Kantorovich uses (the Lipschitz constant of ∇²E on the box).

    Raises
    ------
    InvalidArgument
        When the case's inputs are refused (the reason of :func:`reverify`'s "inputs" check).
    NotSmooth
        When σ is not proved finite and C³ on a pre-activation interval.
    """
    case = _scalar_form(case)
    act, problem = proof_inputs(case)
    shape = None
    if act is not None and (_general(case) or not problem):
        shape, problem = _shape(case) if case.witness is not None else (None, "the case has no witness")
    if act is None or shape is None:
        raise InvalidArgument(f"case inputs: {problem}")
    with iv_dps(dps), mpmath.workdps(dps):
        node, _ = compile_sigma(act.expr)
        net = _Net(node, shape.x, shape.y, shape.m, shape.D, shape.c)
        rad = mpmath.mpf(radius)
        theta = [iv.mpf([mpmath.mpf(a) - rad, mpmath.mpf(a) + rad]) for a in shape.theta]
        parts = net.parts(theta, 3)
        return Enclosure(net.loss(theta), net.gradient(theta), net.hessian(theta, parts), net.third_bound(parts))


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
