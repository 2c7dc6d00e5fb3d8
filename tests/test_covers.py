"""Tests of mirbook.covers: key and tempo invariances, 2-D FTM, the metrics, the CNN path."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from mirbook import covers as CV
from mirbook.errors import ParameterError


def _song(seed, n=40):
    rng = np.random.default_rng(seed)
    return rng.random((12, n)) ** 3


@pytest.mark.parametrize("shift", range(12))
def test_oti_finds_every_transposition(shift):
    a = _song(0)
    assert CV.oti(a, CV.transpose(a, shift=shift)) == shift


def test_dtw_distance_ignores_key_and_tempo_not_the_song():
    a = _song(1)
    version = CV.transpose(np.repeat(a, 2, axis=1), shift=5)   # half tempo, other key
    other = _song(2, n=80)
    assert CV.dtw_distance(a, version) < 1e-9
    assert CV.dtw_distance(a, version, key_invariant=False) > 0.1
    assert CV.dtw_distance(a, other) > 0.1


def test_ftm2d_is_key_and_shift_invariant():
    a = _song(3, n=32)
    v = CV.ftm2d(a, patch_frames=32)
    assert np.allclose(v, CV.ftm2d(CV.transpose(a, shift=4), patch_frames=32))
    assert np.allclose(v, CV.ftm2d(np.roll(a, 7, axis=1), patch_frames=32))
    assert np.isclose(np.linalg.norm(v), 1.0)


def test_evaluate_ap_equals_sklearn():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 3)
    X = rng.normal(size=(15, 4)) + 1.5 * rng.normal(size=(5, 4))[labels]
    D = CV.distance_matrix(X, method="euclidean")
    res, info = CV.evaluate(D, labels, return_info=True)
    for i in range(15):
        others = np.delete(np.arange(15), i)
        ref = average_precision_score(labels[others] == labels[i], -D[i, others])
        assert np.isclose(info["ap"][i], ref)
    assert np.isclose(res["mAP"], info["ap"].mean())
    assert res["top-1"] == np.mean(info["first_rank"] == 1)


def test_evaluate_perfect_and_worst():
    labels = ["a", "a", "b", "b"]
    D = np.array([[0, 1, 9, 9], [1, 0, 9, 9], [9, 9, 0, 1], [9, 9, 1, 0.]])
    assert CV.evaluate(D, labels) == {"mAP": 1.0, "MR1": 1.0, "top-1": 1.0, "n_queries": 4}
    worst = CV.evaluate(-D + 20 * np.eye(4), labels)
    assert worst["MR1"] == 3.0 and worst["top-1"] == 0.0


def test_distance_matrix_symmetric_zero_diagonal():
    items = [_song(s, n=20 + s) for s in range(4)]
    for method in ("dtw", "profile"):
        D = CV.distance_matrix(items, method=method)
        assert np.allclose(D, D.T) and np.all(np.diag(D) == 0)


def test_log_cqt_and_chroma_of_a_tone():
    sr = CV.DEFAULTS["sr"]
    y = np.sin(2 * np.pi * 440.0 * np.arange(2 * sr) / sr)
    L = CV.log_cqt(y)
    assert L.shape[0] == 60 and L.mean(axis=1).argmax() == 33   # A4 = C2 + 33
    assert CV.chroma(L).mean(axis=1).argmax() == 9               # pitch class A


def test_train_embedding_and_embed_shapes():
    rng = np.random.default_rng(0)
    X = [rng.random((12, 40)).astype("float32") for _ in range(6)]
    model = CV.train_embedding(X, [0, 0, 1, 1, 2, 2], epochs=1, n_crops=1, crop_frames=16,
                               circular=True, max_shift=11)
    E = CV.embed(model, X + [rng.random((12, 25))])
    assert E.shape == (7, 32) and np.allclose(np.linalg.norm(E, axis=1), 1.0)


def test_validate_names_the_argument():
    with pytest.raises(ParameterError, match="D"):
        CV.validate(np.zeros((2, 3)), ["a", "a"])
    with pytest.raises(ParameterError, match="labels"):
        CV.validate(np.zeros((3, 3)), ["a", "a"])
    with pytest.raises(ParameterError, match="labels"):
        CV.validate(np.zeros((3, 3)), ["a", "a", "b"])
    with pytest.raises(ParameterError, match="chroma"):
        CV.transpose(np.zeros((11, 4)), shift=1)
    with pytest.raises(ParameterError, match="notes"):
        CV.render_version(np.zeros((2, 2)))
