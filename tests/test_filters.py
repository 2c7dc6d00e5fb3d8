"""mirbook.filters against librosa / scipy.

Tolerances (asserted below):
- mel filterbank vs librosa.filters.mel (float64): max abs difference < 1e-6 (measured 0);
- DCT-II vs scipy.fft.dct: < 1e-10 (measured ~1e-14).
"""

import librosa
import numpy as np
import pytest
import scipy.fft

from mirbook import filters
from mirbook.errors import ParameterError

SR = 22050


@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None, 2.0])
def test_mel_filterbank_matches_librosa(htk, norm):
    ours = filters.mel_filterbank(sr=SR, n_fft=2048, n_mels=64, fmin=30.0, fmax=8000.0, htk=htk,
                                  norm=norm)
    ref = librosa.filters.mel(sr=SR, n_fft=2048, n_mels=64, fmin=30.0, fmax=8000.0, htk=htk,
                              norm=norm, dtype=np.float64)
    assert ours.shape == ref.shape == (64, 1025)
    assert np.max(np.abs(ours - ref)) < 1e-6


def test_mel_filterbank_shape():
    fb = filters.mel_filterbank(sr=SR, n_fft=2048, n_mels=40)
    assert np.all(fb >= 0)
    peaks = fb.argmax(axis=1)
    assert np.all(np.diff(peaks) >= 0) and peaks[-1] > peaks[0]
    widths = (fb > 0).sum(axis=1)
    assert widths[-1] > widths[5]                          # wider bands at high frequencies


def test_dct_matches_scipy_and_is_orthonormal():
    X = np.random.default_rng(1).standard_normal((40, 7))
    ref = scipy.fft.dct(X, type=2, norm="ortho", axis=0)[:13]
    assert np.max(np.abs(filters.dct_ii(X, n_mfcc=13) - ref)) < 1e-10
    assert np.max(np.abs(filters.dct_ii(X, norm=None) - scipy.fft.dct(X, type=2, axis=0))) < 1e-10
    C = filters.dct_ii(np.eye(40))                         # columns: the DCT of each unit vector
    assert np.max(np.abs(C @ C.T - np.eye(40))) < 1e-12
    M = filters.dct_matrix(40, n_out=13)
    assert np.max(np.abs(M @ X - ref)) < 1e-10
    M[0, 0] = 5.0                                          # a copy: the cache is untouched
    assert np.max(np.abs(filters.dct_ii(X, n_mfcc=13) - ref)) < 1e-10


@pytest.mark.parametrize("call, match", [
    (lambda: filters.mel_filterbank(sr=SR, n_fft=0), "n_fft"),
    (lambda: filters.mel_filterbank(sr=SR, n_fft=2048, n_mels=0), "n_mels"),
    (lambda: filters.mel_filterbank(sr=SR, n_fft=2048, fmin=5000.0, fmax=1000.0), "fmin"),
    (lambda: filters.mel_filterbank(sr=SR, n_fft=2048, norm="l2"), "norm"),
    (lambda: filters.dct_ii(np.ones((4, 2)), n_mfcc=5), "n_mfcc"),
    (lambda: filters.dct_ii(np.ones((4, 2)), norm="forward"), "norm"),
    (lambda: filters.dct_matrix(4, n_out=5), "n_out"),
])
def test_parameter_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_positional_parameters_are_refused():
    with pytest.raises(TypeError):
        filters.mel_filterbank(SR, 2048)                   # sr, n_fft are keyword-only
