"""The generalized Proposition 4 (SPEC §11): exact checks in rationals, the counting rule, agreement with the
paper's Proposition 4 at d = 1, the witness's parameter space, JSON round trips and ``basins construct``."""

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from basins.constructions.general import (HYPOTHESES, analyse_general, construct_general, curvature_matrices,
                                          minimum_samples)
from basins.constructions.prop4 import construct_prop4
from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable
from basins.io.case import Case, load_case
from basins.io.records import validate_record
from basins.model import engine
from basins.verification.verify import verify_case

# σ(t) = t + t²/2 + t⁵/5: a polynomial, so every quantity is exact in rationals.  (With a hidden bias a
# polynomial of degree ≤ 4, or exp, never satisfies condition 2: see test_low_degree_polynomial_fails_condition_2.)
POLY = "t + t**2/2 + t**5/5"
POLY_DERIVS = (lambda u: u + u**2 / 2 + u**5 / 5, lambda u: 1 + u + u**4, lambda u: 1 + 4 * u**3)
X16 = np.array([(0, 1), (1, 0), (1, 1), (-1, 0.5), (0.5, -1), (2, 1), (-1, -1), (1.5, 0.5), (-0.5, 2),
                (0.25, -0.75), (2, -1), (-2, 0.5), (1, -2), (-1.5, -0.5), (0.75, 1.25), (-0.25, -1.5)], float)
W1 = [[0.5, -0.25, 0.125]]
X6 = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


@pytest.fixture(scope="module")
def poly_case():
    """d = 2, hidden and output bias (c = 1/2), m = 1, M = 10, all data dyadic (exact in binary)."""
    return construct_general(POLY, X16, w=W1, bias=True, output_bias=True, c=0.5, M=10.0, samples=0)


@pytest.fixture(scope="module")
def gelu_case():
    """gelu, width 2, 24 seeded points in [−2, 2]², a hidden bias, w searched."""
    X = np.random.default_rng(0).uniform(-2, 2, (24, 2))
    return construct_general("gelu", X, width=2, bias=True, seed=0, samples=100)


def _q(a):
    return sp.Rational(Fraction(float(a)))


def test_exact_rational_critical_point_and_hessian(poly_case):
    """Rationalise a, project it onto S⊥ exactly: ∇E = 0, E = M²||a||², and ∇²E = 2JᵀJ + 2M·blockdiag(0, v A(a), 0)
    ≻ 0, exactly; A(a) agrees with the float64 one."""
    case = poly_case
    assert case.model == engine.Model(input_dim=2, hidden_bias=True, output_bias=True)
    M, c, v = _q(case.details["M"]), _q(case.output_bias), _q(case.v[0])
    Xt = [[_q(e) for e in row] + [sp.Integer(1)] for row in case.x]
    w = [_q(e) for e in case.w[0]]
    u = [sum(wk * xk for wk, xk in zip(w, row)) for row in Xt]
    s0 = [POLY_DERIVS[0](t) for t in u]
    s1 = [POLY_DERIVS[1](t) for t in u]
    s2 = [POLY_DERIVS[2](t) for t in u]
    N = len(Xt)
    S = sp.Matrix(N, 5, lambda n, j: s0[n] if j == 0 else Xt[n][j - 1] * s1[n] if j < 4 else 1)
    a_float = np.array(case.details["a"])
    aq = sp.Matrix([_q(e) for e in a_float])
    a = aq - S * (S.T * S).inv() * (S.T * aq)
    assert S.T * a == sp.zeros(5, 1)
    assert max(abs(float(e)) for e in a - aq) < 1e-10                       # float a was ⟂ S to rounding
    A = sp.zeros(3, 3)
    for n in range(N):
        A += a[n] * s2[n] * sp.Matrix(Xt[n]) * sp.Matrix(Xt[n]).T
    A_float = curvature_matrices(np.hstack([X16, np.ones((N, 1))]),
                                 np.array([[float(t)] for t in s2]), a_float)[0]
    assert np.allclose(np.array(A, dtype=float), A_float, rtol=1e-9, atol=1e-12)
    assert (v * A).is_positive_definite
    y = [v * s0[n] + c - M * a[n] for n in range(N)]
    ctx = engine.ExactContext(POLY_DERIVS, field="fraction")
    frac = lambda e: Fraction(int(e.p), int(e.q))  # noqa: E731
    X_exact = [[frac(e) for e in row[:2]] for row in Xt]
    kw = {"c": frac(c), "model": case.model}
    der = engine.derivatives(ctx, X_exact, [frac(e) for e in y], [frac(v)], [[frac(e) for e in w]], **kw)
    assert all(g == 0 for g in der.gradient)
    assert der.loss == frac(M**2 * (a.T * a)[0])
    J = sp.Matrix(engine.jacobian(ctx, X_exact, [frac(v)], [[frac(e) for e in w]], **kw))
    H = sp.Matrix(der.hessian)
    curvature = sp.zeros(5, 5)
    curvature[1:4, 1:4] = v * A
    assert H == 2 * J.T * J + 2 * M * curvature
    assert H.is_positive_definite


