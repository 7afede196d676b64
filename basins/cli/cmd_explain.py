"""`basins explain`: which construction applies to an activation, and why (Theorem 5's flat path)."""

from __future__ import annotations

from typing import Any

import click

from basins.activations import as_activation
from basins.constructions.choose import explain_choice
from basins.constructions.theorem5 import DEFAULT_SCALES, flat_path
from basins.cli._common import emit_json, float_list, handle_errors, json_option, main, safe


@main.command("explain")
@click.option("--activation", "-a", required=True,
              help="Registry name (relu, softplus, ...) or an expression in t.")
@click.option("--x", "x_text", default="0.1,2,3", show_default=True,
              help="Inputs of the flat path, comma-separated, e.g. --x 0.1,2,3 (or --x '0.1 2 3').")
@click.option("--y", "y_text", default=None,
              help="Targets of the flat path, one per input, comma-separated (default: seeded normal).")
@click.option("--v", "v_text", default=None,
              help="Output weights of the start, comma-separated, e.g. --v 1,-1 (default: seeded normal).")
@click.option("--w", "w_text", default=None,
              help="Hidden weights of the start, comma-separated, e.g. --w 0.5,2 (default: seeded normal).")
@click.option("--scales", "scales_text", default=",".join(f"{s:g}" for s in DEFAULT_SCALES), show_default=True,
              help="The M at which the path (M·v, w/M) is shown, comma-separated.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the default --y, --v and --w.")
@json_option
@handle_errors
def explain_cmd(activation: str, x_text: str, y_text: str | None, v_text: str | None, w_text: str | None,
                scales_text: str, seed: int, as_json: bool) -> None:
    """Say which construction applies to an activation, and why.

    Names the result of Li, Ding & Sun (arXiv:1812.11039) that applies to
    the activation and the properties that decide it.  For a positively
    homogeneous σ (Theorem 5: no basin at any width) the
    flat path (M·v, w/M) is shown with the loss evaluated along it at 50
    digits: the loss stays constant while the point leaves every compact set.

    \b
    Examples:
      basins explain -a swish                   # Proposition 4
      basins explain -a 'Max(0, t - 1)'         # piecewise linear: Theorem 7
      basins explain -a relu                    # Theorem 5: the flat path
      basins explain -a relu --scales 1,10,100 --json
    """
    act = as_activation(activation)
    info: dict[str, Any] = explain_choice(act)
    path = None
    if act.is_positively_homogeneous:
        path = flat_path(act, float_list("--x", x_text) or (0.1, 2.0, 3.0), float_list("--y", y_text),
                         float_list("--v", v_text),
                         float_list("--w", w_text), scales=float_list("--scales", scales_text) or DEFAULT_SCALES,
                         seed=seed)
        info["flat path"] = path.to_dict()
    if as_json:
        emit_json(info)
        return
    click.echo(f"activation {safe(act.name)}:  σ(t) = {safe(act.text)}")
    for k, v in info.get("properties", {}).items():
        click.echo(f"  {k:<24} {safe(v)}")
    click.echo(f"construction: {info['construction']}")
    click.echo(f"  why: {info['why']}")
    if path is None:
        return
    click.echo(f"flat path {path.kind} through v = {list(path.v)}, w = {list(path.w)}")
    click.echo(f"  data x = {list(path.x)}, y = {[round(a, 6) for a in path.y]}")
    click.echo(f"  {'M':>10}  {'|θ(M)|':>14}  {'E(θ(M)) at 50 digits':<24}")
    for M, n, e in zip(path.scales, path.norms, path.losses):
        click.echo(f"  {M:>10g}  {n:>14.6g}  {e:<24}")
    click.echo(f"  the loss changes by at most {path.max_loss_change:.3g} along the path while |θ| → ∞, "
               "so no compact set is a set-wise strict local minimum (Theorem 5)")
