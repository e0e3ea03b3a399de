"""PDF specifics: real text, pages, paper sizes, running heads, metadata, no overflow.

WeasyPrint is a runtime dependency: these tests never skip.
"""

from __future__ import annotations

import io

import pypdf
from documents import ALL, DEEP, class3_documents, class3_trace, pdf_text
from test_render import SLIDE_NUMBERS

import tracegen
from tracegen.document import build
from tracegen.render import markup, render_documents
from tracegen.render.environment import static_dir
from tracegen.render.pdf import _fetcher, font_config

A4_WIDTH, LETTER_WIDTH = 595.28, 612.0


def reader(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def test_pdfs_are_pdfs_with_fixed_metadata() -> None:
    for kind in ALL[0]:
        data = class3_documents()[(kind, "pdf")]
        assert data.startswith(b"%PDF")
        meta = reader(data).metadata or {}
        assert "/CreationDate" not in meta and "/ModDate" not in meta
        assert meta.get("/Title", "").startswith("Class 3: Training by Hand")


def test_key_pdf_text_has_the_slides_numbers() -> None:
    text = pdf_text(class3_documents()[("key", "pdf")])
    assert [n for n in SLIDE_NUMBERS if n not in text] == []


def test_every_page_has_title_kind_and_page_number() -> None:
    pages = reader(class3_documents()[("worksheet", "pdf")]).pages
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert "Class 3: Training by Hand" in text and "Worksheet" in text
        assert f"page {number} of {len(pages)}" in text


def test_each_epoch_starts_a_page() -> None:
    pages = [p.extract_text() for p in reader(class3_documents()[("key", "pdf")]).pages]
    for epoch in (1, 2, 3):
        assert any(text.startswith(f"Epoch {epoch}\n") for text in pages)


def test_student_name_is_on_every_page() -> None:
    data = render_documents(class3_trace(), ("worksheet",), ("pdf",), student="Ada Lovelace")[("worksheet", "pdf")]
    assert all("Ada Lovelace" in page.extract_text() for page in reader(data).pages)


def test_a4_by_default_letter_on_request() -> None:
    assert abs(float(reader(class3_documents()[("key", "pdf")]).pages[0].mediabox.width) - A4_WIDTH) < 1
    letter = render_documents(class3_trace(), ("worksheet",), ("pdf",), paper="letter")[("worksheet", "pdf")]
    assert abs(float(reader(letter).pages[0].mediabox.width) - LETTER_WIDTH) < 1


def test_deep_batch_stays_inside_the_page() -> None:
    """No box of a 4-layer, 3-sample, 9-input network's documents reaches past the right margin.

    Checked on WeasyPrint's own layout of the very HTML that becomes the PDF.
    """
    import weasyprint

    for kind in ALL[0]:
        html, _ = markup(build(tracegen.trace(tracegen.Spec.from_dict(DEEP)), kind), "pdf")
        document = weasyprint.HTML(string=html, base_url=str(static_dir()) + "/", url_fetcher=_fetcher())
        document = document.render(font_config=font_config())
        for page in document.pages:
            root = page._page_box
            right = root.margin_width() - root.margin_right
            widest = max(box.position_x + box.margin_width() for box in root.descendants()
                         if box is not root and not isinstance(box, weasyprint.formatting_structure.boxes.MarginBox))
            assert widest <= right + 0.5, f"{kind}: a box ends at {widest:.0f}px, the text area at {right:.0f}px"
