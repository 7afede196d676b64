"""The deep fully connected network of SPEC §8: forward pass, loss, gradient, Jacobian.

Layers h = 1..H with activations σ_h and one linear output layer:

    T_0 = X,   T_h = σ_h(W_h T_{h−1}) (h = 1..H),   Ŷ = W_{H+1} T_H,
    E(W) = ||Y − Ŷ||_F²   (no factor 1/2, as in SPEC §0)

Shapes: X is (d_0, N), Y is (d_out, N), W_h is (d_h, d_{h−1}); ``widths`` is
(d_0, d_1, ..., d_H, d_out).  Parameters are flattened as θ = (vec W_1, ...,
vec W_{H+1}), each W_h in row-major (C) order.  Everything is float64 numpy;
the loss and gradient need no per-sample Python loop.

References
----------
D. Li, T. Ding, R. Sun, *On the Benefit of Width for Neural Networks:
Disappearance of Basins*, §2 (the network (1)-(2)) and §3.1 (Property PT).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from basins.activations import Activation, as_activation
from basins.errors import InvalidArgument
from basins.model import engine

__all__ = [
    "DeepNetwork",
    "deep_network",
    "random_weights",
    "forward",
    "output",
    "loss",
    "gradient",
    "jacobian",
    "pack",
    "unpack",
]


@dataclass(frozen=True)
class DeepNetwork:
    """Architecture of a fully connected network: widths and per-layer activations.

    Attributes
    ----------
    widths : tuple of int
        (d_0, d_1, ..., d_H, d_out); H = len(widths) − 2 hidden layers.
    activations : tuple of Activation
        σ_1..σ_H, one per hidden layer.
    """

    widths: tuple[int, ...]
    activations: tuple[Activation, ...]

    @property
    def depth(self) -> int:
        """H, the number of hidden layers."""
        return len(self.widths) - 2

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """Shapes of W_1..W_{H+1}: (d_h, d_{h−1})."""
        return tuple((self.widths[h], self.widths[h - 1]) for h in range(1, len(self.widths)))

    @property
    def n_params(self) -> int:
        """Number of scalar parameters."""
        return int(sum(a * b for a, b in self.shapes))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON description (activations as re-parseable text)."""
        return {"widths": list(self.widths), "activations": [a.text for a in self.activations]}


def deep_network(widths: Sequence[int], activation: "Activation | str | Sequence[Activation | str]") -> DeepNetwork:
    """Build a :class:`DeepNetwork`, checking the widths and activations.

    Parameters
    ----------
    widths : sequence of int
        (d_0, d_1, ..., d_H, d_out), at least three entries, all ≥ 1.
    activation : Activation, str, or sequence of them
        One activation for every hidden layer, or one per hidden layer.

    Returns
    -------
    DeepNetwork

    Raises
    ------
    InvalidArgument
        If a width is not a positive integer, there are fewer than three
        widths, or the number of activations is not H.

    References
    ----------
    Li, Ding & Sun, §2, network (1).

    Examples
    --------
    >>> net = deep_network([1, 4, 3, 1], "tanh")
    >>> net.depth, net.shapes, net.n_params
    (2, ((4, 1), (3, 4), (1, 3)), 19)
    """
    try:
        ws = tuple(int(d) for d in widths)
    except (TypeError, ValueError):
        raise InvalidArgument(f"widths={widths!r} must be a sequence of positive integers") from None
    if len(ws) < 3:
        raise InvalidArgument(f"widths={list(ws)!r} needs at least 3 entries (d_0, d_1, d_out)")
    if any(d < 1 for d in ws) or any(int(d) != d for d in widths):
        raise InvalidArgument(f"widths={list(widths)!r} must be positive integers")
    H = len(ws) - 2
    if isinstance(activation, (str, Activation)) or not isinstance(activation, Sequence):
        acts = tuple(as_activation(activation) for _ in range(H))  # type: ignore[arg-type]
    else:
        acts = tuple(as_activation(a) for a in activation)
        if len(acts) != H:
            raise InvalidArgument(
                f"activation has {len(acts)} entries but widths={list(ws)!r} has H={H} hidden layers")
    return DeepNetwork(ws, acts)


