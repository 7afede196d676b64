"""Rebuild the shipped certified cases: ``python -m basins.cases._build``.

Each case is constructed, verified numerically (:func:`basins.verification.verify.verify_case`),
certified (:func:`basins.certification.certify.certify_case`),
re-proved by the independent verifier (:func:`basins.certification.second.reverify_or_raise`)
and written atomically to ``basins/cases/<name>.json``; ``basins/cases/README.md`` gets one
line per case.  The construction is deterministic (fixed seeds).
"""

from __future__ import annotations

import os
import sys
import time
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from basins.activations import as_activation
from basins.io.case import Case, Witness, write_json_atomic
from basins.certification.certify import certify_case
from basins.constructions.prop4 import construct_prop4
from basins.certification.second import reverify_or_raise
from basins.verification.verify import verify_case

HERE = os.path.dirname(os.path.abspath(__file__))


def _prop4(activation: str, x: Any, **kw: Any) -> Callable[[], Case]:
    return lambda: construct_prop4(activation, x, **kw)


def _theorem6(activation: str, x: Any) -> Callable[[], Case]:
    def build() -> Case:
        from basins.constructions.theorem6 import construct_theorem6

        return construct_theorem6(activation, x)
    return build


def _theorem4(x: Any, width: int, seed: int) -> Callable[[], Case]:
    def build() -> Case:
        from basins.constructions.theorem4 import construct_theorem4

        return construct_theorem4(x=x, width=width, seed=seed)
    return build


def _general(activation: str, inputs: Callable[[], Any], **kw: Any) -> Callable[[], Case]:
    def build() -> Case:
        from basins.constructions.general import construct_general

        return construct_general(activation, inputs(), seed=0, **kw)
    return build


def _gen(d: int, n: int, seed: int) -> Callable[[], Any]:
    def make() -> Any:
        from basins.io.data import generated_inputs

        return generated_inputs(d, n, seed)
    return make


def _xor(n: int, seed: int) -> Callable[[], Any]:
    def make() -> Any:
        from basins.io.data import noisy_xor

        return noisy_xor(n, seed)
    return make


def theorem7_dyadic(m: int, n: int, c: int = 1, M: float = 100.0) -> Case:
    """Theorem 7 for the shifted ReLU max(0, t − c), with data exact in binary.

    x_1 > ... > x_N > 0 with x_{2i+1} = c·2^(m−i) (so w_i = t_0/x_{2i+1} = 2^(i−m) is
    exact), v_i = 1, y = ŷ − M e_{2m+1}; the witness is one neuron at
    w* ∈ (u_{2m+1}, u_{2m+2}) with its least-squares output weight, rounded.
    """
    if n < 2 * m + 1:
        raise ValueError("Theorem 7 needs N ≥ 2m + 1")
    t0 = Fraction(c)
    odd = {2 * i + 1: t0 * 2 ** (m - i) for i in range(1, m + 1)}       # x_3, x_5, ..., x_{2m+1}
    x: list[Fraction] = [Fraction(0)] * (n + 1)                          # 1-based
    for j, val in odd.items():
        x[j] = val
    x[1] = odd[3] * Fraction(3, 2) if m >= 1 else t0 * 2
    for j in range(2, 2 * m + 1, 2):                                     # x_2, x_4, ...: between neighbours
        x[j] = (x[j - 1] + x[j + 1]) / 2 if j + 1 <= 2 * m + 1 else x[j]
    lo = odd[2 * m + 1]
    rest = n - (2 * m + 1)
    den = 2 ** (2 * rest + 1).bit_length()
    for k in range(1, rest + 1):                                         # below x_{2m+1}, dyadic, decreasing
        x[2 * m + 1 + k] = lo * (1 - Fraction(k, den))
    xs = [float(a) for a in x[1:]]
    assert all(Fraction(a) == b for a, b in zip(xs, x[1:])) and all(a > b for a, b in zip(xs, xs[1:]))
    w = [float(t0 / odd[2 * i + 1]) for i in range(1, m + 1)]
    v = [1.0] * m

    def sig(u: Fraction) -> Fraction:
        return max(Fraction(0), u - t0)

    yhat = [sum(Fraction(v[i]) * sig(Fraction(w[i]) * x[j]) for i in range(m)) for j in range(1, n + 1)]
    y = list(yhat)
    y[2 * m] -= Fraction(M)
    ys = [float(a) for a in y]
    assert all(Fraction(a) == b for a, b in zip(ys, y))
    # witness: neurons 1..m-1 kept, neuron m moved to w* ∈ (u_{2m+1}, u_{2m+2}) (active on samples
    # 1..2m+1), output weights by least squares; its loss is checked exactly by the certificate
    u_a = t0 / x[2 * m + 1]
    u_b = t0 / x[2 * m + 2] if 2 * m + 2 <= n else u_a * 2
    ww = w[:-1] + [float((u_a + u_b) / 2)]
    Z = np.array([[float(sig(Fraction(wi) * x[j])) for j in range(1, n + 1)] for wi in ww])
    wv = [float(a) for a in np.linalg.lstsq(Z.T, np.array(ys), rcond=None)[0]]
    loss_w = sum((sum(Fraction(a) * sig(Fraction(b) * x[j]) for a, b in zip(wv, ww)) - y[j - 1]) ** 2
                 for j in range(1, n + 1))
    loss = sum((a - b) ** 2 for a, b in zip(yhat, y))
    act = as_activation(f"shifted_relu({c})")
    return Case(act, tuple(xs), tuple(ys), tuple(v), tuple(w), "Theorem 7", float(loss),
                Witness(tuple(wv), tuple(ww), float(loss_w)),
                details={"construction": "Theorem 7, shifted ReLU, w_i = t_0/x_{2i+1}, v_i = 1, y = ŷ − M e_{2m+1}; "
                                         "dyadic data so that every pre-activation w_i x_{2i+1} equals t_0 exactly",
                         "M": M, "t0": c, "built by": "basins/cases/_build.py"})


