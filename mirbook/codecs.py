"""Audio codecs: encode, decode and round trips; why lossless compression works; detecting lossy.

The code behind chapter 2 (``notebooks/02_compression.ipynb``). A 4-minute CD track weighs about
40 MB as PCM and about 4 MB as MP3 at 128 kbit/s {Moussallam 2018}. Two families of codecs:

- **lossless** (FLAC): predict each sample from the previous ones and store the small prediction
  residual with a variable-length (Rice) code; decoding is exact (:func:`lpc`,
  :func:`flac_residual`, :func:`rice_size_bytes`, :func:`compression_ratio`);
- **lossy** (MP3, Ogg Vorbis, Opus, AAC): quantize a time-frequency transform as coarsely as
  the ear allows; what it removes leaves traces -- a low-pass "shelf" and spectral holes -- that
  :func:`detection_features` measures, in the spirit of Hennequin, Royo-Letelier and Moussallam,
  *Codec independent lossy audio compression detection*, ICASSP 2017.

Codecs and the library that runs them (everything in memory; temporary files, if any, only in
temporary folders):

========  ===========================================  ==========================================
codec     backend                                      bit-rate control
========  ===========================================  ==========================================
flac      soundfile (libsndfile), PCM_16               lossless; ``quality`` = compression effort
vorbis    soundfile, OGG/VORBIS                        VBR: ``quality`` in [0, 1]; a ``bitrate``
                                                       is reached by searching the quality
opus      soundfile, OGG/OPUS at 48 kHz (resampled)    ``bitrate`` (VBR target, kbit/s)
mp3       lameenc (LAME), decoded by soundfile         ``bitrate`` (constant bit rate, kbit/s)
aac       the ffmpeg binary of imageio-ffmpeg,          ``bitrate`` (kbit/s), ADTS stream
          its native ``aac`` encoder
========  ===========================================  ==========================================

soundfile's own MP3 encoder is not used: it exposes the bit rate only through a ``compression_level``
in [0, 1] mapped onto LAME's bit-rate table, whereas lameenc sets it in kbit/s.

Audio is float in [-1, 1], shape ``(n,)`` (mono) or ``(C, n)`` (channels first); FLAC also takes
int16 codes, for bit-exact round trips.

Examples
--------
>>> import numpy as np
>>> from mirbook import codecs
>>> y = 0.1 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
>>> data = codecs.encode(y, 22050, "mp3", bitrate=64)
>>> round(codecs.achieved_kbps(data, 1.0))                         # doctest: +SKIP
66
>>> codecs.roundtrip(y, 22050, "mp3", bitrate=64).shape
(22050,)
"""

from __future__ import annotations

import functools
import io
import re
import subprocess

import numpy as np

from .io import AudioFileError, check_sr, resample, validate_audio

__all__ = [
    "CODECS",
    "LOSSY",
    "CodecError",
    "available_codecs",
    "encode",
    "decode",
    "roundtrip",
    "estimate_delay",
    "achieved_kbps",
    "lpc",
    "flac_residual",
    "rice_size_bytes",
    "compression_ratio",
    "detection_features",
    "detection_feature_names",
    "apply_condition",
    "detection_set",
    "is_lossy",
]

#: Every codec name :func:`encode` knows.
CODECS = ("flac", "vorbis", "opus", "mp3", "aac")
#: The lossy ones.
LOSSY = ("vorbis", "opus", "mp3", "aac")
#: Sample rates MP3 (MPEG-1, 2 and 2.5 layer III) can carry.
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
#: Opus always runs at 48 kHz here (resampled before, the decoder returns 48 kHz).
OPUS_SR = 48000
#: Default bit rates (kbit/s) when ``bitrate`` and ``quality`` are both None.
DEFAULT_KBPS = {"opus": 96, "mp3": 128, "aac": 128}
#: Default Vorbis quality.
DEFAULT_VORBIS_QUALITY = 0.5
#: Relative tolerance of the Vorbis bit-rate search.
VORBIS_RTOL = 0.05


class CodecError(ValueError):
    """A codec cannot encode or decode what it was given; names the codec and the problem.

    Attributes
    ----------
    codec : str
    problem : str
    """

    def __init__(self, codec, problem):
        self.codec = str(codec)
        self.problem = problem
        super().__init__(f"{self.codec}: {problem}")


# --------------------------------------------------------------------------------------------
# helpers


def _check_codec(codec):
    if codec not in CODECS:
        raise CodecError(codec, f"unknown codec: use one of {CODECS}")
    return codec


