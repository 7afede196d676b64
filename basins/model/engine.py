"""One network engine under every arithmetic (SPEC §0; SPEC §11 through :class:`Model`).

The loss, residual, Jacobian, gradient and Hessian of the 1-hidden-layer network

    ŷ = Σ_i v_i σ(w_i x),   r = ŷ − y,   E = ||r||²,   J = [z_1..z_m, v_1 z′_1..v_m z′_m],
    ∇E = 2 Jᵀ r,   ∇²E = 2 JᵀJ + 2 [[0, diag(r·z′_i)], [diag(r·z′_i), diag(v_i r·z″_i)]]

are written once, here, against a small *arithmetic context* — the way mpmath
writes one algorithm for several contexts (:mod:`basins.model.contexts`, re-exported
here).  A context supplies the features
z_i = σ(w_i x), z′_i = x∘σ′(w_i x), z″_i = x∘x∘σ″(w_i x) and a handful of
linear-algebra primitives (Σ_i v_i Z_i, the m dot products Z_i·r, ||r||², a
Gram matrix, and how vectors and matrices are returned):

* :class:`FloatContext` — float64 numpy, one θ or K θ at once (a trailing batch axis);
* :class:`MpmathContext` — mpmath at the caller's precision (``workdps``);
* :class:`BallContext` — python-flint ``arb`` balls and ``arb_mat`` (rigorous enclosures);
* :class:`ExactContext` — exact rationals (python-flint ``fmpq`` or :class:`fractions.Fraction`)
  for a σ given by exact callables (e.g. a polynomial);
* :class:`OneSidedContext` — piecewise-linear σ on one orthant of the neurons whose
  pre-activations sit on a breakpoint: σ and the one-sided σ′ are supplied, σ″ = 0.

The network's shape is the :class:`Model` parameter: the scalar model of
SPEC §0 (:data:`SCALAR`, input dimension 1, no biases; x and w are N and m
scalars) or the model of SPEC §11 (X of N × d, optional hidden bias, optional
output bias c; w is m × D).  The formulas below are written once, for the
general model; with d = 1 and no biases they are exactly those above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from basins.model.contexts import (BallContext, ExactContext, Features, FloatContext, MpmathContext,
                                   OneSidedContext, float_context, pairs)

__all__ = [
    "Model",
    "SCALAR",
    "Features",
    "Derivatives",
    "FloatContext",
    "MpmathContext",
    "BallContext",
    "ExactContext",
    "OneSidedContext",
    "float_context",
    "output",
    "residual",
    "loss",
    "jacobian",
    "gradient",
    "hessian",
    "derivatives",
]


# ------------------------------------------------------------------ model --

@dataclass(frozen=True)
class Model:
    """The network's shape: ŷ_n = Σ_i v_i σ(w_i · x̃_n) + c (SPEC §11).

    Attributes
    ----------
    input_dim : int
        d, the input dimension (X is N × d).
    hidden_bias : bool
        Whether each neuron has a bias: x̃_n = (x_n, 1) and w_i ∈ R^(d+1), its last entry the bias.
    output_bias : bool
        Whether the output bias c is a parameter (the last entry of θ).

    Parameters are ordered θ = (v_1..v_m, w_1[1..D], …, w_m[1..D][, c]) with
    D = d + hidden_bias.  ``Model()`` (:data:`SCALAR`) is the paper's model:
    scalar inputs, no biases, θ = (v, w).

    Examples
    --------
    >>> Model(input_dim=2, hidden_bias=True, output_bias=True).n_params(3)
    13
    """

    input_dim: int = 1
    hidden_bias: bool = False
    output_bias: bool = False

    @property
    def D(self) -> int:
        """Length of each hidden weight vector w_i: d, plus one with a hidden bias."""
        return self.input_dim + int(self.hidden_bias)

    @property
    def scalar(self) -> bool:
        """True for the paper's model (d = 1, no biases)."""
        return self.input_dim == 1 and not self.hidden_bias and not self.output_bias

    def n_params(self, m: int) -> int:
        """Number of parameters for width m: θ = (v, w[, c]), m(1 + D) (+ 1)."""
        return m * (1 + self.D) + int(self.output_bias)

    def width(self, n_params: int) -> int:
        """m from the number of parameters n_params = m(1 + D) (+ 1); ValueError when none fits."""
        m, rest = divmod(int(n_params) - int(self.output_bias), 1 + self.D)
        if rest or m < 1:
            raise ValueError(f"{n_params} parameters do not fit θ = (v, w[, c]) of {self} for any width")
        return m

    def split(self, theta: Any) -> tuple[Any, Any, Any]:
        """(v, w, c) from θ = (v_1..v_m, w_1[1..D], …, w_m[1..D][, c]) along the last axis.

        Works on numpy, torch and jax arrays, one θ or a batch (…, n_params): v is (…, m);
        w is (…, m, D), or (…, m) for the paper's model; c is (…) or None.

        Examples
        --------
        >>> v, w, c = Model(input_dim=2, output_bias=True).split(np.arange(7.0))
        >>> v.tolist(), w.tolist(), float(c)
        ([0.0, 1.0], [[2.0, 3.0], [4.0, 5.0]], 6.0)
        """
        m = self.width(theta.shape[-1])
        v = theta[..., :m]
        if self.scalar:
            w = theta[..., m:2 * m]
        else:
            w = theta[..., m:m + m * self.D].reshape(tuple(theta.shape[:-1]) + (m, self.D))
        return v, w, (theta[..., -1] if self.output_bias else None)

    def check(self) -> None:
        """Refuse a model that is not well formed (d must be a positive integer)."""
        if isinstance(self.input_dim, bool) or not isinstance(self.input_dim, (int, np.integer)) or self.input_dim < 1:
            raise ValueError(f"input_dim={self.input_dim!r} must be a positive integer (the input dimension d)")


