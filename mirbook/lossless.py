"""Why lossless compression works: linear prediction and Rice coding, as FLAC does.

The theory half of chapter 2 (``notebooks/02_compression.ipynb``): predict each sample from the
previous ones (:func:`lpc`, Levinson-Durbin), store only the small prediction residual
(:func:`flac_residual`), and code it with a variable-length Rice code (:func:`rice_size_bytes`);
decoding is exact. :func:`compression_ratio` measures the result on a real FLAC stream (made by
:func:`mirbook.codecs.encode`) or on any file.

>>> import numpy as np
>>> codes = np.round(1000 * np.sin(0.05 * np.arange(4096))).astype(np.int16)
>>> rice_size_bytes(flac_residual(codes, order=2)) < codes.nbytes / 4
True
"""

from __future__ import annotations

import os

import numpy as np

from mirbook._validate import nonneg_int, one_of, positive_int
from mirbook.errors import AudioFileError, ParameterError

__all__ = ["lpc", "flac_residual", "rice_size_bytes", "compression_ratio"]


def lpc(y, *, order):
    """Linear-prediction coefficients (autocorrelation method, Levinson-Durbin recursion).

    Finds ``a`` minimising the energy of ``e[n] = y[n] - sum_k a[k-1] y[n-k]`` (``k = 1..order``)
    over a windowless autocorrelation: the normal equations ``R a = r`` with the Toeplitz matrix
    ``R[i, j] = r[|i - j|]`` are solved by the Levinson-Durbin recursion in O(order^2).
    This is what FLAC's encoder does per block (before quantizing ``a``).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    order : int >= 0

    Returns
    -------
    a : np.ndarray, shape (order,), float64
        Predictor coefficients (note the sign: librosa.lpc returns ``[1, -a]``).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(0.1 * np.arange(100_000))
    >>> np.round(lpc(y, order=2), 3)     # a sinusoid obeys y[n] = 2 cos(0.1) y[n-1] - y[n-2]
    array([ 1.99, -1.  ])

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"y: expected a mono signal of shape (n,), got {y.shape}")
    y = y.astype(np.float64)
    order = nonneg_int(order, "order")
    if order >= len(y):
        raise ParameterError(f"order={order}: must be in [0, {len(y) - 1}]")
    r = np.array([y[: len(y) - k] @ y[k:] for k in range(order + 1)])
    a = np.zeros(order)
    if order == 0 or r[0] == 0:
        return a
    err = r[0]
    for i in range(order):
        k = (r[i + 1] - a[:i] @ r[i:0:-1]) / err
        a[:i] = a[:i] - k * a[:i][::-1]
        a[i] = k
        err *= 1 - k * k
        if err <= 0:
            break
    return a


def flac_residual(y, *, order, method="lpc"):
    """The prediction residual FLAC stores instead of the samples.

    Each sample is predicted from the ``order`` previous ones and only the error is kept:
    ``e[n] = y[n] - round(sum_k a[k-1] y[n-k])``. The first ``order`` samples (the warm-up) are
    kept verbatim, as in FLAC. For integer codes the residual is integer and the decoder, who
    knows ``a``, rebuilds ``y[n] = e[n] + round(prediction)`` exactly: prediction makes the
    numbers small (cheap to code) without losing anything.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        int16 codes (integer residual) or floats.
    order : int >= 0
    method : {"lpc", "fixed"}
        ``"lpc"``: coefficients from :func:`lpc` on the whole signal (FLAC does it per block of
        4096 samples and quantizes them); ``"fixed"``: FLAC's fixed polynomial predictors
        (order <= 4), i.e. the ``order``-th difference of ``y``.

    Returns
    -------
    e : np.ndarray, shape (n,)
        int64 for integer input, float64 otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.round(1000 * np.sin(0.05 * np.arange(2000))).astype(np.int16)
    >>> int(np.abs(y).max()), int(np.abs(flac_residual(y, order=2)[2:]).max())
    (1000, 7)

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    import scipy.signal

    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"y: expected a mono signal of shape (n,), got {y.shape}")
    one_of(method, "method", ("lpc", "fixed"))
    integer = np.issubdtype(y.dtype, np.integer)
    x = y.astype(np.float64)
    order = nonneg_int(order, "order")
    if method == "fixed":
        if not 0 <= order <= 4:
            raise ParameterError(f"order={order}: fixed predictors have order 0 to 4")
        e = np.concatenate([x[:order], np.diff(x, n=order)])
        return e.astype(np.int64) if integer else e
    a = lpc(x, order=order)
    pred = scipy.signal.lfilter(np.r_[0.0, a], [1.0], x)
    if integer:
        pred = np.round(pred)
    e = x - pred
    e[:order] = x[:order]
    return e.astype(np.int64) if integer else e


def rice_size_bytes(residual, *, block_size=4096) -> int:
    """Bytes a Rice code spends on an integer residual (FLAC's entropy coder), headers aside.

    Each value is mapped to ``u = 2e`` (``e >= 0``) or ``-2e - 1`` and coded as ``u >> k`` in unary
    plus the ``k`` low bits: ``1 + k + (u >> k)`` bits. ``k`` is chosen per block of
    ``block_size`` samples to minimise the total, as FLAC does per partition.

    Parameters
    ----------
    residual : np.ndarray of int, shape (n,)
    block_size : int

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> rice_size_bytes(np.zeros(4096, dtype=np.int64))     # 1 bit per zero, + 5 bits
    513

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    block_size = positive_int(block_size, "block_size")
    e = np.asarray(residual)
    if not np.issubdtype(e.dtype, np.integer):
        raise ParameterError("residual: must be integer (use int16 codes)")
    u = np.where(e >= 0, 2 * e, -2 * e - 1).astype(np.int64)
    bits = 0
    for start in range(0, len(u), block_size):
        blk = u[start:start + block_size]
        ks = np.arange(0, 24)
        costs = [len(blk) * (1 + k) + int((blk >> k).sum()) for k in ks]
        bits += min(costs) + 5  # + the 5-bit parameter
    return int(np.ceil(bits / 8))


_SUBTYPE_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32,
                 "DOUBLE": 64}


def compression_ratio(x, *, sr=None, n_bits=16) -> float:
    """PCM size over compressed size.

    Parameters
    ----------
    x : path or np.ndarray, shape (n,) or (C, n)
        A file (its PCM size is frames x channels x bits of its subtype -- 16 for lossy files --
        divided by its size on disk), or a signal, encoded here as 16-bit FLAC.
    sr : int, optional
        Required for a signal.
    n_bits : int
        Bits per sample of the PCM reference for a signal.

    Returns
    -------
    float
        e.g. about 1.5 to 2.5 for FLAC on music, 11 for MP3 at 128 kbit/s on CD audio.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.round(0.1 * np.sin(0.05 * np.arange(44100)) * 32767) / 32767
    >>> compression_ratio(y, sr=44100) > 4
    True

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    from mirbook.codecs import encode

    if isinstance(x, (str, os.PathLike)):
        import soundfile as sf

        try:
            info = sf.info(str(x))
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioFileError(x, f"cannot read its header: {exc}") from None
        size = os.path.getsize(x)
        bits = _SUBTYPE_BITS.get(info.subtype, 16)
        return info.frames * info.channels * bits / 8 / size
    if sr is None:
        raise ParameterError("sr: give the sample rate with a signal")
    n_bits = positive_int(n_bits, "n_bits")
    y = np.asarray(x)
    data = encode(y, sr=sr, codec="flac")
    return y.size * n_bits / 8 / len(data)


