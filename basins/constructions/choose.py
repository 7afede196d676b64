"""One entry for every construction: ``construct(activation, theorem=...)``.

``theorem`` names the result to follow; ``"auto"`` chooses what applies and
records the choice and its reason in ``case.details["chosen"]``:

1. a positively homogeneous σ is refused (Theorem 5: no basin at any width);
2. a piecewise-linear σ gets Theorem 7 (σ″ = 0 defeats Proposition 4);
3. Theorem 6 when its hypotheses hold (σ(0), σ′(0), σ″(0) ≠ 0, m = 1, w free,
   N ≥ 3, no zero input);
4. otherwise Proposition 4 (with a search for w unless w is given).

Theorem 4 designs its own σ and is never chosen automatically.

``construct_request(...)`` is the whole policy of a request with defaults (what
``basins construct`` calls): with nothing given it is the paper's Example 2
(swish, x = (0.1, 2, 3), w = v = 1, M = 100); when Example 2's w = v = 1 misses
a hypothesis of Proposition 4 for another σ, w is searched (seeded) instead, and
the reason is recorded in ``case.details["chosen"]``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from basins.activations import Activation, as_activation
from basins.io.case import Case
from basins.errors import BasinsError, InvalidArgument, NotApplicable
from basins.constructions.prop4 import construct_prop4
from basins.constructions.theorem4 import construct_theorem4
from basins.constructions.theorem5 import refuse_if_homogeneous
from basins.constructions.theorem6 import check_theorem6, construct_theorem6
from basins.constructions.theorem7 import construct_theorem7

__all__ = ["construct", "choose", "explain_choice", "construct_request", "plan_request", "RequestConflict",
           "CONSTRUCTIONS", "EXAMPLE2", "DEFAULT_X_BY_THEOREM"]

#: theorem key -> (construction, one-line description).  Other modules add theirs.
CONSTRUCTIONS: dict[str, tuple[Callable[..., Case], str]] = {
    "prop4": (construct_prop4, "Proposition 4: any C² σ, given or searched w, m < N"),
    "4": (construct_theorem4, "Theorem 4: design a C² σ (piecewise quintic Hermite) for any x and m < N"),
    "6": (construct_theorem6, "Theorem 6: one neuron at w = 0 when σ(0), σ′(0), σ″(0) ≠ 0"),
    "7": (construct_theorem7, "Theorem 7: piecewise-linear σ with σ(0) = σ′(0) = 0, pattern construction"),
}


def _size(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return len(value)
    except TypeError:
        return 1


def _has_zero(x: Any) -> bool:
    """Whether the inputs x (a sequence, or None) hold a zero entry; unreadable entries count as none."""
    if x is None:
        return False
    try:
        return any(float(a) == 0.0 for a in x)
    except (TypeError, ValueError):
        return False


def choose(activation: Activation | str, **kwargs: Any) -> tuple[str, str]:
    """The construction that applies to σ (and the options), with the reason.

    Raises NotApplicable for a positively homogeneous σ (Theorem 5).

    References
    ----------
    Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of Basins*, arXiv:1812.11039,
    Theorems 5, 6, 7 and Proposition 4.

    Examples
    --------
    >>> choose("swish")[0], choose("softplus")[0], choose("Max(0, t - 1)")[0]
    ('prop4', '6', '7')
    """
    act = as_activation(activation)
    refuse_if_homogeneous(act)
    if act.piecewise_linear is not None:
        return "7", ("σ is piecewise linear, so σ″ = 0 and condition 2 of Proposition 4 fails; "
                     "Theorem 7 (pattern construction) is the result for piecewise-linear σ")
    width, w, v, x = kwargs.get("width"), kwargs.get("w"), kwargs.get("v"), kwargs.get("x")
    if width not in (None, 1) or w is not None or _size(v) not in (None, 1):
        why6 = "Theorem 6 needs a single neuron with w free (m = 1, no --w)"
    elif _size(x) is not None and _size(x) < 3:  # type: ignore[operator]
        why6 = "Theorem 6 needs N ≥ 3 samples"
    elif _has_zero(x):
        why6 = "Theorem 6 needs inputs with no zero entry (Proposition 4 does not)"
    else:
        try:
            vals = check_theorem6(act)
        except NotApplicable as exc:
            why6 = f"Theorem 6 does not apply ({exc.hypothesis} fails)"
        else:
            return "6", ("σ is C² at 0 with " + ", ".join(f"{k} = {val}" for k, val in vals.items())
                         + " all non-zero and m = 1: Theorem 6 (one neuron at w = 0, then Proposition 4)")
    search = "" if w is not None else ", with a seeded search for w"
    return "prop4", f"{why6}; Proposition 4 applies to any σ that is C² near the pre-activations{search}"


def explain_choice(activation: Activation | str) -> dict[str, Any]:
    """What basins decides about σ and which construction ``auto`` would use, as JSON-ready data.

    Examples
    --------
    >>> explain_choice("relu")["construction"]
    'none (Theorem 5)'
    """
    act = as_activation(activation)
    props = act.properties()
    try:
        key, why = choose(act)
        text = f"{key}: {CONSTRUCTIONS[key][1]}"
    except NotApplicable as exc:
        key, text, why = None, f"none ({exc.theorem})", str(exc)
    return {"activation": act.text, "name": act.name, "properties": props, "key": key,
            "construction": text, "why": why}


def construct(activation: Activation | str | None, theorem: str = "auto", **kwargs: Any) -> Case:
    """Run the construction ``theorem`` (or the one that applies, for "auto").

    The choice and its reason are stored in ``case.details["chosen"]``.
    ``activation`` is None for Theorem 4 (which designs σ) and only there.

    References
    ----------
    Li, Ding & Sun, Proposition 4 and Theorems 4–7 (arXiv:1812.11039).
    """
    if activation is None and theorem == "4":      # Theorem 4 designs σ itself
        case = _float64_guard(construct_theorem4, None, kwargs)
        return case.with_(details={**case.details, "chosen": {"theorem": "4", "why": "chosen by the caller"}})
    act = as_activation(activation)
    x = kwargs.get("x")
    if (x is not None and np.ndim(x) == 2) or kwargs.get("bias") or kwargs.get("output_bias"):
        # SPEC §11: d-dimensional inputs or biases; only the generalized Proposition 4 applies
        if theorem not in ("auto", "prop4"):
            raise NotApplicable(f"theorem={theorem!r} is a statement about scalar inputs without biases (d = 1); "
                                "inputs in R^d or biases need the generalized Proposition 4 (theorem='prop4')",
                                theorem=theorem, hypothesis="d = 1 without biases")
        from basins.constructions.general import construct_general

        rest = {k: val for k, val in kwargs.items() if k != "x"}
        case = construct_general(act, x, **rest)
        return case.with_(details={**case.details, "chosen": {
            "theorem": "prop4", "why": "inputs in R^d or biases: the generalized Proposition 4 (SPEC §11)"}})
    if theorem == "auto":
        key, why = _float64_guard(choose, act, kwargs)
    elif theorem in CONSTRUCTIONS:
        key, why = theorem, "chosen by the caller"
    else:
        raise InvalidArgument(f"theorem={theorem!r} is not one of: auto, {', '.join(CONSTRUCTIONS)}")
    case = _float64_guard(CONSTRUCTIONS[key][0], act, kwargs)
    return case.with_(details={**case.details, "chosen": {"theorem": key, "why": why}})


def _float64_guard(fn: Any, act: Any, kwargs: dict[str, Any]) -> Any:
    """``fn(act, **kwargs)``; an overflow of float64 arithmetic (NaN/inf in a factorisation, an
    OverflowError) becomes an InvalidArgument naming the numbers given, e.g. ``x=[1e308, 1, 2]``."""
    try:
        return fn(act, **kwargs)
    except (ValueError, ArithmeticError) as exc:
        if isinstance(exc, BasinsError):
            raise
        given = ", ".join(f"{k}={_brief(kwargs[k])}" for k in ("x", "w", "v", "M", "w0") if kwargs.get(k) is not None)
        raise InvalidArgument(f"{given or 'the inputs'}: the construction failed in float64 arithmetic "
                              f"({type(exc).__name__}: {str(exc)[:120]}); every number, every product w_i·x_j and "
                              "the loss must stay finite in float64") from None


def _brief(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        shown = ", ".join(f"{float(a):g}" if isinstance(a, (int, float)) else str(a)[:20] for a in value[:6])
        return f"[{shown}{', ...' if len(value) > 6 else ''}]"
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)[:40]


# ------------------------------------------------------------- requests --

#: The paper's Example 2: what :func:`construct_request` builds when nothing is given.
EXAMPLE2: dict[str, Any] = {"activation": "swish", "x": (0.1, 2.0, 3.0), "w": (1.0,), "v": (1.0,), "M": 100.0}

#: Inputs per construction when x is not given (Theorem 7 generates its own).
DEFAULT_X_BY_THEOREM: dict[str, tuple[float, ...]] = {"prop4": (0.1, 2.0, 3.0), "6": (1.0, 2.0, 3.0),
                                                      "4": (0.1, 2.0, 3.0)}

_EXAMPLE2_WHY = "; with no options: the paper's Example 2 (w = v = 1, M = 100)"


class RequestConflict(InvalidArgument):
    """An option that does not apply to the construction the request gets (``option`` names it)."""

    def __init__(self, message: str, *, option: str, construction: str):
        super().__init__(message)
        self.option = option
        self.construction = construction


def plan_request(activation: Activation | str | None = None, *, x: Sequence[Any] | None = None,
                 width: int | None = None, w: Sequence[float] | None = None, v: Sequence[float] | None = None,
                 theorem: str = "auto") -> tuple[str, str]:
    """The construction a request gets and why ("" when the caller named it), without constructing.

    Examples
    --------
    >>> plan_request()[0], plan_request("softplus")[0], plan_request("tanh", theorem="prop4")
    ('prop4', '6', ('prop4', ''))
    """
    if theorem != "auto":
        return theorem, ""
    return choose(activation if activation is not None else EXAMPLE2["activation"], x=x, width=width, w=w, v=v)


def construct_request(activation: Activation | str | None = None, x: Sequence[Any] | None = None,
                      width: int | None = None, w: Sequence[float] | None = None, v: Sequence[float] | None = None,
                      M: float | None = None, *, theorem: str = "auto", N: int | None = None,
                      w0: float | None = None, seed: int = 0, trials: int | None = None) -> Case:
    """A construction from a request with defaults: the policy of ``basins construct`` in one call.

    * no activation: swish (except for Theorem 4, which designs σ);
    * ``theorem="auto"``: the construction :func:`choose` picks, and why;
    * no x: the construction's default inputs (:data:`DEFAULT_X_BY_THEOREM`);
      for Theorem 7, x may be decimal strings ("0.1" is read as 1/10);
    * nothing but the activation (no x, width, w or v) with Proposition 4: the
      paper's Example 2, w = v = 1 (M = 100 unless given); when that misses a
      hypothesis of Proposition 4 (elu is linear on x > 0) w is searched with
      the seed instead;
    * ``N`` (generated inputs) only with Theorem 7, ``trials`` only with
      Proposition 4 (:class:`RequestConflict` for N otherwise).

    The reason for every choice is in ``case.details["chosen"]`` ("theorem", "why").

    Examples
    --------
    >>> case = construct_request()
    >>> case.activation.name, case.x, case.w, case.v, case.details["M"]
    ('swish', (0.1, 2.0, 3.0), (1.0,), (1.0,), 100.0)
    >>> case.details["chosen"]["why"].endswith("Example 2 (w = v = 1, M = 100)")
    True

    References
    ----------
    Li, Ding & Sun, Example 2, Proposition 4 and Theorems 4–7 (arXiv:1812.11039).
    """
    example2 = x is None and width is None and w is None and v is None
    if activation is None and theorem != "4":
        activation = EXAMPLE2["activation"]
    key, why = plan_request(activation, x=x, width=width, w=w, v=v, theorem=theorem)
    if N is not None and key != "7":
        raise RequestConflict(f"N={N} only applies to Theorem 7 (generated inputs); the construction is {key}",
                              option="N", construction=key)
    if x is not None and key != "7":
        x = [float(a) for a in x]
    if x is None and key in DEFAULT_X_BY_THEOREM:
        x = list(DEFAULT_X_BY_THEOREM[key])
    if example2 and key == "prop4":
        w, v = list(EXAMPLE2["w"]), list(EXAMPLE2["v"])
        why = why and (why.replace(", with a seeded search for w", "") + _EXAMPLE2_WHY)
    kwargs: dict[str, Any] = dict(x=x, w=w, v=v, width=width, M=M, w0=w0, seed=seed, N=N if key == "7" else None,
                                  trials=trials if key == "prop4" else None)
    try:
        case = construct(activation, key, **{k: val for k, val in kwargs.items() if val is not None})
    except NotApplicable as exc:
        # Example 2's w = v = 1 is the paper's setting for swish; for another σ it may miss a
        # hypothesis (elu is linear on x > 0): then search for w, as with any other data, and say so.
        if not (example2 and key == "prop4") or exc.theorem != "Proposition 4":
            raise
        kwargs.update(w=None, v=None)
        case = construct(activation, key, **{k: val for k, val in kwargs.items() if val is not None})
        name = activation.name if isinstance(activation, Activation) else activation
        why = (f"{why}; " if why else "") + (f"Example 2's w = v = 1 fails for {name} "
                                             f"({exc.hypothesis}): w found by a seeded search instead")
    if why:
        case = case.with_(details={**case.details, "chosen": {"theorem": key, "why": why}})
    return case
