"""Benchmark: certify a case with m = 16, N = 256 (target: under 2 s).

Run from the checkout:  python benchmarks/bench_certify.py  [--repeat 3] [--reverify]

The case is Proposition 4 for σ = sin with x = 0.5..40 (256 points) and
w = 0.05 + 0.21·k (k = 1..16), built deterministically; the timing covers
`basins.certification.smooth.certify_smooth` only (ball features, Krawczyk, Cholesky,
losses), best of --repeat runs, without and with the guarantees of SPEC §12 (basin radius,
escape barrier: a ball grown while the Hessian stays provably positive definite).  --reverify also times the independent
mpmath-interval verifier (much slower: pure Python intervals).  --large also certifies the bench_scaling recipe at
m = 64, N = 256 (m·N ≥ 4096: verified float64 linear algebra, basins.certification.smooth_large) and reports
which linear algebra each certificate used.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from basins.certification.smooth import certify_smooth  # noqa: E402
from basins.constructions.prop4 import construct_prop4  # noqa: E402


def build_case():
    x = np.linspace(0.5, 40.0, 256)
    w = 0.21 * np.arange(1, 17) + 0.05
    return construct_prop4("sin", x, w=w)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--reverify", action="store_true")
    ap.add_argument("--large", action="store_true", help="also m = 64, N = 256 (verified float64 path)")
    args = ap.parse_args()
    case = build_case()
    for label, extra in (("proof only", {"guarantees": False}), ("with guarantees", {})):
        times = []
        for _ in range(max(1, args.repeat)):
            t = time.perf_counter()
            cert = certify_smooth(case, guarantees=bool(extra.get("guarantees", True)))
            times.append(time.perf_counter() - t)
        print(f"certify m = {case.m}, N = {case.N} ({label}): {cert.status}; best {min(times):.3f} s, "
              f"median {sorted(times)[len(times) // 2]:.3f} s over {len(times)} runs "
              f"(box radius {cert.figures.get('box radius'):.3g}, smallest pivot {cert.figures.get('smallest pivot')})")
    print(f"  linear algebra: {cert.inputs.get('linear algebra', 'balls')}")
    if args.large:
        n, m = 256, 64
        big = construct_prop4("sin", np.linspace(1.0, 3.0, n), w=np.arange(1, m + 1) * 1.2 * n / m, v=np.ones(m),
                              M=1e6)
        t = time.perf_counter()
        cb = certify_smooth(big)
        print(f"certify m = {m}, N = {n} (with guarantees): {cb.status} in {time.perf_counter() - t:.3f} s "
              f"({cb.inputs.get('linear algebra', 'balls')}; basin radius "
              f"{(cb.guarantees or {}).get('basin_radius')})")
    if args.reverify:
        from basins.certification.second import reverify

        t = time.perf_counter()
        res = reverify(case)
        print(f"reverify (mpmath intervals): {res.status} in {time.perf_counter() - t:.2f} s")
    ok = cert.certified and min(times) < 2.0
    print("target (< 2 s): " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
