"""Paper-ready worksheets: each page's QR code and registration marks, and the position map.

A printed worksheet comes back as a scan (`tracegen scan`). So each of its pages carries,
drawn by the finisher as vector paths: a QR code (segno) with the page's code
(`form.PageCode`: batch, variant, page, document hash; never an answer) in the top margin,
and four filled squares near the corners that fix the page's rotation, skew and scale. The
position map says where everything is, in PDF points from each page's top-left corner (y
down, as in an image): the QR code, the marks' centres, and each blank's character cells,
from the rectangles the finisher recorded where it drew them (no second estimate of the
layout). The map travels inside the PDF (a private catalog entry, `TGPositions`) from the
layout process to `read_positions`, which the callers write beside the PDF.

What the pages say they are (`Sheet`: batch, variant, document hash) reaches the finisher as
the last of the document's blocks, not in the HTML: the HTML WeasyPrint lays out is the same
for every variant of a batch whose rooms are alike (its top margin makes room for the QR code).
docs/paper.md describes the page for its readers.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from tracegen.render.pdf.form import Blank, PageCode

FORMAT = "tracegen-positions/1"
CATALOG_KEY = "TGPositions"  # the PDF catalog's private entry holding the map (JSON)
PT_PER_MM = 72 / 25.4
MARK_MM, MARK_INSET_MM = 5.0, 10.0  # registration marks: side, and their centres' distance from both edges
QR_MM, QR_TOP_MM, QR_QUIET = 18.0, 5.0, 4  # the QR symbol's side, its top edge from the page's, quiet modules
QR_GAP_MM = 1.0  # between the QR code's quiet zone and the top-right mark
KIND = "worksheet"


class Sheet(NamedTuple):
    """What a paper-ready PDF's pages say they are, besides their number: batch, variant, document hash.
    Given to the finisher as the document's last block (`finisher.Overlay`)."""

    batch: str
    variant: str
    doc: str

    def code(self, page: int, pages: int) -> PageCode:
        return PageCode(self.batch, self.variant, KIND, page, pages, self.doc)


class Furniture(NamedTuple):
    """One page's drawing (PDF operators in default user space) and what the map says of it."""

    ops: bytes
    qr: tuple[float, float, float, float]  # the symbol without its quiet zone, points from the top-left
    marks: tuple[tuple[float, float], ...]  # centres, points from the top-left


def furniture(code: str, width: float, height: float) -> Furniture:
    """The QR code of `code` and the four marks for a page of `width` x `height` points, as an artifact
    (page furniture for a tagged PDF's readers)."""
    inset, half = MARK_INSET_MM * PT_PER_MM, MARK_MM * PT_PER_MM / 2
    marks = ((inset, inset), (width - inset, inset), (inset, height - inset), (width - inset, height - inset))
    qr = _qr(code)
    modules = len(qr)
    module = QR_MM * PT_PER_MM / modules
    right = width - inset - half - QR_GAP_MM * PT_PER_MM - QR_QUIET * module
    left, top = right - modules * module, QR_TOP_MM * PT_PER_MM
    ops = [b"/Artifact BMC", b"q", b"0 g"]
    for cx, cy in marks:
        ops.append(_re(cx - half, cy - half, 2 * half, 2 * half, height))
    xs, ys, widths, (side,) = _grid(left, top, module, modules, height)
    dark = np.zeros((modules, modules + 2), dtype=np.int8)
    dark[:, 1:-1] = np.frombuffer(b"".join(qr), dtype=np.uint8).reshape(modules, modules)
    edges = np.diff(dark, axis=1)  # each run of dark modules in a row: one rectangle, from its start to its end
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]
    if len(rows):
        ops.append("\n".join(f"{xs[start]} {ys[row]} {widths[end - start]} {side} re" for row, start, end
                             in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True)).encode())
    ops += [b"f", b"Q", b"EMC"]
    return Furniture(b"\n".join(ops), (left, top, right, top + modules * module), marks)


