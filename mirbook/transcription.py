"""From NMF activations to notes, and note-level / frame-level transcription scores.

The code behind chapter 9 (``notebooks/09_nmf_transcription.ipynb``). Supervised NMF
(:func:`mirbook.nmf.nmf` with fixed note templates) gives one activation row per pitch; a note is
a stretch of time where that row is high. :func:`activations_to_notes` finds those stretches by
hysteresis thresholding (a note starts above ``threshold`` and lasts while the activation stays
above ``threshold_off``), and the notes are scored as in MIREX with
:mod:`mir_eval.transcription` (note level) and :mod:`mir_eval.multipitch` (frame level).

A note list is a float array of shape ``(n_notes, 4)`` with columns
``onset (s), offset (s), MIDI pitch, velocity (1..127)``, sorted by onset then pitch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["validate", "activations_to_notes", "notes_to_mir_eval", "evaluate",
           "multipitch_frames", "evaluate_frames"]


def validate(notes, name="notes"):
    """Check a note list (mir_eval style) and return it as a float array of shape (n, 4).

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3) or (n_notes, 4)
        ``onset, offset, pitch[, velocity]``; onsets < offsets, times >= 0, MIDI pitches in
        [0, 127]. A missing velocity column is set to 100. ``n_notes`` may be 0.
    name : str
        For the messages.

    Returns
    -------
    notes : np.ndarray, shape (n_notes, 4)

    Examples
    --------
    >>> validate([[0.0, 0.5, 60]]).tolist()
    [[0.0, 0.5, 60.0, 100.0]]
    >>> validate([[0.5, 0.5, 60]])
    Traceback (most recent call last):
    ...
    ValueError: notes: note 0 has offset 0.5 <= onset 0.5
    """
    arr = np.asarray(notes, dtype=float)
    if arr.size == 0:
        return np.zeros((0, 4))
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise ValueError(f"{name}: shape {arr.shape}, expected (n_notes, 3 or 4): "
                         "onset, offset, MIDI pitch[, velocity]")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: NaN/Inf values")
    if arr.shape[1] == 3:
        arr = np.column_stack([arr, np.full(len(arr), 100.0)])
    if np.any(arr[:, 0] < 0):
        raise ValueError(f"{name}: negative onset time(s)")
    bad = np.flatnonzero(arr[:, 1] <= arr[:, 0])
    if bad.size:
        i = bad[0]
        raise ValueError(f"{name}: note {i} has offset {arr[i, 1]:g} <= onset {arr[i, 0]:g}")
    if np.any((arr[:, 2] < 0) | (arr[:, 2] > 127)):
        raise ValueError(f"{name}: MIDI pitches must lie in [0, 127]")
    return arr


def _frame_times(n_frames, frame_times, sr, hop_length):
    if frame_times is not None:
        times = np.asarray(frame_times, dtype=float)
        if times.shape != (n_frames,):
            raise ValueError(f"frame_times: shape {times.shape}, expected ({n_frames},) "
                             "(one time per column of H)")
        if n_frames > 1 and np.any(np.diff(times) <= 0):
            raise ValueError("frame_times: must be strictly increasing")
        step = float(np.median(np.diff(times))) if n_frames > 1 else 0.0
        return times, step
    if sr is None or hop_length is None:
        raise ValueError("give frame_times, or sr and hop_length")
    from mirbook.io import check_sr

    sr = check_sr(sr)
    step = hop_length / sr
    return np.arange(n_frames) * step, step


def activations_to_notes(H, pitches, *, frame_times=None, sr=None, hop_length=None,
                         threshold=0.1, threshold_off=None, min_duration=0.05, relative=True):
    """Note events from an activation matrix by per-row hysteresis thresholding.

    In each row, a note starts at a frame whose activation exceeds ``threshold`` and lasts while
    it stays above ``threshold_off``; it ends at the start time of the first frame below (or one
    frame step after the last frame). Notes shorter than ``min_duration`` are dropped. The
    velocity is the note's peak activation mapped linearly to 1..127 (127 = the largest
    activation of ``H``).

    Parameters
    ----------
    H : np.ndarray, shape (n_pitches, n_frames)
        Non-negative activations (e.g. from supervised NMF).
    pitches : array of float, shape (n_pitches,)
        MIDI pitch of each row.
    frame_times : np.ndarray, shape (n_frames,), optional
        Start time of each frame (s). Otherwise ``sr`` and ``hop_length`` give
        ``t = n * hop_length / sr``.
    sr, hop_length : int, optional
    threshold : float
        Onset threshold; relative to ``H.max()`` when ``relative``.
    threshold_off : float, optional
        Sustain threshold (<= ``threshold``); defaults to ``threshold / 2``.
    min_duration : float
        Shortest note kept (s).
    relative : bool
        Thresholds as fractions of ``H.max()`` (True) or in activation units.

    Returns
    -------
    notes : np.ndarray, shape (n_notes, 4)
        ``onset, offset, pitch, velocity``, sorted by onset then pitch.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.zeros((2, 10)); H[0, 2:6] = 1.0; H[1, 5:9] = 0.5
    >>> activations_to_notes(H, [60, 64], sr=1000, hop_length=100).round(3).tolist()
    [[0.2, 0.6, 60.0, 127.0], [0.5, 0.9, 64.0, 64.0]]
    """
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.size == 0:
        raise ValueError(f"H: shape {H.shape}, expected (n_pitches, n_frames), not empty")
    if not np.all(np.isfinite(H)) or np.any(H < 0):
        raise ValueError("H: activations must be finite and non-negative")
    pitches = np.asarray(pitches, dtype=float)
    if pitches.shape != (H.shape[0],):
        raise ValueError(f"pitches: shape {pitches.shape}, expected ({H.shape[0]},) "
                         "(one MIDI pitch per row of H)")
    times, step = _frame_times(H.shape[1], frame_times, sr, hop_length)
    if threshold_off is None:
        threshold_off = threshold / 2
    if not 0 <= threshold_off <= threshold:
        raise ValueError(f"need 0 <= threshold_off ({threshold_off}) <= threshold ({threshold})")
    hmax = H.max()
    if hmax == 0:
        return np.zeros((0, 4))
    on, off = (threshold * hmax, threshold_off * hmax) if relative else (threshold, threshold_off)
    ends = np.append(times[1:], times[-1] + step)
    notes = []
    for k, row in enumerate(H):
        above_on = row > on
        above_off = row > off
        t = 0
        n = len(row)
        candidates = np.flatnonzero(above_on)
        for start in candidates:
            if start < t:
                continue
            stop = start
            while stop + 1 < n and above_off[stop + 1]:
                stop += 1
            t = stop + 1
            onset, offset = times[start], ends[stop]
            if offset - onset + 1e-9 >= min_duration:
                vel = np.clip(np.round(127 * row[start:stop + 1].max() / hmax), 1, 127)
                notes.append((onset, offset, pitches[k], vel))
    if not notes:
        return np.zeros((0, 4))
    notes = np.array(notes, dtype=float)
    return notes[np.lexsort((notes[:, 2], notes[:, 0]))]


def notes_to_mir_eval(notes):
    """Note list -> ``(intervals, pitches_hz)`` as :mod:`mir_eval.transcription` wants.

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4)

    Returns
    -------
    intervals : np.ndarray, shape (n_notes, 2)
    pitches_hz : np.ndarray, shape (n_notes,)

    Examples
    --------
    >>> iv, hz = notes_to_mir_eval([[0.0, 1.0, 69]])
    >>> iv.tolist(), hz.tolist()
    ([[0.0, 1.0]], [440.0])
    """
    notes = validate(notes)
    return notes[:, :2].copy(), 440.0 * 2.0 ** ((notes[:, 2] - 69) / 12)


def evaluate(ref_notes, est_notes, *, onset_tolerance=0.05, offset_ratio=0.2,
             offset_min_tolerance=0.05, pitch_tolerance=50.0):
    """Note-level precision, recall, F-measure and overlap, with and without offsets.

    Wraps :func:`mir_eval.transcription.precision_recall_f1_overlap` twice: onset + pitch only
    (``offset_ratio=None``) and onset + pitch + offset.

    Parameters
    ----------
    ref_notes, est_notes : array-like, shape (n, 3 or 4)
    onset_tolerance : float
        Seconds (MIREX: 0.05).
    offset_ratio, offset_min_tolerance : float
        Offset tolerance ``max(offset_min_tolerance, offset_ratio * ref duration)``.
    pitch_tolerance : float
        Cents.

    Returns
    -------
    scores : dict
        ``Precision, Recall, F-measure, Average_Overlap_Ratio`` (with offsets) and the same keys
        suffixed ``_no_offset`` (mir_eval's names).

    Examples
    --------
    >>> ref = [[0.0, 1.0, 60], [1.0, 2.0, 64]]
    >>> evaluate(ref, [[0.01, 1.0, 60]])["F-measure_no_offset"]
    0.6666666666666666
    """
    import mir_eval

    ref_iv, ref_hz = notes_to_mir_eval(validate(ref_notes, "ref_notes"))
    est_iv, est_hz = notes_to_mir_eval(validate(est_notes, "est_notes"))
    out = {}
    for suffix, ratio in (("", offset_ratio), ("_no_offset", None)):
        if len(ref_iv) == 0 or len(est_iv) == 0:
            p = r = f = o = 0.0
        else:
            p, r, f, o = mir_eval.transcription.precision_recall_f1_overlap(
                ref_iv, ref_hz, est_iv, est_hz, onset_tolerance=onset_tolerance,
                pitch_tolerance=pitch_tolerance, offset_ratio=ratio,
                offset_min_tolerance=offset_min_tolerance)
        out.update({f"Precision{suffix}": float(p), f"Recall{suffix}": float(r),
                    f"F-measure{suffix}": float(f), f"Average_Overlap_Ratio{suffix}": float(o)})
    return out


def multipitch_frames(notes, times):
    """Active pitches (Hz) at each time, as :func:`mir_eval.multipitch.evaluate` wants.

    A note is active at ``t`` when ``onset <= t < offset``.

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4)
    times : np.ndarray, shape (n_times,)
        Sample times (s), e.g. ``np.arange(0, duration, 0.01)``.

    Returns
    -------
    times : np.ndarray, shape (n_times,)
    freqs : list of np.ndarray
        ``freqs[i]`` holds the frequencies (Hz) sounding at ``times[i]`` (possibly none).

    Examples
    --------
    >>> t, f = multipitch_frames([[0.0, 0.02, 69], [0.01, 0.03, 81]], [0.0, 0.01, 0.02])
    >>> [x.tolist() for x in f]
    [[440.0], [440.0, 880.0], [880.0]]
    """
    notes = validate(notes)
    times = np.asarray(times, dtype=float)
    if times.ndim != 1:
        raise ValueError(f"times: expected a 1-d array, got shape {times.shape}")
    hz = 440.0 * 2.0 ** ((notes[:, 2] - 69) / 12)
    active = (notes[:, 0][None, :] <= times[:, None]) & (times[:, None] < notes[:, 1][None, :])
    return times, [np.sort(hz[row]) for row in active]


def evaluate_frames(ref_notes, est_notes, *, hop=0.01, duration=None):
    """Frame-level multi-pitch scores (:func:`mir_eval.multipitch.evaluate`) of two note lists.

    Parameters
    ----------
    ref_notes, est_notes : array-like, shape (n, 3 or 4)
    hop : float
        Time step of the frame grid (s; MIREX uses 0.01).
    duration : float, optional
        End of the grid; default the last offset of either list.

    Returns
    -------
    scores : dict
        mir_eval's keys: ``Precision``, ``Recall``, ``Accuracy``, ``Chroma Precision``...

    Examples
    --------
    >>> ref = [[0.0, 1.0, 60]]
    >>> round(evaluate_frames(ref, ref)["Accuracy"], 3)
    1.0
    """
    import warnings

    import mir_eval

    ref = validate(ref_notes, "ref_notes")
    est = validate(est_notes, "est_notes")
    if duration is None:
        duration = max([0.0] + list(ref[:, 1]) + list(est[:, 1]))
    times = np.arange(0.0, duration, hop)
    t, ref_f = multipitch_frames(ref, times)
    _, est_f = multipitch_frames(est, times)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # mir_eval warns on empty frames
        scores = mir_eval.multipitch.evaluate(t, ref_f, t, est_f)
    return {k: float(v) for k, v in scores.items()}
