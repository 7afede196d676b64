"""The path record ``basins.path/1`` shared by Property PT paths and searched paths: its schema tag,
exact float.hex copies of arrays, and the comparison of a stored figure with a recomputed one."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PATH_SCHEMA", "hex_array", "unhex", "agrees"]

PATH_SCHEMA = "basins.path/1"


def hex_array(a: Any) -> Any:
    """Nested lists of float.hex strings (exact copy of a float64 array)."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 0:
        return float(arr).hex()
    return [hex_array(r) for r in arr] if arr.ndim > 1 else [float(v).hex() for v in arr]


def unhex(a: Any) -> np.ndarray:
    """The array of :func:`hex_array`'s output, exactly."""
    if isinstance(a, str):
        return np.array(float.fromhex(a))
    return np.array([unhex(b) for b in a], dtype=float)


def agrees(stored: Any, value: float, rtol: float, atol: float) -> bool:
    """A stored number (maybe missing or not a number) within rtol·|value| + atol of a recomputed one."""
    if isinstance(stored, bool) or not isinstance(stored, (int, float)):
        return False
    return bool(np.isfinite(stored) and abs(float(stored) - value) <= rtol * abs(value) + atol)
