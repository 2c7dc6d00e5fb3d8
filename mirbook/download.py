"""Downloading and unpacking the real datasets: pinned hashes, clear errors, nothing half-written.

The book itself runs offline on corpora built at set-up time (``mirbook.datasets``); readers with
internet (Google Colab, their own machine) can also fetch the real datasets of the field with the
loaders of :mod:`mirbook.datasets.online`, which go through the three helpers here:

- :func:`fetch` downloads one file with pooch's HTTP downloader into the cache
  (``mirbook.config.data_home() / "downloads"``), checks its sha256 and only then moves it into
  place. A file already there with the right hash is returned without touching the network.
- :func:`extract` unpacks a zip or tar archive safely (no ``..``, no absolute paths, no links
  leaving the archive, no device files) and atomically (temporary folder, then rename).
- :class:`RateLimiter` spaces out calls to a web API (Deezer's allows about 50 requests in 5 s).

Errors name the URL or the archive and the problem:

============================  ====================================================================
:class:`HashMismatchError`    (a :class:`ValueError`) the file downloaded is not the one pinned
:class:`UnpinnedDownloadError` (a :class:`ValueError`) no hash given and ``allow_unpinned`` not set
:class:`DownloadError`        (an :class:`OSError`) HTTP error status, connection failure
:class:`DownloadTimeout`      (a :class:`DownloadError` and :class:`TimeoutError`) no answer in time
:class:`UnsafeArchiveError`   (a :class:`ValueError`) an archive member that would escape ``dest``
============================  ====================================================================

No test of mirbook touches the network: ``tests/test_download.py`` serves fixtures from a local
HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
import threading
import time
import urllib.parse
import zipfile
from collections import deque
from pathlib import Path

__all__ = [
    "DownloadError",
    "DownloadTimeout",
    "HashMismatchError",
    "UnpinnedDownloadError",
    "UnsafeArchiveError",
    "RateLimiter",
    "fetch",
    "extract",
    "file_hash",
    "download_dir",
]

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ALGOS = {"sha256": 64, "md5": 32}


class DownloadError(OSError):
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


class HashMismatchError(ValueError):
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


class UnpinnedDownloadError(ValueError):
    """:func:`fetch` was called without a hash and without ``allow_unpinned=True``."""

    def __init__(self, url):
        self.url = str(url)
        super().__init__(
            f"{self.url}: no sha256 is pinned for this file, so its content cannot be verified. "
            "Pass its sha256, or allow_unpinned=True to download it unverified (a file that "
            "changes upstream then changes your results silently)."
        )


class UnsafeArchiveError(ValueError):
    """An archive member that could write outside the extraction folder.

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


# --------------------------------------------------------------------------------------------
# hashes


def _parse_hash(known):
    """``"hex"`` (sha256) or ``"algo:hex"`` -> ``(algo, hex)``; ``None`` -> ``(None, None)``."""
    if known is None:
        return None, None
    text = str(known).strip()
    algo, _, digest = text.rpartition(":")
    algo = (algo or "sha256").lower()
    if algo not in _ALGOS:
        raise ValueError(f"hash {known!r}: unsupported algorithm {algo!r}, use sha256 (or md5)")
    if len(digest) != _ALGOS[algo] or not _HEX.match(digest):
        raise ValueError(
            f"hash {known!r}: a {algo} digest is {_ALGOS[algo]} hexadecimal digits"
        )
    return algo, digest.lower()


def file_hash(path, algo="sha256", chunk_size=1 << 20) -> str:
    """Hex digest of a file (``algo`` is ``"sha256"`` or ``"md5"``), read in chunks."""
    if algo == "sha256":
        from mirbook.utils import sha256_file

        return sha256_file(path, chunk_size=chunk_size)
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


def download_dir() -> Path:
    """The default download folder, ``mirbook.config.data_home() / "downloads"``."""
    from mirbook.config import data_home

    path = data_home() / "downloads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _filename_from_url(url) -> str:
    name = posixpath.basename(urllib.parse.urlsplit(str(url)).path)
    name = urllib.parse.unquote(name)
    if not name or name in (".", ".."):
        raise ValueError(f"{url}: cannot tell a file name from the URL; pass dest=PATH")
    return name


