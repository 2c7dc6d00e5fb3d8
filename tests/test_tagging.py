"""Tests of mirbook.tagging against sklearn.metrics (chapter 10)."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import MultiLabelBinarizer

from mirbook import tagging
from mirbook.errors import ParameterError


def test_tag_matrix_matches_multilabelbinarizer():
    lists = [["rock", "live"], ["jazz"], [], ["rock", "jazz", "80s"]]
    Y, tags = tagging.tag_matrix(lists)
    mlb = MultiLabelBinarizer()
    ref = mlb.fit_transform(lists)
    assert list(tags) == list(mlb.classes_)
    np.testing.assert_array_equal(Y, ref)
    Y2, tags2 = tagging.tag_matrix(["rock;live", "jazz"], tags=["live", "rock"])
    assert list(tags2) == ["live", "rock"] and Y2.tolist() == [[1, 1], [0, 0]]


@pytest.mark.parametrize(
    "labels, tags, match",
    [
        ([["a"], [3]], None, r"labels\[1\]: expected strings"),
        ([["a"], 3], None, r"labels\[1\]: expected a list"),
        ("rock;jazz", None, "labels: expected one tag list per clip"),
        ([["a"]], ["a", "a"], "tags: the vocabulary has duplicates"),
        ([["a"]], "ab", "tags: expected a sequence of strings"),
        ([["a"]], ["a", 1], "tags: expected a sequence of strings"),
    ],
)
def test_tag_matrix_errors(labels, tags, match):
    with pytest.raises(ParameterError, match=match):
        tagging.tag_matrix(labels, tags=tags)


def test_select_tags():
    Y_tr = np.array([[1, 1, 0]] * 3 + [[0, 1, 1]] * 3)
    Y_te = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 1]])
    assert tagging.select_tags(Y_tr, min_train=3).tolist() == [True, False, True]
    assert tagging.select_tags(Y_tr, Y_te, min_train=3, min_test=1).tolist() == [True, False,
                                                                                   True]
    assert tagging.select_tags(Y_tr, Y_te, min_train=3, min_test=2).tolist() == [False, False,
                                                                                   False]



@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((np.array([[2]]),), {}, "Y_train: expected 0/1"),
        ((np.array([1, 0]),), {}, "Y_train: expected a"),
        ((np.ones((3, 3)), np.ones((3, 2))), {}, "Y_test: 2 tags"),
        ((np.ones((3, 3)), np.full((3, 3), 0.5)), {}, "Y_test: expected 0/1"),
        ((np.ones((3, 3)),), dict(min_train=-1), "min_train"),
        ((np.ones((3, 3)), np.ones((3, 3))), dict(min_test=1.5), "min_test"),
    ],
)
def test_select_tags_errors(args, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        tagging.select_tags(*args, **kwargs)


def test_tag_table_matches_sklearn_and_skips_undefined_tags():
    rng = np.random.default_rng(0)
    Y = (rng.random((40, 5)) < 0.3).astype(int)
    Y[:, 3] = 0                                     # no positive: undefined
    S = Y + rng.normal(0, 0.8, Y.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no UndefinedMetricWarning
        t = tagging.tag_table(Y, S, tags=list("abcde"))
    for j, tag in enumerate("abcde"):
        if j == 3:
            assert np.isnan(t.loc[tag, "roc_auc"]) and np.isnan(t.loc[tag, "pr_auc"])
            continue
        assert t.loc[tag, "roc_auc"] == pytest.approx(roc_auc_score(Y[:, j], S[:, j]))
        assert t.loc[tag, "pr_auc"] == pytest.approx(average_precision_score(Y[:, j], S[:, j]))
        assert t.loc[tag, "positives"] == Y[:, j].sum()
    m = tagging.macro_scores(t)
    ok = [0, 1, 2, 4]
    assert m["n_tags"] == 4
    assert m["roc_auc"] == pytest.approx(roc_auc_score(Y[:, ok], S[:, ok], average="macro"))
    assert m["pr_auc"] == pytest.approx(
        average_precision_score(Y[:, ok], S[:, ok], average="macro"))
    assert m["prevalence"] == pytest.approx(Y[:, ok].mean())
    scores, info = tagging.evaluate(Y, S, tags=list("abcde"), return_info=True)
    assert scores == m
    assert info["table"].equals(t)
    assert tagging.evaluate(Y, S) == m


Y2 = np.array([[1, 0], [0, 1]])


@pytest.mark.parametrize(
    "Y_true, Y_score, tags, match",
    [
        (Y2, np.zeros((2, 3)), None, r"Y_score: shape \(2, 3\), expected \(2, 2\)"),
        (Y2, np.array([[np.nan, 0], [0, 1]]), None, "Y_score: 1 NaN"),
        (Y2, np.zeros((2, 2)), ["a"], "tags: 1 tag names for 2 columns"),
        (np.array([1, 0]), np.array([0.1, 0.2]), None, "Y_true: expected a .* matrix"),
        (np.array([[0.5, 1]]), np.zeros((1, 2)), None, "Y_true: expected 0/1"),
        (Y2, np.full((2, 2), "x"), None, "Y_score: expected real numbers"),
    ],
)
@pytest.mark.parametrize("func", [tagging.tag_table, tagging.evaluate, tagging.validate])
def test_tag_table_errors(func, Y_true, Y_score, tags, match):
    with pytest.raises(ParameterError, match=match):
        func(Y_true, Y_score, tags=tags)


def test_macro_scores_needs_a_table():
    with pytest.raises(ParameterError, match="table"):
        tagging.macro_scores({"roc_auc": [1.0]})


def test_make_model_is_standardised_logistic_regression():
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) * [1.0, 100.0, 0.01]
    Y = (X[:, :2] * [1.0, 0.01] > 0).astype(int)
    multi = tagging.make_model(multi_label=True).fit(X, Y)
    assert isinstance(multi.steps[-1][1], OneVsRestClassifier)
    assert multi.predict_proba(X).shape == (40, 2)
    single = tagging.make_model(C=1.0).fit(X, Y[:, 0])
    clf = single.steps[-1][1]
    assert isinstance(clf, LogisticRegression) and clf.C == 1.0
    assert single.predict_proba(X).shape == (40, 2)
    # the same scores as the pipeline written out by hand
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    np.testing.assert_allclose(tagging.make_model().fit(X, Y[:, 1]).predict_proba(X),
                               ref.fit(X, Y[:, 1]).predict_proba(X))


@pytest.mark.parametrize("kwargs, match", [({"C": 0}, "C must be positive"),
                                           ({"C": float("nan")}, "C"),
                                           ({"max_iter": 0}, "max_iter")])
def test_make_model_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        tagging.make_model(**kwargs)
