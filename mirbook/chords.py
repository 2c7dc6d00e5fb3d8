"""Chord recognition from a chromagram: templates, frame-wise matching, HMM smoothing.

The code behind chapter 8 (``notebooks/08_chords.ipynb``). A chord is a set of pitch classes, so
a 12-bin chroma vector that "looks like" the chord's template is evidence for it (Fujishima 1999).
Matching every frame independently gives a jittery sequence; a hidden Markov model whose states are
the chords, with a strong self-transition, and Viterbi decoding (:mod:`mirbook.sequence`) keep a
chord until the evidence for a change is sustained (Sheh & Ellis 2003; Lee 2006).

Labels use Harte et al.'s (2005) syntax, ``root:quality`` (``"C:maj"``, ``"F#:min7"``) and
``"N"`` for no chord, and are scored by :func:`mir_eval.chord.evaluate`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ROOTS", "QUALITY_INTERVALS", "VOCABULARIES", "vocabulary", "chord_templates", "validate",
    "match_templates", "chord_hmm", "decode", "frames_to_intervals", "evaluate",
]

#: Pitch-class names used for roots, index = pitch class (C = 0).
ROOTS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: Semitones above the root of each chord quality taught in chapter 8.
QUALITY_INTERVALS = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
}

#: Named vocabularies: the qualities they hold (each on all 12 roots), plus ``"N"``.
VOCABULARIES = {
    "majmin": ("maj", "min"),                               # 24 + N = 25
    "triads": ("maj", "min", "dim", "aug"),                 # 48 + N = 49
    "sevenths": ("maj", "min", "7", "maj7", "min7"),        # 60 + N = 61
}


def vocabulary(name="majmin"):
    """The chord labels of a named vocabulary, in Harte syntax, ``"N"`` last.

    Parameters
    ----------
    name : {"majmin", "triads", "sevenths"}

    Returns
    -------
    labels : list of str, length 12 * n_qualities + 1
        Ordered by quality, then root (``C:maj, C#:maj, ..., B:maj, C:min, ...``), then ``"N"``.

    Examples
    --------
    >>> labels = vocabulary("majmin")
    >>> len(labels), labels[0], labels[12], labels[-1]
    (25, 'C:maj', 'C:min', 'N')
    """
    if name not in VOCABULARIES:
        raise ValueError(f"vocabulary {name!r}: expected one of {sorted(VOCABULARIES)}")
    return [f"{root}:{q}" for q in VOCABULARIES[name] for root in ROOTS] + ["N"]


def _labels(vocab):
    if isinstance(vocab, str):
        return vocabulary(vocab)
    labels = list(vocab)
    if not labels:
        raise ValueError("vocabulary: empty list of labels")
    return labels


def parse_label(label):
    """Root pitch class and quality of a vocabulary label: ``"A:min"`` -> ``(9, "min")``.

    ``"N"`` gives ``(None, None)``; a label without a quality is major (``"C"`` -> ``(0, "maj")``).
    Roots may use any spelling mir_eval knows (``"Db"``, ``"A#"``).
    """
    if label == "N":
        return None, None
    root, _, quality = label.partition(":")
    quality = quality or "maj"
    if root not in ROOTS:
        # accept any spelling mir_eval knows (e.g. "Db", "A#")
        import mir_eval

        try:
            pc = mir_eval.chord.pitch_class_to_semitone(root)
        except Exception:
            raise ValueError(f"chord label {label!r}: unknown root {root!r}") from None
    else:
        pc = ROOTS.index(root)
    if quality not in QUALITY_INTERVALS:
        raise ValueError(f"chord label {label!r}: quality {quality!r} is not one of "
                         f"{sorted(QUALITY_INTERVALS)}")
    return pc % 12, quality


def chord_templates(vocabulary="majmin", *, no_chord="flat"):
    """Binary chroma templates of the chords of a vocabulary.

    Template ``i`` has a 1 at each pitch class of chord ``i`` (absolute pitch classes, C = 0), so
    for every chord except ``"N"`` it equals mir_eval's root-relative bitmap
    (:func:`mir_eval.chord.encode`) rotated to the root.

    Parameters
    ----------
    vocabulary : str or list of str
        A name from :data:`VOCABULARIES` or a list of Harte labels (qualities of
        :data:`QUALITY_INTERVALS`, or ``"N"``).
    no_chord : {"flat", "zero"}
        Template of ``"N"``: all ones (silence or noise has a flat chroma) or all zeros.

    Returns
    -------
    templates : np.ndarray, shape (n_chords, 12), float

    Examples
    --------
    >>> chord_templates(["C:maj", "A:min", "N"]).astype(int).tolist()
    [[1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]
    """
    if no_chord not in ("flat", "zero"):
        raise ValueError(f"no_chord={no_chord!r}: expected 'flat' or 'zero'")
    labels = _labels(vocabulary)
    out = np.zeros((len(labels), 12))
    for i, label in enumerate(labels):
        pc, quality = parse_label(label)
        if pc is None:
            out[i] = 1.0 if no_chord == "flat" else 0.0
        else:
            out[i, (pc + np.asarray(QUALITY_INTERVALS[quality])) % 12] = 1.0
    return out


def validate(chroma, templates=None):
    """Check a chromagram (and templates) before any computation (mir_eval style).

    Parameters
    ----------
    chroma : np.ndarray, shape (12, n_frames)
        Non-negative, finite, at least one frame.
    templates : np.ndarray, shape (n_chords, 12), optional
        Non-negative, finite.

    Raises
    ------
    ValueError
        Naming the array and the problem.

    Examples
    --------
    >>> import numpy as np
    >>> validate(np.ones((100, 12)))
    Traceback (most recent call last):
    ...
    ValueError: chroma: shape (100, 12), expected (12, n_frames) (transpose it?)
    """
    chroma = np.asarray(chroma)
    if chroma.ndim != 2 or chroma.shape[0] != 12:
        hint = " (transpose it?)" if chroma.ndim == 2 and chroma.shape[1] == 12 else ""
        raise ValueError(f"chroma: shape {chroma.shape}, expected (12, n_frames){hint}")
    for name, arr in (("chroma", chroma), ("templates", templates)):
        if arr is None:
            continue
        arr = np.asarray(arr)
        if name == "templates" and (arr.ndim != 2 or arr.shape[1] != 12 or arr.shape[0] == 0):
            raise ValueError(f"templates: shape {arr.shape}, expected (n_chords, 12)")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ValueError(f"{name}: expected real numbers, got dtype {arr.dtype}")
        if arr.size == 0:
            raise ValueError(f"{name}: no frames")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: {int((~np.isfinite(arr)).sum())} NaN/Inf value(s)")
        if np.any(arr < 0):
            raise ValueError(f"{name}: {int((arr < 0).sum())} negative value(s)")


def match_templates(chroma, templates, *, metric="cosine"):
    """Frame-wise similarity of a chromagram to each chord template.

    Parameters
    ----------
    chroma : np.ndarray, shape (12, n_frames)
    templates : np.ndarray, shape (n_chords, 12)
    metric : {"cosine", "correlation"}
        Cosine of the angle (in [0, 1] for non-negative inputs), or Pearson correlation (both
        vectors centred first; in [-1, 1]). A silent frame (or flat template, for correlation)
        scores 0.

    Returns
    -------
    scores : np.ndarray, shape (n_chords, n_frames)

    Examples
    --------
    >>> import numpy as np
    >>> T = chord_templates(["C:maj", "C:min"])
    >>> match_templates(T[:1].T, T).round(3).ravel().tolist()   # a pure C major frame
    [1.0, 0.667]
    """
    validate(chroma, templates)
    if metric not in ("cosine", "correlation"):
        raise ValueError(f"metric={metric!r}: expected 'cosine' or 'correlation'")
    C = np.asarray(chroma, dtype=float)
    T = np.asarray(templates, dtype=float)
    if metric == "correlation":
        C = C - C.mean(axis=0, keepdims=True)
        T = T - T.mean(axis=1, keepdims=True)
    nc = np.linalg.norm(C, axis=0, keepdims=True)
    nt = np.linalg.norm(T, axis=1, keepdims=True)
    scores = T @ C
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where((nt > 0) & (nc > 0), scores / (nt * nc), 0.0)
    return scores


def chord_hmm(n_chords, p_self=0.9):
    """Transition matrix of the chord HMM: stay with ``p_self``, else any other chord alike.

    (:func:`librosa.sequence.transition_loop`.)

    Parameters
    ----------
    n_chords : int, >= 2
    p_self : float in [0, 1]

    Returns
    -------
    transition : np.ndarray, shape (n_chords, n_chords)

    Examples
    --------
    >>> A = chord_hmm(25, 0.9)
    >>> A.shape, round(float(A[0, 0]), 3), round(float(A[0, 1]), 5)
    ((25, 25), 0.9, 0.00417)
    """
    from mirbook.sequence import transition_uniform

    return transition_uniform(n_chords, p_self)


def _emission(scores, temperature):
    """Turn similarity scores into per-frame probabilities: softmax(scores / temperature)."""
    z = scores / temperature
    z = z - z.max(axis=0, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=0, keepdims=True)


def decode(chroma, vocabulary="majmin", *, method="hmm", p_self=0.9, metric="cosine",
           temperature=0.1, templates=None):
    """Chord label of every frame of a chromagram.

    ``method="frame"`` takes the best-matching template at each frame. ``method="hmm"`` turns the
    scores into emission probabilities ``softmax(scores / temperature)`` (per frame) and decodes
    the chord HMM (:func:`chord_hmm`) with :func:`mirbook.sequence.viterbi`.

    Parameters
    ----------
    chroma : np.ndarray, shape (12, n_frames)
    vocabulary : str or list of str
        Chord vocabulary (see :func:`chord_templates`).
    method : {"hmm", "frame"}
    p_self : float
        Self-transition probability of the HMM.
    metric : {"cosine", "correlation"}
    temperature : float > 0
        Smaller: emissions more peaked, the HMM trusts each frame more.
    templates : np.ndarray, shape (n_chords, 12), optional
        Overrides the binary templates of ``vocabulary`` (e.g. weighted ones).

    Returns
    -------
    labels : list of str, length n_frames

    Examples
    --------
    >>> import numpy as np
    >>> T = chord_templates("majmin")
    >>> chroma = np.repeat(T[[0, 7]].T, 5, axis=1)      # 5 frames of C:maj, 5 of G:maj
    >>> chroma[:, 2] = T[19]                            # one spurious G:min frame
    >>> decode(chroma, method="frame")[:4]
    ['C:maj', 'C:maj', 'G:min', 'C:maj']
    >>> decode(chroma, method="hmm")[:4]
    ['C:maj', 'C:maj', 'C:maj', 'C:maj']
    """
    from mirbook.sequence import viterbi

    labels = _labels(vocabulary)
    T = chord_templates(labels) if templates is None else np.asarray(templates, dtype=float)
    if T.shape != (len(labels), 12):
        raise ValueError(f"templates: shape {T.shape}, expected ({len(labels)}, 12)")
    if method not in ("hmm", "frame"):
        raise ValueError(f"method={method!r}: expected 'hmm' or 'frame'")
    if not temperature > 0:
        raise ValueError(f"temperature={temperature!r}: must be > 0")
    scores = match_templates(chroma, T, metric=metric)
    if method == "frame":
        idx = scores.argmax(axis=0)
    else:
        idx = viterbi(_emission(scores, temperature), chord_hmm(len(labels), p_self))
    return [labels[i] for i in idx]


def frames_to_intervals(labels, frame_times, *, end_time=None):
    """Merge runs of equal frame labels into labelled intervals (for mir_eval).

    Frame ``i`` covers ``[frame_times[i], frame_times[i + 1])``; the last one ends at
    ``end_time`` (default: one median frame step after it).

    Parameters
    ----------
    labels : list of str, length n_frames
    frame_times : np.ndarray, shape (n_frames,), increasing (seconds)
    end_time : float, optional

    Returns
    -------
    intervals : np.ndarray, shape (n_segments, 2)
        ``[start, end]`` in seconds.
    seg_labels : list of str, length n_segments

    Examples
    --------
    >>> iv, lab = frames_to_intervals(["N", "C:maj", "C:maj", "G:maj"], [0.0, 0.5, 1.0, 1.5])
    >>> iv.tolist(), lab
    ([[0.0, 0.5], [0.5, 1.5], [1.5, 2.0]], ['N', 'C:maj', 'G:maj'])
    """
    labels = list(labels)
    times = np.asarray(frame_times, dtype=float)
    if times.ndim != 1 or len(times) != len(labels) or len(labels) == 0:
        raise ValueError(f"frame_times: shape {times.shape} does not match {len(labels)} labels "
                         "(need one time per frame, at least one frame)")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise ValueError("frame_times: must be finite and strictly increasing")
    if end_time is None:
        step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
        end_time = times[-1] + step
    if end_time <= times[-1]:
        raise ValueError(f"end_time={end_time}: must come after the last frame ({times[-1]})")
    starts = [0] + [i for i in range(1, len(labels)) if labels[i] != labels[i - 1]]
    bounds = np.append(times[starts], end_time)
    intervals = np.stack([bounds[:-1], bounds[1:]], axis=1)
    return intervals, [labels[i] for i in starts]


def evaluate(ref_intervals, ref_labels, est_intervals, est_labels):
    """Duration-weighted chord scores of :func:`mir_eval.chord.evaluate`.

    Parameters
    ----------
    ref_intervals, est_intervals : np.ndarray, shape (n, 2)
    ref_labels, est_labels : list of str (Harte syntax)

    Returns
    -------
    scores : dict
        ``root``, ``majmin``, ``triads``, ``sevenths``, ``mirex`` (each in [0, 1]).

    Examples
    --------
    >>> import numpy as np
    >>> iv = np.array([[0.0, 1.0], [1.0, 2.0]])
    >>> evaluate(iv, ["C:maj", "A:min"], iv, ["C:maj", "C:maj"])["majmin"]
    0.5
    """
    import mir_eval

    ref_intervals = np.asarray(ref_intervals, dtype=float)
    est_intervals = np.asarray(est_intervals, dtype=float)
    for name, iv, lab in (("ref", ref_intervals, ref_labels), ("est", est_intervals, est_labels)):
        if iv.ndim != 2 or iv.shape[1] != 2 or len(iv) != len(lab) or len(iv) == 0:
            raise ValueError(f"{name}_intervals: shape {iv.shape} does not match "
                             f"{len(lab)} labels (need (n, 2), n >= 1)")
        mir_eval.chord.validate(list(lab), list(lab))
    scores = mir_eval.chord.evaluate(ref_intervals, list(ref_labels), est_intervals,
                                     list(est_labels))
    return {k: float(scores[k]) for k in ("root", "majmin", "triads", "sevenths", "mirex")}
