"""The three backends: numpy (closed forms), torch and jax (autodiff of the backend's own loss).

torch and jax are optional extras; they are imported inside these functions,
never when :mod:`basins.problems` is imported.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from basins.io.case import Case
from basins.model import network
from basins.problems.core import Problem, certified, guarantees, theta_star, witness_theta
from basins.problems.translate import activation_function, require

__all__ = ["BACKENDS", "numpy_problem", "torch_problem", "jax_problem", "torch_output"]


def _theta(theta: Any, m: int) -> np.ndarray:
    a = np.asarray(theta, dtype=np.float64).ravel()
    if a.shape != (2 * m,):
        raise ValueError(f"theta has {a.size} entries; this problem has 2m = {2 * m} parameters (v, w)")
    return a


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

    def as_t(a: Any) -> Any:
        a = torch.as_tensor(a, dtype=torch.float64).reshape(-1)
        if a.shape != (2 * m,):
            raise ValueError(f"theta has {a.numel()} entries; this problem has 2m = {2 * m} parameters (v, w)")
        return a

    def energy(theta: Any) -> Any:
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

    def energy(theta: Any) -> Any:
        v, w = theta[:m], theta[m:]
        r = y - (v[:, None] * sigma(w[:, None] * x[None, :])).sum(axis=0)
        return jnp.sum(r * r)

    def as_j(a: Any) -> Any:
        a = jnp.asarray(a, dtype=jnp.float64).reshape(-1)
        if a.shape != (2 * m,):
            raise ValueError(f"theta has {a.size} entries; this problem has 2m = {2 * m} parameters (v, w)")
        return a

    e_jit, g_jit = jax.jit(energy), jax.jit(jax.grad(energy))
    h_jit = jax.jit(lambda th, u: jax.jvp(jax.grad(energy), (th,), (u,))[1])
    return _problem(case, "jax", conv, lambda th: e_jit(as_j(th)), lambda th: g_jit(as_j(th)),
                    lambda th, u: h_jit(as_j(th), as_j(u)))


#: backend name → the function building its problem.
BACKENDS: dict[str, Callable[[Case], Problem]] = {"numpy": numpy_problem, "torch": torch_problem,
                                                  "jax": jax_problem}
