"""The dispatcher `construct` ("auto" chooses and says why) and the `basins construct` command."""

import json

import pytest
from click.testing import CliRunner

from basins.io.case import load_case
from basins.cli import main
from basins.constructions.choose import (CONSTRUCTIONS, EXAMPLE2, RequestConflict, choose, construct,
                                         construct_request, explain_choice, plan_request)
from basins.errors import InvalidArgument, NotApplicable




@pytest.mark.parametrize("name, kwargs, key", [
    ("swish", {}, "prop4"),
    ("tanh", {}, "prop4"),
    ("softplus", {}, "6"),
    ("exp", {}, "6"),
    ("softplus", {"width": 2}, "prop4"),
    ("softplus", {"w": [0.5]}, "prop4"),
    ("softplus", {"x": [1.0, 2.0]}, "prop4"),
    ("Max(0, t - 1)", {}, "7"),
    ("Max(0, t - 1) - Max(0, t - 3)", {"width": 2}, "7"),
    ("Min(0, t + 2)", {}, "7"),
], ids=lambda p: str(p))
def test_choose(name, kwargs, key):
    got, why = choose(name, **kwargs)
    assert got == key and why


def test_choose_refuses_homogeneous():
    with pytest.raises(NotApplicable, match="Theorem 5"):
        choose("relu")


def test_registered_keys():
    assert {"prop4", "4", "6", "7"} <= set(CONSTRUCTIONS)
    with pytest.raises(InvalidArgument, match="theorem='8'"):
        construct("softplus", "8")


def test_construct_records_the_choice():
    case = construct("softplus")
    assert case.theorem == "Theorem 6" and case.details["chosen"]["theorem"] == "6"
    assert "σ(0) = log(2)" in case.details["chosen"]["why"]
    case = construct("Max(0, t - 1)")
    assert case.theorem == "Theorem 7" and "piecewise linear" in case.details["chosen"]["why"]
    assert explain_choice("swish")["key"] == "prop4"


def test_cli_default_is_still_example2(run):
    res = run("construct", "--samples", "100")
    assert res.exit_code == 0
    assert "[1, 0.029382, -0.0364826]" in res.output        # the paper's a, Example 2
    assert "Example 2" in res.output and "Proposition 4" in res.output


def test_cli_softplus_auto_is_theorem6_and_says_why(run):
    res = run("construct", "--activation", "softplus", "--samples", "100")
    assert res.exit_code == 0
    assert res.output.startswith("Theorem 6") and "chosen     6:" in res.output
    assert "verified numerically" in res.output


def test_cli_theorem6_refusal_is_one_line(run):
    res = CliRunner().invoke(main, ["construct", "--activation", "tanh", "--theorem", "6"])
    assert res.exit_code == 1
    assert "σ(0) ≠ 0" in res.output and "Proposition 4" in res.output


def test_cli_theorem7_rational_x_and_file(run, tmp_path):
    out = tmp_path / "t7.json"
    res = run("construct", "--activation", "Max(0, t-1) - Max(0, t-3)", "--width", "2",
              "--x", "2, 1.75, 1.5, 1.25, 1", "--samples", "100", "-o", str(out))
    assert res.exit_code == 0 and "✓ pieces" in res.output
    case = load_case(out)
    assert case.details["exact"]["x"] == ["2", "7/4", "3/2", "5/4", "1"]
    assert case.details["exact"]["w"] == ["2/3", "1"]
    res = run("verify", str(out), "--samples", "100")
    assert res.exit_code == 0 and "pieces" in res.output


def test_cli_theorem7_generated_N(run):
    res = run("construct", "--activation", "Max(0, t - 1)", "--N", "6", "--width", "2", "--json", "--no-verify")
    data = json.loads(res.output)
    assert data["N"] == 6 and data["theorem"] == "Theorem 7"


def test_cli_theorem4_small(run, tmp_path):
    out = tmp_path / "t4.json"
    res = run("construct", "--theorem", "4", "--x", "0.5,1,2,3", "--width", "3", "--samples", "100", "-o", str(out))
    assert res.exit_code == 0 and res.output.startswith("Theorem 4")
    res = run("verify", str(out), "--samples", "100")
    assert res.exit_code == 0


def test_cli_relu_refused_without_file(tmp_path):
    out = tmp_path / "none.json"
    res = CliRunner().invoke(main, ["construct", "--activation", "relu", "-o", str(out)])
    assert res.exit_code == 1 and "Theorem 5" in res.output and not out.exists()
    res = CliRunner().invoke(main, ["construct", "--activation", "relu", "--json"])
    assert res.exit_code == 1 and '"theorem": "Theorem 5"' in res.output


def test_cli_N_only_for_theorem7():
    res = CliRunner().invoke(main, ["construct", "--activation", "softplus", "--N", "5"])
    assert res.exit_code == 2 and "only applies to Theorem 7" in res.output


# ------------------------------------------------------- construct_request --

def test_construct_request_default_is_example2():
    case = construct_request()
    assert case.activation.name == "swish" and case.x == EXAMPLE2["x"]
    assert case.w == (1.0,) and case.v == (1.0,) and case.details["M"] == 100.0
    chosen = case.details["chosen"]
    assert chosen["theorem"] == "prop4" and chosen["why"].endswith("Example 2 (w = v = 1, M = 100)")
    assert "seeded search" not in chosen["why"]
    assert construct_request("swish") == case


def test_construct_request_falls_back_to_the_search_and_says_why():
    case = construct_request("elu")
    assert case.w != (1.0,)
    assert "Example 2's w = v = 1 fails for elu (condition 2): w found by a seeded search instead" \
        in case.details["chosen"]["why"]


def test_construct_request_choices():
    assert construct_request("softplus").theorem == "Theorem 6"
    assert construct_request("softplus").x == (1.0, 2.0, 3.0)
    assert construct_request("tanh", theorem="prop4").details["chosen"]["why"] == "chosen by the caller"
    t7 = construct_request("Max(0, t - 1)", x=["2", "1.5", "1"])
    assert t7.theorem == "Theorem 7" and t7.details["exact"]["x"] == ["2", "3/2", "1"]
    with pytest.raises(RequestConflict, match="N=5 only applies to Theorem 7") as info:
        construct_request("swish", N=5)
    assert info.value.option == "N" and info.value.construction == "prop4"
    with pytest.raises(NotApplicable):
        construct_request("tanh", width=2)      # no fallback outside Example 2
    assert plan_request() == plan_request("swish") and plan_request(theorem="4") == ("4", "")


def test_cli_construct_is_the_library_call(run):
    """The command prints exactly what construct_request returns, formatted."""
    from basins.cli.report import format_case
    res = run("construct", "--activation", "elu", "--no-verify")
    assert res.exit_code == 0 and res.output == format_case(construct_request("elu")) + "\n"
