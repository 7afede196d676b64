"""The loss along a Property PT path, or along the best path of a blocked search (schema ``basins.path/1``).

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins*, arXiv:1812.11039, Definition 2 (Property PT), Theorem 2 and the
path (76); Definition 3 (a basin blocks every strictly decreasing path).
"""

from __future__ import annotations

import math
import os
from typing import Any, Mapping, Sequence

import numpy as np

from basins.errors import CaseFormatError
from basins.plot.common import (
    model_label,
    POINT_COLOUR,
    Picture,
    axes_box,
    check_dpi,
    check_figsize,
    check_font_size,
    check_style,
    figure_context,
    finite,
    inside,
    mathify,
    number_list,
    output_format,
    pixel,
    save,
)

__all__ = ["plot_path"]

#: The default size of the path picture, inches.
FIGSIZE = (11.0, 4.5)


def _rise_window(lam: np.ndarray, d: np.ndarray, k_max: int) -> tuple[float, float]:
    """λ-range that shows the rise to the barrier: from the start to where E is back below E(start), ×1.5."""
    after = np.nonzero(d[k_max:] < 0)[0]
    k_end = k_max + int(after[0]) if after.size else d.size - 1
    span = max(float(lam[k_end] - lam[0]), float(lam[min(k_max + 1, lam.size - 1)] - lam[0]))
    hi = min(float(lam[-1]), float(lam[0]) + 1.5 * span)
    return float(lam[0]), hi if hi > lam[0] else float(lam[-1])


def plot_path(data: Mapping[str, Any], output: str | os.PathLike, *, dpi: int = 100,
              source: str = "path", figsize: Sequence[float] | None = None, font_size: float | None = None,
              style: str | None = None) -> Picture:
    """Draw the loss along a Property PT path or a blocked search (schema ``basins.path/1``).

    Left: E against the path parameter λ, with the predicted (1 − λ)² E(W^p)
    of the constructive paths dashed, the start (red cross) and, for a
    blocked search, the maximum (the barrier) and E at the case's point.
    Right: for a path, the drop between consecutive samples on a log scale
    (a strictly decreasing path has every drop positive; steps that do not
    decrease are marked in red at the bottom); for a blocked search, a zoom on
    the rise E − E(start) from the start until E is back below E(start), with
    the barrier annotated.

    Parameters
    ----------
    data : mapping
        A ``basins.path/1`` record (as written by ``basins pt``).
    output : path
        The file to write (atomically); its suffix chooses the format.
    dpi : int
        Pixels per inch of raster output.
    figsize, font_size, style
        As in :func:`basins.plot.surfaces.plot_case` (default size 11 × 4.5 inches).

    Returns
    -------
    Picture
        Panels "path" and "detail"; marks "path:start", "path:end" and,
        for a blocked search, "path:barrier".

    References
    ----------
    Li, Ding & Sun, arXiv:1812.11039, Definition 2 (Property PT), Theorem 2
    and the path (76); Definition 3 (a basin blocks every strictly decreasing path).
    """
    fmt = output_format(output)
    check_dpi(dpi)
    size = check_figsize(figsize, FIGSIZE)
    fs = check_font_size(font_size)
    style = check_style(style)
    if not isinstance(data, Mapping) or data.get("schema") != "basins.path/1":
        got = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
        raise CaseFormatError(f"{source}: schema={got!r} is not 'basins.path/1'")
    lam = number_list(data, "lambdas", source)
    E = number_list(data, "losses", source)
    if lam.size != E.size:
        raise CaseFormatError(f"{source}: {lam.size} lambdas but {E.size} losses")
    predicted = data.get("predicted")
    pred = number_list(data, "predicted", source) if isinstance(predicted, list) and predicted else None
    if pred is not None and pred.size != E.size:
        pred = None
    barrier = data.get("barrier") if isinstance(data.get("barrier"), Mapping) else None
    status = str(data.get("status", ""))
    kind = str(data.get("kind", ""))
    k_max = int(np.nanargmax(E))
    with figure_context(style, fs) as plt:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=size, dpi=dpi)
        marks: dict[str, tuple[float, float]] = {}
        try:
            _draw(fig, ax, ax2, data, lam, E, pred, barrier, kind, status, k_max)
            fig.tight_layout(rect=(0, 0, 1, 0.92))
            fig.canvas.draw()
            panels = {"path": axes_box(fig, ax), "detail": axes_box(fig, ax2)}
            for name, xy in (("start", (lam[0], E[0])), ("end", (lam[-1], E[-1])),
                             ("barrier", (lam[k_max], E[k_max]) if barrier is not None else None)):
                if xy is not None and inside(ax, xy):
                    marks[f"path:{name}"] = pixel(fig, ax, (float(xy[0]), float(xy[1])))
            width, height = save(fig, output, dpi)
        finally:
            plt.close(fig)
    summary = {"status": status, "kind": kind, "samples": int(E.size), "start_loss": float(E[0]),
               "end_loss": float(E[-1]), "max_loss": float(E[k_max]),
               "non-decreasing steps": int(np.sum(~(np.diff(E) < 0))),
               "barrier": None if barrier is None else finite(barrier.get("value"))}
    return Picture(os.fspath(output), width, height, panels, marks, summary, fmt)


