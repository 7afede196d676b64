"""What every picture shares: matplotlib on demand, the output format, the style, the written file.

matplotlib is imported lazily, on the headless Agg backend; without it
:class:`PlotUnavailable` names the optional extra ``plot``.  The format of a
picture follows the suffix of its file name (:data:`FORMATS`: vector PDF, SVG,
EPS/PS, raster PNG, JPEG, TIFF, WebP); an unknown suffix is refused before
any work.  Figures are drawn inside :func:`figure_context`, which applies an
optional matplotlib style and a base font size from which titles, labels,
ticks and legends are derived, and written atomically by :func:`save`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from basins.errors import BasinsError, CaseFormatError, InvalidArgument
from basins.io.case import new_file_mode

__all__ = [
    "DEFAULT_FONT_SIZE",
    "FORMATS",
    "POINT_COLOUR",
    "WITNESS_COLOUR",
    "Picture",
    "PlotUnavailable",
    "axes_box",
    "check_dpi",
    "check_figsize",
    "check_font_size",
    "check_style",
    "figure_context",
    "finite",
    "finite_min",
    "inside",
    "mathify",
    "number_list",
    "output_format",
    "pixel",
    "pyplot",
    "save",
]

#: Colour of the mark of the case's point (the paper's red cross).
POINT_COLOUR = "#ff0000"
WITNESS_COLOUR = "#ffd700"

#: File suffixes and the matplotlib format each writes (vector first).
FORMATS: dict[str, str] = {
    "pdf": "pdf", "svg": "svg", "svgz": "svgz", "eps": "eps", "ps": "ps",
    "png": "png", "jpg": "jpeg", "jpeg": "jpeg", "tif": "tiff", "tiff": "tiff", "webp": "webp",
}

#: Base font size (points) of titles, labels, ticks and legends.
DEFAULT_FONT_SIZE = 10.0


class PlotUnavailable(BasinsError, ImportError):
    """matplotlib (the optional extra ``plot``) is not installed."""


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, or PlotUnavailable naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable(
            "pictures need matplotlib, the optional extra 'plot': pip install 'basins[plot]' "
            "(or pip install matplotlib)") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


@dataclass(frozen=True)
class Picture:
    """A written picture and where its panels and marks are, in pixels.

    ``panels`` maps a panel's name to its axes box ``(left, top, right,
    bottom)`` and ``marks`` maps ``"<panel>:<mark>"`` to the pixel ``(column,
    row)`` of a mark's centre; both in image coordinates (origin top left) of
    the figure rendered at its dpi (for vector formats: of the same figure
    rasterised at that dpi).
    """

    path: str
    width: int
    height: int
    panels: Mapping[str, tuple[float, float, float, float]] = field(default_factory=dict)
    marks: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)
    format: str = "png"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "format": self.format, "width": self.width, "height": self.height,
                "panels": {k: list(v) for k, v in self.panels.items()},
                "marks": {k: list(v) for k, v in self.marks.items()}, "summary": dict(self.summary)}


# ---------------------------------------------------------------- checks --

def output_format(output: str | os.PathLike) -> str:
    """The matplotlib format the suffix of ``output`` asks for; InvalidArgument for an unknown one.

    Examples
    --------
    >>> output_format("fig.PDF"), output_format("a/b.jpg")
    ('pdf', 'jpeg')
    """
    path = os.fspath(output)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in FORMATS:
        known = ", ".join("." + s for s in FORMATS)
        got = f"suffix '.{suffix}'" if suffix else "no suffix"
        raise InvalidArgument(f"output={path!r} has {got}; the format follows the suffix, one of {known}")
    return FORMATS[suffix]


def check_dpi(dpi: int) -> None:
    if isinstance(dpi, bool) or not isinstance(dpi, (int, np.integer)) or not 20 <= dpi <= 600:
        raise InvalidArgument(f"dpi={dpi!r} must be an integer between 20 and 600")


def check_figsize(figsize: Sequence[float] | None, default: tuple[float, float]) -> tuple[float, float]:
    """(width, height) in inches, each in [1, 50]; ``default`` when None."""
    if figsize is None:
        return default
    try:
        w, h = (float(a) for a in figsize)
    except (TypeError, ValueError):
        raise InvalidArgument(f"figsize={figsize!r} must be two numbers (width, height) in inches") from None
    if not (math.isfinite(w) and math.isfinite(h) and 1 <= w <= 50 and 1 <= h <= 50):
        raise InvalidArgument(f"figsize={figsize!r} must be two numbers between 1 and 50 (inches)")
    return w, h


def check_font_size(font_size: float | None) -> float:
    """The base font size in points, in [4, 40]; :data:`DEFAULT_FONT_SIZE` when None."""
    if font_size is None:
        return DEFAULT_FONT_SIZE
    if isinstance(font_size, bool) or not isinstance(font_size, (int, float, np.floating, np.integer)) \
            or not 4 <= float(font_size) <= 40:
        raise InvalidArgument(f"font_size={font_size!r} must be a number of points between 4 and 40")
    return float(font_size)


def check_style(style: str | None) -> str | None:
    """A matplotlib style name (``plt.style.available`` or "default") or a style file; None keeps rcParams."""
    if style is None:
        return None
    plt = pyplot()
    if not isinstance(style, str) or not (style == "default" or style in plt.style.available
                                          or os.path.isfile(style)):
        names = ", ".join(["default", *sorted(plt.style.available)[:8]])
        raise InvalidArgument(f"style={style!r} is not a matplotlib style (e.g. {names}, ...) or a style file")
    return style


@contextlib.contextmanager
def figure_context(style: str | None, font_size: float) -> Iterator[Any]:
    """pyplot with the style applied and every text size derived from ``font_size``."""
    plt = pyplot()
    with contextlib.ExitStack() as stack:
        if style is not None:
            stack.enter_context(plt.style.context(style))
        stack.enter_context(plt.rc_context({
            "font.size": font_size, "axes.titlesize": font_size, "axes.labelsize": font_size,
            "xtick.labelsize": 0.9 * font_size, "ytick.labelsize": 0.9 * font_size,
            "legend.fontsize": 0.9 * font_size, "figure.titlesize": 1.1 * font_size,
            "legend.title_fontsize": 0.9 * font_size,
            "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "path",
            "axes.formatter.useoffset": False, "axes.formatter.limits": (-4, 5),
        }))
        yield plt


# --------------------------------------------------------------- writing --

def save(fig: Any, path: str | os.PathLike, dpi: int) -> tuple[int, int]:
    """Write the figure in the format of its suffix, atomically; its size in pixels at ``dpi``."""
    path = os.fspath(path)
    fmt = output_format(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidArgument(f"output={path!r}: the folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".basins-", suffix=os.path.splitext(path)[1], dir=folder)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, format=fmt, metadata=_metadata(fmt))
        os.chmod(tmp, new_file_mode())      # mkstemp makes 0600; give the picture the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    w, h = fig.canvas.get_width_height()
    return int(w), int(h)


def _metadata(fmt: str) -> dict[str, Any] | None:
    if fmt in ("pdf", "svg", "svgz", "png"):
        return {"Creator": "basins"}
    return None


def axes_box(fig: Any, ax: Any) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the axes in image pixels."""
    bb = ax.get_window_extent()
    H = fig.canvas.get_width_height()[1]
    return float(bb.x0), float(H - bb.y1), float(bb.x1), float(H - bb.y0)


