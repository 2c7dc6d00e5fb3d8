"""Our numbers beside the seed's tables: ``python -m mirbook reproduce speech-music --classical``.

The seed lecture (M. Moussallam, *Large Scale Music Information Retrieval*, Peyresq 2018; seed file
``000_3d838ec46a911936.txt``) shows one table for speech/music discrimination, from J.
Royo-Letelier's work at Deezer (2015, ranked in the first three at MIREX 2015): an SVM and a random
forest on a ``(1, 3888)`` input and a CNN on a ``(3, 108, 12)`` input, with training time, recall,
precision and F-measure. :data:`SEED_SPEECH_MUSIC` holds those rows as data;
:func:`speech_music_classical` trains the two classical models on the book's offline
``speech_music`` corpus and returns our rows beside them. The CNN row is Part III's.

Protocol (ours; the seed does not give one):

- input: :func:`mirbook.features.seed_input` with ``flatten=True``: 12 MFCC (c1..c12), their deltas
  and delta-deltas over 108 frames (2.5 s) = 3888 numbers per example, the middle 2.5 s of each
  5-second clip (``full=True``: every 2.5 s window with a hop of 1.25 s for training, and the
  decision averaged over the windows of a clip at test time);
- models: scikit-learn ``Pipeline(StandardScaler, SVC)`` (RBF kernel) and
  ``Pipeline(StandardScaler, RandomForestClassifier)``, seeded;
- hyper-parameters: a small grid (``C``/``gamma``; ``n_estimators``/``max_depth``) scored by
  F-measure on the **clean validation clips only**; the chosen model is then refit on ``train``,
  and that fit is the reported training time (seconds, wall clock, this machine);
- scores: on the **clean test clips**, in percent, with **speech as the positive class**
  (recall = share of speech clips detected as speech; precision = share of clips called speech
  that are speech). The hard conditions are scored separately (:func:`scores_by_condition`);
- default run: every clean ``train`` clip, the middle window, a 2 x 2 grid per model (about 15 s
  on 2 cores); ``full=True``: a 4 x 4 / 3 x 3 grid and the window augmentation (about 80 s).
  ``train_per_class`` draws a seeded, class-balanced subset of ``train`` (quick experiments,
  tests).

Features are cached in memory only (per process), so a notebook that calls
:func:`speech_music_run`, :func:`speech_music_classical` and :func:`scores_by_condition` extracts
them once. Chapter: ``notebooks/07_speech_music.ipynb``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

__all__ = [
    "SEED_SOURCE", "SEED_DATA", "SEED_SPEECH_MUSIC", "POSITIVE", "COLUMNS",
    "speech_music_run", "speech_music_classical",
    "scores_by_condition", "format_table", "data_note", "main",
]

#: Where the seed's numbers come from.
SEED_SOURCE = ("seed 000_3d838ec46a911936.txt: M. Moussallam, Large Scale Music Information "
               "Retrieval, Peyresq 2018, speech/music slide (J. Royo-Letelier, Deezer, 2015; "
               "first 3 at MIREX 2015); copied in shared/paper-tables.md")

#: The data behind the seed's numbers.
SEED_DATA = ("Deezer dataset: 41,000 annotated tracks, 58.3 h of audio, semi-annotated "
             "(third-party labels), many languages, genres and recording conditions")

#: The seed's speech/music table, as published (training time in seconds, scores in percent).
SEED_SPEECH_MUSIC = (
    {"model": "SVM", "input": "(1, 3888)", "train_s": 40.0,
     "recall": 82.17, "precision": 89.83, "f_measure": 85.83},
    {"model": "RF", "input": "(1, 3888)", "train_s": 16.0,
     "recall": 76.27, "precision": 89.11, "f_measure": 82.19},
    {"model": "CNN", "input": "(3, 108, 12)", "train_s": 504.0,
     "recall": 93.10, "precision": 90.00, "f_measure": 91.53},
)

#: Positive class of recall / precision / F-measure.
POSITIVE = "speech"

#: Columns of :func:`speech_music_classical`'s table.
COLUMNS = ["model", "source", "input", "train_s", "recall", "precision", "f_measure",
           "n_train", "n_test"]

_GRIDS = {
    False: {"SVM": [{"C": C, "gamma": g} for C in (1.0, 10.0) for g in (1e-4, 3e-4)],
            "RF": [{"n_estimators": n, "max_depth": d} for n in (100, 200) for d in (None, 8)]},
    True: {"SVM": [{"C": C, "gamma": g} for C in (0.3, 1.0, 10.0, 100.0)
                   for g in (3e-5, 1e-4, 3e-4, 1e-3)],
           "RF": [{"n_estimators": n, "max_depth": d} for n in (100, 300, 500)
                  for d in (None, 8, 16)]},
}

_FEATURES = {}      # (path, n_frames, hop_length) -> (3, T, 12) float32 maps: memory only
_RUNS = {}          # run key -> run dict


# --------------------------------------------------------------------------------------------
# Data and features
# --------------------------------------------------------------------------------------------


def _load_split(split):
    """Records of one split of ``speech_music`` (a seam for the tests)."""
    from mirbook import datasets

    return datasets.load("speech_music", split=split)


def _balanced_subset(records, per_class, seed):
    """At most ``per_class`` records of each label, drawn with a seeded generator, order kept."""
    rng = np.random.default_rng(seed)
    keep = set()
    for label in sorted({r["labels"]["label"] for r in records}):
        idx = [i for i, r in enumerate(records) if r["labels"]["label"] == label]
        if len(idx) > per_class:
            idx = rng.choice(idx, size=per_class, replace=False).tolist()
        keep.update(idx)
    return [r for i, r in enumerate(records) if i in keep]


def _clip_maps(path, sr=22050, hop_length=512):
    """The seed-style maps of a whole clip: ``(3, T, 12)`` (MFCC c1..c12, delta, delta-delta).

    ``seed_input(y, n_frames=T, start=0)`` with T the clip's frame count: any 108-frame window
    of it equals ``seed_input(y, start=s)`` (the deltas are computed on the whole clip).
    """
    from mirbook import features, io

    key = (str(path), sr, hop_length)
    if key not in _FEATURES:
        y, _ = io.load_audio(path, sr=sr)
        n_total = max(1 + y.shape[-1] // hop_length, 108)
        x = features.seed_input(y, sr, n_frames=n_total, start=0, hop_length=hop_length)
        _FEATURES[key] = x.astype(np.float32)
    return _FEATURES[key]


def _windows(maps, n_frames=108, hop_frames=None):
    """Flat 3888-d rows: the middle window, or every window (``hop_frames``)."""
    T = maps.shape[1]
    if hop_frames is None:
        starts = [max(0, (T - n_frames) // 2)]
    else:
        starts = list(range(0, max(T - n_frames, 0) + 1, hop_frames))
    return np.stack([maps[:, s:s + n_frames].reshape(-1) for s in starts])


def _extract(records, show_progress=True, desc="features"):
    """Maps of every record (cached), with a progress bar; one BLAS thread while it runs."""
    from mirbook.utils import progress

    try:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(1)
    except ImportError:  # pragma: no cover
        limits = None
    try:
        it = progress(records, desc=desc) if show_progress else records
        return [_clip_maps(r["path"]) for r in it]
    finally:
        if limits is not None:
            limits.restore_original_limits()


def _design(maps_list, labels, hop_frames):
    """Rows and labels (1 = speech) and the clip index of every row."""
    X, y, clip = [], [], []
    for i, (m, lab) in enumerate(zip(maps_list, labels)):
        w = _windows(m, hop_frames=hop_frames)
        X.append(w)
        y.extend([int(lab == POSITIVE)] * len(w))
        clip.extend([i] * len(w))
    return np.concatenate(X).astype(np.float64), np.array(y), np.array(clip)


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def _make(model, params, seed):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if model == "SVM":
        clf = SVC(kernel="rbf", random_state=seed, **params)
    else:
        clf = RandomForestClassifier(random_state=seed, n_jobs=1, **params)
    return Pipeline([("scale", StandardScaler()), ("clf", clf)])


def _clip_scores(pipe, maps_list, hop_frames):
    """One decision value per clip (> 0: speech), averaged over its windows."""
    X, _, clip = _design(maps_list, [POSITIVE] * len(maps_list), hop_frames)
    if hasattr(pipe, "decision_function"):
        d = pipe.decision_function(X)
    else:
        d = pipe.predict_proba(X)[:, 1] - 0.5
    return np.bincount(clip, weights=d) / np.bincount(clip)


def _prf(y_true, y_pred):
    """Recall, precision, F-measure (percent), speech positive; 0 where undefined."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=1,
                                                 zero_division=0)
    return 100 * r, 100 * p, 100 * f


