"""Certificates in ball arithmetic for smooth σ (SPEC §7, last bullet).

A certificate proves, with python-flint's ``arb`` balls, three facts about a
case whose σ is C² near its point:

1. a box X = [c − ρ, c + ρ]^{2m} around the case's point holds exactly one
   critical point θ* of E (Krawczyk: K(X) ⊂ int X);
2. every symmetric matrix in the ball Hessian over X is positive definite
   (a Cholesky factorisation in balls whose pivots are all > 0), so θ* is a
   strict local minimum (E is strictly convex on X);
3. the witness has strictly lower loss: upper E(witness) < lower E(K(X)).

When all three hold, the same ball computation gives what a test can rely on
(SPEC §12), stored as ``certificate["guarantees"]``: an enclosure of θ*
(``theta_star``, from K(X)), E* as a ball (``E_star``), a lower bound on
λ_min(∇²E) over X (``lambda_min_lower``), and a basin radius ρ with an escape
barrier L (``basin_radius``, ``escape_barrier_lower_bound``): E(θ) − E(θ*) ≥ L
on the sphere |θ − θ*|₂ = ρ, from a positive lower bound λ_R on the ball
Hessian over the ∞-box of radius R ≥ ρ around θ*'s enclosure, grown while it
stays proved.  ``method`` and ``meaning`` say how and what.

Every comparison that balls cannot decide rejects.  The certificate stores
its exact inputs (``float.hex``), a SHA-256 digest of them, and the audit
figures (radius, Krawczyk image, smallest pivot, the two losses, precision,
library versions); :func:`recheck_certificate` recomputes all of it from the
case's data and rejects any difference.  Piecewise-linear σ are certified by
:mod:`basins.certification.piecewise_linear`; :func:`certify` picks the right one.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Proposition 4, Theorems 4, 6 and 7 (arXiv:1812.11039);
R. Krawczyk, *Newton-Algorithmen zur Bestimmung von Nullstellen mit
Fehlerschranken*, Computing 4 (1969).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from basins.certification.certificate import (CERTIFIED, REJECTED, Certificate, arb_bounds, exact_inputs,
                                              flint_precision, input_digest, library_versions)
from basins.certification.smooth_large import float_engine, large_applies
from basins.certification.rigorous import (BASIN_FACTOR, ball_cholesky_pivots, float_out, lambda_lower_balls,
                                          pd_shift, short_float, sym_mid, weyl_lower, widen_radius)
from basins.errors import InvalidArgument
from basins.io.case import Case
from basins.io.dyadic import dyadic_arb
from basins.model import engine
from basins.validate import proof_inputs

__all__ = ["GUARANTEES_MEANING", "GUARANTEES_METHOD", "HYPOTHESES", "KIND", "certify_smooth"]

KIND = "smooth: Krawczyk box, ball Cholesky, ball losses (python-flint arb)"

#: What the smooth certificate proves, check by check.
HYPOTHESES: dict[str, str] = {
    "inputs": "x, y have one length N, v, w and the witness's v, w one length m; every input is finite; "
              "σ is a real expression in t with a ball evaluator",
    "C2": "σ is C² on every pre-activation ball w_i x_j over X (decided in balls, switch by switch)",
    "krawczyk": "K(X) ⊂ int X: X holds exactly one critical point θ* of E",
    "point": "the case's point (v, w) lies in X, within ρ of θ* (for an ill-conditioned case certified with every "
             "radius: within |θ − centre|∞ + ρ ≤ 2^-36·(1 + max|θ|) of θ*)",
    "positive definite": "a ball Cholesky of ∇²E over X has all pivots > 0: θ* is a strict local minimum",
    "sub-optimal": "upper E(witness) < lower E over K(X): θ* is not a global minimum",
}

#: From this m·N on, "auto" certifies in verified float64 linear algebra (the shipped cases, m·N ≤ 512, keep balls).
LARGE_WORK = 4096

#: Relative box radii tried, as powers of two of the scale 1 + max|θ|.
_RADIUS_EXPONENTS = (-33, -40, -26, -20, -46)
#: When none of those proves: every exponent from -20 to -60 (no box wider than the usual ones).
_EXTENDED_EXPONENTS = _RADIUS_EXPONENTS + tuple(e for e in range(-20, -61, -1) if e not in _RADIUS_EXPONENTS)
_NEAR_POINT = 2.0 ** -36     #: with every radius tried, a point this close (relative) may lie outside X
MAX_AUTO_PREC = 1024         #: the automatic precision ladder stops here (bits)
DEFAULT_PREC = 128           #: where the automatic precision ladder starts (the default ``prec``)


# ------------------------------------------------------- ball evaluation --

class _Balls:
    """E, ∇E and ∇²E of the network over balls of parameters: the engine's ball context on the case's data.

    Parameters come as (v, rest): ``rest`` = θ[m:] holds w (m·D entries, row by row) and, with an
    output bias, c last (SPEC §11); for the paper's model it is w itself.
    """

    def __init__(self, case: Case, act: Any):
        self.ctx = engine.BallContext(act)
        self.model = case.model
        self.x = self.ctx.data(case.x) if self.model.scalar else [[self.ctx.scalar(e) for e in r] for r in case.x]
        # y exactly: the dyadic y_exact when float64 could not carry the data (balls at this precision that
        # contain them), else the floats
        self.y = self.ctx.data(case.y) if case.y_exact is None else [dyadic_arb(t) for t in case.y_exact]

    def _kw(self, v: Sequence[Any], rest: Sequence[Any]) -> tuple[Any, dict[str, Any]]:
        if self.model.scalar:
            return rest, {}
        m, D = len(v), self.model.D
        w = [list(rest[i * D:(i + 1) * D]) for i in range(m)]
        return w, {"model": self.model, "c": rest[m * D] if self.model.output_bias else None}

    def loss(self, v: Sequence[Any], rest: Sequence[Any]) -> Any:
        w, kw = self._kw(v, rest)
        return engine.loss(self.ctx, self.x, self.y, v, w, **kw)

    @staticmethod
    def float_newton_step(case: Case, act: Any) -> np.ndarray:
        """H⁻¹∇E at the case's point in float64 (the engine's float context): where to centre the box."""
        d = engine.derivatives(engine.float_context(act), case.x, case.y, case.v, case.w, order=2,
                               **case.engine_kwargs)
        return np.linalg.solve(np.asarray(d.hessian, dtype=float), np.asarray(d.gradient, dtype=float))

    def gradient_hessian(self, v: Sequence[Any], rest: Sequence[Any], want_hessian: bool = True
                         ) -> tuple[Any, Any, list[list[Any]]]:
        w, kw = self._kw(v, rest)
        d = engine.derivatives(self.ctx, self.x, self.y, v, w, order=2 if want_hessian else 1, **kw)
        self.last_loss = d.loss          # E over the same balls, from the same features
        return d.gradient, d.hessian, d.features.u


def _all_finite(mat: Any) -> bool:
    return all(e.is_finite() for row in mat.tolist() for e in row)


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
            state, why = act.c2_on_ball(u, check_finite=False)   # finiteness: HX, checked by the caller
            if state is not True:
                where = f"w_{i + 1} x_{j + 1} ∈ [{float(u.lower()):.17g}, {float(u.upper()):.17g}]"
                return f"{where}: " + ("" if state is False else "undecided: ") + why
    return ""


# ----------------------------------------------------------- the proofs --

def certify_smooth(case: Case, *, prec: int = 128, radius_exponent: int | None = None,
                   guarantees: bool = True, linear_algebra: str = "auto", auto_precision: bool = True
                   ) -> Certificate:
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
    guarantees : bool
        Also certify what a test can rely on (an enclosure of θ*, E*, a lower
        bound on λ_min, the basin radius and escape barrier: SPEC §12); this
        grows a ball until the Hessian stops being provably positive definite
        and costs several times the proof itself.
    linear_algebra : {"auto", "balls", "float"}
        "balls": python-flint balls throughout (entry by entry); "float": verified float64
        linear algebra with rigorous rounding bounds (:mod:`basins.certification.smooth_large`;
        scalar model, analytic σ); "auto": "float" when m·N ≥ 4096 and it applies, else "balls".
    auto_precision : bool
        When the Krawczyk or positive-definiteness check fails at ``prec`` with the usual box
        radii, try every radius 2^e·scale (e = -20..-60) from a converged Newton centre, then double the precision up to
        1024 bits; the certificate records the precision that proved it (``precision bits``),
        and a rejection says at which precisions and radii the failing check was tried.

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
    if linear_algebra not in ("auto", "balls", "float"):
        raise InvalidArgument(f"linear_algebra={linear_algebra!r} must be 'auto', 'balls' or 'float'")
    act, problem = proof_inputs(case)
    inputs = exact_inputs(case, act)
    use_float = False
    if not problem:
        why_not = large_applies(case, act)
        if linear_algebra == "float" and why_not:
            problem = f"linear_algebra='float': {why_not}"
        use_float = not why_not and (linear_algebra == "float" or
                                     (linear_algebra == "auto" and case.m * case.N >= LARGE_WORK))
    versions = library_versions()
    enclosures: dict[str, tuple[Fraction, Fraction]] = {}
    want_guarantees = bool(guarantees)
    guarantees_found: dict[str, Any] = {}
    if problem:
        checks: list[tuple[str, bool, str]] = [("inputs", False, problem)]
        figures: dict[str, Any] = {"precision bits": prec}
        choices: dict[str, Any] = {"precision bits": prec}
    else:
        checks, figures, choices, prec = _search(case, act, prec, radius_exponent, enclosures,
                                                 guarantees_found if want_guarantees else None, use_float,
                                                 auto_precision and radius_exponent is None)
    inputs = {**inputs, **choices}
    figures = {"digest": input_digest(inputs), **figures}
    ok = all(passed for _, passed, _ in checks) and len(checks) == len(HYPOTHESES)
    return Certificate(KIND, CERTIFIED if ok else REJECTED, tuple(checks), inputs, figures, versions, enclosures,
                       guarantees=guarantees_found if ok and guarantees_found else None,
                       guarantees_absent="" if ok and guarantees_found else
                       ("not proved" if want_guarantees else "not asked for"))


def _smooth_engine(case: Case, act: Any, prec: int, radius_exponent: int | None,
                   enclosures: dict[str, tuple[Fraction, Fraction]], guarantees: dict[str, Any] | None,
                   extended: bool = False) -> tuple[list[tuple[str, bool, str]], dict[str, Any], dict[str, Any]]:
    import flint

    arb, arb_mat = flint.arb, flint.arb_mat
    checks: list[tuple[str, bool, str]] = []
    figures: dict[str, Any] = {"precision bits": prec}
    choices: dict[str, Any] = {"precision bits": prec}
    m = case.m
    theta0 = [float(a) for a in case.theta()]
    n = len(theta0)
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
    E_point = balls.last_loss
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
    Cballs = None
    if extended:
        # ill-conditioned: one Newton step may leave the centre far from θ*; converge it, and precondition with
        # the inverse of the midpoint Hessian at the working precision: float64's inverse is noise once cond(H)
        # nears 1e16 (exact data: cond 4e19), and I − C·H(X) must contract
        centre, Cballs = _newton_refine(balls, m, list(theta0) if case.y_exact is not None else centre)
    offset = max(abs(a - c) for a, c in zip(theta0, centre))
    scale = 1.0 + max(abs(a) for a in theta0)
    exponents = ((radius_exponent,) if radius_exponent is not None else
                 _EXTENDED_EXPONENTS if extended else _RADIUS_EXPONENTS)
    if extended and case.y_exact is not None:
        # data beyond float64: the point is a critical point to far below 2^-60, and the Hessian may be as
        # ill-conditioned as the data's precision allows: radii down to 2^-(prec - 24), every fourth exponent
        exponents = exponents + tuple(range(-64, -(prec - 24), -4))
    closest: tuple[float, float] | None = None         # (max |K_i − c_i| / ρ, ρ) nearest to inclusion
    Carb = Cballs if extended and Cballs is not None else arb_mat(C.tolist())
    eye = arb_mat(n, n)
    for i in range(n):
        eye[i, i] = 1
    c_arb = [arb(a) for a in centre]
    gc, _, _ = balls.gradient_hessian(c_arb[:m], c_arb[m:], want_hessian=False)
    base = Carb * gc
    attempt: dict[str, Any] = {}
    c2_failure = ""
    first_inside: dict[str, Any] = {}
    # ill-conditioned (every radius tried): a point within float64 reach of θ* may lie outside the largest box
    # where Krawczyk contracts; then "point" bounds |θ − θ*|∞ by |θ − centre|∞ + ρ instead of θ ∈ X
    near = extended and offset <= scale * _NEAR_POINT
    for e in exponents:
        rho = 2.0 ** math.ceil(math.log2(scale * 2.0 ** e))
        if rho <= 2 * offset and not near:
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
        dev = arb_mat([[arb(0, rho)] for _ in range(n)])
        K = (arb_mat([[c] for c in c_arb]) - base) + (eye - Carb * HX) * dev
        Kl = K.entries()
        attempt["K"] = Kl
        if all(Xi.contains_interior(Ki) for Xi, Ki in zip(X, Kl)):
            # Krawczyk contracts here; keep the box only if ∇²E is also proved positive definite on it,
            # else go on to the next radius (a smaller box narrows the ball Hessian of an ill-conditioned case)
            attempt["pivots"] = ball_cholesky_pivots(HX)
            if len(attempt["pivots"]) == n and all(p > 0 for p in attempt["pivots"]):
                break
            attempt["weyl"] = weyl_lower(HX, sym_mid(HX)) if _all_finite(HX) else None
            if attempt["weyl"] is not None and attempt["weyl"] > 0:
                break
            first_inside = first_inside or dict(attempt)
        reach = max((float((Ki - c).abs_upper()) if Ki.is_finite() else math.inf) for Ki, c in zip(Kl, c_arb))
        if closest is None or reach / rho < closest[0]:
            closest = (reach / rho, rho)
    choices["centre"] = [c.hex() for c in centre]
    if first_inside and not (attempt.get("pivots") and len(attempt["pivots"]) == n
                             and all(p > 0 for p in attempt["pivots"])) and not attempt.get("weyl"):
        attempt = first_inside        # no box proved definiteness: report the first where Krawczyk contracts
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
                   f"K(X) is not inside int X for any of the {len(exponents)} radii tried at {prec} bits "
                   + (f"(closest at ρ = {closest[1]:.3g}: max |K_i − c_i| ≈ {closest[0]:.3g}·ρ; the ball Hessian over "
                      f"X is too wide or the centre too far for a contraction)" if closest else
                      f"(last ρ = {rho:.3g})")))
    if not inside:
        return checks, figures, choices
    in_box = all(abs(Fraction(a) - Fraction(c)) < Fraction(rho) for a, c in zip(theta0, centre))  # exact
    if in_box or not near:
        checks.append(("point", in_box, f"|θ − centre|∞ = {offset:.3g} < ρ = {rho:.3g}" if in_box else
                       f"|θ − centre|∞ = {offset:.3g} is not below ρ = {rho:.3g}"))
    else:
        dist = float_out(Fraction(offset) + Fraction(rho), up=True)
        checks.append(("point", True, f"|θ − θ*|∞ ≤ |θ − centre|∞ + ρ = {dist:.3g} ≤ 2^-36·(1 + max|θ|) (the point "
                                      f"lies outside X = centre ± {rho:.3g}: Krawczyk contracts only on smaller "
                                      f"boxes, the Hessian being ill-conditioned)"))
        figures["point distance bound"] = dist

    pivots = attempt.get("pivots") or ball_cholesky_pivots(HX)
    pd = len(pivots) == n and all(p > 0 for p in pivots)
    smallest = min(pivots, key=lambda p: float(p.lower()))
    figures["smallest pivot"] = _ball_str(smallest)
    figures["smallest pivot (lower)"] = _lower_str(smallest)
    weyl = attempt.get("weyl") if not pd else None
    if pd:
        text = f"ball Cholesky of ∇²E over X: all {n} pivots > 0, smallest ≥ {_lower_str(smallest)}"
    elif weyl is not None and weyl > 0:
        pd = True
        figures["lambda_min lower (Weyl)"] = float_out(weyl, up=False)
        text = (f"λ_min ≥ {float_out(weyl, up=False):.6g} > 0 for every symmetric matrix in the ball ∇²E over X "
                f"(Weyl: a ball Cholesky of M − tI at the midpoints M proves λ_min(M) ≥ t, and ||∇²E − M||₂ ≤ the "
                f"largest row or column sum of |∇²E − M|; the ball Cholesky of ∇²E itself stopped at pivot "
                f"{len(pivots)} = {_ball_str(pivots[-1])}, its uncertainty grown by the conditioning)")
    else:
        text = f"ball Cholesky of ∇²E over X: pivot {len(pivots)} is {_ball_str(pivots[-1])}, not > 0"
    checks.append(("positive definite", pd, text))

    EK = balls.loss(Kl[:m], Kl[m:])
    wit = case.witness
    Ew = balls.loss([arb(float(a)) for a in wit.v], [arb(float(a)) for a in np.ravel(np.asarray(wit.w, dtype=float))]
                    + ([arb(float(wit.c))] if wit.c is not None else []))
    Ep = E_point
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
    if guarantees is not None and all(ok for _, ok, _ in checks) and pd:
        guarantees.update(_guarantees(balls, act, m, Kl, HX, rho))
    return checks, figures, choices


def _newton_refine(balls: _Balls, m: int, centre: list[float]) -> tuple[list[float], Any]:
    """Newton steps with the midpoint Hessian inverted at the working precision (python-flint), the centre
    rounded to float64 after each, until it stops moving; returns it and that inverse (exact midpoints), or
    None for the inverse when the midpoint Hessian is not invertible there."""
    import flint

    Cb = None
    for _ in range(6):
        c = [flint.arb(a) for a in centre]
        g, H, _ = balls.gradient_hessian(c[:m], c[m:])
        if not (_all_finite(g) and _all_finite(H)):
            break
        n = len(centre)
        Hm = flint.arb_mat([[H[i, j].mid() for j in range(n)] for i in range(n)])
        try:
            inv = Hm.inv()
        except (ZeroDivisionError, ValueError):
            break
        Cb = flint.arb_mat([[inv[i, j].mid() for j in range(n)] for i in range(n)])
        step = Cb * flint.arb_mat([[e.mid()] for e in g.entries()])
        new = [float((flint.arb(a) - st.mid()).mid()) for a, st in zip(centre, step.entries())]
        if new == centre or not all(math.isfinite(a) for a in new):
            break
        centre = new
    return centre, Cb


def _search(case: Case, act: Any, prec: int, radius_exponent: int | None,
            enclosures: dict[str, tuple[Fraction, Fraction]], guarantees: dict[str, Any] | None, use_float: bool,
            auto: bool) -> tuple[list[tuple[str, bool, str]], dict[str, Any], dict[str, Any], int]:
    """Certify at ``prec`` with the usual radii; when ``auto`` and Krawczyk or definiteness fails, with every
    radius, then at doubled precisions up to MAX_AUTO_PREC bits.  Deterministic in ``prec``: a recheck at the
    precision that proved reproduces the same attempt."""
    ladder = [prec]
    while auto and ladder[-1] * 2 <= MAX_AUTO_PREC:
        ladder.append(ladder[-1] * 2)
    tried: list[str] = []
    for bits in ladder:
        for extended in ((False, True) if auto and not use_float else (False,)):
            enclosures.clear()
            with flint_precision(bits):
                if use_float:
                    checks, figures, choices = _float_engine(case, act, bits, radius_exponent, enclosures, guarantees)
                else:
                    checks, figures, choices = _smooth_engine(case, act, bits, radius_exponent, enclosures,
                                                              guarantees, extended)
            if extended:
                choices["radius exponents"] = "extended: -33, -40, -26, -20, -46, then -21 … -60"
            failed = [name for name, ok, _ in checks if not ok]
            if not failed or not auto or failed[0] not in ("krawczyk", "positive definite"):
                if tried and failed:
                    checks = _annotate(checks, failed[0], tried)
                if tried and not failed:
                    choices["precision"] = (f"chosen automatically: the precision doubled from {DEFAULT_PREC} bits "
                                            f"up to {MAX_AUTO_PREC} (usual radii, then every radius) until every "
                                            "check passed")
                return checks, figures, choices, bits
            tried.append(f"{bits} bits{' (every radius)' if extended else ''}")
    return _annotate(checks, failed[0], tried[:-1]), figures, choices, bits


def _annotate(checks: list[tuple[str, bool, str]], name: str, tried: list[str]) -> list[tuple[str, bool, str]]:
    """Say in the failing check's detail at which precisions it was tried before the last attempt."""
    note = f"not reached at {', '.join(tried)} either; last attempt: " if tried else ""
    return [(n, ok, note + d if n == name and not ok else d) for n, ok, d in checks]


