"""Numerical verification of a case (SPEC §7, first three bullets).

The result says *verified numerically*: sampling in floating point with the
cancellation-free kernel, and the Hessian, gradient and losses at 50 digits.
Only the ball-arithmetic certificates may be called *certified*.
"""

from __future__ import annotations

import math
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
    theta = case.theta()
    checks: list[Check] = []
    figures: dict[str, Any] = {"dps": dps, "radii": list(map(float, radii)), "samples": samples, "seed": seed}

    large = theta.size * theta.size * y.size > 4 * _MP_WORK_MAX
    prec = f"{dps} digits" if not large else f"float64 (m²N > {_MP_WORK_MAX:.0e})"
    figures["precision"] = prec
    g: Any
    H: Any
    with mpmath.workdps(dps):
        if large:
            E, g, H = _float64_derivatives(act, x, y, v, w, **kw)
        else:
            E = loss_mp(act, x, y, v, w, dps, **kw)
            g = gradient_mp(act, x, y, v, w, dps, **kw)
            H = hessian_mp(act, x, y, v, w, dps, **kw)
        gnorm = mpmath.sqrt(mpmath.fsum(gi * gi for gi in g))
        figures["loss"] = mp_str(E)
        figures["gradient norm"] = float(gnorm)
        checks.append(loss_check(case, E, prec))
        lam_min, lam_max, how = _spectrum(H, dps)
        figures["hessian"] = {"min eigenvalue": lam_min, "max eigenvalue": lam_max, "method": how}
        pd = lam_min > 0 and lam_min > 1e-13 * abs(lam_max)
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

    evecs = np.linalg.eigh(hessian(act, x, y, v, w, **kw))[1]
    soft = evecs[:, : min(3, theta.size)].T
    check = sampling_check(case, directions(samples, m, seed, soft, n=theta.size), radii, figures, progress,
                            kinds="random, ±axes, ±3 softest")
    figures["half smallest eigenvalue"] = lam_min / 2
    checks.append(Check(check.name, check.passed, check.value, f"{check.detail} (λ_min/2 = {lam_min / 2:.6g})"))
    return Verification(tuple(checks), figures)


