"""Documents from a trace: worksheets and answer keys as Markdown, HTML and PDF.

`render_documents` returns bytes and writes nothing; the CLI and the batch writer decide
where files go. One document model (`tracegen.document`) feeds every format; the PDF is
the HTML with its print stylesheet, laid out by WeasyPrint.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from tracegen.choices import DOCUMENT_FORMATS as FORMATS
from tracegen.choices import PAPERS
from tracegen.document import KINDS, DocumentModel, build
from tracegen.document.cells import integer_digits
from tracegen.engine.trace import BASE, Trace
from tracegen.errors import OptionError
from tracegen.layout import print_measure
from tracegen.render.coverage import require_printable
from tracegen.render.exporters import EXPORTERS
from tracegen.render.pdf.form import Code, doc_hash, fingerprint
from tracegen.render.pdf.paper import Sheet
from tracegen.render.pdf.process import PdfProcess
from tracegen.render.prepare import Rooms, note_rooms, rooms_of, without_notes
from tracegen.render.typeset.boxes import Box
from tracegen.text import quote

__all__ = ["FORMATS", "KINDS", "PAPERS", "POSITIONS", "PaperReady", "file_stem", "markup", "render_documents", "slug"]


TAGGED = "pdf/ua-1"  # WeasyPrint's PDF variant of a tagged PDF


def slug(text: str, limit: int = 60) -> str:
    """A file-name-safe stem (ASCII letters, digits, `-`, `_`), never empty, never a path."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "-", ascii_text).strip("-_").lower()[:limit].strip("-_")
    return cleaned or "document"


def file_stem(name: str) -> str:
    """The stem of the files rendered from a spec named `name`: its `slug`, plus six hex digits of
    a hash of `name` when the slug changed it, so that two spec files whose names slug alike
    (`a+b` and `a-b`, `名前` and `題`) never write, and so overwrite, the same files."""
    stem = slug(name)
    if stem == name:
        return stem
    return f"{stem}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:6]}"


def _check(values: Sequence[str], allowed: Sequence[str], what: str) -> None:
    bad = [v for v in values if v not in allowed]
    if bad or isinstance(values, str):
        given = bad or [str(values)]
        raise OptionError(f"{what}: expected some of {', '.join(allowed)}, got {', '.join(map(str, given))}")


@dataclass(frozen=True)
class PaperReady:
    """A paper-ready worksheet's batch-wide facts: the batch's id (10 hex digits, in every page's code) and
    each quantity's integer-digit cells (`document.cells`), the same for every variant of the batch."""

    batch: str
    digits: Mapping[str, int]


POSITIONS = "positions.json"  # a paper-ready worksheet's position map: the "format" of its entry in the result


