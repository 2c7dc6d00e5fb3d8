"""Multi-label tagging: tag matrices, tag selection and per-tag ROC-AUC / PR-AUC tables.

The package code behind chapter 10 (``notebooks/10_tagging.ipynb``, automatic tagging and the
dataset problem). A tagger outputs one score per (clip, tag); it is judged tag by tag, with two
ranking measures that need no decision threshold:

- **ROC-AUC**: the probability that a random positive clip scores above a random negative one
  (0.5 = chance, whatever the prevalence of the tag);
- **PR-AUC** (average precision): the area under the precision-recall curve; its chance level is
  the tag's prevalence in the test set, so rare tags look hard here, as they are in practice.

Both are undefined for a tag with no positive (or no negative) clip in the test set: such tags
are reported with ``NaN`` and left out of the macro averages, instead of raising scikit-learn's
``UndefinedMetricWarning``. The scores themselves are computed by
:func:`sklearn.metrics.roc_auc_score` and :func:`sklearn.metrics.average_precision_score`
(``tests/test_tagging.py`` checks the table against them).

As in :mod:`mir_eval`, :func:`validate` rejects malformed input before any computation and
:func:`evaluate` scores a tagger (macro ROC-AUC and PR-AUC, with the per-tag table on request);
caller mistakes raise :class:`mirbook.errors.ParameterError` naming the argument.
"""

from __future__ import annotations

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError

__all__ = ["tag_matrix", "select_tags", "validate", "tag_table", "macro_scores", "evaluate",
           "make_model"]


def tag_matrix(labels, *, tags=None):
    """Binary clip-by-tag matrix from lists of tags (one list per clip).

    Used in the chapter notebook ``notebooks/10_tagging.ipynb``.

    Parameters
    ----------
    labels : sequence of sequence of str, shape (n_clips,)
        ``labels[i]``: the tags of clip ``i`` (a ``";"``-separated string is also accepted).
    tags : sequence of str, shape (n_tags,), optional
        Vocabulary (column order). Default: every tag seen, sorted. Tags outside it are ignored.

    Returns
    -------
    Y : np.ndarray, shape (n_clips, n_tags), int8, 0/1
    tags : np.ndarray, shape (n_tags,), str

    Examples
    --------
    >>> Y, tags = tag_matrix([["rock", "live"], ["jazz"], "rock;jazz"])
    >>> tags.tolist(), Y.tolist()
    (['jazz', 'live', 'rock'], [[0, 1, 1], [1, 0, 0], [1, 0, 1]])

    See Also
    --------
    select_tags
    """
    if isinstance(labels, str):
        raise ParameterError("labels: expected one tag list per clip, got a single string")
    lists = []
    for i, t in enumerate(labels):
        if isinstance(t, str):
            t = [s for s in t.split(";") if s]
        try:
            t = list(t)
        except TypeError:
            raise ParameterError(f"labels[{i}]: expected a list of strings, got {t!r}") from None
        if not all(isinstance(s, str) for s in t):
            raise ParameterError(f"labels[{i}]: expected strings, got {t!r}")
        lists.append(t)
    if tags is None:
        tags = sorted({s for t in lists for s in t})
    elif isinstance(tags, str) or not all(isinstance(s, str) for s in tags):
        raise ParameterError(f"tags: expected a sequence of strings, got {tags!r}")
    tags = np.asarray(list(tags), dtype=str)
    if len(set(tags.tolist())) != len(tags):
        raise ParameterError("tags: the vocabulary has duplicates")
    col = {t: j for j, t in enumerate(tags)}
    Y = np.zeros((len(lists), len(tags)), dtype=np.int8)
    for i, t in enumerate(lists):
        for s in t:
            if s in col:
                Y[i, col[s]] = 1
    return Y, tags


def _check_Y(Y, name="Y"):
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ParameterError(f"{name}: expected a (n_clips, n_tags) matrix, got shape {Y.shape}")
    if Y.dtype == object or not np.isin(Y, (0, 1)).all():
        raise ParameterError(f"{name}: expected 0/1 (or boolean) values")
    return Y.astype(np.int8)


