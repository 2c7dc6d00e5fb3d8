"""Tests of mirbook.recommend: the simulated log, ALS, the audio mapping and the metrics."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import ndcg_score

from mirbook import recommend as RC
from mirbook.errors import ParameterError

STYLES = ["a"] * 6 + ["b"] * 6 + ["c"] * 6
ARTISTS = [f"x{i % 3}" for i in range(18)]


@pytest.fixture(scope="module")
def log():
    return RC.simulate_listening(STYLES, artists=ARTISTS, n_users=300, random_state=0)


def test_log_shape_periods_and_seed(log):
    assert len(log) == 300 * 10 * 5
    assert set(log.period) == {"train", "test"}
    assert (log[log.period == "test"].session >= 8).all()
    again = RC.simulate_listening(STYLES, artists=ARTISTS, n_users=300, random_state=0)
    assert log.equals(again)
    other = RC.simulate_listening(STYLES, artists=ARTISTS, n_users=300, random_state=1)
    assert not log.equals(other)


def test_a_session_stays_in_one_style(log):
    st = np.array(STYLES)[log["item"].to_numpy()]
    per_session = log.assign(style=st).groupby(["user", "session"])["style"].nunique()
    assert (per_session == 1).all()


def test_popularity_skew_shows_in_the_plays():
    log, info = RC.simulate_listening(["a"] * 20, n_users=400, popularity_skew=1.5,
                                      n_taste=0, random_state=0, return_info=True)
    counts = np.bincount(log["item"], minlength=20)
    assert np.corrcoef(np.log(info["popularity"]), np.log(counts + 1))[0, 1] > 0.9


def test_play_matrix_counts_and_filters(log):
    R = RC.play_matrix(log, n_users=300, n_items=18)
    assert sp.issparse(R) and R.shape == (300, 18) and R.sum() == len(log)
    Rt = RC.play_matrix(log, n_users=300, n_items=18, period="test", items=[0, 1])
    assert Rt.sum() == ((log.period == "test") & log.item.isin([0, 1])).sum()
    assert Rt[:, 2:].sum() == 0
    with pytest.raises(ParameterError, match="period"):
        RC.play_matrix(log, n_users=300, n_items=18, period="later")
    with pytest.raises(ParameterError, match="events"):
        RC.play_matrix(log, n_users=10, n_items=18)


def test_als_reproducible_and_zero_for_unplayed(log):
    R = RC.play_matrix(log, n_users=300, n_items=18, items=range(12))
    U1, V1 = RC.fit_als(R, factors=4, iterations=5, random_state=3)
    U2, V2 = RC.fit_als(R, factors=4, iterations=5, random_state=3)
    assert np.array_equal(V1, V2) and np.array_equal(U1, U2)
    assert np.all(V1[12:] == 0)
    with pytest.raises(ParameterError, match="R"):
        RC.fit_als(R.toarray())


def test_als_writes_nothing_to_stderr(log, capfd):
    RC.fit_als(RC.play_matrix(log, n_users=300, n_items=18), factors=4, iterations=2)
    assert capfd.readouterr().err == ""


def test_als_ranks_held_out_plays_above_chance(log):
    R = RC.play_matrix(log, n_users=300, n_items=18, period="train")
    T = RC.play_matrix(log, n_users=300, n_items=18, period="test")
    U, V = RC.fit_als(R, factors=8)
    als = RC.evaluate(U @ V.T, T, k=3)["recall@3"]
    rnd = RC.evaluate(RC.random_scores(300, n_items=18), T, k=3)["recall@3"]
    assert als > rnd + 0.1


def test_audio_mapping_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6))
    V = X @ rng.normal(size=(6, 3))
    m = RC.fit_audio_mapping(X, V, alpha=1e-3)
    assert np.allclose(m.predict(X), V, atol=1e-2)
    with pytest.raises(ParameterError, match="rows"):
        RC.fit_audio_mapping(X, V[:-1])


def test_ndcg_equals_sklearn():
    rng = np.random.default_rng(0)
    S = rng.random((30, 12))
    R = (rng.random((30, 12)) < 0.2).astype(float)
    R[0, 0] = 1.0
    ok = R.sum(1) > 0
    ours = RC.ndcg_at_k(S, R, k=5)[ok]
    ref = [ndcg_score(R[i:i + 1], S[i:i + 1], k=5) for i in np.flatnonzero(ok)]
    assert np.allclose(ours, ref)
    assert np.all(np.isnan(RC.ndcg_at_k(S, R, k=5)[~ok]))


def test_recall_by_hand_and_bounds():
    S = np.array([[0.9, 0.8, 0.1, 0.0]])
    R = np.array([[1, 0, 0, 1]])
    assert RC.recall_at_k(S, R, k=1)[0] == 0.5
    assert RC.recall_at_k(S, R, k=4)[0] == 1.0
    r = RC.evaluate(RC.random_scores(50, n_items=4), np.tile(R, (50, 1)), k=2)
    assert 0.0 <= r["recall@2"] <= 1.0 and r["n_users"] == 50


def test_popularity_scores_rank_by_total_plays():
    R = sp.csr_matrix(np.array([[0, 2, 1], [0, 1, 3]]))
    P = RC.popularity_scores(R, n_users=3)
    assert P.shape == (3, 3) and list(np.argsort(-P[0])) == [2, 1, 0]


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_users=0), "n_users"), (dict(n_test_sessions=10), "n_test_sessions"),
    (dict(style_concentration=0.0), "style_concentration"),
    (dict(artists=["x"]), "artists")])
def test_simulation_validates(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        RC.simulate_listening(STYLES, **kwargs)


def test_validate_names_the_argument():
    with pytest.raises(ParameterError, match="scores"):
        RC.validate(np.full((2, 2), np.nan), np.eye(2))
    with pytest.raises(ParameterError, match="R"):
        RC.validate(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="R"):
        RC.validate(np.zeros((2, 2)), -np.eye(2))
