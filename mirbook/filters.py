"""Filter banks and transform matrices: the mel filterbank and the DCT-II.

librosa's ``filters`` module, for what the chapters teach: :func:`mel_filterbank`
(``librosa.filters.mel``), :func:`dct_matrix` and :func:`dct_ii` (``scipy.fft.dct``, type II).
Agreement is asserted in ``tests/test_filters.py``. Used in the chapter notebook
``notebooks/07_speech_music.ipynb`` (MFCC = DCT of the log-mel spectrogram).

>>> mel_filterbank(sr=22050, n_fft=2048, n_mels=40).shape
(40, 1025)
"""

from __future__ import annotations

import functools

import numpy as np

from mirbook._validate import finite_real, one_of, positive_int
from mirbook.convert import fft_frequencies, mel_frequencies
from mirbook.errors import ParameterError
from mirbook.io import check_sr

__all__ = ["mel_filterbank", "dct_matrix", "dct_ii"]


def mel_filterbank(*, sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney",
                   dtype=np.float64):
    r"""Triangular mel filters, one row per band, to apply to a power spectrogram.

    ``n_mels + 2`` edge frequencies :math:`f_0 < f_1 < \dots < f_{M+1}` are spaced equally in
    mels between ``fmin`` and ``fmax``. Band :math:`m` is a triangle over the STFT bin
    frequencies that rises from 0 at :math:`f_m` to 1 at :math:`f_{m+1}` and falls back to 0 at
    :math:`f_{m+2}`. Filters are narrow at low frequencies and wide at high ones, like the
    ear's critical bands. With ``norm="slaney"`` each triangle is scaled by
    :math:`2 / (f_{m+2} - f_m)` (constant area: equal energy per band for white noise); with a
    number ``norm`` each row is divided by its ``norm``-norm; with ``None`` the peaks are 1.

    Equals ``librosa.filters.mel`` with the same parameters (to 1e-6, asserted in
    ``tests/test_filters.py``).

    Parameters
    ----------
    sr : int
        Sample rate (Hz).
    n_fft : int
        FFT size; the filters have ``1 + n_fft // 2`` columns.
    n_mels : int
        Number of bands.
    fmin, fmax : float
        Frequency range (Hz); ``fmax`` defaults to ``sr / 2``.
    htk : bool
        HTK mel formula instead of Slaney's.
    norm : {"slaney", None} or number
        Row normalisation (see above).
    dtype : np.dtype

    Returns
    -------
    mel_fb : np.ndarray, shape (n_mels, 1 + n_fft // 2), non-negative

    Examples
    --------
    >>> import numpy as np
    >>> fb = mel_filterbank(sr=22050, n_fft=2048, n_mels=40)
    >>> S = np.ones((1025, 3))
    >>> (fb @ S ** 2).shape                                    # a mel spectrogram
    (40, 3)

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    mirbook.features.log_mel, mirbook.features.mfcc
    """
    sr = check_sr(sr)
    n_fft = positive_int(n_fft, "n_fft")
    n_mels = positive_int(n_mels, "n_mels")
    fmin = finite_real(fmin, "fmin", low=0.0)
    fmax = sr / 2.0 if fmax is None else finite_real(fmax, "fmax")
    if not fmin < fmax:
        raise ParameterError(f"fmin={fmin!r}, fmax={fmax!r}: expected 0 <= fmin < fmax")
    if not (norm is None or norm == "slaney" or
            (isinstance(norm, (int, float, np.number)) and not isinstance(norm, bool))):
        raise ParameterError(f"norm={norm!r}: expected 'slaney', None or a number")
    return _mel_fb(sr, n_fft, n_mels, fmin, fmax, bool(htk), norm).astype(dtype)


