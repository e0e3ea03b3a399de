"""How long `tracegen.trace` takes on a large network: 10 layers of 50 units, 100 samples,
20 epochs (about 4.6 million trace rows). Prints the median of 5 runs.

    python benchmarks/bench_trace.py [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

import numpy as np

import tracegen

LAYERS, UNITS, SAMPLES, EPOCHS, RUNS = 10, 50, 100, 20, 5


def big_spec() -> tracegen.Spec:
    rng = np.random.default_rng(0)
    layers = []
    for i in range(LAYERS):
        last = i == LAYERS - 1
        layers.append({
            "units": UNITS,
            "activation": "softmax" if last else "tanh",
            "W": (rng.standard_normal((UNITS, UNITS)) / np.sqrt(UNITS)).tolist(),
            "b": (0.1 * rng.standard_normal(UNITS)).tolist(),
        })
    return tracegen.Spec.from_dict({
        "network": {"layers": layers},
        "loss": "cross_entropy",
        "data": {"x": rng.standard_normal((SAMPLES, UNITS)).tolist(), "y": rng.integers(0, UNITS, SAMPLES).tolist()},
        "training": {"learning_rate": 0.1, "epochs": EPOCHS},
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    args = parser.parse_args()
    spec = big_spec()
    if args.profile:
        with cProfile.Profile() as profile:
            tracegen.trace(spec)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(15)
        return
    times, cpu, rows = [], [], 0
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        rows = len(tracegen.trace(spec).df)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    # CPU time is printed too: on a shared machine wall time mostly measures the neighbours.
    print(f"tracegen.trace: {LAYERS} layers x {UNITS} units, {SAMPLES} samples, {EPOCHS} epochs, "
          f"{rows:,} rows: median {statistics.median(times):.2f} s wall, {statistics.median(cpu):.2f} s CPU "
          f"over {RUNS} runs (wall min {min(times):.2f} s, max {max(times):.2f} s)")


if __name__ == "__main__":
    main()