@functools.lru_cache(maxsize=1)
def _ffmpeg():
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return None


@functools.lru_cache(maxsize=1)
def _ffmpeg_has_aac():
    exe = _ffmpeg()
    if exe is None:
        return False
    out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True)
    return any(line.split()[1:2] == ["aac"] for line in out.stdout.splitlines() if line.strip())


def available_codecs() -> dict:
    """Which codecs work here, and through what.

    Returns
    -------
    dict
        codec -> backend description, or ``None`` where it is unavailable (AAC needs the ffmpeg
        binary of ``imageio-ffmpeg`` with its native ``aac`` encoder).
    """
    try:
        import lameenc  # noqa: F401
        mp3 = "lameenc (LAME) + soundfile"
    except ImportError:
        mp3 = None
    return {"flac": "soundfile", "vorbis": "soundfile", "opus": "soundfile",
            "mp3": mp3, "aac": "ffmpeg (native aac)" if _ffmpeg_has_aac() else None}


def _as_frames(y, codec, sr):
    """Validated samples as (n, C) for soundfile; int16 kept for FLAC."""
    try:
        y = validate_audio(y, sr, name=f"{codec} input")
    except AudioFileError as exc:
        raise CodecError(codec, exc.problem) from None
    if y.ndim == 1:
        y = y[None]
    if y.dtype == np.int16:
        if codec != "flac":
            raise CodecError(codec, "int16 codes are for FLAC only: give floats in [-1, 1]")
        return np.ascontiguousarray(y.T)
    if not np.issubdtype(y.dtype, np.floating):
        raise CodecError(codec, f"expected float samples in [-1, 1] (or int16 for FLAC), got {y.dtype}")
    if y.shape[0] > 8:
        raise CodecError(codec, f"shape {y.shape}: channels go first, (C, n) with C <= 8")
    return np.ascontiguousarray(np.clip(y, -1.0, 1.0).T, dtype=np.float32)


def _to_int16(frames):
    return np.round(np.clip(frames, -1.0, 32767 / 32768) * 32768).astype(np.int16)


#: Frames per write to libsndfile.
_WRITE_BLOCK = 1 << 16


def _sf_write(frames, sr, fmt, subtype, codec, **kw):
    import soundfile as sf

    buf = io.BytesIO()
    frames = np.ascontiguousarray(frames)
    try:
        # written in blocks: libsndfile's Vorbis encoder crashes (segfault) on one long write of
        # a minute or more to an in-memory file
        with sf.SoundFile(buf, "w", sr, frames.shape[1], format=fmt, subtype=subtype, **kw) as f:
            for start in range(0, frames.shape[0], _WRITE_BLOCK):
                f.write(frames[start:start + _WRITE_BLOCK])
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        raise CodecError(codec, f"the encoder failed at sr={sr}: {exc}") from None
    return buf.getvalue()


def _n_frames(frames):
    return frames.shape[0]


def achieved_kbps(data, duration) -> float:
    """Bit rate actually spent, from the byte count: ``8 * len(data) / duration / 1000``.

    Parameters
    ----------
    data : bytes
        An encoded stream (headers included).
    duration : float
        Length of the audio it holds, in seconds.
    """
    if duration <= 0:
        raise ValueError(f"duration={duration!r}: must be positive")
    return 8 * len(data) / duration / 1000.0


# --------------------------------------------------------------------------------------------
# encoders


def _encode_flac(frames, sr, quality):
    kw = {} if quality is None else {"compression_level": 1.0 - float(quality)}
    if frames.dtype != np.int16:
        frames = _to_int16(frames)
    return _sf_write(frames, sr, "FLAC", "PCM_16", "flac", **kw)


