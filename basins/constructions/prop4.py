"""Proposition 4: a sub-optimal strict local minimum for any C² σ and m < N.

Given σ, inputs x and hidden weights w with

1. z_1..z_m linearly independent,
2. each z″_i independent of S = span{z_j, z′_j : j = 1..m},
3. some w_0 with z_0 = σ(w_0 x) independent of S,

choose a ⟂ S with v_i (a·z″_i) > 0 and set y = ŷ − M a.  Then (v, w) is a
strict local minimum with E = M²||a||² and ∇²E = 2JᵀJ + 2M·diag(0, v_i a·z″_i)
positive definite, and for M above a threshold the point w̃_1 = w_0 (with
least-squares output weights) has strictly lower loss.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 and Example 2 (arXiv:1812.11039).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import scipy.linalg
import scipy.optimize

from basins.validate import data_x, positive, vector, width_below_samples
from basins.activations import Activation, as_activation
from basins.io.case import Case, Witness
from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable
from basins.model.network import features, loss as net_loss
from basins.parallel import blas_threads

__all__ = ["HYPOTHESES", "TOLERANCE", "construct_prop4", "analyse_point"]

THEOREM = "Proposition 4"

#: The hypotheses of Proposition 4, by the names used in reports and errors.
HYPOTHESES: dict[str, str] = {
    "C2": "σ is C² in a neighbourhood of every pre-activation w_i x_j and w_0 x_j",
    "condition 1": "z_1, ..., z_m are linearly independent",
    "condition 2": "each z″_i is linearly independent of S = span{z_j, z′_j}",
    "condition 3": "z_0 = σ(w_0 x) is linearly independent of S for some w_0",
    "signs": "some a ⟂ S has v_i (a·z″_i) > 0 for every i",
}

#: Margins at or below this (all are scale-free, in [0, 1]) count as failed.
TOLERANCE = 1e-9

#: Above this m·(N − 2m) the choice of a avoids the linear program (see analyse_point).
_LARGE = 20_000

#: Pivots of the QR of [z_j, z′_j] (unit columns) below this, relative to the largest, count as a
#: rank deficiency of S.  a is orthogonal to every z_j, z′_j up to this level; a looser cut (1e-10)
#: once left a ⟂ S only to 2.6e-11, and the constructed point off criticality by |∇E| = 5e-9.
RANK_TOLERANCE = 1e-13

#: The search for w accepts only margins this large: smaller ones give cases whose Hessian is
#: too close to singular for float64 data (they "hold" but cannot be verified).
SEARCH_MIN_SCORE = 1e-6

#: Exhaustive sign patterns for the choice of a are tried up to this width.
_ENUMERATE_SIGNS_UP_TO = 6


@dataclass(frozen=True)
class _Analysis:
    """What the three conditions and the choice of a give at one w."""

    margin1: float            # smallest singular value of the unit-normalised z_i
    margin2: np.ndarray       # ||P_{S⊥} z″_i|| / ||z″_i||, per neuron
    dim_S: int
    basis: np.ndarray | None  # (N, k) orthonormal basis of S⊥ (None on the large path: see span)
    a: np.ndarray | None      # max-entry-normalised a, or None if none found
    margin_a: float           # min_i s_i (â·z″_i)/||z″_i|| with ||â||₂ = 1
    signs: np.ndarray | None  # s_i = sign(a·z″_i)
    z: np.ndarray
    z1: np.ndarray
    z2: np.ndarray
    span: np.ndarray | None = None  # (N, dim S) orthonormal basis of S, when basis is None

    def perp_norms(self, rows: np.ndarray) -> np.ndarray:
        """||P_{S⊥} row|| for each row of ``rows``."""
        if self.basis is not None:
            return np.linalg.norm(rows @ self.basis, axis=-1)
        span = self.span if self.span is not None else np.zeros((rows.shape[-1], 0))
        return np.linalg.norm(rows - (rows @ span) @ span.T, axis=-1)

    @property
    def score(self) -> float:
        return min(self.margin1, self.margin_a)


def _unit_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = np.linalg.norm(a, axis=1)
    safe = np.where(n > 0, n, 1.0)
    return a / safe[:, None], n


def _best_a(G: np.ndarray, signs: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximise τ s.t. s_i Ĝ_i·c ≥ τ, |c|_∞ ≤ 1 (a linear program); returns (c, τ)."""
    m, k = G.shape
    cost = np.zeros(k + 1)
    cost[-1] = -1.0
    A_ub = np.hstack([-(signs[:, None] * G), np.ones((m, 1))])
    res = scipy.optimize.linprog(
        cost, A_ub=A_ub, b_ub=np.zeros(m), bounds=[(-1.0, 1.0)] * k + [(None, 1.0)], method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
        return np.zeros(k), 0.0
    return res.x[:k], float(res.x[-1])


def analyse_point(activation: Activation | str, x: Any, w: Any, v: Any = None,
                  *, exhaustive_signs: bool = True) -> _Analysis:
    """Check conditions 1–2 at w and choose a (SPEC §2); no error is raised here.

    The rule for a: among a ∈ S⊥, maximise the smallest normalised margin
    s_i (a·z″_i)/||z″_i|| (a linear program over the coordinates of a in an
    orthonormal basis of S⊥, bounded in the max-norm), with s_i = sign(v_i)
    when v is given and otherwise the best sign pattern (all patterns up to
    width 6, the one suggested by the leading singular vector beyond);
    then scale a so that its largest entry in absolute value is ±1.

    Large problems (m·(N − 2m) > 20000, where the linear program and a full
    basis of S⊥ would dominate the time) take the equal-margin rule instead:
    a = Gᵀ(GGᵀ)⁻¹s with G the rows P_{S⊥} z″_i/||z″_i||, the minimum-norm a ⟂ S
    with s_i (a·z″_i)/||z″_i|| = 1 for every i, from an economic QR of S.
    """
    act = as_activation(activation)
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    m, n = w.size, x.size
    z, z1, z2 = features(act, x, w)
    zn, _ = _unit_rows(z)
    margin1 = float(np.linalg.svd(zn.T, compute_uv=False).min()) if np.all(np.isfinite(zn)) else 0.0
    A, _ = _unit_rows(np.vstack([z, z1]))
    if m * (n - 2 * m) > _LARGE and np.all(np.isfinite(A)):
        with blas_threads(1):               # robust on a machine shared with other work
            return _analyse_large(A, z, z1, z2, margin1, v)
    q, r, _ = scipy.linalg.qr(A.T, mode="full", pivoting=True)
    d = np.abs(np.diag(r))
    dim_s = int(np.sum(d > RANK_TOLERANCE * d[0])) if d.size and d[0] > 0 else 0
    basis = q[:, dim_s:]
    z2n, _ = _unit_rows(z2)
    G = z2n @ basis                      # (m, k)
    margin2 = np.linalg.norm(G, axis=1) if basis.shape[1] else np.zeros(m)
    empty = _Analysis(margin1, margin2, dim_s, basis, None, 0.0, None, z, z1, z2)
    if basis.shape[1] == 0 or margin2.min() <= TOLERANCE:
        return empty
    if v is not None:
        patterns = [np.sign(np.asarray(v, dtype=float))]
    elif exhaustive_signs and m <= _ENUMERATE_SIGNS_UP_TO:
        patterns = [np.array((1.0,) + p) for p in itertools.product((1.0, -1.0), repeat=m - 1)]
    else:
        u = np.linalg.svd(G, full_matrices=False)[2][0]
        s = np.sign(G @ u)
        patterns = [np.where(s == 0, 1.0, s)]
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for s in patterns:
        c, _ = _best_a(G, s)
        nc = np.linalg.norm(c)
        if nc == 0:
            continue
        margin = float(np.min(s * (G @ c)) / nc)
        if best is None or margin > best[0]:
            best = (margin, c, s)
    if best is None or best[0] <= TOLERANCE:
        return empty
    margin_a, c, s = best
    a = basis @ c
    a = a / np.max(np.abs(a))
    return _Analysis(margin1, margin2, dim_s, basis, a, margin_a, s, z, z1, z2)


def _analyse_large(A: np.ndarray, z: np.ndarray, z1: np.ndarray, z2: np.ndarray, margin1: float,
                   v: Any) -> _Analysis:
    """:func:`analyse_point` for large m and N: economic QR of S, equal-margin a (no LP)."""
    q, r, _ = scipy.linalg.qr(A.T, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    dim_s = int(np.sum(d > RANK_TOLERANCE * d[0])) if d.size and d[0] > 0 else 0
    span = q[:, :dim_s]
    z2n, _ = _unit_rows(z2)
    G = z2n - (z2n @ span) @ span.T          # rows P_{S⊥} z″_i/||z″_i||, (m, N)
    margin2 = np.linalg.norm(G, axis=1)
    empty = _Analysis(margin1, margin2, dim_s, None, None, 0.0, None, z, z1, z2, span)
    if dim_s >= z.shape[1] or margin2.min() <= TOLERANCE:
        return empty
    if v is not None:
        s = np.sign(np.asarray(v, dtype=float))
    else:
        s = np.sign(G @ np.linalg.svd(G, full_matrices=False)[2][0])
        s = np.where(s == 0, 1.0, s)
    lam = np.linalg.lstsq(G @ G.T, s, rcond=None)[0]
    a = G.T @ lam
    a -= span @ (span.T @ a)                 # back onto S⊥ against rounding
    na = float(np.linalg.norm(a))
    margin_a = float(np.min(s * (G @ a)) / na) if na > 0 else 0.0
    if margin_a <= TOLERANCE:
        return empty
    return _Analysis(margin1, margin2, dim_s, None, a / np.max(np.abs(a)), margin_a, s, z, z1, z2, span)


def _c2_margin(act: Activation, pre: np.ndarray) -> tuple[float, float | None]:
    """Distance of the pre-activations from the points where σ is not C².

    When the set of such points is not known (a switch with infinitely many
    zeros, such as the kinks of ``Abs(sin(t))``), smoothness is decided in
    ball arithmetic on a small ball around each pre-activation, and an
    undecided one counts as distance 0.
    """
    if not act.kinks_known:
        import flint

        for u in np.asarray(pre, dtype=float).ravel():
            state, _ = act.c2_on_ball(flint.arb(float(u), 1e-6 * max(1.0, abs(float(u)))))
            if state is not True:
                return 0.0, float(u)
    pts = [float(p) for p in act.nonsmooth_points] if not act.is_c2 else []
    if not pts:
        return float("inf"), None
    dist = np.abs(pre.ravel()[:, None] - np.array(pts)[None, :])
    j = np.unravel_index(np.argmin(dist), dist.shape)
    return float(dist[j]), pts[j[1]]


def _check_activation(act: Activation) -> None:
    if act.is_positively_homogeneous:
        raise NotApplicable(
            f"activation={act.name!r} is positively homogeneous (σ(αt) = ασ(t), α > 0): by Theorem 5 "
            "of the paper its loss has no set-wise strict local minimum at any width, so no bad basin "
            "exists; `basins explain --activation ...` shows the flat path (Mv, w/M)",
            theorem="Theorem 5", hypothesis="σ is not positively homogeneous")
    if act.piecewise_linear is not None:
        raise NotApplicable(
            f"activation={act.name!r} is piecewise linear, so σ″ = 0 wherever it exists and every z″_i = 0 "
            "lies in S: condition 2 of Proposition 4 fails; Theorem 7 constructs bad basins for "
            "piecewise-linear σ (`basins construct --theorem 7`)",
            theorem=THEOREM, hypothesis="condition 2")


def _require_c2(act: Activation, pre: np.ndarray, what: str) -> float:
    dist, point = _c2_margin(act, pre)
    if point is not None and dist <= 1e-8 * max(1.0, abs(point)):
        state = ("is not C² at" if act.kinks_known else
                 "is not proved C² (its set of kinks is not known; decided in balls) near")
        raise NotApplicable(
            f"activation={act.name!r} {state} t = {point:g}, and the pre-activation {what} sits there: "
            f"Proposition 4 needs {HYPOTHESES['C2']}",
            theorem=THEOREM, hypothesis="C2")
    return dist


def _fail(name: str, detail: str) -> HypothesisFailed:
    return HypothesisFailed(f"{THEOREM} {name} fails: {HYPOTHESES[name]} — {detail}",
                            theorem=THEOREM, hypothesis=name)


def _search_w(act: Activation, x: np.ndarray, m: int, v: np.ndarray | None, seed: int, trials: int
              ) -> tuple[np.ndarray, _Analysis, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    scale = 1.0 / float(np.sqrt(np.mean(x * x)))
    best: tuple[float, np.ndarray, _Analysis] | None = None
    tried = 0
    failures: dict[str, int] = {}
    for _ in range(trials):
        # log-uniform magnitudes: small weights make the features of an analytic σ nearly dependent
        w = rng.choice((-1.0, 1.0), m) * np.exp(rng.uniform(np.log(0.1), np.log(8.0), m)) * scale
        if np.unique(w).size != m:
            continue
        dist, point = _c2_margin(act, np.outer(w, x))
        if point is not None and dist <= 1e-3 * max(1.0, abs(point)):
            continue
        tried += 1
        an = analyse_point(act, x, w, v, exhaustive_signs=False)
        failed = ("condition 1" if an.margin1 <= TOLERANCE else "condition 2" if an.margin2.min() <= TOLERANCE
                  else "signs" if an.a is None else None)
        if failed:
            failures[failed] = failures.get(failed, 0) + 1
        if an.a is not None and (best is None or an.score > best[0]):
            best = (an.score, w, an)
    if best is None or best[0] < SEARCH_MIN_SCORE:
        found = "none holds" if best is None else f"the best margin is {best[0]:.3g}"
        if failures:
            found += "; failed: " + ", ".join(f"{k} in {n}" for k, n in sorted(failures.items()))
        raise HypothesisFailed(
            f"{THEOREM}: no w among {trials} seeded trials (seed={seed}) satisfies conditions 1–2 with a "
            f"sign-matched a and margins ≥ {SEARCH_MIN_SCORE:g} for activation={act.name!r}, N={x.size}, "
            f"m={m} ({found}); the conditions need room: dim S ≤ 2m = {2 * m} must stay below N = {x.size}; "
            "try more --trials, another seed, or give w",
            theorem=THEOREM, hypothesis="condition 2")
    w = best[1]
    an = analyse_point(act, x, w, v, exhaustive_signs=True)
    return w, an, {"seed": seed, "trials": trials, "candidates": tried, "score": an.score}


def _witness(act: Activation, x: np.ndarray, y: np.ndarray, w: np.ndarray, an: _Analysis,
             a: np.ndarray, yhat: np.ndarray, M: float, w0: float | None
             ) -> tuple[float, np.ndarray, np.ndarray, float, dict[str, Any]]:
    """Choose w_0 (the best on a grid unless given) and the least-squares witness."""
    if w0 is None:
        base = 1.0 / float(np.max(np.abs(x)))
        mags = np.geomspace(1e-3, 30.0, 400) * base
        grid = np.concatenate([-mags[::-1], mags])
        zg = act.numpy(0)(np.outer(grid, x))
        ok = np.all(np.isfinite(zg), axis=1)
        nz = np.linalg.norm(zg, axis=1)
        ok &= nz > 1e-3 * np.max(nz[ok], initial=0.0)  # a vanishing z_0 asks for a huge, ill-conditioned ṽ_1
        # condition 3 margin of each candidate
        m3 = np.zeros(grid.size)
        m3[ok] = an.perp_norms(zg[ok] / nz[ok, None])
        gain = np.full(grid.size, -np.inf)
        good = ok & (m3 > 1e-6)
        gain[good] = (zg[good] @ y) ** 2 / nz[good] ** 2
        if not np.any(np.isfinite(gain)):
            raise _fail("condition 3", f"no w_0 on a grid of {grid.size} values gives z_0 outside S")
        w0 = float(grid[int(np.argmax(gain))])
    z0 = act.numpy(0)(w0 * x)
    nz0 = float(np.linalg.norm(z0))
    margin3 = float(an.perp_norms(z0 / nz0)) if nz0 > 0 else 0.0
    if not np.all(np.isfinite(z0)) or margin3 <= TOLERANCE:
        raise _fail("condition 3", f"w_0={w0!r} gives z_0 in S (margin {margin3:.3g})")
    s = float(a @ z0)
    p, q = float(yhat @ z0), float(np.linalg.norm(yhat)) * nz0
    threshold = (q + np.sign(s) * p) / abs(s) if s != 0 else float("inf")
    # witness: neuron 1 moved to w_0, output weights by least squares on [z_0, z_2..z_m]
    ww = w.copy()
    ww[0] = w0
    Zw = act.numpy(0)(np.outer(ww, x))
    vw = np.linalg.lstsq(Zw.T, y, rcond=None)[0]
    info = {
        "w0": w0,
        "condition 3 margin": margin3,
        "a.z0 / |z0|": s / nz0,
        "rho": float(y @ z0) / nz0 ** 2 / M,
        "M_threshold": float(threshold),
        "threshold rule": "E(witness) < E for every M > M_threshold, with witness w̃_1 = w_0, "
                          "ṽ_1 = (y·z_0)/||z_0||², ṽ_i = 0 (i ≥ 2): M_threshold = "
                          "(||ŷ||·||z_0|| + sign(a·z_0)·ŷ·z_0)/|a·z_0|",
    }
    return w0, vw, ww, float(threshold), info


def _descend(act: Activation, x: np.ndarray, y: np.ndarray, v: np.ndarray, w: np.ndarray,
             seed: int, starts: int = 12) -> tuple[np.ndarray, np.ndarray, float]:
    """The lowest point L-BFGS-B reaches from (v, w) and from seeded random starts."""
    from basins.model.network import gradient as net_gradient

    m = v.size

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        vv, ww = theta[:m], theta[m:]
        with np.errstate(all="ignore"):
            val, grad = net_loss(act, x, y, vv, ww), net_gradient(act, x, y, vv, ww)
        if not (np.isfinite(val) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros_like(theta)  # overflow: a wall the line search backs off from
        return val, grad

    rng = np.random.default_rng(seed)
    scale = 1.0 / float(np.sqrt(np.mean(x * x)))
    inits = [(v, w)]
    for _ in range(starts):
        wr = rng.normal(0.0, 2.0, m) * scale
        vr = np.linalg.lstsq(act.numpy(0)(np.outer(wr, x)).T, y, rcond=None)[0]
        inits.append((vr, wr))
    best = (v, w, net_loss(act, x, y, v, w))
    for v0, w0 in inits:
        res = scipy.optimize.minimize(fun, np.concatenate([v0, w0]), jac=True, method="L-BFGS-B",
                                      options={"maxiter": 1000})
        vv, ww = res.x[:m], res.x[m:]
        val = net_loss(act, x, y, vv, ww)
        if np.isfinite(val) and val < best[2]:
            best = (vv, ww, val)
    return best


def construct_prop4(
    activation: Activation | str,
    x: Sequence[float] | np.ndarray = (0.1, 2.0, 3.0),
    *,
    w: Sequence[float] | np.ndarray | None = None,
    v: Sequence[float] | np.ndarray | None = None,
    width: int | None = None,
    M: float = 100.0,
    w0: float | None = None,
    seed: int = 0,
    trials: int = 64,
) -> Case:
    """Build the bad basin of Proposition 4 and return it as a :class:`Case`.

    Parameters
    ----------
    activation : str or Activation
        A registry name, an expression in ``t`` or an Activation (C² near the
        pre-activations; not positively homogeneous, not piecewise linear).
    x : sequence of float
        The N inputs (no zero, no repeated entry).
    w : sequence of float, optional
        Hidden weights; searched for (seeded, deterministic) when omitted.
    v : sequence of float, optional
        Output weights; only their signs matter for the construction, and a
        is chosen to match them.  Default: v_i = sign(a·z″_i).
    width : int, optional
        m, when neither w nor v is given (default 1).
    M : float
        The scale in y = ŷ − M a (> 0).
    w0 : float, optional
        The weight of the witness neuron (condition 3); default: the best on
        a grid for the witness's loss.
    seed, trials : int
        Seed and number of random candidates of the search for w.

    Returns
    -------
    Case
        ``details`` holds a, M, the conditions with their margins, the
        threshold M_threshold above which the witness is lower, and the search.

    Raises
    ------
    NotApplicable, HypothesisFailed, InvalidArgument
        With the hypothesis that fails (``.hypothesis``) named in the message.

    Examples
    --------
    The paper's Example 2 (swish, x = (0.1, 2, 3), w = v = 1, M = 100):

    >>> case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0], M=100)
    >>> [round(a, 4) for a in case.details["a"]]
    [1.0, 0.0294, -0.0365]
    >>> [round(yi, 4) for yi in case.y]
    [-99.9475, -1.1766, 6.506]
    >>> case.witness.loss < case.loss
    True

    References
    ----------
    Li, Ding & Sun, Proposition 4 and Example 2 (arXiv:1812.11039).
    """
    act = as_activation(activation)
    x = data_x(x, theorem=THEOREM)
    M = positive("M", M)
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise InvalidArgument(f"trials={trials!r} must be a positive integer")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidArgument(f"seed={seed!r} must be a non-negative integer")
    w_arr = None if w is None else vector("w", w)
    v_arr = None if v is None else vector("v", v)
    sizes = {k: s for k, s in (("w", None if w_arr is None else w_arr.size),
                               ("v", None if v_arr is None else v_arr.size), ("width", width)) if s is not None}
    if len(set(sizes.values())) > 1:
        raise InvalidArgument(f"the widths disagree: {', '.join(f'{k} gives {s}' for k, s in sizes.items())}")
    m = next(iter(sizes.values()), 1)
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)):
        raise InvalidArgument(f"width={width!r} must be a positive integer")
    m = int(m)
    width_below_samples(m, x.size)
    if v_arr is not None and np.any(v_arr == 0):
        raise _fail("signs", f"v={v_arr.tolist()} has a zero entry, but v_i (a·z″_i) > 0 needs v_i ≠ 0")
    if w0 is not None:
        w0 = float(vector("w0", [w0])[0])
    _check_activation(act)

    search: dict[str, Any] | None = None
    if w_arr is None:
        w_arr, an, search = _search_w(act, x, m, v_arr, seed, trials)
    else:
        if np.unique(w_arr).size != m:
            raise _fail("condition 1", f"w={w_arr.tolist()} has a repeated entry, so two z_i coincide")
        _require_c2(act, np.outer(w_arr, x), "w_i x_j")
        an = analyse_point(act, x, w_arr, v_arr)
    if an.margin1 <= TOLERANCE:
        raise _fail("condition 1", f"smallest singular value of the normalised z_i is {an.margin1:.3g}")
    if an.margin2.min() <= TOLERANCE:
        i = int(np.argmin(an.margin2))
        hint = f" (dim S = {an.dim_S} already fills R^{x.size})" if an.dim_S >= x.size else ""
        raise _fail("condition 2", f"z″_{i + 1} lies in S (margin {an.margin2[i]:.3g}){hint}")
    if an.a is None:
        raise _fail("signs", f"no a ⟂ S matches the signs of v={None if v_arr is None else v_arr.tolist()}")
    a, signs = an.a, an.signs
    assert signs is not None  # set together with a
    v_out = v_arr if v_arr is not None else signs.astype(float)
    yhat = v_out @ an.z
    y = yhat - M * a
    if not np.all(np.isfinite(y)):
        raise InvalidArgument(f"M={M!r} makes y overflow")
    loss = net_loss(act, x, y, v_out, w_arr)
    with blas_threads(1):
        w0_used, vw, ww, threshold, w_info = _witness(act, x, y, w_arr, an, a, yhat, M, w0)
    _require_c2(act, w0_used * x, "w_0 x_j")
    wloss = net_loss(act, x, y, vw, ww)
    if not wloss < loss:
        vw, ww, wloss = _descend(act, x, y, vw, ww, seed)
        w_info["witness rule"] = ("the paper's witness family needs M > M_threshold; the witness is "
                                  "L-BFGS-B run from it (any point of lower loss proves sub-optimality)")
    else:
        w_info["witness rule"] = "w̃ = (w_0, w_2, ..., w_m), ṽ by least squares"
    if not wloss < loss:
        raise NotApplicable(
            f"M={M!r} is not above the sub-optimality threshold M_threshold={threshold:.6g} for w_0={w0_used:.6g}: "
            f"the point is a strict local minimum but the witness has loss {wloss:.6g} ≥ E = {loss:.6g}; "
            "raise M or choose another w_0",
            theorem=THEOREM, hypothesis="M > M_threshold")
    az2 = an.z2 @ a
    details = {
        "construction": "y = ŷ − M a with a ⟂ S = span{z_j, z′_j}, v_i (a·z″_i) > 0",
        "a": a.tolist(),
        "a rule": "maximise min_i s_i (a·z″_i)/||z″_i|| over a ∈ S⊥ (linear program), "
                  "then scale a so that max_n |a_n| = 1",
        "M": M,
        "expected loss M^2 |a|^2": M * M * float(a @ a),
        "a.z2": az2.tolist(),
        "conditions": {
            "C2": {"holds": True, "what": HYPOTHESES["C2"],
                   "margin": _c2_margin(act, np.concatenate([np.outer(w_arr, x).ravel(), w0_used * x]))[0],
                   "nonsmooth points of σ": [str(p) for p in act.nonsmooth_points]},
            "condition 1": {"holds": True, "what": HYPOTHESES["condition 1"], "margin": an.margin1},
            "condition 2": {"holds": True, "what": HYPOTHESES["condition 2"], "margin": float(an.margin2.min()),
                            "margins": an.margin2.tolist(), "dim S": an.dim_S},
            "condition 3": {"holds": True, "what": HYPOTHESES["condition 3"],
                            "margin": w_info["condition 3 margin"], "w0": w0_used},
            "signs": {"holds": True, "what": HYPOTHESES["signs"], "margin": an.margin_a,
                      "signs": signs.tolist()},
        },
        "witness": w_info,
        "hessian formula": "2JᵀJ + 2M·diag(0, v_i a·z″_i)",
        "search": search,
    }
    return Case(
        activation=act, x=tuple(x.tolist()), y=tuple(y.tolist()), v=tuple(v_out.tolist()),
        w=tuple(w_arr.tolist()), theorem=THEOREM, loss=loss,
        witness=Witness(tuple(vw.tolist()), tuple(ww.tolist()), wloss), details=details,
    )
