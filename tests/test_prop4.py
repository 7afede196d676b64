"""Proposition 4: the paper's Example 2, the construction's identities, every refusal."""

import mpmath
import numpy as np
import pytest

from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable
from basins.model.network import features, hessian, jacobian, loss, output
from basins.constructions.prop4 import analyse_point, construct_prop4

X6 = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


def test_example2_reproduces_the_paper(example2):
    # Li, Ding & Sun, Example 2: a ≈ (1, 0.0294, −0.0365), y ≈ (−99.9475, −1.1766, 6.5060)
    assert [round(a, 4) for a in example2.details["a"]] == [1.0, 0.0294, -0.0365]
    assert [round(y, 4) for y in example2.y] == [-99.9475, -1.1766, 6.5060]
    assert example2.v == (1.0,) and example2.w == (1.0,)


def test_example2_a_equals_independent_cross_product(example2):
    # N = 3, m = 1: S⊥ is spanned by z × z′, computed here at 40 digits from the closed forms
    with mpmath.workdps(40):
        x = [mpmath.mpf(v) for v in (0.1, 2.0, 3.0)]
        s = [1 / (1 + mpmath.exp(-t)) for t in x]
        z = [t * si for t, si in zip(x, s)]
        z1 = [t * (si + t * si * (1 - si)) for t, si in zip(x, s)]
        c = [z[1] * z1[2] - z[2] * z1[1], z[2] * z1[0] - z[0] * z1[2], z[0] * z1[1] - z[1] * z1[0]]
        big = max(c, key=abs)
        a = [float(ci / big) for ci in c]
    assert np.allclose(example2.details["a"], a, rtol=0, atol=1e-13)


def test_loss_is_M_squared_norm_a_squared(example2):
    a = np.array(example2.details["a"])
    assert example2.loss == pytest.approx(100.0**2 * a @ a, rel=1e-12)


@pytest.mark.parametrize("act", ["softplus", "gelu", "sin", "tanh", "exp", "sigmoid"])
def test_hessian_is_the_closed_form_of_the_proof(act):
    case = construct_prop4(act, X6, width=2)
    x, y, v, w = case.arrays()
    a, M = np.array(case.details["a"]), case.details["M"]
    _, _, z2 = features(act, x, w)
    J = jacobian(act, x, v, w)
    expected = 2 * J.T @ J
    expected[2:, 2:] += np.diag(2 * M * v * (z2 @ a))
    assert np.allclose(hessian(act, x, y, v, w), expected, rtol=1e-9, atol=1e-9)
    assert np.all(v * (z2 @ a) > 0)                       # the signs are matched
    assert np.linalg.eigvalsh(expected).min() > 0         # positive definite
    z, z1, _ = features(act, x, w)
    assert np.abs(np.vstack([z, z1]) @ a).max() < 1e-10 * np.abs(a).max() * np.abs(z).max()  # a ⟂ S
    assert case.witness.loss < case.loss


def test_threshold_is_where_the_paper_witness_becomes_lower(example2):
    # The witness family w̃ = w_0, ṽ = (y·z_0)/|z_0|²: its loss minus E changes sign at M_threshold.
    x = np.array(example2.x)
    info = example2.details["witness"]
    w0, Mt = info["w0"], info["M_threshold"]
    yhat = output("swish", x, [1.0], [1.0])
    a = np.array(example2.details["a"])
    z0 = features("swish", x, [w0])[0][0]

    def gap(M):
        y = yhat - M * a
        return (y @ y - (y @ z0) ** 2 / (z0 @ z0)) - M**2 * (a @ a)

    assert gap(Mt * 0.99) > 0 > gap(Mt * 1.01)


def test_given_v_signs_are_matched():
    case = construct_prop4("gelu", X6, w=[0.7, -1.2], v=[2.0, -0.5])
    _, _, z2 = features("gelu", np.array(X6), np.array(case.w))
    assert np.all(np.sign(z2 @ np.array(case.details["a"])) == [1, -1])
    assert case.v == (2.0, -0.5)


def test_search_is_deterministic_and_seeded():
    a = construct_prop4("softplus", X6, width=2, seed=3)
    b = construct_prop4("softplus", X6, width=2, seed=3)
    c = construct_prop4("softplus", X6, width=2, seed=4)
    assert a.w == b.w and a.y == b.y
    assert a.w != c.w


def test_sign_matching_infeasible_is_refused():
    # N = 5, m = 2: S⊥ is 1-dimensional, so a is fixed up to sign; find w where the free signs differ
    x = (0.5, 1.0, 1.5, 2.0, 2.5)
    rng = np.random.default_rng(0)
    for _ in range(200):
        w = rng.normal(0, 1.2, 2)
        an = analyse_point("softplus", x, w)
        if an.a is not None and an.signs[0] != an.signs[1]:
            break
    else:  # pragma: no cover
        pytest.fail("no w with opposite free signs found")
    with pytest.raises(HypothesisFailed, match="signs fails"):
        construct_prop4("softplus", x, w=w, v=[1.0, 1.0])


