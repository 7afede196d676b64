"""Loss grids on a plane through a case's point: the numbers behind the surface pictures.

:func:`loss_surface` returns a frozen :class:`Surface` of loss grids (a wide
view and a zoom) without matplotlib.  The grids put the point, and in the
neuron plane the lines where a pre-activation w_i x_j meets a kink of σ, on
grid nodes, so creases are drawn where they are; the wide view evaluates E
with the batched :func:`basins.model.network.losses_batch`, the zoom
E − E(point) without cancellation.

Cases of the model of SPEC §11 ("basins.case/2": inputs in R^d, hidden and
output bias) are sliced in the full θ = (v, w_1[1..D], …, w_m[1..D][, c]); by
default along the two softest Hessian eigendirections ("softest"), labelled
with their largest components.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins*, arXiv:1812.11039, Example 2 and Figure 3.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from basins.errors import InvalidArgument
from basins.io.case import Case, load_case
from basins.model import engine
from basins.model.network import hessian, loss, losses_batch
from basins.verification.sampling import delta_losses, delta_losses_model
from basins.validate import float_data

__all__ = ["PLANES", "Grid", "Surface", "loss_surface", "at_kink", "parameter_names"]

#: The planes :func:`loss_surface` can slice along (or give two direction vectors).
PLANES: dict[str, str] = {
    "auto": "the (w, v) plane of neuron `neuron` when m = 1, else 'hessian' (SPEC §11 cases: 'softest')",
    "neuron": "the (w_i, v_i) plane of neuron i = `neuron` (all other weights fixed), like Figure 3 "
              "(scalar w_i only)",
    "hessian": "through the point along the extreme eigenvectors of the second-derivative matrix "
               "(one-sided at a kink, where E has no Hessian)",
    "witness": "through the point and the witness, completed by the flattest curvature direction",
    "softest": "through the point along the two softest eigenvectors of the second-derivative matrix",
}

_RAYS = 24
_RAY_STEPS = 400


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
    origin : ndarray, shape (2m,) (n_params for the model of SPEC §11)
        θ at plane coordinates (0, 0) (the point, except for the neuron plane
        whose coordinates are the absolute weights w_i, v_i).
    basis : ndarray, shape (2, 2m) (2 × n_params)
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
        """θ = (v, w) (SPEC §11: (v, w_1..w_m[, c])) at plane coordinates (s, t)."""
        return self.origin + s * self.basis[0] + t * self.basis[1]


def parameter_names(case: Case) -> list[str]:
    """The name of each entry of θ: v_i, w_i (scalar model); v_i, w_{i,k}, b_i (hidden bias), c (SPEC §11).

    Examples
    --------
    >>> from basins.activations import as_activation
    >>> c = Case(as_activation("tanh"), x=((1.0, 2.0),), y=(0.0,), v=(1.0,), w=((0.5, 0.5, 0.1),),
    ...          theorem="-", loss=0.0, bias=True, output_bias=0.0)
    >>> parameter_names(c)
    ['v_1', 'w_{1,1}', 'w_{1,2}', 'b_1', 'c']
    """
    m, model = case.m, case.model
    names = [f"v_{i + 1}" for i in range(m)]
    if model.scalar:
        return names + [f"w_{i + 1}" for i in range(m)]
    for i in range(m):
        names += [f"w_{{{i + 1},{k + 1}}}" for k in range(model.input_dim)]
        names += [f"b_{i + 1}"] if model.hidden_bias else []
    return names + (["c"] if model.output_bias else [])


def _components(vec: np.ndarray, names: list[str], top: int = 3) -> str:
    """The largest components of a unit direction in words: "0.93 w_{1,1} − 0.35 c + …"."""
    order = np.argsort(-np.abs(vec))[:top]
    parts = []
    for k, i in enumerate(order):
        a = float(vec[i])
        if abs(a) < 5e-3:
            break
        sign = ("−" if a < 0 else "") if k == 0 else (" − " if a < 0 else " + ")
        parts.append(f"{sign}{abs(a):.2f} {names[i]}")
    rest = " + …" if np.sum(np.abs(vec) >= 5e-3) > len(parts) else ""
    return "".join(parts) + rest


# ---------------------------------------------------------- loss grids --

def _losses(case: Case, thetas: np.ndarray) -> np.ndarray:
    """E at many θ = (v, w), shape (K, 2m) -> (K,) (overflow gives inf/nan, no warning)."""
    x, y, _, _ = case.arrays()
    m = case.m
    if case.model.scalar:
        return losses_batch(case.activation, x, y, thetas[:, :m], thetas[:, m:])
    model, ctx = case.model, engine.float_context(case.activation)
    K = thetas.shape[0]
    out = np.empty(K)
    step = max(1, (1 << 20) // max(1, m * x.shape[0] * model.D))
    with np.errstate(over="ignore", invalid="ignore"):
        for a in range(0, K, step):
            blk = thetas[a:a + step]
            V, W, c = model.split(blk)
            out[a:a + step] = engine.loss(ctx, x, y, V, W, c=c, model=model)
    return out


def _deltas(case: Case, dthetas: np.ndarray) -> np.ndarray:
    """E(θ + δ) − E(θ) for many δ, shape (K, 2m) -> (K,), free of cancellation."""
    x, y, v, w = case.arrays()
    m = case.m
    with np.errstate(over="ignore", invalid="ignore"):
        if not case.model.scalar:
            return delta_losses_model(case.activation, x, y, v, w, dthetas, **case.engine_kwargs)
        return delta_losses(case.activation, x, y, v, w, dthetas[:, :m], dthetas[:, m:], workers=1)


def _witness_theta(case: Case) -> np.ndarray:
    """The witness in θ's order (its output bias, when the model has one, last)."""
    wit = case.witness
    assert wit is not None
    parts = [np.asarray(wit.v, float), np.asarray(wit.w, float).ravel()]
    if case.model.output_bias:
        parts.append(np.array([float(wit.c if wit.c is not None else (case.output_bias or 0.0))]))
    return np.concatenate(parts)


