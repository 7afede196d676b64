"""Cases: one data set, activation and point, with what was proved about it.

A :class:`Case` is a frozen dataclass.  Its JSON form (SPEC §10) is written
and read only by :meth:`Case.to_json` and :meth:`Case.from_json`, with a
schema version; every number that defines the case is stored twice, as a
plain float and as ``float.hex`` (exact), and reading checks that the two
agree.  A round trip is exact: ``Case.from_dict(case.to_dict()) == case``
(details, verification and certificate are held as plain JSON data).

Reading validates the record against the shipped JSON Schema
``basins/io/schemas/case-1.json`` (:mod:`basins.io.records`): a malformed file
is one :class:`~basins.errors.CaseFormatError` naming the field, e.g.
``case.json: witness.v[1]: 'a' is not of type 'number'``.  The theorem's
conditions (``details["conditions"]``, keyed by name) are typed there and here
(:class:`Condition`: name, holds, margin, what).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from basins.activations import Activation
from basins.errors import ActivationError, CaseFormatError
from basins.io.records import loads_json, read_text_file, validate_record
from basins.model.engine import Model

__all__ = ["SCHEMA", "SCHEMA_2", "Witness", "Condition", "Case", "write_json_atomic", "new_file_mode", "load_case"]

#: Version tag of the case file format of the paper's model (scalar inputs, no biases).
SCHEMA = "basins.case/1"
#: Version tag of the case file format of SPEC §11 (d-dimensional inputs, hidden and output bias).
SCHEMA_2 = "basins.case/2"

_VECTORS = ("x", "y", "v", "w")


@dataclass(frozen=True)
class Witness:
    """A point of strictly lower loss than the case's point (in the same parameter space).

    ``w`` has the case's shape (m numbers, or m rows of D); ``c`` is the output
    bias when the model has one.
    """

    v: tuple[float, ...]
    w: Any
    loss: float
    c: float | None = None


@dataclass(frozen=True)
class Condition:
    """One hypothesis of a theorem at a case: its name, whether it holds, its margin and what it says.

    In the case file the conditions are ``details["conditions"]``, an object
    keyed by name whose values hold ``holds``, ``margin`` (a number, "inf",
    or null), ``what`` and any figures of the condition (``extra``).

    Examples
    --------
    >>> c = Condition.from_dict("C2", {"holds": True, "margin": "inf", "what": "σ is C²", "points": []})
    >>> c.margin, c.extra, Condition.from_dict(c.name, c.to_dict()) == c
    (inf, {'points': []}, True)
    """

    name: str
    holds: bool
    margin: float | None = None
    what: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON value under ``details["conditions"][name]`` (non-finite margins as "inf", "-inf", "nan")."""
        return {"holds": self.holds, "what": self.what, "margin": _jsonable(self.margin), **_jsonable(self.extra)}

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> "Condition":
        margin = d.get("margin")
        return cls(str(name), bool(d.get("holds")), None if margin is None else float(margin), str(d.get("what", "")),
                   {k: v for k, v in d.items() if k not in ("holds", "what", "margin")})


