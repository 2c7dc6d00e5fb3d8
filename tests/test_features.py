"""mirbook.features against librosa, and the invariants the chapters rely on.

(The mel filterbank and the DCT are tested in test_filters.py, the seed's 3888-d input in
test_speech_music.py.)

Tolerances (all asserted below):
- spectral centroid, spread (librosa spectral_bandwidth p=2), rolloff, flatness, ZCR, RMS, on the
  same spectrogram: max relative error < 1e-6 (measured ~1e-8, rolloff and ZCR exact);
- MFCC vs librosa.feature.mfcc: max abs difference < 1e-4 of librosa's range on float32 audio
  (measured ~1.4e-6), < 1e-7 on float64 (measured ~1e-9);
- delta vs librosa.feature.delta: < 1e-10 (measured ~1e-15), every mode;
- spectral flux vs librosa.onset.onset_strength(lag=1, max_size=1): relative < 1e-5 (measured
  ~2e-7).
"""

import librosa
import numpy as np
import pytest
import soundfile as sf

from mirbook import features as F
from mirbook.errors import AudioFileError, ParameterError
from mirbook.filters import mel_filterbank
from mirbook.signal import tone

SR = 22050


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


@pytest.fixture(scope="module")
def y():
    """3 s: a silent start (silent frames), a tone, noise from 1 s on. float32."""
    rng = np.random.default_rng(0)
    t = np.arange(3 * SR) / SR
    y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(t.size) * (t > 1)
    y[:6000] = 0.0
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def S(y):
    return np.abs(librosa.stft(y, n_fft=2048, hop_length=512))


# ---- agreement with librosa ------------------------------------------------------------------

def test_centroid_and_spread_match_librosa(y, S):
    c = F.spectral_centroid(S=S, sr=SR)
    assert c.shape == (1, S.shape[1])
    assert _rel(c, librosa.feature.spectral_centroid(S=S, sr=SR)) < 1e-6
    assert _rel(F.spectral_spread(S=S, sr=SR),
                librosa.feature.spectral_bandwidth(S=S, sr=SR, p=2)) < 1e-6
    # from the signal (our STFT vs librosa's, float32)
    ref = librosa.feature.spectral_centroid(y=y, sr=SR)
    assert _rel(F.spectral_centroid(y=y, sr=SR), ref) < 1e-5


def test_silent_frames_are_defined(S):
    shape = F.spectral_shape(S=S, sr=SR)
    assert shape.shape == (4, S.shape[1])
    assert np.all(np.isfinite(shape))
    silent = S.sum(axis=0) == 0
    assert silent.sum() >= 5
    assert np.all(shape[:, silent] == 0)
    assert np.all(librosa.feature.spectral_centroid(S=S, sr=SR)[0, silent] == 0)
    one_bin = np.zeros((1025, 1))
    one_bin[100] = 2.0                                     # all the energy in one bin
    c, s, sk, ku = F.spectral_shape(S=one_bin, sr=SR)[:, 0]
    assert np.isclose(c, 100 * SR / 2048) and s == 0 and sk == 0 and ku == 0


def test_rolloff_flatness_zcr_rms_match_librosa(y, S):
    assert _rel(F.spectral_rolloff(S=S, sr=SR), librosa.feature.spectral_rolloff(S=S, sr=SR)) == 0
    assert _rel(F.spectral_flatness(S=S), librosa.feature.spectral_flatness(S=S)) < 1e-6
    assert _rel(F.zero_crossing_rate(y), librosa.feature.zero_crossing_rate(y)) == 0
    assert _rel(F.rms(y=y), librosa.feature.rms(y=y)) < 1e-6
    assert _rel(F.rms(S=librosa.stft(y)), librosa.feature.rms(S=S)) < 1e-6


def test_log_mel_matches_power_to_db(S):
    P = S ** 2
    fb = mel_filterbank(sr=SR, n_fft=2048, n_mels=64)
    M = fb @ P
    for kw in ({}, {"ref": np.max}, {"top_db": None}, {"ref": 10.0, "amin": 1e-6, "top_db": 60.0}):
        assert np.max(np.abs(F.log_mel(P, mel_fb=fb, **kw) - librosa.power_to_db(M, **kw))) < 1e-4
    assert np.all(np.isfinite(F.log_mel(P, mel_fb=fb, log="ln")))


def test_mfcc_matches_librosa(y):
    ours, ref = F.mfcc(y=y, sr=SR), librosa.feature.mfcc(y=y, sr=SR)
    assert ours.shape == ref.shape == (20, 130)
    assert np.max(np.abs(ours - ref)) / np.ptp(ref) < 1e-4
    y64 = y.astype(np.float64)
    kw = dict(sr=SR, n_mfcc=13, n_mels=40, fmin=50.0, fmax=8000.0, htk=True, lifter=22,
              hop_length=256)
    ours, ref = F.mfcc(y=y64, **kw), librosa.feature.mfcc(y=y64, **kw)
    assert np.max(np.abs(ours - ref)) / np.ptp(ref) < 1e-7
    L = librosa.power_to_db(librosa.feature.melspectrogram(y=y64, sr=SR))
    assert np.max(np.abs(F.mfcc(S=L) - librosa.feature.mfcc(S=L))) < 1e-9


