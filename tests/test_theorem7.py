"""Theorem 7 (piecewise-linear σ) and the exact analysis of the pieces meeting at a point."""

from fractions import Fraction as F

import numpy as np
import pytest

from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable
from basins.verification.pieces import NOT_MINIMUM, STRICT, analyse_pieces, exact_point, on_nonsmooth_point
from basins.constructions.theorem7 import activation_shape, check_data, construct_theorem7, default_x
from basins.verification.verify import verify_case

RADII = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)


def relu_shift(c, s=1):
    """max(0, s·(t − c)) evaluated exactly, for the independent oracle below."""
    return lambda t: max(F(0), s * (t - c))


@pytest.mark.parametrize("text, t0, a, delta", [
    ("Max(0, t - 1)", F(1), F(1), None),
    ("Max(0, t - 1) - Max(0, t - 3)", F(1), F(1), F(2)),
    ("Min(0, t + 2)", F(-2), F(-1), None),
    ("-Max(0, t - 1/2)", F(1, 2), F(-1), None),
    ("Max(0, -t - 1) - Max(0, -t - 4)", F(-1), F(1), F(3)),
    ("Max(0, t - 2) + Max(0, -t - 1)", F(-1), F(1), None),   # the nearer breakpoint wins
], ids=["shifted-relu", "ramp", "t0<0,a<0", "t0>0,a<0", "t0<0,a>0", "two-sided"])
def test_shape(text, t0, a, delta):
    shape = activation_shape(text)
    assert (shape.t0, shape.a, shape.delta) == (t0, a, delta)


def test_canonical_case_by_hand():
    """σ = max(0, t − 1), m = 1, x = (2, 3/2, 1): w = u_3 = 1, ŷ = (1, 1/2, 0), y = ŷ − M e_3."""
    case = construct_theorem7("Max(0, t - 1)", x=[2, "3/2", 1], width=1, M=20)
    ex = case.details["exact"]
    assert ex["w"] == ["1"] and ex["v"] == ["1"]
    assert ex["y"] == ["1", "1/2", "-20"]
    assert ex["loss"] == "400" and case.loss == 400.0
    # witness (66)-(70) recomputed by hand: w* = (u_3 + u_4)/2 with u_4 = u_{N+1} = 2·u_3 (δ = ∞) → 3/2
    sig = relu_shift(F(1))
    ws = F(3, 2)
    s = [sig(ws * xn) for xn in (F(2), F(3, 2), F(1))]
    alpha = s[2] / sum(si * si for si in s)
    assert ex["witness"]["w"] == ["3/2"] and F(ex["witness"]["v"][0]) == -alpha * 20
    yhat = [F(1), F(1, 2), F(0)]
    y = [F(1), F(1, 2), F(-20)]
    wit = sum((-alpha * 20 * si - yi) ** 2 for si, yi in zip(s, y))
    assert F(ex["witness"]["loss"]) == wit < 400
    assert yhat[2] == 0


@pytest.mark.parametrize("text, m", [
    ("Max(0, t - 1)", 1),
    ("Max(0, t - 1) - Max(0, t - 3)", 2),
    ("Min(0, t + 2)", 2),
    ("-Max(0, t - 1/2)", 2),
    ("Max(0, -t - 1) - Max(0, -t - 4)", 3),
], ids=["t0>0,a>0", "ramp m=2", "t0<0,a<0", "t0>0,a<0", "t0<0,a>0 m=3"])
def test_four_sign_cases_verify(text, m):
    case = construct_theorem7(text, width=m)
    shape = activation_shape(text)
    x, y, v, w = case.arrays()
    # signs of the four cases: w has the sign of t_0, v the sign of a
    assert np.all(np.sign(w) == (1 if shape.t0 > 0 else -1))
    assert np.all(v == (1.0 if shape.a > 0 else -1.0))
    # pattern 2i: z_i = σ(w_i x) has exactly its first 2i entries non-zero, in exact arithmetic
    X = [F(a) for a in case.details["exact"]["x"]]
    W = [F(a) for a in case.details["exact"]["w"]]
    from basins.activations import as_activation
    pl = as_activation(text).piecewise_linear
    bps = [F(str(b)) for b in pl.breakpoints]
    pcs = [(F(str(s)), F(str(c))) for s, c in pl.pieces]

    def sigma(t):
        k = sum(1 for b in bps if t >= b)
        return pcs[k][0] * t + pcs[k][1]

    for i, wi in enumerate(W):
        z = [sigma(wi * xn) for xn in X]
        assert all(zn != 0 for zn in z[: 2 * (i + 1)]) and all(zn == 0 for zn in z[2 * (i + 1):])
    ver = verify_case(case, samples=300, radii=RADII)
    assert ver.passed, ver.to_dict()
    assert [c.name for c in ver.checks] == ["loss", "pieces", "witness", "sampling"]
    assert case.loss == float(F(case.details["exact"]["M"]) ** 2)


