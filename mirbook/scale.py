"""MIR at catalogue scale: a restartable Dask pipeline to Parquet, a faiss index, duplicates.

Chapter 16 (``notebooks/16_catalog_scale.ipynb``). The pipeline is the one a streaming service
runs on every track it receives:

1. **decode** (:func:`mirbook.io.load_audio`), then per track (:func:`track_row`) the duration,
   the loudness (:func:`loudness_db`), a silence flag, chapter 2's lossy-encoding score
   (:func:`train_lossy_detector`, :mod:`mirbook.lossy_detection`) and an **embedding** (a
   pluggable callable, :func:`resolve_embedder`; the default, :func:`logmel_embedding`, is a
   deterministic summary of the log-mel spectrogram and chroma that needs no training);
2. **Parquet** (pyarrow): one part file per batch of tracks, partitioned by corpus
   (``features/corpus=<name>/part-<hash>.parquet``), written to a temporary name and renamed,
   so that a part is either whole or absent;
3. on **Dask distributed** (:func:`run`): a ``LocalCluster`` by default (2 worker processes),
   or any scheduler address (``python -m mirbook scale run --scheduler tcp://HOST:8786``).
   A re-run skips the tracks whose part is written; a worker killed mid-run loses at most the
   batch it held (the scheduler gives it to another worker); an unreadable file becomes a row
   with its error, never a failed run;
4. a **faiss** index over the embeddings (:func:`mirbook.catalog.build_index`: exact, IVF,
   HNSW, IVF-PQ) for "more like this" (:func:`mirbook.catalog.search`), near-duplicate
   detection (:func:`mirbook.catalog.find_duplicates`) and a catalogue-cleaning report
   (:func:`mirbook.catalog.cleaning_report`);
5. on paper: what the measured throughput means for 55 million tracks (:func:`scale_estimate`).

The catalogue itself (the offline corpus plus seeded variants) and the queries over the
finished feature table are :mod:`mirbook.catalog`.

>>> schema().names[:3]
['track_id', 'path', 'status']
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import time
import warnings
from pathlib import Path

import numpy as np

from mirbook._validate import finite_real, positive_int
from mirbook.config import SR
from mirbook.errors import ParameterError

__all__ = ["EMBEDDING_DIM", "SILENCE_DB", "schema", "logmel_embedding", "resolve_embedder",
           "loudness_db", "train_lossy_detector", "track_row", "process_batch", "plan_batches",
           "done_tracks", "start_client", "run", "read_features", "scale_estimate", "main"]

#: Size of :func:`logmel_embedding`.
EMBEDDING_DIM = 128
#: Silence: a track whose loudness is below this (dB re full scale) is flagged silent.
SILENCE_DB = -70.0
_N_MELS = 64


def schema(*, dim=EMBEDDING_DIM):
    """The pyarrow schema of a feature part (one row per track).

    Parameters
    ----------
    dim : int
        Embedding size.

    Returns
    -------
    pyarrow.Schema
        ``track_id, path, status ("ok" / "error"), error, duration_s, sr, loudness_db,
        peak_db, silent, lossy_score, embedding (fixed-size list of float32), worker,
        seconds, cpu_seconds`` (the track's processing time, wall-clock and CPU of the
        worker process: on a shared machine the second is the cost, the first includes the
        wait for a core); the ``corpus`` partition column is added on reading.

    Examples
    --------
    >>> schema().field("embedding").type
    FixedSizeListType(fixed_size_list<item: float>[128])

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pyarrow as pa

    dim = positive_int(dim, "dim")
    return pa.schema([
        ("track_id", pa.string()), ("path", pa.string()), ("status", pa.string()),
        ("error", pa.string()), ("duration_s", pa.float64()), ("sr", pa.int32()),
        ("loudness_db", pa.float32()), ("peak_db", pa.float32()), ("silent", pa.bool_()),
        ("lossy_score", pa.float32()), ("embedding", pa.list_(pa.float32(), dim)),
        ("worker", pa.string()), ("seconds", pa.float32()), ("cpu_seconds", pa.float32()),
    ])


