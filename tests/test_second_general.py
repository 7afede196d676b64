"""The second verifier on the general model of SPEC §11: inputs in R^d, hidden and output biases.

The cases are built here by hand (SPEC §11's generalized Proposition 4, in float64): pick w, find
a ⟂ S with every A_i(a) definite by scanning random a in S⊥ (from an SVD), set v_i with the signs of
A_i(a) and y = ŷ − M a.  Such a point is a strict local minimum, so the second verifier must certify
it; perturbed ones must not be certified.  Derivatives are checked against mpmath.diff at 40 digits.
"""

from __future__ import annotations

import functools
import itertools
import math

import mpmath
import numpy as np
import pytest

from basins.activations import as_activation
from basins.certification.second import enclose_derivatives, reverify, reverify_or_raise
from basins.errors import InvalidArgument, VerificationFailed
from basins.io.case import Case, Witness

SWISH = "t/(1 + exp(-t))"


def _sig(t):
    return t / (1 + np.exp(-t))


def _sig1(t):
    s = 1 / (1 + np.exp(-t))
    return s + t * s * (1 - s)


def _sig2(t):
    s = 1 / (1 + np.exp(-t))
    return 2 * s * (1 - s) + t * s * (1 - s) * (1 - 2 * s)


def _features(Xt: np.ndarray, W: np.ndarray, output_bias: bool) -> np.ndarray:
    """[z_i, z′_{i,k}, 1] (N × dim S)."""
    U = Xt @ W.T
    m, D = W.shape
    cols = [_sig(U[:, i]) for i in range(m)] + [Xt[:, k] * _sig1(U[:, i]) for i in range(m) for k in range(D)]
    return np.array(cols + ([np.ones(len(Xt))] if output_bias else [])).T


def _definite_signs(As: np.ndarray) -> np.ndarray:
    """+1 / −1 for (clearly) positive / negative definite matrices of a stack, 0 otherwise."""
    ev = np.linalg.eigvalsh(As)
    tol = 1e-3 * np.abs(ev).max(axis=-1)
    return np.where(ev.min(axis=-1) > tol, 1.0, np.where(ev.max(axis=-1) < -tol, -1.0, 0.0))


