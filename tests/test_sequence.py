"""mirbook.sequence: Viterbi against brute force and librosa; DTW against librosa."""

import itertools

import librosa
import numpy as np
import pytest

from mirbook import sequence
from mirbook.errors import ParameterError

ENGINES = ["numpy", "numba"]


def random_hmm(rng, n_states, n_steps):
    prob = rng.random((n_states, n_steps))
    A = rng.random((n_states, n_states)) + 0.05
    A /= A.sum(axis=1, keepdims=True)
    p0 = rng.random(n_states) + 0.05
    p0 /= p0.sum()
    return prob, A, p0


def brute_force(prob, A, p0):
    """Score every one of the n_states ** n_steps paths; return the best and its log-probability."""
    n_states, n_steps = prob.shape
    paths = np.array(list(itertools.product(range(n_states), repeat=n_steps)))
    eps = np.finfo(float).tiny
    lp = (np.log(p0 + eps)[paths[:, 0]]
          + np.log(prob + eps)[paths, np.arange(n_steps)].sum(axis=1)
          + np.log(A + eps)[paths[:, :-1], paths[:, 1:]].sum(axis=1))
    best = int(np.argmax(lp))
    # the path's own log-probability, summed as path_logp does
    assert lp[best] == pytest.approx(sequence.path_logp(paths[best], prob, A, p0), rel=1e-12)
    return paths[best], lp[best]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", range(40))