@cache
def _grid(left: float, top: float, module: float, modules: int, height: float) -> tuple[list[str], ...]:
    """What `_re` writes of a rectangle of the QR code's modules, by its start column (x), its row (y), its
    length (width), and the module's side: the same digits, formatted once per page size and symbol size."""
    xs = [f"{left + column * module:.3f}" for column in range(modules + 1)]
    ys = [f"{height - (top + row * module) - module:.3f}" for row in range(modules)]
    widths = [f"{length * module:.3f}" for length in range(modules + 1)]
    return xs, ys, widths, [f"{module:.3f}"]


def _qr(code: str) -> tuple[bytearray, ...]:
    """The modules (rows, 1 dark) of segno's QR code of `code` at level M (never raised, never Micro QR): the
    very symbol `segno.make` gives.

    segno places the message's bits and tries its eight data masks in pure Python, keeping the one its penalty
    rules score lowest (ISO/IEC 18004 §7.8.3): most of a paper-ready page's drawing. Here segno makes the message
    (`_message`: its codewords and error correction), numpy places its bits where segno's own placement puts them
    (`_places`), scores all eight masks at once by segno's rules (`_mask_scores`) and applies the best, and segno
    adds the format and version information. `tests/render/test_paper.py` checks the symbol against
    `segno.make`'s on thousands of codes, every mask among them."""
    from segno import consts, encoder

    version, bits = _message(code)
    size = encoder.calc_matrix_size(version)
    data, fixed, masks = _masks(size)
    rows, columns = _places(size, version)
    if len(bits) != len(rows):
        raise ValueError(f"a QR message of {len(bits)} bits for {len(rows)} modules")
    unmasked = fixed.copy()
    unmasked[rows, columns] = bits
    best = int(np.argmin(_mask_scores(np.where(data, unmasked ^ masks[0], fixed))))  # segno: the first of equals
    matrix = tuple(bytearray(row) for row in np.where(data, unmasked ^ masks[best], fixed).tolist())
    encoder.add_format_info(matrix, version, consts.ERROR_LEVEL_M, best)
    encoder.add_version_info(matrix, version)
    return matrix


def _message(code: str) -> tuple[int, np.ndarray]:
    """The version and the final message's bits (data and error correction codewords, interleaved, and the
    remainder bits) of `code` at level M, as `segno.make(code, error="m", boost_error=False, micro=False)` makes
    them: segno's `encoder.encode` up to its data codewords, then its `make_final_message` with numpy (`_parity`:
    segno's Reed-Solomon division in pure Python was a third of a page's QR code)."""
    from segno import consts, encoder

    segments = encoder.prepare_data(code, None, None)
    version = encoder.find_version(segments, consts.ERROR_LEVEL_M, eci=False, micro=False)
    buffer, versions = encoder.Buffer(), encoder.version_range(version)
    for segment in segments:
        encoder.write_segment(buffer, segment, None, versions, False)
    capacity = consts.SYMBOL_CAPACITY[version][consts.ERROR_LEVEL_M]  # type: ignore[index]
    encoder.write_terminator(buffer, capacity, None, len(buffer))
    encoder.write_padding_bits(buffer, version, len(buffer))
    encoder.write_pad_codewords(buffer, version, capacity, len(buffer))
    bits = np.frombuffer(bytes(buffer.getbits()), dtype=np.uint8)
    data, errors, at = [], [], 0
    for block in consts.ECC[version][consts.ERROR_LEVEL_M]:  # type: ignore[index]
        parity = _parity(block.num_data, block.num_total - block.num_data)
        for _ in range(block.num_blocks):
            taken = bits[at:at + 8 * block.num_data]
            data.append(taken)
            errors.append((taken.astype(np.int32) @ parity) & 1)
            at += 8 * block.num_data
    message = np.concatenate([*_interleaved(data), *_interleaved(errors)])
    places = int(_masks(encoder.calc_matrix_size(version))[0].sum())  # the rest: remainder bits, 0
    return version, np.concatenate([message, np.zeros(places - len(message), dtype=np.uint8)]).astype(np.int8)


