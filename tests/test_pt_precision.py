"""Property PT at the precision the data need (issue 17, part 4; SPEC §12).

Known values come from an independent method: T = σ(W_1 X) is recomputed here with mpmath from the
exact float64 weights and data, its smallest singular value by mpmath's SVD at high digits, and the
losses of the path's end point by an mpmath forward pass from the stored decimal digits.
"""

import dataclasses
import json

import mpmath
import numpy as np
import pytest

from basins.errors import HypothesisFailed
from basins.landscape.assumptions import check_assumption2, full_rank_reachability
from basins.landscape.paths import check_path
from basins.landscape.pt import UNDECIDED_CHECK, random_problem, wide_path
from basins.landscape.records import PTPath

MP_SIGMA = {
    "tanh": mpmath.tanh,
    "sigmoid": lambda u: 1 / (1 + mpmath.exp(-u)),
    "softplus": lambda u: mpmath.log(1 + mpmath.exp(u)),
    "swish": lambda u: u / (1 + mpmath.exp(-u)),
}


def _mp_T(act, W1, X, dps):
    """T_1 = σ(W_1 X) in mpmath at ``dps`` digits from the exact float64 entries (1-D inputs)."""
    with mpmath.workdps(dps):
        f = MP_SIGMA[act]
        return mpmath.matrix([[f(mpmath.mpf(float(W1[i, 0])) * mpmath.mpf(float(X[0, j])))
                               for j in range(X.shape[1])] for i in range(W1.shape[0])])


def _mp_sigma_min(act, W1, X, dps):
    with mpmath.workdps(dps):
        return min(mpmath.svd_r(_mp_T(act, W1, X, dps), compute_uv=False))


def _mp_loss(T, W2, Y, dps):
    """||W_2 T − Y||² in mpmath; W2 a list of rows of mpf-convertible entries (decimal strings or floats)."""
    with mpmath.workdps(dps):
        s = mpmath.mpf(0)
        for i, row in enumerate(W2):
            w = mpmath.matrix([[mpmath.mpf(v) for v in row]])
            r = w * T
            for j in range(T.cols):
                s += (r[0, j] - mpmath.mpf(float(Y[i, j]))) ** 2
        return s


def _check_1d(act, N, seed, dps):
    X, Y, W = random_problem([1, N, 1], N, seed=seed)
    p = wide_path([1, N, 1], act, X, Y, W, seed=seed)
    prec = p.details["precision"]
    assert p.verified and p.status == "path" and p.unresolved_steps == 0
    assert prec["arithmetic"].startswith("ball") and 30 <= prec["rank_digits"] <= 400
    assert "float64 cannot resolve rank N" in prec["reason"]
    # independent σ_min: mpmath SVD at dps digits of T recomputed from the exact float64 W^p and X
    W1 = p.perturbed[0]
    smin = _mp_sigma_min(act, W1, X, dps)
    lo, hi = (mpmath.mpf(t) for t in prec["sigma_min_text"])
    assert lo <= smin * (1 + mpmath.mpf(10) ** -12) and smin <= hi * (1 + mpmath.mpf(10) ** -12)
    assert abs(float(lo / smin) - 1) < 1e-2
    # float64 cannot see it: the float σ_min is at the rounding level, far above the true one
    s64 = np.linalg.svd(p.network.activations[0].numpy(0)(W1 @ X), compute_uv=False)
    assert s64[-1] > 1e3 * float(smin) or s64[-1] <= N * np.finfo(float).eps * s64[0]
    # independent losses: the end point (stored digits) has loss ~0; the midpoint of the segment 1/4 E(W^p)
    T = _mp_T(act, W1, X, dps)
    E0 = _mp_loss(T, p.perturbed[1].tolist(), Y, dps)
    end = prec["end_layer_digits"]
    assert _mp_loss(T, end, Y, dps) < mpmath.mpf(10) ** -30 * E0
    with mpmath.workdps(dps):
        mid = [[(mpmath.mpf(a) + mpmath.mpf(float(b))) / 2 for a, b in zip(r1, r2)]
               for r1, r2 in zip(end, p.perturbed[1].tolist())]
        assert abs(_mp_loss(T, mid, Y, dps) / E0 - mpmath.mpf(1) / 4) < 1e-20
    assert float(E0) == pytest.approx(p.start_loss, rel=1e-12)
    assert np.all(np.diff(p.losses) < 0) and p.end_loss < 1e-40 * p.start_loss
    return p, smin


