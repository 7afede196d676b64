"""basins: construct and certify sub-optimal basins of narrow neural networks.

The public entry points are the constructions (``construct`` and one
``construct_*`` per theorem), the numerical verification (``verify_case``),
the ball-arithmetic certificates (``certify_case``), the :class:`Case` with
its JSON form, the activations (``as_activation``), Property PT paths
(``decreasing_path``), value-of-minima oracles (``case_value_identity``) and
the test oracles for other code (``basins.oracles.checks``, ``basins.oracles.testing``).
Every name is imported on first use, so ``import basins`` is instant (and the
``basins`` command can answer Ctrl-C from its first moment).

The subpackages follow the paper: ``activations`` (σ), ``model`` (the
networks), ``constructions`` (Proposition 4, Theorems 4–7), ``verification``
(numerical), ``certification`` (ball / exact proofs), ``landscape`` (Property
PT, barriers, sweeps), ``oracles``, ``io``, ``plot`` and ``cli``.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins*, arXiv:1812.11039.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module, imported on first access (PEP 562)
_LAZY = {
    "Activation": "activations", "as_activation": "activations", "parse_expression": "activations",
    "registry_names": "activations",
    "Case": "io.case", "Witness": "io.case", "load_case": "io.case",
    "ActivationError": "errors", "BasinsError": "errors", "CaseFormatError": "errors", "HypothesisFailed": "errors",
    "InvalidArgument": "errors", "NotApplicable": "errors", "VerificationFailed": "errors",
    "construct_prop4": "constructions.prop4",
    "CONSTRUCTIONS": "constructions.choose", "choose": "constructions.choose", "construct": "constructions.choose",
    "Verification": "verification.verify", "verify_case": "verification.verify",
    "construct_theorem4": "constructions.theorem4", "design_activation": "constructions.theorem4",
    "flat_path": "constructions.theorem5",
    "construct_theorem6": "constructions.theorem6",
    "construct_theorem7": "constructions.theorem7",
    "certify": "certification.certify", "certify_case": "certification.certify",
    "verify_rigorous": "certification.certify", "Certificate": "certification.certificate",
    "reverify": "certification.second",
    "delta_losses": "verification.sampling",
    "decreasing_path": "landscape.pt", "wide_path": "landscape.pt", "pyramid_path": "landscape.pt",
    "check_path": "landscape.paths",
    "search_path": "landscape.barrier",
    "check_assumption2": "landscape.assumptions", "full_rank_reachability": "landscape.assumptions",
    "case_value_identity": "oracles.bounds", "check_value_identity": "oracles.bounds",
    "gradient_basis_value": "oracles.bounds",
    "plot_file": "plot.figures",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"basins.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'basins' has no attribute {name!r}")


__all__ = [  # noqa: PLE0604 - the lazy names are strings, spread from _LAZY
    "__version__",
    *sorted(_LAZY),
]