def render_documents(trace: Trace, kinds: Sequence[str] = ("worksheet", "key"),
                     formats: Sequence[str] = ("md", "html", "pdf"), *, student: str | None = None,
                     paper: str = "a4", tagged: bool = True, fillable: bool = False,
                     paper_ready: PaperReady | bool = False, processes: int = 1,
                     progress: Callable[[int], None] | None = None,
                     pdf_process: PdfProcess | None = None, cache: bool = False,
                     rooms: dict[str, Rooms] | None = None) -> dict[tuple[str, str], bytes]:
    """The documents of `trace` as bytes per (kind, format); writes nothing.

    `student` (optional) and the trace's variant id are printed on every page; a title or
    student that no available font can print whole is refused (`render.coverage`). `paper`
    is "a4" (default) or "letter" for HTML printing and PDF. The PDFs are tagged
    PDF/UA-1 for screen readers (the maths as Formula elements with their spoken text) unless
    `tagged` is False (docs/accessibility.md). `fillable` makes the worksheet's PDF a form: a
    text field per blank, named by its id, and the worksheet's code (variant, spec fingerprint)
    for `tracegen grade` (`render.pdf.form`). `paper_ready` makes the worksheet's PDF ready to come back
    from paper (`render.pdf.paper`, docs/paper.md): each blank a row of character cells, each page a QR code and
    registration marks, and the position map as ("worksheet", "positions.json"); True takes the cells' sizes
    from this trace, a `PaperReady` from the whole batch.
    `processes` > 1 lays PDFs out side by side in forked processes (`pdf.write_pdfs`): the
    command line's choice for one exercise; the bytes are the same either way. `progress`
    is called with 1 as each document is done. `pdf_process` (the command line's) lays the
    PDFs out in a process started early, already warm (`tracegen.render.pdf.process`). `cache`
    reads and keeps the PDFs' layouts in the user's layout cache (`tracegen.render.pdf.layouts`,
    `tracegen render --no-cache`); the bytes are the same either way. `rooms` (a batch's, per kind) widens
    the PDF's rooms so that its variants share one layout (`pdf_rooms`, `prepare.Rooms`).
    """
    _check(kinds, KINDS, "kind")
    _check(formats, FORMATS, "format")
    _check([paper], tuple(PAPERS), "paper")
    ready = _paper_ready(trace) if paper_ready is True else paper_ready or None
    if set(formats) & {"html", "pdf"} and trace.spec is not None:  # Markdown is plain text
        require_printable(trace.spec.title, f"the title {quote(trace.spec.title)}")
        require_printable(student, f"the student {quote(student)}")
    out: dict[tuple[str, str], bytes] = {}

    def texts() -> Iterator[tuple[str, list[Box | Sheet]]]:
        """Each document's text, the PDFs' (HTML, blocks) yielded as they are made."""
        for kind in kinds:
            for fmt in formats:
                pdf = fmt == "pdf"
                model, sheet = _in_cells(trace, kind, student, ready) if pdf else (_built(trace, kind, student), None)
                form = _form(trace) if fillable and pdf and not model.is_key else None
                text, blocks = markup(model, fmt, paper, form, (rooms or {}).get(kind) if pdf else None, sheet)
                out[(kind, fmt)] = text.encode("utf-8")  # a PDF's place, in order, until it is made
                if pdf:
                    yield text, blocks
                elif progress:
                    progress(1)

    from tracegen.render.pdf.writer import write_pdfs

    write = pdf_process.write_pdfs if pdf_process else write_pdfs
    with keeping():  # each kind built once for all its formats
        pdfs = write(texts(), pdf_variant=TAGGED if tagged else None, processes=processes, progress=progress,
                     cache=cache)
    for key, pdf in zip([key for key in out if key[1] == "pdf"], pdfs, strict=True):
        out[key] = pdf
    if ready is not None and ("worksheet", "pdf") in out:
        from tracegen.render.pdf.paper import read_positions

        out[("worksheet", POSITIONS)] = read_positions(out[("worksheet", "pdf")]) or b""
    return out


def markup(doc: DocumentModel, fmt: str, paper: str = "a4", form: str | None = None,
           rooms: Rooms | None = None, sheet: Sheet | None = None) -> tuple[str, list[Box | Sheet]]:
    """The text a format is written from: Markdown, or the HTML (for "pdf": the HTML WeasyPrint lays out,
    and the typeset maths blocks the PDF finisher draws on its placeholders). `form` (PDF) is a
    fillable worksheet's code: the PDF gets a text field per blank. `rooms`: the PDF's least room sizes;
    `sheet` a paper-ready worksheet's (`pdf.paper`)."""
    return EXPORTERS[fmt].markup(doc, paper, form, rooms, sheet)


def pdf_layout(trace: Trace, kind: str, rooms: Rooms, *, student: str | None = None,
               paper: str = "a4", paper_ready: PaperReady | None = None) -> tuple[str, bytes]:
    """The layout of `kind`'s tagged PDF of `trace` with `rooms`, as `layouts.keep` holds it (key, bytes):
    every variant of its shape, with these rooms, is then drawn into it (`render_documents(rooms=)`)."""
    from tracegen.render.pdf.writer import laid_out

    doc, sheet = _in_cells(trace, kind, student, paper_ready)
    return laid_out(markup(doc, "pdf", paper, None, rooms, sheet)[0], TAGGED)


def pdf_rooms(trace: Trace, kinds: Sequence[str], *, student: str | None = None, paper: str = "a4",
              paper_ready: PaperReady | None = None,
              notes: Mapping[str, tuple[float, ...]] | None = None) -> dict[str, tuple[Rooms, str]]:
    """The rooms each kind's PDF of `trace` needs, and the shape of its HTML: variants of a batch whose PDFs
    have the same shape give the same HTML once their rooms are widened to the widest (`Rooms.widest`).
    `paper_ready`: the batch's paper-ready facts, for its worksheets (their blanks in cells).

    Which grader notes a key has differs between variants, so first its shape is the HTML's without the notes
    (its blocks' sizes then those of that HTML). Given a group's notes' rooms (`notes`, per kind: `Rooms.notes`
    widened), the rooms are those of the PDF with them, measured from its typeset blocks alone (no HTML is
    written), and the shape only says where its blocks and notes' rooms stand: the rest of its HTML is the
    group's, shaped alike without the notes (`batching.stamping` groups the keys so measured within their group)."""
    out = {}
    for kind in kinds:
        doc, sheet = _in_cells(trace, kind, student, paper_ready)
        given = (notes or {}).get(kind)
        heights = note_rooms(doc, print_measure(paper))
        if given is None:
            html, blocks = markup(without_notes(doc) if any(heights) else doc, "pdf", paper, None, None, sheet)
            out[kind] = (rooms_of(doc, blocks, heights), _shape(html))
        else:
            heights = tuple(map(max, heights, given))
            prepared, page = EXPORTERS["pdf"].typeset(doc, paper, None, Rooms(notes=heights), sheet)
            out[kind] = (rooms_of(doc, page["blocks"], heights), _order(prepared))
    return out


