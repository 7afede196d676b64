"""The projection engine shared by the value-of-local-minima oracles (the three papers' common part).

Every oracle in :mod:`basins.oracles` compares a loss with the value of a
least-squares problem,

    V = ||P_N[J] y||² = min_α ||y − Jα||²,

where P_N[J] projects onto the orthogonal complement of the column space of a
matrix J (a Jacobian, or a basis-function matrix).  With r = ŷ − y and
ŷ ∈ col J, P_N[J] y = −P_N[J] r, so

    E − V = ||P[J] r||²,      2 s_min ||P[J] r|| ≤ ||∇E|| ≤ 2 s_max ||P[J] r||

(s_min, s_max: the extreme non-zero singular values of J, ∇E = 2Jᵀr).  The
difference is never negative, it is quadratic in the gradient near a critical
point, and a difference above rounding *proves* (numerically) a non-zero
gradient.  This module holds that computation once: the result type
:class:`ValueIdentity`, the float64 and mpmath projections, the rounding
allowance, the hypotheses and each paper's loss scale.

Factors.  basins' loss is E = ||ŷ − y||² (no 1/2, no 1/N).  Kawaguchi, Huang &
Kaelbling (arXiv:1811.08150) use L = E/2; Kawaguchi & Bengio
(arXiv:1810.09038, Assumptions B1, B2) use L = E/N with N samples; Kawaguchi,
Huang & Kaelbling (arXiv:1904.03673) use Σ ℓ with ℓ the per-sample loss, here
ℓ = ||·||², so L = E.  Every value is on basins' scale E unless its name says
otherwise.

Numerics.  Projections use an SVD of J with the rank cut-off of Kawaguchi,
Huang & Kaelbling (arXiv:1811.08150), Appendix C (after Press et al.):
singular values ≤ ½·s_max·ε·√(rows + cols + 1) are treated as zero (ε =
float64's, also with ``dps``: the data are float64, so a smaller singular value
cannot be told from zero); the cut-off and the rank are reported.  The float64
rounding allowance of the difference is

    8 u (E + V + 2κ ||y|| √V + 2 √E (||ŷ|| + ||y||)),   u = ε √(rows + cols + 1),

from first-order perturbation of the projector (κ = s_max/s_min); with
``dps`` the projections run in mpmath at that many digits and ε = 10^(−dps).
The identity is said to hold when |E − V| ≤ allowance + rtol·E + atol.  The
default rtol = 1e-9 is the precision to which
:func:`basins.verification.verify.verify_case` checks the loss of a case.

References
----------
K. Kawaguchi, J. Huang, L. P. Kaelbling, *Every Local Minimum Value Is the
Global Minimum Value of Induced Model in Nonconvex Machine Learning*, Neural
Computation 31 (2019), arXiv:1904.03673, Theorem 1.
K. Kawaguchi, J. Huang, L. P. Kaelbling, *Effect of Depth and Width on Local
Minima in Deep Learning*, Neural Computation 31 (2019), arXiv:1811.08150,
Theorem 1 and Appendix C.
K. Kawaguchi, Y. Bengio, *Depth with nonlinearity creates no bad local minima
in ResNets*, Neural Networks 118 (2019), arXiv:1810.09038, Theorem 2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from basins.activations import Activation
from basins.errors import InvalidArgument, NotApplicable

__all__ = [
    "DEFAULT_RTOL",
    "DEPTH_PAPER",
    "FACTORS",
    "HYPOTHESES",
    "INDUCED_PAPER",
    "INDUCED_THEOREM",
    "PAPERS",
    "RESNET_PAPER",
    "UNDECIDED_FRACTION",
    "ValueIdentity",
    "as_matrix",
    "as_vector",
    "check_tolerances",
    "float_figures",
    "identity_result",
    "mp_figures",
    "paper_scales",
    "rank_tolerance",
    "require_differentiable",
]

#: The induced-model paper (the gradient-basis value identity).
INDUCED_PAPER = ("Kawaguchi, Huang & Kaelbling, \"Every Local Minimum Value Is the Global Minimum Value of "
                 "Induced Model in Nonconvex Machine Learning\" (Neural Computation 2019, arXiv:1904.03673)")
#: The deep-network paper (Theorem 1: the value at a local minimum of a deep network).
DEPTH_PAPER = ("Kawaguchi, Huang & Kaelbling, \"Effect of Depth and Width on Local Minima in Deep Learning\" "
               "(Neural Computation 2019, arXiv:1811.08150)")
#: The ResNet paper (Theorem 2: the value at a local minimum of a ResNet).
RESNET_PAPER = ("Kawaguchi & Bengio, \"Depth with nonlinearity creates no bad local minima in ResNets\" "
                "(Neural Networks 2019, arXiv:1810.09038)")

#: The three papers by arXiv id.
PAPERS: dict[str, str] = {
    "arXiv:1811.08150": DEPTH_PAPER,
    "arXiv:1810.09038": RESNET_PAPER,
    "arXiv:1904.03673": INDUCED_PAPER,
}

#: The theorem the gradient-basis check rests on, as named in errors.
INDUCED_THEOREM = f"Theorem 1 of {INDUCED_PAPER}"

#: The hypotheses of the value identity, by the names used in results and errors.
HYPOTHESES: dict[str, str] = {
    "squared loss": "E(θ) = ||ŷ(θ) − y||² (basins' E; other papers' L differ by a constant factor)",
    "differentiable": "θ is a differentiable point: no pre-activation sits on a nonsmooth point of σ",
    "output in span": "ŷ(θ) lies in the column space of J(θ) (Assumption 2 of Kawaguchi, Huang & Kaelbling, "
                      "arXiv:1904.03673)",
    "critical point": "∇E(θ) = 2J(θ)ᵀ(ŷ − y) = 0",
    "resnet A1": "d_y ≤ min(d_x, d_z) (Assumption A1 of Kawaguchi & Bengio, arXiv:1810.09038)",
    "resnet local minimum": "a local minimum (at a mere critical point: W of full row rank), as Theorem 2 of "
                            "Kawaguchi & Bengio (arXiv:1810.09038) needs",
}

#: Each paper's loss in terms of basins' E (N = number of samples), by arXiv id.
FACTORS: dict[str, str] = {
    "basins": "E = ||ŷ − y||²",
    "arXiv:1811.08150": "L = E/2",
    "arXiv:1810.09038": "L = E/N",
    "arXiv:1904.03673": "L = E (ℓ = squared norm)",
}

#: Default relative tolerance of the identity: the loss precision of verify_case.
DEFAULT_RTOL = 1e-9

#: The verdict is "undecided" when the projector's error bound 8κu exceeds this.
UNDECIDED_FRACTION = 1e-3

#: Float64 rounding allowance factor (see the module docstring).
_ROUND_FACTOR = 8.0

#: Above this many rows the float projection uses a thin SVD.
_FULL_SVD_MAX_ROWS = 3000


# --------------------------------------------------------------- result --

@dataclass(frozen=True)
class ValueIdentity:
    """The loss against the gradient-basis value at one point.

    Attributes
    ----------
    status : str
        "holds" (|difference| ≤ tolerance), "fails" (above it), or
        "undecided" when J is too ill-conditioned for the precision: the
        projector's first-order error bound 8·κ·u exceeds
        :data:`UNDECIDED_FRACTION` (try ``dps``).
    loss : float
        E = ||ŷ − y||² (basins' scale).
    gradient_basis_value : float
        V = ||P_N[J] y||², the global minimum of α ↦ ||y − Jα||².
    difference : float
        E − V (never negative in exact arithmetic when ŷ ∈ col J).
    projected_residual : float
        ||P[J] r||² computed directly (no cancellation); equals E − V exactly.
    tolerance, rounding : float
        The allowance for |E − V| and its rounding part.
    rank, rows, cols : int
        Numerical rank of J and its shape.
    rank_tolerance, s_min, s_max : float
        The singular-value cut-off and the extreme kept singular values.
    gradient_norm : float
        ||∇E|| = 2||Jᵀr||, from the same J.
    gradient_bounds : tuple of float
        (2 s_min ||P[J]r||, 2 s_max ||P[J]r||), which bracket ||∇E||.
    span_defect : float or None
        ||P_N[J] ŷ|| / ||ŷ|| (None when ŷ was not given and is assumed in col J).
    precision : str
        "float64" or "mpmath, N digits".
    model : str
        What J came from.
    details : mapping
        Extra figures (the papers' scales, ...).
    """

    status: str
    loss: float
    gradient_basis_value: float
    difference: float
    projected_residual: float
    tolerance: float
    rounding: float
    rank: int
    rows: int
    cols: int
    rank_tolerance: float
    s_min: float
    s_max: float
    gradient_norm: float
    gradient_bounds: tuple[float, float]
    span_defect: float | None
    precision: str
    model: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        """True when the identity holds within the tolerance (and the precision can tell)."""
        return self.status == "holds"

    @property
    def message(self) -> str:
        """One sentence: whether the identity holds, and what a mismatch proves."""
        head = (f"E = {self.loss:.17g}, ||P_N[J] y||² = {self.gradient_basis_value:.17g}, "
                f"difference {self.difference:.3g} (tolerance {self.tolerance:.3g})")
        if self.status == "holds":
            return head + ": the value identity holds"
        if self.status == "undecided":
            return (head + f": undecided, the rounding allowance {self.rounding:.3g} is too large at "
                    f"{self.precision} (condition number {self.s_max / self.s_min if self.s_min else float('inf'):.3g}); "
                    "retry with more digits")
        return (head + ": the value identity fails, so the point is not a differentiable critical point "
                f"(||∇E|| ≥ {self.gradient_bounds[0]:.3g})")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; the first three keys are loss, gradient_basis_value, difference."""
        return {
            "loss": self.loss,
            "gradient_basis_value": self.gradient_basis_value,
            "difference": self.difference,
            "holds": self.holds,
            "status": self.status,
            "tolerance": self.tolerance,
            "rounding": self.rounding,
            "projected_residual": self.projected_residual,
            "rank": self.rank,
            "jacobian_shape": [self.rows, self.cols],
            "rank_tolerance": self.rank_tolerance,
            "singular_values": {"min kept": self.s_min, "max": self.s_max},
            "gradient_norm": self.gradient_norm,
            "gradient_bounds": list(self.gradient_bounds),
            "span_defect": self.span_defect,
            "precision": self.precision,
            "model": self.model,
            "guarantee": "verified numerically (floating point or mpmath, not interval arithmetic)",
            "message": self.message,
            **{k: v for k, v in self.details.items()},
        }


# --------------------------------------------------------------- engine --

def rank_tolerance(s_max: float, rows: int, cols: int, eps: float = float(np.finfo(float).eps)) -> float:
    """The singular-value cut-off ½·s_max·ε·√(rows + cols + 1) (Kawaguchi, Huang & Kaelbling,
    arXiv:1811.08150, Appendix C).

    Examples
    --------
    >>> rank_tolerance(1.0, 3, 2) == 0.5 * 2.0**-52 * 6 ** 0.5
    True
    """
    return 0.5 * float(s_max) * eps * math.sqrt(rows + cols + 1)


def as_matrix(J: Any, name: str = "jacobian") -> np.ndarray:
    """J as a finite 2-D float array (a vector becomes one column); InvalidArgument otherwise."""
    J = np.asarray(J, dtype=float)
    if J.ndim == 1:
        J = J[:, None]
    if J.ndim != 2 or J.shape[0] == 0:
        raise InvalidArgument(f"{name} has shape {J.shape}; expected a 2-D (outputs × parameters) array")
    if not np.all(np.isfinite(J)):
        raise InvalidArgument(f"{name} has a NaN or infinite entry")
    return J


def as_vector(a: Any, rows: int, name: str) -> np.ndarray:
    """``a`` as a finite vector of ``rows`` entries (a matrix is read column-major)."""
    a = np.asarray(a, dtype=float)
    a = a.ravel(order="F") if a.ndim == 2 else a.ravel()
    if a.size != rows:
        raise InvalidArgument(f"{name} has {a.size} entries but the Jacobian has {rows} rows")
    if not np.all(np.isfinite(a)):
        raise InvalidArgument(f"{name} has a NaN or infinite entry")
    return a


def float_figures(J: np.ndarray, r: np.ndarray, yhat: np.ndarray | None, rank_tol: float | None) -> dict[str, Any]:
    """The loss, the projected value, the rank and the norms in float64 (ŷ unknown: ŷ ∈ col J assumed)."""
    rows, cols = J.shape
    eps = float(np.finfo(float).eps)
    full = rows <= _FULL_SVD_MAX_ROWS
    U, s, _ = np.linalg.svd(J, full_matrices=full)
    s_max = float(s[0]) if s.size else 0.0
    tol = rank_tolerance(s_max, rows, cols, eps) if rank_tol is None else float(rank_tol)
    k = int(np.sum(s > tol))
    y = r if yhat is None else yhat - r         # with ŷ unknown, P_N y = −P_N r is assumed
    Ur = U[:, :k]
    if full:
        value = float(np.sum((U[:, k:].T @ y) ** 2))
        span = None if yhat is None else float(np.linalg.norm(U[:, k:].T @ yhat))
    else:
        py = y - Ur @ (Ur.T @ y)
        py = py - Ur @ (Ur.T @ py)
        value = float(py @ py)
        if yhat is None:
            span = None
        else:
            ph = yhat - Ur @ (Ur.T @ yhat)
            span = float(np.linalg.norm(ph - Ur @ (Ur.T @ ph)))
    cr = Ur.T @ r
    loss = float(r @ r)
    return dict(loss=loss, value=value, projected=float(cr @ cr), rank=k, rows=rows, cols=cols,
                tol=tol, s_min=float(s[k - 1]) if k else 0.0, s_max=s_max,
                gnorm=float(2.0 * np.linalg.norm(J.T @ r)), y_norm=float(np.linalg.norm(y)),
                yhat_norm=float(np.linalg.norm(y + r)), span=span, eps=eps, precision="float64")


def mp_figures(J: list[list[Any]], r: list[Any], yhat: list[Any], dps: int,
                rank_tol: float | None) -> dict[str, Any]:
    """The same figures at ``dps`` digits; J as rows of mpf, r and ŷ as lists of mpf."""
    with mpmath.workdps(dps):
        rows, cols = len(J), len(J[0])
        Jm = mpmath.matrix(J)
        if rows >= cols:
            U, S, _ = mpmath.svd_r(Jm, full_matrices=True)
            svals = [S[i] for i in range(S.rows)]
        else:
            # more parameters than outputs: the left singular vectors of J come from J Jᵀ's SVD
            U, S, _ = mpmath.svd_r(Jm * Jm.T, full_matrices=True)
            svals = [mpmath.sqrt(S[i]) for i in range(S.rows)]
        eps = mpmath.mpf(10) ** (-dps)
        s_max = max(svals) if svals else mpmath.mpf(0)
        # the rank is decided at the data's precision (float64), not at 10^-dps: singular values
        # below float rounding cannot be told from zero for the critical point near the stored one
        tol = mpmath.mpf(rank_tolerance(1.0, rows, cols)) * s_max if rank_tol is None \
            else mpmath.mpf(rank_tol)
        k = sum(1 for sv in svals if sv > tol)
        y = [a - b for a, b in zip(yhat, r)]
        col = lambda j, v: mpmath.fsum(U[i, j] * v[i] for i in range(rows))
        value = mpmath.fsum(col(j, y) ** 2 for j in range(k, rows))
        span = mpmath.sqrt(mpmath.fsum(col(j, yhat) ** 2 for j in range(k, rows)))
        projected = mpmath.fsum(col(j, r) ** 2 for j in range(k))
        loss = mpmath.fsum(a * a for a in r)
        jtr = [mpmath.fsum(J[i][c] * r[i] for i in range(rows)) for c in range(cols)]
        gnorm = 2 * mpmath.sqrt(mpmath.fsum(a * a for a in jtr))
        y_norm = mpmath.sqrt(mpmath.fsum(a * a for a in y))
        yh_norm = mpmath.sqrt(mpmath.fsum(a * a for a in yhat))
        kept = sorted(svals, reverse=True)[:k]
        return dict(loss=loss, value=value, projected=projected, rank=k, rows=rows, cols=cols,
                    tol=float(tol), s_min=float(kept[-1]) if k else 0.0, s_max=float(s_max),
                    gnorm=float(gnorm), y_norm=float(y_norm), yhat_norm=float(yh_norm), span=float(span),
                    eps=float(eps), precision=f"mpmath, {dps} digits", difference=loss - value)


def identity_result(f: dict[str, Any], *, rtol: float, atol: float, model: str,
            details: Mapping[str, Any] | None = None) -> ValueIdentity:
    """The verdict from the figures of :func:`float_figures` or :func:`mp_figures`."""
    loss, value = float(f["loss"]), float(f["value"])
    difference = float(f["difference"]) if "difference" in f else loss - value
    kappa = f["s_max"] / f["s_min"] if f["s_min"] > 0 else 1.0
    u = f["eps"] * math.sqrt(f["rows"] + f["cols"] + 1)
    rounding = _ROUND_FACTOR * u * (loss + value + 2 * kappa * f["y_norm"] * math.sqrt(max(value, 0.0))
                                    + 2 * math.sqrt(loss) * (f["yhat_norm"] + f["y_norm"]))
    tolerance = rounding + rtol * loss + atol
    pr = math.sqrt(max(float(f["projected"]), 0.0))
    span = f["span"]
    span_defect = None if span is None else (float(span) / f["yhat_norm"] if f["yhat_norm"] > 0 else 0.0)
    if _ROUND_FACTOR * kappa * u > UNDECIDED_FRACTION:
        status = "undecided"
    else:
        status = "holds" if abs(difference) <= tolerance else "fails"
    return ValueIdentity(
        status=status, loss=loss, gradient_basis_value=value,
        difference=difference, projected_residual=float(f["projected"]), tolerance=tolerance,
        rounding=rounding, rank=int(f["rank"]), rows=int(f["rows"]), cols=int(f["cols"]),
        rank_tolerance=float(f["tol"]), s_min=float(f["s_min"]), s_max=float(f["s_max"]),
        gradient_norm=float(f["gnorm"]), gradient_bounds=(2 * f["s_min"] * pr, 2 * f["s_max"] * pr),
        span_defect=span_defect, precision=f["precision"], model=model, details=dict(details or {}))


def check_tolerances(rtol: float, atol: float) -> None:
    """InvalidArgument unless rtol and atol are finite numbers ≥ 0."""
    for name, val in (("rtol", rtol), ("atol", atol)):
        if not isinstance(val, (int, float)) or not math.isfinite(val) or val < 0:
            raise InvalidArgument(f"{name}={val!r} must be a finite number ≥ 0")


def _nonsmooth_floats(act: Activation) -> list[float]:
    out = []
    for p in act.nonsmooth_points:
        try:
            out.append(float(p))
        except TypeError:
            continue
    return out


def require_differentiable(act: Activation, preacts: np.ndarray, where: str,
                            inputs: np.ndarray | None = None) -> None:
    """NotApplicable when some pre-activation sits (to rounding) on a nonsmooth point of σ.

    ``preacts`` has one column per sample; ``inputs`` (one column per sample)
    are the layer's inputs: a sample whose input column is exactly zero has
    pre-activations that stay 0 near θ (they do not depend on the weights), so
    a kink there does not make E nondifferentiable and is skipped.
    """
    pts = _nonsmooth_floats(act)
    if not pts:
        return
    scale = max(1.0, float(np.max(np.abs(preacts)))) if preacts.size else 1.0
    live = np.ones(preacts.shape[-1], dtype=bool) if inputs is None else np.any(inputs != 0, axis=0)
    for p in pts:
        hit = (np.abs(preacts - p) <= 64 * np.finfo(float).eps * scale) & live[None, :]
        if np.any(hit):
            idx = tuple(int(i) for i in np.argwhere(hit)[0])
            raise NotApplicable(
                f"{where}: pre-activation {idx} = {float(preacts[idx])!r} sits on the nonsmooth point "
                f"{p!r} of σ = {act.text}; the value identity needs '{HYPOTHESES['differentiable']}'",
                theorem=INDUCED_THEOREM, hypothesis="differentiable")


def paper_scales(loss: float, N: int) -> dict[str, Any]:
    """``{"paper_scales": {arXiv id: {"paper", "loss", "value"}}}``: the loss E on each paper's scale.

    Examples
    --------
    >>> paper_scales(4.0, 2)["paper_scales"]["arXiv:1811.08150"]["value"]
    2.0
    """
    values = {"arXiv:1811.08150": loss / 2, "arXiv:1810.09038": loss / N, "arXiv:1904.03673": loss}
    return {"paper_scales": {key: {"paper": PAPERS[key], "loss": FACTORS[key], "value": val}
                             for key, val in values.items()}}
