"""Exact analysis of the pieces of E that meet at a point, for piecewise-linear σ.

When σ is piecewise linear and some pre-activations w_i x_n sit exactly on a
breakpoint, E is not differentiable at θ = (v, w) and the Hessian test does
not apply.  Let S be the neurons with such a pre-activation.  Near θ, the
half-spaces s_i·dw_i ≥ 0 (i ∈ S, s_i = ±1) cut a neighbourhood into 2^|S|
closed polyhedral cones ("pieces"); on each, every σ(w_i x_n) is affine in
w_i, so E is a polynomial.  θ is a strict local minimum iff it is one on every
piece, and on a piece C the second-order sufficient condition for polyhedral
sets decides it exactly: with g = ∇E and H = ∇²E of the piece's polynomial,

1. g·δ ≥ 0 for every δ ∈ C (g vanishes on the free coordinates and
   s_i g_{w_i} ≥ 0 on the constrained ones), and
2. δᵀHδ > 0 for every non-zero δ of the critical cone K = {δ ∈ C : g·δ = 0}:
   either H is positive definite on the span of K (an exact LDLᵀ), or H is
   positive semi-definite there and its kernel meets K only in 0 (exact
   nullspace; for a kernel of dimension ≥ 2 a Stiemke certificate y > 0,
   Aᵀy = 0 found by a linear program and checked in rationals).  A piece
   where neither holds is "undecided" (the test is sufficient, not necessary).

A piece whose gradient violates 1 gives a direction of descent: the point is
then not a local minimum.  All arithmetic is in exact rationals
(:class:`fractions.Fraction`), so the result is exact for the rational point
analysed; :func:`verify_pieces_case` runs it on a case together with the
sampling and witness checks of :mod:`basins.verification.verify`.

References
----------
Li, Ding & Sun, proof of Theorem 7, cases (i)–(vi) (``shared/papers/002_dcd1bd86d7cd4545.txt``);
SPEC §7 (piecewise-linear verification).
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from basins.activations import Activation, as_activation
from basins.errors import InvalidArgument, NotApplicable

__all__ = [
    "STRICT", "NOT_MINIMUM", "UNDECIDED", "MAX_PIECES",
    "PiecesAnalysis", "analyse_pieces", "on_nonsmooth_point", "exact_point", "verify_pieces_case",
    "to_fraction",
]

STRICT = "strict local minimum (exact)"
NOT_MINIMUM = "not a local minimum"
UNDECIDED = "undecided"

#: At most this many pieces (2^|S|) are enumerated.
MAX_PIECES = 1 << 12


def to_fraction(value: Any, name: str = "value") -> Fraction:
    """An exact rational from an int, a float (its exact binary value), a Fraction,
    a rational sympy number or a string such as "3/7" or "0.1" (read as 1/10)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} is not a number")
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise InvalidArgument(f"{name}={value!r} is not finite")
        return Fraction(float(value))
    if isinstance(value, sp.Basic):
        if isinstance(value, sp.Rational):
            return Fraction(int(value.p), int(value.q))
        raise InvalidArgument(f"{name}={value} is not rational; the exact analysis needs rational numbers")
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise InvalidArgument(f"{name}={value!r} is not a rational number") from None
    raise InvalidArgument(f"{name}={value!r} is not a number")


def _fractions(name: str, values: Any) -> list[Fraction]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidArgument(f"{name}={values!r} must be a sequence of numbers")
    return [to_fraction(a, f"{name}[{k}]") for k, a in enumerate(values)]


def _pl_exact(act: Activation) -> tuple[list[Fraction], list[tuple[Fraction, Fraction]]]:
    pl = act.piecewise_linear
    if pl is None:
        raise NotApplicable(f"activation={act.name!r} is not piecewise linear; the exact analysis of pieces "
                            "applies to piecewise-linear σ only (smooth σ: use the Hessian)",
                            theorem="Theorem 7", hypothesis="piecewise linear")
    bps = [to_fraction(b, "breakpoint") for b in pl.breakpoints]
    pieces = [(to_fraction(s, "slope"), to_fraction(c, "intercept")) for s, c in pl.pieces]
    return bps, pieces


