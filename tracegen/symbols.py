"""Quantity name -> LaTeX symbol: the single source of notation (the slides' own)."""

from __future__ import annotations

import re

_LAYERED = {
    "W": "W^{{({})}}",
    "b": "b^{{({})}}",
    "z": "z^{{({})}}",
    "h": "h^{{({})}}",
    "delta": "\\delta^{{({})}}",
    "dW": "\\frac{{\\partial L}}{{\\partial W^{{({})}}}}",
    "db": "\\frac{{\\partial L}}{{\\partial b^{{({})}}}}",
}
_PLAIN = {"x": "x", "y": "y", "y_hat": "\\hat{y}", "L": "L", "sample_loss": "\\ell"}
_NAME = re.compile(r"^(W|b|z|h|delta|dW|db)([1-9][0-9]*)$")


def symbol(name: str) -> str:
    """LaTeX for a trace quantity name: `z1` -> `z^{(1)}`, `dW2` -> `\\frac{\\partial L}{\\partial W^{(2)}}`."""
    if name in _PLAIN:
        return _PLAIN[name]
    match = _NAME.match(name)
    if not match:
        raise KeyError(f"unknown quantity name {name!r}")
    return _LAYERED[match.group(1)].format(match.group(2))


def split(name: str) -> tuple[str, int | None]:
    """`dW2` -> ("dW", 2); `y_hat` -> ("y_hat", None)."""
    match = _NAME.match(name)
    return (match.group(1), int(match.group(2))) if match else (name, None)
