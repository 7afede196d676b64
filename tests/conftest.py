"""Shared fixtures: the paper's Example 2 and small seeded data."""

import pytest
from click.testing import CliRunner

from basins.cli import main
from basins.constructions.prop4 import construct_prop4

EXAMPLE2_X = (0.1, 2.0, 3.0)


@pytest.fixture(scope="session")
def example2():
    """The paper's Example 2: swish, x = (0.1, 2, 3), w = v = 1, M = 100."""
    return construct_prop4("swish", EXAMPLE2_X, w=[1.0], v=[1.0], M=100.0)


@pytest.fixture(scope="session")
def x6():
    return (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


@pytest.fixture
def run():
    """Invoke the ``basins`` command in-process: ``run("construct", "--json")``."""
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke
