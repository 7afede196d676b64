"""Narrow networks: search for a strictly decreasing path, or the lowest barrier found.

From a small perturbation θ_0 of a case's point θ̃ (1-hidden-layer network:
the scalar model of SPEC §0, or the model of SPEC §11 with d-dimensional
inputs and hidden/output biases, searched in the full θ = (v, w_1..w_m[, c]))
the search

1. follows gradient descent with backtracking (every accepted step lowers E,
   and E is checked densely along every segment).  If it reaches a loss below
   E(θ̃) the path is returned with status "path";
2. otherwise (descent fell back into the basin) it builds a path from θ_0 to
   the case's witness (a point of lower loss) by the simplified string method
   (a nudged elastic band without springs: images descend the gradient and are
   re-spaced to equal arc length, then the string is refined and its highest
   point relaxed orthogonally to it), also one to the end of a descent from
   the witness followed by that descent backwards, keeps the best of these
   and the straight segment, and reports status "blocked" with the barrier
   max_path E − E(θ_0) of the path found and the path itself.

The barrier of a path found is an *upper bound* on the minimax barrier between
θ_0 and the witness (the lowest possible maximum over all paths); it is
computed from ΔE relative to θ̃ without cancellation
(:func:`basins.verification.sampling.delta_losses`; for the model of SPEC §11
:func:`~basins.verification.sampling.delta_losses_model`) on a dense sampling of the polyline, so
it is "verified numerically", not certified.  A strict local minimum can have
no strictly decreasing path *starting at it*; after a perturbation a path may
start downhill (into the basin), which is why the barrier is measured from
E(θ_0).  When the width m ≥ N, the wide construction of :mod:`basins.landscape.pt`
(Theorem 2) is used instead and always yields a path (for the model of SPEC
§11 on the inputs x̃_n, a hidden bias being one more input coordinate, with
the output bias c held fixed, i.e. targets y − c).

Results are written in the ``basins.path/1`` schema documented in
:mod:`basins.landscape.pt`.

References
----------
D. Li, T. Ding, R. Sun, *On the Benefit of Width for Neural Networks:
Disappearance of Basins*: Definition 2 (Property PT), Definition 3 (basin),
Proposition 1 (PT ⇒ no basin), Theorems 2, 4, 6, 7 and Proposition 4.
W. E, W. Ren, E. Vanden-Eijnden, *Simplified and improved string method*,
J. Chem. Phys. 126 (2007).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from basins.activations import Activation, as_activation
from basins.io.case import Case, write_json_atomic
from basins.errors import InvalidArgument
from basins.landscape.pt import wide_path
from basins.landscape.records import PATH_SCHEMA, ArrayEq, PathResult, agrees, hex_array, unhex
from basins.model import engine
from basins.model import network as net1
from basins.verification.sampling import delta_losses, delta_losses_model
from basins.validate import float_data

_EPS = float(np.finfo(float).eps)

__all__ = ["PathSearch", "search_path", "path_losses", "check_strictly_decreasing"]


@dataclass(frozen=True, eq=False)
class PathSearch(ArrayEq):
    """Outcome of :func:`search_path` for a narrow network.

    Attributes
    ----------
    status : str
        "path" (strictly decreasing path to a loss below E(θ̃)) or "blocked".
    kind : str
        "descent" (the path is the descent) or "barrier" (string / segment to the witness).
    case_loss, start_loss : float
        E(θ̃) and E(θ_0).
    points : ndarray (K, n_params)
        Vertices of the polyline, θ = (v, w) (SPEC §11: θ = (v, w_1..w_m[, c])).
    lambdas, losses : ndarray
        Normalised arc length of the dense samples along the polyline and E there.
    barrier : float or None
        max E along the path − E(θ_0) for a blocked search.
    descent_end_loss : float
        Where the descent from θ_0 stopped.
    model : Model
        The network's shape (:class:`basins.model.engine.Model`; the scalar model by default).
    """

    status: str
    kind: str
    activation: Activation
    x: np.ndarray
    y: np.ndarray
    case_loss: float
    start: np.ndarray
    start_loss: float
    perturbation: float
    points: np.ndarray
    lambdas: np.ndarray
    losses: np.ndarray
    barrier: float | None
    descent_end_loss: float
    strictly_decreasing: bool
    details: dict = field(default_factory=dict)
    model: engine.Model = engine.SCALAR

    @property
    def end_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def max_loss(self) -> float:
        return float(np.max(self.losses))

    def to_dict(self) -> dict[str, Any]:
        """The ``basins.path/1`` record (see :mod:`basins.landscape.pt`)."""
        model = self.model
        m = (self.points.shape[1] - int(model.output_bias)) // (1 + model.D)
        at = float(self.lambdas[int(np.argmax(self.losses))])
        return {
            "schema": PATH_SCHEMA,
            "kind": self.kind,
            "status": self.status,
            "theorem": self.details.get("theorem", ""),
            "network": {"widths": [model.input_dim, m, 1], "activations": [self.activation.text]},
            "N": int(self.x.shape[0]),
            "lambdas": self.lambdas.tolist(),
            "losses": self.losses.tolist(),
            "predicted": None,
            "start_loss": self.start_loss,
            "end_loss": self.end_loss,
            "case_loss": self.case_loss,
            "infimum": None,
            "strictly_decreasing": self.strictly_decreasing,
            "unresolved_steps": 0,
            "rounding_floor": None,
            "perturbation": {"delta": self.perturbation, "size": float(np.linalg.norm(self.start - self.points[0]))
                             if self.kind == "barrier" else self.perturbation, "sigma_min": None, "layers": [1, 2]},
            "barrier": None if self.barrier is None else {
                "value": self.barrier, "max_loss": self.max_loss, "at": at,
                "meaning": "max E along the path found (sampled densely) − E(start): an upper bound on the "
                           "minimax barrier, up to the sampling of each segment"},
            "descent_end_loss": self.descent_end_loss,
            "verification": "verified numerically",
            "details": self.details,
            "generator": {"formula": "polyline through the points θ = (v, w)" if model.scalar else
                          "polyline through the points θ = (v, w_1[1..D], …, w_m[1..D][, c]) (SPEC §11)",
                          "changed_layer": None,
                          "x": hex_array(self.x), "y": hex_array(self.y),
                          "points": [hex_array(p) for p in self.points],
                          "points_float": self.points.tolist(), "start": hex_array(self.start),
                          **({} if model.scalar else {"model": _model_dict(model)})},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "path") -> "PathSearch":
        """The search of :meth:`to_dict`, exactly; validated against ``path-1.json`` (CaseFormatError).

        A record written before θ_0 was stored ("start") takes θ_0 as the first point.
        """
        from basins.errors import CaseFormatError
        from basins.io.records import validate_record

        validate_record(d, "path", source=source)
        if d["kind"] not in ("descent", "barrier"):
            raise CaseFormatError(f"{source}: kind={d['kind']!r} is a constructive path, not a searched one")
        gen, bar = d["generator"], d.get("barrier")
        try:
            act = as_activation(d["network"]["activations"][0])
            x, y = unhex(gen["x"]), unhex(gen["y"])
            points = np.array([unhex(p) for p in gen["points"]], dtype=float)
            start = unhex(gen["start"]) if "start" in gen else points[0].copy()
            return cls(str(d["status"]), str(d["kind"]), act, x, y, float(d["case_loss"]), start,
                       float(d["start_loss"]), float(d["perturbation"]["delta"]), points,
                       np.asarray(d["lambdas"], dtype=float), np.asarray(d["losses"], dtype=float),
                       None if bar is None else float(bar["value"]), float(d["descent_end_loss"]),
                       bool(d["strictly_decreasing"]), dict(d.get("details") or {}), read_model(gen))
        except (KeyError, TypeError, ValueError, InvalidArgument) as exc:
            raise CaseFormatError(f"{source}: {type(exc).__name__}: {exc}") from None

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def save(self, path: str) -> None:
        write_json_atomic(path, self.to_json())


# ----------------------------------------------------------------- kernels --

def _model_dict(model: engine.Model) -> dict[str, Any]:
    return {"input_dim": model.input_dim, "hidden_bias": model.hidden_bias, "output_bias": model.output_bias}


def read_model(gen: Mapping[str, Any]) -> engine.Model:
    """The network's shape stored in a searched path's generator (the scalar model when absent)."""
    spec = gen.get("model")
    if spec is None:
        return engine.SCALAR
    if not isinstance(spec, Mapping):
        raise ValueError(f"generator.model must be an object, not {type(spec).__name__}")
    model = engine.Model(int(spec["input_dim"]), bool(spec["hidden_bias"]), bool(spec["output_bias"]))
    model.check()
    return model


@dataclass(frozen=True)
class _Net:
    """The data and shape of the network searched: x (N,) or (N, d), y (N,), the model."""

    act: Activation
    x: np.ndarray
    y: np.ndarray
    model: engine.Model = engine.SCALAR

    def split(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(v (K, m), w (K, m, D), c (K,) or None) from K rows of θ = (v, w_1..w_m[, c])."""
        return self.model.split(thetas)

    def loss_grad(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """E and ∇E for K points θ at once; shapes (K,) and (K, n_params) (the engine's float64 context)."""
        ctx = engine.float_context(self.act)
        if self.model.scalar:
            m = thetas.shape[1] // 2
            with np.errstate(over="ignore", invalid="ignore"):
                ev = engine.derivatives(ctx, self.x, self.y, thetas[:, :m], thetas[:, m:], order=1)
            return ev.loss, ev.gradient
        v, W, c = self.split(thetas)
        with np.errstate(over="ignore", invalid="ignore"):
            ev = engine.derivatives(ctx, self.x, self.y, v, W, order=1, c=c, model=self.model)
        return np.atleast_1d(ev.loss), np.atleast_2d(ev.gradient)

    def deltas(self, base: np.ndarray, points: np.ndarray) -> np.ndarray:
        """ΔE = E(θ) − E(base) at each row θ of ``points``, without cancellation."""
        if self.model.scalar:
            return path_losses(self.act, self.x, self.y, base, points)
        return path_losses(self.act, self.x, self.y, base, points, model=self.model)

    def loss(self, theta: np.ndarray) -> float:
        """E at one θ (float64)."""
        if self.model.scalar:
            m = theta.size // 2
            return net1.loss(self.act, self.x, self.y, theta[:m], theta[m:])
        v, W, c = self.split(theta[None, :])
        return net1.loss(self.act, self.x, self.y, v[0], W[0], c=None if c is None else float(c[0]),
                         model=self.model)


def _loss_grad(net: _Net, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return net.loss_grad(thetas)


def path_losses(activation: Activation | str, x: Any, y: Any, base: Any, points: Any, *,
                model: engine.Model = engine.SCALAR) -> np.ndarray:
    """ΔE = E(θ) − E(base) at each row θ of ``points`` (K, n_params), without cancellation.

    θ = (v, w) for the scalar model (SPEC §0); θ = (v, w_1[1..D], …, w_m[1..D][, c])
    for ``model`` of SPEC §11 (x then N rows of d), through
    :func:`~basins.verification.sampling.delta_losses_model`.

    Examples
    --------
    >>> import numpy as np
    >>> d = path_losses("linear", [1.0, 2.0], [0.0, 0.0], [1.0, 1.0], [[2.0, 1.0]])
    >>> float(d[0])      # E(2, 1) − E(1, 1) = (4 + 16) − (1 + 4)
    15.0
    >>> model = engine.Model(input_dim=1, output_bias=True)     # ŷ = v w x + c
    >>> float(path_losses("linear", [[1.0], [2.0]], [0.0, 0.0], [1.0, 1.0, 0.0], [[2.0, 1.0, 1.0]],
    ...                   model=model)[0])     # E(2, 1, 1) − E(1, 1, 0) = (9 + 25) − (1 + 4)
    29.0
    """
    act = as_activation(activation)
    base = np.asarray(base, dtype=float)
    P = np.atleast_2d(np.asarray(points, dtype=float))
    if model.scalar:
        m = base.size // 2
        return delta_losses(act, x, y, base[:m], base[m:], P[:, :m] - base[:m], P[:, m:] - base[m:], workers=1)
    net = _Net(act, np.asarray(x, dtype=float), np.asarray(y, dtype=float), model)
    v, W, c = net.split(base[None, :])
    if P.shape[1] != base.size:
        raise InvalidArgument(f"points have {P.shape[1]} entries per row; θ has {base.size}")
    with np.errstate(over="ignore", invalid="ignore"):
        return delta_losses_model(act, net.x, net.y, v[0], W[0], P - base,
                                  c=None if c is None else float(c[0]), model=model)


def check_strictly_decreasing(losses: Any, *, tol: float = 0.0) -> bool:
    """True when every consecutive pair of ``losses`` decreases by more than ``tol``.

    Examples
    --------
    >>> check_strictly_decreasing([3.0, 2.0, 1.0]), check_strictly_decreasing([3.0, 3.0, 1.0])
    (True, False)
    """
    a = np.asarray(losses, dtype=float)
    if a.ndim != 1 or a.size < 2:
        raise InvalidArgument(f"losses with shape {a.shape} must be a 1-D sequence of at least 2 numbers")
    return bool(np.all(np.diff(a) < -tol))


def _arc_length(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Lengths of the polyline's segments and the total used to normalise the arc length (1 if 0)."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return seg, float(np.sum(seg)) or 1.0


def _densify(points: np.ndarray, per_segment: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense samples along the polyline and their normalised arc length."""
    seg, total = _arc_length(points)
    out, lam = [points[:1]], [np.zeros(1)]
    acc = 0.0
    for k in range(len(points) - 1):
        t = np.linspace(0.0, 1.0, per_segment + 1)[1:]
        seg_pts = points[k][None, :] + t[:, None] * (points[k + 1] - points[k])[None, :]
        seg_pts[-1] = points[k + 1]         # the vertices themselves, exactly
        out.append(seg_pts)
        lam.append((acc + t * seg[k]) / total)
        acc += seg[k]
    return np.vstack(out), np.concatenate(lam)


def at_arc_length(points: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """The points of the polyline at normalised arc length λ ∈ [0, 1] (the parametrisation of
    :func:`_densify`: λ = (length of the segments before k + t · |segment k|) / total length).

    Examples
    --------
    >>> P = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 3.0]])
    >>> D, lam = _densify(P, 4)
    >>> bool(np.allclose(at_arc_length(P, lam), D, rtol=0, atol=1e-15))
    True
    """
    seg, total = _arc_length(points)
    lam = np.asarray(lambdas, dtype=float)
    if seg.size == 0:
        return np.repeat(points[:1], lam.size, axis=0)
    ends = np.cumsum(seg)                   # the same sums as _densify's running `acc`
    starts = np.concatenate([[0.0], ends[:-1]])
    s = lam * total
    k = np.clip(np.searchsorted(ends, s, side="left"), 0, seg.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(seg[k] > 0, (s - starts[k]) / np.where(seg[k] > 0, seg[k], 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    out = points[k] + t[:, None] * (points[k + 1] - points[k])
    out[t == 1.0] = points[k + 1][t == 1.0]    # the vertices themselves, exactly
    return out


def _descend(net: _Net, theta0: np.ndarray, target: float, max_steps: int) -> list[np.ndarray]:
    """Gradient descent with backtracking; stops below ``target`` or when stalled."""
    pts = [theta0]
    th = theta0
    E0, g0 = _loss_grad(net, th[None])
    E, g = float(E0[0]), g0[0]
    alpha = 1e-2 / max(1.0, float(np.linalg.norm(g)))
    for _ in range(max_steps):
        gn = float(np.linalg.norm(g))
        if gn == 0 or E < target:
            break
        while alpha > 1e-300:
            cand = th - alpha * g
            Ec, gc = _loss_grad(net, cand[None])
            if float(Ec[0]) < E - 1e-4 * alpha * gn * gn:
                break
            alpha *= 0.5
        else:
            break
        if alpha * gn < 1e-15 * (1.0 + float(np.linalg.norm(th))):
            break
        th, E, g = cand, float(Ec[0]), gc[0]
        pts.append(th)
        alpha *= 1.5
    return pts


def _string(net: _Net, S: np.ndarray, iterations: int) -> np.ndarray:
    """Simplified string method with fixed ends, from the initial string S (images, 2m)."""
    images = S.shape[0]
    a, b = S[0].copy(), S[-1].copy()
    t = np.linspace(0.0, 1.0, images)
    alpha = np.full(images - 2, 1e-3)
    for _ in range(iterations):
        inner = S[1:-1]
        E, g = _loss_grad(net, inner)
        gn = np.linalg.norm(g, axis=1)
        length = float(np.sum(np.linalg.norm(np.diff(S, axis=0), axis=1)))
        step = np.minimum(alpha, 0.5 * length / images) / np.maximum(gn, 1e-300)
        cand = inner - step[:, None] * g
        Ec, _ = _loss_grad(net, cand)
        ok = np.isfinite(Ec) & (Ec < E)
        inner = np.where(ok[:, None], cand, inner)
        alpha = np.where(ok, alpha * 1.3, alpha * 0.5)
        S = np.vstack([a, inner, b])
        # re-space to equal arc length
        seg = np.linalg.norm(np.diff(S, axis=0), axis=1)
        s = np.concatenate([[0.0], np.cumsum(seg)])
        if s[-1] == 0:
            break
        s /= s[-1]
        S = np.column_stack([np.interp(t, s, S[:, j]) for j in range(S.shape[1])])
        S[0], S[-1] = a, b
    return S


def _refined_string(net: _Net, base: np.ndarray, a: np.ndarray, b: np.ndarray, images: int, iterations: int, max_images: int, per_segment: int
                    ) -> tuple[np.ndarray, list[float]]:
    """The string, refined by inserting midpoints while its barrier keeps falling by > 1 %."""
    t = np.linspace(0.0, 1.0, images)
    S = a[None, :] + t[:, None] * (b - a)[None, :]
    S[0], S[-1] = a, b                      # a + 1·(b − a) need not round to b
    history: list[float] = []
    best_S, best_top = S, np.inf
    while True:
        S = _string(net, S, iterations)
        D, _ = _densify(S, per_segment)
        top = float(np.max(net.deltas(base, D)))
        history.append(top)
        improved = top < best_top - 0.01 * abs(best_top) if np.isfinite(best_top) else True
        if top < best_top:
            best_S, best_top = S, top
        if not improved or 2 * S.shape[0] - 1 > max_images:
            return best_S, history
        mid = 0.5 * (S[:-1] + S[1:])
        S = np.empty((2 * S.shape[0] - 1, S.shape[1]))
        S[0::2] = best_S
        S[1::2] = mid


def _relax_perpendicular(net: _Net, p: np.ndarray, tangent: np.ndarray, steps: int = 30) -> np.ndarray:
    """Lower E at p by gradient steps orthogonal to ``tangent`` (with backtracking)."""
    tau = tangent / (np.linalg.norm(tangent) or 1.0)
    E1, g1 = _loss_grad(net, p[None])
    E, g = float(E1[0]), g1[0]
    alpha = 1e-2
    for _ in range(steps):
        d = g - (g @ tau) * tau
        dn = float(np.linalg.norm(d))
        if dn == 0:
            break
        while alpha > 1e-14:
            cand = p - (alpha / dn) * d
            Ec, gc = _loss_grad(net, cand[None])
            if float(Ec[0]) < E:
                break
            alpha *= 0.5
        else:
            break
        p, E, g = cand, float(Ec[0]), gc[0]
        alpha *= 2.0
    return p


def _polish(net: _Net, base: np.ndarray, S: np.ndarray, rounds: int, per_segment: int) -> np.ndarray:
    """Lower the maximum of E along the polyline S: insert a vertex at the highest point of a
    chord, or move the highest vertex, and relax it orthogonally to the path."""
    S = S.copy()
    for _ in range(rounds):
        D, _ = _densify(S, per_segment)
        dl = net.deltas(base, D)
        k = int(np.argmax(dl))
        seg, r = divmod(k - 1, per_segment) if k > 0 else (0, per_segment - 1)
        if k == 0 or k == len(dl) - 1:
            break
        if r == per_segment - 1:            # the maximum sits on vertex seg + 1
            i = seg + 1
            new = _relax_perpendicular(net, S[i], S[i + 1] - S[i - 1])
            if np.array_equal(new, S[i]):
                break
            S[i] = new
        else:                               # inside a chord: insert a vertex there and relax it
            p = _relax_perpendicular(net, D[k], S[seg + 1] - S[seg])
            S = np.vstack([S[:seg + 1], p[None, :], S[seg + 1:]])
    return S


# ------------------------------------------------------------------ public --

def search_path(case: Case, *, perturbation: float = 1e-4, seed: int = 0, images: int = 31,
                iterations: int = 400, max_images: int = 61, polish: int = 300, max_steps: int = 2000,
                per_segment: int = 16) -> PathResult:
    """Search a strictly decreasing path from a perturbed case point; else report the barrier.

    Parameters
    ----------
    case : Case
        A 1-hidden-layer network point (x, y, v, w[, c]) and its witness: the
        scalar model, or a "basins.case/2" case (SPEC §11), searched in full θ.
    perturbation : float
        Norm of the random perturbation θ_0 − θ̃ (seeded).
    seed : int
    images, iterations : int
        Initial size of the string and iterations per refinement.
    max_images : int
        The string is refined (midpoints inserted) while its barrier falls by
        more than 1 % and it has at most this many images.
    polish : int
        Rounds that lower the highest point of the string: a vertex is
        inserted at the top of a chord (or the top vertex is moved) and
        relaxed orthogonally to the path.
    max_steps : int
        Steps of the gradient descent.
    per_segment : int
        Dense samples per polyline segment for the loss check.

    Returns
    -------
    PathResult
        A :class:`PathSearch` (kind "descent" or "barrier"), or a
        :class:`~basins.landscape.records.PTPath` (kind "wide") when m ≥ N
        (Theorem 2's path); both read back with ``from_dict``.

    Raises
    ------
    InvalidArgument
        A non-positive perturbation or a too small ``images``/``per_segment``.

    References
    ----------
    Li, Ding & Sun, Definition 2, Proposition 1, Theorem 2; Proposition 4 and
    Theorems 4, 6, 7 for the cases that must come out blocked.

    Examples
    --------
    >>> from basins.constructions.choose import construct
    >>> r = search_path(construct("swish", x=[0.1, 2.0, 3.0], w=[1.0], v=[1.0]), iterations=100)
    >>> r.status, r.barrier > 0
    ('blocked', True)
    """
    if not (np.isfinite(perturbation) and perturbation > 0):
        raise InvalidArgument(f"perturbation={perturbation!r} must be a positive finite number")
    if images < 3 or per_segment < 1:
        raise InvalidArgument(f"images={images!r} must be ≥ 3 and per_segment={per_segment!r} ≥ 1")
    float_data(case, "the barrier search")
    act = case.activation
    model = case.model
    x, y, v, w = case.arrays()
    m, N = v.size, x.shape[0]
    c = case.output_bias
    if m >= N:
        if model.scalar:
            return wide_path([1, m, 1], act, x[None, :], y[None, :], [w[:, None], v[None, :]],
                             delta=perturbation, seed=seed)
        # SPEC §11: a hidden bias is one more input coordinate (x̃_n = (x_n, 1)); the output bias is held fixed
        Xt = engine.float_context(act).rows(x, model)
        wide = wide_path([model.D, m, 1], act, Xt.T, (y - (c or 0.0))[None, :], [w.reshape(m, model.D), v[None, :]],
                         delta=perturbation, seed=seed)
        wide.details["model"] = {**_model_dict(model), "note": (
            "Theorem 2's path on the inputs x̃_n (a hidden bias is the last input coordinate, equal to 1)"
            + (f"; the output bias c = {c!r} is held fixed: targets y − c" if c is not None else ""))}
        return wide
    net = _Net(act, x, y, model)
    theta = case.theta()
    rng = np.random.default_rng(seed)
    d = rng.standard_normal(theta.size)
    theta0 = theta + perturbation * d / np.linalg.norm(d)
    E_case = float(_loss_grad(net, theta[None])[0][0])
    if not np.isfinite(E_case):
        raise InvalidArgument(f"case {case.name or ''}: E(v, w) = {E_case} overflows float64 at the case's point "
                              f"(max |x| = {np.abs(x).max():.3g}, |y| = {np.abs(y).max():.3g}, |v| = "
                              f"{np.abs(v).max():.3g}, |w| = {np.abs(w).max():.3g}); the loss must be finite")
    tol = 1e-10 * max(1.0, abs(E_case))
    # 1. descent
    E_start = float(_loss_grad(net, theta0[None])[0][0])
    target = min(E_case, E_start) - tol
    pts = np.array(_descend(net, theta0, target, max_steps))
    dense, lam = _densify(pts, per_segment) if len(pts) > 1 else (pts, np.zeros(1))
    dE = net.deltas(theta, dense)
    start_d = float(dE[0])
    end_d = float(dE[-1])
    details: dict[str, Any] = {"theorem": case.theorem, "case": case.name or None, "seed": seed,
                               "descent_steps": len(pts) - 1}
    if len(pts) > 1 and end_d < min(0.0, start_d) - tol and check_strictly_decreasing(dE):
        return PathSearch("path", "descent", act, x, y, E_case, theta0, E_case + start_d, perturbation, pts, lam,
                          E_case + dE, None, E_case + end_d, True, details, model)
    if case.witness is None:
        raise InvalidArgument("case has no witness, so no lower point to search a path to")
    wit_parts = [np.asarray(case.witness.v, float), np.asarray(case.witness.w, float).ravel()]
    if model.output_bias:
        wit_parts.append(np.array([float(case.witness.c if case.witness.c is not None else (c or 0.0))]))
    wit = np.concatenate(wit_parts)
    # 2. paths to the witness: the straight segment and the string; keep the lower maximum
    string, history = _refined_string(net, theta, theta0, wit, images, iterations, max_images, per_segment)
    string = _polish(net, theta, string, polish, per_segment)
    details["string_refinements"] = [{"images": images * 2 ** k - (2 ** k - 1), "max_dE": h}
                                     for k, h in enumerate(history)]
    candidates = [("segment", np.vstack([theta0, wit]), per_segment * images), ("string", string, per_segment)]
    # via the witness's own valley: a string to where gradient descent from the witness ends, then back
    # up that descent (E there stays ≤ E(witness) < E(start)); helps when the witness is far away
    back = np.array(_descend(net, wit, -np.inf, max_steps))
    if len(back) > 1:
        back = back[np.unique(np.linspace(0, len(back) - 1, min(len(back), 200)).astype(int))]
        s2, _ = _refined_string(net, theta, theta0, back[-1], images, iterations, max_images, per_segment)
        s2 = _polish(net, theta, s2, polish, per_segment)
        candidates.append(("string to the witness's descent", np.vstack([s2, back[::-1][1:]]), per_segment))
    best: tuple[float, np.ndarray, np.ndarray, np.ndarray] | None = None
    for name, P, k in candidates:
        D, L = _densify(P, k)
        dl = net.deltas(theta, D)
        top = float(np.max(dl))
        details[f"{name} barrier"] = top - start_d
        if best is None or top < best[0]:
            best = (top, P, L, dl)
            details["path"] = name
    top, P, L, dl = best  # type: ignore[misc]
    strictly = check_strictly_decreasing(dl)
    status = "path" if strictly and float(dl[-1]) < min(0.0, start_d) - tol else "blocked"
    return PathSearch(status, "barrier", act, x, y, E_case, theta0, E_case + start_d, perturbation, P, L,
                      E_case + dl, top - start_d, E_case + end_d, strictly, details, model)


def check_searched(record: Mapping[str, Any], gen: Mapping[str, Any], kind: str, losses: np.ndarray,
                    checks: dict[str, bool]) -> None:
    """check_path for "descent" and "barrier": E at every stored λ on the polyline through the points."""
    pts = np.array([unhex(p) for p in gen["points"]])
    x, y = unhex(gen["x"]), unhex(gen["y"])
    act = as_activation(record["network"]["activations"][0])
    lambdas = np.asarray(record["lambdas"], dtype=float)
    model = read_model(gen)
    per = 1 + model.D
    if (pts.ndim != 2 or pts.shape[0] < 1 or (pts.shape[1] - int(model.output_bias)) % per
            or lambdas.ndim != 1 or lambdas.size < 1):
        raise ValueError(f"points with shape {pts.shape} and lambdas with shape {lambdas.shape}")
    net = _Net(act, x, y, model)
    E_start = net.loss(pts[0])
    # ΔE relative to the first point, without cancellation, at the vertices and at every stored λ
    dV = net.deltas(pts[0], pts)
    dD = net.deltas(pts[0], at_arc_length(pts, np.clip(lambdas, 0.0, 1.0)))
    E = E_start + dD
    tols = 1e-9 * np.maximum(1.0, np.abs(E)) + 1e-12     # on each recomputed loss

    def tol(value: float) -> float:
        return 1e-9 * max(1.0, abs(value)) + 1e-12

    checks["λ increases from 0 to 1"] = bool(lambdas.size >= 2 and lambdas[0] == 0 and abs(lambdas[-1] - 1) <= 1e-12
                                             and np.all(np.diff(lambdas) >= 0))
    checks["losses reproduce"] = bool(losses.shape == E.shape and np.all(np.abs(losses - E) <= tols))
    E_end = net.loss(pts[-1])
    checks["start loss reproduces"] = (agrees(record.get("start_loss"), E_start, 0.0, tol(E_start))
                                       and abs(E[0] - E_start) <= tol(E_start))
    checks["end loss reproduces"] = (agrees(record.get("end_loss"), E_end, 0.0, tol(E_end))
                                     and abs(E[-1] - E_end) <= tol(E_end))
    if kind == "descent":
        checks["strictly decreasing at the points"] = bool(pts.shape[0] >= 2 and np.all(np.diff(dV) < 0))
    if kind == "descent" or record.get("strictly_decreasing") is True:
        checks["strictly decreasing at the dense samples"] = bool(dD.size >= 2 and np.all(np.diff(dD) < 0))
    bar = record.get("barrier")
    if kind == "barrier" and not isinstance(bar, Mapping):
        checks["barrier recorded"] = False
    if isinstance(bar, Mapping):
        k = int(np.argmax(dD))
        top = float(E[k])
        checks["stored maximum agrees"] = agrees(bar.get("max_loss"), top, 0.0, tol(top))
        checks["no point above the stored maximum"] = bool(checks["stored maximum agrees"] and
                                                           np.all(E <= float(bar["max_loss"]) + tols))
        # the rise is a difference of cancellation-free ΔE: its own size sets the tolerance
        rise = float(dD[k] - dD[0])
        checks["barrier = max − start"] = agrees(bar.get("value"), rise, 0.0,
                                                  tol(rise) + 16 * _EPS * max(1.0, abs(top)))
        at = bar.get("at")
        checks["λ of the maximum agrees"] = bool(isinstance(at, (int, float)) and np.any(
            (lambdas == at) & (dD >= dD[k] - tol(top))))
