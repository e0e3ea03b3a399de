"""The PDF finisher (`pdfmath.Overlay`): every block drawn exactly once, where WeasyPrint laid out its placeholder.

Checked three ways: against WeasyPrint's public `Page.anchors` of the placeholder ids, by
reading the written PDF back with pypdf (the maths' text sits inside those boxes; in a tagged
PDF inside marked content that the structure tree calls a Formula, a picture's labels inside
its artifact), and on hand-written
content streams that WeasyPrint does not write today (a fill not right after its rectangle,
other number formats, a path instead of a rectangle, form XObjects), where a dropped,
doubled or moved block must be a RenderError naming it.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pydyf
import pypdf
import pytest
from documents import DEEP, class3_trace, pdf_text
from pypdf.generic import ContentStream
from test_render import SLIDE_NUMBERS

import tracegen
from tracegen.document import build
from tracegen.errors import RenderError
from tracegen.fontmetrics import letters
from tracegen.layout import PRINT_FONT_PT
from tracegen.maths.tree import Ident, Num, Op
from tracegen.render import markup, render_documents
from tracegen.render.pdf.finisher import Drawn, Overlay, descriptions, formulas
from tracegen.render.pdf.writer import write_pdf
from tracegen.render.typeset.boxes import Box, equation

PT_PER_PX = 0.75


class Spy(Overlay):
    """The finisher, keeping the WeasyPrint document it finished (for its pages' anchors)."""

    def __call__(self, document: Any, pdf: Any) -> None:
        self.document = document
        super().__call__(document, pdf)


def pdf_html(trace: tracegen.Trace, kind: str) -> tuple[str, list[Box]]:
    """The HTML the PDF is made from, and the maths blocks its placeholders stand for."""
    return markup(build(trace, kind), "pdf")


def finished(trace: tracegen.Trace, kind: str, **options: Any) -> tuple[Spy, bytes]:
    html, blocks = pdf_html(trace, kind)
    spy = Spy(blocks, formulas(html))
    return spy, write_pdf(html, blocks, overlay=spy, **options)


def maths_text_positions(data: bytes) -> list[tuple[int, float, float, str]]:
    """(page, x, y from the top, text) of every text chunk in the maths' own fonts (BaseFont without a subset tag)."""
    out = []
    for number, page in enumerate(pypdf.PdfReader(io.BytesIO(data)).pages):
        height = float(page.mediabox.height)

        def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float, page: int = number,
                  height: float = height) -> None:
            if text.strip() and font is not None and "+" not in str(font.get("/BaseFont", "+")):
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                out.append((page, x, height - y, text))

        page.extract_text(visitor_text=visit)
    return out


@pytest.mark.parametrize("which", ["class3 key", "deep worksheet"])
def test_every_block_is_drawn_once_where_weasyprint_laid_out_its_placeholder(which: str) -> None:
    trace = class3_trace() if which == "class3 key" else tracegen.trace(tracegen.Spec.from_dict(DEEP))
    spy, data = finished(trace, which.split()[1])
    assert len(spy.blocks) > 10 and sorted(spy.drawn) == list(range(len(spy.blocks)))
    for index, places in spy.drawn.items():
        assert len(places) == 1, f"block {index} drawn {len(places)} times"
        place = places[0]
        x1, y1, *far = (v * PT_PER_PX for v in spy.document.pages[place.page].anchors[f"tgm-{index}"])
        assert (place.x, place.y) == (pytest.approx(x1, abs=0.01), pytest.approx(y1, abs=0.01)), index
        if far:  # WeasyPrint 70 gives the box's far corner too
            assert (place.width, place.height) == (pytest.approx(far[0] - x1, abs=0.01),
                                                   pytest.approx(far[1] - y1, abs=0.01))
    # The written PDF: each piece of maths text starts inside the box drawn for some block of its page (a maths
    # letter's glyph may start up to its move left of it, on its blank sidebearing: fontmetrics.letters).
    chunks = maths_text_positions(data)
    assert len(chunks) > 50
    moved = -min(letter.move for letter in letters().values()) * PRINT_FONT_PT
    for page, x, y, text in chunks:
        assert any(p.page == page and p.x - 0.5 - moved <= x <= p.x + p.width and p.y - 0.5 <= y <= p.y + p.height + 0.5
                   for [p] in spy.drawn.values()), f"{text!r} at ({x:.1f}, {y:.1f}) on page {page + 1} is in no block"


def structure(reader: pypdf.PdfReader) -> tuple[list[Any], dict[tuple[int, int], Any]]:
    """The tagged PDF's Formula elements, and its (page, MCID) -> structure element map (ParentTree)."""
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    formulas, todo = [], [root]
    while todo:
        node = todo.pop()
        kids = node.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict):
                if kid.get("/S") == "/Formula":
                    formulas.append(kid)
                todo.append(kid)
    nums = root["/ParentTree"]["/Nums"]
    parents = {}
    for i in range(0, len(nums), 2):
        entries = nums[i + 1].get_object()
        if isinstance(entries, list):
            parents.update({(int(nums[i]), mcid): ref.get_object() for mcid, ref in enumerate(entries)})
    return formulas, parents


