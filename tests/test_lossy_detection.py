"""mirbook.lossy_detection: detection features, conditions, the labelled set, evaluate()."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from mirbook import codecs
from mirbook import lossy_detection as LD
from mirbook.errors import CodecError, ParameterError

from test_codecs import SR, music_like


@pytest.fixture(scope="module")
def y():
    return music_like()


def test_detection_features_differ_after_mp3_128(y):
    names = LD.detection_feature_names()
    f0 = LD.detection_features(y, sr=SR)
    f1 = LD.detection_features(codecs.roundtrip(y, sr=SR, codec="mp3", bitrate=128), sr=SR)
    assert f0.shape == f1.shape == (len(names),)
    top = names.index(f"level_{LD.N_BANDS - 1}")
    assert f1[top] < f0[top] - 20                     # the low-pass shelf
    holes = names.index(f"holes_{LD.N_BANDS - 1}")
    assert f1[holes] > f0[holes] + 0.3                # zeroed bins at the top
    assert f1[names.index("shelf_db")] > f0[names.index("shelf_db")] + 10


def test_conditions_and_labels(y):
    short = y[:SR]
    orig = LD.apply_condition(short, sr=SR, condition="original")
    assert orig.dtype == np.float32 and np.array_equal(orig * 32768, np.round(orig * 32768))
    trans = LD.apply_condition(short, sr=SR, condition="mp3@128>flac")
    assert trans.shape == short.shape and np.array_equal(trans * 32768, np.round(trans * 32768))
    assert [LD.is_lossy(c) for c in ("original", "resample@48000", "mp3@64", "vorbis@q0.3",
                                     "aac@96>flac")] == [False, False, True, True, True]
    X = LD.detection_set([short, short[::-1]], sr=SR, conditions=["original", "mp3@64"],
                         n_jobs=1)
    assert X.shape == (2, 2, len(LD.detection_feature_names()))


def test_evaluate_matches_sklearn():
    rng = np.random.default_rng(7)
    t, p = rng.integers(0, 2, 40), rng.integers(0, 2, 40)
    s = LD.evaluate(t, p)
    assert s["accuracy"] == pytest.approx(accuracy_score(t, p))
    assert s["recall"] == pytest.approx(recall_score(t, p))
    assert s["precision"] == pytest.approx(precision_score(t, p))
    assert s["f_measure"] == pytest.approx(f1_score(t, p))
    assert s["false_positive_rate"] == pytest.approx(np.mean(p[t == 0]))
    assert LD.evaluate(["original", "mp3@64"], [False, True])["accuracy"] == 1.0


@pytest.mark.parametrize("call, err, match", [
    (lambda: LD.apply_condition(np.zeros(100), sr=SR, condition="mp3@64>wav"), ParameterError,
     ">flac"),
    (lambda: LD.is_lossy("mp3@fast"), ParameterError, "condition"),
    (lambda: LD.is_lossy("wma@64"), CodecError, "unknown codec"),
    (lambda: LD.detection_features(np.zeros(100), sr=SR), Exception, "shorter than n_fft"),
    (lambda: LD.detection_features(np.zeros(SR), sr=SR, n_bands=0), ParameterError, "n_bands"),
    (lambda: LD.validate([0, 1], [1]), ParameterError, "one per file"),
    (lambda: LD.validate([], []), ParameterError, "no labels"),
    (lambda: LD.validate([0, 2], [0, 1]), ParameterError, "labels 1"),
])
def test_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def _toy_set(random_state=0):
    rng = np.random.default_rng(random_state)
    X = rng.standard_normal((8, 4, 5))
    X[:, 2:] += 4.0                       # the two lossy conditions stand out
    return X, ["original", "resample@48000", "mp3@64", "opus@48"]


def test_train_detector_holds_codecs_out_and_scores_by_condition():
    X, conds = _toy_set()
    model = LD.train_detector(X, conditions=conds, codecs={"mp3"}, n_estimators=20)
    # trained on the lossless conditions and mp3 only: 3 conditions x 8 signals
    assert model[-1].n_features_in_ == 5 and model[-1].classes_.tolist() == [False, True]
    acc = LD.accuracy_by_condition(model, X, conditions=conds)
    assert list(acc) == conds and acc == {c: 1.0 for c in conds}
    # feature columns: the same selection for training and scoring
    model2 = LD.train_detector(X, conditions=conds, features=[0, 2], n_estimators=20)
    assert model2[-1].n_features_in_ == 2
    assert LD.accuracy_by_condition(model2, X, conditions=conds, features=[0, 2])["mp3@64"] == 1.0
    # same seed, same forest
    again = LD.train_detector(X, conditions=conds, codecs={"mp3"}, n_estimators=20)
    assert np.array_equal(again.predict_proba(X[:, 0]), model.predict_proba(X[:, 0]))


@pytest.mark.parametrize("call, match", [
    (lambda X, c: LD.train_detector(X[0], conditions=c), "shape"),
    (lambda X, c: LD.train_detector(X, conditions=c[:3]), "one name per condition"),
    (lambda X, c: LD.train_detector(X, conditions=["original"] * 4), "one class"),
    (lambda X, c: LD.train_detector(X, conditions=c, random_state=-1), "random_state"),
    (lambda X, c: LD.accuracy_by_condition(object(), X, conditions=c), "predict"),
])
def test_train_detector_errors(call, match):
    X, conds = _toy_set()
    with pytest.raises(ParameterError, match=match):
        call(X, conds)
