"""`basins construct`: build a bad basin, verify it, print it, write it."""

from __future__ import annotations

import click

from basins.constructions.choose import CONSTRUCTIONS, DEFAULT_X_BY_THEOREM, RequestConflict, construct_request
from basins.cli.report import format_case, format_verification
from basins.verification.verify import DEFAULT_RADII, verify_case
from basins.cli._common import emit_json, float_list, handle_errors, json_option, main

DEFAULT_X = ",".join(f"{a:g}" for a in DEFAULT_X_BY_THEOREM["prop4"])


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
@click.option("--trials", type=click.IntRange(min=1), default=None,
              help="Candidates of Proposition 4's search for w (default 64).")
@click.option("--samples", type=click.IntRange(min=0), default=2000, show_default=True,
              help="Random directions per radius in the numerical verification.")
@click.option("--no-verify", is_flag=True, help="Skip the numerical verification.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the case as JSON here (atomically).")
@json_option
@handle_errors
def construct_cmd(activation: str | None, theorem: str, x_text: str | None, width: int | None, w_text: str | None,
                  v_text: str | None, M: float | None, N: int | None, w0: float | None, seed: int, trials: int | None, samples: int,
                  no_verify: bool, output: str | None, as_json: bool) -> None:
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
    try:
        case = construct_request(activation, x, width, float_list("--w", w_text), float_list("--v", v_text), M,
                                 theorem=theorem, N=N, w0=w0, seed=seed, trials=trials)
    except RequestConflict as exc:
        raise click.UsageError(f"--{exc.option} {N} only applies to Theorem 7 (generated inputs); "
                               f"the construction is {exc.construction}") from None
    if not no_verify:
        ver = verify_case(case, samples=samples, radii=DEFAULT_RADII)
        case = case.with_(verification=ver.to_dict())
    if output:
        case.save(output)
    if as_json:
        emit_json(case.to_dict())
        return
    click.echo(format_case(case))
    if case.verification is not None:
        click.echo(format_verification(case.verification))
    if output:
        click.echo(f"written to {output}")
