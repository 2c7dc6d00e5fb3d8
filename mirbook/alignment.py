"""Score-to-audio alignment: where each score event happens in a recording (DTW on chroma).

The task module of alignment, in mir_eval's style: :func:`align` estimates, :func:`validate` checks
and :func:`evaluate` scores (absolute onset errors and the share within tolerances). The code
behind chapter 4 (``notebooks/04_symbolic_midi.ipynb``): the score is rendered
(:func:`mirbook.symbolic.render`) or turned into symbolic chroma, both sides become chroma
(:func:`chroma`), and :func:`mirbook.sequence.dtw` finds the cheapest monotone path through
their cosine cost matrix (:func:`mirbook.sequence.cost_matrix`). The result is a
:class:`~mirbook.scores.TimeMap` from score time to audio time.
"""

from __future__ import annotations

import numpy as np

from mirbook.config import SR
from mirbook.errors import ParameterError
from mirbook.scores import TimeMap
from mirbook.sequence import cost_matrix, dtw

__all__ = ["chroma", "Alignment", "align", "validate", "evaluate"]


def chroma(y, *, sr=SR, hop_length=512, compression=100.0, n_bins=84, fmin=None):
    """Chroma of a signal through our CQT: ``chroma_from_cqt(log(1 + compression * |CQT|))``.

    The logarithmic compression evens out loud and soft notes (and timbres), which makes
    chroma of two different renderings of one score more alike; ``compression=None`` skips it.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr, hop_length, n_bins : int
    compression : float, optional
    fmin : float, optional
        Lowest CQT bin (default C1).

    Returns
    -------
    chroma : np.ndarray, shape (12, 1 + n // hop_length)
        Frame ``p`` is centred on sample ``p * hop_length``.

    See Also
    --------
    mirbook.transforms.cqt, mirbook.transforms.chroma_from_cqt
    notebooks/04_symbolic_midi.ipynb : the chapter.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> ch = chroma(y, sr=22050)
    >>> ch.shape, int(ch[:, 20].argmax())
    ((12, 44), 9)
    """
    from mirbook.io import validate_audio
    from mirbook.transforms import chroma_from_cqt, cqt

    validate_audio(y, sr=sr, name="y")
    C = np.abs(cqt(np.asarray(y, dtype=np.float32), sr=sr, hop_length=hop_length,
                   n_bins=n_bins, fmin=fmin))
    if compression is not None:
        C = np.log1p(compression * C)
    return chroma_from_cqt(C, fmin=fmin).astype(np.float64)



class Alignment(TimeMap):
    """A score-to-audio alignment: a :class:`~mirbook.scores.TimeMap` (score time -> audio time) and its DTW.

    Attributes
    ----------
    path : np.ndarray, shape (L, 2)
        DTW path in frames ``(score frame, audio frame)``.
    C, D : np.ndarray, shape (N, M)
        Cost matrix and accumulated cost.
    X, Y : np.ndarray, shape (12, N) and (12, M)
        The score's and the audio's chroma.
    frame_period : float
        ``hop_length / sr`` (s).
    src, dst : np.ndarray
        Anchors: each score frame time, and the mean time of the audio frames the path pairs it
        with.
    """

    def __init__(self, path, C, D, X, Y, frame_period):
        self.path, self.C, self.D, self.X, self.Y = path, C, D, X, Y
        self.frame_period = float(frame_period)
        i, j = path[:, 0], path[:, 1]
        counts = np.bincount(i, minlength=C.shape[0])
        mean_j = np.bincount(i, weights=j, minlength=C.shape[0]) / np.maximum(counts, 1)
        frames = np.flatnonzero(counts)
        super().__init__(frames * self.frame_period, mean_j[frames] * self.frame_period)

    @property
    def cost(self):
        """Accumulated cost of the path divided by its length."""
        return float(self.D[-1, -1] / len(self.path))


