"""`basins construct`: build a bad basin, verify it, print it, write it."""

from __future__ import annotations

import math
from typing import Any

import click

from basins.constructions.choose import CONSTRUCTIONS, DEFAULT_X_BY_THEOREM, RequestConflict, construct_request
from basins.cli.report import format_case, format_verification
from basins.verification.verify import DEFAULT_RADII, verify_case
from basins.cli._common import (check_memory, emit_json, float_list, handle_errors, json_option, main, memory_option,
                                output_option, safe)
from basins.errors import VerificationFailed

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
              help="Number of data points N.  Only for Theorem 7 without --x, which generates N inputs "
                   "(default max(3, 2m + 1)); otherwise N is the length of --x.")
@click.option("--w0", type=float, default=None, help="Weight of the witness neuron (default: best on a grid).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of every random choice of the construction (the search for w, Theorem 4's design).")
@click.option("--trials", type=click.IntRange(min=1, max=MAX_TRIALS), default=None,
              help=f"Candidates of Proposition 4's search for w (default 64, at most {MAX_TRIALS:,}).")
@click.option("--samples", type=click.IntRange(min=0), default=2000, show_default=True,
              help="Random directions per radius in the numerical verification.")
@click.option("--no-verify", is_flag=True, help="Skip the numerical verification.")
@output_option("Write the case as JSON here (atomically; only when its verification passes).")
@memory_option
@json_option
@handle_errors
def construct_cmd(activation: str | None, theorem: str, x_text: str | None, width: int | None, w_text: str | None,
                  v_text: str | None, M: float | None, N: int | None, w0: float | None, seed: int, trials: int | None, samples: int,
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
    """
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