def test_poly_case_reports_margins_and_eigenvalues(poly_case):
    d = poly_case.details
    conds = d["conditions"]
    assert set(conds) == {"counting", "C2", "condition 1", "condition 2", "witness"}
    assert all(c["holds"] for c in conds.values())
    assert 0 < conds["condition 2"]["margin"] <= 1 and 0 < conds["condition 1"]["margin"] <= 1
    assert min(d["eigenvalues of v_i A_i(a)"][0]) > 0
    assert d["sdp"]["status"] in ("optimal", "optimal_inaccurate") and d["sdp"]["solver"].startswith("Clarabel")
    assert d["loss check"]["holds"]
    assert poly_case.verification["status"] == "verified numerically"
    assert d["hessian"]["min eigenvalue"] > 0


@pytest.mark.parametrize("sigma", ["t + t**2/2 + t**3/6", "t + t**2/2 + t**3/6 + t**4/24", "exp(t)"],
                         ids=["cubic", "quartic", "exp"])
def test_low_degree_polynomial_fails_condition_2(sigma):
    """With a hidden bias, a ⟂ S forces a degenerate A(a) for these σ (exp: σ″ = σ′ makes A's bias column
    a·(x̃_k σ′) = 0); the construction refuses, naming condition 2."""
    with pytest.raises(HypothesisFailed, match="condition 2 fails"):
        construct_general(sigma, X16, w=W1, bias=True, output_bias=True, M=10.0, samples=0)


@pytest.mark.parametrize("d, bias, output_bias, m", [(2, True, True, 2), (3, False, False, 1), (1, True, False, 3)],
                         ids=["d2-both-m2", "d3-none-m1", "d1-hidden-m3"])
def test_counting_rule_refuses(d, bias, output_bias, m):
    D = d + int(bias)
    N = minimum_samples(m, D, output_bias) - 1          # N = dim S bound: no room for a ≠ 0 ⟂ S
    X = np.random.default_rng(1).standard_normal((N, d))
    with pytest.raises(InvalidArgument, match=rf"width={m}: N={N} samples do not exceed dim S"):
        construct_general("swish", X, width=m, bias=bias, output_bias=output_bias)
    assert HYPOTHESES["counting"].startswith("N > dim S")


@pytest.mark.parametrize("w", [[0.8, -1.3], [1.0, 2.0]], ids=["mixed-signs", "positive"])
def test_d1_without_biases_agrees_with_the_papers_proposition_4(w):
    p4 = construct_prop4("gelu", X6, w=w, M=100.0)
    gen = construct_general("gelu", np.array(X6)[:, None], w=[[e] for e in w], M=100.0, samples=0)
    assert gen.model.scalar and gen.to_dict()["schema"] == "basins.case/1"
    assert gen.details["conditions"]["condition 1"]["margin"] == pytest.approx(
        p4.details["conditions"]["condition 1"]["margin"], rel=1e-10)
    # the same conditions hold; the paper's a·z″_i margin and the SDP's differ only by the optimiser's norm
    assert all(c["holds"] for c in p4.details["conditions"].values())
    assert all(c["holds"] for c in gen.details["conditions"].values())
    assert np.all(np.sign(gen.v) == np.sign(np.array(gen.details["a"]) @ _z2(X6, gen.w)))
    assert verify_case(gen, samples=100).status == "verified numerically"   # the paper's verification accepts it


