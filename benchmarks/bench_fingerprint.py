"""Benchmark: landmark fingerprint lookup time vs collection size (mirbook.fingerprint).

Indexes the first N clips of the offline corpus (chorales, piano pieces, styles, then
speech_music, in that order) for N in ``--sizes``, and for each N reports the build time, the
number of index entries (landmarks) and the index size, then the median time of ``--queries``
lookups of 5-second excerpts of indexed clips with white noise at 10 dB SNR (and the hit rate:
right clip, offset within 0.1 s). The lookup is a binary search per query hash in sorted arrays
(``numpy.searchsorted``), so its time should grow with the number of *matching* entries, far
slower than the collection::

    python benchmarks/bench_fingerprint.py                 # 50, 100, 200, 400 clips
    python benchmarks/bench_fingerprint.py --sizes 20 40   # quick

Writes ``benchmarks/results/fingerprint.json``. Needs the built corpus
(``python -m mirbook data build``).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from mirbook import datasets, io
from mirbook import fingerprint as FP

SR = 22050


def clips(n):
    recs = [r for r in datasets.load("chorales")]
    recs += [r for r in datasets.load("piano") if r["labels"]["style"] != "isolated"]
    recs += datasets.load("styles")
    recs += [r for r in datasets.load("speech_music") if r["labels"]["label"] == "music"]
    recs += [r for r in datasets.load("speech_music") if r["labels"]["label"] != "music"]
    if n > len(recs):
        raise SystemExit(f"only {len(recs)} clips in the corpus, asked for {n}")
    return recs[:n]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400])
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "fingerprint.json"))
    args = ap.parse_args(argv)

    recs = clips(max(args.sizes))
    audio = {r["id"]: io.load_audio(r["path"], sr=SR)[0].astype(np.float64) for r in recs}
    names = list(audio)
    rows = []
    for n in sorted(args.sizes):
        subset = {k: audio[k] for k in names[:n]}
        t0 = time.perf_counter()
        index = FP.build_index(subset, sr=SR)
        build_s = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        times, hits = [], 0
        for _ in range(args.queries):
            name = names[int(rng.integers(n))]
            y = subset[name]
            start = rng.uniform(0, max(0.0, y.size / SR - 5.0))
            q = y[int(start * SR): int(start * SR) + 5 * SR]
            noise = rng.standard_normal(q.size)
            q = q + noise * np.sqrt(np.mean(q ** 2) / np.mean(noise ** 2) / 10.0)
            t0 = time.perf_counter()
            res = FP.query(index, q, sr=SR, n_results=1)
            times.append(time.perf_counter() - t0)
            hits += bool(res) and res[0][0] == name and abs(res[0][1] - start) < 0.1
        audio_h = sum(v.size for v in subset.values()) / SR / 3600
        rows.append(dict(n_clips=n, audio_hours=round(audio_h, 3), build_s=round(build_s, 3),
                         entries=len(index), index_mb=round(index.nbytes / 2 ** 20, 2),
                         median_query_ms=round(1000 * float(np.median(times)), 2),
                         hit_rate=hits / args.queries))
    head = ("n_clips", "audio_hours", "build_s", "entries", "index_mb", "median_query_ms",
            "hit_rate")
    print(" | ".join(f"{h:>15}" for h in head))
    for r in rows:
        print(" | ".join(f"{r[h]:>15}" for h in head))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                               "params": FP.DEFAULTS, "queries": args.queries, "rows": rows},
                              indent=2, default=list))
    print(f"written {out}")


if __name__ == "__main__":
    main()
