"""Cold-start recommendation from audio, on a **simulated** listening log.

The code behind chapter 17 (``notebooks/17_frontiers.ipynb``), the seed's first research
direction, "audio signal for cold start recommendation". A recommender trained on usage only
(collaborative filtering) knows nothing about a track nobody has played yet; the audio is there
from the first day. The recipe of van den Oord et al. (2013): learn item factors from the
listening log, learn a regression from the audio to those factors on the tracks that have them,
and give a new track the factors its audio predicts.

We have no real listening log, so :func:`simulate_listening` makes one, and says how:

- every **user** belongs to one of ``n_groups`` listener groups; a group has its own taste over
  the item *styles* (a Dirichlet draw), and each user draws her own style preferences around it
  (Dirichlet with ``style_concentration``: small = a few favourite styles);
- each user has a liking for every *artist* (log-normal, ``artist_weight``) and a hidden taste
  vector (``n_taste`` dimensions) that meets a hidden vector of every item: what a listener
  likes in a track beyond its style and artist, *invisible in the audio by construction*;
- every item has a **popularity** (log-normal, ``popularity_skew``: a few hits, a long tail);
- a user listens in **sessions**: a session picks one style from her preferences, then
  ``session_length`` plays among that style's items, drawn with probability proportional to
  ``popularity * artist liking * exp(taste_weight * hidden match)``;
- the last ``n_test_sessions`` sessions of every user are the *test period*.

What this can show: whether audio embeddings carry enough of the style and artist a simulated
listener cares about to rank new tracks better than chance or popularity, and how far that is from
a recommender that has seen the tracks being played. What it cannot show: anything about real
listeners -- real taste is not a function of our style labels, real sessions have context,
real popularity is not independent of the music. The numbers measure the method, not the world.

Functions: :func:`simulate_listening` (the log, a :class:`pandas.DataFrame`),
:func:`play_matrix` (users x items play counts), :func:`fit_als` (implicit-feedback matrix
factorisation with the ``implicit`` package), :func:`fit_audio_mapping` (audio features to item
factors, ridge regression), :func:`popularity_scores`, :func:`random_scores`, and the task pair
:func:`validate` / :func:`evaluate` (recall@k and nDCG@k per user, averaged).
"""

from __future__ import annotations

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError

__all__ = ["simulate_listening", "play_matrix", "fit_als", "fit_audio_mapping",
           "popularity_scores", "random_scores", "validate", "evaluate", "recall_at_k",
           "ndcg_at_k"]


def _codes(values, name):
    values = np.asarray(values)
    if values.ndim != 1 or len(values) == 0:
        raise ParameterError(f"{name}: expected a non-empty 1-d sequence of labels")
    names, codes = np.unique(values.astype(str), return_inverse=True)
    return names, codes


