"""One network engine under every arithmetic (SPEC §0; SPEC §11 through :class:`Model`).

The loss, residual, Jacobian, gradient and Hessian of the 1-hidden-layer network

    ŷ = Σ_i v_i σ(w_i x),   r = ŷ − y,   E = ||r||²,   J = [z_1..z_m, v_1 z′_1..v_m z′_m],
    ∇E = 2 Jᵀ r,   ∇²E = 2 JᵀJ + 2 [[0, diag(r·z′_i)], [diag(r·z′_i), diag(v_i r·z″_i)]]

are written once, here, against a small *arithmetic context* — the way mpmath
writes one algorithm for several contexts.  A context supplies the features
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

The network's shape is the :class:`Model` parameter.  Today only the scalar
model of SPEC §0 (input dimension 1, no biases) is implemented; SPEC §11
(d-dimensional inputs, a hidden and an output bias) adds fields to
:class:`Model` and blocks to :func:`_jacobian_rows` and :func:`_add_curvature`,
nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

import mpmath
import numpy as np

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
    """The network's shape: ŷ = Σ_i v_i σ(w_i · x + b_i) + c.

    Attributes
    ----------
    input_dim : int
        d, the input dimension (x is N × d).  Only d = 1 is implemented.
    hidden_bias, output_bias : bool
        Whether the b_i and c are parameters (SPEC §11).  Not implemented yet.
    """

    input_dim: int = 1
    hidden_bias: bool = False
    output_bias: bool = False

    def n_params(self, m: int) -> int:
        """Number of parameters for width m: θ = (v, w[, b][, c])."""
        return m * (1 + self.input_dim + int(self.hidden_bias)) + int(self.output_bias)

    def check(self) -> None:
        """Refuse the models of SPEC §11 that are not implemented yet."""
        if self.input_dim != 1 or self.hidden_bias or self.output_bias:
            raise NotImplementedError(f"{self}: only the scalar model of SPEC §0 (d = 1, no biases) is implemented")


#: The model of SPEC §0: scalar input, no biases.
SCALAR = Model()


@dataclass
class Features:
    """z, z′, z″ per neuron (a stack of m sample vectors each; None above the order asked) and the
    pre-activations u_ij = w_i x_j."""

    z: Any
    z1: Any = None
    z2: Any = None
    u: Any = None


@dataclass
class Derivatives:
    """What :func:`derivatives` computed: features, residual, E, and ∇E, ∇²E up to the order asked."""

    features: Features
    residual: Any
    loss: Any
    gradient: Any = None
    hessian: Any = None


# ------------------------------------------------------------- contexts --

class _ListContext:
    """Sample vectors are Python lists of scalars; matrices are lists of rows until :meth:`matrix`."""

    def scalar(self, a: Any) -> Any:
        raise NotImplementedError

    def zero(self) -> Any:
        return self.scalar(0)

    def derivs(self, i: int, xj: Any, u: Any, order: int) -> Sequence[Any]:
        """σ(u), σ′(u), ..., σ^(order)(u) for neuron i at sample value xj."""
        raise NotImplementedError

    def data(self, a: Any) -> list:
        return [self.scalar(e) for e in _flat(a)]

    def param(self, a: Any) -> list:
        return self.data(a)

    def total(self, terms: Iterable[Any]) -> Any:
        return sum(terms, self.zero())

    def features(self, x: list, w: list, order: int) -> Features:
        z: list = []
        z1: list = []
        z2: list = []
        us: list = []
        for i, wi in enumerate(w):
            zi, z1i, z2i, ui = [], [], [], []
            for xj in x:
                u = wi * xj
                s = self.derivs(i, xj, u, order)
                zi.append(s[0])
                if order >= 1:
                    z1i.append(xj * s[1])
                if order >= 2:
                    z2i.append(xj * xj * s[2])
                ui.append(u)
            z.append(zi)
            z1.append(z1i)
            z2.append(z2i)
            us.append(ui)
        return Features(z, z1 if order >= 1 else None, z2 if order >= 2 else None, us)

    def combine(self, v: list, Z: list) -> list:
        return [self.total(v[i] * Z[i][j] for i in range(len(v))) for j in range(len(Z[0]) if Z else 0)]

    def minus(self, a: list, b: list) -> list:
        return [p - q for p, q in zip(a, b)]

    def dot(self, a: list, b: list) -> Any:
        return self.total(p * q for p, q in zip(a, b))

    def dots(self, Z: list, r: list) -> list:
        return [self.dot(zi, r) for zi in Z]

    def sumsq(self, r: list) -> Any:
        return self.dot(r, r)

    def scale(self, s: Any, a: list) -> list:
        return [s * e for e in a]

    def gram(self, rows: list, factor: int) -> list:
        n = len(rows)
        G: list = [[None] * n for _ in range(n)]
        for a in range(n):
            for b in range(a, n):
                G[a][b] = G[b][a] = factor * self.dot(rows[a], rows[b])
        return G

    def each(self, f: Callable[..., Any], *columns: Any) -> list:
        """f applied entry by entry to m-vectors (per-neuron scalars)."""
        return [f(*args) for args in zip(*columns)]

    def join(self, a: Any, b: Any) -> list:
        """The m-vectors a and b one after the other (2m entries)."""
        return list(a) + list(b)

    def vector(self, entries: list) -> Any:
        return list(entries)

    def matrix(self, rows: list) -> Any:
        return rows

    def columns(self, rows: list) -> Any:
        """The matrix whose columns are ``rows`` (J from its columns)."""
        return [list(col) for col in zip(*rows)]

    def samples(self, a: list) -> Any:
        return a


def _flat(a: Any) -> list:
    if isinstance(a, np.ndarray):
        return a.ravel().tolist()
    return list(a)


class MpmathContext(_ListContext):
    """mpmath at the caller's precision (set it with ``mpmath.workdps``); floats are taken exactly."""

    def __init__(self, activation: Any):
        self._f = [activation.mpmath(k) for k in range(3)]

    def scalar(self, a: Any) -> Any:
        return a if isinstance(a, mpmath.mpf) else mpmath.mpf(float(a))

    def zero(self) -> Any:
        return mpmath.mpf(0)

    def total(self, terms: Iterable[Any]) -> Any:
        return mpmath.fsum(terms)

    def derivs(self, i: int, xj: Any, u: Any, order: int) -> Sequence[Any]:
        return [self._f[k](u) for k in range(order + 1)]

    def matrix(self, rows: list) -> Any:
        return mpmath.matrix(rows)

    def columns(self, rows: list) -> Any:
        return mpmath.matrix(rows).T


