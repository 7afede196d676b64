"""The ResNet model of Kawaguchi & Bengio (arXiv:1810.09038): h(x) = W(x + V z(x, θ)).

Only what the value oracle of :mod:`basins.oracles.bounds` needs: the forward pass,
the loss, the full Jacobian of the outputs and the gradient, in float64.

The residual function z(x, θ) ∈ R^{d_z} is a stack of ``depth`` blocks of
width d_z (any activation σ)::

    u_1 = σ(A_1 x),    u_j = u_{j−1} + σ(A_j u_{j−1})  (j = 2..depth),    z = u_depth,

with A_1 ∈ R^{d_z×d_x} and A_j ∈ R^{d_z×d_z}.  The paper allows any z; this
one is deep and nonlinear, which is what its Theorem 2 is about.

Shapes follow the paper: samples are rows, X ∈ R^{N×d_x}, Y ∈ R^{N×d_y},
Z(X, θ) ∈ R^{N×d_z}, and the output matrix is Ĥ = (X + Z Vᵀ) Wᵀ ∈ R^{N×d_y}
with W ∈ R^{d_y×d_x}, V ∈ R^{d_x×d_z}.  Output vectors are vec(Ĥ) in
column-major order (all samples of output 1, then of output 2, ...), as in
the paper's vec.  Loss: basins' E = ||Ĥ − Y||_F² (no 1/2, no 1/N); the
paper's L (its Assumptions B1, B2) is E/N.  The flat parameter vector is
θ_all = (vec W, vec V, vec A_1, ..., vec A_depth), each vec column-major.

References
----------
K. Kawaguchi, Y. Bengio, *Depth with nonlinearity creates no bad local minima
in ResNets*, Neural Networks 118 (2019), Eq. (1) and Theorem 2
(arXiv:1810.09038).

Examples
--------
>>> import numpy as np
>>> p = random_resnet(d_x=3, d_z=2, d_y=1, depth=2, seed=0)
>>> X = np.ones((4, 3))
>>> resnet_output("tanh", X, p).shape
(4, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from basins.activations import Activation, as_activation
from basins.errors import InvalidArgument

__all__ = [
    "ResNetParams",
    "data",
    "forward",
    "targets",
    "random_resnet",
    "resnet_gradient",
    "resnet_jacobian",
    "resnet_loss",
    "resnet_output",
    "resnet_residual_features",
]


@dataclass(frozen=True)
class ResNetParams:
    """The trainable parameters (W, V, A_1..A_depth) of the model.

    Attributes
    ----------
    W : ndarray, shape (d_y, d_x)
    V : ndarray, shape (d_x, d_z)
    A : tuple of ndarray
        A_1 of shape (d_z, d_x), then A_2..A_depth of shape (d_z, d_z).
    """

    W: np.ndarray
    V: np.ndarray
    A: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        W = np.array(self.W, dtype=float)
        V = np.array(self.V, dtype=float)
        A = tuple(np.array(a, dtype=float) for a in self.A)
        if W.ndim != 2 or V.ndim != 2 or not A or any(a.ndim != 2 for a in A):
            raise InvalidArgument(
                f"W, V and A must be matrices and A non-empty; got shapes W={W.shape}, V={V.shape}, "
                f"A={[a.shape for a in A]}")
        d_y, d_x = W.shape
        d_z = V.shape[1]
        want = [(d_z, d_x)] + [(d_z, d_z)] * (len(A) - 1)
        if V.shape[0] != d_x or [a.shape for a in A] != want:
            raise InvalidArgument(
                f"shapes W={W.shape}, V={V.shape}, A={[a.shape for a in A]} are inconsistent: "
                f"need V ({d_x}, d_z) and A {want}")
        for arr in (W, V, *A):
            if not np.all(np.isfinite(arr)):
                raise InvalidArgument("ResNetParams has a NaN or infinite entry")
            arr.setflags(write=False)
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "V", V)
        object.__setattr__(self, "A", A)

    @property
    def dims(self) -> tuple[int, int, int, int]:
        """(d_x, d_z, d_y, depth)."""
        return self.W.shape[1], self.V.shape[1], self.W.shape[0], len(self.A)

    def flat(self) -> np.ndarray:
        """θ_all = (vec W, vec V, vec A_1, ...), each column-major."""
        return np.concatenate([m.ravel(order="F") for m in (self.W, self.V, *self.A)])

    @classmethod
    def from_flat(cls, theta: Any, d_x: int, d_z: int, d_y: int, depth: int) -> ResNetParams:
        """The inverse of :meth:`flat`."""
        theta = np.asarray(theta, dtype=float).ravel()
        shapes = [(d_y, d_x), (d_x, d_z), (d_z, d_x)] + [(d_z, d_z)] * (depth - 1)
        need = sum(a * b for a, b in shapes)
        if theta.size != need:
            raise InvalidArgument(f"theta has {theta.size} entries; dims {(d_x, d_z, d_y, depth)} need {need}")
        out, k = [], 0
        for a, b in shapes:
            out.append(theta[k:k + a * b].reshape((a, b), order="F"))
            k += a * b
        return cls(out[0], out[1], tuple(out[2:]))


def random_resnet(d_x: int, d_z: int, d_y: int, depth: int = 2, *, seed: int = 0,
                  scale: float = 1.0) -> ResNetParams:
    """Gaussian parameters with standard deviation scale/√(fan-in), seeded."""
    for name, val in (("d_x", d_x), ("d_z", d_z), ("d_y", d_y), ("depth", depth)):
        if not isinstance(val, (int, np.integer)) or val < 1:
            raise InvalidArgument(f"{name}={val!r} must be a positive integer")
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((d_y, d_x)) * scale / np.sqrt(d_x)
    V = rng.standard_normal((d_x, d_z)) * scale / np.sqrt(d_z)
    A = [rng.standard_normal((d_z, d_x)) * scale / np.sqrt(d_x)]
    A += [rng.standard_normal((d_z, d_z)) * scale / np.sqrt(d_z) for _ in range(depth - 1)]
    return ResNetParams(W, V, tuple(A))


def data(X: Any, d_x: int, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != d_x or X.shape[0] == 0:
        raise InvalidArgument(f"{name} has shape {X.shape}; expected (N, {d_x})")
    if not np.all(np.isfinite(X)):
        raise InvalidArgument(f"{name} has a NaN or infinite entry")
    return X


def forward(act: Activation, X: np.ndarray, p: ResNetParams) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations G_j and block outputs U_j (U_0 = X), each (N, ·)."""
    s0 = act.numpy(0)
    G, U = [], [X]
    for j, a in enumerate(p.A):
        g = U[-1] @ a.T
        G.append(g)
        U.append(s0(g) if j == 0 else U[-1] + s0(g))
    return G, U


