"""`basins plot`: a picture of a case (loss surface), a path or a sweep, by the file's schema.

The format follows the suffix of ``-o`` (PDF, SVG, PNG, JPEG, ...)."""

from __future__ import annotations

import click

from basins.plot.common import output_format
from basins.plot.figures import FORMATS, PLANES, plot_file
from basins.cli._common import emit_json, float_list, handle_errors, json_option, main, output_option, safe


def _box(name: str, text: str | None) -> list[float] | None:
    vals = float_list(name, text)
    if vals is not None and len(vals) != 4:
        raise click.BadParameter(f"{text!r} must be four numbers s_min,s_max,t_min,t_max", param_hint=name)
    return vals


def _figsize(text: str | None) -> list[float] | None:
    vals = float_list("--figsize", text)
    if vals is not None and len(vals) != 2:
        raise click.BadParameter(f"{text!r} must be two numbers WIDTH,HEIGHT in inches", param_hint="--figsize")
    return vals


def _directions(text: str | None) -> list[list[float]] | None:
    if text is None:
        return None
    parts = [p for p in text.split(";")]
    if len(parts) != 2:
        raise click.BadParameter(f"{text!r} must be two vectors separated by ';', e.g. '1,0;0,1'",
                                 param_hint="--directions")
    return [float_list("--directions", p) or [] for p in parts]


@main.command("plot")
@click.argument("input_file", type=click.Path(dir_okay=False))
@output_option("The picture to write (atomically); the suffix picks the format: "
               + ", ".join("." + k for k in FORMATS) + ".", required=True)
@click.option("--plane", type=click.Choice(list(PLANES)), default=None,
              help="Case files: the plane of the surface (default auto: the neuron's (w, v) plane when m = 1, "
                   "else the Hessian's extreme eigenvectors; for basins.case/2 files the two softest Hessian "
                   "eigenvectors in the full θ, 'softest').")
@click.option("--neuron", type=click.IntRange(min=1), default=None,
              help="Case files: the neuron (1-based) of --plane neuron.")
@click.option("--directions", "directions_text", default=None,
              help="Case files: two directions in θ = (v_1..v_m, w_1..w_m) (basins.case/2: θ = (v, w_1[1..D], "
                   "..., w_m[1..D][, c])), comma-separated, the two separated by ';', e.g. '1,0;0,1'.")
@click.option("--wide", "wide_text", default=None, help="Case files: wide window s_min,s_max,t_min,t_max, e.g. --wide -1,1,-1,1.")
@click.option("--zoom", "zoom_text", default=None, help="Case files: zoom window s_min,s_max,t_min,t_max, e.g. --zoom -0.01,0.01,-0.01,0.01.")
@click.option("--resolution", type=click.IntRange(min=11, max=1001), default=None,
              help="Case files: grid points per axis (default 121).")
@click.option("--dpi", type=click.IntRange(min=20, max=600), default=100, show_default=True,
              help="Pixels per inch of raster formats (PNG, JPEG, ...).")
@click.option("--figsize", "figsize_text", default=None,
              help="Figure size WIDTH,HEIGHT in inches (default 11,9 for cases, 11,4.5 for paths, 9,5 for sweeps).")
@click.option("--font-size", type=click.FloatRange(min=4, max=40), default=None,
              help="Base font size in points of titles, labels, ticks and legends (default 10).")
@click.option("--style", default=None,
              help="A matplotlib style name or style file, e.g. 'seaborn-v0_8-paper' (default: matplotlib's).")
@json_option
@handle_errors
def plot_cmd(input_file: str, output: str, plane: str | None, neuron: int | None, directions_text: str | None,
             wide_text: str | None, zoom_text: str | None, resolution: int | None, dpi: int,
             figsize_text: str | None, font_size: float | None, style: str | None, as_json: bool) -> None:
    """Draw a case, path or sweep file as a figure.

    INPUT_FILE is drawn by its schema; the suffix of -o picks the format.
    Needs the extra 'plot' (pip install '.[plot]').

    \b
    basins.case/1   the loss surface and contour map around the point, a
                    wide view and a zoom (the paper's Figure 3), point and
                    witness marked
    basins.case/2   the same for inputs in R^d with hidden and output
                    biases, by default on the two softest Hessian
                    eigendirections in the full parameter vector
    basins.path/1   the loss along a `basins pt` path, or the barrier of a
                    blocked case
    basins.sweep/1  the transition-width table as a chart

    \b
    Examples:
      basins construct -o case.json
      basins plot case.json -o case.pdf
      basins plot case.json -o zoom.png --zoom -0.01,0.01,-0.01,0.01 --dpi 200
      basins pt --case case.json -o path.json
      basins plot path.json -o path.svg
      basins sweep -a relu --N 3 -o sweep.json
      basins plot sweep.json -o sweep.pdf --figsize 6,3.5 --font-size 8
    """
    output_format(output)                 # an unknown suffix is refused before any work
    directions = _directions(directions_text)
    if directions is not None and plane not in (None, "auto"):
        raise click.BadParameter(f"--directions and --plane {plane} exclude each other", param_hint="--directions")
    options = {
        "plane": directions if directions is not None else plane,
        "neuron": None if neuron is None else neuron - 1,
        "wide": _box("--wide", wide_text),
        "zoom": _box("--zoom", zoom_text),
        "resolution": resolution,
        "figsize": _figsize(figsize_text),
        "font_size": font_size,
        "style": style,
    }
    options = {k: v for k, v in options.items() if v is not None}
    pic = plot_file(input_file, output, dpi=dpi, **options)
    if as_json:
        emit_json(pic.to_dict())
        return
    click.echo(f"wrote {safe(output)} ({pic.format.upper()}, {pic.width}×{pic.height} px at {dpi} dpi)")
    for key, val in pic.summary.items():
        click.echo(f"  {safe(key)}: {safe(val)}")
