"""Pictures: the loss surface around a case, the loss along a path, the transition-width chart.

The numbers are computed here without matplotlib (:func:`loss_surface`
returns a frozen :class:`Surface` of loss grids); drawing (:func:`plot_case`,
:func:`plot_path`, :func:`plot_sweep`, :func:`plot_file`) imports matplotlib
lazily, on the headless Agg backend, and raises :class:`PlotUnavailable`
naming the optional extra ``plot`` (``pip install 'basins[plot]'``) when it
is missing.  Every drawing function writes one PNG atomically and returns a
:class:`Picture` telling where its panels and marks landed, in pixels, so
that tests (and users) can check the image.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins*, Example 2 and Figure 3 (the loss surface of a bad basin of a
one-neuron swish network, a wide view and a zoom, the minimum marked by a
red cross); Definition 2 (Property PT) and Table 1 (transition widths).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from basins.io.case import Case, load_case
from basins.errors import BasinsError, CaseFormatError, InvalidArgument
from basins.model.network import hessian, loss
from basins.verification.sampling import delta_losses

__all__ = [
    "PlotUnavailable",
    "PLANES",
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

#: The planes :func:`loss_surface` can slice along (or give two direction vectors).
PLANES: dict[str, str] = {
    "auto": "the (w, v) plane of neuron `neuron` when m = 1, else 'hessian'",
    "neuron": "the (w_i, v_i) plane of neuron i = `neuron` (all other weights fixed), like Figure 3",
    "hessian": "through the point along the Hessian's softest and stiffest eigenvectors",
    "witness": "through the point and the witness, completed by the softest Hessian direction",
}

#: Colour of the mark of the case's point (the paper's red cross).
POINT_COLOUR = "#ff0000"
WITNESS_COLOUR = "#ffd700"

_RAYS = 24
_RAY_STEPS = 400


class PlotUnavailable(BasinsError, ImportError):
    """matplotlib (the optional extra ``plot``) is not installed."""


def _pyplot() -> Any:
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


# ------------------------------------------------------------------ data --

@dataclass(frozen=True)
class Grid:
    """Loss values on a rectangular grid of plane coordinates.

    ``values[j, i]`` is the quantity at ``(s[i], t[j])``; ``quantity`` is
    ``"E"`` (the loss) or ``"E - E(point)"`` (computed without cancellation).
    """

    s: np.ndarray
    t: np.ndarray
    values: np.ndarray
    quantity: str

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(s_min, s_max, t_min, t_max)."""
        return float(self.s[0]), float(self.s[-1]), float(self.t[0]), float(self.t[-1])


@dataclass(frozen=True)
class Surface:
    """Loss grids on a plane through a case's point: a wide view and a zoom.

    Attributes
    ----------
    plane : str
        "neuron", "hessian", "witness" or "directions".
    labels : (str, str)
        Names of the two plane coordinates (s horizontal, t vertical).
    origin : ndarray, shape (2m,)
        θ at plane coordinates (0, 0) (the point, except for the neuron plane
        whose coordinates are the absolute weights w_i, v_i).
    basis : ndarray, shape (2, 2m)
        θ(s, t) = origin + s·basis[0] + t·basis[1].
    point : (float, float)
        Plane coordinates of the case's point.
    witness : (float, float) or None
        Plane coordinates of the witness (its orthogonal projection).
    witness_offset : float or None
        Distance of the witness from the plane (0 when it lies on it).
    loss : float
        E at the point.
    wide, zoom : Grid
        ``wide`` holds E, ``zoom`` holds E − E(point).
    """

    plane: str
    labels: tuple[str, str]
    origin: np.ndarray
    basis: np.ndarray
    point: tuple[float, float]
    witness: tuple[float, float] | None
    witness_offset: float | None
    loss: float
    wide: Grid
    zoom: Grid
    description: str = ""

    def theta(self, s: float, t: float) -> np.ndarray:
        """θ = (v, w) at plane coordinates (s, t)."""
        return self.origin + s * self.basis[0] + t * self.basis[1]


@dataclass(frozen=True)
class Picture:
    """A written PNG and where its panels and marks are, in pixels.

    ``panels`` maps a panel's name to its axes box ``(left, top, right,
    bottom)`` and ``marks`` maps ``"<panel>:<mark>"`` to the pixel ``(column,
    row)`` of a mark's centre; both in image coordinates (origin top left).
    """

    path: str
    width: int
    height: int
    panels: Mapping[str, tuple[float, float, float, float]] = field(default_factory=dict)
    marks: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "width": self.width, "height": self.height,
                "panels": {k: list(v) for k, v in self.panels.items()},
                "marks": {k: list(v) for k, v in self.marks.items()}, "summary": dict(self.summary)}


# ---------------------------------------------------------- loss grids --

