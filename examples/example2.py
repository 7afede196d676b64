"""The paper's Example 2: a bad basin of a one-neuron swish network.

Shows how ``basins.construct`` follows Proposition 4 of Li, Ding & Sun, "On the
Benefit of Width for Neural Networks: Disappearance of Basins" (arXiv:1812.11039)
for swish σ(t) = t/(1 + exp(−t)), data x = (0.1, 2, 3), hidden weight w = 1,
output weight v = 1 and scale M = 100. The script prints the direction a ⟂ S,
the targets y = ŷ − M a, the loss E = M²||a||², the witness (a point of
strictly lower loss) and the numerical verification (``basins.verify_case``).
That verification is "verified numerically", not a proof: example
``certify_and_reverify.py`` proves the same case.

Run it from the checkout::

    python examples/example2.py

Measured run time: 2.2–2.8 s wall (3 runs, 2-core machine, load average 1.3),
of which about 2 s is ``import basins`` (it loads sympy).
"""

import basins

case = basins.construct("swish", x=[0.1, 2.0, 3.0], w=[1.0], v=[1.0], M=100.0)

print(f"construction: {case.theorem} ({case.details['chosen']['why']})")
print("a        =", ", ".join(f"{a:.4f}" for a in case.details["a"]))      # paper: 1, 0.0294, -0.0365
print("y        =", ", ".join(f"{t:.4f}" for t in case.y))                 # paper: -99.9475, -1.1766, 6.5060
print(f"loss E   = {case.loss:.10g}   (M²||a||² = {case.details['M'] ** 2 * sum(a * a for a in case.details['a']):.10g})")
wit = case.witness
print(f"witness  : v = {wit.v}, w = {wit.w}, E = {wit.loss:.10g} (lower by {case.loss - wit.loss:.6g})")

verification = basins.verify_case(case)        # 2000 random directions per radius, as the CLI
print("verification:", verification.status)
for check in verification.checks:
    print(f"  {'ok ' if check.passed else 'FAIL'} {check.name:15s} {check.detail}")

assert verification.status == "verified numerically"
