"""Batch: one exercise per variant or per student, with answer keys, a manifest and a grading table.

Nothing is written unless the input is good: `plan` checks the options, reads the roster
and draws every variant (bad input raises an InputError before any file exists). `run`
then traces and renders each variant in a worker process, writes its folder atomically,
and ends with manifest.csv and answers.csv. A rerun skips the variants whose files still
match the manifest, so an interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tracegen import render
from tracegen.batching import fairness, stamping
from tracegen.batching.folder import ANSWERS, MANIFEST, MANIFEST_COLUMNS, SPEC_FILE, Recorded, read_manifest
from tracegen.batching.names import FONT_FORMATS, printed_label
from tracegen.batching.roster import MAX_STUDENTS, Student, read_roster
from tracegen.batching.stamping import Stamp
from tracegen.batching.variants import Variant, base_profile, draw, fingerprint, profiles
from tracegen.choices import DEFAULT_KINDS, KINDS, usable_cores
from tracegen.choices import DOCUMENT_FORMATS as FORMATS
from tracegen.csvfiles import csv_bytes, spreadsheet_safe
from tracegen.document.cells import integer_digits
from tracegen.errors import InputError, Interrupted, OptionError, RenderError, TracegenError
from tracegen.files import read_capped, write_atomic
from tracegen.render.coverage import require_printable
from tracegen.render.pdf import layouts
from tracegen.render.pdf.form import fingerprint as form_fingerprint
from tracegen.render.pdf.loader import weasyprint
from tracegen.spec import limits
from tracegen.spec.model import Spec
from tracegen.stopping import sigterm_as_interrupt
from tracegen.text import quote

MAX_VARIANTS = MAX_STUDENTS  # one variant per student
MIN_SECRET_BYTES = 16
MAX_SECRET_BYTES = 64 * 1024  # read no further: /dev/zero is a file too
CHECKPOINT_SECONDS = 2.0  # how often the manifest is saved during a run, for resuming
STOP_SECONDS = 0.5  # how long a stopped worker may take to clean up before it is killed
WATCH_SECONDS = 0.5  # how often a worker checks that its parent is still alive
GC_THRESHOLD = 5000  # allocations between the cycle collector's young collections in a batch (Python's: 700)
Call = tuple[int, tuple[Any, ...]]  # a task's call on a variant: the variant's index in the batch, the arguments



class BatchError(TracegenError):
    """Some variants failed; the others were written. The CLI exits 1, printing each of `details` (one line per
    failed variant: its id and why) on a line of its own, then `summary`, when more than one failed."""

    def __init__(self, message: str, details: tuple[str, ...] = (), summary: str = "") -> None:
        super().__init__(message)
        self.details, self.summary = details, summary or message


@dataclass(frozen=True)
class Options:
    """What a batch is asked for, besides the spec and the output folder (see `tracegen batch`)."""

    count: int | None = None
    roster: Path | tuple[Student, ...] | None = None  # a roster file, or its students already read (Python API)
    seed: int | None = None
    secret_file: Path | None = None
    kinds: tuple[str, ...] = DEFAULT_KINDS
    formats: tuple[str, ...] = FORMATS
    jobs: int | None = None
    force: bool = False
    transliteration: str | None = None  # roster column printed instead of a name the fonts cannot print whole
    fillable: bool = False  # worksheet.pdf is a form (render.pdf.form)
    paper_ready: bool = True  # worksheet.pdf is ready to come back from paper, with its position map (docs/paper.md)


@dataclass(frozen=True, eq=False)
class Job:
    """One variant to produce: who it is for, which documents its folder holds, how hard it is."""

    variant: Variant
    student: Student | None
    kinds: tuple[str, ...]
    formats: tuple[str, ...]
    transliteration: str | None = None  # the roster column of transliterations, if the teacher named one
    fillable: bool = False
    profile: dict[str, str] = field(default_factory=dict)  # fairness.row: the manifest's fairness.PROFILE_COLUMNS
    paper: render.PaperReady | None = None  # the batch's paper-ready facts, when worksheet.pdf is paper-ready

    @property
    def files(self) -> list[str]:
        """File names inside the variant's folder, in manifest order (a paper-ready worksheet.pdf's map after it)."""
        names = [SPEC_FILE]
        for kind in self.kinds:
            for fmt in self.formats:
                names.append(f"{kind}.{fmt}")
                if self.paper is not None and (kind, fmt) == ("worksheet", "pdf"):
                    names.append(f"worksheet.{render.POSITIONS}")
        return names

    @property
    def meta(self) -> tuple[str, str, str, str]:
        """The manifest columns before `file`: a recorded variant is reused only if they match."""
        student = self.student
        return (self.variant.id, spreadsheet_safe(student.id) if student else "",
                spreadsheet_safe(student.name or "") if student else "", self.variant.material)


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back: SHA-256 per file and the answer row, or one line of error."""

    id: str
    hashes: dict[str, str]
    blanks: tuple[str, ...] = ()
    answers: tuple[float, ...] = ()
    skipped: bool = False
    error: str | None = None


