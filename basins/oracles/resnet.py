"""The ResNet value identity of Kawaguchi & Bengio (arXiv:1810.09038).

Every local minimum of the ResNet h(x) = W(x + V z(x, θ))
(:mod:`basins.model.resnet`) with squared loss, under the paper's Assumption
A1 (d_y ≤ min(d_x, d_z)), has the value of basis-function regression on
[X, Z(X, θ)]: E = ||P_N[[X, Z]] Y||_F² (the paper's L = E/N).
:func:`resnet_value` computes both sides, the paper's own form and the
gradient-basis check beside them.

References
----------
K. Kawaguchi, Y. Bengio, *Depth with nonlinearity creates no bad local minima
in ResNets*, Neural Networks 118 (2019), arXiv:1810.09038, Theorems 1 and 2.
K. Kawaguchi, J. Huang, L. P. Kaelbling, *Every Local Minimum Value Is the
Global Minimum Value of Induced Model in Nonconvex Machine Learning*, Neural
Computation 31 (2019), arXiv:1904.03673, Theorem 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from basins.activations import Activation, as_activation
from basins.errors import InvalidArgument, NotApplicable
from basins.oracles.common import (
    DEFAULT_RTOL,
    HYPOTHESES,
    RESNET_PAPER,
    ValueIdentity,
    check_tolerances,
    float_figures,
    identity_result,
    paper_scales,
    rank_tolerance,
    require_differentiable,
)

__all__ = ["RESNET_THEOREM", "ResNetValue", "resnet_value"]

#: The theorem the ResNet check rests on, as named in errors.
RESNET_THEOREM = f"Theorem 2 of {RESNET_PAPER}"


def _range_norm2(A: np.ndarray, y: np.ndarray, tol: float) -> float:
    """||P[A] y||² with singular values ≤ tol dropped."""
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    c = U[:, s > tol].T @ y
    return float(c @ c)


@dataclass(frozen=True)
class ResNetValue:
    """Theorem 2 of Kawaguchi & Bengio (arXiv:1810.09038) at one point.

    Attributes
    ----------
    loss : float
        E = ||Ĥ − Y||_F² (basins' scale); the paper's L is ``paper_loss`` = E/N.
    basis_value : float
        ||P_N[[X, Z(X, θ)]] Y||_F²: the global minimum of basis-function
        regression on [X, Z] (basins' scale).
    paper_loss, paper_value : float
        E/N and the paper's right-hand side (1/N)||P_N[X]Y||² − (1/N)||P[P_N[X]Z]Y||².
    linear_value : float
        (1/N)||P_N[X]Y||_F², the global minimum of the linear model (L*_{x}).
    difference : float
        E − basis_value (≥ 0 up to rounding at any point where W(x + Vz) ∈ span).
    holds : bool
        |difference| ≤ tolerance (same rounding allowance and rtol as the
        gradient-basis check).
    tolerance : float
    identity : ValueIdentity
        The gradient-basis check (arXiv:1904.03673, Theorem 1) with the full Jacobian.
    w_rank : int
        Rank of W; at a critical point with rank W = d_y the identity holds.
    """

    loss: float
    basis_value: float
    paper_loss: float
    paper_value: float
    linear_value: float
    difference: float
    holds: bool
    tolerance: float
    identity: ValueIdentity
    w_rank: int

    def to_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "basis_value": self.basis_value, "difference": self.difference,
                "holds": self.holds, "tolerance": self.tolerance, "paper_loss": self.paper_loss,
                "paper_value": self.paper_value, "linear_value": self.linear_value, "w_rank": self.w_rank,
                "gradient_basis": self.identity.to_dict()}


def resnet_value(activation: Activation | str, X: Any, Y: Any, params: Any, *,
                 rtol: float = DEFAULT_RTOL, atol: float = 0.0, rank_tol: float | None = None) -> ResNetValue:
    """Theorem 2 of Kawaguchi & Bengio (arXiv:1810.09038): the loss against basis-function regression on [X, Z(X, θ)].

    Every local minimum of the ResNet h(x) = W(x + V z(x, θ)) with squared
    loss has E = ||P_N[[X, Z]] Y||_F² (the paper's L = E/N, with N samples).
    The paper's form (1/N)||P_N[X]Y||² − (1/N)||P[P_N[X]Z]Y||² is computed
    separately as ``paper_value``.

    Parameters
    ----------
    activation : str or Activation
        σ of the residual blocks.
    X, Y : array_like
        (N, d_x) and (N, d_y), samples as rows (as in the paper).
    params : basins.model.resnet.ResNetParams
    rtol, atol, rank_tol : float
        See :func:`~basins.oracles.induced.check_value_identity` (``rank_tol`` applies to the full
        Jacobian of the gradient-basis check).

    Returns
    -------
    ResNetValue

    Raises
    ------
    InvalidArgument
        Shapes that do not fit ``params``.
    NotApplicable
        Assumption A1 fails (d_y > min(d_x, d_z)), or a pre-activation sits
        on a nonsmooth point of σ.

    References
    ----------
    Kawaguchi & Bengio, *Depth with nonlinearity creates no bad local minima in
    ResNets*, arXiv:1810.09038, Theorem 2 (and Theorem 1 for its general form);
    Kawaguchi, Huang & Kaelbling, *Every Local Minimum Value Is the Global Minimum
    Value of Induced Model in Nonconvex Machine Learning*, arXiv:1904.03673,
    Theorem 1 for the gradient-basis value.

    Examples
    --------
    >>> import numpy as np
    >>> from basins.model.resnet import random_resnet
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((6, 2)), rng.standard_normal((6, 1))
    >>> res = resnet_value("tanh", X, Y, random_resnet(2, 2, 1, seed=0))
    >>> res.difference >= 0, res.holds    # a random point: the value is below the loss
    (True, False)
    """
    from basins.model.resnet import ResNetParams, forward, resnet_jacobian, targets

    if not isinstance(params, ResNetParams):
        raise InvalidArgument(f"params={params!r} must be a basins.model.resnet.ResNetParams")
    check_tolerances(rtol, atol)
    act = as_activation(activation)
    d_x, d_z, d_y, _ = params.dims
    if d_y > min(d_x, d_z):
        raise NotApplicable(
            f"d_y={d_y} > min(d_x={d_x}, d_z={d_z}); {RESNET_THEOREM} needs '{HYPOTHESES['resnet A1']}'",
            theorem=RESNET_THEOREM, hypothesis="resnet A1")
    from basins.model.resnet import data

    Xa = data(X, d_x)
    G, U = forward(act, Xa, params)
    for j, g in enumerate(G, start=1):
        require_differentiable(act, g.T, f"residual block {j}", U[j - 1].T)
    N = Xa.shape[0]
    Ya = targets(Y, N, d_y)
    Z = U[-1]
    H = (Xa + Z @ params.V.T) @ params.W.T
    J = resnet_jacobian(act, Xa, params)
    yhat, yv = H.ravel(order="F"), Ya.ravel(order="F")
    r = yhat - yv
    ident = identity_result(float_figures(J, r, yhat, rank_tol), rtol=rtol, atol=atol,
                    model=f"ResNet d_x={d_x}, d_z={d_z}, d_y={d_y}, depth={len(params.A)}, σ = {act.text}",
                    details=paper_scales(float(r @ r), N))
    # basis-function regression on [X, Z]: J_basis = I_{d_y} ⊗ [X, Z] (vec column-major)
    XZ = np.hstack([Xa, Z])
    Jb = np.kron(np.eye(d_y), XZ)
    basis = identity_result(float_figures(Jb, r, yhat, None), rtol=rtol, atol=atol, model="basis [X, Z]")
    # the paper's two terms
    Jx = np.kron(np.eye(d_y), Xa)
    lin = float_figures(Jx, -yv, np.zeros_like(yv), None)["value"]
    Ux, sx, _ = np.linalg.svd(Xa, full_matrices=False)
    kx = int(np.sum(sx > rank_tolerance(sx[0] if sx.size else 0.0, *Xa.shape)))
    PNx_Z = Z - Ux[:, :kx] @ (Ux[:, :kx].T @ Z)
    PNx_Z = PNx_Z - Ux[:, :kx] @ (Ux[:, :kx].T @ PNx_Z)
    s_xz = float(np.linalg.norm(XZ, 2))
    improve = _range_norm2(np.kron(np.eye(d_y), PNx_Z), yv, rank_tolerance(s_xz, N * d_y, d_y * XZ.shape[1]))
    w_rank = int(np.linalg.matrix_rank(params.W))
    return ResNetValue(loss=basis.loss, basis_value=basis.gradient_basis_value,
                       paper_loss=basis.loss / N, paper_value=(lin - improve) / N, linear_value=lin / N,
                       difference=basis.difference, holds=basis.holds, tolerance=basis.tolerance,
                       identity=ident, w_rank=w_rank)
