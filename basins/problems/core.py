"""What every backend's problem shares: the case, its certified metadata, the :class:`Problem` record.

A problem is a shipped (or saved) case seen as an optimisation problem:
θ = (v_1..v_m, w_1..w_m), E(θ) = ||y − ŷ||² with ŷ = Σ_i v_i σ(w_i x) (no
factor 1/2), the certified bad local minimum θ* and a witness of lower loss.
For a case of the model of SPEC §11 ("basins.case/2"), x is (N, d),
ŷ_n = Σ_i v_i σ(w_i·x̃_n) + c and θ = (v_1..v_m, w_1[1..D], …, w_m[1..D][, c])
(:func:`parameter_order`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from basins.errors import InvalidArgument
from basins.io.case import Case, load_case
from basins.validate import float_data

__all__ = ["Problem", "PARAMETER_ORDER", "parameter_order", "model_formula", "resolve_case", "certified", "guarantees", "basin_radius",
           "theta_star", "witness_theta", "metadata"]

#: How θ is laid out, in words (the same for every backend and export).
PARAMETER_ORDER = "theta = (v_1..v_m, w_1..w_m)"


def parameter_order(case: Case) -> str:
    """How θ is laid out for this case, in words (:data:`PARAMETER_ORDER` for the paper's model).

    Examples
    --------
    >>> from basins.activations import as_activation
    >>> c = Case(as_activation("tanh"), x=((1.0, 2.0),), y=(0.0,), v=(1.0,), w=((0.5, 0.5, 0.1),),
    ...          theorem="-", loss=0.0, bias=True, output_bias=0.0)
    >>> parameter_order(c)
    'theta = (v_1..v_m, w_1[1..3], ..., w_m[1..3], c); w_i[3] is the hidden bias'
    """
    model = case.model
    if model.scalar:
        return PARAMETER_ORDER
    D = model.D
    text = f"theta = (v_1..v_m, w_1[1..{D}], ..., w_m[1..{D}]{', c' if model.output_bias else ''})"
    return text + (f"; w_i[{D}] is the hidden bias" if model.hidden_bias else "")


def model_formula(case: Case) -> str:
    """The network's formula in plain text."""
    model = case.model
    if model.scalar:
        return "yhat = sum_i v_i sigma(w_i x)"
    xt = "(x_n, 1)" if model.hidden_bias else "x_n"
    return f"yhat_n = sum_i v_i sigma(w_i . {xt}){' + c' if model.output_bias else ''}, x_n in R^{model.input_dim}"


def resolve_case(case: "Case | str | os.PathLike[str]") -> Case:
    """A :class:`Case` from a Case, a shipped case's name or a case file's path."""
    if not isinstance(case, (Case, str, os.PathLike)):
        raise InvalidArgument(f"case={case!r} is neither a Case, a shipped case name nor a case file path")
    out = case if isinstance(case, Case) else load_case(case)
    float_data(out, "a problem for numpy, torch or jax")
    return out


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
    """θ* = (v, w) as a float64 array of length 2m (SPEC §11: (v, w_1..w_m[, c]), :func:`parameter_order`)."""
    if not case.model.scalar:
        return case.theta()
    return np.array(tuple(case.v) + tuple(case.w), dtype=np.float64)


def witness_theta(case: Case) -> np.ndarray | None:
    """The witness point (v, w) as a float64 array, or None when the case has no witness."""
    wit = case.witness
    if wit is None:
        return None
    if not case.model.scalar:
        parts = [np.asarray(wit.v, dtype=np.float64), np.asarray(wit.w, dtype=np.float64).ravel()]
        if case.output_bias is not None:
            parts.append(np.array([wit.c if wit.c is not None else case.output_bias], dtype=np.float64))
        return np.concatenate(parts)
    return np.array(tuple(wit.v) + tuple(wit.w), dtype=np.float64)


def metadata(case: Case) -> dict[str, Any]:
    """The certified metadata of a case as plain JSON data (what exports and ``cases show`` carry)."""
    cert = case.certificate if isinstance(case.certificate, Mapping) else {}
    return {
        "name": case.name,
        "theorem": case.theorem,
        "activation": case.activation.name,
        "activation_expression": case.activation.text,
        "model": model_formula(case),
        "loss_function": "E(theta) = ||y - yhat||^2 (no factor 1/2)",
        "N": case.N,
        "d": case.d,
        **({} if case.model.scalar else {"hidden_bias": bool(case.bias), "output_bias": case.output_bias is not None}),
        "m": case.m,
        "parameters": case.model.n_params(case.m),
        "parameter_order": parameter_order(case),
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
        (x is (N, d) for the model of SPEC §11.)
    theta_star : array (2m,)
        The certified bad local minimum θ* = (v, w) (SPEC §11: :func:`parameter_order`, ``n_params`` entries).
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
    def n_params(self) -> int:
        """The length of θ: 2m for the paper's model, m(1 + D) (+ 1) for SPEC §11."""
        return self.case.model.n_params(self.case.m)

    @property
    def parameter_order(self) -> str:
        """How θ is laid out, in words."""
        return parameter_order(self.case)

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
        """∇E(θ), shape (n_params,)."""
        return self._grad(theta)

    def hvp(self, theta: Any, u: Any) -> Any:
        """∇²E(θ) u, shape (n_params,)."""
        return self._hvp(theta, u)
