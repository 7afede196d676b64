"""Certificates in ball arithmetic for smooth σ (SPEC §7, last bullet).

A certificate proves, with python-flint's ``arb`` balls, three facts about a
case whose σ is C² near its point:

1. a box X = [c − ρ, c + ρ]^{2m} around the case's point holds exactly one
   critical point θ* of E (Krawczyk: K(X) ⊂ int X);
2. every symmetric matrix in the ball Hessian over X is positive definite
   (a Cholesky factorisation in balls whose pivots are all > 0), so θ* is a
   strict local minimum (E is strictly convex on X);
3. the witness has strictly lower loss: upper E(witness) < lower E(K(X)).

Every comparison that balls cannot decide rejects.  The certificate stores
its exact inputs (``float.hex``), a SHA-256 digest of them, and the audit
figures (radius, Krawczyk image, smallest pivot, the two losses, precision,
library versions); :func:`recheck_certificate` recomputes all of it from the
case's data and rejects any difference.  Piecewise-linear σ are certified by
:mod:`basins.certification.piecewise_linear`; :func:`certify` picks the right one.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4, Theorems 4, 6 and 7 (``shared/papers/002_dcd1bd86d7cd4545.txt``);
R. Krawczyk, *Newton-Algorithmen zur Bestimmung von Nullstellen mit
Fehlerschranken*, Computing 4 (1969).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import platform
from fractions import Fraction
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import sympy as sp

from basins.validate import proof_inputs
from basins.io.case import Case
from basins.certification.record import CERTIFIED_FIELDS, NOT_CERTIFIED, check_record, normalise_record
from basins.errors import InvalidArgument, VerificationFailed

__all__ = [
    "CERTIFIED",
    "REJECTED",
    "HYPOTHESES",
    "Certificate",
    "certify",
    "certify_case",
    "certify_smooth",
    "recheck_certificate",
    "verify_rigorous",
    "exact_inputs",
    "input_digest",
    "flint_precision",
]

CERTIFIED = "certified"
REJECTED = "rejected"
KIND = "smooth: Krawczyk box, ball Cholesky, ball losses (python-flint arb)"

#: What the smooth certificate proves, check by check.
HYPOTHESES: dict[str, str] = {
    "inputs": "x, y have one length N, v, w and the witness's v, w one length m; every input is finite; "
              "σ is a real expression in t with a ball evaluator",
    "C2": "σ is C² on every pre-activation ball w_i x_j over X (decided in balls, switch by switch)",
    "krawczyk": "K(X) ⊂ int X: X holds exactly one critical point θ* of E",
    "point": "the case's point (v, w) lies in X, within ρ of θ*",
    "positive definite": "a ball Cholesky of ∇²E over X has all pivots > 0: θ* is a strict local minimum",
    "sub-optimal": "upper E(witness) < lower E over K(X): θ* is not a global minimum",
}

#: Relative box radii tried, as powers of two of the scale 1 + max|θ|.
_RADIUS_EXPONENTS = (-33, -40, -26, -20, -46)


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

    @property
    def certified(self) -> bool:
        return self.status == CERTIFIED

    @property
    def failed(self) -> list[str]:
        return [name for name, ok, _ in self.checks if not ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "guarantee": ("proved in ball arithmetic (every rounding enclosed); any undecided comparison rejects"
                          if self.certified else "not proved"),
            "checks": [{"name": n, "passed": ok, "detail": d} for n, ok, d in self.checks],
            "inputs": dict(self.inputs),
            "figures": dict(self.figures),
            "versions": dict(self.versions),
        }


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
        d[k] = [float(a).hex() for a in getattr(case, k)]
    d["witness"] = None if case.witness is None else {
        "v": [float(a).hex() for a in case.witness.v], "w": [float(a).hex() for a in case.witness.w]}
    return d


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
    """Set python-flint's working precision inside a block (restored afterwards)."""
    import flint

    old = flint.ctx.prec
    flint.ctx.prec = int(bits)
    try:
        yield
    finally:
        flint.ctx.prec = old


# ------------------------------------------------------- ball evaluation --

