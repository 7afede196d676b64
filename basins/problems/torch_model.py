"""The network as a float64 ``torch.nn.Module`` (:class:`TorchNetwork`), built when first asked for.

The class exists only once torch is importable: ``TorchNetwork`` is made on
first attribute access (PEP 562 module ``__getattr__``), so importing this
module never imports torch, and unpickling a saved model
(``torch.load(path, weights_only=False)``) finds the class here by name.

The module holds ``v`` and ``w`` (parameters, float64, shape (m,)) and the
activation's text; ``forward(x)`` is ŷ = Σ_i v_i σ(w_i x) for x of shape
(N,), with σ translated from the sympy expression (:mod:`basins.problems.translate`).
"""

from __future__ import annotations

from typing import Any

from basins.problems.backends import torch_output
from basins.problems.translate import activation_function, require

__all__ = ["network", "make_class"]

_CLASS: list[Any] = []


def make_class() -> Any:
    """The ``TorchNetwork`` class (made once; needs torch)."""
    if _CLASS:
        return _CLASS[0]
    torch = require("torch", "torch")

    class TorchNetwork(torch.nn.Module):  # type: ignore[misc, name-defined]
        """ŷ = Σ_i v_i σ(w_i x) in float64; θ = (v, w) = ``torch.cat([v, w])``."""

        def __init__(self, activation: str, v: Any, w: Any) -> None:
            super().__init__()
            self.activation = str(activation)
            self.v = torch.nn.Parameter(torch.as_tensor(v, dtype=torch.float64).reshape(-1).clone())
            self.w = torch.nn.Parameter(torch.as_tensor(w, dtype=torch.float64).reshape(-1).clone())

        def forward(self, x: Any) -> Any:
            x = torch.as_tensor(x, dtype=torch.float64).reshape(-1)
            return torch_output(torch, activation_function(self.activation, "torch"), x, self.v, self.w)

        def extra_repr(self) -> str:
            return f"m={self.v.numel()}, activation={self.activation[:60]!r}"

    TorchNetwork.__module__ = __name__
    TorchNetwork.__qualname__ = "TorchNetwork"
    _CLASS.append(TorchNetwork)
    return TorchNetwork


def network(activation: str, v: Any, w: Any) -> Any:
    """A ``TorchNetwork`` for an activation's text (:attr:`Activation.text`) and weights v, w."""
    return make_class()(activation, v, w)


def __getattr__(name: str) -> Any:
    if name == "TorchNetwork":
        return make_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