@dataclass(frozen=True)
class BatchSummary:
    """How a run went: variants in the batch, written now, and left as they were."""

    total: int
    written: int
    skipped: int


# --- planning: everything that can be wrong with the input, before any file is written ----


def plan(spec: Spec, options: Options) -> list[Job]:
    """Check the options and the size of the work, read the roster and draw every variant
    (InputError on bad input; `options.force` lifts the document limits)."""
    check_options(options)
    limits.check_trace(spec)
    if not options.force:
        limits.check_documents(spec, options.kinds)
    secret = read_secret(options.secret_file) if options.secret_file is not None else None
    if set(options.formats) & set(FONT_FORMATS):
        require_printable(spec.title, f"the title {quote(spec.title)}")
    roster = options.roster
    students = read_roster(roster, options.transliteration) if isinstance(roster, Path) else roster
    variants = draw(spec, materials(options, students, secret), secret)
    people: Sequence[Student | None] = students or [None] * len(variants)
    drawn = profiles(variants)
    ready = paper_ready(spec, variants, options, secret)
    return [Job(v, s, options.kinds, options.formats, options.transliteration, options.fillable,
                fairness.row(drawn, i, v.attempt + 1), ready)
            for i, (v, s) in enumerate(zip(variants, people, strict=True))]


def paper_ready(spec: Spec, variants: Sequence[Variant], options: Options,
                secret: bytes | None) -> render.PaperReady | None:
    """The batch's paper-ready facts when its worksheet PDFs are paper-ready: its id (a hash of its seed or
    secret and its spec, in every page's code) and each quantity's integer-digit cells, from every variant's
    values (all traced here, before anything is rendered), so no cell row hints at an answer."""
    if not (options.paper_ready and "pdf" in options.formats and "worksheet" in options.kinds):
        return None
    prefix = f"secret={fingerprint(secret)}" if secret is not None else f"seed={options.seed or 0}"
    batch = hashlib.sha256(f"{prefix}\n{form_fingerprint(spec)}".encode()).hexdigest()[:10]
    traces = (stamping.traced(v.spec, v.id) for v in variants)  # kept for the workers while `stamping.reusing`
    return render.PaperReady(batch, integer_digits(traces, spec.decimals))


def difficulty(spec: Spec, jobs: Sequence[Job]) -> list[str]:
    """The batch report: the spread of the variants' difficulty, beside the base spec's own profile."""
    base = base_profile(spec)
    return fairness.spread([job.profile for job in jobs], fairness.row(base, 0) if base is not None else None)


def check_options(options: Options) -> None:
    """OptionError (exit 2) for any option outside what a batch accepts."""
    if (options.count is None) == (options.roster is None):
        raise OptionError("give either --variants N or --roster FILE.csv (exactly one)")
    if options.seed is not None and options.secret_file is not None:
        raise OptionError("give either --seed or --secret-file, not both")
    if options.transliteration is not None and options.roster is None:
        raise OptionError("--transliteration names a roster column: give --roster FILE.csv too")
    if options.count is not None and not 1 <= options.count <= MAX_VARIANTS:
        raise OptionError(f"--variants: expected a whole number from 1 to {MAX_VARIANTS}, got {options.count}")
    if options.seed is not None and options.seed < 0:
        raise OptionError(f"--seed: expected a whole number >= 0, got {options.seed}")
    if options.jobs is not None and options.jobs < 1:
        raise OptionError(f"--jobs: expected at least 1 worker, got {options.jobs}")
    for name, given, allowed in (("--kind", options.kinds, KINDS), ("--to", options.formats, FORMATS)):
        if not given or not set(given) <= set(allowed):
            raise OptionError(f"{name}: expected a list drawn from {', '.join(allowed)}, got {', '.join(given)}")


