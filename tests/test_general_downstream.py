"""Everything downstream of a case on the model of SPEC §11 (issue 11, item 3).

The barrier search, the pictures, the value-of-minima oracle, the sweep and the
case collection for optimizer code, on hand-built "basins.case/2" cases
(:func:`general_cases.hand_case`).  Reference values come from an
implementation written here from SPEC §11 (mpmath at 60 digits, Hessians by
central differences of that loss), never from the code under test.
"""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
import scipy.optimize
from click.testing import CliRunner
from general_cases import hand_case

from basins.cli import main
from basins.errors import InvalidArgument, VerificationFailed
from basins.landscape.barrier import PathSearch, path_losses, search_path
from basins.landscape.paths import check_path
from basins.landscape.sweep import Sweep, sweep
from basins.model import engine
from basins.oracles.checks import check_gradient, check_hessian, check_local_optimizer, check_loss, checks_for
from basins.oracles.induced import case_value_identity
from basins.plot.grids import loss_surface, parameter_names
from basins import problems

DPS = 60


# ------------------------------------------------ an independent reference (SPEC §11) --

def _sigma_mp(t):
    return t / (1 + mpmath.exp(-t))          # swish, the activation of hand_case's default


def _split(case, theta):
    m, model = case.m, case.model
    w = [theta[m + i * model.D: m + (i + 1) * model.D] for i in range(m)]
    return theta[:m], w, (theta[-1] if model.output_bias else 0)


def ref_loss(case, theta):
    """E(θ) = ||y − ŷ||², ŷ_n = Σ_i v_i σ(w_i·x̃_n) + c, in mpmath at DPS digits (θ as mpf)."""
    v, w, c = _split(case, theta)
    total = mpmath.mpf(0)
    for xn, yn in zip(case.x, case.y):
        xt = [mpmath.mpf(e) for e in xn] + ([mpmath.mpf(1)] if case.bias else [])
        yhat = c + mpmath.fsum(v[i] * _sigma_mp(mpmath.fsum(a * b for a, b in zip(w[i], xt)))
                               for i in range(case.m))
        total += (yhat - mpmath.mpf(yn)) ** 2
    return total


def ref_gradient_hessian(case, theta, h="1e-18"):
    """∇E and ∇²E by central differences of :func:`ref_loss` at DPS digits."""
    with mpmath.workdps(DPS):
        h = mpmath.mpf(h)
        t = [mpmath.mpf(float(a)) for a in theta]
        n = len(t)

        def E(shifts):
            u = list(t)
            for k, s in shifts:
                u[k] += s
            return ref_loss(case, u)

        g = [(E([(k, h)]) - E([(k, -h)])) / (2 * h) for k in range(n)]
        H = [[(E([(a, h), (b, h)]) - E([(a, h), (b, -h)]) - E([(a, -h), (b, h)]) + E([(a, -h), (b, -h)]))
              / (4 * h * h) for b in range(n)] for a in range(n)]
        return np.array([float(e) for e in g]), np.array([[float(e) for e in row] for row in H])


def ref_E(case, theta):
    with mpmath.workdps(DPS):
        return float(ref_loss(case, [mpmath.mpf(float(a)) for a in theta]))


@pytest.fixture(scope="module")
def case():
    return hand_case()


@pytest.fixture(scope="module")
def case_d1():
    # d = 1 with a hidden bias but no output bias: w_i = (weight, bias)
    return hand_case(d=1, N=10, m=1, bias=True, output_bias=False, seed=3, M=50.0)


# ------------------------------------------------------------------ barrier search --

@pytest.fixture(scope="module")
def barrier(case):
    return search_path(case, iterations=60, polish=40, max_images=31, seed=2)


