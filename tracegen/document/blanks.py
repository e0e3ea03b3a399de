"""Which answer field is which blank: the worksheet's blanks in reading order.

An export numbers its answer fields in the order the worksheet shows its blanks (Moodle's
cloze parts 1, 2, …; Canvas's boxes), which is not answers.csv's column order. Reading a
platform's responses back needs the same numbering. `order` derives it from the network's
shape alone, without tracing or building a document: the worksheet asks every written
step of the training order (`engine.order.steps`) in that order, except that each epoch's
updates go from the output layer down; each quantity is printed as a matrix read row by
row, a per-sample one as units x samples (a column per sample). A test checks it against
the blanks of built worksheets.
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.document import DocumentModel, build
from tracegen.document.model import Eq
from tracegen.engine.order import Step, blank_id, steps
from tracegen.engine.trace import trace
from tracegen.maths.tree import Blank, walk
from tracegen.spec.model import Spec
from tracegen.spec.shapes import shapes


def blanks(doc: DocumentModel) -> Iterator[Blank]:
    """The worksheet's blanks in reading order (each blank once: the loss table at its end repeats
    the epochs' L, so exports leave that table out)."""
    for section in doc.sections:
        for item in section.items:
            yield from asked(item)


def asked(item: object) -> list[Blank]:
    """The blanks of one item of a document, in reading order (an equation's; none elsewhere)."""
    if not isinstance(item, Eq):
        return []
    return [node for top in item.items for node in walk(top) if isinstance(node, Blank)]


def worksheet(spec: Spec) -> DocumentModel:
    """The worksheet document of a spec (a variant's spec.yaml), as `tracegen batch` renders it."""
    return build(trace(spec), "worksheet")


def order(spec: Spec) -> tuple[str, ...]:
    """Blank ids (answers.csv's columns) in the order of the export's fields, from `spec`'s shapes alone."""
    every = shapes(spec)
    return tuple(blank_id(step.key[0], step.key[2], *cell)
                 for step in sorted((s for s in steps(spec) if s.written), key=_reading)
                 for cell in _cells(every[step.key[2]], step.per_sample))


def _reading(step: Step) -> tuple[int, ...]:
    """Where a step's line comes in the worksheet: epoch by epoch in training order, updates from the top layer."""
    epoch, phase, _ = step.key
    return (epoch, 1, -step.layer) if phase == "update" else (epoch, 0)


def _cells(shape: tuple[int, ...], per_sample: bool) -> Iterator[tuple[int, int, int]]:
    """(sample, row, col) of a quantity's entries as printed, row by row (per sample: units x samples)."""
    if per_sample:
        samples, units = shape
        yield from ((s, r, 0) for r in range(units) for s in range(samples))
    elif len(shape) == 2:
        yield from ((-1, r, c) for r in range(shape[0]) for c in range(shape[1]))
    else:
        yield from ((-1, r, 0) for r in range(shape[0] if shape else 1))
