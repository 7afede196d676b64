"""A tiny progress bar for long runs, drawn on stderr only when stderr is a terminal.

Long runs (sweeps, large sampling, certifying many cases) report their
progress through a plain callback ``report(done, total)``; the command line
passes :meth:`Progress.callback` of a :class:`Progress`, the library never
draws anything itself.  When the stream is not a terminal (a pipe, a file, a
test's captured output) nothing at all is written, so machine-readable
output and logs stay clean.  No dependency beyond the standard library.

Examples
--------
>>> import io
>>> with Progress(3, "cases", stream=io.StringIO()) as bar:   # not a terminal: silent
...     for _ in range(3):
...         bar.update()
>>> bar.done, bar.enabled
(3, False)
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Callable, Iterable, Iterator, TextIO, TypeVar

from basins.errors import InvalidArgument

__all__ = ["Progress", "track", "is_terminal", "ProgressCallback"]

#: Signature of the callbacks long-running functions accept: ``report(done, total)``.
ProgressCallback = Callable[[int, "int | None"], None]

T = TypeVar("T")


def is_terminal(stream: TextIO | None) -> bool:
    """True when ``stream`` is an interactive terminal (``isatty()``), False otherwise or on error."""
    if stream is None:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _clock_text(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """A progress bar: ``desc [#####.....] done/total pct elapsed ETA``.

    Parameters
    ----------
    total : int or None
        Number of steps; ``None`` when unknown (then only the count is shown).
    desc : str
        A short label in front of the bar.
    stream : text stream, optional
        Where to draw (default: ``sys.stderr`` at construction time).
    enabled : bool, optional
        Force drawing on or off; by default drawing happens only when
        ``stream`` is a terminal.
    min_interval : float
        Seconds between two redraws (the last step is always drawn).
    width : int
        Characters of the bar itself.
    clock : callable
        Source of time in seconds (``time.monotonic``; tests pass a fake).

    Notes
    -----
    ``update`` and the callback are thread-safe, so workers may report
    concurrently.  Closing ends the line with a newline if anything was drawn.

    Examples
    --------
    >>> import io
    >>> class Tty(io.StringIO):
    ...     def isatty(self):
    ...         return True
    >>> out = Tty()
    >>> with Progress(4, "sweep", stream=out, min_interval=0) as bar:
    ...     bar.update(4)
    >>> out.getvalue().splitlines()[-1].split()[:3]
    ['sweep', '[##############################]', '4/4']
    """

    def __init__(self, total: int | None, desc: str = "", *, stream: TextIO | None = None,
                 enabled: bool | None = None, min_interval: float = 0.1, width: int = 30,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
            raise InvalidArgument(f"total={total!r} must be a non-negative integer or None")
        if not isinstance(width, int) or width < 1:
            raise InvalidArgument(f"width={width!r} must be a positive integer")
        if not min_interval >= 0:
            raise InvalidArgument(f"min_interval={min_interval!r} must be non-negative")
        self.total = total
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.enabled = is_terminal(self.stream) if enabled is None else bool(enabled)
        self.min_interval = float(min_interval)
        self.width = width
        self._clock = clock
        self._start = clock()
        self._last_draw: float | None = None
        self._drawn = False
        self._closed = False
        self._lock = threading.Lock()
        self.done = 0
        if self.enabled and total:
            self._maybe_draw()          # show the bar at once, before the first step ends

    # ----------------------------------------------------------- updates --
    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps."""
        with self._lock:
            self.done += n
            self._maybe_draw()

    def set(self, done: int, total: int | None = None) -> None:
        """Set the number of steps done (and optionally a new total)."""
        with self._lock:
            if total is not None:
                self.total = total
            self.done = done
            self._maybe_draw()

    def callback(self) -> Callable[[int, int | None], None]:
        """A ``report(done, total)`` function to hand to a long-running library call."""

        def report(done: int, total: int | None = None) -> None:
            self.set(done, total)

        return report

    def close(self) -> None:
        """Draw the final state and end the line (only if anything was drawn)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.enabled and self._drawn:
                self._draw()
                self._write("\n")

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ----------------------------------------------------------- drawing --
    def text(self) -> str:
        """The current line, without the carriage return."""
        elapsed = self._clock() - self._start
        head = f"{self.desc} " if self.desc else ""
        if self.total is None:
            return f"{head}{self.done} done {_clock_text(elapsed)}"
        frac = 1.0 if self.total == 0 else min(1.0, max(0.0, self.done / self.total))
        filled = int(round(frac * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        tail = f" {_clock_text(elapsed)}"
        if 0 < self.done < self.total:
            tail += f" ETA {_clock_text(elapsed * (self.total - self.done) / self.done)}"
        return f"{head}[{bar}] {self.done}/{self.total} {100 * frac:3.0f}%{tail}"

    def _maybe_draw(self) -> None:
        if not self.enabled or self._closed:
            return
        now = self._clock()
        final = self.total is not None and self.done >= self.total
        if final or self._last_draw is None or now - self._last_draw >= self.min_interval:
            self._last_draw = now
            self._draw()

    def _draw(self) -> None:
        line = self.text()
        self._write("\r" + line + "\x1b[K")
        self._drawn = True

    def _write(self, s: str) -> None:
        try:
            self.stream.write(s)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False


def track(iterable: Iterable[T], total: int | None = None, desc: str = "", *,
          stream: TextIO | None = None, enabled: bool | None = None) -> Iterator[T]:
    """Yield from ``iterable`` while drawing a :class:`Progress` bar (terminal only).

    ``total`` defaults to ``len(iterable)`` when it has one.

    Examples
    --------
    >>> import io
    >>> list(track(range(3), desc="cases", stream=io.StringIO()))
    [0, 1, 2]
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    with Progress(total, desc, stream=stream, enabled=enabled) as bar:
        for item in iterable:
            yield item
            bar.update()
