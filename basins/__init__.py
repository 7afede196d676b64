"""basins: construct and certify sub-optimal basins of narrow neural networks.

The public entry points are the constructions (``construct`` and one
``construct_*`` per theorem), the numerical verification (``verify_case``),
the ball-arithmetic certificates (``certify_case``), the :class:`Case` with
its JSON form, the activations (``as_activation``), Property PT paths
(``decreasing_path``), value-of-minima oracles (``case_value_identity``) and
the test oracles for other code (``basins.checks``, ``basins.testing``).
Names outside the core are imported on first use, so ``import basins`` stays
light.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins* (shared/papers/002_dcd1bd86d7cd4545.txt).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

__version__ = "0.1.0"

# Installed, the shipped cases are the subpackage basins.cases; in a source checkout they sit in
# <checkout>/cases beside this folder, so the checkout's root is searched for that one subpackage.
_here = os.path.dirname(os.path.abspath(__file__))
if not os.path.isdir(os.path.join(_here, "cases")) and os.path.isfile(
        os.path.join(os.path.dirname(_here), "cases", "__init__.py")):
    __path__.append(os.path.dirname(_here))  # type: ignore[name-defined]

from .activations import Activation, as_activation, parse_expression, registry_names  # noqa: E402
from .case import Case, Witness, load_case  # noqa: E402
from .errors import (  # noqa: E402
    ActivationError,
    BasinsError,
    CaseFormatError,
    HypothesisFailed,
    InvalidArgument,
    NotApplicable,
    VerificationFailed,
)
from .prop4 import construct_prop4  # noqa: E402
from .construct import CONSTRUCTIONS, choose, construct  # noqa: E402  (the function shadows its module)
from .verify import Verification, verify_case  # noqa: E402

# name -> module, imported on first access (PEP 562)
_LAZY = {
    "construct_theorem4": "theorem4", "design_activation": "theorem4",
    "flat_path": "theorem5",
    "construct_theorem6": "theorem6",
    "construct_theorem7": "theorem7",
    "certify_case": "certify", "verify_rigorous": "certify", "Certificate": "certify",
    "delta_losses": "sampling",
    "decreasing_path": "pt", "wide_path": "pt", "pyramid_path": "pt", "check_path": "pt",
    "search_path": "barrier",
    "check_assumption2": "assumptions", "full_rank_reachability": "assumptions",
    "case_value_identity": "bounds", "check_value_identity": "bounds", "gradient_basis_value": "bounds",
    "plot_file": "plot",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'basins' has no attribute {name!r}")


__all__ = [
    "__version__",
    "Activation", "as_activation", "parse_expression", "registry_names",
    "Case", "Witness", "load_case",
    "BasinsError", "InvalidArgument", "ActivationError", "NotApplicable", "HypothesisFailed",
    "CaseFormatError", "VerificationFailed",
    "construct", "choose", "CONSTRUCTIONS", "construct_prop4", "verify_case", "Verification",
    *sorted(_LAZY),
]
