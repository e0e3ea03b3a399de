"""A PDF layout process started before it is needed, so a first `tracegen render --to pdf` is quick.

A new process pays for its imports: WeasyPrint and tracegen's PDF machinery take about 0.4 s
of CPU before anything is laid out, and reading, tracing and writing the documents' HTML
takes about as long again. On one core these add up; here they overlap. The command line
forks a copy of itself before importing anything heavy (`PdfProcess.start`); the copy
imports WeasyPrint while the original reads the spec, traces it and writes the HTML, then
takes each document's (HTML, blocks) as it is sent, and lays the PDFs out side by side
(`render.pdf.write_pdfs`, which forks once more, already warm) and sends them back.

Everything crosses pipes as pickles between a process and its own fork (the same code on
both sides): `Forked` runs a task in a forked copy and reads its value or its error back;
the layout process is one, and each PDF it lays out beside its own is another. The layout
process keeps its temporary fonts in a scratch folder the original owns and removes (or, after
SIGKILL, the next one: `scratch`), and
the original ends it if it stops early (bad input, Ctrl-C, SIGTERM): no process and no
file is left behind. Off Linux (`CAN_FORK`), `start` gives None and the caller lays out
the PDFs itself, WeasyPrint's import started early in a thread.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from queue import SimpleQueue
from typing import IO, Any

from tracegen.render.pdf.forking import CAN_FORK, Forked
from tracegen.render.pdf.scratch import folder as scratch_folder

_END = None  # the sender's last item: close the pipe
class PdfProcess:
    """The original's side: send documents as they are made, read the PDFs back."""

    def __init__(self, process: Forked, jobs: int, scratch: str) -> None:
        self.process, self.jobs, self.scratch = process, jobs, scratch

    @classmethod
    def start(cls) -> PdfProcess | None:
        """Fork the layout process; where the system cannot fork, start importing WeasyPrint in a
        thread instead and give None (the caller lays out the PDFs itself)."""
        if not CAN_FORK:
            from tracegen.render.pdf.loader import preload

            preload()
            return None
        scratch = scratch_folder()
        jobs_read, jobs_write = os.pipe()

        def serve() -> list[bytes] | None:
            os.close(jobs_write)  # else the copy would never see the end of the jobs
            return _serve(os.fdopen(jobs_read, "rb"), scratch)

        process = Forked.start(serve)
        os.close(jobs_read)
        return cls(process, jobs_write, scratch)

    def __enter__(self) -> PdfProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write_pdfs(self, documents: Iterable[tuple[str, Sequence[Any]]], *, pdf_variant: str | None = None,
                   processes: int = 1, progress: Callable[[int], None] | None = None,
                   cache: bool = False) -> list[bytes]:
        """What `render.pdf.write_pdfs` gives, laid out by the layout process. Each document is
        sent as soon as `documents` yields it (by a thread: the copy may still be importing).
        With `cache`, a document whose layout is cached is finished here and not sent; if none
        is sent, the layout process is ended without waiting for its import."""
        if self.jobs < 0:
            raise RuntimeError("a PdfProcess lays out one set of documents")
        queue: SimpleQueue[Any] = SimpleQueue()
        stream, self.jobs = os.fdopen(self.jobs, "wb"), -1
        sender = threading.Thread(target=_send, args=(queue, stream), name="tracegen-pdf-send", daemon=True)
        sender.start()
        done: list[bytes | None] = []  # None: sent to the layout process
        try:
            queue.put((pdf_variant, processes, cache))
            for html, blocks in documents:
                done.append(_cached(html, blocks, pdf_variant) if cache else None)
                if done[-1] is None:
                    queue.put((html, blocks))
                elif progress:
                    progress(1)
        finally:
            queue.put(_END)
        sent = done.count(None)
        if not sent:
            self.close()
            sender.join()
            return [pdf for pdf in done if pdf is not None]
        pdfs = iter(self.process.result())
        sender.join()
        if progress:
            progress(sent)
        return [pdf if pdf is not None else next(pdfs) for pdf in done]

    def close(self) -> None:
        """End the layout process if it is still at work, reap it, and remove its scratch folder."""
        if self.jobs >= 0:
            os.close(self.jobs)
            self.jobs = -1
        self.process.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _send(queue: SimpleQueue[Any], stream: IO[bytes]) -> None:
    """Pickle each queued item into the pipe, in order, until _END; a copy that has gone is not an error
    here (its absence is reported when the PDFs are read)."""
    with contextlib.suppress(BrokenPipeError), stream:
        while (item := queue.get()) is not _END:
            pickle.dump(item, stream)
            stream.flush()


def _serve(jobs: IO[bytes], scratch: str) -> list[bytes] | None:
    """The layout process: import, then lay out what arrives (None if nothing is asked)."""
    tempfile.tempdir = scratch
    from tracegen.render.pdf.loader import weasyprint

    weasyprint()  # first, while the original traces
    from tracegen.render.pdf.writer import write_pdfs

    with jobs:
        try:
            pdf_variant, processes, cache = pickle.load(jobs)  # noqa: S301 - from the original
        except EOFError:  # it stopped before asking for anything
            return None
        return write_pdfs(_received(jobs), pdf_variant=pdf_variant, processes=processes, cache=cache)


def _cached(html: str, blocks: Sequence[Any], pdf_variant: str | None) -> bytes | None:
    from tracegen.render.pdf.writer import cached_pdf

    return cached_pdf(html, blocks, pdf_variant)


def _received(jobs: IO[bytes]) -> Iterator[tuple[str, Sequence[Any]]]:
    while True:
        try:
            yield pickle.load(jobs)  # noqa: S301 - from the original
        except EOFError:
            return
