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
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from basins.errors import CaseFormatError

__all__ = ["SCHEMA_TAGS", "SCHEMA_FILES", "load_schema", "validate_record", "field_path", "read_json"]

#: Schema tag of each record kind.
SCHEMA_TAGS: dict[str, str] = {"case": "basins.case/1", "path": "basins.path/1", "sweep": "basins.sweep/1"}

#: Record kind -> the JSON Schema file in ``basins/io/schemas``.
SCHEMA_FILES: dict[str, str] = {
    "case": "case-1.json", "path": "path-1.json", "sweep": "sweep-1.json",
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
    """Read a JSON record file and validate it against the schema of ``kind``."""
    import os
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise CaseFormatError(f"{kind} file {name!r} cannot be read: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CaseFormatError(f"{kind} file {name!r} is not valid JSON ({exc})") from None
    validate_record(data, kind, source=name)
    return data
