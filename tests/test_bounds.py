"""Tests of basins.oracles.bounds: the value-of-local-minima oracles (SPEC §9).

Known values come from exact arithmetic (sympy), from the paper's Example 2,
or from independent computations (least squares by mpmath's QR or numpy's
lstsq, gradients by backpropagation in basins.model.deep / basins.model.network).
Training uses scipy's L-BFGS-B on seeded data.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import numpy as np
import pytest
import scipy.optimize
import sympy as sp
from click.testing import CliRunner

from basins.model import deep
from basins.oracles.bounds import (
    DEFAULT_RTOL,
    HYPOTHESES,
    assert_value_identity,
    case_value_identity,
    check_value_identity,
    deep_d_blocks,
    deep_theorem1,
    deep_value_identity,
    gradient_basis_value,
    gram_schmidt_value,
    network_value_identity,
    rank_tolerance,
    resnet_value,
)
from basins.io.case import load_case
from basins.cli import main
from basins.errors import (
    HypothesisFailed,
    InvalidArgument,
    NotApplicable,
    VerificationFailed,
)
from basins.model.network import gradient as net_gradient
from basins.constructions.prop4 import construct_prop4
from basins.model.resnet import (
    ResNetParams,
    random_resnet,
    resnet_gradient,
    resnet_loss,
    resnet_residual_features,
)

# ------------------------------------------------------------ helpers --

def _lbfgs(f, g, theta0: np.ndarray, rounds: int = 2, maxcor: int = 30, gtol: float = 1e-12) -> np.ndarray:
    theta = np.asarray(theta0, dtype=float)
    for _ in range(rounds):
        res = scipy.optimize.minimize(f, theta, jac=g, method="L-BFGS-B",
                                      options=dict(maxiter=3000, gtol=gtol, ftol=0.0, maxcor=maxcor))
        theta = res.x
    return theta


def _deep_data(seed: int, N: int, bias: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if bias:
        x = rng.uniform(-2, 2, N)
        return np.vstack([x, np.ones(N)]), (np.sin(2 * x) + 0.1 * rng.standard_normal(N))[None, :]
    X = rng.uniform(-2, 2, (1, N))
    return X, np.sin(3 * X) + 0.1 * rng.standard_normal((1, N))


def _train_deep(widths: list[int], act: str, seed: int, N: int, bias: bool, rounds: int = 2,
                maxcor: int = 30, gtol: float = 1e-12):
    X, Y = _deep_data(seed, N, bias)
    net = deep.deep_network(widths, act)
    f = lambda th: deep.loss(net, deep.unpack(net, th), X, Y)
    g = lambda th: deep.pack(deep.gradient(net, deep.unpack(net, th), X, Y))
    theta = _lbfgs(f, g, deep.pack(deep.random_weights(net, seed=seed)), rounds, maxcor, gtol)
    return net, deep.unpack(net, theta), X, Y


def _exact_value(J: list[list[int]], y: list[int]) -> sp.Rational:
    """||P_N[J] y||² in exact rational arithmetic: yᵀy − yᵀJ(JᵀJ)⁺Jᵀy via a basis of col J."""
    Jm = sp.Matrix(J)
    B = Jm.columnspace()
    if not B:
        return (sp.Matrix(y).T * sp.Matrix(y))[0]
    Bm = sp.Matrix.hstack(*B)
    yv = sp.Matrix(y)
    proj = Bm * (Bm.T * Bm).inv() * Bm.T * yv
    res = yv - proj
    return (res.T * res)[0]


# --------------------------------------------- the projection itself --

EXACT = [
    ("one column", [[1, 0], [0, 1], [0, 0]], [3, 4, 5]),
    ("identity", [[1, 0], [0, 1]], [3, 4]),
    ("zero matrix", [[0, 0], [0, 0], [0, 0]], [1, 2, 2]),
    ("collinear columns", [[1, 2], [1, 2], [1, 2]], [1, 2, 6]),
    ("wide", [[1, 2, 3], [4, 5, 6]], [1, -1]),
    ("integer 5x3", [[2, -1, 0], [1, 3, 1], [0, 1, -2], [5, 0, 1], [1, 1, 1]], [1, 2, 3, 4, 5]),
]


@pytest.mark.parametrize("J, y", [(j, y) for _, j, y in EXACT], ids=[n for n, _, _ in EXACT])
def test_gradient_basis_value_matches_exact_rational_arithmetic(J: list, y: list) -> None:
    exact = float(_exact_value(J, y))
    assert gradient_basis_value(np.array(J, dtype=float), y) == pytest.approx(exact, rel=1e-13, abs=1e-13)


def test_rank_tolerance_is_the_press_criterion() -> None:
    # ½ · s_max · ε · √(rows + cols + 1), Kawaguchi, Huang & Kaelbling (arXiv:1811.08150), Appendix C
    assert rank_tolerance(4.0, 10, 5) == 0.5 * 4.0 * 2.0 ** -52 * 4.0


def test_value_is_the_minimum_of_the_gradient_basis_model() -> None:
    rng = np.random.default_rng(0)
    J = rng.standard_normal((9, 4))
    y = rng.standard_normal(9)
    alpha = np.linalg.lstsq(J, y, rcond=None)[0]
    assert gradient_basis_value(J, y) == pytest.approx(float(np.sum((y - J @ alpha) ** 2)), rel=1e-12)


# ------------------------------------------------- the user-code check --

def _linear_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((8, 3))
    y = rng.standard_normal(8)
    theta = np.linalg.lstsq(J, y, rcond=None)[0]
    return J, y, theta


def test_check_holds_at_a_least_squares_solution_and_fails_elsewhere() -> None:
    J, y, theta = _linear_problem()
    ok = check_value_identity(J, J @ theta - y, prediction=J @ theta)
    assert ok.holds and ok.status == "holds"
    assert abs(ok.difference) <= 1e-12 * ok.loss
    bad_theta = theta + np.array([1e-3, 0.0, 0.0])
    bad = check_value_identity(J, J @ bad_theta - y, prediction=J @ bad_theta)
    assert not bad.holds and bad.status == "fails"
    # E − V = ||P[J] r||² exactly, and ||∇E|| = 2||Jᵀr|| is bracketed by 2 s ||P[J] r||
    r = J @ bad_theta - y
    true_gnorm = 2 * np.linalg.norm(J.T @ r)
    assert bad.gradient_bounds[0] <= true_gnorm * (1 + 1e-9)
    assert true_gnorm <= bad.gradient_bounds[1] * (1 + 1e-9)
    assert bad.difference == pytest.approx(bad.projected_residual, rel=1e-6)
    assert "not a differentiable critical point" in bad.message


def test_check_accepts_callables_and_needs_theta_for_them() -> None:
    J, y, theta = _linear_problem(1)
    res = check_value_identity(lambda t: J, lambda t: J @ t - y, theta=theta, prediction=lambda t: J @ t)
    assert res.holds
    with pytest.raises(InvalidArgument, match="jacobian is callable, so theta must be given"):
        check_value_identity(lambda t: J, J @ theta - y)


def test_check_without_prediction_assumes_output_in_span() -> None:
    J, y, theta = _linear_problem(2)
    res = check_value_identity(J, J @ theta - y)
    assert res.holds and res.span_defect is None


def test_check_refuses_a_prediction_outside_the_column_space() -> None:
    J, y, theta = _linear_problem(3)
    outside = J @ theta + np.linalg.svd(J, full_matrices=True)[0][:, -1]
    with pytest.raises(HypothesisFailed, match="not in the column space") as info:
        check_value_identity(J, outside - y, prediction=outside)
    assert info.value.hypothesis == "output in span"
    assert "output in span" in HYPOTHESES


@pytest.mark.parametrize("kwargs, match", [
    (dict(jacobian=np.ones((3, 2)), residual=np.ones(4)), "residual has 4 entries but the Jacobian has 3 rows"),
    (dict(jacobian=np.ones((3, 2)), residual=np.ones(3), rtol=-1.0), "rtol=-1.0 must be a finite number"),
    (dict(jacobian=np.ones((3, 2)), residual=np.ones(3), atol=float("nan")), "atol=nan must be"),
    (dict(jacobian=np.full((3, 2), np.nan), residual=np.ones(3)), "jacobian has a NaN"),
    (dict(jacobian=np.ones((2, 2, 2)), residual=np.ones(2)), "expected a 2-D"),
    (dict(jacobian=np.ones((3, 2)), residual=[1.0, np.inf, 0.0]), "residual has a NaN"),
])
def test_check_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        check_value_identity(**kwargs)


def test_assert_helper_raises_on_a_deliberately_broken_point() -> None:
    J, y, theta = _linear_problem(4)
    assert assert_value_identity(J, J @ theta - y, prediction=J @ theta).holds
    broken = theta + 0.01
    with pytest.raises(VerificationFailed, match="value identity fails") as info:
        assert_value_identity(J, J @ broken - y, prediction=J @ broken, model="broken linear model")
    assert info.value.check == "value identity"
    assert "broken linear model" in str(info.value)


# --------------------------------------- cases from Proposition 4 --

def test_example2_value_is_M2_norm_a2_from_the_paper() -> None:
    """Example 2: a = (1.0, 0.0294, −0.0365) printed to 4 decimals, M = 100: E = M²||a||²."""
    case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0], M=100)
    res = case_value_identity(case)
    paper = 100.0 ** 2 * (1.0 + 0.0294 ** 2 + 0.0365 ** 2)
    # 4-decimal rounding of a moves M²||a||² by at most 2·M²·Σ|a_i|·5e-5 ≈ 0.07
    assert abs(res.gradient_basis_value - paper) < 0.07
    assert res.holds


def _mp_least_squares_value(case, dps: int = 50) -> float:
    """min_α ||y − Jα||² by mpmath's QR least squares (an independent method)."""
    from basins.model.network import features_mp

    x, y, v, w = case.arrays()
    with mpmath.workdps(dps):
        z, z1, _ = features_mp(case.activation, x, w)
        vs = [mpmath.mpf(float(a)) for a in v]
        cols = z + [[vi * e for e in zi] for vi, zi in zip(vs, z1)]
        J = mpmath.matrix([[cols[c][j] for c in range(len(cols))] for j in range(len(x))])
        _, res = mpmath.qr_solve(J, mpmath.matrix([mpmath.mpf(float(a)) for a in y]))
        return float(res ** 2)


