"""The generalized Proposition 4 (SPEC §11): bad basins with d-dimensional inputs and biases.

Inputs x_n ∈ R^d, x̃_n = (x_n, 1) with a hidden bias (D = d + 1) or x_n (D = d),
hidden weights w_i ∈ R^D and an optional output bias c:

    ŷ_n = Σ_i v_i σ(w_i · x̃_n) + c,     E = ||y − ŷ||².

With z_i = σ(X̃ w_i), z′_{i,k} = X̃_{:,k} ∘ σ′(X̃ w_i), S = span{z_i, z′_{i,k}} (and 1
with an output bias) and A_i(a) = Σ_n a_n σ″(w_i · x̃_n) x̃_n x̃_nᵀ: if

1. z_1..z_m (and 1, with an output bias) are linearly independent, and
2. some a ⟂ S makes every A_i(a) definite,

then with v_i A_i(a) ≻ 0 and y = ŷ − M a (M > 0) the point θ is a strict local
minimum with E = M²||a||² and ∇²E = 2JᵀJ + 2M·blockdiag(0, v_i A_i(a), 0) ≻ 0.
For M above a threshold the one-neuron point (ṽ_1 = ρM, w̃_1 = w_0, other v = 0,
c unchanged) has lower loss.  For d = 1 without biases A_i(a) = a·z″_i and this
is the paper's Proposition 4 (:mod:`basins.constructions.prop4`).

a is chosen by a semidefinite program over a = Q b ∈ S⊥ (Q an orthonormal basis
of S⊥ from an SVD): maximise t subject to s_i Â_i(a) ⪰ t·I and ||a||_∞ ≤ 1, where
Â_i = A_i/scale_i (scale_i = ||(σ″(w_i·x̃_n) ||x̃_n||²)_n||, so that
||A_i(a)|| ≤ ||a||·scale_i); solved with cvxpy and Clarabel.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 (arXiv:1812.11039); SPEC §11.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import scipy.optimize

from basins.activations import Activation, as_activation
from basins.constructions.general_checks import engine_inputs, lower_point
from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable, VerificationFailed
from basins.io.case import Case, Witness
from basins.model import engine
from basins.validate import matrix
from basins.verification.verify import verify_case

__all__ = ["THEOREM", "HYPOTHESES", "TOLERANCE", "construct_general", "analyse_general", "curvature_matrices",
           "minimum_samples"]

THEOREM = "Proposition 4 (SPEC §11)"

#: The hypotheses of the generalized Proposition 4, by the names used in reports and errors.
HYPOTHESES: dict[str, str] = {
    "counting": "N > dim S = m(D + 1) (+ 1 with an output bias), so that S⊥ ≠ {0}",
    "C2": "σ is C² at every pre-activation w_i · x̃_n and w_0 · x̃_n",
    "condition 1": "z_1, ..., z_m (and 1, with an output bias) are linearly independent",
    "condition 2": "some a ⟂ S makes every A_i(a) = Σ_n a_n σ″(w_i·x̃_n) x̃_n x̃_nᵀ definite, "
                   "with the sign of v_i (v_i A_i(a) ≻ 0)",
    "witness": "some z_0 = σ(X̃ w_0) has a·z_0 ≠ 0 (sub-optimal for M above a threshold)",
}

#: Scale-free margins at or below this count as failed.
TOLERANCE = 1e-9

#: Singular values of the unit-column matrix of S below this, relative to the largest, are a rank deficiency.
RANK_TOLERANCE = 1e-13

#: M when none is given: this, or twice the sub-optimality threshold when that is larger.
DEFAULT_M = 100.0

#: Sign patterns are enumerated up to this width (2^(m−1) semidefinite programs).
ENUMERATE_SIGNS_UP_TO = 5


@dataclass(frozen=True)
class Analysis:
    """Conditions 1–2 and the choice of a at one W (no error raised here)."""

    margin1: float              # σ_min of the unit-normalised [z_1..z_m (, 1)]
    dim_S: int
    basis: np.ndarray           # (N, k) orthonormal basis of S⊥
    scales: np.ndarray          # (m,) scale_i
    a: np.ndarray | None        # max-entry-normalised a, or None when none was found
    margins2: np.ndarray        # (m,) λ_min(s_i A_i(a)) / (||a|| scale_i)
    signs: np.ndarray | None
    sdp: dict[str, Any] = field(default_factory=dict)
    s0: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))   # σ(X̃ wᵢ), (N, m)
    s2: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))   # σ″(X̃ wᵢ), (N, m)

    @property
    def margin2(self) -> float:
        return float(np.min(self.margins2)) if self.a is not None and self.margins2.size else 0.0

    @property
    def score(self) -> float:
        return min(self.margin1, self.margin2)


def minimum_samples(m: int, D: int, output_bias: bool) -> int:
    """The counting bound: N must exceed dim S = m(D + 1) (+ 1), so N ≥ this.

    >>> minimum_samples(2, 3, True)
    10
    """
    return m * (D + 1) + int(output_bias) + 1


def curvature_matrices(Xt: np.ndarray, s2: np.ndarray, a: np.ndarray) -> np.ndarray:
    """A_i(a) = Σ_n a_n σ″(w_i·x̃_n) x̃_n x̃_nᵀ for every neuron: shape (m, D, D).

    ``Xt`` is X̃ (N, D), ``s2`` the σ″(X̃ w_i) as columns (N, m), ``a`` (N,).

    >>> curvature_matrices(np.array([[1.0, 2.0], [3.0, 1.0]]), np.ones((2, 1)), np.array([1.0, -1.0]))[0]
    array([[-8., -1.],
           [-1.,  3.]])
    """
    return np.einsum("n,ni,nd,ne->ide", a, s2, Xt, Xt, optimize=True)


def _features(act: Activation, Xt: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """σ, σ′, σ″ at the pre-activations X̃ W ᵀ, each (N, m)."""
    u = Xt @ W.T
    with np.errstate(all="ignore"):
        return act.numpy(0)(u), act.numpy(1)(u), act.numpy(2)(u)


def _unit_columns(A: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(A, axis=0)
    return A / np.where(n > 0, n, 1.0)


def _span(Xt: np.ndarray, s0: np.ndarray, s1: np.ndarray, output_bias: bool) -> tuple[float, int, np.ndarray]:
    """(margin of condition 1, dim S, an orthonormal basis of S⊥) from the SVD of the unit columns of S."""
    N, D = Xt.shape
    m = s0.shape[1]
    ones = [np.ones((N, 1))] if output_bias else []
    Z = _unit_columns(np.hstack([s0] + ones))
    margin1 = float(np.linalg.svd(Z, compute_uv=False).min())
    z1 = (s1[:, :, None] * Xt[:, None, :]).reshape(N, m * D)          # column i·D + k
    S = _unit_columns(np.hstack([s0, z1] + ones))
    U, sv, _ = np.linalg.svd(S, full_matrices=True)
    dim = int(np.sum(sv > RANK_TOLERANCE * sv[0])) if sv.size and sv[0] > 0 else 0
    return margin1, dim, U[:, dim:]


def _scales(Xt: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """scale_i = ||(σ″(w_i·x̃_n) ||x̃_n||²)_n||, so that ||A_i(a)||₂ ≤ ||a||·scale_i."""
    return np.linalg.norm(s2 * np.sum(Xt * Xt, axis=1)[:, None], axis=0)


def _maps(Xt: np.ndarray, s2: np.ndarray, Q: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """B[i, j] = Â_i(Q[:, j]) as (m, k, D·D): the normalised A_i is linear in the coordinates b of a = Q b."""
    safe = np.where(scales > 0, scales, 1.0)
    P = (Xt[:, :, None] * Xt[:, None, :]).reshape(Xt.shape[0], -1)             # x̃_n x̃_nᵀ, (N, D²)
    return np.stack([(Q * (s2[:, i] / safe[i])[:, None]).T @ P for i in range(s2.shape[1])])


def _normalised_margins(B: np.ndarray, b: np.ndarray, signs: np.ndarray, D: int) -> np.ndarray:
    """λ_min(s_i Â_i(Q b)) / ||b|| per neuron (||Q b|| = ||b||)."""
    nb = float(np.linalg.norm(b))
    if nb == 0 or not np.isfinite(nb):
        return np.zeros(B.shape[0])
    mats = np.einsum("ijp,j->ip", B, b).reshape(-1, D, D) * signs[:, None, None]
    return np.linalg.eigvalsh(mats)[:, 0] / nb


def _patterns(m: int, v: np.ndarray | None, B: np.ndarray, D: int) -> list[np.ndarray]:
    """Sign patterns s to try: sign(v) when given; all with s_1 = +1 up to a width; else one guessed."""
    if v is not None:
        return [np.sign(v)]
    if m <= ENUMERATE_SIGNS_UP_TO:
        return [np.array((1.0,) + p) for p in itertools.product((1.0, -1.0), repeat=m - 1)]
    traces = B[:, :, :: D + 1].sum(axis=2)                # tr Â_i(Q e_j), (m, k)
    u = np.linalg.svd(traces, full_matrices=False)[2][0]
    s = np.sign(traces @ u)
    return [np.where(s == 0, 1.0, s)]


def _least_squares_direction(B: np.ndarray, signs: np.ndarray, D: int) -> np.ndarray:
    """The b whose s_i Â_i(Q b) are closest to I in the Frobenius norm (the search's cheap surrogate)."""
    L = (B * signs[:, None, None]).transpose(0, 2, 1).reshape(-1, B.shape[1])      # (m·D², k)
    target = np.tile(np.eye(D).ravel(), B.shape[0])
    return np.linalg.lstsq(L, target, rcond=None)[0]


def _sdp(B: np.ndarray, Q: np.ndarray, signs: np.ndarray, D: int) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Maximise t s.t. s_i Â_i(Q b) ⪰ t I, ||Q b||_∞ ≤ 1 (cvxpy, Clarabel); (b or None, solver report)."""
    import cvxpy as cp

    k = B.shape[1]
    b, t = cp.Variable(k), cp.Variable()
    cons = [cp.abs(Q @ b) <= 1]
    for i in range(B.shape[0]):
        flat = B[i].T @ b
        if D == 1:
            cons.append(signs[i] * flat >= t)
        else:
            Mi = signs[i] * cp.reshape(flat, (D, D), order="C")
            cons.append((Mi + Mi.T) / 2 - t * np.eye(D) >> 0)
    prob = cp.Problem(cp.Maximize(t), cons)
    try:
        with warnings.catch_warnings():         # "may be inaccurate": the status says so, and a is re-checked
            warnings.simplefilter("ignore")
            prob.solve(solver=cp.CLARABEL)
    except cp.error.SolverError as exc:
        return None, {"solver": "Clarabel (cvxpy)", "status": f"solver error: {exc}"}
    report = {"solver": "Clarabel (cvxpy)", "status": str(prob.status),
              "t": None if t.value is None else float(t.value), "signs": signs.tolist()}
    if prob.status not in ("optimal", "optimal_inaccurate") or b.value is None:
        return None, report
    return np.asarray(b.value, dtype=float), report


def analyse_general(activation: Activation | str, Xt: Any, W: Any, v: Any = None, *, output_bias: bool = False,
                    sdp: bool = True) -> Analysis:
    """Conditions 1–2 at W, with a chosen by the semidefinite program (``sdp=False``: by least squares).

    ``Xt`` is X̃ (N, D) — with a hidden bias its last column is ones — and
    ``W`` the hidden weights (m, D).  The margins are scale-free, in [0, 1]:
    condition 1 is σ_min of the unit-normalised [z_1..z_m (, 1)], condition 2
    is min_i λ_min(s_i A_i(a)) / (||a||·scale_i).  Every sign pattern is tried
    up to width 5 when v is not given (A_i(−a) = −A_i(a), so s_1 = +1).
    """
    act = as_activation(activation)
    Xt = np.asarray(Xt, dtype=float)
    W = np.asarray(W, dtype=float).reshape(-1, Xt.shape[1])
    m, D = W.shape
    s0, s1, s2 = _features(act, Xt, W)
    empty_margins = np.zeros(m)
    if not (np.all(np.isfinite(s0)) and np.all(np.isfinite(s1)) and np.all(np.isfinite(s2))):
        return Analysis(0.0, 0, np.zeros((Xt.shape[0], 0)), np.zeros(m), None, empty_margins, None,
                        {"status": "features are not finite"}, s0, s2)
    margin1, dim, Q = _span(Xt, s0, s1, output_bias)
    scales = _scales(Xt, s2)
    if Q.shape[1] == 0 or np.any(scales == 0):
        return Analysis(margin1, dim, Q, scales, None, empty_margins, None,
                        {"status": "S⊥ = {0}" if Q.shape[1] == 0 else "σ″ vanishes at every pre-activation"},
                        s0, s2)
    B = _maps(Xt, s2, Q, scales)
    best: tuple[float, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]] | None = None
    reports = []
    for s in _patterns(m, None if v is None else np.asarray(v, dtype=float), B, D):
        if sdp:
            b, rep = _sdp(B, Q, s, D)
            reports.append(rep)
        else:
            b, rep = _least_squares_direction(B, s, D), {"status": "least squares"}
        if b is None:
            continue
        margins = _normalised_margins(B, b, s, D)
        if best is None or margins.min() > best[0]:
            best = (float(margins.min()), b, s, margins, rep)
    if best is None:
        return Analysis(margin1, dim, Q, scales, None, empty_margins, None,
                        {"status": "no solution", "programs": reports}, s0, s2)
    _, b, s, margins, rep = best
    a = Q @ b
    a = a / np.max(np.abs(a))
    return Analysis(margin1, dim, Q, scales, a, margins, s, {**rep, "programs solved": len(reports)}, s0, s2)


# ------------------------------------------------------------------ arguments --

def _integer(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InvalidArgument(f"{name}={value!r} must be an integer ≥ {low}")
    return int(value)


def _check_activation(act: Activation) -> None:
    if act.is_positively_homogeneous:
        raise NotApplicable(
            f"activation={act.name!r} is positively homogeneous (σ(αt) = ασ(t), α > 0): Theorem 5's flat path "
            "(Mv, w/M) holds for any d and a hidden bias, so the loss has no set-wise strict local minimum",
            theorem="Theorem 5", hypothesis="σ is not positively homogeneous")
    if act.piecewise_linear is not None:
        raise NotApplicable(
            f"activation={act.name!r} is piecewise linear, so σ″ = 0 wherever it exists and every A_i(a) = 0: "
            f"condition 2 of {THEOREM} fails", theorem=THEOREM, hypothesis="condition 2")


def _c2_margin(act: Activation, pre: np.ndarray) -> float:
    """Distance of the pre-activations from the points where σ is not C² (NotApplicable when one sits there)."""
    if act.is_c2:
        return float("inf")
    if not act.kinks_known:
        raise NotApplicable(f"activation={act.name!r}: the points where σ is not C² are not known, so "
                            f"{HYPOTHESES['C2']} cannot be decided here", theorem=THEOREM, hypothesis="C2")
    pts = np.array([float(p) for p in act.nonsmooth_points])
    if pts.size == 0:
        return float("inf")
    dist = np.abs(pre.ravel()[:, None] - pts[None, :])
    j = np.unravel_index(np.argmin(dist), dist.shape)
    if dist[j] <= 1e-8 * max(1.0, abs(pts[j[1]])):
        raise NotApplicable(f"activation={act.name!r} is not C² at t = {pts[j[1]]:g}, and a pre-activation sits "
                            f"there: {THEOREM} needs {HYPOTHESES['C2']}", theorem=THEOREM, hypothesis="C2")
    return float(dist[j])


def _fail(name: str, detail: str) -> HypothesisFailed:
    return HypothesisFailed(f"{THEOREM} {name} fails: {HYPOTHESES[name]} — {detail}", theorem=THEOREM,
                            hypothesis=name)


# ------------------------------------------------------------------ search --

def _search_w(act: Activation, Xt: np.ndarray, m: int, v: np.ndarray | None, output_bias: bool, seed: int,
              trials: int, starts: int) -> tuple[np.ndarray, Analysis, dict[str, Any]]:
    """Seeded random W, the best ``starts`` polished by Nelder–Mead on the smallest surrogate margin, then
    the semidefinite program on the two best; the W of the largest smallest margin."""
    D = Xt.shape[1]
    rng = np.random.default_rng(seed)
    rms = float(np.sqrt(np.mean(np.sum(Xt * Xt, axis=1))))
    kinked = not act.is_c2

    def score(flat: np.ndarray) -> float:
        W = flat.reshape(m, D)
        if kinked:
            try:
                if _c2_margin(act, Xt @ W.T) < 1e-3:
                    return 0.0
            except NotApplicable:
                return 0.0
        an = analyse_general(act, Xt, W, v, output_bias=output_bias, sdp=False)
        return an.score if np.isfinite(an.score) else 0.0

    gains = np.array([0.5, 1.0, 2.0])
    cands = [rng.standard_normal(m * D) * gains[j % 3] / rms for j in range(trials)]
    scored = sorted(((score(c), j) for j, c in enumerate(cands)), key=lambda e: -e[0])
    polished = []
    for s0, j in scored[:starts]:
        res = scipy.optimize.minimize(lambda f: -score(f), cands[j], method="Nelder-Mead",
                                      options={"maxfev": 40 * m * D, "xatol": 1e-6, "fatol": 1e-12})
        s1 = -float(res.fun)
        polished.append((s1, res.x) if s1 > s0 else (s0, cands[j]))
    polished.sort(key=lambda e: -e[0])
    best: tuple[float, np.ndarray, Analysis] | None = None
    for _, flat in polished[:2]:
        W = flat.reshape(m, D)
        an = analyse_general(act, Xt, W, v, output_bias=output_bias)
        if best is None or an.score > best[0]:
            best = (an.score, W, an)
    assert best is not None
    info = {"seed": seed, "candidates": trials, "polished": min(starts, trials),
            "rule": "seeded normal W (pre-activations of scale 0.5, 1, 2), the best polished by Nelder–Mead on "
                    "min(condition 1 margin, least-squares condition 2 margin), then the semidefinite program "
                    "on the two best", "score": best[0]}
    return best[1], best[2], info


def _one_neuron_witness(act: Activation, Xt: np.ndarray, a: np.ndarray, net: np.ndarray, seed: int,
                        count: int = 400) -> dict[str, Any] | None:
    """The w_0 (of ``count`` seeded ones) with the smallest sub-optimality threshold M_threshold, among those
    whose margin |a·z_0|/(||a||·||z_0||) is at least a quarter of the largest.

    With y = ŷ − M a, r_net = ŷ − c·1 and z_0 = σ(X̃ w_0), the best ρ gives
    E(witness) − E = ||r_net||² − (M a·z_0 − r_net·z_0)²/||z_0||², negative exactly when
    M > (||r_net||·||z_0|| + sign(a·z_0)·r_net·z_0)/|a·z_0|.
    """
    D = Xt.shape[1]
    rng = np.random.default_rng(seed)
    rms = float(np.sqrt(np.mean(np.sum(Xt * Xt, axis=1))))
    W0 = rng.standard_normal((count, D)) * np.geomspace(0.1, 4.0, count)[:, None] / rms
    with np.errstate(all="ignore"):
        Z0 = act.numpy(0)(Xt @ W0.T).T                                   # (count, N)
    ok = np.all(np.isfinite(Z0), axis=1)
    nz = np.linalg.norm(np.where(ok[:, None], Z0, 0.0), axis=1)
    ok &= nz > 1e-3 * np.max(nz, initial=0.0)
    az = Z0 @ a
    margin3 = np.where(ok, np.abs(az) / (np.linalg.norm(a) * np.where(nz > 0, nz, 1.0)), 0.0)
    good = ok & (margin3 > 1e-6)
    if not np.any(good):
        return None
    good &= margin3 >= 0.25 * float(np.max(margin3[good]))     # a robust a·z_0 ≠ 0, then the lowest threshold
    q = float(np.linalg.norm(net))
    thr = np.full(count, np.inf)
    thr[good] = (nz[good] * q + np.sign(az[good]) * (Z0[good] @ net)) / np.abs(az[good])
    j = int(np.argmin(thr))
    return {"w0": W0[j], "z0": Z0[j], "M_threshold": float(thr[j]), "margin": float(margin3[j]),
            "a.z0 / |a||z0|": float(az[j] / (np.linalg.norm(a) * nz[j])), "candidates": count}


# ------------------------------------------------------------------ construction --

def _hessian_formula_residual(act: Activation, model: engine.Model, xs: Any, ws: Any, y: np.ndarray, v: np.ndarray,
                              c: float | None, M: float, A: np.ndarray) -> float:
    """How far the engine's ∇²E is from 2JᵀJ + 2M·blockdiag(0_m, v_i A_i(a), 0), relative (float64)."""
    ctx = engine.float_context(act)
    kw: dict[str, Any] = {} if model.scalar else {"c": c, "model": model}
    H = np.asarray(engine.hessian(ctx, xs, y, v, ws, **kw), dtype=float)
    J = np.asarray(engine.jacobian(ctx, xs, v, ws, **kw), dtype=float)
    m, D = A.shape[0], A.shape[1]
    F = 2 * J.T @ J
    for i in range(m):
        lo = m + i * D
        F[lo:lo + D, lo:lo + D] += 2 * M * v[i] * A[i]
    return float(np.max(np.abs(H - F)) / np.max(np.abs(H)))


def construct_general(activation: Activation | str, X: Any, *, width: int | None = None, bias: bool = False,
                      output_bias: bool = False, w: Any = None, v: Any = None, M: float | None = None,
                      c: float = 0.0, seed: int = 0, trials: int = 32, starts: int = 3, samples: int = 500,
                      dps: int = 50) -> Case:
    """Build the bad basin of the generalized Proposition 4 (SPEC §11) and verify it at ``dps`` digits.

    Parameters
    ----------
    activation : str or Activation
        C² at the pre-activations; not positively homogeneous, not piecewise linear.
    X : array_like, shape (N, d)
        The inputs (a 1-D sequence is N inputs of dimension 1).
    width : int, optional
        m, when neither w nor v is given (default 1).
    bias, output_bias : bool
        A hidden bias (x̃_n = (x_n, 1), D = d + 1) and an output bias c.
    w : array_like, shape (m, D), optional
        Hidden weights (a bias last); searched for (seeded) when omitted.
    v : array_like, shape (m,), optional
        Output weights; their signs fix those of the A_i(a).  Default v_i = s_i = ±1.
    M : float, optional
        The scale in y = ŷ − M a; default max(100, 2·M_threshold).
    c : float
        The output bias's value (with ``output_bias``).
    seed, trials, starts : int
        The seed of every random choice, the random W of the search and how many are polished.
    samples : int
        Random directions per radius of the sampling check of
        :func:`~basins.verification.verify.verify_case` (0: the axes and softest directions only).
    dps : int
        Digits of the verification (at least 20).

    Returns
    -------
    Case
        A "basins.case/2" case (the paper's "basins.case/1" when d = 1 without
        biases), its ``verification`` passed; ``details`` holds a, M, the
        conditions with their margins, the eigenvalues of each v_i A_i(a), the
        solver's status, the witness and the search.

    Raises
    ------
    InvalidArgument
        A bad argument, or a width that the counting N > m(D + 1) (+ 1) rules out.
    NotApplicable, HypothesisFailed
        A hypothesis fails; ``.hypothesis`` names it.
    VerificationFailed
        The constructed point fails its own 50-digit verification.

    Examples
    --------
    >>> X = np.random.default_rng(0).uniform(-2, 2, (12, 2))
    >>> case = construct_general("softplus", X, width=1, bias=True, seed=0, samples=0)
    >>> case.model.D, case.verification["status"], case.witness.loss < case.loss
    (3, 'verified numerically', True)
    """
    act = as_activation(activation)
    X = matrix("X", X)
    N, d = X.shape
    model = engine.Model(input_dim=d, hidden_bias=bool(bias), output_bias=bool(output_bias))
    D = model.D
    seed = _integer("seed", seed, 0)
    trials, starts, samples, dps = (_integer("trials", trials, 1), _integer("starts", starts, 1),
                                    _integer("samples", samples, 0), _integer("dps", dps, 20))
    hint = (f"the model needs D = d{' + 1' if bias else ''} = {D} numbers per neuron (d = {d} inputs"
            f"{', plus the hidden bias' if bias else ''})")
    W_in = None if w is None else matrix("w", w, D, hint)
    v_in = None if v is None else matrix("v", v).ravel()
    sizes = {k: s for k, s in (("w", None if W_in is None else W_in.shape[0]),
                               ("v", None if v_in is None else v_in.size), ("width", width)) if s is not None}
    if len(set(sizes.values())) > 1:
        raise InvalidArgument(f"the widths disagree: {', '.join(f'{k} gives {s}' for k, s in sizes.items())}")
    m = _integer("width", next(iter(sizes.values()), 1), 1)
    need = minimum_samples(m, D, model.output_bias)
    if N < need:
        raise InvalidArgument(
            f"width={m}: N={N} samples do not exceed dim S = m(D + 1){' + 1' if output_bias else ''} = {need - 1} "
            f"(d = {d}, D = {D}); {THEOREM} needs {HYPOTHESES['counting']}: give at least {need} samples "
            "or a smaller width")
    if v_in is not None and np.any(v_in == 0):
        raise _fail("condition 2", f"v={v_in.tolist()} has a zero entry, but v_i A_i(a) ≻ 0 needs v_i ≠ 0")
    if M is not None and not (isinstance(M, (int, float)) and np.isfinite(M) and M > 0):
        raise InvalidArgument(f"M={M!r} must be a positive finite number")
    if not (isinstance(c, (int, float)) and np.isfinite(c)):
        raise InvalidArgument(f"c={c!r} must be a finite number (the output bias)")
    if c != 0 and not output_bias:
        raise InvalidArgument(f"c={c!r}: the model has no output bias (output_bias=True makes c a parameter)")
    _check_activation(act)
    Xt = np.hstack([X, np.ones((N, 1))]) if bias else X

    search = None
    if W_in is None:
        W, an, search = _search_w(act, Xt, m, v_in, model.output_bias, seed, trials, starts)
    else:
        W = W_in
        _c2_margin(act, Xt @ W.T)
        an = analyse_general(act, Xt, W, v_in, output_bias=model.output_bias)
    if an.margin1 <= TOLERANCE:
        raise _fail("condition 1", f"the smallest singular value of the normalised [z_1..z_m"
                                   f"{', 1' if output_bias else ''}] is {an.margin1:.3g}")
    if an.a is None or an.margin2 <= TOLERANCE:
        raise _fail("condition 2", f"the semidefinite program over a ∈ S⊥ (dim S = {an.dim_S}, dim S⊥ = "
                                   f"{an.basis.shape[1]}) gives margin {an.margin2:.3g} "
                                   f"(solver status {an.sdp.get('status')!r})")
    a, signs = an.a, an.signs
    assert signs is not None
    v_out = v_in if v_in is not None else signs.astype(float)
    c_val = float(c) if output_bias else None
    net = an.s0 @ v_out                                      # Σ v_i z_i
    yhat = net + (c_val or 0.0)
    wit = _one_neuron_witness(act, Xt, a, net, seed)
    if wit is None:
        raise _fail("witness", "no seeded w_0 gives a z_0 with a·z_0 ≠ 0")
    M_rule = "given"
    if M is None:
        M = max(DEFAULT_M, 2.0 * wit["M_threshold"])
        M_rule = f"max({DEFAULT_M:g}, 2·M_threshold)"
    M = float(M)
    y = yhat - M * a
    if not np.all(np.isfinite(y)):
        raise InvalidArgument(f"M={M!r} makes y overflow")
    c2 = _c2_margin(act, np.concatenate([(Xt @ W.T).ravel(), Xt @ wit["w0"]]))

    # the one-neuron witness: w̃_1 = w_0, ṽ_1 = ρM = (y − c)·z_0/||z_0||², other v = 0, c unchanged
    z0 = wit["z0"]
    Ww = W.copy()
    Ww[0] = wit["w0"]
    vw = np.zeros(m)
    vw[0] = float((y - (c_val or 0.0)) @ z0 / (z0 @ z0))
    xs, ws = engine_inputs(model, X, W)
    kw: dict[str, Any] = {} if model.scalar else {"c": c_val, "model": model}
    mctx = engine.MpmathContext(act)
    with mpmath.workdps(dps):
        E = engine.loss(mctx, xs, y, v_out, ws, **kw)
        Ew = engine.loss(mctx, xs, y, vw, engine_inputs(model, X, Ww)[1], **kw)
        witness_rule = "w̃_1 = w_0, ṽ_1 = ρM = (y − c)·z_0/||z_0||², other v = 0, c unchanged (SPEC §11)"
        cw = c_val
        if not Ew < E:
            found = lower_point(act, model, X, y, v_out, W, c_val, E, seed=seed, dps=dps,
                                extra=[(vw, Ww, c_val)])
            if found is None:
                raise NotApplicable(
                    f"M={M!r} is not above the sub-optimality threshold M_threshold={wit['M_threshold']:.6g} of the "
                    f"one-neuron witness, and a seeded multistart search (seed={seed}) found no point below "
                    f"E = {float(E):.6g}: the point is a strict local minimum but no witness was found; raise M "
                    "or try another seed", theorem=THEOREM, hypothesis="M > M_threshold")
            vw, Ww, cw, Ew = found
            witness_rule = ("the lowest end point of a seeded multistart L-BFGS-B on E (float64), its loss "
                            f"re-evaluated at {dps} digits (any lower point proves sub-optimality)")
        loss, wloss, gap = float(E), float(Ew), float(E - Ew)
        expected = M * M * float(a @ a)
        rel = abs(float(E) - expected) / expected

    if not rel < 1e-9:
        raise VerificationFailed(f"E = {loss!r} at {dps} digits but M²||a||² = {expected!r} (relative difference "
                                 f"{rel:.3g}): y = ŷ − M a was not formed to float64 accuracy", check="loss")
    A = curvature_matrices(Xt, an.s2, a)
    eig = [np.linalg.eigvalsh(v_out[i] * A[i]).tolist() for i in range(m)]
    formula = _hessian_formula_residual(act, model, xs, ws, y, v_out, c_val, M, A)
    details: dict[str, Any] = {
        "construction": "y = ŷ − M a with a ⟂ S = span{z_i, z′_{i,k}" + (", 1" if output_bias else "") +
                        "}, v_i A_i(a) ≻ 0",
        "model": {"d": d, "D": D, "hidden bias": bool(bias), "output bias": bool(output_bias)},
        "a": a.tolist(),
        "a rule": "maximise t s.t. s_i A_i(a)/scale_i ⪰ t·I over a = Q b ∈ S⊥, ||a||_∞ ≤ 1 (semidefinite "
                  "program), then scale a so that max_n |a_n| = 1",
        "M": M, "M rule": M_rule,
        "expected loss M^2 |a|^2": expected,
        "loss check": {"E": loss, "relative difference from M^2 |a|^2": rel, "holds": bool(rel < 1e-9)},
        "eigenvalues of v_i A_i(a)": eig,
        "A_i scales": an.scales.tolist(),
        "sdp": an.sdp,
        "conditions": {
            "counting": {"holds": True, "what": HYPOTHESES["counting"], "margin": float(N - need + 1),
                         "N": N, "dim S bound": need - 1, "dim S": an.dim_S},
            "C2": {"holds": True, "what": HYPOTHESES["C2"], "margin": c2,
                   "nonsmooth points of σ": [str(p) for p in act.nonsmooth_points]},
            "condition 1": {"holds": True, "what": HYPOTHESES["condition 1"], "margin": an.margin1},
            "condition 2": {"holds": True, "what": HYPOTHESES["condition 2"], "margin": an.margin2,
                            "margins": an.margins2.tolist(), "signs": signs.tolist()},
            "witness": {"holds": True, "what": HYPOTHESES["witness"], "margin": wit["margin"],
                        "w0": wit["w0"].tolist()},
        },
        "witness": {"w0": wit["w0"].tolist(), "M_threshold": wit["M_threshold"], "rho": vw[0] / M,
                    "a.z0 / |a||z0|": wit["a.z0 / |a||z0|"], "witness rule": witness_rule,
                    "E - E(witness)": gap,
                    "threshold rule": "E(witness) < E for every M > M_threshold = "
                                      "(||ŷ − c||·||z_0|| + sign(a·z_0)·(ŷ − c)·z_0)/|a·z_0|"},
        "hessian formula": "2JᵀJ + 2M·blockdiag(0_m, v_1 A_1(a), …, v_m A_m(a)" +
                           (", 0)" if output_bias else ")"),
        "search": search,
    }
    rows = (lambda arr: tuple(arr.ravel().tolist())) if model.scalar else (lambda arr: arr.tolist())
    case = Case(activation=act, x=rows(X), y=tuple(y.tolist()), v=tuple(v_out.tolist()), w=rows(W),
                theorem=THEOREM, loss=loss, witness=Witness(tuple(np.asarray(vw).tolist()), rows(np.asarray(Ww)),
                                                            wloss, cw),
                details=details, bias=bool(bias), output_bias=c_val)
    ver = verify_case(case, dps=dps, samples=samples, seed=seed)
    if not ver.passed:
        raise VerificationFailed(f"the constructed case fails its own verification (check(s) failed: "
                                 f"{', '.join(ver.failed)})", check=ver.failed[0])
    hess = ver.figures.get("hessian", {})
    details["hessian"] = {"min eigenvalue": hess.get("min eigenvalue"), "max eigenvalue": hess.get("max eigenvalue"),
                          "method": hess.get("method"), "formula residual": formula,
                          "formula residual rule": "max |∇²E − (2JᵀJ + 2M·blockdiag(0, v_i A_i(a), 0))| / max |∇²E|, "
                                                   "float64 at the stored floats"}
    return case.with_(details=details, verification=ver.to_dict())
