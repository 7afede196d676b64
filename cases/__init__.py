"""The curated certified cases shipped with basins (``basins.cases``).

>>> from basins import cases
>>> isinstance(cases.names(), list)
True
"""

from __future__ import annotations

import os
from importlib import resources

from basins.case import Case
from basins.errors import InvalidArgument

__all__ = ["names", "load", "path"]


def names() -> list[str]:
    """The names of the shipped cases, sorted."""
    folder = resources.files(__name__)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def path(name: str) -> str:
    """The file of a shipped case."""
    if name not in names():
        raise InvalidArgument(f"name={name!r} is not a shipped case; known: {', '.join(names()) or 'none'}")
    return os.fspath(resources.files(__name__) / f"{name}.json")


def load(name: str) -> Case:
    """Load a shipped case by name."""
    with open(path(name), encoding="utf-8") as fh:
        text = fh.read()
    return Case.from_json(text, source=f"basins.cases:{name}")
