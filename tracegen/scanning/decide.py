"""Deciding one blank from its cells' log-probabilities: accept what is written, or flag it.

What is accepted is always the free reading (each cell's most likely class), never a value
steered toward: the candidates (what a careful student, this student's own earlier answers, or a
named mistake give) only lower the bar. The free reading is accepted when it beats every other
candidate value by a log-likelihood `MARGIN`, and

- it is one of the candidates cell for cell and every cell is read with at least `AGREE`; or
- it is a slip from a candidate: written the same in all but at most `SLIP` cells, each of those
  read with confidence `SURE` and every other cell with at least `AGREE`; or
- every cell is read with confidence `SURE`.

A cell that reads as a candidate has it is explained by what students write; a cell that differs
from every candidate is what makes the reading new, so it alone must be read surely. A wrong answer
that is no candidate is therefore read as written when its own digits are written clearly, and
flagged otherwise; it can never be turned into the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np

from tracegen.scanning.digits import CLASSES
from tracegen.scanning.positions import Blank

INDEX = {c: i for i, c in enumerate(CLASSES)}
# Chosen on scans and phone photographs of the half of scikit-learn's digits that the benchmark does not
# measure (`benchmarks/bench_scan.py --part 1 --grid`, and `--photo`), with the model trained on people's
# handwriting too: a cell confidently misread is the main source of wrong acceptances, so a cell no
# candidate explains must be read at 99.8 % (at 99 % or 99.5 %, 0.3-0.7 points more blanks accepted, but
# photographs, misread more often than scans, go over 0.2 % accepted and wrong); a cell a candidate
# explains needs only its most likely class at 30 % and the reading a margin of 10 to 1 over every other
# candidate (AGREE 0.5 or MARGIN 30: fewer accepted, none fewer wrong). A slip of one or two digits is
# what the benchmark's students make; SLIP 3 or more accepts 0.02 points more and 1 more wrong.
SURE = 0.998
AGREE = 0.3
MARGIN = float(np.log(10.0))
SLIP = 2
# An unanswered blank (every cell read empty) is no value any candidate steers toward; its bar guards
# against faint writing read as empty. Chosen on the same half of the digits as the others (0.99
# accepts no more there).
EMPTY = 0.999

Cells = tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """A blank's written cells: a sign cell or not, then `whole` integer digits and `decimals` digits."""

    sign: bool
    whole: int
    decimals: int

    @classmethod
    def of(cls, blank: Blank) -> Layout:
        kinds = [cell.kind for cell in blank.cells]
        point = kinds.index("point") if "point" in kinds else len(kinds)
        return cls("sign" in kinds, kinds[:point].count("digit"), kinds[point:].count("digit"))


@dataclass(frozen=True)
class Decision:
    """A blank's outcome: the text read (`""` for an empty blank; None when flagged), and the best
    readings with their probabilities, most likely first, for the person who reviews it."""

    text: str | None
    readings: tuple[tuple[str, float], ...]

    @property
    def accepted(self) -> bool:
        return self.text is not None


def text(cells: Cells, layout: Layout) -> str | None:
    """The number written in `cells` ("" when all are empty), or None when it is no number
    (a gap between digits, a minus in a digit cell, a sign alone)."""
    sign, rest = (cells[0], cells[1:]) if layout.sign else ("", cells)
    whole, decimals = rest[:layout.whole], rest[layout.whole:]
    if sign not in ("", "-") or "-" in rest:
        return None
    first = next((i for i, c in enumerate(whole) if c), len(whole))
    last = max((i + 1 for i, c in enumerate(decimals) if c), default=0)
    if "" in whole[first:] or "" in decimals[:last]:
        return None  # a gap between digits
    digits, shown = "".join(whole), "".join(decimals)
    if not digits and not shown:
        return None if sign else ""
    number = (digits or "0") + ("." + shown if shown else "")
    return sign + number


def cells(value: str, layout: Layout) -> list[Cells]:
    """The ways a careful hand writes the number `value` (already rounded to the blank's decimals)
    in the cells: the leading 0 of a number below 1 written or not; [] when it does not fit."""
    negative = value.startswith("-")
    whole, _, fraction = value.lstrip("-").partition(".")
    fraction = fraction.ljust(layout.decimals, "0")
    if len(whole) > layout.whole or len(fraction) > layout.decimals or (negative and not layout.sign):
        return []
    sign: Cells = (("-" if negative else ""),) if layout.sign else ()
    digits: Cells = tuple(fraction)
    out = [sign + ("",) * (layout.whole - len(whole)) + tuple(whole) + digits]
    if whole == "0" and layout.whole:
        out.append(sign + ("",) * layout.whole + digits)
    return out


def rounded(values: Iterable[object], decimals: int) -> set[str]:
    """The texts a value rounds to at `decimals` places, half up and half to even (no `-0`)."""
    out = set()
    unit = Decimal(1).scaleb(-decimals)
    for value in values:
        try:
            exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))  # type: ignore[arg-type]
        except (InvalidOperation, TypeError, ValueError):
            continue
        if not exact.is_finite():
            continue
        for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN):
            text = f"{exact.quantize(unit, rounding):f}"
            out.add(text[1:] if text.startswith("-") and Decimal(text) == 0 else text)
    return out


def decide(logp: np.ndarray, layout: Layout, candidates: set[str]) -> Decision:
    """Decide a blank from its cells' log-probabilities (cells, classes) among `candidates` (texts)."""
    best = logp.argmax(axis=1)
    free: Cells = tuple(CLASSES[i] for i in best)
    confidence = np.exp(logp[np.arange(len(best)), best])
    reading = text(free, layout)
    scores: dict[str, float] = {}
    ways: list[Cells] = []
    for value in candidates:
        for way in cells(value, layout):
            ways.append(way)
            score = float(sum(logp[i, INDEX[c]] for i, c in enumerate(way)))
            scores[value] = max(scores.get(value, -np.inf), score)
    if reading is not None:
        scores[_same(reading, scores)] = max(scores.get(_same(reading, scores), -np.inf),
                                             float(np.log(confidence).sum()))
    ranked = sorted(scores.items(), key=lambda item: -item[1])[:4]
    readings = tuple((value, float(np.exp(score))) for value, score in ranked)
    if reading is None:
        return Decision(None, readings)
    key = _same(reading, scores)
    others = [score for value, score in scores.items() if value != key]
    clear = not others or scores[key] - max(others) >= MARGIN
    return Decision(reading if clear and _sure(free, confidence, key, candidates, ways) else None, readings)


def _sure(free: Cells, confidence: np.ndarray, key: str, candidates: set[str], ways: list[Cells]) -> bool:
    """Whether each cell of the free reading `free` (the value `key`) is read surely enough for what
    explains it: an empty blank, a candidate, a slip from a candidate's `ways`, or nothing."""
    if key == "":
        return bool(confidence.min() >= EMPTY)
    if key in candidates:
        return bool(confidence.min() >= AGREE)
    for way in ways:
        new = np.array([c != f for c, f in zip(way, free, strict=True)])
        read = confidence[new].min(initial=1.0) >= SURE and confidence[~new].min(initial=1.0) >= AGREE
        if new.sum() <= SLIP and read:
            return True
    return bool(confidence.min() >= SURE)


def _same(reading: str, scores: dict[str, float]) -> str:
    """The candidate text that is the same number as `reading` (0.50 and 0.5), else `reading`."""
    if reading == "":
        return reading
    number = Decimal(reading)
    return next((value for value in scores if value and Decimal(value) == number), reading)
