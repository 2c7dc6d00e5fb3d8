"""Clip-level feature extraction speed: mirbook's batch path vs a plain librosa loop (one run).

Usage::

    python benchmarks/bench_features.py [--files 20] [--duration 10] [--repeats 2] [--jobs 1 2]

Both sides decode each file and compute the same kind of clip vector: MFCC (20) + deltas +
delta-deltas, spectral centroid / spread / rolloff / flatness, flux (onset strength), chroma,
ZCR, RMS, pooled by mean and std.

- mirbook: :func:`mirbook.features.batch_clip_features` (``load_audio``, ONE STFT per file from
  which mel, MFCC, chroma, spectral statistics and RMS are derived), with ``--jobs`` processes;
- librosa: the loop a reader would write, ``librosa.load`` then ``librosa.feature.mfcc``,
  ``chroma_stft``, ``spectral_centroid``, ``spectral_bandwidth``, ``spectral_rolloff``,
  ``spectral_flatness``, ``librosa.onset.onset_strength``, ``zero_crossing_rate``, ``rms``,
  each computing its own STFT (7 STFTs per file), in one process.

Speed is reported as "x realtime per core": seconds of audio processed per second of wall time,
divided by the number of worker processes. BLAS runs with one thread on both sides. Files are
synthetic 22050 Hz 16-bit WAV (tones, noise bursts, a chirp) written to a temporary folder.
Prints a table and writes ``benchmarks/results/features.json`` (git-ignored). Not a test:
nothing is asserted. On a shared machine the numbers move with the load; the ratio (same run)
is the figure to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

from mirbook import features as Fe
from timing import best_time  # benchmarks/timing.py

SR = 22050
N_FFT, HOP = 2048, 512


def _write_files(folder, n_files, duration):
    rng = np.random.default_rng(0)
    n = int(duration * SR)
    t = np.arange(n) / SR
    paths = []
    for i in range(n_files):
        f0 = 110.0 * 2 ** (i / 12)
        y = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.1 * np.sin(2 * np.pi * 3 * f0 * t)
        y += 0.05 * rng.standard_normal(n) * (np.sin(2 * np.pi * 0.5 * t) > 0)
        y += 0.05 * np.sin(2 * np.pi * (200 + 300 * t) * t)
        p = Path(folder) / f"clip{i:03d}.wav"
        sf.write(p, (0.8 * y / np.max(np.abs(y))).astype(np.float32), SR, subtype="PCM_16")
        paths.append(p)
    return paths


def librosa_clip(path):
    """The plain per-file loop: every librosa feature function computes its own STFT."""
    y, sr = librosa.load(path, sr=SR)
    m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20, n_fft=N_FFT, hop_length=HOP)
    feats = [
        m, librosa.feature.delta(m), librosa.feature.delta(m, order=2),
        librosa.feature.spectral_centroid(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP),
        librosa.feature.spectral_bandwidth(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP),
        librosa.feature.spectral_rolloff(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP),
        librosa.feature.spectral_flatness(y=y, n_fft=N_FFT, hop_length=HOP),
        librosa.onset.onset_strength(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP)[None, :],
        librosa.feature.chroma_stft(y=y, sr=sr, n_fft=N_FFT, hop_length=HOP, tuning=0.0),
        librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP),
        librosa.feature.rms(y=y, frame_length=N_FFT, hop_length=HOP),
    ]
    Fm = np.concatenate(feats, axis=0)
    return np.concatenate([Fm.mean(axis=1), Fm.std(axis=1)]).astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "features.json"))
    args = ap.parse_args(argv)
    os.environ.setdefault("MIRBOOK_PROGRESS", "0")
    # one BLAS thread on both sides: "per core" figures, and no oversubscription on a shared box
    # (mirbook's batch path sets this itself in its workers)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)

    with tempfile.TemporaryDirectory() as tmp:
        paths = _write_files(tmp, args.files, args.duration)
        audio_s = args.files * args.duration
        rows = []
        t_lib = best_time(lambda: [librosa_clip(p) for p in paths], args.repeats, warmup=True)[0]
        rows.append({"method": "librosa loop (7 STFTs/file)", "jobs": 1, "best_s": t_lib,
                     "x_realtime_per_core": audio_s / t_lib})
        for jobs in args.jobs:
            t = best_time(lambda: Fe.batch_clip_features(paths, sr=SR, n_jobs=jobs,
                                                      show_progress=False),
                          args.repeats, warmup=True)[0]
            rows.append({"method": "mirbook batch (1 STFT/file)", "jobs": jobs, "best_s": t,
                         "x_realtime_per_core": audio_s / t / jobs})

    lib_rate = rows[0]["x_realtime_per_core"]
    for r in rows:
        r["ratio_vs_librosa_per_core"] = r["x_realtime_per_core"] / lib_rate
    print(f"{args.files} files x {args.duration:g} s = {audio_s:g} s of audio, best of "
          f"{args.repeats}, {os.cpu_count()} CPUs visible")
    print(f"{'method':<30} {'jobs':>4} {'best [s]':>9} {'x RT/core':>10} {'ratio':>6}")
    for r in rows:
        print(f"{r['method']:<30} {r['jobs']:>4} {r['best_s']:>9.3f} "
              f"{r['x_realtime_per_core']:>10.1f} {r['ratio_vs_librosa_per_core']:>6.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "benchmark": "features", "files": args.files, "duration_s": args.duration,
        "repeats": args.repeats, "sr": SR, "n_fft": N_FFT, "hop_length": HOP,
        "cpu_count": os.cpu_count(), "machine": platform.platform(),
        "python": platform.python_version(), "librosa": librosa.__version__,
        "numpy": np.__version__, "rows": rows,
    }, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
