"""`basins pt`: a strictly decreasing path (Property PT), or the barrier that blocks one."""

from __future__ import annotations

import os
from typing import Any, Callable

import click

from basins.cli._common import (check_memory, emit_json, handle_errors, json_option, main, memory_option, output_option,
                                safe)


#: Above this many weights and inputs, --json leaves the exact generator out of stdout (it stays in -o files).
_STDOUT_NUMBERS = 200_000


def _int_list(name: str, text: str) -> list[int]:
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        out = [int(p) for p in parts]
    except ValueError:
        raise click.BadParameter(f"{text!r} must be comma-separated integers", param_hint=name) from None
    if len(out) < 3 or any(d < 1 for d in out):
        raise click.BadParameter(f"{text!r} needs at least 3 positive widths d0,d1,...,dH,dout", param_hint=name)
    return out


def pt_memory(widths: list[int], N: int, points: int | None) -> float:
    """Bytes `basins pt --widths ... --N N` needs, roughly: the weights and the start, perturbed and end
    points (a few copies of every W_l), the data and the outputs of every layer on the N inputs (a few
    copies each, for the forward and backward passes), and the losses along the path."""
    params = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    activations = sum(widths) * N
    return 8.0 * (6 * params + 4 * activations + 4 * (points or 1001))


def _load_case(ref: str) -> Any:
    from basins.io.case import load_case
    if os.path.exists(ref) or os.sep in ref or ref.endswith(".json"):
        return load_case(ref)
    try:
        from basins import cases  # type: ignore[attr-defined]  # shipped cases (installed package only)
    except ImportError:
        return load_case(ref)
    return cases.load(ref)


def _precision_line(p: Any) -> str:
    prec = p.details.get("precision") or {}
    if str(prec.get("arithmetic", "")).startswith("ball"):
        lo, hi = prec.get("sigma_min_text") or prec["sigma_min"]
        return (f"precision: ball arithmetic (python-flint) at {prec['digits']} digits; σ_min(T_{p.layer - 1}) ∈ "
                f"[{safe(lo)}, {safe(hi)}] (rank N proved at {prec['rank_digits']} digits). Why: "
                f"{safe(prec['reason'])}")
    return f"precision: float64 ({safe(prec.get('reason', 'rank N resolved in float64'))})"


def _verdict(p: Any) -> str:
    if p.verified:
        return "verified numerically"
    return "undecided: no step's decrease exceeds the rounding floor" if p.status == "undecided" else "check failed"


def _summary_wide(p: Any, a2: list, reach: Any) -> str:
    lines = [
        f"{safe(p.theorem)}: widths {list(p.network.widths)}, activations {safe([a.text for a in p.network.activations])}, "
        f"N = {p.X.shape[1]}",
        f"perturbation of layers {list(p.perturbed_layers) or 'none needed'}: size {p.perturbation:.3g} "
        f"(allowed δ = {p.delta:g}); σ_min(T_{p.layer - 1}) = {p.sigma_min:.3g}",
        f"path changes W_{p.layer} only; E: {p.start_loss:.6g} → {p.end_loss:.3g} (infimum 0) "
        f"at {p.lambdas.size} points",
        f"strict decrease at every resolved step: {p.strictly_decreasing} "
        f"({p.unresolved_steps} steps below the rounding floor {p.rounding_floor:.3g}); "
        f"end loss is 0 up to rounding: {p.end_loss_ok}",
        _precision_line(p),
    ]
    for r in a2:
        orders = ", ".join(map(str, r.orders[:12])) + (" ..." if len(r.orders) > 12 else "")
        lines.append(f"Assumption 2 for {safe(r.activation)} (N = {r.N}): {r.holds} — non-zero orders at 0 up to "
                     f"{r.max_order}: {orders or 'none'}; {r.reason}")
    if reach is not None:
        lines.append(f"full-rank reachability (first layer): {reach.reachable} [{reach.method}] — {reach.reason}")
    lines.append(f"result: {p.status} ({_verdict(p)})")
    return "\n".join(lines)


def _summary_search(r: Any) -> str:
    lines = [f"case: {safe(r.details.get('theorem'))} {safe(r.details.get('case') or '')}".rstrip(),
             f"E(case) = {r.case_loss:.12g}; start (perturbation {r.perturbation:g}) E = {r.start_loss:.12g}",
             f"descent from the start ended at E = {r.descent_end_loss:.12g}"]
    if r.status == "path":
        lines.append(f"strictly decreasing path found ({r.kind}): E {r.start_loss:.12g} → {r.end_loss:.12g}")
    else:
        lines.append(f"blocked: best barrier found = {r.barrier:.6g} (max E along the path {r.max_loss:.12g} − "
                     f"E(start)); path = {safe(r.details.get('path'))} through {len(r.points)} points to the witness "
                     f"(E = {r.end_loss:.12g})")
    lines.append("verified numerically (dense sampling, cancellation-free ΔE); the barrier is an upper bound "
                 "on the minimax barrier")
    return "\n".join(lines)


