"""The PDF layout cache (issue 23): a kept layout gives the same bytes as a fresh one and never imports
WeasyPrint; damaged, foreign or outdated entries are misses; writers may race; the cache stays bounded.

How much time it saves is measured in benchmarks/bench_startup.py, not here.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import pypdf
import pytest
from click.testing import CliRunner
from documents import class3_trace

import tracegen
from tracegen.assets import static_dir
from tracegen.cli import cli
from tracegen.document import build
from tracegen.render import markup, render_documents
from tracegen.render.documents import TAGGED
from tracegen.render.pdf import layouts, writer
from tracegen.render.pdf.finisher import descriptions, formulas
from tracegen.render.pdf.loader import weasyprint
from tracegen.render.pdf.process import CAN_FORK, PdfProcess
from tracegen.render.pdf.writer import write_pdf

# children run beside the package this process imports (installed, or the checkout), as `python -c` puts
# its working folder first: the cache key names tracegen's own files
HERE = Path(tracegen.__file__).resolve().parents[1]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TRACEGEN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, list]]:
    trace = class3_trace()
    return [markup(build(trace, kind), "pdf") for kind in ("worksheet", "key")]


@pytest.fixture(scope="module")
def fresh(texts: list[tuple[str, list]]) -> list[bytes]:
    """The PDFs laid out without the cache."""
    return [write_pdf(html, blocks) for html, blocks in texts]


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.layout"))


def no_layout(*args: object, **kwargs: object) -> None:
    raise AssertionError("laid out again, although the layout was cached")


@pytest.mark.parametrize("variant", [None, "pdf/ua-1"])
def test_a_cached_layout_gives_the_bytes_of_a_fresh_one(cache_dir, texts, variant, monkeypatch) -> None:
    fresh = [write_pdf(html, blocks, pdf_variant=variant) for html, blocks in texts]
    assert not cache_dir.exists()  # without `cache`, nothing is kept
    assert [write_pdf(html, blocks, pdf_variant=variant, cache=True) for html, blocks in texts] == fresh
    assert len(entries(cache_dir)) == 2
    monkeypatch.setattr(writer, "_lay_out", no_layout)
    assert [write_pdf(html, blocks, pdf_variant=variant, cache=True) for html, blocks in texts] == fresh
    assert [writer.cached_pdf(html, blocks, variant) for html, blocks in texts] == fresh


def test_the_key_is_the_html_and_the_options(texts) -> None:
    html = texts[0][0]
    keys = {layouts.key(html, None, False), layouts.key(html + " ", None, False),
            layouts.key(html, "pdf/ua-1", False), layouts.key(html, None, True)}
    assert len(keys) == 4
    assert layouts.key(html, None, False) == layouts.key(html, None, False)


def test_a_render_from_the_cache_never_imports_weasyprint(cache_dir, tmp_path, fresh) -> None:
    """With WeasyPrint missing, `render --to pdf` succeeds from a filled cache, and fails with --no-cache."""
    render = ["render", "--to", "pdf", "--untagged"]
    assert CliRunner().invoke(cli, [*render, "-o", str(tmp_path / "first")]).exit_code == 0
    assert len(entries(cache_dir)) == 2
    probe = "import sys\nsys.modules['weasyprint'] = None  # not installed\nfrom tracegen.cli import main\nmain()\n"
    out = subprocess.run([sys.executable, "-c", probe, *render, "-o", str(tmp_path / "out")], cwd=HERE,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert [(tmp_path / "out" / f"class3-{kind}.pdf").read_bytes() for kind in ("worksheet", "key")] == fresh
    out = subprocess.run([sys.executable, "-c", probe, "render", "--to", "pdf", "--untagged", "--no-cache", "-o",
                          str(tmp_path / "again")], cwd=HERE, capture_output=True, text=True)
    assert out.returncode == 1
    assert "PDF output needs WeasyPrint" in out.stderr


def test_no_cache_neither_reads_nor_fills_the_cache(cache_dir, tmp_path, fresh) -> None:
    result = CliRunner().invoke(cli, ["render", "--to", "pdf", "--untagged", "--no-cache", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert not cache_dir.exists()
    assert [(tmp_path / "out" / f"class3-{kind}.pdf").read_bytes() for kind in ("worksheet", "key")] == fresh


def damaged(data: bytes) -> list[bytes]:
    """An entry cut short, with a byte changed, under another format's header, and empty."""
    flipped = bytearray(data)
    flipped[-10] ^= 0xFF
    return [data[: len(data) // 2], bytes(flipped), data.replace(layouts.FORMAT, b"tracegen-layout 0\n", 1), b""]


def test_a_damaged_entry_is_a_miss_removed_and_replaced(cache_dir, texts, fresh) -> None:
    html, blocks = texts[1]
    write_pdf(html, blocks, cache=True)
    (path,) = [p for p in entries(cache_dir) if p.stem == layouts.key(html, None, False)]
    good = path.read_bytes()
    for bad in damaged(good):
        path.write_bytes(bad)
        assert layouts.load(path.stem) is None
        assert not path.exists()
        assert write_pdf(html, blocks, cache=True) == fresh[1]
        assert path.read_bytes() == good


class Planted:
    """What an edited cache file could hold: unpickling it would create `marker`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_an_entry_holding_anything_but_pdf_objects_is_refused(cache_dir, tmp_path) -> None:
    marker = tmp_path / "ran"
    body = zlib.compress(pickle.dumps(Planted(marker)))
    cache_dir.mkdir()
    path = cache_dir / "planted.layout"
    path.write_bytes(layouts.FORMAT + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    assert layouts.load("planted") is None
    assert not marker.exists()
    assert not path.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libraries are read from /proc/self/maps")
def test_an_entry_laid_out_by_other_text_libraries_is_a_miss(cache_dir, texts, tmp_path) -> None:
    html, blocks = texts[0]
    write_pdf(html, blocks, cache=True)
    name = layouts.key(html, None, False)
    layout = layouts.load(name)
    assert layout is not None
    assert any("libpango" in path for path, _, _ in layout.libraries)
    library = tmp_path / "libpango-1.0.so.0"
    library.write_bytes(b"one version")
    layout.libraries += ((str(library), *layouts._identity(str(library))),)
    layouts.store(name, layout)
    assert layouts.load(name) is not None
    library.write_bytes(b"an upgraded version")
    assert layouts.load(name) is None


def test_writers_racing_on_one_entry_leave_a_whole_entry(cache_dir, texts, fresh) -> None:
    """Readers see a whole entry or none while four writers replace it; no temporary file is left."""
    html, blocks = texts[0]
    name = layouts.key(html, None, False)
    write_pdf(html, blocks, cache=True)
    layout_bytes = (cache_dir / f"{name}.layout").read_bytes()
    stop = time.monotonic() + 1.0
    errors: list[BaseException] = []

    def write() -> None:
        try:
            while time.monotonic() < stop:
                layouts.store(name, pickle.loads(zlib.decompress(layout_bytes[len(layouts.FORMAT) + 65:])))  # noqa: S301
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    seen = 0
    while time.monotonic() < stop:
        if (layout := layouts.load(name)) is not None:
            seen += 1
            assert layouts.finish(layout, writer.Overlay(blocks, formulas(html)), writer._identifier(html)) == fresh[0]
    for thread in threads:
        thread.join()
    assert not errors
    assert seen > 0
    assert [p.name for p in cache_dir.iterdir()] == [f"{name}.layout"]


def test_the_cache_keeps_the_recently_used_under_its_bound(tmp_path) -> None:
    now = time.time()
    for age in range(10):  # entry-0 the newest
        path = tmp_path / f"entry-{age}.layout"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (now - age * 60, now - age * 60))
    for name, age in ((".tmp-stale", 2 * layouts.STALE_SECONDS), (".tmp-writing", 0)):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (now - age, now - age))
    layouts.trim(tmp_path, limit=20_000)
    assert len(entries(tmp_path)) == 10  # under the bound: nothing removed
    layouts.trim(tmp_path, limit=5000)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-writing", "entry-0.layout", "entry-1.layout",
                                                          "entry-2.layout"]


def test_a_layout_that_cannot_be_kept_is_skipped(cache_dir) -> None:
    """What does not pickle (a WeasyPrint object left in a stream, say) is not kept; the render goes on."""
    layouts.store("unpicklable", layouts.Layout(pdf=lambda: None, anchors=[], version=None))
    assert not (cache_dir / "unpicklable.layout").exists()


@pytest.mark.skipif(not CAN_FORK, reason="the layout process is used on Linux only")
def test_the_layout_process_lays_out_only_what_is_not_cached(cache_dir, texts, fresh) -> None:
    write_pdf(*texts[0], cache=True)  # the worksheet cached, the key not
    done: list[int] = []
    with PdfProcess.start() as process:
        assert process.write_pdfs(iter(texts), processes=2, progress=done.append, cache=True) == fresh
    assert sum(done) == 2
    assert len(entries(cache_dir)) == 2  # the layout process kept the key's


@pytest.mark.parametrize("processes", [1, 2])
def test_cached_documents_are_finished_without_weasyprint(cache_dir, texts, fresh, processes) -> None:
    """write_pdfs (a batch worker's and the no-fork path) imports WeasyPrint for no cached document."""
    for html, blocks in texts:
        write_pdf(html, blocks, cache=True)
    probe = ("import pickle, sys\nsys.modules['weasyprint'] = None  # not installed\n"
             "from tracegen.render.pdf.writer import write_pdfs\n"
             "texts = pickle.load(sys.stdin.buffer)\n"
             f"sys.stdout.buffer.write(pickle.dumps(write_pdfs(iter(texts), processes={processes}, cache=True)))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=HERE, input=pickle.dumps(texts), capture_output=True,
                         check=True)
    assert pickle.loads(out.stdout) == fresh  # noqa: S301 - our own subprocess


def test_a_render_that_found_its_layouts_cached_starts_no_layout_process(cache_dir, tmp_path, fresh,
                                                                        monkeypatch) -> None:
    """The note a render leaves lets the next one skip the layout process; a wrong note (its layouts trimmed
    since) costs time only: the same bytes."""
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["render", "--to", "pdf", "--untagged", "-o", str(out)]).exit_code == 0
    assert len(list(cache_dir.glob("*.note"))) == 1

    def no_process(cls: object) -> None:
        raise AssertionError("a layout process was started")

    monkeypatch.setattr("tracegen.render.pdf.process.PdfProcess.start", classmethod(no_process))
    for layout in entries(cache_dir):
        for _ in range(2):  # with the layouts cached, then without them
            (out / "class3-key.pdf").unlink()
            result = CliRunner().invoke(cli, ["render", "--to", "pdf", "--untagged", "-o", str(out)])
            assert result.exit_code == 0, result.output
            assert [(out / f"class3-{kind}.pdf").read_bytes() for kind in ("worksheet", "key")] == fresh
            layout.unlink(missing_ok=True)
    result = CliRunner().invoke(cli, ["render", "--to", "pdf", "--untagged", "--paper", "letter", "-o", str(out)])
    assert result.exit_code != 0  # another render has no note: it starts the layout process


@pytest.mark.parametrize("variant", [None, TAGGED])
def test_every_pdf_is_the_bytes_weasyprint_itself_writes(texts, fresh, variant, monkeypatch) -> None:
    """Taking the layout at the finisher hook and writing it here (`layouts._write`, not pydyf's writer) changes
    no byte of WeasyPrint's own PDF, untagged or tagged, its streams compressed at `layouts.LEVEL` (pydyf's: 9)."""
    import pydyf

    module = weasyprint()
    monkeypatch.setattr(pydyf, "zlib", SimpleNamespace(compressobj=lambda level: zlib.compressobj(layouts.LEVEL)))
    for (html, blocks), untagged in zip(texts, fresh, strict=True):
        ours = write_pdf(html, blocks, pdf_tags=True, pdf_variant=variant) if variant else untagged
        document = module.HTML(string=html, base_url=str(static_dir()) + "/", url_fetcher=writer._fetcher())
        theirs = document.write_pdf(font_config=writer.font_config(), pdf_identifier=writer._identifier(html),
                                    pdf_tags=bool(variant), pdf_variant=variant,
                                    finisher=writer.Overlay(blocks, formulas(html), descriptions(html)))
        assert bytes(theirs) == ours


def test_a_fillable_worksheet_from_the_cache_keeps_its_form(cache_dir) -> None:
    """The form's code travels in the HTML's metadata, which the finisher reads from the kept layout."""
    trace = class3_trace()
    fresh = render_documents(trace, ("worksheet",), ("pdf",), fillable=True)[("worksheet", "pdf")]
    for _ in range(2):  # laid out and kept, then read back
        cached = render_documents(trace, ("worksheet",), ("pdf",), fillable=True, cache=True)
        assert cached[("worksheet", "pdf")] == fresh
    assert pypdf.PdfReader(io.BytesIO(fresh)).get_fields()  # a form with its fields


def test_every_stream_a_pdf_compresses_is_zlib_at_the_level_chosen(fresh) -> None:
    """The page contents, object, cross-reference and ToUnicode streams and the font programs are each exactly
    zlib's output at `layouts.LEVEL` (not pydyf's 9): the same bytes every run, and each decompresses."""
    for pdf in fresh:
        found = 0
        for head in re.finditer(rb"<<((?:(?!>>\nstream\n).)*?)>>\nstream\n", pdf, re.S):
            if b"/FlateDecode" not in head[1]:
                continue
            length = int(re.search(rb"/Length (\d+)", head[1])[1])
            data = pdf[head.end():head.end() + length]
            assert zlib.compress(zlib.decompress(data), layouts.LEVEL) == data
            found += 1
        assert found >= 8  # a page's content, a font program, a ToUnicode, the object and cross-reference streams
