"""Verified float64 linear algebra and vectorised σ enclosures, with every rounding error bounded.

Ball arithmetic in Python loops (one ``arb`` per entry) costs microseconds per
operation; the certificates of large cases need O(m²N) operations.  This module
does the same proofs in float64 numpy/BLAS, as *midpoint-radius* arithmetic:
a quantity is a float midpoint array and a float radius array, and every
rounding error is bounded by one of three arguments, each valid in IEEE 754
binary64 with rounding to nearest (numpy's ufuncs and BLAS):

* elementwise: after one rounded operation on floats, ``nextafter(·, +inf)``
  of the result bounds the exact result from above (also under underflow, as
  the spacing of floats is ≥ 2^-1074); radii are accumulated this way, so
  they only grow;
* products and sums of n terms (BLAS, any order of summation, with or
  without FMA): |fl(AB) − AB| ≤ γ_n |A||B| + n·2^-1074, γ_n = nu/(1 − nu),
  u = 2^-53 (Higham, *Accuracy and Stability*, §3.1, with underflow);
* positive definiteness (Rump, *Verification of positive definiteness*, BIT 46
  (2006)): if the floating-point Cholesky factorisation of B = fl(A − sI)
  runs to completion then B + ΔB = R̃ᵀR̃ with |ΔB_ij| ≤ c_n d_i d_j,
  c_n = γ_{n+1}/(1 − γ_{n+1}), d_i = √b_ii (Higham Thm 10.3 and
  Cauchy–Schwarz), so λ_min(A) ≥ s − c_n·tr(B) − (diagonal rounding) −
  (underflow), evaluated in exact rationals.

σ and its derivatives are enclosed cell by cell (:class:`SigmaCells`): the
pre-activations are sorted into cells of width h; in each cell σ^(k) is its
Taylor polynomial at the cell's centre (coefficients as python-flint balls)
plus a remainder bounded by the ball Taylor coefficients over the whole cell
(``arb_series`` over a ball encloses σ^(j)/j! at every point of it), and the
polynomial is evaluated in float64 with Horner's a-priori error bound
Σ_j γ_{2j+1}|b_j||t|^j.  Pre-activations w·x are kept exactly as a
double-float pair (Dekker's product), so no rounding of w·x enters.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from basins.certification.certificate import arb_bounds

__all__ = ["BASIN_FACTOR", "BASIN_GROWTHS", "BASIN_BISECTIONS", "widen_radius", "ball_cholesky_pivots", "U", "ETA", "up", "down", "gamma", "rounding", "nonneg_matmul_upper", "nonneg_sum_upper",
           "nonneg_sum_lower", "matmul_error", "two_prod", "accurate_dots", "column_norms_upper",
           "cholesky_lower_bound", "lambda_min_lower", "SigmaCells", "analytic_expression", "pd_shift", "sym_mid",
           "weyl_lower", "lambda_lower_balls", "float_out", "short_float", "SHIFT_BISECTIONS"]

U = 2.0 ** -53          #: unit roundoff of binary64
ETA = 2.0 ** -1074      #: smallest positive subnormal


def up(a: Any) -> Any:
    """One float up: bounds from above the exact result of the one rounded operation that gave ``a``."""
    return np.nextafter(a, np.inf)


def down(a: Any) -> Any:
    """One float down: bounds from below the exact result of the one rounded operation that gave ``a``."""
    return np.nextafter(a, -np.inf)


def _float_up(q: Fraction) -> float:
    f = float(q)
    return math.nextafter(f, math.inf) if Fraction(f) < q else f


def _float_down(q: Fraction) -> float:
    f = float(q)
    return math.nextafter(f, -math.inf) if Fraction(f) > q else f


def gamma(n: int) -> float:
    """A float ≥ γ_n = nu/(1 − nu) (u = 2^-53); n·u < 1/2 is required."""
    q = Fraction(n, 2 ** 53)
    if q >= Fraction(1, 2):
        raise ValueError(f"n = {n} is too large for γ_n")
    return _float_up(q / (1 - q))


def _inv_one_minus_gamma(n: int) -> float:
    """A float ≥ 1/(1 − γ_n)."""
    g = Fraction(n, 2 ** 53)
    g = g / (1 - g)
    return _float_up(1 / (1 - g))


def rounding(m: Any) -> Any:
    """A bound on |fl(x ∘ y) − x ∘ y| for one rounded operation whose result is ``m`` (u|m| + η)."""
    return up(np.abs(m) * U + ETA)


def nonneg_matmul_upper(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """An upper bound on the exact product PQ of nonnegative float arrays (computed by BLAS)."""
    n = P.shape[-1]
    S = P @ Q
    return up(up(S + n * ETA) * _inv_one_minus_gamma(n))


def nonneg_sum_upper(a: np.ndarray, axis: int | None = None) -> Any:
    """An upper bound on the exact sum of nonnegative floats."""
    n = a.size if axis is None else a.shape[axis]
    return up(up(np.sum(a, axis=axis) + n * ETA) * _inv_one_minus_gamma(max(n, 1)))


def nonneg_sum_lower(a: np.ndarray) -> float:
    """A lower bound on the exact sum of nonnegative floats: computed/(1 + γ_n) ≥ computed·(1 − γ_n)."""
    n = max(a.size, 1)
    return float(max(0.0, down(down(float(np.sum(a))) * _float_down(1 - Fraction(gamma(n))))))


def matmul_error(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A bound on |fl(AB) − AB| for float arrays A, B (either may be a vector): γ_n|A||B| + nη."""
    n = A.shape[-1]
    return up(nonneg_matmul_upper(np.abs(A), np.abs(B)) * gamma(n) + n * ETA)


