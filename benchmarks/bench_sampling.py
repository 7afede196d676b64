"""Benchmark of the sampling kernel :func:`basins.verification.sampling.delta_losses` (issue 6).

One command measures everything and writes ``benchmarks/results/sampling.{json,md}``::

    python benchmarks/bench_sampling.py            # K = 2^20, best of 3 (a few minutes)
    python benchmarks/bench_sampling.py --quick    # K = 2^12, one repeat (seconds; used by the tests)

Speed, for swish and tanh at (m, N) = (1, 3), (8, 64), (64, 1024):

* kernel: activation evaluations per second, K·m·N / time, with the default
  workers (one per core), on K perturbations δ = (dv, dw) with directions
  uniform on the sphere of R^{2m} and radii 1e-2 … 1e-6 in five equal
  consecutive blocks (the radii of ``verify``, which calls the kernel once
  per radius: the regime the kernel is for);
* kernel, 1 worker: the same on one thread, same K (shows the use of the cores);
* far: the kernel at radius 0.5, where every neuron takes the direct path;
* plain: the same ΔE from a plain batched numpy expression,
  E(θ + δ) − E(θ) with σ((w + dw) x) evaluated for every element;
* roofline: cores × the single-core throughput of np.exp (np.tanh for tanh)
  over a flat float64 array of K·m·N elements, taken in blocks of
  ``CHUNK_ELEMENTS`` (cache-sized blocks are faster than one huge array, so
  this is the stricter roofline); timed on min(K·m·N, 2^25) elements, best
  of at least 10 runs.

To keep one run short, plain, far and the roofline are timed on the
first K' perturbations with K'·m·N ≈ 2^28 elements (``--max-elements``) when
K·m·N is larger; they are throughputs, so the figures compare.  Every figure
is the best of ``--repeats`` interleaved runs.

Accuracy, at the paper's Example 2 (swish, x = (0.1, 2, 3), w = v = 1,
M = 100): for 64 seeded directions and radii 1e-2 … 1e-8, the kernel's ΔE and
the difference of two float64 losses against a 50-digit mpmath reference.

Timings depend on the load of the machine: on a shared machine they are
inflated and noisy; re-run on an idle machine for the figures of record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from basins.activations import as_activation  # noqa: E402
from basins.model.network import loss, loss_mp  # noqa: E402
from basins.constructions.prop4 import construct_prop4  # noqa: E402
from basins.verification.sampling import CHUNK_ELEMENTS, delta_losses  # noqa: E402

SIZES = ((1, 3), (8, 64), (64, 1024))
ACTIVATIONS = {"swish": np.exp, "tanh": np.tanh}
SAMPLING_RADII = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
FAR_RADIUS = 0.5
ACCURACY_RADII = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
TARGET = {"swish": {(8, 64), (64, 1024)}}
#: The roofline's np.exp is timed on at most this many elements, best of ≥ 10 runs
#: (short runs catch the quiet moments of a shared machine: the strictest roofline).
ROOFLINE_ELEMENTS = 1 << 25


def _point(m: int, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """A seeded (x, y, v, w): x in [0.1, 3], w ~ N(0, 1.5²)/rms(x), v = ±1, y ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.1, 3.0, n))
    w = rng.normal(0.0, 1.5, m) / np.sqrt(np.mean(x * x))
    v = rng.choice([-1.0, 1.0], m)
    y = rng.normal(size=n)
    return x, y, v, w


