"""Scratch folders for PDF layout that a killed process cannot strand.

WeasyPrint writes the fonts it embeds to temporary files, which tracegen keeps in a scratch
folder and removes when the layout ends, however it ends, except under SIGKILL, which no
process outlives. So each folder is named after the process that made it
(`tracegen-pdf-<pid>-…` in the system's temporary folder), and making one first removes the
folders of this user's processes that no longer run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

PREFIX = "tracegen-pdf-"


def folder() -> str:
    """A new scratch folder of this process, after sweeping away those of processes that are gone."""
    sweep(tempfile.gettempdir())
    return tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")


@contextlib.contextmanager
def temporary() -> Iterator[str]:
    """A scratch `folder`, removed with its content on leaving."""
    path = folder()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep(base: str) -> None:
    """Remove the scratch folders in `base` whose process no longer runs (and that this user owns)."""
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        pid = entry.name.removeprefix(PREFIX).partition("-")[0]
        if entry.name.startswith(PREFIX) and pid.isdigit() and not _running(int(pid)) and _ours(entry):
            shutil.rmtree(entry.path, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: running
        return True
    return True


def _ours(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.getuid()
    except OSError:
        return False
