"""Tests of basins.model.resnet: the ResNet h(x) = W(x + V z(x, θ)) of papers/001."""

from __future__ import annotations

import numpy as np
import pytest

from basins.errors import InvalidArgument
from basins.model.resnet import (
    ResNetParams,
    random_resnet,
    resnet_gradient,
    resnet_jacobian,
    resnet_loss,
    resnet_output,
    resnet_residual_features,
)

DIMS = [(3, 2, 2, 3), (2, 1, 1, 1), (2, 3, 1, 2)]


def _data(seed: int, N: int, d_x: int, d_y: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, d_x)), rng.standard_normal((N, d_y))


def _loop_output(act: str, X: np.ndarray, p: ResNetParams) -> np.ndarray:
    """An independent per-sample implementation of Eq. (1) with explicit blocks."""
    f = {"tanh": np.tanh, "relu": lambda u: np.maximum(u, 0.0), "sin": np.sin}[act]
    out = []
    for x in X:
        u = f(p.A[0] @ x)
        for a in p.A[1:]:
            u = u + f(a @ u)
        out.append(p.W @ (x + p.V @ u))
    return np.array(out)


@pytest.mark.parametrize("act", ["tanh", "relu", "sin"])
@pytest.mark.parametrize("dims", DIMS, ids=[str(d) for d in DIMS])
def test_output_matches_a_per_sample_loop(act: str, dims: tuple[int, int, int, int]) -> None:
    d_x, d_z, d_y, depth = dims
    p = random_resnet(d_x, d_z, d_y, depth, seed=3)
    X, _ = _data(1, 7, d_x, d_y)
    np.testing.assert_allclose(resnet_output(act, X, p), _loop_output(act, X, p), rtol=1e-13, atol=1e-13)
    assert resnet_residual_features(act, X, p).shape == (7, d_z)


@pytest.mark.parametrize("dims", DIMS, ids=[str(d) for d in DIMS])
def test_jacobian_and_gradient_match_central_differences(dims: tuple[int, int, int, int]) -> None:
    d_x, d_z, d_y, depth = dims
    p = random_resnet(d_x, d_z, d_y, depth, seed=5)
    X, Y = _data(2, 6, d_x, d_y)
    theta = p.flat()
    h = 1e-6
    J = resnet_jacobian("tanh", X, p)
    assert J.shape == (6 * d_y, theta.size)
    Jn = np.empty_like(J)
    gn = np.empty(theta.size)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = h
        pp = ResNetParams.from_flat(theta + e, *dims)
        pm = ResNetParams.from_flat(theta - e, *dims)
        Jn[:, k] = (resnet_output("tanh", X, pp) - resnet_output("tanh", X, pm)).ravel(order="F") / (2 * h)
        gn[k] = (resnet_loss("tanh", X, Y, pp) - resnet_loss("tanh", X, Y, pm)) / (2 * h)
    np.testing.assert_allclose(J, Jn, atol=1e-8)
    np.testing.assert_allclose(resnet_gradient("tanh", X, Y, p), gn, atol=1e-7)


def test_loss_is_the_squared_frobenius_norm_without_factors() -> None:
    p = ResNetParams(W=[[1.0, 0.0]], V=[[0.0], [0.0]], A=([[1.0, 1.0]],))
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    Y = np.array([[0.0], [1.0]])
    # V = 0: h(x) = W x = x_1, so E = (1 − 0)² + (3 − 1)² = 5 (no 1/2, no 1/N)
    assert resnet_loss("tanh", X, Y, p) == 5.0


def test_flat_round_trip_and_column_major_order() -> None:
    p = random_resnet(3, 2, 2, 2, seed=0)
    q = ResNetParams.from_flat(p.flat(), 3, 2, 2, 2)
    for a, b in zip((p.W, p.V, *p.A), (q.W, q.V, *q.A)):
        assert np.array_equal(a, b)
    assert np.array_equal(p.flat()[:6], p.W.ravel(order="F"))
    assert p.dims == (3, 2, 2, 2)


def test_params_are_frozen_arrays() -> None:
    p = random_resnet(2, 2, 1, 1, seed=0)
    with pytest.raises(ValueError):
        p.W[0, 0] = 1.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(W=[[1.0, 0.0]], V=[[1.0], [1.0], [1.0]], A=([[1.0, 1.0]],)), "inconsistent"),
    (dict(W=[1.0, 0.0], V=[[1.0], [1.0]], A=([[1.0, 1.0]],)), "must be matrices"),
    (dict(W=[[1.0, 0.0]], V=[[1.0], [1.0]], A=()), "must be matrices"),
    (dict(W=[[np.nan, 0.0]], V=[[1.0], [1.0]], A=([[1.0, 1.0]],)), "NaN"),
])
def test_bad_params_are_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        ResNetParams(**kwargs)


def test_bad_shapes_are_rejected() -> None:
    p = random_resnet(2, 2, 1, 1, seed=0)
    with pytest.raises(InvalidArgument, match=r"X has shape \(3, 3\); expected \(N, 2\)"):
        resnet_output("tanh", np.ones((3, 3)), p)
    with pytest.raises(InvalidArgument, match="Y has shape"):
        resnet_loss("tanh", np.ones((3, 2)), np.ones((4, 1)), p)
    with pytest.raises(InvalidArgument, match="theta has 3 entries"):
        ResNetParams.from_flat(np.ones(3), 2, 2, 1, 1)
    with pytest.raises(InvalidArgument, match="depth=0 must be a positive integer"):
        random_resnet(2, 2, 1, 0)
    with pytest.raises(InvalidArgument, match="X has a NaN"):
        resnet_output("tanh", np.array([[np.inf, 1.0]]), p)
