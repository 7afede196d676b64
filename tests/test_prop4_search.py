"""Proposition 4 at its limits (issue 17): the optimizing search, precision on demand, any lower witness.

Every figure checked here is recomputed independently in the test: σ is written
directly in mpmath, its derivatives by mpmath.diff, and E, ∇E and ∇²E (SPEC §0)
from those, at 60+ digits — none of it comes from the package under test.
"""

import mpmath
import numpy as np
import pytest

import basins.constructions.prop4 as prop4
from basins import construct
from basins.errors import HypothesisFailed, NotApplicable
from basins.constructions.prop4 import construct_prop4

DPS = 80

SIGMAS = {
    "log(1+exp(2*t))/2": lambda t: mpmath.log(1 + mpmath.exp(2 * t)) / 2,
    "t + sin(t)": lambda t: t + mpmath.sin(t),
    "atan(t)": mpmath.atan,
    "tanh": mpmath.tanh,
    "swish": lambda t: t / (1 + mpmath.exp(-t)),
    "sin": mpmath.sin,
    "softplus": lambda t: mpmath.log(1 + mpmath.exp(t)),
    "erf(t)": mpmath.erf,
    "t*tanh(log(1 + exp(t)))": lambda t: t * mpmath.tanh(mpmath.log(1 + mpmath.exp(t))),
    "shifted_sigmoid": lambda t: 1 / (1 + mpmath.exp(-t - 1)),
    "gelu": lambda t: t * (1 + mpmath.erf(t / mpmath.sqrt(2))) / 2,
}


def _mp(a):
    return [mpmath.mpf(float(t)) for t in a]


def independent_loss(sig, x, y, v, w):
    with mpmath.workdps(DPS):
        x, y, v, w = _mp(x), _mp(y), _mp(v), _mp(w)
        return mpmath.fsum((mpmath.fsum(vi * sig(wi * xj) for vi, wi in zip(v, w)) - yj) ** 2
                           for xj, yj in zip(x, y))


def independent_derivatives(sig, x, y, v, w):
    """(|∇E|, smallest and largest eigenvalue of ∇²E) at DPS digits, from σ and mpmath.diff alone."""
    with mpmath.workdps(DPS):
        x, y, v, w = _mp(x), _mp(y), _mp(v), _mp(w)
        m, n = len(v), len(x)
        d = [[[mpmath.diff(sig, wi * xj, k) for xj in x] for wi in w] for k in range(3)]
        z = [[d[0][i][j] for j in range(n)] for i in range(m)]
        z1 = [[x[j] * d[1][i][j] for j in range(n)] for i in range(m)]
        z2 = [[x[j] ** 2 * d[2][i][j] for j in range(n)] for i in range(m)]
        r = [mpmath.fsum(v[i] * z[i][j] for i in range(m)) - y[j] for j in range(n)]
        J = [z[i] for i in range(m)] + [[v[i] * c for c in z1[i]] for i in range(m)]
        dot = lambda a, b: mpmath.fsum(p * q for p, q in zip(a, b))  # noqa: E731
        g = [2 * dot(col, r) for col in J]
        H = mpmath.matrix(2 * m, 2 * m)
        for p in range(2 * m):
            for q in range(2 * m):
                H[p, q] = 2 * dot(J[p], J[q])
        for i in range(m):
            H[i, m + i] += 2 * dot(r, z1[i])
            H[m + i, i] += 2 * dot(r, z1[i])
            H[m + i, m + i] += 2 * v[i] * dot(r, z2[i])
        ev = sorted(mpmath.eigsy(H, eigvals_only=True))
        return mpmath.sqrt(dot(g, g)), ev[0], ev[-1], mpmath.lu_solve(H, mpmath.matrix(g))


