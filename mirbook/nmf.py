"""Non-negative matrix factorisation with the beta-divergence: ``V ~ W H``.

The code behind chapter 9 (``notebooks/09_nmf_transcription.ipynb``). A magnitude spectrogram
``V`` (shape ``(n_freqs, n_frames)``) is approximated by the product of a *template* matrix ``W``
(``(n_freqs, n_components)``, one spectrum per column: a note) and an *activation* matrix ``H``
(``(n_components, n_frames)``: when and how loud each note plays).

The fit minimises the beta-divergence ``D_beta(V | W H)`` (:func:`beta_divergence`; beta=2
Euclidean, 1 Kullback-Leibler, 0 Itakura-Saito) with the multiplicative updates of Févotte & Idier
(2011), which never increase the objective::

    H <- H * [ W^T ((WH)^(beta-2) * V) / (W^T (WH)^(beta-1) + sparsity_H) ]^gamma(beta)
    W <- W * [ ((WH)^(beta-2) * V) H^T / ((WH)^(beta-1) H^T) ]^gamma(beta)

with ``gamma = 1/(2-beta)`` for beta < 1, 1 for 1 <= beta <= 2, ``1/(beta-1)`` for beta > 2.
Fixing ``W`` to a dictionary of note spectra (:func:`harmonic_templates`, or spectra learned on
isolated notes) gives the supervised transcription of Dessein, Cont & Lemaitre (2010).

The updates are written once, against a small *array namespace* (the dozen operations they need
beyond ``+ - * / **``: matmul, sum, maximum, log...), with one namespace for numpy and one for
torch; :func:`nmf` runs on torch by default and on numpy with ``backend="numpy"``.

References
----------
C. Févotte and J. Idier, "Algorithms for nonnegative matrix factorization with the
beta-divergence", Neural Computation 23(9), 2011.
A. Dessein, A. Cont and G. Lemaitre, "Real-time polyphonic music transcription with non-negative
matrix factorization and beta-divergence", ISMIR 2010.
T. Virtanen, "Monaural sound source separation by nonnegative matrix factorization with temporal
continuity and sparseness criteria", IEEE TASLP 15(3), 2007.
"""

from __future__ import annotations

import contextlib

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError

__all__ = ["beta_divergence", "validate", "nmf", "harmonic_templates", "iteration_flops"]

#: Floor applied to ``W H`` before dividing or taking logs (scikit-learn's ``EPSILON``).
EPS = float(np.finfo(np.float32).eps)

_NONNEG_HINT = "NMF needs a non-negative matrix (e.g. a magnitude spectrogram)"


def _check_beta(beta):
    return _validate.finite_real(beta, "beta")


def _check_matrix(X, name, *, shape=None, positive=False):
    """The one "finite, non-negative, 2-d" check (through :func:`mirbook._validate.real_array`)."""
    return _validate.real_array(X, name, ndim=2, shape=shape, nonneg=True, positive=positive,
                                hint=_NONNEG_HINT)


def beta_divergence(V, V_hat, *, beta):
    """Beta-divergence ``D_beta(V | V_hat) = sum_ij d_beta(V_ij | V_hat_ij)``.

    ``d_beta(x | y)`` is ``(x - y)^2 / 2`` for beta=2, ``x log(x/y) - x + y`` for beta=1
    (generalised Kullback-Leibler, with ``0 log 0 = 0``), ``x/y - log(x/y) - 1`` for beta=0
    (Itakura-Saito) and ``(x^b + (b-1) y^b - b x y^(b-1)) / (b (b-1))`` otherwise. Summed in
    float64. Same values as scikit-learn's ``_beta_divergence(V, W, H, beta)`` with ``V_hat = W H``
    wherever ``V`` and ``V_hat`` exceed ``EPS`` (scikit-learn floors and skips tiny entries).
    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.

    Parameters
    ----------
    V : np.ndarray, shape (n_freqs, n_frames), non-negative
        The data (strictly positive when beta <= 0).
    V_hat : np.ndarray, shape (n_freqs, n_frames), non-negative
        Its approximation, e.g. ``W @ H``.
    beta : float

    Returns
    -------
    divergence : float
        ``inf`` where ``V_hat`` is 0 and the divergence is infinite.

    Raises
    ------
    ParameterError
        ``V`` or ``V_hat`` not finite, non-negative, 2-d, of the same shape; ``V`` with zeros
        for ``beta <= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([[1.0, 2.0]]); V_hat = np.array([[2.0, 2.0]])
    >>> beta_divergence(V, V_hat, beta=2), round(beta_divergence(V, V_hat, beta=1), 4)
    (0.5, 0.3069)
    """
    beta = _check_beta(beta)
    V = _check_matrix(V, "V", positive=beta <= 0).astype(np.float64)
    V_hat = _check_matrix(V_hat, "V_hat", shape=V.shape).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if beta == 2:
            return float(0.5 * np.sum((V - V_hat) ** 2))
        if beta == 1:
            pos = V > 0
            if np.any(V_hat[pos] == 0):
                return float("inf")
            return float(np.sum(V[pos] * np.log(V[pos] / V_hat[pos])) - V.sum() + V_hat.sum())
        if np.any(V_hat == 0) and beta <= 1:
            return float("inf")
        if beta == 0:
            ratio = V / V_hat
            return float(np.sum(ratio - np.log(ratio) - 1))
        d = V ** beta + (beta - 1) * V_hat ** beta - beta * V * V_hat ** (beta - 1)
        return float(np.sum(d) / (beta * (beta - 1)))


