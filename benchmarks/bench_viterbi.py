"""Benchmark: mirbook.sequence.viterbi vs librosa.sequence.viterbi on the chord HMM.

25 states (24 major/minor chords + N), self-transition 0.9, emissions from template matching of a
noisy synthetic chromagram, 10,000 frames by default:

    python benchmarks/bench_viterbi.py [--n-frames 10000] [--repeats 7]

Both are warmed up first (numba compilation is not timed); runs are interleaved and the best of
``--repeats`` is kept. Also times the pure-numpy engine (the chapter's loop over time). Checks the
paths are identical. Writes ``benchmarks/results/bench_viterbi.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def make_problem(n_frames, seed=0):
    from mirbook import chords

    rng = np.random.default_rng(seed)
    T = chords.chord_templates("majmin")
    seg = np.repeat(rng.integers(0, 25, n_frames // 10 + 1), 10)[:n_frames]
    chroma = T[seg].T + 0.4 * rng.random((12, n_frames))
    scores = chords.match_templates(chroma, T)
    prob = chords._emission(scores, 0.1)
    return prob, chords.chord_hmm(25, p_self=0.9)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-frames", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_viterbi.json"))
    args = ap.parse_args(argv)

    import librosa

    from mirbook.sequence import viterbi

    prob, A = make_problem(args.n_frames)
    fns = {
        "librosa": lambda: librosa.sequence.viterbi(prob, A, return_logp=True),
        "mirbook": lambda: viterbi(prob, A, return_info=True),
        "mirbook_numpy": lambda: viterbi(prob, A, return_info=True, engine="numpy"),
    }
    out = {k: f() for k, f in fns.items()}          # warm-up (numba compilation / cache load)
    best = {k: np.inf for k in fns}
    for _ in range(args.repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            out[k] = f()
            best[k] = min(best[k], time.perf_counter() - t0)
    same = bool(np.array_equal(out["librosa"][0], out["mirbook"][0])
                and np.array_equal(out["librosa"][0], out["mirbook_numpy"][0]))
    result = {
        "n_states": 25, "n_frames": args.n_frames, "cpu_count": os.cpu_count(),
        "time_s": best,
        "ratio_librosa_over_mirbook": best["librosa"] / best["mirbook"],
        "ratio_librosa_over_mirbook_numpy": best["librosa"] / best["mirbook_numpy"],
        "same_path": same,
        "logp": {k: float(np.squeeze(v[1]["logp"] if isinstance(v[1], dict) else v[1]))
                 for k, v in out.items()},
    }
    print(f"Viterbi, 25-state chord HMM, {args.n_frames} frames (best of {args.repeats})")
    print(f"{'implementation':28s} {'ms':>9s} {'librosa / this':>15s}")
    for k in fns:
        print(f"{k:28s} {1e3 * best[k]:9.2f} {best['librosa'] / best[k]:15.2f}")
    print(f"identical paths: {same}")
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
