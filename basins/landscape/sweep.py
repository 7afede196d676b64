"""Transition width: at which widths m do the constructions find bad basins (Table 1)?

For an activation and N, :func:`sweep` attempts every registered construction
(:data:`basins.constructions.choose.CONSTRUCTIONS`) at every width m = 1..N on
``trials`` seeded data sets, verifies each case numerically
(:func:`basins.verification.verify.verify_case`), and sets the widths with and without
bad basins found beside the paper's Table 1 for the activation's class.  The
attempts run in parallel over local processes
(:class:`concurrent.futures.ProcessPoolExecutor`) or, given a scheduler
address and the optional ``dask`` extra, on a Dask cluster.

A width "with" basins has at least one verified case; a width "without" has
none *found*, which is evidence, not a proof, except where a theorem rules
basins out (m ≥ N by Theorem 2; positively homogeneous σ by Theorem 5).

Sweep file, schema ``basins.sweep/1``
-------------------------------------
``schema`` "basins.sweep/1"; ``activation`` (expression in t); ``N``;
``trials``; ``seed``; ``constructions`` (keys tried); ``table1`` (the row of
Table 1 for the activation: ``class``, ``transition``, ``theorems``,
``reference``); ``rows``: one per m with ``m``, ``found`` (number of data sets
with a verified basin), ``attempts``, ``constructions`` (keys that found one),
``data`` ("seeded", or "construction's own x" for a construction such as
Theorem 7 that holds only on a positive-measure set of inputs),
``reasons`` (why the others failed, first line each), ``paper`` (what the
paper says at this m); ``widths_with``, ``widths_without``; ``observed``
(``lower_bound``: the smallest m* consistent with what was found, i.e. one
more than the largest width with a basin, or null); ``consistent`` (no
basin found where a theorem forbids one); ``backend``; ``seconds``;
``attempts`` (one per width and data set: ``m``, ``seed``, ``found``,
``construction``, ``data``, ``reasons``, and the losses when found) and
``details``.  JSON Schema: ``basins/io/schemas/sweep-1.json``; :meth:`Sweep.from_dict`
validates a record and reads it back exactly.

The model of SPEC §11 (``input_dim`` d > 1, a hidden ``bias``, an
``output_bias``) is swept with the one construction that supports it, the
generalized Proposition 4 (key "general",
:func:`basins.constructions.general.construct_general`), on seeded inputs in
[−2, 2]^d; the record then has ``model`` (``input_dim``, ``hidden_bias``,
``output_bias``).  Table 1 is a statement about scalar inputs without biases:
for this model only Theorem 2 (no basin at m ≥ N) and Theorem 5 (none for a
positively homogeneous σ; the hidden bias is one more input coordinate, c is
held fixed) decide a width.

References
----------
D. Li, T. Ding, R. Sun, *On the Benefit of Width for Neural Networks:
Disappearance of Basins*, Table 1 (§3.2), Theorems 2, 4, 5, 6, 7.
"""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from basins.activations import Activation, as_activation
from basins.io.case import write_json_atomic
from basins.errors import BasinsError, CaseFormatError, InvalidArgument
from basins.io.records import read_json, validate_record
from basins.model.engine import SCALAR, Model

__all__ = ["TABLE1", "SWEEP_SCHEMA", "GENERAL_KEY", "Sweep", "classify", "paper_prediction", "sweep", "sweep_data",
           "sweep_inputs"]

#: The construction key of the generalized Proposition 4 (SPEC §11), the only one for d > 1 or biases.
GENERAL_KEY = "general"

_GENERAL_NOTE = ("Table 1 is about scalar inputs without biases; for the model of SPEC §11 only Theorem 2 "
                 "(none at m ≥ N) and Theorem 5 (none for positively homogeneous σ) decide a width")

SWEEP_SCHEMA = "basins.sweep/1"

