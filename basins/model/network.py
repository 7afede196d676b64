"""The 1-hidden-layer scalar network of SPEC §0: output, loss, gradient, Hessian.

Thin wrappers over :mod:`basins.model.engine` (float64 and mpmath contexts).
Every function takes the engine's keywords ``c=`` and ``model=`` for the
model of SPEC §11 (``**case.engine_kwargs``); without them it is the paper's.

ŷ = Σ_i v_i σ(w_i x), E(v, w) = ||y − ŷ||² (no factor 1/2); parameters are
ordered θ = (v_1..v_m, w_1..w_m).  Every function comes in float64 (numpy)
and, with the ``_mp`` suffix, at arbitrary precision (mpmath, set with
``dps``; the precision is set inside a ``workdps`` block, never globally).
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from basins.activations import Activation, as_activation
from basins.model import engine

__all__ = [
    "features",
    "output",
    "loss",
    "gradient",
    "hessian",
    "jacobian",
    "losses_batch",
    "features_mp",
    "loss_mp",
    "gradient_mp",
    "hessian_mp",
    "pack",
    "unpack",
]

ActivationLike = "Activation | str"


def pack(v: Any, w: Any) -> np.ndarray:
    """θ = (v_1..v_m, w_1..w_m)."""
    return np.concatenate([np.asarray(v, dtype=float).ravel(), np.asarray(w, dtype=float).ravel()])


def unpack(theta: Any) -> tuple[np.ndarray, np.ndarray]:
    """(v, w) from θ = (v, w)."""
    theta = np.asarray(theta, dtype=float)
    m = theta.shape[-1] // 2
    return theta[..., :m], theta[..., m:]


def features(activation: Activation | str, x: Any, w: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, z′, z″), each of shape (m, N): σ(w_i x), x∘σ′(w_i x), x∘x∘σ″(w_i x)."""
    ctx = _float(activation)
    F = ctx.features(ctx.data(x), ctx.param(w), 2)
    return F.z, F.z1, F.z2


def _float(activation: Activation | str) -> engine.FloatContext:
    return engine.float_context(as_activation(activation))


def output(activation: Activation | str, x: Any, v: Any, w: Any, **model: Any) -> np.ndarray:
    """ŷ = Σ_i v_i σ(w_i x), shape (N,)."""
    return engine.output(_float(activation), x, v, w, **model)


def loss(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, **model: Any) -> float:
    """E(v, w) = ||y − ŷ||²."""
    return float(engine.loss(_float(activation), x, y, v, w, **model))


def losses_batch(activation: Activation | str, x: Any, y: Any, V: Any, W: Any) -> np.ndarray:
    """The K losses E(V[k], W[k]) of K parameter rows V (K, m), W (K, m); shape (K,).

    Memory is bounded by chunking; overflow gives inf/nan without a warning.
    """
    ctx = _float(activation)
    x = np.asarray(x, dtype=float).ravel()
    V = np.atleast_2d(np.asarray(V, dtype=float))
    W = np.atleast_2d(np.asarray(W, dtype=float))
    K, m = V.shape
    out = np.empty(K)
    step = max(1, (1 << 20) // max(1, m * x.size))
    with np.errstate(over="ignore", invalid="ignore"):
        for a in range(0, K, step):
            out[a:a + step] = engine.loss(ctx, x, y, V[a:a + step], W[a:a + step])
    return out


def jacobian(activation: Activation | str, x: Any, v: Any, w: Any, **model: Any) -> np.ndarray:
    """J = [z_1..z_m, v_1 z′_1..v_m z′_m], shape (N, 2m)."""
    return engine.jacobian(_float(activation), x, v, w, **model)


def gradient(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, **model: Any) -> np.ndarray:
    """∇E = 2 Jᵀ r, r = ŷ − y; shape (2m,)."""
    return engine.gradient(_float(activation), x, y, v, w, **model)


def hessian(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, **model: Any) -> np.ndarray:
    """∇²E = 2JᵀJ + 2[[0, diag(r·z′_i)], [diag(r·z′_i), diag(v_i r·z″_i)]]; shape (2m, 2m)."""
    return engine.hessian(_float(activation), x, y, v, w, **model)


# ---------------------------------------------------------------- mpmath --

def features_mp(activation: Activation | str, x: Any, w: Any) -> tuple[list, list, list]:
    """(z, z′, z″) as lists of m lists of mpf, at the caller's mpmath precision."""
    ctx = engine.MpmathContext(as_activation(activation))
    F = ctx.features(ctx.data(x), ctx.param(w), 2)
    return F.z, F.z1, F.z2


def loss_mp(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dps: int = 50,
            **model: Any) -> Any:
    """E at ``dps`` digits (inputs are taken exactly: floats are converted without rounding)."""
    with mpmath.workdps(dps):
        return engine.loss(engine.MpmathContext(as_activation(activation)), x, y, v, w, **model)


def gradient_mp(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dps: int = 50,
                **model: Any) -> list:
    """∇E at ``dps`` digits, as a list of 2m mpf."""
    with mpmath.workdps(dps):
        return engine.gradient(engine.MpmathContext(as_activation(activation)), x, y, v, w, **model)


def hessian_mp(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dps: int = 50,
               **model: Any) -> mpmath.matrix:
    """The closed-form Hessian at ``dps`` digits, as an mpmath matrix (2m × 2m)."""
    with mpmath.workdps(dps):
        return engine.hessian(engine.MpmathContext(as_activation(activation)), x, y, v, w, **model)
