"""Tests of basins.oracles.checks: every oracle passes a correct implementation and catches a broken one."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from basins.oracles.checks import (check_global_search, check_gradient, check_hessian, check_local_optimizer, check_loss,
                           checks_for, is_kinked)
from basins.errors import InvalidArgument, VerificationFailed
from basins.oracles.testing import load_shipped


# ----------------------------------------------------- an independent implementation --
# written here from SPEC §0 with finite differences of nothing: numpy float64 closed forms

def my_loss(v, w, x, y, act):
    r = v @ act.numpy(0)(np.outer(w, x)) - y
    return float(r @ r)


def my_gradient(v, w, x, y, act):
    u = np.outer(w, x)
    z, z1 = act.numpy(0)(u), x * act.numpy(1)(u)
    r = v @ z - y
    return np.concatenate([2 * z @ r, 2 * v * (z1 @ r)])


def my_hessian(v, w, x, y, act, residual_terms=True):
    u = np.outer(w, x)
    z, z1, z2 = act.numpy(0)(u), x * act.numpy(1)(u), x * x * act.numpy(2)(u)
    r = v @ z - y
    J = np.vstack([z, v[:, None] * z1]).T
    H = 2 * J.T @ J
    if residual_terms:
        m = v.size
        i = np.arange(m)
        H[i, m + i] += 2 * z1 @ r
        H[m + i, i] += 2 * z1 @ r
        H[m + i, m + i] += 2 * v * (z2 @ r)
    return H


def lbfgsb(fun, jac, theta0):
    return scipy.optimize.minimize(fun, theta0, jac=jac, method="L-BFGS-B",
                                   options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000}).x


def multistart(fun, jac, theta0, starts=8, seed=0):
    rng = np.random.default_rng(seed)
    best, val = theta0, fun(theta0)
    m = theta0.size // 2
    for _ in range(starts):
        start = np.concatenate([rng.normal(0, 100, m), rng.normal(0, 3, m)])
        res = scipy.optimize.minimize(fun, start, jac=jac, method="L-BFGS-B", options={"maxiter": 300})
        if res.fun < val:
            best, val = res.x, res.fun
    return best


@pytest.fixture(scope="module")
def case():
    return load_shipped("gelu_m2_n8")


# ------------------------------------------------------------------ correct ones pass --

@pytest.mark.parametrize("name", ["example2_swish", "gelu_m2_n8", "tanh_m3_n12", "sin_m8_n64"])
def test_correct_implementations_pass(name: str) -> None:
    c = load_shipped(name)
    check_loss(my_loss, c)
    check_gradient(my_gradient, c)
    check_hessian(my_hessian, c)
    check_local_optimizer(lbfgsb, c)


def test_global_search_by_multistart_passes(case) -> None:
    check_global_search(multistart, case)


# ------------------------------------------------------------- broken ones are caught --

def test_loss_with_a_factor_half_is_caught(case) -> None:
    with pytest.raises(VerificationFailed, match=r"check_loss: .*gelu_m2_n8.*factor 1/2"):
        check_loss(lambda *a: 0.5 * my_loss(*a), case)


def test_loss_with_a_wrong_activation_is_caught(case) -> None:
    with pytest.raises(VerificationFailed, match="check_loss: .* at the point"):
        check_loss(lambda v, w, x, y, act: my_loss(v, w, x, y, load_shipped("example2_swish").activation), case)


def test_loss_returning_garbage_is_caught(case) -> None:
    with pytest.raises(VerificationFailed, match="not a number"):
        check_loss(lambda *a: "zero", case)


def test_gradient_that_is_always_zero_is_caught(case) -> None:
    with pytest.raises(VerificationFailed, match="check_gradient: .*at the witness"):
        check_gradient(lambda v, w, x, y, act: np.zeros(2 * v.size), case)


def test_gradient_without_the_factor_v_is_caught(case) -> None:
    def broken(v, w, x, y, act):
        g = my_gradient(v, w, x, y, act)
        m = v.size
        g[m:] = g[m:] / np.where(v == 0, 1.0, v)
        return g
    with pytest.raises(VerificationFailed, match="check_gradient"):
        check_gradient(broken, case)


def test_gradient_of_wrong_shape_is_caught(case) -> None:
    with pytest.raises(VerificationFailed, match="shape"):
        check_gradient(lambda v, w, x, y, act: my_gradient(v, w, x, y, act)[:-1], case)


def test_gauss_newton_hessian_is_caught(case) -> None:
    with pytest.raises(VerificationFailed, match="residual terms"):
        check_hessian(lambda *a: my_hessian(*a, residual_terms=False), case)


def test_asymmetric_hessian_is_caught(case) -> None:
    def broken(*a):
        H = my_hessian(*a)
        H[0, -1] += 1.0
        return H
    with pytest.raises(VerificationFailed, match="not symmetric"):
        check_hessian(broken, case)


def test_optimizer_that_does_nothing_is_caught(case) -> None:
    with pytest.raises(VerificationFailed, match="check_local_optimizer: .*excess loss"):
        check_local_optimizer(lambda fun, jac, theta0: theta0, case)


def test_optimizer_that_leaves_the_basin_is_caught(case) -> None:
    witness = np.concatenate([case.witness.v, case.witness.w])
    with pytest.raises(VerificationFailed, match="check_local_optimizer"):
        check_local_optimizer(lambda fun, jac, theta0: witness, case)


def test_local_search_posing_as_global_is_caught(case) -> None:
    with pytest.raises(VerificationFailed, match="check_global_search: .*above the witness"):
        check_global_search(lbfgsb, case)


def test_raising_callable_is_reported(case) -> None:
    def broken(*a):
        raise ZeroDivisionError("boom")
    with pytest.raises(VerificationFailed, match="raised ZeroDivisionError: boom"):
        check_loss(broken, case)


def test_non_callable_is_refused(case) -> None:
    with pytest.raises(InvalidArgument, match="is not callable"):
        check_loss(3.0, case)


def test_bad_optimizer_arguments(case) -> None:
    with pytest.raises(InvalidArgument, match="radius=-1"):
        check_local_optimizer(lbfgsb, case, radius=-1)


# ------------------------------------------------------------------ kinked cases --

def test_kinked_case_declares_non_applicable_checks() -> None:
    c = load_shipped("theorem7_shifted_relu_m2_n8")
    assert is_kinked(c) and not is_kinked(load_shipped("gelu_m2_n8"))
    # a designed Theorem 4 σ has breakpoints at the nodes w_i x_j but is C² there: not kinked
    assert not is_kinked(load_shipped("theorem4_designed_m2_n4"))
    names = [n for n, _ in checks_for(c, loss=my_loss, gradient=my_gradient, hessian=my_hessian,
                                      local_optimizer=lbfgsb)]
    assert names == ["check_loss"]
    with pytest.raises(InvalidArgument, match="not differentiable"):
        check_gradient(my_gradient, c)
    with pytest.raises(InvalidArgument, match="not twice differentiable"):
        check_hessian(my_hessian, c)
    with pytest.raises(InvalidArgument, match="do not converge reliably"):
        check_local_optimizer(lbfgsb, c)


def test_checks_for_runs_and_names(case) -> None:
    found = dict(checks_for(case, loss=my_loss, hessian=my_hessian))
    assert list(found) == ["check_loss", "check_hessian"]
    for run in found.values():
        run()


def test_checks_for_unknown_keyword(case) -> None:
    with pytest.raises(InvalidArgument, match="unknown keyword"):
        list(checks_for(case, los=my_loss))


def test_global_search_needs_a_witness(case) -> None:
    with pytest.raises(InvalidArgument, match="has no witness"):
        check_global_search(multistart, case.with_(witness=None))
