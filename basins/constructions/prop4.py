"""Proposition 4: a sub-optimal strict local minimum for any C² σ and m < N.

Given σ, inputs x and hidden weights w with

1. z_1..z_m linearly independent,
2. each z″_i independent of S = span{z_j, z′_j : j = 1..m},
3. some w_0 with z_0 = σ(w_0 x) independent of S,

choose a ⟂ S with v_i (a·z″_i) > 0 and set y = ŷ − M a.  Then (v, w) is a
strict local minimum with E = M²||a||² and ∇²E = 2JᵀJ + 2M·diag(0, v_i a·z″_i)
positive definite, and for M above a threshold the point w̃_1 = w_0 (with
least-squares output weights) has strictly lower loss.

How this module goes about it (issue 17; SPEC §2, §12):

* with no w given, w maximises the smallest scale-free margin (Nelder–Mead from
  the best seeded draws, :func:`basins.constructions.prop4_search.optimize_w`);
* when a margin is below 1e-5 the float64 decisions are not trusted: S⊥, a and
  y = ŷ − M a are computed at 30 + 3 × (digits lost) digits, y is rounded, and —
  for a searched w — the exact critical point of the rounded data is re-solved
  (Newton at that precision) and rounded; ``details["precision"]`` says which
  precision and why, ``details["rounded data check"]`` what holds at the stored floats;
* the witness is the paper's one-neuron point when it is lower, otherwise the
  first point of a seeded multistart L-BFGS-B on E whose loss is lower at high precision;
* a zero input is allowed (x ≠ 0 is a hypothesis of Theorems 4 and 6 only).

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 and Example 2 (arXiv:1812.11039).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import scipy.linalg
import scipy.optimize

from basins.io.dyadic import dyadic_bits, to_dyadic
from basins.validate import data_x, positive, vector, width_below_samples
from basins.activations import Activation, as_activation
from basins.io.case import Case, Witness
from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable
from basins.model.network import features, loss as net_loss, loss_mp
from basins.constructions.prop4_search import (FLOAT64_MARGIN, MAX_DPS, best_direction, check_point, choose_dps,
                                               choose_w0, lower_point, mp_perp_norm, optimize_w,
                                               precise_construction, resolve, witness_grid, witness_losses)
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

#: Up to this m²·N the construction is re-checked (and redone, if needed) in mpmath.
_MP_WORK = 250_000

#: The search keeps every pre-activation |w_i x_j| at or below this: larger ones saturate σ and
#: inflate the Hessian's largest eigenvalue (a case with |w x| up to 90 failed float64 sampling).
_MAX_PRE = 20.0

#: ... unless σ does not saturate (σ″ as large beyond ±_MAX_PRE as within, e.g. sin): then up to this.
#: sin's features on 17 points in [−3, 3] separate only at frequencies up to ~40/max|x| (margins 1e-15 → 0.06
#: at width 6 when the pre-activations may reach 150 instead of 20).
_MAX_PRE_PERIODIC = 150.0

#: ... and every feature |σ(w_i x_j)| at or below this (exp grows fast: its Hessian's largest
#: eigenvalue, not its margins, limited what float64 can verify).
_MAX_FEATURE = 50.0

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


def analyse_point(activation: Activation | str, x: Any, w: Any, v: Any = None,
                  *, exhaustive_signs: bool = True, tolerance: float = TOLERANCE,
                  rank_tolerance: float = RANK_TOLERANCE) -> _Analysis:
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

    Margins at or below ``tolerance`` count as failed and QR pivots below
    ``rank_tolerance`` (relative) as a rank deficiency of S; the construction
    passes 0 for both when it redoes the decisions at higher precision.
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
            return _analyse_large(A, z, z1, z2, margin1, v, tolerance, rank_tolerance)
    q, r, _ = scipy.linalg.qr(A.T, mode="full", pivoting=True)
    d = np.abs(np.diag(r))
    dim_s = int(np.sum(d > rank_tolerance * d[0])) if d.size and d[0] > 0 else 0
    basis = q[:, dim_s:]
    z2n, _ = _unit_rows(z2)
    G = z2n @ basis                      # (m, k)
    margin2 = np.linalg.norm(G, axis=1) if basis.shape[1] else np.zeros(m)
    empty = _Analysis(margin1, margin2, dim_s, basis, None, 0.0, None, z, z1, z2)
    if basis.shape[1] == 0 or margin2.min() <= tolerance:
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
        c, _ = best_direction(G, s)
        nc = np.linalg.norm(c)
        if nc == 0:
            continue
        margin = float(np.min(s * (G @ c)) / nc)
        if best is None or margin > best[0]:
            best = (margin, c, s)
    if best is None or best[0] <= tolerance:
        return empty
    margin_a, c, s = best
    a = basis @ c
    a = a / np.max(np.abs(a))
    return _Analysis(margin1, margin2, dim_s, basis, a, margin_a, s, z, z1, z2)


def _analyse_large(A: np.ndarray, z: np.ndarray, z1: np.ndarray, z2: np.ndarray, margin1: float,
                   v: Any, tolerance: float, rank_tolerance: float) -> _Analysis:
    """:func:`analyse_point` for large m and N: economic QR of S, equal-margin a (no LP)."""
    q, r, _ = scipy.linalg.qr(A.T, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    dim_s = int(np.sum(d > rank_tolerance * d[0])) if d.size and d[0] > 0 else 0
    span = q[:, :dim_s]
    z2n, _ = _unit_rows(z2)
    G = z2n - (z2n @ span) @ span.T          # rows P_{S⊥} z″_i/||z″_i||, (m, N)
    margin2 = np.linalg.norm(G, axis=1)
    empty = _Analysis(margin1, margin2, dim_s, None, None, 0.0, None, z, z1, z2, span)
    if dim_s >= z.shape[1] or margin2.min() <= tolerance:
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
    if margin_a <= tolerance:
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


def _smallest(margins: dict[str, Any]) -> float:
    return float(min(margins["condition 1"], np.min(margins["condition 2"]), margins["signs"]))


def _fail(name: str, detail: str) -> HypothesisFailed:
    return HypothesisFailed(f"{THEOREM} {name} fails: {HYPOTHESES[name]} — {detail}",
                            theorem=THEOREM, hypothesis=name)


def _max_pre(act: Activation) -> float:
    """The largest |w_i x_j| the search draws: _MAX_PRE, or _MAX_PRE_PERIODIC when σ does not saturate
    (max |σ″| beyond ±_MAX_PRE, up to ±_MAX_PRE_PERIODIC, is at least half its max within, and σ stays
    below _MAX_FEATURE there: sin, cos, t + sin(t)/2 …)."""
    inner = np.linspace(-_MAX_PRE, _MAX_PRE, 801)
    outer = np.concatenate([np.linspace(-_MAX_PRE_PERIODIC, -_MAX_PRE, 2601), np.linspace(_MAX_PRE, _MAX_PRE_PERIODIC,
                                                                                          2601)])
    with np.errstate(all="ignore"):
        d2_in, d2_out = np.abs(act.numpy(2)(inner)), np.abs(act.numpy(2)(outer))
        f_out = np.abs(act.numpy(0)(outer))
    if not (np.all(np.isfinite(d2_in)) and np.all(np.isfinite(d2_out)) and np.all(np.isfinite(f_out))):
        return _MAX_PRE
    if np.max(f_out) <= _MAX_FEATURE and np.max(d2_out) >= 0.5 * np.max(d2_in) > 0:
        return _MAX_PRE_PERIODIC
    return _MAX_PRE


def _search_w(act: Activation, x: np.ndarray, m: int, v: np.ndarray | None, seed: int, trials: int
              ) -> tuple[np.ndarray, _Analysis, dict[str, Any]]:
    """The w of the largest smallest margin (:func:`optimize_w`) and its analysis (a by the LP)."""

    cap = _max_pre(act)

    def pre_ok(w: np.ndarray) -> bool:
        if np.max(np.abs(w)) * np.max(np.abs(x)) > cap:
            return False
        with np.errstate(all="ignore"):
            if not np.max(np.abs(act.numpy(0)(np.outer(w, x)))) <= _MAX_FEATURE:
                return False
        dist, point = _c2_margin(act, np.outer(w, x))
        return point is None or dist > 1e-3 * max(1.0, abs(point))

    w, info = optimize_w(act, x, m, v, seed, trials, pre_ok)
    an = None if w.size == 0 else analyse_point(act, x, w, v, exhaustive_signs=True, tolerance=0.0,
                                                 rank_tolerance=0.0)
    if an is None or an.margin1 <= 0 or not an.margin2.min() > 0 or (an.a is None and m * m * x.size > _MP_WORK):
        found = "no candidate is C² at its pre-activations" if an is None else (
            f"the best has margins {an.margin1:.3g} (condition 1), {an.margin2.min():.3g} (condition 2)")
        raise HypothesisFailed(
            f"{THEOREM}: no w among {trials} seeded trials (seed={seed}), optimised for the smallest margin, "
            f"satisfies conditions 1–2 with a sign-matched a for activation={act.name!r}, N={x.size}, m={m} "
            f"({found}); the conditions need room: dim S ≤ 2m = {2 * m} must stay below N = {x.size}; "
            "try another seed, or give w", theorem=THEOREM, hypothesis="condition 2")
    info["score"] = an.score
    return w, an, info


def _witness(act: Activation, x: np.ndarray, y: np.ndarray, w: np.ndarray, an: _Analysis, a: np.ndarray,
             yhat: np.ndarray, M: float, w0: float | None, precise: dict[str, Any] | None
             ) -> tuple[float, np.ndarray, np.ndarray, float, dict[str, Any]]:
    """Choose w_0 (the best on a grid unless given) and the paper's one-neuron witness."""
    # below float64's reach (precise) any w_0 qualifies here: its margin is confirmed at high precision below
    perp, floor = an.perp_norms, (1e-6 if precise is None else 0.0)
    if w0 is None:
        w0 = choose_w0(act, x, y, w, perp, floor)
        if w0 is None:
            raise _fail("condition 3", f"no w_0 on a grid of {witness_grid(x, 400).size} values gives z_0 outside S")
    z0 = act.numpy(0)(w0 * x)
    nz0 = float(np.linalg.norm(z0))
    margin3 = float(an.perp_norms(z0 / nz0)) if nz0 > 0 else 0.0
    if precise is not None and np.all(np.isfinite(z0)):
        margin3 = mp_perp_norm(act, x, w0, precise["basis"], precise["dps"])
    tol = TOLERANCE if precise is None else 10.0 ** (10 - precise["dps"])
    if not np.all(np.isfinite(z0)) or margin3 <= tol:
        where = "" if precise is None else f" at {precise['dps']} digits"
        raise _fail("condition 3", f"w_0={w0!r} gives z_0 in S (margin {margin3:.3g}{where})")
    s = float(a @ z0)
    p, q = float(yhat @ z0), float(np.linalg.norm(yhat)) * nz0
    threshold = (q + np.sign(s) * p) / abs(s) if s != 0 else float("inf")
    # witness: neuron 1 moved to w_0, output weights by least squares on [z_0, z_2..z_m]
    ww = w.copy()
    ww[0] = w0
    Zw = act.numpy(0)(np.outer(ww, x))
    vw = np.linalg.lstsq(Zw.T, y, rcond=None)[0]
    grid = witness_grid(x, 400)
    with np.errstate(all="ignore"):
        zg = act.numpy(0)(np.outer(grid, x))
        sg = zg @ a
        tg = (np.linalg.norm(yhat) * np.linalg.norm(zg, axis=1) + np.sign(sg) * (zg @ yhat)) / np.abs(sg)
    tg = tg[np.isfinite(tg)]
    info = {
        "w0": w0,
        "smallest M_threshold on the grid": float(min(tg.min(initial=np.inf), threshold)),
        "condition 3 margin": margin3,
        "a.z0 / |z0|": s / nz0,
        "rho": float(y @ z0) / nz0 ** 2 / M,
        "M_threshold": float(threshold),
        "threshold rule": "E(witness) < E for every M > M_threshold, with witness w̃_1 = w_0, "
                          "ṽ_1 = (y·z_0)/||z_0||², ṽ_i = 0 (i ≥ 2): M_threshold = "
                          "(||ŷ||·||z_0|| + sign(a·z_0)·ŷ·z_0)/|a·z_0|",
    }
    return w0, vw, ww, float(threshold), info


