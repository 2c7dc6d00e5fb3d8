"""Lossy-compression detection: a task module (features, labelled set, validate, evaluate).

Chapter 2's detector (``notebooks/02_compression.ipynb``): whatever the codec, lossy compression
leaves traces -- a low-pass "shelf", spectral holes, coefficients set to zero -- that
:func:`detection_features` measures, in the spirit of Hennequin, Royo-Letelier and Moussallam,
*Codec independent lossy audio compression detection*, ICASSP 2017. :func:`apply_condition` makes
the version of a signal a file made under a condition (``"mp3@64"``, ``"aac@96>flac"``...) would
hold, :func:`detection_set` the labelled feature set, :func:`is_lossy` the label, and
:func:`validate` / :func:`evaluate` score a detector (mir_eval style, lossy = positive class).

>>> is_lossy("mp3@128"), is_lossy("resample@48000"), is_lossy("aac@96>flac")
(True, False, True)
"""

from __future__ import annotations

import numpy as np

from mirbook._validate import finite_real, positive_int
from mirbook.codecs import _check_codec, _to_int16, decode, encode, roundtrip
from mirbook.errors import CodecError, ParameterError
from mirbook.io import check_sr, resample, validate_audio

__all__ = ["N_BANDS", "HOLE_DB", "detection_features", "detection_feature_names",
           "apply_condition", "detection_set", "is_lossy", "validate", "evaluate",
           "train_detector", "accuracy_by_condition"]

#: Defaults of :func:`detection_features`.
N_BANDS = 16
HOLE_DB = 80.0
SHELF_WIDTH = 0.03
#: Bit depth whose rounding noise sets the floor of the ``floor*`` features (files are 16-bit).
FLOOR_BITS = 16
#: Margins (dB) above that floor for ``floor6_b`` and ``floor20_b``; in-band dip (dB) for ``sparse_b``.
FLOOR_DB = (6.0, 20.0)
SPARSE_DB = 30.0


