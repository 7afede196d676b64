"""`basins certify`: prove a case file rigorously and write the certified case."""

from __future__ import annotations

import click

from basins.io.case import load_case
from basins.certification.certify import certify_case
from basins.cli._common import emit_json, handle_errors, json_option, main


@main.command("certify")
@click.argument("case_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="Where to write the certified case (written atomically, only when the proof succeeds).")
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
        click.echo(f"{case.theorem}, activation {case.activation.name}, N = {case.N}, m = {case.m}: "
                   f"{cert.get('status')} — {cert.get('kind')}")
        for c in cert.get("checks", []):
            click.echo(f"  {c['name']}: {c['detail']}")
        click.echo(f"written to {output}")
