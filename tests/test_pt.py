"""Tests of basins.landscape.pt: the decreasing paths of Theorem 2 (wide) and Theorem 3 (pyramid, (76))."""

import json
import pathlib

import numpy as np
import pytest

from basins.activations import REGISTRY
from basins.model.deep import deep_network, forward, loss
from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable
from basins.landscape.records import PATH_SCHEMA
from basins.landscape.pt import decreasing_path, pyramid_path, random_problem, wide_path

WIDTHS = [3, 16, 16, 1]
N = 6
# not full-rank reachable: a linear network has rank T_H ≤ d_0 = 3 < N (Definition 5)
NOT_REACHABLE = {"linear"}
# shifted_relu: a start with most units dead needs a larger start scale
START_SCALE = {"shifted_relu": 4.0}


def _independent_loss(widths, act, X, Y, Ws):
    return loss(deep_network(widths, act), Ws, X, Y)


@pytest.mark.parametrize("act", sorted(set(REGISTRY) - NOT_REACHABLE))
def test_wide_path_every_registry_activation(act):
    X, Y, W = random_problem(WIDTHS, N, seed=3)
    W = [w * START_SCALE.get(act, 1.0) for w in W]
    p = wide_path(WIDTHS, act, X, Y, W, samples=101)
    assert p.verified and p.status == "path"
    assert p.perturbation <= p.delta
    # independent: rank T_H = N at W^p, and the end point solves W T_H = Y (loss 0 by the forward pass)
    T = forward(p.network, list(p.perturbed), X)[-2]
    assert np.linalg.matrix_rank(T) == N
    end = list(p.perturbed)
    end[-1] = p.end_layer
    E0 = _independent_loss(WIDTHS, act, X, Y, list(p.perturbed))
    assert _independent_loss(WIDTHS, act, X, Y, end) <= 1e-16 * max(1.0, E0)
    # the loss along the segment is (1 − λ)² E(W^p): check at λ = 1/2 with the forward pass
    mid = list(p.perturbed)
    mid[-1] = 0.5 * (p.perturbed[-1] + p.end_layer)
    assert _independent_loss(WIDTHS, act, X, Y, mid) == pytest.approx(0.25 * E0, rel=1e-9, abs=1e-14)
    assert np.all(np.diff(p.losses[:90]) < 0)


def test_linear_is_not_full_rank_reachable():
    X, Y, W = random_problem(WIDTHS, N, seed=3)
    with pytest.raises(HypothesisFailed, match="rank T_2 = N = 6 was not reached"):
        wide_path(WIDTHS, "linear", X, Y, W, attempts=3)


def test_monomial_one_input_is_not_reachable():
    X, Y, W = random_problem([1, 8, 1], 4, seed=0)
    with pytest.raises(HypothesisFailed, match="Definition 5"):
        wide_path([1, 8, 1], "quadratic", X, Y, W, attempts=3)


def test_zero_start_needs_the_perturbation():
    X, Y, W = random_problem([2, 7, 1], 5, seed=1, init="zeros")
    p = wide_path([2, 7, 1], "tanh", X, Y, W, delta=1e-2, seed=4, samples=51)
    assert p.perturbation == pytest.approx(1e-2) and p.perturbed_layers == (1,)
    assert p.verified
    # independent: at W^o = 0, T_1 = tanh(0) = 0, rank 0
    assert np.linalg.matrix_rank(forward(p.network, W, X)[1]) == 0


