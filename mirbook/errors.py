"""The one error hierarchy of :mod:`mirbook`.

Every error the package raises on purpose is a :class:`MirbookError`, so ``except MirbookError``
catches them all, and each also derives from the built-in class a caller would expect
(``ValueError`` for bad values, ``OSError`` for failed downloads), so existing
``except ValueError`` code keeps working.

- :class:`ParameterError` (``ValueError``): a caller mistake (a bad argument); the message names the
  parameter.
- :class:`AudioFileError` (``ValueError``): a file (or an array standing for one) that cannot be
  used; carries ``path`` and ``problem``. Files only, never a bad parameter.
- :class:`CodecError`, :class:`DownloadError` (``OSError``), :class:`DownloadTimeout`,
  :class:`HashMismatchError`, :class:`UnpinnedDownloadError`, :class:`UnsafeArchiveError`,
  :class:`MissingToolError`, :class:`CorpusError`, :class:`CheckpointError`.

All of them pickle and unpickle to an equal error (same class, same attributes, same message): they
cross process pools (:func:`mirbook.features.batch_clip_features`, the corpus build), so a failure in
a worker reaches the caller with its file and problem instead of an anonymous ``BrokenProcessPool``.

>>> import pickle
>>> err = AudioFileError("take.wav", "truncated: 4410 of 88200 frames")
>>> again = pickle.loads(pickle.dumps(err))
>>> type(again).__name__, again.path, str(again)
('AudioFileError', 'take.wav', 'take.wav: truncated: 4410 of 88200 frames')
"""

from __future__ import annotations

__all__ = [
    "MirbookError", "ParameterError", "AudioFileError", "CodecError", "DownloadError",
    "DownloadTimeout", "HashMismatchError", "UnpinnedDownloadError", "UnsafeArchiveError",
    "MissingToolError", "CorpusError", "CheckpointError",
]


def _rebuild(cls, args, kwargs, state):
    err = cls(*args, **kwargs)
    err.__dict__.update(state)
    return err


class MirbookError(Exception):
    """Base class of every error :mod:`mirbook` raises on purpose.

    Subclasses may take any constructor arguments: the arguments are remembered at creation so
    that the error pickles (the default ``Exception`` pickling calls ``cls(*self.args)``, which
    breaks for any ``__init__`` whose parameters are not the message).
    """

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._init_args = args
        self._init_kwargs = kwargs
        return self

    def __init__(self, *args, **kwargs):
        super().__init__(*args)
        # OSError subclasses parse their args in __new__ (which got none here): set them again
        self.args = args

    def __reduce__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("_init_args", "_init_kwargs")}
        return (_rebuild, (type(self), self._init_args, self._init_kwargs, state))


class ParameterError(MirbookError, ValueError):
    """A caller mistake: a parameter with a wrong type or value. The message names the parameter.

    >>> raise ParameterError("n_fft=0: expected a positive integer")
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: n_fft=0: expected a positive integer
    """


class AudioFileError(MirbookError, ValueError):
    """An audio file (or an array standing for one) that cannot be used: the file and the problem.

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


class CodecError(MirbookError, ValueError):
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


class DownloadError(MirbookError, OSError):
    """A download that failed: HTTP error status, refused connection, DNS failure...

    Attributes
    ----------
    url : str
    reason : str
    status : int or None
        The HTTP status code, when the server answered.
    """

    def __init__(self, url, reason, status=None):
        self.url = str(url)
        self.reason = reason
        self.status = status
        super().__init__(f"download of {self.url} failed: {reason}")


class DownloadTimeout(DownloadError, TimeoutError):
    """The server did not answer (or stopped sending) within ``timeout`` seconds."""


class HashMismatchError(MirbookError, ValueError):
    """The file downloaded (or found in the cache) does not have the pinned hash.

    Attributes
    ----------
    url : str
    expected, actual : str
        Hex digests, prefixed with the algorithm (``"sha256:..."``).
    """

    def __init__(self, url, expected, actual):
        self.url = str(url)
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{self.url}: hash mismatch, expected {expected} but the file downloaded has {actual}; "
            "the file was deleted. The server may have changed the file (check the dataset's page "
            "and update the pinned hash) or the transfer was corrupted (try again)."
        )


class UnpinnedDownloadError(MirbookError, ValueError):
    """:func:`mirbook.download.fetch` was called without a hash and without ``allow_unpinned``."""

    def __init__(self, url):
        self.url = str(url)
        super().__init__(
            f"{self.url}: no sha256 is pinned for this file, so its content cannot be verified. "
            "Pass its sha256, or allow_unpinned=True to download it unverified (a file that "
            "changes upstream then changes your results silently)."
        )


class UnsafeArchiveError(MirbookError, ValueError):
    """An archive member that could write outside the extraction folder (or is otherwise refused).

    Attributes
    ----------
    archive : str
    member : str
    problem : str
    """

    def __init__(self, archive, member, problem):
        self.archive = str(archive)
        self.member = str(member)
        self.problem = problem
        super().__init__(f"{self.archive}: member {self.member!r} refused: {problem}")


class MissingToolError(MirbookError, RuntimeError):
    """A system tool (FluidSynth, espeak-ng, apt-get...) is not installed; says how to install it."""


class CorpusError(MirbookError, RuntimeError):
    """A corpus that is not built, is damaged (missing file, wrong sha256) or is ill-defined."""


class CheckpointError(MirbookError, ValueError):
    """A model checkpoint that cannot be loaded: wrong model, wrong shapes, not a checkpoint.

    Attributes
    ----------
    path : str
    problem : str
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
