"""Our numbers beside the seed's tables: ``python -m mirbook reproduce speech-music --classical``.

The seed lecture (M. Moussallam, *Large Scale Music Information Retrieval*, Peyresq 2018; seed file
``000_3d838ec46a911936.txt``) quotes published numbers: a table for speech/music discrimination,
from J. Royo-Letelier's work at Deezer (2015, ranked in the first three at MIREX 2015: an SVM and a
random forest on a ``(1, 3888)`` input and a CNN on a ``(3, 108, 12)`` input, with training time,
recall, precision and F-measure), the mood tables of Delbouys et al. (ISMIR 2018), the genre
translation pairs of Hennequin et al. (ISMIR 2018), the artist-disambiguation facts of
Royo-Letelier et al. (ISMIR 2018) and scale facts. They ship as package data
(``mirbook/data/paper_tables.json``, each section with its citation), read by
:func:`paper_tables`; :data:`SEED_SPEECH_MUSIC` holds the speech/music rows;
:func:`speech_music_classical` trains the two classical models on the book's offline
``speech_music`` corpus and returns our rows beside them. The CNN row is Part III's.

Protocol (ours; the seed does not give one):

- input: :func:`mirbook.speech_music.seed_input` with ``flatten=True``: 12 MFCC (c1..c12), their
  deltas and delta-deltas over 108 frames (2.5 s) = 3888 numbers per example, the middle 2.5 s of
  each 5-second clip (``full_run=True``: every 2.5 s window with a hop of 1.25 s for training, and
  the decision averaged over the windows of a clip at test time);
- models: scikit-learn ``Pipeline(StandardScaler, SVC)`` (RBF kernel) and
  ``Pipeline(StandardScaler, RandomForestClassifier)``, seeded;
- hyper-parameters: a small grid (``C``/``gamma``; ``n_estimators``/``max_depth``) scored by
  F-measure on the **clean validation clips only**; the chosen model is then refit on ``train``,
  and that fit is the reported training time (seconds, wall clock, this machine);
- scores: on the **clean test clips**, in percent, with **speech as the positive class**
  (recall = share of speech clips detected as speech; precision = share of clips called speech
  that are speech; :func:`mirbook.speech_music.evaluate`). The hard conditions are scored
  separately (:func:`scores_by_condition`);
- default run: every clean ``train`` clip, the middle window, a 2 x 2 grid per model (about 15 s
  on 2 cores); ``full_run=True``: a 4 x 4 / 3 x 3 grid and the window augmentation (about 80 s).
  ``train_per_class`` draws a seeded, class-balanced subset of ``train`` (quick experiments,
  tests).

Features are cached in memory only (per process), so a notebook that calls
:func:`speech_music_run`, :func:`speech_music_classical` and :func:`scores_by_condition` extracts
them once. Chapter: ``notebooks/07_speech_music.ipynb``.
"""

from __future__ import annotations

import argparse
import importlib
import copy
import functools
import json
import time
from importlib import resources

import numpy as np

from mirbook._validate import nonneg_int, one_of, positive_int
from mirbook.config import SR
from mirbook.errors import ParameterError
from mirbook.speech_music import POSITIVE, evaluate

__all__ = [
    "SEED_SOURCE", "SEED_DATA", "SEED_SPEECH_MUSIC", "POSITIVE", "COLUMNS", "paper_tables",
    "speech_music_run", "speech_music_classical", "scores_by_condition", "condition_name",
    "clip_maps", "windows", "make_model", "format_table", "data_note", "main",
    "speech_music_transfer", "format_transfer",
    "seed_maps", "speech_music_cnn", "speech_music_table",
]


@functools.lru_cache(maxsize=1)
def _tables():
    text = resources.files("mirbook").joinpath("data/paper_tables.json").read_text("utf-8")
    return json.loads(text)


