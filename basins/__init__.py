"""basins: construct and certify sub-optimal basins of narrow neural networks.

The public entry points are the constructions (``construct`` and one
``construct_*`` per theorem), the numerical verification (``verify_case``),
the ball-arithmetic certificates (``certify_case``), the :class:`Case` with
its JSON form, the activations (``as_activation``), Property PT paths
(``decreasing_path``), value-of-minima oracles (``case_value_identity``) and
the test oracles for other code (``basins.oracles.checks``, ``basins.oracles.testing``).
Names outside the core are imported on first use, so ``import basins`` stays
light.

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

from basins.activations import Activation, as_activation, parse_expression, registry_names  # noqa: E402
from basins.io.case import Case, Witness, load_case  # noqa: E402
from basins.errors import (  # noqa: E402
    ActivationError,
    BasinsError,
    CaseFormatError,
    HypothesisFailed,
    InvalidArgument,
    NotApplicable,
    VerificationFailed,
)
from basins.constructions.prop4 import construct_prop4  # noqa: E402
from basins.constructions.choose import CONSTRUCTIONS, choose, construct  # noqa: E402
from basins.verification.verify import Verification, verify_case  # noqa: E402

# name -> module, imported on first access (PEP 562)
_LAZY = {
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
    "Activation", "as_activation", "parse_expression", "registry_names",
    "Case", "Witness", "load_case",
    "BasinsError", "InvalidArgument", "ActivationError", "NotApplicable", "HypothesisFailed",
    "CaseFormatError", "VerificationFailed",
    "construct", "choose", "CONSTRUCTIONS", "construct_prop4", "verify_case", "Verification",
    *sorted(_LAZY),
]