def read_secret(path: Path) -> bytes:
    """The secret key (surrounding whitespace removed, so an editor's newline does not matter)."""
    try:
        secret = read_capped(path, MAX_SECRET_BYTES + 1).strip()
    except OSError as err:
        raise OptionError(f"--secret-file: cannot read {path}: {err.strerror}") from None
    if len(secret) > MAX_SECRET_BYTES:
        raise OptionError(f"--secret-file: {path} is larger than {MAX_SECRET_BYTES // 1024} KiB; a secret is 16 to a "
                          "few hundred random bytes (is this the right file?)")
    if len(secret) < MIN_SECRET_BYTES:
        raise OptionError(f"--secret-file: {path} holds {len(secret)} bytes; use at least {MIN_SECRET_BYTES} "
                          f"random ones, e.g. `head -c 32 /dev/urandom | base64 > {path}`")
    return secret


def materials(options: Options, students: Sequence[Student] | None, secret: bytes | None) -> list[str]:
    """The seed material of each variant: seed (or secret fingerprint) plus number or student id.

    A student's variant depends only on their id, so adding a student changes no one else's.
    """
    prefix = f"secret={fingerprint(secret)}" if secret is not None else f"seed={options.seed or 0}"
    if students is None:
        return [f"{prefix}/variant={i}" for i in range(1, (options.count or 0) + 1)]
    return [f"{prefix}/student={student.id}" for student in students]


# --- one variant, in a worker process ----------------------------------------------------


class _SpecDumper(yaml.SafeDumper):
    """Number lists in flow style (`W: [[1, -1, 1], [-2, 0, 1]]`), as a teacher writes a spec."""


_SpecDumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=not any(isinstance(item, dict) for item in data)))


def _plain(data: Any) -> Any:
    """Whole floats as ints (`1` rather than `1.0`): the same float64 when read back."""
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(value) for value in data]
    if isinstance(data, float) and data.is_integer() and abs(data) < 2**53:
        return int(data)
    return data


def spec_yaml(variant: Variant, fillable: bool = False, paper: render.PaperReady | None = None) -> bytes:
    """The variant's concrete spec: `tracegen trace` on it reproduces the variant's numbers.

    Its first line says how the folder was made, a fillable or paper-ready worksheet too (with its batch
    and a hash of its cells' sizes), so a rerun that changes either finds the recorded spec.yaml changed
    and renders the variant again."""
    form = "; worksheet.pdf is a fillable form" if fillable else ""
    if paper is not None:
        cells = sha256(repr(sorted(paper.digits.items())).encode())[:8]
        form += f"; worksheet.pdf is paper-ready (batch {paper.batch}, cells {cells})"
    header = f"# tracegen batch variant {variant.id} ({variant.material}){form}\n"
    body = yaml.dump(_plain(variant.spec.to_dict()), Dumper=_SpecDumper, sort_keys=False, allow_unicode=True)
    return (header + body).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file, None when it is missing or unreadable."""
    try:
        return sha256(path.read_bytes())
    except OSError:
        return None


def produce(job: Job, out: Path, recorded: dict[str, str] | None, stamps: dict[str, Stamp] | None = None) -> Outcome:
    """Trace one variant; render and write its folder unless it already matches `recorded`.

    Runs in a worker: any failure comes back as the Outcome's error, so one bad variant
    never loses the others. Documents are rendered in memory first, so a failure leaves
    no new file. `stamps`: its PDFs' group rooms and layouts, by kind (`stamping`).
    """
    vid = job.variant.id
    try:
        result = stamping.traced(job.variant.spec, vid)
        answers = result.answer_row()
        files = {SPEC_FILE: spec_yaml(job.variant, job.fillable, job.paper)}
        folder = out / vid
        if recorded is not None and _unchanged(folder, job, files[SPEC_FILE], recorded):
            return Outcome(vid, {name: recorded[name] for name in job.files}, *answers, skipped=True)
        for stamp in (stamps or {}).values():
            layouts.keep(*stamp.layout)
        try:
            options: dict[str, Any] = {"student": _student(job), "fillable": job.fillable}
            if stamps:
                options["rooms"] = {kind: stamp.rooms for kind, stamp in stamps.items()}
            if job.paper is not None:
                options["paper_ready"] = job.paper
            documents = render.render_documents(result, job.kinds, job.formats, **options)
        finally:
            layouts.forget()
        files.update({f"{kind}.{fmt}": documents[(kind, fmt)] for kind, fmt in documents})
        for name, data in files.items():
            write_atomic(folder / name, data)
        return Outcome(vid, {name: sha256(data) for name, data in files.items()}, *answers)
    except Exception as err:  # noqa: BLE001 - reported per variant, the batch goes on
        message = str(err) if isinstance(err, InputError) else f"{type(err).__name__}: {err}"
        return Outcome(vid, {}, error=" ".join(message.split()))


def _student(job: Job) -> str | None:
    """The student's name as the documents print it."""
    return printed_label(job.student, job.formats, job.transliteration) if job.student else None


