"""A persistent cache of WeasyPrint's layouts: a document laid out once is never laid out again.

The HTML a PDF is laid out from holds the document's structure and its rooms' sizes, not its
numbers: every piece of maths is an empty placeholder the finisher draws into (`finisher`).
So the PDF WeasyPrint makes, before the finisher runs (`Layout`), depends on the HTML and on
the software that laid it out, and is kept in the user's cache folder under a key of both
(`key`). A later render of the same HTML, in any process, finishes the kept layout with its
own maths and never imports WeasyPrint: a second `tracegen render` of a spec, and any
variant whose rooms happen to have the same sizes.

Every PDF goes through `finish` (laid out now or read back), so a cached and an uncached
render give the same bytes. The cache is safe to share between processes (entries are
written to a temporary name and renamed; a reader sees a whole entry or none), checks each
entry's checksum and format before use (a damaged or foreign file is a miss, and removed),
unpickles only pydyf's plain PDF objects, and stays under `MAX_BYTES` (the least recently
used entries go first). An entry also records the size and time of the text libraries that
laid it out (Pango, HarfBuzz, Fontconfig, FreeType, on Linux): after a system upgrade it is a
miss. `TRACEGEN_CACHE_DIR` moves the cache; `tracegen render --no-cache` bypasses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import pickle
import re
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from functools import cache
from importlib.machinery import PathFinder
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tracegen.assets import static_dir
from tracegen.render.pdf import sfnt
from tracegen.render.pdf.stream import serialize

FORMAT = b"tracegen-layout 3\n"  # bump when what `capture` keeps, or how, changes
LEVEL = 5  # zlib's level for the streams each PDF compresses anew (`_data`) and font subsets (`fonts`)
MAX_BYTES = 64 * 2**20  # the whole cache; an entry is about 30 kB (Class 3's key)
STALE_SECONDS = 3600  # a temporary file this old was left by a writer that died
LIBRARIES = (b"libpango", b"libharfbuzz", b"libfontconfig", b"libfreetype")
_PLAIN = {("pydyf", name) for name in ("PDF", "Object", "Dictionary", "Stream", "Array", "String")}


@dataclass
class Layout:
    """WeasyPrint's PDF before the finisher, as plain pydyf objects, and where each placeholder was laid out."""

    pdf: Any
    anchors: list[dict[str, tuple[float, ...]]]  # per page: placeholder id -> CSS px box
    version: str | None
    libraries: tuple[tuple[str, int, int], ...] = field(default_factory=tuple)
    custom: dict[str, str] = field(default_factory=dict)  # the HTML's own <meta> (a fillable worksheet's code)

    def document(self) -> Any:
        """What a finisher reads of WeasyPrint's document: each page's anchors and the custom metadata."""
        return SimpleNamespace(pages=[SimpleNamespace(anchors=anchors) for anchors in self.anchors],
                               metadata=SimpleNamespace(custom=self.custom))


def directory() -> Path:
    """`TRACEGEN_CACHE_DIR`, else the platform's user cache folder + tracegen/layouts."""
    if chosen := os.environ.get("TRACEGEN_CACHE_DIR"):
        return Path(chosen)
    try:
        Path.home()
    except RuntimeError:  # no home folder: no cache (a folder that can be neither read nor made)
        return Path(os.devnull) / "tracegen"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tracegen" / "layouts"


@cache
def _software() -> bytes:
    """What besides the HTML decides a layout: tracegen's code that lays out (the modules that call
    WeasyPrint, the static files it reads), WeasyPrint's and pydyf's installed code, Python's version.
    Files by size and modification time: installing another version of any of them, or an edit, changes them."""
    files = [Path(__file__), Path(__file__).with_name("writer.py"), *sorted(static_dir().rglob("*"))]
    for module in ("weasyprint", "pydyf"):
        spec = PathFinder.find_spec(module)  # where it is installed, imported or not
        files.append(Path(spec.origin) if spec and spec.origin else Path(module))
    parts = [FORMAT, sys.version.encode()]
    for path in files:
        with contextlib.suppress(OSError):
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return b"\n".join(parts)