@dataclass(frozen=True)
class Case:
    """A certified or numerically verified bad basin (or a candidate one).

    Attributes
    ----------
    activation : Activation
    x, y : tuple of float
        Inputs and targets, length N; for the model of SPEC §11, x is N rows of d numbers.
    v, w : tuple of float
        Output and hidden weights of the point, length m; for the model of
        SPEC §11, w is m rows of D numbers (a hidden bias is the last one).
    theorem : str
        The result the construction follows ("Proposition 4", ...).
    loss : float
        E(v, w) at construction (float64; verification recomputes it).
    witness : Witness or None
        A point of strictly lower loss.
    details : mapping
        What the construction chose and checked (a, M, conditions, margins...).
    verification, certificate : mapping or None
        Results of :func:`basins.verification.verify.verify_case` and of a certificate.
    bias : bool
        Whether each neuron has a bias (SPEC §11).
    output_bias : float or None
        The output bias c, or None when the model has none (SPEC §11).
    y_exact : tuple of str or None
        The labels y exactly, as dyadic texts (:mod:`basins.io.dyadic`), when
        float64 cannot carry the construction (SPEC §12): then these are the
        case's data, ``y`` holds their nearest floats (for display and float
        code), and verification and certificates use these.  Paper's model only.

    A case with scalar x, w and neither bias is the paper's model and is written
    as "basins.case/1"; any other as "basins.case/2".
    """

    activation: Activation
    x: Any                  # tuple[float, ...], or N rows of d (SPEC §11)
    y: tuple[float, ...]
    v: tuple[float, ...]
    w: Any                  # tuple[float, ...], or m rows of D (SPEC §11)
    theorem: str
    loss: float
    witness: Witness | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    verification: Mapping[str, Any] | None = None
    certificate: Mapping[str, Any] | None = None
    name: str = ""
    bias: bool = False
    output_bias: float | None = None
    y_exact: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.y_exact is not None:
            if _nested(self.x) or _nested(self.w) or self.bias or self.output_bias is not None:
                raise ValueError("y_exact is supported for the paper's model only (scalar x, no biases)")
            _check_y_exact(self.y_exact, self.y)
            object.__setattr__(self, "y_exact", tuple(self.y_exact))
        if _nested(self.x) or _nested(self.w) or self.bias or self.output_bias is not None:
            object.__setattr__(self, "x", _rows(self.x))
            object.__setattr__(self, "w", _rows(self.w))
            for key in ("y", "v"):
                object.__setattr__(self, key, tuple(float(e) for e in getattr(self, key)))
            if self.witness is not None:
                wit = self.witness
                object.__setattr__(self, "witness", replace(wit, v=tuple(float(e) for e in wit.v), w=_rows(wit.w)))
        # plain JSON data in memory as on disk (numpy and tuples become lists), so that a round trip
        # through to_dict/from_dict is exact; non-finite floats stay floats here
        object.__setattr__(self, "details", _plain(self.details) if self.details is not None else {})
        for key in ("verification", "certificate"):
            value = getattr(self, key)
            if value is not None:
                object.__setattr__(self, key, _plain(value))

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """The theorem's conditions (``details["conditions"]``) as typed records."""
        conds = self.details.get("conditions") if isinstance(self.details, Mapping) else None
        if not isinstance(conds, Mapping):
            return ()
        return tuple(Condition.from_dict(k, c) for k, c in conds.items() if isinstance(c, Mapping))

    @property
    def m(self) -> int:
        return len(self.w)

    @property
    def d(self) -> int:
        """The input dimension."""
        return len(self.x[0]) if _nested(self.x) else 1

    @property
    def model(self) -> Model:
        """The network's shape (:class:`basins.model.engine.Model`)."""
        if not _nested(self.x):
            return Model()
        return Model(input_dim=self.d, hidden_bias=bool(self.bias), output_bias=self.output_bias is not None)

    @property
    def engine_kwargs(self) -> dict[str, Any]:
        """``c`` and ``model`` for the engine's functions ({} for the paper's model)."""
        model = self.model
        return {} if model.scalar else {"c": self.output_bias, "model": model}

    def theta(self) -> np.ndarray:
        """θ = (v, w_1[1..D], …, w_m[1..D][, c]) as one float64 vector."""
        parts = [np.asarray(self.v, dtype=float), np.asarray(self.w, dtype=float).ravel()]
        if self.output_bias is not None:
            parts.append(np.array([float(self.output_bias)]))
        return np.concatenate(parts)

    @property
    def N(self) -> int:
        return len(self.x)

    @property
    def data_bits(self) -> int:
        """The precision of the labels y: 53 (float64), or the widest mantissa of ``y_exact``."""
        from basins.io.dyadic import dyadic_bits

        return 53 if self.y_exact is None else max(53, *(dyadic_bits(t) for t in self.y_exact))

    def exact_y(self) -> list:
        """y exactly, for multiprecision code: mpmath mpf values of ``y_exact`` (taken without rounding by
        the engine's mpmath context), else the floats."""
        if self.y_exact is None:
            return [float(a) for a in self.y]
        from basins.io.dyadic import dyadic_mpf

        return [dyadic_mpf(t) for t in self.y_exact]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, v, w) as float64 arrays."""
        return tuple(np.array(getattr(self, k), dtype=float) for k in _VECTORS)  # type: ignore[return-value]

    def with_(self, **changes: Any) -> "Case":
        """A copy with some fields replaced."""
        return replace(self, **changes)

    # ------------------------------------------------------------- JSON --
    def to_dict(self) -> dict[str, Any]:
        if not self.model.scalar:
            return self._to_dict_2()
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "name": self.name,
            "theorem": self.theorem,
            "activation": self.activation.text,
            "activation_name": self.activation.name,
            "N": self.N,
            "m": self.m,
        }
        for k in _VECTORS:
            d[k] = [float(a) for a in getattr(self, k)]
        d["loss"] = float(self.loss)
        d["witness"] = None if self.witness is None else {
            "v": list(self.witness.v), "w": list(self.witness.w), "loss": float(self.witness.loss)}
        exact: dict[str, Any] = {k: [float(a).hex() for a in getattr(self, k)] for k in _VECTORS}
        exact["loss"] = float(self.loss).hex()
        if self.witness is not None:
            exact["witness"] = {
                "v": [float(a).hex() for a in self.witness.v],
                "w": [float(a).hex() for a in self.witness.w],
                "loss": float(self.witness.loss).hex(),
            }
        d["exact"] = exact
        if self.y_exact is not None:
            d["y_exact"] = list(self.y_exact)
        d["details"] = _jsonable(self.details)
        d["verification"] = None if self.verification is None else _jsonable(self.verification)
        d["certificate"] = None if self.certificate is None else _jsonable(self.certificate)
        return d

    def _to_dict_2(self) -> dict[str, Any]:
        """The "basins.case/2" record (SPEC §11): x and w as rows, both biases, exact copies of every number."""
        d: dict[str, Any] = {
            "schema": SCHEMA_2, "name": self.name, "theorem": self.theorem, "activation": self.activation.text,
            "activation_name": self.activation.name, "N": self.N, "m": self.m, "d": self.d,
            "bias": bool(self.bias), "output_bias": _opt(self.output_bias),
            "x": [[float(a) for a in row] for row in self.x], "y": [float(a) for a in self.y],
            "v": [float(a) for a in self.v], "w": [[float(a) for a in row] for row in self.w],
            "loss": float(self.loss),
        }
        wit = self.witness
        d["witness"] = None if wit is None else {
            "v": [float(a) for a in wit.v], "w": [[float(a) for a in row] for row in wit.w],
            "c": _opt(wit.c), "loss": float(wit.loss)}
        exact: dict[str, Any] = {
            "x": [[float(a).hex() for a in row] for row in self.x], "y": [float(a).hex() for a in self.y],
            "v": [float(a).hex() for a in self.v], "w": [[float(a).hex() for a in row] for row in self.w],
            "output_bias": _opt_hex(self.output_bias), "loss": float(self.loss).hex()}
        if wit is not None:
            exact["witness"] = {"v": [float(a).hex() for a in wit.v],
                                "w": [[float(a).hex() for a in row] for row in wit.w],
                                "c": _opt_hex(wit.c), "loss": float(wit.loss).hex()}
        d["exact"] = exact
        d["details"] = _jsonable(self.details)
        d["verification"] = None if self.verification is None else _jsonable(self.verification)
        d["certificate"] = None if self.certificate is None else _jsonable(self.certificate)
        return d

    def to_json(self, indent: int | None = 2) -> str:
        """The case as JSON text (schema :data:`SCHEMA`)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "case") -> "Case":
        if not isinstance(d, Mapping):
            raise CaseFormatError(f"{source}: a case is a JSON object, not {type(d).__name__}")
        schema = d.get("schema")
        if schema == SCHEMA_2:
            return cls._from_dict_2(d, source)
        if schema != SCHEMA:
            raise CaseFormatError(f"{source}: schema={schema!r} is not {SCHEMA!r} or {SCHEMA_2!r}")
        validate_record(d, "case", source=source)
        for key in ("activation", "theorem", "loss", *_VECTORS):
            if key not in d:
                raise CaseFormatError(f"{source}: missing key {key!r}")
        act = _read_activation(d, source)
        exact = d.get("exact") or {}
        if not isinstance(exact, Mapping):
            raise CaseFormatError(f"{source}: 'exact' must be an object")
        vec: dict[str, Any] = {k: _read_vector(d[k], exact.get(k), f"{source}: {k}") for k in _VECTORS}
        n, m = len(vec["x"]), len(vec["w"])
        if len(vec["y"]) != n or len(vec["v"]) != m or n == 0 or m == 0:
            raise CaseFormatError(
                f"{source}: lengths x={n}, y={len(vec['y'])}, v={len(vec['v'])}, w={m} are inconsistent")
        for key, expected in (("N", n), ("m", m)):
            if key in d and d[key] != expected:
                raise CaseFormatError(f"{source}: {key}={d[key]!r} but the vectors give {expected}")
        loss = _read_scalar(d["loss"], exact.get("loss"), f"{source}: loss")
        witness = None
        if d.get("witness") is not None:
            wd = d["witness"]
            wx = exact.get("witness") or {}
            if not isinstance(wd, Mapping) or not all(k in wd for k in ("v", "w", "loss")):
                raise CaseFormatError(f"{source}: witness must be an object with v, w and loss")
            if not isinstance(wx, Mapping):
                raise CaseFormatError(f"{source}: exact.witness must be an object with v, w and loss")
            wv = _read_vector(wd["v"], wx.get("v"), f"{source}: witness.v")
            ww = _read_vector(wd["w"], wx.get("w"), f"{source}: witness.w")
            if len(wv) != len(ww):
                raise CaseFormatError(f"{source}: witness v and w have different lengths")
            if len(ww) != m:
                raise CaseFormatError(f"{source}: the witness has {len(ww)} neurons but the point has m = {m}; "
                                      "a witness must lie in the same parameter space")
            witness = Witness(wv, ww, _read_scalar(wd["loss"], wx.get("loss"), f"{source}: witness.loss"))
        for key in ("details", "verification", "certificate"):
            if d.get(key) is not None and not isinstance(d[key], Mapping):
                raise CaseFormatError(f"{source}: {key} must be an object")
        details = dict(d.get("details") or {})
        if isinstance(details.get("conditions"), Mapping):   # typed margins: "inf" is the JSON of a float
            details["conditions"] = {k: {**c, "margin": _margin(c.get("margin"))} if isinstance(c, Mapping) else c
                                     for k, c in details["conditions"].items()}
        y_exact = d.get("y_exact")
        if y_exact is not None:
            if not isinstance(y_exact, list):
                raise CaseFormatError(f"{source}: y_exact must be a list of dyadic texts")
            try:
                _check_y_exact(y_exact, vec["y"])
            except ValueError as exc:
                raise CaseFormatError(f"{source}: y_exact: {exc}") from None
        return cls(
            activation=act, theorem=str(d["theorem"]), loss=loss, witness=witness,
            details=details, verification=d.get("verification"),
            certificate=d.get("certificate"), name=str(d.get("name") or ""),
            y_exact=None if y_exact is None else tuple(y_exact), **vec,
        )

    @classmethod
    def _from_dict_2(cls, d: Mapping[str, Any], source: str) -> "Case":
        validate_record(d, "case2", source=source)
        act = _read_activation(d, source)
        exact = d.get("exact") or {}
        x = _read_matrix(d["x"], exact.get("x"), f"{source}: x")
        w = _read_matrix(d["w"], exact.get("w"), f"{source}: w")
        y = _read_vector(d["y"], exact.get("y"), f"{source}: y")
        v = _read_vector(d["v"], exact.get("v"), f"{source}: v")
        bias = bool(d["bias"])
        dd, D = len(x[0]), len(w[0])
        n, m = len(x), len(w)
        if any(len(row) != dd for row in x) or any(len(row) != D for row in w):
            raise CaseFormatError(f"{source}: the rows of x (or of w) have different lengths")
        if D != dd + int(bias):
            raise CaseFormatError(f"{source}: w has rows of {D} numbers but d = {dd} and bias = {bias} "
                                  f"need D = d{' + 1' if bias else ''} = {dd + int(bias)}")
        if len(y) != n or len(v) != m:
            raise CaseFormatError(f"{source}: lengths x={n}, y={len(y)}, v={len(v)}, w={m} are inconsistent")
        for key, expected in (("N", n), ("m", m), ("d", dd)):
            if key in d and d[key] != expected:
                raise CaseFormatError(f"{source}: {key}={d[key]!r} but the data give {expected}")
        c = _read_optional(d["output_bias"], exact.get("output_bias"), f"{source}: output_bias")
        witness = None
        if d.get("witness") is not None:
            wd, wx = d["witness"], exact.get("witness") or {}
            wv = _read_vector(wd["v"], wx.get("v"), f"{source}: witness.v")
            ww = _read_matrix(wd["w"], wx.get("w"), f"{source}: witness.w")
            wc = _read_optional(wd.get("c"), wx.get("c"), f"{source}: witness.c")
            if len(wv) != m or len(ww) != m or any(len(row) != D for row in ww) or (wc is None) != (c is None):
                raise CaseFormatError(f"{source}: the witness must lie in the same parameter space as the point "
                                      f"(m = {m}, D = {D}, output bias {'present' if c is not None else 'absent'})")
            witness = Witness(wv, ww, _read_scalar(wd["loss"], wx.get("loss"), f"{source}: witness.loss"), wc)
        details = dict(d.get("details") or {})
        if isinstance(details.get("conditions"), Mapping):
            details["conditions"] = {k: {**q, "margin": _margin(q.get("margin"))} if isinstance(q, Mapping) else q
                                     for k, q in details["conditions"].items()}
        return cls(activation=act, theorem=str(d["theorem"]), loss=_read_scalar(d["loss"], exact.get("loss"),
                                                                                f"{source}: loss"),
                   witness=witness, details=details, verification=d.get("verification"),
                   certificate=d.get("certificate"), name=str(d.get("name") or ""), x=x, y=y, v=v, w=w,
                   bias=bias, output_bias=c)

    @classmethod
    def from_json(cls, text: str, *, source: str = "case") -> "Case":
        """Read a case from JSON text; malformed input raises CaseFormatError.

        The limits of :func:`basins.io.records.loads_json` apply (size, nesting depth, finite numbers).
        """
        return cls.from_dict(loads_json(text, source=source), source=source)

    def save(self, path: str | os.PathLike) -> None:
        """Write the JSON atomically (all or nothing)."""
        write_json_atomic(path, self.to_json())