def paper_tables(name=None):
    """The seed's published numbers, as shipped in ``mirbook/data/paper_tables.json``.

    Parameters
    ----------
    name : {None, "speech_music", "mood", "genre_translation", "artist_disambiguation", \
"scale"}
        One section (a dict with its ``citation``), or all of them (None).

    Returns
    -------
    tables : dict
        A copy: changing it does not change the package data.

    Examples
    --------
    >>> t = paper_tables("speech_music")
    >>> [r["model"] for r in t["rows"]], t["rows"][0]["f_measure"]
    (['SVM', 'RF', 'CNN'], 85.83)
    >>> paper_tables("mood")["rows"][0]["happy_sad_accuracy"]
    80.26

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    tables = _tables()
    if name is None:
        return copy.deepcopy(tables)
    names = [k for k in tables if isinstance(tables[k], dict) and "citation" in tables[k]]
    one_of(name, "name", names)
    return copy.deepcopy(tables[name])


#: Where the seed's numbers come from.
SEED_SOURCE = ("seed " + _tables()["seed"]["file"] + ": " + _tables()["seed"]["lecture"]
               + ", speech/music slide (" + _tables()["speech_music"]["citation"].split(";")[0]
               + ")")

#: The data behind the seed's numbers.
SEED_DATA = _tables()["speech_music"]["data"]

#: The seed's speech/music table, as published (training time in seconds, scores in percent).
SEED_SPEECH_MUSIC = tuple(_tables()["speech_music"]["rows"])

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

_FEATURES = {}      # (path, sr, hop_length) -> (3, T, 12) float32 maps: memory only
_RUNS = {}          # run key -> run dict


# --------------------------------------------------------------------------------------------
# Data and features
# --------------------------------------------------------------------------------------------


def _load_split(split):
    """Records of one split of ``speech_music`` (a seam for the tests)."""
    from mirbook import datasets

    return datasets.load("speech_music", split=split)


def _balanced_subset(records, per_class, random_state):
    """At most ``per_class`` records of each label, drawn with a seeded generator, order kept."""
    rng = np.random.default_rng(random_state)
    keep = set()
    for label in sorted({r["labels"]["label"] for r in records}):
        idx = [i for i, r in enumerate(records) if r["labels"]["label"] == label]
        if len(idx) > per_class:
            idx = rng.choice(idx, size=per_class, replace=False).tolist()
        keep.update(idx)
    return [r for i, r in enumerate(records) if i in keep]


def clip_maps(path, *, sr=SR, hop_length=512):
    """The seed-style maps of a whole clip: ``(3, T, 12)`` (MFCC c1..c12, delta, delta-delta).

    ``seed_input(y, n_frames=T, start=0)`` with T the clip's frame count (at least 108): any
    108-frame window of it equals ``seed_input(y, start=s)`` (the deltas are computed on the
    whole clip). Cached in memory for the session.

    Parameters
    ----------
    path : str or os.PathLike
        An audio file, loaded mono at ``sr``.
    sr, hop_length : int

    Returns
    -------
    maps : np.ndarray, shape (3, n_frames, 12), float32
        Time-major, as :func:`mirbook.speech_music.seed_input`.

    Examples
    --------
    >>> maps = clip_maps("speech.wav")                        # doctest: +SKIP
    >>> windows(maps).shape                                   # doctest: +SKIP
    (1, 3888)

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    from mirbook import io
    from mirbook.speech_music import seed_input

    hop_length = positive_int(hop_length, "hop_length")
    key = (str(path), sr, hop_length)
    if key not in _FEATURES:
        y, _ = io.load_audio(path, sr=sr)
        n_total = max(1 + y.shape[-1] // hop_length, 108)
        x = seed_input(y, sr=sr, n_frames=n_total, start=0, hop_length=hop_length)
        _FEATURES[key] = x.astype(np.float32)
    return _FEATURES[key]


def windows(F, *, n_frames=108, hop_frames=None):
    """Flat 3888-d rows of a clip's maps: the middle window, or every window (``hop_frames``).

    The windows are cut by :func:`mirbook.features.stacked_frames` (middle: ``start=None``;
    every window: ``hop_frames``).

    Parameters
    ----------
    F : np.ndarray, shape (C, T, n_bands)
        Feature maps from :func:`clip_maps` (time-major).
    n_frames : int
    hop_frames : int, optional

    Returns
    -------
    rows : np.ndarray, shape (n_windows, C * n_frames * n_bands)
        Of the dtype of ``F`` (float32 from :func:`clip_maps`).

    Examples
    --------
    >>> import numpy as np
    >>> maps = np.zeros((3, 300, 12))
    >>> windows(maps).shape, windows(maps, hop_frames=54).shape
    ((1, 3888), (4, 3888))

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    from mirbook.features import stacked_frames

    F = np.asarray(F)
    if F.ndim != 3:
        raise ParameterError(f"F: expected shape (C, T, n_bands), got {F.shape}")
    band_major = np.swapaxes(F, -1, -2)                            # (C, n_bands, T)
    if hop_frames is None:
        block = stacked_frames(band_major, n_frames=n_frames, start=None)[None]
    else:
        block = stacked_frames(band_major, n_frames=n_frames, hop_frames=hop_frames)
    dtype = F.dtype if np.issubdtype(F.dtype, np.floating) else np.float64
    return block.reshape(block.shape[0], -1).astype(dtype, copy=False)


def _extract(records, show_progress=True, desc="features"):
    """Maps of every record (cached in memory and on disk by :func:`seed_maps`)."""
    return seed_maps(records, show_progress=show_progress)


def _design(maps_list, labels, hop_frames):
    """Rows and labels (1 = speech) and the clip index of every row."""
    X, y, clip = [], [], []
    for i, (m, lab) in enumerate(zip(maps_list, labels)):
        w = windows(m, hop_frames=hop_frames)
        X.append(w)
        y.extend([int(lab == POSITIVE)] * len(w))
        clip.extend([i] * len(w))
    return np.concatenate(X).astype(np.float64), np.array(y), np.array(clip)


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def make_model(model, *, params=None, random_state=0):
    """The chapter's classifier: ``Pipeline(StandardScaler, SVC)`` or ``(..., RandomForest)``.

    Parameters
    ----------
    model : {"SVM", "RF"}
        RBF-kernel ``sklearn.svm.SVC``, or ``sklearn.ensemble.RandomForestClassifier``
        (``n_jobs=1``).
    params : dict, optional
        Hyper-parameters of the classifier (e.g. ``{"C": 10.0, "gamma": 1e-4}``; the run's
        choice is ``speech_music_run()["params"][model]``).
    random_state : int
        Seeds the classifier.

    Returns
    -------
    pipe : sklearn.pipeline.Pipeline
        Unfitted.

    Examples
    --------
    >>> make_model("SVM", params={"C": 10.0}).named_steps["clf"].C
    10.0

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    one_of(model, "model", ("SVM", "RF"))
    random_state = nonneg_int(random_state, "random_state")
    params = dict(params or {})
    if model == "SVM":
        clf = SVC(kernel="rbf", random_state=random_state, **params)
    else:
        clf = RandomForestClassifier(random_state=random_state, n_jobs=1, **params)
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
    s = evaluate(y_true, y_pred)
    return 100 * s["recall"], 100 * s["precision"], 100 * s["f_measure"]


def speech_music_run(*, full_run=False, random_state=0, train_per_class=None,
                     show_progress=True, test_split="test"):
    """Extract features, tune on validation, fit on train, predict every test clip.

    Parameters
    ----------
    full_run : bool
        False: the small grid, the middle 2.5 s of each clip. True: the larger grid, every
        2.5 s window (hop 1.25 s) for training, decisions averaged over a clip's windows.
    random_state : int
        Seeds the subset and the models (an int: the run is cached under it).
    train_per_class : int, optional
        Train on a seeded, class-balanced subset of at most this many clean ``train`` clips per
        class (None: all of them).
    show_progress : bool
    test_split : {"test", "transfer"}
        The clips to predict: the in-distribution ``test`` split (voices, artists and pieces
        unseen, sources seen), or the disjoint-source ``transfer`` split (recorded speakers,
        engines, packages and artists never used in training).

    Returns
    -------
    run : dict
        ``records`` (split -> list of records: ``train`` used, ``validation`` clean, ``test``
        all clips of ``test_split``), ``models`` (name -> fitted Pipeline), ``params``
        (name -> chosen grid point),
        ``train_s`` (name -> seconds of the final fit), ``val_f`` (name -> list of (params, F)),
        ``test_pred`` (name -> ``(n_test,)`` array of 1 = speech), ``test_true``,
        ``full_run``, ``random_state``. Cached in memory for the session; a run that
        differs from a cached one only by ``test_split`` reuses its fitted models.

    Examples
    --------
    >>> run = speech_music_run()                              # doctest: +SKIP
    >>> run["params"]["SVM"]                                  # doctest: +SKIP

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    seed = nonneg_int(random_state, "random_state")
    if train_per_class is not None:
        train_per_class = positive_int(train_per_class, "train_per_class")
    one_of(test_split, "test_split", ("test", "transfer"))
    key = (bool(full_run), seed, train_per_class, test_split)
    if key in _RUNS:
        return _RUNS[key]
    hop = 54 if full_run else None
    train = [r for r in _load_split("train") if r["labels"]["condition"] == "clean"]
    if train_per_class is not None:
        train = _balanced_subset(train, train_per_class, seed)
    val = [r for r in _load_split("validation") if r["labels"]["condition"] == "clean"]
    test = list(_load_split(test_split))
    for name, recs in (("train", train), ("validation", val), ("test", test)):
        labels = {r["labels"]["label"] for r in recs}
        if not {"speech", "music"} <= labels:
            raise ParameterError(f"speech_music {name}: needs both speech and music clips, "
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
           "full_run": bool(full_run), "random_state": seed, "n_train_rows": len(X_tr)}
    # the same training and validation data under another test split: reuse its fit
    same_fit = next((r for k, r in _RUNS.items() if k[:3] == key[:3]), None)
    for name, grid in _GRIDS[bool(full_run)].items():
        if same_fit is not None:
            run["train_s"][name] = same_fit["train_s"][name]
            pipe, best, scored = (same_fit["models"][name], same_fit["params"][name],
                                  same_fit["val_f"][name])
        else:
            scored = []
            for params in grid:
                pipe = make_model(name, params=params, random_state=seed).fit(X_tr, y_tr)
                f = _prf(y_va, (_clip_scores(pipe, M_va, hop) > 0).astype(int))[2]
                scored.append((params, f))
            best = max(scored, key=lambda pf: pf[1])[0]      # first of the ties: grid order
            pipe = make_model(name, params=best, random_state=seed)
            t0 = time.perf_counter()
            pipe.fit(X_tr, y_tr)
            run["train_s"][name] = time.perf_counter() - t0
        run["models"][name], run["params"][name], run["val_f"][name] = pipe, best, scored
        run["test_pred"][name] = (_clip_scores(pipe, M_te, hop) > 0).astype(int)
    _RUNS[key] = run
    return run


def speech_music_classical(*, full_run=False, random_state=0, train_per_class=None,
                           show_progress=True, include_seed=True, test_split="test"):
    """The speech/music table: the seed's SVM and RF rows, then ours on the clean test clips.

    Parameters
    ----------
    full_run, random_state, train_per_class, show_progress, test_split
        As :func:`speech_music_run` (whose cached run is reused); ``test_split="transfer"``
        scores the disjoint-source test.
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

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    import pandas as pd

    run = speech_music_run(full_run=full_run, random_state=random_state,
                           train_per_class=train_per_class, show_progress=show_progress,
                           test_split=test_split)
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


def scores_by_condition(*, full_run=False, random_state=0, train_per_class=None,
                        show_progress=True):
    """Scores of both models on the test clips, one row per (model, condition).

    Noise is split by its stated SNR (``noise 0 dB``, ...). Columns: ``model``, ``condition``,
    ``n`` (clips), ``n_speech``, ``accuracy``, ``recall``, ``precision``, ``f_measure``
    (percent, speech positive; a condition without music clips, such as
    ``speech_over_music``, has precision 100 whenever anything is called speech: read its
    recall and accuracy).

    Parameters
    ----------
    full_run, random_state, train_per_class, show_progress
        As :func:`speech_music_run` (whose cached run is reused).

    Returns
    -------
    table : pandas.DataFrame

    Examples
    --------
    >>> scores_by_condition()[["model", "condition", "accuracy"]]   # doctest: +SKIP

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    import pandas as pd

    run = speech_music_run(full_run=full_run, random_state=random_state,
                           train_per_class=train_per_class, show_progress=show_progress)
    conds = np.array([condition_name(r["labels"]) for r in run["records"]["test"]])
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


def condition_name(labels):
    """The test condition of a clip as the chapter names it: noise split by its stated SNR.

    Parameters
    ----------
    labels : dict
        A record's ``labels`` (``condition``, and ``snr_db`` for noise).

    Returns
    -------
    name : str
        ``"clean"``, ``"noise 5 dB"``, ``"mp3_32k"``, ``"telephone"``, ``"reverb"``,
        ``"speech_over_music"``...

    Examples
    --------
    >>> condition_name({"condition": "noise", "snr_db": 5.0})
    'noise 5 dB'

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
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
    """One line: what data differs between the seed's rows and ours.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`speech_music_classical`.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> data_note(pd.DataFrame(columns=COLUMNS))[:40]
    'Data differ: seed = Deezer dataset: 41,0'

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    ours = table[table["source"] == "ours"]
    n_tr = int(ours["n_train"].iloc[0]) if len(ours) else 0
    n_te = int(ours["n_test"].iloc[0]) if len(ours) else 0
    return (f"Data differ: seed = {SEED_DATA}; ours = the offline speech_music corpus "
            f"(5 s clips: recorded and synthetic speech, game-music recordings and "
            f"FluidSynth renderings, one random recording channel for both classes), "
            f"{n_tr} training clips, {n_te} clean test clips; positive class: {POSITIVE}.")


def format_table(table):
    """The table as aligned text, the seed's rows beside ours, and the data note.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`speech_music_classical`.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> seed = pd.DataFrame([dict(r, source="seed") for r in SEED_SPEECH_MUSIC[:1]])
    >>> print(format_table(seed).splitlines()[2])
    SVM   seed    (1, 3888)           40.0    82.17      89.83      85.83

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    w = max([8] + [len(str(v)) + 2 for v in table["source"]])
    head = (f"{'model':<6}{'source':<{w}}{'input':<14}{'train [s]':>10}{'recall':>9}"
            f"{'precision':>11}{'F-measure':>11}")
    lines = [head, "-" * len(head)]
    for _, r in table.iterrows():
        lines.append(f"{r['model']:<6}{r['source']:<{w}}{r['input']:<14}{r['train_s']:>10.1f}"
                     f"{r['recall']:>9.2f}{r['precision']:>11.2f}{r['f_measure']:>11.2f}")
    lines.append(data_note(table))
    if "CNN" in set(table["model"]):
        lines.append(f"Seed rows: {SEED_SOURCE}. Training times are measured on this "
                     "machine (the seed's on its own hardware and data).")
    else:
        lines.append(f"Seed rows: {SEED_SOURCE}. The CNN row (3, 108, 12) is Part III's.")
    return "\n".join(lines)


#: The other tables: task name -> the module whose ``reproduce_main(argv)`` prints it (each
#: task module owns its experiment; this module owns the seed's numbers and the CLI).
TASKS = {
    "mood": "mirbook.mood",
    "genre-translation": "mirbook.genres",
}


def main(argv=None):
    """``python -m mirbook reproduce speech-music|mood|genre-translation [options]``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status (0).

    Examples
    --------
    >>> main(["speech-music", "--classical", "--no-progress"])   # doctest: +SKIP
    """
    argv = list(argv or [])
    if argv and argv[0] in TASKS:
        module = importlib.import_module(TASKS[argv[0]])
        return module.reproduce_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="mirbook reproduce",
        description="Print our numbers beside the seed's tables.")
    parser.add_argument("task", choices=["speech-music", *sorted(TASKS)], help="which table")
    parser.add_argument("--classical", action="store_true",
                        help="the SVM and random-forest rows (the CNN row is Part III's)")
    parser.add_argument("--full", action="store_true",
                        help="all training clips, a larger grid, window augmentation (slower)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    ns = parser.parse_args(argv)
    if not ns.classical:
        return _print_whole_table(ns)
    import pandas as pd

    kw = {"full_run": ns.full, "random_state": ns.seed, "show_progress": not ns.no_progress}
    table = speech_music_classical(**kw)
    transfer = speech_music_classical(test_split="transfer", include_seed=False, **kw)
    transfer["source"] = "transfer"
    print(f"Speech/music discrimination ({'full' if ns.full else 'default'} run, seed "
          f"{ns.seed}); recall / precision / F-measure in %, speech positive")
    print(format_table(pd.concat([table, transfer], ignore_index=True)))
    print("ours = the clean test clips (new voices and pieces, sources seen in training); "
          "transfer = the clean transfer clips (speakers, engines, packages and artists "
          "never used in training).")
    print()
    print("Per class, in-distribution (test) and disjoint-source (transfer) clips:")
    print(format_transfer(speech_music_transfer(**kw)))
    run = speech_music_run(full_run=ns.full, random_state=ns.seed)
    print("chosen on validation: " + "; ".join(f"{k} {v}" for k, v in run["params"].items()))
    return 0


def speech_music_transfer(*, full_run=False, random_state=0, train_per_class=None,
                          show_progress=True):
    """Per-class scores of both models, in-distribution (``test``) and disjoint-source.

    The models of :func:`speech_music_run` (tuned on the clean validation clips, the same fit
    for both rows of a model) scored on the clean clips of the ``test`` split (new voices and
    pieces from sources seen in training) and of the ``transfer`` split (speakers, engines,
    packages and artists never used in training).

    Parameters
    ----------
    full_run, random_state, train_per_class, show_progress
        As :func:`speech_music_run` (whose cached runs are reused).

    Returns
    -------
    table : pandas.DataFrame
        One row per (model, split): ``model`` (SVM, RF), ``split`` ("test", "transfer"),
        ``n_speech``, ``n_music`` (clean clips), ``speech_recall`` (share of speech clips
        called speech), ``music_recall`` (share of music clips called music), ``precision``,
        ``f_measure`` (speech positive), ``accuracy``, all in percent, and ``val_f`` (the
        validation F-measure of the chosen hyper-parameters: the number that picks the model).

    Examples
    --------
    >>> t = speech_music_transfer()                           # doctest: +SKIP
    >>> t.set_index(["model", "split"])["speech_recall"]      # doctest: +SKIP

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    import pandas as pd

    rows = []
    runs = {split: speech_music_run(full_run=full_run, random_state=random_state,
                                    train_per_class=train_per_class,
                                    show_progress=show_progress, test_split=split)
            for split in ("test", "transfer")}
    for name in ("SVM", "RF"):
        for split, run in runs.items():
            clean = np.array([r["labels"]["condition"] == "clean"
                              for r in run["records"]["test"]])
            yt, yp = run["test_true"][clean], run["test_pred"][name][clean]
            s = evaluate(yt, yp)
            music = yt == 0
            rows.append({"model": name, "split": split, "n_speech": int(yt.sum()),
                         "n_music": int(music.sum()), "speech_recall": 100 * s["recall"],
                         "music_recall": 100 * float(np.mean(yp[music] == 0))
                         if music.any() else 0.0,
                         "precision": 100 * s["precision"], "f_measure": 100 * s["f_measure"],
                         "accuracy": 100 * s["accuracy"],
                         "val_f": max(f for _, f in run["val_f"][name])})
    return pd.DataFrame(rows)


def format_transfer(table):
    """:func:`speech_music_transfer`'s table as aligned text.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`speech_music_transfer`.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame([{"model": "RF", "split": "transfer", "n_speech": 114,
    ...                    "n_music": 90, "speech_recall": 91.2, "music_recall": 86.7,
    ...                    "precision": 89.7, "f_measure": 90.4, "accuracy": 89.2,
    ...                    "val_f": 91.7}])
    >>> print(format_transfer(t).splitlines()[2])
    RF    transfer  114+90          91.2      86.7       89.7   90.4     91.7

    Used by ``python -m mirbook reproduce speech-music --classical``.
    """
    head = (f"{'model':<6}{'split':<10}{'clips':<9}{'speech rec':>11}{'music rec':>10}"
            f"{'precision':>11}{'F':>7}{'val. F':>9}")
    lines = [head, "-" * len(head)]
    for _, r in table.iterrows():
        clips = f"{int(r['n_speech'])}+{int(r['n_music'])}"
        lines.append(f"{r['model']:<6}{r['split']:<10}{clips:<9}{r['speech_recall']:>11.1f}"
                     f"{r['music_recall']:>10.1f}{r['precision']:>11.1f}{r['f_measure']:>7.1f}"
                     f"{r['val_f']:>9.1f}")
    lines.append("clips: clean speech + music; rec = recall of that class; precision and F "
                 "with speech positive; val. F: the validation F-measure that chose the "
                 "hyper-parameters (and the model).")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Chapter 11: the CNN row, the whole table
# --------------------------------------------------------------------------------------------

#: Where :func:`seed_maps` keeps its ``.npz`` files (None: :func:`mirbook.featcache` default,
#: ``data_home()/features``).
_MAPS_CACHE_DIR = None

_CNN_FITS = {}      # fit key -> trained CNN, its history, normalisation, records


def _file_id(path):
    import os

    st = os.stat(path)
    return [str(path), int(st.st_size), int(st.st_mtime_ns)]


def _maps_worker(item):
    """One clip's maps (module level: pickled to worker processes)."""
    path, sr, hop_length = item
    return clip_maps(path, sr=sr, hop_length=hop_length)