def _resolve_dest(url, dest) -> Path:
    if dest is None:
        return download_dir() / _filename_from_url(url)
    as_folder = str(dest).endswith(("/", os.sep))
    dest = Path(dest).expanduser()
    if as_folder or dest.is_dir():
        return dest / _filename_from_url(url)
    return dest


# --------------------------------------------------------------------------------------------
# fetch


def _one_attempt(url, tmp, timeout, progress, headers):
    import pooch
    import requests

    bar = None
    if progress:
        from mirbook.utils import progress as progress_bar

        bar = progress_bar(desc=_filename_from_url(url), unit="B", unit_scale=True)
    kwargs = {"timeout": timeout, "progressbar": bar if bar is not None else False}
    if headers:
        kwargs["headers"] = dict(headers)
    downloader = pooch.HTTPDownloader(**kwargs)
    try:
        downloader(url, str(tmp), None)
    except requests.exceptions.HTTPError as exc:
        resp = exc.response
        status = resp.status_code if resp is not None else None
        why = f"HTTP {status} {resp.reason}" if resp is not None else str(exc)
        raise DownloadError(url, f"the server answered {why}", status=status) from None
    except requests.exceptions.Timeout:
        raise DownloadTimeout(
            url, f"no answer within the timeout of {timeout} s (server down or too slow?)"
        ) from None
    except requests.exceptions.ConnectionError as exc:
        # a read timeout inside a streamed body surfaces as ConnectionError(ReadTimeoutError)
        if "timed out" in str(exc).lower():
            raise DownloadTimeout(url, f"the transfer stalled for more than {timeout} s") from None
        raise DownloadError(url, f"cannot connect ({_short(exc)})") from None
    except requests.exceptions.RequestException as exc:
        raise DownloadError(url, _short(exc)) from None
    finally:
        if bar is not None:
            bar.close()


def _short(exc, limit=300):
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "..."


def _retryable(exc) -> bool:
    if isinstance(exc, DownloadTimeout):
        return True
    if isinstance(exc, DownloadError):
        return exc.status is None or exc.status >= 500 or exc.status == 429
    return False


def fetch(
    url,
    sha256,
    dest=None,
    *,
    timeout=30,
    retries=2,
    retry_wait=1.0,
    progress=True,
    allow_unpinned=False,
    headers=None,
):
    """Download ``url`` into the cache, verified against a pinned hash; return the file's path.

    The file is written to a temporary file beside ``dest`` (``.NAME.XXXX.part``), hashed, and
    renamed onto ``dest`` only if the hash matches: a reader never sees a partial or wrong file,
    and a failed download leaves nothing behind. A file already at ``dest`` with the pinned hash
    is returned at once, without network access.

    Parameters
    ----------
    url : str
        ``http(s)://`` address of the file.
    sha256 : str or None
        Expected hex sha256 of the file. ``"md5:HEX"`` is also accepted for the few files whose
        publishers give only an md5 (mirdata's remotes, for instance). ``None`` means "not
        pinned": refused unless ``allow_unpinned=True``.
    dest : str or os.PathLike, optional
        Destination file, or an existing folder to put the file in (named after the URL).
        Default: ``mirbook.config.data_home() / "downloads" / <name in the URL>``.
    timeout : float
        Socket timeout in seconds, for connecting and for each read: a server that stops
        answering raises :class:`DownloadTimeout` after about this long, never hangs.
    retries : int
        Further attempts after a timeout, a connection failure or an HTTP 5xx/429 answer, waiting
        ``retry_wait``, then twice as long, and so on. Client errors (HTTP 4xx) and hash
        mismatches are not retried.
    retry_wait : float
        Seconds before the first retry.
    progress : bool
        Show a progress bar (:func:`mirbook.utils.progress`, off with ``MIRBOOK_PROGRESS=0``).
    allow_unpinned : bool
        Download without a hash to check. An unpinned file already in the cache is reused as is.
    headers : dict, optional
        Extra HTTP headers.

    Returns
    -------
    path : pathlib.Path
        The verified file.

    Raises
    ------
    HashMismatchError
        (a ValueError) The downloaded file's hash is not the pinned one; the file is deleted.
    UnpinnedDownloadError
        (a ValueError) ``sha256`` is None and ``allow_unpinned`` is False.
    DownloadTimeout
        (a DownloadError and TimeoutError) No answer within ``timeout`` seconds, after retries.
    DownloadError
        (an OSError) HTTP error status (``.status``), connection failure.

    Examples
    --------
    >>> path = fetch("https://example.org/genres.tar.gz", "24347e02...c6")   # doctest: +SKIP
    """
    algo, digest = _parse_hash(sha256)
    if algo is None and not allow_unpinned:
        raise UnpinnedDownloadError(url)
    scheme = urllib.parse.urlsplit(str(url)).scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"{url}: only http:// and https:// URLs can be fetched")
    if timeout is None or not timeout > 0:
        raise ValueError(f"timeout={timeout!r}: a download needs a positive timeout in seconds")
    dest = _resolve_dest(url, dest)

    if dest.is_file():
        if algo is None:
            return dest
        if file_hash(dest, algo) == digest:
            return dest
        # a stale or corrupt copy: download it again (replaced only once verified)

    dest.parent.mkdir(parents=True, exist_ok=True)
    attempt = 0
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp)
        try:
            _one_attempt(url, tmp, timeout, progress, headers)
            if algo is not None:
                actual = file_hash(tmp, algo)
                if actual != digest:
                    raise HashMismatchError(url, f"{algo}:{digest}", f"{algo}:{actual}")
            os.replace(tmp, dest)
            return dest
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            if attempt < retries and _retryable(exc):
                time.sleep(retry_wait * 2**attempt)
                attempt += 1
                continue
            raise


