"""Tests of mirbook.transforms against the formulas and against librosa (chapters 5 and 6)."""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest
import scipy.signal

from mirbook import transforms as T
from mirbook.errors import AudioFileError, ParameterError
from mirbook.signal import snr_db, tone

SR = 22050


def _rel_err(a, b):
    """max |a - b| relative to max |b|."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.fixture(scope="module")
def noise():
    return np.random.default_rng(0).standard_normal(3 * SR)


def _note(midi, dur, sr=SR, n_harm=6):
    f = 440.0 * 2 ** ((midi - 69) / 12)
    t = np.arange(int(dur * sr)) / sr
    return sum(0.6**h * np.sin(2 * np.pi * f * (h + 1) * t)
               for h in range(n_harm) if f * (h + 1) < sr / 2 - 500)


@pytest.fixture(scope="module")
def chords():
    """Four one-second harmonic triads (C, Am, F, G) plus a little noise, float32."""
    seq = [[60, 64, 67], [57, 60, 64], [65, 69, 72], [67, 71, 74]]
    y = np.concatenate([sum(_note(m, 1.0) for m in c) * np.hanning(SR) for c in seq])
    y = 0.5 * y / np.abs(y).max()
    y = y + 0.01 * np.random.default_rng(1).standard_normal(y.size)
    return y.astype(np.float32), seq


# ------------------------------------------------------------------------------------------
# STFT
# ------------------------------------------------------------------------------------------

STFT_SETTINGS = [
    dict(n_fft=2048, hop_length=512),
    dict(n_fft=1024, hop_length=256, window="hamming", center=False),
    dict(n_fft=513, hop_length=100, win_length=400, pad_mode="reflect"),
    dict(n_fft=256, hop_length=256, window="boxcar"),
    dict(n_fft=512, window=("kaiser", 8.0), pad_mode="edge"),
]


@pytest.mark.parametrize("kw", STFT_SETTINGS)
@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_stft_equals_librosa(noise, kw, dtype, tol):
    y = noise.astype(dtype)
    ours, ref = T.stft(y, **kw), librosa.stft(y, **kw)
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
    assert _rel_err(ours, ref) < tol


def test_stft_multichannel_equals_librosa(noise):
    y = noise[: 3 * 5000].reshape(3, 5000).astype(np.float32)
    y = np.stack([y, 0.5 * y])  # (2, 3, n)
    ours, ref = T.stft(y, n_fft=512), librosa.stft(y, n_fft=512)
    assert ours.shape == ref.shape == (2, 3, 257, 40)
    assert _rel_err(ours, ref) < 1e-5
    assert np.allclose(ours[1, 2], T.stft(y[1, 2], n_fft=512), atol=1e-6)


def test_stft_pure_tone_right_bin():
    n_fft = 2048
    for k in (10, 41, 300):
        f = k * SR / n_fft
        S = np.abs(T.stft(tone(f, sr=SR, duration=1.0), n_fft=n_fft, hop_length=512))
        assert np.all(S[:, 2:-2].argmax(axis=0) == k)


def test_parseval_rectangular_window():
    """Energy of each frame = (|X0|^2 + 2 sum |Xk|^2 + |X_N/2|^2) / N (rfft half-spectrum)."""
    y = np.random.default_rng(3).standard_normal(4000)
    for n_fft in (256, 255):  # even (Nyquist row present) and odd
        S = T.stft(y, n_fft=n_fft, hop_length=100, window="boxcar", center=False)
        power = np.abs(S) ** 2
        weights = np.full(S.shape[0], 2.0)
        weights[0] = 1.0
        if n_fft % 2 == 0:
            weights[-1] = 1.0
        spec_energy = weights @ power / n_fft
        frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::100]
        assert np.allclose(spec_energy, np.sum(frames**2, axis=1), rtol=1e-10)


def test_linearity(noise):
    x, y = noise[:10000], noise[10000:20000]
    a, b = 0.7, -2.5
    lhs = T.stft(a * x + b * y, n_fft=1024)
    rhs = a * T.stft(x, n_fft=1024) + b * T.stft(y, n_fft=1024)
    assert _rel_err(lhs, rhs) < 1e-12


def test_time_shift_by_one_hop_shifts_frames(noise):
    hop = 256
    y = noise[:20000]
    S = T.stft(y, n_fft=1024, hop_length=hop, center=False)
    S_shift = T.stft(y[hop:], n_fft=1024, hop_length=hop, center=False)
    assert np.allclose(S_shift, S[:, 1: 1 + S_shift.shape[1]])


def test_filter_bank_view_matches_stft():
    """|X[k]| of a complex exponential at f equals the k-th filter's response at f."""
    n_fft, over = 64, 8
    freqs, H = T.filter_bank_view(n_fft=n_fft, bins=[5, 12], oversample=over)
    assert H.shape == (2, over * n_fft // 2 + 1)
    j = 5 * over + 3  # a grid frequency between bins 5 and 6
    n = np.arange(n_fft)
    S_exp = T.stft(np.cos(2 * np.pi * freqs[j] * n), n_fft=n_fft, center=False) + 1j * T.stft(
        np.sin(2 * np.pi * freqs[j] * n), n_fft=n_fft, center=False
    )
    assert np.isclose(np.abs(S_exp[5, 0]), H[0, j])
    assert np.isclose(np.abs(S_exp[12, 0]), H[1, j])
    assert freqs[H[1].argmax()] == pytest.approx(12 / n_fft)
    assert H[0].max() == pytest.approx(n_fft / 2)  # sum of a periodic hann window


def test_gabor_window():
    w = T.gabor_window(n_fft=1024, sigma=100.0)
    assert np.allclose(w, scipy.signal.windows.gaussian(1024, 100.0, sym=False))
    S = T.stft(tone(1000.0, sr=SR, duration=1.0), n_fft=1024, window=w)
    assert S.shape[0] == 513
    with pytest.raises(ValueError, match="sigma"):
        T.gabor_window(n_fft=1024, sigma=0)


def test_instantaneous_frequency_pure_tone():
    f0 = 441.3  # between bins
    freqs, mags = T.instantaneous_frequency(tone(f0, sr=SR, duration=1.0), sr=SR, n_fft=2048,
                                            hop_length=256)
    k = mags[:, 10:-10].argmax(axis=0)
    est = freqs[k, np.arange(10, freqs.shape[1] - 10)]
    assert np.allclose(est, f0, atol=0.05)


# ------------------------------------------------------------------------------------------
# ISTFT, NOLA
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [s for s in STFT_SETTINGS if s.get("center", True)])
def test_istft_equals_librosa_and_round_trip(noise, kw):
    inv = {k: v for k, v in kw.items() if k != "pad_mode"}
    for dtype, min_snr in [(np.float64, 100.0), (np.float32, 60.0)]:
        y = noise.astype(dtype)
        S = T.stft(y, **kw)
        y_hat = T.istft(S, **inv, length=y.size)
        assert y_hat.dtype == dtype
        assert snr_db(y, y_hat) > min_snr
        ref = librosa.istft(librosa.stft(y, **kw), **inv, length=y.size)
        assert np.max(np.abs(y_hat - ref)) < (1e-5 if dtype == np.float32 else 1e-12)
    # default length, multichannel
    S = T.stft(noise.reshape(3, -1), **kw)
    assert np.allclose(T.istft(S, **inv), librosa.istft(S, **inv), atol=1e-12)


