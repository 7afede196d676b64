"""The curated certified cases shipped with basins (``basins.cases``).

>>> from basins import cases
>>> isinstance(cases.names(), list)
True
"""

from __future__ import annotations

import os

from basins.io.case import Case
from basins.errors import InvalidArgument

__all__ = ["names", "load", "path"]


_FOLDER = os.path.dirname(os.path.abspath(__file__))


def names() -> list[str]:
    """The names of the shipped cases, sorted."""
    return sorted(f[:-5] for f in os.listdir(_FOLDER) if f.endswith(".json"))


def path(name: str) -> str:
    """The file of a shipped case."""
    if name not in names():
        raise InvalidArgument(f"name={name!r} is not a shipped case; known: {', '.join(names()) or 'none'}")
    return os.path.join(_FOLDER, f"{name}.json")


def load(name: str) -> Case:
    """Load a shipped case by name."""
    with open(path(name), encoding="utf-8") as fh:
        text = fh.read()
    return Case.from_json(text, source=f"basins.cases:{name}")
