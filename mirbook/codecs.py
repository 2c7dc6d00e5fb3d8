"""Audio codecs: encode, decode, round trips, delays and bit rates, all in memory.

The codec I/O of chapter 2 (``notebooks/02_compression.ipynb``). A 4-minute CD track weighs about
40 MB as PCM and about 4 MB as MP3 at 128 kbit/s {Moussallam 2018}. Two families of codecs:

- **lossless** (FLAC): predict each sample from the previous ones and store the small prediction
  residual with a variable-length (Rice) code; decoding is exact (the theory is in
  :mod:`mirbook.lossless`);
- **lossy** (MP3, Ogg Vorbis, Opus, AAC): quantize a time-frequency transform as coarsely as
  the ear allows; what it removes leaves traces that :mod:`mirbook.lossy_detection` measures.

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
>>> data = codecs.encode(y, sr=22050, codec="mp3", bitrate=64)
>>> round(codecs.achieved_kbps(data, duration=1.0))              # a little above 64
69
>>> codecs.roundtrip(y, sr=22050, codec="mp3", bitrate=64).shape
(22050,)
"""

from __future__ import annotations

import functools
import io
import re
import subprocess

import numpy as np

from mirbook._validate import finite_real, positive_int
from mirbook.errors import AudioFileError, CodecError, ParameterError
from mirbook.io import check_sr, resample, validate_audio

__all__ = [
    "CODECS",
    "LOSSY",
    "available_codecs",
    "encode",
    "decode",
    "roundtrip",
    "estimate_delay",
    "achieved_kbps",
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

    Examples
    --------
    >>> available_codecs()["flac"]
    'soundfile'

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
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
        y = validate_audio(y, sr=sr, name=f"{codec} input")
    except (AudioFileError, ParameterError) as exc:
        raise CodecError(codec, getattr(exc, "problem", str(exc))) from None
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


def achieved_kbps(data, *, duration) -> float:
    """Bit rate actually spent, from the byte count: ``8 * len(data) / duration / 1000``.

    Parameters
    ----------
    data : bytes
        An encoded stream (headers included).
    duration : float
        Length of the audio it holds, in seconds.

    Returns
    -------
    kbps : float

    Examples
    --------
    >>> achieved_kbps(bytes(16000), duration=1.0)
    128.0

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    duration = finite_real(duration, "duration", low=0.0, low_open=True)
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
        return data, achieved_kbps(data, duration=duration)

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
        frames = resample(frames.T, orig_sr=sr, target_sr=OPUS_SR).T
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


def encode(y, *, sr, codec, bitrate=None, quality=None) -> bytes:
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
    >>> round(len(encode(y, sr=44100, codec="mp3", bitrate=128)) * 8 / 1000)    # kbit in 1 s
    134

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
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


def decode(data, *, codec, dtype="float32"):
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
    >>> decode(b"not audio", codec="flac")
    Traceback (most recent call last):
    ...
    mirbook.errors.CodecError: flac: not a valid FLAC stream (9 bytes, starts with b'not audi')

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
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


def estimate_delay(reference, estimate, *, max_lag=4096) -> int:
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

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(1000)
    >>> estimate_delay(y, np.r_[np.zeros(37), y])
    37

    Used in the chapter notebook ``notebooks/02_compression.ipynb``.
    """
    import scipy.signal

    max_lag = positive_int(max_lag, "max_lag")

    a = np.asarray(reference, dtype=np.float64)
    b = np.asarray(estimate, dtype=np.float64)
    a = a.mean(axis=0) if a.ndim == 2 else a
    b = b.mean(axis=0) if b.ndim == 2 else b
    c = scipy.signal.correlate(b, a, mode="full", method="fft")
    lags = np.arange(-len(a) + 1, len(b))
    keep = np.abs(lags) <= max_lag
    return int(lags[keep][np.argmax(c[keep])])


def roundtrip(y, *, sr, codec, bitrate=None, quality=None, max_lag=None, return_info=False):
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
    return_info : bool
        Also return ``{"n_bytes", "kbps", "delay"}``.

    Returns
    -------
    y_hat : np.ndarray, float32, same shape as ``y``
    info : dict, only if ``return_info``
        ``n_bytes`` (stream size), ``kbps`` (achieved bit rate), ``delay`` (samples removed).

    Examples
    --------
    >>> y = 0.1 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> y_hat, info = roundtrip(y, sr=22050, codec="mp3", bitrate=64, return_info=True)
    >>> info["delay"]
    1105

    Used in the chapter notebooks ``notebooks/02_compression.ipynb`` and
    ``notebooks/03_task_map.ipynb``.
    """
    data = encode(y, sr=sr, codec=codec, bitrate=bitrate, quality=quality)
    z, z_sr = decode(data, codec=codec)
    if z_sr != sr:
        z = resample(z, orig_sr=z_sr, target_sr=sr)
    y = np.asarray(y)
    ref = y.astype(np.float64) / 32768 if y.dtype == np.int16 else y
    n = y.shape[-1]
    delay = estimate_delay(ref, z, max_lag=sr // 10 if max_lag is None else max_lag)
    if z.ndim != y.ndim:
        z = z.mean(axis=0) if z.ndim == 2 else np.broadcast_to(z, y.shape)
    out = np.zeros(y.shape, dtype=np.float32)
    src = z[..., max(delay, 0):]
    start = max(-delay, 0)
    m = min(n - start, src.shape[-1])
    out[..., start:start + m] = src[..., :m]
    if return_info:
        return out, {"n_bytes": len(data), "kbps": achieved_kbps(data, duration=n / sr),
                     "delay": delay}
    return out
