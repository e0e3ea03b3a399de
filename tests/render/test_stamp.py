"""A batch's PDFs can share one layout: whose copy it is drawn by the finisher, rooms widened to a batch's widest.

Checked on real variants of Class 3: the header names the variant as searchable text on every
page, a widened room leaves its drawing as it was (at the room's left), and two variants given
their widest rooms give the same worksheet HTML to lay out but for what WeasyPrint never lays out
differently (the formulas' spoken text) and the screen readers' weight tables (still per variant).
"""

from __future__ import annotations

import io
import re
from importlib import resources

import pypdf
import pytest

from tracegen.batching.run import Options, plan
from tracegen.document import build
from tracegen.engine.trace import trace
from tracegen.render import markup, render_documents
from tracegen.render.documents import pdf_rooms
from tracegen.render.pdf.finisher import Head, Overlay, formulas
from tracegen.render.pdf.writer import write_pdf
from tracegen.render.prepare import Rooms
from tracegen.spec.model import load_spec


@pytest.fixture(scope="module")
def variants() -> list:
    spec = load_spec(str(resources.files("tracegen").joinpath("examples", "class3.yaml")))
    return [trace(job.variant.spec, variant=job.variant.id) for job in plan(spec, Options(count=2))]


def _laid_out(html: str) -> str:
    """The HTML without what differs between variants yet is not laid out differently (spoken text), and
    without the screen readers' weight tables (hidden, but laid out: still per variant)."""
    html = re.sub(r' aria-label="[^"]*"', "", html)
    return re.sub(r'<div class="sr-only">.*?</div>', "", html, flags=re.S)


def test_the_header_names_the_variant_as_text_on_every_page(variants: list) -> None:
    variant = variants[0].variants[0]
    pdf = render_documents(variants[0], ("worksheet",), ("pdf",), student="Zoë Ångström")[("worksheet", "pdf")]
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    head = f"Worksheet · Variant {variant} · Zoë Ångström"
    assert len(pages) > 1
    assert all(head in text for text in pages)  # the running head, every page; the header line on page 1
    assert pages[0].count(f"Variant {variant}") == 2
    html = markup(build(variants[0], "worksheet", "Zoë Ångström"), "pdf")[0]
    assert variant not in _laid_out(html) and "Ångström" not in _laid_out(html)  # only in the header's spoken text


def test_a_widened_room_keeps_its_drawing_at_its_left(variants: list) -> None:
    doc = build(variants[0], "key", None)
    html, blocks = markup(doc, "pdf")
    room = pdf_rooms(variants[0], ("key",))["key"]
    wider = Rooms(tuple(width + 1.5 for width in room.blocks), room.labels)
    html2, blocks2 = markup(doc, "pdf", rooms=wider)
    for block, widened, least in zip(blocks, blocks2, wider.blocks, strict=True):
        if isinstance(block, Head):  # the running head: no room, drawn in the margin
            assert widened == block
            continue
        assert widened.items == block.items  # the same drawing, from the same left edge
        assert widened.width == pytest.approx(max(block.width, least))
    overlay = Overlay(blocks2, formulas(html2))
    write_pdf(html2, blocks2, overlay=overlay)
    equation = next(i for i, b in enumerate(blocks2) if i in overlay.maths and b.width > 10)
    assert overlay.drawn[equation][0].width == pytest.approx(blocks2[equation].width * 10.5, rel=1e-3)


def test_variants_with_their_widest_rooms_give_one_worksheet_layout(variants: list) -> None:
    rooms = [pdf_rooms(t, ("worksheet",))["worksheet"] for t in variants]
    widest = rooms[0].widest(rooms[1])
    assert widest is not None and rooms[0] != rooms[1]  # the variants' numbers differ in width
    own = [_laid_out(markup(build(t, "worksheet", None), "pdf")[0]) for t in variants]
    shared = [_laid_out(markup(build(t, "worksheet", None), "pdf", rooms=widest)[0]) for t in variants]
    assert own[0] != own[1]
    assert shared[0] == shared[1]
