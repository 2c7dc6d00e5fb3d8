"""Sampling, aliasing, quantization and the arithmetic of PCM sizes.

The code behind chapter 1 (``notebooks/01_sampling_quantization.ipynb``): a digital signal is a
discrete-time sequence ``x[n]`` sampled at ``sr`` Hz, of finite length, with values quantized on
``n_bits`` bits; a multichannel signal is a ``(C, N)`` matrix.
"""

from __future__ import annotations

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError
from mirbook.io import check_sr

__all__ = ["tone", "alias_frequency", "quantize", "snr_db", "theoretical_snr_db",
           "full_scale_amplitude", "quantization_snr", "pcm_size_bytes", "bitrate_size_bytes",
           "pcm_bitrate_kbps"]


def tone(frequency, *, sr, duration, amplitude=1.0, phase=0.0, dtype=np.float64):
    """Sample ``amplitude * sin(2 pi frequency t + phase)`` at ``t = n / sr``.

    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    frequency : float
        Frequency in Hz (may exceed ``sr / 2``: the samples then alias, see
        :func:`alias_frequency`).
    sr : int
        Sample rate in Hz.
    duration : float
        Length in seconds (>= 0); the signal has ``round(duration * sr)`` samples.
    amplitude, phase : float
    dtype : numpy dtype

    Returns
    -------
    y : np.ndarray, shape (round(duration * sr),)

    Examples
    --------
    >>> y = tone(440.0, sr=8000, duration=0.01)
    >>> y.shape
    (80,)
    """
    sr = check_sr(sr)
    frequency = _validate.finite_real(frequency, "frequency")
    duration = _validate.finite_real(duration, "duration", low=0)
    amplitude = _validate.finite_real(amplitude, "amplitude")
    phase = _validate.finite_real(phase, "phase")
    n = np.arange(int(round(duration * sr)))
    return (amplitude * np.sin(2 * np.pi * frequency * n / sr + phase)).astype(dtype)


def alias_frequency(frequencies, *, sr):
    """Frequency at which a sinusoid of ``frequencies`` Hz appears once sampled at ``sr`` Hz.

    Sampling cannot tell ``f`` from ``f + k sr`` (any integer k) nor from ``-f``: the apparent
    frequency is the distance from ``f`` to the nearest multiple of ``sr``, always in
    ``[0, sr / 2]``. Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    frequencies : float or np.ndarray, shape (...)
        True frequencies (Hz, >= 0).
    sr : int
        Sample rate (Hz).

    Returns
    -------
    f_alias : float or np.ndarray, shape (...)
        A float for a scalar input.

    Examples
    --------
    >>> alias_frequency(30_000, sr=44_100)
    14100.0
    >>> alias_frequency([1000, 5000, 9000], sr=8000).tolist()
    [1000.0, 3000.0, 1000.0]
    """
    sr = check_sr(sr)
    freq = _validate.real_array(np.asarray(frequencies, dtype=float), "frequencies", nonneg=True,
                                allow_empty=True)
    out = np.abs(freq - sr * np.round(freq / sr))
    return out if out.ndim else float(out)


def _check_bits(n_bits, name="n_bits"):
    n_bits = _validate.positive_int(n_bits, name)
    if n_bits > 32:
        raise ParameterError(f"{name}={n_bits!r}: expected a whole number of bits from 1 to 32")
    return n_bits


def quantize(y, *, n_bits, dither=False, random_state=0):
    """Quantize ``y`` (floats in [-1, 1]) to ``n_bits`` signed PCM and back to floats.

    The quantizer is the one WAV and FLAC files use: integer codes
    ``k in [-2**(n_bits-1), 2**(n_bits-1) - 1]`` of step ``2 / 2**n_bits``, rounding to the
    nearest code and clipping at the ends (so +1.0 becomes ``1 - step``).
    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    y : np.ndarray, shape (...)
        Samples in [-1, 1]; any shape.
    n_bits : int
        Bits per sample, 1 to 32.
    dither : bool
        Add triangular (TPDF) dither of +-1 step before rounding: the error becomes noise
        independent of the signal, at the cost of about 4.8 dB of SNR.
    random_state : None, int or np.random.Generator
        Randomness of the dither noise (default 0: reproducible).

    Returns
    -------
    y_q : np.ndarray, shape (...), float64
        The quantized signal, ``codes * step``.

    Examples
    --------
    >>> quantize(np.array([-1.0, 0.2, 0.3, 1.0]), n_bits=2).tolist()   # step 0.5, codes -2..1
    [-1.0, 0.0, 0.5, 0.5]
    """
    n_bits = _check_bits(n_bits)
    y = _validate.real_array(y, "y", allow_empty=True).astype(np.float64)
    rng = _validate.random_state(random_state) if dither else None
    step = 2.0 / 2**n_bits
    x = y / step
    if dither:
        x = x + rng.uniform(-0.5, 0.5, y.shape) + rng.uniform(-0.5, 0.5, y.shape)
    codes = np.clip(np.round(x), -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1)
    return codes * step