#: Table 1 of the paper: activation class -> transition width m* and the theorems behind it.
TABLE1: dict[str, dict[str, str]] = {
    "C2, σ(0)σ′(0)σ″(0) ≠ 0": {
        "transition": "1 < m* ≤ N",
        "theorems": "Theorem 6 (basin at m = 1, N ≥ 3), Theorem 2 (none at m ≥ N)",
        "reference": "Li, Ding & Sun, Table 1, row 1",
    },
    "piecewise linear, σ(0) = σ′(0) = 0": {
        "transition": "(N − 1)/2 < m* ≤ N",
        "theorems": "Theorem 7 (basins for 2m + 1 ≤ N, positive measure of x), Theorem 2",
        "reference": "Li, Ding & Sun, Table 1, row 2",
    },
    "positively homogeneous": {
        "transition": "no phase transition (no basin at any width)",
        "theorems": "Theorem 5",
        "reference": "Li, Ding & Sun, Table 1, row 3",
    },
    "not covered by Table 1": {
        "transition": "m* ≤ N (Theorem 2 only)",
        "theorems": "Theorem 2",
        "reference": "Li, Ding & Sun, Theorem 2",
    },
}


def classify(activation: Activation | str) -> str:
    """The row of :data:`TABLE1` an activation belongs to.

    Examples
    --------
    >>> classify("softplus"), classify("relu")
    ('C2, σ(0)σ′(0)σ″(0) ≠ 0', 'positively homogeneous')
    >>> classify("shifted_relu")
    'piecewise linear, σ(0) = σ′(0) = 0'
    """
    act = as_activation(activation)
    if act.is_positively_homogeneous:
        return "positively homogeneous"
    pl = act.piecewise_linear
    if pl is not None:
        # σ(0) = 0 and slope 0 on both sides of 0 (0 is not a breakpoint, or both pieces are flat)
        f0 = act.expr.subs(act.expr.free_symbols.pop() if act.expr.free_symbols else sp.Symbol("t"), 0)
        slopes_at_0 = []
        bps = list(pl.breakpoints)
        for k, (s, _) in enumerate(pl.pieces):
            lo = bps[k - 1] if k > 0 else -sp.oo
            hi = bps[k] if k < len(bps) else sp.oo
            if lo <= 0 <= hi:
                slopes_at_0.append(s)
        if f0 == 0 and all(s == 0 for s in slopes_at_0):
            return "piecewise linear, σ(0) = σ′(0) = 0"
        return "not covered by Table 1"
    if act.is_c2:
        d0, d1, d2 = act.derivatives_at_zero()
        if all(d is not None and d != 0 for d in (d0, d1, d2)):
            return "C2, σ(0)σ′(0)σ″(0) ≠ 0"
    return "not covered by Table 1"


def paper_prediction(cls: str, m: int, N: int, model: Model = SCALAR) -> str:
    """What the paper says about basins at width m for the class ``cls`` (and, SPEC §11, the ``model``).

    Examples
    --------
    >>> paper_prediction("positively homogeneous", 1, 5)
    'none (Theorem 5)'
    >>> paper_prediction("C2, σ(0)σ′(0)σ″(0) ≠ 0", 1, 5)
    'exists for some y (Theorem 6)'
    >>> paper_prediction("C2, σ(0)σ′(0)σ″(0) ≠ 0", 1, 5, Model(2, True, True))
    'not decided by the paper (SPEC §11 model)'
    """
    if cls == "positively homogeneous":
        return "none (Theorem 5)"
    if m >= N:
        return "none (Theorem 2, m ≥ N)"
    if not model.scalar:
        return "not decided by the paper (SPEC §11 model)"
    if cls.startswith("C2") and m == 1 and N >= 3:
        return "exists for some y (Theorem 6)"
    if cls.startswith("piecewise") and 2 * m + 1 <= N and N >= 3:
        return "exists for some x, y (Theorem 7)"
    return "not decided by the paper"


