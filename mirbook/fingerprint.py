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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mirbook.io import validate_audio

__all__ = ["FingerprintIndex", "DEFAULTS", "spectrogram", "find_peaks", "landmarks",
           "fingerprint", "build_index", "query"]

#: Analysis settings (audio resampled to 11025 Hz; 1024-point frames, hop 256 = 23 ms).
DEFAULTS = dict(target_sr=11025, n_fft=1024, hop_length=256, neighborhood=(15, 11),
                peaks_per_second=30.0, fan_out=6, max_dt=48, max_df=128)

_F_BITS, _DT_BITS = 10, 8


def _resample(y, sr, target):
    if sr == target:
        return np.asarray(y, dtype=np.float64)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(sr), int(target))
    return resample_poly(np.asarray(y, dtype=np.float64), target // g, int(sr) // g)


def spectrogram(y, sr, *, n_fft=None, hop_length=None, target_sr=None):
    """Log-magnitude spectrogram used for fingerprinting.

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
    >>> spectrogram(y, 22050).shape
    (513, 40)
    """
    n_fft = DEFAULTS["n_fft"] if n_fft is None else int(n_fft)
    hop_length = DEFAULTS["hop_length"] if hop_length is None else int(hop_length)
    target_sr = DEFAULTS["target_sr"] if target_sr is None else int(target_sr)
    y = np.asarray(y)
    validate_audio(y, sr, name="y")
    if y.ndim == 2:
        y = y.mean(axis=0)
    y = _resample(y, sr, target_sr)
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
    passages are both represented.

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

    S_db = np.asarray(S_db, dtype=np.float64)
    if S_db.ndim != 2 or S_db.size == 0 or not np.all(np.isfinite(S_db)):
        raise ValueError(f"S_db: shape {S_db.shape}, expected a finite (n_bins, n_frames) array")
    neighborhood = DEFAULTS["neighborhood"] if neighborhood is None else tuple(neighborhood)
    pps = DEFAULTS["peaks_per_second"] if peaks_per_second is None else float(peaks_per_second)
    fps = (DEFAULTS["target_sr"] / DEFAULTS["hop_length"] if frames_per_second is None
           else float(frames_per_second))
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
    fan_out = DEFAULTS["fan_out"] if fan_out is None else int(fan_out)
    max_dt = DEFAULTS["max_dt"] if max_dt is None else int(max_dt)
    max_df = DEFAULTS["max_df"] if max_df is None else int(max_df)
    if not 1 <= max_dt < 2 ** _DT_BITS:
        raise ValueError(f"max_dt={max_dt}: expected 1..{2 ** _DT_BITS - 1}")
    peaks = np.asarray(peaks, dtype=np.int64).reshape(-1, 2)
    if peaks.size and peaks[:, 1].max() >= 2 ** _F_BITS:
        raise ValueError(f"peaks: bin index >= {2 ** _F_BITS}; use a smaller n_fft")
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


def fingerprint(y, sr, **params):
    """Landmark hashes and anchor frames of a signal.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
    sr : int
    **params
        Overrides of :data:`DEFAULTS`.

    Returns
    -------
    hashes, times : np.ndarray of int64, shape (n_landmarks,)
        As :func:`landmarks`; times in frames of ``hop_length / sr_target`` seconds.
    """
    p = {**DEFAULTS, **params}
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"fingerprint: unknown parameters {sorted(unknown)}")
    S = spectrogram(y, sr, n_fft=p["n_fft"], hop_length=p["hop_length"], target_sr=p["target_sr"])
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


def _items(tracks):
    if isinstance(tracks, dict):
        return list(tracks.items())
    return [(name, y) for name, y in tracks]


def build_index(tracks, sr=22050, **params):
    """Fingerprint every track and store the hashes in one sorted index.

    Parameters
    ----------
    tracks : dict or iterable of (name, y)
        Track identifiers and their audio (all at rate ``sr``).
    sr : int
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
    items = _items(tracks)
    if not items:
        raise ValueError("tracks: empty collection")
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError("tracks: duplicate track names")
    H, K, Tm = [], [], []
    for k, (name, y) in enumerate(items):
        validate_audio(np.asarray(y), sr, name=str(name))
        h, t = fingerprint(y, sr, **params)
        H.append(h)
        Tm.append(t)
        K.append(np.full(h.size, k, dtype=np.int32))
    h, k, t = np.concatenate(H), np.concatenate(K), np.concatenate(Tm)
    order = np.argsort(h, kind="stable")
    return FingerprintIndex(h[order], k[order], t[order].astype(np.int32), names,
                            {**DEFAULTS, **params})


def query(index, y, sr=22050, *, n_results=5, min_score=0):
    """Rank the tracks of ``index`` by how well ``y`` matches them, with the time offset.

    Each query hash is looked up; every match gives a (track, offset) vote with
    ``offset = t_track - t_query`` (frames). A track's score is the largest number of votes in
    one offset bin plus those of its taller neighbour bin.

    Parameters
    ----------
    index : FingerprintIndex
    y : np.ndarray, shape (n,) or (C, n)
        The query clip.
    sr : int
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
        raise TypeError("index: expected a FingerprintIndex (build_index)")
    params = {k: v for k, v in index.params.items()}
    h, tq = fingerprint(y, sr, **params)
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
