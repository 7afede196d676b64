"""Property PT: strictly decreasing paths to the global infimum for wide networks.

Two constructions, one engine (the path (76) of Appendix B):

* **Wide last layer** (d_H ≥ N; Theorem 2, Claim 1): perturb W_1..W_H within
  δ until T_H has rank N, then move W_{H+1} on the segment
  W_{H+1}(λ) = W^p_{H+1} + λ (Y − Ŷ^p) T_H^+ to a solution of W T_H = Y.
* **Pyramid** (Theorem 3 / Theorem 8): a wide layer h_0 (d_{h0} ≥ N), then
  non-increasing widths with σ_h strictly monotone of range R (Assumption 4)
  for h > h_0.  Only W_{h0+1} changes, by (76); the later W_h are perturbed to
  full row rank so that they have right inverses.

On both paths Ŷ(λ) = (1 − λ) Ŷ^p + λ Y, so E(λ) = (1 − λ)² E(W^p) falls
strictly to 0 = inf E.  The module evaluates the loss with the network's own
forward pass at ``samples`` values of λ and checks the decrease between every
pair of consecutive samples whose predicted gap exceeds the rounding floor;
that is a check *verified numerically*, not a certificate.  A check that
resolved no pair is "undecided", never verified.  When float64 cannot resolve
rank N (σ_min ≤ N ε σ_max), or its check of a wide path resolves fewer than half
the steps, the wide path is rebuilt in ball arithmetic at the digits the data
need (:mod:`basins.landscape.pt_mp`; ``details["precision"]`` says which and
why).  Ranks that are impossible for every W (±x pairs with odd or even σ,
polynomials, homogeneous σ on 1-D inputs) and dead units are named as such.

Path file, schema ``basins.path/1`` (also written by :mod:`basins.landscape.barrier`)
--------------------------------------------------------------------------
``schema``        "basins.path/1"
``kind``          "wide" | "pyramid" | "descent" | "barrier"
``status``        "path" (strictly decreasing path found) | "blocked" | "failed" | "undecided"
``theorem``       the result the path follows
``network``       {"widths": [...], "activations": [...]} (expressions in t)
``lambdas``       path parameter of each sample, in [0, 1]
``losses``        E at each sample (recomputed by the forward pass)
``predicted``     (1 − λ)² E(W^p) for the constructive paths, else null
``start_loss``, ``end_loss``, ``infimum`` (0 for squared loss and wide nets)
``strictly_decreasing``  bool; ``end_loss_ok`` (constructive paths: E(W(1)) is
                  0 up to rounding); ``unresolved_steps`` consecutive pairs whose
                  predicted gap is below the rounding floor (not checked)
``rounding_floor`` absolute bound used for the loss rounding error
``perturbation``  {"delta", "size" (Frobenius norm of W^p − W^o), "sigma_min"
                  (smallest singular value of T_{h0}), "layers" perturbed}
``barrier``       null, or {"value": max E on the path − E(start),
                  "max_loss", "at": λ of the maximum} for a blocked search
``generator``     what generates the points exactly: the formula, the changed
                  layer (1-based), X, Y, W^p ("perturbed_weights") and the end
                  layer as float.hex (constructive paths, with W^o as
                  "start_weights"), or x, y, the polyline's "points" θ = (v, w)
                  and the perturbed start θ_0 ("start") as float.hex (searches)

The JSON Schema is ``basins/io/schemas/path-1.json``; ``PTPath.from_dict`` and
``PathSearch.from_dict`` validate a record against it and read it back exactly.
``verification``  "verified numerically", "undecided" (no step resolved) or "failed"
``details``       ``precision``: {"arithmetic": "float64" | "ball (python-flint arb)", "digits",
                  "sigma_min", "reason", "end_layer_digits": W_{H+1}(1) to those digits}
``assumptions``   (``basins pt --widths`` only) Assumption 2 per activation and
                  the full-rank reachability of the first layer

:func:`check_path` re-verifies a record from its generator alone
(``basins pt --check path.json``).

References
----------
D. Li, T. Ding, R. Sun, *On the Benefit of Width for Neural Networks:
Disappearance of Basins*: Definition 2 (Property PT), Claim 1 and Theorem 2
(§3.1, §4), Assumption 3, Theorem 3, Theorem 8 and the path (75)–(76)
(Appendix B).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.linalg

from basins.activations import Activation
from basins.landscape import pt_mp
from basins.landscape.assumptions import check_assumption4, rank_obstruction
from basins.model.deep import DeepNetwork, deep_network, forward, random_weights
from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable
from basins.landscape.records import PATH_SCHEMA, PTPath, agrees, unhex

__all__ = [
    "HYPOTHESES",
    "PATH_SCHEMA",
    "PTPath",
    "decreasing_path",
    "wide_path",
    "pyramid_path",
    "random_problem",
    "check_constructive",
    "UNDECIDED_CHECK",
]


#: The hypotheses checked before a path is built.
HYPOTHESES: dict[str, str] = {
    "A1": "the samples x^(n) are non-zero and distinct",
    "A3": "the last hidden layer is wide: d_H ≥ N (Theorem 2)",
    "B1": "a wide layer h0 with d_{h0} ≥ N, then d_{h0} ≥ d_{h0+1} ≥ ... ≥ d_{H+1} (Assumption 3)",
    "Assumption 4": "σ_h strictly monotone with range R for h > h0 (Theorem 8)",
    "rank": "rank T_{h0} = N reached by a perturbation of size ≤ δ (Definition 5)",
}

_EPS = float(np.finfo(float).eps)
#: The check that fails alone when nothing was resolved: the verdict is then "undecided".
UNDECIDED_CHECK = pt_mp.UNDECIDED_CHECK


# ------------------------------------------------------------------ input --

def random_problem(widths: Sequence[int], N: int, seed: int = 0, *, init: str = "random"
                   ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Seeded data (X, Y) with standard normal entries and a start point W^o.

    ``init`` is "random" (Gaussian weights) or "zeros" (W^o = 0, where T_H has
    rank ≤ 1 and the perturbation is essential).

    Examples
    --------
    >>> X, Y, W = random_problem([2, 5, 1], 4, seed=1)
    >>> X.shape, Y.shape, [w.shape for w in W]
    ((2, 4), (1, 4), [(5, 2), (1, 5)])
    """
    if int(N) != N or N < 1:
        raise InvalidArgument(f"N={N!r} must be a positive integer")
    if init not in ("random", "zeros"):
        raise InvalidArgument(f"init={init!r} must be 'random' or 'zeros'")
    rng = np.random.default_rng(seed)
    ws = [int(d) for d in widths]
    X = rng.standard_normal((ws[0], int(N)))
    Y = rng.standard_normal((ws[-1], int(N)))
    net = deep_network(ws, "linear")
    W = random_weights(net, seed=int(rng.integers(2**32))) if init == "random" else [np.zeros(s) for s in net.shapes]
    return X, Y, W


