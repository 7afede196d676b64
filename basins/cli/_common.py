"""The command group and what every command shares: errors, JSON, number lists."""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import stat
import sys
import threading
import unicodedata
from typing import Any, Callable

import click

from basins import __version__
from basins.errors import BasinsError, InvalidArgument, NotApplicable

__all__ = ["main", "handle_errors", "float_list", "emit_json", "json_option", "output_option", "check_output",
           "safe", "memory_option", "check_memory", "format_bytes", "Terminated"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a command ends as on Ctrl-C (exit 143, no file left)."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="basins")
@click.pass_context
def main(ctx: click.Context) -> None:
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
    # SIGTERM ends a command like Ctrl-C: temporary files removed, worker processes stopped, one line.
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_terminated)
        ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON; characters a terminal would act on (C1 controls, line separators, ...) as \\u escapes."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    if not text.replace("\n", "").isprintable():
        # outside strings there is only indentation; inside, \u escapes read back as the same string
        text = "".join(ch if ch == "\n" or ch.isprintable() else _json_escape(ch) for ch in text)
    click.echo(text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


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
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, Terminated)
            click.echo(f"Error: {'terminated (SIGTERM)' if terminated else 'interrupted'}", err=True)
            # the user asked the process to stop: leave now.  A normal exit would run the interpreter's
            # atexit hooks, which join the worker-pool threads an interrupt may have left blocked.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(143 if terminated else 130)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
                # the reader went away (`basins ... | head`): stop quietly, as command-line tools do
                try:
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, sys.stdout.fileno())
                except (OSError, ValueError):
                    pass
                sys.exit(141)
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
    message = safe(" ".join(str(message).split()))
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


# ---------------------------------------------------------------- output files --

def check_output(path: str, option: str = "--output") -> str:
    """``path`` if a command may write it atomically, else :class:`click.BadParameter` naming ``option``.

    Checked before any work: not empty; its folder exists and is writable; what
    is at ``path`` now, if anything, is a regular file — never a directory, a
    symlink or a device (the rename would replace the link or the node itself).
    """
    if not path or not path.strip():
        raise click.BadParameter("an empty path: give a file name", param_hint=option)
    if "\0" in path:
        raise click.BadParameter(f"{safe(path)!r} holds a NUL character", param_hint=option)
    shown = safe(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise click.BadParameter(f"{shown}: the folder {safe(folder)!r} does not exist", param_hint=option)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.BadParameter(f"{shown}: the folder {safe(folder)!r} is not writable", param_hint=option)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise click.BadParameter(f"{shown}: {exc.strerror}", param_hint=option) from None
    kind = ("a symlink" if stat.S_ISLNK(st.st_mode) else "a directory" if stat.S_ISDIR(st.st_mode)
            else None if stat.S_ISREG(st.st_mode) else "a device or special file")
    if kind is not None:
        raise click.BadParameter(f"{shown} is {kind}; give the path of a regular file (it is replaced atomically)",
                                 param_hint=option)
    return path


def _output_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else check_output(value, "/".join(param.opts))


def output_option(help_text: str, *, required: bool = False, name: str = "output", metavar: str = "FILE"
                  ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The -o/--output option of every command: a path checked up front by :func:`check_output`."""
    return click.option("-o", "--output", name, type=str, required=required, default=None, metavar=metavar,
                        callback=_output_callback, help=help_text)


# ---------------------------------------------------------------- printing --

def safe(value: Any) -> str:
    """``str(value)`` with every control character escaped (newlines and tabs too).

    Names, labels and messages read from a file go through this before they
    are printed, so that an escape sequence or a newline in a file cannot move
    the cursor, recolour the terminal or forge an output line.

    >>> safe("ok\\n\\x1b[2Kcertified")
    'ok\\\\n\\\\x1b[2Kcertified'
    """
    text = str(value)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif unicodedata.category(ch) in ("Zs",):
            out.append(" ")
        else:
            code = ord(ch)
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
                       or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                           else f"\\U{code:08x}"))
    return "".join(out)


# ---------------------------------------------------------------- memory --

_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}


def _machine_memory() -> int | None:
    try:
        import importlib
        return int(importlib.import_module("psutil").virtual_memory().total)
    except Exception:  # psutil is optional
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


#: The default --max-memory: this fraction of the machine's memory (8 GiB when it cannot be read).
MEMORY_FRACTION = 0.5


def default_memory_limit() -> int:
    total = _machine_memory()
    return int(total * MEMORY_FRACTION) if total else 8 * 2**30


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} B" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def _parse_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int:
    if value is None:
        return default_memory_limit()
    text = value.strip().upper().removesuffix("IB").removesuffix("B")
    unit = text[-1:] if text[-1:] in _UNITS else ""
    try:
        number = float(text[: len(text) - len(unit)])
    except ValueError:
        number = float("nan")
    if not (number > 0) or number == float("inf"):
        raise click.BadParameter(f"{value!r} is not a size such as 512M, 8G or 1.5T", param_hint="--max-memory")
    return int(number * _UNITS[unit])


memory_option = click.option(
    "--max-memory", "max_memory", default=None, callback=_parse_size, metavar="SIZE",
    help=f"Refuse a run whose estimated memory exceeds SIZE (e.g. 512M, 8G; default "
         f"{MEMORY_FRACTION:.0%} of the machine's memory).")


def check_memory(estimate: float, limit: int, what: str, options: str) -> None:
    """Refuse, before any work, a run estimated to need more than ``limit`` bytes (InvalidArgument)."""
    if estimate > limit:
        raise InvalidArgument(f"{options}: {what} needs about {format_bytes(estimate)} of memory, over the limit "
                              f"{format_bytes(limit)}; choose smaller sizes or raise --max-memory")
