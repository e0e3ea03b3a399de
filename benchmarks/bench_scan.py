"""Scanning benchmark (issue 24): how many blanks `tracegen scan` reads right, wrong, or leaves to a
person, and how long a class set takes.

    python benchmarks/bench_scan.py --repeat 0              # 30 variants x 192 blanks, 300 and 150 dpi
    python benchmarks/bench_scan.py --epochs 3 --dpi 200    # a class set of 30 x 6 pages, timed
    python benchmarks/bench_scan.py --variants 10 --dpi 150 --model standin
    python benchmarks/bench_scan.py --part 1 --grid --repeat 0 --dpi 150  # choosing decide.py's thresholds
    python benchmarks/bench_scan.py --photo --repeat 0                     # phone photographs, not scans

Builds a batch of the Class 3 example trained for 6 epochs (192 blanks a worksheet; paper-ready
PDFs, or the tests' own layout where the worksheets have no position map), writes each variant's
answers by hand into its pages (tests/scanning/paper.py: scikit-learn's digits, which the digit
model never saw, the first half of them; `--part 1` writes with the other half, on which
scanning/decide.py's thresholds are chosen with `--grid`; 90 % the key, 4 % a wrong digit, 3 % the
sign flipped, 3 % left empty) and
"scans" them (rotation ±3° and a random quarter turn, scale ±3 %, blur, noise, JPEG quality 60), or
with `--photo` "photographs" them (tests/scanning/paper.py's Camera: the page rendered at 200 dpi, bowed
by up to 1.5 mm, seen at a slant of up to 15° in any direction and any turn, on a darker table, lit
unevenly, 150-200 pixels per inch on the page, blur, noise, JPEG quality 75-91).
Then times `python -m tracegen scan -j 2` in fresh processes (CPU time: the children's) and
counts, per blank of the pages read: accepted and as written, accepted and not as written (the figure that must
stay near 0), and flagged. Prints a Markdown table for docs/BENCHMARKS.md with the machine and
its load.
"""

from __future__ import annotations

import argparse
import collections
import csv
import dataclasses
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import yaml

import tracegen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "scanning"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import paper  # noqa: E402
from bench_batch import machine  # noqa: E402

from tracegen.scanning.run import MODEL, scan  # noqa: E402


def make_batch(folder: Path, variants: int, epochs: int) -> tuple[Path, dict[str, dict], dict[str, dict[str, str]]]:
    spec = yaml.safe_load((Path(tracegen.__file__).parent / "examples" / "class3.yaml").read_text())
    spec["training"]["epochs"] = epochs
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec))
    batch = folder / "batch"
    tracegen.batch(tracegen.load_spec(folder / "spec.yaml"), batch, variants=variants, seed=2026, to="pdf",
                   kind="worksheet", jobs=2)
    maps = paper.maps_of(batch)
    rows = list(csv.reader((batch / "answers.csv").open()))
    keys = {row[0]: {b: paper.text_of(float(v), 3) for b, v in zip(rows[0][1:], row[1:], strict=True)}
            for row in rows[1:]}
    return batch, maps, keys


def written(keys: dict[str, str], kinds: dict[str, list[str]], rng: np.random.Generator) -> dict[str, str]:
    """What one student writes: mostly the key, some slips (a digit changed, a sign flipped), some blanks
    (a slip that would not fit the blank's cells is not made)."""
    out = {}
    for blank, text in keys.items():
        luck = rng.random()
        slip = text
        if luck < 0.03:
            slip = ""
        elif luck < 0.06 and Decimal(text) != 0:
            slip = f"{-Decimal(text):f}"
        elif luck < 0.10:
            step = Decimal(int(rng.integers(1, 10))).scaleb(-int(rng.integers(0, 4)))
            slip = f"{(Decimal(text) + (step if rng.random() < 0.5 else -step)).quantize(Decimal('0.001')):f}"
        out[blank] = slip if slip == "" or paper.fits(slip, kinds[blank]) else text
    return out


def make_scans(batch: Path, maps: dict[str, dict], truth: dict[str, dict[str, str]], out: Path, dpi: int,
               seed: int, part: int, photo: float = 0.0) -> int:
    """Every page written and scanned at `dpi`, or with `photo` (the largest slant, degrees) rendered at
    `dpi` and photographed."""
    rng = np.random.default_rng(seed)
    hand = paper.Hand(seed, part)
    out.mkdir(parents=True, exist_ok=True)
    pages = 0
    for variant, positions in maps.items():
        for info in positions["pages"]:
            page = paper.printed(batch, positions, info["page"], dpi)
            paper.write(page, positions, info["page"], truth[variant], hand, dpi)
            image = paper.Camera.random(rng, photo)(page, dpi, rng) if photo else paper.Scanner.random(rng)(page, rng)
            (out / f"{rng.integers(10**12):012d}.jpg").write_bytes(image)
            pages += 1
    return pages


