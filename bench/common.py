"""Timing and reporting helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    value: float
    baseline: float
    unit: str
    goal: str
    better: str = "lower"  # "lower": ratio = value / baseline; "higher": value / baseline too

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


def best_of(runs: int, func: Callable[[], object]) -> float:
    """Best wall-clock seconds of ``runs`` calls: the least disturbed by a noisy 2-core box."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved(runs: int, **funcs: Callable[[], object]) -> dict[str, float]:
    """Best time of each function, alternating them so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(runs):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank) of latencies or any other sample."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_table(figures: list[Figure]) -> None:
    header = f"{'figure':<52} {'value':>14} {'baseline':>14} {'ratio':>7}  goal"
    print(header)
    print("-" * len(header))
    for f in figures:
        print(
            f"{f.name:<52} {f.value:>11.3f} {f.unit:<2} {f.baseline:>11.3f} {f.unit:<2}"
            f" {f.ratio:>6.2f}x  {f.goal}"
        )
