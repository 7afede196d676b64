"""Typed records: exact to_dict/from_dict round trips, the shipped JSON Schemas, and rejections that name the
field (Case, Condition, Verification, Certificate, PTPath, PathSearch, Sweep)."""

import copy
import json
import pathlib

import numpy as np
import pytest

from basins.certification.certificate import Certificate
from basins.errors import CaseFormatError
from basins.io.case import Case, Condition, load_case
from basins.io.records import SCHEMA_FILES, SCHEMA_TAGS, field_path, load_schema, read_json, validate_record
from basins.landscape.barrier import PathSearch, search_path
from basins.landscape.pt import pyramid_path, wide_path
from basins.landscape.records import PathResult, PTPath
from basins.landscape.sweep import Sweep, sweep
from basins.verification.steps import Check, Verification

CASES = sorted((pathlib.Path(__file__).resolve().parents[1] / "basins" / "cases").glob("*.json"))


def _json(d):
    """What a file holds: the record through JSON text."""
    return json.loads(json.dumps(d, allow_nan=False))


# ------------------------------------------------------------------ schemas --

def test_schema_files_ship_and_are_valid_schemas():
    import jsonschema
    for kind, name in SCHEMA_FILES.items():
        schema = load_schema(kind)
        jsonschema.validators.validator_for(schema).check_schema(schema)
        assert schema["$schema"].endswith("2020-12/schema") and name.endswith((".json"))
    for kind, tag in SCHEMA_TAGS.items():
        assert load_schema(kind)["properties"]["schema"] == {"const": tag}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_shipped_case_validates_and_round_trips(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    validate_record(raw, "case2" if raw["schema"] == "basins.case/2" else "case", source=path.name)
    case = load_case(path)
    assert Case.from_dict(_json(case.to_dict())) == case
    assert Verification.from_dict(case.verification).to_dict() == case.verification
    cert = Certificate.from_dict(case.certificate)
    assert Certificate.from_dict(_json(cert.to_dict())) == cert
    assert all(isinstance(c, Condition) for c in case.conditions)


@pytest.mark.parametrize("mutation, message", [
    (lambda d: d["witness"]["v"].__setitem__(1, "a"), "case.json: witness.v[1]: 'a' is not of type 'number'"),
    (lambda d: d.pop("loss"), "case.json: missing key 'loss'"),
    (lambda d: d["details"]["conditions"]["condition 1"].update(holds="yes"),
     "case.json: details.conditions.condition 1.holds: 'yes' is not of type 'boolean'"),
    (lambda d: d["details"]["conditions"]["C2"].update(margin="big"),
     "case.json: details.conditions.C2.margin: 'big' is not one of ['inf', '-inf', 'nan']"),
    (lambda d: d["verification"]["checks"][0].pop("passed"), "case.json: missing key 'verification.checks[0].passed'"),
    (lambda d: d["certificate"].update(status=3), "case.json: certificate.status: 3 is not of type 'string'"),
    (lambda d: d["exact"]["y"].__setitem__(0, 1.5), "case.json: exact.y[0]: 1.5 is not of type 'string'"),
    (lambda d: d.update(m="one"), "case.json: m: 'one' is not of type 'integer'"),
], ids=["witness", "missing", "holds", "margin", "check", "certificate", "exact", "m"])
def test_malformed_case_names_the_field(mutation, message):
    d = json.loads(CASES[0].read_text(encoding="utf-8"))
    mutation(d)
    with pytest.raises(CaseFormatError) as info:
        Case.from_dict(d, source="case.json")
    assert str(info.value) == message


def test_malformed_case_file_is_one_clear_error(tmp_path):
    d = json.loads(CASES[0].read_text(encoding="utf-8"))
    d["witness"]["v"] = [1.0, "a"]
    bad = tmp_path / "case.json"
    bad.write_text(json.dumps(d))
    with pytest.raises(CaseFormatError, match=r"case.json: witness.v\[1\]: 'a' is not of type 'number'"):
        load_case(bad)


def test_old_case_without_exact_or_optional_keys_loads():
    d = json.loads(CASES[0].read_text(encoding="utf-8"))
    for key in ("exact", "N", "m", "name", "activation_name", "verification", "certificate"):
        d.pop(key)
    case = Case.from_dict(d)
    assert case.verification is None and case.certificate is None
    assert Case.from_dict(_json(case.to_dict())) == case


def test_field_path():
    assert field_path(["a", 0, "b", 2]) == "a[0].b[2]" and field_path([]) == ""


# --------------------------------------------------------- typed conditions --

def test_conditions_are_typed_and_the_json_keys_stay(example2):
    conds = {c.name: c for c in example2.conditions}
    assert set(conds) == {"C2", "condition 1", "condition 2", "condition 3", "signs"}
    c2 = conds["C2"]
    assert c2.holds is True and c2.margin == float("inf") and c2.what.startswith("σ is C²")
    assert conds["condition 2"].extra["dim S"] == 2
    d = json.loads(example2.to_json())["details"]["conditions"]
    assert d["C2"]["margin"] == "inf" and d["condition 1"]["holds"] is True     # what readers use today
    for c in example2.conditions:
        assert Condition.from_dict(c.name, _json(c.to_dict())) == c
        assert c.to_dict() == _json(d[c.name])


# ------------------------------------------------------------- round trips --

def test_case_round_trip_is_exact(example2):
    assert Case.from_dict(_json(example2.to_dict())) == example2
    assert Case.from_json(example2.to_json()) == example2


def test_verification_round_trip_and_status_check():
    v = Verification((Check("loss", True, 1.25, "E agrees"), Check("witness", False, None, "no witness")),
                     {"sampling": [{"radius": 0.01, "all positive": True}], "dps": 50})
    assert Verification.from_dict(_json(v.to_dict())) == v
    d = _json(v.to_dict())
    d["status"] = "verified numerically"
    with pytest.raises(CaseFormatError, match="status='verified numerically' but the checks give 'failed'"):
        Verification.from_dict(d)
    d["checks"][0]["passed"] = "yes"
    with pytest.raises(CaseFormatError, match=r"checks\[0\].passed: 'yes' is not of type 'boolean'"):
        Verification.from_dict(d)


def test_certificate_rejects_a_malformed_record():
    c = Certificate("smooth", "certified", (("loss", True, "E in [1, 2]"),), {"x": ["0x1p+0"]}, {"digest": "ab"},
                    {"python": "3.11"})
    assert Certificate.from_dict(_json(c.to_dict())) == c
    d = _json(c.to_dict())
    del d["checks"][0]["detail"]
    with pytest.raises(CaseFormatError, match=r"missing key 'checks\[0\].detail'"):
        Certificate.from_dict(d)


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(0)
    return wide_path([2, 6, 1], "tanh", rng.standard_normal((2, 5)), rng.standard_normal((1, 5)), samples=21)


def test_ptpath_round_trip(wide):
    again = PTPath.from_dict(_json(wide.to_dict()))
    assert again == wide and again.verified and isinstance(again, PathResult)
    rng = np.random.default_rng(1)
    p = pyramid_path([2, 6, 3, 1], ["tanh", "leaky_relu"], rng.standard_normal((2, 4)),
                     rng.standard_normal((1, 4)), samples=21)
    assert PTPath.from_dict(_json(p.to_dict())) == p
    assert PTPath.from_dict(_json(p.to_dict())) != wide


def test_old_ptpath_file_without_the_start_still_loads(wide):
    d = _json(wide.to_dict())
    del d["generator"]["start_weights"], d["end_loss_ok"]
    old = PTPath.from_dict(d)
    assert old.verified and np.array_equal(old.losses, wide.losses) and "start" in old.details


def test_ptpath_rejections(wide):
    d = _json(wide.to_dict(include_weights=False))
    with pytest.raises(CaseFormatError, match="without weights"):
        PTPath.from_dict(d)
    d = _json(wide.to_dict())
    d["losses"][2] = "x"
    with pytest.raises(CaseFormatError, match=r"path: losses\[2\]: 'x' is not of type 'number'"):
        PTPath.from_dict(d)
    d = _json(wide.to_dict())
    d["kind"] = "spiral"
    with pytest.raises(CaseFormatError, match="path: kind: 'spiral' is not one of"):
        PTPath.from_dict(d)


def test_path_search_round_trip_and_one_result_type(example2):
    r = search_path(example2, iterations=40, polish=10, max_images=31)
    assert isinstance(r, PathSearch) and isinstance(r, PathResult) and r.kind in ("descent", "barrier")
    again = PathSearch.from_dict(_json(r.to_dict()))
    assert again == r
    d = _json(r.to_dict())
    d["generator"].pop("start")                  # files written before θ_0 was stored still load
    assert PathSearch.from_dict(d).points.shape == r.points.shape
    d["barrier"] = {"value": 1.0}
    with pytest.raises(CaseFormatError, match="missing key 'barrier.max_loss'"):
        PathSearch.from_dict(d)


def test_search_path_wide_case_is_the_same_result_type(example2):
    case = example2.with_(v=(1.0, 0.5, 0.25), w=(1.0, -0.5, 0.3), witness=None)
    r = search_path(case)
    assert isinstance(r, PathResult) and r.kind == "wide" and r.status == "path"
    assert PTPath.from_dict(_json(r.to_dict())) == r


def test_sweep_round_trip_and_file(tmp_path):
    s = sweep("relu", 3, trials=1, workers=1)
    assert Sweep.from_dict(_json(s.to_dict())) == s
    path = tmp_path / "s.json"
    s.save(str(path))
    assert Sweep.load(str(path)) == s and read_json(path, "sweep")["schema"] == "basins.sweep/1"
    old = _json(s.to_dict())
    del old["attempts"], old["details"]          # a file from before the attempts were stored
    assert Sweep.from_dict(old).to_dict()["rows"] == s.to_dict()["rows"]
    bad = copy.deepcopy(old)
    bad["rows"][1]["found"] = -1
    with pytest.raises(CaseFormatError, match=r"sweep: rows\[1\].found: -1 is less than the minimum of 0"):
        Sweep.from_dict(bad)
