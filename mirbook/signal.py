"""Sampling, aliasing, quantization and the arithmetic of PCM sizes.

The code behind chapter 1 (``notebooks/01_sampling_quantization.ipynb``): a digital signal is a
discrete-time sequence ``x[n]`` sampled at ``sr`` Hz, of finite length, with values quantized on
``n_bits`` bits; a multichannel signal is a ``(C, N)`` matrix.
"""

from __future__ import annotations

import numpy as np

from .io import check_sr


def tone(freq, sr, duration, *, amplitude=1.0, phase=0.0, dtype=np.float64):
    """Sample ``amplitude * sin(2 pi freq t + phase)`` at ``t = n / sr``.

    Parameters
    ----------
    freq : float
        Frequency in Hz (may exceed ``sr / 2``: the samples then alias, see :func:`alias_frequency`).
    sr : int
        Sample rate in Hz.
    duration : float
        Length in seconds; the signal has ``round(duration * sr)`` samples.
    amplitude, phase : float
    dtype : numpy dtype

    Returns
    -------
    y : np.ndarray, shape (round(duration * sr),)

    Examples
    --------
    >>> y = tone(440.0, 8000, 0.01)
    >>> y.shape
    (80,)
    """
    sr = check_sr(sr)
    n = np.arange(int(round(duration * sr)))
    return (amplitude * np.sin(2 * np.pi * freq * n / sr + phase)).astype(dtype)


def alias_frequency(freq, sr):
    """Frequency at which a sinusoid of ``freq`` Hz appears once sampled at ``sr`` Hz.

    Sampling cannot tell ``f`` from ``f + k sr`` (any integer k) nor from ``-f``: the apparent
    frequency is the distance from ``f`` to the nearest multiple of ``sr``, always in
    ``[0, sr / 2]``.

    Parameters
    ----------
    freq : float or np.ndarray
        True frequency (Hz, >= 0).
    sr : int
        Sample rate (Hz).

    Returns
    -------
    f_alias : float or np.ndarray, same shape as ``freq``

    Examples
    --------
    >>> float(alias_frequency(30_000, 44_100))
    14100.0
    """
    sr = check_sr(sr)
    freq = np.asarray(freq, dtype=float)
    out = np.abs(freq - sr * np.round(freq / sr))
    return out if out.ndim else float(out)


def quantize(y, n_bits, *, dither=False, seed=0):
    """Quantize ``y`` (floats in [-1, 1]) to ``n_bits`` signed PCM and back to floats.

    The quantizer is the one WAV and FLAC files use: integer codes
    ``k in [-2**(n_bits-1), 2**(n_bits-1) - 1]`` of step ``2 / 2**n_bits``, rounding to the
    nearest code and clipping at the ends (so +1.0 becomes ``1 - step``).

    Parameters
    ----------
    y : np.ndarray
        Samples in [-1, 1]; any shape.
    n_bits : int
        Bits per sample, 1 to 32.
    dither : bool
        Add triangular (TPDF) dither of +-1 step before rounding: the error becomes noise
        independent of the signal, at the cost of about 4.8 dB of SNR.
    seed : int
        Seed of the dither noise.

    Returns
    -------
    y_q : np.ndarray, same shape as ``y``, float64
        The quantized signal, ``codes * step``.
    """
    n_bits = _check_bits(n_bits)
    y = np.asarray(y, dtype=np.float64)
    step = 2.0 / 2**n_bits
    x = y / step
    if dither:
        rng = np.random.default_rng(seed)
        x = x + rng.uniform(-0.5, 0.5, y.shape) + rng.uniform(-0.5, 0.5, y.shape)
    codes = np.clip(np.round(x), -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1)
    return codes * step


def _check_bits(n_bits):
    if isinstance(n_bits, bool) or int(n_bits) != n_bits or not 1 <= n_bits <= 32:
        raise ValueError(f"n_bits={n_bits!r}: expected a whole number of bits from 1 to 32")
    return int(n_bits)


