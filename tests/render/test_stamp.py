"""A batch's PDFs share one layout per shape: whose copy it is drawn by the finisher, rooms widened to the widest.

Checked on real variants of Class 3: the header names the variant as searchable text on every
page, a widened room leaves its drawing as it was (at the room's left), two variants given their
widest rooms give the same HTML to lay out but for what WeasyPrint never reads (the formulas'
spoken text), and a stamped PDF is, page by page, a single render of its variant with those rooms.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections import Counter
from importlib import resources
from pathlib import Path

import pypdf
import pytest

from tracegen.batching import stamping
from tracegen.batching.run import Options, _inline, plan
from tracegen.document import build
from tracegen.document.diagram import Chart
from tracegen.engine.trace import trace
from tracegen.layout import print_measure
from tracegen.render import exporters, markup, render_documents
from tracegen.render.documents import pdf_rooms
from tracegen.render.exporters import PX_PER_EM
from tracegen.render.pdf import finisher, layouts, writer
from tracegen.render.pdf.finisher import Head, Overlay, formulas
from tracegen.render.pdf.writer import write_pdf
from tracegen.render.prepare import Rooms, note_rooms, rooms_of
from tracegen.render.typeset.boxes import Run, flatten
from tracegen.spec.model import load_spec


@pytest.fixture(scope="module")
def variants() -> list:
    spec = load_spec(str(resources.files("tracegen").joinpath("examples", "class3.yaml")))
    return [trace(job.variant.spec, variant=job.variant.id) for job in plan(spec, Options(count=2))]


def _laid_out(html: str) -> str:
    """The HTML without what differs between variants yet is never laid out (the formulas' spoken text)."""
    return re.sub(r' aria-label="[^"]*"', "", html)


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
    room = pdf_rooms(variants[0], ("key",), notes={"key": note_rooms(doc, print_measure("a4"))})["key"][0]
    wider = Rooms(tuple(width + 1.5 for width in room.blocks), room.labels, room.notes)
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
    rooms = [pdf_rooms(t, ("worksheet",))["worksheet"][0] for t in variants]
    widest = rooms[0].widest(rooms[1])
    assert widest is not None and rooms[0] != rooms[1]  # the variants' numbers differ in width
    own = [_laid_out(markup(build(t, "worksheet", None), "pdf")[0]) for t in variants]
    shared = [_laid_out(markup(build(t, "worksheet", None), "pdf", rooms=widest)[0]) for t in variants]
    assert own[0] != own[1]
    assert shared[0] == shared[1]


def _pixels(pdf: bytes, folder: Path, name: str) -> list[bytes]:
    """Every page at 150 dpi (pdftoppm), as PNG bytes."""
    (folder / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(folder / f"{name}.pdf"), str(folder / name)], check=True)
    return [path.read_bytes() for path in sorted(folder.glob(f"{name}-*.png"))]


def _numbers(text: str) -> Counter:
    return Counter(re.findall(r"−?\d+(?:\.\d+)?", text.replace("-", "−")))


@pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None, reason="needs poppler")
def test_a_stamped_pdf_is_a_single_render_with_its_groups_rooms(variants: list, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = [(t.spec, t.variants[0], ("worksheet",), None, None) for t in variants]
    stamps = stamping.stamps(jobs, _inline)
    assert all("worksheet" in s for s in stamps) and stamps[0]["worksheet"] == stamps[1]["worksheet"]
    rooms = stamps[0]["worksheet"].rooms
    own = [pdf_rooms(t, ("worksheet",))["worksheet"][0] for t in variants]
    assert own[0] != own[1] and rooms != own[0] and rooms != own[1]  # the group's rooms are wider than either's
    laid: list[str] = []
    real = writer._lay_out
    monkeypatch.setattr(writer, "_lay_out", lambda *a: laid.append("laid") or real(*a))
    for index, (result, stamp) in enumerate(zip(variants, stamps, strict=True)):
        layouts.keep(*stamp["worksheet"].layout)
        try:
            stamped = render_documents(result, ("worksheet",), ("pdf",), rooms={"worksheet": rooms})
        finally:
            layouts.forget()
        assert laid == []  # drawn into the group's pages, nothing laid out
        single = render_documents(result, ("worksheet",), ("pdf",), rooms={"worksheet": rooms})
        assert laid == ["laid"]
        laid.clear()
        pages = _pixels(stamped[("worksheet", "pdf")], tmp_path, f"stamped{index}")
        assert len(pages) > 1 and pages == _pixels(single[("worksheet", "pdf")], tmp_path, f"single{index}")
        text = subprocess.run(["pdftotext", "-", "-"], input=stamped[("worksheet", "pdf")], capture_output=True,
                              check=True).stdout.decode()
        blocks = markup(build(result, "worksheet", None), "pdf", rooms=rooms)[1]
        drawn = " ".join(item.text for block in blocks if not isinstance(block, Head)
                         for item in flatten(block) if isinstance(item, Run))
        assert sum(_numbers(drawn).values()) > 20
        assert _numbers(drawn) - _numbers(text) == Counter()  # every number drawn reads back as text
        assert f"Variant {result.variants[0]}" in text


def test_a_variant_stamped_after_another_is_the_pdf_it_is_first(variants: list) -> None:
    """A process reads each content stream of a layout once (`finisher._plan`) and every later variant only
    draws its own blocks: the second variant stamped is, byte for byte, the PDF it is when stamped first."""
    jobs = [(t.spec, t.variants[0], ("worksheet",), None, None) for t in variants]
    stamp = stamping.stamps(jobs, _inline)[0]["worksheet"]

    def stamped(result: object) -> bytes:
        layouts.keep(*stamp.layout)
        try:
            return render_documents(result, ("worksheet",), ("pdf",), rooms={"worksheet": stamp.rooms})[
                ("worksheet", "pdf")]
        finally:
            layouts.forget()

    finisher._plan.cache_clear()
    first, second = (stamped(result) for result in variants)
    assert finisher._plan.cache_info().hits >= 2  # the second variant's pages were not read again
    finisher._plan.cache_clear()
    assert first != second and stamped(variants[1]) == second


def test_a_batchs_paper_ready_worksheets_are_laid_out_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paper-ready worksheets (cells, QR codes: the batch's default) share one layout too; each page still
    carries its own variant's code."""
    from tracegen.batching import run

    spec = load_spec(str(resources.files("tracegen").joinpath("examples", "class3.yaml")))
    jobs = plan(spec, Options(count=3, formats=("pdf",), kinds=("worksheet",)))
    assert jobs[0].paper is not None
    stamps = run._stamps([(job, tmp_path, None) for job in jobs], _inline)
    assert all("worksheet" in s for s in stamps) and len({s["worksheet"].layout[0] for s in stamps}) == 1
    laid: list[str] = []
    real = writer._lay_out
    monkeypatch.setattr(writer, "_lay_out", lambda *a: laid.append("laid") or real(*a))
    for job, stamp in zip(jobs, stamps, strict=True):
        run.produce(job, tmp_path, None, stamp)
    assert laid == []  # every worksheet drawn into the group's layout
    for job in jobs:
        positions = json.loads((tmp_path / job.variant.id / "worksheet.positions.json").read_text())
        assert positions["variant"] == job.variant.id
        assert all(page["code"].split()[2] == job.variant.id for page in positions["pages"])


@pytest.fixture(scope="module")
def noted() -> list:
    """Two Class 3 variants (of 30, seed 0) whose keys' grader notes sit after different equations."""
    spec = load_spec(str(resources.files("tracegen").joinpath("examples", "class3.yaml")))
    jobs = plan(spec, Options(count=30))
    return [trace(jobs[i].variant.spec, variant=jobs[i].variant.id) for i in (17, 25)]


def _slots(result: object) -> tuple[bool, ...]:
    return tuple(height > 0 for height in note_rooms(build(result, "key", None), print_measure("a4")))


def test_keys_measured_with_their_groups_notes_get_the_rooms_their_html_has(noted: list,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The second measure of a key (with its group's notes' rooms) writes no HTML: its rooms are those of the HTML
    it is then rendered from, every block there once (the weight tables' numbers too), and keys whose blocks and
    notes' rooms stand alike are told so."""
    heights = tuple(map(max, *(note_rooms(build(t, "key", None), print_measure("a4")) for t in noted)))
    written: list[str] = []
    real = exporters.Exporter.markup
    monkeypatch.setattr(exporters.Exporter, "markup", lambda *a, **k: written.append("html") or real(*a, **k))
    measured = [pdf_rooms(t, ("key",), notes={"key": heights})["key"] for t in noted]
    assert written == []
    for result, (rooms, _) in zip(noted, measured, strict=True):
        doc = build(result, "key", None)
        html, blocks = real(exporters.EXPORTERS["pdf"], doc, "a4", None, Rooms(notes=heights))
        assert rooms == rooms_of(doc, blocks, heights) and rooms.notes == heights
        ids = [int(found) for found in re.findall(r'id="tgm-(\d+)"', html)]
        assert sorted(ids) == [i for i, block in enumerate(blocks) if not isinstance(block, Head)]
        tables = re.search(r'<div class="sr-only">.*?</div>', html, re.S)
        assert tables is not None  # Class 3's 3-2-1 network: 6 + 2 + 2 + 1 numbers in its tables, the last blocks
        assert [int(i) for i in re.findall(r'id="tgm-(\d+)"', tables[0])] == list(range(len(blocks) - 11, len(blocks)))
    assert measured[0][1] == measured[1][1]  # the same order of blocks and rooms: one group
    assert measured[0][0].blocks != measured[1][0].blocks  # their own sizes, widened later


@pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None, reason="needs poppler")
def test_keys_with_other_notes_share_one_layout(noted: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _slots(noted[0]) != _slots(noted[1])  # one key has a note where the other has none
    stamps = stamping.stamps([(t.spec, t.variants[0], ("key",), None, None) for t in noted], _inline)
    assert all("key" in s for s in stamps) and stamps[0]["key"] == stamps[1]["key"]
    rooms = stamps[0]["key"].rooms
    assert tuple(h > 0 for h in rooms.notes) == tuple(map(max, *map(_slots, noted)))  # a room wherever either has notes
    laid: list[str] = []
    real = writer._lay_out
    monkeypatch.setattr(writer, "_lay_out", lambda *a: laid.append("laid") or real(*a))
    for index, result in enumerate(noted):
        layouts.keep(*stamps[index]["key"].layout)
        try:
            stamped = render_documents(result, ("key",), ("pdf",), rooms={"key": rooms})[("key", "pdf")]
        finally:
            layouts.forget()
        assert laid == []
        single = render_documents(result, ("key",), ("pdf",), rooms={"key": rooms})[("key", "pdf")]
        laid.clear()
        pages = _pixels(stamped, tmp_path, f"key{index}")
        assert len(pages) > 1 and pages == _pixels(single, tmp_path, f"single{index}")
        text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=stamped, capture_output=True,
                                       check=True).stdout.decode().split())
        doc = build(result, "key", None)
        blocks = markup(doc, "pdf", rooms=rooms)[1]
        drawn = " ".join(item.text for block in blocks if not isinstance(block, Head)
                         for item in flatten(block) if isinstance(item, Run))
        assert _numbers(drawn) - _numbers(text) == Counter()  # every number drawn, notes' too, reads back
        notes = [part for section in (doc.forward, *doc.epochs) for item in section.items
                 for para in (getattr(item, "notes", ()) or ((item,) if getattr(item, "note", False) else ()))
                 for part in para.parts if isinstance(part, str)]
        words = {word.strip(".,;:()") for part in notes for word in part.split()} - {""}
        assert len(words) > 10 and {word for word in words if word not in text} == set()


@pytest.fixture(scope="module")
def ten() -> list:
    """Ten Class 3 variants (seed 0): their charts' ticks, points and labels, drawn from their losses, differ."""
    spec = load_spec(str(resources.files("tracegen").joinpath("examples", "class3.yaml")))
    return [trace(job.variant.spec, variant=job.variant.id) for job in plan(spec, Options(count=10))]


_WEIGHT = rb"0\.105882 0\.309804 0\.541176 RG"  # the chart's line: #1b4f8a
_LINE = re.compile(_WEIGHT + rb" [0-9.]+ w 0 J 0 j 4 M\n((?:[0-9.-]+ [0-9.-]+ [ml] ?)+)S")


def _chart_line(pdf: bytes) -> list[float]:
    """The points of the line stroked in the chart's colour (em in its block, y down), read from the PDF's pages."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        found = [m[1] for page in document.pages for m in _LINE.finditer(page.Contents.read_bytes())]
    assert len(found) == 1
    return [float(v) for v in found[0].split() if v not in (b"m", b"l")]  # x, y, x, y, …


def _figures(pdf: bytes) -> list[str]:
    """The Alt of each Figure of a tagged PDF, in document order."""
    import pikepdf

    def walk(node: pikepdf.Object) -> list[str]:
        kids = node.get("/K")
        out = []
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]) if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                out += [str(kid.get("/Alt", ""))] if kid.S == "/Figure" else []
                out += walk(kid)
        return out

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return walk(document.Root.StructTreeRoot)


def _says_its_own_chart(pdf: bytes, chart: Chart) -> list[float]:
    """Check that `pdf`'s chart is `chart`: the line through its points, its labels and caption as text, its
    description as the Figure's Alt; the line's points."""
    line = _chart_line(pdf)
    assert line == pytest.approx([v / PX_PER_EM for point in chart.points for v in point], abs=1e-4)
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                   check=True).stdout.decode().split())
    for label in chart.labels:  # ticks (the L axis's from its losses), epochs, each point's loss
        assert label.text in text
    caption = f"the L axis starts at {chart.origin}, not at 0"
    assert caption in text if chart.broken else "starts at" not in text
    assert _figures(pdf)[1] == chart.description  # the losses, spoken: this key's, not the layout's
    assert f"epoch 1, {chart.losses[0]}" in chart.description
    return line


@pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None, reason="needs poppler")
def test_a_batchs_keys_share_one_layout_each_chart_drawn_from_its_own_losses(
        ten: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loss chart is drawn by the finisher, so ten keys whose losses differ are one layout; each stamped
    key's chart is its own: the line through its own points, its own tick and value labels, its own description;
    and the stamped key is, as pixels, a single render of it with the group's rooms."""
    charts = [build(t, "key", None).chart for t in ten]
    assert len({chart.losses for chart in charts}) > 3 and len({chart.polyline for chart in charts}) > 3
    stamps = stamping.stamps([(t.spec, t.variants[0], ("key",), None, None) for t in ten], _inline)
    assert all("key" in s for s in stamps) and len({s["key"].layout[0] for s in stamps}) == 1  # one layout
    rooms = stamps[0]["key"].rooms
    laid: list[str] = []
    real = writer._lay_out
    monkeypatch.setattr(writer, "_lay_out", lambda *a: laid.append("laid") or real(*a))
    ticks = [{label.text for label in chart.labels if label.colour == "muted"} for chart in charts]  # axes' labels
    other = next(i for i, chart in enumerate(charts) if chart.polyline != charts[0].polyline and ticks[i] != ticks[0])
    lines = []
    for index in (0, other):
        layouts.keep(*stamps[index]["key"].layout)
        try:
            stamped = render_documents(ten[index], ("key",), ("pdf",), rooms={"key": rooms})[("key", "pdf")]
        finally:
            layouts.forget()
        assert laid == []  # drawn into the group's pages
        single = render_documents(ten[index], ("key",), ("pdf",), rooms={"key": rooms})[("key", "pdf")]
        laid.clear()
        assert _pixels(stamped, tmp_path, f"chart{index}") == _pixels(single, tmp_path, f"chartsingle{index}")
        lines.append(_says_its_own_chart(stamped, charts[index]))
    assert lines[0] != lines[1]