def validate(V, *, W=None, H=None, n_components=None, beta=1):
    """Check the inputs of :func:`nmf` before any computation (mir_eval style).

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.

    Parameters
    ----------
    V : np.ndarray, shape (n_freqs, n_frames)
        Non-negative, finite, not empty; strictly positive when ``beta <= 0``.
    W : np.ndarray, shape (n_freqs, n_components), optional
    H : np.ndarray, shape (n_components, n_frames), optional
    n_components : int, optional
        Must agree with ``W`` and ``H`` when they are given.
    beta : float

    Returns
    -------
    n_components : int

    Raises
    ------
    ParameterError
        Naming the array (or parameter) and the problem.

    Examples
    --------
    >>> import numpy as np
    >>> validate(np.ones((4, 5)), W=np.ones((4, 2)))
    2
    >>> validate(-np.ones((4, 5)), n_components=2)
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: V: 20 negative value(s), the first at (0, 0); NMF needs a non-negative matrix (e.g. a magnitude spectrogram)
    """
    beta = _check_beta(beta)
    V = _check_matrix(V, "V", positive=beta <= 0)
    n_freqs, n_frames = V.shape
    ks = {}
    if n_components is not None:
        ks["n_components"] = _validate.positive_int(n_components, "n_components")
    if W is not None:
        W = _check_matrix(W, "W")
        if W.shape[0] != n_freqs:
            raise ParameterError(f"W: shape {W.shape} has {W.shape[0]} rows but V has {n_freqs} "
                                 "(W must be (n_freqs, n_components))")
        ks["W"] = W.shape[1]
    if H is not None:
        H = _check_matrix(H, "H")
        if H.shape[1] != n_frames:
            raise ParameterError(f"H: shape {H.shape} has {H.shape[1]} columns but V has "
                                 f"{n_frames} (H must be (n_components, n_frames))")
        ks["H"] = H.shape[0]
    if not ks:
        raise ParameterError("n_components: give n_components, W or H (the number of "
                             "components is unknown)")
    if len(set(ks.values())) > 1:
        raise ParameterError(f"n_components: inconsistent numbers of components: {ks}")
    return next(iter(ks.values()))


def _gamma(beta):
    if beta < 1:
        return 1.0 / (2.0 - beta)
    if beta > 2:
        return 1.0 / (beta - 1.0)
    return 1.0


# ----------------------------------------------------------------------------------------------
# Array namespaces: the handful of operations the updates need, for numpy and for torch.
# Operators (+ - * / **, their in-place forms, .T, slicing) are common to numpy arrays and torch
# tensors; everything else goes through one of these two objects, so that the update algebra
# (_MultiplicativeUpdates) is written once.
# ----------------------------------------------------------------------------------------------