def _ldl_positive_definite(A: list[list[Fraction]]) -> tuple[bool, int]:
    """Exact LDLᵀ of a symmetric rational matrix: (positive definite?, index of the first bad pivot)."""
    n = len(A)
    L = [[Fraction(0)] * n for _ in range(n)]
    D = [Fraction(0)] * n
    for j in range(n):
        d = A[j][j] - sum((L[j][k] * L[j][k] * D[k] for k in range(j)), Fraction(0))
        if d <= 0:
            return False, j
        D[j] = d
        for i in range(j + 1, n):
            L[i][j] = (A[i][j] - sum((L[i][k] * L[j][k] * D[k] for k in range(j)), Fraction(0))) / d
    return True, -1


def _psd(A: list[list[Fraction]]) -> bool:
    """Exact positive semi-definiteness: LDLᵀ where a zero pivot needs a zero Schur row."""
    n = len(A)
    R = [row[:] for row in A]
    for j in range(n):
        d = R[j][j]
        if d < 0:
            return False
        if d == 0:
            if any(R[i][j] != 0 for i in range(j + 1, n)):
                return False
            continue
        for i in range(j + 1, n):
            f = R[i][j] / d
            if f:
                for k in range(j + 1, n):
                    R[i][k] -= f * R[j][k]
    return True


def _nullspace(A: list[list[Fraction]], ncols: int) -> list[list[Fraction]]:
    """An exact basis of {c : A c = 0} (reduced row echelon form)."""
    R = [row[:] for row in A]
    pivots: list[int] = []
    r = 0
    for c in range(ncols):
        p = next((i for i in range(r, len(R)) if R[i][c] != 0), None)
        if p is None:
            continue
        R[r], R[p] = R[p], R[r]
        piv = R[r][c]
        R[r] = [a / piv for a in R[r]]
        for i in range(len(R)):
            if i != r and R[i][c] != 0:
                f = R[i][c]
                R[i] = [a - f * b for a, b in zip(R[i], R[r])]
        pivots.append(c)
        r += 1
        if r == len(R):
            break
    basis = []
    for c in range(ncols):
        if c in pivots:
            continue
        vec = [Fraction(0)] * ncols
        vec[c] = Fraction(1)
        for i, pc in enumerate(pivots):
            vec[pc] = -R[i][c]
        basis.append(vec)
    return basis


def _cone_meets_kernel(kernel: list[list[Fraction]], constrained: list[tuple[int, int]]) -> bool | None:
    """Whether a non-zero δ = K c has s·δ_k ≥ 0 for every (k, s) in ``constrained``.

    Exact for every kernel: True when some kernel direction leaves the
    constraints unchanged or satisfies them (a flat direction of the
    quadratic form inside the cone), False when a Stiemke certificate
    y > 0 with Aᵀy = 0 exists (found by a linear program and checked in
    rationals), None when neither could be established.
    """
    q = len(kernel)
    if q == 0:
        return False
    A = [[s * kernel[j][k] for j in range(q)] for k, s in constrained]     # p × q
    if _nullspace(A, q) if A else [[Fraction(1)] * q]:
        return True                                                         # A c = 0, c ≠ 0
    if q == 1:
        col = [row[0] for row in A]
        return all(a >= 0 for a in col) or all(a <= 0 for a in col)
    # Stiemke: no c with A c ≥ 0, A c ≠ 0  ⇔  some y > 0 has Aᵀ y = 0
    At = [[A[i][j] for i in range(len(A))] for j in range(q)]
    Ny = _nullspace(At, len(A))                                             # y = Ny d
    if not Ny:
        return True
    import scipy.optimize
    B = np.array([[float(Ny[k][i]) for k in range(len(Ny))] for i in range(len(A))])   # p × r
    r = B.shape[1]
    res = scipy.optimize.linprog(np.r_[np.zeros(r), -1.0], A_ub=np.hstack([-B, np.ones((B.shape[0], 1))]),
                                 b_ub=np.zeros(B.shape[0]), bounds=[(-1, 1)] * r + [(None, 1)], method="highs")
    if res.status == 0 and res.x[-1] > 1e-12:
        d = [Fraction(float(a)).limit_denominator(10 ** 12) for a in res.x[:r]]
        y = [sum((Ny[k][i] * d[k] for k in range(r)), Fraction(0)) for i in range(len(A))]
        if all(a > 0 for a in y):
            return False
    return None


