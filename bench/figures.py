"""One measured figure beside its floor, as the benches hand them to ``run_all``."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure and the floor it is judged against, measured in the same run.

    ``ratio`` is value / floor: 1.0 means farwatch costs what the floor costs.
    """

    name: str
    value: float
    unit: str
    floor: float | None = None
    floor_name: str = ""
    target: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor <= 0:
            return None
        return self.value / self.floor


def median_of(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


def interleaved(runs: int, *fns: Callable[[], float]) -> list[float]:
    """Median of ``runs`` runs of each function, run in turns so drift hits all alike."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for sample, fn in zip(samples, fns, strict=True):
            sample.append(fn())
    return [statistics.median(s) for s in samples]


def wall_time(argv: Sequence[str], *, check_output: Callable[[bytes], None] | None = None) -> float:
    """Seconds a process takes from spawn to exit; its stdout goes to ``check_output``."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:3])} ... exited {done.returncode}: "
            f"{done.stderr.decode(errors='replace')[-800:]}"
        )
    if check_output is not None:
        check_output(done.stdout)
    return elapsed
