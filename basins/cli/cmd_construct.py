"""`basins construct`: build a bad basin, verify it, print it, write it."""

from __future__ import annotations

import math
import time
from typing import Any

import click
import numpy as np

from basins.constructions.choose import CONSTRUCTIONS, DEFAULT_X_BY_THEOREM, RequestConflict, construct_request
from basins.constructions.general import construct_general
from basins.cli.report import fmt_vec, format_case, format_verification
from basins.verification.verify import DEFAULT_RADII, verify_case
from basins.cli._common import (check_memory, emit_json, float_list, handle_errors, json_option, main, memory_option,
                                output_option, safe)
from basins.errors import InvalidArgument, VerificationFailed
from basins.io.case import Case
from basins.io.data import generated_inputs, read_inputs

DEFAULT_X = ",".join(f"{a:g}" for a in DEFAULT_X_BY_THEOREM["prop4"])

#: --trials at most this: each candidate costs a factorisation, so more is a run without an end.
MAX_TRIALS = 100_000

#: Above this |M|, y = ŷ − M a is rounded at a scale where the rounding can move the critical point.
LARGE_M = 1e6


def construct_memory(N: int, m: int, theorem: str, samples: int) -> float:
    """Bytes a construction of N inputs and width m (then its verification) needs, roughly.

    Proposition 4 analyses each candidate with a full QR of an N × 2m matrix
    (an N × N factor) while m (N − 2m) ≤ 20,000, and Theorem 4 forms an
    N × N projector; otherwise the arrays are a few N × m and the 800 × N grid
    of the witness search.  The verification holds (samples + 4m) directions
    in 2m dimensions, a few times.
    """
    square = 4.0 * N * N if theorem in ("auto", "prop4") and m * (N - 2 * m) <= 20_000 else 0.0
    if theorem == "4":
        square = 3.0 * N * N
    linear = (3 * 800 * N if theorem in ("auto", "prop4") else 0) + 16 * m * N
    verification = 0 if samples == 0 else 3 * (samples + 4 * m) * 2 * m + 11 * m * N
    return 8.0 * (square + linear + verification)


def _failure(case: Any, failed: list[str], M: float | None) -> str:
    """The error of a constructed case that fails its own verification."""
    msg = (f"the constructed case fails its own verification (check(s) failed: {', '.join(failed)}); "
           "nothing written")
    scale = M if M is not None else (case.details or {}).get("M")
    if isinstance(scale, (int, float)) and math.isfinite(scale) and abs(scale) > LARGE_M:
        msg += (f". With --M {scale:g}, y = ŷ − M a is rounded at that scale, which moves the critical point "
                "away from the constructed one; give a smaller --M (the default is 100)")
    return msg


@main.command("construct")
@click.option("--activation", "-a", default=None,
              help="Registry name (swish, softplus, gelu, ...) or an expression in t, e.g. 't/(1+exp(-t))' "
                   "(default swish; not with --theorem 4, which designs σ).")
@click.option("--theorem", default="auto", show_default=True,
              type=click.Choice(["auto", *CONSTRUCTIONS]), help="The construction to follow.")
@click.option("--x", "x_text", default=None, help=f"Inputs x_1..x_N, comma-separated, e.g. --x {DEFAULT_X} (or spaces in one quoted argument: "
                   f"--x '0.1 2 3').  Default {DEFAULT_X}; Theorem 6: 1,2,3; Theorem 7: generated (see --N).")
@click.option("--width", "-m", type=click.IntRange(min=1), default=None, help="Width m (default 1).")
@click.option("--w", "w_text", default=None, help="Hidden weights w_1..w_m, comma-separated, e.g. --w 1,0.5 (default: 1 for the paper's "
                   "Example 2, else searched).")
@click.option("--v", "v_text", default=None, help="Output weights v_1..v_m, comma-separated, e.g. --v 1,-1 (their signs are matched).")
@click.option("--M", "M", type=float, default=None,
              help="Scale M in y = ŷ − M a (default 100; Theorem 7: twice its sub-optimality threshold).")
@click.option("--N", "-N", "N", type=click.IntRange(min=1), default=None,
              help="Number of data points N.  For Theorem 7 without --x, which generates N inputs "
                   "(default max(3, 2m + 1)); with --d, N seeded standard normal inputs in R^d; "
                   "otherwise N is the length of --x or the rows of --data.")
