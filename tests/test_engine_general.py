"""The engine on the model of SPEC §11: d-dimensional inputs, a hidden bias, an output bias.

Known values come from independent methods: exact sympy differentiation of a
polynomial σ, and mpmath's numerical differentiation at 50 digits.
"""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from basins.activations import as_activation
from basins.model import engine

FULL = engine.Model(input_dim=2, hidden_bias=True, output_bias=True)
X2 = [[Fraction(1, 2), Fraction(-3, 4)], [Fraction(2), Fraction(1, 3)], [Fraction(-1), Fraction(5, 4)],
      [Fraction(3, 2), Fraction(-2)], [Fraction(0), Fraction(1)]]
Y2 = [Fraction(1), Fraction(-2, 3), Fraction(1, 5), Fraction(3), Fraction(-1, 2)]
V2 = [Fraction(3, 2), Fraction(-1, 3)]
W2 = [[Fraction(1, 3), Fraction(-1, 2), Fraction(1, 4)], [Fraction(-2, 5), Fraction(3, 4), Fraction(-1, 7)]]
C2 = Fraction(2, 9)


def _theta():
    return [*V2, *(e for row in W2 for e in row), C2]


def _sympy_reference():
    """E, ∇E, ∇²E of σ(t) = t + t²/2 + t³/6 by sympy, exactly, in θ order (v, w_1, w_2, c)."""
    t = sp.Symbol("t")
    sigma = sp.Lambda(t, t + t**2 / 2 + t**3 / 6)
    th = sp.symbols("th0:9")
    v, w, c = th[:2], [th[2:5], th[5:8]], th[8]
    E = 0
    for xn, yn in zip(X2, Y2):
        xt = [sp.Rational(xn[0]), sp.Rational(xn[1]), 1]
        yhat = sum(v[i] * sigma(sum(w[i][k] * xt[k] for k in range(3))) for i in range(2)) + c
        E += (yhat - sp.Rational(yn)) ** 2
    at = dict(zip(th, [sp.Rational(e) for e in _theta()]))
    g = [sp.diff(E, a).subs(at) for a in th]
    H = [[sp.diff(E, a, b).subs(at) for b in th] for a in th]
    return E.subs(at), g, H


def _exact_context():
    return engine.ExactContext([lambda u: u + u * u / 2 + u**3 / 6, lambda u: 1 + u + u * u / 2, lambda u: 1 + u],
                               field="fraction")


def test_exact_derivatives_match_sympy_for_d2_with_both_biases():
    E, g, H = _sympy_reference()
    ev = engine.derivatives(_exact_context(), X2, Y2, V2, W2, c=C2, model=FULL)
    assert ev.loss == Fraction(str(E))
    assert [Fraction(str(e)) for e in g] == list(ev.gradient)
    n = FULL.n_params(2)
    assert n == 9
    assert all(Fraction(str(H[a][b])) == ev.hessian[a][b] for a in range(n) for b in range(n))


def _mp_loss(act, theta, X, Y, model, m):
    D = model.D
    v, w = theta[:m], [theta[m + i * D: m + (i + 1) * D] for i in range(m)]
    c = theta[-1] if model.output_bias else 0
    f = act.mpmath(0)
    E = mpmath.mpf(0)
    for xn, yn in zip(X, Y):
        xt = [mpmath.mpf(e) for e in xn] + ([1] if model.hidden_bias else [])
        yhat = mpmath.fsum(v[i] * f(mpmath.fsum(w[i][k] * xt[k] for k in range(D))) for i in range(m)) + c
        E += (yhat - yn) ** 2
    return E


@pytest.mark.parametrize("model", [engine.Model(input_dim=2, hidden_bias=True, output_bias=True),
                                   engine.Model(input_dim=3, hidden_bias=False, output_bias=True),
                                   engine.Model(input_dim=2, hidden_bias=True, output_bias=False),
                                   engine.Model(input_dim=1, hidden_bias=True, output_bias=False)])
def test_mpmath_derivatives_match_numerical_differentiation_at_50_digits(model):
    act = as_activation("swish")
    rng = np.random.default_rng(3)
    m, N = 2, 6
    X = rng.normal(size=(N, model.input_dim)).tolist()
    Y = rng.normal(size=N).tolist()
    v = rng.normal(size=m).tolist()
    w = rng.normal(size=(m, model.D)).tolist()
    c = 0.375 if model.output_bias else None
    theta = v + [e for row in w for e in row] + ([c] if model.output_bias else [])
    n = model.n_params(m)
    assert len(theta) == n
    with mpmath.workdps(50):
        ev = engine.derivatives(engine.MpmathContext(act), X, Y, v, w, c=c, model=model)

        def f(*t):
            return _mp_loss(act, list(t), X, Y, model, m)

        assert abs(ev.loss - f(*theta)) < mpmath.mpf(10) ** -45
        for a in range(n):
            da = mpmath.diff(f, theta, tuple(int(k == a) for k in range(n)))
            assert abs(ev.gradient[a] - da) < mpmath.mpf(10) ** -30
        for a in range(n):
            for b in range(a, n):
                dab = mpmath.diff(f, theta, tuple(int(k == a) + int(k == b) for k in range(n)))
                assert abs(ev.hessian[a, b] - dab) < mpmath.mpf(10) ** -25
                assert ev.hessian[a, b] == ev.hessian[b, a]