def _check_data(net: DeepNetwork, X: Any, Y: Any, weights: Any, seed: int
                ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    Xa = np.asarray(X, dtype=float)
    Xa = Xa[None, :] if Xa.ndim == 1 else Xa
    Ya = np.asarray(Y, dtype=float)
    Ya = Ya[None, :] if Ya.ndim == 1 else Ya
    if Xa.ndim != 2 or Xa.shape[0] != net.widths[0] or not np.all(np.isfinite(Xa)):
        raise InvalidArgument(f"X has shape {np.shape(X)}, expected finite (d_0={net.widths[0]}, N)")
    if Ya.shape != (net.widths[-1], Xa.shape[1]) or not np.all(np.isfinite(Ya)):
        raise InvalidArgument(f"Y has shape {np.shape(Y)}, expected finite (d_out={net.widths[-1]}, N={Xa.shape[1]})")
    N = Xa.shape[1]
    if np.any(np.all(Xa == 0, axis=0)):
        j = int(np.flatnonzero(np.all(Xa == 0, axis=0))[0])
        raise NotApplicable(f"X[:, {j}] is zero; Assumption A1 needs non-zero samples",
                            theorem="Theorem 2", hypothesis=HYPOTHESES["A1"])
    if np.unique(Xa.T, axis=0).shape[0] != N:
        raise NotApplicable("X has two equal samples (columns); Assumption A1 needs distinct samples",
                            theorem="Theorem 2", hypothesis=HYPOTHESES["A1"])
    if weights is None:
        Ws = random_weights(net, seed=seed)
    else:
        Ws = [np.array(W, dtype=float) for W in weights]
        if len(Ws) != len(net.shapes) or any(W.shape != s for W, s in zip(Ws, net.shapes)):
            raise InvalidArgument(f"weights have shapes {[W.shape for W in Ws]}, expected {list(net.shapes)}")
    return Xa, Ya, Ws


# ----------------------------------------------------------------- engine --

def _sigma_min(T: np.ndarray, N: int) -> tuple[float, float]:
    s = np.linalg.svd(T, compute_uv=False)
    return (float(s[N - 1]) if s.size >= N else 0.0), (float(s[0]) if s.size else 0.0)


def _has_rank(T: np.ndarray, N: int) -> tuple[bool, float]:
    smin, smax = _sigma_min(T, N)
    return smin > max(T.shape) * _EPS * smax and smin > 0, smin


class _LeftInverse:
    """M ↦ M T^+ for a tall T (d × N) of rank N, and the extreme singular values of T (values-only SVD,
    which decides the rank as ``matrix_rank`` does); LU (square T) or Householder QR solves."""

    def __init__(self, T: np.ndarray):
        d, N = T.shape
        self.T = T
        if d < N:
            self.smin, self.smax, self.full_rank, self.method = 0.0, 0.0, False, "none"
            return
        s = np.linalg.svd(T, compute_uv=False)
        self.smin, self.smax = float(s[N - 1]), float(s[0])
        self.full_rank = self.smin > 0 and self.smin > max(T.shape) * _EPS * self.smax
        self.method = "lu" if d == N else "qr"
        self._fac: Any = None

    def _factor(self) -> Any:
        if self._fac is None:
            if self.method == "lu":
                self._fac = scipy.linalg.lu_factor(self.T, check_finite=False)
            else:
                self._fac = scipy.linalg.qr(self.T, mode="economic", check_finite=False)
        return self._fac

    def apply(self, M: np.ndarray) -> np.ndarray:
        """M T^+ for M of shape (k, N); shape (k, d)."""
        fac = self._factor()
        if self.method == "lu":
            return scipy.linalg.lu_solve(fac, M.T, trans=1, check_finite=False).T
        Q, R = fac
        return scipy.linalg.solve_triangular(R, M.T, trans="T", check_finite=False).T @ Q.T


def _perturb(net: DeepNetwork, X: np.ndarray, W0: list[np.ndarray], h0: int, delta: float, seed: int,
             attempts: int) -> tuple[list[np.ndarray], float, float, tuple[int, ...], tuple]:
    """W^p within δ of W^o: rank T_{h0} = N and W_h (h ≥ h0+2) of full row rank.

    Also returns the forward pass (T_h, U_h) and the thin SVD of T_{h0} at W^p.  Raises _Unresolved when
    float64 does not resolve rank N at the start nor at any of the ``attempts`` perturbations."""
    H = net.depth
    later = list(range(h0 + 2, H + 2))  # 1-based layers needing right inverses

    def ok(Ws: list[np.ndarray]) -> tuple[bool, float, tuple]:
        Ts, Us = _forward_all(net, Ws, X)
        T = Ts[h0]
        L = _LeftInverse(T)
        smin, good = L.smin, L.full_rank
        for h in later:
            W = Ws[h - 1]
            g, _ = _has_rank(W.T, W.shape[0])
            good = good and g
        return good, smin, (Ts, Us, L)

    good, smin, state = ok(W0)
    if good:
        return [W.copy() for W in W0], 0.0, smin, (), state
    T0 = state[0][h0]
    level = max(T0.shape) * _EPS * (state[2].smax or 1.0)
    cands: list[tuple] = [(smin, [W.copy() for W in W0], 0.0, ())]
    rng = np.random.default_rng(seed)
    layers = tuple(range(1, h0 + 1)) + tuple(later)
    for _ in range(max(1, attempts)):
        P = [rng.standard_normal(W0[h - 1].shape) for h in layers]
        scale = delta / np.sqrt(sum(float(np.sum(p * p)) for p in P))
        Ws = [W.copy() for W in W0]
        for h, p in zip(layers, P):
            Ws[h - 1] = Ws[h - 1] + scale * p
        good, smin, state = ok(Ws)
        size = float(np.sqrt(sum(float(np.sum((a - b) ** 2)) for a, b in zip(Ws, W0))))
        if good:
            return Ws, size, smin, layers, state
        cands.append((smin, Ws, size, layers))
    raise _Unresolved(cands[:1] + sorted(cands[1:], key=lambda c: -c[0]), level)


class _Unresolved(Exception):
    """float64 did not resolve rank T_{h0} = N: the start first, then the perturbations by float σ_min."""

    def __init__(self, cands: list[tuple], level: float):
        super().__init__("rank not resolved in float64")
        self.cands, self.level = cands, level


def _inverse(act: Activation, values: np.ndarray, direction: int) -> np.ndarray:
    """σ^{-1}(values) for a strictly monotone σ of range R (vectorised bisection + Newton)."""
    pl = act.piecewise_linear
    f = act.numpy(0)
    if pl is not None:
        bps = [float(b) for b in pl.breakpoints]
        pieces = [(float(s), float(c)) for s, c in pl.pieces]
        fb = [f(np.array([b]))[0] for b in bps]
        out = np.empty_like(values)
        # piece k holds for σ values between fb[k-1] and fb[k] (monotone)
        for k, (s, c) in enumerate(pieces):
            lo = -np.inf if k == 0 else fb[k - 1]
            hi = np.inf if k == len(pieces) - 1 else fb[k]
            if direction < 0:
                lo, hi = (-np.inf if k == len(pieces) - 1 else fb[k]), (np.inf if k == 0 else fb[k - 1])
            mask = (values >= lo) & (values <= hi)
            out[mask] = (values[mask] - c) / s
        return out
    g = (lambda u: f(u)) if direction > 0 else (lambda u: -f(u))
    target = values if direction > 0 else -values
    lo = -np.ones_like(values)
    hi = np.ones_like(values)
    for _ in range(200):
        m = g(lo) > target
        if not m.any():
            break
        lo[m] *= 2
    for _ in range(200):
        m = g(hi) < target
        if not m.any():
            break
        hi[m] *= 2
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        below = g(mid) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    u = 0.5 * (lo + hi)
    d1 = act.numpy(1)
    for _ in range(2):
        d = d1(u) * (1 if direction > 0 else -1)
        step = np.where(d != 0, (g(u) - target) / np.where(d != 0, d, 1.0), 0.0)
        u_new = u - step
        u = np.where((u_new >= lo) & (u_new <= hi), u_new, u)
    return u


@dataclass(frozen=True)
class _Path76:
    """Precomputed pieces of (76) at W^p."""

    h0: int
    Ts: list            # T_0..T_H at W^p
    Us: list            # pre-activations W_h T_{h-1} at W^p, h = 1..H (index h-1)
    Yp: np.ndarray
    right_inv: list     # (W^p_h)^+ for h = h0+2..H+1 (index by h)
    left_inv: "_LeftInverse"  # applies M ↦ M (T_{h0}^p)^+
    directions: dict
    condition: float      # κ(T_{h0}) Π κ(W^p_h), h = h0+2..H+1


def _forward_all(net: DeepNetwork, Ws: list[np.ndarray], X: np.ndarray) -> tuple[list, list]:
    """[T_0..T_H] and [U_1..U_H] (pre-activations)."""
    Ts, Us = [X], []
    for W, act in zip(Ws[:-1], net.activations):
        U = W @ Ts[-1]
        Us.append(U)
        Ts.append(act.numpy(0)(U))
    return Ts, Us


def _prepare76(net: DeepNetwork, Wp: list[np.ndarray], X: np.ndarray, h0: int, directions: dict,
               state: tuple) -> _Path76:
    Ts, Us, left = state
    Yp = Wp[-1] @ Ts[-1]
    right = {h: np.linalg.pinv(Wp[h - 1]) for h in range(h0 + 2, net.depth + 2)}
    kappa = left.smax / left.smin * float(np.prod([np.linalg.cond(Wp[h - 1]) for h in right] or [1.0]))
    return _Path76(h0, Ts, Us, Yp, right, left, directions, kappa)  # type: ignore[arg-type]


def _layer76(net: DeepNetwork, Wp: list[np.ndarray], P: _Path76, Y: np.ndarray, lam: float) -> np.ndarray:
    """W_{h0+1}(λ) by (76) with Ŷ(λ) = (1 − λ) Ŷ^p + λ Y."""
    H, h0 = net.depth, P.h0
    dY = lam * (Y - P.Yp)                           # Ŷ(λ) − Ŷ^p
    if h0 == H:
        return Wp[H] + P.left_inv.apply(dY)         # (76a) with T_{H}(λ) → Ŷ(λ): the segment
    # (76c): T_H(λ) − T_H^p = (W^p_{H+1})^+ (Ŷ(λ) − Ŷ^p)
    dT = P.right_inv[H + 1] @ dY
    for h in range(H, h0, -1):
        # σ_h^{-1}(T_h(λ)) − σ_h^{-1}(T_h^p), with σ_h^{-1}(T_h^p) = U_h exactly
        Th = P.Ts[h] + dT
        dU = _inverse(net.activations[h - 1], Th, P.directions[h]) - P.Us[h - 1]
        if h == h0 + 1:
            return Wp[h0] + P.left_inv.apply(dU)     # (76a)
        dT = P.right_inv[h] @ dU                    # (76b)
    raise AssertionError("unreachable")  # pragma: no cover


def _losses_wide(net: DeepNetwork, Wp: list[np.ndarray], P: _Path76, Y: np.ndarray, lambdas: np.ndarray
                 ) -> tuple[np.ndarray, float]:
    """E along the segment, by W_{H+1}(λ) T_H for all λ in one product; and the rounding floor."""
    TH = P.Ts[-1]
    D = P.left_inv.apply(Y - P.Yp)
    dout = Y.shape[0]
    Wl = Wp[-1][None, :, :] + lambdas[:, None, None] * D[None, :, :]      # (S, dout, d_H)
    out = (Wl.reshape(-1, TH.shape[0]) @ TH).reshape(len(lambdas), dout, -1)
    R = out - Y[None]
    losses = np.einsum("sij,sij->s", R, R)
    return losses, _rounding_wide(Wp, P, Y, D)


# The rounding floor, shared by :func:`_build` and :func:`check_path` (one implementation: a checker
# must recompute the floor from the generator, never trust the stored one).

def _rounding_wide(Wp: list[np.ndarray], P: _Path76, Y: np.ndarray, D: np.ndarray) -> float:
    """Bound on ||ΔŶ||_F from evaluating W_{H+1}(λ) T_H on the segment, D = (Y − Ŷ^p) T_H^+."""
    TH = P.Ts[-1]
    wmax = max(float(np.linalg.norm(Wp[-1])), float(np.linalg.norm(Wp[-1] + D)))
    return 2 * TH.shape[0] * _EPS * wmax * float(np.linalg.norm(TH)) + _EPS * float(np.linalg.norm(Y))


def _rounding_forward(Wl: list[np.ndarray], Ts: list[np.ndarray], h0: int) -> float:
    """Bound on ||ΔŶ||_F from the forward pass through the changed and later layers at one λ of (76)."""
    return _EPS * sum(W.shape[1] * float(np.linalg.norm(W)) * float(np.linalg.norm(T))
                      for W, T in zip(Wl[h0:], Ts[h0:-1])) * 4


def _rounding_floors(e: float, N: int, P: _Path76, E0: float, predicted: np.ndarray, losses: np.ndarray
                     ) -> np.ndarray:
    """Per-sample bound on |computed E − E| from the evaluation bound ``e`` on ||ΔŶ||_F.

    ``e`` is increased by the error of constructing W(λ) itself, ~ N ε κ ||Ŷ^p − Y|| (a first-order
    estimate); then |computed E − E| ≤ 2 ||R|| e + e²."""
    e = e + 10 * N * _EPS * P.condition * np.sqrt(E0)
    return 2.0 * np.sqrt(np.maximum(predicted, losses)) * e + e * e


def _resolved(predicted: np.ndarray, floors: np.ndarray) -> np.ndarray:
    """Consecutive pairs whose predicted change exceeds twice the two floors (their decrease is checked)."""
    return np.abs(predicted[:-1] - predicted[1:]) > 2.0 * (floors[:-1] + floors[1:])


def _pyramid_losses(net: DeepNetwork, Wp: list[np.ndarray], P: "_Path76", X: np.ndarray, Y: np.ndarray, h0: int,
                    lambdas: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """E along (76) at every λ, the forward-pass rounding bound e over them, and W_{h0+1}(last λ)."""
    losses = np.empty(len(lambdas))
    e = 0.0
    layer = Wp[h0]
    for k, lam in enumerate(lambdas):
        Wl = list(Wp)
        Wl[h0] = layer = _layer76(net, Wp, P, Y, float(lam))
        Ts = forward(net, Wl, X)
        R = Ts[-1] - Y
        losses[k] = float(np.sum(R * R))
        e = max(e, _rounding_forward(Wl, Ts, h0))
    return losses, e, layer


def _build(kind: str, net: DeepNetwork, X: np.ndarray, Y: np.ndarray, W0: list[np.ndarray], h0: int, *,
           delta: float, seed: int, samples: int, attempts: int, directions: dict, details: dict,
           precision: str = "auto") -> PTPath:
    if not (np.isfinite(delta) and delta > 0):
        raise InvalidArgument(f"delta={delta!r} must be a positive finite number")
    if int(samples) != samples or samples < 2:
        raise InvalidArgument(f"samples={samples!r} must be an integer ≥ 2")
    if precision not in ("auto", "float64"):
        raise InvalidArgument(f"precision={precision!r} must be 'auto' or 'float64'")
    N = X.shape[1]
    theorem = ("Theorem 2 (Claim 1: segment in W_{H+1})" if kind == "wide" else "Theorem 3 (Theorem 8, path (76))")
    thm = theorem.split(" (")[0]
    why = rank_obstruction(list(net.activations), X, h0)
    if why is not None:
        raise HypothesisFailed(f"rank T_{h0} = N = {N} is impossible: {why}", theorem=thm, hypothesis=HYPOTHESES["rank"])
    lambdas = np.linspace(0.0, 1.0, int(samples))
    ball = kind == "wide" and precision == "auto" and net.widths[h0] * N <= pt_mp.MAX_ENTRIES
    try:
        Wp, size, smin, layers, state = _perturb(net, X, W0, h0, float(delta), seed, attempts)
    except _Unresolved as u:
        dead = pt_mp.dead_units(net, X, h0, u.cands)
        if dead:
            raise HypothesisFailed(dead, theorem=thm, hypothesis=HYPOTHESES["rank"]) from None
        best = max(c[0] for c in u.cands)
        head = (f"rank T_{h0} = N = {N} was not reached in attempts={attempts} perturbations of size delta={delta}: "
                f"float64 does not resolve it (best σ_min = {best:.3g}, below the rounding level N·ε·σ_max = "
                f"{u.level:.3g})")
        reason = f"float64 cannot resolve rank N (σ_min = {best:.3g} < N·ε·σ_max = {u.level:.3g})"
        path = pt_mp.ball_path(kind, theorem, net, X, Y, W0, h0, u.cands[:3], lambdas, delta, details, reason) \
            if ball else None
        if path is not None:
            return path
        if ball:
            tail = (f"; ball arithmetic up to {pt_mp.MAX_DIGITS} digits did not prove rank N either, at the start or "
                    "the 2 best perturbations: σ may not be full-rank reachable for these inputs (Definition 5), "
                    "but this is not a proof")
        else:
            res = pt_mp.resolve_rank(net, u.cands[0][1], X, h0) if net.widths[h0] * N <= pt_mp.MAX_ENTRIES else None
            tail = ("; not resolved in float64 is no evidence against full-rank reachability (Definition 5)" +
                    (f"; ball arithmetic proves rank N at the start (σ_min ≈ {res.sigma_lo:.3g} at {res.digits} "
                     "digits)" if res is not None else "") +
                    ("; the pyramid path (76) is computed in float64 only" if kind != "wide"
                     else "; precision='auto' (--precision auto) continues in ball arithmetic"))
        raise HypothesisFailed(head + tail, theorem=thm, hypothesis=HYPOTHESES["rank"]) from None
    P = _prepare76(net, Wp, X, h0, directions, state)
    E0 = float(np.sum((P.Yp - Y) ** 2))
    predicted = (1.0 - lambdas) ** 2 * E0
    if kind == "wide":
        losses, e = _losses_wide(net, Wp, P, Y, lambdas)
        end_layer = Wp[-1] + P.left_inv.apply(Y - P.Yp)
    else:
        losses, e, end_layer = _pyramid_losses(net, Wp, P, X, Y, h0, lambdas)
    floors = _rounding_floors(e, N, P, E0, predicted, losses)
    floor = float(np.max(floors))
    resolved = _resolved(predicted, floors)
    strictly = bool(np.all(np.diff(losses)[resolved] < 0))
    # a large mismatch with the formula is a failure, too
    strictly = strictly and bool(np.all(np.abs(losses - predicted) <= 10 * floors + 1e-12 * E0))
    end_ok = bool(losses[-1] <= 10 * floors[-1])
    level = max(P.Ts[h0].shape) * _EPS * P.left_inv.smax
    prec = {"arithmetic": "float64", "sigma_min": smin,
            "reason": f"float64 resolves rank N: σ_min = {smin:.3g} > N·ε·σ_max = {level:.3g}"}
    if ball and 2 * int(np.sum(resolved)) < resolved.size:
        reason = (f"the float64 check resolved {int(np.sum(resolved))} of {resolved.size} steps (rounding floor "
                  f"{floor:.3g}, E(W^p) = {E0:.3g}; κ(T_{h0}) = {P.condition:.3g})")
        path = pt_mp.ball_path(kind, theorem, net, X, Y, W0, h0, [(smin, Wp, size, layers)], lambdas, delta, details,
                          reason)
        if path is not None:
            return path
    return PTPath(kind, theorem, net, X, Y, tuple(W0), tuple(Wp), h0 + 1, end_layer, float(delta), size, layers,
                  smin, lambdas, losses, predicted, floor, strictly, int(np.sum(~resolved)), end_ok,
                  {**details, "precision": prec})


# ----------------------------------------------------------------- public --

def wide_path(widths: Sequence[int], activation: Any, X: Any, Y: Any, weights: Sequence[Any] | None = None, *,
              delta: float = 1e-3, seed: int = 0, samples: int = 1001, attempts: int = 20,
              precision: str = "auto") -> PTPath:
    """Property PT for a wide last layer: perturb, then the segment in W_{H+1} to W T_H = Y.

    Parameters
    ----------
    widths : sequence of int
        (d_0, d_1, ..., d_H, d_out) with d_H ≥ N.
    activation : str, Activation, or a sequence of them (one per hidden layer)
        Any continuous σ.
    X, Y : array
        Data (d_0, N) and targets (d_out, N).
    weights : sequence of arrays, optional
        The start W^o (default: seeded Gaussian weights).
    delta : float
        Size (Frobenius norm over W_1..W_H) of the perturbation tried.
    seed : int
        Seed of the perturbations (and of W^o when not given).
    samples : int
        Number of λ at which the loss is evaluated along the path.
    attempts : int
        Number of random perturbations tried before giving up.
    precision : "auto" or "float64"
        "auto": when float64 cannot resolve rank N, or its check resolves fewer than half the
        steps, continue in ball arithmetic at the digits the data need (``details["precision"]``).

    Returns
    -------
    PTPath
        ``verified`` is True when the loss decreased strictly at every resolved sample, some
        sample was resolved (else ``status`` is "undecided") and E(W(1)) is 0 up to rounding.

    Raises
    ------
    NotApplicable
        d_H < N, or the data violate Assumption A1.
    HypothesisFailed
        rank T_H = N impossible for every W (named), dead units, or not resolved within δ.

    References
    ----------
    Li, Ding & Sun, Definition 2, Claim 1, Theorem 2; the path (76) with h0 = H.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((2, 5)), rng.standard_normal((1, 5))
    >>> p = wide_path([2, 6, 1], "tanh", X, Y, samples=101)
    >>> p.verified, p.end_loss < 1e-20
    (True, True)
    """
    net = deep_network(widths, activation)
    Xa, Ya, W0 = _check_data(net, X, Y, weights, seed)
    N = Xa.shape[1]
    if net.widths[-2] < N:
        raise NotApplicable(
            f"widths={list(net.widths)}: the last hidden layer has d_H={net.widths[-2]} < N={N} neurons; "
            "Theorem 2 needs d_H ≥ N (try the pyramid of Theorem 3 or `basins pt --case` for narrow networks)",
            theorem="Theorem 2", hypothesis=HYPOTHESES["A3"])
    return _build("wide", net, Xa, Ya, W0, net.depth, delta=delta, seed=seed, samples=samples,
                  attempts=attempts, directions={}, details={}, precision=precision)


def pyramid_path(widths: Sequence[int], activation: Any, X: Any, Y: Any, weights: Sequence[Any] | None = None,
                 *, h0: int | None = None, delta: float = 1e-3, seed: int = 0, samples: int = 201,
                 attempts: int = 20, precision: str = "auto") -> PTPath:
    """Theorem 3 / 8: a wide layer h0 then a pyramid; the path (76) changes only W_{h0+1}.

    Parameters
    ----------
    widths : sequence of int
        (d_0, ..., d_H, d_out) with d_{h0} ≥ N and d_{h0} ≥ d_{h0+1} ≥ ... ≥ d_out.
    activation : str, Activation, or one per hidden layer
        σ_h for h > h0 must satisfy Assumption 4 (strictly monotone, range R).
    h0 : int, optional
        The wide layer (1-based); default the last h with d_h ≥ N.
    Other parameters as in :func:`wide_path`.

    Returns
    -------
    PTPath

    Raises
    ------
    NotApplicable
        No wide layer, widths increasing after h0 (Assumption 3, B1), or a
        later σ_h fails Assumption 4.
    HypothesisFailed
        rank T_{h0} = N not reached within δ.

    References
    ----------
    Li, Ding & Sun, Assumption 3, Theorem 3, Assumption 4, Theorem 8, (75)–(83).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X, Y = rng.standard_normal((2, 4)), rng.standard_normal((1, 4))
    >>> p = pyramid_path([2, 6, 3, 1], ["tanh", "leaky_relu"], X, Y, samples=21)
    >>> p.layer, p.verified
    (2, True)
    """
    net = deep_network(widths, activation)
    Xa, Ya, W0 = _check_data(net, X, Y, weights, seed)
    N, H, ws = Xa.shape[1], net.depth, net.widths
    if h0 is None:
        wide = [h for h in range(1, H + 1) if ws[h] >= N]
        if not wide:
            raise NotApplicable(f"widths={list(ws)} has no hidden layer with at least N={N} neurons "
                                "(Assumption 3, B1)", theorem="Theorem 3", hypothesis=HYPOTHESES["B1"])
        h0 = wide[-1]
    if int(h0) != h0 or not 1 <= h0 <= H:
        raise InvalidArgument(f"h0={h0!r} must be a hidden layer index in 1..{H}")
    h0 = int(h0)
    if ws[h0] < N:
        raise NotApplicable(f"h0={h0}: d_{h0}={ws[h0]} < N={N} (Assumption 3, B1)",
                            theorem="Theorem 3", hypothesis=HYPOTHESES["B1"])
    if any(ws[h] < ws[h + 1] for h in range(h0, H + 1)):
        raise NotApplicable(f"widths={list(ws)} increase after the wide layer h0={h0}; Assumption 3 (B1) "
                            "needs d_{h0} ≥ d_{h0+1} ≥ ... ≥ d_out", theorem="Theorem 3", hypothesis=HYPOTHESES["B1"])
    directions = {}
    for h in range(h0 + 1, H + 1):
        a4 = check_assumption4(net.activations[h - 1])
        if not a4.holds:
            raise NotApplicable(f"σ_{h} = {net.activations[h - 1].text} fails Assumption 4 ({a4.reason}); the path "
                                "(76) needs σ_h^{-1} on R for every layer after h0",
                                theorem="Theorem 8", hypothesis=HYPOTHESES["Assumption 4"])
        directions[h] = a4.direction
    kind = "wide" if h0 == H else "pyramid"
    return _build(kind, net, Xa, Ya, W0, h0, delta=delta, seed=seed, samples=samples, attempts=attempts,
                  directions=directions, details={"h0": h0}, precision=precision)


def decreasing_path(widths: Sequence[int], activation: Any, X: Any, Y: Any,
                    weights: Sequence[Any] | None = None, **kwargs: Any) -> PTPath:
    """The wide path when d_H ≥ N (and no other ``h0`` is asked for), else the pyramid path (Li, Ding & Sun,
    Theorems 2 and 3)."""
    net = deep_network(widths, activation)
    Xa = np.asarray(X, dtype=float)
    N = Xa.shape[-1]
    if net.widths[-2] >= N and kwargs.get("h0") in (None, net.depth):
        kwargs.pop("h0", None)
        return wide_path(widths, activation, X, Y, weights, **kwargs)
    return pyramid_path(widths, activation, X, Y, weights, **kwargs)


def check_constructive(record: Mapping[str, Any], gen: Mapping[str, Any], kind: str, losses: np.ndarray,
                        checks: dict[str, bool]) -> None:
    """check_path for "wide" and "pyramid": losses and rounding floor recomputed from the generator."""
    from basins.errors import CaseFormatError
    if "perturbed_weights" not in gen:
        raise CaseFormatError("the path record has no weights (written with --no-weights): cannot re-check")
    net = deep_network(record["network"]["widths"], record["network"]["activations"])
    X, Y = unhex(gen["X"]), unhex(gen["Y"])
    Wp = [unhex(W) for W in gen["perturbed_weights"]]
    end = unhex(gen["end_layer"])
    lambdas = np.asarray(record["lambdas"], dtype=float)
    layer = int(gen["changed_layer"])
    N, H = X.shape[1], net.depth
    h0 = H if kind == "wide" else layer - 1
    if pt_mp.is_ball(record):
        return pt_mp.check_ball(record, net, X, Y, Wp, end, lambdas, losses, checks)
    checks["changed layer"] = layer == h0 + 1 and 1 <= h0 <= H
    if not checks["changed layer"]:
        return
    forward(net, Wp, X)                                  # shapes of W^p and X against the network
    directions = {h: check_assumption4(net.activations[h - 1]).direction for h in range(h0 + 1, H + 1)}
    Ts, Us = _forward_all(net, Wp, X)
    left = _LeftInverse(Ts[h0])
    checks["rank T_{h0} = N at W^p"] = bool(left.full_rank)
    if not left.full_rank:
        return
    P = _prepare76(net, Wp, X, h0, directions, (Ts, Us, left))
    E0 = float(np.sum((P.Yp - Y) ** 2))                  # E(W^p), the start of the path (as in _build)
    again = np.empty(lambdas.size)
    if kind == "wide":
        # only W_{H+1} moves: T_H from one forward pass, then W_{H+1}(λ) T_H for every λ
        TH = Ts[H]
        for k, lam in enumerate(lambdas):
            R = (Wp[-1] + lam * (end - Wp[-1])) @ TH - Y
            again[k] = float(np.sum(R * R))
        D = P.left_inv.apply(Y - P.Yp)
        e = _rounding_wide(Wp, P, Y, D)
        checks["end layer is W_{H+1}(1)"] = bool(np.allclose(Wp[-1] + D, end, rtol=1e-8, atol=1e-12))
    else:
        again, e, last = _pyramid_losses(net, Wp, P, X, Y, h0, lambdas)
        checks["end layer is W_{h0+1}(1)"] = bool(np.allclose(last, end, rtol=1e-8, atol=1e-12))
    predicted = (1 - lambdas) ** 2 * E0
    floors = _rounding_floors(e, N, P, E0, predicted, again)   # never the stored rounding_floor
    floor = float(np.max(floors)) if floors.size else 0.0
    checks["λ increases from 0 to 1"] = bool(lambdas.size >= 2 and lambdas[0] == 0 and lambdas[-1] == 1
                                             and np.all(np.diff(lambdas) > 0))
    checks["losses reproduce"] = bool(losses.shape == again.shape and np.all(np.isfinite(losses)) and
                                      np.all(np.abs(again - losses) <= 10 * floors + 1e-12 * max(1.0, E0)))
    checks["losses follow (1 − λ)² E(W^p)"] = bool(np.all(np.abs(again - predicted) <= 10 * floors + 1e-12 * E0))
    resolved = _resolved(predicted, floors)
    checks["strictly decreasing"] = bool(np.all(np.diff(again)[resolved] < 0))
    checks[UNDECIDED_CHECK] = bool(resolved.any())
    checks["end loss is 0 up to rounding"] = bool(again.size > 0 and again[-1] <= 10 * floors[-1])
    checks["stored rounding floor agrees"] = agrees(record.get("rounding_floor"), floor, 1e-6, 0.0)


