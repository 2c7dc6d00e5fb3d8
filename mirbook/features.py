"""Hand-crafted audio features: spectral shape, spectral flux, MFCC, deltas, clip vectors.

The package code behind chapter 7 (``notebooks/07_speech_music.ipynb``, speech/music
discrimination) and chapter 10 (``notebooks/10_tagging.ipynb``, tagging). The lecture's recipe
for "classical MIR" classifiers is:

1. describe each short frame of the spectrogram with a few numbers: the **spectral shape
   statistics** (centroid, spread, skewness, kurtosis: the spectrum seen as a distribution over
   frequency), the **spectral flux** (how fast the spectrum changes), the **MFCC** (log-magnitude
   in mel-scale frequency, then a discrete cosine transform), chroma, zero-crossing rate, RMS;
2. add their **time derivatives** (deltas);
3. "stack as many features as you can": pool the frames of a clip into one fixed-length vector
   (:func:`summarize`, :func:`clip_features`) and train a simple classifier (SVM, random forest),
   or stack frames into a block (:func:`stacked_frames`).

Every step the chapters teach is written here and tested against librosa
(``tests/test_features.py``): :func:`log_mel` = ``librosa.power_to_db`` of the mel spectrogram
(filters from :func:`mirbook.filters.mel_filterbank`), :func:`mfcc` = ``librosa.feature.mfcc``,
:func:`delta` = ``librosa.feature.delta``, :func:`spectral_centroid` / :func:`spectral_spread` =
``librosa.feature.spectral_centroid`` / ``spectral_bandwidth(p=2)``, :func:`spectral_flux` =
``librosa.onset.onset_strength`` (lag 1, no max filter, no centring shift). Chroma is not taught
here and comes from librosa. Unit conversions are in :mod:`mirbook.convert`, the mel and DCT
matrices in :mod:`mirbook.filters`, the seed's speech/music input in :mod:`mirbook.speech_music`.

Conventions (librosa's): functions that take audio or a spectrogram have keyword-only
``y=`` and ``S=`` (``spectral_centroid(S=S, sr=sr)``); spectrograms have shape
``(..., n_bins, n_frames)`` (frequency on axis -2, time on axis -1), frame features are returned
as ``(..., n_features, n_frames)`` (a single feature keeps a length-1 axis: ``(1, n_frames)``).
Frames are centred (``center=True``, zero padding), as in ``librosa.stft``.

>>> import numpy as np
>>> S = np.ones((1025, 4))
>>> spectral_centroid(S=S, sr=22050).shape
(1, 4)
"""

from __future__ import annotations

import functools
import math
import os
import warnings

import numpy as np

from mirbook._validate import finite_real, nonneg_int, one_of, positive_int, real_array
from mirbook.config import SR
from mirbook.convert import PITCH_CLASSES, fft_frequencies
from mirbook.errors import AudioFileError, ParameterError
from mirbook.filters import _mel_fb_cached, dct_ii
from mirbook.io import check_sr, load_audio, validate_audio

__all__ = [
    "spectral_centroid", "spectral_spread", "spectral_skewness", "spectral_kurtosis",
    "spectral_shape", "spectral_rolloff", "spectral_flatness", "zero_crossing_rate", "rms",
    "spectral_flux", "log_mel", "mfcc", "delta",
    "summarize", "frame_features", "clip_features", "feature_names",
    "stacked_frames", "batch_clip_features", "STATS",
]


# --------------------------------------------------------------------------------------------
# Spectrogram helpers
# --------------------------------------------------------------------------------------------


def _stft(y, n_fft, hop_length):
    """Complex STFT, centred, Hann window, zero padding (:func:`mirbook.transforms.stft`)."""
    from mirbook.transforms import stft

    return stft(y, n_fft=n_fft, hop_length=hop_length, center=True, pad_mode="constant")


def _check_y(y, sr, n_fft, name="y"):
    """validate_audio, then a float array (integers are converted to float32)."""
    y = validate_audio(y, sr=sr, name=name, n_fft=n_fft)
    if not np.issubdtype(y.dtype, np.floating):
        if np.issubdtype(y.dtype, np.complexfloating):
            raise AudioFileError(name, f"audio must be real, got dtype {y.dtype}")
        y = y.astype(np.float32)
    return y


def _check_S(S, name="S", nonneg=True):
    """The one spectrogram check: real, finite, (..., n_bins, n_frames), non-negative."""
    return real_array(S, name, min_ndim=2, nonneg=nonneg,
                      hint="the spectrum must be a magnitude or power spectrogram (a "
                           "distribution over frequency), not dB")


def _spectrogram(y, S, sr, n_fft, hop_length, power):
    """Return (S, n_fft): S as given, or ``|STFT(y)| ** power``."""
    if S is not None:
        S = _check_S(S)
        n_from_S = 2 * (S.shape[-2] - 1)
        if n_fft is None:
            n_fft = n_from_S
        elif n_fft not in (n_from_S, n_from_S + 1):
            raise ParameterError(f"S has {S.shape[-2]} frequency bins, inconsistent with "
                             f"n_fft={n_fft} (expected {S.shape[-2]} = 1 + n_fft // 2)")
        return S, n_fft
    if y is None:
        raise ParameterError("give either y (audio) or S (spectrogram)")
    n_fft = positive_int(2048 if n_fft is None else n_fft, "n_fft")
    hop_length = positive_int(hop_length, "hop_length")
    y = _check_y(y, sr, n_fft)
    X = np.abs(_stft(y, n_fft, hop_length))
    return (X if power == 1 else X ** power), n_fft


# --------------------------------------------------------------------------------------------
# Spectral shape statistics
# --------------------------------------------------------------------------------------------


def _moments(S, freq):
    """Centroid, spread, skewness, excess kurtosis of each column of S seen as a distribution.

    Computed from the raw moments ``sum_k f_k^j S[k, t]`` (j = 0..4, one float64 matrix product)
    with frequencies measured from the middle of the band (``f - f_mid``), which keeps the
    cancellation in the central moments small. Silent columns (all zeros) get 0 for all four;
    columns with zero spread (all the energy in one bin) get skewness 0 and excess kurtosis 0.
    """
    S = np.asarray(S, dtype=np.float64)
    f_mid = 0.5 * (freq[0] + freq[-1])
    g = freq - f_mid
    G = np.stack([np.ones_like(g), g, g * g, g ** 3, g ** 4])            # (5, n_bins)
    R = np.matmul(G, S)                                                   # (..., 5, n_frames)
    total = R[..., 0:1, :]
    silent = total <= np.finfo(np.float64).tiny * S.shape[-2]
    R = R / np.where(silent, 1.0, total)
    m1, r2, r3, r4 = R[..., 1:2, :], R[..., 2:3, :], R[..., 3:4, :], R[..., 4:5, :]
    var = r2 - m1 * m1
    m3 = r3 - 3 * m1 * r2 + 2 * m1 ** 3
    m4 = r4 - 4 * m1 * r3 + 6 * m1 * m1 * r2 - 3 * m1 ** 4
    sigma = np.sqrt(np.maximum(var, 0.0))
    # a spread below 1e-3 of the bin spacing is a single bin (what remains is rounding noise)
    tiny = 1e-3 * (freq[1] - freq[0] if freq.size > 1 else 1.0)
    ok = (sigma > tiny) & ~silent
    safe = np.where(ok, sigma, 1.0)
    skew = np.where(ok, m3 / safe ** 3, 0.0)
    kurt = np.where(ok, m4 / safe ** 4 - 3.0, 0.0)
    mu = np.where(silent, 0.0, m1 + f_mid)
    sigma = np.where(silent, 0.0, sigma)
    return mu, sigma, skew, kurt