def logmel_embedding(y, *, sr=SR, n_mels=_N_MELS):
    """The default embedding: log-mel and chroma statistics, deterministic, no training.

    A cheap stand-in for a learned model (chapter 14), built to survive what a catalogue does
    to a track. The signal is scaled to peak 1 (so a gain change cancels); from its log-mel
    spectrogram (``n_mels`` bands, 2048-sample frames, hop 512, 80 dB range, silent frames
    dropped): per band the mean log-power minus the mean over bands (``n_mels`` values), the
    standard deviation over frames (averaged into 32 groups of bands), the mean frame-to-frame
    change (8 groups); and the mean and standard deviation of the 12 chroma bins (librosa's
    STFT chroma). Blocks are scaled by fixed constants and the vector L2-normalised, so the
    inner product is the cosine similarity. Trims and small tempo changes move frame
    statistics little; a small pitch shift moves the chroma block most. It knows nothing of
    what makes two *different* pieces similar beyond timbre and key: that is what a learned
    embedding is for.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        At least 2048 samples.
    sr : int
    n_mels : int
        Mel bands; the embedding has ``n_mels + 64`` entries (128 with the default 64).

    Returns
    -------
    e : np.ndarray, shape (n_mels + 64,), float32
        Unit norm (zeros for digital silence).

    Examples
    --------
    >>> import numpy as np
    >>> y = 0.1 * np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> e = logmel_embedding(y, sr=22050)
    >>> e.shape, round(float(np.linalg.norm(e)), 3)
    ((128,), 1.0)
    >>> bool(np.allclose(e, logmel_embedding(0.5 * y, sr=22050), atol=1e-3))   # gain-invariant
    True

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import librosa

    from mirbook.io import validate_audio

    y = validate_audio(y, sr=sr, name="logmel_embedding input", n_fft=2048)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y.mean(axis=0)
    peak = float(np.max(np.abs(y)))
    if peak < 1e-6:                                 # digital silence
        return np.zeros(n_mels + 64, np.float32)
    y = y / peak                                    # level-free from here on
    S = np.abs(librosa.stft(y, n_fft=2048, hop_length=512)) ** 2
    M = librosa.feature.melspectrogram(S=S, sr=sr, n_mels=n_mels)
    L = 10 * np.log10(M + 1e-10)
    L = np.maximum(L, L.max() - 80.0)
    active = L.max(axis=0) > L.max() - 60.0         # frames that are not silence
    L = L[:, active] if active.sum() >= 2 else L
    mean = L.mean(axis=1)
    mean = (mean - mean.mean()) / 20.0
    std = L.std(axis=1) / 10.0
    with warnings.catch_warnings():                 # unpitched audio: no tuning to estimate
        warnings.simplefilter("ignore", UserWarning)
        C = librosa.feature.chroma_stft(S=S[:, active] if active.sum() >= 2 else S, sr=sr)
    chroma = np.concatenate([C.mean(axis=1), C.std(axis=1)]) * 2
    flux = np.abs(np.diff(L, axis=1)) if L.shape[1] > 1 else np.zeros((n_mels, 1))
    flux = np.array([g.mean() for g in np.array_split(flux, 8)]) / 10.0
    std = np.array([g.mean() for g in np.array_split(std, 32)])
    e = np.concatenate([mean, std, chroma, flux]).astype(np.float32)
    return e / max(float(np.linalg.norm(e)), 1e-12)


@functools.lru_cache(maxsize=8)
def resolve_embedder(name="logmel"):
    """The embedding function a name stands for: ``f(y, sr=...) -> (d,) float32``.

    Parameters
    ----------
    name : str
        ``"logmel"`` (:func:`logmel_embedding`, the default); ``"module:function"``, any
        importable callable with that signature (e.g. a learned model's wrapper); or a path to
        a checkpoint of chapter 14's metric-learning model (``*.pt``, written by
        :func:`mirbook.train.save_checkpoint`), embedded with ``mirbook.metric.embed``
        (32-d, unit norm).

    Returns
    -------
    embed : callable
        Resolved once per process (cached): workers load a model once, not per track.

    Raises
    ------
    ParameterError
        An unknown name, an import that fails, or a checkpoint that does not exist.

    Examples
    --------
    >>> resolve_embedder("logmel") is logmel_embedding
    True
    >>> resolve_embedder("numpy:fft.rfft").__name__
    'rfft'

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import importlib

    if not isinstance(name, str) or not name:
        raise ParameterError(f"embedder={name!r}: expected 'logmel', 'module:function' or a "
                             "checkpoint path")
    if name == "logmel":
        return logmel_embedding
    if name.endswith((".pt", ".pth", ".ckpt")):
        if not Path(name).is_file():
            raise ParameterError(f"embedder={name!r}: no such checkpoint")
        try:
            metric = importlib.import_module("mirbook.metric")
        except ImportError as exc:
            raise ParameterError(f"embedder={name!r}: mirbook.metric is not available") from exc
        return _checkpoint_embedder(metric, name)
    module, _, attr = name.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ParameterError(f"embedder={name!r}: cannot import it ({exc})") from None
    if not callable(obj):
        raise ParameterError(f"embedder={name!r}: not callable")
    return obj


