"""Pictures (the optional extra ``plot``): loss surfaces, paths and sweeps."""

from basins.plot.figures import plot_file

__all__ = ["plot_file"]
