"""Tests of basins.barrier: constructed basins come out blocked, other points get paths."""

import numpy as np
import pytest

from basins import network
from basins.barrier import check_strictly_decreasing, path_losses, search_path
from basins.case import Case
from basins.errors import InvalidArgument
from basins.prop4 import construct_prop4
from basins.pt import PTPath


@pytest.fixture(scope="module")
def example2():
    # the paper's Example 2: swish, x = (0.1, 2, 3), w = v = 1, M = 100
    return construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0], M=100)


def _check_blocked(case, result):
    assert result.status == "blocked"
    assert result.barrier > 0
    x, y, v, w = case.arrays()
    # the path starts at the perturbed point and ends at the witness
    theta = np.concatenate([v, w])
    assert np.linalg.norm(result.points[0] - theta) == pytest.approx(result.perturbation, rel=1e-9)
    wit = np.concatenate([case.witness.v, case.witness.w])
    np.testing.assert_array_equal(result.points[-1], wit)
    # independent: float64 losses at the vertices agree with the reported ones
    m = v.size
    for P in result.points[:: max(1, len(result.points) // 5)]:
        E = network.loss(case.activation, x, y, P[:m], P[m:])
        k = int(np.argmin(np.linalg.norm(result.points - P, axis=1)))
        assert E == pytest.approx(result.losses[k * (len(result.losses) - 1) // (len(result.points) - 1)],
                                  rel=1e-9)
    # the barrier is attained on the path: max loss − start loss
    assert result.max_loss - result.start_loss == pytest.approx(result.barrier, rel=1e-6)
    d = result.to_dict()
    assert d["schema"] == "basins.path/1" and d["status"] == "blocked" and d["barrier"]["value"] > 0


def test_example2_is_blocked(example2):
    r = search_path(example2, iterations=150, seed=1)
    _check_blocked(example2, r)
    # the descent from the perturbed point falls back to the basin's loss, not below
    assert r.descent_end_loss >= example2.loss - 1e-8 * example2.loss


@pytest.mark.parametrize("module,fn,act", [
    ("basins.theorem6", "construct_theorem6", "softplus"),
    ("basins.theorem7", "construct_theorem7", "shifted_relu"),
])
def test_theorem_cases_are_blocked(module, fn, act):
    mod = pytest.importorskip(module)
    case = getattr(mod, fn)(act)
    _check_blocked(case, search_path(case, iterations=150))


def test_a_non_minimum_gets_a_descent_path(example2):
    # move the point far from the basin: E can then fall below E(point)
    x, y, v, w = example2.arrays()
    case = example2.with_(v=(0.0,), w=(0.3,), loss=network.loss("swish", x, y, [0.0], [0.3]))
    r = search_path(case)
    assert r.status == "path" and r.kind == "descent"
    assert check_strictly_decreasing(r.losses)
    assert r.end_loss < case.loss
    # independent: recompute the end loss in float64
    P = r.points[-1]
    assert network.loss("swish", x, y, P[:1], P[1:]) == pytest.approx(r.end_loss, rel=1e-9)


def test_wide_case_gets_the_theorem2_path():
    x = np.array([0.5, -1.0, 2.0])
    y = np.array([1.0, 0.0, -1.0])
    v, w = np.array([0.3, -0.2, 0.5]), np.array([0.7, -1.1, 0.4])
    case = Case(activation=network.as_activation("tanh"), x=tuple(x), y=tuple(y), v=tuple(v), w=tuple(w),
                theorem="none", loss=network.loss("tanh", x, y, v, w))
    r = search_path(case)
    assert isinstance(r, PTPath) and r.status == "path" and r.end_loss < 1e-20


def test_path_losses_against_direct_difference():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    base = rng.standard_normal(4)
    P = base + 0.5 * rng.standard_normal((3, 4))
    d = path_losses("tanh", x, y, base, P)
    direct = [network.loss("tanh", x, y, p[:2], p[2:]) - network.loss("tanh", x, y, base[:2], base[2:]) for p in P]
    np.testing.assert_allclose(d, direct, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("losses,expected", [
    ([3.0, 2.0, 1.0], True), ([3.0, 3.0, 1.0], False), ([1.0, 2.0], False), ([2.0, 1.0, 1.5], False),
])
def test_check_strictly_decreasing(losses, expected):
    assert check_strictly_decreasing(losses) is expected


def test_errors(example2):
    with pytest.raises(InvalidArgument, match="perturbation=0"):
        search_path(example2, perturbation=0)
    with pytest.raises(InvalidArgument, match="images=2"):
        search_path(example2, images=2)
    with pytest.raises(InvalidArgument, match="no witness"):
        search_path(example2.with_(witness=None), iterations=10)
    with pytest.raises(InvalidArgument, match="at least 2 numbers"):
        check_strictly_decreasing([1.0])


def _registered():
    from basins.construct import CONSTRUCTIONS
    return sorted(CONSTRUCTIONS)


@pytest.mark.parametrize("key", _registered())
def test_every_registered_construction_comes_out_blocked(key):
    # whatever Proposition 4 / Theorems 4, 6, 7 register: their default case must be blocked
    from basins.construct import CONSTRUCTIONS
    from basins.errors import BasinsError
    fn = CONSTRUCTIONS[key][0]
    case = None
    for act in ("swish", "softplus", "shifted_relu", "tanh", None):   # None: Theorem 4 designs σ
        try:
            case = fn(act)
            break
        except (BasinsError, TypeError, ValueError):
            continue
    if case is None:
        pytest.skip(f"construction {key!r} needs arguments beyond an activation")
    if case.m >= case.N:
        pytest.skip("not a narrow case")
    _check_blocked(case, search_path(case, iterations=150))


def test_check_path_on_a_barrier_record(example2):
    import json

    from basins.pt import check_path
    r = search_path(example2, iterations=100)
    d = json.loads(r.to_json())
    assert check_path(d)["ok"] is True
    d["barrier"]["value"] *= 0.5          # a claimed barrier lower than the path's rise
    res = check_path(d)
    assert res["ok"] is False and res["checks"]["barrier = max − start"] is False
