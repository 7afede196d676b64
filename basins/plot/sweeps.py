"""The transition-width chart of a sweep (schema ``basins.sweep/1``), beside the paper's Table 1.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins*, arXiv:1812.11039, Table 1 (§3.2) and Theorems 2, 5, 6, 7.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np

from basins.errors import CaseFormatError
from basins.plot.common import (
    model_label,
    Picture,
    axes_box,
    check_dpi,
    check_figsize,
    check_font_size,
    check_style,
    figure_context,
    output_format,
    pixel,
    save,
)

__all__ = ["plot_sweep", "row_outcome"]

#: The default size of the sweep picture, inches.
FIGSIZE = (9.0, 5.0)

_PAPER_COLOURS = {"exists": "#c7e9c0", "none": "#fcbba1", "other": "#e0e0e0"}


def _paper_kind(text: str) -> str:
    t = text.lower()
    if t.startswith("exists"):
        return "exists"
    if t.startswith("none"):
        return "none"
    return "other"


def row_outcome(row: Mapping[str, Any]) -> str:
    """"found", "none found" (a construction was tried and failed) or "not applicable" (none applies).

    A width where every reason is ``NotApplicable`` (or "not attempted") had no
    construction whose hypotheses can hold there (e.g. Proposition 4 needs
    2m < N): nothing was tried, which is not the same as trying and failing.

    Examples
    --------
    >>> row_outcome({"found": 0, "reasons": ["NotApplicable: Theorem 6 needs a single neuron"]})
    'not applicable'
    >>> row_outcome({"found": 0, "reasons": ["HypothesisFailed: no w among 64 trials"]})
    'none found'
    """
    if row.get("found"):
        return "found"
    reasons = [str(r) for r in (row.get("reasons") or [])]
    if reasons and all(r.startswith(("NotApplicable", "not attempted")) for r in reasons):
        return "not applicable"
    return "none found"


def plot_sweep(data: Mapping[str, Any], output: str | os.PathLike, *, dpi: int = 100,
               source: str = "sweep", figsize: Sequence[float] | None = None, font_size: float | None = None,
               style: str | None = None) -> Picture:
    """Draw a transition-width sweep (schema ``basins.sweep/1``) as a chart beside Table 1.

    One bar per width m: the fraction of the seeded data sets on which a
    construction gave a numerically verified bad basin (the count on top,
    the constructions that succeeded inside).  A width where constructions
    were tried and none succeeded shows "0/k tried"; a width where no
    construction applies is hatched and says so.  The background of each
    width is what the paper says there: green "exists" (Theorems 6, 7), red
    "none" (Theorems 2, 5), grey "not decided".  A dashed line marks the
    observed lower bound on the transition width m* (one more than the
    largest width with a basin found).

    Parameters
    ----------
    data : mapping
        A ``basins.sweep/1`` record (as written by ``basins sweep``).
    output : path
        The file to write (atomically); its suffix chooses the format.
    dpi : int
        Pixels per inch of raster output.
    figsize, font_size, style
        As in :func:`basins.plot.surfaces.plot_case` (default size 9 × 5 inches).

    Returns
    -------
    Picture
        Panel "sweep"; marks "sweep:m=<m>" at the top of each bar.

    References
    ----------
    Li, Ding & Sun, arXiv:1812.11039, Table 1 (§3.2) and Theorems 2, 5, 6, 7.
    """
    fmt = output_format(output)
    check_dpi(dpi)
    size = check_figsize(figsize, FIGSIZE)
    fs = check_font_size(font_size)
    style = check_style(style)
    if not isinstance(data, Mapping) or data.get("schema") != "basins.sweep/1":
        got = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
        raise CaseFormatError(f"{source}: schema={got!r} is not 'basins.sweep/1'")
    rows = data.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, Mapping) for r in rows):
        raise CaseFormatError(f"{source}: 'rows' must be a non-empty list of objects")
    ms, found, attempts, paper, names, outcome = [], [], [], [], [], []
    for k, r in enumerate(rows):
        m, f, a = r.get("m"), r.get("found"), r.get("attempts")
        if not all(isinstance(q, int) and not isinstance(q, bool) for q in (m, f, a)) or not 0 <= f <= a:
            raise CaseFormatError(f"{source}: rows[{k}] needs integers m, found ≤ attempts; got "
                                  f"m={m!r}, found={f!r}, attempts={a!r}")
        ms.append(m)
        found.append(f)
        attempts.append(a)
        paper.append(str(r.get("paper", "")))
        names.append(", ".join(f"Thm {c}" if str(c).isdigit() else "Prop 4" if c == "prop4" else str(c)
                               for c in (r.get("constructions") or [])))
        outcome.append(row_outcome(r))
    order = np.argsort(ms)
    ms_a = np.array(ms)[order]
    frac = np.array([found[i] / attempts[i] if attempts[i] else 0.0 for i in order])
    lower = (data.get("observed") or {}).get("lower_bound") if isinstance(data.get("observed"), Mapping) else None
    t1 = data.get("table1")
    table1: dict[str, Any] = dict(t1) if isinstance(t1, Mapping) else {}
    with figure_context(style, fs) as plt:
        from matplotlib.patches import Patch

        fig, ax = plt.subplots(figsize=size, dpi=dpi)
        marks: dict[str, tuple[float, float]] = {}
        try:
            act = data.get("activation", "?")
            fig.suptitle(f"Transition width: σ(t) = {act}, N = {data.get('N', '?')}{model_label(data.get('model'))}, "
                         f"{data.get('trials', '?')} data set(s) per width")
            for j, i in enumerate(order):
                ax.axvspan(ms_a[j] - 0.5, ms_a[j] + 0.5, color=_PAPER_COLOURS[_paper_kind(paper[i])], zorder=0)
                if outcome[i] == "not applicable":
                    ax.bar(ms_a[j], 1.0, width=0.6, color="none", edgecolor="0.45", hatch="///", linewidth=0,
                           zorder=1)
            bars = ax.bar(ms_a, frac, width=0.6, color="tab:blue", edgecolor="black", zorder=2,
                          label="fraction with a verified basin")
            for j, i in enumerate(order):
                if outcome[i] == "not applicable":
                    ax.text(ms_a[j], 0.5, "no construction\napplies", ha="center", va="center", zorder=3,
                            fontsize="small", bbox=dict(facecolor="white", edgecolor="0.45", pad=2.0))
                    continue
                text = f"{found[i]}/{attempts[i]}" + ("" if found[i] else " tried,\nnone found")
                ax.text(ms_a[j], frac[j] + 0.03, text, ha="center", va="bottom", zorder=3, fontsize="small")
                if names[i]:
                    ax.text(ms_a[j], 0.04, names[i], ha="center", va="bottom", rotation=90, fontsize="small",
                            color="white" if frac[j] > 0.3 else "black", zorder=3)
            handles = [bars, Patch(facecolor="none", edgecolor="0.45", hatch="///", label="no construction applies"),
                       Patch(color=_PAPER_COLOURS["exists"], label="paper: basins exist (Thm 6/7)"),
                       Patch(color=_PAPER_COLOURS["none"], label="paper: no basin (Thm 2/5)"),
                       Patch(color=_PAPER_COLOURS["other"], label="paper: not decided")]
            if isinstance(lower, int) and not isinstance(lower, bool):
                line = ax.axvline(lower - 0.5, color="black", linestyle="dashed", linewidth=1.4, zorder=4,
                                  label=f"observed: $m^* \\geq {lower}$")
                handles.append(line)
            ax.set_xlim(ms_a.min() - 0.5, ms_a.max() + 0.5)
            ax.set_ylim(0, 1.22)
            ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
            ax.set_xticks(ms_a)
            ax.set_xlabel("width $m$")
            ax.set_ylabel("fraction with a verified basin")
            row = f"Table 1: {table1.get('class', '?')}: {table1.get('transition', '?')}"
            if isinstance(data.get("model"), Mapping):      # SPEC §11: Table 1 speaks of the paper's model
                row = "Table 1 is about scalar inputs without biases: here only Theorems 2 and 5 decide a width"
            consistent = data.get("consistent")
            ax.set_title(row + ("" if consistent is None else
                                ("; consistent with the theorems" if consistent else "; INCONSISTENT with a theorem")),
                         fontsize="medium")
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, framealpha=0.9)
            fig.tight_layout(rect=(0, 0, 1, 0.95))
            fig.canvas.draw()
            panels = {"sweep": axes_box(fig, ax)}
            for j in range(ms_a.size):
                marks[f"sweep:m={int(ms_a[j])}"] = pixel(fig, ax, (float(ms_a[j]), float(frac[j])))
            width, height = save(fig, output, dpi)
        finally:
            plt.close(fig)
    summary = {"activation": data.get("activation"), "N": data.get("N"),
               "widths_with": [int(ms_a[j]) for j in range(ms_a.size) if frac[j] > 0],
               "widths_not_applicable": [int(ms[i]) for i in order if outcome[i] == "not applicable"],
               "observed lower bound": lower, "table1": dict(table1)}
    return Picture(os.fspath(output), width, height, panels, marks, summary, fmt)
