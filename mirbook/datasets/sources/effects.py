"""Degradations for the hard test conditions of the ``speech_music`` corpus (chapter 7).

Each function takes a mono float signal ``y`` (shape ``(n,)``) at ``sr`` Hz and returns a float32
signal of the same length, so that a clean and a degraded clip line up sample for sample.

=====================  ==========================================================================
condition              what is done
=====================  ==========================================================================
``mp3_32k``            MP3 at 32 kbit/s (lameenc), decoded back (libsndfile)
``telephone``          8 kHz, 300-3400 Hz band-pass (FFT mask, 100 Hz cosine edges), 8-bit mu-law
``noise``              pink noise added at a stated SNR (dB, ``snr_db`` in the record)
``reverb``             convolution with a synthetic exponential-decay impulse response (RT60 given)
``speech_over_music``  speech mixed over music at a stated speech-to-music ratio (label: speech)
=====================  ==========================================================================
"""

from __future__ import annotations

import io

import numpy as np


def rms(y) -> float:
    """Root-mean-square level of ``y``."""
    y = np.asarray(y, dtype=np.float64)
    return float(np.sqrt(np.mean(y**2))) if y.size else 0.0


def normalize(y, target_dbfs: float = -20.0, peak: float = 0.99):
    """Scale ``y`` to an RMS of ``target_dbfs`` dB full scale, then limit its peak to ``peak``."""
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


def mp3(y, sr, bitrate: int = 32):
    """Encode to MP3 at ``bitrate`` kbit/s with lameenc and decode back with soundfile."""
    import lameenc
    import soundfile as sf

    from mirbook.io import resample

    pcm = (np.clip(np.asarray(y, dtype=np.float64), -1, 1) * 32767).astype("<i2")
    enc = lameenc.Encoder()
    enc.set_bit_rate(int(bitrate))
    enc.set_in_sample_rate(int(sr))
    enc.set_channels(1)
    enc.set_quality(7)
    data = enc.encode(pcm.tobytes()) + enc.flush()
    out, out_sr = sf.read(io.BytesIO(bytes(data)), dtype="float32", always_2d=True)
    out = out.mean(axis=1)
    if out_sr != sr:
        out = resample(out, out_sr, sr)
    # LAME adds an encoder delay (~1105 samples at the output rate plus a decoder offset): find it
    # by cross-correlation on the first second so that the clip stays aligned with the original.
    n = min(len(y), sr)
    lag_max = min(4096, len(out) - n) if len(out) > n else 0
    if lag_max > 0:
        ref = np.asarray(y[:n], dtype=np.float64)
        seg = np.asarray(out[: n + lag_max], dtype=np.float64)
        size = 1 << int(np.ceil(np.log2(len(seg) + n)))
        corr = np.fft.irfft(np.fft.rfft(seg, size) * np.conj(np.fft.rfft(ref, size)), size)
        out = out[int(np.argmax(corr[:lag_max])):]
    return _fit(out, len(y))


def telephone(y, sr, low: float = 300.0, high: float = 3400.0, mu_law: bool = True):
    """Telephone band: down to 8 kHz, band-pass ``low``-``high`` Hz, 8-bit mu-law, back to ``sr``."""
    from mirbook.io import resample

    x = resample(np.asarray(y, dtype=np.float32), sr, 8000).astype(np.float64)
    x = bandpass(x, 8000, low, high)
    if mu_law:
        mu = 255.0
        x = np.clip(x, -1, 1)
        c = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
        c = np.round(c * 127) / 127                       # 8 bits
        x = np.sign(c) * ((1 + mu) ** np.abs(c) - 1) / mu
    return _fit(resample(x.astype(np.float32), 8000, sr), len(y))


def bandpass(x, sr, low, high, edge=100.0):
    """Zero-phase band-pass by an FFT mask: 1 in [low, high] Hz, raised-cosine edges ``edge`` wide."""
    x = np.asarray(x, dtype=np.float64)
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    mask = np.clip((f - (low - edge / 2)) / edge, 0, 1) * np.clip(((high + edge / 2) - f) / edge, 0, 1)
    mask = 0.5 - 0.5 * np.cos(np.pi * mask)
    return np.fft.irfft(np.fft.rfft(x) * mask, len(x))


def pink_noise(n, rng):
    """``n`` samples of pink (1/f power) noise with unit RMS, from ``rng``."""
    white = rng.standard_normal(n)
    spec = np.fft.rfft(white)
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return x / (rms(x) or 1.0)


def add_noise(y, snr_db: float, rng, kind: str = "pink"):
    """Add noise so that signal RMS / noise RMS is ``snr_db`` dB."""
    y = np.asarray(y, dtype=np.float64)
    noise = pink_noise(len(y), rng) if kind == "pink" else rng.standard_normal(len(y))
    noise = noise / (rms(noise) or 1.0) * rms(y) / 10 ** (snr_db / 20)
    return (y + noise).astype(np.float32)


def impulse_response(sr, rt60: float, rng, direct_to_reverb_db: float = 0.0, length=None):
    """A synthetic room: a unit direct path, then noise decaying by 60 dB in ``rt60`` seconds.

    The tail starts 5 ms after the direct path (a crude early reflection gap) and its energy is
    ``direct_to_reverb_db`` dB below the direct sound's.
    """
    length = length or rt60 * 1.2
    n = int(round(length * sr))
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * 10 ** (-3 * t / rt60)        # -60 dB at t = rt60
    tail[: int(0.005 * sr)] = 0.0
    tail *= 10 ** (-direct_to_reverb_db / 20) / (np.sqrt(np.sum(tail**2)) or 1.0)
    h = tail
    h[0] = 1.0
    return h


def reverb(y, sr, rt60: float, rng, direct_to_reverb_db: float = 0.0):
    """Convolve ``y`` with :func:`impulse_response` (same length out, tail cut)."""
    h = impulse_response(sr, rt60, rng, direct_to_reverb_db)
    x = np.asarray(y, dtype=np.float64)
    n = len(x) + len(h) - 1
    wet = np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(h, n), n)
    return _fit(wet[: len(y)], len(y))


def mix(foreground, background, ratio_db: float):
    """``foreground`` plus ``background`` scaled to be ``ratio_db`` dB below it (by RMS)."""
    fg = np.asarray(foreground, dtype=np.float64)
    bg = _fit(background, len(fg)).astype(np.float64)
    rb = rms(bg)
    if rb > 0:
        bg = bg * (rms(fg) / rb) / 10 ** (ratio_db / 20)
    return (fg + bg).astype(np.float32)
