"""Property PT at the precision the data need: rank N of T_{h0} and the wide path in ball arithmetic.

For 1-D bias-free features the smallest singular value of T = [σ(w_i x_n)] decays
geometrically with N (tanh: ≈ 1e-30 at N = 20, 1e-78 at N = 50), far below what
float64 resolves (σ_min > N ε σ_max).  That is conditioning, not mathematics: this
module continues in python-flint ball arithmetic (``arb``, rigorous enclosures),
choosing the precision from the data.

* :func:`resolve_rank` computes T_{h0} = σ(W_{h0} ... σ(W_1 X)) from the exact float64
  data and weights at 30, 50, 80, ... digits (up to :data:`MAX_DIGITS`) until a ball
  inverse proves rank N and the enclosure of σ_min is tight (relative width below
  :data:`TIGHT`).  σ_min is enclosed as follows: with M = (T^T T)^{-1} (or T^{-1}T^{-T}
  when T is square), λ_max(M) = σ_min^{-2} and λ_max^k ≤ tr M^k ≤ N λ_max^k, so
  σ_min ∈ [tr(M^k)^{-1/(2k)}, (tr(M^k)/N)^{-1/(2k)}] for k = 2^14 (repeated squaring).
* :func:`ball_wide_losses` evaluates the wide path of Theorem 2,
  W_{H+1}(λ) = W^p_{H+1} + λ D with D = (Y − Ŷ^p) T_H^+ enclosed as a ball matrix,
  by the network's forward product W_{H+1}(λ) T_H − Y at every λ, in balls: each loss is an
  enclosure of the loss of the exact path, and a step is checked when the two balls
  are disjoint (the decrease exceeds the rounding error at that precision).

References
----------
Li, Ding & Sun, Claim 1 and Theorem 2; SPEC §12 (precision on demand).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from basins.landscape.records import PTPath, agrees
from basins.model.deep import DeepNetwork, forward

__all__ = ["LADDER", "MAX_DIGITS", "MAX_PATH_DIGITS", "digits_reason", "TIGHT", "MAX_ENTRIES", "Resolved", "BallPath", "working_digits",
           "arb_forward", "sigma_min_enclosure", "resolve_rank", "path_digits", "ball_wide_losses", "ball_path", "dead_units", "check_ball", "is_ball", "UNDECIDED_CHECK"]

#: Precisions tried, in decimal digits; the last is the bound.
LADDER: tuple[int, ...] = (30, 50, 80, 120, 170, 230, 300, 400)
MAX_DIGITS = LADDER[-1]
#: Bound on the digits of the path's losses (they need about 2.5 log10 κ).
MAX_PATH_DIGITS = 1200
#: σ_min counts as resolved when its enclosure [lo, hi] has hi/lo − 1 below this.
TIGHT = 0.01
#: Larger T_{h0} (entries d_{h0}·N) are not tried in ball arithmetic (python loops over entries).
MAX_ENTRIES = 40_000
_SQUARINGS = 14
#: The check of a path record that fails alone when no step was resolved: the verdict is "undecided".
UNDECIDED_CHECK = "some step's decrease exceeds the rounding error (else undecided)"


@contextlib.contextmanager
def working_digits(digits: int) -> Iterator[None]:
    """Set python-flint's working precision for the block (restored afterwards)."""
    import flint
    old = flint.ctx.prec
    flint.ctx.dps = int(digits)
    try:
        yield
    finally:
        flint.ctx.prec = old


def _mat(A: np.ndarray) -> Any:
    import flint
    A = np.atleast_2d(np.asarray(A, dtype=float))
    return flint.arb_mat(A.shape[0], A.shape[1], [float(v) for v in A.ravel()])


def arb_forward(net: DeepNetwork, Ws: Sequence[np.ndarray], X: np.ndarray, upto: int) -> list[Any]:
    """[T_0, ..., T_upto] as ``arb_mat`` at the current precision (exact float64 inputs, rigorous balls)."""
    Ts = [_mat(X)]
    for h in range(upto):
        U = _mat(Ws[h]) * Ts[-1]
        ev = net.activations[h].arb(0)
        vals = [ev(U[i, j])[0] for i in range(U.nrows()) for j in range(U.ncols())]
        import flint
        Ts.append(flint.arb_mat(U.nrows(), U.ncols(), vals))
    return Ts


def sigma_min_enclosure(T: Any, N: int) -> tuple[Any, Any] | None:
    """Balls (lo, hi) with lo ≤ σ_N(T) ≤ hi for a (d × N) ``arb_mat`` T, d ≥ N; None if rank N is not proved.

    M = T^{-1} T^{-T} (square) or (T^T T)^{-1}; λ_max(M) = σ_N^{-2}, and tr M^k ∈ [λ_max^k, N λ_max^k]."""
    import flint
    try:
        if T.nrows() == N:
            Ti = T.inv()
            M = Ti * Ti.transpose()
        else:
            M = (T.transpose() * T).inv()
    except ZeroDivisionError:
        return None
    k = 1
    for _ in range(_SQUARINGS):
        M = M * M
        k *= 2
    tr = M.trace()
    if not (tr.is_finite() and tr > 0):
        return None
    e = -flint.arb(1) / (2 * k)
    return tr ** e, (tr / N) ** e


def _outward(x: Any, down: bool) -> str:
    """A decimal string (8 digits) below (``down``) or above the point ``x``: nearest rounding moved one unit."""
    from decimal import Decimal
    d = Decimal(x.str(8, radius=False))
    ulp = Decimal(10) ** (d.adjusted() - 7)
    return str(d - ulp if down else d + ulp)


@dataclass(frozen=True)
class Resolved:
    """Rank N of T_{h0} proved in ball arithmetic at ``digits`` digits, with the balls T_0..T_{h0}."""

    digits: int
    sigma_lo: float          # float64 values of the enclosure (0.0 if below float64's range: see the texts)
    sigma_hi: float
    sigma_text: tuple[str, str]
    log10_sigma: float
    tried: tuple[int, ...]
    Ts: tuple


def resolve_rank(net: DeepNetwork, Ws: Sequence[np.ndarray], X: np.ndarray, h0: int,
                 ladder: Sequence[int] = LADDER) -> Resolved | None:
    """Raise the precision along ``ladder`` until rank T_{h0} = N is proved and σ_min tightly enclosed.

    Returns None when rank N is not proved at the last precision (nothing is concluded then)."""
    import flint
    N = X.shape[1]
    tried: list[int] = []
    for digits in ladder:
        tried.append(int(digits))
        with working_digits(digits):
            Ts = arb_forward(net, Ws, X, h0)
            enc = sigma_min_enclosure(Ts[h0], N)
            if enc is None:
                continue
            lo, hi = enc
            if not (lo.is_finite() and hi.is_finite() and lo > 0):
                continue
            if not bool(hi.upper() <= lo.lower() * (1 + flint.arb(TIGHT))):
                continue
            texts = (_outward(lo.lower(), down=True), _outward(hi.upper(), down=False))
            log10 = float((lo.lower().log() / flint.arb(10).log()).mid())
            return Resolved(int(digits), float(lo.lower()), float(hi.upper()), texts, log10, tuple(tried), tuple(Ts))
    return None


@dataclass(frozen=True)
class BallPath:
    """The wide path's losses in balls: midpoints, radii, and the checks at that precision."""

    losses: np.ndarray
    radii: np.ndarray
    predicted: np.ndarray
    E0: float
    end_layer: np.ndarray
    end_layer_text: list | None     # W_{H+1}(1) to the working digits (decimal strings), small layers only
    resolved: np.ndarray
    decreasing: bool
    follows: bool
    end_ok: bool


def _sumsq(R: Any) -> Any:
    import flint
    s = flint.arb(0)
    for i in range(R.nrows()):
        for j in range(R.ncols()):
            s += R[i, j] ** 2
    return s


def _to_float(M: Any) -> np.ndarray:
    return np.array([[float(M[i, j].mid()) for j in range(M.ncols())] for i in range(M.nrows())])


def path_digits(res: Resolved, sigma_max: float) -> int:
    """Digits for the path: the ball solve D = (Y − Ŷ^p) T^+ loses about log10 κ digits (and its
    enclosure overestimates), D T another log10 κ to cancellation: 2.5 log10 κ + 40 (measured: tanh,
    N = 50, κ ≈ 1e70 needs about 190), never fewer than the digits that resolved the rank."""
    log_kappa = math.log10(max(sigma_max, 1.0)) - res.log10_sigma
    return min(max(res.digits, int(math.ceil(2.5 * log_kappa)) + 40), MAX_PATH_DIGITS)


