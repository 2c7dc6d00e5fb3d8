"""Timing helpers shared by the benchmark scripts (``python benchmarks/bench_NAME.py``)."""

import statistics
import time

import numpy as np


def best_time(fn, repeats, *, warmup=False):
    """Run ``fn()`` ``repeats`` times; return (best wall time in seconds, last result).

    ``warmup=True`` runs it once more first, untimed (imports, numba compilation, caches).
    """
    if warmup:
        fn()
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def time_stats(fn, repeats, *, warmup=True):
    """Run ``fn()`` ``repeats`` times (after a warm-up run); return (best, median) seconds."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)
