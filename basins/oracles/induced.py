"""The gradient-basis value identity of the induced-model paper, for user models and basins' network.

At a differentiable critical point θ of a squared loss whose model output ŷ
lies in the column space of its Jacobian J (true for our networks through
the output weights), the loss equals the global minimum of the *gradient-basis
model* α ↦ ||y − Jα||²:

    E(θ) = ||P_N[J(θ)] y||²

(Kawaguchi, Huang & Kaelbling, arXiv:1904.03673, Theorem 1).  A difference
above rounding proves that θ is not a differentiable critical point (see
:mod:`basins.oracles.common` for the bound and the rounding allowance).  This
module checks the identity for any user model given its Jacobian and residual
(:func:`check_value_identity`) and for the 1-hidden-layer network of Li, Ding
& Sun (:func:`network_value_identity`, :func:`case_value_identity`), also in
the form of SPEC §11.

The theorem needs only a differentiable critical point and ŷ ∈ col J(θ);
nothing about the inputs.  It therefore holds for the model of SPEC §11
unchanged: inputs in R^d only change the columns v_i x̃_{:,k}∘σ′(X̃w_i) of J; a
hidden bias is one more input coordinate (x̃_n = (x_n, 1)); an output bias c is
one more column of J, equal to 1, and ŷ = Σ_i v_i z_i + c·1 is still in col J.

References
----------
K. Kawaguchi, J. Huang, L. P. Kaelbling, *Every Local Minimum Value Is the
Global Minimum Value of Induced Model in Nonconvex Machine Learning*, Neural
Computation 31 (2019), arXiv:1904.03673, Theorem 1.
D. Li, T. Ding, R. Sun, *On the Benefit of Width for Neural Networks:
Disappearance of Basins*, arXiv:1812.11039 (the network ŷ = Σ v_i σ(w_i x)).

Examples
--------
>>> from basins.constructions.prop4 import construct_prop4
>>> case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])
>>> res = case_value_identity(case)
>>> res.holds, abs(res.difference) < 1e-9 * res.loss
(True, True)
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from basins.activations import Activation, as_activation
from basins.errors import HypothesisFailed, InvalidArgument, VerificationFailed
from basins.io.case import Case
from basins.model import engine
from basins.oracles.common import (
    DEFAULT_RTOL,
    HYPOTHESES,
    INDUCED_THEOREM,
    ValueIdentity,
    as_matrix,
    as_vector,
    check_tolerances,
    float_figures,
    identity_result,
    mp_figures,
    paper_scales,
    require_differentiable,
)
from basins.validate import float_data

__all__ = [
    "assert_value_identity",
    "case_value_identity",
    "check_value_identity",
    "gradient_basis_value",
    "network_value_identity",
]


def _span_hypothesis(res: ValueIdentity, span_rtol: float) -> None:
    """HypothesisFailed when ŷ is measurably outside col J."""
    if res.span_defect is not None and res.span_defect > span_rtol:
        raise HypothesisFailed(
            f"prediction is not in the column space of the Jacobian: ||P_N[J] ŷ||/||ŷ|| = "
            f"{res.span_defect:.3g} > span_rtol={span_rtol:.3g}; the value identity needs "
            f"'{HYPOTHESES['output in span']}'",
            theorem=INDUCED_THEOREM, hypothesis="output in span")


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
    Kawaguchi, Huang & Kaelbling, *Every Local Minimum Value Is the Global Minimum
    Value of Induced Model in Nonconvex Machine Learning*, arXiv:1904.03673,
    Theorem 1 (the induced gradient-basis model); Kawaguchi, Huang & Kaelbling,
    *Effect of Depth and Width on Local Minima in Deep Learning*, arXiv:1811.08150, §3.1.

    Examples
    --------
    >>> gradient_basis_value([[1.0], [0.0]], [3.0, 4.0])
    16.0
    """
    J = as_matrix(jacobian)
    yv = as_vector(y, J.shape[0], "y")
    return float_figures(J, -yv, np.zeros_like(yv), rank_tol)["value"]


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
        Allowed ``|E − V|`` beyond rounding: rtol·E + atol.  Use the optimizer's
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
        ``holds`` is False when ``|E − V|`` exceeds the tolerance; since
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
    Kawaguchi, Huang & Kaelbling, *Every Local Minimum Value Is the Global Minimum
    Value of Induced Model in Nonconvex Machine Learning*, arXiv:1904.03673,
    Theorem 1 with ℓ the squared loss.

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
    check_tolerances(rtol, atol)

    def at(obj: Any, name: str) -> Any:
        if callable(obj):
            if theta is None:
                raise InvalidArgument(f"{name} is callable, so theta must be given")
            return obj(np.asarray(theta, dtype=float))
        return obj

    J = as_matrix(at(jacobian, "jacobian"))
    r = as_vector(at(residual, "residual"), J.shape[0], "residual")
    yhat = None if prediction is None else as_vector(at(prediction, "prediction"), J.shape[0], "prediction")
    res = identity_result(float_figures(J, r, yhat, rank_tol), rtol=rtol, atol=atol, model=model)
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

