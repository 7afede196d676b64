"""basins.strategies: shipped cases and starts inside a ball around θ*."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from basins import cases, strategies
from basins.errors import InvalidArgument
from basins.io.case import Case

NAMES = cases.names()


@given(strategies.cases())
@settings(max_examples=30, deadline=None)
def test_cases_draws_shipped_cases(case):
    assert isinstance(case, Case) and case.name in NAMES


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_perturbed_starts_stay_inside_the_radius(data):
    case = data.draw(strategies.cases())
    radius = data.draw(st.sampled_from([1e-8, 1e-3, 0.5]))
    theta = data.draw(strategies.perturbed_starts(case, radius=radius))
    centre = case.theta()
    assert theta.dtype == np.float64 and theta.shape == centre.shape
    assert np.linalg.norm(theta - centre) < radius


def _with_radius(name: str, radius: float) -> Case:
    case = cases.load(name)
    cert = dict(case.certificate)
    cert["guarantees"] = {**(cert.get("guarantees") or {}), "basin_radius": radius}
    return case.with_(certificate=cert)


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_the_radius_defaults_to_the_certified_basin_radius(data):
    case = _with_radius("swish_m4_n16", 2e-4)
    theta = data.draw(strategies.perturbed_starts(case))
    assert np.linalg.norm(theta - np.array(case.v + case.w)) < 2e-4


def test_draws_reach_the_boundary_region():
    case = _with_radius("exp_m1_n5", 1.0)
    far = []

    @given(strategies.perturbed_starts(case))
    @settings(max_examples=200, deadline=None)
    def collect(theta):
        far.append(np.linalg.norm(theta - np.array(case.v + case.w)))

    collect()
    assert max(far) > 0.5 and min(far) < 0.5 and max(far) < 1.0


def test_a_missing_basin_radius_is_a_one_line_error():
    case = cases.load("exp_m1_n5").with_(certificate={"status": "certified", "kind": "smooth"})
    with pytest.raises(InvalidArgument, match="no guarantees.basin_radius; pass radius= explicitly") as err:
        strategies.perturbed_starts(case)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("radius", [0.0, -1.0, float("inf"), float("nan")])
def test_a_bad_radius_is_refused(radius):
    with pytest.raises(InvalidArgument, match="radius"):
        strategies.perturbed_starts("exp_m1_n5", radius=radius)


def test_unknown_names_are_refused():
    with pytest.raises(InvalidArgument, match="not shipped"):
        strategies.cases(["nope"])