def ball_wide_losses(net: DeepNetwork, Wp: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray,
                     lambdas: np.ndarray, digits: int) -> BallPath:
    """E(λ) = ||W_{H+1}(λ) T_H − Y||² in balls at ``digits`` digits, with its checks.

    T_H is recomputed at ``digits`` from the exact float64 data and weights; D = (Y − Ŷ^p) T_H^+ is a ball
    matrix enclosing the exact D, so every loss ball encloses the loss of the exact path at that λ.
    A step (λ_k, λ_{k+1}) is resolved when the predicted drop (1−λ)² E(W^p) exceeds twice the radii;
    it is checked decreasing when the two loss balls are disjoint and in the right order.
    ``follows``: every ball overlaps the ball of (1 − λ)² E(W^p); ``end_ok``: E(W(1)) (exactly 0 on the
    exact path) is a ball containing 0 whose radius is below 1e-20 E(W^p)."""
    import flint
    with working_digits(digits):
        TH = arb_forward(net, Wp, X, net.depth)[-1]
        N = TH.ncols()
        Ya = _mat(Y)
        Wl = _mat(Wp[-1])
        B = Ya - Wl * TH                               # Y − Ŷ^p, (d_out × N)
        try:
            if TH.nrows() == N:
                D = TH.transpose().solve(B.transpose()).transpose()
            else:
                D = (TH * (TH.transpose() * TH).solve(B.transpose())).transpose()
        except ZeroDivisionError:
            nan = np.full(len(lambdas), np.nan)
            return BallPath(nan, nan, nan, float("nan"), np.full(np.shape(Wp[-1]), np.nan), None,
                            np.zeros(max(len(lambdas) - 1, 0), bool), False, False, False)
        E0 = _sumsq(B)
        balls = []
        for lam in lambdas:
            R = (Wl + D * flint.arb(float(lam))) * TH - Ya
            balls.append(_sumsq(R))
        pred = [(1 - flint.arb(float(lam))) ** 2 * E0 for lam in lambdas]
        mids = np.array([float(b.mid()) for b in balls])
        radii = np.array([float(b.rad()) for b in balls])
        pmid = np.array([float(p.mid()) for p in pred])
        prad = np.array([float(p.rad()) for p in pred])
        resolved = np.abs(pmid[:-1] - pmid[1:]) > 2.0 * (radii[:-1] + radii[1:] + prad[:-1] + prad[1:])
        decreasing = all(bool(balls[k] > balls[k + 1]) for k in np.flatnonzero(resolved))
        follows = all(b.overlaps(p) for b, p in zip(balls, pred))
        end_ok = bool(len(balls) and balls[-1].overlaps(flint.arb(0)) and radii[-1] <= 1e-20 * float(E0.mid()))
        End = Wl + D
        text = ([[End[i, j].mid().str(digits, radius=False) for j in range(End.ncols())] for i in range(End.nrows())]
                if End.nrows() * End.ncols() <= 5000 else None)
        return BallPath(np.maximum(mids, 0.0), radii, pmid, float(E0.mid()), _to_float(End), text, resolved,
                        decreasing, follows, end_ok)


def digits_reason(res: Resolved) -> str:
    """Why this precision: the ladder of precisions tried and the enclosure of σ_min."""
    return (f"ball arithmetic proved rank N at {res.digits} digits (tried {', '.join(map(str, res.tried))}; "
            f"σ_min ∈ [{res.sigma_text[0]}, {res.sigma_text[1]}])")


def dead_units(net: DeepNetwork, X: np.ndarray, h0: int, cands: list[tuple]) -> str:
    """Why rank N fails when units of layer h0 are dead (σ = 0 on every sample) at every candidate."""
    N, d = X.shape[1], net.widths[h0]
    dead = None
    for c in cands[:1] + sorted(cands[1:], key=lambda c: -c[0])[:1]:
        Ts = forward(net, c[1], X)
        z = set(np.flatnonzero(np.all(Ts[h0] == 0, axis=1)).tolist())
        dead = z if dead is None else dead & z
    dead_l = sorted(dead or ())
    if d - len(dead_l) >= N:
        return ""
    Ts = forward(net, cands[0][1], X)
    top = float(np.max((cands[0][1][h0 - 1] @ Ts[h0 - 1])[dead_l])) if dead_l else 0.0
    cols = np.flatnonzero(np.all(Ts[h0] == 0, axis=0))
    hint = (f"; T_{h0} has zero columns {cols[:5].tolist()} (every unit inactive on those samples)"
            if cols.size else "")
    return (f"dead units: units {dead_l[:10]}{' ...' if len(dead_l) > 10 else ''} of layer {h0} have "
            f"pre-activations ≤ {top:.3g} on every sample, where σ_{h0} = {net.activations[h0 - 1].text} is 0, at the "
            f"start and after the perturbations of size delta: T_{h0} has {len(dead_l)} zero rows, so rank ≤ {d} − "
            f"{len(dead_l)} < N = {N}; E is locally constant in those units (try a larger delta or another "
            f"start){hint}")