def pixel(fig: Any, ax: Any, xy: tuple[float, float]) -> tuple[float, float]:
    """Image pixel (column, row) of the data point ``xy``."""
    px, py = ax.transData.transform(xy)
    H = fig.canvas.get_width_height()[1]
    return float(px), float(H - py)


def inside(ax: Any, xy: tuple[float, float]) -> bool:
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    return x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1


# ------------------------------------------------------------------ text --

_MATH_TOKEN = re.compile(r"(?<![\w$\\])([A-Za-zλσθ]\([^()$]*[_^][^()$]*\)"
                         r"|[A-Za-zλσθ][A-Za-z0-9]*(?:[_^](?:\{[^{}$]*\}|[A-Za-z0-9*]))+(?:\([^()$]*\))?)")
_GREEK = {"λ": r"\lambda ", "σ": r"\sigma ", "θ": r"\theta "}


def model_label(spec: Any) -> str:
    """", inputs in R^d, hidden bias, output bias" for a record's ``model`` (SPEC §11), "" for the paper's model.

    Examples
    --------
    >>> model_label({"input_dim": 3, "hidden_bias": True, "output_bias": False})
    ', d = 3, hidden bias'
    >>> model_label(None)
    ''
    """
    if not isinstance(spec, Mapping):
        return ""
    parts = [f"d = {spec.get('input_dim', '?')}"] if spec.get("input_dim", 1) != 1 else []
    parts += [name for key, name in (("hidden_bias", "hidden bias"), ("output_bias", "output bias")) if spec.get(key)]
    return "".join(", " + p for p in parts)


def mathify(text: str) -> str:
    """Wrap sub- and superscripted names (W_{H+1}, E(W^p), λ_k) in mathtext; text with '$' is left alone.

    Examples
    --------
    >>> mathify("segment in W_{H+1}")
    'segment in $W_{H+1}$'
    >>> mathify("predicted E(W^p)")
    'predicted $E(W^p)$'
    """
    if "$" in text:
        return text

    def wrap(m: re.Match[str]) -> str:
        tok = m.group(1)
        for g, tex in _GREEK.items():
            tok = tok.replace(g, tex)
        return f"${tok.strip()}$"

    return _MATH_TOKEN.sub(wrap, text)


# ------------------------------------------------------------------ data --

def finite_min(values: np.ndarray) -> float | None:
    """The smallest finite value, or None when there is none (overflow everywhere)."""
    ok = values[np.isfinite(values)]
    return float(ok.min()) if ok.size else None


def finite(a: Any) -> float:
    """float(a), or NaN for anything that is not a number (JSON null, text)."""
    if isinstance(a, bool):
        return math.nan
    try:
        return float(a)
    except (TypeError, ValueError):
        return math.nan


def number_list(data: Mapping[str, Any], key: str, source: str) -> np.ndarray:
    """``data[key]`` as a finite float array; CaseFormatError naming the file and the entry otherwise."""
    vals = data.get(key)
    if not isinstance(vals, list) or not vals:
        raise CaseFormatError(f"{source}: {key!r} must be a non-empty list of numbers")
    arr = np.array([finite(v) for v in vals], dtype=float)
    if not np.all(np.isfinite(arr)):
        k = int(np.argmin(np.isfinite(arr)))
        raise CaseFormatError(f"{source}: {key}[{k}]={vals[k]!r} is not a finite number")
    return arr