def simulate_listening(labels, *, artists=None, n_users=2000, n_groups=2, n_sessions=10,
                       n_test_sessions=2, session_length=5, style_concentration=0.3,
                       group_concentration=0.5, artist_weight=1.0, popularity_skew=1.0,
                       n_taste=4, taste_weight=1.0, random_state=0, return_info=False):
    """A simulated listening log over items with style (and artist) labels.

    Every element is simulated, as the module docstring describes; the labels are the only link
    to the real items (and, through them, to their audio).

    Parameters
    ----------
    labels : sequence of str, shape (n_items,)
        The style of every item.
    artists : sequence of str, shape (n_items,), optional
        The artist of every item (``None``: no artist effect).
    n_users, n_groups, n_sessions, n_test_sessions, session_length : int
        Listeners, listener groups, sessions per user (the last ``n_test_sessions`` are the test
        period), plays per session.
    style_concentration, group_concentration : float
        Dirichlet concentrations of a user's style preferences around her group's, and of a
        group's around uniform (small: peaked).
    artist_weight : float
        Standard deviation of the log artist liking.
    popularity_skew : float
        Standard deviation of the log popularity.
    n_taste : int
        Dimension of the hidden user-item match (0: none).
    taste_weight : float
        Its weight in the log play probability.
    random_state : None, int or np.random.Generator
    return_info : bool
        Also return the hidden variables.

    Returns
    -------
    log : pandas.DataFrame
        One row per play: ``user``, ``group``, ``session``, ``item``, ``period``
        (``"train"`` or ``"test"``); ``n_users * n_sessions * session_length`` rows.
    info : dict, optional
        ``popularity`` (n_items,), ``style_pref`` (n_users, n_styles), ``styles``,
        ``group_pref`` (n_groups, n_styles), ``user_group`` (n_users,).

    Examples
    --------
    >>> log = simulate_listening(["a", "a", "b", "b"], n_users=3, n_sessions=2,
    ...                          n_test_sessions=1, session_length=2, random_state=0)
    >>> len(log), sorted(log.columns)
    (12, ['group', 'item', 'period', 'session', 'user'])
    >>> sorted(set(log.period))
    ['test', 'train']

    Used in the chapter 17 notebook (``notebooks/17_frontiers.ipynb``).
    """
    import pandas as pd

    styles, style_of = _codes(labels, "labels")
    n_items = len(style_of)
    if artists is not None:
        _, artist_of = _codes(artists, "artists")
        if len(artist_of) != n_items:
            raise ParameterError(f"artists: {len(artist_of)} labels for {n_items} items")
    else:
        artist_of = np.zeros(n_items, dtype=int)
    n_users = _validate.positive_int(n_users, "n_users")
    n_groups = _validate.positive_int(n_groups, "n_groups")
    n_sessions = _validate.positive_int(n_sessions, "n_sessions")
    n_test_sessions = _validate.nonneg_int(n_test_sessions, "n_test_sessions")
    if n_test_sessions >= n_sessions:
        raise ParameterError(f"n_test_sessions={n_test_sessions}: must be below "
                             f"n_sessions={n_sessions}")
    session_length = _validate.positive_int(session_length, "session_length")
    for name, v in [("style_concentration", style_concentration),
                    ("group_concentration", group_concentration)]:
        _validate.finite_real(v, name, low=0.0, low_open=True)
    for name, v in [("artist_weight", artist_weight), ("popularity_skew", popularity_skew),
                    ("taste_weight", taste_weight)]:
        _validate.finite_real(v, name, low=0.0)
    n_taste = _validate.nonneg_int(n_taste, "n_taste")
    rng = _validate.random_state(random_state)

    n_styles = len(styles)
    log_pop = rng.normal(0.0, popularity_skew, n_items)
    group_pref = rng.dirichlet(np.full(n_styles, group_concentration), size=n_groups)
    user_group = rng.integers(n_groups, size=n_users)
    style_pref = np.stack([rng.dirichlet(style_concentration * n_styles * group_pref[g] + 1e-3)
                           for g in user_group])
    artist_like = rng.normal(0.0, artist_weight, (n_users, artist_of.max() + 1))
    item_taste = rng.normal(0.0, 1.0, (n_items, n_taste)) / np.sqrt(max(n_taste, 1))
    user_taste = rng.normal(0.0, 1.0, (n_users, n_taste))
    members = [np.flatnonzero(style_of == s) for s in range(n_styles)]

    rows = []
    for u in range(n_users):
        logit = log_pop + artist_like[u, artist_of] + taste_weight * item_taste @ user_taste[u]
        for s_idx in range(n_sessions):
            s = rng.choice(n_styles, p=style_pref[u])
            cand = members[s]
            p = np.exp(logit[cand] - logit[cand].max())
            plays = rng.choice(cand, size=session_length, p=p / p.sum())
            period = "test" if s_idx >= n_sessions - n_test_sessions else "train"
            rows.extend((u, user_group[u], s_idx, int(i), period) for i in plays)
    log = pd.DataFrame(rows, columns=["user", "group", "session", "item", "period"])
    if return_info:
        return log, {"popularity": np.exp(log_pop), "style_pref": style_pref,
                     "styles": list(styles), "group_pref": group_pref,
                     "user_group": user_group}
    return log


