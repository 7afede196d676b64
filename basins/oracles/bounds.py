"""Value-of-local-minima oracles: the gradient-basis value ||P_N[J(θ)] y||² (SPEC §9).

At a differentiable critical point θ of a squared loss whose model output ŷ
lies in the column space of its Jacobian J (true for our networks through
the output weights), the loss equals the global minimum of the *gradient-basis
model* α ↦ ||y − Jα||²:

    E(θ) = ||P_N[J(θ)] y||²                       (papers/003, Theorem 1)

where P_N[J] projects onto the orthogonal complement of the column space of J.
The reason is short and gives the tolerance: with r = ŷ − y and ŷ ∈ col J,
P_N[J] y = −P_N[J] r, so

    E − ||P_N[J] y||² = ||P[J] r||²,      2 s_min ||P[J] r|| ≤ ||∇E|| ≤ 2 s_max ||P[J] r||

(s_min, s_max: the extreme non-zero singular values of J, ∇E = 2Jᵀr).  The
difference is never negative, it is quadratic in the gradient near a critical
point, and a difference above rounding *proves* (numerically) a non-zero
gradient: the point is not a differentiable critical point.

This module computes that value for the 1-hidden-layer network of SPEC §0, for
deep fully connected networks (:mod:`basins.model.deep`), for the ResNet of
papers/001 (:mod:`basins.model.resnet`) and for any user model given its Jacobian
and residual; the deep ReLU formula of papers/000 Theorem 1 is computed as
written (its Kronecker path sums and its Gram–Schmidt sum) and compared with
the projection form.

Factors.  basins' loss is E = ||ŷ − y||² (no 1/2, no 1/N).  papers/000 uses
L = E/2; papers/001 (Assumptions B1, B2) uses L = E/N with N samples;
papers/003 uses Σ ℓ with ℓ the per-sample loss, here ℓ = ||·||², so L = E.
Every value below is on basins' scale E unless its name says otherwise.

Numerics.  Projections use an SVD of J with the rank cut-off of papers/000,
Appendix C (Press et al.): singular values ≤ ½·s_max·ε·√(rows + cols + 1) are
treated as zero (ε = float64's, also with ``dps``: the data are float64, so a
smaller singular value cannot be told from zero); the cut-off and the rank are
reported.  The float64
rounding allowance of the difference is

    8 u (E + V + 2κ ||y|| √V + 2 √E (||ŷ|| + ||y||)),   u = ε √(rows + cols + 1),

from first-order perturbation of the projector (κ = s_max/s_min); with
``dps`` the projections run in mpmath at that many digits and ε = 10^(−dps).
The identity is said to hold when |E − V| ≤ allowance + rtol·E + atol.  The
default rtol = 1e-9 is the precision to which :func:`basins.verification.verify.verify_case`
checks the loss of a case; for an optimizer's output use a tolerance derived
from its gradient norm (the bound above: (||∇E||/(2 s_min))²).

References
----------
K. Kawaguchi, J. Huang, L. P. Kaelbling, *Every local minimum value is the
global minimum value of induced model in nonconvex machine learning*, Neural
Computation 31 (2019), Theorem 1 (``shared/papers/003_953f9d17d9589a53.txt``).
K. Kawaguchi, L. P. Kaelbling, *Elimination of all bad local minima in deep
learning* (``shared/papers/000_e303b89358b7cde4.txt``), Proposition 1 and
Theorem 1.  K. Kawaguchi, Y. Bengio, *Depth with nonlinearity creates no bad
local minima in ResNets*, Theorem 2 (``shared/papers/001_3721e999795b3596.txt``).

Examples
--------
>>> from basins.constructions.prop4 import construct_prop4
>>> case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])
>>> res = case_value_identity(case)
>>> res.holds, abs(res.difference) < 1e-9 * res.loss
(True, True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from basins.activations import Activation, as_activation
from basins.io.case import Case
from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable, VerificationFailed

__all__ = [
    "DEFAULT_RTOL",
    "FACTORS",
    "GS_TOL_FACTOR",
    "HYPOTHESES",
    "UNDECIDED_FRACTION",
    "DeepFormula",
    "ResNetValue",
    "ValueIdentity",
    "assert_value_identity",
    "case_value_identity",
    "check_value_identity",
    "deep_d_blocks",
    "deep_theorem1",
    "deep_value_identity",
    "gradient_basis_value",
    "gram_schmidt_value",
    "network_value_identity",
    "rank_tolerance",
    "resnet_value",
]

THEOREM = "papers/003 Theorem 1"

#: The hypotheses of the value identity, by the names used in results and errors.
HYPOTHESES: dict[str, str] = {
    "squared loss": "E(θ) = ||ŷ(θ) − y||² (basins' E; other papers' L differ by a constant factor)",
    "differentiable": "θ is a differentiable point: no pre-activation sits on a nonsmooth point of σ",
    "output in span": "ŷ(θ) lies in the column space of J(θ) (papers/003 Assumption 2)",
    "critical point": "∇E(θ) = 2J(θ)ᵀ(ŷ − y) = 0",
    "resnet A1": "papers/001 Assumption A1: d_y ≤ min(d_x, d_z)",
    "resnet local minimum": "papers/001 Theorem 2 needs a local minimum (at a mere critical point: W of full row rank)",
}

#: Each paper's loss in terms of basins' E (N = number of samples).
FACTORS: dict[str, str] = {
    "basins": "E = ||ŷ − y||²",
    "papers/000": "L = E/2",
    "papers/001": "L = E/N",
    "papers/003": "L = E (ℓ = squared norm)",
}

#: Default relative tolerance of the identity: the loss precision of verify_case.
DEFAULT_RTOL = 1e-9

#: The verdict is "undecided" when the projector's error bound 8κu exceeds this.
UNDECIDED_FRACTION = 1e-3

#: Float64 rounding allowance factor (see the module docstring).
_ROUND_FACTOR = 8.0

#: Above this many rows the float projection uses a thin SVD.
_FULL_SVD_MAX_ROWS = 3000

#: Block Gram–Schmidt keeps a deflated direction above this multiple of the rank cut-off.
GS_TOL_FACTOR = 16.0

#: The path sums of papers/000 Theorem 1 are refused above this many terms.
MAX_PATHS = 200_000


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
    """The singular-value cut-off ½·s_max·ε·√(rows + cols + 1) (papers/000, Appendix C).

    Examples
    --------
    >>> rank_tolerance(1.0, 3, 2) == 0.5 * 2.0**-52 * 6 ** 0.5
    True
    """
    return 0.5 * float(s_max) * eps * math.sqrt(rows + cols + 1)


def _as_matrix(J: Any, name: str = "jacobian") -> np.ndarray:
    J = np.asarray(J, dtype=float)
    if J.ndim == 1:
        J = J[:, None]
    if J.ndim != 2 or J.shape[0] == 0:
        raise InvalidArgument(f"{name} has shape {J.shape}; expected a 2-D (outputs × parameters) array")
    if not np.all(np.isfinite(J)):
        raise InvalidArgument(f"{name} has a NaN or infinite entry")
    return J


def _as_vector(a: Any, rows: int, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    a = a.ravel(order="F") if a.ndim == 2 else a.ravel()
    if a.size != rows:
        raise InvalidArgument(f"{name} has {a.size} entries but the Jacobian has {rows} rows")
    if not np.all(np.isfinite(a)):
        raise InvalidArgument(f"{name} has a NaN or infinite entry")
    return a


def _float_figures(J: np.ndarray, r: np.ndarray, yhat: np.ndarray | None, rank_tol: float | None) -> dict[str, Any]:
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


def _mp_figures(J: list[list[Any]], r: list[Any], yhat: list[Any], dps: int,
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


def _result(f: dict[str, Any], *, rtol: float, atol: float, model: str,
            details: Mapping[str, Any] | None = None) -> ValueIdentity:
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


def _check_tolerances(rtol: float, atol: float) -> None:
    for name, val in (("rtol", rtol), ("atol", atol)):
        if not isinstance(val, (int, float)) or not math.isfinite(val) or val < 0:
            raise InvalidArgument(f"{name}={val!r} must be a finite number ≥ 0")


def _span_hypothesis(res: ValueIdentity, span_rtol: float) -> None:
    if res.span_defect is not None and res.span_defect > span_rtol:
        raise HypothesisFailed(
            f"prediction is not in the column space of the Jacobian: ||P_N[J] ŷ||/||ŷ|| = "
            f"{res.span_defect:.3g} > span_rtol={span_rtol:.3g}; the value identity needs "
            f"'{HYPOTHESES['output in span']}'",
            theorem=THEOREM, hypothesis="output in span")


# ----------------------------------------------------------- public API --

def gradient_basis_value(jacobian: Any, y: Any, *, rank_tol: float | None = None) -> float:
    """The global minimum of the gradient-basis model, ||P_N[J] y||² = min_α ||y − Jα||².

    Parameters
    ----------
    jacobian : array_like, shape (rows, cols)
        J(θ) = ∂ŷ/∂θ (one row per output entry).
    y : array_like
        Targets, ``rows`` entries (a matrix is read column-major, as vec).
    rank_tol : float, optional
        Singular values at or below this count as zero (default: the cut-off
        of :func:`rank_tolerance`).

    Returns
    -------
    float
        The value on basins' scale (no 1/2).

    References
    ----------
    papers/003 Theorem 1 (the induced gradient-basis model); papers/000 §3.1.

    Examples
    --------
    >>> gradient_basis_value([[1.0], [0.0]], [3.0, 4.0])
    16.0
    """
    J = _as_matrix(jacobian)
    yv = _as_vector(y, J.shape[0], "y")
    return _float_figures(J, -yv, np.zeros_like(yv), rank_tol)["value"]


def check_value_identity(
    jacobian: Any,
    residual: Any,
    *,
    theta: Any = None,
    prediction: Any = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = 0.0,
    rank_tol: float | None = None,
    span_rtol: float = 1e-6,
    model: str = "user model",
) -> ValueIdentity:
    """Check E(θ) = ||P_N[J(θ)] y||² at a claimed minimum of a user's model.

    Parameters
    ----------
    jacobian : array_like or callable
        J(θ) = ∂ŷ/∂θ, shape (outputs, parameters), or a callable θ ↦ J(θ).
    residual : array_like or callable
        r = ŷ − y (same output order as J's rows; a matrix is read
        column-major), or a callable θ ↦ r.
    theta : array_like, optional
        The point; required when ``jacobian`` or ``residual`` is callable.
    prediction : array_like or callable, optional
        ŷ; when given, y = ŷ − r and the hypothesis ŷ ∈ col J is checked
        (otherwise it is assumed, and the value is ||P_N[J] r||²).
    rtol, atol : float
        Allowed |E − V| beyond rounding: rtol·E + atol.  Use the optimizer's
        precision: the exact bound is (||∇E||/(2 s_min))².
    rank_tol : float, optional
        Singular-value cut-off (default: :func:`rank_tolerance`).
    span_rtol : float
        Largest ||P_N[J] ŷ||/||ŷ|| accepted as ŷ ∈ col J.
    model : str
        A name for messages.

    Returns
    -------
    ValueIdentity
        ``holds`` is False when |E − V| exceeds the tolerance; since
        E − V = ||P[J] r||² ≤ (||∇E||/(2 s_min))², a mismatch proves that θ
        is not a differentiable critical point (``gradient_bounds[0]`` is a
        lower bound on ||∇E||).

    Raises
    ------
    InvalidArgument
        Bad shapes, non-finite entries, a callable without ``theta``, a
        negative tolerance.
    HypothesisFailed
        ``prediction`` is given and is not in the column space of J.

    References
    ----------
    papers/003 Theorem 1 with ℓ the squared loss.

    Examples
    --------
    A linear model ŷ = Jθ: every critical point is a least-squares solution.

    >>> import numpy as np
    >>> J = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); y = np.array([1.0, 2.0, 0.0])
    >>> theta = np.linalg.lstsq(J, y, rcond=None)[0]
    >>> check_value_identity(J, J @ theta - y, prediction=J @ theta).holds
    True
    >>> check_value_identity(J, J @ (theta + 0.1) - y, prediction=J @ (theta + 0.1)).holds
    False
    """
    _check_tolerances(rtol, atol)

    def at(obj: Any, name: str) -> Any:
        if callable(obj):
            if theta is None:
                raise InvalidArgument(f"{name} is callable, so theta must be given")
            return obj(np.asarray(theta, dtype=float))
        return obj

    J = _as_matrix(at(jacobian, "jacobian"))
    r = _as_vector(at(residual, "residual"), J.shape[0], "residual")
    yhat = None if prediction is None else _as_vector(at(prediction, "prediction"), J.shape[0], "prediction")
    res = _result(_float_figures(J, r, yhat, rank_tol), rtol=rtol, atol=atol, model=model)
    _span_hypothesis(res, span_rtol)
    return res


def assert_value_identity(jacobian: Any, residual: Any, **kwargs: Any) -> ValueIdentity:
    """:func:`check_value_identity`, raising VerificationFailed when the identity fails.

    For use in a user's tests (like scikit-learn's ``check_*`` helpers).

    Raises
    ------
    VerificationFailed
        With ``check="value identity"`` and the figures in the message.

    Examples
    --------
    >>> assert_value_identity([[1.0], [1.0]], [0.5, -0.5], prediction=[1.0, 1.0]).holds
    True
    """
    res = check_value_identity(jacobian, residual, **kwargs)
    if not res.holds:
        raise VerificationFailed(f"{res.model}: {res.message}", check="value identity")
    return res


# ------------------------------------------------- our 1-hidden-layer net --

def _nonsmooth_floats(act: Activation) -> list[float]:
    out = []
    for p in act.nonsmooth_points:
        try:
            out.append(float(p))
        except TypeError:
            continue
    return out


def _require_differentiable(act: Activation, preacts: np.ndarray, where: str,
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
                theorem=THEOREM, hypothesis="differentiable")


def _scales(loss: float, N: int) -> dict[str, Any]:
    return {"paper_scales": {"papers/000 L = E/2": loss / 2, "papers/001 L = E/N": loss / N,
                             "papers/003 L = E": loss}}


def network_value_identity(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, *,
                           dps: int | None = None, rtol: float = DEFAULT_RTOL,
                           atol: float = 0.0, rank_tol: float | None = None) -> ValueIdentity:
    """The value identity for the 1-hidden-layer network ŷ = Σ v_i σ(w_i x) of SPEC §0.

    J = [z_1..z_m, v_1 z′_1..v_m z′_m]; ŷ = J[:, :m] v lies in col J.

    Parameters
    ----------
    activation : str or Activation
    x, y : array_like, shape (N,)
    v, w : array_like, shape (m,)
    dps : int, optional
        Evaluate J, r and the projections in mpmath at this many digits (≥ 20)
        instead of float64.
    rtol, atol, rank_tol : float
        See :func:`check_value_identity`.

    Returns
    -------
    ValueIdentity

    Raises
    ------
    InvalidArgument
        Bad shapes or tolerances, ``dps`` < 20.
    NotApplicable
        A pre-activation w_i x_j sits on a nonsmooth point of σ (e.g. the
        Theorem 7 construction for piecewise-linear σ): θ is not a
        differentiable point.

    References
    ----------
    papers/003 Theorem 1; papers/000 Proposition 1 (ReLU form, with L = E/2).

    Examples
    --------
    >>> res = network_value_identity("tanh", [1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [1.0], [0.5])
    >>> res.holds   # a random point is not critical
    False
    """
    from basins.model.network import features_mp, jacobian, output

    act = as_activation(activation)
    _check_tolerances(rtol, atol)
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    va = np.asarray(v, dtype=float).ravel()
    wa = np.asarray(w, dtype=float).ravel()
    if xa.size != ya.size or va.size != wa.size or xa.size == 0 or wa.size == 0:
        raise InvalidArgument(f"lengths x={xa.size}, y={ya.size}, v={va.size}, w={wa.size} are inconsistent")
    for name, arr in (("x", xa), ("y", ya), ("v", va), ("w", wa)):
        if not np.all(np.isfinite(arr)):
            raise InvalidArgument(f"{name} has a NaN or infinite entry")
    _require_differentiable(act, np.outer(wa, xa), "network", xa[None, :])
    m, N = wa.size, xa.size
    if dps is None:
        J = jacobian(act, xa, va, wa)
        yhat = output(act, xa, va, wa)
        f = _float_figures(J, yhat - ya, yhat, rank_tol)
    else:
        if not isinstance(dps, int) or dps < 20:
            raise InvalidArgument(f"dps={dps!r} must be an integer ≥ 20")
        with mpmath.workdps(dps):
            vs = [mpmath.mpf(float(a)) for a in va]
            z, z1, _ = features_mp(act, xa, wa)
            cols = z + [[vi * e for e in zi] for vi, zi in zip(vs, z1)]
            Jrows = [[cols[c][j] for c in range(2 * m)] for j in range(N)]
            yhat_mp = [mpmath.fsum(vs[i] * z[i][j] for i in range(m)) for j in range(N)]
            r_mp = [yhat_mp[j] - mpmath.mpf(float(ya[j])) for j in range(N)]
            f = _mp_figures(Jrows, r_mp, yhat_mp, dps, rank_tol)
    return _result(f, rtol=rtol, atol=atol, model=f"1-hidden-layer network, σ = {act.text}, m = {m}",
                   details=_scales(float(f["loss"]), N))


def case_value_identity(case: Case, *, dps: int | None = None, rtol: float = DEFAULT_RTOL,
                        atol: float = 0.0, rank_tol: float | None = None) -> ValueIdentity:
    """The value identity at a case's point (recomputed from x, y, v, w and σ alone).

    The stored loss is not trusted; the result's ``details`` record it.

    Raises
    ------
    NotApplicable
        The case's point is not a differentiable point of E.

    References
    ----------
    papers/003 Theorem 1; SPEC §9.

    Examples
    --------
    >>> from basins.constructions.prop4 import construct_prop4
    >>> case_value_identity(construct_prop4("softplus", (0.5, 1, 2, 3), width=1), dps=40).holds
    True
    """
    x, y, v, w = case.arrays()
    res = network_value_identity(case.activation, x, y, v, w, dps=dps, rtol=rtol, atol=atol,
                                 rank_tol=rank_tol)
    label = case.name or case.theorem
    return ValueIdentity(**{**res.__dict__, "model": f"case {label!r}: {res.model}",
                            "details": {**res.details, "stored_loss": float(case.loss),
                                        "theorem": case.theorem}})


# -------------------------------------------------------- deep networks --

def _deep_preacts(net: Any, Ws: list[np.ndarray], X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Layer outputs T_0..T_H and pre-activations U_1..U_H (basins.model.deep's layout: (d_h, N))."""
    Ts, Us = [X], []
    T = X
    for W, act in zip(Ws[:-1], net.activations):
        U = W @ T
        Us.append(U)
        T = act.numpy(0)(U)
        Ts.append(T)
    return Ts, Us


def _deep_inputs(net: Any, weights: Sequence[Any], X: Any, Y: Any | None = None
                 ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Checked weights, X and Y (Y is returned as an empty array when not given)."""
    from basins.model import deep

    if not isinstance(net, deep.DeepNetwork):
        raise InvalidArgument(f"net={net!r} must be a basins.model.deep.DeepNetwork (see deep.deep_network)")
    Ws, Xa, Ya = deep._check(net, weights, X, Y)
    return Ws, Xa, (np.empty((0, Xa.shape[1])) if Ya is None else Ya)


def deep_value_identity(net: Any, weights: Sequence[Any], X: Any, Y: Any, *,
                        rtol: float = DEFAULT_RTOL, atol: float = 0.0,
                        rank_tol: float | None = None) -> ValueIdentity:
    """The value identity for a deep fully connected network of :mod:`basins.model.deep`.

    J = ∂vec(Ŷ)/∂θ from :func:`basins.model.deep.jacobian`; Ŷ = W_{H+1} T_H lies in
    col J through the last layer, for any σ (relu, leaky relu, abs, smooth).

    Parameters
    ----------
    net : basins.model.deep.DeepNetwork
    weights : sequence of arrays
        W_1..W_{H+1} in basins.model.deep's layout (W_h of shape (d_h, d_{h−1})).
    X, Y : array_like
        (d_0, N) and (d_out, N).
    rtol, atol, rank_tol : float
        See :func:`check_value_identity`.  Near a critical point where J is
        nearly rank deficient (s_min ≪ ||∇E||), a larger ``rank_tol`` treats
        the weak directions as absent.

    Returns
    -------
    ValueIdentity

    Raises
    ------
    InvalidArgument
        Shapes that do not fit ``net``.
    NotApplicable
        A pre-activation sits on a nonsmooth point of its layer's σ.

    References
    ----------
    papers/003 Theorem 1; papers/000 Theorem 1 (with L = E/2).

    Examples
    --------
    >>> from basins.model import deep
    >>> net = deep.deep_network([1, 3, 1], "relu")
    >>> res = deep_value_identity(net, deep.random_weights(net, seed=0), [[1.0, 2.0, -1.0]], [[0.0, 1.0, 2.0]])
    >>> res.rows, res.cols, res.holds       # 3 outputs, 6 weights; a random point is not critical
    (3, 6, False)
    """
    from basins.model import deep

    _check_tolerances(rtol, atol)
    Ws, Xa, Ya = _deep_inputs(net, weights, X, Y)
    Ts, Us = _deep_preacts(net, Ws, Xa)
    for h, (U, act) in enumerate(zip(Us, net.activations), start=1):
        _require_differentiable(act, U, f"layer {h}", Ts[h - 1])
    J = deep.jacobian(net, Ws, Xa)
    Yhat = deep.output(net, Ws, Xa)
    yhat = Yhat.ravel()                         # row-major (output k, sample j), as deep.jacobian's rows
    r = yhat - Ya.ravel()
    f = _float_figures(J, r, yhat, rank_tol)
    return _result(f, rtol=rtol, atol=atol,
                   model=f"deep network, widths {list(net.widths)}, σ = {[a.text for a in net.activations]}",
                   details=_scales(float(f["loss"]), Xa.shape[1]))


def deep_d_blocks(net: Any, weights: Sequence[Any], X: Any) -> list[list[np.ndarray]]:
    """The matrices D_{k_l}^{(l)} of papers/000 Theorem 1, computed as written.

    In the paper's notation (samples as rows, W^{(l)} = W_lᵀ of basins.model.deep,
    Φ^{(l)} = T_lᵀ, Λ^{l,k} = diag σ_l′ of unit k's pre-activations)::

        D_{k_l}^{(l)} = Σ_{k_{l+1}..k_H} (W^{(l+1)}_{k_l,k_{l+1}} ⋯ W^{(H)}_{k_{H−1},k_H} W^{(H+1)}_{k_H,·})ᵀ
                        ⊗ Λ^{l,k_l} ⋯ Λ^{H,k_H} Φ^{(l−1)},

    one explicit Kronecker term per path k_{l+1}..k_H; and D_1^{(H+1)} =
    I_{d_y} ⊗ Φ^{(H)}.  The rows are vec(Ŷ) (the paper's column-major vec of the
    N×d_y matrix, which is basins.model.deep's row order).  D_{k}^{(l)} is the block
    of ∂vec(Ŷ)/∂θ for the weights into unit k of layer l (the row k of
    basins.model.deep's W_l), so the blocks are an independent form of the Jacobian.

    Returns
    -------
    list of list of ndarray
        ``blocks[l-1][k-1]`` = D_k^{(l)} for l = 1..H+1 (the last list has one
        block), each of shape (d_y·N, d_{l−1}) (last: (d_y·N, d_y·d_H)).

    Raises
    ------
    InvalidArgument
        Shapes that do not fit ``net``, or more than :data:`MAX_PATHS` path
        terms in total.

    References
    ----------
    papers/000 Theorem 1 and Lemma 1.

    Examples
    --------
    >>> from basins.model import deep
    >>> net = deep.deep_network([2, 3, 1], "relu")
    >>> [[b.shape for b in layer] for layer in deep_d_blocks(net, deep.random_weights(net), [[1, 2], [3, -1]])]
    [[(2, 2), (2, 2), (2, 2)], [(2, 3)]]
    """
    Ws, Xa, _ = _deep_inputs(net, weights, X)
    H = net.depth
    widths = net.widths
    d_y, N = widths[-1], Xa.shape[1]
    total = sum(widths[l] * math.prod(widths[l + 1:H + 1]) for l in range(1, H + 1))
    if total > MAX_PATHS:
        raise InvalidArgument(
            f"the path sums of papers/000 Theorem 1 for widths {list(widths)} have {total} terms "
            f"(> MAX_PATHS={MAX_PATHS}); use deep_value_identity (the projection form) instead")
    Ts, Us = _deep_preacts(net, Ws, Xa)
    Lam = [act.numpy(1)(U) for act, U in zip(net.activations, Us)]   # Λ^{l,k} diagonals: Lam[l-1][k]
    Phi = [T.T for T in Ts]                                          # Φ^{(l)} (N × d_l)
    Wp = [W.T for W in Ws]                                           # W^{(l)} (d_{l−1} × d_l)
    blocks: list[list[np.ndarray]] = []
    for l in range(1, H + 1):
        layer = []
        for k in range(widths[l]):
            D = np.zeros((d_y * N, widths[l - 1]))
            for path in itertools.product(*[range(widths[h]) for h in range(l + 1, H + 1)]):
                ks = (k, *path)                                      # k_l, k_{l+1}, ..., k_H
                coeff = 1.0
                for h in range(l + 1, H + 1):
                    coeff *= Wp[h - 1][ks[h - 1 - l], ks[h - l]]     # W^{(h)}_{k_{h−1}, k_h}
                c = coeff * Wp[H][ks[-1], :]                         # (… W^{(H+1)}_{k_H,·})ᵀ, a d_y vector
                lam = np.ones(N)
                for h in range(l, H + 1):
                    lam = lam * Lam[h - 1][ks[h - l]]                # Λ^{l,k_l} ⋯ Λ^{H,k_H}
                D += np.kron(c[:, None], lam[:, None] * Phi[l - 1])
            layer.append(D)
        blocks.append(layer)
    blocks.append([np.kron(np.eye(d_y), Phi[H])])
    return blocks


def gram_schmidt_value(blocks: Sequence[Any], y: Any, *, rank_tol: float | None = None
                       ) -> tuple[float, list[float], int]:
    """||y||² − Σ_k ||P[N_k D_k] y||², the Gram–Schmidt sum of papers/000 Theorem 1.

    N_1 = I and N_k = P_N[Q̄_{k−1}] with Q̄_{k−1} = [Q_1, ..., Q_{k−1}],
    Q_k = N_k D_k (the paper prints P_N[Q̄_{k_l}] for N_{k_l}; the index must be
    k_l − 1, as in its Proposition 1 and its convention Q̄_0^{(l)} = Q̄_{d_{l−1}}^{(l−1)},
    since Q_k is defined through N_k).  The projections use an orthonormal
    basis of span Q̄ (projected twice against it, for stability).  A block
    direction is kept when its singular value after deflation exceeds
    :data:`GS_TOL_FACTOR` times the cut-off of :func:`rank_tolerance` for the
    largest singular value of [D_1 … D_K]: deflating a column that lies in
    span Q̄ leaves rounding noise of a few ε·||D_k||, which the plain cut-off
    does not always reject (block Gram–Schmidt is not rank revealing; the
    paper's Appendix C warns of the same over-count).  Compare the returned
    rank with the projection form's.

    Parameters
    ----------
    blocks : sequence of 2-D arrays
        D_1, ..., D_K, each with ``len(y)`` rows, in the paper's order.
    y : array_like
        vec(Y).
    rank_tol : float, optional
        Singular-value cut-off.

    Returns
    -------
    (value, terms, rank)
        The value on basins' scale (twice the paper's L), the terms
        ||P[N_k D_k] y||² (each ≥ 0) and the number of directions kept.

    Raises
    ------
    InvalidArgument
        No blocks, or a block whose rows do not match ``y``.

    References
    ----------
    papers/000 Theorem 1 (Eq. 4.2) and Lemmas 2–3.

    Examples
    --------
    >>> value, terms, rank = gram_schmidt_value([[[1.0], [0.0], [0.0]], [[1.0], [1.0], [0.0]]], [1.0, 2.0, 3.0])
    >>> round(value, 12), [round(t, 12) for t in terms], rank
    (9.0, [1.0, 4.0], 2)
    """
    yv = np.asarray(y, dtype=float).ravel()
    Ds = [_as_matrix(b, f"blocks[{i}]") for i, b in enumerate(blocks)]
    if not Ds:
        raise InvalidArgument("blocks is empty")
    for i, D in enumerate(Ds):
        if D.shape[0] != yv.size:
            raise InvalidArgument(f"blocks[{i}] has {D.shape[0]} rows but y has {yv.size} entries")
    rows = yv.size
    cols = sum(D.shape[1] for D in Ds)
    if rank_tol is None:
        s_max = float(np.linalg.norm(np.hstack(Ds), 2))
        rank_tol = GS_TOL_FACTOR * rank_tolerance(s_max, rows, cols)
    B = np.zeros((rows, 0))
    terms = []
    for D in Ds:
        Q = D - B @ (B.T @ D)
        Q = Q - B @ (B.T @ Q)                       # N_k D_k, re-orthogonalised
        if Q.shape[1] == 0:
            terms.append(0.0)
            continue
        U, s, _ = np.linalg.svd(Q, full_matrices=False)
        Uk = U[:, s > rank_tol]
        Uk = Uk - B @ (B.T @ Uk)
        Uk, _ = np.linalg.qr(Uk) if Uk.shape[1] else (Uk, None)
        c = Uk.T @ yv
        terms.append(float(c @ c))
        B = np.hstack([B, Uk])
    return float(yv @ yv) - math.fsum(terms), terms, int(B.shape[1])


@dataclass(frozen=True)
class DeepFormula:
    """papers/000 Theorem 1 at one point, on basins' scale and the paper's.

    Attributes
    ----------
    loss : float
        E = ||Ŷ − Y||_F².
    formula_value : float
        ||Y||² − Σ ||P[N_k D_k] vec Y||² (= 2 J(θ) of the paper).
    paper_value : float
        The paper's J(θ) = formula_value / 2 (its L has the factor 1/2).
    projection_value : float
        ||P_N[J] vec Y||² from basins.model.deep.jacobian (the projection form).
    terms : tuple of float
        The Gram–Schmidt terms, in the order (l = 1, k = 1..d_1), ..., (H+1, 1).
    max_block_error : float
        max |D_{k}^{(l)} − the matching columns of basins.model.deep.jacobian|.
    formula_rank : int
        Directions the Gram–Schmidt sum kept (compare ``identity.rank``).
    identity : ValueIdentity
        The projection-form check at this point.
    """

    loss: float
    formula_value: float
    paper_value: float
    projection_value: float
    terms: tuple[float, ...]
    max_block_error: float
    formula_rank: int
    identity: ValueIdentity

    def to_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "formula_value": self.formula_value, "paper_value": self.paper_value,
                "projection_value": self.projection_value, "terms": list(self.terms),
                "max_block_error": self.max_block_error, "formula_rank": self.formula_rank,
                "identity": self.identity.to_dict()}


def deep_theorem1(net: Any, weights: Sequence[Any], X: Any, Y: Any, *, rtol: float = DEFAULT_RTOL,
                  atol: float = 0.0) -> DeepFormula:
    """papers/000 Theorem 1 computed as written, beside the projection form.

    D_{k_l}^{(l)} from the path sums (:func:`deep_d_blocks`), the Gram–Schmidt
    sum over them (:func:`gram_schmidt_value`), the projection form
    ||P_N[J] vec Y||² (:func:`deep_value_identity`) and the loss.  At a
    differentiable local minimum (the theorem's hypothesis) all three agree;
    the formula equals the projection form at *every* differentiable point,
    since both are ||P_N[D] vec Y||² (Lemma 3).

    Raises
    ------
    InvalidArgument, NotApplicable
        As :func:`deep_value_identity` and :func:`deep_d_blocks`.

    References
    ----------
    papers/000 Theorem 1 (ReLU, leaky ReLU, abs; the same algebra holds for
    any differentiable σ since D_k^{(l)} is the Jacobian block).

    Examples
    --------
    >>> from basins.model import deep
    >>> net = deep.deep_network([1, 2, 2, 1], "relu")
    >>> f = deep_theorem1(net, deep.random_weights(net, seed=3), [[1.0, -2.0, 0.5, 3.0]], [[1.0, 0.0, 2.0, 1.0]])
    >>> abs(f.formula_value - f.projection_value) < 1e-12, f.max_block_error < 1e-12
    (True, True)
    """
    from basins.model import deep

    ident = deep_value_identity(net, weights, X, Y, rtol=rtol, atol=atol)
    Ws, Xa, Ya = _deep_inputs(net, weights, X, Y)
    blocks = deep_d_blocks(net, Ws, Xa)
    J = deep.jacobian(net, Ws, Xa)
    flat = [D for layer in blocks for D in layer]
    # basins.model.deep orders θ as (vec W_1, ..., vec W_{H+1}) row-major: unit k of layer l is the row
    # W_l[k, :], contiguous; the output layer W_{H+1} (d_y × d_H) row-major is (output o, unit k).
    err = 0.0
    col = 0
    for layer in blocks[:-1]:
        for D in layer:
            err = max(err, float(np.max(np.abs(J[:, col:col + D.shape[1]] - D))))
            col += D.shape[1]
    d_y, d_H = net.widths[-1], net.widths[-2]
    Jout = J[:, col:]
    # the paper's D_1^{(H+1)} = I ⊗ Φ^{(H)} has columns (o, k) with k fastest: the same order.
    err = max(err, float(np.max(np.abs(Jout - blocks[-1][0])))) if Jout.shape[1] == d_y * d_H else float("inf")
    value, terms, rank = gram_schmidt_value(flat, Ya.ravel())
    return DeepFormula(loss=ident.loss, formula_value=value, paper_value=value / 2,
                       projection_value=ident.gradient_basis_value, terms=tuple(terms),
                       max_block_error=err, formula_rank=rank, identity=ident)


# ---------------------------------------------------------------- ResNet --

def _range_norm2(A: np.ndarray, y: np.ndarray, tol: float) -> float:
    """||P[A] y||² with singular values ≤ tol dropped."""
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    c = U[:, s > tol].T @ y
    return float(c @ c)


@dataclass(frozen=True)
class ResNetValue:
    """papers/001 Theorem 2 at one point.

    Attributes
    ----------
    loss : float
        E = ||Ĥ − Y||_F² (basins' scale); the paper's L is ``paper_loss`` = E/N.
    basis_value : float
        ||P_N[[X, Z(X, θ)]] Y||_F²: the global minimum of basis-function
        regression on [X, Z] (basins' scale).
    paper_loss, paper_value : float
        E/N and the paper's right-hand side (1/N)||P_N[X]Y||² − (1/N)||P[P_N[X]Z]Y||².
    linear_value : float
        (1/N)||P_N[X]Y||_F², the global minimum of the linear model (L*_{x}).
    difference : float
        E − basis_value (≥ 0 up to rounding at any point where W(x + Vz) ∈ span).
    holds : bool
        |difference| ≤ tolerance (same rounding allowance and rtol as the
        gradient-basis check).
    tolerance : float
    identity : ValueIdentity
        The gradient-basis check (papers/003) with the full Jacobian.
    w_rank : int
        Rank of W; at a critical point with rank W = d_y the identity holds.
    """

    loss: float
    basis_value: float
    paper_loss: float
    paper_value: float
    linear_value: float
    difference: float
    holds: bool
    tolerance: float
    identity: ValueIdentity
    w_rank: int

    def to_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "basis_value": self.basis_value, "difference": self.difference,
                "holds": self.holds, "tolerance": self.tolerance, "paper_loss": self.paper_loss,
                "paper_value": self.paper_value, "linear_value": self.linear_value, "w_rank": self.w_rank,
                "gradient_basis": self.identity.to_dict()}


def resnet_value(activation: Activation | str, X: Any, Y: Any, params: Any, *,
                 rtol: float = DEFAULT_RTOL, atol: float = 0.0, rank_tol: float | None = None) -> ResNetValue:
    """papers/001 Theorem 2: the loss against basis-function regression on [X, Z(X, θ)].

    Every local minimum of the ResNet h(x) = W(x + V z(x, θ)) with squared
    loss has E = ||P_N[[X, Z]] Y||_F² (the paper's L = E/N, with N samples).
    The paper's form (1/N)||P_N[X]Y||² − (1/N)||P[P_N[X]Z]Y||² is computed
    separately as ``paper_value``.

    Parameters
    ----------
    activation : str or Activation
        σ of the residual blocks.
    X, Y : array_like
        (N, d_x) and (N, d_y), samples as rows (as in the paper).
    params : basins.model.resnet.ResNetParams
    rtol, atol, rank_tol : float
        See :func:`check_value_identity` (``rank_tol`` applies to the full
        Jacobian of the gradient-basis check).

    Returns
    -------
    ResNetValue

    Raises
    ------
    InvalidArgument
        Shapes that do not fit ``params``.
    NotApplicable
        Assumption A1 fails (d_y > min(d_x, d_z)), or a pre-activation sits
        on a nonsmooth point of σ.

    References
    ----------
    papers/001 Theorem 2 (and Theorem 1 for its general form); papers/003
    Theorem 1 for the gradient-basis value.

    Examples
    --------
    >>> import numpy as np
    >>> from basins.model.resnet import random_resnet
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((6, 2)), rng.standard_normal((6, 1))
    >>> res = resnet_value("tanh", X, Y, random_resnet(2, 2, 1, seed=0))
    >>> res.difference >= 0, res.holds    # a random point: the value is below the loss
    (True, False)
    """
    from basins.model.resnet import ResNetParams, forward, resnet_jacobian, targets

    if not isinstance(params, ResNetParams):
        raise InvalidArgument(f"params={params!r} must be a basins.model.resnet.ResNetParams")
    _check_tolerances(rtol, atol)
    act = as_activation(activation)
    d_x, d_z, d_y, _ = params.dims
    if d_y > min(d_x, d_z):
        raise NotApplicable(
            f"d_y={d_y} > min(d_x={d_x}, d_z={d_z}); papers/001 Theorem 2 needs '{HYPOTHESES['resnet A1']}'",
            theorem="papers/001 Theorem 2", hypothesis="resnet A1")
    from basins.model.resnet import data

    Xa = data(X, d_x)
    G, U = forward(act, Xa, params)
    for j, g in enumerate(G, start=1):
        _require_differentiable(act, g.T, f"residual block {j}", U[j - 1].T)
    N = Xa.shape[0]
    Ya = targets(Y, N, d_y)
    Z = U[-1]
    H = (Xa + Z @ params.V.T) @ params.W.T
    J = resnet_jacobian(act, Xa, params)
    yhat, yv = H.ravel(order="F"), Ya.ravel(order="F")
    r = yhat - yv
    ident = _result(_float_figures(J, r, yhat, rank_tol), rtol=rtol, atol=atol,
                    model=f"ResNet d_x={d_x}, d_z={d_z}, d_y={d_y}, depth={len(params.A)}, σ = {act.text}",
                    details=_scales(float(r @ r), N))
    # basis-function regression on [X, Z]: J_basis = I_{d_y} ⊗ [X, Z] (vec column-major)
    XZ = np.hstack([Xa, Z])
    Jb = np.kron(np.eye(d_y), XZ)
    basis = _result(_float_figures(Jb, r, yhat, None), rtol=rtol, atol=atol, model="basis [X, Z]")
    # the paper's two terms
    Jx = np.kron(np.eye(d_y), Xa)
    lin = _float_figures(Jx, -yv, np.zeros_like(yv), None)["value"]
    Ux, sx, _ = np.linalg.svd(Xa, full_matrices=False)
    kx = int(np.sum(sx > rank_tolerance(sx[0] if sx.size else 0.0, *Xa.shape)))
    PNx_Z = Z - Ux[:, :kx] @ (Ux[:, :kx].T @ Z)
    PNx_Z = PNx_Z - Ux[:, :kx] @ (Ux[:, :kx].T @ PNx_Z)
    s_xz = float(np.linalg.norm(XZ, 2))
    improve = _range_norm2(np.kron(np.eye(d_y), PNx_Z), yv, rank_tolerance(s_xz, N * d_y, d_y * XZ.shape[1]))
    w_rank = int(np.linalg.matrix_rank(params.W))
    return ResNetValue(loss=basis.loss, basis_value=basis.gradient_basis_value,
                       paper_loss=basis.loss / N, paper_value=(lin - improve) / N, linear_value=lin / N,
                       difference=basis.difference, holds=basis.holds, tolerance=basis.tolerance,
                       identity=ident, w_rank=w_rank)