def test_brute_force(seed, engine):
    rng = np.random.default_rng(seed)
    n_states, n_steps = (3, 6) if seed % 2 else (2, 8)
    prob, A, p0 = random_hmm(rng, n_states, n_steps)
    path, lp = brute_force(prob, A, p0)
    states, info = sequence.viterbi(prob, A, p0, return_info=True, engine=engine)
    logp = info["logp"]
    np.testing.assert_array_equal(states, path)
    assert logp == pytest.approx(lp, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", range(10))
def test_matches_librosa(seed, engine):
    rng = np.random.default_rng(100 + seed)
    n_states = int(rng.integers(2, 30))
    prob, A, p0 = random_hmm(rng, n_states, 300)
    prob /= prob.sum(axis=0, keepdims=True)       # librosa wants prob in [0, 1]
    ref, ref_lp = librosa.sequence.viterbi(prob, A, p_init=p0, return_logp=True)
    ours, info = sequence.viterbi(prob, A, p0, return_info=True, engine=engine)
    lp = info["logp"]
    np.testing.assert_array_equal(ours, ref)
    assert lp == pytest.approx(float(np.squeeze(ref_lp)), rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_logp_is_path_logp(engine):
    rng = np.random.default_rng(7)
    prob, A, p0 = random_hmm(rng, 25, 2000)
    prob[:, ::50] = 0.0                          # zero likelihoods stay finite (librosa's offset)
    states, info = sequence.viterbi(prob, A, p0, return_info=True, engine=engine)
    logp = info["logp"]
    assert np.isfinite(logp)
    assert logp == pytest.approx(sequence.path_logp(states, prob, A, p0), rel=1e-10)


def test_engines_agree_and_uniform_init_default():
    rng = np.random.default_rng(3)
    prob, A, _ = random_hmm(rng, 12, 500)
    a = sequence.viterbi(prob, A, engine="numpy", return_info=True)
    b = sequence.viterbi(prob, A, engine="numba", return_info=True)
    c = sequence.viterbi(prob, A, np.full(12, 1 / 12), engine="auto", return_info=True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[0], c[0])
    assert a[1]["logp"] == pytest.approx(b[1]["logp"], rel=1e-13)


def test_single_step_and_sticky_transition():
    prob = np.array([[0.2], [0.7], [0.1]])
    assert sequence.viterbi(prob, sequence.transition_uniform(3, p_stay=0.5)).tolist() == [1]
    prob = np.array([[0.9, 0.4, 0.9], [0.1, 0.6, 0.1]])
    assert sequence.viterbi(prob, sequence.transition_uniform(2, p_stay=0.95)).tolist() == [0, 0, 0]
    assert sequence.viterbi(prob, sequence.transition_uniform(2, p_stay=0.5)).tolist() == [0, 1, 0]


def test_transition_helpers():
    A = sequence.transition_uniform(25, p_stay=0.9)
    np.testing.assert_allclose(A, librosa.sequence.transition_loop(25, 0.9))
    np.testing.assert_allclose(A.sum(axis=1), 1)
    np.testing.assert_allclose(sequence.transition_local(5, width=3).sum(axis=1), 1)
    with pytest.raises(ParameterError, match="n=1"):
        sequence.transition_uniform(1, p_stay=0.9)
    with pytest.raises(ParameterError, match="p_stay"):
        sequence.transition_uniform(3, p_stay=1.5)


@pytest.mark.parametrize(
    "prob, A, p0, match",
    [
        (np.ones(3), np.eye(3), None, "prob: expected a 2-d array"),
        (np.ones((3, 4)), np.eye(2), None, r"transition: shape \(2, 2\) does not match"),
        (-np.ones((2, 4)), np.eye(2), None, "prob: 8 negative"),
        (np.full((2, 4), np.nan), np.eye(2), None, "prob: 8 NaN/Inf"),
        (np.ones((2, 4)), np.array([[0.5, 0.4], [0.5, 0.5]]), None, "row 0 sums to 0.9"),
        (np.ones((2, 4)), np.array([[1.5, -0.5], [0.5, 0.5]]), None, "transition: 1 negative"),
        (np.ones((2, 4)), np.eye(2), np.array([0.5, 0.6]), "p_init: sums to 1.1"),
        (np.ones((2, 4)), np.eye(2), np.array([1.0]), r"p_init: shape \(1,\)"),
        (np.ones((2, 0)), np.eye(2), None, "prob: empty"),
    ],
)
def test_validate_rejects(prob, A, p0, match):
    with pytest.raises(ParameterError, match=match):
        sequence.viterbi(prob, A, p0)


def test_bad_engine():
    with pytest.raises(ParameterError, match="engine"):
        sequence.viterbi(np.ones((2, 2)), np.eye(2), engine="cuda")


# ---- DTW ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("weights", [None, [2.0, 1.0, 1.0], [1.0, 1.5, 1.5]])
def test_dtw_matches_librosa(weights):
    r = np.random.default_rng(1)
    for _ in range(15):
        N, M = r.integers(1, 60, size=2)
        C = r.random((N, M))
        D, path = sequence.dtw(C, weights=weights)
        kw = {} if weights is None else {"weights_mul": np.asarray(weights)}
        D_ref, wp = librosa.sequence.dtw(C=C, **kw)
        np.testing.assert_allclose(D, D_ref, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(path, wp[::-1])


def test_dtw_other_steps_and_additive_weights_match_librosa():
    r = np.random.default_rng(2)
    C = r.random((40, 55))
    steps = np.array([[1, 1], [1, 2], [2, 1]])
    D, path = sequence.dtw(C, step_sizes=steps, weights_add=[0.0, 0.1, 0.1])
    D_ref, wp = librosa.sequence.dtw(C=C, step_sizes_sigma=steps,
                                     weights_add=np.array([0.0, 0.1, 0.1]))
    np.testing.assert_allclose(D, D_ref, rtol=1e-12)
    np.testing.assert_array_equal(path, wp[::-1])


def test_dtw_ties_on_integer_costs_match_librosa():
    C = np.random.default_rng(3).integers(0, 3, size=(30, 25)).astype(float)
    D, path = sequence.dtw(C)
    D_ref, wp = librosa.sequence.dtw(C=C)
    np.testing.assert_array_equal(D, D_ref)
    np.testing.assert_array_equal(path, wp[::-1])


def test_dtw_path_invariants():
    r = np.random.default_rng(4)
    X, Y = r.random((12, 70)), r.random((12, 90))
    C = sequence.cost_matrix(X, Y)
    D, path = sequence.dtw(C)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (69, 89)
    steps = np.diff(path, axis=0)
    assert {tuple(s) for s in steps} <= {(1, 1), (0, 1), (1, 0)}
    # the accumulated cost at the end is the sum of the costs along the path (unit weights)
    assert np.isclose(D[-1, -1], C[path[:, 0], path[:, 1]].sum())
    assert np.all(np.diff(D[0]) >= 0) and np.all(np.diff(D[:, 0]) >= 0)


def test_dtw_identical_sequences_give_the_diagonal_at_zero_cost():
    X = np.random.default_rng(5).random((12, 50))
    D, path = sequence.dtw(sequence.cost_matrix(X, X))
    np.testing.assert_array_equal(path, np.column_stack([np.arange(50), np.arange(50)]))
    assert abs(D[-1, -1]) < 1e-9


@pytest.mark.parametrize("C,kwargs,match", [
    (np.zeros(5), {}, "C: shape"),
    (np.array([[0.0, np.nan]]), {}, "NaN"),
    (np.zeros((3, 3)), {"weights": [1.0, 1.0]}, "one per step"),
    (np.zeros((3, 3)), {"step_sizes": [[0, 0], [1, 1]]}, "move forward"),
    (np.zeros((3, 5)), {"step_sizes": [[1, 1]]}, "no warping path"),  # only diagonal, 3 x 5
    (np.zeros((3, 3), dtype=complex), {}, "expected real numbers"),
])
def test_dtw_rejects_bad_input(C, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        sequence.dtw(C, **kwargs)


@pytest.mark.parametrize("X,Y,kwargs,match", [
    (np.ones((3, 4)), np.ones((2, 4)), {}, r"expected \(d, N\) and \(d, M\)"),
    (np.ones((3, 4)), np.ones((3, 4)), {"metric": "manhattan"}, "metric='manhattan'"),
])
def test_cost_matrix_rejects_bad_input(X, Y, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        sequence.cost_matrix(X, Y, **kwargs)