def select_tags(Y_train, Y_test=None, *, min_train=8, min_test=2):
    """Tags with enough examples to be learned and evaluated.

    A tag is kept when it has at least ``min_train`` positive **and** ``min_train`` negative
    clips in the training set and, if ``Y_test`` is given, at least ``min_test`` positives and
    ``min_test`` negatives in the test set (otherwise its ROC-AUC is undefined or meaningless).
    Used in the chapter notebook ``notebooks/10_tagging.ipynb``.

    Parameters
    ----------
    Y_train : np.ndarray, shape (n_train, n_tags), 0/1
    Y_test : np.ndarray, shape (n_test, n_tags), 0/1, optional
    min_train, min_test : int

    Returns
    -------
    keep : np.ndarray, shape (n_tags,), bool

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    >>> select_tags(Y, min_train=2).tolist()
    [True, False]

    See Also
    --------
    tag_matrix, tag_table
    """
    Y_train = _check_Y(Y_train, "Y_train")
    min_train = _validate.nonneg_int(min_train, "min_train")
    min_test = _validate.nonneg_int(min_test, "min_test")
    if Y_test is not None:
        Y_test = _check_Y(Y_test, "Y_test")
        if Y_test.shape[1] != Y_train.shape[1]:
            raise ParameterError(f"Y_test: {Y_test.shape[1]} tags, Y_train "
                                 f"{Y_train.shape[1]}")
    pos = Y_train.sum(0)
    keep = (pos >= min_train) & (len(Y_train) - pos >= min_train)
    if Y_test is not None:
        pos = Y_test.sum(0)
        keep &= (pos >= min_test) & (len(Y_test) - pos >= min_test)
    return keep


def validate(Y_true, Y_score=None, *, tags=None):
    """Check a tag matrix (and the scores of a tagger, and tag names) before any computation.

    mir_eval style: every problem is reported with the argument's name. Used in the chapter
    notebook ``notebooks/10_tagging.ipynb``.

    Parameters
    ----------
    Y_true : np.ndarray, shape (n_clips, n_tags), 0/1 (or boolean)
    Y_score : np.ndarray, shape (n_clips, n_tags), float, optional
        Finite scores, the shape of ``Y_true``.
    tags : sequence of str, shape (n_tags,), optional
        Default ``tag0, tag1...``.

    Returns
    -------
    Y_true : np.ndarray, shape (n_clips, n_tags), int8
    Y_score : np.ndarray, shape (n_clips, n_tags), float64, or None
    tags : list of str, length n_tags

    Raises
    ------
    ParameterError

    Examples
    --------
    >>> Y, S, tags = validate([[1, 0], [0, 1]], [[0.9, 0.2], [0.3, 0.8]])
    >>> Y.dtype, S.dtype, tags
    (dtype('int8'), dtype('float64'), ['tag0', 'tag1'])
    >>> validate([[1, 0], [0, 1]], [[0.9, 0.2]])
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: Y_score: shape (1, 2), expected (2, 2)
    """
    Y_true = _check_Y(Y_true, "Y_true")
    if Y_score is not None:
        Y_score = _validate.real_array(Y_score, "Y_score", shape=Y_true.shape,
                                       allow_empty=True).astype(np.float64)
    k = Y_true.shape[1]
    tags = [f"tag{j}" for j in range(k)] if tags is None else [str(t) for t in tags]
    if len(tags) != k:
        raise ParameterError(f"tags: {len(tags)} tag names for {k} columns")
    return Y_true, Y_score, tags


def tag_table(Y_true, Y_score, *, tags=None):
    """Per-tag ROC-AUC and PR-AUC of a tagger on a test set, as a table.

    Used in the chapter notebook ``notebooks/10_tagging.ipynb``.

    Parameters
    ----------
    Y_true : np.ndarray, shape (n_clips, n_tags), 0/1
    Y_score : np.ndarray, shape (n_clips, n_tags), float
        Any score that ranks clips (probability, decision function).
    tags : sequence of str, shape (n_tags,), optional
        Row names (default ``tag0, tag1...``).

    Returns
    -------
    table : pandas.DataFrame, indexed by tag, columns
        ``positives`` (count in the test set), ``prevalence`` (the PR-AUC of a random scorer),
        ``roc_auc``, ``pr_auc``. Tags whose test column is all 0 or all 1 get ``NaN`` scores.

    Examples
    --------
    >>> import numpy as np
    >>> t = tag_table(np.array([[1, 0], [0, 1], [1, 0]]), np.array([[.9, .2], [.1, .8], [.6, .7]]),
    ...               tags=["a", "b"])
    >>> t["roc_auc"].tolist()
    [1.0, 1.0]

    See Also
    --------
    macro_scores, sklearn.metrics.roc_auc_score, sklearn.metrics.average_precision_score
    """
    import pandas as pd
    from sklearn.metrics import average_precision_score, roc_auc_score

    Y_true, Y_score, tags = validate(Y_true, Y_score, tags=tags)
    n, k = Y_true.shape
    rows = []
    for j in range(k):
        y, s = Y_true[:, j], Y_score[:, j]
        pos = int(y.sum())
        defined = 0 < pos < n
        rows.append({
            "positives": pos,
            "prevalence": pos / n if n else np.nan,
            "roc_auc": roc_auc_score(y, s) if defined else np.nan,
            "pr_auc": average_precision_score(y, s) if defined else np.nan,
        })
    return pd.DataFrame(rows, index=pd.Index(tags, name="tag"))


