"""Benchmark of the Property PT paths and the barrier search (issue 5).

One command::

    python benchmarks/bench_pt.py            # the target: N = 1000, widths 1000, depth 3 (best of 3)
    python benchmarks/bench_pt.py --quick    # N = 200, widths 200 (seconds)
    python benchmarks/bench_pt.py --json     # the same figures as JSON
    python benchmarks/bench_pt.py --blas-threads 2   # threaded BLAS (default 1, see below)
    python benchmarks/bench_pt.py --precision        # 1-D wide paths in ball arithmetic (issue 17)

Measured, each the best of ``--repeats`` runs (data generation excluded):

* wide: :func:`basins.landscape.pt.wide_path` for widths (N, N, N, N, 1), tanh, N
  samples: perturbation search (SVD of T_H), the segment to W T_H = Y, and the
  dense check of the loss at 1001 values of λ.  Target: under 10 s at N = 1000.
* pyramid: :func:`basins.landscape.pt.pyramid_path` for widths (8, 64, 32, 16, 1),
  tanh then leaky_relu, N = 64, 201 values of λ.
* barrier: :func:`basins.landscape.barrier.search_path` on the paper's Example 2.
* ``--precision``: :func:`basins.landscape.pt.wide_path` for widths (1, N, 1), N = 20 and 50,
  tanh, sigmoid, softplus, swish, seed 4, 1001 values of λ, as ``basins pt --widths 1,N,1 --N N
  -a ACT --seed 4`` builds it: float64 cannot resolve rank N, the path is built and checked in
  ball arithmetic; the table gives the digits used and σ_min.  (The CLI adds start-up, the
  Assumption 2 series and the reachability check: about 3–8 s more.)

Timings depend on the load of the machine: on a shared machine they are
inflated and noisy; re-run on an idle machine for the figures of record.
BLAS runs single-threaded by default: with 2 cores and a load average near
10, threaded OpenBLAS made the values-only SVD of the 1000 × 1000 T_H take
0.8–10 s instead of 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _blas_threads_from_argv() -> str:
    """``--blas-threads K`` must act before numpy is imported (OpenBLAS reads it at load)."""
    argv = sys.argv
    for i, a in enumerate(argv):
        if a == "--blas-threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--blas-threads="):
            return a.split("=", 1)[1]
    return "1"


for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _blas_threads_from_argv()

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from basins.landscape.barrier import search_path  # noqa: E402
from basins.constructions.prop4 import construct_prop4  # noqa: E402
from basins.landscape.pt import pyramid_path, random_problem, wide_path  # noqa: E402


def _best(fn, repeats: int):
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run(N: int, repeats: int) -> dict:
    widths = [N, N, N, N, 1]
    X, Y, W = random_problem(widths, N, seed=0)
    t_wide, p = _best(lambda: wide_path(widths, "tanh", X, Y, W, samples=1001), repeats)
    pw = [8, 64, 32, 16, 1]
    Xp, Yp, Wp = random_problem(pw, 64, seed=0)
    t_pyr, q = _best(lambda: pyramid_path(pw, ["tanh", "leaky_relu", "leaky_relu"], Xp, Yp, Wp, samples=201),
                     repeats)
    case = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0], M=100)
    t_bar, r = _best(lambda: search_path(case), repeats)
    return {
        "wide": {"widths": widths, "N": N, "seconds": t_wide, "verified": p.verified, "sigma_min": p.sigma_min,
                 "start_loss": p.start_loss, "end_loss": p.end_loss, "points": int(p.lambdas.size),
                 "target_seconds": 10.0 if N == 1000 else None},
        "pyramid": {"widths": pw, "N": 64, "seconds": t_pyr, "verified": q.verified, "points": int(q.lambdas.size)},
        "barrier": {"case": "Example 2 (swish)", "seconds": t_bar, "status": r.status, "barrier": r.barrier},
        "repeats": repeats,
        "cpus": os.cpu_count(),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "note": "best of repeats on a possibly shared machine; re-run on an idle machine for figures of record",
    }


def run_precision(Ns: tuple[int, ...] = (20, 50), repeats: int = 1) -> list[dict]:
    rows = []
    for N in Ns:
        for act in ("tanh", "sigmoid", "softplus", "swish"):
            X, Y, W = random_problem([1, N, 1], N, seed=4)
            t, p = _best(lambda: wide_path([1, N, 1], act, X, Y, W, seed=4), repeats)
            prec = p.details["precision"]
            rows.append({"N": N, "activation": act, "seconds": t, "status": p.status,
                         "arithmetic": prec["arithmetic"], "rank_digits": prec.get("rank_digits"),
                         "path_digits": prec.get("digits"), "sigma_min": (prec.get("sigma_min_text") or [None])[0],
                         "end_loss": p.end_loss, "command": f"basins pt --widths 1,{N},1 --N {N} -a {act} --seed 4"})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N = 200 and one repeat")
    ap.add_argument("--N", type=int, default=None, help="samples and widths of the wide benchmark (default 1000)")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--blas-threads", default="1",
                    help="BLAS/LAPACK threads (default 1: on a shared, loaded machine threaded OpenBLAS makes the "
                         "SVD of T_H up to 30x slower; use 2 or more on an idle machine)")
    ap.add_argument("--precision", action="store_true", help="the 1-D ball-arithmetic table (N = 20, 50)")
    a = ap.parse_args()
    if a.precision:
        rows = run_precision(repeats=a.repeats or 1)
        if a.json:
            print(json.dumps(rows, indent=2))
            return
        print("| N | σ | σ_min(T_1) | digits (rank / path) | seconds | status |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['N']} | {r['activation']} | {r['sigma_min']} | {r['rank_digits']} / {r['path_digits']} | "
                  f"{r['seconds']:.2f} | {r['status']} |")
        return
    N = a.N or (200 if a.quick else 1000)
    res = run(N, a.repeats or (1 if a.quick else 3))
    if a.json:
        print(json.dumps(res, indent=2))
        return
    w, p, b = res["wide"], res["pyramid"], res["barrier"]
    print(f"wide    widths {w['widths']}, N = {w['N']}: {w['seconds']:.2f} s, verified {w['verified']}, "
          f"σ_min(T_H) = {w['sigma_min']:.3g}, E {w['start_loss']:.4g} → {w['end_loss']:.2g} at {w['points']} points"
          + (f" (target < {w['target_seconds']:.0f} s)" if w["target_seconds"] else ""))
    print(f"pyramid widths {p['widths']}, N = 64: {p['seconds']:.2f} s, verified {p['verified']}, {p['points']} points")
    print(f"barrier {b['case']}: {b['seconds']:.2f} s, {b['status']}, barrier {b['barrier']:.4g}")
    print(f"(best of {res['repeats']}, BLAS threads {res['blas_threads']}; {res['note']})")


if __name__ == "__main__":
    main()
