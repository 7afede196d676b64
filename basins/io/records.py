"""Versioned JSON Schemas of the records basins writes, and their validation on load.

Every record file carries a ``schema`` tag ("basins.case/1", "basins.path/1",
"basins.sweep/1"); the JSON Schema (Draft 2020-12) of each tag ships in
``basins/io/schemas`` (``case-1.json``, ``path-1.json``, ``sweep-1.json``, and
``certificate-1.json`` and ``verification-1.json`` for the parts of a case).
:func:`validate_record` checks a parsed record against its schema and turns the
first violation into one :class:`~basins.errors.CaseFormatError` naming the
field, e.g. ``case.json: witness.v[1]: 'a' is not of type 'number'``.

Examples
--------
>>> validate_record({"schema": "basins.sweep/1"}, "sweep", source="s.json")
Traceback (most recent call last):
...
basins.errors.CaseFormatError: s.json: missing key 'activation'
"""

from __future__ import annotations

import json
import math
import os
import stat
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from basins.errors import CaseFormatError

__all__ = ["SCHEMA_TAGS", "SCHEMA_FILES", "load_schema", "validate_record", "field_path", "read_json",
           "read_text_file", "loads_json", "load_json_file", "MAX_JSON_BYTES", "MAX_JSON_DEPTH", "MAX_JSON_INT_DIGITS"]

#: Limits of every record file basins reads: its size in bytes (64 MiB), the nesting depth of its
#: JSON (objects and arrays), and the digits of a JSON integer.  Every JSON number is a finite float64
#: (``1e999``, ``NaN`` and ``Infinity`` are refused); only regular files are read.
MAX_JSON_BYTES = 64 * 2**20
MAX_JSON_DEPTH = 64
MAX_JSON_INT_DIGITS = 400

#: Schema tag of each record kind.
SCHEMA_TAGS: dict[str, str] = {"case": "basins.case/1", "case2": "basins.case/2", "path": "basins.path/1", "sweep": "basins.sweep/1"}

#: Record kind -> the JSON Schema file in ``basins/io/schemas``.
SCHEMA_FILES: dict[str, str] = {
    "case": "case-1.json", "case2": "case-2.json", "path": "path-1.json", "sweep": "sweep-1.json",
    "certificate": "certificate-1.json", "verification": "verification-1.json",
}