# --------------------------------------------------------------------------------------------
# extract


def check_member_name(archive, name):
    """Refuse absolute paths and ``..`` components (also in Windows spellings)."""
    if not name or "\x00" in name:
        raise UnsafeArchiveError(archive, name, "empty name or NUL byte in the name")
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        raise UnsafeArchiveError(archive, name, "absolute path")
    if ".." in norm.split("/"):
        raise UnsafeArchiveError(archive, name, "a '..' component would escape the folder")
    return norm


def _check_link(archive, name, target, *, relative_to_member):
    """A link target must stay inside the archive's folder."""
    t = target.replace("\\", "/")
    if t.startswith("/") or re.match(r"^[A-Za-z]:", t):
        raise UnsafeArchiveError(archive, name, f"link to an absolute path ({target})")
    base = posixpath.dirname(name.replace("\\", "/")) if relative_to_member else ""
    resolved = posixpath.normpath(posixpath.join(base, t))
    if resolved == ".." or resolved.startswith("../"):
        raise UnsafeArchiveError(archive, name, f"link pointing outside the folder ({target})")


def _precheck_tar(archive, tf: tarfile.TarFile):
    for m in tf.getmembers():
        check_member_name(archive, m.name)
        if m.ischr() or m.isblk():
            raise UnsafeArchiveError(archive, m.name, "device file")
        if m.isfifo():
            raise UnsafeArchiveError(archive, m.name, "FIFO (named pipe)")
        if m.issym():
            _check_link(archive, m.name, m.linkname, relative_to_member=True)
        elif m.islnk():
            _check_link(archive, m.name, m.linkname, relative_to_member=False)
        elif not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError(archive, m.name, f"unsupported member type {m.type!r}")


def _precheck_zip(archive, zf: zipfile.ZipFile):
    for info in zf.infolist():
        name = check_member_name(archive, info.filename)
        mode = info.external_attr >> 16
        if mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)):
            raise UnsafeArchiveError(archive, info.filename, "device file")
        if mode and stat.S_ISLNK(mode):
            target = zf.read(info).decode("utf-8", "replace")
            _check_link(archive, name, target, relative_to_member=True)


