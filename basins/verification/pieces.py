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
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of Basins*, arXiv:1812.11039,
proof of Theorem 7, cases (i)–(vi);
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
from basins.certification.exact import positive_on_cone
from basins.errors import InvalidArgument, NotApplicable
from basins.model import engine

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
    Li, Ding & Sun, proof of Theorem 7, cases (i)–(vi) (arXiv:1812.11039).
    """
    act = as_activation(activation)
    bps, pcs = _pl_exact(act)
    X, Y, V, W = (_fractions(k, a) for k, a in (("x", x), ("y", y), ("v", v), ("w", w)))
    N, m = len(X), len(W)
    if len(Y) != N or len(V) != m or N == 0 or m == 0:
        raise InvalidArgument(f"lengths x={N}, y={len(Y)}, v={len(V)}, w={m} are inconsistent")

    def piece_of(t: Fraction) -> int:
        return bisect.bisect_right(bps, t)  # pieces[k] lies between bps[k-1] and bps[k]

    def sigma(t: Fraction) -> Fraction:
        s, c = pcs[piece_of(t)]          # on a breakpoint: the right piece (σ is continuous)
        return s * t + c

    def slope(t: Fraction, side: int) -> Fraction:
        return pcs[bisect.bisect_right(bps, t) if side > 0 else bisect.bisect_left(bps, t)][0]

    on_break: list[tuple[int, int, Fraction]] = []
    validity: Fraction | None = None
    for i in range(m):
        for n in range(N):
            t = W[i] * X[n]
            k = bisect.bisect_left(bps, t)
            hit = k < len(bps) and bps[k] == t and X[n] != 0
            if hit:
                on_break.append((i, n, t))
                lo = bps[k - 1] if k > 0 else None
                hi = bps[k + 1] if k + 1 < len(bps) else None
                gaps = [abs(b - t) for b in (lo, hi) if b is not None]
            else:
                gaps = [abs(b - t) for b in bps if b != t] if X[n] != 0 else []
                gaps = [min(gaps)] if gaps else []
            if X[n] != 0 and gaps:
                r = min(gaps) / abs(X[n])
                validity = r if validity is None else min(validity, r)
    S = tuple(sorted({i for i, _, _ in on_break}))
    # the network's maths is the engine's, with σ and its one-sided σ′ on each piece (σ″ = 0)
    loss = engine.loss(engine.OneSidedContext(sigma, slope, field="fraction"), X, Y, V, W)
    npieces = 1 << len(S)
    if npieces > max_pieces:
        return PiecesAnalysis(UNDECIDED, loss, tuple(on_break), S, 0, validity, (),
                              f"{npieces} pieces (|S| = {len(S)}) exceed max_pieces={max_pieces}")

    summary: list[dict[str, Any]] = []
    counts = {STRICT: 0, NOT_MINIMUM: 0, UNDECIDED: 0}
    status, reason = STRICT, f"all {npieces} pieces: g·δ ≥ 0 on the piece and δᵀHδ > 0 on its critical cone"
    for signs in itertools.product((1, -1), repeat=len(S)):
        side = {i: 1 for i in range(m)}
        side.update(dict(zip(S, signs)))
        keys = [("v", i, 0) for i in range(m)] + [("w", i, side[i]) for i in range(m)]
        ev = engine.derivatives(engine.OneSidedContext(sigma, slope, side, field="fraction"), X, Y, V, W)
        g, Hfull = ev.gradient, ev.hessian
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
            Hs = [[Hfull[a][b] for b in free] for a in free]
            cons = {j: side[keys[c][1]] for j, c in enumerate(free) if keys[c][0] == "w" and keys[c][1] in S}
            verdict = positive_on_cone(Hs, [cons.get(j, 0) for j in range(len(free))])
            decision = STRICT if verdict.positive else UNDECIDED
            entry["critical cone dimension"] = len(free)
            if verdict.kernel_dim:
                entry["kernel of H on span K"] = verdict.kernel_dim
            if verdict.branch not in ("empty", "positive definite"):
                # exact.positive_on_cone: True proved, False with a witness d (dᵀHd ≤ 0), None beyond its cap
                entry["second order"] = verdict.detail
                if verdict.witness is not None:
                    entry["direction with dᵀHd ≤ 0"] = [str(e) for e in verdict.witness]
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
    SPEC §7; Li, Ding & Sun, Theorem 7 (arXiv:1812.11039).
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
    SPEC §7; Li, Ding & Sun, proof of Theorem 7 (arXiv:1812.11039).
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
