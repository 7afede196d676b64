"""The generalized Proposition 4 (SPEC §11) at its limits: any lower point as the witness.

:func:`lower_point` — a seeded multistart local minimisation of E (L-BFGS-B in
float64, the engine's gradient), each end point re-evaluated at ``dps`` digits
(:class:`basins.model.engine.MpmathContext`): any point of lower loss in the same
parameter space is a witness of sub-optimality.  It takes the data in the
engine's form (:func:`engine_inputs`): x and w flat for the paper's model
(d = 1, no biases), X (N × d) and W (m × D) otherwise.  The constructed case
itself is verified by :func:`basins.verification.verify.verify_case`.
"""

from __future__ import annotations

from typing import Any, Sequence

import mpmath
import numpy as np
import scipy.optimize

from basins.activations import Activation
from basins.model import engine

__all__ = ["engine_inputs", "lower_point"]


def engine_inputs(model: engine.Model, X: np.ndarray, W: np.ndarray) -> tuple[Any, Any]:
    """(x, w) as the engine takes them: flat for the paper's model, (N, d) and (m, D) otherwise.

    Examples
    --------
    >>> x, w = engine_inputs(engine.Model(), np.ones((3, 1)), np.ones((2, 1)))
    >>> x.shape, w.shape
    ((3,), (2,))
    """
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    if model.scalar:
        return X.reshape(-1), W.reshape(-1)
    return X.reshape(X.shape[0], -1), W.reshape(W.shape[0], -1)


def lower_point(act: Activation, model: engine.Model, X: np.ndarray, y: np.ndarray, v: np.ndarray, W: np.ndarray,
                c: float | None, loss_at: Any, *, seed: int, dps: int = 50, starts: int = 8,
                extra: Sequence[tuple[np.ndarray, np.ndarray, float | None]] = ()
                ) -> tuple[np.ndarray, np.ndarray, float | None, Any] | None:
    """A point (v, W, c) of loss below ``loss_at`` (an mpf at ``dps`` digits), with its loss, or None.

    Seeded multistart L-BFGS-B on E in float64 from the ``extra`` points, from
    (v, W, c) with one neuron moved to a random w_0 (output weight by least
    squares), and from ``starts`` random points; the five lowest end points are
    re-evaluated at ``dps`` digits and the lowest below ``loss_at`` by more than
    10^(10−dps)·E is returned.  The point lies in the same parameter space
    (m neurons, the same D, an output bias when the model has one).
    """
    m, D = W.shape
    ctx = engine.float_context(act)
    xs, _ = engine_inputs(model, X, W)
    Xt = np.hstack([X, np.ones((X.shape[0], 1))]) if model.hidden_bias else X
    ob = model.output_bias

    def kwargs(cc: float | None) -> dict[str, Any]:
        return {} if model.scalar else {"c": cc, "model": model}

    def split(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, float | None]:
        vv, ww, cc = model.split(theta)
        return vv, ww, (None if cc is None else float(cc))

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        vv, ww, cc = split(theta)
        with np.errstate(all="ignore"):
            der = engine.derivatives(ctx, xs, y, vv, engine_inputs(model, X, ww)[1], order=1, **kwargs(cc))
        val, grad = float(der.loss), np.asarray(der.gradient, dtype=float)
        if not (np.isfinite(val) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros_like(theta)   # overflow: a wall the line search backs off from
        return val, grad

    def lsq(ww: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            Z = act.numpy(0)(Xt @ ww.T)
        cols = np.hstack([Z, np.ones((Z.shape[0], 1))]) if ob else Z
        if not np.all(np.isfinite(cols)):
            return np.zeros(m + int(ob))
        return np.linalg.lstsq(cols, y, rcond=None)[0]

    def pack(coef: np.ndarray, ww: np.ndarray) -> np.ndarray:
        return np.concatenate([coef[:m], ww.ravel(), coef[m:]])

    rng = np.random.default_rng(seed)
    scale = 1.0 / float(np.sqrt(np.mean(np.sum(Xt * Xt, axis=1))))
    inits = [np.concatenate([vv, ww.ravel(), [] if cc is None else [cc]]) for vv, ww, cc in extra]
    for _ in range(max(1, starts // 2)):
        for i in range(m):
            ww = W.copy()
            ww[i] = rng.normal(0.0, 2.0, D) * scale
            inits.append(pack(lsq(ww), ww))
    for _ in range(starts):
        ww = rng.normal(0.0, 2.0, (m, D)) * scale * np.exp(rng.uniform(-1.0, 1.0))
        inits.append(pack(lsq(ww), ww))
    ends: list[tuple[float, np.ndarray]] = []
    for t0 in inits:
        res = scipy.optimize.minimize(fun, t0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        val = fun(res.x)[0]
        if np.isfinite(val) and val < 1e300:
            ends.append((val, res.x))
    ends.sort(key=lambda e: e[0])
    mctx = engine.MpmathContext(act)
    with mpmath.workdps(dps):
        gap = mpmath.mpf(10) ** (10 - dps) * abs(loss_at)
        for _, theta in ends[:5]:
            vv, ww, cc = split(theta)
            E = engine.loss(mctx, xs, y, vv, engine_inputs(model, X, ww)[1], **kwargs(cc))
            if E < loss_at - gap:
                return vv, ww, cc, E
    return None