def _checkpoint_embedder(metric, path):
    """Wrap chapter 14's model (a ``mirbook.train`` checkpoint, ``mirbook.metric.embed``)."""
    from mirbook.train import load_checkpoint

    model = load_checkpoint(path)
    model.eval()

    def embed(y, *, sr=SR):
        e = np.asarray(metric.embed(y, sr=sr, model=model), dtype=np.float32).reshape(-1)
        return e / max(float(np.linalg.norm(e)), 1e-12)

    return embed


def loudness_db(y, *, sr=SR, block=0.4):
    """Gated loudness in dB re full scale, in the manner of ITU-R BS.1770 without K-weighting.

    Mean power of 400 ms blocks (75 % overlap), the blocks below -70 dB discarded (absolute
    gate), then those more than 10 dB below the mean of the rest (relative gate). It is close
    to LUFS on broadband music, and not a certified meter.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
    sr : int
    block : float
        Block length in seconds.

    Returns
    -------
    float
        ``-inf`` for digital silence; below :data:`SILENCE_DB` the pipeline flags the track.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(22050) / 22050
    >>> round(loudness_db(np.sin(2 * np.pi * 440 * t), sr=22050), 1)     # a full-scale sine
    -3.0

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        y = y.mean(axis=0)
    block = finite_real(block, "block", low=0.01)
    n = max(1, int(block * sr))
    hop = max(1, n // 4)
    if y.size <= n:
        powers = np.array([np.mean(y ** 2)]) if y.size else np.array([0.0])
    else:
        c = np.concatenate([[0.0], np.cumsum(y ** 2)])
        starts = np.arange(0, y.size - n + 1, hop)
        powers = (c[starts + n] - c[starts]) / n
    db = 10 * np.log10(powers + 1e-20)
    keep = db > -70.0
    if not keep.any():
        return float("-inf") if not np.any(y) else float(10 * np.log10(powers.mean() + 1e-20))
    gated = powers[keep]
    rel = 10 * np.log10(gated.mean()) - 10.0
    gated = gated[10 * np.log10(gated) > rel]
    return float(10 * np.log10(gated.mean()))


def train_lossy_detector(signals, *, sr=SR, conditions=None, n_estimators=100, random_state=0):
    """Chapter 2's lossy-encoding detector, fitted on a few clean clips for the pipeline.

    Builds the labelled set with :func:`mirbook.lossy_detection.detection_set` (each clip
    under lossless and lossy conditions) and fits
    :func:`mirbook.lossy_detection.train_detector`. The pipeline calls ``predict_proba`` on the
    features of each track (``lossy_score``).

    Parameters
    ----------
    signals : list of np.ndarray, each shape (n,)
        Clean (never compressed) clips.
    sr : int
    conditions : list of str, optional
        Default ``original, resample@48000, mp3@32, mp3@96, vorbis@q0.3, opus@48``.
    n_estimators : int
    random_state : int

    Returns
    -------
    model : sklearn.pipeline.Pipeline

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> clips = [0.1 * rng.standard_normal(22050).astype(np.float32) for _ in range(2)]
    >>> model = train_lossy_detector(clips, sr=22050, conditions=["original", "mp3@32"],
    ...                              n_estimators=5)
    >>> model.predict_proba(np.zeros((1, 114))).shape
    (1, 2)

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    from mirbook import lossy_detection as LD

    if conditions is None:
        conditions = ["original", "resample@48000", "mp3@32", "mp3@96", "vorbis@q0.3",
                      "opus@48"]
    if len(signals) == 0:
        raise ParameterError("signals: no clips to train the detector on")
    X = LD.detection_set(list(signals), sr=sr, conditions=list(conditions), n_jobs=1)
    return LD.train_detector(X, conditions=list(conditions), n_estimators=n_estimators,
                             random_state=random_state)


def _worker_name():
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid:{os.getpid()}"


