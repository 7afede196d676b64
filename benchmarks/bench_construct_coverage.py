"""Benchmark: which (σ, N, m) the automatic construction reaches, and whether ``verify_case`` passes.

Run from the checkout:  python benchmarks/bench_construct_coverage.py [--root PATH] [--quick]
                        [--activations swish,tanh] [--no-certify] [--json OUT.json]

For each C² activation (the registry's and a few expressions: atan, erf, mish),
x = N sorted uniform points in [−3, 3] (``numpy.random.default_rng(N)``), every
width m ≤ (N − 1)/2 for N = 3, 5, 9, 17 and m = 8 at N = 33:
``basins.construct(σ, x=x, width=m, seed=0)``, ``verify_case`` (defaults), then
``certify_case`` (unless ``--no-certify``).
Each cell reads ``ok`` (built, verified numerically and certified), ``vf`` (built, a check of
the verification failed: the failed checks are listed below the table), ``cf`` (verified,
the certificate was rejected: its check is listed), ``--``
(refused: the hypothesis is listed) or ``ER`` (another error).  ``--root`` runs
another checkout of the package (e.g. ``git archive HEAD`` unpacked) for a before/after
comparison.  Times are the construction's alone (verification excluded), on a
shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

ACTIVATIONS = ["swish", "softplus", "tanh", "sigmoid", "shifted_sigmoid", "gelu", "sin", "exp", "elu",
               "atan(t)", "erf(t)", "t*tanh(log(1 + exp(t)))"]
SHORT = {"atan(t)": "atan", "erf(t)": "erf", "t*tanh(log(1 + exp(t)))": "mish", "shifted_sigmoid": "sh_sigm"}


def configs(quick: bool) -> list[tuple[int, int]]:
    sizes = (5, 9, 17) if quick else (3, 5, 9, 17)
    out = [(n, m) for n in sizes for m in range(1, (n - 1) // 2 + 1)]
    return out + [(33, 8)]


def one(act: str, n: int, m: int, certify: bool = True) -> dict[str, Any]:
    import numpy as np
    from basins import construct, verify_case

    x = np.sort(np.random.default_rng(n).uniform(-3.0, 3.0, n))
    t = time.perf_counter()
    try:
        case = construct(act, x=x, width=m, seed=0)
    except Exception as exc:  # noqa: BLE001 - a benchmark records every outcome
        kind = "--" if type(exc).__name__ in ("HypothesisFailed", "NotApplicable") else "ER"
        return {"status": kind, "time": time.perf_counter() - t, "why": f"{type(exc).__name__}: {str(exc)[:160]}"}
    t_build = time.perf_counter() - t
    ver = verify_case(case)
    prec = (case.details.get("precision") or {}).get("digits", "")
    out = {"status": "ok" if ver.passed else "vf", "time": t_build, "why": ",".join(ver.failed),
           "theorem": case.theorem, "digits": prec, "y_exact": case.y_exact is not None}
    if ver.passed and certify:
        from basins import certify_case
        t = time.perf_counter()
        try:
            certify_case(case)
        except Exception as exc:  # noqa: BLE001 - a benchmark records every outcome
            out.update(status="cf", why=f"{type(exc).__name__}: {str(exc)[:200]}")
        out["certify_time"] = time.perf_counter() - t
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--activations", default=",".join(ACTIVATIONS))
    ap.add_argument("--no-certify", action="store_true", help="construct and verify only")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.root))
    acts = args.activations.split(",")
    cols = configs(args.quick)
    results: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for act in acts:
        for n, m in cols:
            r = one(act, n, m, certify=not args.no_certify)
            results[f"{act}|{n}|{m}"] = r
            if r["status"] != "ok":
                notes.append(f"{SHORT.get(act, act)} N={n} m={m}: {r['status']} {r['why']}")
            print(f"{act:>12} N={n:2d} m={m}: {r['status']} {r['time']:.2f}s {r.get('digits', '')} {r['why'][:90]}",
                  file=sys.stderr, flush=True)
    head = "| σ | " + " | ".join(f"{n}/{m}" for n, m in cols) + " | ok | mean s |"
    print(f"root: {args.root}\n\ncells: N/m; ok = built, verified and certified, vf = verification failed, cf = certificate rejected, -- = refused\n")
    print(head)
    print("|" + "---|" * (len(cols) + 3))
    for act in acts:
        row = [results[f"{act}|{n}|{m}"] for n, m in cols]
        ok = sum(r["status"] == "ok" for r in row)
        mean = sum(r["time"] for r in row) / len(row)
        print(f"| {SHORT.get(act, act)} | " + " | ".join(r["status"] for r in row) + f" | {ok}/{len(row)} | {mean:.2f} |")
    exact = [f"{SHORT.get(a, a)} {n}/{m}" for a in acts for n, m in cols if results[f"{a}|{n}|{m}"].get("y_exact")]
    print("\n" + "\n".join(notes))
    print(f"\nlabels stored exactly (y_exact: float64 data cannot carry the construction): {', '.join(exact) or 'none'}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"root": args.root, "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()
