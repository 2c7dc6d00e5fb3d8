"""mirbook: the companion package of the *Large-Scale Music Information Retrieval* course.

Every algorithm a chapter teaches lives here, tested on its own; the notebooks in ``notebooks/``
call it. Modules are named by concept (``mirbook.io``, ``mirbook.signal``, ...), in the style of
librosa, and share its parameter names (``y, sr, n_fft, hop_length, n_bins, bins_per_octave``).

Submodules are imported on demand, so ``import mirbook`` stays fast::

    >>> import mirbook
    >>> y, sr = mirbook.io.load_audio(path, sr=22050)       # doctest: +SKIP
"""

from importlib import import_module

__version__ = "0.1.0"

_SUBMODULES = {
    "config", "io", "signal", "plot", "datasets", "transforms", "features", "chords", "sequence",
    "nmf", "transcription", "codecs", "models", "train", "embeddings", "scale", "reproduce",
    "tasks", "download", "utils", "symbolic",
}

__all__ = sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        module = import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mirbook' has no attribute {name!r}")


def __dir__():
    return __all__
