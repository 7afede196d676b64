"""The certificate record shared by every rigorous verifier: its type, its exact inputs and digest.

A :class:`Certificate` holds a status, the checks (name, passed, detail), the
exact inputs the proof used (activation text, ``float.hex`` vectors, the
case's labels), audit figures and library versions, and — not serialised —
the exact enclosures of E at the point and at the witness that the certified
record (:mod:`basins.certification.record`) is checked against.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterator, Mapping

import sympy as sp

from basins.io.case import Case

__all__ = ["CERTIFIED", "REJECTED", "Certificate", "exact_inputs", "input_digest", "arb_bounds",
           "library_versions", "flint_precision"]

CERTIFIED = "certified"
REJECTED = "rejected"


@dataclass(frozen=True)
class Certificate:
    """The outcome of a certification: status, checks, exact inputs and audit figures."""

    kind: str
    status: str
    checks: tuple[tuple[str, bool, str], ...]
    inputs: Mapping[str, Any]
    figures: Mapping[str, Any]
    versions: Mapping[str, str] = field(default_factory=dict)
    #: Exact rational enclosures [lo, hi] of E at the case's point ("loss") and at the witness
    #: ("witness loss"), used to check the stored figures a consumer reads; not serialised.
    enclosures: Mapping[str, tuple[Fraction, Fraction]] = field(default_factory=dict, compare=False, repr=False)
    #: What a test can rely on (SPEC §12), from the same ball computation: ``theta_star``, ``E_star``,
    #: ``lambda_min_lower``, ``basin_radius``, ``escape_barrier_lower_bound``, ``method``, ``meaning``;
    #: None when the proof gives none (then ``guarantees_absent`` says why, when it is known).
    guarantees: Mapping[str, Any] | None = None
    guarantees_absent: str = ""

    @property
    def certified(self) -> bool:
        return self.status == CERTIFIED

    @property
    def failed(self) -> list[str]:
        return [name for name, ok, _ in self.checks if not ok]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "status": self.status,
            "guarantee": ("proved in ball arithmetic (every rounding enclosed); any undecided comparison rejects"
                          if self.certified else "not proved"),
            "checks": [{"name": n, "passed": ok, "detail": d} for n, ok, d in self.checks],
            "inputs": dict(self.inputs),
            "figures": dict(self.figures),
            "versions": dict(self.versions),
        }
        if self.guarantees is not None:
            d["guarantees"] = dict(self.guarantees)
        elif self.guarantees_absent:
            d["guarantees (absent)"] = self.guarantees_absent
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "certificate") -> "Certificate":
        """The certificate of :meth:`to_dict` (a stored ``record`` beside it is ignored); validated against
        ``certificate-1.json``.  The exact enclosures are not serialised, so they come back empty.

        Examples
        --------
        >>> c = Certificate("smooth", CERTIFIED, (("loss", True, "E in [1, 2]"),), {"x": ["0x1p+0"]}, {"digest": "ab"})
        >>> Certificate.from_dict(c.to_dict()) == c
        True
        """
        from basins.io.records import validate_record

        validate_record(d, "certificate", source=source)
        checks = tuple((str(c["name"]), bool(c["passed"]), str(c["detail"])) for c in d["checks"])
        guarantees = d.get("guarantees")
        return cls(str(d["kind"]), str(d["status"]), checks, dict(d["inputs"]), dict(d.get("figures") or {}),
                   {str(k): str(v) for k, v in (d.get("versions") or {}).items()},
                   guarantees=dict(guarantees) if isinstance(guarantees, Mapping) else None,
                   guarantees_absent=str(d.get("guarantees (absent)") or ""))


# ----------------------------------------------------------------- inputs --

def exact_inputs(case: Case, activation: Any = None) -> dict[str, Any]:
    """The data a certificate depends on, exactly: activation text, float.hex vectors and the case's labels.

    ``activation`` is the fresh activation the proof used (its text is
    recomputed from the expression); the labels (name, theorem, activation
    name) are bound into the digest so that an edit of any of them is seen.
    """
    act = activation if activation is not None else case.activation
    d: dict[str, Any] = {"activation": str(act.expr),
                         "labels": {"name": str(case.name), "theorem": str(case.theorem),
                                    "activation_name": str(case.activation.name)}}
    for k in ("x", "y", "v", "w"):
        d[k] = _hex(getattr(case, k))
    d["witness"] = None if case.witness is None else {"v": _hex(case.witness.v), "w": _hex(case.witness.w)}
    if case.y_exact is not None:                   # SPEC §12: the data beyond float64 are what was proved
        d["y_exact"] = list(case.y_exact)
    if not case.model.scalar:                      # SPEC §11: the model is part of what was proved
        d["bias"] = bool(case.bias)
        d["output_bias"] = None if case.output_bias is None else float(case.output_bias).hex()
        if case.witness is not None:
            d["witness"]["c"] = None if case.witness.c is None else float(case.witness.c).hex()
    return d


def _hex(values: Any) -> list:
    """float.hex of a vector, or of a matrix row by row."""
    return [_hex(a) if isinstance(a, (list, tuple)) else float(a).hex() for a in values]


def arb_bounds(b: Any) -> tuple[Fraction, Fraction]:
    """The exact rational endpoints [lo, hi] of a finite python-flint ball."""
    def q(p: Any) -> Fraction:
        man, exp = p.man_exp()
        return Fraction(int(man)) * Fraction(2) ** int(exp)
    return q(b.lower()), q(b.upper())


def input_digest(inputs: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of :func:`exact_inputs` (and the certificate's own choices)."""
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def library_versions() -> dict[str, str]:
    import flint
    import mpmath

    from basins import __version__

    return {"python-flint": str(flint.__version__), "mpmath": str(mpmath.__version__),
            "sympy": str(sp.__version__), "basins": str(__version__), "python": platform.python_version()}


@contextlib.contextmanager
def flint_precision(bits: int) -> Iterator[None]:
    """Set python-flint's working precision inside a block (``flint.ctx.workprec``; restored afterwards)."""
    import flint

    with flint.ctx.workprec(int(bits)):
        yield
