"""The path record ``basins.path/1`` shared by Property PT paths and searched paths: its schema tag,
the one result type of Property PT (:class:`PathResult`), the constructive path record
:class:`PTPath`, exact float.hex copies of arrays, and the comparison of a stored figure with a
recomputed one."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from basins.errors import BasinsError, CaseFormatError
from basins.io.case import write_json_atomic
from basins.io.records import validate_record
from basins.model.deep import DeepNetwork, deep_network

__all__ = ["PATH_SCHEMA", "PathResult", "ArrayEq", "PTPath", "hex_array", "unhex", "agrees"]

PATH_SCHEMA = "basins.path/1"


@runtime_checkable
class PathResult(Protocol):
    """What Property PT returns, whichever way the path was found (:func:`basins.landscape.barrier.search_path`).

    ``kind`` says how: "wide" or "pyramid" (constructive, :class:`PTPath`, Theorems 2 and 3),
    "descent" or "barrier" (searched, :class:`basins.landscape.barrier.PathSearch`); ``status`` is
    "path", "blocked" or "failed"; ``to_dict`` gives the ``basins.path/1`` record and each class
    reads it back with ``from_dict``.
    """

    @property
    def kind(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def start_loss(self) -> float: ...

    @property
    def end_loss(self) -> float: ...

    @property
    def details(self) -> dict: ...

    def to_dict(self) -> dict[str, Any]: ...

    def to_json(self, indent: int | None = None) -> str: ...

    def save(self, path: str) -> None: ...


class ArrayEq:
    """Equality of a dataclass record whose fields hold arrays: equal shapes and entries, field by field."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self) if f.compare)  # type: ignore[arg-type]

    __hash__ = None  # type: ignore[assignment]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.asarray(a).shape == np.asarray(b).shape and np.array_equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


