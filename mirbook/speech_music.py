"""The speech/music discrimination task: the seed's input and the evaluation (mir_eval style).

A task module in the style of mir_eval: :func:`validate` checks a pair of label sequences,
:func:`evaluate` scores estimated labels against reference labels (recall, precision and
F-measure with **speech as the positive class**, computed by scikit-learn), and
:func:`seed_input` builds the model input of the seed's table: a ``(3, 108, 12)`` block whose
3888 values, flattened, are also the SVM/RF input ``(1, 3888)``. The chapter notebook is
``notebooks/07_speech_music.ipynb``; the table reproduction is :mod:`mirbook.reproduce`.

>>> scores = evaluate(["speech", "music", "speech"], ["speech", "speech", "speech"])
>>> scores["recall"], round(scores["precision"], 4)
(1.0, 0.6667)
"""

from __future__ import annotations

import numpy as np

from mirbook._validate import positive_int
from mirbook.config import SR
from mirbook.errors import AudioFileError, ParameterError
from mirbook.features import _check_y, _stft, delta, log_mel, mfcc, stacked_frames
from mirbook.filters import _mel_fb_cached
from mirbook.io import check_sr

__all__ = ["SEED_INPUT_SHAPE", "POSITIVE", "LABELS", "seed_input", "seed_input_names",
           "validate", "evaluate"]

#: Shape of the CNN input in the lecture's speech/music table; its size, 3888, is also the SVM/RF
#: input size ``(1, 3888)``. See :func:`seed_input`.
SEED_INPUT_SHAPE = (3, 108, 12)

#: The positive class of recall / precision / F-measure.
POSITIVE = "speech"

#: The two labels of the task.
LABELS = ("speech", "music")


def seed_input(y, *, sr=SR, n_frames=108, n_bands=12, kind="mfcc", n_fft=2048,
               hop_length=512, n_mels=40, width=9, start=None, flatten=False):
    """Our reconstruction of the lecture's speech/music input: shape ``(3, 108, 12)`` = 3888.

    The lecture's table (Royo-Letelier's speech/music work at Deezer) lists an SVM and a random
    forest on a ``(1, 3888)`` input and a CNN on a ``(3, 108, 12)`` input. ``3 x 108 x 12 =
    3888`` exactly, so the plausible reading is that the classical models received **the same
    numbers, flattened**. A natural way to get them: 108 frames of context (at 22050 Hz with a
    512-sample hop, 108 frames = 2.5 s) x 12 bands x 3 channels, the channels being a static
    12-dimensional timbre description and its first and second time derivatives ("time
    derivatives are often used"). Equivalently: 108 frames x 36 features per frame = 3888.

    This is **our reading of the seed's table, not a documented fact**: the lecture gives only
    the shapes, not how they were computed. Here:

    - ``kind="mfcc"``: MFCC c1..c12 (c0, the loudness term, dropped) from an ``n_mels``-band
      log-mel spectrogram, their deltas, their delta-deltas;
    - ``kind="logmel"``: a 12-band log-mel spectrogram (dB), its deltas and delta-deltas.

    The block is cut by :func:`mirbook.features.stacked_frames`.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio.
    sr : int
    n_frames, n_bands : int
        108 and 12 give the seed's shape.
    kind : {"mfcc", "logmel"}
    n_fft, hop_length, n_mels, width : int
        STFT, mel bands for the MFCC, delta window.
    start : int or None
        First frame of the window; None: the middle of the clip. Clips shorter than
        ``n_frames`` frames are zero-padded at the end (after the deltas are computed).
    flatten : bool
        Return the flat ``(n_channels * n_frames * n_bands,)`` vector (3888) instead.

    Returns
    -------
    x : np.ndarray, shape (3, n_frames, n_bands), or shape (3 * n_frames * n_bands,), float64

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(3 * 22050).astype(np.float32)
    >>> x = seed_input(y, sr=22050)
    >>> x.shape, x.reshape(1, -1).shape
    ((3, 108, 12), (1, 3888))

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    seed_input_names, mirbook.features.stacked_frames
    """
    n_fft = positive_int(n_fft, "n_fft")
    hop_length = positive_int(hop_length, "hop_length")
    n_bands = positive_int(n_bands, "n_bands")
    n_mels = positive_int(n_mels, "n_mels")
    width = positive_int(width, "width")
    if kind not in ("mfcc", "logmel"):
        raise ParameterError(f"kind={kind!r}: expected 'mfcc' or 'logmel'")
    if kind == "mfcc" and n_mels < n_bands + 1:
        raise ParameterError(f"n_mels={n_mels} must exceed n_bands={n_bands} (c0 is dropped)")
    y = _check_y(y, sr, n_fft)
    sr = check_sr(sr)
    if y.ndim != 1:
        raise AudioFileError("y", f"expected mono audio of shape (n,), got {y.shape}")
    P = np.abs(_stft(y, n_fft, hop_length)) ** 2
    if kind == "mfcc":
        fb = _mel_fb_cached(sr, n_fft, n_mels, 0.0, None, False, "slaney",
                            np.dtype(P.dtype).str)
        base = mfcc(S=log_mel(P, mel_fb=fb), n_mfcc=n_bands + 1)[1:]
    else:
        fb = _mel_fb_cached(sr, n_fft, n_bands, 0.0, None, False, "slaney",
                            np.dtype(P.dtype).str)
        base = log_mel(P, mel_fb=fb)
    if base.shape[-1] < width:
        raise AudioFileError("y", f"{y.size} samples give {base.shape[-1]} frames: deltas need "
                                  f"at least width={width}")
    base = base.astype(np.float64)
    maps = [base, delta(base, width=width), delta(base, order=2, width=width)]
    x = stacked_frames(maps, n_frames=n_frames, start=start)
    return x.reshape(-1) if flatten else x


