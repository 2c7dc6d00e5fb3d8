"""Degradations: level, codec, telephone band, noise, reverberation and mixing.

The hard test conditions of the ``speech_music`` corpus and of the speech/music chapter
(``notebooks/07_speech_music.ipynb``). Each function takes a mono float signal ``y`` (shape
``(n,)``) at ``sr`` Hz and returns a float32 signal of the same length, so that a clean and a
degraded clip line up sample for sample.

=====================  ==========================================================================
condition              what is done
=====================  ==========================================================================
``mp3_32k``            MP3 at 32 kbit/s, decoded back and re-aligned (:func:`mirbook.codecs.roundtrip`)
``telephone``          8 kHz, 300-3400 Hz band-pass (FFT mask, 100 Hz cosine edges), 8-bit mu-law
``noise``              pink noise added at a stated SNR (dB, ``snr_db`` in the record)
``reverb``             convolution with a synthetic exponential-decay impulse response (RT60 given)
``speech_over_music``  speech mixed over music at a stated speech-to-music ratio (label: speech)
=====================  ==========================================================================

Randomness is ``random_state`` (``None``, an int seed or a :class:`numpy.random.Generator`, used as
is so that a caller's generator advances).
"""

from __future__ import annotations

import numpy as np

from mirbook import _validate as V
from mirbook.config import SR

__all__ = ["RENDER_VERSION", "rms", "normalize", "mp3", "telephone", "bandpass", "pink_noise",
           "add_noise", "impulse_response", "reverb", "mix"]

#: Version of what this module computes: bump it when a change alters the output, and every
#: corpus that lists ``"mirbook.effects"`` in its ``RENDERERS`` is rendered again.
#: 2: :func:`mp3` is :func:`mirbook.codecs.roundtrip` (LAME quality 2, delay searched over the
#: whole clip) instead of a private round trip (quality 7, delay from the first second).
RENDER_VERSION = 2


def _mono(y, name="y"):
    y = V.real_array(y, name)
    if y.ndim != 1:
        from mirbook.errors import ParameterError

        raise ParameterError(f"{name}: shape {y.shape}, expected a mono signal (n,)")
    return y


def rms(y) -> float:
    """Root-mean-square level of ``y`` (0 for an empty signal).

    Examples
    --------
    >>> rms([3.0, -3.0])
    3.0
    """
    y = np.asarray(y, dtype=np.float64)
    return float(np.sqrt(np.mean(y**2))) if y.size else 0.0


def normalize(y, *, target_dbfs: float = -20.0, peak: float = 0.99):
    """Scale ``y`` to an RMS of ``target_dbfs`` dB full scale, then limit its peak to ``peak``.

    Examples
    --------
    >>> z = normalize(np.full(100, 0.5), target_dbfs=-20.0)
    >>> round(float(20 * np.log10(rms(z))), 6)
    -20.0
    """
    V.finite_real(target_dbfs, "target_dbfs")
    V.finite_real(peak, "peak", low=0.0, low_open=True)
    y = np.asarray(y, dtype=np.float64)
    r = rms(y)
    if r > 0:
        y = y * (10 ** (target_dbfs / 20) / r)
    m = np.abs(y).max() if y.size else 0.0
    if m > peak:
        y = y * (peak / m)
    return y.astype(np.float32)


def _fit(y, n):
    y = np.asarray(y, dtype=np.float32)
    return y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))


def mp3(y, *, sr=SR, bitrate: int = 32):
    """MP3 at ``bitrate`` kbit/s and back, aligned with ``y`` (:func:`mirbook.codecs.roundtrip`).

    Examples
    --------
    >>> y = 0.1 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> mp3(y, sr=22050, bitrate=32).shape
    (22050,)
    """
    from mirbook.codecs import roundtrip

    y = _mono(y)
    V.positive_int(bitrate, "bitrate")
    return _fit(roundtrip(y, sr=sr, codec="mp3", bitrate=int(bitrate)), len(y))


def telephone(y, *, sr=SR, low: float = 300.0, high: float = 3400.0, mu_law: bool = True):
    """Telephone band: down to 8 kHz, band-pass ``low``-``high`` Hz, 8-bit mu-law, back to ``sr``.

    Examples
    --------
    >>> telephone(np.zeros(22050), sr=22050).shape
    (22050,)
    """
    from mirbook.io import resample

    y = _mono(y)
    x = resample(np.asarray(y, dtype=np.float32), orig_sr=sr, target_sr=8000).astype(np.float64)
    x = bandpass(x, sr=8000, low=low, high=high)
    if mu_law:
        mu = 255.0
        x = np.clip(x, -1, 1)
        c = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
        c = np.round(c * 127) / 127                       # 8 bits
        x = np.sign(c) * ((1 + mu) ** np.abs(c) - 1) / mu
    return _fit(resample(x.astype(np.float32), orig_sr=8000, target_sr=sr), len(y))