def _z2(x, w):
    from basins.activations import as_activation
    x = np.asarray(x)
    return (x * x)[:, None] * as_activation("gelu").numpy(2)(np.outer(x, w))


def test_d1_repeated_w_fails_condition_1_in_both():
    with pytest.raises(HypothesisFailed, match="condition 1"):
        construct_prop4("gelu", X6, w=[1.0, 1.0])
    with pytest.raises(HypothesisFailed, match="condition 1 fails"):
        construct_general("gelu", np.array(X6)[:, None], w=[[1.0], [1.0]], samples=0)


def test_searched_gelu_case(gelu_case):
    case = gelu_case
    assert case.model.D == 3 and case.m == 2 and case.details["search"]["seed"] == 0
    conds = case.details["conditions"]
    assert conds["condition 1"]["margin"] > 0.1 and conds["condition 2"]["margin"] > 1e-3
    for v_i, ev in zip(case.v, case.details["eigenvalues of v_i A_i(a)"]):
        assert min(ev) > 0 and v_i != 0
    assert case.witness is not None and case.witness.loss < case.loss
    assert case.details["M"] > case.details["witness"]["M_threshold"]
    assert case.loss == pytest.approx(case.details["expected loss M^2 |a|^2"], rel=1e-12)
    assert case.details["hessian"]["formula residual"] < 1e-12       # ∇²E = 2JᵀJ + 2M·blockdiag(0, v_i A_i(a))
    assert case.details["hessian"]["min eigenvalue"] > 0
    checks = {c["name"]: c["passed"] for c in case.verification["checks"]}
    assert checks == {"loss": True, "hessian": True, "critical point": True, "witness": True, "sampling": True}


def test_witness_lies_in_the_same_parameter_space(gelu_case, poly_case):
    for case in (gelu_case, poly_case):
        wit = case.witness
        assert len(wit.v) == case.m and np.asarray(wit.w).shape == np.asarray(case.w).shape
        assert (wit.c is None) == (case.output_bias is None)
        assert wit.c == case.output_bias                           # c unchanged
        assert list(wit.v[1:]) == [0.0] * (case.m - 1)


def test_json_round_trip(gelu_case, poly_case, tmp_path):
    for case in (gelu_case, poly_case):
        assert Case.from_json(case.to_json()) == case
        validate_record(case.to_dict(), "case2", source="case")
        path = tmp_path / "case.json"
        case.save(path)
        assert load_case(path) == case


def test_given_v_fixes_the_signs():
    X = np.random.default_rng(3).uniform(-2, 2, (20, 2))
    case = construct_general("softplus", X, v=[2.0, -0.5], bias=True, seed=2, samples=0)
    assert case.v == (2.0, -0.5)
    assert case.details["conditions"]["condition 2"]["signs"] == [1.0, -1.0]
    assert all(min(ev) > 0 for ev in case.details["eigenvalues of v_i A_i(a)"])


def test_search_is_seeded():
    X = np.random.default_rng(4).uniform(-2, 2, (14, 2))
    one = construct_general("softplus", X, width=1, bias=True, seed=5, samples=0)
    two = construct_general("softplus", X, width=1, bias=True, seed=5, samples=0)
    assert one == two


@pytest.mark.parametrize("kwargs, error, match", [
    ({"w": [[1.0, 2.0]], "bias": True}, InvalidArgument, r"w=\[\[1.0, 2.0\]\] has rows of 2 numbers, but the model "
                                                         r"needs D = d \+ 1 = 3"),
    ({"w": [[1.0, 2.0, 0.0]], "width": 2, "bias": True}, InvalidArgument, "the widths disagree"),
    ({"v": [1.0, 0.0], "bias": True}, HypothesisFailed, "has a zero entry"),
    ({"M": -1.0}, InvalidArgument, "M=-1.0 must be a positive"),
    ({"c": 1.0}, InvalidArgument, "no output bias"),
    ({"seed": -1}, InvalidArgument, "seed=-1"),
], ids=["w-dimension", "widths", "v-zero", "M-negative", "c-without-bias", "seed"])
def test_bad_arguments(kwargs, error, match):
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(error, match=match):
        construct_general("swish", X, samples=0, **kwargs)