def load_case(path: str | os.PathLike) -> Case:
    """Read a case file, or a shipped case by name (``basins.cases.names()``) when no such file exists.

    A path that exists is always read as a file; a missing path that is not a
    shipped case's name is the usual "cannot be read" error.  A file is read within the
    limits of :func:`basins.io.records.read_text_file` (a regular file of at most 64 MiB
    of UTF-8 text) and :func:`basins.io.records.loads_json`.
    """
    shipped = shipped_case_file(path)
    if shipped is not None:
        return Case.from_json(read_text_file(shipped, "case"), source=f"basins.cases:{os.fspath(path)}")
    return Case.from_json(read_text_file(path, "case"), source=os.fspath(path))


def shipped_case_file(path: str | os.PathLike) -> str | None:
    """The shipped case file named ``path`` when ``path`` is not an existing file but a shipped case's name.

    The folder is found next to this package (``basins/cases``) rather than by
    importing :mod:`basins.cases`, which imports this module.
    """
    if not isinstance(path, str) or os.path.exists(path):
        return None
    if not path or path.startswith(".") or os.sep in path or "/" in path or (os.altsep and os.altsep in path):
        return None
    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cases")
    candidate = os.path.join(folder, f"{path}.json")
    return candidate if os.path.isfile(candidate) else None


