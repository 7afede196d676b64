"""How Proposition 4's construction, verification and certification scale with N and m (issues 6, 17).

One command, writing ``benchmarks/results/scaling.{json,md}``::

    python benchmarks/bench_scaling.py            # up to N = 4000, m = 1000 (several minutes)
    python benchmarks/bench_scaling.py --quick    # small sizes (seconds; used by the tests)
    python benchmarks/bench_scaling.py --sizes 1000x250,2000x500,4000x1000 --blas one

Certification is :func:`basins.certification.smooth.certify_smooth` with its defaults
(guarantees included; from m·N = 4096 on in verified float64 linear algebra), timed
beside a plain float64 numpy check of the same case (the engine's float64 Hessian
and ``numpy.linalg.eigvalsh``): the column "certify / float check" is the cost of
the proof relative to that unverified check.

The setting, chosen so that the hypotheses hold honestly at every size: σ = sin,
x = N equispaced points of [1, 3], w_i = i·1.2N/m (i = 1..m), v = 1, M = 1e6.
These are sine features with frequencies spaced 2.4N/m apart, up to 1.2N
(below the Nyquist frequency of the grid, πN/2): z_1..z_m, z′_1..z′_m are well
conditioned and z″_i is far from S.  (For an analytic σ such as swish with
random w the features σ(w_i x) are numerically dependent long before m = 500:
condition 1 fails at the 1e-17 level, so no honest construction exists there.)
The margins of conditions 1–3 are reported with the times.

Each size is timed with the BLAS threads numpy chose and with one BLAS thread
for the whole call (best of ``--repeats``).  On a machine shared with other
work, threaded BLAS can be many times slower than one thread (its threads wait
for cores that are busy); the large path of the construction therefore runs
its linear algebra on one thread in both columns.  Verification is
:func:`basins.verify_case` with its defaults (2000 random directions plus the
axes and softest directions, radii 1e-2 … 1e-6); above m²N = 2.5e5 it evaluates
the Hessian in float64 and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from basins.constructions.prop4 import construct_prop4  # noqa: E402
from basins.parallel import blas_threads  # noqa: E402
from basins.certification.smooth import certify_smooth  # noqa: E402
from basins.model import engine  # noqa: E402
from basins.verification.verify import verify_case  # noqa: E402

FULL = [(250, 62), (500, 125), (1000, 250), (2000, 500), (4000, 1000),   # m = N/4
        (2000, 62), (2000, 125), (2000, 250),                              # N fixed
        (500, 62), (1000, 62)]                                             # m fixed
QUICK = [(60, 15), (120, 30), (120, 15)]
M = 1e6


def setting(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """x = linspace(1, 3, N), w_i = i·1.2N/m."""
    return np.linspace(1.0, 3.0, n), np.arange(1, m + 1) * 1.2 * n / m


def projection_case(n: int, m: int) -> Any:
    """The same recipe built directly (for sizes where construct_prop4 is slow on a shared machine): a is the
    projection of Σ_i z″_i/||z″_i|| onto S⊥ (QR of [z_i, z′_i]), scaled to ||a||_∞ = 1 (condition 2 is checked:
    every a·z″_i > 0 with v = 1), y = ŷ − M a; the witness is (ρM at the best w_0 of a grid, the other v = 0).
    Proposition 4's hypotheses are not re-proved here: certification decides the case on its own."""
    from basins.activations.core import as_activation
    from basins.io.case import Case, Witness

    x, w = setting(n, m)
    act = as_activation("sin")
    u = w[:, None] * x[None, :]
    z, z1, z2 = np.sin(u), x * np.cos(u), -x * x * np.sin(u)
    Q, _ = np.linalg.qr(np.vstack([z, z1]).T)
    g = (z2 / np.linalg.norm(z2, axis=1, keepdims=True)).sum(axis=0)
    a = g - Q @ (Q.T @ g)
    a /= np.max(np.abs(a))
    if not np.all(z2 @ a > 0):
        raise ValueError("condition 2 fails for the projection: use construct_prop4")
    v = np.ones(m)
    yhat = v @ z
    y = yhat - M * a
    best = max((abs(a @ np.sin(w0 * x)) / np.linalg.norm(np.sin(w0 * x)), w0) for w0 in np.linspace(0.05, 1.2 * n, 4001))
    w0 = best[1]
    z0 = np.sin(w0 * x)
    rho = float((a @ z0) / (z0 @ z0))
    vw, ww = np.zeros(m), w.copy()
    vw[0], ww[0] = -rho * M, w0
    loss = float(np.sum((yhat - y) ** 2))
    wloss = float(np.sum((vw @ np.sin(ww[:, None] * x[None, :]) - y) ** 2))
    return Case(activation=act, x=tuple(x.tolist()), y=tuple(y.tolist()), v=tuple(v.tolist()), w=tuple(w.tolist()),
                theorem="Proposition 4", loss=loss, witness=Witness(tuple(vw.tolist()), tuple(ww.tolist()), wloss),
                details={"conditions": {k: {"margin": float("nan")} for k in
                                        ("condition 1", "condition 2", "condition 3", "signs")},
                         "construction": "projection (bench_scaling --projection)"})