def test_loss_follows_one_minus_lambda_squared():
    X, Y, W = random_problem([2, 6, 5, 2], 5, seed=2)
    p = wide_path([2, 6, 5, 2], ["tanh", "swish"], X, Y, W, samples=11)
    E0 = _independent_loss([2, 6, 5, 2], ["tanh", "swish"], X, Y, W)   # no perturbation was needed
    assert p.perturbation == 0.0
    np.testing.assert_allclose(p.losses, (1 - np.linspace(0, 1, 11)) ** 2 * E0, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("acts", [
    ["tanh", "leaky_relu", "t + tanh(t)"],
    ["swish", "cubic", "linear"],
    ["sigmoid", "sinh(t)", "-t"],
], ids=["tanh-leaky-t+tanh", "swish-cubic-linear", "sigmoid-sinh-minus"])
def test_pyramid_changes_only_layer_h0_plus_1(acts):
    widths = [2, 8, 5, 3, 1]
    X, Y, W = random_problem(widths, 6, seed=5)
    p = pyramid_path(widths, acts, X, Y, W, samples=21)
    assert p.kind == "pyramid" and p.layer == 2 and p.verified
    end = list(p.perturbed)
    end[1] = p.end_layer
    E0 = _independent_loss(widths, acts, X, Y, list(p.perturbed))
    assert _independent_loss(widths, acts, X, Y, end) <= 1e-12 * max(1.0, E0)
    np.testing.assert_allclose(p.losses, (1 - p.lambdas) ** 2 * E0, rtol=1e-7, atol=1e-10)


def test_pyramid_with_wide_last_layer_is_the_segment():
    X, Y, W = random_problem([2, 7, 1], 5, seed=6)
    p = decreasing_path([2, 7, 1], "tanh", X, Y, W, samples=11)
    assert p.kind == "wide" and p.layer == 2


def test_path_file_reproduces_the_losses(tmp_path):
    X, Y, W = random_problem([2, 6, 1], 4, seed=7)
    p = wide_path([2, 6, 1], "gelu", X, Y, W, samples=21)
    f = tmp_path / "path.json"
    p.save(str(f))
    d = json.loads(f.read_text())
    assert d["schema"] == PATH_SCHEMA and d["status"] == "path" and d["barrier"] is None
    unhex = lambda a: np.vectorize(float.fromhex)(np.array(a, dtype=object)).astype(float)
    Wp = [unhex(w) for w in d["generator"]["perturbed_weights"]]
    Wend = unhex(d["generator"]["end_layer"])
    Xf, Yf = unhex(d["generator"]["X"]), unhex(d["generator"]["Y"])
    for lam, Eexp in zip(d["lambdas"][::5], d["losses"][::5]):
        Wl = list(Wp)
        Wl[-1] = (1 - lam) * Wp[-1] + lam * Wend
        assert _independent_loss([2, 6, 1], "gelu", Xf, Yf, Wl) == pytest.approx(Eexp, rel=1e-9, abs=1e-14)


def test_errors():
    X, Y, W = random_problem([2, 3, 1], 5, seed=0)
    with pytest.raises(NotApplicable, match="d_H=3 < N=5"):
        wide_path([2, 3, 1], "tanh", X, Y, W)
    Xz = X.copy()
    Xz[:, 2] = 0
    with pytest.raises(NotApplicable, match="X\\[:, 2\\] is zero"):
        wide_path([2, 6, 1], "tanh", Xz, Y)
    Xd = X.copy()
    Xd[:, 1] = Xd[:, 0]
    with pytest.raises(NotApplicable, match="two equal samples"):
        wide_path([2, 6, 1], "tanh", Xd, Y)
    with pytest.raises(InvalidArgument, match="delta=0"):
        wide_path([2, 6, 1], "tanh", X, Y, delta=0)
    with pytest.raises(InvalidArgument, match="samples=1"):
        wide_path([2, 6, 1], "tanh", X, Y, samples=1)
    with pytest.raises(InvalidArgument, match="Y has shape"):
        wide_path([2, 6, 1], "tanh", X, Y[:, :3])
    with pytest.raises(InvalidArgument, match="X has shape"):
        wide_path([3, 6, 1], "tanh", X, Y)
    with pytest.raises(InvalidArgument, match="weights have shapes"):
        wide_path([2, 6, 1], "tanh", X, Y, [np.zeros((6, 2))])
    with pytest.raises(NotApplicable, match="no hidden layer with at least N=5"):
        pyramid_path([2, 3, 3, 1], "tanh", X, Y)
    with pytest.raises(NotApplicable, match="increase after the wide layer"):
        pyramid_path([2, 6, 2, 3, 1], "tanh", X, Y, h0=1)
    with pytest.raises(NotApplicable, match="fails Assumption 4"):
        pyramid_path([2, 6, 3, 1], "tanh", X, Y)
    with pytest.raises(NotApplicable, match="d_2=3 < N=5"):
        pyramid_path([2, 6, 3, 1], "tanh", X, Y, h0=2)
    with pytest.raises(InvalidArgument, match="h0=3"):
        pyramid_path([2, 6, 3, 1], "tanh", X, Y, h0=3)
    with pytest.raises(InvalidArgument, match="init='ones'"):
        random_problem([2, 3, 1], 4, init="ones")
    with pytest.raises(InvalidArgument, match="N=0"):
        random_problem([2, 3, 1], 0)


@pytest.mark.slow
def test_benchmark_size_under_ten_seconds():
    # the target: N = 1000, widths 1000, depth 3, verified path in under 10 s
    # (run through the benchmark script, which keeps BLAS single-threaded; see its docstring)
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, os.path.join(root, "benchmarks", "bench_pt.py"), "--json",
                          "--repeats", "1"], capture_output=True, text=True, check=True, timeout=600)
    res = json.loads(out.stdout)
    assert res["wide"]["N"] == 1000 and res["wide"]["verified"] is True
    assert res["wide"]["end_loss"] < 1e-12
    assert res["wide"]["seconds"] < 10.0
    assert res["barrier"]["status"] == "blocked" and res["barrier"]["barrier"] > 0


