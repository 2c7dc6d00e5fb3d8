"""Tests of mirbook.tagging against sklearn.metrics (chapter 10)."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import MultiLabelBinarizer

from mirbook import tagging


def test_tag_matrix_matches_multilabelbinarizer():
    lists = [["rock", "live"], ["jazz"], [], ["rock", "jazz", "80s"]]
    Y, tags = tagging.tag_matrix(lists)
    mlb = MultiLabelBinarizer()
    ref = mlb.fit_transform(lists)
    assert list(tags) == list(mlb.classes_)
    np.testing.assert_array_equal(Y, ref)
    Y2, tags2 = tagging.tag_matrix(["rock;live", "jazz"], tags=["live", "rock"])
    assert list(tags2) == ["live", "rock"] and Y2.tolist() == [[1, 1], [0, 0]]


def test_tag_matrix_errors():
    with pytest.raises(TypeError, match=r"tag_lists\[1\]"):
        tagging.tag_matrix([["a"], [3]])
    with pytest.raises(ValueError, match="duplicates"):
        tagging.tag_matrix([["a"]], tags=["a", "a"])


def test_select_tags():
    Y_tr = np.array([[1, 1, 0]] * 3 + [[0, 1, 1]] * 3)
    Y_te = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 1]])
    assert tagging.select_tags(Y_tr, min_train=3).tolist() == [True, False, True]
    assert tagging.select_tags(Y_tr, Y_te, min_train=3, min_test=1).tolist() == [True, False,
                                                                                   True]
    assert tagging.select_tags(Y_tr, Y_te, min_train=3, min_test=2).tolist() == [False, False,
                                                                                   False]
    with pytest.raises(ValueError, match="0/1"):
        tagging.select_tags(np.array([[2]]))
    with pytest.raises(ValueError, match="tags"):
        tagging.select_tags(Y_tr, Y_te[:, :2])


def test_tag_table_matches_sklearn_and_skips_undefined_tags():
    rng = np.random.default_rng(0)
    Y = (rng.random((40, 5)) < 0.3).astype(int)
    Y[:, 3] = 0                                     # no positive: undefined
    S = Y + rng.normal(0, 0.8, Y.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no UndefinedMetricWarning
        t = tagging.tag_table(Y, S, list("abcde"))
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


def test_tag_table_errors():
    Y = np.array([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="shape"):
        tagging.tag_table(Y, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        tagging.tag_table(Y, np.array([[np.nan, 0], [0, 1]]))
    with pytest.raises(ValueError, match="tag names"):
        tagging.tag_table(Y, np.zeros((2, 2)), ["a"])
    with pytest.raises(ValueError, match="matrix"):
        tagging.tag_table(np.array([1, 0]), np.array([0.1, 0.2]))