def speech_music_run(full=False, *, seed=0, train_per_class=None, show_progress=True):
    """Extract features, tune on validation, fit on train, predict every test clip.

    Parameters
    ----------
    full : bool
        False: the small grid, the middle 2.5 s of each clip. True: the larger grid, every
        2.5 s window (hop 1.25 s) for training, decisions averaged over a clip's windows.
    seed : int
        Seeds the subset and the models.
    train_per_class : int, optional
        Train on a seeded, class-balanced subset of at most this many clean ``train`` clips per
        class (None: all of them).
    show_progress : bool

    Returns
    -------
    run : dict
        ``records`` (split -> list of records: ``train`` used, ``validation`` clean, ``test``
        all), ``models`` (name -> fitted Pipeline), ``params`` (name -> chosen grid point),
        ``train_s`` (name -> seconds of the final fit), ``val_f`` (name -> list of (params, F)),
        ``test_pred`` (name -> ``(n_test,)`` array of 1 = speech), ``test_true``, ``full``.
        Cached in memory for the session.
    """
    key = (bool(full), int(seed), train_per_class)
    if key in _RUNS:
        return _RUNS[key]
    hop = 54 if full else None
    train = [r for r in _load_split("train") if r["labels"]["condition"] == "clean"]
    if train_per_class is not None:
        train = _balanced_subset(train, int(train_per_class), seed)
    val = [r for r in _load_split("validation") if r["labels"]["condition"] == "clean"]
    test = list(_load_split("test"))
    for name, recs in (("train", train), ("validation", val), ("test", test)):
        labels = {r["labels"]["label"] for r in recs}
        if not {"speech", "music"} <= labels:
            raise ValueError(f"speech_music {name}: needs both speech and music clips, "
                             f"got {sorted(labels)}")
    lab = {s: [r["labels"]["label"] for r in recs]
           for s, recs in (("train", train), ("validation", val), ("test", test))}
    M_tr = _extract(train, show_progress, "train features")
    M_va = _extract(val, show_progress, "validation features")
    M_te = _extract(test, show_progress, "test features")
    X_tr, y_tr, _ = _design(M_tr, lab["train"], hop)
    y_va = np.array([int(v == POSITIVE) for v in lab["validation"]])
    y_te = np.array([int(v == POSITIVE) for v in lab["test"]])

    run = {"records": {"train": train, "validation": val, "test": test}, "models": {},
           "params": {}, "train_s": {}, "val_f": {}, "test_pred": {}, "test_true": y_te,
           "full": bool(full), "seed": int(seed), "n_train_rows": len(X_tr)}
    for name, grid in _GRIDS[bool(full)].items():
        scored = []
        for params in grid:
            pipe = _make(name, params, seed).fit(X_tr, y_tr)
            f = _prf(y_va, (_clip_scores(pipe, M_va, hop) > 0).astype(int))[2]
            scored.append((params, f))
        best = max(scored, key=lambda pf: pf[1])[0]          # first of the ties: grid order
        pipe = _make(name, best, seed)
        t0 = time.perf_counter()
        pipe.fit(X_tr, y_tr)
        run["train_s"][name] = time.perf_counter() - t0
        run["models"][name], run["params"][name], run["val_f"][name] = pipe, best, scored
        run["test_pred"][name] = (_clip_scores(pipe, M_te, hop) > 0).astype(int)
    _RUNS[key] = run
    return run