@dataclass(frozen=True)
class PiecesAnalysis:
    """The exact analysis of the pieces of E meeting at a point.

    Attributes
    ----------
    status : str
        :data:`STRICT`, :data:`NOT_MINIMUM` or :data:`UNDECIDED`.
    loss : Fraction
        E at the point, exactly.
    on_breakpoint : tuple of (i, n, breakpoint)
        The pre-activations w_i x_n sitting on a breakpoint (0-based i, n).
    S : tuple of int
        Neurons with such a pre-activation; there are 2^|S| pieces.
    pieces : int
        Number of pieces analysed.
    validity : Fraction
        The piece structure holds for every perturbation with |dw_i| < validity
        (no other breakpoint is reached); ``None`` when no pre-activation
        depends on w.
    summary : list of dict
        One entry per piece (up to 16 kept): signs, gradient signs, critical
        cone size, decision.
    reason : str
        Why the status was reached (the first failing or undecided piece).
    """

    status: str
    loss: Fraction
    on_breakpoint: tuple[tuple[int, int, Fraction], ...]
    S: tuple[int, ...]
    pieces: int
    validity: Fraction | None
    summary: tuple[dict[str, Any], ...]
    reason: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def strict(self) -> bool:
        return self.status == STRICT

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "loss": str(self.loss), "S (neurons on a breakpoint, 1-based)": [i + 1 for i in self.S],
            "on breakpoint (i, n, t; 1-based)": [[i + 1, n + 1, str(b)] for i, n, b in self.on_breakpoint],
            "pieces": self.pieces, "counts": dict(self.counts),
            "validity radius in w": None if self.validity is None else str(self.validity),
            "validity radius (float)": None if self.validity is None else float(self.validity),
            "reason": self.reason, "pieces shown": list(self.summary),
        }


