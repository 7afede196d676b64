"""How Proposition 4's construction and its verification scale with N and m (issue 6).

One command, writing ``benchmarks/results/scaling.{json,md}``::

    python benchmarks/bench_scaling.py            # up to N = 2000, m = 500 (a few minutes)
    python benchmarks/bench_scaling.py --quick    # small sizes (seconds; used by the tests)

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
from basins.verification.verify import verify_case  # noqa: E402

FULL = [(250, 62), (500, 125), (1000, 250), (2000, 500),      # m = N/4
        (2000, 62), (2000, 125), (2000, 250),                 # N fixed
        (500, 62), (1000, 62)]                                # m fixed
QUICK = [(60, 15), (120, 30), (120, 15)]
M = 1e6


def setting(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """x = linspace(1, 3, N), w_i = i·1.2N/m."""
    return np.linspace(1.0, 3.0, n), np.arange(1, m + 1) * 1.2 * n / m


def run_one(n: int, m: int, one_thread: bool, verify: bool, repeats: int) -> dict[str, Any]:
    """Best of ``repeats`` times for the construction and for the verification."""
    x, w = setting(n, m)
    t_construct, t_verify, status, prec = float("inf"), None, None, None
    with blas_threads(1 if one_thread else None):
        for _ in range(repeats):
            t = time.perf_counter()
            case = construct_prop4("sin", x, w=w, v=np.ones(m), M=M)
            t_construct = min(t_construct, time.perf_counter() - t)
            if verify:
                t = time.perf_counter()
                ver = verify_case(case)
                t_verify = min(t_verify or float("inf"), time.perf_counter() - t)
                status, prec = ver.status, ver.figures.get("precision")
    cond = case.details["conditions"]
    return {"N": n, "m": m, "BLAS": "1 thread" if one_thread else "default threads",
            "construct seconds": t_construct, "verify seconds": t_verify, "status": status,
            "precision": prec,
            "margins": {k: cond[k]["margin"] for k in ("condition 1", "condition 2", "condition 3", "signs")}}


def markdown(result: dict[str, Any]) -> str:
    out = [f"Proposition 4 scaling ({result['machine']}; `{result['command']}`)", "",
           "σ = sin, x = linspace(1, 3, N), w_i = i·1.2N/m, v = 1, M = 1e6. Seconds.", "",
           "| N | m | construct (default BLAS) | construct (1 BLAS thread) | verify (default BLAS) | "
           "verify (1 BLAS thread) | status | Hessian precision | margins 1 / 2 / 3 / signs |",
           "|---|---|---|---|---|---|---|---|---|"]
    rows: dict[tuple[int, int], dict[str, dict[str, Any]]] = {}
    for r in result["runs"]:
        rows.setdefault((r["N"], r["m"]), {})[r["BLAS"]] = r
    f = lambda s: "–" if s is None else f"{s:.2f}"  # noqa: E731
    for (n, m), d in rows.items():
        a, b = d.get("default threads", {}), d.get("1 thread", {})
        mg = (a or b)["margins"]
        out.append(f"| {n} | {m} | {f(a.get('construct seconds'))} | {f(b.get('construct seconds'))} | "
                   f"{f(a.get('verify seconds'))} | {f(b.get('verify seconds'))} | {(a or b).get('status') or '–'} | "
                   f"{(a or b).get('precision') or '–'} | "
                   + " / ".join(f"{mg[k]:.2g}" for k in ("condition 1", "condition 2", "condition 3", "signs")) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes only, no files unless --out")
    p.add_argument("--no-verify", action="store_true", help="time the construction only")
    p.add_argument("--repeats", type=int, default=None, help="best of this many runs (default 2, quick 1)")
    p.add_argument("--out", default=None, help="write OUT.json and OUT.md (default benchmarks/results/scaling)")
    a = p.parse_args(argv)
    sizes = QUICK if a.quick else FULL
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    runs = []
    construct_prop4("sin", *setting(20, 4)[:1], w=setting(20, 4)[1], v=np.ones(4), M=M)   # warm up sympy
    for n, m in sizes:
        for one in (False, True):
            r = run_one(n, m, one, verify=not a.no_verify, repeats=a.repeats or (1 if a.quick else 2))
            runs.append(r)
            print(f"  N={n} m={m} {r['BLAS']}: construct {r['construct seconds']:.2f} s"
                  + (f", verify {r['verify seconds']:.2f} s ({r['status']})" if r["verify seconds"] else ""),
                  file=sys.stderr)
    result = {"command": "python benchmarks/bench_scaling.py" + (" --quick" if a.quick else ""),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {load:.2f} at start",
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
