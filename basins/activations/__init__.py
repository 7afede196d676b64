"""Activations (SPEC §1): the whitelist parser, the symbolic facts, the compiled evaluators.

``core`` holds :class:`Activation` and the parser; ``ppoly`` the exact
piecewise polynomials of designed activations (Theorem 4).
"""

from basins.activations.core import REGISTRY, T, Activation, as_activation, parse_expression, registry_names

__all__ = ["T", "Activation", "REGISTRY", "as_activation", "parse_expression", "registry_names"]