def speech_music_classical(full=False, *, seed=0, train_per_class=None, show_progress=True,
                           include_seed=True):
    """The speech/music table: the seed's SVM and RF rows, then ours on the clean test clips.

    Parameters
    ----------
    full, seed, train_per_class, show_progress
        As :func:`speech_music_run` (whose cached run is reused).
    include_seed : bool
        Put the seed's two classical rows first.

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`: ``model`` (SVM, RF), ``source`` ("seed" or "ours"), ``input``,
        ``train_s`` (seconds), ``recall``, ``precision``, ``f_measure`` (percent, speech
        positive), ``n_train``, ``n_test`` (clips; None for the seed's rows).

    Examples
    --------
    >>> from mirbook.reproduce import speech_music_classical
    >>> table = speech_music_classical()                      # doctest: +SKIP
    >>> table[["model", "source", "f_measure"]]               # doctest: +SKIP
    """
    import pandas as pd

    run = speech_music_run(full, seed=seed, train_per_class=train_per_class,
                           show_progress=show_progress)
    rows = []
    if include_seed:
        rows += [dict(r, source="seed", n_train=None, n_test=None)
                 for r in SEED_SPEECH_MUSIC if r["model"] != "CNN"]
    clean = np.array([r["labels"]["condition"] == "clean" for r in run["records"]["test"]])
    y_true = run["test_true"][clean]
    for name in ("SVM", "RF"):
        rec, prec, f = _prf(y_true, run["test_pred"][name][clean])
        rows.append({"model": name, "source": "ours", "input": "(1, 3888)",
                     "train_s": run["train_s"][name], "recall": rec, "precision": prec,
                     "f_measure": f, "n_train": len(run["records"]["train"]),
                     "n_test": int(clean.sum())})
    return pd.DataFrame(rows, columns=COLUMNS)


