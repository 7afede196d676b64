"""The catalogue of shipped cases: one row per case, filters, and the full description of one case.

>>> rows = catalogue_rows(max_params=2)
>>> all(r["parameters"] <= 2 for r in rows) and all(r["d"] == 1 for r in rows)
True
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from basins import cases
from basins.errors import InvalidArgument
from basins.io.case import Case
from basins.problems.core import basin_radius, certified, metadata, resolve_case

__all__ = ["case_row", "catalogue_rows", "describe", "matches_activation", "matches_theorem", "COLUMNS"]

#: Columns of ``basins cases list``: (key in a row, heading).
COLUMNS = (("name", "name"), ("theorem", "theorem"), ("activation", "activation"), ("N", "N"), ("d", "d"),
           ("m", "m"), ("parameters", "parameters"), ("certified", "certified"), ("basin_radius", "basin radius"))


def case_row(case: Case) -> dict[str, Any]:
    """One catalogue row (plain JSON data): certified is a bool, basin_radius a float or None."""
    return {"name": case.name, "theorem": case.theorem, "activation": case.activation.name, "N": case.N,
            "d": case.d, "m": case.m, "parameters": case.model.n_params(case.m), "certified": certified(case),
            "basin_radius": basin_radius(case)}


def matches_activation(name: str, wanted: str) -> bool:
    """``wanted`` is the activation's name or its family (``shifted_relu`` matches ``shifted_relu(1)``)."""
    w, n = wanted.strip().lower(), name.strip().lower()
    return n == w or n.split("(", 1)[0] == w


def matches_theorem(theorem: str, wanted: str) -> bool:
    """``wanted`` is the theorem ("Theorem 7", "theorem7", case-insensitive) or just its number ("7", "4")."""
    w, t = "".join(wanted.lower().split()), "".join(theorem.lower().split())
    if w == t:
        return True
    return w.isdigit() and theorem.split()[-1:] == [w]


def catalogue_rows(activation: str | None = None, max_params: int | None = None,
                   theorem: str | None = None) -> list[dict[str, Any]]:
    """The rows of the shipped cases, sorted by name, filtered by activation, size and theorem."""
    if max_params is not None and (isinstance(max_params, bool) or not isinstance(max_params, int)):
        raise InvalidArgument(f"max_params={max_params!r} must be an integer")
    rows = []
    for name in cases.names():
        row = case_row(cases.load(name))
        if activation is not None and not matches_activation(row["activation"], activation):
            continue
        if max_params is not None and row["parameters"] > max_params:
            continue
        if theorem is not None and not matches_theorem(row["theorem"], theorem):
            continue
        rows.append(row)
    return rows


def describe(name_or_path: "str | os.PathLike[str] | Case") -> dict[str, Any]:
    """Everything ``basins cases show`` prints: sizes, losses, certificate status and kind, guarantees, file."""
    case = resolve_case(name_or_path)
    text = os.fspath(name_or_path) if not isinstance(name_or_path, Case) else None
    if text is not None and not os.path.exists(text) and text in cases.names():
        file: str | None = cases.path(text)
    else:
        file = os.path.abspath(text) if text is not None else None
    cert: Mapping[str, Any] = case.certificate if isinstance(case.certificate, Mapping) else {}
    ver: Mapping[str, Any] = case.verification if isinstance(case.verification, Mapping) else {}
    out = metadata(case)
    out.update(
        file=file,
        loss_gap=None if case.witness is None else float(case.loss) - float(case.witness.loss),
        basin_radius=basin_radius(case),
        certificate_guarantee=cert.get("guarantee"),
        conditions={c.name: c.holds for c in case.conditions},
        verification_passed=ver.get("passed"),
    )
    return out
