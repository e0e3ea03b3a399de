"""The command line: a thin layer over the library.

Exceptions are mapped to exit codes in one place (`_Group.invoke`): bad input (spec,
roster, options) exits 2 with one line on stderr, anything else exits 1, and no
traceback is ever shown (set TRACEGEN_DEBUG=1 to see one). Each command imports what it
needs when it runs (`tracegen --help` and `check` never load pandas or WeasyPrint).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracegen.choices import DEFAULT_KINDS, DOCUMENT_FORMATS, KINDS, PAPERS, TRACE_FORMATS, usable_cores
from tracegen.errors import InputError, Interrupted, OptionError, TracegenError
from tracegen.files import write_atomic
from tracegen.render.pdf.process import PdfProcess
from tracegen.stopping import sigterm_as_interrupt
from tracegen.text import quote, shorten

if TYPE_CHECKING:
    from tracegen.spec.model import Spec

USER_ERRNOS = (errno.ENAMETOOLONG, errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.EINVAL)  # exit 2, not 1
FIRST_VARIANT = "seed=0/variant=1"  # what `batch --variants N` draws first
RARE_DRAWS, FEW_DRAWS = 0.01, 5  # check warns at this share of draws meeting the constraints (1,000 tries may then
# run out), or when fewer different draws meet them in its sample (distinct variants may run out)
MAX_MESSAGE = 500  # characters of an error line; user text inside is quoted shorter still


class Failure(click.ClickException):
    """One short line on stderr and a chosen exit code (2 bad input, 1 anything else, 128 +
    the signal when stopped)."""

    def __init__(self, message: str, exit_code: int, prefix: str = "error: ") -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class; ours is per error
        self.prefix = prefix

    def show(self, file: Any = None) -> None:
        from tracegen.text import one_line, shorten

        click.echo(f"tracegen: {self.prefix}{shorten(one_line(self.format_message()), MAX_MESSAGE)}", err=True)


def _usage(err: click.UsageError) -> Failure:
    """A usage error as one line that says where help is (click prints four: usage, hint, blank, error)."""
    path = err.ctx.command_path if err.ctx else "tracegen"
    return Failure(f"{err.format_message().rstrip('.')} (see '{path} --help')", 2)


class _Group(click.Group):
    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as err:
            raise _usage(err) from None

    def invoke(self, ctx: click.Context) -> Any:
        with sigterm_as_interrupt() as caught, warnings.catch_warnings():
            # numpy's RuntimeWarnings (overflow in a candidate variant, a rounded replay) are not the user's
            # to read: what reaches a page or a message is checked (tracegen.document.printable, trace()).
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._invoke(ctx, caught)

    def _invoke(self, ctx: click.Context, caught: list[int]) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            raise _usage(err) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except InputError as err:
            raise Failure(str(err), 2) from None
        except TracegenError as err:
            details = getattr(err, "details", ())  # a batch's failed variants, one line each
            for line in details if len(details) > 1 else ():
                Failure(line, 1, prefix="").show()
            raise Failure(getattr(err, "summary", "") if len(details) > 1 else str(err), 1) from None
        except Interrupted as err:
            raise Failure(str(err), 128 + err.signal, prefix="") from None
        except KeyboardInterrupt:
            how, signum = ("SIGTERM", caught[0]) if caught else ("Ctrl-C", signal.SIGINT)
            raise Failure(f"stopped ({how}); no file is left half-written", 128 + signum, prefix="") from None
        except OSError as err:  # a file the user named that cannot be written (a name too long, a folder)
            name = err.filename2 or err.filename  # os.replace's target, not the temporary name
            where = f": {quote(name, 120)}" if name else ""
            raise Failure(f"{err.strerror or err}{where}", 2 if err.errno in USER_ERRNOS else 1) from None
        except MemoryError:
            raise Failure("out of memory: this machine could not hold the work, although the spec is within "
                          "tracegen's limits; close other programs or use a smaller spec", 1) from None
        except Exception as err:
            if os.environ.get("TRACEGEN_DEBUG"):
                raise
            raise Failure(f"internal error: {type(err).__name__}: {err} (TRACEGEN_DEBUG=1 shows details)", 1) from None


def read_spec(path: str | None, bare: bool = False) -> Spec:
    """The spec at `path`, or the built-in Class 3 example when no path is given; `bare` (a command's
    --no-working-space) turns the spec's display.working_space off."""
    from tracegen.spec.model import load_example, load_spec

    spec = load_example() if path is None else load_spec(path)
    return dataclasses.replace(spec, working_space=False) if bare else spec