CASES = [
    ("swish example 2", "swish", dict(x=(0.1, 2, 3), w=[1.0], v=[1.0])),
    ("softplus m=2", "softplus", dict(x=(0.5, 1, 2, 3, 4), width=2)),
    ("gelu m=2", "gelu", dict(x=(0.5, 1, 2, 3, 4), width=2)),
    ("exp m=3", "exp", dict(x=(-1, -0.5, 0.3, 1, 2, 3, 4), width=3)),
    ("sigmoid m=1", "sigmoid", dict(x=(0.1, 2, 3), width=1)),
]


@pytest.mark.parametrize("act, kwargs", [(a, k) for _, a, k in CASES], ids=[n for n, _, _ in CASES])
def test_constructed_cases_satisfy_the_identity(act: str, kwargs: dict) -> None:
    case = construct_prop4(act, **kwargs)
    flt = case_value_identity(case)
    hi = case_value_identity(case, dps=40)
    assert flt.holds and hi.holds
    # SPEC §2: E = M²||a||² at the construction
    expected = case.details["M"] ** 2 * float(np.sum(np.square(case.details["a"])))
    assert flt.loss == pytest.approx(expected, rel=1e-12)
    assert abs(flt.difference) <= DEFAULT_RTOL * flt.loss
    # at 40 digits the difference is the (squared) distance to the exact critical point: tiny
    assert abs(hi.difference) <= 1e-18 * hi.loss
    assert hi.gradient_basis_value == pytest.approx(_mp_least_squares_value(case), rel=1e-13)


