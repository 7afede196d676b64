"""Sphinx configuration of the basins documentation.

Build with ``python -m sphinx -b html docs /tmp/docs-html`` from the checkout
(``pip install -r docs/requirements.txt`` first).

The API page documents the package only through the stable top-level
namespace ``basins`` (``basins.construct``, ``basins.Case``, ...), never
through module paths, so that reorganising the modules does not break it.

The command-line reference is generated from the real CLI at build time: the
output of ``basins --help`` and ``basins COMMAND --help``, run through the
installed ``basins`` console script's entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata

import basins

project = "basins"
author = "The basins developers"
copyright = "2026, The basins developers"
release = basins.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]

# -- the command-line reference, generated from the console script --------------------------------

_here = os.path.dirname(os.path.abspath(__file__))
_generated = os.path.join(_here, "_generated")
os.makedirs(_generated, exist_ok=True)


def _console_script() -> str:
    """'module:attr' of the ``basins`` console script (setup.cfg's entry point)."""
    for ep in metadata.entry_points(group="console_scripts"):
        if ep.name == "basins":
            return ep.value
    raise RuntimeError("the basins console script is not installed: run `pip install -e .` first")


def _help(*command: str) -> str:
    """The text of ``basins COMMAND --help``, run as the installed console script does."""
    module, attr = _console_script().split(":")
    code = f"import sys; from {module} import {attr} as m; sys.argv[0] = 'basins'; m()"
    out = subprocess.run([sys.executable, "-c", code, *command, "--help"], capture_output=True, text=True,
                         check=True, env={**os.environ, "COLUMNS": "88"})
    return out.stdout


def _write_cli_reference() -> None:
    """docs/_generated/cli_reference.rst: the exact help text of every command, as users see it."""
    top = _help()
    commands = [ln.split()[0] for ln in top.split("Commands:", 1)[1].splitlines() if ln.strip()]
    lines = ["``basins``", "----------", "", ".. code-block:: text", ""]
    lines += [("   " + ln).rstrip() for ln in top.splitlines()] + [""]
    for command in commands:
        title = f"``basins {command}``"
        lines += [f".. _cli-{command}:", "", title, "-" * len(title), "", ".. code-block:: text", ""]
        lines += [("   " + ln).rstrip() for ln in _help(command).splitlines()] + [""]
    text = "\n".join(lines)
    path = os.path.join(_generated, "cli_reference.rst")
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


_write_cli_reference()

# -- general --------------------------------------------------------------------------------------

exclude_patterns = ["_build", "_generated", "requirements.txt", ".gitignore"]
templates_path: list[str] = []
root_doc = "index"
language = "en"

# autodoc + numpydoc: the package's docstrings are numpydoc style
autodoc_member_order = "bysource"
autodoc_typehints = "none"          # the signatures already show them; numpydoc lists the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- HTML -----------------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"basins {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Bad basins of narrow neural networks, constructed and certified",
    "fixed_sidebar": True,
}
