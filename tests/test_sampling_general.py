"""The sampling kernel on the model of SPEC §11, against mpmath at 60 digits."""

import mpmath
import numpy as np
import pytest

from basins.activations import as_activation
from basins.errors import InvalidArgument
from basins.model import engine
from basins.verification.sampling import delta_losses, delta_losses_model

MODELS = [engine.Model(input_dim=2, hidden_bias=True, output_bias=True),
          engine.Model(input_dim=3, hidden_bias=False, output_bias=False),
          engine.Model(input_dim=1, hidden_bias=True, output_bias=False)]


def _mp_delta(act, X, y, v, W, c, d, model):
    """E(θ + δ) − E(θ) at 60 digits, from the exact binary values of the floats."""
    m, D = len(v), model.D
    with mpmath.workdps(60):
        ctx = engine.MpmathContext(act)

        def E(th):
            cc = th[-1] if model.output_bias else None
            return engine.loss(ctx, X.tolist(), y.tolist(), th[:m], [th[m + i * D:m + (i + 1) * D] for i in range(m)],
                               c=cc, model=model)

        th = [mpmath.mpf(e) for e in np.concatenate([v, W.ravel(), [c] if model.output_bias else []])]
        return float(E([a + mpmath.mpf(b) for a, b in zip(th, d)]) - E(th))


@pytest.mark.parametrize("model", MODELS, ids=["d2-both", "d3-none", "d1-hidden"])
@pytest.mark.parametrize("name", ["tanh", "swish", "softplus"])
def test_general_kernel_matches_mpmath_down_to_tiny_steps(model, name):
    act = as_activation(name)
    rng = np.random.default_rng(7)
    m, N = 2, 9
    X = rng.normal(size=(N, model.input_dim))
    y = rng.normal(size=N)
    v = rng.normal(size=m)
    W = rng.normal(size=(m, model.D))
    c = 0.25 if model.output_bias else None
    n = model.n_params(m)
    dirs = rng.normal(size=(6, n))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    for radius in (1e-1, 1e-4, 1e-8):
        d = radius * dirs
        got = delta_losses_model(act, X, y, v, W, d, c=c, model=model)
        for k in range(d.shape[0]):
            want = _mp_delta(act, X, y, v, W, c if c is not None else 0.0, d[k], model)
            # accurate relative to the second-order scale |δ|², and to the first-order term
            assert abs(got[k] - want) <= 1e-9 * radius**2 + 1e-12 * abs(want), (radius, k, got[k], want)


def test_scalar_model_goes_to_the_scalar_kernel():
    x, y, v, w = np.array([0.1, 2.0, 3.0]), np.array([0.5, -1.0, 2.0]), np.array([1.0]), np.array([0.7])
    d = np.array([[1e-3, -2e-3], [0.1, 0.05]])
    np.testing.assert_array_equal(delta_losses_model("swish", x, y, v, w, d),
                                  delta_losses("swish", x, y, v, w, d[:, :1], d[:, 1:]))


def test_general_kernel_refuses_mismatched_shapes():
    model = MODELS[0]
    with pytest.raises(InvalidArgument, match="θ has 5 entries"):
        delta_losses_model("tanh", np.ones((3, 2)), np.ones(3), [1.0], [[1.0, 1.0, 1.0]], np.ones((2, 4)),
                           c=0.0, model=model)
