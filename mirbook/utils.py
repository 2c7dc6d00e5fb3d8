"""Small shared helpers: progress bars, hashing, file modes, a process pool that fails well.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
>>> _ = open(path, "w").write("abc")
>>> sha256_file(path)[:16]
'ba7816bf8f01cfea'
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import threading

import numpy as np

from mirbook import _validate
from mirbook.errors import MirbookError, ParameterError

__all__ = ["progress", "sha256_file", "rng", "process_pool", "parallel_map", "ItemError",
           "jobs_arg"]


def progress(items=None, *, desc=None, total=None, leave=False, **kwargs):
    """A tqdm progress bar that behaves well in terminals, notebooks and the book build.

    It writes to stdout in notebooks (stderr there would fail the book's ``stderr_output: severe``
    check) and is disabled altogether when ``MIRBOOK_PROGRESS=0``.

    Parameters
    ----------
    items : iterable, optional
        What to iterate over (tqdm's ``iterable``).
    desc : str, optional
    total : int, optional
    leave : bool
    **kwargs
        Passed on to :class:`tqdm.tqdm`.

    Returns
    -------
    bar : tqdm.tqdm

    Examples
    --------
    >>> sum(progress(range(3), disable=True))
    3
    """
    from tqdm import tqdm

    disable = kwargs.pop("disable", False) or os.environ.get("MIRBOOK_PROGRESS", "1") == "0"
    in_kernel = "ipykernel" in sys.modules
    return tqdm(
        items, desc=desc, total=total, leave=leave, disable=disable,
        file=sys.stdout if in_kernel else None, **kwargs,
    )


def sha256_file(path, *, chunk_size=1 << 20, algo="sha256") -> str:
    """Hex digest of a file, read in chunks: mirbook's one hashing loop.

    Parameters
    ----------
    path : str or os.PathLike
    chunk_size : int
        Bytes read at a time.
    algo : {"sha256", "md5"}
        :func:`mirbook.download.file_hash` uses this for the md5 pins of a few publishers.

    Returns
    -------
    digest : str
        Lower-case hexadecimal.
    """
    chunk_size = _validate.positive_int(chunk_size, "chunk_size")
    _validate.one_of(algo, "algo", ("sha256", "md5"))
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


def rng(*, random_state=0) -> np.random.Generator:
    """The book's random generator: :func:`mirbook._validate.random_state` of ``random_state``.

    Examples
    --------
    >>> float(rng(random_state=0).random()) == float(np.random.default_rng(0).random())
    True
    """
    return _validate.random_state(random_state)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _apply_umask(path, *, folder=False):
    """Give ``path`` the mode a plain ``open``/``mkdir`` would: 0666 (0777 for a folder) less the
    umask. ``tempfile.mkstemp``/``mkdtemp`` create 0600/0700 whatever the umask, which would
    keep a second user (a Docker ``USER``, JupyterHub) from reading the cache."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


def jobs_arg(text):
    """``argparse`` type for ``--jobs``: a positive integer, or a clear usage error.

    Examples
    --------
    >>> jobs_arg("4")
    4
    >>> jobs_arg("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: --jobs 0: expected a positive number of worker processes
    """
    import argparse

    try:
        value = int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"--jobs {text!r}: expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"--jobs {value}: expected a positive number of worker processes")
    return value


# --------------------------------------------------------------------------------------------
# process pool


def _watch_parent(pid, interval=0.5):
    """In a worker: exit as soon as process ``pid`` (the pool's owner) is gone.

    With the ``forkserver`` start method a worker's parent is the fork server, not the process
    that made the pool, so ``getppid`` says nothing about the owner; a killed owner (SIGKILL, the
    OOM killer) would leave the fork server and its workers running forever. Linux gives a
    ``pidfd`` that becomes readable when the owner dies (zombie or reaped); elsewhere the pid is
    polled.
    """
    import select

    def watch():
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = None
        while True:
            if fd is not None:
                ready, _, _ = select.select([fd], [], [], interval * 20)
                if ready:
                    os._exit(1)
            else:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    os._exit(1)
                except PermissionError:
                    pass
                threading.Event().wait(interval)

    threading.Thread(target=watch, name="mirbook-parent-watch", daemon=True).start()


def _worker_init(owner_pid, initializer, initargs):
    _watch_parent(owner_pid)
    # the parallelism is over items: one BLAS thread per worker (no oversubscription, and the
    # same rounding whatever the machine's core count); an initializer may set another.
    # Called, not entered: the limit holds for the worker's life.
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    if initializer is not None:
        initializer(*initargs)


def process_pool(*, max_workers, initializer=None, initargs=(), **kwargs):
    """A :class:`~concurrent.futures.ProcessPoolExecutor` with ``forkserver`` workers that exit
    when the process that made the pool dies.

    Forking a process that already runs threads (torch, OpenMP, BLAS, a notebook kernel) can
    deadlock the child on a lock held by a thread that was not copied; a fork server starts
    workers from a clean single-threaded process instead. Each worker watches the pool's owner
    and exits when it is killed, so no worker outlives a killed build. The work function must be
    importable (defined at module level). Prefer :func:`parallel_map`, which also keeps one
    failing item from taking the others down.

    Parameters
    ----------
    max_workers : int
        Number of worker processes.
    initializer : callable, optional
        Run once in each worker (after the owner watch starts), with ``initargs``.
    initargs : tuple
    **kwargs
        Passed on to :class:`~concurrent.futures.ProcessPoolExecutor`.

    Returns
    -------
    pool : concurrent.futures.ProcessPoolExecutor
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    max_workers = _validate.positive_int(max_workers, "max_workers")
    return ProcessPoolExecutor(max_workers=max_workers,
                               mp_context=multiprocessing.get_context("forkserver"),
                               initializer=_worker_init,
                               initargs=(os.getpid(), initializer, tuple(initargs)), **kwargs)


class ItemError(MirbookError, RuntimeError):
    """Items of :func:`parallel_map` that failed: each item's label, error type and message.

    The other items were all processed; ``failures`` lists ``(label, error)`` pairs, and
    ``results`` holds every result in the order of the items (``None`` where one failed).
    """

    def __init__(self, failures, results=None, what="item"):
        self.failures = list(failures)
        self.results = results
        lines = "\n".join(f"  {label}: {type(err).__name__}: {err}"
                          for label, err in self.failures[:10])
        more = f"\n  ... and {len(self.failures) - 10} more" if len(self.failures) > 10 else ""
        super().__init__(f"{len(self.failures)} {what}(s) failed (the others finished):\n"
                         f"{lines}{more}")


class _RemoteError(MirbookError, RuntimeError):
    """An error from a worker that could not cross the process boundary as itself."""

    def __init__(self, type_name, message):
        self.type_name = type_name
        super().__init__(f"{type_name}: {message}")


def _portable(exc):
    """``exc`` if it pickles and unpickles, else a :class:`_RemoteError` with its type and text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any failure to round-trip
        return _RemoteError(type(exc).__name__, str(exc))


def _call(func, item):
    try:
        return True, func(item)
    except Exception as exc:  # noqa: BLE001 - sent back with the item, reported by the owner
        return False, _portable(exc)


def parallel_map(items, *, func, n_jobs=1, initializer=None, initargs=(), label=repr,
                 desc=None, return_info=False):
    """``[func(item) for item in items]`` over worker processes; one failure stops no other item.

    Every item runs. Errors are caught in the worker, so they reach the caller with the item they
    belong to (an error class that does not pickle is sent as its type name and message), and a
    crashed worker is reported against the items it held instead of an anonymous
    ``BrokenProcessPool``.

    Parameters
    ----------
    items : iterable
    func : callable
        A module-level function (it is pickled to the workers when ``n_jobs > 1``).
    n_jobs : int
        Worker processes; 1 runs in this process; -1 uses every core.
    initializer, initargs
        As in :func:`process_pool`.
    label : callable
        ``label(item)`` names an item in error messages.
    desc : str, optional
        Show a :func:`progress` bar with this description.
    return_info : bool
        Return ``(results, info)`` with ``info["failures"]`` the ``(label, error)`` pairs instead
        of raising.

    Returns
    -------
    results : list
        In the order of ``items``; ``None`` for a failed item (only with ``return_info``).

    Raises
    ------
    ItemError
        Some items failed (after all the others finished); names each one.

    Examples
    --------
    >>> parallel_map([1, 4, 9], func=abs)
    [1, 4, 9]
    >>> results, info = parallel_map([1, "x"], func=abs, return_info=True)
    >>> results, info["failures"][0][0]
    ([1, None], "'x'")
    """
    items = list(items)
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    n_jobs = _validate.positive_int(n_jobs, "n_jobs")
    if not callable(func):
        raise ParameterError(f"func={func!r}: expected a callable")
    results = [None] * len(items)
    failures = {}
    bar = progress(total=len(items), desc=desc) if desc else None
    try:
        if n_jobs == 1 or len(items) <= 1:
            if initializer is not None:
                initializer(*initargs)
            for i, item in enumerate(items):
                ok, value = _call(func, item)
                if ok:
                    results[i] = value
                else:
                    failures[i] = value
                if bar is not None:
                    bar.update()
        else:
            crashed = _pool_map(items, range(len(items)), func, min(n_jobs, len(items)),
                                initializer, initargs, results, failures, bar)
            for i in crashed:  # a worker died: run each item it may have held on its own
                again = _pool_map(items, [i], func, 1, initializer, initargs, results,
                                  failures, None)
                if again:
                    failures[i] = _RemoteError(
                        "BrokenProcessPool", "the worker process died while running this item "
                        "(killed, out of memory, or a crash in C code)")
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    pairs = [(label(items[i]), failures[i]) for i in sorted(failures)]
    if return_info:
        return results, {"failures": pairs}
    if pairs:
        raise ItemError(pairs, results)
    return results


def _pool_map(items, indices, func, n_workers, initializer, initargs, results, failures, bar):
    """Run ``items[i]`` for ``i`` in ``indices`` in one pool; return the indices a dead worker
    left without a result (BrokenProcessPool)."""
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    crashed = []
    with process_pool(max_workers=n_workers, initializer=initializer, initargs=initargs) as pool:
        futures = {pool.submit(_call, func, items[i]): i for i in indices}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                ok, value = fut.result()
            except BrokenProcessPool:
                crashed.append(i)
                continue
            if ok:
                results[i] = value
            else:
                failures[i] = value
            if bar is not None:
                bar.update()
    return sorted(crashed)
