"""The worksheet as HTML for a question on a learning platform: one writer of the document model.

Sections become headings, paragraphs `<p>` with inline maths, and every display equation a
table of lines, broken where the HTML documents break it (`render.mathbox.lines`, for the
screen page's width) and aligned on its relations. What a blank becomes is the platform's
choice, given as a function that writes one line's cells: a cloze field between pieces of
maths (Moodle) or a numbered box inside the maths (Canvas). How maths is written is the
platform's too (LaTeX for MathJax, MathML).

Text is escaped for HTML, and `{` `}` become character references, so no text (a title, a
sentence) can ever be read as a Moodle cloze field; the browser shows them as braces.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from functools import cache

from jinja2 import Template

from tracegen.document import DocumentModel, wording
from tracegen.document.model import Eq, Figure, Para, Working
from tracegen.layout import SCREEN_MEASURE
from tracegen.maths.tree import Blank, Matrix, Node, Row, walk
from tracegen.render.environment import jinja_environment
from tracegen.render.typeset.boxes import lines

Maths = Callable[[Node], str]
Cell = Callable[[Row], str]  # one part of an equation's line, as HTML
Item = str | Para | Eq | Figure  # a section title, or one of its items
TABLE = 'style="margin:.4em 0 .4em 1.5em"'  # short styles: a class of 500 variants is one file to upload
LEFT = 'style="text-align:right"'
SVG = ('<?xml version="1.0" encoding="UTF-8"?>\n{% import "html/macros.j2" as m with context %}'
       "{{ m.network_svg(doc.diagram, standalone=true) }}\n")


def text(value: str) -> str:
    """Plain text for HTML: escaped, with braces as character references (never a cloze field)."""
    return html.escape(value, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def items(doc: DocumentModel) -> Iterator[Item]:
    """The worksheet in reading order: each section's title, then its items. The loss table at the
    end is left out: it repeats the epochs' L, and each blank must be asked once."""
    for section in doc.sections:
        yield section.title
        yield from section.items


def block(item: Item, doc: DocumentModel, inline: Maths, cell: Cell, picture: str,
          blank_chars: int | None = None) -> str:
    """One item of the worksheet: a heading, a paragraph, the network's picture (its file at
    `picture`), or an equation (laid out with each blank `blank_chars` wide, when given)."""
    if isinstance(item, str):
        return f"<h4>{text(item)}</h4>"
    if isinstance(item, Para):
        return paragraph(item, inline)
    if isinstance(item, Eq):
        return equation(item.items, cell, blank_chars)
    if isinstance(item, Working):  # room to work is for paper; a quiz is answered on screen
        return ""
    if not isinstance(item, Figure):
        raise TypeError(f"no HTML for a document item {item!r}")
    if item.what != "network":  # the loss chart is the key's
        return ""
    return (f'<p><img src="{picture}" alt="{text(wording.text("lms_network"))}" width="{doc.diagram.width}" '
            f'height="{doc.diagram.height}" style="max-width:100%;height:auto"></p>')


def paragraph(para: Para, inline: Maths) -> str:
    return "<p>" + "".join(text(p) if isinstance(p, str) else inline(p) for p in para.parts) + "</p>"


def equation(nodes: tuple[Node, ...], cell: Cell, blank_chars: int | None = None) -> str:
    """A display equation as a table of lines: the left side, then each line's relation and terms.
    Lines break as in the HTML documents (for the screen page's width), with each blank as wide as
    `blank_chars` characters of handwriting when given (a platform's answer field)."""
    if blank_chars is not None:
        nodes = tuple(Matrix(tuple(tuple(Blank(blank_chars, c.id) if isinstance(c, Blank) else c for c in cells)
                                   for cells in node.rows), node.answer) if isinstance(node, Matrix) else node
                      for node in nodes)
    rows = []
    for left, right in lines(nodes, SCREEN_MEASURE).rows:
        rows.append(f"<tr><td {LEFT}>{cell(_flat(left)) if left is not None else ''}</td>"
                    f"<td>{cell(_flat(right))}</td></tr>")
    return f"<table {TABLE}>{''.join(rows)}</table>"


def pieces(line: Row) -> Iterator[Row | Matrix]:
    """A line cut at its answers: runs of maths (Rows) and, between them, the Matrix of each answer
    (a blank on its own comes as a 1x1 Matrix). Answers are whole items of an equation (`book.result`);
    one inside a formula would have no place to go, and is refused."""
    run: list[Node] = []
    for item in line.items:
        if isinstance(item, Blank) or isinstance(item, Matrix) and _holds_blanks(item):
            if run:
                yield Row(tuple(run))
                run = []
            yield item if isinstance(item, Matrix) else Matrix(((item,),), answer=True)
        elif any(isinstance(node, Blank) for node in walk(item)):
            raise ValueError(f"a blank inside a formula cannot become an answer field: {item!r}")
        else:
            run.append(item)
    if run:
        yield Row(tuple(run))


def _flat(node: Node) -> Row:
    """A line as one Row of its items (nested Rows spliced), as `cell` functions get it."""
    if not isinstance(node, Row):
        return Row((node,))
    return Row(tuple(item for part in node.items for item in _flat(part).items))


def _holds_blanks(matrix: Matrix) -> bool:
    return any(isinstance(cell, Blank) for cells in matrix.rows for cell in cells)


@cache
def _svg_template() -> Template:
    return jinja_environment("html").from_string(SVG)


def network_svg(doc: DocumentModel) -> bytes:
    """The network diagram as an SVG file: the HTML documents' picture (templates/html/macros.j2), on its own."""
    return _svg_template().render(doc=doc, page={"format": "svg", "pictures": {}}).encode("utf-8")
