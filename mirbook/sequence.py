"""Hidden Markov models and the Viterbi algorithm, in the log domain.

The code behind chapter 8 (``notebooks/08_chords.ipynb``): a chromagram gives, frame by frame, how
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

__all__ = ["validate", "viterbi", "transition_uniform", "transition_local", "path_logp"]

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
    ValueError: transition: row 0 sums to 0.9, not 1 (a row-stochastic matrix is required)
    """
    prob = np.asarray(prob)
    transition = np.asarray(transition)
    for name, arr in (("prob", prob), ("transition", transition)):
        if arr.ndim != 2:
            raise ValueError(f"{name}: expected a 2-d array, got shape {arr.shape}")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ValueError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    n_states, n_steps = prob.shape
    if n_states == 0 or n_steps == 0:
        raise ValueError(f"prob: empty array of shape {prob.shape} (need >= 1 state and step)")
    if transition.shape != (n_states, n_states):
        raise ValueError(
            f"transition: shape {transition.shape} does not match prob's {n_states} states "
            f"(expected ({n_states}, {n_states}); prob must be (n_states, n_steps))"
        )
    for name, arr in (("prob", prob), ("transition", transition)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: {int((~np.isfinite(arr)).sum())} NaN/Inf value(s)")
        if np.any(arr < 0):
            raise ValueError(f"{name}: {int((arr < 0).sum())} negative value(s), min {arr.min():.3g}")
    sums = transition.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > SUM_TOL)
    if bad.size:
        raise ValueError(
            f"transition: row {bad[0]} sums to {sums[bad[0]]:.6g}, not 1 "
            "(a row-stochastic matrix is required)"
        )
    if p_init is None:
        p_init = np.full(n_states, 1.0 / n_states)
    else:
        p_init = np.asarray(p_init)
        if p_init.shape != (n_states,):
            raise ValueError(f"p_init: shape {p_init.shape}, expected ({n_states},)")
        if not np.all(np.isfinite(p_init)) or np.any(p_init < 0):
            raise ValueError("p_init: values must be finite and non-negative")
        if abs(p_init.sum() - 1) > SUM_TOL:
            raise ValueError(f"p_init: sums to {p_init.sum():.6g}, not 1")
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


def viterbi(prob, transition, p_init=None, *, return_logp=False, engine="auto"):
    """Most likely state sequence of a hidden Markov model (Viterbi decoding, log domain).

    Parameters
    ----------
    prob : np.ndarray, shape (n_states, n_steps)
        ``prob[s, t] = P[X_t | S_t = s]``, non-negative (likelihoods; need not sum to 1).
    transition : np.ndarray, shape (n_states, n_states)
        ``transition[i, j] = P[S_{t+1} = j | S_t = i]``; rows sum to 1.
    p_init : np.ndarray, shape (n_states,), optional
        Initial distribution; uniform if omitted.
    return_logp : bool
        Also return the log-probability of the returned path (joint with the observations).
    engine : {"auto", "numpy", "numba"}
        ``"numpy"``: the recursion as the chapter writes it, vectorised over states with a Python
        loop over time. ``"numba"``: the same recursion compiled (no array allocated per step).
        ``"auto"``: numba when it can be imported. Both give the same path and log-probability.

    Returns
    -------
    states : np.ndarray, shape (n_steps,), int
        The decoded state at each step.
    logp : float
        Only with ``return_logp=True``: ``log p_init[s_0] + sum_t log prob[s_t, t] +
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
    >>> A = transition_uniform(2, 0.9)
    >>> viterbi(prob, A).tolist()           # too costly to leave state 0 for one frame
    [0, 0, 0]
    >>> viterbi(prob, transition_uniform(2, 0.5)).tolist()
    [0, 1, 0]
    """
    prob, transition, p_init = validate(prob, transition, p_init)
    log_prob, log_trans, log_p_init = _logs(prob, transition, p_init)
    if engine not in ("auto", "numpy", "numba"):
        raise ValueError(f"engine={engine!r}: expected 'auto', 'numpy' or 'numba'")
    kernel = _numba_kernel() if engine in ("auto", "numba") else False
    if engine == "numba" and not kernel:  # pragma: no cover
        raise ValueError("engine='numba' but numba cannot be imported")
    log_prob_t = np.ascontiguousarray(log_prob.T)
    if kernel:
        states, logp = kernel(log_prob_t, np.ascontiguousarray(log_trans.T), log_p_init)
        states, logp = np.asarray(states, dtype=np.intp), float(logp)
    else:
        states, logp = _viterbi_numpy(log_prob_t, log_trans, log_p_init)
    return (states, logp) if return_logp else states


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
    >>> A = transition_uniform(2, 0.5)
    >>> round(path_logp([0, 0], np.ones((2, 2)), A), 4)   # log(0.5) + log(0.5)
    -1.3863
    """
    prob, transition, p_init = validate(prob, transition, p_init)
    states = np.asarray(states)
    if states.shape != (prob.shape[1],) or not np.issubdtype(states.dtype, np.integer):
        raise ValueError(f"states: expected {prob.shape[1]} integers, got {states.shape} {states.dtype}")
    if states.min() < 0 or states.max() >= prob.shape[0]:
        raise ValueError(f"states: values must lie in [0, {prob.shape[0] - 1}]")
    log_prob, log_trans, log_p_init = _logs(prob, transition, p_init)
    steps = np.arange(prob.shape[1])
    return float(
        log_p_init[states[0]] + log_prob[states, steps].sum() + log_trans[states[:-1], states[1:]].sum()
    )


def transition_uniform(n_states, p_stay):
    """Self-loop transition matrix: stay with ``p_stay``, else jump uniformly to another state.

    A thin wrapper around :func:`librosa.sequence.transition_loop` (which also accepts one
    ``p_stay`` per state).

    Parameters
    ----------
    n_states : int, >= 2
    p_stay : float in [0, 1], or np.ndarray, shape (n_states,)

    Returns
    -------
    transition : np.ndarray, shape (n_states, n_states), rows sum to 1

    Examples
    --------
    >>> transition_uniform(3, 0.8).round(2).tolist()
    [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]
    """
    import librosa

    if not isinstance(n_states, (int, np.integer)) or n_states < 2:
        raise ValueError(f"n_states={n_states!r}: need an integer >= 2")
    p = np.asarray(p_stay, dtype=float)
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"p_stay={p_stay!r}: a probability in [0, 1] is required")
    return librosa.sequence.transition_loop(int(n_states), p_stay)


def transition_local(n_states, width, *, window="triangle", wrap=False):
    """Banded transition matrix: jumps only to nearby states (:func:`librosa.sequence.transition_local`).

    Parameters
    ----------
    n_states : int
    width : int
        Number of reachable states (odd), centred on the current one.
    window : str
        Shape of the band (any ``scipy.signal.get_window`` name).
    wrap : bool
        Circular neighbourhoods (e.g. pitch classes).

    Returns
    -------
    transition : np.ndarray, shape (n_states, n_states)

    Examples
    --------
    >>> transition_local(4, 3).shape
    (4, 4)
    """
    import librosa

    return librosa.sequence.transition_local(n_states, width, window=window, wrap=wrap)
