"""Tests of basins.certification.smooth (ball-arithmetic certificates) and Activation.arb (the ball evaluator)."""

from __future__ import annotations

import copy
import json
import math

import flint
import mpmath
import numpy as np
import pytest

from basins.activations import as_activation
from basins.io.case import Case, Witness
from basins.certification.certificate import CERTIFIED, exact_inputs, input_digest
from basins.certification.certify import certify, certify_case, recheck_certificate, verify_rigorous
from basins.certification.smooth import certify_smooth
from basins.errors import ActivationError, InvalidArgument, VerificationFailed
from basins.constructions.prop4 import construct_prop4


@pytest.fixture(scope="module")
def example2() -> Case:
    return construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0], M=100.0)


@pytest.fixture(scope="module")
def certified2(example2: Case) -> Case:
    return certify_case(example2)


# ------------------------------------------------------------ the ball evaluator --

@pytest.mark.parametrize("name", ["swish", "softplus", "gelu", "tanh", "sin", "exp", "elu", "sigmoid", "cubic"])
def test_arb_encloses_50_digit_values(name: str) -> None:
    act = as_activation(name)
    rng = np.random.default_rng(3)
    f = act.arb(2)
    for u in rng.uniform(-4, 4, 5):
        balls = f(flint.arb(float(u), 1e-12))
        with mpmath.workdps(50):
            ref = [mpmath.diff(lambda t: act.mpmath(0)(t), mpmath.mpf(float(u)), k) for k in range(3)]
        for k, (b, r) in enumerate(zip(balls, ref)):
            assert b.contains(flint.arb(mpmath.nstr(r, 40))), (name, u, k, b, r)
            assert float(b.rad()) < 1e-9


def test_arb_exact_values_at_zero() -> None:
    # exp: 1, 1, 1 exactly; sin: 0, 1, 0 — known values
    assert [float(b.mid()) for b in as_activation("exp").arb(2)(flint.arb(0))] == [1.0, 1.0, 1.0]
    assert [float(b.mid()) for b in as_activation("sin").arb(2)(flint.arb(0))] == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "swish", "softplus"])
def test_a_huge_ball_gives_non_finite_balls_not_an_error(name):
    """On u = 0 ± 1e30, e^(2u) + 1 is a ball containing 0: python-flint's series division raises
    ValueError; the evaluator says "not finite" instead (this crashed the basin-radius search on tanh)."""
    act = as_activation(name)
    vals = act.arb(2)(flint.arb(0, 1e30))
    assert len(vals) == 3 and not all(b.is_finite() for b in vals)
    assert act.c2_on_ball(flint.arb(0, 1e30))[0] is None
    assert all(b.is_finite() for b in act.arb(2)(flint.arb(1, 0.5)))


def test_arb_piecewise_straddling_a_breakpoint_gives_the_union() -> None:
    # ELU on [-1e-3, 1e-3]: σ' is 1 on the right and e^t (≈ 0.999) on the left; σ'' is 0 or e^t
    d0, d1, d2 = as_activation("elu").arb(2)(flint.arb(0, 1e-3))
    assert d1.contains(flint.arb(1)) and d1.contains(flint.arb(math.exp(-1e-3)))
    assert d2.contains(flint.arb(0)) and d2.contains(flint.arb(1))
    # relu: σ' ∈ {0, 1}
    _, r1, _ = as_activation("relu").arb(2)(flint.arb(0, 1e-3))
    assert r1.contains(flint.arb(0)) and r1.contains(flint.arb(1))


def test_arb_order_is_checked() -> None:
    with pytest.raises(InvalidArgument, match="order=7"):
        as_activation("exp").arb(7)


def test_arb_handles_rewritten_functions() -> None:
    # Heaviside is rewritten as a Piecewise; cosh and asinh through exp and log (known values at 1)
    act = as_activation("cosh(t) + asinh(t) + Heaviside(t - 5)")
    b = act.arb(0)(flint.arb(1))[0]
    assert b.contains(flint.arb(str(mpmath.nstr(mpmath.cosh(1) + mpmath.asinh(1), 30))))


def test_arb_rejects_functions_without_a_ball_evaluator() -> None:
    import sympy as sp

    from basins.activations import T

    act = as_activation(sp.besselj(0, T))
    with pytest.raises(ActivationError, match="no ball evaluator"):
        act.arb(2)(flint.arb(1))


