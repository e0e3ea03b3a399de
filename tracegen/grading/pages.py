"""What the feedback pages and the class summary print, every field ready to print.

Numbers are formatted and the summary's chart is laid out here, so the templates do no
arithmetic. Text stays raw: the templates escape it for their format.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np

from tracegen.batching.folder import Batch
from tracegen.grading.marking import BLANK, CARRIED, CORRECT, VERDICTS, WRONG, Marking
from tracegen.grading.mistakes import MISTAKES
from tracegen.grading.tables import Who
from tracegen.maths.notation import symbol
from tracegen.maths.scripts import SUBSCRIPT, SUPERSCRIPT
from tracegen.maths.tree import Accent, Fence, Frac, Ident, Node, Num, Row, Script
from tracegen.numbers import MINUS, format_number
from tracegen.spec.model import Tolerance

CHART_WIDTH, LABEL_WIDTH, BAR_WIDTH, ROW_HEIGHT, TOP = 640, 130, 420, 18, 8


class Line(NamedTuple):
    """One blank on a feedback page (a tuple: templates unpack it, 48,000 lines for a class of 500)."""

    label: str
    blank: str
    answer: str
    key: str  # the key, and what carrying one's own rounded results gives when that prints differently
    expected: str  # recomputed from the student's own answers; "" where correct or it prints as the key
    verdict: str
    marks: str
    note: str


@dataclass(frozen=True)
class Part:
    """One epoch of a feedback page."""

    title: str
    score: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Feedback:
    """One student's page."""

    title: str
    student: str  # "" in a batch without a roster, unless a platform's report names them
    variant: str
    stem: str  # of its files: the variant, numbered where a platform gave two students one variant
    score: str
    max: str
    counts: tuple[tuple[str, int], ...]
    rules: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Bar:
    """One row of the summary's chart: a quantity of an epoch, its answers stacked by verdict."""

    label: str
    y: float
    text_y: float  # baseline of its label and rate
    segments: tuple[tuple[float, float, str], ...]  # x, width, verdict
    rate: str  # share of answers that earned marks


@dataclass(frozen=True)
class ScoreChart:
    """The summary's chart, laid out in SVG user units: a label column, then the bars."""

    width: int
    height: int
    label_x: int  # where the labels end
    rate_x: int  # where the rates end
    bar_height: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class ClassSummary:
    """The class summary page."""

    title: str
    rules: str
    students: int
    scores: tuple[tuple[str, str], ...]  # (what, value): mean, median, lowest, highest
    max: str
    chart: ScoreChart
    mistakes: tuple[tuple[str, str, int, int, str], ...]  # title, message, answers, students, where
    blanks: tuple[tuple[str, str, str, str, str, str, str], ...]  # blank, label, % per verdict, commonest mistake
    roster: tuple[tuple[str, str, str, str], ...]  # student, variant, score ("absent"), feedback file stem ("")
    absent: int = 0  # roster students without responses




def plain(node: Node) -> str:
    """A symbol's tree (tracegen.maths.notation) as one line of Unicode text, for the tables
    of the grading pages, which have no maths: ∂L/∂W⁽²⁾, ŷ, δ⁽¹⁾."""
    if isinstance(node, Ident | Num):
        return node.text
    if isinstance(node, Row):
        return "".join(plain(item) for item in node.items)
    if isinstance(node, Fence):
        return node.open + plain(node.body) + node.close
    if isinstance(node, Frac):
        return f"{plain(node.num)}/{plain(node.den)}"
    if isinstance(node, Accent):
        return unicodedata.normalize("NFC", plain(node.base) + "\u0302")
    if isinstance(node, Script) and node.sub is None and node.sup is not None:
        return plain(node.base) + plain(node.sup).translate(SUPERSCRIPT)
    raise TypeError(f"no plain text for {node!r}")


@cache
def text_symbol(name: str) -> str:
    """A quantity's symbol as plain text: `dW2` -> `∂L/∂W⁽²⁾`."""
    return plain(symbol(name))


def _n(value: float) -> str:
    """A score or mark: whole numbers bare, others as they are."""
    return format_number(float(value), None, MINUS)