class _Balls:
    """E, ∇E and ∇²E of the network over balls of parameters (one engine)."""

    def __init__(self, case: Case, act: Any):
        import flint

        self.flint = flint
        self.act = act
        self.f = act.arb(2)
        self._f0 = act.arb(0)
        self.x = [flint.arb(float(a)) for a in case.x]
        self.y = [flint.arb(float(a)) for a in case.y]
        self.m, self.n = case.m, case.N

    def features(self, w: Sequence[Any]) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]], list[list[Any]]]:
        z, z1, z2, u_all = [], [], [], []
        for wi in w:
            zi, z1i, z2i, ui = [], [], [], []
            for xj in self.x:
                u = wi * xj
                s0, s1, s2 = self.f(u)
                zi.append(s0)
                z1i.append(xj * s1)
                z2i.append(xj * xj * s2)
                ui.append(u)
            z.append(zi)
            z1.append(z1i)
            z2.append(z2i)
            u_all.append(ui)
        return z, z1, z2, u_all

    def residual(self, z: list[list[Any]], v: Sequence[Any]) -> list[Any]:
        arb_mat = self.flint.arb_mat
        yhat = arb_mat([list(v)]) * arb_mat(z)
        return [yhat[0, j] - self.y[j] for j in range(self.n)]

    def loss(self, v: Sequence[Any], w: Sequence[Any]) -> Any:
        z = [[self.f0(wi * xj) for xj in self.x] for wi in w]
        r = self.residual(z, v)
        total = self.flint.arb(0)
        for rj in r:
            total += rj * rj
        return total

    def f0(self, u: Any) -> Any:
        return self._f0(u)[0]

    def gradient_hessian(self, v: Sequence[Any], w: Sequence[Any], want_hessian: bool = True
                         ) -> tuple[Any, Any, list[list[Any]]]:
        arb_mat = self.flint.arb_mat
        m = self.m
        z, z1, z2, u = self.features(w)
        r = self.residual(z, v)
        rcol = arb_mat([[rj] for rj in r])
        Z, Z1 = arb_mat(z), arb_mat(z1)
        zr, z1r = Z * rcol, Z1 * rcol
        g = arb_mat([[2 * zr[i, 0]] for i in range(m)] + [[2 * v[i] * z1r[i, 0]] for i in range(m)])
        if not want_hessian:
            return g, None, u
        Jt = arb_mat([list(zi) for zi in z] + [[v[i] * e for e in z1[i]] for i in range(m)])
        H = 2 * (Jt * Jt.transpose())
        z2r = arb_mat(z2) * rcol
        rows = H.tolist()
        for i in range(m):
            c = 2 * z1r[i, 0]
            rows[i][m + i] += c
            rows[m + i][i] += c
            rows[m + i][m + i] += 2 * v[i] * z2r[i, 0]
        return g, arb_mat(rows), u


def _all_finite(mat: Any) -> bool:
    return all(e.is_finite() for row in mat.tolist() for e in row)


def _cholesky_pivots(H: Any) -> list[Any]:
    """Pivots of a Cholesky factorisation of a ball matrix (lower triangle used)."""
    n = H.nrows()
    a = H.tolist()
    L: list[list[Any]] = [[None] * n for _ in range(n)]
    pivots = []
    for k in range(n):
        d = a[k][k]
        for j in range(k):
            d -= L[k][j] * L[k][j]
        pivots.append(d)
        if not d > 0:
            return pivots
        lkk = d.sqrt()
        L[k][k] = lkk
        for i in range(k + 1, n):
            s = a[i][k]
            for j in range(k):
                s -= L[i][j] * L[k][j]
            L[i][k] = s / lkk
    return pivots


