"""Verified float64 linear algebra (basins.certification.rigorous) against exact rationals and mpmath, and the
certificates it makes possible: a large case, and two ill-conditioned ones at an automatically chosen setting."""

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest

from basins.activations.core import as_activation
from basins.certification.rigorous import (SigmaCells, accurate_dots, cholesky_lower_bound, lambda_min_lower,
                                           matmul_error, nonneg_matmul_upper, two_prod)


def _exact_pd(A: np.ndarray) -> bool:
    """Positive definiteness decided exactly (Sylvester: every leading principal minor > 0, in fmpq)."""
    M = flint.fmpq_mat([[flint.fmpq(*Fraction(float(a)).as_integer_ratio()) for a in row] for row in A])
    n = A.shape[0]
    for k in range(1, n + 1):
        sub = flint.fmpq_mat([[M[i, j] for j in range(k)] for i in range(k)])
        if not sub.det() > 0:
            return False
    return True


@pytest.mark.parametrize("eps_exp", [-30, -40])
@pytest.mark.parametrize("sign", [1, 0, -1])
def test_definiteness_by_a_tiny_margin_is_never_decided_wrongly(sign: int, eps_exp: int) -> None:
    rng = np.random.default_rng(-eps_exp)
    B = rng.integers(-3, 4, size=(5, 8)).astype(float)            # rank ≤ 5 < 8: BᵀB is singular, λ_min = 0
    A = B.T @ B                                                     # small integers: exact in float64
    A[np.diag_indices(8)] += sign * 2.0 ** eps_exp                  # exact: the diagonal is below 2^8
    exact = _exact_pd(A)
    assert exact == (sign > 0)
    bound, _ = lambda_min_lower(A)
    if bound is not None:                                           # decided: must be right, and a true bound
        assert exact and bound > 0 and bound <= Fraction(sign) * Fraction(2) ** eps_exp
    for s in (0.0, 2.0 ** (eps_exp - 4)):
        b = cholesky_lower_bound(A, s)
        assert b is None or b <= Fraction(max(sign, 0)) * Fraction(2) ** eps_exp


def test_lambda_min_lower_bounds_the_exact_smallest_eigenvalue() -> None:
    rng = np.random.default_rng(3)
    G = rng.standard_normal((40, 30))
    A = G.T @ G + 1e-3 * np.eye(30)
    A = np.triu(A) + np.triu(A, 1).T
    bound, info = lambda_min_lower(A)
    with mpmath.workdps(60):
        lam = min(mpmath.eigsy(mpmath.matrix(A.tolist()), eigvals_only=True))
    assert bound is not None and bound > 0
    assert mpmath.mpf(bound.numerator) / bound.denominator <= lam
    assert float(bound) > 0.99 * float(lam)                          # and close to it
    assert info["cholesky factorisations"] >= 2


def test_an_indefinite_matrix_is_not_proved_definite() -> None:
    A = np.diag([1.0, 2.0, -1e-12, 3.0])
    assert lambda_min_lower(A)[0] is None
    assert cholesky_lower_bound(A, 0.0) is None


def test_products_and_dots_against_exact_rationals() -> None:
    rng = np.random.default_rng(11)
    A = rng.standard_normal((6, 50)) * 10.0 ** rng.integers(-8, 8, size=(6, 50))
    r = rng.standard_normal(50) * 1e6
    p, e = two_prod(A, np.broadcast_to(r, A.shape))
    for i in range(6):
        for n in range(0, 50, 7):
            assert Fraction(float(p[i, n])) + Fraction(float(e[i, n])) == Fraction(float(A[i, n])) * Fraction(float(r[n]))
    vals, err = accurate_dots(A, r)
    C = rng.standard_normal((50, 4))
    P = A @ C
    bound = matmul_error(A, C)
    U = nonneg_matmul_upper(np.abs(A), np.abs(C))
    for i in range(6):
        exact = sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(A[i], r))
        assert abs(Fraction(float(vals[i])) - exact) <= Fraction(float(err[i]))
        for j in range(4):
            ex = sum(Fraction(float(A[i, n])) * Fraction(float(C[n, j])) for n in range(50))
            ab = sum(abs(Fraction(float(A[i, n])) * Fraction(float(C[n, j]))) for n in range(50))
            assert abs(Fraction(float(P[i, j])) - ex) <= Fraction(float(bound[i, j]))
            assert ab <= Fraction(float(U[i, j]))


