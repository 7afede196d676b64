"""``python -m basins``: the command line."""

from basins.entry import main

if __name__ == "__main__":
    main()
