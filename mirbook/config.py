"""Where mirbook keeps generated audio and downloads.

The cache lives in ``data/cache/`` of a repository checkout (git-ignored), else in
``~/.cache/mirbook``. The environment variable ``MIRBOOK_DATA`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository's URL, the same as ``repository.url`` in ``_config.yml`` (a test checks it).
REPOSITORY_URL = "https://github.com/mirbook/mirbook"

#: The sample rate of the offline corpus and of the chapters' defaults (librosa's 22050 Hz).
SR = 22050


def repo_root() -> Path | None:
    """Return the repository checkout this package runs from, or ``None`` for an installed copy."""
    root = Path(__file__).resolve().parent.parent
    if (root / "_config.yml").is_file() and (root / "mirbook").is_dir():
        return root
    return None


def data_home(*, create: bool = True) -> Path:
    """Return the data cache folder.

    Parameters
    ----------
    create : bool
        Create the folder if it does not exist.

    Returns
    -------
    path : pathlib.Path
        ``$MIRBOOK_DATA`` if set, else ``<repo>/data/cache`` in a checkout, else ``~/.cache/mirbook``.
    """
    env = os.environ.get("MIRBOOK_DATA")
    if env:
        path = Path(env).expanduser()
    elif repo_root() is not None:
        path = repo_root() / "data" / "cache"
    else:
        path = Path.home() / ".cache" / "mirbook"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