def _mel_fb(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    fftfreqs = fft_frequencies(sr=sr, n_fft=n_fft)
    mel_f = mel_frequencies(n_mels=n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    if norm == "slaney":
        weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    elif norm is not None:
        if np.isinf(norm):
            length = np.abs(weights).max(axis=1, keepdims=True)
        else:
            length = np.sum(np.abs(weights) ** norm, axis=1, keepdims=True) ** (1.0 / norm)
        weights = weights / np.where(length > 0, length, 1.0)
    return weights


@functools.lru_cache(maxsize=32)
def _mel_fb_cached(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype_str):
    """Read-only cached :func:`mel_filterbank` (the feature extractors call it per clip)."""
    fb = mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk,
                        norm=norm, dtype=np.dtype(dtype_str))
    fb.flags.writeable = False
    return fb


@functools.lru_cache(maxsize=16)
def _dct_matrix(n, n_out, norm):
    k = np.arange(n_out)[:, None]
    j = np.arange(n)[None, :]
    C = np.cos(np.pi * k * (2 * j + 1) / (2.0 * n))
    if norm == "ortho":
        C *= np.sqrt(2.0 / n)
        C[0] *= np.sqrt(0.5)
    else:
        C *= 2.0
    C.flags.writeable = False
    return C


def dct_matrix(n, *, n_out=None, norm="ortho"):
    r"""The DCT-II as a matrix: ``C[k, j] = s_k cos(pi k (2 j + 1) / (2 n))``, ``k < n_out``.

    ``C @ x`` is :func:`dct_ii` of ``x``; with ``norm="ortho"`` the full matrix is orthonormal
    (``C @ C.T = I``). See :func:`dct_ii` for the scale factors ``s_k``.

    Parameters
    ----------
    n : int
        Input length.
    n_out : int, optional
        Number of coefficients (rows), default ``n``.
    norm : {"ortho", None}

    Returns
    -------
    C : np.ndarray, shape (n_out, n), float64

    Examples
    --------
    >>> import numpy as np
    >>> C = dct_matrix(8)
    >>> bool(np.allclose(C @ C.T, np.eye(8)))
    True

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.
    """
    n = positive_int(n, "n")
    n_out = n if n_out is None else positive_int(n_out, "n_out")
    if n_out > n:
        raise ParameterError(f"n_out={n_out} > n={n}")
    one_of(norm, "norm", ("ortho", None))
    return np.array(_dct_matrix(n, n_out, norm))


def dct_ii(X, *, n_mfcc=None, norm="ortho", axis=-2):
    r"""Type-II discrete cosine transform along ``axis``, as a matrix product.

    .. math::

        c[k] = s_k \sum_{n=0}^{N-1} x[n] \cos\frac{\pi k (2n + 1)}{2N},\qquad k < n_{mfcc}

    with :math:`s_0 = \sqrt{1/N}`, :math:`s_k = \sqrt{2/N}` for ``norm="ortho"`` (an orthonormal
    matrix: energy is kept and the inverse is the transpose) and :math:`s_k = 2` for
    ``norm=None`` (scipy's unnormalised convention). The cosines are smooth shapes across the
    mel bands, so the first coefficients describe the spectral envelope (timbre) and discard the
    fine (pitch) structure; the transform also decorrelates the bands, which suits diagonal
    Gaussian models and linear classifiers. Equals ``scipy.fft.dct(X, type=2, norm=norm,
    axis=axis)[:n_mfcc]``.

    Parameters
    ----------
    X : np.ndarray, shape (..., N, ...)
        ``N`` values along ``axis`` (e.g. a log-mel spectrogram, shape (n_mels, n_frames)).
    n_mfcc : int, optional
        Number of coefficients kept (default all ``N``).
    norm : {"ortho", None}
    axis : int

    Returns
    -------
    C : np.ndarray, shape of ``X`` with ``N`` replaced by ``n_mfcc`` on ``axis``

    Examples
    --------
    >>> import numpy as np
    >>> dct_ii(np.ones((4, 1)), n_mfcc=2).round(6).ravel().tolist()    # DC only
    [2.0, 0.0]

    Used in the chapter notebook ``notebooks/07_speech_music.ipynb``.

    See Also
    --------
    mirbook.features.mfcc
    """
    X = np.asarray(X)
    one_of(norm, "norm", ("ortho", None))
    X = np.moveaxis(X, axis, -1)
    n = X.shape[-1]
    n_mfcc = n if n_mfcc is None else positive_int(n_mfcc, "n_mfcc")
    if n_mfcc > n:
        raise ParameterError(f"n_mfcc={n_mfcc} > {n} inputs along axis {axis}")
    C = _dct_matrix(n, n_mfcc, norm)
    dtype = np.result_type(X.dtype, np.float32)
    out = np.matmul(X, C.T.astype(dtype, copy=False))
    return np.moveaxis(out, -1, axis)
