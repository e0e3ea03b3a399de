"""One exporter per output format, as nbconvert has: each owns its preparation, template and page.

Markdown and HTML lay display equations out in lines for the screen's text width
(`prepare.for_screen`), and the HTML again for a phone's. The PDF is the HTML laid out by
WeasyPrint: every piece of maths is typeset in Python and reserved as a block the finisher
draws (`prepare.for_print`), and the text width is the printed page's.
"""

from __future__ import annotations

from typing import Any

from tracegen.choices import PAPERS
from tracegen.document import DocumentModel
from tracegen.layout import (
    HEAD_CLEAR_MM,
    HEAD_PT,
    HEAD_SHARE,
    PAPER_TOP_MM,
    PAPER_WIDTH_MM,
    PHONE_MEASURE,
    PRINT_FONT_PT,
    PRINT_MARGINS_MM,
    SCREEN_MEASURE,
    print_measure,
)
from tracegen.render import prepare
from tracegen.render.environment import font_faces, font_parts, jinja_environment, stylesheet
from tracegen.render.pdf.paper import Sheet
from tracegen.render.prepare import Rooms
from tracegen.render.typeset.boxes import Box

PX_PER_EM = PRINT_FONT_PT * 96 / 72  # the size of an em in CSS px: places the PDF's picture labels


class Exporter:
    """Markdown: a document model -> the text of one format, and the typeset blocks the PDF finisher draws."""

    name = "md"
    template = "md/index.md.j2"
    environment = "md"  # which Jinja environment (and filters) the template runs in
    phone: float | None = None  # the text width (em) of a second layout for phones (HTML)

    def measure(self, paper: str) -> float:
        """The text width in em where display equations wrap."""
        return SCREEN_MEASURE

    def page(self, paper: str, doc: DocumentModel | None = None) -> dict[str, Any]:
        """What a template needs besides the document: format, CSS, fonts, paper size and text width."""
        return {"format": self.name, "css": stylesheet(mathml=False), "fonts": font_faces(embed=False),
                "paper": PAPERS[paper], "measure": self.measure(paper), "px_per_em": PX_PER_EM}

    def prepare(self, doc: DocumentModel, page: dict[str, Any]) -> tuple[DocumentModel, dict[str, Any]]:
        laid = prepare.for_screen(doc, page["measure"], self.phone)
        return laid, {"blocks": [], "pictures": {}, "speak": prepare.speaker(doc), "who": None, "tables": None}

    def markup(self, doc: DocumentModel, paper: str = "a4", form: str | None = None,
               rooms: Rooms | None = None, sheet: Sheet | None = None) -> tuple[str, list[Box | Sheet]]:
        """The document's text and its typeset blocks; `form` (PDF) a fillable worksheet's code; `rooms` the PDF's
        least room sizes. `sheet` (PDF) makes a paper-ready worksheet: room for the QR code in the HTML, and the
        sheet as the last block, for the finisher (`pdf.paper`: its pages get a QR code and registration marks)."""
        prepared, page = self.typeset(doc, paper, form, rooms, sheet)
        text = jinja_environment(self.environment).get_template(self.template).render(doc=prepared, page=page)
        return text, [*page["blocks"], *([sheet] if sheet is not None else [])]

    def typeset(self, doc: DocumentModel, paper: str = "a4", form: str | None = None, rooms: Rooms | None = None,
                sheet: Sheet | None = None) -> tuple[DocumentModel, dict[str, Any]]:
        """What `markup` writes its text from: the prepared document, and the page (its typeset blocks too)."""
        room = {"top": f"{PAPER_TOP_MM:g}", "head": f"{HEAD_CLEAR_MM:g}"}  # the page's room for the QR code (mm)
        page = {**self.page(paper, doc), "form": form, "rooms": rooms,
                "paper_ready": room if sheet is not None else None}
        prepared, extra = self.prepare(doc, page)
        page.update(extra)
        return prepared, page


class HtmlExporter(Exporter):
    """A self-contained HTML page: MathML with its font, CSS and fonts inlined."""

    name = "html"
    template = "html/index.html.j2"
    environment = "html"
    phone = PHONE_MEASURE

    def page(self, paper: str, doc: DocumentModel | None = None) -> dict[str, Any]:
        """As for Markdown, with the MathML stylesheet and the fonts embedded: with the parts of them that
        the document's title and student name need (`environment.font_parts`)."""
        parts = font_parts(doc.title, doc.student or "") if doc is not None else ()
        return {**super().page(paper), "css": stylesheet(mathml=True), "fonts": font_faces(True, parts)}


class PdfExporter(HtmlExporter):
    """The HTML WeasyPrint lays out, every piece of maths reserved as a block the finisher draws."""

    name = "pdf"

    def measure(self, paper: str) -> float:
        return print_measure(paper)

    def page(self, paper: str, doc: DocumentModel | None = None) -> dict[str, Any]:
        text = PAPER_WIDTH_MM[paper] - PRINT_MARGINS_MM[1] - PRINT_MARGINS_MM[3]
        head = HEAD_SHARE * text / (HEAD_PT * 25.4 / 72)  # em of the head's type
        return {**Exporter.page(self, paper), "format": self.name, "head_width": head}

    def prepare(self, doc: DocumentModel, page: dict[str, Any]) -> tuple[DocumentModel, dict[str, Any]]:
        return prepare.for_print(doc, page["measure"], page["px_per_em"], page["head_width"], page["rooms"])


EXPORTERS: dict[str, Exporter] = {exporter.name: exporter for exporter in (Exporter(), HtmlExporter(), PdfExporter())}
