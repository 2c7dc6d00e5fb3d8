"""Multimodal music mood detection from audio and lyrics (Delbouys et al., ISMIR 2018).

The task: from a song's audio and its lyrics, tell happy from sad (classification) and predict
its valence and arousal (regression: Russell's two axes, standardised). Every model here predicts
the three targets at once, ``[happy logit, valence, arousal]``, with one loss
(:func:`multitask_loss`: binary cross-entropy + the two squared errors), trained by the one loop
of Part III (:func:`mirbook.train.fit`) with early stopping on a validation split:

- **audio**: :class:`mirbook.models.MelCNN` on log-mel spectrograms (:func:`mel_input`);
- **lyrics**: :class:`LyricsNet`, a small MLP on sentence embeddings
  (:func:`mirbook.lyrics.embed`), and a classical baseline (TF-IDF bag of words + VADER scores,
  :class:`mirbook.lyrics.BaselineVectorizer`, with logistic and ridge regression);
- **late fusion**: a weighted average of the audio and lyrics predictions, the weight of each
  target chosen on the validation split (:func:`late_fusion`);
- **mid-level fusion**: :class:`FusionNet`, the two branches' hidden layers concatenated under
  one output layer, the branches started from the single-modality models and the whole
  trained end to end.

:func:`evaluate` scores predictions (happy/sad accuracy in %, valence and arousal MSE, with
sklearn); :func:`cross_validate` runs every model on the same artist- (here: chorale-) disjoint
folds; :func:`summary` gives mean and spread over seeds; ``python -m mirbook reproduce mood``
(:func:`reproduce_main`) prints the seed's table beside ours.

Used in the chapter 13 notebook (multimodal mood detection).

>>> import numpy as np
>>> y_true = np.array([[1, 0.5, -1.0], [0, -0.5, 1.0]])
>>> evaluate(y_true, np.array([[0.9, 0.5, -1.0], [0.8, -0.5, 0.0]]))
{'happy_sad_accuracy': 50.0, 'valence_mse': 0.0, 'arousal_mse': 0.5}
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from mirbook import _validate
from mirbook.config import SR
from mirbook.errors import ParameterError

__all__ = ["TARGETS", "MODELS", "validate", "evaluate", "multitask_loss", "mel_input",
           "audio_inputs", "LyricsNet", "FusionNet", "pack", "fit_model", "predictions",
           "late_fusion", "fusion_weights", "cross_validate", "summary", "targets", "corpus_inputs",
           "run_seeds", "table",
           "reproduce_main"]

#: The three outputs of every model, in order.
TARGETS = ("happy", "valence", "arousal")

#: The rows of our table, in order (``seed`` rows: those the seed's table has).
MODELS = ("Audio", "Lyrics", "Lyrics (TF-IDF + VADER)", "Late fusion", "Mid-level fusion")

#: Log-mel parameters of the audio branch: 10 s clips -> 64 x 106 images, 93 ms frames (about
#: 20 s per seed for the 6 CNNs of :func:`cross_validate` on one CPU core).
MEL = {"n_mels": 64, "n_fft": 4096, "hop_length": 2048, "fmin": 40.0, "fmax": 8000.0}


# ----------------------------------------------------------------------------- evaluation


def validate(y_true, y_pred):
    """Check targets and predictions of the mood task (as mir_eval's ``validate``).

    Parameters
    ----------
    y_true : np.ndarray, shape (n, 3)
        ``[happy (0/1), valence, arousal]`` per clip.
    y_pred : np.ndarray, shape (n, 3)
        ``[P(happy) in [0, 1], valence, arousal]`` per clip.

    Returns
    -------
    (y_true, y_pred) : np.ndarray, float64

    Raises
    ------
    ParameterError
        Naming the argument: wrong shape, NaN, a happy column that is not 0/1 (``y_true``) or
        not a probability (``y_pred``), different lengths.

    Examples
    --------
    >>> validate(np.array([[1, 0.2, 0.3]]), np.array([[1.5, 0.0, 0.0]]))
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: y_pred: column 0 (P(happy)) must lie in [0, 1]
    """
    y_true = _validate.real_array(y_true, "y_true", ndim=2).astype(np.float64)
    y_pred = _validate.real_array(y_pred, "y_pred", ndim=2).astype(np.float64)
    for name, a in (("y_true", y_true), ("y_pred", y_pred)):
        if a.shape[1] != len(TARGETS):
            raise ParameterError(f"{name}: expected shape (n, 3) [happy, valence, arousal], "
                                 f"got {a.shape}")
        if len(a) == 0:
            raise ParameterError(f"{name}: no clips")
    if len(y_true) != len(y_pred):
        raise ParameterError(f"y_pred: {len(y_pred)} predictions for {len(y_true)} clips")
    if not np.isin(y_true[:, 0], (0.0, 1.0)).all():
        raise ParameterError("y_true: column 0 (happy) must be 0 or 1")
    if ((y_pred[:, 0] < 0) | (y_pred[:, 0] > 1)).any():
        raise ParameterError("y_pred: column 0 (P(happy)) must lie in [0, 1]")
    return y_true, y_pred


def evaluate(y_true, y_pred):
    """The seed's three numbers: happy/sad accuracy (%), valence MSE, arousal MSE (sklearn).

    Parameters
    ----------
    y_true, y_pred : np.ndarray, shape (n, 3)
        As in :func:`validate`; a clip is called happy when ``P(happy) > 0.5``.

    Returns
    -------
    dict
        ``happy_sad_accuracy`` (in %), ``valence_mse``, ``arousal_mse``.

    Examples
    --------
    >>> evaluate(np.array([[1, 1.0, 0.0]]), np.array([[0.7, 0.0, 0.0]]))["valence_mse"]
    1.0
    """
    from sklearn.metrics import accuracy_score, mean_squared_error

    y_true, y_pred = validate(y_true, y_pred)
    return {
        "happy_sad_accuracy": 100.0 * float(accuracy_score(y_true[:, 0] > 0.5,
                                                           y_pred[:, 0] > 0.5)),
        "valence_mse": float(mean_squared_error(y_true[:, 1], y_pred[:, 1])),
        "arousal_mse": float(mean_squared_error(y_true[:, 2], y_pred[:, 2])),
    }


def multitask_loss(outputs, targets):
    """Binary cross-entropy on the happy logit + squared errors of valence and arousal.

    Parameters
    ----------
    outputs : torch.Tensor, shape (batch, 3)
        ``[happy logit, valence, arousal]``.
    targets : torch.Tensor, shape (batch, 3)
        ``[happy (0/1), valence, arousal]``.

    Returns
    -------
    loss : torch.Tensor, scalar

    Examples
    --------
    >>> out = torch.tensor([[0.0, 1.0, 0.0]])
    >>> round(float(multitask_loss(out, torch.tensor([[1.0, 1.0, 1.0]]))), 4)   # ln 2 + 0 + 1
    1.6931
    """
    targets = targets.float().reshape(outputs.shape)
    bce = nn.functional.binary_cross_entropy_with_logits(outputs[:, 0], targets[:, 0])
    return bce + ((outputs[:, 1:] - targets[:, 1:]) ** 2).mean(dim=0).sum()


def predictions(outputs):
    """Model outputs ``[logit, valence, arousal]`` -> ``[P(happy), valence, arousal]``.

    Parameters
    ----------
    outputs : np.ndarray, shape (n, 3)

    Returns
    -------
    np.ndarray, shape (n, 3)

    Examples
    --------
    >>> predictions(np.array([[0.0, 0.3, -0.2]])).tolist()
    [[0.5, 0.3, -0.2]]
    """
    out = np.array(_validate.real_array(outputs, "outputs", ndim=2), dtype=np.float64)
    out[:, 0] = 1.0 / (1.0 + np.exp(-out[:, 0]))
    return out


# ----------------------------------------------------------------------------- inputs


def mel_input(y, *, sr=SR, duration=10.0, n_mels=64, n_fft=4096, hop_length=2048, fmin=40.0,
              fmax=8000.0):
    """The audio branch's input: a log-mel spectrogram (dB) of the first ``duration`` seconds.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio (zero-padded or cut to ``duration``).
    sr : int
    duration : float
        Seconds; all clips get the same image width.
    n_mels, n_fft, hop_length : int
    fmin, fmax : float

    Returns
    -------
    S_db : np.ndarray, shape (1, n_mels, n_frames)
        float32, ``10 log10`` of the mel power (floor 1e-10).

    Examples
    --------
    >>> mel_input(np.zeros(22050 * 10)).shape
    (1, 64, 106)
    """
    import librosa

    y = _validate.real_array(y, "y", ndim=1)
    sr = _validate.positive_int(sr, "sr")
    duration = _validate.finite_real(duration, "duration", low=0.0, low_open=True)
    n = int(round(duration * sr))
    y = np.pad(y[:n], (0, max(0, n - len(y)))).astype(np.float32)
    M = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length,
                                       n_mels=n_mels, fmin=fmin, fmax=fmax, center=False)
    return librosa.power_to_db(M, ref=1.0, amin=1e-10, top_db=None)[None].astype(np.float32)


def audio_inputs(paths, *, sr=SR, duration=10.0, **mel):
    """:func:`mel_input` of every file.

    Parameters
    ----------
    paths : list of str or os.PathLike
        Audio files (anything :func:`mirbook.io.load_audio` reads: FLAC, WAV, MP3 previews).
    sr : int
    duration : float
    **mel
        :func:`mel_input`'s other parameters.

    Returns
    -------
    X : np.ndarray, shape (n_files, 1, n_mels, n_frames)
    """
    from mirbook.io import load_audio

    out = []
    for p in list(paths):
        y, _ = load_audio(p, sr=sr, mono=True)
        out.append(mel_input(np.asarray(y).reshape(-1), sr=sr, duration=duration, **mel))
    return np.stack(out) if out else np.zeros((0, 1, mel.get("n_mels", 64), 0), np.float32)


# ----------------------------------------------------------------------------- models


class LyricsNet(nn.Module):
    """The lyrics branch: an MLP on a (frozen) sentence embedding.

    Parameters
    ----------
    in_dim : int
        Embedding size (384 for :func:`mirbook.lyrics.embed`).
    hidden : int
    n_outputs : int
    dropout : float
    random_state : int

    Examples
    --------
    >>> LyricsNet()(torch.zeros(5, 384)).shape
    torch.Size([5, 3])
    """

    def __init__(self, *, in_dim=384, hidden=32, n_outputs=3, dropout=0.3, random_state=0):
        super().__init__()
        self.in_dim = _validate.positive_int(in_dim, "in_dim")
        hidden = _validate.positive_int(hidden, "hidden")
        n_outputs = _validate.positive_int(n_outputs, "n_outputs")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(random_state))
            self.hidden = nn.Sequential(nn.Dropout(0.1), nn.Linear(self.in_dim, hidden),
                                        nn.ReLU())
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(hidden, n_outputs)

    def embed(self, x):
        """The hidden layer, shape ``(batch, hidden)``."""
        return self.hidden(x)

    def forward(self, x):
        """Outputs, shape ``(batch, n_outputs)``."""
        return self.head(self.dropout(self.embed(x)))


class FusionNet(nn.Module):
    """Mid-level fusion: audio CNN and lyrics MLP hidden layers, concatenated, one head.

    The input is one flat tensor per clip (:func:`pack`): the log-mel image, flattened, then
    the sentence embedding (:func:`mirbook.train.fit` moves one tensor per batch).

    Parameters
    ----------
    audio_shape : (int, int)
        ``(n_mels, n_frames)`` of the image.
    text_dim : int
    channels : sequence of int
        The audio branch's :class:`mirbook.models.MelCNN` conv blocks.
    embedding_dim, hidden : int
        Hidden sizes of the audio and lyrics branches.
    dropout : float
    random_state : int

    Examples
    --------
    >>> net = FusionNet(audio_shape=(64, 106))
    >>> net(pack(np.zeros((2, 1, 64, 106)), np.zeros((2, 384)))).shape
    torch.Size([2, 3])
    """

    def __init__(self, *, audio_shape=(64, 106), text_dim=384, channels=(8, 16, 32),
                 embedding_dim=32, hidden=32, dropout=0.3, random_state=0):
        super().__init__()
        from mirbook.models import MelCNN

        self.audio_shape = tuple(int(v) for v in audio_shape)
        self.text_dim = _validate.positive_int(text_dim, "text_dim")
        self.audio = MelCNN(n_classes=3, channels=channels, embedding_dim=embedding_dim,
                            dropout=dropout, random_state=random_state)
        self.lyrics = LyricsNet(in_dim=text_dim, hidden=hidden, random_state=random_state + 1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(random_state) + 2)
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(embedding_dim + hidden, 3)

    def forward(self, x):
        """Outputs ``[happy logit, valence, arousal]``, shape ``(batch, 3)``."""
        n_a = self.audio_shape[0] * self.audio_shape[1]
        if x.ndim != 2 or x.shape[1] != n_a + self.text_dim:
            raise ParameterError(f"x: expected shape (batch, {n_a + self.text_dim}) from pack(), "
                                 f"got {tuple(x.shape)}")
        a = self.audio.embed(x[:, :n_a].reshape(-1, 1, *self.audio_shape))
        t = self.lyrics.embed(x[:, n_a:])
        return self.head(self.dropout(torch.cat([a, t], dim=1)))


def pack(X, E):
    """The flat input of :class:`FusionNet`: each image flattened, then its embedding.

    Parameters
    ----------
    X : np.ndarray, shape (n, 1, n_mels, n_frames)
    E : np.ndarray, shape (n, text_dim)

    Returns
    -------
    torch.Tensor, shape (n, n_mels * n_frames + text_dim)
    """
    X = np.asarray(X, dtype=np.float32)
    E = np.asarray(E, dtype=np.float32)
    if len(X) != len(E):
        raise ParameterError(f"E: {len(E)} embeddings for {len(X)} images")
    return torch.from_numpy(np.hstack([X.reshape(len(X), -1), E.reshape(len(E), -1)]))


def fit_model(model, X, Y, *, validation, epochs=30, patience=6, batch_size=16, lr=3e-3,
              random_state=0, n_jobs=None):
    """Train one mood model the way every row is trained (:func:`mirbook.train.fit`).

    Adam, :func:`multitask_loss`, early stopping on the validation loss (the best epoch's
    weights are kept).

    Parameters
    ----------
    model : torch.nn.Module
    X : array_like or torch.Tensor, shape (n, ...)
    Y : np.ndarray, shape (n, 3)
    validation : (X, Y) pair
    epochs, patience, batch_size : int
    lr : float
    random_state : int
    n_jobs : int, optional
        Torch threads.

    Returns
    -------
    history : mirbook.train.History
    """
    from mirbook import train

    return train.fit(model, (X, np.asarray(Y, np.float32)),
                     validation=(validation[0], np.asarray(validation[1], np.float32)),
                     loss=multitask_loss, metric=None, epochs=epochs, patience=patience,
                     batch_size=batch_size, lr=lr, random_state=random_state, n_jobs=n_jobs,
                     show_progress=False)


def late_fusion(P_audio, P_lyrics, *, weights):
    """Weighted average of two models' predictions, one audio weight per target.

    Parameters
    ----------
    P_audio, P_lyrics : np.ndarray, shape (n, 3)
        ``[P(happy), valence, arousal]``.
    weights : sequence of 3 floats in [0, 1]
        Weight of the audio model for each target (the lyrics get ``1 - w``).

    Returns
    -------
    np.ndarray, shape (n, 3)

    Examples
    --------
    >>> late_fusion(np.ones((1, 3)), np.zeros((1, 3)), weights=(0.5, 0.0, 1.0)).tolist()
    [[0.5, 0.0, 1.0]]
    """
    P_audio = _validate.real_array(P_audio, "P_audio", ndim=2)
    P_lyrics = _validate.real_array(P_lyrics, "P_lyrics", ndim=2)
    if P_audio.shape != P_lyrics.shape:
        raise ParameterError(f"P_lyrics: shape {P_lyrics.shape} differs from P_audio's "
                             f"{P_audio.shape}")
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (P_audio.shape[1],) or ((w < 0) | (w > 1)).any():
        raise ParameterError(f"weights={weights!r}: one weight in [0, 1] per target")
    return w * P_audio + (1 - w) * P_lyrics


def fusion_weights(P_audio, P_lyrics, y_true, *, grid=np.linspace(0, 1, 11)):
    """The audio weight of each target that fits ``y_true`` best (on a validation split).

    Happy/sad: the lowest log-loss; valence, arousal: the lowest MSE.

    Parameters
    ----------
    P_audio, P_lyrics, y_true : np.ndarray, shape (n, 3)
    grid : sequence of float

    Returns
    -------
    np.ndarray, shape (3,)

    Examples
    --------
    >>> y = np.array([[1, 1.0, 1.0], [0, -1.0, -1.0]])
    >>> good = np.array([[0.9, 1.0, 0.0], [0.1, -1.0, 0.0]])
    >>> fusion_weights(good, good[:, [0, 2, 1]], y).tolist()
    [0.5, 1.0, 0.0]
    """
    y_true, _ = validate(y_true, P_audio)
    out = []
    for j in range(3):
        losses = []
        for w in grid:
            p = w * P_audio[:, j] + (1 - w) * P_lyrics[:, j]
            if j == 0:
                p = np.clip(p, 1e-6, 1 - 1e-6)
                loss = -np.mean(y_true[:, 0] * np.log(p) + (1 - y_true[:, 0]) * np.log(1 - p))
            else:
                loss = np.mean((p - y_true[:, j]) ** 2)
            losses.append(round(float(loss), 12))
        # ties: the weight nearest 0.5 (an equal mix when nothing tells them apart)
        best = min(range(len(grid)), key=lambda i: (losses[i], abs(grid[i] - 0.5)))
        out.append(float(grid[best]))
    return np.array(out)


# ----------------------------------------------------------------------------- experiment


def _folds(groups, y_happy, *, n_splits, random_state):
    from sklearn.model_selection import StratifiedGroupKFold

    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return list(cv.split(np.zeros(len(groups)), y_happy, groups))


def _classical(T_train, Y_train, T_test, *, random_state):
    from sklearn.linear_model import LogisticRegression, Ridge

    from mirbook.lyrics import BaselineVectorizer

    vec = BaselineVectorizer(min_df=2)
    A, B = vec.fit_transform(T_train), vec.transform(T_test)
    clf = LogisticRegression(C=10.0, max_iter=2000, random_state=random_state)
    clf.fit(A, Y_train[:, 0] > 0.5)
    out = np.zeros((len(T_test), 3))
    out[:, 0] = clf.predict_proba(B)[:, 1]
    for j in (1, 2):
        out[:, j] = Ridge(alpha=1.0).fit(A, Y_train[:, j]).predict(B)
    return out


def cross_validate(X, E, Y, *, groups, texts=None, n_splits=3, random_state=0, epochs=30,
                   patience=6, batch_size=16, channels=(8, 16, 32), warm_start=False,
                   n_jobs=None, return_info=False):
    """Every model of :data:`MODELS` on the same group-disjoint folds: one prediction per clip.

    In each fold the training clips are split again (by group) into fitting and validation
    clips: the validation clips stop the training (early stopping) and choose the late-fusion
    weights; the test fold is used once, for the predictions.

    Parameters
    ----------
    X : np.ndarray, shape (n, 1, n_mels, n_frames)
        Log-mel images (:func:`audio_inputs`).
    E : np.ndarray, shape (n, text_dim)
        Sentence embeddings of the lyrics (:func:`mirbook.lyrics.embed`).
    Y : np.ndarray, shape (n, 3)
        ``[happy (0/1), valence, arousal]``.
    groups : sequence, length n
        Clips of one group (artist, chorale) stay on one side of every split.
    texts : list of str, optional
        The lyrics, for the classical baseline (its row is left out without them).
    n_splits : int
    random_state : int
        Folds, initial weights, shuffling: a seed of the whole experiment.
    epochs, patience, batch_size : int
        As in :func:`fit_model`.
    channels : sequence of int
        The audio CNN's conv blocks (:class:`mirbook.models.MelCNN`).
    warm_start : bool
        Start the mid-level fusion network's two branches from the fold's audio and lyrics
        models (then train it all, end to end); ``False``: from random weights.
    n_jobs : int, optional
        Torch threads.
    return_info : bool
        Also return ``{"predictions": {model: (n, 3) array}, "seconds": {model: float},
        "weights": list of the late-fusion weights per fold, "epochs": {model: list}}``.

    Returns
    -------
    scores : dict
        ``{model: evaluate(...)}`` over all clips.
    info : dict
        Only with ``return_info=True``.
    """
    from mirbook import train
    from mirbook.models import MelCNN

    X = _validate.real_array(X, "X", ndim=4).astype(np.float32)
    E = _validate.real_array(E, "E", ndim=2).astype(np.float32)
    Y = np.asarray(Y, dtype=np.float64)
    validate(Y, np.full(Y.shape, 0.5))
    groups = np.asarray(groups)
    if not (len(X) == len(E) == len(Y) == len(groups)):
        raise ParameterError(f"X, E, Y, groups: lengths {len(X)}, {len(E)}, {len(Y)}, "
                             f"{len(groups)} differ")
    if texts is not None and len(texts) != len(X):
        raise ParameterError(f"texts: {len(texts)} lyrics for {len(X)} clips")
    seed = int(_validate.random_state(random_state).integers(2**31 - 1))
    names = [m for m in MODELS if texts is not None or m != "Lyrics (TF-IDF + VADER)"]
    P = {m: np.zeros((len(X), 3)) for m in names}
    seconds = {m: 0.0 for m in names}
    epochs_used = {m: [] for m in names}
    weights = []
    fit_kw = {"epochs": epochs, "patience": patience, "batch_size": batch_size, "n_jobs": n_jobs}
    for k, (tr, te) in enumerate(_folds(groups, Y[:, 0], n_splits=n_splits,
                                        random_state=seed % (2**31))):
        n_inner = min(5, len(np.unique(groups[tr])))
        if n_inner < 2:
            raise ParameterError("groups: too few groups for a validation split in each fold")
        inner = _folds(groups[tr], Y[tr, 0], n_splits=n_inner, random_state=seed % (2**31) + k)
        fi, va = tr[inner[0][0]], tr[inner[0][1]]
        mu, sd = float(X[fi].mean()), float(X[fi].std() + 1e-6)
        Xn = (X - mu) / sd
        s = seed + 100 * k
        # audio
        t0 = time.perf_counter()
        audio = MelCNN(n_classes=3, channels=channels, embedding_dim=32, random_state=s)
        h = fit_model(audio, Xn[fi], Y[fi], validation=(Xn[va], Y[va]), random_state=s, **fit_kw)
        pa_va = predictions(train.predict(audio, Xn[va]))
        P["Audio"][te] = predictions(train.predict(audio, Xn[te]))
        seconds["Audio"] += time.perf_counter() - t0
        epochs_used["Audio"].append(h.n_epochs)
        # lyrics
        t0 = time.perf_counter()
        lyr = LyricsNet(in_dim=E.shape[1], random_state=s)
        h = fit_model(lyr, E[fi], Y[fi], validation=(E[va], Y[va]), random_state=s, **fit_kw)
        pl_va = predictions(train.predict(lyr, E[va]))
        P["Lyrics"][te] = predictions(train.predict(lyr, E[te]))
        seconds["Lyrics"] += time.perf_counter() - t0
        epochs_used["Lyrics"].append(h.n_epochs)
        # classical lyrics baseline (fitted on all training clips: it has nothing to stop early)
        if texts is not None:
            t0 = time.perf_counter()
            P["Lyrics (TF-IDF + VADER)"][te] = _classical(
                [texts[i] for i in tr], Y[tr], [texts[i] for i in te], random_state=s)
            seconds["Lyrics (TF-IDF + VADER)"] += time.perf_counter() - t0
        # late fusion: the weights chosen on the validation clips
        w = fusion_weights(pa_va, pl_va, Y[va])
        weights.append(w)
        P["Late fusion"][te] = late_fusion(P["Audio"][te], P["Lyrics"][te], weights=w)
        # mid-level fusion, end to end
        t0 = time.perf_counter()
        fused = FusionNet(audio_shape=X.shape[2:], text_dim=E.shape[1], channels=channels,
                          random_state=s)
        if warm_start:  # both branches start from this fold's single-modality models
            fused.audio.load_state_dict(audio.state_dict())
            fused.lyrics.load_state_dict(lyr.state_dict())
        h = fit_model(fused, pack(Xn[fi], E[fi]), Y[fi],
                      validation=(pack(Xn[va], E[va]), Y[va]), random_state=s, **fit_kw)
        P["Mid-level fusion"][te] = predictions(train.predict(fused, pack(Xn[te], E[te])))
        seconds["Mid-level fusion"] += time.perf_counter() - t0
        epochs_used["Mid-level fusion"].append(h.n_epochs)
    seconds["Late fusion"] = seconds["Audio"] + seconds["Lyrics"]
    scores = {m: evaluate(Y, np.clip(P[m], [0, -np.inf, -np.inf], [1, np.inf, np.inf]))
              for m in names}
    if not return_info:
        return scores
    return scores, {"predictions": P, "seconds": seconds, "weights": weights,
                    "epochs": epochs_used}


def summary(runs):
    """Mean and spread over seeds of :func:`cross_validate`'s scores.

    Parameters
    ----------
    runs : list of dict
        One ``scores`` dict per seed.

    Returns
    -------
    pandas.DataFrame
        One row per model; for each metric its mean, standard deviation (``_std``), minimum and
        maximum over the seeds; ``n_seeds``.

    Examples
    --------
    >>> r = {"Audio": {"happy_sad_accuracy": 80.0, "valence_mse": 0.9, "arousal_mse": 0.6}}
    >>> s = {"Audio": {"happy_sad_accuracy": 70.0, "valence_mse": 0.7, "arousal_mse": 0.4}}
    >>> summary([r, s]).loc["Audio", ["happy_sad_accuracy", "happy_sad_accuracy_std"]].tolist()
    [75.0, 5.0]
    """
    import pandas as pd

    if not runs:
        raise ParameterError("runs: no seeds")
    rows = []
    for model in runs[0]:
        row = {"model": model, "n_seeds": len(runs)}
        for metric in ("happy_sad_accuracy", "valence_mse", "arousal_mse"):
            v = np.array([r[model][metric] for r in runs], dtype=np.float64)
            row.update({metric: v.mean(), f"{metric}_std": v.std(), f"{metric}_min": v.min(),
                        f"{metric}_max": v.max()})
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def targets(records):
    """``[happy, valence, arousal]`` of records: a corpus's (``labels``) or the Deezer CSV's.

    Records without a ``happy`` label (the Deezer dataset has only valence and arousal) are
    called happy when their valence is above 0 (the labels are standardised).

    Parameters
    ----------
    records : list of dict

    Returns
    -------
    Y : np.ndarray, shape (n, 3)

    Examples
    --------
    >>> targets([{"valence": -0.4, "arousal": 1.2}]).tolist()
    [[0.0, -0.4, 1.2]]
    """
    rows = []
    for i, rec in enumerate(records):
        lab = rec.get("labels", rec)
        try:
            v, a = float(lab["valence"]), float(lab["arousal"])
        except (KeyError, TypeError, ValueError):
            raise ParameterError(f"records: record {i} has no numeric valence/arousal") from None
        rows.append([float(bool(lab["happy"])) if "happy" in lab else float(v > 0), v, a])
    return np.array(rows, dtype=np.float64).reshape(len(rows), 3)


# ----------------------------------------------------------------------------- corpus


def corpus_inputs(*, tiny=False, root=None, mel=None, show_progress=False):
    """The ``mood`` corpus as arrays: log-mel images, lyric embeddings, targets, groups.

    The images are cached on disk (:func:`mirbook.featcache.cached_features`, keyed by the
    corpus manifest).

    Parameters
    ----------
    tiny : bool
    root : path, optional
        Where the corpora are (default :func:`mirbook.config.data_home`).
    mel : dict, optional
        :func:`mel_input` parameters (default :data:`MEL`).
    show_progress : bool

    Returns
    -------
    dict
        ``X`` (n, 1, n_mels, n_frames), ``E`` (n, 384), ``Y`` (n, 3), ``groups``, ``texts``,
        ``records`` (the corpus records, in the same order), ``embed_seconds``.
    """
    from mirbook import datasets, featcache, lyrics
    from mirbook.datasets import core
    from mirbook.utils import progress

    records = sorted(datasets.load("mood", split=None, tiny=tiny, root=root),
                     key=lambda r: r["id"])
    manifest = core.corpus_dir("mood", tiny=tiny, root=root) / "manifest.json"
    mel = dict(MEL if mel is None else mel)

    def compute():
        paths = [r["path"] for r in progress(records, desc="mood log-mel",
                                              disable=not show_progress)]
        return {"X": audio_inputs(paths, **mel)}

    X = featcache.cached_features({"task": "mood-mel", "manifest": manifest, **mel},
                                  compute=compute)["X"]
    texts = [r["labels"]["lyrics"] for r in records]
    t0 = time.perf_counter()
    E = lyrics.embed(texts)
    Y = targets(records)
    return {"X": np.array(X), "E": E, "Y": Y, "groups": np.array([r["group"] for r in records]),
            "texts": texts, "records": records, "embed_seconds": time.perf_counter() - t0}


def run_seeds(data, *, seeds=(0, 1, 2), **kw):
    """:func:`cross_validate` once per seed on :func:`corpus_inputs`' ``data``.

    Returns
    -------
    runs : list of dict
        Scores per seed.
    infos : list of dict
        :func:`cross_validate`'s info per seed.
    """
    runs, infos = [], []
    for s in seeds:
        scores, info = cross_validate(data["X"], data["E"], data["Y"], groups=data["groups"],
                                      texts=data["texts"], random_state=int(s),
                                      return_info=True, **kw)
        runs.append(scores)
        infos.append(info)
    return runs, infos


def table(runs, *, include_seed=True):
    """The seed's table beside ours (mean ± spread over seeds), one row per model and source.

    Parameters
    ----------
    runs : list of dict
        Scores per seed (:func:`run_seeds`).
    include_seed : bool

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``model``, ``happy/sad accuracy (%)``, ``valence MSE``,
        ``arousal MSE`` (strings ``mean ± std`` for ours).
    """
    import pandas as pd

    from mirbook.reproduce import paper_tables

    rows = []
    if include_seed:
        for r in paper_tables("mood")["rows"]:
            rows.append({"source": "seed (Deezer, 18k songs)", "model": r["model"],
                         "happy/sad accuracy (%)": f"{r['happy_sad_accuracy']:.2f}",
                         "valence MSE": f"{r['valence_mse']:.4f}",
                         "arousal MSE": f"{r['arousal_mse']:.4f}"})
    s = summary(runs)
    for model, r in s.iterrows():
        rows.append({"source": f"ours (synthetic, {int(r['n_seeds'])} seeds)", "model": model,
                     "happy/sad accuracy (%)": f"{r['happy_sad_accuracy']:.1f} ± "
                                               f"{r['happy_sad_accuracy_std']:.1f}",
                     "valence MSE": f"{r['valence_mse']:.3f} ± {r['valence_mse_std']:.3f}",
                     "arousal MSE": f"{r['arousal_mse']:.3f} ± {r['arousal_mse_std']:.3f}"})
    return pd.DataFrame(rows)


DATA_NOTE = ("Data difference: the seed's rows are 18,644 Deezer songs (MSD tags mapped to\n"
             "valence/arousal, real audio and lyrics, fixed splits); ours are the 144 clips of\n"
             "the SYNTHETIC `mood` corpus (re-moded, re-timed chorales and generated lyric\n"
             "lines, labels computed from known factors), cross-validated in chorale-disjoint\n"
             "folds, every clip predicted once per seed.")


def reproduce_main(argv=None):
    """``python -m mirbook reproduce mood [--seeds N] [--folds K] [--jobs N]``.

    Prints the seed's table beside ours (mean ± standard deviation over seeds), the training
    times and the data difference.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    int
        The exit status (0).

    Examples
    --------
    >>> reproduce_main(["--seeds", "1"])   # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(
        prog="mirbook reproduce mood",
        description="Multimodal mood detection (Delbouys et al., ISMIR 2018): the seed's table "
                    "beside ours, mean and spread over seeds.")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (default 3)")
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds (3)")
    parser.add_argument("--jobs", type=int, default=1, help="torch threads (1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    ns = parser.parse_args(list(argv or []))
    if ns.seeds < 1:
        parser.error("--seeds: at least 1")
    import pandas as pd

    from mirbook import lyrics

    _, info = lyrics.sentence_model(return_info=True)
    data = corpus_inputs(show_progress=not ns.no_progress)
    t0 = time.perf_counter()
    runs, infos = run_seeds(data, seeds=range(ns.seeds), n_jobs=ns.jobs,
                            n_splits=ns.folds)
    elapsed = time.perf_counter() - t0
    print("Multimodal mood detection: happy/sad accuracy (%), valence and arousal MSE "
          "(targets standardised: predicting 0 gives MSE 1)")
    with pd.option_context("display.width", 120, "display.max_colwidth", 40):
        print(table(runs).to_string(index=False))
    secs = pd.DataFrame([i["seconds"] for i in infos]).mean()
    print("Training time per seed (all folds), mean: " + ", ".join(
        f"{m} {v:.1f} s" for m, v in secs.items()) + f"; whole run {elapsed:.0f} s.")
    print(f"Text model: {lyrics.MODEL_NAME}, {info['bytes'] / 1e6:.1f} MB on disk, "
          f"{info['dim']}-d, loaded offline in {info['load_seconds']:.1f} s; "
          f"{len(data['texts'])} lyrics embedded in {data['embed_seconds']:.2f} s.")
    print(DATA_NOTE)
    return 0
