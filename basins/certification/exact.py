"""Exact rational linear algebra for the piecewise-linear analyses (python-flint ``fmpq_mat``).

One implementation, used by :mod:`basins.certification.piecewise_linear`,
:mod:`basins.verification.pieces` and the piecewise-linear part of the second
verifier.  Matrices are lists of rows of anything :class:`flint.fmpq` accepts
(int, :class:`fractions.Fraction`, ``fmpq``); results are exact.

* :func:`rank`, :func:`kernel` — from the reduced row echelon form.
* :func:`leading_minors`, :func:`positive_definite` — exact LDLᵀ without
  pivoting: H ≻ 0 iff every pivot is > 0 (Sylvester; the k-th leading minor is
  the product of the first k pivots).
* :func:`negative_direction`, :func:`positive_semidefinite` — symmetric
  elimination with the largest remaining diagonal as pivot; a negative
  diagonal, or a zero diagonal with a non-zero entry in its Schur block, gives
  an exact d with dᵀHd < 0, lifted back to the original coordinates.
* :func:`positive_on_cone` — whether dᵀHd > 0 for every d ≠ 0 of the cone
  K = {d : s_j d_j ≥ 0 where s_j ≠ 0}.  Three outcomes: ``True`` (proved),
  ``False`` (with an exact witness d ∈ K, d ≠ 0, dᵀHd ≤ 0), ``None``
  (undecided: the cap was reached).  Never a wrong answer.

Algorithm of :func:`positive_on_cone`, in order:

1. H ≻ 0 (LDLᵀ): true.
2. H ⪰ 0 with kernel basis N (k columns): dᵀHd = 0 iff d ∈ ker H, so the
   answer is "ker H ∩ K = {0}".  With A the signed constrained rows of N
   (p × k): a null vector of A, or no constraint, is a flat direction in K
   (false).  Otherwise {c : Ac ≥ 0} is pointed and is {0} iff it has no
   extreme ray; each extreme ray is the null line of k − 1 independent rows
   of A, so all C(p, k − 1) subsets are tried — at most :data:`MAX_SUBSETS`,
   beyond that step 3 is tried.
3. General H (copositivity).  F = free coordinates, C = constrained.  If
   H_FF is not positive definite, a vector of F with dᵀHd ≤ 0 lies in K
   (false).  Otherwise minimising over d_F leaves the Schur complement
   S = H_CC − H_CF H_FF⁻¹ H_FC, and H is positive on K iff A = D S D
   (D = diag(s_C)) is strictly copositive.  A is not strictly copositive iff
   some non-empty principal block A_PP has A_PP⁻¹1 < 0 entrywise (d_P =
   −A_PP⁻¹1 > 0 gives dᵀAd = −Σd < 0) or a one-dimensional kernel spanned by
   a positive vector (dᵀAd = 0): a minimiser of dᵀAd on the simplex with
   minimal support has one of the two forms (KKT: A_PP d_P = μ1, and a
   kernel direction of A_PP would shrink the support).  All 2^|C| − 1 blocks
   are tried, smallest first — at most :data:`MAX_SUBSETS` of them; beyond
   that the answer is undecided unless a cheap exact counterexample
   (a coordinate direction, ± a negative direction of H) lies in K.

References
----------
Cottle, Habetler & Lemke, *On classes of copositive matrices*, Linear Algebra
Appl. 3 (1970); Kaplan, *A test for copositive matrices*, Linear Algebra Appl.
313 (2000); Nocedal & Wright, *Numerical Optimization*, Theorem 12.6.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import flint

__all__ = ["MAX_SUBSETS", "ConeVerdict", "rank", "kernel", "leading_minors", "positive_definite",
           "negative_direction", "positive_semidefinite", "positive_on_cone", "quadratic_form"]

#: The cap of both enumerations: at most this many row subsets (extreme rays, step 2) or principal
#: blocks (copositivity, step 3, so at most 12 constrained coordinates) are examined.
MAX_SUBSETS = 4096

Rows = Sequence[Sequence[Any]]


@dataclass(frozen=True)
class ConeVerdict:
    """Outcome of :func:`positive_on_cone`.

    positive : True (proved), False (refuted by ``witness``) or None (undecided, cap reached).
    branch : "empty", "positive definite", "semidefinite", "copositive" or "undecided".
    witness : d ∈ K, d ≠ 0 with dᵀHd ≤ 0 when ``positive`` is False.
    smallest_minor : the smallest leading principal minor computed (None for an empty matrix).
    detail : one sentence.
    """

    positive: bool | None
    branch: str
    witness: tuple[Fraction, ...] | None
    smallest_minor: Fraction | None
    kernel_dim: int
    detail: str

    @property
    def undecided(self) -> bool:
        return self.positive is None


def _q(a: Any) -> Any:
    if isinstance(a, flint.fmpq):
        return a
    if isinstance(a, Fraction):
        return flint.fmpq(a.numerator, a.denominator)
    if isinstance(a, int):
        return flint.fmpq(a)
    if hasattr(a, "p") and hasattr(a, "q"):          # sympy Rational
        return flint.fmpq(int(a.p), int(a.q))
    raise TypeError(f"{a!r} is not an exact rational")


def _fr(a: Any) -> Fraction:
    return Fraction(int(a.p), int(a.q))


def _mat(rows: Rows, ncols: int | None = None) -> Any:
    rows = [[_q(e) for e in r] for r in rows]
    if not rows:
        return flint.fmpq_mat(0, ncols or 0)
    return flint.fmpq_mat(rows)


def rank(rows: Rows) -> int:
    """The rank of a rational matrix."""
    return int(_mat(rows).rank()) if rows else 0


def kernel(rows: Rows, ncols: int | None = None) -> list[list[Fraction]]:
    """A basis of {c : A c = 0} (exact, from the rref); ``ncols`` is needed when A has no rows."""
    n = ncols if ncols is not None else (len(rows[0]) if rows else 0)
    if not rows:
        return [[Fraction(int(i == j)) for i in range(n)] for j in range(n)]
    R, rk = _mat(rows).rref()
    pivots: list[int] = []
    r = 0
    for c in range(n):
        if r < rk and R[r, c] != 0:
            pivots.append(c)
            r += 1
    basis = []
    for f in (c for c in range(n) if c not in pivots):
        vec = [Fraction(0)] * n
        vec[f] = Fraction(1)
        for i, c in enumerate(pivots):
            vec[c] = -_fr(R[i, f])
        basis.append(vec)
    return basis


def leading_minors(rows: Rows) -> list[Fraction]:
    """Leading principal minors of a symmetric matrix by exact LDLᵀ, up to the first one ≤ 0."""
    a = [[_q(e) for e in r] for r in rows]
    n = len(a)
    out: list[Fraction] = []
    det = flint.fmpq(1)
    for k in range(n):
        d = a[k][k]
        det = det * d
        out.append(_fr(det))
        if not d > 0:
            return out
        for i in range(k + 1, n):
            f = a[i][k] / d
            if f != 0:
                for j in range(k + 1, n):
                    a[i][j] -= f * a[k][j]
    return out


def positive_definite(rows: Rows) -> bool:
    """H ≻ 0, exactly (every LDLᵀ pivot > 0); an empty matrix is positive definite."""
    minors = leading_minors(rows)
    return len(minors) == len(rows) and all(m > 0 for m in minors)


def quadratic_form(rows: Rows, d: Sequence[Any]) -> Fraction:
    """dᵀHd, exactly."""
    n = len(d)
    dq = [_q(e) for e in d]
    total = flint.fmpq(0)
    for i in range(n):
        if dq[i] != 0:
            total += dq[i] * sum((_q(rows[i][j]) * dq[j] for j in range(n)), flint.fmpq(0))
    return _fr(total)


def negative_direction(rows: Rows) -> list[Fraction] | None:
    """An exact d with dᵀHd < 0, or None when H is positive semidefinite."""
    H = [[_q(e) for e in r] for r in rows]
    n = len(H)
    a = [r[:] for r in H]
    done: list[int] = []
    rest = list(range(n))
    local: dict[int, Any] | None = None
    while rest:
        k = max(rest, key=lambda i: a[i][i])
        if a[k][k] < 0:
            local = {k: flint.fmpq(1)}
            break
        if a[k][k] == 0:
            hit = next(((i, j) for i in rest for j in rest if a[i][j] != 0), None)
            if hit is None:
                return None
            i, j = hit          # both diagonals are 0 (the largest is 0): (e_i − sgn e_j)ᵀS(…) = −2|S_ij|
            local = {i: flint.fmpq(1), j: flint.fmpq(-1 if a[i][j] > 0 else 1)}
            break
        rest.remove(k)
        done.append(k)
        for i in rest:
            f = a[i][k] / a[k][k]
            if f != 0:
                for j in rest:
                    a[i][j] -= f * a[k][j]
    if local is None:
        return None
    d = [flint.fmpq(0)] * n
    for i, val in local.items():
        d[i] = val
    if done:            # d_P = −H_PP⁻¹ H_P,rest d_rest: then dᵀHd is the Schur form of d_rest
        Hpp = flint.fmpq_mat([[H[p][q] for q in done] for p in done])
        rhs = flint.fmpq_mat([[-sum((H[p][i] * val for i, val in local.items()), flint.fmpq(0))] for p in done])
        sol = Hpp.solve(rhs)
        for t, p in enumerate(done):
            d[p] = sol[t, 0]
    return [_fr(e) for e in d]


def positive_semidefinite(rows: Rows) -> bool:
    """H ⪰ 0, exactly."""
    return negative_direction(rows) is None


def _in_cone(d: Sequence[Fraction], signs: Sequence[int]) -> bool:
    return any(e != 0 for e in d) and all(s * e >= 0 for e, s in zip(d, signs) if s)


def _kernel_meets_cone(null: list[list[Fraction]], signs: Sequence[int]) -> tuple[bool | None, list[Fraction] | None]:
    """(meets?, a non-zero d ∈ ker ∩ K) by extreme rays; (None, None) beyond the cap."""
    k, n = len(null), len(signs)

    def combine(c: Sequence[Fraction]) -> list[Fraction]:
        return [sum((c[t] * null[t][j] for t in range(k)), Fraction(0)) for j in range(n)]

    A = [[s * vec[j] for vec in null] for j, s in enumerate(signs) if s]
    flat = kernel(A, k)
    if flat:                                    # A c = 0, c ≠ 0 (or no constraint at all)
        return True, combine(flat[0])
    if math.comb(len(A), k - 1) > MAX_SUBSETS:
        return None, None
    for sub in itertools.combinations(range(len(A)), k - 1):
        lines = kernel([A[r] for r in sub], k) if sub else [[Fraction(1)]]
        if len(lines) != 1:
            continue
        for sgn in (1, -1):
            c = [sgn * e for e in lines[0]]
            if all(sum((a * e for a, e in zip(row, c)), Fraction(0)) >= 0 for row in A):
                return True, combine(c)
    return False, None


def _copositive(H: list[list[Fraction]], signs: Sequence[int]) -> tuple[bool | None, list[Fraction] | None]:
    """Strict positivity on K through the Schur complement and principal blocks (step 3)."""
    n = len(H)
    F = [j for j in range(n) if not signs[j]]
    C = [j for j in range(n) if signs[j]]

    def lift(dC: dict[int, Fraction]) -> list[Fraction]:
        d = [Fraction(0)] * n
        for j, e in dC.items():
            d[j] = e
        if F:
            Hff = flint.fmpq_mat([[_q(H[a][b]) for b in F] for a in F])
            rhs = flint.fmpq_mat([[-sum((_q(H[a][j]) * _q(e) for j, e in dC.items()), flint.fmpq(0))] for a in F])
            sol = Hff.solve(rhs)
            for t, a in enumerate(F):
                d[a] = _fr(sol[t, 0])
        return d

    HFF = [[H[a][b] for b in F] for a in F]
    if not positive_definite(HFF):
        neg = negative_direction(HFF)
        sub = neg if neg is not None else kernel(HFF, len(F))[0]
        d = [Fraction(0)] * n
        for t, a in enumerate(F):
            d[a] = sub[t]
        return False, d
    if not C:
        return True, None
    if (1 << len(C)) - 1 > MAX_SUBSETS:
        return None, None
    if F:
        M = flint.fmpq_mat([[_q(H[a][b]) for b in F] for a in F]).inv()
        HFC = flint.fmpq_mat([[_q(H[a][c]) for c in C] for a in F])
        S = flint.fmpq_mat([[_q(H[a][b]) for b in C] for a in C]) - HFC.transpose() * M * HFC
        Srows = [[_fr(S[i, j]) for j in range(len(C))] for i in range(len(C))]
    else:
        Srows = [[H[a][b] for b in C] for a in C]
    s = [signs[c] for c in C]
    A = [[s[i] * s[j] * Srows[i][j] for j in range(len(C))] for i in range(len(C))]
    for size in range(1, len(C) + 1):
        for P in itertools.combinations(range(len(C)), size):
            App = flint.fmpq_mat([[_q(A[i][j]) for j in P] for i in P])
            dP: list[Fraction] | None = None
            if App.rank() == size:
                x = App.solve(flint.fmpq_mat([[1]] * size))
                if all(x[t, 0] < 0 for t in range(size)):
                    dP = [-_fr(x[t, 0]) for t in range(size)]
            else:
                ker = kernel([[A[i][j] for j in P] for i in P], size)
                if len(ker) == 1 and (all(e > 0 for e in ker[0]) or all(e < 0 for e in ker[0])):
                    dP = [abs(e) for e in ker[0]]
            if dP is not None:
                return False, lift({C[i]: s[i] * e for i, e in zip(P, dP)})
    return True, None


def positive_on_cone(rows: Rows, signs: Sequence[int]) -> ConeVerdict:
    """Whether dᵀHd > 0 for every d ≠ 0 with signs[j]·d_j ≥ 0 (signs[j] = 0: d_j free); see the module."""
    H = [[Fraction(_fr(_q(e))) for e in r] for r in rows]
    n = len(H)
    signs = [int(s) for s in signs]
    if len(signs) != n or any(s not in (-1, 0, 1) for s in signs):
        raise ValueError("signs must have one entry in {-1, 0, 1} per row")
    if n == 0:
        return ConeVerdict(True, "empty", None, None, 0, "no direction to test")
    minors = leading_minors(H)
    smallest = min(minors)
    if len(minors) == n and minors[-1] > 0:
        return ConeVerdict(True, "positive definite", None, smallest, 0, "positive definite (exact LDLᵀ)")
    neg = negative_direction(H)
    kdim = 0
    if neg is None:
        null = kernel(H, n)
        kdim = len(null)
        meets, d = _kernel_meets_cone(null, signs)
        if meets is True:
            return ConeVerdict(False, "semidefinite", tuple(d or ()), smallest, kdim,
                               f"positive semidefinite; a flat direction of its {kdim}-dimensional kernel lies in the cone")
        if meets is False:
            return ConeVerdict(True, "semidefinite", None, smallest, kdim,
                               f"positive semidefinite; its {kdim}-dimensional kernel meets the cone only in 0 "
                               "(extreme rays, exact)")
    else:
        for cand in (neg, [-e for e in neg]):
            if _in_cone(cand, signs):
                return ConeVerdict(False, "copositive", tuple(cand), smallest, 0,
                                   "indefinite, with a direction of negative curvature in the cone")
    ok, d = _copositive(H, signs)
    if ok is True:
        return ConeVerdict(True, "copositive", None, smallest, kdim,
                           "positive on the cone: no principal block of the Schur complement gives a non-positive "
                           "direction (exact)")
    if ok is False:
        return ConeVerdict(False, "copositive", tuple(d or ()), smallest, kdim,
                           "a direction of the cone with dᵀHd ≤ 0 (exact)")
    for j in range(n):               # cheap exact counterexamples before giving up
        if H[j][j] <= 0:
            e = [Fraction(0)] * n
            e[j] = Fraction(signs[j] or 1)
            return ConeVerdict(False, "copositive", tuple(e), smallest, kdim,
                               f"dᵀHd = H[{j}][{j}] ≤ 0 along a coordinate direction of the cone")
    return ConeVerdict(None, "undecided", None, smallest, kdim,
                       f"undecided: more than {MAX_SUBSETS} row subsets or principal blocks to examine")
