"""Files in and out: input read only from regular files, output written atomically.

A crash or Ctrl-C never leaves a half-written file under the final name (`write_atomic`
writes to a temporary name beside the target, then renames), and an input that is a named
pipe, a device or a socket is refused before a read could block forever (`read_capped`).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

TEMP_STEM = 200  # bytes of the target's name in its temporary name (which adds 14), within the 255 of a name
_NOT_FILES = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
              stat.S_IFSOCK: "a socket"}


def read_capped(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most `limit` bytes of the regular file at `path`.

    OSError as `open` raises it (FileNotFoundError, IsADirectoryError, ...), and one whose
    strerror names the kind for a FIFO, device or socket: opened without blocking and refused
    unread, where a plain `open` of a FIFO waits for a writer that may never come.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            kind = _NOT_FILES.get(stat.S_IFMT(mode), "not a file")
            raise OSError(errno.EINVAL, f"not a regular file but {kind}", str(path))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` to `path` atomically (same-directory temp file + `os.replace`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    stem = os.fsdecode(os.fsencode(target.name)[:TEMP_STEM])  # so the temporary name of any legal name is legal
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
