"""Rigorous certificates (SPEC §7, last bullet): ball arithmetic for smooth σ, exact rationals for
piecewise-linear σ, an independent second verifier, and the certified record of a case file."""
