"""The key of the executed-notebook cache (``make test`` / ``make book``).

Jupyter Book's cache (``_build/.jupyter_cache``) re-uses a notebook's outputs while its cells are
unchanged. The outputs also depend on what the cells call and read: the package, the pinned
dependencies, the pytest plugin that fills the cache, and the corpus. :func:`cache_key` hashes
those inputs, by (path, content), so that the cache is dropped whenever one of them changes, in a
checkout or not, wherever ``MIRBOOK_DATA`` puts the corpus::

    python -m mirbook._cachekey --stamp _build/.cache-key --cache _build/.jupyter_cache [--force]

This replaces a shell pipeline that hashed ``git ls-files`` (nothing invalidated outside a checkout)
and a hard-coded ``data/cache``.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

#: Files of the repository root that the cache depends on, besides the package sources.
ROOT_FILES = ("pyproject.toml", "constraints.txt", "conftest.py")

#: Suffixes of package files that are sources or package data (not bytecode).
_PACKAGE_SUFFIXES = (".py", ".pyi", ".csv", ".json", ".txt", ".toml", ".yml", ".yaml")


def cache_inputs(root, *, data_home) -> list[tuple[str, Path]]:
    """List the files the key covers, as (label, path) pairs sorted by label.

    Parameters
    ----------
    root : str or pathlib.Path
        Repository root (the folder holding ``pyproject.toml`` and ``mirbook/``).
    data_home : str or pathlib.Path
        Corpus folder (:func:`mirbook.config.data_home`); its ``manifest.json`` files are covered.
        A missing folder contributes nothing.

    Returns
    -------
    inputs : list of (str, pathlib.Path)
        The label is the path relative to ``root`` (``mirbook/io.py``), or to ``data_home``
        prefixed with ``data_home/`` for the manifests, so that the key does not depend on where
        the checkout or the corpus lies.

    Examples
    --------
    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "mirbook").mkdir()
    >>> _ = (tmp / "mirbook" / "io.py").write_text("x = 1")
    >>> _ = (tmp / "pyproject.toml").write_text("[project]")
    >>> [label for label, _ in cache_inputs(tmp, data_home=tmp / "nowhere")]
    ['mirbook/io.py', 'pyproject.toml']
    """
    root = Path(root)
    data_home = Path(data_home)
    inputs = []
    package = root / "mirbook"
    for path in package.rglob("*"):
        rel = path.relative_to(root)
        if (path.is_file() and path.suffix in _PACKAGE_SUFFIXES
                and "__pycache__" not in rel.parts
                and not any(part.startswith(".") for part in rel.parts)):
            inputs.append((rel.as_posix(), path))
    for name in ROOT_FILES:
        if (root / name).is_file():
            inputs.append((name, root / name))
    if data_home.is_dir():
        for path in data_home.rglob("manifest.json"):
            inputs.append(("data_home/" + path.relative_to(data_home).as_posix(), path))
    return sorted(inputs)


def cache_key(root=None, *, data_home=None) -> str:
    """Hash the inputs of :func:`cache_inputs` by (label, content).

    Parameters
    ----------
    root : str or pathlib.Path, optional
        Repository root; default: the checkout this package runs from
        (:func:`mirbook.config.repo_root`), else the folder above the installed package.
    data_home : str or pathlib.Path, optional
        Corpus folder; default :func:`mirbook.config.data_home` (``$MIRBOOK_DATA``).

    Returns
    -------
    key : str
        64 hexadecimal digits. It changes when a covered file is added, removed, renamed or edited,
        and only then (not with modification times, nor with where the folders lie).

    Examples
    --------
    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "mirbook").mkdir()
    >>> _ = (tmp / "mirbook" / "io.py").write_text("x = 1")
    >>> key = cache_key(tmp, data_home=tmp / "nowhere")
    >>> len(key)
    64
    >>> _ = (tmp / "mirbook" / "io.py").write_text("x = 2")
    >>> cache_key(tmp, data_home=tmp / "nowhere") == key
    False
    """
    from mirbook import config

    if root is None:
        root = config.repo_root() or Path(__file__).resolve().parent.parent
    if data_home is None:
        data_home = config.data_home(create=False)
    digest = hashlib.sha256()
    for label, path in cache_inputs(root, data_home=data_home):
        content = path.read_bytes()
        label_bytes = label.encode()
        # length-prefixed fields: no two different (label, content) lists hash the same bytes
        for field in (label_bytes, content):
            digest.update(len(field).to_bytes(8, "big"))
            digest.update(field)
    return digest.hexdigest()


def refresh(stamp, cache, *, key, force=False) -> bool:
    """Drop ``cache`` when ``key`` differs from the one in ``stamp`` (or ``force``); store ``key``.

    Parameters
    ----------
    stamp : str or pathlib.Path
        File holding the key of the cache's last fill.
    cache : str or pathlib.Path
        The jupyter-cache folder to drop.
    key : str
        The current key (:func:`cache_key`).
    force : bool
        Drop the cache whatever the key (``make book BOOK_EXECUTE=force``).

    Returns
    -------
    dropped : bool
        Whether the cache folder was removed (or would have been, had it existed).

    Examples
    --------
    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> (tmp / "cache").mkdir()
    >>> refresh(tmp / "stamp", tmp / "cache", key="a")
    True
    >>> (tmp / "cache").mkdir()
    >>> refresh(tmp / "stamp", tmp / "cache", key="a"), (tmp / "cache").exists()
    (False, True)
    """
    stamp, cache = Path(stamp), Path(cache)
    old = stamp.read_text().strip() if stamp.is_file() else None
    dropped = force or old != key
    if dropped and cache.exists():
        shutil.rmtree(cache)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key + "\n")
    return dropped


def main(argv=None) -> int:
    """Command line: ``python -m mirbook._cachekey --stamp FILE --cache DIR [--force]``."""
    parser = argparse.ArgumentParser(prog="python -m mirbook._cachekey",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--stamp", required=True, help="file that stores the key of the last fill")
    parser.add_argument("--cache", required=True, help="jupyter-cache folder to drop when stale")
    parser.add_argument("--force", action="store_true", help="drop the cache in any case")
    parser.add_argument("--root", default=None, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    key = cache_key(args.root)
    if refresh(args.stamp, args.cache, key=key, force=args.force):
        print(f"notebook cache {args.cache}: dropped (key {key[:12]})", file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