def test_istft_uncentred_interior(noise):
    y = noise[:20000]
    S = T.stft(y, n_fft=1024, hop_length=256, center=False)
    y_hat = T.istft(S, hop_length=256, center=False)
    assert y_hat.size == 1024 + 256 * (S.shape[1] - 1)
    # exact where the squared windows add up (everything but sample 0, where hann is 0)
    assert np.allclose(y_hat[1:], y[1: y_hat.size], atol=1e-12)
    assert np.allclose(y_hat, librosa.istft(S, hop_length=256, center=False), atol=1e-12)


def test_window_sumsquare_and_nola():
    for kw in [dict(n_fft=2048, hop_length=512), dict(n_fft=1000, hop_length=300, win_length=700)]:
        ours = T.window_sumsquare(window="hann", n_frames=9, **kw)
        ref = librosa.filters.window_sumsquare(window="hann", n_frames=9, **kw)
        assert np.allclose(ours, ref, atol=1e-6)
    assert T.nola_ok(window="hann", n_fft=2048, hop_length=512)
    assert T.nola_ok(window="hann", n_fft=2048, hop_length=1024)
    assert not T.nola_ok(window="boxcar", n_fft=2048, hop_length=1024, win_length=512)
    assert T.cola_ok(window="hann", n_fft=1024, hop_length=512)
    assert T.cola_ok(n_fft=1024, hop_length=256)
    assert not T.cola_ok(window="hann", n_fft=1024, hop_length=384)
    assert T.cola_ok(window="hann", n_fft=1024, hop_length=256, squared=True)
    for n_fft, hop in [(256, 64), (256, 100), (255, 128)]:
        assert T.nola_ok(window="hann", n_fft=n_fft, hop_length=hop) == scipy.signal.check_NOLA(
            "hann", n_fft, n_fft - hop)


