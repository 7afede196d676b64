"""Theorem 4: for any x (no zero, no repeated entry) and m < N, design σ with a bad basin.

Choose w with all pre-activations w_i x_j (and w_0 x_j) distinct, prescribe
the feature vectors so that Proposition 4's conditions hold with margins, and
build a C² activation that takes the prescribed values at the nodes t = w_i x_j:

    σ(w_i x_j) = z_ij,   σ′(w_i x_j) = z′_ij / x_j,   σ″(w_i x_j) = z″_ij / x_j²   (43)

The prescription (seeded): a random unit vector a; z_i random in a^⊥ and
z′_i = 0 (so S = span{z_j, z′_j} = span{z_j} ⊂ a^⊥ has dimension m < N even
for m = N − 1); z″_i = v_i a (so a·z″_i = v_i: condition 2 and the signs,
margin 1); z_0 = a at w_0 (condition 3, and the witness gains along a).
Any z′_i ∈ a^⊥ would do; z′_i = 0 (σ′ = 0 at the nodes) is chosen because the
floating-point verification differences σ(u + h) − σ(u) at pre-activations
u ~ 10⁵ (N = 50) lose about ulp(u)·|σ′(u)| to the rounding of u + h, which
would swamp ΔE ~ 10⁻¹² at the radius 10⁻⁶ unless σ′(u) = 0.  σ is the piecewise
quintic Hermite interpolant of (σ, σ′, σ″) between consecutive nodes (C² by
construction: values and first two derivatives agree at every node), extended
by its quadratic Taylor polynomials beyond the first and last node.  The
nodes are the float64 products fl(w_i·x_j), exactly what the network
evaluates, and all coefficients are exact rationals, so the exported
expression is self-contained and C² is decided exactly when it is read back
(:mod:`basins.activations.ppoly`).  The weights are scaled up so that neighbouring nodes
are far apart compared with the perturbations of the verification.

Then Proposition 4 (:func:`basins.constructions.prop4.construct_prop4`) gives y = ŷ − M a
and the witness.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Theorem 4 and its proof, equation (43), and Proposition 4
(arXiv:1812.11039).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from basins.validate import data_x, positive, width_below_samples
from basins.activations import Activation, parse_expression
from basins.io.case import Case
from basins.errors import InvalidArgument, NotApplicable
from basins.activations.ppoly import PiecewisePolynomial
from basins.constructions.prop4 import construct_prop4

__all__ = ["HYPOTHESES", "design_activation", "construct_theorem4", "hermite_quintic"]

THEOREM = "Theorem 4"

#: The hypotheses of Theorem 4, by the names used in errors and reports.
HYPOTHESES: dict[str, str] = {
    "x has no zero entry": "x has no zero entry",
    "x has no repeated entry": "x has no repeated entry",
    "width m < N": "the width m is below the number of samples N",
}

#: Smallest distance between neighbouring nodes, in units of max|x| (so a
#: perturbation |dw| ≤ 1e-2 moves a pre-activation by at most 1% of it).
MIN_GAP = 1.0


def hermite_quintic(h: Fraction, left: Sequence[Fraction], right: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """Coefficients (ascending powers of s = t − t_k) of the quintic on [t_k, t_k + h]
    with value, first and second derivative ``left`` at s = 0 and ``right`` at s = h.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> c = hermite_quintic(F(1), (F(0), F(0), F(0)), (F(1), F(0), F(0)))
    >>> [str(a) for a in c]   # the smoothstep 10s³ − 15s⁴ + 6s⁵
    ['0', '0', '0', '10', '-15', '6']
    """
    f0, f1, f2 = left
    g0, g1, g2 = right
    F0 = g0 - f0 - f1 * h - f2 * h * h / 2
    F1 = g1 - f1 - f2 * h
    F2 = g2 - f2
    c3 = (10 * F0 - 4 * F1 * h + F2 * h * h / 2) / h ** 3
    c4 = (-15 * F0 + 7 * F1 * h - F2 * h * h) / h ** 4
    c5 = (6 * F0 - 3 * F1 * h + F2 * h * h / 2) / h ** 5
    return (f0, f1, f2 / 2, c3, c4, c5)


def _spline(nodes: np.ndarray, data: np.ndarray) -> PiecewisePolynomial:
    """The C² piecewise quintic through (node, σ, σ′, σ″) rows, quadratic outside."""
    order = np.argsort(nodes, kind="stable")
    T = [Fraction(float(t)) for t in nodes[order]]
    D = [tuple(Fraction(float(a)) for a in row) for row in data[order]]
    coeffs: list[tuple[Fraction, ...]] = [(D[0][0], D[0][1], D[0][2] / 2)]
    centers = [T[0]]
    for k in range(len(T) - 1):
        coeffs.append(hermite_quintic(T[k + 1] - T[k], D[k], D[k + 1]))
        centers.append(T[k])
    coeffs.append((D[-1][0], D[-1][1], D[-1][2] / 2))
    centers.append(T[-1])
    return PiecewisePolynomial(tuple(T), tuple(centers), tuple(coeffs))


def _choose_w(x: np.ndarray, m: int, rng: np.random.Generator, trials: int) -> tuple[np.ndarray, float, float]:
    """Weights (m of them, then w_0) maximising the smallest gap between the nodes w_i x_j, scaled."""
    xmax = float(np.max(np.abs(x)))
    best: tuple[float, np.ndarray] | None = None
    for _ in range(trials):
        u = np.sort(rng.uniform(1.0, 2.0, m + 1))
        nodes = np.sort(np.outer(u, x).ravel())
        gap = float(np.min(np.diff(nodes))) if nodes.size > 1 else 1.0
        if best is None or gap > best[0]:
            best = (gap, u)
    assert best is not None
    gap, u = best
    if gap <= 0:
        raise InvalidArgument(f"x={x.tolist()}: no weights with distinct pre-activations found in {trials} trials")
    scale = 2.0 ** math.ceil(math.log2(MIN_GAP * xmax / gap)) if gap < MIN_GAP * xmax else 1.0
    return u * scale, gap * scale, scale


def design_activation(x: Sequence[float] | np.ndarray, width: int, *, seed: int = 0, trials: int = 200
                      ) -> tuple[Activation, dict[str, Any]]:
    """Design σ, w, v, w_0 and a for Theorem 4 (equation (43)); return σ and the design.

    Parameters
    ----------
    x : sequence of float
        N inputs, no zero and no repeated entry.
    width : int
        m < N.
    seed : int
        Seed of the prescription (a, z, z′, signs of v) and of the weights.
    trials : int
        Random weight vectors tried for the largest smallest node gap.

    Returns
    -------
    (Activation, dict)
        σ as a self-contained Piecewise expression (C², exact rational
        coefficients) and the design: ``w``, ``v``, ``w0``, ``a``, node
        statistics.

    Raises
    ------
    NotApplicable
        x has a zero or repeated entry, or m ≥ N.

    Examples
    --------
    >>> act, design = design_activation([1.0, 2.0, 3.0], 2, seed=0)
    >>> act.is_c2, design["nodes"], len(design["w"])
    (True, 9, 2)

    References
    ----------
    Li, Ding & Sun, Theorem 4, equation (43) (arXiv:1812.11039).
    """
    xs = data_x(x, theorem=THEOREM)
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)):
        raise InvalidArgument(f"width={width!r} must be a positive integer")
    m, N = int(width), xs.size
    width_below_samples(m, N)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(N)
    a /= np.linalg.norm(a)
    P = np.eye(N) - np.outer(a, a)                        # projector onto a^⊥
    Z = rng.standard_normal((m, N)) @ P                   # z_i ∈ a^⊥
    Z1 = np.zeros((m, N))                                 # z′_i = 0 ∈ S (see the module docstring)
    v = np.where(rng.random(m) < 0.5, -1.0, 1.0)
    Z2 = v[:, None] * a[None, :]                          # z″_i = v_i a
    wall, gap, scale = _choose_w(xs, m, rng, trials)
    w, w0 = wall[:m], float(wall[m])
    nodes = np.concatenate([np.outer(w, xs).ravel(), w0 * xs])     # the float products the network uses
    if np.unique(nodes).size != nodes.size:  # pragma: no cover - excluded by _choose_w's gap > 0
        raise InvalidArgument("two pre-activations coincide")
    data = np.concatenate([
        np.stack([Z, Z1 / xs, Z2 / xs ** 2], axis=-1).reshape(m * N, 3),
        np.stack([a, np.zeros(N), np.zeros(N)], axis=-1),          # z_0 = a, σ′ = σ″ = 0 at w_0 x_j
    ])
    spline = _spline(nodes, data)
    text = spline.to_text()
    expr = parse_expression(text, argument="designed activation")
    name = f"designed(Theorem 4, N={N}, m={m}, seed={seed})"
    act = Activation(name, expr)
    design = {
        "w": w.tolist(), "v": v.tolist(), "w0": w0, "a": a.tolist(),
        "nodes": int(nodes.size), "pieces": len(spline.coeffs),
        "smallest node gap": gap, "weight scale": scale,
        "node range": [float(nodes.min()), float(nodes.max())],
        "expression characters": len(text),
        "prescription": "a random unit vector; z_i random in a^⊥, z′_i = 0; z″_i = v_i a; z_0 = a at w_0; "
                        "σ(w_i x_j) = z_ij, σ′ = z′_ij/x_j, σ″ = z″_ij/x_j² (43)",
        "interpolant": "piecewise quintic Hermite between consecutive nodes (C²), quadratic Taylor "
                       "polynomial beyond the first and last node; exact rational coefficients",
    }
    return act, design


def construct_theorem4(
    activation: Activation | str | None = None,
    x: Sequence[float] | np.ndarray = (0.1, 2.0, 3.0),
    *,
    width: int | None = None,
    M: float | None = None,
    seed: int = 0,
    **ignored: Any,
) -> Case:
    """Design a C² activation and a bad basin for it (Theorem 4), via Proposition 4.

    Parameters
    ----------
    activation : None
        Theorem 4 designs its own σ; a given activation is refused (a sweep
        over a fixed σ must not count a designed one).
    x : sequence of float
        N inputs, no zero and no repeated entry.
    width : int, optional
        m < N (default N − 1, the widest narrow network).
    M : float, optional
        Scale in y = ŷ − M a; default max(1, ⌈2·M_threshold⌉) (a small M keeps the
        floating-point sampling accurate: its rounding error grows with the residual M a).
    seed : int
        Seed of the design.

    Returns
    -------
    Case
        ``theorem == "Theorem 4"``, its activation the designed σ (a
        self-contained expression); ``details["theorem 4"]`` holds the design.

    Raises
    ------
    NotApplicable
        x has a zero or repeated entry, m ≥ N, or an activation was given
        (hypothesis "σ is designed").
    InvalidArgument
        Other bad arguments (w, v or w0 given: the theorem designs them).

    Examples
    --------
    >>> case = construct_theorem4(x=[0.5, 1.0, 2.0, 3.0], width=2, seed=1)
    >>> case.theorem, case.m, case.activation.is_c2, case.witness.loss < case.loss
    ('Theorem 4', 2, True, True)

    References
    ----------
    Li, Ding & Sun, Theorem 4 and Proposition 4 (arXiv:1812.11039).
    """
    bad = {k: val for k, val in ignored.items() if k in ("w", "v", "w0") and val is not None}
    other = {k: val for k, val in ignored.items() if k not in ("w", "v", "w0", "trials")}
    if bad or other:
        raise InvalidArgument(f"{THEOREM} designs w, v and w_0 itself; it does not take "
                              f"{', '.join(f'{k}={val!r}' for k, val in {**bad, **other}.items())}")
    if activation is not None:
        name = getattr(activation, "name", activation)
        raise NotApplicable(
            f"{THEOREM} designs its own activation, so activation={name!r} cannot be used (hypothesis "
            "'σ is designed'); for a given σ use `basins construct --activation ...` (Theorem 6, 7 or "
            "Proposition 4), for a designed one `basins construct --theorem 4` without --activation",
            theorem=THEOREM, hypothesis="σ is designed")
    xs = data_x(x, theorem=THEOREM)
    m = xs.size - 1 if width is None else width
    act, design = design_activation(xs, m, seed=seed)
    a = np.array(design["a"])
    v = np.array(design["v"])
    from basins.model.network import features
    z, _, _ = features(act, xs, design["w"])
    z0 = act.numpy(0)(design["w0"] * xs)
    yhat = v @ z
    # Proposition 4's threshold for its a = â/max|â| (â = ±a): (|ŷ||z_0| + sign(a·z_0) ŷ·z_0)/|a·z_0|
    ap = a / np.max(np.abs(a))
    s = float(ap @ z0)
    thr = (float(np.linalg.norm(yhat) * np.linalg.norm(z0)) + math.copysign(1.0, s) * float(yhat @ z0)) / abs(s)
    Mv = max(1.0, float(math.ceil(2 * thr))) if M is None else positive("M", M)
    case = construct_prop4(act, xs, w=design["w"], v=design["v"], M=Mv, w0=design["w0"], seed=seed)
    details = dict(case.details)
    details["construction"] = "Theorem 4: σ designed by (43), then Proposition 4: " + str(details.get("construction", ""))
    details["theorem 4"] = {
        **design,
        "c2": "decided exactly: σ, σ′, σ″ of neighbouring pieces agree at every node (rational arithmetic)",
    }
    return case.with_(theorem=THEOREM, details=details)
