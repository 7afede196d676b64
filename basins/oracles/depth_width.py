"""The deep-network value identity of Kawaguchi, Huang & Kaelbling (arXiv:1811.08150).

At a differentiable local minimum of a deep fully connected network
(:mod:`basins.model.deep`) with squared loss, the loss equals the projection
value ||P_N[J] vec Y||² (:func:`deep_value_identity`), and the paper's
Theorem 1 writes that value through explicit Kronecker path sums D_k^{(l)}
(:func:`deep_d_blocks`) and a Gram–Schmidt sum over them
(:func:`gram_schmidt_value`); :func:`deep_theorem1` computes the formula as
written and compares it with the projection form.  The paper's loss is
L = E/2 in basins' E (see :mod:`basins.oracles.common`).

References
----------
K. Kawaguchi, J. Huang, L. P. Kaelbling, *Effect of Depth and Width on Local
Minima in Deep Learning*, Neural Computation 31 (2019), arXiv:1811.08150,
Theorem 1, Lemmas 1–3 and Appendix C.
K. Kawaguchi, J. Huang, L. P. Kaelbling, *Every Local Minimum Value Is the
Global Minimum Value of Induced Model in Nonconvex Machine Learning*, Neural
Computation 31 (2019), arXiv:1904.03673, Theorem 1.

Examples
--------
>>> from basins.model import deep
>>> net = deep.deep_network([1, 2, 1], "tanh")
>>> deep_value_identity(net, deep.random_weights(net, seed=0), [[1.0, 2.0]], [[0.5, -1.0]]).rows
2
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from basins.errors import InvalidArgument
from basins.oracles.common import (
    DEFAULT_RTOL,
    DEPTH_PAPER,
    ValueIdentity,
    as_matrix,
    check_tolerances,
    float_figures,
    identity_result,
    paper_scales,
    rank_tolerance,
    require_differentiable,
)

__all__ = [
    "GS_TOL_FACTOR",
    "MAX_PATHS",
    "DeepFormula",
    "deep_d_blocks",
    "deep_theorem1",
    "deep_value_identity",
    "gram_schmidt_value",
]

#: Block Gram–Schmidt keeps a deflated direction above this multiple of the rank cut-off.
GS_TOL_FACTOR = 16.0

#: The path sums of Theorem 1 are refused above this many terms.
MAX_PATHS = 200_000


def _deep_preacts(net: Any, Ws: list[np.ndarray], X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Layer outputs T_0..T_H and pre-activations U_1..U_H (basins.model.deep's layout: (d_h, N))."""
    Ts, Us = [X], []
    T = X
    for W, act in zip(Ws[:-1], net.activations):
        U = W @ T
        Us.append(U)
        T = act.numpy(0)(U)
        Ts.append(T)
    return Ts, Us


