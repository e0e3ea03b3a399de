"""PDF specifics: real text, pages, paper sizes, running heads, metadata, no overflow.

WeasyPrint is a runtime dependency: these tests never skip.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import pypdf
import pytest
from documents import ALL, DEEP, class3_documents, class3_trace, pdf_text, spec_trace
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont
from test_render import SLIDE_NUMBERS

import tracegen
from tracegen.assets import FONTS, HTML_PARTS, static_dir
from tracegen.document import build
from tracegen.fontmetrics import METRICS, face, measure
from tracegen.layout import PRINT_MARGINS_MM
from tracegen.render import markup, render_documents
from tracegen.render.pdf import sfnt
from tracegen.render.pdf.writer import _fetcher, font_config

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


TOP_MM, BOTTOM_MM = PRINT_MARGINS_MM[0], PRINT_MARGINS_MM[2]  # the @page margins


def page_fill(page: pypdf.PageObject) -> float:
    """How far down the text area a page's text reaches (0: empty, 1: full), running head and foot left out."""
    top, bottom = float(page.mediabox.height) - TOP_MM / 25.4 * 72, BOTTOM_MM / 25.4 * 72
    lines: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        y = pypdf.mult(tm, cm)[5]
        if text.strip() and bottom < y < top:
            lines.append(y)

    page.extract_text(visitor_text=visit)
    return (top - min(lines, default=top)) / (top - bottom)


@pytest.mark.parametrize("name", ["class3", "tanh", "softmax"])
def test_no_page_but_the_last_is_nearly_empty(name: str) -> None:
    """Epochs follow on (a page per epoch left pages 23 % full: the overflow of an epoch's updates), the
    worksheet's loss table is gone (it repeated blanks), so every page but the last is well used."""
    trace = class3_trace() if name == "class3" else spec_trace(name)
    documents = class3_documents() if name == "class3" else render_documents(trace, ALL[0], ("pdf",))
    for kind in ALL[0]:
        fills = [page_fill(page) for page in reader(documents[(kind, "pdf")]).pages]
        assert min(fills[:-1]) >= 0.6, (kind, [round(f, 2) for f in fills])


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


# Run in a fresh process: argv[1] "harfbuzz" (as installed) or "fonttools" (WeasyPrint's fallback, forced). Writes
# the worksheet PDF, then after a NUL line the same for a student named argv[2]; fails if the fontTools path was
# asked for and not taken.
FRESH_PROCESS = """
import sys
import weasyprint.pdf.fonts as fonts
import tracegen
from tracegen.render import render_documents
subset_by_fonttools = []
if sys.argv[1] == "fonttools":
    fonts.harfbuzz_subset = None  # as on a machine without libharfbuzz-subset
    original = fonts.Font._fonttools_subset
    def spy(font, *args):
        subset_by_fonttools.append(font.family)
        return original(font, *args)
    fonts.Font._fonttools_subset = spy
trace = tracegen.trace(tracegen.load_example())
pdfs = [render_documents(trace, ("worksheet",), ("pdf",), student=name)[("worksheet", "pdf")]
        for name in (None, sys.argv[2])]
assert sys.argv[1] != "fonttools" or subset_by_fonttools, "WeasyPrint did not take its fontTools path"
sys.stdout.buffer.write(b"%d\\n" % len(pdfs[0]) + pdfs[0] + pdfs[1])
"""


def fresh_pdfs(path: str, student: str) -> tuple[bytes, bytes]:
    out = subprocess.run([sys.executable, "-c", FRESH_PROCESS, path, student], capture_output=True,
                         check=True).stdout
    size, rest = out.split(b"\n", 1)
    return rest[:int(size)], rest[int(size):]


@pytest.mark.slow
def test_pdfs_are_byte_identical_across_processes_times_and_font_subsetters() -> None:
    """WeasyPrint subsets fonts with HarfBuzz, or with fontTools (which stamps the time) when libharfbuzz-subset
    is missing: fresh processes, a second apart, on either path, write the same bytes as this one."""
    names = "Αλέξανδρος Ķēniņš Nguyễn Ґалина (s1)"  # drawn by the shipped faces, which tracegen cuts itself
    runs = []
    for path in ("harfbuzz", "fonttools", "fonttools"):
        runs.append(fresh_pdfs(path, names))
        time.sleep(1.1)
    assert runs[0][0] == runs[1][0] == runs[2][0] == class3_documents()[("worksheet", "pdf")]
    assert runs[0][1] == runs[1][1] == runs[2][1]


