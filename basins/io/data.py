"""Input data for the model of SPEC §11: data files (CSV or .npy) and generated inputs.

A data file holds the N inputs x_n ∈ R^d as N rows of d numbers — a CSV file
without a header (commas, or blanks, between numbers; blank lines and lines
starting with ``#`` are skipped) or a NumPy ``.npy`` array of shape (N, d) or (N,).
Targets are not read: the constructions build them (y = ŷ − M a).  A file that is
empty, ragged, non-numeric or holds NaN or ±inf is refused with one line naming
the file, the line (or entry) and the value.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from basins.errors import CaseFormatError, InvalidArgument
from basins.io.records import read_text_file

__all__ = ["read_inputs", "generated_inputs", "noisy_xor", "MAX_DATA_BYTES"]

#: Data files larger than this are refused before they are read.
MAX_DATA_BYTES = 64 * 2**20


def read_inputs(path: str | os.PathLike) -> np.ndarray:
    """The inputs of a data file as a float64 array of shape (N, d).

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file (read with ``allow_pickle=False``) or a CSV text file.

    Raises
    ------
    InvalidArgument
        The file cannot be read, is empty, or has a ragged, non-numeric, NaN or infinite entry;
        the message names the file, the line and the value.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     name = os.path.join(folder, "data.csv")
    ...     with open(name, "w") as fh:
    ...         _ = fh.write("0.5, 1\\n-1, 2\\n")
    ...     read_inputs(name)
    array([[ 0.5,  1. ],
           [-1. ,  2. ]])
    """
    name = os.fspath(path)
    if name.lower().endswith(".npy"):
        return _read_npy(name)
    try:
        text = read_text_file(name, "data", limit=MAX_DATA_BYTES)
    except CaseFormatError as exc:
        raise InvalidArgument(str(exc)) from None
    text = text.removeprefix("\ufeff")          # a byte-order mark, as spreadsheets write
    rows: list[list[float]] = []
    first_line = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        tokens = [t.strip() for t in stripped.split(",")] if "," in stripped else stripped.split()
        row = [_number(token, f"{name}:{number}") for token in tokens]
        if rows and len(row) != len(rows[0]):
            raise InvalidArgument(f"{name}:{number}: {len(row)} value(s) {_short(stripped)!r}, but line {first_line} "
                                  f"has {len(rows[0])}: a data file is N rows of d numbers (a ragged row)")
        if not rows:
            first_line = number
        rows.append(row)
    if not rows:
        raise InvalidArgument(f"{name}: the data file holds no rows of numbers (it is empty); a data file is N rows "
                              "of d numbers, comma-separated, no header")
    return np.array(rows, dtype=float)


def _number(token: str, where: str) -> float:
    if not token:
        raise InvalidArgument(f"{where}: an empty value (two commas in a row, or a trailing comma); a data file is "
                              "N rows of d numbers, comma-separated, no header")
    try:
        value = float(token)
    except ValueError:
        raise InvalidArgument(f"{where}: the value {_short(token)!r} is not a number (a data file is N rows of d "
                              "numbers, comma-separated, no header)") from None
    if not np.isfinite(value):
        raise InvalidArgument(f"{where}: the value {_short(token)!r} is not finite; inputs must be finite numbers")
    return value


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _read_npy(name: str) -> np.ndarray:
    try:
        size = os.stat(name).st_size
        if size > MAX_DATA_BYTES:
            raise InvalidArgument(f"{name}: {size} bytes, over the limit of {MAX_DATA_BYTES} for a data file")
        with open(name, "rb") as fh:
            raw = fh.read(MAX_DATA_BYTES + 1)
        arr: Any = np.load(io.BytesIO(raw), allow_pickle=False)
    except OSError as exc:
        raise InvalidArgument(f"{name}: the data file cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InvalidArgument(f"{name}: not a NumPy .npy array of numbers ({exc})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        kind = getattr(arr, "dtype", type(arr).__name__)
        raise InvalidArgument(f"{name}: the array holds {kind} values, not real numbers")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise InvalidArgument(f"{name}: an array of shape {arr.shape}; a data file is N rows of d numbers (N, d)")
    if arr.size == 0:
        raise InvalidArgument(f"{name}: the array of shape {arr.shape} is empty; a data file is N rows of d numbers")
    arr = arr.astype(float)
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        i, j = (int(t) for t in bad[0])
        raise InvalidArgument(f"{name}: row {i + 1}, column {j + 1}: the value {float(arr[i, j])!r} is not finite; inputs "
                              "must be finite numbers")
    return arr


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidArgument(f"{name}={value!r} must be a positive integer")
    return int(value)


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidArgument(f"seed={seed!r} must be a non-negative integer")
    return int(seed)


def generated_inputs(d: int, N: int, seed: int = 0) -> np.ndarray:
    """N seeded standard normal inputs in R^d, shape (N, d).

    >>> generated_inputs(2, 3, seed=1).shape
    (3, 2)
    >>> bool(np.all(generated_inputs(2, 3, seed=1) == generated_inputs(2, 3, seed=1)))
    True
    """
    return np.random.default_rng(_seed(seed)).standard_normal((_count("N", N), _count("d", d)))


def noisy_xor(N: int, seed: int = 0, noise: float = 0.1) -> np.ndarray:
    """N points of the noisy XOR data set in R², shape (N, 2).

    Each point is one of the four corners (±1, ±1), chosen uniformly, plus
    Gaussian noise of standard deviation ``noise``; its XOR label is
    x_1·x_2 < 0 for the noise-free corner (targets are constructed, not read).

    >>> X = noisy_xor(8, seed=0, noise=0.0)
    >>> sorted(set(map(tuple, X.tolist()))) <= [(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)]
    True
    """
    N = _count("N", N)
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating)) or not np.isfinite(noise) \
            or noise < 0:
        raise InvalidArgument(f"noise={noise!r} must be a finite number ≥ 0 (the standard deviation)")
    rng = np.random.default_rng(_seed(seed))
    corners = rng.choice([-1.0, 1.0], size=(N, 2))
    return corners + float(noise) * rng.standard_normal((N, 2))