def test_istft_warns_and_fails_when_nola_fails(noise):
    kw = dict(n_fft=2048, hop_length=1024, win_length=512, window="boxcar")
    y = noise[:20000]
    S = T.stft(y, **kw)
    with pytest.warns(RuntimeWarning, match="NOLA"):
        y_hat = T.istft(S, **kw, length=y.size)
    assert snr_db(y, y_hat) < 10  # half of the samples are lost
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        T.istft(T.stft(y), length=y.size)  # NOLA holds: no warning


# ------------------------------------------------------------------------------------------
# Phase
# ------------------------------------------------------------------------------------------


def test_phase_reconstruction(chords):
    y = chords[0].astype(np.float64)
    S = T.stft(y, n_fft=1024, hop_length=256)
    kw = dict(n_fft=1024, hop_length=256, length=y.size)
    assert snr_db(y, T.phase_reconstruction(np.abs(S), phase="true", reference=S, **kw)) > 100
    for phase in ("zero", "random"):
        y_hat = T.phase_reconstruction(np.abs(S), phase=phase, **kw)
        sc = T.spectral_convergence(np.abs(S), np.abs(T.stft(y_hat, n_fft=1024, hop_length=256)))
        assert sc > 0.2  # inconsistent: the magnitude of the result is far from the target
    with pytest.raises(ValueError, match="reference"):
        T.phase_reconstruction(np.abs(S), phase="true", **kw)


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_griffin_lim_converges_like_librosa(chords, momentum):
    y = chords[0][: 2 * SR]
    kw = dict(hop_length=256, n_fft=1024)
    S = np.abs(T.stft(y, **kw))
    y_hat, info = T.griffin_lim(S, n_iter=32, momentum=momentum, random_state=0,
                                return_info=True, **kw)
    sc = info["convergence"]
    assert sc.shape == (33,)
    if momentum == 0:  # classic GL never increases the inconsistency
        assert np.all(np.diff(sc) <= 1e-6)
    assert sc[-1] < 0.5 * sc[0]
    assert sc[-1] == pytest.approx(T.spectral_convergence(S, np.abs(T.stft(y_hat, **kw))))
    ref = librosa.griffinlim(S, n_iter=32, momentum=momentum, random_state=0, **kw)
    sc_ref = T.spectral_convergence(S, np.abs(librosa.stft(ref, **kw)))
    assert abs(sc[-1] - sc_ref) < 0.005
    if momentum > 0:  # fast GL beats classic GL at equal iterations
        _, info0 = T.griffin_lim(S, n_iter=32, random_state=0, return_info=True, **kw)
        assert sc[-1] < info0["convergence"][-1]


def test_spectral_convergence():
    S = np.abs(np.random.default_rng(0).standard_normal((5, 7)))
    assert T.spectral_convergence(S, S) == 0.0
    assert T.spectral_convergence(S, 0.5 * S) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="shapes"):
        T.spectral_convergence(S, S[:, :3])


# ------------------------------------------------------------------------------------------
# CQT, log-frequency, chroma
# ------------------------------------------------------------------------------------------


def test_cqt_frequencies_equal_librosa():
    for fmin, n, bpo in [(None, 84, 12), (55.0, 100, 24), (27.5, 88 * 3, 36)]:
        ref = librosa.cqt_frequencies(n, fmin=fmin or librosa.note_to_hz("C1"),
                                      bins_per_octave=bpo)
        assert np.allclose(T.cqt_frequencies(n_bins=n, fmin=fmin, bins_per_octave=bpo), ref,
                           rtol=1e-12)


