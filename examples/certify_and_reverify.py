"""Certify a bad basin and prove it again from its file, as a third party would.

Shows ``basins.certify_case`` and ``basins.verify_rigorous`` on the paper's
Example 2 (Li, Ding & Sun, arXiv:1812.11039; swish, x = (0.1, 2, 3),
w = v = 1, M = 100):

1. ``certify_case`` proves, in python-flint ball arithmetic, that a box around
   the point holds exactly one critical point θ* (Krawczyk), that the Hessian
   is positive definite over the box (ball Cholesky), so θ* is a strict local
   minimum, and that the witness has strictly lower loss, so θ* is not
   global. It returns the case with its certificate attached.
2. The certificate's ``record`` lists the fields that are certified (loss,
   witness loss, activation name, theorem and its hypotheses, details.exact,
   ...) and those outside the certified record (``details``,
   ``verification``). The script prints both.
3. The certified case is written to a JSON file, read back with
   ``basins.load_case`` and re-proved by ``basins.verify_rigorous``: both
   verifiers (balls, then independent mpmath intervals) recompute everything
   from the file's exact data and reject any difference from the stored
   certificate.

Run it from the checkout::

    python examples/certify_and_reverify.py

Measured run time: 1.9–2.0 s wall (3 runs, 2-core machine, load average 1.3),
most of it ``import basins``; the two proofs take about 0.1 s.
"""

import os
import tempfile

import basins

case = basins.construct("swish", x=[0.1, 2.0, 3.0], w=[1.0], v=[1.0], M=100.0)
certified = basins.certify_case(case)          # raises VerificationFailed when not proved
cert = certified.certificate
print(f"{certified.theorem}, {certified.activation.name}: {cert['status']} ({cert['kind']})")
for name, passed, detail in ((c["name"], c["passed"], c["detail"]) for c in cert["checks"]):
    print(f"  {'ok ' if passed else 'FAIL'} {name}: {detail}")

record = cert["record"]
print("\ncertified record:", ", ".join(record["certified fields"]))
for check in record["checks"]:
    print(f"  {'ok ' if check['passed'] else 'FAIL'} {check['field']}: {check['detail']}")
print("outside the certified record:")
for field, why in record["not certified"].items():
    print(f"  {field}: {why}")

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "example2_certified.json")
    certified.save(path)
    again = basins.verify_rigorous(basins.load_case(path))   # trusts nothing stored
print(f"\nverify_rigorous: {again['status']}")
print("  first verifier: ", again["first"]["status"], "-", again["first"]["kind"])
print("  second verifier:", again["second"]["status"], "-", again["second"]["method"])

assert again["status"] == "certified"
