"""mirbook.sequence: Viterbi against brute force and against librosa."""

import itertools

import librosa
import numpy as np
import pytest

from mirbook import sequence

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
    states, logp = sequence.viterbi(prob, A, p0, return_logp=True, engine=engine)
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
    ours, lp = sequence.viterbi(prob, A, p0, return_logp=True, engine=engine)
    np.testing.assert_array_equal(ours, ref)
    assert lp == pytest.approx(float(np.squeeze(ref_lp)), rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_logp_is_path_logp(engine):
    rng = np.random.default_rng(7)
    prob, A, p0 = random_hmm(rng, 25, 2000)
    prob[:, ::50] = 0.0                          # zero likelihoods stay finite (librosa's offset)
    states, logp = sequence.viterbi(prob, A, p0, return_logp=True, engine=engine)
    assert np.isfinite(logp)
    assert logp == pytest.approx(sequence.path_logp(states, prob, A, p0), rel=1e-10)


def test_engines_agree_and_uniform_init_default():
    rng = np.random.default_rng(3)
    prob, A, _ = random_hmm(rng, 12, 500)
    a = sequence.viterbi(prob, A, engine="numpy", return_logp=True)
    b = sequence.viterbi(prob, A, engine="numba", return_logp=True)
    c = sequence.viterbi(prob, A, np.full(12, 1 / 12), engine="auto", return_logp=True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[0], c[0])
    assert a[1] == pytest.approx(b[1], rel=1e-13)


def test_single_step_and_sticky_transition():
    prob = np.array([[0.2], [0.7], [0.1]])
    assert sequence.viterbi(prob, sequence.transition_uniform(3, 0.5)).tolist() == [1]
    prob = np.array([[0.9, 0.4, 0.9], [0.1, 0.6, 0.1]])
    assert sequence.viterbi(prob, sequence.transition_uniform(2, 0.95)).tolist() == [0, 0, 0]
    assert sequence.viterbi(prob, sequence.transition_uniform(2, 0.5)).tolist() == [0, 1, 0]


def test_transition_helpers():
    A = sequence.transition_uniform(25, 0.9)
    np.testing.assert_allclose(A, librosa.sequence.transition_loop(25, 0.9))
    np.testing.assert_allclose(A.sum(axis=1), 1)
    np.testing.assert_allclose(sequence.transition_local(5, 3).sum(axis=1), 1)
    with pytest.raises(ValueError, match="n_states"):
        sequence.transition_uniform(1, 0.9)
    with pytest.raises(ValueError, match="p_stay"):
        sequence.transition_uniform(3, 1.5)


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
    with pytest.raises(ValueError, match=match):
        sequence.viterbi(prob, A, p0)


def test_bad_engine():
    with pytest.raises(ValueError, match="engine"):
        sequence.viterbi(np.ones((2, 2)), np.eye(2), engine="cuda")
