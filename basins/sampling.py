"""The sampling kernel: ΔE for many perturbations at once, free of cancellation.

ΔE = E(v + dv, w + dw) − E(v, w) is never formed as a difference of two
losses.  With r = ŷ − y and Δ = ŷ(θ + δ) − ŷ(θ),

    ΔE = ||Δ||² + 2 r·Δ,

and Δ = Σ_i dv_i σ(u_i) + (v_i + dv_i) Δσ_i with u_i = w_i x, h_i = dw_i x and
Δσ_i = σ(u_i + h_i) − σ(u_i) taken from a fourth-order Taylor polynomial when
|h| ≤ 1e-3 (truncation below 1e-14 relative) and from the plain difference
otherwise (rounding below 1e-13 relative).  Near a point where σ is not C²
the plain difference is always used.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .activations import Activation, as_activation
from .errors import InvalidArgument

__all__ = ["delta_losses", "delta_sigma", "CHUNK_ELEMENTS"]

#: Elements (K·m·N) of one chunk; memory stays near 12 float64 arrays of this size per thread.
CHUNK_ELEMENTS = 1 << 20

_TAYLOR_STEP = 1e-3


def delta_sigma(act: Activation, u: np.ndarray, h: np.ndarray) -> np.ndarray:
    """σ(u + h) − σ(u), accurately for small h (arrays broadcast together)."""
    u, h = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(h, dtype=float))
    direct = act.numpy(0)(u + h) - act.numpy(0)(u)
    small = np.abs(h) <= _TAYLOR_STEP
    if not act.is_c2:
        for p in act.nonsmooth_points:
            small &= np.abs(u - float(p)) > np.abs(h) + 1e-12
    if not np.any(small):
        return direct
    us, hs = u[small], h[small]
    taylor = hs * (act.numpy(1)(us) + hs / 2 * (act.numpy(2)(us) + hs / 3 * (act.numpy(3)(us) + hs / 4 * act.numpy(4)(us))))
    out = direct
    out[small] = taylor
    return out


def _chunk(act: Activation, x: np.ndarray, r: np.ndarray, v: np.ndarray, u: np.ndarray, s0: np.ndarray,
           dv: np.ndarray, dw: np.ndarray) -> np.ndarray:
    h = dw[:, :, None] * x[None, None, :]                    # (k, m, N)
    ds = delta_sigma(act, np.broadcast_to(u, h.shape), h)     # (k, m, N)
    delta = np.einsum("km,mn->kn", dv, s0) + np.einsum("km,kmn->kn", v[None, :] + dv, ds)
    return np.einsum("kn,kn->k", delta, delta + 2.0 * r[None, :])


def delta_losses(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dv: Any, dw: Any,
                 *, workers: int | None = None) -> np.ndarray:
    """ΔE = E(v + dv, w + dw) − E(v, w) for K perturbations.

    Parameters
    ----------
    activation : registry name, expression string or Activation
    x, y : array_like, shape (N,)
    v, w : array_like, shape (m,)
    dv, dw : array_like, shape (K, m)
    workers : int, optional
        Threads (default: the machine's cores).  Chunks of at most
        :data:`CHUNK_ELEMENTS` K·m·N elements keep memory bounded for any K.

    Returns
    -------
    ndarray, shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> d = delta_losses("swish", [0.1, 2, 3], [0, 0, 0], [1.0], [1.0], [[1e-9]], [[0.0]])
    >>> bool(abs(d[0] - 2e-9 * np.sum(np.array([0.1, 2, 3]) / (1 + np.exp(-np.array([0.1, 2, 3]))) ** 2)) < 1e-20)
    True
    """
    act = as_activation(activation)
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    v = np.asarray(v, dtype=float).ravel()
    w = np.asarray(w, dtype=float).ravel()
    dv = np.atleast_2d(np.asarray(dv, dtype=float))
    dw = np.atleast_2d(np.asarray(dw, dtype=float))
    m, n = w.size, x.size
    if v.size != m or y.size != n:
        raise InvalidArgument(f"v has {v.size} entries and w {m}; y has {y.size} and x {n}")
    if dv.shape != dw.shape or dv.ndim != 2 or dv.shape[1] != m:
        raise InvalidArgument(f"dv and dw must both have shape (K, {m}); got {dv.shape} and {dw.shape}")
    u = np.outer(w, x)
    s0 = act.numpy(0)(u)
    r = v @ s0 - y
    k = dv.shape[0]
    step = max(1, CHUNK_ELEMENTS // max(1, m * n))
    bounds = [(i, min(k, i + step)) for i in range(0, k, step)]
    out = np.empty(k)
    workers = workers or min(len(bounds), os.cpu_count() or 1)

    def run(b: tuple[int, int]) -> None:
        out[b[0]:b[1]] = _chunk(act, x, r, v, u, s0, dv[b[0]:b[1]], dw[b[0]:b[1]])

    if workers <= 1 or len(bounds) == 1:
        for b in bounds:
            run(b)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, bounds))
    return out
