"""The sampling kernel: ΔE for many perturbations at once, free of cancellation.

ΔE = E(v + dv, w + dw) − E(v, w) is never formed as a difference of two
losses (SPEC §7).  With r = ŷ − y and Δ = ŷ(θ + δ) − ŷ(θ),

    ΔE = ||Δ||² + 2 r·Δ.

Write u_i = w_i x, h_i = dw_i x, z_i = σ(u_i) and c_{p,i} = x^p σ^(p)(u_i)/p!
(all vectors over the N samples).  For neuron i of perturbation k,

    Δ_k = Σ_i dv_ki z_i + (v_i + dv_ki) Δσ_ki,   Δσ_ki = σ(u_i + dw_ki x) − σ(u_i).

**Taylor path.**  Where the Taylor polynomial of order P in dw_ki is exact to
rounding (see below), Δσ_ki = Σ_{p=1..P} dw_ki^p c_{p,i}.  Then Δ_k = A_k C is
one matrix product for all k: A_k holds the m(P+1) numbers dv_ki and
(v_i + dv_ki) dw_ki^p, C the m(P+1) rows z_i and c_{p,i}.  No σ is evaluated
per perturbation, so the cost is a BLAS matrix product of 2(P+1) flops per
element, not a transcendental function per element.  The troublesome term
r·Δ (its first-order part is ½∇E·δ ≈ 0 at a critical point, so summing it over
samples would cancel catastrophically) becomes r·Δ_k = A_k·(C r): the m(P+1)
numbers C r are formed once, and the per-perturbation sum has no cancellation
beyond that of ΔE itself.

**Direct path.**  Elsewhere (|dw_ki| too large, or a breakpoint of σ within
reach) the second-order remainder R_ki = σ(u_i + dw_ki x) − z_i − dw_ki c_{1,i}
is evaluated directly (absolute error ≈ ε|σ|, no first-order part left) and
added to Δ_k, its first-order part staying in the matrix product.

**When is Taylor exact to rounding?**  Order P is used for |dw_ki| ≤ τ_i(P),
the largest step at which each of the next two Taylor terms, |c_{P+1,i}| s^{P+1}
and |c_{P+2,i}| s^{P+2}, stays below ε/2 times the larger of the leading ones
|c_0|, |c_1| s for every sample — the rounding error of the direct difference — and
at which no breakpoint or non-smooth point of σ lies between u_ij and
u_ij + s x_j.  Each chunk uses the smallest order of :data:`TAYLOR_ORDERS`
that covers all its perturbations.  These are floating-point estimates, not
bounds: the kernel is *verified numerically*, never certified.

**Memory and threads.**  Perturbations are processed in chunks; a chunk never
holds more than :data:`CHUNK_ELEMENTS` float64 numbers in any working array,
so besides the inputs, the output and the per-call table C (≈ (P_max + 3)·m·N
numbers) each worker uses at most ≈ 8·:data:`CHUNK_ELEMENTS`·8 bytes (16 MiB),
whatever K.  Chunks run on a thread pool (numpy and BLAS release the GIL), one
worker per core by default.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 (the minima whose neighbourhoods are sampled), and
SPEC §7 (``shared/SPEC.md``).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from basins.model import engine
from basins.parallel import blas_threads
from basins.activations import Activation, as_activation
from basins.errors import InvalidArgument

__all__ = ["delta_losses", "delta_sigma", "taylor_steps", "CHUNK_ELEMENTS", "TAYLOR_ORDERS"]

#: Float64 numbers in one working array of a chunk (2 MiB); ≈ 8 such arrays per worker.
CHUNK_ELEMENTS = 1 << 18

#: Taylor orders a chunk may use; the smallest that covers the chunk is taken.
TAYLOR_ORDERS: tuple[int, ...] = (2, 3, 4, 6, 8)

#: Coefficients beyond the order used that estimate the truncation error.
_EXTRA = 2
#: Piecewise activations with many pieces: lower orders keep the symbolic work small.
_PIECEWISE_MAX_ORDER = 4
_EPS = float(np.finfo(float).eps)
#: Above this fraction of neurons on the direct path a chunk evaluates σ densely.
_DENSE_DIRECT = 0.25


def _scratch(work: dict[str, np.ndarray] | None, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A C-contiguous float64 array of ``shape`` from the reusable buffer ``work[name]``.

    Large temporaries cost page faults on every allocation (several ns per
    element on the shared machine); a chunk's two largest arrays are reused.
    """
    size = int(np.prod(shape))
    if work is None:
        return np.empty(shape)
    buf = work.get(name)
    if buf is None or buf.size < size:
        buf = work[name] = np.empty(size)
    return buf[:size].reshape(shape)


