"""`basins cases list` and `basins cases show`: the catalogue of the shipped certified cases."""

from __future__ import annotations

from typing import Any

import click

from basins.problems.catalogue import COLUMNS, catalogue_rows, describe
from basins.cli._common import emit_json, handle_errors, json_option, main, safe


@main.group("cases")
def cases_group() -> None:
    """List the shipped certified cases, or show one.

    A shipped case's NAME also works wherever a command takes a case file.

    \b
    Examples:
      basins cases list
      basins cases list --theorem 7 --max-params 4 --json
      basins cases show example2_swish
      basins verify example2_swish
    """


def _cell(key: str, value: Any) -> str:
    if key == "certified":
        return "yes" if value else "no"
    if key == "basin_radius":
        return "—" if value is None else f"{value:.3g}"
    return safe(value)                     # a name from a file cannot forge a line or move the cursor


@cases_group.command("list")
@click.option("--activation", "activation", metavar="NAME", default=None,
              help="Only this activation (its name, or its family: shifted_relu, designed).")
@click.option("--max-params", "max_params", type=click.IntRange(min=0), metavar="K", default=None,
              help="Only cases with at most K parameters (2m).")
@click.option("--theorem", "theorem", metavar="T", default=None,
              help='Only this theorem ("Theorem 7", "Proposition 4", or just 7).')
@json_option
@handle_errors
def list_cmd(activation: str | None, max_params: int | None, theorem: str | None, as_json: bool) -> None:
    """List the shipped cases with their sizes and certificates.

    Columns: name, theorem, activation, N, d, m, parameters (2m), certified
    (the certificate's status) and the certified basin radius (— when the
    certificate gives none).

    \b
    Examples:
      basins cases list
      basins cases list --activation shifted_relu
      basins cases list --theorem "Proposition 4" --max-params 8 --json
    """
    rows = catalogue_rows(activation=activation, max_params=max_params, theorem=theorem)
    if as_json:
        emit_json(rows)
        return
    table = [[heading for _, heading in COLUMNS]] + [[_cell(k, r[k]) for k, _ in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    numeric = {"N", "d", "m", "parameters", "basin_radius"}
    for row in table:
        cells = [c.rjust(wd) if COLUMNS[i][0] in numeric else c.ljust(wd)
                 for i, (c, wd) in enumerate(zip(row, widths))]
        click.echo("  ".join(cells).rstrip())
    if not rows:
        click.echo("(no case matches)")


@cases_group.command("show")
@click.argument("name")
@click.option("--barrier", is_flag=True,
              help="Also search a path from θ* to the witness (as `basins pt --case`) and print its barrier: an "
                   "upper bound on the escape barrier, beside the certified lower bound L (verified numerically).")
@json_option
@handle_errors
def show_cmd(name: str, barrier: bool, as_json: bool) -> None:
    """Show one case: sizes, losses, certificate, guarantees, file.

    NAME is a shipped case's name or a case file.

    \b
    Examples:
      basins cases show example2_swish
      basins cases show theorem7_shifted_relu_m1_n3 --json
    """
    info = describe(name)
    if barrier:
        info["barrier_upper_bound"] = _barrier(name)
    if as_json:
        emit_json(info)
        return
    wl = info["witness_loss"]
    lines = [
        f"{info['name'] or name}: {info['theorem']}, activation {info['activation']}",
        f"  activation σ(t) = {_short(info['activation_expression'])}",
        f"  data: N = {info['N']}, d = {info['d']}; network: m = {info['m']}, "
        f"{info['parameters']} parameters, {info['parameter_order']}",
        f"  loss E(θ*) = {info['loss']!r}   ({info['loss_function']})",
        f"  witness loss = {'—' if wl is None else repr(wl)}"
        + ("" if info["loss_gap"] is None else f"   (gap {info['loss_gap']:.6g})"),
        f"  certificate: {info['certificate_status'] or 'none'}"
        + (f" ({info['certificate_kind']})" if info["certificate_kind"] else ""),
    ]
    if info["certificate_guarantee"]:
        lines.append(f"    {info['certificate_guarantee']}")
    if info["guarantees"]:
        lines.append("  guarantees:")
        lines.extend(f"    {k}: {v}" for k, v in info["guarantees"].items())
    else:
        lines.append("  guarantees: none in the certificate")
    if info["conditions"]:
        lines.append("  conditions: " + ", ".join(f"{k} {'holds' if ok else 'FAILS'}"
                                                  for k, ok in info["conditions"].items()))
    if info["verification_passed"] is not None:
        lines.append(f"  numerical verification: {'passed' if info['verification_passed'] else 'FAILED'}")
    if barrier:
        b = info["barrier_upper_bound"]
        low = (info["guarantees"] or {}).get("escape_barrier_lower_bound")
        lines.append("  escape barrier: " + (f"≥ {low:.3g} (certified, on the sphere of the basin radius); "
                                              if isinstance(low, (int, float)) else "")
                     + (f"≤ {b['value']:.6g} (max E − E(θ*) along the path found to the witness, "
                        f"{b['status']}; verified numerically)" if b["value"] is not None else
                        f"no path found ({b['status']})"))
    lines.append(f"  file: {info['file'] or '—'}")
    click.echo("\n".join(safe(line) for line in lines))   # each line: fields from the file cannot forge lines


def _barrier(name: str) -> dict[str, Any]:
    """The barrier of the path `basins pt --case` finds from the case's point to its witness."""
    from basins.io.case import load_case
    from basins.landscape.barrier import search_path

    res = search_path(load_case(name))
    value = getattr(res, "barrier", None)
    return {"value": None if value is None else float(value), "status": str(getattr(res, "status", "")),
            "meaning": "max E along the path found − E(start): an upper bound on the minimax escape barrier, "
                       "up to the sampling of each segment (verified numerically, not certified)"}


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