def _freqs_for(S, sr, n_fft, freq):
    if freq is not None:
        freq = np.asarray(freq, dtype=np.float64)
        if freq.shape != (S.shape[-2],):
            raise ParameterError(f"freq has shape {freq.shape}, expected ({S.shape[-2]},)")
        return freq
    return fft_frequencies(sr=sr, n_fft=n_fft)


def spectral_shape(*, y=None, sr=SR, S=None, n_fft=None, hop_length=512, freq=None):
    r"""The four spectral shape statistics of each frame, in one pass.

    Each column of the magnitude (or power) spectrogram is read as a probability distribution
    over frequency, :math:`p_t[k] = S[k, t] / \sum_j S[j, t]`, and described by its moments:

    - centroid :math:`\mu_t = \sum_k f_k\, p_t[k]` (Hz): the "centre of mass", brightness;
    - spread :math:`\sigma_t = \sqrt{\sum_k (f_k - \mu_t)^2 p_t[k]}` (Hz): the standard
      deviation around the centroid (librosa's ``spectral_bandwidth`` with ``p=2``);
    - skewness :math:`\sum_k (f_k - \mu_t)^3 p_t[k] / \sigma_t^3` (no unit): asymmetry,
      > 0 when the energy sits below the centroid with a tail towards high frequencies;
    - kurtosis :math:`\sum_k (f_k - \mu_t)^4 p_t[k] / \sigma_t^4 - 3` (no unit): **excess**
      kurtosis (0 for a Gaussian-shaped spectrum, > 0 for a peaky one, < 0 for a flat one).

    Whether ``S`` holds magnitudes or powers changes the numbers (power weights the peaks more);
    librosa's centroid uses magnitudes, and so does the ``y=`` path here.

    **Silent frames** (all-zero columns) have no distribution: all four statistics are defined
    as 0 there (librosa's centroid and bandwidth also give 0), never NaN. A frame whose energy
    sits in a single bin has spread 0, and its skewness and kurtosis are defined as 0.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
        Audio, used when ``S`` is None: ``S = |stft(y)|`` (centred, Hann window).
    sr : int
        Sample rate (Hz), for the bin frequencies.
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), non-negative, optional
        Magnitude or power spectrogram.
    n_fft : int, optional
        FFT size; inferred from ``S`` (``2 * (n_bins - 1)``) when not given, 2048 for ``y``.
    hop_length : int
        Hop for the ``y`` path.
    freq : np.ndarray, shape (n_bins,), optional
        Bin frequencies (Hz), default ``k * sr / n_fft``.

    Returns
    -------
    shape : np.ndarray, shape (..., 4, n_frames), float64
        Rows: centroid (Hz), spread (Hz), skewness, excess kurtosis.

    Examples
    --------
    >>> import numpy as np
    >>> from mirbook.signal import tone
    >>> y = tone(1000.0, sr=22050, duration=1.0)
    >>> c, s, sk, ku = spectral_shape(y=y, sr=22050)[:, 10]
    >>> bool(abs(c - 1000.0) < 22050 / 2048)       # centroid of a pure tone: its frequency
    True

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    spectral_centroid, spectral_spread, spectral_skewness, spectral_kurtosis
    """
    S, n_fft = _spectrogram(y, S, sr, n_fft, hop_length, power=1)
    if y is None:
        check_sr(sr)
    mu, sigma, skew, kurt = _moments(S, _freqs_for(S, sr, n_fft, freq))
    return np.concatenate([mu, sigma, skew, kurt], axis=-2)


def spectral_centroid(*, y=None, sr=SR, S=None, n_fft=None, hop_length=512, freq=None):
    """Spectral centroid (Hz) of each frame: the mean frequency of the spectrum.

    Same definition and parameters as ``librosa.feature.spectral_centroid`` (magnitude
    spectrogram by default); silent frames give 0. See :func:`spectral_shape` for the maths.
    A spectrogram must be passed by keyword (``S=``): ``spectral_centroid(S)`` is a TypeError.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
        Audio, used when ``S`` is None (``S = |stft(y)|``).
    sr : int
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), non-negative, optional
        Magnitude (or power) spectrogram.
    n_fft, hop_length : int
        As :func:`spectral_shape`.
    freq : np.ndarray, shape (n_bins,), optional
        Bin frequencies (Hz).

    Returns
    -------
    centroid : np.ndarray, shape (..., 1, n_frames), float64

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal(22050)
    >>> c = spectral_centroid(y=y, sr=22050)
    >>> bool(abs(c.mean() / (22050 / 4) - 1) < 0.05)    # white noise: sr / 4
    True

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    spectral_shape
    """
    return spectral_shape(y=y, sr=sr, S=S, n_fft=n_fft, hop_length=hop_length,
                          freq=freq)[..., 0:1, :]


def spectral_spread(*, y=None, sr=SR, S=None, n_fft=None, hop_length=512, freq=None):
    """Spectral spread (Hz): the standard deviation of frequency around the centroid.

    Equals ``librosa.feature.spectral_bandwidth(p=2)``. Silent frames give 0.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
        Audio, used when ``S`` is None (``S = |stft(y)|``).
    sr : int
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), non-negative, optional
        Magnitude (or power) spectrogram.
    n_fft, hop_length : int
        As :func:`spectral_shape`.
    freq : np.ndarray, shape (n_bins,), optional
        Bin frequencies (Hz).

    Returns
    -------
    spread : np.ndarray, shape (..., 1, n_frames), float64

    Examples
    --------
    >>> import numpy as np
    >>> S = np.zeros((1025, 1)); S[100] = 1.0                 # one bin: no spread
    >>> float(spectral_spread(S=S, sr=22050)[0, 0])
    0.0

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    spectral_shape
    """
    return spectral_shape(y=y, sr=sr, S=S, n_fft=n_fft, hop_length=hop_length,
                          freq=freq)[..., 1:2, :]


def spectral_skewness(*, y=None, sr=SR, S=None, n_fft=None, hop_length=512, freq=None):
    """Spectral skewness (third standardised moment); 0 for silent or single-bin frames.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
        Audio, used when ``S`` is None (``S = |stft(y)|``).
    sr : int
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), non-negative, optional
        Magnitude (or power) spectrogram.
    n_fft, hop_length : int
        As :func:`spectral_shape`.
    freq : np.ndarray, shape (n_bins,), optional
        Bin frequencies (Hz).

    Returns
    -------
    skewness : np.ndarray, shape (..., 1, n_frames), float64

    Examples
    --------
    >>> import numpy as np
    >>> S = np.ones((1025, 2))                                # flat: symmetric
    >>> bool(abs(spectral_skewness(S=S, sr=22050)).max() < 1e-9)
    True

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    spectral_shape
    """
    return spectral_shape(y=y, sr=sr, S=S, n_fft=n_fft, hop_length=hop_length,
                          freq=freq)[..., 2:3, :]