def test_pdf_fonts_are_the_html_fonts_and_their_metrics_are_measured_from_them() -> None:
    """The TTF/OTF file the PDF uses draws every character its HTML WOFF2 files (core and parts) draw, with the
    same outline and advance, and no other; metrics.json is what `measure` reads from it."""
    metrics = json.loads((static_dir() / "fonts" / METRICS).read_text())
    parts = json.loads((static_dir() / "fonts" / HTML_PARTS).read_text())
    for woff2, sfnt_name, *_ in FONTS:
        pdf_font = TTFont(str(static_dir() / "fonts" / sfnt_name))
        assert pdf_font.flavor is None
        assert json.loads(json.dumps(measure(pdf_font))) == metrics[sfnt_name]
        files = [woff2, *(name for name in parts if name.split(".")[0] == woff2.split(".")[0])]
        pdf_cmap, drawn = pdf_font.getBestCmap(), set()
        for name in files:
            html_font = TTFont(str(static_dir() / "fonts" / name))
            assert html_font.flavor == "woff2"
            cmap = html_font.getBestCmap()
            if name != woff2:  # a part: exactly the code points it is declared for
                assert set(cmap) == {c for first, last in parts[name] for c in range(first, last + 1)}
            for code, glyph in cmap.items():
                assert _outline(html_font, glyph) == _outline(pdf_font, pdf_cmap[code]), f"{name}: U+{code:04X}"
            drawn |= set(cmap)
        assert drawn == set(pdf_cmap)


def _outline(font: TTFont, glyph: str) -> tuple[int, list]:
    """A glyph's advance and drawing (components resolved), to compare glyphs across fonts."""
    glyph_set = font.getGlyphSet()
    pen = DecomposingRecordingPen(glyph_set)
    glyph_set[glyph].draw(pen)
    return font["hmtx"][glyph][0], pen.value


def test_a_font_subset_keeps_the_chosen_glyphs_and_their_ids_and_empties_the_rest() -> None:
    regular = face("regular")
    keep = {regular.glyph_id(c) for c in "x⁽²⁾"}  # the script glyphs are composites of other glyphs
    out = sfnt.subset(regular.sfnt, keep)
    font, source = TTFont(io.BytesIO(out), checkChecksums=2), TTFont(io.BytesIO(regular.sfnt))
    glyf, order = font["glyf"], font.getGlyphOrder()
    assert order == source.getGlyphOrder() and "GSUB" not in font and "fpgm" not in font
    components = {c.glyphName for gid in keep for c in getattr(source["glyf"][order[gid]], "components", [])}
    assert components  # ⁽ ² ⁾ are built from (, 2, )
    for gid, name in enumerate(order):
        if gid in keep or name in components or gid == 0:
            assert glyf[name].getCoordinates(glyf)[0] == source["glyf"][name].getCoordinates(source["glyf"])[0]
            assert glyf[name].numberOfContours == source["glyf"][name].numberOfContours
            assert font["hmtx"][name] == source["hmtx"][name]
        else:
            assert glyf[name].numberOfContours == 0, name
            assert font["hmtx"][name] == (0, 0), name  # the PDF gives the widths: unused metrics are zeros


def test_a_face_read_before_is_cut_as_a_face_read_anew() -> None:
    """`sfnt.subset` keeps what it read of a face for the next cut (a batch cuts the same faces again and again):
    each cut must be the one a cold start makes, whatever was cut before it."""
    regular = face("regular")
    sets = [{regular.glyph_id(c) for c in text} for text in ("x⁽²⁾", "0123456789.−", "Wx⁽²⁾ ")]
    cold = []
    for keep in sets:
        sfnt._parsed.cache_clear()
        cold.append(sfnt.subset(regular.sfnt, keep))
    assert len(set(cold)) == 3
    assert [sfnt.subset(regular.sfnt, keep) for keep in [*sets, *reversed(sets)]] == [*cold, *reversed(cold)]


def test_a_font_without_its_date_has_valid_checksums() -> None:
    font = TTFont(io.BytesIO(face("italic").sfnt))
    font["head"].created, font["head"].modified = 3000000000, 3900000000
    stamped = io.BytesIO()
    font.save(stamped)
    out = TTFont(io.BytesIO(sfnt.undated(stamped.getvalue())), checkChecksums=2)
    assert out["head"].modified == out["head"].created == 3000000000
    assert sfnt.undated(sfnt.undated(stamped.getvalue())) == sfnt.undated(stamped.getvalue())
