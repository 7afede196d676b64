"""Certify a case and re-prove a certified one: the entry points of :mod:`basins.certification`.

:func:`certify` sends piecewise-linear σ to the exact piece analysis
(:mod:`~basins.certification.piecewise_linear`) and every other σ to the ball
certificate (:mod:`~basins.certification.smooth`); :func:`certify_case`
attaches the certificate and the certified record; :func:`recheck_certificate`
recomputes a stored certificate; :func:`verify_rigorous` re-proves a certified
case with both verifiers and checks every field of its record.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, arXiv:1812.11039, Proposition 4 and Theorem 7; SPEC §7.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

from basins.certification.certificate import CERTIFIED, Certificate
from basins.certification.piecewise_linear import KIND as PL_KIND
from basins.certification.piecewise_linear import certify_pl
from basins.certification.record import CERTIFIED_FIELDS, NOT_CERTIFIED, check_record, normalise_record
from basins.certification.smooth import certify_smooth
from basins.errors import VerificationFailed
from basins.io.case import Case
from basins.validate import proof_inputs

__all__ = ["certify", "certify_case", "recheck_certificate", "verify_rigorous"]


def certify(case: Case, *, prec: int = 128) -> Certificate:
    """Certify a case: piecewise-linear σ by the exact piece analysis, others in balls.

    Examples
    --------
    >>> from basins.constructions.prop4 import construct_prop4
    >>> certify(construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])).certified
    True

    References
    ----------
    Li, Ding & Sun, Proposition 4 and Theorem 7; SPEC §7.
    """
    act, _ = proof_inputs(case)
    if act is not None and act.piecewise_linear is not None:
        return _pl(case)
    return certify_smooth(case, prec=prec)


#: Why a piecewise-linear certificate carries no ``guarantees`` (SPEC §12).
PL_NO_GUARANTEES = ("piecewise-linear σ: θ* sits where a weight meets a breakpoint, E has no Hessian there, so no "
                    "λ_min bound or Hessian-based basin radius is derived; the exact piece analysis proves strict "
                    "local minimality and sub-optimality only")


def _pl(case: Case) -> Certificate:
    cert = certify_pl(case)
    if cert.kind == PL_KIND and cert.guarantees is None:
        cert = dataclasses.replace(cert, guarantees_absent=PL_NO_GUARANTEES if cert.certified else "not proved")
    return cert


def certify_case(case: Case, *, prec: int = 128) -> Case:
    """The case with its certificate attached; raises VerificationFailed when not proved.

    The returned case's readable figures come from the proof: its losses are
    the floats nearest the proof's enclosures, ``details.exact`` is dropped
    when it describes another point, and the certificate's ``record`` lists
    the fields ``verify --rigorous`` checks (:mod:`basins.certification.record`) and those
    outside the certified record.

    Raises
    ------
    VerificationFailed
        Naming the first check that failed (``.check``), or the first field of
        the record that contradicts the proof (``.check`` = "record: FIELD").

    References
    ----------
    Li, Ding & Sun, Proposition 4 and Theorem 7; SPEC §7.
    """
    cert = certify(case, prec=prec)
    if not cert.certified:
        name = cert.failed[0] if cert.failed else "incomplete"
        detail = next((d for n, ok, d in cert.checks if n == name), "the proof did not complete")
        raise VerificationFailed(f"case {case.name or '(unnamed)'}: certificate rejected at check {name!r}: {detail}",
                                 check=name)
    act, _ = proof_inputs(case)
    out = normalise_record(case, act, cert.enclosures)
    record = _record_or_raise(out, act, cert.enclosures)
    return out.with_(certificate={**cert.to_dict(), "record": record})


def _record_or_raise(case: Case, act: Any, enclosures: Mapping[str, Any]) -> dict[str, Any]:
    checks = check_record(case, act, enclosures)
    bad = [(n, d) for n, ok, d in checks if not ok]
    if bad:
        field_name, detail = bad[0]
        raise VerificationFailed(f"case {case.name or '(unnamed)'}: the certified record's field {field_name!r} "
                                 f"contradicts the proof: {detail}", check=f"record: {field_name}")
    not_certified = dict(NOT_CERTIFIED)
    if case.y_exact is not None:      # SPEC §12: the proof is about the exact labels
        not_certified["y"] = ("the nearest floats of y_exact, for display and float code; the certificate is about "
                              "y_exact (bound into its inputs and digest); on these floats the point is not proved "
                              "a minimum")
    return {"certified fields": list(CERTIFIED_FIELDS),
            "checks": [{"field": n, "passed": ok, "detail": d} for n, ok, d in checks],
            "not certified": not_certified}


def recheck_certificate(case: Case) -> Certificate:
    """Recompute the certificate of a case from its data and compare with the stored one.

    Nothing stored is trusted: the certificate is recomputed from the case's
    activation, x, y, v, w and witness (with the stored precision); every
    stored input, figure, check and record entry must equal the recomputed
    one, and every field of the certified record (:mod:`basins.certification.record`: the
    losses, the activation's name, the theorem and its hypotheses,
    ``details.exact``) must agree with the proof.

    Raises
    ------
    VerificationFailed
        When the case has no certificate, the recomputed proof fails, or a
        stored input or figure differs from the recomputed one.

    References
    ----------
    SPEC §7 (certificates store their inputs exactly so a third party can re-verify them).
    """
    stored = case.certificate
    if not isinstance(stored, Mapping) or not isinstance(stored.get("inputs"), Mapping):
        raise VerificationFailed(f"case {case.name or '(unnamed)'}: certificate=None, nothing to re-verify",
                                 check="certificate")
    prec = stored["inputs"].get("precision bits", 128)
    if isinstance(prec, bool) or not isinstance(prec, int) or not 64 <= prec <= 4096:
        raise VerificationFailed(f"certificate: precision bits={prec!r} must be an integer in [64, 4096]",
                                 check="certificate")
    act, _ = proof_inputs(case)
    if act is not None and act.piecewise_linear is not None:
        fresh = _pl(case)
    else:
        fresh = certify_smooth(case, prec=prec)
    if not fresh.certified:
        name = fresh.failed[0] if fresh.failed else "incomplete"
        detail = next((d for n, ok, d in fresh.checks if n == name), "")
        raise VerificationFailed(f"recomputed certificate rejected at check {name!r}: {detail}", check=name)
    assert act is not None
    new = fresh.to_dict()
    same_libraries = _numeric_libraries(stored.get("versions")) == _numeric_libraries(new["versions"])
    for section in ("kind", "status", "guarantee", "inputs", "figures", "checks", "guarantees",
                    "guarantees (absent)", "record"):
        if section == "record":
            new["record"] = _record_or_raise(case, act, fresh.enclosures)
            if "record" not in stored:
                continue     # a certificate written before records existed: the record was still checked
        if section in ("guarantees", "guarantees (absent)") and section not in stored:
            continue         # written before guarantees existed: an absent section claims nothing
        old_val, new_val = stored.get(section), new.get(section)
        if _canon(old_val) == _canon(new_val):
            continue
        if section in ("figures", "checks", "guarantees") and not same_libraries and _close(old_val, new_val):
            continue  # another python-flint/mpmath may print the same balls with other digits
        where = _first_difference(old_val, new_val, section)
        note = ""
        if section == "figures" and not same_libraries:
            note = f" (stored with {stored.get('versions')}, recomputed with {new['versions']})"
        raise VerificationFailed(f"certificate does not match its recomputation: {where}{note}",
                                 check="stored " + section)
    return fresh


def _numeric_libraries(versions: Any) -> Any:
    if not isinstance(versions, Mapping):
        return None
    return {k: versions.get(k) for k in ("python-flint", "mpmath")}


def _leading_number(obj: Any) -> float | None:
    if isinstance(obj, bool):
        return None
    if isinstance(obj, (int, float)):
        return float(obj)
    if isinstance(obj, str):
        text = obj.strip().lstrip("[").split("+/-")[0].strip().rstrip("]")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _close(old: Any, new: Any, rtol: float = 1e-12) -> bool:
    """Equal up to the printing of balls by other library versions (digests must match exactly)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return set(old) == set(new) and all(
            (old[k] == new[k]) if k == "digest" else _close(old[k], new[k], rtol) for k in new)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_close(a, b, rtol) for a, b in zip(old, new))
    a, b = _leading_number(old), _leading_number(new)
    if a is None or b is None:
        return bool(old == new)
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


