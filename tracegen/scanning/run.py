"""`tracegen scan`: read a stack of scanned worksheets into a responses file, a review page and a
report (see docs/scanning.md).

Pages are read in worker processes (`scanning.read`), then every blank is decided
(`scanning.decide`): first among the values a careful student writes from the givens, then, for
what is still open, also among those that follow from the student's own answers read so far.
Nothing is written until everything is decided; every file is written atomically.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from tracegen.batching.folder import Batch, read_batch
from tracegen.errors import InputError, OptionError
from tracegen.files import write_atomic
from tracegen.scanning import candidates, images, outputs, review
from tracegen.scanning.decide import Decision, Layout, decide
from tracegen.scanning.positions import Positions, batch_positions
from tracegen.scanning.read import READ, Page, read_page
from tracegen.scanning.scanned import Scanned

RESPONSES, REVIEW, REPORT = "responses.csv", "review.html", "report.csv"
MODEL = "tracegen.scanning.digits"  # the digit model: a module with normalise and log_probabilities


def scan(batch_dir: str | Path, sources: tuple[str, ...], out: str | Path | None = None, jobs: int = 1,
         progress: Callable[[int], None] | None = None, model: str = MODEL,
         count: Callable[[int], None] | None = None) -> Scanned:
    """Read the scans `sources` (PDFs, images, folders of them) of the batch in `batch_dir`; with `out`,
    write responses.csv, review.html and report.csv there. `count` is told the number of pages
    first and `progress` one step per page read. `model` names the digit model's module (imported
    in each worker process)."""
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise OptionError(f"-o/--output: {out} is a file; expected a folder")
    if jobs < 1:
        raise OptionError(f"-j/--jobs: {jobs}; expected 1 or more")
    batch = read_batch(batch_dir)
    maps = batch_positions(batch.folder, batch.variants)
    ids = {m.batch for m in maps.values()}
    if len(ids) != 1:
        raise InputError(f"{batch.folder}: its worksheets carry several batch codes ({', '.join(sorted(ids))}); "
                         f"rerun tracegen batch")
    work = [(path, i) for path in images.files(sources) for i in range(images.count(path))]
    importlib.import_module(model)  # here, before any worker: a model that is not there fails once
    if count is not None:
        count(len(work))
    found = _read_all(work, partial(_read, batch=ids.pop(), maps=maps, model=model), jobs, progress)
    _duplicates(found)
    scanned = Scanned(batch, maps, found, _decide(batch, maps, found))
    if out is not None:
        folder = Path(out)
        files = {RESPONSES: outputs.responses(scanned), REPORT: outputs.report(scanned),
                 REVIEW: review.page(scanned)}
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            write_atomic(folder / name, data)
    return scanned


def _read_all(work: list[tuple[Path, int]], reader: Callable[[tuple[Path, int]], Page], jobs: int,
              progress: Callable[[int], None] | None) -> list[Page]:
    """Every page read, in the order given (in `jobs` worker processes)."""
    found: list[Page] = []
    if jobs == 1 or len(work) < 2:
        for page in map(reader, work):
            found.append(page)
            if progress is not None:
                progress(1)
        return found
    with ProcessPoolExecutor(min(jobs, len(work))) as pool:
        for page in pool.map(reader, work, chunksize=1):
            found.append(page)
            if progress is not None:
                progress(1)
    return found


def _read(item: tuple[Path, int], batch: str, maps: dict[str, Positions], model: str) -> Page:
    return read_page(item[0], item[1], batch, maps, importlib.import_module(model))


def _duplicates(found: list[Page]) -> None:
    """A page scanned twice: the first is read, the others are reported."""
    seen: dict[tuple[str, int], Page] = {}
    for page in found:
        if page.status != READ:
            continue
        first = seen.setdefault((page.variant, page.number), page)
        if first is not page:
            page.status = f"the same page as {Path(first.file).name} page {first.index}: not read again"
            page.logp, page.pictures = {}, {}


def _decide(batch: Batch, maps: dict[str, Positions], found: list[Page]) -> dict[tuple[str, str], Decision]:
    """Every blank read, decided: among the givens' candidates, then the open ones again with the
    student's own answers as read."""
    column = {blank: i for i, blank in enumerate(batch.blanks["blank"])}
    row = {variant: i for i, variant in enumerate(batch.variants)}
    layouts = {(v, b.id): (Layout.of(b), b.decimals) for v, m in maps.items() for b in m.blanks}
    read = {(page.variant, blank): logp for page in found if page.status == READ for blank, logp in page.logp.items()}
    givens = candidates.from_givens(batch)

    def one(key: tuple[str, str], tables: list[np.ndarray], r: int) -> Decision:
        layout, decimals = layouts[key]
        return decide(read[key], layout, candidates.texts(tables, r, column[key[1]], decimals))

    decisions = {key: one(key, givens, row[key[0]]) for key in read if key[1] in column}
    open_variants = sorted({v for (v, _), d in decisions.items() if not d.accepted}, key=row.__getitem__)
    if open_variants:
        rows = np.array([row[v] for v in open_variants])
        answers = np.full((len(rows), len(column)), np.nan)
        for (v, b), d in decisions.items():
            if d.text and v in open_variants:
                answers[open_variants.index(v), column[b]] = float(d.text)
        own = candidates.from_own(batch, rows, answers)
        for (v, b), d in list(decisions.items()):
            if not d.accepted:
                r = open_variants.index(v)
                tables = [t[[row[v]]] for t in givens] + [t[[r]] for t in own]
                decisions[(v, b)] = one((v, b), tables, 0)
    return decisions