def _draw(fig: Any, ax: Any, ax2: Any, data: Mapping[str, Any], lam: np.ndarray, E: np.ndarray,
          pred: np.ndarray | None, barrier: Mapping[str, Any] | None, kind: str, status: str, k_max: int) -> None:
    net = data.get("network") or {}
    widths = net.get("widths") if isinstance(net, Mapping) else None
    acts = net.get("activations") if isinstance(net, Mapping) else None
    head = f"{kind} path" + (f": {status}" if status else "")
    if widths:
        head += f", widths {widths}"
    if acts:
        head += f", σ(t) = {acts[0] if len(set(map(str, acts))) == 1 else ', '.join(map(str, acts))}"
    gen = data.get("generator")
    head += model_label(gen.get("model") if isinstance(gen, Mapping) else None)
    theorem = data.get("theorem")
    fig.suptitle(mathify(head + (f" ({theorem})" if theorem else "")))
    xlabel = r"$\lambda$ (path parameter)" if kind in ("wide", "pyramid") else r"$\lambda$ (normalised arc length)"
    ax.plot(lam, E, color="tab:blue", linewidth=1.8, label=r"$E$ along the path")
    if pred is not None:
        ax.plot(lam, pred, color="black", linestyle="dashed", linewidth=1.1,
                label=r"predicted $(1-\lambda)^2\,E(W^p)$")
    ax.plot(lam[0], E[0], marker="x", color=POINT_COLOUR, markersize=12, markeredgewidth=3, linestyle="none",
            label=f"start, $E$ = {E[0]:.6g}", zorder=5)
    ax.plot(lam[-1], E[-1], marker="o", color="tab:green", markersize=8, linestyle="none",
            label=f"end, $E$ = {E[-1]:.6g}", zorder=5)
    case_loss = data.get("case_loss")
    if isinstance(case_loss, (int, float)) and math.isfinite(case_loss):
        ax.axhline(float(case_loss), color="gray", linestyle="dotted", linewidth=1.2,
                   label=f"$E$ at the case's point = {float(case_loss):.6g}")
    if barrier is not None:
        ax.plot(lam[k_max], E[k_max], marker="^", color="tab:orange", markersize=10, markeredgecolor="black",
                linestyle="none", label=f"highest point, barrier ≤ {finite(barrier.get('value')):.6g}", zorder=5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("$E$")
    ax.set_title("(a) loss along the path")
    ax.legend(loc="best", framealpha=0.85)
    ax.margins(x=0.03, y=0.08)
    if barrier is None:
        drop = -np.diff(E)
        ok = drop > 0
        lam_mid = (lam[1:] + lam[:-1]) / 2
        if np.any(ok):
            ax2.semilogy(lam_mid[ok], drop[ok], color="tab:blue", linewidth=1.4,
                         label=r"drop $E(\lambda_k) - E(\lambda_{k+1}) > 0$")
            floor = float(np.min(drop[ok]))
        else:
            floor = 1e-300
            ax2.set_yscale("log")
        if np.any(~ok):
            ax2.plot(lam_mid[~ok], np.full(int(np.sum(~ok)), floor), linestyle="none", marker="|",
                     color=POINT_COLOUR, markersize=12, label=f"{int(np.sum(~ok))} step(s) not decreasing")
        rf = data.get("rounding_floor")
        if isinstance(rf, (int, float)) and rf > 0:
            ax2.axhline(float(rf), color="gray", linestyle="dotted", linewidth=1.2,
                        label=f"rounding floor {float(rf):.3g}")
        ax2.set_ylabel(r"$E(\lambda_k) - E(\lambda_{k+1})$")
        verdict = "strictly decreasing" if data.get("strictly_decreasing") else "NOT strictly decreasing"
        ax2.set_title(f"(b) decrease between samples: {verdict}")
    else:
        E0 = float(E[0])
        d = E - E0
        lo, hi = _rise_window(lam, d, k_max)
        sel = (lam >= lo) & (lam <= hi)
        ax2.plot(lam[sel], d[sel], color="tab:blue", linewidth=1.6, marker="." if sel.sum() < 40 else None,
                 label=r"$E - E(\mathrm{start})$")
        ax2.axhline(0.0, color="gray", linewidth=0.9)
        ax2.plot(lam[k_max], d[k_max], marker="^", color="tab:orange", markersize=10, markeredgecolor="black",
                 linestyle="none", zorder=5, label=f"barrier ≤ {d[k_max]:.4g} at $\\lambda$ = {lam[k_max]:.3g}")
        top = max(float(d[k_max]), 1e-300)
        bottom = float(np.min(d[sel])) if np.any(sel) else -top
        ax2.set_xlim(lo, hi)
        ax2.set_ylim(max(bottom, -1.5 * top) - 0.1 * top, 1.35 * top)
        ax2.set_ylabel(r"$E - E(\mathrm{start})$")
        ax2.set_title("(b) blocked: the rise to the barrier (an upper bound)")
    ax2.set_xlabel(xlabel)
    if ax2.get_legend_handles_labels()[0]:
        ax2.legend(loc="best", framealpha=0.85)