def _unchanged(folder: Path, job: Job, spec_bytes: bytes, recorded: dict[str, str]) -> bool:
    """Every requested file is recorded, on disk with the recorded hash, and the spec is the same."""
    if recorded.get(SPEC_FILE) != sha256(spec_bytes):
        return False
    return all(name in recorded and file_sha256(folder / name) == recorded[name] for name in job.files)


# --- the run -----------------------------------------------------------------------------


def run(jobs: Sequence[Job], out: Path, options: Options,
        progress: Callable[[int], None] | None = None) -> BatchSummary:
    """Produce every job into `out`, then write manifest.csv and answers.csv.

    The manifest is also saved every few seconds and when the run is interrupted, so a
    rerun only redoes what is missing. Ctrl-C or SIGTERM stops the workers at once, keeps
    every finished variant in the manifest and raises `Interrupted` saying what was kept.
    BatchError at the end if any variant failed.
    """
    out = prepare(out, jobs)
    previous = {} if options.force else read_manifest(out / MANIFEST)
    (out / ANSWERS).unlink(missing_ok=True)  # never leave a grading table that mixes two runs
    results: dict[str, Outcome] = {}
    saved = time.monotonic()

    def record(outcome: Outcome) -> None:
        nonlocal saved
        results[outcome.id] = outcome
        if progress is not None:
            progress(1)
        if time.monotonic() - saved > CHECKPOINT_SECONDS:
            write_manifest(out, jobs, results)
            saved = time.monotonic()

    with sigterm_as_interrupt() as caught, _collecting_less():
        try:
            execute(jobs, out, previous, options.jobs or usable_cores(), record)
        except KeyboardInterrupt:
            _sweep(out, jobs)
            raise Interrupted(_stopped(out, jobs, results), caught[0] if caught else signal.SIGINT) from None
        finally:
            write_manifest(out, jobs, results)
    write_answers(out, jobs, results)
    _report_failures(jobs, results)
    skipped = sum(o.skipped for o in results.values())
    return BatchSummary(len(jobs), len(jobs) - skipped, skipped)


def _report_failures(jobs: Sequence[Job], results: dict[str, Outcome]) -> None:
    """BatchError naming each failed variant and why, if any failed."""
    failed = [results[job.variant.id] for job in jobs if results[job.variant.id].error]
    if failed:
        details = tuple(f"{o.id}: {o.error}" for o in failed)
        rest = " (the others were written)" if len(failed) < len(jobs) else ""
        head = f"{len(failed)} of {len(jobs)} variants failed{rest}"
        raise BatchError(f"{head}: {'; '.join(details)}", details, f"{head}; each is named above")


def _stopped(out: Path, jobs: Sequence[Job], results: dict[str, Outcome]) -> str:
    """What an interrupted run kept, and how to finish it."""
    done = sum(1 for o in results.values() if not o.error)
    return (f"stopped: {done} of {len(jobs)} variants are done in {out} (listed in {MANIFEST}); run the same "
            f"command again to make the other {len(jobs) - done}")


