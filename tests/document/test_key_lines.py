"""Every worked line of a key checks with a calculator from the numbers printed on it.

The Markdown key is read as a reader reads it: on each update line `W ← … = A − η B = C`, each affine
line `z = … = W h + b = C` and each loss line `−log(p) ≈ C`, the printed operands give the printed
result to its last digit (exact decimals, half up; a tie may go either way)."""

from __future__ import annotations

import dataclasses
import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest

import tracegen

MATRIX = r"\\left\[\\begin\{array\}\{r+\}(.*?)\\end\{array\}\\right\]"
NUMBER = r"-?\d+(?:\.\d+)?"
TERM = rf"(?:{MATRIX}|\(?({NUMBER})\)?)"


def _values(match: re.Match[str], group: int) -> list[list[Decimal]]:
    """A matrix (rows of numbers) or a single number from a TERM match at `group`."""
    if match.group(group) is not None:
        body = re.sub(r"\{\\color\{teal\}(.*?)\}", r"\1", match.group(group))
        return [[Decimal(cell.strip().strip("{}")) for cell in line.split("&")] for line in body.split(r"\\")]
    return [[Decimal(match.group(group + 1))]]


def _checks(result: list[list[Decimal]], exact: list[list[Decimal]]) -> bool:
    for got, value in zip((v for r in result for v in r), (v for r in exact for v in r), strict=True):
        places = Decimal(1).scaleb(got.as_tuple().exponent)  # type: ignore[arg-type]
        if got not in (value.quantize(places, ROUND_HALF_UP), value.quantize(places, ROUND_HALF_EVEN)):
            return False
    return True


def _lines(markdown: str) -> list[str]:
    text = re.sub(r"\\\\ & ", " ", markdown)  # a long line broken in two
    return [line.replace(r"\color{teal}", "") for line in text.splitlines()]


def _any_branches(spec: tracegen.Spec) -> tracegen.Spec:
    """The spec with the fairness gates off: these variants test key lines, not fair draws (the softmax
    net's own branches are rare among its draws)."""
    gates = {"same_branches": False, "no_zero_gradients": False, "loss_band": None, "no_ties": False}
    return dataclasses.replace(spec, constraints=dataclasses.replace(spec.constraints, **gates))


def keys() -> list[tuple[str, str]]:
    """The Class 3 example, two test networks (tanh, softmax) and variants of each."""
    here = Path(__file__).resolve().parent.parent / "specs"
    specs = [tracegen.load_example(), tracegen.load_spec(here / "tanh.yaml"), tracegen.load_spec(here / "softmax.yaml")]
    drawn = [v for spec in specs for v in tracegen.variants(_any_branches(spec), 2, seed=19)]
    return [(f"{spec.title} {i}", tracegen.key(tracegen.trace(spec)).markdown())
            for i, spec in enumerate([*specs, *drawn])]


@pytest.mark.parametrize(("title", "markdown"), keys())
def test_worked_lines_check_from_their_printed_numbers(title: str, markdown: str) -> None:
    update = re.compile(rf"\\leftarrow .*? = {TERM} - ({NUMBER}){TERM} = {TERM}\s*(?:\\end|$)")
    affine = re.compile(rf"^z\^\{{\(\d\)\}} = .*? = {TERM}{TERM} \+ {TERM} = {TERM}\s*$")
    log = re.compile(rf"= -\\log\(({NUMBER})\) \\approx ({NUMBER})")
    seen = {"update": 0, "affine": 0, "log": 0}
    with localcontext() as context:
        context.prec = 50
        for line in _lines(markdown):
            if match := update.search(line):
                old, rate, step, new = _values(match, 1), Decimal(match.group(3)), _values(match, 4), _values(match, 6)
                step = step * len(old) if len(step) == 1 and len(old) > 1 else step
                exact = [[o - rate * s for o, s in zip(a, b, strict=True)] for a, b in zip(old, step, strict=True)]
                assert _checks(new, exact), line
                seen["update"] += 1
            elif match := affine.search(line):
                W, h, b, z = (_values(match, g) for g in (1, 3, 5, 7))
                exact = [[sum((W[j][c] * h[c][s] for c in range(len(h))), Decimal(0)) + b[j][0]
                          for s in range(len(h[0]))] for j in range(len(W))]
                assert _checks(z, exact), line
                seen["affine"] += 1
            for match in log.finditer(line):
                assert _checks([[Decimal(match.group(2))]], [[-Decimal(match.group(1)).ln()]]), line
                seen["log"] += 1
    assert seen["update"] and seen["affine"], seen