#: The text summary of each kind of Property PT result (basins.landscape.records.PathResult).
_SUMMARIES: dict[str, Callable[[Any], str]] = {
    "wide": lambda r: _summary_wide(r, [], None), "pyramid": lambda r: _summary_wide(r, [], None),
    "descent": _summary_search, "barrier": _summary_search,
}


def _check_file(path: str, as_json: bool) -> None:
    from basins.errors import VerificationFailed
    from basins.io.records import loads_json, read_text_file, validate_record
    from basins.landscape.paths import check_path
    # a regular file of at most 64 MiB, JSON of bounded depth with finite numbers (basins.io.records)
    record = loads_json(read_text_file(path, "path"), source=f"path file {path!r} cannot be read as JSON")
    if isinstance(record, dict) and record.get("schema") == "basins.path/1":
        validate_record(record, "path", source=path)     # a malformed field is named (check_path refuses others)
    res = check_path(record)
    if as_json:
        emit_json(res)
    else:
        for name, ok in res["checks"].items():
            click.echo(f"  {'ok  ' if ok else 'FAIL'} {safe(name)}")
        click.echo(f"{safe(res['kind'])} path: {res['status']}")
    if not res["ok"]:
        failed = [k for k, v in res["checks"].items() if not v]
        if res["status"] == "undecided":
            raise VerificationFailed(f"path file {path!r} is undecided: no step's decrease exceeds the rounding "
                                     "floor, so nothing was checked", check=failed[0])
        raise VerificationFailed(f"path file {path!r} fails: {', '.join(failed)}", check=failed[0])


@main.command("pt")
@click.option("--widths", "widths_text", default=None,
              help="Layer widths d0,d1,...,dH,dout of a deep network, comma-separated, e.g. --widths 3,8,8,1 "
                   "(wide: dH ≥ N).")
@click.option("--activation", "-a", default="tanh", show_default=True,
              help="Registry name or expression; several comma-free names separated by ';' give one per layer.")
@click.option("--N", "-N", "N", type=click.IntRange(min=1), default=None,
              help="Number of data points N (random data; with --widths).  Formerly --samples, which still works; "
                   "--samples means random directions in the other commands.")
@click.option("--samples", "samples_alias", type=click.IntRange(min=1), default=None, hidden=True)  # deprecated --N
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of data, start and search.")
@click.option("--delta", type=float, default=1e-3, show_default=True, help="Size of the perturbation of W_1..W_h0.")
@click.option("--init", type=click.Choice(["random", "zeros"]), default="random", show_default=True,
              help="Start point W^o (zeros: T_H has rank ≤ 1, the perturbation is essential).")
@click.option("--h0", type=click.IntRange(min=1), default=None, help="Wide layer of a pyramid (Theorem 3).")
@click.option("--points", type=click.IntRange(min=2), default=None,
              help="Values of λ at which the loss is checked (default 1001 wide, 201 pyramid).")
@click.option("--case", "case_ref", default=None, help="A case file (or shipped case name): search a path from it.")
@click.option("--perturbation", type=float, default=1e-4, show_default=True,
              help="With --case: size of the perturbation of the case's point.")
@click.option("--check", "check_file", type=click.Path(dir_okay=False), default=None,
              help="Re-verify a path file (basins.path/1) from its generator and exit.")
@click.option("--precision", type=click.Choice(["auto", "float64"]), default="auto", show_default=True,
              help="auto: when float64 cannot resolve rank N of T (or its check resolves under half the steps), "
                   "continue in ball arithmetic at the digits the data need (30..400 for the rank).")
@click.option("--no-weights", is_flag=True,
              help="Leave the weights out of the path file (losses only; --check then cannot re-verify it).")
