"""Proposition 4 at its limits: an optimizing search for w, precision on demand, any lower witness.

Three pieces that :mod:`basins.constructions.prop4` calls (SPEC §2, §12):

* :func:`optimize_w` — maximise the smallest scale-free margin of conditions 1–3
  over w (Nelder–Mead on the log of the smallest margin, from the best seeded
  random draws), instead of keeping the best random draw.  Deterministic for a seed.
* :func:`precise_construction` and :func:`resolve` — when the margins are too
  small for float64, choose a ⟂ S and y = ŷ − M a at ``dps`` digits (mpmath),
  round y to float64, then re-solve for the exact critical point of the rounded
  data (Newton at ``dps`` digits) and round it: the stored floats are then a
  critical point to rounding, whatever the conditioning.
* :func:`lower_point` — a seeded multistart local minimisation of E (L-BFGS-B
  in float64), each candidate re-evaluated at ``dps`` digits: any point of
  lower loss is a witness of sub-optimality, not only the paper's one-neuron family.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 (arXiv:1812.11039).
"""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np
import scipy.optimize

from basins.activations import Activation
from basins.errors import HypothesisFailed
from basins.parallel import blas_threads
from basins.model.network import features, features_mp, gradient_mp, hessian_mp, loss_mp

__all__ = ["surrogate_margins", "score", "optimize_w", "best_direction", "witness_grid", "choose_dps", "precise_construction",
           "resolve", "lower_point", "MAX_DPS", "FLOAT64_MARGIN"]

THEOREM = "Proposition 4"

#: Below this smallest margin the float64 decisions of conditions 1–3 are not trusted: the
#: construction is redone at a precision chosen from the margins.
FLOAT64_MARGIN = 1e-5

#: A best draw scoring at least this gets one local optimization instead of ``starts``.
GOOD_SCORE = 1e-2

#: |w_i|·rms(x) of the seeded draws: log-uniform in [0.1, WEIGHT_RANGE], then up to WIDE_WEIGHT_RANGE
#: when no draw scores GOOD_SCORE.
WEIGHT_RANGE = 8.0
WIDE_WEIGHT_RANGE = 100.0

#: The largest working precision (decimal digits) the construction will use.
MAX_DPS = 400


