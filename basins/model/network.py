"""The 1-hidden-layer scalar network of SPEC §0: output, loss, gradient, Hessian.

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

__all__ = [
    "features",
    "output",
    "loss",
    "gradient",
    "hessian",
    "jacobian",
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
    act = as_activation(activation)
    x = np.asarray(x, dtype=float)
    u = np.outer(np.asarray(w, dtype=float).ravel(), x)
    return act.numpy(0)(u), x * act.numpy(1)(u), x * x * act.numpy(2)(u)


def output(activation: Activation | str, x: Any, v: Any, w: Any) -> np.ndarray:
    """ŷ = Σ_i v_i σ(w_i x), shape (N,)."""
    act = as_activation(activation)
    u = np.outer(np.asarray(w, dtype=float).ravel(), np.asarray(x, dtype=float))
    return np.asarray(v, dtype=float).ravel() @ act.numpy(0)(u)


def loss(activation: Activation | str, x: Any, y: Any, v: Any, w: Any) -> float:
    """E(v, w) = ||y − ŷ||²."""
    r = output(activation, x, v, w) - np.asarray(y, dtype=float)
    return float(r @ r)


def jacobian(activation: Activation | str, x: Any, v: Any, w: Any) -> np.ndarray:
    """J = [z_1..z_m, v_1 z′_1..v_m z′_m], shape (N, 2m)."""
    z, z1, _ = features(activation, x, w)
    v = np.asarray(v, dtype=float).ravel()
    return np.vstack([z, v[:, None] * z1]).T


def gradient(activation: Activation | str, x: Any, y: Any, v: Any, w: Any) -> np.ndarray:
    """∇E = 2 Jᵀ r, r = ŷ − y; shape (2m,)."""
    r = output(activation, x, v, w) - np.asarray(y, dtype=float)
    return 2.0 * jacobian(activation, x, v, w).T @ r


def hessian(activation: Activation | str, x: Any, y: Any, v: Any, w: Any) -> np.ndarray:
    """∇²E = 2JᵀJ + 2[[0, diag(r·z′_i)], [diag(r·z′_i), diag(v_i r·z″_i)]]; shape (2m, 2m)."""
    z, z1, z2 = features(activation, x, w)
    v = np.asarray(v, dtype=float).ravel()
    r = v @ z - np.asarray(y, dtype=float)
    J = np.vstack([z, v[:, None] * z1]).T
    m = v.size
    H = 2.0 * J.T @ J
    idx = np.arange(m)
    c = 2.0 * (z1 @ r)
    H[idx, m + idx] += c
    H[m + idx, idx] += c
    H[m + idx, m + idx] += 2.0 * v * (z2 @ r)
    return H


# ---------------------------------------------------------------- mpmath --

def _mp_vec(a: Any) -> list:
    return [mpmath.mpf(s) for s in np.asarray(a, dtype=float).ravel().tolist()] if not _is_mp_list(a) else list(a)


def _is_mp_list(a: Any) -> bool:
    return isinstance(a, (list, tuple)) and len(a) > 0 and isinstance(a[0], mpmath.mpf)


def features_mp(activation: Activation | str, x: Any, w: Any) -> tuple[list, list, list]:
    """(z, z′, z″) as lists of m lists of mpf, at the caller's mpmath precision."""
    act = as_activation(activation)
    f0, f1, f2 = act.mpmath(0), act.mpmath(1), act.mpmath(2)
    xs, ws = _mp_vec(x), _mp_vec(w)
    z = [[f0(wi * xj) for xj in xs] for wi in ws]
    z1 = [[xj * f1(wi * xj) for xj in xs] for wi in ws]
    z2 = [[xj * xj * f2(wi * xj) for xj in xs] for wi in ws]
    return z, z1, z2


def _residual_mp(z: list, v: list, y: list) -> list:
    n = len(y)
    return [mpmath.fsum(v[i] * z[i][j] for i in range(len(v))) - y[j] for j in range(n)]


def loss_mp(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dps: int = 50) -> Any:
    """E at ``dps`` digits (inputs are taken exactly: floats are converted without rounding)."""
    with mpmath.workdps(dps):
        z, _, _ = features_mp(activation, x, w)
        r = _residual_mp(z, _mp_vec(v), _mp_vec(y))
        return mpmath.fsum(rj * rj for rj in r)


def gradient_mp(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dps: int = 50) -> list:
    """∇E at ``dps`` digits, as a list of 2m mpf."""
    with mpmath.workdps(dps):
        vs = _mp_vec(v)
        z, z1, _ = features_mp(activation, x, w)
        r = _residual_mp(z, vs, _mp_vec(y))
        gv = [2 * mpmath.fsum(a * b for a, b in zip(zi, r)) for zi in z]
        gw = [2 * vi * mpmath.fsum(a * b for a, b in zip(zi, r)) for vi, zi in zip(vs, z1)]
        return gv + gw


def hessian_mp(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dps: int = 50) -> mpmath.matrix:
    """The closed-form Hessian at ``dps`` digits, as an mpmath matrix (2m × 2m)."""
    with mpmath.workdps(dps):
        vs = _mp_vec(v)
        m = len(vs)
        z, z1, z2 = features_mp(activation, x, w)
        r = _residual_mp(z, vs, _mp_vec(y))
        cols = z + [[vi * e for e in zi] for vi, zi in zip(vs, z1)]
        H = mpmath.matrix(2 * m, 2 * m)
        for a in range(2 * m):
            for b in range(a, 2 * m):
                H[a, b] = H[b, a] = 2 * mpmath.fsum(p * q for p, q in zip(cols[a], cols[b]))
        for i in range(m):
            c = 2 * mpmath.fsum(p * q for p, q in zip(z1[i], r))
            H[i, m + i] += c
            H[m + i, i] += c
            H[m + i, m + i] += 2 * vs[i] * mpmath.fsum(p * q for p, q in zip(z2[i], r))
        return H