def key(html: str, pdf_variant: str | None, pdf_tags: bool) -> str:
    """The cache key of laying out `html` with these options, with this software (`unread`)."""
    digest = hashlib.sha256(_software())
    digest.update(f"\n{pdf_variant}\n{pdf_tags}\n".encode())
    digest.update(unread(html).encode("utf-8"))
    return digest.hexdigest()


def unread(html: str) -> str:
    """`html` without what the finisher puts in the PDF whatever the layout says: each formula's spoken text (its
    placeholder's `aria-label`, which WeasyPrint never reads) and each picture's description (its SVG's `<title>`,
    the Figure's Alt: `finisher.descriptions`). A key's chart's description holds its losses."""
    return DESCRIPTION.sub(r"\1\3", _SPOKEN.sub(r"\1", html))


_SPOKEN = re.compile(r'(<a class="eqbox" id="tgm-\d+") aria-label="[^"]*"')
DESCRIPTION = re.compile(r"(<svg [^>]*>\n<title>)([^<]*)(</title>)")  # a picture's description: group 2
_kept: dict[str, bytes] = {}  # layouts held in memory: a batch's group layouts (`keep`)


def keep(name: str, data: bytes) -> None:
    """Hold a layout (`dumps`) in this process's memory under `name`: `recall` gives a copy of it."""
    _kept[name] = data


def forget() -> None:
    """Drop the layouts held in memory."""
    _kept.clear()


def recall(name: str) -> Layout | None:
    """A fresh copy of the layout held as `name`, or None (the finisher changes what it is given)."""
    data = _kept.get(name)
    return _Unpickler(io.BytesIO(data)).load() if data is not None else None


def holding() -> bool:
    """Whether any layout is held in memory."""
    return bool(_kept)


def dumps(layout: Layout) -> bytes:
    """`layout` as bytes for `keep` (pickled: what crosses to a batch's workers)."""
    return pickle.dumps(layout, protocol=pickle.HIGHEST_PROTOCOL)


def note(*parts: bytes) -> Path:
    """Where the cache notes that a render of `parts` (a spec file's bytes, the options) found or kept every
    layout it needed: the command line then starts no layout process. A note can be wrong (an entry trimmed
    since): that costs time, never a byte."""
    digest = hashlib.sha256(_software() + b"\0".join(parts)).hexdigest()
    return directory() / f"{digest}.note"


def remember(path: Path) -> None:
    """Write the note `path` (empty); a cache that cannot be written is skipped."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def capture(document: Any, pdf: Any, pdf_variant: str | None) -> Layout:
    """The layout of WeasyPrint's `document` and its `pdf` (a finisher's arguments), its streams made plain and
    its font programs undated (WeasyPrint's fontTools subsetting, used without libharfbuzz-subset, stamps the
    time into each: the same layout would make a different entry every second)."""
    import pydyf

    for index, item in enumerate(pdf.objects):
        if isinstance(item, pydyf.Stream) and type(item) is not pydyf.Stream:  # WeasyPrint's, with Pango state
            plain = pydyf.Stream(_joined(item.stream), item.extra, item.compress)
            plain.number, plain.offset, plain.generation, plain.free = (
                item.number, item.offset, item.generation, item.free)
            pdf.objects[index] = plain
        elif isinstance(item, pydyf.Stream) and len(item.stream) == 1 and isinstance(item.stream[0], bytes):
            item.stream[0] = sfnt.undated(item.stream[0])  # a font program (anything else is kept as it is)
    anchors = [{name: tuple(box) for name, box in page.anchors.items()} for page in document.pages]
    return Layout(pdf, anchors, _pdf_version(pdf_variant), _libraries(), dict(document.metadata.custom))


def _joined(items: list[Any]) -> list[Any]:
    """A content stream's items (WeasyPrint's: thousands of operators) as the one bytes pydyf writes of them, when
    each is bytes, ASCII text, an integer or a pydyf object (pydyf and `stream.serialize` write those alike): a
    layout then unpickles them as one object, and the finisher reads them without joining them first."""
    import pydyf

    if all(type(item) in (bytes, int) or isinstance(item, pydyf.Object) or (type(item) is str and item.isascii())
           for item in items):
        return [serialize(items)]
    return items


def _pdf_version(pdf_variant: str | None) -> str | None:
    """The PDF version WeasyPrint writes for `pdf_variant` (None: its default, 1.7)."""
    if pdf_variant is None:
        return None
    from weasyprint.pdf import VARIANTS  # what WeasyPrint's write_pdf reads it from

    return VARIANTS[pdf_variant][1].get("pdf_version")


def finish(layout: Layout, finisher: Any, identifier: bytes) -> bytes:
    """The PDF's bytes: `finisher` run on the layout (it changes it), written as WeasyPrint writes it."""
    finisher(layout.document(), layout.pdf)
    layout.pdf.objects[1:] = [_Written(item) for item in layout.pdf.objects[1:]]
    if (layout.version or "1.7") < "1.5":  # no object streams: pydyf's own writing
        out = io.BytesIO()
        layout.pdf.write(out, layout.version, identifier, True)
        return out.getvalue()
    return _write(layout.pdf, (layout.version or "1.7").encode(), identifier)


