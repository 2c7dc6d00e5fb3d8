"""The shortcut audit: can a classifier tell a corpus' labels from trivial clip statistics alone?

A model learns whatever separates the classes of its training set. When the two classes of a
synthetic corpus were made by different machinery (text-to-speech for speech, a synthesizer or a
game soundtrack for music), they differ in ways that have nothing to do with the label: digital
silence between utterances, level, bandwidth, the codec, the length of the clips. A classifier
that scores well on such a corpus may have learned the machinery, not the music, and it fails on
real recordings.

This module measures that risk for every label of every corpus. It reduces each clip to a
handful of *trivial* statistics (:func:`clip_statistics`: zeros, silence, level, peak, crest
factor, duration, DC offset, sample-rate and codec traces) and asks, with group-aware
cross-validation, how well a random forest and a logistic regression predict the label from them
(:func:`audit`). A corpus is sound when that balanced accuracy stays near chance: at most 0.60 for
a two-class label (:data:`MAX_LIFT`); a label that cannot meet it is a *known cue*, documented in
:data:`KNOWN_CUES` and in the chapter that uses it.

Command line::

    python -m mirbook data audit                 # every corpus, full size
    python -m mirbook data audit --tiny --corpus speech_music

The corpus chapter of the book (``book/datasets.md``) shows the table; chapter 7
(``notebooks/07_speech_music.ipynb``) discusses the speech/music cues.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from collections import Counter

import numpy as np

from mirbook import _validate
from mirbook.errors import CorpusError, ParameterError

__all__ = [
    "STATISTICS", "SPECTRAL_STATISTICS", "LEVEL_STATISTICS", "CHANNEL_STATISTICS", "KNOWN_CUES",
    "MAX_LIFT", "clip_statistics", "file_statistics", "audit",
    "audit_corpus", "main",
]

#: dBFS floor of every level statistic (the level of digital silence).
FLOOR_DB = -150.0

#: Names of the statistics :func:`clip_statistics` returns, in order.
STATISTICS = (
    "duration", "sample_rate", "zero_fraction", "zero_run_fraction", "leading_silence",
    "trailing_silence", "silent_frame_fraction", "quiet_frame_fraction", "noise_floor_dbfs",
    "rms_dbfs", "peak", "crest_factor", "dc_offset", "full_scale_fraction",
    "int16_grid_fraction", "energy_above_16k", "energy_top_decile", "energy_below_40hz",
    "rolloff85", "rolloff99", "bandwidth", "band_edge",
)

#: The statistics of the long-term spectrum (codec and band-limit traces, but also timbre).
SPECTRAL_STATISTICS = ("energy_above_16k", "energy_top_decile", "energy_below_40hz",
                       "rolloff85", "rolloff99", "bandwidth", "band_edge")

#: Everything but the spectrum: zeros, silence, level, length, quantization.
LEVEL_STATISTICS = tuple(s for s in STATISTICS if s not in SPECTRAL_STATISTICS)

#: The statistics that trace only the recording *machinery* (digital silence, length, rate,
#: level, DC, clipping, quantization, codec band edges), not the content. The others also measure
#: the content's dynamics and spectrum: speech pauses between words (its 5th-percentile frame
#: level, ``noise_floor_dbfs``, sits at the noise floor; over a noise floor, isolated exact
#: zeros, ``zero_fraction``, occur in the quiet passages), is peakier (``crest_factor``,
#: ``peak``) and has no bass (``energy_below_40hz``); an instrument's timbre sets the rolloffs.
#: Labels whose content cannot be told apart without those are judged on these in a second row.
CHANNEL_STATISTICS = ("duration", "sample_rate", "zero_run_fraction", "leading_silence",
                      "trailing_silence", "silent_frame_fraction", "rms_dbfs", "dc_offset",
                      "full_scale_fraction", "int16_grid_fraction", "energy_above_16k",
                      "energy_top_decile", "band_edge")

#: A label passes when its balanced accuracy is at most ``chance + MAX_LIFT * (1 - chance)``:
#: 0.60 for two balanced classes (the figure of the issue), proportionally less above chance for
#: more classes (0.31 for seven), so that a cue is judged the same way whatever the class count.
MAX_LIFT = 0.2

#: Labels judged only when they have at least this many items (the tiny corpora have fewer).
MIN_ITEMS = 20

#: ``"corpus:label"`` -> why a label is allowed to fail the audit. Only cues that the label *is*
#: (a loudness label is told by the level) belong here; a cue of the rendering machinery is a
#: defect of the corpus to be fixed, not documented away.
KNOWN_CUES = {
    "speech_music:label": "content, not machinery: speech pauses between words and phrases, is "
                          "peakier and has no bass, and the 5th-percentile frame level, the "
                          "exact-zero fraction over the noise floor, the crest factor and the "
                          "energy below 40 Hz measure exactly that (the low-energy-frame feature "
                          "of classic speech/music discrimination). The rows judged on the "
                          "channel statistics alone (CHANNEL_STATISTICS) must pass.",
    "mood:loudness": "by design: the soft/loud label is the rendering level (RMS tells it).",
    "mood:arousal": "by design: arousal is rendered partly as loudness and tempo (louder, "
                    "faster pieces are the aroused ones), so the level statistics tell it.",
    "mood:tempo": "by design: a fast piece has more note onsets per second, which the "
                  "envelope statistics (crest factor, quiet frames) see; that is the tempo itself.",
    "piano:velocity": "by design: a harder key strike is louder (RMS and peak tell it).",
    "piano:style": "by design: four-voice chorales and quartets against one-voice folk songs "
                   "and reels, at different note densities: polyphony and density change level, "
                   "crest factor, spectrum and where an excerpt is cut (its duration).",
    "chorales:ensemble": "by design: the ensemble is the instrument timbre, which is what the "
                         "long-term spectrum (rolloff, bandwidth) measures.",
    "chorales:programs": "by design: a General MIDI program is an instrument timbre, which the "
                         "long-term spectrum measures.",
    "styles:style": "partly by design, partly residual: each rendered style is played by its own "
                    "ensembles (string quartet, recorders and voice, organ and choir...), so "
                    "timbre tells the style; recorded and rendered excerpts get the same random "
                    "low-pass and limiter (balanced accuracy 0.72 -> 0.53), but some dynamics "
                    "differences remain (0.42 on the level statistics alone).",
    "styles:artist": "partly by design: each rendered style has one composer, so the artist "
                     "label of the renderings is the style (timbre); artist disambiguation is "
                     "done on the recordings (0.55 -> 0.28 after the common low-pass and limiter).",
    "styles:tags": "by design for the instrument tags (recorder, flute, strings...): timbre is "
                   "what the long-term spectrum measures.",
    "artists:artist": "by design: an artist's instruments and production set the long-term "
                      "spectrum (spectral bandwidth is the top cue; balanced accuracy 0.25 for "
                      "32 artists, chance 0.03); on the level and codec statistics alone it is "
                      "0.16, under the 0.23 threshold: no channel shortcut, every excerpt gets "
                      "the same random low-pass, limiter and level.",
    "artists:package": "by design, as artists:artist: a package is one game's soundtrack, its "
                       "artists' timbre and production (0.26; 0.17 without the spectrum).",
}

# path -> (mtime_ns, size, statistics); the audio of a corpus does not change between calls.
_CACHE: dict = {}


# --------------------------------------------------------------------------------------------
# statistics


def _frames(y, frame_length, hop_length):
    if y.size < frame_length:
        y = np.pad(y, (0, frame_length - y.size))
    n = 1 + (y.size - frame_length) // hop_length
    return np.lib.stride_tricks.as_strided(
        y, shape=(n, frame_length), strides=(y.strides[0] * hop_length, y.strides[0]),
        writeable=False)


def _db(power):
    return 10.0 * np.log10(np.maximum(power, 10.0 ** (FLOOR_DB / 10.0)))


def _edge_run(mask):
    """Length of the leading run of True in ``mask``."""
    idx = np.flatnonzero(~mask)
    return int(mask.size if idx.size == 0 else idx[0])


def clip_statistics(y, *, sr, frame_length=2048, hop_length=512):
    """Trivial statistics of one clip: level, silence, length and channel traces, no content.

    These statistics say nothing about whether a clip is music or speech, happy or sad, baroque
    or folk: real recordings of every class span the same range of levels, lengths, noise floors
    and codecs. They are *trivial* in that sense, and dangerous for that reason: when they
    separate the classes of a corpus, the separation comes from how the corpus was made (text to
    speech leaves exact zeros between utterances, a synthesizer renders at another level or
    bandwidth than a game soundtrack), and a model trained on the corpus can score well by
    learning the machinery instead of the label. :func:`audit` trains classifiers on them.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n_channels, n)
        The clip, float samples in [-1, 1] (channels are averaged). Read it at the file's own
        rate (``load_audio(path, sr=None)``): resampling erases the quantization trace.
    sr : int
        Sample rate of ``y`` (Hz).
    frame_length, hop_length : int
        Frames (samples) of the frame-level statistics (silent frames, noise floor) and of the
        long-term spectrum.

    Returns
    -------
    dict
        :data:`STATISTICS` -> float:

        - ``duration`` (s) and ``sample_rate`` (Hz);
        - ``zero_fraction``: samples exactly 0; ``zero_run_fraction``: samples inside runs of
          exact zeros of 10 ms or more (digital silence); ``leading_silence``,
          ``trailing_silence``: seconds of samples below 1e-4 (-80 dBFS) at the ends;
        - ``silent_frame_fraction`` / ``quiet_frame_fraction``: frames whose RMS is below -80 /
          -60 dBFS; ``noise_floor_dbfs``: 5th percentile of the frame RMS (dBFS);
        - ``rms_dbfs``, ``peak`` (linear), ``crest_factor`` (peak / RMS, linear: a sine has
          sqrt(2)), ``dc_offset`` (mean), ``full_scale_fraction`` (samples at >= 0.999, clipping);
        - ``int16_grid_fraction``: non-zero samples on the 16-bit grid (k / 32768), high for a
          lossless 16-bit file, about 0 for a decoded lossy one;
        - long-term spectrum: ``energy_above_16k``, ``energy_top_decile`` (top 10 % of the band),
          ``energy_below_40hz`` (fractions of the energy), ``rolloff85``, ``rolloff99`` (Hz below
          which 85 / 99 % of the energy lies), ``bandwidth`` (Hz, spread around the centroid),
          ``band_edge`` (Hz: the highest frequency within 60 dB of the spectrum's maximum, where
          a codec or a telephone band cuts).

        Digital silence reads :data:`FLOOR_DB` (-150 dBFS).

    Raises
    ------
    ParameterError
        ``y`` not a real, finite 1-d or 2-d array; ``sr``, ``frame_length`` or ``hop_length``
        not positive integers.

    Examples
    --------
    >>> sr = 22050
    >>> t = np.arange(sr) / sr
    >>> s = clip_statistics(np.sin(2 * np.pi * 440 * t), sr=sr)
    >>> round(s["crest_factor"], 2), round(s["rms_dbfs"], 1), s["zero_fraction"] < 0.01
    (1.41, -3.0, True)
    >>> y = np.concatenate([0.5 * np.sin(2 * np.pi * 440 * t), np.zeros(sr)])
    >>> round(clip_statistics(y, sr=sr)["zero_run_fraction"], 2)
    0.5
    """
    sr = _validate.positive_int(sr, "sr")
    frame_length = _validate.positive_int(frame_length, "frame_length")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    y = _validate.real_array(y, "y")
    if y.ndim == 2:
        y = y.mean(axis=0)
    elif y.ndim != 1:
        raise ParameterError(f"y: expected shape (n,) or (n_channels, n), got {y.shape}")
    y = np.ascontiguousarray(y, dtype=np.float64)
    n = y.size

    out = {"duration": n / sr, "sample_rate": float(sr)}
    ay = np.abs(y)
    zero = y == 0.0
    out["zero_fraction"] = float(zero.mean())
    # runs of exact zeros at least 10 ms long
    min_run = max(1, int(round(0.010 * sr)))
    padded = np.concatenate([[False], zero, [False]])
    change = np.flatnonzero(np.diff(padded.astype(np.int8)))
    starts, ends = change[0::2], change[1::2]
    lengths = ends - starts
    out["zero_run_fraction"] = float(lengths[lengths >= min_run].sum() / n)
    quiet = ay < 1e-4
    out["leading_silence"] = _edge_run(quiet) / sr
    out["trailing_silence"] = _edge_run(quiet[::-1]) / sr

    frame_power = np.mean(_frames(y, frame_length, hop_length) ** 2, axis=1)
    frame_db = _db(frame_power)
    out["silent_frame_fraction"] = float(np.mean(frame_db < -80.0))
    out["quiet_frame_fraction"] = float(np.mean(frame_db < -60.0))
    out["noise_floor_dbfs"] = float(np.percentile(frame_db, 5))

    power = float(np.mean(y ** 2))
    rms = math.sqrt(power)
    peak = float(ay.max())
    out["rms_dbfs"] = float(_db(power))
    out["peak"] = peak
    out["crest_factor"] = peak / rms if rms > 0 else 0.0
    out["dc_offset"] = float(y.mean())
    out["full_scale_fraction"] = float(np.mean(ay >= 0.999))
    nz = y[~zero] * 32768.0
    out["int16_grid_fraction"] = float(np.mean(np.abs(nz - np.round(nz)) < 1e-6)) if nz.size else 0.0

    # long-term power spectrum (Hann frames, no overlap)
    n_fft = frame_length
    spec = np.abs(np.fft.rfft(_frames(y, n_fft, n_fft) * np.hanning(n_fft), axis=1)) ** 2
    lts = spec.mean(axis=0)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    total = float(lts.sum())
    if total > 0:
        p = lts / total
        cum = np.cumsum(p)
        nyq = sr / 2.0
        out["energy_above_16k"] = float(p[freqs > 16000.0].sum())
        out["energy_top_decile"] = float(p[freqs > 0.9 * nyq].sum())
        out["energy_below_40hz"] = float(p[freqs < 40.0].sum())
        out["rolloff85"] = float(freqs[min(np.searchsorted(cum, 0.85), freqs.size - 1)])
        out["rolloff99"] = float(freqs[min(np.searchsorted(cum, 0.99), freqs.size - 1)])
        centroid = float(np.sum(freqs * p))
        out["bandwidth"] = float(np.sqrt(np.sum(p * (freqs - centroid) ** 2)))
        lts_db = _db(lts)
        out["band_edge"] = float(freqs[np.flatnonzero(lts_db > lts_db.max() - 60.0)[-1]])
    else:
        for k in ("energy_above_16k", "energy_top_decile", "energy_below_40hz", "rolloff85",
                  "rolloff99", "bandwidth", "band_edge"):
            out[k] = 0.0
    return {k: float(out[k]) for k in STATISTICS}


def file_statistics(path):
    """:func:`clip_statistics` of an audio file, read at its own rate, cached in memory.

    The cache is keyed by the path, the file's size and its modification time, so a rebuilt
    corpus is measured again.

    Parameters
    ----------
    path : str or os.PathLike
        An audio file :func:`mirbook.io.load_audio` reads.

    Returns
    -------
    dict
        As :func:`clip_statistics`.

    Examples
    --------
    >>> file_statistics("data/cache/speech_music/clean/music_0000.flac")  # doctest: +SKIP
    """
    from mirbook.io import load_audio

    path = os.fspath(path)
    st = os.stat(path)
    key = (st.st_mtime_ns, st.st_size)
    hit = _CACHE.get(path)
    if hit is not None and hit[0] == key:
        return dict(hit[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # clipped lossy decodes: full_scale_fraction says it
        y, sr = load_audio(path, sr=None)
    stats = clip_statistics(y, sr=sr)
    _CACHE[path] = (key, stats)
    return dict(stats)


# --------------------------------------------------------------------------------------------
# the audit


def _lookup(rec, key):
    labels = rec.get("labels") if isinstance(rec, dict) else None
    if isinstance(labels, dict) and key in labels:
        return labels[key]
    return rec.get(key) if isinstance(rec, dict) else None


def _values(records, what, name):
    if callable(what):
        return [what(r) for r in records]
    if isinstance(what, str):
        return [_lookup(r, what) for r in records]
    if isinstance(what, (list, tuple, np.ndarray)):
        if len(what) != len(records):
            raise ParameterError(f"{name}: {len(what)} values for {len(records)} records")
        return list(what)
    raise ParameterError(f"{name}={what!r}: expected a label name, a function of the record "
                         "or one value per record")


def _record_statistics(rec):
    if "stats" in rec:
        return rec["stats"]
    if "y" in rec:
        return clip_statistics(rec["y"], sr=rec["sr"])
    if "path" in rec:
        return file_statistics(rec["path"])
    raise ParameterError("records: each record needs a 'path' (audio file), 'y' and 'sr', or "
                         "'stats' (from clip_statistics)")


def _feature_matrix(records, progress_desc=None):
    from mirbook.utils import progress

    it = records
    if progress_desc is not None:
        it = progress(records, desc=progress_desc, unit="clip")
    rows = []
    for r in it:
        s = _record_statistics(r)
        rows.append([float(s[k]) for k in STATISTICS])
    return np.asarray(rows, dtype=float)


def _is_continuous(values):
    numeric = all(isinstance(v, (int, float, np.integer, np.floating))
                  and not isinstance(v, (bool, np.bool_)) for v in values)
    return numeric and len(set(values)) > 10


def _models(seed):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "random_forest": RandomForestClassifier(
            n_estimators=100, min_samples_leaf=2, max_features=0.5, class_weight="balanced",
            random_state=seed, n_jobs=1),
        "logistic_regression": make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000, C=1.0)),
    }


def _folds(X, y, groups, *, n_splits, seed):
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    if groups is None:
        return list(StratifiedKFold(n_splits=n_splits, shuffle=True,
                                    random_state=seed).split(X, y))
    return list(StratifiedGroupKFold(n_splits=n_splits, shuffle=True,
                                     random_state=seed).split(X, y, groups))


def _oof(model, X, y, folds):
    """Pooled out-of-fold balanced accuracy of ``model`` and its std over the folds."""
    from sklearn.base import clone
    from sklearn.metrics import balanced_accuracy_score

    pred = np.empty_like(y)
    per_fold = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in folds:
            if len(np.unique(y[train])) < 2:
                pred[test] = y[train][0]
                continue
            pred[test] = clone(model).fit(X[train], y[train]).predict(X[test])
            per_fold.append(balanced_accuracy_score(y[test], pred[test]))
        pooled = balanced_accuracy_score(y, pred)
    return float(pooled), (float(np.std(per_fold)) if per_fold else float("nan"))


def _cv_score(X, y, folds, *, seed):
    """(balanced accuracy, std) of each model on the columns of ``X``."""
    X = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    return {name: _oof(model, X, y, folds) for name, model in _models(seed).items()}


def _cue_scores(X, y, folds, names, *, seed):
    """Balanced accuracy of a depth-2 tree on each statistic alone: which cue carries it."""
    from sklearn.tree import DecisionTreeClassifier

    X = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    tree = DecisionTreeClassifier(max_depth=2, class_weight="balanced", random_state=seed)
    return {name: _oof(tree, X[:, [j]], y, folds)[0] for j, name in enumerate(names)}


def _prepare(y, groups, *, cv, min_items, min_groups=2):
    """Drop classes too small to cross-validate; the splits that remain possible; a note."""
    notes = []
    y = np.asarray(y, dtype=object)
    keep = np.ones(len(y), bool)
    for cls, count in Counter(y.tolist()).items():
        idx = y == cls
        n_groups = len(set(groups[idx].tolist())) if groups is not None else int(idx.sum())
        if n_groups < min_groups or count < 2:
            keep &= ~idx
            notes.append(f"class {cls!r} dropped ({count} items, {n_groups} group(s))")
    y, g = y[keep], (groups[keep] if groups is not None else None)
    classes = sorted(set(y.tolist()), key=str)
    if len(classes) < 2:
        return keep, 0, classes, notes + ["fewer than two classes left"]
    per_class = [len(set(g[y == c].tolist())) if g is not None else int((y == c).sum())
                 for c in classes]
    n_splits = min(cv, min(per_class))
    if keep.sum() < min_items:
        notes.append(f"only {int(keep.sum())} items: not judged")
    return keep, n_splits, classes, notes


def audit(records, label, *, groups=None, features=None, random_state=0, cv=5,
          min_items=MIN_ITEMS, max_lift=MAX_LIFT, progress_desc=None):
    """Balanced accuracy of classifiers that see only trivial clip statistics.

    The statistics are those of :func:`clip_statistics`; the classifiers a random forest and a
    standardised logistic regression (both class-balanced); the figure the better of the two.
    Cross-validation is group-aware (:class:`sklearn.model_selection.StratifiedGroupKFold`):
    clips of one source (piece, artist, voice) are never both trained and tested on, so a cue
    that only recognises a recording does not count.

    Parameters
    ----------
    records : list of dict
        Corpus records (:func:`mirbook.datasets.load`); each has a ``path`` (audio file), or
        ``y`` and ``sr`` (a signal), or ``stats`` (from :func:`clip_statistics`).
    label : str, callable or sequence
        The label: a key of ``record["labels"]`` (or of the record), a function of the record,
        or one value per record. Records whose value is ``None`` are left out. A numeric label
        with more than 10 distinct values is split at its median into ``"low"`` / ``"high"``
        halves. A list-valued label (tags) is audited one tag against the rest, for every tag
        that can be cross-validated; the figure is then the worst (highest) tag.
    groups : None, str, callable, sequence or False
        The cross-validation groups, given like ``label``; ``None`` uses ``record["group"]``
        when every record has one; ``False`` cross-validates clips independently.
    features : sequence of str, optional
        The statistics the classifiers see (default all of :data:`STATISTICS`; e.g.
        :data:`LEVEL_STATISTICS` leaves the long-term spectrum out, which for an instrument or
        ensemble label is timbre, i.e. content).
    random_state : None, int or np.random.Generator
        Seeds the folds and the forest.
    cv : int
        Number of folds (fewer when a class has fewer groups).
    min_items : int
        A label with fewer usable items is measured but not judged (``passes`` is ``None``).
    max_lift : float
        Pass threshold: ``chance + max_lift * (1 - chance)`` (0.60 for two classes).
    progress_desc : str, optional
        Show a progress bar with this title while the statistics are computed.

    Returns
    -------
    dict
        ``balanced_accuracy`` (pooled out-of-fold, best model), ``std`` (over folds), ``chance``,
        ``threshold``, ``passes`` (bool, or ``None`` when not judged), ``n`` (items used),
        ``classes`` (class -> count), ``model`` (the best one), ``models`` (name ->
        (balanced accuracy, std)), ``cues`` (statistic -> balanced accuracy of a depth-2 tree
        on that statistic alone, best first), ``top_cue`` (the first of them), ``n_splits``,
        ``grouped`` (bool), ``note`` (str); for a list-valued label also ``tags`` (tag ->
        balanced accuracy) and ``tag`` (the worst, which the other entries describe).

    Raises
    ------
    ParameterError
        Empty ``records``; ``cv`` not an integer >= 2; ``label``/``groups`` of the wrong length
        or kind; a record without audio.

    Examples
    --------
    A planted shortcut: one class has digital silence, the other a noise floor.

    >>> rng = np.random.default_rng(0)
    >>> def clip(silent):
    ...     y = 0.1 * rng.standard_normal(4000)
    ...     if silent:
    ...         y[1000:2000] = 0.0
    ...     return {"y": y, "sr": 8000}
    >>> records = [clip(i % 2 == 0) for i in range(40)]
    >>> labels = ["speech" if i % 2 == 0 else "music" for i in range(40)]
    >>> result = audit(records, labels, groups=False)
    >>> result["balanced_accuracy"] > 0.9, result["passes"], result["chance"]
    (True, False, 0.5)

    Used in the corpus chapter ``book/datasets.md`` and in ``notebooks/07_speech_music.ipynb``.
    """
    if not isinstance(records, (list, tuple)) or len(records) == 0:
        raise ParameterError("records: expected a non-empty list of records")
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ParameterError(f"cv={cv!r}: expected an integer >= 2")
    min_items = _validate.nonneg_int(min_items, "min_items")
    max_lift = _validate.finite_real(max_lift, "max_lift", low=0.0, high=1.0)
    rng = _validate.random_state(random_state)
    seed = int(rng.integers(2**31 - 1))

    values = _values(records, label, "label")
    if groups is None:
        group_values = ([r.get("group") for r in records]
                        if all(isinstance(r, dict) and r.get("group") is not None
                               for r in records) else None)
    elif groups is False:
        group_values = None
    else:
        group_values = _values(records, groups, "groups")
        group_values = [str(g) if g is not None else f"item:{i}"
                        for i, g in enumerate(group_values)]

    if features is None:
        features = STATISTICS
    else:
        features = tuple(features)
        for f in features:
            _validate.one_of(f, "features", STATISTICS)
        if not features:
            raise ParameterError("features: expected at least one statistic")
    use = [i for i, v in enumerate(values) if v is not None]
    records = [records[i] for i in use]
    values = [values[i] for i in use]
    g = np.asarray([group_values[i] for i in use], dtype=object) if group_values else None
    X = _feature_matrix(records, progress_desc)

    base = {"grouped": g is not None}
    if values and all(isinstance(v, (list, tuple, set)) for v in values):
        return _audit_tags(X, values, g, seed=seed, cv=cv, min_items=min_items,
                           max_lift=max_lift, base=base, features=features)
    if _is_continuous(values):
        med = float(np.median(values))
        values = ["high" if v > med else "low" for v in values]
        base["note"] = f"split at the median {med:.3g}"
    values = [str(v) if not isinstance(v, str) else v for v in values]
    return _audit_classes(X, values, g, seed=seed, cv=cv, min_items=min_items,
                          max_lift=max_lift, base=base, features=features)


def _audit_classes(X, values, g, *, seed, cv, min_items, max_lift, base, features=STATISTICS,
                   top_cues=True):
    keep, n_splits, classes, notes = _prepare(values, g, cv=cv, min_items=min_items)
    y = np.asarray(values, dtype=object)[keep].astype(str)
    counts = dict(sorted(Counter(y.tolist()).items()))
    note = "; ".join(([base["note"]] if base.get("note") else []) + notes)
    result = {"n": int(keep.sum()), "classes": counts, "n_splits": int(n_splits),
              "grouped": base["grouped"], "note": note}
    if n_splits < 2:
        result.update(balanced_accuracy=float("nan"), std=float("nan"),
                      chance=1.0 / max(len(classes), 1), threshold=float("nan"), passes=None,
                      model=None, models={}, cues={}, top_cue=None)
        result["note"] = "; ".join(filter(None, [note, "too few groups to cross-validate"]))
        return result
    y = np.unique(y, return_inverse=True)[1].ravel()  # class codes 0..k-1
    Xk = X[keep]
    folds = _folds(Xk, y, g[keep] if g is not None else None, n_splits=n_splits, seed=seed)
    cols = [STATISTICS.index(f) for f in features]
    scores = _cv_score(Xk[:, cols], y, folds, seed=seed)
    cues = _cue_scores(Xk[:, cols], y, folds, features, seed=seed) if top_cues else {}
    best = max(scores, key=lambda k: scores[k][0])
    chance = 1.0 / len(classes)
    threshold = chance + max_lift * (1.0 - chance)
    ba, std = scores[best]
    judged = result["n"] >= min_items
    result.update(balanced_accuracy=ba, std=std, chance=chance, threshold=threshold,
                  passes=(ba <= threshold + 1e-12) if judged else None, model=best,
                  models=scores, cues=dict(sorted(cues.items(), key=lambda kv: -kv[1])))
    result["top_cue"] = next(iter(result["cues"]), None)
    return result


def _audit_tags(X, values, g, *, seed, cv, min_items, max_lift, base, features=STATISTICS):
    tags = sorted({t for v in values for t in v}, key=str)
    per_tag, results = {}, {}
    for tag in tags:
        yes = ["yes" if tag in v else "no" for v in values]
        r = _audit_classes(X, yes, g, seed=seed, cv=cv, min_items=min_items, max_lift=max_lift,
                           base=base, features=features, top_cues=False)
        if r["n_splits"] >= 2 and r["n"] == len(values):
            per_tag[str(tag)] = r["balanced_accuracy"]
            results[str(tag)] = r
    if not results:
        return {"balanced_accuracy": float("nan"), "std": float("nan"), "chance": 0.5,
                "threshold": float("nan"), "passes": None, "n": len(values),
                "classes": {}, "model": None, "models": {}, "n_splits": 0,
                "grouped": base["grouped"], "note": "no tag can be cross-validated",
                "cues": {}, "top_cue": None, "tags": {}, "tag": None}
    worst = max(per_tag, key=per_tag.get)
    yes = ["yes" if worst in {str(t) for t in v} else "no" for v in values]
    out = _audit_classes(X, yes, g, seed=seed, cv=cv, min_items=min_items, max_lift=max_lift,
                         base=base, features=features)
    out["tags"] = per_tag
    out["tag"] = worst
    n_fail = sum(r["passes"] is False for r in results.values())
    out["note"] = "; ".join(filter(None, [
        f"worst of {len(per_tag)} tags one-vs-rest: {worst!r} (mean over tags "
        f"{np.mean(list(per_tag.values())):.2f}, {n_fail} above threshold)",
        results[worst]["note"]]))
    return out


# --------------------------------------------------------------------------------------------
# the labels of each corpus


def _piece(rec):
    lab = rec.get("labels", {})
    for key in ("member", "score", "source"):
        if lab.get(key):
            return f"{lab.get('package', '')}:{lab[key]}"
    return rec.get("group") or rec.get("id")


def _mode(rec):
    key = rec.get("labels", {}).get("key")
    return key.split()[-1] if isinstance(key, str) and " " in key else None


def _where(key, value):
    return lambda rec: rec.get("labels", {}).get(key) == value


def _where_split(split):
    return lambda rec: rec.get("split") == split


#: corpus -> list of (row name, label, groups, record filter). ``groups`` None: the record's
#: split group (chorale, artist, voice). Labels that are a function of the artist (styles) are
#: grouped by piece/track instead, or no class would have two groups.
LABELS = {
    "speech_music": [
        ("label", "label", None, None),
        ("label (clean)", "label", None, _where("condition", "clean")),
        ("label (channel)", "label", None, None, CHANNEL_STATISTICS),
        ("label (clean, channel)", "label", None, _where("condition", "clean"),
         CHANNEL_STATISTICS),
        ("label (transfer, channel)", "label", None, _where_split("transfer"),
         CHANNEL_STATISTICS),
    ],
    "mood": [
        ("happy", "happy", None, None),
        ("valence", "valence", None, None),
        ("arousal", "arousal", None, None),
        ("mode", "mode", None, None),
        ("tempo", "tempo", None, None),
        ("loudness", "loudness", None, None),
    ],
    "styles": [
        ("style", "style", _piece, None),
        ("artist", "artist", _piece, None),
        ("tags", "tags", _piece, None),
    ],
    "artists": [
        ("artist", "artist", _piece, None),
        ("package", "package", _piece, None),
    ],
    "chorales": [
        ("ensemble", "ensemble", None, None),
        ("programs", "programs", None, None),
        ("mode", _mode, None, None),
    ],
    "piano": [
        ("style (pieces)", "style", None, _where("kind", "piece")),
        ("velocity (notes)", "velocity", "midi", _where("kind", "note")),
    ],
}


def _fmt_classes(counts, limit=4):
    items = sorted(counts.items(), key=lambda kv: -kv[1])
    text = ", ".join(f"{k} {v}" for k, v in items[:limit])
    return text + (f", +{len(items) - limit} more" if len(items) > limit else "")


def audit_corpus(name, *, tiny=False, root=None, random_state=0, cv=5):
    """Audit every label of a built corpus (:data:`LABELS`): one row per label.

    Parameters
    ----------
    name : str
        A corpus (``"speech_music"``, ``"mood"``, ``"styles"``, ``"chorales"``, ``"piano"``).
    tiny : bool
        Audit the tiny variant (its labels are measured, not judged: too few items).
    root : path, optional
        Where the corpora are (default :func:`mirbook.config.data_home`).
    random_state : None, int or np.random.Generator
    cv : int
        Folds, as in :func:`audit`.

    Returns
    -------
    pandas.DataFrame
        Columns ``corpus``, ``label`` (for a tag label, the worst tag in brackets), ``n``,
        ``classes``, ``balanced_accuracy``, ``std``, ``chance``, ``threshold``, ``passes``
        (True/False, or None when not judged), ``without_spectrum`` (the balanced accuracy on
        :data:`LEVEL_STATISTICS` only), ``top_cue`` (the statistic that alone separates the
        classes best, with its balanced accuracy), ``known`` (the :data:`KNOWN_CUES`
        explanation, or ""), ``model``, ``note``.

    Raises
    ------
    ParameterError
        ``name`` is not a corpus with labels to audit.
    CorpusError or FileNotFoundError
        The corpus is not built (the message gives the command that builds it).

    Examples
    --------
    >>> audit_corpus("speech_music")[["label", "balanced_accuracy", "passes"]]  # doctest: +SKIP

    Used in the corpus chapter ``book/datasets.md``.
    """
    import pandas as pd

    from mirbook.datasets import load

    _validate.one_of(name, "name", tuple(LABELS))
    records = load(name, split=None, tiny=tiny, root=root)
    desc = f"audit {name}{'-tiny' if tiny else ''}"
    _feature_matrix(records, desc)  # statistics once, with a progress bar; cached for the rows
    rows = []
    nan = float("nan")
    for row, label, groups, where, *rest in LABELS[name]:
        features = rest[0] if rest else STATISTICS
        recs = [r for r in records if where is None or where(r)]
        # a row judged on the channel statistics must pass: it is never a known cue
        known = "" if features is CHANNEL_STATISTICS else KNOWN_CUES.get(
            f"{name}:{row}", KNOWN_CUES.get(f"{name}:{row.split()[0]}", ""))
        res = {"n": 0, "classes": {}, "balanced_accuracy": nan, "std": nan, "chance": nan,
               "threshold": nan, "passes": None, "model": None, "note": "no records",
               "top_cue": None, "cues": {}}
        level = {"balanced_accuracy": nan}
        if recs:
            res = audit(recs, label, groups=groups, features=features,
                        random_state=random_state, cv=cv)
            # the same label without the long-term spectrum (timbre, for instrument labels)
            lab2 = label
            if res.get("tag") is not None:
                tag = res["tag"]
                lab2 = [tag in {str(t) for t in (v or ())}
                        for v in _values(recs, label, "label")]
            level = audit(recs, lab2, groups=groups,
                          features=tuple(f for f in features if f in LEVEL_STATISTICS),
                          random_state=random_state, cv=cv)
        cue = res.get("top_cue")
        rows.append({
            "corpus": name, "label": row + (f" [{res['tag']}]" if res.get("tag") else ""),
            "n": res["n"], "classes": _fmt_classes(res["classes"]),
            "balanced_accuracy": res["balanced_accuracy"], "std": res["std"],
            "chance": res["chance"], "threshold": res["threshold"], "passes": res["passes"],
            "without_spectrum": level["balanced_accuracy"],
            "top_cue": f"{cue} ({res['cues'][cue]:.2f})" if cue else "",
            "known": known, "model": res["model"], "note": res["note"],
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# command line


def main(argv=None):
    """``python -m mirbook data audit [--tiny] [--corpus NAME ...] [--root DIR]``.

    Prints the audit table of each corpus; exits 1 when a judged label fails the audit and is
    not a known cue (:data:`KNOWN_CUES`), 2 when a corpus is not built.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.

    Examples
    --------
    >>> main(["--tiny", "--corpus", "speech_music"])  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(
        prog="mirbook data audit",
        description="Shortcut audit: classifiers on trivial clip statistics must stay near "
                    "chance for every label of every corpus.")
    parser.add_argument("--tiny", action="store_true", help="audit the tiny corpora")
    parser.add_argument("--corpus", nargs="+", metavar="NAME", choices=sorted(LABELS),
                        help="audit only these corpora (default: all)")
    parser.add_argument("--root", default=None, help="where the corpora are ($MIRBOOK_DATA)")
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--csv", default=None, help="also write the table to this CSV file")
    ns = parser.parse_args(argv)

    import pandas as pd

    tables = []
    for name in ns.corpus or list(LABELS):
        try:
            tables.append(audit_corpus(name, tiny=ns.tiny, root=ns.root, cv=ns.cv))
        except (FileNotFoundError, CorpusError) as exc:  # not built
            print(f"mirbook data audit: {exc}", file=sys.stderr)
            return 2
    table = pd.concat(tables, ignore_index=True)
    show = table[["corpus", "label", "n", "balanced_accuracy", "std", "chance", "threshold",
                  "passes", "without_spectrum", "top_cue"]].copy()
    show.columns = ["corpus", "label", "n", "bal_acc", "std", "chance", "max", "passes",
                    "no_spec", "top_cue"]
    show["passes"] = [("n/a" if p is None else ("yes" if p else ("KNOWN" if k else "NO")))
                      for p, k in zip(table["passes"], table["known"])]
    with pd.option_context("display.width", 200, "display.max_colwidth", 60,
                           "display.max_rows", 500):
        print(show.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    for _, r in table.iterrows():
        print(f"  {r['corpus']}:{r['label']}: {r['classes']}" + "".join(
            f"; {x}" for x in [r["note"], f"known cue: {r['known']}" if r["known"] else ""] if x))
    if ns.csv:
        table.to_csv(ns.csv, index=False)
    bad = table[(table["passes"] == False) & (table["known"] == "")]  # noqa: E712
    if len(bad):
        print(f"mirbook data audit: {len(bad)} label(s) can be told from trivial statistics: "
              + ", ".join(f"{c}:{lab}" for c, lab in zip(bad["corpus"], bad["label"])),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
