"""The three backends: numpy (closed forms), torch and jax (autodiff of the backend's own loss).

torch and jax are optional extras; they are imported inside these functions,
never when :mod:`basins.problems` is imported.  A case of the model of SPEC §11
("basins.case/2") has θ = (v_1..v_m, w_1[1..D], …, w_m[1..D][, c]) in every
backend (:func:`basins.problems.core.parameter_order`).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from basins.io.case import Case
from basins.model import network
from basins.problems.core import Problem, certified, guarantees, parameter_order, theta_star, witness_theta
from basins.problems.translate import activation_function, require

__all__ = ["BACKENDS", "numpy_problem", "torch_problem", "jax_problem", "torch_output", "general_output"]


def _size_error(got: int, case: Case) -> ValueError:
    if case.model.scalar:
        return ValueError(f"theta has {got} entries; this problem has 2m = {2 * case.m} parameters (v, w)")
    return ValueError(f"theta has {got} entries; this problem has {case.model.n_params(case.m)} parameters "
                      f"({parameter_order(case)})")


def _theta(theta: Any, m: int, case: Case | None = None) -> np.ndarray:
    a = np.asarray(theta, dtype=np.float64).ravel()
    n = 2 * m if case is None else case.model.n_params(m)
    if a.shape != (n,):
        raise _size_error(a.size, case) if case is not None else ValueError(
            f"theta has {a.size} entries; this problem has 2m = {2 * m} parameters (v, w)")
    return a


def _split(theta: Any, case: Case) -> tuple[Any, Any, Any]:
    """(v, w (m, D), c or None) from θ = (v, w_1[1..D], …, w_m[1..D][, c]), in any backend's arrays."""
    v, w, c = case.model.split(theta)
    return v, (w if not case.model.scalar else w.reshape(case.m, 1)), c


def general_output(sigma: Callable[[Any], Any], xt: Any, v: Any, w: Any, c: Any) -> Any:
    """ŷ_n = Σ_i v_i σ(w_i·x̃_n) (+ c) for x̃ (N, D), v (m,), w (m, D), in any backend (SPEC §11)."""
    out = sigma(xt @ w.T) @ v
    return out if c is None else out + c


def _problem(case: Case, backend: str, conv: Callable[[Any], Any], loss: Callable[[Any], Any],
             grad: Callable[[Any], Any], hvp: Callable[[Any, Any], Any]) -> Problem:
    x, y = np.array(case.x, dtype=np.float64), np.array(case.y, dtype=np.float64)
    wit = witness_theta(case)
    return Problem(name=case.name, theorem=case.theorem, backend=backend, x=conv(x), y=conv(y),
                   theta_star=conv(theta_star(case)), witness=None if wit is None else conv(wit),
                   certified=certified(case), guarantees=guarantees(case), case=case,
                   _loss=loss, _grad=grad, _hvp=hvp)


def numpy_problem(case: Case) -> Problem:
    """Closed forms (:mod:`basins.model.network`): E, ∇E = 2Jᵀr, ∇²E u with the closed-form Hessian."""
    act, m = case.activation, case.m
    x, y = np.array(case.x, dtype=np.float64), np.array(case.y, dtype=np.float64)
    if not case.model.scalar:
        return _numpy_general(case, x, y)

    def loss(theta: Any) -> float:
        v, w = network.unpack(_theta(theta, m))
        return network.loss(act, x, y, v, w)

    def grad(theta: Any) -> np.ndarray:
        v, w = network.unpack(_theta(theta, m))
        return network.gradient(act, x, y, v, w)

    def hvp(theta: Any, u: Any) -> np.ndarray:
        v, w = network.unpack(_theta(theta, m))
        return network.hessian(act, x, y, v, w) @ _theta(u, m)

    return _problem(case, "numpy", lambda a: a, loss, grad, hvp)