def sweep_data(N: int, seed: int) -> np.ndarray:
    """Seeded inputs x: N distinct non-zero values, |x| in [0.2, 3], mixed signs.

    Examples
    --------
    >>> x = sweep_data(5, 0)
    >>> len(set(x.tolist())) == 5 and bool(np.all(np.abs(x) >= 0.2))
    True
    """
    rng = np.random.default_rng(seed)
    while True:
        x = rng.uniform(0.2, 3.0, N) * rng.choice([-1.0, 1.0], N)
        x = np.round(x, 6)
        if np.unique(x).size == N and np.all(x != 0):
            return x


def sweep_inputs(N: int, d: int, seed: int) -> np.ndarray:
    """Seeded inputs X (N, d) for the model of SPEC §11: rows uniform in [−2, 2]^d, rounded to 6 digits, distinct.

    Examples
    --------
    >>> X = sweep_inputs(6, 2, 0)
    >>> X.shape, len({tuple(r) for r in X.tolist()})
    ((6, 2), 6)
    """
    rng = np.random.default_rng(seed)
    while True:
        X = np.round(rng.uniform(-2.0, 2.0, (N, d)), 6)
        if np.unique(X, axis=0).shape[0] == N:
            return X


def _attempt_general(task: tuple[str, int, int, int, tuple[str, ...], int, tuple[int, bool, bool]]
                     ) -> dict[str, Any]:
    """One (m, data set) of the model of SPEC §11: the generalized Proposition 4, then verify_case."""
    from basins.constructions.general import construct_general
    from basins.verification.verify import verify_case

    text, N, m, data_seed, keys, samples, (d, bias, output_bias) = task
    act = as_activation(text)
    X = sweep_inputs(N, d, data_seed)
    name = f"{GENERAL_KEY} (seeded)"
    try:
        case = construct_general(act, X, width=m, bias=bias, output_bias=output_bias, seed=data_seed,
                                 samples=samples)
    except BasinsError as exc:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        return {"m": m, "seed": data_seed, "found": False, "construction": None, "data": None,
                "reasons": {name: reason}}
    try:
        status = verify_case(case, samples=samples, seed=data_seed).status
    except BasinsError as exc:
        status = f"failed ({exc})"
    if status == "verified numerically":
        return {"m": m, "seed": data_seed, "found": True, "construction": GENERAL_KEY, "data": "seeded",
                "reasons": {}, "loss": case.loss, "witness_loss": None if case.witness is None else case.witness.loss}
    return {"m": m, "seed": data_seed, "found": False, "construction": None, "data": None,
            "reasons": {name: f"case built but verification {status}"}}


def _accepts_N(fn: Any) -> bool:
    import inspect
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False
    return "N" in params


