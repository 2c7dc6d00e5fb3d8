"""Embedding-space alignment: orthogonal Procrustes, CCA, and cross-space retrieval.

The code behind chapter 17 (``notebooks/17_frontiers.ipynb``), the seed's second research
direction, "embedding space alignment and projections". Two embedding spaces of the *same* items
(two recommenders trained on two markets, an audio model and a usage model...) do not share
coordinates: each is only defined up to a rotation (and more). Given a few **anchor** items
known in both, an alignment maps one space onto the other:

- **orthogonal Procrustes** (:func:`procrustes`): the rotation ``Q`` minimising
  ``||A Q - B||_F`` over orthogonal matrices, ``Q = U V^T`` from the SVD ``A^T B = U S V^T``
  (Schönemann 1966); tested against :func:`scipy.linalg.orthogonal_procrustes`;
- **CCA** (:class:`sklearn.cross_decomposition.CCA`): a linear projection of *each* space onto
  directions of maximal correlation (spaces may differ in dimension);
- **least squares** (ridge): an unconstrained linear map, the most flexible and the one that
  overfits first with few anchors.

:func:`align` fits one of them on the anchors and returns both spaces in the shared
coordinates; :func:`cross_retrieval` measures the result (for every item of one space, is its own
counterpart the nearest item of the other space?); :func:`validate` checks the pair of spaces.
"""

from __future__ import annotations

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError

__all__ = ["procrustes", "align", "cross_retrieval", "validate", "random_rotation"]


def validate(A, B, *, anchors=None):
    """Check two embedding spaces of the same items (and anchor indices) before aligning.

    Parameters
    ----------
    A : np.ndarray, shape (n_items, d_a)
    B : np.ndarray, shape (n_items, d_b)
        Row ``i`` of both is the same item.
    anchors : array_like of int, optional
        Indices of the items whose correspondence is known (at least 2, distinct, in range).

    Returns
    -------
    A, B : np.ndarray (float64)
    anchors : np.ndarray of int, or None

    Raises
    ------
    mirbook.errors.ParameterError
        Naming ``A``, ``B`` or ``anchors``.

    Examples
    --------
    >>> A, B, idx = validate(np.zeros((3, 2)), np.ones((3, 4)), anchors=[0, 2])
    >>> idx.tolist()
    [0, 2]
    >>> validate(np.zeros((3, 2)), np.ones((4, 2)))
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: B: 4 rows for the 3 items of A (row i is one item in both)
    """
    A = _validate.real_array(A, "A", ndim=2).astype(np.float64)
    B = _validate.real_array(B, "B", ndim=2).astype(np.float64)
    if len(B) != len(A):
        raise ParameterError(f"B: {len(B)} rows for the {len(A)} items of A "
                             "(row i is one item in both)")
    if anchors is None:
        return A, B, None
    idx = np.asarray(anchors)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ParameterError("anchors: expected a 1-d array of item indices")
    if len(idx) < 2 or len(np.unique(idx)) != len(idx):
        raise ParameterError(f"anchors: expected at least 2 distinct indices, got {len(idx)}")
    if idx.min() < 0 or idx.max() >= len(A):
        raise ParameterError(f"anchors: indices outside 0..{len(A) - 1}")
    return A, B, idx.astype(int)