def test_theorem6_case_satisfies_the_identity() -> None:
    from basins.constructions.theorem6 import construct_theorem6

    case = construct_theorem6("softplus")
    res = case_value_identity(case)
    hi = case_value_identity(case, dps=30)
    assert res.holds and hi.holds, res.message
    assert abs(hi.difference) <= 1e-20 * hi.loss


def test_a_perturbed_case_is_detected_as_not_critical() -> None:
    case = construct_prop4("softplus", (0.5, 1, 2, 3, 4), width=2)
    x, y, v, w = case.arrays()
    w2 = w + np.array([1e-3, 0.0])
    res = network_value_identity(case.activation, x, y, v, w2)
    assert res.status == "fails"
    g = np.linalg.norm(net_gradient(case.activation, x, y, v, w2))   # independent backprop-free formula
    assert res.gradient_bounds[0] <= g * (1 + 1e-8) and g <= res.gradient_bounds[1] * (1 + 1e-8)
    assert res.difference <= (g / (2 * res.s_min)) ** 2 * (1 + 1e-8) + res.rounding


def test_ill_conditioned_float_verdict_is_undecided_and_digits_decide() -> None:
    # a given w whose sign margin is 1.7e-9 used to give a float64 point that is not critical; the construction
    # now works at the digits the margins need and refuses it, naming them (z″_3 lies in S to within ~1e-70)
    with pytest.raises(HypothesisFailed, match="digits"):
        construct_prop4("tanh", (-1, -0.5, 0.3, 1, 2, 3, 4),
                        w=[0.22284768472385666, 0.31353531345005836, 0.22531777499701225])


