"""Pictures: the loss surface around a case, the loss along a path, the transition-width chart.

The numbers are computed without matplotlib (:func:`loss_surface` returns a
frozen :class:`Surface` of loss grids, :mod:`basins.plot.grids`); drawing
(:func:`plot_case` in :mod:`basins.plot.surfaces`, :func:`plot_path` in
:mod:`basins.plot.paths`, :func:`plot_sweep` in :mod:`basins.plot.sweeps`,
and :func:`plot_file` here) imports matplotlib lazily, on the headless Agg
backend, and raises :class:`PlotUnavailable` naming the optional extra
``plot`` (``pip install 'basins[plot]'``) when it is missing.  The output
format follows the file's suffix (PDF, SVG, EPS, PNG, JPEG, ...; see
:data:`FORMATS`); every drawing function writes one file atomically and
returns a :class:`Picture` telling where its panels and marks landed, in
pixels, so that tests (and users) can check the image.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins*, arXiv:1812.11039, Example 2 and Figure 3; Definition 2
(Property PT) and Table 1 (transition widths).
"""

from __future__ import annotations

import os
from typing import Any

from basins.errors import CaseFormatError, InvalidArgument
from basins.io.case import shipped_case_file, Case
from basins.io.records import loads_json, read_text_file
from basins.plot.common import FORMATS, POINT_COLOUR, WITNESS_COLOUR, Picture, PlotUnavailable, output_format
from basins.plot.grids import PLANES, Grid, Surface, loss_surface
from basins.plot.paths import plot_path
from basins.plot.surfaces import plot_case
from basins.plot.sweeps import plot_sweep

__all__ = [
    "FORMATS",
    "PlotUnavailable",
    "PLANES",
    "POINT_COLOUR",
    "WITNESS_COLOUR",
    "Grid",
    "Surface",
    "Picture",
    "loss_surface",
    "plot_case",
    "plot_path",
    "plot_sweep",
    "plot_file",
    "SCHEMAS",
]

#: Schemas :func:`plot_file` draws, and the function that draws each.
SCHEMAS: dict[str, str] = {"basins.case/1": "plot_case", "basins.case/2": "plot_case",
                           "basins.path/1": "plot_path", "basins.sweep/1": "plot_sweep"}

#: Options every picture takes; the others apply to case files only.
_COMMON_OPTIONS = ("dpi", "figsize", "font_size", "style")


def plot_file(path: str | os.PathLike, output: str | os.PathLike, **options: Any) -> Picture:
    """Draw the picture a JSON file calls for, by its "schema" key; the format follows ``output``'s suffix.

    ``basins.case/1`` and ``basins.case/2`` (SPEC §11) → :func:`plot_case` (options: plane, neuron, wide,
    zoom, resolution, dpi, figsize, font_size, style); the path and sweep
    schemas → :func:`plot_path` and :func:`plot_sweep` (options: dpi,
    figsize, font_size, style).

    Raises
    ------
    InvalidArgument
        An unknown output suffix (before the file is read), or an option
        that does not apply to the file's schema.
    CaseFormatError
        A file that cannot be read, is not JSON or has no known schema.
    """
    output_format(output)
    src = os.fspath(path)
    shipped = shipped_case_file(src)       # a shipped case's name, when no such file exists
    if shipped is not None:
        src = shipped
    # a regular file of at most 64 MiB, JSON of bounded depth with finite numbers (basins.io.records)
    data = loads_json(read_text_file(src, "file"), source=f"file {src!r} is not JSON")
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema not in SCHEMAS:
        raise CaseFormatError(f"file {src!r} has schema={schema!r}; pictures exist for {', '.join(SCHEMAS)}")
    if SCHEMAS[schema] == "plot_case":
        return plot_case(Case.from_dict(data, source=src), output, **options)
    extra = sorted(k for k, v in options.items() if v is not None and k not in _COMMON_OPTIONS)
    if extra:
        raise InvalidArgument(f"option(s) {', '.join(extra)} apply to case files only, not to {schema!r}")
    common = {k: v for k, v in options.items() if v is not None}
    common.setdefault("dpi", 100)
    fn = plot_path if SCHEMAS[schema] == "plot_path" else plot_sweep
    return fn(data, output, source=src, **common)