# ---------------------------------------------------------------- certificates --

def test_example2_is_certified_with_the_papers_loss(certified2: Case) -> None:
    cert = certified2.certificate
    assert cert["status"] == CERTIFIED
    assert [c["name"] for c in cert["checks"]] == ["inputs", "C2", "krawczyk", "point", "positive definite",
                                                  "sub-optimal"]
    # the paper prints a ≈ (1, 0.0294, -0.0365) and M = 100, so E = M²|a|² ≈ 10021.9 (4 printed digits of a)
    lower = float(cert["figures"]["lower E on K(X)"])
    assert lower == pytest.approx(1e4 * (1 + 0.0294**2 + 0.0365**2), rel=2e-5)
    assert float(cert["figures"]["upper E at witness"]) < lower
    assert cert["inputs"]["y"] == [float(a).hex() for a in certified2.y]
    assert cert["figures"]["digest"] == input_digest(cert["inputs"])
    assert 0 < cert["figures"]["box radius"] < 1e-6


def test_krawczyk_box_contains_the_mpmath_newton_limit(certified2: Case) -> None:
    # independent: Newton's method at 60 digits from the case's point converges inside the box
    from basins.model.network import gradient_mp, hessian_mp

    x, y, v, w = certified2.arrays()
    with mpmath.workdps(60):
        th = [mpmath.mpf(float(a)) for a in (*v, *w)]
        for _ in range(4):
            g = mpmath.matrix(gradient_mp("swish", x, y, th[:1], th[1:], 60))
            H = hessian_mp("swish", x, y, th[:1], th[1:], 60)
            step = mpmath.lu_solve(H, g)
            th = [a - step[i] for i, a in enumerate(th)]
        cert = certified2.certificate
        rho = float.fromhex(cert["inputs"]["radius"])
        for a, c in zip(th, cert["inputs"]["centre"]):
            assert abs(a - mpmath.mpf(float.fromhex(c))) < rho


def test_certify_dispatches_piecewise_linear() -> None:
    case = Case(as_activation("shifted_relu"), x=(1.5, 1.25, 1.0), y=(0.5, 0.25, -100.0), v=(1.0,), w=(1.0,),
                theorem="Theorem 7", loss=1e4, witness=Witness((-13.6,), (2.0,), 8658.0))
    assert certify(case).kind.startswith("piecewise linear")


def test_not_a_critical_point_is_rejected(example2: Case) -> None:
    moved = example2.with_(w=(1.001,))
    with pytest.raises(VerificationFailed, match="check 'point'|check 'krawczyk'"):
        certify_case(moved)


def test_witness_not_lower_is_rejected(example2: Case) -> None:
    bad = example2.with_(witness=Witness(example2.v, (1.0 + 1e-3,), example2.loss))
    with pytest.raises(VerificationFailed, match="check 'sub-optimal'"):
        certify_case(bad)


def test_no_witness_is_rejected(example2: Case) -> None:
    with pytest.raises(VerificationFailed, match="check 'inputs'.*no witness"):
        certify_case(example2.with_(witness=None))


def test_point_on_a_non_c2_point_is_rejected() -> None:
    # ELU is not C² at 0; a sample x = 0 with y = ŷ(0) = 0 keeps the critical point but puts a
    # pre-activation on 0, which the certificate refuses (it does not argue that x = 0 makes it harmless)
    from basins.oracles.testing import load_shipped

    case = load_shipped("elu_m2_n8")
    assert certify_smooth(case).certified
    with_zero = case.with_(x=case.x + (0.0,), y=case.y + (0.0,))
    cert = certify_smooth(with_zero)
    assert cert.status == "rejected" and cert.failed == ["C2"]


