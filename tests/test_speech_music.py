"""mirbook.speech_music: the seed's 3888-d input and the task's validate()/evaluate()."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from mirbook import features as F
from mirbook import speech_music as SM
from mirbook.errors import AudioFileError, ParameterError

SR = 22050


@pytest.fixture(scope="module")
def y():
    """3 s: a silent start (silent frames), a tone, noise from 1 s on. float32."""
    rng = np.random.default_rng(0)
    t = np.arange(3 * SR) / SR
    y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(t.size) * (t > 1)
    y[:6000] = 0.0
    return y.astype(np.float32)


def test_seed_input_is_3888(y):
    x = SM.seed_input(y, sr=SR)
    assert x.shape == SM.SEED_INPUT_SHAPE == (3, 108, 12)
    flat = SM.seed_input(y, sr=SR, flatten=True)
    assert flat.shape == (3888,) and np.array_equal(flat, x.reshape(-1))
    assert len(SM.seed_input_names()) == 3888
    assert SM.seed_input(y, sr=SR, kind="logmel").shape == (3, 108, 12)
    # channel 1 is the delta of channel 0
    base = F.mfcc(y=y, sr=SR, n_mels=40, n_mfcc=13)[1:]
    start = (base.shape[1] - 108) // 2
    assert np.allclose(x[0], base[:, start:start + 108].T, atol=1e-4)
    assert np.allclose(x[1], F.delta(base)[:, start:start + 108].T, atol=1e-4)
    assert F.stacked_frames([np.ones((12, 50))] * 3, n_frames=108).shape == (3, 108, 12)  # padded
    assert len(SM.seed_input_names(kind="logmel")) == 3888


def test_seed_input_errors():
    with pytest.raises(AudioFileError, match="shorter than n_fft"):
        SM.seed_input(np.zeros(1000, dtype=np.float32), sr=SR)
    with pytest.raises(ParameterError, match="kind"):
        SM.seed_input(np.zeros(SR, dtype=np.float32), sr=SR, kind="cqt")
    with pytest.raises(ParameterError, match="n_mels"):
        SM.seed_input(np.zeros(SR, dtype=np.float32), sr=SR, n_mels=12)


def test_evaluate_matches_sklearn():
    rng = np.random.default_rng(5)
    t, p = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    s = SM.evaluate(t, p)
    assert s["recall"] == pytest.approx(recall_score(t, p))
    assert s["precision"] == pytest.approx(precision_score(t, p))
    assert s["f_measure"] == pytest.approx(f1_score(t, p))
    assert s["accuracy"] == pytest.approx(np.mean(t == p))
    names = np.where(t == 1, "speech", "music")
    assert SM.evaluate(names, p.astype(bool)) == s
    # nothing called speech: precision and F are 0, not NaN
    assert SM.evaluate(["speech", "music"], ["music", "music"])["precision"] == 0.0


@pytest.mark.parametrize("ref, est, match", [
    ([], [], "no labels"),
    (["speech"], ["speech", "music"], "one per clip"),
    (["speech"], ["noise"], "unknown label"),
    ([2], [1], "0 .music. or 1"),
    ([[1, 0]], [[1, 0]], "1-d"),
])
def test_validate_errors(ref, est, match):
    with pytest.raises(ParameterError, match=match):
        SM.validate(ref, est)