def _float_engine(case: Case, act: Any, prec: int, radius_exponent: int | None,
                  enclosures: dict[str, tuple[Fraction, Fraction]], guarantees: dict[str, Any] | None
                  ) -> tuple[list[tuple[str, bool, str]], dict[str, Any], dict[str, Any]]:
    """The same checks in verified float64 linear algebra (:mod:`basins.certification.smooth_large`)."""
    out = float_engine(case, act, prec, radius_exponent, enclosures, guarantees, _Balls.float_newton_step)
    if guarantees:
        guarantees["meaning"] = GUARANTEES_MEANING
    return out


# ------------------------------------------------- what a test can rely on --

GUARANTEES_METHOD = (
    "theta_star: K(X) of the Krawczyk proof (midpoints rounded to float64, radius = max half-width to them, "
    "rounded up); E_star: E in balls over that box; lambda_min_lower (over the Krawczyk box X) and the basin "
    "region's lambda: for every symmetric H in the ball Hessian over the box, the larger of s (a ball Cholesky "
    "of H − sI has all pivots > 0, s bisected) and Weyl's t − ||H − M||₂ (M the float midpoint matrix, t < "
    "λ_min(M) by a ball Cholesky of M − tI, ||H − M||₂ ≤ the larger row/column sum of bounds on |H_ij − M_ij|); "
    "basin: the ∞-box of radius R around "
    "theta_star.centre (R grown from the Krawczyk radius, then bisected, while σ stays C² on every pre-activation "
    "ball and the ball Hessian stays proved positive definite), basin_radius = R − theta_star.radius (so "
    "B(θ*, ρ) lies in the box, as |·|∞ ≤ |·|₂), "
    "escape_barrier_lower_bound = ½ λ_R ρ² (Taylor along segments from θ*, where ∇E = 0); every float rounded "
    "outward")