def split_list(value: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    """`md,html` -> ("md", "html"), refusing names outside `allowed` (exit 2)."""
    items = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise click.BadParameter(f"expected a comma-separated list of {', '.join(allowed)}, got {value!r}",
                                 param_hint=option)
    return items


PROGRESS_ROWS = 200_000  # a trace this big takes seconds: say so on a terminal
PROGRESS_PAGES = 40  # documents this long take seconds each: show a progress bar on a terminal


@contextlib.contextmanager
def _progress(length: int, label: str, long: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar's `update` on a terminal when the work is `long`; else None."""
    if not (long and sys.stderr.isatty()):
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


SPEC_ARG = click.argument("spec", required=False, type=click.Path(dir_okay=False))
WORKING_OPTION = click.option("--no-working-space", "bare", is_flag=True,
                              help="Worksheets without room to work under each pass (spec: "
                                   "display.working_space).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tracegen")
def cli() -> None:
    """Generate "training by hand" exercises: traces, worksheets and answer keys."""


@cli.command("check")
@click.argument("spec", type=click.Path(dir_okay=False))
def check_command(spec: str) -> None:
    """Validate SPEC, train it as `trace` does and say what it describes; exit 2 with one line if
    `trace` would refuse it, and a note for what `render` or `batch` would refuse (batch: its first
    variant with the default seed is drawn)."""
    from tracegen.document import printable
    from tracegen.engine.trace import trace
    from tracegen.spec import limits

    parsed = read_spec(spec)
    limits.check_trace(parsed)
    missing = parsed.missing_params()
    result = None if missing else trace(parsed)  # the divergence test, as trace and render run it
    click.echo(f"ok: {parsed.title}: {parsed.summary()}")
    notes = [f"{missing[0]}: left to variants: batch draws it; trace and render refuse the spec"] if missing else []
    # A spec can be fine to trace and still make documents nobody can read; a solution is its key
    # without the notes, so the key speaks for both.
    documents = [problem for kind in DEFAULT_KINDS
                 if (problem := limits.document_problem(parsed, limits.estimate_document(parsed, kind)))]
    notes += [f"{': '.join(problem)} (render and batch refuse it)" for problem in documents]
    problem = printable.problem(result) if result else None
    notes += [f"{': '.join(problem)} (render refuses it; batch draws its own values)"] if problem else []
    notes += [] if documents else _draw_notes(parsed)  # batch refuses those documents before drawing
    for note in notes:
        click.echo(f"tracegen: note: {shorten(note, MAX_MESSAGE)}", err=True)


def _draw_notes(spec: Spec) -> list[str]:
    """What `check` notes of `batch --variants N`: its first variant cannot be drawn, or few draws meet the
    constraints (a later variant may then run out of tries)."""
    from tracegen.batching.variants import acceptance, draw
    from tracegen.errors import SpecError

    try:
        draw(spec, [FIRST_VARIANT])
    except SpecError as err:
        return [f"{err.key}: {err.problem} (batch refuses it)"]
    share, different = acceptance(spec, FIRST_VARIANT)
    if share > RARE_DRAWS and different >= FEW_DRAWS:
        return []
    return [f"variants.constraints: in a sample of draws {share:.1%} meet them, {different:,} of them different, so "
            f"a batch may run out of its {spec.tries:,} tries for some variant: relax one under variants.constraints, "
            "widen the variants ranges or raise variants.tries (batch may refuse it)"]


@cli.command("trace")
@SPEC_ARG
@click.option("--format", "fmt", type=click.Choice(TRACE_FORMATS), default="csv", show_default=True,
              help="Output format of the trace table.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
def trace_command(spec: str | None, fmt: str, output: str | None) -> None:
    """Print the trace of SPEC (default: the built-in Class 3 example) as a table.

    One row per scalar: variant, epoch, step, phase, name, symbol, sample, row, col, value.
    """
    from tracegen.engine.trace import trace
    from tracegen.spec import limits

    parsed = read_spec(spec)
    limits.check_trace(parsed)
    rows = limits.trace_rows(parsed)
    if rows >= PROGRESS_ROWS and sys.stderr.isatty():
        click.echo(f"tracegen: tracing {rows:,} rows into {fmt}; this takes a few seconds", err=True)
    data = trace(parsed).export(fmt)
    if output:
        write_atomic(Path(output), data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@cli.command("render")
@SPEC_ARG
@click.option("--to", "formats", default=",".join(DOCUMENT_FORMATS), show_default=True,
              help="Document formats: md, html, pdf.")
@click.option("--kind", "kinds", default=",".join(DEFAULT_KINDS), show_default=True,
              help="Document kinds: worksheet, key (for graders), solution (for students).")
@click.option("--paper", type=click.Choice(tuple(PAPERS)), default="a4", show_default=True,
              help="Page size of the PDF (and of the HTML when printed).")
@click.option("--tagged/--untagged", default=True, show_default=True,
              help="PDF: tagged PDF/UA-1 for screen readers (its maths spoken, about 10% slower), or not.")
@click.option("--fillable", is_flag=True, help="PDF: the worksheet is a form, a text field per blank.")
@click.option("--paper-ready", is_flag=True, help="PDF: the worksheet comes back from paper: answer cells, a QR "
              "code and marks on each page, and its position map (.positions.json).")
@WORKING_OPTION
@click.option("-o", "--output", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the documents.")
@click.option("--force", is_flag=True, help="Render documents above the page and font-size limits.")
@click.option("--no-cache", is_flag=True, help="PDF: lay every page out anew, neither reading nor filling the "
                                               "layout cache (same bytes).")
def render_command(spec: str | None, formats: str, kinds: str, paper: str, tagged: bool, fillable: bool,
                   paper_ready: bool, bare: bool, output: str, force: bool, no_cache: bool) -> None:
    """Write the worksheet and answer key of SPEC (default: the built-in Class 3 example).

    `--kind worksheet,key,solution` also writes the worked solution for students: every
    step and number of the key, without its notes for graders. Files are named after the
    spec file: class3-worksheet.pdf, class3-key.html, class3-solution.md, ... (a name with
    other characters than a-z, 0-9, - and _ gets six hex digits more, so no two specs share files).
    Everything is rendered before anything is written.
    """
    to = split_list(formats, DOCUMENT_FORMATS, "--to")
    chosen = split_list(kinds, KINDS, "--kind")
    pdf = "pdf" in to and not no_cache
    seen = _layouts_note(spec, to, chosen, paper, tagged, fillable, paper_ready) if pdf else None
    # the layout process, unless this render found its layouts cached last time; None also where it cannot fork
    pdf_process = PdfProcess.start() if "pdf" in to and not (seen and seen.exists()) else None
    with pdf_process or contextlib.nullcontext():
        from tracegen import render  # while the PDF process imports WeasyPrint
        from tracegen.engine.trace import trace
        from tracegen.spec import limits

        parsed = read_spec(spec, bare)
        limits.check_trace(parsed)
        if not force:
            limits.check_documents(parsed, chosen)
        result = trace(parsed)
        pages = sum(limits.estimate_document(parsed, kind).pages for kind in chosen)
        long = pages >= PROGRESS_PAGES
        with _progress(len(chosen) * len(to), f"rendering about {pages:,} pages", long) as update:
            documents = render.render_documents(result, chosen, to, paper=paper, tagged=tagged, fillable=fillable,
                                                paper_ready=paper_ready, processes=usable_cores(), progress=update,
                                                pdf_process=pdf_process, cache=not no_cache)
    if seen:
        from tracegen.render.pdf.layouts import remember

        remember(seen)
    stem = render.file_stem(Path(spec).stem if spec else "class3")
    for (kind, fmt), data in documents.items():
        click.echo(write_atomic(Path(output) / f"{stem}-{kind}.{fmt}", data))


def _layouts_note(spec: str | None, *options: object) -> Path | None:
    """The layout cache's note for rendering this spec file (its bytes) with these options, or None if unreadable."""
    from importlib import resources

    from tracegen.render.pdf.layouts import note

    try:
        source = Path(spec).read_bytes() if spec else resources.files("tracegen").joinpath(
            "examples", "class3.yaml").read_bytes()
    except OSError:
        return None
    return note(source, repr(options).encode())


@cli.command("batch")
@SPEC_ARG
@click.option("--variants", "count", type=int, metavar="N", help="Draw N numbered variants.")
@click.option("--roster", type=click.Path(dir_okay=False),
              help="CSV with a student_id column (optional name): one variant per student.")
@click.option("--seed", type=int, metavar="N",
              help="Seed material: the same seed gives the same variants [default: 0].")
@click.option("--secret-file", type=click.Path(dir_okay=False),
              help="Derive variants from a keyed hash of this file's secret and the student id.")
@click.option("--to", "formats", default=",".join(DOCUMENT_FORMATS), show_default=True, help="Document formats.")
@click.option("--kind", "kinds", default=",".join(DEFAULT_KINDS), show_default=True,
              help="Document kinds: worksheet, key, solution.")
@click.option("--fillable", is_flag=True, help="PDF: each worksheet is a form that tracegen grade reads back filled.")
@click.option("--paper-ready/--no-paper-ready", default=True, show_default=True,
              help="PDF: worksheets come back from paper (tracegen scan): answer cells, a QR code and marks on each "
                   "page, and worksheet.positions.json beside each.")
@click.option("-j", "--jobs", type=int, metavar="JOBS", help="Worker processes [default: the machine's cores].")
@WORKING_OPTION
@click.option("-o", "--output", default="output/batch", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the variant folders, manifest.csv and answers.csv.")
@click.option("--force", is_flag=True, help="Redo every variant, even those whose files match the manifest, and "
                                           "render documents above the page and font-size limits.")
@click.option("--transliteration", metavar="COLUMN",
              help="Roster column printed instead of a name that no installed font can print whole.")
def batch_command(spec: str | None, count: int | None, roster: str | None, seed: int | None, secret_file: str | None,
                  formats: str, kinds: str, fillable: bool, paper_ready: bool, jobs: int | None, bare: bool,
                  output: str, force: bool, transliteration: str | None) -> None:
    """Write one worksheet and key per variant or student, plus manifest.csv and answers.csv.

    SPEC defaults to the built-in Class 3 example. Rerunning skips variants whose files
    still match the manifest; a progress bar shows on a terminal only.

    Fairness gates, on by default, redraw a variant until it works the same rules as the
    base spec, about as hard; relax one in the spec under variants.constraints (e.g.
    `loss_band: null`):

    \b
      same_branches      as many active, inactive and kinked ReLU units per
                         epoch and layer as the base spec
      no_zero_gradients  no layer's whole gradient zero in an epoch, unless
                         the base's is
      loss_band: 3       each epoch's loss within a factor 3 of the base's
      no_ties            no computed value halfway between two printed ones

    Beside them: no_kinks, active_hidden, max_output_z (4), loss_decreases,
    readable, distinct (docs/batch.md).
    manifest.csv gives each variant's difficulty profile; on a terminal, batch prints
    the spread across the class.
    """
    from tracegen.api import write_batch

    terminal = sys.stderr.isatty()  # piped or logged: quiet
    with contextlib.ExitStack() as stack:
        def bar(total: int) -> Callable[[int], None]:
            return stack.enter_context(click.progressbar(length=total, label="batch", file=sys.stderr)).update

        made = write_batch(read_spec(spec, bare), output, variants=count, roster=roster, seed=seed,
                           secret=secret_file,
                           to=split_list(formats, DOCUMENT_FORMATS, "--to"),
                           kind=split_list(kinds, KINDS, "--kind"), jobs=jobs, force=force, fillable=fillable,
                           paper_ready=paper_ready, transliteration=transliteration,
                           progress=bar if terminal else None)
    if terminal:
        click.echo(f"{made.written + made.skipped} variants in {output} ({made.written} written, {made.skipped} "
                   "unchanged)", err=True)
        click.echo("\n".join(made.difficulty), err=True)


@cli.command("grade")
@click.argument("batch_dir", type=click.Path(file_okay=False))
@click.argument("responses", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Folder for the gradebook, feedback and class summary [default: BATCH_DIR/grades].")
@click.option("--match-by", metavar="COLUMN",
              help="A platform report's column holding a roster batch's student ids: idnumber, email, username "
                   "or a column's name [default: the one that does].")
@click.option("--template", is_flag=True, help="Write the empty RESPONSES.csv of the batch instead of grading.")
@click.option("--corrections", type=click.Path(dir_okay=False),
              help="A reviewer's corrections CSV (saved by the review page of tracegen scan), put into the responses.")
def grade_command(batch_dir: str, responses: tuple[str, ...], output: str | None, match_by: str | None,
                  template: bool, corrections: str | None) -> None:
    """Mark RESPONSES.csv against the batch in BATCH_DIR, with error carried forward.

    RESPONSES.csv may also be a platform's report of a quiz made by tracegen export: Moodle's
    quiz Responses report, or Canvas's Student Analysis reports (one per variant's quiz: give
    them all); or the worksheets of a batch --fillable as students filled them in: PDFs or
    folders of them, each matched to its variant by the code it carries.

    Writes gradebook.csv, details.csv, feedback/<variant>.html and .md and summary.html
    (open it first). Responses that do not fit the batch exit 2 and write nothing.
    """
    from tracegen import grading

    if template:
        if len(responses) > 1 or Path(responses[0]).exists():
            raise OptionError(f"{responses[0]}: already exists; --template never overwrites a responses file"
                              if len(responses) == 1 else "--template: give one file to write")
        click.echo(write_atomic(Path(responses[0]), grading.template(batch_dir)))
        return
    out = Path(output) if output else Path(batch_dir) / "grades"
    grades = grading.grade(batch_dir, responses[0] if len(responses) == 1 else responses, out=out, match_by=match_by,
                           corrections=corrections)
    book = grades.gradebook
    graded = book[book["status"] == "graded"]
    absent = f" ({len(book) - len(graded)} absent)" if len(graded) < len(book) else ""
    click.echo(f"{len(graded)} students graded{absent}, mean score {graded['score'].mean():.4g} of "
               f"{book['max'].iat[0]:g}: {out / 'summary.html'}")
    unread = grading.unread(grades.detail)
    if unread:
        click.echo(f"tracegen: {len(unread)} student{'s' if len(unread) > 1 else ''} with cells that could not be "
                   f"read as numbers (the notes on their feedback say why): "
                   + "; ".join(f"{who} ({count} cell{'s' if count > 1 else ''})" for who, count in unread), err=True)


@cli.command("scan")
@click.argument("batch_dir", type=click.Path(file_okay=False))
@click.argument("scans", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Folder for responses.csv, review.html and report.csv [default: BATCH_DIR/scan].")
@click.option("-j", "--jobs", type=int, metavar="JOBS", help="Worker processes [default: the machine's cores].")
def scan_command(batch_dir: str, scans: tuple[str, ...], output: str | None, jobs: int | None) -> None:
    """Read filled paper worksheets of the batch in BATCH_DIR from SCANS (PDFs, images, folders).

    SCANS may be a scanner's pages or phone photographs of them (flat, whole page in the
    frame). Pages may come in any order and rotation, mixed between students; each is found
    by its QR code and registration marks. Writes responses.csv (for tracegen grade), review.html
    (the blanks not read with confidence: type their values, save corrections.csv, and grade
    with --corrections) and report.csv (per page and student: read, flagged, missing).
    Needs the scan extra: pip install 'tracegen[scan]'.
    """
    from tracegen.api import scan

    out = Path(output) if output else Path(batch_dir) / "scan"
    with contextlib.ExitStack() as stack:
        def bar(total: int) -> Callable[[int], None]:
            if sys.stderr.isatty() and total > 1:
                return stack.enter_context(click.progressbar(length=total, label="scan", file=sys.stderr)).update
            return lambda step: None

        report = scan(batch_dir, scans, out, jobs=jobs, progress=bar).report
    from tracegen.scanning.run import REVIEW

    pages, students = report[report["kind"] == "page"], report[report["kind"] == "student"]
    read = int((pages["status"] == "read").sum())
    accepted, flagged = (int(students[column].astype(int).sum()) for column in ("read", "flagged"))
    click.echo(f"{read} of {len(pages)} pages read, {accepted} of {accepted + flagged} blanks accepted, "
               f"{flagged} to review: {out / REVIEW}")
    if read < len(pages):
        click.echo(f"tracegen: {len(pages) - read} pages not read (report.csv says why)", err=True)


@cli.command("export")
@click.argument("batch_dir", type=click.Path(file_okay=False))
@click.option("--to", "platform", metavar="moodle|canvas",
              help="moodle: Moodle XML, a cloze question per variant; canvas: a QTI 1.2 zip, a quiz per variant.")
@click.option("-o", "--output", type=click.Path(),
              help="File to write [default: BATCH_DIR/moodle.xml or BATCH_DIR/canvas-qti.zip].")
def export_command(batch_dir: str, platform: str | None, output: str | None) -> None:
    """Export the batch in BATCH_DIR as a quiz for a learning platform: Moodle or Canvas.

    Each variant's worksheet becomes a question (Moodle: a quiz draws one at random per
    student) whose blanks are answer fields with the grading tolerance. No student name is
    written. Bad input exits 2 and writes nothing.
    """
    from tracegen import lms

    if platform is None:
        raise OptionError("--to: missing; expected moodle or canvas")
    click.echo(lms.export(batch_dir, platform, output))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="tracegen")