@click.option("--data", "data", default=None, metavar="FILE",
              help="Inputs from a file: N rows of d numbers (CSV without header, or .npy); targets are "
                   "constructed.  Uses the model with d-dimensional inputs (and biases).")
@click.option("--d", "d", type=click.IntRange(min=1), default=None,
              help="Input dimension d of generated inputs (with --N and --seed).")
@click.option("--bias", is_flag=True, help="Give every hidden neuron a bias (x̃ = (x, 1), D = d + 1).")
@click.option("--output-bias", "output_bias", is_flag=True, help="Give the output an output bias c: ŷ = Σ v_i σ(w_i·x̃) + c.")
@click.option("--w0", type=float, default=None, help="Weight of the witness neuron (default: best on a grid).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of every random choice of the construction (the search for w, Theorem 4's design).")
@click.option("--trials", type=click.IntRange(min=1, max=MAX_TRIALS), default=None,
              help=f"Candidates of Proposition 4's search for w (default 64, at most {MAX_TRIALS:,}; "
                   "with d-dimensional inputs or biases, random W of the search, default 32).")
@click.option("--samples", type=click.IntRange(min=0), default=2000, show_default=True,
              help="Random directions per radius in the numerical verification.")
@click.option("--no-verify", is_flag=True, help="Skip the numerical verification.")
@output_option("Write the case as JSON here (atomically; only when its verification passes).")
@memory_option
@json_option
@handle_errors
def construct_cmd(activation: str | None, theorem: str, x_text: str | None, width: int | None, w_text: str | None,
                  v_text: str | None, M: float | None, N: int | None, data: str | None, d: int | None, bias: bool,
                  output_bias: bool, w0: float | None, seed: int, trials: int | None, samples: int,
                  no_verify: bool, output: str | None, max_memory: int, as_json: bool) -> None:
    """Construct a bad basin and verify it numerically.

    A bad basin is a sub-optimal strict local minimum of the loss of a
    one-hidden-layer network of width m.  With no options this is Example 2
    of Li, Ding & Sun (arXiv:1812.11039): swish, x = (0.1, 2, 3), w = v = 1,
    M = 100.  Without --theorem the construction that applies is chosen
    (Theorem 7 for piecewise-linear σ, Theorem 6 when its hypotheses hold,
    otherwise Proposition 4) and the output says which and why.

    \b
    Examples:
      basins construct                                   # Example 2 (swish)
      basins construct -a softplus -o case.json          # write the case as JSON
      basins construct -a gelu --x 0.5,1,1.5,2,2.5,3 --width 2
      basins construct -a gelu --x '0.5 1 1.5 2 2.5 3' --width 2   # the same
      basins construct -a 'Max(0, t - 1)' --N 6 --width 2          # Theorem 7
      basins construct --theorem 4 --x 0.5,1,2,3 --width 3         # designs σ
      basins construct -a gelu --width 2 --data data.csv --bias -o case.json
      basins construct -a swish --width 2 --d 3 --N 30 --seed 1 --bias --output-bias

    With --data, --d, --bias or --output-bias the inputs are d-dimensional,
    with an optional hidden and output bias, and the construction is the
    generalized Proposition 4 (a chosen by a semidefinite program); --w then
    takes rows of D numbers separated by ';' (e.g. --w '1,0.5,0; -1,2,0.3').
    """
    if data is not None or d is not None or bias or output_bias:
        _construct_general(activation, theorem, x_text, width, w_text, v_text, M, N, data, d, bias, output_bias,
                           w0, seed, trials, 0 if no_verify else samples, output, max_memory, as_json)
        return
    float_list("--x", x_text)              # a bad entry is a usage error naming --x
    x = None if x_text is None else [p for p in x_text.replace(",", " ").split() if p]   # "0.1" stays exact for Theorem 7
    m_est = width or 1
    n_est = len(x) if x is not None else (N or max(3, 2 * m_est + 1))
    check_memory(construct_memory(n_est, m_est, theorem, 0 if no_verify else samples), max_memory,
                 f"the construction (N = {n_est}, m = {m_est}) and its verification (--samples {samples})",
                 "--x/--N, --width, --samples")
    try:
        case = construct_request(activation, x, width, float_list("--w", w_text), float_list("--v", v_text), M,
                                 theorem=theorem, N=N, w0=w0, seed=seed, trials=trials)
    except RequestConflict as exc:
        raise click.UsageError(f"--{exc.option} {N} only applies to Theorem 7 (generated inputs); "
                               f"the construction is {exc.construction}") from None
    if not no_verify:
        ver = verify_case(case, samples=samples, radii=DEFAULT_RADII)
        case = case.with_(verification=ver.to_dict())
        if not ver.passed:
            if not as_json:
                click.echo(format_case(case))
                click.echo(format_verification(ver.to_dict()))
            raise VerificationFailed(_failure(case, list(ver.failed), M), check=ver.failed[0] if ver.failed else "")
    if output:
        case.save(output)
    if as_json:
        emit_json(case.to_dict())
        return
    click.echo(format_case(case))
    if case.verification is not None:
        click.echo(format_verification(case.verification))
    if output:
        click.echo(f"written to {safe(output)}")


