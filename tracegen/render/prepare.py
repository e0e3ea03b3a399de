"""Preprocessors: a document model made ready for a format's templates (`exporters`), before any runs.

As nbconvert's preprocessors do, this turns the format-neutral model into what one
format's templates print, so templates only place things:

- Markdown and HTML: each display equation is laid out in lines for the format's text
  width (`mathbox.lines`, from the fonts' metrics), as a `Display`.
- PDF: every piece of maths is typeset here (`mathbox`) and reserved as a block that the
  PDF finisher draws (`pdfmath`); the template gets its placeholder. Consecutive display
  equations share one block; inline maths gets a block per piece, set on the baseline.
  The pictures' labels are reserved the same way (`labels`).

Every format's maths is also spoken (`speaker`): the HTML's `<math>` elements and the tagged
PDF's formulas carry it, a worksheet's blanks numbered in its reading order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from tracegen.document import DocumentModel, diagram
from tracegen.document.blanks import blanks as blanks_of
from tracegen.document.diagram import WeightTable
from tracegen.document.model import Eq, Figure, Para, Section
from tracegen.maths.speech import speech
from tracegen.maths.tree import Lines, Node, Row
from tracegen.render.typeset import boxes as mathbox
from tracegen.render.typeset.boxes import STACK_LIMIT, Box, Disc, Line, Placed, Rect, flatten, padded, stacked

if TYPE_CHECKING:
    from tracegen.render.pdf.finisher import Head


@dataclass(frozen=True)
class Display:
    """A display equation laid out in lines (Markdown, HTML), then its grader notes.

    `wide`: it may not fit the page, so the HTML lets it scroll and makes it focusable (a
    keyboard can scroll it too, WCAG 2.1.1). `phone`: the HTML's layout for a phone's width,
    when `math` is wider than that (mathml.css shows one of the two), so no answer sits off-screen;
    `phone_wide` as `wide`, for it.
    """

    math: Lines
    notes: tuple[Para, ...]
    wide: bool = False
    phone: Lines | None = None
    phone_wide: bool = False
    kind: str = "display"


@dataclass(frozen=True)
class Block:
    """Display equations typeset as one PDF block: its placeholder (the PDF's notes are `NoteRoom`s)."""

    placeholder: Markup
    notes: tuple[Para, ...] = ()
    kind: str = "block"


@dataclass(frozen=True)
class NoteRoom:
    """The PDF's room for the grader notes after an item: one block the finisher draws the notes into, as tall
    as a batch's longest notes there (`Rooms.notes`), so the key's HTML is the same whichever notes a variant has."""

    placeholder: Markup
    kind: str = "noteroom"


@dataclass(frozen=True)
class Rooms:
    """The least sizes of a PDF's rooms, so that variants of a batch give the same HTML (one layout): each
    block's width (em, in document order), the diagram's labels' widths (em, `Diagram.labels` order) and the
    height of the grader notes' room after each item (em, `note_rooms`; 0: no room), and each block's height
    (em: a number's digits differ in height; inline maths grows above its baseline, a display block below)."""

    blocks: tuple[float, ...] = ()
    labels: tuple[float, ...] = ()
    notes: tuple[float, ...] = ()
    heights: tuple[float, ...] = ()

    def widest(self, other: Rooms) -> Rooms | None:
        """The rooms holding both; None when they are not rooms of the same document structure."""
        pairs = ((self.blocks, other.blocks), (self.labels, other.labels), (self.notes, other.notes),
                 (self.heights, other.heights))
        if any(len(mine) != len(theirs) for mine, theirs in pairs):
            return None
        return Rooms(*(tuple(map(max, mine, theirs)) for mine, theirs in pairs))


def rooms_of(doc: DocumentModel, blocks: Sequence[Any], notes: tuple[float, ...] = ()) -> Rooms:
    """The rooms a PDF of `doc` whose typeset blocks are `blocks` (`for_print`) and notes' rooms `notes` needs."""
    return Rooms(tuple(getattr(block, "width", 0.0) for block in blocks),
                 tuple(diagram.measure(label.parts)[0] for label in doc.diagram.labels), notes,
                 tuple(getattr(block, "depth", 0.0) for block in blocks))


@dataclass
class Blocks:
    """The PDF's typeset blocks in document order; `reserve` hands out each one's placeholder, the block
    widened to its room in `least` (drawn at the room's left)."""

    speak: Callable[[Node], str]
    boxes: list[Box | Head] = field(default_factory=list)  # a Head: the running head, no placeholder
    least: tuple[float, ...] = ()
    notes: tuple[float, ...] = ()  # the least height of each notes' room (`Rooms.notes`)
    tall: tuple[float, ...] = ()  # each block's least height (`Rooms.heights`)
    slot: int = 0  # the next notes' room's number

    def reserve(self, block: Box, overlap: bool = False, lower: float | None = None,
                alt: str | None = None) -> Markup:
        """`block`'s placeholder; `alt` is its maths spoken (none for a picture's labels)."""
        from tracegen.render.pdf.finisher import placeholder

        index = len(self.boxes)
        if index < len(self.least) and self.least[index] > block.width:
            block = block._replace(width=self.least[index])
        if index < len(self.tall) and self.tall[index] > block.depth and not overlap:
            extra = self.tall[index] - block.depth  # inline maths: above, its baseline stays on the text's
            block = (Box(block.width, 0.0, self.tall[index], (Placed(0.0, -extra, block),)) if lower is not None
                     else block._replace(depth=self.tall[index]))
        self.boxes.append(block)
        return placeholder(len(self.boxes) - 1, block, overlap, lower, alt)


def speaker(doc: DocumentModel) -> Callable[[Node], str]:
    """The document's maths in words (`tracegen.maths.speech`); a worksheet's blanks by their number
    in its reading order, as the exports number them (`document.blanks`)."""
    if not doc.is_worksheet:  # the key and the solution have no blanks
        return _speaking(())
    return _speaking(tuple((blank.id, number) for number, blank in enumerate(blanks_of(doc), start=1)))


@lru_cache(maxsize=16)
def _speaking(numbers: tuple[tuple[str, int], ...]) -> Callable[[Node], str]:
    """`speech` with the blanks numbered so, remembering what it said: a batch's worksheets (and its keys, with no
    blanks) share one numbering, and each variant is spoken for measuring, then for rendering."""
    return lru_cache(maxsize=8192)(partial(speech, blanks=dict(numbers)))


def for_screen(doc: DocumentModel, measure: float, phone: float | None = None) -> DocumentModel:
    """Markdown and HTML: each display equation laid out in lines for the text width `measure` (em), and for
    HTML again for a phone's text width `phone` where it is wider than that."""
    return _converted(doc, lambda items: _displays(items, measure, phone))


def for_print(doc: DocumentModel, measure: float, px_per_em: float, head_width: float | None = None,
              rooms: Rooms | None = None) -> tuple[DocumentModel, dict[str, Any]]:
    """The PDF: `doc` with every piece of maths reserved as a block, and the blocks, picture labels
    and how to speak its maths.

    Whose copy it is (`doc.who`: the variant and the student) is drawn by the finisher too, when the
    shipped fonts print it: a block in the header's line (`who`), and the running head of every page
    (a `Head` of at most `head_width` em per line), so the HTML laid out is the same for every variant.
    `rooms` (a batch's, `Rooms.widest` of its variants') widens every block and label backdrop to at least
    its room; the drawing is the same, the space around it as a document with those rooms has.
    """
    speak = speaker(doc)
    blocks = Blocks(speak, least=rooms.blocks if rooms else (), notes=rooms.notes if rooms else (),
                    tall=rooms.heights if rooms else ())
    if rooms and rooms.labels:
        doc = dataclasses.replace(doc, diagram=dataclasses.replace(doc.diagram, least=rooms.labels))
    who = _who(doc, blocks, head_width, measure) if head_width is not None else None

    def run(items: tuple[Any, ...]) -> list[Any]:
        return _blocks(items, measure, blocks)

    converted = _converted(doc, run)
    losses: Any = tuple((epoch, _inline(node, blocks)) for epoch, node in doc.losses)  # placeholders for the nodes
    pictures = {"network": blocks.reserve(labels(doc.diagram, px_per_em), overlap=True)}
    if doc.chart is not None:
        pictures["chart"] = blocks.reserve(chart(doc.chart, px_per_em), overlap=True)
        if doc.chart.broken:  # where its L axis starts, in the caption, with the comma after it: a batch's
            origin = doc.chart.origin  # wider room is then a wider space after the comma, not a gap before it
            pictures["origin"] = _number(blocks, f"{origin},", "muted", spoken=origin)
    prepared = dataclasses.replace(converted, losses=losses)
    tables = _tables(doc, blocks) if any(isinstance(item, Figure) for section in _sections(doc)
                                         for item in section.items) else None
    return prepared, {"blocks": blocks.boxes, "pictures": pictures, "speak": speak, "who": who, "tables": tables}


def _tables(doc: DocumentModel, blocks: Blocks) -> tuple[WeightTable, ...]:
    """The network's weight tables (for screen readers, after the picture) with each number a block: they differ
    between variants. Reserved last, in the tables' reading order, so that a PDF's blocks are all known before its
    HTML is written (a batch measures its rooms from them alone)."""
    return tuple(dataclasses.replace(table, rows=tuple(
        (unit, tuple(_number(blocks, weight) for weight in weights), _number(blocks, bias))
        for unit, weights, bias in table.rows)) for table in doc.diagram.tables)


def _number(blocks: Blocks, number: str, fill: str = "ink", spoken: str | None = None) -> Markup:
    """A number in a line of text as a block on its baseline, in the colour role `fill`, spoken as written
    (or as `spoken`)."""
    typeset = _line(mathbox.text(number), "regular")
    if fill != "ink":
        typeset = typeset._replace(items=tuple(run._replace(fill=fill) for run in flatten(typeset)
                                               if isinstance(run, mathbox.Run)))
    return blocks.reserve(padded(typeset, 0.0), lower=typeset.depth, alt=number if spoken is None else spoken)


def _line(box: Box, face: str) -> Box:
    """`box` as tall and deep as a line of text in `face`, whatever its letters: the same room for every variant."""
    font = mathbox.face(face)
    return box._replace(height=font.ascent, depth=-font.descent)


WHO_COLOUR, HEAD_COLOUR = "who", "muted"  # the header line's #444 and the running head's #555 (screen.css, print.css)
HEAD_LINE = 1.18  # em: the running head's line, normal line height of the italic face (ascent 0.93 + descent 0.25)


def _who(doc: DocumentModel, blocks: Blocks, head_width: float, measure: float) -> Markup | None:
    """The placeholder of `doc.who` in the header's line, its running head reserved as a `Head`; None
    when there is no one to name, the shipped fonts cannot print it, or it is longer than a line
    (`measure` em; one block cannot wrap): WeasyPrint lays it out then, as before."""
    from tracegen.render.pdf.finisher import Head
    from tracegen.render.pdf.fonts import PROSE

    if not doc.who or not mathbox.printable(doc.who, "italic"):
        return None
    line = _line(mathbox.prose(mathbox.text(doc.who, "italic"), WHO_COLOUR, PROSE), "italic")
    if line.width > measure:
        return None
    name_line = "\u2003Name: ______________" if doc.is_worksheet and not doc.student else ""
    head = mathbox.wrapped(f"{doc.kind_label} · {doc.who}{name_line}", "italic", head_width, HEAD_LINE)
    blocks.boxes.append(Head(mathbox.prose(head, HEAD_COLOUR, PROSE)))
    return blocks.reserve(padded(line, 0.0), lower=line.depth, alt=doc.who)


def _converted(doc: DocumentModel, convert: Any) -> DocumentModel:
    """`doc` with the items of every section passed through `convert`."""
    return dataclasses.replace(doc, givens=_section(doc.givens, convert), forward=_section(doc.forward, convert),
                               example=_section(doc.example, convert), gradients=_section(doc.gradients, convert),
                               epochs=tuple(_section(s, convert) for s in doc.epochs))


def _section(section: Section, convert: Any) -> Section:
    return dataclasses.replace(section, items=tuple(convert(section.items)))


WIDE = 0.8  # of the measure: an equation set this wide or wider may overflow a browser's page


def _displays(items: Iterable[Any], measure: float, phone: float | None) -> list[Any]:
    out = []
    for item in items:
        if isinstance(item, Eq):
            laid = mathbox.lines(item.items, measure)
            width = mathbox.display(laid, measure).width
            narrow = _hanging(mathbox.lines(item.items, phone)) if phone is not None and width > phone else None
            phone_wide = (narrow is not None and phone is not None
                          and mathbox.display(narrow, phone).width > WIDE * phone)
            item = Display(laid, item.notes, wide=width > WIDE * measure, phone=narrow, phone_wide=phone_wide)
        out.append(item)
    return out


def _hanging(laid: Lines) -> Lines:
    """Lines for a phone: the left side opens the first line, and the lines after it start at the margin with
    their relation (aligned under the first relation, a wide matrix would not fit beside the left side)."""
    (left, first), *rest = laid.rows
    opening = first if left is None else Row((*_items(left), *_items(first)))
    return Lines(((None, opening), *rest))


def _items(node: Node) -> tuple[Node, ...]:
    return node.items if isinstance(node, Row) else (node,)


def _blocks(items: Iterable[Any], measure: float, blocks: Blocks) -> list[Any]:
    """Runs of display equations as one block each; inline maths in paragraphs as blocks of their own; the
    grader notes after an item (its equation's, then the notes that follow it) as one `NoteRoom`.

    A run ends at a notes' room (the notes follow their equation) and before it would grow taller
    than STACK_LIMIT em, so it still fits a page.
    """
    out: list[Any] = []
    run: list[Box] = []
    spoken: list[str] = []

    def close() -> None:
        if run:
            out.append(Block(blocks.reserve(padded(stacked(run)), alt=". ".join(spoken))))
            run.clear()
            spoken.clear()

    for item, notes in _slots(items):
        if item is None:
            pass
        elif not isinstance(item, Eq):
            close()
            out.append(_para(item, blocks) if isinstance(item, Para) else item)
        else:
            laid = mathbox.equation(item.items, measure)
            if run and stacked([*run, laid]).depth > STACK_LIMIT:
                close()
            run.append(laid)
            spoken.append(blocks.speak(Row(item.items)))
        index = blocks.slot
        blocks.slot += 1
        box = note_box(notes, measure) if notes else None
        height = max(box.depth if box else 0.0, blocks.notes[index] if index < len(blocks.notes) else 0.0)
        if height > 0:  # spoken as one formula: the notes' words, their maths spoken ("": an empty room)
            close()
            alt = " ".join("".join(p if isinstance(p, str) else blocks.speak(p) for p in n.parts) for n in notes)
            out.append(NoteRoom(blocks.reserve(Box(measure, 0.0, height, box.items if box else ()), alt=alt)))
    close()
    return out


def _slots(items: Iterable[Any]) -> Iterator[tuple[Any, tuple[Para, ...]]]:
    """Each item that is not a grader note (None first: the section's start), with the notes after it: an
    equation's own, then the note paragraphs that follow it. Every variant of a spec has the same items."""
    item: Any = None
    notes: list[Para] = []
    for each in items:
        if isinstance(each, Para) and each.note:
            notes.append(each)
            continue
        yield item, tuple(notes)
        item, notes = each, list(each.notes) if isinstance(each, Eq) else []
    yield item, tuple(notes)


def note_rooms(doc: DocumentModel, measure: float) -> tuple[float, ...]:
    """The height (em) of the room the PDF of `doc` needs for the grader notes after each item (`_slots`, in
    document order), 0 where there are none: a batch's keys share one layout with their tallest (`Rooms`)."""
    return tuple(note_box(notes, measure).depth if notes else 0.0
                 for section in _sections(doc) for _, notes in _slots(section.items))


NOTE_SIZE, NOTE_LINE = 0.9, 1.45  # screen.css's .note: font size (em), and the body's line height (its em)
NOTE_INDENT, NOTE_BAR, NOTE_PAD, NOTE_GAP = 2.0, 0.2, 0.6, 0.15  # .note's margin-left, border, padding (em)
NOTE_SPACE = 0.8  # em between two notes after one item (.note's .6em bottom and .2em top margins)


@lru_cache(maxsize=1024)  # as `speaking`: each variant's notes are set for measuring, then for rendering
def note_box(notes: tuple[Para, ...], measure: float) -> Box:
    """Grader notes typeset as screen.css sets `.note` (indented, a bar on the left, smaller, brown), one below
    the other in a block of the text width `measure` (its top edge its baseline): the PDF finisher draws them."""
    from tracegen.render.pdf.fonts import PROSE

    items: list[Placed | Rect] = []
    y = 0.0
    left = NOTE_INDENT + NOTE_BAR + NOTE_PAD
    for number, note in enumerate(notes):
        y -= NOTE_SPACE if number else 0.0
        text = mathbox.paragraph(_words(note.parts, PROSE), measure - left, NOTE_LINE * NOTE_SIZE)
        height = text.depth + 2 * NOTE_GAP
        items.append(Rect(NOTE_INDENT, y - height, NOTE_BAR, height, "notebar"))
        items.append(Placed(left, y - NOTE_GAP, text))
        y -= height
    return Box(measure, 0.0, -y, tuple(items))


def _words(parts: Sequence[Any], marker: str) -> list[Box]:
    """A note's text and inline maths as words at the note's size: spaces part them, nothing else (maths
    and the punctuation after it stay one word, as the HTML keeps them on one line)."""
    words: list[list[Box]] = [[]]
    for part in parts:
        if isinstance(part, str):
            for number, piece in enumerate(part.split(" ")):
                if number:
                    words.append([])
                if piece:
                    words[-1].append(mathbox.prose(mathbox.text(piece, "regular", NOTE_SIZE), "note", marker))
        else:
            words[-1].append(mathbox.prose(_scaled(mathbox.box(part)), "note", ""))  # maths keeps its faces
    return [mathbox.hlist(word) for word in words if word]


def _scaled(box: Box) -> Box:
    """`box` at the note's size."""
    return Box(box.width * NOTE_SIZE, box.height * NOTE_SIZE, box.depth * NOTE_SIZE,
               (Placed(0.0, 0.0, box, NOTE_SIZE),))


def without_notes(doc: DocumentModel) -> DocumentModel:
    """`doc` without its grader notes: the structure a batch's keys share, whichever notes each has."""
    def strip(items: tuple[Any, ...]) -> list[Any]:
        return [dataclasses.replace(item, notes=()) if isinstance(item, Eq) else item for item in items
                if not (isinstance(item, Para) and item.note)]

    return _converted(doc, strip)


def _sections(doc: DocumentModel) -> list[Section]:
    """`doc`'s sections in the order `_converted` prepares them."""
    return [doc.givens, doc.forward, doc.example, doc.gradients, *doc.epochs]


def _para(para: Para, blocks: Blocks) -> Para:
    return dataclasses.replace(para, parts=tuple(p if isinstance(p, str) else _inline(p, blocks) for p in para.parts))


def _inline(node: Node, blocks: Blocks) -> Markup:
    """Inline maths for the PDF: a block whose baseline sits on the text's."""
    typeset = mathbox.box(node)
    return blocks.reserve(padded(typeset, 0.0), lower=typeset.depth, alt=blocks.speak(node))


def chart(picture: diagram.Chart, px_per_em: float) -> Box:
    """The loss chart for the PDF, drawn whole by the finisher over its room, as the HTML's SVG draws it: ticks,
    axes, the line, its points, the value labels' backdrops (opaque: they sit clear of every line), the labels.

    Every one of them depends on the losses (the L axis's ticks and start, the points, where each value fits),
    so the HTML WeasyPrint lays out keeps only the chart's room: every key of a batch shares one layout.
    """
    def em(points: Iterable[tuple[int, int]]) -> tuple[tuple[float, float], ...]:
        return tuple((x / px_per_em, -y / px_per_em) for x, y in points)

    axis, line = picture.axis_width / px_per_em, picture.line_width / px_per_em
    shapes: list[Line | Disc | Rect] = [Line(em(((x1, y1), (x2, y2))), axis, "muted")
                                        for x1, y1, x2, y2 in picture.ticks]
    shapes += [Line(em(picture.corners), axis, "muted"), Line(em(picture.points), line, "weight")]
    shapes += [Disc(x / px_per_em, -y / px_per_em, picture.dot_radius / px_per_em, "weight") for x, y in picture.dots]
    shapes += [Rect(left / px_per_em, -(top + height) / px_per_em, width / px_per_em, height / px_per_em, "paper")
               for left, top, width, height in (label.rect for label in picture.labels if label.backdrop)]
    texts = labels(picture, px_per_em)
    return texts._replace(items=(*shapes, *texts.items))


def labels(picture: Any, px_per_em: float) -> Box:
    """A picture's labels (diagram.Label) for the PDF, drawn over its SVG shapes by the finisher.

    WeasyPrint lays out and draws SVG text letter by letter, which cost about a tenth of a
    document; the placeholder overlaps the picture exactly (print.css aligns both at the top).
    """
    placed = [(label.x, label.y, label.size, label.colour, label.parts) for label in picture.labels]
    return mathbox.labels(placed, picture.width, picture.height, px_per_em)
