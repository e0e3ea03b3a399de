"""Time rendering the Class 3 worksheet + key in each format (median of warm runs).

Usage: python benchmarks/bench_render.py [--repeat N] [--cpu]

Warm means the process has rendered once already (templates compiled, fonts loaded into
the shared FontConfiguration), which is the situation of a batch run. `--cpu` reports
process CPU time instead of wall time, for a machine shared with other work.
Target (issue 3): both PDFs together under 1 s on one core of a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import tracegen
from tracegen.render import FORMATS, render_documents

KINDS = ("worksheet", "key")


def measure(trace: tracegen.Trace, fmt: str, repeat: int, clock: callable) -> list[float]:
    """Seconds to render worksheet + key in `fmt`, once per repeat."""
    times = []
    for _ in range(repeat):
        start = clock()
        render_documents(trace, KINDS, (fmt,))
        times.append(clock() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cpu", action="store_true", help="process CPU time instead of wall time")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    trace = tracegen.trace(tracegen.load_example())
    render_documents(trace, KINDS, FORMATS)  # warm up: templates, fonts, caches
    print(f"Class 3 worksheet + key, median of {args.repeat} warm runs ({'CPU' if args.cpu else 'wall'} time):")
    for fmt in FORMATS:
        times = measure(trace, fmt, args.repeat, clock)
        print(f"  {fmt:5s} {statistics.median(times):7.3f} s   (min {min(times):.3f}, max {max(times):.3f})")


if __name__ == "__main__":
    main()
