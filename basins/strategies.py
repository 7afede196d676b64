"""Hypothesis strategies over the certified cases (``basins.strategies``; needs the test extra).

``cases()`` draws shipped cases; ``perturbed_starts(case, radius=None)`` draws
starting points θ with |θ − θ*| < radius (Euclidean), the radius defaulting to
the certificate's certified basin radius ``certificate["guarantees"]["basin_radius"]``.
Hypothesis is imported inside these functions, never with the package.

Example (a property an optimizer test can rely on, SPEC §12)::

    @given(st.data())
    def test_descent_stays(data):
        case = data.draw(cases())
        theta0 = data.draw(perturbed_starts(case, radius=1e-3))
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from basins import cases as shipped
from basins.errors import InvalidArgument
from basins.io.case import Case
from basins.problems.core import basin_radius, resolve_case, theta_star

__all__ = ["cases", "perturbed_starts"]


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Case:
    return shipped.load(name)


def _hypothesis() -> Any:
    try:
        import hypothesis.strategies as st
    except ImportError:
        raise InvalidArgument("basins.strategies needs hypothesis; install it with: pip install 'basins[test]'") from None
    return st


def cases(names: "list[str] | tuple[str, ...] | None" = None) -> Any:
    """A strategy drawing shipped cases (:class:`~basins.io.case.Case`), all of them or those in ``names``."""
    st = _hypothesis()
    known = shipped.names()
    chosen = list(known if names is None else names)
    unknown = [n for n in chosen if n not in known]
    if unknown or not chosen:
        raise InvalidArgument(f"names={unknown or chosen!r}: not shipped cases; known: {', '.join(known)}")
    return st.sampled_from(chosen).map(_load)


def perturbed_starts(case: "Case | str | os.PathLike[str]", radius: float | None = None) -> Any:
    """A strategy drawing θ (float64 numpy arrays of length 2m) with |θ − θ*| < radius.

    ``radius`` defaults to the certified basin radius of the case's
    certificate; without one, pass ``radius`` explicitly.  The draws cover the
    open ball: a direction (any nonzero vector, normalised) times a fraction
    of the radius in [0, 1).
    """
    st = _hypothesis()
    c = resolve_case(case)
    if radius is None:
        radius = basin_radius(c)
        if radius is None:
            raise InvalidArgument(f"case {c.name or case!r}: its certificate has no guarantees.basin_radius; "
                                  "pass radius= explicitly")
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not np.isfinite(radius) or radius <= 0:
        raise InvalidArgument(f"radius={radius!r} must be a positive finite number")
    r = float(radius)
    centre = theta_star(c)
    n = centre.size
    direction = st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=n, max_size=n)
    fraction = st.floats(0.0, 1.0, exclude_max=True, allow_nan=False)

    def build(parts: tuple[list[float], float]) -> np.ndarray:
        d, s = np.array(parts[0], dtype=np.float64), parts[1]
        norm = float(np.linalg.norm(d))
        if norm == 0.0 or s == 0.0:
            return centre.copy()
        theta = centre + (r * s / norm) * d
        dist = float(np.linalg.norm(theta - centre))
        while dist >= r:   # rounding at s close to 1: pull back inside the open ball
            theta = centre + (theta - centre) * (r / dist) * (1.0 - 2.0 ** -40)
            dist = float(np.linalg.norm(theta - centre))
        return theta

    return st.tuples(direction, fraction).map(build)