def test_generated_data_satisfies_the_hypotheses():
    shape = activation_shape("Max(0, t - 1) - Max(0, t - 3/2)")   # δ/t_0 = 1/2: x_1/x_N < 3/2
    x = default_x(shape, 9)
    assert all(a > b > 0 for a, b in zip(x, x[1:]))
    assert x[0] / x[-1] < F(3, 2)
    assert all(float(a) == a for a in x)  # dyadic: the stored floats are exact


@pytest.mark.parametrize("x, m, hyp", [
    ([2, 1.5], 1, "N ≥ 3"),
    ([2, 1.5, 1, 0.75], 2, "2m + 1 ≤ N"),
    ([2, 1.5, -1], 1, "x positive"),
    ([2, 1, 1.5], 1, "x strictly decreasing"),
    ([4, 2, 1], 1, "ratio"),
])
def test_data_refused(x, m, hyp):
    with pytest.raises(HypothesisFailed, match=hyp.replace("+", r"\+")) as exc:
        construct_theorem7("Max(0, t - 1) - Max(0, t - 3)", x=x, width=m)
    assert exc.value.hypothesis == hyp
    shape = activation_shape("Max(0, t - 1) - Max(0, t - 3)")
    with pytest.raises(HypothesisFailed):
        check_data(shape, x, m)


@pytest.mark.parametrize("text, err, hyp", [
    ("softplus", NotApplicable, "piecewise linear"),
    ("relu", NotApplicable, "σ is not positively homogeneous"),
    ("Max(0, t - 1) + 1", HypothesisFailed, "σ(0) = σ′(0) = 0"),
    ("Max(0, t - 1) + t/2", HypothesisFailed, "σ(0) = σ′(0) = 0"),
    ("Max(0, t) + Max(0, t - 1)", HypothesisFailed, "σ(0) = σ′(0) = 0"),
    ("Max(0, t - sqrt(2))", HypothesisFailed, "rational σ"),
])
def test_activation_refused(text, err, hyp):
    with pytest.raises(err, match="Theorem") as exc:
        construct_theorem7(text)
    assert exc.value.hypothesis == hyp


def test_M_below_threshold_refused():
    with pytest.raises(NotApplicable, match="M_threshold") as exc:
        construct_theorem7("Max(0, t - 1)", width=1, M=1)
    assert exc.value.hypothesis == "M > M_threshold"


def test_bad_arguments():
    with pytest.raises(InvalidArgument, match="w="):
        construct_theorem7("Max(0, t - 1)", w=[1.0])
    with pytest.raises(InvalidArgument, match="width=0"):
        construct_theorem7("Max(0, t - 1)", width=0)
    with pytest.raises(InvalidArgument, match="M=-1"):
        construct_theorem7("Max(0, t - 1)", M=-1)
    with pytest.raises(InvalidArgument, match="does not take"):
        construct_theorem7("Max(0, t - 1)", w0=1.0)
    with pytest.raises(InvalidArgument, match="N=0"):
        construct_theorem7("Max(0, t - 1)", N=0)
    with pytest.raises(InvalidArgument, match="x='1,2'"):
        construct_theorem7("Max(0, t - 1)", x="1,2")


# ---- the exact analysis against deliberately broken points --------------------------------

def test_pieces_strict_on_the_construction():
    res = analyse_pieces("Max(0, t - 1)", [2, "3/2", 1], [1, "1/2", -10], [1], [1])
    assert res.status == STRICT and res.pieces == 2 and res.loss == 100
    assert res.on_breakpoint == ((0, 2, F(1)),)


