"""Batch benchmarks: 10,000 Class 3 variants drawn, 1,000 traced; a class set of PDFs at -j 1 and -j 2.

    python benchmarks/bench_batch.py                     # everything, 3 repeats, 100 PDF variants
    python benchmarks/bench_batch.py --pdf-variants 20   # a quicker PDF run (20 variants, 40 PDFs)
    python benchmarks/bench_batch.py --skip-pdf

Prints a Markdown table of medians for docs/BENCHMARKS.md (section "Batch"), with the
machine's CPU model. Variants are traced one by one, as the batch's workers trace them. Targets
(issue 4): 100 variants worksheet+key PDF under 60 s at -j 2 on a 2-core machine, and -j 2 at
least 1.7x faster than -j 1.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tracegen
from tracegen.batching import run as batching
from tracegen.batching.variants import draw
from tracegen.choices import usable_cores

MATERIALS = [f"seed=0/variant={i}" for i in range(1, 10_001)]


def machine() -> str:
    """The CPU model as `lscpu` names it, and the cores this process may use."""
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
        model = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}, {usable_cores()} cores available, Python {platform.python_version()}"


def median_seconds(task: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def class_set(count: int, jobs: int, formats: tuple[str, ...]) -> None:
    """`tracegen batch --variants COUNT --to FORMATS -j JOBS` into a fresh folder, through the library."""
    options = batching.Options(count=count, formats=formats, jobs=jobs)
    with tempfile.TemporaryDirectory() as out:
        batching.run(batching.plan(tracegen.load_example(), options), Path(out), options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf-variants", type=int, default=100)
    parser.add_argument("--skip-pdf", action="store_true")
    args = parser.parse_args()
    spec = tracegen.load_example()
    variants = draw(spec, MATERIALS)
    rows = [
        ("draw 10,000 variants (constraints, rejection sampling)", *median_seconds(lambda: draw(spec, MATERIALS),
                                                                                  args.repeat)),
        ("trace 1,000 drawn variants, one trace each (as the batch does)",
         *median_seconds(lambda: [tracegen.trace(v.spec, variant=v.id) for v in variants[:1000]], args.repeat)),
    ]
    for jobs in (1, 2):
        label = f"100 variants, worksheet+key Markdown+HTML (400 files), -j {jobs}"
        rows.append((label, *median_seconds(lambda jobs=jobs: class_set(100, jobs, ("md", "html")), args.repeat)))
    if not args.skip_pdf:
        n = args.pdf_variants
        for jobs in (1, 2):
            label = f"{n} variants, worksheet+key PDF ({2 * n} PDFs), -j {jobs}"
            rows.append((label, *median_seconds(lambda jobs=jobs: class_set(n, jobs, ("pdf",)), args.repeat)))
    print(f"Machine: {machine()}\n")
    print("| benchmark | median (s) | runs (s) |\n|---|---|---|")
    for label, med, runs in rows:
        print(f"| {label} | {med:.2f} | {', '.join(f'{t:.2f}' for t in runs)} |")
    if not args.skip_pdf:
        print(f"\n-j 2 speed-up over -j 1: {rows[-2][1] / rows[-1][1]:.2f}x")


if __name__ == "__main__":
    main()
