"""Fuzzing the input readers: every input ends in a result or in basins' own named error, quickly.

The expression parser (random token strings and random well-formed expressions), the number readers
(the CLI's number lists, JSON numbers, the numbers of a case) and the case loader (random mutations of
the shipped ``example2_swish`` case).  The only allowed outcomes are a parsed Activation / a Case / a
list of floats, or ActivationError / CaseFormatError / a usage error; never another exception, and
each input within a time bound.  Derandomized and bounded, so that CI runs the same inputs each time.
"""

from __future__ import annotations

import collections
import copy
import json
import time
from importlib import resources
from typing import Any

import click
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basins.activations import Activation
from basins.cli._common import float_list
from basins.errors import ActivationError, CaseFormatError
from basins.io.case import Case
from basins.io.records import loads_json

#: Seconds one input may take (the parser's budgets keep each far below this).
TIME_BOUND = 5.0

#: Outcomes of every fuzzed input, by reader ("parsed", "refused", ...); printed with ``pytest -s``.
OUTCOMES: collections.Counter = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_outcomes():
    yield
    print("\nfuzz outcomes:", dict(sorted(OUTCOMES.items())), "total", sum(OUTCOMES.values()))

FUZZ = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

FUNCTIONS = ["exp", "log", "ln", "sqrt", "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh", "asinh", "erf",
             "erfc", "Abs", "abs", "Max", "max", "Min", "min", "Heaviside", "sign", "sigmoid", "softplus", "relu",
             "Piecewise"]
NUMBERS = ["0", "1", "2", "10", "0.5", "1e5", "1e-99999999", "1e400", "1e308", "10**100", "9**9", "0x10",
           "1_000", "3.", ".5", "1e-400", "zoo", "I", "oo", "nan"]
TOKENS = (["t", "t", "pi", "E", "True", "+", "-", "*", "/", "**", "(", ")", "(", ")", ",", "<", ">", "<=", "&",
           "|", " ", "%", "[", "]", "'", "."] + FUNCTIONS + NUMBERS + [str(d) for d in range(10)])


def _parse(text: str) -> Activation | None:
    """Activation.from_text(text) within the time bound: the Activation, or None after an ActivationError."""
    start = time.perf_counter()
    try:
        act: Activation | None = Activation.from_text(text)
    except ActivationError as exc:
        assert "\n" not in str(exc) and "Traceback" not in str(exc)
        act = None
    OUTCOMES["expression refused" if act is None else "expression parsed"] += 1
    assert time.perf_counter() - start < TIME_BOUND, f"{text!r} took {time.perf_counter() - start:.1f} s"
    return act


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=24).map("".join))
def test_parser_on_token_strings(text: str) -> None:
    _parse(text)


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(st.just("t"), st.sampled_from(NUMBERS + ["pi", "E"]),
                       st.integers(-10**6, 10**6).map(str),
                       st.floats(allow_nan=False, allow_infinity=False).map(repr))

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children).map(lambda p: f"({p[0]}{p[1]}{p[2]})"),
            st.tuples(st.sampled_from(FUNCTIONS[:-1]), children).map(lambda p: f"{p[0]}({p[1]})"),
            st.tuples(st.sampled_from(["Max", "Min"]), children, children).map(lambda p: f"{p[0]}({p[1]}, {p[2]})"),
            children.map(lambda c: f"-{c}"),
            st.tuples(children, children, children).map(lambda p: f"Piecewise(({p[0]}, t < {p[1]}), ({p[2]}, True))"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@FUZZ
@given(_expressions())
def test_parser_on_well_formed_expressions(text: str) -> None:
    _parse(text)


@pytest.mark.parametrize("text", [
    "1e-99999999*t+t/(1+exp(-t))", "exp(10**100)*t", "sqrt(-1)*t + t/(1+exp(-t))", "t**(1/3)", "zoo",
    "zoo*t", "t" + "**t" * 2000, "t" + "+t" * 1_600_000, "-(" * 100_000 + "t" + ")" * 100_000, "-" * 100_000 + "t",
    "(10**100)**100**100", "9**9**9**9", "10**400*t", "1" * 5000 + "*t", "0x" + "f" * 5000 + "*t", "log(t)",
    "exp(exp(exp(exp(exp(1000)))))*t", "1e400*t", "sin(t)**(1/2)", "log(-1-t**2)", "t\x00", "t" * 3_000_000,
    "exp(1000)*t", "Piecewise((sqrt(t), t < 0), (t, True))", "1/0*t", "(-8)**(1/3)*t",
])
def test_hostile_expressions_are_activation_errors(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ActivationError) as err:
        Activation.from_text(text)
    assert time.perf_counter() - start < TIME_BOUND
    message = str(err.value)
    assert "\n" not in message and len(message) < 600


def test_the_refusals_name_the_rule() -> None:
    with pytest.raises(ActivationError, match=r"exponent beyond ±400"):
        Activation.from_text("1e-99999999*t")
    with pytest.raises(ActivationError, match=r"outside the float64 range"):
        Activation.from_text("exp(10**100)*t")
    with pytest.raises(ActivationError, match=r"not real at t = -1"):
        Activation.from_text("t**(1/3)")
    with pytest.raises(ActivationError, match=r"longer than the limit of 2000000 characters"):
        Activation.from_text("t" + "+t" * 1_600_000)
    with pytest.raises(ActivationError, match=r"signs in a row"):
        Activation.from_text("-" * 100_000 + "t")
    with pytest.raises(ActivationError, match=r"brackets nested"):
        Activation.from_text("-(" * 1000 + "t" + ")" * 1000)


@pytest.mark.parametrize("text", ["1/t", "t/(1 + exp(-t))", "1e-400*t + t", "exp(700)*t", "Abs(t)**(1/3)",
                                  "sqrt(t**2 + 1)", "log(1 + exp(t))", "(10**100)**3*t/(10**100)**3"])
def test_ordinary_expressions_still_parse(text: str) -> None:
    assert isinstance(Activation.from_text(text), Activation)


# ------------------------------------------------------------------ numbers --

@FUZZ
@given(st.lists(st.one_of(st.floats().map(repr), st.integers().map(str), st.sampled_from(
    ["1e308", "1e309", "-1e999", "nan", "inf", "0x1p3", "1_0", "--1", "", "٣", "1e-400"])), max_size=6).map(",".join))
def test_cli_number_lists(text: str) -> None:
    try:
        out = float_list("--x", text)
    except click.BadParameter as exc:
        assert "Traceback" not in exc.format_message()
        OUTCOMES["number list refused"] += 1
        return
    OUTCOMES["number list read"] += 1
    assert out is not None and len(out) >= 1   # non-finite entries are the library's to refuse (InvalidArgument)


@FUZZ
@given(st.one_of(
    st.integers().map(str), st.floats().map(lambda f: json.dumps(f)),
    st.sampled_from(["1" * 5000, "-" + "9" * 401, "1e999", "-1e400", "NaN", "Infinity", "[" * 100_000,
                     '{"a":' * 5000 + "1" + "}" * 5000, "0x1p3", "1e308"]),
    st.recursive(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=4)),
                 lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=3), c, max_size=3)),
                 max_leaves=10).map(json.dumps)))