def _orders(act: Activation) -> tuple[int, ...]:
    if act.is_piecewise and len(act.breakpoints) > 4:
        return tuple(p for p in TAYLOR_ORDERS if p <= _PIECEWISE_MAX_ORDER)
    return TAYLOR_ORDERS


def _coefficients(act: Activation, u: np.ndarray, x: np.ndarray, order: int) -> np.ndarray:
    """c_p = x^p σ^(p)(u)/p! for p = 0..order; shape (order + 1,) + u.shape."""
    c = act.numpy_taylor(order)(u)
    xp = np.ones_like(x)
    for p in range(1, order + 1):
        xp = xp * x
        c[p] *= xp
    return c


def _reach(act: Activation, u: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Largest |dw| such that [u, u + dw·x] meets no breakpoint or non-smooth point of σ."""
    if not act.kinks_known:
        # the kinks of σ are not all known (a periodic switch, say): no Taylor step may cross one
        # unseen, so every difference is taken directly
        return np.zeros(u.shape)
    pts = sorted({float(p) for p in act.breakpoints} | {float(p) for p in act.nonsmooth_points})
    if not pts:
        return np.full(u.shape, np.inf)
    dist = np.min(np.abs(u[..., None] - np.array(pts)), axis=-1)
    return dist / np.abs(x) * (1.0 - 1e-12)


def _steps(c: np.ndarray, order: int) -> np.ndarray:
    """τ(order) per entry: the largest s at which each of the next two Taylor terms
    |c_q| s^q (q = P+1, P+2) stays below ε/2 · max(|c_0|, |c_1| s) (closed form)."""
    a = np.abs(c)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.all(np.isfinite(a), axis=0)
    a = np.where(finite, a, 0.0)
    tau = np.full(a.shape[1:], np.inf)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        for q in (order + 1, order + 2):
            # a_q s^q ≤ ε/2 a_0  ⟺  s ≤ (ε a_0 / 2 a_q)^(1/q);   a_q s^q ≤ ε/2 a_1 s  ⟺  s ≤ (ε a_1 / 2 a_q)^(1/(q-1))
            by0 = (0.5 * _EPS * a[0] / a[q]) ** (1.0 / q)
            by1 = (0.5 * _EPS * a[1] / a[q]) ** (1.0 / (q - 1))
            tau = np.minimum(tau, np.where(a[q] > 0, np.fmax(by0, by1), np.inf))
    return np.where(finite, np.nan_to_num(tau, nan=0.0, posinf=np.inf), 0.0)


def taylor_steps(activation: Activation | str, x: Any, w: Any) -> dict[int, np.ndarray]:
    """τ_i(P): the largest |dw_i| at which the order-P Taylor path is used, per order.

    Parameters
    ----------
    activation : registry name, expression string or Activation
    x : array_like, shape (N,)
    w : array_like, shape (m,)

    Returns
    -------
    dict
        ``{P: array of shape (m,)}`` for each P in :data:`TAYLOR_ORDERS`
        available for σ; ``inf`` where the polynomial is exact (σ a polynomial
        of degree ≤ P), 0 where σ is not smooth at some u_ij.

    Examples
    --------
    >>> t = taylor_steps("swish", [0.1, 2.0, 3.0], [1.0])
    >>> bool(t[2][0] < t[4][0] < t[8][0] < 0.1)
    True
    >>> float(taylor_steps("t**2 + t", [1.0, 2.0], [0.5])[2][0])
    inf

    References
    ----------
    SPEC §7; Li, Ding & Sun, Proposition 4.
    """
    act = as_activation(activation)
    x = np.asarray(x, dtype=float).ravel()
    w = np.asarray(w, dtype=float).ravel()
    plan = _Plan.make(act, x, np.zeros(x.size), np.zeros(w.size), w)
    return {p: t.copy() for p, t in plan.tau.items()}


@dataclass(frozen=True)
class _Plan:
    """Everything a chunk needs that does not depend on the perturbations."""

    act: Activation
    x: np.ndarray
    v: np.ndarray
    u: np.ndarray          # (m, N)
    z: np.ndarray          # (m, N)   σ(u)
    c1: np.ndarray         # (m, N)   x σ′(u)
    r: np.ndarray          # (N,)     ŷ − y
    C: np.ndarray          # ((P_max + 1) m, N), rows ordered (p, i)
    Cr: np.ndarray         # ((P_max + 1) m,)
    tau: dict[int, np.ndarray]  # P -> (m,)

    @classmethod
    def make(cls, act: Activation, x: np.ndarray, y: np.ndarray, v: np.ndarray, w: np.ndarray) -> "_Plan":
        orders = _orders(act)
        pmax = max(orders)
        u = np.outer(w, x)
        c = _coefficients(act, u, x, pmax + _EXTRA)           # (pmax + 3, m, N)
        z = c[0].copy()
        reach = _reach(act, u, x)
        tau = {}
        for p in orders:
            tau[p] = np.min(np.minimum(_steps(c, p), reach), axis=1) if x.size else np.zeros(w.size)
        C = np.ascontiguousarray(c[: pmax + 1].reshape((pmax + 1) * w.size, x.size))
        C = np.where(np.isfinite(C), C, 0.0)                  # only used where τ > 0 (finite there)
        r = engine.residual(engine.float_context(act), x, y, v, w)   # the engine's forward pass
        return cls(act, x, v, u, z, c[1].copy(), r, C, C @ r, tau)

    @property
    def orders(self) -> list[int]:
        return sorted(self.tau)

    def chunk(self, dv: np.ndarray, dw: np.ndarray, work: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """ΔE for one chunk of perturbations, given transposed: dv, dw of shape (m, k).

        The chunk uses the smallest Taylor order whose τ covers every |dw_ki|;
        if none does, the largest order, and the direct path for the neurons
        beyond it.  Arrays are laid out with the k perturbations along the
        contiguous axis: numpy is slow along short axes (m may be 1).
        """
        m, k = dv.shape
        adw = np.abs(dw)
        amax = adw.max(axis=1)
        orders = self.orders
        order, direct = orders[-1], True
        for p in orders:
            if np.all(amax <= self.tau[p]):
                order, direct = p, False
                break
        if direct and np.mean(adw > self.tau[order][:, None]) > _DENSE_DIRECT:
            order = 1                                          # mostly direct: skip the Taylor columns
        base = dv + self.v[:, None]
        A = _scratch(work, "A", (order + 1, m, k))
        A[0] = dv
        np.multiply(base, dw, out=A[1])
        taylor = (adw <= self.tau.get(order, 0.0 * amax)[:, None]) if direct else None
        pw = dw if taylor is None else np.where(taylor, dw, 0.0)
        for p in range(2, order + 1):
            np.multiply(A[p - 1], pw, out=A[p])
        rows = (order + 1) * m
        A2 = A.reshape(rows, k)
        delta = np.matmul(self.C[:rows].T, A2, out=_scratch(work, "delta", (self.x.size, k)))  # Δ_k in column k
        rdelta = self.Cr[:rows] @ A2                           # (k,):   r·Δ_k
        if taylor is not None:
            self._direct(~taylor, base, dw, delta, rdelta)
        return engine.delta_loss(np.einsum("nk,nk->k", delta, delta), rdelta)

    def _direct(self, mask: np.ndarray, base: np.ndarray, dw: np.ndarray, delta: np.ndarray,
                rdelta: np.ndarray) -> None:
        """Add (v_i + dv_ki) R_ki for the (i, k) pairs in ``mask`` to Δ_k and r·Δ_k."""
        m, k = mask.shape
        n = self.x.size
        f = self.act.numpy(0)
        if mask.mean() > _DENSE_DIRECT:                        # dense, in blocks of perturbations
            weight = np.where(mask, base, 0.0)
            step = max(1, CHUNK_ELEMENTS // max(1, m * n))
            for s in range(0, k, step):
                d, wt = dw[:, s:s + step], weight[:, s:s + step]
                with np.errstate(over="ignore", invalid="ignore"):
                    F = f(d[:, :, None] * self.x + self.u[:, None, :])      # (m, kb, N)
                    F *= wt[:, :, None]
                    Rs = F.sum(axis=0)                                      # Σ_i w_ki σ(u_i + h_ki)
                # minus Σ_i w_ki (z_i + dw_ki c1_i): the same absolute rounding, ε Σ_i |w_ki σ|
                Rs -= wt.T @ self.z
                Rs -= (wt * d).T @ self.c1
                delta[:, s:s + step] += Rs.T
                rdelta[s:s + step] += Rs @ self.r
            return
        ks, is_ = np.nonzero(mask.T)                           # sparse: only the pairs, sorted by k
        block = max(1, CHUNK_ELEMENTS // max(1, n))
        for s in range(0, ks.size, block):
            kk, ii = ks[s:s + block], is_[s:s + block]
            d = dw[ii, kk][:, None]
            with np.errstate(over="ignore", invalid="ignore"):
                R = f(d * self.x + self.u[ii])
                R -= self.z[ii]
                R -= d * self.c1[ii]
                R *= base[ii, kk][:, None]
            first = np.flatnonzero(np.r_[True, kk[1:] != kk[:-1]])
            Rs = np.add.reduceat(R, first, axis=0)
            delta[:, kk[first]] += Rs.T
            rdelta[kk[first]] += Rs @ self.r


def delta_losses(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dv: Any, dw: Any,
                 *, workers: int | None = None) -> np.ndarray:
    """ΔE = E(v + dv, w + dw) − E(v, w) for K perturbations, without cancellation.

    Parameters
    ----------
    activation : registry name, expression string or Activation
    x, y : array_like, shape (N,)
    v, w : array_like, shape (m,)
        The point θ = (v, w).
    dv, dw : array_like, shape (K, m)
        The K perturbations δ = (dv, dw).
    workers : int, optional
        Threads (default: the machine's cores).  Chunks of at most
        :data:`CHUNK_ELEMENTS` numbers per working array keep the memory at
        ≈ 16 MiB per worker, plus a table of ≈ 11·m·N numbers, for any K.

    Returns
    -------
    ndarray, shape (K,)
        ΔE_k, with an error of a few ε relative to the scale of the
        second-order terms (see the module docstring): positive values stay
        accurate down to ``|δ|`` ≈ 1e-8 where two float64 losses no longer differ.

    Raises
    ------
    InvalidArgument
        Shapes that do not match, non-finite entries, or ``workers`` < 1.

    Examples
    --------
    A pure change of the output weight with y = 0, so r = z and
    ΔE = (2 dv + dv²) ||z||² exactly:

    >>> import numpy as np
    >>> x = np.array([0.1, 2, 3]); z = x / (1 + np.exp(-x))
    >>> d = delta_losses("swish", x, np.zeros(3), [1.0], [1.0], [[1e-9]], [[0.0]])
    >>> bool(abs(d[0] / ((2e-9 + 1e-18) * (z @ z)) - 1) < 1e-14)
    True

    References
    ----------
    SPEC §7; Li, Ding & Sun, Proposition 4 and Example 2.
    """
    act = as_activation(activation)
    x = _finite("x", x, 1)
    y = _finite("y", y, 1)
    v = _finite("v", v, 1)
    w = _finite("w", w, 1)
    dv = _finite("dv", dv, 2)
    dw = _finite("dw", dw, 2)
    m, n = w.size, x.size
    if v.size != m or y.size != n:
        raise InvalidArgument(f"v has {v.size} entries and w {m}; y has {y.size} and x {n}: "
                              "v, w must have the width m and x, y the N samples")
    if dv.shape != dw.shape or dv.shape[1] != m:
        raise InvalidArgument(f"dv and dw must both have shape (K, {m}); got {dv.shape} and {dw.shape}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))
                                or workers < 1):
        raise InvalidArgument(f"workers={workers!r} must be a positive integer")
    plan = _Plan.make(act, x, y, v, w)
    k = dv.shape[0]
    step = max(1, CHUNK_ELEMENTS // max(n, (plan.orders[-1] + 1) * m))
    bounds = [(i, min(k, i + step)) for i in range(0, k, step)]
    out = np.empty(k)
    nw = min(len(bounds), workers or os.cpu_count() or 1)

    local = threading.local()       # per call and thread: the chunk's two large arrays, reused

    def run(b: tuple[int, int]) -> None:
        if not hasattr(local, "work"):
            local.work = {}
        out[b[0]:b[1]] = plan.chunk(np.ascontiguousarray(dv[b[0]:b[1]].T), np.ascontiguousarray(dw[b[0]:b[1]].T),
                                    local.work)

    if nw <= 1:
        with blas_threads(1 if workers == 1 else None):
            for b in bounds:
                run(b)
    else:
        # one BLAS thread per worker: the chunks' products are small, and two
        # threaded BLAS calls side by side on two cores slow each other down
        with blas_threads(1), ThreadPoolExecutor(nw) as pool:
            list(pool.map(run, bounds))
    return out


def delta_sigma(activation: Activation | str, u: Any, h: Any) -> np.ndarray:
    """σ(u + h) − σ(u) elementwise, accurate to rounding also for tiny h.

    Taylor polynomial of order 8 in h where it is exact to rounding (the test
    of :func:`taylor_steps` with x = 1), the plain difference elsewhere.

    Examples
    --------
    >>> float(delta_sigma("exp", 0.0, 1e-12))  # doctest: +ELLIPSIS
    1.0000000000005e-12
    """
    act = as_activation(activation)
    u, h = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(h, dtype=float))
    flat_u, flat_h = u.ravel(), h.ravel()
    one = np.ones(1)
    order = max(_orders(act))
    c = _coefficients(act, flat_u, np.ones_like(flat_u), order + _EXTRA)
    tau = np.minimum(_steps(c, order), _reach(act, flat_u, np.broadcast_to(one, flat_u.shape)))
    small = np.abs(flat_h) <= tau
    out = np.empty_like(flat_u)
    with np.errstate(over="ignore", invalid="ignore"):
        out[~small] = act.numpy(0)(flat_u[~small] + flat_h[~small]) - c[0][~small]
    hs = flat_h[small]
    acc = np.zeros_like(hs)
    for p in range(order, 0, -1):
        acc = (acc + c[p][small]) * hs
    out[small] = acc
    return out.reshape(u.shape)


def _finite(name: str, value: Any, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}={value!r} must be an array of numbers") from None
    arr = arr.ravel() if ndim == 1 else (arr.reshape(1, -1) if arr.ndim == 1 else arr)
    if arr.ndim != ndim:
        raise InvalidArgument(f"{name} must have {ndim} dimension(s); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(f"{name} has a NaN or infinite entry")
    return arr


def delta_losses_model(activation: Activation | str, x: Any, y: Any, v: Any, w: Any, dtheta: Any, *,
                       c: Any = None, model: engine.Model = engine.SCALAR) -> np.ndarray:
    """ΔE = E(θ + δ) − E(θ) for K perturbations δ of any model (SPEC §11), without cancellation.

    θ = (v, w_1[1..D], …, w_m[1..D][, c]) and ``dtheta`` is (K, n_params).  With
    u_i = X̃ w_i, h_i = X̃ δw_i and R_i = σ(u_i + h_i) − σ(u_i) − σ′(u_i) h_i (the
    second-order remainder: a Taylor polynomial where it is exact to rounding,
    see :func:`taylor_steps`, the direct difference elsewhere),

        Δ = Σ_i δv_i z_i + (v_i + δv_i)(σ′_i∘h_i + R_i) + δc,
        r·Δ = δv·(Zr) + Σ_i (v_i + δv_i) g_i·δw_i + Σ_i (v_i + δv_i) R_i·r + δc Σr,

    with g_i = X̃ᵀ(σ′_i∘r), Zr and Σr formed once: the first-order part of r·Δ
    (½∇E·δ ≈ 0 at a critical point) is never summed over samples.  The paper's
    model has its own faster kernel, :func:`delta_losses`.  *Verified
    numerically*, like that kernel: these are floating-point values.

    Examples
    --------
    A change of the output bias alone, δc, moves every output by δc: ΔE = 2δc Σr + N δc².

    >>> import numpy as np
    >>> from basins.model import engine
    >>> model = engine.Model(input_dim=2, hidden_bias=True, output_bias=True)
    >>> X = np.array([[0.5, 1.0], [1.5, -0.5], [-1.0, 2.0]]); y = np.array([1.0, 0.0, -1.0])
    >>> v, w, c = np.array([1.0]), np.array([[0.5, -0.25, 0.1]]), 0.3
    >>> r = engine.residual(engine.float_context(__import__("basins").activations.as_activation("tanh")),
    ...                     X, y, v, w, c=c, model=model)
    >>> dE = delta_losses_model("tanh", X, y, v, w, [[0, 0, 0, 0, 1e-3]], c=c, model=model)[0]
    >>> bool(abs(dE - (2e-3 * r.sum() + 3e-6)) < 1e-15)
    True
    """
    act = as_activation(activation)
    if model.scalar:
        dtheta = _finite("dtheta", dtheta, 2)
        m = np.asarray(w, dtype=float).size
        return delta_losses(act, x, y, v, w, dtheta[:, :m], dtheta[:, m:])
    model.check()
    ctx = engine.float_context(act)
    X = ctx.rows(_finite("x", x, 2) if np.ndim(x) == 2 else _finite("x", x, 1), model)
    yv = _finite("y", y, 1)
    v = _finite("v", v, 1)
    m, N = v.size, X.shape[0]
    W = ctx.weights(_finite("w", w, 2) if np.ndim(w) == 2 else _finite("w", w, 1), model)
    d = _finite("dtheta", dtheta, 2)
    n = model.n_params(m)
    if W.shape[0] != m or yv.size != N or d.shape[1] != n:
        raise InvalidArgument(f"shapes do not match the model: v has {v.size} entries, w {W.shape}, y {yv.size}, "
                              f"x {X.shape}, dtheta {d.shape} (θ has {n} entries)")
    u = W @ X.T                                                        # (m, N)
    order = max(_orders(act))
    coef = _coefficients(act, u, np.ones_like(u), order + _EXTRA)      # σ^(p)(u)/p!, (order + 3, m, N)
    z, s1 = coef[0], coef[1]
    tau = np.minimum(_steps(coef, order), _reach(act, u, np.ones_like(u)))
    r = engine.residual(ctx, X[:, :model.input_dim], yv, v, W, c=c, model=model)
    zr, g, rsum = z @ r, (s1 * r) @ X, r.sum()                        # (m,), (m, D), scalar
    f = act.numpy(0)
    out = np.empty(d.shape[0])
    step = max(1, CHUNK_ELEMENTS // max(1, m * N))
    for a in range(0, d.shape[0], step):
        blk = d[a:a + step]
        k = blk.shape[0]
        dv, dW, dc = model.split(blk)
        dc = np.zeros(k) if dc is None else dc
        h = np.einsum("kmd,nd->kmn", dW, X)
        with np.errstate(over="ignore", invalid="ignore"):
            R = f(u + h) - z - s1 * h                                  # direct remainder
            taylor = np.abs(h) <= tau
            acc = np.zeros_like(h)
            for p in range(order, 1, -1):
                acc = (acc + coef[p]) * h
            R = np.where(taylor, acc * h, R)
        base = v + dv                                                  # (k, m)
        delta = dv @ z + np.einsum("km,kmn->kn", base, s1 * h + R) + dc[:, None]
        rdelta = dv @ zr + np.einsum("km,kmd,md->k", base, dW, g) + np.einsum("km,kmn,n->k", base, R, r) + dc * rsum
        out[a:a + step] = engine.delta_loss(np.einsum("kn,kn->k", delta, delta), rdelta)
    return out