class ExactContext(_ListContext):
    """Exact rationals, python-flint ``fmpq`` (``field="fmpq"``) or :class:`~fractions.Fraction`.

    ``derivatives`` are exact callables (σ, σ′, σ″) on the field's numbers,
    e.g. a polynomial; floats are taken at their exact binary value.
    """

    def __init__(self, derivatives: Sequence[Callable[[Any], Any]], field: str = "fmpq"):
        if field not in ("fmpq", "fraction"):
            raise ValueError(f"field={field!r} must be 'fmpq' or 'fraction'")
        self.field = field
        self._f = list(derivatives)
        if field == "fmpq":
            import flint

            self._type: Any = flint.fmpq
        else:
            self._type = Fraction
        self._zero = self._type(0)

    def scalar(self, a: Any) -> Any:
        if isinstance(a, self._type):
            return a
        if isinstance(a, (float, np.floating)):
            a = Fraction(float(a))
        elif not isinstance(a, (int, Fraction)):
            a = Fraction(int(a.p), int(a.q)) if hasattr(a, "q") else Fraction(a)
        if self.field == "fmpq":
            a = Fraction(a)
            return self._type(a.numerator, a.denominator)
        return Fraction(a)

    def zero(self) -> Any:
        return self._zero

    def derivs(self, i: int, xj: Any, u: Any, order: int) -> Sequence[Any]:
        return [self._f[k](u) for k in range(order + 1)]


class OneSidedContext(ExactContext):
    """Piecewise-linear σ on one orthant {s_i δw_i ≥ 0}: σ(u), the one-sided σ′, and σ″ = 0.

    ``value(u)`` is σ(u); ``slope(u, side)`` is σ′ on the right (side > 0) or
    left (side < 0) of u.  Moving w_i by δw_i moves u_ij = w_i x_j by δw_i x_j,
    so neuron i at sample x_j uses the side s_i·sign(x_j), with s_i from
    ``signs`` (default +1); z′_ij = 0 when x_j = 0.
    """

    def __init__(self, value: Callable[[Any], Any], slope: Callable[[Any, int], Any],
                 signs: dict[int, int] | None = None, field: str = "fmpq"):
        super().__init__((), field)
        self._value, self._slope = value, slope
        self.signs = dict(signs or {})

    def derivs(self, i: int, xj: Any, u: Any, order: int) -> Sequence[Any]:
        if order == 0:
            return (self._value(u),)
        if xj == 0:
            s1 = self._zero
        else:
            s1 = self._slope(u, self.signs.get(i, 1) * (1 if xj > 0 else -1))
        return (self._value(u), s1, self._zero)


