"""Tests of mirbook.spaces: Procrustes (against scipy), alignment and cross-space retrieval."""

import numpy as np
import pytest
import scipy.linalg

from mirbook import spaces as SP
from mirbook.errors import ParameterError


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_procrustes_equals_scipy(seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(30, 5))
    B = rng.normal(size=(30, 5))
    assert np.allclose(SP.procrustes(A, B), scipy.linalg.orthogonal_procrustes(A, B)[0])


def test_procrustes_recovers_rotation_and_scale():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(40, 4))
    Q0 = SP.random_rotation(4, random_state=5)
    Q, info = SP.procrustes(A, 2.5 * A @ Q0, scale=True, return_info=True)
    assert np.isclose(info["scale"], 2.5) and info["residual"] < 1e-10
    assert np.allclose(Q / 2.5, Q0)


def test_random_rotation_is_orthogonal_and_seeded():
    Q = SP.random_rotation(6, random_state=1)
    assert np.allclose(Q @ Q.T, np.eye(6))
    assert np.array_equal(Q, SP.random_rotation(6, random_state=1))


def _pair(noise=0.05, n=120, d=8, seed=0):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, d))
    A = (B + noise * rng.normal(size=(n, d))) @ SP.random_rotation(d, random_state=seed + 1)
    return A + 3.0, B   # an offset too: align centres on the anchors


def test_alignment_gain_with_few_anchors():
    A, B = _pair()
    anchors, rest = np.arange(12), np.arange(12, 120)
    kw = dict(anchors=anchors, normalize=False)
    before = SP.cross_retrieval(*SP.align(A, B, method="none", **kw), items=rest)
    after = SP.cross_retrieval(*SP.align(A, B, method="procrustes", **kw), items=rest)
    ridge = SP.cross_retrieval(*SP.align(A, B, method="ridge", **kw), items=rest)
    assert before < 0.2 and after > 0.95 and after > ridge


def test_cca_handles_different_dimensions():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(100, 3))
    A = Z @ rng.normal(size=(3, 6)) + 0.01 * rng.normal(size=(100, 6))
    B = Z @ rng.normal(size=(3, 4)) + 0.01 * rng.normal(size=(100, 4))
    Aa, Ba = SP.align(A, B, anchors=np.arange(40), method="cca", n_components=3,
                      normalize=False)
    assert Aa.shape == (100, 3) == Ba.shape
    held = np.arange(40, 100)   # the canonical variates stay correlated off the anchors
    assert all(np.corrcoef(Aa[held, j], Ba[held, j])[0, 1] > 0.95 for j in range(3))
    with pytest.raises(ParameterError, match="same|one dimension"):
        SP.align(A, B, method="procrustes")
    with pytest.raises(ParameterError, match="n_components"):
        SP.align(A, B, anchors=np.arange(3), method="cca", n_components=3)


def test_cross_retrieval_ranks_and_ties():
    X = np.eye(4)
    acc, info = SP.cross_retrieval(X, X, return_info=True)
    assert acc == 1.0 and info["mrr"] == 1.0 and info["chance"] == 0.25
    Z = np.zeros((3, 2))   # zero rows: every candidate ties, no hit is free
    assert SP.cross_retrieval(Z, Z) == 0.0
    assert SP.cross_retrieval(X, X[::-1], k=4) == 1.0


def test_validate_names_the_argument():
    with pytest.raises(ParameterError, match="B"):
        SP.validate(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ParameterError, match="anchors"):
        SP.validate(np.zeros((3, 2)), np.zeros((3, 2)), anchors=[0, 0])
    with pytest.raises(ParameterError, match="anchors"):
        SP.validate(np.zeros((3, 2)), np.zeros((3, 2)), anchors=[0, 5])
    with pytest.raises(ParameterError, match="method"):
        SP.align(np.zeros((3, 2)), np.zeros((3, 2)), method="magic")
