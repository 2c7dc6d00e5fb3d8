"""Small shared helpers: progress bars, hashing, seeding."""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np


def progress(iterable=None, *, desc=None, total=None, leave=False, **kwargs):
    """A tqdm progress bar that behaves well in terminals, notebooks and the book build.

    It writes to stdout in notebooks (stderr there would fail the book's ``stderr_output: severe``
    check) and is disabled altogether when ``MIRBOOK_PROGRESS=0``.

    Parameters
    ----------
    iterable : iterable, optional
    desc : str, optional
    total : int, optional
    leave : bool
    **kwargs
        Passed on to :class:`tqdm.tqdm`.
    """
    from tqdm import tqdm

    disable = os.environ.get("MIRBOOK_PROGRESS", "1") == "0"
    in_kernel = "ipykernel" in sys.modules
    return tqdm(
        iterable, desc=desc, total=total, leave=leave, disable=disable,
        file=sys.stdout if in_kernel else None, **kwargs,
    )


def sha256_file(path, chunk_size=1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


def rng(seed=0) -> np.random.Generator:
    """The book's random generator: ``numpy.random.default_rng(seed)``; every chapter seeds it."""
    return np.random.default_rng(seed)


def process_pool(max_workers, **kwargs):
    """A :class:`~concurrent.futures.ProcessPoolExecutor` whose workers start with the
    ``forkserver`` method.

    Forking a process that already runs threads (torch, OpenMP, BLAS, a notebook kernel) can
    deadlock the child on a lock held by a thread that was not copied; a fork server starts
    workers from a clean single-threaded process instead. The work function must be importable
    (defined at module level in mirbook).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=max_workers,
                               mp_context=multiprocessing.get_context("forkserver"), **kwargs)
