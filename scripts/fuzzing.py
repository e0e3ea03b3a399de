"""What the fuzz scripts share (scripts/fuzz_specs.py, scripts/fuzz_commands.py): one command run in this
process and timed, the run over a seeded corpus in a scratch folder, the command line, and the targets of a
drawn spec.

The scripts import it as a sibling (`import fuzzing`): run as `python scripts/fuzz_*.py`, their folder is on
the path; tests/spec/test_fuzz.py puts it there.
"""

from __future__ import annotations

import argparse
import random
import resource
import signal
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

Case = TypeVar("Case")


@dataclass(frozen=True)
class Outcome:
    """What one command did: exit code, stderr, and its time."""

    code: int
    err: str
    seconds: float  # CPU time of this process and its children: on a shared machine wall time measures the others
    wall: float


def targets(rng: random.Random, loss: str, out: int, samples: int) -> Any:
    """Targets a spec with `out` outputs accepts for `loss`: class indices, 0/1 values, or rows of them."""
    if loss == "cross_entropy":
        return [rng.randrange(out) for _ in range(samples)]
    if out == 1:
        return [rng.choice((0, 1)) for _ in range(samples)]
    return [[rng.choice((0, 1)) for _ in range(out)] for _ in range(samples)]


class Hang(BaseException):
    """A command ran past its timeout (BaseException: the CLI's own error mapping must not catch it)."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def invoke(args: list[str], timeout: float | None = None) -> Outcome:
    """`tracegen ARGS` run in this process (click's test runner); Hang when it runs past `timeout` seconds."""
    from click.testing import CliRunner

    from tracegen.cli import cli

    previous = signal.signal(signal.SIGALRM, _alarm) if timeout else None
    if timeout:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    start, cpu = time.perf_counter(), cpu_seconds()
    try:
        result = CliRunner().invoke(cli, args, prog_name="tracegen")
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return Outcome(result.exit_code, result.stderr, cpu_seconds() - cpu, time.perf_counter() - start)


def run(cases: Iterable[Case], run_case: Callable[[Case, Path], None], keep: Path | None = None) -> None:
    """`run_case` on every case, in `keep` or in a scratch folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tracegen-fuzz-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for case in cases:
            run_case(case, folder)


class Report(Protocol):
    @property
    def passed(self) -> bool: ...

    def summary(self) -> str: ...


def main(doc: str, count: int, keep: str, fuzz: Callable[[argparse.Namespace], Report],
         options: Callable[[argparse.ArgumentParser], None]) -> int:
    """A fuzz script's command line: --count (default `count`), --seed, --keep (`keep` its help) and the script's
    own `options`; prints the report's summary and the time taken; 1 when the run failed."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=count, help=f"specs to generate (default {count})")
    parser.add_argument("--seed", type=int, default=1, help="seed of the corpus (default 1)")
    parser.add_argument("--keep", type=Path, help=keep)
    options(parser)
    args = parser.parse_args()
    start = time.perf_counter()
    report = fuzz(args)
    print(report.summary())
    print(f"{time.perf_counter() - start:.0f} s")
    return 0 if report.passed else 1
