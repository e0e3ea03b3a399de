"""WeasyPrint, imported once, as fast as the machine allows, and early when a command will need it.

Importing WeasyPrint opens Pango, HarfBuzz and Fontconfig through cffi, trying names such as
"libpango-1.0-0" and "pango-1.0" before the Linux soname "libpango-1.0.so.0". For each name
that does not open, cffi asks `ctypes.util.find_library`, which on Linux runs `ldconfig -p`
and then `gcc` and `ld`: about 90 child processes and 0.2 s of a 0.5 s import. The sonames
open directly (the dynamic loader knows them), so while WeasyPrint is imported on Linux the
search answers "not found" at once; should the import fail that way (a library reachable only
through the search), it is imported again with the real search. Nothing else changes: the
libraries opened are the ones the dynamic loader finds for those sonames.

This module is light (no tracegen imports beyond errors), so the command line can start the
import in a thread (`preload`) while it reads and traces the spec on the main thread.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from types import ModuleType

from tracegen.errors import RenderError

_preloading: list[threading.Thread] = []


@contextlib.contextmanager
def _no_library_search() -> Iterator[None]:
    """`ctypes.util.find_library` answers None at once for the duration (Linux only)."""
    if not sys.platform.startswith("linux"):
        yield
        return
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = search


def _import() -> ModuleType:
    try:
        with _no_library_search():
            import weasyprint
    except OSError:  # a library only the search finds: the slow way
        import weasyprint
    return weasyprint


def preload() -> None:
    """Start importing WeasyPrint in a background thread; `weasyprint()` waits for it. A failure is
    left for `weasyprint()`, which reports it."""
    if "weasyprint" in sys.modules or _preloading:
        return

    def load() -> None:
        with contextlib.suppress(Exception):
            _import()

    thread = threading.Thread(target=load, name="tracegen-preload-weasyprint", daemon=True)
    _preloading.append(thread)
    thread.start()


def weasyprint() -> ModuleType:
    """The weasyprint module, imported (or the preload finished: no thread of ours is left running,
    so the process may fork), or a RenderError saying what is missing."""
    while _preloading:
        _preloading.pop().join()
    if (module := sys.modules.get("weasyprint")) is not None:
        return module  # every call after the first (once per document): no look-up patched again
    try:
        return _import()
    except (ImportError, OSError) as err:
        raise RenderError(f"PDF output needs WeasyPrint and its Pango libraries: {err}") from None