def analyse_pieces(activation: Activation | str, x: Sequence[Any], y: Sequence[Any], v: Sequence[Any],
                   w: Sequence[Any], *, max_pieces: int = MAX_PIECES) -> PiecesAnalysis:
    """Decide exactly whether (v, w) is a strict local minimum of E for piecewise-linear σ.

    Parameters
    ----------
    activation : str or Activation
        Piecewise linear, with rational breakpoints, slopes and intercepts.
    x, y, v, w : sequences of rationals
        ints, floats (taken at their exact binary value), Fractions or strings
        like "2/3".
    max_pieces : int
        Refuse (status undecided) beyond this many pieces.

    Returns
    -------
    PiecesAnalysis

    Raises
    ------
    NotApplicable
        σ is not piecewise linear.
    InvalidArgument
        Lengths disagree or a number is not rational.

    Examples
    --------
    One neuron of σ = Max(0, t − 1) at w = 1 on x = (2, 3/2, 1) (Theorem 7 with
    m = 1, M = 1): z = (1, 1/2, 0), y = (1, 1/2, −1); the third sample sits
    on the breakpoint with residual 1.

    >>> res = analyse_pieces("Max(0, t - 1)", [2, "3/2", 1], [1, "1/2", -1], [1], [1])
    >>> res.status, res.pieces, str(res.loss)
    ('strict local minimum (exact)', 2, '1')

    References
    ----------
    Li, Ding & Sun, proof of Theorem 7, cases (i)–(vi) (papers/002).
    """
    act = as_activation(activation)
    bps, pcs = _pl_exact(act)
    X, Y, V, W = (_fractions(k, a) for k, a in (("x", x), ("y", y), ("v", v), ("w", w)))
    N, m = len(X), len(W)
    if len(Y) != N or len(V) != m or N == 0 or m == 0:
        raise InvalidArgument(f"lengths x={N}, y={len(Y)}, v={len(V)}, w={m} are inconsistent")

    def piece_of(t: Fraction) -> int:
        return bisect.bisect_right(bps, t)  # pieces[k] lies between bps[k-1] and bps[k]

    on_break: list[tuple[int, int, Fraction]] = []
    # per (i, n): (value, slope on the − side, slope on the + side) in terms of dw_i
    value = [[Fraction(0)] * N for _ in range(m)]
    slope_minus = [[Fraction(0)] * N for _ in range(m)]
    slope_plus = [[Fraction(0)] * N for _ in range(m)]
    validity: Fraction | None = None
    for i in range(m):
        for n in range(N):
            t = W[i] * X[n]
            k = bisect.bisect_left(bps, t)
            hit = k < len(bps) and bps[k] == t and X[n] != 0
            if hit:
                left, right = pcs[k], pcs[k + 1]
                on_break.append((i, n, t))
                value[i][n] = right[0] * t + right[1]
                lo = bps[k - 1] if k > 0 else None
                hi = bps[k + 1] if k + 1 < len(bps) else None
                # dw_i > 0 moves t towards sign(x_n)
                sl_up, sl_down = (right[0], left[0]) if X[n] > 0 else (left[0], right[0])
                slope_plus[i][n], slope_minus[i][n] = sl_up, sl_down
                gaps = [abs(b - t) for b in (lo, hi) if b is not None]
            else:
                p = piece_of(t)
                s, c = pcs[p]
                value[i][n] = s * t + c
                slope_plus[i][n] = slope_minus[i][n] = s
                gaps = [abs(b - t) for b in bps if b != t] if X[n] != 0 else []
                gaps = [min(gaps)] if gaps else []
            if X[n] != 0 and gaps:
                r = min(gaps) / abs(X[n])
                validity = r if validity is None else min(validity, r)
    S = tuple(sorted({i for i, _, _ in on_break}))
    yhat = [sum((V[i] * value[i][n] for i in range(m)), Fraction(0)) for n in range(N)]
    res = [yhat[n] - Y[n] for n in range(N)]
    loss = sum((r * r for r in res), Fraction(0))
    npieces = 1 << len(S)
    if npieces > max_pieces:
        return PiecesAnalysis(UNDECIDED, loss, tuple(on_break), S, 0, validity, (),
                              f"{npieces} pieces (|S| = {len(S)}) exceed max_pieces={max_pieces}")

    # columns of J on each side: z_i (same on both) and v_i x∘slope
    zcol = [[value[i][n] for n in range(N)] for i in range(m)]
    wcol = {(i, side): [V[i] * X[n] * (slope_plus if side > 0 else slope_minus)[i][n] for n in range(N)]
            for i in range(m) for side in (1, -1)}
    cross = {(i, side): 2 * sum((res[n] * X[n] * (slope_plus if side > 0 else slope_minus)[i][n]
                                 for n in range(N)), Fraction(0)) for i in range(m) for side in (1, -1)}

    def dot(a: list[Fraction], b: list[Fraction]) -> Fraction:
        return sum((p * q for p, q in zip(a, b)), Fraction(0))

    gram: dict[tuple[Any, Any], Fraction] = {}

    def col(key: tuple[str, int, int]) -> list[Fraction]:
        kind, i, side = key
        return zcol[i] if kind == "v" else wcol[(i, side)]

    def g2(a: tuple[str, int, int], b: tuple[str, int, int]) -> Fraction:
        k = (a, b) if a <= b else (b, a)
        if k not in gram:
            gram[k] = 2 * dot(col(a), col(b))
        return gram[k]

    summary: list[dict[str, Any]] = []
    counts = {STRICT: 0, NOT_MINIMUM: 0, UNDECIDED: 0}
    status, reason = STRICT, f"all {npieces} pieces: g·δ ≥ 0 on the piece and δᵀHδ > 0 on its critical cone"
    for signs in itertools.product((1, -1), repeat=len(S)):
        side = {i: 1 for i in range(m)}
        side.update(dict(zip(S, signs)))
        keys = [("v", i, 0) for i in range(m)] + [("w", i, side[i]) for i in range(m)]
        g = [2 * dot(col(k), res) for k in keys]
        bad: list[str] = []
        fixed: set[int] = set()
        for ci, key in enumerate(keys):
            kind, ni, _ = key
            constrained = kind == "w" and ni in S
            if g[ci] == 0:
                continue
            if constrained and side[ni] * g[ci] > 0:
                fixed.add(ci)         # g·δ > 0 unless dw_i = 0: not in the critical cone
            else:
                bad.append(f"∂E/∂{kind}_{ni + 1} = {g[ci]}" + (f" with side {side[ni]:+d}" if constrained else ""))
        entry: dict[str, Any] = {"signs of dw (S)": {str(i + 1): s for i, s in zip(S, signs)}}
        if bad:
            decision = NOT_MINIMUM
            entry["descent"] = bad
        else:
            free = [c for c in range(2 * m) if c not in fixed]
            Hs = []
            for a in free:
                row = []
                for b in free:
                    h = g2(keys[a], keys[b])
                    ka, ia, _ = keys[a]
                    kb, ib, _ = keys[b]
                    if ia == ib and {ka, kb} == {"v", "w"}:
                        h += cross[(ia, side[ia])]
                    row.append(h)
                Hs.append(row)
            pd, where = _ldl_positive_definite(Hs) if Hs else (True, -1)
            decision = STRICT
            entry["critical cone dimension"] = len(free)
            if not pd:
                # H is singular on span K: strict iff H ⪰ 0 there and its kernel meets K only in 0
                if not _psd(Hs):
                    decision = UNDECIDED
                    entry["second order"] = "H is indefinite on the span of the critical cone"
                else:
                    ker = _nullspace(Hs, len(free))
                    cons = [(j, side[keys[c][1]]) for j, c in enumerate(free)
                            if keys[c][0] == "w" and keys[c][1] in S]
                    meets = _cone_meets_kernel(ker, cons)
                    entry["kernel of H on span K"] = len(ker)
                    if meets is False:
                        entry["second order"] = ("H ⪰ 0 on span K and its kernel meets the critical cone only "
                                                 "in 0 (exact)")
                    else:
                        decision = UNDECIDED
                        entry["second order"] = ("a flat direction of H lies in the critical cone" if meets else
                                                 "could not decide whether H's kernel meets the critical cone")
        entry["decision"] = decision
        counts[decision] += 1
        if len(summary) < 16 or decision != STRICT:
            if len(summary) < 64:
                summary.append(entry)
        if decision == NOT_MINIMUM and status != NOT_MINIMUM:
            status, reason = NOT_MINIMUM, f"piece {entry['signs of dw (S)']}: first-order descent ({'; '.join(entry['descent'])})"
        elif decision == UNDECIDED and status == STRICT:
            status, reason = UNDECIDED, (f"piece {entry['signs of dw (S)']}: H is not positive definite on the "
                                         "span of the critical cone (the sufficient test is inconclusive)")
    return PiecesAnalysis(status, loss, tuple(on_break), S, npieces, validity, tuple(summary), reason, counts)