def _write(pdf: Any, version: bytes, identifier: bytes) -> bytes:
    """`pdf.write(out, version, identifier, compress=True)`'s bytes, each object made once: pydyf (0.11–0.13)
    asks its object stream for its bytes twice (the file, then the hash in the identifier) and compresses it
    each time. The same layout as pydyf's: the objects that are no streams in one object stream, then a
    cross-reference stream (`test_every_pdf_is_the_bytes_weasyprint_itself_writes` checks them against pydyf's)."""
    if pdf.info:
        pdf.add_object(pdf.info)
    out = [b"%PDF-" + version + b"\n", b"%\xf0\x9f\x96\xa4\n"]
    position, packed = sum(map(len, out)), []
    for item in pdf.objects:
        if item.free == "f":
            continue
        if item.compressible:
            packed.append(item)
        else:
            item.offset = position
            out.append(item.indirect + b"\n")
            position += len(out[-1])
    out.append(_object_stream(pdf, packed, position).indirect + b"\n")
    position += len(out[-1])
    out += [_Written(_xref_stream(pdf, len(packed), position, identifier)).indirect + b"\n",
            b"startxref\n", f"{position}\n".encode(), b"%%EOF\n"]
    return b"".join(out)


def _object_stream(pdf: Any, packed: list[Any], position: int) -> _Written:
    """The object stream of `packed` (at `position` in the file), added to `pdf`, its bytes made once."""
    import pydyf

    head, at = [], 0
    for item in packed:
        head += [item.number, at]
        at += len(item.data) + 1
    text = " ".join(map(str, head))
    stream = pydyf.Stream([text, *(item.data for item in packed)],
                          {"Type": "/ObjStm", "N": len(packed), "First": len(text) + 1}, True)
    stream.offset = position
    pdf.add_object(stream)
    pdf.objects[-1] = _Written(stream)
    return pdf.objects[-1]


def _xref_stream(pdf: Any, packed: int, position: int, identifier: bytes) -> Any:
    """The cross-reference stream (at `position`), its dictionary with the file identifier, added to `pdf`."""
    import pydyf

    table, index = [], 0
    for item in pdf.objects:
        if item.compressible:
            table.append((2, pdf.objects[-1].number, index))
            index += 1
        else:
            table.append((int(bool(item.number)), item.offset, item.generation))
    table.append((1, position, 0))
    widths = (1, math.ceil(math.log(position + 1, 256)),
              math.ceil(math.log(max(max(item.generation for item in pdf.objects), packed) + 1, 256)))
    extra = {"Type": "/XRef", "Index": pydyf.Array((0, len(pdf.objects) + 1)), "W": pydyf.Array(widths),
             "Size": len(pdf.objects) + 1, "Root": pdf.catalog.reference}
    if pdf.info:
        extra["Info"] = pdf.info.reference
    digest = hashlib.md5(b"".join(item.data for item in pdf.objects if item.free != "f")).hexdigest().encode()
    extra["ID"] = pydyf.Array((pydyf.String(identifier).data, pydyf.String(digest).data))
    xref = pydyf.Stream([b"".join(value.to_bytes(width, "big") for row in table
                                  for width, value in zip(widths, row, strict=True))], extra, True)
    xref.offset = position
    pdf.add_object(xref)
    return xref