def assert_bad_basin(case, sig):
    """Independently: a critical point to rounding, positive definite Hessian, a witness of lower loss."""
    x, y, v, w = case.arrays()
    gnorm, lo, hi, step = independent_derivatives(sig, x, y, v, w)
    assert lo > 0, f"Hessian not positive definite: smallest eigenvalue {lo}"
    # the stored point is within rounding of the exact critical point: the Newton step is tiny
    assert mpmath.norm(step) < 1e-10 * (1 + np.linalg.norm(np.concatenate([v, w])))
    # and the Newton step is far inside the region where the quadratic model decides (λ_min |step| ≫ |g|·|step|)
    E = independent_loss(sig, x, y, v, w)
    Ew = independent_loss(sig, x, y, case.witness.v, case.witness.w)
    assert Ew < E
    assert float(E) == pytest.approx(case.loss, rel=1e-9)
    return E, Ew, lo


# ------------------------------------------------------------------ the three wrong refusals --

def test_condition_3_with_tiny_margins_is_constructed_at_higher_precision():
    # refused on main: "condition 3 fails … no w_0 … gives z_0 outside S" (its margins are 1e-9 … 3e-7)
    x = [2.942, -2.892, -2.297, 1.914, -0.179, 2.048, 1.986, -1.206, -2.652]
    case = construct("log(1+exp(2*t))/2", theorem="prop4", width=4, x=x, seed=4)
    assert_bad_basin(case, SIGMAS["log(1+exp(2*t))/2"])
    prec = case.details["precision"]
    assert isinstance(prec["digits"], int) and prec["digits"] >= 30
    assert "margin" in prec["why"] and "digits" in prec["why"]
    assert case.details["conditions"]["condition 3"]["margin"] > 0


def test_threshold_of_one_family_does_not_refuse():
    # refused on main at "M=100 is not above M_threshold=2.88e7" although a lower point exists
    x = [2.597, 0.462, 2.87, 2.012, 0.355, 1.224, 0.48]
    case = construct("t + sin(t)", theorem="prop4", width=3, x=x, seed=3)
    E, Ew, _ = assert_bad_basin(case, SIGMAS["t + sin(t)"])
    assert Ew < E


@pytest.mark.parametrize("act, n, m", [("atan(t)", 3, 1), pytest.param("sigmoid", 9, 4, marks=pytest.mark.slow)])
def test_without_a_witness_at_M_100_the_default_M_is_raised(act, n, m):
    """Refused before ("M=100 is not above M_threshold"): M is a free scale of the construction, and
    when it is not given the construction raises it past the one-neuron family's threshold."""
    x = np.sort(np.random.default_rng(n).uniform(-3.0, 3.0, n))
    with pytest.raises(NotApplicable, match="M=100.0 is not above") as info:
        construct_prop4(act, x, width=m, M=100.0)
    assert info.value.hypothesis == "M > M_threshold"
    case = construct(act, x=x, width=m, seed=0)
    assert 100.0 < case.details["M"] <= 1e8 and "raised" in case.details["M choice"]
    sigma = SIGMAS.get(act) or (lambda t: 1 / (1 + mpmath.exp(-t)))
    E, Ew, _ = assert_bad_basin(case, sigma)
    assert Ew < E


@pytest.mark.parametrize("n, m", [(17, 6), (17, 8), (33, 8)])
def test_sin_reaches_width_8_in_float64_with_high_frequencies(n, m):
    """Refused before (margins ≈ 1e-14, "holds at 74–129 digits, but not on the data rounded to float64"):
    sin does not saturate, so the search may use pre-activations up to 150, where its features separate."""
    x = np.sort(np.random.default_rng(n).uniform(-3.0, 3.0, n))
    case = construct("sin", x=x, width=m, seed=0)
    assert case.details["precision"]["digits"] == "float64"
    assert 20 < np.max(np.abs(np.outer(case.w, case.x))) <= 150
    _, _, lo = assert_bad_basin(case, SIGMAS["sin"])
    assert lo > 1e-6


@pytest.mark.slow
def test_a_point_float64_cannot_carry_is_replaced_by_the_next_seeds():
    """tanh, N = 33, m = 8: seed 0's point needs 63 digits (smallest float64 Hessian eigenvalue 2.3e-14 on
    the rounded data); the construction tries seeds 1, 2, … and says which it used."""
    x = np.sort(np.random.default_rng(33).uniform(-3.0, 3.0, 33))
    case = construct("tanh", x=x, width=8, seed=0)
    assert "seed 0 found a point" in case.details["seed retry"] and "was used instead" in case.details["seed retry"]
    assert_bad_basin(case, SIGMAS["tanh"])