def bandpass(x, *, sr=SR, low, high, edge=100.0):
    """Zero-phase band-pass by an FFT mask: 1 in [low, high] Hz, raised-cosine edges ``edge`` wide.

    Examples
    --------
    >>> t = np.arange(8000) / 8000
    >>> z = bandpass(np.sin(2 * np.pi * 50 * t), sr=8000, low=300, high=3400)
    >>> bool(np.abs(z).max() < 1e-6)
    True
    """
    V.finite_real(low, "low", low=0.0)
    V.finite_real(high, "high", low=0.0)
    if not high > low:
        from mirbook.errors import ParameterError

        raise ParameterError(f"low={low!r}, high={high!r}: expected low < high")
    x = np.asarray(x, dtype=np.float64)
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    mask = np.clip((f - (low - edge / 2)) / edge, 0, 1) * np.clip(((high + edge / 2) - f) / edge, 0, 1)
    mask = 0.5 - 0.5 * np.cos(np.pi * mask)
    return np.fft.irfft(np.fft.rfft(x) * mask, len(x))


def pink_noise(n, *, random_state=None):
    """``n`` samples of pink (1/f power) noise with unit RMS.

    Examples
    --------
    >>> round(rms(pink_noise(1000, random_state=0)), 6)
    1.0
    """
    n = V.positive_int(n, "n")
    rng = V.random_state(random_state)
    white = rng.standard_normal(n)
    spec = np.fft.rfft(white)
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return x / (rms(x) or 1.0)


def add_noise(y, *, snr_db: float, random_state=None, kind: str = "pink"):
    """Add noise so that signal RMS / noise RMS is ``snr_db`` dB.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    snr_db : float
    random_state : None, int or np.random.Generator
    kind : {"pink", "white"}

    Examples
    --------
    >>> y = np.sin(np.arange(2000) / 5.0)
    >>> z = add_noise(y, snr_db=10.0, random_state=0)
    >>> round(float(20 * np.log10(rms(y) / rms(z - y))), 3)
    10.0
    """
    y = _mono(y).astype(np.float64)
    V.finite_real(snr_db, "snr_db")
    V.one_of(kind, "kind", ("pink", "white"))
    rng = V.random_state(random_state)
    noise = pink_noise(len(y), random_state=rng) if kind == "pink" else rng.standard_normal(len(y))
    noise = noise / (rms(noise) or 1.0) * rms(y) / 10 ** (snr_db / 20)
    return (y + noise).astype(np.float32)


def impulse_response(*, sr=SR, rt60: float, random_state=None, direct_to_reverb_db: float = 0.0,
                     length=None):
    """A synthetic room: a unit direct path, then noise decaying by 60 dB in ``rt60`` seconds.

    The tail starts 5 ms after the direct path (a crude early reflection gap) and its energy is
    ``direct_to_reverb_db`` dB below the direct sound's.

    Examples
    --------
    >>> h = impulse_response(sr=8000, rt60=0.5, random_state=0)
    >>> len(h), float(h[0])
    (4800, 1.0)
    """
    V.finite_real(rt60, "rt60", low=0.0, low_open=True)
    rng = V.random_state(random_state)
    length = length or rt60 * 1.2
    n = int(round(length * sr))
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * 10 ** (-3 * t / rt60)        # -60 dB at t = rt60
    tail[: int(0.005 * sr)] = 0.0
    tail *= 10 ** (-direct_to_reverb_db / 20) / (np.sqrt(np.sum(tail**2)) or 1.0)
    h = tail
    h[0] = 1.0
    return h


def reverb(y, *, sr=SR, rt60: float, random_state=None, direct_to_reverb_db: float = 0.0):
    """Convolve ``y`` with :func:`impulse_response` (same length out, tail cut).

    Examples
    --------
    >>> reverb(np.ones(800), sr=8000, rt60=0.3, random_state=0).shape
    (800,)
    """
    y = _mono(y)
    h = impulse_response(sr=sr, rt60=rt60, random_state=random_state,
                         direct_to_reverb_db=direct_to_reverb_db)
    x = np.asarray(y, dtype=np.float64)
    n = len(x) + len(h) - 1
    wet = np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(h, n), n)
    return _fit(wet[: len(y)], len(y))


def mix(foreground, background, *, ratio_db: float):
    """``foreground`` plus ``background`` scaled to be ``ratio_db`` dB below it (by RMS).

    The background is cut or zero-padded to the foreground's length.

    Examples
    --------
    >>> fg, bg = np.ones(4), -np.ones(8)
    >>> mix(fg, bg, ratio_db=0.0).tolist()
    [0.0, 0.0, 0.0, 0.0]
    """
    V.finite_real(ratio_db, "ratio_db")
    fg = _mono(foreground, "foreground").astype(np.float64)
    bg = _fit(_mono(background, "background"), len(fg)).astype(np.float64)
    rb = rms(bg)
    if rb > 0:
        bg = bg * (rms(fg) / rb) / 10 ** (ratio_db / 20)
    return (fg + bg).astype(np.float32)