def seed_maps(records, *, sr=SR, hop_length=512, n_jobs=1, show_progress=True, disk=True):
    """The :func:`clip_maps` of many clips, computed once: in memory and in a ``.npz`` file.

    The maps of a list of clips are cached with :func:`mirbook.featcache.cached_features`,
    keyed by every file's path, size and modification time and the feature parameters, so
    chapter 7 (SVM, RF) and chapter 11 (CNN) extract the same features once between them; a
    rebuilt corpus is extracted again. They also fill :func:`clip_maps`'s memory cache.

    Parameters
    ----------
    records : sequence of dict or path
        Corpus records (their ``path``) or audio file paths.
    sr, hop_length : int
    n_jobs : int
        Processes for the extraction (-1: every core).
    show_progress : bool
    disk : bool
        Keep the ``.npz`` file (False: memory only).

    Returns
    -------
    maps : list of np.ndarray, shape (3, n_frames, 12), float32
        One per record, in order (read-only: shared by every caller).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from mirbook import io
    >>> path = os.path.join(tempfile.mkdtemp(), "noise.wav")
    >>> y = 0.1 * np.random.default_rng(0).standard_normal(3 * 22050)
    >>> _ = io.save_audio(path, y.astype("float32"), sr=22050)
    >>> [m.shape for m in seed_maps([path], show_progress=False, disk=False)]
    [(3, 130, 12)]

    Used in the chapter notebooks ``notebooks/07_speech_music.ipynb`` and
    ``notebooks/11_cnn_spectrograms.ipynb``.
    """
    from mirbook import featcache
    from mirbook.utils import parallel_map

    hop_length = positive_int(hop_length, "hop_length")
    if n_jobs != -1:
        n_jobs = positive_int(n_jobs, "n_jobs")
    paths = [str(r["path"]) if isinstance(r, dict) else str(r) for r in records]
    if not paths:
        raise ParameterError("records: no clips")
    keys = [(p, sr, hop_length) for p in paths]
    if all(k in _FEATURES for k in keys):
        return [_FEATURES[k] for k in keys]

    def compute():
        todo = sorted({k for k in keys if k not in _FEATURES})
        try:
            from threadpoolctl import threadpool_limits
            limits = threadpool_limits(1)
        except ImportError:  # pragma: no cover
            limits = None
        try:
            got = parallel_map(todo, func=_maps_worker, n_jobs=n_jobs,
                               desc="features" if show_progress else None)
        finally:
            if limits is not None:
                limits.restore_original_limits()
        done = dict(zip(todo, got))
        maps = [_FEATURES[k] if k in _FEATURES else done[k] for k in keys]
        return {"maps": np.concatenate(maps, axis=1).astype(np.float32),
                "lengths": np.array([m.shape[1] for m in maps])}

    key = {"what": "mirbook.reproduce.seed_maps", "version": 1, "sr": sr,
           "hop_length": hop_length, "files": [_file_id(p) for p in paths]}
    got = featcache.cached_features(key, compute=compute, cache_dir=_MAPS_CACHE_DIR, disk=disk)
    edges = np.concatenate([[0], np.cumsum(got["lengths"])])
    for k, a, b in zip(keys, edges[:-1], edges[1:]):
        _FEATURES.setdefault(k, got["maps"][:, a:b])
    return [_FEATURES[k] for k in keys]