def test_pieces_detects_descent():
    # target above ŷ on sample 3 (residual −10): moving w up lowers the loss — not a minimum
    res = analyse_pieces("Max(0, t - 1)", [2, "3/2", 1], [1, "1/2", 10], [1], [1])
    assert res.status == NOT_MINIMUM
    # a residual on a sample already active: ∂E/∂v ≠ 0
    res = analyse_pieces("Max(0, t - 1)", [2, "3/2", 1], [2, "1/2", -10], [1], [1])
    assert res.status == NOT_MINIMUM


def test_pieces_too_many_is_undecided():
    from basins.verification.pieces import UNDECIDED
    res = analyse_pieces("Max(0, t - 1) - Max(0, t - 3)", [2, "7/4", "3/2", "5/4", 1],
                         ["4/3", "11/12", "1/2", "1/4", -72], [1, 1], ["2/3", 1], max_pieces=2)
    assert res.status == UNDECIDED and "max_pieces=2" in res.reason


def test_pieces_refusals():
    with pytest.raises(NotApplicable, match="not piecewise linear"):
        analyse_pieces("softplus", [1, 2, 3], [0, 0, 0], [1], [1])
    with pytest.raises(InvalidArgument, match="inconsistent"):
        analyse_pieces("Max(0, t - 1)", [1, 2, 3], [0, 0], [1], [1])
    with pytest.raises(InvalidArgument, match="not a rational"):
        analyse_pieces("Max(0, t - 1)", [1, 2, "x"], [0, 0, 0], [1], [1])
    with pytest.raises(InvalidArgument, match="must be a sequence"):
        analyse_pieces("Max(0, t - 1)", 3, [0, 0, 0], [1], [1])


def test_exact_point_must_match_the_floats():
    case = construct_theorem7("Max(0, t - 1) - Max(0, t - 3)", width=2)
    assert on_nonsmooth_point(case)
    X, Y, V, W, source = exact_point(case)
    assert W == [F(2, 3), F(1)] and "details.exact" in source
    bad = dict(case.details)
    bad["exact"] = {**bad["exact"], "w": ["3/4", "1"]}
    with pytest.raises(InvalidArgument, match="within one ulp"):
        exact_point(case.with_(details=bad))
    ver = verify_case(case.with_(details=bad), samples=50, radii=(1e-3,))
    assert not ver.passed and "pieces" in ver.failed


def test_case_roundtrip_verifies_from_file(tmp_path):
    case = construct_theorem7("Min(0, t + 2)", width=2)
    path = tmp_path / "t7.json"
    case.save(path)
    from basins.io.case import load_case
    back = load_case(path)
    ver = verify_case(back, samples=100, radii=RADII)
    assert ver.passed
    assert ver.figures["pieces"]["status"] == STRICT


def test_generated_powers_of_two_make_the_float_point_exact():
    case = construct_theorem7("Max(0, t - 1)", width=3)
    ex = case.details["exact"]
    assert ex["x"] == ["8", "6", "4", "3", "2", "3/2", "1"] and ex["w"] == ["1/4", "1/2", "1"]
    for key in ("x", "y", "v", "w"):
        assert [F(a) for a in ex[key]] == [F(a) for a in getattr(case, key)]
    # the float point itself (no details.exact) is then a strict local minimum, exactly
    x, y, v, w = case.arrays()
    assert analyse_pieces(case.activation, x, y, v, w).status == STRICT


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None, derandomize=True)
@given(m=st.integers(1, 3), extra=st.integers(0, 2),
       gaps=st.lists(st.integers(1, 20), min_size=8, max_size=8))
def test_random_rational_data_give_strict_minima(m, extra, gaps):
    """Any positive, strictly decreasing x with x_1/x_N < 3 works for the ramp (t_0 = 1, δ = 2)."""
    N = 2 * m + 1 + extra
    steps = [F(g, 100) for g in gaps[: N - 1]]
    x = [1 + sum(steps[k:], F(0)) for k in range(N - 1)] + [F(1)]
    if x[0] >= 3:                                                        # keep x_1/x_N < 3
        c = F(19, 10) / (x[0] - 1)
        x = [1 + (a - 1) * c for a in x]
    assert x[0] / x[-1] < 3
    case = construct_theorem7("Max(0, t - 1) - Max(0, t - 3)", x=x, width=m)
    assert case.details["pieces"]["status"] == STRICT
    assert case.witness.loss < case.loss
