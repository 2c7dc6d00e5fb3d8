"""Tests of mirbook.scale (the Dask pipeline) and mirbook.catalog (catalogue, faiss, duplicates).

The pipeline runs end to end on a tiny synthetic catalogue: on a LocalCluster, through the
command line, and through a real ``dask scheduler`` with two ``dask worker`` processes started
here on 127.0.0.1, one of which is killed mid-run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mirbook import catalog, scale
from mirbook.errors import ParameterError
from mirbook.io import load_audio, save_audio

SR = 22050
DASK = Path(sys.executable).parent / "dask"
N_SOURCES, N_VARIANTS = 6, 3
N_TRACKS = N_SOURCES * (1 + N_VARIANTS) + 3 + 2          # + corrupt + silent


def _source(i, rng):
    """A few seconds of a distinct synthetic 'track': a melody of harmonic notes in noise."""
    t = np.arange(int(4.0 * SR)) / SR
    notes = rng.integers(45, 80, size=8)
    f0 = 440 * 2 ** ((np.repeat(notes, t.size // 8 + 1)[: t.size] - 69) / 12)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    brightness = 0.3 + 0.15 * i
    y = sum(brightness ** h * np.sin(h * phase) for h in range(1, 8))
    y = y * (0.5 + 0.5 * np.sin(2 * np.pi * (0.5 + i) * t) ** 2)
    y += 0.02 * (i + 1) * rng.standard_normal(t.size)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    root = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(N_SOURCES):
        path = save_audio(root / f"src{i}.flac", _source(i, rng), sr=SR)
        rows.append(dict(track_id=f"synth/src{i}", path=str(path),
                         corpus="synth-a" if i % 2 else "synth-b"))
    out = tmp_path_factory.mktemp("catalogue")
    table = catalog.make_catalogue(pd.DataFrame(rows), out_dir=out,
                                   variants_per_track=N_VARIANTS, duration=3.0, n_corrupt=3,
                                   n_silent=2, random_state=0)
    return out, table


@pytest.fixture(scope="module")
def detector(cat):
    _, table = cat
    clips = [load_audio(p)[0] for p in table[table["variant"] == "original"]["path"][:2]]
    return scale.train_lossy_detector(clips, conditions=["original", "mp3@32", "vorbis@q0.3"],
                                      n_estimators=20)


@pytest.fixture(scope="module")
def local_run(cat, detector, tmp_path_factory):
    _, table = cat
    out = tmp_path_factory.mktemp("run")
    features, info = scale.run(table, out_dir=out, n_workers=2, batch_size=4,
                               detector=detector, show_progress=False, return_info=True)
    return out, features, info


def test_catalogue_truth(cat):
    out, table = cat
    assert len(table) == N_TRACKS
    assert (out / "catalogue.parquet").is_file()
    assert catalog.read_catalogue(out)["track_id"].tolist() == table["track_id"].tolist()
    assert set(table["variant"]) >= {"original", "corrupt:truncated", "silent"}
    versions = table.dropna(subset=["source"]).groupby("source").size()
    assert (versions == 1 + N_VARIANTS).all()
    assert all(Path(p).exists() for p in table["path"])
    assert table["lossy"].sum() == (table["variant"].str.startswith(("mp3", "vorbis"))).sum()


def test_make_variant_is_seeded_and_bounded():
    y = _source(0, np.random.default_rng(1))[:SR]
    for kind in catalog.VARIANTS:
        a, ia = catalog.make_variant(y, sr=SR, kind=kind, random_state=3)
        b, _ = catalog.make_variant(y, sr=SR, kind=kind, random_state=3)
        assert np.array_equal(a, b), kind
        assert np.max(np.abs(a)) <= 1.0 and a.size > 0.5 * y.size
        assert ia["extension"] == (".mp3" if kind == "mp3@128" else ".flac")
    with pytest.raises(ParameterError, match="kind"):
        catalog.make_variant(y, sr=SR, kind="reverse")


def test_local_cluster_end_to_end(cat, local_run):
    _, table = cat
    out, features, info = local_run
    assert info["n_tracks"] == N_TRACKS and not info["failed_batches"]
    assert info["n_workers"] == 2
    assert sorted(features["track_id"]) == sorted(table["track_id"])
    # corrupt files: recorded with their error, the file named; the run went on
    bad = features[features["status"] == "error"]
    assert len(bad) == 3 == info["n_errors"]
    for row in bad.itertuples():
        assert row.path in row.error and row.embedding is None
    silent = features[features["silent"].fillna(False).astype(bool)]
    assert sorted(silent["track_id"]) == sorted(table[table["variant"] == "silent"]["track_id"])
    ok = features[(features["status"] == "ok") & ~features["silent"].astype(bool)]
    assert ok["embedding"].map(len).eq(scale.EMBEDDING_DIM).all()
    assert ok["lossy_score"].between(0, 1).all()
    assert np.allclose(ok["duration_s"][ok["track_id"].str.endswith("orig.flac")], 3.0)
    # both workers took part
    assert ok["worker"].nunique() == 2


def test_parquet_parts_and_schema(cat, local_run):
    out, _, _ = local_run
    parts = sorted((out / "features").glob("corpus=*/part-*.parquet"))
    assert {p.parent.name for p in parts} == {"corpus=synth-a", "corpus=synth-b", "corpus=bad"}
    assert not list((out / "features").rglob("*.part"))          # no temporary file left
    for p in parts:
        got = pq.read_schema(p)
        assert got.remove_metadata().equals(scale.schema()), p
        assert 1 <= pq.read_metadata(p).num_rows <= 4            # one part per batch


def test_rerun_skips_done_tracks(cat, local_run):
    _, table = cat
    out, features, _ = local_run
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "features").rglob("*.parquet")}
    again, info = scale.run(table, out_dir=out, batch_size=4, show_progress=False,
                            return_info=True)
    assert info["n_batches"] == 0 and info["n_done_before"] == N_TRACKS
    assert {p: p.stat().st_mtime_ns for p in (out / "features").rglob("*.parquet")} == mtimes
    assert again["track_id"].tolist() == features["track_id"].tolist()
    assert scale.plan_batches(table, done=scale.done_tracks(out)) == []


def test_duplicates_found_among_seeded_variants(cat, local_run):
    _, table = cat
    _, features, _ = local_run
    E, rows = catalog.embedding_matrix(features)
    truth = rows.merge(table[["track_id", "source"]], on="track_id")["source"]
    pairs = catalog.find_duplicates(E, threshold=0.95, k=5)
    s = catalog.evaluate_duplicates(pairs, groups=truth)
    assert s["n_true"] == N_SOURCES * (N_VARIANTS + 1) * N_VARIANTS // 2
    assert s["recall"] >= 0.8 and s["precision"] >= 0.8, s
    report = catalog.cleaning_report(features, pairs=pairs)
    assert set(report["issue"]) >= {"unreadable", "silent", "duplicate"}
    assert (report["issue"] == "unreadable").sum() == 3


def test_more_like_this_indexes_agree():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((200, 32)).astype(np.float32)
    E = np.repeat(base, 10, axis=0) + 0.05 * rng.standard_normal((2000, 32)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    _, exact = catalog.search(catalog.build_index(E), E[:50], k=10)
    assert (exact[:, 0] == np.arange(50)).all()
    for kind in ("ivf", "hnsw", "ivfpq"):
        index = catalog.build_index(E, kind=kind, m=8, nprobe=8)
        _, ids = catalog.search(index, E[:50], k=10)
        assert catalog.recall_at_k(exact, ids, k=10) >= 0.8, kind
    assert catalog.index_bytes(catalog.build_index(E, kind="ivfpq", m=8)) < \
        catalog.index_bytes(catalog.build_index(E)) / 4
    with pytest.raises(ParameterError, match="kind"):
        catalog.build_index(E, kind="lsh")
    with pytest.raises(ParameterError, match="m=5"):
        catalog.build_index(E, kind="ivfpq", m=5)


def test_evaluate_duplicates_counts():
    pairs = pd.DataFrame({"i": [0, 2, 3], "j": [1, 3, 4]})
    s = catalog.evaluate_duplicates(pairs, groups=["a", "a", "b", "b", None])
    assert (s["n_true"], s["n_detected"]) == (2, 3)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == 1.0


def test_embedding_and_loudness_invariants():
    y = _source(2, np.random.default_rng(0))
    e = scale.logmel_embedding(y, sr=SR)
    assert e.shape == (scale.EMBEDDING_DIM,) and np.isclose(np.linalg.norm(e), 1)
    assert e @ scale.logmel_embedding(0.25 * y, sr=SR) > 0.999
    assert e @ scale.logmel_embedding(y[SR // 2:], sr=SR) > 0.95
    assert e @ scale.logmel_embedding(_source(5, np.random.default_rng(9)), sr=SR) < 0.98
    assert not scale.logmel_embedding(np.zeros(4096), sr=SR).any()
    assert scale.loudness_db(0.5 * y, sr=SR) == pytest.approx(scale.loudness_db(y, sr=SR) - 6.02,
                                                               abs=0.05)
    assert scale.loudness_db(np.zeros(SR), sr=SR) == -np.inf


def test_track_row_bad_file_and_embedder_names(tmp_path):
    bad = tmp_path / "broken.flac"
    bad.write_bytes(b"fLaC" + bytes(100))
    row = scale.track_row(bad)
    assert row["status"] == "error" and str(bad) in row["error"]
    with pytest.raises(ParameterError, match="embedder"):
        scale.resolve_embedder("no_such_module:f")
    with pytest.raises(ParameterError, match="checkpoint"):
        scale.resolve_embedder(str(tmp_path / "missing.pt"))
    with pytest.raises(ParameterError, match="batch_size"):
        scale.plan_batches(pd.DataFrame(columns=["track_id", "path", "corpus"]), batch_size=0)


def test_scale_estimate_arithmetic():
    t = scale.scale_estimate(realtime_per_core=240.0, bytes_per_track=1e3, n_tracks=1_000_000,
                             daily_tracks=24_000, backfill_days=1.0).set_index("quantity")
    assert t.loc["backfill compute", "value"] == pytest.approx(1e6 / 3600, abs=0.1)
    assert t.loc["cores to keep up", "value"] == pytest.approx(24_000 / 3600 / 24, abs=0.1)
    assert t.loc["flat index (float32)", "value"] == pytest.approx(0.5, abs=0.05)


def test_command_line_run(cat, tmp_path, capsys):
    catdir, table = cat
    status = scale.main(["run", "--catalogue", str(catdir), "--out", str(tmp_path),
                         "--workers", "1", "--batch-size", "8", "--no-detector", "--quiet"])
    assert status == 0
    text = capsys.readouterr().out
    assert f"{N_TRACKS} of {N_TRACKS} tracks done" in text and "unreadable: 3" in text
    assert len(scale.read_features(tmp_path)) == N_TRACKS


# -- a real scheduler and two worker processes on 127.0.0.1 ---------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture
def dask_cluster(tmp_path):
    """``dask scheduler`` + two ``dask worker`` processes; stopped whatever happens."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    # a slowed-down embedder the workers import by name, so that a worker dies mid-run
    (tmp_path / "slow_embedder.py").write_text(SLOW_EMBEDDER)
    env = dict(os.environ, MIRBOOK_PROGRESS="0", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    procs = {}

    def start(name, args):
        log = open(tmp_path / f"{name}.log", "wb")
        procs[name] = subprocess.Popen([str(DASK), *args], stdout=log, stderr=log, env=env,
                                       cwd=tmp_path, start_new_session=True)

    try:
        start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                            "--no-dashboard"])
        for name in ("w1", "w2"):
            start(name, ["worker", address, "--nthreads", "1", "--no-nanny", "--name", name,
                         "--no-dashboard", "--host", "127.0.0.1"])
        from distributed import Client

        client = Client(address, timeout=60)
        client.wait_for_workers(2, timeout=60)
        yield address, client, procs
        client.close()
    finally:
        for proc in procs.values():
            _stop(proc)


