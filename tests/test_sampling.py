"""Tests of the sampling kernel (basins.verification.sampling) against 50-digit mpmath references."""

import sys
import tracemalloc
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from basins.activations import T, as_activation
from basins.errors import InvalidArgument
from basins.model.network import loss, loss_mp
from basins.verification.sampling import CHUNK_ELEMENTS, delta_losses, delta_sigma, taylor_steps

EXAMPLE2_X = (0.1, 2.0, 3.0)


def _reference(act, x, y, v, w, dv, dw, dps=50):
    """E(θ + δ) − E(θ) at ``dps`` digits, the float64 inputs taken exactly."""
    with mpmath.workdps(dps):
        e0 = loss_mp(act, x, y, v, w, dps)
        return np.array([float(loss_mp(act, x, y, _exact_sum(v, a), _exact_sum(w, b), dps) - e0)
                         for a, b in zip(dv, dw)])


def _exact_sum(p, d):
    """p + d as mpf (exact at the working precision), not the rounded float64 sum."""
    return [mpmath.mpf(float(a)) + mpmath.mpf(float(b)) for a, b in zip(np.ravel(p), np.ravel(d))]


def _directions(k, m, seed):
    d = np.random.default_rng(seed).standard_normal((k, 2 * m))
    return d / np.linalg.norm(d, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def example2_arrays(example2):
    return example2.arrays()


# --------------------------------------------------------------- accuracy --

@pytest.mark.parametrize("radius", [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8])
def test_example2_within_one_percent_of_50_digits(example2_arrays, radius):
    x, y, v, w = example2_arrays
    d = radius * _directions(24, 1, seed=3)
    ref = _reference("swish", x, y, v, w, d[:, :1], d[:, 1:])
    got = delta_losses("swish", x, y, v, w, d[:, :1], d[:, 1:])
    assert np.all(ref > 0)
    assert np.all(got > 0)
    assert np.max(np.abs(got / ref - 1)) < 1e-2


def test_subtracting_two_losses_fails_where_the_kernel_does_not(example2_arrays):
    """The premise of the kernel: from radius 1e-6 down, E(θ+δ) − E(θ) in float64 is 0 or negative."""
    x, y, v, w = example2_arrays
    e0 = loss("swish", x, y, v, w)
    for radius in (1e-6, 1e-7, 1e-8):
        d = radius * _directions(24, 1, seed=3)
        naive = np.array([loss("swish", x, y, v + a, w + b) - e0 for a, b in zip(d[:, :1], d[:, 1:])])
        assert np.any(naive <= 0)
        assert np.all(delta_losses("swish", x, y, v, w, d[:, :1], d[:, 1:]) > 0)


CASES = [  # activation, x, w, v, y-seed
    ("tanh", (0.3, 0.9, 1.7, 2.2, 3.1), (0.7, -1.1), (1.0, -1.0), 1),
    ("gelu", (0.5, 1.0, 1.5, 2.0, 2.5), (0.4, 1.3), (-1.0, 1.0), 2),
    ("softplus", (-1.0, 0.5, 1.5, 2.5), (0.8,), (2.0,), 3),
    ("sin", (0.2, 0.4, 1.1, 1.9), (0.6, 2.0), (1.0, 0.5), 4),
    ("elu", (0.5, 1.0, 2.0, 3.0), (0.05, -0.3), (1.0, 1.0), 5),          # crosses the breakpoint 0
    ("t**3 + t**2 + t", (0.5, 1.0, 1.5, 2.0), (0.3, -0.6), (1.0, 1.0), 6),
]


@pytest.mark.parametrize("act,x,w,v,seed", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("radius", [0.5, 3e-2, 1e-3, 1e-6])
def test_agrees_with_50_digits_on_both_paths(act, x, w, v, seed, radius):
    """Large radii take the direct path, small ones the Taylor path; both match mpmath."""
    x, w, v = map(np.asarray, (x, w, v))
    y = np.random.default_rng(seed).normal(size=x.size)
    d = radius * _directions(16, w.size, seed)
    m = w.size
    ref = _reference(act, x, y, v, w, d[:, :m], d[:, m:])
    got = delta_losses(act, x, y, v, w, d[:, :m], d[:, m:])
    scale = np.max(np.abs(ref))
    assert np.max(np.abs(got - ref)) <= 1e-11 * scale


def test_mixed_chunk_taylor_and_direct(example2_arrays):
    """One chunk holding radii from 1e-8 to 1: the direct path for some neurons only."""
    x, y, v, w = example2_arrays
    radii = np.geomspace(1e-8, 1.0, 40)
    d = radii[:, None] * _directions(40, 1, seed=8)
    ref = _reference("swish", x, y, v, w, d[:, :1], d[:, 1:])
    got = delta_losses("swish", x, y, v, w, d[:, :1], d[:, 1:])
    assert np.max(np.abs(got / ref - 1)) < 1e-6


def test_width_four_mixed_radii_per_neuron():
    """Within one perturbation some neurons on the Taylor path and some on the direct path."""
    rng = np.random.default_rng(11)
    x = np.array([0.3, 0.8, 1.2, 1.9, 2.4, 3.0, 3.3])
    w, v, y = rng.normal(size=4), rng.normal(size=4), rng.normal(size=7)
    dv = rng.normal(size=(12, 4)) * np.array([1e-7, 1e-3, 1e-1, 0.8])
    dw = rng.normal(size=(12, 4)) * np.array([1e-7, 1e-3, 1e-1, 0.8])
    ref = _reference("swish", x, y, v, w, dv, dw)
    got = delta_losses("swish", x, y, v, w, dv, dw)
    assert np.max(np.abs(got - ref)) <= 1e-11 * np.max(np.abs(ref))


def test_sparse_direct_path_many_perturbations():
    """Few neurons beyond the Taylor range among many perturbations (the gathered direct path)."""
    rng = np.random.default_rng(12)
    x = np.linspace(0.2, 3.0, 9)
    w, v, y = rng.normal(size=6), rng.normal(size=6), rng.normal(size=9)
    dv = rng.normal(size=(30, 6)) * 1e-4
    dw = rng.normal(size=(30, 6)) * 1e-4
    dw[3, 2] = 0.4
    dw[17, 5] = -0.7
    ref = _reference("tanh", x, y, v, w, dv, dw)
    got = delta_losses("tanh", x, y, v, w, dv, dw)
    assert np.max(np.abs(got / ref - 1)) < 1e-8


# ------------------------------------------------------ Taylor machinery --

def test_numpy_taylor_matches_the_exact_series():
    series = sp.series(T / (1 + sp.exp(-T)), T, 0, 11).removeO()
    exact = [float(series.coeff(T, p)) for p in range(11)]
    got = as_activation("swish").numpy_taylor(10)(np.array([0.0]))[:, 0]
    assert np.allclose(got, exact, rtol=1e-14, atol=1e-17)


def test_numpy_taylor_rejects_bad_order():
    with pytest.raises(InvalidArgument, match="order=17"):
        as_activation("swish").numpy_taylor(17)


def test_taylor_steps_grow_with_order_and_are_infinite_for_polynomials():
    t = taylor_steps("swish", EXAMPLE2_X, [1.0])
    orders = sorted(t)
    assert all(t[p][0] < t[q][0] for p, q in zip(orders, orders[1:]))
    assert np.all(np.isinf(taylor_steps("t**3 + t", (1.0, 2.0), (0.5, 1.0))[4]))


def test_taylor_steps_stop_at_a_breakpoint():
    """elu's breakpoint at 0: from u = w x_j the step dw may not reach -w."""
    t = taylor_steps("elu", (1.0, 2.0, 3.0), [0.1, -0.2])
    for p in t:
        assert t[p][0] < 0.1 and t[p][1] < 0.2


def test_taylor_path_is_exact_to_rounding_at_its_step():
    """At dw = τ the Taylor polynomial and a 50-digit σ(u + h) − σ(u) agree to ~ε."""
    act = as_activation("gelu")
    x, w = np.array([0.5, 1.5, 2.5]), np.array([0.7])
    for p, tau in taylor_steps(act, x, w).items():
        h = tau[0] * x
        c = act.numpy_taylor(p)(w[0] * x)
        taylor = sum(c[q] * h ** q for q in range(1, p + 1))
        with mpmath.workdps(50):
            f = act.mpmath(0)
            ref = np.array([float(f(w[0] * xi + hi) - f(w[0] * xi)) for xi, hi in zip(x, h)])
        assert np.max(np.abs(taylor - ref) / (np.abs(c[0]) + np.abs(ref))) < 1e-14


@pytest.mark.parametrize("act", ["swish", "exp", "elu", "tanh"])
def test_delta_sigma_against_50_digits(act):
    u = np.array([-2.0, -0.3, 0.0, 0.4, 1.5])[:, None]
    h = np.array([1e-12, -1e-7, 3e-3, 0.2, -0.5, 2.0])[None, :]
    got = delta_sigma(act, u, h)
    f = as_activation(act).mpmath(0)
    with mpmath.workdps(50):
        ref = np.array([[float(f(mpmath.mpf(a) + mpmath.mpf(b)) - f(a)) for b in h[0]] for a in u[:, 0]])
    scale = np.abs(ref) + 1e-16 * np.abs(as_activation(act).numpy(0)(u))
    assert np.max(np.abs(got - ref) / scale) < 1e-9


# ----------------------------------------------- chunks, threads, memory --

def test_chunks_and_workers_do_not_change_the_result():
    rng = np.random.default_rng(5)
    x = np.linspace(0.1, 3.0, 64)
    w, v, y = rng.normal(size=8), rng.normal(size=8), rng.normal(size=64)
    k = 3 * CHUNK_ELEMENTS // 64 + 17           # several chunks, a ragged last one
    d = _directions(k, 8, seed=6) * np.resize([1e-2, 1e-5, 0.3], k)[:, None]
    one = delta_losses("swish", x, y, v, w, d[:, :8], d[:, 8:], workers=1)
    two = delta_losses("swish", x, y, v, w, d[:, :8], d[:, 8:], workers=2)
    assert np.array_equal(one, two)
    part = delta_losses("swish", x, y, v, w, d[5:6, :8], d[5:6, 8:])
    assert part[0] == pytest.approx(one[5], rel=1e-12)


def test_memory_stays_bounded_whatever_k():
    """The peak of numpy allocations does not grow with K (inputs excluded)."""
    rng = np.random.default_rng(7)
    m, n = 8, 64
    x = np.linspace(0.1, 3.0, n)
    w, v, y = rng.normal(size=m), rng.normal(size=m), rng.normal(size=n)
    peaks = []
    for k in (1 << 12, 1 << 16):
        d = _directions(k, m, seed=k) * 1e-3
        d[::7] *= 300.0                         # some perturbations on the direct path
        dv, dw = np.ascontiguousarray(d[:, :m]), np.ascontiguousarray(d[:, m:])
        tracemalloc.start()
        out = delta_losses("swish", x, y, v, w, dv, dw)
        peak = tracemalloc.get_traced_memory()[1] - out.nbytes
        tracemalloc.stop()
        peaks.append(peak)
    dense = (1 << 16) * m * n * 8               # what one dense (K, m, N) array would take: 256 MiB
    assert peaks[1] < 48 * 2**20 < dense
    assert peaks[1] < 3 * peaks[0] + 8 * 2**20


def test_activation_forms_agree(example2_arrays):
    x, y, v, w = example2_arrays
    d = 1e-4 * _directions(8, 1, seed=9)
    a = delta_losses("swish", x, y, v, w, d[:, :1], d[:, 1:])
    b = delta_losses("t/(1 + exp(-t))", x, y, v, w, d[:, :1], d[:, 1:])
    c = delta_losses(as_activation("swish"), x, y, v, w, d[:, :1], d[:, 1:])
    assert np.array_equal(a, b) and np.array_equal(a, c)


def test_empty_batch():
    out = delta_losses("swish", EXAMPLE2_X, (0, 0, 0), [1.0], [1.0], np.zeros((0, 1)), np.zeros((0, 1)))
    assert out.shape == (0,)


# ------------------------------------------------------------------ errors --

@pytest.mark.parametrize("kwargs,match", [
    ({"v": [1.0, 2.0]}, "v has 2 entries and w 1"),
    ({"y": [0.0, 0.0]}, "y has 2 and x 3"),
    ({"dv": [[0.0, 0.0]]}, r"dv and dw must both have shape \(K, 1\)"),
    ({"dw": np.zeros((2, 1))}, r"got \(1, 1\) and \(2, 1\)"),
    ({"dw": [[np.nan]]}, "dw has a NaN or infinite entry"),
    ({"x": [[[0.1]]]}, None),
    ({"dv": np.zeros((1, 1, 1))}, "dv must have 2 dimension"),
    ({"dv": "abc"}, "dv='abc' must be an array of numbers"),
    ({"workers": 0}, "workers=0 must be a positive integer"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = {"activation": "swish", "x": EXAMPLE2_X, "y": (0.0, 0.0, 0.0), "v": [1.0], "w": [1.0],
            "dv": [[0.0]], "dw": [[0.0]]}
    workers = kwargs.pop("workers", None)
    args.update(kwargs)
    with pytest.raises(InvalidArgument, match=match or "v has 1 entries and w 1; y has 3 and x 1"):
        delta_losses(**args, workers=workers)


# --------------------------------------------------------------- benchmark --

def test_benchmark_quick_mode_runs(tmp_path):
    """The benchmark's one command works (tiny sizes); its figures are not asserted on timing."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        import bench_sampling
    finally:
        sys.path.pop(0)
    res = bench_sampling.main(["--quick", "--log2k", "6", "--max-elements", "65536", "--out", str(tmp_path / "s")])
    assert (tmp_path / "s.json").exists() and (tmp_path / "s.md").exists()
    assert {(r["activation"], r["m"], r["N"]) for r in res["speed"]} == {
        (a, m, n) for a in ("swish", "tanh") for m, n in ((1, 3), (8, 64), (64, 1024))}
    assert all(r["kernel vs plain, max |difference| / max |ΔE|"] < 1e-8 for r in res["speed"])
    acc = {r["radius"]: r for r in res["accuracy"]}
    assert all(acc[r]["kernel max relative error"] < 1e-2 and acc[r]["kernel all positive"] for r in acc)
    assert acc[1e-8]["subtraction zero or negative"] > 0
