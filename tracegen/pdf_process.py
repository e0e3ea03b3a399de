"""A PDF layout process started before it is needed, so a first `tracegen render --to pdf` is quick.

A new process pays for its imports: WeasyPrint and tracegen's PDF machinery take about 0.4 s
of CPU before anything is laid out, and reading, tracing and writing the documents' HTML
takes about as long again. On one core these add up; here they overlap. The command line
forks a copy of itself before importing anything heavy (`PdfProcess.start`); the copy
imports WeasyPrint while the original reads the spec, traces it and writes the HTML, then
takes each document's (HTML, blocks) as it is sent, and lays the PDFs out side by side
(`render.pdf.write_pdfs`, which forks once more, already warm) and sends them back.

Everything crosses two pipes as pickles between a process and its own fork (the same
code on both sides). The copy keeps its temporary fonts in a scratch folder the original
owns and removes, and the original ends the copy if it stops early (bad input, Ctrl-C): no
process and no file is left behind. Where there is no `os.fork` (Windows), `start` gives None
and the caller lays out the PDFs itself, WeasyPrint's import started early in a thread.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from queue import SimpleQueue
from typing import IO, Any

from tracegen.errors import RenderError, portable
from tracegen.stopping import sigterm_as_interrupt

_END = None  # the sender's last item: close the pipe
STOP_SECONDS = 2.0  # how long a layout process stopped early may take to end its copies


class PdfProcess:
    """The original's side: send documents as they are made, read the PDFs back."""

    def __init__(self, pid: int, jobs: int, results: int, scratch: str) -> None:
        self.pid, self.jobs, self.results, self.scratch = pid, jobs, results, scratch

    @classmethod
    def start(cls) -> PdfProcess | None:
        """Fork the layout process; where the system cannot fork, start importing WeasyPrint in a
        thread instead and give None (the caller lays out the PDFs itself)."""
        if not hasattr(os, "fork"):
            from tracegen.weasyprint_loader import preload

            preload()
            return None
        scratch = tempfile.mkdtemp(prefix="tracegen-pdf-")
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        pid = os.fork()
        if pid:
            os.close(jobs_read)
            os.close(results_write)
            return cls(pid, jobs_write, results_read, scratch)
        os.close(jobs_write)
        os.close(results_read)
        try:
            _serve(os.fdopen(jobs_read, "rb"), os.fdopen(results_write, "wb"), scratch)
        finally:
            os._exit(0)  # never return into the original's code, nor run its exit handlers

    def __enter__(self) -> PdfProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write_pdfs(self, documents: Iterable[tuple[str, Sequence[Any]]], *, pdf_variant: str | None = None,
                   processes: int = 1, progress: Callable[[int], None] | None = None) -> list[bytes]:
        """What `render.pdf.write_pdfs` gives, laid out by the layout process. Each document is
        sent as soon as `documents` yields it (by a thread: the copy may still be importing)."""
        if self.jobs < 0:
            raise RuntimeError("a PdfProcess lays out one set of documents")
        queue: SimpleQueue[Any] = SimpleQueue()
        stream, self.jobs = os.fdopen(self.jobs, "wb"), -1
        sender = threading.Thread(target=_send, args=(queue, stream), name="tracegen-pdf-send", daemon=True)
        sender.start()
        try:
            queue.put((pdf_variant, processes))
            count = 0
            for document in documents:
                queue.put(document)
                count += 1
        finally:
            queue.put(_END)
        answer, self.results = os.fdopen(self.results, "rb"), -1
        with answer:
            data = answer.read()
        sender.join()
        if not data:
            raise RenderError("the PDF layout process ended before sending the PDFs (killed, or out of memory?)")
        kind, value = pickle.loads(data)  # noqa: S301 - our own fork's bytes
        if kind == "error":
            raise value
        if progress:
            progress(count)
        return value

    def close(self) -> None:
        """End the layout process if it is still at work, reap it, and remove its scratch folder."""
        for fd in (self.jobs, self.results):
            if fd >= 0:
                os.close(fd)
        self.jobs = self.results = -1
        if self.pid:
            _end(self.pid)
            self.pid = 0
        shutil.rmtree(self.scratch, ignore_errors=True)


def _end(pid: int) -> None:
    """End a child (done already, unless we stopped early) and reap it: SIGTERM first, so it ends its own
    copies (`_serve`), SIGKILL if it has not gone within STOP_SECONDS."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return
        time.sleep(0.005)


def _send(queue: SimpleQueue[Any], stream: IO[bytes]) -> None:
    """Pickle each queued item into the pipe, in order, until _END; a copy that has gone is not an error
    here (its absence is reported when the PDFs are read)."""
    with contextlib.suppress(BrokenPipeError), stream:
        while (item := queue.get()) is not _END:
            pickle.dump(item, stream)
            stream.flush()


def _serve(jobs: IO[bytes], results: IO[bytes], scratch: str) -> None:
    """The layout process: import, then lay out what arrives, and send back the PDFs or the error.
    SIGTERM (the original stopping early) is an interrupt here, so the copies end first."""
    tempfile.tempdir = scratch
    with sigterm_as_interrupt():
        try:
            from tracegen.weasyprint_loader import weasyprint

            weasyprint()  # first, while the original traces
            from tracegen.render.pdf import write_pdfs

            with jobs:
                try:
                    pdf_variant, processes = pickle.load(jobs)  # noqa: S301 - from the original
                except EOFError:  # it stopped before asking for anything
                    return
                message: tuple[str, Any] = ("pdfs", write_pdfs(_received(jobs), pdf_variant=pdf_variant,
                                                               processes=processes))
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the original
            message = ("error", portable(err))
        with contextlib.suppress(BrokenPipeError), results:
            results.write(pickle.dumps(message))


def _received(jobs: IO[bytes]) -> Iterator[tuple[str, Sequence[Any]]]:
    while True:
        try:
            yield pickle.load(jobs)  # noqa: S301 - from the original
        except EOFError:
            return