def test_cqt_agrees_with_librosa(chords):
    y = chords[0]
    C = T.cqt(y, sr=SR)
    assert C.shape == (84, 1 + y.size // 512) and C.dtype == np.complex64
    rel, corr = T.per_bin_agreement(C, librosa.cqt(y, sr=SR))
    assert np.median(rel) < 0.05 and np.percentile(rel, 90) < 0.1
    assert np.median(corr) > 0.99 and np.percentile(corr, 10) > 0.95
    # multirate == one full-rate pass, up to the resampling filter
    C_direct = T.cqt(y, sr=SR, multirate=False)
    assert np.linalg.norm(np.abs(C) - np.abs(C_direct)) / np.linalg.norm(np.abs(C_direct)) < 0.02


@pytest.mark.filterwarnings("ignore:n_fft=.* is too large:UserWarning")  # librosa, low octaves
@pytest.mark.parametrize("bpo", [12, 36])
def test_cqt_pure_tones_peak_in_same_bin_as_librosa(bpo):
    n_bins = 7 * bpo
    for midi in (33, 45, 60, 69, 81, 95):
        f = 440.0 * 2 ** ((midi - 69) / 12)
        y = tone(f, sr=SR, duration=1.0, dtype=np.float32)
        ours = np.abs(T.cqt(y, sr=SR, n_bins=n_bins, bins_per_octave=bpo)[:, 20])
        ref = np.abs(librosa.cqt(y, sr=SR, n_bins=n_bins, bins_per_octave=bpo)[:, 20])
        k = (midi - 24) * bpo // 12
        assert ours.argmax() == ref.argmax() == k
        assert ours.max() == pytest.approx(0.5, rel=0.05)  # A / 2 for a real sinusoid


def test_cqt_rejects_bins_above_nyquist():
    with pytest.raises(ValueError, match="Nyquist"):
        T.cqt(np.zeros(4096, np.float32), sr=8000, n_bins=84)


def test_log_frequency_spectrogram():
    S = np.abs(T.stft(tone(440.0, sr=SR, duration=1.0), n_fft=4096))
    P = T.log_frequency_matrix(sr=SR, n_fft=4096)
    assert P.shape == (84, 2049)
    assert np.all(P.sum(axis=1) >= 1)  # no empty band
    S_log = T.log_frequency_spectrogram(S, sr=SR, n_fft=4096)
    assert S_log.shape == (84, S.shape[1])
    assert np.all(S_log[:, 2:-2].argmax(axis=0) == 45)  # A4


@pytest.mark.parametrize("bpo", [12, 36])
def test_chroma_equals_librosa_on_same_cqt(chords, bpo):
    y, seq = chords
    C = np.abs(T.cqt(y, sr=SR, n_bins=7 * bpo, bins_per_octave=bpo))
    ours = T.chroma_from_cqt(C, bins_per_octave=bpo)
    ref = librosa.feature.chroma_cqt(C=C, bins_per_octave=bpo)
    assert ours.shape == ref.shape == (12, C.shape[1])
    assert np.allclose(ours, ref, atol=1e-6)
    # the strongest pitch class of each chord's middle frame belongs to the chord
    for i, chord in enumerate(seq):
        frame = int((i + 0.5) * SR / 512)
        assert ours[:, frame].argmax() in {m % 12 for m in chord}
    l2 = T.chroma_from_cqt(C, bins_per_octave=bpo, norm=2)
    assert np.allclose(np.linalg.norm(l2[:, 5:-5], axis=0), 1.0)


def test_chroma_agrees_with_librosa_cqt_chroma(chords):
    """Different CQTs (ours vs librosa's), same chroma story: high correlation."""
    y, _ = chords
    ours = T.chroma_from_cqt(T.cqt(y, sr=SR, n_bins=252, bins_per_octave=36),
                             bins_per_octave=36)
    ref = librosa.feature.chroma_cqt(y=y, sr=SR, tuning=0.0)
    n = min(ours.shape[1], ref.shape[1])
    assert np.corrcoef(ours[:, :n].ravel(), ref[:, :n].ravel())[0, 1] > 0.9


# ------------------------------------------------------------------------------------------
# Input validation
# ------------------------------------------------------------------------------------------


_Y = np.zeros(4096, dtype=np.float32)
_BAD = _Y.copy()
_BAD[100] = np.nan
_S = T.stft(_Y)


@pytest.mark.parametrize("call, match", [
    (lambda: T.stft(_BAD), "NaN"),
    (lambda: T.stft(_Y[:1000]), "shorter than n_fft=2048"),
    (lambda: T.stft(_Y[:1000], center=False), "shorter than n_fft"),
    (lambda: T.stft(np.zeros(0, np.float32)), "zero-length"),
    (lambda: T.stft(np.zeros(4096, np.int16)), "float32 or float64"),
    (lambda: T.cqt(_BAD, sr=SR), "NaN"),
], ids=["nan", "short", "short-uncentred", "empty", "int16", "cqt-nan"])
def test_audio_errors(call, match):
    with pytest.raises(AudioFileError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: T.stft(_Y, hop_length=0), "hop_length"),
    (lambda: T.stft(_Y, hop_length=-5), "hop_length"),
    (lambda: T.stft(_Y, hop_length=1.5), "hop_length"),
    (lambda: T.stft(_Y, n_fft=0), "n_fft"),
    (lambda: T.stft(_Y, win_length=4096), "win_length"),
    (lambda: T.stft(_Y, pad_mode="wrap"), "pad_mode"),
    (lambda: T.istft(_S, n_fft=1024), "n_fft"),
    (lambda: T.istft(np.abs(_S)), "complex"),
    (lambda: T.griffin_lim(_S), "complex"),
    (lambda: T.griffin_lim(np.abs(_S), momentum=-1), "momentum"),
    (lambda: T.cqt(_Y, sr=10), "absurd"),
    (lambda: T.cqt(_Y, sr=SR, hop_length=0), "hop_length"),
    (lambda: T.cqt(_Y, sr=SR, fmin=-1.0), "fmin"),
    (lambda: T.chroma_from_cqt(np.ones((84, 3)), bins_per_octave=12, n_chroma=5), "n_chroma"),
    (lambda: T.spectral_convergence(np.ones((3, 4)), np.ones((3, 2))), "shapes"),
])
def test_parameter_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_positional_parameters_are_refused():
    with pytest.raises(TypeError):
        T.cqt_frequencies(84)
    with pytest.raises(TypeError):
        T.nola_ok("hann", 2048, 512)


