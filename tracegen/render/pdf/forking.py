"""`Forked`: a task run in a forked copy of this process, its value or its error sent back through a pipe.

Used twice: the command line's layout process (`process`) and each PDF laid out beside
another (`writer.write_pdfs`). Everything crosses the pipe as a pickle between a process and
its own fork, the same code on both sides.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from tracegen.errors import RenderError
from tracegen.stopping import sigterm_as_interrupt

STOP_SECONDS = 2.0  # how long a layout process stopped early may take to end its copies
# Forking is used on Linux only: macOS has os.fork, but a forked copy of a process that has loaded
# system frameworks may crash there (why Python's multiprocessing spawns on macOS), and it is untested.
CAN_FORK = sys.platform.startswith("linux")


class Forked:
    """`task()` run by a forked copy of this process; its value, or the exception it raised, comes back
    pickled through a pipe (`result`). The copy treats SIGTERM as Ctrl-C (so it can end copies of its
    own), and ends with `os._exit`: it never returns into the caller's code nor runs its exit handlers.
    """

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid, self.pipe = pid, pipe

    @classmethod
    def start(cls, task: Callable[[], object]) -> Forked:
        read, write = os.pipe()
        pid = os.fork()
        if pid:
            os.close(write)
            return cls(pid, read)
        try:
            os.close(read)
            with sigterm_as_interrupt():
                try:
                    message: tuple[str, object] = ("value", task())
                except BaseException as err:  # noqa: BLE001 - every failure goes back to the parent
                    message = ("error", _portable(err))
                with contextlib.suppress(BrokenPipeError), os.fdopen(write, "wb") as stream:
                    stream.write(pickle.dumps(message))
        finally:
            os._exit(0)

    def result(self) -> Any:
        """The task's value, or its exception raised here; a RenderError if the copy ended without a word."""
        stream, self.pipe = os.fdopen(self.pipe, "rb"), -1
        with stream:
            data = stream.read()
        os.waitpid(self.pid, 0)
        self.pid = 0
        if not data:
            raise RenderError("a PDF layout process ended before sending its result (killed, or out of memory?)")
        kind, value = pickle.loads(data)  # noqa: S301 - our own fork's bytes
        if kind == "error":
            raise value
        return value

    def stop(self) -> None:
        """End the copy if it is still at work and reap it: SIGTERM first, so it ends its own copies,
        SIGKILL if it has not gone within STOP_SECONDS."""
        if self.pipe >= 0:
            os.close(self.pipe)
            self.pipe = -1
        if not self.pid:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                break
            time.sleep(0.005)
        self.pid = 0


def _portable(err: BaseException) -> BaseException:
    """`err` if it survives pickling (tracegen's errors do), else a RenderError saying what it was."""
    try:
        pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    except Exception:  # noqa: BLE001 - unpicklable, or pickled but not rebuildable
        return RenderError(f"PDF layout failed: {type(err).__name__}: {err}")
    return err
