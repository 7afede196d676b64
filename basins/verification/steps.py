"""The steps of a numerical verification, shared by :mod:`basins.verification.verify` and the exact
piece analysis of :mod:`basins.verification.pieces`: the result types and the loss, witness and
sampling checks.  Everything here is "verified numerically", never "certified"."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import mpmath
import numpy as np

from basins.errors import CaseFormatError
from basins.io.case import Case
from basins.io.records import validate_record
from basins.model.network import loss_mp, output
from basins.verification.sampling import delta_losses, delta_losses_model

__all__ = ["Check", "Verification", "VERIFIED", "FAILED", "loss_check", "witness_check", "directions",
           "sampling_check", "mp_str"]

VERIFIED = "verified numerically"
FAILED = "failed"
GUARANTEE = "floating-point sampling and 50-digit evaluation; not a proof"


@dataclass(frozen=True)
class Check:
    """One verification check: its name, whether it passed, a figure and an explanation."""

    name: str
    passed: bool
    value: Any
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "value": self.value, "detail": self.detail}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Check":
        """The check of :meth:`to_dict` (``value`` may be missing: None)."""
        return cls(str(d["name"]), bool(d["passed"]), d.get("value"), str(d["detail"]))


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_case`; ``status`` is "verified numerically" or "failed"."""

    checks: tuple[Check, ...]
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def status(self) -> str:
        return VERIFIED if self.passed else FAILED

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        dps = self.figures.get("dps", 50) if isinstance(self.figures, Mapping) else 50
        guarantee = GUARANTEE if dps == 50 else GUARANTEE.replace("50-digit", f"{dps}-digit")
        return {"status": self.status, "guarantee": guarantee,
                "checks": [c.to_dict() for c in self.checks], "figures": self.figures}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "verification") -> "Verification":
        """The verification of :meth:`to_dict`; validated against ``verification-1.json``.

        The stated ``status`` must be the one the checks give (CaseFormatError otherwise).

        Examples
        --------
        >>> v = Verification((Check("loss", True, 1.5, "E agrees"),), {"dps": 50})
        >>> Verification.from_dict(v.to_dict()) == v
        True
        """
        validate_record(d, "verification", source=source)
        out = cls(tuple(Check.from_dict(c) for c in d["checks"]), dict(d.get("figures") or {}))
        if d["status"] != out.status:
            raise CaseFormatError(f"{source}: status={d['status']!r} but the checks give {out.status!r}")
        return out


def mp_str(x: Any, digits: int = 20) -> str:
    return mpmath.nstr(x, digits)


def loss_check(case: Case, E: Any, prec: str) -> Check:
    """The stored loss against E recomputed (relative 1e-9)."""
    rel = abs(E - mpmath.mpf(case.loss)) / max(abs(E), mpmath.mpf(1e-300))
    return Check("loss", bool(rel <= 1e-9), float(E),
                 f"E = {mp_str(E, 17)} in {prec}; stored {case.loss!r} (relative difference {float(rel):.2e})")


def witness_check(case: Case, E: Any, dps: int, figures: dict[str, Any], *, large: bool = False) -> Check:
    """E(witness) < E, at ``dps`` digits (exact float sums in float64 when ``large``)."""
    if case.witness is None:
        return Check("witness", False, None, "the case has no witness of lower loss")
    act = case.activation
    x, y, _, _ = case.arrays()
    kw = {} if case.model.scalar else {"c": case.witness.c, "model": case.model}
    if large:
        rw = output(act, x, case.witness.v, case.witness.w, **kw) - y
        Ew = mpmath.mpf(math.fsum(rw * rw))
    else:
        Ew = loss_mp(act, x, case.exact_y(), case.witness.v, case.witness.w, dps, **kw)
    figures["witness loss"] = mp_str(Ew)
    return Check("witness", bool(Ew < E), float(Ew),
                 f"E(witness) = {mp_str(Ew, 12)} < E = {mp_str(E, 12)}" if Ew < E else
                 f"E(witness) = {mp_str(Ew, 12)} is not below E = {mp_str(E, 12)}")


def directions(samples: int, m: int, seed: int, extra: np.ndarray | None = None, *, n: int | None = None
               ) -> np.ndarray:
    """Unit directions in θ-space, shape (samples + 2n [+ 2·len(extra)], n): seeded random, ±axes, ±extra.

    n is the number of parameters, 2m for the paper's model (the default).
    """
    rng = np.random.default_rng(seed)
    n = 2 * m if n is None else n
    eye = np.eye(n)
    parts = [rng.standard_normal((samples, n)), eye, -eye]
    if extra is not None and len(extra):
        parts += [extra, -extra]
    dirs = np.vstack(parts)
    return dirs / np.linalg.norm(dirs, axis=1, keepdims=True)


