"""Fairness gates: every variant of a class works the same rules as the base spec, about as hard.

One graded class should work the same rule branches the same number of times. The base
spec (the values the teacher wrote) sets the bar, and each candidate is measured in the
same vectorised training pass that checks the other constraints (`Profile`):

- `same_branches`: in every epoch, each layer with a kink (ReLU, leaky ReLU) has as many
  active (z > 0), inactive (z < 0) and kinked (z = 0) pre-activations as the base's, over
  all samples: a dead unit in the base (Class 3 has one on purpose) is in every variant;
- `no_zero_gradients`: no layer's whole gradient (dW and db) is zero in an epoch unless the
  base's is too;
- `loss_band`: each epoch's loss within a factor of the base's (3: from a third to three times);
- `no_ties`: no computed value lies halfway between two printed ones (0.6225 at 3 decimals),
  where rounding half up and half to even part ways.

`no_kinks` (an older constraint) allows the kinks the base has, and no other. A spec that
leaves W or b to be drawn has no base to compare with: `same_branches` and `loss_band` then
do not apply, and `no_zero_gradients` and `no_kinks` allow none. The same
`Profile` is each variant's difficulty profile in the batch report and manifest.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tracegen.engine.sgd import Record
from tracegen.spec.model import Spec

Array = np.ndarray
TIE_ROOM = 1e-9  # relative: a value this close to a tie is one (float noise of an exact decimal tie)
PROFILE_COLUMNS = ("active", "inactive", "kinks", "zero_gradients", "loss_first", "loss_last", "ties", "draws")
LABELS = {"active": "active units", "inactive": "inactive units", "kinks": "units at a kink",
          "zero_gradients": "zero gradients", "loss_first": "loss, first epoch", "loss_last": "loss, last epoch",
          "ties": "ties", "draws": "draws"}  # the report's names of PROFILE_COLUMNS


@dataclass(frozen=True)
class Profile:
    """What makes each of n candidates easy or hard; arrays lead with the candidate axis.

    `branches` (n, epochs, layers, 3) counts a layer's pre-activations above, below and at
    its kink, over all samples (zeros for a layer without a kink); `zero` (n, epochs,
    layers) marks a layer whose whole gradient is zero; `losses` (n, epochs) is L;
    `ties` (n,) counts computed values at a tie for `display.decimals`.
    """

    branches: Array
    zero: Array
    losses: Array
    ties: Array


def profile(spec: Spec, records: Sequence[Record], n: int) -> Profile:
    """The profile of n candidates trained together (`records` of `engine.train`, leading axis n)."""
    epochs, layers = spec.epochs, len(spec.layers)
    branches = np.zeros((n, epochs, layers, 3), dtype=np.int64)
    zero = np.ones((n, epochs, layers), dtype=bool)
    losses = np.zeros((n, epochs))
    ties = np.zeros(n, dtype=np.int64)
    for record in records:
        value = np.reshape(record.value, (n, -1))
        e = record.epoch - 1
        if record.kinks is not None:
            layer = int(record.name[1:]) - 1
            branches[:, e, layer] = np.stack([(value > 0).sum(1), (value < 0).sum(1), (value == 0).sum(1)], axis=1)
        if record.phase == "backward" and record.name[:2] in ("dW", "db"):
            zero[:, e, int(record.name[2:]) - 1] &= (value == 0).all(axis=1)
        if record.name == "L":
            losses[:, e] = value[:, 0]
        if _computed(spec, record):
            ties += at_tie(value, spec.decimals).sum(axis=1)
    return Profile(branches, zero, losses, ties)


def _computed(spec: Spec, record: Record) -> bool:
    """A value the documents print as computed (not a given, not a repeat of one printed before)."""
    if record.phase == "params" or record.name in ("x", "y"):  # givens, or the previous epoch's update
        return False
    return not (record.name == "sample_loss" and spec.n_samples == 1)  # one sample: it is L


def at_tie(values: Array, decimals: int) -> Array:
    """True where a value lies halfway between two numbers printed with `decimals` places."""
    scaled = np.abs(values) * 10.0 ** decimals
    return np.abs(scaled - np.floor(scaled) - 0.5) <= TIE_ROOM * np.maximum(scaled, 1.0)


def gates(spec: Spec, candidates: Profile, base: Profile | None) -> dict[str, Array]:
    """Per enabled gate, True where a candidate breaks it (`base`: the base spec's profile, if it has one).

    Also `no_kinks`, which with a base allows the kinks the base has (`same_branches` asks for them).
    """
    rules = spec.constraints
    bad: dict[str, Array] = {}
    if rules.no_kinks:
        kinks = candidates.branches[..., 2]
        bad["no_kinks"] = _any(kinks > (base.branches[..., 2] if base is not None else 0))
    if rules.same_branches and base is not None:
        bad["same_branches"] = _any(candidates.branches != base.branches)
    if rules.no_zero_gradients:
        bad["no_zero_gradients"] = _any(candidates.zero & ~base.zero if base is not None else candidates.zero)
    if rules.loss_band is not None and base is not None and np.isfinite(base.losses).all():
        low, high = base.losses / rules.loss_band, base.losses * rules.loss_band
        bad["loss_band"] = _any((candidates.losses < low) | (candidates.losses > high))
    if rules.no_ties:
        bad["no_ties"] = candidates.ties > 0
    return bad


def _any(flags: Array) -> Array:
    """Per candidate (the leading axis): is any flag set?"""
    return np.asarray(flags.reshape(len(flags), -1).any(axis=1))


def row(profile_: Profile, index: int, draws: int | None = None) -> dict[str, str]:
    """Candidate `index`'s difficulty profile as manifest cells (PROFILE_COLUMNS; `draws` it took, if drawn).

    Units count every (epoch, sample) in the layers with a kink; a unit at the kink is inactive too.
    """
    counts = profile_.branches[index].sum(axis=(0, 1))
    cells = {"active": str(counts[0]), "inactive": str(counts[1] + counts[2]), "kinks": str(counts[2]),
             "zero_gradients": str(int(profile_.zero[index].sum())),
             "loss_first": f"{profile_.losses[index, 0]:.6g}", "loss_last": f"{profile_.losses[index, -1]:.6g}",
             "ties": str(int(profile_.ties[index]))}
    return cells if draws is None else {**cells, "draws": str(draws)}


def spread(rows: Sequence[Mapping[str, str]], base: Mapping[str, str] | None = None) -> list[str]:
    """The class's spread, one line per profile column: min / median / max (and the base's, in brackets).

    Reads the manifest's cells, so a script can print it again from manifest.csv.
    """
    head = f"difficulty of {len(rows)} variants, min / median / max" + (" [base spec]" if base else "") + ":"
    lines = [head]
    for column in PROFILE_COLUMNS:
        values = [float(cells[column]) for cells in rows]
        text = " / ".join(f"{v:.4g}" for v in (min(values), statistics.median(values), max(values)))
        if base is not None and column in base:
            text += f"  [{float(base[column]):.4g}]"
        lines.append(f"  {LABELS[column] + ':':<19}{text}")
    return lines
