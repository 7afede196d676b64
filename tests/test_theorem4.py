"""Theorem 4: the designed activation (exact C² piecewise quintic) and its bad basin."""

from fractions import Fraction as F

import mpmath
import numpy as np
import pytest
import sympy as sp

from basins.activations import Activation, as_activation, parse_expression
from basins.io.case import Case
from basins.errors import InvalidArgument, NotApplicable
from basins.model.network import features
from basins.activations.ppoly import PiecewisePolynomial, from_expr
from basins.constructions.theorem4 import construct_theorem4, design_activation, hermite_quintic
from basins.verification.verify import verify_case

T = sp.Symbol("t", real=True)


def test_hermite_quintic_matches_sympy_interpolation():
    h, left, right = F(3, 2), (F(1), F(-2), F(5)), (F(-1, 3), F(4), F(0))
    c = hermite_quintic(h, left, right)
    p = sum(sp.Rational(a.numerator, a.denominator) * T ** k for k, a in enumerate(c))
    hs = sp.Rational(3, 2)
    for order, (l, r) in enumerate(zip(left, right)):
        d = sp.diff(p, T, order)
        assert d.subs(T, 0) == sp.Rational(l.numerator, l.denominator)
        assert d.subs(T, hs) == sp.Rational(r.numerator, r.denominator)


def test_ppoly_roundtrip_and_evaluators_agree():
    text = ("Piecewise((1 + 2*t, t < -1), (t**3 - 3*t - 1 + 2, t < 1/2), "
            "(7/8 - 9/4*(t - 1/2) + 3/4*(t - 1/2)**2, True))")
    expr = parse_expression(text)
    pp = from_expr(expr)
    assert pp is not None and pp.breakpoints == (F(-1), F(1, 2))
    # σ is continuous at -1 (both give -1... 1 + 2·(-1) = -1 and (-1)^3 + 3 + 1 = 3): a jump, so non-smooth
    assert F(-1) in pp.nonsmooth_points
    u = np.array([-2.0, -1.0, 0.0, 0.25, 0.5, 2.0])
    exact = [pp.value(F(a)) for a in u]
    ref = [float(expr.subs(T, sp.Float(a))) for a in u]
    assert np.allclose(pp.numpy(0)(u), ref, atol=1e-14)
    assert np.allclose([float(e) for e in exact], ref, atol=1e-14)
    with mpmath.workdps(40):
        assert all(abs(pp.mpmath(1)(a) - float(sp.diff(expr, T).subs(T, a))) < 1e-12 for a in (-2.0, 0.0, 0.25, 2.0))
    # the same text through the Activation: it takes the fast path
    act = Activation("test", expr)
    assert act._ppoly is not None and not act.is_c2
    assert PiecewisePolynomial(pp.breakpoints, pp.centers, pp.coeffs).to_text().startswith("Piecewise(")
    assert from_expr(parse_expression(pp.to_text())).coeffs == pp.coeffs


def test_non_canonical_expressions_keep_the_symbolic_path():
    assert from_expr(parse_expression("Piecewise((t, t > 0), (0, True))")) is None
    assert from_expr(parse_expression("Piecewise((exp(t), t < 0), (1 + t, t < 1), (2, True))")) is None
    assert from_expr(parse_expression("t**2")) is None


def test_designed_sigma_prescribed_values():
    x = np.array([-1.0, 0.5, 2.0, 3.0, -4.0])
    act, design = design_activation(x, 3, seed=2)
    w, v, a = np.array(design["w"]), np.array(design["v"]), np.array(design["a"])
    assert act.is_c2 and act.nonsmooth_points == ()
    z, z1, z2 = features(act, x, w)
    # (43) with the prescription: z′ = 0, z″_i = v_i a, z_i ⟂ a, z_0 = a at w_0
    assert np.max(np.abs(z1)) == 0.0
    assert np.allclose(z2, v[:, None] * a[None, :], atol=1e-12)
    assert np.max(np.abs(z @ a)) < 1e-12
    assert np.allclose(act.numpy(0)(design["w0"] * x), a, atol=1e-15)
    # conditions 1-3: rank of z, z″ outside span(z), z_0 outside span(z)
    assert np.linalg.matrix_rank(z, tol=1e-8) == 3
    assert np.linalg.matrix_rank(np.vstack([z, a]), tol=1e-8) == 4


def test_c2_decided_exactly_on_a_broken_spline():
    act, _ = design_activation([1.0, 2.0, 3.0], 2, seed=0)
    pp = act._ppoly
    coeffs = list(pp.coeffs)
    k = len(coeffs) // 2
    bad = list(coeffs[k])
    bad[2] += F(1, 10 ** 30)                      # a tiny jump in σ″ at one node
    coeffs[k] = tuple(bad)
    broken = PiecewisePolynomial(pp.breakpoints, pp.centers, tuple(coeffs))
    act2 = as_activation(parse_expression(broken.to_text()))
    # piece k lies between breakpoints k-1 and k: σ″ jumps at its left end, σ, σ′, σ″ at its right end
    b = pp.breakpoints
    expected = {sp.Rational(q.numerator, q.denominator) for q in (b[k - 1], b[k])}
    assert not act2.is_c2 and set(act2.nonsmooth_points) == expected


@pytest.mark.parametrize("x, m, seed", [
    ((0.1, 2.0, 3.0), 2, 0),
    ((0.5, 1.0, 2.0, 3.0), 2, 1),
    ((-1.0, 0.5, 2.0, 3.0, -4.0), 4, 3),
    ((1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0), 6, 0),
], ids=["N3m2", "N4m2", "N5m4-signs", "N7m6"])
def test_case_verifies_from_its_file_alone(tmp_path, x, m, seed):
    case = construct_theorem4(x=x, width=m, seed=seed)
    assert case.theorem == "Theorem 4" and case.m == m and case.witness.loss < case.loss
    path = tmp_path / "t4.json"
    case.save(path)
    back = Case.from_json(path.read_text())
    assert back.activation.is_c2 and back.activation == case.activation
    ver = verify_case(back, samples=200)
    assert ver.passed, ver.failed


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(x=[0.0, 1.0, 2.0], width=1), NotApplicable, "zero entry"),
    (dict(x=[1.0, 1.0, 2.0], width=1), NotApplicable, "repeated entry"),
    (dict(x=[1.0, 2.0, 3.0], width=3), NotApplicable, "width=3 is not below"),
    (dict(x=[1.0, 2.0, 3.0], width=1, w=[1.0]), InvalidArgument, "designs w, v and w_0"),
    (dict(x=[1.0, 2.0, 3.0], width=1, M=-1.0), InvalidArgument, "M=-1.0"),
    (dict(x=[1.0, 2.0, 3.0], width=True), InvalidArgument, "width=True"),
    (dict(activation="swish", x=[1.0, 2.0, 3.0], width=1), NotApplicable, "σ is designed"),
])
def test_refusals(kwargs, err, match):
    with pytest.raises(err, match=match):
        construct_theorem4(**kwargs)


@pytest.mark.slow
def test_N50_m49(tmp_path):
    x = [k / 10 for k in range(1, 51)]
    case = construct_theorem4(x=x, width=49, seed=0)
    path = tmp_path / "t4_50.json"
    case.save(path)
    back = Case.from_json(path.read_text())
    assert back.activation.is_c2
    ver = verify_case(back, samples=500)
    assert ver.passed, ver.failed