def prepare(out: Path, jobs: Sequence[Job] = ()) -> Path:
    """The output folder, created if needed, without temporary files a killed run left behind."""
    if out.exists() and not out.is_dir():
        raise OptionError(f"-o/--output: {out} is a file; expected a folder")
    out.mkdir(parents=True, exist_ok=True)
    _sweep(out, jobs)
    return out


def _sweep(out: Path, jobs: Sequence[Job]) -> None:
    """Remove the temporary files (files.write_atomic's `.NAME.*.tmp`) of the jobs' folders:
    a worker stopped mid-write, or a batch killed with SIGKILL, may leave one."""
    for job in jobs:
        folder = out / job.variant.id
        for name in job.files:
            for tmp in folder.glob(f".{name}.*.tmp"):
                tmp.unlink(missing_ok=True)


def execute(jobs: Sequence[Job], out: Path, previous: Recorded, workers: int,
            record: Callable[[Outcome], None]) -> None:
    """`record` each Outcome as it finishes: in this process for one worker, else in worker processes (`_Workers`).

    On Ctrl-C (KeyboardInterrupt) the workers are stopped at once, the outcomes that
    arrived before are still recorded, and the interrupt goes on to the caller.
    """
    tasks = [(job, out, previous.get(job.meta)) for job in jobs]
    if workers == 1 or len(tasks) < 2:
        with stamping.reusing():
            for task, stamps in zip(tasks, _stamps(tasks, _inline), strict=True):
                record(produce(*task, stamps))
        return
    if _stamping(tasks):  # every worker lays a group out: WeasyPrint imported once, here, before they fork
        with contextlib.suppress(RenderError):  # missing: each variant's render says so
            weasyprint()
    with tempfile.TemporaryDirectory(prefix="tracegen-batch-") as scratch:
        team = _Workers(min(workers, len(tasks)), scratch)
        producing = False
        try:
            stamped = _stamps(tasks, team.map)
            producing = True
            calls = [(index, (*task, stamps)) for index, (task, stamps) in enumerate(zip(tasks, stamped, strict=True))]
            for index, future in team.each(_work, calls):
                record(_result(future, jobs[index]))
            team.shutdown()
        except BaseException:
            team.stop()
            for future in list(team.running) if producing else ():  # finished before the interrupt, not recorded
                if future.done() and not future.cancelled() and future.exception() is None:
                    record(future.result())
            raise