def test_kink_points_are_not_differentiable() -> None:
    with pytest.raises(NotApplicable, match="sits on the nonsmooth point") as info:
        network_value_identity("relu", [1.0, 2.0, 3.0], [1.0, 0.0, 1.0], [1.0], [0.0])
    assert info.value.hypothesis == "differentiable"
    # a zero input keeps its pre-activation at 0 for every w: not a kink of E
    res = network_value_identity("relu", [0.0, 2.0, 3.0], [1.0, 0.0, 1.0], [1.0], [0.5])
    assert res.rows == 3


def test_network_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidArgument, match="lengths x=3, y=2"):
        network_value_identity("tanh", [1.0, 2.0, 3.0], [1.0, 2.0], [1.0], [1.0])
    with pytest.raises(InvalidArgument, match="dps=10 must be an integer ≥ 20"):
        network_value_identity("tanh", [1.0, 2.0, 3.0], [1.0, 2.0, 0.0], [1.0], [1.0], dps=10)
    with pytest.raises(InvalidArgument, match="w has a NaN"):
        network_value_identity("tanh", [1.0, 2.0, 3.0], [1.0, 2.0, 0.0], [1.0], [np.nan])


# ------------------------------------------------- deep networks --

DEEP = [
    # (widths, activation, seed, N, bias row, L-BFGS options)
    pytest.param([2, 4, 3, 1], "relu", 1, 16, True, {}, id="relu"),
    pytest.param([2, 4, 3, 1], "leaky_relu", 0, 16, True, {}, id="leaky_relu"),
    pytest.param([2, 4, 3, 1], "abs", 2, 16, True, {}, id="abs"),
    # smooth σ: narrow smooth networks mostly stop where J is nearly rank deficient (s_min ~ 1e-9);
    # this seed reaches a well-conditioned minimum (s_min ~ 1e-4, ||∇E|| ~ 2e-11)
    pytest.param([1, 2, 2, 1], "swish", 2, 12, False, dict(rounds=3, maxcor=50, gtol=1e-13), id="swish",
                 marks=pytest.mark.slow),
]


