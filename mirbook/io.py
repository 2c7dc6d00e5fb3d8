"""Reading and writing audio, with errors that name the file and the problem.

Chapter 1 (``notebooks/01_sampling_quantization.ipynb``) introduces the digital signal this module
returns: a float32 array in [-1, 1], of shape ``(n,)`` for mono or ``(C, n)`` for ``C`` channels
(librosa's convention: channels first).

Everything that reads audio in mirbook goes through :func:`load_audio`, so that a bad file is
reported the same way everywhere: :class:`FileNotFoundError` when it is missing, an
:class:`AudioFileError` (a :class:`ValueError`) for every other problem.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

#: Sample rates outside this range are rejected as absurd (Hz).
MIN_SR = 1_000
MAX_SR = 768_000

_AUDIO_MAGIC = {
    b"RIFF": "WAV",
    b"RIFX": "WAV",
    b"FORM": "AIFF",
    b"fLaC": "FLAC",
    b"OggS": "Ogg",
    b"ID3": "MP3",
    b"\xff\xfb": "MP3",
    b"\xff\xf3": "MP3",
    b"\xff\xf2": "MP3",
}


class AudioFileError(ValueError):
    """An audio file (or array) that cannot be used, with the file and the problem named.

    Attributes
    ----------
    path : str
        The file (or a description of the array) at fault.
    problem : str
        What is wrong with it.
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def check_sr(sr, name="sr") -> int:
    """Return ``sr`` as an int, or raise :class:`ValueError` if it is not a plausible sample rate.

    Parameters
    ----------
    sr : number
        Sample rate in Hz; must lie in ``[MIN_SR, MAX_SR]``.
    name : str
        Name of the parameter, for the message.
    """
    if isinstance(sr, bool) or not isinstance(sr, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}={sr!r}: a sample rate must be a number of Hz")
    if not np.isfinite(sr) or sr <= 0:
        raise ValueError(f"{name}={sr!r}: a sample rate must be positive")
    if int(sr) != sr:
        raise ValueError(f"{name}={sr!r}: a sample rate must be a whole number of Hz")
    if not MIN_SR <= sr <= MAX_SR:
        raise ValueError(f"{name}={sr!r} Hz is absurd: expected between {MIN_SR} and {MAX_SR} Hz")
    return int(sr)