def play_matrix(events, *, n_users, n_items, period=None, items=None):
    """Users x items play counts (sparse) from a listening log.

    Parameters
    ----------
    events : pandas.DataFrame
        One row per play, with integer columns ``user`` and ``item`` (and ``period`` if
        ``period`` is given), as
        :func:`simulate_listening` returns.
    n_users, n_items : int
        Shape of the matrix.
    period : {"train", "test"}, optional
        Keep only that period's plays.
    items : array_like of int, optional
        Keep only plays of these items (the others' columns stay, empty).

    Returns
    -------
    R : scipy.sparse.csr_matrix, shape (n_users, n_items), float32

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user": [0, 0, 1], "item": [1, 1, 0]})
    >>> play_matrix(log, n_users=2, n_items=2).toarray().tolist()
    [[0.0, 2.0], [1.0, 0.0]]
    """
    import scipy.sparse as sp

    n_users = _validate.positive_int(n_users, "n_users")
    n_items = _validate.positive_int(n_items, "n_items")
    for col in ("user", "item"):
        if col not in events:
            raise ParameterError(f"events: no {col!r} column")
    log = events
    keep = np.ones(len(log), dtype=bool)
    if period is not None:
        _validate.one_of(period, "period", ("train", "test"))
        keep &= (log["period"] == period).to_numpy()
    if items is not None:
        keep &= np.isin(log["item"].to_numpy(), np.asarray(items, dtype=int))
    u = log["user"].to_numpy()[keep]
    i = log["item"].to_numpy()[keep]
    if len(u) and (u.min() < 0 or u.max() >= n_users or i.min() < 0 or i.max() >= n_items):
        raise ParameterError(f"events: user or item index outside ({n_users}, {n_items})")
    R = sp.coo_matrix((np.ones(len(u), dtype=np.float32), (u, i)), shape=(n_users, n_items))
    return R.tocsr()


def fit_als(R, *, factors=32, regularization=0.05, alpha=2.0, iterations=15, random_state=0):
    """Implicit-feedback matrix factorisation (ALS, Hu, Koren and Volinsky 2008).

    Wraps :class:`implicit.als.AlternatingLeastSquares` (one thread, BLAS limited to one thread:
    reproducible, and no warning on stderr). Items without any play get zero factors.

    Parameters
    ----------
    R : scipy.sparse matrix, shape (n_users, n_items)
        Play counts (the confidence is ``1 + alpha * count``).
    factors : int
    regularization, alpha : float
    iterations : int
    random_state : int
        Seed of the initial factors.

    Returns
    -------
    U : np.ndarray, shape (n_users, factors)
    V : np.ndarray, shape (n_items, factors)
        User and item factors; a user's predicted preference for item ``i`` is ``U[u] @ V[i]``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> R = sp.random(50, 20, density=0.2, format="csr", random_state=0)
    >>> U, V = fit_als(R, factors=4, iterations=3)
    >>> U.shape, V.shape
    ((50, 4), (20, 4))

    Used in the chapter 17 notebook (``notebooks/17_frontiers.ipynb``).
    """
    import scipy.sparse as sp
    from implicit.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    if not sp.issparse(R) or R.ndim != 2:
        raise ParameterError("R: expected a 2-d scipy.sparse matrix of play counts")
    factors = _validate.positive_int(factors, "factors")
    iterations = _validate.positive_int(iterations, "iterations")
    _validate.finite_real(regularization, "regularization", low=0.0)
    _validate.finite_real(alpha, "alpha", low=0.0, low_open=True)
    if isinstance(random_state, np.random.Generator):
        random_state = int(random_state.integers(2**31))
    R = sp.csr_matrix(R, dtype=np.float32)
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=factors, regularization=float(regularization),
                                        alpha=float(alpha), iterations=iterations,
                                        num_threads=1, random_state=random_state)
        model.fit(R, show_progress=False)
    U = np.asarray(model.user_factors, dtype=np.float64)
    V = np.asarray(model.item_factors, dtype=np.float64)
    V[np.asarray(R.sum(axis=0)).ravel() == 0] = 0.0
    return U, V


