"""Certified cases as optimisation problems, in numpy, torch or jax (``basins.problems``).

>>> from basins import problems
>>> p = problems.load("example2_swish")
>>> abs(p.loss(p.theta_star) - p.case.loss) <= 1e-12 * p.case.loss
True
>>> p.grad(p.theta_star).shape, p.certified
((2,), True)

``load(name_or_path, backend="numpy"|"torch"|"jax")`` returns a
:class:`Problem`: ``theta_star``, ``witness``, ``x``, ``y``, ``loss(θ)``,
``grad(θ)``, ``hvp(θ, u)`` in the backend's float64 arrays, with θ = (v, w) (for a case of
the model of SPEC §11, θ = (v, w_1[1..D], …, w_m[1..D][, c]): ``Problem.parameter_order``),
E(θ) = ||y − ŷ||² (no factor 1/2), and the certified metadata (``certified``,
``guarantees``, ``name``, ``theorem``).  numpy uses the closed forms of
:mod:`basins.model.network`; torch and jax (extras ``basins[torch]``,
``basins[jax]``) differentiate their own loss.
"""

from __future__ import annotations

import os

from basins.errors import InvalidArgument
from basins.io.case import Case
from basins.problems.backends import BACKENDS
from basins.problems.core import PARAMETER_ORDER, Problem, basin_radius, metadata, resolve_case

__all__ = ["load", "Problem", "BACKENDS", "PARAMETER_ORDER", "metadata", "basin_radius", "resolve_case"]


def load(name_or_path: "str | os.PathLike[str] | Case", backend: str = "numpy") -> Problem:
    """The problem of a shipped case (by name), a case file (by path) or a :class:`Case`, in ``backend``."""
    if backend not in BACKENDS:
        raise InvalidArgument(f"backend={backend!r} is not one of {', '.join(BACKENDS)}")
    return BACKENDS[backend](resolve_case(name_or_path))
