"""The few figure helpers the chapters share (matplotlib; librosa.display for spectrograms).

Each returns the ``Axes`` it drew on, so a notebook can add titles or annotations.
"""

from __future__ import annotations

import numpy as np


def _axes(ax, figsize=(8, 3)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def sampled(t_cont, y_cont, t_samples, y_samples, *, ax=None, label_cont="x(t)",
            label_samples="x[n]", color="C0"):
    """Draw a "continuous" signal as a line and its samples as stems.

    Parameters
    ----------
    t_cont, y_cont : np.ndarray, shape (m,)
        Densely sampled stand-in for the continuous signal.
    t_samples, y_samples : np.ndarray, shape (n,)
        Sampling instants (s) and sample values.

    Used in chapter 1 (``notebooks/01_sampling_quantization.ipynb``).
    """
    ax = _axes(ax)
    ax.plot(t_cont * 1e3, y_cont, color=color, lw=1, alpha=0.6, label=label_cont)
    markers, stems, base = ax.stem(t_samples * 1e3, y_samples, label=label_samples)
    markers.set_color(color)
    stems.set_color(color)
    base.set_visible(False)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("amplitude")
    return ax


def spectrogram(y, sr, *, n_fft=1024, hop_length=256, ax=None, fmax=None, title=None,
                vmin_db=-80):
    """Log-magnitude spectrogram (dB, relative to the maximum) with time and Hz axes.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr : int
    n_fft, hop_length : int
    fmax : float, optional
        Top of the frequency axis (Hz).
    vmin_db : float
        Floor of the colour scale, in dB below the maximum.
    """
    import librosa
    import librosa.display

    ax = _axes(ax)
    S = np.abs(librosa.stft(np.asarray(y, dtype=np.float32), n_fft=n_fft, hop_length=hop_length))
    S_db = librosa.amplitude_to_db(S, ref=np.max, top_db=-vmin_db)
    img = librosa.display.specshow(S_db, sr=sr, hop_length=hop_length, x_axis="time",
                                   y_axis="hz", ax=ax, vmin=vmin_db, vmax=0, cmap="magma")
    if fmax:
        ax.set_ylim(0, fmax)
    if title:
        ax.set_title(title)
    ax.figure.colorbar(img, ax=ax, format="%+2.0f dB")
    return ax


def snr_vs_bits(rows, *, ax=None):
    """Measured SNR against the 6.02 b + 1.76 dB rule (rows from
    :func:`mirbook.signal.quantization_snr`)."""
    ax = _axes(ax, figsize=(7, 3.5))
    bits = [r["n_bits"] for r in rows]
    ax.plot(bits, [r["theory_db"] for r in rows], "k--", lw=1, label="6.02 b + 1.76 dB")
    ax.plot(bits, [r["measured_db"] for r in rows], "o", color="C3", label="measured")
    ax.set_xlabel("bits per sample b")
    ax.set_ylabel("SNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
