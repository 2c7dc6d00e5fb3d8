"""Reading and writing audio, with errors that name the file and the problem.

Chapter 1 (``notebooks/01_sampling_quantization.ipynb``) introduces the digital signal this module
returns: a float32 array in [-1, 1], of shape ``(n,)`` for mono or ``(C, n)`` for ``C`` channels
(librosa's convention: channels first).

Everything that reads audio in mirbook goes through :func:`load_audio`, so that a bad file is
reported the same way everywhere: :class:`FileNotFoundError` when it is missing, an
:class:`~mirbook.errors.AudioFileError` (a :class:`ValueError`) for every other problem of the
file, and a :class:`~mirbook.errors.ParameterError` (also a :class:`ValueError`) for a bad
argument.

The rule for damaged audio (``strict=True``, the default): a file is refused unless

- the decoder delivers every frame its header (or index) promises for the part asked for, within
  the codec's padding (none for PCM, ADPCM, FLAC, AIFF; two codec frames for MP3, Vorbis, Opus),
- the container's chunk sizes agree with the bytes present (a WAV still being copied), and
- the decoder (libsndfile, libmpg123, libvorbis, ffmpeg) reports nothing: whatever a C decoder
  writes to the process's stderr is captured (it never reaches stderr) and is an error.

``strict=False`` returns what decodes, with an :class:`AudioWarning` saying what is wrong.
Float files whose samples exceed [-1, 1] are clipped with an :class:`AudioWarning`, never
silently.

>>> import numpy as np, tempfile, os
>>> folder = tempfile.mkdtemp()
>>> path = save_audio(os.path.join(folder, "a.wav"), np.zeros(2205), sr=22050)
>>> y, sr = load_audio(path)
>>> y.shape, y.dtype, sr
((2205,), dtype('float32'), 22050)
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

from mirbook import _validate
from mirbook.errors import AudioFileError, ParameterError
from mirbook.utils import _apply_umask

__all__ = [
    "AudioFileError", "AudioWarning", "MIN_SR", "MAX_SR", "load_audio", "save_audio",
    "resample", "validate_audio", "atomic_path",
]

#: Sample rates outside this range are rejected as absurd (Hz).
MIN_SR = 1_000
MAX_SR = 768_000

#: Frames a lossy decoder may deliver fewer than its header promises (encoder padding), per
#: soundfile subtype. Every other subtype must deliver every frame.
_CODEC_PADDING = {"MPEG_LAYER_I": 768, "MPEG_LAYER_II": 2304, "MPEG_LAYER_III": 2304,
                  "VORBIS": 2048, "OPUS": 1920}

_BLOCK = 1 << 18  # frames decoded per call (and per seek-by-reading step)


class AudioWarning(UserWarning):
    """Audio that was loaded although something is wrong with it (``strict=False``, clipping)."""


_AUDIO_MAGIC = {
    b"RIFF": "WAV", b"RIFX": "WAV", b"RF64": "WAV", b"BW64": "WAV", b"riff": "W64",
    b"FORM": "AIFF", b"fLaC": "FLAC", b"OggS": "Ogg", b"ID3": "MP3",
    b"\xff\xfb": "MP3", b"\xff\xf3": "MP3", b"\xff\xf2": "MP3",
}

#: What the first bytes of a file must look like for the extensions we know (an ID3v2 tag may
#: precede FLAC and MP3 data; W64 and RF64 content is accepted under ``.wav``).
_EXPECTED_MAGIC = {
    ".wav": ("WAV", (b"RIFF", b"RIFX", b"RF64", b"BW64", b"riff")),
    ".flac": ("FLAC", (b"fLaC", b"ID3")),
    ".ogg": ("Ogg", (b"OggS",)),
    ".oga": ("Ogg", (b"OggS",)),
    ".opus": ("Ogg", (b"OggS",)),
    ".aif": ("AIFF", (b"FORM",)),
    ".aiff": ("AIFF", (b"FORM",)),
}


def check_sr(sr, name="sr") -> int:
    """Return ``sr`` as an int, or raise :class:`ParameterError` if it is not a plausible rate.

    A validation helper for mirbook's own modules (not in ``__all__``).

    Parameters
    ----------
    sr : number
        Sample rate in Hz; must be a whole number in ``[MIN_SR, MAX_SR]``.
    name : str
        Name of the parameter, for the message.

    Examples
    --------
    >>> check_sr(44100.0)
    44100
    >>> check_sr(10)
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: sr=10 Hz is absurd: expected between 1000 and 768000 Hz
    """
    if isinstance(sr, bool) or not isinstance(sr, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{name}={sr!r}: a sample rate must be a number of Hz")
    if not np.isfinite(sr) or sr <= 0:
        raise ParameterError(f"{name}={sr!r}: a sample rate must be positive")
    if int(sr) != sr:
        raise ParameterError(f"{name}={sr!r}: a sample rate must be a whole number of Hz")
    if not MIN_SR <= sr <= MAX_SR:
        raise ParameterError(f"{name}={sr!r} Hz is absurd: expected between {MIN_SR} and "
                             f"{MAX_SR} Hz")
    return int(sr)


def validate_audio(y, *, sr=None, name="audio", n_fft=None):
    """Check a signal before any computation.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
        Samples, channels first.
    sr : int, optional
        Sample rate, checked with :func:`check_sr` when given.
    name : str
        The file or variable the signal came from, used in messages.
    n_fft : int, optional
        If given, the signal must hold at least ``n_fft`` samples.

    Returns
    -------
    y : np.ndarray, shape (n,) or (C, n)
        ``np.asarray(y)``.

    Raises
    ------
    ParameterError
        ``sr`` or ``n_fft`` is not valid.
    AudioFileError
        Empty signal, more than two dimensions, NaN or Inf samples, too short for ``n_fft``.

    Examples
    --------
    >>> validate_audio(np.zeros(4), sr=22050).shape
    (4,)
    >>> validate_audio(np.array([0.0, np.nan]), name="take")
    Traceback (most recent call last):
    ...
    mirbook.errors.AudioFileError: take: 1 NaN/Inf sample(s), the first at sample 1
    """
    if sr is not None:
        sr = check_sr(sr)
    if n_fft is not None:
        n_fft = _validate.positive_int(n_fft, "n_fft")
    y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise AudioFileError(name, f"expected shape (n,) or (channels, n), got {y.shape}")
    if not np.issubdtype(y.dtype, np.number):
        raise AudioFileError(name, f"samples must be numbers, got dtype {y.dtype}")
    if y.size == 0 or y.shape[-1] == 0:
        raise AudioFileError(name, "zero-length audio (no samples)")
    if np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.complexfloating):
        bad = ~np.isfinite(y)
        if bad.any():
            first = int(np.argwhere(bad)[0][-1])
            raise AudioFileError(
                name, f"{int(bad.sum())} NaN/Inf sample(s), the first at sample {first}"
            )
    if n_fft is not None and y.shape[-1] < n_fft:
        raise AudioFileError(
            name,
            f"signal is {y.shape[-1]} samples long, shorter than n_fft={n_fft}"
            + (f" ({y.shape[-1] / sr:.4f} s at {sr} Hz)" if sr else ""),
        )
    return y


# --------------------------------------------------------------------------------------------
# the file before any decoder sees it


def _stat(path: Path) -> os.stat_result:
    """``os.stat`` with each failure named: missing, broken link, link loop, no permission."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise AudioFileError(path, f"broken symbolic link (to {os.readlink(path)!r})") \
                from None
        raise FileNotFoundError(errno.ENOENT, f"{path}: no such audio file", str(path)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AudioFileError(path, "symbolic link loop (the link points back to itself)") \
                from None
        if exc.errno == errno.EACCES:
            raise AudioFileError(path, "permission denied") from None
        raise AudioFileError(path, f"cannot read it ({exc.strerror})") from None
    kind = None
    if stat.S_ISDIR(st.st_mode):
        kind = "is a directory, not an audio file"
    elif stat.S_ISFIFO(st.st_mode):
        kind = "is a FIFO (named pipe), not a regular audio file"
    elif stat.S_ISCHR(st.st_mode):
        kind = "is a character device, not a regular audio file"
    elif stat.S_ISBLK(st.st_mode):
        kind = "is a block device, not a regular audio file"
    elif stat.S_ISSOCK(st.st_mode):
        kind = "is a socket, not a regular audio file"
    if kind:
        raise AudioFileError(path, kind)
    if st.st_size == 0:
        raise AudioFileError(path, "empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise AudioFileError(path, "permission denied")
    return st


def _mp3_sync_in(data: bytes) -> bool:
    """Whether ``data`` holds an MPEG audio frame header (sync, valid version/layer/rate)."""
    for i in range(len(data) - 3):
        if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0:
            b1, b2 = data[i + 1], data[i + 2]
            if (b1 >> 3) & 3 != 1 and (b1 >> 1) & 3 != 0 and b2 >> 4 not in (0, 15) \
                    and (b2 >> 2) & 3 != 3:
                return True
    return False


def _check_magic(path: Path, size: int) -> None:
    """Refuse a file whose content does not match its extension, with a clear message."""
    ext = path.suffix.lower()
    with open(path, "rb") as f:
        head = f.read(65536)
    if ext == ".mp3":
        kind = "MP3"
        ok = head.startswith(b"ID3") or _mp3_sync_in(head)  # leading junk is allowed
    elif ext in _EXPECTED_MAGIC:
        kind, magics = _EXPECTED_MAGIC[ext]
        ok = head.startswith(magics)
    else:
        return
    if not ok:
        if len(head) < 4:
            raise AudioFileError(path, f"truncated or corrupt {kind} header ({size} bytes)")
        raise AudioFileError(
            path, f"not an audio file soundfile can read: the extension says {kind} but the "
                  f"content starts with {head[:8]!r} ({size} bytes)")


def _kind_of(path: Path) -> str | None:
    with open(path, "rb") as f:
        head = f.read(16)
    for magic, kind in _AUDIO_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def _diagnose_unopenable(path: Path, size: int, exc: Exception) -> str:
    """Explain why soundfile could not open ``path`` (the header could not be parsed)."""
    kind = _kind_of(path)
    said = str(exc).strip()
    said = re.sub(r"^Error opening b?'[^']*': ", "", said)
    if kind in ("WAV", "W64", "AIFF") or (kind is not None and size < 4096):
        return f"truncated or corrupt {kind} header ({size} bytes; the decoder said: {said})"
    if kind is not None:
        return f"corrupt {kind} file ({size} bytes): the decoder cannot open it ({said})"
    with open(path, "rb") as f:
        head = f.read(8)
    return f"not an audio file soundfile can read ({size} bytes, starts with {head!r})"


# --------------------------------------------------------------------------------------------
# decoding with C-level stderr captured

_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _captured_stderr():
    """Redirect file descriptor 2 into a temporary file; yield a list that receives the text.

    C decoders (libmpg123 inside libsndfile) print warnings with ``fprintf(stderr, ...)``, which
    ``sys.stderr`` cannot intercept and which would fail the book build: the descriptor itself is
    redirected around the call (one call at a time, under a lock).
    """
    out = []
    with _STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no descriptor 2 at all: nothing can reach it anyway
            yield out
            return
        try:
            with tempfile.TemporaryFile() as tmp:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os.dup2(tmp.fileno(), 2)
                try:
                    yield out
                finally:
                    os.dup2(saved, 2)
                    tmp.seek(0)
                    out.append(tmp.read().decode("utf-8", "replace"))
        finally:
            os.close(saved)


def _available_memory() -> int | None:
    """Bytes of memory available now (Linux/macOS ``sysconf``), or None when unknown."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _check_memory(path, n_frames, channels, sr):
    need = int(n_frames) * int(channels) * 4
    avail = _available_memory()
    if avail is not None and need > avail // 2:
        raise AudioFileError(
            path, f"holds {n_frames / sr / 3600:.2f} h of audio ({n_frames} frames x {channels} "
                  f"channel(s) = {need / 2**30:.2f} GiB as float32), more than half the "
                  f"{avail / 2**30:.2f} GiB of memory available; read a part with offset= and "
                  "duration=")


_CHUNK_MISMATCH = re.compile(r"^\s*(data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.M)


def _header_promise(info_text: str, frames: int):
    """``(promised, present)`` frames when the WAV/AIFF data chunk is larger than the bytes
    present (a file cut short, or still being copied); ``None`` when they agree."""
    m = _CHUNK_MISMATCH.search(info_text or "")
    if not m or frames <= 0:
        return None
    promised, present = int(m.group(2)), int(m.group(3))
    if promised <= present + 1 or present <= 0:  # a missing pad byte is harmless
        return None
    return int(round(frames * promised / present)), frames


def _read_soundfile(path: Path, size: int, offset, duration, problems):
    """Decode with libsndfile; append each problem (a string) to ``problems``."""
    import soundfile as sf

    try:
        f = sf.SoundFile(os.fsencode(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        return None, _diagnose_unopenable(path, size, exc)
    with f:
        file_sr, channels, frames, subtype = f.samplerate, f.channels, f.frames, f.subtype
        if file_sr <= 0:
            raise AudioFileError(path, f"header gives an invalid sample rate ({file_sr} Hz)")
        try:
            check_sr(file_sr)
        except ParameterError as exc:
            raise AudioFileError(path, f"the file's {exc}") from None
        promise = _header_promise(f.extra_info, frames)
        if promise is not None:
            problems.append(
                f"truncated: the header promises {promise[0]} frames "
                f"({promise[0] / file_sr:.3f} s) but the file holds {promise[1]} "
                f"({promise[1] / file_sr:.3f} s); is it still being copied?")
        if frames <= 0:
            raise AudioFileError(path, "zero-length audio (the file holds no samples)"
                                 if size < 1024 or f.format in ("WAV", "AIFF", "W64")
                                 else f"corrupt {f.format} file: the decoder finds no frame "
                                      f"in {size} bytes")
        start = int(round(offset * file_sr))
        if start >= frames:
            raise ParameterError(
                f"offset={offset!r} s is at or past the end of {path} "
                f"({frames / file_sr:.3f} s long)")
        want = frames - start if duration is None else min(int(round(duration * file_sr)),
                                                           frames - start)
        kind = _kind_of(path) or f.format
        # libmpg123 garbles the bit reservoir (and says so on stderr) when libsndfile reads or
        # seeks an MP3 in several calls: decode it whole, in one call, then cut.
        whole = subtype.startswith("MPEG")
        _check_memory(path, frames if whole else want, channels, file_sr)
        done, out = 0, np.empty((0, channels), dtype=np.float32)
        try:
            if whole:
                out = np.empty((frames, channels), dtype=np.float32)
                got = len(f.read(frames=frames, dtype="float32", always_2d=True, out=out))
                done = max(0, min(got - start, want))
                out = out[start:start + done]
            else:
                if start and f.seekable():
                    f.seek(start)
                else:  # non-seekable codecs (GSM 6.10, G.72x, NMS ADPCM): read up to start
                    skip = start
                    while skip > 0:
                        got = len(f.read(frames=min(_BLOCK, skip), dtype="float32",
                                         always_2d=True))
                        if got == 0:
                            break
                        skip -= got
                out = np.empty((want, channels), dtype=np.float32)
                while done < want:
                    n = min(_BLOCK, want - done)
                    got = len(f.read(frames=n, dtype="float32", always_2d=True,
                                     out=out[done:done + n]))
                    done += got
                    if got < n:
                        break
        except (sf.LibsndfileError, RuntimeError) as exc:
            said = str(exc).strip().removeprefix("Error : ")
            problems.append(f"corrupt {kind} data after {start + done} of {frames} frames "
                            f"(the decoder said: {said})")
        else:
            if want - done > _CODEC_PADDING.get(subtype, 0):
                problems.append(
                    f"truncated or corrupt {kind} data: decoded {start + done} of the {frames} "
                    f"frames the header promises ({(start + done) / file_sr:.3f} s of "
                    f"{frames / file_sr:.3f} s)")
        return (out[:done].T, file_sr, subtype), None


_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "quad": 4, "4.0": 4, "5.0": 5,
            "5.1": 6, "6.1": 7, "7.1": 8}


def _read_ffmpeg(path: Path, offset, duration, problems):
    """Decode what libsndfile cannot open (AAC/M4A, WMA...) with the ffmpeg of imageio-ffmpeg."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None
    probe = subprocess.run([exe, "-hide_banner", "-nostdin", "-i", os.fsencode(path)],
                           capture_output=True, timeout=60)
    text = probe.stderr.decode("utf-8", "replace")
    m = re.search(r"Stream #\S+.*?: Audio: [^,]+, (\d+) Hz, ([^,]+)", text)
    if not m:
        return None
    file_sr = int(m.group(1))
    layout = m.group(2).strip()
    lm = re.match(r"(\d+) channels", layout)
    channels = int(lm.group(1)) if lm else _LAYOUTS.get(layout.split("(")[0])
    if channels is None:
        return None
    try:
        check_sr(file_sr)
    except ParameterError as exc:
        raise AudioFileError(path, f"the file's {exc}") from None
    cmd = [exe, "-hide_banner", "-nostdin", "-v", "error", "-i", os.fsencode(path)]
    if offset:
        cmd[4:4] = ["-ss", f"{offset:.6f}"]
    if duration is not None:
        cmd += ["-t", f"{duration:.6f}"]
    cmd += ["-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(channels), "-"]
    done = subprocess.run(cmd, capture_output=True, timeout=3600)
    said = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0 or said:
        problems.append(f"corrupt audio (ffmpeg said: {said.splitlines()[0] if said else done.returncode})")
    data = np.frombuffer(done.stdout, dtype="<f4")
    data = data[: data.size - data.size % channels].reshape(-1, channels)
    if offset and data.size == 0 and not problems:
        raise ParameterError(f"offset={offset!r} s is at or past the end of {path}")
    return data.T.astype(np.float32), file_sr, "ffmpeg"


def _set_channels(y: np.ndarray, channels: int | None, mono: bool, path) -> np.ndarray:
    n_in = y.shape[0]
    if channels is None:
        channels = 1 if mono else None
    if channels is None or channels == n_in:
        return y
    if channels == 1:
        return y.mean(axis=0, keepdims=True)
    if channels == 2 and n_in == 1:
        return np.repeat(y, 2, axis=0)
    raise AudioFileError(
        path,
        f"cannot make {channels} channel(s) from {n_in}: supported layouts are mono (channels=1, "
        "the mean of all channels), stereo (channels=2, from mono or stereo) or channels=None "
        "(as stored)",
    )


def load_audio(
    path,
    *,
    sr=None,
    mono: bool = True,
    channels: int | None = None,
    offset: float = 0.0,
    duration: float | None = None,
    n_fft: int | None = None,
    strict: bool = True,
):
    """Load an audio file as float32 samples in [-1, 1].

    Reads anything soundfile (libsndfile) reads: WAV (PCM, float, ADPCM, GSM 6.10, G.72x...),
    W64, RF64, FLAC, Ogg Vorbis, Opus, MP3, AIFF...; and what it cannot open but the ffmpeg that
    ``imageio-ffmpeg`` ships can (AAC in ``.m4a``, for instance). No decoder message reaches the
    process's stderr.

    Parameters
    ----------
    path : str or os.PathLike
        The file (any name the file system accepts, UTF-8 or not).
    sr : int, optional
        Target sample rate: the signal is resampled with :func:`resample` if the file's differs.
        ``None`` keeps the file's rate.
    mono : bool
        Average the channels into one (librosa's default). Ignored when ``channels`` is given.
    channels : {None, 1, 2}, optional
        Ask for an exact layout: 1 (mono), 2 (stereo; a mono file is duplicated). A request the
        file cannot meet (e.g. stereo from a 6-channel file) raises :class:`AudioFileError`.
    offset : float
        Start time in seconds (>= 0, before the end of the file).
    duration : float, optional
        Length to read in seconds (> 0); default: to the end.
    n_fft : int, optional
        Require at least this many samples (after resampling), e.g. the FFT size the caller uses.
    strict : bool
        Refuse damaged audio (see the module's rule: every promised frame decoded, the container
        consistent, no decoder message). ``False`` returns what decodes, with an
        :class:`AudioWarning`.

    Returns
    -------
    y : np.ndarray, shape (n,) for mono, (C, n) otherwise, float32
        The samples, channels first, in [-1, 1]. Float files with peaks above 1.0 are clipped
        with an :class:`AudioWarning`; the small overshoot of resampling is clipped too.
    sr : int
        The sample rate of ``y``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ParameterError
        (a ValueError) A bad argument: ``sr``, ``channels``, ``offset`` (negative, NaN, not a
        number, past the end of the file), ``duration``, ``n_fft``, ``strict``.
    AudioFileError
        (a ValueError) Not a regular file, empty, truncated or corrupt, not audio, zero-length,
        NaN/Inf samples, unsupported channel request, absurd sample rate, too large for the
        memory available, or shorter than ``n_fft``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = save_audio(os.path.join(tempfile.mkdtemp(), "t.flac"), np.zeros((2, 4410)),
    ...                   sr=44100)
    >>> y, sr = load_audio(path, sr=22050)
    >>> y.shape, y.dtype, sr
    ((2205,), dtype('float32'), 22050)
    >>> load_audio(path, offset=-1)
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: offset=-1.0: expected a value >= 0
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise ParameterError(f"path={path!r}: expected a file name (str or os.PathLike)")
    path = Path(os.fsdecode(path))
    if sr is not None:
        sr = check_sr(sr)
    if channels is not None and (isinstance(channels, bool) or channels not in (1, 2)):
        raise ParameterError(f"channels={channels!r}: only 1 (mono), 2 (stereo) or None")
    offset = _validate.finite_real(offset, "offset", low=0)
    if duration is not None:
        duration = _validate.finite_real(duration, "duration", low=0, low_open=True)
    if n_fft is not None:
        n_fft = _validate.positive_int(n_fft, "n_fft")
    for flag, value in (("mono", mono), ("strict", strict)):
        if not isinstance(value, (bool, np.bool_)):
            raise ParameterError(f"{flag}={value!r}: expected True or False")

    size = _stat(path).st_size
    _check_magic(path, size)
    problems = []
    with _captured_stderr() as said:
        result, why = _read_soundfile(path, size, offset, duration, problems)
        if result is None:
            result = _read_ffmpeg(path, offset, duration, problems)
    if said and said[0].strip():
        lines = [ln.strip() for ln in said[0].splitlines() if ln.strip()]
        problems.append(f"the decoder reported {len(lines)} problem(s), the first: {lines[0]}")
    if result is None:
        raise AudioFileError(path, why)
    y, file_sr, subtype = result
    if problems and y.shape[-1] == 0:
        raise AudioFileError(path, "; ".join(problems) + " (nothing decodes)")
    if problems:
        if strict:
            raise AudioFileError(path, "; ".join(problems) + " (strict=False loads what decodes)")
        warnings.warn(f"{path}: {'; '.join(problems)}", AudioWarning, stacklevel=2)
    if y.shape[-1] == 0:
        raise AudioFileError(path, "zero-length audio (the file holds no samples)")
    validate_audio(y, name=str(path))
    peak = float(np.max(np.abs(y)))
    if peak > 1.0:
        n_over = int(np.count_nonzero(np.abs(y) > 1.0))
        warnings.warn(f"{path}: {subtype} samples peak at {peak:.4g} ({n_over} sample(s) beyond "
                      "[-1, 1]); clipped to [-1, 1]", AudioWarning, stacklevel=2)
    y = _set_channels(y, channels, mono, path)
    if sr is not None and sr != file_sr:
        y = resample(y, orig_sr=file_sr, target_sr=sr)
    else:
        sr = file_sr
    y = np.clip(y, -1.0, 1.0).astype(np.float32, copy=False)
    if y.shape[0] == 1:
        y = y[0]
    validate_audio(y, sr=sr, name=str(path), n_fft=n_fft)
    return y, sr


def resample(y, *, orig_sr, target_sr):
    """Resample along the last axis with soxr (high quality): mirbook's one resampler.

    Parameters
    ----------
    y : np.ndarray, shape (..., n)
    orig_sr, target_sr : int
        Sample rates in Hz (checked with :func:`check_sr`).

    Returns
    -------
    y_res : np.ndarray, shape (..., m), float32, with m = ceil(n * target_sr / orig_sr)

    Examples
    --------
    >>> resample(np.zeros((2, 44100)), orig_sr=44100, target_sr=22050).shape
    (2, 22050)
    """
    import soxr

    orig_sr, target_sr = check_sr(orig_sr, "orig_sr"), check_sr(target_sr, "target_sr")
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 0:
        raise ParameterError(f"y: expected an array of shape (..., n), got a scalar")
    if orig_sr == target_sr:
        return y
    shape = y.shape
    flat = y.reshape(-1, shape[-1])
    out = soxr.resample(flat.T, orig_sr, target_sr, quality="HQ")
    out = np.ascontiguousarray(np.asarray(out).reshape(out.shape[0], -1).T, dtype=np.float32)
    return out.reshape(*shape[:-1], out.shape[-1])


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    A reader never sees a half-written file, and an interrupted write leaves nothing behind (a
    process killed outright leaves a ``.NAME.XXXX.part`` file, which the corpus build and
    :func:`mirbook.download.sweep_partial` remove). The file gets the mode the umask gives.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace.

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("whole")
    >>> open(target).read()
    'whole'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        _apply_umask(tmp)  # mkstemp makes 0600 whatever the umask
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".aiff": "AIFF", ".aif": "AIFF"}


def save_audio(path, y, *, sr, subtype=None):
    """Write ``y`` to ``path`` atomically (format from the extension: wav, flac, ogg, aiff).

    Parameters
    ----------
    path : str or os.PathLike
    y : np.ndarray, shape (n,) or (C, n), float in [-1, 1]
    sr : int
    subtype : str, optional
        soundfile subtype, e.g. ``"PCM_16"`` (default for wav/flac/aiff) or ``"VORBIS"``.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import tempfile, os
    >>> save_audio(os.path.join(tempfile.mkdtemp(), "z.wav"), np.zeros(10), sr=8000).name
    'z.wav'
    """
    import soundfile as sf

    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ParameterError(f"path={str(path)!r}: unsupported extension {path.suffix!r}, use "
                             f"one of {sorted(_FORMATS)}")
    y = validate_audio(y, sr=sr, name=str(path))
    with atomic_path(path) as tmp:
        sf.write(tmp, np.asarray(y).T, int(sr), format=fmt, subtype=subtype)
    return path
