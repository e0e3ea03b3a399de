"""What finishing a stamped PDF costs: a batch's group layouts finished with each variant's maths, CPU per PDF.

    python benchmarks/bench_finish.py                  # 30 variants of Class 3, 5 rounds
    python benchmarks/bench_finish.py --variants 10 --rounds 9

A stamped batch (`tracegen batch --to pdf`, -j 1, in this process) is run once while every PDF it
finishes is recorded: its HTML, its blocks and the group layout it was stamped into. Then the
recorded PDFs are finished again, round after round, in batch order (`writer.write_pdf` on the kept
layout: the finisher's drawing, fonts, QR codes and map, pydyf's writing and zlib), each checked
byte for byte against the batch's own PDF. The drawings' cache is emptied before each round (a
batch draws each variant's blocks once); the garbage collector runs as a batch runs it. Prints the
CPU milliseconds per finished PDF of each round, their median and minimum, the CPU model, the load
average and the commit: on a shared machine, compare trees by alternating runs of this script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_batch import machine

import tracegen
from tracegen.batching.run import _collect_less
from tracegen.render.pdf import finisher, layouts, writer

ROOT = Path(__file__).resolve().parent.parent


def record(variants: int) -> list[tuple[str, list[Any], dict[str, Any], dict[str, bytes], bytes]]:
    """Each stamped PDF of a `variants`-variant Class 3 batch: (html, blocks, options, kept layouts, its bytes)."""
    calls = []
    write = writer.write_pdf

    def recording(html: str, blocks: Any = (), **options: Any) -> bytes:
        pdf = write(html, blocks, **options)
        calls.append((html, list(blocks), options, dict(layouts._kept), pdf))
        return pdf

    writer.write_pdf = recording
    try:
        with tempfile.TemporaryDirectory() as out:
            os.environ["TRACEGEN_CACHE_DIR"] = f"{out}/cache"
            tracegen.batch(tracegen.load_example(), f"{out}/batch", variants=variants, to="pdf", jobs=1)
    finally:
        writer.write_pdf = write
    return [call for call in calls if call[3]]  # stamped: finished from a kept group layout


def finish_round(stamped: list[tuple[str, list[Any], dict[str, Any], dict[str, bytes], bytes]]) -> float:
    """CPU seconds to finish every recorded PDF once more (each must come out as the batch made it)."""
    finisher._drawing.cache_clear()
    start = time.process_time()
    for html, blocks, options, kept, pdf in stamped:
        layouts.forget()
        for name, data in kept.items():
            layouts.keep(name, data)
        if writer.write_pdf(html, blocks, **options) != pdf:
            raise SystemExit("a finished PDF differs from the batch's")
    spent = time.process_time() - start
    layouts.forget()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    stamped = record(args.variants)
    _collect_less()  # as a batch's worker collects
    per_pdf = [finish_round(stamped) / len(stamped) * 1000 for _ in range(args.rounds)]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    print(f"{machine()}; tracegen {commit}; load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"{len(stamped)} stamped PDFs ({args.variants} variants), {args.rounds} rounds: "
          + ", ".join(f"{ms:.1f}" for ms in per_pdf) + " ms CPU per finished PDF")
    print(f"median {statistics.median(per_pdf):.1f} ms, min {min(per_pdf):.1f} ms")


if __name__ == "__main__":
    main()
