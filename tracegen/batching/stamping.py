"""Stamping: a batch's PDFs laid out once per shape, each variant's maths drawn into the same pages.

Every variant of a batch has the same structure; only its numbers differ, and tracegen draws every
number itself (`render.pdf.finisher`) into rooms WeasyPrint lays out. So the batch measures every
variant's rooms first (`render.documents.pdf_rooms`), groups the PDFs of one kind by the shape of
their HTML, widens each group's rooms to the group's widest (`prepare.Rooms.widest`), lays each
group out once, and hands each variant its group's layout with the rooms: the worker finishes it
with the variant's own maths (`render.pdf.layouts.keep`). A stamped PDF is then the very PDF a
single render of the variant with those rooms gives (docs/batch.md). A variant whose HTML turns out
to differ from its group's is laid out on its own, as before: slower, never wrong.

Measuring, laying out and rendering a variant each need its trace and documents: `reusing` traces each
variant once per process and builds each of its documents once (`render.documents.keeping`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tracegen.engine.trace import Trace, trace
from tracegen.render.documents import KEPT, PaperReady, keep, keeping, pdf_layout, pdf_rooms
from tracegen.render.pdf.form import fingerprint
from tracegen.render.prepare import Rooms
from tracegen.spec.model import Spec


@dataclass(frozen=True)
class Stamp:
    """What a worker needs to stamp one PDF: the group's rooms, and its layout (`layouts.keep`'s key and bytes)."""

    rooms: Rooms
    layout: tuple[str, bytes]


# calls (the variant each works on, its arguments) -> results (None: failed); the variant lets a batch's workers
# keep each variant's calls in the one that traced and built it (`batching.run`)
Mapper = Callable[[Callable[..., Any], Sequence[tuple[int, tuple[Any, ...]]]], list[Any]]


def measure(spec: Spec, variant: str, kinds: tuple[str, ...], student: str | None,
            ready: PaperReady | None = None,
            notes: dict[str, tuple[float, ...]] | None = None) -> dict[str, tuple[Rooms, str]]:
    """Each kind's rooms and HTML shape for one variant (in a worker); `ready`: the batch's paper-ready facts;
    `notes`: its group's notes' rooms."""
    return pdf_rooms(traced(spec, variant), kinds, student=student, paper_ready=ready, notes=notes)


def lay_out(spec: Spec, variant: str, kind: str, student: str | None, rooms: Rooms,
            ready: PaperReady | None = None) -> tuple[str, bytes]:
    """A group's layout, from one of its variants (in a worker)."""
    return pdf_layout(traced(spec, variant), kind, rooms, student=student, paper_ready=ready)


_traces: dict[tuple[str, str], Trace] | None = None  # while `reusing`: by variant id and spec fingerprint


def reuse() -> None:
    """From now on each variant is traced once in this process (`traced`) and each of its documents built once
    (`render.documents.keep`): the batch measures, lays out and renders the same variant in turn. For a batch's
    worker, which serves that batch only; `reusing` for a while."""
    global _traces
    _traces = {} if _traces is None else _traces
    keep()


@contextmanager
def reusing() -> Iterator[None]:
    """`reuse` within it (a batch run in this process); what was kept goes at its end."""
    global _traces
    outer = _traces
    try:
        with keeping():
            reuse()
            yield
    finally:
        _traces = outer


def traced(spec: Spec, variant: str) -> Trace:
    """`trace(spec, variant=variant)`, the one traced before in this process while `reusing`."""
    if _traces is None:
        return trace(spec, variant=variant)
    key = (variant, fingerprint(spec))
    if (found := _traces.get(key)) is None:
        found = trace(spec, variant=variant)
        if len(_traces) < KEPT:
            _traces[key] = found
    return found


def stamps(variants: Sequence[tuple[Spec, str, tuple[str, ...], str | None, PaperReady | None]],
           run: Mapper) -> list[dict[str, Stamp]]:
    """Each variant's stamps by kind: (spec, variant id, kinds to stamp, student label, paper-ready facts) in,
    `run` to call the workers. A group of one, and anything that failed, gets none (the worker renders as usual).

    Keys whose grader notes differ are grouped by their HTML without the notes, then measured once more with
    their group's notes' rooms (each as tall as the group's tallest notes there), and grouped again within their
    group, by where their blocks and notes' rooms stand (`pdf_rooms`)."""
    groups = _grouped(enumerate(run(measure, list(enumerate(variants)))))
    noted = [(kind, rooms, members) for kind, rooms, members in groups if len(members) > 1 and any(rooms.notes)]
    if noted:
        calls = [(number, index, kind, rooms) for number, (kind, rooms, members) in enumerate(noted)
                 for index in members]
        again = run(measure, [(index, (*variants[index][:2], (kind,), *variants[index][3:5], {kind: rooms.notes}))
                              for _, index, kind, rooms in calls])
        kept = [group for group in groups if group not in noted]
        groups = kept + _grouped((index, {kind: (rooms, f"{number}/{order}") for kind, (rooms, order) in found.items()})
                                 for (number, index, _, _), found in zip(calls, again, strict=True) if found)
    shared = [(kind, rooms, members) for kind, rooms, members in groups if len(members) > 1]
    laid = run(lay_out, [(members[0], (*variants[members[0]][:2], kind, variants[members[0]][3], rooms,
                                       variants[members[0]][4])) for kind, rooms, members in shared])
    out: list[dict[str, Stamp]] = [{} for _ in variants]
    for (kind, rooms, members), layout in zip(shared, laid, strict=True):
        if layout is not None:
            for index in members:
                out[index][kind] = Stamp(rooms, layout)
    return out


def _grouped(measured: Iterable[tuple[int, dict[str, tuple[Rooms, str]] | None]]) -> list[tuple[str, Rooms, list[int]]]:
    """(kind, widest rooms, variants) of each group of same-shaped PDFs, from each variant's measures."""
    groups: dict[tuple[str, str], tuple[Rooms, list[int]]] = {}
    for index, found in measured:
        for kind, (rooms, shape) in (found or {}).items():
            widest, members = groups.get((kind, shape), (rooms, []))
            both = widest.widest(rooms)
            if both is not None:
                groups[(kind, shape)] = (both, [*members, index])
    return [(kind, rooms, members) for (kind, _), (rooms, members) in groups.items()]
