"""`basins cases list/show`, `basins export` and shipped case names wherever a case file is taken."""

from __future__ import annotations

import json

import numpy as np
import pytest

from basins import cases
from basins.errors import CaseFormatError
from basins.io.case import load_case
from basins.model import network

NAMES = cases.names()


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_list_json_has_every_case_with_its_columns(run):
    rows = _json(run("cases", "list", "--json"))
    assert [r["name"] for r in rows] == NAMES
    for r in rows:
        case = cases.load(r["name"])
        assert (r["theorem"], r["activation"], r["N"], r["d"], r["m"], r["parameters"]) == (
            case.theorem, case.activation.name, case.N, case.d, case.m, case.model.n_params(case.m))
        assert r["certified"] is (case.certificate["status"] == "certified")
        radius = (case.certificate.get("guarantees") or {}).get("basin_radius")
        assert r["basin_radius"] == radius


def test_list_filters(run):
    rows = _json(run("cases", "list", "--json", "--theorem", "Theorem 7"))
    assert rows and all(r["theorem"] == "Theorem 7" for r in rows)
    assert _json(run("cases", "list", "--json", "--theorem", "7")) == rows
    assert _json(run("cases", "list", "--json", "--theorem", "theorem7")) == rows
    small = _json(run("cases", "list", "--json", "--max-params", "4"))
    assert small and all(r["parameters"] <= 4 for r in small)
    assert {r["name"] for r in small} == {n for n in NAMES if cases.load(n).model.n_params(cases.load(n).m) <= 4}
    sw = _json(run("cases", "list", "--json", "--activation", "swish"))
    assert {r["name"] for r in sw} == {"example2_swish", "swish_m4_n16", "swish_m2_d3_biases", "swish_m2_d8_biases"}
    relu = _json(run("cases", "list", "--json", "--activation", "shifted_relu", "--max-params", "2"))
    assert [r["name"] for r in relu] == ["theorem7_shifted_relu_m1_n3"]
    assert _json(run("cases", "list", "--json", "--activation", "nope")) == []


def test_list_table(run):
    res = run("cases", "list", "--theorem", "6")
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0].split()[:3] == ["name", "theorem", "activation"] and "basin radius" in lines[0]
    assert len(lines) == 2 and lines[1].startswith("softplus_theorem6") and " yes " in lines[1]


def test_show(run):
    info = _json(run("cases", "show", "example2_swish", "--json"))
    case = cases.load("example2_swish")
    assert info["name"] == "example2_swish" and info["file"] == cases.path("example2_swish")
    assert (info["N"], info["m"], info["parameters"], info["loss"], info["witness_loss"]) == (
        case.N, case.m, case.model.n_params(case.m), case.loss, case.witness.loss)
    assert info["certificate_status"] == "certified" and info["certificate_kind"].startswith("smooth")
    assert isinstance(info["guarantees"], dict)
    text = run("cases", "show", "example2_swish").output
    assert "certified" in text and "guarantees" in text and cases.path("example2_swish") in text
    bad = run("cases", "show", "no_such_case")
    assert bad.exit_code == 1 and "no_such_case" in bad.output


def test_a_shipped_name_is_a_case_file_everywhere(tmp_path, monkeypatch):
    assert load_case("exp_m1_n5") == cases.load("exp_m1_n5")
    with pytest.raises(CaseFormatError, match="cannot be read"):
        load_case("no_such_case")
    # an existing file of that name wins over the shipped case
    monkeypatch.chdir(tmp_path)
    cases.load("elu_m2_n8").save(tmp_path / "exp_m1_n5")
    assert load_case("exp_m1_n5").name == "elu_m2_n8"


