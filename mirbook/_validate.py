"""Private input checks shared by every module (mir_eval's ``validate()`` style: reject malformed
input before any computation, with a message that names the argument and the problem).

Public modules call these; readers never need them. Caller mistakes raise
:class:`mirbook.errors.ParameterError`.
"""

from __future__ import annotations

import numbers

import numpy as np

from mirbook.errors import ParameterError


def positive_int(value, name):
    """``value`` as an ``int`` > 0, or :class:`ParameterError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)) \
            or value <= 0:
        raise ParameterError(f"{name}={value!r}: expected a positive integer")
    return int(value)


def nonneg_int(value, name):
    """``value`` as an ``int`` >= 0, or :class:`ParameterError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)) \
            or value < 0:
        raise ParameterError(f"{name}={value!r}: expected a non-negative integer")
    return int(value)


def finite_real(value, name, *, low=None, high=None, low_open=False):
    """``value`` as a ``float``, finite and within ``[low, high]`` (``(low, high]`` if
    ``low_open``), or :class:`ParameterError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise ParameterError(f"{name}={value!r}: expected a real number")
    value = float(value)
    if not np.isfinite(value):
        raise ParameterError(f"{name}={value!r}: expected a finite number")
    if low is not None and (value < low or (low_open and value == low)):
        raise ParameterError(f"{name}={value!r}: expected a value {'>' if low_open else '>='} {low}")
    if high is not None and value > high:
        raise ParameterError(f"{name}={value!r}: expected a value <= {high}")
    return value


def real_array(X, name, *, ndim=None, min_ndim=None, shape=None, nonneg=False, positive=False,
               allow_empty=False, hint=""):
    """Check a real, finite array and return it (as ``np.asarray``).

    Parameters
    ----------
    X : array_like
    name : str
        The argument's name, used in every message.
    ndim : int, optional
        Exact number of dimensions required.
    min_ndim : int, optional
        At least this many dimensions (e.g. 2 for ``(..., n_bins, n_frames)``).
    shape : tuple, optional
        Exact shape required.
    nonneg, positive : bool
        Require ``X >= 0`` (``X > 0``).
    allow_empty : bool
        Accept an array with no elements.
    hint : str
        Appended to the negative-value message (e.g. "take np.abs of the STFT first").

    Raises
    ------
    ParameterError
        Wrong dimensions or shape, complex or non-numeric dtype, empty, NaN/Inf, negative values.
    """
    X = np.asarray(X)
    if ndim is not None and X.ndim != ndim:
        raise ParameterError(f"{name}: expected a {ndim}-d array, got shape {X.shape}")
    if min_ndim is not None and X.ndim < min_ndim:
        raise ParameterError(f"{name}: expected at least {min_ndim} dimensions, got shape {X.shape}")
    if np.iscomplexobj(X):
        raise ParameterError(f"{name}: expected real numbers, got dtype {X.dtype} "
                             "(take np.abs of a complex STFT first)")
    if X.dtype == bool or not np.issubdtype(X.dtype, np.number):
        raise ParameterError(f"{name}: expected real numbers, got dtype {X.dtype}")
    if X.size == 0 and not allow_empty:
        raise ParameterError(f"{name}: empty array of shape {X.shape}")
    if shape is not None and X.shape != tuple(shape):
        raise ParameterError(f"{name}: shape {X.shape}, expected {tuple(shape)}")
    if np.issubdtype(X.dtype, np.floating):
        bad = ~np.isfinite(X)
        if bad.any():
            i = tuple(int(v) for v in np.argwhere(bad)[0])
            raise ParameterError(f"{name}: {int(bad.sum())} NaN/Inf value(s), the first at {i}")
    if (nonneg or positive) and X.size and (X < 0).any():
        i = tuple(int(v) for v in np.argwhere(X < 0)[0])
        raise ParameterError(f"{name}: {int((X < 0).sum())} negative value(s), the first at {i}"
                             + (f"; {hint}" if hint else ""))
    if positive and X.size and (X == 0).any():
        raise ParameterError(f"{name}: {int((X == 0).sum())} zero value(s), expected positive "
                             "values (add a small floor, e.g. X + 1e-10)")
    return X


def one_of(value, name, choices):
    """``value`` if it is in ``choices``, else :class:`ParameterError` listing them."""
    if value not in choices:
        raise ParameterError(f"{name}={value!r}: expected one of {', '.join(map(repr, choices))}")
    return value


def random_state(value, name="random_state"):
    """``random_state`` (``None``, an int seed or a ``np.random.Generator``) as a Generator.

    The one way to ask for randomness in :mod:`mirbook`: every function that draws random numbers
    takes ``random_state=`` (sklearn's name), never ``seed`` or ``rng``.
    """
    if value is None or isinstance(value, (numbers.Integral, np.integer)) \
            and not isinstance(value, bool):
        if value is not None and value < 0:
            raise ParameterError(f"{name}={value!r}: a seed must be >= 0")
        return np.random.default_rng(value)
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, np.random.RandomState):
        return np.random.default_rng(value.randint(0, 2**31 - 1))
    raise ParameterError(f"{name}={value!r}: expected None, an int seed or a np.random.Generator")
