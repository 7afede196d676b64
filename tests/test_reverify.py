"""Tests of basins.certification.second: the independent second verifier (mpmath intervals, exact rationals)."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp

from basins.activations import T, as_activation
from basins.io.case import Case, Witness
from basins.errors import InvalidArgument, VerificationFailed
from basins.constructions.prop4 import construct_prop4
from basins.certification.second import reverify, reverify_or_raise
from basins.certification.second_ad import (atan_enclosure, compile_sigma, erf_enclosure, iv, sigma_jet,
                                            tanh_enclosure)
from basins.oracles.testing import load_shipped


def _contains(interval, value) -> bool:
    return bool(interval.a <= value <= interval.b)


@pytest.mark.parametrize("u", [-7.5, -2.0, -0.3, 0.0, 0.7, 3.0, 6.9, 9.0])
def test_erf_enclosure_contains_mpmath_value(u: float) -> None:
    with mpmath.workdps(50):
        ref = mpmath.erf(mpmath.mpf(u))
    old = iv.prec
    iv.dps = 40
    try:
        enc = erf_enclosure(iv.mpf(u))
        assert _contains(enc, ref)
        assert enc.delta < mpmath.mpf(10) ** -15
    finally:
        iv.prec = old


@pytest.mark.parametrize("u", [-20.0, -1.5, 0.0, 0.25, 3.0, 40.0])
def test_tanh_and_atan_enclosures_contain_mpmath_values(u: float) -> None:
    with mpmath.workdps(50):
        t_ref, a_ref = mpmath.tanh(mpmath.mpf(u)), mpmath.atan(mpmath.mpf(u))
    assert _contains(tanh_enclosure(iv.mpf(u)), t_ref)
    assert _contains(atan_enclosure(iv.mpf(u)), a_ref)


def test_interval_piecewise_straddling_gives_the_hull() -> None:
    node, switches = compile_sigma(as_activation("elu").expr)
    enc = sigma_jet(node, iv.mpf([-0.01, 0.01]))[1]          # σ′ over an interval around the kink
    assert _contains(enc, 1) and _contains(enc, math.exp(-0.01))
    assert [s.root for s in switches] == [0]


def test_example2_is_reproved() -> None:
    res = reverify(construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0]))
    assert res.certified
    # smoothness is decided on a box before Newton–Kantorovich may use it
    assert [n for n, _, _ in res.checks] == ["C2", "newton-kantorovich", "point", "positive definite", "sub-optimal"]


@pytest.mark.parametrize("name", ["gelu_m2_n8", "tanh_m3_n12", "theorem7_shifted_relu_m2_n8"])
def test_shipped_cases_are_reproved(name: str) -> None:
    assert reverify(load_shipped(name)).certified


def test_moved_point_is_rejected() -> None:
    case = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0])
    with pytest.raises(VerificationFailed, match="second verifier rejects the case at check ('point'|'newton-kantorovich')"):
        reverify_or_raise(case.with_(w=(1.01,)))


def test_witness_raised_is_rejected() -> None:
    case = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0])
    bad = case.with_(witness=Witness((1.0,), (1.001,), case.loss))
    with pytest.raises(VerificationFailed, match="check 'sub-optimal'"):
        reverify_or_raise(bad)


def test_piecewise_linear_kink_off_by_an_ulp_is_rejected() -> None:
    case = Case(as_activation("shifted_relu"), x=(1.5, 1.25, 1.0), y=(0.5, math.nextafter(0.25, 1), -100.0),
                v=(1.0,), w=(1.0,), theorem="Theorem 7", loss=1e4, witness=Witness((-13.6,), (2.0,), 8658.7))
    with pytest.raises(VerificationFailed, match="check 'pieces'"):
        reverify_or_raise(case)


def test_function_without_interval_evaluator_is_rejected() -> None:
    case = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0])
    odd = case.with_(activation=as_activation(sp.besselj(0, T) + T / (1 + sp.exp(-T))))
    res = reverify(odd)
    assert res.status == "rejected" and res.failed == ["inputs"]


def test_bad_dps() -> None:
    with pytest.raises(InvalidArgument, match="dps=5"):
        reverify(load_shipped("example2_swish"), dps=5)


# ------------------------------------------------ the second verifier's own derivatives --

def _sympy_free(text: str):
    return as_activation(text).expr


@pytest.mark.parametrize("name, points", [
    ("swish", None), ("gelu", None), ("tanh", None), ("softplus", None), ("sin", None),
    ("elu", "away"), ("sigmoid", None), ("t*atan(t) + sinh(t)/3 - cosh(t)/5 + erfc(t) + sqrt(t**2 + 3)", None),
])
def test_jets_agree_with_independent_50_digit_mpmath_diff(name: str, points: str | None) -> None:
    """σ, σ′, σ″, σ‴ of the verifier's own jets contain mpmath.diff of σ written with mpmath (50 digits)."""
    import numpy as np

    expr = _sympy_free(name)
    t = sorted(expr.free_symbols, key=str)[0]
    f = sp.lambdify(t, expr, modules="mpmath")
    node, _ = compile_sigma(expr)
    rng = np.random.default_rng(7)
    us = rng.uniform(-4, 4, size=12)
    if points == "away":
        us = us[np.abs(us) > 0.05]
    for u in us:
        u = float(u)
        with mpmath.workdps(50):
            ref = [mpmath.diff(f, mpmath.mpf(u), k) / math.factorial(k) for k in range(4)]
        old = iv.prec
        iv.dps = 40
        try:
            jet = sigma_jet(node, iv.mpf(u))
        finally:
            iv.prec = old
        with mpmath.workdps(50):          # mpmath.diff's own error is far below 1e-30
            for k in range(4):
                lo, hi = mpmath.mpf(jet[k].a), mpmath.mpf(jet[k].b)
                assert lo - mpmath.mpf(10) ** -30 <= ref[k] <= hi + mpmath.mpf(10) ** -30, (name, u, k)
                assert hi - lo < mpmath.mpf(10) ** -25


