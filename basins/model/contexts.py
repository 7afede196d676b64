"""The arithmetic contexts of the network engine (:mod:`basins.model.engine`).

A context supplies the features z_i = σ(X̃w_i), z′ and z″ of the neurons over
the samples and a handful of linear-algebra primitives; the engine writes the
loss, gradient and Hessian once against them.  float64 numpy (one θ or a batch),
mpmath, python-flint balls, exact rationals, and the one-sided piecewise-linear
context of Theorem 7.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

import mpmath
import numpy as np

__all__ = ["Features", "FloatContext", "MpmathContext", "BallContext", "ExactContext", "OneSidedContext",
           "float_context", "pairs"]


@dataclass
class Features:
    """z, z′, z″ per neuron (a stack of m sample vectors each; None above the order asked) and the
    pre-activations u_ij = w_i x_j."""

    z: Any
    z1: Any = None
    z2: Any = None
    u: Any = None



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
        """z, z′, z″ of the m neurons over the samples.

        Scalar model: ``x`` a list of N scalars, ``w`` of m scalars; z′_i = x∘σ′(w_i x),
        z″_i = x∘x∘σ″(w_i x).  General model: ``x`` a list of N rows x̃_n, ``w`` of m rows
        w_i (D entries each); z′ holds the m·D vectors x̃_{:,k}∘σ′(X̃w_i) (index i·D + k) and z″
        the m·P vectors x̃_{:,k}∘x̃_{:,l}∘σ″(X̃w_i), k ≤ l (index i·P + p, P = D(D+1)/2).
        """
        z: list = []
        z1: list = []
        z2: list = []
        us: list = []
        general = bool(x) and isinstance(x[0], list)
        D = len(x[0]) if general else 1
        kl = pairs(D)
        for i, wi in enumerate(w):
            zi, ui = [], []
            z1i: list = [[] for _ in range(D)]
            z2i: list = [[] for _ in kl]
            for xj in x:
                if general:
                    u = self.total(wi[k] * xj[k] for k in range(D))
                    s = self.derivs(i, xj[0] if D == 1 else xj, u, order)
                    row = xj
                else:
                    u = wi * xj
                    s = self.derivs(i, xj, u, order)
                    row = (xj,)
                zi.append(s[0])
                if order >= 1:
                    for k in range(D):
                        z1i[k].append(row[k] * s[1])
                if order >= 2:
                    for p, (k, l) in enumerate(kl):
                        z2i[p].append(row[k] * row[l] * s[2])
                ui.append(u)
            z.append(zi)
            z1.extend(z1i)
            z2.extend(z2i)
            us.append(ui)
        return Features(z, z1 if order >= 1 else None, z2 if order >= 2 else None, us)

    def rows(self, x: Any, model: Any) -> list:
        """X̃ as N rows of D scalars (x given as N scalars when d = 1, or N rows of d)."""
        ones = [self.scalar(1)] if model.hidden_bias else []
        out = []
        for xj in _seq(x):
            row = [self.scalar(e) for e in (_seq(xj) if _is_seq(xj) else [xj])]
            _check_dim("x", len(row), model.input_dim)
            out.append(row + ones)
        return out

    def weights(self, w: Any, model: Any) -> list:
        """w as m rows of D scalars (m scalars accepted when D = 1)."""
        out = [[self.scalar(e) for e in (_seq(wi) if _is_seq(wi) else [wi])] for wi in _seq(w)]
        for row in out:
            _check_dim("w", len(row), model.D)
        return out

    def bias(self, c: Any) -> Any:
        return self.scalar(c)

    def shift(self, a: list, c: Any) -> list:
        return [e + c for e in a]

    def ones_like(self, r: list) -> list:
        one = self.scalar(1)
        return [one] * len(r)

    def sum_entries(self, r: list) -> list:
        """Σ_n r_n, as a 1-vector (the output bias's entry of Jᵀr)."""
        return [self.total(r)]

    def repeat(self, v: list, D: int) -> list:
        return [e for e in v for _ in range(D)]

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

    def join(self, *parts: Any) -> list:
        """Vectors one after the other (the blocks of ∇E)."""
        return [e for part in parts for e in part]

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


def _seq(a: Any) -> list:
    return a.tolist() if isinstance(a, np.ndarray) else list(a)


def _is_seq(a: Any) -> bool:
    return isinstance(a, (list, tuple, np.ndarray))


def _check_dim(name: str, got: int, want: int) -> None:
    if got != want:
        what = "the input dimension d" if name == "x" else "D = d + 1 with a hidden bias, else d"
        raise ValueError(f"{name} has rows of {got} numbers; the model needs {want} ({what})")


def pairs(D: int) -> list[tuple[int, int]]:
    """The index pairs k ≤ l of a symmetric D × D matrix, row by row."""
    return [(k, l) for k in range(D) for l in range(k, D)]


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
        if isinstance(xj, list):
            raise ValueError("the one-sided (piecewise-linear) context is for scalar inputs: "
                             "Theorem 7 is a statement about d = 1")
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

    def rows(self, x: Any, model: Any) -> np.ndarray:
        """X̃, shape (N, D)."""
        X = np.asarray(x, dtype=float)
        X = X.reshape(X.shape[0], -1) if X.ndim else X.reshape(1, 1)
        _check_dim("x", X.shape[1], model.input_dim)
        if model.hidden_bias:
            X = np.hstack([X, np.ones((X.shape[0], 1))])
        return X

    def weights(self, w: Any, model: Any, batch: bool = False) -> np.ndarray:
        """w as (m, D), or (m, D, K) for a batch of K (given as (K, m, D), or (K, m) when D = 1)."""
        W = np.asarray(w, dtype=float)
        _check_dim("w", W.shape[-1] if W.ndim == (3 if batch else 2) else 1, model.D)
        if not batch:
            return W.reshape(-1, model.D)
        W = W.reshape(W.shape[0], -1, model.D)
        return np.ascontiguousarray(W.transpose(1, 2, 0))

    def bias(self, c: Any) -> Any:
        c = np.asarray(c, dtype=float)
        return float(c) if c.ndim == 0 else c.ravel()

    def shift(self, a: np.ndarray, c: Any) -> np.ndarray:
        return a + c

    def ones_like(self, r: np.ndarray) -> np.ndarray:
        return np.ones_like(r)

    def sum_entries(self, r: np.ndarray) -> np.ndarray:
        return r.sum(axis=0)[None]

    def repeat(self, v: np.ndarray, D: int) -> np.ndarray:
        return v if D == 1 else np.repeat(v, D, axis=0)

    def features(self, x: np.ndarray, w: np.ndarray, order: int) -> Features:
        """Scalar model: x (N,), w (m,) or (m, K).  General model: X̃ (N, D), w (m, D) or (m, D, K);
        z′ and z″ are then (m·D, N[, K]) and (m·P, N[, K]) as in :meth:`_ListContext.features`."""
        if x.ndim == 2:
            return self._features_general(x, w, order)
        xb = x if w.ndim == 1 else x[:, None]
        u = w[:, None, ...] * xb
        z = self._sigma(0)(u)
        z1 = xb * self._sigma(1)(u) if order >= 1 else None
        z2 = xb * xb * self._sigma(2)(u) if order >= 2 else None
        return Features(z, z1, z2, u)

    def _features_general(self, X: np.ndarray, w: np.ndarray, order: int) -> Features:
        batch = w.ndim == 3
        u = np.einsum("nd,mdk->mnk", X, w) if batch else w @ X.T
        m, N = u.shape[0], u.shape[1]
        tail = u.shape[2:]
        z = self._sigma(0)(u)
        Xt = X.T if not batch else X.T[:, :, None]                  # (D, N[, 1])
        z1 = z2 = None
        if order >= 1:
            z1 = (self._sigma(1)(u)[:, None] * Xt[None]).reshape((m * X.shape[1], N) + tail)
        if order >= 2:
            XX = np.stack([Xt[k] * Xt[l] for k, l in pairs(X.shape[1])])
            z2 = (self._sigma(2)(u)[:, None] * XX[None]).reshape((m * XX.shape[0], N) + tail)
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

    def join(self, *parts: np.ndarray) -> np.ndarray:
        return np.concatenate(parts)

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


