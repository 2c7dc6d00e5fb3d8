"""Benchmark: basic-pitch's pretrained ONNX transcriber vs chapter 9's supervised NMF.

The two transcribers of chapter 12's last section, on the same rendered piano audio, in one run:

    python benchmarks/bench_pretrained.py            # 30 s of rendered piano
    python benchmarks/bench_pretrained.py --small    # 10 s, a few seconds in all

- NMF: :func:`mirbook.transcription.magnitude` (4096-point STFT below 5 kHz), 60 KL
  iterations of :func:`mirbook.nmf.nmf` with 88 fixed harmonic templates (numpy back end, one
  BLAS thread, as in chapter 9), :func:`mirbook.transcription.activations_to_notes`;
- basic-pitch: :func:`mirbook.pretrained.transcribe_basic_pitch` (network, then its own note
  reading), model loaded once before timing.

Reports the seconds of computing per second of audio of each, best of ``--repeats`` interleaved
runs (the machine may be shared), and their ratio (basic-pitch over NMF). The piece is random
notes (seeded) rendered with FluidSynth; the onset F-measure of each against those notes is
printed too, as a check that both did the work. Writes ``benchmarks/results/bench_pretrained.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np
from timing import best_time  # benchmarks/timing.py


def make_piece(duration, seed=0):
    """Random piano notes (one to three at a time, MIDI 40-84), seeded, as a note list."""
    rng = np.random.default_rng(seed)
    notes, t = [], 0.2
    while t < duration - 1.0:
        for pitch in rng.choice(np.arange(40, 85), size=rng.integers(1, 4), replace=False):
            notes.append((t, t + rng.uniform(0.2, 0.8), pitch, rng.integers(60, 110)))
        t += rng.uniform(0.15, 0.5)
    return np.array(notes, dtype=float)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="10 s of audio instead of 30 s")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" /
                                         "bench_pretrained.json"))
    args, _ = ap.parse_known_args(argv)

    from threadpoolctl import threadpool_limits

    import mirbook
    from mirbook import pretrained as PT
    from mirbook import transcription as TR
    from mirbook.nmf import harmonic_templates, nmf

    PT.model_path()                      # MissingToolError with the install command if absent
    sr, duration = 22050, (10.0 if args.small else 30.0)
    ref = make_piece(duration)
    y = mirbook.symbolic.render(ref, sr=sr, duration=duration)
    stft = {"sr": sr, "n_fft": 4096, "hop_length": 512, "fmax": 5000.0}
    keys = np.arange(21, 109)
    n_bins = TR.magnitude(np.zeros(4096), **stft).shape[0]
    W = harmonic_templates(keys, sr=sr, n_fft=4096, n_partials=12, decay=0.7,
                           width=1.5)[:n_bins]
    W = (W / W.sum(axis=0, keepdims=True)).astype(np.float32)

    def run_nmf():
        with threadpool_limits(limits=1, user_api="blas"):
            X = TR.magnitude(y, **stft)
            H = nmf(X / X.mean() + 1e-9, W=W, fix_W=True, beta=1, n_iter=60, track_every=0,
                    backend="numpy")[1]
            return TR.activations_to_notes(H, keys, sr=sr, hop_length=512, threshold=0.2,
                                           min_duration=0.06)

    def run_basic_pitch():
        return PT.transcribe_basic_pitch(y, sr=sr)

    impls = {"nmf": run_nmf, "basic_pitch": run_basic_pitch}
    est = {name: fn() for name, fn in impls.items()}             # warm-up (model load, numba)
    best = {name: np.inf for name in impls}
    for _ in range(args.repeats):                                 # interleaved
        for name, fn in impls.items():
            best[name] = min(best[name], best_time(fn, 1)[0])
    per_s = {name: t / duration for name, t in best.items()}
    onset_f = {name: TR.evaluate(ref, e)["F-measure_no_offset"] for name, e in est.items()}
    result = {
        "audio_s": duration, "n_notes": len(ref), "repeats": args.repeats,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "numpy": np.__version__},
        "method": "best of --repeats interleaved runs; model loaded and numba compiled first",
        "seconds_per_audio_second": per_s,
        "ratio_basic_pitch_over_nmf": per_s["basic_pitch"] / per_s["nmf"],
        "onset_f": onset_f,
    }
    print(f"{duration:.0f} s of rendered piano ({len(ref)} notes), best of {args.repeats}, "
          f"{os.cpu_count()} CPU(s)")
    print(f"{'transcriber':32s} {'s per audio s':>14s} {'onset F':>8s}")
    for name, label in (("nmf", "NMF, 88 harmonic templates"),
                        ("basic_pitch", "basic-pitch (ONNX)")):
        print(f"{label:32s} {per_s[name]:14.4f} {onset_f[name]:8.3f}")
    print(f"basic-pitch / NMF time: {result['ratio_basic_pitch_over_nmf']:.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