def test_jets_of_a_polynomial_are_exact() -> None:
    from fractions import Fraction

    from basins.certification.second_ad import ExactNumbers

    expr = _sympy_free("3*t**5 - t**4/7 + 2*t**2 - 5")
    node, _ = compile_sigma(expr)
    t = sorted(expr.free_symbols, key=str)[0]
    for q in (Fraction(-7, 3), Fraction(0), Fraction(5, 11), Fraction(12)):
        Q = sp.Rational(q.numerator, q.denominator)
        jet = node.jet(ExactNumbers(q), [Q, sp.Integer(1), sp.Integer(0), sp.Integer(0)])
        assert jet == [sp.diff(expr, t, k).subs(t, Q) / math.factorial(k) for k in range(4)]
        enc = sigma_jet(node, iv.mpf(float(q)) if q.denominator == 1 else iv.mpf(q.numerator) / q.denominator)
        for k in range(4):
            assert _contains(enc[k], mpmath.mpf(sp.diff(expr, t, k).subs(t, Q).evalf(40)) / math.factorial(k))


def test_second_verifier_never_calls_the_shared_derivative_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    from basins.activations import Activation

    def boom(*a, **k):
        raise AssertionError("the second verifier used act.derivative or sympy.diff")

    monkeypatch.setattr(Activation, "derivative", boom)
    monkeypatch.setattr(sp, "diff", boom)
    assert reverify(construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0])).certified
    assert reverify(load_shipped("elu_m2_n8")).certified


def test_c2_junction_and_discontinuity_decided_by_own_jets() -> None:
    from basins.certification.second_ad import Smoothness

    for text, ok in [("Max(0, t - 3)**3", True), ("Max(0, t - 3)**2", False),
                     ("Piecewise((0, t < 3), (5, Eq(t, 3)), (0, True))", False), ("Abs(t - 3)**3 + t", True)]:
        node, sw = compile_sigma(sp.sympify(text, locals={"t": sp.Symbol("t")}))
        state, why = Smoothness(node, sw).decide(iv.mpf([2.5, 3.5]))
        assert state is ok, (text, why)
        # the same switch at a negative pre-activation (the old verifier read negative endpoints without sign)
        node, sw = compile_sigma(sp.sympify(text.replace("t - 3", "t + 3").replace("t < 3", "t < -3")
                                            .replace("Eq(t, 3)", "Eq(t, -3)"), locals={"t": sp.Symbol("t")}))
        state, why = Smoothness(node, sw).decide(iv.mpf([-3.5, -2.5]))
        assert state is ok, (text, why)
