"""Numerical verification of a case (SPEC §7, first three bullets).

The result says *verified numerically*: sampling in floating point with the
cancellation-free kernel, and the Hessian, gradient and losses at 50 digits.
Only the ball-arithmetic certificates may be called *certified*.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, Sequence

import mpmath
import numpy as np

from basins.io.case import Case
from basins.errors import InvalidArgument
from basins.model.network import gradient, gradient_mp, hessian, hessian_mp, loss_mp, output
from basins.verification.steps import (FAILED, VERIFIED, Check, Verification, directions, loss_check, mp_str,
                                        sampling_check, witness_check)

__all__ = ["Check", "Verification", "verify_case", "DEFAULT_RADII", "VERIFIED", "FAILED"]

DEFAULT_RADII: tuple[float, ...] = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)

#: Up to this size (2m) the Hessian's eigenvalues are computed in mpmath itself.
_MP_EIG_MAX = 40

#: Above this m²·N the loss, gradient and Hessian are evaluated in float64 (the
#: pure-Python 50-digit Hessian costs O(m²N) mpmath operations: hours at m = 500, N = 2000).
_MP_WORK_MAX = 250_000


def _float64_derivatives(act: Any, x: np.ndarray, y: np.ndarray, v: np.ndarray, w: np.ndarray, **model: Any
                         ) -> tuple[Any, np.ndarray, np.ndarray]:
    """E (correctly rounded sum of the float64 residuals²), ∇E and ∇²E in float64, for large m²N."""
    r = output(act, x, v, w, **model) - y
    return mpmath.mpf(math.fsum(r * r)), gradient(act, x, y, v, w, **model), hessian(act, x, y, v, w, **model)


def _spectrum(H: Any, dps: int) -> tuple[float, float, str]:
    """(smallest, largest eigenvalue, method) of a symmetric mpmath (or float64) matrix."""
    if isinstance(H, np.ndarray):
        ev_f = np.linalg.eigvalsh(H)
        return float(ev_f[0]), float(ev_f[-1]), f"entries and eigenvalues in float64 (m²N > {_MP_WORK_MAX:.0e})"
    n = H.rows
    with mpmath.workdps(dps):
        if n <= _MP_EIG_MAX:
            ev = mpmath.eigsy(H, eigvals_only=True)
            vals = sorted(float(e) for e in ev)
            return vals[0], vals[-1], f"mpmath eigsy at {dps} digits"
    Hf = np.array(H.tolist(), dtype=float)
    ev_f = np.linalg.eigvalsh(Hf)
    return float(ev_f[0]), float(ev_f[-1]), f"entries at {dps} digits, eigenvalues in float64 (2m > {_MP_EIG_MAX})"


def verify_case(case: Case, *, radii: Sequence[float] = DEFAULT_RADII, samples: int = 2000,
                dps: int = 50, seed: int = 0,
                progress: Callable[[int, int], None] | None = None) -> Verification:
    """Re-run the numerical checks of a case from its data alone.

    Checks: ``loss`` (the stored loss matches E at ``dps`` digits),
    ``critical point`` (the Newton step −H⁻¹∇E is tiny), ``hessian``
    (positive definite: smallest eigenvalue > 0), ``sampling`` (ΔE > 0 for
    ``samples`` random directions, the coordinate axes and the Hessian's
    softest directions at each radius) and ``witness`` (a point of strictly
    lower loss).  Figures per radius: the smallest ``ΔE/|δ|²`` seen.  When a
    pre-activation sits on a point where σ is not C² (Theorem 7), E has no
    Hessian there: ``hessian`` and ``critical point`` are replaced by
    ``pieces``, the exact analysis of :func:`basins.verification.pieces.verify_pieces_case`.
    ``progress(done, len(radii))``, if given, is called after each radius of
    the sampling (e.g. :meth:`basins.cli.progress.Progress.callback`).

    Examples
    --------
    >>> from basins.constructions.prop4 import construct_prop4
    >>> ver = verify_case(construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0]), samples=200)
    >>> ver.status
    'verified numerically'
    """
    if samples < 0 or not radii or any((not np.isfinite(r)) or r <= 0 for r in radii):
        raise InvalidArgument(f"radii={tuple(radii)!r} must be positive and samples={samples!r} non-negative")
    if dps < 20:
        raise InvalidArgument(f"dps={dps!r} must be at least 20")
    from basins.verification.pieces import on_nonsmooth_point, verify_pieces_case
    if case.model.scalar and on_nonsmooth_point(case):  # E is not differentiable there (Theorem 7): exact pieces, no Hessian
        return verify_pieces_case(case, radii=radii, samples=samples, dps=dps, seed=seed, progress=progress)
    act = case.activation
    x, y, v, w = case.arrays()
    m = v.size
    kw = case.engine_kwargs            # c and the model of SPEC §11 ({} for the paper's)
    if case.y_exact is not None:
        # the data are stored beyond float64 (SPEC §12): multiprecision at their digits, and 20 more
        dps = max(dps, math.ceil(case.data_bits * math.log10(2)) + 20)
    y_mp = case.exact_y()
    theta = case.theta()
    checks: list[Check] = []
    figures: dict[str, Any] = {"dps": dps, "radii": list(map(float, radii)), "samples": samples, "seed": seed}

    # float64 (balls) for large problems, except on labels stored beyond float64 (always at their digits)
    large = theta.size * theta.size * y.size > 4 * _MP_WORK_MAX and case.y_exact is None
    prec = f"{dps} digits" if not large else f"float64 (m²N > {_MP_WORK_MAX:.0e})"
    figures["precision"] = prec
    g: Any
    H: Any
    net = _ball_net(case) if large else None
    rigorous: dict[str, Any] = {}
    if net is not None:
        prec = f"float64 balls with rigorous rounding bounds (m²N > {_MP_WORK_MAX:.0e})"
        figures["precision"] = prec
    with mpmath.workdps(dps):
        if net is not None:
            E, g, H, rigorous = _ball_derivatives(case, net)
            figures["balls"] = rigorous
        elif large:
            E, g, H = _float64_derivatives(act, x, y, v, w, **kw)
        else:
            E = loss_mp(act, x, y_mp, v, w, dps, **kw)
            g = gradient_mp(act, x, y_mp, v, w, dps, **kw)
            H = hessian_mp(act, x, y_mp, v, w, dps, **kw)
        gnorm = mpmath.sqrt(mpmath.fsum(gi * gi for gi in g))
        figures["loss"] = mp_str(E)
        figures["gradient norm"] = float(gnorm)
        checks.append(loss_check(case, E, prec))
        lam_min, lam_max, how = _spectrum(H, dps)
        if net is not None:
            how = (f"entries in float64 balls; eigenvalues of the midpoint in float64; smallest ≥ "
                   f"{rigorous['min eigenvalue lower bound']} (float Cholesky with Rump's bound, Weyl)")
        figures["hessian"] = {"min eigenvalue": lam_min, "max eigenvalue": lam_max, "method": how}
        # the ratio an eigenvalue computation resolves: float64's 1e-13, or what dps digits resolve
        resolved = 1e-13 if "float64" in how.split("eigenvalues")[-1] or net is not None else 10.0 ** (10 - dps)
        pd = lam_min > 0 and lam_min > resolved * abs(lam_max)
        if net is not None:
            low = rigorous["min eigenvalue lower bound"]
            pd = pd and low is not None and low > 0
        checks.append(Check("hessian", bool(pd), lam_min,
                            f"smallest eigenvalue {lam_min:.6g}, largest {lam_max:.6g} ({how})"))
        try:
            if large:
                step_norm = float(np.linalg.norm(np.linalg.solve(H, g)))
            else:
                step = mpmath.lu_solve(H, mpmath.matrix(g))
                step_norm = float(mpmath.norm(step))
        except (ZeroDivisionError, np.linalg.LinAlgError):
            step_norm = float("inf")
        scale = 1.0 + float(np.linalg.norm(theta))
        figures["newton step"] = step_norm
        checks.append(Check("critical point", bool(step_norm <= 1e-8 * scale), float(gnorm),
                            f"|∇E| = {float(gnorm):.3g}; Newton step |H⁻¹∇E| = {step_norm:.3g} "
                            f"(a critical point this close; bound 1e-8·(1+|θ|) = {1e-8 * scale:.3g})"))
        checks.append(witness_check(case, E, dps, figures, large=large))

    if case.y_exact is not None:          # (never large: see above)
        # float64 cannot see this Hessian's soft directions (nor its data): eigenvectors at dps digits
        with mpmath.workdps(dps):
            ev, Q = mpmath.eigsy(H)
            order = sorted(range(theta.size), key=lambda k: ev[k])
            evecs = np.array([[float(Q[i, k]) for k in order] for i in range(theta.size)])
    else:
        evecs = np.linalg.eigh(H if net is not None else hessian(act, x, y, v, w, **kw))[1]
    soft = evecs[:, : min(3, theta.size)].T
    dirs = directions(samples, m, seed, soft, n=theta.size)
    # with exact data, the ±axes and ±softest directions are evaluated at dps digits (random ones in float64)
    exact_rows = 2 * theta.size + 2 * soft.shape[0] if case.y_exact is not None else 0
    check = sampling_check(case, dirs, radii, figures, progress, kinds="random, ±axes, ±3 softest", dps=dps,
                           exact_rows=exact_rows)
    if not check.passed and case.model.scalar:
        check = _outside_basin(case, check, dirs, radii, figures)
    figures["half smallest eigenvalue"] = lam_min / 2
    checks.append(Check(check.name, check.passed, check.value, f"{check.detail} (λ_min/2 = {lam_min / 2:.6g})"))
    return Verification(tuple(checks), figures)





def _ball_net(case: Case) -> Any:
    """The float64-ball network of the case, or None when it does not apply (then float64 is used)."""
    from basins.certification.smooth_large import FloatBallNet, large_applies

    act = case.activation
    if not case.model.scalar or large_applies(case, act):
        return None
    x, y, _, _ = case.arrays()
    return FloatBallNet(act, x, y, prec=128)


def _ball_derivatives(case: Case, net: Any) -> tuple[Any, np.ndarray, np.ndarray, dict[str, Any]]:
    """E (mpf midpoint of its enclosure), ∇E and ∇²E midpoints, and the rigorous figures, in float64 balls."""
    from basins.certification.rigorous import lambda_min_lower
    from basins.certification.smooth_large import CentreBalls, loss_bounds

    _, _, v, w = case.arrays()
    ctr = CentreBalls(net, np.asarray(v, dtype=float), np.asarray(w, dtype=float))
    lo, hi = loss_bounds(ctr.rm, ctr.rr)
    S = net.hull_bounds(np.asarray(w, dtype=float), 0.0)
    norm = ctr.norm_upper(ctr.radius(0.0, S)) if S is not None else math.inf
    lam_mid, _ = lambda_min_lower(ctr.H)
    lam_lo = None if lam_mid is None else math.nextafter(float(lam_mid - Fraction(norm)), -math.inf)
    info = {"loss enclosure": [float(lo), float(hi)], "gradient radius": float(np.max(ctr.g_rad)),
            "min eigenvalue lower bound": lam_lo}
    E = (mpmath.mpf(lo.numerator) / lo.denominator + mpmath.mpf(hi.numerator) / hi.denominator) / 2
    return E, ctr.g_mid, ctr.H, info


def _outside_basin(case: Case, check: Check, dirs: np.ndarray, radii: Sequence[float],
                   figures: dict[str, Any]) -> Check:
    """Re-examine a sampling failure at the largest radii only: prove ΔE < 0 there in balls (a lower point
    outside a narrow basin, not a contradiction), or say that the float sampling was wrong."""
    from basins.verification.sampling import delta_losses

    per = figures.get("sampling", [])
    bad = [p["radius"] for p in per if not p["all positive"]]
    good = [p["radius"] for p in per if p["all positive"]]
    if not bad or len(good) < 2 or max(good) >= min(bad):
        return check
    net = _ball_net(case)
    if net is None:
        return check
    x, y, v, w = case.arrays()
    m = v.size
    proved = []
    for rad in sorted(bad):
        d = rad * dirs
        de = delta_losses(case.activation, x, y, v, w, d[:, :m], d[:, m:])
        k = int(np.argmin(de))
        theta2 = np.concatenate([v, w]) + d[k]
        bounds = _delta_loss_bounds(net, v, w, theta2[:m], theta2[m:])
        if bounds is None or not bounds[1] < 0:
            return Check(check.name, False, check.value,
                         f"{check.detail}; at radius {rad:g} the worst direction's ΔE = {de[k]:.3g} in float64 is "
                         + ("not confirmed in balls (" + (f"ΔE ∈ [{bounds[0]:.3g}, {bounds[1]:.3g}]" if bounds
                            else "not enclosed") + "): the float sampling may be wrong there"))
        proved.append(f"{rad:g} (ΔE ≤ {bounds[1]:.3g}, proved in float64 balls)")
    smallest = min(p["min dE/r^2"] for p in per if p["all positive"])
    figures["sampling outside the basin"] = proved
    return Check(check.name, True, smallest,
                 f"ΔE > 0 in all {dirs.shape[0]} directions at radii {', '.join(f'{r:g}' for r in good)} "
                 f"(smallest ΔE/|δ|² = {smallest:.6g}); at radius {', '.join(proved)} a lower point exists: "
                 f"the basin is narrower than {min(bad):g} (a strict local minimum with a small basin, not a "
                 f"contradiction; certify gives the certified basin radius)")


def _delta_loss_bounds(net: Any, v: np.ndarray, w: np.ndarray, v2: np.ndarray, w2: np.ndarray
                       ) -> tuple[float, float] | None:
    """Bounds on E(v2, w2) − E(v, w) = ||Δ||² + 2 r·Δ, Δ = ŷ(v2, w2) − ŷ(v, w), r = ŷ(v, w) − y, in balls
    (v2, w2 are floats: the lower point is that float point)."""
    from basins.certification.rigorous import matmul_error, nonneg_matmul_upper, nonneg_sum_upper, rounding, up

    Z1, Z2 = net.features(np.asarray(w, dtype=float), 0), net.features(np.asarray(w2, dtype=float), 0)
    if Z1 is None or Z2 is None:
        return None
    y1m, y1r = net.output(np.asarray(v, dtype=float), Z1[0])
    y2m, y2r = net.output(np.asarray(v2, dtype=float), Z2[0])
    dm = y2m - y1m
    dr = up(up(y1r + y2r) + rounding(dm))
    rm = y1m - net.y
    rr = up(y1r + rounding(rm))
    cross = float(rm @ dm)
    cross_err = float(up(matmul_error(rm[None, :], dm)[0] + nonneg_matmul_upper(np.abs(rm)[None, :], dr)[0]
                         + nonneg_matmul_upper(rr[None, :], up(np.abs(dm) + dr))[0]))
    a = np.abs(dm)
    sq_hi = float(nonneg_sum_upper(up(up(a + dr) ** 2)))
    lo_part = np.maximum(np.nextafter(a - dr, -np.inf), 0.0)
    sq_lo = max(0.0, float(np.sum(lo_part * lo_part)) * (1 - 2.0 ** -40) - 2.0 ** -1000)
    hi = float(up(up(sq_hi + float(up(2 * cross))) + float(up(2 * cross_err))))
    lo = float(np.nextafter(np.nextafter(sq_lo + 2 * cross, -np.inf) - float(up(2 * cross_err)), -np.inf))
    return lo, hi
