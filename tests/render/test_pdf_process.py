"""A first `tracegen render --to pdf` is quick (issue 8) without changing a byte or leaving anything behind.

How: WeasyPrint is imported without `find_library`'s children (`weasyprint_loader`), PDFs
are laid out side by side in forked copies (`render.pdf.write_pdfs`), and the command line
starts a layout process before its own imports (`pdf_process.PdfProcess`). Checked here:
the same bytes as one `write_pdf` per document, in order; an error in a copy is the same
error here; a copy that dies is a RenderError; stopping early leaves no process and no
scratch folder; and the import starts no process. The time saved is measured in
benchmarks/bench_startup.py, not here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from documents import class3_trace

from tracegen.cli import cli
from tracegen.document import build
from tracegen.errors import RenderError
from tracegen.maths.tree import Ident
from tracegen.render import markup
from tracegen.render.pdf.process import CAN_FORK, PdfProcess
from tracegen.render.pdf.writer import write_pdf, write_pdfs
from tracegen.render.typeset.boxes import equation

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="forked layout is used on Linux only")


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, list]]:
    trace = class3_trace()
    return [markup(build(trace, kind), "pdf") for kind in ("worksheet", "key")]


@pytest.fixture(scope="module")
def one_by_one(texts: list[tuple[str, list]]) -> list[bytes]:
    return [write_pdf(html, blocks) for html, blocks in texts]


@pytest.fixture(autouse=True)
def no_process_left() -> Iterator[None]:
    """Every process a test starts has ended when it ends (other tests' may live on: a browser, say)."""
    before = children()
    yield
    assert children() <= before


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this test (and of its forks) go in its own folder, so other processes' don't count."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def scratch_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir()}


def children() -> set[int]:
    """This process's live (not zombie) children."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.add(int(status.parent.name))
    return found


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_side_by_side_pdfs_are_the_bytes_of_one_at_a_time_in_order(texts, one_by_one, processes) -> None:
    before = scratch_folders()
    assert write_pdfs(iter(texts * 2), processes=processes) == one_by_one * 2
    assert scratch_folders() == before


def test_the_layout_process_gives_the_same_bytes_and_counts_the_documents(texts, one_by_one) -> None:
    before = scratch_folders()
    done = []
    with PdfProcess.start() as process:
        assert process.write_pdfs(iter(texts), processes=2, progress=done.append) == one_by_one
    assert sum(done) == 2
    assert scratch_folders() == before


def broken_document() -> tuple[str, list]:
    """A block with no placeholder in the HTML: the finisher must refuse it (pdfmath)."""
    return "<p>No placeholder here.</p>", [equation((Ident("x"),), 40.0)]


def test_an_error_in_a_forked_copy_is_the_same_error_here(texts) -> None:
    with pytest.raises(RenderError, match="placeholder|block") as here:
        write_pdf(*broken_document())
    with pytest.raises(RenderError) as forked:
        write_pdfs(iter([broken_document(), texts[0]]), processes=2)
    assert str(forked.value) == str(here.value)
    with pytest.raises(RenderError) as served, PdfProcess.start() as process:
        process.write_pdfs(iter([texts[0], broken_document()]), processes=2)
    assert str(served.value) == str(here.value)


def test_a_copy_that_dies_is_a_render_error_not_a_hang(texts, monkeypatch) -> None:
    monkeypatch.setattr("tracegen.render.pdf.writer.write_pdf", lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(RenderError, match="ended before sending"), PdfProcess.start() as process:
        process.write_pdfs(iter(texts), processes=1)


def test_stopping_early_ends_the_layout_process_and_removes_its_scratch_folder(texts) -> None:
    before = scratch_folders()

    def failing():
        yield texts[0]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), PdfProcess.start() as process:
        process.write_pdfs(failing(), processes=2)
    assert scratch_folders() == before


def test_a_bad_spec_rendered_to_pdf_exits_2_and_leaves_no_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("network: {layers: []}\n")
    before = scratch_folders()
    result = CliRunner().invoke(cli, ["render", str(bad), "--to", "pdf", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()
    assert scratch_folders() == before


def test_importing_weasyprint_starts_no_process() -> None:
    """ctypes.util.find_library runs ldconfig, gcc and ld for every library name that does not open
    (about 90 processes); the loader opens the sonames directly."""
    probe = (
        "import subprocess\n"
        "started = []\n"
        "real = subprocess.Popen.__init__\n"
        "def spy(self, args, *a, **k):\n"
        "    started.append(args)\n"
        "    real(self, args, *a, **k)\n"
        "subprocess.Popen.__init__ = spy\n"
        "from tracegen.render.pdf.loader import weasyprint\n"
        "weasyprint().HTML(string='<p>x</p>').write_pdf()\n"
        "import ctypes.util\n"
        "assert ctypes.util.find_library.__module__ == 'ctypes.util'  # restored\n"
        "print(len(started))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0"]
    plain = subprocess.run([sys.executable, "-c", probe.replace(
        "from tracegen.render.pdf.loader import weasyprint\nweasyprint()", "import weasyprint\nweasyprint")],
        capture_output=True, text=True, check=True)
    assert int(plain.stdout) > 0  # the probe sees the search when it happens


def test_without_weasyprint_a_pdf_render_says_so_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    """The layout process's import error reaches the user as one line, exit 1, and no file (not even the Markdown)."""
    monkeypatch.setenv("TRACEGEN_CACHE_DIR", str(tmp_path / "empty-cache"))  # a cached layout needs no WeasyPrint
    probe = ("import sys\nsys.modules['weasyprint'] = None  # not installed\n"
             "from tracegen.cli import main\nmain()\n")
    out = subprocess.run([sys.executable, "-c", probe, "render", "--to", "md,pdf", "-o", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.startswith("tracegen: error: PDF output needs WeasyPrint and its Pango libraries")
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_where_it_cannot_fork_the_command_lays_the_pdfs_out_itself(tmp_path: Path, one_by_one, monkeypatch) -> None:
    """Off Linux `PdfProcess.start` gives None (WeasyPrint's import preloaded in a thread instead): the same PDFs."""
    monkeypatch.setattr("tracegen.render.pdf.process.CAN_FORK", False)
    monkeypatch.setattr("tracegen.render.pdf.writer.CAN_FORK", False)
    result = CliRunner().invoke(cli, ["render", "--to", "pdf", "--untagged", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert [(tmp_path / "out" / f"class3-{kind}.pdf").read_bytes() for kind in ("worksheet", "key")] == one_by_one


def test_scratch_left_by_a_killed_render_is_swept_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """kill -9 of `render --to pdf` left tracegen-pdf-* in TMPDIR (7 of 8 times): the next render removes
    the folders of processes that no longer run, and only those."""
    from tracegen.render.pdf import scratch

    tmp_path = tmp_path / "sweep"
    tmp_path.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"tracegen-pdf-{gone.pid}-abc"
    alive = tmp_path / f"tracegen-pdf-{os.getpid()}-def"
    other = tmp_path / "tracegen-pdf-notapid"
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "font.ttf").write_bytes(b"x")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with scratch.temporary() as made:
        assert Path(made).parent == tmp_path and Path(made).name.startswith(f"tracegen-pdf-{os.getpid()}-")
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name, Path(made).name])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name])
