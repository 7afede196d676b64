"""The loss-surface picture of a case (the paper's Figure 3): surfaces and contour maps, wide and zoomed.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins*, arXiv:1812.11039, Example 2 and Figure 3 (the loss surface of a
bad basin of a one-neuron swish network, a wide view and a zoom, the minimum
marked by a red cross).
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, Sequence

import numpy as np

from basins.io.case import Case, load_case
from basins.plot.common import (
    POINT_COLOUR,
    WITNESS_COLOUR,
    Picture,
    axes_box,
    check_dpi,
    check_figsize,
    check_font_size,
    check_style,
    figure_context,
    finite_min,
    inside,
    mathify,
    output_format,
    pixel,
    save,
)
from basins.plot.grids import Grid, Surface, loss_surface

__all__ = ["plot_case", "nice_step", "symlog_ticks"]

#: The default size of the case picture, inches.
FIGSIZE = (11.0, 9.0)


def nice_step(span: float, target: int = 5) -> float:
    """A 1-2-2.5-5 × 10^k step giving about ``target`` intervals over ``span``.

    Examples
    --------
    >>> nice_step(10.0), nice_step(0.37)
    (2.0, 0.1)
    """
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    mag = 10.0 ** math.floor(math.log10(raw))
    for f in (1.0, 2.0, 2.5, 5.0, 10.0):
        if f * mag >= raw:
            return f * mag
    return 10.0 * mag


def _nice_levels(lo: float, hi: float, target: int = 12) -> np.ndarray:
    """Evenly spaced round levels covering [lo, hi]."""
    if not hi > lo:
        return np.array([lo - 0.5, lo + 0.5])
    step = nice_step(hi - lo, target)
    a, b = math.floor(lo / step), math.ceil(hi / step)
    return np.arange(a, b + 1) * step


def symlog_ticks(lo: float, hi: float, lin: float) -> list[float]:
    """0 and ±(1, 2, 5)·10^k ≥ ``lin`` inside [lo, hi], thinned to at most about 9 ticks.

    Examples
    --------
    >>> symlog_ticks(-1.5, 300.0, 1.0)
    [-1.0, 0.0, 1.0, 10.0, 100.0]
    """
    k0 = math.floor(math.log10(lin))
    top = max(abs(lo), abs(hi), lin)
    decades = [10.0 ** k for k in range(k0, math.floor(math.log10(top)) + 1)]
    cand = [d * f for d in decades for f in (1.0, 2.0, 5.0)] if len(decades) <= 2 else decades
    while len(cand) > 5:
        cand = cand[::2] if cand[-1] != cand[::2][-1] else cand[::2]
    ticks = sorted({0.0, *[c for c in cand if c <= hi], *[-c for c in cand if -c >= lo]})
    return [t for t in ticks if lo <= t <= hi] or [0.0]


def _fmt(v: float) -> str:
    """A short, exact-looking label: 0, 5, 0.25, 1e+04 → $10^{4}$."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        k = math.log10(a)
        if abs(k - round(k)) < 1e-9:
            return f"${'-' if v < 0 else ''}10^{{{int(round(k))}}}$"
        return f"{v:.2g}"
    return f"{v:g}"


def _axis_label(label: str) -> str:
    """Plane coordinate names in mathtext: w_1 → $w_{1}$, "s: ... (λ = 3)" → "$s$: ... ($\\lambda$ = 3)"."""
    if re.fullmatch(r"[a-z]", label):
        return f"${label}$"
    m = re.fullmatch(r"([a-z])_(\d+)", label)
    if m:
        return f"${m.group(1)}_{{{m.group(2)}}}$"
    m = re.match(r"([st])(:| \()(.*)", label)
    if m:
        label = f"${m.group(1)}${m.group(2)}{m.group(3)}"
    return label.replace("λ", r"$\lambda$")


def _short(label: str) -> str:
    """The coordinate's symbol alone (for the small 3-D axes)."""
    return _axis_label(label.split(":")[0].split(" (")[0])