def _perturbations(k: int, m: int, radii: tuple[float, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k directions uniform on the sphere, in equal consecutive blocks of the given radii."""
    rng = np.random.default_rng(seed)
    d = rng.standard_normal((k, 2 * m))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    d *= np.asarray(radii)[np.arange(k) * len(radii) // k][:, None]
    return np.ascontiguousarray(d[:, :m]), np.ascontiguousarray(d[:, m:])


def plain_delta_losses(activation: str, x: np.ndarray, y: np.ndarray, v: np.ndarray, w: np.ndarray,
                       dv: np.ndarray, dw: np.ndarray) -> np.ndarray:
    """The plain batched expression E(θ + δ) − E(θ) (chunked only to bound memory; one thread)."""
    f = as_activation(activation).numpy(0)
    e0 = float(np.sum((v @ f(np.outer(w, x)) - y) ** 2))
    k, m = dv.shape
    out = np.empty(k)
    step = max(1, CHUNK_ELEMENTS // (m * x.size))
    for s in range(0, k, step):
        yhat = np.einsum("km,kmn->kn", v + dv[s:s + step], f((w + dw[s:s + step])[:, :, None] * x))
        out[s:s + step] = np.sum((yhat - y) ** 2, axis=1) - e0
    return out


def _roofline_single_core(fn: Callable, elements: int, seed: int) -> Callable[[], None]:
    block = min(elements, CHUNK_ELEMENTS)
    a = np.random.default_rng(seed).uniform(-3.0, 3.0, block)
    o = np.empty_like(a)
    reps, rest = divmod(elements, block)

    def run() -> None:
        for _ in range(reps):
            fn(a, out=o)
        if rest:
            fn(a[:rest], out=o[:rest])

    return run


def _best(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def speed(log2k: int, repeats: int, max_elements: int, seed: int = 0) -> list[dict[str, Any]]:
    cores = os.cpu_count() or 1
    rows = []
    for name, ufunc in ACTIVATIONS.items():
        for m, n in SIZES:
            k = 1 << log2k
            x, y, v, w = _point(m, n, seed)
            dv, dw = _perturbations(k, m, SAMPLING_RADII, seed + 1)
            kp = min(k, max(1, max_elements // (m * n)))
            fv, fw = _perturbations(kp, m, (FAR_RADIUS,), seed + 2)
            delta_losses(name, x, y, v, w, dv[:8], dw[:8])        # compile σ's Taylor table once
            res: dict[str, Any] = {}

            def kernel() -> None:
                res["kernel"] = delta_losses(name, x, y, v, w, dv, dw)

            roof_el = min(kp * m * n, ROOFLINE_ELEMENTS)
            roof = _roofline_single_core(ufunc, roof_el, seed)
            t = _best({
                "kernel": kernel,
                "kernel 1 worker": lambda: delta_losses(name, x, y, v, w, dv, dw, workers=1),
                "far": lambda: delta_losses(name, x, y, v, w, fv, fw),
                "plain": lambda: res.__setitem__("plain", plain_delta_losses(name, x, y, v, w, dv[:kp], dw[:kp])),
            }, repeats)
            t["roofline"] = _best({"roofline": roof}, max(10, 3 * repeats))["roofline"]
            el, elp = k * m * n, kp * m * n
            thr = {
                "kernel": el / t["kernel"],
                "kernel 1 worker": el / t["kernel 1 worker"],
                "far": elp / t["far"],
                "plain": elp / t["plain"],
                "roofline": cores * roof_el / t["roofline"],
            }
            ref = res["plain"]
            agree = float(np.max(np.abs(res["kernel"][:kp] - ref)) / max(np.max(np.abs(ref)), 1e-300))
            target = (m, n) in TARGET.get(name, set())
            rows.append({
                "activation": name, "m": m, "N": n, "K": k, "K timed for plain/far/roofline": kp,
                "seconds": t, "throughput (evaluations/s)": thr,
                "kernel / plain": thr["kernel"] / thr["plain"],
                "kernel / roofline": thr["kernel"] / thr["roofline"],
                "far / roofline": thr["far"] / thr["roofline"],
                "kernel vs plain, max |difference| / max |ΔE|": agree,
                "target (≥ 2× plain, ≥ 75% roofline)": (None if not target else
                                                        bool(thr["kernel"] >= 2 * thr["plain"]
                                                             and thr["kernel"] >= 0.75 * thr["roofline"])),
            })
            print(f"  {name:5s} m={m:<3d} N={n:<5d} kernel {thr['kernel']:.3g}/s  plain {thr['plain']:.3g}/s  "
                  f"roofline {thr['roofline']:.3g}/s  ({t['kernel']:.2f} s)", file=sys.stderr)
    return rows


def accuracy(directions: int = 64, seed: int = 0) -> list[dict[str, Any]]:
    import mpmath

    case = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0], M=100.0)
    x, y, v, w = case.arrays()
    rng = np.random.default_rng(seed)
    dirs = rng.standard_normal((directions, 2))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    e0 = loss_mp("swish", x, y, v, w, 50)
    f0 = loss("swish", x, y, v, w)
    rows = []
    for rad in ACCURACY_RADII:
        d = rad * dirs
        kern = delta_losses("swish", x, y, v, w, d[:, :1], d[:, 1:])
        with mpmath.workdps(50):
            ref = np.array([float(loss_mp("swish", x, y, [mpmath.mpf(v[0]) + mpmath.mpf(di[0])],
                                          [mpmath.mpf(w[0]) + mpmath.mpf(di[1])], 50) - e0) for di in d])
        sub = np.array([loss("swish", x, y, v + di[:1], w + di[1:]) - f0 for di in d])
        rows.append({
            "radius": rad,
            "reference min ΔE": float(ref.min()),
            "kernel max relative error": float(np.max(np.abs(kern / ref - 1))),
            "kernel all positive": bool(np.all(kern > 0)),
            "subtraction max relative error": float(np.max(np.abs(sub / ref - 1))),
            "subtraction zero or negative": int(np.sum(sub <= 0)),
            "directions": directions,
        })
    return rows


def markdown(result: dict[str, Any]) -> str:
    g = lambda v: f"{v / 1e9:.3g}"  # noqa: E731
    out = [f"Sampling kernel benchmark ({result['machine']}; `{result['command']}`)", "",
           "Throughput in 10⁹ activation evaluations per second (K·m·N / time); radii 1e-2…1e-6 "
           "except *far* (radius 0.5, direct path).", "",
           "| σ | m | N | K | kernel | 1 worker | far | plain | roofline | kernel/plain | kernel/roofline | target |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["speed"]:
        t = r["throughput (evaluations/s)"]
        tgt = {None: "–", True: "met", False: "missed"}[r["target (≥ 2× plain, ≥ 75% roofline)"]]
        out.append(f"| {r['activation']} | {r['m']} | {r['N']} | 2^{int(np.log2(r['K']))} | {g(t['kernel'])} | "
                   f"{g(t['kernel 1 worker'])} | {g(t['far'])} | {g(t['plain'])} | {g(t['roofline'])} | "
                   f"{r['kernel / plain']:.2f}× | {100 * r['kernel / roofline']:.0f}% | {tgt} |")
    out += ["", "Accuracy at Example 2 (swish, x = (0.1, 2, 3), w = v = 1, M = 100), "
            f"{result['accuracy'][0]['directions']} directions per radius, against 50-digit mpmath:", "",
            "| radius | min ΔE (reference) | kernel max rel. error | kernel all > 0 | "
            "E(θ+δ) − E(θ) in float64: max rel. error | … zero or negative |",
            "|---|---|---|---|---|---|"]
    for r in result["accuracy"]:
        out.append(f"| {r['radius']:g} | {r['reference min ΔE']:.3g} | {r['kernel max relative error']:.1e} | "
                   f"{'yes' if r['kernel all positive'] else 'NO'} | {r['subtraction max relative error']:.1e} | "
                   f"{r['subtraction zero or negative']} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="K = 2^12, one repeat, no files unless --out")
    p.add_argument("--log2k", type=int, default=None, help="K = 2^LOG2K perturbations (default 20)")
    p.add_argument("--repeats", type=int, default=None, help="best of this many runs (default 3)")
    p.add_argument("--max-elements", type=int, default=1 << 28)
    p.add_argument("--out", default=None, help="write OUT.json and OUT.md (default benchmarks/results/sampling)")
    a = p.parse_args(argv)
    log2k = a.log2k if a.log2k is not None else (12 if a.quick else 20)
    repeats = a.repeats if a.repeats is not None else (1 if a.quick else 3)
    cmd = "python benchmarks/bench_sampling.py" + (" --quick" if a.quick else "")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    result: dict[str, Any] = {
        "command": cmd, "K": 1 << log2k, "repeats": repeats, "cores": os.cpu_count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {load:.2f} at start" if load is not None
        else platform.machine(),
        "numpy": np.__version__, "chunk elements": CHUNK_ELEMENTS,
        "speed": speed(log2k, repeats, a.max_elements),
        "accuracy": accuracy(),
    }
    md = markdown(result)
    out = a.out if a.out is not None else (None if a.quick else str(Path(__file__).parent / "results" / "sampling"))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out + ".json").write_text(json.dumps(result, indent=1, default=str) + "\n")
        Path(out + ".md").write_text(md)
    print(md)
    return result


if __name__ == "__main__":
    main()
