"""mirbook.signal: sampling, aliasing, quantization, sizes."""

import numpy as np
import pytest
import soundfile as sf

from mirbook import signal
from mirbook.errors import ParameterError


def test_tone_shape_and_values():
    y = signal.tone(1000, sr=8000, duration=0.001)
    np.testing.assert_allclose(y, np.sin(2 * np.pi * 1000 * np.arange(8) / 8000))


@pytest.mark.parametrize("f,sr,expected", [
    (1000, 8000, 1000), (4000, 8000, 4000), (5000, 8000, 3000), (7000, 8000, 1000),
    (8000, 8000, 0), (9000, 8000, 1000), (30_000, 44_100, 14_100), (25_000, 44_100, 19_100),
])
def test_alias_frequency(f, sr, expected):
    assert signal.alias_frequency(f, sr=sr) == pytest.approx(expected)


def test_aliased_samples_are_identical():
    """A tone at f and one at sr - f give the same samples, up to sign (phase inversion)."""
    sr = 8000
    a = signal.tone(1000, sr=sr, duration=0.01)
    b = signal.tone(sr - 1000, sr=sr, duration=0.01)
    np.testing.assert_allclose(a, -b, atol=1e-9)
    c = signal.tone(sr + 1000, sr=sr, duration=0.01)
    np.testing.assert_allclose(a, c, atol=1e-9)


def test_aliased_tone_peaks_at_alias_frequency():
    sr = 16000
    y = signal.tone(11000, sr=sr, duration=1.0)
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) == pytest.approx(signal.alias_frequency(11000, sr=sr), abs=1)


def test_quantize_codes_are_what_a_16_bit_wav_stores(tmp_path):
    """quantize(y, 16) is code / 32768 for integer codes, the values a 16-bit WAV reader returns."""
    y = signal.tone(997, sr=44100, duration=0.1, amplitude=0.9)
    q = signal.quantize(y, n_bits=16)
    codes = q * 32768
    np.testing.assert_array_equal(codes, np.round(codes))
    path = tmp_path / "q.wav"
    sf.write(path, codes.astype(np.int16), 44100, subtype="PCM_16")
    ref, _ = sf.read(path, dtype="float64")
    np.testing.assert_array_equal(q, ref)


def test_quantize_levels_and_clipping():
    y = np.array([-1.0, -0.5, 0.0, 0.49, 0.51, 1.0])
    q = signal.quantize(y, n_bits=2)  # step 0.5, codes -2..1
    np.testing.assert_allclose(q, [-1.0, -0.5, 0.0, 0.5, 0.5, 0.5])
    assert len(np.unique(signal.quantize(np.linspace(-1, 1, 1000), n_bits=3))) == 8


def test_quantization_error_bounded_by_half_step():
    for b in (4, 8, 12):
        step = 2 / 2**b
        y = np.random.default_rng(b).uniform(-1, 1 - step, 10000)  # the range that never clips
        assert np.max(np.abs(signal.quantize(y, n_bits=b) - y)) <= step / 2 + 1e-12


@pytest.mark.parametrize("bad", [0, 33, 2.5, True])
def test_quantize_rejects_bad_bits(bad):
    with pytest.raises(ParameterError, match="n_bits"):
        signal.quantize(np.zeros(4), n_bits=bad)


def test_snr_rule_holds_from_8_bits():
    rows = signal.quantization_snr(n_bits=range(8, 25))
    for row in rows:
        assert abs(row["error_db"]) < 0.5, row


def test_snr_rule_departs_at_low_bits_and_dither_costs_about_5db():
    rows = {r["n_bits"]: r for r in signal.quantization_snr(n_bits=[2, 3, 12])}
    assert rows[2]["error_db"] < -3 and rows[3]["error_db"] < -1
    dithered = signal.quantization_snr(n_bits=[12], dither=True)[0]
    # TPDF dither adds 2 x (step^2 / 12) of noise: SNR drops by 10 log10(3) = 4.77 dB
    assert rows[12]["measured_db"] - dithered["measured_db"] == pytest.approx(4.77, abs=0.3)


def test_full_scale_sine_does_not_clip():
    for b in (2, 8, 16):
        y = signal.full_scale_amplitude(n_bits=b) * signal.tone(997, sr=44100, duration=0.1)
        assert np.max(np.abs(signal.quantize(y, n_bits=b) - y)) <= 2 / 2**b / 2 + 1e-12


def test_snr_db():
    x = np.ones(100)
    assert signal.snr_db(x, x) == float("inf")
    assert signal.snr_db(x, 0.9 * x) == pytest.approx(20.0)


@pytest.mark.parametrize(
    "reference, estimate, match",
    [
        (np.ones(100), np.ones(5), "shapes differ"),
        (np.zeros(3), np.ones(3), "all zeros"),
        (np.array([np.nan, 1.0]), np.ones(2), "reference: 1 NaN"),
        (np.ones(2), np.ones(2) + 1j, "estimate: expected real"),
    ],
)
def test_snr_db_errors(reference, estimate, match):
    with pytest.raises(ParameterError, match=match):
        signal.snr_db(reference, estimate)


def test_quantize_dither_random_state():
    y = signal.tone(997, sr=44100, duration=0.01, amplitude=0.5)
    a = signal.quantize(y, n_bits=8, dither=True, random_state=1)
    b = signal.quantize(y, n_bits=8, dither=True, random_state=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, signal.quantize(y, n_bits=8, dither=True, random_state=2))


@pytest.mark.parametrize(
    "func, kwargs, match",
    [
        (signal.tone, dict(frequency=440, sr=0, duration=1.0), "sr"),
        (signal.tone, dict(frequency=440, sr=8000, duration=-1.0), "duration"),
        (signal.tone, dict(frequency=np.nan, sr=8000, duration=1.0), "frequency"),
        (signal.alias_frequency, dict(frequencies=-5.0, sr=8000), "frequencies"),
        (signal.quantize, dict(y=np.zeros(3), n_bits=8, dither=True, random_state="x"),
         "random_state"),
        (signal.quantize, dict(y=np.array([np.inf]), n_bits=8), "y: 1 NaN/Inf"),
        (signal.full_scale_amplitude, dict(n_bits=40), "n_bits"),
        (signal.theoretical_snr_db, dict(n_bits=0), "n_bits"),
        (signal.quantization_snr, dict(n_bits=[8, 0]), "n_bits"),
        (signal.pcm_size_bytes, dict(duration=-1), "duration"),
        (signal.pcm_size_bytes, dict(duration=1, n_channels=0), "n_channels"),
        (signal.pcm_size_bytes, dict(duration=1, n_bits=64), "n_bits"),
        (signal.bitrate_size_bytes, dict(duration=1, kbps=0), "kbps"),
        (signal.pcm_bitrate_kbps, dict(n_channels=1.5), "n_channels"),
    ],
)
def test_parameter_errors(func, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        func(**kwargs)


def test_sizes_from_the_seed():
    # 4 min of CD-quality stereo PCM: "approx. 40 MB"; MP3 at 128 kbit/s: "approx. 4 MB"
    assert signal.pcm_size_bytes(duration=240) == 42_336_000
    assert signal.bitrate_size_bytes(duration=240, kbps=128) == 3_840_000
    assert signal.pcm_bitrate_kbps() == pytest.approx(1411.2)
    # one minute of stereo 44.1 kHz PCM is a 2 x 2,646,000 matrix
    assert signal.tone(440, sr=44100, duration=60).shape == (2_646_000,)
