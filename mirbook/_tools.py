"""Private: check that a system tool (FluidSynth, espeak-ng, apt-get...) is there, or say how to
install it with ONE clear :class:`mirbook.errors.MissingToolError`.

Shared by the library (:func:`mirbook.synth.check_fluidsynth`) and the corpora
(:mod:`mirbook.datasets`), so it lives below both.
"""

from __future__ import annotations

import ctypes.util
import importlib
import shutil

from mirbook.errors import MissingToolError


def require_tool(tool, *, apt, executable=None, library=None, python=None, corpus=None):
    """Check that a system tool is available, or raise ONE clear :class:`MissingToolError`.

    Parameters
    ----------
    tool : str
        Human name (``"FluidSynth"``, ``"espeak-ng"``).
    apt : str or list of str
        The Debian/Ubuntu package(s) that install it (used in the message).
    executable : str, optional
        A program looked up on ``PATH``.
    library : str, optional
        A shared library looked up with :func:`ctypes.util.find_library` (``"fluidsynth"``).
    python : str, optional
        A Python module that must import (e.g. ``"fluidsynth"`` of pyfluidsynth).
    corpus : str, optional
        The corpus that needs it, for the message.

    Raises
    ------
    mirbook.errors.MissingToolError
        With the ``apt-get install`` command.

    Examples
    --------
    >>> require_tool("a shell", apt="dash", executable="sh")
    >>> require_tool("xyz", apt="xyz", executable="surely-not-a-program-xyz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mirbook.errors.MissingToolError: mirbook needs xyz, but the program `surely-not-a-program-xyz` ...
    """
    missing = None
    if executable is not None and shutil.which(executable) is None:
        missing = f"the program `{executable}` is not on PATH"
    elif library is not None and ctypes.util.find_library(library) is None:
        missing = f"the shared library lib{library} is not installed"
    elif python is not None:
        try:
            importlib.import_module(python)
        except (ImportError, OSError) as exc:
            missing = f"the Python module `{python}` cannot be imported ({exc})"
    if missing is None:
        return
    pkgs = " ".join([apt] if isinstance(apt, str) else list(apt))
    who = f"The corpus {corpus!r} needs" if corpus else "mirbook needs"
    raise MissingToolError(
        f"{who} {tool}, but {missing}.\n"
        f"Install it with:\n    sudo apt-get install -y {pkgs}\n"
        "(as root, without sudo; run `apt-get update` first if the package is not found), "
        "then run `python -m mirbook data build` again."
    )
