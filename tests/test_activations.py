"""Activations: parser, registry, symbolic properties, evaluators."""

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from basins.activations import REGISTRY, T, Activation, as_activation, parse_expression
from basins.errors import ActivationError


# Derivatives at 0, worked out by hand (e.g. swish'' = 2s'(0) + 0·s''(0) = 1/2).
AT_ZERO = [
    ("swish", (0, sp.Rational(1, 2), sp.Rational(1, 2))),
    ("softplus", (sp.log(2), sp.Rational(1, 2), sp.Rational(1, 4))),
    ("sigmoid", (sp.Rational(1, 2), sp.Rational(1, 4), 0)),
    ("tanh", (0, 1, 0)),
    ("gelu", (0, sp.Rational(1, 2), sp.sqrt(2) / sp.sqrt(sp.pi))),
    ("exp", (1, 1, 1)),
    ("sin", (0, 1, 0)),
    ("quadratic", (0, 0, 2)),
    ("elu", (0, 1, None)),
    ("relu", (0, None, None)),
    ("shifted_relu", (0, 0, 0)),
]


@pytest.mark.parametrize("name,expected", AT_ZERO, ids=[a for a, _ in AT_ZERO])
def test_derivatives_at_zero(name, expected):
    got = Activation.from_text(name).derivatives_at_zero()
    for g, e in zip(got, expected):
        if e is None:
            assert g is None
        else:
            assert g is not None and sp.simplify(g - e) == 0


SMOOTHNESS = [
    ("swish", True, []),
    ("gelu", True, []),
    ("elu", False, [0]),
    ("relu", False, [0]),
    ("shifted_relu(2)", False, [2]),
    ("Max(0, t)**3", True, []),
    ("Max(0, t)**2", False, [0]),
    ("Piecewise((t**2, t > 1), (2*t - 1, True))", False, [1]),
    ("Max(0, t-1) - Max(0, t-3)", False, [1, 3]),
    ("1/t", False, [0]),
]


@pytest.mark.parametrize("text,c2,points", SMOOTHNESS, ids=[s[0] for s in SMOOTHNESS])
def test_c2_and_nonsmooth_points(text, c2, points):
    act = Activation.from_text(text)
    assert act.is_c2 is c2
    assert [float(p) for p in act.nonsmooth_points] == points


HOMOGENEOUS = [
    ("relu", True), ("leaky_relu", True), ("abs", True), ("linear", True), ("leaky_relu(0.1)", True),
    ("2*Max(0, t) - Max(0, -t)/3", True), ("shifted_relu", False), ("swish", False),
    ("Max(0, t) + 1", False), ("quadratic", False), ("elu", False),
]


@pytest.mark.parametrize("text,expected", HOMOGENEOUS, ids=[h[0] for h in HOMOGENEOUS])
def test_positive_homogeneity(text, expected):
    act = Activation.from_text(text)
    assert act.is_positively_homogeneous is expected
    if expected:  # independent check on sample points: σ(αt) = ασ(t)
        f = act.numpy(0)
        t = np.linspace(-3, 3, 13)
        for alpha in (0.5, 2.0, 7.0):
            assert np.allclose(f(alpha * t), alpha * f(t), rtol=0, atol=1e-12)


def test_piecewise_linear_breakpoints_and_slopes():
    pl = Activation.from_text("Max(0, t-1) - Max(0, t-3)").piecewise_linear
    assert pl is not None
    assert pl.breakpoints == (1, 3)
    assert [s for s, _ in pl.pieces] == [0, 1, 0]
    assert [c for _, c in pl.pieces] == [0, -1, 2]
    assert Activation.from_text("swish").piecewise_linear is None
    leaky = Activation.from_text("leaky_relu").piecewise_linear
    assert leaky.breakpoints == (0,) and [s for s, _ in leaky.pieces] == [sp.Rational(1, 100), 1]


def test_decimal_literals_are_exact():
    assert parse_expression("Max(0, t - 0.1)") == sp.Max(0, T - sp.Rational(1, 10))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_text_round_trip(name):
    act = Activation.from_text(name)
    again = Activation.from_text(act.text)
    assert again == act


