"""SIGTERM handled as Ctrl-C is, so work that is stopped cleans up after itself.

A batch keeps its manifest; a render ends its PDF layout process and removes its scratch
folder. Without this, SIGTERM (`kill`, a scheduler's time limit) ends the process at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sigterm_as_interrupt() -> Iterator[list[int]]:
    """Within the block SIGTERM raises KeyboardInterrupt; yields the list the caught signal number is
    put in, so the caller can tell the two apart. Only the main thread can set handlers."""
    caught: list[int] = []

    def handler(signum: int, frame: object) -> None:
        caught.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield caught
    finally:
        signal.signal(signal.SIGTERM, previous)