def two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's error-free product: p + e = a·b exactly (no FMA needed), for |a|, |b| < 2^995.

    Exact when no intermediate underflows; callers add 2^-1000 per term for that case."""
    if (np.max(np.abs(a), initial=0.0) >= 2.0 ** 995) or (np.max(np.abs(b), initial=0.0) >= 2.0 ** 995):
        raise OverflowError("two_prod: an operand is too large for Dekker's splitting")
    p = a * b
    c = 134217729.0 * a
    ah = c - (c - a)
    al = a - ah
    c = 134217729.0 * b
    bh = c - (c - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def accurate_dots(Z: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ_n Z[i, n] r[n] for every row i, correctly rounded (products split exactly, ``math.fsum``).

    Returns (values, error bounds): |value − exact| ≤ u|value| + N·2^-1000 (the last term for underflow
    in the splitting)."""
    p, e = two_prod(Z, np.broadcast_to(r, Z.shape))
    both = np.concatenate([p, e], axis=1)
    vals = np.array([math.fsum(row) for row in both.tolist()])
    err = up(rounding(vals) + Z.shape[1] * 2.0 ** -1000)
    return vals, err


def column_norms_upper(A: np.ndarray) -> np.ndarray:
    """Upper bounds on the 2-norms of the rows of a nonnegative array A (shape (k, N))."""
    sq = up(A * A)
    return up(np.sqrt(nonneg_sum_upper(sq, axis=1)))


# --------------------------------------------------------- definiteness --

def cholesky_lower_bound(A: np.ndarray, s: float) -> Fraction | None:
    """A rigorous lower bound on λ_min(A) for a symmetric float matrix A, from a float Cholesky of A − sI.

    None when the factorisation breaks down (nothing is proved then).  See the module's docstring."""
    n = A.shape[0]
    B = A.copy()
    diag = np.diag(A) - s
    B[np.diag_indices(n)] = diag
    if not np.all(np.isfinite(B)) or np.any(diag <= 0):
        return None
    try:
        R = np.linalg.cholesky(B)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(R)):
        return None
    # B = A − sI + Δdiag, |Δdiag_i| ≤ rounding(b_ii); λ_min(B) ≥ −c_n tr(B) − underflow; so
    # λ_min(A) ≥ s + λ_min(B) − max|Δdiag|
    g = Fraction(gamma(n + 1))
    cn = g / (1 - g)
    trace = Fraction(float(nonneg_sum_upper(diag)))
    dmax = max(Fraction(float(np.max(np.sqrt(diag)))) * 2, Fraction(1))
    under = Fraction(4 * n * (n + 2)) * dmax * Fraction(2) ** -1074 * 4
    diag_round = Fraction(float(np.max(rounding(diag))))
    return Fraction(s) - cn * trace - diag_round - under