def procrustes(A, B, *, scale=False, return_info=False):
    """The orthogonal matrix ``Q`` that best maps ``A`` onto ``B``: ``min ||A Q - B||_F``.

    ``Q = U V^T`` from the SVD ``A^T B = U S V^T``; the same result as
    :func:`scipy.linalg.orthogonal_procrustes` (no centring here: centre first if you want it,
    as :func:`align` does).

    Parameters
    ----------
    A, B : np.ndarray, shape (n, d)
        Corresponding rows.
    scale : bool
        Also fit one scale ``s`` (``min ||s A Q - B||``: ``s = trace(S) / ||A||^2``); then
        ``Q`` is returned multiplied by ``s``.
    return_info : bool
        Also return ``{"scale": s, "residual": ||A Q - B||_F / ||B||_F, "singular_values": S}``.

    Returns
    -------
    Q : np.ndarray, shape (d, d)
        Orthogonal (times ``s`` with ``scale=True``).
    info : dict, optional

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = rng.normal(size=(20, 3)); R0 = random_rotation(3, random_state=1)
    >>> Q = procrustes(A, A @ R0)
    >>> bool(np.allclose(Q, R0)), bool(np.allclose(Q @ Q.T, np.eye(3)))
    (True, True)

    Used in the chapter 17 notebook (``notebooks/17_frontiers.ipynb``).
    """
    A = _validate.real_array(A, "A", ndim=2).astype(np.float64)
    B = _validate.real_array(B, "B", ndim=2).astype(np.float64)
    if A.shape != B.shape:
        raise ParameterError(f"B: shape {B.shape} differs from A {A.shape} (Procrustes maps "
                             "a space onto one of the same dimension)")
    U, S, Vt = np.linalg.svd(A.T @ B)
    Q = U @ Vt
    s = float(S.sum() / max((A**2).sum(), 1e-300)) if scale else 1.0
    Q = Q * s
    if return_info:
        res = float(np.linalg.norm(A @ Q - B) / max(np.linalg.norm(B), 1e-300))
        return Q, {"scale": s, "residual": res, "singular_values": S}
    return Q


def random_rotation(n, *, random_state=0):
    """A uniformly random orthogonal matrix (QR of a Gaussian matrix, signs fixed).

    Parameters
    ----------
    n : int
        Dimension.
    random_state : None, int or np.random.Generator

    Returns
    -------
    Q : np.ndarray, shape (n, n)

    Examples
    --------
    >>> Q = random_rotation(4)
    >>> bool(np.allclose(Q.T @ Q, np.eye(4)))
    True
    """
    n = _validate.positive_int(n, "n")
    rng = _validate.random_state(random_state)
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def _unit(Z):
    n = np.linalg.norm(Z, axis=1, keepdims=True)
    return Z / np.where(n > 1e-12, n, 1.0)


