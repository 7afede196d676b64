"""Theorem 7: bad basins for piecewise-linear σ with σ(0) = σ′(0) = 0.

Let t_0 ≠ 0 be the breakpoint of σ nearest to 0 and σ = a(t − t_0) beyond it
on an interval of length δ.  In the canonical case t_0 > 0, a > 0, for inputs
x_1 > … > x_N > 0 with x_1/x_N < (t_0 + δ)/t_0 and u_i = t_0/x_i
(u_{N+1} = (t_0 + δ)/x_1), the point

    w_i = u_{2i+1},  v_i = 1  (i = 1..m),   y = ŷ − M e_{2m+1}

has E = M² and z_i = σ(w_i x) of "pattern 2i" (first 2i entries positive, the
rest zero); it is a strict local minimum by the pattern argument (cases
i–vi of the proof).  The witness (66)–(70) has w*_m ∈ (u_{2m+1}, u_{2m+2}),
v*_m = −αM, all other weights 0, with α as in (69); it is lower for M above a
threshold.  The other sign cases flip w (t_0 < 0) and/or v (a < 0).

Everything is computed in exact rationals (:class:`fractions.Fraction`) when
σ's breakpoints and slopes are rational; the case stores the rationals in
``details["exact"]`` and their floats (w rounded towards 0, so that
|w_i x_{2i+1}| ≤ |t_0| also holds in floating point), and its verification
uses the exact analysis of :mod:`basins.verification.pieces` (the Hessian does not exist).

References
----------
Li, Ding & Sun, *On the Benefit of Width for Neural Networks: Disappearance of
Basins*, Theorem 7 and its proof, equations (47)–(70) (arXiv:1812.11039).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from basins.activations import Activation, as_activation
from basins.io.case import Case, Witness
from basins.errors import HypothesisFailed, InvalidArgument, NotApplicable
from basins.verification.pieces import analyse_pieces, to_fraction
from basins.constructions.theorem5 import refuse_if_homogeneous

__all__ = ["HYPOTHESES", "Shape", "activation_shape", "default_x", "check_data", "construct_theorem7"]

THEOREM = "Theorem 7"

#: The hypotheses of Theorem 7, by the names used in errors and reports.
HYPOTHESES: dict[str, str] = {
    "piecewise linear": "σ is continuous and piecewise linear",
    "σ(0) = σ′(0) = 0": "σ(0) = σ′(0) = 0 (σ vanishes on an interval around 0)",
    "breakpoint t0 ≠ 0": "σ has a breakpoint t_0 ≠ 0 (the one nearest 0 is used)",
    "rational σ": "the breakpoints and slopes of σ are rational (exact arithmetic)",
    "N ≥ 3": "at least three samples",
    "2m + 1 ≤ N": "2m + 1 ≤ N (the residual sits on sample 2m + 1)",
    "x positive": "every x_n > 0",
    "x strictly decreasing": "x_1 > x_2 > … > x_N",
    "ratio": "x_1/x_N < (|t_0| + δ)/|t_0|",
    "M > M_threshold": "M above the threshold beyond which the witness (66)–(70) is lower",
}


def _fail(hypothesis: str, detail: str, cls: type = HypothesisFailed) -> NotApplicable:
    return cls(f"{THEOREM} needs {HYPOTHESES[hypothesis]} (hypothesis {hypothesis!r}): {detail}",
               theorem=THEOREM, hypothesis=hypothesis)


@dataclass(frozen=True)
class Shape:
    """σ near 0: t_0 (nearest breakpoint), the slope a beyond it and the length δ of that piece.

    ``delta`` is None when the piece beyond t_0 is unbounded.  ``sign_w`` =
    sign(t_0) and ``sign_v`` = sign(a) map the canonical construction
    (t_0 > 0, a > 0) to σ.
    """

    t0: Fraction
    a: Fraction
    delta: Fraction | None

    @property
    def sign_w(self) -> int:
        return 1 if self.t0 > 0 else -1

    @property
    def sign_v(self) -> int:
        return 1 if self.a > 0 else -1

    @property
    def ratio_bound(self) -> Fraction | None:
        """(|t_0| + δ)/|t_0|, the bound on x_1/x_N (None: unbounded)."""
        return None if self.delta is None else (abs(self.t0) + self.delta) / abs(self.t0)

    def to_dict(self) -> dict[str, Any]:
        return {"t0": str(self.t0), "a": str(self.a), "delta": None if self.delta is None else str(self.delta),
                "sign of w": self.sign_w, "sign of v": self.sign_v,
                "x1/xN bound": None if self.ratio_bound is None else str(self.ratio_bound)}


def activation_shape(activation: Activation | str) -> Shape:
    """t_0, a and δ of (47)/(48) for a piecewise-linear σ with σ(0) = σ′(0) = 0.

    Raises
    ------
    NotApplicable
        Positively homogeneous σ (Theorem 5), or σ not piecewise linear.
    HypothesisFailed
        σ(0) ≠ 0 or σ′(0) ≠ 0, no breakpoint, or irrational breakpoints/slopes.

    Examples
    --------
    >>> activation_shape("Max(0, t - 1) - Max(0, t - 3)")
    Shape(t0=Fraction(1, 1), a=Fraction(1, 1), delta=Fraction(2, 1))
    >>> activation_shape("Min(0, t + 2)")
    Shape(t0=Fraction(-2, 1), a=Fraction(-1, 1), delta=None)

    References
    ----------
    Li, Ding & Sun, Theorem 7, equations (47)–(48) (arXiv:1812.11039).
    """
    act = as_activation(activation)
    refuse_if_homogeneous(act)
    pl = act.piecewise_linear
    if pl is None:
        raise NotApplicable(
            f"{THEOREM} needs {HYPOTHESES['piecewise linear']}: activation={act.name!r} is not; for a C² σ "
            "use Theorem 6 or Proposition 4 (`basins construct --theorem auto`)",
            theorem=THEOREM, hypothesis="piecewise linear")
    try:
        bps = [to_fraction(b, "breakpoint") for b in pl.breakpoints]
        pcs = [(to_fraction(s, "slope"), to_fraction(c, "intercept")) for s, c in pl.pieces]
    except InvalidArgument as exc:
        raise _fail("rational σ", f"activation={act.name!r}: {exc}") from None
    if 0 in bps:
        raise _fail("σ(0) = σ′(0) = 0", f"activation={act.name!r} has a breakpoint at t = 0, so σ′(0) does not exist")
    k = sum(1 for b in bps if b < 0)          # pieces[k] contains 0
    slope, icpt = pcs[k]
    if icpt != 0 or slope != 0:
        raise _fail("σ(0) = σ′(0) = 0", f"activation={act.name!r} has σ(0) = {icpt}, σ′(0) = {slope}")
    left = bps[k - 1] if k > 0 else None
    right = bps[k] if k < len(bps) else None
    if left is None and right is None:  # pragma: no cover - σ ≡ 0 is homogeneous: refused above
        raise _fail("breakpoint t0 ≠ 0", f"activation={act.name!r} is identically 0")
    if right is not None and (left is None or right <= -left):
        t0, a = right, pcs[k + 1][0]
        delta = bps[k + 1] - t0 if k + 1 < len(bps) else None
    else:
        assert left is not None
        t0, a = left, -pcs[k - 1][0]
        delta = t0 - bps[k - 2] if k - 2 >= 0 else None
    return Shape(t0, a, delta)


def default_x(shape: Shape, N: int, m: int | None = None) -> list[Fraction]:
    """N dyadic inputs, strictly decreasing, positive, with x_1/x_N below the bound.

    Dyadic so that the floats stored in the case are the rationals exactly.
    When the bound allows it (x_1/x_N up to 2^(m+1)) and m is given, the
    inputs x_{2i+1} are the powers 2^(m−i), so that for a dyadic t_0 the
    weights w_i = t_0/x_{2i+1}, ŷ and y are dyadic too: the float point is the
    rational point exactly (and can be certified).  Otherwise the inputs
    are 1 + (N − n)·h.

    Examples
    --------
    >>> [str(a) for a in default_x(activation_shape("Max(0, t - 1) - Max(0, t - 3)"), 5)]
    ['2', '7/4', '3/2', '5/4', '1']
    >>> [str(a) for a in default_x(activation_shape("Max(0, t - 1)"), 6, m=2)]
    ['4', '3', '2', '3/2', '1', '3/4']

    References
    ----------
    Li, Ding & Sun, Theorem 7, Step 1 (arXiv:1812.11039).
    """
    bound = shape.ratio_bound
    if m is not None and 2 * m + 1 <= N and (bound is None or bound > 2 ** (m + 1)):
        odd = [Fraction(2) ** (m - i) for i in range(m + 1)]            # x_1, x_3, ..., x_{2m+1}
        head: list[Fraction] = []
        for i in range(m):
            head += [odd[i], (odd[i] + odd[i + 1]) / 2]
        head.append(odd[m])
        tail = N - len(head)
        step = Fraction(1, 2 ** (max(1, math.ceil(math.log2(tail + 1))) + 1)) if tail else Fraction(0)
        return head + [1 - (k + 1) * step for k in range(tail)]
    room = Fraction(1) if bound is None else min(Fraction(1), (bound - 1) / 2)
    h = Fraction(1, 2 ** max(0, math.ceil(math.log2((N - 1) / room))))  # (N − 1)·h ≤ room
    while (N - 1) * h > room:
        h /= 2
    return [1 + (N - 1 - n) * h for n in range(N)]


def check_data(shape: Shape, x: Sequence[Any], m: int) -> list[Fraction]:
    """Check (and return as rationals) inputs x for Theorem 7 with width m.

    Raises HypothesisFailed naming "N ≥ 3", "2m + 1 ≤ N", "x positive",
    "x strictly decreasing" or "ratio".

    References
    ----------
    Li, Ding & Sun, Theorem 7, Step 1 (arXiv:1812.11039).
    """
    X = [to_fraction(a, f"x[{n}]") for n, a in enumerate(x)]
    N = len(X)
    if N < 3:
        raise _fail("N ≥ 3", f"x has N = {N} entries")
    if 2 * m + 1 > N:
        raise _fail("2m + 1 ≤ N", f"width={m} needs N ≥ {2 * m + 1}, but x has N = {N} entries")
    bad = [n for n, a in enumerate(X) if a <= 0]
    if bad:
        raise _fail("x positive", f"x[{bad[0]}] = {float(X[bad[0]])!r} ≤ 0 (x = {[float(a) for a in X][:10]})")
    bad = [n for n in range(N - 1) if not X[n] > X[n + 1]]
    if bad:
        raise _fail("x strictly decreasing",
                    f"x[{bad[0]}] = {float(X[bad[0]])!r} ≤ x[{bad[0] + 1}] = {float(X[bad[0] + 1])!r}; "
                    "sort the inputs in decreasing order")
    bound = shape.ratio_bound
    if bound is not None and not X[0] / X[-1] < bound:
        raise _fail("ratio", f"x_1/x_N = {float(X[0] / X[-1]):.6g} ≥ (|t_0| + δ)/|t_0| = {float(bound):.6g} "
                             f"(t_0 = {shape.t0}, δ = {shape.delta})")
    return X


def _round_toward_zero(q: Fraction) -> float:
    f = float(q)
    if abs(Fraction(f)) > abs(q):
        f = math.nextafter(f, 0.0)
    return f


def construct_theorem7(
    activation: Activation | str,
    x: Sequence[Any] | np.ndarray | None = None,
    *,
    width: int | None = None,
    M: Any = None,
    N: int | None = None,
    w: Any = None,
    v: Any = None,
    seed: int = 0,
    **ignored: Any,
) -> Case:
    """Build the bad basin of Theorem 7 for a piecewise-linear σ with σ(0) = σ′(0) = 0.

    Parameters
    ----------
    activation : str or Activation
        E.g. ``Max(0, t - 1)``, ``Max(0, t - 1) - Max(0, t - 3)``, ``Min(0, t + 2)``.
    x : sequence, optional
        Inputs (floats taken exactly, Fractions or strings like "3/2"):
        positive, strictly decreasing, ``x_1/x_N < (|t_0| + δ)/|t_0|``.  Default:
        N dyadic inputs generated to satisfy this.
    width : int, optional
        m (default 1); needs 2m + 1 ≤ N.
    M : number, optional
        The residual on sample 2m + 1 (y = ŷ − M e_{2m+1}, E = M²); default:
        the smallest integer ≥ 2·M_threshold and ≥ 1.
    N : int, optional
        Number of generated inputs when x is not given (default max(3, 2m + 1)).
    w, v : optional
        Not accepted (the theorem fixes them); given only to refuse clearly.
    seed : int
        Unused (the construction is deterministic); accepted for a uniform API.

    Returns
    -------
    Case
        ``details["exact"]`` holds the rational x, y, v, w, M, loss and
        witness; ``details["pieces"]`` the exact analysis of the pieces meeting
        at the point.

    Raises
    ------
    NotApplicable, HypothesisFailed
        The failing hypothesis is named (see :data:`HYPOTHESES`).
    InvalidArgument
        Badly formed arguments.

    Examples
    --------
    >>> case = construct_theorem7("Max(0, t - 1)", width=1)
    >>> case.details["exact"]["x"], case.details["exact"]["w"], case.details["exact"]["loss"]
    (['2', '3/2', '1'], ['1'], '676')
    >>> case.details["pieces"]["status"]
    'strict local minimum (exact)'

    References
    ----------
    Li, Ding & Sun, Theorem 7, equations (47)–(70) (arXiv:1812.11039).
    """
    act = as_activation(activation)
    if ignored:
        raise InvalidArgument(f"{THEOREM} does not take {', '.join(f'{k}={val!r}' for k, val in ignored.items())}")
    shape = activation_shape(act)
    if w is not None or v is not None:
        raise InvalidArgument(f"w={w!r}, v={v!r}: {THEOREM} places the point itself "
                              "(w_i = t_0/x_{2i+1}, v_i = ±1); give x, width and M only")
    if width is None:
        m = 1
    elif isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise InvalidArgument(f"width={width!r} must be a positive integer")
    else:
        m = int(width)
    if x is None:
        n_gen = max(3, 2 * m + 1) if N is None else N
        if isinstance(n_gen, bool) or not isinstance(n_gen, (int, np.integer)) or n_gen < 1:
            raise InvalidArgument(f"N={N!r} must be a positive integer")
        X = check_data(shape, default_x(shape, int(n_gen), m), m)
        generated = True
    else:
        if isinstance(x, (str, bytes)):
            raise InvalidArgument(f"x={x!r} must be a sequence of numbers")
        X = check_data(shape, list(x), m)
        generated = False
    Nn = len(X)
    T0, A = abs(shape.t0), abs(shape.a)
    # canonical σ̃(s) = sign_v·σ(sign_w·s) = A(s − T0) on (T0, T0 + δ], 0 on [0, T0]
    u = [T0 / xi for xi in X]
    u_next = (T0 + shape.delta) / X[0] if shape.delta is not None else 2 * u[-1]
    u.append(u_next)                     # u[k] is u_{k+1} of the paper
    Wc = [u[2 * i + 2] for i in range(m)]    # w_i = u_{2i+1}, i = 1..m

    def sig(s: Fraction) -> Fraction:      # σ̃ on [0, T0 + δ]
        return A * (s - T0) if s > T0 else Fraction(0)

    yhat = [sum((sig(wi * xn) for wi in Wc), Fraction(0)) for xn in X]
    # the witness: w*_m mid-way in (u_{2m+1}, u_{2m+2}), α at the minimiser of c_2 (inside (69))
    ws = (u[2 * m] + u[2 * m + 1]) / 2
    sw = [sig(ws * xn) for xn in X]
    S2 = sum((s * s for s in sw[: 2 * m + 1]), Fraction(0))
    alpha = sw[2 * m] / S2
    c2 = alpha * alpha * S2 - 2 * alpha * sw[2 * m]
    c1 = 2 * alpha * sum((yhat[n] * sw[n] for n in range(2 * m)), Fraction(0))
    c0 = sum((yhat[n] ** 2 for n in range(2 * m)), Fraction(0))
    thr = (float(c1) + math.sqrt(float(c1) ** 2 - 4 * float(c2) * float(c0))) / (-2 * float(c2))
    if M is None:
        Mq = Fraction(max(1, math.ceil(2 * thr)))
    else:
        try:
            Mq = to_fraction(M, "M")
        except InvalidArgument:
            raise InvalidArgument(f"M={M!r} must be a positive number") from None
        if Mq <= 0:
            raise InvalidArgument(f"M={M!r} must be a positive number")
    dE = c2 * Mq * Mq + c1 * Mq + c0      # E(witness) − E, exactly (67)
    if not dE < 0:
        raise _fail("M > M_threshold", f"M={float(Mq):g} gives E(witness) − E = {float(dE):.6g} ≥ 0; "
                                       f"M_threshold = {thr:.6g}", cls=NotApplicable)
    # back to σ: w = sign_w·w̃, v = sign_v·ṽ (ŷ is unchanged)
    sv, sw_ = shape.sign_v, shape.sign_w
    Wq = [sw_ * wi for wi in Wc]
    Vq = [Fraction(sv)] * m
    e = 2 * m                                # 0-based index of sample 2m + 1
    Yq = [yhat[n] - (Mq if n == e else 0) for n in range(Nn)]
    wit_w = [Fraction(0)] * m
    wit_v = [Fraction(0)] * m
    wit_w[-1] = sw_ * ws
    wit_v[-1] = -sv * alpha * Mq
    loss = Mq * Mq
    wit_loss = loss + dE
    analysis = analyse_pieces(act, X, Yq, Vq, Wq)
    if analysis.loss != loss:  # pragma: no cover - an internal consistency check
        raise AssertionError(f"exact loss {analysis.loss} ≠ M² = {loss}")
    xf = [float(a) for a in X]
    wf = [_round_toward_zero(a) for a in Wq]
    yf = [float(a) for a in Yq]
    vf = [float(a) for a in Vq]
    patterns = [sum(1 for n in range(Nn) if sig(wi * X[n]) > 0) for wi in Wc]
    details: dict[str, Any] = {
        "construction": "w_i = sign(t_0)·u_{2i+1}, u_k = |t_0|/x_k; v_i = sign(a); y = ŷ − M e_{2m+1}; E = M²",
        "shape of σ": shape.to_dict(),
        "sign case": {(1, 1): "t_0 > 0, a > 0", (-1, 1): "t_0 < 0, a > 0 (w flipped)",
                      (1, -1): "t_0 > 0, a < 0 (v flipped)", (-1, -1): "t_0 < 0, a < 0 (w and v flipped)"}[(sw_, sv)],
        "x generated": generated,
        "M": float(Mq),
        "a": [1.0 if n == e else 0.0 for n in range(Nn)],
        "a rule": "a = e_{2m+1}: the residual sits on sample 2m + 1 only",
        "patterns": {"z_i has pattern": patterns, "expected 2i": [2 * (i + 1) for i in range(m)]},
        "conditions": {
            name: {"holds": True, "what": what, "margin": None}
            for name, what in HYPOTHESES.items() if name != "rational σ"
        },
        "witness": {
            "rule": "(66)–(70): w*_m = (u_{2m+1} + u_{2m+2})/2, v*_m = −sign(a)·αM, other weights 0; "
                    "α = σ̃(w*_m x_{2m+1}) / Σ_{n ≤ 2m+1} σ̃(w*_m x_n)² (the minimiser of c_2, inside (69))",
            "alpha": str(alpha), "c2": str(c2), "c1": str(c1), "c0": str(c0),
            "E(witness) - E": str(dE), "M_threshold": thr, "w0": float(sw_ * ws),
        },
        "exact": {
            "x": [str(a) for a in X], "y": [str(a) for a in Yq], "v": [str(a) for a in Vq],
            "w": [str(a) for a in Wq], "M": str(Mq), "loss": str(loss),
            "witness": {"v": [str(a) for a in wit_v], "w": [str(a) for a in wit_w], "loss": str(wit_loss)},
            "rounding": "x, y, v and the witness to nearest; w towards 0",
        },
        "pieces": analysis.to_dict(),
        "strictness": "pattern argument of the proof (cases i–vi); checked by the exact analysis of the "
                      f"{analysis.pieces} pieces meeting at the point: {analysis.status}",
    }
    ratio = shape.ratio_bound
    details["conditions"]["ratio"]["margin"] = None if ratio is None else float(ratio - X[0] / X[-1])
    details["conditions"]["M > M_threshold"]["margin"] = float(Mq) - thr
    return Case(
        activation=act, x=tuple(xf), y=tuple(yf), v=tuple(vf), w=tuple(wf), theorem=THEOREM,
        loss=float(loss),
        witness=Witness(tuple(float(a) for a in wit_v), tuple(float(a) for a in wit_w), float(wit_loss)),
        details=details,
    )
