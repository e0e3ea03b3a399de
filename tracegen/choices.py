"""The names a user chooses among (document kinds and formats, trace formats, paper sizes), and the
default number of processes, in one place.

Kept free of heavy imports: the command line builds its options from them, and `tracegen --help`
must not wait for NumPy, pandas or WeasyPrint to load.
"""

import os

KINDS = ("worksheet", "key", "solution")
DEFAULT_KINDS = ("worksheet", "key")  # what render and batch write unless asked for others
KIND_NAMES = {"worksheet": "worksheet", "key": "answer key", "solution": "worked solution"}
DOCUMENT_FORMATS = ("md", "html", "pdf")
TRACE_FORMATS = ("csv", "json", "parquet")
PAPERS = {"a4": "A4", "letter": "letter"}  # --paper -> CSS @page size


def usable_cores() -> int:
    """The cores this process may use (the container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