def _unit(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    n = np.linalg.norm(a)
    return a / n if n > 0 else a


def _fix_sign(a: np.ndarray) -> np.ndarray:
    """Make the entry of largest magnitude positive (eigenvectors have no sign)."""
    return a if a[np.argmax(np.abs(a))] >= 0 else -a


def at_kink(case: Case) -> bool:
    """Whether some pre-activation w_i x_j of the case's point sits on a nonsmooth point of σ.

    There E is not twice differentiable, so the "Hessian" of the closed form is
    one-sided (the second derivatives of one adjacent piece).
    """
    x, _, _, w = case.arrays()
    pts = []
    for p in case.activation.nonsmooth_points:
        try:
            pts.append(float(p))
        except TypeError:
            continue
    if not pts:
        return False
    if case.model.scalar:
        pre = np.outer(w, x)
    else:
        ctx = engine.float_context(case.activation)
        pre = ctx.weights(w, case.model) @ ctx.rows(x, case.model).T
    scale = max(1.0, float(np.max(np.abs(pre))))
    return any(bool(np.any(np.abs(pre - p) <= 1e-12 * scale)) for p in pts)


def _kink_lines(case: Case, neuron: int) -> list[float]:
    """The w_i (neuron plane: s) where w_i x_j meets a nonsmooth point of σ (w_i = 0 always creases E)."""
    x, _, _, _ = case.arrays()
    x = x.ravel()
    out = [0.0]
    for p in case.activation.nonsmooth_points:
        try:
            q = float(p)
        except TypeError:
            continue
        out.extend(q / xj for xj in x if xj != 0)
    return out


def _plane(case: Case, plane: str | Sequence[Sequence[float]], neuron: int,
           H: np.ndarray, kink: bool = False) -> tuple[str, tuple[str, str], np.ndarray, np.ndarray, str]:
    """(kind, labels, origin, basis, description) of the requested plane."""
    m, model = case.m, case.model
    theta0 = case.theta()
    n = theta0.size
    names = parameter_names(case)
    if not isinstance(plane, str):
        try:
            D = np.array(plane, dtype=float)
        except (TypeError, ValueError):
            raise InvalidArgument(f"plane={plane!r} is neither a plane name nor two direction vectors") from None
        if D.shape != (2, n) or not np.all(np.isfinite(D)):
            order = "v_1..v_m, w_1..w_m" if model.scalar else ", ".join(names)
            raise InvalidArgument(
                f"plane directions have shape {D.shape}; two finite vectors of length "
                f"{'2m = ' if model.scalar else ''}{n} (ordered {order}) are needed")
        D = np.array([_unit(D[0]), _unit(D[1])])
        if np.linalg.matrix_rank(D, tol=1e-10) < 2:
            raise InvalidArgument(f"plane directions {plane!r} are zero or parallel; they must span a plane")
        return "directions", ("s (direction 1)", "t (direction 2)"), theta0, D, "slice along the given directions"
    if plane not in PLANES:
        raise InvalidArgument(f"plane={plane!r} is not one of {', '.join(PLANES)} (or two direction vectors)")
    if plane == "auto":
        plane = ("neuron" if m == 1 else "hessian") if model.scalar else "softest"
    if plane == "neuron":
        if isinstance(neuron, bool) or not isinstance(neuron, (int, np.integer)) or not 0 <= neuron < m:
            raise InvalidArgument(f"neuron={neuron!r} must be an index 0..{m - 1} (the case has width m = {m})")
        if model.D != 1:
            raise InvalidArgument(f"plane='neuron' needs a scalar hidden weight w_i; this case has w_i in R^{model.D} "
                                  "(SPEC §11): use plane 'softest', 'hessian', 'witness' or two directions")
        D = np.zeros((2, n))
        D[0, m + neuron] = 1.0      # s = w_i
        D[1, neuron] = 1.0          # t = v_i
        origin = theta0.copy()
        origin[m + neuron] = 0.0
        origin[neuron] = 0.0
        sub = f"_{neuron + 1}"
        return "neuron", (f"w{sub}", f"v{sub}"), origin, D, f"the (w{sub}, v{sub}) plane, other weights fixed"
    evals, evecs = np.linalg.eigh(H)
    soft = _fix_sign(evecs[:, 0])
    # at a kink E has no Hessian: the closed form gives the second derivatives of one adjacent piece
    what = "one-sided curvature" if kink else "Hessian"
    if plane == "softest":
        second = _fix_sign(evecs[:, 1])
        desc = (f"slice along the two softest {what} eigenvectors in θ: "
                f"s = {_components(soft, names)}; t = {_components(second, names)}")
        return "softest", (f"s: flattest {what} direction (λ = {evals[0]:.4g})",
                           f"t: second flattest {what} direction (λ = {evals[1]:.4g})"), theta0, \
            np.array([soft, second]), desc
    if plane == "hessian":
        stiff = _fix_sign(evecs[:, -1])
        desc = ("slice along the extreme eigenvectors of the one-sided second derivatives "
                "(E has a kink at the point: no Hessian)"
                if kink else "slice along the Hessian's extreme eigenvectors")
        if not model.scalar:
            desc += f" in θ: s = {_components(soft, names)}; t = {_components(stiff, names)}"
        return "hessian", (f"s: flattest {what} direction (λ = {evals[0]:.4g})",
                           f"t: steepest {what} direction (λ = {evals[-1]:.4g})"), theta0, \
            np.array([soft, stiff]), desc
    # plane == "witness"
    if case.witness is None:
        raise InvalidArgument("plane='witness' needs a case with a witness; this case has none")
    wt = _witness_theta(case)
    if wt.size != n:
        raise InvalidArgument(f"the witness has {len(case.witness.v)} neurons, the point {m}; plane='witness' needs "
                              "equal widths")
    d1 = _unit(wt - theta0)
    for k in range(evecs.shape[1]):
        d2 = evecs[:, k] - (evecs[:, k] @ d1) * d1
        if np.linalg.norm(d2) > 1e-6:
            break
    d2 = _fix_sign(_unit(d2))
    desc = "slice through the point and the witness"
    if not model.scalar:
        desc += f" in θ: s = {_components(d1, names)}; t = {_components(d2, names)}"
    return "witness", ("s: towards the witness", f"t: flattest {what} direction, orthogonalised"), theta0, \
        np.array([d1, d2]), desc


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
    plane : {"auto", "neuron", "hessian", "witness", "softest"} or two vectors of length 2m
        See :data:`PLANES`.  Direction vectors are ordered like θ, (v_1..v_m,
        w_1..w_m) (SPEC §11: (v, w_1[1..D], …, w_m[1..D][, c]), :func:`parameter_names`),
        and normalised.
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
    float_data(case, "the loss-surface plot")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 11:
        raise InvalidArgument(f"resolution={resolution!r} must be an integer of at least 11")
    x, y, v, w = case.arrays()
    theta0 = case.theta()
    kw = case.engine_kwargs
    H = hessian(case.activation, x, y, v, w, **kw)
    if not np.all(np.isfinite(H)):
        raise InvalidArgument(f"the Hessian at the point of case {case.name or '(unnamed)'} is not finite")
    kink = at_kink(case)
    kind, labels, origin, D, desc = _plane(case, plane, neuron, H, kink)
    p, _ = _coords(origin, D, theta0)
    wit, off = (None, None)
    if case.witness is not None and len(case.witness.w) == case.m:
        wt = _witness_theta(case)
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

    creases = _kink_lines(case, neuron) if kind == "neuron" else []

    def grid(b: np.ndarray, delta: bool) -> Grid:
        s = np.linspace(b[0], b[1], resolution)
        t = np.linspace(b[2], b[3], resolution)
        # nodes on the creases of E (neuron plane: w_i x_j at a kink of σ, and w_i = 0), then the point
        # itself, so a crease is drawn where it is and the zoom's centre reads 0
        for arr, cs in ((s, creases + [p[0]]), (t, [p[1]])):
            for c in cs:
                if arr[0] < c < arr[-1]:
                    arr[int(np.argmin(np.abs(arr - c)))] = c
        S, T = np.meshgrid(s, t)
        st = np.stack([S.ravel(), T.ravel()], axis=1)
        if delta:
            vals = _deltas(case, (st - np.asarray(p)) @ D)
            return Grid(s, t, vals.reshape(S.shape), "E - E(point)")
        return Grid(s, t, _losses(case, origin + st @ D).reshape(S.shape), "E")

    E0 = loss(case.activation, x, y, v, w, **kw)
    return Surface(kind, labels, origin, D, p, wit, off, E0, grid(boxes["wide"], False), grid(boxes["zoom"], True), desc)