def write_json_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    The file gets the mode a plain ``open`` would give it (0o666 less the
    umask, see :func:`new_file_mode`), not mkstemp's 0o600; on any error or
    interrupt the temporary file is removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".basins-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            if not text.endswith("\n"):
                fh.write("\n")
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def new_file_mode() -> int:
    """0o666 less the process's umask: the mode ``open(path, "w")`` gives a new file.

    The umask is read from ``/proc/self/status`` where there is one (reading it
    with ``os.umask`` means setting it, for a moment, in every thread).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _read_scalar(value: Any, exact: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CaseFormatError(f"{where}={_short_repr(value)} is not a number")
    try:
        f = float(value)
    except OverflowError:
        raise CaseFormatError(f"{where}: the integer {_short_repr(value)} is outside the float64 range") from None
    if exact is not None:
        try:
            e = float.fromhex(exact) if isinstance(exact, str) else None
        except (ValueError, OverflowError):
            e = None
        if e is None:
            raise CaseFormatError(f"{where}: exact value {_short_repr(exact)} is not a float.hex string "
                                  "of a float64")
        if e != f and not (math.isnan(e) and math.isnan(f)):
            raise CaseFormatError(f"{where}: plain value {f!r} and exact value {_short_repr(exact)} disagree")
        f = e
    if not math.isfinite(f):
        raise CaseFormatError(f"{where}={f!r} is not finite")
    return f


def _short_repr(value: Any, n: int = 60) -> str:
    """repr(value), cut to n characters (a value read from a file may be huge or deeply nested)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
    text = repr(value) if isinstance(value, (int, float, str, bool, type(None))) else f"<{type(value).__name__}>"
    return text if len(text) <= n else text[: n - 3] + "..."


