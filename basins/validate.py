"""Argument checks shared by the constructions (errors name argument and value)."""

from __future__ import annotations

from typing import Any

import numpy as np

from basins.errors import InvalidArgument, NotApplicable

__all__ = ["vector", "matrix", "data_x", "positive", "width_below_samples"]


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


#: The results whose hypotheses include x_j ≠ 0 (Proposition 4 has no such hypothesis).
NONZERO_X = ("Theorem 4", "Theorem 6")


def matrix(name: str, value: Any, cols: int | None = None, hint: str = "") -> np.ndarray:
    """A finite 2-D float array (a 1-D one is a column), or InvalidArgument naming ``name``."""
    if isinstance(value, str):
        raise InvalidArgument(f"{name}={value!r} must be rows of numbers")
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}={_show(value)} must be rows of numbers of one length") from None
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1) if cols in (None, 1) else arr.reshape(1, -1)
    if arr.ndim != 2 or arr.size == 0:
        raise InvalidArgument(f"{name}={_show(value)} must be a non-empty list of rows of numbers")
    if not np.all(np.isfinite(arr)):
        raise InvalidArgument(f"{name}={_show(value)} has a NaN or infinite entry")
    if cols is not None and arr.shape[1] != cols:
        raise InvalidArgument(f"{name}={_show(value)} has rows of {arr.shape[1]} numbers, but {hint}")
    return arr


def data_x(value: Any, *, theorem: str = "Proposition 4") -> np.ndarray:
    """Inputs x: finite, no repeated entry, and no zero entry for the theorems in :data:`NONZERO_X`."""
    x = vector("x", value)
    if theorem in NONZERO_X and np.any(x == 0):
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


def proof_inputs(case: Any) -> tuple[Any, str]:
    """The activation a proof may use, and the first problem with the case's inputs ("" when none).

    Nothing set on the case's objects is trusted: the activation returned is a
    fresh :class:`~basins.activations.Activation` of the case's expression (so
    no declared ``meta`` fact and no cached property reaches the proof), and
    the statement's parameter spaces are checked: x and y of one length N ≥ 1,
    v and w of one length m ≥ 1, a witness with exactly m neurons, every
    number finite, σ a real expression in t.

    Examples
    --------
    >>> from basins.io.case import Case, Witness
    >>> from basins.activations import as_activation
    >>> c = Case(as_activation("swish"), (0.1, 2.0, 3.0), (1.0, 2.0, 3.0), (1.0,), (1.0,), "Proposition 4", 1.0,
    ...          witness=Witness((1.0, 0.0), (1.0, 2.0), 0.5))
    >>> proof_inputs(c)[1]
    'the witness has 2 neurons (v) and 2 (w), but the point has m = 1: it lies in another parameter space'
    """
    import math

    import sympy as sp

    from basins.activations import Activation, T
    from basins.activations.parse import real_expression_problem
    from basins.errors import ActivationError

    act = case.activation
    try:
        expr = act.expr
        if not isinstance(expr, sp.Expr):
            return None, f"activation {act!r} is not a sympy expression"
        fresh = Activation(str(act.name), expr)
        fresh_problem = real_expression_problem(expr)
        if fresh_problem:
            return None, f"activation: {fresh_problem}"
        if expr.free_symbols - {T}:
            return None, f"activation has symbols {sorted(map(str, expr.free_symbols - {T}))} other than t"
    except ActivationError as exc:
        return None, str(exc)
    n, m = len(case.x), len(case.w)
    if n < 1 or m < 1:
        return fresh, f"N = {n} samples and m = {m} neurons: both must be at least 1"
    if len(case.y) != n:
        return fresh, f"y has {len(case.y)} entries but x has N = {n}"
    if len(case.v) != m:
        return fresh, f"v has {len(case.v)} entries but w has m = {m}"
    wit = case.witness
    if wit is None:
        return fresh, "the case has no witness of lower loss"
    if len(wit.v) != m or len(wit.w) != m:
        return fresh, (f"the witness has {len(wit.v)} neurons (v) and {len(wit.w)} (w), but the point has m = {m}: "
                       "it lies in another parameter space")
    shape = _model_shape_problem(case)
    if shape:
        return fresh, shape
    for name, vals in (("x", _entries(case.x)), ("y", case.y), ("v", case.v), ("w", _entries(case.w)),
                       ("witness.v", wit.v), ("witness.w", _entries(wit.w)),
                       ("output_bias", [] if case.output_bias is None else [case.output_bias]),
                       ("witness.c", [] if getattr(wit, "c", None) is None else [wit.c])):
        try:
            bad = [i for i, a in enumerate(vals) if not math.isfinite(float(a))]
        except (TypeError, ValueError):
            return fresh, f"{name} has an entry that is not a number"
        if bad:
            return fresh, f"{name}[{bad[0]}] = {vals[bad[0]]!r} is not finite"
    return fresh, ""


def _entries(a: Any) -> list:
    """The numbers of a vector, or of a matrix row by row."""
    return [e for row in a for e in (row if isinstance(row, (list, tuple)) else [row])]


def _model_shape_problem(case: Any) -> str:
    """For the model of SPEC §11: rows of x of one length d, rows of w (and of the witness's w) of D =
    d (+1 with a hidden bias), and an output bias at the witness exactly when the point has one."""
    nested = [isinstance(a[0], (list, tuple)) for a in (case.x, case.w, case.witness.w)]
    if not any(nested) and not case.bias and case.output_bias is None:
        return "" if getattr(case.witness, "c", None) is None else (
            "the witness has an output bias c but the point's model has none: it lies in another parameter space")
    if not all(nested):
        return "x, w and the witness's w must all be rows (SPEC §11) when any of them is"
    d = len(case.x[0])
    D = d + int(bool(case.bias))
    if any(len(r) != d for r in case.x):
        return "the rows of x have different lengths"
    for name, rows in (("w", case.w), ("witness.w", case.witness.w)):
        if any(len(r) != D for r in rows):
            return (f"{name} has a row of {min(len(r) for r in rows)}..{max(len(r) for r in rows)} numbers; "
                    f"the model needs D = {D} (d = {d}{' + 1 for the hidden bias' if case.bias else ''}): "
                    "it lies in another parameter space")
    if (case.output_bias is None) != (getattr(case.witness, "c", None) is None):
        return ("the witness and the point disagree on the output bias (present at one, absent at the other): "
                "they lie in different parameter spaces")
    return ""


def float_data(case: Any, what: str) -> None:
    """Refuse, in one line, float64 work on a case whose data are stored beyond float64 (``y_exact``):
    on float64 data its minimality is not within float64's reach (SPEC §12)."""
    if getattr(case, "y_exact", None) is not None:
        who = f"case {case.name}" if case.name else "this case"
        raise NotApplicable(f"{who}: {what} works in float64, but its labels are "
                            f"stored exactly at {case.data_bits} bits (y_exact) because float64 cannot carry its "
                            "construction (on the rounded data the point is not safely a minimum); "
                            "verify and certify it (multiprecision) instead", theorem="float64 data",
                            hypothesis="data representable in float64")