def align(A, B, *, anchors=None, method="procrustes", n_components=None, alpha=1.0,
          normalize=True):
    """Map two embedding spaces of the same items into shared coordinates, fitted on anchors.

    Parameters
    ----------
    A : np.ndarray, shape (n_items, d_a)
    B : np.ndarray, shape (n_items, d_b)
    anchors : array_like of int, optional
        The items the alignment is fitted on (default: all). The others are what it is
        evaluated on.
    method : {"none", "procrustes", "cca", "ridge"}
        ``"none"``: the raw coordinates (needs ``d_a == d_b``); ``"procrustes"``: centre and
        scale each space by its anchors, rotate ``A`` onto ``B`` (needs ``d_a == d_b``);
        ``"cca"``: both spaces projected on ``n_components`` canonical directions
        (:class:`sklearn.cross_decomposition.CCA`, at most ``len(anchors) - 1``);
        ``"ridge"``: a least-squares linear map from ``A`` to ``B`` (:class:`sklearn.linear_model.Ridge`).
    n_components : int, optional
        For ``"cca"`` (default ``min(d_a, d_b, len(anchors) - 1)``).
    alpha : float
        Ridge penalty (``"ridge"``).
    normalize : bool
        Rows scaled to unit length before centring (cosine geometry).

    Returns
    -------
    A_aligned : np.ndarray, shape (n_items, k)
    B_aligned : np.ndarray, shape (n_items, k)
        Both spaces in the shared coordinates; compare rows with :func:`cross_retrieval`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> B = rng.normal(size=(50, 4)); A = B @ random_rotation(4, random_state=2)
    >>> Aa, Ba = align(A, B, anchors=np.arange(10))
    >>> round(cross_retrieval(Aa, Ba), 2), round(cross_retrieval(A, B), 2) < 0.5
    (1.0, True)

    Used in the chapter 17 notebook (``notebooks/17_frontiers.ipynb``).
    """
    A, B, idx = validate(A, B, anchors=anchors)
    _validate.one_of(method, "method", ("none", "procrustes", "cca", "ridge"))
    if idx is None:
        idx = np.arange(len(A))
    if normalize:
        A, B = _unit(A), _unit(B)
    if method in ("none", "procrustes") and A.shape[1] != B.shape[1]:
        raise ParameterError(f"method={method!r}: needs spaces of one dimension, got "
                             f"{A.shape[1]} and {B.shape[1]} (use 'cca' or 'ridge')")
    if method == "none":
        return A, B
    if method == "procrustes":
        ma, mb = A[idx].mean(0), B[idx].mean(0)
        A0, B0 = A - ma, B - mb
        sa = np.linalg.norm(A0[idx]) / np.sqrt(len(idx))
        sb = np.linalg.norm(B0[idx]) / np.sqrt(len(idx))
        A0, B0 = A0 / max(sa, 1e-12), B0 / max(sb, 1e-12)
        return A0 @ procrustes(A0[idx], B0[idx]), B0
    if method == "ridge":
        from sklearn.linear_model import Ridge

        _validate.finite_real(alpha, "alpha", low=0.0, low_open=True)
        model = Ridge(alpha=float(alpha)).fit(A[idx], B[idx])
        return model.predict(A), B
    from sklearn.cross_decomposition import CCA

    k_max = min(A.shape[1], B.shape[1], len(idx) - 1)
    k = k_max if n_components is None else _validate.positive_int(n_components, "n_components")
    if k > k_max:
        raise ParameterError(f"n_components={k}: at most {k_max} with {len(idx)} anchors "
                             f"and dimensions {A.shape[1]}, {B.shape[1]}")
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():  # few anchors: the NIPALS loop may stop before its tolerance
        warnings.simplefilter("ignore", ConvergenceWarning)
        cca = CCA(n_components=k, max_iter=2000).fit(A[idx], B[idx])
    Ac, Bc = cca.transform(A, B)
    return Ac, Bc


def cross_retrieval(A, B, *, items=None, k=1, return_info=False):
    """Share of items whose own counterpart is among the ``k`` nearest (cosine) in the other space.

    Query: row ``i`` of ``A``; candidates: the rows of ``B`` (restricted to ``items``, the same
    set for queries and candidates); a hit when ``B[i]`` ranks in the top ``k``.

    Parameters
    ----------
    A, B : np.ndarray, shape (n_items, d)
        Aligned spaces (same coordinates).
    items : array_like of int, optional
        The items queried and searched (default all); leave the anchors out to measure
        generalisation.
    k : int
    return_info : bool
        Also return ``{"ranks": rank of the counterpart (1 = first), "mrr": mean reciprocal
        rank, "chance": k / n}``.

    Returns
    -------
    accuracy : float
    info : dict, optional

    Examples
    --------
    >>> X = np.eye(3)
    >>> cross_retrieval(X, X), cross_retrieval(X, X[[1, 2, 0]])
    (1.0, 0.0)
    """
    A, B, _ = validate(A, B)
    if A.shape[1] != B.shape[1]:
        raise ParameterError(f"B: dimension {B.shape[1]} differs from A {A.shape[1]} "
                             "(align the spaces first)")
    k = _validate.positive_int(k, "k")
    if items is not None:
        items = np.asarray(items, dtype=int)
        A, B = A[items], B[items]
    S = _unit(A) @ _unit(B).T
    own = np.diag(S)
    ranks = 1 + (S >= own[:, None]).sum(1) - 1  # ties count against the hit (zero rows)
    acc = float((ranks <= k).mean())
    if return_info:
        return acc, {"ranks": ranks, "mrr": float((1.0 / ranks).mean()),
                     "chance": min(k, len(A)) / len(A)}
    return acc