def lambda_min_lower(A: np.ndarray) -> tuple[Fraction | None, dict[str, Any]]:
    """A rigorous lower bound on λ_min of the symmetric float matrix A (None when not proved > 0).

    A Cholesky at s = 0 proves definiteness; inverse iteration with that factor estimates λ_min; the
    bound is then taken from a Cholesky of A − sI with s just below the estimate (backing off)."""
    info: dict[str, Any] = {"cholesky factorisations": 0}
    n = A.shape[0]
    try:
        R0 = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        info["why"] = "the float Cholesky factorisation of the midpoint matrix breaks down"
        return None, info
    info["cholesky factorisations"] += 1
    import scipy.linalg as sla

    rng = np.random.default_rng(12345)
    x = rng.standard_normal(n)
    x = x / float(np.linalg.norm(x))
    est: float | None = None
    for _ in range(30):
        y = sla.cho_solve((R0, True), x)
        nrm = float(np.linalg.norm(y))
        if not nrm > 0 or not math.isfinite(nrm):
            break
        new = 1.0 / nrm
        x = y / nrm
        if est is not None and abs(new - est) <= 1e-6 * abs(new):
            est = new
            break
        est = new
    best: Fraction | None = None
    if est is not None and est > 0:
        # inverse iteration approaches λ_min from above; Rayleigh quotient as well
        lam = min(est, float(x @ (A @ x)))
        for shrink in (1e-4, 1e-2, 0.1, 0.5):
            s = lam * (1 - shrink)
            bound = cholesky_lower_bound(A, s)
            info["cholesky factorisations"] += 1
            if bound is not None and bound > 0:
                best = bound
                info["shift"] = s
                break
    if best is None:
        b0 = cholesky_lower_bound(A, 0.0)
        if b0 is not None and b0 > 0:
            best = b0
    if best is None:
        info["why"] = ("the float Cholesky succeeded but its rounding-error bound c_n·tr(A) is not below the "
                       "shifts tried")
    return best, info


# ------------------------------------------------------------- σ, cells --

_FORBIDDEN = ("Piecewise", "Max", "Min", "Abs", "Heaviside", "sign", "floor", "ceiling", "re", "im",
              "DiracDelta")


def analytic_expression(expr: Any) -> bool:
    """Whether a sympy expression has no piecewise node (then a finite ball Taylor series on a ball proves
    σ is C^∞ there, and Taylor's theorem applies)."""
    import sympy as sp

    return not any(expr.has(getattr(sp, name)) for name in _FORBIDDEN if hasattr(sp, name))