def _wide_values(g: Grid) -> tuple[np.ndarray, bool, float, float]:
    """(Z, log, lo, hi): E or log10 E (log when E spans ≥ 1.5 decades), clipped to a robust range.

    Overflow (E not finite) and the top 0.5 % are clipped to the cap instead of spiking.
    """
    E = np.where(np.isfinite(g.values), g.values, np.inf)
    fin = E[np.isfinite(E)]
    if fin.size == 0:
        return np.zeros_like(E), False, 0.0, 1.0
    pos = fin[fin > 0]
    floor = float(pos.min()) if pos.size else 1e-300
    lo = float(fin.min())
    cap = float(np.percentile(fin, 99.5))
    use_log = bool(pos.size and cap / max(floor, 1e-300) >= 10 ** 1.5)
    if use_log:
        Z = np.log10(np.clip(E, floor, cap))
        return Z, True, float(np.min(Z)), float(np.max(Z))
    Z = np.clip(E, lo, cap if cap > lo else lo + 1.0)
    return Z, False, float(np.min(Z)), float(np.max(Z))


def _zoom_values(g: Grid) -> tuple[np.ndarray, float, float, float]:
    """(Z, lin, lo, hi): E − E(point), non-finite and the top 1 % clipped; ``lin`` is the symlog threshold."""
    D = np.where(np.isfinite(g.values), g.values, np.inf)
    fin = D[np.isfinite(D)]
    if fin.size == 0:
        return np.zeros_like(D), 1.0, -1.0, 1.0
    cap = float(np.percentile(fin, 99.0))
    lo = float(fin.min())
    cap = cap if cap > 0 else float(fin.max()) if fin.max() > 0 else 1.0
    Z = np.clip(D, lo, cap)
    a = np.abs(Z[Z != 0])
    med = float(np.median(a)) if a.size else 1.0
    lin = 10.0 ** math.floor(math.log10(max(med / 10, 1e-300)))     # a round threshold below the median
    if lo < 0:
        lin = min(lin, 10.0 ** math.floor(math.log10(max(abs(lo), 1e-300))))
    return Z, lin, float(lo), float(cap)


def _symlog(z: np.ndarray | float, lin: float) -> Any:
    return np.sign(z) * np.log10(1.0 + np.abs(z) / lin)


def _tidy_3d(ax: Any, font_size: float) -> None:
    from matplotlib.ticker import MaxNLocator

    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    ax.tick_params(labelsize=0.8 * font_size, pad=1)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.labelpad = 2


def plot_case(case: Case | str | os.PathLike, output: str | os.PathLike, *,
              plane: str | Sequence[Sequence[float]] = "auto", neuron: int = 0,
              wide: Sequence[float] | None = None, zoom: Sequence[float] | None = None,
              resolution: int = 121, dpi: int = 100, figsize: Sequence[float] | None = None,
              font_size: float | None = None, style: str | None = None) -> Picture:
    """Draw the loss surface around a case like the paper's Figure 3.

    Four panels: the surface and the contour map of E (log scale when E spans
    more than 1.5 decades) in the wide view (top), and of E − E(θ*) on a
    symmetric log scale in the zoom (bottom).  The point θ* is a red cross,
    the witness a gold star (marked "projected" when it lies off the plane);
    the dashed line in the zoom is the level E = E(θ*).  Values beyond the
    99.5th (zoom: 99th) percentile and overflow are clipped, not spiked.

    Parameters
    ----------
    case, plane, neuron, wide, zoom, resolution
        As in :func:`basins.plot.grids.loss_surface`.
    output : path
        The file to write (atomically); its suffix chooses the format
        (:data:`basins.plot.common.FORMATS`: .pdf, .svg, .png, .jpg, ...).
    dpi : int
        Pixels per inch of raster output (and of the pixel boxes returned).
    figsize : (float, float), optional
        Width and height in inches (default 11 × 9).
    font_size : float, optional
        Base font size in points (default 10); titles, labels, ticks and
        legends follow it.
    style : str, optional
        A matplotlib style name or file (default: the current rcParams).

    Returns
    -------
    Picture
        With the contour panels' boxes and the marks' pixels.

    References
    ----------
    Li, Ding & Sun, arXiv:1812.11039, Example 2 and Figure 3.
    """
    fmt = output_format(output)
    check_dpi(dpi)
    size = check_figsize(figsize, FIGSIZE)
    fs = check_font_size(font_size)
    style = check_style(style)
    if not isinstance(case, Case):
        case = load_case(case)
    surf = loss_surface(case, plane=plane, neuron=neuron, wide=wide, zoom=zoom, resolution=resolution)
    with figure_context(style, fs) as plt:
        fig = plt.figure(figsize=size, dpi=dpi)
        try:
            panels, marks = _draw(fig, case, surf, fs)
            width, height = save(fig, output, dpi)
        finally:
            plt.close(fig)
    summary = {"plane": surf.plane, "labels": list(surf.labels), "point": list(surf.point),
               "witness": None if surf.witness is None else list(surf.witness),
               "witness off the plane by": surf.witness_offset, "loss": surf.loss,
               "wide": list(surf.wide.extent), "zoom": list(surf.zoom.extent),
               "wide min E": finite_min(surf.wide.values),
               "zoom min E - E(point)": finite_min(surf.zoom.values)}
    return Picture(os.fspath(output), width, height, panels, marks, summary, fmt)


