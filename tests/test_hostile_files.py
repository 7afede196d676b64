"""Hostile inputs through the CLI: each ends in exit 1 or 2 with one "Error:" line, no traceback, no file.

Each row is one class of the reliability issue: expressions that used to hang or overflow, numbers
beyond float64, case and path files that are huge, deep, of the wrong shape or not regular files.
The command runs in-process (click's CliRunner); the output file it is asked to write must not
appear, and nothing else may appear in its folder.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from click.testing import CliRunner

from basins.cli import main

EXAMPLE = json.loads(resources.files("basins.cases").joinpath("example2_swish.json").read_text(encoding="utf-8"))

#: Seconds one hostile input may take through the CLI.
TIME_BOUND = 20.0


def _case(**changes: Any) -> dict:
    d = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        d[key] = value
    return d


def _without_exact(d: dict) -> dict:
    d = copy.deepcopy(d)
    d.pop("exact", None)
    return d


def _text(d: Any) -> str:
    return json.dumps(d)


def _path_record() -> dict:
    from basins.landscape.pt import wide_path
    rng = np.random.default_rng(0)
    return wide_path([2, 6, 1], "tanh", rng.standard_normal((2, 5)), rng.standard_normal((1, 5)), samples=21).to_dict()


def _path_with(change: Callable[[dict], None]) -> str:
    d = copy.deepcopy(_path_record())
    change(d)
    return json.dumps(d)


def _set_generator_x(d: dict) -> None:
    d["generator"]["X"][0][0] = "0x1p2000"


def _set_losses(d: dict) -> None:
    d["losses"] = ["a"]


def _deep_case() -> str:
    return _text(_case(details="@@")).replace('"@@"', "[" * 100_000 + "]" * 100_000)


def _int_digits(n: int) -> str:
    return _text(_without_exact(_case(x="@@"))).replace('"@@"', "[" + "1" * n + ", 2.0, 3.0]")


# (id, file text or a maker of the file in a folder, command line with {file} and {out})
FILE_ROWS: list[tuple[str, Any, list[str]]] = [
    ("activation-huge-exponent", lambda: _text(_case(activation="1e-99999999*t+t/(1+exp(-t))")),
     ["verify", "{file}", "--samples", "10"]),
    ("activation-zoo", lambda: _text(_case(activation="zoo")), ["certify", "{file}", "-o", "{out}"]),
    ("activation-cube-root", lambda: _text(_case(activation="t**(1/3)")), ["verify", "{file}"]),
    ("activation-exp-overflow", lambda: _text(_case(activation="exp(10**100)*t")), ["bound", "{file}"]),
    ("int-5000-digits", lambda: _int_digits(5000), ["verify", "{file}"]),
    ("int-350-digits", lambda: _int_digits(350), ["verify", "{file}"]),
    ("hex-overflow-in-case", lambda: _text(_case(exact={**EXAMPLE["exact"], "loss": "0x1p2000"})), ["verify", "{file}"]),
    ("witness-list", lambda: _text(_case(witness=[1, 2, 3])), ["verify", "{file}"]),
    ("exact-witness-list", lambda: _text(_case(exact={**EXAMPLE["exact"], "witness": [1]})), ["verify", "{file}"]),
    ("y-1e308-pt", lambda: _text(_without_exact(_case(y=[1e308, 1e308, 1e308]))), ["pt", "--case", "{file}", "-o", "{out}"]),
    ("nested-100000", _deep_case, ["verify", "{file}"]),
    ("nan-literal", lambda: _text(EXAMPLE).replace('"loss": ' + json.dumps(EXAMPLE["loss"]), '"loss": NaN', 1),
     ["verify", "{file}"]),
    ("1e999", lambda: _text(EXAMPLE).replace('"loss": ' + json.dumps(EXAMPLE["loss"]), '"loss": 1e999', 1),
     ["certify", "{file}", "-o", "{out}"]),
    ("not-utf8", lambda: b"\xff\xfe{}", ["verify", "{file}"]),
    ("not-json", lambda: "{", ["bound", "{file}"]),
    ("path-hex-overflow", lambda: _path_with(_set_generator_x), ["pt", "--check", "{file}"]),
    ("path-losses-a", lambda: _path_with(_set_losses), ["pt", "--check", "{file}"]),
    ("path-losses-a-plot", lambda: _path_with(_set_losses), ["plot", "{file}", "-o", "{out}.png"]),
    ("path-nested", lambda: '{"schema": "basins.path/1", "losses": ' + "[" * 50_000 + "]" * 50_000 + "}",
     ["pt", "--check", "{file}"]),
    ("sparse-70MiB", "sparse", ["verify", "{file}"]),
    ("fifo", "fifo", ["verify", "{file}"]),
    ("directory", "directory", ["certify", "{file}", "-o", "{out}"]),
    ("dev-zero", "/dev/zero", ["verify", "{file}"]),
    ("dev-zero-plot", "/dev/zero", ["plot", "{file}", "-o", "{out}.png"]),
    ("dev-zero-check", "/dev/zero", ["pt", "--check", "{file}"]),
]

#: Hostile options (no file read): expressions and number lists.
OPTION_ROWS: list[tuple[str, list[str]]] = [
    ("huge-exponent", ["construct", "--activation", "1e-99999999*t+t/(1+exp(-t))", "-o", "{out}"]),
    ("exp-10-100", ["construct", "--activation", "exp(10**100)*t", "-o", "{out}"]),
    ("sqrt-minus-1", ["construct", "--activation", "sqrt(-1)*t + t/(1+exp(-t))", "-o", "{out}"]),
    ("cube-root", ["construct", "--activation", "t**(1/3)", "-o", "{out}"]),
    ("tower", ["construct", "--activation", "t" + "**t" * 500, "-o", "{out}"]),
    ("4.9MB", ["construct", "--activation", "t" + "+t" * 2_450_000, "-o", "{out}"]),
    ("deep-negation", ["construct", "--activation", "-(" * 100_000 + "t" + ")" * 100_000, "-o", "{out}"]),
    ("x-1e308", ["construct", "--x", "1e308,1,2", "-o", "{out}"]),
    ("w-1e308", ["construct", "--w", "1e308", "-o", "{out}"]),
    ("x-1e999", ["construct", "--x", "1e999,1,2", "-o", "{out}"]),
    ("x-nan", ["construct", "--x", "nan,1,2", "-o", "{out}"]),
    ("activation-command", ["activation", "t**(1/3)"]),
]


def _make(folder: Path, spec: Any) -> str:
    if isinstance(spec, str) and spec.startswith("/dev/"):
        if not os.path.exists(spec):
            pytest.skip(f"{spec} does not exist here")
        return spec
    target = folder / "input.json"
    if spec == "sparse":
        with open(target, "wb") as fh:
            fh.truncate(70 * 2**20)
    elif spec == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(target)
    elif spec == "directory":
        target.mkdir()
    else:
        data = spec()
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    return str(target)


def _check(result: Any, out: Path, before: set[str], folder: Path, seconds: float) -> None:
    output = result.output
    assert result.exit_code in (1, 2), (result.exit_code, output[-2000:], result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output, output[-2000:]
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output[-2000:]
    assert len(errors[0]) < 2100
    assert not out.exists() and not Path(f"{out}.png").exists()
    assert {p.name for p in folder.iterdir()} == before, "a file was left behind"
    assert seconds < TIME_BOUND, f"took {seconds:.1f} s"


def _invoke(argv: list[str]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = CliRunner().invoke(main, argv, catch_exceptions=True)
    return result, time.perf_counter() - start


@pytest.mark.parametrize("name,spec,argv", FILE_ROWS, ids=[r[0] for r in FILE_ROWS])
def test_hostile_file(tmp_path: Path, name: str, spec: Any, argv: list[str]) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    file = _make(folder, spec)
    out = folder / "out.json"
    before = {p.name for p in folder.iterdir()}
    result, seconds = _invoke([a.format(file=file, out=out) for a in argv])
    _check(result, out, before, folder, seconds)


@pytest.mark.parametrize("name,argv", OPTION_ROWS, ids=[r[0] for r in OPTION_ROWS])
def test_hostile_option(tmp_path: Path, name: str, argv: list[str]) -> None:
    out = tmp_path / "out.json"
    result, seconds = _invoke([a.replace("{out}", str(out)) for a in argv])
    _check(result, out, set(), tmp_path, seconds)


def test_the_file_errors_name_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(70 * 2**20)
    result, _ = _invoke(["verify", str(big)])
    assert "the limit is 67108864 bytes" in result.output
    if sys.platform != "win32" and os.path.exists("/dev/zero"):
        result, _ = _invoke(["verify", "/dev/zero"])
        assert "is not a regular file" in result.output
    deep = tmp_path / "deep.json"
    deep.write_text(_deep_case())
    result, _ = _invoke(["verify", str(deep)])
    assert "nested deeper than the limit of 64" in result.output
