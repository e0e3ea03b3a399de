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

import numpy as np

from tracegen.batching.folder import Batch, read_batch
from tracegen.document import DocumentModel
from tracegen.document.blanks import worksheet
from tracegen.grading import accepted
from tracegen.grading.pages import labels
from tracegen.grading.policy import reach


@dataclass(frozen=True)
class Answer:
    """What one blank accepts when nothing before it was wrong: `key` ± `reach`, then each interval of
    values a careful student writes as (centre, reach) where it adds to the key's (each reach with the
    grader's float room, `policy.reach`); its marks. A platform's "right answer" is the key."""

    blank: str
    label: str  # as a reader names it: z⁽¹⁾₂, ∂L/∂W⁽¹⁾₁,₂ (sample 2)
    key: float
    reach: float
    spans: tuple[tuple[float, float], ...]
    marks: float

    @property
    def centres(self) -> tuple[tuple[float, float], ...]:
        """(centre, reach) of each accepted interval, the key's first."""
        slack = 1e-9 * self.reach  # the float room of two reaches of one interval may differ in the last bit
        low, high = self.key - self.reach - slack, self.key + self.reach + slack
        return ((self.key, self.reach), *((c, r) for c, r in self.spans if not low <= c - r <= c + r <= high))


@dataclass(frozen=True)
class QuizVariant:
    id: str
    doc: DocumentModel  # its worksheet
    answers: dict[str, Answer]  # by blank id


@dataclass(frozen=True)
class Quiz:
    """A batch as an export sees it: the title, the decimals asked for, the variants in batch order."""

    title: str
    decimals: int
    variants: tuple[QuizVariant, ...]

    @property
    def first(self) -> str:
        return self.variants[0].id

    @property
    def last(self) -> str:
        return self.variants[-1].id


def load(batch_dir: str | Path) -> Quiz:
    """Read and check a batch folder (InputError naming the file if it is not one)."""
    batch = read_batch(batch_dir)
    return quiz(batch)


def quiz(batch: Batch) -> Quiz:
    table = accepted(batch)
    names = dict(zip(batch.blanks["blank"], labels(batch), strict=True))
    spans: dict[tuple[str, str], list[tuple[float, float]]] = {}
    keys: dict[tuple[str, str], tuple[float, float, float]] = {}
    for variant, blank, key, tolerance, low, high, mark in table.itertuples(index=False):
        centre, half = (low + high) / 2, (high - low) / 2
        spans.setdefault((variant, blank), []).append((centre, _reach(centre, half)))
        keys[(variant, blank)] = (key, _reach(key, tolerance), mark)
    variants = []
    for variant, spec in zip(batch.variants, batch.specs, strict=True):
        answers = {}
        for blank in batch.blanks["blank"]:
            key, room, mark = keys[(variant, blank)]
            answers[blank] = Answer(blank, names[blank], key, room, tuple(spans[(variant, blank)]), mark)
        variants.append(QuizVariant(variant, worksheet(spec), answers))
    return Quiz(batch.spec.title, batch.spec.decimals, tuple(variants))


def _reach(centre: float, half: float) -> float:
    return float(reach(np.array([centre]), np.array([half]))[0])
