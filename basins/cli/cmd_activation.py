"""`basins activation`: what basins decides about an activation."""

from __future__ import annotations

import click

from basins.activations import REGISTRY, as_activation
from basins.cli._common import emit_json, handle_errors, json_option, main, safe


@main.command("activation")
@click.argument("activation", required=False)
@json_option
@handle_errors
def activation_cmd(activation: str | None, as_json: bool) -> None:
    """Show what basins decides about an activation.

    ACTIVATION is a registry name or an expression in t; without it the
    registry is listed.

    \b
    Examples:
      basins activation                     # list the registry
      basins activation swish
      basins activation 't*tanh(t)' --json
    """
    if activation is None:
        rows = [{"name": k, "expression": e, "description": d} for k, (e, d) in sorted(REGISTRY.items())]
        if as_json:
            emit_json(rows)
        else:
            for r in rows:
                click.echo(f"{r['name']:<16} {r['expression']:<45} {r['description']}")
        return
    props = as_activation(activation).properties()
    if as_json:
        emit_json(props)
        return
    for k, v in props.items():
        click.echo(f"{k:<24} {safe(v)}")
