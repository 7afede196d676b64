"""Re-check a ``basins.path/1`` record, whichever construction wrote it.

Constructive Property PT paths ("wide", "pyramid") are re-checked by
:func:`basins.landscape.pt.check_constructive`, searched paths ("descent",
"barrier") by :func:`basins.landscape.barrier.check_searched`; this module only
reads the record and dispatches.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from basins.errors import CaseFormatError
from basins.landscape.barrier import check_searched
from basins.landscape.pt import UNDECIDED_CHECK, check_constructive, wide_path  # noqa: F401  (wide_path: doctest)
from basins.landscape.pt_mp import is_ball
from basins.landscape.records import PATH_SCHEMA

__all__ = ["check_path"]


def check_path(record: Mapping[str, Any]) -> dict[str, Any]:
    """Re-verify a ``basins.path/1`` record from what generates its points, independently of how it was made.

    Nothing the record states about itself is trusted: every decision uses
    quantities recomputed from the generator, and the stored ones are compared
    with them.

    Constructive paths ("wide", "pyramid"): the network, data, W^p and the end
    layer are read from the float.hex generator; the loss is recomputed by
    the forward pass at every stored λ (the segment in W_{H+1} for "wide", (76)
    for "pyramid") and compared with the stored losses.  The rounding floor is
    recomputed from the generator exactly as the builder computes it (the
    stored ``rounding_floor`` is only compared with it); the decrease is
    checked where the predicted drop exceeds twice the floors of the pair, and
    E(W(1)) against the floor; a record whose check resolves no step is
    "undecided", never verified.  Wide paths computed in ball arithmetic
    (``details["precision"]``) are recomputed in balls at the stored digits.  Searched paths ("descent", "barrier"): each
    stored λ is placed on the polyline through the generator's points by
    normalised arc length (the parametrisation of the search's dense
    sampling), E is recomputed there (E at the first point plus ΔE without
    cancellation) and compared with every stored loss, with ``start_loss``,
    ``end_loss`` and the stored barrier; a descent must decrease strictly at
    every dense sample.

    Returns
    -------
    dict
        ``ok``, ``status`` ("verified numerically", "undecided" when the only failing check is that
        no step was resolved, or "failed") and the individual ``checks`` (name → bool).

    Raises
    ------
    CaseFormatError
        The record is not a ``basins.path/1`` record or lacks its generator.

    References
    ----------
    Li, Ding & Sun, Definition 2, Theorem 2 and the path (76).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = wide_path([2, 6, 1], "tanh", rng.standard_normal((2, 5)), rng.standard_normal((1, 5)), samples=21)
    >>> d = p.to_dict()
    >>> check_path(d)["ok"]
    True
    >>> d["rounding_floor"], d["losses"] = 1e300, [float(k) for k in range(21)]   # claims are not trusted
    >>> res = check_path(d)
    >>> res["ok"], res["checks"]["losses reproduce"], res["checks"]["stored rounding floor agrees"]
    (False, False, False)
    """
    if not isinstance(record, Mapping) or record.get("schema") != PATH_SCHEMA:
        raise CaseFormatError(f"record with schema={record.get('schema') if isinstance(record, Mapping) else None!r} "
                              f"is not a {PATH_SCHEMA} record")
    gen = record.get("generator") or {}
    kind = record.get("kind")
    checks: dict[str, bool] = {}
    try:
        losses = np.asarray(record.get("losses", []), dtype=float)
        if kind in ("wide", "pyramid"):
            check_constructive(record, gen, kind, losses, checks)
        elif kind in ("descent", "barrier"):
            check_searched(record, gen, kind, losses, checks)
        else:
            raise CaseFormatError(f"kind={kind!r} is not one of wide, pyramid, descent, barrier")
    except (KeyError, TypeError, ValueError, IndexError, ArithmeticError) as exc:
        raise CaseFormatError(f"the path record is malformed: {type(exc).__name__}: {exc}") from None
    failed = [k for k, v in checks.items() if not v]
    status = "verified numerically" if not failed else "undecided" if failed == [UNDECIDED_CHECK] else "failed"
    ball = is_ball(record)
    return {"ok": not failed, "status": status, "kind": kind, "checks": checks,
            "guarantee": ("ball-arithmetic recomputation at the sampled λ: verified numerically, not certified"
                          if ball else "floating-point recomputation: verified numerically, not certified")}