def _encode_vorbis(frames, sr, bitrate, quality):
    if bitrate is None:
        q = DEFAULT_VORBIS_QUALITY if quality is None else float(quality)
        return _sf_write(frames, sr, "OGG", "VORBIS", "vorbis", compression_level=1.0 - q)
    # VBR: search the quality whose average bit rate on THIS signal is the requested one
    duration = _n_frames(frames) / sr

    def at(q):
        data = _sf_write(frames, sr, "OGG", "VORBIS", "vorbis", compression_level=1.0 - q)
        return data, achieved_kbps(data, duration)

    lo, hi = (0.0, *at(0.0)), (1.0, *at(1.0))
    if not lo[2] * (1 - VORBIS_RTOL) <= bitrate <= hi[2] * (1 + VORBIS_RTOL):
        raise CodecError("vorbis", f"bitrate={bitrate} kbit/s is out of reach for this signal at "
                         f"sr={sr}: Vorbis quality 0..1 gives {lo[2]:.0f}..{hi[2]:.0f} kbit/s")
    best = min((lo, hi), key=lambda t: abs(t[2] - bitrate))
    for _ in range(10):
        if abs(best[2] - bitrate) <= VORBIS_RTOL * bitrate:
            break
        # secant on log(kbit/s), inside the bracket
        w = (np.log(bitrate) - np.log(lo[2])) / (np.log(hi[2]) - np.log(lo[2]))
        q = lo[0] + float(np.clip(w, 0.1, 0.9)) * (hi[0] - lo[0])
        mid = (q, *at(q))
        if mid[2] < bitrate:
            lo = mid
        else:
            hi = mid
        best = min((best, mid), key=lambda t: abs(t[2] - bitrate))
    return best[1]


def _encode_opus(frames, sr, bitrate, quality):
    if sr != OPUS_SR:
        frames = resample(frames.T, sr, OPUS_SR).T
    if bitrate is not None:
        # libsndfile maps compression_level c to a target of 256 - 250 c kbit/s (VBR)
        n_ch = frames.shape[1]
        kbps = float(bitrate) / n_ch    # libsndfile's target is per channel
        if not 6 <= kbps <= 256:
            raise CodecError("opus", f"bitrate={bitrate} kbit/s for {n_ch} channel(s): Opus (via "
                             "libsndfile) takes 6 to 256 kbit/s per channel")
        level = (256.0 - kbps) / 250.0
    else:
        level = 1.0 - (0.4 if quality is None else float(quality))
    return _sf_write(np.ascontiguousarray(frames, dtype=np.float32), OPUS_SR, "OGG", "OPUS",
                     "opus", compression_level=float(np.clip(level, 0.0, 1.0)))


def _encode_mp3(frames, sr, bitrate, quality):
    try:
        import lameenc
    except ImportError:
        raise CodecError("mp3", "the encoder needs lameenc: pip install lameenc") from None
    if quality is not None:
        raise CodecError("mp3", "give a bitrate (constant bit rate, kbit/s), not a quality")
    if sr not in MP3_RATES:
        raise CodecError("mp3", f"sr={sr} Hz: MP3 carries only {MP3_RATES} (resample first)")
    n_ch = frames.shape[1]
    if n_ch > 2:
        raise CodecError("mp3", f"{n_ch} channels: MP3 carries mono or stereo")
    kbps = int(DEFAULT_KBPS["mp3"] if bitrate is None else bitrate)
    enc = lameenc.Encoder()
    try:
        enc.set_bit_rate(kbps)
        enc.set_in_sample_rate(sr)
        enc.set_channels(n_ch)
        enc.set_quality(2)
        data = bytes(enc.encode(_to_int16(frames).tobytes())) + bytes(enc.flush())
    except Exception as exc:  # noqa: BLE001 - lameenc raises plain Exceptions
        raise CodecError("mp3", f"LAME failed at {kbps} kbit/s, sr={sr}: {exc}") from None
    return data


def _run_ffmpeg(args, data, codec):
    exe = _ffmpeg()
    if exe is None:
        raise CodecError(codec, "needs the ffmpeg binary of imageio-ffmpeg: pip install imageio-ffmpeg")
    proc = subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-nostdin", *args],
                          input=data, capture_output=True)
    if proc.returncode != 0 or not proc.stdout:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise CodecError(codec, f"ffmpeg failed: {msg[-1] if msg else 'no output'}")
    return proc.stdout


def _encode_aac(frames, sr, bitrate, quality):
    if not _ffmpeg_has_aac():
        raise CodecError("aac", "no AAC encoder: the ffmpeg of imageio-ffmpeg lacks `aac`")
    if quality is not None:
        raise CodecError("aac", "give a bitrate (kbit/s), not a quality")
    kbps = int(DEFAULT_KBPS["aac"] if bitrate is None else bitrate)
    n_ch = frames.shape[1]
    return _run_ffmpeg(["-f", "f32le", "-ar", str(sr), "-ac", str(n_ch), "-i", "pipe:0",
                        "-c:a", "aac", "-b:a", f"{kbps}k", "-f", "adts", "pipe:1"],
                       np.ascontiguousarray(frames, dtype=np.float32).tobytes(), "aac")