@output_option("Write the path (schema basins.path/1) here, atomically.")
@memory_option
@json_option
@handle_errors
def pt_cmd(widths_text: str | None, activation: str, N: int | None, samples_alias: int | None, seed: int, delta: float, init: str,
           h0: int | None, points: int | None, case_ref: str | None, perturbation: float, check_file: str | None,
           precision: str, no_weights: bool, output: str | None, max_memory: int, as_json: bool) -> None:
    """Find a strictly decreasing path to the infimum, or a barrier.

    This checks Property PT of Li, Ding & Sun (arXiv:1812.11039), Definition
    2: a strictly decreasing path to the global infimum.  Wide networks
    (--widths with dH ≥ N, or a pyramid after a wide layer): perturb, then
    follow the path of Theorem 2 / Theorem 3 and verify the strict decrease
    densely.  Narrow cases (--case): search a strictly decreasing path from a
    perturbed point, else report "blocked" with the best barrier found.

    When float64 cannot resolve rank N of T (for 1-D inputs σ_min decays
    geometrically with N), the wide path continues in ball arithmetic at the
    precision the data need and says which and why.  A check that resolved no
    step is "undecided" (exit 2, like a failed check).  -o writes the path
    file only when the check passed.

    \b
    Examples:
      basins pt --widths 3,8,8,1 --N 6                # wide: dH = 8 ≥ N = 6
      basins pt --widths 2,8,5,1 --N 6 -a 'tanh;leaky_relu'   # a pyramid
      basins pt --widths 1,50,1 --N 50 -a tanh        # 1-D: ball arithmetic
      basins pt --widths 3,8,8,1 --N 6 -o path.json   # write the path
      basins pt --check path.json                     # re-verify a path file
      basins pt --case theorem7_shifted_relu_m1_n3    # a shipped case
      basins pt --case case.json                      # from basins construct -o
    """
    from basins.landscape.assumptions import check_assumption2, full_rank_reachability
    from basins.landscape.barrier import search_path
    from basins.landscape.pt import decreasing_path, random_problem

    if check_file is not None:
        _check_file(check_file, as_json)
        return
    if case_ref is not None:
        if widths_text is not None:
            raise click.UsageError("give either --case or --widths, not both")
        result = search_path(_load_case(case_ref), perturbation=perturbation, seed=seed)
        data = result.to_dict()
        if output:
            result.save(output)
        if as_json:
            emit_json(data)
        else:
            click.echo(_SUMMARIES[result.kind](result))
        if output and not as_json:
            click.echo(f"written to {safe(output)}")
        return
    if samples_alias is not None:          # the old spelling of --N
        if N is not None and N != samples_alias:
            raise click.UsageError(f"--N {N} and --samples {samples_alias} (its old name) disagree")
        N = samples_alias
    if widths_text is None or N is None:
        raise click.UsageError("give --widths and --N (or --case)")
    widths = _int_list("--widths", widths_text)
    check_memory(pt_memory(widths, N, points), max_memory,
                 f"a network of widths {widths} on N = {N} data points", "--widths, --N")
    acts: Any = [a.strip() for a in activation.split(";")] if ";" in activation else activation
    X, Y, W = random_problem(widths, N, seed=seed, init=init)
    kw: dict[str, Any] = dict(delta=delta, seed=seed, precision=precision)
    if points is not None:
        kw["samples"] = points
    if h0 is not None:
        kw["h0"] = h0
    path = decreasing_path(widths, acts, X, Y, W, **kw)
    a2 = [check_assumption2(a, N, max_order=40) for a in dict.fromkeys(path.network.activations)]
    reach = full_rank_reachability(path.network.activations[0], X, widths[1], seed=seed) if widths[1] <= 2000 else None
    data = path.to_dict(include_weights=not no_weights)
    data["assumptions"] = {"assumption2": [r.to_dict() for r in a2],
                           "reachability": None if reach is None else reach.to_dict()}
    if output and path.verified:       # a failed or undecided check writes no file (its record is on stdout)
        import json as _json
        from basins.io.case import write_json_atomic
        write_json_atomic(output, _json.dumps(data, allow_nan=False, ensure_ascii=False))
    if as_json:
        if "perturbed_weights" in data["generator"] and path.network.n_params + path.X.size > _STDOUT_NUMBERS:
            # the exact weights of a large network go to the file (-o), not to the terminal
            data["generator"] = {k: v for k, v in data["generator"].items()
                                 if k not in ("X", "Y", "perturbed_weights", "end_layer")}
            data["generator"]["omitted"] = (f"{path.network.n_params + path.X.size} numbers; write them with -o")
        emit_json(data)
    else:
        click.echo(_summary_wide(path, a2, reach))
        if output and path.verified:
            click.echo(f"written to {safe(output)}")
    if path.status == "undecided":
        click.echo("Error: the numerical check of the path is undecided: no step's decrease exceeds the rounding "
                   f"floor {path.rounding_floor:.3g} (E(W^p) = {path.start_loss:.3g}); nothing was verified"
                   + ("; no file written" if output else ""), err=True)
        raise SystemExit(2)
    if not path.verified:
        click.echo("Error: the numerical check of the path failed (see 'strictly_decreasing', 'end_loss')"
                   + ("; no file written" if output else ""), err=True)
        raise SystemExit(2)
