"""The command group and what every command shares: errors, JSON, number lists."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import click

from basins import __version__
from basins.errors import BasinsError, NotApplicable

__all__ = ["main", "handle_errors", "float_list", "emit_json", "json_option"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="basins")
def main() -> None:
    """basins: construct and certify bad basins of narrow networks.

    Start with `basins construct --activation swish` (the paper's Example 2).
    """


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line on stderr (and a JSON object with --json), exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BasinsError as exc:
            message = str(exc).replace("\n", " ")
            if kwargs.get("as_json"):
                err: dict[str, Any] = {"error": message, "type": type(exc).__name__}
                if isinstance(exc, NotApplicable):
                    err.update(theorem=exc.theorem, hypothesis=exc.hypothesis)
                emit_json(err)
            click.echo(f"Error: {message}", err=True)
            sys.exit(1)

    return wrapper


def float_list(name: str, text: str | None) -> list[float] | None:
    """Parse "0.1,2,3" (commas or spaces); a bad entry is a usage error naming the option."""
    if text is None:
        return None
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        raise click.BadParameter(f"{text!r} holds no numbers", param_hint=name)
    out = []
    for p in parts:
        try:
            out.append(float(p))
        except ValueError:
            raise click.BadParameter(f"{p!r} in {text!r} is not a number", param_hint=name) from None
    return out
