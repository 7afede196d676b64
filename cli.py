"""Thin entry beside the installed ``basins`` command: ``python cli.py construct --activation swish``."""

from basins.entry import main

if __name__ == "__main__":
    main()
