"""Readable text for cases and verifications (the CLI prints these)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from basins.cli._common import safe
from basins.io.case import Case

__all__ = ["format_case", "format_verification", "fmt_vec"]


def fmt_vec(values: Iterable[float], digits: int = 8, limit: int = 8) -> str:
    vals = list(values)
    shown = ", ".join(f"{float(v):.{digits}g}" for v in vals[:limit])
    more = f", … ({len(vals)} in all)" if len(vals) > limit else ""
    return f"[{shown}{more}]"


def format_case(case: Case) -> str:
    d = case.details
    lines = [f"{safe(case.theorem)} — bad basin for {safe(case.activation.name)}:  σ(t) = "
             f"{safe(_short(case.activation.text))}",
             f"  data       N = {case.N}, x = {fmt_vec(case.x)}",
             f"  point      m = {case.m}, w = {fmt_vec(case.w)}, v = {fmt_vec(case.v)}"]
    chosen = d.get("chosen")
    if chosen and chosen.get("why") and chosen.get("why") != "chosen by the caller":
        lines.append(f"  chosen     {safe(chosen['theorem'])}: {safe(chosen['why'])}")
    if d.get("search"):
        s = d["search"]
        lines.append(f"  search     w from {safe(s.get('candidates'))} seeded candidates (seed {safe(s.get('seed'))}), "
                     f"best score {float(s.get('score', 0)):.3g}")
    conds: Mapping[str, Any] = d.get("conditions") or {}
    if conds:
        lines.append("  conditions")
        for name, c in conds.items():
            mark = "holds" if c.get("holds") else "FAILS"
            margin = c.get("margin")
            ms = f"margin {float(margin):.4g}" if isinstance(margin, (int, float)) else ""
            lines.append(f"    {safe(name):<12} {mark:<6} {ms:<18} {safe(c.get('what', ''))}")
    prec = d.get("precision") or {}
    if isinstance(prec, Mapping) and isinstance(prec.get("digits"), int):
        data = "; y stored exactly (y_exact, " + f"{case.data_bits} bits)" if case.y_exact is not None else ""
        lines.append(f"  precision  {prec['digits']} digits (smallest margin below float64's reach){data}")
    if "a" in d:
        lines.append(f"  a          {fmt_vec(d['a'], 6)}   ({safe(d.get('a rule', ''))})")
    if "M" in d:
        near = " (nearest floats)" if case.y_exact is not None else ""
        lines.append(f"  y = ŷ − M a, M = {float(d['M']):g}:  y{near} = {fmt_vec(case.y)}")
    else:
        lines.append(f"  y          {fmt_vec(case.y)}")
    lines.append(f"  loss       E = {case.loss:.10g}")
    if case.witness is not None:
        wl = case.witness
        lines.append(f"  witness    w̃ = {fmt_vec(wl.w, 6)}, ṽ = {fmt_vec(wl.v, 6)}, E = {wl.loss:.10g} "
                     f"(lower by {case.loss - wl.loss:.6g})")
    wi = d.get("witness") or {}
    if "M_threshold" in wi:
        lines.append(f"             sub-optimal for every M > M_threshold = {float(wi['M_threshold']):.6g} "
                     f"(w_0 = {float(wi['w0']):.6g})")
    return "\n".join(lines)


def format_verification(ver: Mapping[str, Any]) -> str:
    lines = [f"verification: {safe(ver['status'])}  ({safe(ver.get('guarantee', ''))})"]
    for c in ver["checks"]:
        lines.append(f"  {'✓' if c['passed'] else '✗'} {safe(c['name']):<15} {safe(c['detail'])}")
    samp = ver.get("figures", {}).get("sampling") or []
    if samp:
        lines.append("  radius      min ΔE/|δ|²    all ΔE > 0")
        for p in samp:
            lines.append(f"  {p['radius']:<10.0e}  {p['min dE/r^2']:<13.6g}  {p['all positive']}")
    return "\n".join(lines)


def _short(text: str, n: int = 100) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."
