"""From NMF activations to notes, and note-level / frame-level transcription scores.

The code behind chapter 9 (``notebooks/09_nmf_transcription.ipynb``). Supervised NMF
(:func:`mirbook.nmf.nmf` with fixed note templates) gives one activation row per pitch; a note is
a stretch of time where that row is high. :func:`activations_to_notes` finds those stretches by
hysteresis thresholding (a note starts above ``threshold`` and lasts while the activation stays
above ``threshold_off``), and the notes are scored as in MIREX with
:mod:`mir_eval.transcription` (note level) and :mod:`mir_eval.multipitch` (frame level).

A note list is a float array of shape ``(n_notes, 4)`` with columns
``onset (s), offset (s), MIDI pitch, velocity (1..127)``, sorted by onset then pitch.

As in :mod:`mir_eval`, :func:`validate` rejects a malformed note list before any computation and
:func:`evaluate` / :func:`evaluate_frames` score an estimate against a reference; caller mistakes
raise :class:`mirbook.errors.ParameterError` naming the argument.
"""

from __future__ import annotations

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError

__all__ = ["validate", "activations_to_notes", "notes_to_mir_eval", "evaluate",
           "multipitch_frames", "evaluate_frames", "SCORE_NAMES", "read_notes", "magnitude",
           "name_components", "merge_components", "score_activations", "tune_threshold"]