#: On rounded data λ_min must exceed this × (Newton step)·λ_max (10 let atan 33/8 through, uncertifiable).
HESSIAN_SAFETY = 100.0

SEED_RETRIES = 3     #: when the searched point's data cannot be rounded to float64, this many further seeds
DEFAULT_M = 100.0    #: the default scale M of y = ŷ − M a
AUTO_M_MAX = 1e8     #: the largest M the construction raises it to on its own


def _raised_M(threshold: float) -> float | None:
    """2·threshold rounded up to two significant digits, when above DEFAULT_M and at most AUTO_M_MAX."""
    if not (math.isfinite(threshold) and threshold > 0):
        return None
    target = 2.0 * threshold
    digits = math.floor(math.log10(target)) - 1
    raised = math.ceil(target / 10.0 ** digits) * 10.0 ** digits
    return raised if DEFAULT_M < raised <= AUTO_M_MAX else None


def construct_prop4(
    activation: Activation | str,
    x: Sequence[float] | np.ndarray = (0.1, 2.0, 3.0),
    *,
    w: Sequence[float] | np.ndarray | None = None,
    v: Sequence[float] | np.ndarray | None = None,
    width: int | None = None,
    M: float | None = None,
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
        The N inputs (no repeated entry; a zero entry is allowed).
    w : sequence of float, optional
        Hidden weights; searched for (seeded, deterministic) when omitted.
    v : sequence of float, optional
        Output weights; only their signs matter for the construction, and a
        is chosen to match them.  Default: v_i = sign(a·z″_i).
    width : int, optional
        m, when neither w nor v is given (default 1).
    M : float, optional
        The scale in y = ŷ − M a (> 0).  Default: 100, raised automatically to
        twice the smallest threshold M_threshold of the one-neuron witness
        family (rounded up to two significant digits, at most 1e8) when no
        witness of lower loss is found at 100; ``details["M choice"]`` says so.
    w0 : float, optional
        The weight of the witness neuron (condition 3); default: the best on
        a grid for the witness's loss.
    seed, trials : int
        Seed and number of random candidates of the search for w (the best
        start a Nelder–Mead maximisation of the smallest margin); the seed
        also drives the multistart search for a witness.  Deterministic.
        When w and v are searched and the point found is refused because its
        data rounded to float64 cannot carry its margins, the next
        SEED_RETRIES seeds are tried (``details["seed retry"]`` says so).

    Returns
    -------
    Case
        ``details`` holds a, M, the conditions with their margins, the
        threshold M_threshold above which the witness is lower, the search,
        the precision used and why, and the check of the rounded data.

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
    kwargs: dict[str, Any] = dict(w=w, v=v, width=width, M=M, w0=w0, trials=trials)
    try:
        return _construct_prop4(activation, x, seed=seed, **kwargs)
    except HypothesisFailed as exc:
        if w is not None or v is not None or exc.hypothesis != "float64 data" or isinstance(seed, bool) \
                or not isinstance(seed, (int, np.integer)):
            raise
        first = exc
    for k in range(1, SEED_RETRIES + 1):
        try:
            case = _construct_prop4(activation, x, seed=int(seed) + k, **kwargs)
        except HypothesisFailed as exc:
            if exc.hypothesis != "float64 data":
                raise
            continue
        retry = (f"seed {seed} found a point whose data rounded to float64 cannot carry its margins ({first}); "
                 f"seed {int(seed) + k} was used instead")
        return case.with_(details={**case.details, "seed retry": retry})
    # no seed gives data float64 can carry: store y exactly at the construction's precision (SPEC §12)
    try:
        return _construct_prop4(activation, x, seed=seed, exact_data=True, **kwargs)
    except HypothesisFailed as exc:
        if exc.hypothesis != "float64 data":
            raise
    raise HypothesisFailed(f"{first} (seeds {int(seed) + 1}–{int(seed) + SEED_RETRIES} were tried too, and the "
                           "data stored exactly did not help)", theorem=THEOREM, hypothesis="float64 data")


def _construct_prop4(activation: Activation | str, x: Sequence[float] | np.ndarray, *,
                     w: Sequence[float] | np.ndarray | None, v: Sequence[float] | np.ndarray | None,
                     width: int | None, M: float | None, w0: float | None, seed: int, trials: int,
                     exact_data: bool = False) -> Case:
    """One attempt of :func:`construct_prop4` with this seed (the caller's arguments, no defaults of its own)."""
    act = as_activation(activation)
    x = data_x(x, theorem=THEOREM)  # finite, distinct; a zero entry is allowed (SPEC §2 has no x ≠ 0)
    auto_M = M is None
    M = positive("M", DEFAULT_M if M is None else M)
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
        if an.a is None or min(an.margin1, an.margin_a) < FLOAT64_MARGIN:
            an = analyse_point(act, x, w_arr, v_arr, tolerance=0.0, rank_tolerance=0.0)
    small = m * m * x.size <= _MP_WORK
    if an.margin1 <= (TOLERANCE if not small else 0.0):
        raise _fail("condition 1", f"smallest singular value of the normalised z_i is {an.margin1:.3g}")
    if an.margin2.min() <= (TOLERANCE if not small else 0.0):
        i = int(np.argmin(an.margin2))
        hint = f" (dim S = {an.dim_S} already fills R^{x.size})" if an.dim_S >= x.size else ""
        raise _fail("condition 2", f"z″_{i + 1} lies in S (margin {an.margin2[i]:.3g}){hint}")
    smallest = min(an.margin1, float(an.margin2.min()), an.margin_a if an.a is not None else 0.0)
    precise: dict[str, Any] | None = None
    if small and smallest < FLOAT64_MARGIN:
        # float64 cannot decide the conditions: redo them at the digits the margins need
        estimate = min(an.margin1, float(an.margin2.min()), an.margin_a if an.a is not None else np.inf)
        for _ in range(3):
            dps = choose_dps(estimate)
            if dps > MAX_DPS:
                raise _fail("signs", f"the smallest margin {estimate:.3g} needs about {dps} digits, more than "
                                     f"the {MAX_DPS} this construction uses")
            with blas_threads(1):
                precise = precise_construction(act, x, w_arr, v_arr, an.signs, M, dps)
            found = min(precise["margin1"], float(precise["margin2"].min()), precise["margin_a"])
            if choose_dps(found) <= dps:
                break
            estimate = found
        assert precise is not None
        precise["why"] = (f"the smallest float64 margin {smallest:.3g} is below {FLOAT64_MARGIN:g}: the "
                          f"float64 decisions of conditions 1–3 are not reliable, so S⊥, a and y = ŷ − M a "
                          f"were computed at {precise['dps']} digits (30 + 3 × the digits the smallest margin, "
                          f"{found:.3g}, loses) and y rounded to float64")
        a, signs, v_out, y = precise["a"], precise["signs"], precise["v"], precise["y"]
        yhat = y + M * a
        margins = {"condition 1": precise["margin1"], "condition 2": precise["margin2"],
                   "signs": precise["margin_a"]}
    else:
        if an.a is None:
            raise _fail("signs", f"no a ⟂ S matches the signs of v={None if v_arr is None else v_arr.tolist()}")
        a, signs = an.a, an.signs
        assert signs is not None  # set together with a
        v_out = v_arr if v_arr is not None else signs.astype(float)
        yhat = v_out @ an.z
        y = yhat - M * a
        margins = {"condition 1": an.margin1, "condition 2": an.margin2, "signs": an.margin_a}
    if not np.all(np.isfinite(y)):
        raise InvalidArgument(f"M={M!r} makes y overflow")
    check: dict[str, Any] | None = None
    # y_data: the labels the case is about; exactly y = ŷ − M a at the construction's digits when stored exactly
    exact = exact_data and precise is not None and small
    y_data: Any = precise["y_mp"] if exact and precise is not None else y
    if small:
        dps_check = max(50, precise["dps"] if precise else 0)
        check = check_point(act, x, y_data, v_out, w_arr, dps_check)
        scale = 1.0 + float(np.linalg.norm(np.concatenate([v_out, w_arr])))
        if not exact and (precise is not None or check["newton step"] > 1e-12 * scale) and w is None and v is None:
            # rounding y moved the critical point: re-solve for it on the stored data, then round it
            v_out, w_arr, check = resolve(act, x, y, v_out, w_arr, dps_check)
            yhat = v_out @ act.numpy(0)(np.outer(w_arr, x))
        lo, hi = check["hessian min eigenvalue"], check["hessian max eigenvalue"]
        if 2 * m <= 40 and not lo > HESSIAN_SAFETY * check["newton step"] * max(hi, 1.0):
            # rounding to float64 moves H by about (Newton step)·(third derivatives ≈ λ_max): it must stay PD
            raise HypothesisFailed(
                f"{THEOREM}: the construction holds at {dps_check} digits, but not on the data rounded to float64: "
                f"there the Hessian's smallest eigenvalue is {lo:.3g} (largest {hi:.3g}, Newton step "
                f"{check['newton step']:.3g}), because the smallest margin ({_smallest(margins):.3g}) is below "
                "what float64 data can carry; try another seed or a smaller width",
                theorem=THEOREM, hypothesis="float64 data")
        loss = float(loss_mp(act, x, y_data, v_out, w_arr, dps_check))
    else:
        dps_check = 0
        loss = net_loss(act, x, y, v_out, w_arr)
    with blas_threads(1):
        w0_used, vw, ww, threshold, w_info = _witness(act, x, y, w_arr, an, a, yhat, M, w0, precise)
    _require_c2(act, w0_used * x, "w_0 x_j")
    dps_w = max(dps_check, 50)
    loss_mpf, wloss_mpf = witness_losses(act, x, y_data, (v_out, w_arr), (vw, ww), dps_w, mp=small)
    w_info["witness rule"] = "w̃ = (w_0, w_2, ..., w_m), ṽ by least squares"
    if not wloss_mpf < loss_mpf * (1 - 1e-12):
        found = lower_point(act, x, y_data, v_out, w_arr, loss_mpf, seed, dps_w, extra=[(vw, ww)])
        if found is not None:
            vw, ww, wloss_mpf = found
            w_info["witness rule"] = (
                "the one-neuron family needs M > M_threshold; the witness is the lowest end point of a seeded "
                "multistart L-BFGS-B on E (float64), its loss re-evaluated at "
                f"{dps_w} digits (any point of lower loss proves sub-optimality)")
    if not wloss_mpf < loss_mpf and auto_M:
        raised = _raised_M(w_info["smallest M_threshold on the grid"])
        if raised is not None:
            case = construct_prop4(act, x, w=w, v=v, width=width, M=raised, w0=w0, seed=seed, trials=trials)
            choice = (f"M = {raised:g}: at the default M = {DEFAULT_M:g} no point of lower loss was found (the "
                      f"one-neuron witness family needs M > {w_info['smallest M_threshold on the grid']:.6g}, and the "
                      f"seeded multistart found none), so M was raised to twice that threshold")
            return case.with_(details={**case.details, "M choice": choice})
    if not wloss_mpf < loss_mpf:
        raise NotApplicable(
            f"M={M!r} is not above the sub-optimality threshold M_threshold={threshold:.6g} for w_0={w0_used:.6g} "
            f"of the one-neuron witness family (the smallest over a grid of w_0 is "
            f"{w_info['smallest M_threshold on the grid']:.6g}), and a seeded multistart search (seed={seed}) found no other "
            f"point below E = {float(loss_mpf):.6g}: the point is a strict local minimum but no witness of "
            "sub-optimality was found; raise M, choose another w_0 or another seed",
            theorem=THEOREM, hypothesis="M > M_threshold")
    wloss = float(wloss_mpf)
    w_info["E - E(witness)"] = float(loss_mpf - wloss_mpf)
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
            "condition 1": {"holds": True, "what": HYPOTHESES["condition 1"], "margin": margins["condition 1"]},
            "condition 2": {"holds": True, "what": HYPOTHESES["condition 2"],
                            "margin": float(np.min(margins["condition 2"])),
                            "margins": np.asarray(margins["condition 2"]).tolist(), "dim S": an.dim_S},
            "condition 3": {"holds": True, "what": HYPOTHESES["condition 3"],
                            "margin": w_info["condition 3 margin"], "w0": w0_used},
            "signs": {"holds": True, "what": HYPOTHESES["signs"], "margin": margins["signs"],
                      "signs": signs.tolist()},
        },
        "witness": w_info,
        "hessian formula": "2JᵀJ + 2M·diag(0, v_i a·z″_i)",
        "search": search,
        "precision": ({"digits": precise["dps"], "why": precise["why"],
                       "a ⟂ S to": precise["a_perp"]} if precise else
                      {"digits": "float64", "why": f"every margin is at least {FLOAT64_MARGIN:g}"
                       if smallest >= FLOAT64_MARGIN else "large problem (float64 only)"}),
    }
    if check is not None:
        details["rounded data check"] = {
            **check, "what": "at the stored (rounded) floats x, y, v, w: |∇E|, the Newton step |H⁻¹∇E| "
                             "(distance to the exact critical point) and the Hessian's extreme eigenvalues"}
    y_exact = None
    if exact and precise is not None:
        y_exact = tuple(to_dyadic(t) for t in y_data)
        details["precision"]["why"] = precise["why"].replace(" and y rounded to float64", "")
        details["rounded data check"]["what"] = (
            "at x, y_exact (the exact data) and the stored v, w: |∇E|, the Newton step |H⁻¹∇E| (distance to the "
            "exact critical point) and the Hessian's extreme eigenvalues")
        details["precision"]["data"] = (
            f"y is stored exactly (y_exact: dyadic numbers of up to {max(dyadic_bits(t) for t in y_exact)} bits), "
            f"y = ŷ − M a at {dps_check} digits: on y rounded to float64 the Hessian at the nearby critical point "
            f"is not safely positive definite (no seed up to {seed + SEED_RETRIES} gave data float64 can carry); "
            "y holds the nearest floats")
    return Case(
        activation=act, x=tuple(x.tolist()), y=tuple(float(t) for t in y_data), v=tuple(v_out.tolist()),
        w=tuple(w_arr.tolist()), theorem=THEOREM, loss=loss,
        witness=Witness(tuple(vw.tolist()), tuple(ww.tolist()), wloss), details=details, y_exact=y_exact,
    )