def align(notes, y, *, sr=SR, hop_length=512, feature="chroma", program=0,
          step_sizes=None, weights=None, compression=100.0):
    """Align a score (a note list on a nominal clock) to a recording of it, with DTW on chroma.

    1. The score's chroma: ``feature="chroma"`` renders the notes with :func:`render`
       (:func:`mirbook.symbolic.render`, ``program``) and computes :func:`chroma` of the rendering, like the audio's;
       ``feature="symbolic"`` uses :func:`mirbook.symbolic.notes_to_chroma` on the audio's frame grid.
    2. The audio's :func:`chroma` (our CQT, log-compressed, folded to 12 pitch classes).
    3. Cosine :func:`mirbook.sequence.cost_matrix`, :func:`mirbook.sequence.dtw`, and a time map through the path: each score frame
       goes to the mean time of the audio frames it is paired with, linear in between.

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4), or pretty_midi.PrettyMIDI
        The score in seconds at any nominal tempo.
    y : np.ndarray, shape (n,)
        The performance.
    sr, hop_length : int
        Frames are ``hop_length / sr`` seconds apart (23 ms by default at 22050 Hz).
    feature : {"chroma", "symbolic"}
    program : int
        General MIDI program of the score's rendering.
    step_sizes, weights
        Passed to :func:`mirbook.sequence.dtw`.
    compression : float, optional
        Passed to :func:`chroma`.

    Returns
    -------
    alignment : Alignment
        Callable: ``alignment(score_times)`` gives audio times.

    Examples
    --------
    >>> al = align(notes, y, sr=22050)                                  # doctest: +SKIP
    >>> est_onsets = al(notes[:, 0])                                 # doctest: +SKIP

    See Also
    --------
    mirbook.sequence.dtw, evaluate, mirbook.symbolic.tempo_warp
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    from mirbook.io import check_sr, validate_audio
    from mirbook.symbolic import midi_to_notes, notes_to_chroma, render, validate_notes

    sr = check_sr(sr)
    validate_audio(y, sr=sr, name="y")
    if np.asarray(y).ndim != 1:
        raise ParameterError(f"y: shape {np.shape(y)}, expected a mono signal (n,)")
    if feature not in ("chroma", "symbolic"):
        raise ParameterError(f"feature={feature!r}: expected 'chroma' or 'symbolic'")
    notes = midi_to_notes(notes) if hasattr(notes, "instruments") else \
        validate_notes(notes, name="notes")
    if len(notes) == 0:
        raise ParameterError("notes: no notes to align")
    Y = chroma(y, sr=sr, hop_length=hop_length, compression=compression)
    if feature == "chroma":
        X = chroma(render(notes, sr=sr, program=program), sr=sr, hop_length=hop_length,
                   compression=compression)
    else:
        n_frames = int(np.ceil(notes[:, 1].max() * sr / hop_length)) + 1
        X = notes_to_chroma(notes, np.arange(n_frames) * hop_length / sr)
    C = cost_matrix(X, Y)
    D, path = dtw(C, step_sizes=step_sizes, weights=weights)
    return Alignment(path, C, D, X, Y, hop_length / sr)


def validate(reference, estimate):
    """Check two arrays of event times (the same events, in seconds) before scoring them.

    Parameters
    ----------
    reference, estimate : array-like, shape (n,)
        True and estimated times of the same ``n > 0`` events; finite.

    Returns
    -------
    reference, estimate : np.ndarray, float64

    Raises
    ------
    mirbook.errors.ParameterError
        Different shapes, not 1-D, empty, or NaN/Inf times.

    Examples
    --------
    >>> validate([0, 1], [0])
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: reference (2,) and estimate (1,): expected two 1-D arrays of the same non-zero length
    """
    t = np.asarray(reference, dtype=float)
    e = np.asarray(estimate, dtype=float)
    if t.shape != e.shape or t.ndim != 1 or t.size == 0:
        raise ParameterError(f"reference {t.shape} and estimate {e.shape}: expected two 1-D "
                             "arrays of the same non-zero length")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(e))):
        raise ParameterError("reference, estimate: NaN/Inf times")
    return t, e


def evaluate(reference, estimate, *, tolerances=(0.05, 0.1)):
    """How far estimated event times are from the true ones.

    Parameters
    ----------
    reference, estimate : array-like, shape (n,)
        Times (s) of the same events (checked by :func:`validate`).
    tolerances : tuple of float
        Report the fraction of events within each (s).

    Returns
    -------
    dict
        ``mean``, ``median``, ``max`` absolute error (s), ``n``, and ``within_50ms``,
        ``within_100ms``... (fractions in [0, 1]).

    Examples
    --------
    >>> evaluate([0.0, 1.0, 2.0], [0.01, 1.08, 2.0])["within_50ms"]
    0.6666666666666666
    """
    t, e = validate(reference, estimate)
    err = np.abs(e - t)
    out = {"mean": float(err.mean()), "median": float(np.median(err)), "max": float(err.max()),
           "n": int(err.size)}
    for tol in tolerances:
        out[f"within_{round(tol * 1000)}ms"] = float(np.mean(err <= tol + 1e-12))
    return out
