"""Grading benchmark: a class of 500 students on the Class 3 example (issue 12: at most 2 s).

    python benchmarks/bench_grade.py                 # 5 repeats, 500 students
    python benchmarks/bench_grade.py --students 200 --repeat 3

Builds a roster batch of the built-in Class 3 example (documents left out: grading reads
only spec.yaml, manifest.csv and answers.csv) and a responses file in which each student
writes the key rounded to 3 decimals, with about 10 % of the cells wrong, 3 % empty and
0.5 % not numbers. Times `tracegen.grade` in this process (the tables only, and with every
report written) and `python -m tracegen grade` in a new process, and prints a Markdown
table of medians for docs/BENCHMARKS.md (section "Grading") with the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import tracegen
from tracegen import render
from tracegen.batching import run as batching

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import machine  # noqa: E402


def make_batch(folder: Path, students: int) -> Path:
    roster = folder / "class.csv"
    roster.write_text("student_id,name\n" + "".join(f"s{i:04d},Student {i}\n" for i in range(1, students + 1)),
                      encoding="utf-8")
    options = batching.Options(roster=roster, seed=2026, kinds=("key",), formats=("md",), jobs=2)
    real = render.render_documents
    render.render_documents = lambda trace, kinds, formats, **_: {  # type: ignore[assignment]
        (kind, fmt): b"" for kind in kinds for fmt in formats}
    try:
        batching.run(batching.plan(tracegen.load_example(), options), folder / "batch", options)
    finally:
        render.render_documents = real
    return folder / "batch"


def make_responses(batch: Path, path: Path) -> None:
    """Each student's key rounded to 3 decimals, with wrong, empty and unreadable cells mixed in."""
    key = pd.read_csv(batch / "answers.csv", dtype={"variant": str}).set_index("variant")
    who = pd.read_csv(batch / "manifest.csv", dtype=str).drop_duplicates("variant").set_index("variant")
    rng = np.random.default_rng(12)
    values = key.round(3).to_numpy()
    cells = values.astype(object)
    draw = rng.random(values.shape)
    cells[draw < 0.10] = np.round(values[draw < 0.10] + rng.normal(size=int((draw < 0.10).sum())), 3)
    cells[(draw >= 0.10) & (draw < 0.13)] = ""
    cells[(draw >= 0.13) & (draw < 0.135)] = "?"
    table = pd.DataFrame(cells, columns=key.columns)
    table.insert(0, "student_id", who.loc[key.index, "seed_material"].str.split("/student=").str[1].to_numpy())
    table.to_csv(path, index=False)


def median(task: Callable[[], object], repeat: int) -> tuple[float, list[float], float]:
    """Median wall time, every run's wall time, and the median CPU time (this process and its children).

    On a shared machine the CPU time says what the work costs; the wall time what it took.
    """
    times, cpus = [], []
    for _ in range(repeat):
        before, start = _cpu(), time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
        cpus.append(_cpu() - before)
    return statistics.median(times), times, statistics.median(cpus)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        batch = make_batch(folder, args.students)
        responses = folder / "responses.csv"
        make_responses(batch, responses)
        out = folder / "grades"
        cli = [sys.executable, "-m", "tracegen", "grade", str(batch), str(responses), "-o", str(out)]
        load = os.getloadavg()
        rows = [
            ("tracegen.grade, tables only (in this process)", *median(lambda: tracegen.grade(batch, responses),
                                                                        args.repeat)),
            (f"tracegen.grade, all reports written ({2 * args.students + 3} files, in this process)",
             *median(lambda: tracegen.grade(batch, responses, out=out), args.repeat)),
            ("`python -m tracegen grade` (a new process: imports included)",
             *median(lambda: subprocess.run(cli, check=True, capture_output=True), args.repeat)),
        ]
    print(f"Machine: {machine()}; load average before the runs {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}\n")
    print(f"{args.students} students, Class 3 (96 blanks each)\n")
    print("| benchmark | median wall (s) | runs (s) | median CPU (s) |\n|---|---|---|---|")
    for label, middle, runs, cpu in rows:
        print(f"| {label} | {middle:.2f} | {', '.join(f'{r:.2f}' for r in runs)} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