class BallContext(_ListContext):
    """python-flint ``arb`` balls at the caller's flint precision; vectors are ``arb_mat`` columns.

    E uses σ alone (``activation.arb(0)``); ∇E and ∇²E use ``activation.arb(2)``.
    Products over samples are ``arb_mat`` products, sums of squares are sequential.
    """

    def __init__(self, activation: Any):
        import flint

        self.flint = flint
        self._f2 = activation.arb(2)
        self._f0 = activation.arb(0)

    def scalar(self, a: Any) -> Any:
        return a if isinstance(a, self.flint.arb) else self.flint.arb(float(a))

    def zero(self) -> Any:
        return self.flint.arb(0)

    def derivs(self, i: int, xj: Any, u: Any, order: int) -> Sequence[Any]:
        return self._f0(u) if order == 0 else self._f2(u)

    def combine(self, v: list, Z: list) -> list:
        yhat = self.flint.arb_mat([list(v)]) * self.flint.arb_mat(Z)
        return [yhat[0, j] for j in range(yhat.ncols())]

    def dots(self, Z: list, r: list) -> list:
        arb_mat = self.flint.arb_mat
        p = arb_mat(Z) * arb_mat([[e] for e in r])
        return [p[i, 0] for i in range(p.nrows())]

    def sumsq(self, r: list) -> Any:
        total = self.flint.arb(0)
        for rj in r:
            total += rj * rj
        return total

    def gram(self, rows: list, factor: int) -> list:
        A = self.flint.arb_mat(rows)
        return (factor * (A * A.transpose())).tolist()

    def vector(self, entries: list) -> Any:
        return self.flint.arb_mat([[e] for e in entries])

    def matrix(self, rows: list) -> Any:
        return self.flint.arb_mat(rows)

    def columns(self, rows: list) -> Any:
        return self.flint.arb_mat(rows).transpose()


