"""`basins bound`: the loss of a case against the gradient-basis value ||P_N[J] y||²."""

from __future__ import annotations

import sys

import click

from basins.oracles.bounds import DEFAULT_RTOL, case_value_identity
from basins.io.case import load_case
from basins.cli._common import emit_json, handle_errors, json_option, main, safe


@main.command("bound")
@click.argument("case_file", type=click.Path(dir_okay=False))
@click.option("--dps", type=click.IntRange(min=20), default=None,
              help="Compute J, the residual and the projections in mpmath at this many digits "
                   "(default: float64).")
@click.option("--rtol", type=click.FloatRange(min=0.0), default=DEFAULT_RTOL, show_default=True,
              help="Allowed |loss − value| beyond rounding, relative to the loss.")
@json_option
@handle_errors
def bound_cmd(case_file: str, dps: int | None, rtol: float, as_json: bool) -> None:
    """Compare a case's loss with its gradient-basis value.

    At a differentiable critical point the loss equals ||P_N[J] y||², the
    global minimum of the gradient-basis model (Theorem 1 of Kawaguchi, Huang
    & Kaelbling, "Every Local Minimum Value Is the Global Minimum Value of
    Induced Model in Nonconvex Machine Learning", arXiv:1904.03673); a
    mismatch beyond rounding shows the point is not a critical point.  Exit
    status 0 when they agree, 1 otherwise.  Everything is recomputed from
    x, y, v, w (and the output bias c) and the activation of CASE_FILE; a
    "basins.case/2" case (inputs in R^d, hidden and output bias) is checked
    the same way, the output bias being one more Jacobian column of ones.

    \b
    Examples:
      basins construct -o case.json && basins bound case.json
      basins bound case.json --dps 50 --json     # in mpmath at 50 digits
    """
    case = load_case(case_file)
    res = case_value_identity(case, dps=dps, rtol=rtol)
    if as_json:
        emit_json({**res.to_dict(), "file": case_file})
    else:
        shape = "" if case.model.scalar else (f", d = {case.d}, hidden bias {'yes' if case.bias else 'no'}, "
                                              f"output bias {'yes' if case.output_bias is not None else 'no'}")
        click.echo(f"{safe(case.theorem)}, activation {safe(case.activation.name)}, N = {case.N}, m = {case.m}"
                   f"{shape} ({res.precision})")
        click.echo(f"loss                  E = {res.loss:.17g}")
        click.echo(f"gradient-basis value  ||P_N[J] y||² = {res.gradient_basis_value:.17g}")
        click.echo(f"difference            {res.difference:.6g}  (tolerance {res.tolerance:.3g}: "
                   f"rounding {res.rounding:.3g} + rtol·E)")
        click.echo(f"Jacobian              {res.rows} × {res.cols}, rank {res.rank} "
                   f"(cut-off {res.rank_tolerance:.3g}), singular values {res.s_min:.6g} .. {res.s_max:.6g}")
        click.echo(f"gradient norm         {res.gradient_norm:.3g}")
        click.echo(f"verdict               {res.status} (verified numerically, not certified)")
    if not res.holds:
        click.echo(f"Error: {safe(case_file)}: {safe(res.message)}", err=True)
        sys.exit(1)
