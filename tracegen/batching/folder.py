"""A batch folder: the names of its files, its manifest, and the folder as the grader reads it.

`tracegen batch` (`batching.run`) writes the folder; everything that reads it back reads it here.

`answers.csv` names the blanks and holds their key, `manifest.csv` says which student has
which variant, and each variant's `spec.yaml` gives what its students were given (x, y
and the first epoch's parameters), stacked along a leading variant axis so the engine's
steps run for the whole class at once. The folder is checked as it is read: a variant
id that is not one, a spec that differs from the others or that no longer reproduces
answers.csv means the folder was changed after `tracegen batch`, and is refused.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import yaml

from tracegen.batching.roster import Student
from tracegen.batching.variants import ALPHABET
from tracegen.csvfiles import unsafe
from tracegen.engine.order import Key, givens
from tracegen.engine.sgd import train
from tracegen.engine.trace import trace
from tracegen.errors import InputError, SpecError
from tracegen.spec.model import Spec
from tracegen.spec.shapes import shapes

if TYPE_CHECKING:
    import pandas as pd

# spec.yaml files are written by tracegen (PyYAML's float format), so libyaml reads them
# exactly, about 8x faster than the pure-Python parser, which load_spec keeps for its
# clearer syntax errors in hand-written specs.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SPEC_FILE = "spec.yaml"
MANIFEST = "manifest.csv"
ANSWERS = "answers.csv"
MANIFEST_COLUMNS = ("variant", "student_id", "student_name", "seed_material", "file", "sha256")
Recorded = dict[tuple[str, ...], dict[str, str]]  # manifest: (variant, student, name, seed) -> {file: sha256}


class Cells(NamedTuple):
    """Where one quantity's cells are among the blanks: column of each cell, and its flat index."""

    columns: np.ndarray
    flat: np.ndarray
    shape: tuple[int, ...]  # the quantity's shape in one variant


@dataclass(frozen=True, eq=False)
class Batch:
    """What grading needs of a batch folder (see the module docstring)."""

    folder: Path
    spec: Spec  # the first variant's: the network, loss, display and grading settings every variant shares
    variants: tuple[str, ...]
    students: tuple[Student, ...] | None  # one per variant in a roster batch
    blanks: pd.DataFrame  # one row per blank, in answers.csv order: blank, epoch, phase, name, sample, row, col
    key: np.ndarray  # (variants, blanks), full precision
    givens: dict[Key, np.ndarray]  # stacked (variants, ...)
    cells: dict[Key, Cells]
    specs: tuple[Spec, ...] = ()  # every variant's, in batch order (exports write each variant's worksheet)

    def take(self, values: dict[Key, np.ndarray]) -> np.ndarray:
        """Per-quantity arrays with a leading row axis -> one column per blank (rows, blanks)."""
        rows = next(iter(values.values())).shape[0]
        out = np.empty((rows, len(self.blanks)))
        for key, cells in self.cells.items():
            out[:, cells.columns] = values[key].reshape(rows, -1)[:, cells.flat]
        return out


