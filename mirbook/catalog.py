"""A music catalogue and the queries over it: seeded variants, a faiss index, duplicates, cleaning.

A real catalogue holds the same recording many times over -- re-released, transcoded from an
MP3, trimmed, re-levelled, sped up by a radio edit -- and some files that are broken or silent.
:func:`make_catalogue` builds one from source files: an excerpt of each source (the
"original"), seeded variants of it (:data:`VARIANTS`), and a few corrupt and silent files,
with the truth (which track is a version of which source) in a table saved beside the audio
(``catalogue.parquet``). :func:`corpus_tracks` lists the audio files of the built corpora under
:func:`mirbook.config.data_home` (reading folders, not :mod:`mirbook.datasets`, which the
library never imports).

Once :func:`mirbook.scale.run` has turned the catalogue into a feature table, the queries:
:func:`build_index` (faiss: exact, IVF, HNSW, IVF-PQ over unit-norm embeddings, inner
product = cosine), :func:`search` ("more like this"), :func:`recall_at_k` and
:func:`index_bytes` (what an approximate index costs and loses), :func:`find_duplicates` and
:func:`evaluate_duplicates` (near-duplicates against the catalogue's truth) and
:func:`cleaning_report` (broken, silent, suspected-lossy and duplicate tracks).

Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.

>>> VARIANTS[:3]
('mp3@64>flac', 'mp3@128', 'trim')
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mirbook._validate import finite_real, nonneg_int, one_of, positive_int
from mirbook._validate import random_state as _rs
from mirbook.config import SR, data_home
from mirbook.errors import ParameterError

__all__ = ["VARIANTS", "AUDIO_EXTENSIONS", "CORPORA", "INDEX_KINDS", "LOSSY_THRESHOLD",
           "corpus_tracks", "make_variant", "make_catalogue", "read_catalogue", "build_index",
           "search", "recall_at_k", "index_bytes", "embedding_matrix", "find_duplicates",
           "evaluate_duplicates", "cleaning_report"]

#: Variant kinds of :func:`make_variant`, in the order :func:`make_catalogue` cycles them.
VARIANTS = ("mp3@64>flac", "mp3@128", "trim", "gain", "pitch", "tempo", "vorbis@q0.2>flac")
#: Extensions :func:`corpus_tracks` takes for audio.
AUDIO_EXTENSIONS = (".flac", ".wav", ".ogg", ".mp3", ".opus")
#: The built corpora of the offline corpus (folders of ``data_home()`` with a manifest).
CORPORA = ("chorales", "mood", "piano", "speech_music", "styles")
#: faiss index kinds of :func:`build_index`.
INDEX_KINDS = ("flat", "ivf", "hnsw", "ivfpq")
#: ``lossy_score`` from which :func:`cleaning_report` calls a lossless file a suspected transcode.
LOSSY_THRESHOLD = 0.6


def corpus_tracks(root=None, *, corpora=CORPORA):
    """The audio files of the built offline corpora, as a catalogue table.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The cache folder (default :func:`mirbook.config.data_home`).
    corpora : sequence of str
        Sub-folders to list (each must hold a ``manifest.json``, i.e. be built); missing
        ones are skipped. ``"speech_music-tiny"`` and the like work too.

    Returns
    -------
    table : pandas.DataFrame
        One row per file, sorted: ``track_id`` (``corpus/relative path``), ``path``,
        ``corpus``, ``source`` (= ``track_id``: every file is its own source) and
        ``variant`` (``"original"``).

    Examples
    --------
    >>> t = corpus_tracks(corpora=["speech_music-tiny"])      # doctest: +SKIP
    >>> list(t.columns)                                         # doctest: +SKIP
    ['track_id', 'path', 'corpus', 'source', 'variant']

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pandas as pd

    root = Path(root) if root is not None else data_home()
    rows = []
    for corpus in corpora:
        folder = root / corpus
        if not (folder / "manifest.json").is_file():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in AUDIO_EXTENSIONS and path.is_file():
                tid = f"{corpus}/{path.relative_to(folder).as_posix()}"
                rows.append(dict(track_id=tid, path=str(path), corpus=corpus, source=tid,
                                 variant="original"))
    return pd.DataFrame(rows, columns=["track_id", "path", "corpus", "source", "variant"])