def sampling_check(case: Case, dirs: np.ndarray, radii: Sequence[float], figures: dict[str, Any],
                   progress: Callable[[int, int], None] | None, *, kinds: str, dps: int = 50,
                   exact_rows: int = 0) -> Check:
    """ΔE > 0 along every direction at every radius (cancellation-free kernel); figures per radius.

    Precision follows the data: a direction whose float64 ΔE is ≤ 0 (at most
    :data:`RECHECK_MAX` of them per radius) is evaluated again at ``dps`` digits, E(θ + δ) − E(θ) with
    the point and the step taken exactly; its float64 value is replaced when the digits decide its sign.
    The last ``exact_rows`` directions are always evaluated at ``dps`` digits (a case whose data
    float64 cannot carry: ``y_exact``).
    """
    x, y, v, w = case.arrays()
    y_exact = case.exact_y()          # the labels for the multiprecision re-evaluations (read once)
    m = v.size
    per_radius = []
    all_positive = True
    rechecked = 0
    for rad in radii:
        d = rad * dirs
        if case.model.scalar:
            de = delta_losses(case.activation, x, y, v, w, d[:, :m], d[:, m:])
        else:
            de = delta_losses_model(case.activation, x, y, v, w, d, **case.engine_kwargs)
        for k in range(d.shape[0] - exact_rows, d.shape[0]):
            de[k] = _delta_loss_mp(case, y_exact, d[k], dps)
        bad = np.flatnonzero(~(de > 0))
        if 0 < bad.size <= RECHECK_MAX:
            for k in bad.tolist():
                de[k] = _delta_loss_mp(case, y_exact, d[k], dps)
            rechecked += int(bad.size)
        positive = bool(np.all(de > 0))
        all_positive &= positive
        per_radius.append({"radius": float(rad), "min dE/r^2": float(np.min(de / rad**2)),
                           "directions": int(d.shape[0]), "all positive": positive})
        if progress is not None:
            progress(len(per_radius), len(radii))
    figures["sampling"] = per_radius
    if rechecked:
        figures["sampling re-evaluated"] = {"directions": rechecked, "digits": dps,
                                            "why": "float64 ΔE ≤ 0: at small radii the kernel's rounding error can exceed ΔE"}
    smallest = min(p["min dE/r^2"] for p in per_radius)
    note = (f"; {rechecked} direction(s) with float64 ΔE ≤ 0 re-evaluated at {dps} digits" if rechecked else "")
    return Check("sampling", all_positive, smallest,
                 f"ΔE > 0 in {dirs.shape[0]} directions ({kinds}) at radii "
                 f"{', '.join(f'{r:g}' for r in radii)}; smallest ΔE/|δ|² = {smallest:.6g}{note}")


#: Directions per radius whose float64 ΔE ≤ 0 are re-evaluated at the verification's digits (beyond this many the
#: sampling has found a real descent direction, or float64 fails wholesale: the check fails as computed).
RECHECK_MAX = 16


def _delta_loss_mp(case: Case, y_exact: list, delta: np.ndarray, dps: int) -> float:
    """E(θ + δ) − E(θ) at ``dps`` digits (θ and δ exact binary floats); nan when the digits do not decide its sign."""
    from basins.model import engine

    theta = case.theta()
    m, model = len(case.v), case.model
    n_w = theta.size - m - int(model.output_bias)

    def loss(th: list) -> Any:
        v, rest = th[:m], th[m:m + n_w]
        w = rest if model.scalar else [rest[i * model.D:(i + 1) * model.D] for i in range(m)]
        kw: dict[str, Any] = {} if model.scalar else {"c": th[-1] if model.output_bias else None, "model": model}
        return engine.loss(engine.MpmathContext(case.activation), list(case.x), y_exact, v, w, **kw)

    with mpmath.workdps(dps):
        th0 = [mpmath.mpf(float(a)) for a in theta]
        th1 = [a + mpmath.mpf(float(b)) for a, b in zip(th0, delta)]
        E0, E1 = loss(th0), loss(th1)
        diff = E1 - E0
        if abs(diff) <= mpmath.mpf(10) ** (8 - dps) * (abs(E0) + 1):
            return float("nan")
        return float(diff)