@pytest.mark.parametrize("name", ["example2_swish", "theorem4_designed_m5_n8", "theorem7_shifted_relu_m4_n9"])
def test_export_npz_and_json_round_trip_exactly(run, tmp_path, name):
    case = cases.load(name)
    theta = list(case.v) + list(case.w)
    wit = list(case.witness.v) + list(case.witness.w)
    res = run("export", name, "--format", "npz", "-o", str(tmp_path / "c.npz"))
    assert res.exit_code == 0, res.output
    with np.load(tmp_path / "c.npz") as z:
        assert z["x"].tolist() == list(case.x) and z["y"].tolist() == list(case.y)
        assert z["theta"].tolist() == theta and z["witness_theta"].tolist() == wit
        assert float(z["loss"]) == case.loss and float(z["witness_loss"]) == case.witness.loss
        meta = json.loads(str(z["metadata"]))
    assert (meta["name"], meta["theorem"], meta["N"], meta["m"]) == (name, case.theorem, case.N, case.m)
    assert meta["activation_expression"] == case.activation.text and meta["parameter_order"].startswith("theta = (v")
    assert meta["certificate_status"] == "certified" and isinstance(meta["guarantees"], dict)
    path = str(tmp_path / "case.json")     # a case FILE works too
    case.save(path)
    assert run("export", path, "-o", str(tmp_path / "c.json")).exit_code == 0
    d = json.loads((tmp_path / "c.json").read_text())
    assert d["x"] == list(case.x) and d["y"] == list(case.y) and d["theta"] == theta
    assert d["witness_theta"] == wit and d["loss"] == case.loss and d["metadata"] == meta


def test_export_torch_holds_a_float64_module(run, tmp_path):
    torch = pytest.importorskip("torch")
    case = cases.load("elu_m2_n8")
    out = tmp_path / "c.pt"
    assert run("export", "elu_m2_n8", "--format", "torch", "-o", str(out)).exit_code == 0
    d = torch.load(out, weights_only=False)
    model = d["model"]
    assert isinstance(model, torch.nn.Module) and all(p.dtype == torch.float64 for p in model.parameters())
    x = np.array(case.x)
    expected = network.output(case.activation, x, case.v, case.w)
    np.testing.assert_allclose(model(torch.tensor(x)).detach().numpy(), expected, rtol=1e-14, atol=1e-14)
    assert d["theta"].tolist() == list(case.v) + list(case.w) and d["x"].tolist() == list(case.x)
    assert d["loss"] == case.loss and d["metadata"]["name"] == "elu_m2_n8"
    assert set(d["state_dict"]) == {"v", "w"}
    r = d["y"] - model(d["x"])
    assert float((r * r).sum().detach()) == pytest.approx(case.loss, rel=1e-12)


@pytest.mark.parametrize("args, message", [
    (["--format", "npz", "-o", "OUT/c.json"], "format npz needs the suffix .npz"),
    (["--format", "hdf5", "-o", "OUT/c.h5"], "format='hdf5' is not one of npz, json, torch"),
    (["-o", "OUT/c.txt"], "names no format"),
    (["-o", "OUT/c.json", "--format", "torch"], "needs the suffix .pt or .pth"),
])
def test_export_refuses_a_bad_format_in_one_line(run, tmp_path, args, message):
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    res = run("export", "exp_m1_n5", *args)
    assert res.exit_code == 1
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0]
    assert list(tmp_path.iterdir()) == []          # nothing written, no temporary left


def test_export_replaces_atomically(run, tmp_path):
    out = tmp_path / "c.json"
    out.write_text("old")
    assert run("export", "exp_m1_n5", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["metadata"]["name"] == "exp_m1_n5"
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


@pytest.mark.parametrize("path", [("cases",), ("cases", "list"), ("cases", "show"), ("export",)])
def test_help_has_examples_and_a_full_summary(run, path):
    import click

    from basins.cli import main

    cmd = main
    for part in path:
        cmd = cmd.commands[part]
    summary = cmd.get_short_help_str(limit=62)
    assert summary.endswith(".") and not summary.endswith("..."), summary
    text = run(*path, "--help").output
    assert "Examples:\n" in text and "    basins " in text.split("Examples:\n", 1)[1]
    for param in cmd.params:
        if isinstance(param, click.Option) and not param.hidden and param.name != "help":
            assert param.help, f"{path} {param.opts} has no help"