@pytest.mark.parametrize("kw, match", [({"prec": 32}, "prec=32"), ({"radius_exponent": 3}, "radius_exponent=3")])
def test_bad_arguments(example2: Case, kw: dict, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        certify_smooth(example2, **kw)


def test_exact_inputs_are_float_hex(example2: Case) -> None:
    d = exact_inputs(example2)
    assert [float.fromhex(h) for h in d["x"]] == [0.1, 2.0, 3.0]
    assert d["activation"] == "t/(1 + exp(-t))"


# ------------------------------------------------------------------- tampering --

def _tampered(case: Case, edit) -> Case:
    d = case.to_dict()
    edit(d)
    return Case.from_dict(json.loads(json.dumps(d)))


def _set_vector(d: dict, key: str, i: int, value: float) -> None:
    d[key][i] = value
    d["exact"][key][i] = value.hex()


def test_recheck_accepts_the_untouched_file(certified2: Case) -> None:
    again = Case.from_json(certified2.to_json())
    assert recheck_certificate(again).certified
    assert verify_rigorous(again)["status"] == CERTIFIED


def test_tamper_centre_moved(certified2: Case) -> None:
    def edit(d: dict) -> None:
        c = float.fromhex(d["certificate"]["inputs"]["centre"][1])
        d["certificate"]["inputs"]["centre"][1] = (c + 1e-12).hex()
    with pytest.raises(VerificationFailed, match=r"inputs\.centre\[1\]"):
        recheck_certificate(_tampered(certified2, edit))


def test_tamper_point_moved(certified2: Case) -> None:
    with pytest.raises(VerificationFailed, match=r"inputs\.w\[0\]"):
        recheck_certificate(_tampered(certified2, lambda d: _set_vector(d, "w", 0, 1.0 + 1e-9)))


def test_tamper_witness_raised(certified2: Case) -> None:
    def edit(d: dict) -> None:
        d["witness"]["v"] = [1.0]
        d["witness"]["w"] = [1.0 + 1e-3]
        d["exact"]["witness"]["v"] = [(1.0).hex()]
        d["exact"]["witness"]["w"] = [(1.0 + 1e-3).hex()]
    with pytest.raises(VerificationFailed, match="sub-optimal"):
        recheck_certificate(_tampered(certified2, edit))


def test_tamper_y_last_digit(certified2: Case) -> None:
    y0 = certified2.y[0]
    with pytest.raises(VerificationFailed, match=r"inputs\.y\[0\]"):
        recheck_certificate(_tampered(certified2, lambda d: _set_vector(d, "y", 0, math.nextafter(y0, 0.0))))


def test_tamper_activation_swapped(certified2: Case) -> None:
    def edit(d: dict) -> None:
        d["activation"] = "t/(1 + exp(-t)) + t**3/10**12"
    with pytest.raises(VerificationFailed, match="inputs.activation|rejected"):
        recheck_certificate(_tampered(certified2, edit))


@pytest.mark.parametrize("key, value", [("lower E on K(X)", "10021.9428185825745"),
                                        ("smallest pivot (lower)", "4.4"),
                                        ("digest", "0" * 64)])
def test_tamper_figures_edited(certified2: Case, key: str, value: str) -> None:
    def edit(d: dict) -> None:
        d["certificate"]["figures"][key] = value
    with pytest.raises(VerificationFailed, match=f"figures.{key[:8]}"):
        recheck_certificate(_tampered(certified2, edit))


def test_recheck_without_certificate(example2: Case) -> None:
    with pytest.raises(VerificationFailed, match="certificate=None"):
        recheck_certificate(example2)


def test_recheck_bad_precision(certified2: Case) -> None:
    cert = copy.deepcopy(dict(certified2.certificate))
    cert["inputs"] = {**cert["inputs"], "precision bits": 8}
    with pytest.raises(VerificationFailed, match="precision bits=8"):
        recheck_certificate(certified2.with_(certificate=cert))


def test_m16_n256_certifies() -> None:
    # the speed target (< 2 s) is measured by benchmarks/bench_certify.py, not here: the machines
    # are shared and noisy, so a timed assertion would fail for reasons that are not the code's
    x = np.linspace(0.5, 40.0, 256)
    case = construct_prop4("sin", x, w=0.21 * np.arange(1, 17) + 0.05)
    cert = certify_smooth(case)
    assert cert.certified and cert.figures["box radius"] > 0


def test_other_library_versions_compare_figures_numerically(certified2: Case) -> None:
    # a certificate written by another python-flint may print its balls with other digits
    cert = copy.deepcopy(dict(certified2.certificate))
    cert["versions"] = {**cert["versions"], "python-flint": "0.0.1"}
    figs = dict(cert["figures"])
    figs["E on K(X)"] = figs["E on K(X)"].replace("+/- ", "+/- 1")  # another radius, same midpoint
    cert["figures"] = figs
    assert recheck_certificate(certified2.with_(certificate=cert)).certified
    figs["lower E on K(X)"] = "10021.9"
    with pytest.raises(VerificationFailed, match="stored with"):
        recheck_certificate(certified2.with_(certificate=cert))