_LIN = np.linspace
#: name -> (one-line description, builder)
SPECS: dict[str, tuple[str, Callable[[], Case]]] = {
    "example2_swish": ("the paper's Example 2: swish, x = (0.1, 2, 3), w = v = 1, M = 100 (m = 1, N = 3)",
                       _prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0], M=100.0)),
    "softplus_theorem6": ("Theorem 6: softplus, one neuron at w = 0, x = (1, 2, 3) (m = 1, N = 3)",
                          _theorem6("softplus", (1.0, 2.0, 3.0))),
    "exp_m1_n5": ("Proposition 4: exp, x = 0.5..2.5, searched w (m = 1, N = 5)",
                  _prop4("exp", _LIN(0.5, 2.5, 5), width=1, seed=0)),
    "gelu_m2_n8": ("Proposition 4: GELU, x = −3..3.5, searched w (m = 2, N = 8)",
                   _prop4("gelu", _LIN(-3.0, 3.5, 8), width=2, seed=0)),
    "tanh_m3_n12": ("Proposition 4: tanh, x = 0.25..6, searched w (m = 3, N = 12)",
                    _prop4("tanh", _LIN(0.25, 6.0, 12), width=3, seed=1)),
    "elu_m2_n8": ("Proposition 4: ELU (C¹ only at 0; pre-activations kept away from 0) (m = 2, N = 8)",
                  _prop4("elu", _LIN(0.5, 4.0, 8), width=2, seed=0)),
    "swish_m4_n16": ("Proposition 4: swish, x = 0.5..12, w = 0.35..1.4 (m = 4, N = 16)",
                     _prop4("swish", _LIN(0.5, 12.0, 16), w=[0.35, 0.7, 1.05, 1.4])),
    "softplus_m5_n24": ("Proposition 4: softplus, x = −12..13, w = ±(0.5..2.5) (m = 5, N = 24)",
                        _prop4("softplus", _LIN(-12.0, 13.0, 24), w=[0.5, -1.0, 1.5, -2.0, 2.5])),
    "sin_m6_n32": ("Proposition 4: sine, x = 0.5..20, w = 0.3..1.8 (m = 6, N = 32)",
                   _prop4("sin", _LIN(0.5, 20.0, 32), w=list(_LIN(0.3, 1.8, 6)))),
    "sin_m8_n64": ("Proposition 4: sine, x = 0.5..30, w = 0.25..2.35 (m = 8, N = 64)",
                   _prop4("sin", _LIN(0.5, 30.0, 64), w=list(_LIN(0.25, 2.35, 8)))),
    "theorem7_shifted_relu_m1_n3": ("Theorem 7: shifted ReLU max(0, t − 1), dyadic data, kink at x_3 (m = 1, N = 3)",
                                    lambda: theorem7_dyadic(1, 3)),
    "theorem7_shifted_relu_m2_n8": ("Theorem 7: shifted ReLU max(0, t − 1), dyadic data (m = 2, N = 8)",
                                    lambda: theorem7_dyadic(2, 8)),
    "theorem7_shifted_relu2_m3_n16": ("Theorem 7: shifted ReLU max(0, t − 2), dyadic data, M = 1000 (m = 3, N = 16)",
                                      lambda: theorem7_dyadic(3, 16, c=2, M=1000.0)),
    "theorem7_shifted_relu_m4_n9": ("Theorem 7: shifted ReLU max(0, t − 1), dyadic data, N = 2m + 1 (m = 4, N = 9)",
                                    lambda: theorem7_dyadic(4, 9)),
    "theorem4_designed_m2_n4": ("Theorem 4: a designed C² piecewise-quintic σ, x = (0.5, 1, 2, 3), seed 1 (m = 2, N = 4)",
                                _theorem4((0.5, 1.0, 2.0, 3.0), 2, 1)),
    "theorem4_designed_m5_n8": ("Theorem 4: a designed C² piecewise-quintic σ, x = 0.5..4, seed 1 (m = 5, N = 8)",
                                _theorem4(tuple(_LIN(0.5, 4.0, 8)), 5, 1)),
    # SPEC §11: d-dimensional inputs (seeded standard normal, or noisy XOR), hidden and output biases
    "xor_gelu_m2_d2": ("generalized Proposition 4: GELU on 40 noisy-XOR points in R², both biases (m = 2, d = 2)",
                       _general("gelu", _xor(40, 0), width=2, bias=True, output_bias=True)),
    "swish_m2_d3_biases": ("generalized Proposition 4: swish, 30 seeded normal points in R³, both biases (m = 2, d = 3)",
                           _general("swish", _gen(3, 30, 1), width=2, bias=True, output_bias=True)),
    "tanh_m3_d2_bias": ("generalized Proposition 4: tanh, 30 seeded normal points in R², hidden bias (m = 3, d = 2)",
                        _general("tanh", _gen(2, 30, 2), width=3, bias=True)),
    "softplus_m2_d3": ("generalized Proposition 4: softplus, 24 seeded normal points in R³, no biases (m = 2, d = 3)",
                       _general("softplus", _gen(3, 24, 3), width=2)),
    "sin_m4_d2_output_bias": ("generalized Proposition 4: sine, 40 seeded normal points in R², output bias (m = 4, d = 2)",
                              _general("sin", _gen(2, 40, 4), width=4, output_bias=True)),
    "atan_m4_d3_output_bias": ("generalized Proposition 4: atan, 40 seeded normal points in R³, output bias (m = 4, d = 3)",
                               _general("atan(t)", _gen(3, 40, 8), width=4, output_bias=True)),
    "gelu_m8_d2_bias": ("generalized Proposition 4: GELU, 120 seeded normal points in R², hidden bias (m = 8, d = 2)",
                        _general("gelu", _gen(2, 120, 5), width=8, bias=True)),
    "swish_m2_d8_biases": ("generalized Proposition 4: swish, 100 seeded normal points in R⁸, both biases (m = 2, d = 8)",
                           _general("swish", _gen(8, 100, 6), width=2, bias=True, output_bias=True)),
}


def build(names: list[str] | None = None) -> list[str]:
    """Build, certify, re-prove and write the named cases (all by default); returns README lines."""
    lines = []
    for name, (desc, make) in SPECS.items():
        if names and name not in names:
            continue
        t = time.perf_counter()
        case = make().with_(name=name)
        ver = verify_case(case, samples=2000, seed=0)
        if not ver.passed:
            raise SystemExit(f"{name}: numerical verification failed: {ver.failed}")
        case = certify_case(case.with_(verification=ver.to_dict()))
        reverify_or_raise(case)
        write_json_atomic(os.path.join(HERE, f"{name}.json"), case.to_json())
        print(f"{name}: certified and re-proved in {time.perf_counter() - t:.2f} s", file=sys.stderr)
        label = case.activation.name if len(case.activation.name) <= 60 else "designed σ (piecewise quintic)"
        lines.append(f"| `{name}` | {label} | {case.m} | {case.N} | {case.theorem} | {desc} |")
    return lines


if __name__ == "__main__":
    for line in build(sys.argv[1:] or None):
        print(line)
