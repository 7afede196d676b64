"""The certified record: every field of a certified case that a consumer reads, checked.

A certificate proves facts about the numbers of a case (its activation's
expression, x, y, v, w and the witness).  A certified *file* also carries
fields that people and programs read: the losses, the activation's name, the
theorem it instantiates, ``details.exact``, the case's name.  This module
decides which of them belong to the certified record and checks each one
against what the proof recomputed; the rest (the construction's notes in
``details`` and the float64 ``verification``) are named as *not certified*.

* ``loss`` and ``witness.loss`` must lie in the proof's enclosure of E at the
  point and at the witness (widened by two units in the last place of the
  stored float);
* ``activation_name`` must name the stored expression: a registry name
  (``swish``, ``shifted_relu(2)``) or an expression text that parses to the
  identical expression, or ``designed(...)`` for a designed piecewise
  polynomial;
* ``theorem`` must be one of the results basins constructs, and its
  hypotheses on σ and on the shapes of the data are decided exactly from the
  expression and the stored numbers (conditions 1–3 of Proposition 4 are not
  re-proved: the certificate proves their conclusion directly);
* ``details.exact``, when present, must equal the certified floats exactly;
* the case's ``name`` and labels are bound into the certificate's digest;
* ``certificate.guarantees`` (smooth σ: the enclosure of θ*, E* as a ball,
  the lower bound on λ_min(∇²E), the basin radius and escape barrier of
  SPEC §12) are recomputed from the case's data by ``recheck_certificate``
  and must equal the stored ones; piecewise-linear certificates carry none
  and say why under ``certificate["guarantees (absent)"]``.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4 and Theorems 4, 6, 7; SPEC §7 and §12.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any, Mapping

import sympy as sp

from basins.errors import BasinsError, NotApplicable

__all__ = ["CERTIFIED_FIELDS", "NOT_CERTIFIED", "GENERAL_THEOREM", "check_record", "normalise_record",
           "theorem_hypotheses"]

#: The fields of a certified case that ``verify --rigorous`` checks.
CERTIFIED_FIELDS = ("activation", "activation_name", "x", "y", "v", "w", "loss", "witness.v", "witness.w",
                    "witness.loss", "theorem", "name", "details.exact", "certificate",
                    "certificate.guarantees")

#: What a certified file carries outside its certified record.
NOT_CERTIFIED = {
    "details": "the construction's notes (a, M, margins, search): not re-proved (details.exact is checked)",
    "verification": "the float64 numerical verification, when the file has one: not certified",
}


def _ulp_widen(lo: Fraction, hi: Fraction, stored: float) -> tuple[Fraction, Fraction]:
    u = Fraction(math.ulp(stored)) * 2
    return lo - u, hi + u


def _loss_check(name: str, stored: float, enclosure: tuple[Fraction, Fraction] | None) -> tuple[str, bool, str]:
    if enclosure is None:
        return name, False, "the proof gave no enclosure to check it against"
    lo, hi = _ulp_widen(*enclosure, stored)
    ok = lo <= Fraction(stored) <= hi
    return name, ok, (f"{stored!r} lies in the proof's enclosure [{float(enclosure[0])!r}, {float(enclosure[1])!r}]"
                      if ok else f"stored as {stored!r}, but the proof encloses it in "
                                 f"[{float(enclosure[0])!r}, {float(enclosure[1])!r}]")


def _same_expression(a: Any, b: Any) -> bool:
    pa, pb = a._ppoly, b._ppoly
    if pa is not None or pb is not None:
        return pa is not None and pb is not None and (pa.breakpoints, pa.centers, pa.coeffs) == (
            pb.breakpoints, pb.centers, pb.coeffs)
    return bool(sp.srepr(a.expr) == sp.srepr(b.expr))


def activation_name_check(name: str, act: Any) -> tuple[str, bool, str]:
    """Whether the label ``name`` denotes the activation ``act`` (the expression that was proved)."""
    from basins.activations import Activation

    if name == act.text:
        return "activation_name", True, "the expression itself"
    if name.startswith("designed(") and act._ppoly is not None:
        return "activation_name", True, f"{name!r}: a designed piecewise polynomial (its expression is certified)"
    try:
        named = Activation.from_text(name, argument="activation_name")
    except BasinsError:
        return "activation_name", False, (f"{name!r} is neither a registry name nor an expression; it must name "
                                          "the certified expression")
    if _same_expression(named, act):
        return "activation_name", True, f"{name!r} denotes the certified expression"
    return "activation_name", False, (f"{name!r} denotes {named.text[:60]!r}, not the certified expression "
                                      f"{act.text[:60]!r}")


def theorem_hypotheses(case: Any, act: Any) -> tuple[bool, str]:
    """Decide, exactly, the hypotheses of ``case.theorem`` on σ and on the shapes of the data.

    Returns (holds, what was checked or what fails).
    """
    from basins import validate as _validate

    theorem = case.theorem
    m, n = len(case.w), len(case.x)
    model = case.model
    if not model.scalar or theorem == GENERAL_THEOREM:
        return _general_hypotheses(case, act, theorem, model, m, n)
    try:
        if theorem == "Theorem 7":
            from basins.constructions.theorem7 import activation_shape, check_data

            shape = activation_shape(act)
            check_data(shape, [Fraction(float(a)) for a in case.x], m)
            return True, ("σ continuous piecewise linear with σ(0) = σ′(0) = 0 and rational data; N ≥ 3, "
                          "2m + 1 ≤ N, x positive and strictly decreasing, x_1/x_N below the ratio bound")
        if theorem in ("Proposition 4", "Theorem 6", "Theorem 4"):
            from basins.constructions.theorem5 import refuse_if_homogeneous

            refuse_if_homogeneous(act)
            if act.piecewise_linear is not None:
                return False, "σ is piecewise linear: σ″ = 0, so condition 2 of Proposition 4 cannot hold"
            _validate.data_x(list(case.x), theorem=theorem)
            _validate.width_below_samples(m, n)
            # Proposition 4 allows a zero entry (only Theorems 4 and 6 exclude it): say what this x is
            xs = "x without zero or repeated entries" if all(float(a) != 0 for a in case.x) else \
                "x without repeated entries (a zero entry, which Proposition 4 allows)"
            what = f"σ not positively homogeneous nor piecewise linear; {xs}; m < N"
            if theorem == "Theorem 6":
                from basins.constructions.theorem6 import check_theorem6

                values = check_theorem6(act)
                if m != 1 or n < 3 or any(float(w) != 0.0 for w in case.w):
                    return False, f"Theorem 6 is one neuron at w = 0 with N ≥ 3; here m = {m}, N = {n}, w = {case.w}"
                what += f"; m = 1 at w = 0, N ≥ 3, σ(0), σ′(0), σ″(0) = {', '.join(values.values())} all ≠ 0"
            if theorem == "Theorem 4":
                if act._ppoly is None:
                    return False, "Theorem 4's σ is a designed piecewise polynomial; this σ is not one"
                what += "; σ a designed piecewise polynomial (exact rational pieces)"
            return True, what + "; σ ∈ C² near θ* and the conclusion of Proposition 4 are proved by the certificate"
    except NotApplicable as exc:
        return False, str(exc)
    except BasinsError as exc:
        return False, str(exc)
    return False, (f"{theorem!r} is not a result basins constructs bad basins by (Proposition 4, Theorem 4, "
                   "Theorem 6, Theorem 7)")


#: The label of the generalized Proposition 4 (SPEC §11: d-dimensional inputs, hidden and output bias).
GENERAL_THEOREM = "Proposition 4 (SPEC §11)"


def _general_hypotheses(case: Any, act: Any, theorem: str, model: Any, m: int, n: int) -> tuple[bool, str]:
    """The hypotheses of the generalized Proposition 4 that are not part of the certificate's proof."""
    if theorem != GENERAL_THEOREM:
        return False, (f"{theorem!r} is a statement about scalar inputs without biases (d = 1); this case has "
                       f"d = {model.input_dim}, hidden bias {model.hidden_bias}, output bias {model.output_bias}: "
                       f"its result is {GENERAL_THEOREM!r}")
    if model.scalar:
        return False, f"{GENERAL_THEOREM!r} labels cases with d > 1 or a bias; this one is the paper's model"
    try:
        from basins.constructions.theorem5 import refuse_if_homogeneous

        refuse_if_homogeneous(act)
    except BasinsError as exc:
        return False, str(exc)
    if act.piecewise_linear is not None:
        return False, "σ is piecewise linear: σ″ = 0, so no A_i(a) is definite (condition 2 of SPEC §11)"
    dim_s = m * (model.D + 1) + int(model.output_bias)
    if n <= dim_s:
        return False, f"N = {n} ≤ dim S = m(D + 1){' + 1' if model.output_bias else ''} = {dim_s}: a ⟂ S needs N > dim S"
    return True, (f"σ not positively homogeneous nor piecewise linear; N = {n} > dim S = {dim_s}; σ ∈ C² near θ* "
                  "and the conclusion (a strict local minimum, a point of lower loss) are proved by the certificate")