class FloatContext:
    """float64 numpy.  Parameters v, w are (m,) for one θ or (K, m) for K θ at once.

    Internally a stack of sample vectors is (m, N) or (m, N, K) (the batch axis
    last, so neuron i is ``Z[i]`` and its per-θ scalars are ``zr[i]``, shape (K,));
    results come back with the batch axis first: E (K,), ∇E (K, 2m), ∇²E (K, 2m, 2m).
    """

    def __init__(self, activation: Any):
        self.activation = activation
        self._f: list[Any] = [None, None, None]

    def _sigma(self, k: int) -> Any:
        f = self._f[k]
        if f is None:
            f = self._f[k] = self.activation.numpy(k)
        return f

    def data(self, a: Any) -> np.ndarray:
        return np.asarray(a, dtype=float).ravel()

    def param(self, a: Any) -> np.ndarray:
        a = np.asarray(a, dtype=float)
        return a.T if a.ndim == 2 else a.ravel()

    def features(self, x: np.ndarray, w: np.ndarray, order: int) -> Features:
        xb = x if w.ndim == 1 else x[:, None]
        u = w[:, None, ...] * xb
        z = self._sigma(0)(u)
        z1 = xb * self._sigma(1)(u) if order >= 1 else None
        z2 = xb * xb * self._sigma(2)(u) if order >= 2 else None
        return Features(z, z1, z2, u)

    def combine(self, v: np.ndarray, Z: np.ndarray) -> np.ndarray:
        return v @ Z if v.ndim == 1 else np.einsum("ik,ink->nk", v, Z)

    def minus(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - (b if a.ndim == 1 else b[:, None])

    def dots(self, Z: np.ndarray, r: np.ndarray) -> np.ndarray:
        return Z @ r if r.ndim == 1 else np.einsum("ink,nk->ik", Z, r)

    def sumsq(self, r: np.ndarray) -> Any:
        return float(r @ r) if r.ndim == 1 else np.einsum("nk,nk->k", r, r)

    def scale(self, s: Any, a: np.ndarray) -> np.ndarray:
        return s * a

    def gram(self, rows: list, factor: int) -> np.ndarray:
        A = np.stack(rows)
        if A.ndim == 2:
            return factor * (A @ A.T)
        B = np.moveaxis(A, -1, 0)
        return np.moveaxis(factor * (B @ B.transpose(0, 2, 1)), 0, -1)

    def each(self, f: Callable[..., Any], *columns: Any) -> Any:
        return f(*columns)          # f is arithmetic: numpy applies it to every entry at once

    def join(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate((a, b))

    def vector(self, entries: np.ndarray) -> np.ndarray:
        return entries if entries.ndim == 1 else entries.T

    def matrix(self, H: np.ndarray) -> np.ndarray:
        return H if H.ndim == 2 else np.moveaxis(H, -1, 0)

    def columns(self, rows: list) -> np.ndarray:
        A = np.stack(rows)
        return A.T if A.ndim == 2 else A.transpose(2, 1, 0)

    def samples(self, a: np.ndarray) -> np.ndarray:
        return a if a.ndim == 1 else a.T


_FLOAT_CONTEXTS: dict[int, FloatContext] = {}


def float_context(activation: Any) -> FloatContext:
    """The float64 context of an activation, cached per object (hashing an Activation is costly)."""
    ctx = _FLOAT_CONTEXTS.get(id(activation))
    if ctx is None or ctx.activation is not activation:
        if len(_FLOAT_CONTEXTS) > 32:
            _FLOAT_CONTEXTS.clear()
        ctx = _FLOAT_CONTEXTS[id(activation)] = FloatContext(activation)
    return ctx


# ---------------------------------------------------------- the engine --

def _jacobian_rows(ctx: Any, model: Model, v: Any, F: Features) -> list:
    """The columns of J in θ order: z_1..z_m, then v_i z′_i (SPEC §11 adds x_k-weighted and bias columns)."""
    m = len(v)
    return [F.z[i] for i in range(m)] + [ctx.scale(v[i], F.z1[i]) for i in range(m)]


def _add_curvature(model: Model, H: Any, v: Any, z1r: Any, z2r: Any) -> None:
    """Add 2[[0, diag(r·z′_i)], [diag(r·z′_i), diag(v_i r·z″_i)]] to H = 2JᵀJ, in place."""
    m = len(v)
    for i in range(m):
        c = 2 * z1r[i]
        H[i][m + i] += c
        H[m + i][i] += c
        H[m + i][m + i] += 2 * v[i] * z2r[i]


def _twice(a: Any) -> Any:
    return 2 * a


def _twice_product(v: Any, a: Any) -> Any:
    return 2 * v * a


def _inputs(ctx: Any, model: Model, x: Any, v: Any, w: Any) -> tuple[Any, Any, Any]:
    if model is not SCALAR:
        model.check()
    return ctx.data(x), ctx.param(v), ctx.param(w)


def output(ctx: Any, x: Any, v: Any, w: Any, *, model: Model = SCALAR) -> Any:
    """ŷ = Σ_i v_i σ(w_i x) (N values; K × N for a batch of K θ)."""
    xs, vs, ws = _inputs(ctx, model, x, v, w)
    return ctx.samples(ctx.combine(vs, ctx.features(xs, ws, 0).z))


def residual(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, model: Model = SCALAR) -> Any:
    """r = ŷ − y."""
    xs, vs, ws = _inputs(ctx, model, x, v, w)
    return ctx.samples(ctx.minus(ctx.combine(vs, ctx.features(xs, ws, 0).z), ctx.data(y)))


def loss(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, model: Model = SCALAR) -> Any:
    """E = ||y − ŷ||² (K values for a batch)."""
    xs, vs, ws = _inputs(ctx, model, x, v, w)
    return ctx.sumsq(ctx.minus(ctx.combine(vs, ctx.features(xs, ws, 0).z), ctx.data(y)))


def jacobian(ctx: Any, x: Any, v: Any, w: Any, *, model: Model = SCALAR) -> Any:
    """J = [z_1..z_m, v_1 z′_1..v_m z′_m] (N × 2m)."""
    xs, vs, ws = _inputs(ctx, model, x, v, w)
    return ctx.columns(_jacobian_rows(ctx, model, vs, ctx.features(xs, ws, 1)))


def derivatives(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, order: int = 2, model: Model = SCALAR) -> Derivatives:
    """E and, up to ``order`` (0, 1 or 2), ∇E = 2Jᵀr and ∇²E, from one evaluation of the features."""
    xs, vs, ws = _inputs(ctx, model, x, v, w)
    F = ctx.features(xs, ws, order)
    r = ctx.minus(ctx.combine(vs, F.z), ctx.data(y))
    out = Derivatives(F, r, ctx.sumsq(r))
    if order < 1:
        return out
    zr, z1r = ctx.dots(F.z, r), ctx.dots(F.z1, r)
    out.gradient = ctx.vector(ctx.join(ctx.each(_twice, zr), ctx.each(_twice_product, vs, z1r)))
    if order >= 2:
        H = ctx.gram(_jacobian_rows(ctx, model, vs, F), 2)
        _add_curvature(model, H, vs, z1r, ctx.dots(F.z2, r))
        out.hessian = ctx.matrix(H)
    return out


def gradient(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, model: Model = SCALAR) -> Any:
    """∇E = 2Jᵀr, θ = (v, w)."""
    return derivatives(ctx, x, y, v, w, order=1, model=model).gradient


def hessian(ctx: Any, x: Any, y: Any, v: Any, w: Any, *, model: Model = SCALAR) -> Any:
    """∇²E = 2JᵀJ + 2[[0, diag(r·z′_i)], [diag(r·z′_i), diag(v_i r·z″_i)]]."""
    return derivatives(ctx, x, y, v, w, order=2, model=model).hessian


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