def test_a_zero_input_is_allowed_by_proposition_4():
    # x ≠ 0 is a hypothesis of Theorems 4 and 6 only
    x = [0, -1, 1.5, 2, -2.5, 3]
    case = construct("atan(t)", theorem="prop4", width=2, x=x)
    assert 0.0 in case.x
    assert_bad_basin(case, SIGMAS["atan(t)"])
    from basins import certify_case

    record = certify_case(case).certificate["record"]["checks"]
    theorem = next(c for c in record if c["field"] == "theorem")
    assert theorem["passed"] and "without zero" not in theorem["detail"] and "zero entry" in theorem["detail"]


def test_theorem_6_still_refuses_a_zero_input():
    with pytest.raises(NotApplicable, match="zero entry"):
        construct("softplus", theorem="6", x=[0.0, 1.0, 2.0])


def test_auto_takes_proposition_4_when_an_input_is_zero():
    # softplus with m = 1 would be Theorem 6, whose hypotheses exclude x_j = 0
    case = construct("softplus", x=[0.0, 1.0, 2.0, 3.0, 4.0])
    assert case.theorem == "Proposition 4" and "zero entry" in case.details["chosen"]["why"]
    assert_bad_basin(case, SIGMAS["softplus"])


def test_a_zero_input_where_the_conditions_have_no_room_names_condition_2():
    # x = (0, 1, 2): the sample at 0 carries no feature, so S = span{z, z′} fills the other two
    with pytest.raises(HypothesisFailed, match="condition 2 fails"):
        construct_prop4("swish", (0.0, 1.0, 2.0), w=[1.0], v=[1.0])


# ------------------------------------------------------------------ search, witness, precision --

def test_the_search_is_deterministic_for_a_seed():
    x = np.sort(np.random.default_rng(7).uniform(-3, 3, 7))
    a = construct_prop4("tanh", x, width=2, seed=2)
    b = construct_prop4("tanh", x, width=2, seed=2)
    c = construct_prop4("tanh", x, width=2, seed=5)
    assert a.to_dict() == b.to_dict()
    assert a.w != c.w


def test_the_optimizer_beats_the_best_random_draw():
    x = np.sort(np.random.default_rng(9).uniform(-3, 3, 9))
    case = construct_prop4("swish", x, width=3, seed=0)
    search = case.details["search"]
    assert search["score"] >= search["best draw score"]


def test_a_lower_point_outside_the_one_neuron_family_is_the_witness():
    # Example 2 with w_0 = 0.99 forced: z_0 is nearly z_1, and (1, 1) is a local minimum, so the
    # one-neuron witness at w_0 is higher; the multistart search supplies another lower point
    case = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0], M=100, w0=0.99)
    info = case.details["witness"]
    assert "multistart" in info["witness rule"]
    E, Ew, _ = assert_bad_basin(case, SIGMAS["swish"])
    assert float(E - Ew) == pytest.approx(info["E - E(witness)"], rel=1e-6)
    # the family's own witness is not lower (independently)
    with mpmath.workdps(DPS):
        x, y = _mp(case.x), _mp(case.y)
        z0 = [SIGMAS["swish"](mpmath.mpf(0.99) * t) for t in x]
        fam = mpmath.fsum(t * t for t in y) - mpmath.fsum(a * b for a, b in zip(y, z0)) ** 2 / mpmath.fsum(
            t * t for t in z0)
    assert fam > E


def test_when_precision_runs_out_the_error_names_the_margin_and_the_digits(monkeypatch):
    monkeypatch.setattr(prop4, "MAX_DPS", 35)
    x = [2.942, -2.892, -2.297, 1.914, -0.179, 2.048, 1.986, -1.206, -2.652]
    with pytest.raises(HypothesisFailed, match=r"smallest margin .* needs about \d+ digits, more than the 35"):
        construct_prop4("log(1+exp(2*t))/2", x, width=4, seed=4)