# ------------------------------------------------------------------------------------------
# Measures the chapters report
# ------------------------------------------------------------------------------------------

def test_peaks_resolved():
    dip = np.array([0.0, 1.0, 0.69, 0.8, 0.0])
    assert not T.peaks_resolved(dip, (1, 3))        # 0.69 > 0.8 / sqrt(2) = 0.566
    assert not T.peaks_resolved(np.array([0.0, 1.0, 0.6, 0.8, 0.0]), (1, 3))
    assert T.peaks_resolved(np.array([0.0, 1.0, 0.56, 0.8, 0.0]), (1, 3))
    assert not T.peaks_resolved(np.array([1.0, 0.0, 1.0]), (0, 1))   # adjacent: never
    assert not T.peaks_resolved(np.array([1.0, 0.0, 1.0]), (2, 2))   # one bin: never
    # the chapter's case: 440 and 460 Hz resolved by a 4096-point window, not by 1024
    t = np.arange(SR) / SR
    y = np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 460 * t)
    for n_fft, expected in [(1024, False), (4096, True)]:
        col = np.abs(T.stft(y, n_fft=n_fft, hop_length=n_fft // 8))[:, 10]
        ij = (round(440 * n_fft / SR), round(460 * n_fft / SR))
        assert T.peaks_resolved(col, ij) is expected


def test_phase_prediction_error_tone_noise():
    rng = np.random.default_rng(0)
    e_tone = T.phase_prediction_error(tone(440.0, sr=SR, duration=1.0), sr=SR)
    e_noise = T.phase_prediction_error(rng.standard_normal(SR), sr=SR)
    assert e_tone < 0.05 and 0.5 < e_noise < np.pi / 2 + 0.1
    # same result in float32 and independent of the level
    y32 = (0.1 * tone(440.0, sr=SR, duration=1.0)).astype(np.float32)
    assert abs(T.phase_prediction_error(y32, sr=SR) - e_tone) < 0.01


def test_per_bin_agreement_ignores_a_gain_per_bin():
    R = np.abs(np.random.default_rng(0).standard_normal((5, 60))) + 0.1
    gains = np.arange(1, 6, dtype=float)[:, None]
    rel, corr = T.per_bin_agreement(gains * R, R)
    assert rel.shape == corr.shape == (5,)
    assert np.all(rel < 1e-12) and np.all(corr > 0.99)
    noisy = R + 0.5 * np.random.default_rng(1).random(R.shape)
    rel2, _ = T.per_bin_agreement(noisy, R)
    assert np.all(rel2 > 0.05)
    # frames cut to the shorter matrix
    assert T.per_bin_agreement(R, R[:, :40])[0].shape == (5,)


@pytest.mark.parametrize("call, match", [
    (lambda: T.peaks_resolved(np.ones(5), (3, 1)), "peaks"),
    (lambda: T.peaks_resolved(np.ones(5), (1, 9)), "peaks"),
    (lambda: T.peaks_resolved(np.ones(5), 3), "peaks"),
    (lambda: T.peaks_resolved(-np.ones(5), (1, 3)), "x"),
    (lambda: T.phase_prediction_error(_Y, sr=SR, hop_length=0), "hop_length"),
    (lambda: T.phase_prediction_error(np.zeros((2, 4096)), sr=SR), "mono"),
    (lambda: T.per_bin_agreement(np.ones((3, 4)), np.ones((2, 4))), "bins"),
    (lambda: T.per_bin_agreement(np.ones((3, 4)), np.ones((3, 4)), top_db=-1), "top_db"),
], ids=["order", "range", "not-a-pair", "negative", "hop", "stereo", "bins", "top_db"])
def test_measure_parameter_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
