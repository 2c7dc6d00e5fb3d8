"""mirbook.codecs: round trips, bit rates, errors, prediction residuals, detection features."""

import numpy as np
import pytest
import scipy.linalg

from mirbook import codecs
from mirbook.signal import snr_db

SR = 44100


def music_like(duration=3.0, sr=SR, seed=0):
    """Harmonic notes with decaying envelopes + a quiet broadband floor (content up to sr/2)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * sr)) / sr
    y = np.zeros_like(t)
    for start, f0 in zip(np.arange(0, duration, 0.5), rng.choice([220, 262, 330, 392, 440], 6)):
        env = np.where(t >= start, np.exp(-3 * (t - start)), 0.0)
        y += env * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 12) if f0 * k < sr / 2)
    y = 0.25 * y / np.abs(y).max() + 0.003 * rng.standard_normal(len(t))
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def y():
    return music_like()


def test_flac_roundtrip_is_bit_exact(y):
    codes = np.round(y * 32767).astype(np.int16)
    data = codecs.encode(codes, SR, "flac")
    out, sr = codecs.decode(data, "flac", dtype="int16")
    assert sr == SR and out.dtype == np.int16
    assert np.array_equal(out, codes)
    stereo = np.stack([codes, codes[::-1]])
    out2, _ = codecs.decode(codecs.encode(stereo, SR, "flac"), "flac", dtype="int16")
    assert np.array_equal(out2, stereo)
    assert codecs.compression_ratio(codes, SR) > 1.2


@pytest.mark.parametrize("codec, rates", [
    ("mp3", (64, 128, 192)),
    ("vorbis", (64, 96, 128)),
    ("opus", (32, 64, 96)),
])
def test_achieved_bitrate_close_to_requested(y, codec, rates):
    # measured on this 3 s signal: MP3 +1..+2 %, Vorbis -5..+2 % (the search stops within 5 %),
    # Opus +4..+9 %
    # (Ogg headers weigh more on a short file: +12 % at 24 kbit/s); the tolerance is 15 %.
    for kbps in rates:
        got = codecs.achieved_kbps(codecs.encode(y, SR, codec, bitrate=kbps), len(y) / SR)
        assert abs(got / kbps - 1) <= 0.15, (codec, kbps, got)


@pytest.mark.parametrize("codec, rates", [
    ("mp3", (32, 64, 128)), ("vorbis", (64, 128)), ("opus", (24, 96)),
])
def test_lossy_snr_increases_with_bitrate(y, codec, rates):
    snrs = [snr_db(y, codecs.roundtrip(y, SR, codec, bitrate=k)) for k in rates]
    assert all(a < b for a, b in zip(snrs, snrs[1:])), snrs
    assert snrs[-1] > 10


def test_roundtrip_is_aligned(y):
    y_hat, info = codecs.roundtrip(y, SR, "mp3", bitrate=128, full=True)
    assert y_hat.shape == y.shape and y_hat.dtype == np.float32
    assert info["delay"] == 1105                       # LAME: 576 + 529 samples
    assert codecs.estimate_delay(y, np.r_[np.zeros(37), y]) == 37


def test_opus_decodes_at_48k_and_roundtrip_returns_input_rate(y):
    out, sr = codecs.decode(codecs.encode(y[:SR], SR, "opus", bitrate=64), "opus")
    assert sr == 48000 and abs(len(out) - 48000) < 2000
    assert codecs.roundtrip(y[:SR], SR, "opus", bitrate=64).shape == (SR,)


def test_aac_if_available(y):
    if codecs.available_codecs()["aac"] is None:
        pytest.skip("no AAC encoder in this ffmpeg")
    data = codecs.encode(y, SR, "aac", bitrate=96)
    assert abs(codecs.achieved_kbps(data, len(y) / SR) / 96 - 1) < 0.15
    assert snr_db(y, codecs.roundtrip(y, SR, "aac", bitrate=96)) > 10


@pytest.mark.parametrize("codec", codecs.CODECS)
def test_garbage_gives_a_clear_error(codec):
    with pytest.raises(codecs.CodecError, match=rf"^{codec}: not a valid .* stream \(70 bytes"):
        codecs.decode(b"garbage" * 10, codec)
    with pytest.raises(codecs.CodecError, match="empty data"):
        codecs.decode(b"", codec)


def test_other_errors_name_codec_and_problem(y):
    with pytest.raises(codecs.CodecError, match="holds vorbis, not opus"):
        codecs.decode(codecs.encode(y[:SR], SR, "vorbis"), "opus")
    with pytest.raises(codecs.CodecError, match=r"^flac: the decoder rejected"):
        codecs.decode(b"fLaC" + bytes(100), "flac")
    with pytest.raises(codecs.CodecError, match="unknown codec"):
        codecs.encode(y, SR, "wma")
    with pytest.raises(codecs.CodecError, match="^mp3: sr=22000"):
        codecs.encode(y, 22000, "mp3", bitrate=64)
    with pytest.raises(codecs.CodecError, match="^vorbis: bitrate=5 kbit/s is out of reach"):
        codecs.encode(y, SR, "vorbis", bitrate=5)
    with pytest.raises(codecs.CodecError, match="^flac: lossless"):
        codecs.encode(y, SR, "flac", bitrate=128)
    with pytest.raises(codecs.CodecError, match="NaN"):
        codecs.encode(np.array([0.0, np.nan] * 100), SR, "mp3")


def test_lpc_solves_the_normal_equations():
    rng = np.random.default_rng(1)
    x = np.convolve(rng.standard_normal(5000), [1, 0.9, 0.5, 0.2], mode="same")
    r = np.array([x[: len(x) - k] @ x[k:] for k in range(9)])
    expected = scipy.linalg.solve_toeplitz(r[:8], r[1:9])
    np.testing.assert_allclose(codecs.lpc(x, 8), expected, rtol=1e-8, atol=1e-10)


def test_residual_is_small_and_reversible(y):
    codes = np.round(y * 32767).astype(np.int16)
    e = codecs.flac_residual(codes, 8)
    assert e.dtype == np.int64
    assert np.sum(e[8:].astype(float) ** 2) < 0.1 * np.sum(codes.astype(float) ** 2)
    # the decoder rebuilds the samples from the residual and the coefficients, exactly
    a = codecs.lpc(codes.astype(float), 8)
    rec = codes[:8].astype(np.float64).tolist()
    for n in range(8, 2000):
        rec.append(e[n] + np.round(np.dot(a, rec[n - 8:n][::-1])))
    assert np.array_equal(np.array(rec, dtype=np.int64), codes[:2000].astype(np.int64))
    np.testing.assert_array_equal(codecs.flac_residual(codes, 2, method="fixed")[2:],
                                  np.diff(codes.astype(np.int64), n=2))
    # the Rice estimate is within 10 % of the real FLAC stream
    flac = len(codecs.encode(codes, SR, "flac"))
    assert abs(codecs.rice_size_bytes(codecs.flac_residual(codes, 8)) / flac - 1) < 0.1


def test_detection_features_differ_after_mp3_128(y):
    names = codecs.detection_feature_names()
    f0 = codecs.detection_features(y, SR)
    f1 = codecs.detection_features(codecs.roundtrip(y, SR, "mp3", bitrate=128), SR)
    assert f0.shape == f1.shape == (len(names),)
    top = names.index(f"level_{codecs.N_BANDS - 1}")
    assert f1[top] < f0[top] - 20                     # the low-pass shelf
    holes = names.index(f"holes_{codecs.N_BANDS - 1}")
    assert f1[holes] > f0[holes] + 0.3                # zeroed bins at the top
    assert f1[names.index("shelf_db")] > f0[names.index("shelf_db")] + 10


def test_long_vorbis_encode_does_not_crash():
    # one 60 s write to an in-memory Ogg Vorbis file made libsndfile segfault; encode() writes in blocks
    y = 0.05 * np.random.default_rng(2).standard_normal(60 * SR).astype(np.float32)
    out, sr = codecs.decode(codecs.encode(y, SR, "vorbis", quality=0.3), "vorbis")
    assert sr == SR and len(out) == len(y)