def make_variant(y, *, sr=SR, kind, random_state=None):
    """One seeded version of a track, as a catalogue receives them.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        The original (mono, float in [-1, 1]).
    sr : int
    kind : str
        One of :data:`VARIANTS`: ``"mp3@64>flac"`` / ``"vorbis@q0.2>flac"`` (encoded, decoded,
        stored losslessly: a *transcoded* file), ``"mp3@128"`` (stored as an MP3 file),
        ``"trim"`` (5-20 % cut at each end), ``"gain"`` (-9 to +4 dB, then limited to the
        peak 0.99), ``"pitch"`` (+-0.2 to 0.4 semitone), ``"tempo"`` (rate 0.94-0.98 or
        1.02-1.06).
    random_state : None, int or np.random.Generator

    Returns
    -------
    z : np.ndarray, shape (m,), float32
    info : dict
        ``kind``, the drawn ``parameter`` and ``extension`` (``".flac"`` or ``".mp3"``).

    Examples
    --------
    >>> import numpy as np
    >>> y = 0.1 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> z, info = make_variant(y, sr=22050, kind="trim", random_state=0)
    >>> z.size < y.size, info["extension"]
    (True, '.flac')

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import librosa

    from mirbook.lossy_detection import apply_condition

    one_of(kind, "kind", VARIANTS)
    rng = _rs(random_state)
    y = np.asarray(y, dtype=np.float32)
    ext, param = ".flac", None
    if kind.endswith(">flac"):
        z = apply_condition(y, sr=sr, condition=kind)
        param = kind
    elif kind == "mp3@128":
        z, ext, param = y, ".mp3", 128
    elif kind == "trim":
        a, b = rng.uniform(0.05, 0.2, size=2)
        z = y[int(a * y.size): y.size - int(b * y.size)]
        param = round(float(a + b), 3)
    elif kind == "gain":
        param = round(float(rng.uniform(-9.0, 4.0)), 2)
        z = y * 10 ** (param / 20)
        peak = float(np.max(np.abs(z))) if z.size else 0.0
        if peak > 0.99:
            z = z * (0.99 / peak)
    elif kind == "pitch":
        param = round(float(rng.choice([-1, 1]) * rng.uniform(0.2, 0.4)), 3)
        z = librosa.effects.pitch_shift(y, sr=sr, n_steps=param)
    else:
        param = round(float(1 + rng.choice([-1, 1]) * rng.uniform(0.02, 0.06)), 3)
        z = librosa.effects.time_stretch(y, rate=param)
    return np.clip(z, -1, 1).astype(np.float32), {"kind": kind, "parameter": param,
                                                  "extension": ext}


def _write(path, z, sr, ext):
    from mirbook.codecs import encode
    from mirbook.io import atomic_path, save_audio

    if ext == ".mp3":
        data = encode(z, sr=sr, codec="mp3", bitrate=128)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    else:
        save_audio(path, z, sr=sr)


def _broken(path, kind, rng, sr):
    """Write a corrupt file: a truncated FLAC, random bytes, or an empty file."""
    from mirbook.codecs import encode

    if kind == "truncated":
        data = encode(0.1 * rng.standard_normal(sr).astype(np.float32), sr=sr, codec="flac")
        data = data[: len(data) // 3]
    elif kind == "garbage":
        data = rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes()
    else:
        data = b""
    Path(path).write_bytes(data)


def _source_label(job):
    return job[0]["path"]


def _one_source(job):
    """Original and variants of one source (runs in a worker process)."""
    from mirbook.io import load_audio

    src, out_dir, duration, sr, kinds, seed = job
    rng = np.random.default_rng(seed)
    y, _ = load_audio(src["path"], sr=sr, duration=duration)
    stem = f"s{seed:06d}"
    folder = Path(out_dir) / "audio" / f"{seed // 1000:03d}"
    rows = []
    jobs = [("original", None)] + [(k, i) for i, k in enumerate(kinds)]
    for kind, i in jobs:
        if kind == "original":
            z, info = y, {"parameter": None, "extension": ".flac"}
        else:
            z, info = make_variant(y, sr=sr, kind=kind, random_state=rng)
        name = f"{stem}-{'orig' if i is None else f'v{i:02d}'}{info['extension']}"
        path = folder / name
        if not path.exists():
            _write(path, z, sr, info["extension"])
        rows.append(dict(track_id=f"{stem}/{name}", path=str(path), corpus=src["corpus"],
                         source=src["track_id"], variant=kind,
                         parameter=None if info["parameter"] is None else str(info["parameter"]),
                         lossy=kind.startswith(("mp3", "vorbis"))))
    return rows


def make_catalogue(tracks, *, out_dir, n_tracks=None, variants_per_track=3, duration=5.0,
                   sr=SR, n_corrupt=3, n_silent=2, n_jobs=1, random_state=0,
                   show_progress=False):
    """Write a catalogue: excerpts of source tracks, seeded variants, corrupt and silent files.

    Each source contributes its first ``duration`` seconds (the ``"original"``, FLAC) and
    ``variants_per_track`` variants cycling through :data:`VARIANTS` (from a per-source
    offset, so every kind is used); then ``n_corrupt`` unreadable files (a truncated FLAC,
    random bytes, an empty file, cycling) and ``n_silent`` silent ones (digital silence, and
    noise 90 dB down). Files already there are kept (a re-run resumes). The table goes to
    ``out_dir/catalogue.parquet``, written atomically.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Sources, with ``track_id``, ``path`` and ``corpus`` (:func:`corpus_tracks`).
    out_dir : str or os.PathLike
    n_tracks : int, optional
        Aim for this many tracks in all: ``variants_per_track`` becomes
        ``ceil(n_tracks / n_sources) - 1`` (the sources are not repeated).
    variants_per_track : int
    duration : float
        Seconds per excerpt.
    sr : int
    n_corrupt, n_silent : int
    n_jobs : int
        Processes (:func:`mirbook.utils.parallel_map`).
    random_state : int
        Seed of the sources' order and of every variant (source ``i`` uses ``seed + i``).
    show_progress : bool

    Returns
    -------
    table : pandas.DataFrame
        ``track_id, path, corpus, source, variant, parameter, lossy`` (the truth: ``source`` is
        the original's id, ``lossy`` whether a lossy codec made the audio; ``None`` for broken
        and silent files' ``source``).

    Examples
    --------
    >>> import tempfile
    >>> src = corpus_tracks(corpora=["speech_music-tiny"]).head(2)  # doctest: +SKIP
    >>> cat = make_catalogue(src, out_dir=tempfile.mkdtemp(), variants_per_track=1,
    ...                      n_corrupt=1, n_silent=1)            # doctest: +SKIP
    >>> len(cat), sorted(set(cat["variant"]))[:2]                # doctest: +SKIP
    (6, ['corrupt:truncated', 'mp3@64>flac'])

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pandas as pd

    from mirbook.io import atomic_path, save_audio
    from mirbook.utils import parallel_map

    if len(tracks) == 0:
        raise ParameterError("tracks: no source tracks (is the corpus built?)")
    seed = nonneg_int(random_state, "random_state")
    duration = finite_real(duration, "duration", low=0.5)
    n_corrupt = nonneg_int(n_corrupt, "n_corrupt")
    n_silent = nonneg_int(n_silent, "n_silent")
    if n_tracks is not None:
        n_tracks = positive_int(n_tracks, "n_tracks")
        variants_per_track = max(0, -(-n_tracks // len(tracks)) - 1)
    variants_per_track = nonneg_int(variants_per_track, "variants_per_track")
    out_dir = Path(out_dir)
    order = np.random.default_rng(seed).permutation(len(tracks))
    src = tracks.iloc[order].to_dict("records")
    jobs = []
    for i, s in enumerate(src):
        kinds = tuple(VARIANTS[(i + j) % len(VARIANTS)] for j in range(variants_per_track))
        jobs.append((s, str(out_dir), duration, sr, kinds, seed + i))
    results = parallel_map(jobs, func=_one_source, n_jobs=n_jobs, label=_source_label,
                           desc="catalogue" if show_progress else None)
    rows = [r for rs in results for r in rs]
    rng = np.random.default_rng(seed + 10 ** 6)
    bad = Path(out_dir) / "audio" / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    for i in range(n_corrupt):
        kind = ("truncated", "garbage", "empty")[i % 3]
        path = bad / f"corrupt-{i:03d}.flac"
        _broken(path, kind, rng, sr)
        rows.append(dict(track_id=f"bad/{path.name}", path=str(path), corpus="bad",
                         source=None, variant=f"corrupt:{kind}", parameter=None, lossy=False))
    for i in range(n_silent):
        path = bad / f"silent-{i:03d}.flac"
        n = int(duration * sr)
        z = np.zeros(n) if i % 2 == 0 else 10 ** (-90 / 20) * rng.standard_normal(n)
        save_audio(path, z.astype(np.float32), sr=sr)
        rows.append(dict(track_id=f"bad/{path.name}", path=str(path), corpus="bad",
                         source=None, variant="silent", parameter=None, lossy=False))
    table = pd.DataFrame(rows)
    with atomic_path(out_dir / "catalogue.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    return table


def read_catalogue(path):
    """Read the table :func:`make_catalogue` saved (a folder or its ``catalogue.parquet``).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    table : pandas.DataFrame

    Examples
    --------
    >>> read_catalogue("/nonexistent")                        # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ParameterError: path='/nonexistent': no catalogue.parquet there (make_catalogue writes one)

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pandas as pd

    p = Path(path)
    if p.is_dir() or not p.suffix:
        p = p / "catalogue.parquet"
    if not p.is_file():
        raise ParameterError(f"path={os.fspath(path)!r}: no catalogue.parquet there "
                             "(make_catalogue writes one)")
    return pd.read_parquet(p)


def _matrix(E):
    E = np.ascontiguousarray(np.stack(list(E)) if not isinstance(E, np.ndarray) else E,
                             dtype=np.float32)
    if E.ndim != 2 or E.shape[0] == 0:
        raise ParameterError(f"E: expected a non-empty (n, d) matrix, got shape {E.shape}")
    if not np.isfinite(E).all():
        raise ParameterError("E: contains NaN or infinite values")
    return E


def build_index(E, *, kind="flat", nlist=None, m=16, hnsw_m=32, nprobe=16, ef_search=64,
                random_state=0):
    """A faiss index over unit-norm embeddings, searched by inner product (= cosine).

    Parameters
    ----------
    E : np.ndarray, shape (n, d)
    kind : {"flat", "ivf", "hnsw", "ivfpq"}
        ``flat``: exact (``IndexFlatIP``); ``ivf``: ``nlist`` k-means cells, ``nprobe``
        visited per query; ``hnsw``: a graph of ``hnsw_m`` links per node, ``ef_search``
        candidates; ``ivfpq``: IVF with vectors product-quantized to ``m`` bytes (8 bits per
        sub-vector, fewer when ``n < 256 * 39``; ``d`` must divide by ``m``).
    nlist : int, optional
        Default ``4 * sqrt(n)`` (at least 1, at most n / 39 so k-means has data).
    m, hnsw_m, nprobe, ef_search : int
    random_state : int
        Seed of faiss's k-means.

    Returns
    -------
    index : faiss.Index
        Trained, holding ``E`` in its row order.

    Examples
    --------
    >>> import numpy as np
    >>> E = np.eye(4, dtype=np.float32)
    >>> index = build_index(E)
    >>> index.ntotal, search(index, E[:1], k=1)[1].tolist()
    (4, [[0]])

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import faiss

    E = _matrix(E)
    one_of(kind, "kind", INDEX_KINDS)
    n, d = E.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, positive_int(hnsw_m, "hnsw_m"),
                                    faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = positive_int(ef_search, "ef_search")
    else:
        if nlist is None:
            nlist = int(min(max(1, 4 * np.sqrt(n)), max(1, n // 39)))
        nlist = positive_int(nlist, "nlist")
        quantizer = faiss.IndexFlatIP(d)
        if kind == "ivf":
            index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            m = positive_int(m, "m")
            if d % m:
                raise ParameterError(f"m={m}: must divide the embedding size {d}")
            # 8-bit codes need 256 * 39 training vectors; fewer bits below that
            nbits = int(np.clip(np.floor(np.log2(max(n, 2) / 39)), 1, 8))
            index = faiss.IndexIVFPQ(quantizer, d, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = int(random_state)
        index.train(E)
        index.nprobe = min(positive_int(nprobe, "nprobe"), nlist)
    index.add(E)
    return index


def search(index, Q, *, k=10):
    """The ``k`` nearest stored vectors of each query ("more like this").

    Parameters
    ----------
    index : faiss.Index
    Q : np.ndarray, shape (n_queries, d)
    k : int

    Returns
    -------
    similarities : np.ndarray, shape (n_queries, k), float32
    ids : np.ndarray, shape (n_queries, k), int64
        Row numbers of the indexed matrix (-1 where fewer than ``k`` were found).

    Examples
    --------
    >>> import numpy as np
    >>> index = build_index(np.eye(3, dtype=np.float32))
    >>> search(index, np.eye(3, dtype=np.float32)[[2]], k=2)[1].shape
    (1, 2)

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    Q = _matrix(Q)
    k = positive_int(k, "k")
    return index.search(Q, min(k, index.ntotal))


def recall_at_k(reference, estimate, *, k=10):
    """Share of the true ``k`` nearest neighbours an approximate search returns.

    Parameters
    ----------
    reference, estimate : np.ndarray, shape (n_queries, >= k)
        Ids from an exact and from an approximate :func:`search`.
    k : int

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> recall_at_k(np.array([[0, 1]]), np.array([[1, 5]]), k=2)
    0.5

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    k = positive_int(k, "k")
    a, b = np.asarray(reference)[:, :k], np.asarray(estimate)[:, :k]
    if a.shape != b.shape:
        raise ParameterError(f"estimate: shape {b.shape} after cutting to k, reference {a.shape}")
    hits = sum(len(set(x) & set(y) - {-1}) for x, y in zip(a.tolist(), b.tolist()))
    return hits / a.size


def index_bytes(index):
    """Size of a faiss index once serialised (what it costs in memory, about).

    Parameters
    ----------
    index : faiss.Index

    Returns
    -------
    int

    Examples
    --------
    >>> index_bytes(build_index(np.eye(4, dtype=np.float32))) > 4 * 4 * 4
    True

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import faiss

    return int(faiss.serialize_index(index).size)


def embedding_matrix(table):
    """The embeddings of the tracks that have one (readable, not silent), as a matrix.

    Parameters
    ----------
    table : pandas.DataFrame
        The feature table (:func:`mirbook.scale.read_features`).

    Returns
    -------
    E : np.ndarray, shape (n, d), float32
    rows : pandas.DataFrame
        The ``n`` rows of ``table`` they belong to, renumbered from 0 (row ``i`` of ``E``
        is row ``i`` of ``rows``).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"track_id": ["a", "b"], "embedding": [np.ones(2), None]})
    >>> E, rows = embedding_matrix(f)
    >>> E.shape, rows["track_id"].tolist()
    ((1, 2), ['a'])

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    has = table["embedding"].map(lambda e: e is not None and len(e) > 0)
    rows = table[has.astype(bool)].reset_index(drop=True)
    if len(rows) == 0:
        raise ParameterError("table: no track has an embedding")
    return np.stack([np.asarray(e, np.float32) for e in rows["embedding"]]), rows


def find_duplicates(E, *, threshold=0.9, k=10, index=None):
    """Pairs of tracks whose embeddings are closer than a threshold (near-duplicates).

    Every track queries its ``k`` nearest neighbours (exact search unless an ``index`` is
    given); a pair is kept once, ``i < j``, when its cosine similarity is at least
    ``threshold``.

    Parameters
    ----------
    E : np.ndarray, shape (n, d)
        Unit-norm embeddings (rows of the feature table, errors removed).
    threshold : float in [-1, 1]
    k : int
        Neighbours examined per track (a group larger than ``k + 1`` is only found in part).
    index : faiss.Index, optional
        Built over ``E`` (:func:`build_index`); default a flat one.

    Returns
    -------
    pairs : pandas.DataFrame
        ``i``, ``j`` (row numbers, ``i < j``), ``similarity``; sorted by decreasing similarity.

    Examples
    --------
    >>> import numpy as np
    >>> E = np.array([[1, 0], [0.999, 0.045], [0, 1]], dtype=np.float32)
    >>> find_duplicates(E, threshold=0.99, k=2)[["i", "j"]].values.tolist()
    [[0, 1]]

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pandas as pd

    E = _matrix(E)
    threshold = finite_real(threshold, "threshold", low=-1.0, high=1.0)
    k = positive_int(k, "k")
    index = build_index(E) if index is None else index
    sims, ids = search(index, E, k=min(k + 1, len(E)))
    rows = np.repeat(np.arange(len(E)), ids.shape[1])
    cols, s = ids.reshape(-1), sims.reshape(-1)
    keep = (cols >= 0) & (cols != rows) & (s >= threshold)
    i, j = np.minimum(rows, cols)[keep], np.maximum(rows, cols)[keep]
    pairs = pd.DataFrame({"i": i, "j": j, "similarity": s[keep]})
    pairs = pairs.drop_duplicates(["i", "j"])
    return pairs.sort_values(["similarity", "i", "j"], ascending=[False, True, True],
                             ignore_index=True)


def evaluate_duplicates(pairs, *, groups):
    """Precision and recall of detected duplicate pairs against the catalogue's truth.

    Parameters
    ----------
    pairs : pandas.DataFrame
        ``i``, ``j`` (from :func:`find_duplicates`).
    groups : sequence, length n
        Per track, the id of the recording it is a version of (``source`` in
        :mod:`mirbook.catalog`); None / NaN: a track with no known duplicate.

    Returns
    -------
    scores : dict
        ``precision`` (detected pairs that are versions of one recording), ``recall`` (share
        of all such pairs detected), ``f_measure``, ``n_detected``, ``n_true``.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"i": [0, 0], "j": [1, 2]})
    >>> s = evaluate_duplicates(pairs, groups=["a", "a", "b", "b"])
    >>> s["precision"], s["recall"]
    (0.5, 0.5)

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pandas as pd

    g = pd.Series(list(groups), dtype=object)
    known = g.notna()
    sizes = g[known].value_counts()
    n_true = int((sizes * (sizes - 1) // 2).sum())
    i, j = np.asarray(pairs["i"], dtype=int), np.asarray(pairs["j"], dtype=int)
    if i.size and (max(i.max(), j.max()) >= len(g) or min(i.min(), j.min()) < 0):
        raise ParameterError("pairs: row numbers outside groups")
    gi, gj = g.values[i], g.values[j]
    hit = np.array([a is not None and a == a and a == b for a, b in zip(gi, gj)], dtype=bool)
    tp = int(hit.sum())
    precision = tp / len(i) if len(i) else 0.0
    recall = tp / n_true if n_true else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(precision=precision, recall=recall, f_measure=f, n_detected=int(len(i)),
                n_true=n_true)


def cleaning_report(table, *, pairs=None, lossy_threshold=LOSSY_THRESHOLD,
                    lossless_extensions=(".flac", ".wav", ".aiff")):
    """The catalogue-cleaning report: broken, silent, suspected-lossy and duplicate tracks.

    Parameters
    ----------
    table : pandas.DataFrame
        The feature table (:func:`mirbook.scale.read_features`).
    pairs : pandas.DataFrame, optional
        Duplicate pairs (:func:`find_duplicates`) over the rows of :func:`embedding_matrix`.
    lossy_threshold : float
        ``lossy_score`` from which a file in a lossless container (``lossless_extensions``) is
        a *suspected lossy source* (a transcode); lossy containers (MP3...) are not flagged:
        they say what they are.
    lossless_extensions : tuple of str

    Returns
    -------
    report : pandas.DataFrame
        ``track_id``, ``issue`` (``"unreadable"``, ``"silent"``, ``"suspected lossy source"``,
        ``"duplicate"``) and ``detail`` (the error; the loudness; the score; the track it
        duplicates), one row per finding.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"track_id": ["a", "b"], "path": ["a.flac", "b.flac"],
    ...                   "status": ["error", "ok"], "error": ["a.flac: bad", None],
    ...                   "silent": [None, True], "loudness_db": [None, -99.0],
    ...                   "lossy_score": [None, None]})
    >>> cleaning_report(f)["issue"].tolist()
    ['unreadable', 'silent']

    Used in the chapter notebook ``notebooks/16_catalog_scale.ipynb``.
    """
    import pandas as pd

    lossy_threshold = finite_real(lossy_threshold, "lossy_threshold", low=0.0, high=1.0)
    rows = []
    for r in table.itertuples(index=False):
        if r.status != "ok":
            rows.append((r.track_id, "unreadable", r.error))
        elif r.silent:
            rows.append((r.track_id, "silent", f"loudness {r.loudness_db:.0f} dB"))
        elif (r.lossy_score is not None and r.lossy_score == r.lossy_score
              and r.lossy_score >= lossy_threshold
              and Path(r.path).suffix.lower() in lossless_extensions):
            rows.append((r.track_id, "suspected lossy source",
                         f"lossy score {r.lossy_score:.2f}"))
    if pairs is not None and len(pairs):
        ok = embedding_matrix(table)[1]["track_id"].tolist()
        for p in pairs.itertuples(index=False):
            rows.append((ok[int(p.j)], "duplicate",
                         f"of {ok[int(p.i)]} (similarity {p.similarity:.3f})"))
    return pd.DataFrame(rows, columns=["track_id", "issue", "detail"])