@pytest.mark.parametrize("options", [{"pdf_tags": True}, {"pdf_variant": "pdf/ua-1"}])
def test_a_tagged_pdf_gives_every_block_as_a_formula_in_marked_content(options: dict[str, Any]) -> None:
    untagged, _ = finished(class3_trace(), "key")
    spy, data = finished(class3_trace(), "key", **options)
    assert spy.drawn == untagged.drawn  # tagging moves nothing
    reader = pypdf.PdfReader(io.BytesIO(data))
    elements, parents = structure(reader)
    assert len(elements) == len(spy.spoken) == len(spy.blocks) - 2  # all but the two pictures' labels
    assert sorted(str(f["/Alt"]) for f in elements) == sorted(alt for _, alt in spy.spoken)
    assert any("equals 1 over 1 plus e to the minus 2 is approximately 0.881" in str(f["/Alt"]) for f in elements)
    maths_shown = labels_shown = 0
    for number, page in enumerate(reader.pages):
        marks: list[Any] = []
        font = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator in (b"BDC", b"BMC"):
                mcid = operands[1].get("/MCID") if operator == b"BDC" and isinstance(operands[1], dict) else None
                marks.append((operands[0], mcid))
            elif operator == b"EMC":
                marks.pop()
            elif operator == b"Tf":
                font = operands[0]
            elif operator in (b"Tj", b"TJ") and str(font).startswith("/TGMath"):
                assert marks, "maths text outside marked content"
                if marks[-1][0] == "/Artifact":  # a picture's label: the picture's Alt describes it
                    labels_shown += 1
                    continue
                maths_shown += 1
                assert marks == [("/Formula", marks[-1][1])], "a formula drawn inside other marked content"
                assert parents[(number, int(marks[-1][1]))].get("/S") == "/Formula"
    assert maths_shown > 50 and labels_shown > 10
    text = pdf_text(data)
    assert [n for n in SLIDE_NUMBERS if n not in text] == []


def test_a_tagged_pdfs_figures_are_described_by_its_own_html_or_refused() -> None:
    """A Figure's Alt is set from the document's HTML (a batch's layout holds another key's chart description);
    a picture without its description is a RenderError, never a Figure left saying another key's losses."""
    html, blocks = pdf_html(class3_trace(), "key")
    described = descriptions(html)
    assert [alt.split(" ")[0] for alt in described] == ["Diagram", "Line"]  # the network, the loss chart
    assert "epoch 1, 0.127; epoch 2, 0.116; epoch 3, 0.106" in described[1]
    with pytest.raises(RenderError, match="1 pictures to describe, but 2 figures"):
        write_pdf(html, blocks, pdf_tags=True, overlay=Overlay(blocks, formulas(html), described[:1]))


# Hand-written content streams: the finisher on its own, with a page of 595 x 842 pt.
BLOCK = equation((Ident("x"), Op("=", "rel"), Num("1")), 40.0)
SCALE = 10.5  # pt per em
WIDTH, HEIGHT = BLOCK.width * SCALE, BLOCK.depth * SCALE
FLIP = b"1 0 0 -1 0 842 cm"  # WeasyPrint's pages: y down from the top, in points
MARK = b"0.003922 0 0 rg"  # rgb(1, 0, 0): block 0


def rect(x: float, y: float, width: float = WIDTH, height: float = HEIGHT) -> bytes:
    return f"{x} {y} {width} {height} re".encode()


def anchor(x: float, y: float) -> dict[str, tuple[float, ...]]:
    return {"tgm-0": (x / PT_PER_PX, y / PT_PER_PX, (x + WIDTH) / PT_PER_PX, (y + HEIGHT) / PT_PER_PX)}


def finish(ops: list[bytes], anchors: dict[str, tuple[float, ...]], forms: dict[str, list[bytes]] | None = None,
           blocks: tuple[Box, ...] = (BLOCK,)) -> tuple[Overlay, bytes]:
    """A one-page pydyf PDF with content `ops` (and form XObjects `forms`, each moved 100 pt down), finished."""
    pdf = pydyf.PDF()
    xobjects = pydyf.Dictionary()
    for name, form_ops in (forms or {}).items():
        form = pydyf.Stream(form_ops, pydyf.Dictionary({
            "Type": "/XObject", "Subtype": "/Form", "BBox": pydyf.Array([0, 0, 595, 842]),
            "Matrix": pydyf.Array([1, 0, 0, 1, 0, 100])}))
        pdf.add_object(form)
        xobjects[name] = form.reference
    resources = pydyf.Dictionary({"Font": pydyf.Dictionary(), "XObject": xobjects})
    pdf.add_object(resources)
    content = pydyf.Stream(ops)
    pdf.add_object(content)
    pdf.add_page(pydyf.Dictionary({"Type": "/Page", "Parent": pdf.pages.reference,
                                   "MediaBox": pydyf.Array([0, 0, 595, 842]), "Contents": content.reference,
                                   "Resources": resources.reference}))
    overlay = Overlay(blocks)
    overlay(SimpleNamespace(pages=[SimpleNamespace(anchors=anchors)], metadata=SimpleNamespace(custom={})), pdf)
    out = io.BytesIO()
    pdf.write(out)
    return overlay, out.getvalue()