def detection_feature_names(*, n_bands=N_BANDS):
    """Names of the entries of :func:`detection_features`, in order.

    Parameters
    ----------
    n_bands : int

    Returns
    -------
    names : list of str, length ``7 * n_bands + 2``

    Examples
    --------
    >>> names = detection_feature_names()
    >>> len(names), names[0], names[64], names[-1]
    (114, 'level_0', 'shelf_db', 'sparse_15')

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    n_bands = positive_int(n_bands, "n_bands")
    return ([f"level_{b}" for b in range(n_bands)] + [f"holes_{b}" for b in range(n_bands)]
            + [f"flicker_{b}" for b in range(n_bands)] + [f"flatness_{b}" for b in range(n_bands)]
            + ["shelf_db", "shelf_position"]
            + [f"floor{int(m)}_{b}" for m in FLOOR_DB for b in range(n_bands)]
            + [f"sparse_{b}" for b in range(n_bands)])


def detection_features(y, *, sr, n_fft=None, n_bands=N_BANDS, hole_db=HOLE_DB):
    """A fixed-length description of the traces lossy codecs leave, whatever the codec.

    A light version of the evidence the CNN of Hennequin et al. (ICASSP 2017) learns from
    spectrogram patches. From the power spectrogram ``|X|^2`` (:func:`mirbook.transforms.stft`,
    ~46 ms Hann windows, 50 % overlap), with ``n_bands`` equal-width bands from 0 Hz to ``sr/2``:

    - ``level_b``: mean log-power of band ``b`` (dB) minus the mean over bands -- the long-term
      spectral envelope; codecs low-pass the top bands (a "shelf");
    - ``holes_b``: share of time-frequency bins of band ``b`` more than ``hole_db`` dB below the
      loudest bin of their frame -- bins the quantizer set to zero;
    - ``flicker_b``: standard deviation over frames of band ``b``'s log-power (dB) -- bands that
      the codec switches on and off from frame to frame;
    - ``flatness_b``: mean over frames of the spectral flatness of band ``b`` (geometric over
      arithmetic mean of its bins' power, 1 for white noise, near 0 for a few lines) -- codecs
      code coarse band energies and fill the fine structure with noise (Opus, Vorbis) or zeros;
    - ``shelf_db``: the steepest drop of the long-term spectrum (dB between the ``3 %`` of the
      bins below and above a frequency), and ``shelf_position``: where it is, as a fraction of
      ``sr / 2``;
    - ``floor6_b``, ``floor20_b``: share of the bins of band ``b`` less than 6 (20) dB above the
      rounding-noise floor of a 16-bit file (``2**-30 / 12`` per sample, times the window's
      energy) -- what is left of a coefficient the codec set to zero once the decoded signal is
      stored as 16-bit integers, whatever the codec and whatever the loudness of the frame;
    - ``sparse_b``: share of the bins of band ``b`` more than 30 dB below the band's mean power in
      their frame -- isolated zeroed coefficients inside a band that is still coded.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
        Audio (channels averaged), at least ``n_fft`` samples.
    sr : int
    n_fft : int, optional
        Default: the power of two nearest to 46 ms (1024 at 22.05 kHz, 2048 at 44.1 kHz).
    n_bands : int
    hole_db : float

    Returns
    -------
    np.ndarray, shape (7 * n_bands + 2,), float64
        In the order of :func:`detection_feature_names`.

    Examples
    --------
    >>> import numpy as np
    >>> y = 0.1 * np.random.default_rng(0).standard_normal(22050)
    >>> detection_features(y, sr=22050).shape
    (114,)

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    from mirbook.transforms import stft

    sr = check_sr(sr)
    n_bands = positive_int(n_bands, "n_bands")
    hole_db = finite_real(hole_db, "hole_db", low=0.0)
    if n_fft is None:
        n_fft = int(2 ** np.round(np.log2(0.046 * sr)))
    n_fft = positive_int(n_fft, "n_fft")
    y = validate_audio(y, sr=sr, name="detection_features input", n_fft=n_fft)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        y = y.mean(axis=0)
    P = np.abs(stft(y, n_fft=n_fft, hop_length=n_fft // 2)) ** 2
    frame_max = P.max(axis=0, keepdims=True)
    active = frame_max[0] > 1e-10 * max(float(frame_max.max()), 1e-30)   # skip digital silence
    if not active.any():
        active[:] = True
    P = P[:, active]
    db = 10 * np.log10(P + 1e-12)
    bands = np.array_split(np.arange(P.shape[0]), n_bands)
    long_term = 10 * np.log10(P.mean(axis=1) + 1e-12)
    level = np.array([long_term[b].mean() for b in bands])
    level -= level.mean()
    holes = np.array([(db[b] < db.max(axis=0) - hole_db).mean() for b in bands])
    band_db = np.stack([10 * np.log10(P[b].mean(axis=0) + 1e-12) for b in bands])
    flicker = band_db.std(axis=1)
    flatness = np.array([np.mean(np.exp(np.log(P[b] + 1e-12).mean(axis=0)) / (P[b].mean(axis=0) + 1e-12))
                         for b in bands])
    w = max(2, int(SHELF_WIDTH * P.shape[0]))
    c = np.concatenate([[0.0], np.cumsum(long_term)])
    k = np.arange(w, len(long_term) - w + 1)
    drop = (c[k] - c[k - w]) / w - (c[k + w] - c[k]) / w
    i = int(np.argmax(drop))
    shelf = np.array([drop[i], k[i] / P.shape[0]])
    window_energy = 0.375 * n_fft                       # sum of a periodic Hann window squared
    floor_db = 10 * np.log10(2.0 ** (2 - 2 * FLOOR_BITS) / 12 * window_energy)
    at_floor = [np.array([(db[b] < floor_db + m).mean() for b in bands]) for m in FLOOR_DB]
    sparse = np.array([(db[b] < band_db[i] - SPARSE_DB).mean() for i, b in enumerate(bands)])
    return np.concatenate([level, holes, flicker, flatness, shelf, *at_floor, sparse])


def _parse_condition(condition):
    """``"original"``, ``"mp3@64"``, ``"vorbis@q0.3"``, ``"aac@96>flac"`` -> (codec, bitrate, quality, flac)."""
    cond, _, container = str(condition).partition(">")
    if container not in ("", "flac"):
        raise ParameterError(f"condition={condition!r}: only '>flac' may follow a codec")
    if cond == "original":
        return None, None, None, bool(container)
    codec, _, rate = cond.partition("@")
    try:
        if codec == "resample":
            return "resample", check_sr(float(rate), name="condition"), None, bool(container)
        _check_codec(codec)
        if rate.startswith("q"):
            return codec, None, float(rate[1:]), bool(container)
        return codec, (float(rate) if rate else None), None, bool(container)
    except ValueError as exc:
        if isinstance(exc, (ParameterError, CodecError)):
            raise
        raise ParameterError(f"condition={condition!r}: expected 'original', "
                             "'<codec>@<kbit/s>', '<codec>@q<quality>' or 'resample@<Hz>', "
                             "optionally followed by '>flac'") from None


def apply_condition(y, *, sr, condition):
    """The signal as a file made under ``condition`` would hold it, read back as 16-bit PCM.

    Every version is rounded to 16 bits, as the original (a 16-bit file) is: a detector must not
    be able to tell them apart by their bit depth, only by what the codec removed.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr : int
    condition : str
        ``"original"``; ``"resample@<Hz>"``: resampled to that rate and back, no codec (the
        resampling Opus needs, on its own: a lossless control); ``"<codec>@<kbit/s>"`` (e.g.
        ``"mp3@64"``) or ``"<codec>@q<quality>"`` (``"vorbis@q0.3"``): encoded, decoded and
        aligned (:func:`roundtrip`); a ``">flac"``
        suffix (``"aac@96>flac"``) then really stores the result as FLAC and reads it back --
        a *transcoded* file: lossless container, lossy content.

    Returns
    -------
    np.ndarray, shape (n,), float32, on the 16-bit grid

    Examples
    --------
    >>> import numpy as np
    >>> y = 0.1 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> z = apply_condition(y, sr=22050, condition="mp3@64>flac")
    >>> z.shape, bool(np.all(z * 32768 == np.round(z * 32768)))       # 16-bit codes
    ((22050,), True)

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    codec, bitrate, quality, to_flac = _parse_condition(condition)
    if codec is None:
        z = np.asarray(y, dtype=np.float32)
    elif codec == "resample":
        z = resample(resample(y, orig_sr=sr, target_sr=bitrate), orig_sr=bitrate,
                     target_sr=sr)[..., : np.shape(y)[-1]]
    else:
        z = roundtrip(y, sr=sr, codec=codec, bitrate=bitrate, quality=quality)
    codes = _to_int16(z)
    if to_flac:
        codes, _ = decode(encode(codes, sr=sr, codec="flac"), codec="flac", dtype="int16")
    return (codes / 32768.0).astype(np.float32)


def detection_set(signals, *, sr, conditions, n_jobs=2, **kwargs):
    """Features of every signal under every condition (the labelled set of chapter 2).

    Parameters
    ----------
    signals : list of np.ndarray, each shape (n,)
    sr : int
    conditions : list of str
        See :func:`apply_condition`.
    n_jobs : int
        Threads (the encoders run in C or in an ffmpeg process, outside Python's lock).
    **kwargs
        Passed to :func:`detection_features`.

    Returns
    -------
    X : np.ndarray, shape (len(signals), len(conditions), n_features)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> signals = [0.1 * rng.standard_normal(22050) for _ in range(2)]
    >>> detection_set(signals, sr=22050, conditions=["original", "mp3@64"], n_jobs=1).shape
    (2, 2, 114)

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    from concurrent.futures import ThreadPoolExecutor

    n_jobs = positive_int(n_jobs, "n_jobs")
    conditions = list(conditions)

    for c in conditions:
        _parse_condition(c)
    jobs = [(i, j) for i in range(len(signals)) for j in range(len(conditions))]

    def one(ij):
        i, j = ij
        return detection_features(apply_condition(signals[i], sr=sr, condition=conditions[j]),
                                  sr=sr, **kwargs)

    if n_jobs > 1:
        with ThreadPoolExecutor(n_jobs) as pool:
            feats = list(pool.map(one, jobs))
    else:
        feats = [one(ij) for ij in jobs]
    return np.array(feats).reshape(len(signals), len(conditions), -1)


def is_lossy(condition) -> bool:
    """Whether a condition of :func:`apply_condition` went through a lossy codec (the label).

    Parameters
    ----------
    condition : str

    Returns
    -------
    bool

    Examples
    --------
    >>> is_lossy("original"), is_lossy("vorbis@q0.3")
    (False, True)

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    return _parse_condition(condition)[0] not in (None, "resample")


def _as_labels(labels, name):
    a = np.asarray(labels)
    if a.ndim != 1:
        raise ParameterError(f"{name}: expected a 1-d sequence of labels, got shape {a.shape}")
    if a.size == 0:
        raise ParameterError(f"{name}: no labels")
    if a.dtype.kind in "US":
        return np.array([is_lossy(c) for c in a.tolist()], dtype=int)
    if a.dtype == bool or (np.issubdtype(a.dtype, np.number) and np.isin(a, (0, 1)).all()):
        return a.astype(int)
    raise ParameterError(f"{name}: expected conditions (str) or labels 1 (lossy) / 0 (lossless)")


def validate(y_true, y_pred):
    """Check reference and estimated labels before scoring (mir_eval's ``validate``).

    Parameters
    ----------
    y_true, y_pred : sequence, shape (n_files,)
        Per file: 1 / True (lossy) or 0 / False (lossless), or a condition string of
        :func:`apply_condition` (labelled with :func:`is_lossy`).

    Returns
    -------
    y_true, y_pred : np.ndarray, shape (n_files,), int
        1 = lossy.

    Raises
    ------
    ParameterError
        Empty or multi-dimensional sequences, labels other than 0/1, unknown conditions,
        different lengths.

    Examples
    --------
    >>> validate(["original", "mp3@64"], [0, 1])
    (array([0, 1]), array([0, 1]))

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    t = _as_labels(y_true, "y_true")
    p = _as_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ParameterError(f"y_true has {t.size} labels, y_pred {p.size}: one per file")
    return t, p


def evaluate(y_true, y_pred):
    """Accuracy, recall, precision, F-measure and false-positive rate of a lossy detector.

    Lossy is the positive class: ``recall`` is the share of lossy files detected,
    ``false_positive_rate`` the share of lossless files called lossy (the error that matters
    for a catalogue: a genuine FLAC rejected). Recall, precision and F from
    ``sklearn.metrics.precision_recall_fscore_support`` (0 where undefined). Fractions in
    [0, 1].

    Parameters
    ----------
    y_true, y_pred : sequence, shape (n_files,)
        As :func:`validate`.

    Returns
    -------
    scores : dict
        ``accuracy``, ``recall``, ``precision``, ``f_measure``, ``false_positive_rate``.

    Examples
    --------
    >>> s = evaluate([0, 0, 1, 1], [0, 1, 1, 1])
    >>> s["accuracy"], s["recall"], s["false_positive_rate"]
    (0.75, 1.0, 0.5)

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    from sklearn.metrics import precision_recall_fscore_support

    t, p = validate(y_true, y_pred)
    prec, rec, f, _ = precision_recall_fscore_support(t, p, average="binary", pos_label=1,
                                                      zero_division=0)
    neg = t == 0
    fpr = float(np.mean(p[neg] == 1)) if neg.any() else 0.0
    return {"accuracy": float(np.mean(t == p)), "recall": float(rec), "precision": float(prec),
            "f_measure": float(f), "false_positive_rate": fpr}


def _feature_columns(X, features, name="X"):
    X = np.asarray(X, dtype=float)
    if X.ndim != 3:
        raise ParameterError(f"{name} must have shape (n_signals, n_conditions, n_features) "
                             f"(from detection_set), got {X.shape}")
    if features is None:
        return X
    return X[..., features]


def _check_conditions(X, conditions):
    conditions = list(conditions)
    if len(conditions) != X.shape[1]:
        raise ParameterError(f"conditions has {len(conditions)} names, X has {X.shape[1]} "
                             "conditions (axis 1): one name per condition")
    for c in conditions:
        _parse_condition(c)
    return conditions


def train_detector(X, *, conditions, codecs=None, features=None, n_estimators=300,
                   random_state=0):
    """Fit chapter 2's lossy detector on a labelled set: standardise, then a random forest.

    Every lossless condition (``"original"``, ``"resample@..."``) trains the model; of the lossy
    ones, only those made by a codec in ``codecs``, so that a notebook can hold some codecs out
    and test on codecs the detector never saw. Rows are stacked condition by condition, in the
    order of ``conditions``; the forest is ``RandomForestClassifier(n_estimators,
    min_samples_leaf=2, class_weight="balanced")`` in a scikit-learn ``Pipeline`` after a
    ``StandardScaler``.

    Parameters
    ----------
    X : np.ndarray, shape (n_signals, n_conditions, n_features)
        Features of every signal under every condition (:func:`detection_set`).
    conditions : list of str, length n_conditions
        The conditions of ``X``'s axis 1 (:func:`apply_condition`).
    codecs : collection of str, optional
        Codecs whose lossy conditions train the detector (``{"vorbis", "opus"}``); None: all.
    features : slice or sequence of int, optional
        Feature columns to use (indices into :func:`detection_feature_names`); None: all.
    n_estimators : int
        Trees of the forest.
    random_state : int
        Seed of the forest.

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Fitted; ``model.predict(F)`` gives True for lossy, for ``F`` of shape
        (n_files, n_features_used).

    Raises
    ------
    ParameterError
        ``X`` not 3-D, a condition count that does not match ``X``, unknown conditions, or no
        lossy condition left to train on.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((6, 2, 4))
    >>> X[:, 1] += 3                                    # the "lossy" condition stands out
    >>> model = train_detector(X, conditions=["original", "mp3@64"], n_estimators=10)
    >>> bool(model.predict(X[:, 1]).all()), bool(model.predict(X[:, 0]).any())
    (True, False)

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mirbook._validate import nonneg_int

    n_estimators = positive_int(n_estimators, "n_estimators")
    random_state = nonneg_int(random_state, "random_state")
    X = _feature_columns(X, features)
    conditions = _check_conditions(X, conditions)
    if codecs is not None:
        codecs = {str(c) for c in ([codecs] if isinstance(codecs, str) else codecs)}
        for c in codecs:
            _check_codec(c)
    used = [j for j, c in enumerate(conditions)
            if not is_lossy(c) or codecs is None or _parse_condition(c)[0] in codecs]
    labels = [is_lossy(conditions[j]) for j in used]
    if not any(labels) or all(labels):
        raise ParameterError("conditions/codecs leave one class only: the detector needs "
                             "lossless and lossy conditions to train on")
    F = np.concatenate([X[:, j] for j in used])
    t = np.concatenate([np.full(X.shape[0], lab) for lab in labels])
    model = make_pipeline(StandardScaler(), RandomForestClassifier(
        n_estimators, min_samples_leaf=2, class_weight="balanced", random_state=random_state))
    return model.fit(F, t)


def accuracy_by_condition(model, X, *, conditions, features=None):
    """Share of the signals a detector labels right, condition by condition.

    Parameters
    ----------
    model : object with a ``predict`` method
        A fitted detector (:func:`train_detector`); ``predict`` returns 1 / True for lossy.
    X : np.ndarray, shape (n_signals, n_conditions, n_features)
        Features of the test signals (:func:`detection_set`).
    conditions : list of str, length n_conditions
        The conditions of ``X``'s axis 1; the truth of each is :func:`is_lossy`.
    features : slice or sequence of int, optional
        The feature columns the model was trained on (as given to :func:`train_detector`).

    Returns
    -------
    accuracy : dict
        ``{condition: accuracy}`` in the order of ``conditions``, fractions in [0, 1].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((6, 2, 4))
    >>> X[:, 1] += 3
    >>> model = train_detector(X, conditions=["original", "mp3@64"], n_estimators=10)
    >>> accuracy_by_condition(model, X, conditions=["original", "mp3@64"])
    {'original': 1.0, 'mp3@64': 1.0}

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    if not callable(getattr(model, "predict", None)):
        raise ParameterError("model must be a fitted detector with a predict() method")
    X = _feature_columns(X, features)
    conditions = _check_conditions(X, conditions)
    return {c: float(np.mean(np.asarray(model.predict(X[:, j])).astype(bool) == is_lossy(c)))
            for j, c in enumerate(conditions)}
