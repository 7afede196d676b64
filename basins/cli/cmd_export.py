"""`basins export`: a case as npz, JSON or a torch file, for optimizer code."""

from __future__ import annotations

import click

from basins.problems.export import FORMATS, export, format_for
from basins.cli._common import emit_json, handle_errors, json_option, main, output_option, safe


@main.command("export")
@click.argument("case")
@click.option("--format", "fmt", metavar="|".join(FORMATS), default=None,
              help="npz, json or torch (default: from the suffix of OUT: .npz, .json, .pt/.pth).")
@output_option("The file to write (atomically).", required=True, name="out", metavar="OUT")
@json_option
@handle_errors
def export_cmd(case: str, fmt: str | None, out: str, as_json: bool) -> None:
    """Export a case for optimizer code as npz, json or torch.

    CASE is a shipped case's name or a case file.  Every format holds x, y,
    θ* = (v, w) (theta), the witness point, the losses and the metadata.
    npz and json hold plain float64 values (the case's floats exactly) and the
    metadata; torch (needs basins[torch]) holds a float64 nn.Module computing
    ŷ = Σ v_i σ(w_i x), its state dict, the data and the metadata
    (load with torch.load(OUT, weights_only=False)).

    \b
    Examples:
      basins export example2_swish --format npz -o swish.npz
      basins export tanh_m3_n12 -o tanh.json
      basins export elu_m2_n8 --format torch -o elu.pt
    """
    format_for(out, fmt)                  # an unknown or mismatched format is refused before any work
    used = export(case, out, fmt)
    if as_json:
        emit_json({"case": case, "format": used, "output": out})
    else:
        click.echo(f"wrote {safe(out)} ({safe(used)})")