def _unit(a: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.where(n > 0, n, 1.0)


def witness_grid(x: np.ndarray, size: int = 120) -> np.ndarray:
    """Candidate w_0 values: ± a geometric grid over 1e-3 .. 30 times 1/max|x|."""
    mags = np.geomspace(1e-3, 30.0, size) / float(np.max(np.abs(x)))
    return np.concatenate([-mags[::-1], mags])


def surrogate_margins(act: Activation, x: np.ndarray, w: np.ndarray, v: np.ndarray | None = None,
                      grid: np.ndarray | None = None) -> tuple[float, float, float]:
    """Cheap float64 margins at w: (condition 1, sign-matched a, condition 3 on a grid of w_0).

    Condition 1: the smallest singular value of the unit-normalised z_i.  Signs:
    min_i s_i (â·z″_i)/||z″_i|| for the equal-margin â ∈ S⊥ (least squares when
    dim S⊥ < m), with s = sign(v) or the pattern of the leading singular vector;
    it bounds condition 2's margins from below.  Condition 3: the largest
    ||P_{S⊥} ẑ_0|| over the grid.  Rank deficiency of S gives 0.
    """
    with np.errstate(all="ignore"):
        z, z1, z2 = features(act, x, w)
        if not (np.all(np.isfinite(z)) and np.all(np.isfinite(z1)) and np.all(np.isfinite(z2))):
            return 0.0, 0.0, 0.0
        m, n = z.shape
        if 2 * m >= n:
            return 0.0, 0.0, 0.0
        zn = _unit(z)
        margin1 = float(np.linalg.svd(zn, compute_uv=False)[-1])
        q, r = np.linalg.qr(_unit(np.vstack([z, z1])).T, mode="complete")
        d = np.abs(np.diag(r))
        if not d.min() > 0:
            return margin1, 0.0, 0.0
        basis = q[:, 2 * m:]
        G = _unit(z2) @ basis
        if v is not None:
            s = np.sign(np.asarray(v, dtype=float))
        else:
            u = np.linalg.svd(G, full_matrices=False)[2][0]
            s = np.sign(G @ u)
            s = np.where(s == 0, 1.0, s)
        c = np.linalg.lstsq(G, s, rcond=None)[0]
        nc = float(np.linalg.norm(c))
        margin_a = float(np.min(s * (G @ c)) / nc) if nc > 0 else 0.0
        if grid is None:
            grid = witness_grid(x, 40)
        zg = act.numpy(0)(np.outer(grid, x))
        ok = np.all(np.isfinite(zg), axis=1)
        margin3 = float(np.max(np.linalg.norm(_unit(zg[ok]) @ basis, axis=1), initial=0.0))
    return margin1, margin_a, margin3


def score(margin1: float, margin_a: float, margin3: float) -> float:
    """The quantity the search maximises: min(margin1², margin_a, margin3), plus a soft-min nudge.

    The Hessian's eigenvalues scale like margin1² (the v-block 2ZᵀZ) and like
    margin_a (the term 2M·v_i a·z″_i); margin3 keeps a witness direction outside S.
    """
    vals = [margin1 * margin1, margin_a, margin3]
    low = min(vals)
    if not (np.isfinite(low) and low > 0):
        return 0.0
    return low * float(np.prod([(v / low) ** 0.01 for v in vals]))


def _objective(act: Activation, x: np.ndarray, v: np.ndarray | None, grid: np.ndarray, pre_ok: Any):
    def f(w: np.ndarray) -> float:
        if not pre_ok(w):
            return 1e3
        m1, ma, m3 = surrogate_margins(act, x, w, v, grid)
        return -math.log(score(m1, ma, m3)) if score(m1, ma, m3) > 1e-300 else 700.0 - min(ma, 0.0)
    return f


def optimize_w(act: Activation, x: np.ndarray, m: int, v: np.ndarray | None, seed: int, trials: int,
               pre_ok: Any, starts: int = 3, maxfev: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """The w that maximises the smallest margin (conditions 1, signs, 3), and how it was found.

    ``trials`` seeded log-uniform draws (distinct entries, ``pre_ok(w)`` true: away
    from the points where σ is not C²) are scored with :func:`surrogate_margins`; the
    best ``starts`` of them start Nelder–Mead on −log(smallest margin) (plus a small
    soft-min term).  Deterministic for a seed: the draws are seeded and Nelder–Mead is.
    """
    with blas_threads(1):
        return _optimize_w(act, x, m, v, seed, trials, pre_ok, starts, maxfev)


def _optimize_w(act: Activation, x: np.ndarray, m: int, v: np.ndarray | None, seed: int, trials: int,
                pre_ok: Any, starts: int, maxfev: int | None) -> tuple[np.ndarray, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    scale = 1.0 / float(np.sqrt(np.mean(x * x)))
    grid = witness_grid(x, 20)
    f = _objective(act, x, v, grid, pre_ok)
    draws: list[tuple[float, np.ndarray]] = []
    ranges = [WEIGHT_RANGE]
    for top in ranges:
        for _ in range(trials):
            # log-uniform magnitudes: small weights make the features of an analytic σ nearly dependent
            w = rng.choice((-1.0, 1.0), m) * np.exp(rng.uniform(np.log(0.1), np.log(top), m)) * scale
            if np.unique(w).size != m or not pre_ok(w):
                continue
            draws.append((f(w), w))
        if top == WEIGHT_RANGE and not (draws and min(d[0] for d in draws) < -math.log(GOOD_SCORE)):
            # no good draw: widen the magnitudes (e.g. sin's features on 17 points in [−3, 3] are
            # well separated only at frequencies up to ~40/max|x|: margins 1e-14 → 0.2 at width 5)
            ranges.append(WIDE_WEIGHT_RANGE)
    draws.sort(key=lambda t: t[0])
    info: dict[str, Any] = {"seed": seed, "trials": trials, "candidates": len(draws),
                            "weight range": f"|w_i| log-uniform in [0.1, {ranges[-1]:g}]/rms(x)",
                            "optimizer": "Nelder–Mead on −log(smallest margin) from the best seeded draws",
                            "best draw score": math.exp(-draws[0][0]) if draws and draws[0][0] < 700 else 0.0}
    if not draws:
        return np.zeros(0), info
    best_val, best_w = draws[0]
    budget = maxfev or 80 * m + 120
    if best_val < -math.log(GOOD_SCORE):
        starts = 1  # already well inside float64's reach: one local optimization polishes it
    for val, w in draws[:starts]:
        if val >= 700:
            continue
        res = scipy.optimize.minimize(f, w, method="Nelder-Mead",
                                      options={"maxfev": budget, "xatol": 1e-6, "fatol": 1e-4,
                                               "adaptive": m > 3, "initial_simplex": _simplex(w)})
        if res.fun < best_val and np.unique(res.x).size == m:
            best_val, best_w = float(res.fun), np.asarray(res.x, dtype=float)
    info["starts"] = min(starts, len(draws))
    return best_w, info


def _simplex(w: np.ndarray) -> np.ndarray:
    steps = 0.15 * np.maximum(np.abs(w), 0.05)
    return np.vstack([w] + [w + np.eye(w.size)[i] * steps[i] for i in range(w.size)])


def choose_dps(margin: float) -> int:
    """Digits for a construction whose smallest margin is ``margin``: 30 plus three times the digits lost.

    The Hessian's small eigenvalues scale like the squares of the margins and the
    Newton re-solve divides by them; three times the digits lost leaves 30 digits.
    """
    if not margin > 0:
        return MAX_DPS + 1
    lost = max(0.0, -math.log10(margin))
    return int(30 + math.ceil(3 * lost))


def _mp_unit(col: list) -> list:
    n = mpmath.sqrt(mpmath.fsum(c * c for c in col))
    return [c / n for c in col] if n != 0 else col


def _mp_dot(a: list, b: list) -> Any:
    return mpmath.fsum(p * q for p, q in zip(a, b))


def best_direction(G: np.ndarray, signs: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximise τ s.t. s_i G_i·c ≥ τ, |c|_∞ ≤ 1 (a linear program); returns (c, τ)."""
    m, k = G.shape
    cost = np.zeros(k + 1)
    cost[-1] = -1.0
    A_ub = np.hstack([-(signs[:, None] * G), np.ones((m, 1))])
    res = scipy.optimize.linprog(
        cost, A_ub=A_ub, b_ub=np.zeros(m), bounds=[(-1.0, 1.0)] * k + [(None, 1.0)], method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
        return np.zeros(k), 0.0
    return res.x[:k], float(res.x[-1])


def precise_construction(act: Activation, x: np.ndarray, w: np.ndarray, v: np.ndarray | None,
                         hint: np.ndarray | None, M: float, dps: int, exhaustive: bool = True) -> dict[str, Any]:
    """a ⟂ S and y = ŷ − M a at ``dps`` digits; the margins of conditions 1, 2 and signs there.

    S⊥ comes from a QR at ``dps`` digits; the rows G_i = P_{S⊥} z″_i, normalised
    (their directions are well defined in float64 even when their lengths, the
    margins of condition 2, are not), give the linear program of the float64 path
    for each sign pattern (those of v when given; else ``hint``, the leading
    singular vector's and, up to width 6, all); a = (basis)·c at ``dps`` digits,
    scaled to max |a_n| = 1.  With v = sign pattern when v is not given,
    y = ŷ − M a is formed at ``dps`` digits and rounded.  Raises
    HypothesisFailed, naming the margin and the precision, when a condition
    fails at this precision.
    """
    import itertools

    m, n = w.size, x.size
    with mpmath.workdps(dps):
        z, z1, z2 = features_mp(act, [float(t) for t in x], [float(t) for t in w])
        cols = [_mp_unit(c) for c in z] + [_mp_unit(c) for c in z1]
        A = mpmath.matrix(n, 2 * m)
        for j, c in enumerate(cols):
            for i in range(n):
                A[i, j] = c[i]
        Q, R = mpmath.qr(A, mode="full")
        pivots = [abs(R[j, j]) for j in range(2 * m)]
        tiny = mpmath.mpf(10) ** (-(dps - 10))
        if min(pivots) <= tiny:
            raise HypothesisFailed(
                f"{THEOREM} condition 2 fails at {dps} digits: dim S < 2m (smallest QR pivot "
                f"{mpmath.nstr(min(pivots), 3)} of the unit z_j, z′_j); more digits than {dps} would be needed "
                "to decide it", theorem=THEOREM, hypothesis="condition 2")
        basis = [[Q[i, j] for i in range(n)] for j in range(2 * m, n)]
        z2u = [_mp_unit(c) for c in z2]
        Gm = [[_mp_dot(c, b) for b in basis] for c in z2u]
        margins2 = [mpmath.sqrt(mpmath.fsum(g * g for g in row)) for row in Gm]
        if min(margins2) <= tiny:
            i = int(np.argmin([float(t) for t in margins2]))
            raise HypothesisFailed(
                f"{THEOREM} condition 2 fails at {dps} digits: z″_{i + 1} lies in S to within "
                f"{mpmath.nstr(margins2[i], 3)}", theorem=THEOREM, hypothesis="condition 2")
        Gn = np.array([[float(g / mg) for g in row] for row, mg in zip(Gm, margins2)])
        patterns: list[np.ndarray]
        if v is not None:
            patterns = [np.sign(v)]
        else:
            u = np.linalg.svd(Gn, full_matrices=False)[2][0]
            lead = np.sign(Gn @ u)
            patterns = [p for p in (hint, np.where(lead == 0, 1.0, lead)) if p is not None]
            if exhaustive and m <= 6:
                patterns += [np.array((1.0,) + q) for q in itertools.product((1.0, -1.0), repeat=m - 1)]
        best: tuple[Any, list, np.ndarray] | None = None
        for sgn in patterns:
            coef, tau = best_direction(Gn, sgn)
            if not tau > 0:
                continue
            cm = [mpmath.mpf(float(t)) for t in coef]
            a = [mpmath.fsum(cm[k] * basis[k][i] for k in range(len(basis))) for i in range(n)]
            na = mpmath.sqrt(_mp_dot(a, a))
            margin_a = min(sgn[i] * _mp_dot(z2u[i], a) / na for i in range(m))
            if best is None or margin_a > best[0]:
                best = (margin_a, a, sgn)
        if best is None or not best[0] > tiny:
            got = "no sign pattern is feasible" if best is None else f"margin {mpmath.nstr(best[0], 3)}"
            raise HypothesisFailed(
                f"{THEOREM} signs fails at {dps} digits: no a ⟂ S has v_i (a·z″_i) > 0 for every i "
                f"({got}; the margins of condition 2 are down to {mpmath.nstr(min(margins2), 3)})",
                theorem=THEOREM, hypothesis="signs")
        margin_a, a, sgn = best
        big = max(a, key=abs)
        a = [t / abs(big) for t in a]
        zn = mpmath.matrix([_mp_unit(c) for c in z]).T
        margin1 = min(mpmath.svd_r(zn, compute_uv=False))
        vv = np.asarray(v, dtype=float) if v is not None else sgn.astype(float)
        yhat = [mpmath.fsum(float(vv[i]) * z[i][j] for i in range(m)) for j in range(n)]
        y_mp = [yhat[j] - mpmath.mpf(M) * a[j] for j in range(n)]
        perp = max(abs(_mp_dot(c, a)) for c in cols)
        return {
            "a": np.array([float(t) for t in a]),
            "signs": np.asarray(sgn, dtype=float),
            "v": vv,
            "y": np.array([float(t) for t in y_mp]),
            "y_mp": y_mp,
            "margin1": float(margin1),
            "margin2": np.array([float(t) for t in margins2]),
            "margin_a": float(margin_a),
            "a_perp": float(perp),
            "basis": basis,
            "dps": dps,
        }


def resolve(act: Activation, x: np.ndarray, y: np.ndarray, v: np.ndarray, w: np.ndarray, dps: int,
            iterations: int = 40) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The critical point of E for the (rounded) data y next to (v, w), by Newton at ``dps`` digits, rounded.

    Returns the rounded (v, w) and what was checked there at ``dps`` digits:
    |∇E|, the Newton step, the Hessian's smallest and largest eigenvalues.
    """
    m = v.size
    xs, ys = [float(t) for t in x], [float(t) for t in y]
    with mpmath.workdps(dps):
        theta = [mpmath.mpf(float(t)) for t in np.concatenate([v, w])]
        moved = mpmath.mpf(0)
        for _ in range(iterations):
            g = gradient_mp(act, xs, ys, theta[:m], theta[m:], dps)
            H = hessian_mp(act, xs, ys, theta[:m], theta[m:], dps)
            step = mpmath.lu_solve(H, mpmath.matrix(g))
            theta = [theta[i] - step[i] for i in range(2 * m)]
            size = mpmath.norm(step)
            moved += size
            if size <= mpmath.mpf(10) ** (-(dps - 5)) * (1 + mpmath.norm(mpmath.matrix(theta))):
                break
        vr = np.array([float(t) for t in theta[:m]])
        wr = np.array([float(t) for t in theta[m:]])
        check = check_point(act, x, y, vr, wr, dps)
        check["re-solve moved θ by"] = float(moved)
    return vr, wr, check


def exact_values(y: Any) -> list:
    """y as a list for the engine's mpmath context: mpf entries kept (exact), others as floats."""
    return [t if isinstance(t, mpmath.mpf) else float(t) for t in y]


def check_point(act: Activation, x: np.ndarray, y: np.ndarray, v: np.ndarray, w: np.ndarray, dps: int
                ) -> dict[str, Any]:
    """|∇E|, the Newton step |H⁻¹∇E| and the Hessian's extreme eigenvalues at (v, w), at ``dps`` digits
    (y may hold mpf values: they are used exactly)."""
    m = v.size
    xs, ys = [float(t) for t in x], exact_values(y)
    with mpmath.workdps(dps):
        g = gradient_mp(act, xs, ys, [float(t) for t in v], [float(t) for t in w], dps)
        H = hessian_mp(act, xs, ys, [float(t) for t in v], [float(t) for t in w], dps)
        try:
            step = float(mpmath.norm(mpmath.lu_solve(H, mpmath.matrix(g))))
        except ZeroDivisionError:
            step = float("inf")
        ev = sorted(mpmath.eigsy(H, eigvals_only=True)) if 2 * m <= 40 else [mpmath.mpf(0), mpmath.mpf(0)]
        return {"precision (digits)": dps, "gradient norm": float(mpmath.sqrt(mpmath.fsum(t * t for t in g))),
                "newton step": step, "hessian min eigenvalue": float(ev[0]),
                "hessian max eigenvalue": float(ev[-1])}


def lower_point(act: Activation, x: np.ndarray, y: np.ndarray, v: np.ndarray, w: np.ndarray, loss_at: Any,
                seed: int, dps: int, extra: list[tuple[np.ndarray, np.ndarray]] | None = None,
                starts: int = 16) -> tuple[np.ndarray, np.ndarray, Any] | None:
    """A point of loss below ``loss_at`` (an mpf at ``dps`` digits) with margin, or None.

    Seeded multistart L-BFGS-B on E in float64 — from the given ``extra`` points,
    from (v, w) with one neuron moved to each w_0 of a grid, and from ``starts``
    random points, in that order — each end point below ``loss_at`` in float64
    re-evaluated at ``dps`` digits; the first whose loss is below ``loss_at`` by
    more than 10^(10−dps)·E is returned with its loss (mpf).
    """
    m = v.size
    s0, s1 = act.numpy(0), act.numpy(1)
    xs, ys = [float(t) for t in x], exact_values(y)
    y = np.array([float(t) for t in y])

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        vv, ww = theta[:m], theta[m:]
        with np.errstate(all="ignore"):
            U = np.outer(ww, x)
            Z = s0(U)
            r = vv @ Z - y
            val = float(r @ r)
            grad = np.concatenate([2 * Z @ r, 2 * vv * ((x * s1(U)) @ r)])
        if not (np.isfinite(val) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros_like(theta)  # overflow: a wall the line search backs off from
        return val, grad

    def lsq_v(ww: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            Z = s0(np.outer(ww, x))
        if not np.all(np.isfinite(Z)):
            return np.zeros(m)
        return np.linalg.lstsq(Z.T, y, rcond=None)[0]

    rng = np.random.default_rng(seed)
    scale = 1.0 / float(np.sqrt(np.mean(x * x)))
    inits = list(extra or [])
    for w0 in witness_grid(x, 4):
        for i in range(m):
            ww = w.copy()
            ww[i] = w0
            inits.append((lsq_v(ww), ww))
    for _ in range(starts):
        wr = rng.normal(0.0, 2.0, m) * scale * np.exp(rng.uniform(-1.0, 1.0))
        inits.append((lsq_v(wr), wr))
    target = float(loss_at)
    with mpmath.workdps(dps):
        gap = mpmath.mpf(10) ** (10 - dps) * abs(loss_at)
    for v0, w0 in inits:
        with blas_threads(1):
            res = scipy.optimize.minimize(fun, np.concatenate([v0, w0]), jac=True, method="L-BFGS-B",
                                          options={"maxiter": 300})
        if not res.fun < target * (1 - 1e-9):
            continue
        vv, ww = res.x[:m], res.x[m:]
        E = loss_mp(act, xs, ys, vv.tolist(), ww.tolist(), dps)
        if E < loss_at - gap:
            return vv, ww, E
    return None


def mp_perp_norm(act: Activation, x: np.ndarray, w0: float, basis: list, dps: int) -> float:
    """||P_{S⊥} ẑ_0|| at ``dps`` digits, for the orthonormal basis of S⊥ from :func:`precise_construction`."""
    with mpmath.workdps(dps):
        z0 = _mp_unit(features_mp(act, [float(t) for t in x], [float(w0)])[0][0])
        return float(mpmath.sqrt(mpmath.fsum(_mp_dot(z0, b) ** 2 for b in basis)))


__all__ += ["check_point", "mp_perp_norm"]


def choose_w0(act: Activation, x: np.ndarray, y: np.ndarray, w: np.ndarray, perp: Any, floor: float
               ) -> float | None:
    """The w_0 of a grid whose witness (w_0, w_2..w_m; ṽ by least squares) has the lowest loss,
    among those with condition 3 margin > ``floor``."""
    grid = witness_grid(x, 400)
    zg = act.numpy(0)(np.outer(grid, x))
    ok = np.all(np.isfinite(zg), axis=1)
    nz = np.linalg.norm(zg, axis=1)
    ok &= nz > 1e-3 * np.max(nz[ok], initial=0.0)  # a vanishing z_0 asks for a huge, ill-conditioned ṽ_1
    m3 = np.zeros(grid.size)
    m3[ok] = perp(zg[ok] / nz[ok, None])
    good = np.flatnonzero(ok & (m3 > floor))
    if not good.size:
        return None
    # the least-squares loss of [z_0, z_2..z_m] for every z_0 at once: project out the range of z_2..z_m
    # (orthonormal basis U by SVD, cut off like lstsq), then add z_0's component of what is left
    rest = act.numpy(0)(np.outer(w[1:], x)).T
    if rest.shape[1]:
        U, sv, _ = np.linalg.svd(rest, full_matrices=False)
        U = U[:, sv > np.finfo(float).eps * max(rest.shape) * sv[0]]
        r = y - U @ (U.T @ y)
        Q = zg[good] - (zg[good] @ U) @ U.T
    else:
        r, Q = y, zg[good]
    qq = np.einsum("kn,kn->k", Q, Q)
    gain = np.divide((Q @ r) ** 2, qq, out=np.zeros_like(qq), where=qq > 0)
    losses = float(r @ r) - gain
    return float(grid[good[int(np.argmin(losses))]])


def witness_losses(act: Activation, x: np.ndarray, y: np.ndarray, point: tuple[np.ndarray, np.ndarray],
                   witness: tuple[np.ndarray, np.ndarray], dps: int, mp: bool) -> tuple[Any, Any]:
    """E at the point and at the witness, as mpf: at ``dps`` digits when ``mp``; else in float64 when the
    two differ by more than four times a bound on float64's error on them (each residual is off by at most
    about 8·eps·(|y_n| + Σ_i |v_i σ(w_i x_n)|)), and at ``dps`` digits only when they do not (large
    problems: the 50-digit σ of m·N pre-activations took 28 s at N = 1000, m = 250)."""
    if not mp:
        E, err = [], []
        with np.errstate(all="ignore"):
            for vv, ww in (point, witness):
                Z = act.numpy(0)(np.outer(ww, x))
                r = y - vv @ Z
                e = 8 * np.finfo(float).eps * (np.abs(y) + np.abs(vv) @ np.abs(Z))
                E.append(math.fsum(r * r))
                err.append(math.fsum(2 * np.abs(r) * e + e * e))
        if all(math.isfinite(a) for a in E + err) and abs(E[0] - E[1]) > 4 * (err[0] + err[1]):
            return mpmath.mpf(E[0]), mpmath.mpf(E[1])
    return loss_mp(act, x, y, *point, dps), loss_mp(act, x, y, *witness, dps)
