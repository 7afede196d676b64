"""Test oracles: check a user's loss, gradient, Hessian or optimizer against a known case.

In the manner of scikit-learn's estimator checks, each ``check_*`` function
takes a user's callable and a :class:`~basins.io.case.Case` (for instance one of
the shipped certified cases, ``basins.cases.load(name)``), and raises
:class:`~basins.errors.VerificationFailed` — naming the callable, the case
and the property — when the callable disagrees with what is known about the
case.  :func:`checks_for` yields the checks that apply to a case (the
non-applicable ones are declared as data in :data:`NOT_APPLICABLE`), and
:mod:`basins.oracles.testing` parametrizes a user's test over the shipped cases.

Conventions of the callables (SPEC §0; E has no factor 1/2):

* ``loss(v, w, x, y, activation) -> float``: E = ||y − Σ_i v_i σ(w_i x)||²,
  where ``activation`` is the case's :class:`~basins.activations.Activation`
  (``.name``, ``.text``, ``.numpy(k)``; an implementation for one fixed σ may
  ignore it);
* ``gradient(v, w, x, y, activation) -> (2m,)`` and
  ``hessian(v, w, x, y, activation) -> (2m, 2m)`` in the order
  θ = (v_1..v_m, w_1..w_m);
* ``minimize(fun, jac, theta0) -> theta``: a local optimizer of ``fun``;
* ``search(fun, jac, theta0) -> theta``: a global search started at ``theta0``.

A case of the model of SPEC §11 ("basins.case/2": inputs in R^d, optional
hidden bias, optional output bias c) is passed to ``loss``, ``gradient`` and
``hessian`` with two more keywords, ``c`` (the output bias, None without one)
and ``model`` (a :class:`basins.model.engine.Model`): ``x`` is then (N, d),
``w`` is (m, D) (a hidden bias is the last column), ŷ_n = Σ_i v_i σ(w_i·x̃_n) + c,
and the gradient and Hessian are in the order θ = (v_1..v_m, w_1[1..D], …,
w_m[1..D][, c]) (length ``model.n_params(m)``).  The keywords are exactly those
of :mod:`basins.model.network`, so ``lambda v, w, x, y, act, **kw:
network.loss(act, x, y, v, w, **kw)`` serves both models.  ``fun``, ``jac``
and the points of ``minimize``/``search`` are in that full θ.

The reference values are computed here at 50 digits (mpmath) from the case's
data; nothing the user computes is used as a reference.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 and Theorem 7 (the cases are strict local minima with a
point of lower loss); scikit-learn, ``sklearn.utils.estimator_checks``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterator

import numpy as np

from basins.io.case import Case
from basins.errors import InvalidArgument, VerificationFailed
from basins.model.network import gradient as ref_gradient
from basins.model.network import features, gradient_mp, hessian_mp, jacobian, loss_mp, output
from basins.model.network import loss as ref_loss
from basins.validate import float_data

__all__ = [
    "NOT_APPLICABLE",
    "check_loss",
    "check_gradient",
    "check_hessian",
    "check_local_optimizer",
    "check_global_search",
    "checks_for",
    "is_kinked",
]

#: Checks that do not apply to a kind of case, with the reason (known failures as data).
NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "kinked": {
        "check_gradient": "E is not differentiable at a point where a pre-activation sits on a kink of σ",
        "check_hessian": "E is not twice differentiable at a point where a pre-activation sits on a kink of σ",
        "check_local_optimizer": "gradient-based optimizers do not converge reliably onto a kink of E",
    },
}


def _name(obj: Any) -> str:
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)


def _label(case: Case) -> str:
    return case.name or f"{case.theorem} / {case.activation.name} (m = {case.m}, N = {case.N})"


def _fail(check: str, func: Any, case: Case, detail: str) -> VerificationFailed:
    return VerificationFailed(f"{check}: {_name(func)} on case {_label(case)}: {detail}", check=check)


def _call(check: str, func: Any, case: Case, *args: Any, **kwargs: Any) -> Any:
    if not callable(func):
        raise InvalidArgument(f"{check}: {func!r} is not callable")
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # the user's code raised: that is the finding
        raise _fail(check, func, case, f"raised {type(exc).__name__}: {exc}") from exc


def is_kinked(case: Case) -> bool:
    """Whether some pre-activation w_i x_j (SPEC §11: w_i·x̃_n, exactly) of the case sits on a point where
    σ is not C²."""
    from fractions import Fraction

    if case.activation.is_c2:
        return False
    bps = case.activation.nonsmooth_points
    if not bps:
        return False
    pts = {Fraction(str(b)) for b in bps if b.is_Rational}
    if case.model.scalar:
        return any(Fraction(wi) * Fraction(xj) in pts for wi in case.w for xj in case.x if xj != 0)
    ones = (1.0,) if case.bias else ()
    rows = [tuple(row) + ones for row in case.x]
    return any(sum((Fraction(a) * Fraction(b) for a, b in zip(wi, xt)), Fraction(0)) in pts
               for wi in case.w for xt in rows if any(e != 0 for e in xt))


def _arrays(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    float_data(case, "an oracle check")
    return case.arrays()


def _kw(case: Case, c: float | None) -> dict[str, Any]:
    """The keywords of the model of SPEC §11 for the callables and the references ({} for the paper's)."""
    return {} if case.model.scalar else {"c": c, "model": case.model}


def _points(case: Case) -> list[tuple[str, np.ndarray, np.ndarray, dict[str, Any]]]:
    """(where, v, w, keywords) at the case's point and, when there is one, its witness."""
    _, _, v, w = _arrays(case)
    out = [("point", v, w, _kw(case, case.output_bias))]
    if case.witness is not None:
        wc = case.witness.c if case.witness.c is not None else case.output_bias
        out.append(("witness", np.array(case.witness.v, dtype=float), np.array(case.witness.w, dtype=float),
                    _kw(case, wc)))
    return out


def _n_params(case: Case) -> int:
    return case.model.n_params(case.m)


def _split(case: Case, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(v, w, keywords) from a flat θ = (v, w_1[1..D], …, w_m[1..D][, c])."""
    v, w, c = case.model.split(theta)
    return v, w, ({} if case.model.scalar else _kw(case, None if c is None else float(c)))


def _theta(case: Case, v: Any, w: Any, kw: dict[str, Any]) -> np.ndarray:
    parts = [np.asarray(v, dtype=float).ravel(), np.asarray(w, dtype=float).ravel()]
    if kw.get("c") is not None:
        parts.append(np.array([float(kw["c"])]))
    return np.concatenate(parts)


def check_loss(loss: Callable[..., float], case: Case, *, rtol: float = 1e-9) -> None:
    """``loss(v, w, x, y, activation)`` equals E = ||y − ŷ||² at the case's point and at its witness.

    Raises
    ------
    VerificationFailed
        When a value differs from the 50-digit reference by more than ``rtol``
        (relative), or the callable raises.

    Examples
    --------
    >>> from basins.model.network import loss
    >>> from basins.constructions.prop4 import construct_prop4
    >>> case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])
    >>> check_loss(lambda v, w, x, y, act: loss(act, x, y, v, w), case)

    References
    ----------
    SPEC §0 (E has no factor 1/2); Li, Ding & Sun, Proposition 4 (E = M²||a||²).
    """
    x, y, _, _ = _arrays(case)
    for where, pv, pw, kw in _points(case):
        ref = float(loss_mp(case.activation, x, y, pv, pw, 50, **kw))
        got = _call("check_loss", loss, case, pv.copy(), pw.copy(), x.copy(), y.copy(), case.activation, **kw)
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise _fail("check_loss", loss, case, f"returned {got!r}, not a number") from None
        if not np.isfinite(got) or abs(got - ref) > rtol * max(abs(ref), 1e-300):
            hint = " (a factor 1/2? E has none here)" if np.isclose(got, ref / 2, rtol=1e-6) else ""
            raise _fail("check_loss", loss, case, f"at the {where}: got {got!r}, expected {ref!r}{hint}")


def check_gradient(gradient: Callable[..., Any], case: Case, *, rtol: float = 1e-7) -> None:
    """``gradient(v, w, x, y, activation)`` vanishes at the case's point and is right at its witness.

    At the point the reference gradient is ≈ 0 (the certified critical point
    is within ~1e-10 of it), so the user's gradient must be small on the
    scale of the gradient at the witness; at the witness it must match the
    50-digit reference within ``rtol`` (relative to its norm).

    Raises
    ------
    VerificationFailed
        With the norm found, the expected one, and the case.

    References
    ----------
    Li, Ding & Sun, Proposition 4 (∇E = 2Jᵀr = 0 at the constructed point).
    """
    if is_kinked(case):
        raise InvalidArgument(f"check_gradient: case {_label(case)}: {NOT_APPLICABLE['kinked']['check_gradient']}")
    x, y, _, _ = _arrays(case)
    n = _n_params(case)
    scale = 1.0
    (_, v, w, kw0), *rest = _points(case)
    for _, wv, ww, kw in rest:
        ref = np.array([float(g) for g in gradient_mp(case.activation, x, y, wv, ww, 50, **kw)])
        got = np.asarray(_call("check_gradient", gradient, case, wv.copy(), ww.copy(), x.copy(), y.copy(),
                               case.activation, **kw), dtype=float)
        if got.shape != (n,):
            raise _fail("check_gradient", gradient, case, f"returned shape {got.shape}, expected ({n},)")
        err = float(np.linalg.norm(got - ref))
        # float64 sums of terms 2 z_ij r_j lose ε·Σ|terms|: scale by the terms, not only by their sum
        if case.model.scalar:
            z, z1, _ = features(case.activation, x, ww)
            r = np.abs(wv @ z - y)
            terms = float(np.linalg.norm(np.concatenate([2 * np.abs(z) @ r, 2 * np.abs(wv) * (np.abs(z1) @ r)])))
        else:
            r = np.abs(output(case.activation, x, wv, ww, **kw) - y)
            terms = float(np.linalg.norm(2 * np.abs(jacobian(case.activation, x, wv, ww, **kw)).T @ r))
        scale = max(float(np.linalg.norm(ref)), terms, 1.0)
        if not np.all(np.isfinite(got)) or err > rtol * scale:
            raise _fail("check_gradient", gradient, case,
                        f"at the witness: |g − ∇E| = {err:.3g}, allowed {rtol * scale:.3g} "
                        f"(entries {got[:4]} vs {ref[:4]}...)")
    got = np.asarray(_call("check_gradient", gradient, case, v.copy(), w.copy(), x.copy(), y.copy(), case.activation,
                           **kw0), dtype=float)
    if got.shape != (n,):
        raise _fail("check_gradient", gradient, case, f"returned shape {got.shape}, expected ({n},)")
    loss0 = float(loss_mp(case.activation, x, y, v, w, 50, **kw0))
    tol = 1e-7 * max(scale, np.sqrt(loss0), 1.0)
    gn = float(np.linalg.norm(got))
    if not np.all(np.isfinite(got)) or gn > tol:
        raise _fail("check_gradient", gradient, case, f"at the certified critical point |g| = {gn:.3g} > {tol:.3g}")


def check_hessian(hessian: Callable[..., Any], case: Case, *, rtol: float = 1e-7) -> None:
    """``hessian(v, w, x, y, activation)`` is symmetric, matches ∇²E at the point and is positive definite.

    Raises
    ------
    VerificationFailed
        When the matrix has the wrong shape, is not symmetric, differs from
        the 50-digit closed form, or fails a Cholesky factorisation.

    References
    ----------
    Li, Ding & Sun, Proposition 4 (∇²E = 2JᵀJ + 2M·diag(0, v_i a·z″_i) ≻ 0).
    """
    if is_kinked(case):
        raise InvalidArgument(f"check_hessian: case {_label(case)}: {NOT_APPLICABLE['kinked']['check_hessian']}")
    x, y, _, _ = _arrays(case)
    n = _n_params(case)
    _, v, w, kw = _points(case)[0]
    ref = np.array(hessian_mp(case.activation, x, y, v, w, 50, **kw).tolist(), dtype=float)
    got = np.asarray(_call("check_hessian", hessian, case, v.copy(), w.copy(), x.copy(), y.copy(), case.activation,
                           **kw), dtype=float)
    if got.shape != (n, n):
        raise _fail("check_hessian", hessian, case, f"returned shape {got.shape}, expected ({n}, {n})")
    if not np.all(np.isfinite(got)):
        raise _fail("check_hessian", hessian, case, "has non-finite entries")
    norm = max(float(np.linalg.norm(ref)), 1e-300)
    if float(np.linalg.norm(got - got.T)) > rtol * norm:
        raise _fail("check_hessian", hessian, case, "is not symmetric")
    err = float(np.linalg.norm(got - ref))
    if err > rtol * norm:
        raise _fail("check_hessian", hessian, case, f"|H − ∇²E| = {err:.3g} with |∇²E| = {norm:.6g} "
                                                   "(the residual terms 2 r·z′_i, 2 v_i r·z″_i missing?)"
                    if err > 1e-3 * norm else f"|H − ∇²E| = {err:.3g} with |∇²E| = {norm:.6g}")
    try:
        np.linalg.cholesky(got)
    except np.linalg.LinAlgError:
        raise _fail("check_hessian", hessian, case, "is not positive definite at a certified strict local minimum") from None


def _fun_jac(case: Case) -> tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray]]:
    x, y, _, _ = _arrays(case)
    act = case.activation

    def fun(theta: np.ndarray) -> float:
        v, w, kw = _split(case, np.asarray(theta, dtype=float))
        return ref_loss(act, x, y, v, w, **kw)

    def jac(theta: np.ndarray) -> np.ndarray:
        v, w, kw = _split(case, np.asarray(theta, dtype=float))
        return ref_gradient(act, x, y, v, w, **kw)

    return fun, jac


def check_local_optimizer(minimize: Callable[..., Any], case: Case, *, radius: float = 1e-4,
                          shrink: float = 1.0, reduce: float = 1e-2, starts: int = 3, seed: int = 0) -> None:
    """``minimize(fun, jac, theta0)`` started near the point returns towards it.

    ``starts`` points at distance ``radius`` (relative to 1 + |θ|∞) in seeded
    random directions.  From each, the result must be at most ``shrink``
    times the start's distance from the point, and its excess loss
    E(result) − E(point) (computed without cancellation) at most ``reduce``
    times the start's.  Excess loss, not distance alone, is the measure,
    because float64 cannot resolve a minimum better than ≈ √(ε E / λ) along
    a soft direction of curvature λ.

    Raises
    ------
    VerificationFailed
        With the start, the distance reached and the excess losses.

    Examples
    --------
    >>> import scipy.optimize
    >>> from basins.constructions.prop4 import construct_prop4
    >>> case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])
    >>> def lbfgsb(fun, jac, theta0):
    ...     return scipy.optimize.minimize(fun, theta0, jac=jac, method="L-BFGS-B",
    ...                                    options={"ftol": 1e-15, "gtol": 1e-10}).x
    >>> check_local_optimizer(lbfgsb, case)

    References
    ----------
    Li, Ding & Sun, Definition 3 (a strict local minimum attracts descent started near it).
    """
    from basins.verification.sampling import delta_losses, delta_losses_model

    if is_kinked(case):
        raise InvalidArgument(f"check_local_optimizer: case {_label(case)}: "
                              f"{NOT_APPLICABLE['kinked']['check_local_optimizer']}")
    if not (radius > 0 and 0 < shrink <= 1 and 0 < reduce <= 1) or starts < 1:
        raise InvalidArgument(f"radius={radius!r} must be positive, shrink={shrink!r} and reduce={reduce!r} "
                              f"in (0, 1], starts={starts!r} ≥ 1")
    fun, jac = _fun_jac(case)
    x, y, v, w = _arrays(case)
    m = case.m
    theta = case.theta()
    scale = 1.0 + float(np.max(np.abs(theta)))
    rng = np.random.default_rng(seed)

    def excess(point: np.ndarray) -> float:
        d = (point - theta)[None, :]
        if not case.model.scalar:
            return float(delta_losses_model(case.activation, x, y, v, w, d, **_kw(case, case.output_bias))[0])
        return float(delta_losses(case.activation, x, y, v, w, d[:, :m], d[:, m:], workers=1)[0])

    for k in range(starts):
        d = rng.standard_normal(theta.size)
        start = theta + radius * scale * d / np.linalg.norm(d)
        got = np.asarray(_call("check_local_optimizer", minimize, case, fun, jac, start.copy()), dtype=float).ravel()
        if got.shape != theta.shape or not np.all(np.isfinite(got)):
            raise _fail("check_local_optimizer", minimize, case, f"returned {got!r}, not a finite point of size {theta.size}")
        d0 = float(np.max(np.abs(start - theta))) / scale
        d1 = float(np.max(np.abs(got - theta))) / scale
        e0, e1 = excess(start), excess(got)
        if not (d1 <= shrink * d0 and e1 <= reduce * e0):
            raise _fail("check_local_optimizer", minimize, case,
                        f"start {k + 1} at relative distance {d0:.3g} (excess loss {e0:.3g}) ended at relative "
                        f"distance {d1:.3g} (excess loss {e1:.3g}); needed ≤ {shrink:g}× the distance and "
                        f"≤ {reduce:g}× the excess")


def check_global_search(search: Callable[..., Any], case: Case, *, rtol: float = 1e-9) -> None:
    """``search(fun, jac, theta0)`` started at the bad minimum reaches the witness's loss or lower.

    Raises
    ------
    VerificationFailed
        When the returned point's loss is above the witness's (a search that
        stays in the bad basin).

    References
    ----------
    Li, Ding & Sun, Proposition 4 and Theorem 7 (the basin is sub-optimal).
    """
    if case.witness is None:
        raise InvalidArgument(f"check_global_search: case {_label(case)} has no witness")
    fun, jac = _fun_jac(case)
    theta = case.theta()
    _, wv, ww, kw = _points(case)[1]
    target = fun(_theta(case, wv, ww, kw))
    got = np.asarray(_call("check_global_search", search, case, fun, jac, theta.copy()), dtype=float).ravel()
    if got.shape != theta.shape or not np.all(np.isfinite(got)):
        raise _fail("check_global_search", search, case, f"returned {got!r}, not a finite point of size {theta.size}")
    val = fun(got)
    if not val <= target * (1 + rtol) + 1e-300:
        raise _fail("check_global_search", search, case,
                    f"reached loss {val:.10g}, above the witness's {target:.10g} (the bad minimum has {fun(theta):.10g})")


_ALL: dict[str, Callable[..., None]] = {
    "loss": check_loss,
    "gradient": check_gradient,
    "hessian": check_hessian,
    "local_optimizer": check_local_optimizer,
    "global_search": check_global_search,
}


def checks_for(case: Case, **callables: Any) -> Iterator[tuple[str, Callable[[], None]]]:
    """Yield (name, zero-argument check) for the given callables that apply to ``case``.

    Keywords: ``loss``, ``gradient``, ``hessian``, ``local_optimizer`` (a
    ``minimize``), ``global_search`` (a ``search``).  Checks declared
    not applicable to the case (:data:`NOT_APPLICABLE`) are skipped.

    Examples
    --------
    >>> from basins.model.network import loss
    >>> from basins.constructions.prop4 import construct_prop4
    >>> case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])
    >>> [name for name, _ in checks_for(case, loss=lambda v, w, x, y, act: loss(act, x, y, v, w))]
    ['check_loss']
    """
    unknown = set(callables) - set(_ALL)
    if unknown:
        raise InvalidArgument(f"checks_for: unknown keyword(s) {sorted(unknown)}; known: {sorted(_ALL)}")
    skip = NOT_APPLICABLE["kinked"] if is_kinked(case) else {}
    for key, check in _ALL.items():
        func = callables.get(key)
        if func is None or check.__name__ in skip:
            continue
        yield check.__name__, functools.partial(check, func, case)