def ball_path(kind: str, theorem: str, net: DeepNetwork, X: np.ndarray, Y: np.ndarray, W0: list[np.ndarray],
               h0: int, cands: list[tuple], lambdas: np.ndarray, delta: float, details: dict, reason: str
               ) -> PTPath | None:
    """The wide path in ball arithmetic at the digits the data need (:mod:`basins.landscape.pt_mp`)."""
    for smin, Ws, size, layers in cands:
        res = resolve_rank(net, Ws, X, h0)
        if res is None:
            continue
        smax = float(np.linalg.norm(forward(net, Ws, X)[h0], 2))
        digits = path_digits(res, smax)
        for _ in range(3):
            bp = ball_wide_losses(net, Ws, X, Y, lambdas, digits)
            if bp.resolved.all() or digits >= MAX_PATH_DIGITS:
                break
            digits = min(int(digits * 1.4), MAX_PATH_DIGITS)
        if not np.all(np.isfinite(bp.losses)):
            continue
        prec = {"arithmetic": "ball (python-flint arb)", "digits": digits, "rank_digits": res.digits,
                "sigma_min": [res.sigma_lo, res.sigma_hi], "sigma_min_text": list(res.sigma_text),
                "float64_sigma_min": smin, "end_layer_digits": bp.end_layer_text,
                "reason": f"{reason}; {digits_reason(res)}; path losses in balls at {digits} digits "
                          f"(≈ 2.5 log10 κ + 40)"}
        return PTPath(kind, theorem, net, X, Y, tuple(W0), tuple(Ws), h0 + 1, bp.end_layer, float(delta), size,
                      layers, res.sigma_lo, lambdas, bp.losses, bp.predicted, float(np.max(bp.radii)),
                      bool(bp.decreasing and bp.follows), int(np.sum(~bp.resolved)), bp.end_ok,
                      {**details, "precision": prec})
    return None


def is_ball(record: Any) -> bool:
    """Whether a path record says it was computed in ball arithmetic (``details["precision"]``)."""
    d = record.get("details") if isinstance(record, Mapping) else None
    p = d.get("precision") if isinstance(d, Mapping) else None
    return isinstance(p, Mapping) and str(p.get("arithmetic", "")).startswith("ball")


def check_ball(record: Any, net: DeepNetwork, X: np.ndarray, Y: np.ndarray, Wp: list[np.ndarray], end: np.ndarray,
               lambdas: np.ndarray, losses: np.ndarray, checks: dict[str, bool]) -> None:
    """check_path for a wide path computed in ball arithmetic: everything recomputed in balls from the
    generator (X, Y, W^p) at the stored digits; the stored losses, floor and σ_min are only compared."""
    digits = int(record["details"]["precision"]["digits"])
    checks["ball arithmetic only for wide paths"] = record.get("kind") == "wide"
    checks["digits within bounds"] = 10 <= digits <= MAX_PATH_DIGITS
    if not (checks["ball arithmetic only for wide paths"] and checks["digits within bounds"]):
        return
    forward(net, Wp, X)                                  # shapes of W^p and X against the network
    res = resolve_rank(net, Wp, X, net.depth)
    checks["rank T_H = N at W^p (ball arithmetic)"] = res is not None
    if res is None:
        return
    checks["λ increases from 0 to 1"] = bool(lambdas.size >= 2 and lambdas[0] == 0 and lambdas[-1] == 1
                                             and np.all(np.diff(lambdas) > 0))
    bp = ball_wide_losses(net, Wp, X, Y, lambdas, digits)
    tol = bp.radii + 1e-12 * max(1.0, bp.E0)
    checks["losses reproduce"] = bool(losses.shape == bp.losses.shape and np.all(np.abs(losses - bp.losses) <= tol))
    checks["losses follow (1 − λ)² E(W^p)"] = bp.follows
    checks["strictly decreasing"] = bp.decreasing
    checks[UNDECIDED_CHECK] = bool(bp.resolved.any())
    checks["end loss is 0 up to rounding"] = bp.end_ok
    checks["end layer is W_{H+1}(1)"] = bool(np.allclose(bp.end_layer, end, rtol=1e-8, atol=1e-12))
    stored = record["details"]["precision"].get("end_layer_digits")
    if stored is not None and bp.end_layer_text is not None:
        from decimal import Decimal, localcontext
        with localcontext() as ctx:
            ctx.prec = digits + 10
            dtol = Decimal(10) ** -(digits // 2)
            checks["stored end-layer digits agree"] = bool(
                len(stored) == len(bp.end_layer_text) and all(
                    len(r) == len(q) and all(abs(Decimal(str(a)) - Decimal(b)) <= dtol * (1 + abs(Decimal(b)))
                                             for a, b in zip(r, q)) for r, q in zip(stored, bp.end_layer_text)))
    checks["stored rounding floor agrees"] = agrees(record.get("rounding_floor"), float(np.max(bp.radii)), 1e-3, 0.0)
    checks["stored σ_min agrees"] = agrees((record.get("perturbation") or {}).get("sigma_min"), res.sigma_lo,
                                           TIGHT, 0.0)