def encode(y, sr, codec, bitrate=None, quality=None) -> bytes:
    """Encode a signal in memory.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
        Float samples in [-1, 1] (clipped), channels first; for ``"flac"`` also int16 codes,
        stored as they are (floats are rounded to 16 bits).
    sr : int
        Sample rate. Opus resamples to 48 kHz; MP3 needs one of :data:`MP3_RATES`.
    codec : {"flac", "vorbis", "opus", "mp3", "aac"}
    bitrate : float, optional
        Target in kbit/s, all channels together.
        MP3 and AAC: the encoder's rate (CBR for MP3). Opus: the VBR target. Vorbis: reached by
        searching the VBR quality until the average rate on this signal is within 5 %
        (a few encodes). Not for FLAC.
    quality : float in [0, 1], optional
        Vorbis/Opus VBR quality (1 best), or FLAC's compression effort (1 most). Not for MP3/AAC.

    Returns
    -------
    bytes
        The encoded stream (a complete FLAC, Ogg, MP3 or ADTS stream).

    Raises
    ------
    CodecError
        (a ValueError) naming the codec and the problem: unknown codec, unsupported sample rate
        or channel count, a bit rate out of reach, a missing backend.

    Examples
    --------
    >>> y = 0.1 * np.random.default_rng(0).standard_normal(44100)
    >>> len(encode(y, 44100, "mp3", bitrate=128)) * 8 / 1000          # doctest: +SKIP
    130.6
    """
    _check_codec(codec)
    try:
        sr = check_sr(sr)
    except ValueError as exc:
        raise CodecError(codec, str(exc)) from None
    if bitrate is not None and quality is not None:
        raise CodecError(codec, "give bitrate or quality, not both")
    if bitrate is not None and (not np.isfinite(bitrate) or bitrate <= 0):
        raise CodecError(codec, f"bitrate={bitrate!r}: must be a positive number of kbit/s")
    if quality is not None and not 0.0 <= float(quality) <= 1.0:
        raise CodecError(codec, f"quality={quality!r}: must lie in [0, 1]")
    frames = _as_frames(y, codec, sr)
    if codec == "flac":
        if bitrate is not None:
            raise CodecError("flac", "lossless: there is no bitrate to choose")
        return _encode_flac(frames, sr, quality)
    if codec == "vorbis":
        return _encode_vorbis(frames, sr, bitrate, quality)
    if codec == "opus":
        return _encode_opus(frames, sr, bitrate, quality)
    if codec == "mp3":
        return _encode_mp3(frames, sr, bitrate, quality)
    return _encode_aac(frames, sr, bitrate, quality)


# --------------------------------------------------------------------------------------------
# decoders

_NAMES = {"flac": "FLAC", "vorbis": "Ogg Vorbis", "opus": "Ogg Opus", "mp3": "MP3",
          "aac": "AAC (ADTS)"}
_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000,
               7350)