SLOW_EMBEDDER = """
import time
from mirbook.scale import logmel_embedding


def embed(y, *, sr):
    time.sleep(0.25)
    return logmel_embedding(y, sr=sr)
"""


def test_real_scheduler_kill_a_worker(cat, dask_cluster, tmp_path):
    _, table = cat
    address, client, procs = dask_cluster
    out = tmp_path / "out"
    before, killed = {}, []
    names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}

    def kill_after_two_parts():
        """Once two parts are written, kill (SIGKILL) the worker that wrote the first."""
        deadline = time.time() + 60
        while time.time() < deadline:
            parts = list((out / "features").glob("corpus=*/part-*.parquet"))
            if len(parts) >= 2:
                for p in parts:
                    t = pq.read_table(p).to_pandas()
                    before[p] = t["track_id"].tolist()
                    killed.append(t["worker"][0])
                os.killpg(procs[names[killed[0]]].pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_after_two_parts)
    killer.start()
    features, info = scale.run(table, out_dir=out, scheduler=address, batch_size=2,
                               embedder="slow_embedder:embed", show_progress=False, return_info=True)
    killer.join()
    assert before, f"no part was written before the kill: {info}"
    victim = procs[names[killed[0]]]
    assert victim.poll() is not None, "the worker was not killed"
    # no finished track lost: every part written before the kill is there, unchanged
    for p, ids in before.items():
        assert p.exists() and pq.read_table(p).to_pandas()["track_id"].tolist() == ids
    # the scheduler moved the killed worker's batch to the other one (or a re-run finishes)
    rerun, info2 = scale.run(table, out_dir=out, scheduler=address, batch_size=2,
                             show_progress=False, return_info=True)
    assert sorted(rerun["track_id"]) == sorted(table["track_id"])
    assert info2["n_done_before"] + info2["n_tracks"] == N_TRACKS
    assert rerun["track_id"].is_unique
    # the dead worker's finished tracks are in the table, and the survivor did the rest
    assert (rerun["worker"] == killed[0]).sum() >= len(next(iter(before.values())))
    assert rerun["worker"].nunique() == 2