@pytest.mark.parametrize("mode", ["interp", "nearest", "mirror", "constant", "wrap"])
@pytest.mark.parametrize("order", [1, 2])
def test_delta_matches_librosa(mode, order):
    X = np.random.default_rng(2).standard_normal((5, 40))
    for width in (3, 9):
        ref = librosa.feature.delta(X, order=order, width=width, mode=mode)
        assert np.max(np.abs(F.delta(X, order=order, width=width, mode=mode) - ref)) < 1e-10


def test_spectral_flux_matches_onset_strength(y):
    flux = F.spectral_flux(y=y, sr=SR)
    ref = librosa.onset.onset_strength(y=y, sr=SR, lag=1, max_size=1, center=False)
    assert flux.shape == (1, ref.size)
    assert _rel(flux[0], ref) < 1e-5
    # librosa's default centring only shifts the curve by n_fft // (2 * hop_length) = 2 frames
    ref_c = librosa.onset.onset_strength(y=y, sr=SR, lag=1, max_size=1)
    assert _rel(flux[0, :-2], ref_c[2:]) < 1e-5
    # on a given (non-negative) log spectrogram, lag 2
    L = np.log1p(100 * np.abs(librosa.stft(y)))
    ref2 = librosa.onset.onset_strength(S=L, sr=SR, lag=2, max_size=1, center=False)
    assert _rel(F.spectral_flux(S=L, lag=2)[0], ref2) < 1e-6


# ---- invariants -------------------------------------------------------------------------------

@pytest.mark.parametrize("freq", [440.0, 1000.0, 3000.0])
def test_pure_tone_shape(freq):
    shape = F.spectral_shape(y=tone(freq, sr=SR, duration=1.0), sr=SR)[:, 2:-2]   # skip edges
    bin_hz = SR / 2048
    assert np.max(np.abs(shape[0] - freq)) < bin_hz                     # centroid within a bin
    assert np.max(shape[1]) < 2 * bin_hz                                # spread: about a bin


def test_white_noise_shape():
    y = np.random.default_rng(3).standard_normal(2 * SR)
    c, s, sk, ku = F.spectral_shape(y=y, sr=SR).mean(axis=1)
    # a flat spectrum on [0, sr/2]: uniform distribution, mean sr/4, std (sr/2)/sqrt(12),
    # skewness 0, excess kurtosis -1.2
    assert abs(c / (SR / 4) - 1) < 0.02
    assert abs(s / (SR / 2 / np.sqrt(12)) - 1) < 0.02
    assert abs(sk) < 0.05 and abs(ku + 1.2) < 0.05


def test_flux_of_stationary_signal_is_zero():
    flux = F.spectral_flux(y=tone(440.0, sr=SR, duration=2.0), sr=SR)[0, 3:-3]
    noisy = F.spectral_flux(y=np.random.default_rng(4).standard_normal(2 * SR), sr=SR)[0, 3:-3]
    assert flux.max() < 0.01 and noisy.mean() > 0.3                     # dB per band
    S = np.abs(librosa.stft(tone(440.0, sr=SR, duration=2.0)))
    assert F.spectral_flux(S=S, normalize=True, p=2, rectify=False)[0, 3:-3].max() < 0.01


def test_delta_of_a_ramp_is_its_slope():
    X = 0.25 * np.arange(50.0)[None, :] + 3.0
    assert np.allclose(F.delta(X), 0.25)                                  # interp: also at edges
    assert np.allclose(F.delta(X, mode="nearest")[:, 4:-4], 0.25)        # inside only
    assert np.allclose(F.delta(X, order=2), 0.0)


def test_clip_features_names_and_determinism(y):
    v = F.clip_features(y, sr=SR)
    names = F.feature_names()
    assert v.shape == (len(names),) == (162,)
    assert len(set(names)) == len(names)
    assert np.all(np.isfinite(v))
    assert np.array_equal(v, F.clip_features(y, sr=SR))
    v4 = F.clip_features(y, sr=SR, stats=("mean", "std", "skew", "kurtosis"), n_mfcc=13)
    assert v4.shape == (len(F.feature_names(stats=("mean", "std", "skew", "kurtosis"),
                                            n_mfcc=13)),)
    # the named entries are what they say
    frames, info = F.frame_features(y, sr=SR, return_info=True)
    fnames = info["names"]
    assert len(fnames) == frames.shape[0] and [f"mean_{n}" for n in fnames] == names[:len(fnames)]
    i = names.index("mean_centroid")
    assert np.isclose(v[i], F.spectral_centroid(y=y, sr=SR).mean())


