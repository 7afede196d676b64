"""`basins verify`: re-run the verification of a case file from the file alone."""

from __future__ import annotations

import sys

import click

from basins.io.case import load_case
from basins.cli.progress import Progress
from basins.cli.report import format_verification
from basins.verification.verify import DEFAULT_RADII, verify_case
from basins.cli._common import check_memory, emit_json, handle_errors, json_option, main, memory_option, safe


@main.command("verify")
@click.argument("case_file", type=click.Path(dir_okay=False))
@click.option("--samples", type=click.IntRange(min=0), default=2000, show_default=True,
              help="Random directions per radius in the numerical verification.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random directions.")
@click.option("--rigorous", is_flag=True,
              help="Recompute the case's certificate with both rigorous verifiers (ball arithmetic and "
                   "mpmath intervals / exact rationals); reject any difference from the stored one.")
@memory_option
@json_option
@handle_errors
def verify_cmd(case_file: str, samples: int, seed: int, rigorous: bool, max_memory: int, as_json: bool) -> None:
    """Verify a case file numerically, or rigorously.

    Checks CASE_FILE (written by `basins construct -o` or `basins certify`)
    and exits 0 only when every check holds.  Stored figures are not
    trusted: everything is recomputed from x, y, v, w, the activation and
    the witness.  With --rigorous the certificate of a certified case is
    recomputed by two independent verifiers instead.

    \b
    Examples:
      basins verify case.json
      basins verify case.json --samples 200 --seed 1 --json
      basins verify certified.json --rigorous     # after basins certify
    """
    case = load_case(case_file)
    if rigorous:
        from basins.certification.certify import verify_rigorous

        res = verify_rigorous(case)
        if as_json:
            emit_json({"file": case_file, **res})
        else:
            click.echo(f"{safe(case.theorem)}, activation {safe(case.activation.name)}, N = {case.N}, m = {case.m}: "
                       f"{safe(res['status'])} ({safe(res['guarantee'])})")
            for part in ("first", "second"):
                for c in res[part]["checks"]:
                    click.echo(f"  [{part}] {safe(c['name'])}: {safe(c['detail'])}")
            for c in res["record"]["checks"]:
                click.echo(f"  [record] {safe(c['field'])}: {safe(c['detail'])}")
            for key, why in res["record"]["not certified"].items():
                click.echo(f"  [not certified] {safe(key)}: {safe(why)}")
        return
    check_memory(8.0 * (3 * (samples + 4 * case.m) * 2 * case.m + 11 * case.m * case.N), max_memory,
                 f"the verification of a case with m = {case.m}, N = {case.N} along --samples {samples} directions",
                 "--samples")
    with Progress(len(DEFAULT_RADII), "sampling") as bar:   # drawn on stderr only when it is a terminal
        ver = verify_case(case, samples=samples, seed=seed, radii=DEFAULT_RADII, progress=bar.callback())
    if as_json:
        emit_json({"file": case_file, **ver.to_dict()})
    else:
        click.echo(f"{safe(case.theorem)}, activation {safe(case.activation.name)}, N = {case.N}, m = {case.m}")
        click.echo(format_verification(ver.to_dict()))
    if not ver.passed:
        click.echo(f"Error: {safe(case_file)}: check(s) failed: {safe(', '.join(ver.failed))}", err=True)
        sys.exit(1)