def fit_audio_mapping(X, V, *, alpha=10.0):
    """A regression from audio features to collaborative item factors (standardise + ridge).

    Parameters
    ----------
    X : np.ndarray, shape (n_items, n_features)
        Audio features of items that have factors (the warm items).
    V : np.ndarray, shape (n_items, factors)
        Their item factors (:func:`fit_als`).
    alpha : float
        Ridge penalty.

    Returns
    -------
    model : sklearn.pipeline.Pipeline
        Fitted; ``model.predict(X_new)`` gives factors, shape ``(n_new, factors)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 5)); V = X[:, :2] * 3
    >>> m = fit_audio_mapping(X, V, alpha=0.01)
    >>> bool(np.abs(m.predict(X) - V).max() < 0.1)
    True
    """
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = _validate.real_array(X, "X", ndim=2)
    V = _validate.real_array(V, "V", ndim=2)
    if len(X) != len(V):
        raise ParameterError(f"X has {len(X)} rows and V {len(V)}: one per item in both")
    _validate.finite_real(alpha, "alpha", low=0.0, low_open=True)
    return make_pipeline(StandardScaler(), Ridge(alpha=float(alpha))).fit(X, V)


def popularity_scores(R, *, n_users=None):
    """The non-personalised baseline: every user gets the items ranked by their play counts.

    Parameters
    ----------
    R : scipy.sparse matrix or np.ndarray, shape (n_users, n_items)
        The plays that define popularity.
    n_users : int, optional
        Rows of the output (default ``R.shape[0]``).

    Returns
    -------
    scores : np.ndarray, shape (n_users, n_items)
        Each row the item play counts.

    Examples
    --------
    >>> popularity_scores(np.array([[1, 0], [3, 1]])).tolist()
    [[4.0, 1.0], [4.0, 1.0]]
    """
    counts = np.asarray(R.sum(axis=0), dtype=np.float64).ravel()
    n = R.shape[0] if n_users is None else _validate.positive_int(n_users, "n_users")
    return np.tile(counts, (n, 1))


def random_scores(n, *, n_items, random_state=0):
    """The chance baseline: independent uniform scores.

    Parameters
    ----------
    n : int
        Number of users.
    n_items : int
    random_state : None, int or np.random.Generator

    Returns
    -------
    scores : np.ndarray, shape (n, n_items)

    Examples
    --------
    >>> random_scores(2, n_items=3).shape
    (2, 3)
    """
    n = _validate.positive_int(n, "n")
    n_items = _validate.positive_int(n_items, "n_items")
    return _validate.random_state(random_state).random((n, n_items))


def validate(scores, R):
    """Check a score matrix against the relevant plays before scoring (mir_eval style).

    Parameters
    ----------
    scores : np.ndarray, shape (n_users, n_items)
        Higher = recommended first; finite.
    R : scipy.sparse matrix or np.ndarray, shape (n_users, n_items)
        The held-out plays (non-zero = relevant).

    Raises
    ------
    mirbook.errors.ParameterError
        Naming ``scores`` or ``R``: wrong shapes, non-finite scores, negative plays, no user
        with a relevant item.

    Examples
    --------
    >>> validate(np.zeros((2, 3)), np.array([[0, 1, 0], [0, 0, 0]]))
    >>> validate(np.zeros((2, 3)), np.zeros((2, 2)))
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: R: shape (2, 2) differs from scores (2, 3)
    """
    _checked_relevance(scores, R)