def track_row(path, *, track_id=None, sr=SR, embedder="logmel", detector=None):
    """Decode one file and describe it: one row of the feature table.

    Never raises for a bad file: an unreadable one (:class:`mirbook.errors.AudioFileError`, or
    any decoder error) gives ``status="error"`` and the message, which names the file.

    Parameters
    ----------
    path : str or os.PathLike
    track_id : str, optional
        Default: the path.
    sr : int
        Decoding rate.
    embedder : str or callable
        See :func:`resolve_embedder`.
    detector : sklearn estimator, optional
        Chapter 2's detector (:func:`train_lossy_detector`); None leaves ``lossy_score`` null.

    Returns
    -------
    row : dict
        The fields of :func:`schema`.

    Examples
    --------
    >>> row = track_row("/nonexistent.flac")
    >>> row["status"], "/nonexistent.flac" in row["error"]
    ('error', True)

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    from mirbook.io import load_audio

    t0, c0 = time.perf_counter(), time.process_time()
    row = dict(track_id=str(track_id if track_id is not None else path), path=str(path),
               status="ok", error=None, duration_s=None, sr=int(sr), loudness_db=None,
               peak_db=None, silent=None, lossy_score=None, embedding=None,
               worker=_worker_name(), seconds=None, cpu_seconds=None)
    try:
        y, file_sr = load_audio(path, sr=sr, n_fft=2048)
        row["duration_s"] = y.size / file_sr
        lo = loudness_db(y, sr=file_sr)
        row["loudness_db"] = max(lo, -200.0)
        peak = float(np.max(np.abs(y)))
        row["peak_db"] = float(20 * np.log10(max(peak, 1e-10)))
        row["silent"] = bool(lo < SILENCE_DB)
        if row["silent"]:                         # nothing to embed or to judge
            row["seconds"] = time.perf_counter() - t0
            row["cpu_seconds"] = time.process_time() - c0
            return row
        embed = resolve_embedder(embedder) if isinstance(embedder, str) else embedder
        row["embedding"] = np.asarray(embed(y, sr=file_sr), dtype=np.float32).tolist()
        if detector is not None:
            from mirbook.lossy_detection import detection_features

            f = detection_features(y, sr=file_sr)[None]
            row["lossy_score"] = float(detector.predict_proba(f)[0, 1])
    except Exception as exc:  # noqa: BLE001 - a bad file is a row, not a failed run
        row.update(status="error", embedding=None, silent=None, lossy_score=None,
                   error=f"{path}: {type(exc).__name__}: {exc}".splitlines()[0][:500])
    row["seconds"] = time.perf_counter() - t0
    row["cpu_seconds"] = time.process_time() - c0
    return row


def _part_name(track_ids):
    digest = hashlib.sha1("\n".join(sorted(track_ids)).encode()).hexdigest()[:16]
    return f"part-{digest}.parquet"


def _partition(corpus):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(corpus)) or "_"


def process_batch(batch, *, out_dir, sr=SR, embedder="logmel", detector=None, dim=None):
    """Process a batch of tracks and write its Parquet part atomically (runs on a worker).

    Parameters
    ----------
    batch : dict
        ``corpus`` (the partition), ``track_ids`` and ``paths`` (from :func:`plan_batches`).
    out_dir : str or os.PathLike
        The pipeline's folder; the part goes to ``out_dir/features/corpus=<corpus>/``.
    sr : int
    embedder : str or callable
    detector : sklearn estimator, optional
    dim : int, optional
        Embedding size (default: that of the first embedding, else 128).

    Returns
    -------
    summary : dict
        ``part`` (path), ``n_tracks``, ``n_errors``, ``audio_s`` (seconds decoded),
        ``compute_s`` and ``cpu_s`` (sums of the per-track wall and CPU times), ``reused`` (the part was already there:
        a task is idempotent, so a batch the scheduler runs twice is computed once).

    Examples
    --------
    >>> import tempfile
    >>> s = process_batch({"corpus": "x", "track_ids": ["a"], "paths": ["/nonexistent.wav"]},
    ...                   out_dir=tempfile.mkdtemp())
    >>> s["n_tracks"], s["n_errors"]
    (1, 1)

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mirbook.io import atomic_path

    folder = Path(out_dir) / "features" / f"corpus={_partition(batch['corpus'])}"
    part = folder / _part_name(batch["track_ids"])
    if part.is_file():
        # idempotent: the scheduler re-runs a task whose result died with its worker
        done = pq.read_table(part, columns=["status", "duration_s", "seconds"]).to_pandas()
        return dict(part=str(part), n_tracks=len(done), n_errors=int((done["status"] != "ok")
                                                                     .sum()),
                    audio_s=float(done["duration_s"].fillna(0).sum()), compute_s=0.0,
                    cpu_s=0.0, reused=True)
    rows = [track_row(p, track_id=t, sr=sr, embedder=embedder, detector=detector)
            for t, p in zip(batch["track_ids"], batch["paths"])]
    if dim is None:
        dim = next((len(r["embedding"]) for r in rows if r["embedding"] is not None),
                   EMBEDDING_DIM)
    table = pa.Table.from_pylist(rows, schema=schema(dim=dim))
    with atomic_path(part) as tmp:
        pq.write_table(table, tmp)
    return dict(part=str(part), n_tracks=len(rows),
                n_errors=sum(r["status"] == "error" for r in rows),
                audio_s=float(sum(r["duration_s"] or 0.0 for r in rows)),
                compute_s=float(sum(r["seconds"] for r in rows)),
                cpu_s=float(sum(r["cpu_seconds"] for r in rows)), reused=False)


