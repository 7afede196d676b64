"""`basins sweep`: the transition width, widths with and without bad basins found, beside Table 1."""

from __future__ import annotations

import click

from basins.cli._common import (check_memory, emit_json, handle_errors, json_option, main, memory_option, output_option,
                                safe)
from basins.cli.cmd_construct import construct_memory


def sweep_memory(N: int, trials: int, workers: int, samples: int) -> float:
    """Bytes a sweep needs, roughly: each worker holds one construction and verification at a time (the
    largest over m = 1..N and the constructions tried), and the sweep one task and one result per
    (width, data set)."""
    one = max(construct_memory(N, m, theorem, samples) for m in (1, N) for theorem in ("auto", "4"))
    return workers * one + 2048.0 * N * trials


def format_sweep(s: dict) -> str:
    """The sweep table as text (from the basins.sweep/1 record)."""
    t = s["table1"]
    model = s.get("model")
    shape = "" if not model else (f", inputs in R^{model['input_dim']}"
                                  + (", hidden bias" if model["hidden_bias"] else "")
                                  + (", output bias" if model["output_bias"] else ""))
    lines = [f"activation {safe(s['activation'])}, N = {s['N']}{shape}, {s['trials']} data set(s) per width, "
             f"constructions: {', '.join(s['constructions'])}",
             f"Table 1 ({t['reference']}): class '{t['class']}': transition width {t['transition']} "
             f"[{t['theorems']}]" + (f"; {t['note']}" if t.get("note") else ""),
             f"{'m':>3}  {'found':>7}  {'by':<14} paper",
             ]
    for r in s["rows"]:
        lines.append(f"{r['m']:>3}  {r['found']:>3}/{r['attempts']:<3}  {','.join(r['constructions']) or '-':<14} "
                     f"{r['paper']}")
    lb = s["observed"]["lower_bound"]
    lines.append(f"widths with a basin found: {s['widths_with'] or 'none'}; without: {s['widths_without'] or 'none'}")
    lines.append(f"observed: m* ≥ {lb}" if lb else "observed: no basin found at any width")
    lines.append(f"consistent with the theorems: {s['consistent']}; {s['verification']}; "
                 f"{s['backend']}, {s['seconds']:.1f} s")
    return "\n".join(lines)


@main.command("sweep")
@click.option("--activation", "-a", default="softplus", show_default=True, help="Registry name or expression in t.")
@click.option("--N", "-N", "N", type=click.IntRange(min=2), default=4, show_default=True,
              help="Number of data points N; the widths m = 1..N are tried.")
@click.option("--trials", type=click.IntRange(min=1), default=2, show_default=True, help="Data sets per width.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random data sets and of every search.")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Local processes.")
@click.option("--scheduler", default=None, help="Dask scheduler address (needs the dask extra).")
@click.option("--samples", type=click.IntRange(min=1), default=200, show_default=True,
              help="Random directions per radius in each verification.")
@click.option("--d", "d", type=click.IntRange(min=1), default=1, show_default=True,
              help="Input dimension d (d > 1 sweeps the generalized Proposition 4 alone).")
@click.option("--bias", is_flag=True, help="Give every hidden neuron a bias (x̃ = (x, 1), D = d + 1).")
@click.option("--output-bias", "output_bias", is_flag=True, help="Give the output an output bias c.")
@output_option("Write the sweep (schema basins.sweep/1) here, atomically.")
@memory_option
@json_option
@handle_errors
def sweep_cmd(activation: str, N: int, trials: int, seed: int, workers: int, scheduler: str | None,
              samples: int, d: int, bias: bool, output_bias: bool, output: str | None, max_memory: int,
              as_json: bool) -> None:
    """Find the widths with and without bad basins.

    For each width m = 1..N and each of --trials random data sets of N
    points, attempt every construction that applies to the activation and
    verify the result numerically; print the widths with and without a bad
    basin beside Table 1 of Li, Ding & Sun (arXiv:1812.11039).  With --d > 1,
    --bias or --output-bias the inputs are d-dimensional with hidden and/or
    output biases, and the only construction tried is the generalized
    Proposition 4.

    \b
    Examples:
      basins sweep                                # softplus, N = 4
      basins sweep -a relu --N 3 --trials 1
      basins sweep -a shifted_relu --N 5 -o sweep.json
      basins sweep -a softplus --N 8 --d 2 --bias --output-bias
      basins plot sweep.json -o sweep.pdf         # the sweep as a chart
    """
    from basins.cli.progress import Progress
    from basins.landscape.sweep import sweep

    check_memory(sweep_memory(N, trials, 1 if scheduler else workers, samples), max_memory,
                 f"a sweep of N = {N}, {trials} data set(s) per width, {workers} worker(s), --samples {samples}",
                 "--N, --trials, --workers, --samples")
    with Progress(N * trials, "sweep") as bar:   # drawn on stderr only when it is a terminal
        result = sweep(activation, N, trials=trials, seed=seed, workers=workers, scheduler=scheduler,
                       samples=samples, progress=bar.callback(), input_dim=d, bias=bias, output_bias=output_bias)
    if output:
        result.save(output)
    data = result.to_dict()
    if as_json:
        emit_json(data)
        return
    click.echo(format_sweep(data))
    if output:
        click.echo(f"written to {safe(output)}")