def test_barrier_search_is_blocked_with_a_positive_barrier(case, barrier):
    theta = case.theta()
    assert theta.size == 5                               # v_1, w_1 (3 entries), c
    assert barrier.status == "blocked" and barrier.kind == "barrier"
    assert barrier.barrier > 0
    assert barrier.points.shape[1] == theta.size
    # the path starts next to the point and ends at the witness, output bias included
    assert np.linalg.norm(barrier.points[0] - theta) == pytest.approx(1e-4, rel=1e-9)
    wit = np.concatenate([case.witness.v, np.ravel(case.witness.w), [case.witness.c]])
    np.testing.assert_array_equal(barrier.points[-1], wit)
    # independent: 60-digit losses at the first, highest and last vertices agree with the reported ones
    per = (len(barrier.losses) - 1) // (len(barrier.points) - 1) if len(barrier.points) > 1 else 1
    for k in (0, len(barrier.points) - 1):
        assert ref_E(case, barrier.points[k]) == pytest.approx(barrier.losses[k * per], rel=1e-10)
    assert barrier.start_loss == pytest.approx(ref_E(case, barrier.points[0]), rel=1e-12)
    assert barrier.max_loss - barrier.start_loss == pytest.approx(barrier.barrier, rel=1e-9)
    # the witness is lower than the point, the barrier higher than both
    assert barrier.end_loss < case.loss < barrier.max_loss


def test_barrier_record_round_trip_and_recheck(barrier):
    d = barrier.to_dict()
    assert d["generator"]["model"] == {"input_dim": 2, "hidden_bias": True, "output_bias": True}
    assert d["network"]["widths"] == [2, 1, 1] and d["N"] == 14
    assert PathSearch.from_dict(json.loads(barrier.to_json())) == barrier
    res = check_path(d)
    assert res["ok"], res["checks"]
    d["losses"] = [e + 1e-3 for e in d["losses"]]       # a tampered record fails
    assert not check_path(d)["ok"]


def test_path_losses_of_the_general_model_against_60_digits(case):
    theta = case.theta()
    rng = np.random.default_rng(5)
    P = theta + 1e-3 * rng.standard_normal((4, theta.size))
    got = path_losses(case.activation, case.x, case.y, theta, P, model=case.model)
    for p, g in zip(P, got):
        with mpmath.workdps(DPS):
            want = float(ref_loss(case, [mpmath.mpf(float(a)) for a in p])
                         - ref_loss(case, [mpmath.mpf(float(a)) for a in theta]))
        assert g == pytest.approx(want, rel=1e-7, abs=1e-12)


