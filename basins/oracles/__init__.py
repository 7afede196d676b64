"""Oracles for other code: value-of-minima identities from the companion results (one module per
paper, all re-exported by :mod:`basins.oracles.bounds`), the sklearn-style checks against certified
cases, and the pytest helpers."""