def _canon(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str, allow_nan=True)


def _first_difference(old: Any, new: Any, where: str) -> str:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for k in list(new) + [k for k in old if k not in new]:
            if _canon(old.get(k)) != _canon(new.get(k)):
                return _first_difference(old.get(k), new.get(k), f"{where}.{k}")
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            if _canon(a) != _canon(b):
                return _first_difference(a, b, f"{where}[{i}]")
    return f"{where} is stored as {_short(old)} but recomputes to {_short(new)}"


def _short(obj: Any) -> str:
    s = json.dumps(obj, default=str, ensure_ascii=False)
    return s if len(s) <= 80 else s[:77] + "..."


def verify_rigorous(case: Case) -> dict[str, Any]:
    """Re-prove a certified case with both verifiers, trusting nothing stored.

    First the certificate is recomputed in python-flint balls (or exact
    rationals) from the case's data and compared with the stored one (any
    difference rejects); then :func:`basins.certification.second.reverify` proves the
    same facts again with mpmath intervals / exact rationals.

    Returns
    -------
    dict
        ``{"status": "certified", "first": ..., "second": ...}``.

    Raises
    ------
    VerificationFailed
        Naming the check that failed, in either verifier.

    References
    ----------
    SPEC §7 (certificates a third party can re-verify).
    """
    from basins.certification.second import reverify_or_raise   # the independent verifier, on demand

    first = recheck_certificate(case)
    second = reverify_or_raise(case)
    act, _ = proof_inputs(case)
    record = _record_or_raise(case, act, first.enclosures)
    return {"status": CERTIFIED, "guarantee": "proved twice: ball arithmetic (python-flint) and an independent "
                                               "mpmath-interval / exact-rational verifier",
            "record": record,
            "first": {"kind": first.kind, "status": first.status,
                      "checks": [{"name": n, "passed": ok, "detail": d} for n, ok, d in first.checks]},
            "second": second.to_dict()}
