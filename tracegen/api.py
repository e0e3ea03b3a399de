"""The Python entry points beside `load_spec` and `trace`: documents, variants, batches and scans.

Each is a thin layer over what the CLI runs (`tracegen.render`, `tracegen.batching.run`,
`tracegen.batching.variants`, `tracegen.scanning.run`), so a notebook and the command line give the same numbers and the
same bytes. Arguments take what a notebook has at hand: a Spec, a path or a dict for a
spec; a path or a DataFrame for a roster.

Decisions: a secret is given as the path of the file that holds it (as `--secret-file`),
never as the secret itself, so it does not end up in a notebook's cells or outputs.
Option errors name the option by its command-line flag (`--variants: expected ...`),
since `batch`'s keyword arguments mirror those flags.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from tracegen import scanning
from tracegen.batching import folder, run, stamping
from tracegen.batching.roster import Student, parse_roster, read_roster
from tracegen.choices import usable_cores
from tracegen.csvfiles import unsafe
from tracegen.engine.trace import Trace, trace
from tracegen.errors import OptionError
from tracegen.notebook import Document
from tracegen.spec.model import Spec, SpecLike, load_spec

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made or read: a batch's workers never need it
    import pandas as pd

Roster: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"
Secret: TypeAlias = "str | os.PathLike[str]"


def _trace(source: Trace | SpecLike) -> Trace:
    return source if isinstance(source, Trace) else trace(source)


def key(source: Trace | SpecLike, *, student: str | None = None, paper: str = "a4") -> Document:
    """The answer key of a trace (or of a spec, traced first): every blank filled, every step worked.

    `student` prints a name on every page; `paper` is "a4" or "letter" (PDF, printed HTML).

    >>> k = tracegen.key(tracegen.load_example(), student="Ada Lovelace (s104)")
    >>> "Ada Lovelace (s104)" in k.markdown()
    True
    """
    return Document(_trace(source), "key", student=student, paper=paper)


def worksheet(source: Trace | SpecLike, *, student: str | None = None, paper: str = "a4",
              fillable: bool = False) -> Document:
    """The worksheet of a trace (or of a spec): givens, formulas, a blank for every computed number.
    `fillable` makes its PDF a form, a text field per blank (`tracegen render --fillable`).

    >>> w = tracegen.worksheet(tracegen.load_example())
    >>> "0.881" in w.markdown()   # ŷ = σ(2) is the students' to find
    False
    """
    return Document(_trace(source), "worksheet", student=student, paper=paper, fillable=fillable)


def solution(source: Trace | SpecLike, *, student: str | None = None, paper: str = "a4") -> Document:
    """The worked solution for students: the key's every step and number, without its notes for graders.

    >>> s = tracegen.solution(tracegen.load_example())
    >>> "0.881" in s.markdown() and "Grader" not in s.markdown()
    True
    """
    return Document(_trace(source), "solution", student=student, paper=paper)


def _path(value: str | os.PathLike[str]) -> Path:
    return Path(value).expanduser()


def _students(roster: Roster | None, transliteration: str | None = None) -> tuple[Student, ...] | None:
    """A roster file's or a DataFrame's students, checked as `tracegen batch --roster` checks a file.

    A DataFrame is read as the CSV it would be saved as (its index too, when named, e.g.
    after `set_index("student_id")`), so line n of a message is row n - 2 of the frame.
    """
    if roster is None:
        return None
    if isinstance(roster, str | os.PathLike):
        return tuple(read_roster(_path(roster), transliteration))
    import pandas as pd

    if isinstance(roster, pd.DataFrame):
        text = roster.to_csv(index=any(name is not None for name in roster.index.names))
        return tuple(parse_roster(text, "roster", transliteration))
    raise OptionError(f"roster: expected a CSV file's path or a DataFrame, got {type(roster).__name__}")


def _options(*, count: int | None, roster: Roster | None, seed: int | None, secret: Secret | None,
             to: str | Sequence[str] = run.FORMATS, kind: str | Sequence[str] = run.DEFAULT_KINDS,
             jobs: int | None = None, force: bool = False, transliteration: str | None = None,
             fillable: bool = False, paper_ready: bool = True) -> run.Options:
    """The batch Options of Python arguments; `to`/`kind` as a sequence or a comma-separated string."""
    if isinstance(secret, bytes):
        raise OptionError("secret: give the path of the file that holds the secret, not the secret itself")
    return run.Options(count=count, roster=_students(roster, transliteration), seed=seed,
                            secret_file=_path(secret) if secret is not None else None,
                            kinds=_names(kind), formats=_names(to), jobs=jobs, force=force,
                            transliteration=transliteration, fillable=fillable, paper_ready=paper_ready)


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    """("md", "pdf") from "md,pdf" or a sequence (a bare "pdf" is one name, not three letters)."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(dict.fromkeys(item.strip() for item in items))


