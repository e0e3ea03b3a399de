"""How close an answer must be, and what it is worth: each blank's tolerance and marks.

They come from the spec's `grading` section: a rule for the quantity's name (`dW1`), else
for its kind (`dW`), else the section's own, else the default (the printed digit: half a
unit of the `display.decimals`-th decimal, one mark). A tolerance is a half-width around
each value a careful student writes (`grading.carry`); the same half-widths are what an
export to a learning platform states per blank (`tracegen.grading.accepted`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tracegen.engine import exact
from tracegen.maths.symbols import split
from tracegen.spec.model import Spec, Tolerance

SLACK = 1e-9  # relative room for binary floating point: 0.8805 + 0.0005 is not exactly 0.881
FLOOR = 1e-12  # absolute room, for a tolerance of 0


@dataclass(frozen=True, eq=False)
class Policy:
    """Per blank column: its tolerance and marks; and the share of marks a carried answer earns."""

    tolerances: tuple[Tolerance, ...]
    marks: np.ndarray
    carried: float
    decimals: int  # display.decimals, for a `decimals` tolerance without its own amount

    @property
    def digits(self) -> np.ndarray:
        """Per blank: whether its tolerance asks for a number of digits (decimals >= 1, sigfig),
        so that being right to one digit less means rounding too early."""
        places = [self.decimals if t.amount is None else t.amount for t in self.tolerances]
        return np.array([t.mode == "sigfig" or (t.mode == "decimals" and p >= 1)
                         for t, p in zip(self.tolerances, places, strict=True)])

    @classmethod
    def of(cls, spec: Spec, names: Sequence[str]) -> Policy:
        """The policy of the blanks whose quantity names are `names` (one per blank column)."""
        rules = dict(spec.grading.quantities)
        tolerances, marks = [], []
        for name in names:
            own, kind = rules.get(name), rules.get(split(name)[0])
            tolerances.append(next((r.tolerance for r in (own, kind) if r and r.tolerance), spec.grading.tolerance))
            marks.append(next((r.marks for r in (own, kind) if r and r.marks is not None), spec.grading.marks))
        return cls(tuple(tolerances), np.array(marks, dtype=float), spec.grading.carried, spec.decimals)

    def halfwidths(self, centres: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """Each blank's half-width around `centres` (rows, blanks; or rows, len(columns) for those columns)."""
        tolerances = self.tolerances if columns is None else tuple(self.tolerances[c] for c in columns)
        out = np.empty_like(centres)
        for tolerance in dict.fromkeys(tolerances):
            mask = np.array([t == tolerance for t in tolerances])
            out[:, mask] = halfwidth(tolerance, centres[:, mask], self.decimals)
        return out


    def coarse(self, columns: np.ndarray | None = None) -> np.ndarray:
        """Per blank (of `columns`): whether its tolerance is ± half a unit of `display.decimals` places or
        more (then a value's interval holds its own roundings to those places)."""
        tolerances = self.tolerances if columns is None else tuple(self.tolerances[c] for c in columns)
        return np.array([t.mode == "decimals" and (t.amount is None or t.amount <= self.decimals)
                         for t in tolerances], dtype=bool)

    def exact_halfwidths(self, centres: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """`halfwidths` in exact decimals (object arrays): half a unit exactly for a `decimals` tolerance,
        the others from their float half-widths (within `exact.precise()`)."""
        tolerances = self.tolerances if columns is None else tuple(self.tolerances[c] for c in columns)
        out = np.empty(centres.shape, dtype=object)
        for tolerance in dict.fromkeys(tolerances):
            mask = np.array([t == tolerance for t in tolerances])
            if tolerance.mode == "decimals":
                places = self.decimals if tolerance.amount is None else int(tolerance.amount)
                out[:, mask] = exact.unit(places) / 2
            else:
                floats = exact.floats_of(centres[:, mask]).astype(float)
                with np.errstate(all="ignore"):
                    out[:, mask] = exact.to_decimals(halfwidth(tolerance, floats, self.decimals))
        return out


def halfwidth(tolerance: Tolerance, centre: np.ndarray, decimals: int) -> np.ndarray:
    """How far from `centre` an answer may lie under `tolerance`."""
    amount = tolerance.amount
    if tolerance.mode == "decimals":
        return np.full_like(centre, 0.5 * 10.0 ** -(decimals if amount is None else amount))
    if tolerance.mode == "abs":
        return np.full_like(centre, amount)
    magnitude = np.abs(centre)
    if tolerance.mode == "rel":
        return amount * magnitude
    with np.errstate(divide="ignore", invalid="ignore"):  # sigfig; a zero or non-finite centre must be met exactly
        unit = 10.0 ** (np.floor(np.log10(magnitude)) - amount + 1)
    return np.where(np.isfinite(unit) & (magnitude > 0), 0.5 * unit, 0.0)


def reach(centre: np.ndarray, half: np.ndarray) -> np.ndarray:
    """How far from `centre` an answer is accepted: the half-width with room for float rounding
    (what exports state as a platform's tolerance, so it accepts what `within` does)."""
    return half * (1 + SLACK) + FLOOR * np.maximum(np.abs(centre), 1.0)


def within(answer: np.ndarray, centre: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Whether each answer lies in [centre - half, centre + half], with room for float rounding."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(answer - centre) <= reach(centre, half)
