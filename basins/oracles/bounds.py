"""Value-of-local-minima oracles: the public names of the three papers' oracles in one place.

At a differentiable local minimum the loss of several nonconvex models equals
the global minimum value of a least-squares ("induced") model.  The oracles
live in one module per paper; this module re-exports all of their public names:

- :mod:`basins.oracles.induced`: the gradient-basis value E(θ) = ||P_N[J(θ)] y||²
  for any model given its Jacobian, and for the 1-hidden-layer network
  (Kawaguchi, Huang & Kaelbling, *Every Local Minimum Value Is the Global
  Minimum Value of Induced Model in Nonconvex Machine Learning*, Neural
  Computation 2019, arXiv:1904.03673);
- :mod:`basins.oracles.depth_width`: deep fully connected networks and the
  path-sum / Gram–Schmidt formula (Kawaguchi, Huang & Kaelbling, *Effect of
  Depth and Width on Local Minima in Deep Learning*, Neural Computation 2019,
  arXiv:1811.08150);
- :mod:`basins.oracles.resnet`: ResNets (Kawaguchi & Bengio, *Depth with
  nonlinearity creates no bad local minima in ResNets*, Neural Networks 2019,
  arXiv:1810.09038);
- :mod:`basins.oracles.common`: the shared projection engine, the result type
  :class:`ValueIdentity`, the hypotheses and each paper's loss scale.

Examples
--------
>>> from basins.constructions.prop4 import construct_prop4
>>> case = construct_prop4("swish", (0.1, 2, 3), w=[1.0], v=[1.0])
>>> res = case_value_identity(case)
>>> res.holds, abs(res.difference) < 1e-9 * res.loss
(True, True)
"""

from __future__ import annotations

from basins.oracles.common import (
    DEFAULT_RTOL,
    FACTORS,
    HYPOTHESES,
    PAPERS,
    UNDECIDED_FRACTION,
    ValueIdentity,
    rank_tolerance,
)
from basins.oracles.depth_width import (
    GS_TOL_FACTOR,
    MAX_PATHS,
    DeepFormula,
    deep_d_blocks,
    deep_theorem1,
    deep_value_identity,
    gram_schmidt_value,
)
from basins.oracles.induced import (
    assert_value_identity,
    case_value_identity,
    check_value_identity,
    gradient_basis_value,
    network_value_identity,
)
from basins.oracles.resnet import ResNetValue, resnet_value

__all__ = [
    "DEFAULT_RTOL",
    "FACTORS",
    "GS_TOL_FACTOR",
    "HYPOTHESES",
    "MAX_PATHS",
    "PAPERS",
    "UNDECIDED_FRACTION",
    "DeepFormula",
    "ResNetValue",
    "ValueIdentity",
    "assert_value_identity",
    "case_value_identity",
    "check_value_identity",
    "deep_d_blocks",
    "deep_theorem1",
    "deep_value_identity",
    "gradient_basis_value",
    "gram_schmidt_value",
    "network_value_identity",
    "rank_tolerance",
    "resnet_value",
]
