"""Oracles for other code: value-of-minima identities from the companion results, the sklearn-style
checks against certified cases, and the pytest helpers."""