def macro_scores(table):
    """Macro averages (unweighted mean over the tags where they are defined) of a :func:`tag_table`.

    Used in the chapter notebook ``notebooks/10_tagging.ipynb``.

    Parameters
    ----------
    table : pandas.DataFrame
        As :func:`tag_table` returns it.

    Returns
    -------
    scores : dict
        ``roc_auc``, ``pr_auc``, ``prevalence`` (the macro PR-AUC of a random scorer) and
        ``n_tags`` (how many tags were averaged).

    Examples
    --------
    >>> import numpy as np
    >>> t = tag_table(np.array([[1, 0], [0, 0], [1, 0]]), np.array([[.9, .2], [.1, .8], [.6, .7]]))
    >>> macro_scores(t)["n_tags"]
    1
    """
    missing = {"roc_auc", "pr_auc", "prevalence"} - set(getattr(table, "columns", ()))
    if missing:
        raise ParameterError(f"table: expected a tag_table, missing columns {sorted(missing)}")
    ok = table["roc_auc"].notna()
    return {
        "roc_auc": float(table.loc[ok, "roc_auc"].mean()),
        "pr_auc": float(table.loc[ok, "pr_auc"].mean()),
        "prevalence": float(table.loc[ok, "prevalence"].mean()),
        "n_tags": int(ok.sum()),
    }


def evaluate(Y_true, Y_score, *, tags=None, return_info=False):
    """Score a tagger: macro ROC-AUC and PR-AUC over the tags where they are defined.

    :func:`validate` first, then :func:`tag_table` (scikit-learn's
    :func:`~sklearn.metrics.roc_auc_score` and :func:`~sklearn.metrics.average_precision_score`
    per tag) and :func:`macro_scores`. Used in the chapter notebook
    ``notebooks/10_tagging.ipynb``.

    Parameters
    ----------
    Y_true : np.ndarray, shape (n_clips, n_tags), 0/1
    Y_score : np.ndarray, shape (n_clips, n_tags), float
    tags : sequence of str, shape (n_tags,), optional
    return_info : bool
        Also return ``{"table": the per-tag table}``.

    Returns
    -------
    scores : dict
        ``roc_auc``, ``pr_auc``, ``prevalence``, ``n_tags`` (see :func:`macro_scores`).
    info : dict
        Only with ``return_info``: ``table``, the :func:`tag_table`.

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    >>> S = np.array([[.9, .2], [.1, .8], [.6, .7], [.2, .1]])
    >>> scores, info = evaluate(Y, S, tags=["rock", "jazz"], return_info=True)
    >>> scores["roc_auc"], scores["n_tags"], info["table"].index.tolist()
    (1.0, 2, ['rock', 'jazz'])
    """
    table = tag_table(Y_true, Y_score, tags=tags)
    scores = macro_scores(table)
    return (scores, {"table": table}) if return_info else scores


def make_model(*, C=0.1, multi_label=False, max_iter=5000):
    """The chapter's tagger: standardised features, then an L2-regularised logistic regression.

    ``Pipeline(StandardScaler, LogisticRegression)``; with ``multi_label=True`` one logistic
    regression per tag (:class:`sklearn.multiclass.OneVsRestClassifier`), whose
    ``predict_proba`` gives one score per (clip, tag) for :func:`tag_table`.

    Parameters
    ----------
    C : float
        Inverse regularisation strength (small: strong regularisation, for few examples and
        many features).
    multi_label : bool
        One binary classifier per column of ``Y`` (a tag matrix) instead of one classifier.
    max_iter : int
        Iterations of the solver.

    Returns
    -------
    pipe : sklearn.pipeline.Pipeline
        Unfitted.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    >>> make_model(multi_label=True).fit(X, Y).predict_proba(X).shape
    (4, 2)
    >>> make_model(C=1.0).fit(X, Y[:, 0]).predict(X).tolist()
    [1, 1, 0, 0]

    Used in the chapter notebook ``notebooks/10_tagging.ipynb``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    C = _validate.finite_real(C, name="C")
    if C <= 0:
        raise ParameterError(f"C must be positive, got {C}")
    max_iter = _validate.positive_int(max_iter, name="max_iter")
    clf = LogisticRegression(C=C, max_iter=max_iter)
    return make_pipeline(StandardScaler(), OneVsRestClassifier(clf) if multi_label else clf)
