"""A pytest helper: run a user's test over the shipped certified cases.

>>> from basins.oracles.testing import parametrize_cases
>>> @parametrize_cases()
... def test_my_loss(case):
...     ...

gives one test per shipped case, with the case's name as its id
(``test_my_loss[example2_swish]``).  :func:`parametrize_checks` goes one step
further and runs every applicable oracle of :mod:`basins.oracles.checks` for the given
callables, with ids such as ``check_hessian-sin_m8_n64``.

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins* (the cases); scikit-learn's ``parametrize_with_checks`` (the model).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping

from basins.io.case import Case
from basins.oracles.checks import checks_for
from basins.errors import InvalidArgument

__all__ = ["shipped_cases", "load_shipped", "shipped_names", "parametrize_cases", "parametrize_checks"]


def _cases_module() -> ModuleType:
    """``basins.cases`` (the shipped cases live inside the package)."""
    return importlib.import_module("basins.cases")


def shipped_names() -> list[str]:
    """The names of the shipped certified cases (``basins.cases.names()``)."""
    return list(_cases_module().names())


def load_shipped(name: str) -> Case:
    """One shipped case by name (``basins.cases.load(name)``)."""
    return _cases_module().load(name)


def shipped_cases(names: Iterable[str] | None = None, *, exclude: Iterable[str] = ()) -> list[tuple[str, Case]]:
    """(name, case) for the shipped cases (all, or the given names), minus ``exclude``."""
    known = shipped_names()
    chosen = list(names) if names is not None else known
    bad = [n for n in chosen if n not in known]
    if bad:
        raise InvalidArgument(f"names={bad!r} are not shipped cases; known: {', '.join(known)}")
    skip = set(exclude)
    return [(n, load_shipped(n)) for n in chosen if n not in skip]


def parametrize_cases(names: Iterable[str] | None = None, *, exclude: Iterable[str] = (),
                      argname: str = "case") -> Any:
    """A ``pytest.mark.parametrize`` decorator over shipped cases, ids = case names.

    Examples
    --------
    >>> mark = parametrize_cases(["example2_swish"])
    >>> mark.args[0], [p.id for p in mark.args[1]]
    ('case', ['example2_swish'])
    """
    import pytest

    params = [pytest.param(case, id=name) for name, case in shipped_cases(names, exclude=exclude)]
    return pytest.mark.parametrize(argname, params)


def parametrize_checks(*, names: Iterable[str] | None = None, exclude: Iterable[str] = (),
                       expected_failures: Mapping[str, str] | None = None,
                       **callables: Callable[..., Any]) -> Any:
    """A ``pytest.mark.parametrize("check", ...)`` over every applicable oracle and shipped case.

    The keywords are those of :func:`basins.oracles.checks.checks_for` (``loss``,
    ``gradient``, ``hessian``, ``local_optimizer``, ``global_search``); the
    test receives a zero-argument ``check`` to call.  ``expected_failures``
    maps ids (``"check_local_optimizer-sin_m6_n32"``) to the reason they are
    known to fail; those become strict ``xfail`` (an unexpected pass is
    reported), in the manner of scikit-learn's ``expected_failed_checks``.

    Examples
    --------
    >>> from basins.model.network import loss
    >>> mark = parametrize_checks(names=["example2_swish"], loss=lambda v, w, x, y, act: loss(act, x, y, v, w))
    >>> [p.id for p in mark.args[1]]
    ['check_loss-example2_swish']
    """
    import pytest

    known = dict(expected_failures or {})
    params = []
    for name, case in shipped_cases(names, exclude=exclude):
        for check_name, check in checks_for(case, **callables):
            pid = f"{check_name}-{name}"
            marks = [pytest.mark.xfail(reason=known.pop(pid), strict=True)] if pid in known else []
            params.append(pytest.param(check, id=pid, marks=marks))
    if known:
        raise InvalidArgument(f"expected_failures names unknown ids {sorted(known)}")
    return pytest.mark.parametrize("check", params)