def network_value_identity(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, *,
                           dps: int | None = None, rtol: float = DEFAULT_RTOL,
                           atol: float = 0.0, rank_tol: float | None = None, c: Any = None,
                           model: engine.Model = engine.SCALAR) -> ValueIdentity:
    """The value identity for the 1-hidden-layer network ŷ = Σ v_i σ(w_i x) of Li, Ding & Sun.

    J = [z_1..z_m, v_1 z′_1..v_m z′_m]; ŷ = J[:, :m] v lies in col J.  With
    ``model`` of SPEC §11, ŷ_n = Σ_i v_i σ(w_i·x̃_n) + c and J has the columns
    z_i, v_i x̃_{:,k}∘σ′(X̃w_i) and (with an output bias) 1, so ŷ is in col J too.

    Parameters
    ----------
    activation : str or Activation
    x, y : array_like, shape (N,)
        (x of shape (N, d) for the model of SPEC §11.)
    v, w : array_like, shape (m,)
        (w of shape (m, D) for the model of SPEC §11.)
    c, model
        The output bias and the :class:`basins.model.engine.Model` (SPEC §11); the paper's model by default.
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
    Kawaguchi, Huang & Kaelbling, *Every Local Minimum Value Is the Global Minimum
    Value of Induced Model in Nonconvex Machine Learning*, arXiv:1904.03673,
    Theorem 1; Kawaguchi, Huang & Kaelbling, *Effect of Depth and Width on Local
    Minima in Deep Learning*, arXiv:1811.08150, Proposition 1 (ReLU form, L = E/2).

    Examples
    --------
    >>> res = network_value_identity("tanh", [1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [1.0], [0.5])
    >>> res.holds   # a random point is not critical
    False
    """
    from basins.model.network import features_mp, jacobian, output

    act = as_activation(activation)
    check_tolerances(rtol, atol)
    if not model.scalar:
        return _general_identity(act, x, y, v, w, c, model, dps, rtol, atol, rank_tol)
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    va = np.asarray(v, dtype=float).ravel()
    wa = np.asarray(w, dtype=float).ravel()
    if xa.size != ya.size or va.size != wa.size or xa.size == 0 or wa.size == 0:
        raise InvalidArgument(f"lengths x={xa.size}, y={ya.size}, v={va.size}, w={wa.size} are inconsistent")
    for name, arr in (("x", xa), ("y", ya), ("v", va), ("w", wa)):
        if not np.all(np.isfinite(arr)):
            raise InvalidArgument(f"{name} has a NaN or infinite entry")
    require_differentiable(act, np.outer(wa, xa), "network", xa[None, :])
    m, N = wa.size, xa.size
    if dps is None:
        J = jacobian(act, xa, va, wa)
        yhat = output(act, xa, va, wa)
        f = float_figures(J, yhat - ya, yhat, rank_tol)
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
            f = mp_figures(Jrows, r_mp, yhat_mp, dps, rank_tol)
    return identity_result(f, rtol=rtol, atol=atol, model=f"1-hidden-layer network, σ = {act.text}, m = {m}",
                   details=paper_scales(float(f["loss"]), N))