def test_chapter14_checkpoint_as_embedder(cat, tmp_path):
    metric = pytest.importorskip("mirbook.metric")
    if not hasattr(metric, "embedding_model"):
        pytest.skip("mirbook.metric has no embedding_model")
    from mirbook.train import save_checkpoint

    path = tmp_path / "metric.pt"
    save_checkpoint(path, metric.embedding_model(dim=32))
    _, table = cat
    batch = {"corpus": "synth", "track_ids": ["x"], "paths": [table["path"].iloc[0]]}
    s = scale.process_batch(batch, out_dir=tmp_path, embedder=str(path))
    got = pq.read_table(s["part"]).to_pandas()
    assert s["n_errors"] == 0 and len(got["embedding"][0]) == 32
    assert np.isclose(np.linalg.norm(got["embedding"][0]), 1.0, atol=1e-5)


def test_a_local_cluster_leaves_this_process_environment_alone():
    # Dask's nannies write OMP/MKL/OPENBLAS_NUM_THREADS=1 into the starting process: every
    # kernel started from it afterwards would have had one BLAS thread
    before = dict(os.environ)
    client = scale.start_client(n_workers=1)
    try:
        assert client.run(lambda: os.environ.get("OPENBLAS_NUM_THREADS")) != {}
    finally:
        client.close()
    assert dict(os.environ) == before
