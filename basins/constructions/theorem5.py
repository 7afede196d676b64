"""Theorem 5: a positively homogeneous σ has no basin, at any width, for any data.

If σ(αt) = ασ(t) for every α > 0 (ReLU, leaky ReLU, abs, the identity), the
path M ↦ (M·v, w/M), M > 0, keeps the network output, hence the loss,
constant, and ||M·v|| → ∞: no compact set can be a set-wise strict local
minimum.  When v = 0 the path (v, w + s·Δw) does the same.  Every
construction of basins refuses such σ through :func:`refuse_if_homogeneous`,
and :func:`flat_path` exhibits the path with the loss evaluated along it.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Theorem 5 and its proof in section 6 (arXiv:1812.11039).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import mpmath
import numpy as np

from basins.validate import vector
from basins.activations import Activation, as_activation
from basins.errors import InvalidArgument, NotApplicable
from basins.model.network import loss_mp

__all__ = ["HYPOTHESES", "refuse_if_homogeneous", "FlatPath", "flat_path", "DEFAULT_SCALES"]

THEOREM = "Theorem 5"

#: The hypothesis of Theorem 5 (under which no basin exists).
HYPOTHESES: dict[str, str] = {
    "positively homogeneous": "σ(αt) = ασ(t) for every t ∈ R and α > 0",
}

#: Scales M of the path (M·v, w/M) shown by default.
DEFAULT_SCALES: tuple[float, ...] = (1.0, 2.0, 10.0, 100.0, 1e3, 1e4, 1e6)


def refuse_if_homogeneous(activation: Activation | str, construction: str = "a bad basin") -> None:
    """Raise NotApplicable (hypothesis "σ is not positively homogeneous") for homogeneous σ.

    Examples
    --------
    >>> refuse_if_homogeneous("softplus")  # nothing happens
    >>> refuse_if_homogeneous("relu")
    Traceback (most recent call last):
    ...
    basins.errors.NotApplicable: activation='relu' is positively homogeneous ...

    References
    ----------
    Li, Ding & Sun, Theorem 5 (arXiv:1812.11039).
    """
    act = as_activation(activation)
    if act.is_positively_homogeneous:
        raise NotApplicable(
            f"activation={act.name!r} is positively homogeneous (σ(αt) = ασ(t) for α > 0): by Theorem 5 "
            f"of the paper its loss has no set-wise strict local minimum at any width and for any data, "
            f"so {construction} cannot exist; `basins explain --activation {act.name}` shows the flat "
            "path (M·v, w/M) that leaves every compact set",
            theorem=THEOREM, hypothesis="σ is not positively homogeneous")


@dataclass(frozen=True)
class FlatPath:
    """The flat path of Theorem 5 through (v, w), sampled at the scales M.

    ``points[k]`` is (v(M_k), w(M_k)) rounded to float for display; ``losses[k]``
    is E on the path itself, evaluated at 50 digits (as text) and ``norms[k]`` the Euclidean norm of the point.  ``kind`` is
    "(M·v, w/M)" or, when v = 0, "(v, w + (M − 1)·Δw)".
    """

    activation: Activation
    x: tuple[float, ...]
    y: tuple[float, ...]
    v: tuple[float, ...]
    w: tuple[float, ...]
    kind: str
    scales: tuple[float, ...]
    points: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    losses: tuple[str, ...]
    norms: tuple[float, ...]
    max_loss_change: float
    bias: bool = False
    output_bias: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "theorem": THEOREM, "activation": self.activation.text, "activation_name": self.activation.name,
            "x": _lists(self.x), "y": list(self.y), "v": list(self.v), "w": _lists(self.w), "path": self.kind,
            "rows": [{"M": M, "v": list(p[0]), "w": _lists(p[1]), "norm": n, "loss": e}
                     for M, p, n, e in zip(self.scales, self.points, self.norms, self.losses)],
            "max |E(M) - E(1)|": self.max_loss_change,
        }
        if self.bias or self.output_bias is not None or (self.x and isinstance(self.x[0], tuple)):
            d["bias"], d["output_bias"] = self.bias, self.output_bias
        return d


def _lists(a: Any) -> list:
    return [list(e) if isinstance(e, tuple) else e for e in a]


def _scales(scales: Any) -> np.ndarray:
    sc = vector("scales", scales)
    if np.any(sc <= 0):
        raise InvalidArgument(f"scales={sc.tolist()} must all be positive")
    return sc


def _sample_path(act: Activation, xs: Any, ys: Any, vs: np.ndarray, ws: np.ndarray, sc: np.ndarray, dps: int,
                 kw: dict[str, Any]) -> tuple[str, tuple, tuple[str, ...], float]:
    """The path's kind, its points (floats, for display) and E along it at ``dps`` digits."""
    if np.all(vs == 0):
        kind = "(v, w + (M − 1)·Δw), Δw = w or 1 (v = 0: the output is 0 for every w)"
        dw = ws if np.any(ws != 0) else np.ones(ws.shape)
        pts = tuple((tuple(vs.tolist()), _tuples(ws + (M - 1.0) * dw)) for M in sc)
    else:
        kind = "(M·v, w/M)"
        pts = tuple((tuple((M * vs).tolist()), _tuples(ws / M)) for M in sc)
    with mpmath.workdps(dps):
        # the path itself at dps digits (the float points above are only for display)
        mv = [mpmath.mpf(a) for a in vs]
        mw = np.vectorize(mpmath.mpf, otypes=[object])(ws)
        if kind == "(M·v, w/M)":
            mp_pts = [([mpmath.mpf(M) * a for a in mv], (mw / mpmath.mpf(M)).tolist()) for M in sc]
        else:
            mp_pts = [(mv, (mw + (mpmath.mpf(M) - 1) * np.vectorize(mpmath.mpf, otypes=[object])(dw)).tolist())
                      for M in sc]
        xa = xs.tolist() if isinstance(xs, np.ndarray) else xs
        losses = [loss_mp(act, xa, ys, p[0], p[1], dps, **kw) for p in mp_pts]
        base = loss_mp(act, xa, ys, vs, ws.tolist(), dps, **kw)
        change = max(float(abs(e - base)) for e in losses)
        texts = tuple(mpmath.nstr(e, 20) for e in losses)
    return kind, pts, texts, change


