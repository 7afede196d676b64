"""Tests of basins.certification.exact against brute force on small integer matrices (seeded, exact).

Brute force: sympy determinants of every principal minor (PD / PSD), sympy's rank and nullspace,
an integer grid search for a direction of the cone with dᵀHd ≤ 0, and an enumeration of the extreme
rays of ker H ∩ K in the original coordinates (not through a kernel basis, as the module does).
"""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from basins.certification import exact
from basins.certification.exact import (kernel, leading_minors, negative_direction, positive_definite,
                                        positive_on_cone, positive_semidefinite, rank)

GRID = range(-4, 5)


def _sym(rng: np.random.Generator, n: int, kind: str) -> list[list[int]]:
    if kind == "pd":
        B = rng.integers(-2, 3, size=(n + 1, n))
        A = B.T @ B + np.eye(n, dtype=int)
    elif kind == "psd":
        r = int(rng.integers(1, n)) if n > 1 else 0
        B = rng.integers(-2, 3, size=(max(r, 1), n)) if r else np.zeros((1, n), dtype=int)
        A = B.T @ B
    elif kind == "copos":        # non-negative with a positive diagonal, rows/columns flipped by D
        M = rng.integers(0, 4, size=(n, n))
        D = np.diag(rng.choice([-1, 1], size=n))
        A = D @ (M + M.T + np.diag(rng.integers(1, 3, size=n))) @ D
    else:
        M = rng.integers(-3, 4, size=(n, n))
        A = M + M.T
    return [[int(a) for a in row] for row in A]


def _principal_minors(A: list[list[int]]) -> list[sp.Expr]:
    n = len(A)
    M = sp.Matrix(A)
    return [M.extract(list(P), list(P)).det() for k in range(1, n + 1) for P in itertools.combinations(range(n), k)]


def _q(A: list[list[int]], d: tuple) -> Fraction:
    return sum((Fraction(A[i][j]) * d[i] * d[j] for i in range(len(d)) for j in range(len(d))), Fraction(0))


def _in_cone(d: tuple, signs: list[int]) -> bool:
    return any(d) and all(s * e >= 0 for s, e in zip(signs, d) if s)


def _grid_counterexample(A: list[list[int]], signs: list[int]) -> tuple | None:
    for d in itertools.product(GRID, repeat=len(A)):
        if _in_cone(d, signs) and _q(A, d) <= 0:
            return d
    return None


def _kernel_meets_cone_brute(A: list[list[int]], signs: list[int]) -> bool:
    """ker A ∩ K ≠ {0} for PSD A: lineality, then every extreme ray {A d = 0, d_Z = 0} (sympy)."""
    n = len(A)
    C = [j for j in range(n) if signs[j]]
    for size in range(len(C), -1, -1):
        for Z in itertools.combinations(C, size):
            rows = [list(r) for r in A] + [[int(i == z) for i in range(n)] for z in Z]
            null = sp.Matrix(rows).nullspace()
            if len(null) == 1 or (null and size == len(C)):
                ray = tuple(Fraction(str(e)) for e in null[0])
                if _in_cone(ray, signs) or _in_cone(tuple(-e for e in ray), signs):
                    return True
    return False


@pytest.mark.parametrize("seed", range(4))
def test_pd_psd_rank_kernel_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    seen: Counter = Counter()
    for _ in range(60):
        n = int(rng.integers(1, 5))
        A = _sym(rng, n, str(rng.choice(["pd", "psd", "any"])))
        minors = _principal_minors(A)
        M = sp.Matrix(A)
        lead = [M.extract(list(range(k)), list(range(k))).det() for k in range(1, n + 1)]
        pd = all(m > 0 for m in lead)
        psd = all(m >= 0 for m in minors)
        assert positive_definite(A) == pd
        assert positive_semidefinite(A) == psd
        got = leading_minors(A)
        assert got == [Fraction(str(m)) for m in lead[:len(got)]]
        neg = negative_direction(A)
        assert (neg is None) == psd
        if neg is not None:
            assert _q(A, tuple(neg)) < 0
        assert rank(A) == M.rank()
        ker = kernel(A)
        assert len(ker) == n - M.rank()
        assert all(sum(Fraction(A[i][j]) * k[j] for j in range(n)) == 0 for k in ker for i in range(n))
        seen[(pd, psd)] += 1
    assert seen[(True, True)] and seen[(False, True)] and seen[(False, False)]


@pytest.mark.parametrize("seed", range(3))
def test_positive_on_cone_matches_brute_force_every_branch_both_outcomes(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    seen: Counter = Counter()
    for trial in range(120):
        n = int(rng.integers(1, 4))
        kind = ["pd", "psd", "any", "copos"][trial % 4]
        A = _sym(rng, n, kind)
        signs = [int(s) for s in rng.integers(-1, 2, size=n)]
        if kind == "copos" and trial % 8 == 3:       # the orthant that makes it copositive
            signs = [1 if A[j][0] * A[0][0] >= 0 else -1 for j in range(n)] if n else []
        verdict = positive_on_cone(A, signs)
        assert verdict.positive is not None                   # far below the cap
        if verdict.positive:
            assert _grid_counterexample(A, signs) is None, (A, signs, verdict)
        else:
            d = verdict.witness
            assert d is not None and _in_cone(d, signs) and _q(A, d) <= 0, (A, signs, verdict)
        if positive_semidefinite(A):
            # independent decision of the semidefinite case: q(d) = 0 iff d ∈ ker A
            assert verdict.positive == (not _kernel_meets_cone_brute(A, signs)), (A, signs, verdict)
        seen[(verdict.branch, verdict.positive)] += 1
    for branch in ("positive definite",):
        assert seen[(branch, True)]
    for branch in ("semidefinite", "copositive"):
        assert seen[(branch, True)] and seen[(branch, False)], seen


def test_copositive_matrices_that_are_not_semidefinite() -> None:
    # strictly copositive but indefinite: [[1, 3], [3, 1]] on the non-negative quadrant
    assert positive_on_cone([[1, 3], [3, 1]], [1, 1]).positive is True
    assert positive_on_cone([[1, 3], [3, 1]], [1, 0]).positive is False
    # the Horn-like form: copositive, not strictly (x = (1, 1, 0) gives 0)
    H = [[1, -1, 1], [-1, 1, -1], [1, -1, 1]]
    v = positive_on_cone(H, [1, 1, 1])
    assert v.positive is False and _q(H, v.witness) == 0
    # a free coordinate eliminated through the Schur complement
    v = positive_on_cone([[2, 1, 1], [1, 1, 0], [1, 0, 1]], [0, 1, 1])
    assert v.positive is (_grid_counterexample([[2, 1, 1], [1, 1, 0], [1, 0, 1]], [0, 1, 1]) is None)


def test_beyond_the_cap_is_undecided_never_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact, "MAX_SUBSETS", 2)
    # indefinite, strictly copositive on the orthant of 3 coordinates: 7 principal blocks > cap
    H = [[1, 2, 2], [2, 1, 2], [2, 2, 1]]
    v = positive_on_cone(H, [1, 1, 1])
    assert v.positive is None and v.branch == "undecided"
    monkeypatch.setattr(exact, "MAX_SUBSETS", 4096)
    assert positive_on_cone(H, [1, 1, 1]).positive is True


def test_empty_and_shapes() -> None:
    assert positive_on_cone([], []).positive is True
    assert kernel([], 2) == [[1, 0], [0, 1]]
    with pytest.raises(ValueError):
        positive_on_cone([[1]], [2])