def float_check(case: Any) -> float:
    """Seconds for the unverified float64 check: the engine's float64 Hessian and its eigenvalues."""
    t = time.perf_counter()
    H = engine.hessian(engine.float_context(case.activation), case.x, case.y, case.v, case.w)
    np.linalg.eigvalsh(np.asarray(H, dtype=float))
    return time.perf_counter() - t


def run_one(n: int, m: int, one_thread: bool, verify: bool, repeats: int, certify: bool = True,
            projection: bool = False) -> dict[str, Any]:
    """Best of ``repeats`` times for the construction, the verification, the certification and the float check."""
    x, w = setting(n, m)
    t_construct, t_verify, status, prec = float("inf"), None, None, None
    t_cert, t_float, cert_status, cert_figs = None, None, None, {}
    with blas_threads(1 if one_thread else None):
        for _ in range(repeats):
            t = time.perf_counter()
            case = projection_case(n, m) if projection else construct_prop4("sin", x, w=w, v=np.ones(m), M=M)
            t_construct = min(t_construct, time.perf_counter() - t)
            if verify:
                t = time.perf_counter()
                ver = verify_case(case)
                t_verify = min(t_verify or float("inf"), time.perf_counter() - t)
                status, prec = ver.status, ver.figures.get("precision")
            if certify:
                t_float = min(t_float or float("inf"), float_check(case))
                t = time.perf_counter()
                cert = certify_smooth(case)
                t_cert = min(t_cert or float("inf"), time.perf_counter() - t)
                cert_status = cert.status if cert.certified else f"{cert.status} ({', '.join(cert.failed)})"
                g = cert.guarantees or {}
                cert_figs = {"box radius": cert.figures.get("box radius"),
                             "lambda_min_lower": g.get("lambda_min_lower"), "basin_radius": g.get("basin_radius"),
                             "linear algebra": cert.inputs.get("linear algebra", "balls")}
    cond = case.details["conditions"]
    return {"N": n, "m": m, "BLAS": "1 thread" if one_thread else "default threads",
            "construction": "projection" if projection else "construct_prop4",
            "construct seconds": t_construct, "verify seconds": t_verify, "status": status,
            "precision": prec, "certify seconds": t_cert, "float check seconds": t_float,
            "certificate": cert_status, "certificate figures": cert_figs,
            "margins": {k: cond[k]["margin"] for k in ("condition 1", "condition 2", "condition 3", "signs")}}


