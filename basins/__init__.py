"""basins: construct and certify sub-optimal basins of narrow neural networks.

The public entry points are the constructions (``construct_prop4``), the
verification (``verify_case``), the :class:`Case` with its JSON form, and
the activations (``as_activation``).

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance
of Basins* (shared/papers/002_dcd1bd86d7cd4545.txt).
"""

__version__ = "0.1.0"

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
from .verify import Verification, verify_case  # noqa: E402

__all__ = [
    "__version__",
    "Activation", "as_activation", "parse_expression", "registry_names",
    "Case", "Witness", "load_case",
    "BasinsError", "InvalidArgument", "ActivationError", "NotApplicable", "HypothesisFailed",
    "CaseFormatError", "VerificationFailed",
    "construct_prop4", "verify_case", "Verification",
]