def _checked_relevance(scores, R):
    """:func:`validate`, returning ``R`` as a dense array (the metrics' relevance)."""
    scores = np.asarray(scores)
    if scores.ndim != 2 or not np.issubdtype(scores.dtype, np.number):
        raise ParameterError(f"scores: expected a 2-d numeric array, got shape {scores.shape}")
    if not np.all(np.isfinite(scores)):
        raise ParameterError("scores: contains NaN or infinity")
    if tuple(R.shape) != scores.shape:
        raise ParameterError(f"R: shape {tuple(R.shape)} differs from scores {scores.shape}")
    dense = R.toarray() if hasattr(R, "toarray") else np.asarray(R)
    if (dense < 0).any():
        raise ParameterError("R: negative play counts")
    if not (dense > 0).any():
        raise ParameterError("R: no user has a relevant item")
    return dense


def _topk(scores, k):
    k = min(k, scores.shape[1])
    idx = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, idx, axis=1), axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1)


def recall_at_k(scores, R, *, k=10):
    """Recall@k per user: the share of a user's relevant items found in her top ``k``.

    Users without a relevant item are left out (NaN).

    Parameters
    ----------
    scores : np.ndarray, shape (n_users, n_items)
    R : scipy.sparse matrix or np.ndarray, shape (n_users, n_items)
        Non-zero = relevant.
    k : int

    Returns
    -------
    recall : np.ndarray, shape (n_users,)

    Examples
    --------
    >>> recall_at_k(np.array([[3.0, 2.0, 1.0]]), np.array([[0, 1, 1]]), k=2).tolist()
    [0.5]
    """
    rel = _checked_relevance(scores, R) > 0
    k = _validate.positive_int(k, "k")
    top = _topk(np.asarray(scores, dtype=float), k)
    hits = np.take_along_axis(rel, top, axis=1).sum(1)
    n_rel = rel.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_rel > 0, hits / n_rel, np.nan)


def ndcg_at_k(scores, R, *, k=10):
    """nDCG@k per user with binary relevance (equal to :func:`sklearn.metrics.ndcg_score`).

    Parameters
    ----------
    scores : np.ndarray, shape (n_users, n_items)
    R : scipy.sparse matrix or np.ndarray, shape (n_users, n_items)
        Non-zero = relevant.
    k : int

    Returns
    -------
    ndcg : np.ndarray, shape (n_users,)
        NaN for users without a relevant item.

    Examples
    --------
    >>> ndcg_at_k(np.array([[3.0, 2.0, 1.0]]), np.array([[1, 0, 0]]), k=2).tolist()
    [1.0]
    """
    rel = (_checked_relevance(scores, R) > 0).astype(float)
    k = _validate.positive_int(k, "k")
    top = _topk(np.asarray(scores, dtype=float), k)
    disc = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    dcg = (np.take_along_axis(rel, top, axis=1) * disc).sum(1)
    n_rel = np.minimum(rel.sum(1), top.shape[1]).astype(int)
    ideal = np.concatenate([[0.0], np.cumsum(disc)])[n_rel]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_rel > 0, dcg / ideal, np.nan)


def evaluate(scores, R, *, k=10):
    """Recall@k and nDCG@k averaged over the users with at least one relevant item.

    Parameters
    ----------
    scores : np.ndarray, shape (n_users, n_items)
        Restrict both arrays to the candidate items first (e.g. the cold items' columns).
    R : scipy.sparse matrix or np.ndarray, shape (n_users, n_items)
        Held-out plays.
    k : int

    Returns
    -------
    dict
        ``recall@k``, ``ndcg@k`` and ``n_users`` (users scored).

    Examples
    --------
    >>> r = evaluate(np.array([[3.0, 2.0, 1.0], [1.0, 2.0, 3.0]]),
    ...              np.array([[1, 0, 0], [0, 0, 0]]), k=1)
    >>> r["recall@1"], r["ndcg@1"], r["n_users"]
    (1.0, 1.0, 1)

    Used in the chapter 17 notebook (``notebooks/17_frontiers.ipynb``).
    """
    rec = recall_at_k(scores, R, k=k)
    nd = ndcg_at_k(scores, R, k=k)
    ok = ~np.isnan(rec)
    return {f"recall@{k}": float(rec[ok].mean()), f"ndcg@{k}": float(nd[ok].mean()),
            "n_users": int(ok.sum())}