def _order(prepared: DocumentModel) -> str:
    """A digest of the kinds of a prepared PDF document's items in order: where its blocks, notes' rooms and
    paragraphs stand."""
    kinds = "/".join(" ".join(item.kind for item in section.items) for section in prepared.sections)
    return hashlib.sha256(kinds.encode()).hexdigest()


def _in_cells(trace: Trace, kind: str, student: str | None,
              ready: PaperReady | None) -> tuple[DocumentModel, Sheet | None]:
    """`kind` of `trace` as its PDF shows it: a paper-ready worksheet with its blanks in the batch's cells, with
    what its pages say they are (its code, the last block); any other as it is."""
    if ready is None or kind != "worksheet":
        return _built(trace, kind, student), None
    return _built(trace, kind, student, ready.digits), _sheet(trace, ready)


KEPT = 512  # the most documents a process keeps while `keeping` (about 130 kB each with its trace)
_kept: dict[tuple[object, ...], tuple[Trace, DocumentModel]] | None = None  # None: build each time


def keep() -> None:
    """From now on each document of a trace is built once in this process (`build` is deterministic: the same
    model), however often a batch measures, lays out and renders it (`batching.stamping`; `keeping` for a while).
    The first `KEPT` documents are kept, no more: a batch measures every variant before it renders any, so
    keeping the newest instead would have dropped each one before it was needed again."""
    global _kept
    _kept = {} if _kept is None else _kept


@contextmanager
def keeping() -> Iterator[None]:
    """`keep` within it; what was kept goes at its end, unless it was kept already."""
    global _kept
    outer = _kept
    keep()
    try:
        yield
    finally:
        _kept = outer


def _built(trace: Trace, kind: str, student: str | None, digits: Mapping[str, int] | None = None) -> DocumentModel:
    """`build`, or the document built before from the same trace object while `keeping`."""
    if _kept is None:
        return build(trace, kind, student, digits)
    key = (id(trace), kind, student, None if digits is None else tuple(sorted(digits.items())))
    if (found := _kept.get(key)) is not None and found[0] is trace:
        return found[1]
    doc = build(trace, kind, student, digits)
    if len(_kept) < KEPT:
        _kept[key] = (trace, doc)  # the trace kept alive with it: its id stays its own
    return doc


_ROOM = re.compile(r' style="width:[0-9.]+em;(?:height:[0-9.]+em;)?|<rect x="\d+" (y="\d+") width="\d+"')


def _shape(html: str) -> str:
    """A digest of the PDF's HTML without its rooms' sizes and what the finisher reads of it (`layouts.unread`:
    the formulas' spoken text, the pictures' descriptions)."""
    from tracegen.render.pdf.layouts import unread

    laid = _ROOM.sub(lambda m: m[1] and f"<rect {m[1]}" or ' style="', unread(html))
    return hashlib.sha256(laid.encode()).hexdigest()


def _paper_ready(trace: Trace) -> PaperReady:
    """A single document's paper-ready facts: cells sized from its own values, its batch id from its spec."""
    if trace.spec is None:
        raise OptionError("paper-ready: a paper-ready worksheet needs the trace's spec (trace it with tracegen.trace)")
    batch = hashlib.sha256(f"render/{fingerprint(trace.spec)}".encode()).hexdigest()[:10]
    return PaperReady(batch, integer_digits([trace], trace.spec.decimals))


def _sheet(trace: Trace, ready: PaperReady) -> Sheet:
    """What a paper-ready worksheet's pages say they are (`pdf.paper.Sheet`): batch, variant, document hash."""
    if trace.spec is None:
        raise OptionError("paper-ready: a paper-ready worksheet needs the trace's spec (trace it with tracegen.trace)")
    variant = trace.variants[0] if trace.variants else BASE
    return Sheet(ready.batch, variant, doc_hash(fingerprint(trace.spec)))


def _form(trace: Trace) -> str:
    """The code a fillable worksheet of `trace` carries: its variant and its spec's fingerprint."""
    if trace.spec is None:
        raise OptionError("fillable: a fillable worksheet needs the trace's spec (trace it with tracegen.trace)")
    return Code(trace.variants[0] if trace.variants else "", fingerprint(trace.spec)).text()
