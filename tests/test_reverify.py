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
from basins.certification.second import _atan_thin, _compile, _erf_thin, _iv, _tanh_thin, reverify, reverify_or_raise
from basins.oracles.testing import load_shipped


def _contains(interval, value) -> bool:
    return bool(interval.a <= value <= interval.b)


@pytest.mark.parametrize("u", [-7.5, -2.0, -0.3, 0.0, 0.7, 3.0, 6.9, 9.0])
def test_erf_enclosure_contains_mpmath_value(u: float) -> None:
    with mpmath.workdps(50):
        ref = mpmath.erf(mpmath.mpf(u))
    old = _iv.prec
    _iv.dps = 40
    try:
        enc = _erf_thin(_iv.mpf(u))
        assert _contains(enc, ref)
        assert enc.delta < mpmath.mpf(10) ** -15
    finally:
        _iv.prec = old


@pytest.mark.parametrize("u", [-20.0, -1.5, 0.0, 0.25, 3.0, 40.0])
def test_tanh_and_atan_enclosures_contain_mpmath_values(u: float) -> None:
    with mpmath.workdps(50):
        t_ref, a_ref = mpmath.tanh(mpmath.mpf(u)), mpmath.atan(mpmath.mpf(u))
    assert _contains(_tanh_thin(_iv.mpf(u)), t_ref)
    assert _contains(_atan_thin(_iv.mpf(u)), a_ref)


def test_interval_piecewise_straddling_gives_the_hull() -> None:
    f = _compile(as_activation("elu").derivative(1))
    enc = f(_iv.mpf([-0.01, 0.01]))
    assert _contains(enc, 1) and _contains(enc, math.exp(-0.01))


def test_example2_is_reproved() -> None:
    res = reverify(construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0]))
    assert res.certified
    # smoothness is decided on a box before Krawczyk may use it
    assert [n for n, _, _ in res.checks] == ["C2", "krawczyk", "point", "positive definite", "sub-optimal"]


@pytest.mark.parametrize("name", ["gelu_m2_n8", "tanh_m3_n12", "theorem7_shifted_relu_m2_n8"])
def test_shipped_cases_are_reproved(name: str) -> None:
    assert reverify(load_shipped(name)).certified


def test_moved_point_is_rejected() -> None:
    case = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0])
    with pytest.raises(VerificationFailed, match="second verifier rejects the case at check 'point'|'krawczyk'"):
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
