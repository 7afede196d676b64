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

    def to_dict(self) -> dict[str, Any]:
        return {
            "theorem": THEOREM, "activation": self.activation.text, "activation_name": self.activation.name,
            "x": list(self.x), "y": list(self.y), "v": list(self.v), "w": list(self.w), "path": self.kind,
            "rows": [{"M": M, "v": list(p[0]), "w": list(p[1]), "norm": n, "loss": e}
                     for M, p, n, e in zip(self.scales, self.points, self.norms, self.losses)],
            "max |E(M) - E(1)|": self.max_loss_change,
        }


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
    xs = vector("x", x)
    rng = np.random.default_rng(seed)
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise InvalidArgument(f"width={width!r} must be a positive integer")
    ys = rng.standard_normal(xs.size) if y is None else vector("y", y, length=xs.size)
    m = width if w is None and v is None else (vector("w", w).size if w is not None else vector("v", v).size)
    ws = rng.standard_normal(m) if w is None else vector("w", w, length=m)
    vs = rng.standard_normal(m) if v is None else vector("v", v, length=m)
    sc = vector("scales", scales)
    if np.any(sc <= 0):
        raise InvalidArgument(f"scales={sc.tolist()} must all be positive")
    if np.all(vs == 0):
        kind = "(v, w + (M − 1)·Δw), Δw = w or 1 (v = 0: the output is 0 for every w)"
        dw = ws if np.any(ws != 0) else np.ones(m)
        pts = tuple((tuple(vs.tolist()), tuple((ws + (M - 1.0) * dw).tolist())) for M in sc)
    else:
        kind = "(M·v, w/M)"
        pts = tuple((tuple((M * vs).tolist()), tuple((ws / M).tolist())) for M in sc)
    with mpmath.workdps(dps):
        # the path itself at dps digits (the float points above are only for display)
        mv, mw = [mpmath.mpf(a) for a in vs], [mpmath.mpf(a) for a in ws]
        if kind == "(M·v, w/M)":
            mp_pts = [([mpmath.mpf(M) * a for a in mv], [a / mpmath.mpf(M) for a in mw]) for M in sc]
        else:
            mp_pts = [(mv, [a + (mpmath.mpf(M) - 1) * mpmath.mpf(d) for a, d in zip(mw, dw)]) for M in sc]
        losses = [loss_mp(act, xs, ys, p[0], p[1], dps) for p in mp_pts]
        base = loss_mp(act, xs, ys, vs, ws, dps)
        change = max(float(abs(e - base)) for e in losses)
        texts = tuple(mpmath.nstr(e, 20) for e in losses)
    norms = tuple(float(np.linalg.norm(np.concatenate([p[0], p[1]]))) for p in pts)
    return FlatPath(act, tuple(xs.tolist()), tuple(ys.tolist()), tuple(vs.tolist()), tuple(ws.tolist()),
                    kind, tuple(sc.tolist()), pts, texts, norms, change)