def _attempt(task: tuple[Any, ...]) -> dict[str, Any]:
    """One (m, data set): try each construction until one gives a verified case.

    Each construction is tried on the seeded inputs (sorted in decreasing
    order, which only renumbers the samples) and, when it fails there and the
    construction can generate its own N inputs (a keyword ``N``, e.g. Theorem
    7, which holds for a positive-measure set of x only), on those.
    """
    from basins.constructions.choose import CONSTRUCTIONS
    from basins.verification.verify import verify_case

    if len(task) == 7:
        return _attempt_general(task)  # type: ignore[arg-type]
    text, N, m, data_seed, keys, samples = task
    act = as_activation(text)
    x = np.sort(sweep_data(N, data_seed))[::-1].copy()
    reasons: dict[str, str] = {}
    for key in keys:
        fn = CONSTRUCTIONS[key][0]
        sources = [("seeded", dict(x=x, width=m, seed=data_seed))]
        if _accepts_N(fn):
            sources.append(("construction's own x", dict(width=m, N=N, seed=data_seed)))
        for source, kwargs in sources:
            name = f"{key} ({source})"
            try:
                case = fn(act, **kwargs)
            except BasinsError as exc:
                reasons[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                continue
            except TypeError as exc:  # a construction with another signature
                reasons[name] = f"not attempted ({exc})"[:160]
                continue
            if case.m != m or case.N != N:
                reasons[name] = f"built (m, N) = ({case.m}, {case.N}), not ({m}, {N})"
                continue
            if case.activation != act:
                # e.g. Theorem 4 designs its own σ: a basin of another activation does not count
                reasons[name] = f"built a case for another activation ({case.activation.name or 'designed'})"
                break
            try:
                status = verify_case(case, samples=samples, seed=data_seed).status
            except BasinsError as exc:
                status = f"failed ({exc})"
            if status == "verified numerically":
                return {"m": m, "seed": data_seed, "found": True, "construction": key, "data": source,
                        "reasons": reasons, "loss": case.loss,
                        "witness_loss": None if case.witness is None else case.witness.loss}
            reasons[name] = f"case built but verification {status}"
    return {"m": m, "seed": data_seed, "found": False, "construction": None, "data": None, "reasons": reasons}


@dataclass(frozen=True)
class Sweep:
    """Outcome of :func:`sweep` (see the ``basins.sweep/1`` schema in the module docstring)."""

    activation: Activation
    N: int
    trials: int
    seed: int
    constructions: tuple[str, ...]
    cls: str
    attempts: tuple[dict, ...]
    backend: str
    seconds: float
    details: dict = field(default_factory=dict)
    model: Model = SCALAR

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for m in range(1, self.N + 1):
            at = [a for a in self.attempts if a["m"] == m]
            found = [a for a in at if a["found"]]
            reasons = sorted({r for a in at for r in a["reasons"].values()})
            out.append({"m": m, "found": len(found), "attempts": len(at),
                        "constructions": sorted({a["construction"] for a in found}),
                        "data": sorted({a.get("data") or "" for a in found}),
                        "reasons": reasons[:3], "paper": paper_prediction(self.cls, m, self.N, self.model)})
        return out

    @property
    def widths_with(self) -> list[int]:
        return [r["m"] for r in self.rows() if r["found"] > 0]

    @property
    def widths_without(self) -> list[int]:
        return [r["m"] for r in self.rows() if r["found"] == 0]

    @property
    def consistent(self) -> bool:
        """No basin found where a theorem forbids one (m ≥ N, or Theorem 5)."""
        return all(not (r["found"] and r["paper"].startswith("none")) for r in self.rows())

    def to_dict(self) -> dict[str, Any]:
        with_ = self.widths_with
        return {
            "schema": SWEEP_SCHEMA,
            "activation": self.activation.text,
            "N": self.N,
            "trials": self.trials,
            "seed": self.seed,
            "constructions": list(self.constructions),
            "table1": {"class": self.cls, **TABLE1[self.cls], **({} if self.model.scalar else {"note": _GENERAL_NOTE})},
            "rows": self.rows(),
            "widths_with": with_,
            "widths_without": self.widths_without,
            "observed": {"lower_bound": (max(with_) + 1) if with_ else None,
                         "meaning": "m* is at least one more than the largest width with a basin found"},
            "consistent": self.consistent,
            "verification": "each basin verified numerically (verify_case); widths without are 'none found'",
            "backend": self.backend,
            "seconds": self.seconds,
            "attempts": [dict(a) for a in self.attempts],
            "details": dict(self.details),
            **({} if self.model.scalar else {"model": {"input_dim": self.model.input_dim,
                                                       "hidden_bias": self.model.hidden_bias,
                                                       "output_bias": self.model.output_bias}}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "sweep") -> "Sweep":
        """The sweep of :meth:`to_dict`, exactly; validated against ``sweep-1.json`` (CaseFormatError).

        A file written before the attempts were stored gets them rebuilt from its rows (one per data
        set; ``details["attempts"]`` says so).
        """
        validate_record(d, "sweep", source=source)
        try:
            act = as_activation(d["activation"])
        except BasinsError as exc:
            raise CaseFormatError(f"{source}: activation: {exc}") from None
        cls_ = d["table1"]["class"]
        if cls_ not in TABLE1:
            raise CaseFormatError(f"{source}: table1.class={cls_!r} is not one of {list(TABLE1)}")
        details = dict(d.get("details") or {})
        if "attempts" in d:
            attempts = tuple(dict(a) for a in d["attempts"])
        else:
            total = sum(int(r["attempts"]) for r in d["rows"])
            if total > 1_000_000:     # rebuilt one by one below: a bound on the work a file can ask for
                raise CaseFormatError(f"{source}: rows.attempts add up to {total}; at most 1000000 can be rebuilt")
            attempts = _attempts_from_rows(d["rows"], int(d["seed"]))
            details["attempts"] = "rebuilt from the rows (the file predates stored attempts)"
        model = SCALAR
        if d.get("model") is not None:
            spec = d["model"]
            try:
                model = Model(int(spec["input_dim"]), bool(spec["hidden_bias"]), bool(spec["output_bias"]))
                model.check()
            except (TypeError, KeyError, ValueError) as exc:
                raise CaseFormatError(f"{source}: model={spec!r} is not a model (input_dim, hidden_bias, "
                                      f"output_bias): {exc}") from None
        return cls(act, int(d["N"]), int(d["trials"]), int(d["seed"]), tuple(d["constructions"]), cls_, attempts,
                   str(d.get("backend", "")), float(d.get("seconds", 0.0)), details, model)

    @classmethod
    def load(cls, path: str) -> "Sweep":
        """Read a sweep file (validated)."""
        return cls.from_dict(read_json(path, "sweep"), source=str(path))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def save(self, path: str) -> None:
        write_json_atomic(path, self.to_json())


def _worker_signals() -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops the pool), SIGTERM ends the worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _process_context() -> Any:
    """fork, unless a multithreaded runtime (JAX, PyTorch) is loaded: forking it can deadlock, so forkserver."""
    import multiprocessing
    import sys

    if any(name in sys.modules for name in ("jax", "torch")):
        return multiprocessing.get_context("forkserver")
    return None


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued attempts and end the running ones: terminate, then kill, every worker process."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=1.0)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=1.0)


def _attempts_from_rows(rows: Sequence[Mapping[str, Any]], seed: int) -> tuple[dict, ...]:
    out = []
    for r in rows:
        found_by, data = list(r["constructions"]), list(r.get("data") or [])
        for k in range(int(r["attempts"])):
            found = k < int(r["found"])
            out.append({"m": int(r["m"]), "seed": seed * 1000 + k, "found": found,
                        "construction": found_by[k % len(found_by)] if found and found_by else None,
                        "data": (data[k % len(data)] or None) if found and data else None,
                        "reasons": {} if found else {f"reason {j + 1}": t for j, t in enumerate(r.get("reasons", []))}})
    return tuple(out)


def sweep(activation: Activation | str, N: int, *, trials: int = 2, seed: int = 0, workers: int = 2,
          scheduler: str | None = None, constructions: Sequence[str] | None = None,
          samples: int = 200, progress: Callable[[int, int], None] | None = None, input_dim: int = 1,
          bias: bool = False, output_bias: bool = False) -> Sweep:
    """Attempt the registered constructions at every width m = 1..N on seeded data sets.

    Parameters
    ----------
    activation : str or Activation
    N : int
        Number of samples (≥ 2).
    trials : int
        Data sets per width (seeds seed·1000 + 0..trials−1).
    seed : int
    workers : int
        Local processes (1 runs in this process).
    scheduler : str, optional
        Address of a Dask scheduler (needs the ``dask`` extra).
    constructions : sequence of str, optional
        Keys of :data:`basins.constructions.choose.CONSTRUCTIONS` (default: all).
    samples : int
        Random directions per radius in each verification.
    progress : callable, optional
        Called as ``progress(done, total)`` after each (width, data set)
        attempt finishes (e.g. :meth:`basins.cli.progress.Progress.callback`).
    input_dim, bias, output_bias : int, bool, bool
        The model of SPEC §11 (d, a hidden bias, an output bias).  Any other than
        the paper's (d = 1, no biases) is swept with the generalized Proposition 4
        alone (``constructions`` may then only be ["general"]).

    Returns
    -------
    Sweep

    Raises
    ------
    InvalidArgument
        Bad N, trials, workers, an unknown construction, or dask missing; d > 1 or a bias with a
        construction that supports only the paper's model.

    References
    ----------
    Li, Ding & Sun, Table 1 and the "transition width" (§3.2).

    Examples
    --------
    >>> s = sweep("relu", 3, trials=1, workers=1)
    >>> s.widths_with, s.consistent
    ([], True)
    """
    from basins.constructions.choose import CONSTRUCTIONS

    act = as_activation(activation)
    for name, val, lo in (("N", N, 2), ("trials", trials, 1), ("workers", workers, 1), ("samples", samples, 1)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < lo:
            raise InvalidArgument(f"{name}={val!r} must be an integer ≥ {lo}")
    model = Model(input_dim, bool(bias), bool(output_bias))
    try:
        model.check()
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None
    if not model.scalar:
        keys = (GENERAL_KEY,) if constructions is None else tuple(constructions)
        scalar_only = [k for k in keys if k != GENERAL_KEY]
        if scalar_only:
            raise InvalidArgument(f"constructions={list(keys)!r}: {scalar_only} build the paper's network (scalar "
                                  f"inputs, no biases); input_dim={input_dim!r}, bias={bias!r}, "
                                  f"output_bias={output_bias!r} need the generalized Proposition 4 "
                                  f"({GENERAL_KEY!r}, SPEC §11)")
        try:
            import basins.constructions.general  # noqa: F401
        except ImportError as exc:
            raise InvalidArgument(f"input_dim={input_dim!r}, bias={bias!r}, output_bias={output_bias!r}: the "
                                  f"generalized Proposition 4 (basins.constructions.general) is not available "
                                  f"({exc}); only the paper's model (d = 1, no biases) can be swept") from None
    else:
        keys = tuple(CONSTRUCTIONS) if constructions is None else tuple(constructions)
        unknown = [k for k in keys if k not in CONSTRUCTIONS]
        if unknown:
            raise InvalidArgument(f"constructions={list(keys)!r}: {unknown} not in {list(CONSTRUCTIONS)}")
    shape: tuple[Any, ...] = () if model.scalar else ((model.input_dim, model.hidden_bias, model.output_bias),)
    tasks = [(act.text, int(N), m, int(seed) * 1000 + k, keys, int(samples)) + shape
             for m in range(1, int(N) + 1) for k in range(int(trials))]
    t0 = time.perf_counter()

    def report(done: int) -> None:
        if progress is not None:
            progress(done, len(tasks))

    if scheduler is not None:
        try:
            from dask.distributed import Client, as_completed
        except ImportError:
            raise InvalidArgument(f"scheduler={scheduler!r} needs the optional dask extra "
                                  "(pip install 'basins[dask]')") from None
        with Client(scheduler) as client:
            futures = client.map(_attempt, tasks, pure=False)
            for k, _ in enumerate(as_completed(futures), 1):
                report(k)
            results = client.gather(futures)
        backend = f"dask ({scheduler})"
    elif workers == 1:
        results = []
        for t in tasks:
            results.append(_attempt(t))
            report(len(results))
        backend = "serial"
    else:
        pool = ProcessPoolExecutor(max_workers=int(workers), initializer=_worker_signals,
                                   mp_context=_process_context())
        results = []
        try:
            for r in pool.map(_attempt, tasks):
                results.append(r)
                report(len(results))
        except BaseException:               # Ctrl-C, SIGTERM, an error: stop the workers now, not after the queue
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        backend = f"processes ({workers})"
    return Sweep(act, int(N), int(trials), int(seed), keys, classify(act), tuple(results), backend,
                 time.perf_counter() - t0, model=model)
