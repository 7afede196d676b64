"""The command line: the paper's Example 2 by default, --json, files, errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]




def test_construct_default_is_example2(run):
    res = run("construct", "--activation", "swish", "--samples", "200")
    assert res.exit_code == 0, res.output
    # the paper's printed digits
    assert "[1, 0.029382, -0.0364826]" in res.output
    assert "y = [-99.947502, -1.1766073, 6.505981]" in res.output
    assert "verification: verified numerically" in res.output
    for name in ("condition 1", "condition 2", "condition 3", "signs", "witness", "sampling"):
        assert name in res.output


def test_construct_json_and_output_file(run, tmp_path):
    out = tmp_path / "case.json"
    res = run("construct", "-a", "gelu", "--x", "0.5,1,1.5,2,2.5,3", "--width", "2", "--samples", "100",
              "-o", str(out), "--json")
    assert res.exit_code == 0
    printed = json.loads(res.output)
    stored = json.loads(out.read_text())
    assert printed == stored
    assert stored["verification"]["status"] == "verified numerically"
    from basins.io.records import validate_record
    validate_record(stored, "case", source=str(out))      # what the command writes validates
    res = run("verify", str(out), "--samples", "100")
    assert res.exit_code == 0 and "verified numerically" in res.output
    res = run("verify", str(out), "--samples", "50", "--json")
    assert json.loads(res.output)["status"] == "verified numerically"


def test_verify_fails_with_the_failed_check_named(run, tmp_path):
    out = tmp_path / "case.json"
    assert run("construct", "--no-verify", "-o", str(out)).exit_code == 0
    d = json.loads(out.read_text())
    d["witness"]["v"] = [0.0]
    d["exact"]["witness"]["v"] = [(0.0).hex()]
    out.write_text(json.dumps(d))
    res = run("verify", str(out), "--samples", "50")
    assert "check(s) failed: witness" in res.output


@pytest.mark.parametrize("args,match", [
    (["construct", "-a", "relu"], "Theorem 5"),
    (["construct", "-a", "softplus", "--theorem", "6", "--x", "0,1,2"], "zero entry"),  # Theorems 4, 6 only
    (["construct", "--x", "1,1,2"], "repeated entry"),
    (["construct", "--x", "1,2,3", "--width", "3"], "Theorem 2"),
    (["construct", "-a", "exp(t"], "not a valid expression"),
    (["construct", "-a", "Piecewise((t**2, t > 1), (2*t - 1, True))", "--x", "0.5,1,2", "--w", "1"], "not C²"),
    (["construct", "--x", "1,nan,3"], "NaN"),
], ids=["homogeneous", "zero", "repeated", "wide", "malformed", "not-C2", "nan"])
def test_errors_exit_nonzero_with_one_line_and_no_file(run, tmp_path, args, match):
    out = tmp_path / "never.json"
    res = run(*args, "-o", str(out))
    assert res.exit_code == 1
    assert match in res.output
    assert res.output.strip().count("\n") == 0
    assert not out.exists()


def test_errors_as_json(run):
    res = run("construct", "-a", "relu", "--json")
    assert res.exit_code == 1
    err = json.loads(res.output.split("\nError:")[0])
    assert err["type"] == "NotApplicable" and err["theorem"] == "Theorem 5"


def test_bad_number_list_is_a_usage_error(run):
    res = run("construct", "--x", "1,two,3")
    assert res.exit_code == 2 and "'two'" in res.output


def test_malformed_case_file(run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    res = run("verify", str(bad))
    assert res.exit_code == 1 and "not valid JSON" in res.output


def test_activation_command(run):
    res = run("activation", "elu", "--json")
    props = json.loads(res.output)
    assert props["c2"] is False and props["nonsmooth_points"] == ["0"]
    assert "swish" in run("activation").output


def test_thin_entry_script_runs():
    res = subprocess.run([sys.executable, str(ROOT / "cli.py"), "construct", "--json", "--samples", "50"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    assert [round(y, 4) for y in json.loads(res.stdout)["y"]] == [-99.9475, -1.1766, 6.5060]


def test_example2_setting_falls_back_to_a_search_for_another_activation(run):
    # elu is linear on x > 0 at w = 1: z″ = 0, so Example 2's w = v = 1 fails condition 2
    res = run("construct", "-a", "elu", "--samples", "100", "--json")
    assert res.exit_code == 0, res.output
    case = json.loads(res.output)
    assert "fails for elu (condition 2)" in case["details"]["chosen"]["why"]
    assert case["w"][0] < 0 and case["verification"]["status"] == "verified numerically"
    # swish keeps the paper's setting
    assert json.loads(run("construct", "--samples", "10", "--json").output)["w"] == [1.0]


OWN_COMMANDS = ("activation", "bound", "certify", "construct", "explain", "plot", "pt", "sweep", "verify")


@pytest.mark.parametrize("name", OWN_COMMANDS)
def test_help_has_examples_a_full_summary_and_help_for_every_option(run, name):
    from basins.cli import main
    cmd = main.commands[name]
    summary = cmd.get_short_help_str(limit=62)          # `basins --help` at 80 columns
    assert summary.endswith(".") and not summary.endswith("..."), summary
    text = run(name, "--help").output
    assert "Examples:\n    basins " in text           # kept verbatim by click's \b
    assert "SPEC" not in text and "papers/" not in text
    for param in cmd.params:
        if isinstance(param, __import__("click").Option) and not param.hidden and param.name != "help":
            assert param.help, f"{name} {param.opts} has no help"


def test_option_names_mean_one_thing_and_pt_keeps_its_old_samples(run):
    """--N is the number of data points and --samples the directions per radius, in every command."""
    for name in ("construct", "pt", "sweep"):
        assert "-N, --N" in run(name, "--help").output
    pt_help = run("pt", "--help").output
    assert "Number of data points N" in pt_help and "--samples INTEGER" not in pt_help   # the alias is hidden
    args = ["pt", "--widths", "3,8,8,1", "-a", "tanh", "--points", "11", "--json"]
    new = run(*args, "--N", "6")
    old = run(*args, "--samples", "6")           # the deprecated spelling still works, silently
    short = run(*args, "-N", "6")
    assert new.exit_code == old.exit_code == short.exit_code == 0, old.output
    assert json.loads(new.output)["losses"] == json.loads(old.output)["losses"] == json.loads(short.output)["losses"]
    assert old.output == new.output
    bad = run(*args, "--N", "6", "--samples", "5")
    assert bad.exit_code == 2 and "disagree" in bad.output


def test_number_lists_take_commas_or_spaces_in_one_argument(run):
    commas = run("construct", "-a", "softplus", "--x", "0.5,1,2", "--no-verify", "--json")
    spaces = run("construct", "-a", "softplus", "--x", "0.5 1 2", "--no-verify", "--json")
    assert commas.exit_code == spaces.exit_code == 0, spaces.output
    assert json.loads(commas.output)["x"] == json.loads(spaces.output)["x"] == [0.5, 1.0, 2.0]
    assert "comma-separated, e.g. --x" in run("construct", "--help").output
