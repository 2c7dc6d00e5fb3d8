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

import numpy as np

__all__ = ["beta_divergence", "validate", "nmf", "harmonic_templates"]

#: Floor applied to ``W H`` before dividing or taking logs (scikit-learn's ``EPSILON``).
EPS = float(np.finfo(np.float32).eps)


def _check_beta(beta):
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)) \
            or not np.isfinite(beta):
        raise ValueError(f"beta={beta!r}: expected a finite real number (2, 1, 0, or in between)")
    return float(beta)


def _check_matrix(name, X, shape=None, *, positive=False):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name}: expected a 2-d array, got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X) or X.dtype == bool:
        raise ValueError(f"{name}: expected real numbers, got dtype {X.dtype}"
                         + (" (take np.abs of a complex STFT first)" if np.iscomplexobj(X) else ""))
    if X.size == 0:
        raise ValueError(f"{name}: empty array of shape {X.shape}")
    if shape is not None and X.shape != shape:
        raise ValueError(f"{name}: shape {X.shape}, expected {shape}")
    bad = ~np.isfinite(X)
    if bad.any():
        i = tuple(int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"{name}: {int(bad.sum())} NaN/Inf value(s), the first at {i}")
    if (X < 0).any():
        i = tuple(int(v) for v in np.argwhere(X < 0)[0])
        raise ValueError(f"{name}: {int((X < 0).sum())} negative value(s), the first at {i} "
                         f"({X[i]:.3g}); NMF needs a non-negative matrix (e.g. a magnitude "
                         "spectrogram)")
    if positive and (X == 0).any():
        raise ValueError(f"{name}: {int((X == 0).sum())} zero value(s): the divergence is infinite "
                         "there for beta <= 0; add a small floor (e.g. V + 1e-10)")
    return X


def beta_divergence(V, V_hat, beta):
    """Beta-divergence ``D_beta(V | V_hat) = sum_ij d_beta(V_ij | V_hat_ij)``.

    ``d_beta(x | y)`` is ``(x - y)^2 / 2`` for beta=2, ``x log(x/y) - x + y`` for beta=1
    (generalised Kullback-Leibler, with ``0 log 0 = 0``), ``x/y - log(x/y) - 1`` for beta=0
    (Itakura-Saito) and ``(x^b + (b-1) y^b - b x y^(b-1)) / (b (b-1))`` otherwise. Summed in
    float64. Same values as scikit-learn's ``_beta_divergence(V, W, H, beta)`` with ``V_hat = W H``
    wherever ``V`` and ``V_hat`` exceed ``EPS`` (scikit-learn floors and skips tiny entries).

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

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([[1.0, 2.0]]); V_hat = np.array([[2.0, 2.0]])
    >>> beta_divergence(V, V_hat, 2), round(beta_divergence(V, V_hat, 1), 4)
    (0.5, 0.3069)
    """
    beta = _check_beta(beta)
    V = _check_matrix("V", V, positive=beta <= 0).astype(np.float64)
    V_hat = _check_matrix("V_hat", V_hat, V.shape).astype(np.float64)
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


def validate(V, W=None, H=None, n_components=None, beta=1):
    """Check the inputs of :func:`nmf` before any computation (mir_eval style).

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
    ValueError
        Naming the array and the problem.

    Examples
    --------
    >>> import numpy as np
    >>> validate(np.ones((4, 5)), W=np.ones((4, 2)))
    2
    >>> validate(-np.ones((4, 5)), n_components=2)
    Traceback (most recent call last):
    ...
    ValueError: V: 20 negative value(s), the first at (0, 0) (-1); NMF needs a non-negative matrix (e.g. a magnitude spectrogram)
    """
    beta = _check_beta(beta)
    V = _check_matrix("V", V, positive=beta <= 0)
    n_freqs, n_frames = V.shape
    ks = {}
    if n_components is not None:
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
                or n_components < 1:
            raise ValueError(f"n_components={n_components!r}: expected a positive integer")
        ks["n_components"] = int(n_components)
    if W is not None:
        W = _check_matrix("W", W)
        if W.shape[0] != n_freqs:
            raise ValueError(f"W: shape {W.shape} has {W.shape[0]} rows but V has {n_freqs} "
                             "(W must be (n_freqs, n_components))")
        ks["W"] = W.shape[1]
    if H is not None:
        H = _check_matrix("H", H)
        if H.shape[1] != n_frames:
            raise ValueError(f"H: shape {H.shape} has {H.shape[1]} columns but V has {n_frames} "
                             "(H must be (n_components, n_frames))")
        ks["H"] = H.shape[0]
    if not ks:
        raise ValueError("give n_components, W or H (the number of components is unknown)")
    if len(set(ks.values())) > 1:
        raise ValueError(f"inconsistent numbers of components: {ks}")
    return next(iter(ks.values()))