def _cnn_inputs(maps_list, mean, std, hop_frames):
    """Normalised ``(n_windows, 3, 108, 12)`` float32 inputs and the clip of every window."""
    X, clip = [], []
    for i, m in enumerate(maps_list):
        w = windows(m, hop_frames=hop_frames).reshape(-1, *m.shape[:1], 108, m.shape[-1])
        X.append(w)
        clip.extend([i] * len(w))
    X = (np.concatenate(X) - mean) / std
    return X.astype(np.float32), np.array(clip)


def _cnn_fit(full_run, seed, train_per_class, epochs, patience, n_jobs, show_progress):
    from mirbook.models import SeedCNN
    from mirbook.train import fit

    key = (bool(full_run), seed, train_per_class, epochs, patience)
    if key in _CNN_FITS:
        return _CNN_FITS[key]
    train = [r for r in _load_split("train") if r["labels"]["condition"] == "clean"]
    if train_per_class is not None:
        train = _balanced_subset(train, train_per_class, seed)
    val = [r for r in _load_split("validation") if r["labels"]["condition"] == "clean"]
    for name, recs in (("train", train), ("validation", val)):
        if not {"speech", "music"} <= {r["labels"]["label"] for r in recs}:
            raise ParameterError(f"speech_music {name}: needs both speech and music clips")
    M_tr = seed_maps(train, n_jobs=n_jobs, show_progress=show_progress)
    M_va = seed_maps(val, n_jobs=n_jobs, show_progress=show_progress)
    allm = np.concatenate(M_tr, axis=1)                        # (3, sum T, 12)
    mean = allm.mean(axis=1)[None, :, None, :]
    std = allm.std(axis=1)[None, :, None, :] + 1e-6
    hop = 27 if full_run else None
    X_tr, clip_tr = _cnn_inputs(M_tr, mean, std, hop)
    y_clip = np.array([int(r["labels"]["label"] == POSITIVE) for r in train])
    X_va, clip_va = _cnn_inputs(M_va, mean, std, None)
    y_va = np.array([int(r["labels"]["label"] == POSITIVE) for r in val])[clip_va]
    model = SeedCNN(n_classes=2, random_state=seed)
    t0 = time.perf_counter()
    history = fit(model, (X_tr, y_clip[clip_tr]), validation=(X_va, y_va), epochs=epochs,
                  patience=patience, random_state=seed, n_jobs=n_jobs,
                  show_progress=show_progress)
    out = {"model": model, "history": history, "train_s": time.perf_counter() - t0,
           "mean": mean, "std": std, "hop_frames": hop, "n_train_rows": len(X_tr),
           "records": {"train": train, "validation": val}}
    _CNN_FITS[key] = out
    return out


