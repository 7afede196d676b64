"""The shipped certified cases, their README, the pytest helper, and `basins certify` / `verify --rigorous`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from basins.certification.certify import CERTIFIED, recheck_certificate
from basins.cli import main
from basins.errors import InvalidArgument
from basins.certification.second import reverify
from basins.oracles.testing import load_shipped, parametrize_cases, parametrize_checks, shipped_cases, shipped_names

ROOT = Path(__file__).resolve().parents[1]
NAMES = shipped_names()


def test_collection_covers_the_issue() -> None:
    cases = [load_shipped(n) for n in NAMES]
    assert len(cases) >= 12
    assert len({c.activation.text for c in cases}) >= 8
    assert min(c.m for c in cases) == 1 and max(c.m for c in cases) == 8
    assert max(c.N for c in cases if c.model.scalar) == 64
    theorems = {c.theorem for c in cases}
    assert {"Proposition 4", "Theorem 4", "Theorem 6", "Theorem 7"} <= theorems
    assert all(c.verification["status"] == "verified numerically" for c in cases)
    assert {"swish", "softplus", "gelu", "tanh", "sin", "elu", "exp"} <= {c.activation.name for c in cases}


def test_collection_covers_the_general_model() -> None:
    """Issue 11: at least 8 certified cases with d ∈ {2, 3, 8}, with and without biases, 5 activations, widths
    up to 8, and a noisy XOR in 2-D."""
    cases = [c for c in (load_shipped(n) for n in NAMES) if not c.model.scalar]
    assert len(cases) >= 8
    assert {c.d for c in cases} == {2, 3, 8}
    assert {(c.bias, c.output_bias is not None) for c in cases} == {(True, True), (True, False), (False, True),
                                                                     (False, False)}
    assert len({c.activation.text for c in cases}) >= 5 and max(c.m for c in cases) == 8
    assert all(c.certificate["status"] == "certified" and c.theorem == "Proposition 4 (SPEC §11)" for c in cases)
    assert any("xor" in c.name for c in cases)


def test_example2_is_the_papers(tmp_path) -> None:
    c = load_shipped("example2_swish")
    assert c.x == (0.1, 2.0, 3.0) and c.v == (1.0,) and c.w == (1.0,)
    assert [round(a, 4) for a in c.y] == [-99.9475, -1.1766, 6.506]   # printed in the paper


def test_readme_has_one_line_per_case() -> None:
    text = (ROOT / "basins" / "cases" / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        lines = [ln for ln in text.splitlines() if f"`{name}`" in ln]
        assert len(lines) == 1, name


@parametrize_cases()
def test_every_shipped_case_carries_a_certificate_that_recomputes(case) -> None:
    assert case.certificate["status"] == CERTIFIED
    assert case.name in NAMES
    assert recheck_certificate(case).certified


@parametrize_cases()
def test_every_shipped_case_is_reproved_by_the_second_verifier(case) -> None:
    assert reverify(case).certified


def test_parametrize_cases_ids_are_the_names() -> None:
    mark = parametrize_cases(["example2_swish", "gelu_m2_n8"])
    assert [p.id for p in mark.args[1]] == ["example2_swish", "gelu_m2_n8"]


def test_parametrize_checks_ids_and_expected_failures() -> None:
    def loss(v, w, x, y, act):
        r = v @ act.numpy(0)(__import__("numpy").outer(w, x)) - y
        return float(r @ r)
    mark = parametrize_checks(names=["example2_swish", "theorem7_shifted_relu_m1_n3"], loss=loss,
                              gradient=lambda *a: None,
                              expected_failures={"check_gradient-example2_swish": "a stub"})
    ids = [p.id for p in mark.args[1]]
    assert ids == ["check_loss-example2_swish", "check_gradient-example2_swish",
                   "check_loss-theorem7_shifted_relu_m1_n3"]
    assert mark.args[1][1].marks[0].kwargs["strict"] is True
    with pytest.raises(InvalidArgument, match="unknown ids"):
        parametrize_checks(names=["example2_swish"], loss=loss, expected_failures={"check_x-y": "?"})


def test_unknown_case_name() -> None:
    with pytest.raises(InvalidArgument, match="not shipped cases"):
        shipped_cases(["nope"])


# -------------------------------------------------------------------------- CLI --



@pytest.fixture
def certified_file(run, tmp_path) -> Path:
    src = tmp_path / "case.json"
    plain = load_shipped("example2_swish").with_(certificate=None)
    plain.save(src)
    out = tmp_path / "certified.json"
    res = run("certify", str(src), "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "certified" in res.output and "krawczyk" in res.output
    return out


def test_cli_certify_then_verify_rigorous(run, certified_file) -> None:
    res = run("verify", "--rigorous", str(certified_file))
    assert res.exit_code == 0, res.output
    assert "[first] krawczyk" in res.output and "[second] newton-kantorovich" in res.output
    res = run("verify", "--rigorous", "--json", str(certified_file))
    data = json.loads(res.output)
    assert data["status"] == "certified" and data["second"]["status"] == "certified"


def test_cli_certify_json(run, tmp_path) -> None:
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    load_shipped("theorem7_shifted_relu_m1_n3").with_(certificate=None).save(src)
    res = run("certify", str(src), "-o", str(out), "--json")
    assert res.exit_code == 0
    assert json.loads(res.output)["kind"].startswith("piecewise linear")


def test_cli_certify_failure_writes_nothing(run, tmp_path) -> None:
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    case = load_shipped("example2_swish")
    case.with_(certificate=None, w=(1.001,)).save(src)
    res = CliRunner().invoke(main, ["certify", str(src), "-o", str(out)])
    assert res.exit_code == 1
    assert not out.exists()
    assert res.output.strip().count("\n") == 0 and "certificate rejected" in res.output


def _edit(path: Path, edit) -> None:
    d = json.loads(path.read_text())
    edit(d)
    path.write_text(json.dumps(d))


def _vec(d: dict, key: str, i: int, value: float) -> None:
    d[key][i] = value
    d["exact"][key][i] = value.hex()


def _witness_raised(d: dict) -> None:
    d["witness"]["v"], d["exact"]["witness"]["v"] = [1.0], [(1.0).hex()]
    d["witness"]["w"], d["exact"]["witness"]["w"] = [1.001], [(1.001).hex()]


TAMPERS = {
    "centre moved": (lambda d: d["certificate"]["inputs"]["centre"].__setitem__(0, (0.9999999).hex()),
                     "inputs.centre"),
    "point moved": (lambda d: _vec(d, "w", 0, 1.0 + 2.0**-30), "inputs.w"),
    "witness raised": (_witness_raised, "sub-optimal"),
    "y last digit": (lambda d: _vec(d, "y", 1, math.nextafter(d["y"][1], 0.0)), r"inputs.y\[1\]"),
    "activation swapped": (lambda d: d.__setitem__("activation", "log(1 + exp(t))"), "rejected|inputs.activation"),
    "figure edited": (lambda d: d["certificate"]["figures"].__setitem__("upper E at witness", "42.6"),
                      "figures.upper E at witness"),
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_cli_verify_rigorous_rejects_tampered_files(certified_file, kind) -> None:
    edit, pattern = TAMPERS[kind]
    _edit(certified_file, edit)
    res = CliRunner().invoke(main, ["verify", "--rigorous", str(certified_file)])
    assert res.exit_code == 1, (kind, res.output)
    import re
    assert re.search(pattern, res.output), (kind, res.output)
    assert res.output.startswith("Error: ") and res.output.count("\n") == 1