def _numpy_general(case: Case, x: np.ndarray, y: np.ndarray) -> Problem:
    act, m, model = case.activation, case.m, case.model

    def parts(theta: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        v, w, c = _split(_theta(theta, m, case), case)
        return v, w, {"c": None if c is None else float(c), "model": model}

    def loss(theta: Any) -> float:
        v, w, kw = parts(theta)
        return network.loss(act, x, y, v, w, **kw)

    def grad(theta: Any) -> np.ndarray:
        v, w, kw = parts(theta)
        return network.gradient(act, x, y, v, w, **kw)

    def hvp(theta: Any, u: Any) -> np.ndarray:
        v, w, kw = parts(theta)
        return network.hessian(act, x, y, v, w, **kw) @ _theta(u, m, case)

    return _problem(case, "numpy", lambda a: a, loss, grad, hvp)


def _inputs(case: Case) -> np.ndarray:
    """x̃ (N, D): the inputs, with a column of ones for a hidden bias."""
    x = np.array(case.x, dtype=np.float64)
    return np.hstack([x, np.ones((x.shape[0], 1))]) if case.bias else x


def torch_output(torch: Any, sigma: Callable[[Any], Any], x: Any, v: Any, w: Any) -> Any:
    """ŷ = Σ_i v_i σ(w_i x) in torch (x of shape (N,), v and w of shape (m,))."""
    return (v[:, None] * sigma(w[:, None] * x[None, :])).sum(dim=0)


def torch_problem(case: Case) -> Problem:
    """torch float64 tensors; ∇E and ∇²E u by autograd (double backward)."""
    torch = require("torch", "torch")
    sigma = activation_function(case.activation.text, "torch")
    m = case.m

    def conv(a: Any) -> Any:
        return torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64)

    x, y = conv(case.x), conv(case.y)
    n, general = case.model.n_params(m), not case.model.scalar
    xt = conv(_inputs(case)) if general else None

    def as_t(a: Any) -> Any:
        a = torch.as_tensor(a, dtype=torch.float64).reshape(-1)
        if a.shape != (n,):
            raise _size_error(a.numel(), case)
        return a

    def energy(theta: Any) -> Any:
        if general:
            r = y - general_output(sigma, xt, *_split(theta, case))
        else:
            r = y - torch_output(torch, sigma, x, theta[:m], theta[m:])
        return (r * r).sum()

    def loss(theta: Any) -> Any:
        return energy(as_t(theta))

    def grad(theta: Any) -> Any:
        th = as_t(theta).detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(energy(th), th)
        return g

    def hvp(theta: Any, u: Any) -> Any:
        th = as_t(theta).detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(energy(th), th, create_graph=True)
        (h,) = torch.autograd.grad(g, th, grad_outputs=as_t(u).detach())
        return h

    return _problem(case, "torch", conv, loss, grad, hvp)


def jax_problem(case: Case) -> Problem:
    """jax float64 arrays (x64 enabled); ∇E by ``jax.grad``, ∇²E u by forward-over-reverse (``jax.jvp``)."""
    jax = require("jax", "jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    sigma = activation_function(case.activation.text, "jax")
    m = case.m

    def conv(a: Any) -> Any:
        return jnp.asarray(np.asarray(a, dtype=np.float64), dtype=jnp.float64)

    x, y = conv(case.x), conv(case.y)
    n, general = case.model.n_params(m), not case.model.scalar
    xt = conv(_inputs(case)) if general else None

    def energy(theta: Any) -> Any:
        if general:
            r = y - general_output(sigma, xt, *_split(theta, case))
            return jnp.sum(r * r)
        v, w = theta[:m], theta[m:]
        r = y - (v[:, None] * sigma(w[:, None] * x[None, :])).sum(axis=0)
        return jnp.sum(r * r)

    def as_j(a: Any) -> Any:
        a = jnp.asarray(a, dtype=jnp.float64).reshape(-1)
        if a.shape != (n,):
            raise _size_error(a.size, case)
        return a

    e_jit, g_jit = jax.jit(energy), jax.jit(jax.grad(energy))
    h_jit = jax.jit(lambda th, u: jax.jvp(jax.grad(energy), (th,), (u,))[1])
    return _problem(case, "jax", conv, lambda th: e_jit(as_j(th)), lambda th: g_jit(as_j(th)),
                    lambda th, u: h_jit(as_j(th), as_j(u)))


#: backend name → the function building its problem.
BACKENDS: dict[str, Callable[[Case], Problem]] = {"numpy": numpy_problem, "torch": torch_problem,
                                                  "jax": jax_problem}