@pytest.mark.parametrize("widths, act, seed, N, bias, opts", DEEP)
def test_trained_deep_networks_satisfy_theorem1_and_the_projection_form(widths, act, seed, N, bias, opts) -> None:
    net, Ws, X, Y = _train_deep(widths, act, seed, N, bias, **opts)
    f = deep_theorem1(net, Ws, X, Y)
    ident = f.identity
    gnorm = float(np.linalg.norm(deep.pack(deep.gradient(net, Ws, X, Y))))   # backprop, not J
    assert gnorm < 1e-6
    assert ident.holds, ident.message
    # the exact bound E − V ≤ (||∇E||/(2 s_min))², within rounding
    assert ident.difference <= (gnorm / (2 * ident.s_min)) ** 2 + ident.rounding
    # the D blocks of Theorem 1 of arXiv:1811.08150, as written, are the Jacobian's blocks
    assert f.max_block_error <= 1e-12 * max(1.0, ident.s_max)
    # the Gram–Schmidt sum equals the projection form, with the same rank
    assert f.formula_rank == ident.rank
    assert f.formula_value == pytest.approx(f.projection_value, rel=1e-10, abs=1e-12)
    # the paper's L has the factor 1/2
    assert f.paper_value == pytest.approx(f.loss / 2, rel=1e-8, abs=1e-12)
    assert math.fsum(f.terms) == pytest.approx(float(np.sum(Y ** 2)) - f.formula_value, rel=1e-12)
    # a nearby point that is not critical fails, and the bounds bracket the true gradient
    Wp = [W + 1e-3 for W in Ws]
    moved = deep_value_identity(net, Wp, X, Y)
    g2 = float(np.linalg.norm(deep.pack(deep.gradient(net, Wp, X, Y))))
    assert moved.status == "fails"
    assert moved.gradient_bounds[0] <= g2 * (1 + 1e-8) <= moved.gradient_bounds[1] * (1 + 1e-6)


def test_unconverged_training_meets_the_identity_within_the_optimizer_tolerance() -> None:
    # relu, seed 3: L-BFGS stops at ||∇E|| ~ 5e-4; the default rtol says "fails", but the
    # difference stays below the bound (||∇E||/(2 s_min))² that the optimizer's gradient allows
    net, Ws, X, Y = _train_deep([2, 4, 3, 1], "relu", 3, 16, True)
    gnorm = float(np.linalg.norm(deep.pack(deep.gradient(net, Ws, X, Y))))
    ident = deep_value_identity(net, Ws, X, Y)
    bound = (gnorm / (2 * ident.s_min)) ** 2
    assert 0.0 <= ident.difference <= bound + ident.rounding
    assert deep_value_identity(net, Ws, X, Y, atol=bound).holds


def test_d_blocks_match_a_hand_computed_relu_network() -> None:
    # widths (1, 2, 1): D_k^{(1)} = W^{(2)}_k Λ^{1,k} X and D^{(2)} = Φ^{(1)}
    net = deep.deep_network([1, 2, 1], "relu")
    W1, W2 = np.array([[1.0], [-1.0]]), np.array([[2.0, 3.0]])
    X = np.array([[1.0, -2.0, 0.5]])
    blocks = deep_d_blocks(net, [W1, W2], X)
    np.testing.assert_array_equal(blocks[0][0], np.array([[2.0], [0.0], [1.0]]))     # unit 1 active at x > 0
    np.testing.assert_array_equal(blocks[0][1], np.array([[0.0], [-6.0], [0.0]]))    # unit 2 active at x < 0
    np.testing.assert_array_equal(blocks[1][0], np.array([[1.0, 0.0], [0.0, 2.0], [0.5, 0.0]]))


def test_gram_schmidt_rejects_bad_blocks() -> None:
    with pytest.raises(InvalidArgument, match="blocks is empty"):
        gram_schmidt_value([], [1.0])
    with pytest.raises(InvalidArgument, match=r"blocks\[0\] has 2 rows but y has 3 entries"):
        gram_schmidt_value([np.ones((2, 1))], [1.0, 2.0, 3.0])


def test_deep_refuses_kinks_and_bad_arguments() -> None:
    net = deep.deep_network([1, 2, 1], "relu")
    with pytest.raises(NotApplicable, match="layer 1: pre-activation"):
        deep_value_identity(net, [np.array([[0.0], [1.0]]), np.array([[1.0, 1.0]])], [[1.0, 2.0]], [[0.0, 1.0]])
    with pytest.raises(InvalidArgument, match="must be a basins.model.deep.DeepNetwork"):
        deep_value_identity("relu", [], [[1.0]], [[1.0]])
    wide = deep.deep_network([1, 60, 60, 60, 1], "relu")
    with pytest.raises(InvalidArgument, match="MAX_PATHS"):
        deep_d_blocks(wide, deep.random_weights(wide), [[1.0]])


