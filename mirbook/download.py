"""Downloading and unpacking the real datasets: pinned hashes, clear errors, nothing half-written.

The book itself runs offline on corpora built at set-up time (``mirbook.datasets``); readers with
internet (Google Colab, their own machine) can also fetch the real datasets of the field with the
loaders of :mod:`mirbook.datasets.online`, which go through the three helpers here:

- :func:`fetch` downloads one file (requests, streamed, bytes as sent) into the cache
  (``mirbook.config.data_home() / "downloads"``), checks its sha256 and only then moves it into
  place. A file already there with the right hash is returned without touching the network.
- :func:`extract` unpacks a zip or tar archive safely (no ``..``, no absolute paths, no links
  leaving the archive, no device files) and atomically (temporary folder, then rename).
- :class:`RateLimiter` spaces out calls to a web API (Deezer's allows about 50 requests in 5 s).

Errors name the URL or the archive and the problem:

- :class:`HashMismatchError` (a :class:`ValueError`): the file downloaded is not the one pinned;
- :class:`UnpinnedDownloadError` (a :class:`ValueError`): no hash given, ``allow_unpinned`` not set;
- :class:`DownloadError` (an :class:`OSError`): HTTP error status, connection failure;
- :class:`DownloadTimeout` (a :class:`DownloadError` and :class:`TimeoutError`): no answer in time;
- :class:`UnsafeArchiveError` (a :class:`ValueError`): an archive member that would escape ``dest``.

No test of mirbook touches the network: ``tests/test_download.py`` serves fixtures from a local
HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import errno
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

from mirbook import _validate
from mirbook.errors import (DownloadError, DownloadTimeout, HashMismatchError, ParameterError,
                            UnpinnedDownloadError, UnsafeArchiveError)
from mirbook.utils import _apply_umask, sha256_file

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
    "safe_filename",
    "sweep_partial",
    "check_member_name",
]

#: Default limits of :func:`extract` for an archive whose expanded size is not known: at most
#: ``MAX_RATIO`` times the archive's size (but always at least ``MIN_ALLOWANCE`` bytes), and never
#: more than ``MAX_EXTRACT_BYTES``.
MAX_RATIO = 100
MIN_ALLOWANCE = 64 * 2**20
MAX_EXTRACT_BYTES = 256 * 2**30

#: A ``.part`` temporary older than this (seconds since its last write) is a leftover of a killed
#: process, swept by :func:`sweep_partial`.
STALE_PART_AGE = 3600.0

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ALGOS = {"sha256": 64, "md5": 32}


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
        raise ParameterError(f"sha256={known!r}: unsupported hash algorithm {algo!r}, use "
                             "sha256 (or md5)")
    if len(digest) != _ALGOS[algo] or not _HEX.match(digest):
        raise ParameterError(
            f"sha256={known!r}: a {algo} hash is {_ALGOS[algo]} hexadecimal digits"
        )
    return algo, digest.lower()


def file_hash(path, *, algo="sha256", chunk_size=1 << 20) -> str:
    """Hex digest of a file (``algo`` is ``"sha256"`` or ``"md5"``), with
    :func:`mirbook.utils.sha256_file` (the one chunked-hash loop).

    Parameters
    ----------
    path : str or os.PathLike
    algo : {"sha256", "md5"}
    chunk_size : int

    Returns
    -------
    digest : str
    """
    return sha256_file(path, chunk_size=chunk_size, algo=algo)


def download_dir() -> Path:
    """The default download folder, ``mirbook.config.data_home() / "downloads"``."""
    from mirbook.config import data_home

    path = data_home() / "downloads"
    path.mkdir(parents=True, exist_ok=True)
    return path


_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_filename(name, *, what="name"):
    r"""``name`` as one safe path component, or :class:`ParameterError`.

    Keeps only the last component of a path written with ``/`` or ``\`` (as URL-decoded or
    stored in an archive), replaces control and reserved characters with ``_``, and refuses what
    is left when it is empty, ``.`` or ``..``. The result can be joined to a folder without ever
    leaving it.

    Parameters
    ----------
    name : str
    what : str
        What the name is, for the message (``"the URL ..."``).

    Returns
    -------
    name : str

    Examples
    --------
    >>> safe_filename("..%2F..%2Fetc%2Fpasswd".replace("%2F", "/"))
    'passwd'
    >>> safe_filename("C:\\evil.txt")
    'evil.txt'
    >>> safe_filename("..")
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: cannot tell a file name from name '..'; pass dest=PATH
    """
    text = str(name)
    last = re.split(r"[/\\]", text)[-1]
    last = last.split(":")[-1] if re.match(r"^[A-Za-z]:", last) else last
    last = _UNSAFE_CHARS.sub("_", last).strip()
    if not last or last in (".", "..") or set(last) == {"."}:
        raise ParameterError(f"cannot tell a file name from {what} {text!r}; pass dest=PATH")
    return last[:255]


def _filename_from_url(url) -> str:
    name = posixpath.basename(urllib.parse.urlsplit(str(url)).path)
    return safe_filename(urllib.parse.unquote(name), what=f"the URL {url}")


def _resolve_dest(url, dest) -> Path:
    if dest is None:
        return download_dir() / _filename_from_url(url)
    as_folder = str(dest).endswith(("/", os.sep))
    dest = Path(dest).expanduser()
    if as_folder or dest.is_dir():
        return dest / _filename_from_url(url)
    return dest


def _newest_mtime(path: Path) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest


def sweep_partial(path, *, max_age=None):
    """Remove the ``.NAME.XXXX.part`` files and folders a killed :func:`fetch`, :func:`extract`
    or :func:`mirbook.io.atomic_path` left in ``folder``.

    Only leftovers untouched for ``max_age`` seconds go, so the temporaries of a download or an
    extraction running now in another process are kept.

    Parameters
    ----------
    path : str or os.PathLike
        The folder to sweep.
    max_age : float, optional
        Seconds since the last write; default :data:`STALE_PART_AGE`.

    Returns
    -------
    removed : list of pathlib.Path
    """
    max_age = STALE_PART_AGE if max_age is None else _validate.finite_real(
        max_age, "max_age", low=0)
    folder = Path(path)
    removed = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for path in folder.glob(".*.part"):
        try:
            if now - _newest_mtime(path) < max_age:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except FileNotFoundError:  # another process swept it first
            continue
    return removed


# --------------------------------------------------------------------------------------------
# fetch


def _one_attempt(url, tmp, timeout, progress, headers):
    """Stream ``url`` into ``tmp`` exactly as the server sends it (no content decoding)."""
    import requests

    hdrs = {"Accept-Encoding": "identity"}
    hdrs.update(headers or {})
    try:
        resp = requests.get(url, stream=True, timeout=timeout, headers=hdrs)
    except requests.exceptions.Timeout:
        raise _download_timeout(
            url, f"no answer within the timeout of {timeout} s (server down or too slow?)"
        ) from None
    except requests.exceptions.ConnectionError as exc:
        raise _download_error(url, f"cannot connect ({_short(exc)})") from None
    except requests.exceptions.RequestException as exc:
        raise _download_error(url, _short(exc)) from None
    bar = None
    with resp:
        if resp.status_code >= 400:
            raise _download_error(url, f"the server answered HTTP {resp.status_code} {resp.reason}",
                                status=resp.status_code)
        total = resp.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else None
        if progress:
            from mirbook.utils import progress as progress_bar

            bar = progress_bar(desc=_filename_from_url(url), total=total, unit="B",
                               unit_scale=True)
        n = 0
        try:
            with open(tmp, "wb") as f:
                # raw bytes: a .tar.gz served with "Content-Encoding: gzip" must stay gzipped,
                # or its hash never matches
                chunks = resp.raw.stream(1 << 16, decode_content=False)
                while True:
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                    except Exception as exc:  # noqa: BLE001 - urllib3/requests/socket errors
                        raise _transfer_error(url, exc, n, timeout) from None
                    try:
                        f.write(chunk)
                    except OSError as exc:
                        raise OSError(exc.errno, f"{url}: cannot write the download to "
                                                 f"{Path(tmp).parent}: {exc.strerror}") from None
                    n += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if total is not None and n != total and not encoded:
            raise _download_error(url, f"incomplete transfer: {n} of {total} bytes")


def _named(err):
    """Make sure ``str(err)`` is its message: mirbook.errors' OSError subclasses lose their
    ``args`` (requested fix in errors.py); harmless once that is fixed."""
    if not str(err):
        err.args = (f"download of {err.url} failed: {err.reason}",)
    return err


def _download_error(url, reason, status=None):
    return _named(DownloadError(url, reason, status=status))


def _download_timeout(url, reason):
    return _named(DownloadTimeout(url, reason))


def _transfer_error(url, exc, n, timeout):
    text = f"{type(exc).__name__} {exc}".lower()
    if "timed out" in text or "timeout" in text:
        return _download_timeout(url, f"the transfer stalled for more than {timeout} s")
    return _download_error(url, f"the connection broke after {n} bytes ({_short(exc)})")


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
    *,
    sha256,
    dest=None,
    timeout=30,
    retries=2,
    retry_wait=1.0,
    progress=True,
    allow_unpinned=False,
    headers=None,
    check=None,
):
    """Download ``url`` into the cache, verified against a pinned hash; return the file's path.

    The file is written to a temporary file beside ``dest`` (``.NAME.XXXX.part``), hashed,
    checked, and renamed onto ``dest`` only if all is well: a reader never sees a partial or
    wrong file, and a failed download leaves nothing behind (leftovers of a killed process are
    swept, :func:`sweep_partial`). A file already at ``dest`` with the pinned hash is returned at
    once, without network access. The bytes are saved exactly as sent (no ``Content-Encoding``
    decoding), with the mode the umask gives.

    Parameters
    ----------
    url : str
        ``http(s)://`` address of the file.
    sha256 : str or None
        Expected hex sha256 of the file. ``"md5:HEX"`` is also accepted for the few files whose
        publishers give only an md5 (mirdata's remotes, for instance). ``None`` means "not
        pinned": refused unless ``allow_unpinned=True``.
    dest : str or os.PathLike, optional
        Destination file, or an existing folder (or one given with a trailing ``/``) to put the
        file in, named after the last component of the URL, sanitised
        (:func:`safe_filename`): nothing is ever written outside that folder.
        Default: ``mirbook.config.data_home() / "downloads" / <name in the URL>``.
    timeout : float
        Socket timeout in seconds (finite, > 0), for connecting and for each read: a server that
        stops answering raises :class:`DownloadTimeout` after about this long, never hangs.
    retries : int
        Further attempts after a timeout, a connection failure or an HTTP 5xx/429 answer, waiting
        ``retry_wait``, then twice as long, and so on. Client errors (HTTP 4xx), hash
        mismatches, failed checks and disk errors are not retried.
    retry_wait : float
        Seconds before the first retry.
    progress : bool
        Show a progress bar (:func:`mirbook.utils.progress`, off with ``MIRBOOK_PROGRESS=0``).
    allow_unpinned : bool
        Download without a hash to check. An unpinned file already in the cache is reused if it
        passes ``check``.
    headers : dict, optional
        Extra HTTP headers.
    check : callable, optional
        ``check(path)`` raises if the file is not what it should be (an audio file that decodes,
        a CSV with the expected columns...). Run on the download before it enters the cache (a
        failure deletes it and is raised), and on an unpinned cached copy before it is reused.

    Returns
    -------
    path : pathlib.Path
        The verified file.

    Raises
    ------
    ParameterError
        (a ValueError) A bad argument: malformed hash, not an http(s) URL, a URL with no file
        name, a timeout that is not a finite positive number.
    HashMismatchError
        (a ValueError) The downloaded file's hash is not the pinned one; the file is deleted.
    UnpinnedDownloadError
        (a ValueError) ``sha256`` is None and ``allow_unpinned`` is False.
    DownloadTimeout
        (a DownloadError and TimeoutError) No answer within ``timeout`` seconds, after retries.
    DownloadError
        (an OSError) HTTP error status (``.status``), connection failure, incomplete transfer.
    OSError
        The download cannot be written (disk full...): the message names the URL and the folder.

    Examples
    --------
    >>> path = fetch("https://example.org/genres.tar.gz", sha256="24347e02...c6")  # doctest: +SKIP
    """
    algo, digest = _parse_hash(sha256)
    if algo is None and not allow_unpinned:
        raise UnpinnedDownloadError(url)
    if not isinstance(url, str):
        raise ParameterError(f"url={url!r}: expected an http:// or https:// address")
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ParameterError(f"url={url!r}: only http:// and https:// URLs can be fetched")
    if timeout is None:
        raise ParameterError("timeout=None: a download needs a finite timeout in seconds")
    timeout = _validate.finite_real(timeout, "timeout", low=0, low_open=True)
    retries = _validate.nonneg_int(retries, "retries")
    retry_wait = _validate.finite_real(retry_wait, "retry_wait", low=0)
    if check is not None and not callable(check):
        raise ParameterError(f"check={check!r}: expected a callable check(path)")
    dest = _resolve_dest(url, dest)

    if dest.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"{url}: the destination {dest} is a folder")
    if dest.is_file():
        if algo is None or file_hash(dest, algo=algo) == digest:
            try:
                if check is not None:
                    check(dest)
                return dest
            except Exception:  # noqa: BLE001 - a bad cached copy is downloaded again
                pass
        # a stale or corrupt copy: download it again (replaced only once verified)

    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep_partial(dest.parent)
    attempt = 0
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        tmp = Path(tmp)
        try:
            _apply_umask(tmp)
            _one_attempt(url, tmp, timeout, progress, headers)
            if algo is not None:
                actual = file_hash(tmp, algo=algo)
                if actual != digest:
                    raise HashMismatchError(url, f"{algo}:{digest}", f"{algo}:{actual}")
            if check is not None:
                check(tmp)
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
    total = 0
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
        total += max(0, m.size) if m.isfile() else 0
    return total


def _zip_mode(info):
    return info.external_attr >> 16


def _precheck_zip(archive, zf: zipfile.ZipFile):
    total = 0
    for info in zf.infolist():
        name = check_member_name(archive, info.filename)
        mode = _zip_mode(info)
        if mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)):
            raise UnsafeArchiveError(archive, info.filename, "device file")
        if mode and stat.S_ISFIFO(mode):
            raise UnsafeArchiveError(archive, info.filename, "FIFO (named pipe)")
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(archive, info.filename,
                                     "encrypted member (a password is needed)")
        if mode and stat.S_ISLNK(mode):
            target = zf.read(info).decode("utf-8", "replace")
            _check_link(archive, name, target, relative_to_member=True)
        total += info.file_size
    return total


def _cap(archive: Path, max_size):
    if max_size is not None:
        return _validate.positive_int(max_size, "max_size")
    return min(MAX_EXTRACT_BYTES, max(MIN_ALLOWANCE, MAX_RATIO * archive.stat().st_size))


def _too_big(archive, member, cap, max_size):
    how = ("the max_size given" if max_size is not None else
           f"the cap of {MAX_RATIO} x the archive's size (at least {MIN_ALLOWANCE} bytes)")
    return UnsafeArchiveError(archive, member, f"the archive expands to more than {cap} bytes, "
                              f"{how}: a decompression bomb, or pass a larger max_size=")


def _extract_zip(archive, zf: zipfile.ZipFile, tmp: Path, cap, max_size):
    """Unpack member by member, counting the bytes really written; symbolic links last, as
    links (so no file is ever written through one)."""
    written = 0
    links = []
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        target = tmp.joinpath(*[p for p in name.split("/") if p not in ("", ".")])
        mode = _zip_mode(info)
        if mode and stat.S_ISLNK(mode):
            links.append((target, zf.read(info).decode("utf-8", "replace")))
            continue
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(target, "wb") as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                written += len(block)
                if written > cap:
                    raise _too_big(archive, info.filename, cap, max_size)
                out.write(block)
        if mode & 0o111:
            _apply_umask(target, folder=True)  # executable: 0777 less the umask
    for target, link in links:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(link, target)


def _archive_problem(archive, exc):
    """A readable problem for the errors of tarfile/zipfile/zlib/lzma/bz2 on a damaged archive."""
    text = str(exc)
    if isinstance(exc, (EOFError, tarfile.ReadError)) and ("end" in text.lower() or
                                                           "EOF" in text or not text):
        return "truncated archive (unexpected end of data)"
    if "CRC" in text:
        return f"corrupt archive, bad CRC ({text})"
    if "password" in text.lower() or "encrypted" in text.lower():
        return "encrypted member (a password is needed)"
    return f"corrupt archive ({type(exc).__name__}: {text})"


def extract(archive, *, dest=None, overwrite=False, max_size=None):
    """Safely and atomically unpack a zip or a tar (``.tar``, ``.tar.gz``, ``.bz2``, ``.xz``).

    Every member is checked before anything is written: absolute paths, ``..`` components,
    symbolic or hard links that point outside the archive's folder, device files, FIFOs and
    encrypted members are refused with an :class:`UnsafeArchiveError` naming the archive and the
    member. Tar archives are then unpacked with ``tarfile``'s ``filter="data"`` as a second line of
    defence; zip symbolic links become symbolic links (created last). The expanded size is capped
    (``max_size``, else :data:`MAX_RATIO` times the archive's size, at least
    :data:`MIN_ALLOWANCE`, at most :data:`MAX_EXTRACT_BYTES`), counting the bytes really written.
    The content is unpacked into a temporary folder beside ``dest`` and renamed onto ``dest`` at
    the end, so an interrupted extraction leaves nothing half-done (leftovers of a killed process
    are swept, :func:`sweep_partial`). Modes follow the umask.

    Parameters
    ----------
    archive : str or os.PathLike
    dest : str or os.PathLike, optional
        Folder to create. Default: the archive's path without its extension(s).
    overwrite : bool
        Replace an existing ``dest``. Otherwise an existing ``dest`` folder is returned as is (it
        is taken to be a previous, complete extraction: extraction is atomic).
    max_size : int, optional
        Most bytes the content may expand to (known for pinned archives).

    Returns
    -------
    path : pathlib.Path
        The folder holding the archive's content.

    Raises
    ------
    UnsafeArchiveError
        (a ValueError) A member would escape ``dest``, a device file, an encrypted member, a
        truncated or corrupt archive (bad CRC), or content larger than the cap.
    ValueError
        Not a zip or tar archive.
    NotADirectoryError
        ``dest`` exists and is not a folder.
    FileNotFoundError
        No such archive.
    OSError
        The disk is full (or another write error): names the archive and the folder.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise FileNotFoundError(errno.ENOENT, f"{archive}: no such archive", str(archive))
    if dest is None:
        name = archive.name
        for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip"):
            if name.lower().endswith(ext):
                name = name[: -len(ext)]
                break
        dest = archive.with_name(name or archive.name + ".d")
    dest = Path(dest)
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{archive}: cannot unpack into {dest}: it "
                                     "exists and is not a folder", str(dest))
        if not overwrite:
            return dest
    cap = _cap(archive, max_size)

    if zipfile.is_zipfile(archive):
        kind = "zip"
    elif tarfile.is_tarfile(archive):
        kind = "tar"
    else:
        raise UnsafeArchiveError(archive, "*", "not a zip or tar archive (or a truncated one)")

    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep_partial(dest.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    try:
        _apply_umask(tmp, folder=True)
        try:
            if kind == "zip":
                with zipfile.ZipFile(archive) as zf:
                    if _precheck_zip(archive, zf) > cap:
                        raise _too_big(archive, "*", cap, max_size)
                    _extract_zip(archive, zf, tmp, cap, max_size)
            else:
                with tarfile.open(archive, "r:*") as tf:
                    if _precheck_tar(archive, tf) > cap:
                        raise _too_big(archive, "*", cap, max_size)
                    try:
                        tf.extractall(tmp, filter="data")
                    except tarfile.FilterError as exc:
                        member = getattr(exc, "tarinfo", None)
                        raise UnsafeArchiveError(
                            archive, member.name if member is not None else "?", str(exc)
                        ) from None
        except UnsafeArchiveError:
            raise
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, RuntimeError,
                NotImplementedError, *_decompress_errors()) as exc:
            raise UnsafeArchiveError(archive, "?", _archive_problem(archive, exc)) from None
        except OSError as exc:
            if exc.errno is None:  # gzip/lzma/bz2 stream errors are OSErrors without errno
                raise UnsafeArchiveError(archive, "?", _archive_problem(archive, exc)) from None
            raise OSError(exc.errno, f"{archive}: cannot unpack into {dest.parent}: "
                                     f"{exc.strerror}") from None
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _decompress_errors():
    """The exception classes of the decompressors (zlib, lzma), for :func:`extract`."""
    import lzma
    import zlib

    return (zlib.error, lzma.LZMAError)


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
    ...     _ = limiter.wait()      # returns at once the first time, then every 0.1 s
    >>> limiter.n_calls
    3
    """

    def __init__(self, min_interval=0.0, *, max_calls=None, period=None, clock=None, sleep=None):
        if min_interval is None:
            raise ParameterError("min_interval=None: expected a number of seconds >= 0")
        min_interval = _validate.finite_real(min_interval, "min_interval", low=0)
        if (max_calls is None) != (period is None):
            raise ParameterError("max_calls, period: give both, or neither")
        if max_calls is not None:
            max_calls = _validate.positive_int(max_calls, "max_calls")
            period = _validate.finite_real(period, "period", low=0, low_open=True)
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