class _Workers:
    """A batch's worker processes, each its own one-process pool, so that every task on a variant (measuring it,
    measuring it again, laying its group out, rendering it) goes to the worker that did its first: that worker has
    traced it and built its documents (`stamping.reuse`), so no other builds them again. A worker with none of its
    own left takes the last task waiting for another (building that variant there too, once): the work stays
    balanced, and the variant's later tasks still go to the worker that did its first.

    A worker that dies (killed, out of memory) fails the tasks it was running; the others take what was waiting for
    it, and when none is left, what is left fails too."""

    DEPTH = 2  # tasks handed to a worker at a time: it starts the next as soon as it finishes one

    def __init__(self, count: int, scratch: str) -> None:
        self.pools = [ProcessPoolExecutor(max_workers=1, initializer=_worker_start, initargs=(scratch,))
                      for _ in range(count)]
        self.home: dict[int, int] = {}  # variant index -> the worker that did its first task
        self.running: dict[Future, tuple[int, int]] = {}  # handed out, not yet given back: (position, worker)
        self.dead: set[int] = set()

    def each(self, task: Callable[..., Any], calls: Sequence[Call]) -> Iterator[tuple[int, Future]]:
        """`task(*arguments)` for each (variant index, arguments) of `calls`: (its position in `calls`, its future),
        as each finishes."""
        waiting: list[deque[int]] = [deque() for _ in self.pools]
        for position, (variant, _) in enumerate(calls):
            waiting[self.home.get(variant, variant % len(self.pools))].append(position)
        self._top_up(task, calls, waiting)
        while self.running:
            finished, _ = wait(list(self.running), return_when=FIRST_COMPLETED)
            for future in finished:
                position, worker = self.running.pop(future)
                if isinstance(future.exception(), BrokenExecutor):
                    self.dead.add(worker)
                self._top_up(task, calls, waiting)
                yield position, future
        for queue in waiting:  # every worker died: what is left fails
            for position in queue:
                lost: Future = Future()
                lost.set_exception(BrokenExecutor("every worker process of the batch died"))
                yield position, lost

    def _top_up(self, task: Callable[..., Any], calls: Sequence[Call], waiting: list[deque[int]]) -> None:
        """Hand each live worker tasks until it has `DEPTH` (a task at a time to each in turn: a first call's variants
        alternate between the workers)."""
        for _ in range(self.DEPTH):
            for worker in range(len(self.pools)):
                if worker not in self.dead and sum(w == worker for _, w in self.running.values()) < self.DEPTH:
                    self._hand(worker, task, calls, waiting)

    def _hand(self, worker: int, task: Callable[..., Any], calls: Sequence[Call], waiting: list[deque[int]]) -> None:
        """Give `worker` its next task: its own, else the last one waiting for another."""
        queue = waiting[worker] or max(waiting, key=len)
        if not queue:
            return
        position = queue.popleft() if queue is waiting[worker] else queue.pop()
        try:
            future = self.pools[worker].submit(task, *calls[position][1])
        except RuntimeError:  # its process died (BrokenProcessPool): the others take its tasks
            self.dead.add(worker)
            queue.append(position)
            return
        self.home.setdefault(calls[position][0], worker)  # a variant another worker takes stays that one's
        self.running[future] = (position, worker)

    def map(self, task: Callable[..., Any], calls: Sequence[Call]) -> list[Any]:
        """As `_inline`, in the workers (a `stamping.Mapper`)."""
        out: list[Any] = [None] * len(calls)
        for position, future in self.each(task, calls):
            if not future.cancelled() and future.exception() is None:
                out[position] = future.result()
        return out

    def shutdown(self) -> None:
        for pool in self.pools:
            pool.shutdown()

    def stop(self) -> None:
        """Stop every worker now (`_stop`)."""
        _stop(self.pools)


@contextmanager
def _collecting_less() -> Iterator[None]:
    """Python's cycle collector, for a batch: it runs less often (`GC_THRESHOLD`), and what exists already
    (modules, jobs) is left out of its full collections (`gc.freeze`): a batch makes millions of short-lived
    objects, and each full collection walked every long-lived one (a tenth of a -j 1 batch's CPU). As it was
    afterwards, for a Python program that runs a batch; its workers, forked inside, keep it (`_worker_start`)."""
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    _collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen:
            gc.unfreeze()


def _collect_less() -> None:
    """The collector as a batch runs it, from now on in this process."""
    gc.freeze()
    gc.set_threshold(max(GC_THRESHOLD, gc.get_threshold()[0]), *gc.get_threshold()[1:])


def _stamps(tasks: Sequence[tuple[Job, Path, dict[str, str] | None]], run: stamping.Mapper) -> list[dict[str, Stamp]]:
    """Each task's PDF stamps (`stamping`): none when there is no PDF to make, or every variant is done."""
    if not _stamping(tasks):
        return [{} for _ in tasks]
    return stamping.stamps([_stampable(job) for job, _, _ in tasks], run)


def _stamping(tasks: Sequence[tuple[Job, Path, dict[str, str] | None]]) -> bool:
    """Whether the tasks' PDFs are stamped: two or more tasks, a PDF to make, and a variant not done yet."""
    if len(tasks) < 2 or not any("pdf" in job.formats for job, _, _ in tasks):
        return False
    return not all(recorded is not None and _unchanged(out / job.variant.id, job,
                                                       spec_yaml(job.variant, job.fillable, job.paper), recorded)
                   for job, out, recorded in tasks)


def _stampable(job: Job) -> tuple[Spec, str, tuple[str, ...], str | None, render.PaperReady | None]:
    """What `stamping` measures of a job; nothing for a student whose name cannot be printed (`produce` says why)."""
    try:
        return job.variant.spec, job.variant.id, _stamped_kinds(job), _student(job), job.paper
    except InputError:
        return job.variant.spec, job.variant.id, (), None, None