@dataclass(frozen=True, eq=False)
class PTPath(ArrayEq):
    """A strictly decreasing path to the global infimum, with its numerical check.

    Attributes
    ----------
    kind : str
        "wide" (Theorem 2) or "pyramid" (Theorem 3/8).
    network : DeepNetwork
    X, Y : ndarray
        Data, (d_0, N) and (d_out, N).
    start, perturbed : tuple of ndarray
        W^o and the perturbed W^p.
    layer : int
        The only layer the path changes (1-based: h0 + 1).
    end_layer : ndarray
        W_{h0+1}(1).
    delta, perturbation, sigma_min : float
        Allowed and used perturbation size (Frobenius norm), and the smallest
        singular value of T_{h0} at W^p.
    lambdas, losses, predicted : ndarray
        Samples of λ, E(W(λ)) by the forward pass, and (1 − λ)² E(W^p).
    rounding_floor : float
        Bound on the rounding error of each computed loss.
    strictly_decreasing : bool
        Every consecutive pair whose predicted gap exceeds twice the floor decreases.
    unresolved_steps : int
        Consecutive pairs with predicted gap below twice the floor (not checked).
    end_loss_ok : bool
        E(W(1)) ≤ rounding floor, i.e. 0 = inf E up to rounding.
    """

    kind: str
    theorem: str
    network: DeepNetwork
    X: np.ndarray
    Y: np.ndarray
    start: tuple[np.ndarray, ...]
    perturbed: tuple[np.ndarray, ...]
    layer: int
    end_layer: np.ndarray
    delta: float
    perturbation: float
    perturbed_layers: tuple[int, ...]
    sigma_min: float
    lambdas: np.ndarray
    losses: np.ndarray
    predicted: np.ndarray
    rounding_floor: float
    strictly_decreasing: bool
    unresolved_steps: int
    end_loss_ok: bool
    details: dict = field(default_factory=dict)

    @property
    def start_loss(self) -> float:
        return float(self.losses[0])

    @property
    def end_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def undecided(self) -> bool:
        """No step's predicted decrease exceeded the rounding floor: the check resolved nothing."""
        return bool(self.unresolved_steps >= self.lambdas.size - 1)

    @property
    def verified(self) -> bool:
        return bool(self.strictly_decreasing and self.end_loss_ok and not self.undecided)

    @property
    def status(self) -> str:
        """"path" (verified), "undecided" (nothing resolved, nothing contradicted) or "failed"."""
        if self.verified:
            return "path"
        return "undecided" if self.undecided and self.strictly_decreasing and self.end_loss_ok else "failed"

    def to_dict(self, *, include_weights: bool = True) -> dict[str, Any]:
        """The ``basins.path/1`` record (see the module docstring)."""
        d: dict[str, Any] = {
            "schema": PATH_SCHEMA,
            "kind": self.kind,
            "status": self.status,
            "theorem": self.theorem,
            "network": self.network.to_dict(),
            "N": int(self.X.shape[1]),
            "lambdas": self.lambdas.tolist(),
            "losses": self.losses.tolist(),
            "predicted": self.predicted.tolist(),
            "start_loss": self.start_loss,
            "end_loss": self.end_loss,
            "infimum": 0.0,
            "strictly_decreasing": self.strictly_decreasing,
            "end_loss_ok": self.end_loss_ok,
            "unresolved_steps": self.unresolved_steps,
            "rounding_floor": self.rounding_floor,
            "perturbation": {"delta": self.delta, "size": self.perturbation, "sigma_min": self.sigma_min,
                             "layers": list(self.perturbed_layers)},
            "barrier": None,
            "verification": {"path": "verified numerically", "undecided": "undecided"}.get(self.status, "failed"),
            "details": self.details,
        }
        gen: dict[str, Any] = {
            "formula": ("W_{H+1}(λ) = W^p_{H+1} + λ (Y − Ŷ^p) T_H^+, other layers W^p" if self.kind == "wide"
                        else "(76): W_{h0+1}(λ) from Ŷ(λ) = (1−λ)Ŷ^p + λY through right inverses of "
                             "W^p_{h0+2..H+1}, σ_h^{-1} and the left inverse of T_{h0}; other layers W^p"),
            "changed_layer": self.layer,
        }
        if include_weights:
            gen.update(X=hex_array(self.X), Y=hex_array(self.Y),
                       perturbed_weights=[hex_array(W) for W in self.perturbed],
                       end_layer=hex_array(self.end_layer), start_weights=[hex_array(W) for W in self.start])
        d["generator"] = gen
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "path") -> "PTPath":
        """The path of :meth:`to_dict` (written with its weights), exactly; validated against ``path-1.json``.

        Raises CaseFormatError for a malformed record, a searched path ("descent", "barrier": see
        :meth:`basins.landscape.barrier.PathSearch.from_dict`) or one written without its weights.
        """
        validate_record(d, "path", source=source)
        if d["kind"] not in ("wide", "pyramid"):
            raise CaseFormatError(f"{source}: kind={d['kind']!r} is a searched path, not a constructive one")
        gen = d["generator"]
        missing = [k for k in ("X", "Y", "perturbed_weights", "end_layer") if k not in gen]
        if missing:
            raise CaseFormatError(f"{source}: generator has no {', '.join(missing)} (written without weights): "
                                  "the path cannot be rebuilt")
        p = d["perturbation"]
        details = dict(d.get("details") or {})
        if "start_weights" not in gen:          # an older file: W^o was not stored, W^p stands in for it
            details["start"] = "not stored in the file: W^p stands in for W^o"
        try:
            net = deep_network(d["network"]["widths"], d["network"]["activations"])
            perturbed = tuple(unhex(W) for W in gen["perturbed_weights"])
            start = tuple(unhex(W) for W in gen["start_weights"]) if "start_weights" in gen else perturbed
            arrays: list[Any] = [unhex(gen["X"]), unhex(gen["Y"]), start, perturbed, unhex(gen["end_layer"])]
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError, BasinsError) as exc:
            raise CaseFormatError(f"{source}: generator: {type(exc).__name__}: {exc}") from None
        X, Y, start, perturbed, end_layer = arrays
        end_ok = d.get("end_loss_ok")
        if end_ok is None:           # older files: verified = strictly decreasing and end loss 0
            end_ok = d.get("verification") == "verified numerically"
        try:
            return cls(str(d["kind"]), str(d.get("theorem") or ""), net, X, Y, start, perturbed,
                       int(gen["changed_layer"]), end_layer, float(p["delta"]), float(p["size"]),
                       tuple(int(k) for k in p["layers"]), float(p["sigma_min"]),
                       np.asarray(d["lambdas"], dtype=float), np.asarray(d["losses"], dtype=float),
                       np.asarray(d["predicted"], dtype=float), float(d["rounding_floor"]),
                       bool(d["strictly_decreasing"]), int(d["unresolved_steps"]), bool(end_ok), details)
        except (TypeError, ValueError, KeyError, ArithmeticError) as exc:
            raise CaseFormatError(f"{source}: {type(exc).__name__}: {exc}") from None

    def to_json(self, indent: int | None = None, *, include_weights: bool = True) -> str:
        return json.dumps(self.to_dict(include_weights=include_weights), indent=indent, allow_nan=False,
                          ensure_ascii=False)

    def save(self, path: str, *, include_weights: bool = True) -> None:
        """Write the path file atomically."""
        write_json_atomic(path, self.to_json(include_weights=include_weights))



def hex_array(a: Any) -> Any:
    """Nested lists of float.hex strings (exact copy of a float64 array)."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 0:
        return float(arr).hex()
    return [hex_array(r) for r in arr] if arr.ndim > 1 else [float(v).hex() for v in arr]


def unhex(a: Any) -> np.ndarray:
    """The array of :func:`hex_array`'s output, exactly.

    Raises CaseFormatError (a ValueError) for anything else: a string that is not the float.hex of a
    finite float64 (``0x1p2000`` overflows), a value that is neither a string nor a list, or ragged lists.

    >>> unhex(["0x1.8p+1", "-0x0.0p+0"])
    array([ 3., -0.])
    """
    if isinstance(a, str):
        try:
            f = float.fromhex(a)
        except (ValueError, OverflowError):
            raise CaseFormatError(f"{a[:40]!r} is not the float.hex string of a float64") from None
        if not np.isfinite(f):
            raise CaseFormatError(f"{a[:40]!r} is not finite (stored weights and data are finite float64)")
        return np.array(f)
    if not isinstance(a, list):
        raise CaseFormatError(f"{type(a).__name__} where a float.hex string or a list of them was expected")
    try:
        return np.array([unhex(b) for b in a], dtype=float)
    except ValueError as exc:
        if isinstance(exc, CaseFormatError):
            raise
        raise CaseFormatError("ragged lists where an array of float.hex strings was expected") from None


def agrees(stored: Any, value: float, rtol: float, atol: float) -> bool:
    """A stored number (maybe missing or not a number) within rtol·|value| + atol of a recomputed one."""
    if isinstance(stored, bool) or not isinstance(stored, (int, float)):
        return False
    return bool(np.isfinite(stored) and abs(float(stored) - value) <= rtol * abs(value) + atol)