class _NumpyNamespace:
    """numpy back end: float BLAS through ``np.dot``, preallocated output buffers."""

    name = "numpy"

    def __init__(self):
        self._mask = None

    asarray = staticmethod(np.asarray)
    to_numpy = staticmethod(np.asarray)
    empty_like = staticmethod(np.empty_like)
    zeros_like = staticmethod(np.zeros_like)
    contiguous = staticmethod(np.ascontiguousarray)
    divide = staticmethod(np.divide)
    add = staticmethod(np.add)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)

    @staticmethod
    def empty(shape, like):
        return np.empty(shape, dtype=like.dtype)

    @staticmethod
    def full(n, value, like):
        return np.full(n, value, dtype=like.dtype)

    @staticmethod
    def matmul(A, B, out=None):
        return np.dot(A, B, out=out)

    @staticmethod
    def sum(X, axis, keepdims=False):
        return X.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def sum64(X, axis=None):
        return X.sum(axis=axis, dtype=np.float64)

    @staticmethod
    def float64(X):
        return X.astype(np.float64)

    @staticmethod
    def vdot(a, b):
        return float(np.dot(a.ravel(), b.ravel()))

    @staticmethod
    def tiny(X):
        return float(np.finfo(X.dtype).tiny)

    @staticmethod
    def quiet():
        return np.errstate(divide="ignore", invalid="ignore")

    def floor_(self, X, value):
        """``X <- max(X, value)`` in place (skipping the masked write when nothing is below)."""
        if self._mask is None or self._mask.shape != X.shape:
            self._mask = np.empty(X.shape, dtype=bool)
        np.less(X, value, out=self._mask)
        if self._mask.any():
            np.copyto(X, value, where=self._mask)
        return X


class _TorchNamespace:
    """torch back end: the same operations on tensors of one device."""

    name = "torch"

    def __init__(self, device):
        import torch

        self.torch = torch
        self.device = device

    def asarray(self, X):
        return self.torch.as_tensor(X, device=self.device)

    @staticmethod
    def to_numpy(X):
        return X.cpu().numpy()

    def empty_like(self, X):
        return self.torch.empty_like(X)

    def zeros_like(self, X):
        return self.torch.zeros_like(X)

    @staticmethod
    def contiguous(X):
        return X.contiguous()

    def divide(self, a, b, out=None):
        return self.torch.div(a, b, out=out)

    def add(self, a, b, out=None):
        return self.torch.add(a, b, out=out)

    def log(self, X, out=None):
        return self.torch.log(X, out=out)

    def sqrt(self, X):
        return self.torch.sqrt(X)

    def where(self, cond, a, b):
        return self.torch.where(cond, a, b)

    @staticmethod
    def maximum(X, value):
        return X.clamp(min=value)

    def empty(self, shape, like):
        return self.torch.empty(shape, dtype=like.dtype, device=like.device)

    def full(self, n, value, like):
        return self.torch.full((n,), value, dtype=like.dtype, device=like.device)

    def matmul(self, A, B, out=None):
        return A @ B if out is None else self.torch.mm(A, B, out=out)

    @staticmethod
    def sum(X, axis, keepdims=False):
        return X.sum(dim=axis, keepdim=keepdims)

    def sum64(self, X, axis=None):
        f64 = self.torch.float64
        return X.sum(dtype=f64) if axis is None else X.sum(dim=axis, dtype=f64)

    @staticmethod
    def float64(X):
        return X.double()

    def vdot(self, a, b):
        return float(self.torch.dot(a.reshape(-1), b.reshape(-1)))

    def tiny(self, X):
        return float(self.torch.finfo(X.dtype).tiny)

    @staticmethod
    def quiet():
        return contextlib.nullcontext()

    @staticmethod
    def floor_(X, value):
        return X.clamp_(min=value)


def _namespace(backend, device):
    if backend == "numpy":
        return _NumpyNamespace()
    import torch

    if device is None:
        device = torch.device("cpu")
    elif device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ParameterError(f"device={device!r}: not a torch device ({exc})") from None
    return _TorchNamespace(device)


def _temporal_terms(xp, H):
    """``deg`` (number of neighbours of each frame) and ``A h`` (sum of the neighbours) of H."""
    Ah = xp.zeros_like(H)
    Ah[:, 1:] += H[:, :-1]
    Ah[:, :-1] += H[:, 1:]
    deg = xp.full(H.shape[1], 2.0, like=H)
    deg[0] = deg[-1] = 1.0
    return deg, Ah