def variants(spec: SpecLike, n: int | None = None, *, seed: int | None = None, roster: Roster | None = None,
             secret: Secret | None = None) -> list[Spec]:
    """Draw a class's variants of `spec`, as `tracegen batch` does: one Spec per variant.

    Give `n` (numbered variants 1..n) or `roster` (a CSV path or a DataFrame with a
    `student_id` column: one variant per student), and `seed` (default 0) or `secret`
    (the path of a secret file). The same arguments draw the same numbers as the batch
    command, and each Spec carries its variant id, which its trace and documents print.

    >>> specs = tracegen.variants(tracegen.load_example(), n=3, seed=2026)
    >>> [s.variant for s in specs] == [s.variant for s in tracegen.variants(tracegen.load_example(), 3, seed=2026)]
    True
    >>> len(specs), specs[0].summary()
    (3, '3-2-1 network, 1 sample, 3 epochs, loss bce')
    """
    if (n is None) == (roster is None):
        raise OptionError("give either n (a number of variants) or roster (exactly one)")
    options = _options(count=n, roster=roster, seed=seed, secret=secret)
    return [job.variant.spec for job in run.plan(load_spec(spec), options)]


def batch(spec: SpecLike, out_dir: str | os.PathLike[str] = "output/batch", *, variants: int | None = None,
          roster: Roster | None = None, seed: int | None = None, secret: Secret | None = None,
          to: str | Sequence[str] = run.FORMATS, kind: str | Sequence[str] = run.DEFAULT_KINDS,
          jobs: int | None = None, force: bool = False, transliteration: str | None = None, fillable: bool = False,
          paper_ready: bool = True, progress: Callable[[int], Callable[[int], None]] | None = None) -> pd.DataFrame:
    """`tracegen batch` from Python: every variant's folder, manifest.csv and answers.csv in `out_dir`.

    Keyword arguments mirror the command's options (`variants=N` or `roster=`, `seed=` or
    `secret=` for `--secret-file`, `to=`, `kind=`, `jobs=` for `-j`, `force=`,
    `transliteration=`, `fillable=`, `paper_ready=`); `roster` may also be a DataFrame. `progress`, if given, is
    called with the number of variants once they are drawn and returns a callable that gets 1
    per finished variant. Returns the manifest (one row per file, with its variant's difficulty profile) as a DataFrame
    of strings; `.attrs` holds `written` and `skipped` (variants left as they were on a
    rerun) and `difficulty`, the report's lines on the spread of the class.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     manifest = tracegen.batch(tracegen.load_example(), out, variants=2, seed=2026, to="md", jobs=1)
    >>> manifest["file"].str.split("/").str[1].tolist()
    ['spec.yaml', 'worksheet.md', 'key.md', 'spec.yaml', 'worksheet.md', 'key.md']
    >>> manifest.attrs["written"], manifest.attrs["skipped"]
    (2, 0)
    """
    import pandas as pd

    made = write_batch(spec, out_dir, variants=variants, roster=roster, seed=seed, secret=secret, to=to, kind=kind,
                       jobs=jobs, force=force, transliteration=transliteration, fillable=fillable,
                       paper_ready=paper_ready, progress=progress)
    manifest = pd.read_csv(made.out / folder.MANIFEST, dtype=str, keep_default_na=False)
    manifest.attrs.update(written=made.written, skipped=made.skipped, difficulty=made.difficulty)
    return manifest