def spectral_kurtosis(*, y=None, sr=SR, S=None, n_fft=None, hop_length=512, freq=None):
    """Spectral **excess** kurtosis (fourth standardised moment minus 3).

    0 for a Gaussian-shaped spectrum, and defined as 0 for silent or single-bin frames.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
        Audio, used when ``S`` is None (``S = |stft(y)|``).
    sr : int
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), non-negative, optional
        Magnitude (or power) spectrogram.
    n_fft, hop_length : int
        As :func:`spectral_shape`.
    freq : np.ndarray, shape (n_bins,), optional
        Bin frequencies (Hz).

    Returns
    -------
    kurtosis : np.ndarray, shape (..., 1, n_frames), float64

    Examples
    --------
    >>> import numpy as np
    >>> S = np.ones((1025, 2))                                # flat: uniform, -1.2
    >>> round(float(spectral_kurtosis(S=S, sr=22050)[0, 0]), 2)
    -1.2

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    spectral_shape
    """
    return spectral_shape(y=y, sr=sr, S=S, n_fft=n_fft, hop_length=hop_length,
                          freq=freq)[..., 3:4, :]


def spectral_rolloff(*, y=None, sr=SR, S=None, n_fft=None, hop_length=512, freq=None,
                     roll_percent=0.85):
    """Roll-off frequency: the lowest bin frequency below which ``roll_percent`` of the energy lies.

    Same definition as ``librosa.feature.spectral_rolloff`` (silent frames give the lowest bin
    frequency, 0 Hz).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
        Audio, used when ``S`` is None (``S = |stft(y)|``).
    sr : int
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), non-negative, optional
        Magnitude (or power) spectrogram.
    n_fft, hop_length : int
        As :func:`spectral_shape`.
    freq : np.ndarray, shape (n_bins,), optional
        Bin frequencies (Hz).
    roll_percent : float in (0, 1)

    Returns
    -------
    rolloff : np.ndarray, shape (..., 1, n_frames), float64, Hz

    Examples
    --------
    >>> import numpy as np
    >>> S = np.zeros((1025, 1)); S[100] = 1.0
    >>> float(spectral_rolloff(S=S, sr=22050)[0, 0]) == 100 * 22050 / 2048
    True

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    roll_percent = finite_real(roll_percent, "roll_percent")
    if not 0.0 < roll_percent < 1.0:
        raise ParameterError(f"roll_percent={roll_percent!r}: expected a number in (0, 1)")
    S, n_fft = _spectrogram(y, S, sr, n_fft, hop_length, power=1)
    freq = _freqs_for(S, sr, n_fft, freq)
    cum = np.cumsum(np.asarray(S, dtype=np.float64), axis=-2)
    threshold = roll_percent * cum[..., -1:, :]
    idx = np.argmax(cum >= threshold, axis=-2)               # first bin reaching the threshold
    return freq[idx][..., None, :]


def spectral_flatness(*, y=None, S=None, n_fft=None, hop_length=512, amin=1e-10, power=2.0):
    """Spectral flatness: geometric mean / arithmetic mean of the power spectrum, in (0, 1].

    Near 1 for white noise, near 0 for a tone. Same definition as
    ``librosa.feature.spectral_flatness``: ``S ** power`` floored at ``amin`` (so silent frames
    give exactly 1).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
    S : np.ndarray, shape (..., n_bins, n_frames), non-negative, optional
        Magnitude spectrogram.
    n_fft, hop_length : int
        For the ``y`` path.
    amin : float > 0
    power : float

    Returns
    -------
    flatness : np.ndarray, shape (..., 1, n_frames), float64

    Examples
    --------
    >>> import numpy as np
    >>> float(spectral_flatness(S=np.ones((1025, 1)))[0, 0])
    1.0

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    amin = finite_real(amin, "amin", low=0.0, low_open=True)
    S, _ = _spectrogram(y, S, None, n_fft, hop_length, power=1)
    P = np.maximum(amin, np.asarray(S, dtype=np.float64) ** power)
    gmean = np.exp(np.mean(np.log(P), axis=-2, keepdims=True))
    return gmean / np.mean(P, axis=-2, keepdims=True)