def _tuples(a: np.ndarray) -> tuple:
    return tuple(tuple(r) for r in a.tolist()) if a.ndim == 2 else tuple(a.tolist())


def _flat_path_general(act: Activation, x: Any, y: Any, v: Any, w: Any, *, scales: Any, width: int, seed: int,
                       dps: int, bias: bool, output_bias: float | None) -> "FlatPath":
    """:func:`flat_path` on the model of SPEC §11 (c is fixed along the path)."""
    from basins.model.engine import Model

    X = np.asarray(x, dtype=float) if not isinstance(x, str) else np.array([])
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.size == 0 or not np.all(np.isfinite(X)):
        raise InvalidArgument(f"x must be N rows of d finite numbers; got shape {X.shape}")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise InvalidArgument(f"width={width!r} must be a positive integer")
    model = Model(X.shape[1], bool(bias), output_bias is not None)
    rng = np.random.default_rng(seed)
    N, D = X.shape[0], model.D
    ys = rng.standard_normal(N) if y is None else vector("y", y, length=N)
    if w is not None:
        ws = np.asarray(w, dtype=float).reshape(-1, D) if np.size(w) % D == 0 else None
        if ws is None or not np.all(np.isfinite(ws)):
            raise InvalidArgument(f"w must be m rows of D = {D} finite numbers (d = {X.shape[1]}"
                                  f"{' + 1 for the hidden bias' if bias else ''})")
        m = ws.shape[0]
    else:
        m = width if v is None else vector("v", v).size
        ws = rng.standard_normal((m, D))
    vs = rng.standard_normal(m) if v is None else vector("v", v, length=m)
    c = None if output_bias is None else float(output_bias)
    kw = {"c": c, "model": model}
    kind, pts, texts, change = _sample_path(act, X, ys, vs, ws, _scales(scales), dps, kw)
    kind += ", c fixed" if c is not None else ""
    norms = tuple(float(np.linalg.norm(np.concatenate([np.ravel(p[0]), np.ravel(p[1])]))) for p in pts)
    return FlatPath(act, _tuples(X), tuple(np.asarray(ys).tolist()), tuple(vs.tolist()), _tuples(ws), kind,
                    tuple(_scales(scales).tolist()), pts, texts, norms, change, bool(bias), c)


