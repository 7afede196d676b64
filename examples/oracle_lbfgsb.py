"""A shipped certified case as a test oracle for a local optimizer (scipy's L-BFGS-B).

A shipped case (``basins.cases.load(name)``) carries a certificate: a box
around its point holds exactly one critical point θ*, a strict local minimum
that is not global. That makes it a test a local optimizer must pass: started
near θ*, a correct local method must converge to θ* and stay in its basin (it
must not report a lower loss there, nor wander off to the witness's lower
basin). The parameters are ordered θ = (v_1..v_m, w_1..w_m), the network is
ŷ = Σ v_i σ(w_i x) and the loss is E = ||y − ŷ||² (no factor 1/2), as in Li,
Ding & Sun, arXiv:1812.11039.

The script writes the loss and its gradient with numpy from the case's x, y and
σ (``case.activation.numpy(order)``), starts L-BFGS-B at θ* + δ with
|δ| = 1e-3·(1 + |θ*|) in a seeded random direction, records every iterate and
checks that

* it stays in the basin: every iterate lies within 10·|δ| of θ* and has loss
  E(θ) − E(θ*) > 0, computed without cancellation by ``basins.delta_losses``
  (subtracting two float64 losses of size 1e4 would be mostly rounding);
* it converges to θ*: the final excess loss E(θ_end) − E(θ*) is at most 1e-4
  times the start's, and θ_end is closer to θ* than θ0 was.

These checks are numerical: the certificate proves that θ* is a strict local
minimum, not how large its basin is, so keep the start close (here 1e-3
relative). Closeness in θ alone would be the wrong test: in float64 a minimum is resolved
only to about √(ε·E/λ) along a soft Hessian direction of curvature λ, which
for these cases (E ≈ 1e4) can be 1e-3.

Run it from the checkout (the case name is optional; see
``python -c "import basins.cases as c; print(c.names())"``)::

    python examples/oracle_lbfgsb.py [tanh_m3_n12]

It passes for each of the 12 shipped cases of smooth σ (Proposition 4,
Theorems 4 and 6). The Theorem 7 cases are refused: their points sit on kinks
of σ, where E has no gradient.

Measured run time: 2.7–3.6 s wall for tanh_m3_n12 (3 runs, 2-core machine,
load average 1.3; 1.5–3 s for the other cases), most of it ``import basins``.
"""

import sys

import numpy as np
import scipy.optimize

import basins
import basins.cases

name = sys.argv[1] if len(sys.argv) > 1 else "tanh_m3_n12"
case = basins.cases.load(name)
if case.theorem == "Theorem 7":
    sys.exit(f"{name}: a Theorem 7 point sits on kinks of σ, where E has no gradient; "
             "a gradient method is not the test for it (use a smooth case)")
x, y = np.array(case.x), np.array(case.y)
m = case.m
sigma, dsigma = case.activation.numpy(0), case.activation.numpy(1)


def loss_and_gradient(theta):
    v, w = theta[:m], theta[m:]
    pre = np.outer(w, x)                    # (m, N): w_i x_j
    r = v @ sigma(pre) - y                  # residual ŷ − y
    grad_v = 2 * sigma(pre) @ r             # ∂E/∂v_i = 2 z_i·r
    grad_w = 2 * v * ((x * dsigma(pre)) @ r)  # ∂E/∂w_i = 2 v_i z′_i·r
    return float(r @ r), np.concatenate([grad_v, grad_w])


theta_star = np.concatenate([case.v, case.w])
scale = 1 + np.linalg.norm(theta_star)
direction = np.random.default_rng(0).standard_normal(2 * m)
start_offset = 1e-3 * scale
theta0 = theta_star + start_offset * direction / np.linalg.norm(direction)

iterates = [theta0]
result = scipy.optimize.minimize(loss_and_gradient, theta0, jac=True, method="L-BFGS-B",
                                 callback=lambda th: iterates.append(np.array(th)),
                                 options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10000})
iterates.append(result.x)
steps = np.array(iterates) - theta_star
# E(θ* + δ) − E(θ*) for every iterate at once, without subtracting two losses
excess = basins.delta_losses(case.activation, x, y, case.v, case.w, steps[:, :m], steps[:, m:])
distance = np.linalg.norm(steps, axis=1)

print(f"case {name}: {case.theorem}, σ = {case.activation.name}, m = {m}, N = {case.N}, "
      f"certificate: {case.certificate['status']}")
print(f"E(θ*) = {case.loss:.12g}, witness E = {case.witness.loss:.12g} (lower: θ* is not a global minimum)")
print(f"L-BFGS-B: {result.nit} iterations, {result.message}")
print(f"  |θ − θ*|:       start {distance[0]:.3g}, largest {distance.max():.3g}, end {distance[-1]:.3g}")
print(f"  E(θ) − E(θ*):   start {excess[0]:.3g}, smallest {excess.min():.3g}, end {excess[-1]:.3g}")

rounding = 1e-12 * case.loss     # delta_losses is accurate to a few ε of the second-order terms
assert distance.max() <= 10 * distance[0] and np.all(excess > -rounding), "left the basin"
assert excess[-1] <= 1e-4 * excess[0] and distance[-1] < distance[0], "did not converge to θ*"
print("passed: L-BFGS-B stays in the certified basin and converges to θ*")
