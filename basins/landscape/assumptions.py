"""Assumptions 2 and 4 and full-rank reachability (Definition 5), decided for an activation.

* Assumption 2: σ is analytic and N of its derivatives at 0, with orders
  l_0 < ... < l_{N−1} in arithmetic progression, are non-zero.  Decided from
  the exact Taylor coefficients (sympy); for a polynomial every order is known
  and the answer is exact either way, otherwise a progression found up to
  ``max_order`` proves it and none found leaves it undecided.
* Assumption 4 (pyramid layers of Theorem 3/8): σ is continuous, strictly
  monotone and σ(R) = R.
* Definition 5 (full-rank reachable): σ(ŴX) can be given rank N by a small
  perturbation of any W.  :func:`rank_obstruction` proves rank T_h ≤ N − 1 for
  every W when the data and σ force it: a ±x pair of samples with σ odd or even
  (whatever Assumption 2 says), a polynomial σ (Example 1), or positively
  homogeneous σ on 1-D inputs.  For a polynomial σ and d_0-dimensional inputs, the
  rank of σ(WX) is at most Σ_k C(k+d_0−1, d_0−1) over the orders k of its
  non-zero coefficients, for every W (exact; this is the paper's Example 1 for
  t^p); otherwise rank N is searched for numerically.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Assumption 2 (§3.1), Definition 5 and Example 1 (§4.1), Lemma 1,
Assumption 4 and Theorem 8 (Appendix B).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from basins.activations import T, Activation, as_activation
from basins.errors import InvalidArgument

__all__ = [
    "HYPOTHESES",
    "Assumption2",
    "Assumption4",
    "Reachability",
    "check_assumption2",
    "check_assumption4",
    "full_rank_reachability",
    "arithmetic_progression",
    "parity",
    "rank_obstruction",
]

#: The hypotheses decided here, by the names used in reports and errors.
HYPOTHESES: dict[str, str] = {
    "Assumption 2": "σ analytic with N non-zero derivatives at 0 whose orders form an arithmetic sequence",
    "Assumption 4": "σ continuous, strictly monotone, with range R",
    "Definition 5": "σ full-rank reachable: σ(ŴX) has rank N for some Ŵ arbitrarily close to any W",
}

#: Taylor orders examined by default: enough for N ≤ 20 with step 2.
DEFAULT_MAX_ORDER = 40


@dataclass(frozen=True)
class Assumption2:
    """Outcome of :func:`check_assumption2`.

    ``holds`` is True (proved by exact coefficients), False (exactly refuted)
    or None (not decided up to ``max_order``).
    """

    activation: str
    N: int
    holds: bool | None
    analytic: bool
    orders: tuple[int, ...]
    progression: tuple[int, ...] | None
    max_order: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"activation": self.activation, "N": self.N, "holds": self.holds, "analytic": self.analytic,
                "nonzero_orders": list(self.orders), "progression": None if self.progression is None
                else list(self.progression), "max_order": self.max_order, "reason": self.reason,
                "decided": "exactly (sympy)" if self.holds is not None else "undecided"}


@dataclass(frozen=True)
class Assumption4:
    """Outcome of :func:`check_assumption4`; ``direction`` is +1, −1 or 0 (not monotone/undecided)."""

    activation: str
    holds: bool | None
    direction: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"activation": self.activation, "holds": self.holds, "direction": self.direction,
                "reason": self.reason}


@dataclass(frozen=True)
class Reachability:
    """Outcome of :func:`full_rank_reachability`.

    ``reachable`` True means rank N was reached ("verified numerically");
    False with ``method == "exact"`` is proved by the polynomial rank bound or
    width < N; None means rank N was not reached numerically (not a proof).
    """

    activation: str
    N: int
    width: int
    reachable: bool | None
    method: str
    rank_bound: int | None
    best_rank: int | None
    smallest_singular_value: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def arithmetic_progression(orders: Any, N: int) -> tuple[int, ...] | None:
    """The N-term arithmetic progression inside ``orders`` ending earliest (ties: smallest start), or None.

    Examples
    --------
    >>> arithmetic_progression([1, 3, 4, 5, 7], 3)
    (1, 3, 5)
    >>> arithmetic_progression([1, 4, 5, 6], 3)
    (4, 5, 6)
    >>> arithmetic_progression([0, 2, 3], 3) is None
    True
    """
    s = sorted(set(int(o) for o in orders))
    present = set(s)
    if N < 1:
        raise InvalidArgument(f"N={N!r} must be at least 1")
    if N == 1:
        return (s[0],) if s else None
    best: tuple[int, ...] | None = None
    for i, l0 in enumerate(s):
        for l1 in s[i + 1:]:
            d = l1 - l0
            end = l0 + (N - 1) * d
            if best is not None and end >= best[-1]:
                break
            if end > s[-1]:
                break
            if all(l0 + k * d in present for k in range(N)):
                best = tuple(l0 + k * d for k in range(N))
    return best


def _is_analytic(act: Activation) -> tuple[bool, str]:
    if act.is_piecewise or act.nonsmooth_points:
        pts = ", ".join(str(p) for p in act.nonsmooth_points) or "its breakpoints"
        return False, f"{act.text} is defined piecewise / not smooth at {pts}, so not analytic"
    if act.expr.has(sp.Abs, sp.Max, sp.Min, sp.sign, sp.Heaviside):
        return False, f"{act.text} contains a non-analytic function"
    return True, "built from functions analytic on R (no breakpoints)"


def _taylor_orders(expr: sp.Expr, max_order: int) -> tuple[int, ...]:
    if expr.is_polynomial(T):
        poly = sp.Poly(sp.expand(expr), T)
        return tuple(sorted(k for (k,), c in poly.terms() if c != 0))
    series = sp.series(expr, T, 0, max_order + 1).removeO()
    poly = sp.Poly(sp.expand(series), T)
    out = []
    for (k,), c in poly.terms():
        if k <= max_order and sp.simplify(c) != 0:
            out.append(int(k))
    return tuple(sorted(out))


def check_assumption2(activation: Activation | str, N: int, *, max_order: int | None = None) -> Assumption2:
    """Decide Assumption 2 for σ and N samples from the exact Taylor coefficients at 0.

    Parameters
    ----------
    activation : str or Activation
    N : int
        Number of samples (length of the progression).
    max_order : int, optional
        Highest derivative order examined for a non-polynomial σ (default
        ``max(DEFAULT_MAX_ORDER, 2N+1)`` capped at 120).

    Returns
    -------
    Assumption2
        ``holds`` is True/False when decided exactly, None when no progression
        was found up to ``max_order`` for a non-polynomial analytic σ.

    References
    ----------
    Li, Ding & Sun, Assumption 2 and Lemma 1.

    Examples
    --------
    >>> r = check_assumption2("sin", 3)
    >>> r.holds, r.progression
    (True, (1, 3, 5))
    >>> check_assumption2("t**2", 2).holds
    False
    """
    act = as_activation(activation)
    if not isinstance(N, (int, np.integer)) or N < 1:
        raise InvalidArgument(f"N={N!r} must be a positive integer")
    N = int(N)
    L = int(max_order) if max_order is not None else min(max(DEFAULT_MAX_ORDER, 2 * N + 1), 120)
    if L < 0:
        raise InvalidArgument(f"max_order={max_order!r} must be non-negative")
    analytic, why = _is_analytic(act)
    if not analytic:
        return Assumption2(act.text, N, False, False, (), None, L, why)
    try:
        orders = _taylor_orders(act.expr, L)
    except Exception as exc:  # sympy could not expand: not decided
        return Assumption2(act.text, N, None, True, (), None, L, f"no Taylor series at 0 ({type(exc).__name__})")
    poly = bool(act.expr.is_polynomial(T))
    prog = arithmetic_progression(orders, N)
    if prog is not None:
        return Assumption2(act.text, N, True, True, orders, prog, L,
                           f"σ^(l)(0) ≠ 0 for l in {list(prog)} (exact Taylor coefficients)")
    if poly:
        return Assumption2(act.text, N, False, True, orders, None, L,
                           f"polynomial with non-zero derivatives at 0 only at orders {list(orders)}: "
                           f"no {N}-term arithmetic progression")
    return Assumption2(act.text, N, None, True, orders, None, L,
                       f"no {N}-term arithmetic progression among the non-zero orders up to {L}; "
                       "higher orders not examined")


def check_assumption4(activation: Activation | str) -> Assumption4:
    """Decide Assumption 4: σ continuous, strictly monotone, σ(R) = R.

    Examples
    --------
    >>> check_assumption4("leaky_relu").holds, check_assumption4("tanh").holds
    (True, False)

    References
    ----------
    Li, Ding & Sun, Assumption 4 and Theorem 8 (Appendix B).
    """
    act = as_activation(activation)
    pl = act.piecewise_linear
    if pl is not None:
        slopes = [s for s, _ in pl.pieces]
        if all(s > 0 for s in slopes):
            return Assumption4(act.text, True, 1, f"piecewise linear with positive slopes {[str(s) for s in slopes]}")
        if all(s < 0 for s in slopes):
            return Assumption4(act.text, True, -1, f"piecewise linear with negative slopes {[str(s) for s in slopes]}")
        return Assumption4(act.text, False, 0, f"piecewise linear with slopes {[str(s) for s in slopes]}: "
                           "not strictly monotone")
    if act.is_piecewise:
        return Assumption4(act.text, None, 0, "piecewise σ that is not piecewise linear: not decided")
    e = act.expr
    direction = 0
    try:
        if sp.is_strictly_increasing(e, sp.Reals, T):
            direction = 1
        elif sp.is_strictly_decreasing(e, sp.Reals, T):
            direction = -1
        else:
            d = sp.diff(e, T)
            if d != 0 and sp.solveset(d < 0, T, sp.Reals) == sp.S.EmptySet:
                direction = 1  # σ′ ≥ 0 and analytic, not ≡ 0: zeros isolated
            elif d != 0 and sp.solveset(d > 0, T, sp.Reals) == sp.S.EmptySet:
                direction = -1
    except Exception:  # pragma: no cover - sympy could not decide
        return Assumption4(act.text, None, 0, "monotonicity not decided by sympy")
    if direction == 0:
        return Assumption4(act.text, False, 0, f"{act.text} is not strictly monotone on R")
    try:
        lo, hi = sp.limit(e, T, -sp.oo), sp.limit(e, T, sp.oo)
    except Exception:  # pragma: no cover
        return Assumption4(act.text, None, direction, "limits at ±∞ not decided by sympy")
    want = (-sp.oo, sp.oo) if direction > 0 else (sp.oo, -sp.oo)
    if (lo, hi) == want:
        return Assumption4(act.text, True, direction, f"strictly {'in' if direction > 0 else 'de'}creasing, "
                           f"limits {lo} and {hi} at -∞ and +∞")
    return Assumption4(act.text, False, direction, f"range is not R: limits {lo} at -∞ and {hi} at +∞")


def _poly_rank_bound(act: Activation, d0: int) -> int | None:
    if act.is_piecewise or not act.expr.is_polynomial(T):
        return None
    orders = _taylor_orders(act.expr, 0)
    return int(sum(math.comb(k + d0 - 1, d0 - 1) for k in orders))


def full_rank_reachability(activation: Activation | str, X: Any, width: int, *, W: Any | None = None,
                           delta: float = 1e-2, trials: int = 20, seed: int = 0, ball: bool = True) -> Reachability:
    """Decide whether σ(ŴX) reaches rank N near W (Definition 5).

    Parameters
    ----------
    activation : str or Activation
    X : array (d_0, N)
        The data (a 1-D array is one input dimension).
    width : int
        Number of rows of W (neurons).
    W : array (width, d_0), optional
        Centre of the perturbations (default 0, the hardest point).
    delta : float
        Size (Frobenius norm) of the perturbations tried.
    trials, seed
        Number of seeded random perturbations.
    ball : bool
        When float64 does not resolve rank N, try python-flint ball arithmetic (30 to 400 digits)
        at the best perturbation before giving up.

    Returns
    -------
    Reachability
        Exact refutation for width < N, a polynomial rank bound < N (the
        paper's Example 1) or another :func:`rank_obstruction`; otherwise the best rank found
        (in float64, else in ball arithmetic).

    References
    ----------
    Li, Ding & Sun, Definition 5, Example 1, Claim 1.

    Examples
    --------
    >>> r = full_rank_reachability("t**3", [[1.0, 2.0]], 2)   # Example 1, p = 3
    >>> r.reachable, r.method, r.rank_bound
    (False, 'exact', 1)
    >>> full_rank_reachability("tanh", [[1.0, 2.0, -0.5]], 3).reachable
    True
    """
    act = as_activation(activation)
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim == 1:
        Xa = Xa[None, :]
    if Xa.ndim != 2 or not np.all(np.isfinite(Xa)):
        raise InvalidArgument(f"X with shape {np.shape(X)} must be a finite (d_0, N) array")
    d0, N = Xa.shape
    if int(width) != width or width < 1:
        raise InvalidArgument(f"width={width!r} must be a positive integer")
    if width < N:
        return Reachability(act.text, N, width, False, "exact", width, None, None,
                            f"σ(WX) has {width} rows < N = {N}, so rank N is impossible")
    bound = _poly_rank_bound(act, d0)
    if bound is not None and bound < N:
        return Reachability(act.text, N, width, False, "exact", bound, None, None,
                            f"σ is a polynomial: rank σ(WX) ≤ {bound} < N = {N} for every W (Example 1)")
    W0 = np.zeros((width, d0)) if W is None else np.asarray(W, dtype=float)
    if W0.shape != (width, d0):
        raise InvalidArgument(f"W has shape {W0.shape}, expected (width={width}, d_0={d0})")
    rng = np.random.default_rng(seed)
    f = act.numpy(0)
    best_rank, best_s, best_W, level = -1, 0.0, W0, 0.0
    for _ in range(max(1, trials)):
        P = rng.standard_normal(W0.shape)
        Wt = W0 + delta * P / np.linalg.norm(P)
        s = np.linalg.svd(f(Wt @ Xa), compute_uv=False)
        tol = max(width, N) * np.finfo(float).eps * (s[0] if s.size else 0.0)
        rank = int(np.sum(s > tol))
        if rank > best_rank or (rank == best_rank and s[-1] > best_s):
            best_rank, best_s, best_W, level = rank, float(s[min(N, s.size) - 1]), Wt, float(tol)
        if best_rank >= N:
            break
    if best_rank >= N:
        return Reachability(act.text, N, width, True, "verified numerically", bound, best_rank, best_s,
                            f"rank N = {N} reached within δ = {delta} (σ_min = {best_s:.3g})")
    why = rank_obstruction([act], Xa, 1)
    if why is not None:
        return Reachability(act.text, N, width, False, "exact", bound, best_rank, best_s, why)
    head = (f"best float64 rank {best_rank} < N = {N} in {trials} perturbations of size {delta}: float64 does not "
            f"resolve rank N (σ_min = {best_s:.3g} below the rounding level {level:.3g})")
    if ball and width * N <= 40_000:
        from basins.landscape.pt_mp import MAX_DIGITS, resolve_rank
        from basins.model.deep import deep_network
        res = resolve_rank(deep_network([d0, width, 1], act), [best_W, np.zeros((1, width))], Xa, 1)
        if res is not None:
            return Reachability(act.text, N, width, True, f"ball arithmetic ({res.digits} digits)", bound, N,
                                res.sigma_lo, f"{head}; ball arithmetic proves rank N = {N} at the best of them "
                                f"(σ_min ∈ [{res.sigma_text[0]}, {res.sigma_text[1]}] at {res.digits} digits)")
        head += f", nor does ball arithmetic up to {MAX_DIGITS} digits"
    return Reachability(act.text, N, width, None, "numerical", bound, best_rank, best_s,
                        f"{head}: not resolved, which is no evidence against reachability (not a proof either way)")


def parity(activation: Activation | str) -> str | None:
    """"odd" if σ(−t) = −σ(t), "even" if σ(−t) = σ(t) (decided exactly by sympy), else None.

    >>> parity("tanh"), parity("abs"), parity("sigmoid")
    ('odd', 'even', None)
    """
    act = as_activation(activation)
    f = act.numpy(0)
    u = np.array([0.37, 1.3, 2.9, 0.011])
    with np.errstate(all="ignore"):
        a, b = f(u), f(-u)
    for name, numeric in (("odd", np.allclose(a, -b, rtol=1e-12, atol=1e-300)),
                          ("even", np.allclose(a, b, rtol=1e-12, atol=1e-300))):
        if not numeric:
            continue
        e = act.expr
        other = e.subs(T, -T)
        try:
            zero = sp.simplify(other + e if name == "odd" else other - e)
            if zero == 0 or sp.piecewise_fold(zero).equals(0):
                return name
        except Exception:  # pragma: no cover - sympy could not decide
            return None
    return None


def _pm_pairs(X: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (j, k), j < k, of columns with x^(k) = −x^(j) (exactly; columns are non-zero)."""
    C = X.T + 0.0
    first = np.argmax(C != 0, axis=1)
    sign = np.sign(C[np.arange(C.shape[0]), first])
    sign[sign == 0] = 1
    C = C * sign[:, None]
    _, inv, counts = np.unique(C[:, :3], axis=0, return_inverse=True, return_counts=True)   # cheap pre-filter
    if counts.max(initial=0) < 2:
        return []
    _, inv = np.unique(C, axis=0, return_inverse=True)
    inv = np.asarray(inv).ravel()
    pairs = []
    for g in np.flatnonzero(np.bincount(inv) > 1):
        idx = np.flatnonzero(inv == g)
        pos, neg = idx[sign[idx] > 0], idx[sign[idx] < 0]
        if pos.size and neg.size:
            pairs.append((int(min(pos[0], neg[0])), int(max(pos[0], neg[0]))))
    return sorted(pairs)


def rank_obstruction(activations: Any, X: Any, h0: int = 1) -> str | None:
    """Why rank T_{h0} = N is impossible for *every* W (an exact argument), or None if none is known.

    T_h = σ_h(W_h T_{h−1}), T_0 = X (d_0 × N), bias-free.  Three exact obstructions:

    * a ±x pair x^(k) = −x^(j): if σ_1..σ_{h0} are odd, column k of T_{h0} is −column j; if one of
      them is even and the earlier ones odd or even, the columns are equal.  Either way
      rank T_{h0} ≤ N − 1, whatever Assumption 2 says (Assumption 2 concerns σ alone, and sin, tanh
      satisfy it);
    * a polynomial σ_1 with h0 = 1: rank ≤ Σ_k C(k+d_0−1, d_0−1) over its orders k (Example 1);
    * positively homogeneous σ_1..σ_{h0} with 1-D inputs: every column with x > 0 is x^p times one
      vector, every column with x < 0 |x|^p times another, so rank ≤ 2.

    Examples
    --------
    >>> rank_obstruction(["tanh"], [[0.5, -0.5, 2.0]]) is not None
    True
    >>> rank_obstruction(["sigmoid"], [[0.5, -0.5, 2.0]]) is None
    True
    """
    acts = [as_activation(a) for a in (activations if isinstance(activations, (list, tuple)) else [activations])]
    Xa = np.asarray(X, dtype=float)
    Xa = Xa[None, :] if Xa.ndim == 1 else Xa
    d0, N = Xa.shape
    h0 = int(h0)
    layers = [acts[min(h, len(acts) - 1)] for h in range(h0)]
    for j, k in _pm_pairs(Xa):
        rel: str | None = "opposite"
        for act in layers:
            par = parity(act)
            if par is None:
                rel = None if rel == "opposite" else rel
            elif par == "even":
                rel = "equal"
            if rel is None:
                break
        if rel is not None:
            kinds = ", ".join(f"σ_{h + 1} = {a.text} is {parity(a)}" for h, a in enumerate(layers))
            return (f"samples {j} and {k} are a ±x pair (x^({k}) = −x^({j})) and {kinds}: column {k} of T_{h0} is "
                    f"{'−' if rel == 'opposite' else ''}column {j} for every W, so rank T_{h0} ≤ N − 1 = {N - 1} "
                    "whatever Assumption 2 says (it concerns σ alone); no perturbation reaches rank N "
                    "(drop one sample of the pair, or use a σ that is neither odd nor even)")
    if h0 == 1:
        bound = _poly_rank_bound(layers[0], d0)
        if bound is not None and bound < N:
            return (f"σ_1 = {layers[0].text} is a polynomial: rank T_1 ≤ {bound} < N = {N} for every W "
                    "(not full-rank reachable, Definition 5, Example 1)")
    if d0 == 1 and N > 2 and all(a.is_positively_homogeneous for a in layers):
        return (f"σ = {', '.join(a.text for a in layers)} is positively homogeneous and the inputs are 1-D: every "
                f"column of T_{h0} with x > 0 is a multiple of one vector and every column with x < 0 of another, so "
                f"rank T_{h0} ≤ 2 < N = {N} for every W (not full-rank reachable, Definition 5)")
    return None