def markdown(result: dict[str, Any]) -> str:
    out = [f"Proposition 4 scaling ({result['machine']}; `{result['command']}`)", "",
           "σ = sin, x = linspace(1, 3, N), w_i = i·1.2N/m, v = 1, M = 1e6. Seconds (best of the repeats); "
           "certify = certify_smooth with guarantees; float check = float64 Hessian + eigvalsh.", "",
           "| N | m | BLAS | construct | verify | verify status | verify precision | certify | certificate | "
           "float check | certify / float check | λ_min ≥ | basin radius | margins 1 / 2 / 3 / signs |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    f = lambda s: "–" if s is None else f"{s:.2f}"  # noqa: E731
    g = lambda s: "–" if s is None else f"{s:.3g}"  # noqa: E731
    for r in result["runs"]:
        mg = r["margins"]
        margins = " / ".join("–" if mg[k] != mg[k] else f"{mg[k]:.2g}"
                             for k in ("condition 1", "condition 2", "condition 3", "signs"))
        cf = r.get("certificate figures") or {}
        ratio = (f"{r['certify seconds'] / r['float check seconds']:.1f}×"
                 if r.get("certify seconds") and r.get("float check seconds") else "–")
        built = "" if r.get("construction", "construct_prop4") == "construct_prop4" else " (projection)"
        out.append(f"| {r['N']} | {r['m']} | {r['BLAS']} | {f(r['construct seconds'])}{built} | {f(r['verify seconds'])} | "
                   f"{r.get('status') or '–'} | {r.get('precision') or '–'} | {f(r.get('certify seconds'))} | "
                   f"{r.get('certificate') or '–'} | {f(r.get('float check seconds'))} | {ratio} | "
                   f"{g(cf.get('lambda_min_lower'))} | {g(cf.get('basin_radius'))} | {margins} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes only, no files unless --out")
    p.add_argument("--no-verify", action="store_true", help="skip the verification")
    p.add_argument("--no-certify", action="store_true", help="skip the certification and the float check")
    p.add_argument("--sizes", default=None, help="comma-separated NxM, e.g. 1000x250,4000x1000")
    p.add_argument("--blas", choices=("both", "one", "default"), default="both",
                   help="BLAS settings to time (both: default threads and one thread)")
    p.add_argument("--projection", action="store_true",
                   help="build the cases by projection (fast; see projection_case) instead of construct_prop4")
    p.add_argument("--repeats", type=int, default=None, help="best of this many runs (default 2, quick 1)")
    p.add_argument("--out", default=None, help="write OUT.json and OUT.md (default benchmarks/results/scaling)")
    a = p.parse_args(argv)
    sizes = QUICK if a.quick else FULL
    if a.sizes:
        sizes = [tuple(int(t) for t in part.lower().split("x")) for part in a.sizes.split(",")]  # type: ignore[misc]
    settings = {"both": (False, True), "one": (True,), "default": (False,)}[a.blas]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    runs = []
    construct_prop4("sin", *setting(20, 4)[:1], w=setting(20, 4)[1], v=np.ones(4), M=M)   # warm up sympy
    for n, m in sizes:
        for one in settings:
            r = run_one(n, m, one, verify=not a.no_verify, repeats=a.repeats or (1 if a.quick else 2),
                        certify=not a.no_certify, projection=a.projection)
            runs.append(r)
            print(f"  N={n} m={m} {r['BLAS']}: construct {r['construct seconds']:.2f} s"
                  + (f", verify {r['verify seconds']:.2f} s ({r['status']})" if r["verify seconds"] else "")
                  + (f", certify {r['certify seconds']:.2f} s ({r['certificate']}), float check "
                     f"{r['float check seconds']:.2f} s" if r["certify seconds"] else ""),
                  file=sys.stderr)
    command = "python benchmarks/bench_scaling.py" + " ".join([""] + (argv if argv is not None else sys.argv[1:]))
    end_load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    result = {"command": command.strip(),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {load:.2f} at start, "
                         f"{end_load:.2f} at the end",
              "numpy": np.__version__, "M": M, "runs": runs}
    md = markdown(result)
    out = a.out if a.out is not None else (None if a.quick else str(Path(__file__).parent / "results" / "scaling"))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out + ".json").write_text(json.dumps(result, indent=1) + "\n")
        Path(out + ".md").write_text(md)
    print(md)
    return result


if __name__ == "__main__":
    main()