def _general_identity(act: Activation, x: Any, y: Any, v: Any, w: Any, c: Any, model: engine.Model,
                      dps: int | None, rtol: float, atol: float, rank_tol: float | None) -> ValueIdentity:
    """:func:`network_value_identity` for the model of SPEC §11 (the engine's Jacobian, float64 or mpmath)."""
    model.check()
    ctx = engine.float_context(act)
    try:
        Xt = ctx.rows(np.asarray(x, dtype=float), model)
        W = ctx.weights(np.asarray(w, dtype=float), model)
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None
    ya = np.asarray(y, dtype=float).ravel()
    va = np.asarray(v, dtype=float).ravel()
    if Xt.shape[0] != ya.size or va.size != W.shape[0] or ya.size == 0 or va.size == 0:
        raise InvalidArgument(f"shapes x={Xt.shape[0]} rows, y={ya.size}, v={va.size}, w={W.shape[0]} rows are "
                              "inconsistent")
    if model.output_bias and (c is None or not np.isfinite(float(c))):
        raise InvalidArgument(f"c={c!r}: the model has an output bias, so c must be a finite number")
    for name, arr in (("x", Xt), ("y", ya), ("v", va), ("w", W)):
        if not np.all(np.isfinite(arr)):
            raise InvalidArgument(f"{name} has a NaN or infinite entry")
    require_differentiable(act, W @ Xt.T, "network", Xt.T)
    X = Xt[:, :model.input_dim]
    kw: dict[str, Any] = {"c": None if c is None else float(c), "model": model}
    if dps is None:
        J = engine.jacobian(ctx, X, va, W, **kw)
        yhat = engine.output(ctx, X, va, W, **kw)
        f = float_figures(J, yhat - ya, yhat, rank_tol)
    else:
        if not isinstance(dps, int) or dps < 20:
            raise InvalidArgument(f"dps={dps!r} must be an integer ≥ 20")
        with mpmath.workdps(dps):
            mctx = engine.MpmathContext(act)
            Jm = engine.jacobian(mctx, X, va, W, **kw)
            Jrows = [[Jm[j, k] for k in range(Jm.cols)] for j in range(Jm.rows)]
            yhat_mp = list(engine.output(mctx, X, va, W, **kw))
            r_mp = [yhat_mp[j] - mpmath.mpf(float(ya[j])) for j in range(ya.size)]
            f = mp_figures(Jrows, r_mp, yhat_mp, dps, rank_tol)
    shape = (f"d = {model.input_dim}{', hidden bias' if model.hidden_bias else ''}"
             f"{', output bias' if model.output_bias else ''}")
    return identity_result(f, rtol=rtol, atol=atol,
                           model=f"1-hidden-layer network (SPEC §11: {shape}), σ = {act.text}, m = {va.size}",
                           details=paper_scales(float(f["loss"]), ya.size))


def case_value_identity(case: Case, *, dps: int | None = None, rtol: float = DEFAULT_RTOL,
                        atol: float = 0.0, rank_tol: float | None = None) -> ValueIdentity:
    """The value identity at a case's point (recomputed from x, y, v, w[, c] and σ alone; any model of SPEC §11).

    The stored loss is not trusted; the result's ``details`` record it.

    Raises
    ------
    NotApplicable
        The case's point is not a differentiable point of E.

    References
    ----------
    Kawaguchi, Huang & Kaelbling, *Every Local Minimum Value Is the Global Minimum
    Value of Induced Model in Nonconvex Machine Learning*, arXiv:1904.03673, Theorem 1.

    Examples
    --------
    >>> from basins.constructions.prop4 import construct_prop4
    >>> case_value_identity(construct_prop4("softplus", (0.5, 1, 2, 3), width=1), dps=40).holds
    True
    """
    float_data(case, "the induced-model identity")
    x, y, v, w = case.arrays()
    res = network_value_identity(case.activation, x, y, v, w, dps=dps, rtol=rtol, atol=atol,
                                 rank_tol=rank_tol, **case.engine_kwargs)
    label = case.name or case.theorem
    return ValueIdentity(**{**res.__dict__, "model": f"case {label!r}: {res.model}",
                            "details": {**res.details, "stored_loss": float(case.loss),
                                        "theorem": case.theorem}})
