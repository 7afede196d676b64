"""The guarantees a smooth certificate carries (SPEC §12), checked against an independent mpmath computation.

The loss, its gradient and Hessian are written here from the definition
(E(θ) = Σ_j (Σ_i v_i σ(w_i x_j) − y_j)², θ = (v, w)), with σ, σ′, σ″ in closed
form, at 50–80 digits; nothing of basins' arithmetic is used.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import mpmath
import numpy as np
import pytest

from basins import cases
from basins.certification.certify import recheck_certificate, verify_rigorous
from basins.errors import VerificationFailed

KEYS = ("theta_star", "E_star", "lambda_min_lower", "basin_radius", "escape_barrier_lower_bound", "method", "meaning")


def _swish(t: Any) -> tuple[Any, Any, Any]:
    s = 1 / (1 + mpmath.exp(-t))
    return t * s, s + t * s * (1 - s), 2 * s * (1 - s) + t * s * (1 - s) * (1 - 2 * s)


def _tanh(t: Any) -> tuple[Any, Any, Any]:
    h = mpmath.tanh(t)
    return h, 1 - h * h, -2 * h * (1 - h * h)


def _sin(t: Any) -> tuple[Any, Any, Any]:
    return mpmath.sin(t), mpmath.cos(t), -mpmath.sin(t)


SIGMA: dict[str, Callable[[Any], tuple[Any, Any, Any]]] = {"swish": _swish, "tanh": _tanh, "sin": _sin}
CASES = {"example2_swish": "swish", "tanh_m3_n12": "tanh", "sin_m6_n32": "sin"}


class Loss:
    """E, ∇E, ∇²E of one hidden layer, written from the definition."""

    def __init__(self, case: Any, sigma: Callable[[Any], tuple[Any, Any, Any]]):
        self.x = [mpmath.mpf(a) for a in case.x]
        self.y = [mpmath.mpf(a) for a in case.y]
        self.m = case.m
        self.sigma = sigma

    def E(self, th: list[Any]) -> Any:
        v, w = th[:self.m], th[self.m:]
        return mpmath.fsum((mpmath.fsum(v[i] * self.sigma(w[i] * xj)[0] for i in range(self.m)) - yj) ** 2
                           for xj, yj in zip(self.x, self.y))

    def grad_hess(self, th: list[Any]) -> tuple[Any, Any]:
        m, v, w = self.m, th[:self.m], th[self.m:]
        n = 2 * m
        g = mpmath.zeros(n, 1)
        H = mpmath.zeros(n, n)
        for xj, yj in zip(self.x, self.y):
            s = [self.sigma(w[i] * xj) for i in range(m)]
            r = mpmath.fsum(v[i] * s[i][0] for i in range(m)) - yj
            J = [s[i][0] for i in range(m)] + [v[i] * s[i][1] * xj for i in range(m)]
            for a in range(n):
                g[a] += 2 * r * J[a]
                for b in range(n):
                    H[a, b] += 2 * J[a] * J[b]
            for i in range(m):       # r ∇²ŷ_j: ∂²/∂v_i∂w_i = σ′ x, ∂²/∂w_i² = v_i σ″ x²
                H[i, m + i] += 2 * r * s[i][1] * xj
                H[m + i, i] += 2 * r * s[i][1] * xj
                H[m + i, m + i] += 2 * r * v[i] * s[i][2] * xj * xj
        return g, H


def _theta_star(loss: Loss, start: list[float]) -> list[Any]:
    th = mpmath.matrix([mpmath.mpf(a) for a in start])
    for _ in range(30):
        g, H = loss.grad_hess(list(th))
        step = mpmath.lu_solve(H, g)
        th = th - step
        if mpmath.norm(step) < mpmath.mpf(10) ** -75:
            break
    g, _ = loss.grad_hess(list(th))
    assert mpmath.norm(g) < mpmath.mpf(10) ** -60
    return list(th)


@pytest.fixture(scope="module", params=sorted(CASES))
def checked(request: Any) -> tuple[Any, Loss, list[Any]]:
    case = cases.load(request.param)
    loss = Loss(case, SIGMA[CASES[request.param]])
    g = case.certificate["guarantees"]
    with mpmath.workdps(80):
        star = _theta_star(loss, [float.fromhex(h) for h in g["theta_star"]["centre"]])
    return case, loss, star


def test_theta_star_lies_in_the_enclosure(checked: Any) -> None:
    case, _, star = checked
    g = case.certificate["guarantees"]["theta_star"]
    r = mpmath.mpf(float.fromhex(g["radius"]))
    assert 0 < r < 1e-6
    with mpmath.workdps(80):
        assert all(abs(t - mpmath.mpf(float.fromhex(c))) <= r for t, c in zip(star, g["centre"]))


def test_E_star_lies_in_its_bounds(checked: Any) -> None:
    case, loss, star = checked
    g = case.certificate["guarantees"]["E_star"]
    with mpmath.workdps(80):
        e = loss.E(star)
        assert mpmath.mpf(g["lower"]) <= e <= mpmath.mpf(g["upper"])
    assert g["lower"] <= float(e) <= g["upper"]


def test_lambda_min_at_theta_star_is_above_the_bound(checked: Any) -> None:
    case, loss, star = checked
    lam_lower = case.certificate["guarantees"]["lambda_min_lower"]
    assert lam_lower > 0
    with mpmath.workdps(50):
        _, H = loss.grad_hess([mpmath.mpf(t) for t in star])
        lam = min(mpmath.eigsy(H, eigvals_only=True))
    assert lam >= lam_lower


def test_escape_barrier_on_the_basin_sphere(checked: Any) -> None:
    case, loss, star = checked
    g = case.certificate["guarantees"]
    rho, L = g["basin_radius"], g["escape_barrier_lower_bound"]
    assert rho > 0 and L > 0
    assert rho > float.fromhex(case.certificate["inputs"]["radius"])     # beyond the Krawczyk box
    n = 2 * case.m
    rng = np.random.default_rng(12)
    dirs = [d / np.linalg.norm(d) for d in rng.standard_normal((200, n))]
    with mpmath.workdps(60):
        th = [mpmath.mpf(t) for t in star]
        _, H = loss.grad_hess(th)
        _, Q = mpmath.eigsy(H)
        dirs += [np.array([float(Q[i, k]) for i in range(n)]) for k in range(n)]      # eigen-directions, both signs
        dirs += [-d for d in dirs[200:]]
        e0 = loss.E(th)
        worst = None
        for d in dirs:
            u = [mpmath.mpf(float(a)) for a in d]
            nu = mpmath.sqrt(mpmath.fsum(a * a for a in u))
            rise = loss.E([t + mpmath.mpf(rho) * a / nu for t, a in zip(th, u)]) - e0
            worst = rise if worst is None else min(worst, rise)
            assert rise >= L, (case.name, rise, L)
    assert worst is not None and worst >= L


def test_an_edited_guarantee_is_rejected(checked: Any) -> None:
    case = checked[0]
    for key, edit in (("basin_radius", lambda g: g.update(basin_radius=g["basin_radius"] * 2)),
                      ("escape_barrier_lower_bound", lambda g: g.update(escape_barrier_lower_bound=1e9)),
                      ("E_star", lambda g: g["E_star"].update(lower=g["E_star"]["lower"] - 1.0))):
        cert = copy.deepcopy(case.certificate)
        edit(cert["guarantees"])
        with pytest.raises(VerificationFailed, match="guarantees") as info:
            verify_rigorous(case.with_(certificate=cert))
        assert info.value.check == "stored guarantees", key


@pytest.mark.parametrize("name", cases.names())
def test_every_shipped_case_says_what_it_guarantees(name: str) -> None:
    cert = cases.load(name).certificate
    assert "certificate.guarantees" in cert["record"]["certified fields"]
    if cert["kind"].startswith("piecewise linear"):
        assert "guarantees" not in cert and "no Hessian" in cert["guarantees (absent)"]
        return
    g = cert["guarantees"]
    assert all(k in g for k in KEYS)
    assert g["lambda_min_lower"] > 0 and g["basin_radius"] > 0 and g["escape_barrier_lower_bound"] > 0
    R = float.fromhex(g["basin_region"]["radius"])
    assert g["basin_radius"] <= R - float.fromhex(g["theta_star"]["radius"])
    assert g["escape_barrier_lower_bound"] <= 0.5 * g["basin_region"]["lambda_min_lower"] * g["basin_radius"] ** 2
    assert g["E_star"]["lower"] <= g["E_star"]["upper"]


def test_recheck_recomputes_the_guarantees() -> None:
    case = cases.load("example2_swish")
    fresh = recheck_certificate(case)
    assert fresh.guarantees == case.certificate["guarantees"]