@pytest.mark.parametrize("X, match", [([[1.0, np.nan]] * 12, "NaN or infinite"), ("abc", "rows of numbers"),
                                      ([[1.0, 2.0], [3.0]], "rows of numbers of one length")],
                         ids=["nan", "string", "ragged"])
def test_bad_inputs(X, match):
    with pytest.raises(InvalidArgument, match=match):
        construct_general("swish", X, samples=0)


@pytest.mark.parametrize("sigma, theorem", [("relu", "Theorem 5"), ("Max(0, t - 1)", "Proposition 4")],
                         ids=["homogeneous", "piecewise-linear"])
def test_not_applicable_activations(sigma, theorem):
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(NotApplicable, match=theorem) as info:
        construct_general(sigma, X, bias=True, samples=0)
    assert info.value.hypothesis


def test_analyse_general_least_squares_surrogate_is_below_the_sdp():
    X = np.random.default_rng(0).uniform(-2, 2, (24, 2))
    Xt = np.hstack([X, np.ones((24, 1))])
    W = np.array([[1.2, -0.4, 0.3], [-0.8, 1.1, -0.2]])
    sdp = analyse_general("gelu", Xt, W)
    lsq = analyse_general("gelu", Xt, W, sdp=False)
    assert sdp.margin1 == lsq.margin1
    assert sdp.margin2 >= lsq.margin2 - 1e-9


# ----------------------------------------------------------------- the command line --

def _csv(path, X):
    path.write_text("\n".join(",".join(repr(float(e)) for e in row) for row in X) + "\n")
    return path


def test_cli_data_file_with_bias(run, tmp_path):
    data = _csv(tmp_path / "data.csv", np.random.default_rng(0).uniform(-2, 2, (24, 2)))
    out = tmp_path / "case.json"
    res = run("construct", "--activation", "gelu", "--width", "2", "--data", str(data), "--bias", "--samples", "50",
              "-o", str(out))
    assert res.exit_code == 0, res.output
    for text in ("Proposition 4 (SPEC §11)", "condition 1", "condition 2", "margin", "v_1 A_1(a) eigenvalues",
                 "v_2 A_2(a) eigenvalues", "loss", "witness", "verification: verified numerically", "written to"):
        assert text in res.output
    case = load_case(out)
    assert case.bias and case.output_bias is None and case.model.D == 3


def test_cli_generated_inputs_json(run, tmp_path):
    out = tmp_path / "case.json"
    res = run("construct", "--activation", "swish", "--width", "2", "--d", "3", "--N", "30", "--seed", "1", "--bias",
              "--output-bias", "--samples", "50", "--json", "-o", str(out))
    assert res.exit_code == 0, res.output
    printed = json.loads(res.output)
    assert printed == json.loads(out.read_text())
    assert printed["schema"] == "basins.case/2" and printed["d"] == 3 and printed["output_bias"] == 0.0
    assert printed["verification"]["status"] == "verified numerically"
    assert len(printed["witness"]["w"]) == 2 and printed["witness"]["c"] == 0.0


@pytest.mark.parametrize("content, match", [
    ("1,2\n3\n", r"data.csv:2: 1 value\(s\) '3', but line 1 has 2"),
    ("1,2\n3,x\n", r"data.csv:2: the value 'x' is not a number"),
    ("1,2\nnan,3\n", r"data.csv:2: the value 'nan' is not finite"),
    ("", "holds no rows of numbers"),
], ids=["ragged", "non-numeric", "nan", "empty"])
def test_cli_bad_data_files(run, tmp_path, content, match):
    data = tmp_path / "data.csv"
    data.write_text(content)
    out = tmp_path / "case.json"
    res = run("construct", "--data", str(data), "--bias", "-o", str(out))
    assert res.exit_code == 1
    assert len(res.output.strip().splitlines()) == 1
    import re
    assert re.search(match, res.output)
    assert not out.exists()