def test_json_numbers_and_nesting(text: str) -> None:
    try:
        data = loads_json(text, source="fuzz")
    except CaseFormatError as exc:
        assert str(exc).startswith("fuzz:")
        OUTCOMES["json refused"] += 1
        return
    OUTCOMES["json read"] += 1
    assert json.loads(text) == data or data != data


# ------------------------------------------------------------------ cases --

EXAMPLE = json.loads(resources.files("basins.cases").joinpath("example2_swish.json").read_text(encoding="utf-8"))

#: Replacement values of a mutation: hostile numbers, wrong types, deep or huge structures.
HOSTILE_VALUES: list[Any] = [
    None, True, 0, -1, 1e308, -1e308, 5e-324, 10**400, "@@int5000@@", "@@deep@@", "a", "", "0x1p2000", "0x1.0p+0", "inf", "nan",
    [], [1], ["a"], [[1.0]], {}, {"v": [1.0]}, [1e308] * 3, "zoo", "t**(1/3)", "1e-99999999*t", "exp(10**100)*t",
    ["0x1p2000"], [0.1, 2.0, 3.0], {"a": {"b": {"c": []}}},
]


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:4]):
            out += _paths(v, prefix + (i,))
    return out


PATHS = [p for p in _paths(EXAMPLE) if p]


def _mutate(record: dict, path: tuple, op: str, value: Any) -> Any:
    d = copy.deepcopy(record)
    parent = d
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "wrap":
        parent[last] = [parent[last]]
    elif op == "nest":
        inner: Any = parent[last]
        for _ in range(50):
            inner = [inner]
        parent[last] = inner
    else:
        parent[last] = value
    return d


def _load(text: str) -> Case | None:
    start = time.perf_counter()
    try:
        case: Case | None = Case.from_json(text, source="fuzz.json")
    except CaseFormatError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(("fuzz.json", "fuzz.json:")), str(exc)
        case = None
    OUTCOMES["case refused" if case is None else "case read"] += 1
    assert time.perf_counter() - start < TIME_BOUND
    return case


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), st.sampled_from(["set", "set", "set", "delete", "wrap", "nest"]),
       st.sampled_from(HOSTILE_VALUES))
def test_case_loader_on_mutations_of_a_shipped_case(path: tuple, op: str, value: Any) -> None:
    d = _mutate(EXAMPLE, path, op, value)
    text = json.dumps(d).replace('"@@int5000@@"', "1" * 5000).replace('"@@deep@@"', "[" * 100_000 + "]" * 100_000)
    case = _load(text)
    if case is not None:
        x, y, v, w = case.arrays()
        assert all(np.isfinite(a).all() for a in (x, y, v, w))


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 20_000), st.integers(0, 20), st.text(alphabet='{}[]",:0123456789.eE-aNIn ', max_size=20))
def test_case_loader_on_damaged_text(position: int, cut: int, insert: str) -> None:
    text = json.dumps(EXAMPLE)
    position %= len(text)
    _load(text[:position] + insert + text[position + cut:])


def test_case_nested_100000_deep_is_a_case_format_error() -> None:
    d = copy.deepcopy(EXAMPLE)
    d["details"] = "@@"
    text = json.dumps(d).replace('"@@"', "[" * 100_000 + "]" * 100_000)
    with pytest.raises(CaseFormatError, match="nested deeper than the limit of 64"):
        Case.from_json(text, source="deep.json")