def general_memory(N: int, m: int, D: int, samples: int) -> float:
    """Bytes the construction of SPEC §11 needs, roughly: an N × N SVD, the semidefinite program's
    (m, N, D²) maps, and the sampling check's directions over N samples."""
    n_params = m * (D + 1) + 1
    return 8.0 * (4 * N * N + 4 * m * N * D * D + 3 * (samples + 2 * n_params + 6) * (n_params + 4 * m * N))


def _weights(text: str | None, d: int, bias: bool) -> list[list[float]] | None:
    """--w as rows of D = d (+ 1) numbers: rows separated by ';', or a flat list of m·D numbers."""
    if text is None:
        return None
    D = d + int(bias)
    rows = [r for r in text.split(";") if r.strip()]
    flat = [float_list("--w", r) or [] for r in rows]
    if len(rows) == 1 and flat and len(flat[0]) % D == 0:
        flat = [flat[0][i:i + D] for i in range(0, len(flat[0]), D)]
    bad = [r for r in flat if len(r) != D]
    if not flat or bad:
        raise InvalidArgument(f"--w {safe(text)!r}: the data have d = {d} inputs, so each hidden weight "
                              f"vector w_i needs D = {D} numbers{' (d, plus the hidden bias)' if bias else ''}, but a "
                              f"row has {len(bad[0]) if bad else 0}; give rows of {D} separated by ';'")
    return flat


def _inputs(x_text: str | None, N: int | None, data: str | None, d: int | None, seed: int) -> tuple[np.ndarray, str]:
    """The inputs of the SPEC §11 model and where they come from."""
    given = [name for name, val in (("--data", data), ("--x", x_text)) if val is not None]
    if len(given) > 1:
        raise click.UsageError("--data and --x both give the inputs; give one")
    if given and (N is not None or d is not None):
        extra = "--N" if N is not None else "--d"
        raise click.UsageError(f"{extra} generates inputs, but {given[0]} gives them; give one")
    if data is not None:
        X = read_inputs(data)
        return X, f"{safe(data)}"
    if x_text is not None:
        x = float_list("--x", x_text) or []
        if not all(np.isfinite(x)):
            raise click.BadParameter(f"{x_text!r} has a NaN or infinite entry", param_hint="--x")
        return np.array(x, dtype=float).reshape(-1, 1), "--x"
    if N is None:
        raise click.UsageError("the construction with d-dimensional inputs or biases needs inputs: --data FILE, --x, "
                               "or --d D --N N (generated)")
    return generated_inputs(d or 1, N, seed), f"generated: {N} seeded standard normal points in R^{d or 1} (seed {seed})"


def _construct_general(activation: str | None, theorem: str, x_text: str | None, width: int | None,
                       w_text: str | None, v_text: str | None, M: float | None, N: int | None, data: str | None,
                       d: int | None, bias: bool, output_bias: bool, w0: float | None, seed: int, trials: int | None,
                       samples: int, output: str | None, max_memory: int, as_json: bool) -> None:
    """The generalized Proposition 4 (SPEC §11): parse, construct (verified inside), print, write."""
    if theorem not in ("auto", "prop4"):
        raise click.UsageError(f"--theorem {theorem} is a result about scalar inputs without biases; with --data, "
                               "--d, --bias or --output-bias the construction is the generalized Proposition 4")
    if w0 is not None:
        raise click.UsageError("--w0 is the scalar witness weight of the paper's model; with --data, --d or a bias the witness "
                               "w_0 ∈ R^D is chosen by the construction")
    v = float_list("--v", v_text)
    X, source = _inputs(x_text, N, data, d, seed)
    D = X.shape[1] + int(bias)
    w = _weights(w_text, X.shape[1], bias)
    m = len(w) if w is not None else len(v) if v is not None else width or 1
    check_memory(general_memory(X.shape[0], m, D, samples), max_memory,
                 f"the construction (N = {X.shape[0]}, m = {m}, D = {D}) and its verification (--samples {samples})",
                 "--data/--N, --width, --samples")
    start = time.perf_counter()
    case = construct_general(activation or "swish", X, width=width, bias=bias, output_bias=output_bias, w=w, v=v,
                             M=M, seed=seed, trials=trials or 32, samples=samples)
    seconds = time.perf_counter() - start
    if output:
        case.save(output)
    if as_json:
        emit_json(case.to_dict())
        return
    click.echo(format_general(case, source, seconds))
    if case.verification is not None:
        click.echo(format_verification(case.verification))
    if output:
        click.echo(f"written to {safe(output)}")