def _check_stream(data, codec):
    """Raise a CodecError unless ``data`` starts like a ``codec`` stream."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CodecError(codec, f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise CodecError(codec, "empty data (0 bytes)")
    head = data[:8]
    if codec == "flac":
        ok = head.startswith(b"fLaC")
    elif codec in ("vorbis", "opus"):
        ok = head.startswith(b"OggS")
        if ok:
            first = data[:200]
            inner = "opus" if b"OpusHead" in first else "vorbis" if b"\x01vorbis" in first else None
            if inner != codec:
                raise CodecError(codec, f"this Ogg stream holds {inner or 'an unknown codec'}, "
                                 f"not {codec}")
    elif codec == "mp3":
        ok = head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    else:
        ok = len(head) > 3 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0
    if not ok:
        raise CodecError(codec, f"not a valid {_NAMES[codec]} stream ({len(data)} bytes, starts with "
                         f"{head!r})")
    return data


def decode(data, codec, *, dtype="float32"):
    """Decode a stream made by :func:`encode` (or any stream of that codec).

    Parameters
    ----------
    data : bytes
    codec : {"flac", "vorbis", "opus", "mp3", "aac"}
    dtype : {"float32", "float64", "int16"}
        Sample type; ``"int16"`` returns the integer codes (FLAC: exactly those encoded).

    Returns
    -------
    y : np.ndarray, shape (n,) or (C, n)
        The decoded samples, channels first. Lossy decoders return the codec's delay and
        padding too (see :func:`roundtrip`).
    sr : int
        Its sample rate (48000 for Opus).

    Raises
    ------
    CodecError
        Empty data, data that is not a stream of this codec (e.g. an Ogg Vorbis stream given as
        Opus), or a stream the decoder rejects.

    Examples
    --------
    >>> decode(b"not audio", "flac")
    Traceback (most recent call last):
    ...
    mirbook.codecs.CodecError: flac: not a valid FLAC stream (9 bytes, starts with b'not audi')
    """
    import soundfile as sf

    _check_codec(codec)
    if dtype not in ("float32", "float64", "int16"):
        raise CodecError(codec, f"dtype={dtype!r}: use float32, float64 or int16")
    data = _check_stream(data, codec)
    if codec == "aac":
        b = data
        sr = _ADTS_RATES[(b[2] >> 2) & 0x0F] if ((b[2] >> 2) & 0x0F) < len(_ADTS_RATES) else None
        n_ch = ((b[2] & 0x01) << 2) | (b[3] >> 6)
        if sr is None or n_ch == 0:
            raise CodecError("aac", "unsupported ADTS header (sample rate index or channel layout)")
        raw = _run_ffmpeg(["-f", "aac", "-i", "pipe:0", "-f", "f32le", "-ac", str(n_ch),
                           "-ar", str(sr), "pipe:1"], data, "aac")
        y = np.frombuffer(raw, dtype=np.float32).reshape(-1, n_ch)
        if dtype == "int16":
            y = _to_int16(y)
        else:
            y = y.astype(dtype)
    else:
        try:
            y, sr = sf.read(io.BytesIO(data), dtype=dtype, always_2d=True)
        except (sf.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
            said = re.sub(r"^Error opening <[^>]*>: ", "", str(exc).strip())
            raise CodecError(codec, f"the decoder rejected the stream ({len(data)} bytes): "
                             f"{said}") from None
    if y.shape[0] == 0:
        raise CodecError(codec, "the stream decodes to no samples")
    y = np.ascontiguousarray(y.T)
    return (y[0] if y.shape[0] == 1 else y), int(sr)


# --------------------------------------------------------------------------------------------
# round trip


def estimate_delay(reference, estimate, max_lag=4096) -> int:
    """Lag ``d`` that best aligns ``estimate[n + d]`` with ``reference[n]`` (cross-correlation).

    Codecs add a delay (MP3: LAME's 576 + 529 = 1105 samples; AAC: 1024) and padding to whole
    frames; the lag with the largest cross-correlation, searched in ``[-max_lag, max_lag]``, is
    taken as the delay. Computed with FFTs on the channel means.

    Parameters
    ----------
    reference, estimate : np.ndarray, shape (n,) or (C, n), same sample rate
    max_lag : int

    Returns
    -------
    int
    """
    import scipy.signal

    a = np.asarray(reference, dtype=np.float64)
    b = np.asarray(estimate, dtype=np.float64)
    a = a.mean(axis=0) if a.ndim == 2 else a
    b = b.mean(axis=0) if b.ndim == 2 else b
    c = scipy.signal.correlate(b, a, mode="full", method="fft")
    lags = np.arange(-len(a) + 1, len(b))
    keep = np.abs(lags) <= max_lag
    return int(lags[keep][np.argmax(c[keep])])


def roundtrip(y, sr, codec, bitrate=None, quality=None, *, max_lag=None, full=False):
    """Encode, decode, and return the decoded signal aligned to ``y``.

    The decoded signal is resampled to ``sr`` if the codec changed the rate (Opus), its delay is
    estimated by cross-correlation (:func:`estimate_delay`) and removed, and it is cut or
    zero-padded to the length of ``y``: ``y_hat[..., n]`` is the codec's version of ``y[..., n]``,
    so that ``y - y_hat`` is the codec's error (see :func:`mirbook.signal.snr_db`).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
    sr : int
    codec, bitrate, quality
        As in :func:`encode`.
    max_lag : int, optional
        Largest delay searched, in samples at ``sr``; default ``sr // 10`` (0.1 s).
    full : bool
        Also return ``{"n_bytes", "kbps", "delay"}``.

    Returns
    -------
    y_hat : np.ndarray, float32, same shape as ``y``
    info : dict, only if ``full``
        ``n_bytes`` (stream size), ``kbps`` (achieved bit rate), ``delay`` (samples removed).

    Examples
    --------
    >>> y = 0.1 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> y_hat, info = roundtrip(y, 22050, "mp3", bitrate=64, full=True)
    >>> info["delay"]
    1105
    """
    data = encode(y, sr, codec, bitrate=bitrate, quality=quality)
    z, z_sr = decode(data, codec)
    if z_sr != sr:
        z = resample(z, z_sr, sr)
    y = np.asarray(y)
    ref = y.astype(np.float64) / 32768 if y.dtype == np.int16 else y
    n = y.shape[-1]
    delay = estimate_delay(ref, z, max_lag=sr // 10 if max_lag is None else int(max_lag))
    if z.ndim != y.ndim:
        z = z.mean(axis=0) if z.ndim == 2 else np.broadcast_to(z, y.shape)
    out = np.zeros(y.shape, dtype=np.float32)
    src = z[..., max(delay, 0):]
    start = max(-delay, 0)
    m = min(n - start, src.shape[-1])
    out[..., start:start + m] = src[..., :m]
    if full:
        return out, {"n_bytes": len(data), "kbps": achieved_kbps(data, n / sr), "delay": delay}
    return out


# --------------------------------------------------------------------------------------------
# lossless: prediction and Rice coding


def lpc(y, order):
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
    >>> y = np.sin(0.1 * np.arange(100_000))
    >>> np.round(lpc(y, 2), 3)     # a sinusoid obeys y[n] = 2 cos(0.1) y[n-1] - y[n-2]
    array([ 1.99, -1.  ])
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"lpc: expected a mono signal of shape (n,), got {y.shape}")
    order = int(order)
    if order < 0 or order >= len(y):
        raise ValueError(f"lpc: order={order} must be in [0, {len(y) - 1}]")
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


def flac_residual(y, order, method="lpc"):
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
    >>> y = np.round(1000 * np.sin(0.05 * np.arange(2000))).astype(np.int16)
    >>> int(np.abs(y).max()), int(np.abs(flac_residual(y, 2)[2:]).max())
    (1000, 7)
    """
    import scipy.signal

    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"flac_residual: expected a mono signal of shape (n,), got {y.shape}")
    integer = np.issubdtype(y.dtype, np.integer)
    x = y.astype(np.float64)
    order = int(order)
    if method == "fixed":
        if not 0 <= order <= 4:
            raise ValueError(f"flac_residual: fixed predictors have order 0 to 4, got {order}")
        e = np.concatenate([x[:order], np.diff(x, n=order)])
        return e.astype(np.int64) if integer else e
    if method != "lpc":
        raise ValueError(f"flac_residual: method={method!r}, use 'lpc' or 'fixed'")
    a = lpc(x, order)
    pred = scipy.signal.lfilter(np.r_[0.0, a], [1.0], x)
    if integer:
        pred = np.round(pred)
    e = x - pred
    e[:order] = x[:order]
    return e.astype(np.int64) if integer else e


