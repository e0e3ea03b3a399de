"""What tagged PDF/UA costs: a cold `tracegen render --to pdf`, and a batch worker's PDFs, tagged and not.

    python benchmarks/bench_tagging.py               # 7 cold runs each, 20 variants
    python benchmarks/bench_tagging.py --repeat 3 --variants 10

Cold: `tracegen render --to pdf` (Class 3, worksheet + key) in fresh processes, alternating
`--tagged` and `--untagged`; the medians of wall time and of CPU time (the process and its
layout processes: on a busy shared machine, CPU time is the steadier figure). Batch: what a
`tracegen batch` worker does per variant, `render_documents(trace, ("worksheet", "key"),
("pdf",))` of drawn variants in one warm process, CPU time. Also the PDFs' sizes. Prints
Markdown for docs/BENCHMARKS.md ("Tagged PDF").
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
from pathlib import Path

from bench_batch import machine

import tracegen
from tracegen.batching.variants import draw
from tracegen.render import render_documents

KINDS = ("worksheet", "key")


def cold(tagged: bool, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one `tracegen render --to pdf` in a fresh process."""
    flag = "--tagged" if tagged else "--untagged"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tracegen", "render", "--to", "pdf", flag, "-o", str(out)],
                   check=True, capture_output=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "0"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def batch_cpu(traces: list[tracegen.Trace], tagged: bool) -> float:
    """CPU seconds to lay out every trace's worksheet and key PDF in this (warm) process."""
    start = time.process_time()
    for trace in traces:
        render_documents(trace, KINDS, ("pdf",), tagged=tagged)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--variants", type=int, default=20)
    args = parser.parse_args()
    runs: dict[tuple[str, bool], list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        cold(True, out)  # bytecode caches written, as after pip install
        for _ in range(args.repeat):
            for tagged in (False, True):
                wall, cpu = cold(tagged, out)
                runs.setdefault(("cold wall", tagged), []).append(wall)
                runs.setdefault(("cold CPU", tagged), []).append(cpu)
        sizes = {tagged: [len(d) for d in render_documents(tracegen.trace(tracegen.load_example()), KINDS, ("pdf",),
                                                           tagged=tagged).values()] for tagged in (False, True)}
    spec = tracegen.load_example()
    traces = [tracegen.trace(v.spec) for v in draw(spec, [f"seed=0/variant={i}" for i in range(1, args.variants + 1)])]
    batch_cpu(traces[:2], True)  # warm: fonts, templates, caches
    for _ in range(3):
        for tagged in (False, True):
            runs.setdefault((f"batch CPU, {args.variants} variants", tagged), []).append(batch_cpu(traces, tagged))
    print(f"Machine: {machine()}\n")
    print("| measure | untagged (s) | tagged (s) | cost |\n|---|---|---|---|")
    for what in dict.fromkeys(key for key, _ in runs):
        plain, tagged = (statistics.median(runs[(what, t)]) for t in (False, True))
        print(f"| {what} | {plain:.2f} | {tagged:.2f} | {100 * (tagged / plain - 1):+.0f} % |")
    print(f"\nSizes (worksheet, key): untagged {sizes[False]} bytes, tagged {sizes[True]} bytes")


if __name__ == "__main__":
    main()