def done_tracks(root):
    """The track ids already in a written part (what a re-run skips).

    Parameters
    ----------
    root : str or os.PathLike
        The pipeline's output folder (``out_dir`` of :func:`run`).

    Returns
    -------
    ids : set of str

    Examples
    --------
    >>> done_tracks("/nonexistent")
    set()

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pyarrow.parquet as pq

    folder = Path(root) / "features"
    ids = set()
    for part in folder.glob("corpus=*/part-*.parquet"):
        ids.update(pq.read_table(part, columns=["track_id"]).column(0).to_pylist())
    return ids


def plan_batches(table, *, batch_size=32, done=()):
    """Split the tracks still to do into batches, each within one corpus (partition).

    Parameters
    ----------
    table : pandas.DataFrame
        The catalogue: ``track_id``, ``path``, ``corpus``.
    batch_size : int
    done : collection of str
        Track ids to skip (:func:`done_tracks`).

    Returns
    -------
    batches : list of dict
        ``corpus``, ``track_ids``, ``paths``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"track_id": list("abc"), "path": list("abc"), "corpus": "x"})
    >>> [b["track_ids"] for b in plan_batches(t, batch_size=2, done={"a"})]
    [['b', 'c']]

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    batch_size = positive_int(batch_size, "batch_size")
    for col in ("track_id", "path", "corpus"):
        if col not in table.columns:
            raise ParameterError(f"table: no {col!r} column (see mirbook.catalog)")
    done = set(done)
    todo = table[~table["track_id"].isin(done)]
    batches = []
    for corpus, group in todo.groupby("corpus", sort=True):
        ids, paths = group["track_id"].tolist(), group["path"].tolist()
        for i in range(0, len(ids), batch_size):
            batches.append(dict(corpus=str(corpus), track_ids=ids[i:i + batch_size],
                                paths=paths[i:i + batch_size]))
    return batches


