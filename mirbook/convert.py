"""Unit conversions: Hz and mels, STFT bin frequencies, MIDI numbers and note names.

librosa's ``convert`` module, for what the chapters use: :func:`hz_to_mel` / :func:`mel_to_hz`
(``librosa.hz_to_mel`` / ``librosa.mel_to_hz``, Slaney or HTK), :func:`mel_frequencies`
(``librosa.mel_frequencies``), :func:`fft_frequencies` (``librosa.fft_frequencies``),
:func:`midi_to_hz` / :func:`hz_to_midi` (equal temperament, A4 = 440 Hz) and
:func:`midi_to_note` (scientific pitch names with sharps). Agreement with librosa is asserted in
``tests/test_convert.py``. Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

>>> float(mel_to_hz(hz_to_mel(440.0)))
440.0
"""

from __future__ import annotations

import math

import numpy as np

from mirbook._validate import finite_real, positive_int
from mirbook.config import SR
from mirbook.errors import ParameterError

__all__ = ["hz_to_mel", "mel_to_hz", "mel_frequencies", "fft_frequencies", "midi_to_hz",
           "hz_to_midi", "midi_to_note", "PITCH_CLASSES"]

#: Pitch-class names with sharps, C first (the order of chroma rows).
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

_F_SP = 200.0 / 3                       # Slaney: 66.67 Hz per mel below 1 kHz
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP      # 15 mels
_LOGSTEP = math.log(6.4) / 27.0         # above 1 kHz: 27 mels per factor 6.4 in frequency


def hz_to_mel(frequencies, *, htk=False):
    """Hz to mels: HTK ``2595 log10(1 + f / 700)`` or Slaney (linear below 1 kHz, log above).

    Same formulas as ``librosa.hz_to_mel``.

    Parameters
    ----------
    frequencies : float or np.ndarray, shape (...)
        Frequencies in Hz.
    htk : bool
        HTK's formula instead of Slaney's.

    Returns
    -------
    mels : np.ndarray, shape (...) (same as ``frequencies``)

    Examples
    --------
    >>> round(float(hz_to_mel(1000.0)), 6), round(float(hz_to_mel(1000.0, htk=True)), 2)
    (15.0, 999.99)

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    f = np.asanyarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    mels = f / _F_SP
    return np.where(f >= _MIN_LOG_HZ,
                    _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP,
                    mels)


def mel_to_hz(mels, *, htk=False):
    """Mels to Hz, the inverse of :func:`hz_to_mel` (``librosa.mel_to_hz``).

    Parameters
    ----------
    mels : float or np.ndarray, shape (...)
    htk : bool

    Returns
    -------
    frequencies : np.ndarray, shape (...) (same as ``mels``), Hz

    Examples
    --------
    >>> round(float(mel_to_hz(15.0)), 6)
    1000.0

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    m = np.asanyarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)),
                    _F_SP * m)


def mel_frequencies(*, n_mels=128, fmin=0.0, fmax=11025.0, htk=False):
    """``n_mels`` frequencies (Hz) equally spaced on the mel scale from ``fmin`` to ``fmax``.

    ``librosa.mel_frequencies``; the edges of the triangles of
    :func:`mirbook.filters.mel_filterbank`.

    Parameters
    ----------
    n_mels : int
    fmin, fmax : float
        Hz.
    htk : bool

    Returns
    -------
    freqs : np.ndarray, shape (n_mels,), float64

    Examples
    --------
    >>> mel_frequencies(n_mels=3, fmax=2000.0).round(1).tolist()
    [0.0, 836.1, 2000.0]

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    n_mels = positive_int(n_mels, "n_mels")
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return mel_to_hz(mels, htk=htk)


def fft_frequencies(*, sr=SR, n_fft=2048):
    """Centre frequency (Hz) of each STFT bin: ``k * sr / n_fft`` for ``k = 0 .. n_fft // 2``.

    ``librosa.fft_frequencies``.

    Parameters
    ----------
    sr : int
    n_fft : int

    Returns
    -------
    freqs : np.ndarray, shape (1 + n_fft // 2,), float64

    Examples
    --------
    >>> fft_frequencies(sr=8000, n_fft=8).tolist()
    [0.0, 1000.0, 2000.0, 3000.0, 4000.0]

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    sr = finite_real(sr, "sr", low=0.0, low_open=True)
    n_fft = positive_int(n_fft, "n_fft")
    return np.fft.rfftfreq(n_fft, 1.0 / sr)


def midi_to_hz(midi):
    """Equal-tempered frequency (A4 = MIDI 69 = 440 Hz) of MIDI pitch number(s).

    ``librosa.midi_to_hz``: ``440 * 2 ** ((midi - 69) / 12)``.

    Parameters
    ----------
    midi : float or np.ndarray, shape (...)

    Returns
    -------
    frequencies : np.ndarray, shape (...), Hz

    Examples
    --------
    >>> float(midi_to_hz(69)), round(float(midi_to_hz(60)), 3)
    (440.0, 261.626)

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def hz_to_midi(frequencies):
    """MIDI pitch number (fractional) of frequencies in Hz, the inverse of :func:`midi_to_hz`.

    Parameters
    ----------
    frequencies : float or np.ndarray, shape (...), > 0

    Returns
    -------
    midi : np.ndarray, shape (...)

    Examples
    --------
    >>> float(hz_to_midi(440.0))
    69.0

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    f = np.asarray(frequencies, dtype=np.float64)
    if np.any(~(f > 0)):
        raise ParameterError("frequencies: expected positive values in Hz")
    return 69.0 + 12.0 * np.log2(f / 440.0)


def midi_to_note(midi):
    """Scientific pitch name of a MIDI number, with sharps (``60 -> "C4"``, ``21 -> "A0"``).

    Parameters
    ----------
    midi : int

    Returns
    -------
    name : str

    Examples
    --------
    >>> midi_to_note(60), midi_to_note(21), midi_to_note(70)
    ('C4', 'A0', 'A#4')

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    if isinstance(midi, bool) or not isinstance(midi, (int, np.integer)):
        raise ParameterError(f"midi={midi!r}: expected an integer MIDI number")
    midi = int(midi)
    return f"{PITCH_CLASSES[midi % 12]}{midi // 12 - 1}"