def count(scanned, truth: dict[str, dict[str, str]]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    out = {"blanks": 0, "right": 0, "wrong": 0, "flagged": 0, "pages": len(scanned.pages),
           "pages_read": sum(p.status == "read" for p in scanned.pages)}
    for (variant, blank), decision in scanned.decisions.items():
        out["blanks"] += 1
        want = truth[variant][blank]
        if not decision.accepted:
            out["flagged"] += 1
        elif (decision.text == want == "") or (decision.text and want and Decimal(decision.text) == Decimal(want)):
            out["right"] += 1
        else:
            out["wrong"] += 1
    return out


def grid(scanned, truth: dict[str, dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """The same scans decided again under other thresholds (decide.py's SURE, AGREE, MARGIN, EMPTY): to choose them
    on `--part 1`, never on the half that is measured."""
    from tracegen.scanning import decide, run

    saved, empty_saved = (decide.SURE, decide.AGREE, decide.MARGIN), decide.EMPTY
    print("\n| SURE | AGREE | MARGIN | accepted and right | accepted and wrong | flagged |\n|---|---|---|---|---|---|")
    try:
        for sure in (0.99, 0.995, 0.999, 0.9999):
            for agree in (0.3, 0.5, 0.8):
                for margin in (10.0, 30.0, 100.0):
                    decide.SURE, decide.AGREE, decide.MARGIN = sure, agree, float(np.log(margin))
                    again = dataclasses.replace(scanned, decisions=run._decide(scanned.batch, scanned.maps,
                                                                                scanned.pages))
                    n = count(again, truth)
                    print(f"| {sure} | {agree} | {margin:g} | {100 * n['right'] / n['blanks']:.2f} % | "
                          f"{100 * n['wrong'] / n['blanks']:.2f} % | {100 * n['flagged'] / n['blanks']:.2f} % |",
                          flush=True)
        print("\n| EMPTY (the others as in decide.py) | accepted and right | accepted and wrong | flagged |\n"
              "|---|---|---|---|")
        decide.SURE, decide.AGREE, decide.MARGIN = saved
        for empty in (0.99, 0.999, 0.9999, 0.99999):
            decide.EMPTY = empty
            again = dataclasses.replace(scanned, decisions=run._decide(scanned.batch, scanned.maps, scanned.pages))
            n = count(again, truth)
            print(f"| {empty} | {100 * n['right'] / n['blanks']:.2f} % | {100 * n['wrong'] / n['blanks']:.2f} % | "
                  f"{100 * n['flagged'] / n['blanks']:.2f} % |", flush=True)
    finally:
        decide.SURE, decide.AGREE, decide.MARGIN, decide.EMPTY = (*saved, empty_saved)


def _cpu() -> float:
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def timed(batch: Path, scans: Path, out: Path, args: argparse.Namespace) -> tuple[float, float]:
    """Median wall and CPU seconds of scanning, each run a fresh process as a teacher runs it."""
    walls, cpus = [], []
    command = [sys.executable, "-m", "tracegen", "scan", str(batch), str(scans), "-o", str(out), "-j", str(args.jobs)]
    for _ in range(args.repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        if args.model == MODEL:
            subprocess.run(command, check=True, capture_output=True)
        else:  # the tests' stand-in model is no module of tracegen's: in this process
            scan(batch, (str(scans),), out, jobs=args.jobs, model=args.model)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=6, help="3: the Class 3 example as it is (6 pages)")
    parser.add_argument("--dpi", default="300,150")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes timed (0: time the counting run)")
    parser.add_argument("--part", type=int, default=0, choices=(0, 1),
                        help="half of scikit-learn's digits that writes the answers (1: for choosing thresholds)")
    parser.add_argument("--grid", action="store_true", help="also decide every blank under other thresholds")
    parser.add_argument("--photo", type=float, nargs="?", const=15.0, default=0.0, metavar="DEGREES",
                        help="photograph the pages (largest slant, default 15) instead of scanning them")
    parser.add_argument("--model", default=MODEL, help="the digit model's module ('standin': the tests' stand-in)")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    print(f"Machine: {machine()}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"Model: {args.model}; handwriting: half {args.part} of scikit-learn's digits; "
          + (f"photographs (slant up to {args.photo:g}°, page rendered at dpi)\n" if args.photo else "scans\n"))
    print("| dpi | pages (read) | blanks | accepted and right | accepted and wrong | flagged | "
          "scan, median wall (CPU) | per page |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        batch, maps, keys = make_batch(Path(tmp), args.variants, args.epochs)
        truth = {v: written(k, {b["id"]: [c["kind"] for c in b["cells"]] for b in maps[v]["blanks"]},
                            np.random.default_rng(i)) for i, (v, k) in enumerate(keys.items())}
        for dpi in (int(d) for d in args.dpi.split(",")):
            scans = Path(tmp) / f"scans{dpi}"
            pages = make_scans(batch, maps, truth, scans, dpi, seed=dpi, part=args.part, photo=args.photo)
            start, before = time.perf_counter(), _cpu()
            scanned = scan(batch, (str(scans),), jobs=args.jobs, model=args.model)
            wall, cpu = time.perf_counter() - start, _cpu() - before  # in this process, if not timed anew
            if args.repeat:
                wall, cpu = timed(batch, scans, Path(tmp) / f"out{dpi}", args)
            n = count(scanned, truth)
            share = {k: f"{100 * n[k] / n['blanks']:.2f} %" for k in ("right", "wrong", "flagged")}
            label = f"photo, page at {dpi}" if args.photo else dpi
            print(f"| {label} | {pages} ({n['pages_read']}) | {n['blanks']} | {share['right']} | {share['wrong']} | "
                  f"{share['flagged']} | {wall:.1f} s ({cpu:.1f} s) | {wall / pages:.2f} s |", flush=True)
            unread = collections.Counter(p.status for p in scanned.pages if p.status != "read")
            if unread:
                print("  pages not read: " + "; ".join(f"{k} ({v})" for k, v in unread.items()), flush=True)
            if args.grid:
                grid(scanned, truth)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