def _interleaved(blocks: list[np.ndarray]) -> list[np.ndarray]:
    """Blocks' codewords (8 bits each) in the final message's order: the first of each block, then the second…"""
    return [block[8 * i:8 * i + 8] for i in range(max(len(block) for block in blocks) // 8)
            for block in blocks if len(block) > 8 * i]


@cache
def _parity(data: int, ec: int) -> np.ndarray:
    """The bits of a block's `ec` error correction codewords as a GF(2)-linear map of its `data` codewords' bits
    (data bits @ map, mod 2): the Reed-Solomon remainder segno's `make_blocks` divides out. Row (8 i + j) is the
    remainder of the block whose codeword i is bit j alone: that bit's value times x ** (data - 1 - i + ec) modulo
    the generator polynomial, found by multiplying by x one degree at a time."""
    from segno import consts

    exp, log, generator = consts.GALIOS_EXP, consts.GALIOS_LOG, consts.GEN_POLY[ec]

    def times(a: int, b: int) -> int:
        return exp[log[a] + log[b]] if a and b else 0

    power = [exp[g] for g in generator]  # x ** ec modulo the generator (highest degree first)
    powers = [power]
    for _ in range(data - 1):
        carry, *rest = power
        power = [value ^ times(carry, exp[g]) for value, g in zip([*rest, 0], generator, strict=True)]
        powers.append(power)
    rows = [[times(1 << (7 - bit), value) for value in powers[data - 1 - index]]
            for index in range(data) for bit in range(8)]
    return np.unpackbits(np.array(rows, dtype=np.uint8), axis=1).astype(np.int32)


@cache
def _places(size: int, version: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each bit of a version's message in the symbol, in the message's order: where segno's
    own placement (`encoder.add_codewords`) puts them, found once by placing the bits' numbers."""
    from segno import encoder

    data, fixed, _ = _masks(size)
    first = 3  # above any module's value (2: free): a placed bit's number + first
    numbered = [list(row) for row in fixed.tolist()]
    encoder.add_codewords(numbered, list(range(first, first + int(data.sum()))), version)
    placed = np.array(numbered)
    rows, columns = np.nonzero(data)
    order = np.argsort(placed[rows, columns])
    return rows[order], columns[order]


@cache
def _masks(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a QR symbol `size` modules wide: where data is (what masks change), the function patterns and
    reserved areas as segno scores them (format and version areas still 0), and the eight masks (ISO/IEC 18004
    Table 10, i the row, j the column)."""
    from segno import encoder

    patterns = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(patterns, size, size)
    encoder.add_alignment_patterns(patterns, size, size)
    fixed = np.array(patterns, dtype=np.int8)
    i, j = np.indices((size, size))
    masks = np.array([(i + j) % 2 == 0, i % 2 == 0, j % 3 == 0, (i + j) % 3 == 0, (i // 2 + j // 3) % 2 == 0,
                      (i * j) % 2 + (i * j) % 3 == 0, ((i * j) % 2 + (i * j) % 3) % 2 == 0,
                      ((i + j) % 2 + (i * j) % 3) % 2 == 0], dtype=np.int8)
    return fixed > 1, fixed, masks


def _mask_scores(symbol: np.ndarray) -> np.ndarray:
    """The penalty score of each of the eight masks on the symbol whose mask 0 gave `symbol`, as segno's
    `encoder.mask_scores` counts it: runs of five or more (N1), 2 x 2 blocks (N2), finder-like patterns (N3),
    the dark share (N4)."""
    size = len(symbol)
    data, fixed, masks = _masks(size)
    modules = np.where(data, (symbol ^ masks[0]) ^ masks, fixed)  # each mask's symbol, as segno scores it
    lines = np.full((8, 2 * size, size + 1), 2, dtype=np.int8)  # every row and column, each then a separator
    lines[:, :size, :size], lines[:, size:, :size] = modules, modules.transpose(0, 2, 1)
    flat, per_mask = lines.reshape(-1), lines[0].size
    cuts = np.flatnonzero(np.diff(flat, prepend=-1, append=-1))
    lengths, owner = np.diff(cuts), cuts[:-1] // per_mask  # each run of equal modules (a separator: a run of 1)
    long = lengths >= 5
    runs = np.bincount(owner[long], weights=lengths[long] - 2, minlength=8)  # N1: 5 + k in a row score 3 + k
    blocks = ((modules[:, 1:, 1:] == modules[:, 1:, :-1]) & (modules[:, 1:, 1:] == modules[:, :-1, 1:])
              & (modules[:, 1:, 1:] == modules[:, :-1, :-1])).sum(axis=(1, 2))
    dark = modules.sum(axis=(1, 2)) / size ** 2
    share = [10 * int(abs(float(d) * 100 - 50) / 5) for d in dark]
    return runs.astype(np.int64) + 3 * blocks + _finder_like(flat.tobytes(), size, per_mask) + share


_FINDER_LIKE = bytes((1, 0, 1, 1, 1, 0, 1))


def _finder_like(lines: bytes, size: int, per_mask: int) -> np.ndarray:
    """N3 of each mask's rows and columns (each `size` modules and a separator; `per_mask` bytes a mask), as
    segno counts it: 40 for each 1:1:3:1:1 pattern with 4 light modules (or the line's end) on one side, the
    search going on after it, or 4 modules on when it does not count."""
    count, at = np.zeros(8, dtype=np.int64), lines.find(_FINDER_LIKE)
    while at != -1:
        start = at - at % (size + 1)  # where its line starts
        after, end = at + 7, start + size
        before, beyond = lines[max(at - 4, start):at], lines[after:min(after + 4, end)]
        if at - start in (0, size - 7) or not any(before) or not any(beyond):
            count[at // per_mask] += 40
        else:
            after = at + 4
        at = lines.find(_FINDER_LIKE, after)
    return count


def _re(x: float, y: float, w: float, h: float, height: float) -> bytes:
    """A rectangle given from the page's top-left (y down), in PDF user space (y up)."""
    return f"{x:.3f} {height - y - h:.3f} {w:.3f} {h:.3f} re".encode()


def positions(sheet: Sheet, size: tuple[float, float], pages: Sequence[Furniture], cells: Sequence[Blank]) -> dict:
    """The position map (docs/paper.md): the pages' codes, QR codes and marks, and each blank's cells at its
    first place (a blank printed twice is read where it is first), in reading order."""
    width, height = size
    places: dict[str, dict[str, Any]] = {}
    again: set[str] = set()  # blanks printed a second time: their first place is the map's
    for cell in cells:  # in drawing order: each place's cells one after the other, its sign first
        if cell.cell == "sign" and cell.name in places:
            again.add(cell.name)
        if cell.name in again:
            continue
        blank = places.get(cell.name)
        if blank is None:
            blank = places[cell.name] = {"id": cell.name, "page": cell.page + 1, "decimals": 0, "cells": []}
        left, bottom, right, top = cell.rect
        blank["cells"].append({"kind": cell.cell, "rect": [round(left, 3), round(height - top, 3), round(right, 3),
                                                           round(height - bottom, 3)]})
    for blank in places.values():
        kinds = [c["kind"] for c in blank["cells"]]
        blank["decimals"] = len(kinds) - kinds.index("point") - 1 if "point" in kinds else 0
    return {
        "format": FORMAT, "batch": sheet.batch, "variant": sheet.variant, "kind": KIND, "doc": sheet.doc,
        "page_size": [_r(width), _r(height)],
        "pages": [{"page": n, "code": sheet.code(n, len(pages)).text(), "qr": [_r(v) for v in page.qr],
                   "marks": [[_r(x), _r(y)] for x, y in page.marks]} for n, page in enumerate(pages, start=1)],
        "blanks": list(places.values()),
    }


def _r(value: float) -> float:
    return round(value, 3)


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # one blank's line (json.dumps makes an encoder each call)


def encode(mapping: dict) -> bytes:
    """The map as the file's bytes: JSON, keys in a fixed order, one blank per line (diffable)."""
    head = {key: value for key, value in mapping.items() if key != "blanks"}
    text = json.dumps(head, separators=(", ", ": "))[:-1]
    blanks = ",\n  ".join(map(_COMPACT.encode, mapping["blanks"]))
    return f'{text}, "blanks": [\n  {blanks}\n]}}\n'.encode("ascii")


def attach(pdf: Any, data: bytes) -> None:
    """Keep the map in `pdf` (pydyf, in the finisher) as a private catalog entry, for `read_positions`."""
    import pydyf

    stream = pydyf.Stream([data], compress=True)
    pdf.add_object(stream)
    pdf.catalog[CATALOG_KEY] = stream.reference


def read_positions(pdf: bytes) -> bytes | None:
    """The position map a paper-ready PDF carries (`attach`), or None.

    A PDF as tracegen writes it (pydyf's cross-reference stream) is read directly: its catalog and the map's
    stream, a millisecond, where pypdf parses every object first; any other PDF (one a tool saved again) by pypdf."""
    try:
        return _read_written(pdf)
    except (TypeError, ValueError, KeyError, IndexError, zlib.error):
        import io

        import pypdf

        entry = pypdf.PdfReader(io.BytesIO(pdf)).root_object.get(f"/{CATALOG_KEY}")
        return entry.get_object().get_data() if entry is not None else None


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*\Z")
_STREAM = re.compile(rb"\d+ \d+ obj\s*<<([^<>]*)>>\s*stream\r?\n")  # a stream of simple entries (pydyf's)
_ENTRY = re.compile(rb"/(\w+)\s*(\d+ \d+ R|\[[^\]]*\]|/?\w+)")
_MAP = re.compile(rb"/" + CATALOG_KEY.encode() + rb"\s+(\d+)\s+0\s+R")


def _read_written(pdf: bytes) -> bytes | None:
    """`read_positions` of a PDF whose trailer is a cross-reference stream numbering its objects from 0."""
    xref, table = _stream(pdf, int(_STARTXREF.search(pdf, max(len(pdf) - 64, 0))[1]))  # type: ignore[index]
    widths = [int(width) for width in xref[b"W"].strip(b"[]").split()]
    if len(widths) != 3 or xref[b"Index"].strip(b"[]").split()[0] != b"0":
        raise ValueError("not a cross-reference stream as pydyf writes it")

    def entry(number: int) -> list[int]:
        row, at = table[number * sum(widths):(number + 1) * sum(widths)], 0
        out = []
        for width in widths:
            out.append(int.from_bytes(row[at:at + width], "big"))
            at += width
        return out

    kind, where, index = entry(int(xref[b"Root"].split()[0]))
    if kind != 2:  # pydyf keeps the catalog in its object stream
        raise ValueError("the catalog is not in an object stream")
    objects, data = _stream(pdf, entry(where)[1])
    first = int(objects[b"First"])
    starts = [int(offset) for offset in data[:first].split()[1::2]] + [len(data) - first]
    found = _MAP.search(data[first + starts[index]:first + starts[index + 1]])
    return _stream(pdf, entry(int(found[1]))[1])[1] if found else None


def _stream(pdf: bytes, offset: int) -> tuple[dict[bytes, bytes], bytes]:
    """The dictionary (simple entries only) and the decoded data of the stream object at `offset`."""
    head = _STREAM.match(pdf, offset)
    entries = dict(_ENTRY.findall(head[1]))  # type: ignore[index]
    data = pdf[head.end():head.end() + int(entries[b"Length"])]  # type: ignore[union-attr]
    if entries.get(b"Filter") not in (None, b"/FlateDecode"):
        raise ValueError("an unexpected filter")
    return entries, zlib.decompress(data) if b"Filter" in entries else data
