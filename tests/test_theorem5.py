"""Theorem 5: positively homogeneous σ — every construction refuses; the flat path is flat."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from basins.cli import main
from basins.constructions.choose import CONSTRUCTIONS, construct
from basins.errors import InvalidArgument, NotApplicable
from basins.constructions.theorem5 import flat_path, refuse_if_homogeneous

HOMOGENEOUS = ["relu", "leaky_relu", "abs", "linear", "Max(t/3, -2*t)"]


def _relu_loss(x, y, v, w, kind="relu"):
    """Independent float loss for ReLU data (numpy only)."""
    z = np.maximum(0.0, np.outer(w, x))
    return float(np.sum((np.asarray(v) @ z - np.asarray(y)) ** 2))


@pytest.mark.parametrize("name", HOMOGENEOUS)
def test_refused(name):
    with pytest.raises(NotApplicable, match="positively homogeneous") as exc:
        refuse_if_homogeneous(name)
    assert exc.value.theorem == "Theorem 5"


# Theorem 4 designs its own σ and refuses any given activation (tested in test_theorem4.py)
@pytest.mark.parametrize("key", sorted(k for k in CONSTRUCTIONS if k != "4"))
@pytest.mark.parametrize("name", ["relu", "abs"])
def test_every_construction_refuses(key, name):
    with pytest.raises(NotApplicable, match="Theorem 5") as exc:
        construct(name, key)
    assert exc.value.theorem == "Theorem 5"


def test_auto_refuses():
    with pytest.raises(NotApplicable, match="flat path"):
        construct("leaky_relu")


def test_not_homogeneous_passes():
    for name in ("softplus", "Max(0, t - 1)", "elu"):
        refuse_if_homogeneous(name)  # no exception


def test_flat_path_keeps_the_loss_and_leaves_compact_sets():
    x, y, v, w = [0.5, 1.0, 2.0], [1.0, -1.0, 0.5], [1.5, -2.0], [0.7, -0.3]
    path = flat_path("relu", x, y, v, w, scales=[1, 10, 1e3, 1e6])
    base = _relu_loss(x, y, v, w)
    for (pv, pw), e in zip(path.points, path.losses):
        assert float(e) == pytest.approx(base, rel=1e-12)
        assert _relu_loss(x, y, pv, pw) == pytest.approx(base, rel=1e-9)
    assert path.norms[-1] > 1e6 and path.max_loss_change < 1e-40
    assert json.dumps(path.to_dict(), allow_nan=False)


def test_flat_path_with_zero_output_weights():
    path = flat_path("abs", [1.0, 2.0], [0.3, 0.4], [0.0], [2.0], scales=[1, 100])
    assert "v = 0" in path.kind
    assert path.points[1][1][0] == pytest.approx(2.0 + 99 * 2.0)
    assert float(path.losses[0]) == pytest.approx(0.25) and path.max_loss_change == 0


def test_flat_path_refusals():
    with pytest.raises(NotApplicable, match="not positively homogeneous"):
        flat_path("softplus")
    with pytest.raises(InvalidArgument, match="scales="):
        flat_path("relu", scales=[1.0, -1.0])
    with pytest.raises(InvalidArgument, match="width=0"):
        flat_path("relu", width=0)


def test_explain_relu_shows_the_path():
    res = CliRunner().invoke(main, ["explain", "--activation", "relu"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "none (Theorem 5)" in res.output and "(M·v, w/M)" in res.output
    assert "1e+06" in res.output
    res = CliRunner().invoke(main, ["explain", "--activation", "abs", "--json"], catch_exceptions=False)
    data = json.loads(res.output)
    losses = {row["loss"] for row in data["flat path"]["rows"]}
    assert len(losses) == 1 and data["key"] is None


def test_explain_smooth_activation_names_the_construction():
    res = CliRunner().invoke(main, ["explain", "--activation", "softplus", "--json"], catch_exceptions=False)
    data = json.loads(res.output)
    assert data["key"] == "6" and "flat path" not in data


def test_flat_path_on_the_general_model_keeps_the_loss_exactly():
    """SPEC §11: (M·v, w/M) with c fixed is flat for homogeneous σ in any d, with a hidden bias.
    The loss is recomputed here by hand at 60 digits (leaky ReLU with slope 1/100)."""
    import mpmath

    from basins.constructions.theorem5 import flat_path

    X = [[1.0, -2.0, 0.5], [0.25, 3.0, -1.0], [-1.5, 0.5, 2.0], [2.0, 1.0, 1.0]]
    y = [0.5, -1.0, 2.0, 0.0]
    v, w, c = [1.5, -0.5], [[0.5, -1.0, 0.25, 0.75], [-0.3, 0.2, 1.1, -0.4]], 0.125
    path = flat_path("leaky_relu", X, y, v, w, bias=True, output_bias=c, scales=(1.0, 8.0, 1e6))
    assert path.max_loss_change < 1e-40 and path.norms[-1] > 1e5
    with mpmath.workdps(60):
        def sigma(t):
            return t if t >= 0 else t / 100
        E = mpmath.fsum((mpmath.fsum(v[i] * sigma(mpmath.fsum(mpmath.mpf(w[i][k]) * ([*X[n], 1][k]) for k in range(4)))
                                     for i in range(2)) + c - y[n]) ** 2 for n in range(4))
        assert abs(mpmath.mpf(path.losses[1]) - E) < mpmath.mpf(10) ** -18
    assert path.to_dict()["bias"] is True and "c fixed" in path.kind