def test_issue_command_tanh_n20_resolved_in_ball_arithmetic():
    # basins pt --widths 1,20,1 --activation tanh --samples 20 --seed 4 (failed on main with "σ may not be
    # full-rank reachable" although σ_min(T_1) = 4.55e-30)
    p, smin = _check_1d("tanh", 20, 4, 120)
    assert float(smin) == pytest.approx(4.5513e-30, rel=1e-4)
    assert p.perturbation == 0.0          # W^o itself has rank N; float64 just cannot see it
    X, Y, W = random_problem([1, 20, 1], 20, seed=4)
    with pytest.raises(HypothesisFailed) as err:
        wide_path([1, 20, 1], "tanh", X, Y, W, seed=4, precision="float64")
    msg = str(err.value)
    assert "float64 does not resolve it" in msg and "no evidence against full-rank reachability" in msg
    assert "may not be full-rank reachable" not in msg and "impossible" not in msg


@pytest.mark.parametrize("act", ["sigmoid", "softplus", "swish"])
def test_1d_n20_other_activations(act):
    _check_1d(act, 20, 4, 150)


@pytest.mark.slow
@pytest.mark.parametrize("act", ["tanh", "sigmoid", "softplus", "swish"])
def test_1d_n50(act):
    # σ_min(T_1) ≈ 1e-70 (tanh) to 1e-95: rank 50 resolved at 80–170 digits, the path at 200–300
    p, smin = _check_1d(act, 50, 4, 320)
    assert float(smin) < 1e-60


def test_1d_n50_tanh_end_point_by_mpmath():
    # the fast N = 50 test: no SVD, only an mpmath forward pass at the stored end point
    X, Y, W = random_problem([1, 50, 1], 50, seed=4)
    p = wide_path([1, 50, 1], "tanh", X, Y, W, seed=4, samples=101)
    prec = p.details["precision"]
    assert p.verified and p.unresolved_steps == 0 and prec["arithmetic"].startswith("ball")
    assert 1e-72 < p.sigma_min < 1e-68 and prec["digits"] >= 150
    T = _mp_T("tanh", p.perturbed[0], X, prec["digits"])
    E0 = _mp_loss(T, p.perturbed[1].tolist(), Y, prec["digits"])
    assert float(E0) == pytest.approx(p.start_loss, rel=1e-12)
    assert _mp_loss(T, prec["end_layer_digits"], Y, prec["digits"]) < mpmath.mpf(10) ** -30 * E0
    # the float64 copy of the end layer is useless here (κ ≈ 1e70): that is why the digits are stored
    assert _mp_loss(T, p.end_layer.tolist(), Y, 300) > 1e-3 * E0


def test_ball_path_record_rechecks_and_rejects_an_edit():
    X, Y, W = random_problem([1, 12, 1], 12, seed=2)
    p = wide_path([1, 12, 1], "tanh", X, Y, W, seed=2, samples=51)
    assert p.details["precision"]["arithmetic"].startswith("ball")
    d = json.loads(p.to_json())
    res = check_path(d)
    assert res["ok"] and res["status"] == "verified numerically" and "ball" in res["guarantee"]
    assert PTPath.from_dict(d) == p
    d["losses"][20] *= 1 + 1e-9
    res = check_path(d)
    assert not res["ok"] and res["status"] == "failed" and not res["checks"]["losses reproduce"]


# ------------------------------------------------------------- undecided --

def _sin5():
    # basins pt --widths 1,5,1 --samples 5 --activation sin --seed 0: the float64 rounding floor (22.7) exceeds
    # E(W^p) = 3.33, so the float64 check resolves no step
    X, Y, W = random_problem([1, 5, 1], 5, seed=0)
    return X, Y, W


def test_unresolved_float64_check_is_undecided():
    X, Y, W = _sin5()
    p = wide_path([1, 5, 1], "sin", X, Y, W, precision="float64")
    assert p.unresolved_steps == p.lambdas.size - 1 and p.rounding_floor > p.start_loss
    assert p.undecided and not p.verified and p.status == "undecided"
    d = p.to_dict()
    assert d["status"] == "undecided" and d["verification"] == "undecided"
    res = check_path(d)
    assert not res["ok"] and res["status"] == "undecided"
    assert [k for k, v in res["checks"].items() if not v] == [UNDECIDED_CHECK]
    assert PTPath.from_dict(d).status == "undecided"


def test_auto_precision_resolves_the_undecided_float64_check():
    X, Y, W = _sin5()
    p = wide_path([1, 5, 1], "sin", X, Y, W)
    assert p.verified and p.unresolved_steps == 0 and p.end_loss < 1e-60
    assert "resolved 0 of 1000 steps" in p.details["precision"]["reason"]


