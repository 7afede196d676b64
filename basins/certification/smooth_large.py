"""The smooth certificate for large cases, in verified float64 linear algebra (issue 17).

The same proof as :mod:`basins.certification.smooth` (Krawczyk box, positive
definite Hessian over it, sub-optimality, the guarantees of SPEC §12), for the
scalar model ŷ = Σ v_i σ(w_i x) with an analytic σ, in midpoint-radius float64
arithmetic whose every rounding is bounded (:mod:`basins.certification.rigorous`):

* features: σ^(k)(c_i x_n), k = 0..3, at the centre c of the box, enclosed cell
  by cell (Taylor polynomials with ball coefficients and remainders); over a box
  of radius R they move by at most R|x_n|·sup|σ^(k+1)| (per-neuron suprema over the
  hull of the pre-activations, in balls), by the mean value theorem;
* residual r = ŷ − y and the dot products Σ_n r_n z_k,in (k = 0, 1 correctly rounded
  with exact products and ``math.fsum``: the gradient; k = 2, 3 by BLAS with γ_N bounds);
* the Hessian over the box: midpoint 2AAᵀ + 2[[0, diag p], [diag p, diag q]] at c
  (BLAS), radius 2(γ_N aaᵀ + adᵀ + daᵀ + ddᵀ) (a, d: Cauchy–Schwarz bounds from the
  2-norms of the rows of |A| and of the bound D on |A(θ) − A|) plus the centred
  forms of p_i = r·z′_i and s_i = r·z″_i over the box: p_i(θ) − p_i(c) is bounded by
  R|r·z″_i| + ½R²·Σ|r||x|³ sup|σ‴| + Σ_n |r_n(θ) − r_n(c)||z′_in(θ)| (similarly s_i with
  z‴ and σ⁗), and |r_n(θ) − r_n(c)| ≤ R Σ_k |J_nk| over the box;
* Krawczyk: C = float inverse of the midpoint; K = c − Cg + (I − C·H(X))(X − c) with
  every product's rounding bounded; positive definiteness: a float Cholesky of
  M − sI with Rump's bound on its rounding error gives λ_min(M) ≥ ℓ, and Weyl gives
  λ_min(H) ≥ ℓ − ||H − M||₂ for every H in the box.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from basins.certification.rigorous import (BASIN_FACTOR, widen_radius, ETA, float_out, SigmaCells, accurate_dots, analytic_expression, column_norms_upper,
                                           gamma, lambda_min_lower, matmul_error, nonneg_matmul_upper,
                                           nonneg_sum_lower, nonneg_sum_upper, rounding, two_prod, up)

__all__ = ["LARGE_METHOD", "CentreBalls", "FloatBallNet", "float_engine", "large_applies", "large_engine",
           "loss_bounds"]

LARGE_METHOD = ("float64 midpoint-radius linear algebra with rigorous rounding bounds (BLAS products with "
                "γ_n bounds, correctly rounded gradient dots, Rump-verified Cholesky, Weyl), σ enclosed "
                "cell by cell from python-flint Taylor balls")


def large_applies(case: Any, act: Any) -> str:
    """"" when the float path can certify this case, else why not."""
    if not case.model.scalar:
        return "the float path is for the paper's model (scalar inputs, no biases)"
    if getattr(case, "y_exact", None) is not None:
        return "the labels are stored beyond float64 (y_exact): the float path reads float64 data"
    if act.piecewise_linear is not None or not analytic_expression(act.expr):
        return "σ has piecewise nodes: the float path needs an analytic σ"
    return ""


def _fr(a: float) -> Fraction:
    return Fraction(float(a))


class FloatBallNet:
    """The scalar network's quantities over boxes around a float centre, as float midpoints and radii."""

    def __init__(self, act: Any, x: np.ndarray, y: np.ndarray, prec: int):
        self.act = act
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.absx = np.abs(self.x)
        self.xmax = float(np.max(self.absx, initial=0.0))
        self.cells = SigmaCells(act.expr, prec=prec)
        self.powers = [np.ones_like(self.x)]
        for _ in range(4):
            self.powers.append(up(self.powers[-1] * self.absx))    # ≥ |x|^k

    def features(self, w: np.ndarray, kmax: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """z_k = x^k σ^(k)(w_i x) (k = 0..kmax) at the point w, as (mid, rad), each m × N."""
        X = np.broadcast_to(self.x, (w.size, self.x.size))
        uh, ul = two_prod(np.broadcast_to(w[:, None], X.shape), X)
        s = self.cells.evaluate(uh, ul + 0.0, np.full(uh.shape, 2.0 ** -1000), kmax)
        if s is None:
            return None
        out = []
        for k, (m_, r_) in enumerate(s):
            for _ in range(k):
                m2 = self.x * m_
                r_ = up(up(self.absx * r_) + rounding(m2))
                m_ = m2
            out.append((m_, r_))
        return out

    def output(self, v: np.ndarray, Z0: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """ŷ = Σ_i v_i z_i as (mid, rad)."""
        zm, zr = Z0
        yhat = v @ zm
        return yhat, up(matmul_error(v[None, :], zm)[0] + nonneg_matmul_upper(np.abs(v)[None, :], zr)[0])

    def residual(self, v: np.ndarray, Z0: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        zm, zr = Z0
        yhat = v @ zm
        err = up(matmul_error(v[None, :], zm)[0] + nonneg_matmul_upper(np.abs(v)[None, :], zr)[0])
        rm = yhat - self.y
        return rm, up(err + rounding(rm))

    def hull_bounds(self, w: np.ndarray, R: float, kmax: int = 4) -> np.ndarray | None:
        """Per neuron i, floats ≥ sup|σ^(k)| over the hull of w_i x_n ± R|x_n| (k = 0..kmax), m × (kmax+1).

        Computed for R rounded up to a power of 16 and cached (a larger hull bounds a smaller one)."""
        R_key = 16.0 ** math.ceil(math.log(R, 16)) if R > 0 else 0.0
        if R_key < R:
            R_key *= 16
        key = (w.tobytes(), R_key, kmax)
        cache = self.__dict__.setdefault("_hull_cache", {})
        if key not in cache:
            cache[key] = self._hull_bounds(w, R_key, kmax)
        return cache[key]

    def _hull_bounds(self, w: np.ndarray, R: float, kmax: int) -> np.ndarray | None:
        lo = np.minimum(w * float(np.min(self.x)), w * float(np.max(self.x)))
        hi = np.maximum(w * float(np.min(self.x)), w * float(np.max(self.x)))
        spread = float(up(R * self.xmax))
        lo = np.nextafter(np.nextafter(lo, -np.inf) - spread, -np.inf)
        hi = up(up(hi) + spread)
        out = np.zeros((w.size, kmax + 1))
        for i in range(w.size):
            b = self.cells.sup_bounds(float(lo[i]), float(hi[i]), kmax)
            if b is None:
                return None
            out[i] = b
        return out


def loss_bounds(rm: np.ndarray, rad: np.ndarray) -> tuple[Fraction, Fraction]:
    """Exact rational bounds on Σ r_n² for r_n ∈ [rm ± rad]."""
    a = np.abs(rm)
    hi = up(a + rad)
    lo = np.maximum(np.nextafter(a - rad, -np.inf), 0.0)
    upper = nonneg_sum_upper(up(hi * hi))
    lower = nonneg_sum_lower(np.maximum(np.nextafter(lo * lo, -np.inf), 0.0))
    return Fraction(float(lower)), Fraction(float(upper))


def _ball_text(lo: Fraction, hi: Fraction) -> str:
    mid = (lo + hi) / 2
    return f"[{float(mid):.17g} +/- {float(hi - mid):.3g}]"


class CentreBalls:
    """Everything at the centre c that the boxes around it reuse."""

    def __init__(self, net: FloatBallNet, cv: np.ndarray, cw: np.ndarray):
        self.net, self.cv, self.cw = net, cv, cw
        m = cv.size
        self.m = m
        Z = net.features(cw, 3)
        if Z is None:
            raise ArithmeticError("σ's Taylor series is not finite on some cell of pre-activations")
        self.Z = Z
        rm, rr = net.residual(cv, Z[0])
        self.rm, self.rr = rm, rr
        absr = up(np.abs(rm) + rr)
        self.absr = absr
        self.d = []
        for k in range(4):
            zm, zr = Z[k]
            if k <= 1:
                val, err = accurate_dots(zm, rm)
            else:
                val, err = zm @ rm, matmul_error(zm, rm)
            err = up(err + up(nonneg_matmul_upper(np.abs(zm), rr) + nonneg_matmul_upper(zr, absr)))
            self.d.append((val, err))
        # gradient 2Jᵀr = (2 r·z_i, 2 v_i r·z′_i)
        gw = 2 * cv * self.d[1][0]
        self.g_mid = np.concatenate([2 * self.d[0][0], gw])
        self.g_rad = np.concatenate([2 * self.d[0][1], up(up(2 * np.abs(cv) * self.d[1][1]) + rounding(gw))])
        # A: the rows of Jᵀ, (z_i) then (v_i z′_i)
        aw = cv[:, None] * Z[1][0]
        self.A_mid = np.vstack([Z[0][0], aw])
        self.A_rad = np.vstack([Z[0][1], up(up(np.abs(cv)[:, None] * Z[1][1]) + rounding(aw))])
        self.absA = np.abs(self.A_mid)
        self.a = column_norms_upper(self.absA)
        G = self.A_mid @ self.A_mid.T
        G = np.triu(G) + np.triu(G, 1).T
        H = 2 * G
        n = 2 * m
        idx = np.arange(m)
        p = 2 * self.d[1][0]
        H[idx, m + idx] += p
        H[m + idx, idx] += p
        q = 2 * cv * self.d[2][0]
        H[m + idx, m + idx] += q
        # rounding of the additions (and of q); the (i, m+i) entries are equal by symmetry
        self.p_round = up(rounding(H[idx, m + idx]) + ETA)
        self.q_round = up(rounding(H[m + idx, m + idx]) + rounding(q))
        self.H = H
        self.n = n
        self.gN = gamma(net.x.size)

    def _precompute(self) -> None:
        """The R-independent parts of the radius over a box c ± R (all nonnegative upper bounds)."""
        net, m = self.net, self.m
        ax, x2, x3, x4 = net.powers[1], net.powers[2], net.powers[3], net.powers[4]
        base = np.vstack([self.Z[0][1], self.A_rad[m:]])
        self.nb = column_norms_upper(base)
        self.nax = float(column_norms_upper(ax[None, :])[0])
        self.nx2 = float(column_norms_upper(x2[None, :])[0])
        self.colA = nonneg_sum_upper(up(self.absA + base), axis=0)
        cols = np.stack([self.colA, ax, x2, self.rr], axis=1)                  # N × 4
        z1b = up(np.abs(self.Z[1][0]) + self.Z[1][1])
        z2b = up(np.abs(self.Z[2][0]) + self.Z[2][1])
        self.P1 = nonneg_matmul_upper(z1b, cols)                                # m × 4
        self.P2 = nonneg_matmul_upper(z2b, cols)
        self.X2 = nonneg_matmul_upper(x2[None, :], cols)[0]                    # 4
        self.X3 = nonneg_matmul_upper(x3[None, :], cols)[0]
        self.x3r = float(nonneg_sum_upper(up(x3 * self.absr)))
        self.x4r = float(nonneg_sum_upper(up(x4 * self.absr)))

    @staticmethod
    def _lin(P: np.ndarray, R: float, s1: float, s2: float) -> Any:
        """P·(R·colA + R²(s1·|x| + s2·x²) + rr) from the precomputed products P (columns colA, |x|, x², rr)."""
        quad = up(up(s1 * P[..., 1]) + up(s2 * P[..., 2]))
        return up(up(up(R * P[..., 0]) + up(up(R * R) * quad)) + P[..., 3])

    def colsum(self, R: float, S: np.ndarray) -> np.ndarray:
        """Per sample n, a float ≥ Σ_k |J_nk(θ)| over the box c ± R (S from hull_bounds)."""
        s1, s2 = self._sigmas(S)
        ax, x2 = self.net.powers[1], self.net.powers[2]
        return up(self.colA + up(R * up(up(s1 * ax) + up(s2 * x2))))

    def _sigmas(self, S: np.ndarray) -> tuple[float, float]:
        # Σ over the 2m rows of D of the coefficients of R|x| and R x²
        s1 = float(up(2 * nonneg_sum_upper(S[:, 1])))
        s2 = float(nonneg_sum_upper(up(np.abs(self.cv) * S[:, 2])))
        return s1, s2

    def radius(self, R: float, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(a, d, pr, qr): over the ∞-box c ± R, |H(θ) − H_mid| ≤ 2(γ aaᵀ + adᵀ + daᵀ + ddᵀ) entrywise plus
        pr at (i, m+i), (m+i, i) and qr at (m+i, m+i).  S: per-neuron sup bounds (hull_bounds).

        D (2m × N) bounds |A(θ) − A_mid|: the feature radii at c plus R|x|S1_i (rows z_i) and
        R|x|S1_i + |c_v,i| R x² S2_i (rows v_i z′_i); d are its row norms (triangle inequality),
        |r_n(θ) − r_n(c)| ≤ R Σ_k |J_nk| + radius of r(c) =: δr_n."""
        if not hasattr(self, "P1"):
            self._precompute()
        Rf = float(R)
        S1, S2, S3, S4 = (S[:, k] for k in (1, 2, 3, 4))
        absv = np.abs(self.cv)
        grow_v = up(up(Rf * S1) * self.nax)
        grow_w = up(grow_v + up(up(up(Rf * absv) * S2) * self.nx2))
        d = up(self.nb + np.concatenate([grow_v, grow_w]))
        s1, s2 = self._sigmas(S)
        half_R2 = float(up(up(Rf * Rf) / 2))
        d2m, d2r = self.d[2]
        d3m, d3r = self.d[3]
        # p_i = r·z′_i: Σ δr_n |z′_in(θ)| + R|r·z″_i| + ½R² Σ|r||x|³ S3_i
        t1 = up(self._lin(self.P1, Rf, s1, s2) + up(up(Rf * S2) * float(self._lin(self.X2, Rf, s1, s2))))
        t2 = up(Rf * up(np.abs(d2m) + d2r))
        t3 = up(half_R2 * up(S3 * self.x3r))
        p_rad = up(up(self.d[1][1] + t1) + up(t2 + t3))
        # s_i = r·z″_i: Σ δr_n |z″_in(θ)| + R|r·z‴_i| + ½R² Σ|r| x⁴ S4_i
        u1 = up(self._lin(self.P2, Rf, s1, s2) + up(up(Rf * S3) * float(self._lin(self.X3, Rf, s1, s2))))
        u2 = up(Rf * up(np.abs(d3m) + d3r))
        u3 = up(half_R2 * up(S4 * self.x4r))
        s_rad = up(up(d2r + u1) + up(u2 + u3))
        # q_i = v_i s_i, v_i ∈ c_v,i ± R
        q_rad = up(up(absv * s_rad) + up(Rf * up(np.abs(d2m) + s_rad)))
        pr = up(up(2 * p_rad) + self.p_round)
        qr = up(up(2 * q_rad) + self.q_round)
        return self.a, d, pr, qr

    def norm_upper(self, rad: tuple[np.ndarray, ...]) -> float:
        """An upper bound on ||Δ||₂ for every Δ bounded entrywise by the radius."""
        a, d, pr, qr = rad
        na = float(up(np.sqrt(nonneg_sum_upper(up(a * a)))))
        nd = float(up(np.sqrt(nonneg_sum_upper(up(d * d)))))
        dense = up(2 * up(up(up(self.gN * up(na * na)) + up(2 * up(na * nd))) + up(nd * nd)))
        sparse = float(np.max(up(pr + qr), initial=0.0))
        return float(up(dense + sparse))

    def row_sums(self, rad: tuple[np.ndarray, ...]) -> np.ndarray:
        a, d, pr, qr = rad
        sa, sd = float(nonneg_sum_upper(a)), float(nonneg_sum_upper(d))
        dense = up(2 * up(up(up(up(self.gN * a) * sa) + up(a * sd)) + up(up(d * sa) + up(d * sd))))
        sparse = np.concatenate([pr, up(pr + qr)])
        return up(dense + sparse)


def float_engine(case: Any, act: Any, prec: int, radius_exponent: int | None, enclosures: dict[str, Any],
                 guarantees: dict[str, Any] | None, newton_step: Callable[[Any, Any], np.ndarray]
                 ) -> tuple[list[tuple[str, bool, str]], dict[str, Any], dict[str, Any]]:
    """Every check of the smooth certificate: centre the box one float64 Newton step (``newton_step(case, act)``,
    on one BLAS thread so that a recheck recomputes the same centre) from the point, then :func:`large_engine`."""
    from basins.parallel import blas_threads

    theta0 = [float(a) for a in case.v] + [float(a) for a in case.w]
    head: dict[str, Any] = {"precision bits": prec, "linear algebra": "float64 verified"}
    if case.witness is None or not all(math.isfinite(a) for a in theta0):
        return ([("inputs", False, "the case has no witness of lower loss" if case.witness is None
                  else "the point has a non-finite entry")], dict(head), dict(head))
    text = str(act.expr)
    checks: list[tuple[str, bool, str]] = [
        ("inputs", True, f"activation {text if len(text) <= 120 else text[:117] + '...'}, N = {case.N}, m = {case.m} "
                         f"(the witness too), {prec}-bit Taylor balls, float64 linear algebra with rigorous rounding "
                         "bounds")]
    try:
        with blas_threads(1):
            step = newton_step(case, act)
    except np.linalg.LinAlgError:
        checks.append(("krawczyk", False, "the Hessian at the point is singular in float64"))
        return checks, dict(head), dict(head)
    if not np.all(np.isfinite(step)):
        checks.append(("krawczyk", False, "the Newton step is not finite"))
        return checks, dict(head), dict(head)
    centre = [float(a - s) for a, s in zip(theta0, step)]
    offset = max(abs(a - c) for a, c in zip(theta0, centre))
    scale = 1.0 + max(abs(a) for a in theta0)
    more, figures, choices = large_engine(case, act, prec, radius_exponent, enclosures, guarantees, theta0, centre,
                                          offset, scale)
    return checks + more, {**head, **figures}, {**head, **choices}


def large_engine(case: Any, act: Any, prec: int, radius_exponent: int | None, enclosures: dict[str, Any],
                 guarantees: dict[str, Any] | None, theta0: list[float], centre: list[float], offset: float,
                 scale: float) -> tuple[list[tuple[str, bool, str]], dict[str, Any], dict[str, Any]]:
    """Checks C2 … sub-optimal (as :func:`basins.certification.smooth.certify_smooth`), figures and choices.

    The linear algebra runs on one BLAS thread (as the construction's large path does): on a machine whose
    cores are busy, threaded BLAS can be many times slower."""
    from basins.parallel import blas_threads

    with blas_threads(1):
        return _large_engine(case, act, prec, radius_exponent, enclosures, guarantees, theta0, centre, offset,
                             scale)


def _large_engine(case: Any, act: Any, prec: int, radius_exponent: int | None, enclosures: dict[str, Any],
                  guarantees: dict[str, Any] | None, theta0: list[float], centre: list[float], offset: float,
                  scale: float) -> tuple[list[tuple[str, bool, str]], dict[str, Any], dict[str, Any]]:
    checks: list[tuple[str, bool, str]] = []
    figures: dict[str, Any] = {"linear algebra": LARGE_METHOD}
    choices: dict[str, Any] = {"centre": [c.hex() for c in centre]}
    m = case.m
    x, y = np.asarray(case.x, dtype=float), np.asarray(case.y, dtype=float)
    net = FloatBallNet(act, x, y, prec)
    cv, cw = np.array(centre[:m]), np.array(centre[m:])
    try:
        ctr = CentreBalls(net, cv, cw)
    except (ArithmeticError, OverflowError) as exc:
        checks.append(("C2", False, f"σ is not enclosed on the pre-activations at the centre: {exc}"))
        return checks, figures, choices
    lam_mid, info = lambda_min_lower(ctr.H)
    figures["cholesky factorisations"] = info["cholesky factorisations"]
    try:
        C = np.linalg.inv(ctr.H)
    except np.linalg.LinAlgError:
        checks.append(("krawczyk", False, "the midpoint Hessian is singular in float64"))
        return checks, figures, choices
    absC = np.abs(C)
    P = C @ ctr.H
    E = -P
    E[np.diag_indices(ctr.n)] += 1.0
    kappa0 = up(nonneg_sum_upper(up(np.abs(E) + rounding(E)), axis=1)
                + nonneg_matmul_upper(absC, nonneg_sum_upper(np.abs(ctr.H), axis=1)) * gamma(ctr.n)
                + ctr.n * ETA)
    cg_mid = C @ ctr.g_mid
    cg_rad = up(matmul_error(C, ctr.g_mid) + nonneg_matmul_upper(absC, ctr.g_rad))
    K_mid = np.array(centre) - cg_mid
    base_rad = up(cg_rad + rounding(K_mid))
    dev = up(np.abs(K_mid - np.array(centre)) + rounding(K_mid - np.array(centre)))

    best: dict[str, Any] | None = None
    c2_failure = ""
    tried: dict[int, float] = {}

    def attempt(e: int) -> float:
        """The Krawczyk slack 1 − max reach/ρ at ρ = 2^⌈log2(scale·2^e)⌉ (−inf when not tried)."""
        nonlocal best, c2_failure
        if e in tried:
            return tried[e]
        rho = 2.0 ** math.ceil(math.log2(scale * 2.0 ** e))
        tried[e] = -math.inf
        if rho <= 2 * offset:
            return -math.inf
        S = net.hull_bounds(cw, rho)
        if S is None:
            c2_failure = c2_failure or f"ρ = {rho:.3g}: σ's Taylor series is not finite on a neuron's pre-activations"
            return -math.inf
        rad = ctr.radius(rho, S)
        kappa = up(kappa0 + nonneg_matmul_upper(absC, ctr.row_sums(rad)))
        K_rad = up(base_rad + up(rho * kappa))
        reach = up(dev + K_rad)
        top = float(np.max(reach))
        slack = 1 - top / rho
        tried[e] = slack
        if top < rho and (best is None or slack > best["slack"]):     # float comparison: exact
            best = {"rho": rho, "S": S, "rad": rad, "K_rad": K_rad, "slack": slack}
        return slack

    if radius_exponent is not None:
        attempt(radius_exponent)
    else:
        # a coarse grid of relative exponents, then the neighbours of the best one
        for e in range(-4, -61, -6):
            attempt(e)
        centre_e = max(tried, key=lambda k: (tried[k], k))
        for e in range(centre_e + 5, centre_e - 6, -1):
            if -60 <= e <= -4:
                attempt(e)
    if best is None:
        if c2_failure:
            checks.append(("C2", False, "σ is not proved C² on any box tried; first: " + c2_failure))
        else:
            checks.append(("krawczyk", False, f"K(X) is not inside int X for any of {len(tried)} radii tried "
                                              f"(powers of two from {scale:.3g}·2^-4 down to 2^-60, above twice the "
                                              f"Newton step {offset:.3g})"))
        return checks, figures, choices
    rho, rad, K_rad = best["rho"], best["rad"], best["K_rad"]
    c2_states = [act.c2_on_ball(_hull_ball(net, float(w), rho))[0] for w in cw]
    if not all(st is True for st in c2_states):
        i = next(j for j, st in enumerate(c2_states) if st is not True)
        checks.append(("C2", False, f"σ is not proved C² on the pre-activations of neuron {i + 1} over X"))
        return checks, figures, choices
    choices["radius"] = rho.hex()
    figures["box radius"] = rho
    figures["box radius (hex)"] = rho.hex()
    figures["newton offset"] = offset
    checks.append(("C2", True, f"σ is analytic (no piecewise node; finite ball Taylor series) on the hull of every "
                               f"neuron's pre-activations over X ({m} hulls, covering all {m * case.N} balls)"))
    width = float(np.max(K_rad))
    figures["krawczyk max radius"] = width
    figures["krawczyk image (first 8)"] = [f"[{a:.17g} +/- {r:.3g}]" for a, r in zip(K_mid[:8], K_rad[:8])]
    checks.append(("krawczyk", True, f"K(X) ⊂ int X with X = centre ± {rho:.3g} (largest radius of K(X): {width:.3g}; "
                                     f"float64 with rigorous rounding bounds)"))
    in_box = all(abs(Fraction(a) - Fraction(c)) < Fraction(rho) for a, c in zip(theta0, centre))
    checks.append(("point", in_box, f"|θ − centre|∞ = {offset:.3g} < ρ = {rho:.3g}"))

    normX = ctr.norm_upper(rad)
    lam_X = None if lam_mid is None else lam_mid - Fraction(normX)
    pd = lam_X is not None and lam_X > 0
    figures["lambda_min lower (midpoint, Rump)"] = None if lam_mid is None else float(lam_mid)
    figures["hessian radius norm over X"] = normX
    if lam_X is not None and lam_mid is not None and pd:
        pd_text = (f"λ_min(∇²E) ≥ {float(lam_X):.6g} > 0 on X (float Cholesky with Rump's bound: λ_min(M) ≥ "
                   f"{float(lam_mid):.6g}; Weyl: ||H − M||₂ ≤ {normX:.3g})")
    elif lam_mid is None:
        pd_text = "the midpoint Hessian is not proved positive definite: " + info.get("why", "")
    else:
        pd_text = f"λ_min(M) ≥ {float(lam_mid):.6g} does not exceed ||H − M||₂ ≤ {normX:.3g} over X"
    checks.append(("positive definite", pd, pd_text))
    # losses by the mean value theorem from the centre: |r_n(θ) − r_n(c)| ≤ |θ − c|∞ Σ_k |J_nk| over X
    Dm_col = _jac_colsum(ctr, rho)

    def loss_within(delta: float) -> tuple[Fraction, Fraction]:
        return loss_bounds(ctr.rm, up(ctr.rr + up(delta * Dm_col)))

    K_reach = float(np.max(up(dev + K_rad)))
    EK = loss_within(K_reach)
    Ep = loss_within(float(up(offset)))
    w_case = case.witness
    wv, ww = np.array([float(a) for a in w_case.v]), np.array([float(a) for a in w_case.w])
    # neurons with v_i = 0 contribute exactly 0 where σ is finite (a finite ball bound on their hull)
    live = wv != 0
    Sw = net.hull_bounds(ww[~live], 0.0, kmax=0) if np.any(~live) else np.zeros((0, 1))
    Zw = net.features(ww[live], 0) if np.any(live) else [(np.zeros((0, x.size)), np.zeros((0, x.size)))]
    if Zw is None or Sw is None:
        checks.append(("sub-optimal", False, "σ is not enclosed at the witness"))
        return checks, figures, choices
    rwm, rwr = net.residual(wv[live], Zw[0])
    Ew = loss_bounds(rwm, rwr)
    enclosures["loss"] = Ep
    enclosures["witness loss"] = Ew
    figures["E at point"] = _ball_text(*Ep)
    figures["lower E on K(X)"] = f"{float(EK[0]):.17g}"
    figures["E on K(X)"] = _ball_text(*EK)
    figures["upper E at witness"] = f"{float(Ew[1]):.17g}"
    figures["E at witness"] = _ball_text(*Ew)
    sub = Ew[1] < EK[0]
    checks.append(("sub-optimal", sub, f"E(witness) ≤ {float(Ew[1]):.17g} < {float(EK[0]):.17g} ≤ E(θ*)" if sub else
                   f"E(witness) = {_ball_text(*Ew)} is not provably below E on K(X) = {_ball_text(*EK)}"))
    if guarantees is not None and pd and all(ok for _, ok, _ in checks):
        assert lam_mid is not None and lam_X is not None
        guarantees.update(_basin_guarantees(act, net, ctr, lam_mid, lam_X, K_mid, K_rad, np.array(centre), rho,
                                            loss_within))
    return checks, figures, choices


def _hull_ball(net: FloatBallNet, w: float, R: float) -> Any:
    import flint

    lo = min(w * float(np.min(net.x)), w * float(np.max(net.x)))
    hi = max(w * float(np.min(net.x)), w * float(np.max(net.x)))
    spread = float(up(R * net.xmax))
    lo = math.nextafter(math.nextafter(lo, -math.inf) - spread, -math.inf)
    hi = math.nextafter(math.nextafter(hi, math.inf) + spread, math.inf)
    mid = (lo + hi) / 2
    return flint.arb(mid, math.nextafter(max(hi - mid, mid - lo), math.inf))


def _jac_colsum(ctr: CentreBalls, R: float) -> np.ndarray:
    """Per sample n, a float ≥ Σ_k |J_nk(θ)| over the box c ± R."""
    S = ctr.net.hull_bounds(ctr.cw, R)
    if S is None:
        return np.full(ctr.net.x.size, np.inf)
    if not hasattr(ctr, "P1"):
        ctr._precompute()
    return ctr.colsum(R, S)


# ------------------------------------------------- what a test can rely on --

GUARANTEES_METHOD_LARGE = (
    "theta_star: K(X) of the Krawczyk proof (midpoints, radius = the largest radius, rounded up); E_star: "
    "E over that box by the mean value theorem from the centre (|r_n(θ) − r_n(c)| ≤ |θ − c|∞ Σ_k |J_nk| over "
    "the box); lambda_min_lower: ℓ − ||H − M||₂ over the Krawczyk box X (ℓ ≤ λ_min(M) from a float Cholesky "
    "of M − sI with Rump's rounding bound, M the midpoint Hessian at the centre, ||H − M||₂ from the "
    "entrywise radius: Weyl); basin: the ∞-box of radius R around theta_star.centre (inside the box of "
    "radius R + |theta_star.centre − centre|∞ around the centre, where σ is analytic on every neuron's hull "
    "of pre-activations and ℓ − ||H − M||₂ ≥ 2^-10 λ_X), R grown ×8 from the Krawczyk radius, then bisected; "
    "basin_radius = R − theta_star.radius, escape_barrier_lower_bound = ½ λ_R ρ² (Taylor along segments "
    "from θ*, where ∇E = 0); every float rounded outward")


def _basin_guarantees(act: Any, net: FloatBallNet, ctr: CentreBalls, lam_mid: Fraction, lam_X: Fraction,
                      K_mid: np.ndarray, K_rad: np.ndarray, c: np.ndarray, rho: float, loss_within: Any
                      ) -> dict[str, Any]:
    r_inf = float(np.max(K_rad))
    shift = float(np.max(up(np.abs(K_mid - c) + rounding(K_mid - c))))
    Es = loss_within(float(up(shift + r_inf)))
    s_min = Fraction(float(lam_X)) * Fraction(1, 1024)
    proved: dict[float, Fraction] = {}

    def attempt(R: float) -> bool:
        if R <= r_inf:
            return False
        Rc = float(up(R + shift))
        S = net.hull_bounds(ctr.cw, Rc)
        if S is None:
            return False
        lam = lam_mid - Fraction(ctr.norm_upper(ctr.radius(Rc, S)))
        if lam >= s_min:
            proved[R] = lam
            return True
        return False

    if not attempt(rho):
        return {}
    widen_radius(attempt, rho, None, proved)
    widest_R = max(proved)
    # σ C² on the widest region, decided by the activation's own check on every neuron's hull
    Rc = float(up(widest_R + shift))
    if not all(act.c2_on_ball(_hull_ball(net, float(w), Rc))[0] is True for w in ctr.cw):
        return {}

    def basin(R: float, lam: Fraction) -> dict[str, Any]:
        rho_b = float_out(Fraction(R) - Fraction(r_inf), False)
        return {"region_radius": R.hex(), "basin_radius": rho_b, "lambda_min_lower": float_out(lam, False),
                "escape_barrier_lower_bound": float_out(lam * Fraction(rho_b) ** 2 / 2, False)}

    widest = basin(widest_R, proved[widest_R])
    highest = basin(*max(proved.items(), key=lambda p: (p[1] * (Fraction(p[0]) - Fraction(r_inf)) ** 2, p[0])))
    return {
        "theta_star": {"centre": [float(a).hex() for a in K_mid], "radius": r_inf.hex(),
                       "norm": "∞-norm: |θ* − centre|∞ ≤ radius (so |θ* − centre|₂ ≤ √(2m)·radius)"},
        "E_star": {"ball": _ball_text(*Es), "lower": float_out(Es[0], False), "upper": float_out(Es[1], True)},
        "lambda_min_lower": float_out(lam_X, False),
        "lambda_min_region": "the Krawczyk box X = inputs.centre ± inputs.radius (it holds θ*)",
        "basin_radius": widest["basin_radius"],
        "escape_barrier_lower_bound": widest["escape_barrier_lower_bound"],
        "basin_region": {"centre": "theta_star.centre", "radius": widest["region_radius"],
                         "lambda_min_lower": widest["lambda_min_lower"],
                         "radii tried": f"from the Krawczyk radius {rho.hex()}, ×{BASIN_FACTOR:g} while "
                                        f"λ ≥ {float(s_min)!r} is proved and σ analytic, then bisected; "
                                        f"{len(proved)} regions proved, the widest is used"},
        "largest_barrier": {**highest, "note": "the proved region with the largest ½ λ ρ²: the same statement "
                                               "with this radius and barrier"},
        "method": GUARANTEES_METHOD_LARGE,
    }
