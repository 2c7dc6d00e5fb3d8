"""Features computed once: in memory and in an atomic ``.npz`` file, keyed by what they depend on.

A Part III chapter computes its inputs (log-mel spectrograms, the seed's ``(3, 108, 12)`` blocks)
from a corpus once; :func:`cached_features` keeps them in memory for the session and in
``data_home()/features/<hash>.npz`` across sessions. The key is a hash of everything the features
depend on, given by the caller: corpus name and version, feature parameters, the split... A
:class:`pathlib.Path` in the key stands for its file's content (pass a corpus ``manifest.json``
and the cache follows the corpus). Change any part and the features are computed again.

Used by the Part III chapter notebooks (chapters 11 and 12).

>>> import numpy as np, tempfile
>>> calls = []
>>> def compute():
...     calls.append(1)
...     return {"X": np.ones((2, 3)), "y": np.array([0, 1])}
>>> folder = tempfile.mkdtemp()
>>> a = cached_features({"corpus": "demo", "n_mels": 64}, compute=compute, cache_dir=folder)
>>> b = cached_features({"corpus": "demo", "n_mels": 64}, compute=compute, cache_dir=folder)
>>> len(calls), a["X"].shape, b["y"].tolist()
(1, (2, 3), [0, 1])
"""

from __future__ import annotations

import hashlib
import json
import numbers
from pathlib import Path

import numpy as np

from mirbook.errors import ParameterError

__all__ = ["cached_features", "feature_key", "clear_memory_cache"]

#: Session cache: key hash -> result (arrays are read-only).
_MEMORY: dict = {}

_KIND = "__mirbook_kind__"


def _canonical(value, where):
    """A JSON-able form of a key part (paths by content, arrays by hash)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)):
        return {"float": repr(float(value))}   # exact; 1.0 differs from "1.0" and from 1
    if isinstance(value, Path):
        if not value.is_file():
            raise ParameterError(f"{where}: {value} is not a file (a Path in the key stands for "
                                 "its file's content)")
        from mirbook.utils import sha256_file

        return {"file": value.name, "sha256": sha256_file(value)}
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        return {"array": str(arr.dtype), "shape": list(arr.shape),
                "sha256": hashlib.sha256(arr.tobytes()).hexdigest()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return {str(k): _canonical(v, f"{where}[{k!r}]") for k, v in items}
    raise ParameterError(f"{where}: a {type(value).__name__} cannot be part of a cache key (use "
                         "numbers, strings, lists, dicts, arrays or a pathlib.Path)")


def feature_key(key):
    """The hash that names the cache entry of ``key``.

    Parameters
    ----------
    key : dict, list, str or number
        Everything the features depend on. Dict order does not matter; a ``pathlib.Path``
        counts by its file's content, an array by its values.

    Returns
    -------
    digest : str
        20 hexadecimal characters.

    Examples
    --------
    >>> feature_key({"a": 1, "b": "x"}) == feature_key({"b": "x", "a": 1})
    True
    >>> feature_key({"n_mels": 64}) == feature_key({"n_mels": 128})
    False

    Used by :func:`cached_features`.
    """
    text = json.dumps(_canonical(key, "key"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _normalise(result):
    """``compute()``'s result as (kind, {name: array})."""
    if isinstance(result, np.ndarray):
        return "array", {"arr_0": result}
    if isinstance(result, tuple):
        return "tuple", {f"arr_{i}": np.asarray(v) for i, v in enumerate(result)}
    if isinstance(result, dict):
        if not all(isinstance(k, str) and k.isidentifier() for k in result):
            raise ParameterError("compute: dict keys must be identifiers (they name .npz entries)")
        if _KIND in result:
            raise ParameterError(f"compute: {_KIND!r} is reserved")
        return "dict", {k: np.asarray(v) for k, v in result.items()}
    raise ParameterError(f"compute: returned a {type(result).__name__}; expected an array, a "
                         "tuple of arrays or a dict of arrays")


def _rebuild(kind, arrays):
    for arr in arrays.values():
        arr.setflags(write=False)
    if kind == "array":
        return arrays["arr_0"]
    if kind == "tuple":
        return tuple(arrays[f"arr_{i}"] for i in range(len(arrays)))
    return dict(arrays)


def cached_features(key, *, compute, cache_dir=None, disk=True):
    """``compute()``, computed once per ``key``: from memory, else from disk, else computed.

    Parameters
    ----------
    key : dict, list, str or number
        Everything the features depend on (corpus name and version or its manifest path, split,
        feature parameters); see :func:`feature_key`.
    compute : callable
        Takes no argument and returns an array, a tuple of arrays or a dict of arrays (numbers or
        strings; no object arrays).
    cache_dir : str or os.PathLike, optional
        Where the ``.npz`` files go; ``mirbook.config.data_home() / "features"`` by default.
    disk : bool
        ``False``: cache in memory only.

    Returns
    -------
    features : np.ndarray, tuple or dict of np.ndarray
        What ``compute`` returned, in the same form; the arrays are read-only (they are shared by
        every caller of the same key: copy before modifying). ``compute`` runs with one BLAS
        thread (threadpoolctl), so the numbers do not depend on the caller's thread count;
        the worker processes of :func:`mirbook.utils.parallel_map` have one BLAS thread too.

    Examples
    --------
    >>> import numpy as np
    >>> X = cached_features(["demo", 1], compute=lambda: np.arange(3.0), disk=False)
    >>> X.tolist(), X.flags.writeable
    ([0.0, 1.0, 2.0], False)

    Used by the Part III chapter notebooks (chapters 11 and 12).
    """
    if not callable(compute):
        raise ParameterError(f"compute={compute!r}: expected a function of no argument")
    digest = feature_key(key)
    if digest in _MEMORY:
        return _MEMORY[digest]
    path = None
    if disk:
        if cache_dir is None:
            from mirbook.config import data_home

            cache_dir = data_home() / "features"
        path = Path(cache_dir) / f"{digest}.npz"
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as npz:
                    arrays = {k: npz[k] for k in npz.files}
                kind = str(arrays.pop(_KIND))
                result = _rebuild(kind, arrays)
                _MEMORY[digest] = result
                return result
            except Exception:  # noqa: BLE001 - a damaged cache file is recomputed and replaced
                pass
    from threadpoolctl import threadpool_limits

    # one BLAS thread: a matrix product split over another number of threads rounds
    # differently (1e-7), and a small network trained on the features can amplify that into
    # other results; so a cached feature does not depend on the caller's thread settings
    with threadpool_limits(limits=1, user_api="blas"):
        kind, arrays = _normalise(compute())
    for name, arr in arrays.items():
        if arr.dtype == object:
            raise ParameterError(f"compute: {name!r} is an object array (not cacheable); use "
                                 "numbers or strings")
    if path is not None:
        from mirbook.io import atomic_path

        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **{_KIND: np.array(kind)}, **arrays)
    result = _rebuild(kind, {k: np.array(v, copy=True) for k, v in arrays.items()})
    _MEMORY[digest] = result
    return result


def clear_memory_cache():
    """Forget the features held in memory (the ``.npz`` files stay).

    Returns
    -------
    n : int
        Entries dropped.

    Examples
    --------
    >>> _ = cached_features("demo-clear", compute=lambda: np.zeros(1), disk=False)
    >>> clear_memory_cache() >= 1
    True

    Used by the Part III chapter notebooks (chapters 11 and 12).
    """
    n = len(_MEMORY)
    _MEMORY.clear()
    return n