class Made(NamedTuple):
    """What `write_batch` made: the batch's folder, the variants written and left as they were, and the report's
    lines on the spread of the class's difficulty."""

    out: Path
    written: int
    skipped: int
    difficulty: list[str]


def write_batch(spec: SpecLike, out_dir: str | os.PathLike[str] = "output/batch", *, variants: int | None = None,
                roster: Roster | None = None, seed: int | None = None, secret: Secret | None = None,
                to: str | Sequence[str] = run.FORMATS, kind: str | Sequence[str] = run.DEFAULT_KINDS,
                jobs: int | None = None, force: bool = False, transliteration: str | None = None,
                fillable: bool = False, paper_ready: bool = True,
                progress: Callable[[int], Callable[[int], None]] | None = None) -> Made:
    """`batch` without reading the manifest back as a DataFrame (the command line's: pandas, a quarter second
    of a batch's start, is then never imported)."""
    options = _options(count=variants, roster=roster, seed=seed, secret=secret, to=to, kind=kind, jobs=jobs,
                       force=force, transliteration=transliteration, fillable=fillable, paper_ready=paper_ready)
    parsed = load_spec(spec)
    with stamping.reusing():  # the variants the plan traces are traced again by no worker (forked after it)
        planned = run.plan(parsed, options)
        out = _path(out_dir)
        summary = run.run(planned, out, options, progress=progress(len(planned)) if progress else None)
    return Made(out, summary.written, summary.skipped, run.difficulty(parsed, planned))


class Scans(NamedTuple):
    """What `scan` returns: responses.csv and report.csv as DataFrames of strings."""

    responses: pd.DataFrame
    report: pd.DataFrame


def scan(batch_dir: str | os.PathLike[str], scans: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
         out: str | os.PathLike[str] | None = None, *, jobs: int | None = None,
         progress: Callable[[int], Callable[[int], None]] | None = None) -> Scans:
    """`tracegen scan` from Python: read filled paper worksheets of the batch in `batch_dir` back.

    `scans` is a PDF, an image (scanned or photographed) or a folder of them, or a list of those.
    Returns the responses (one row per student with a page read, in `tracegen grade`'s format:
    accepted values as read, flagged and missing blanks empty) and the report (a row per page: read
    or why not, and per student: complete or the pages missing) as DataFrames of strings (a negative
    value as read, `-0.101`, without the apostrophe that keeps it text in the CSV files); with `out`,
    also writes responses.csv, report.csv and review.html there (each atomically). `jobs` is the
    number of worker processes (default: the machine's cores); `progress`, if given, is called with
    the number of pages once they are counted and returns a callable that gets 1 per page read.
    Needs the scan extra (`pip install 'tracegen[scan]'`); without it, an OptionError says so.

    >>> import tempfile
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as out:
    ...     _ = tracegen.batch(tracegen.load_example(), out, variants=2, seed=2026, to="pdf", kind="worksheet", jobs=1)
    ...     Image.new("L", (1240, 1754), 255).save(f"{out}/blank.png")   # a sheet with nothing on it
    ...     responses, report = tracegen.scan(out, f"{out}/blank.png", jobs=1)
    >>> len(responses), report.loc[0, "status"]
    (0, 'no page code found (not a worksheet page, or the code is unreadable)')
    >>> report.loc[report["kind"] == "student", "status"].tolist()
    ['no page found', 'no page found']
    """
    why = scanning.missing()
    if why:
        raise OptionError(why)
    from tracegen.scanning import outputs
    from tracegen.scanning.run import scan as run_scan

    sources = (scans,) if isinstance(scans, str | os.PathLike) else tuple(scans)
    counted: list[Callable[[int], None]] = []

    def count(total: int) -> None:
        if progress is not None:
            counted.append(progress(total))

    import pandas as pd

    scanned = run_scan(_path(batch_dir), tuple(str(_path(s)) for s in sources), _path(out) if out is not None else None,
                       jobs=usable_cores() if jobs is None else jobs, count=count,
                       progress=lambda step: counted[0](step) if counted else None)
    return Scans(*(pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False).map(unsafe)
                   for data in (outputs.responses(scanned), outputs.report(scanned))))