# ------------------------------------------------------------ ResNet --

def _train_resnet(act: str, dims: tuple[int, int, int, int], seed: int, N: int):
    rng = np.random.default_rng(seed)
    d_x, d_z, d_y, depth = dims
    X = rng.standard_normal((N, d_x))
    Y = np.column_stack([np.sin(2 * X[:, 0]) + X[:, 1] ** 2, np.cos(X[:, 0] * X[:, 1])])[:, :d_y]
    f = lambda th: resnet_loss(act, X, Y, ResNetParams.from_flat(th, *dims))
    g = lambda th: resnet_gradient(act, X, Y, ResNetParams.from_flat(th, *dims))
    theta = _lbfgs(f, g, random_resnet(*dims, seed=seed).flat(), rounds=3)
    return ResNetParams.from_flat(theta, *dims), X, Y


RESNETS = [
    pytest.param("relu", (2, 2, 1, 2), 1, 20, id="relu"),
    pytest.param("tanh", (2, 1, 1, 2), 2, 30, id="tanh", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("act, dims, seed, N", RESNETS)
def test_trained_resnets_reach_the_basis_function_value(act, dims, seed, N) -> None:
    p, X, Y = _train_resnet(act, dims, seed, N)
    gnorm = float(np.linalg.norm(resnet_gradient(act, X, Y, p)))
    assert gnorm < 1e-6
    res = resnet_value(act, X, Y, p)
    assert res.holds and res.identity.holds
    # the basis-function value by an independent least-squares solve on [X, Z]
    XZ = np.hstack([X, resnet_residual_features(act, X, p)])
    coef = np.linalg.lstsq(XZ, Y, rcond=None)[0]
    assert res.basis_value == pytest.approx(float(np.sum((Y - XZ @ coef) ** 2)), rel=1e-9)
    # the paper's scale L = E/N, its right-hand side, and Remark 3(i): L ≤ L*_{x}
    assert res.paper_loss == pytest.approx(res.loss / N, rel=1e-15)
    assert res.paper_value == pytest.approx(res.paper_loss, rel=1e-8)
    coef_x = np.linalg.lstsq(X, Y, rcond=None)[0]
    assert res.linear_value == pytest.approx(float(np.sum((Y - X @ coef_x) ** 2)) / N, rel=1e-10)
    assert res.paper_loss <= res.linear_value
    # a point that is not critical: the loss is strictly above the basis value
    moved = ResNetParams(p.W + 1e-2, p.V, p.A)
    bad = resnet_value(act, X, Y, moved)
    assert not bad.holds and bad.difference > 0 and bad.identity.status == "fails"


def test_resnet_assumption_a1_is_checked() -> None:
    p = random_resnet(3, 1, 2, 1, seed=0)
    with pytest.raises(NotApplicable, match=r"d_y=2 > min\(d_x=3, d_z=1\)") as info:
        resnet_value("tanh", np.ones((4, 3)), np.ones((4, 2)), p)
    assert info.value.hypothesis == "resnet A1"
    with pytest.raises(InvalidArgument, match="must be a basins.model.resnet.ResNetParams"):
        resnet_value("tanh", np.ones((4, 3)), np.ones((4, 2)), {"W": 1})


# --------------------------------------------------------------- CLI --

@pytest.fixture()
def example2_file(tmp_path):
    path = tmp_path / "case.json"
    construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0]).save(path)
    return path


def test_cli_bound_prints_the_three_figures(example2_file) -> None:
    out = CliRunner().invoke(main, ["bound", str(example2_file)])
    assert out.exit_code == 0, out.output
    assert "gradient-basis value" in out.output and "holds" in out.output


