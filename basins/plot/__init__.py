"""Pictures (the optional extra ``plot``): loss surfaces, paths and sweeps, as PDF, SVG, PNG, ...

Modules: :mod:`~basins.plot.grids` (the loss grids, no matplotlib),
:mod:`~basins.plot.surfaces`, :mod:`~basins.plot.paths`,
:mod:`~basins.plot.sweeps` (the three pictures), :mod:`~basins.plot.common`
(format, style, writing) and :mod:`~basins.plot.figures` (``plot_file`` and
all public names).
"""

from basins.plot.figures import plot_file

__all__ = ["plot_file"]
