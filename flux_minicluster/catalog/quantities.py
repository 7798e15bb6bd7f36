"""Kubernetes quantities (``500m``, ``16Gi``, ``1e3``) as exact numbers.

Source: k8s.io/apimachinery/pkg/api/resource, the Quantity serialization
format: a decimal number followed by a binary SI suffix (Ki .. Ei), a decimal
SI suffix (n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2).
"""

from __future__ import annotations

import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<suffix>[KMGTPE]i|[eE][+-]?[0-9]+|[numkMGTPE]?)$"
)

GIB = 2**30
MIB = 2**20


def quantity_value(value: str | int | float) -> Fraction:
    """The exact value of a quantity: cores for CPU, bytes for memory.

    Raises ``ValueError`` for text that is not a quantity.
    """
    match = _QUANTITY.match(str(value).strip())
    if isinstance(value, bool) or not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    number, suffix = Fraction(match["number"]), match["suffix"]
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if len(suffix) > 1 and suffix[0] in ("e", "E"):
        return number * Fraction(10) ** int(suffix[1:])
    return number * _DECIMAL[suffix]
