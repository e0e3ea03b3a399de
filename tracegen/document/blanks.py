"""Which answer field is which blank: the worksheet's blanks in reading order.

An export numbers its answer fields in the order the worksheet shows its blanks (Moodle's
cloze parts 1, 2, …; Canvas's boxes), which is not answers.csv's column order (the
worksheet updates the output layer first). Reading Moodle's responses back needs the
same numbering, so both come from here: the worksheet document of a variant's spec.
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.document import DocumentModel, build
from tracegen.document.model import Eq
from tracegen.engine.trace import trace
from tracegen.maths.tree import Blank, walk
from tracegen.spec.model import Spec


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
    """Blank ids (answers.csv's columns) in the order of the export's fields, for a batch of `spec`'s network."""
    return tuple(blank.id for blank in blanks(worksheet(spec)))