def labels(batch: Batch) -> list[str]:
    """Each blank as a reader names it: `W⁽¹⁾₁,₂ updated`, `z⁽¹⁾₂ (sample 3)`."""
    many = batch.spec.n_samples > 1
    out = []
    for name, phase, sample, row, col in batch.blanks[["name", "phase", "sample", "row", "col"]].itertuples(
            index=False, name=None):
        if name.startswith(("W", "dW")):
            cell = f"{row + 1}".translate(SUBSCRIPT) + "," + f"{col + 1}".translate(SUBSCRIPT)
        else:
            cell = "" if name in ("L", "sample_loss") else f"{row + 1}".translate(SUBSCRIPT)
        label = text_symbol(name) + cell + (" updated" if phase == "update" else "")
        out.append(label + (f" (sample {sample + 1})" if many and sample >= 0 else ""))
    return out


def describe(tolerance: Tolerance, decimals: int) -> str:
    """A tolerance in words: `3 decimals (± 0.0005)`, `± 0.01`, `± 1 %`, `3 significant figures`."""
    amount = tolerance.amount
    if tolerance.mode == "decimals":
        places = decimals if amount is None else int(amount)
        return f"{places} decimals (± {format_number(0.5 * 10.0 ** -places, None)})"
    if tolerance.mode == "abs":
        return f"± {format_number(amount or 0.0, None)}"
    if tolerance.mode == "rel":
        return f"± {format_number((amount or 0.0) * 100, None)} %"
    return f"{int(amount or 0)} significant figures"


def rules(batch: Batch) -> str:
    """How the answers were checked, in one paragraph."""
    grading = batch.spec.grading
    own = " (some quantities have their own tolerance)" if grading.quantities else ""
    return (f"Each answer is checked to {describe(grading.tolerance, batch.spec.decimals)}{own} against every "
            f"value a careful student writes there: rounding half up (or half to even at a tie), carrying the "
            f"rounded values they wrote or keeping full precision. An answer that is wrong against the key but "
            f"right given your own earlier answers is carried (error carried forward) and earns "
            f"{_n(grading.carried * 100)} % of its marks, unless it builds on an answer of zeros, a copied given "
            f"or one 100 times off.")


def feedback(batch: Batch, marking: Marking, people: Who) -> list[Feedback]:
    """One page per graded student, in gradebook order."""
    names, blanks = labels(batch), batch.blanks["blank"].tolist()
    epochs = batch.blanks["epoch"].to_numpy()
    sections = {e: epochs == e for e in dict.fromkeys(epochs.tolist())}
    marks = [_n(m) for m in marking.policy.marks]
    key, expected = _shown(batch, marking)
    text, total = rules(batch), _n(marking.policy.marks.sum())
    earned = {v: _n(v) for v in np.unique(marking.earned).tolist()}
    pages = []
    for s, (row, verdicts, got, notes) in enumerate(zip(marking.rows, marking.verdict.tolist(), marking.earned.tolist(),
                                                         marking.notes.tolist(), strict=True)):
        lines = [Line(names[j], blanks[j], marking.texts[s][j], key[s][j], expected[s].get(j, ""), VERDICTS[v],
                      f"{earned[got[j]]}/{marks[j]}", notes[j]) for j, v in enumerate(verdicts)]
        parts = tuple(Part(f"Epoch {e}", _out_of(marking.earned[s, mask].sum(), marking.policy.marks[mask].sum()),
                           tuple(line for line, keep in zip(lines, mask, strict=True) if keep))
                      for e, mask in sections.items())
        counts = tuple((VERDICTS[code], int((marking.verdict[s] == code).sum())) for code in range(len(VERDICTS)))
        pages.append(Feedback(batch.spec.title, people.labels[s], batch.variants[row], people.stems[s],
                              _n(marking.earned[s].sum()), total, counts, text, parts))
    return pages


def _shown(batch: Batch, marking: Marking) -> tuple[list[list[str]], list[dict[int, str]]]:
    """Per student and blank: the key as printed (with what carrying one's rounded results gives,
    where that prints differently), and, for answers not correct, what the student's own
    answers give where that prints differently from both. Only those cells are formatted."""
    d = batch.spec.decimals

    def printed(values: np.ndarray) -> list[list[str]]:
        return [[format_number(v, d, MINUS) for v in row] for row in values.tolist()]

    def apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.round(a, d) != np.round(b, d)

    key = [[text.replace("-", MINUS) for text in row] for row in marking.printed.tolist()]  # as the key prints it
    for s, j in zip(*np.nonzero(apart(marking.hand, marking.key)), strict=True):
        rounded = format_number(float(marking.hand[s, j]), d, MINUS)
        if rounded != key[s][j]:
            key[s][j] += f" or {rounded}"
    expected: list[dict[int, str]] = [{} for _ in key]
    own = (marking.verdict != CORRECT) & apart(marking.expected, marking.key) & apart(marking.expected, marking.hand)
    for s, j in zip(*np.nonzero(own), strict=True):
        text = format_number(float(marking.expected[s, j]), d, MINUS)
        if text not in key[s][j].split(" or "):
            expected[s][j] = text
    return key, expected


