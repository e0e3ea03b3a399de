"""What the fairness gates cost: draws per variant and drawing time, gates on and off.

    python benchmarks/bench_fairness.py                 # 300 variants of each spec, 5 fresh processes each
    python benchmarks/bench_fairness.py --variants 30 --repeat 3

For each spec (the Class 3 example, and the tanh and leaky-ReLU/softmax specs of the
tests) it draws the same seed's variants with every constraint as the spec has it (the
gates on, the default) and with the four fairness gates off, each in fresh processes, and
prints a Markdown table for docs/BENCHMARKS.md (section "Fairness gates"): draws a
variant took (mean, median, 95th percentile, max; deterministic), the share of draws
accepted, and the median wall and CPU time of `draw` (CPU is steadier on a shared
machine). A spec whose variants cannot all meet the gates within `variants.tries` says
so, with the gate that failed most.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import machine  # noqa: E402

SPECS = {"Class 3 (3-2-1 ReLU/sigmoid, 1 sample, 3 epochs)": None,
         "tanh 2-3-3-2, mse, 3 samples, 2 epochs": ROOT / "tests" / "specs" / "tanh.yaml",
         "leaky ReLU/softmax 4-3-3, 2 samples, 2 epochs": ROOT / "tests" / "specs" / "softmax.yaml"}
OFF = {"same_branches": False, "no_zero_gradients": False, "loss_band": None, "no_ties": False}


def one(path: str, gates: bool, count: int) -> dict:
    """Draw `count` variants in this process; their draws and the time `draw` took."""
    import tracegen
    from tracegen.batching.variants import draw

    spec = tracegen.load_example() if path == "-" else tracegen.load_spec(path)
    data = spec.to_dict()
    if not gates:
        variants = data.setdefault("variants", {})
        variants["constraints"] = {**variants.get("constraints", {}), **OFF}
    spec = tracegen.Spec.from_dict(data)
    materials = [f"seed=0/variant={i}" for i in range(1, count + 1)]
    start, cpu = time.perf_counter(), time.process_time()
    try:
        drawn = draw(spec, materials)
    except tracegen.SpecError as err:
        return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "error": str(err)}
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
            "draws": [v.attempt + 1 for v in drawn]}


def measure(path: Path | None, gates: bool, count: int, repeat: int) -> dict:
    """`one` in `repeat` fresh processes: the draws (the same every run) and the median time."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--one", str(path or "-"), "--gates", str(int(gates)),
                               "--variants", str(count)], capture_output=True, text=True, check=True, cwd=ROOT)
        runs.append(json.loads(done.stdout))
    return {**runs[0], "seconds": statistics.median(run["seconds"] for run in runs),
            "cpu": statistics.median(run["cpu"] for run in runs)}


def row(label: str, gates: bool, result: dict) -> str:
    on = "on" if gates else "off"
    if "error" in result:
        worst = result["error"].split("; most often failed: ")[1].split(". Relax")[0]
        return (f"| {label} | {on} | – | – | – | – | – | {result['seconds']:.2f} | {result['cpu']:.2f} | "
                f"fails; most often failed: {worst} |")
    draws = np.array(result["draws"])
    return (f"| {label} | {on} | {draws.mean():.1f} | {np.median(draws):g} | {np.percentile(draws, 95):.0f} | "
            f"{draws.max()} | {len(draws) / draws.sum():.1%} | {result['seconds']:.2f} | {result['cpu']:.2f} | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--gates", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, bool(args.gates), args.variants)))
        return
    print(f"Machine: {machine()}\n\n{args.variants} variants of seed 0; median of {args.repeat} fresh processes\n")
    print("| spec | gates | draws: mean | median | p95 | max | accepted | wall (s) | CPU (s) | note |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, path in SPECS.items():
        for gates in (False, True):
            print(row(label, gates, measure(path, gates, args.variants, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