def test_summarize():
    Fm = np.array([[1.0, 3.0, 5.0], [2.0, 2.0, 2.0]])
    v = F.summarize(Fm, stats=("mean", "std", "min", "max", "median", "skew", "kurtosis"))
    assert v.shape == (14,)
    assert v[:2].tolist() == [3.0, 2.0] and v[3] == 0.0 and v[-1] == 0.0
    with pytest.raises(ValueError, match="unknown statistic"):
        F.summarize(Fm, stats=("mode",))


def test_errors():
    with pytest.raises(AudioFileError, match="NaN"):
        F.mfcc(y=np.array([0.0, np.nan] * 2000), sr=SR)
    with pytest.raises(AudioFileError, match="shorter than n_fft"):
        F.spectral_centroid(y=np.zeros(1000, dtype=np.float32), sr=SR)
    with pytest.raises(AudioFileError, match="shorter than n_fft"):
        F.clip_features(np.zeros(1000, dtype=np.float32), sr=SR)
    with pytest.raises(ValueError, match="negative"):
        F.spectral_shape(S=-np.ones((1025, 3)), sr=SR)
    with pytest.raises(ValueError, match="interp"):
        F.delta(np.ones((2, 5)))


def test_spectrogram_must_be_a_keyword():
    # spectral_centroid(S) once read a spectrogram as 1025-channel audio; now S is keyword-only
    S = np.ones((1025, 6))
    for f in (F.spectral_centroid, F.spectral_spread, F.spectral_skewness, F.spectral_kurtosis,
              F.spectral_shape, F.spectral_rolloff, F.spectral_flatness, F.spectral_flux,
              F.rms, F.mfcc):
        with pytest.raises(TypeError):
            f(S)
    assert F.spectral_centroid(S=S, sr=SR).shape == (1, 6)


@pytest.mark.parametrize("call, match", [
    (lambda: F.spectral_rolloff(S=np.ones((1025, 2)), roll_percent=1.5), "roll_percent"),
    (lambda: F.log_mel(np.ones((1025, 2)), amin=0), "amin"),
    (lambda: F.log_mel(np.ones((1025, 2)), log="log2"), "log"),
    (lambda: F.delta(np.ones((2, 20)), width=4), "width"),
    (lambda: F.delta(np.ones((2, 20)), mode="reflect"), "mode"),
    (lambda: F.delta(np.full((2, 20), np.nan)), "NaN"),
    (lambda: F.summarize(np.ones((2, 0))), "no frames"),
    (lambda: F.stacked_frames(np.ones((3, 12, 50)), start=-1), "start"),
    (lambda: F.spectral_shape(S=np.ones(1025), sr=SR), "dimensions"),
    (lambda: F.spectral_shape(S=np.ones((1025, 2)) * 1j, sr=SR), "real"),
    (lambda: F.spectral_shape(S=np.ones((1025, 2)), sr=SR, n_fft=1024), "n_fft"),
    (lambda: F.mfcc(), "give either"),
])
def test_parameter_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_batch_clip_features(tmp_path, y):
    paths = []
    for i in range(3):
        p = tmp_path / f"clip{i}.wav"
        sf.write(p, np.roll(y, 1000 * i) * 0.5, SR, subtype="FLOAT")
        paths.append(p)
    X = F.batch_clip_features(paths, sr=SR, n_jobs=2, show_progress=False)
    assert X.shape == (3, 162) and X.dtype == np.float32
    X1 = F.batch_clip_features(paths, sr=SR, n_jobs=1, show_progress=False)
    assert np.array_equal(X, X1)
    assert np.allclose(X[0], F.clip_features(np.asarray(y * 0.5, np.float32), sr=SR), rtol=1e-5,
                       atol=1e-5)
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        F.batch_clip_features([tmp_path / "nope.wav"], sr=SR, show_progress=False)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_batch_clip_features_reissues_worker_warnings(tmp_path, y, n_jobs):
    """A worker's warning (here: a float file beyond full scale) reaches the caller's filters."""
    import warnings

    from mirbook.io import AudioWarning

    paths = []
    for i, gain in enumerate((0.5, 1.5)):
        p = tmp_path / f"clip{i}.wav"
        sf.write(p, np.asarray(y) / np.max(np.abs(y)) * gain, SR, subtype="FLOAT")
        paths.append(p)
    with pytest.warns(AudioWarning, match="clip1.wav.*clipped"):
        X = F.batch_clip_features(paths, sr=SR, n_jobs=n_jobs, show_progress=False)
    assert X.shape == (2, 162)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=AudioWarning)
        F.batch_clip_features(paths, sr=SR, n_jobs=n_jobs, show_progress=False)
