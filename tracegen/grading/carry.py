"""Error carried forward by the careful-student model: what a careful student could write at each
blank from their own earlier answers, and the verdict of every blank.

The steps are `engine.hand.steps`, run in exact decimals for the whole class at once along a
leading student axis. At each step, from the student's own earlier answers (the key's exact
value where a cell was left empty or is not a number; a quantity a student never writes,
the loss of a single sample, carried as computed), a careful student writes:

- carrying what they wrote: the step computed from those numbers, rounded;
- keeping full precision: the step computed from their own unrounded values. Where nothing
  they used was wrong, those are the exact values; behind an answer that was wrong or
  carried they are known only to ± half a unit of its last printed digit, so the step gives
  an interval (`exact.Ival`), and any value it rounds to is one they can write.

Beside these, every value a careful student writes starting from the givens (the key and its
grader notes: `hand.paths`) is right whatever came before. An answer within its tolerance
(`policy`) of one of those is `correct`; of the student's own values, `correct` when nothing
it used was wrong or carried, else `carried`. Carried credit is refused where an answer it
builds on is degenerate (all zeros, a copied given, off by a factor of 100 or more, or built
on such an answer): a step made trivial earns nothing until a teacher looks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracegen.batching.folder import Batch, Cells
from tracegen.engine import exact, hand
from tracegen.engine.exact import Ival
from tracegen.engine.hand import Paths
from tracegen.engine.order import Key, Step
from tracegen.grading.policy import Policy
from tracegen.grading.typed import NUMBER_CELL

Array = np.ndarray
VERDICTS = ("correct", "carried", "wrong", "blank")
CORRECT, CARRIED, WRONG, BLANK = range(4)
SCALE = 100  # an answer this many times larger or smaller than the key's is degenerate


@dataclass(frozen=True, eq=False)
class Judged:
    """Per quantity (students first): `expected`, the step from what the student used; `used`, what
    the student's own computation took (floats, for naming mistakes). Per (student, blank): the
    verdict, the value carrying their rounded results from the start gives (`hand`), and why
    carried credit was refused ("" where it was not)."""

    expected: dict[Key, Array]
    used: dict[Key, Array]
    verdict: Array
    hand: Array
    refused: Array
    printed: Array  # the key as its document prints it: the exact value rounded half up ("2" when whole)


def _cells(values: Array, cells: Cells, rows: int) -> Array:
    """One quantity's values (rows first, its own shape) as its blanks' columns."""
    return values.reshape(rows, -1)[:, cells.flat]


def centres(batch: Batch, paths: Paths) -> list[Array]:
    """(variants, blanks) object arrays: the values before rounding of every careful path from the
    givens (full precision, the key's printed inputs, carrying half up, carrying half to even)."""
    rows = len(batch.variants)
    out = []
    for values in (paths.exact, paths.line, paths.up, paths.even):
        table = np.empty((rows, len(batch.blanks)), dtype=object)
        for key, cells in batch.cells.items():
            table[:, cells.columns] = _cells(values[key], cells, rows)
        out.append(table)
    return out


def judge(batch: Batch, rows: Array, answers: Array, kinds: Array, policy: Policy) -> Judged:
    """Verdicts for students of variants `rows` with `answers` (students, blanks; nan: none) of `kinds`."""
    with exact.precise():
        judging = _Judging(batch, rows, answers, kinds, policy)
        for step in judging.paths.steps:
            judging.step(step)
        d = batch.spec.decimals
        up = exact.floats_of(exact.rounded(judging.given[2], d)).astype(float)
        printed = _text(judging.full, d)
    return Judged(judging.expected, judging.used, judging.verdict, up, judging.refused, printed)


_text = np.frompyfunc(lambda value, d: str(int(value)) if value == value.to_integral_value()
                      else f"{value.quantize(exact.unit(d), exact.ROUNDINGS['up']) + 0:f}", 2, 1)


class _Judging:
    """The state of `judge` as it goes through the steps in order (all in exact decimals).

    Per quantity, with a leading student axis: `point`, what a student carrying their answers uses;
    `box`, what a full-precision student's own values may be (intervals); `erred`, whether a wrong or
    carried answer went into it; `tainted`, why a degenerate answer went into it ("" if none).
    """

    def __init__(self, batch: Batch, rows: Array, answers: Array, kinds: Array, policy: Policy) -> None:
        self.batch, self.policy, self.students = batch, policy, len(rows)
        self.paths = hand.paths(batch.spec, batch.givens)
        self.given = [table[rows] for table in centres(batch, self.paths)]
        self.full = self.given[0]
        self.answered = kinds == NUMBER_CELL
        self.written = exact.to_decimals(np.where(self.answered, answers, 0.0))
        self.mine = np.where(self.answered, self.written, self.full)  # an empty cell: the key's exact value
        self.in_key = np.zeros(answers.shape, dtype=bool)
        for centre in self.given:
            self.in_key |= _near(self.written, centre, policy)
        self.in_key &= self.answered
        self.half = exact.unit(batch.spec.decimals) / 2
        self.point = {key: Ival(exact.to_decimals(value[rows])) for key, value in batch.givens.items()}
        self.box = dict(self.point)
        self.verdict = np.where(kinds == 0, BLANK, WRONG).astype(np.int8)
        self.refused = np.full(answers.shape, "", dtype=object)
        self.erred: dict[Key, Array] = {}
        self.tainted: dict[Key, Array] = {}
        self.expected: dict[Key, Array] = {}
        self.used: dict[Key, Array] = {key: value[rows] for key, value in batch.givens.items()}

    def step(self, step: Step) -> None:
        upstream = np.zeros(self.students, dtype=bool)
        taint = np.full(self.students, "", dtype=object)
        for source in step.inputs:
            upstream |= self.erred.get(source, False)
            if source in self.tainted:
                taint = np.where(taint == "", self.tainted[source], taint)
        own, fp = self.paths.evaluate(step, self.point), self.paths.evaluate(step, self.box)
        self.expected[step.key] = exact.floats_of(own.lo).astype(float)
        cells = self.batch.cells.get(step.key)
        if cells is None:  # not written: carried as computed
            self.point[step.key], self.box[step.key] = own, fp
            self.erred[step.key], self.tainted[step.key] = upstream, taint
            self.used[step.key] = self.expected[step.key]
            return
        c, n = cells.columns, self.students
        answered = self.answered[:, c]
        follows = answered & (_near(self.written[:, c], _cells(own.lo, cells, n), self.policy, c)
                              | _inside(self.written[:, c], _cells(fp.lo, cells, n), _cells(fp.hi, cells, n),
                                        self.policy, c))
        ok = self.in_key[:, c] | (follows & ~upstream[:, None])
        carried = follows & ~ok & (taint == "")[:, None]
        verdict = np.where(answered, np.select([ok, carried], [CORRECT, CARRIED], WRONG), self.verdict[:, c])
        self.verdict[:, c] = verdict
        self.refused[:, c] = np.where(follows & ~ok & ~carried, taint[:, None], "")
        wrong = (verdict == WRONG) & answered
        self.erred[step.key] = upstream | ((verdict == CARRIED) | wrong).any(axis=1)
        why = self._degenerate(step.key, own.shape, cells)
        origin = (wrong & (self.refused[:, c] == "")).any(axis=1)  # a new error here, not one refused above
        self.tainted[step.key] = np.where(origin & (why != ""), why, np.where(self.erred[step.key], taint, ""))
        self._store(step.key, own.shape, cells)

    def _degenerate(self, key: Key, shape: tuple[int, ...], cells: Cells) -> Array:
        c = cells.columns
        same = {k: _cells(v.lo, cells, self.students) for k, v in self.point.items()
                if (k[0] == 0 or k[1] == "params") and v.shape[1:] == shape[1:]}  # givens of the same shape
        return degenerate(self.written[:, c], self.answered[:, c], exact.rounded(self.full[:, c],
                                                                                   self.batch.spec.decimals), same)

    def _store(self, key: Key, shape: tuple[int, ...], cells: Cells) -> None:
        """What the students go on with: their answers (carrying), and their own values behind them
        (keeping full precision): the exact value where nothing they used was wrong, else ± half a unit."""
        c, size = cells.columns, int(np.prod(shape[1:], dtype=int))
        value = np.empty((self.students, size), dtype=object)
        value[:, cells.flat] = self.mine[:, c]
        centre = np.empty_like(value)
        centre[:, cells.flat] = self.full[:, c]
        loose = np.zeros(value.shape, dtype=bool)
        loose[:, cells.flat] = self.answered[:, c] & self.erred[key][:, None]
        self.point[key] = Ival(value.reshape(shape))
        if loose.any():
            self.box[key] = Ival(np.where(loose, value - self.half, centre).reshape(shape),
                                 np.where(loose, value + self.half, centre).reshape(shape))
        else:  # nobody's own value is in doubt: a point, computed once
            self.box[key] = Ival(centre.reshape(shape))
        self.used[key] = exact.floats_of(value).astype(float).reshape(shape)


def _near(answers: Array, centres: Array, policy: Policy, columns: Array | None = None) -> Array:
    """Whether each answer lies within its blank's tolerance of a centre or its rounding (exactly)."""
    return _inside(answers, centres, centres, policy, columns)


def _inside(answers: Array, lo: Array, hi: Array, policy: Policy, columns: Array | None = None) -> Array:
    """Whether each answer lies in `span(lo, hi)` (exactly, in decimals)."""
    low, high = span(lo, hi, policy, columns)
    return np.asarray((low <= answers) & (answers <= high), dtype=bool)


def span(lo: Array, hi: Array, policy: Policy, columns: Array | None = None) -> tuple[Array, Array]:
    """What a blank accepts when a careful student's value lies in [lo, hi]: from the least of `lo` and
    its roundings (a student writes `display.decimals` places, or more) to the greatest of `hi` and its
    roundings, widened by the blank's tolerance."""
    if policy.coarse(columns).all():  # ± half the printed digit or more: the roundings are inside already
        return lo - policy.exact_halfwidths(lo, columns), hi + policy.exact_halfwidths(hi, columns)
    d = policy.decimals
    low = np.minimum(lo, np.minimum(exact.rounded(lo, d), exact.rounded(lo, d, "even")))
    high = np.maximum(hi, np.maximum(exact.rounded(hi, d), exact.rounded(hi, d, "even")))
    return low - policy.exact_halfwidths(low, columns), high + policy.exact_halfwidths(high, columns)


def degenerate(answers: Array, answered: Array, key: Array, givens: dict[Key, Array]) -> Array:
    """Per student, why their answers to one quantity would make the steps after it trivial ("" if not):
    all zeros where the key is not, a given copied, or a factor of SCALE or more from the key (larger:
    beyond SCALE times the key or 1, so a slip such as forgetting σ on a small ŷ is not one)."""
    out = np.full(len(answers), "", dtype=object)
    some = answered.any(axis=1)
    if not some.any():
        return out
    zero = exact.constant(0)
    magnitude = np.where(answered, np.abs(np.where(answered, answers, zero)), zero).max(axis=1)
    size = np.abs(key).max(axis=1)
    zeros = some & (magnitude == 0) & (size > 0)
    large = magnitude >= np.maximum(size, exact.constant(1)) * SCALE
    scale = some & (large | ((magnitude > 0) & (magnitude * SCALE <= size)))
    copy = np.zeros(len(answers), dtype=bool)
    for value in givens.values() if answers.shape[1] > 1 else ():  # one number may equal a given by chance
        same = np.where(answered, answers == value, True).all(axis=1)
        copy |= some & same & (key != value).any(axis=1)
    out[scale] = "from_scale"
    out[copy] = "from_copy"
    out[zeros] = "from_zeros"
    return out