class _MultiplicativeUpdates:
    """The multiplicative updates of W and H, written once against an array namespace ``xp``."""

    def __init__(self, xp, V, W, H, beta, eps, sparsity_H, smoothness_H):
        self.xp = xp
        self.V, self.W, self.H = xp.asarray(V), xp.asarray(W), xp.asarray(H)
        self.beta, self.eps, self.gamma = beta, float(eps), _gamma(beta)
        self.l1, self.ls = sparsity_H, smoothness_H
        self.WH = xp.empty_like(self.V)
        self.numW = xp.empty(tuple(self.W.shape), like=self.V)
        self.numH = xp.empty(tuple(self.H.shape), like=self.V)
        self.tmp = None
        if beta == 1:
            self.sumV = float(xp.sum64(self.V))

    def _wh(self):
        """``WH <- max(W @ H, eps)`` (no floor for beta >= 2, where nothing is divided by it)."""
        self.xp.matmul(self.W, self.H, out=self.WH)
        if self.beta < 2:
            self.xp.floor_(self.WH, self.eps)
        return self.WH

    def _penalty(self):
        xp, H = self.xp, self.H
        p = 0.0
        if self.l1:
            p += self.l1 * float(xp.sum64(H))
        if self.ls and H.shape[1] > 1:
            H64 = xp.float64(H)
            d = H64[:, 1:] - H64[:, :-1]
            p += 0.5 * self.ls * float((d * d).sum())
        return p

    def objective(self, WH):
        """Objective at the current W, H from ``WH`` (floored): divergence + penalties on H.

        For beta=1 ``WH`` must already hold the ratio ``V / WH`` (see :meth:`_ratio`): the KL
        divergence is then ``sum V log(V/WH) - sum V + sum WH``, whose terms are small near a fit
        (summing ``V log WH`` instead would cancel catastrophically in float32).
        """
        xp = self.xp
        if self.beta == 1:
            if self.tmp is None:
                self.tmp = xp.empty_like(WH)
            xp.add(WH, xp.tiny(WH), out=self.tmp)          # V = 0 -> log(tiny), times 0
            xp.log(self.tmp, out=self.tmp)
            cross = xp.vdot(self.V, self.tmp)
            # sum(WH) without the (F, T) array: (1^T W)(H 1), in float64
            sum_wh = float(xp.sum64(self.W, axis=0) @ xp.sum64(self.H, axis=1))
            div = cross - self.sumV + sum_wh
        else:
            div = beta_divergence(xp.to_numpy(self.V), xp.to_numpy(WH), beta=self.beta)
        return div + self._penalty()

    def _ratio(self, WH):
        """Overwrite WH with ``V * WH^(beta-2)`` and return ``WH^(beta-1)`` when needed."""
        if self.beta == 1:
            self.xp.divide(self.V, WH, out=WH)
            return None
        if self.beta == 2:
            return None
        WHb1 = WH ** (self.beta - 1)
        self.xp.divide(WHb1, WH, out=WH)                   # WH^(beta-2)
        WH *= self.V
        return WHb1

    def _step(self, X, num, den):
        """``X <- X * (num / den)^gamma`` in place (``num`` is overwritten)."""
        num /= self.xp.maximum(den, self.xp.tiny(X))
        if self.gamma != 1:
            num **= self.gamma
        X *= num

    def update_W(self, record=False):
        xp, W, H, beta = self.xp, self.W, self.H, self.beta
        WH = self._wh()
        obj = self.objective(WH) if record and beta != 1 else None
        if beta == 2:
            num = xp.matmul(self.V, H.T, out=self.numW)
            den = xp.matmul(W, xp.matmul(H, H.T))
        else:
            WHb1 = self._ratio(WH)
            if record and beta == 1:
                obj = self.objective(WH)
            num = xp.matmul(WH, H.T, out=self.numW)
            den = xp.sum(H, axis=1, keepdims=True).T if beta == 1 else xp.matmul(WHb1, H.T)
        self._step(W, num, den)
        return obj

    def update_H(self, record=False):
        xp, W, H, beta = self.xp, self.W, self.H, self.beta
        WH = self._wh()
        obj = self.objective(WH) if record and beta != 1 else None
        if beta == 2:
            num = xp.matmul(W.T, self.V, out=self.numH)
            den = xp.matmul(xp.matmul(W.T, W), H)
        else:
            WHb1 = self._ratio(WH)
            if record and beta == 1:
                obj = self.objective(WH)
            # W^T as a contiguous (K, F) copy: a plain (not transposed) GEMM, slightly faster
            num = xp.matmul(xp.contiguous(W.T), WH, out=self.numH)
            den = xp.sum(W, axis=0, keepdims=True).T if beta == 1 else xp.matmul(W.T, WHb1)
        if self.l1:
            den = den + self.l1
        if self.ls and H.shape[1] > 1:
            deg, Ah = _temporal_terms(xp, H)
            if beta == 1:
                # Majorisation-minimisation for KL + L1 + (ls/2) sum_t (h_t - h_{t-1})^2: the
                # penalty is majorised by (a - b)^2 <= 2 (a - m)^2 + 2 (b - m)^2 with m the
                # midpoint at the current H, which leaves for each h the quadratic
                #   alpha h^2 + b h - p = 0,  alpha = 2 ls deg,  p = h * W^T(V/WH),
                #   b = sum_f W + l1 - ls (deg h + A h)
                # whose positive root never increases the objective.
                p = num * H
                alpha = 2 * self.ls * deg
                b = den - self.ls * (deg * H + Ah)
                root = xp.sqrt(b * b + 4 * alpha * p)
                with xp.quiet():
                    h_pos = 2 * p / (b + root)                 # stable for b > 0
                    h_neg = (root - b) / (2 * alpha)           # stable for b <= 0
                H[...] = xp.where(b > 0, h_pos, h_neg)
                return obj
            # other betas: the usual heuristic split of the penalty's gradient
            # (Virtanen 2007): positive part to the denominator, negative part to the numerator
            num += self.ls * Ah
            den = den + self.ls * deg * H
        self._step(H, num, den)
        return obj

    def final_objective(self):
        WH = self._wh()
        if self.beta == 1:
            self._ratio(WH)
        return self.objective(WH)


