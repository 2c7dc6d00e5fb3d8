"""mirbook: the companion package of the *Large-Scale Music Information Retrieval* course.

Every algorithm a chapter teaches lives here, tested on its own; the notebooks in ``notebooks/``
call it. Modules are named by concept (``mirbook.io``, ``mirbook.transforms``, ...), in the style
of librosa, and share its parameter names (``y, sr, S, n_fft, hop_length, n_bins``). Two layers:
the library (every module but one) and the corpora built on top of it (:mod:`mirbook.datasets`),
which the library never imports.

Submodules are imported on first use (``lazy_loader``, as librosa does), so ``import mirbook``
stays fast and ``mirbook.<module>`` works without an explicit import:

>>> import mirbook
>>> "transforms" in mirbook.__all__
True
>>> mirbook.errors.ParameterError.__mro__[1].__name__
'MirbookError'
"""

import pkgutil as _pkgutil

import lazy_loader as _lazy

__version__ = "0.1.0"

#: Exactly the submodules that exist (discovered, never listed by hand; private ones excluded).
_SUBMODULES = sorted(
    m.name for m in _pkgutil.iter_modules(__path__)
    if not m.name.startswith("_")
)

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submodules=_SUBMODULES)
__all__ = [*__all__, "__version__"]