def _out_of(score: float, most: float) -> str:
    return f"{_n(score)} / {_n(most)}"


def summary(batch: Batch, marking: Marking, people: Who) -> ClassSummary:
    """The class summary: scores, the chart per quantity, common mistakes, per-blank rates, the
    students (in a roster batch the absent ones too, in roster order)."""
    scores = marking.earned.sum(axis=1)
    stats = (("mean", float(scores.mean())), ("median", float(np.median(scores))),
             ("lowest", float(scores.min())), ("highest", float(scores.max())))
    graded = [(label, batch.variants[r], _n(score), stem)
              for label, r, score, stem in zip(people.labels, marking.rows, scores, people.stems, strict=True)]
    roster = tuple(graded)
    if batch.students is not None and people.absent:
        absent = [(batch.students[a].label, batch.variants[a], "absent", "") for a in people.absent]
        rank = {student.label: i for i, student in enumerate(batch.students)}
        roster = tuple(sorted(graded + absent, key=lambda entry: rank[entry[0]]))
    rounded = tuple((what, _n(round(v, 2))) for what, v in stats)
    return ClassSummary(batch.spec.title, rules(batch), len(scores), rounded, _n(marking.policy.marks.sum()),
                        chart(batch, marking), common_mistakes(batch, marking), per_blank(batch, marking), roster,
                        len(people.absent))


def _percent(count: int, total: int) -> str:
    return f"{round(100 * count / total)} %" if total else "–"


def per_blank(batch: Batch, marking: Marking) -> tuple[tuple[str, str, str, str, str, str, str], ...]:
    """Each blank: its id and label, the share of students per verdict, and its commonest mistake."""
    students = len(marking.rows)
    counts = np.stack([(marking.verdict == code).sum(axis=0) for code in (CORRECT, CARRIED, WRONG, BLANK)])
    out = []
    for j, (blank, label) in enumerate(zip(batch.blanks["blank"], labels(batch), strict=True)):
        named = Counter(m for m in marking.mistake[:, j] if m).most_common(1)
        commonest = f"{MISTAKES[named[0][0]][0]} ({named[0][1]})" if named else ""
        out.append((blank, label, *(_percent(int(c), students) for c in counts[:, j]), commonest))
    return tuple(out)


def common_mistakes(batch: Batch, marking: Marking) -> tuple[tuple[str, str, int, int, str], ...]:
    """Each named mistake made: title, message, answers, students, and the blanks it was most made in."""
    out = []
    blanks = batch.blanks["blank"].to_numpy()
    for name, (title, message) in MISTAKES.items():
        hit = marking.mistake == name
        if not hit.any():
            continue
        per_blank = hit.sum(axis=0)
        top = np.argsort(-per_blank, kind="stable")[:3]
        where = ", ".join(f"{blanks[j]} ({per_blank[j]})" for j in top if per_blank[j])
        out.append((title, message, int(hit.sum()), int(hit.any(axis=1).sum()), where))
    return tuple(sorted(out, key=lambda row: -row[2]))


def chart(batch: Batch, marking: Marking) -> ScoreChart:
    """One stacked bar per quantity and epoch: the share of its answers per verdict."""
    groups = batch.blanks.groupby(["epoch", "name"], sort=False).indices
    bars = []
    for i, ((epoch, name), columns) in enumerate(groups.items()):
        verdicts = marking.verdict[:, columns]
        x, segments = float(LABEL_WIDTH), []
        for code in (CORRECT, CARRIED, WRONG, BLANK):
            width = BAR_WIDTH * float((verdicts == code).mean())
            if width > 0:
                segments.append((round(x, 2), round(width, 2), VERDICTS[code]))
            x += width
        earned = float(np.isin(verdicts, (CORRECT, CARRIED)).mean())
        updated = " updated" if batch.blanks["phase"].iat[columns[0]] == "update" else ""
        label = f"epoch {epoch}: {text_symbol(name)}{updated}"
        y = TOP + i * ROW_HEIGHT
        bars.append(Bar(label, y, y + ROW_HEIGHT - 8, tuple(segments), f"{round(100 * earned)} %"))
    return ScoreChart(CHART_WIDTH, TOP * 2 + len(bars) * ROW_HEIGHT, LABEL_WIDTH - 6, CHART_WIDTH - 4, ROW_HEIGHT - 6,
                 tuple(bars))