def test_cli_undecided_exit_code_json_and_no_file(tmp_path):
    out = tmp_path / "path.json"
    r = _run(["pt", "--widths", "1,5,1", "--samples", "5", "-a", "sin", "--seed", "0", "--precision", "float64",
              "-o", str(out), "--json"])
    assert r.exit_code == 2
    d = json.loads(r.stdout)
    assert d["status"] == "undecided" and d["verification"] == "undecided"
    assert "undecided" in r.stderr and "no file written" in r.stderr and not out.exists()
    r = _run(["pt", "--widths", "1,5,1", "--samples", "5", "-a", "sin", "--seed", "0", "--precision", "float64"])
    assert r.exit_code == 2 and "result: undecided" in r.stdout and "verified numerically" not in r.stdout


def test_cli_failed_check_writes_no_file(tmp_path, monkeypatch):
    import basins.landscape.pt as pt
    real = pt.decreasing_path
    monkeypatch.setattr(pt, "decreasing_path",
                        lambda *a, **k: dataclasses.replace(real(*a, **k), strictly_decreasing=False))
    out = tmp_path / "path.json"
    r = _run(["pt", "--widths", "2,6,1", "--N", "4", "--points", "21", "-o", str(out)])
    assert r.exit_code == 2 and "check failed" in r.stdout and "no file written" in r.stderr
    assert not out.exists()


def test_cli_ball_path_text_says_precision_and_why(tmp_path):
    out = tmp_path / "p.json"
    r = _run(["pt", "--widths", "1,20,1", "-a", "tanh", "--samples", "20", "--seed", "4", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "precision: ball arithmetic (python-flint) at" in r.stdout and "float64 cannot resolve rank N" in r.stdout
    assert "result: path (verified numerically)" in r.stdout and out.exists()
    r = _run(["pt", "--check", str(out)])
    assert r.exit_code == 0 and "wide path: verified numerically" in r.stdout


# ------------------------------------------------------- named obstructions --

@pytest.mark.parametrize("act,relation", [("sin", "odd"), ("tanh", "odd"), ("cos(t)", "even")])
def test_pm_pair_with_odd_or_even_sigma_is_explained(act, relation):
    X = np.array([[0.5, -0.5, 1.2, 2.0, -1.7]])
    Y = np.ones((1, 5))
    with pytest.raises(HypothesisFailed) as err:
        wide_path([1, 5, 1], act, X, Y)
    msg = str(err.value)
    assert "±x pair" in msg and f"is {relation}" in msg and "whatever Assumption 2 says" in msg
    assert "float64" not in msg
    if act != "cos(t)":
        assert check_assumption2(act, 5).holds is True       # Assumption 2 holds, rank N is still impossible
    # independent: at random W the two columns are ± each other, so rank ≤ N − 1
    W1 = np.random.default_rng(0).standard_normal((5, 1))
    T = np.vectorize(lambda u: float(mpmath.sin(u) if act == "sin" else mpmath.tanh(u) if act == "tanh"
                                     else mpmath.cos(u)))(W1 @ X)
    assert np.allclose(T[:, 1], -T[:, 0] if relation == "odd" else T[:, 0])


def test_dead_relu_unit_is_named_as_the_cause():
    X, Y, W = random_problem([3, 6, 1], 6, seed=0)
    X = np.abs(np.random.default_rng(1).standard_normal((3, 6))) + 0.1
    W[0][2] = -np.ones(3)                    # unit 2: pre-activations ≤ −0.3 < 0 on every sample
    assert np.all(W[0][2] @ X < 0)
    with pytest.raises(HypothesisFailed) as err:
        wide_path([3, 6, 1], "relu", X, Y, W)
    msg = str(err.value)
    assert "dead units: units [2] of layer 1" in msg and "rank ≤ 6 − 1 < N = 6" in msg
    assert "full-rank reachable" not in msg


def test_homogeneous_sigma_on_1d_inputs_is_exact():
    X, Y, W = random_problem([1, 6, 1], 6, seed=0)
    with pytest.raises(HypothesisFailed, match="positively homogeneous and the inputs are 1-D"):
        wide_path([1, 6, 1], "relu", X, Y, W)


def test_reachability_never_confuses_float64_with_reachability():
    X, _, _ = random_problem([1, 8, 1], 8, seed=4)
    r = full_rank_reachability("tanh", X, 8, seed=4)
    assert r.reachable is True and r.method.startswith("ball arithmetic")
    assert "float64 does not resolve rank N" in r.reason
    r = full_rank_reachability("tanh", X, 8, seed=4, ball=False)
    assert r.reachable is None and "no evidence against reachability" in r.reason
    r = full_rank_reachability("sin", [[0.5, -0.5, 1.0]], 3)
    assert r.reachable is False and r.method == "exact" and "±x pair" in r.reason


def _run(args):
    from click.testing import CliRunner

    from basins.cli import main
    return CliRunner().invoke(main, args)
