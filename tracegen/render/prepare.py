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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from tracegen.document import DocumentModel, diagram
from tracegen.document.blanks import blanks as blanks_of
from tracegen.document.model import Eq, Para, Section
from tracegen.maths.speech import speech
from tracegen.maths.tree import Lines, Node, Row
from tracegen.render.typeset import boxes as mathbox
from tracegen.render.typeset.boxes import STACK_LIMIT, Box, padded, stacked

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
    """Display equations typeset as one PDF block: its placeholder, then the last one's notes."""

    placeholder: Markup
    notes: tuple[Para, ...]
    kind: str = "block"


@dataclass(frozen=True)
class Rooms:
    """The least sizes of a PDF's rooms, so that variants of a batch give the same HTML (one layout): each
    block's width (em, in document order) and the diagram's labels' widths (em, `Diagram.labels` order)."""

    blocks: tuple[float, ...] = ()
    labels: tuple[float, ...] = ()

    def widest(self, other: Rooms) -> Rooms | None:
        """The rooms holding both; None when they are not rooms of the same document structure."""
        if len(self.blocks) != len(other.blocks) or len(self.labels) != len(other.labels):
            return None
        return Rooms(tuple(map(max, self.blocks, other.blocks)), tuple(map(max, self.labels, other.labels)))


def rooms_of(doc: DocumentModel, blocks: Sequence[Any]) -> Rooms:
    """The rooms a PDF of `doc` whose typeset blocks are `blocks` (`for_print`) needs."""
    return Rooms(tuple(getattr(block, "width", 0.0) for block in blocks),
                 tuple(diagram.measure(label.parts)[0] for label in doc.diagram.labels))


@dataclass
class Blocks:
    """The PDF's typeset blocks in document order; `reserve` hands out each one's placeholder, the block
    widened to its room in `least` (drawn at the room's left)."""

    speak: Callable[[Node], str]
    boxes: list[Box | Head] = field(default_factory=list)  # a Head: the running head, no placeholder
    least: tuple[float, ...] = ()

    def reserve(self, block: Box, overlap: bool = False, lower: float | None = None,
                alt: str | None = None) -> Markup:
        """`block`'s placeholder; `alt` is its maths spoken (none for a picture's labels)."""
        from tracegen.render.pdf.finisher import placeholder

        index = len(self.boxes)
        if index < len(self.least) and self.least[index] > block.width:
            block = block._replace(width=self.least[index])
        self.boxes.append(block)
        return placeholder(len(self.boxes) - 1, block, overlap, lower, alt)


def speaker(doc: DocumentModel) -> Callable[[Node], str]:
    """The document's maths in words (`tracegen.maths.speech`); a worksheet's blanks by their number
    in its reading order, as the exports number them (`document.blanks`)."""
    numbers = {blank.id: number for number, blank in enumerate(blanks_of(doc), start=1)}
    return partial(speech, blanks=numbers)


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
    blocks = Blocks(speak, least=rooms.blocks if rooms else ())
    if rooms and rooms.labels:
        doc = dataclasses.replace(doc, diagram=dataclasses.replace(doc.diagram, least=rooms.labels))
    who = _who(doc, blocks, head_width, measure) if head_width is not None else None

    def run(items: tuple[Any, ...]) -> list[Any]:
        return _blocks(items, measure, blocks)

    converted = _converted(doc, run)
    losses: Any = tuple((epoch, _inline(node, blocks)) for epoch, node in doc.losses)  # placeholders for the nodes
    pictures = {"network": blocks.reserve(labels(doc.diagram, px_per_em), overlap=True)}
    if doc.chart is not None:
        pictures["chart"] = blocks.reserve(labels(doc.chart, px_per_em), overlap=True)
    prepared = dataclasses.replace(converted, losses=losses)
    return prepared, {"blocks": blocks.boxes, "pictures": pictures, "speak": speak, "who": who,
                      "cell": partial(_cell, blocks)}


def _cell(blocks: Blocks, number: str) -> Markup:
    """A number of the screen readers' weight tables (hidden, but laid out) as a block: its text is per variant."""
    typeset = _line(mathbox.text(number), "regular")
    return blocks.reserve(padded(typeset, 0.0), lower=typeset.depth, alt=number)


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
    """Runs of display equations as one block each; inline maths in paragraphs as blocks of their own.

    A run ends at grader notes (they follow their equation) and before it would grow taller
    than STACK_LIMIT em, so it still fits a page.
    """
    out: list[Any] = []
    run: list[Box] = []
    spoken: list[str] = []

    def close(notes: tuple[Para, ...] = ()) -> None:
        if run:
            placeholder = blocks.reserve(padded(stacked(run)), alt=". ".join(spoken))
            out.append(Block(placeholder, tuple(_para(n, blocks) for n in notes)))
            run.clear()
            spoken.clear()

    for item in items:
        if not isinstance(item, Eq):
            close()
            out.append(_para(item, blocks) if isinstance(item, Para) else item)
            continue
        laid = mathbox.equation(item.items, measure)
        if run and stacked([*run, laid]).depth > STACK_LIMIT:
            close()
        run.append(laid)
        spoken.append(blocks.speak(Row(item.items)))
        if item.notes:
            close(item.notes)
    close()
    return out


def _para(para: Para, blocks: Blocks) -> Para:
    return dataclasses.replace(para, parts=tuple(p if isinstance(p, str) else _inline(p, blocks) for p in para.parts))


def _inline(node: Node, blocks: Blocks) -> Markup:
    """Inline maths for the PDF: a block whose baseline sits on the text's."""
    typeset = mathbox.box(node)
    return blocks.reserve(padded(typeset, 0.0), lower=typeset.depth, alt=blocks.speak(node))


def labels(picture: Any, px_per_em: float) -> Box:
    """A picture's labels (diagram.Label) for the PDF, drawn over its SVG shapes by the finisher.

    WeasyPrint lays out and draws SVG text letter by letter, which cost about a tenth of a
    document; the placeholder overlaps the picture exactly (print.css aligns both at the top).
    """
    placed = [(label.x, label.y, label.size, label.colour, label.parts) for label in picture.labels]
    return mathbox.labels(placed, picture.width, picture.height, px_per_em)