def extract(archive, dest=None, *, overwrite=False):
    """Safely and atomically unpack a zip or a tar (``.tar``, ``.tar.gz``, ``.bz2``, ``.xz``).

    Every member is checked before anything is written: absolute paths, ``..`` components,
    symbolic or hard links that point outside the archive's folder, device files and FIFOs are
    refused with an :class:`UnsafeArchiveError` naming the archive and the member. Tar archives
    are then unpacked with ``tarfile``'s ``filter="data"`` as a second line of defence. The
    content is unpacked into a temporary folder beside ``dest`` and renamed onto ``dest`` at the
    end, so an interrupted extraction leaves nothing half-done.

    Parameters
    ----------
    archive : str or os.PathLike
    dest : str or os.PathLike, optional
        Folder to create. Default: the archive's path without its extension(s).
    overwrite : bool
        Replace an existing ``dest``. Otherwise an existing ``dest`` is returned as is (it is
        taken to be a previous, complete extraction: extraction is atomic).

    Returns
    -------
    path : pathlib.Path
        The folder holding the archive's content.

    Raises
    ------
    UnsafeArchiveError
        (a ValueError) A member would escape ``dest``.
    ValueError
        Not a zip or tar archive.
    FileNotFoundError
        No such archive.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise FileNotFoundError(f"{archive}: no such archive")
    if dest is None:
        name = archive.name
        for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip"):
            if name.lower().endswith(ext):
                name = name[: -len(ext)]
                break
        dest = archive.with_name(name or archive.name + ".d")
    dest = Path(dest)
    if dest.exists() and not overwrite:
        return dest

    if zipfile.is_zipfile(archive):
        kind = "zip"
    elif tarfile.is_tarfile(archive):
        kind = "tar"
    else:
        raise ValueError(f"{archive}: not a zip or tar archive (or a truncated one)")

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive) as zf:
                _precheck_zip(archive, zf)
                zf.extractall(tmp)
        else:
            with tarfile.open(archive, "r:*") as tf:
                _precheck_tar(archive, tf)
                try:
                    tf.extractall(tmp, filter="data")
                except tarfile.FilterError as exc:
                    member = getattr(exc, "tarinfo", None)
                    raise UnsafeArchiveError(
                        archive, member.name if member is not None else "?", str(exc)
                    ) from None
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


# --------------------------------------------------------------------------------------------
# rate limiting


class RateLimiter:
    """Space out calls: ``min_interval`` seconds apart, at most ``max_calls`` per ``period``.

    Thread-safe. Use :meth:`wait` before each request, or the limiter as a context manager.

    Parameters
    ----------
    min_interval : float
        Minimum number of seconds between two calls (0 for none).
    max_calls, period : int, float, optional
        Also allow at most ``max_calls`` calls in any window of ``period`` seconds.
    clock, sleep : callable
        Injected for tests (default :func:`time.monotonic`, :func:`time.sleep`).

    Examples
    --------
    Deezer's API allows about 50 requests every 5 seconds:

    >>> limiter = RateLimiter(0.1, max_calls=50, period=5.0)
    >>> for i in range(3):
    ...     limiter.wait()          # returns at once the first time, then every 0.1 s
    """

    def __init__(self, min_interval=0.0, *, max_calls=None, period=None, clock=None, sleep=None):
        if min_interval is None or min_interval < 0:
            raise ValueError(f"min_interval={min_interval!r}: must be >= 0 seconds")
        if (max_calls is None) != (period is None):
            raise ValueError("give both max_calls and period, or neither")
        if max_calls is not None and (max_calls < 1 or period <= 0):
            raise ValueError(f"max_calls={max_calls!r}, period={period!r}: must be positive")
        self.min_interval = float(min_interval)
        self.max_calls = max_calls
        self.period = period
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._last = None
        self._calls = deque()
        self._lock = threading.Lock()
        self.n_calls = 0
        self.slept = 0.0

    def wait(self) -> float:
        """Block until a call is allowed, record it; return the seconds slept."""
        with self._lock:
            waited = 0.0
            while True:
                now = self._clock()
                delay = 0.0
                if self._last is not None:
                    delay = max(delay, self._last + self.min_interval - now)
                if self.max_calls is not None:
                    while self._calls and self._calls[0] <= now - self.period:
                        self._calls.popleft()
                    if len(self._calls) >= self.max_calls:
                        delay = max(delay, self._calls[0] + self.period - now)
                if delay <= 0:
                    break
                self._sleep(delay)
                waited += delay
            self._last = now
            if self.max_calls is not None:
                self._calls.append(now)
            self.n_calls += 1
            self.slept += waited
            return waited

    def __enter__(self):
        self.wait()
        return self

    def __exit__(self, *exc):
        return False
