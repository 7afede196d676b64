"""Numerical verification: passes on constructions, fails on broken cases, agrees with theory."""

import numpy as np
import pytest

from basins.io.case import Witness
from basins.errors import InvalidArgument
from basins.model.network import hessian
from basins.constructions.prop4 import construct_prop4
from basins.verification.verify import VERIFIED, verify_case

X6 = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


def test_example2_is_verified(example2):
    ver = verify_case(example2, samples=500)
    assert ver.status == VERIFIED and ver.passed and ver.failed == []
    assert {c.name for c in ver.checks} == {"loss", "hessian", "critical point", "sampling", "witness"}
    assert ver.figures["gradient norm"] < 1e-10
    assert [p["radius"] for p in ver.figures["sampling"]] == [1e-2, 1e-3, 1e-4, 1e-5, 1e-6]


def test_sampled_curvature_tends_to_half_the_smallest_eigenvalue(example2):
    # E(θ+δ) − E(θ) ≈ ½ δᵀHδ, so min ΔE/|δ|² → λ_min/2 (λ_min from numpy, independently of mpmath)
    ver = verify_case(example2, samples=500)
    x, y, v, w = example2.arrays()
    lam = np.linalg.eigvalsh(hessian("swish", x, y, v, w)).min()
    for p in ver.figures["sampling"][1:]:
        assert p["min dE/r^2"] == pytest.approx(lam / 2, rel=1e-3)
        assert p["min dE/r^2"] <= lam / 2 * (1 + 1e-9)


@pytest.mark.parametrize("act", ["softplus", "gelu", "sin"])
def test_width_two_constructions_verify(act):
    ver = verify_case(construct_prop4(act, X6, width=2), samples=300)
    assert ver.passed, ver.failed


def test_moved_centre_fails_the_critical_point_check(example2):
    moved = example2.with_(v=(1.0 + 1e-4,))
    ver = verify_case(moved, samples=100)
    assert "critical point" in ver.failed and "sampling" in ver.failed


def test_raised_witness_fails(example2):
    bad = example2.with_(witness=Witness((0.0,), (1.0,), example2.witness.loss))
    assert verify_case(bad, samples=100).failed == ["witness"]


def test_a_saddle_fails_hessian_and_sampling(example2):
    # y = ŷ + M a (the sign of M flipped): a critical point with negative curvature
    x = np.array(example2.x)
    a = np.array(example2.details["a"])
    yhat = np.array(example2.y) + 100 * a
    saddle = example2.with_(y=tuple(yhat + 100 * a))
    ver = verify_case(saddle.with_(loss=float(((100 * a) ** 2).sum())), samples=200)
    assert "hessian" in ver.failed and "sampling" in ver.failed
    assert "critical point" not in ver.failed and x.size == 3


def test_no_witness_fails(example2):
    assert "witness" in verify_case(example2.with_(witness=None), samples=10).failed


@pytest.mark.parametrize("kwargs,match", [
    (dict(radii=()), "radii=()"), (dict(radii=(1e-3, -1.0)), "must be positive"),
    (dict(samples=-1), "samples=-1"), (dict(dps=10), "dps=10"),
])
def test_bad_arguments(example2, kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        verify_case(example2, **kwargs)


def test_float64_sampling_failures_are_re_evaluated_at_the_verification_digits():
    """swish, N = 17 sorted uniform points, m = 8: at radius 1e-6 float64 gives ΔE ≈ −6e-21 in a few
    directions while the 80-digit value is positive (found while measuring the construction's coverage)."""
    import mpmath

    import basins
    from basins.model import network

    x = np.sort(np.random.default_rng(17).uniform(-3, 3, 17))
    case = basins.construct("swish", x=x, width=8, seed=0)
    ver = verify_case(case)
    assert ver.passed, ver.failed
    again = ver.figures.get("sampling re-evaluated")
    assert again and again["digits"] == 50 and again["directions"] >= 1
    # independently: the loss at 80 digits rises along the Hessian's softest direction at radius 1e-6
    xs, ys, v, w = case.arrays()
    H = network.hessian(case.activation, xs, ys, v, w)
    d = 1e-6 * np.linalg.eigh(H)[1][:, 0]
    E0 = network.loss_mp(case.activation, xs, ys, v, w, 80)
    E1 = network.loss_mp(case.activation, xs, ys, [mpmath.mpf(a) + mpmath.mpf(b) for a, b in zip(v, d[:8])],
                         [mpmath.mpf(a) + mpmath.mpf(b) for a, b in zip(w, d[8:])], 80)
    assert E1 - E0 > 0