def random_weights(net: DeepNetwork, seed: int | None = 0, *, scale: float = 1.0) -> list[np.ndarray]:
    """Gaussian weights W_h with entries N(0, scale²/d_{h−1}).

    Examples
    --------
    >>> [W.shape for W in random_weights(deep_network([2, 5, 1], "tanh"), seed=1)]
    [(5, 2), (1, 5)]
    """
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * (scale / np.sqrt(s[1])) for s in net.shapes]


def _check(net: DeepNetwork, weights: Sequence[Any], X: Any, Y: Any | None = None
           ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray | None]:
    Ws = [np.asarray(W, dtype=float) for W in weights]
    if len(Ws) != len(net.shapes):
        raise InvalidArgument(f"weights has {len(Ws)} matrices, expected H+1={len(net.shapes)}")
    for h, (W, s) in enumerate(zip(Ws, net.shapes), start=1):
        if W.shape != s:
            raise InvalidArgument(f"weights[{h - 1}] (W_{h}) has shape {W.shape}, expected {s}")
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim == 1:
        Xa = Xa[None, :]
    if Xa.ndim != 2 or Xa.shape[0] != net.widths[0]:
        raise InvalidArgument(f"X has shape {np.shape(X)}, expected (d_0={net.widths[0]}, N)")
    Ya = None
    if Y is not None:
        Ya = np.asarray(Y, dtype=float)
        if Ya.ndim == 1:
            Ya = Ya[None, :]
        if Ya.shape != (net.widths[-1], Xa.shape[1]):
            raise InvalidArgument(
                f"Y has shape {np.shape(Y)}, expected (d_out={net.widths[-1]}, N={Xa.shape[1]})")
    return Ws, Xa, Ya


def _shallow(net: DeepNetwork) -> bool:
    """Widths [1, m, 1]: the network of SPEC §0, whose maths is :mod:`basins.model.engine`'s (v = W_2, w = W_1)."""
    return len(net.widths) == 3 and net.widths[0] == 1 and net.widths[-1] == 1