def test_float_single_and_batch_agree_with_mpmath():
    act = as_activation("tanh")
    rng = np.random.default_rng(0)
    m, N, K = 3, 7, 4
    X = rng.normal(size=(N, 2))
    Y = rng.normal(size=N)
    V = rng.normal(size=(K, m))
    W = rng.normal(size=(K, m, 3))
    C = rng.normal(size=K)
    ctx = engine.float_context(act)
    Eb = engine.loss(ctx, X, Y, V, W, c=C, model=FULL)
    gb = engine.gradient(ctx, X, Y, V, W, c=C, model=FULL)
    assert Eb.shape == (K,) and gb.shape == (K, FULL.n_params(m))
    for k in range(K):
        d = engine.derivatives(ctx, X, Y, V[k], W[k], c=C[k], model=FULL)
        assert d.loss == pytest.approx(Eb[k], rel=1e-13)
        np.testing.assert_allclose(d.gradient, gb[k], rtol=1e-12, atol=1e-12)
        with mpmath.workdps(30):
            dm = engine.derivatives(engine.MpmathContext(act), X, Y, V[k], W[k], c=C[k], model=FULL)
        np.testing.assert_allclose(d.hessian, np.array(dm.hessian.tolist(), dtype=float), rtol=1e-11, atol=1e-11)


def test_ball_context_encloses_the_mpmath_values():
    act = as_activation("gelu")
    ctx = engine.BallContext(act)
    X = [[0.5, -1.0], [1.5, 0.25], [-2.0, 1.0], [0.75, 0.5]]
    Y, v, w, c = [1.0, -0.5, 0.25, 2.0], [1.25, -0.75], [[0.5, -1.0, 0.25], [-0.3, 0.8, 1.1]], 0.5
    ev = engine.derivatives(ctx, X, Y, v, w, c=c, model=FULL)
    with mpmath.workdps(40):
        em = engine.derivatives(engine.MpmathContext(act), X, Y, v, w, c=c, model=FULL)
    assert ev.loss.contains(ctx.flint.arb(mpmath.nstr(em.loss, 35)))
    n = FULL.n_params(2)
    for a in range(n):
        assert ev.gradient[a, 0].contains(ctx.flint.arb(mpmath.nstr(em.gradient[a], 35)))
        for b in range(n):
            assert ev.hessian[a, b].contains(ctx.flint.arb(mpmath.nstr(em.hessian[a, b], 35)))


def test_general_path_with_d1_no_bias_is_the_scalar_model():
    """Model(input_dim=1) given x as N × 1 rows goes through the general formulas; they are the paper's."""
    act = as_activation("softplus")
    x, y, v, w = [0.5, -1.0, 2.0, 1.5], [1.0, 0.0, -1.0, 0.5], [1.5, -0.5], [0.7, -1.2]
    ctx = engine.float_context(act)
    a = engine.derivatives(ctx, x, y, v, w)
    wb = np.column_stack([w, np.zeros(2)])
    general = engine.derivatives(ctx, np.array(x)[:, None], y, v, wb,
                                 model=engine.Model(input_dim=1, hidden_bias=True, output_bias=True), c=0.0)
    # with b = 0 and c = 0 the point is the scalar one; the (v, w) block of the Hessian is unchanged
    idx = [0, 1, 2, 4]
    np.testing.assert_allclose(general.hessian[np.ix_(idx, idx)], a.hessian, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(general.gradient[idx], a.gradient, rtol=1e-13, atol=1e-13)


def test_shape_mismatches_and_missing_bias_are_named():
    ctx = engine.float_context(as_activation("tanh"))
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="w has rows of 2 numbers; the model needs 3"):
        engine.loss(ctx, X, np.ones(4), [1.0], [[1.0, 2.0]], c=0.0, model=FULL)
    with pytest.raises(ValueError, match="c is required"):
        engine.loss(ctx, X, np.ones(4), [1.0], [[1.0, 2.0, 3.0]], model=FULL)
    with pytest.raises(ValueError, match="no output bias"):
        engine.loss(ctx, [1.0, 2.0], [1.0, 2.0], [1.0], [1.0], c=1.0)
    with pytest.raises(ValueError, match="one-sided"):
        pl = engine.OneSidedContext(lambda u: u, lambda u, s: 1)
        engine.derivatives(pl, [[1, 2]], [0], [1], [[1, 1]], model=engine.Model(input_dim=2))