def scores_by_condition(full=False, *, seed=0, train_per_class=None, show_progress=True):
    """Scores of both models on the test clips, one row per (model, condition).

    Noise is split by its stated SNR (``noise 0 dB``, ...). Columns: ``model``, ``condition``,
    ``n`` (clips), ``n_speech``, ``accuracy``, ``recall``, ``precision``, ``f_measure``
    (percent, speech positive; a condition without music clips, such as
    ``speech_over_music``, has precision 100 whenever anything is called speech: read its
    recall and accuracy).

    Returns
    -------
    table : pandas.DataFrame
    """
    import pandas as pd

    run = speech_music_run(full, seed=seed, train_per_class=train_per_class,
                           show_progress=show_progress)
    conds = np.array([_condition_name(r["labels"]) for r in run["records"]["test"]])
    order = ["clean"] + sorted(set(conds) - {"clean"}, key=_condition_order)
    rows = []
    for name in ("SVM", "RF"):
        for c in order:
            m = conds == c
            yt, yp = run["test_true"][m], run["test_pred"][name][m]
            rec, prec, f = _prf(yt, yp)
            rows.append({"model": name, "condition": c, "n": int(m.sum()),
                         "n_speech": int(yt.sum()), "accuracy": 100 * float(np.mean(yt == yp)),
                         "recall": rec, "precision": prec, "f_measure": f})
    return pd.DataFrame(rows)


def _condition_name(labels):
    c = labels["condition"]
    if c == "noise" and "snr_db" in labels:
        return f"noise {float(labels['snr_db']):g} dB"
    return c


def _condition_order(c):
    fixed = ["mp3_32k", "telephone", "reverb", "speech_over_music"]
    if c in fixed:
        return (0, fixed.index(c), 0.0)
    if c.startswith("noise "):
        return (1, 0, -float(c.split()[1]))          # 10, 5, 0 dB: easiest first
    return (2, 0, 0.0)


# --------------------------------------------------------------------------------------------
# Printing and the command line
# --------------------------------------------------------------------------------------------


def data_note(table):
    """One line: what data differs between the seed's rows and ours."""
    ours = table[table["source"] == "ours"]
    n_tr = int(ours["n_train"].iloc[0]) if len(ours) else 0
    n_te = int(ours["n_test"].iloc[0]) if len(ours) else 0
    return (f"Data differ: seed = {SEED_DATA}; ours = the offline speech_music corpus "
            f"(5 s clips: espeak-ng/flite synthetic speech in 14 languages, game-music "
            f"recordings and FluidSynth renderings), {n_tr} training clips, {n_te} clean test "
            f"clips; positive class: {POSITIVE}.")


def format_table(table):
    """The table as aligned text, the seed's rows beside ours, and the data note."""
    head = (f"{'model':<6}{'source':<8}{'input':<14}{'train [s]':>10}{'recall':>9}"
            f"{'precision':>11}{'F-measure':>11}")
    lines = [head, "-" * len(head)]
    for _, r in table.iterrows():
        lines.append(f"{r['model']:<6}{r['source']:<8}{r['input']:<14}{r['train_s']:>10.1f}"
                     f"{r['recall']:>9.2f}{r['precision']:>11.2f}{r['f_measure']:>11.2f}")
    lines.append(data_note(table))
    lines.append(f"Seed rows: {SEED_SOURCE}. The CNN row (3, 108, 12) is Part III's.")
    return "\n".join(lines)


def main(argv=None):
    """``python -m mirbook reproduce speech-music --classical [--full] [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="mirbook reproduce",
        description="Print our numbers beside the seed's tables.")
    parser.add_argument("task", choices=["speech-music"], help="which table")
    parser.add_argument("--classical", action="store_true",
                        help="the SVM and random-forest rows (the CNN row is Part III's)")
    parser.add_argument("--full", action="store_true",
                        help="all training clips, a larger grid, window augmentation (slower)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    ns = parser.parse_args(argv)
    if not ns.classical:
        parser.error("speech-music: only --classical is available here "
                     "(the CNN row belongs to Part III)")
    table = speech_music_classical(ns.full, seed=ns.seed, show_progress=not ns.no_progress)
    print(f"Speech/music discrimination, clean test clips ({'full' if ns.full else 'default'} "
          f"run, seed {ns.seed}); recall / precision / F-measure in %")
    print(format_table(table))
    run = speech_music_run(ns.full, seed=ns.seed)
    print("chosen on validation: " + "; ".join(f"{k} {v}" for k, v in run["params"].items()))
    return 0