def _draw(fig: Any, case: Case, surf: Surface, fs: float
          ) -> tuple[dict[str, tuple[float, float, float, float]], dict[str, tuple[float, float]]]:
    from matplotlib import patheffects
    from matplotlib.colors import BoundaryNorm, Normalize
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter

    title = case.name or f"{case.theorem}, {case.activation.name}"
    model = case.model
    shape = "" if model.scalar else (f", $d$ = {model.input_dim}" + (", hidden bias" if model.hidden_bias else "")
                                     + (", output bias $c$" if model.output_bias else ""))
    fig.suptitle(f"{title}: $N$ = {case.N}, $m$ = {case.m}{shape}, $E(\\theta^*)$ = {surf.loss:.6g}\n"
                 f"{mathify(surf.description)}")
    labels = (_axis_label(surf.labels[0]), _axis_label(surf.labels[1]))
    contour_axes = {}
    cross = dict(marker="x", color=POINT_COLOUR, markersize=12, markeredgewidth=3, linestyle="none",
                 path_effects=[patheffects.Stroke(linewidth=5, foreground="white"), patheffects.Normal()])
    for row, (name, g) in enumerate((("wide", surf.wide), ("zoom", surf.zoom))):
        S, T = np.meshgrid(g.s, g.t)
        if name == "wide":
            Z, use_log, lo, hi = _wide_values(g)
            levels = _nice_levels(lo, hi, 14)
            Zc, Z3 = Z, Z
            if use_log:
                ticks = [t for t in _nice_levels(lo, hi, 6) if lo <= t <= hi]
                tick_fmt = FuncFormatter(lambda v, _: f"$10^{{{v:g}}}$")
                clabel = zlabel = "$E$ (log scale)"
            else:
                ticks = [t for t in _nice_levels(lo, hi, 6) if lo <= t <= hi]
                tick_fmt = FuncFormatter(lambda v, _: f"{v:g}")
                clabel = zlabel = "$E$"
            norm: Normalize = BoundaryNorm(levels, 256)
        else:
            D, lin, lo, hi = _zoom_values(g)
            Z3 = Zc = _symlog(D, lin)
            ticks_v = symlog_ticks(lo, hi, lin)
            ticks = [float(_symlog(t, lin)) for t in ticks_v]
            lo_t, hi_t = float(_symlog(lo, lin)), float(_symlog(hi, lin))
            levels = np.unique(np.concatenate([np.linspace(lo_t, 0.0, 5)[:-1] if lo_t < 0 else [],
                                               np.linspace(0.0, hi_t, 21)])) if hi_t > 0 else np.linspace(lo_t, 0, 21)
            if levels.size < 2:
                levels = np.array([lo_t - 0.5, lo_t + 0.5])
            back = {round(float(_symlog(v, lin)), 12): v for v in ticks_v}
            tick_fmt = FuncFormatter(lambda u, _: _fmt(back.get(round(float(u), 12), float(u))))
            clabel = zlabel = r"$E - E(\theta^*)$ (symmetric log)"
            norm = Normalize(levels[0], levels[-1])
        # ---- surface
        ax3 = fig.add_subplot(2, 2, 2 * row + 1, projection="3d", computed_zorder=False)
        # full resolution (no comb from subsampling), no antialiasing seams; rasterised inside vector
        # files so that a PDF or SVG stays small and shows no hairlines between the facets
        ax3.plot_surface(S, T, Z3, cmap="viridis", norm=norm, linewidth=0, antialiased=False,
                         rcount=Z3.shape[0], ccount=Z3.shape[1], zorder=1, rasterized=True)
        ax3.set_xlabel(_short(surf.labels[0]))
        ax3.set_ylabel(_short(surf.labels[1]))
        ax3.zaxis.set_major_locator(FixedLocator(ticks))
        ax3.zaxis.set_major_formatter(tick_fmt)
        ax3.set_zlabel(zlabel)
        ax3.set_title(f"({'a' if row == 0 else 'c'}) surface, {name} view")
        _tidy_3d(ax3, fs)
        # ---- contour map
        ax = fig.add_subplot(2, 2, 2 * row + 2)
        cs = ax.contourf(S, T, np.ma.masked_invalid(Zc), levels=levels, cmap="viridis", norm=norm, extend="neither")
        cb = fig.colorbar(cs, ax=ax, ticks=ticks, format=tick_fmt)
        cb.set_label(clabel)
        handles = []
        if name == "zoom" and np.nanmin(g.values) < 0 < np.nanmax(g.values):
            ax.contour(S, T, g.values, levels=[0.0], colors="white", linestyles="dashed", linewidths=2.0,
                       zorder=4, path_effects=[patheffects.Stroke(linewidth=3.5, foreground="black"),
                                               patheffects.Normal()])
            handles.append(Line2D([], [], color="white", linestyle="dashed", linewidth=2.0,
                                  path_effects=[patheffects.Stroke(linewidth=3.5, foreground="black"),
                                                patheffects.Normal()],
                                  label=r"$E = E(\theta^*)$"))
        ax.set_xlim(g.s[0], g.s[-1])
        ax.set_ylim(g.t[0], g.t[-1])
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.set_title(f"({'b' if row == 0 else 'd'}) contour map, {name} view")
        if inside(ax, surf.point):
            ax.plot(*surf.point, zorder=5, label=r"$\theta^*$ (local min.)", **cross)
            j = int(np.argmin(np.abs(g.t - surf.point[1])))
            i = int(np.argmin(np.abs(g.s - surf.point[0])))
            ax3.plot([surf.point[0]], [surf.point[1]], [float(np.nan_to_num(Z3[j, i]))], zorder=10, **cross)
        if surf.witness is not None and inside(ax, surf.witness):
            wl = "witness (lower E)" if surf.witness_offset == 0 else \
                f"witness, projected (off by {surf.witness_offset:.3g})"
            ax.plot(*surf.witness, marker="*", color=WITNESS_COLOUR, markeredgecolor="black",
                    markersize=15, linestyle="none", label=wl, zorder=5)
        h, _ = ax.get_legend_handles_labels()
        if h or handles:
            ax.legend(handles=h + handles, loc="upper right", framealpha=0.85, markerscale=0.8,
                      fontsize="small", handlelength=1.6, borderaxespad=0.3)
        contour_axes[name] = ax
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    fig.canvas.draw()
    panels: dict[str, tuple[float, float, float, float]] = {}
    marks: dict[str, tuple[float, float]] = {}
    for name, ax in contour_axes.items():
        panels[name] = axes_box(fig, ax)
        if inside(ax, surf.point):
            marks[f"{name}:point"] = pixel(fig, ax, surf.point)
        if surf.witness is not None and inside(ax, surf.witness):
            marks[f"{name}:witness"] = pixel(fig, ax, surf.witness)
    return panels, marks
