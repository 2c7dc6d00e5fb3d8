"""Benchmark: the catalogue pipeline on Dask (mirbook.scale.run) at >= 20,000 tracks.

1. Writes (or resumes) a catalogue of ``--tracks`` tracks under
   ``data_home()/scale/bench-catalogue-audio``: ``--duration``-second excerpts of every
   offline-corpus file plus seeded variants (``mirbook.catalog.make_catalogue``).
2. Throughput and scaling: the pipeline on the same ``--subset`` tracks with a LocalCluster of
   1 worker, then of 2 (fresh output folders, clusters started before the clock), in
   x real time per core (audio seconds / worker-seconds of wall time) and the scaling
   efficiency ``(T1 / T2) / 2`` (goal >= 0.8).
3. The whole catalogue with 2 workers into ``data_home()/scale/bench-catalogue`` (resumable),
   then near-duplicate detection (exact faiss search, k = 16) precision/recall against the
   catalogue's truth at several thresholds, the lossy-source flags' precision/recall on
   lossless-container files, and Parquet bytes per track::

    python benchmarks/bench_scale.py                              # 20,000 tracks
    python benchmarks/bench_scale.py --tracks 3000 --subset 400   # quick

Writes ``benchmarks/results/scale.json``. The machine's load is printed: on a shared machine
the scaling efficiency measures the contention as much as the pipeline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np

from mirbook import catalog, config, scale


def timed_run(table, out, n_workers, detector):
    shutil.rmtree(out, ignore_errors=True)
    client = scale.start_client(n_workers=n_workers)
    try:
        client.wait_for_workers(n_workers)
        client.submit(scale.logmel_embedding, np.zeros(4096, np.float32), sr=22050).result()
        _, info = scale.run(table, out_dir=out, client=client, detector=detector,
                            show_progress=False, return_info=True)
    finally:
        client.close()
    shutil.rmtree(out, ignore_errors=True)
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=20_000)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--subset", type=int, default=1500)
    ap.add_argument("--skip-full", action="store_true", help="only the scaling measurement")
    ap.add_argument("--analyse-only", action="store_true",
                    help="no run: score what the full run has written so far (a partial "
                         "run is consistent: tracks are batched source by source)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "scale.json"))
    args = ap.parse_args(argv)
    home = config.data_home() / "scale"
    audio = home / "bench-catalogue-audio"
    result = dict(machine=dict(cpu_count=os.cpu_count(), platform=platform.platform()))

    t0 = time.perf_counter()
    if (audio / "catalogue.parquet").is_file() and \
            len(catalog.read_catalogue(audio)) >= args.tracks:
        table = catalog.read_catalogue(audio)
    else:
        table = catalog.make_catalogue(catalog.corpus_tracks(), out_dir=audio,
                                       n_tracks=args.tracks, duration=args.duration,
                                       n_jobs=2, n_corrupt=30, n_silent=20,
                                       show_progress=True)
    result["catalogue"] = dict(n_tracks=len(table), n_sources=int(table["source"].nunique()),
                               build_s=time.perf_counter() - t0)
    print(result["catalogue"], flush=True)

    detector = scale._cached_detector(home / "bench-catalogue", table)
    subset = table.sample(n=min(args.subset, len(table)), random_state=0)
    runs = {}
    for n_workers in () if args.analyse_only else (1, 2):
        load = os.getloadavg()[0]
        info = timed_run(subset, home / f"bench-scaling-{n_workers}", n_workers, detector)
        runs[n_workers] = dict(wall_s=info["wall_s"], audio_s=info["audio_s"],
                               compute_s=info["compute_s"], load_before=load,
                               cpu_s=info.get("cpu_s"),
                               x_realtime_per_core=info["audio_s"] / info["wall_s"] / n_workers,
                               x_realtime_per_busy_core=info["audio_s"] / info["compute_s"],
                               x_realtime_per_cpu_s=(info["audio_s"] / info["cpu_s"]
                                                     if info.get("cpu_s") else None))
        print(n_workers, "worker(s):", runs[n_workers], flush=True)
    if runs:
        eff = runs[1]["wall_s"] / runs[2]["wall_s"] / 2
        result["scaling"] = dict(runs=runs, efficiency_1_to_2=eff, subset=len(subset))
        print(f"scaling efficiency 1 -> 2 workers: {eff:.2f} (goal >= 0.8)", flush=True)

    if not args.skip_full:
        out = home / "bench-catalogue"
        load = os.getloadavg()[0]
        if args.analyse_only:
            features = scale.read_features(out)
            info = dict(n_tracks=0, wall_s=float("nan"), audio_s=float("nan"), cpu_s=0,
                        failed_batches=[])
            cpu = features["cpu_seconds"].sum() if "cpu_seconds" in features else 0
            result["from_parts"] = dict(
                n_tracks=len(features), audio_s=float(features["duration_s"].sum()),
                x_realtime_per_cpu_s=float(features["duration_s"].sum() / cpu) if cpu
                else None,
                x_realtime_per_busy_core=float(features["duration_s"].sum()
                                               / features["seconds"].sum()))
            print(result["from_parts"], flush=True)
        else:
            features, info = scale.run(table, out_dir=out, n_workers=2, detector=detector,
                                       show_progress=True, return_info=True)
        parts = list((out / "features").rglob("part-*.parquet"))
        nbytes = sum(p.stat().st_size for p in parts)
        result["full_run"] = dict(
            n_tracks=len(features), n_new=info["n_tracks"], wall_s=info["wall_s"],
            audio_s=info["audio_s"], load_before=load, n_parts=len(parts),
            parquet_bytes_per_track=nbytes / max(len(features), 1),
            x_realtime=info["audio_s"] / info["wall_s"] if info["n_tracks"] else None,
            x_realtime_per_cpu_s=(info["audio_s"] / info["cpu_s"]
                                  if info.get("cpu_s") else None),
            failed_batches=len(info["failed_batches"]))
        print(result["full_run"], flush=True)
        E, rows = catalog.embedding_matrix(features)
        truth = rows.merge(table[["track_id", "source", "lossy"]], on="track_id", how="left")
        # only the sources whose versions are all done count (a partial run stops mid-group)
        done = set(features["track_id"])
        whole = table.groupby("source")["track_id"].agg(lambda t: set(t) <= done)
        keep = truth["source"].map(whole).fillna(True).astype(bool).values
        E, truth = E[keep], truth[keep].reset_index(drop=True)
        result["duplicates_on"] = dict(n_tracks=len(truth),
                                       n_sources=int(truth["source"].nunique()))
        index = catalog.build_index(E)
        dup = []
        for th in (0.95, 0.97, 0.98, 0.985, 0.99):
            pairs = catalog.find_duplicates(E, threshold=th, k=16, index=index)
            s = catalog.evaluate_duplicates(pairs, groups=truth["source"])
            dup.append(dict(threshold=th, **s))
            print("duplicates", dup[-1], flush=True)
        result["duplicates"] = dup
        lossless = truth[truth["path"].str.endswith(".flac")]
        flag = lossless["lossy_score"] >= catalog.LOSSY_THRESHOLD
        true = lossless["lossy"].astype(bool)
        tp = int((flag & true).sum())
        result["lossy_flags"] = dict(
            threshold=catalog.LOSSY_THRESHOLD, n=len(lossless),
            precision=tp / max(int(flag.sum()), 1), recall=tp / max(int(true.sum()), 1),
            note="truth counts only the seeded transcodes; corpus files that were lossy "
                 "before (game music decoded from Ogg/MP3) count as lossless here")
        print("lossy flags", result["lossy_flags"], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, default=float))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