def format_general(case: Case, source: str = "", seconds: float | None = None) -> str:
    """The summary of a case of the generalized Proposition 4: model, conditions, a, M, the eigenvalues of each
    v_i A_i(a), the loss, the witness."""
    det = case.details
    model = det.get("model") or {}
    X = np.asarray(case.x, dtype=float).reshape(case.N, -1)
    W = np.asarray(case.w, dtype=float).reshape(case.m, -1)
    lines = [f"{safe(case.theorem)} — bad basin for {safe(case.activation.name)}:  σ(t) = "
             f"{safe(case.activation.text[:100])}",
             f"  model      d = {X.shape[1]}, D = {W.shape[1]}, hidden bias: {'yes' if model.get('hidden bias') else 'no'}, "
             f"output bias: {'c = %g' % case.output_bias if case.output_bias is not None else 'no'}",
             f"  data       N = {case.N} ({safe(source)})" if source else f"  data       N = {case.N}",
             f"  point      m = {case.m}, v = {fmt_vec(case.v)}"]
    lines += [f"             w_{i + 1} = {fmt_vec(row, 6)}" for i, row in enumerate(W)]
    search = det.get("search")
    if search:
        lines.append(f"  search     W from {safe(search.get('candidates'))} seeded candidates (seed "
                     f"{safe(search.get('seed'))}), best smallest margin {float(search.get('score', 0)):.3g}")
    lines.append("  conditions")
    for name, cond in (det.get("conditions") or {}).items():
        margin = cond.get("margin")
        ms = f"margin {float(margin):.4g}" if isinstance(margin, (int, float)) else ""
        lines.append(f"    {safe(name):<12} {'holds' if cond.get('holds') else 'FAILS':<6} {ms:<18} "
                     f"{safe(cond.get('what', ''))}")
    sdp = det.get("sdp") or {}
    lines.append(f"  a          {fmt_vec(det.get('a', []), 6)}   (semidefinite program: {safe(sdp.get('solver'))}, "
                 f"status {safe(sdp.get('status'))})")
    for i, ev in enumerate(det.get("eigenvalues of v_i A_i(a)") or []):
        lines.append(f"  v_{i + 1} A_{i + 1}(a) eigenvalues {fmt_vec(ev, 6)}")
    lines.append(f"  y = ŷ − M a, M = {float(det.get('M', 0)):g} ({safe(det.get('M rule', ''))}):  y = {fmt_vec(case.y)}")
    lines.append(f"  loss       E = {case.loss:.10g}  (M²||a||² = {float(det.get('expected loss M^2 |a|^2', 0)):.10g})")
    hess = det.get("hessian") or {}
    if hess.get("min eigenvalue") is not None:
        lines.append(f"  hessian    λ_min = {float(hess['min eigenvalue']):.6g}, λ_max = {float(hess['max eigenvalue']):.6g} "
                     f"({safe(hess.get('method', ''))})")
    wit = case.witness
    if wit is not None:
        wi = det.get("witness") or {}
        lines.append(f"  witness    ṽ = {fmt_vec(wit.v, 6)}, w̃_1 = {fmt_vec(np.asarray(wit.w, dtype=float).reshape(case.m, -1)[0], 6)}, "
                     f"E = {wit.loss:.10g} (lower by {case.loss - wit.loss:.6g})")
        if "M_threshold" in wi:
            lines.append(f"             sub-optimal for every M > M_threshold = {float(wi['M_threshold']):.6g}; "
                         f"{safe(wi.get('witness rule', ''))}")
    if seconds is not None:
        lines.append(f"  time       {seconds:.2f} s (construction and verification)")
    return "\n".join(lines)
