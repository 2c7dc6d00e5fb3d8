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
"""

from __future__ import annotations

import numpy as np

__all__ = ["tag_matrix", "select_tags", "tag_table", "macro_scores"]


def tag_matrix(tag_lists, tags=None):
    """Binary clip-by-tag matrix from lists of tags (one list per clip).

    Parameters
    ----------
    tag_lists : sequence of sequence of str
        ``tag_lists[i]``: the tags of clip ``i`` (a ``";"``-separated string is also accepted).
    tags : sequence of str, optional
        Vocabulary (column order). Default: every tag seen, sorted. Tags outside it are ignored.

    Returns
    -------
    Y : np.ndarray [shape=(n_clips, n_tags)], int8, 0/1
    tags : np.ndarray [shape=(n_tags,)], str

    Examples
    --------
    >>> Y, tags = tag_matrix([["rock", "live"], ["jazz"], "rock;jazz"])
    >>> tags.tolist(), Y.tolist()
    (['jazz', 'live', 'rock'], [[0, 1, 1], [1, 0, 0], [1, 0, 1]])

    See Also
    --------
    select_tags, notebooks/10_tagging.ipynb
    """
    lists = []
    for i, t in enumerate(tag_lists):
        if isinstance(t, str):
            t = [s for s in t.split(";") if s]
        t = list(t)
        if not all(isinstance(s, str) for s in t):
            raise TypeError(f"tag_lists[{i}]: expected strings, got {t!r}")
        lists.append(t)
    if tags is None:
        tags = sorted({s for t in lists for s in t})
    tags = np.asarray(list(tags), dtype=str)
    if len(set(tags.tolist())) != len(tags):
        raise ValueError("tags: the vocabulary has duplicates")
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
        raise ValueError(f"{name}: expected a (n_clips, n_tags) matrix, got shape {Y.shape}")
    if not np.isin(Y, (0, 1)).all():
        raise ValueError(f"{name}: expected 0/1 (or boolean) values")
    return Y.astype(np.int8)


def select_tags(Y_train, Y_test=None, *, min_train=8, min_test=2):
    """Tags with enough examples to be learned and evaluated.

    A tag is kept when it has at least ``min_train`` positive **and** ``min_train`` negative
    clips in the training set and, if ``Y_test`` is given, at least ``min_test`` positives and
    ``min_test`` negatives in the test set (otherwise its ROC-AUC is undefined or meaningless).

    Parameters
    ----------
    Y_train : np.ndarray [shape=(n_train, n_tags)], 0/1
    Y_test : np.ndarray [shape=(n_test, n_tags)], 0/1, optional
    min_train, min_test : int

    Returns
    -------
    keep : np.ndarray [shape=(n_tags,)], bool

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
    pos = Y_train.sum(0)
    keep = (pos >= min_train) & (len(Y_train) - pos >= min_train)
    if Y_test is not None:
        Y_test = _check_Y(Y_test, "Y_test")
        if Y_test.shape[1] != Y_train.shape[1]:
            raise ValueError(f"Y_test has {Y_test.shape[1]} tags, Y_train {Y_train.shape[1]}")
        pos = Y_test.sum(0)
        keep &= (pos >= min_test) & (len(Y_test) - pos >= min_test)
    return keep


def tag_table(Y_true, Y_score, tags=None):
    """Per-tag ROC-AUC and PR-AUC of a tagger on a test set, as a table.

    Parameters
    ----------
    Y_true : np.ndarray [shape=(n_clips, n_tags)], 0/1
    Y_score : np.ndarray [shape=(n_clips, n_tags)], float
        Any score that ranks clips (probability, decision function).
    tags : sequence of str [len n_tags], optional
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
    ...               ["a", "b"])
    >>> t["roc_auc"].tolist()
    [1.0, 1.0]

    See Also
    --------
    macro_scores, sklearn.metrics.roc_auc_score, sklearn.metrics.average_precision_score
    """
    import pandas as pd
    from sklearn.metrics import average_precision_score, roc_auc_score

    Y_true = _check_Y(Y_true, "Y_true")
    Y_score = np.asarray(Y_score, dtype=np.float64)
    if Y_score.shape != Y_true.shape:
        raise ValueError(f"Y_score has shape {Y_score.shape}, Y_true {Y_true.shape}")
    if not np.all(np.isfinite(Y_score)):
        raise ValueError(f"Y_score: {int((~np.isfinite(Y_score)).sum())} NaN/Inf value(s)")
    n, k = Y_true.shape
    tags = [f"tag{j}" for j in range(k)] if tags is None else [str(t) for t in tags]
    if len(tags) != k:
        raise ValueError(f"{len(tags)} tag names for {k} columns")
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
    ok = table["roc_auc"].notna()
    return {
        "roc_auc": float(table.loc[ok, "roc_auc"].mean()),
        "pr_auc": float(table.loc[ok, "pr_auc"].mean()),
        "prevalence": float(table.loc[ok, "prevalence"].mean()),
        "n_tags": int(ok.sum()),
    }