def _stamped_kinds(job: Job) -> tuple[str, ...]:
    """The kinds whose PDFs can share a layout: not a fillable worksheet (its form names the variant)."""
    return tuple(kind for kind in job.kinds if "pdf" in job.formats and not (job.fillable and kind == "worksheet"))


def _inline(task: Callable[..., Any], calls: Sequence[Call]) -> list[Any]:
    """`task` called on each (variant index, arguments) here; None for a call that failed (the variant then says
    why): a `stamping.Mapper`."""
    out = []
    for _, call in calls:
        try:
            out.append(task(*call))
        except Exception:  # noqa: BLE001 - produce reports the variant's own error
            out.append(None)
    return out


def _result(future: Future, job: Job) -> Outcome:
    """A finished future's Outcome; a worker that died (killed, out of memory) fails its variant."""
    try:
        return future.result()
    except Exception as err:  # noqa: BLE001 - BrokenProcessPool and friends
        return Outcome(job.variant.id, {}, error=f"worker failed: {type(err).__name__}: {err}")


def _stop(pools: Sequence[ProcessPoolExecutor]) -> None:
    """Stop pools now: nothing new starts and running workers end (SIGTERM, then SIGKILL).

    `shutdown(cancel_futures=True)` alone lets every worker finish its task and the tasks
    already queued to it, and Python's exit hook waits for them: a Ctrl-C took 14-26 s.
    The worker processes are the pool's private `_processes` (public only from Python 3.14).
    """
    processes = [process for pool in pools for process in (getattr(pool, "_processes", None) or {}).values()]
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(deadline - time.monotonic(), 0.0))
        if process.is_alive():  # busy in C code that does not return to Python soon
            process.kill()
            process.join()


def _worker_start(scratch: str) -> None:
    """Set up a worker process: the parent decides about Ctrl-C, SIGTERM ends the worker
    cleanly, temporary files (WeasyPrint's font folders) go into the batch's scratch folder,
    and a watcher ends the worker when its parent dies, even by SIGKILL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    tempfile.tempdir = scratch
    stamping.reuse()  # each variant traced and its documents built once in this worker
    _collect_less()  # as the parent's (`_collecting_less`), should the worker not be forked
    threading.Thread(target=_watch_parent, args=(os.getppid(), scratch), daemon=True).start()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: an atomic write in progress removes its temporary file


def _watch_parent(parent: int, scratch: str) -> None:
    """End this worker soon after its parent is gone (reparented: the parent pid changes)."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    shutil.rmtree(scratch, ignore_errors=True)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_SECONDS)
    os._exit(1)  # the main thread did not unwind in time


def _work(job: Job, out: Path, recorded: dict[str, str] | None, stamps: dict[str, Stamp]) -> Outcome:
    """`produce` in a worker; a SIGTERM during it ends the process once its files are cleaned up
    (the pool would otherwise report the SystemExit and hand the worker its next task)."""
    try:
        return produce(job, out, recorded, stamps)
    except SystemExit as stop:
        os._exit(stop.code if isinstance(stop.code, int) else 1)


# --- manifest.csv and answers.csv --------------------------------------------------------


def write_manifest(out: Path, jobs: Sequence[Job], results: dict[str, Outcome]) -> None:
    """One row per file of every finished variant, in batch order (a stable, diffable file), each with
    its variant's difficulty profile."""
    rows = []
    for job in jobs:
        outcome = results.get(job.variant.id)
        if outcome is None or outcome.error:
            continue
        profile = [job.profile.get(column, "") for column in fairness.PROFILE_COLUMNS]
        rows += [(*job.meta, f"{job.variant.id}/{name}", outcome.hashes[name], *profile) for name in job.files]
    write_atomic(out / MANIFEST, csv_bytes(MANIFEST_COLUMNS + fairness.PROFILE_COLUMNS, rows))


def write_answers(out: Path, jobs: Sequence[Job], results: dict[str, Outcome]) -> None:
    """One row per variant, one column per worksheet blank, values at full precision (repr)."""
    done = [results[job.variant.id] for job in jobs if not results[job.variant.id].error]
    blanks = done[0].blanks if done else ()
    rows = [(o.id, *(repr(value) for value in o.answers)) for o in done]
    write_atomic(out / ANSWERS, csv_bytes(("variant", *blanks), rows))