def test_the_rounded_data_is_rechecked_and_recorded():
    x = np.sort(np.random.default_rng(9).uniform(-3, 3, 9))
    case = construct_prop4("tanh", x, width=4, seed=0)        # refused on main (margins below 1e-6)
    assert_bad_basin(case, SIGMAS["tanh"])
    check = case.details["rounded data check"]
    assert check["newton step"] < 1e-10 and check["hessian min eigenvalue"] > 0
    assert case.details["precision"]["digits"] != "float64"


# ------------------------------------------------------------------ coverage at N = 17 --

@pytest.mark.slow
@pytest.mark.parametrize("act,widths", [("erf(t)", 8), ("t*tanh(log(1 + exp(t)))", 8), ("shifted_sigmoid", 8),
                                        ("tanh", 8), ("swish", 8), ("softplus", 8)])
def test_every_width_is_constructed_at_N_17(act, widths):
    # x as in benchmarks/bench_construct_coverage.py; on main tanh, swish and softplus stopped at m = 5
    x = np.sort(np.random.default_rng(17).uniform(-3, 3, 17))
    for m in range(1, widths + 1):
        case = construct(act, x=x, width=m, seed=0)
        assert_bad_basin(case, SIGMAS[act])


@pytest.mark.parametrize("act,m", [("tanh", 2), ("swish", 3)])
def test_coverage_sample_at_N_17(act, m):
    x = np.sort(np.random.default_rng(17).uniform(-3, 3, 17))
    assert_bad_basin(construct(act, x=x, width=m, seed=0), SIGMAS[act])


# ------------------------------------------------------------------ large problems --

def test_choose_w0_matches_a_least_squares_loop():
    """The vectorised witness search against one lstsq per w_0 (the method it replaced)."""
    from basins.activations import as_activation
    from basins.constructions.prop4_search import choose_w0, witness_grid

    act = as_activation("sin")
    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(1.0, 3.0, 40))
    w = np.array([0.7, 1.9, 3.1, 4.4])
    y = rng.standard_normal(40) * 100
    got = choose_w0(act, x, y, w, lambda Z: np.ones(Z.shape[0]), 0.5)
    grid = witness_grid(x, 400)
    rest = act.numpy(0)(np.outer(w[1:], x))
    losses = []
    for g in grid:
        Z = np.vstack([np.sin(g * x)[None, :], rest]).T
        r = y - Z @ np.linalg.lstsq(Z, y, rcond=None)[0]
        losses.append(r @ r)
    assert got == grid[int(np.argmin(losses))]


def test_witness_losses_in_float64_agree_with_50_digits():
    from basins.activations import as_activation
    from basins.constructions.prop4_search import witness_losses

    act = as_activation("sin")
    x = np.linspace(1.0, 3.0, 300)
    w = np.arange(1, 76) * 1.2 * 300 / 75
    case = construct_prop4("sin", x, w=w, v=np.ones(75), M=1e6)
    y = np.array(case.y)
    point, wit = (np.array(case.v), w), (np.array(case.witness.v), np.array(case.witness.w))
    fast = witness_losses(act, x, y, point, wit, 50, mp=False)
    slow = witness_losses(act, x, y, point, wit, 50, mp=True)
    for a, b in zip(fast, slow):
        assert abs(a - b) <= 1e-12 * abs(b)
    assert (fast[1] < fast[0]) == (slow[1] < slow[0])


@pytest.mark.parametrize("n, m", [(17, 3), (17, 4), (17, 6), pytest.param(33, 4, marks=pytest.mark.slow),
                                  pytest.param(33, 6, marks=pytest.mark.slow),
                                  pytest.param(65, 4, marks=pytest.mark.slow),
                                  pytest.param(65, 6, marks=pytest.mark.slow)])
def test_the_gelu_cases_the_issue_names_verify_and_certify(n, m):
    """verify_case failed on these (issue 17): the float64 sampling, not the construction, was wrong."""
    from basins import certify_case, verify_case

    x = np.sort(np.random.default_rng(n).uniform(-3.0, 3.0, n))
    case = construct("gelu", x=x, width=m, seed=0)
    assert_bad_basin(case, SIGMAS["gelu"])
    assert verify_case(case).passed
    assert certify_case(case).certificate["status"] == "certified"
