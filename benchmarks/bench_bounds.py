"""Benchmark and agreement table of the value-of-local-minima oracles (issue 8).

One command::

    python benchmarks/bench_bounds.py           # every shipped case, float64 and 50 digits; a trained deep ReLU net
    python benchmarks/bench_bounds.py --json    # the same figures as JSON

For every case in ``basins/cases/`` it prints E, the gradient-basis value
||P_N[J] y||², their difference relative to E in float64 and at 50 digits,
the verdict, and the time of each evaluation (best of ``--repeats``).  Then it
trains a deep ReLU network (widths 2-4-3-1, 16 samples, L-BFGS) and times the
projection form against papers/000 Theorem 1 as written (path sums and
Gram–Schmidt).  Timings depend on the load of the machine: on a shared
machine they are inflated and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402

from basins.model import deep  # noqa: E402
from basins.oracles.bounds import case_value_identity, deep_theorem1, deep_value_identity  # noqa: E402
from basins.io.case import load_case  # noqa: E402
from basins.errors import NotApplicable  # noqa: E402

CASE_DIR = Path(__file__).resolve().parents[1] / "basins" / "cases"


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def shipped(repeats: int) -> list[dict]:
    rows = []
    for path in sorted(CASE_DIR.glob("*.json")):
        case = load_case(path)
        row: dict = {"case": path.stem, "N": case.N, "m": case.m}
        try:
            tf, rf = _best(lambda: case_value_identity(case), repeats)
            tm, rm = _best(lambda: case_value_identity(case, dps=50), 1)
        except NotApplicable as exc:
            row["verdict"] = f"not applicable ({exc.hypothesis})"
            rows.append(row)
            continue
        row.update(loss=rf.loss, value=rf.gradient_basis_value, rel_diff_float=rf.difference / rf.loss,
                   rel_diff_50=rm.difference / rm.loss, verdict=f"{rf.status} / {rm.status}",
                   time_float_s=tf, time_50_s=tm)
        rows.append(row)
    return rows


def deep_relu(repeats: int) -> dict:
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, 16)
    X, Y = np.vstack([x, np.ones(16)]), (np.sin(2 * x) + 0.1 * rng.standard_normal(16))[None, :]
    net = deep.deep_network([2, 4, 3, 1], "relu")
    theta = deep.pack(deep.random_weights(net, seed=1))
    t = time.perf_counter()
    for _ in range(2):
        theta = scipy.optimize.minimize(
            lambda th: deep.loss(net, deep.unpack(net, th), X, Y), theta,
            jac=lambda th: deep.pack(deep.gradient(net, deep.unpack(net, th), X, Y)),
            method="L-BFGS-B", options=dict(maxiter=3000, gtol=1e-12, ftol=0.0, maxcor=30)).x
    train = time.perf_counter() - t
    Ws = deep.unpack(net, theta)
    tp, ident = _best(lambda: deep_value_identity(net, Ws, X, Y), repeats)
    tt, form = _best(lambda: deep_theorem1(net, Ws, X, Y), repeats)
    return {"widths": list(net.widths), "N": 16, "train_s": train,
            "gradient_norm": float(np.linalg.norm(deep.pack(deep.gradient(net, Ws, X, Y)))),
            "loss": ident.loss, "projection_value": ident.gradient_basis_value,
            "theorem1_value": form.formula_value, "verdict": ident.status,
            "projection_s": tp, "theorem1_s": tt}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    out = {"shipped": shipped(args.repeats), "deep_relu": deep_relu(args.repeats)}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{'case':36s} {'E':>12s} {'(E-V)/E f64':>12s} {'(E-V)/E 50d':>12s} {'f64 s':>7s} {'50d s':>7s}  verdict")
    for r in out["shipped"]:
        if "loss" not in r:
            print(f"{r['case']:36s} {'':>12s} {'':>12s} {'':>12s} {'':>7s} {'':>7s}  {r['verdict']}")
            continue
        print(f"{r['case']:36s} {r['loss']:12.6g} {r['rel_diff_float']:12.2e} {r['rel_diff_50']:12.2e} "
              f"{r['time_float_s']:7.3f} {r['time_50_s']:7.2f}  {r['verdict']}")
    d = out["deep_relu"]
    print(f"\ndeep ReLU {d['widths']}, N = {d['N']}: L-BFGS {d['train_s']:.2f} s, |∇E| = {d['gradient_norm']:.1e}, "
          f"E = {d['loss']:.10g}, projection {d['projection_value']:.10g} ({d['projection_s'] * 1e3:.1f} ms), "
          f"Theorem 1 as written {d['theorem1_value']:.10g} ({d['theorem1_s'] * 1e3:.1f} ms): {d['verdict']}")


if __name__ == "__main__":
    main()
