"""Certificates on the model of SPEC §11 (d-dimensional inputs, hidden and output bias)."""

import dataclasses
import json

import pytest
from general_cases import hand_case

from basins.certification.certify import certify, certify_case, verify_rigorous
from basins.errors import VerificationFailed
from basins.io.case import Case


@pytest.fixture(scope="module")
def certified():
    return certify_case(hand_case())


def test_a_general_case_is_certified_and_re_proved(certified):
    cert = certified.certificate
    assert cert["status"] == "certified"
    assert {c["name"] for c in cert["checks"]} >= {"C2", "krawczyk", "point", "positive definite", "sub-optimal"}
    inputs = cert["inputs"]
    assert inputs["bias"] is True and inputs["output_bias"] == float(certified.output_bias).hex()
    again = Case.from_json(certified.to_json())
    assert again == certified
    assert verify_rigorous(again)["status"] == "certified"


@pytest.mark.parametrize("edit", ["output_bias", "bias", "witness.c", "x"])
def test_edits_of_the_general_fields_are_rejected(certified, edit):
    d = json.loads(certified.to_json())
    if edit == "output_bias":
        d["output_bias"] += 1e-3
        d["exact"]["output_bias"] = float(d["output_bias"]).hex()
    elif edit == "bias":         # drop the hidden bias: w no longer fits, the file does not even load
        d["bias"] = False
        with pytest.raises(Exception, match="D = d"):
            Case.from_dict(d)
        return
    elif edit == "witness.c":
        d["witness"]["c"] += 1.0
        d["exact"]["witness"]["c"] = float(d["witness"]["c"]).hex()
    else:
        d["x"][0][1] += 1e-9
        d["exact"]["x"][0][1] = float(d["x"][0][1]).hex()
    case = Case.from_dict(d)
    with pytest.raises(VerificationFailed):
        verify_rigorous(case)


def test_a_point_moved_off_the_minimum_is_not_certified():
    case = hand_case()
    moved = case.with_(output_bias=case.output_bias + 1e-3)
    cert = certify(moved)
    assert not cert.certified and set(cert.failed) & {"krawczyk", "point", "sub-optimal", "loss"}


def test_a_witness_without_the_output_bias_is_refused():
    case = hand_case()
    bad = case.with_(witness=dataclasses.replace(case.witness, c=None))
    cert = certify(bad)
    assert not cert.certified and cert.failed == ["inputs"]
