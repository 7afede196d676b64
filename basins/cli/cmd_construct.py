"""`basins construct`: build a bad basin, verify it, print it, write it."""

from __future__ import annotations

import click

from basins.errors import NotApplicable
from basins.constructions.choose import CONSTRUCTIONS, choose, construct
from basins.cli.report import format_case, format_verification
from basins.verification.verify import DEFAULT_RADII, verify_case
from basins.cli._common import emit_json, float_list, handle_errors, json_option, main

DEFAULT_X = "0.1,2,3"

#: Default inputs per construction when --x is not given (Theorem 7 generates its own).
DEFAULT_X_BY_THEOREM = {"prop4": DEFAULT_X, "6": "1,2,3", "4": "0.1,2,3"}


@main.command("construct")
@click.option("--activation", "-a", default=None,
              help="Registry name (swish, softplus, gelu, ...) or an expression in t, e.g. 't/(1+exp(-t))' "
                   "(default swish; not with --theorem 4, which designs σ).")
@click.option("--theorem", default="auto", show_default=True,
              type=click.Choice(["auto", *CONSTRUCTIONS]), help="The construction to follow.")
@click.option("--x", "x_text", default=None, help=f"Inputs, comma separated (default {DEFAULT_X}; Theorem 6: 1,2,3; Theorem 7: generated, positive, decreasing, with the ratio condition).")
@click.option("--width", "-m", type=click.IntRange(min=1), default=None, help="Width m (default 1).")
@click.option("--w", "w_text", default=None, help="Hidden weights (default: 1 for the paper's Example 2, else searched).")
@click.option("--v", "v_text", default=None, help="Output weights (their signs are matched).")
@click.option("--M", "M", type=float, default=None,
              help="Scale M in y = ŷ − M a (default 100; Theorem 7: twice its sub-optimality threshold).")
@click.option("--N", "N", type=click.IntRange(min=1), default=None,
              help="Theorem 7 without --x: number of generated inputs (default max(3, 2m + 1)).")
@click.option("--w0", type=float, default=None, help="Weight of the witness neuron (default: best on a grid).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of every search.")
@click.option("--trials", type=click.IntRange(min=1), default=None,
              help="Candidates of Proposition 4's search for w (default 64).")
@click.option("--samples", type=click.IntRange(min=0), default=2000, show_default=True,
              help="Random directions per radius in the verification.")
@click.option("--no-verify", is_flag=True, help="Skip the numerical verification.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the case as JSON here (atomically).")
@json_option
@handle_errors
def construct_cmd(activation: str | None, theorem: str, x_text: str | None, width: int | None, w_text: str | None,
                  v_text: str | None, M: float | None, N: int | None, w0: float | None, seed: int, trials: int | None, samples: int,
                  no_verify: bool, output: str | None, as_json: bool) -> None:
    """Construct a sub-optimal strict local minimum and verify it numerically.

    With no options this is the paper's Example 2: swish, x = (0.1, 2, 3),
    w = v = 1, M = 100.  Without --theorem the construction that applies is
    chosen (Theorem 7 for piecewise-linear σ, Theorem 6 when its hypotheses
    hold, otherwise Proposition 4) and the output says which and why.
    """
    x = float_list("--x", x_text)
    w = float_list("--w", w_text)
    v = float_list("--v", v_text)
    example2 = x is None and width is None and w is None and v is None
    if activation is None and theorem != "4":
        activation = "swish"
    key, why = choose(activation or "swish", x=x, width=width, w=w, v=v) if theorem == "auto" else (theorem, "")
    if N is not None and key != "7":
        raise click.UsageError(f"--N {N} only applies to Theorem 7 (generated inputs); the construction is {key}")
    if key == "7" and x_text is not None:
        # the tokens themselves, so that "0.1" is read as the rational 1/10
        x = [p for p in x_text.replace(",", " ").split() if p]  # type: ignore[misc]
    if x is None and key in DEFAULT_X_BY_THEOREM:
        x = float_list("--x", DEFAULT_X_BY_THEOREM[key])
    if example2 and key == "prop4":
        w, v = [1.0], [1.0]
        why = why and (why.replace(", with a seeded search for w", "")
                       + "; with no options: the paper's Example 2 (w = v = 1, M = 100)")
    kwargs = dict(x=x, w=w, v=v, width=width, M=M, w0=w0, seed=seed, N=N if key == "7" else None,
                  trials=trials if key == "prop4" else None)
    try:
        case = construct(activation, key, **{k: val for k, val in kwargs.items() if val is not None})
    except NotApplicable as exc:
        # Example 2's w = v = 1 is the paper's setting for swish; for another σ it may miss a
        # hypothesis (elu is linear on x > 0): then search for w, as with any other data, and say so.
        if not (example2 and key == "prop4") or exc.theorem != "Proposition 4":
            raise
        kwargs.update(w=None, v=None)
        case = construct(activation, key, **{k: val for k, val in kwargs.items() if val is not None})
        why = (f"{why}; " if why else "") + (f"Example 2's w = v = 1 fails for {activation} "
                                             f"({exc.hypothesis}): w found by a seeded search instead")
    if why:
        case = case.with_(details={**case.details, "chosen": {"theorem": key, "why": why}})
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
