"""Tests of basins.certification.piecewise_linear: the exact piece analysis for piecewise-linear σ (Theorem 7)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from basins.activations import as_activation
from basins.io.case import Case, Witness
from basins.certification.piecewise_linear import certify_pl
from basins.errors import NotApplicable
from basins.oracles.testing import load_shipped


def _one_neuron(**changes) -> Case:
    # Theorem 7 with m = 1: σ = max(0, t − 1), x = (1.5, 1.25, 1), w = 1 (kink at x_3), v = 1, M = 100
    case = Case(as_activation("shifted_relu"), x=(1.5, 1.25, 1.0), y=(0.5, 0.25, -100.0), v=(1.0,), w=(1.0,),
                theorem="Theorem 7", loss=1e4, witness=Witness((-13.6,), (2.0,), 8658.6725))
    return case.with_(**changes)


def _exact_loss(x, y, v, w, c=1) -> Fraction:
    def s(u: Fraction) -> Fraction:
        return max(Fraction(0), u - c)
    return sum((sum(Fraction(a) * s(Fraction(b) * Fraction(xj)) for a, b in zip(v, w)) - Fraction(yj)) ** 2
               for xj, yj in zip(x, y))


def test_one_neuron_theorem7_is_certified_with_exact_losses() -> None:
    case = _one_neuron()
    cert = certify_pl(case)
    assert cert.status == "certified", cert.checks
    assert cert.figures["E"] == "10000"                     # E = M² (Theorem 7)
    assert Fraction(cert.figures["E at witness"]) == _exact_loss(case.x, case.y, case.witness.v, case.witness.w)
    assert cert.figures["kinked neurons"] == [1] and cert.figures["orthants"] == 2
    # the one-sided slope of E along +δw is 2 v M x_3 σ'_+ = 200
    assert cert.figures["smallest one-sided slope of E along a constrained w"] == "200"


@pytest.mark.parametrize("name, orthants", [("theorem7_shifted_relu_m2_n8", 4), ("theorem7_shifted_relu_m4_n9", 16)])
def test_shipped_theorem7_cases_analyse_every_orthant(name: str, orthants: int) -> None:
    case = load_shipped(name)
    cert = certify_pl(case)
    assert cert.certified and cert.figures["orthants"] == orthants
    assert Fraction(cert.figures["E"]) == _exact_loss(case.x, case.y, case.v, case.w, c=1)


def test_y_off_by_one_ulp_is_not_a_critical_point() -> None:
    case = _one_neuron(y=(math.nextafter(0.5, 1.0), 0.25, -100.0))
    cert = certify_pl(case)
    assert cert.status == "rejected" and "pieces" in cert.failed
    assert "≠ 0" in dict((n, d) for n, _, d in cert.checks)["pieces"]


def test_wrong_sign_of_v_is_rejected() -> None:
    # v = −1: then ŷ = −(0.5, 0.25, 0) and moving w down lowers E; not a local minimum
    case = _one_neuron(v=(-1.0,), y=(-0.5, -0.25, -100.0))
    assert certify_pl(case).status == "rejected"


def test_witness_above_is_rejected() -> None:
    case = _one_neuron(witness=Witness((1.0,), (1.0,), 1e4))
    cert = certify_pl(case)
    assert cert.failed == ["sub-optimal"]


def test_no_kink_falls_back_to_the_smooth_certificate() -> None:
    case = _one_neuron(w=(1.0 + 2.0**-20,))
    cert = certify_pl(case)
    assert cert.kind.startswith("smooth")


def test_smooth_activation_is_not_applicable() -> None:
    with pytest.raises(NotApplicable, match="activation='swish' is not piecewise linear"):
        certify_pl(_one_neuron().with_(activation=as_activation("swish")))


def test_float_rounded_kinks_are_rejected_honestly() -> None:
    # w = 2/3 is not a float: the pre-activation misses the kink by an ulp and the float data
    # are not an exact critical point; the exact analysis says so instead of rounding it away
    x = (2.0, 1.75, 1.5, 1.25, 1.0)
    w = (2 / 3, 1.0)
    yhat = [sum(max(0.0, wi * xj - 1) for wi in w) for xj in x]
    y = tuple(yhat[:4]) + (yhat[4] - 49.0,)
    case = Case(as_activation("shifted_relu"), x=x, y=y, v=(1.0, 1.0), w=w, theorem="Theorem 7", loss=2401.0,
                witness=Witness((0.0, -10.0), (0.0, 1.1), 0.0))
    cert = certify_pl(case)
    assert cert.status == "rejected"
    assert "w_1 x_3 misses the breakpoint 1" in dict((n, d) for n, _, d in cert.checks)["pieces"]


def test_two_kink_activation_theorem7_with_finite_delta() -> None:
    # σ = max(0, t − 1) − max(0, t − 3)/2: t_0 = 1, δ = 2, and x_1/x_N = 1.5 < (t_0 + δ)/t_0 = 3
    from basins.certification.second import reverify

    act = as_activation("Max(0, t - 1) - Max(0, t - 3)/2")
    assert [str(b) for b in act.piecewise_linear.breakpoints] == ["1", "3"]
    case = _one_neuron(activation=act)
    cert = certify_pl(case)
    assert cert.certified, cert.checks
    assert cert.figures["E"] == "10000"
    assert reverify(case).certified


@pytest.mark.parametrize("m", [1, 2, 3])
def test_theorem7_constructions_are_certified_by_both_verifiers(m: int) -> None:
    from basins.certification.second import reverify
    from basins.constructions.theorem7 import construct_theorem7

    case = construct_theorem7("shifted_relu", width=m)
    cert = certify_pl(case)
    assert cert.certified, cert.checks
    assert cert.figures["orthants"] == 2 ** m
    assert reverify(case).certified