@pytest.mark.parametrize("ops", [
    [FLIP, MARK, rect(100, 200), b"0.5 w", b"f"],  # the fill is not right after its rectangle
    [FLIP, b"0.0039216 0.0 0.0 rg", rect(100, 200), b"f*"],  # other number format, even-odd fill
    [FLIP, MARK, f"100 200 m {100 + WIDTH} 200 l {100 + WIDTH} {200 + HEIGHT} l 100 {200 + HEIGHT} l h f".encode()],
    [FLIP, b"q", MARK, rect(100, 200), b"W n", rect(100, 200), b"f", b"Q"],  # WeasyPrint's own way
], ids=["fill later", "number format", "path", "clip then fill"])
def test_a_placeholder_is_found_however_its_fill_is_written(ops: list[bytes]) -> None:
    overlay, data = finish(ops, anchor(100, 200))
    assert overlay.drawn == {0: [Drawn(0, pytest.approx(100), pytest.approx(200), pytest.approx(WIDTH),
                                       pytest.approx(HEIGHT))]}
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "\U0001d465" in text and "1" in text  # 𝑥 = 1, as text
    painted = [op for _, op in ContentStream(pypdf.PdfReader(io.BytesIO(data)).pages[0].get_contents(), None).operations
               if op in (b"f", b"f*")]
    assert painted == []  # the placeholder's fill is gone (and 𝑥 = 1 has no rule of its own)


def test_a_block_drawn_twice_is_refused_with_its_pages() -> None:
    with pytest.raises(RenderError, match=r"block 0 \(𝑥 = 1\): drawn 2 times, on pages 1, 1"):
        finish([FLIP, MARK, rect(100, 200), b"f", rect(100, 200), b"f"], anchor(100, 200))


def test_a_block_in_a_form_xobject_is_drawn_each_time_the_form_is() -> None:
    form = [MARK, rect(100, 100), b"f"]
    overlay, _ = finish([FLIP, b"/x0 Do"], anchor(100, 200), {"x0": form})
    assert [(p.page, round(p.x, 6), round(p.y, 6)) for p in overlay.drawn[0]] == [(0, 100, 200)]
    with pytest.raises(RenderError, match="drawn 2 times"):
        finish([FLIP, b"/x0 Do", b"/x0 Do"], anchor(100, 200), {"x0": form})


def test_a_block_not_where_its_placeholder_was_laid_out_is_refused() -> None:
    with pytest.raises(RenderError, match=r"block 0 .* drawn at \(100.00, 200.00\) pt on page 1, but its placeholder "
                                          r"is at \(100.00, 210.00\) pt on page 1"):
        finish([FLIP, MARK, rect(100, 200), b"f"], anchor(100, 210))


def test_a_placeholder_of_the_wrong_shape_or_number_is_refused() -> None:
    with pytest.raises(RenderError, match="block 0 .* on page 1: its placeholder is"):
        finish([FLIP, MARK, rect(100, 200, WIDTH, 2 * HEIGHT), b"f"], anchor(100, 200))
    with pytest.raises(RenderError, match="a placeholder numbers block 5, but there are 1 blocks"):
        finish([FLIP, b"0.003922 0 0.019608 rg", rect(100, 200), b"f"], anchor(100, 200))


def test_a_document_whose_placeholders_went_missing_is_refused() -> None:
    with pytest.raises(RenderError, match=r"block 0 \(𝑥\): not drawn: its placeholder is not in the PDF"):
        write_pdf("<p>No placeholder here.</p>", [equation((Ident("x"),), 40.0)])


def test_render_documents_makes_tagged_pdf_ua_unless_asked_not_to() -> None:
    data = render_documents(class3_trace(), ("worksheet",), ("pdf",))[("worksheet", "pdf")]
    reader = pypdf.PdfReader(io.BytesIO(data))
    elements, _ = structure(reader)
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert elements and b'pdfuaid:part="1"' in metadata  # PDF/UA-1 identification in the XMP metadata
    assert "/StructTreeRoot" not in pypdf.PdfReader(io.BytesIO(render_documents(
        class3_trace(), ("worksheet",), ("pdf",), tagged=False)[("worksheet", "pdf")])).trailer["/Root"]
