"""The network: closed forms against exact sympy arithmetic and finite differences."""

import mpmath
import numpy as np
import pytest
import sympy as sp

from basins.activations import T
from basins.model.network import (features, gradient, gradient_mp, hessian, hessian_mp, jacobian, loss, loss_mp,
                            output, pack, unpack)

RNG = np.random.default_rng(7)


def _exact_loss_derivatives(poly, x, y, v, w):
    """E, ∇E and ∇²E of a polynomial σ by exact sympy arithmetic on rational data."""
    m = len(v)
    vs = sp.symbols(f"v0:{m}")
    ws = sp.symbols(f"w0:{m}")
    E = sum((sum(vs[i] * poly.subs(T, ws[i] * xj) for i in range(m)) - yj) ** 2 for xj, yj in zip(x, y))
    theta = list(vs) + list(ws)
    point = dict(zip(theta, list(v) + list(w)))
    grad = [sp.diff(E, a).subs(point) for a in theta]
    hess = [[sp.diff(E, a, b).subs(point) for b in theta] for a in theta]
    return E.subs(point), grad, hess


@pytest.mark.parametrize("poly_text", ["t**3 + t**2 + t", "t**2 - 3*t + 2", "t**4/4 - t"])
def test_closed_forms_equal_exact_sympy_for_polynomials(poly_text):
    poly = sp.sympify(poly_text, locals={"t": T})
    x = [sp.Rational(1, 2), sp.Rational(-3, 2), 2, sp.Rational(5, 4)]
    y = [1, sp.Rational(-3, 8), sp.Rational(7, 2), 0]  # dyadic: exact in float64
    v = [sp.Rational(3, 4), -2]
    w = [sp.Rational(-1, 2), sp.Rational(5, 8)]
    E, g, H = _exact_loss_derivatives(poly, x, y, v, w)
    f = [float(a) for a in x], [float(a) for a in y], [float(a) for a in v], [float(a) for a in w]
    assert loss(poly_text, *f) == pytest.approx(float(E), rel=1e-13)
    assert np.allclose(gradient(poly_text, *f), np.array(g, dtype=float), rtol=1e-12, atol=1e-12)
    assert np.allclose(hessian(poly_text, *f), np.array(H, dtype=float), rtol=1e-12, atol=1e-12)
    with mpmath.workdps(40):
        Hmp = hessian_mp(poly_text, *f, dps=40)
        assert max(abs(Hmp[i, j] - mpmath.mpf(sp.Rational(H[i][j]).p) / sp.Rational(H[i][j]).q)
                   for i in range(4) for j in range(4)) < mpmath.mpf(10) ** -30
        assert abs(loss_mp(poly_text, *f, dps=40) - mpmath.mpf(sp.Rational(E).p) / sp.Rational(E).q) < 1e-30


@pytest.mark.parametrize("act", ["swish", "softplus", "gelu", "tanh", "sin", "elu"])
def test_gradient_and_hessian_match_high_precision_finite_differences(act):
    x = np.array([0.7, -1.3, 2.1, 0.4, -0.9])
    y = RNG.normal(size=5)
    v, w = np.array([0.8, -1.1]), np.array([0.9, 1.6])
    theta = pack(v, w)
    h = mpmath.mpf("1e-12")
    with mpmath.workdps(50):
        fd_grad, fd_hess = [], []
        for k in range(4):
            tp, tm = [mpmath.mpf(a) for a in theta], [mpmath.mpf(a) for a in theta]
            tp[k] += h
            tm[k] -= h
            fd_grad.append((loss_mp(act, x, y, tp[:2], tp[2:]) - loss_mp(act, x, y, tm[:2], tm[2:])) / (2 * h))
            gp = gradient_mp(act, x, y, tp[:2], tp[2:])
            gm = gradient_mp(act, x, y, tm[:2], tm[2:])
            fd_hess.append([(a - b) / (2 * h) for a, b in zip(gp, gm)])
    assert np.allclose(gradient(act, x, y, v, w), np.array(fd_grad, dtype=float), rtol=1e-9, atol=1e-10)
    assert np.allclose(hessian(act, x, y, v, w), np.array(fd_hess, dtype=float), rtol=1e-9, atol=1e-9)
    assert np.allclose(hessian(act, x, y, v, w), np.array(hessian_mp(act, x, y, v, w).tolist(), dtype=float),
                       rtol=1e-12, atol=1e-12)


def test_shapes_and_pack_unpack():
    x, v, w = np.array([0.5, 1, 2]), np.array([1.0, 2.0]), np.array([0.3, -0.4])
    z, z1, z2 = features("swish", x, w)
    assert z.shape == z1.shape == z2.shape == (2, 3)
    assert jacobian("swish", x, v, w).shape == (3, 4)
    assert np.allclose(output("swish", x, v, w), v @ z)
    vv, ww = unpack(pack(v, w))
    assert np.array_equal(vv, v) and np.array_equal(ww, w)


def test_gradient_is_two_jacobian_transpose_residual():
    x, y = np.array([0.5, 1, 2]), np.array([0.1, -0.2, 0.3])
    v, w = np.array([1.0, 2.0]), np.array([0.3, -0.4])
    r = output("tanh", x, v, w) - y
    assert np.allclose(gradient("tanh", x, y, v, w), 2 * jacobian("tanh", x, v, w).T @ r)


def test_losses_batch_equals_loss_row_by_row():
    from basins.model.network import losses_batch

    x, y = np.array([0.1, 2.0, 3.0, -0.5]), np.array([1.0, -2.0, 0.5, 0.25])
    V, W = RNG.standard_normal((9, 3)), RNG.standard_normal((9, 3))
    E = losses_batch("swish", x, y, V, W)
    assert E.shape == (9,)
    np.testing.assert_allclose(E, [loss("swish", x, y, V[k], W[k]) for k in range(9)], rtol=1e-14)


def test_mp_wrappers_keep_mpf_inputs_and_types():
    with mpmath.workdps(30):
        v, w = [mpmath.mpf(1) / 3], [mpmath.mpf(2) / 7]
    E = loss_mp("tanh", [1.0, 2.0], [0.5, 0.25], v, w, dps=30)
    g = gradient_mp("tanh", [1.0, 2.0], [0.5, 0.25], v, w, dps=30)
    H = hessian_mp("tanh", [1.0, 2.0], [0.5, 0.25], v, w, dps=30)
    assert isinstance(E, mpmath.mpf) and len(g) == 2 and isinstance(H, mpmath.matrix) and H.rows == 2
    assert float(E) == pytest.approx(loss("tanh", [1.0, 2.0], [0.5, 0.25], [1 / 3], [2 / 7]), rel=1e-15)