def nmf(V, *, n_components=None, W=None, H=None, beta=1, n_iter=100, fix_W=False, fix_H=False,
        sparsity_H=0.0, smoothness_H=0.0, random_state=0, backend="torch", device=None,
        dtype=np.float32, eps=EPS, track_every=1):
    """Factorise ``V ~ W H`` by multiplicative updates for the beta-divergence.

    Each iteration updates ``W`` (unless ``fix_W``) then ``H`` (unless ``fix_H``), like
    scikit-learn's ``solver="mu"``. The updates never increase the objective
    ``D_beta(V | WH) + sparsity_H * sum(H) + smoothness_H / 2 * sum_t (H[:, t] - H[:, t-1])^2``
    (Févotte & Idier 2011), except with ``smoothness_H`` and ``beta != 1``, where the usual
    heuristic gradient split is used (Virtanen 2007). For ``beta == 1`` the smoothness update is
    a majorisation-minimisation step: the penalty is majorised through
    ``(a - b)^2 <= 2 (a - m)^2 + 2 (b - m)^2`` (``m`` the midpoint at the current ``H``), and each
    entry of ``H`` becomes the positive root of ``alpha h^2 + b h - p = 0`` with
    ``alpha = 2 smoothness_H deg_t``, ``p = h * [W^T (V / WH)]``,
    ``b = sum_f W + sparsity_H - smoothness_H (deg_t h_t + h_{t-1} + h_{t+1})`` and ``deg_t`` the
    number of neighbours of frame ``t`` (1 at the ends, else 2).

    ``W H`` is floored at ``eps`` before any division or logarithm (as scikit-learn does).
    Both back ends run the same update code (written once against a small array namespace) and
    agree to rounding; torch is the default (about 1.7x faster than the numpy one on two CPU
    cores, see ``benchmarks/bench_nmf.py``), numpy is the readable reference the chapter uses.
    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.

    Parameters
    ----------
    V : np.ndarray, shape (n_freqs, n_frames)
        Non-negative data, e.g. a magnitude spectrogram (strictly positive for ``beta <= 0``).
    n_components : int, optional
        Number of columns of ``W``; taken from ``W`` or ``H`` when omitted.
    W : np.ndarray, shape (n_freqs, n_components), optional
        Initial (or, with ``fix_W``, fixed) templates. Random when omitted. Not modified.
    H : np.ndarray, shape (n_components, n_frames), optional
        Initial (or fixed) activations. Random when omitted. Not modified.
    beta : float
        2 (Euclidean), 1 (Kullback-Leibler, the default), 0 (Itakura-Saito), or any real.
    n_iter : int
        Number of iterations (no early stopping).
    fix_W, fix_H : bool
        Keep ``W`` (supervised NMF, e.g. transcription with known note spectra) or ``H`` fixed.
    sparsity_H : float >= 0
        Weight of the L1 penalty on ``H`` (fewer simultaneous notes). Meaningful when ``W`` is
        fixed or its scale is otherwise pinned; unsupervised, ``W`` can grow to compensate.
    smoothness_H : float >= 0
        Weight of the temporal-continuity penalty on ``H``.
    random_state : None, int or np.random.Generator
        Randomness of the initialisation (``sqrt(mean(V) / K) * U[0, 1)``, floored at 1e-3 of
        that scale); drawn in numpy, so both back ends start from the same ``W`` and ``H``.
    backend : {"torch", "numpy"}
        torch (the default) or numpy (``np.dot`` with preallocated buffers): the same algorithm.
    device : None, "auto" or a torch device
        torch back end only: None is the CPU, "auto" the GPU when CUDA is available.
    dtype : np.float32 or np.float64
        Working precision (results come back in it).
    eps : float
        Floor on ``W H``.
    track_every : int
        Record the objective every this many iterations (1: every iteration; 0: only at the start
        and the end, which saves a logarithm of an ``(n_freqs, n_frames)`` array per iteration).

    Returns
    -------
    W : np.ndarray, shape (n_freqs, n_components), ``dtype``
    H : np.ndarray, shape (n_components, n_frames), ``dtype``
    history : np.ndarray, shape (n_records,), float64
        The objective before iterations ``0, track_every, 2 track_every, ...`` and after the last;
        with ``track_every=1``, ``history[i]`` is the objective after ``i`` iterations. Computed
        in the working precision (float32: about 1e-6 relative).

    Raises
    ------
    ParameterError
        A malformed ``V``, ``W`` or ``H`` (see :func:`validate`) or a bad parameter; before any
        computation.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> V = rng.random((20, 3)) @ rng.random((3, 30))         # exactly rank 3
    >>> W, H, history = nmf(V, n_components=3, n_iter=200)
    >>> W.shape, H.shape, history.shape
    ((20, 3), (3, 30), (201,))
    >>> bool(history[-1] < 1e-2 * history[0])
    True

    The numpy back end runs the same updates (in float64 the two agree to rounding):

    >>> a = nmf(V, n_components=3, n_iter=50, dtype=np.float64, backend="numpy")
    >>> b = nmf(V, n_components=3, n_iter=50, dtype=np.float64, backend="torch")
    >>> all(np.allclose(x, y, rtol=1e-9) for x, y in zip(a, b))
    True
    """
    K = validate(V, W=W, H=H, n_components=n_components, beta=beta)
    beta = _check_beta(beta)
    n_iter = _validate.nonneg_int(n_iter, "n_iter")
    sparsity_H = _validate.finite_real(sparsity_H, "sparsity_H", low=0)
    smoothness_H = _validate.finite_real(smoothness_H, "smoothness_H", low=0)
    eps = _validate.finite_real(eps, "eps", low=0)
    track_every = _validate.nonneg_int(track_every, "track_every")
    if fix_W and W is None:
        raise ParameterError("fix_W=True needs the templates W")
    if fix_H and H is None:
        raise ParameterError("fix_H=True needs the activations H")
    _validate.one_of(backend, "backend", ("torch", "numpy"))
    if backend == "numpy" and device is not None:
        raise ParameterError(f"device={device!r}: only the torch back end runs on a device")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise ParameterError(f"dtype={dtype!r}: expected float32 or float64") from None
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ParameterError(f"dtype={dtype}: expected float32 or float64")
    rng = _validate.random_state(random_state)
    xp = _namespace(backend, device)

    V = np.ascontiguousarray(V, dtype=dtype)
    scale = np.sqrt(V.mean() / K) if V.mean() > 0 else 1.0
    W = (np.array(W, dtype=dtype) if W is not None
         else (scale * np.maximum(rng.random((V.shape[0], K)), 1e-3)).astype(dtype))
    H = (np.array(H, dtype=dtype) if H is not None
         else (scale * np.maximum(rng.random((K, V.shape[1])), 1e-3)).astype(dtype))

    algo = _MultiplicativeUpdates(xp, V, W, H, beta, eps, sparsity_H, smoothness_H)
    history = []
    for it in range(n_iter):
        record = (it % track_every == 0) if track_every > 0 else it == 0
        if not fix_W:
            obj = algo.update_W(record)
            if record:
                history.append(obj)
                record = False
        if not fix_H:
            obj = algo.update_H(record)
            if record:
                history.append(obj)
        if fix_W and fix_H and record:
            history.append(algo.final_objective())
    history.append(algo.final_objective())
    return xp.to_numpy(algo.W), xp.to_numpy(algo.H), np.asarray(history, dtype=np.float64)