def start_client(*, scheduler=None, n_workers=2, threads_per_worker=1):
    """A Dask client: on a scheduler address, or on a new local cluster of processes.

    Parameters
    ----------
    scheduler : str, optional
        ``"tcp://HOST:8786"``; None starts a ``LocalCluster`` (processes, its HTTP server on
        a free port, quiet logs) that closes with the client.
    n_workers, threads_per_worker : int
        For the local cluster.

    Returns
    -------
    client : distributed.Client

    Examples
    --------
    >>> client = start_client(n_workers=1)                    # doctest: +SKIP
    >>> client.close()                                          # doctest: +SKIP

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import logging

    from distributed import Client

    if scheduler is not None:
        return Client(str(scheduler), timeout=30)
    n_workers = positive_int(n_workers, "n_workers")
    threads_per_worker = positive_int(threads_per_worker, "threads_per_worker")
    # A client that starts its own LocalCluster also closes it with itself. The scheduler's
    # HTTP server goes on a free port (":0"): with dashboard_address=None it still tries
    # 8787 and warns on stderr when another cluster holds it.
    # Dask's nannies set OMP/MKL/OPENBLAS_NUM_THREADS=1 (``distributed.nanny.pre-spawn-environ``)
    # in *this* process's environment before they spawn their workers: every process started
    # from here afterwards (a notebook kernel, a test's subprocess) would inherit one BLAS
    # thread. The workers keep the setting; this process gets its environment back.
    saved = dict(os.environ)
    try:
        return Client(n_workers=n_workers, threads_per_worker=threads_per_worker,
                      processes=True, dashboard_address=":0", silence_logs=logging.ERROR)
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)


def run(table, *, out_dir, scheduler=None, client=None, n_workers=2, batch_size=32, sr=SR,
        embedder="logmel", detector=None, show_progress=True, return_info=False):
    """Run the pipeline over a catalogue on Dask: every track not yet done, one part per batch.

    Parameters
    ----------
    table : pandas.DataFrame
        The catalogue (``track_id``, ``path``, ``corpus``; :mod:`mirbook.catalog`).
    out_dir : str or os.PathLike
        Where the parts go (``out_dir/features/``), shared by every worker (on a cluster: a
        shared or object-store path).
    scheduler : str, optional
        A scheduler address; None (and no ``client``): a local cluster of ``n_workers``.
    client : distributed.Client, optional
        Use this client (left open).
    n_workers : int
    batch_size : int
        Tracks per part file.
    sr : int
    embedder : str
        :func:`resolve_embedder` name (resolved on each worker, once).
    detector : sklearn estimator, optional
        Chapter 2's detector, shipped to the workers once.
    show_progress : bool
        A :func:`mirbook.utils.progress` bar, in tracks.
    return_info : bool
        Also return a dict: ``n_batches``, ``n_done_before`` (skipped), ``n_tracks``,
        ``n_errors``, ``failed_batches`` (batches lost, e.g. to a dying worker, with the
        error), ``audio_s``, ``compute_s`` and ``cpu_s`` (per-track wall and CPU seconds,
        summed), ``wall_s``, ``n_workers``.

    Returns
    -------
    features : pandas.DataFrame
        :func:`read_features` of ``out_dir`` (every track done so far, this run or before).

    Examples
    --------
    >>> features = run(catalogue, out_dir="/tmp/cat-out")    # doctest: +SKIP

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    from distributed import as_completed

    from mirbook.utils import progress

    t0 = time.perf_counter()
    done = done_tracks(out_dir)
    batches = plan_batches(table, batch_size=batch_size, done=done)
    info = dict(n_batches=len(batches), n_done_before=len(done & set(table["track_id"])),
                n_tracks=0, n_errors=0, failed_batches=[], audio_s=0.0, compute_s=0.0,
                cpu_s=0.0)
    own = client is None
    if batches:
        client = start_client(scheduler=scheduler, n_workers=n_workers) if own else client
        try:
            info["n_workers"] = len(client.scheduler_info().get("workers", {}))
            det = client.scatter(detector, broadcast=True) if detector is not None else None
            futures = [client.submit(process_batch, b, out_dir=str(out_dir), sr=sr,
                                     embedder=embedder, detector=det, pure=False,
                                     key=f"batch-{_part_name(b['track_ids'])[5:-8]}")
                       for b in batches]
            sizes = {f.key: len(b["track_ids"]) for f, b in zip(futures, batches)}
            bar = progress(total=sum(sizes.values()), desc="tracks", unit="track",
                           disable=not show_progress)
            for fut in as_completed(futures):
                try:
                    s = fut.result()
                except Exception as exc:  # noqa: BLE001 - a lost batch is reported, not fatal
                    info["failed_batches"].append((fut.key, f"{type(exc).__name__}: {exc}"))
                else:
                    fut.release()           # its part is on disk: nothing to keep in memory
                    info["n_tracks"] += s["n_tracks"]
                    info["n_errors"] += s["n_errors"]
                    info["audio_s"] += s["audio_s"]
                    info["compute_s"] += s["compute_s"]
                    info["cpu_s"] += s["cpu_s"]
                bar.update(sizes[fut.key])
            bar.close()
        finally:
            if own:
                client.close()
    info["wall_s"] = time.perf_counter() - t0
    features = read_features(out_dir)
    return (features, info) if return_info else features