@pytest.mark.parametrize("name", ["sin", "tanh", "erf(t)", "atan(t)", "swish"])
def test_sigma_cells_enclose_the_150_digit_values(name: str) -> None:
    act = as_activation(name)
    cells = SigmaCells(act.expr)
    rng = np.random.default_rng(5)
    w = np.concatenate([rng.uniform(-3, 3, 6), [1234.5678, -4321.0]])
    x = np.sort(rng.uniform(-3, 3, 40))
    uh, ul = two_prod(np.broadcast_to(w[:, None], (w.size, x.size)), np.broadcast_to(x, (w.size, x.size)))
    out = cells.evaluate(uh, ul, np.zeros_like(uh), 3)
    assert out is not None
    f = [act.mpmath(k) for k in range(4)]
    with mpmath.workdps(150):                 # 1 − tanh(87)² ≈ 7e-76: no cancellation at 150 digits
        for i in range(w.size):
            for n in range(0, x.size, 3):
                u = mpmath.mpf(float(w[i])) * mpmath.mpf(float(x[n]))
                for k in range(4):
                    mid, rad = out[k][0][i, n], out[k][1][i, n]
                    assert abs(f[k](u) - mpmath.mpf(float(mid))) <= mpmath.mpf(float(rad)), (name, k, float(u))
                    assert rad < 1e-12 * (1 + abs(mid)) + 1e-12


def _bench_case(n: int, m: int):
    from basins.constructions.prop4 import construct_prop4

    return construct_prop4("sin", np.linspace(1.0, 3.0, n), w=np.arange(1, m + 1) * 1.2 * n / m, v=np.ones(m), M=1e6)


def test_a_large_case_certifies_in_verified_float64_and_rechecks() -> None:
    from basins.certification.certify import recheck_certificate
    from basins.certification.smooth import certify_smooth

    case = _bench_case(256, 64)
    cert = certify_smooth(case)
    assert cert.certified, cert.checks
    assert cert.inputs["linear algebra"] == "float64 verified"
    g = cert.guarantees
    assert g is not None and 0 < g["lambda_min_lower"] and 0 < g["basin_radius"]
    # the float point's Hessian is above the certified lower bound
    from basins.model.network import hessian
    x, y, v, w = case.arrays()
    assert np.linalg.eigvalsh(hessian("sin", x, y, v, w))[0] >= g["lambda_min_lower"]
    stored = case.with_(certificate=cert.to_dict())
    assert recheck_certificate(stored).certified


@pytest.mark.parametrize("act, n, m", [("atan(t)", 11, 5), ("erf(t)", 9, 4)])
def test_ill_conditioned_cases_certify_and_record_the_setting(act: str, n: int, m: int) -> None:
    from basins import construct
    from basins.certification.smooth import certify_smooth

    x = np.sort(np.random.default_rng(n).uniform(-3.0, 3.0, n))
    case = construct(act, x=x, width=m, seed=0)
    cert = certify_smooth(case)
    assert cert.certified, cert.checks
    assert 64 <= cert.inputs["precision bits"] <= 1024
    # when the usual radii did not prove it (atan: λ_min ≈ 2e-8 needed the converged centre and every radius),
    # the certificate says so and records the setting that proved it
    if "radius exponents" in cert.inputs or "precision" in cert.inputs:
        assert "extended" in cert.inputs["radius exponents"]
        assert "chosen automatically" in cert.inputs["precision"]


@pytest.mark.parametrize("radius, proved", [(1e-14, True), (1e-12, True), (1e-11, False)])
def test_weyl_proves_an_ill_conditioned_ball_matrix_the_ball_cholesky_cannot(radius: float, proved: bool) -> None:
    """λ = 1e-10 … 300 (condition 3e12): the ball Cholesky's uncertainty outgrows the pivots for any radius here;
    Weyl's bound around the midpoints proves λ_min > 0 while the radii's row sums (12·radius) stay below 1e-10."""
    from basins.certification.rigorous import lambda_lower_balls, pd_shift

    n = 12
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((n, n)))[0]
    A = (Q * np.geomspace(1e-10, 300.0, n)) @ Q.T
    A = (A + A.T) / 2
    exact_min = min(mpmath.eigsy(mpmath.matrix(A.tolist()))[0])      # of the float matrix, at 50 digits
    old = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        H = flint.arb_mat([[flint.arb(A[i, j], radius) for j in range(n)] for i in range(n)])
        assert not pd_shift(H, 0.0, weyl=False)
        assert pd_shift(H, 0.0) is proved
        low = lambda_lower_balls(H)
    finally:
        flint.ctx.prec = old
    if proved:
        assert low is not None and 0 < low <= Fraction(str(exact_min)) * (1 + Fraction(1, 10**12))
        assert low >= Fraction(str(exact_min)) - 2 * n * Fraction(radius)
    else:
        assert low is None