# --------------------------------------------------------------------------
# Cases: detection and verification
# --------------------------------------------------------------------------

def on_nonsmooth_point(case: Any, *, rel: float = 1e-9) -> bool:
    """Whether some pre-activation w_i x_n of the case sits (to ``rel``) on a point where σ is not C².

    References
    ----------
    SPEC §7; Li, Ding & Sun, Theorem 7 (papers/002).
    """
    act = case.activation
    if act.is_c2:
        return False
    pts = [float(p) for p in act.nonsmooth_points]
    if not pts:
        return False
    x, _, _, w = case.arrays()
    pre = np.outer(w, x).ravel()
    for p in pts:
        if np.any(np.abs(pre - p) <= rel * max(1.0, abs(p))):
            return True
    return False


def exact_point(case: Any) -> tuple[list[Fraction], list[Fraction], list[Fraction], list[Fraction], str]:
    """The rational point of a case: ``details["exact"]`` when present and consistent, else the floats.

    The stored floats must be within one unit in the last place of the
    stored rationals (constructions round w towards 0 and the rest to
    nearest).  Returns (x, y, v, w, source).

    References
    ----------
    SPEC §7 and §10 (exact numbers in case files).
    """
    ex = (case.details or {}).get("exact") if isinstance(case.details, Mapping) else None
    floats = dict(zip(("x", "y", "v", "w"), case.arrays()))
    if not isinstance(ex, Mapping) or not all(k in ex for k in floats):
        return (*[[Fraction(float(a)) for a in floats[k]] for k in ("x", "y", "v", "w")], "the stored floats")  # type: ignore[return-value]
    out = []
    for k in ("x", "y", "v", "w"):
        vals = _fractions(f"details.exact.{k}", ex[k])
        if len(vals) != floats[k].size:
            raise InvalidArgument(f"details.exact.{k} has {len(vals)} entries, the case has {floats[k].size}")
        for j, (q, f) in enumerate(zip(vals, floats[k])):
            if abs(Fraction(float(f)) - q) > Fraction(math.ulp(float(f))):
                raise InvalidArgument(f"details.exact.{k}[{j}] = {q} is not within one ulp of the stored {f!r}")
        out.append(vals)
    return out[0], out[1], out[2], out[3], "details.exact (rationals; the stored floats are within one ulp)"