def snr_db(reference, estimate):
    """Signal-to-noise ratio of ``estimate`` against ``reference``, in dB.

    ``10 log10( sum(reference**2) / sum((reference - estimate)**2) )``; ``inf`` when they are
    equal. Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    reference, estimate : np.ndarray, shape (...), the same shape

    Returns
    -------
    snr : float

    Examples
    --------
    >>> x = np.ones(100)
    >>> snr_db(x, 0.9 * x)
    20.0
    """
    reference = _validate.real_array(reference, "reference").astype(np.float64)
    estimate = _validate.real_array(estimate, "estimate").astype(np.float64)
    if reference.shape != estimate.shape:
        raise ParameterError(f"estimate: shapes differ: reference {reference.shape}, "
                             f"estimate {estimate.shape}")
    noise = np.sum((reference - estimate) ** 2)
    signal = np.sum(reference**2)
    if signal == 0:
        raise ParameterError("reference: all zeros, the SNR is undefined")
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(signal / noise))


def theoretical_snr_db(*, n_bits):
    """The textbook SNR of a full-scale sine quantized on ``n_bits``: ``6.02 n_bits + 1.76`` dB.

    It assumes the error is uniform on one step and independent of the signal, which holds when
    the step is small against the signal (many bits) and fails at a few bits.
    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    n_bits : float or np.ndarray, shape (...)

    Returns
    -------
    snr : float or np.ndarray, shape (...)
        In dB.

    Examples
    --------
    >>> round(float(theoretical_snr_db(n_bits=16)), 2)
    98.09
    """
    n_bits = _validate.real_array(np.asarray(n_bits, dtype=float), "n_bits", positive=True)
    return 20 * np.log10(2.0) * n_bits + 10 * np.log10(1.5)


def full_scale_amplitude(*, n_bits):
    """Amplitude of a full-scale sine on ``n_bits`` signed PCM: the largest code, ``1 - 2 / 2**n_bits``.

    The positive peak then sits exactly on the top code ``2**(n_bits-1) - 1``: nothing clips.
    (A sine of amplitude 1.0 would clip, since two's complement has one more negative code than
    positive.) Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    n_bits : int
        1 to 32.

    Returns
    -------
    amplitude : float

    Examples
    --------
    >>> full_scale_amplitude(n_bits=2)
    0.5
    """
    return 1.0 - 2.0 / 2 ** _check_bits(n_bits)


def quantization_snr(*, n_bits, frequency=997.0, sr=44_100, duration=1.0, amplitude=None,
                     dither=False):
    """Measure the SNR of a full-scale sine quantized on each of ``n_bits``.

    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    n_bits : iterable of int
    frequency : float
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

    Examples
    --------
    >>> row = quantization_snr(n_bits=[16], duration=0.1)[0]
    >>> abs(row["error_db"]) < 0.5
    True
    """
    bits = [_check_bits(b) for b in (n_bits if np.iterable(n_bits) else [n_bits])]
    if amplitude is not None:
        amplitude = _validate.finite_real(amplitude, "amplitude")
    unit = tone(frequency, sr=sr, duration=duration)
    rows = []
    for b in bits:
        a = full_scale_amplitude(n_bits=b) if amplitude is None else amplitude
        y = a * unit
        measured = snr_db(y, quantize(y, n_bits=b, dither=dither))
        theory = float(theoretical_snr_db(n_bits=b))
        rows.append(
            {"n_bits": int(b), "amplitude": a, "measured_db": measured, "theory_db": theory,
             "error_db": measured - theory}
        )
    return rows


def pcm_size_bytes(*, duration, sr=44_100, n_bits=16, n_channels=2):
    """Size of uncompressed PCM audio in bytes: ``duration * sr * n_channels * n_bits / 8``.

    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    duration : float
        Seconds (>= 0).
    sr : int
    n_bits : int
    n_channels : int

    Returns
    -------
    size : float
        Bytes.

    Examples
    --------
    >>> pcm_size_bytes(duration=240) / 1e6      # a 4-minute CD-quality track, in MB
    42.336
    """
    sr = check_sr(sr)
    n_bits = _check_bits(n_bits)
    n_channels = _validate.positive_int(n_channels, "n_channels")
    duration = _validate.finite_real(duration, "duration", low=0)
    return duration * sr * n_channels * n_bits / 8


def bitrate_size_bytes(*, duration, kbps):
    """Size in bytes of a stream at a constant ``kbps`` kilobits per second (1 kbit = 1000 bits).

    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    duration : float
        Seconds (>= 0).
    kbps : float
        > 0.

    Returns
    -------
    size : float
        Bytes.

    Examples
    --------
    >>> bitrate_size_bytes(duration=240, kbps=128) / 1e6      # the same track as an MP3
    3.84
    """
    duration = _validate.finite_real(duration, "duration", low=0)
    kbps = _validate.finite_real(kbps, "kbps", low=0, low_open=True)
    return duration * kbps * 1000 / 8


def pcm_bitrate_kbps(*, sr=44_100, n_bits=16, n_channels=2):
    """Bit rate of PCM audio in kbit/s (1411.2 for CD audio).

    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.

    Parameters
    ----------
    sr : int
    n_bits : int
    n_channels : int

    Returns
    -------
    kbps : float

    Examples
    --------
    >>> pcm_bitrate_kbps()
    1411.2
    """
    n_channels = _validate.positive_int(n_channels, "n_channels")
    return check_sr(sr) * _check_bits(n_bits) * n_channels / 1000
