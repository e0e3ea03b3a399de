"""A batch folder read for an export: each variant's worksheet and what each of its blanks accepts.

The accepted values come from `tracegen.grading.accepted`, the rules `tracegen grade` marks
by, so a platform marks a blank as the grader would (short of error carried forward, which
needs the whole response: `tracegen grade` does that with the platform's responses). The
question text is each variant's worksheet document, as `tracegen batch` renders it.
Nothing about a student is read: an export never names one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracegen.batching.folder import Batch, read
from tracegen.document import Document
from tracegen.document.blanks import worksheet
from tracegen.grading import accepted
from tracegen.grading.pages import labels
from tracegen.grading.policy import reach


@dataclass(frozen=True)
class Answer:
    """What one blank accepts: `key` ± `reach`, and the value carrying the printed rounded numbers gives,
    `hand` ± `hand_reach` (each reach is the grading tolerance with the grader's float room); its marks."""

    blank: str
    label: str  # as a reader names it: z⁽¹⁾₂, ∂L/∂W⁽¹⁾₁,₂ (sample 2)
    key: float
    reach: float
    hand: float
    hand_reach: float
    marks: float

    @property
    def centres(self) -> tuple[tuple[float, float], ...]:
        """(centre, reach) of each accepted interval: the key's, and the hand value's where it adds to it."""
        if abs(self.hand - self.key) + self.hand_reach <= self.reach:
            return ((self.key, self.reach),)
        return ((self.key, self.reach), (self.hand, self.hand_reach))


@dataclass(frozen=True)
class Variant:
    id: str
    doc: Document  # its worksheet
    answers: dict[str, Answer]  # by blank id


@dataclass(frozen=True)
class Quiz:
    """A batch as an export sees it: the title, the decimals asked for, the variants in batch order."""

    title: str
    decimals: int
    variants: tuple[Variant, ...]

    @property
    def first(self) -> str:
        return self.variants[0].id

    @property
    def last(self) -> str:
        return self.variants[-1].id


def load(batch_dir: str | Path) -> Quiz:
    """Read and check a batch folder (InputError naming the file if it is not one)."""
    batch = read(batch_dir)
    return quiz(batch)


def quiz(batch: Batch) -> Quiz:
    table = accepted(batch)
    count = len(batch.blanks)
    names = labels(batch)
    centres = table[["key", "hand"]].to_numpy()
    halves = table[["tolerance", "hand_tolerance"]].to_numpy()
    reaches = reach(centres, halves)
    variants = []
    for v, (variant, spec) in enumerate(zip(batch.variants, batch.specs, strict=True)):
        answers = {}
        for b in range(count):
            i = v * count + b
            blank = str(table["blank"].iat[i])
            answers[blank] = Answer(blank, names[b], float(centres[i, 0]), float(reaches[i, 0]),
                                    float(centres[i, 1]), float(reaches[i, 1]), float(table["marks"].iat[i]))
        variants.append(Variant(variant, worksheet(spec), answers))
    return Quiz(batch.spec.title, batch.spec.decimals, tuple(variants))
