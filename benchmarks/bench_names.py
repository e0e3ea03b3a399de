"""What printing names in any script costs: document sizes, the fonts' load time, the font check.

Usage: python benchmarks/bench_names.py [--repeat N]

Sizes of the Class 3 worksheet and key (HTML, PDF) without a student, with a name that needs
the HTML's extra font parts (Cyrillic, Latin Extended), and with a Han name (drawn by a system
font, when the machine has one). Times are CPU seconds (this process and its children), medians
of fresh processes, for a machine shared with other work: a first PDF render (which loads the
shipped fonts) and the first check of a name that needs the system's fonts (fontconfig's list).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys

import tracegen
from tracegen.render import render_documents

NAMES = {"no student": None, "Cyrillic + Latin Extended": "Ґалина Ķēniņa Nguyễn (s1)", "Han": "李小龙 (s1)"}
FIRST_PDF = ("import tracegen; from tracegen.render import render_documents; "
             "render_documents(tracegen.trace(tracegen.load_example()), ('key',), ('pdf',))")
FIRST_CHECK = ("import time; from tracegen.render.coverage import missing; start = time.process_time(); "
               "missing('李小龙'); print(time.process_time() - start)")


def cpu_seconds(code: str) -> float:
    """CPU time of a fresh `python -c code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trace = tracegen.trace(tracegen.load_example())
    print("| student | worksheet HTML | key HTML | worksheet PDF | key PDF |\n|---|---|---|---|---|")
    for what, student in NAMES.items():
        try:
            docs = render_documents(trace, ("worksheet", "key"), ("html", "pdf"), student=student)
        except tracegen.TracegenError as err:
            print(f"| {what} | refused here: {str(err)[:60]}… | | | |")
            continue
        sizes = " | ".join(f"{len(docs[(k, f)]):,} B" for f in ("html", "pdf") for k in ("worksheet", "key"))
        print(f"| {what} | {sizes} |")
    first = statistics.median(cpu_seconds(FIRST_PDF) for _ in range(args.repeat))
    print(f"first key PDF in a fresh process: {first:.2f} s CPU (median of {args.repeat})")
    try:
        checks = [float(subprocess.run([sys.executable, "-c", FIRST_CHECK], check=True, capture_output=True,
                                       text=True).stdout) for _ in range(args.repeat)]
        print(f"first check of a Han name (fontconfig's font list): {statistics.median(checks) * 1000:.0f} ms CPU")
    except subprocess.CalledProcessError:
        print("first check of a Han name: no tracegen.render.coverage in this version")


if __name__ == "__main__":
    main()