def _deep_inputs(net: Any, weights: Sequence[Any], X: Any, Y: Any | None = None
                 ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Checked weights, X and Y (Y is returned as an empty array when not given)."""
    from basins.model import deep

    if not isinstance(net, deep.DeepNetwork):
        raise InvalidArgument(f"net={net!r} must be a basins.model.deep.DeepNetwork (see deep.deep_network)")
    Xa = deep.forward(net, weights, X)[0]          # checks the weights' shapes and X
    Ws = [np.asarray(W, dtype=float) for W in weights]
    if Y is None:
        return Ws, Xa, np.empty((0, Xa.shape[1]))
    Ya = np.asarray(Y, dtype=float)
    if Ya.ndim == 1:
        Ya = Ya[None, :]
    if Ya.shape != (net.widths[-1], Xa.shape[1]):
        raise InvalidArgument(f"Y has shape {np.shape(Y)}, expected (d_out={net.widths[-1]}, N={Xa.shape[1]})")
    return Ws, Xa, Ya


def deep_value_identity(net: Any, weights: Sequence[Any], X: Any, Y: Any, *,
                        rtol: float = DEFAULT_RTOL, atol: float = 0.0,
                        rank_tol: float | None = None) -> ValueIdentity:
    """The value identity for a deep fully connected network of :mod:`basins.model.deep`.

    J = ∂vec(Ŷ)/∂θ from :func:`basins.model.deep.jacobian`; Ŷ = W_{H+1} T_H lies in
    col J through the last layer, for any σ (relu, leaky relu, abs, smooth).

    Parameters
    ----------
    net : basins.model.deep.DeepNetwork
    weights : sequence of arrays
        W_1..W_{H+1} in basins.model.deep's layout (W_h of shape (d_h, d_{h−1})).
    X, Y : array_like
        (d_0, N) and (d_out, N).
    rtol, atol, rank_tol : float
        See :func:`~basins.oracles.induced.check_value_identity`.  Near a critical point where J is
        nearly rank deficient (s_min ≪ ||∇E||), a larger ``rank_tol`` treats
        the weak directions as absent.

    Returns
    -------
    ValueIdentity

    Raises
    ------
    InvalidArgument
        Shapes that do not fit ``net``.
    NotApplicable
        A pre-activation sits on a nonsmooth point of its layer's σ.

    References
    ----------
    Kawaguchi, Huang & Kaelbling, *Every Local Minimum Value Is the Global Minimum
    Value of Induced Model in Nonconvex Machine Learning*, arXiv:1904.03673, Theorem 1;
    Kawaguchi, Huang & Kaelbling, *Effect of Depth and Width on Local Minima in Deep
    Learning*, arXiv:1811.08150, Theorem 1 (with L = E/2).

    Examples
    --------
    >>> from basins.model import deep
    >>> net = deep.deep_network([1, 3, 1], "relu")
    >>> res = deep_value_identity(net, deep.random_weights(net, seed=0), [[1.0, 2.0, -1.0]], [[0.0, 1.0, 2.0]])
    >>> res.rows, res.cols, res.holds       # 3 outputs, 6 weights; a random point is not critical
    (3, 6, False)
    """
    from basins.model import deep

    check_tolerances(rtol, atol)
    Ws, Xa, Ya = _deep_inputs(net, weights, X, Y)
    Ts, Us = _deep_preacts(net, Ws, Xa)
    for h, (U, act) in enumerate(zip(Us, net.activations), start=1):
        require_differentiable(act, U, f"layer {h}", Ts[h - 1])
    J = deep.jacobian(net, Ws, Xa)
    Yhat = deep.output(net, Ws, Xa)
    yhat = Yhat.ravel()                         # row-major (output k, sample j), as deep.jacobian's rows
    r = yhat - Ya.ravel()
    f = float_figures(J, r, yhat, rank_tol)
    return identity_result(f, rtol=rtol, atol=atol,
                   model=f"deep network, widths {list(net.widths)}, σ = {[a.text for a in net.activations]}",
                   details=paper_scales(float(f["loss"]), Xa.shape[1]))


def deep_d_blocks(net: Any, weights: Sequence[Any], X: Any) -> list[list[np.ndarray]]:
    """The matrices D_{k_l}^{(l)} of Theorem 1 of the depth-and-width paper, computed as written.

    In the paper's notation (samples as rows, W^{(l)} = W_lᵀ of basins.model.deep,
    Φ^{(l)} = T_lᵀ, Λ^{l,k} = diag σ_l′ of unit k's pre-activations)::

        D_{k_l}^{(l)} = Σ_{k_{l+1}..k_H} (W^{(l+1)}_{k_l,k_{l+1}} ⋯ W^{(H)}_{k_{H−1},k_H} W^{(H+1)}_{k_H,·})ᵀ
                        ⊗ Λ^{l,k_l} ⋯ Λ^{H,k_H} Φ^{(l−1)},

    one explicit Kronecker term per path k_{l+1}..k_H; and D_1^{(H+1)} =
    I_{d_y} ⊗ Φ^{(H)}.  The rows are vec(Ŷ) (the paper's column-major vec of the
    N×d_y matrix, which is basins.model.deep's row order).  D_{k}^{(l)} is the block
    of ∂vec(Ŷ)/∂θ for the weights into unit k of layer l (the row k of
    basins.model.deep's W_l), so the blocks are an independent form of the Jacobian.

    Returns
    -------
    list of list of ndarray
        ``blocks[l-1][k-1]`` = D_k^{(l)} for l = 1..H+1 (the last list has one
        block), each of shape (d_y·N, d_{l−1}) (last: (d_y·N, d_y·d_H)).

    Raises
    ------
    InvalidArgument
        Shapes that do not fit ``net``, or more than :data:`MAX_PATHS` path
        terms in total.

    References
    ----------
    Kawaguchi, Huang & Kaelbling, *Effect of Depth and Width on Local Minima in Deep
    Learning*, arXiv:1811.08150, Theorem 1 and Lemma 1.

    Examples
    --------
    >>> from basins.model import deep
    >>> net = deep.deep_network([2, 3, 1], "relu")
    >>> [[b.shape for b in layer] for layer in deep_d_blocks(net, deep.random_weights(net), [[1, 2], [3, -1]])]
    [[(2, 2), (2, 2), (2, 2)], [(2, 3)]]
    """
    Ws, Xa, _ = _deep_inputs(net, weights, X)
    H = net.depth
    widths = net.widths
    d_y, N = widths[-1], Xa.shape[1]
    total = sum(widths[l] * math.prod(widths[l + 1:H + 1]) for l in range(1, H + 1))
    if total > MAX_PATHS:
        raise InvalidArgument(
            f"the path sums of Theorem 1 of {DEPTH_PAPER} for widths {list(widths)} have {total} terms "
            f"(> MAX_PATHS={MAX_PATHS}); use deep_value_identity (the projection form) instead")
    Ts, Us = _deep_preacts(net, Ws, Xa)
    Lam = [act.numpy(1)(U) for act, U in zip(net.activations, Us)]   # Λ^{l,k} diagonals: Lam[l-1][k]
    Phi = [T.T for T in Ts]                                          # Φ^{(l)} (N × d_l)
    Wp = [W.T for W in Ws]                                           # W^{(l)} (d_{l−1} × d_l)
    blocks: list[list[np.ndarray]] = []
    for l in range(1, H + 1):
        layer = []
        for k in range(widths[l]):
            D = np.zeros((d_y * N, widths[l - 1]))
            for path in itertools.product(*[range(widths[h]) for h in range(l + 1, H + 1)]):
                ks = (k, *path)                                      # k_l, k_{l+1}, ..., k_H
                coeff = 1.0
                for h in range(l + 1, H + 1):
                    coeff *= Wp[h - 1][ks[h - 1 - l], ks[h - l]]     # W^{(h)}_{k_{h−1}, k_h}
                c = coeff * Wp[H][ks[-1], :]                         # (… W^{(H+1)}_{k_H,·})ᵀ, a d_y vector
                lam = np.ones(N)
                for h in range(l, H + 1):
                    lam = lam * Lam[h - 1][ks[h - l]]                # Λ^{l,k_l} ⋯ Λ^{H,k_H}
                D += np.kron(c[:, None], lam[:, None] * Phi[l - 1])
            layer.append(D)
        blocks.append(layer)
    blocks.append([np.kron(np.eye(d_y), Phi[H])])
    return blocks


def gram_schmidt_value(blocks: Sequence[Any], y: Any, *, rank_tol: float | None = None
                       ) -> tuple[float, list[float], int]:
    """||y||² − Σ_k ||P[N_k D_k] y||², the Gram–Schmidt sum of Theorem 1 of the depth-and-width paper.

    N_1 = I and N_k = P_N[Q̄_{k−1}] with Q̄_{k−1} = [Q_1, ..., Q_{k−1}],
    Q_k = N_k D_k (the paper prints P_N[Q̄_{k_l}] for N_{k_l}; the index must be
    k_l − 1, as in its Proposition 1 and its convention Q̄_0^{(l)} = Q̄_{d_{l−1}}^{(l−1)},
    since Q_k is defined through N_k).  The projections use an orthonormal
    basis of span Q̄ (projected twice against it, for stability).  A block
    direction is kept when its singular value after deflation exceeds
    :data:`GS_TOL_FACTOR` times the cut-off of :func:`rank_tolerance` for the
    largest singular value of [D_1 … D_K]: deflating a column that lies in
    span Q̄ leaves rounding noise of a few ε·||D_k||, which the plain cut-off
    does not always reject (block Gram–Schmidt is not rank revealing; the
    paper's Appendix C warns of the same over-count).  Compare the returned
    rank with the projection form's.

    Parameters
    ----------
    blocks : sequence of 2-D arrays
        D_1, ..., D_K, each with ``len(y)`` rows, in the paper's order.
    y : array_like
        vec(Y).
    rank_tol : float, optional
        Singular-value cut-off.

    Returns
    -------
    (value, terms, rank)
        The value on basins' scale (twice the paper's L), the terms
        ||P[N_k D_k] y||² (each ≥ 0) and the number of directions kept.

    Raises
    ------
    InvalidArgument
        No blocks, or a block whose rows do not match ``y``.

    References
    ----------
    Kawaguchi, Huang & Kaelbling, *Effect of Depth and Width on Local Minima in Deep
    Learning*, arXiv:1811.08150, Theorem 1 (Eq. 4.2) and Lemmas 2–3.

    Examples
    --------
    >>> value, terms, rank = gram_schmidt_value([[[1.0], [0.0], [0.0]], [[1.0], [1.0], [0.0]]], [1.0, 2.0, 3.0])
    >>> round(value, 12), [round(t, 12) for t in terms], rank
    (9.0, [1.0, 4.0], 2)
    """
    yv = np.asarray(y, dtype=float).ravel()
    Ds = [as_matrix(b, f"blocks[{i}]") for i, b in enumerate(blocks)]
    if not Ds:
        raise InvalidArgument("blocks is empty")
    for i, D in enumerate(Ds):
        if D.shape[0] != yv.size:
            raise InvalidArgument(f"blocks[{i}] has {D.shape[0]} rows but y has {yv.size} entries")
    rows = yv.size
    cols = sum(D.shape[1] for D in Ds)
    if rank_tol is None:
        s_max = float(np.linalg.norm(np.hstack(Ds), 2))
        rank_tol = GS_TOL_FACTOR * rank_tolerance(s_max, rows, cols)
    B = np.zeros((rows, 0))
    terms = []
    for D in Ds:
        Q = D - B @ (B.T @ D)
        Q = Q - B @ (B.T @ Q)                       # N_k D_k, re-orthogonalised
        if Q.shape[1] == 0:
            terms.append(0.0)
            continue
        U, s, _ = np.linalg.svd(Q, full_matrices=False)
        Uk = U[:, s > rank_tol]
        Uk = Uk - B @ (B.T @ Uk)
        Uk, _ = np.linalg.qr(Uk) if Uk.shape[1] else (Uk, None)
        c = Uk.T @ yv
        terms.append(float(c @ c))
        B = np.hstack([B, Uk])
    return float(yv @ yv) - math.fsum(terms), terms, int(B.shape[1])


@dataclass(frozen=True)
class DeepFormula:
    """Theorem 1 of the depth-and-width paper (arXiv:1811.08150) at one point, on basins' scale and the paper's.

    Attributes
    ----------
    loss : float
        E = ||Ŷ − Y||_F².
    formula_value : float
        ||Y||² − Σ ||P[N_k D_k] vec Y||² (= 2 J(θ) of the paper).
    paper_value : float
        The paper's J(θ) = formula_value / 2 (its L has the factor 1/2).
    projection_value : float
        ||P_N[J] vec Y||² from basins.model.deep.jacobian (the projection form).
    terms : tuple of float
        The Gram–Schmidt terms, in the order (l = 1, k = 1..d_1), ..., (H+1, 1).
    max_block_error : float
        max |D_{k}^{(l)} − the matching columns of basins.model.deep.jacobian|.
    formula_rank : int
        Directions the Gram–Schmidt sum kept (compare ``identity.rank``).
    identity : ValueIdentity
        The projection-form check at this point.
    """

    loss: float
    formula_value: float
    paper_value: float
    projection_value: float
    terms: tuple[float, ...]
    max_block_error: float
    formula_rank: int
    identity: ValueIdentity

    def to_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "formula_value": self.formula_value, "paper_value": self.paper_value,
                "projection_value": self.projection_value, "terms": list(self.terms),
                "max_block_error": self.max_block_error, "formula_rank": self.formula_rank,
                "identity": self.identity.to_dict()}


def deep_theorem1(net: Any, weights: Sequence[Any], X: Any, Y: Any, *, rtol: float = DEFAULT_RTOL,
                  atol: float = 0.0) -> DeepFormula:
    """Theorem 1 of the depth-and-width paper (arXiv:1811.08150) as written, beside the projection form.

    D_{k_l}^{(l)} from the path sums (:func:`deep_d_blocks`), the Gram–Schmidt
    sum over them (:func:`gram_schmidt_value`), the projection form
    ||P_N[J] vec Y||² (:func:`deep_value_identity`) and the loss.  At a
    differentiable local minimum (the theorem's hypothesis) all three agree;
    the formula equals the projection form at *every* differentiable point,
    since both are ||P_N[D] vec Y||² (Lemma 3).

    Raises
    ------
    InvalidArgument, NotApplicable
        As :func:`deep_value_identity` and :func:`deep_d_blocks`.

    References
    ----------
    Kawaguchi, Huang & Kaelbling, *Effect of Depth and Width on Local Minima in Deep
    Learning*, arXiv:1811.08150, Theorem 1 (ReLU, leaky ReLU, abs; the same algebra holds for
    any differentiable σ since D_k^{(l)} is the Jacobian block).

    Examples
    --------
    >>> from basins.model import deep
    >>> net = deep.deep_network([1, 2, 2, 1], "relu")
    >>> f = deep_theorem1(net, deep.random_weights(net, seed=3), [[1.0, -2.0, 0.5, 3.0]], [[1.0, 0.0, 2.0, 1.0]])
    >>> abs(f.formula_value - f.projection_value) < 1e-12, f.max_block_error < 1e-12
    (True, True)
    """
    from basins.model import deep

    ident = deep_value_identity(net, weights, X, Y, rtol=rtol, atol=atol)
    Ws, Xa, Ya = _deep_inputs(net, weights, X, Y)
    blocks = deep_d_blocks(net, Ws, Xa)
    J = deep.jacobian(net, Ws, Xa)
    flat = [D for layer in blocks for D in layer]
    # basins.model.deep orders θ as (vec W_1, ..., vec W_{H+1}) row-major: unit k of layer l is the row
    # W_l[k, :], contiguous; the output layer W_{H+1} (d_y × d_H) row-major is (output o, unit k).
    err = 0.0
    col = 0
    for layer in blocks[:-1]:
        for D in layer:
            err = max(err, float(np.max(np.abs(J[:, col:col + D.shape[1]] - D))))
            col += D.shape[1]
    d_y, d_H = net.widths[-1], net.widths[-2]
    Jout = J[:, col:]
    # the paper's D_1^{(H+1)} = I ⊗ Φ^{(H)} has columns (o, k) with k fastest: the same order.
    err = max(err, float(np.max(np.abs(Jout - blocks[-1][0])))) if Jout.shape[1] == d_y * d_H else float("inf")
    value, terms, rank = gram_schmidt_value(flat, Ya.ravel())
    return DeepFormula(loss=ident.loss, formula_value=value, paper_value=value / 2,
                       projection_value=ident.gradient_basis_value, terms=tuple(terms),
                       max_block_error=err, formula_rank=rank, identity=ident)