@lru_cache(maxsize=None)
def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a record kind ("case", "path", "sweep", "certificate", "verification")."""
    if kind not in SCHEMA_FILES:
        raise KeyError(f"no schema for {kind!r}; known: {', '.join(SCHEMA_FILES)}")
    text = resources.files("basins.io").joinpath("schemas", SCHEMA_FILES[kind]).read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@lru_cache(maxsize=None)
def _validator(kind: str) -> Any:
    import jsonschema
    from referencing import Registry, Resource

    registry: Any = Registry()
    for k in SCHEMA_FILES:
        schema = load_schema(k)
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    cls = jsonschema.validators.validator_for(load_schema(kind))
    return cls(load_schema(kind), registry=registry)


def field_path(parts: Any) -> str:
    """``witness.v[1]`` from the path ["witness", "v", 1] of a JSON value.

    >>> field_path(["witness", "v", 1]), field_path(["details", "conditions", "condition 1", "holds"])
    ('witness.v[1]', 'details.conditions.condition 1.holds')
    """
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _message(err: Any) -> str:
    where = field_path(err.absolute_path)
    if err.validator == "required":
        missing = [k for k in err.validator_value if isinstance(err.instance, Mapping) and k not in err.instance]
        key = f"{where}.{missing[0]}" if where and missing else (missing[0] if missing else where)
        return f"missing key {key!r}"
    if err.validator == "oneOf" and err.context:
        # the alternative that got furthest names the field best
        best = max(err.context, key=lambda e: len(list(e.absolute_path)))
        if len(list(best.absolute_path)) > len(list(err.absolute_path)) or best.validator == "required":
            return _message(best)
        return f"{where}: {err.instance!r} is not valid here ({best.message})" if where else best.message
    return f"{where}: {err.message}" if where else err.message


def validate_record(record: Any, kind: str, *, source: str = "record") -> None:
    """Check a parsed record against the shipped schema of ``kind``; CaseFormatError names the first bad field."""
    if not isinstance(record, Mapping):
        raise CaseFormatError(f"{source}: a {kind} record is a JSON object, not {type(record).__name__}")
    errors = list(_validator(kind).iter_errors(record))
    if errors:
        # report the error that is deepest in the document (the most specific one)
        err = max(errors, key=lambda e: (len(list(e.absolute_path)), e.validator != "oneOf"))
        raise CaseFormatError(f"{source}: {_message(err)}")


def read_json(path: Any, kind: str) -> Any:
    """Read a JSON record file (within the limits of :func:`load_json_file`) and validate it against ``kind``."""
    data = load_json_file(path, kind)
    validate_record(data, kind, source=os.fspath(path))
    return data


def read_text_file(path: Any, what: str = "JSON", *, limit: int = MAX_JSON_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes (64 MiB); CaseFormatError otherwise.

    A device (``/dev/zero``), FIFO or directory is refused before it is read, and reading stops after
    ``limit`` + 1 bytes, so that no file can exhaust memory.
    """
    try:
        name = os.fspath(path)
    except TypeError:
        raise CaseFormatError(f"{what} file {path!r} is not a path") from None
    try:
        info = os.stat(name)
        if not stat.S_ISREG(info.st_mode):
            raise CaseFormatError(f"{what} file {name!r} is not a regular file (a directory, device or pipe): "
                                  "only regular files are read")
        if info.st_size > limit:
            raise CaseFormatError(f"{what} file {name!r} has {info.st_size} bytes; the limit is {limit} bytes")
        with open(name, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise CaseFormatError(f"{what} file {name!r} cannot be read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise CaseFormatError(f"{what} file {name!r} has more than {limit} bytes (the limit)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseFormatError(f"{what} file {name!r} is not UTF-8 text (byte {exc.start})") from None


def load_json_file(path: Any, what: str = "JSON") -> Any:
    """The JSON value of a file, read by :func:`read_text_file` and :func:`loads_json` (all their limits)."""
    text = read_text_file(path, what)
    return loads_json(text, source=f"{what} file {os.fspath(path)!r}")


def loads_json(text: Any, *, source: str = "JSON") -> Any:
    """Parse JSON text within limits; CaseFormatError names the rule a text breaks.

    Limits: at most :data:`MAX_JSON_BYTES` characters, nesting depth :data:`MAX_JSON_DEPTH`,
    integers of at most :data:`MAX_JSON_INT_DIGITS` digits; every number a finite float64 (no
    ``NaN``/``Infinity``, no ``1e999``).

    >>> loads_json('{"a": [1, 2.5]}')
    {'a': [1, 2.5]}
    >>> loads_json('[1e999]', source="x.json")
    Traceback (most recent call last):
    ...
    basins.errors.CaseFormatError: x.json: the number 1e999 is outside the float64 range (|x| ≤ 1.798e+308)
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise CaseFormatError(f"{source}: not UTF-8 text") from None
    if not isinstance(text, str):
        raise CaseFormatError(f"{source}: JSON text must be a string, not {type(text).__name__}")
    if len(text) > MAX_JSON_BYTES:
        raise CaseFormatError(f"{source}: {len(text)} characters; the limit is {MAX_JSON_BYTES}")

    def number(s: str) -> float:
        f = float(s)
        if not math.isfinite(f):
            raise CaseFormatError(f"{source}: the number {_short(s)} is outside the float64 range (|x| ≤ 1.798e+308)")
        return f

    def integer(s: str) -> int:
        if len(s.lstrip("-")) > MAX_JSON_INT_DIGITS:
            raise CaseFormatError(f"{source}: an integer of {len(s.lstrip('-'))} digits; the limit is "
                                  f"{MAX_JSON_INT_DIGITS} digits")
        return int(s)

    def constant(s: str) -> Any:
        raise CaseFormatError(f"{source}: {s} is not finite (JSON numbers must be finite float64 values)")

    try:
        data = json.loads(text, parse_float=number, parse_int=integer, parse_constant=constant)
    except RecursionError:
        raise CaseFormatError(f"{source}: JSON nested deeper than the limit of {MAX_JSON_DEPTH}") from None
    except json.JSONDecodeError as exc:
        raise CaseFormatError(f"{source}: not valid JSON ({exc})") from None
    except CaseFormatError:
        raise
    except (ValueError, TypeError, MemoryError) as exc:
        raise CaseFormatError(f"{source}: not valid JSON ({type(exc).__name__}: {_short(str(exc))})") from None
    depth = _depth_beyond(data, MAX_JSON_DEPTH)
    if depth:
        raise CaseFormatError(f"{source}: JSON nested deeper than the limit of {MAX_JSON_DEPTH}")
    return data


def _depth_beyond(data: Any, limit: int) -> bool:
    """Whether objects and arrays in ``data`` nest deeper than ``limit`` (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        obj, depth = stack.pop()
        if isinstance(obj, dict):
            children: Any = obj.values()
        elif isinstance(obj, list):
            children = obj
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."
