"""Tests of basins.landscape.sweep: Table 1 as data, classification, the sweep over widths."""

import json

import numpy as np
import pytest

from basins.errors import InvalidArgument
from basins.landscape.sweep import SWEEP_SCHEMA, TABLE1, classify, paper_prediction, sweep, sweep_data


def test_table1_entries_are_the_papers():
    # Li, Ding & Sun, Table 1 (§3.2)
    assert TABLE1["C2, σ(0)σ′(0)σ″(0) ≠ 0"]["transition"] == "1 < m* ≤ N"
    assert TABLE1["piecewise linear, σ(0) = σ′(0) = 0"]["transition"] == "(N − 1)/2 < m* ≤ N"
    assert TABLE1["positively homogeneous"]["transition"].startswith("no phase transition")
    assert all("reference" in row for row in TABLE1.values())


@pytest.mark.parametrize("act,cls", [
    ("softplus", "C2, σ(0)σ′(0)σ″(0) ≠ 0"),       # log 2, 1/2, 1/4
    ("exp", "C2, σ(0)σ′(0)σ″(0) ≠ 0"),
    ("shifted_sigmoid", "C2, σ(0)σ′(0)σ″(0) ≠ 0"),
    ("swish", "not covered by Table 1"),          # σ(0) = 0
    ("sigmoid", "not covered by Table 1"),        # σ″(0) = 0
    ("relu", "positively homogeneous"),
    ("leaky_relu", "positively homogeneous"),
    ("abs", "positively homogeneous"),
    ("shifted_relu", "piecewise linear, σ(0) = σ′(0) = 0"),
    ("elu", "not covered by Table 1"),
])
def test_classify(act, cls):
    assert classify(act) == cls


@pytest.mark.parametrize("cls,m,N,expected", [
    ("positively homogeneous", 1, 5, "none (Theorem 5)"),
    ("C2, σ(0)σ′(0)σ″(0) ≠ 0", 1, 3, "exists for some y (Theorem 6)"),
    ("C2, σ(0)σ′(0)σ″(0) ≠ 0", 2, 3, "not decided by the paper"),
    ("C2, σ(0)σ′(0)σ″(0) ≠ 0", 3, 3, "none (Theorem 2, m ≥ N)"),
    ("piecewise linear, σ(0) = σ′(0) = 0", 2, 5, "exists for some x, y (Theorem 7)"),
    ("piecewise linear, σ(0) = σ′(0) = 0", 3, 5, "not decided by the paper"),
])
def test_paper_prediction(cls, m, N, expected):
    assert paper_prediction(cls, m, N) == expected


def test_sweep_data_is_seeded_and_valid():
    a, b = sweep_data(6, 3), sweep_data(6, 3)
    assert np.array_equal(a, b) and np.unique(a).size == 6 and np.all(np.abs(a) >= 0.2)


def test_sweep_softplus_in_processes():
    s = sweep("softplus", 3, trials=1, workers=2, samples=50)
    d = json.loads(s.to_json())
    assert d["schema"] == SWEEP_SCHEMA and d["backend"] == "processes (2)"
    assert [r["m"] for r in d["rows"]] == [1, 2, 3]
    # Theorem 2: no basin at m = N; Theorem 6 predicts one at m = 1, which the constructions find here
    assert 3 in d["widths_without"] and d["rows"][2]["paper"] == "none (Theorem 2, m ≥ N)"
    assert 1 in d["widths_with"] and d["consistent"] is True
    assert d["observed"]["lower_bound"] >= 2


def test_sweep_relu_finds_nothing():
    s = sweep("relu", 3, trials=1, workers=1)
    assert s.widths_with == [] and s.consistent
    assert all(r["paper"] == "none (Theorem 5)" for r in s.rows())


def test_sweep_on_a_dask_local_cluster():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        s = sweep("relu", 2, trials=1, scheduler=cluster.scheduler_address)
    assert s.backend.startswith("dask") and len(s.attempts) == 2 and s.widths_with == []


def test_errors(monkeypatch):
    with pytest.raises(InvalidArgument, match="N=1"):
        sweep("softplus", 1)
    with pytest.raises(InvalidArgument, match="trials=0"):
        sweep("softplus", 3, trials=0)
    with pytest.raises(InvalidArgument, match="workers=0"):
        sweep("softplus", 3, workers=0)
    with pytest.raises(InvalidArgument, match="not in"):
        sweep("softplus", 3, constructions=["nope"])
    import builtins
    real_import = builtins.__import__

    def no_dask(name, *a, **k):
        if name.startswith("dask"):
            raise ImportError(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(InvalidArgument, match="needs the optional dask extra"):
        sweep("softplus", 3, scheduler="tcp://127.0.0.1:1")


def test_cli_sweep(tmp_path):
    from click.testing import CliRunner

    from basins.cli import main
    out = tmp_path / "sweep.json"
    r = CliRunner().invoke(main, ["sweep", "--activation", "relu", "--N", "3", "--trials", "1", "--workers", "1",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "positively homogeneous" in r.output and "widths with a basin found: none" in r.output
    assert json.loads(out.read_text())["schema"] == SWEEP_SCHEMA
    from basins.landscape.sweep import Sweep
    assert Sweep.load(str(out)).widths_with == []          # the written file validates and reads back
    r = CliRunner().invoke(main, ["sweep", "--activation", "relu", "--N", "2", "--trials", "1", "--workers", "1",
                                  "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["widths_with"] == []
    r = CliRunner().invoke(main, ["sweep", "--activation", "nosuchfunction(t)", "--N", "3"])
    assert r.exit_code == 1 and "Error" in r.output


def test_sweep_piecewise_linear_matches_table1_row2():
    from basins.constructions.choose import CONSTRUCTIONS
    if not any(CONSTRUCTIONS[k][0].__name__ == "construct_theorem7" for k in CONSTRUCTIONS):
        pytest.skip("Theorem 7 construction not registered")
    # Table 1, row 2 / Theorem 7: basins exist for 2m + 1 ≤ N, i.e. m ≤ 2 when N = 5; none at m = N
    s = sweep("shifted_relu", 5, trials=1, workers=2, samples=50)
    assert s.widths_with == [1, 2]
    assert s.consistent and s.to_dict()["observed"]["lower_bound"] == 3


def test_a_case_of_another_activation_does_not_count(monkeypatch):
    # Theorem 4 designs its own σ: its basins are not basins of the activation swept
    from basins.constructions.choose import CONSTRUCTIONS
    from basins.constructions.prop4 import construct_prop4

    def designs_swish(act, x=None, width=1, seed=0, **kw):
        return construct_prop4("swish", x, width=width, seed=seed)

    monkeypatch.setitem(CONSTRUCTIONS, "fake", (designs_swish, "returns a swish case"))
    s = sweep("softplus", 3, trials=1, workers=1, constructions=["fake"], samples=20)
    assert s.widths_with == []
    assert any("another activation" in r for row in s.rows() for r in row["reasons"])