@pytest.mark.parametrize("name", ["swish", "softplus", "tanh", "gelu", "sin", "exp", "elu", "sigmoid"])
def test_numpy_derivatives_match_finite_differences(name):
    act = Activation.from_text(name)
    t = np.array([-2.3, -0.7, 0.4, 1.9])
    h = 1e-5
    for k in range(4):
        fd = (act.numpy(k)(t + h) - act.numpy(k)(t - h)) / (2 * h)
        assert np.allclose(act.numpy(k + 1)(t), fd, rtol=1e-6, atol=1e-6), k


@pytest.mark.parametrize("name", ["swish", "softplus", "gelu", "elu", "shifted_relu"])
def test_mpmath_matches_numpy(name):
    act = Activation.from_text(name)
    for u in (-1.7, 0.3, 2.2):
        for k in range(3):
            with mpmath.workdps(30):
                assert abs(float(act.mpmath(k)(u)) - act.numpy(k)(np.array([u]))[0]) < 1e-14


def test_numpy_evaluator_broadcasts_constants():
    # σ″ of a quadratic is a constant: the evaluator still returns the input's shape
    out = Activation.from_text("quadratic").numpy(2)(np.zeros((2, 3)))
    assert out.shape == (2, 3) and np.all(out == 2)


def test_as_activation_accepts_name_expression_object_and_sympy():
    a = as_activation("swish")
    assert as_activation(a) is a
    assert as_activation("t/(1 + exp(-t))") == a
    assert as_activation(T / (1 + sp.exp(-T))) == a


@pytest.mark.parametrize("text,match", [
    ("__import__('os').system('true')", "only calls of whitelisted functions"),
    ("t.__class__", "Attribute is not allowed"),
    ("lambda: 1", "Lambda is not allowed"),
    ("open('f')", "not allowed"),
    ("x + 1", "unknown name 'x'"),
    ("t**1000", "exponent 1000 is larger"),
    ("1e400 * t", "not finite"),
    ("exp(t", "not a valid expression"),
    ("'t'", "not a number"),
    ("[t, t]", "List is not allowed"),
    ("exp(t, base=2)", "without keywords"),
    ("Piecewise(t)", "Piecewise takes"),
    ("", "must be a registry name"),
    ("t > 0", "not a real-valued expression"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None)
def test_parser_rejects(text, match):
    with pytest.raises(ActivationError, match=match):
        Activation.from_text(text)


def test_unknown_symbol_in_sympy_expression_rejected():
    with pytest.raises(ActivationError, match="symbols"):
        as_activation(sp.Symbol("s") * T)


def test_parametrised_names():
    assert Activation.from_text("shifted_relu(2)").expr == sp.Max(0, T - 2)
    with pytest.raises(ActivationError, match="parameter of shifted_relu must be a real number"):
        Activation.from_text("shifted_relu(t)")


def test_domain_not_real_line_is_rejected():
    with pytest.raises(ActivationError, match="not defined or not continuous"):
        _ = Activation.from_text("log(t)").is_c2


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="t()+-*/.0123456789 eEpiMaxbsnhqrl,_[]'\"", max_size=30))
def test_parser_either_parses_or_raises_activation_error(text):
    try:
        expr = parse_expression(text)
    except ActivationError:
        return
    assert isinstance(expr, sp.Expr) and expr.free_symbols <= {T}


@pytest.mark.parametrize("text", ["+".join(f"Abs(t-{i})" for i in range(60)),
                                  "*".join(f"Max(0,t-{i})" for i in range(40)),
                                  "Max(0, t)*Max(0, t-1)*Max(0, t-2)*Max(0, t-3)*Max(0, t-4)*Max(0, t-5)*Max(0, t-6)"])
def test_expressions_whose_folding_explodes_are_refused_at_parse(text):
    """sympy's piecewise_fold multiplies the pieces (2^12 pieces: half a minute; 2^60: never): refused at once."""
    import time

    from basins.activations import parse_expression
    from basins.errors import ActivationError

    t0 = time.monotonic()
    with pytest.raises(ActivationError, match=r"non-smooth parts .* the limit is 32"):
        parse_expression(text)
    assert time.monotonic() - t0 < 10


def test_a_few_kinks_still_parse_and_fold():
    from basins.activations import as_activation

    act = as_activation("Max(0, t) + Abs(t - 1) + Abs(t + 1)/2")
    assert act.breakpoints and act.derivative(1).has(__import__("sympy").Piecewise)
