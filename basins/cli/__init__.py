"""The ``basins`` command.  Each ``cmd_*.py`` module here adds one command to
:data:`main`; they are imported below, so a new command is a new module."""

from __future__ import annotations

import importlib
import pkgutil

from basins.cli._common import main

__all__ = ["main"]

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    if _info.name.startswith("cmd_"):
        importlib.import_module(f"{__name__}.{_info.name}")