@pytest.mark.parametrize("n, m", [(9, 4), pytest.param(17, 8, marks=pytest.mark.slow)])
def test_ill_conditioned_tanh_cases_certify(n: int, m: int) -> None:
    """tanh 9/4 (λ_min ≈ 1.9e-7) failed at the first radius where Krawczyk contracts; tanh 17/8
    (λ_min ≈ 4.4e-10, λ_max ≈ 295) needs Weyl's bound. λ_min is checked at 60 digits."""
    from basins import construct
    from basins.certification.smooth import certify_smooth
    from basins.model.network import hessian_mp

    x = np.sort(np.random.default_rng(n).uniform(-3.0, 3.0, n))
    case = construct("tanh", x=x, width=m, seed=0)
    cert = certify_smooth(case)
    assert cert.certified, cert.checks
    xs, y, v, w = case.arrays()
    H = hessian_mp("tanh", xs, y, v, w, dps=60)
    lam = min(mpmath.eigsy(mpmath.matrix(H) if not isinstance(H, mpmath.matrix) else H)[0])
    assert 0 < lam < 1e-6
    g = cert.guarantees
    if g and g.get("lambda_min_lower") is not None:
        assert g["lambda_min_lower"] <= float(lam) * (1 + 1e-9)


def test_a_rejection_says_where_and_at_which_precisions() -> None:
    from basins.certification.smooth import certify_smooth

    case = _bench_case(40, 4)
    moved = case.with_(w=tuple(float(a) + 1e-3 for a in case.w))
    cert = certify_smooth(moved, guarantees=False)
    assert not cert.certified
    name, _, detail = next(c for c in cert.checks if not c[1])
    assert name == "krawczyk" and "1024 bits" in detail


def test_float_path_guarantees_hold_at_the_50_digit_critical_point() -> None:
    """θ* (Newton in mpmath from the certified centre) lies in the enclosure, E(θ*) in E_star's bounds, and the
    50-digit Hessian's smallest eigenvalue at θ* is above lambda_min_lower (package's mpmath formulas)."""
    from basins.certification.smooth import certify_smooth
    from basins.model.network import gradient_mp, hessian_mp, loss_mp

    n, m = 128, 8
    case = _bench_case(n, m)
    cert = certify_smooth(case, linear_algebra="float")
    assert cert.certified and cert.inputs["linear algebra"] == "float64 verified", cert.checks
    g = cert.guarantees
    x, y, _, _ = case.arrays()
    centre = [float.fromhex(h) for h in g["theta_star"]["centre"]]
    radius = float.fromhex(g["theta_star"]["radius"])
    with mpmath.workdps(50):
        th = mpmath.matrix(centre)
        for _ in range(4):
            grad = gradient_mp("sin", x, y, list(th[:m]), list(th[m:]), 50)
            H = hessian_mp("sin", x, y, list(th[:m]), list(th[m:]), 50)
            th = th - mpmath.lu_solve(H, mpmath.matrix(grad))
        assert max(abs(th[i] - centre[i]) for i in range(2 * m)) <= radius
        E = loss_mp("sin", x, y, list(th[:m]), list(th[m:]), 50)
        assert g["E_star"]["lower"] <= E <= g["E_star"]["upper"]
        H = hessian_mp("sin", x, y, list(th[:m]), list(th[m:]), 50)
        assert min(mpmath.eigsy(H, eigvals_only=True)) >= g["lambda_min_lower"]


def test_the_automatic_setting_is_chosen_and_recorded_when_the_usual_one_fails() -> None:
    """atan, m = 5, N = 11 (λ_min ≈ 2e-8) with the point 3e-12 off θ* (as an earlier construction stored it): the usual
    five radii cannot contract around the point; the converged centre and every radius prove it, and say so."""
    from basins import construct
    from basins.certification.smooth import certify_smooth

    x = np.sort(np.random.default_rng(11).uniform(-3.0, 3.0, 11))
    case = construct("atan(t)", x=x, width=5, seed=0)
    moved = case.with_(w=tuple(float(a) + 3e-12 for a in case.w))
    plain = certify_smooth(moved, guarantees=False, auto_precision=False)
    assert not plain.certified and plain.failed[0] == "krawczyk"
    cert = certify_smooth(moved, guarantees=False)
    assert cert.certified, cert.checks
    assert "extended" in cert.inputs["radius exponents"] and "chosen automatically" in cert.inputs["precision"]
    assert cert.inputs["precision bits"] == 128
