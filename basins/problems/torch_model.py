"""The network as a float64 ``torch.nn.Module`` (:class:`TorchNetwork`), built when first asked for.

The class exists only once torch is importable: ``TorchNetwork`` is made on
first attribute access (PEP 562 module ``__getattr__``), so importing this
module never imports torch, and unpickling a saved model
(``torch.load(path, weights_only=False)``) finds the class here by name.

The module holds ``v`` and ``w`` (parameters, float64, shape (m,)) and the
activation's text; ``forward(x)`` is ŷ = Σ_i v_i σ(w_i x) for x of shape
(N,), with σ translated from the sympy expression (:mod:`basins.problems.translate`).

For the model of SPEC §11 (``input_dim`` given), ``w`` has shape (m, D) (a
hidden bias is its last column, ``hidden_bias=True``), ``c`` is the output
bias (a 0-d parameter, absent when None), and ``forward(x)`` takes x of shape
(N, d): ŷ_n = Σ_i v_i σ(w_i·x̃_n) + c, x̃_n = (x_n, 1) with a hidden bias.
:meth:`theta` is θ = (v, w_1[1..D], …, w_m[1..D][, c]).
"""

from __future__ import annotations

from typing import Any

from basins.problems.backends import general_output, torch_output
from basins.problems.translate import activation_function, require

__all__ = ["network", "make_class"]

_CLASS: list[Any] = []


def make_class() -> Any:
    """The ``TorchNetwork`` class (made once; needs torch)."""
    if _CLASS:
        return _CLASS[0]
    torch = require("torch", "torch")

    class TorchNetwork(torch.nn.Module):  # type: ignore[misc, name-defined]
        """ŷ = Σ_i v_i σ(w_i x) in float64; θ = (v, w) = ``torch.cat([v, w])``.

        With ``input_dim`` (SPEC §11): ŷ_n = Σ_i v_i σ(w_i·x̃_n) + c, w of shape (m, D).
        """

        def __init__(self, activation: str, v: Any, w: Any, input_dim: int | None = None,
                     hidden_bias: bool = False, c: Any = None) -> None:
            super().__init__()
            self.activation = str(activation)
            self.input_dim = None if input_dim is None else int(input_dim)
            self.hidden_bias = bool(hidden_bias)
            self.v = torch.nn.Parameter(torch.as_tensor(v, dtype=torch.float64).reshape(-1).clone())
            if self.input_dim is None:
                self.w = torch.nn.Parameter(torch.as_tensor(w, dtype=torch.float64).reshape(-1).clone())
                self.c = None
            else:
                D = self.input_dim + int(self.hidden_bias)
                self.w = torch.nn.Parameter(torch.as_tensor(w, dtype=torch.float64).reshape(-1, D).clone())
                self.c = None if c is None else torch.nn.Parameter(torch.tensor(float(c), dtype=torch.float64))

        def forward(self, x: Any) -> Any:
            sigma = activation_function(self.activation, "torch")
            if self.input_dim is None:
                x = torch.as_tensor(x, dtype=torch.float64).reshape(-1)
                return torch_output(torch, sigma, x, self.v, self.w)
            x = torch.as_tensor(x, dtype=torch.float64).reshape(-1, self.input_dim)
            if self.hidden_bias:
                x = torch.cat([x, torch.ones((x.shape[0], 1), dtype=torch.float64)], dim=1)
            return general_output(sigma, x, self.v, self.w, self.c)

        def theta(self) -> Any:
            """θ = (v, w_1..w_m[, c]) as one float64 tensor (the order of the case and its problems)."""
            parts = [self.v.reshape(-1), self.w.reshape(-1)] + ([] if self.c is None else [self.c.reshape(1)])
            return torch.cat(parts)

        def extra_repr(self) -> str:
            shape = "" if self.input_dim is None else (f", d={self.input_dim}, hidden_bias={self.hidden_bias}, "
                                                       f"output_bias={self.c is not None}")
            return f"m={self.v.numel()}{shape}, activation={self.activation[:60]!r}"

    TorchNetwork.__module__ = __name__
    TorchNetwork.__qualname__ = "TorchNetwork"
    _CLASS.append(TorchNetwork)
    return TorchNetwork


def network(activation: str, v: Any, w: Any, *, input_dim: int | None = None, hidden_bias: bool = False,
            c: Any = None) -> Any:
    """A ``TorchNetwork`` for an activation's text (:attr:`Activation.text`) and weights v, w
    (with ``input_dim``, the model of SPEC §11: w of shape (m, D), a hidden bias, an output bias c)."""
    return make_class()(activation, v, w, input_dim, hidden_bias, c)


def __getattr__(name: str) -> Any:
    if name == "TorchNetwork":
        return make_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
