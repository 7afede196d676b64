"""The ``basins`` command's entry point: import the command line, then run it.

An interrupt (Ctrl-C) that arrives while the libraries load (sympy, numpy and
scipy take a second or more) ends the command with one line and exit status
130, like an interrupt later on, instead of Python's traceback.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main"]


def main() -> None:
    """Run the ``basins`` command line (``basins --help``)."""
    try:
        from basins.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("basins: interrupted\n")
        sys.stderr.flush()
        os._exit(130)
    cli_main()