def _losses(case: Case, thetas: np.ndarray) -> np.ndarray:
    """E at many θ = (v, w), shape (K, 2m) -> (K,), chunked to bound memory."""
    x, y, _, _ = case.arrays()
    f = case.activation.numpy(0)
    m = case.m
    out = np.empty(thetas.shape[0])
    step = max(1, (1 << 20) // max(1, m * x.size))
    with np.errstate(over="ignore", invalid="ignore"):
        for a in range(0, thetas.shape[0], step):
            th = thetas[a:a + step]
            z = f(th[:, m:, None] * x[None, None, :])              # (k, m, N)
            r = np.einsum("km,kmn->kn", th[:, :m], z) - y[None, :]
            out[a:a + step] = np.einsum("kn,kn->k", r, r)
    return out


def _deltas(case: Case, dthetas: np.ndarray) -> np.ndarray:
    """E(θ + δ) − E(θ) for many δ, shape (K, 2m) -> (K,), free of cancellation."""
    x, y, v, w = case.arrays()
    m = case.m
    with np.errstate(over="ignore", invalid="ignore"):
        return delta_losses(case.activation, x, y, v, w, dthetas[:, :m], dthetas[:, m:], workers=1)


def _unit(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    n = np.linalg.norm(a)
    return a / n if n > 0 else a


def _fix_sign(a: np.ndarray) -> np.ndarray:
    """Make the entry of largest magnitude positive (eigenvectors have no sign)."""
    return a if a[np.argmax(np.abs(a))] >= 0 else -a


def _plane(case: Case, plane: str | Sequence[Sequence[float]], neuron: int,
           H: np.ndarray) -> tuple[str, tuple[str, str], np.ndarray, np.ndarray, str]:
    """(kind, labels, origin, basis, description) of the requested plane."""
    _, _, v, w = case.arrays()
    m = case.m
    theta0 = np.concatenate([v, w])
    if not isinstance(plane, str):
        try:
            D = np.array(plane, dtype=float)
        except (TypeError, ValueError):
            raise InvalidArgument(f"plane={plane!r} is neither a plane name nor two direction vectors") from None
        if D.shape != (2, 2 * m) or not np.all(np.isfinite(D)):
            raise InvalidArgument(
                f"plane directions have shape {D.shape}; two finite vectors of length 2m = {2 * m} "
                f"(ordered v_1..v_m, w_1..w_m) are needed")
        D = np.array([_unit(D[0]), _unit(D[1])])
        if np.linalg.matrix_rank(D, tol=1e-10) < 2:
            raise InvalidArgument(f"plane directions {plane!r} are zero or parallel; they must span a plane")
        return "directions", ("s (direction 1)", "t (direction 2)"), theta0, D, "slice along the given directions"
    if plane not in PLANES:
        raise InvalidArgument(f"plane={plane!r} is not one of {', '.join(PLANES)} (or two direction vectors)")
    if plane == "auto":
        plane = "neuron" if m == 1 else "hessian"
    if plane == "neuron":
        if isinstance(neuron, bool) or not isinstance(neuron, (int, np.integer)) or not 0 <= neuron < m:
            raise InvalidArgument(f"neuron={neuron!r} must be an index 0..{m - 1} (the case has width m = {m})")
        D = np.zeros((2, 2 * m))
        D[0, m + neuron] = 1.0      # s = w_i
        D[1, neuron] = 1.0          # t = v_i
        origin = theta0.copy()
        origin[m + neuron] = 0.0
        origin[neuron] = 0.0
        sub = f"_{neuron + 1}"
        return "neuron", (f"w{sub}", f"v{sub}"), origin, D, f"the (w{sub}, v{sub}) plane, other weights fixed"
    evals, evecs = np.linalg.eigh(H)
    soft = _fix_sign(evecs[:, 0])
    if plane == "hessian":
        stiff = _fix_sign(evecs[:, -1])
        return "hessian", (f"s: softest Hessian direction (λ = {evals[0]:.4g})",
                           f"t: stiffest Hessian direction (λ = {evals[-1]:.4g})"), theta0, \
            np.array([soft, stiff]), "slice along the Hessian's extreme eigenvectors"
    # plane == "witness"
    if case.witness is None:
        raise InvalidArgument("plane='witness' needs a case with a witness; this case has none")
    wt = np.concatenate([np.asarray(case.witness.v, float), np.asarray(case.witness.w, float)])
    if wt.size != 2 * m:
        raise InvalidArgument(f"the witness has {wt.size // 2} neurons, the point {m}; plane='witness' needs equal widths")
    d1 = _unit(wt - theta0)
    for k in range(evecs.shape[1]):
        d2 = evecs[:, k] - (evecs[:, k] @ d1) * d1
        if np.linalg.norm(d2) > 1e-6:
            break
    d2 = _fix_sign(_unit(d2))
    return "witness", ("s: towards the witness", "t: softest Hessian direction, orthogonalised"), theta0, \
        np.array([d1, d2]), "slice through the point and the witness"


def _coords(origin: np.ndarray, D: np.ndarray, theta: np.ndarray) -> tuple[tuple[float, float], float]:
    """Plane coordinates of θ (least squares) and its distance from the plane."""
    d = theta - origin
    if np.allclose(D @ D.T, np.eye(2), rtol=0, atol=1e-14):
        c = D @ d                       # orthonormal rows (exact for the neuron plane's unit vectors)
    else:
        c, *_ = np.linalg.lstsq(D.T, d, rcond=None)
    off = float(np.linalg.norm(d - D.T @ c))
    return (float(c[0]), float(c[1])), off


def _default_zoom(case: Case, D: np.ndarray, H: np.ndarray, reach: float) -> np.ndarray:
    """Half-widths (along s, t) of a zoom that shows the basin and its rim.

    Along 24 rays from the point (in coordinates scaled by the plane's
    Hessian diagonal) find where E first stops increasing; the zoom is 1.5
    times the nearest such distance, so the lowest rim of the basin shows.
    Where σ overflows (E not finite) the ray ends there and the zoom stays
    inside 0.9 times that distance.
    """
    H2 = D @ H @ D.T
    scale = 1.0 / np.sqrt(np.maximum(np.abs(np.diag(H2)), 1e-12 * max(1.0, float(np.max(np.abs(H2))))))
    rho = np.geomspace(1e-3, max(reach, 1e-2), _RAY_STEPS)
    phi = np.linspace(0, 2 * np.pi, _RAYS, endpoint=False)
    dirs = np.stack([np.cos(phi) * scale[0], np.sin(phi) * scale[1]], axis=1)          # (R, 2)
    st = dirs[:, None, :] * rho[None, :, None]                                         # (R, S, 2)
    de = _deltas(case, st.reshape(-1, 2) @ D).reshape(_RAYS, _RAY_STEPS)
    rims, limits = [], []
    with np.errstate(invalid="ignore"):
        rising = np.diff(de, axis=1) > 0
    for row, ok in zip(de, rising):
        bad = np.nonzero(~ok)[0]
        if not bad.size:
            continue
        k = int(bad[0])
        if np.isfinite(row[k]) and np.isfinite(row[k + 1]):
            rims.append(rho[k])
        else:
            limits.append(rho[k])
    r = 1.5 * min(rims) if rims else float(rho[-1])
    if limits:
        r = min(r, 0.9 * min(limits))
    if r < 1.5e-3 * 1.01:            # not a minimum along some ray: show a unit neighbourhood
        r = 1.0
    return r * scale


def loss_surface(case: Case | str | os.PathLike, *, plane: str | Sequence[Sequence[float]] = "auto",
                 neuron: int = 0, wide: Sequence[float] | None = None, zoom: Sequence[float] | None = None,
                 resolution: int = 121) -> Surface:
    """The loss on a plane through a case's point: a wide view and a zoom (Figure 3).

    Parameters
    ----------
    case : Case or path of a case file
    plane : {"auto", "neuron", "hessian", "witness"} or two vectors of length 2m
        See :data:`PLANES`.  Direction vectors are ordered like θ, (v_1..v_m,
        w_1..w_m), and normalised.
    neuron : int
        The neuron (0-based) of the "neuron" plane.
    wide, zoom : (s_min, s_max, t_min, t_max), optional
        The two windows in plane coordinates: (w_i, v_i) for the neuron
        plane, offsets from the point for the others.  By default the wide
        window holds the point and, when the plane passes nearer to the
        witness than the witness's projection lies from the point, the
        witness's projection, with a margin; and
        the zoom is 1.5 times the distance from the point to the nearest place
        where the loss stops rising (the basin's lowest rim).
    resolution : int
        Grid points per axis (at least 11).

    Returns
    -------
    Surface
        ``wide`` holds E, ``zoom`` holds E − E(point) computed without
        cancellation (:func:`basins.verification.sampling.delta_losses`).

    References
    ----------
    Li, Ding & Sun, Example 2 and Figure 3: the loss surface of a
    one-neuron swish network in the (w, v) plane around its bad strict local
    minimum (w, v) = (1, 1), on [-30, 30] × [-100, 500] and in a zoom.

    Examples
    --------
    >>> from basins.constructions.prop4 import construct_prop4
    >>> s = loss_surface(construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0]), resolution=21)
    >>> s.labels, s.point
    (('w_1', 'v_1'), (1.0, 1.0))
    >>> bool(s.zoom.values.min() >= 0.0)      # the zoom stays inside the basin's rim...
    False
    >>> bool(s.zoom.values[10, 10] == 0.0)    # ...and the point sits at the centre
    True
    """
    if not isinstance(case, Case):
        case = load_case(case)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 11:
        raise InvalidArgument(f"resolution={resolution!r} must be an integer of at least 11")
    x, y, v, w = case.arrays()
    theta0 = np.concatenate([v, w])
    H = hessian(case.activation, x, y, v, w)
    if not np.all(np.isfinite(H)):
        raise InvalidArgument(f"the Hessian at the point of case {case.name or '(unnamed)'} is not finite")
    kind, labels, origin, D, desc = _plane(case, plane, neuron, H)
    p, _ = _coords(origin, D, theta0)
    wit, off = (None, None)
    if case.witness is not None and len(case.witness.w) == case.m:
        wt = np.concatenate([np.asarray(case.witness.v, float), np.asarray(case.witness.w, float)])
        wit, off = _coords(origin, D, wt)
        if off <= 1e-12 * (1.0 + float(np.linalg.norm(wt))):
            off = 0.0
    boxes = {}
    for name, box in (("wide", wide), ("zoom", zoom)):
        if box is not None:
            b = np.asarray(box, dtype=float)
            if b.shape != (4,) or not np.all(np.isfinite(b)) or not (b[0] < b[1] and b[2] < b[3]):
                raise InvalidArgument(f"{name}={tuple(box)!r} must be four finite numbers s_min < s_max, t_min < t_max")
            boxes[name] = b
    if "zoom" not in boxes:
        reach = 2.0 * max(1.0, float(np.linalg.norm(np.asarray(wit) - np.asarray(p)))) if wit is not None else 10.0
        reach *= float(np.sqrt(np.max(np.abs(np.diag(D @ H @ D.T))))) + 1.0
        half = _default_zoom(case, D, H, reach)
        boxes["zoom"] = np.array([p[0] - half[0], p[0] + half[0], p[1] - half[1], p[1] + half[1]])
    if "wide" not in boxes:
        zb = boxes["zoom"]
        zhalf = np.array([zb[1] - zb[0], zb[3] - zb[2]]) / 2
        # the witness frames the wide view when the plane passes near it (its distance from the plane
        # is below its distance within the plane); a far off-plane projection would only blow the view up
        near = wit is not None and off is not None and off <= float(np.hypot(wit[0] - p[0], wit[1] - p[1]))
        pts = np.array([p] + ([wit] if near else []))
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum(0.3 * (hi - lo), 4.0 * zhalf)
        boxes["wide"] = np.array([lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]])

    def grid(b: np.ndarray, delta: bool) -> Grid:
        s = np.linspace(b[0], b[1], resolution)
        t = np.linspace(b[2], b[3], resolution)
        if delta:   # put the point exactly on the grid when it is inside, so the centre reads 0
            for arr, c in ((s, p[0]), (t, p[1])):
                k = int(np.argmin(np.abs(arr - c)))
                if arr[0] <= c <= arr[-1]:
                    arr[k] = c
        S, T = np.meshgrid(s, t)
        st = np.stack([S.ravel(), T.ravel()], axis=1)
        if delta:
            vals = _deltas(case, (st - np.asarray(p)) @ D)
            return Grid(s, t, vals.reshape(S.shape), "E - E(point)")
        return Grid(s, t, _losses(case, origin + st @ D).reshape(S.shape), "E")

    E0 = loss(case.activation, x, y, v, w)
    return Surface(kind, labels, origin, D, p, wit, off, E0, grid(boxes["wide"], False), grid(boxes["zoom"], True), desc)


# --------------------------------------------------------------- drawing --

def _save(fig: Any, path: str | os.PathLike, dpi: int) -> tuple[int, int]:
    """Write the figure as PNG atomically; its size in pixels."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidArgument(f"output={path!r}: the folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".basins-", suffix=".png", dir=folder)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, format="png")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)       # mkstemp makes 0600; give the picture the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    w, h = fig.canvas.get_width_height()
    return int(w), int(h)


def _box(fig: Any, ax: Any) -> tuple[float, float, float, float]:
    bb = ax.get_window_extent()
    H = fig.canvas.get_width_height()[1]
    return float(bb.x0), float(H - bb.y1), float(bb.x1), float(H - bb.y0)


def _pixel(fig: Any, ax: Any, xy: tuple[float, float]) -> tuple[float, float]:
    px, py = ax.transData.transform(xy)
    H = fig.canvas.get_width_height()[1]
    return float(px), float(H - py)


def _inside(ax: Any, xy: tuple[float, float]) -> bool:
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    return x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1


def _check_dpi(dpi: int) -> None:
    if isinstance(dpi, bool) or not isinstance(dpi, (int, np.integer)) or not 20 <= dpi <= 600:
        raise InvalidArgument(f"dpi={dpi!r} must be an integer between 20 and 600")


def _log10_loss(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    floor = max(float(finite[finite > 0].min()) if np.any(finite > 0) else 1e-300, 1e-300)
    return np.log10(np.clip(np.where(np.isfinite(values), values, np.nan), floor, None))


def _levels(Z: Any, equal_area: bool, n: int = 30) -> np.ndarray:
    """Contour levels: evenly spaced, or at quantiles (each colour covers about the same area)."""
    vals = np.asarray(Z.compressed() if hasattr(Z, "compressed") else Z, dtype=float)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return np.array([0.0, 1.0])
    lo, hi = float(vals.min()), float(vals.max())
    if not hi > lo:
        return np.array([lo - 0.5, lo + 0.5]) if lo == hi else np.array([0.0, 1.0])
    if equal_area:
        q = np.unique(np.percentile(vals, np.linspace(0, 100, n + 1)))
        if 0.0 < hi and lo < 0.0:
            q = np.unique(np.append(q, 0.0))
        if q.size >= 3:
            q[0], q[-1] = lo, hi
            return q
    return np.linspace(lo, hi, n + 1)


def plot_case(case: Case | str | os.PathLike, output: str | os.PathLike, *,
              plane: str | Sequence[Sequence[float]] = "auto", neuron: int = 0,
              wide: Sequence[float] | None = None, zoom: Sequence[float] | None = None,
              resolution: int = 121, dpi: int = 100) -> Picture:
    """Draw the loss surface around a case like the paper's Figure 3 and write a PNG.

    Four panels: the surface and the contour map of log10 E in the wide view
    (top), and of E − E(point) in the zoom (bottom).  The point is a red
    cross, the witness a gold star (marked "projected" when it lies off the
    plane); the dashed line in the zoom is the level E = E(point).

    Parameters
    ----------
    case, plane, neuron, wide, zoom, resolution
        As in :func:`loss_surface`.
    output : path
        The PNG to write (atomically).
    dpi : int
        Pixels per inch; the figure is 11 × 9 inches.

    Returns
    -------
    Picture
        With the contour panels' boxes and the marks' pixels.

    References
    ----------
    Li, Ding & Sun, Example 2 and Figure 3.
    """
    _check_dpi(dpi)
    plt = _pyplot()
    from matplotlib.colors import BoundaryNorm

    if not isinstance(case, Case):
        case = load_case(case)
    surf = loss_surface(case, plane=plane, neuron=neuron, wide=wide, zoom=zoom, resolution=resolution)
    fig = plt.figure(figsize=(11, 9), dpi=dpi)
    try:
        title = case.name or f"{case.theorem}, {case.activation.name}"
        fig.suptitle(f"{title}: N = {case.N}, m = {case.m}, E = {surf.loss:.6g}; {surf.description}", fontsize=11)
        panels: dict[str, tuple[float, float, float, float]] = {}
        marks: dict[str, tuple[float, float]] = {}
        contour_axes = {}
        for row, (name, g) in enumerate((("wide", surf.wide), ("zoom", surf.zoom))):
            S, T = np.meshgrid(g.s, g.t)
            if name == "wide":
                Z = _log10_loss(g.values)
                zlabel = clabel = "log10 E"
                Z3 = Z
            else:
                Z = np.where(np.isfinite(g.values), g.values, np.nan)
                clabel = "E − E(point)"
                a = np.abs(Z[np.isfinite(Z)])
                sc = float(np.median(a)) if a.size and np.median(a) > 0 else 1.0
                Z3 = np.sign(Z) * np.log10(1.0 + np.abs(Z) / sc)
                zlabel = f"sign·log10(1 + |E − E(point)|/{sc:.3g})"
            Zm = np.ma.masked_invalid(Z)
            ax3 = fig.add_subplot(2, 2, 2 * row + 1, projection="3d")
            low = float(np.nanmin(Z3)) if np.any(np.isfinite(Z3)) else 0.0
            ax3.plot_surface(S, T, np.where(np.isfinite(Z3), Z3, low), cmap="viridis", linewidth=0,
                             antialiased=False, rcount=60, ccount=60)
            ax3.set_xlabel(surf.labels[0].split(":")[0], fontsize=8)
            ax3.set_ylabel(surf.labels[1].split(":")[0], fontsize=8)
            ax3.set_zlabel(zlabel, fontsize=8)
            ax3.tick_params(labelsize=7)
            ax3.set_title(f"({'a' if row == 0 else 'c'}) surface, {name} view", fontsize=10)
            ax = fig.add_subplot(2, 2, 2 * row + 2)
            levels = _levels(Zm, equal_area=(name == "zoom"))
            norm = BoundaryNorm(levels, 256) if name == "zoom" else None
            cs = ax.contourf(S, T, Zm, levels=levels, cmap="viridis", norm=norm)
            cb = fig.colorbar(cs, ax=ax)
            cb.set_label(clabel, fontsize=8)
            cb.ax.tick_params(labelsize=7)
            if name == "zoom":
                cb.set_ticks(levels[:: max(1, len(levels) // 10)])
                if np.nanmin(g.values) < 0 < np.nanmax(g.values):
                    ax.contour(S, T, g.values, levels=[0.0], colors="white", linestyles="dashed",
                               linewidths=1.2)
            ax.set_xlim(g.s[0], g.s[-1])
            ax.set_ylim(g.t[0], g.t[-1])
            ax.set_xlabel(surf.labels[0], fontsize=9)
            ax.set_ylabel(surf.labels[1], fontsize=9)
            ax.set_title(f"({'b' if row == 0 else 'd'}) contour map, {name} view", fontsize=10)
            if _inside(ax, surf.point):
                ax.plot(*surf.point, marker="x", color=POINT_COLOUR, markersize=12, markeredgewidth=3,
                        linestyle="none", label="point (strict local minimum)", zorder=5)
                j = int(np.argmin(np.abs(g.t - surf.point[1])))
                i = int(np.argmin(np.abs(g.s - surf.point[0])))
                ax3.scatter([surf.point[0]], [surf.point[1]], [float(np.nan_to_num(Z3[j, i]))], marker="x",
                            color=POINT_COLOUR, s=80, linewidths=3, depthshade=False, zorder=10)
            if surf.witness is not None and _inside(ax, surf.witness):
                wl = "witness (lower loss)" if surf.witness_offset == 0 else \
                    f"witness projected (off the plane by {surf.witness_offset:.3g})"
                ax.plot(*surf.witness, marker="*", color=WITNESS_COLOUR, markeredgecolor="black",
                        markersize=14, linestyle="none", label=wl, zorder=5)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="upper right", fontsize=7, framealpha=0.8)
            contour_axes[name] = ax
        fig.tight_layout(rect=(0, 0, 1, 0.96))
        fig.canvas.draw()
        for name, ax in contour_axes.items():
            panels[name] = _box(fig, ax)
            if _inside(ax, surf.point):
                marks[f"{name}:point"] = _pixel(fig, ax, surf.point)
            if surf.witness is not None and _inside(ax, surf.witness):
                marks[f"{name}:witness"] = _pixel(fig, ax, surf.witness)
        width, height = _save(fig, output, dpi)
    finally:
        plt.close(fig)
    summary = {"plane": surf.plane, "labels": list(surf.labels), "point": list(surf.point),
               "witness": None if surf.witness is None else list(surf.witness),
               "witness off the plane by": surf.witness_offset, "loss": surf.loss,
               "wide": list(surf.wide.extent), "zoom": list(surf.zoom.extent),
               "wide min E": _finite_min(surf.wide.values),
               "zoom min E - E(point)": _finite_min(surf.zoom.values)}
    return Picture(os.fspath(output), width, height, panels, marks, summary)


# ------------------------------------------------------- path and sweep --

#: Schemas :func:`plot_file` draws, and the function that draws each.
SCHEMAS: dict[str, str] = {"basins.case/1": "plot_case", "basins.path/1": "plot_path",
                           "basins.sweep/1": "plot_sweep"}


def _number_list(data: Mapping[str, Any], key: str, source: str) -> np.ndarray:
    vals = data.get(key)
    if not isinstance(vals, list) or not vals:
        raise CaseFormatError(f"{source}: {key!r} must be a non-empty list of numbers")
    arr = np.array([_finite(v) for v in vals], dtype=float)
    if not np.all(np.isfinite(arr)):
        k = int(np.argmin(np.isfinite(arr)))
        raise CaseFormatError(f"{source}: {key}[{k}]={vals[k]!r} is not a finite number")
    return arr


def plot_path(data: Mapping[str, Any], output: str | os.PathLike, *, dpi: int = 100,
              source: str = "path") -> Picture:
    """Draw the loss along a Property PT path or a blocked search (schema ``basins.path/1``).

    Left: E against the path parameter λ, with the predicted (1 − λ)² E(W^p)
    of the constructive paths dashed, the start (red cross) and, for a
    blocked search, the maximum (the barrier) and E at the case's point.
    Right: for a path, the drop −ΔE between consecutive samples on a log
    scale (a strictly decreasing path has every drop positive; steps that do
    not decrease are marked in red at the bottom); for a blocked search,
    E − E(start) on a symmetric log scale with the barrier annotated.

    Parameters
    ----------
    data : mapping
        A ``basins.path/1`` record (as written by ``basins pt``).
    output : path
        The PNG to write (atomically).
    dpi : int
        Pixels per inch; the figure is 11 × 4.5 inches.

    Returns
    -------
    Picture
        Panels "path" and "detail"; marks "path:start", "path:end" and,
        for a blocked search, "path:barrier".

    References
    ----------
    Li, Ding & Sun, Definition 2 (Property PT), Theorem 2 and the path (76);
    Definition 3 (a basin blocks every strictly decreasing path).
    """
    _check_dpi(dpi)
    if not isinstance(data, Mapping) or data.get("schema") != "basins.path/1":
        got = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
        raise CaseFormatError(f"{source}: schema={got!r} is not 'basins.path/1'")
    lam = _number_list(data, "lambdas", source)
    E = _number_list(data, "losses", source)
    if lam.size != E.size:
        raise CaseFormatError(f"{source}: {lam.size} lambdas but {E.size} losses")
    predicted = data.get("predicted")
    pred = _number_list(data, "predicted", source) if isinstance(predicted, list) and predicted else None
    if pred is not None and pred.size != E.size:
        pred = None
    barrier = data.get("barrier") if isinstance(data.get("barrier"), Mapping) else None
    status = str(data.get("status", ""))
    kind = str(data.get("kind", ""))
    plt = _pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=dpi)
    marks: dict[str, tuple[float, float]] = {}
    try:
        net = data.get("network") or {}
        widths = net.get("widths") if isinstance(net, Mapping) else None
        acts = net.get("activations") if isinstance(net, Mapping) else None
        head = f"{kind} path, status {status!r}"
        if widths:
            head += f", widths {widths}"
        if acts:
            head += f", σ = {acts[0] if len(set(map(str, acts))) == 1 else acts}"
        theorem = data.get("theorem")
        fig.suptitle(head + (f" ({theorem})" if theorem else ""), fontsize=11)
        ax.plot(lam, E, color="tab:blue", linewidth=1.6, label="E along the path")
        if pred is not None:
            ax.plot(lam, pred, color="black", linestyle="dashed", linewidth=1.0, label="predicted (1 − λ)² E(W^p)")
        ax.plot(lam[0], E[0], marker="x", color=POINT_COLOUR, markersize=12, markeredgewidth=3, linestyle="none",
                label=f"start, E = {E[0]:.6g}", zorder=5)
        ax.plot(lam[-1], E[-1], marker="o", color="tab:green", markersize=8, linestyle="none",
                label=f"end, E = {E[-1]:.6g}", zorder=5)
        case_loss = data.get("case_loss")
        if isinstance(case_loss, (int, float)) and math.isfinite(case_loss):
            ax.axhline(float(case_loss), color="gray", linestyle="dotted", linewidth=1.0,
                       label=f"E at the case's point = {float(case_loss):.6g}")
        k_max = int(np.nanargmax(E))
        if barrier is not None:
            ax.plot(lam[k_max], E[k_max], marker="^", color="tab:orange", markersize=10, markeredgecolor="black",
                    linestyle="none", label=f"highest point, barrier ≤ {_finite(barrier.get('value')):.6g}", zorder=5)
        ax.set_xlabel("λ (path parameter)" if kind in ("wide", "pyramid") else "λ (normalised arc length)")
        ax.set_ylabel("E")
        ax.set_title("(a) loss along the path", fontsize=10)
        ax.legend(fontsize=7, loc="best", framealpha=0.85)
        ax.margins(x=0.03, y=0.08)
        if barrier is None:
            drop = -np.diff(E)
            ok = drop > 0
            lam_mid = (lam[1:] + lam[:-1]) / 2
            if np.any(ok):
                ax2.semilogy(lam_mid[ok], drop[ok], color="tab:blue", linewidth=1.2,
                             label="drop E(λ_k) − E(λ_{k+1}) > 0")
                floor = float(np.min(drop[ok]))
            else:
                floor = 1e-300
                ax2.set_yscale("log")
            if np.any(~ok):
                ax2.plot(lam_mid[~ok], np.full(int(np.sum(~ok)), floor), linestyle="none", marker="|",
                         color=POINT_COLOUR, markersize=12, label=f"{int(np.sum(~ok))} step(s) not decreasing")
            rf = data.get("rounding_floor")
            if isinstance(rf, (int, float)) and rf > 0:
                ax2.axhline(float(rf), color="gray", linestyle="dotted", linewidth=1.0,
                            label=f"rounding floor {float(rf):.3g}")
            ax2.set_ylabel("E(λ_k) − E(λ_{k+1})")
            verdict = "strictly decreasing" if data.get("strictly_decreasing") else "NOT strictly decreasing"
            ax2.set_title(f"(b) decrease between samples: {verdict}", fontsize=10)
        else:
            E0 = float(E[0])
            d = E - E0
            ax2.plot(lam, d, color="tab:blue", linewidth=1.4, label="E − E(start)")
            big = float(np.max(np.abs(d))) if np.any(d != 0) else 1.0
            lin = max(1e-3 * big, 1e-12 * max(1.0, abs(E0)))
            ax2.set_yscale("symlog", linthresh=lin)
            decades = 10.0 ** np.arange(math.ceil(math.log10(lin)), math.ceil(math.log10(big)) + 1)
            ticks = [0.0] + [t for t in decades if t <= 1.5 * np.max(d)] + \
                [-t for t in decades if -t >= 1.5 * np.min(d)]
            ax2.set_yticks(sorted(ticks))
            ax2.axhline(0.0, color="gray", linewidth=0.8)
            ax2.plot(lam[k_max], d[k_max], marker="^", color="tab:orange", markersize=10, markeredgecolor="black",
                     linestyle="none", zorder=5)
            ax2.annotate(f"barrier {d[k_max]:.4g}\nat λ = {lam[k_max]:.3g}", (lam[k_max], d[k_max]),
                         textcoords="offset points", xytext=(12, -24), fontsize=8)
            ax2.set_ylabel("E − E(start) (symmetric log scale)")
            ax2.set_title("(b) blocked: the rise along the path found (bounds the barrier above)", fontsize=10)
        ax2.set_xlabel(ax.get_xlabel())
        if ax2.get_legend_handles_labels()[0]:
            ax2.legend(fontsize=7, loc="best", framealpha=0.85)
        fig.tight_layout(rect=(0, 0, 1, 0.93))
        fig.canvas.draw()
        panels = {"path": _box(fig, ax), "detail": _box(fig, ax2)}
        for name, xy in (("start", (lam[0], E[0])), ("end", (lam[-1], E[-1])),
                         ("barrier", (lam[k_max], E[k_max]) if barrier is not None else None)):
            if xy is not None and _inside(ax, xy):
                marks[f"path:{name}"] = _pixel(fig, ax, (float(xy[0]), float(xy[1])))
        width, height = _save(fig, output, dpi)
    finally:
        plt.close(fig)
    summary = {"status": status, "kind": kind, "samples": int(E.size), "start_loss": float(E[0]),
               "end_loss": float(E[-1]), "max_loss": float(E[k_max]),
               "non-decreasing steps": int(np.sum(~(np.diff(E) < 0))),
               "barrier": None if barrier is None else _finite(barrier.get("value"))}
    return Picture(os.fspath(output), width, height, panels, marks, summary)


_PAPER_COLOURS = {"exists": "#c7e9c0", "none": "#fcbba1", "other": "#e0e0e0"}


def _paper_kind(text: str) -> str:
    t = text.lower()
    if t.startswith("exists"):
        return "exists"
    if t.startswith("none"):
        return "none"
    return "other"


def plot_sweep(data: Mapping[str, Any], output: str | os.PathLike, *, dpi: int = 100,
               source: str = "sweep") -> Picture:
    """Draw a transition-width sweep (schema ``basins.sweep/1``) as a chart beside Table 1.

    One bar per width m: the fraction of the seeded data sets on which a
    construction gave a numerically verified bad basin (the count on top,
    the constructions that succeeded below).  The background of each width
    is what the paper says there: green "exists" (Theorems 6, 7), red
    "none" (Theorems 2, 5), grey "not decided".  A dashed line marks the
    observed lower bound on the transition width m* (one more than the
    largest width with a basin found).

    Parameters
    ----------
    data : mapping
        A ``basins.sweep/1`` record (as written by ``basins sweep``).
    output : path
        The PNG to write (atomically).
    dpi : int
        Pixels per inch; the figure is 9 × 5 inches.

    Returns
    -------
    Picture
        Panel "sweep"; marks "sweep:m=<m>" at the top of each bar.

    References
    ----------
    Li, Ding & Sun, Table 1 (§3.2) and Theorems 2, 5, 6, 7.
    """
    _check_dpi(dpi)
    if not isinstance(data, Mapping) or data.get("schema") != "basins.sweep/1":
        got = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
        raise CaseFormatError(f"{source}: schema={got!r} is not 'basins.sweep/1'")
    rows = data.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, Mapping) for r in rows):
        raise CaseFormatError(f"{source}: 'rows' must be a non-empty list of objects")
    ms, found, attempts, paper, names = [], [], [], [], []
    for k, r in enumerate(rows):
        m, f, a = r.get("m"), r.get("found"), r.get("attempts")
        if not all(isinstance(q, int) and not isinstance(q, bool) for q in (m, f, a)) or not 0 <= f <= a:
            raise CaseFormatError(f"{source}: rows[{k}] needs integers m, found ≤ attempts; got "
                                  f"m={m!r}, found={f!r}, attempts={a!r}")
        ms.append(m)
        found.append(f)
        attempts.append(a)
        paper.append(str(r.get("paper", "")))
        names.append(", ".join(f"Thm {c}" if str(c).isdigit() else str(c) for c in (r.get("constructions") or [])))
    order = np.argsort(ms)
    ms_a = np.array(ms)[order]
    frac = np.array([found[i] / attempts[i] if attempts[i] else 0.0 for i in order])
    plt = _pyplot()
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(9, 5), dpi=dpi)
    marks: dict[str, tuple[float, float]] = {}
    try:
        t1 = data.get("table1")
        table1: dict[str, Any] = dict(t1) if isinstance(t1, Mapping) else {}
        act = data.get("activation", "?")
        N = data.get("N", "?")
        fig.suptitle(f"transition width: σ(t) = {act}, N = {N}, {data.get('trials', '?')} data set(s) per width",
                     fontsize=11)
        for j, i in enumerate(order):
            ax.axvspan(ms_a[j] - 0.5, ms_a[j] + 0.5, color=_PAPER_COLOURS[_paper_kind(paper[i])], zorder=0)
        bars = ax.bar(ms_a, frac, width=0.6, color="tab:blue", edgecolor="black", zorder=2,
                      label="fraction with a verified basin")
        for j, i in enumerate(order):
            ax.text(ms_a[j], frac[j] + 0.03, f"{found[i]}/{attempts[i]}", ha="center", va="bottom", fontsize=8,
                    zorder=3)
            if names[i]:
                ax.text(ms_a[j], 0.02, names[i], ha="center", va="bottom", rotation=90, fontsize=7,
                        color="white" if frac[j] > 0.3 else "black", zorder=3)
        lower = (data.get("observed") or {}).get("lower_bound") if isinstance(data.get("observed"), Mapping) else None
        handles = [bars, Patch(color=_PAPER_COLOURS["exists"], label="paper: basins exist (Thm 6/7)"),
                   Patch(color=_PAPER_COLOURS["none"], label="paper: no basin (Thm 2/5)"),
                   Patch(color=_PAPER_COLOURS["other"], label="paper: not decided")]
        if isinstance(lower, int) and not isinstance(lower, bool):
            line = ax.axvline(lower - 0.5, color="black", linestyle="dashed", linewidth=1.2, zorder=4,
                              label=f"observed: m* ≥ {lower}")
            handles.append(line)
        ax.set_xlim(ms_a.min() - 0.5, ms_a.max() + 0.5)
        ax.set_ylim(0, 1.18)
        ax.set_xticks(ms_a)
        ax.set_xlabel("width m")
        ax.set_ylabel("fraction of data sets with a verified basin")
        row = f"Table 1: {table1.get('class', '?')}: {table1.get('transition', '?')}"
        consistent = data.get("consistent")
        ax.set_title(row + ("" if consistent is None else
                            ("; consistent with the theorems" if consistent else "; INCONSISTENT with a theorem")),
                     fontsize=9)
        ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3,
                  framealpha=0.9)
        fig.tight_layout(rect=(0, 0, 1, 0.95))
        fig.canvas.draw()
        panels = {"sweep": _box(fig, ax)}
        for j in range(ms_a.size):
            marks[f"sweep:m={int(ms_a[j])}"] = _pixel(fig, ax, (float(ms_a[j]), float(frac[j])))
        width, height = _save(fig, output, dpi)
    finally:
        plt.close(fig)
    summary = {"activation": data.get("activation"), "N": data.get("N"),
               "widths_with": [int(ms_a[j]) for j in range(ms_a.size) if frac[j] > 0],
               "observed lower bound": lower, "table1": dict(table1)}
    return Picture(os.fspath(output), width, height, panels, marks, summary)


def plot_file(path: str | os.PathLike, output: str | os.PathLike, **options: Any) -> Picture:
    """Draw the picture a JSON file calls for, by its "schema" key.

    ``basins.case/1`` → :func:`plot_case` (options: plane, neuron, wide,
    zoom, resolution, dpi); the path and sweep schemas → :func:`plot_path`
    and :func:`plot_sweep` (option: dpi).
    """
    src = os.fspath(path)
    try:
        with open(src, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise CaseFormatError(f"file {src!r} cannot be read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CaseFormatError(f"file {src!r} is not JSON ({exc})") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema not in SCHEMAS:
        raise CaseFormatError(f"file {src!r} has schema={schema!r}; pictures exist for {', '.join(SCHEMAS)}")
    if SCHEMAS[schema] == "plot_case":
        return plot_case(Case.from_dict(data, source=src), output, **options)
    extra = sorted(k for k, v in options.items() if v is not None and k != "dpi")
    if extra:
        raise InvalidArgument(f"option(s) {', '.join(extra)} apply to case files only, not to {schema!r}")
    dpi = options.get("dpi") or 100
    fn = plot_path if SCHEMAS[schema] == "plot_path" else plot_sweep
    return fn(data, output, dpi=dpi, source=src)


def _finite_min(values: np.ndarray) -> float | None:
    """The smallest finite value, or None when there is none (overflow everywhere)."""
    ok = values[np.isfinite(values)]
    return float(ok.min()) if ok.size else None


def _finite(a: Any) -> float:
    """float(a), or NaN for anything that is not a number (JSON null, text)."""
    if isinstance(a, bool):
        return math.nan
    try:
        return float(a)
    except (TypeError, ValueError):
        return math.nan