def _vw(Ws: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return Ws[1].ravel(), Ws[0].ravel()


def forward(net: DeepNetwork, weights: Sequence[Any], X: Any) -> list[np.ndarray]:
    """The layer outputs [T_0 = X, T_1, ..., T_H, Ŷ]; T_h has shape (d_h, N).

    Examples
    --------
    >>> net = deep_network([1, 2, 1], "relu")
    >>> Ts = forward(net, [[[1.0], [-1.0]], [[1.0, 2.0]]], [[1.0, -2.0]])
    >>> Ts[1].tolist(), Ts[2].tolist()
    ([[1.0, 0.0], [0.0, 2.0]], [[1.0, 4.0]])
    """
    Ws, T, _ = _check(net, weights, X)
    Ts = [T]
    for W, act in zip(Ws[:-1], net.activations):
        T = act.numpy(0)(W @ T)
        Ts.append(T)
    Ts.append(Ws[-1] @ T)
    return Ts


def output(net: DeepNetwork, weights: Sequence[Any], X: Any) -> np.ndarray:
    """Ŷ = W_{H+1} T_H, shape (d_out, N)."""
    if _shallow(net):
        Ws, Xa, _ = _check(net, weights, X)
        return engine.output(engine.float_context(net.activations[0]), Xa, *_vw(Ws))[None, :]
    return forward(net, weights, X)[-1]


def loss(net: DeepNetwork, weights: Sequence[Any], X: Any, Y: Any) -> float:
    """E = ||Y − Ŷ||_F².

    Examples
    --------
    >>> net = deep_network([1, 2, 1], "relu")
    >>> loss(net, [[[1.0], [-1.0]], [[1.0, 2.0]]], [[1.0, -2.0]], [[0.0, 0.0]])
    17.0
    """
    Ws, Xa, Ya = _check(net, weights, X, Y)
    if _shallow(net):
        return float(engine.loss(engine.float_context(net.activations[0]), Xa, Ya, *_vw(Ws)))
    R = output(net, Ws, Xa) - Ya
    return float(np.sum(R * R))


def _backward(net: DeepNetwork, Ws: list[np.ndarray], Xa: np.ndarray
              ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Layer outputs and the derivatives σ_h′(W_h T_{h−1}), shape (d_h, N)."""
    Ts = [Xa]
    Ds = []
    T = Xa
    for W, act in zip(Ws[:-1], net.activations):
        U = W @ T
        T = act.numpy(0)(U)
        Ds.append(act.numpy(1)(U))
        Ts.append(T)
    return Ts, Ds


def gradient(net: DeepNetwork, weights: Sequence[Any], X: Any, Y: Any) -> list[np.ndarray]:
    """∇E as a list of matrices shaped like W_1..W_{H+1} (backpropagation).

    With R = Ŷ − Y: ∂E/∂W_{H+1} = 2 R T_Hᵀ, and G_H = W_{H+1}ᵀ 2R,
    Δ_h = G_h ∘ σ_h′(W_h T_{h−1}), ∂E/∂W_h = Δ_h T_{h−1}ᵀ, G_{h−1} = W_hᵀ Δ_h.
    At a non-smooth point of σ the value of the derivative expression there
    is used (a one-sided derivative for relu-like σ).
    """
    Ws, Xa, Ya = _check(net, weights, X, Y)
    if _shallow(net):
        g = engine.gradient(engine.float_context(net.activations[0]), Xa, Ya, *_vw(Ws))
        m = net.widths[1]
        return [g[m:].reshape(m, 1), g[:m].reshape(1, m)]
    Ts, Ds = _backward(net, Ws, Xa)
    R = Ws[-1] @ Ts[-1] - Ya
    G = 2.0 * R
    grads: list[np.ndarray] = [G @ Ts[-1].T]
    G = Ws[-1].T @ G
    for h in range(len(Ws) - 2, -1, -1):
        Delta = G * Ds[h]
        grads.append(Delta @ Ts[h].T)
        if h > 0:
            G = Ws[h].T @ Delta
    return grads[::-1]


def jacobian(net: DeepNetwork, weights: Sequence[Any], X: Any) -> np.ndarray:
    """∂ vec(Ŷ)/∂θ, shape (d_out·N, n_params); rows are ordered (output k, sample j) row-major.

    So ∇E = 2 Jᵀ vec(Ŷ − Y) with vec in row-major order, matching
    :func:`gradient` flattened by :func:`pack`.
    """
    Ws, Xa, _ = _check(net, weights, X)
    if _shallow(net):
        J = engine.jacobian(engine.float_context(net.activations[0]), Xa, *_vw(Ws))
        m = net.widths[1]
        return np.hstack([J[:, m:], J[:, :m]])
    Ts, Ds = _backward(net, Ws, Xa)
    dout, N = net.widths[-1], Xa.shape[1]
    blocks: list[np.ndarray] = []
    # output layer: ∂Ŷ[k, j]/∂W_{H+1}[k', i] = δ_{kk'} T_H[i, j]
    TH = Ts[-1]
    B = np.zeros((dout, N, dout, TH.shape[0]))
    for k in range(dout):
        B[k, :, k, :] = TH.T
    blocks.append(B.reshape(dout * N, -1))
    # back-propagated sensitivities S_h[k, j, a] = ∂Ŷ[k, j]/∂U_h[a, j], U_h = W_h T_{h−1}
    S = np.broadcast_to(Ws[-1][:, None, :], (dout, N, Ws[-1].shape[1])) * Ds[-1].T[None, :, :]
    hidden_blocks: list[np.ndarray] = []
    for h in range(len(Ws) - 2, -1, -1):
        # ∂Ŷ[k, j]/∂W_h[a, b] = S[k, j, a] T_{h−1}[b, j]
        Jh = S[:, :, :, None] * Ts[h].T[None, :, None, :]
        hidden_blocks.append(Jh.reshape(dout * N, -1))
        if h > 0:
            S = np.einsum("kja,ab->kjb", S, Ws[h]) * Ds[h - 1].T[None, :, :]
    return np.hstack(hidden_blocks[::-1] + blocks)


def pack(weights: Sequence[Any]) -> np.ndarray:
    """θ = (vec W_1, ..., vec W_{H+1}) in row-major order."""
    return np.concatenate([np.asarray(W, dtype=float).ravel() for W in weights])


def unpack(net: DeepNetwork, theta: Any) -> list[np.ndarray]:
    """Inverse of :func:`pack` for the network's shapes."""
    theta = np.asarray(theta, dtype=float).ravel()
    if theta.size != net.n_params:
        raise InvalidArgument(f"theta has {theta.size} entries, expected n_params={net.n_params}")
    out, k = [], 0
    for a, b in net.shapes:
        out.append(theta[k:k + a * b].reshape(a, b))
        k += a * b
    return out
