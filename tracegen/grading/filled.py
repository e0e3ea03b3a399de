"""Filled fillable worksheets: the answers students typed into `--fillable` PDFs, as responses.

Each PDF is matched to its variant by the code the worksheet carries (`render.pdf.form`: the
variant id and its spec's fingerprint), never by the file's name, so files may be named and
ordered any way a learning platform or a class hands them back. A PDF that is not a fillable
worksheet, one of another batch (its variant is not in the batch, or its numbers are not
the variant's), and two PDFs of one variant are reported together and nothing is graded.
The fields' texts become a responses table with a `variant` column, which is graded exactly
as the same answers in a responses CSV (`responses.parse`, `responses.match`); each value
is read as people type numbers, and a PDF field is not a CSV cell, so a comma in it is a
decimal comma.

pypdf reads the forms: it is pure Python, BSD-licensed, and needs nothing else installed.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tracegen.batching.folder import Batch
from tracegen.errors import InputError
from tracegen.grading.responses import Responses, parse
from tracegen.render.pdf.form import CODE_FIELD, Code, fingerprint

MAX_BYTES = 64 << 20  # 64 MiB: a worksheet is well under 1 MiB, a scanned-in one a few
SHOWN = 5  # problems listed in one message


def wanted(source: object) -> bool:
    """Whether `source` names filled PDFs: a .pdf file, a folder, or a list of them."""
    items = source if isinstance(source, list | tuple) else [source]
    return bool(items) and all(isinstance(item, str | Path) and (Path(item).is_dir() or
                                                               str(item).lower().endswith(".pdf"))
                               for item in items)


def files(sources: Sequence[str | Path]) -> list[Path]:
    """The PDFs named: each file as given, each folder's *.pdf files in name order."""
    found: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            inside = sorted(p for p in source.iterdir() if p.suffix.lower() == ".pdf" and p.is_file())
            if not inside:
                raise InputError(f"{source}: no .pdf file in this folder; expected the filled worksheets")
            found += inside
        else:
            found.append(source)
    return found


def read(sources: str | Path | Sequence[str | Path], batch: Batch) -> Responses:
    """The responses in the filled worksheets `sources` (PDFs or folders of them) of `batch`.

    InputError, naming every file concerned, for a file that is not a readable fillable
    worksheet, a worksheet of another batch, or a variant handed in twice."""
    paths = files([sources] if isinstance(sources, str | Path) else list(sources))
    blanks = list(batch.blanks["blank"])
    known = set(blanks)
    index = {variant: i for i, variant in enumerate(batch.variants)}
    prints: dict[int, str] = {}
    rows: list[list[str]] = []
    problems: list[str] = []
    first: dict[str, Path] = {}
    for path in paths:
        try:
            fields = _fields(path)
            variant = _variant(path, fields, batch, index, prints)
        except InputError as err:
            problems.append(str(err))
            continue
        if variant in first:
            problems.append(f"{path}: variant {variant}'s worksheet again (first in {first[variant]})")
            continue
        first[variant] = path
        extra = sorted(set(fields) - known - {CODE_FIELD})
        if extra:
            problems.append(f"{path}: field {extra[0]!r} is not a blank of {batch.folder}")
            continue
        rows.append([variant, *(fields.get(blank, "") for blank in blanks)])
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise InputError("filled worksheets not graded: " + "; ".join(problems[:SHOWN]) + more)
    name = str(paths[0] if len(paths) == 1 else paths[0].parent)
    # a PDF field is not a CSV cell: a comma in it can only be a decimal comma
    return parse(name, ["variant", *blanks], rows, list(range(1, len(rows) + 1)), separator="")


def _fields(path: Path) -> dict[str, str]:
    """The text fields of the PDF at `path`: name -> typed text ("" where empty)."""
    import pypdf
    from pypdf.errors import PyPdfError

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise InputError(f"{path}: unreadable: {err.strerror or err}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES >> 20} MiB; not a filled worksheet")
    if not data.startswith(b"%PDF-"):
        raise InputError(f"{path}: not a PDF")
    try:
        with _quiet():
            found: dict[str, Any] = pypdf.PdfReader(io.BytesIO(data)).get_fields() or {}
            return {str(name): _text(field.get("/V")) for name, field in found.items()}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        raise InputError(f"{path}: not a readable PDF form ({type(err).__name__}: {err})") from None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """pypdf's warnings about a damaged file go to stderr through logging; the error, if any, says it once."""
    logger = logging.getLogger("pypdf")  # its modules' loggers inherit its level
    before = logger.level
    logger.setLevel(logging.ERROR + 1)
    try:
        yield
    finally:
        logger.setLevel(before)


def _text(value: Any) -> str:
    """A field's value as typed (pypdf gives text, a name for a choice, or None when empty)."""
    if value is None:
        return ""
    if isinstance(value, list):  # a list box: not a tracegen field
        return " ".join(map(str, value))
    return str(value)


def _variant(path: Path, fields: dict[str, str], batch: Batch, index: dict[str, int], prints: dict[int, str]) -> str:
    """The variant whose worksheet the PDF is, by its code; InputError for another batch's."""
    code = Code.parse(fields.get(CODE_FIELD, ""))
    if code is None:
        raise InputError(f"{path}: no worksheet code: not a worksheet of tracegen batch --fillable "
                         f"(or printed to a new PDF, which drops its form)")
    if code.variant not in index:
        raise InputError(f"{path}: variant {code.variant or '(none)'}'s worksheet, which is not in {batch.folder}: "
                         f"a worksheet of another batch?")
    row = index[code.variant]
    if row not in prints:
        prints[row] = fingerprint(batch.specs[row])
    if code.fingerprint != prints[row]:
        raise InputError(f"{path}: variant {code.variant}'s worksheet, but its numbers are not those of "
                         f"{batch.folder / code.variant}: a worksheet of another batch?")
    return code.variant