def flat_path(
    activation: Activation | str,
    x: Sequence[float] | np.ndarray = (0.1, 2.0, 3.0),
    y: Sequence[float] | np.ndarray | None = None,
    v: Sequence[float] | np.ndarray | None = None,
    w: Sequence[float] | np.ndarray | None = None,
    *,
    scales: Sequence[float] = DEFAULT_SCALES,
    width: int = 2,
    seed: int = 0,
    dps: int = 50,
    bias: bool = False,
    output_bias: float | None = None,
) -> FlatPath:
    """The path (M·v, w/M) of Theorem 5, with the loss at ``dps`` digits along it.

    Parameters
    ----------
    activation : str or Activation
        Must be positively homogeneous (otherwise the path is not flat).
    x, y : sequence of float
        Data (y default: seeded standard normal).
    v, w : sequence of float, optional
        The starting point (default: seeded standard normal, ``width`` neurons).
    scales : sequence of float
        The M > 0 at which the path is sampled.
    seed : int
        Seed of the default y, v, w.
    bias, output_bias : bool, float or None
        The model of SPEC §11: x may be N rows of d inputs, each neuron may have a
        bias (w_i then has d + 1 entries, the bias last) and the output a bias c.
        The path is the same, (M·v, w/M) with c fixed: a hidden bias is one more
        input coordinate, and c does not move.

    Returns
    -------
    FlatPath

    Raises
    ------
    NotApplicable
        σ is not positively homogeneous (hypothesis "positively homogeneous").
    InvalidArgument
        Bad data or scales.

    Examples
    --------
    >>> path = flat_path("relu", x=[1, 2, 3], y=[0, 1, 0], v=[1.0], w=[0.5])
    >>> path.max_loss_change < 1e-40, path.norms[-1] > 1e5
    (True, True)

    Inputs in R², a hidden bias and an output bias (SPEC §11):

    >>> path = flat_path("relu", x=[[1, 2], [3, -1], [0.5, 0.5]], y=[0, 1, 0], bias=True, output_bias=0.25)
    >>> path.max_loss_change < 1e-40, len(path.w[0])
    (True, 3)

    References
    ----------
    Li, Ding & Sun, Theorem 5, equations (44)–(45) (arXiv:1812.11039).
    """
    act = as_activation(activation)
    if not act.is_positively_homogeneous:
        raise NotApplicable(
            f"activation={act.name!r} is not positively homogeneous ({HYPOTHESES['positively homogeneous']} "
            "fails), so the path (M·v, w/M) does not keep the loss constant; Theorem 5 does not apply",
            theorem=THEOREM, hypothesis="positively homogeneous")
    general = np.ndim(x) == 2 or bias or output_bias is not None
    if general:
        return _flat_path_general(act, x, y, v, w, scales=scales, width=width, seed=seed, dps=dps, bias=bias,
                                  output_bias=output_bias)
    xs = vector("x", x)
    rng = np.random.default_rng(seed)
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise InvalidArgument(f"width={width!r} must be a positive integer")
    ys = rng.standard_normal(xs.size) if y is None else vector("y", y, length=xs.size)
    m = width if w is None and v is None else (vector("w", w).size if w is not None else vector("v", v).size)
    ws = rng.standard_normal(m) if w is None else vector("w", w, length=m)
    vs = rng.standard_normal(m) if v is None else vector("v", v, length=m)
    sc = _scales(scales)
    kind, pts, texts, change = _sample_path(act, xs, ys, vs, ws, sc, dps, {})
    norms = tuple(float(np.linalg.norm(np.concatenate([p[0], p[1]]))) for p in pts)
    return FlatPath(act, tuple(xs.tolist()), tuple(ys.tolist()), tuple(vs.tolist()), tuple(ws.tolist()),
                    kind, tuple(sc.tolist()), pts, texts, norms, change)
