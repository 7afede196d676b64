"""``python -m basins``: the command line."""

from basins.cli import main

if __name__ == "__main__":
    main()
