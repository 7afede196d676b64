"""Tests of basins.cli.progress: drawn on terminals only, throttled, thread-safe, honest counts."""

from __future__ import annotations

import io
import threading

import pytest

from basins.errors import InvalidArgument
from basins.cli.progress import Progress, is_terminal, track


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Broken(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frames(text: str) -> list[str]:
    """The drawn lines: split on carriage returns, drop the clear-to-end escape."""
    return [f.replace("\x1b[K", "").rstrip("\n") for f in text.split("\r") if f.strip()]


def test_silent_when_not_a_terminal():
    out = io.StringIO()
    with Progress(5, "cases", stream=out, min_interval=0) as bar:
        for _ in range(5):
            bar.update()
    assert out.getvalue() == ""
    assert bar.done == 5 and bar.enabled is False


def test_default_stream_is_stderr_and_pytest_capture_is_no_terminal(capsys):
    bar = Progress(2, "x")
    bar.update(2)
    bar.close()
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize("stream, expected", [(Tty(), True), (io.StringIO(), False), (Broken(), False),
                                              (None, False)], ids=["tty", "pipe", "closed", "none"])
def test_is_terminal(stream, expected):
    assert is_terminal(stream) is expected


def test_draws_on_a_terminal_and_ends_the_line():
    out = Tty()
    clock = FakeClock()
    with Progress(4, "sweep", stream=out, min_interval=0, width=8, clock=clock) as bar:
        for k in range(4):
            clock.now = k + 1.0
            bar.update()
    text = out.getvalue()
    assert text.endswith("\n")
    lines = frames(text)
    assert lines[0].startswith("sweep [........] 0/4   0%")   # drawn at once
    assert lines[1].startswith("sweep [##......] 1/4  25%")
    assert "ETA 3.0s" in lines[1]          # 1 s per step, 3 steps left
    assert lines[-1].startswith("sweep [########] 4/4 100%")
    assert "ETA" not in lines[-1]


def test_throttling_skips_frames_but_always_draws_the_last():
    out = Tty()
    clock = FakeClock()
    bar = Progress(100, "n", stream=out, min_interval=1.0, clock=clock)
    for k in range(100):
        clock.now = k * 0.01                 # one second in all
        bar.update()
    drawn = frames(out.getvalue())
    assert len(drawn) <= 3                   # the first, one after 1 s at most, and the final one
    assert "100/100" in drawn[-1]
    bar.close()
    bar.close()                              # closing twice writes once
    assert out.getvalue().count("\n") == 1


def test_unknown_total_counts_only():
    out = Tty()
    with Progress(None, "samples", stream=out, min_interval=0) as bar:
        bar.update(7)
    assert frames(out.getvalue())[-1].startswith("samples 7 done")


def test_callback_sets_done_and_total():
    out = Tty()
    bar = Progress(None, "", stream=out, min_interval=0)
    report = bar.callback()
    report(3, 10)
    assert (bar.done, bar.total) == (3, 10)
    assert "3/10" in frames(out.getvalue())[-1]


def test_enabled_forces_drawing_either_way():
    out = io.StringIO()
    with Progress(1, "x", stream=out, enabled=True, min_interval=0) as bar:
        bar.update()
    assert "1/1" in out.getvalue()
    tty = Tty()
    with Progress(1, "x", stream=tty, enabled=False) as bar:
        bar.update()
    assert tty.getvalue() == ""


def test_threads_lose_no_update():
    bar = Progress(4000, "t", stream=io.StringIO())

    def work() -> None:
        for _ in range(1000):
            bar.update()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bar.done == 4000


def test_track_yields_everything_and_reports_len():
    out = Tty()
    assert list(track(iter("abc"), total=3, desc="letters", stream=out)) == ["a", "b", "c"]
    assert "3/3" in frames(out.getvalue())[-1]
    silent = io.StringIO()
    assert list(track([1, 2], desc="n", stream=silent)) == [1, 2]
    assert silent.getvalue() == ""


def test_a_failing_stream_disables_the_bar():
    out = Tty()
    out.close()
    bar = Progress(2, "x", stream=out, enabled=True, min_interval=0)
    bar.update()                     # writing to a closed stream must not raise
    assert bar.enabled is False


@pytest.mark.parametrize("kwargs, match", [
    ({"total": -1}, r"total=-1 must be a non-negative integer"),
    ({"total": 2.5}, r"total=2.5 must be a non-negative integer"),
    ({"total": 3, "width": 0}, r"width=0 must be a positive integer"),
    ({"total": 3, "min_interval": -1.0}, r"min_interval=-1.0 must be non-negative"),
], ids=["negative", "float", "width", "interval"])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        Progress(**kwargs)


def test_sweep_reports_each_attempt():
    """The hook in basins.landscape.sweep: progress(done, total) after every (width, data set) attempt."""
    from basins.landscape.sweep import sweep

    calls: list[tuple[int, int]] = []
    s = sweep("relu", 3, trials=2, workers=1, samples=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(k, 6) for k in range(1, 7)]
    assert s.widths_with == []


def test_verify_case_reports_each_radius():
    """The hook in basins.verification.verify: progress(done, len(radii)) after the sampling at each radius."""
    from basins.constructions.prop4 import construct_prop4
    from basins.verification.verify import verify_case

    calls: list[tuple[int, int]] = []
    case = construct_prop4("swish", (0.1, 2.0, 3.0), w=[1.0], v=[1.0])
    ver = verify_case(case, radii=(1e-2, 1e-4, 1e-6), samples=20, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert ver.passed
