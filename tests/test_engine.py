"""The network engine in every arithmetic context against independent computations."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from basins.activations import as_activation
from basins.model import engine

X = [0.1, 2.0, 3.0, -1.25]
Y = [0.5, -1.0, 2.25, 0.75]
V = [1.0, -0.5]
W = [0.75, -1.5]


def _mp_loss(act, theta):
    """E at the working mpmath precision, written out directly (no engine)."""
    f = act.mpmath(0)
    m = len(theta) // 2
    total = mpmath.mpf(0)
    for xj, yj in zip(X, Y):
        yhat = mpmath.fsum(theta[i] * f(theta[m + i] * mpmath.mpf(xj)) for i in range(m))
        total += (yhat - mpmath.mpf(yj)) ** 2
    return total


@pytest.fixture(scope="module")
def swish():
    return as_activation("swish")


@pytest.fixture(scope="module")
def reference(swish):
    """E, ∇E, ∇²E at 50 digits by mpmath.diff of the directly written loss."""
    with mpmath.workdps(50):
        theta = [mpmath.mpf(a) for a in V + W]
        n = len(theta)

        def f(*t):
            return _mp_loss(swish, list(t))

        E = f(*theta)
        g = [mpmath.diff(f, theta, tuple(int(k == a) for k in range(n))) for a in range(n)]
        H = [[mpmath.diff(f, theta, tuple(int(k == a) + int(k == b) for k in range(n))) for b in range(n)]
             for a in range(n)]
    return E, g, H


def test_model_parameter():
    assert engine.SCALAR.n_params(3) == 6
    assert engine.Model(input_dim=2, hidden_bias=True, output_bias=True).n_params(3) == 13
    with pytest.raises(ValueError, match="x has rows of 1 numbers; the model needs 2"):
        engine.loss(engine.float_context(as_activation("tanh")), X, Y, V, W, model=engine.Model(input_dim=2))


def test_mpmath_context_matches_mpmath_diff(swish, reference):
    E, g, H = reference
    with mpmath.workdps(50):
        ctx = engine.MpmathContext(swish)
        ev = engine.derivatives(ctx, X, Y, V, W)
        assert abs(ev.loss - E) < mpmath.mpf(10) ** -45
        assert max(abs(a - b) for a, b in zip(ev.gradient, g)) < mpmath.mpf(10) ** -40
        n = len(g)
        assert max(abs(ev.hessian[a, b] - H[a][b]) for a in range(n) for b in range(n)) < mpmath.mpf(10) ** -35


def test_float_context_matches_reference_and_finite_differences(swish, reference):
    E, g, H = reference
    ctx = engine.float_context(swish)
    ev = engine.derivatives(ctx, X, Y, V, W)
    assert ev.loss == pytest.approx(float(E), rel=1e-14)
    np.testing.assert_allclose(ev.gradient, [float(a) for a in g], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ev.hessian, [[float(a) for a in row] for row in H], rtol=1e-12, atol=1e-12)
    # central finite differences of the gradient give the Hessian
    theta, h = np.array(V + W), 1e-6
    fd = np.empty((4, 4))
    for k in range(4):
        e = np.zeros(4)
        e[k] = h
        fd[:, k] = (engine.gradient(ctx, X, Y, (theta + e)[:2], (theta + e)[2:])
                    - engine.gradient(ctx, X, Y, (theta - e)[:2], (theta - e)[2:])) / (2 * h)
    np.testing.assert_allclose(fd, ev.hessian, rtol=1e-7, atol=1e-7)
    J = engine.jacobian(ctx, X, V, W)
    r = engine.residual(ctx, X, Y, V, W)
    np.testing.assert_allclose(2 * J.T @ r, ev.gradient, rtol=1e-14)


def test_batched_float_equals_single(swish):
    rng = np.random.default_rng(3)
    Vb, Wb = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    ctx = engine.float_context(swish)
    ev = engine.derivatives(ctx, X, Y, Vb, Wb)
    assert ev.loss.shape == (6,) and ev.gradient.shape == (6, 6) and ev.hessian.shape == (6, 6, 6)
    Jb = engine.jacobian(ctx, X, Vb, Wb)
    yb = engine.output(ctx, X, Vb, Wb)
    for k in range(6):
        one = engine.derivatives(ctx, X, Y, Vb[k], Wb[k])
        np.testing.assert_allclose(ev.loss[k], one.loss, rtol=1e-14)
        np.testing.assert_allclose(ev.gradient[k], one.gradient, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(ev.hessian[k], one.hessian, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(Jb[k], engine.jacobian(ctx, X, Vb[k], Wb[k]), rtol=1e-15)
        np.testing.assert_allclose(yb[k], engine.output(ctx, X, Vb[k], Wb[k]), rtol=1e-14)


@pytest.mark.parametrize("field", ["fmpq", "fraction"])
def test_exact_context_matches_sympy_on_a_polynomial(field):
    t = sp.Symbol("t")
    sig = t**3 + t**2 + t
    ders = [sp.lambdify(t, sp.diff(sig, t, k)) for k in range(3)]
    xs = [Fraction(1, 3), Fraction(-2), Fraction(5, 4)]
    ys = [Fraction(1), Fraction(-7, 2), Fraction(2, 9)]
    vs, ws = [Fraction(3, 2), Fraction(-1, 5)], [Fraction(2, 7), Fraction(-4, 3)]
    syms = sp.symbols("v1 v2 w1 w2")
    Ex = sum((sum(syms[i] * sig.subs(t, syms[2 + i] * sp.Rational(xj)) for i in range(2)) - sp.Rational(yj)) ** 2
             for xj, yj in zip(xs, ys))
    at = dict(zip(syms, [sp.Rational(a) for a in vs + ws]))
    ctx = engine.ExactContext(ders, field=field)
    ev = engine.derivatives(ctx, xs, ys, vs, ws)

    def q(a):
        return Fraction(int(a.p), int(a.q)) if hasattr(a, "q") else Fraction(a)

    assert q(ev.loss) == q(Ex.subs(at))
    assert [q(a) for a in ev.gradient] == [q(sp.diff(Ex, s).subs(at)) for s in syms]
    assert [[q(a) for a in row] for row in ev.hessian] == [[q(sp.diff(Ex, a, b).subs(at)) for b in syms]
                                                           for a in syms]


def test_ball_context_encloses_50_digit_values(swish, reference):
    flint = pytest.importorskip("flint")
    E, g, H = reference
    old = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        ctx = engine.BallContext(swish)
        ev = engine.derivatives(ctx, X, Y, V, W)
        Eb = engine.loss(ctx, X, Y, V, W)
        # a box around the point encloses the values at the point too
        box = engine.derivatives(ctx, X, Y, [flint.arb(a, 1e-8) for a in V], [flint.arb(a, 1e-8) for a in W])

        def inside(ball, value):
            # the 50-digit value, as a ball of radius ~1e-50 (at 256 bits), inside the 128-bit enclosure
            flint.ctx.prec = 256
            ok = ball.contains(flint.arb(mpmath.nstr(value, 50)))
            flint.ctx.prec = 128
            return ok

        assert Eb.rad() < 1e-30 and inside(Eb, E) and inside(ev.loss, E)
        n = len(g)
        for a in range(n):
            assert inside(ev.gradient[a, 0], g[a]) and inside(box.gradient[a, 0], g[a])
            for b in range(n):
                assert inside(ev.hessian[a, b], H[a][b]) and inside(box.hessian[a, b], H[a][b])
                assert ev.hessian[a, b].rad() < 1e-25
    finally:
        flint.ctx.prec = old


def test_one_sided_context_matches_exact_expansion_on_its_orthant():
    """On an orthant E(θ + h d) is a quartic in h; its h and h² coefficients are g·d and ½ dᵀHd."""
    # σ = max(0, t − 1): neuron 1 sits on the breakpoint at samples 3 (x = 1) and 4 (x = −1 with w = −1 ... )
    bps, pcs = [Fraction(1)], [(Fraction(0), Fraction(0)), (Fraction(1), Fraction(-1))]

    def value(u):
        s, c = pcs[int(u >= bps[0])]
        return s * u + c

    def slope(u, side):
        return pcs[int(u > bps[0] or (u == bps[0] and side > 0))][0]

    xs = [Fraction(2), Fraction(3, 2), Fraction(1), Fraction(-1, 2)]
    ys = [Fraction(1), Fraction(1, 3), Fraction(-1), Fraction(2)]
    vs, ws = [Fraction(1), Fraction(-2)], [Fraction(1), Fraction(3)]
    d = [Fraction(1, 3), Fraction(-2), Fraction(1), Fraction(-1, 2)]
    for s in (1, -1):
        ctx = engine.OneSidedContext(value, slope, {0: s}, field="fraction")
        ev = engine.derivatives(ctx, xs, ys, vs, ws)
        dd = [d[0], d[1], s * abs(d[2]), d[3]]
        hs = [Fraction(k, 10 ** 6) for k in range(1, 6)]
        Es = [engine.loss(ctx, xs, ys, [a + h * b for a, b in zip(vs, dd[:2])], [a + h * b for a, b in zip(ws, dd[2:])])
              for h in hs]
        coef = sp.Matrix([[sp.Rational(h) ** p for p in range(5)] for h in hs]).LUsolve(
            sp.Matrix([sp.Rational(e) for e in Es]))
        assert coef[0] == sp.Rational(ev.loss)
        assert coef[1] == sp.Rational(sum(a * b for a, b in zip(ev.gradient, dd)))
        quad = sum(dd[a] * ev.hessian[a][b] * dd[b] for a in range(4) for b in range(4)) / 2
        assert coef[2] == sp.Rational(quad)