def read_batch(folder: str | Path) -> Batch:
    """Read and check a batch folder (InputError naming the file on any problem)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; expected the output folder of tracegen batch")
    variants, columns, key = _answers(folder / ANSWERS)
    specs = [_spec(folder, variant) for variant in variants]
    first = specs[0]
    for variant, spec in zip(variants[1:], specs[1:], strict=True):
        if _settings(spec) != _settings(first):
            raise InputError(f"{folder / variant / SPEC_FILE}: its network or settings differ from "
                             f"{folder / variants[0] / SPEC_FILE}; the variants of a batch share them")
    blanks = trace(first).blanks()[["blank", "epoch", "phase", "name", "sample", "row", "col"]].reset_index(drop=True)
    if tuple(blanks["blank"]) != columns:
        wrong = next((c for c, b in zip(columns, blanks["blank"], strict=False) if c != b), None)
        raise InputError(f"{folder / ANSWERS}: its columns are not the blanks of the variants' spec.yaml "
                         f"({f'{wrong!r} is not one' if wrong else 'some are missing'}); rerun tracegen batch")
    stacked = {name: np.stack([given[name] for given in (givens(s, _params(s)) for s in specs)])
               for name in givens(first, _params(first))}
    batch = Batch(folder, first, variants, _students(folder / MANIFEST, variants), blanks, key, stacked,
                  _cells(first, blanks), tuple(specs))
    _check_key(batch)
    return batch


def _answers(path: Path) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """(variant ids, blank columns, key values) of answers.csv."""
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    except FileNotFoundError:
        raise InputError(f"{path}: not found; is {path.parent} the output folder of tracegen batch?") from None
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"{path}: unreadable: {err}") from None
    if len(rows) < 2 or not rows[0] or rows[0][0] != "variant":
        raise InputError(f"{path}: expected a header 'variant,<blanks>' and one row per variant")
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]) or not row[0] or not set(row[0]) <= set(ALPHABET):
            raise InputError(f"{path}:{line}: expected a variant id and {len(rows[0]) - 1} numbers")
    try:
        key = np.array([row[1:] for row in rows[1:]], dtype=float)
    except ValueError:
        raise InputError(f"{path}: a value is not a number; rerun tracegen batch") from None
    return tuple(row[0] for row in rows[1:]), tuple(rows[0][1:]), key


def _spec(folder: Path, variant: str) -> Spec:
    path = folder / variant / SPEC_FILE
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    except FileNotFoundError:
        raise InputError(f"{path}: not found; the batch folder is incomplete (rerun tracegen batch)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError(f"{path}: not a readable spec: {' '.join(str(err).split())}") from None
    return Spec.from_dict(data, source=str(path))


def _params(spec: Spec) -> list[tuple[np.ndarray, np.ndarray]]:
    missing = spec.missing_params()
    if missing:
        raise SpecError(missing[0], "missing in a variant's spec.yaml", spec.source)
    return [(layer.W, layer.b) for layer in spec.layers if layer.W is not None and layer.b is not None]


def _settings(spec: Spec) -> tuple:
    """Everything but the drawn numbers: what the variants of one batch have in common."""
    return (tuple((layer.units, layer.activation) for layer in spec.layers), spec.loss, spec.x.shape, spec.y.shape,
            spec.flat, spec.learning_rate, spec.epochs, spec.update, spec.decimals, spec.grading)


def _students(path: Path, variants: tuple[str, ...]) -> tuple[Student, ...] | None:
    """Each variant's student in a roster batch (from the manifest), None in a numbered batch.

    The id comes from the seed material (`seed=…/student=<id>`, exact), the name from the
    manifest's spreadsheet-safe column with its protective apostrophe removed.
    """
    who: dict[str, Student] = {}
    for variant, _, name, material in read_manifest(path):
        _, found, student_id = material.partition("/student=")
        if found:
            who.setdefault(variant, Student(student_id, unsafe(name) or None, line=0))
    if not who:
        return None
    missing = [v for v in variants if v not in who]
    if missing:
        raise InputError(f"{path}: variant {missing[0]} of answers.csv is not in the manifest; rerun tracegen batch")
    return tuple(who[v] for v in variants)


def _cells(spec: Spec, blanks: pd.DataFrame) -> dict[Key, Cells]:
    """Each blank quantity's columns and flat indices, in its own per-variant shape."""
    out: dict[Key, Cells] = {}
    every = shapes(spec)
    groups = blanks.groupby(["epoch", "phase", "name"], sort=False).indices
    for (epoch, phase, name), columns in groups.items():
        shape = every[name]
        sub = blanks.iloc[columns]
        sample, row, col = (sub[c].to_numpy() for c in ("sample", "row", "col"))
        if len(shape) == 2 and (sample >= 0).all():  # per sample: (samples, units)
            flat = sample * shape[1] + row
        elif len(shape) == 2:  # W, dW: (units, inputs)
            flat = row * shape[1] + col
        else:  # b, db (units,), L ()
            flat = row
        out[(int(epoch), phase, name)] = Cells(np.asarray(columns), flat, shape)
    return out


def _check_key(batch: Batch) -> None:
    """The engine, run on the stacked spec.yaml givens, must give answers.csv (a changed folder is refused)."""
    g = batch.givens
    n = len(batch.spec.layers)
    params = [(g[(1, "params", f"W{i}")], g[(1, "params", f"b{i}")]) for i in range(1, n + 1)]
    with np.errstate(all="ignore"):
        values = {(r.epoch, r.phase, r.name): r.value
                  for r in train(batch.spec, params, g[(0, "given", "x")], g[(0, "given", "y")])}
    engine = batch.take({key: values[key] for key in batch.cells})
    bad = ~np.isclose(engine, batch.key, rtol=1e-9, atol=1e-12)
    if bad.any():
        v, b = np.argwhere(bad)[0]
        raise InputError(f"{batch.folder / ANSWERS}: {batch.blanks['blank'][b]} of variant {batch.variants[v]} is not "
                         f"what its spec.yaml gives; the folder was changed after tracegen batch (rerun it)")


def read_manifest(path: Path) -> Recorded:
    """{(variant, student_id, student_name, seed_material): {file name: sha256}}; {} if unusable.

    A missing or damaged manifest only means nothing is skipped. Columns after MANIFEST_COLUMNS
    (each variant's difficulty profile) are not read: a manifest written without them resumes too.
    """
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    recorded: Recorded = {}
    for row in rows:
        if None in row.values() or tuple(row)[:len(MANIFEST_COLUMNS)] != MANIFEST_COLUMNS:
            return {}
        key = tuple(row[column] for column in MANIFEST_COLUMNS[:4])
        recorded.setdefault(key, {})[row["file"].rpartition("/")[2]] = row["sha256"]
    return recorded