def resnet_residual_features(activation: Activation | str, X: Any, params: ResNetParams) -> np.ndarray:
    """Z(X, θ) ∈ R^{N×d_z}: the residual representation of every sample."""
    act = as_activation(activation)
    X = data(X, params.dims[0])
    return forward(act, X, params)[1][-1]


def resnet_output(activation: Activation | str, X: Any, params: ResNetParams) -> np.ndarray:
    """Ĥ = (X + Z Vᵀ) Wᵀ ∈ R^{N×d_y} (Eq. (1) of Kawaguchi & Bengio, arXiv:1810.09038; samples as rows)."""
    act = as_activation(activation)
    X = data(X, params.dims[0])
    Z = forward(act, X, params)[1][-1]
    return (X + Z @ params.V.T) @ params.W.T


def targets(Y: Any, N: int, d_y: int) -> np.ndarray:
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.shape != (N, d_y) or not np.all(np.isfinite(Y)):
        raise InvalidArgument(f"Y has shape {Y.shape} (or a non-finite entry); expected finite ({N}, {d_y})")
    return Y


def resnet_loss(activation: Activation | str, X: Any, Y: Any, params: ResNetParams) -> float:
    """E = ||Ĥ − Y||_F² (basins' convention; the paper's L is E/N)."""
    H = resnet_output(activation, X, params)
    R = H - targets(Y, *H.shape)
    return float(np.sum(R * R))


def resnet_jacobian(activation: Activation | str, X: Any, params: ResNetParams) -> np.ndarray:
    """∂vec(Ĥ)/∂θ_all, shape (N·d_y, number of parameters), at a differentiable point.

    Rows are vec(Ĥ) (column-major), columns follow :meth:`ResNetParams.flat`.
    At a point where some pre-activation sits on a nonsmooth point of σ the
    one-sided value that σ′'s sympy form gives there is used.
    """
    act = as_activation(activation)
    d_x, d_z, d_y, depth = params.dims
    X = data(X, d_x)
    N = X.shape[0]
    G, U = forward(act, X, params)
    s1 = act.numpy(1)
    S = [s1(g) for g in G]                      # σ′(G_j), (N, d_z)
    Z = U[-1]
    Q = X + Z @ params.V.T                      # (N, d_x)
    blocks_per_output = []
    for o in range(d_y):
        # W[o', c]: ∂H[i, o]/∂W[o', c] = δ_{o o'} Q[i, c]; column index o' + d_y·c.
        jW = np.zeros((N, d_y, d_x))
        jW[:, o, :] = Q
        # V[c, k]: ∂H[i, o]/∂V[c, k] = W[o, c] Z[i, k]; column index c + d_x·k.
        jV = params.W[o][None, :, None] * Z[:, None, :]
        cols = [_vec_cols(jW), _vec_cols(jV)]
        # Backpropagate the adjoint of Z, the row W[o] V (same for every sample).
        adj = np.broadcast_to(params.W[o] @ params.V, (N, d_z)).copy()
        jA: list[np.ndarray] = [np.empty(0)] * depth
        for j in range(depth - 1, -1, -1):
            delta = adj * S[j]                  # ∂H/∂G_j, (N, d_z)
            jA[j] = _vec_cols(delta[:, :, None] * U[j][:, None, :])
            if j > 0:
                adj = adj + delta @ params.A[j]
        cols += jA
        blocks_per_output.append(np.hstack(cols))
    return np.vstack(blocks_per_output)


def _vec_cols(T: np.ndarray) -> np.ndarray:
    """(N, a, b) per-sample derivatives with respect to an a×b matrix -> (N, a·b), column-major vec."""
    return T.transpose(0, 2, 1).reshape(T.shape[0], -1)


def resnet_gradient(activation: Activation | str, X: Any, Y: Any, params: ResNetParams) -> np.ndarray:
    """∇E = 2 Jᵀ vec(Ĥ − Y) with respect to θ_all."""
    H = resnet_output(activation, X, params)
    R = H - targets(Y, *H.shape)
    return 2.0 * resnet_jacobian(activation, X, params).T @ R.ravel(order="F")
