"""Theorem 6: one neuron at w = 0 has a bad basin when σ(0), σ′(0), σ″(0) ≠ 0.

With m = 1 and w = 0 the features are z = σ(0)·1, z′ = σ′(0)·x and
z″ = σ″(0)·x∘x: three rows of a Vandermonde matrix, so for N ≥ 3 inputs with
no zero and no repeated entry they are linearly independent.  Conditions 1
and 2 of Proposition 4 hold, condition 3 holds for w_0 close to 0, and
Proposition 4 gives y with a sub-optimal strict local minimum at (v, w = 0).

The three values at 0 are decided symbolically (exactly), never in floating
point; the rest is :func:`basins.constructions.prop4.construct_prop4` at w = 0.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Theorem 6 and its proof in section 6 (arXiv:1812.11039).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import sympy as sp

from basins.validate import data_x, vector
from basins.activations import Activation, as_activation
from basins.io.case import Case
from basins.errors import InvalidArgument, NotApplicable
from basins.constructions.prop4 import construct_prop4
from basins.constructions.theorem5 import refuse_if_homogeneous

__all__ = ["HYPOTHESES", "DEFAULT_X", "check_theorem6", "construct_theorem6"]

THEOREM = "Theorem 6"

#: The hypotheses of Theorem 6, by the names used in errors and reports.
HYPOTHESES: dict[str, str] = {
    "C2 at 0": "σ is twice continuously differentiable at 0",
    "σ(0) ≠ 0": "σ(0) ≠ 0 (so z = σ(0)·1 ≠ 0: condition 1)",
    "σ′(0) ≠ 0": "σ′(0) ≠ 0 (so z′ = σ′(0)·x is a Vandermonde row)",
    "σ″(0) ≠ 0": "σ″(0) ≠ 0 (so z″ = σ″(0)·x∘x is independent of S: condition 2)",
    "N ≥ 3": "at least three samples (z, z′, z″ independent)",
    "x has no zero entry": "x has no zero entry",
    "x has no repeated entry": "x has no repeated entry",
    "m = 1": "a single neuron, at w = 0",
}

#: Inputs used when the caller gives none.
DEFAULT_X: tuple[float, ...] = (1.0, 2.0, 3.0)

_GENERAL = ("use Proposition 4 instead (`basins construct --theorem prop4 --activation ...`), "
            "which searches for a w where its conditions hold")


def _not_applicable(hypothesis: str, detail: str) -> NotApplicable:
    return NotApplicable(f"{THEOREM} needs {HYPOTHESES[hypothesis]} (hypothesis {hypothesis!r}); {detail}; {_GENERAL}",
                         theorem=THEOREM, hypothesis=hypothesis)


def check_theorem6(activation: Activation | str) -> dict[str, str]:
    """Decide the hypotheses of Theorem 6 on σ exactly; return σ(0), σ′(0), σ″(0) as text.

    Parameters
    ----------
    activation : str or Activation

    Returns
    -------
    dict
        ``{"σ(0)": ..., "σ′(0)": ..., "σ″(0)": ...}`` (exact sympy values as text).

    Raises
    ------
    NotApplicable
        Naming the first hypothesis that fails (``.hypothesis``), e.g.
        "σ(0) ≠ 0" for tanh, and pointing to Proposition 4.

    Examples
    --------
    >>> check_theorem6("softplus")
    {'σ(0)': 'log(2)', 'σ′(0)': '1/2', 'σ″(0)': '1/4'}

    References
    ----------
    Li, Ding & Sun, Theorem 6 (arXiv:1812.11039).
    """
    act = as_activation(activation)
    refuse_if_homogeneous(act)
    values = act.derivatives_at_zero()
    names = ("σ(0)", "σ′(0)", "σ″(0)")
    for name, val in zip(names, values):
        if val is None:
            raise _not_applicable("C2 at 0", f"activation={act.name!r} has no continuous {name} at t = 0")
    if any(p == 0 for p in act.nonsmooth_points):
        raise _not_applicable("C2 at 0", f"activation={act.name!r} is not C² at t = 0")
    for name, val in zip(names, values):
        zero = sp.simplify(val) == 0
        if zero:
            raise _not_applicable(f"{name} ≠ 0", f"activation={act.name!r} has {name} = {val}")
        if val is None or not (val.is_real is not False and val.is_finite is not False):
            raise _not_applicable("C2 at 0", f"activation={act.name!r} has {name} = {val}")
    return {name: str(val) for name, val in zip(names, values)}


def construct_theorem6(
    activation: Activation | str,
    x: Sequence[float] | np.ndarray = DEFAULT_X,
    *,
    v: Sequence[float] | np.ndarray | None = None,
    width: int | None = None,
    w: Sequence[float] | np.ndarray | None = None,
    M: float = 100.0,
    w0: float | None = None,
    seed: int = 0,
    **ignored: Any,
) -> Case:
    """Build the bad basin of Theorem 6: one neuron at w = 0, y = ŷ − M a.

    Parameters
    ----------
    activation : str or Activation
        C² at 0 with σ(0), σ′(0), σ″(0) ≠ 0 (decided symbolically): softplus,
        exp, shifted_sigmoid, ... but not swish, tanh or sigmoid.
    x : sequence of float
        N ≥ 3 inputs, no zero and no repeated entry (default (1, 2, 3)).
    v : sequence of one float, optional
        The output weight; only its sign matters (default: the sign of a·z″).
    width, w : optional
        Accepted only as ``width=1`` and ``w=[0]`` (the theorem fixes both).
    M : float
        Scale in y = ŷ − M a (> 0); must exceed the sub-optimality threshold.
    w0 : float, optional
        Weight of the witness neuron (default: chosen on a grid by Proposition 4).
    seed : int
        Passed to Proposition 4 (only used if its witness needs a descent).

    Returns
    -------
    Case
        ``theorem == "Theorem 6"``; ``details["theorem 6"]`` holds the exact
        σ(0), σ′(0), σ″(0) and the hypotheses; the rest is as in Proposition 4.

    Raises
    ------
    NotApplicable
        A hypothesis of Theorem 6 fails; the message names it and points to
        Proposition 4.
    InvalidArgument
        A badly formed argument (named with its value).

    Examples
    --------
    >>> case = construct_theorem6("softplus", (1, 2, 3))
    >>> case.theorem, case.w, case.witness.loss < case.loss
    ('Theorem 6', (0.0,), True)

    References
    ----------
    Li, Ding & Sun, Theorem 6 and Proposition 4 (arXiv:1812.11039).
    """
    act = as_activation(activation)
    exact = check_theorem6(act)
    if ignored:
        raise InvalidArgument(f"{THEOREM} does not take {', '.join(f'{k}={v!r}' for k, v in ignored.items())}")
    if width is not None and width != 1:
        raise _not_applicable("m = 1", f"width={width!r} was given")
    if w is not None:
        w_arr = vector("w", w)
        if w_arr.size != 1 or w_arr[0] != 0:
            raise _not_applicable("m = 1", f"w={w_arr.tolist()} was given, but the theorem places its neuron at w = 0")
    if v is not None and vector("v", v).size != 1:
        raise _not_applicable("m = 1", f"v={list(np.atleast_1d(v))} has more than one entry")
    xs = data_x(x, theorem=THEOREM)
    if xs.size < 3:
        raise _not_applicable("N ≥ 3", f"x={xs.tolist()} has only N = {xs.size} entries")
    case = construct_prop4(act, xs, w=[0.0], v=v, M=M, w0=w0, seed=seed)
    details = dict(case.details)
    details["construction"] = ("Theorem 6: w = 0, so z = σ(0)·1, z′ = σ′(0)·x, z″ = σ″(0)·x∘x (Vandermonde); "
                               "then Proposition 4: " + str(details.get("construction", "")))
    details["theorem 6"] = {
        "values at 0 (exact)": exact,
        "hypotheses": {k: {"holds": True, "what": h} for k, h in HYPOTHESES.items()},
    }
    return case.with_(theorem=THEOREM, details=details)