def test_M_below_threshold_without_any_lower_point_is_refused():
    with pytest.raises(NotApplicable, match="not above the sub-optimality threshold"):
        construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0], M=1e-6)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(x=(1.0, 1.0, 2.0)), NotApplicable, "x=.* has a repeated entry"),
    (dict(x=(1.0, float("nan"), 2.0)), InvalidArgument, "x=.* NaN or infinite"),
    (dict(x=(1.0, 2.0, 3.0), w=[1.0, float("inf")]), InvalidArgument, "w=.* NaN or infinite"),
    (dict(x=(1.0, 2.0, 3.0), width=3), NotApplicable, "width=3 is not below .* N=3.*Theorem 2"),
    (dict(x=(1.0, 2.0, 3.0), w=[1.0, 2.0], width=3), InvalidArgument, "widths disagree"),
    (dict(M=-1.0), InvalidArgument, "M=-1.0 must be a positive"),
    (dict(M=float("inf")), InvalidArgument, "M=inf must be a positive finite"),
    (dict(w=[1.0], v=[0.0]), HypothesisFailed, "signs fails.*zero entry"),
    (dict(x=X6, w=[0.5, 0.5]), HypothesisFailed, "condition 1 fails.*repeated"),
    (dict(x=X6, w=[0.5, 1.0], w0=0.5), HypothesisFailed, "condition 3 fails"),
    (dict(trials=0), InvalidArgument, "trials=0"),
    (dict(seed=-1), InvalidArgument, "seed=-1"),
], ids=["repeated-x", "nan-x", "inf-w", "wide", "width-mismatch", "negative-M", "inf-M",
        "zero-v", "repeated-w", "w0-in-S", "trials", "seed"])
def test_bad_input_is_refused_with_a_named_hypothesis(kwargs, error, match):
    kw = dict(x=(0.1, 2.0, 3.0))
    kw.update(kwargs)
    with pytest.raises(error, match=match):
        construct_prop4("swish", **kw)


def test_positively_homogeneous_refused_citing_theorem_5():
    with pytest.raises(NotApplicable, match="positively homogeneous.*Theorem 5") as info:
        construct_prop4("relu", (0.1, 2.0, 3.0))
    assert info.value.theorem == "Theorem 5"


def test_piecewise_linear_refused_pointing_to_theorem_7():
    with pytest.raises(NotApplicable, match="piecewise linear.*condition 2.*Theorem 7"):
        construct_prop4("shifted_relu", (0.1, 2.0, 3.0))


def test_not_c2_at_a_pre_activation_is_refused():
    # σ″ jumps from 0 to 2 at t = 1, and w x_2 = 1 sits there
    with pytest.raises(NotApplicable, match="not C² at t = 1") as info:
        construct_prop4("Piecewise((t**2, t > 1), (2*t - 1, True))", (0.5, 1.0, 2.0), w=[1.0])
    assert info.value.hypothesis == "C2"


def test_elu_away_from_its_kink_is_accepted():
    case = construct_prop4("elu", X6, width=2)
    assert all(abs(wi * xj) > 1e-3 for wi in case.w for xj in case.x)
    assert case.witness.loss < case.loss


def test_condition_2_fails_for_the_square():
    # σ = t²: z″ = 2x∘x is parallel to z′ = 2w x∘x, so z″ ∈ S
    with pytest.raises(HypothesisFailed, match="condition 2 fails"):
        construct_prop4("quadratic", (0.5, 1.0, 2.0), w=[1.0])


def test_search_fails_when_the_conditions_have_no_room():
    # N = 4, m = 2: dim S = 4 = N leaves no a
    with pytest.raises(HypothesisFailed, match="no w among"):
        construct_prop4("swish", (0.5, 1.0, 2.0, 3.0), width=2, trials=4)


def test_witness_loss_is_recomputed_independently(example2):
    x, y, _, _ = example2.arrays()
    assert loss("swish", x, y, example2.witness.v, example2.witness.w) == pytest.approx(example2.witness.loss)


def test_search_failure_names_the_condition_that_failed():
    # σ = t²: z″ ∝ z′ at every w, so every candidate fails condition 2 (decided at higher precision too)
    with pytest.raises(HypothesisFailed, match=r"condition 2 fails at \d+ digits") as info:
        construct_prop4("quadratic", (0.5, 1.0, 2.0), width=1, trials=8)
    assert info.value.hypothesis == "condition 2"