def verify_pieces_case(case: Any, *, radii: Sequence[float], samples: int, dps: int, seed: int,
                       progress: Any = None) -> Any:
    """The verification of a case whose point sits on a breakpoint of a piecewise-linear σ.

    Checks: ``loss`` (at ``dps`` digits), ``pieces`` (the exact analysis of
    :func:`analyse_pieces` at the case's rational point), ``sampling`` (ΔE > 0
    for random directions and the ± coordinate axes at every radius, with the
    cancellation-free kernel) and ``witness``.  Same shape as
    :func:`basins.verification.verify.verify_case`.

    References
    ----------
    SPEC §7; Li, Ding & Sun, proof of Theorem 7 (papers/002).
    """
    import mpmath

    from basins.model.network import loss_mp
    from basins.verification.steps import Check, Verification, directions, loss_check, sampling_check, witness_check

    act = case.activation
    x, y, v, w = case.arrays()
    m = w.size
    checks: list[Any] = []
    figures: dict[str, Any] = {"dps": dps, "radii": list(map(float, radii)), "samples": samples, "seed": seed,
                               "method": "exact analysis of the pieces meeting at the point (E is not "
                                         "differentiable there: no Hessian)"}
    with mpmath.workdps(dps):
        E = loss_mp(act, x, y, v, w, dps)
        figures["loss"] = mpmath.nstr(E, 20)
        checks.append(loss_check(case, E, f"{dps} digits"))
        try:
            X, Y, V, W, source = exact_point(case)
            res = analyse_pieces(act, X, Y, V, W)
            figures["pieces"] = {**res.to_dict(), "point": source}
            checks.append(Check("pieces", res.strict, res.pieces,
                                f"{res.status} at the rational point ({source}): {res.pieces} pieces, "
                                f"S = {[i + 1 for i in res.S]}; {res.reason}; exact E = {res.loss}"))
        except (InvalidArgument, NotApplicable) as exc:
            checks.append(Check("pieces", False, None, f"exact analysis not possible: {exc}"))
        checks.append(witness_check(case, E, dps, figures))
    checks.append(sampling_check(case, directions(samples, m, seed), radii, figures, progress,
                                  kinds="random, ±axes"))
    return Verification(tuple(checks), figures)