#: The model of SPEC §0: scalar input, no biases.
SCALAR = Model()


@dataclass
class Derivatives:
    """What :func:`derivatives` computed: features, residual, E, and ∇E, ∇²E up to the order asked."""

    features: Features
    residual: Any
    loss: Any
    gradient: Any = None
    hessian: Any = None


# ---------------------------------------------------------- the engine --

def _jacobian_rows(ctx: Any, model: Model, v: Any, F: Features, r: Any) -> list:
    """The columns of J in θ order: z_1..z_m, v_i x̃_{:,k}∘σ′_i (i, k), then 1 with an output bias."""
    m, D = len(v), model.D
    cols = [F.z[i] for i in range(m)] + [ctx.scale(v[i], F.z1[i * D + k]) for i in range(m) for k in range(D)]
    if model.output_bias:
        cols.append(ctx.ones_like(r))
    return cols


def _add_curvature(model: Model, H: Any, v: Any, z1r: Any, z2r: Any) -> None:
    """Add Σ_n r_n ∇²ŷ_n, twice, to H = 2JᵀJ in place: 2 r·(x̃_{:,k}∘σ′_i) in the (v_i, w_ik) entries and
    2 v_i A_i(r) in the (w_i, w_i) block, A_i(r) = Σ_n r_n σ″(w_i·x̃_n) x̃_n x̃_nᵀ (SPEC §11)."""
    m, D = len(v), model.D
    kl = pairs(D)
    for i in range(m):
        for k in range(D):
            c = 2 * z1r[i * D + k]
            a = m + i * D + k
            H[i][a] += c
            H[a][i] += c
        for p, (k, l) in enumerate(kl):
            c = 2 * v[i] * z2r[i * len(kl) + p]
            a, b = m + i * D + k, m + i * D + l
            H[a][b] += c
            if a != b:
                H[b][a] += c


def _twice(a: Any) -> Any:
    return 2 * a


def _twice_product(v: Any, a: Any) -> Any:
    return 2 * v * a


def _inputs(ctx: Any, model: Model, x: Any, v: Any, w: Any, c: Any) -> tuple[Any, Any, Any, Any]:
    """The data and parameters in the context's form; the scalar model keeps its 1-D fast path."""
    if model.scalar:
        if c is not None:
            raise ValueError(f"c={c!r}: the model has no output bias (Model(output_bias=True) makes c a parameter)")
        return ctx.data(x), ctx.param(v), ctx.param(w), None
    model.check()
    xs = ctx.rows(x, model)
    vs = ctx.param(v)
    if model.output_bias:
        if c is None:
            raise ValueError("c is required: the model has an output bias")
        cs = ctx.bias(c)
    elif c is not None:
        raise ValueError(f"c={c!r}: the model has no output bias (Model(output_bias=True) makes c a parameter)")
    else:
        cs = None
    batch = isinstance(vs, np.ndarray) and vs.ndim == 2
    ws = ctx.weights(w, model, batch) if batch else ctx.weights(w, model)
    return xs, vs, ws, cs