class SigmaCells:
    """Rigorous enclosures of σ^(k)(u) (k = 0..kmax) for millions of pre-activations u, cell by cell.

    ``expr`` is an analytic sympy expression of σ in ``t``; ``prec`` the python-flint precision of the
    Taylor coefficients; cells start ``2^width_exp`` wide and are halved (up to ``max_splits`` times) where
    the Taylor remainder of degree ``degree`` exceeds ``tol`` relative to the cell's bound on |σ^(k)|."""

    def __init__(self, expr: Any, prec: int = 128, degree: int = 20, width_exp: int = 1,
                 tol: float = 2.0 ** -58, max_splits: int = 10):
        from basins.activations.balls import arb_compile

        self.series = arb_compile(expr)
        self.prec = prec
        self.degree = degree
        self.width_exp = width_exp
        self.tol = tol
        self.max_splits = max_splits
        self.cells_evaluated = 0

    def _taylor(self, centre: Any, cap: int) -> list[Any]:
        import flint

        old = flint.ctx.cap
        flint.ctx.cap = cap
        try:
            out = self.series(flint.arb_series([centre, 1]))
            c = [out] if isinstance(out, flint.arb) else list(out.coeffs())
        finally:
            flint.ctx.cap = old
        return (c + [flint.arb(0)] * cap)[:cap]

    def sup_bounds(self, lo: float, hi: float, kmax: int) -> list[float] | None:
        """Floats ≥ sup |σ^(k)| over [lo, hi] for k = 0..kmax (None when not finite)."""
        import flint

        mid = (lo + hi) / 2
        rad = math.nextafter(max(hi - mid, mid - lo), math.inf)
        with _prec(self.prec):
            c = self._taylor(flint.arb(mid, rad), kmax + 1)
        out = []
        for k, b in enumerate(c):
            if not b.is_finite():
                return None
            out.append(math.nextafter(math.nextafter(float(b.abs_upper()), math.inf) * math.factorial(k), math.inf))
        return out

    def evaluate(self, u_hi: np.ndarray, u_lo: np.ndarray, u_rad: np.ndarray, kmax: int
                 ) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """[(mid, rad)] for k = 0..kmax with σ^(k)(u) ∈ [mid ± rad] for every u in [u_hi + u_lo ± u_rad].

        None when some cell's Taylor series is not finite (a singularity, or a non-analytic σ)."""
        shape = u_hi.shape
        uh, ul, ur = u_hi.ravel(), u_lo.ravel(), u_rad.ravel()
        mids = [np.empty(uh.size) for _ in range(kmax + 1)]
        rads = [np.empty(uh.size) for _ in range(kmax + 1)]
        todo = np.arange(uh.size)
        e = self.width_exp
        for split in range(self.max_splits + 1):
            if todo.size == 0:
                break
            bad = self._evaluate_cells(uh[todo], ul[todo], ur[todo], kmax, e, split == self.max_splits,
                                       [m_ for m_ in mids], [r_ for r_ in rads], todo)
            if bad is None:
                return None
            todo = bad
            e -= 1
        return [(m_.reshape(shape), r_.reshape(shape)) for m_, r_ in zip(mids, rads)]

    def _cell_series(self, centres: np.ndarray, tau: float, cap: int, wanted: Sequence[int]
                     ) -> tuple[np.ndarray, ...] | None:
        """Per cell: midpoints and radii (floats) of the Taylor coefficients a_j = σ^(j)(c)/j! at the centre
        (j < cap), and floats ≥ |σ^(j)(ξ)/j!| for every ξ in the cell ball c ± τ (j in ``wanted``)."""
        import flint

        nc = centres.size
        a_mid = np.zeros((nc, cap))
        a_rad = np.zeros((nc, cap))
        t_abs = np.zeros((nc, cap))
        with _prec(self.prec):
            for ci in range(nc):
                c = float(centres[ci])
                a = self._taylor(flint.arb(c), cap)
                T = self._taylor(flint.arb(c, tau), cap)
                if not all(b.is_finite() for b in a):
                    return None
                a_mid[ci] = [float(b) for b in a]
                a_rad[ci] = [float(b.rad()) for b in a]
                for j in wanted:                 # inf when not finite on the ball: the cell is split
                    t_abs[ci, j] = float(T[j].abs_upper()) if T[j].is_finite() else math.inf
        # float(b) is the float nearest the midpoint: |a_j − float| ≤ rad + u|float| + η; the radius and
        # |T_j| were converted to the nearest float: one float up bounds them
        a_rad = up(up(a_rad) + rounding(a_mid))
        return a_mid, a_rad, up(t_abs)

    def _evaluate_cells(self, uh: np.ndarray, ul: np.ndarray, ur: np.ndarray, kmax: int, e: int, last: bool,
                        mids: list[np.ndarray], rads: list[np.ndarray], where: np.ndarray) -> np.ndarray | None:
        h = 2.0 ** e
        k_idx = np.floor(uh / h)
        cells, inv = np.unique(k_idx, return_inverse=True)
        if not np.all(np.abs(cells) < 2.0 ** 50):
            return None
        centres = (cells + 0.5) * h                       # exact: k + 1/2 times a power of two
        slack = up(np.abs(ul) + ur)
        # half-width of the cell balls: ≥ |u − c| for every u of the cell, and ≥ |t| plus its rounding
        delta = float(np.max(slack, initial=0.0))
        tau = math.nextafter((h / 2 + delta) * (1 + 2.0 ** -40) + 2.0 ** -1000, math.inf)
        D = self.degree
        cap = D + kmax + 1
        wanted = sorted({k + 1 for k in range(kmax + 1)} | {k + D for k in range(kmax + 1)})
        series = self._cell_series(centres, tau, cap, wanted)
        if series is None:
            return None
        a_mid, a_rad, t_abs = series
        nc = cells.size
        self.cells_evaluated += nc
        fact = [math.factorial(j) for j in range(cap + 1)]
        taus = [1.0]
        for _ in range(D + 1):
            taus.append(float(up(taus[-1] * tau)))
        coef = np.zeros((kmax + 1, D, nc))
        const = np.zeros((kmax + 1, nc))
        lips = np.zeros((kmax + 1, nc))
        ok_cell = np.ones(nc, dtype=bool)
        for k in range(kmax + 1):
            err = np.zeros(nc)
            scale = np.zeros(nc)
            for j in range(D):
                f = float(fact[k + j] // fact[j])        # exact below 2^53
                b = a_mid[:, k + j] * f
                coef[k, j] = b
                # |b_j − fl(b)|: the coefficient's radius times f, the rounding of the product, and Horner's
                # a-priori rounding γ_{2j+1}|b| (|t| ≤ τ)
                rad_b = up(up(a_rad[:, k + j] * f) + rounding(b))
                term = up(up(rad_b + up(np.abs(b) * gamma(2 * j + 1))) * taus[j])
                err = up(err + term)
                scale = up(scale + up(up(np.abs(b) + rad_b) * taus[j]))
            f_rem = float(fact[k + D] // fact[D])
            rem = up(up(t_abs[:, k + D] * f_rem) * taus[D])
            const[k] = up(up(err + rem) + 2.0 ** -1000)
            lips[k] = up(t_abs[:, k + 1] * float(fact[k + 1]))
            if not last:
                ok_cell &= rem <= self.tol * (1 + scale)
            ok_cell &= np.isfinite(rem) & np.isfinite(lips[k])
        if last and not np.all(ok_cell):
            return None                          # still not finite after every split: a singularity, or not analytic
        good = ok_cell[inv]
        sel = np.nonzero(good)[0]
        if sel.size:
            ci_sel = inv[sel]
            t = uh[sel] - centres[ci_sel]
            # the true argument lies within e_arg of c + t: |u_lo| + u_rad + the rounding of t
            e_arg = up(slack[sel] + rounding(t))
            for k in range(kmax + 1):
                acc = coef[k, D - 1, ci_sel]
                for j in range(D - 2, -1, -1):
                    acc = acc * t + coef[k, j, ci_sel]
                mids[k][where[sel]] = acc
                rads[k][where[sel]] = up(const[k, ci_sel] + up(e_arg * lips[k, ci_sel]))
        return where[np.nonzero(~good)[0]]


def _arb_abs_upper(b: Any) -> Fraction:
    """An exact rational ≥ |b| for an arb ball."""
    return Fraction(math.nextafter(float(b.abs_upper()), math.inf))


class _prec:
    def __init__(self, bits: int):
        self.bits = bits

    def __enter__(self) -> None:
        import flint

        self.old = flint.ctx.prec
        flint.ctx.prec = self.bits

    def __exit__(self, *exc: Any) -> None:
        import flint

        flint.ctx.prec = self.old


def ball_cholesky_pivots(H: Any) -> list[Any]:
    """Pivots of a Cholesky factorisation of a ball matrix (lower triangle used)."""
    n = H.nrows()
    a = H.tolist()
    L: list[list[Any]] = [[None] * n for _ in range(n)]
    pivots = []
    for k in range(n):
        d = a[k][k]
        for j in range(k):
            d -= L[k][j] * L[k][j]
        pivots.append(d)
        if not d > 0:
            return pivots
        lkk = d.sqrt()
        L[k][k] = lkk
        for i in range(k + 1, n):
            s = a[i][k]
            for j in range(k):
                s -= L[i][j] * L[k][j]
            L[i][k] = s / lkk
    return pivots


#: The basin-radius search: from a proved radius, ×BASIN_FACTOR up to BASIN_GROWTHS times while the
#: Hessian stays provably positive definite, then bisection (geometric, then BASIN_BISECTIONS arithmetic steps).
BASIN_FACTOR = 8.0
BASIN_GROWTHS = 24
BASIN_BISECTIONS = 3


def widen_radius(attempt: Any, R: float, failed: float | None, proved: Any) -> None:
    """Grow R by :data:`BASIN_FACTOR` until ``attempt`` fails (unless ``failed`` is already known), then bisect
    between the widest proved radius and the failed one.  ``attempt(R)`` records what it proves in ``proved``
    (keyed by radius); nothing is returned: the widest proved radius is ``max(proved)``."""
    if failed is None:
        for _ in range(BASIN_GROWTHS):
            R *= BASIN_FACTOR
            if not attempt(R):
                failed = R
                break
    if failed is not None:
        lo_R, hi_R = max(proved), failed
        while hi_R > 2 * lo_R:
            mid_R = lo_R * 2.0 ** (round(math.log2(hi_R / lo_R)) // 2)
            lo_R, hi_R = (mid_R, hi_R) if attempt(mid_R) else (lo_R, mid_R)
        for _ in range(BASIN_BISECTIONS):
            mid_R = (lo_R + hi_R) / 2
            lo_R, hi_R = (mid_R, hi_R) if attempt(mid_R) else (lo_R, mid_R)


# ------------------------------------------- definiteness of ball matrices --

def _finite_matrix(mat: Any) -> bool:
    return all(e.is_finite() for row in mat.tolist() for e in row)


#: Bisection steps for the largest shift s with H − sI proved positive definite.
SHIFT_BISECTIONS = 10


def float_out(q: Fraction, up: bool) -> float:
    """The float nearest q rounded outward (up or down) so that it bounds q."""
    f = float(q)
    if up and Fraction(f) < q:
        f = math.nextafter(f, math.inf)
    elif not up and Fraction(f) > q:
        f = math.nextafter(f, -math.inf)
    return f


def short_float(a: float, bits: int = 24) -> float:
    """a (> 0) rounded down to ``bits`` significant bits: a short dyadic, the same on every platform nearby."""
    man, exp = math.frexp(a)
    return math.ldexp(math.floor(man * 2 ** bits), exp - bits)


def pd_shift(H: Any, s: float, weyl: bool = True) -> bool:
    """Whether λ_min > s for every symmetric matrix in the ball matrix H: a ball Cholesky of H − sI has all
    pivots > 0, or (``weyl``, when the ball Cholesky's uncertainty grows past the pivots, as for an
    ill-conditioned H) Weyl's bound around the midpoints (:func:`weyl_lower`) exceeds s."""
    import flint

    n = H.nrows()
    shifted = flint.arb_mat([[H[i, j] - (flint.arb(s) if i == j else 0) for j in range(n)] for i in range(n)])
    pivots = ball_cholesky_pivots(shifted)
    if len(pivots) == n and all(p > 0 for p in pivots):
        return True
    if not weyl:
        return False
    lower = weyl_lower(H, sym_mid(H))
    return lower is not None and lower > Fraction(s)


def sym_mid(H: Any) -> np.ndarray:
    """The symmetrised float64 midpoints of a ball matrix (only a guide: Weyl bounds ||H − M|| exactly)."""
    mid = np.array([[float(e.mid()) for e in row] for row in H.tolist()])
    return (mid + mid.T) / 2


def weyl_lower(H: Any, M: Any) -> Fraction | None:
    """Weyl: λ_min(H) ≥ t − ||H − M||₂ with t proved below λ_min(M) by a ball Cholesky of M − tI."""
    import flint

    arb = flint.arb
    rows = H.tolist()
    n = len(rows)
    # ||H − M||₂ ≤ sqrt(||D||₁ ||D||∞) ≤ max(row, column sums) of D_ij ≥ |H_ij − M_ij|
    D = [[(rows[i][j] - arb(float(M[i, j]))).abs_upper() for j in range(n)] for i in range(n)]
    sums = [sum(D[i], arb(0)) for i in range(n)] + [sum((D[i][j] for i in range(n)), arb(0)) for j in range(n)]
    norm_q = max(arb_bounds(a)[1] for a in sums)
    if not np.all(np.isfinite(M)):
        return None
    lam = float(np.linalg.eigvalsh(M)[0])
    Mb = flint.arb_mat([[float(M[i, j]) for j in range(n)] for i in range(n)])
    for shrink in (2.0 ** -30, 2.0 ** -20, 2.0 ** -10, 2.0 ** -4):
        t = short_float(lam * (1 - shrink)) if lam > 0 else 0.0
        if not t > 0 or Fraction(t) <= norm_q:
            return None
        if pd_shift(Mb, t, weyl=False):
            return Fraction(t) - norm_q
    return None


def lambda_lower_balls(H: Any) -> Fraction | None:
    """A rigorous lower bound > 0 on λ_min of every symmetric matrix in the ball matrix H, or None.

    The larger of (a) the largest shift s found by bisection (on short dyadics in (0, λ_min(M)]) with a ball
    Cholesky of H − sI whose pivots are all > 0, and (b) Weyl's bound around the midpoint matrix M."""
    if not _finite_matrix(H):
        return None
    M = sym_mid(H)
    if not np.all(np.isfinite(M)):
        return None
    try:
        lam = float(np.linalg.eigvalsh(M)[0])
    except np.linalg.LinAlgError:
        return None
    best = weyl_lower(H, M)
    if not lam > 0 or not pd_shift(H, 0.0, weyl=False):
        return best if best is not None and best > 0 else None
    lo, hi = 0.0, lam
    first = short_float(lam * (1 - 2.0 ** -20))
    if pd_shift(H, first):
        lo = first
    else:
        for _ in range(SHIFT_BISECTIONS):
            s = short_float((lo + hi) / 2)
            if not lo < s < hi:
                break
            if pd_shift(H, s):
                lo = s
            else:
                hi = s
    if lo > 0 and (best is None or Fraction(lo) > best):
        best = Fraction(lo)
    return best if best is not None and best > 0 else None