def rice_size_bytes(residual, block_size=4096) -> int:
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
    """
    e = np.asarray(residual)
    if not np.issubdtype(e.dtype, np.integer):
        raise ValueError("rice_size_bytes: the residual must be integer (use int16 codes)")
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


def compression_ratio(x, sr=None, *, n_bits=16) -> float:
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
    >>> y = np.round(0.1 * np.sin(0.05 * np.arange(44100)) * 32767) / 32767
    >>> compression_ratio(y, 44100) > 4
    True
    """
    import os

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
        raise ValueError("compression_ratio: give sr with a signal")
    y = np.asarray(x)
    data = encode(y, sr, "flac")
    return y.size * n_bits / 8 / len(data)


# --------------------------------------------------------------------------------------------
# lossy-compression detection

#: Defaults of :func:`detection_features`.
N_BANDS = 16
HOLE_DB = 80.0
SHELF_WIDTH = 0.03
#: Bit depth whose rounding noise sets the floor of the ``floor*`` features (files are 16-bit).
FLOOR_BITS = 16
#: Margins (dB) above that floor for ``floor6_b`` and ``floor20_b``; in-band dip (dB) for ``sparse_b``.
FLOOR_DB = (6.0, 20.0)
SPARSE_DB = 30.0


def detection_feature_names(n_bands=N_BANDS):
    """Names of the entries of :func:`detection_features`, in order."""
    return ([f"level_{b}" for b in range(n_bands)] + [f"holes_{b}" for b in range(n_bands)]
            + [f"flicker_{b}" for b in range(n_bands)] + [f"flatness_{b}" for b in range(n_bands)]
            + ["shelf_db", "shelf_position"]
            + [f"floor{int(m)}_{b}" for m in FLOOR_DB for b in range(n_bands)]
            + [f"sparse_{b}" for b in range(n_bands)])


