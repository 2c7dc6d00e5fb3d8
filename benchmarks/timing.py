"""Timing helper shared by the benchmark scripts (``python benchmarks/bench_NAME.py``)."""

import time

import numpy as np


def best_time(fn, repeats):
    """Run ``fn()`` ``repeats`` times; return (best wall time in seconds, last result)."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