def _read_vector(values: Any, exact: Any, where: str) -> tuple[float, ...]:
    if not isinstance(values, list):
        raise CaseFormatError(f"{where} must be a list of numbers")
    if exact is not None and (not isinstance(exact, list) or len(exact) != len(values)):
        raise CaseFormatError(f"{where}: exact values do not match the plain ones in length")
    ex = exact if exact is not None else [None] * len(values)
    return tuple(_read_scalar(a, e, f"{where}[{i}]") for i, (a, e) in enumerate(zip(values, ex)))


def _read_activation(d: Mapping[str, Any], source: str) -> Activation:
    try:
        act = Activation.from_text(d["activation"], argument=f"{source}: activation")
    except ActivationError as exc:
        raise CaseFormatError(str(exc)) from None
    if d.get("activation_name"):
        act = Activation(str(d["activation_name"]), act.expr, act.meta)
    return act


def _read_matrix(rows: Any, exact: Any, where: str) -> tuple[tuple[float, ...], ...]:
    if not isinstance(rows, list) or not rows:
        raise CaseFormatError(f"{where} must be a non-empty list of rows of numbers")
    if exact is not None and (not isinstance(exact, list) or len(exact) != len(rows)):
        raise CaseFormatError(f"{where}: exact values do not match the plain ones in length")
    ex = exact if exact is not None else [None] * len(rows)
    return tuple(_read_vector(r, e, f"{where}[{i}]") for i, (r, e) in enumerate(zip(rows, ex)))


