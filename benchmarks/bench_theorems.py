"""Benchmark: the constructions of Theorems 4, 6 and 7, built, written, read back and verified.

Run from the checkout:  python benchmarks/bench_theorems.py  [--quick]

Cases: Theorem 6 (softplus, x = 1, 2, 3); Theorem 7 (Max(0, t−1) − Max(0, t−3),
m = 3, generated x, exact pieces analysis); Theorem 4 (designed σ, x = 0.1..5.0,
N = 50, m = 49; --quick uses N = 20, m = 19).  For each: the construction time,
the size of the JSON file, the time to read it back (parsing the activation),
and the time of `verify_case` on the read-back case (2000 random directions
per radius, radii 1e-2..1e-6), with its status.  Timings on a shared machine
are inflated; the script prints the load average it saw.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from basins.io.case import load_case  # noqa: E402
from basins.constructions.theorem4 import construct_theorem4  # noqa: E402
from basins.constructions.theorem6 import construct_theorem6  # noqa: E402
from basins.constructions.theorem7 import construct_theorem7  # noqa: E402
from basins.verification.verify import verify_case  # noqa: E402


def run(label: str, build) -> bool:
    t = time.perf_counter()
    case = build()
    t_build = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "case.json")
        t = time.perf_counter()
        case.save(path)
        t_save = time.perf_counter() - t
        size = os.path.getsize(path)
        t = time.perf_counter()
        back = load_case(path)
        t_load = time.perf_counter() - t
    t = time.perf_counter()
    ver = verify_case(back, samples=2000)
    t_ver = time.perf_counter() - t
    print(f"{label:<34} build {t_build:7.2f} s  save {t_save:6.2f} s  file {size / 1e3:8.1f} kB  "
          f"load {t_load:6.2f} s  verify {t_ver:6.2f} s  -> {ver.status}")
    return ver.passed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Theorem 4 at N = 20, m = 19 instead of N = 50, m = 49")
    args = ap.parse_args()
    n = 20 if args.quick else 50
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ok = run("Theorem 6 softplus N=3", lambda: construct_theorem6("softplus", (1.0, 2.0, 3.0)))
    ok &= run("Theorem 7 ramp m=3 N=7", lambda: construct_theorem7("Max(0, t - 1) - Max(0, t - 3)", width=3))
    ok &= run(f"Theorem 4 designed N={n} m={n - 1}",
              lambda: construct_theorem4(x=[k / 10 for k in range(1, n + 1)], width=n - 1, seed=0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
