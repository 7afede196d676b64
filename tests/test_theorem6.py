"""Theorem 6: one neuron at w = 0, hypotheses decided symbolically."""

import numpy as np
import pytest
import sympy as sp

from basins.errors import InvalidArgument, NotApplicable
from basins.constructions.theorem6 import check_theorem6, construct_theorem6
from basins.verification.verify import verify_case


@pytest.mark.parametrize("name, values", [
    ("softplus", ("log(2)", "1/2", "1/4")),
    ("exp", ("1", "1", "1")),
    ("shifted_sigmoid", ("E/(1 + E)", "E/(1 + E)**2", "E*(1 - E)/(1 + E)**3")),
    ("cosh(t) + t", ("1", "1", "1")),
], ids=["softplus", "exp", "shifted_sigmoid", "cosh+t"])
def test_values_at_zero_exact(name, values):
    got = check_theorem6(name)
    # compare with sympy's own series, independently of the module's derivation
    t = sp.Symbol("t", real=True)
    from basins.activations import as_activation
    expr = as_activation(name).expr
    for (k, text), expected in zip(got.items(), values):
        assert sp.simplify(sp.sympify(text) - sp.sympify(expected)) == 0
    assert sp.simplify(sp.sympify(got["σ″(0)"]) - sp.diff(expr, t, 2).subs(t, 0)) == 0


@pytest.mark.parametrize("name, hyp", [
    ("tanh", "σ(0) ≠ 0"),
    ("swish", "σ(0) ≠ 0"),
    ("sigmoid", "σ″(0) ≠ 0"),
    ("cos(t)", "σ′(0) ≠ 0"),
    ("Piecewise((t + 1, t > 0), (exp(t), True))", "C2 at 0"),
], ids=["tanh", "swish", "sigmoid", "cos", "kink-at-0"])
def test_refused_names_the_hypothesis_and_points_to_prop4(name, hyp):
    with pytest.raises(NotApplicable, match="Proposition 4") as exc:
        construct_theorem6(name)
    assert exc.value.hypothesis == hyp and exc.value.theorem == "Theorem 6"
    assert f"hypothesis {hyp!r}" in str(exc.value)


def test_homogeneous_refused_by_theorem5():
    with pytest.raises(NotApplicable, match="Theorem 5") as exc:
        construct_theorem6("relu")
    assert exc.value.theorem == "Theorem 5"


@pytest.mark.parametrize("kwargs, hyp", [
    (dict(x=[1.0, 2.0]), "N ≥ 3"),
    (dict(width=2), "m = 1"),
    (dict(w=[0.5]), "m = 1"),
    (dict(v=[1.0, 1.0]), "m = 1"),
    (dict(x=[0.0, 1.0, 2.0]), "x has no zero entry"),
    (dict(x=[1.0, 1.0, 2.0]), "x has no repeated entry"),
])
def test_other_hypotheses(kwargs, hyp):
    with pytest.raises(NotApplicable, match="Theorem 6") as exc:
        construct_theorem6("softplus", **kwargs)
    assert exc.value.hypothesis == hyp


def test_unknown_option_refused():
    with pytest.raises(InvalidArgument, match="does not take"):
        construct_theorem6("softplus", trials=3)


@pytest.mark.parametrize("name, x", [
    ("softplus", (1.0, 2.0, 3.0)),
    ("exp", (-1.0, 0.5, 2.0, 3.0)),
    ("shifted_sigmoid", (0.5, 1.0, 1.5, 2.0, 2.5)),
], ids=["softplus", "exp-N4", "shifted_sigmoid-N5"])
def test_construction_by_the_vandermonde_argument(name, x):
    case = construct_theorem6(name, x, M=100.0)
    assert case.theorem == "Theorem 6" and case.w == (0.0,)
    xs = np.array(x)
    a = np.array(case.details["a"])
    # a ⟂ span{1, x} (z = σ(0)·1, z′ = σ′(0)·x) and a·x² ≠ 0 (z″ = σ″(0)·x∘x), checked directly
    assert abs(a @ np.ones_like(xs)) < 1e-12 and abs(a @ xs) < 1e-12
    assert abs(a @ xs ** 2) > 1e-3
    # E = M²|a|² (Proposition 4) and y = ŷ − M a with ŷ = v σ(0)
    from basins.activations import as_activation
    s0 = float(as_activation(name).numpy(0)(np.array([0.0]))[0])
    assert np.allclose(np.array(case.y), case.v[0] * s0 - 100.0 * a, rtol=0, atol=1e-12)
    assert case.loss == pytest.approx(1e4 * float(a @ a), rel=1e-12)
    ver = verify_case(case, samples=200)
    assert ver.passed, ver.failed