def _clip(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _ball_str(b: Any) -> str:
    return b.str(20, radius=True)


def _lower_str(b: Any) -> str:
    return b.lower().str(20, radius=False) if b.is_finite() else "nan"


def _upper_str(b: Any) -> str:
    return b.upper().str(20, radius=False) if b.is_finite() else "nan"


def _c2_failure(act: Any, uX: list[list[Any]]) -> str:
    """Why σ is not proved C² on some pre-activation ball ("" when it is on all of them)."""
    for i, row in enumerate(uX):
        for j, u in enumerate(row):
            state, why = act.c2_on_ball(u)
            if state is not True:
                where = f"w_{i + 1} x_{j + 1} ∈ [{float(u.lower()):.17g}, {float(u.upper()):.17g}]"
                return f"{where}: " + ("" if state is False else "undecided: ") + why
    return ""


# ----------------------------------------------------------- the proofs --

def certify_smooth(case: Case, *, prec: int = 128, radius_exponent: int | None = None) -> Certificate:
    """Certify a case with a C² σ in ball arithmetic (Krawczyk, Cholesky, losses).

    Parameters
    ----------
    case : Case
        Any case; only its activation, x, y, v, w and witness are used.
    prec : int
        Working precision of the balls, in bits (≥ 64).
    radius_exponent : int, optional
        Use the box radius ρ = 2^e · (1 + max|θ|) (rounded up to a power of two)
        with this e only; by default several are tried, the first that proves wins.

    Returns
    -------
    Certificate
        ``status`` is "certified" only when every check is decided in balls.

    Examples
    --------
    >>> from basins.constructions.prop4 import construct_prop4
    >>> cert = certify_smooth(construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0]))
    >>> cert.status
    'certified'

    References
    ----------
    Li, Ding & Sun, Proposition 4 (a strict local minimum: ∇E = 0, ∇²E ≻ 0;
    sub-optimal: a point of lower loss); SPEC §7.
    """
    if isinstance(prec, bool) or not isinstance(prec, int) or prec < 64:
        raise InvalidArgument(f"prec={prec!r} must be an integer number of bits ≥ 64")
    if radius_exponent is not None and (isinstance(radius_exponent, bool) or not isinstance(radius_exponent, int)
                                        or not -60 <= radius_exponent <= -4):
        raise InvalidArgument(f"radius_exponent={radius_exponent!r} must be an integer in [-60, -4]")
    act, problem = proof_inputs(case)
    inputs = exact_inputs(case, act)
    versions = library_versions()
    enclosures: dict[str, tuple[Fraction, Fraction]] = {}
    if problem:
        checks: list[tuple[str, bool, str]] = [("inputs", False, problem)]
        figures: dict[str, Any] = {"precision bits": prec}
        choices: dict[str, Any] = {"precision bits": prec}
    else:
        with flint_precision(prec):
            checks, figures, choices = _smooth_engine(case, act, prec, radius_exponent, enclosures)
    inputs = {**inputs, **choices}
    figures = {"digest": input_digest(inputs), **figures}
    ok = all(passed for _, passed, _ in checks) and len(checks) == len(HYPOTHESES)
    return Certificate(KIND, CERTIFIED if ok else REJECTED, tuple(checks), inputs, figures, versions, enclosures)


def _smooth_engine(case: Case, act: Any, prec: int, radius_exponent: int | None,
                   enclosures: dict[str, tuple[Fraction, Fraction]]
                   ) -> tuple[list[tuple[str, bool, str]], dict[str, Any], dict[str, Any]]:
    import flint

    arb, arb_mat = flint.arb, flint.arb_mat
    checks: list[tuple[str, bool, str]] = []
    figures: dict[str, Any] = {"precision bits": prec}
    choices: dict[str, Any] = {"precision bits": prec}
    m = case.m
    theta0 = [float(a) for a in case.v] + [float(a) for a in case.w]
    if case.witness is None or not all(math.isfinite(a) for a in theta0):
        checks.append(("inputs", False, "the case has no witness of lower loss" if case.witness is None
                       else "the point has a non-finite entry"))
        return checks, figures, choices
    try:
        balls = _Balls(case, act)
    except Exception as exc:  # an activation without a ball evaluator
        checks.append(("inputs", False, f"σ cannot be evaluated in balls: {exc}"))
        return checks, figures, choices
    checks.append(("inputs", True, f"activation {_clip(str(act.expr))}, N = {case.N}, m = {m} (the witness too), "
                                   f"{prec}-bit balls"))

    # centre: one Newton step from the case's point, in balls, rounded to float64
    v0, w0 = [arb(a) for a in theta0[:m]], [arb(a) for a in theta0[m:]]
    g0, H0, _ = balls.gradient_hessian(v0, w0)
    if not (_all_finite(g0) and _all_finite(H0)):
        checks.append(("C2", False, "σ or a derivative is not finite at the point"))
        return checks, figures, choices
    Hmid = np.array([[float(e.mid()) for e in row] for row in H0.tolist()])
    gmid = np.array([float(e.mid()) for e in g0.entries()])
    try:
        step = np.linalg.solve(Hmid, gmid)
        C = np.linalg.inv(Hmid)
    except np.linalg.LinAlgError:
        checks.append(("krawczyk", False, "the Hessian at the point is singular in float64"))
        return checks, figures, choices
    if not (np.all(np.isfinite(step)) and np.all(np.isfinite(C))):
        checks.append(("krawczyk", False, "the Newton step is not finite"))
        return checks, figures, choices
    centre = [float(a - s) for a, s in zip(theta0, step)]
    offset = max(abs(a - c) for a, c in zip(theta0, centre))
    scale = 1.0 + max(abs(a) for a in theta0)
    exponents = (radius_exponent,) if radius_exponent is not None else _RADIUS_EXPONENTS
    Carb = arb_mat(C.tolist())
    eye = arb_mat(2 * m, 2 * m)
    for i in range(2 * m):
        eye[i, i] = 1
    c_arb = [arb(a) for a in centre]
    gc, _, _ = balls.gradient_hessian(c_arb[:m], c_arb[m:], want_hessian=False)
    base = Carb * gc
    attempt: dict[str, Any] = {}
    c2_failure = ""
    for e in exponents:
        rho = 2.0 ** math.ceil(math.log2(scale * 2.0 ** e))
        if rho <= 2 * offset:
            continue
        X = [arb(c, rho) for c in centre]
        gX, HX, uX = balls.gradient_hessian(X[:m], X[m:])
        # C² on the box first, decided on every pre-activation ball (nothing declared is used):
        # a box where smoothness is not proved is never used, however well Krawczyk does on it
        bad = _c2_failure(act, uX)
        if bad:
            c2_failure = c2_failure or f"ρ = {rho:.3g}: {bad}"
            continue
        attempt = {"rho": rho, "X": X, "HX": HX, "uX": uX}
        if not _all_finite(HX):
            continue
        dev = arb_mat([[arb(0, rho)] for _ in range(2 * m)])
        K = (arb_mat([[c] for c in c_arb]) - base) + (eye - Carb * HX) * dev
        Kl = K.entries()
        attempt["K"] = Kl
        if all(Xi.contains_interior(Ki) for Xi, Ki in zip(X, Kl)):
            break
    choices["centre"] = [c.hex() for c in centre]
    if "rho" not in attempt:
        if c2_failure:
            checks.append(("C2", False, "σ is not proved C² on any box tried; first: " + c2_failure))
        else:
            checks.append(("krawczyk", False, f"no radius above twice the Newton step {offset:.3g} was tried"))
        return checks, figures, choices
    rho, X, HX, uX = attempt["rho"], attempt["X"], attempt["HX"], attempt["uX"]
    choices["radius"] = rho.hex()
    figures["box radius"] = rho
    figures["box radius (hex)"] = rho.hex()
    figures["newton offset"] = offset
    checks.append(("C2", True, f"σ is C² on all {m * case.N} pre-activation balls w_i x_j over X (each switch of σ "
                               "keeps its sign there or switches at an exact point where σ, σ′, σ″ are continuous; "
                               "σ, σ′, σ″ are finite balls)"))

    Kl = attempt.get("K")
    if Kl is None:
        checks.append(("krawczyk", False, "the Krawczyk image could not be formed"))
        return checks, figures, choices
    inside = all(Xi.contains_interior(Ki) for Xi, Ki in zip(X, Kl))
    width = max(float(Ki.rad()) for Ki in Kl)
    figures["krawczyk image"] = [_ball_str(k) for k in Kl]
    figures["krawczyk max radius"] = width
    checks.append(("krawczyk", inside,
                   f"K(X) ⊂ int X with X = centre ± {rho:.3g} (largest radius of K(X): {width:.3g})" if inside else
                   f"K(X) is not inside int X for any radius tried (last ρ = {rho:.3g})"))
    if not inside:
        return checks, figures, choices
    in_box = all(abs(Fraction(a) - Fraction(c)) < Fraction(rho) for a, c in zip(theta0, centre))  # exact
    checks.append(("point", in_box, f"|θ − centre|∞ = {offset:.3g} < ρ = {rho:.3g}"))

    pivots = _cholesky_pivots(HX)
    pd = len(pivots) == 2 * m and all(p > 0 for p in pivots)
    smallest = min(pivots, key=lambda p: float(p.lower()))
    figures["smallest pivot"] = _ball_str(smallest)
    figures["smallest pivot (lower)"] = _lower_str(smallest)
    checks.append(("positive definite", pd,
                   f"ball Cholesky of ∇²E over X: all {2 * m} pivots > 0, smallest ≥ {_lower_str(smallest)}" if pd else
                   f"ball Cholesky of ∇²E over X: pivot {len(pivots)} is {_ball_str(pivots[-1])}, not > 0"))

    EK = balls.loss(Kl[:m], Kl[m:])
    Ew = balls.loss([arb(float(a)) for a in case.witness.v], [arb(float(a)) for a in case.witness.w])
    Ep = balls.loss([arb(a) for a in theta0[:m]], [arb(a) for a in theta0[m:]])
    figures["E at point"] = _ball_str(Ep)
    if Ep.is_finite() and Ew.is_finite():
        enclosures["loss"] = arb_bounds(Ep)
        enclosures["witness loss"] = arb_bounds(Ew)
    figures["lower E on K(X)"] = _lower_str(EK)
    figures["E on K(X)"] = _ball_str(EK)
    figures["upper E at witness"] = _upper_str(Ew)
    figures["E at witness"] = _ball_str(Ew)
    sub = bool(Ew < EK)
    checks.append(("sub-optimal", sub,
                   f"E(witness) ≤ {_upper_str(Ew)} < {_lower_str(EK)} ≤ E(θ*)" if sub else
                   f"E(witness) = {_ball_str(Ew)} is not provably below E on K(X) = {_ball_str(EK)}"))
    return checks, figures, choices


# ----------------------------------------------------------- dispatching --

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
        from basins.certification.piecewise_linear import certify_pl

        return certify_pl(case)
    return certify_smooth(case, prec=prec)


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
    return {"certified fields": list(CERTIFIED_FIELDS),
            "checks": [{"field": n, "passed": ok, "detail": d} for n, ok, d in checks],
            "not certified": dict(NOT_CERTIFIED)}


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
        from basins.certification.piecewise_linear import certify_pl

        fresh = certify_pl(case)
    else:
        fresh = certify_smooth(case, prec=prec)
    if not fresh.certified:
        name = fresh.failed[0] if fresh.failed else "incomplete"
        detail = next((d for n, ok, d in fresh.checks if n == name), "")
        raise VerificationFailed(f"recomputed certificate rejected at check {name!r}: {detail}", check=name)
    assert act is not None
    new = fresh.to_dict()
    same_libraries = _numeric_libraries(stored.get("versions")) == _numeric_libraries(new["versions"])
    for section in ("kind", "status", "guarantee", "inputs", "figures", "checks", "record"):
        if section == "record":
            new["record"] = _record_or_raise(case, act, fresh.enclosures)
            if "record" not in stored:
                continue     # a certificate written before records existed: the record was still checked
        old_val, new_val = stored.get(section), new[section]
        if _canon(old_val) == _canon(new_val):
            continue
        if section in ("figures", "checks") and not same_libraries and _close(old_val, new_val):
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
    from basins.certification.second import reverify_or_raise

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