def read_features(root):
    """Read every part of the feature table (pyarrow dataset, hive partitions).

    Parameters
    ----------
    root : str or os.PathLike
        The pipeline's output folder (``out_dir`` of :func:`run`).

    Returns
    -------
    features : pandas.DataFrame
        The columns of :func:`schema` plus ``corpus``, sorted by ``track_id``; ``embedding``
        holds arrays (None for errors). Empty (with those columns) before the first part.

    Examples
    --------
    >>> len(read_features("/nonexistent"))
    0

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pandas as pd
    import pyarrow.dataset as ds

    folder = Path(root) / "features"
    if not any(folder.glob("corpus=*/part-*.parquet")):
        return pd.DataFrame(columns=[*schema().names, "corpus"])
    data = ds.dataset(folder, format="parquet", partitioning="hive")
    df = data.to_table().to_pandas()
    df["corpus"] = df["corpus"].astype(str)
    return df.sort_values("track_id", ignore_index=True)


def scale_estimate(*, realtime_per_core, bytes_per_track, n_tracks=55_000_000,
                   daily_tracks=20_000, track_s=240.0, backfill_days=7.0, dim=128, pq_m=16,
                   hnsw_m=32, price_per_core_hour=0.05):
    """What measured throughput and storage mean for a whole catalogue, on paper.

    Parameters
    ----------
    realtime_per_core : float
        Audio seconds processed per second of one core (measured, :func:`run`).
    bytes_per_track : float
        Parquet bytes per track (measured; it does not grow with the track's length).
    n_tracks : int
        The catalogue to backfill (the seed: about 55 million).
    daily_tracks : int
        New tracks a day (the seed: 2,000 to 20,000).
    track_s : float
        Mean track length in seconds (4 minutes).
    backfill_days : float
        Wall-clock days allowed for the backfill.
    dim, pq_m, hnsw_m : int
        Embedding size, PQ bytes per vector, HNSW links per node.
    price_per_core_hour : float
        Price of one core-hour (a stated assumption, e.g. 0.05 for a cloud vCPU).

    Returns
    -------
    table : pandas.DataFrame
        ``quantity``, ``value``, ``unit``: core-hours and cores for the backfill and for the
        daily intake, their cost, flat / HNSW / IVF-PQ index memory, Parquet storage.

    Examples
    --------
    >>> t = scale_estimate(realtime_per_core=100.0, bytes_per_track=1000.0)
    >>> float(t.set_index("quantity").loc["backfill compute", "value"])
    36666.7

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pandas as pd

    rt = finite_real(realtime_per_core, "realtime_per_core", low=0.0, low_open=True)
    bpt = finite_real(bytes_per_track, "bytes_per_track", low=0.0)
    n = positive_int(n_tracks, "n_tracks")
    daily = positive_int(daily_tracks, "daily_tracks")
    days = finite_real(backfill_days, "backfill_days", low=0.0, low_open=True)
    price = finite_real(price_per_core_hour, "price_per_core_hour", low=0.0)
    core_h = n * track_s / rt / 3600
    daily_h = daily * track_s / rt / 3600
    gb = 1e9
    rows = [
        ("backfill compute", core_h, "core-hours"),
        (f"cores to backfill in {days:g} days", core_h / (24 * days), "cores"),
        ("backfill cost", core_h * price, f"at {price:g} per core-hour"),
        (f"daily intake ({daily:,} tracks)", daily_h, "core-hours per day"),
        ("cores to keep up", daily_h / 24, "cores (busy all day)"),
        ("daily cost", daily_h * price, f"at {price:g} per core-hour"),
        ("flat index (float32)", n * dim * 4 / gb, "GB"),
        (f"HNSW index (M={hnsw_m})", n * (dim * 4 + 2 * hnsw_m * 4) / gb, "GB"),
        (f"IVF-PQ index ({pq_m} B codes + 8 B ids)", n * (pq_m + 8) / gb, "GB"),
        ("Parquet features", n * bpt / gb, "GB"),
    ]
    t = pd.DataFrame(rows, columns=["quantity", "value", "unit"])
    t["value"] = t["value"].round(1)
    return t


def _cached_detector(out_dir, table, *, sr=SR, n_clips=12):
    """Chapter 2's detector for a run, trained once and kept in ``out_dir/detector.pkl``.

    Trained on the first ``n_clips`` originals of rendered (never compressed) corpora when the
    catalogue has them (chorales, piano, mood), else on its first originals.
    """
    import pickle

    from mirbook.io import atomic_path, load_audio

    path = Path(out_dir) / "detector.pkl"
    if path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    orig = table[table["variant"] == "original"] if "variant" in table else table
    rendered = orig[orig["corpus"].str.startswith(("chorales", "piano", "mood"))]
    pool = rendered if len(rendered) >= 2 else orig
    # round-robin over corpora, so that every kind of source is seen
    pool = pool.assign(_k=pool.groupby("corpus").cumcount()).sort_values(["_k", "corpus"])
    signals = []
    for p in pool["path"].tolist():
        try:
            y, _ = load_audio(p, sr=sr, duration=5.0, n_fft=4096)
        except Exception:  # noqa: BLE001 - skip a bad clip, train on the others
            continue
        signals.append(y)
        if len(signals) >= n_clips:
            break
    model = train_lossy_detector(signals, sr=sr)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        pickle.dump(model, fh)
    return model


def main(argv=None):
    """``python -m mirbook scale run``: the catalogue pipeline from the command line.

    ``run`` processes a catalogue (default: the whole offline corpus, every built corpus under
    :func:`mirbook.config.data_home`; ``--catalogue DIR`` a folder written by
    :func:`mirbook.catalog.make_catalogue`) into ``--out`` (default
    ``data_home()/scale/<name>``) on a local cluster of ``--workers`` processes or on
    ``--scheduler tcp://HOST:8786``, then prints a summary and the cleaning report's counts.
    Run it again to resume. ``catalogue`` writes a catalogue of ``--tracks`` tracks.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    status : int
        0 when every track was processed (bad files included, as rows with their error),
        1 when batches were lost (run again to finish them).

    Examples
    --------
    >>> main(["run", "--help"])                               # doctest: +SKIP
    """
    from mirbook import catalog
    from mirbook.config import data_home

    ap = argparse.ArgumentParser(prog="mirbook scale", description=main.__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the pipeline (resumes where it stopped)")
    r.add_argument("--catalogue", help="a make_catalogue folder (default: the offline corpus)")
    r.add_argument("--out", help="output folder (default data_home()/scale/<name>)")
    r.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://HOST:8786")
    r.add_argument("--workers", type=int, default=2, help="local cluster workers (default 2)")
    r.add_argument("--batch-size", type=int, default=32, help="tracks per Parquet part")
    r.add_argument("--embedder", default="logmel", help="'logmel', 'module:function' or a "
                   "checkpoint path")
    r.add_argument("--no-detector", action="store_true", help="skip the lossy detector")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    c = sub.add_parser("catalogue", help="write a catalogue of seeded variants")
    c.add_argument("out", help="folder to write")
    c.add_argument("--tracks", type=int, default=20_000)
    c.add_argument("--duration", type=float, default=3.0)
    c.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    if args.command == "catalogue":
        t = catalog.make_catalogue(catalog.corpus_tracks(), out_dir=args.out,
                                   n_tracks=args.tracks, duration=args.duration,
                                   n_jobs=args.jobs, n_corrupt=30, n_silent=20,
                                   show_progress=True)
        print(f"{len(t)} tracks in {args.out}")
        return 0
    if args.catalogue:
        table, name = catalog.read_catalogue(args.catalogue), Path(args.catalogue).name
    else:
        table, name = catalog.corpus_tracks(), "offline-corpus"
    if len(table) == 0:
        raise ParameterError("no tracks: build the corpus (python -m mirbook data build)")
    out = Path(args.out) if args.out else data_home() / "scale" / name
    out.mkdir(parents=True, exist_ok=True)
    detector = None if args.no_detector else _cached_detector(out, table)
    features, info = run(table, out_dir=out, scheduler=args.scheduler, n_workers=args.workers,
                         batch_size=args.batch_size, embedder=args.embedder,
                         detector=detector, show_progress=not args.quiet, return_info=True)
    report = catalog.cleaning_report(features)
    print(f"{len(features)} of {len(table)} tracks done ({info['n_done_before']} before this "
          f"run, {info['n_tracks']} now, {info['n_errors']} unreadable) in {out}")
    if info["n_tracks"]:
        print(f"wall {info['wall_s']:.1f} s, audio {info['audio_s'] / 3600:.2f} h, "
              f"{info['audio_s'] / info['wall_s']:.0f}x real time, "
              f"{info['audio_s'] / max(info['cpu_s'], 1e-9):.0f}x real time per core (CPU)")
    for issue, n in report["issue"].value_counts().items():
        print(f"  {issue}: {n}")
    for key, err in info["failed_batches"]:
        print(f"  lost {key}: {err} (run again to finish it)")
    return 1 if info["failed_batches"] else 0