def seed_input_names(*, n_frames=108, n_bands=12, kind="mfcc"):
    """A name for every value of ``seed_input(..., flatten=True)``, in order.

    ``"<channel>_<band>@t<frame>"`` in the C order of ``seed_input(...).ravel()``
    (``mfcc01@t000, mfcc02@t000, ...``).

    Parameters
    ----------
    n_frames, n_bands : int
    kind : {"mfcc", "logmel"}

    Returns
    -------
    names : list of str, length ``3 * n_frames * n_bands``

    Examples
    --------
    >>> names = seed_input_names()
    >>> len(names), names[0], names[-1]
    (3888, 'mfcc01@t000', 'dd_mfcc12@t107')

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    n_frames = positive_int(n_frames, "n_frames")
    n_bands = positive_int(n_bands, "n_bands")
    if kind == "mfcc":
        base = [f"mfcc{b:02d}" for b in range(1, n_bands + 1)]
    elif kind == "logmel":
        base = [f"logmel{b:02d}" for b in range(n_bands)]
    else:
        raise ParameterError(f"kind={kind!r}: expected 'mfcc' or 'logmel'")
    chans = [base, ["d_" + b for b in base], ["dd_" + b for b in base]]
    return [f"{b}@t{t:03d}" for ch in chans for t in range(n_frames) for b in ch]


def _as_binary(labels, name):
    """Labels as a 0/1 array (1 = speech): strings from :data:`LABELS`, or 0/1 / booleans."""
    a = np.asarray(labels)
    if a.ndim != 1:
        raise ParameterError(f"{name}: expected a 1-d sequence of labels, got shape {a.shape}")
    if a.size == 0:
        raise ParameterError(f"{name}: no labels")
    if a.dtype.kind in "US":
        bad = sorted(set(a.tolist()) - set(LABELS))
        if bad:
            raise ParameterError(f"{name}: unknown label(s) {bad[:5]}; expected {LABELS}")
        return (a == POSITIVE).astype(int)
    if a.dtype == bool:
        return a.astype(int)
    if np.issubdtype(a.dtype, np.number):
        if not np.isin(a, (0, 1)).all():
            raise ParameterError(f"{name}: numeric labels must be 0 (music) or 1 (speech)")
        return a.astype(int)
    raise ParameterError(f"{name}: expected labels 'speech'/'music' or 1/0, got dtype {a.dtype}")


def validate(y_true, y_pred):
    """Check a pair of label sequences before scoring (mir_eval's ``validate``).

    Parameters
    ----------
    y_true, y_pred : sequence, shape (n_clips,)
        One label per clip: ``"speech"`` / ``"music"``, or 1 (speech) / 0 (music), or booleans
        (True = speech).

    Returns
    -------
    y_true, y_pred : np.ndarray, shape (n_clips,), int
        1 = speech.

    Raises
    ------
    ParameterError
        Empty or multi-dimensional sequences, unknown labels, different lengths.

    Examples
    --------
    >>> validate(["speech", "music"], [1, 1])
    (array([1, 0]), array([1, 1]))

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    t = _as_binary(y_true, "y_true")
    p = _as_binary(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ParameterError(f"y_true has {t.size} labels, y_pred {p.size}: one per clip")
    return t, p


def evaluate(y_true, y_pred):
    """Recall, precision, F-measure (speech positive) and accuracy of clip labels.

    ``recall`` is the share of speech clips called speech, ``precision`` the share of clips
    called speech that are speech, ``f_measure`` their harmonic mean (all from
    ``sklearn.metrics.precision_recall_fscore_support``, ``average="binary"``, 0 where a ratio
    is undefined), ``accuracy`` the share of clips labelled right. Values are fractions in
    [0, 1] (mir_eval's convention); the chapter and :mod:`mirbook.reproduce` print percent.

    Parameters
    ----------
    y_true, y_pred : sequence, shape (n_clips,)
        As :func:`validate`.

    Returns
    -------
    scores : dict
        ``recall``, ``precision``, ``f_measure``, ``accuracy`` (floats in [0, 1]).

    Examples
    --------
    >>> s = evaluate([1, 1, 0, 0], [1, 0, 0, 1])
    >>> s["recall"], s["precision"], s["f_measure"], s["accuracy"]
    (0.5, 0.5, 0.5, 0.5)

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    from sklearn.metrics import precision_recall_fscore_support

    t, p = validate(y_true, y_pred)
    prec, rec, f, _ = precision_recall_fscore_support(t, p, average="binary", pos_label=1,
                                                      zero_division=0)
    return {"recall": float(rec), "precision": float(prec), "f_measure": float(f),
            "accuracy": float(np.mean(t == p))}
