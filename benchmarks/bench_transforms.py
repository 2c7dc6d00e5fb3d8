"""Time mirbook.transforms against librosa: STFT, ISTFT, CQT (one run, same machine).

Usage::

    python benchmarks/bench_transforms.py [--repeats 5] [--durations 30 300]

Prints a table (best and median of ``--repeats`` runs, and the ratio mirbook / librosa of the
best times) and writes ``benchmarks/results/transforms.json`` (git-ignored). Signals: float32
noise plus tones at 22050 Hz. Not a test: speed is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import librosa
import numpy as np

from mirbook import transforms as T
from timing import time_stats  # benchmarks/timing.py

SR = 22050
N_FFT, HOP = 2048, 512


def _signal(duration):
    rng = np.random.default_rng(0)
    n = int(duration * SR)
    t = np.arange(n) / SR
    y = 0.1 * rng.standard_normal(n) + 0.3 * np.sin(2 * np.pi * 440.0 * t)
    return y.astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--durations", type=float, nargs="+", default=[30.0, 300.0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "transforms.json"))
    args = ap.parse_args(argv)

    rows = []
    for duration in args.durations:
        y = _signal(duration)
        S = librosa.stft(y, n_fft=N_FFT, hop_length=HOP)
        cases = [
            ("stft", lambda: T.stft(y, n_fft=N_FFT, hop_length=HOP),
             lambda: librosa.stft(y, n_fft=N_FFT, hop_length=HOP)),
            ("istft", lambda: T.istft(S, hop_length=HOP, length=y.size),
             lambda: librosa.istft(S, hop_length=HOP, length=y.size)),
            ("cqt", lambda: T.cqt(y, sr=SR, hop_length=HOP),
             lambda: librosa.cqt(y, sr=SR, hop_length=HOP)),
        ]
        for name, ours, theirs in cases:
            best_m, med_m = time_stats(ours, args.repeats)
            best_l, med_l = time_stats(theirs, args.repeats)
            rows.append({
                "transform": name, "duration_s": duration,
                "mirbook_best_s": best_m, "mirbook_median_s": med_m,
                "librosa_best_s": best_l, "librosa_median_s": med_l,
                "ratio_best": best_m / best_l, "ratio_median": med_m / med_l,
            })

    head = (f"{'transform':<8} {'audio':>7} {'mirbook best':>13} {'median':>9} "
            f"{'librosa best':>13} {'median':>9} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['transform']:<8} {r['duration_s']:>6.0f}s {r['mirbook_best_s'] * 1e3:>10.1f} ms "
              f"{r['mirbook_median_s'] * 1e3:>6.1f} ms {r['librosa_best_s'] * 1e3:>10.1f} ms "
              f"{r['librosa_median_s'] * 1e3:>6.1f} ms {r['ratio_best']:>6.2f}")
    print("ratio = mirbook best / librosa best (< 1: mirbook faster)")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "sr": SR, "n_fft": N_FFT, "hop_length": HOP, "repeats": args.repeats,
        "dtype": "float32", "numpy": np.__version__, "librosa": librosa.__version__,
        "python": platform.python_version(), "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
