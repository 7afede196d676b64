"""What every backend's problem shares: the case, its certified metadata, the :class:`Problem` record.

A problem is a shipped (or saved) case seen as an optimisation problem:
θ = (v_1..v_m, w_1..w_m), E(θ) = ||y − ŷ||² with ŷ = Σ_i v_i σ(w_i x) (no
factor 1/2), the certified bad local minimum θ* and a witness of lower loss.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from basins.errors import InvalidArgument
from basins.io.case import Case, load_case

__all__ = ["Problem", "PARAMETER_ORDER", "resolve_case", "certified", "guarantees", "basin_radius",
           "theta_star", "witness_theta", "metadata"]

#: How θ is laid out, in words (the same for every backend and export).
PARAMETER_ORDER = "theta = (v_1..v_m, w_1..w_m)"


def resolve_case(case: "Case | str | os.PathLike[str]") -> Case:
    """A :class:`Case` from a Case, a shipped case's name or a case file's path."""
    if isinstance(case, Case):
        return case
    if not isinstance(case, (str, os.PathLike)):
        raise InvalidArgument(f"case={case!r} is neither a Case, a shipped case name nor a case file path")
    return load_case(case)


def certified(case: Case) -> bool:
    """Whether the case's certificate says ``status == "certified"``."""
    return isinstance(case.certificate, Mapping) and case.certificate.get("status") == "certified"


def guarantees(case: Case) -> dict[str, Any]:
    """The certificate's ``guarantees`` (basin radius, ...) as a dict; empty when there are none."""
    g = case.certificate.get("guarantees") if isinstance(case.certificate, Mapping) else None
    return dict(g) if isinstance(g, Mapping) else {}


def basin_radius(case: Case) -> float | None:
    """The certified basin radius ``certificate["guarantees"]["basin_radius"]``, or None when absent."""
    r = guarantees(case).get("basin_radius")
    if isinstance(r, bool) or not isinstance(r, (int, float, str)):
        return None
    try:
        value = float(r)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def theta_star(case: Case) -> np.ndarray:
    """θ* = (v, w) as a float64 array of length 2m."""
    return np.array(tuple(case.v) + tuple(case.w), dtype=np.float64)


def witness_theta(case: Case) -> np.ndarray | None:
    """The witness point (v, w) as a float64 array, or None when the case has no witness."""
    if case.witness is None:
        return None
    return np.array(tuple(case.witness.v) + tuple(case.witness.w), dtype=np.float64)


def metadata(case: Case) -> dict[str, Any]:
    """The certified metadata of a case as plain JSON data (what exports and ``cases show`` carry)."""
    cert = case.certificate if isinstance(case.certificate, Mapping) else {}
    return {
        "name": case.name,
        "theorem": case.theorem,
        "activation": case.activation.name,
        "activation_expression": case.activation.text,
        "model": "yhat = sum_i v_i sigma(w_i x)",
        "loss_function": "E(theta) = ||y - yhat||^2 (no factor 1/2)",
        "N": case.N,
        "d": 1,
        "m": case.m,
        "parameters": 2 * case.m,
        "parameter_order": PARAMETER_ORDER,
        "loss": float(case.loss),
        "witness_loss": None if case.witness is None else float(case.witness.loss),
        "certificate_status": cert.get("status"),
        "certificate_kind": cert.get("kind"),
        "certified": certified(case),
        "guarantees": guarantees(case),
    }


@dataclass(frozen=True)
class Problem:
    """A certified case as an optimisation problem in one backend's float64 arrays.

    Attributes
    ----------
    name, theorem : str
    backend : str
        "numpy", "torch" or "jax"; every array below is that backend's float64 array.
    x, y : array (N,)
    theta_star : array (2m,)
        The certified bad local minimum θ* = (v, w).
    witness : array (2m,) or None
        A point of strictly lower loss.
    certified : bool
        The certificate's status is "certified".
    guarantees : dict
        The certificate's guarantees (e.g. ``basin_radius``); empty when it has none.
    case : Case
        The case the problem was made from.
    """

    name: str
    theorem: str
    backend: str
    x: Any
    y: Any
    theta_star: Any
    witness: Any
    certified: bool
    guarantees: dict[str, Any]
    case: Case = field(repr=False)
    _loss: Callable[[Any], Any] = field(repr=False)
    _grad: Callable[[Any], Any] = field(repr=False)
    _hvp: Callable[[Any, Any], Any] = field(repr=False)

    @property
    def m(self) -> int:
        return self.case.m

    @property
    def N(self) -> int:
        return self.case.N

    @property
    def loss_star(self) -> float:
        """E(θ*) as stored in the case (float64)."""
        return float(self.case.loss)

    @property
    def basin_radius(self) -> float | None:
        """The certified basin radius, or None when the certificate gives none."""
        return basin_radius(self.case)

    def loss(self, theta: Any) -> Any:
        """E(θ) = ||y − ŷ||² (a 0-d backend array; a float for numpy)."""
        return self._loss(theta)

    def grad(self, theta: Any) -> Any:
        """∇E(θ), shape (2m,)."""
        return self._grad(theta)

    def hvp(self, theta: Any, u: Any) -> Any:
        """∇²E(θ) u, shape (2m,)."""
        return self._hvp(theta, u)