GUARANTEES_MEANING = (
    "every continuous path that starts in the ball B(θ*, basin_radius) with E < E* + "
    "escape_barrier_lower_bound and along which E never increases (gradient flow) stays in that ball, since "
    "E ≥ E* + escape_barrier_lower_bound on its sphere; a discrete descent method stays as long as no step "
    "jumps across the sphere; θ* is the only critical point in the basin region (E is strictly convex there)")


def _c2_on_region(act: Any, uR: list[list[Any]]) -> bool:
    """σ proved C² on every pre-activation ball: first on each neuron's hull of them, else ball by ball."""
    import flint

    for row in uR:
        if not all(u.is_finite() for u in row):
            return False
        lo = min(math.nextafter(float(u.lower()), -math.inf) for u in row)     # outward: float() rounds
        hi = max(math.nextafter(float(u.upper()), math.inf) for u in row)
        mid = (lo + hi) / 2
        rad = math.nextafter(max(hi - mid, mid - lo), math.inf)
        hull = flint.arb(mid, rad) if math.isfinite(rad) else flint.arb("nan")
        if act.c2_on_ball(hull)[0] is not True and _c2_failure(act, [row]):
            return False
    return True


def _region_hessian(balls: _Balls, act: Any, m: int, centre: list[float], R: float, s_min: float) -> Any:
    """The ball Hessian over the ∞-box centre ± R when σ is C² there and H − s_min·I is proved PD, else None."""
    import flint

    box = [flint.arb(c, R) for c in centre]
    if not all(b.is_finite() and b.rad() >= R for b in box):
        return None
    try:
        _, HR, uR = balls.gradient_hessian(box[:m], box[m:])
    except (ArithmeticError, ValueError):
        return None
    # the basin region stays a ball Cholesky proof (as the shipped certificates were computed; Weyl's bound is
    # for the Krawczyk box of an ill-conditioned Hessian)
    if not _all_finite(HR) or not pd_shift(HR, s_min, weyl=False) or not _c2_on_region(act, uR):
        return None
    return HR