def detection_features(y, sr, *, n_fft=None, n_bands=N_BANDS, hole_db=HOLE_DB):
    """A fixed-length description of the traces lossy codecs leave, whatever the codec.

    A light version of the evidence the CNN of Hennequin et al. (ICASSP 2017) learns from
    spectrogram patches. From the power spectrogram ``|X|^2`` (:func:`mirbook.transforms.stft`,
    ~46 ms Hann windows, 50 % overlap), with ``n_bands`` equal-width bands from 0 Hz to ``sr/2``:

    - ``level_b``: mean log-power of band ``b`` (dB) minus the mean over bands -- the long-term
      spectral envelope; codecs low-pass the top bands (a "shelf");
    - ``holes_b``: share of time-frequency bins of band ``b`` more than ``hole_db`` dB below the
      loudest bin of their frame -- bins the quantizer set to zero;
    - ``flicker_b``: standard deviation over frames of band ``b``'s log-power (dB) -- bands that
      the codec switches on and off from frame to frame;
    - ``flatness_b``: mean over frames of the spectral flatness of band ``b`` (geometric over
      arithmetic mean of its bins' power, 1 for white noise, near 0 for a few lines) -- codecs
      code coarse band energies and fill the fine structure with noise (Opus, Vorbis) or zeros;
    - ``shelf_db``: the steepest drop of the long-term spectrum (dB between the ``3 %`` of the
      bins below and above a frequency), and ``shelf_position``: where it is, as a fraction of
      ``sr / 2``;
    - ``floor6_b``, ``floor20_b``: share of the bins of band ``b`` less than 6 (20) dB above the
      rounding-noise floor of a 16-bit file (``2**-30 / 12`` per sample, times the window's
      energy) -- what is left of a coefficient the codec set to zero once the decoded signal is
      stored as 16-bit integers, whatever the codec and whatever the loudness of the frame;
    - ``sparse_b``: share of the bins of band ``b`` more than 30 dB below the band's mean power in
      their frame -- isolated zeroed coefficients inside a band that is still coded.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
        Audio (channels averaged), at least ``n_fft`` samples.
    sr : int
    n_fft : int, optional
        Default: the power of two nearest to 46 ms (1024 at 22.05 kHz, 2048 at 44.1 kHz).
    n_bands : int
    hole_db : float

    Returns
    -------
    np.ndarray, shape (7 * n_bands + 2,), float64
        In the order of :func:`detection_feature_names`.

    Examples
    --------
    >>> y = 0.1 * np.random.default_rng(0).standard_normal(22050)
    >>> detection_features(y, 22050).shape
    (114,)
    """
    from .transforms import stft

    if n_fft is None:
        n_fft = int(2 ** np.round(np.log2(0.046 * sr)))
    y = validate_audio(y, sr, name="detection_features input", n_fft=n_fft)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        y = y.mean(axis=0)
    P = np.abs(stft(y, n_fft=n_fft, hop_length=n_fft // 2)) ** 2
    frame_max = P.max(axis=0, keepdims=True)
    active = frame_max[0] > 1e-10 * max(float(frame_max.max()), 1e-30)   # skip digital silence
    if not active.any():
        active[:] = True
    P = P[:, active]
    db = 10 * np.log10(P + 1e-12)
    bands = np.array_split(np.arange(P.shape[0]), n_bands)
    long_term = 10 * np.log10(P.mean(axis=1) + 1e-12)
    level = np.array([long_term[b].mean() for b in bands])
    level -= level.mean()
    holes = np.array([(db[b] < db.max(axis=0) - hole_db).mean() for b in bands])
    band_db = np.stack([10 * np.log10(P[b].mean(axis=0) + 1e-12) for b in bands])
    flicker = band_db.std(axis=1)
    flatness = np.array([np.mean(np.exp(np.log(P[b] + 1e-12).mean(axis=0)) / (P[b].mean(axis=0) + 1e-12))
                         for b in bands])
    w = max(2, int(SHELF_WIDTH * P.shape[0]))
    c = np.concatenate([[0.0], np.cumsum(long_term)])
    k = np.arange(w, len(long_term) - w + 1)
    drop = (c[k] - c[k - w]) / w - (c[k + w] - c[k]) / w
    i = int(np.argmax(drop))
    shelf = np.array([drop[i], k[i] / P.shape[0]])
    window_energy = 0.375 * n_fft                       # sum of a periodic Hann window squared
    floor_db = 10 * np.log10(2.0 ** (2 - 2 * FLOOR_BITS) / 12 * window_energy)
    at_floor = [np.array([(db[b] < floor_db + m).mean() for b in bands]) for m in FLOOR_DB]
    sparse = np.array([(db[b] < band_db[i] - SPARSE_DB).mean() for i, b in enumerate(bands)])
    return np.concatenate([level, holes, flicker, flatness, shelf, *at_floor, sparse])


def _parse_condition(condition):
    """``"original"``, ``"mp3@64"``, ``"vorbis@q0.3"``, ``"aac@96>flac"`` -> (codec, bitrate, quality, flac)."""
    cond, _, container = str(condition).partition(">")
    if container not in ("", "flac"):
        raise ValueError(f"condition {condition!r}: only '>flac' may follow a codec")
    if cond == "original":
        return None, None, None, bool(container)
    codec, _, rate = cond.partition("@")
    if codec == "resample":
        return "resample", int(check_sr(float(rate))), None, bool(container)
    _check_codec(codec)
    if rate.startswith("q"):
        return codec, None, float(rate[1:]), bool(container)
    return codec, (float(rate) if rate else None), None, bool(container)


def apply_condition(y, sr, condition):
    """The signal as a file made under ``condition`` would hold it, read back as 16-bit PCM.

    Every version is rounded to 16 bits, as the original (a 16-bit file) is: a detector must not
    be able to tell them apart by their bit depth, only by what the codec removed.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr : int
    condition : str
        ``"original"``; ``"resample@<Hz>"``: resampled to that rate and back, no codec (the
        resampling Opus needs, on its own: a lossless control); ``"<codec>@<kbit/s>"`` (e.g.
        ``"mp3@64"``) or ``"<codec>@q<quality>"`` (``"vorbis@q0.3"``): encoded, decoded and
        aligned (:func:`roundtrip`); a ``">flac"``
        suffix (``"aac@96>flac"``) then really stores the result as FLAC and reads it back --
        a *transcoded* file: lossless container, lossy content.

    Returns
    -------
    np.ndarray, shape (n,), float32, on the 16-bit grid
    """
    codec, bitrate, quality, to_flac = _parse_condition(condition)
    if codec is None:
        z = np.asarray(y, dtype=np.float32)
    elif codec == "resample":
        z = resample(resample(y, sr, bitrate), bitrate, sr)[..., : np.shape(y)[-1]]
    else:
        z = roundtrip(y, sr, codec, bitrate=bitrate, quality=quality)
    codes = _to_int16(z)
    if to_flac:
        codes, _ = decode(encode(codes, sr, "flac"), "flac", dtype="int16")
    return (codes / 32768.0).astype(np.float32)


def detection_set(signals, sr, conditions, *, n_jobs=2, **kwargs):
    """Features of every signal under every condition (the labelled set of chapter 2).

    Parameters
    ----------
    signals : list of np.ndarray, each shape (n,)
    sr : int
    conditions : list of str
        See :func:`apply_condition`.
    n_jobs : int
        Threads (the encoders run in C or in an ffmpeg process, outside Python's lock).
    **kwargs
        Passed to :func:`detection_features`.

    Returns
    -------
    X : np.ndarray, shape (len(signals), len(conditions), n_features)

    Examples
    --------
    >>> X = detection_set([y1, y2], 22050, ["original", "mp3@64"])     # doctest: +SKIP
    >>> X.shape                                                          # doctest: +SKIP
    (2, 2, 66)
    """
    from concurrent.futures import ThreadPoolExecutor

    for c in conditions:
        _parse_condition(c)
    jobs = [(i, j) for i in range(len(signals)) for j in range(len(conditions))]

    def one(ij):
        i, j = ij
        return detection_features(apply_condition(signals[i], sr, conditions[j]), sr, **kwargs)

    if n_jobs > 1:
        with ThreadPoolExecutor(n_jobs) as pool:
            feats = list(pool.map(one, jobs))
    else:
        feats = [one(ij) for ij in jobs]
    return np.array(feats).reshape(len(signals), len(conditions), -1)


def is_lossy(condition) -> bool:
    """Whether a condition of :func:`apply_condition` went through a lossy codec (the label)."""
    return _parse_condition(condition)[0] not in (None, "resample")
