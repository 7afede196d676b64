"""The command group and what every command shares: errors, JSON, number lists."""

from __future__ import annotations

import functools
import json
import os
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

    A bad basin is a sub-optimal strict local minimum of the loss.  The
    constructions follow Li, Ding & Sun, "On the Benefit of Width for Neural
    Networks: Disappearance of Basins", arXiv:1812.11039.

    \b
    Examples:
      basins construct --activation swish         # the paper's Example 2
      basins construct -a softplus -o case.json   # write the case to a file
      basins certify case.json -o certified.json  # prove it rigorously
      basins COMMAND --help                       # what COMMAND does, with examples

    \b
    Options mean the same in every command:
      --N N          number of data points (inputs x_1..x_N)
      --samples K    random directions per radius in a numerical verification
      --seed S       seed of everything random in the command
      --x/--w/--v    numbers, comma-separated (--x 0.1,2,3) or space-separated
                     in one quoted argument (--x '0.1 2 3')
    """


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every error into one line on stderr (and a JSON object with --json), exit 1.

    Library errors (:class:`~basins.errors.BasinsError`) name the argument, the
    value and the rule.  Anything else — a file system error, an overflow, a
    bug — is still one line, naming its kind; ``BASINS_DEBUG=1`` in the
    environment shows the traceback instead.  Ctrl-C ends with exit 130.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BasinsError as exc:
            _fail(str(exc), exc, kwargs.get("as_json"))
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            sys.exit(130)
        except OSError as exc:
            where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
            _fail(f"cannot use{where}: {exc.strerror or exc}", exc, kwargs.get("as_json"))
        except (RecursionError, MemoryError) as exc:
            if os.environ.get("BASINS_DEBUG"):
                raise
            _fail(f"the input is too large or too deeply nested ({type(exc).__name__})", exc, kwargs.get("as_json"))
        except Exception as exc:  # a bug or an unguarded input: still one line, never a traceback
            if os.environ.get("BASINS_DEBUG"):
                raise
            _fail(f"{type(exc).__name__}: {exc} (an unexpected error; BASINS_DEBUG=1 shows where)", exc,
                  kwargs.get("as_json"))

    return wrapper


def _fail(message: str, exc: BaseException, as_json: Any) -> None:
    message = " ".join(str(message).split())
    if len(message) > 2000:
        message = message[:1997] + "..."
    if as_json:
        err: dict[str, Any] = {"error": message, "type": type(exc).__name__}
        if isinstance(exc, NotApplicable):
            err.update(theorem=exc.theorem, hypothesis=exc.hypothesis)
        emit_json(err)
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


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
