"""The large-problem paths of Proposition 4 and of verify (issue 6), checked independently."""

import sys
from pathlib import Path

import numpy as np
import pytest

from basins.model.network import features, hessian, loss
from basins.constructions.prop4 import analyse_point, construct_prop4
from basins.verification.verify import verify_case

N, WIDTH = 420, 100          # m·(N − 2m) = 22000: above the threshold of the large path


@pytest.fixture(scope="module")
def large_case():
    x = np.linspace(1.0, 3.0, N)
    w = np.arange(1, WIDTH + 1) * 1.2 * N / WIDTH
    return construct_prop4("sin", x, w=w, v=np.ones(WIDTH), M=1e6)


def test_large_path_is_taken_and_a_is_orthogonal_to_s(large_case):
    x, y, v, w = large_case.arrays()
    an = analyse_point("sin", x, w, v)
    assert an.basis is None and an.span is not None
    z, z1, z2 = features("sin", x, w)
    a = np.asarray(large_case.details["a"])
    S = np.vstack([z, z1])
    # a ⟂ S, checked against the features themselves (not the QR the code used)
    assert np.max(np.abs(S @ a) / np.linalg.norm(S, axis=1)) < 1e-10 * np.linalg.norm(a)
    # equal margins: s_i (a·z″_i)/||z″_i|| all equal (to the conditioning of GGᵀ) and positive (v = 1)
    margins = (z2 @ a) / np.linalg.norm(z2, axis=1)
    assert np.all(margins > 0)
    assert np.ptp(margins) < 1e-3 * np.max(margins)


def test_large_construction_is_a_strict_minimum_with_a_lower_witness(large_case):
    x, y, v, w = large_case.arrays()
    a = np.asarray(large_case.details["a"])
    # E = M²||a||² (y = ŷ − M a)
    assert large_case.loss == pytest.approx(1e12 * float(a @ a), rel=1e-9)
    assert np.min(np.linalg.eigvalsh(hessian("sin", x, y, v, w))) > 0
    assert loss("sin", x, y, large_case.witness.v, large_case.witness.w) < large_case.loss
    # condition 1, independently: the smallest singular value of the unit z_i
    z = features("sin", x, w)[0]
    zn = z / np.linalg.norm(z, axis=1, keepdims=True)
    assert np.linalg.svd(zn, compute_uv=False).min() == pytest.approx(
        large_case.details["conditions"]["condition 1"]["margin"], rel=1e-8)


def test_verify_switches_to_float64_and_says_so(large_case):
    ver = verify_case(large_case, samples=200)
    assert ver.status == "verified numerically"
    assert ver.figures["precision"].startswith("float64")
    assert "float64" in ver.figures["hessian"]["method"]
    assert all(p["all positive"] for p in ver.figures["sampling"])


def test_small_cases_keep_50_digits(example2):
    ver = verify_case(example2, samples=50)
    assert ver.figures["precision"] == "50 digits"
    assert "mpmath" in ver.figures["hessian"]["method"]


def test_scaling_benchmark_quick_mode_runs(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        import bench_scaling
    finally:
        sys.path.pop(0)
    res = bench_scaling.main(["--quick", "--blas", "one", "--out", str(tmp_path / "s")])
    assert (tmp_path / "s.md").exists()
    assert all(r["status"] == "verified numerically" for r in res["runs"])
    assert all(r["certificate"] == "certified" for r in res["runs"])
    assert all(r["float check seconds"] > 0 for r in res["runs"])
    assert "certify / float check" in (tmp_path / "s.md").read_text()
    assert all(min(r["margins"].values()) > 1e-9 for r in res["runs"])


def test_verify_at_scale_uses_rigorous_balls_and_explains_a_narrow_basin():
    """m = 128, N = 512 (the bench recipe): ΔE < 0 at radius 1e-2 is a genuine lower point (proved in balls) outside
    a basin narrower than 1e-2, not a sampling error; verify says so instead of failing, and certify agrees."""
    n, m = 512, 128
    x = np.linspace(1.0, 3.0, n)
    case = construct_prop4("sin", x, w=np.arange(1, m + 1) * 1.2 * n / m, v=np.ones(m), M=1e6)
    ver = verify_case(case)
    assert ver.status == "verified numerically", [(c.name, c.detail) for c in ver.checks if not c.passed]
    assert ver.figures["precision"].startswith("float64 balls")
    assert ver.figures["balls"]["min eigenvalue lower bound"] > 0
    assert ver.figures["balls"]["min eigenvalue lower bound"] <= ver.figures["hessian"]["min eigenvalue"]
    lo, hi = ver.figures["balls"]["loss enclosure"]
    assert lo <= case.loss <= hi or abs(case.loss - lo) <= 1e-15 * case.loss
    for note in ver.figures.get("sampling outside the basin", []):
        assert "proved in float64 balls" in note
    from basins.certification.smooth import certify_smooth
    cert = certify_smooth(case, guarantees=False)
    assert cert.certified, cert.checks