def validate_audio(y, sr=None, *, name="audio", n_fft=None):
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

    Raises
    ------
    AudioFileError
        Empty signal, more than two dimensions, NaN or Inf samples, too short for ``n_fft``.
    """
    y = np.asarray(y)
    if sr is not None:
        try:
            check_sr(sr)
        except ValueError as exc:
            raise AudioFileError(name, str(exc)) from None
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


#: What the first bytes of a file must look like for the extensions we know.
_EXPECTED_MAGIC = {
    ".wav": ("WAV", (b"RIFF", b"RIFX", b"RF64")),
    ".flac": ("FLAC", (b"fLaC",)),
    ".ogg": ("Ogg", (b"OggS",)),
    ".oga": ("Ogg", (b"OggS",)),
    ".opus": ("Ogg", (b"OggS",)),
    ".aif": ("AIFF", (b"FORM",)),
    ".aiff": ("AIFF", (b"FORM",)),
}


def _check_magic(path: Path) -> None:
    """Refuse a file whose content does not match its extension, before any decoder sees it.

    This gives a clearer message than the decoder's, and keeps C decoders (mpg123 inside
    libsndfile) from printing their own complaints on the process's stderr.
    """
    ext = path.suffix.lower()
    with open(path, "rb") as f:
        head = f.read(16)
    size = path.stat().st_size
    if ext == ".mp3":
        ok = head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
        kind = "MP3"
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


def _diagnose_unreadable(path: Path, exc: Exception) -> str:
    """Explain why soundfile could not open ``path``."""
    size = path.stat().st_size
    if size == 0:
        return "empty file (0 bytes)"
    with open(path, "rb") as f:
        head = f.read(16)
    for magic, kind in _AUDIO_MAGIC.items():
        if head.startswith(magic):
            return (
                f"truncated or corrupt {kind} header ({size} bytes; the decoder said: "
                f"{str(exc).strip()})"
            )
    return f"not an audio file soundfile can read ({size} bytes, starts with {head[:8]!r})"


def _read(path: Path, offset: float, duration: float | None):
    import soundfile as sf

    try:
        with sf.SoundFile(path) as f:
            file_sr = f.samplerate
            if file_sr <= 0:
                raise AudioFileError(path, f"header gives an invalid sample rate ({file_sr} Hz)")
            start = int(round(offset * file_sr))
            if start:
                f.seek(min(start, f.frames) if f.frames > 0 else 0)
            frames = -1 if duration is None else int(round(duration * file_sr))
            data = f.read(frames=frames, dtype="float32", always_2d=True)
    except AudioFileError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioFileError(path, _diagnose_unreadable(path, exc)) from None
    return data.T, file_sr


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
    sr=None,
    *,
    mono: bool = True,
    channels: int | None = None,
    offset: float = 0.0,
    duration: float | None = None,
    n_fft: int | None = None,
):
    """Load an audio file as float32 samples in [-1, 1].

    Reads anything soundfile (libsndfile) reads: WAV, FLAC, Ogg Vorbis, Opus, MP3, AIFF...

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    sr : int, optional
        Target sample rate: the signal is resampled (soxr, high quality) if the file's differs.
        ``None`` keeps the file's rate.
    mono : bool
        Average the channels into one (librosa's default). Ignored when ``channels`` is given.
    channels : {None, 1, 2}, optional
        Ask for an exact layout: 1 (mono), 2 (stereo; a mono file is duplicated). A request that
        cannot be met (e.g. stereo from a 6-channel file) raises :class:`AudioFileError`.
    offset, duration : float
        Start time and length to read, in seconds.
    n_fft : int, optional
        Require at least this many samples (after resampling), e.g. the FFT size the caller uses.

    Returns
    -------
    y : np.ndarray [shape=(n,) for mono, (C, n) otherwise], float32
        The samples, channels first, in [-1, 1].
    sr : int
        The sample rate of ``y``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    AudioFileError
        (a ValueError) Empty file, truncated header, not audio, zero-length audio, NaN/Inf samples,
        unsupported channel request, absurd sample rate, or a signal shorter than ``n_fft``.

    Examples
    --------
    >>> y, sr = load_audio("take.flac", sr=22050)          # doctest: +SKIP
    >>> y.shape, y.dtype, sr                               # doctest: +SKIP
    ((661500,), dtype('float32'), 22050)
    """
    path = Path(path)
    if sr is not None:
        try:
            sr = check_sr(sr)
        except ValueError as exc:
            raise AudioFileError(path, f"requested {exc}") from None
    if channels is not None and channels not in (1, 2):
        raise AudioFileError(path, f"channels={channels!r}: only 1 (mono), 2 (stereo) or None")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such audio file")
    if path.is_dir():
        raise AudioFileError(path, "is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioFileError(path, "empty file (0 bytes)")

    _check_magic(path)
    y, file_sr = _read(path, offset, duration)
    try:
        check_sr(file_sr)
    except ValueError as exc:
        raise AudioFileError(path, f"the file's {exc}") from None
    if y.shape[-1] == 0:
        raise AudioFileError(path, "zero-length audio (the file holds no samples)")
    validate_audio(y, name=str(path))
    y = _set_channels(y, channels, mono, path)
    if sr is not None and sr != file_sr:
        y = resample(y, file_sr, sr)
    else:
        sr = file_sr
    y = np.clip(y, -1.0, 1.0).astype(np.float32, copy=False)
    if y.shape[0] == 1:
        y = y[0]
    validate_audio(y, sr, name=str(path), n_fft=n_fft)
    return y, sr


def resample(y, orig_sr, target_sr):
    """Resample along the last axis with soxr (high quality).

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (C, n)
    orig_sr, target_sr : int

    Returns
    -------
    y_res : np.ndarray, shape (m,) or (C, m), float32, with m = ceil(n * target_sr / orig_sr)
    """
    import soxr

    orig_sr, target_sr = check_sr(orig_sr, "orig_sr"), check_sr(target_sr, "target_sr")
    y = np.asarray(y, dtype=np.float32)
    if orig_sr == target_sr:
        return y
    out = soxr.resample(y.T, orig_sr, target_sr, quality="HQ")
    return np.ascontiguousarray(out.T, dtype=np.float32)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    A reader never sees a half-written file, and an interrupted write leaves nothing behind.

    Examples
    --------
    >>> with atomic_path("out.wav") as tmp:                 # doctest: +SKIP
    ...     soundfile.write(tmp, y, sr, format="WAV")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".aiff": "AIFF", ".aif": "AIFF"}


def save_audio(path, y, sr, *, subtype=None):
    """Write ``y`` to ``path`` atomically (format from the extension: wav, flac, ogg, aiff).

    Parameters
    ----------
    path : str or os.PathLike
    y : np.ndarray, shape (n,) or (C, n), float in [-1, 1]
    sr : int
    subtype : str, optional
        soundfile subtype, e.g. ``"PCM_16"`` (default for wav/flac/aiff) or ``"VORBIS"``.
    """
    import soundfile as sf

    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise AudioFileError(path, f"unsupported extension {path.suffix!r}: use one of {sorted(_FORMATS)}")
    y = validate_audio(y, sr, name=str(path))
    with atomic_path(path) as tmp:
        sf.write(tmp, np.asarray(y).T, int(sr), format=fmt, subtype=subtype)
    return path
