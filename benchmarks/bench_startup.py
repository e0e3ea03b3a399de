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
pdf` (Class 3 worksheet + key) at most 1.0 s beyond the interpreter's start-up.
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


def run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process running `command` (and of the processes it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENVIRONMENT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    tracegen_cli = shutil.which("tracegen") or sys.exit("tracegen is not on PATH (pip install -e .)")
    out = tempfile.mkdtemp(prefix="bench-startup-")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "tracegen --help": [tracegen_cli, "--help"],
        "tracegen check class3.yaml": [tracegen_cli, "check", str(EXAMPLE)],
        "tracegen render --to pdf": [tracegen_cli, "render", "--to", "pdf", "-o", out],
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for command in commands.values():  # bytecode caches written, as after an install
        run(command)
    load = os.getloadavg()
    for _ in range(args.repeat):
        for name, command in commands.items():
            times[name].append(run(command))
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
