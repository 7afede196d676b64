"""The basins pytest plugin (entry point ``pytest11: basins``), installed with the package.

Fixtures
--------
basins_case
    A shipped certified case (:class:`~basins.io.case.Case`); the fixture is
    parametrized over ``basins.cases.names()``, with the case names as test ids.
basins_problem
    The same case as a numpy :class:`~basins.problems.Problem`
    (``theta_star``, ``loss``, ``grad``, ``hvp``, ``certified``, ``guarantees``).

Example::

    def test_my_optimizer_stays_stuck(basins_problem):
        theta = my_optimizer(basins_problem.loss, basins_problem.grad, basins_problem.theta_star)
        assert basins_problem.loss(theta) >= basins_problem.loss_star - 1e-9
"""

from __future__ import annotations

from typing import Any

import pytest

from basins import cases as shipped
from basins import problems
from basins.io.case import Case

__all__ = ["basins_case", "basins_problem"]

_NAMES = shipped.names()


@pytest.fixture(params=_NAMES, ids=_NAMES)
def basins_case(request: Any) -> Case:
    """A shipped certified case (parametrized over every shipped case; ids are the names)."""
    return shipped.load(request.param)


@pytest.fixture
def basins_problem(basins_case: Case) -> problems.Problem:
    """The case of :func:`basins_case` as a numpy problem."""
    return problems.load(basins_case, backend="numpy")
