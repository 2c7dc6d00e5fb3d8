"""mirbook.scores beyond the corpora: key finding on a pitch-class profile."""

import numpy as np
import pytest

from mirbook import scores
from mirbook.chords import ROOTS
from mirbook.errors import ParameterError


def test_estimate_key_finds_rotated_profiles():
    major, minor = scores.KEY_PROFILES["krumhansl"]
    for tonic in range(12):
        assert scores.estimate_key(np.roll(major, tonic)) == f"{ROOTS[tonic]} major"
        assert scores.estimate_key(np.roll(minor, tonic)) == f"{ROOTS[tonic]} minor"
    frames = np.tile(np.roll(minor, 9)[:, None], (1, 5))  # A minor, as chroma frames
    assert scores.estimate_key(frames) == "A minor"


def test_estimate_key_custom_profiles():
    major = np.zeros(12)
    major[[0, 2, 4, 5, 7, 9, 11]] = 1
    minor = np.zeros(12)
    minor[[0, 2, 3, 5, 7, 8, 10]] = 1
    triad = np.zeros(12)
    triad[[7, 11, 2]] = 1  # G B D
    assert scores.estimate_key(triad, profiles=(major, minor)) == "G major"


@pytest.mark.parametrize("chroma, kwargs, match", [
    (np.ones(11), {}, "shape"),
    (np.ones(12), {"profiles": "temperley"}, "profiles"),
    (np.ones(12), {"profiles": (np.ones(12),)}, "pair"),
    (np.ones(12), {"profiles": (np.ones(12), np.ones(7))}, "12 values"),
    (np.full(12, np.nan), {}, "chroma"),
])
def test_estimate_key_parameter_errors(chroma, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        scores.estimate_key(chroma, **kwargs)
