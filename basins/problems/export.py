"""Exports of a case for optimizer code: npz, JSON, or a torch file holding a float64 ``nn.Module``.

Every export holds x, y, θ* = (v, w) (``theta``), the witness point
(``witness_theta``), the losses and the metadata (:func:`basins.problems.core.metadata`).
For a case of the model of SPEC §11, x is N rows of d and θ is
(v, w_1[1..D], …, w_m[1..D][, c]) (``metadata["parameter_order"]``); the torch
module then has w of shape (m, D) and the output bias c as parameters.
Files are written atomically (a temporary file in the same folder, then a rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Callable, BinaryIO

import numpy as np

from basins.errors import InvalidArgument
from basins.io.case import Case, new_file_mode
from basins.problems.core import metadata, resolve_case, theta_star, witness_theta

__all__ = ["FORMATS", "export", "export_data", "format_for"]

#: format → the file suffixes it accepts.
FORMATS: dict[str, tuple[str, ...]] = {"npz": (".npz",), "json": (".json",), "torch": (".pt", ".pth")}


def format_for(out: str | os.PathLike[str], fmt: str | None) -> str:
    """The export format: ``fmt`` checked against the suffix of ``out``, or the suffix's format when fmt is None."""
    suffix = os.path.splitext(os.fspath(out))[1].lower()
    if fmt is None:
        for name, suffixes in FORMATS.items():
            if suffix in suffixes:
                return name
        raise InvalidArgument(f"output {os.fspath(out)!r}: the suffix {suffix or '(none)'!r} names no format; "
                              f"pass --format {'|'.join(FORMATS)}")
    if fmt not in FORMATS:
        raise InvalidArgument(f"format={fmt!r} is not one of {', '.join(FORMATS)}")
    if suffix not in FORMATS[fmt]:
        raise InvalidArgument(f"output {os.fspath(out)!r}: format {fmt} needs the suffix "
                              f"{' or '.join(FORMATS[fmt])}, not {suffix or '(none)'!r}")
    return fmt


def export_data(case: Case) -> dict[str, Any]:
    """The exported values as plain Python data (floats are the case's floats, exactly)."""
    wit = witness_theta(case)
    return {
        "x": [float(a) for a in case.x] if case.model.scalar else [[float(a) for a in row] for row in case.x],
        "y": [float(a) for a in case.y],
        "theta": [float(a) for a in theta_star(case)],
        "witness_theta": None if wit is None else [float(a) for a in wit],
        "loss": float(case.loss),
        "witness_loss": None if case.witness is None else float(case.witness.loss),
        "metadata": metadata(case),
    }


def export(case: "Case | str | os.PathLike[str]", out: str | os.PathLike[str], fmt: str | None = None) -> str:
    """Write the export of ``case`` (a Case, shipped name or case file) to ``out``; returns the format used."""
    fmt = format_for(out, fmt)
    c = resolve_case(case)
    data = export_data(c)
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        _write_atomic(out, lambda fh: fh.write(text.encode("utf-8")))
    elif fmt == "npz":
        arrays: dict[str, Any] = {k: np.array(data[k], dtype=np.float64) for k in ("x", "y", "theta", "loss")}
        arrays["witness_theta"] = np.array(data["witness_theta"] or [], dtype=np.float64)
        arrays["witness_loss"] = np.array(np.nan if data["witness_loss"] is None else data["witness_loss"])
        arrays["metadata"] = np.array(json.dumps(data["metadata"], ensure_ascii=False, allow_nan=False))
        _write_atomic(out, lambda fh: np.savez(fh, **arrays))
    else:
        payload = _torch_payload(c, data)
        import torch  # available: _torch_payload checked

        _write_atomic(out, lambda fh: torch.save(payload, fh))
    return fmt


def _torch_payload(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    from basins.problems.torch_model import network

    if case.model.scalar:
        model = network(case.activation.text, case.v, case.w)   # raises the one-line "install basins[torch]" error
    else:
        model = network(case.activation.text, case.v, case.w, input_dim=case.d, hidden_bias=bool(case.bias),
                        c=case.output_bias)
    import torch

    def t(a: Any) -> Any:
        return None if a is None else torch.tensor(a, dtype=torch.float64)

    return {"model": model, "state_dict": model.state_dict(), "x": t(data["x"]), "y": t(data["y"]),
            "theta": t(data["theta"]), "witness_theta": t(data["witness_theta"]), "loss": data["loss"],
            "witness_loss": data["witness_loss"], "metadata": data["metadata"]}


def _write_atomic(path: str | os.PathLike[str], write: Callable[[BinaryIO], Any]) -> None:
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".basins-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, new_file_mode())      # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
