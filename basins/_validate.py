"""Argument checks shared by the constructions (errors name argument and value)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidArgument, NotApplicable

__all__ = ["vector", "data_x", "positive", "width_below_samples"]


def _show(value: Any) -> str:
    text = repr(value if not isinstance(value, np.ndarray) else value.tolist())
    return text if len(text) <= 120 else text[:117] + "..."


def vector(name: str, value: Any, *, length: int | None = None) -> np.ndarray:
    """A finite 1-D float64 array, or InvalidArgument naming ``name``."""
    if isinstance(value, str):
        raise InvalidArgument(f"{name}={value!r} must be a sequence of numbers")
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}={_show(value)} must be a sequence of numbers") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidArgument(f"{name}={_show(value)} must be a non-empty 1-D sequence of numbers")
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(f"{name}={_show(value)} has a NaN or infinite entry")
    if length is not None and arr.size != length:
        raise InvalidArgument(f"{name}={_show(value)} has {arr.size} entries, expected {length}")
    return arr


def data_x(value: Any, *, theorem: str = "Proposition 4") -> np.ndarray:
    """Inputs x: finite, no zero entry, no repeated entry."""
    x = vector("x", value)
    if np.any(x == 0):
        raise NotApplicable(
            f"x={_show(x)} has a zero entry; {theorem} needs inputs with no zero entry "
            "(σ′ and σ″ enter the features through x∘σ′(wx), x∘x∘σ″(wx))",
            theorem=theorem, hypothesis="x has no zero entry")
    if np.unique(x).size != x.size:
        raise NotApplicable(
            f"x={_show(x)} has a repeated entry; {theorem} needs distinct inputs",
            theorem=theorem, hypothesis="x has no repeated entry")
    return x


def positive(name: str, value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}={value!r} must be a positive number") from None
    if not np.isfinite(f) or f <= 0:
        raise InvalidArgument(f"{name}={value!r} must be a positive finite number")
    return f


def width_below_samples(m: int, n: int) -> None:
    """Bad basins need m < N; at m ≥ N the paper's Theorem 2 rules them out."""
    if m < 1:
        raise InvalidArgument(f"width={m!r} must be at least 1")
    if m >= n:
        raise NotApplicable(
            f"width={m} is not below the number of samples N={n}: by Theorem 2 of the paper "
            "(last hidden layer with ≥ N neurons) the loss has no sub-optimal basin; "
            "use `basins pt` for the decreasing path instead",
            theorem="Theorem 2", hypothesis="width m < N")