def test_cli_npy_data_and_scalar_inputs_with_a_bias(run, tmp_path):
    data = tmp_path / "data.npy"
    np.save(data, np.random.default_rng(2).uniform(-2, 2, (20, 2)))
    res = run("construct", "-a", "softplus", "--data", str(data), "--output-bias", "--samples", "20", "--json")
    assert res.exit_code == 0, res.output
    case = json.loads(res.output)
    assert case["d"] == 2 and case["bias"] is False and case["output_bias"] == 0.0
    res = run("construct", "-a", "softplus", "--x", "0.5,1,1.5,2,2.5,3,3.5,4", "--bias", "--w", "1,-1",
              "--samples", "20", "--json")
    assert res.exit_code == 0, res.output
    case = json.loads(res.output)
    assert case["w"] == [[1.0, -1.0]] and case["x"][0] == [0.5] and case["bias"] is True


def test_cli_w_dimension_mismatch(run, tmp_path):
    data = _csv(tmp_path / "data.csv", np.random.default_rng(0).uniform(-2, 2, (24, 2)))
    out = tmp_path / "case.json"
    res = run("construct", "--data", str(data), "--bias", "--w", "1,2;3,4", "-o", str(out))
    assert res.exit_code == 1 and "--w" in res.output and "D = 3" in res.output and "d = 2" in res.output
    assert not out.exists()


def test_cli_counting_refusal(run, tmp_path):
    out = tmp_path / "case.json"
    res = run("construct", "--d", "2", "--N", "9", "--bias", "--output-bias", "--width", "2", "-o", str(out))
    assert res.exit_code == 1 and "width=2: N=9 samples do not exceed dim S" in res.output
    assert len(res.output.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize("args, match", [
    (["--data", "x.csv", "--x", "1,2,3", "--bias"], "--data and --x"),
    (["--d", "2", "--N", "20", "--theorem", "7"], "--theorem 7"),
    (["--bias"], "needs inputs"),
    (["--d", "2", "--N", "20", "--w0", "1"], "--w0"),
], ids=["two-sources", "theorem", "no-inputs", "w0"])
def test_cli_usage_errors(run, args, match):
    res = run("construct", *args)
    assert res.exit_code == 2 and match in res.output


W_GELU = [[2.32297, 0.718649, -0.334286], [-2.27123, 0.0885424, 0.926724]]


def test_below_the_threshold_a_multistart_search_finds_the_witness():
    X = np.random.default_rng(0).uniform(-2, 2, (24, 2))
    case = construct_general("gelu", X, w=W_GELU, bias=True, M=1.0, samples=0)
    assert case.details["M"] < case.details["witness"]["M_threshold"]
    assert "multistart" in case.details["witness"]["witness rule"]
    assert case.witness.loss < case.loss and len(case.witness.v) == 2
    assert case.verification["status"] == "verified numerically"


def test_far_below_the_threshold_no_witness_is_refused():
    X = np.random.default_rng(0).uniform(-2, 2, (24, 2))
    with pytest.raises(NotApplicable, match="M=0.001 is not above the sub-optimality threshold") as info:
        construct_general("gelu", X, w=W_GELU, bias=True, M=1e-3, samples=0)
    assert info.value.hypothesis == "M > M_threshold"


def test_the_python_api_construct_takes_inputs_in_rd_and_biases():
    """basins.construct dispatches 2-D x or a bias to the generalized Proposition 4; Theorems 4, 6, 7 refuse."""
    import numpy as np

    import basins
    from basins.errors import NotApplicable

    X = np.random.default_rng(3).normal(size=(24, 3))
    case = basins.construct("softplus", x=X, width=2, seed=0)
    assert case.theorem == "Proposition 4 (SPEC §11)" and case.d == 3 and case.verification["status"] == \
        "verified numerically"
    with pytest.raises(NotApplicable, match="d = 1"):
        basins.construct("softplus", theorem="6", x=X, width=1)