def zero_crossing_rate(y, *, frame_length=2048, hop_length=512, center=True, threshold=1e-10):
    """Fraction of sign changes between consecutive samples, per frame.

    Same definition as ``librosa.feature.zero_crossing_rate``: samples with ``|y| <= threshold``
    count as 0 and 0 counts as positive; frame ``t`` covers ``frame_length`` samples, and its
    ``frame_length - 1`` sample pairs are counted and divided by ``frame_length``; with
    ``center=True`` the signal is padded by repeating its edge samples.

    Computed with one cumulative sum over the whole signal (no framed copy).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    frame_length, hop_length : int
    center : bool
    threshold : float

    Returns
    -------
    zcr : np.ndarray, shape (1, n_frames), float64

    Examples
    --------
    >>> import numpy as np
    >>> y = np.tile([1.0, -1.0], 2048)                       # crosses zero at every sample
    >>> float(zero_crossing_rate(y)[0, 4])
    0.99951171875

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    frame_length = positive_int(frame_length, "frame_length")
    hop_length = positive_int(hop_length, "hop_length")
    y = _check_y(y, None, None if center else frame_length)
    if y.ndim != 1:
        raise AudioFileError("y", f"zero_crossing_rate expects mono audio (n,), got {y.shape}")
    if center:
        y = np.pad(y, frame_length // 2, mode="edge")
    x = np.where(np.abs(y) <= threshold, 0.0, y)
    neg = np.signbit(x)
    cross = np.zeros(x.size + 1, dtype=np.int64)             # cross[i + 1] = change at i-1 -> i
    np.cumsum(neg[1:] != neg[:-1], out=cross[2:])
    n_frames = 1 + (x.size - frame_length) // hop_length
    starts = np.arange(n_frames) * hop_length
    counts = cross[starts + frame_length] - cross[starts + 1]
    return (counts / frame_length)[None, :]


def rms(*, y=None, S=None, frame_length=2048, hop_length=512, center=True):
    """Root-mean-square energy per frame, from the signal or from its STFT.

    From ``y``: ``sqrt(mean(frame ** 2))`` over zero-padded centred frames. From ``S`` (complex
    or magnitude STFT with ``frame_length = n_fft``): Parseval's theorem,
    ``sqrt(2 * sum_k |S[k]|^2 / n_fft^2)`` with the DC and Nyquist bins counted once, which is
    the RMS of the *windowed* frame (librosa's convention for ``S``). Both equal
    ``librosa.feature.rms``.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
    S : np.ndarray, shape (..., 1 + frame_length // 2, n_frames), optional
        Complex or magnitude STFT.
    frame_length, hop_length : int
    center : bool

    Returns
    -------
    rms : np.ndarray, shape (..., 1, n_frames), float64

    Examples
    --------
    >>> import numpy as np
    >>> float(rms(y=np.ones(4096))[0, 2])
    1.0

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    frame_length = positive_int(frame_length, "frame_length")
    if S is not None:
        S = np.asarray(S)
        if not np.iscomplexobj(S):
            S = _check_S(S)
        if S.ndim < 2 or S.shape[-2] != frame_length // 2 + 1:
            raise ParameterError(f"S has shape {S.shape}: expected {frame_length // 2 + 1} bins "
                             f"for frame_length={frame_length}")
        P = np.abs(S).astype(np.float64) ** 2
        P[..., 0, :] *= 0.5
        if frame_length % 2 == 0:
            P[..., -1, :] *= 0.5
        return np.sqrt(2.0 * P.sum(axis=-2, keepdims=True) / frame_length ** 2)
    if y is None:
        raise ParameterError("give either y (audio) or S (STFT)")
    hop_length = positive_int(hop_length, "hop_length")
    y = _check_y(y, None, None if center else frame_length)
    if center:
        pad = [(0, 0)] * (y.ndim - 1) + [(frame_length // 2, frame_length // 2)]
        y = np.pad(y, pad, mode="constant")
    frames = np.lib.stride_tricks.sliding_window_view(y, frame_length, axis=-1)
    frames = frames[..., ::hop_length, :]
    power = np.mean(np.square(frames, dtype=np.float64), axis=-1)
    return np.sqrt(power)[..., None, :]


# --------------------------------------------------------------------------------------------
# Spectral flux
# --------------------------------------------------------------------------------------------


def spectral_flux(*, y=None, sr=SR, S=None, n_fft=2048, hop_length=512, n_mels=128, lag=1,
                  rectify=True, normalize=False, p=1):
    r"""Spectral flux: how much the spectrum changes from one frame to the next.

    .. math::

        \mathrm{flux}[t] = \Big(\frac{1}{K}\sum_{k=0}^{K-1}
                           \big|g(S[k, t] - S[k, t - \mathrm{lag}])\big|^p\Big)^{1/p}

    with :math:`g(d) = \max(d, 0)` when ``rectify`` (half-wave rectification: only energy that
    *appears* counts, as in onset detection) and :math:`g(d) = d` otherwise. The first ``lag``
    frames have no predecessor and are 0. Speech alternates voiced/unvoiced/silent segments a few
    times per second, so its flux varies much more than that of most music.

    Usually computed on a *log* spectrogram (dB), so that a change is a ratio of energies and
    quiet partials count as much as loud ones. Given ``y`` (and no ``S``), ``S`` is the log-power
    mel spectrogram in dB (``n_mels`` bands, ``log_mel`` with ``ref=1, top_db=80``), which makes
    ``spectral_flux(y=y)`` equal to ``librosa.onset.onset_strength(y=y, sr=sr, lag=1,
    max_size=1, center=False)``. librosa's default ``center=True`` only delays that curve by
    ``n_fft // (2 * hop_length)`` frames (asserted in ``tests/test_features.py``).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
        Audio, used when ``S`` is None.
    sr : int
    S : np.ndarray, shape (..., n_bins, n_frames), optional
        Spectrogram (log-power, dB, magnitude...): used as given.
    n_fft, hop_length, n_mels : int
        For the ``y`` path.
    lag : int >= 1
        Compare frame ``t`` with frame ``t - lag``.
    rectify : bool
        Keep positive differences only (half-wave rectification).
    normalize : bool
        Divide each frame by its Euclidean norm over frequency before differencing, so that the
        flux measures a change of spectral *shape*, not of level (Tzanetakis & Cook's
        definition). Meant for non-negative (magnitude) spectrograms; an all-zero frame stays 0.
    p : {1, 2}
        1: mean absolute (rectified) difference (librosa's aggregate); 2: root mean square.

    Returns
    -------
    flux : np.ndarray, shape (..., 1, n_frames), float64

    Examples
    --------
    >>> import numpy as np
    >>> from mirbook.signal import tone
    >>> y = tone(440.0, sr=22050, duration=2.0)
    >>> flux = spectral_flux(y=y)
    >>> bool(flux[0, 3:-3].max() < 0.01)                   # a stationary tone: ~0 dB change
    True

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    lag = positive_int(lag, "lag")
    if p not in (1, 2):
        raise ParameterError(f"p={p!r}: expected 1 or 2")
    if S is None:
        if y is None:
            raise ParameterError("give either S (spectrogram) or y (audio)")
        n_fft = positive_int(n_fft, "n_fft")
        y = _check_y(y, sr, n_fft)
        P = np.abs(_stft(y, n_fft, positive_int(hop_length, "hop_length"))) ** 2
        fb = _mel_fb_cached(check_sr(sr), n_fft, positive_int(n_mels, "n_mels"), 0.0, None,
                            False, "slaney", np.dtype(P.dtype).str)
        S = log_mel(P, mel_fb=fb)
    S = np.asarray(_check_S(S, nonneg=False), dtype=np.float64)
    if normalize:
        norm = np.linalg.norm(S, axis=-2, keepdims=True)
        S = S / np.where(norm > 0, norm, 1.0)
    out = np.zeros(S.shape[:-2] + (1, S.shape[-1]))
    if S.shape[-1] <= lag:
        return out
    d = S[..., lag:] - S[..., :-lag]
    if rectify:
        d = np.maximum(d, 0.0)
    if p == 1:
        out[..., 0, lag:] = np.mean(np.abs(d), axis=-2)
    else:
        out[..., 0, lag:] = np.sqrt(np.mean(d * d, axis=-2))
    return out


# --------------------------------------------------------------------------------------------
# Mel scale, MFCC
# --------------------------------------------------------------------------------------------

def log_mel(S_power, *, mel_fb=None, ref=1.0, amin=1e-10, top_db=80.0, log="db"):
    r"""Log-power mel spectrogram: ``mel_fb @ S_power``, then a logarithm with a floor.

    With ``log="db"`` (default) this is ``librosa.power_to_db(mel_fb @ S_power, ref=ref,
    amin=amin, top_db=top_db)``:

    .. math::

        10 \log_{10} \max(a_{min}, M) - 10 \log_{10} \max(a_{min}, \mathrm{ref}),

    then clipped from below at ``max - top_db`` (the max over the whole array; ``top_db=None``
    disables the clipping). ``ref`` may be a callable (e.g. ``np.max``) applied to ``M``. With
    ``log="ln"``: ``ln(max(amin, M))`` (natural log with a floor, no ``ref`` or ``top_db``).
    The floor (``amin``) keeps silence finite: digital silence gives ``10 log10(amin)`` = -100 dB.

    Parameters
    ----------
    S_power : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), non-negative
        Power spectrogram ``|STFT|**2`` (or, with ``mel_fb=None``, an already mel-filtered one).
    mel_fb : np.ndarray, shape (n_mels, 1 + n_fft // 2), optional
        From :func:`mirbook.filters.mel_filterbank`; None: ``S_power`` is used as is.
    ref, amin, top_db : see above.
    log : {"db", "ln"}

    Returns
    -------
    S_log : np.ndarray, shape (..., n_mels, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from mirbook.filters import mel_filterbank
    >>> P = np.abs(np.random.default_rng(0).standard_normal((1025, 5))) ** 2
    >>> log_mel(P, mel_fb=mel_filterbank(sr=22050, n_fft=2048, n_mels=64)).shape
    (64, 5)

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    mirbook.filters.mel_filterbank, mfcc
    """
    S_power = _check_S(S_power, name="S_power")
    amin = finite_real(amin, "amin", low=0.0, low_open=True)
    one_of(log, "log", ("db", "ln"))
    if mel_fb is not None:
        mel_fb = np.asarray(mel_fb)
        if mel_fb.ndim != 2 or mel_fb.shape[1] != S_power.shape[-2]:
            raise ParameterError(f"mel_fb has shape {mel_fb.shape}, S_power {S_power.shape}: "
                             "expected mel_fb.shape[1] == S_power.shape[-2]")
        M = np.matmul(mel_fb.astype(S_power.dtype, copy=False), S_power)
    else:
        M = S_power
    if log == "ln":
        return np.log(np.maximum(amin, M))
    if log != "db":
        raise ParameterError(f"log={log!r}: expected 'db' or 'ln'")
    ref_value = ref(M) if callable(ref) else ref
    out = 10.0 * np.log10(np.maximum(amin, M))
    out -= 10.0 * np.log10(np.maximum(amin, np.abs(ref_value)))
    if top_db is not None:
        if top_db < 0:
            raise ParameterError(f"top_db={top_db!r}: must be non-negative")
        out = np.maximum(out, out.max() - top_db)
    return out


def mfcc(*, y=None, sr=SR, S=None, n_mfcc=20, n_fft=2048, hop_length=512, n_mels=128,
         fmin=0.0, fmax=None, htk=False, mel_norm="slaney", norm="ortho", lifter=0,
         top_db=80.0):
    r"""Mel-frequency cepstral coefficients, step by step.

    1. ``P = |stft(y)|**2`` (centred frames, Hann window);
    2. ``M = mel_filterbank(...) @ P`` (:func:`mirbook.filters.mel_filterbank`);
    3. ``L = 10 log10(max(1e-10, M))``, clipped at ``max(L) - top_db`` (:func:`log_mel`): the
       "log-magnitude in mel-scale frequency" of the lecture;
    4. ``C = dct_ii(L, n_mfcc=n_mfcc)`` (:func:`mirbook.filters.dct_ii`), the first ``n_mfcc``
       coefficients;
    5. optional liftering ``C[k] *= 1 + (lifter / 2) sin(pi (k + 1) / lifter)``.

    Same parameters and result as ``librosa.feature.mfcc`` (``dct_type=2``); agreement is
    asserted in ``tests/test_features.py``: max abs difference below 1e-4 of the range of
    librosa's coefficients on float32 audio.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n), optional
        Audio.
    sr : int
    S : np.ndarray, shape (..., n_mels, n_frames), optional
        A log-power mel spectrogram (dB), as librosa: steps 1-3 are skipped.
    n_mfcc, n_fft, hop_length, n_mels, fmin, fmax, htk : int, float, bool
        As :func:`mirbook.filters.mel_filterbank` and ``librosa.stft``.
    mel_norm : "slaney", None or number
        ``norm`` of :func:`mirbook.filters.mel_filterbank`.
    norm : {"ortho", None}
        DCT normalisation.
    lifter : float >= 0
        Cepstral liftering (0: none).
    top_db : float or None
        Dynamic range kept by :func:`log_mel`.

    Returns
    -------
    M : np.ndarray, shape (..., n_mfcc, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> from mirbook.signal import tone
    >>> y = tone(440.0, sr=22050, duration=1.0, dtype=np.float32)
    >>> mfcc(y=y, sr=22050, n_mfcc=13).shape
    (13, 44)

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    delta, clip_features
    """
    if S is None:
        if y is None:
            raise ParameterError("give either y (audio) or S (log-power mel spectrogram)")
        n_fft = positive_int(n_fft, "n_fft")
        y = _check_y(y, sr, n_fft)
        P = np.abs(_stft(y, n_fft, positive_int(hop_length, "hop_length"))) ** 2
        fb = _mel_fb_cached(check_sr(sr), n_fft, positive_int(n_mels, "n_mels"), float(fmin),
                            None if fmax is None else float(fmax), bool(htk), mel_norm,
                            np.dtype(P.dtype).str)
        S = log_mel(P, mel_fb=fb, top_db=top_db)
    else:
        S = _check_S(S, nonneg=False)
    lifter = finite_real(lifter, "lifter", low=0.0)
    M = dct_ii(S, n_mfcc=n_mfcc, norm=norm, axis=-2)
    if lifter > 0:
        k = np.arange(1, 1 + M.shape[-2], dtype=np.float64)
        M = M * (1.0 + (lifter / 2.0) * np.sin(np.pi * k / lifter))[:, None]
    return M


# --------------------------------------------------------------------------------------------
# Deltas
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _savgol_row(width, order):
    """Weights giving the ``order``-th derivative of the degree-``order`` least-squares
    polynomial fitted to ``width`` equally spaced points. That derivative is ``order!`` times the
    leading coefficient, a constant, so the same row serves the centre and (applied to the first
    or last ``width`` frames) the edges."""
    x = np.arange(width, dtype=np.float64) - width // 2
    V = np.vander(x, order + 1, increasing=True)                 # columns 1, x, x^2, ...
    row = math.factorial(order) * np.linalg.pinv(V)[order]
    row.flags.writeable = False
    return row


def delta(X, *, order=1, width=9, axis=-1, mode="interp"):
    r"""Time derivative of a feature sequence by local polynomial (Savitzky-Golay) fitting.

    Around each frame, a polynomial of degree ``order`` is fitted by least squares to the
    ``width`` neighbouring frames, and its ``order``-th derivative is returned. For ``order=1``
    this is the classic regression formula of speech recognition,

    .. math::

        \Delta[t] = \frac{\sum_{n=-N}^{N} n\, X[t + n]}{\sum_{n=-N}^{N} n^2},
        \qquad N = \lfloor \mathrm{width} / 2 \rfloor,

    in units of "per frame". ``order=2`` gives the acceleration (delta-delta).

    **Edges** (the first and last ``N`` frames, whose window would stick out of the signal):
    with ``mode="interp"`` (default, as librosa) the polynomial is fitted to the first (last)
    ``width`` frames and its derivative used for all of them; other modes pad the sequence
    (``"nearest"``: repeat the edge frame, ``"mirror"``: reflect without repeating the edge,
    ``"constant"``: zeros, ``"wrap"``: periodic) and apply the centre formula everywhere.
    Equals ``librosa.feature.delta`` (i.e. ``scipy.signal.savgol_filter``) for every mode.

    Parameters
    ----------
    X : np.ndarray, shape (..., n_frames)
        Feature sequence (e.g. MFCC ``(n_mfcc, n_frames)``).
    order : int >= 1
        Derivative order.
    width : odd int >= 3, > order
        Number of frames in the fit; with ``mode="interp"``, at most ``X.shape[axis]``.
    axis : int
        Time axis.
    mode : {"interp", "nearest", "mirror", "constant", "wrap"}

    Returns
    -------
    D : np.ndarray, same shape as ``X``, float64

    Examples
    --------
    >>> import numpy as np
    >>> ramp = 0.5 * np.arange(20.0)[None, :]
    >>> delta(ramp).ravel()[:3].tolist()                      # slope 0.5 everywhere
    [0.5, 0.5, 0.5]

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    mfcc, clip_features
    """
    X = real_array(X, "X").astype(np.float64, copy=False)
    order = positive_int(order, "order")
    width = positive_int(width, "width")
    if width < 3 or width % 2 == 0:
        raise ParameterError(f"width={width}: must be an odd integer >= 3")
    if order >= width:
        raise ParameterError(f"order={order} must be smaller than width={width}")
    one_of(mode, "mode", ("interp", "nearest", "mirror", "constant", "wrap"))
    X = np.moveaxis(X, axis, -1)
    n = X.shape[-1]
    half = width // 2
    row = _savgol_row(width, order)
    if mode == "interp":
        if n < width:
            raise ParameterError(f"X has {n} frames along axis {axis}: mode='interp' needs at "
                             f"least width={width}; lower width or use another mode")
        win = np.lib.stride_tricks.sliding_window_view(X, width, axis=-1)   # (..., n-w+1, w)
        out = np.empty_like(X)
        out[..., half:n - half] = win @ row
        out[..., :half] = (X[..., :width] @ row)[..., None]
        out[..., n - half:] = (X[..., n - width:] @ row)[..., None]
    else:
        pad_mode = {"nearest": "edge", "mirror": "reflect", "constant": "constant",
                    "wrap": "wrap"}[mode]
        if mode == "mirror" and n < 2:
            raise ParameterError("mode='mirror' needs at least 2 frames")
        Xp = np.pad(X, [(0, 0)] * (X.ndim - 1) + [(half, half)], mode=pad_mode)
        win = np.lib.stride_tricks.sliding_window_view(Xp, width, axis=-1)
        out = win @ row
    return np.moveaxis(out, -1, axis)


# --------------------------------------------------------------------------------------------
# Pooling and clip vectors
# --------------------------------------------------------------------------------------------

def _std_moment(F, axis, k):
    m = F.mean(axis=axis, keepdims=True)
    d = F - m
    s = np.sqrt(np.mean(d * d, axis=axis, keepdims=True))
    ok = s > 1e-12 * np.maximum(1.0, np.abs(m))
    val = np.mean(d ** k, axis=axis, keepdims=True) / np.where(ok, s, 1.0) ** k
    val = np.where(ok, val - (3.0 if k == 4 else 0.0), 0.0)
    return np.squeeze(val, axis=axis)


#: Pooling statistics known to :func:`summarize` (kurtosis is excess kurtosis; skewness and
#: kurtosis are 0 for a constant feature).
STATS = {
    "mean": lambda F, axis: F.mean(axis=axis),
    "std": lambda F, axis: F.std(axis=axis),
    "min": lambda F, axis: F.min(axis=axis),
    "max": lambda F, axis: F.max(axis=axis),
    "median": lambda F, axis: np.median(F, axis=axis),
    "skew": lambda F, axis: _std_moment(F, axis, 3),
    "kurtosis": lambda F, axis: _std_moment(F, axis, 4),
}


def _check_stats(stats):
    if isinstance(stats, str):
        stats = (stats,)
    stats = tuple(stats)
    if not stats:
        raise ParameterError("stats: give at least one statistic")
    bad = [s for s in stats if s not in STATS]
    if bad:
        raise ParameterError(f"unknown statistic(s) {bad}: choose among {sorted(STATS)}")
    return stats


def summarize(F, *, stats=("mean", "std"), axis=-1):
    """Pool frame features into one clip vector: each statistic over time, concatenated.

    ``summarize(F, stats=("mean", "std"))`` of an ``(n_features, n_frames)`` matrix is
    ``[mean(F[0]), ..., mean(F[-1]), std(F[0]), ..., std(F[-1])]``: statistic-major order, the
    order of :func:`feature_names`. A clip of any length becomes a vector of fixed length,
    which is what an SVM or a random forest takes.

    Parameters
    ----------
    F : np.ndarray, shape (n_features, n_frames) (or (n_frames,), one feature)
    stats : sequence of str
        Among :data:`STATS`: ``mean, std, min, max, median, skew, kurtosis`` (excess; skew and
        kurtosis are 0 for a constant feature). ``std`` is the population one (``ddof=0``).
    axis : int
        The time axis.

    Returns
    -------
    v : np.ndarray, shape (len(stats) * n_features,), float64

    Examples
    --------
    >>> import numpy as np
    >>> summarize(np.array([[1.0, 3.0], [2.0, 2.0]])).tolist()
    [2.0, 2.0, 1.0, 0.0]

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    clip_features
    """
    stats = _check_stats(stats)
    F = np.asarray(F)
    if F.ndim == 1:
        F = F[None, :]
        axis = -1
    if F.ndim == 2 and F.shape[axis] == 0:
        raise ParameterError("F: no frames to summarize")
    F = real_array(F, "F", ndim=2).astype(np.float64, copy=False)
    return np.concatenate([np.atleast_1d(STATS[s](F, axis)) for s in stats])


_DEFAULTS = dict(n_fft=2048, hop_length=512, n_mels=128, n_mfcc=20, n_chroma=12, fmin=0.0,
                 fmax=None, width=9, tuning=0.0, roll_percent=0.85)


def _frame_names(n_mfcc=20, n_chroma=12):
    names = [f"mfcc{i:02d}" for i in range(n_mfcc)]
    names += [f"d_mfcc{i:02d}" for i in range(n_mfcc)]
    names += [f"dd_mfcc{i:02d}" for i in range(n_mfcc)]
    names += ["centroid", "spread", "skewness", "kurtosis", "rolloff", "flatness", "flux"]
    pcs = PITCH_CLASSES
    names += [f"chroma_{pcs[i]}" if n_chroma == 12 else f"chroma{i:02d}"
              for i in range(n_chroma)]
    names += ["zcr", "rms"]
    return names


def frame_features(y, *, sr=SR, n_fft=2048, hop_length=512, n_mels=128, n_mfcc=20,
                   n_chroma=12, fmin=0.0, fmax=None, width=9, tuning=0.0, roll_percent=0.85,
                   return_info=False):
    """All frame-level features of one clip, from **one** STFT.

    From ``X = stft(y)`` (centred, Hann): ``|X|`` gives the spectral shape (centroid, spread,
    skewness, kurtosis), roll-off and flatness; ``|X|**2`` gives the mel spectrogram, whose dB
    version gives the MFCC and the spectral flux (half-wave rectified, lag 1, mean over bands),
    and the chroma (``librosa.feature.chroma_stft(S=|X|**2)``); ``X`` gives the RMS (Parseval).
    Only the zero-crossing rate reads ``y`` again (time domain, one cumulative sum).

    Rows (``n_mfcc = 20``, ``n_chroma = 12``: 81 rows): ``n_mfcc`` MFCC, their deltas and
    delta-deltas (:func:`delta`, ``width`` frames), centroid, spread, skewness, kurtosis,
    rolloff, flatness, flux, ``n_chroma`` chroma, zcr, rms.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio, at least ``n_fft`` samples and ``width`` frames.
    sr, n_fft, hop_length, n_mels, n_mfcc, fmin, fmax : as :func:`mfcc`
    n_chroma : int
    width : int
        Delta window (frames).
    tuning : float or None
        Chroma tuning offset in fractions of a bin; 0 assumes A440 (cheap and deterministic),
        None estimates it (``librosa.estimate_tuning``, slower).
    roll_percent : float
    return_info : bool
        Also return ``{"names": [...]}``, the row names.

    Returns
    -------
    F : np.ndarray, shape (n_features, n_frames), float64
    info : dict, only with ``return_info``
        ``names``: list of str, one per row.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> F, info = frame_features(y, sr=22050, return_info=True)
    >>> F.shape, info["names"][60]
    ((81, 44), 'centroid')

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    clip_features
    """
    import librosa

    n_fft = positive_int(n_fft, "n_fft")
    hop_length = positive_int(hop_length, "hop_length")
    width = positive_int(width, "width")
    y = _check_y(y, sr, n_fft)
    sr = check_sr(sr)
    if y.ndim != 1:
        raise AudioFileError("y", f"expected mono audio of shape (n,), got {y.shape}; load it "
                                  "with load_audio(path, mono=True)")
    n_frames = 1 + y.size // hop_length
    if n_frames < width:
        raise AudioFileError(
            "y", f"{y.size} samples give {n_frames} frames at hop_length={hop_length}: deltas "
                 f"need at least width={width} frames ({(width - 1) * hop_length} samples)")
    X = _stft(y, n_fft, hop_length)
    mag = np.abs(X)
    power = mag * mag
    fb = _mel_fb_cached(sr, n_fft, positive_int(n_mels, "n_mels"), float(fmin),
                        None if fmax is None else float(fmax), False, "slaney",
                        np.dtype(power.dtype).str)
    logmel = log_mel(power, mel_fb=fb)
    C = mfcc(S=logmel, n_mfcc=n_mfcc)
    shape = _moments(mag, fft_frequencies(sr=sr, n_fft=n_fft))
    rolloff = spectral_rolloff(S=mag, sr=sr, n_fft=n_fft, roll_percent=roll_percent)
    flat = spectral_flatness(S=mag, n_fft=n_fft)
    flux = spectral_flux(S=logmel)
    chroma = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=n_fft, tuning=tuning,
                                         n_chroma=n_chroma)
    zcr = zero_crossing_rate(y, frame_length=n_fft, hop_length=hop_length)
    energy = rms(S=X, frame_length=n_fft)
    F = np.concatenate([C, delta(C, width=width), delta(C, order=2, width=width), *shape,
                        rolloff, flat, flux, chroma, zcr[:, :n_frames], energy], axis=0)
    F = F.astype(np.float64, copy=False)
    if return_info:
        return F, {"names": _frame_names(n_mfcc, n_chroma)}
    return F


def feature_names(*, n_mfcc=20, n_chroma=12, stats=("mean", "std")):
    """A name for every dimension of :func:`clip_features`' vector, in order.

    ``"<stat>_<feature>"``, statistic-major (``mean_mfcc00, ..., mean_rms, std_mfcc00, ...,
    std_rms``). The names of the seed's 3888-d input are
    :func:`mirbook.speech_music.seed_input_names`.

    Parameters
    ----------
    n_mfcc, n_chroma : int
    stats : sequence of str
        As :func:`summarize`.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> names = feature_names()
    >>> len(names), names[0], names[-1]
    (162, 'mean_mfcc00', 'std_rms')

    Used in the chapter notebooks ``notebooks/07_speech_music.ipynb`` and
    ``notebooks/10_tagging.ipynb``.

    See Also
    --------
    clip_features
    """
    stats = _check_stats(stats)
    frame = _frame_names(nonneg_int(n_mfcc, "n_mfcc"), nonneg_int(n_chroma, "n_chroma"))
    return [f"{s}_{f}" for s in stats for f in frame]


def clip_features(y, *, sr=SR, stats=("mean", "std"), **kwargs):
    """ONE fixed-length feature vector per clip: "stack as many features as you can".

    The frame features of :func:`frame_features` (MFCC + deltas + delta-deltas, spectral
    shape, roll-off, flatness, flux, chroma, ZCR, RMS: 81 rows with the defaults), pooled over
    the clip by :func:`summarize` (``stats``): 162 numbers for ``("mean", "std")``. One STFT per
    clip. (The seed's 3888-d frame block is :func:`mirbook.speech_music.seed_input`.)

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio.
    sr : int
    stats : sequence of str
        Pooling statistics.
    **kwargs
        ``frame_features`` parameters (``n_fft, hop_length, n_mels, n_mfcc, n_chroma, fmin,
        fmax, width, tuning, roll_percent``).

    Returns
    -------
    v : np.ndarray, shape (len(feature_names(...)),), float64

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(22050 * 3).astype(np.float32)
    >>> clip_features(y, sr=22050).shape
    (162,)

    Used in the chapter notebooks ``notebooks/07_speech_music.ipynb`` and
    ``notebooks/10_tagging.ipynb``.

    See Also
    --------
    feature_names, batch_clip_features
    """
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"clip_features: unexpected argument(s) {sorted(unknown)}")
    stats = _check_stats(stats)
    return summarize(frame_features(y, sr=sr, **kwargs), stats=stats)


# --------------------------------------------------------------------------------------------
# Frame blocks
# --------------------------------------------------------------------------------------------


def stacked_frames(F, *, n_frames=108, start=0, hop_frames=None, pad_mode="constant"):
    """Stack feature maps into a ``(channels, n_frames, n_bands)`` block (a CNN "image").

    ``F`` holds ``C`` feature maps of ``n_bands`` rows each (e.g. MFCC, delta, delta-delta).
    The block is frames ``start .. start + n_frames - 1`` of each, transposed to time-major,
    stacked along a first channel axis. Its ``.ravel()`` (C order: channel, then frame, then
    band) is the flat vector an SVM or random forest takes; with ``C = 3``, ``n_frames = 108``
    and ``n_bands = 12`` it has 3888 values (see :func:`mirbook.speech_music.seed_input`). A
    clip shorter than ``start + n_frames`` frames is padded at the end (``np.pad``
    ``pad_mode``, zeros by default).

    Parameters
    ----------
    F : sequence of np.ndarray, each shape (n_bands, T), or np.ndarray, shape (C, n_bands, T)
        or shape (n_bands, T) (one channel)
    n_frames : int
        Context window length (frames).
    start : int or None
        First frame; None centres the window in the clip.
    hop_frames : int, optional
        If given, return *every* window starting at ``0, hop_frames, 2 hop_frames, ...`` (the
        usual way to cut a long recording into training examples); at least one window.
    pad_mode : str
        ``np.pad`` mode for short clips.

    Returns
    -------
    block : np.ndarray, shape (C, n_frames, n_bands), or shape (n_windows, C, n_frames, n_bands)
        with ``hop_frames``

    Examples
    --------
    >>> import numpy as np
    >>> maps = [np.zeros((12, 300))] * 3
    >>> stacked_frames(maps).shape, stacked_frames(maps).size
    ((3, 108, 12), 3888)
    >>> stacked_frames(maps, hop_frames=54).shape
    (4, 3, 108, 12)

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    mirbook.speech_music.seed_input
    """
    if isinstance(F, (list, tuple)):
        shapes = {np.shape(f) for f in F}
        if len(shapes) != 1:
            raise ParameterError(f"F: feature maps of different shapes {sorted(shapes)}")
        F = np.stack([np.asarray(f) for f in F])
    F = np.asarray(F)
    if F.ndim == 2:
        F = F[None]
    if F.ndim != 3 or F.shape[-1] == 0:
        raise ParameterError(f"F: expected (C, n_bands, T) feature maps, got shape {F.shape}")
    F = real_array(F, "F").astype(np.float64, copy=False)
    n_frames = positive_int(n_frames, "n_frames")
    T = F.shape[-1]
    if hop_frames is not None:
        hop_frames = positive_int(hop_frames, "hop_frames")
        n_win = 1 + max(0, T - n_frames) // hop_frames
        return np.stack([stacked_frames(F, n_frames=n_frames, start=i * hop_frames,
                                        pad_mode=pad_mode) for i in range(n_win)])
    if start is None:
        start = max(0, (T - n_frames) // 2)
    start = nonneg_int(start, "start")
    block = F[..., start:start + n_frames]
    short = n_frames - block.shape[-1]
    if short > 0:
        if block.shape[-1] == 0:
            raise ParameterError(f"start={start} is past the end of the {T} frames")
        block = np.pad(block, [(0, 0), (0, 0), (0, short)], mode=pad_mode)
    return np.ascontiguousarray(np.swapaxes(block, -1, -2))


# --------------------------------------------------------------------------------------------
# Batch extraction
# --------------------------------------------------------------------------------------------


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _single_thread_blas():
    """Worker initialiser: one BLAS thread per process (the parallelism is over files)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return None
    return threadpool_limits(1)


def _one_file(job):
    path, sr, stats, kwargs = job
    n_fft = kwargs.get("n_fft", 2048)
    y, file_sr = load_audio(path, sr=sr, n_fft=n_fft)
    return clip_features(y, sr=file_sr, stats=stats, **kwargs).astype(np.float32)


def _one_file_in_worker(job):
    """:func:`_one_file` in a pool worker, with the warnings it raised (category, message):
    the parent re-issues them, so that the caller's warning filters apply (a worker's own
    warnings would go straight to the process's stderr)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        row = _one_file(job)
    return row, [(w.category, str(w.message)) for w in caught]


def batch_clip_features(paths, *, sr=SR, n_jobs=None, stats=("mean", "std"),
                        show_progress=True, chunksize=1, **kwargs):
    """Feature vectors of many files: load, one STFT, all features, pool; parallel over cores.

    Each file is read with :func:`mirbook.io.load_audio` (mono, resampled to ``sr``) and turned
    into one :func:`clip_features` vector; the STFT is computed once per file and the mel, MFCC,
    chroma, spectral statistics and RMS are all derived from it. Files are spread over
    ``n_jobs`` processes (:class:`concurrent.futures.ProcessPoolExecutor`); the order of the
    rows is the order of ``paths``. A :func:`mirbook.utils.progress` bar counts files. BLAS is
    limited to one thread per process while it runs (``threadpoolctl``): the matrices are small
    and the parallelism is over files (on a busy 2-core machine a 2-thread BLAS made the mel
    product 40x slower).

    Parameters
    ----------
    paths : sequence of str or os.PathLike
    sr : int or None
        Target sample rate (None keeps each file's own: then features of files at different
        rates are not comparable).
    n_jobs : int, optional
        Worker processes: None or 1 runs in this process, -1 uses every core
        (``os.cpu_count()``).
    stats, **kwargs
        As :func:`clip_features`.
    show_progress : bool
    chunksize : int
        Files handed to a worker at a time.

    Returns
    -------
    X : np.ndarray, shape (n_files, n_features), float32
        ``n_features = len(feature_names(stats=stats, ...))``.

    Raises
    ------
    FileNotFoundError, mirbook.errors.AudioFileError
        From the first file that cannot be read (the message names it).

    Examples
    --------
    >>> X = batch_clip_features(["a.wav", "b.wav"], sr=22050, n_jobs=2)    # doctest: +SKIP
    >>> X.shape, X.dtype                                                     # doctest: +SKIP
    ((2, 162), dtype('float32'))

    Used in the chapter notebooks ``notebooks/07_speech_music.ipynb`` and
    ``notebooks/10_tagging.ipynb``.

    See Also
    --------
    clip_features
    """
    from mirbook.utils import process_pool, progress

    paths = [os.fspath(p) for p in paths]
    stats = _check_stats(stats)
    if sr is not None:
        sr = check_sr(sr)
    if n_jobs is None:
        n_jobs = 1
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    n_jobs = positive_int(n_jobs, "n_jobs")
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"batch_clip_features: unexpected argument(s) {sorted(unknown)}")
    chunksize = positive_int(chunksize, "chunksize")
    jobs = [(p, sr, stats, kwargs) for p in paths]
    if not jobs:
        n_dims = len(feature_names(n_mfcc=kwargs.get("n_mfcc", 20),
                                   n_chroma=kwargs.get("n_chroma", 12), stats=stats))
        return np.zeros((0, n_dims), dtype=np.float32)
    bar = progress(total=len(jobs), desc="features") if show_progress else _NoBar()
    rows = []
    try:
        if n_jobs == 1 or len(jobs) == 1:
            limits = _single_thread_blas()
            try:
                for job in jobs:
                    rows.append(_one_file(job))
                    bar.update(1)
            finally:
                if limits is not None:
                    limits.restore_original_limits()
        else:
            with process_pool(max_workers=min(n_jobs, len(jobs)),
                              initializer=_single_thread_blas) as ex:
                for row, caught in ex.map(_one_file_in_worker, jobs, chunksize=chunksize):
                    for category, message in caught:
                        warnings.warn(message, category, stacklevel=2)
                    rows.append(row)
                    bar.update(1)
    finally:
        bar.close()
    return np.stack(rows).astype(np.float32, copy=False)