def test_cli_bound_json(example2_file) -> None:
    out = CliRunner().invoke(main, ["bound", str(example2_file), "--json", "--dps", "30"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert list(data)[:3] == ["loss", "gradient_basis_value", "difference"]
    assert data["difference"] == pytest.approx(data["loss"] - data["gradient_basis_value"], abs=1e-9)
    assert data["holds"] is True and data["precision"] == "mpmath, 30 digits"


def test_cli_bound_fails_on_a_point_that_is_not_critical(tmp_path) -> None:
    case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])
    moved = case.with_(w=(1.001,), loss=float(case.loss))
    path = tmp_path / "moved.json"
    moved.save(path)
    out = CliRunner().invoke(main, ["bound", str(path)])
    assert out.exit_code == 1
    assert out.stderr.count("\n") == 1 and "not a differentiable critical point" in out.stderr


def test_cli_bound_reports_a_missing_file_in_one_line(tmp_path) -> None:
    out = CliRunner().invoke(main, ["bound", str(tmp_path / "none.json")])
    assert out.exit_code == 1
    assert out.stderr.startswith("Error:") and out.stderr.count("\n") == 1


# ----------------------------------------------------- shipped cases --

CASE_DIR = Path(__file__).resolve().parents[1] / "basins" / "cases"


def _shipped(name: str):
    return load_case(CASE_DIR / f"{name}.json")


def test_every_shipped_smooth_case_agrees_and_theorem7_cases_are_refused() -> None:
    names = sorted(p.stem for p in CASE_DIR.glob("*.json"))
    assert names, "no shipped cases"
    for name in names:
        case = _shipped(name)
        if case.activation.nonsmooth_points and case.theorem.startswith("Theorem 7"):
            with pytest.raises(NotApplicable, match="sits on the nonsmooth point") as info:
                case_value_identity(case)
            assert info.value.hypothesis == "differentiable"
            continue
        res = case_value_identity(case)
        assert res.holds, f"{name}: {res.message}"
        assert abs(res.difference) <= DEFAULT_RTOL * res.loss


def test_theorem7_point_shows_the_differentiability_hypothesis_is_needed() -> None:
    """At a Theorem 7 minimum (a kink), the identity holds with the left-sided Jacobian and
    fails with the right-sided one: Theorem 1 of arXiv:1904.03673 needs a differentiable point."""
    from basins.model.network import output

    case = _shipped("theorem7_shifted_relu_m1_n3")
    x, y, v, w = case.arrays()
    t0 = float(case.activation.breakpoints[0])
    U = np.outer(w, x)
    assert np.any(U == t0)
    yhat = output(case.activation, x, v, w)
    z = case.activation.numpy(0)(U)
    statuses = []
    for side in (0.0, 1.0):                    # slope of Max(0, t − t0) left and right of t0
        d = np.where(U > t0, 1.0, 0.0)
        d[U == t0] = side
        J = np.vstack([z, v[:, None] * x * d]).T
        statuses.append(check_value_identity(J, yhat - y, prediction=yhat).status)
    assert statuses == ["holds", "fails"]


def test_cli_bound_refuses_a_kink_case_in_one_line(tmp_path) -> None:
    out = CliRunner().invoke(main, ["bound", str(CASE_DIR / "theorem7_shifted_relu_m1_n3.json")])
    assert out.exit_code == 1
    assert out.stderr.startswith("Error:") and "nonsmooth point" in out.stderr
    assert out.stderr.count("\n") == 1


@pytest.mark.parametrize("v, w", [([1.0, -0.5], [0.7, -1.3]), ([1.0, 1.0], [0.7, 0.7])],
                         ids=["wide J (N < 2m)", "duplicate neurons (rank deficient)"])
def test_float_and_digits_agree_with_least_squares_when_J_is_wide_or_deficient(v, w) -> None:
    from basins.model.network import jacobian

    x, y = [0.5, 1.0, 2.0], [0.3, -1.0, 0.7]
    J = jacobian("tanh", x, v, w)
    alpha = np.linalg.lstsq(J, y, rcond=None)[0]
    expected = float(np.sum((np.array(y) - J @ alpha) ** 2))
    flt = network_value_identity("tanh", x, y, v, w)
    hi = network_value_identity("tanh", x, y, v, w, dps=30)
    assert flt.rank == hi.rank == np.linalg.matrix_rank(J)
    assert flt.gradient_basis_value == pytest.approx(expected, abs=1e-12)
    assert hi.gradient_basis_value == pytest.approx(expected, abs=1e-12)
