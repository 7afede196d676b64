"""Case files: exact round trips, atomic writes, malformed input."""

import json
import os

import pytest

from basins.io.case import SCHEMA, Case, load_case, write_json_atomic
from basins.errors import CaseFormatError
from basins.constructions.prop4 import construct_prop4


def _fields(case):
    return (case.activation, case.x, case.y, case.v, case.w, case.theorem, case.loss, case.witness, case.name)


def test_round_trip_is_exact(example2):
    again = Case.from_json(example2.to_json())
    assert _fields(again) == _fields(example2)
    assert again.details == json.loads(json.dumps(again.details))
    assert again.to_json() == example2.to_json()


def test_round_trip_through_a_file_keeps_every_bit(tmp_path):
    case = construct_prop4("gelu", (0.5, 1.0, 1.5, 2.0, 2.5, 3.0), width=2)
    path = tmp_path / "c.json"
    case.save(path)
    again = load_case(path)
    assert [a.hex() for a in again.y] == [a.hex() for a in case.y]
    assert _fields(again) == _fields(case)


def test_file_has_the_spec_keys(example2):
    d = json.loads(example2.to_json())
    for key in ("schema", "activation", "x", "y", "v", "w", "loss", "witness", "theorem", "exact"):
        assert key in d
    assert d["schema"] == SCHEMA
    assert set(d["witness"]) == {"v", "w", "loss"}
    assert float.fromhex(d["exact"]["y"][0]) == d["y"][0]


def _mutate(example2, fn):
    d = json.loads(example2.to_json())
    fn(d)
    return json.dumps(d)


@pytest.mark.parametrize("mutation,match", [
    (lambda d: d.update(schema="basins.case/0"), "schema='basins.case/0'"),
    (lambda d: d.pop("y"), "missing key 'y'"),
    (lambda d: d["y"].append(1.0), "exact values do not match|inconsistent"),
    (lambda d: d["exact"]["y"].__setitem__(0, (1.5).hex()), "disagree"),
    (lambda d: d.update(activation="__import__('os')"), "function '__import__' is not allowed"),
    (lambda d: d["x"].__setitem__(0, "a"), r"case: x\[0\]: 'a' is not of type 'number'"),
    (lambda d: d.update(witness={"v": [1.0]}), "missing key 'witness.w'"),
    (lambda d: d.update(N=7), "N=7 but the vectors give 3"),
    (lambda d: d.update(details=[1]), "details: \\[1\\] is not of type 'object'"),
], ids=["schema", "missing", "length", "hex", "activation", "type", "witness", "N", "details"])
def test_malformed_case_is_rejected(example2, mutation, match):
    with pytest.raises(CaseFormatError, match=match):
        Case.from_json(_mutate(example2, mutation))


def test_nan_and_garbage_rejected(example2):
    text = example2.to_json().replace('"loss": 10021', '"loss": NaN, "old": 10021', 1)
    d = json.loads(text)
    d["exact"].pop("loss")
    with pytest.raises(CaseFormatError, match="not finite"):
        Case.from_json(json.dumps(d))
    with pytest.raises(CaseFormatError, match="not valid JSON"):
        Case.from_json("{not json")
    with pytest.raises(CaseFormatError, match="a case is a JSON object"):
        Case.from_json("[1, 2]")


def test_missing_file(tmp_path):
    with pytest.raises(CaseFormatError, match="cannot be read"):
        load_case(tmp_path / "nope.json")


def test_atomic_write_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.json"

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_json_atomic(target, "{}")
    assert list(tmp_path.iterdir()) == []