def _forward(ctx: Any, vs: Any, F: Features, cs: Any) -> Any:
    yhat = ctx.combine(vs, F.z)
    return yhat if cs is None else ctx.shift(yhat, cs)


def output(ctx: Any, x: Any, v: Any, w: Any, *, c: Any = None, model: Model = SCALAR) -> Any:
    """ŷ = Σ_i v_i σ(w_i · x̃) (+ c) (N values; K × N for a batch of K θ)."""
    xs, vs, ws, cs = _inputs(ctx, model, x, v, w, c)
    return ctx.samples(_forward(ctx, vs, ctx.features(xs, ws, 0), cs))


def residual(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, c: Any = None, model: Model = SCALAR) -> Any:
    """r = ŷ − y."""
    xs, vs, ws, cs = _inputs(ctx, model, x, v, w, c)
    return ctx.samples(ctx.minus(_forward(ctx, vs, ctx.features(xs, ws, 0), cs), ctx.data(y)))


def loss(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, c: Any = None, model: Model = SCALAR) -> Any:
    """E = ||y − ŷ||² (K values for a batch)."""
    xs, vs, ws, cs = _inputs(ctx, model, x, v, w, c)
    return ctx.sumsq(ctx.minus(_forward(ctx, vs, ctx.features(xs, ws, 0), cs), ctx.data(y)))


def jacobian(ctx: Any, x: Any, v: Any, w: Any, *, c: Any = None, model: Model = SCALAR) -> Any:
    """J = [z_1..z_m, v_1 z′_1..v_m z′_m] (N × 2m); in general N × n_params (SPEC §11)."""
    xs, vs, ws, cs = _inputs(ctx, model, x, v, w, c)
    F = ctx.features(xs, ws, 1)
    return ctx.columns(_jacobian_rows(ctx, model, vs, F, F.z[0]))


def derivatives(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, order: int = 2, c: Any = None,
                model: Model = SCALAR) -> Derivatives:
    """E and, up to ``order`` (0, 1 or 2), ∇E = 2Jᵀr and ∇²E, from one evaluation of the features."""
    xs, vs, ws, cs = _inputs(ctx, model, x, v, w, c)
    F = ctx.features(xs, ws, order)
    r = ctx.minus(_forward(ctx, vs, F, cs), ctx.data(y))
    out = Derivatives(F, r, ctx.sumsq(r))
    if order < 1:
        return out
    zr, z1r = ctx.dots(F.z, r), ctx.dots(F.z1, r)
    parts = [ctx.each(_twice, zr), ctx.each(_twice_product, ctx.repeat(vs, model.D), z1r)]
    if model.output_bias:
        parts.append(ctx.each(_twice, ctx.sum_entries(r)))
    out.gradient = ctx.vector(ctx.join(*parts))
    if order >= 2:
        H = ctx.gram(_jacobian_rows(ctx, model, vs, F, r), 2)
        _add_curvature(model, H, vs, z1r, ctx.dots(F.z2, r))
        out.hessian = ctx.matrix(H)
    return out


def gradient(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, c: Any = None, model: Model = SCALAR) -> Any:
    """∇E = 2Jᵀr, θ = (v, w[, c])."""
    return derivatives(ctx, x, y, v, w, order=1, c=c, model=model).gradient


def hessian(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, c: Any = None, model: Model = SCALAR) -> Any:
    """∇²E = 2JᵀJ + 2[[0, diag(r·z′_i)], [diag(r·z′_i), diag(v_i r·z″_i)]] (SPEC §0); for the general model
    2JᵀJ + 2 Σ_n r_n ∇²ŷ_n with the blocks v_i A_i(r) (SPEC §11)."""
    return derivatives(ctx, x, y, v, w, order=2, c=c, model=model).hessian


def delta_loss(delta_sq: Any, r_dot_delta: Any) -> Any:
    """ΔE = E(θ + δ) − E(θ) = ||Δ||² + 2 r·Δ from Δ = ŷ(θ + δ) − ŷ(θ), without subtracting two losses.

    The sampling kernel (:mod:`basins.verification.sampling`) forms ||Δ||² and
    r·Δ for many δ at once from its Taylor products of σ, then combines them here.

    Examples
    --------
    >>> float(delta_loss(4.0, -1.5))
    1.0
    """
    return delta_sq + 2.0 * r_dot_delta