def speech_music_cnn(*, full_run=False, random_state=0, train_per_class=None, epochs=30,
                     patience=5, n_jobs=1, show_progress=True, include_seed=True,
                     test_split="test", return_info=False):
    """The CNN row of the seed's table: :class:`mirbook.models.SeedCNN` on ``(3, 108, 12)``.

    The same clips and the same numbers as the SVM/RF of :func:`speech_music_run` (the seed's
    3888 values, unflattened): trained on the clean ``train`` clips (the middle 2.5 s;
    ``full_run=True``: every 2.5 s window with a hop of 27 frames), each of the 36
    (channel, coefficient) rows standardised with the training statistics, Adam, early
    stopping on the balanced accuracy of the clean validation clips (the best epoch's weights
    are kept). The training time is the wall clock of :func:`mirbook.train.fit`. Scored on the
    clean clips of ``test_split``, speech positive, a clip called speech when its speech
    probability (averaged over its windows) exceeds 0.5. The fit is cached in memory: the
    ``test`` and ``transfer`` rows share it.

    Parameters
    ----------
    full_run, random_state, train_per_class, show_progress, test_split
        As :func:`speech_music_run`.
    epochs, patience : int
        Most epochs; early stopping after ``patience`` epochs without a better validation
        score.
    n_jobs : int
        Torch threads for the fit and processes for the feature extraction.
    include_seed : bool
        Put the seed's CNN row first.
    return_info : bool
        Also return a dict: ``model`` (trained, eval mode), ``history``
        (:class:`mirbook.train.History`), ``records`` (``train``, ``validation``, ``test``),
        ``test_true``, ``test_pred`` (1 = speech), ``test_score`` (speech probability),
        ``mean``, ``std`` (the normalisation, shape ``(1, 3, 1, 12)``), ``train_s``.

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`, rows CNN seed (if ``include_seed``) and CNN ours.
    info : dict
        Only with ``return_info=True``.

    Examples
    --------
    >>> table, info = speech_music_cnn(return_info=True)       # doctest: +SKIP
    >>> table[["model", "source", "f_measure"]]                 # doctest: +SKIP

    Used in the chapter notebook ``notebooks/11_cnn_spectrograms.ipynb``.
    """
    import pandas as pd
    import torch

    from mirbook.train import predict

    seed = nonneg_int(random_state, "random_state")
    if train_per_class is not None:
        train_per_class = positive_int(train_per_class, "train_per_class")
    epochs = positive_int(epochs, "epochs")
    patience = positive_int(patience, "patience")
    n_jobs = positive_int(n_jobs, "n_jobs")
    one_of(test_split, "test_split", ("test", "transfer"))
    fitted = _cnn_fit(full_run, seed, train_per_class, epochs, patience, n_jobs, show_progress)
    test = list(_load_split(test_split))
    if not test:
        raise ParameterError(f"speech_music {test_split}: no clips")
    M_te = seed_maps(test, n_jobs=n_jobs, show_progress=show_progress)
    X_te, clip_te = _cnn_inputs(M_te, fitted["mean"], fitted["std"], fitted["hop_frames"])
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(n_jobs)
        p = predict(fitted["model"], X_te, activation="softmax")[:, 1]
    finally:
        torch.set_num_threads(threads)
    score = np.bincount(clip_te, weights=p) / np.bincount(clip_te)
    y_true = np.array([int(r["labels"]["label"] == POSITIVE) for r in test])
    y_pred = (score > 0.5).astype(int)
    clean = np.array([r["labels"]["condition"] == "clean" for r in test])
    rows = []
    if include_seed:
        rows += [dict(r, source="seed", n_train=None, n_test=None)
                 for r in SEED_SPEECH_MUSIC if r["model"] == "CNN"]
    rec, prec, f = _prf(y_true[clean], y_pred[clean])
    rows.append({"model": "CNN", "source": "ours", "input": "(3, 108, 12)",
                 "train_s": fitted["train_s"], "recall": rec, "precision": prec,
                 "f_measure": f, "n_train": len(fitted["records"]["train"]),
                 "n_test": int(clean.sum())})
    table = pd.DataFrame(rows, columns=COLUMNS)
    if not return_info:
        return table
    info = {"model": fitted["model"], "history": fitted["history"],
            "records": dict(fitted["records"], test=test), "test_true": y_true,
            "test_pred": y_pred, "test_score": score, "mean": fitted["mean"],
            "std": fitted["std"], "train_s": fitted["train_s"]}
    return table, info


