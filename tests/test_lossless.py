"""mirbook.lossless: linear prediction, FLAC residuals, Rice coding, compression ratios."""

import numpy as np
import pytest
import scipy.linalg
import soundfile as sf

from mirbook import codecs, lossless
from mirbook.errors import ParameterError

from test_codecs import SR, music_like


@pytest.fixture(scope="module")
def y():
    return music_like()


def test_lpc_solves_the_normal_equations():
    rng = np.random.default_rng(1)
    x = np.convolve(rng.standard_normal(5000), [1, 0.9, 0.5, 0.2], mode="same")
    r = np.array([x[: len(x) - k] @ x[k:] for k in range(9)])
    expected = scipy.linalg.solve_toeplitz(r[:8], r[1:9])
    np.testing.assert_allclose(lossless.lpc(x, order=8), expected, rtol=1e-8, atol=1e-10)


def test_residual_is_small_and_reversible(y):
    codes = np.round(y * 32767).astype(np.int16)
    e = lossless.flac_residual(codes, order=8)
    assert e.dtype == np.int64
    assert np.sum(e[8:].astype(float) ** 2) < 0.1 * np.sum(codes.astype(float) ** 2)
    # the decoder rebuilds the samples from the residual and the coefficients, exactly
    a = lossless.lpc(codes.astype(float), order=8)
    rec = codes[:8].astype(np.float64).tolist()
    for n in range(8, 2000):
        rec.append(e[n] + np.round(np.dot(a, rec[n - 8:n][::-1])))
    assert np.array_equal(np.array(rec, dtype=np.int64), codes[:2000].astype(np.int64))
    np.testing.assert_array_equal(lossless.flac_residual(codes, order=2, method="fixed")[2:],
                                  np.diff(codes.astype(np.int64), n=2))
    # the Rice estimate is within 10 % of the real FLAC stream
    flac = len(codecs.encode(codes, sr=SR, codec="flac"))
    assert abs(lossless.rice_size_bytes(lossless.flac_residual(codes, order=8)) / flac - 1) < 0.1


def test_compression_ratio_of_a_file(tmp_path, y):
    codes = np.round(y * 32767).astype(np.int16)
    path = tmp_path / "x.flac"
    sf.write(path, codes, SR, subtype="PCM_16")
    ratio = lossless.compression_ratio(path)
    assert 1.2 < ratio < 20
    assert ratio == pytest.approx(len(codes) * 2 / path.stat().st_size)


@pytest.mark.parametrize("call, match", [
    (lambda: lossless.lpc(np.ones((2, 10)), order=2), "mono"),
    (lambda: lossless.lpc(np.ones(10), order=10), "order"),
    (lambda: lossless.lpc(np.ones(10), order=-1), "order"),
    (lambda: lossless.flac_residual(np.ones(10), order=5, method="fixed"), "order"),
    (lambda: lossless.flac_residual(np.ones(10), order=2, method="rice"), "method"),
    (lambda: lossless.rice_size_bytes(np.ones(10)), "integer"),
    (lambda: lossless.rice_size_bytes(np.ones(10, int), block_size=0), "block_size"),
    (lambda: lossless.compression_ratio(np.zeros(100)), "sr"),
])
def test_parameter_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