class _Written:
    """A PDF object as its bytes, for pydyf to write: it asks each object for them twice (the file, then the
    hash in its identifier), and a stream's bytes are compressed each time. The same bytes, made once."""

    def __init__(self, item: Any) -> None:
        self.number, self.generation, self.offset, self.free = item.number, item.generation, item.offset, item.free
        self.compressible: bool = item.compressible
        self.data: bytes = _data(item) if item.free != "f" else b""  # a free object is never written

    @property
    def indirect(self) -> bytes:
        import pydyf

        return pydyf.Object.indirect.fget(self)  # pydyf's own, on these bytes


def _data(item: Any) -> bytes:
    """What pydyf writes of `item`, except that a stream it compresses is compressed at `LEVEL`, not 9.

    The streams a PDF compresses anew (its pages' content with the variant's maths, its object, cross-reference
    and ToUnicode streams; the font programs are compressed once per glyph set: `fonts`) took zlib about 9 ms of a
    stamped PDF's 30 at level 9, 3.5 ms at 5, for 2 % more bytes (docs/BENCHMARKS.md). The same bytes each run."""
    import pydyf

    if not isinstance(item, pydyf.Stream) or not item.compress:
        return item.data
    extra = pydyf.Dictionary(item.extra)
    extra["Filter"] = "/FlateDecode"
    stream = zlib.compress(b"\n".join(pydyf._to_bytes(part) for part in item.stream), LEVEL)
    extra["Length"] = len(stream)
    return b"\n".join((extra.data, b"stream", stream, b"endstream"))


def load(name: str) -> Layout | None:
    """The entry `name`, or None: missing, damaged, foreign, or laid out by libraries since replaced."""
    path = directory() / f"{name}.layout"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        head, checksum, body = data[:len(FORMAT)], data[len(FORMAT):len(FORMAT) + 64], data[len(FORMAT) + 65:]
        if head != FORMAT or hashlib.sha256(body).hexdigest().encode() != checksum:
            raise ValueError("not an entry of this format")
        layout = _Unpickler(io.BytesIO(zlib.decompress(body))).load()
        if not isinstance(layout, Layout):
            raise ValueError("not a layout")
    except Exception:  # noqa: BLE001 - whatever is wrong with the file, it is a miss, and goes
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    if any(_identity(path) != (size, mtime) for path, size, mtime in layout.libraries):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: trimmed last
    return layout


def store(name: str, layout: Layout) -> None:
    """Keep `layout` as entry `name` (atomically), then trim the cache; a cache that cannot be written is skipped."""
    try:
        body = zlib.compress(dumps(layout), 1)
    except Exception:  # noqa: BLE001 - an object that does not pickle (another WeasyPrint): not kept
        return
    folder = directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(FORMAT + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
            os.replace(temporary, folder / f"{name}.layout")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        trim(folder)
    except OSError:
        return


def trim(folder: Path, limit: int = MAX_BYTES) -> None:
    """Remove the least recently used entries until the cache holds at most 3/4 of `limit` (when over it),
    and temporary files that writers which died left behind."""
    entries, total, now = [], 0, time.time()
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            stat = path.stat()
            if path.name.startswith(".tmp-"):
                if now - stat.st_mtime > STALE_SECONDS:
                    path.unlink()
                continue
            if path.suffix in (".layout", ".note"):
                size = max(stat.st_size, 4096) if path.suffix == ".note" else stat.st_size  # a note: a block
                entries.append((stat.st_mtime, size, path))
                total += size
    if total <= limit:
        return
    for _, size, path in sorted(entries):
        with contextlib.suppress(OSError):
            path.unlink()
        total -= size
        if total <= limit * 3 // 4:
            return


class _Unpickler(pickle.Unpickler):
    """Rebuilds only a Layout and pydyf's plain objects (the cache is a file anyone with access could edit)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PLAIN or (module, name) == (__name__, "Layout"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a layout")


def _libraries() -> tuple[tuple[str, int, int], ...]:
    """The text libraries this process has loaded (Linux: /proc/self/maps), each with its size and time."""
    try:
        maps = Path("/proc/self/maps").read_bytes()
    except OSError:
        return ()
    paths = sorted({line.split(None, 5)[-1].decode() for line in maps.splitlines()
                    if len(line.split(None, 5)) == 6 and any(lib in line for lib in LIBRARIES)})
    return tuple((path, *_identity(path)) for path in paths)


def _identity(path: str) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)