def _read_optional(value: Any, exact: Any, where: str) -> float | None:
    if value is None:
        if exact is not None:
            raise CaseFormatError(f"{where}: the plain value is null but the exact one is {_short_repr(exact)}")
        return None
    return _read_scalar(value, exact, where)


def _nested(a: Any) -> bool:
    return len(a) > 0 and isinstance(a[0], (list, tuple, np.ndarray))


def _rows(a: Any) -> tuple[tuple[float, ...], ...]:
    """Rows of floats (a flat sequence becomes rows of one number)."""
    return tuple(tuple(float(e) for e in (r if isinstance(r, (list, tuple, np.ndarray)) else [r])) for r in a)


def _opt(a: float | None) -> float | None:
    return None if a is None else float(a)


def _opt_hex(a: float | None) -> str | None:
    return None if a is None else float(a).hex()


def _margin(value: Any) -> Any:
    """A condition's margin as read: "inf", "-inf" and "nan" (how JSON spells them) become floats."""
    return float(value) if isinstance(value, str) and value in ("inf", "-inf", "nan") else value


def _plain(obj: Any) -> Any:
    """Like :func:`_jsonable`, but non-finite floats stay floats (the in-memory form of JSON data)."""
    if isinstance(obj, (float, np.floating)) and not isinstance(obj, bool):
        return float(obj)
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_plain(v) for v in obj.tolist()]
    return _jsonable(obj)


def _jsonable(obj: Any) -> Any:
    """Plain JSON data from nested mappings, sequences, numpy scalars and sympy numbers."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else str(f)
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def _check_y_exact(texts: Any, y: Any) -> None:
    """y_exact must be N dyadic texts whose nearest floats are y (ValueError naming the entry)."""
    from basins.io.dyadic import from_dyadic

    if isinstance(texts, str) or len(texts) != len(y):
        raise ValueError(f"y_exact has {len(texts)} entries but y has {len(y)}")
    for i, (t, f) in enumerate(zip(texts, y)):
        value = from_dyadic(t)            # ValueError for anything that is not a dyadic text
        if float(value) != float(f):
            raise ValueError(f"y_exact[{i}] = {t[:40]} rounds to {float(value)!r}, not to y[{i}] = {float(f)!r}")