def _gamma(beta):
    if beta < 1:
        return 1.0 / (2.0 - beta)
    if beta > 2:
        return 1.0 / (beta - 1.0)
    return 1.0


# ----------------------------------------------------------------------------------------------
# numpy back end
# ----------------------------------------------------------------------------------------------

class _NumpyOps:
    """Array operations of the numpy back end (the torch one mirrors them)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def asarray(self, X):
        return np.ascontiguousarray(X, dtype=self.dtype)

    def to_numpy(self, X):
        return X


def _temporal_terms(H):
    """``D h`` (degree times h) and ``A h`` (sum of the neighbours) of each row of H."""
    Ah = np.zeros_like(H)
    Ah[:, 1:] += H[:, :-1]
    Ah[:, :-1] += H[:, 1:]
    deg = np.full(H.shape[1], 2.0, dtype=H.dtype)
    deg[0] = deg[-1] = 1.0
    if H.shape[1] == 1:
        deg[:] = 0.0
    return deg, Ah


def _penalty(H, sparsity_H, smoothness_H):
    p = 0.0
    if sparsity_H:
        p += sparsity_H * float(H.sum(dtype=np.float64))
    if smoothness_H and H.shape[1] > 1:
        d = np.diff(H.astype(np.float64), axis=1)
        p += 0.5 * smoothness_H * float(np.sum(d * d))
    return p


class _NumpyNMF:
    """Multiplicative updates with preallocated float buffers (numpy, BLAS through np.dot)."""

    def __init__(self, V, W, H, beta, eps, sparsity_H, smoothness_H):
        self.V, self.W, self.H = V, W, H
        self.beta, self.eps = beta, V.dtype.type(eps)
        self.gamma = _gamma(beta)
        self.l1, self.ls = sparsity_H, smoothness_H
        F, T = V.shape
        K = W.shape[1]
        self.WH = np.empty((F, T), dtype=V.dtype)
        self.mask = np.empty((F, T), dtype=bool)
        self.tmp = None
        self.numW = np.empty((F, K), dtype=V.dtype)
        self.numH = np.empty((K, T), dtype=V.dtype)
        if beta == 1:
            self.sumV = float(V.sum(dtype=np.float64))

    # WH <- max(W @ H, eps)
    def _wh(self):
        np.dot(self.W, self.H, out=self.WH)
        if self.beta < 2:
            np.less(self.WH, self.eps, out=self.mask)
            if self.mask.any():             # rare: skip the masked write when nothing is tiny
                np.copyto(self.WH, self.eps, where=self.mask)
        return self.WH

    def objective(self, WH):
        """Objective at the current W, H from ``WH`` (floored): divergence + penalties on H.

        For beta=1 ``WH`` must already hold the ratio ``V / WH`` (see :meth:`_ratio`): the KL
        divergence is then ``sum V log(V/WH) - sum V + sum WH``, whose terms are small near a fit
        (summing ``V log WH`` instead would cancel catastrophically in float32).
        """
        if self.beta == 1:
            R = WH
            if self.tmp is None:
                self.tmp = np.empty_like(R)
            np.add(R, np.finfo(R.dtype).tiny, out=self.tmp)  # V = 0 -> log(tiny), times 0
            np.log(self.tmp, out=self.tmp)
            cross = float(np.dot(self.V.ravel(), self.tmp.ravel()))
            # sum(WH) without the (F, T) array: (1^T W)(H 1), in float64
            sum_wh = float(self.W.sum(axis=0, dtype=np.float64) @ self.H.sum(axis=1, dtype=np.float64))
            div = cross - self.sumV + sum_wh
        else:
            div = beta_divergence(self.V, WH, self.beta)
        return div + _penalty(self.H, self.l1, self.ls)

    def _ratio(self, WH):
        """Overwrite WH with ``V * WH^(beta-2)`` and return ``WH^(beta-1)`` when needed."""
        V, beta = self.V, self.beta
        if beta == 1:
            np.divide(V, WH, out=WH)
            return None
        if beta == 2:
            return None
        WHb1 = WH ** (beta - 1)
        np.divide(WHb1, WH, out=WH)            # WH^(beta-2)
        WH *= V
        return WHb1

    def update_W(self, record=False):
        W, H, beta = self.W, self.H, self.beta
        WH = self._wh()
        obj = self.objective(WH) if record and beta != 1 else None
        if beta == 2:
            np.dot(self.V, H.T, out=self.numW)
            den = W @ (H @ H.T)
        else:
            WHb1 = self._ratio(WH)
            if record and beta == 1:
                obj = self.objective(WH)
            np.dot(WH, H.T, out=self.numW)
            den = H.sum(axis=1)[np.newaxis, :] if beta == 1 else WHb1 @ H.T
        den = np.maximum(den, np.finfo(W.dtype).tiny)
        self.numW /= den
        if self.gamma != 1:
            self.numW **= self.gamma
        W *= self.numW
        return obj

    def update_H(self, record=False):
        W, H, beta = self.W, self.H, self.beta
        WH = self._wh()
        obj = self.objective(WH) if record and beta != 1 else None
        if beta == 2:
            np.dot(W.T, self.V, out=self.numH)
            den = (W.T @ W) @ H
        else:
            WHb1 = self._ratio(WH)
            if record and beta == 1:
                obj = self.objective(WH)
            # W^T as a contiguous (K, F) copy: a plain (not transposed) GEMM, slightly faster
            np.dot(np.ascontiguousarray(W.T), WH, out=self.numH)
            den = W.sum(axis=0)[:, np.newaxis] if beta == 1 else W.T @ WHb1
        if self.l1:
            den = den + self.l1
        if self.ls and H.shape[1] > 1:
            deg, Ah = _temporal_terms(H)
            if beta == 1:
                # Majorisation-minimisation for KL + L1 + (ls/2) sum_t (h_t - h_{t-1})^2: the
                # penalty is majorised by (a - b)^2 <= 2 (a - m)^2 + 2 (b - m)^2 with m the
                # midpoint at the current H, which leaves for each h the quadratic
                #   alpha h^2 + b h - p = 0,  alpha = 2 ls deg,  p = h * W^T(V/WH),
                #   b = sum_f W + l1 - ls (deg h + A h)
                # whose positive root never increases the objective.
                p = self.numH * H
                alpha = 2 * self.ls * deg
                b = den - self.ls * (deg * H + Ah)
                root = np.sqrt(b * b + 4 * alpha * p)
                with np.errstate(divide="ignore", invalid="ignore"):
                    h_pos = 2 * p / (b + root)                 # stable for b > 0
                    h_neg = (root - b) / (2 * alpha)           # stable for b <= 0
                H[...] = np.where(b > 0, h_pos, h_neg)
                return obj
            # other betas: the usual heuristic split of the penalty's gradient
            # (Virtanen 2007): positive part to the denominator, negative part to the numerator
            self.numH += self.ls * Ah
            den = den + self.ls * deg * H
        den = np.maximum(den, np.finfo(H.dtype).tiny)
        self.numH /= den
        if self.gamma != 1:
            self.numH **= self.gamma
        H *= self.numH
        return obj

    def final_objective(self):
        WH = self._wh()
        if self.beta == 1:
            self._ratio(WH)
        return self.objective(WH)


# ----------------------------------------------------------------------------------------------
# torch back end: the same algorithm, float tensors on a device
# ----------------------------------------------------------------------------------------------

class _TorchNMF:
    def __init__(self, V, W, H, beta, eps, sparsity_H, smoothness_H, device, dtype):
        import torch

        self.torch = torch
        tdtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
            np.dtype(dtype)]
        self.V = torch.as_tensor(np.ascontiguousarray(V), dtype=tdtype, device=device)
        self.W = torch.as_tensor(np.array(W, dtype=dtype), device=device)
        self.H = torch.as_tensor(np.array(H, dtype=dtype), device=device)
        self.beta, self.eps, self.gamma = beta, eps, _gamma(beta)
        self.l1, self.ls = sparsity_H, smoothness_H
        self.WH = torch.empty_like(self.V)
        if beta == 1:
            self.sumV = float(self.V.double().sum())

    def _wh(self):
        torch = self.torch
        torch.mm(self.W, self.H, out=self.WH)
        if self.beta < 2:
            self.WH.clamp_(min=self.eps)
        return self.WH

    def objective(self, WH):
        """As :meth:`_NumpyNMF.objective` (for beta=1, ``WH`` holds ``V / WH``)."""
        H = self.H
        if self.beta == 1:
            logR = (WH + self.torch.finfo(WH.dtype).tiny).log_()
            cross = float(self.torch.dot(self.V.reshape(-1), logR.reshape(-1)))
            sum_wh = float(self.W.double().sum(dim=0) @ H.double().sum(dim=1))
            div = cross - self.sumV + sum_wh
        else:
            div = beta_divergence(self.V.cpu().numpy(), WH.cpu().numpy(), self.beta)
        pen = 0.0
        if self.l1:
            pen += self.l1 * float(H.double().sum())
        if self.ls and H.shape[1] > 1:
            pen += 0.5 * self.ls * float((H.double().diff(dim=1) ** 2).sum())
        return div + pen

    def _ratio(self, WH):
        if self.beta == 1:
            self.torch.div(self.V, WH, out=WH)
            return None
        if self.beta == 2:
            return None
        WHb1 = WH ** (self.beta - 1)
        WH.pow_(self.beta - 2).mul_(self.V)
        return WHb1

    def update_W(self, record=False):
        W, H, beta = self.W, self.H, self.beta
        WH = self._wh()
        obj = self.objective(WH) if record and beta != 1 else None
        if beta == 2:
            num = self.V @ H.T
            den = W @ (H @ H.T)
        else:
            WHb1 = self._ratio(WH)
            if record and beta == 1:
                obj = self.objective(WH)
            num = WH @ H.T
            den = H.sum(dim=1, keepdim=True).T if beta == 1 else WHb1 @ H.T
        num /= den.clamp(min=self.torch.finfo(W.dtype).tiny)
        if self.gamma != 1:
            num **= self.gamma
        W *= num
        return obj

    def update_H(self, record=False):
        W, H, beta = self.W, self.H, self.beta
        WH = self._wh()
        obj = self.objective(WH) if record and beta != 1 else None
        if beta == 2:
            num = W.T @ self.V
            den = (W.T @ W) @ H
        else:
            WHb1 = self._ratio(WH)
            if record and beta == 1:
                obj = self.objective(WH)
            num = W.T @ WH
            den = W.sum(dim=0, keepdim=True).T if beta == 1 else W.T @ WHb1
        if self.l1:
            den = den + self.l1
        if self.ls and H.shape[1] > 1:
            deg, Ah = _temporal_terms_torch(H)
            if beta == 1:
                p = num * H
                alpha = 2 * self.ls * deg
                b = den - self.ls * (deg * H + Ah)
                root = (b * b + 4 * alpha * p).sqrt()
                h_pos = 2 * p / (b + root)
                h_neg = (root - b) / (2 * alpha)
                H.copy_(self.torch.where(b > 0, h_pos, h_neg))
                return obj
            num = num + self.ls * Ah
            den = den + self.ls * deg * H
        num /= den.clamp(min=self.torch.finfo(H.dtype).tiny)
        if self.gamma != 1:
            num **= self.gamma
        H *= num
        return obj

    def final_objective(self):
        WH = self._wh()
        if self.beta == 1:
            self._ratio(WH)
        return self.objective(WH)


def _temporal_terms_torch(H):
    torch = __import__("torch")
    Ah = torch.zeros_like(H)
    Ah[:, 1:] += H[:, :-1]
    Ah[:, :-1] += H[:, 1:]
    deg = torch.full((H.shape[1],), 2.0, dtype=H.dtype, device=H.device)
    deg[0] = deg[-1] = 1.0
    return deg, Ah


def _resolve_device(device):
    import torch

    if device is None:
        return torch.device("cpu")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def nmf(V, n_components=None, *, W=None, H=None, beta=1, n_iter=100, fix_W=False, fix_H=False,
        sparsity_H=0.0, smoothness_H=0.0, seed=0, backend="numpy", device=None,
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
    seed : int
        Seed of the random initialisation (``sqrt(mean(V) / K) * U[0, 1)``, floored at 1e-3 of
        that scale).
    backend : {"numpy", "torch"}
        numpy (float BLAS through ``np.dot``, preallocated buffers) or the same algorithm in torch.
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

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> V = rng.random((20, 3)) @ rng.random((3, 30))         # exactly rank 3
    >>> W, H, history = nmf(V, 3, n_iter=200)
    >>> W.shape, H.shape, history.shape
    ((20, 3), (3, 30), (201,))
    >>> bool(history[-1] < 1e-2 * history[0])
    True
    """
    K = validate(V, W, H, n_components, beta)
    beta = _check_beta(beta)
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 0:
        raise ValueError(f"n_iter={n_iter!r}: expected a non-negative integer")
    for name, val in (("sparsity_H", sparsity_H), ("smoothness_H", smoothness_H), ("eps", eps)):
        if not np.isfinite(val) or val < 0:
            raise ValueError(f"{name}={val!r}: expected a finite value >= 0")
    if fix_W and W is None:
        raise ValueError("fix_W=True needs the templates W")
    if fix_H and H is None:
        raise ValueError("fix_H=True needs the activations H")
    if backend not in ("numpy", "torch"):
        raise ValueError(f"backend={backend!r}: expected 'numpy' or 'torch'")
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype={dtype}: expected float32 or float64")
    track_every = int(track_every)

    V = np.ascontiguousarray(V, dtype=dtype)
    rng = np.random.default_rng(seed)
    scale = np.sqrt(V.mean() / K) if V.mean() > 0 else 1.0
    W = (np.array(W, dtype=dtype) if W is not None
         else (scale * np.maximum(rng.random((V.shape[0], K)), 1e-3)).astype(dtype))
    H = (np.array(H, dtype=dtype) if H is not None
         else (scale * np.maximum(rng.random((K, V.shape[1])), 1e-3)).astype(dtype))

    if backend == "numpy":
        algo = _NumpyNMF(V, W, H, beta, eps, sparsity_H, smoothness_H)
    else:
        algo = _TorchNMF(V, W, H, beta, eps, sparsity_H, smoothness_H, _resolve_device(device),
                         dtype)
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
    if backend == "torch":
        W, H = algo.W.cpu().numpy(), algo.H.cpu().numpy()
    else:
        W, H = algo.W, algo.H
    return W, H, np.asarray(history, dtype=np.float64)


