"""Numbers a page can print right to its last digit: the bound on a trace's values for documents.

float64 holds 15 significant decimal digits. A document prints computed values with
`display.decimals` places, so at 3 decimals a value of 1e13 prints 17 digits whose last ones
are noise, and W = 1e300 prints 301 digits (scaled to a hairline); the careful student's
rounded replay of such values overflows to inf. Every document (render, batch, tracegen.key
and .worksheet) therefore refuses a trace holding a number of MAX_DIGITS + 1 or more printed
digits, |value| >= 10^(MAX_DIGITS - decimals), naming the quantity, its epoch and the spec key
to change. A softmax key also prints e^z, so a softmax layer's z must keep e^z under the bound.
The trace itself, a table of float64, has no such bound.
"""

from __future__ import annotations

import math

import numpy as np

from tracegen.engine.trace import Trace, culprit
from tracegen.errors import SpecError
from tracegen.spec.model import Spec

MAX_DIGITS = 15  # significant decimal digits float64 always holds (DBL_DIG)


def bound(decimals: int) -> float:
    """The smallest magnitude a document will not print at `decimals` places."""
    return 10.0 ** (MAX_DIGITS - decimals)


def too_large(spec: Spec, name: str, values: np.ndarray) -> np.ndarray:
    """Per value of quantity `name`, whether a document of `spec` cannot print it (or, for a softmax
    output's z, its e^z)."""
    limit = bound(spec.decimals)
    with np.errstate(invalid="ignore"):
        big = np.abs(values) >= limit
        if spec.layers[-1].activation.name == "softmax" and name == f"z{len(spec.layers)}":
            big |= values >= math.log(limit)
    return big


def problem(trace: Trace) -> tuple[str, str] | None:
    """(spec key, one line) when some number of `trace` is too large to print, else None."""
    spec, columns = trace.spec, trace.columns
    assert spec is not None, "a document's trace has its spec"
    names = np.array([label[1] for label in columns.labels], dtype=object)[columns.quantity]
    big = np.zeros(len(columns.value), dtype=bool)
    for name in set(names[np.abs(columns.value) >= math.log(bound(spec.decimals))]):  # few candidates
        rows = names == name
        big[rows] = too_large(spec, name, columns.value[rows])
    if not big.any():
        return None
    first = int(np.argmax(big))
    phase, name, _ = columns.labels[columns.quantity[first]]
    epoch, value = int(columns.epoch[first]), float(columns.value[first])
    key, _ = culprit(spec, "", name, epoch, phase)
    shown = f"{name} = {value:.4g}" if abs(value) >= bound(spec.decimals) else f"e^{name} = e^{value:.4g}"
    return key, (f"{shown} in epoch {epoch} is too large to print: a page shows at most {MAX_DIGITS} significant "
                 f"digits (what float64 holds), so at display.decimals {spec.decimals} every number must stay under "
                 f"1e{MAX_DIGITS - spec.decimals}; use smaller values or fewer decimals")


def check(trace: Trace) -> None:
    """SpecError when `trace` holds a number too large to print (module docstring)."""
    found = problem(trace)
    if found:
        raise SpecError(*found, trace.spec.source if trace.spec else None)
