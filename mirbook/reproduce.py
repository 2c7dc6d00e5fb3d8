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
    """Maps of every record (cached), with a progress bar; one BLAS thread while it runs."""
    from mirbook.utils import progress

    try:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(1)
    except ImportError:  # pragma: no cover
        limits = None
    try:
        it = progress(records, desc=desc) if show_progress else records
        return [clip_maps(r["path"]) for r in it]
    finally:
        if limits is not None:
            limits.restore_original_limits()


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
        all clips of ``test_split``), ``models`` (name -> fitted Pipeline), ``params`` (name -> chosen grid point),
        ``train_s`` (name -> seconds of the final fit), ``val_f`` (name -> list of (params, F)),
        ``test_pred`` (name -> ``(n_test,)`` array of 1 = speech), ``test_true``,
        ``full_run``, ``random_state``. Cached in memory for the session.

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
    for name, grid in _GRIDS[bool(full_run)].items():
        scored = []
        for params in grid:
            pipe = make_model(name, params=params, random_state=seed).fit(X_tr, y_tr)
            f = _prf(y_va, (_clip_scores(pipe, M_va, hop) > 0).astype(int))[2]
            scored.append((params, f))
        best = max(scored, key=lambda pf: pf[1])[0]          # first of the ties: grid order
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
            f"(5 s clips: espeak-ng/flite synthetic speech in 14 languages, game-music "
            f"recordings and FluidSynth renderings), {n_tr} training clips, {n_te} clean test "
            f"clips; positive class: {POSITIVE}.")


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
    """``python -m mirbook reproduce speech-music --classical [--full] [--seed N]``.

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
    table = speech_music_classical(full_run=ns.full, random_state=ns.seed,
                                   show_progress=not ns.no_progress)
    print(f"Speech/music discrimination, clean test clips ({'full' if ns.full else 'default'} "
          f"run, seed {ns.seed}); recall / precision / F-measure in %")
    print(format_table(table))
    run = speech_music_run(full_run=ns.full, random_state=ns.seed)
    print("chosen on validation: " + "; ".join(f"{k} {v}" for k, v in run["params"].items()))
    return 0