def test_dead_relu_units_are_named():
    X, Y, W = random_problem([2, 8, 1], 4, seed=0)
    X = np.abs(X) + 0.1
    W[0] = -np.abs(W[0]) - 1.0          # every unit inactive on every sample: T_1 = 0
    with pytest.raises(HypothesisFailed, match="zero columns \\[0, 1, 2, 3\\]"):
        wide_path([2, 8, 1], "relu", X, Y, W, attempts=2)


# ------------------------------------------------------------------- CLI --

def _run(args):
    from click.testing import CliRunner

    from basins.cli import main
    return CliRunner().invoke(main, args)


def test_cli_wide_path_json_and_file(tmp_path):
    out = tmp_path / "path.json"
    r = _run(["pt", "--widths", "3,8,8,1", "--samples", "6", "-a", "relu", "--init", "zeros", "--delta", "0.01",
              "--points", "51", "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["schema"] == PATH_SCHEMA and d["status"] == "path" and d["strictly_decreasing"] is True
    assert d["perturbation"]["size"] == pytest.approx(0.01)
    assert d["losses"][-1] <= 1e-16 and len(d["losses"]) == 51
    assert json.loads(out.read_text())["losses"] == d["losses"]
    assert d["assumptions"]["assumption2"][0]["holds"] is False   # relu is not analytic
    from basins.io.records import read_json
    from basins.landscape.records import PTPath
    assert PTPath.from_dict(read_json(out, "path")).verified     # the written file validates and reads back


def test_cli_pyramid_text():
    r = _run(["pt", "--widths", "2,8,5,1", "--samples", "6", "-a", "tanh;leaky_relu", "--points", "11"])
    assert r.exit_code == 0, r.output
    assert "Theorem 3" in r.output and "changes W_2 only" in r.output and "result: path" in r.output


def test_cli_case_blocked(tmp_path):
    case = tmp_path / "case.json"
    from basins.constructions.prop4 import construct_prop4
    construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0], M=100).save(str(case))
    out = tmp_path / "p.json"
    r = _run(["pt", "--case", str(case), "--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["status"] == "blocked" and d["barrier"]["value"] > 0
    assert json.loads(out.read_text())["status"] == "blocked"
    from basins.io.records import read_json
    from basins.landscape.barrier import PathSearch
    assert PathSearch.from_dict(read_json(out, "path")).status == "blocked"


def test_cli_case_summary_dispatches_on_kind_not_type(tmp_path):
    """`basins pt --case` prints the summary of the result's kind (one result type, PathResult)."""
    from basins.cli import cmd_pt
    assert set(cmd_pt._SUMMARIES) == {"wide", "pyramid", "descent", "barrier"}
    assert "hasattr" not in (pathlib.Path(cmd_pt.__file__).read_text(encoding="utf-8"))
    r = _run(["pt", "--case", "theorem7_shifted_relu_m1_n3"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("case: Theorem 7") and "verified numerically" in r.output


def test_cli_check_names_a_malformed_field(tmp_path, wide_record):
    d = json.loads(json.dumps(wide_record))
    d["lambdas"][1] = "half"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(d))
    r = _run(["pt", "--check", str(bad)])
    assert r.exit_code == 1 and "lambdas[1]: 'half' is not of type 'number'" in r.output


def test_cli_errors(tmp_path):
    out = tmp_path / "never.json"
    r = _run(["pt", "--widths", "1,8,1", "--samples", "4", "-a", "quadratic", "-o", str(out)])
    assert r.exit_code == 1 and "rank T_1 = N = 4 is impossible" in r.output and not out.exists()
    r = _run(["pt", "--widths", "2,3,1", "--samples", "5"])
    assert r.exit_code == 1 and "no hidden layer with at least N=5" in r.output
    r = _run(["pt", "--widths", "2,x,1", "--samples", "5"])
    assert r.exit_code == 2 and "comma-separated integers" in r.output
    r = _run(["pt", "--samples", "5"])
    assert r.exit_code == 2 and "give --widths and --N" in r.output
    r = _run(["pt", "--case", str(tmp_path / "no-such-case.json")])
    assert r.exit_code == 1 and "cannot be read" in r.output


# ------------------------------------------------------ check_path oracle --

def _tamper_hex(a, factor):
    return (float.fromhex(a) * factor).hex()


@pytest.fixture(scope="module")
def wide_record():
    X, Y, W = random_problem([2, 8, 1], 6, seed=9)
    return wide_path([2, 8, 1], "swish", X, Y, W, samples=31).to_dict()


def test_check_path_accepts_good_records(wide_record, pyramid_record):
    from basins.landscape.paths import check_path
    assert check_path(wide_record)["ok"] is True
    res = check_path(json.loads(json.dumps(pyramid_record)))
    assert res["ok"] is True and res["kind"] == "pyramid"


@pytest.mark.parametrize("broken,failing", [
    ("end_layer", "end loss is 0 up to rounding"),
    ("losses", "losses reproduce"),
    ("increase", "strictly decreasing"),
], ids=["moved end", "edited losses", "increasing path"])
def test_check_path_rejects_broken_records(wide_record, broken, failing):
    from basins.landscape.paths import check_path
    d = json.loads(json.dumps(wide_record))
    if broken == "end_layer":
        d["generator"]["end_layer"][0][0] = _tamper_hex(d["generator"]["end_layer"][0][0], 1.01)
    elif broken == "losses":
        d["losses"][5] *= 1.01
    else:  # run the path backwards, losses and all: it then rises
        d["lambdas"] = d["lambdas"][::-1]
        d["losses"] = d["losses"][::-1]
    res = check_path(d)
    assert res["ok"] is False and res["checks"][failing] is False


@pytest.fixture(scope="module")
def pyramid_record():
    X, Y, W = random_problem([2, 8, 4, 1], 6, seed=9)
    return pyramid_path([2, 8, 4, 1], ["tanh", "sinh(t)"], X, Y, W, samples=11).to_dict()


def test_check_path_ignores_a_huge_stored_rounding_floor(wide_record):
    # the adversary's edit: a floor of 1e300 once made any losses "reproduce", and 0, 1, 2, ... pass
    from basins.landscape.paths import check_path
    d = json.loads(json.dumps(wide_record))
    d["rounding_floor"] = 1e300
    d["losses"] = [float(k) for k in range(len(d["losses"]))]
    res = check_path(d)
    assert res["ok"] is False
    assert res["checks"]["losses reproduce"] is False
    assert res["checks"]["stored rounding floor agrees"] is False
    # the decisions use the floor recomputed from the generator: the path itself is still fine
    assert res["checks"]["strictly decreasing"] is True and res["checks"]["end loss is 0 up to rounding"] is True


@pytest.mark.parametrize("which", ["wide", "pyramid"])
@pytest.mark.parametrize("k", [0, 4, -1])
def test_check_path_rejects_one_edited_loss(wide_record, pyramid_record, which, k):
    from basins.landscape.paths import check_path
    d = json.loads(json.dumps(wide_record if which == "wide" else pyramid_record))
    assert check_path(d)["ok"] is True
    E0 = d["losses"][0]
    d["losses"][k] += 1e-7 * E0            # small, but far above 10 × the recomputed floor (~1e-9 here)
    res = check_path(d)
    assert res["ok"] is False and res["checks"]["losses reproduce"] is False


@pytest.mark.parametrize("which", ["wide", "pyramid"])
@pytest.mark.parametrize("floor", ["double", "half", "zero", "missing", "text"])
def test_check_path_rejects_an_edited_rounding_floor(wide_record, pyramid_record, which, floor):
    from basins.landscape.paths import check_path
    d = json.loads(json.dumps(wide_record if which == "wide" else pyramid_record))
    f = d["rounding_floor"]
    assert f > 0
    if floor == "missing":
        del d["rounding_floor"]
    else:
        d["rounding_floor"] = {"double": 2 * f, "half": 0.5 * f, "zero": 0.0, "text": str(f)}[floor]
    res = check_path(d)
    assert res["ok"] is False
    assert [name for name, ok in res["checks"].items() if not ok] == ["stored rounding floor agrees"]


def test_check_path_floor_is_the_builders(wide_record, pyramid_record):
    # the recomputed floor is the builder's (one implementation): unedited records agree to ~1 ulp
    from basins.landscape.paths import check_path
    for d in (wide_record, pyramid_record):
        res = check_path(json.loads(json.dumps(d)))
        assert res["ok"] is True and res["checks"]["stored rounding floor agrees"] is True
    d = json.loads(json.dumps(wide_record))
    d["rounding_floor"] *= 1 + 1e-5             # just outside the relative 1e-6
    assert check_path(d)["checks"]["stored rounding floor agrees"] is False


def test_check_path_format_errors(wide_record):
    from basins.errors import CaseFormatError
    from basins.landscape.paths import check_path
    with pytest.raises(CaseFormatError, match="is not a basins.path/1 record"):
        check_path({"schema": "basins.case/1"})
    d = json.loads(json.dumps(wide_record))
    del d["generator"]["perturbed_weights"]
    with pytest.raises(CaseFormatError, match="no weights"):
        check_path(d)
    d = json.loads(json.dumps(wide_record))
    d["kind"] = "spiral"
    with pytest.raises(CaseFormatError, match="kind='spiral'"):
        check_path(d)
    d = json.loads(json.dumps(wide_record))
    del d["lambdas"]
    with pytest.raises(CaseFormatError, match="malformed"):
        check_path(d)


def test_cli_check(tmp_path, wide_record):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(wide_record))
    r = _run(["pt", "--check", str(good)])
    assert r.exit_code == 0 and "verified numerically" in r.output
    d = json.loads(json.dumps(wide_record))
    d["losses"][3] *= 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(d))
    r = _run(["pt", "--check", str(bad)])
    assert r.exit_code == 1 and "fails: losses reproduce" in r.output
    nojson = tmp_path / "x.json"
    nojson.write_text("{")
    r = _run(["pt", "--check", str(nojson)])
    assert r.exit_code == 1 and "cannot be read as JSON" in r.output


def test_decreasing_path_honours_h0():
    X, Y, W = random_problem([2, 8, 6, 1], 5, seed=4)
    p = decreasing_path([2, 8, 6, 1], ["tanh", "sinh(t)"], X, Y, W, h0=1, samples=11)
    assert p.kind == "pyramid" and p.layer == 2 and p.verified
    q = decreasing_path([2, 8, 6, 1], ["tanh", "sinh(t)"], X, Y, W, samples=11)
    assert q.kind == "wide" and q.layer == 3