def speech_music_table(*, full_run=False, random_state=0, show_progress=True,
                       test_split="test", include_seed=True, **cnn):
    """The seed's whole table: SVM, RF and CNN, the seed's rows then ours.

    Parameters
    ----------
    full_run, random_state, show_progress, test_split, include_seed
        As :func:`speech_music_classical` and :func:`speech_music_cnn`.
    **cnn
        Passed to :func:`speech_music_cnn` (``epochs``, ``patience``, ``n_jobs``...).

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`; rows SVM, RF, CNN (seed), then SVM, RF, CNN (ours).

    Examples
    --------
    >>> speech_music_table(test_split="transfer")               # doctest: +SKIP

    Used in the chapter notebook ``notebooks/11_cnn_spectrograms.ipynb`` and by
    ``python -m mirbook reproduce speech-music``.
    """
    import pandas as pd

    kw = {"full_run": full_run, "random_state": random_state, "show_progress": show_progress,
          "test_split": test_split, "include_seed": include_seed}
    classical = speech_music_classical(**kw)
    deep = speech_music_cnn(**kw, **cnn)
    table = pd.concat([classical, deep], ignore_index=True)
    order = {"seed": 0, "ours": 1}
    table["_o"] = table["source"].map(order)
    return table.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def _print_whole_table(ns):
    """``python -m mirbook reproduce speech-music`` without ``--classical``."""
    kw = {"full_run": ns.full, "random_state": ns.seed, "show_progress": not ns.no_progress}
    print(f"Speech/music discrimination, the seed's whole table "
          f"({'full' if ns.full else 'default'} run, seed {ns.seed}); recall / precision / "
          f"F-measure in %, speech positive")
    for split, what in (("test", "in-distribution: the clean test clips (new voices and "
                                 "pieces, sources seen in training)"),
                        ("transfer", "disjoint sources: the clean transfer clips (speakers, "
                                     "engines, packages and artists never used in training)")):
        table = speech_music_table(test_split=split, include_seed=split == "test", **kw)
        print()
        print(f"{split}: {what}")
        print(format_table(table))
    return 0