def validate(notes, *, name="notes"):
    """Check a note list (mir_eval style) and return it as a float array of shape (n, 4).

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.

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

    Raises
    ------
    ParameterError
        Wrong shape, NaN/Inf, negative onset, offset not after onset, pitch outside [0, 127].

    Examples
    --------
    >>> validate([[0.0, 0.5, 60]]).tolist()
    [[0.0, 0.5, 60.0, 100.0]]
    >>> validate([[0.5, 0.5, 60]])
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: notes: note 0 has offset 0.5 <= onset 0.5
    """
    try:
        arr = np.asarray(notes, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected an (n_notes, 3 or 4) array of numbers") from None
    if arr.size == 0:
        return np.zeros((0, 4))
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise ParameterError(f"{name}: shape {arr.shape}, expected (n_notes, 3 or 4): "
                             "onset, offset, MIDI pitch[, velocity]")
    arr = _validate.real_array(arr, name)                 # NaN/Inf
    if arr.shape[1] == 3:
        arr = np.column_stack([arr, np.full(len(arr), 100.0)])
    if np.any(arr[:, 0] < 0):
        raise ParameterError(f"{name}: negative onset time(s)")
    bad = np.flatnonzero(arr[:, 1] <= arr[:, 0])
    if bad.size:
        i = bad[0]
        raise ParameterError(f"{name}: note {i} has offset {arr[i, 1]:g} <= onset {arr[i, 0]:g}")
    if np.any((arr[:, 2] < 0) | (arr[:, 2] > 127)):
        raise ParameterError(f"{name}: MIDI pitches must lie in [0, 127]")
    return arr


def _frame_times(n_frames, frame_times, sr, hop_length):
    if frame_times is not None:
        times = np.asarray(frame_times, dtype=float)
        if times.shape != (n_frames,):
            raise ParameterError(f"frame_times: shape {times.shape}, expected ({n_frames},) "
                                 "(one time per column of H)")
        times = _validate.real_array(times, "frame_times")
        if n_frames > 1 and np.any(np.diff(times) <= 0):
            raise ParameterError("frame_times: must be strictly increasing")
        step = float(np.median(np.diff(times))) if n_frames > 1 else 0.0
        return times, step
    if sr is None or hop_length is None:
        raise ParameterError("frame_times: give frame_times, or sr and hop_length")
    from mirbook.io import check_sr

    sr = check_sr(sr)
    step = _validate.positive_int(hop_length, "hop_length") / sr
    return np.arange(n_frames) * step, step


def activations_to_notes(H, pitches, *, frame_times=None, sr=None, hop_length=None,
                         threshold=0.1, threshold_off=None, min_duration=0.05, relative=True):
    """Note events from an activation matrix by per-row hysteresis thresholding.

    In each row, a note starts at a frame whose activation exceeds ``threshold`` and lasts while
    it stays above ``threshold_off``; it ends at the start time of the first frame below (or one
    frame step after the last frame). Notes shorter than ``min_duration`` are dropped. The
    velocity is the note's peak activation mapped linearly to 1..127 (127 = the largest
    activation of ``H``). Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.

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
    H = _validate.real_array(H, "H", ndim=2, nonneg=True,
                             hint="activations must be non-negative").astype(float)
    pitches = _validate.real_array(np.atleast_1d(np.asarray(pitches, dtype=float)), "pitches")
    if pitches.shape != (H.shape[0],):
        raise ParameterError(f"pitches: shape {pitches.shape}, expected ({H.shape[0]},) "
                             "(one MIDI pitch per row of H)")
    times, step = _frame_times(H.shape[1], frame_times, sr, hop_length)
    threshold = _validate.finite_real(threshold, "threshold", low=0)
    if threshold_off is None:
        threshold_off = threshold / 2
    threshold_off = _validate.finite_real(threshold_off, "threshold_off", low=0)
    if threshold_off > threshold:
        raise ParameterError(f"threshold_off={threshold_off}: need 0 <= threshold_off <= "
                             f"threshold ({threshold})")
    min_duration = _validate.finite_real(min_duration, "min_duration", low=0)
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

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.

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
    (``offset_ratio=None``) and onset + pitch + offset. Both lists are validated
    (:func:`validate`) before any scoring. Used in the chapter notebook
    ``notebooks/09_nmf_transcription.ipynb``.

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

    ref_iv, ref_hz = notes_to_mir_eval(validate(ref_notes, name="ref_notes"))
    est_iv, est_hz = notes_to_mir_eval(validate(est_notes, name="est_notes"))
    onset_tolerance = _validate.finite_real(onset_tolerance, "onset_tolerance", low=0)
    offset_ratio = _validate.finite_real(offset_ratio, "offset_ratio", low=0)
    offset_min_tolerance = _validate.finite_real(offset_min_tolerance, "offset_min_tolerance",
                                                 low=0)
    pitch_tolerance = _validate.finite_real(pitch_tolerance, "pitch_tolerance", low=0)
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

    A note is active at ``t`` when ``onset <= t < offset``. Used in the chapter notebook
    ``notebooks/09_nmf_transcription.ipynb``.

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
    times = _validate.real_array(np.asarray(times, dtype=float), "times", ndim=1,
                                 allow_empty=True)
    hz = 440.0 * 2.0 ** ((notes[:, 2] - 69) / 12)
    active = (notes[:, 0][None, :] <= times[:, None]) & (times[:, None] < notes[:, 1][None, :])
    return times, [np.sort(hz[row]) for row in active]


def evaluate_frames(ref_notes, est_notes, *, time_step=0.01, duration=None):
    """Frame-level multi-pitch scores (:func:`mir_eval.multipitch.evaluate`) of two note lists.

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.

    Parameters
    ----------
    ref_notes, est_notes : array-like, shape (n, 3 or 4)
    time_step : float
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

    ref = validate(ref_notes, name="ref_notes")
    est = validate(est_notes, name="est_notes")
    time_step = _validate.finite_real(time_step, "time_step", low=0, low_open=True)
    if duration is None:
        duration = max([0.0] + list(ref[:, 1]) + list(est[:, 1]))
    duration = _validate.finite_real(duration, "duration", low=0)
    times = np.arange(0.0, duration, time_step)
    t, ref_f = multipitch_frames(ref, times)
    _, est_f = multipitch_frames(est, times)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # mir_eval warns on empty frames
        scores = mir_eval.multipitch.evaluate(t, ref_f, t, est_f)
    return {k: float(v) for k, v in scores.items()}


# --- chapter 9's pipeline: spectrogram in, notes and scores out ------------------------------

#: Names of the three scores of :func:`score_activations`, in order.
SCORE_NAMES = ("onset F", "onset-offset F", "frame F")


def read_notes(path, *, end_time=None, velocity=100):
    """Read a note file of mir_eval's format (``onset offset frequency_hz`` per line).

    The inverse of :func:`mirbook.scores.write_notes`: frequencies are rounded to MIDI pitches.

    Parameters
    ----------
    path : path-like
    end_time : float, optional
        Keep the notes starting before it and cut their offsets there (s).
    velocity : int
        Velocity column of the result (the file has none).

    Returns
    -------
    notes : np.ndarray, shape (n_notes, 4)
        ``onset, offset, MIDI pitch, velocity``, in file order.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.notes.txt")
    >>> _ = open(path, "w").write("0.5 1.5 440.0\\n2.0 3.0 261.63\\n")
    >>> read_notes(path, end_time=1.0).tolist()
    [[0.5, 1.0, 69.0, 100.0]]

    Used in the chapter notebooks ``notebooks/08_chords.ipynb`` and
    ``notebooks/09_nmf_transcription.ipynb``.
    """
    import mir_eval

    velocity = _validate.finite_real(velocity, "velocity", low=1, high=127)
    iv, hz = mir_eval.io.load_valued_intervals(str(path))
    iv = np.asarray(iv, dtype=float).reshape(-1, 2)
    midi = np.round(mir_eval.util.hz_to_midi(np.asarray(hz, dtype=float)))
    if end_time is not None:
        end_time = _validate.finite_real(end_time, "end_time", low=0, low_open=True)
        keep = iv[:, 0] < end_time
        iv, midi = iv[keep], midi[keep]
        iv[:, 1] = np.minimum(iv[:, 1], end_time)
    return np.column_stack([iv, midi, np.full(len(midi), float(velocity))])


def magnitude(y, *, sr=22050, n_fft=4096, hop_length=512, fmax=5000.0):
    """Magnitude STFT below ``fmax``: the spectrogram that chapter 9 factorises.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Audio.
    sr : int
        Sample rate (Hz).
    n_fft, hop_length : int
        STFT frame and hop (samples) of :func:`mirbook.transforms.stft`.
    fmax : float
        Highest frequency kept (Hz): bins ``0 .. int(fmax * n_fft / sr)``.

    Returns
    -------
    X : np.ndarray, shape (n_bins, n_frames)
        ``n_bins = int(fmax * n_fft / sr) + 1``.

    Examples
    --------
    >>> magnitude(np.zeros(22050), sr=22050).shape
    (929, 44)

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    from mirbook import transforms

    sr = _validate.positive_int(sr, "sr")
    n_fft = _validate.positive_int(n_fft, "n_fft")
    fmax = _validate.finite_real(fmax, "fmax", low=0, low_open=True)
    n_bins = int(fmax * n_fft / sr) + 1
    return np.abs(transforms.stft(y, n_fft=n_fft, hop_length=hop_length))[:n_bins]


def name_components(W, *, templates, pitches):
    """Pitch of each NMF component: the template its spectrum is most similar to (cosine).

    Parameters
    ----------
    W : np.ndarray, shape (n_bins, n_components)
        Learned spectra (columns).
    templates : np.ndarray, shape (n_bins, n_pitches)
        One reference spectrum per pitch, e.g. :func:`mirbook.nmf.harmonic_templates`.
    pitches : array-like, shape (n_pitches,)
        MIDI pitch of each template.

    Returns
    -------
    names : np.ndarray, shape (n_components,)
        MIDI pitch of each column of ``W``.

    Examples
    --------
    >>> combs = np.eye(4)[:, [0, 1, 2]]
    >>> W = np.array([[0.1, 0.0], [0.0, 0.2], [0.9, 0.0], [0.0, 0.0]])
    >>> name_components(W, templates=combs, pitches=[60, 62, 64]).tolist()
    [64, 62]

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    W = _validate.real_array(W, "W", ndim=2)
    templates = _validate.real_array(templates, "templates", ndim=2)
    pitches = np.asarray(pitches)
    if templates.shape[0] != W.shape[0] or pitches.shape != (templates.shape[1],):
        raise ParameterError(f"templates: shape {templates.shape} and pitches: shape "
                             f"{pitches.shape} do not match W: shape {W.shape} (need "
                             "(n_bins, n_pitches) and (n_pitches,))")
    Wn = W / (np.linalg.norm(W, axis=0, keepdims=True) + 1e-12)
    Cn = templates / (np.linalg.norm(templates, axis=0, keepdims=True) + 1e-12)
    return pitches[np.argmax(Cn.T @ Wn, axis=0)]


def merge_components(W, H, *, templates, pitches):
    """One activation row per named pitch from an unsupervised NMF.

    Each component is named (:func:`name_components`), its activation scaled by the sum of its
    spectrum (so that it carries the loudness, as with unit-sum templates), and the rows of
    components with the same name added.

    Parameters
    ----------
    W : np.ndarray, shape (n_bins, n_components)
    H : np.ndarray, shape (n_components, n_frames)
    templates, pitches
        As in :func:`name_components`.

    Returns
    -------
    H_merged : np.ndarray, shape (n_names, n_frames)
    row_pitches : np.ndarray, shape (n_names,)
        MIDI pitch of each row, increasing.

    Examples
    --------
    >>> W = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    >>> H = np.ones((3, 2))
    >>> Hm, p = merge_components(W, H, templates=np.eye(2), pitches=[60, 67])
    >>> Hm.tolist(), p.tolist()
    ([[3.0, 3.0], [1.0, 1.0]], [60, 67])

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    names = name_components(W, templates=templates, pitches=pitches)
    H = _validate.real_array(H, "H", ndim=2)
    if H.shape[0] != W.shape[1]:
        raise ParameterError(f"H: {H.shape[0]} rows for {W.shape[1]} columns of W")
    H = H * np.asarray(W).sum(axis=0)[:, None]
    uniq = np.unique(names)
    return np.stack([H[names == p].sum(axis=0) for p in uniq]), uniq


def score_activations(H, ref_notes, *, pitches, threshold, sr=22050, hop_length=512,
                      min_duration=0.05, duration=None):
    """Read notes off activations and score them: onset F, onset-offset F and frame F.

    Parameters
    ----------
    H : np.ndarray, shape (n_pitches, n_frames)
        Activations (:func:`activations_to_notes`).
    ref_notes : array-like, shape (n, 3 or 4)
        Reference notes.
    pitches : array-like, shape (n_pitches,)
        MIDI pitch of each row of ``H``.
    threshold : float
        Onset threshold of :func:`activations_to_notes` (fraction of ``H.max()``).
    sr, hop_length : int
        Frame grid of ``H``.
    min_duration : float
        Shortest note kept (s).
    duration : float, optional
        End of the frame grid of :func:`evaluate_frames`.

    Returns
    -------
    scores : np.ndarray, shape (3,)
        :data:`SCORE_NAMES`: the onset F-measure and the onset-offset F-measure of
        :func:`evaluate`, and the frame F-measure (harmonic mean of the frame precision and
        recall of :func:`evaluate_frames`).

    Examples
    --------
    >>> H = np.zeros((2, 100))
    >>> H[0, 10:50] = 1.0
    >>> ref = [[10 * 512 / 22050, 50 * 512 / 22050, 60]]
    >>> score_activations(H, ref, pitches=[60, 62], threshold=0.5).round(3).tolist()
    [1.0, 1.0, 1.0]

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    est = activations_to_notes(H, pitches, sr=sr, hop_length=hop_length, threshold=threshold,
                               min_duration=min_duration)
    s = evaluate(ref_notes, est)
    f = evaluate_frames(ref_notes, est, duration=duration)
    frame_f = 2 * f["Precision"] * f["Recall"] / max(f["Precision"] + f["Recall"], 1e-12)
    return np.array([s["F-measure_no_offset"], s["F-measure"], frame_f])


def tune_threshold(H, ref_notes, *, pitches, thresholds, sr=22050, hop_length=512,
                   min_duration=0.05, duration=None, criterion="onset F", return_info=False):
    """The onset threshold with the best mean score over several pieces.

    Parameters
    ----------
    H : list of np.ndarray, shape (n_pitches, n_frames)
        Activations of each piece.
    ref_notes : list of array-like, shape (n, 3 or 4)
        Reference notes of each piece.
    pitches : array-like, shape (n_pitches,), or list of them
        MIDI pitch of each row: one array for every piece, or one per piece.
    thresholds : sequence of float
        Candidates.
    sr, hop_length, min_duration, duration
        As in :func:`score_activations`.
    criterion : str
        The score maximised, one of :data:`SCORE_NAMES`.
    return_info : bool
        Also return ``{"table": {threshold: mean scores}}``.

    Returns
    -------
    threshold : float
        The best candidate (the first of equals).
    scores : np.ndarray, shape (3,)
        Its mean :data:`SCORE_NAMES` over the pieces.
    info : dict
        Only with ``return_info=True``.

    Examples
    --------
    >>> H = np.zeros((1, 100))
    >>> H[0, 10:50] = 1.0
    >>> H[0, 70:72] = 0.3                                # a short spurious burst
    >>> ref = [[10 * 512 / 22050, 50 * 512 / 22050, 60]]
    >>> th, s = tune_threshold([H], [ref], pitches=[60], thresholds=[0.2, 0.5], min_duration=0)
    >>> th, s.round(3).tolist()
    (0.5, [1.0, 1.0, 1.0])

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    H, ref_notes = list(H), list(ref_notes)
    if not H or len(H) != len(ref_notes):
        raise ParameterError(f"H, ref_notes: need one of each per piece, got {len(H)}, "
                             f"{len(ref_notes)}")
    if np.ndim(pitches[0]) == 0:
        pitches = [pitches] * len(H)
    if len(pitches) != len(H):
        raise ParameterError(f"pitches: {len(pitches)} arrays for {len(H)} pieces")
    thresholds = [float(th) for th in thresholds]
    if not thresholds:
        raise ParameterError("thresholds: need at least one candidate")
    if criterion not in SCORE_NAMES:
        raise ParameterError(f"criterion={criterion!r}: must be one of {SCORE_NAMES}")
    col = SCORE_NAMES.index(criterion)
    table = {th: np.mean([score_activations(h, r, pitches=p, threshold=th, sr=sr,
                                            hop_length=hop_length, min_duration=min_duration,
                                            duration=duration)
                          for h, r, p in zip(H, ref_notes, pitches)], axis=0)
             for th in thresholds}
    best = max(table, key=lambda th: table[th][col])
    if return_info:
        return best, table[best], {"table": table}
    return best, table[best]