def snr_db(reference, estimate):
    """Signal-to-noise ratio of ``estimate`` against ``reference``, in dB.

    ``10 log10( sum(reference**2) / sum((reference - estimate)**2) )``; ``inf`` when they are equal.

    Parameters
    ----------
    reference, estimate : np.ndarray, same shape
    """
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if reference.shape != estimate.shape:
        raise ValueError(f"shapes differ: reference {reference.shape}, estimate {estimate.shape}")
    noise = np.sum((reference - estimate) ** 2)
    signal = np.sum(reference**2)
    if signal == 0:
        raise ValueError("reference is all zeros: SNR is undefined")
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(signal / noise))


def theoretical_snr_db(n_bits):
    """The textbook SNR of a full-scale sine quantized on ``n_bits``: ``6.02 n_bits + 1.76`` dB.

    It assumes the error is uniform on one step and independent of the signal, which holds when
    the step is small against the signal (many bits) and fails at a few bits.
    """
    n_bits = np.asarray(n_bits, dtype=float)
    return 20 * np.log10(2.0) * n_bits + 10 * np.log10(1.5)


def full_scale_amplitude(n_bits):
    """Amplitude of a full-scale sine on ``n_bits`` signed PCM: the largest code, ``1 - 2 / 2**n_bits``.

    The positive peak then sits exactly on the top code ``2**(n_bits-1) - 1``: nothing clips. (A sine
    of amplitude 1.0 would clip, since two's complement has one more negative code than positive.)
    """
    return 1.0 - 2.0 / 2 ** _check_bits(n_bits)


def quantization_snr(n_bits, *, freq=997.0, sr=44_100, duration=1.0, amplitude=None, dither=False):
    """Measure the SNR of a full-scale sine quantized on each of ``n_bits``.

    Parameters
    ----------
    n_bits : iterable of int
    freq : float
        Test-tone frequency; 997 Hz is prime to 44.1 kHz, so the error pattern never repeats.
    sr : int
    duration : float
    amplitude : float, optional
        Peak amplitude of the test sine; default :func:`full_scale_amplitude` of each bit depth.
    dither : bool
        See :func:`quantize`.

    Returns
    -------
    rows : list of dict
        One per bit depth: ``n_bits``, ``amplitude``, ``measured_db``, ``theory_db``
        (6.02 b + 1.76) and ``error_db`` (measured - theory).
    """
    unit = tone(freq, sr, duration)
    rows = []
    for b in n_bits:
        a = full_scale_amplitude(b) if amplitude is None else float(amplitude)
        y = a * unit
        measured = snr_db(y, quantize(y, b, dither=dither))
        theory = float(theoretical_snr_db(b))
        rows.append(
            {"n_bits": int(b), "amplitude": a, "measured_db": measured, "theory_db": theory,
             "error_db": measured - theory}
        )
    return rows


def pcm_size_bytes(duration, sr=44_100, n_bits=16, n_channels=2):
    """Size of uncompressed PCM audio in bytes: ``duration * sr * n_channels * n_bits / 8``.

    Parameters
    ----------
    duration : float
        Seconds.
    sr : int
    n_bits : int
    n_channels : int

    Examples
    --------
    >>> pcm_size_bytes(240) / 1e6      # a 4-minute CD-quality track, in MB
    42.336
    """
    sr = check_sr(sr)
    n_bits = _check_bits(n_bits)
    if n_channels < 1 or duration < 0:
        raise ValueError("n_channels must be >= 1 and duration >= 0")
    return duration * sr * n_channels * n_bits / 8


def bitrate_size_bytes(duration, kbps):
    """Size in bytes of a stream at a constant ``kbps`` kilobits per second (1 kbit = 1000 bits)."""
    if kbps <= 0 or duration < 0:
        raise ValueError("kbps must be > 0 and duration >= 0")
    return duration * kbps * 1000 / 8


def pcm_bitrate_kbps(sr=44_100, n_bits=16, n_channels=2):
    """Bit rate of PCM audio in kbit/s (1411.2 for CD audio)."""
    return check_sr(sr) * _check_bits(n_bits) * n_channels / 1000
