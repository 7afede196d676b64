"""Tests of basins.model.deep: the deep network against independent computations."""

import numpy as np
import pytest

from basins.model import network
from basins.model.deep import (deep_network, forward, gradient, jacobian, loss, output, pack,
                         random_weights, unpack)
from basins.errors import InvalidArgument


def _fd_gradient(net, Ws, X, Y, eps=1e-6):
    theta = pack(Ws)
    g = np.zeros_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = eps
        g[i] = (loss(net, unpack(net, theta + e), X, Y) - loss(net, unpack(net, theta - e), X, Y)) / (2 * eps)
    return g


@pytest.mark.parametrize("act", ["tanh", "swish", "sigmoid", "softplus", "sin"])
def test_one_layer_matches_scalar_network(act):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(7), rng.standard_normal(7)
    v, w = rng.standard_normal(4), rng.standard_normal(4)
    net = deep_network([1, 4, 1], act)
    Ws = [w[:, None], v[None, :]]
    assert loss(net, Ws, x[None, :], y[None, :]) == pytest.approx(network.loss(act, x, y, v, w), rel=1e-12)
    g = pack(gradient(net, Ws, x[None, :], y[None, :]))
    gn = network.gradient(act, x, y, v, w)  # ordered (v, w)
    np.testing.assert_allclose(g[:4], gn[4:], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g[4:], gn[:4], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("widths,acts", [
    ([2, 5, 3, 2], ["tanh", "swish"]),
    ([3, 4, 4, 3, 1], "sigmoid"),
    ([1, 6, 1], "gelu"),
], ids=["2-5-3-2", "3-4-4-3-1", "1-6-1"])
def test_gradient_and_jacobian_against_finite_differences(widths, acts):
    net = deep_network(widths, acts)
    rng = np.random.default_rng(11)
    N = 5
    X = rng.standard_normal((widths[0], N))
    Y = rng.standard_normal((widths[-1], N))
    Ws = random_weights(net, seed=2)
    g = pack(gradient(net, Ws, X, Y))
    np.testing.assert_allclose(g, _fd_gradient(net, Ws, X, Y), rtol=1e-5, atol=1e-6)
    J = jacobian(net, Ws, X)
    assert J.shape == (widths[-1] * N, net.n_params)
    theta = pack(Ws)
    eps = 1e-6
    for i in range(0, net.n_params, 3):
        e = np.zeros_like(theta)
        e[i] = eps
        col = (output(net, unpack(net, theta + e), X) - output(net, unpack(net, theta - e), X)).ravel() / (2 * eps)
        np.testing.assert_allclose(J[:, i], col, rtol=1e-5, atol=1e-7)
    R = (output(net, Ws, X) - Y).ravel()
    np.testing.assert_allclose(2 * J.T @ R, g, rtol=1e-10, atol=1e-12)


def test_forward_relu_by_hand():
    net = deep_network([1, 2, 1], "relu")
    Ts = forward(net, [[[1.0], [-1.0]], [[1.0, 2.0]]], [[1.0, -2.0]])
    assert Ts[1].tolist() == [[1.0, 0.0], [0.0, 2.0]]
    assert Ts[2].tolist() == [[1.0, 4.0]]


def test_pack_unpack_roundtrip():
    net = deep_network([2, 3, 1], "tanh")
    Ws = random_weights(net, seed=5)
    back = unpack(net, pack(Ws))
    assert all(np.array_equal(a, b) for a, b in zip(Ws, back))


@pytest.mark.parametrize("widths,acts,match", [
    ([1, 2], "tanh", "at least 3"),
    ([1, 0, 1], "tanh", "positive integers"),
    ("abc", "tanh", "positive integers"),
    ([1, 2, 2, 1], ["tanh"], "H=2 hidden layers"),
])
def test_deep_network_rejects(widths, acts, match):
    with pytest.raises(InvalidArgument, match=match):
        deep_network(widths, acts)


def test_shape_errors():
    net = deep_network([1, 2, 1], "tanh")
    Ws = random_weights(net, seed=0)
    with pytest.raises(InvalidArgument, match="expected H\\+1=2"):
        loss(net, Ws[:1], [[1.0]], [[1.0]])
    with pytest.raises(InvalidArgument, match="W_1.*expected"):
        loss(net, [np.zeros((3, 1)), Ws[1]], [[1.0]], [[1.0]])
    with pytest.raises(InvalidArgument, match="X has shape"):
        loss(net, Ws, np.zeros((2, 3)), [[1.0, 1.0, 1.0]])
    with pytest.raises(InvalidArgument, match="Y has shape"):
        loss(net, Ws, [[1.0, 2.0]], [[1.0]])
    with pytest.raises(InvalidArgument, match="n_params"):
        unpack(net, np.zeros(3))
