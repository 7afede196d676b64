"""Tests of basins.landscape.barrier: constructed basins come out blocked, other points get paths."""

import numpy as np
import pytest

from basins.model import network
from basins.landscape.barrier import check_strictly_decreasing, path_losses, search_path
from basins.io.case import Case
from basins.errors import InvalidArgument
from basins.constructions.prop4 import construct_prop4
from basins.landscape.pt import PTPath


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
    ("basins.constructions.theorem6", "construct_theorem6", "softplus"),
    ("basins.constructions.theorem7", "construct_theorem7", "shifted_relu"),
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
    from basins.constructions.choose import CONSTRUCTIONS
    return sorted(CONSTRUCTIONS)


@pytest.mark.parametrize("key", _registered())
def test_every_registered_construction_comes_out_blocked(key):
    # whatever Proposition 4 / Theorems 4, 6, 7 register: their default case must be blocked
    from basins.constructions.choose import CONSTRUCTIONS
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


@pytest.fixture(scope="module")
def barrier_record(example2):
    import json
    r = search_path(example2, iterations=100)
    assert r.kind == "barrier" and r.barrier > 0
    return json.loads(r.to_json())


def _fresh(record):
    import json
    return json.loads(json.dumps(record))


def test_check_path_on_a_barrier_record(barrier_record):
    from basins.landscape.paths import check_path
    d = _fresh(barrier_record)
    res = check_path(d)
    assert res["ok"] is True and res["kind"] == "barrier"
    for name in ("losses reproduce", "stored maximum agrees", "barrier = max − start", "λ of the maximum agrees"):
        assert res["checks"][name] is True
    d["barrier"]["value"] *= 0.5          # a claimed barrier lower than the path's rise
    res = check_path(d)
    assert res["ok"] is False and res["checks"]["barrier = max − start"] is False


def _edit_loss_inside_a_segment(d):
    # a dense sample strictly inside a segment (not a vertex), the middle of the path
    k = len(d["losses"]) // 2 + 3
    d["losses"][k] += 1e-6 * abs(d["losses"][k])


def _edit_top(d):
    d["barrier"]["max_loss"] -= 1e-6 * d["barrier"]["max_loss"]


@pytest.mark.parametrize("edit,failing", [
    (_edit_loss_inside_a_segment, "losses reproduce"),
    (lambda d: d["losses"].__setitem__(0, d["losses"][0] * (1 + 1e-7)), "losses reproduce"),
    (_edit_top, "stored maximum agrees"),
    (lambda d: d["barrier"].__setitem__("value", d["barrier"]["value"] * (1 + 1e-6)), "barrier = max − start"),
    (lambda d: d.__setitem__("start_loss", d["start_loss"] * (1 + 1e-7)), "start loss reproduces"),
    (lambda d: d.__setitem__("end_loss", d["end_loss"] * (1 + 1e-7)), "end loss reproduces"),
    (lambda d: d["barrier"].__setitem__("at", 0.0), "λ of the maximum agrees"),
], ids=["dense loss", "first loss", "max_loss", "barrier value", "start_loss", "end_loss", "at"])
def test_check_path_rejects_edited_barrier_records(barrier_record, edit, failing):
    from basins.landscape.paths import check_path
    d = _fresh(barrier_record)
    edit(d)
    res = check_path(d)
    assert res["ok"] is False and res["checks"][failing] is False


def test_check_path_barrier_losses_follow_the_arc_length(barrier_record):
    # the losses, shifted by one sample along the polyline, no longer match their λ
    from basins.landscape.paths import check_path
    d = _fresh(barrier_record)
    d["losses"] = d["losses"][1:] + d["losses"][-1:]
    assert check_path(d)["checks"]["losses reproduce"] is False


def test_at_arc_length_inverts_densify():
    from basins.landscape.barrier import _densify, at_arc_length
    rng = np.random.default_rng(2)
    P = np.cumsum(rng.standard_normal((7, 4)), axis=0)
    P = np.vstack([P[:3], P[2:3], P[3:]])     # a zero-length segment, too
    D, lam = _densify(P, 5)
    np.testing.assert_allclose(at_arc_length(P, lam), D, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(at_arc_length(P, np.array([0.0]))[0], P[0])


def _descent_record(example2, points, per_segment=16):
    """An honest ``descent`` record through ``points`` (losses recomputed at the dense samples)."""
    from basins.landscape.barrier import PathSearch, _densify
    x, y, v, w = example2.arrays()
    D, lam = _densify(points, per_segment)
    E = np.array([network.loss(example2.activation, x, y, p[:1], p[1:]) for p in D])
    r = PathSearch("path", "descent", example2.activation, x, y, example2.loss, points[0], float(E[0]), 1e-4,
                   points, lam, E, None, float(E[-1]), bool(np.all(np.diff(E) < 0)), {})
    return _fresh(r.to_dict())


def test_check_path_descent_record(example2):
    from basins.landscape.paths import check_path
    x, y, v, w = example2.arrays()
    case = example2.with_(v=(0.0,), w=(0.3,), loss=network.loss("swish", x, y, [0.0], [0.3]))
    r = search_path(case)
    assert r.kind == "descent"
    d = _fresh(r.to_dict())
    res = check_path(d)
    assert res["ok"] is True and res["checks"]["strictly decreasing at the dense samples"] is True
    d["losses"][len(d["losses"]) // 2] *= 1 + 1e-6
    assert check_path(d)["checks"]["losses reproduce"] is False


def test_check_path_descent_must_decrease_between_the_vertices(example2):
    # two vertices with E falling from the basin to the witness, but the chord crosses the barrier:
    # decreasing at the points, not along the path
    from basins.landscape.paths import check_path
    x, y, v, w = example2.arrays()
    theta = np.concatenate([v, w])
    wit = np.concatenate([example2.witness.v, example2.witness.w])
    d = _descent_record(example2, np.vstack([theta, wit]))
    assert d["losses"][-1] < d["losses"][0] < max(d["losses"])
    res = check_path(d)
    assert res["checks"]["losses reproduce"] is True
    assert res["checks"]["strictly decreasing at the points"] is True
    assert res["ok"] is False and res["checks"]["strictly decreasing at the dense samples"] is False