@functools.lru_cache(maxsize=None)
def build(m: int = 2, d: int = 2, bias: bool = True, output_bias: bool = True, N: int = 12, seed: int = 0,
          M: float = 10.0, definite: bool = True) -> tuple[Case, np.ndarray]:
    """(case, a): a strict local minimum by SPEC §11 (definite=True), or a critical point whose A_1(a) is
    indefinite (definite=False), with a witness of lower loss from a least-squares search over random w."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(N, d))
    Xt = np.hstack([X, np.ones((N, 1))]) if bias else X
    D = Xt.shape[1]
    for _ in range(500):
        W = rng.normal(size=(m, D))
        S = _features(Xt, W, output_bias)
        if np.linalg.matrix_rank(S) < S.shape[1]:
            continue
        Q = np.linalg.svd(S)[0][:, S.shape[1]:]          # an orthonormal basis of S⊥
        U = Xt @ W.T
        A = Q @ rng.normal(size=(Q.shape[1], 200))
        A /= np.abs(A).max(axis=0)
        # signs[b, i]: the definiteness of A_i(a_b) = Σ_n a_bn σ″(u_in) x̃_n x̃_nᵀ
        signs_all = np.stack([_definite_signs(np.einsum("bn,nk,nl->bkl", A.T * _sig2(U[:, i]), Xt, Xt))
                              for i in range(m)], axis=1)
        for col in range(A.shape[1]):
            a, signs = A[:, col], list(signs_all[col])
            ok = all(signs) if definite else (signs[0] == 0 and all(signs[1:]))
            if not ok:
                continue
            signs = [s if s else 1.0 for s in signs]
            v = np.array(signs) * rng.uniform(0.5, 1.5, size=m)
            c = 0.3 if output_bias else None
            y = sum(v[i] * _sig(U[:, i]) for i in range(m)) + (c or 0.0) - M * a
            wv, ww, wc, ew = _witness(Xt, y, m, D, output_bias, rng)
            E = float(np.sum((M * a) ** 2))
            if not ew < E - 1e-6:
                continue
            rows = [tuple(r) for r in X]
            case = Case(as_activation(SWISH), rows, tuple(y), tuple(v), [tuple(r) for r in W],
                        "Proposition 4 (SPEC §11)", E, witness=Witness(tuple(wv), [tuple(r) for r in ww], ew, c=wc),
                        bias=bias, output_bias=c)
            return case, a
    raise AssertionError("no test case found")


def _witness(Xt, y, m, D, output_bias, rng):
    best = None
    for _ in range(300):
        Wn = rng.normal(scale=2, size=(m, D))
        F = np.array([_sig(Xt @ Wn[i]) for i in range(m)] + ([np.ones(len(y))] if output_bias else [])).T
        coef = np.linalg.lstsq(F, y, rcond=None)[0]
        e = float(np.sum((F @ coef - y) ** 2))
        if best is None or e < best[3]:
            best = (coef[:m], Wn, float(coef[m]) if output_bias else None, e)
    return best


# ------------------------------------------------------------------ certified --

@pytest.mark.parametrize("m, d, bias, output_bias", [(2, 2, True, True), (1, 2, True, True), (2, 2, False, True),
                                                     (1, 3, True, False), (1, 2, False, False)])
def test_generalized_prop4_point_is_certified(m, d, bias, output_bias) -> None:
    case, _ = build(m=m, d=d, bias=bias, output_bias=output_bias)
    res = reverify(case)
    assert res.certified, res.checks
    assert [n for n, _, _ in res.checks] == ["C2", "newton-kantorovich", "point", "positive definite", "sub-optimal"]


def test_rows_of_one_number_are_the_papers_model() -> None:
    from basins.constructions.prop4 import construct_prop4

    flat = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0])
    rows = Case(flat.activation, [(a,) for a in flat.x], flat.y, flat.v, [(a,) for a in flat.w], flat.theorem,
                flat.loss, witness=Witness(flat.witness.v, [(a,) for a in flat.witness.w], flat.witness.loss))
    assert reverify(rows).to_dict() == reverify(flat).to_dict()


# ------------------------------------------------------------------ rejected --

def test_perturbed_targets_are_not_a_critical_point() -> None:
    case, _ = build()
    y = np.array(case.y) + 1e-3 * np.random.default_rng(3).normal(size=len(case.y))
    res = reverify(case.with_(y=tuple(y)))
    assert not res.certified
    assert res.failed[0] in ("newton-kantorovich", "point")
    with pytest.raises(VerificationFailed, match="second verifier rejects"):
        reverify_or_raise(case.with_(y=tuple(y)))


def test_moved_output_bias_is_rejected() -> None:
    case, _ = build()
    res = reverify(case.with_(output_bias=case.output_bias + 1e-3))
    assert not res.certified and res.failed[0] in ("newton-kantorovich", "point")


def test_indefinite_a_is_not_certified() -> None:
    case, a = build(m=1, definite=False, M=100.0)
    enc = enclose_derivatives(case)
    H = np.array([[float(mpmath.mpf(e.mid)) for e in row] for row in enc.hessian])
    assert np.linalg.eigvalsh(H).min() < 0          # a critical saddle: the test means something
    assert max(abs(float(mpmath.mpf(e.mid))) for e in enc.gradient) < 1e-9
    res = reverify(case)
    assert not res.certified
    assert res.failed == ["positive definite"]          # a critical point is proved, and it is not a minimum


def test_witness_from_another_parameter_space_is_refused() -> None:
    case, _ = build()
    wit = case.witness
    no_c = case.with_(witness=Witness(wit.v, wit.w, wit.loss))
    short = case.with_(witness=Witness(wit.v, [r[:2] for r in wit.w], wit.loss, c=wit.c))
    narrow = case.with_(witness=Witness(wit.v[:1], wit.w[:1], wit.loss, c=wit.c))
    for bad, word in ((no_c, "output bias"), (short, "D = 3"), (narrow, "m = 2")):
        res = reverify(bad)
        assert res.failed == ["inputs"], res.checks
        assert word in res.checks[0][2] and "another parameter space" in res.checks[0][2]
    extra_c = case.with_(output_bias=None, witness=wit)
    res = reverify(extra_c)
    assert res.failed == ["inputs"] and "has an output bias but the point has none" in res.checks[0][2]


def test_ragged_and_non_finite_inputs_are_refused() -> None:
    case, _ = build()
    ragged = case.with_(w=(case.w[0], case.w[1][:2]))
    assert reverify(ragged).failed == ["inputs"]
    nan = case.with_(x=((math.nan, 1.0),) + case.x[1:])
    assert reverify(nan).failed == ["inputs"]
    assert reverify(case.with_(witness=None)).failed == ["inputs"]


def test_witness_above_the_point_is_rejected() -> None:
    case, _ = build()
    wit = Witness(case.v, case.w, case.loss, c=case.output_bias + 1.0)
    res = reverify(case.with_(witness=wit))
    assert res.failed == ["sub-optimal"]


def test_kink_at_a_pre_activation_is_refused_at_c2() -> None:
    import sympy as sp

    from basins.activations import T

    case, _ = build()
    xt = np.array(case.x[4] + (1.0,))
    u = float(np.dot(np.array(case.w[1]), xt))
    kink = sp.Max(0, T - sp.Rational(u)) ** 2 / 1000           # σ″ jumps at t = u
    res = reverify(case.with_(activation=as_activation(T / (1 + sp.exp(-T)) + kink)))
    assert res.failed == ["C2"]
    assert "w_2 · x̃_5" in res.checks[0][2]


def test_piecewise_linear_sigma_beyond_theorem7_is_refused_by_name() -> None:
    case, _ = build()
    res = reverify(case.with_(activation=as_activation("Max(0, t - 1)")))
    assert res.failed == ["inputs"]
    assert "Theorem 7 is a statement about d = 1 without biases" in res.checks[0][2]


# -------------------------------------------------- derivatives against mpmath --

def _mp_loss(case: Case):
    """E(θ) written with mpmath, θ = (v, w_1..w_m, c) (SPEC §11), independent of the verifier."""
    m, D = case.m, len(case.w[0])
    xt = [[mpmath.mpf(a) for a in r] + ([mpmath.mpf(1)] if case.bias else []) for r in case.x]
    y = [mpmath.mpf(a) for a in case.y]

    def E(*theta):
        v, c = theta[:m], (theta[-1] if case.output_bias is not None else 0)
        total = mpmath.mpf(0)
        for xn, yn in zip(xt, y):
            yhat = c
            for i in range(m):
                u = mpmath.fsum(theta[m + i * D + k] * xn[k] for k in range(D))
                yhat += v[i] * u / (1 + mpmath.exp(-u))
            total += (yhat - yn) ** 2
        return total
    return E


def _theta(case: Case) -> list:
    out = list(case.v) + [a for r in case.w for a in r] + ([case.output_bias] if case.output_bias is not None else [])
    return [mpmath.mpf(a) for a in out]


def _encloses(enc, ref) -> bool:
    """ref ∈ enc up to 1e-25 (mpmath.diff's own error at 60 digits is far below it); endpoints as mpf."""
    tol = mpmath.mpf(10) ** -25
    return bool(mpmath.mpf(enc.a) - tol <= ref <= mpmath.mpf(enc.b) + tol)


def test_interval_hessian_encloses_mpmath_diff_at_40_digits() -> None:
    case, _ = build()          # d = 2, hidden bias and output bias, m = 2: P = 9 parameters
    enc = enclose_derivatives(case, dps=40)
    E = _mp_loss(case)
    with mpmath.workdps(60):
        th = _theta(case)
        P = len(th)
        assert P == 9 and len(enc.hessian) == P
        assert _encloses(enc.loss, E(*th))
        for a in range(P):
            order = [0] * P
            order[a] = 1
            assert _encloses(enc.gradient[a], mpmath.diff(E, th, tuple(order))), a
        for a, b in itertools.combinations_with_replacement(range(P), 2):
            order = [0] * P
            order[a] += 1
            order[b] += 1
            ref = mpmath.diff(E, th, tuple(order))
            assert _encloses(enc.hessian[a][b], ref) and _encloses(enc.hessian[b][a], ref), (a, b, ref)
            assert mpmath.mpf(enc.hessian[a][b].b) - mpmath.mpf(enc.hessian[a][b].a) < mpmath.mpf(10) ** -30


def test_third_derivative_bound_matches_mpmath_diff() -> None:
    case, _ = build(m=1)          # P = 5: (v, w_1[1..3], c)
    E = _mp_loss(case)
    with mpmath.workdps(60):
        th = _theta(case)
        P = len(th)
        T3 = {}
        for idx in itertools.combinations_with_replacement(range(P), 3):
            order = [0] * P
            for k in idx:
                order[k] += 1
            T3[idx] = mpmath.diff(E, th, tuple(order))
        ref = max(sum(abs(T3[tuple(sorted((a, b, c)))]) for b in range(P) for c in range(P)) for a in range(P))
    at_point = enclose_derivatives(case, radius=0.0).third
    assert abs(at_point - ref) <= mpmath.mpf(10) ** -20 * ref
    # over a box the bound can only grow, and stays a bound of the value at the point
    assert enclose_derivatives(case, radius=1e-3).third >= at_point


def test_enclose_derivatives_refuses_bad_inputs() -> None:
    case, _ = build()
    with pytest.raises(InvalidArgument, match="another parameter space"):
        enclose_derivatives(case.with_(witness=Witness(case.witness.v, case.witness.w, 1.0)))


def test_the_general_construction_is_certified_when_available() -> None:
    general = pytest.importorskip("basins.constructions.general")
    X16 = np.array([(0, 1), (1, 0), (1, 1), (-1, 0.5), (0.5, -1), (2, 1), (-1, -1), (1.5, 0.5), (-0.5, 2),
                    (0.25, -0.75), (2, -1), (-2, 0.5), (1, -2), (-1.5, -0.5), (0.75, 1.25), (-0.25, -1.5)], float)
    case = general.construct_general("t + t**2/2 + t**5/5", X16, w=[[0.5, -0.25, 0.125]], bias=True,
                                     output_bias=True, c=0.5, M=10.0, samples=0)
    assert reverify(case).certified