def harmonic_templates(pitches, *, sr, n_fft, n_partials=10, decay=0.8, width=1.0,
                       inharmonicity=0.0, normalize=True, dtype=np.float32):
    """Harmonic note spectra: one column per MIDI pitch, Gaussian peaks at the partials.

    Partial ``k = 1..n_partials`` of a pitch of fundamental ``f0`` sits at
    ``k f0 sqrt(1 + B k^2)`` (``B = inharmonicity``; about 1e-4 for a piano's middle register),
    with amplitude ``decay^(k-1)``, drawn as a Gaussian of standard deviation ``width`` bins
    (truncated at 3 deviations). Partials above the Nyquist frequency are dropped.
    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.

    Parameters
    ----------
    pitches : array of float, shape (n_pitches,)
        MIDI note numbers (e.g. ``np.arange(21, 109)`` for the 88 piano keys).
    sr : int
        Sample rate (Hz).
    n_fft : int
        FFT size of the spectrogram the templates are for.
    n_partials : int
    decay : float in (0, 1]
    width : float > 0
        Peak width (bins).
    inharmonicity : float >= 0
    normalize : bool
        Scale each column to unit sum (so ``H`` carries the loudness).
    dtype : numpy dtype

    Returns
    -------
    W : np.ndarray, shape (1 + n_fft // 2, n_pitches)

    Examples
    --------
    >>> W = harmonic_templates([69], sr=22050, n_fft=2048)   # A4 = 440 Hz
    >>> W.shape, int(W[:, 0].argmax())                        # 440 / (22050 / 2048) ~ 40.9
    ((1025, 1), 41)
    """
    from mirbook.io import check_sr

    sr = check_sr(sr)
    pitches = _validate.real_array(np.atleast_1d(np.asarray(pitches, dtype=float)), "pitches",
                                   ndim=1)
    n_fft = _validate.positive_int(n_fft, "n_fft")
    n_partials = _validate.positive_int(n_partials, "n_partials")
    decay = _validate.finite_real(decay, "decay", low=0, low_open=True, high=1)
    width = _validate.finite_real(width, "width", low=0, low_open=True)
    inharmonicity = _validate.finite_real(inharmonicity, "inharmonicity", low=0)
    n_bins = 1 + n_fft // 2
    f0 = 440.0 * 2.0 ** ((pitches - 69) / 12)
    k = np.arange(1, n_partials + 1)
    freqs = k[:, None] * f0[None, :] * np.sqrt(1 + inharmonicity * k[:, None] ** 2)
    centres = freqs * n_fft / sr                           # (n_partials, n_pitches), in bins
    amps = (decay ** (k - 1))[:, None] * (freqs < sr / 2)
    bins = np.arange(n_bins)[:, None, None]
    dist = (bins - centres[None]) / width
    lobes = np.exp(-0.5 * dist ** 2) * (np.abs(dist) <= 3)
    W = np.einsum("fkp,kp->fp", lobes, amps)
    if normalize:
        W /= np.maximum(W.sum(axis=0, keepdims=True), np.finfo(float).tiny)
    return W.astype(dtype)


def iteration_flops(*, n_features, n_components, n_frames, fix_W=False):
    """Floating-point operations of the matrix products of one multiplicative-update iteration.

    Updating ``H`` takes two products of ``F x K x T`` multiply-adds (``W H``, then
    ``W^T (X / WH)`` for KL), updating ``W`` two more: ``4 F K T`` multiply-adds, ``8 F K T``
    operations, half of it when ``W`` is fixed (supervised NMF). Element-wise passes are
    left out.

    Parameters
    ----------
    n_features, n_components, n_frames : int
        ``F`` (frequency bins), ``K`` and ``T``.
    fix_W : bool
        Supervised NMF: only ``H`` is updated.

    Returns
    -------
    flops : int

    Examples
    --------
    >>> iteration_flops(n_features=1000, n_components=88, n_frames=400)
    281600000
    >>> iteration_flops(n_features=1000, n_components=88, n_frames=400, fix_W=True)
    140800000

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    F = _validate.positive_int(n_features, "n_features")
    K = _validate.positive_int(n_components, "n_components")
    T = _validate.positive_int(n_frames, "n_frames")
    return (2 if fix_W else 4) * 2 * F * K * T
