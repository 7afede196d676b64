"""The installed pytest plugin: fixtures ``basins_case`` and ``basins_problem``."""

from __future__ import annotations

from importlib.metadata import distributions

import numpy as np

from basins import cases, problems
from basins.io.case import Case

pytest_plugins = ["pytester"]


def _plugin_args() -> list[str]:
    """Load the plugin explicitly only when no installed distribution declares its entry point.

    Scans every distribution as pluggy does (a stale ``basins.egg-info`` in the
    source tree may shadow the installed metadata in ``entry_points()``).
    """
    installed = any(e.group == "pytest11" and e.value == "basins.pytest_plugin"
                    for d in distributions() for e in d.entry_points)
    return [] if installed else ["-p", "basins.pytest_plugin"]


def test_the_entry_point_is_declared():
    import configparser
    import pathlib

    cfg = configparser.ConfigParser()
    cfg.read(pathlib.Path(__file__).resolve().parents[1] / "setup.cfg")
    assert "basins = basins.pytest_plugin" in cfg["options.entry_points"]["pytest11"]


def test_fixtures_in_a_pytester_run(pytester):
    pytester.makepyfile(
        """
        import numpy as np
        from basins.io.case import Case

        def test_case(basins_case):
            assert isinstance(basins_case, Case)

        def test_problem(basins_problem):
            p = basins_problem
            assert abs(p.loss(p.theta_star) - p.case.loss) <= 1e-12 * p.case.loss
            assert p.backend == "numpy" and isinstance(p.guarantees, dict)
        """
    )
    result = pytester.runpytest("-v", "-p", "no:cacheprovider", *_plugin_args())
    result.assert_outcomes(passed=2 * len(cases.names()))
    for name in cases.names():
        result.stdout.fnmatch_lines([f"*test_case?{name}? PASSED*", f"*test_problem?{name}? PASSED*"])


def test_basins_case_here(basins_case):
    assert isinstance(basins_case, Case) and basins_case.name in cases.names()


def test_basins_problem_here(basins_problem, request):
    assert isinstance(basins_problem, problems.Problem)
    assert request.node.callspec.id == basins_problem.name
    g = basins_problem.grad(basins_problem.theta_star)
    assert np.all(np.isfinite(g))