def check_record(case: Any, act: Any, enclosures: Mapping[str, tuple[Fraction, Fraction]]
                 ) -> list[tuple[str, bool, str]]:
    """Check every field of the certified record of ``case`` against the proof; (field, ok, detail) each."""
    out: list[tuple[str, bool, str]] = []
    if act.text != case.activation.text:
        out.append(("activation", False, "the stored text is not the text of the proved expression"))
    out.append(activation_name_check(str(case.activation.name), act))
    ok, what = theorem_hypotheses(case, act)
    out.append(("theorem", ok, f"{case.theorem}: {what}"))
    out.append(_loss_check("loss", float(case.loss), enclosures.get("loss")))
    if case.witness is not None:
        out.append(_loss_check("witness.loss", float(case.witness.loss), enclosures.get("witness loss")))
    exact = case.details.get("exact") if isinstance(case.details, Mapping) else None
    if exact is not None:
        out.append(_exact_check(case, exact))
    return out


def _flat(a: Any) -> list:
    """Entries of a vector, or of a matrix row by row (x and w of SPEC §11)."""
    if not isinstance(a, (list, tuple)):
        return [a]
    return [e for row in a for e in (_flat(row) if isinstance(row, (list, tuple)) else [row])]


def _exact_check(case: Any, exact: Any) -> tuple[str, bool, str]:
    if not isinstance(exact, Mapping):
        return "details.exact", False, "is not an object"
    for key in ("x", "y", "v", "w"):
        if key not in exact:
            continue
        vals = _flat(exact[key])
        stored = _flat(getattr(case, key))
        try:
            qs = [Fraction(str(a)) for a in vals]
        except (TypeError, ValueError, ZeroDivisionError):
            return f"details.exact.{key}", False, "holds an entry that is not a rational number"
        if len(qs) != len(stored) or any(q != Fraction(float(a)) for q, a in zip(qs, stored)):
            return f"details.exact.{key}", False, ("differs from the certified floats: it describes another point "
                                                   "than the one proved")
    return "details.exact", True, "every listed vector equals the certified floats exactly"


def normalise_record(case: Any, act: Any, enclosures: Mapping[str, tuple[Fraction, Fraction]]) -> Any:
    """The case with its readable figures set from the proof: the losses to the float nearest the
    enclosure's midpoint, ``details.exact`` dropped when it describes another point, the activation's
    text recomputed from the proved expression."""
    changes: dict[str, Any] = {"activation": act}
    if "loss" in enclosures:
        lo, hi = enclosures["loss"]
        changes["loss"] = float((lo + hi) / 2)
    if case.witness is not None and "witness loss" in enclosures:
        lo, hi = enclosures["witness loss"]
        changes["witness"] = dataclasses.replace(case.witness, loss=float((lo + hi) / 2))
    details = dict(case.details)
    if "exact" in details:
        name, ok, _ = _exact_check(case, details["exact"])
        if not ok:
            details.pop("exact")
            details["exact (dropped)"] = (f"{name} described another point than the certified floats; "
                                          "the certificate is about the floats")
    changes["details"] = details
    return case.with_(**changes)
