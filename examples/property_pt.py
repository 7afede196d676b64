"""Property PT: width makes the bad basin of Example 2 disappear.

Li, Ding & Sun (arXiv:1812.11039) show that a wide network has Property PT:
from any point, after an arbitrarily small perturbation, a strictly
decreasing path reaches the global infimum (their Theorem 2 for a last hidden
layer of width d_H ≥ N). A narrow network need not have it: the paper's
Example 2 is a bad basin. This script shows both sides on the same data.

1. Narrow (m = 1 < N = 3): ``basins.search_path`` perturbs the Example 2 point
   and searches a strictly decreasing path to the witness. It comes out
   "blocked", with the barrier of the best path found (an upper bound on the
   barrier that any path must climb).
2. Wide (m = N = 3): the same neuron plus two zero neurons, the same x and y.
   ``basins.decreasing_path`` (here Theorem 2's wide path) perturbs the hidden
   weights by at most δ = 1e-3 until the hidden features have rank N, then
   moves the output weights on a segment along which E(λ) = (1 − λ)² E(W^p)
   falls strictly to 0. The loss is recomputed at 1001 values of λ.
3. A deeper wide network (widths 2, 16, 16, 1; tanh; N = 8 random samples).

Everything here is "verified numerically" (floating-point checks), not
certified. Run it from the checkout::

    python examples/property_pt.py

Measured run time: 3.1–3.7 s wall (3 runs, 2-core machine, load average 1.3),
of which about 2 s is ``import basins``; the barrier search takes about 0.4 s.
"""

import numpy as np

import basins

# 1. the narrow network: Example 2 (swish, x = (0.1, 2, 3), w = v = 1, M = 100)
case = basins.construct("swish", x=[0.1, 2.0, 3.0], w=[1.0], v=[1.0], M=100.0)
search = basins.search_path(case)
print(f"narrow, m = 1, N = 3: {search.status}; barrier of the path found: {search.barrier:.4g} "
      f"(E at the point {case.loss:.7g}, at the witness {case.witness.loss:.7g})")

# 2. the same data, width m = N = 3, starting at the bad point (two extra neurons at zero)
X, Y = np.array([case.x]), np.array([case.y])          # shapes (d_0, N) and (d_out, N)
W1 = np.array([[case.w[0]], [0.0], [0.0]])             # hidden weights, (3, 1)
W2 = np.array([[case.v[0], 0.0, 0.0]])                 # output weights, (1, 3)
wide = basins.decreasing_path([1, 3, 1], "swish", X, Y, weights=[W1, W2])
drops = -np.diff(wide.losses)
print(f"wide,   m = 3, N = 3: {wide.theorem}; "
      f"strictly decreasing to 0: {wide.verified} (verified numerically)")
print(f"  perturbation {wide.perturbation:.2g} (allowed {wide.delta:.2g}), "
      f"smallest singular value of the hidden features {wide.sigma_min:.3g}")
print(f"  E: {wide.start_loss:.7g} -> {wide.end_loss:.3g} along {len(wide.losses)} samples; "
      f"smallest drop between samples {drops.min():.3g}")

# 3. a deeper wide network on random data
rng = np.random.default_rng(0)
Xd, Yd = rng.standard_normal((2, 8)), rng.standard_normal((1, 8))
deep = basins.decreasing_path([2, 16, 16, 1], "tanh", Xd, Yd)
print(f"deep,   widths 2-16-16-1, N = 8: {deep.theorem}; "
      f"strictly decreasing to 0: {deep.verified}; E: {deep.start_loss:.4g} -> {deep.end_loss:.3g}")

assert search.status == "blocked"
assert wide.verified and wide.strictly_decreasing and wide.end_loss_ok
assert deep.verified
