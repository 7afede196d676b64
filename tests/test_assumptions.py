"""Tests of basins.landscape.assumptions: Assumption 2 and 4, full-rank reachability (Example 1)."""

import numpy as np
import pytest

from basins.landscape.assumptions import (arithmetic_progression, check_assumption2, check_assumption4,
                                full_rank_reachability)
from basins.errors import InvalidArgument


# Known Taylor structure at 0: sin and tanh are odd with every odd coefficient non-zero;
# exp has every coefficient 1/k!; sigmoid = 1/2 + odd function; the cubic t^3+t^2+t has orders 1, 2, 3.
@pytest.mark.parametrize("act,N,holds,progression", [
    ("sin", 3, True, (1, 3, 5)),
    ("tanh", 4, True, (1, 3, 5, 7)),
    ("exp", 4, True, (0, 1, 2, 3)),
    ("sigmoid", 3, True, (1, 3, 5)),
    ("cubic", 3, True, (1, 2, 3)),
    ("cubic", 4, False, None),
    ("quadratic", 2, False, None),       # Example 1: t^p has one non-zero derivative
    ("t**5", 2, False, None),
    ("linear", 2, False, None),
    ("relu", 2, False, None),            # not analytic
    ("abs", 3, False, None),
    ("elu", 3, False, None),
], ids=lambda p: str(p))
def test_assumption2_known(act, N, holds, progression):
    r = check_assumption2(act, N)
    assert r.holds is holds
    assert r.progression == progression
    assert r.to_dict()["holds"] is holds


def test_assumption2_orders_of_sin_are_the_odd_numbers():
    r = check_assumption2("sin", 2, max_order=15)
    assert r.orders == (1, 3, 5, 7, 9, 11, 13, 15)


def test_assumption2_undecided_beyond_max_order():
    # sin has non-zero derivatives at every odd order, but 10 of them need order 19 > 9.
    r = check_assumption2("sin", 10, max_order=9)
    assert r.holds is None and "higher orders not examined" in r.reason


@pytest.mark.parametrize("orders,N,expected", [
    ([1, 3, 4, 5, 7], 3, (1, 3, 5)),
    ([1, 4, 5, 6], 3, (4, 5, 6)),
    ([0, 2, 3], 3, None),
    ([2, 5, 8, 11], 4, (2, 5, 8, 11)),
    ([7], 1, (7,)),
    ([], 1, None),
])
def test_arithmetic_progression(orders, N, expected):
    assert arithmetic_progression(orders, N) == expected


@pytest.mark.parametrize("act,holds,direction", [
    ("linear", True, 1), ("leaky_relu", True, 1), ("cubic", True, 1), ("sinh(t)", True, 1),
    ("t + tanh(t)", True, 1), ("-t", True, -1), ("t**3", True, 1),
    ("tanh", False, 1), ("sigmoid", False, 1), ("relu", False, 0), ("sin", False, 0), ("quadratic", False, 0),
])
def test_assumption4(act, holds, direction):
    r = check_assumption4(act)
    assert r.holds is holds
    assert r.direction == direction


@pytest.mark.parametrize("p", [2, 3, 5])
def test_example1_monomial_not_reachable(p):
    # Li, Ding & Sun Example 1: 2 samples, 1 input, 2 neurons, σ = z^p: rank σ(WX) ≤ 1.
    r = full_rank_reachability(f"t**{p}", [[1.0, 2.0]], 2)
    assert r.reachable is False and r.method == "exact" and r.rank_bound == 1
    assert "Example 1" in r.reason
    # independent check: σ(WX) for random W is rank one
    W = np.random.default_rng(p).standard_normal((2, 1))
    assert np.linalg.matrix_rank((W @ np.array([[1.0, 2.0]])) ** p) == 1


def test_polynomial_bound_with_two_inputs():
    # t^2 with d0 = 2: homogeneous quadratics in 2 variables span 3 dimensions
    X = np.random.default_rng(0).standard_normal((2, 4))
    r = full_rank_reachability("quadratic", X, 5)
    assert r.reachable is False and r.rank_bound == 3


@pytest.mark.parametrize("act", ["tanh", "swish", "sigmoid", "exp"])
def test_reachable_activations(act):
    X = np.array([[0.5, 1.0, -1.5, 2.0]])
    r = full_rank_reachability(act, X, 4, delta=1.0, seed=1)
    assert r.reachable is True and r.best_rank == 4


def test_width_below_N_is_exactly_unreachable():
    r = full_rank_reachability("tanh", [[1.0, 2.0, 3.0]], 2)
    assert r.reachable is False and r.method == "exact"


def test_errors():
    with pytest.raises(InvalidArgument, match="N=0"):
        check_assumption2("tanh", 0)
    with pytest.raises(InvalidArgument, match="max_order=-1"):
        check_assumption2("tanh", 2, max_order=-1)
    with pytest.raises(InvalidArgument, match="N=0"):
        arithmetic_progression([1, 2], 0)
    with pytest.raises(InvalidArgument, match="width=0"):
        full_rank_reachability("tanh", [[1.0, 2.0]], 0)
    with pytest.raises(InvalidArgument, match="X with shape"):
        full_rank_reachability("tanh", np.zeros((1, 2, 2)), 2)
    with pytest.raises(InvalidArgument, match="W has shape"):
        full_rank_reachability("tanh", [[1.0, 2.0]], 2, W=np.zeros((3, 1)))
