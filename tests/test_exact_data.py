"""Data stored beyond float64 (SPEC §12, issue 17): exp at width 7 on 17 points, whose labels need 80 digits.

Every figure is recomputed independently here: the labels are parsed from their
text by the test itself, σ = exp is written in mpmath, and E, ∇E, ∇²E (SPEC §0)
are formed from it at 120 digits — none of it comes from the package under test.
"""

from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from basins import construct
from basins.certification.certify import certify_case, verify_rigorous
from basins.errors import CaseFormatError, NotApplicable, VerificationFailed
from basins.io.case import Case
from basins.io.dyadic import dyadic_arb, dyadic_mpf, from_dyadic, to_dyadic

DPS = 120


def _parse(text: str) -> Fraction:
    sign = -1 if text.startswith("-") else 1
    man, exp = text.lstrip("-")[2:].split("p")
    return sign * Fraction(int(man, 16)) * Fraction(2) ** int(exp)


@pytest.fixture(scope="module")
def exp_case() -> Case:
    x = np.sort(np.random.default_rng(17).uniform(-3.0, 3.0, 17))
    return construct("exp", x=x, width=7, seed=0)


def _independent(case: Case, y: list) -> tuple:
    """E, |∇E|, the Newton step and the smallest and largest Hessian eigenvalues, at DPS digits."""
    with mpmath.workdps(DPS):
        x = [mpmath.mpf(a) for a in case.x]
        v, w = [mpmath.mpf(a) for a in case.v], [mpmath.mpf(a) for a in case.w]
        m, n = len(v), len(x)
        z = [[mpmath.exp(w[i] * x[j]) for j in range(n)] for i in range(m)]
        r = [mpmath.fsum(v[i] * z[i][j] for i in range(m)) - y[j] for j in range(n)]
        E = mpmath.fsum(t * t for t in r)
        J = [[z[i][j] for i in range(m)] + [v[i] * x[j] * z[i][j] for i in range(m)] for j in range(n)]
        g = [2 * mpmath.fsum(J[j][k] * r[j] for j in range(n)) for k in range(2 * m)]
        H = mpmath.matrix(2 * m, 2 * m)
        for a in range(2 * m):
            for b in range(2 * m):
                H[a, b] = 2 * mpmath.fsum(J[j][a] * J[j][b] for j in range(n))
        for i in range(m):          # 2 Σ_j r_j ∂²ŷ_j: ∂v_i∂w_i = x z, ∂w_i² = v x² z
            H[i, m + i] += 2 * mpmath.fsum(r[j] * x[j] * z[i][j] for j in range(n))
            H[m + i, i] = H[i, m + i]
            H[m + i, m + i] += 2 * mpmath.fsum(r[j] * v[i] * x[j] ** 2 * z[i][j] for j in range(n))
        ev = mpmath.eigsy(H, eigvals_only=True)
        step = mpmath.norm(mpmath.lu_solve(H, mpmath.matrix(g)))
        return E, mpmath.norm(mpmath.matrix(g)), step, min(ev), max(ev)


def test_dyadic_texts_are_exact():
    with mpmath.workprec(300):
        third = -mpmath.mpf(1) / 3
    text = to_dyadic(third)
    assert _parse(text) == from_dyadic(text)
    sign, man, exp, _ = third._mpf_
    assert from_dyadic(text) == (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)
    with mpmath.workdps(15):                       # exact whatever the working precision
        assert dyadic_mpf(text) == third
    assert to_dyadic(-2.5) == "-0x5p-1" and to_dyadic(0.0) == "0x0p0" and from_dyadic("0x3p-3") == Fraction(3, 8)
    assert dyadic_arb(text).contains(dyadic_arb(text)) and dyadic_arb("0x3p-3").mid() == 0.375
    for bad in ("0x1.8p1", "1.5", "0xgp1", "-0x1p", 3):
        with pytest.raises(ValueError):
            from_dyadic(bad)  # type: ignore[arg-type]


def test_exp_width_7_is_built_on_exact_labels(exp_case):
    """Refused before: "holds at 80 digits, but not on the data rounded to float64" for every seed."""
    case = exp_case
    assert case.y_exact is not None and case.data_bits > 200
    assert "y is stored exactly" in case.details["precision"]["data"]
    y = [_parse(t) for t in case.y_exact]
    assert all(float(a) == b for a, b in zip(y, case.y))          # y holds the nearest floats
    with mpmath.workdps(DPS):
        y_mp = [mpmath.mpf(a.numerator) / a.denominator for a in y]
    E, gnorm, step, lo, hi = _independent(case, y_mp)
    assert step < 1e-50 and 0 < lo < 1e-12 * hi                  # a strict minimum, badly conditioned
    assert float(E) == pytest.approx(case.loss, rel=1e-14)
    with mpmath.workdps(DPS):
        wit = case.with_(v=case.witness.v, w=case.witness.w)
    assert _independent(wit, y_mp)[0] < E                          # sub-optimal
    # the float64 labels are another problem: there the stored point is far from critical
    _, _, step_f, _, _ = _independent(case, [mpmath.mpf(a) for a in case.y])
    assert step_f > 1e6 * step


def test_a_case_with_exact_labels_round_trips_and_refuses_a_mismatch(exp_case):
    d = json.loads(exp_case.to_json())
    assert d["y_exact"] == list(exp_case.y_exact)
    assert Case.from_dict(d) == exp_case
    bad = dict(d, y_exact=["0x1p0"] + d["y_exact"][1:])
    with pytest.raises(CaseFormatError, match=r"y_exact\[0\]"):
        Case.from_dict(bad)
    with pytest.raises(CaseFormatError, match="y_exact"):
        Case.from_dict(dict(d, y_exact=["1.5"] * len(d["y"])))


def test_verified_and_certified_on_the_exact_labels(exp_case):
    from basins import verify_case

    ver = verify_case(exp_case, samples=200)
    assert ver.passed, ver.failed
    assert ver.figures["dps"] >= 90
    certified = certify_case(exp_case)
    assert certified.certificate["inputs"]["y_exact"] == list(exp_case.y_exact)
    assert "y" in certified.certificate["record"]["not certified"]
    assert verify_rigorous(certified)["status"] == "certified"


def test_an_edited_or_dropped_exact_label_is_rejected(exp_case):
    certified = certify_case(exp_case)
    texts = list(certified.y_exact)
    last = texts[3]
    digit = "1" if last.split("p")[0][-1] != "1" else "3"
    texts[3] = last.split("p")[0][:-1] + digit + "p" + last.split("p")[1]    # same float, other number
    assert float(from_dyadic(texts[3])) == certified.y[3]
    for edited in (certified.with_(y_exact=tuple(texts)), certified.with_(y_exact=None)):
        with pytest.raises(VerificationFailed):
            verify_rigorous(edited)


def test_float64_consumers_refuse_exact_labels_in_one_line(exp_case):
    from basins import problems

    with pytest.raises(NotApplicable, match="stored exactly at .* bits") as info:
        problems.load(exp_case)
    assert "\n" not in str(info.value)
