"""Exact binary numbers beyond float64: data stored at the precision a construction needs (SPEC §12).

A dyadic rational n·2^e is written ``"<sign>0x<hex digits of n>p<e>"`` (the integer
mantissa in hexadecimal, the exponent in decimal), e.g. ``"-0x1bp-4"`` = −27/16.
Every float64 and every mpmath ``mpf`` is such a number, so a value computed at 300
bits is stored without rounding and read back exactly; python-flint balls and
mpmath numbers are made from it exactly (or, below its precision, as balls that
contain it).

Examples
--------
>>> to_dyadic(0.375), from_dyadic("0x3p-3")
('0x3p-3', Fraction(3, 8))
>>> import mpmath
>>> with mpmath.workprec(200):
...     third = -mpmath.mpf(1) / 3
>>> s = to_dyadic(third)
>>> float(from_dyadic(s)) == -1 / 3, len(s) > 50
(True, True)
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

__all__ = ["to_dyadic", "from_dyadic", "dyadic_mpf", "dyadic_arb", "dyadic_bits"]

_PATTERN = re.compile(r"^(-?)0x([0-9a-f]+)p(-?[0-9]+)$")


def _man_exp(value: Any) -> tuple[int, int]:
    import mpmath

    if isinstance(value, float):
        n, d = value.as_integer_ratio()
        return n, -(d.bit_length() - 1)
    if isinstance(value, mpmath.mpf):
        sign, man, exp, _ = value._mpf_          # man_exp drops the sign
        if not value.ae(value) or (man == 0 and exp != 0):
            raise ValueError(f"{value!r} is not finite")
        return (-int(man) if sign else int(man)), int(exp)
    if isinstance(value, Fraction) and value.denominator & (value.denominator - 1) == 0:
        return value.numerator, -(value.denominator.bit_length() - 1)
    raise ValueError(f"{value!r} is not a float, an mpf or a dyadic Fraction")


def to_dyadic(value: Any) -> str:
    """The exact text of a float, an mpmath mpf or a dyadic Fraction (mantissa normalised odd)."""
    man, exp = _man_exp(value)
    if man == 0:
        return "0x0p0"
    while man % 2 == 0:
        man //= 2
        exp += 1
    return f"{'-' if man < 0 else ''}0x{abs(man):x}p{exp}"


def _parse(text: Any) -> tuple[int, int]:
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if match is None or len(text) > 4096:
        raise ValueError(f"{str(text)[:40]!r} is not a dyadic number '[-]0x<hex>p<exponent>'")
    sign, digits, exp = match.groups()
    if abs(int(exp)) > 100_000:
        raise ValueError(f"{text[:40]!r}: the exponent {exp} is out of range")
    man = int(digits, 16)
    return (-man if sign else man), int(exp)


def from_dyadic(text: str) -> Fraction:
    """The exact rational value of a dyadic text; ValueError for anything else."""
    man, exp = _parse(text)
    return Fraction(man) * Fraction(2) ** exp


def dyadic_bits(text: str) -> int:
    """The number of significant bits of the mantissa."""
    return max(1, abs(_parse(text)[0]).bit_length())


def dyadic_mpf(text: str) -> Any:
    """The value as an mpmath mpf, exactly (whatever the current working precision)."""
    import mpmath

    man, exp = _parse(text)
    with mpmath.workprec(max(53, abs(man).bit_length() + 8)):
        return mpmath.mpf((man, exp))


def dyadic_arb(text: str) -> Any:
    """The value as a python-flint ball: exact when the working precision holds the mantissa, else a ball
    containing it."""
    import flint

    man, exp = _parse(text)
    return flint.arb(flint.fmpz(man)) * flint.arb(2) ** exp
