"""Time what a user runs once, in fresh processes: start-up, `--help`, `check`, and a first render.

Usage: python benchmarks/bench_startup.py [--repeat N]

Each command runs N times in a new process (runs interleaved, so a busy minute hits all of
them alike); printed are the median wall time, the median CPU time (user + system of the
process and of its children, e.g. the library look-ups WeasyPrint starts), and each
median less the bare interpreter's (`python -c pass`). The load average before and after
is printed too: the machine may be shared. Python writes its bytecode caches as usual
(PYTHONDONTWRITEBYTECODE is dropped) and each command runs once untimed first: a user's
`pip install .` compiles them at install, so compiling is not part of what a user feels.
Targets (issue 8), medians on 2 cores: `--help` and `check` at most 0.3 s; `render --to
pdf` (Class 3 worksheet + key) at most 1.0 s beyond the interpreter's start-up; issue 23: at
most 1.0 s wall. `render --to pdf` is timed twice: with its layouts in the layout cache (a
cache of the benchmark's own, filled by the untimed run) and with a new, empty cache each run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tracegen

EXAMPLE = Path(tracegen.__file__).parent / "examples" / "class3.yaml"


ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run(command: list[str], cache: str) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process running `command` (and of the processes it waited for),
    its PDF layout cache in `cache` (a new empty folder there if `cache` ends in "XXXXXX")."""
    if cache.endswith("XXXXXX"):
        cache = tempfile.mkdtemp(prefix=cache.removesuffix("XXXXXX"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env={**ENVIRONMENT, "TRACEGEN_CACHE_DIR": cache})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    installed = shutil.which("tracegen")  # else `python -m tracegen` of the tree on PYTHONPATH
    tracegen_cli = [installed] if installed else [sys.executable, "-m", "tracegen"]
    out = tempfile.mkdtemp(prefix="bench-startup-")
    kept, empty = os.path.join(out, "cache"), os.path.join(out, "empty-XXXXXX")
    render = [*tracegen_cli, "render", "--to", "pdf", "-o", out]
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], kept),
        "tracegen --help": ([*tracegen_cli, "--help"], kept),
        "tracegen check class3.yaml": ([*tracegen_cli, "check", str(EXAMPLE)], kept),
        "render --to pdf, layouts cached": (render, kept),
        "render --to pdf, empty cache": (render, empty),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for command, cache in commands.values():  # bytecode caches written, as after an install; layouts cached
        run(command, cache)
    load = os.getloadavg()
    for _ in range(args.repeat):
        for name, (command, cache) in commands.items():
            times[name].append(run(command, cache))
    shutil.rmtree(out, ignore_errors=True)
    base_wall = statistics.median(t[0] for t in times["python -c pass"])
    base_cpu = statistics.median(t[1] for t in times["python -c pass"])
    print(f"fresh processes, median of {args.repeat}; load average before {load[0]:.2f}, "
          f"after {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    print(f"{'command':30s} {'wall':>7s} {'cpu':>7s} {'wall-py':>8s} {'cpu-py':>7s}   (min wall)")
    for name, runs in times.items():
        wall = statistics.median(t[0] for t in runs)
        cpu = statistics.median(t[1] for t in runs)
        print(f"{name:30s} {wall:7.3f} {cpu:7.3f} {wall - base_wall:8.3f} {cpu - base_cpu:7.3f}   "
              f"({min(t[0] for t in runs):.3f})")


if __name__ == "__main__":
    main()
