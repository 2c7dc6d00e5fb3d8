"""Landmark audio fingerprinting: spectrogram peaks, peak pairs, hashes, offset histograms.

The code behind chapter 3 (``notebooks/03_task_map.ipynb``, the map of MIR tasks), where it is
the miniature of *similarity and retrieval*. The method is the one Wang (2003) published for
Shazam:

1. the **constellation map**: the local maxima of a log-magnitude spectrogram, thinned to a fixed
   density (``peaks_per_second``), since strong peaks survive compression, noise and equalisation;
2. **landmarks**: each peak (the *anchor*, at frame ``t1``, bin ``f1``) is paired with the next
   ``fan_out`` peaks of a target zone after it (frame ``t2``, bin ``f2``); the pair
   ``(f1, f2, t2 - t1)`` is packed into one integer *hash*, stored with the anchor time ``t1``;
3. an **index** maps each hash to the ``(track, time)`` where it occurs (here: three numpy arrays
   sorted by hash, searched with :func:`numpy.searchsorted`);
4. a **query** computes its own landmarks, looks them up, and, for each candidate track,
   histograms the offsets ``t_track - t_query`` of the matching hashes: a true match piles up in
   one offset bin, chance collisions spread over all of them. The score is the height of the
   tallest bin (plus its taller neighbour, since a query that does not start on the frame grid
   may fall between two bins).

Everything is deterministic (no randomness at all); ``tests/test_fingerprint.py`` checks that an
excerpt is found at the right offset, after MP3 coding and noise, and that a foreign clip is not.
As a task module (mir_eval style), :func:`validate` checks a batch of query answers against the
truth before any scoring and :func:`evaluate` gives the identification scores (hit rate, false
positives). Caller mistakes raise :class:`mirbook.errors.ParameterError` naming the argument;
bad audio raises :class:`mirbook.errors.AudioFileError` (from :func:`mirbook.io.validate_audio`).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from mirbook import _validate
from mirbook.config import SR
from mirbook.errors import ParameterError
from mirbook.io import resample, validate_audio

__all__ = ["FingerprintIndex", "DEFAULTS", "spectrogram", "find_peaks", "landmarks",
           "fingerprint", "build_index", "query", "validate", "evaluate",
           "excerpts", "degrade"]

#: Analysis settings (audio resampled to 11025 Hz; 1024-point frames, hop 256 = 23 ms).
DEFAULTS = dict(target_sr=11025, n_fft=1024, hop_length=256, neighborhood=(15, 11),
                peaks_per_second=30.0, fan_out=6, max_dt=48, max_df=128)

_F_BITS, _DT_BITS = 10, 8


def _check_params(params):
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ParameterError(f"{sorted(unknown)[0]}: unknown fingerprint parameter (expected "
                             f"some of {', '.join(DEFAULTS)})")
    return {**DEFAULTS, **params}


def spectrogram(y, *, sr, n_fft=None, hop_length=None, target_sr=None):
    """Log-magnitude spectrogram used for fingerprinting.

    The audio is resampled with :func:`mirbook.io.resample`. Used in the chapter notebook
    ``notebooks/03_task_map.ipynb``.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
        Audio (stereo is averaged to mono).
    sr : int
        Sample rate of ``y``; the audio is resampled to ``target_sr`` (default 11025 Hz).
    n_fft, hop_length : int, optional
        Defaults from :data:`DEFAULTS` (1024, 256).
    target_sr : int, optional

    Returns
    -------
    S_db : np.ndarray, shape (n_fft // 2 + 1, n_frames)
        ``20 log10(|STFT| + 1e-6)`` (no normalisation: peaks are picked relative to neighbours).

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050)
    >>> spectrogram(y, sr=22050).shape
    (513, 40)
    """
    n_fft = _validate.positive_int(DEFAULTS["n_fft"] if n_fft is None else n_fft, "n_fft")
    hop_length = _validate.positive_int(DEFAULTS["hop_length"] if hop_length is None
                                        else hop_length, "hop_length")
    target_sr = _validate.positive_int(DEFAULTS["target_sr"] if target_sr is None
                                       else target_sr, "target_sr")
    y = np.asarray(y)
    validate_audio(y, sr=sr, name="y")
    if y.ndim == 2:
        y = y.mean(axis=0)
    y = np.asarray(resample(y, orig_sr=sr, target_sr=target_sr), dtype=np.float64)
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    from mirbook.transforms import stft

    S = np.abs(stft(y, n_fft=n_fft, hop_length=hop_length, center=False))
    return 20 * np.log10(S + 1e-6)


def find_peaks(S_db, *, neighborhood=None, peaks_per_second=None, frames_per_second=None,
               floor_db=-60.0):
    """The constellation map: local maxima of a spectrogram, thinned to a fixed density.

    A bin is a peak when it equals the maximum of its ``neighborhood`` (bins x frames) and is no
    more than ``-floor_db`` dB below the spectrogram's maximum. Density control: in every block
    of one second, only the ``peaks_per_second`` strongest peaks are kept, so that loud and quiet
    passages are both represented. Used in the chapter notebook ``notebooks/03_task_map.ipynb``.

    Parameters
    ----------
    S_db : np.ndarray, shape (n_bins, n_frames)
        Log-magnitude spectrogram (:func:`spectrogram`).
    neighborhood : tuple of int, optional
        ``(n_bins, n_frames)`` of the maximum filter; default ``(15, 11)``.
    peaks_per_second : float, optional
        Default 30.
    frames_per_second : float, optional
        Default ``11025 / 256``.
    floor_db : float
        Peaks quieter than ``S_db.max() + floor_db`` are dropped (silence).

    Returns
    -------
    peaks : np.ndarray, shape (n_peaks, 2), int64
        ``(frame, bin)`` pairs sorted by frame, then bin.

    Examples
    --------
    >>> S = np.full((20, 30), -100.0); S[5, 10] = 0.0; S[12, 20] = -10.0
    >>> find_peaks(S).tolist()
    [[10, 5], [20, 12]]
    """
    from scipy.ndimage import maximum_filter

    S_db = _validate.real_array(S_db, "S_db", ndim=2).astype(np.float64)
    neighborhood = DEFAULTS["neighborhood"] if neighborhood is None else neighborhood
    if np.ndim(neighborhood) != 1 or len(neighborhood) != 2:
        raise ParameterError(f"neighborhood={neighborhood!r}: expected (n_bins, n_frames)")
    neighborhood = tuple(_validate.positive_int(n, "neighborhood") for n in neighborhood)
    pps = _validate.finite_real(DEFAULTS["peaks_per_second"] if peaks_per_second is None
                                else peaks_per_second, "peaks_per_second", low=0, low_open=True)
    fps = _validate.finite_real(DEFAULTS["target_sr"] / DEFAULTS["hop_length"]
                                if frames_per_second is None else frames_per_second,
                                "frames_per_second", low=0, low_open=True)
    floor_db = _validate.finite_real(floor_db, "floor_db")
    local_max = maximum_filter(S_db, size=neighborhood, mode="constant", cval=-np.inf)
    is_peak = (S_db == local_max) & (S_db > S_db.max() + floor_db)
    f, t = np.nonzero(is_peak)
    if t.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    block = int(max(1, round(fps)))
    per_block = max(1, int(round(pps * block / fps)))
    mag = S_db[f, t]
    # strongest first inside each block, then keep the first per_block of each block
    order = np.lexsort((-mag, t // block))
    blk = (t // block)[order]
    starts = np.searchsorted(blk, blk, side="left")
    keep = order[np.arange(order.size) - starts < per_block]
    peaks = np.stack([t[keep], f[keep]], axis=1).astype(np.int64)
    return peaks[np.lexsort((peaks[:, 1], peaks[:, 0]))]


def landmarks(peaks, *, fan_out=None, max_dt=None, max_df=None):
    """Pair each peak with the next peaks of its target zone and hash the pairs.

    Used in the chapter notebook ``notebooks/03_task_map.ipynb``.

    Parameters
    ----------
    peaks : np.ndarray, shape (n_peaks, 2)
        ``(frame, bin)`` sorted by frame (:func:`find_peaks`).
    fan_out : int, optional
        Pairs per anchor (default 6): the first ``fan_out`` peaks with ``1 <= dt <= max_dt``
        frames and ``|f2 - f1| <= max_df`` bins.
    max_dt, max_df : int, optional
        Target zone (defaults 48 frames, 128 bins). ``max_dt < 256`` and bins ``< 1024``.

    Returns
    -------
    hashes : np.ndarray, shape (n_landmarks,), int64
        ``f1 << 18 | f2 << 8 | dt``.
    times : np.ndarray, shape (n_landmarks,), int64
        Anchor frame of each hash.

    Examples
    --------
    >>> h, t = landmarks(np.array([[0, 10], [3, 12], [5, 300]]), max_df=100)
    >>> [(int(x) >> 18, (int(x) >> 8) & 1023, int(x) & 255) for x in h], t.tolist()
    ([(10, 12, 3)], [0])
    """
    fan_out = _validate.positive_int(DEFAULTS["fan_out"] if fan_out is None else fan_out,
                                     "fan_out")
    max_dt = _validate.positive_int(DEFAULTS["max_dt"] if max_dt is None else max_dt, "max_dt")
    max_df = _validate.nonneg_int(DEFAULTS["max_df"] if max_df is None else max_df, "max_df")
    if max_dt >= 2 ** _DT_BITS:
        raise ParameterError(f"max_dt={max_dt}: expected 1..{2 ** _DT_BITS - 1}")
    peaks = np.asarray(peaks)
    if peaks.size == 0:
        peaks = peaks.reshape(0, 2)
    if peaks.ndim != 2 or peaks.shape[1] != 2 or not np.issubdtype(peaks.dtype, np.integer):
        raise ParameterError(f"peaks: expected integer (frame, bin) pairs of shape (n_peaks, 2), "
                             f"got shape {peaks.shape}, dtype {peaks.dtype}")
    peaks = peaks.astype(np.int64)
    if peaks.size and peaks.min() < 0:
        raise ParameterError("peaks: negative frame or bin index")
    if peaks.size and peaks[:, 1].max() >= 2 ** _F_BITS:
        raise ParameterError(f"peaks: bin index >= {2 ** _F_BITS}; use a smaller n_fft")
    if np.any(np.diff(peaks[:, 0]) < 0):
        raise ParameterError("peaks: expected rows sorted by frame (as find_peaks returns them)")
    t, f = peaks[:, 0], peaks[:, 1]
    hashes, times = [], []
    n = len(t)
    count = np.zeros(n, dtype=np.int64)
    # look at successors k = 1, 2, ... until every anchor has its fan-out or the zone is passed
    for k in range(1, n):
        a = np.nonzero(count < fan_out)[0]
        a = a[a + k < n]
        if a.size == 0:
            break
        dt = t[a + k] - t[a]
        a, dt = a[dt <= max_dt], dt[dt <= max_dt]
        if a.size == 0:
            break
        df = f[a + k] - f[a]
        ok = (dt >= 1) & (np.abs(df) <= max_df)
        a, dt = a[ok], dt[ok]
        hashes.append((f[a] << (_F_BITS + _DT_BITS)) | (f[a + k] << _DT_BITS) | dt)
        times.append(t[a])
        count[a] += 1
    if not hashes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(hashes), np.concatenate(times)


def fingerprint(y, *, sr, **params):
    """Landmark hashes and anchor frames of a signal.

    Used in the chapter notebook ``notebooks/03_task_map.ipynb``.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
    sr : int
    **params
        Overrides of :data:`DEFAULTS` (``target_sr``, ``n_fft``, ``hop_length``, ``neighborhood``,
        ``peaks_per_second``, ``fan_out``, ``max_dt``, ``max_df``).

    Returns
    -------
    hashes, times : np.ndarray of int64, shape (n_landmarks,)
        As :func:`landmarks`; times in frames of ``hop_length / target_sr`` seconds.

    Raises
    ------
    ParameterError
        An unknown or invalid parameter.
    AudioFileError
        Unusable audio (empty, NaN...), from :func:`mirbook.io.validate_audio`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> hashes, times = fingerprint(rng.standard_normal(22050 * 2), sr=22050)
    >>> hashes.dtype.name, hashes.shape == times.shape, hashes.size > 100
    ('int64', True, True)
    """
    p = _check_params(params)
    S = spectrogram(y, sr=sr, n_fft=p["n_fft"], hop_length=p["hop_length"],
                    target_sr=p["target_sr"])
    peaks = find_peaks(S, neighborhood=p["neighborhood"], peaks_per_second=p["peaks_per_second"],
                       frames_per_second=p["target_sr"] / p["hop_length"])
    return landmarks(peaks, fan_out=p["fan_out"], max_dt=p["max_dt"], max_df=p["max_df"])


@dataclass
class FingerprintIndex:
    """Hash table of a collection: sorted arrays ``hashes``, ``track_index``, ``times``.

    ``names[track_index[i]]`` is the track of entry ``i``; ``times`` are anchor frames;
    ``params`` are the analysis settings (queries use the same). ``len(index)`` is the number of
    entries.
    """

    hashes: np.ndarray
    track_index: np.ndarray
    times: np.ndarray
    names: list
    params: dict = field(default_factory=lambda: dict(DEFAULTS))

    def __len__(self):
        return int(self.hashes.size)

    @property
    def seconds_per_frame(self):
        return self.params["hop_length"] / self.params["target_sr"]

    @property
    def nbytes(self):
        return int(self.hashes.nbytes + self.track_index.nbytes + self.times.nbytes)


def build_index(tracks, *, sr=SR, **params):
    """Fingerprint every track and store the hashes in one sorted index.

    Used in the chapter notebook ``notebooks/03_task_map.ipynb``.

    Parameters
    ----------
    tracks : dict or iterable of (name, y)
        Track identifiers and their audio (all at rate ``sr``).
    sr : int
        Default :data:`mirbook.config.SR` (22050 Hz).
    **params
        Overrides of :data:`DEFAULTS`.

    Returns
    -------
    index : FingerprintIndex

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> index = build_index({"noise": rng.standard_normal(22050 * 3)})
    >>> index.names, len(index) > 100
    (['noise'], True)
    """
    p = _check_params(params)
    items = _items(tracks)
    if not items:
        raise ParameterError("tracks: empty collection")
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ParameterError("tracks: duplicate track names")
    for name, y in items:                       # every track checked before any computation
        validate_audio(np.asarray(y), sr=sr, name=str(name))
    H, K, Tm = [], [], []
    for k, (name, y) in enumerate(items):
        h, t = fingerprint(y, sr=sr, **params)
        H.append(h)
        Tm.append(t)
        K.append(np.full(h.size, k, dtype=np.int32))
    h, k, t = np.concatenate(H), np.concatenate(K), np.concatenate(Tm)
    order = np.argsort(h, kind="stable")
    return FingerprintIndex(h[order], k[order], t[order].astype(np.int32), names, p)


def _items(tracks):
    if isinstance(tracks, dict):
        return list(tracks.items())
    try:
        return [(name, y) for name, y in tracks]
    except (TypeError, ValueError):
        raise ParameterError("tracks: expected a dict or an iterable of (name, y) pairs") from None


def query(index, y, *, sr=SR, n_results=5, min_score=0):
    """Rank the tracks of ``index`` by how well ``y`` matches them, with the time offset.

    Each query hash is looked up; every match gives a (track, offset) vote with
    ``offset = t_track - t_query`` (frames). A track's score is the largest number of votes in
    one offset bin plus those of its taller neighbour bin. Used in the chapter notebook
    ``notebooks/03_task_map.ipynb``.

    Parameters
    ----------
    index : FingerprintIndex
    y : np.ndarray, shape (n,) or (C, n)
        The query clip.
    sr : int
        Default :data:`mirbook.config.SR` (22050 Hz).
    n_results : int
        Length of the ranking.
    min_score : int
        Candidates with a lower score are left out.

    Returns
    -------
    results : list of tuple
        ``(name, offset_s, score)``, best first (ties by name order in the index): ``offset_s``
        is where the query starts in the track, in seconds.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.standard_normal(22050 * 6), rng.standard_normal(22050 * 6)
    >>> index = build_index({"a": a, "b": b})
    >>> name, offset, score = query(index, b[22050 * 2: 22050 * 4])[0]
    >>> name, round(offset, 1)
    ('b', 2.0)
    """
    if not isinstance(index, FingerprintIndex):
        raise ParameterError(f"index: expected a FingerprintIndex (from build_index), got "
                             f"{type(index).__name__}")
    n_results = _validate.positive_int(n_results, "n_results")
    min_score = _validate.finite_real(min_score, "min_score")
    params = {k: v for k, v in index.params.items()}
    h, tq = fingerprint(y, sr=sr, **params)
    if h.size == 0 or len(index) == 0:
        return []
    lo = np.searchsorted(index.hashes, h, side="left")
    hi = np.searchsorted(index.hashes, h, side="right")
    n = hi - lo
    if n.sum() == 0:
        return []
    q = np.repeat(np.arange(h.size), n)
    pos = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(n.sum())
    track = index.track_index[pos].astype(np.int64)
    offset = index.times[pos].astype(np.int64) - tq[q]
    shift = int(tq.max()) + 1                                  # offsets >= -shift
    width = int(index.times.max()) + shift + 2
    key = track * width + offset + shift
    keys, counts = np.unique(key, return_counts=True)
    # add the taller neighbour bin (same track): keys +- 1
    def neighbour(d):
        j = np.searchsorted(keys, keys + d)
        j = np.minimum(j, keys.size - 1)
        return np.where(keys[j] == keys + d, counts[j], 0)

    total = counts + np.maximum(neighbour(1), neighbour(-1))
    trk = keys // width
    best = {}
    for i in np.lexsort((-counts, -total)):           # best bin first
        k = int(trk[i])
        if k not in best:
            best[k] = (int(keys[i] % width) - shift, int(total[i]))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][1], kv[0]))
    spf = index.seconds_per_frame
    return [(index.names[k], off * spf, s) for k, (off, s) in ranked[:n_results]
            if s >= min_score]


def _top(answer, i):
    """The best ``(name, offset_s, score)`` of one query's answer, or None."""
    if answer is None:
        return None
    if isinstance(answer, tuple) and len(answer) == 3 and not isinstance(answer[0], tuple):
        answer = [answer]
    try:
        answer = list(answer)
    except TypeError:
        raise ParameterError(f"estimate[{i}]: expected a query() result (a list of "
                             f"(name, offset_s, score)), got {answer!r}") from None
    if not answer:
        return None
    for j, item in enumerate(answer):
        if not (isinstance(item, (tuple, list)) and len(item) == 3):
            raise ParameterError(f"estimate[{i}][{j}]: expected (name, offset_s, score), "
                                 f"got {item!r}")
        _, off, score = item
        for what, v in (("offset_s", off), ("score", score)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
                raise ParameterError(f"estimate[{i}][{j}]: {what}={v!r} is not a finite number")
    name, off, score = answer[0]
    return name, float(off), float(score)


def validate(reference, estimate):
    """Check the truth and the answers of a batch of queries before any scoring (mir_eval style).

    Used in the chapter notebook ``notebooks/03_task_map.ipynb``.

    Parameters
    ----------
    reference : sequence, length n_queries
        Per query, ``(name, offset_s)``: the track it was cut from and where it starts in it
        (seconds, >= 0); ``None`` (or ``(None, None)``) for a clip that is not in the collection.
    estimate : sequence, length n_queries
        Per query, what :func:`query` returned (a ranking of ``(name, offset_s, score)``, best
        first, possibly empty), or just its best entry, or ``None`` for no answer.

    Returns
    -------
    reference : list of (name or None, float)
        Offsets of foreign clips are NaN.
    estimate : list of (name, offset_s, score) or None
        The best answer of each query.

    Raises
    ------
    ParameterError
        Different lengths, malformed entries, non-finite or negative offsets.

    Examples
    --------
    >>> validate([("a", 2.0), None], [[("a", 2.01, 40)], []])
    ([('a', 2.0), (None, nan)], [('a', 2.01, 40.0), None])
    >>> validate([("a", 2.0)], [])
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: estimate: 0 answers for 1 queries
    """
    reference, estimate = list(reference), list(estimate)
    if len(estimate) != len(reference):
        raise ParameterError(f"estimate: {len(estimate)} answers for {len(reference)} queries")
    ref = []
    for i, r in enumerate(reference):
        if r is None or (isinstance(r, (tuple, list)) and len(r) == 2 and r[0] is None):
            ref.append((None, float("nan")))
            continue
        if not (isinstance(r, (tuple, list)) and len(r) == 2):
            raise ParameterError(f"reference[{i}]: expected (name, offset_s) or None, got {r!r}")
        off = r[1]
        if isinstance(off, bool) or not isinstance(off, numbers.Real) or not np.isfinite(off) \
                or off < 0:
            raise ParameterError(f"reference[{i}]: offset_s={off!r}, expected a finite "
                                 "number >= 0")
        ref.append((r[0], float(off)))
    return ref, [_top(e, i) for i, e in enumerate(estimate)]


def evaluate(reference, estimate, *, offset_tolerance=0.1, min_score=0):
    """Identification scores of a batch of queries: hit rate and false-positive rate.

    A query *from the collection* is a **hit** when the best answer (with a score of at least
    ``min_score``) names its track at an offset within ``offset_tolerance`` seconds; it is
    **identified** when the track is right whatever the offset. A *foreign* query (reference
    ``None``) is a **false positive** when it gets any answer with a score of at least
    ``min_score``. Rates are ``NaN`` when there is no query of their kind. Used in the chapter
    notebook ``notebooks/03_task_map.ipynb``.

    Parameters
    ----------
    reference, estimate : sequence, length n_queries
        See :func:`validate`.
    offset_tolerance : float
        Seconds (>= 0).
    min_score : float
        Answers with a lower score count as no answer (the decision threshold).

    Returns
    -------
    scores : dict
        ``hit_rate``, ``identification_rate`` (over the queries from the collection),
        ``false_positive_rate`` (over the foreign ones), ``n_known``, ``n_foreign``.

    Examples
    --------
    >>> ref = [("a", 2.0), ("b", 0.5), None]
    >>> est = [[("a", 2.02, 40)], [("b", 3.0, 35)], [("a", 1.0, 6)]]
    >>> s = evaluate(ref, est, min_score=10)
    >>> s["hit_rate"], s["identification_rate"], s["false_positive_rate"]
    (0.5, 1.0, 0.0)
    """
    ref, est = validate(reference, estimate)
    offset_tolerance = _validate.finite_real(offset_tolerance, "offset_tolerance", low=0)
    min_score = _validate.finite_real(min_score, "min_score")
    est = [e if e is not None and e[2] >= min_score else None for e in est]
    known = [(r, e) for r, e in zip(ref, est) if r[0] is not None]
    foreign = [e for r, e in zip(ref, est) if r[0] is None]
    ident = [e is not None and e[0] == r[0] for r, e in known]
    hits = [ok and abs(e[1] - r[1]) <= offset_tolerance for ok, (r, e) in zip(ident, known)]
    rate = lambda x: float(np.mean(x)) if x else float("nan")  # noqa: E731
    return {"hit_rate": rate(hits), "identification_rate": rate(ident),
            "false_positive_rate": rate([e is not None for e in foreign]),
            "n_known": len(known), "n_foreign": len(foreign)}


def excerpts(tracks, *, sr=SR, duration=5.0, n_excerpts=None, random_state=None):
    """Random excerpts of a collection, with the truth that :func:`evaluate` takes.

    Parameters
    ----------
    tracks : dict
        ``{name: y}``, each ``y`` of shape (n,) and longer than ``duration``.
    sr : int
        Sample rate of the tracks (Hz).
    duration : float
        Length of each excerpt (s).
    n_excerpts : int, optional
        How many; each from a track drawn at random. Default: one per track, in order.
    random_state : None, int or np.random.Generator
        Draws the tracks and the start times.

    Returns
    -------
    clips : list of np.ndarray, shape (round(duration * sr),)
        The excerpts.
    reference : list of (str, float)
        ``(name, start_s)`` of each excerpt: the ``reference`` of :func:`evaluate`.

    Examples
    --------
    >>> tracks = {"a": np.zeros(22050 * 3), "b": np.ones(22050 * 2)}
    >>> clips, ref = excerpts(tracks, sr=22050, duration=1.0, random_state=0)
    >>> [c.shape for c in clips], [name for name, _ in ref]
    ([(22050,), (22050,)], ['a', 'b'])
    >>> len(excerpts(tracks, sr=22050, duration=1.0, n_excerpts=5)[0])
    5

    Used in the chapter notebook ``notebooks/03_task_map.ipynb``.
    """
    if not isinstance(tracks, dict) or not tracks:
        raise ParameterError("tracks must be a non-empty dict {name: y}")
    sr = _validate.positive_int(sr, "sr")
    duration = _validate.finite_real(duration, "duration", low=0)
    length = int(round(duration * sr))
    if length < 1:
        raise ParameterError(f"duration={duration} is shorter than one sample")
    rng = _validate.random_state(random_state)
    names = list(tracks)
    if n_excerpts is None:
        chosen = names
    else:
        n_excerpts = _validate.positive_int(n_excerpts, "n_excerpts")
        chosen = [names[i] for i in rng.integers(len(names), size=n_excerpts)]
    for name in set(chosen):
        if np.shape(tracks[name])[-1] < length:
            raise ParameterError(f"tracks[{name!r}] is shorter than duration={duration} s")
    clips, reference = [], []
    for name in chosen:
        y = np.asarray(tracks[name])
        first = int(rng.integers(y.size - length + 1))
        clips.append(y[first: first + length])
        reference.append((name, first / sr))
    return clips, reference


def degrade(y, *, sr=SR, bitrate=64, snr_db=10.0, random_state=None):
    """A query as a phone hears it: an MP3 round trip, then white noise.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Audio.
    sr : int
        Sample rate (Hz; an MP3 rate).
    bitrate : int
        MP3 bit rate (kbit/s), :func:`mirbook.codecs.roundtrip`.
    snr_db : float
        Signal-to-noise ratio of the added white noise (dB), :func:`mirbook.effects.add_noise`.
    random_state : None, int or np.random.Generator
        Draws the noise.

    Returns
    -------
    y_degraded : np.ndarray, shape (n,)

    Examples
    --------
    >>> y = 0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> z = degrade(y, sr=22050, snr_db=10.0, random_state=0)
    >>> z.shape, bool(8 < 10 * np.log10(np.sum(y ** 2) / np.sum((z - y) ** 2)) < 10.5)
    ((22050,), True)

    Used in the chapter notebook ``notebooks/03_task_map.ipynb``.
    """
    from mirbook import codecs, effects

    y = validate_audio(y, sr=sr, name="y")
    coded = codecs.roundtrip(y, sr=sr, codec="mp3", bitrate=bitrate)
    return effects.add_noise(coded, snr_db=snr_db, random_state=random_state, kind="white")
