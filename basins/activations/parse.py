"""The whitelist parser and the registry: activation text to a sympy expression in ``t``.

User text is turned into an expression by :func:`parse_expression`, which
walks Python's syntax tree and builds sympy objects itself: no user text is
ever evaluated as code.  Decimal literals become exact rationals; complex,
infinite and undefined values are refused.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any, Callable

import numpy as np
import sympy as sp

from basins.errors import ActivationError

__all__ = ["T", "REGISTRY", "PARAMETRISED", "parse_expression", "registry_names", "real_expression_problem",
           "folding_cost_problem", "shorten"]

T = sp.Symbol("t", real=True)

#: Named activations: name -> (expression text, one-line description).
REGISTRY: dict[str, tuple[str, str]] = {
    "swish": ("t/(1 + exp(-t))", "Swish / SiLU, t·sigmoid(t)"),
    "softplus": ("log(1 + exp(t))", "softplus, log(1+e^t)"),
    "sigmoid": ("1/(1 + exp(-t))", "logistic sigmoid"),
    "shifted_sigmoid": ("1/(1 + exp(-t - 1))", "sigmoid shifted left by 1"),
    "tanh": ("tanh(t)", "hyperbolic tangent"),
    "gelu": ("t*(1 + erf(t/sqrt(2)))/2", "GELU, t·Φ(t)"),
    "elu": ("Piecewise((t, t > 0), (exp(t) - 1, True))", "ELU with α = 1 (C¹, not C² at 0)"),
    "sin": ("sin(t)", "sine"),
    "exp": ("exp(t)", "exponential"),
    "quadratic": ("t**2", "square (Example 1 of the paper: not full-rank reachable)"),
    "cubic": ("t**3 + t**2 + t", "cubic polynomial"),
    "linear": ("t", "identity (positively homogeneous)"),
    "relu": ("Max(0, t)", "ReLU (positively homogeneous)"),
    "leaky_relu": ("Max(t/100, t)", "leaky ReLU, slope 1/100 (positively homogeneous)"),
    "abs": ("Abs(t)", "absolute value (positively homogeneous)"),
    "shifted_relu": ("Max(0, t - 1)", "ReLU shifted right by 1, Max(0, t - c) with c = 1"),
}

# Parametrised names, e.g. ``shifted_relu(2)``, ``leaky_relu(0.1)``, ``elu(0.5)``.
PARAMETRISED: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "shifted_relu": lambda c: sp.Max(0, T - c),
    "leaky_relu": lambda c: sp.Max(c * T, T),
    "elu": lambda c: sp.Piecewise((T, T > 0), (c * (sp.exp(T) - 1), True)),
}


def registry_names() -> list[str]:
    """The names of the registry, sorted."""
    return sorted(REGISTRY)


# --------------------------------------------------------------------------
# The whitelist parser
# --------------------------------------------------------------------------

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "atan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "asinh": sp.asinh,
    "erf": sp.erf, "erfc": sp.erfc,
    "Abs": sp.Abs, "abs": sp.Abs, "Max": sp.Max, "max": sp.Max, "Min": sp.Min, "min": sp.Min,
    "Heaviside": sp.Heaviside, "sign": sp.sign,
    "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
    "softplus": lambda u: sp.log(1 + sp.exp(u)),
    "relu": lambda u: sp.Max(0, u),
}
_CONSTANTS: dict[str, sp.Expr] = {"t": T, "pi": sp.pi, "E": sp.E}
#: Budgets of one expression: characters, syntax-tree nodes and depth (a designed σ of Theorem 4 with
#: 48 pieces is 28,000 characters, about 2,000 nodes, depth 30).
MAX_CHARACTERS = 2_000_000
MAX_NODES = 400_000
MAX_DEPTH = 200
#: Exact numbers built while parsing have numerator and denominator of at most this many digits, and
#: a decimal literal's exponent is at most this in absolute value (1e-400 is exact, 1e-99999999 is refused).
MAX_DIGITS = 400
#: Every constant of the final expression lies in the float64 range (σ is evaluated in float64).
FLOAT_MAX = float(np.finfo(float).max)
_MAX_NUMERIC_EXPONENT = 100
#: Folding the non-smooth parts (Abs, Max, Min, Heaviside, sign, Piecewise) into one Piecewise costs about
#: the product of their piece counts (sympy's piecewise_fold): 2^6 pieces take seconds, 2^12 minutes, 2^60
#: never ends.  Beyond the largest part (alone it folds at once), the product may be at most this.
MAX_FOLDED_PIECES = 32
_DIGITS_BITS = int(MAX_DIGITS * math.log2(10)) + 1


def parse_expression(text: str, *, argument: str = "activation") -> sp.Expr:
    """Parse ``text`` into a sympy expression in ``t`` without evaluating code.

    The text is read with :func:`ast.parse` and each node is turned into a
    sympy object by hand: numbers (decimal literals become exact rationals),
    ``t``, ``pi``, ``E``, ``+ - * / **``, comparisons, ``&``/``|`` inside
    conditions, and calls of a fixed list of functions (``exp``, ``log``,
    ``erf``, ``tanh``, ``Max``, ``Abs``, ``Piecewise``, ...).  Anything else
    is rejected with :class:`~basins.errors.ActivationError`.

    Examples
    --------
    >>> parse_expression("t/(1 + exp(-t))")
    t/(1 + exp(-t))
    >>> parse_expression("Max(0, t - 0.5)")
    Max(0, t - 1/2)
    """
    if not isinstance(text, str):
        raise ActivationError(f"{argument} must be a string expression in t, not {type(text).__name__}")
    if len(text) > MAX_CHARACTERS:
        raise ActivationError(f"{argument}: an expression of {len(text)} characters is longer than the limit "
                              f"of {MAX_CHARACTERS} characters")
    problem = _prescan(text)
    if problem:
        raise ActivationError(f"{argument}={shorten(text)!r}: {problem}")
    try:
        tree = ast.parse(text.strip(), mode="eval")      # the Builder's source offsets refer to text.strip()
    except SyntaxError as exc:
        raise ActivationError(f"{argument}={shorten(text)!r} is not a valid expression: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:   # null bytes; parser stack limits
        raise ActivationError(f"{argument}={shorten(text)!r} is not a valid expression: "
                              f"{type(exc).__name__}: {shorten(str(exc))}") from None
    problem = _tree_size_problem(tree)
    if problem:
        raise ActivationError(f"{argument}={shorten(text)!r}: {problem}")
    try:
        expr = _Builder(text.strip()).build(tree.body)
        if isinstance(expr, sp.Expr):
            _check_constants(expr)
    except RecursionError:
        raise ActivationError(f"{argument}={shorten(text)!r} is nested too deeply for sympy "
                              f"(depth limit {MAX_DEPTH})") from None
    except _Reject as exc:
        raise ActivationError(f"{argument}={shorten(text)!r}: {exc}") from None
    except Exception as exc:  # sympy's own refusals (TypeError, ValueError, ...) of a whitelisted call
        raise ActivationError(f"{argument}={shorten(text)!r} is not a valid expression in t: "
                              f"{type(exc).__name__}: {shorten(str(exc))}") from None
    if not isinstance(expr, sp.Expr):
        raise ActivationError(f"{argument}={shorten(text)!r} is not a real-valued expression in t")
    problem = real_expression_problem(expr)
    if problem:
        raise ActivationError(f"{argument}={shorten(text)!r}: {problem}")
    extra = expr.free_symbols - {T}
    if extra:
        raise ActivationError(f"{argument}={shorten(text)!r} has unknown symbols {sorted(map(str, extra))}; only t is allowed")
    problem = folding_cost_problem(expr)
    if problem:
        raise ActivationError(f"{argument}={shorten(text)!r}: {problem}")
    return expr


def folding_cost_problem(expr: sp.Expr) -> str:
    """Why folding the non-smooth parts of ``expr`` into one Piecewise would not end in time ("" if it would).

    The pieces of every Abs, Max, Min, Heaviside, sign and Piecewise multiply when sympy folds them; the
    product over all parts but the largest is bounded by :data:`MAX_FOLDED_PIECES`.

    Examples
    --------
    >>> folding_cost_problem(parse_expression("Max(0, t) + Abs(t - 1)"))
    ''
    >>> folding_cost_problem(sp.Add(*[sp.Abs(T - i) for i in range(8)]))[:61]
    '8 non-smooth parts (Abs, Max, Min, Heaviside, sign, Piecewise'
    """
    counts = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Abs, sp.Heaviside)):
            counts.append(2)
        elif isinstance(node, sp.sign):
            counts.append(3)
        elif isinstance(node, (sp.Max, sp.Min, sp.Piecewise)):
            counts.append(len(node.args))
    if len(counts) < 2:
        return ""
    product = math.prod(sorted(counts)[:-1])
    if product <= MAX_FOLDED_PIECES:
        return ""
    return (f"{len(counts)} non-smooth parts (Abs, Max, Min, Heaviside, sign, Piecewise) whose pieces multiply to "
            f"{product} (beyond the largest part) when folded into one piecewise expression; the limit is "
            f"{MAX_FOLDED_PIECES} (the cost of folding grows with that product: minutes at 4096). Write σ as one "
            "Piecewise instead")


def shorten(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


class _Reject(Exception):
    pass


_UNARY_RUN = re.compile(r"(?:[-+~]\s*){%d,}" % (MAX_DEPTH + 1))
_STRUCTURE = re.compile(r"[-+*/%@&|^<>(),\[\]{}]")


def _prescan(text: str) -> str:
    """A linear look at the raw text, before Python's parser: why it is too deep ("" when it is not).

    Python's parser recurses on nesting: a run of unary signs (``-(-(-t))`` or ``----t``), nested
    brackets, or a long chain of operators at one bracket level each add a level.
    """
    if _UNARY_RUN.search(text):
        return f"more than {MAX_DEPTH} signs in a row; the nesting depth limit is {MAX_DEPTH}"
    level = chain = deepest = longest = 0
    for m in _STRUCTURE.finditer(text):
        c = m.group()
        if c in "([{":
            level, chain = level + 1, 0
            deepest = max(deepest, level)
        elif c in ")]},":
            level, chain = level - (c != ","), 0
        else:
            chain += 1
            longest = max(longest, chain)
    if deepest > MAX_DEPTH // 2:
        return f"brackets nested {deepest} deep; the limit is {MAX_DEPTH // 2}"
    if longest > 4 * MAX_DEPTH:     # an operator nests at most one level (the exact depth is checked next)
        return f"{longest} operator characters in one chain; the nesting depth limit is {MAX_DEPTH}"
    return ""


def _tree_size_problem(tree: ast.AST) -> str:
    """Why a syntax tree exceeds the node or depth budget ("" when it does not); walked without recursion."""
    nodes = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} deep (the depth limit)"
        if nodes > MAX_NODES:
            return f"more than {MAX_NODES} syntax nodes (the size limit)"
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return ""


def _check_rational(value: Any) -> Any:
    """A sympy Rational whose numerator and denominator have at most MAX_DIGITS digits, unchanged."""
    if isinstance(value, sp.Rational) and max(abs(value.p).bit_length(), value.q.bit_length()) > _DIGITS_BITS:
        raise _Reject(f"an exact constant has more than {MAX_DIGITS} digits (the limit of exact constants)")
    return value


def _check_constants(expr: sp.Expr) -> None:
    """Refuse a constant of ``expr`` outside the float64 range (σ is evaluated in float64)."""
    for a in sp.preorder_traversal(expr):
        if isinstance(a, sp.Rational) and not isinstance(a, sp.Integer) and a.q.bit_length() > 1100:
            continue            # 1/q below the float range: tiny, not an overflow
        if isinstance(a, (sp.Rational, sp.Float)) and abs(a) > FLOAT_MAX:
            raise _Reject(f"the constant {shorten(str(a), 40)} is outside the float64 range "
                          f"(|c| ≤ {FLOAT_MAX:.4g})")


def _check_number(value: Any) -> Any:
    """A constant result of a whitelisted function: refused when it is outside the float64 range."""
    if not isinstance(value, sp.Expr) or isinstance(value, sp.Rational) or not value.is_number:
        return value
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return value            # reported by real_expression_problem
    try:
        approx = complex(sp.N(value, 15))
    except (TypeError, ValueError, OverflowError):
        approx = complex(math.inf)  # a value that float64 cannot hold
    if math.isnan(approx.real) or math.isnan(approx.imag):
        return value            # undefined: reported by real_expression_problem
    if not (abs(approx.real) <= FLOAT_MAX and abs(approx.imag) <= FLOAT_MAX):
        raise _Reject(f"the constant {shorten(str(value), 40)} is outside the float64 range (|c| ≤ {FLOAT_MAX:.4g})")
    return value


class _Builder:
    """Turn an ``ast`` tree into sympy objects, node by whitelisted node."""

    _BINOPS = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
    }
    _COMPARE = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge}

    def __init__(self, text: str):
        self.text = text
        self._lines: list[bytes] | None = None

    def _source(self, node: ast.expr) -> str:
        """The source text of a node (ast's offsets count UTF-8 bytes); linear once, not per node."""
        if "\r" in self.text or node.end_lineno is None or node.end_col_offset is None:
            return ast.get_source_segment(self.text, node) or ""
        if self._lines is None:
            self._lines = self.text.encode("utf-8").split(b"\n")
        if node.lineno != node.end_lineno:
            return ast.get_source_segment(self.text, node) or ""
        return self._lines[node.lineno - 1][node.col_offset:node.end_col_offset].decode("utf-8", "replace")

    def build(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise _Reject(f"{type(node).__name__} is not allowed (only arithmetic, t, numbers and whitelisted functions)")
        return method(node)

    def _Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if value is True:
            return sp.true
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Reject(f"constant {value!r} is not a number")
        if isinstance(value, int):  # before get_source_segment, which is linear in the text's length
            if value.bit_length() > _DIGITS_BITS:
                raise _Reject(f"an integer constant has more than {MAX_DIGITS} digits (the limit of exact constants)")
            return sp.Integer(value)
        source = self._source(node) or repr(value)
        if not np.isfinite(value):
            raise _Reject(f"constant {shorten(source, 40)} is not finite")
        literal = source.replace("_", "").lower()
        mantissa, _, exponent = literal.partition("e")
        digits = sum(ch.isdigit() for ch in mantissa)
        if len(exponent.lstrip("+-")) > 6 or abs(int(exponent or 0)) > MAX_DIGITS or digits > MAX_DIGITS:
            raise _Reject(f"the decimal constant {shorten(source, 40)} has more than {MAX_DIGITS} digits or an "
                          f"exponent beyond ±{MAX_DIGITS} (the limits of exact constants)")
        return _check_rational(sp.Rational(literal))

    def _Name(self, node: ast.Name) -> Any:
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id == "True":
            return sp.true
        raise _Reject(f"unknown name {node.id!r}; the variable is t")

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.build(node.operand)
        if isinstance(operand, tuple) or not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise _Reject(f"operator {type(node.op).__name__} is not allowed here")
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise _Reject(f"operator {type(node.op).__name__} is not allowed")

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(left, tuple) or isinstance(right, tuple):
            raise _Reject("a tuple is not a number: tuples are the (expression, condition) pairs of Piecewise")
        if isinstance(node.op, ast.Pow):
            if isinstance(right, sp.Number) and abs(right) > _MAX_NUMERIC_EXPONENT:
                raise _Reject(f"exponent {right} is larger than {_MAX_NUMERIC_EXPONENT} in absolute value")
            if isinstance(left, sp.Rational) and isinstance(right, sp.Rational):
                bits = max(abs(left.p).bit_length(), left.q.bit_length()) * abs(right.p) // right.q
                if bits > _DIGITS_BITS:
                    raise _Reject(f"{left}**{right} has more than {MAX_DIGITS} digits (the limit of exact constants)")
            return _check_number(_check_rational(sp.Pow(left, right)))
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            if not (isinstance(left, sp.logic.boolalg.Boolean) and isinstance(right, sp.logic.boolalg.Boolean)):
                raise _Reject("& and | combine conditions only")
            return sp.And(left, right) if isinstance(node.op, ast.BitAnd) else sp.Or(left, right)
        op = self._BINOPS.get(type(node.op))
        if op is None:
            raise _Reject(f"operator {type(node.op).__name__} is not allowed")
        if any(isinstance(a, sp.logic.boolalg.Boolean) and not isinstance(a, sp.Expr) for a in (left, right)):
            raise _Reject("a condition is not a number: conditions belong in Piecewise pairs")
        return _check_number(_check_rational(op(left, right)))

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.build(v) for v in node.values]
        return sp.And(*values) if isinstance(node.op, ast.And) else sp.Or(*values)

    def _Compare(self, node: ast.Compare) -> Any:
        parts = []
        left = self.build(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.build(comparator)
            rel = self._COMPARE.get(type(op))
            if rel is None:
                raise _Reject(f"comparison {type(op).__name__} is not allowed")
            parts.append(rel(left, right))
            left = right
        return sp.And(*parts)

    def _Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.build(e) for e in node.elts)

    def _Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise _Reject("only calls of whitelisted functions by name, without keywords, are allowed")
        name = node.func.id
        if name != "Piecewise" and name not in _FUNCTIONS:
            raise _Reject(f"function {name!r} is not allowed; allowed: {', '.join(sorted(_FUNCTIONS))}, Piecewise")
        args = [self.build(a) for a in node.args]
        if name == "Piecewise":
            pieces = []
            for a in args:
                if not (isinstance(a, tuple) and len(a) == 2):
                    raise _Reject("Piecewise takes (expression, condition) pairs")
                pieces.append(a)
            if not pieces:
                raise _Reject("Piecewise needs at least one piece")
            return sp.Piecewise(*pieces)
        func = _FUNCTIONS.get(name)
        if func is None:
            raise _Reject(f"function {name!r} is not allowed; allowed: {', '.join(sorted(_FUNCTIONS))}, Piecewise")
        if any(isinstance(a, tuple) for a in args):
            raise _Reject(f"{name} takes expressions, not tuples")
        return _check_number(func(*args))




#: Where σ is evaluated to find a point at which it is not real.
_PROBES = (-1.0, 1.0, -0.5, 0.5, -2.0, 2.0, -1e-3, 1e-3, -3.0, 3.0, -10.0, 10.0)


def real_expression_problem(expr: Any) -> str:
    """Why a sympy expression is not a real expression of t ("" when it is one).

    Besides imaginary and infinite constants: when sympy cannot tell that σ is real, σ is evaluated
    in float64 at t = ±1/1000, ±1/2, ±1, ±2, ±3, ±10; a NaN there whose value in complex arithmetic
    has an imaginary part (``t**(1/3)``, ``log(t)`` and ``sqrt(t)`` at t = -1) is refused, naming
    the point.  Isolated poles (``1/t``) and overflows are not refused here.
    """
    if expr.has(sp.I):
        return f"{shorten(str(expr), 120)!r} has an imaginary part: σ must be real-valued"
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return f"{shorten(str(expr), 120)!r} contains an infinite or undefined constant"
    point = _non_real_point(expr)
    if point is not None:
        p, value = point
        return (f"σ(t) = {shorten(str(expr), 80)} is not real at t = {p:g} (σ({p:g}) ≈ {value:.4g} in complex "
                "arithmetic): σ must be real on all of R; it is not defined or not continuous there")
    return ""


def _non_real_point(expr: Any) -> tuple[float, complex] | None:
    """A probe point where σ is not real, with its complex value; None when none is found."""
    if not isinstance(expr, sp.Expr) or not expr.has(T):
        return None
    try:
        if expr.is_extended_real:
            return None
    except Exception:  # pragma: no cover - sympy's assumption system gave up
        pass
    import warnings
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            f = sp.lambdify(T, expr, modules=["scipy", "numpy"])
            u = np.array(_PROBES)
            values = np.broadcast_to(np.asarray(f(u)), u.shape)
            if not np.iscomplexobj(values):
                values = values.astype(float)
        except Exception:  # noqa: BLE001 - not evaluable in float64 here: nothing found
            return None
        for p, value in zip(u, values):
            if np.iscomplexobj(values):
                z = complex(value)
            elif np.isnan(value):
                try:
                    z = complex(np.asarray(f(np.array([p], dtype=complex))).reshape(-1)[0])
                except Exception:  # noqa: BLE001 - no complex evaluation of this σ: undecided
                    continue
            else:
                continue
            if np.isfinite(z) and abs(z.imag) > 1e-9 * max(1.0, abs(z.real)):
                return float(p), z
    return None
