"""`basins certify`: prove a case file rigorously and write the certified case."""

from __future__ import annotations

import click

from basins.io.case import load_case
from basins.certification.certify import certify_case
from basins.cli._common import emit_json, handle_errors, json_option, main, output_option, safe


@main.command("certify")
@click.argument("case_file", type=click.Path(dir_okay=False))
@output_option("Where to write the certified case (written atomically, only when the proof succeeds).",
               required=True)
@click.option("--prec", type=click.IntRange(min=64, max=4096), default=128, show_default=True,
              help="Ball precision in bits (smooth σ).")
@json_option
@handle_errors
def certify_cmd(case_file: str, output: str, prec: int, as_json: bool) -> None:
    """Prove rigorously that a case is a bad basin.

    Certifies CASE_FILE in ball arithmetic (exactly, for piecewise-linear
    σ): proves a unique critical point in a box (Krawczyk), a positive definite
    Hessian over the box and a witness of strictly lower loss; any undecided
    comparison rejects and nothing is written.

    \b
    Examples:
      basins construct -o case.json
      basins certify case.json -o certified.json
      basins certify case.json -o certified.json --prec 256
      basins verify certified.json --rigorous    # recheck the certificate
    """
    case = load_case(case_file)
    certified = certify_case(case, prec=prec)
    certified.save(output)
    cert = certified.certificate or {}
    if as_json:
        emit_json({"file": output, **cert})
    else:
        click.echo(f"{safe(case.theorem)}, activation {safe(case.activation.name)}, N = {case.N}, m = {case.m}: "
                   f"{safe(cert.get('status'))} — {safe(cert.get('kind'))}")
        for c in cert.get("checks", []):
            click.echo(f"  {safe(c['name'])}: {safe(c['detail'])}")
        click.echo(f"written to {safe(output)}")
