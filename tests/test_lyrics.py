"""mirbook.lyrics: the packaged sentence encoder offline and quiet, the classical baseline."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from mirbook import lyrics
from mirbook.errors import ParameterError


def test_model_is_packaged_and_384_d():
    assert (lyrics.model_path() / "model.safetensors").is_file()
    assert lyrics.model_size() > 50e6
    model, info = lyrics.sentence_model(return_info=True)
    assert info["dim"] == lyrics.EMBEDDING_DIM == 384
    assert lyrics.sentence_model() is model            # loaded once per process


def test_loads_offline_without_network_or_stderr(tmp_path):
    """A fresh interpreter, a dead proxy, an empty HF cache: loads, nothing on stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS"))}
    env.update({"HF_HOME": str(tmp_path / "hf"), "HTTPS_PROXY": "http://127.0.0.1:9",
                "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "", "PYTHONWARNINGS": "default"})
    code = ("from mirbook import lyrics; E = lyrics.embed(['a happy song']); "
            "print(E.shape, lyrics.sentence_model(return_info=True)[1]['dim'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["(1,", "384)", "384"]
    assert out.stderr == ""
    assert not (tmp_path / "hf").exists() or not any((tmp_path / "hf").rglob("*.safetensors"))


def test_embed_invariants():
    texts = ["the sun comes up over the hill", "the last train left without me",
             "the sun comes up over the hill"]
    E = lyrics.embed(texts)
    assert E.shape == (3, 384) and E.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(E, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(E[0], E[2], atol=1e-6)       # deterministic
    np.testing.assert_allclose(lyrics.embed(texts[1]), E[1:2], atol=1e-5)  # batch-independent
    assert lyrics.embed([]).shape == (0, 384)
    # meaning, not spelling: a paraphrase is nearer than an unrelated line
    A = lyrics.embed(["I am so happy today", "today I feel very glad",
                      "the invoice is due on friday"])
    assert A[0] @ A[1] > A[0] @ A[2]


def test_bad_input_named():
    with pytest.raises(ParameterError, match="texts: item 1"):
        lyrics.embed(["ok", 3])
    with pytest.raises(ParameterError, match="device"):
        lyrics.sentence_model(device="tpu")


def test_vader_and_baseline_against_their_libraries():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = ["I will never be lonely again", "what a wonderful day", "a sad and lonely night"]
    S = lyrics.vader_scores(texts)
    an = SentimentIntensityAnalyzer()
    for row, t in zip(S, texts):
        ref = an.polarity_scores(t)
        np.testing.assert_allclose(row, [ref["neg"], ref["neu"], ref["pos"], ref["compound"]])
    vec = lyrics.BaselineVectorizer().fit(texts[:2])
    X = vec.transform(texts)
    ref = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts[:2]).transform(texts)
    np.testing.assert_allclose(X[:, :-4], ref.toarray())
    np.testing.assert_allclose(X[:, -4:], S)
    assert lyrics.BaselineVectorizer(vader=False).fit(texts[:2]).transform(texts).shape == \
        (3, X.shape[1] - 4)