def test_pt_cli_on_a_case2_file_wide_width(tmp_path):
    # m ≥ N: Theorem 2's path on x̃ = (x, 1) with c held fixed; the record says so
    from basins.activations import as_activation
    from basins.io.case import Case

    wide = Case(as_activation("tanh"), x=((0.5,), (1.0,), (-1.5,)), y=(1.0, 0.0, -1.0), v=(0.5, -0.3, 0.2),
                w=((0.3, 0.1), (-0.7, 0.2), (1.1, -0.4)), theorem="none", loss=0.0, bias=True, output_bias=0.2)
    path = tmp_path / "wide.json"
    wide.save(path)
    r = CliRunner().invoke(main, ["pt", "--case", str(path), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["kind"] == "wide" and d["status"] == "path" and d["network"]["widths"] == [2, 3, 1]
    assert "held fixed" in d["details"]["model"]["note"]


# ------------------------------------------------------------------------- pictures --

def test_softest_plane_uses_the_two_softest_hessian_eigenvectors(case):
    s = loss_surface(case, resolution=11)
    assert s.plane == "softest" and s.basis.shape == (2, 5)
    _, H = ref_gradient_hessian(case, case.theta())
    lam, vec = np.linalg.eigh((H + H.T) / 2)
    for k in range(2):                                   # each direction is the k-th softest eigenvector
        assert abs(abs(s.basis[k] @ vec[:, k]) - 1) < 1e-8
    assert f"{lam[0]:.4g}" in s.labels[0] and "flattest" in s.labels[0]
    assert "second flattest" in s.labels[1]
    assert s.zoom.values[5, 5] == 0.0 and s.loss == pytest.approx(ref_E(case, case.theta()), rel=1e-12)


def test_parameter_names_and_refusals(case):
    assert parameter_names(case) == ["v_1", "w_{1,1}", "w_{1,2}", "b_1", "c"]
    with pytest.raises(InvalidArgument, match="plane='neuron' needs a scalar hidden weight"):
        loss_surface(case, plane="neuron")
    with pytest.raises(InvalidArgument, match=r"length 5 \(ordered v_1, w_\{1,1\}"):
        loss_surface(case, plane=[[1.0, 0.0], [0.0, 1.0]])


def test_plot_command_writes_a_png_of_a_case2_file(case, tmp_path):
    src, out = tmp_path / "case.json", tmp_path / "case.png"
    case.save(src)
    r = CliRunner().invoke(main, ["plot", str(src), "-o", str(out), "--resolution", "21", "--json"])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pic = json.loads(r.output)
    assert pic["summary"]["plane"] == "softest" and "zoom:point" in pic["marks"]
    r = CliRunner().invoke(main, ["plot", str(src), "-o", str(tmp_path / "w.png"), "--plane", "witness",
                                  "--resolution", "21", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["summary"]["witness off the plane by"] == 0.0


def test_neuron_plane_for_a_scalar_hidden_weight_with_output_bias(tmp_path):
    c = hand_case(d=1, N=8, m=1, bias=False, output_bias=True, seed=4, M=20.0)
    s = loss_surface(c, plane="neuron", resolution=11)
    assert s.labels == ("w_1", "v_1") and s.point == (float(c.w[0][0]), float(c.v[0]))


# ------------------------------------------------------------ value-of-minima oracle --

@pytest.mark.parametrize("dps", [None, 40], ids=["float64", "mpmath40"])
def test_value_identity_holds_at_a_case2_minimum(case, dps):
    res = case_value_identity(case, dps=dps)
    assert res.holds and res.cols == 5 and res.rows == 14
    # independent: E at the point from the 60-digit reference
    assert res.loss == pytest.approx(ref_E(case, case.theta()), rel=1e-12)
    assert res.gradient_basis_value == pytest.approx(res.loss, rel=1e-10)


def test_value_identity_fails_off_the_minimum(case):
    res = case_value_identity(case.with_(v=(1.01,)))
    assert not res.holds and res.difference > 1e-4


def test_bound_cli_on_a_case2_file(case, tmp_path):
    src = tmp_path / "case.json"
    case.save(src)
    r = CliRunner().invoke(main, ["bound", str(src)])
    assert r.exit_code == 0, r.output
    assert "d = 2, hidden bias yes, output bias yes" in r.output and "14 × 5, rank 5" in r.output


# ------------------------------------------------------------------------ the sweep --

def test_sweep_refuses_scalar_constructions_for_general_options():
    with pytest.raises(InvalidArgument, match="need the generalized Proposition 4"):
        sweep("softplus", 6, input_dim=2, constructions=["prop4"], workers=1)
    with pytest.raises(InvalidArgument, match="input_dim=0 must be a positive integer"):
        sweep("softplus", 6, input_dim=0, workers=1)


@pytest.mark.slow
def test_sweep_of_the_general_model_finds_a_basin_at_m1():
    s = sweep("softplus", 12, input_dim=1, bias=True, trials=1, workers=1, samples=30)
    assert s.constructions == ("general",) and s.model == engine.Model(1, True, False)
    assert 1 in s.widths_with and s.consistent
    d = s.to_dict()
    assert d["model"] == {"input_dim": 1, "hidden_bias": True, "output_bias": False}
    assert Sweep.from_dict(json.loads(s.to_json())).model == s.model


# ------------------------------------------------- the oracles for optimizer code --

def my_parts(v, w, x, y, act, c=None, model=None):
    """An implementation of SPEC §11 in numpy, written here: ŷ, residual and J in θ order."""
    X = np.asarray(x, dtype=float)
    Xt = np.hstack([X, np.ones((X.shape[0], 1))]) if model.hidden_bias else X
    u = Xt @ np.asarray(w).T                                          # (N, m)
    z, s1, s2 = act.numpy(0)(u), act.numpy(1)(u), act.numpy(2)(u)
    r = z @ v + (c or 0.0) - y
    cols = [z[:, i] for i in range(v.size)]
    cols += [v[i] * s1[:, i] * Xt[:, k] for i in range(v.size) for k in range(Xt.shape[1])]
    if model.output_bias:
        cols.append(np.ones_like(r))
    return Xt, s1, s2, r, np.array(cols).T


def my_loss(v, w, x, y, act, c=None, model=None):
    r = my_parts(v, w, x, y, act, c, model)[3]
    return float(r @ r)


def my_gradient(v, w, x, y, act, c=None, model=None):
    _, _, _, r, J = my_parts(v, w, x, y, act, c, model)
    return 2 * J.T @ r


def my_hessian(v, w, x, y, act, c=None, model=None, residual_terms=True):
    Xt, s1, s2, r, J = my_parts(v, w, x, y, act, c, model)
    H = 2 * J.T @ J
    if residual_terms:
        m, D = v.size, Xt.shape[1]
        for i in range(m):
            a = slice(m + i * D, m + (i + 1) * D)
            g = Xt.T @ (s1[:, i] * r)
            H[i, a] += 2 * g
            H[a, i] += 2 * g
            H[a, a] += 2 * v[i] * (Xt.T * (r * s2[:, i])) @ Xt
    return H


def test_the_reference_implementation_agrees_with_60_digit_differences(case):
    g, H = ref_gradient_hessian(case, case.theta())
    v, w = np.array(case.v), np.array(case.w)
    kw = case.engine_kwargs
    np.testing.assert_allclose(my_hessian(v, w, case.x, case.y, case.activation, **kw), H, rtol=1e-9, atol=1e-9)
    assert np.linalg.norm(my_gradient(v, w, case.x, case.y, case.activation, **kw) - g) < 1e-9


@pytest.mark.parametrize("name", ["loss", "gradient", "hessian"])
def test_checks_pass_a_correct_implementation(case, name):
    fn = {"loss": my_loss, "gradient": my_gradient, "hessian": my_hessian}[name]
    {"loss": check_loss, "gradient": check_gradient, "hessian": check_hessian}[name](fn, case)


def _half_gradient(*a, **k):
    return my_gradient(*a, **k) / 2


def _gradient_without_c(*a, **k):
    return my_gradient(*a, **k)[:-1]


def _gradient_bias_ignored(v, w, x, y, act, c=None, model=None):
    g = my_gradient(v, w, x, y, act, c, model)
    g[-1] = 0.0                                       # claims E does not depend on c
    return g


def _hessian_gauss_newton(*a, **k):
    return my_hessian(*a, **k, residual_terms=False)


def _hessian_no_bias_curvature(v, w, x, y, act, c=None, model=None):
    H = my_hessian(v, w, x, y, act, c, model)
    H[-1, :] = H[:, -1] = 0.0
    return H


@pytest.mark.parametrize("check,broken,match", [
    (check_gradient, _half_gradient, "at the witness"),
    (check_gradient, _gradient_without_c, r"returned shape \(4,\), expected \(5,\)"),
    (check_gradient, _gradient_bias_ignored, "at the witness"),
    (check_hessian, _hessian_gauss_newton, "residual terms"),
    (check_hessian, _hessian_no_bias_curvature, r"\|H − ∇²E\|"),
], ids=["half", "no-c", "c-ignored", "gauss-newton", "no-c-curvature"])
def test_checks_catch_a_broken_implementation(case, check, broken, match):
    with pytest.raises(VerificationFailed, match=match):
        check(broken, case)


def test_check_loss_catches_a_missing_output_bias(case):
    with pytest.raises(VerificationFailed, match="check_loss"):
        check_loss(lambda v, w, x, y, act, c=None, model=None: my_loss(v, w, x, y, act, 0.0, model), case)


def test_local_optimizer_check_in_full_theta(case):
    def lbfgsb(fun, jac, theta0):
        assert theta0.size == 5
        return scipy.optimize.minimize(fun, theta0, jac=jac, method="L-BFGS-B",
                                       options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000}).x
    check_local_optimizer(lbfgsb, case)
    with pytest.raises(VerificationFailed, match="check_local_optimizer"):
        check_local_optimizer(lambda fun, jac, theta0: theta0 + 1e-2, case)
    assert [n for n, _ in checks_for(case, loss=my_loss, gradient=my_gradient)] == ["check_loss", "check_gradient"]


def test_checks_on_a_case_without_output_bias(case_d1):
    assert case_d1.model.n_params(1) == 3
    check_gradient(my_gradient, case_d1)
    check_hessian(my_hessian, case_d1)
    with pytest.raises(VerificationFailed):
        check_hessian(_hessian_gauss_newton, case_d1)


# ------------------------------------------------ problems and exports (numpy, torch, jax) --

@pytest.mark.parametrize("backend", ["numpy", "torch", "jax"])
def test_problem_backends_agree_with_60_digits(case, backend):
    if backend != "numpy":
        pytest.importorskip(backend)
    p = problems.load(case, backend=backend)
    assert p.n_params == 5 and p.parameter_order.endswith("c); w_i[3] is the hidden bias")
    theta = np.asarray(p.theta_star, dtype=float)
    np.testing.assert_array_equal(theta, case.theta())
    wit = np.asarray(p.witness, dtype=float)
    g_ref, H_ref = ref_gradient_hessian(case, wit)
    assert float(p.loss(p.witness)) == pytest.approx(ref_E(case, wit), rel=1e-12)
    np.testing.assert_allclose(np.asarray(p.grad(p.witness), dtype=float), g_ref, rtol=1e-8, atol=1e-8)
    u = np.arange(1.0, 6.0)
    np.testing.assert_allclose(np.asarray(p.hvp(p.witness, u), dtype=float), H_ref @ u, rtol=1e-8, atol=1e-6)
    assert np.linalg.norm(np.asarray(p.grad(p.theta_star), dtype=float)) < 1e-10
    with pytest.raises(ValueError, match="this problem has 5 parameters"):
        p.loss(np.zeros(4))


def test_torch_export_round_trip_has_both_biases(case, tmp_path):
    torch = pytest.importorskip("torch")
    from basins.problems.export import export

    out = tmp_path / "case.pt"
    assert export(case, out) == "torch"
    d = torch.load(out, weights_only=False)
    assert set(d["state_dict"]) == {"v", "w", "c"} and tuple(d["state_dict"]["w"].shape) == (1, 3)
    net = d["model"]
    assert net.hidden_bias and net.input_dim == 2
    np.testing.assert_array_equal(net.theta().detach().numpy(), case.theta())
    yhat = net(d["x"]).detach().numpy()
    E = float(((yhat - d["y"].numpy()) ** 2).sum())
    assert E == pytest.approx(ref_E(case, case.theta()), rel=1e-12)
    assert d["metadata"]["parameters"] == 5 and d["metadata"]["d"] == 2
    # the witness as weights of the same module
    with torch.no_grad():
        wt = d["witness_theta"]
        net.v.copy_(wt[:1]); net.w.copy_(wt[1:4].reshape(1, 3)); net.c.copy_(wt[4])
    E_w = float(((net(d["x"]) - d["y"]) ** 2).sum().detach())
    assert E_w == pytest.approx(ref_E(case, wt.numpy()), rel=1e-12) and E_w < E


def test_json_export_and_catalogue_row(case, tmp_path):
    from basins.problems.catalogue import case_row
    from basins.problems.export import export

    out = tmp_path / "case.json"
    export(case, out)
    d = json.loads(out.read_text())
    assert np.array(d["x"]).shape == (14, 2) and len(d["theta"]) == 5 and len(d["witness_theta"]) == 5
    row = case_row(case)
    assert row["d"] == 2 and row["parameters"] == 5


def test_perturbed_starts_draw_full_theta(case):
    hypothesis = pytest.importorskip("hypothesis")
    from basins.strategies import perturbed_starts

    @hypothesis.settings(max_examples=20, deadline=None, derandomize=True)
    @hypothesis.given(perturbed_starts(case, radius=1e-3))
    def draw(theta):
        assert theta.shape == (5,) and np.linalg.norm(theta - case.theta()) < 1e-3

    draw()
