"""Time-frequency transforms: STFT, ISTFT, phase retrieval, constant-Q transform, chroma.

The code behind chapter 5 (``notebooks/05_stft.ipynb``: STFT, ISTFT, overlap-add, phase,
Griffin-Lim, the filter-bank and Gabor views) and chapter 6 (``notebooks/06_cqt.ipynb``: the
constant-Q transform, log-frequency spectrograms, chroma).

Everything here is written from the lecture's formulas and tested against librosa
(``tests/test_transforms.py``); what the chapters do not teach comes from librosa itself
(windows via :func:`librosa.filters.get_window`, decibels via :func:`librosa.amplitude_to_db`,
magnitude and power are ``np.abs(S)`` and ``np.abs(S) ** 2``).

Conventions (librosa's): audio ``y`` has shape ``(n,)`` or ``(..., n)`` (channels first); a
spectrogram has shape ``(..., n_freqs, n_frames)``; parameters are called ``n_fft, hop_length,
win_length, window, center, n_bins, bins_per_octave, fmin``.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.fft
import scipy.signal
import scipy.sparse

from mirbook._validate import positive_int
from mirbook.errors import AudioFileError, ParameterError
from mirbook.io import validate_audio

__all__ = [
    "stft",
    "istft",
    "window_sumsquare",
    "nola_ok",
    "cola_ok",
    "phase_reconstruction",
    "griffin_lim",
    "spectral_convergence",
    "instantaneous_frequency",
    "gabor_window",
    "filter_bank_view",
    "cqt_frequencies",
    "cqt_kernels",
    "cqt",
    "log_frequency_matrix",
    "log_frequency_spectrogram",
    "cq_to_chroma_matrix",
    "chroma_from_cqt",
    "peaks_resolved",
    "phase_prediction_error",
    "per_bin_agreement",
]

#: Pad modes accepted by :func:`stft` when ``center=True`` (those of librosa.stft, via np.pad).
PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric", "empty")

#: Frames per block in the blocked FFT loops (keeps temporaries in cache).
_BLOCK_BYTES = 2**20

#: C1, the default lowest CQT frequency (Hz), as in librosa.
C1_HZ = 440.0 * 2.0 ** ((24 - 69) / 12)


# --------------------------------------------------------------------------------------------
# Parameter checking
# --------------------------------------------------------------------------------------------


def _stft_params(n_fft, hop_length, win_length):
    """Check and fill in (n_fft, hop_length, win_length) the way librosa does."""
    n_fft = positive_int(n_fft, "n_fft")
    if win_length is None:
        win_length = n_fft
    win_length = positive_int(win_length, "win_length")
    if win_length > n_fft:
        raise ParameterError(f"win_length={win_length} must be <= n_fft={n_fft}")
    if hop_length is None:
        hop_length = max(1, win_length // 4)
    hop_length = positive_int(hop_length, "hop_length")
    return n_fft, hop_length, win_length


def _check_float_audio(y, *, name="y", sr=None, n_fft=None):
    """Validate audio of shape (..., n) with :func:`mirbook.io.validate_audio`; return float32/64.

    ``validate_audio`` knows (n,) and (C, n); extra leading axes (librosa's ``(..., n)``) are
    flattened into channels for the check only.
    """
    y = np.asarray(y)
    if y.ndim == 0:
        raise AudioFileError(name, "expected an array of samples, got a scalar")
    flat = y.reshape(-1, y.shape[-1]) if y.ndim > 2 else y
    validate_audio(flat, sr=sr, name=name, n_fft=n_fft)
    if not np.issubdtype(y.dtype, np.floating):
        raise AudioFileError(
            name,
            f"samples must be float32 or float64 in [-1, 1], got dtype {y.dtype} "
            "(divide integer PCM by 2**(bits-1) first)",
        )
    if y.dtype not in (np.float32, np.float64):
        y = y.astype(np.float32)
    return y


def _check_spectrogram(S, name, *, complex_ok=True, real_ok=True):
    S = np.asarray(S)
    if S.ndim < 2:
        raise ParameterError(f"{name}: expected shape (..., n_freqs, n_frames), got {S.shape}")
    if S.size == 0:
        raise ParameterError(f"{name}: empty spectrogram, shape {S.shape}")
    is_complex = np.iscomplexobj(S)
    if is_complex and not complex_ok:
        raise ParameterError(f"{name}: expected a real magnitude spectrogram, got complex (use np.abs)")
    if not is_complex and not real_ok:
        raise ParameterError(f"{name}: expected a complex STFT, got dtype {S.dtype}")
    if not np.all(np.isfinite(S)):
        raise ParameterError(f"{name}: contains NaN or Inf")
    return S


def _window(window, win_length, n_fft, dtype=np.float64):
    """The analysis window (periodic, librosa.filters.get_window), zero-padded to n_fft, centred."""
    import librosa

    if isinstance(window, np.ndarray) and window.shape[-1] != win_length:
        raise ParameterError(
            f"window: an explicit window must have win_length={win_length} samples, "
            f"got {window.shape}"
        )
    w = np.asarray(librosa.filters.get_window(window, win_length, fftbins=True), dtype=np.float64)
    if n_fft > win_length:
        lpad = (n_fft - win_length) // 2
        w = np.pad(w, (lpad, n_fft - win_length - lpad))
    return w.astype(dtype)


def _complex_dtype(real_dtype):
    return np.complex64 if np.dtype(real_dtype) == np.float32 else np.complex128


def _real_dtype(complex_dtype):
    return np.float32 if np.dtype(complex_dtype) == np.complex64 else np.float64


# --------------------------------------------------------------------------------------------
# STFT
# --------------------------------------------------------------------------------------------


def _frames(y, frame_length, hop_length):
    """Strided view of ``y`` (..., n) as frames (..., n_frames, frame_length); no copy."""
    view = np.lib.stride_tricks.sliding_window_view(y, frame_length, axis=-1)
    return view[..., ::hop_length, :]


def _stft(y, n_fft, hop_length, w, center, pad_mode):
    """The STFT with checked parameters; ``w`` is the n_fft-long window in y's dtype."""
    if center:
        pad = [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        y = np.pad(y, pad, mode=pad_mode)
    lead = y.shape[:-1]
    y2 = y.reshape(-1, y.shape[-1])
    frames = _frames(y2, n_fft, hop_length)  # (C, T, n_fft)
    n_ch, n_frames = frames.shape[0], frames.shape[1]
    out = np.empty((n_ch, n_frames, 1 + n_fft // 2), dtype=_complex_dtype(y.dtype))
    block = max(1, _BLOCK_BYTES // (n_fft * y.itemsize))
    buf = np.empty((min(block, n_frames), n_fft), dtype=y.dtype)
    for c in range(n_ch):
        for s in range(0, n_frames, block):
            e = min(s + block, n_frames)
            np.multiply(frames[c, s:e], w, out=buf[: e - s])
            out[c, s:e] = scipy.fft.rfft(buf[: e - s], axis=-1)
    # (C, T, F) -> (..., F, T): a transposed view, frequency-contiguous like librosa's output
    return out.reshape(lead + (n_frames, 1 + n_fft // 2)).swapaxes(-1, -2)


def stft(y, *, n_fft=2048, hop_length=None, win_length=None, window="hann", center=True,
         pad_mode="constant"):
    r"""Short-time Fourier transform, straight from the lecture's formula.

    .. math::

        X[k, p] = \sum_{n=0}^{N-1} w[n]\, x[n + p H]\, e^{-2 i \pi n k / N},
        \qquad k = 0, \dots, N/2,

    with ``N = n_fft`` and ``H = hop_length``: frame ``p`` is the ``N`` samples starting at
    ``p H``, multiplied by the window and Fourier-transformed; the columns are stacked into a
    matrix. Only ``k <= N/2`` is kept: for a real signal ``X[N - k] = conj(X[k])``.

    **Sign convention.** The lecture writes ``x[n - p Δn]``; with frames that move *forward* in
    time by ``H`` samples per column that index is ``x[n + p H]`` (the lecture's form is the
    same sum with the frame index counted backwards, ``p -> -p``). The phase of ``X[k, p]`` is
    measured from the *start* of frame ``p`` (``n = 0``), as in librosa, not from time 0.

    With ``center=True`` the signal is first padded with ``n_fft // 2`` samples on each side
    (``pad_mode``), so that frame ``p`` is centred on sample ``p * hop_length``.

    Computation: the frames are a strided view of the (padded) signal (no copy), windowed and
    transformed with a real FFT (``scipy.fft.rfft``, the same pocketfft as ``np.fft.rfft`` with
    a native float32 path) block by block. Equals :func:`librosa.stft` with the same parameters:
    ``max|X - X_librosa| / max|X_librosa| < 1e-5`` for float32 input, ``< 1e-12`` for float64
    (asserted in ``tests/test_transforms.py``).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (..., n), float32 or float64
        The signal; leading axes (channels) are transformed independently.
    n_fft : int > 0
        FFT size ``N`` (samples per frame).
    hop_length : int > 0, optional
        Hop ``H`` between frames. Default ``win_length // 4``.
    win_length : int, 0 < win_length <= n_fft, optional
        Window length; the window is zero-padded (centred) to ``n_fft``. Default ``n_fft``.
    window : str, tuple, float, callable or np.ndarray, shape (win_length,)
        Window specification (see :func:`librosa.filters.get_window`, periodic windows);
        e.g. ``"hann"``, ``"boxcar"``, or an array from :func:`gabor_window`.
    center : bool
        Pad so that frames are centred on ``p * hop_length``.
    pad_mode : str
        Padding when ``center=True``: one of :data:`PAD_MODES` (``np.pad`` modes).

    Returns
    -------
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), complex64 (float32 input) or
        complex128 (float64 input)
        ``n_frames = 1 + n // hop_length`` when centred, ``1 + (n - n_fft) // hop_length``
        otherwise.

    Raises
    ------
    ValueError
        ``n_fft``, ``hop_length`` or ``win_length`` not a positive integer, ``win_length >
        n_fft``, unknown ``pad_mode``.
    mirbook.io.AudioFileError
        (a ValueError) Empty signal, NaN/Inf, non-float samples, or **fewer than n_fft samples**.
        This is stricter than librosa, which with ``center=True`` only warns and zero-pads a
        short signal: a spectrum of a frame that is mostly padding is rarely what a reader
        wants (and a warning would break the book build). Pad explicitly
        (``librosa.util.fix_length(y, size=n_fft)``) if you do want it.

    Examples
    --------
    >>> import numpy as np
    >>> from mirbook.signal import tone
    >>> y = tone(440.0, sr=22050, duration=1.0, dtype=np.float32)
    >>> S = stft(y, n_fft=2048, hop_length=512)
    >>> S.shape, S.dtype
    ((1025, 44), dtype('complex64'))
    >>> int(np.abs(S[:, 10]).argmax())       # 440 Hz / (22050 / 2048) = 40.9 -> bin 41
    41

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    istft, librosa.stft
    """
    n_fft, hop_length, win_length = _stft_params(n_fft, hop_length, win_length)
    if pad_mode not in PAD_MODES:
        raise ParameterError(f"pad_mode={pad_mode!r}: expected one of {PAD_MODES}")
    y = _check_float_audio(y, name="y", n_fft=n_fft)
    w = _window(window, win_length, n_fft, dtype=y.dtype)
    return _stft(y, n_fft, hop_length, w, bool(center), pad_mode)


# --------------------------------------------------------------------------------------------
# ISTFT, window sums, NOLA / COLA
# --------------------------------------------------------------------------------------------


def _overlap_add(out, frames, hop_length, start=0):
    """``out[..., start + t*hop + n] += frames[..., t, n]``, vectorised.

    Split each frame into ``R = ceil(n_fft / hop)`` chunks of ``hop`` samples: chunk ``r`` of
    frame ``t`` lands at ``(t + r) * hop``, so for fixed ``r`` all frames add into one
    contiguous run of ``T * hop`` samples, viewed as (T, hop). R vector additions in all.
    """
    n_frames, n_fft = frames.shape[-2], frames.shape[-1]
    for r in range(-(-n_fft // hop_length)):
        a = r * hop_length
        width = min(hop_length, n_fft - a)
        seg = out[..., start + a: start + a + n_frames * hop_length]
        seg = seg.reshape(seg.shape[:-1] + (n_frames, hop_length))
        seg[..., :width] += frames[..., :, a: a + width]


def _ola_length(n_fft, hop_length, n_frames):
    """Buffer length :func:`_overlap_add` needs (>= n_fft + hop (T - 1), whole chunks)."""
    return (-(-n_fft // hop_length) + n_frames - 1) * hop_length


def window_sumsquare(*, window="hann", n_frames, hop_length=512, win_length=None, n_fft=2048,
                     dtype=np.float32):
    r"""Sum of the squared, shifted windows: ``wss[n] = sum_p w[n - p H]**2``.

    The normaliser of the least-squares ISTFT (:func:`istft`); equal to
    :func:`librosa.filters.window_sumsquare` (without its ``norm`` option).

    Parameters
    ----------
    window : window specification
        As in :func:`stft`.
    n_frames : int > 0
    hop_length : int > 0
    win_length : int <= n_fft, optional
    n_fft : int > 0
    dtype : numpy dtype

    Returns
    -------
    wss : np.ndarray, shape (n_fft + hop_length * (n_frames - 1),)

    Examples
    --------
    >>> wss = window_sumsquare(n_frames=8, hop_length=512, n_fft=2048)
    >>> bool(np.allclose(wss[2048:3584], 1.5))   # hann**2 at 75 % overlap sums to 1.5
    True

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    nola_ok
    """
    n_fft, hop_length, win_length = _stft_params(n_fft, hop_length, win_length)
    n_frames = positive_int(n_frames, "n_frames")
    w2 = _window(window, win_length, n_fft) ** 2
    out = np.zeros(_ola_length(n_fft, hop_length, n_frames), dtype=np.float64)
    _overlap_add(out, np.broadcast_to(w2, (n_frames, n_fft)), hop_length)
    return out[: n_fft + hop_length * (n_frames - 1)].astype(dtype)


def _folded(w, hop_length):
    """``sum_r w[r*hop + m]`` for m < hop: the steady-state overlap-add of ``w``."""
    R = -(-w.size // hop_length)
    return np.pad(w, (0, R * hop_length - w.size)).reshape(R, hop_length).sum(axis=0)


def nola_ok(*, window="hann", n_fft=2048, hop_length=512, win_length=None, tol=1e-10):
    r"""Does the window satisfy NOLA (nonzero overlap-add) at this hop?

    NOLA: ``sum_p w[n - p H]**2 > 0`` for every ``n`` (away from the signal edges). It is the
    condition for the least-squares ISTFT to recover *every* sample: :func:`istft` computes

    .. math:: \hat x[n] = \frac{\sum_p w[n - pH]\, y_p[n - pH]}{\sum_p w[n - pH]^2},

    and when ``y_p`` are the frames of an unmodified STFT (``y_p[m] = w[m] x[m + pH]``) the
    numerator is ``x[n] sum_p w[n - pH]**2``: reconstruction is perfect exactly where the
    denominator is nonzero. Same test as :func:`scipy.signal.check_NOLA`.

    Parameters
    ----------
    window : window specification
    n_fft, hop_length : int > 0
    win_length : int <= n_fft, optional
    tol : float
        A window sum ``<= tol`` counts as zero.

    Returns
    -------
    ok : bool

    Examples
    --------
    >>> nola_ok(window="hann", n_fft=2048, hop_length=512)
    True
    >>> nola_ok(window="boxcar", n_fft=2048, hop_length=1024, win_length=512)   # gaps
    False

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    cola_ok, window_sumsquare
    """
    n_fft, hop_length, win_length = _stft_params(n_fft, hop_length, win_length)
    return bool(np.all(_folded(_window(window, win_length, n_fft) ** 2, hop_length) > tol))


def cola_ok(*, window="hann", n_fft=2048, hop_length=512, win_length=None, squared=False,
            rtol=1e-10):
    """Does the window satisfy COLA (constant overlap-add) at this hop?

    COLA: ``sum_p w[n - p H]`` is the same for every ``n``. Then plain overlap-add of the
    windowed frames (no division) gives back ``x`` times a constant. With ``squared=True`` the
    test is on ``w**2`` (the analysis-times-synthesis window of the ISTFT): when it holds the
    ISTFT normaliser is a constant. The least-squares :func:`istft` divides by the actual sum,
    so it only needs :func:`nola_ok`.

    Parameters
    ----------
    window : window specification
    n_fft, hop_length : int > 0
    win_length : int <= n_fft, optional
    squared : bool
    rtol : float
        Allowed relative spread ``(max - min) / mean`` of the sum.

    Returns
    -------
    ok : bool

    Examples
    --------
    >>> cola_ok(n_fft=1024, hop_length=512), cola_ok(n_fft=1024, hop_length=384)
    (True, False)

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    nola_ok
    """
    n_fft, hop_length, win_length = _stft_params(n_fft, hop_length, win_length)
    w = _window(window, win_length, n_fft)
    f = _folded(w**2 if squared else w, hop_length)
    return bool(f.mean() > 0 and (f.max() - f.min()) <= rtol * f.mean())


def _istft(S, n_fft, hop_length, w, center, length):
    """Least-squares ISTFT with checked parameters; ``w`` float64 window of n_fft samples."""
    rdtype = _real_dtype(S.dtype)
    n_frames = S.shape[-1]
    lead = S.shape[:-2]
    S2 = S.reshape((-1,) + S.shape[-2:])
    full = n_fft + hop_length * (n_frames - 1)
    alloc = _ola_length(n_fft, hop_length, n_frames)
    y = np.zeros((S2.shape[0], alloc), dtype=rdtype)
    wr = w.astype(rdtype)
    block = max(1, _BLOCK_BYTES // (n_fft * np.dtype(rdtype).itemsize))
    for c in range(S2.shape[0]):
        for s in range(0, n_frames, block):
            e = min(s + block, n_frames)
            frames = scipy.fft.irfft(S2[c, :, s:e], n=n_fft, axis=0).T  # (B, n_fft)
            frames *= wr
            _overlap_add(y[c], frames, hop_length, start=s * hop_length)
    wss = np.zeros(alloc, dtype=np.float64)
    _overlap_add(wss, np.broadcast_to(w**2, (n_frames, n_fft)), hop_length)
    wss = wss[:full].astype(rdtype)
    y = y[:, :full]
    nz = wss > np.finfo(rdtype).tiny
    y[:, nz] /= wss[nz]
    start = n_fft // 2 if center else 0
    if length is None:
        stop = full - (n_fft // 2 if center else 0)
        y = y[:, start:stop]
    else:
        y = y[:, start: start + length]
        if y.shape[-1] < length:
            y = np.pad(y, [(0, 0), (0, length - y.shape[-1])])
    return y.reshape(lead + (y.shape[-1],))


def istft(S, *, hop_length=None, win_length=None, n_fft=None, window="hann", center=True,
          length=None):
    r"""Inverse STFT by weighted overlap-add (least squares, Griffin & Lim 1984).

    Each column is inverse-FFT'd into a frame ``y_p``, multiplied by the window again, added at
    its place, and every sample is divided by the sum of the squared windows covering it:

    .. math:: \hat x[n] = \frac{\sum_p w[n - pH]\, y_p[n - pH]}{\sum_p w[n - pH]^2}.

    This is the signal whose STFT is closest (least squares) to ``S`` -- also when ``S`` is
    not the STFT of any signal (a modified spectrogram). For an unmodified STFT the
    reconstruction is perfect wherever the window sum is nonzero (NOLA, see :func:`nola_ok`);
    samples where it is zero cannot be recovered and are returned as 0, with a
    ``RuntimeWarning`` when the window/hop pair fails NOLA. With ``center=False`` and a window
    that vanishes at its ends (``hann``) the very first/last samples are such samples.

    Equals :func:`librosa.istft` with the same parameters (tested), and
    ``istft(stft(y))`` gives back ``y`` with an SNR above 100 dB (float64) / 60 dB (float32).

    Parameters
    ----------
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), complex
    hop_length : int > 0, optional
        Default ``win_length // 4``.
    win_length : int <= n_fft, optional
        Default ``n_fft``.
    n_fft : int, optional
        Default ``2 * (S.shape[-2] - 1)``; give it for an odd ``n_fft``.
    window : window specification
        The analysis window used by :func:`stft`.
    center : bool
        ``S`` came from centred frames (the padding is trimmed off).
    length : int > 0, optional
        Trim or zero-pad the output to exactly this many samples (use the input's length to
        get it back exactly).

    Returns
    -------
    y : np.ndarray, shape (..., n), float32 for complex64 input, float64 for complex128
        ``n = length`` if given, else ``hop_length * (n_frames - 1)`` (+ ``n_fft - 2 (n_fft // 2)``)
        when centred, ``n_fft + hop_length * (n_frames - 1)`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(22050)
    >>> y_hat = istft(stft(y), length=y.size)
    >>> float(np.max(np.abs(y - y_hat))) < 1e-10
    True

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    stft, nola_ok, librosa.istft
    """
    S = _check_spectrogram(S, "S", real_ok=False)
    if S.dtype not in (np.complex64, np.complex128):
        S = S.astype(np.complex128)
    if n_fft is None:
        n_fft = 2 * (S.shape[-2] - 1)
    n_fft, hop_length, win_length = _stft_params(n_fft, hop_length, win_length)
    if S.shape[-2] != 1 + n_fft // 2:
        raise ParameterError(
            f"S has {S.shape[-2]} frequency rows but n_fft={n_fft} needs {1 + n_fft // 2}"
        )
    if length is not None:
        length = positive_int(length, "length")
    if not nola_ok(window=window, n_fft=n_fft, hop_length=hop_length, win_length=win_length):
        warnings.warn(
            f"NOLA fails for window={window!r}, n_fft={n_fft}, win_length={win_length}, "
            f"hop_length={hop_length}: samples no window covers cannot be recovered (returned "
            "as 0)",
            RuntimeWarning,
            stacklevel=2,
        )
    w = _window(window, win_length, n_fft)
    return _istft(S, n_fft, hop_length, w, bool(center), length)


# --------------------------------------------------------------------------------------------
# Phase
# --------------------------------------------------------------------------------------------


def spectral_convergence(reference, estimate):
    r"""Spectral convergence ``||S - S_est||_F / ||S||_F`` of two magnitude spectrograms.

    The usual measure of a phase-retrieval result: ``reference`` is the target magnitude ``S``
    and ``estimate`` the magnitude ``S_est`` of the STFT of the reconstructed signal, ``np.abs(stft(x_hat))``. 0 is a
    perfect match. Complex inputs are reduced to their magnitude.

    Parameters
    ----------
    reference, estimate : np.ndarray, same shape (..., n_freqs, n_frames)

    Returns
    -------
    sc : float

    Examples
    --------
    >>> S = np.ones((3, 4))
    >>> spectral_convergence(S, 0.5 * S)
    0.5
    """
    S_target = np.abs(_check_spectrogram(reference, "reference")).astype(np.float64)
    S_est = np.abs(_check_spectrogram(estimate, "estimate")).astype(np.float64)
    if S_target.shape != S_est.shape:
        raise ParameterError(f"shapes differ: reference {S_target.shape}, estimate {S_est.shape}")
    ref = np.linalg.norm(S_target)
    if ref == 0:
        raise ParameterError("reference is all zeros: spectral convergence is undefined")
    return float(np.linalg.norm(S_target - S_est) / ref)


def _check_magnitude(S_mag):
    S_mag = _check_spectrogram(S_mag, "S_mag", complex_ok=False)
    if np.any(S_mag < 0):
        raise ParameterError("S_mag: a magnitude spectrogram must be >= 0")
    if S_mag.dtype not in (np.float32, np.float64):
        S_mag = S_mag.astype(np.float64)
    return S_mag


def _rng_phases(shape, random_state):
    """Random phases in [0, 2 pi), drawn exactly as librosa.griffinlim does."""
    if random_state is None:
        rng = np.random.default_rng()
    elif isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        rng = np.random.RandomState(seed=int(random_state))
    elif isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        rng = random_state
    else:
        raise ParameterError(f"random_state={random_state!r}: expected None, an int or a generator")
    return 2 * np.pi * rng.random(size=shape)


def phase_reconstruction(S, *, phase="zero", reference=None, hop_length=None,
                         win_length=None, n_fft=None, window="hann", center=True, length=None,
                         random_state=0):
    """Invert a magnitude spectrogram with a given phase: true, zero or random.

    The chapter's experiment "the phase looks random but is not": the same magnitude ``S``
    with the true phase gives back the signal; with zero or random phase it sounds rough and
    smeared.

    Parameters
    ----------
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), real >= 0
    phase : {"true", "zero", "random"} or np.ndarray
        ``"true"``: the phase of ``reference`` (a complex STFT); ``"zero"``: all phases 0;
        ``"random"``: uniform in [0, 2 pi) (seeded by ``random_state``, drawn as
        :func:`librosa.griffinlim` does); an array: phase angles in radians, same shape.
    reference : np.ndarray, complex, optional
        The complex STFT whose phase ``phase="true"`` uses.
    hop_length, win_length, n_fft, window, center, length
        As in :func:`istft`.
    random_state : int, np.random.Generator or None

    Returns
    -------
    y : np.ndarray, shape (..., n)

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(8192)
    >>> S = stft(y, n_fft=512)
    >>> y_true = phase_reconstruction(np.abs(S), phase="true", reference=S, n_fft=512, length=y.size)
    >>> bool(np.allclose(y, y_true))
    True

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    griffin_lim
    """
    S = _check_magnitude(S)
    if isinstance(phase, str):
        if phase == "true":
            if reference is None:
                raise ParameterError('phase="true" needs reference=, the complex STFT to take it from')
            reference = _check_spectrogram(reference, "reference", real_ok=False)
            if reference.shape != S.shape:
                raise ParameterError(
                    f"reference has shape {reference.shape}, S has {S.shape}"
                )
            angles = np.angle(reference)
        elif phase == "zero":
            angles = np.zeros(S.shape)
        elif phase == "random":
            angles = _rng_phases(S.shape, random_state)
        else:
            raise ParameterError(f'phase={phase!r}: expected "true", "zero", "random" or an array')
    else:
        angles = np.asarray(phase, dtype=np.float64)
        if angles.shape != S.shape:
            raise ParameterError(f"phase has shape {angles.shape}, S has {S.shape}")
    D = (S * np.exp(1j * angles)).astype(_complex_dtype(S.dtype))
    return istft(D, hop_length=hop_length, win_length=win_length, n_fft=n_fft, window=window,
                 center=center, length=length)


def griffin_lim(S, *, n_iter=32, hop_length=None, win_length=None, n_fft=None,
                window="hann", center=True, length=None, pad_mode="constant", momentum=0.0,
                init="random", random_state=0, return_info=False):
    r"""Griffin-Lim phase retrieval: a signal whose STFT magnitude is close to ``S``.

    Alternate projections (Griffin & Lim 1984): start from a phase estimate, then repeat

    1. ``x = istft(S * exp(i phase))`` -- the signal closest to the current estimate;
    2. ``X = stft(x)`` -- its (consistent) STFT;
    3. ``phase = angle(X)`` -- keep the phase, put the target magnitude back.

    Each iteration can only lower the inconsistency ``|| |X| - S ||`` (the spectral
    convergence, :func:`spectral_convergence`). ``momentum > 0`` is the *fast* Griffin-Lim of
    Perraudin, Balazs & Søndergaard (2013): step 3 uses ``X - momentum / (1 + momentum) *
    X_prev``; ``momentum=0.99`` is librosa's default and converges much faster, but is not
    guaranteed monotone. Here the default is the classic algorithm (``momentum=0``).

    With the same ``init``, ``random_state``, ``n_iter`` and ``momentum`` this is the same
    algorithm as :func:`librosa.griffinlim` (same random phases too); the tests check that the
    spectral convergence of both results agree within 0.005.

    Parameters
    ----------
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), real >= 0
    n_iter : int >= 0
    hop_length, win_length, n_fft, window, center, length, pad_mode
        As in :func:`stft` / :func:`istft`.
    momentum : float >= 0
        0: classic Griffin-Lim; 0.99: librosa's fast Griffin-Lim.
    init : {"random", "zero"} or np.ndarray
        Initial phase: random (as librosa), all-zero (librosa's ``init=None``), or an array of
        phase angles in radians.
    random_state : int, np.random.Generator or None
        Seed of the random initial phase.
    return_info : bool
        Also return ``{"convergence": sc}``, the spectral convergence after each iteration.

    Returns
    -------
    y : np.ndarray, shape (..., n)
    info : dict, only if ``return_info``
        ``convergence``: np.ndarray, shape (n_iter + 1,); ``sc[i]``: spectral convergence of the signal after ``i`` iterations (``sc[0]``: the
        initial phase; ``sc[-1]``: the returned ``y``). For multichannel input, over all
        channels together.

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(8192)
    >>> S = np.abs(stft(y, n_fft=512))
    >>> y_hat, info = griffin_lim(S, n_iter=16, n_fft=512, return_info=True)
    >>> sc = info["convergence"]
    >>> bool(sc[-1] < sc[0])
    True

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    phase_reconstruction, spectral_convergence, librosa.griffinlim
    """
    S = _check_magnitude(S)
    if n_fft is None:
        n_fft = 2 * (S.shape[-2] - 1)
    n_fft, hop_length, win_length = _stft_params(n_fft, hop_length, win_length)
    if S.shape[-2] != 1 + n_fft // 2:
        raise ParameterError(
            f"S has {S.shape[-2]} frequency rows but n_fft={n_fft} needs {1 + n_fft // 2}"
        )
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 0:
        raise ParameterError(f"n_iter={n_iter!r}: expected an integer >= 0")
    if not np.isfinite(momentum) or momentum < 0:
        raise ParameterError(f"momentum={momentum!r}: must be >= 0")
    if pad_mode not in PAD_MODES:
        raise ParameterError(f"pad_mode={pad_mode!r}: expected one of {PAD_MODES}")
    if length is not None:
        length = positive_int(length, "length")
    if not nola_ok(window=window, n_fft=n_fft, hop_length=hop_length, win_length=win_length):
        raise ParameterError(
            f"window={window!r}, n_fft={n_fft}, hop_length={hop_length} fail NOLA: the ISTFT "
            "cannot be inverted, Griffin-Lim cannot work"
        )
    cdtype = _complex_dtype(S.dtype)
    rdtype = _real_dtype(cdtype)
    if isinstance(init, str) and init == "random":
        angles = np.exp(1j * _rng_phases(S.shape, random_state)).astype(cdtype)
    elif init is None or (isinstance(init, str) and init == "zero"):
        angles = np.ones(S.shape, dtype=cdtype)
    elif isinstance(init, np.ndarray):
        if init.shape != S.shape:
            raise ParameterError(f"init has shape {init.shape}, S has {S.shape}")
        angles = np.exp(1j * init).astype(cdtype)
    else:
        raise ParameterError(f'init={init!r}: expected "random", "zero" or an array of phases')

    w = _window(window, win_length, n_fft)
    w_r = w.astype(rdtype)
    eps = np.finfo(rdtype).tiny
    S_norm = np.linalg.norm(S.astype(np.float64))
    sc = []
    angles *= S
    tprev = None
    for _ in range(int(n_iter)):
        inverse = _istft(angles, n_fft, hop_length, w, center, length)
        rebuilt = _stft(inverse, n_fft, hop_length, w_r, center, pad_mode)
        if rebuilt.shape != S.shape:
            raise ParameterError(
                f"the STFT of the reconstruction has shape {rebuilt.shape}, S has "
                f"{S.shape}: check hop_length, center and length"
            )
        if return_info:
            sc.append(np.linalg.norm(np.abs(rebuilt) - S) / S_norm)
        angles = rebuilt.copy() if tprev is None else rebuilt - (momentum / (1 + momentum)) * tprev
        angles /= np.abs(angles) + eps
        angles *= S
        tprev = rebuilt
    y = _istft(angles, n_fft, hop_length, w, center, length)
    if not return_info:
        return y
    final = _stft(y, n_fft, hop_length, w_r, center, pad_mode)
    sc.append(np.linalg.norm(np.abs(final) - S) / S_norm)
    return y, {"convergence": np.asarray(sc, dtype=np.float64)}


def instantaneous_frequency(y, *, sr, n_fft=2048, hop_length=None, win_length=None,
                            window="hann", center=True):
    r"""Instantaneous frequency of every STFT bin, from the phase advance between frames.

    The phase of a sinusoid of frequency ``f`` advances by ``2 pi f H / sr`` from one frame to
    the next. Bin ``k`` alone would advance by ``2 pi k H / n_fft``; the deviation,
    wrapped to ``(-pi, pi]``, gives the offset of the true frequency from the bin centre:

    .. math::

        f_{k,p} = \left(\frac{k}{N} + \frac{\operatorname{princarg}(\varphi_{k,p} -
        \varphi_{k,p-1} - 2\pi k H / N)}{2 \pi H}\right) \mathit{sr}.

    (The phase-vocoder view of the phase: it is not random.) It is unambiguous for
    frequencies within ``sr / (2 H)`` of the bin centre, i.e. for a hop of at most ``n_fft /
    4`` around the main lobe of a hann window.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (..., n)
    sr : int
    n_fft, hop_length, win_length, window, center
        As in :func:`stft`.

    Returns
    -------
    freqs : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), float64
        Instantaneous frequency in Hz; frame ``p`` uses frames ``p - 1`` and ``p``; frame 0
        (no previous frame) holds the bin centre frequencies.
    mags : np.ndarray, shape (..., 1 + n_fft // 2, n_frames)
        ``np.abs(stft(y))``, to weight or mask ``freqs`` (the estimate is meaningless in
        bins without energy).

    Examples
    --------
    >>> from mirbook.signal import tone
    >>> freqs, mags = instantaneous_frequency(tone(441.3, sr=22050, duration=1.0), sr=22050,
    ...                                       hop_length=256)
    >>> k = int(mags[:, 20].argmax())
    >>> round(float(freqs[k, 20]), 1)
    441.3

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    stft, librosa.reassigned_spectrogram
    """
    n_fft, hop_length, win_length = _stft_params(n_fft, hop_length, win_length)
    y = _check_float_audio(y, name="y", sr=sr, n_fft=n_fft)
    S = stft(y, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
             center=center)
    k = np.arange(1 + n_fft // 2)[:, None]
    phi = np.angle(S).astype(np.float64)
    dphi = np.diff(phi, axis=-1) - 2 * np.pi * k * hop_length / n_fft
    dphi = np.mod(dphi + np.pi, 2 * np.pi) - np.pi
    freqs = np.empty(S.shape, dtype=np.float64)
    freqs[..., :, 0] = k[:, 0] * sr / n_fft
    freqs[..., :, 1:] = (k / n_fft + dphi / (2 * np.pi * hop_length)) * sr
    return freqs, np.abs(S)


# --------------------------------------------------------------------------------------------
# Interpretations: Gabor transform, filter bank
# --------------------------------------------------------------------------------------------


def gabor_window(*, n_fft, sigma):
    r"""Gaussian window ``w[n] = exp(-(n - N/2)**2 / (2 sigma**2))``, ``n = 0..N-1``.

    With this window the STFT is a (sampled) Gabor transform: the Gaussian is the window of
    minimal time-frequency spread (equality in the uncertainty principle), its Fourier
    transform is again a Gaussian, of standard deviation ``n_fft / (2 pi sigma)`` bins.
    Periodic like the other STFT windows (equal to
    ``scipy.signal.windows.gaussian(n_fft, sigma, sym=False)``); pass it as ``window=`` to
    :func:`stft` (with ``win_length=n_fft``). Note it is not exactly 0 at the frame edges:
    keep ``sigma`` below about ``n_fft / 6``.

    Parameters
    ----------
    n_fft : int > 0
    sigma : float > 0
        Standard deviation in samples.

    Returns
    -------
    w : np.ndarray, shape (n_fft,), float64, peak 1 at ``n_fft // 2``

    Examples
    --------
    >>> w = gabor_window(n_fft=1024, sigma=128.0)
    >>> w.shape, float(w[512])
    ((1024,), 1.0)

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    filter_bank_view
    """
    n_fft = positive_int(n_fft, "n_fft")
    if not np.isscalar(sigma) or not np.isfinite(sigma) or sigma <= 0:
        raise ParameterError(f"sigma={sigma!r}: expected a positive number of samples")
    n = np.arange(n_fft) - n_fft / 2
    return np.exp(-0.5 * (n / sigma) ** 2)


def filter_bank_view(*, n_fft, window="hann", win_length=None, sr=None, bins=None,
                     oversample=8):
    r"""The STFT as a bank of ``1 + n_fft // 2`` band-pass filters: their frequency responses.

    Row ``k`` of the STFT is the signal filtered by ``h_k[m] = w[-m] e^{2 i pi k m / N}`` (the
    window modulated to bin ``k``) and sampled every hop: ``X[k, p] = (x * h_k)[p H]``. Its
    frequency response is the window's spectrum shifted to the bin centre,
    ``|H_k(f)| = |W(f - k sr / N)|``: the bins are equally spaced band-pass filters of equal
    bandwidth (the STFT's linear frequency scale).

    Parameters
    ----------
    n_fft : int > 0
    window : window specification
    win_length : int <= n_fft, optional
    sr : int, optional
        Sample rate: frequencies in Hz; without it, in cycles per sample (0 to 0.5).
    bins : sequence of int, optional
        Which filters (STFT rows) to return; default all ``1 + n_fft // 2``. Memory is
        ``len(bins) * oversample * n_fft / 2`` floats: ask for a few bins when ``n_fft`` is big.
    oversample : int > 0
        Frequency grid density: ``oversample * n_fft`` points around the circle.

    Returns
    -------
    freqs : np.ndarray, shape (oversample * n_fft // 2 + 1,)
    H : np.ndarray, shape (len(bins), oversample * n_fft // 2 + 1), float64
        ``|H_k(f)|`` (linear; a unit-amplitude complex exponential at ``f`` gives
        ``|X[k, p]| = H[k, f]``). Peak ``sum(w)`` at the bin centre.

    Examples
    --------
    >>> freqs, H = filter_bank_view(n_fft=16, sr=16000, bins=[2, 3])
    >>> H.shape, float(freqs[H[0].argmax()])
    ((2, 65), 2000.0)

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.

    See Also
    --------
    stft, gabor_window
    """
    n_fft, _, win_length = _stft_params(n_fft, None, win_length)
    oversample = positive_int(oversample, "oversample")
    n_bins = 1 + n_fft // 2
    bins = np.arange(n_bins) if bins is None else np.asarray(bins, dtype=int).ravel()
    if bins.size == 0 or bins.min() < 0 or bins.max() >= n_bins:
        raise ParameterError(f"bins: expected indices in [0, {n_bins - 1}]")
    M = oversample * n_fft
    W = np.abs(np.fft.fft(_window(window, win_length, n_fft), n=M))
    j = np.arange(M // 2 + 1)
    H = W[np.mod(bins[:, None] * oversample - j[None, :], M)]
    freqs = j / M * (sr if sr is not None else 1.0)
    return freqs, H


# --------------------------------------------------------------------------------------------
# Constant-Q transform
# --------------------------------------------------------------------------------------------


def cqt_frequencies(*, n_bins, fmin=None, bins_per_octave=12):
    """Centre frequencies of the CQT bins: ``f_k = fmin * 2**(k / bins_per_octave)``.

    Equal to :func:`librosa.cqt_frequencies` (at ``tuning=0``).

    Parameters
    ----------
    n_bins : int > 0
    fmin : float > 0, optional
        Frequency of bin 0 in Hz; default C1 (32.70 Hz).
    bins_per_octave : int > 0

    Returns
    -------
    freqs : np.ndarray, shape (n_bins,)

    Examples
    --------
    >>> cqt_frequencies(n_bins=3, fmin=440.0, bins_per_octave=12).round(2)
    array([440.  , 466.16, 493.88])

    Used in the chapter notebook ``notebooks/06_cqt.ipynb``.

    See Also
    --------
    cqt
    """
    n_bins = positive_int(n_bins, "n_bins")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    fmin = _check_fmin(fmin)
    return fmin * 2.0 ** (np.arange(n_bins) / bins_per_octave)


def _check_fmin(fmin):
    if fmin is None:
        return C1_HZ
    if isinstance(fmin, bool) or not np.isscalar(fmin) or not np.isfinite(fmin) or fmin <= 0:
        raise ParameterError(f"fmin={fmin!r}: expected a positive frequency in Hz")
    return float(fmin)


def _q_factor(bins_per_octave, filter_scale):
    if not np.isscalar(filter_scale) or not np.isfinite(filter_scale) or filter_scale <= 0:
        raise ParameterError(f"filter_scale={filter_scale!r}: must be > 0")
    return float(filter_scale) / (2.0 ** (1.0 / bins_per_octave) - 1.0)


def cqt_kernels(*, sr, freqs, bins_per_octave=12, filter_scale=1, window="hann",
                sparsity=0.01, dtype=np.complex64):
    r"""Spectral kernels of the constant-Q filters (Brown & Puckette 1992).

    Bin ``k`` (centre frequency ``f_k``) correlates the signal with the kernel

    .. math::

        a_k[n] = \frac{w_k[n]}{\sum_m w_k[m]}\, e^{2 i \pi f_k n / \mathit{sr}},
        \qquad |n| < N_k / 2, \qquad N_k = Q\, \mathit{sr} / f_k,

    with ``Q = filter_scale / (2**(1/bins_per_octave) - 1)``: every filter spans the same
    number ``Q`` of periods of its frequency, so the bandwidth is a constant fraction of the
    frequency (constant Q) -- long windows in the bass, short in the treble. The kernel is
    centred in an FFT frame of ``n_fft`` samples (the next power of two >= the longest
    ``N_k``); by Parseval, ``sum_n x[n] conj(a_k[n]) = (1/n_fft) sum_j X[j] conj(A_k[j])``, so
    the CQT of a frame is one sparse matrix product with its FFT. The kernel is analytic (its
    spectrum sits at positive frequencies), so only the ``rfft`` half is used. Entries of each
    row whose magnitudes add up to less than ``sparsity`` of the row's L1 norm are dropped.

    The L1 normalisation makes a complex exponential ``e^{2 i pi f_k n / sr}`` give
    ``|X_q| = 1`` in bin ``k``; a real sinusoid of amplitude ``A`` gives ``A / 2``.

    Parameters
    ----------
    sr : float
    freqs : np.ndarray, shape (n_bins,)
        Centre frequencies (Hz).
    bins_per_octave, filter_scale, window, sparsity
        As in :func:`cqt`.
    dtype : complex numpy dtype

    Returns
    -------
    K : scipy.sparse.csr_matrix shape (n_bins, n_fft // 2 + 1)
    n_fft : int
    lengths : np.ndarray, shape (n_bins,)
        ``N_k`` in samples (float).

    Examples
    --------
    >>> K, n_fft, lengths = cqt_kernels(sr=22050, freqs=cqt_frequencies(n_bins=12, fmin=440.0))
    >>> K.shape, n_fft
    ((12, 513), 1024)

    Used in the chapter notebook ``notebooks/06_cqt.ipynb``.

    See Also
    --------
    cqt
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    Q = _q_factor(bins_per_octave, filter_scale)
    if not 0 <= sparsity < 1:
        raise ParameterError(f"sparsity={sparsity!r}: must be in [0, 1)")
    lengths = Q * sr / freqs
    n_fft = int(2 ** np.ceil(np.log2(np.ceil(lengths.max()) + 1)))
    rows = []
    for f, N in zip(freqs, lengths):
        L = int(np.round(N))
        w = _window(window, L, L)
        n = np.arange(L) - L // 2
        a = np.zeros(n_fft, dtype=np.complex128)
        a[n_fft // 2 + n] = w / w.sum() * np.exp(2j * np.pi * f * n / sr)
        A = np.conj(np.fft.fft(a)[: n_fft // 2 + 1]) / n_fft
        if sparsity > 0:
            mag = np.abs(A)
            order = np.argsort(mag)
            cum = np.cumsum(mag[order])
            drop = order[cum < sparsity * cum[-1]]
            A[drop] = 0
        rows.append(A)
    K = scipy.sparse.csr_matrix(np.array(rows), dtype=dtype)
    K.eliminate_zeros()
    return K, n_fft, lengths


def _cqt_octave(y, K, n_fft, hop, n_frames, cdtype):
    """|bins| x n_frames CQT of one octave group: centred, zero-padded frames of y."""
    need = (n_frames - 1) * hop + n_fft
    lead = y.shape[:-1]
    y2 = y.reshape(-1, y.shape[-1])
    pad = np.zeros((y2.shape[0], need), dtype=y.dtype)
    m = min(y2.shape[-1], need - n_fft // 2)
    pad[:, n_fft // 2: n_fft // 2 + m] = y2[:, :m]
    frames = _frames(pad, n_fft, hop)[:, :n_frames]
    out = np.empty((y2.shape[0], K.shape[0], n_frames), dtype=cdtype)
    block = max(1, 4 * _BLOCK_BYTES // (n_fft * y.itemsize))
    for c in range(y2.shape[0]):
        for s in range(0, n_frames, block):
            e = min(s + block, n_frames)
            X = scipy.fft.rfft(frames[c, s:e], axis=-1)  # (B, n_fft//2 + 1)
            out[c, :, s:e] = K @ X.T
    return out.reshape(lead + out.shape[1:])


def _halve(y):
    """Downsample by 2 along the last axis (polyphase FIR low-pass, zero delay)."""
    return scipy.signal.resample_poly(y, 1, 2, axis=-1, window=("kaiser", 8.0)).astype(
        y.dtype, copy=False
    )


def cqt(y, *, sr, hop_length=512, fmin=None, n_bins=84, bins_per_octave=12, filter_scale=1,
        window="hann", sparsity=0.01, multirate=True):
    r"""Constant-Q transform, from the lecture's formula, by spectral kernels.

    .. math::

        X_q[k, p] = \sum_{n} x[n + pH]\, \overline{a_k[n]},\qquad
        a_k[n] = \frac{w_k[n]}{\sum_m w_k[m]}\, e^{2 i \pi f_k n / \mathit{sr}},\quad
        |n| < N_k / 2,

    with ``f_k = fmin * 2**(k / bins_per_octave)`` (log-spaced: the same number of bins per
    octave), ``N_k = Q sr / f_k`` and ``Q = filter_scale / (2**(1/bins_per_octave) - 1)``.
    The lecture's ``exp(-2 i pi n k / Nfft_k)`` is this exponential with the bin's digital
    frequency ``Q / N_k = f_k / sr``; as in :func:`stft`, frame ``p`` is centred on sample
    ``p * hop_length`` (here with zero padding).

    Computation (Brown & Puckette 1992): the kernels' FFTs form a sparse matrix
    (:func:`cqt_kernels`); the CQT of each frame is that matrix times the frame's FFT. With
    ``multirate=True`` (default) the bins are processed an octave at a time from the top, and
    the signal is halved in rate (``scipy.signal.resample_poly``) for each lower octave while
    ``hop_length`` stays divisible and the octave stays well below the new Nyquist: the kernels
    of an octave at rate ``sr / 2`` are those of the octave above at ``sr``, and the FFTs stay
    short. ``multirate=False`` uses one big FFT for all bins at full rate (slower, the
    reference the tests compare the multirate result with).

    Agreement with :func:`librosa.cqt` (which uses a slightly different Q, its own
    normalisation and soxr resampling), asserted in the tests on a chord-and-noise signal:
    after one scale factor per bin, the relative error ``||s_k |C_k| - |L_k||| / ||L_k||`` has
    median < 0.05 over bins, the per-bin correlation of dB magnitudes has median > 0.99, and
    pure tones peak in the same bin.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (..., n), float
        Any length: frames are zero-padded, as in librosa.
    sr : int
    hop_length : int > 0
    fmin : float > 0, optional
        Lowest bin frequency; default C1 (32.70 Hz).
    n_bins : int > 0
    bins_per_octave : int > 0
    filter_scale : float > 0
        Scales Q (and all window lengths).
    window : window specification
        The shape of ``w_k``.
    sparsity : float in [0, 1)
        Fraction of each kernel's L1 mass dropped (0: exact, dense kernels).
    multirate : bool
        Octave-wise decimation (fast) or one full-rate pass.

    Returns
    -------
    C : np.ndarray, shape (..., n_bins, 1 + n // hop_length), complex64 for float32 input,
        complex128 for float64
        ``|C|`` is the amplitude: a real sinusoid of amplitude ``A`` at ``f_k`` gives ``A / 2``.

    Raises
    ------
    ValueError
        Bad parameter (named), or a top bin whose band reaches the Nyquist frequency.
    mirbook.io.AudioFileError
        Empty, NaN/Inf or non-float signal, bad ``sr``.

    Examples
    --------
    >>> from mirbook.signal import tone
    >>> y = tone(440.0, sr=22050, duration=2.0, dtype=np.float32)
    >>> C = cqt(y, sr=22050)
    >>> C.shape, int(np.abs(C[:, 40]).argmax())      # A4 is 45 semitones above C1
    ((84, 87), 45)

    Used in the chapter notebook ``notebooks/06_cqt.ipynb``.

    See Also
    --------
    cqt_frequencies, cqt_kernels, chroma_from_cqt, librosa.cqt
    """
    y = _check_float_audio(y, name="y", sr=sr)
    hop_length = positive_int(hop_length, "hop_length")
    n_bins = positive_int(n_bins, "n_bins")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    freqs = cqt_frequencies(n_bins=n_bins, fmin=fmin, bins_per_octave=bins_per_octave)
    Q = _q_factor(bins_per_octave, filter_scale)
    edge = freqs[-1] * (1 + 1 / Q)  # top of the highest filter's main lobe (approx.)
    if edge >= sr / 2:
        raise ParameterError(
            f"n_bins={n_bins}: the top bin ({freqs[-1]:.1f} Hz, band up to ~{edge:.1f} Hz) "
            f"exceeds the Nyquist frequency {sr / 2} Hz; lower n_bins or fmin"
        )
    cdtype = _complex_dtype(y.dtype)
    n_frames = 1 + y.shape[-1] // hop_length
    out = np.empty(y.shape[:-1] + (n_bins, n_frames), dtype=cdtype)

    if not multirate:
        K, n_fft, _ = cqt_kernels(sr=sr, freqs=freqs, bins_per_octave=bins_per_octave,
                                  filter_scale=filter_scale, window=window, sparsity=sparsity,
                                  dtype=cdtype)
        out[...] = _cqt_octave(y, K, n_fft, hop_length, n_frames, cdtype)
        return out

    # Octave groups from the top; halve the rate while hop stays integral and the group's
    # band stays below half the new Nyquist (far from the anti-aliasing filter's transition).
    max_halvings = (hop_length & -hop_length).bit_length() - 1
    y_cur, factor, halvings = y, 1, 0
    kernel_cache = {}
    top = n_bins
    while top > 0:
        lo = max(0, top - bins_per_octave)
        f_edge = freqs[top - 1] * (1 + 1 / Q)
        while halvings < max_halvings and f_edge < sr / (factor * 2) / 4:
            y_cur = _halve(y_cur)
            factor *= 2
            halvings += 1
        sr_cur = sr / factor
        key = (top - lo, round(freqs[lo] / sr_cur, 12))
        if key not in kernel_cache:  # the same digital kernels repeat octave after octave
            kernel_cache[key] = cqt_kernels(sr=sr_cur, freqs=freqs[lo:top],
                                            bins_per_octave=bins_per_octave,
                                            filter_scale=filter_scale, window=window,
                                            sparsity=sparsity, dtype=cdtype)
        K, n_fft, _ = kernel_cache[key]
        out[..., lo:top, :] = _cqt_octave(y_cur, K, n_fft, hop_length // factor, n_frames, cdtype)
        top = lo
    return out


def log_frequency_matrix(*, sr, n_fft, bins_per_octave=12, fmin=None, n_bins=84):
    """Pooling matrix from linear STFT bins to log-spaced bands (a crude constant-Q view).

    Band ``b`` (centre ``f_b = fmin 2**(b / bins_per_octave)``) sums the STFT bins whose
    frequency lies in ``[f_b 2**(-1/(2 bpo)), f_b 2**(1/(2 bpo)))``. Low bands narrower than
    the STFT bin spacing ``sr / n_fft`` contain no bin; they take the nearest bin instead --
    the resolution problem the CQT's long bass windows solve.

    Parameters
    ----------
    sr : int
    n_fft : int > 0
    bins_per_octave : int > 0
    fmin : float, optional
        Default C1.
    n_bins : int > 0

    Returns
    -------
    P : np.ndarray, shape (n_bins, 1 + n_fft // 2), float64 of 0 and 1

    Examples
    --------
    >>> P = log_frequency_matrix(sr=22050, n_fft=2048, n_bins=84)
    >>> P.shape
    (84, 1025)

    Used in the chapter notebook ``notebooks/06_cqt.ipynb``.

    See Also
    --------
    log_frequency_spectrogram
    """
    n_fft = positive_int(n_fft, "n_fft")
    freqs = cqt_frequencies(n_bins=n_bins, fmin=fmin, bins_per_octave=bins_per_octave)
    fft_freqs = np.arange(1 + n_fft // 2) * sr / n_fft
    lo = freqs * 2.0 ** (-0.5 / bins_per_octave)
    hi = freqs * 2.0 ** (0.5 / bins_per_octave)
    if hi[-1] > sr / 2:
        raise ParameterError(f"n_bins={n_bins}: the top band ({hi[-1]:.1f} Hz) exceeds Nyquist")
    P = ((fft_freqs[None, :] >= lo[:, None]) & (fft_freqs[None, :] < hi[:, None])).astype(float)
    empty = P.sum(axis=1) == 0
    P[empty, np.rint(freqs[empty] * n_fft / sr).astype(int)] = 1.0
    return P


def log_frequency_spectrogram(S, *, sr, n_fft, bins_per_octave=12, fmin=None, n_bins=84):
    """Pool an STFT magnitude (or power) spectrogram into log-spaced bands.

    ``P @ S`` with ``P`` from :func:`log_frequency_matrix`.

    Parameters
    ----------
    S : np.ndarray, shape (..., 1 + n_fft // 2, n_frames), real
        ``np.abs(stft(y))`` or its square.
    sr, n_fft, bins_per_octave, fmin, n_bins
        See :func:`log_frequency_matrix`.

    Returns
    -------
    S_log : np.ndarray, shape (..., n_bins, n_frames)

    Examples
    --------
    >>> S = np.ones((1025, 3))
    >>> log_frequency_spectrogram(S, sr=22050, n_fft=2048).shape
    (84, 3)

    Used in the chapter notebook ``notebooks/06_cqt.ipynb``.

    See Also
    --------
    cqt
    """
    S = _check_spectrogram(S, "S", complex_ok=False)
    n_fft = positive_int(n_fft, "n_fft")
    if S.shape[-2] != 1 + n_fft // 2:
        raise ParameterError(f"S has {S.shape[-2]} rows but n_fft={n_fft} needs {1 + n_fft // 2}")
    P = log_frequency_matrix(sr=sr, n_fft=n_fft, bins_per_octave=bins_per_octave, fmin=fmin,
                             n_bins=n_bins)
    return (P @ S).astype(S.dtype if np.issubdtype(S.dtype, np.floating) else np.float64)


# --------------------------------------------------------------------------------------------
# Chroma
# --------------------------------------------------------------------------------------------


def cq_to_chroma_matrix(*, n_bins, bins_per_octave=12, n_chroma=12, fmin=None):
    """0/1 matrix mapping CQT bins to pitch classes (C = 0, C# = 1, ...).

    Bin ``k`` goes to the pitch class nearest to its frequency:
    ``round(n_chroma * log2(f_k / C1)) mod n_chroma``.

    Parameters
    ----------
    n_bins, bins_per_octave : int > 0
    n_chroma : int > 0
        ``bins_per_octave`` must be a multiple of it.
    fmin : float, optional
        Frequency of CQT bin 0 (default C1).

    Returns
    -------
    M : np.ndarray, shape (n_chroma, n_bins), float64

    Examples
    --------
    >>> cq_to_chroma_matrix(n_bins=24, fmin=440.0).argmax(axis=0)[:3]   # A, A#, B
    array([ 9, 10, 11])

    Used in the chapter notebook ``notebooks/06_cqt.ipynb``.

    See Also
    --------
    chroma_from_cqt
    """
    n_bins = positive_int(n_bins, "n_bins")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    n_chroma = positive_int(n_chroma, "n_chroma")
    if bins_per_octave % n_chroma:
        raise ParameterError(
            f"bins_per_octave={bins_per_octave} must be a multiple of n_chroma={n_chroma}"
        )
    freqs = cqt_frequencies(n_bins=n_bins, fmin=fmin, bins_per_octave=bins_per_octave)
    pc = np.floor(n_chroma * np.log2(freqs / C1_HZ) + 0.5 + 1e-9).astype(int) % n_chroma
    M = np.zeros((n_chroma, n_bins))
    M[pc, np.arange(n_bins)] = 1.0
    return M


def chroma_from_cqt(C, *, bins_per_octave=12, n_chroma=12, fmin=None, norm=np.inf):
    """Chromagram (pitch-class profile) from a CQT: sum the bins of each pitch class.

    The lecture: "just sum up bins belonging to the same note on different octaves". The CQT
    magnitudes of all bins mapped to a pitch class by :func:`cq_to_chroma_matrix` are added,
    then each frame is normalised. Equals :func:`librosa.feature.chroma_cqt` given the same
    CQT magnitude (``C=np.abs(C)``, ``bins_per_octave``, ``fmin``).

    Parameters
    ----------
    C : np.ndarray, shape (..., n_bins, n_frames)
        A CQT (complex: its magnitude is used) starting at ``fmin``.
    bins_per_octave, n_chroma : int > 0
    fmin : float, optional
        Frequency of CQT bin 0 (default C1, the default of :func:`cqt`).
    norm : {np.inf, 2, 1, None}
        Per-frame normalisation: max = 1 (L-inf), unit L2 or L1 norm, or none. Silent frames
        stay 0.

    Returns
    -------
    chroma : np.ndarray, shape (..., n_chroma, n_frames), float

    Examples
    --------
    >>> C = np.zeros((84, 1)); C[45] = 1.0            # A4 with fmin = C1
    >>> int(chroma_from_cqt(C)[:, 0].argmax())        # pitch class A = 9
    9

    Used in the chapter notebook ``notebooks/06_cqt.ipynb``.

    See Also
    --------
    cqt, librosa.feature.chroma_cqt
    """
    C = np.abs(_check_spectrogram(C, "C"))
    M = cq_to_chroma_matrix(n_bins=C.shape[-2], bins_per_octave=bins_per_octave, n_chroma=n_chroma,
                            fmin=fmin)
    chroma = (M.astype(C.dtype) @ C) if C.dtype in (np.float32, np.float64) else M @ C
    if norm is None:
        return chroma
    if norm == np.inf:
        scale = np.max(np.abs(chroma), axis=-2, keepdims=True)
    elif norm in (1, 2):
        scale = np.sum(np.abs(chroma) ** norm, axis=-2, keepdims=True) ** (1.0 / norm)
    else:
        raise ParameterError(f"norm={norm!r}: expected np.inf, 1, 2 or None")
    tiny = np.finfo(chroma.dtype).tiny
    return np.where(scale > tiny, chroma / np.where(scale > tiny, scale, 1), 0.0).astype(
        chroma.dtype
    )


# --------------------------------------------------------------------------------------------
# Measures the chapters report (resolution, phase predictability, agreement with librosa)
# --------------------------------------------------------------------------------------------


def peaks_resolved(x, peaks):
    """Whether two peaks of a profile are resolved: a dip of more than 3 dB between them.

    The criterion of chapter 5's time-frequency trade-off: two peaks at indices ``i < j`` of a
    magnitude profile (a spectrum column, or an energy envelope over frames) are resolved when
    the profile somewhere between them falls below the lower peak divided by ``sqrt(2)``
    (3 dB in amplitude). Peaks on adjacent (or equal) indices are never resolved.

    Parameters
    ----------
    x : np.ndarray, shape (n,)
        Non-negative profile (magnitudes).
    peaks : tuple of int
        The two indices ``(i, j)``, ``0 <= i <= j < n`` (equal when a coarse grid puts both
        peaks in one bin).

    Returns
    -------
    resolved : bool

    Examples
    --------
    >>> peaks_resolved(np.array([0.0, 1.0, 0.2, 1.0, 0.0]), (1, 3))
    True
    >>> peaks_resolved(np.array([0.0, 1.0, 0.9, 1.0, 0.0]), (1, 3))
    False
    >>> peaks_resolved(np.array([0.0, 1.0, 1.0, 0.0]), (1, 2))
    False

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.
    """
    from mirbook._validate import real_array

    x = real_array(x, "x", ndim=1, nonneg=True)
    try:
        i, j = (int(k) for k in peaks)
    except (TypeError, ValueError):
        raise ParameterError(f"peaks must be two indices (i, j), got {peaks!r}") from None
    if not 0 <= i <= j < x.size:
        raise ParameterError(f"peaks must satisfy 0 <= i <= j < len(x) = {x.size}, got {(i, j)}")
    if j - i < 2:
        return False
    return bool(x[i + 1: j].min() < x[[i, j]].min() / np.sqrt(2))


def phase_prediction_error(y, *, sr, n_fft=2048, hop_length=None, win_length=None,
                           window="hann"):
    """How well the STFT phase of frame ``p + 1`` is predicted from frames ``p - 1`` and ``p``.

    The instantaneous frequency of each bin (:func:`instantaneous_frequency`, from frames
    ``p - 1`` and ``p``) predicts the phase one hop later, ``phi[p] + 2 pi f H / sr``. The
    error is the wrapped difference with the measured phase, in radians, averaged over all
    bins and frames with weights ``|X|^2`` (the bins with energy). A random phase gives about
    ``pi / 2``; a steady sinusoid about 0.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Audio signal (at least three frames long).
    sr : int
        Sample rate (Hz).
    n_fft, hop_length, win_length, window
        As in :func:`stft`.

    Returns
    -------
    error : float
        Energy-weighted mean absolute phase prediction error (rad), in ``[0, pi]``.

    Examples
    --------
    >>> from mirbook.signal import tone
    >>> y = tone(440.0, sr=22050, duration=1.0)
    >>> phase_prediction_error(y, sr=22050) < 0.05
    True
    >>> noise = np.random.default_rng(0).standard_normal(22050)
    >>> phase_prediction_error(noise, sr=22050) > 0.5
    True

    Used in the chapter notebook ``notebooks/05_stft.ipynb``.
    """
    n_fft, hop_length, win_length = _stft_params(n_fft, hop_length, win_length)
    y = _check_float_audio(y, name="y", sr=sr, n_fft=n_fft)
    if y.ndim != 1:
        raise ParameterError(f"y must be mono, shape (n,), got {y.shape}")
    freq, mag = instantaneous_frequency(y, sr=sr, n_fft=n_fft, hop_length=hop_length,
                                        win_length=win_length, window=window)
    if freq.shape[-1] < 3:
        raise ParameterError("y is too short: phase_prediction_error needs at least 3 frames")
    phi = np.angle(stft(y.astype(np.float64), n_fft=n_fft, hop_length=hop_length,
                        win_length=win_length, window=window))
    pred = phi[:, 1:-1] + 2 * np.pi * freq[:, 1:-1] * hop_length / sr
    err = np.abs(np.angle(np.exp(1j * (phi[:, 2:] - pred))))
    weight = mag[:, 2:].astype(np.float64) ** 2
    return float((err * weight).sum() / weight.sum())


def per_bin_agreement(S, reference, *, top_db=80.0):
    """Per-bin agreement of two magnitude spectrograms (ours against a reference, e.g. librosa).

    For each bin (row): scale ``|S|`` by the one factor ``s`` that best fits ``|reference|``
    (least squares) and take the relative error ``||s |S_k| - |R_k| || / ||R_k||`` over time;
    and the correlation over time of the two rows in dB (each matrix in dB relative to its
    maximum, floored ``top_db`` below). Both measures ignore a per-bin gain, so that two
    transforms with different normalisations (``cqt`` and ``librosa.cqt``) can be compared.
    The frames are cut to the shorter of the two.

    Parameters
    ----------
    S, reference : np.ndarray, shape (n_bins, n_frames)
        Spectrograms (complex or magnitude) with the same bins.
    top_db : float
        Floor of the dB scale below each matrix's maximum.

    Returns
    -------
    rel_error : np.ndarray, shape (n_bins,)
        Relative error after scaling, per bin.
    db_correlation : np.ndarray, shape (n_bins,)
        Correlation of the dB rows, per bin.

    Examples
    --------
    >>> R = np.abs(np.random.default_rng(0).standard_normal((4, 50))) + 0.1
    >>> rel, corr = per_bin_agreement(3.0 * R, R)
    >>> bool(np.all(rel < 1e-12)), bool(np.all(corr > 0.999999))
    (True, True)

    Used in the chapter notebook ``notebooks/06_cqt.ipynb`` and in ``tests/test_transforms.py``.
    """
    import librosa

    from mirbook._validate import finite_real

    a, b = np.abs(np.asarray(S)), np.abs(np.asarray(reference))
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ParameterError(f"S and reference must be 2-D with the same number of bins, got "
                             f"shapes {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ParameterError("S and reference must be finite")
    top_db = finite_real(top_db, "top_db", low=0, low_open=True)
    n = min(a.shape[1], b.shape[1])
    a, b = a[:, :n].astype(np.float64), b[:, :n].astype(np.float64)
    s = (a * b).sum(1) / np.maximum((a * a).sum(1), np.finfo(float).tiny)
    rel = np.linalg.norm(s[:, None] * a - b, axis=1) / np.linalg.norm(b, axis=1)
    da = librosa.amplitude_to_db(a, ref=np.max, top_db=top_db)
    db = librosa.amplitude_to_db(b, ref=np.max, top_db=top_db)
    corr = np.array([np.corrcoef(u, v)[0, 1] for u, v in zip(da, db)])
    return rel, corr
