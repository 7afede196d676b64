"""One entry for every construction: ``construct(activation, theorem=...)``.

``theorem`` names the result to follow; ``"auto"`` chooses what applies and
records the choice and its reason in ``case.details["chosen"]``.
"""

from __future__ import annotations

from typing import Any, Callable

from .activations import Activation, as_activation
from .case import Case
from .errors import InvalidArgument
from .prop4 import construct_prop4

__all__ = ["construct", "CONSTRUCTIONS"]

#: theorem key -> (construction, one-line description).  Other modules add theirs.
CONSTRUCTIONS: dict[str, tuple[Callable[..., Case], str]] = {
    "prop4": (construct_prop4, "Proposition 4: any C² σ, given or searched w, m < N"),
}


def _choose(act: Activation) -> tuple[str, str]:
    return "prop4", "Proposition 4 applies to any σ that is C² near the pre-activations"


def construct(activation: Activation | str, theorem: str = "auto", **kwargs: Any) -> Case:
    """Run the construction ``theorem`` (or the one that applies, for "auto")."""
    act = as_activation(activation)
    if theorem == "auto":
        key, why = _choose(act)
    elif theorem in CONSTRUCTIONS:
        key, why = theorem, "chosen by the caller"
    else:
        raise InvalidArgument(f"theorem={theorem!r} is not one of: auto, {', '.join(CONSTRUCTIONS)}")
    case = CONSTRUCTIONS[key][0](act, **kwargs)
    return case.with_(details={**case.details, "chosen": {"theorem": key, "why": why}})
