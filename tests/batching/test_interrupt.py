"""Stopping a batch (issue 11): Ctrl-C (SIGINT to the process group, as a terminal sends it) or
SIGTERM stops a real `tracegen batch` within a moment, keeps every finished variant in the
manifest, says so and that a rerun resumes, and exits 130 or 143; the workers end with
their parent, even when it is killed with SIGKILL, and leave no temporary files."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracegen
from tracegen import render
from tracegen.batching import run as batching
from tracegen.cli import cli
from tracegen.render.pdf.process import CAN_FORK

VARIANTS = 48  # enough that a batch is still running when it is stopped: a stamped batch makes 12 in about a second


def as_a_terminal_job() -> None:
    """In the child before it runs the command: Ctrl-C's default action, as a shell gives a job it runs in the
    foreground. A test run started in the background (`pytest &`, nohup) has SIGINT ignored, and an ignored
    signal stays ignored across exec: Python then installs no Ctrl-C handler, and the command rightly ignores it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_batch(tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    """A real PDF batch in its own session (a process group, as a shell starts a job)."""
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "TRACEGEN_DEBUG"} | {"TMPDIR": str(scratch)}
    command = [sys.executable, "-m", "tracegen", "batch", "--variants", str(VARIANTS), "--to", "pdf", "-j", "2",
               "-o", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               start_new_session=True, preexec_fn=as_a_terminal_job)
    return process, out, scratch


def manifest(out: Path) -> list[dict[str, str]]:
    try:
        with (out / "manifest.csv").open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        return []


def wait_for(condition, seconds: float = 180.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the batch never got that far"
        time.sleep(0.1)


def workers(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def running(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def files_left_behind(out: Path, scratch: Path) -> list[str]:
    return [str(p) for p in out.rglob(".*.tmp")] + [str(p) for p in scratch.iterdir()]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads worker states from /proc")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.slow
def test_a_stopped_batch_exits_at_once_and_keeps_what_it_finished(tmp_path, signum, code):
    process, out, scratch = start_batch(tmp_path)
    try:
        wait_for(lambda: manifest(out))  # the first checkpoint: at least one variant is finished
        pool = workers(process.pid)
        started = time.monotonic()
        if signum == signal.SIGINT:
            os.killpg(process.pid, signum)  # a terminal's Ctrl-C reaches every process of the job
        else:
            process.send_signal(signum)
        _, err = process.communicate(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == code
    assert elapsed < 3.0  # it took 14-26 s before (issue 11); about 0.5 s here
    rows = manifest(out)
    done = sorted({row["variant"] for row in rows})
    assert err.decode() == (f"tracegen: stopped: {len(done)} of {VARIANTS} variants are done in {out} (listed in "
                            f"manifest.csv); run the same command again to make the other {VARIANTS - len(done)}\n")
    assert 1 <= len(done) < VARIANTS
    for row in rows:  # every listed file is whole and is what the manifest says
        assert hashlib.sha256((out / row["file"]).read_bytes()).hexdigest() == row["sha256"]
    assert not running(pool) and not files_left_behind(out, scratch)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads worker states from /proc")
@pytest.mark.slow
def test_workers_end_with_their_parent_when_it_is_killed(tmp_path):
    process, out, scratch = start_batch(tmp_path)
    try:
        wait_for(lambda: len(workers(process.pid)) == 2 and any(out.glob("*/spec.yaml")))
        pool = workers(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        wait_for(lambda: not running(pool), seconds=10)  # within a second or two (they poll every 0.5 s)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
    wait_for(lambda: not list(scratch.iterdir()), seconds=5)
    assert not files_left_behind(out, scratch)


def test_an_interrupted_run_raises_interrupted_naming_what_was_kept(tmp_path, monkeypatch):
    rendered: list[str] = []

    def fake(trace, kinds, formats, *, student=None, paper="a4", fillable=False) -> dict:
        if len(rendered) == 2:
            raise KeyboardInterrupt
        rendered.append(trace.variants[0])
        return {(k, f): b"doc" for k in kinds for f in formats}

    monkeypatch.setattr(render, "render_documents", fake)
    options = batching.Options(count=5, formats=("md",), jobs=1)
    with pytest.raises(tracegen.errors.Interrupted) as stop:
        batching.run(batching.plan(tracegen.load_example(), options), tmp_path, options)
    assert stop.value.signal == signal.SIGINT
    assert str(stop.value) == (f"stopped: 2 of 5 variants are done in {tmp_path} (listed in manifest.csv); run the "
                               "same command again to make the other 3")
    assert sorted({row["variant"] for row in manifest(tmp_path)}) == sorted(rendered)


def test_ctrl_c_outside_a_batch_exits_130_in_one_line(monkeypatch):
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("tracegen.engine.trace.trace", interrupted)
    result = CliRunner().invoke(cli, ["render", "--to", "md"])
    assert (result.exit_code, result.stderr) == (130, "tracegen: stopped (Ctrl-C); no file is left half-written\n")


def test_a_run_removes_temporary_files_a_killed_run_left(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "render_documents", lambda trace, kinds, formats, **k: {
        (k_, f): b"doc" for k_ in kinds for f in formats})
    options = batching.Options(count=1, formats=("md",), jobs=1)
    jobs = batching.plan(tracegen.load_example(), options)
    folder = tmp_path / jobs[0].variant.id
    folder.mkdir()
    (folder / ".key.md.abc123.tmp").write_text("half")
    (folder / "notes.txt").write_text("the teacher's own file")
    batching.run(jobs, tmp_path, options)
    assert sorted(p.name for p in folder.iterdir()) == ["key.md", "notes.txt", "spec.yaml", "worksheet.md"]
    assert re.fullmatch(r"[0-9A-Z]{6}", jobs[0].variant.id)


def descendants(pid: int) -> list[int]:
    """`pid`'s children, their children, ..."""
    found, queue = [], [pid]
    while queue:
        children = workers(queue.pop())
        found += children
        queue += children
    return found


@pytest.mark.skipif(not CAN_FORK or not Path("/proc").is_dir(), reason="a forked layout process (Linux)")
@pytest.mark.parametrize(("signum", "code", "how"), [(signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_stopped_pdf_render_ends_its_layout_processes_and_leaves_no_file(tmp_path, signum, code, how):
    """`render --to pdf` forks a layout process (pdf_process); SIGTERM as well as Ctrl-C must end it and
    remove its scratch folder, not leave it running or the folder in TMPDIR."""
    spec = tmp_path / "long.yaml"  # Class 3 for 20 epochs: a few seconds of layout
    spec.write_text((Path(tracegen.__file__).parent / "examples" / "class3.yaml").read_text().replace(
        "epochs: 3", "epochs: 20"))
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "TRACEGEN_DEBUG"} | {"TMPDIR": str(scratch)}
    process = subprocess.Popen([sys.executable, "-m", "tracegen", "render", str(spec), "--to", "pdf", "-o", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
                               preexec_fn=as_a_terminal_job)
    try:
        wait_for(lambda: len(descendants(process.pid)) == 2, seconds=60)  # laying out, side by side
        time.sleep(0.5)  # well into their layouts (20 epochs take seconds)
        layout = descendants(process.pid)
        assert len(running(layout)) == 2
        process.send_signal(signum)  # to the command only: it must end what it started
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == code
    assert err.decode() == f"tracegen: stopped ({how}); no file is left half-written\n"
    assert not running(layout)  # ended before the command exits, not orphaned
    assert not out.exists() and not list(scratch.iterdir())
