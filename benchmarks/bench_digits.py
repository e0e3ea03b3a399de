"""Digit model benchmark: accuracy on held-out handwriting and the CPU time of reading 5,000 cells.

    python benchmarks/bench_digits.py              # 5 fresh processes, 5,000 cells each
    python benchmarks/bench_digits.py --repeat 3 --seed 1

Accuracy: scikit-learn's 1,797 bundled digits (43 writers the model never saw: it trains on generated
handwriting), written into cell crops by tests/held_out_digits.py, plus 500 empty cells and 500 dashes;
per class, and at confidence thresholds (how many readings are accepted, how many of those are wrong).
Speed: `normalise` and `log_probabilities` on 5,000 cells, CPU time in fresh processes (the first call
loads the weights), medians printed as a Markdown table for docs/BENCHMARKS.md with the machine and load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tracegen.scanning import digits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import held_out_digits  # noqa: E402
from bench_batch import machine  # noqa: E402

THRESHOLDS = (0.5, 0.9, 0.99, 0.999)


def accuracy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    crops, labels = held_out_digits.sklearn_cells(rng)
    names = [str(label) for label in labels]
    crops += [held_out_digits.empty_cell(rng) for _ in range(500)] + [held_out_digits.dash_cell(rng)
                                                                        for _ in range(500)]
    names += [""] * 500 + ["-"] * 500
    log_p = digits.log_probabilities(np.stack([digits.normalise(crop) for crop in crops]))
    best = log_p.argmax(axis=1)
    read = np.array([digits.CLASSES[i] for i in best])
    truth = np.array(names)
    confidence = np.exp(log_p.max(axis=1))
    print("| class | cells | right | accuracy |\n|---|---:|---:|---:|")
    for name in digits.CLASSES:
        mask = truth == name
        shown = f'"{name}"'
        print(f"| {shown} | {mask.sum()} | {(read[mask] == name).sum()} | {(read[mask] == name).mean():.1%} |")
    handwritten = np.isin(truth, [str(d) for d in range(10)])
    print(f"\nscikit-learn digits: {(read[handwritten] == truth[handwritten]).mean():.2%} read right\n")
    print("| threshold | accepted | wrong among accepted |\n|---|---:|---:|")
    for threshold in THRESHOLDS:
        accepted = handwritten & (confidence >= threshold)
        wrong = (read[accepted] != truth[accepted]).sum()
        print(f"| p >= {threshold} | {accepted.sum() / handwritten.sum():.1%} | {wrong} "
              f"({wrong / max(accepted.sum(), 1):.2%}) |")
    rest = ~handwritten
    print(f"\nempty cells and dashes: {(read[rest] == truth[rest]).mean():.2%} right, "
          f"lowest confidence {confidence[rest & (read == truth)].min():.4f}")


def one_run(cells: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    crops = [rng.uniform(0.85, 1.0, (int(rng.integers(30, 70)), 40)) for _ in range(cells)]
    started = time.process_time()
    images = np.stack([digits.normalise(crop) for crop in crops])
    normalised = time.process_time()
    digits.log_probabilities(images)
    done = time.process_time()
    return {"normalise": normalised - started, "log_probabilities": done - normalised, "total": done - started}


def speed(cells: int, repeat: int) -> None:
    """CPU times with NumPy's BLAS as it comes (threads) and held to one thread, alternated."""
    settings = {"BLAS threads as installed": {}, "OPENBLAS_NUM_THREADS=1": {"OPENBLAS_NUM_THREADS": "1"}}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in settings}
    for _ in range(repeat):
        for name, extra in settings.items():
            out = subprocess.run([sys.executable, __file__, "--child", str(cells)], capture_output=True, text=True,
                                 check=True, env={**os.environ, "PYTHONPATH": str(ROOT), **extra})
            runs[name].append(dict(zip(("normalise", "log_probabilities", "total"), map(float, out.stdout.split()),
                                       strict=True)))
    print(f"\n{machine()}, load average {os.getloadavg()[0]:.1f}\n")
    print(f"| step ({cells} cells), CPU s, median of {repeat} processes | " + " | ".join(settings) + " |")
    print("|---|" + "---:|" * len(settings))
    for step in ("normalise", "log_probabilities", "total"):
        print(f"| {step} | " + " | ".join(f"{statistics.median(run[step] for run in runs[name]):.2f}"
                                        for name in settings) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cells", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(*one_run(args.child).values())
        return
    accuracy(args.seed)
    speed(args.cells, args.repeat)


if __name__ == "__main__":
    main()
