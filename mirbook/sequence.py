"""Sequence alignment and decoding: dynamic time warping, and the Viterbi algorithm of an HMM.

As in :mod:`librosa.sequence`, both dynamic programmes live here. :func:`dtw` (with
:func:`cost_matrix`) is the code behind chapter 4 (``notebooks/04_symbolic_midi.ipynb``, score to
audio alignment: :mod:`mirbook.alignment`), tested against :func:`librosa.sequence.dtw`.

:func:`viterbi` is the code behind chapter 8 (``notebooks/08_chords.ipynb``): a chromagram gives, frame by frame, how
well each chord explains the audio; a hidden Markov model adds that chords last, and the Viterbi
algorithm finds the single most likely chord sequence.

Conventions are librosa's (:func:`librosa.sequence.viterbi`):

* ``prob[s, t]`` is the likelihood ``P[X_t | S_t = s]``, shape ``(n_states, n_steps)``;
* ``transition[i, j] = P[S_{t+1} = j | S_t = i]``, shape ``(n_states, n_states)``, rows sum to 1;
* ``p_init[s] = P[S_0 = s]``, uniform when omitted.

The recursion, with ``delta_t(j)`` the log-probability of the best path ending in state ``j`` at
step ``t``::

    delta_0(j) = log p_init(j) + log prob(j, 0)
    delta_t(j) = max_i [delta_{t-1}(i) + log A(i, j)] + log prob(j, t)
    psi_t(j)   = argmax_i [delta_{t-1}(i) + log A(i, j)]

then the path is read backwards from ``argmax_j delta_{T-1}(j)`` through ``psi``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from mirbook.errors import ParameterError

__all__ = ["validate", "viterbi", "transition_uniform", "transition_local", "path_logp",
           "STEP_SIZES", "cost_matrix", "dtw"]

#: Tolerance on the sums of probability vectors (rows of ``transition``, ``p_init``).
SUM_TOL = 1e-6


def validate(prob, transition, p_init=None):
    """Check the inputs of :func:`viterbi` before any computation (mir_eval style).

    Parameters
    ----------
    prob : np.ndarray, shape (n_states, n_steps)
        Observation likelihoods, non-negative and finite.
    transition : np.ndarray, shape (n_states, n_states)
        Row-stochastic transition matrix: non-negative, each row sums to 1 (within ``SUM_TOL``).
    p_init : np.ndarray, shape (n_states,), optional
        Initial state distribution: non-negative, sums to 1.

    Returns
    -------
    prob, transition, p_init : np.ndarray
        The inputs as float arrays (``p_init`` uniform if it was ``None``).

    Raises
    ------
    ValueError
        With a message naming the array and the problem.

    Examples
    --------
    >>> import numpy as np
    >>> validate(np.ones((2, 3)), np.array([[0.5, 0.4], [0.5, 0.5]]))
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: transition: row 0 sums to 0.9, not 1 (a row-stochastic matrix is required)
    """
    prob = np.asarray(prob)
    transition = np.asarray(transition)
    for name, arr in (("prob", prob), ("transition", transition)):
        if arr.ndim != 2:
            raise ParameterError(f"{name}: expected a 2-d array, got shape {arr.shape}")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ParameterError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    n_states, n_steps = prob.shape
    if n_states == 0 or n_steps == 0:
        raise ParameterError(f"prob: empty array of shape {prob.shape} (need >= 1 state and step)")
    if transition.shape != (n_states, n_states):
        raise ParameterError(
            f"transition: shape {transition.shape} does not match prob's {n_states} states "
            f"(expected ({n_states}, {n_states}); prob must be (n_states, n_steps))"
        )
    for name, arr in (("prob", prob), ("transition", transition)):
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{name}: {int((~np.isfinite(arr)).sum())} NaN/Inf value(s)")
        if np.any(arr < 0):
            raise ParameterError(f"{name}: {int((arr < 0).sum())} negative value(s), min {arr.min():.3g}")
    sums = transition.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > SUM_TOL)
    if bad.size:
        raise ParameterError(
            f"transition: row {bad[0]} sums to {sums[bad[0]]:.6g}, not 1 "
            "(a row-stochastic matrix is required)"
        )
    if p_init is None:
        p_init = np.full(n_states, 1.0 / n_states)
    else:
        p_init = np.asarray(p_init)
        if p_init.shape != (n_states,):
            raise ParameterError(f"p_init: shape {p_init.shape}, expected ({n_states},)")
        if not np.all(np.isfinite(p_init)) or np.any(p_init < 0):
            raise ParameterError("p_init: values must be finite and non-negative")
        if abs(p_init.sum() - 1) > SUM_TOL:
            raise ParameterError(f"p_init: sums to {p_init.sum():.6g}, not 1")
    return prob.astype(float, copy=False), transition.astype(float, copy=False), \
        p_init.astype(float, copy=False)


def _logs(prob, transition, p_init):
    # librosa's convention: add the smallest positive float before the log, so that a zero
    # probability is very unlikely (log ~ -708) rather than impossible.
    eps = np.finfo(prob.dtype).tiny
    return np.log(prob + eps), np.log(transition + eps), np.log(p_init + eps)


def _viterbi_numpy(log_prob, log_trans, log_p_init):
    """Viterbi on logs, vectorised over states; the only Python loop runs over time.

    ``log_prob`` has shape (n_steps, n_states) (time-major, so each step reads a contiguous row).
    """
    n_steps, n_states = log_prob.shape
    ptr = np.empty((n_steps, n_states), dtype=np.intp)
    value = log_prob[0] + log_p_init
    scores = np.empty((n_states, n_states))       # scores[i, j] = delta_{t-1}(i) + log A(i, j)
    cols = np.arange(n_states)
    for t in range(1, n_steps):
        np.add(value[:, np.newaxis], log_trans, out=scores)
        best = scores.argmax(axis=0)                 # psi_t(j): first maximiser, as librosa
        ptr[t] = best
        value = scores[best, cols]
        value += log_prob[t]
    return _backtrack(ptr, value)


def _backtrack(ptr, value):
    n_steps = ptr.shape[0]
    states = np.empty(n_steps, dtype=np.intp)
    states[-1] = np.argmax(value)
    logp = value[states[-1]]
    for t in range(n_steps - 1, 0, -1):
        states[t - 1] = ptr[t, states[t]]
    return states, float(logp)


def _viterbi_loops(log_prob, log_trans_t, log_p_init):  # pragma: no cover (compiled)
    """The recursion of :func:`_viterbi_numpy` as plain loops, for numba (nothing allocated per
    step). ``log_trans_t[j, i] = log A(i, j)`` so that the inner loop reads contiguous memory."""
    n_steps, n_states = log_prob.shape
    ptr = np.empty((n_steps, n_states), dtype=np.intp)
    value = log_prob[0] + log_p_init
    new = np.empty(n_states)
    for t in range(1, n_steps):
        for j in range(n_states):
            row = log_trans_t[j]
            best_i = 0
            best = value[0] + row[0]
            for i in range(1, n_states):
                s = value[i] + row[i]
                if s > best:
                    best = s
                    best_i = i
            ptr[t, j] = best_i
            new[j] = best + log_prob[t, j]
        value, new = new, value
    states = np.empty(n_steps, dtype=np.intp)
    states[-1] = np.argmax(value)
    logp = value[states[-1]]
    for t in range(n_steps - 1, 0, -1):
        states[t - 1] = ptr[t, states[t]]
    return states, logp


_NUMBA_KERNEL = None


def _numba_kernel():
    """:func:`_viterbi_loops` compiled with numba (a librosa dependency; cached on disk), or
    False when numba is missing."""
    global _NUMBA_KERNEL
    if _NUMBA_KERNEL is None:
        try:
            from numba import njit
        except ImportError:  # pragma: no cover
            _NUMBA_KERNEL = False
        else:
            _NUMBA_KERNEL = njit(cache=True, nogil=True)(_viterbi_loops)
    return _NUMBA_KERNEL


def viterbi(prob, transition, p_init=None, *, return_info=False, engine="auto"):
    """Most likely state sequence of a hidden Markov model (Viterbi decoding, log domain).

    Parameters
    ----------
    prob : np.ndarray, shape (n_states, n_steps)
        ``prob[s, t] = P[X_t | S_t = s]``, non-negative (likelihoods; need not sum to 1).
    transition : np.ndarray, shape (n_states, n_states)
        ``transition[i, j] = P[S_{t+1} = j | S_t = i]``; rows sum to 1.
    p_init : np.ndarray, shape (n_states,), optional
        Initial distribution; uniform if omitted.
    return_info : bool
        Also return ``{"logp": ...}``: the log-probability of the returned path (joint with the
        observations).
    engine : {"auto", "numpy", "numba"}
        ``"numpy"``: the recursion as the chapter writes it, vectorised over states with a Python
        loop over time. ``"numba"``: the same recursion compiled (no array allocated per step).
        ``"auto"``: numba when it can be imported. Both give the same path and log-probability.

    Returns
    -------
    states : np.ndarray, shape (n_steps,), int
        The decoded state at each step.
    info : dict
        Only with ``return_info=True``: ``info["logp"]`` is ``log p_init[s_0] + sum_t log prob[s_t, t] +
        sum_t log transition[s_{t-1}, s_t]`` for that path (probabilities offset by the smallest
        positive float before the log, as in librosa, so zeros stay finite).

    Notes
    -----
    Same conventions, tie-breaking (first maximiser) and results as
    :func:`librosa.sequence.viterbi` for a single 2-d ``prob``.

    Examples
    --------
    >>> import numpy as np
    >>> prob = np.array([[0.9, 0.2, 0.9], [0.1, 0.8, 0.1]])
    >>> A = transition_uniform(2, p_stay=0.9)
    >>> viterbi(prob, A).tolist()           # too costly to leave state 0 for one frame
    [0, 0, 0]
    >>> viterbi(prob, transition_uniform(2, p_stay=0.5)).tolist()
    [0, 1, 0]
    >>> states, info = viterbi(prob, A, return_info=True)
    >>> round(info["logp"], 4)
    -2.724
    """
    prob, transition, p_init = validate(prob, transition, p_init)
    log_prob, log_trans, log_p_init = _logs(prob, transition, p_init)
    if engine not in ("auto", "numpy", "numba"):
        raise ParameterError(f"engine={engine!r}: expected 'auto', 'numpy' or 'numba'")
    kernel = _numba_kernel() if engine in ("auto", "numba") else False
    if engine == "numba" and not kernel:  # pragma: no cover
        raise ParameterError("engine='numba' but numba cannot be imported")
    log_prob_t = np.ascontiguousarray(log_prob.T)
    if kernel:
        states, logp = kernel(log_prob_t, np.ascontiguousarray(log_trans.T), log_p_init)
        states, logp = np.asarray(states, dtype=np.intp), float(logp)
    else:
        states, logp = _viterbi_numpy(log_prob_t, log_trans, log_p_init)
    return (states, {"logp": logp}) if return_info else states


def path_logp(states, prob, transition, p_init=None):
    """Log-probability of a given state path (same logs and offsets as :func:`viterbi`).

    Parameters
    ----------
    states : array of int, shape (n_steps,)
    prob : np.ndarray, shape (n_states, n_steps)
    transition : np.ndarray, shape (n_states, n_states)
    p_init : np.ndarray, shape (n_states,), optional

    Returns
    -------
    logp : float

    Examples
    --------
    >>> import numpy as np
    >>> A = transition_uniform(2, p_stay=0.5)
    >>> round(path_logp([0, 0], np.ones((2, 2)), A), 4)   # log(0.5) + log(0.5)
    -1.3863
    """
    prob, transition, p_init = validate(prob, transition, p_init)
    states = np.asarray(states)
    if states.shape != (prob.shape[1],) or not np.issubdtype(states.dtype, np.integer):
        raise ParameterError(f"states: expected {prob.shape[1]} integers, got {states.shape} {states.dtype}")
    if states.min() < 0 or states.max() >= prob.shape[0]:
        raise ParameterError(f"states: values must lie in [0, {prob.shape[0] - 1}]")
    log_prob, log_trans, log_p_init = _logs(prob, transition, p_init)
    steps = np.arange(prob.shape[1])
    return float(
        log_p_init[states[0]] + log_prob[states, steps].sum() + log_trans[states[:-1], states[1:]].sum()
    )


def transition_uniform(n, *, p_stay):
    """Self-loop transition matrix: stay with ``p_stay``, else jump uniformly to another state.

    A thin wrapper around :func:`librosa.sequence.transition_loop` (which also accepts one
    ``p_stay`` per state).

    Parameters
    ----------
    n : int, >= 2
        Number of states.
    p_stay : float in [0, 1], or np.ndarray, shape (n,)

    Returns
    -------
    transition : np.ndarray, shape (n, n), rows sum to 1

    Examples
    --------
    >>> transition_uniform(3, p_stay=0.8).round(2).tolist()
    [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]
    """
    import librosa

    n_states = n
    if not isinstance(n_states, (int, np.integer)) or n_states < 2:
        raise ParameterError(f"n={n_states!r}: need an integer >= 2 (the number of states)")
    p = np.asarray(p_stay, dtype=float)
    if not np.all((p >= 0) & (p <= 1)):
        raise ParameterError(f"p_stay={p_stay!r}: a probability in [0, 1] is required")
    return librosa.sequence.transition_loop(int(n_states), p_stay)


def transition_local(n, *, width, window="triangle", wrap=False):
    """Banded transition matrix: jumps only to nearby states (:func:`librosa.sequence.transition_local`).

    Parameters
    ----------
    n : int
        Number of states.
    width : int
        Number of reachable states (odd), centred on the current one.
    window : str
        Shape of the band (any ``scipy.signal.get_window`` name).
    wrap : bool
        Circular neighbourhoods (e.g. pitch classes).

    Returns
    -------
    transition : np.ndarray, shape (n, n)

    Examples
    --------
    >>> transition_local(4, width=3).shape
    (4, 4)
    """
    import librosa

    return librosa.sequence.transition_local(n, width, window=window, wrap=wrap)


# --------------------------------------------------------------------------------------------
# dynamic time warping (chapter 4)

#: The standard DTW steps ``(a, b)``: diagonal, horizontal, vertical (librosa's default).
STEP_SIZES = np.array([[1, 1], [0, 1], [1, 0]])


def cost_matrix(X, Y, *, metric="cosine"):
    """Pairwise cost between the frames of two feature sequences.

    Parameters
    ----------
    X : np.ndarray, shape (d, N)
    Y : np.ndarray, shape (d, M)
        Features first, frames second (librosa's layout).
    metric : {"cosine", "euclidean"}
        ``1 - cos`` angle between frames (a silent frame counts as the flat vector, so two silent
        frames cost 0), or the Euclidean distance.

    Returns
    -------
    C : np.ndarray, shape (N, M)

    Examples
    --------
    >>> X = np.eye(3)[:, [0, 1]]; Y = np.eye(3)[:, [0, 1, 1]]
    >>> cost_matrix(X, Y).tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ParameterError(f"X {X.shape} and Y {Y.shape}: expected (d, N) and (d, M)")
    if metric == "euclidean":
        d2 = (X**2).sum(0)[:, None] + (Y**2).sum(0)[None, :] - 2 * X.T @ Y
        return np.sqrt(np.maximum(d2, 0.0))
    if metric != "cosine":
        raise ParameterError(f"metric={metric!r}: expected 'cosine' or 'euclidean'")

    def unit(Z):
        n = np.linalg.norm(Z, axis=0, keepdims=True)
        flat = np.full_like(Z, 1.0 / np.sqrt(Z.shape[0]))
        return np.where(n > 1e-12, Z / np.where(n > 1e-12, n, 1.0), flat)

    return np.clip(1.0 - unit(X).T @ unit(Y), 0.0, 2.0)




def _check_steps(step_sizes, weights, weights_add):
    steps = STEP_SIZES if step_sizes is None else np.asarray(step_sizes)
    if steps.ndim != 2 or steps.shape[1] != 2 or len(steps) == 0:
        raise ParameterError(f"step_sizes: shape {steps.shape}, expected (n_steps, 2)")
    if not np.issubdtype(steps.dtype, np.integer):
        if not np.all(steps == np.round(steps)):
            raise ParameterError("step_sizes: steps must be whole numbers of frames")
        steps = steps.astype(int)
    if np.any(steps < 0) or np.any(steps.sum(axis=1) == 0):
        raise ParameterError("step_sizes: steps must be >= 0 and move forward (no [0, 0] step)")
    k = len(steps)
    w_mul = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    w_add = np.zeros(k) if weights_add is None else np.asarray(weights_add, dtype=float)
    for name, w in (("weights", w_mul), ("weights_add", w_add)):
        if w.shape != (k,):
            raise ParameterError(f"{name}: shape {w.shape}, expected ({k},), one per step")
        if not np.all(np.isfinite(w)):
            raise ParameterError(f"{name}: NaN/Inf")
    return steps, w_mul, w_add


def dtw(C, *, step_sizes=None, weights=None, weights_add=None, backtrack=True):
    """Dynamic time warping: the cheapest monotone path through a cost matrix.

    With steps ``(a_s, b_s)`` and weights ``w_s`` (multiplicative) and ``v_s`` (additive), the
    accumulated cost is

    ``D[0, 0] = C[0, 0]``,
    ``D[n, m] = min_s D[n - a_s, m - b_s] + w_s C[n, m] + v_s``

    (``D = inf`` outside the matrix), and the path is read backwards from ``(N-1, M-1)`` along
    the step that achieved each minimum. With the standard steps (diagonal, right, down) and
    unit weights, diagonal moves are favoured: one diagonal step pays ``C`` once where a right
    plus a down step pay it twice; weights ``(2, 1, 1)`` make them even (Müller's choice).

    Every step moves forward, so all cells of one anti-diagonal ``n + m = k`` depend only on
    earlier anti-diagonals: the recursion is vectorised along anti-diagonals (``N + M - 1``
    numpy steps instead of ``N * M`` Python steps). Ties go to the earliest step in
    ``step_sizes``, so the result (``D`` and the path) equals
    :func:`librosa.sequence.dtw` with ``step_sizes_sigma=step_sizes, weights_mul=weights,
    weights_add=weights_add`` (whose path is listed from the end).

    Parameters
    ----------
    C : np.ndarray, shape (N, M)
        Cost of matching frame ``n`` of one sequence with frame ``m`` of the other; no NaN.
    step_sizes : array-like of int, shape (n_steps, 2), optional
        Default ``[[1, 1], [0, 1], [1, 0]]``.
    weights, weights_add : array-like, shape (n_steps,), optional
        Default ones and zeros.
    backtrack : bool
        Also return the path.

    Returns
    -------
    D : np.ndarray, shape (N, M), float64
        Accumulated cost; ``D[-1, -1]`` is the cost of the best path.
    path : np.ndarray, shape (L, 2), int
        From ``(0, 0)`` to ``(N - 1, M - 1)``, both coordinates non-decreasing (only when
        ``backtrack``).

    Raises
    ------
    ValueError
        Bad ``C``, steps or weights, or no path reaches ``(N - 1, M - 1)`` with these steps.

    Examples
    --------
    >>> C = 1.0 - np.eye(3)
    >>> D, path = dtw(C)
    >>> float(D[-1, -1]), path.tolist()
    (0.0, [[0, 0], [1, 1], [2, 2]])

    See Also
    --------
    librosa.sequence.dtw, mirbook.alignment.align
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    C = np.asarray(C)
    if C.ndim != 2 or C.size == 0:
        raise ParameterError(f"C: shape {C.shape}, expected a non-empty (N, M) cost matrix")
    if not np.issubdtype(C.dtype, np.number) or np.iscomplexobj(C):
        raise ParameterError(f"C: dtype {C.dtype}, expected real numbers")
    C = C.astype(np.float64)
    if np.isnan(C).any():
        raise ParameterError("C: NaN cost(s)")
    steps, w_mul, w_add = _check_steps(step_sizes, weights, weights_add)
    N, M = C.shape
    a0 = int(steps[:, 0].max())
    kp = int(steps.sum(axis=1).max())
    # Skewed storage: row k of Ck / Dk holds anti-diagonal k (cells (n, k - n)), indexed by n,
    # so each anti-diagonal and each step's predecessors are contiguous slices. Ck is gathered
    # from C in one pass (flat index of (n, k - n) is k + n * (M - 1), inside C for all k, n).
    K = N + M - 1
    Ck = np.ascontiguousarray(as_strided(C, shape=(K, N), strides=(8, (M - 1) * 8)))
    Dk = np.full((K + kp, N + a0), np.inf)
    Dk[kp, a0] = C[0, 0]
    choice = np.zeros((K, N), dtype=np.int8)
    for k in range(1, K):
        n_lo, n_hi = max(0, k - M + 1), min(k, N - 1) + 1
        c = Ck[k, n_lo:n_hi]
        best = None
        for s, (a, b) in enumerate(steps):
            prev = Dk[k + kp - a - b, n_lo + a0 - a: n_hi + a0 - a]
            cand = prev + (w_mul[s] * c + w_add[s])
            if best is None:
                best, choose = cand, choice[k, n_lo:n_hi]
            else:
                better = cand < best
                np.copyto(best, cand, where=better)
                choose[better] = s
        Dk[k + kp, n_lo + a0: n_hi + a0] = best
    R = N + a0
    D = np.array(as_strided(Dk[kp:, a0:], shape=(N, M), strides=((R + 1) * 8, R * 8)))
    if not backtrack:
        return D
    if not np.isfinite(D[-1, -1]):
        raise ParameterError(f"no warping path reaches ({N - 1}, {M - 1}) with step sizes "
                         f"{steps.tolist()}")
    path = [(N - 1, M - 1)]
    n, m = N - 1, M - 1
    while (n, m) != (0, 0):
        a, b = steps[choice[n + m, n]]
        n, m = n - a, m - b
        if n < 0 or m < 0:  # pragma: no cover (D finite implies a path back to (0, 0))
            raise ParameterError("the warping path leaves the matrix")
        path.append((n, m))
    return D, np.asarray(path[::-1], dtype=int)