def harmonic_templates(pitches, sr, n_fft, *, n_partials=10, decay=0.8, width=1.0,
                       inharmonicity=0.0, normalize=True, dtype=np.float32):
    """Harmonic note spectra: one column per MIDI pitch, Gaussian peaks at the partials.

    Partial ``k = 1..n_partials`` of a pitch of fundamental ``f0`` sits at
    ``k f0 sqrt(1 + B k^2)`` (``B = inharmonicity``; about 1e-4 for a piano's middle register),
    with amplitude ``decay^(k-1)``, drawn as a Gaussian of standard deviation ``width`` bins
    (truncated at 3 deviations). Partials above the Nyquist frequency are dropped.

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
    >>> W = harmonic_templates([69], 22050, 2048)             # A4 = 440 Hz
    >>> W.shape, int(W[:, 0].argmax())                        # 440 / (22050 / 2048) ~ 40.9
    ((1025, 1), 41)
    """
    from mirbook.io import check_sr

    sr = check_sr(sr)
    pitches = np.atleast_1d(np.asarray(pitches, dtype=float))
    if pitches.ndim != 1 or not np.all(np.isfinite(pitches)):
        raise ValueError(f"pitches: expected a 1-d array of MIDI numbers, got {pitches!r}")
    if n_partials < 1 or not 0 < decay <= 1 or width <= 0 or inharmonicity < 0:
        raise ValueError("need n_partials >= 1, 0 < decay <= 1, width > 0, inharmonicity >= 0")
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