def _guarantees(balls: _Balls, act: Any, m: int, Kl: list[Any], HX: Any, rho: float) -> dict[str, Any]:
    """θ* enclosure, E* ball, λ_min lower bound, certified basin radius and escape barrier (SPEC §12); {} if none."""
    import flint

    bounds = [arb_bounds(k) for k in Kl]
    centre = [float(k.mid()) for k in Kl]
    r_q = max(max(Fraction(c) - lo, hi - Fraction(c)) for c, (lo, hi) in zip(centre, bounds))
    r_inf = float_out(r_q, up=True)
    Es = balls.loss([flint.arb(c, r_inf) for c in centre[:m]], [flint.arb(c, r_inf) for c in centre[m:]])
    lam_X = lambda_lower_balls(HX)
    if not Es.is_finite() or lam_X is None:
        return {}
    e_lo, e_hi = arb_bounds(Es)
    # the basin region: the ∞-box of radius R around the enclosure's centre, R grown from the Krawczyk radius
    # (×8 while H − s_min·I stays proved PD and σ C², then bisected in the exponent and linearly)
    s_min = short_float(float(lam_X) * 2.0 ** -10)
    proved: dict[float, Any] = {}

    def attempt(R: float) -> bool:
        if R <= r_inf:
            return False
        H = _region_hessian(balls, act, m, centre, R, s_min)
        if H is not None:
            proved[R] = H
        return H is not None

    # start where the ball Hessian's radii (linear in the box radius) reach λ: R0 = ρ·2^k, k ≥ 0
    rad_rows = max(sum(float(e.rad()) for e in row) for row in HX.tolist())
    k = int(max(0.0, min(40.0, math.floor(math.log2(float(lam_X) / rad_rows))))) if rad_rows > 0 else 0
    R, failed = rho * 2.0 ** k, None
    while not attempt(R) and R > rho:                 # too far: come back towards the Krawczyk box
        failed = R
        R = max(rho, R / BASIN_FACTOR)
    if not proved:
        return {}
    widen_radius(attempt, R, failed, proved)
    widest_R = max(proved)
    lams = {R: lambda_lower_balls(H) or Fraction(s_min) for R, H in proved.items() if R * BASIN_FACTOR ** 2 >= widest_R}

    def basin(R: float, lam: Fraction) -> dict[str, Any]:
        rho_b = float_out(Fraction(R) - Fraction(r_inf), up=False)
        L = float_out(lam * Fraction(rho_b) ** 2 / 2, up=False)
        return {"region_radius": R.hex(), "basin_radius": rho_b, "lambda_min_lower": float_out(lam, up=False),
                "escape_barrier_lower_bound": L}

    widest = basin(widest_R, lams[widest_R])
    highest = basin(*max(lams.items(), key=lambda p: (p[1] * (Fraction(p[0]) - Fraction(r_inf)) ** 2, p[0])))
    return {
        "theta_star": {"centre": [c.hex() for c in centre], "radius": r_inf.hex(),
                       "norm": "∞-norm: |θ* − centre|∞ ≤ radius (so |θ* − centre|₂ ≤ √(2m)·radius)"},
        "E_star": {"ball": _ball_str(Es), "lower": float_out(e_lo, up=False), "upper": float_out(e_hi, up=True)},
        "lambda_min_lower": float_out(lam_X, up=False),
        "lambda_min_region": "the Krawczyk box X = inputs.centre ± inputs.radius (it holds θ*)",
        "basin_radius": widest["basin_radius"],
        "escape_barrier_lower_bound": widest["escape_barrier_lower_bound"],
        "basin_region": {"centre": "theta_star.centre", "radius": widest["region_radius"],
                         "lambda_min_lower": widest["lambda_min_lower"],
                         "radii tried": f"from the Krawczyk radius {rho.hex()} ·2^{k}, ×{BASIN_FACTOR:g} while H − "
                                        f"{s_min!r}·I is proved positive definite and σ C², then bisected; "
                                        f"{len(proved)} regions proved, the widest is used"},
        "largest_barrier": {**highest, "note": "the proved region with the largest ½ λ ρ²: the same statement "
                                               "with this radius and barrier"},
        "method": GUARANTEES_METHOD,
        "meaning": GUARANTEES_MEANING,
    }
