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

from mirbook.errors import ParameterError

__all__ = [
    "ROOTS", "QUALITY_INTERVALS", "VOCABULARIES", "vocabulary", "chord_templates", "validate",
    "match_templates", "chord_hmm", "decode", "frames_to_intervals", "evaluate",
    "parse_label", "CHROMA_FMIN", "cqt_chroma", "frame_times", "evaluate_decoding",
    "reduce_to_majmin", "CONFUSION_FAMILIES", "confusion_family", "sonify",
]

#: Pitch-class names used for roots, index = pitch class (C = 0).
ROOTS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: Semitones above the root of each chord quality (chapter 8's, and the two four-note diminished
#: chords the corpus' beat labels also use: :func:`mirbook.scores.label_from_weights`).
QUALITY_INTERVALS = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "dim7": (0, 3, 6, 9),
    "hdim7": (0, 3, 6, 10),
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
        raise ParameterError(f"vocabulary {name!r}: expected one of {sorted(VOCABULARIES)}")
    return [f"{root}:{q}" for q in VOCABULARIES[name] for root in ROOTS] + ["N"]


def _labels(vocab):
    if isinstance(vocab, str):
        return vocabulary(vocab)
    labels = list(vocab)
    if not labels:
        raise ParameterError("vocabulary: empty list of labels")
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
            raise ParameterError(f"chord label {label!r}: unknown root {root!r}") from None
    else:
        pc = ROOTS.index(root)
    if quality not in QUALITY_INTERVALS:
        raise ParameterError(f"chord label {label!r}: quality {quality!r} is not one of "
                         f"{sorted(QUALITY_INTERVALS)}")
    return pc % 12, quality


def chord_templates(labels="majmin", *, no_chord="flat"):
    """Binary chroma templates of the chords of a vocabulary.

    Template ``i`` has a 1 at each pitch class of chord ``i`` (absolute pitch classes, C = 0), so
    for every chord except ``"N"`` it equals mir_eval's root-relative bitmap
    (:func:`mir_eval.chord.encode`) rotated to the root.

    Parameters
    ----------
    labels : str or list of str
        A vocabulary name from :data:`VOCABULARIES` or a list of Harte labels (qualities of
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
        raise ParameterError(f"no_chord={no_chord!r}: expected 'flat' or 'zero'")
    labels = _labels(labels)
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
    mirbook.errors.ParameterError: chroma: shape (100, 12), expected (12, n_frames) (transpose it?)
    """
    chroma = np.asarray(chroma)
    if chroma.ndim != 2 or chroma.shape[0] != 12:
        hint = " (transpose it?)" if chroma.ndim == 2 and chroma.shape[1] == 12 else ""
        raise ParameterError(f"chroma: shape {chroma.shape}, expected (12, n_frames){hint}")
    for name, arr in (("chroma", chroma), ("templates", templates)):
        if arr is None:
            continue
        arr = np.asarray(arr)
        if name == "templates" and (arr.ndim != 2 or arr.shape[1] != 12 or arr.shape[0] == 0):
            raise ParameterError(f"templates: shape {arr.shape}, expected (n_chords, 12)")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ParameterError(f"{name}: expected real numbers, got dtype {arr.dtype}")
        if arr.size == 0:
            raise ParameterError(f"{name}: no frames")
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{name}: {int((~np.isfinite(arr)).sum())} NaN/Inf value(s)")
        if np.any(arr < 0):
            raise ParameterError(f"{name}: {int((arr < 0).sum())} negative value(s)")


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
        raise ParameterError(f"metric={metric!r}: expected 'cosine' or 'correlation'")
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


def chord_hmm(n, *, p_self=0.9):
    """Transition matrix of the chord HMM: stay with ``p_self``, else any other chord alike.

    (:func:`librosa.sequence.transition_loop`.)

    Parameters
    ----------
    n : int, >= 2
        Number of chords (states).
    p_self : float in [0, 1]

    Returns
    -------
    transition : np.ndarray, shape (n, n)

    Examples
    --------
    >>> A = chord_hmm(25, p_self=0.9)
    >>> A.shape, round(float(A[0, 0]), 3), round(float(A[0, 1]), 5)
    ((25, 25), 0.9, 0.00417)
    """
    from mirbook.sequence import transition_uniform

    return transition_uniform(n, p_stay=p_self)


def _emission(scores, temperature):
    """Turn similarity scores into per-frame probabilities: softmax(scores / temperature)."""
    z = scores / temperature
    z = z - z.max(axis=0, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=0, keepdims=True)


def decode(chroma, *, vocabulary="majmin", method="hmm", p_self=0.9, metric="cosine",
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
        raise ParameterError(f"templates: shape {T.shape}, expected ({len(labels)}, 12)")
    if method not in ("hmm", "frame"):
        raise ParameterError(f"method={method!r}: expected 'hmm' or 'frame'")
    if not temperature > 0:
        raise ParameterError(f"temperature={temperature!r}: must be > 0")
    scores = match_templates(chroma, T, metric=metric)
    if method == "frame":
        idx = scores.argmax(axis=0)
    else:
        idx = viterbi(_emission(scores, temperature), chord_hmm(len(labels), p_self=p_self))
    return [labels[i] for i in idx]


def frames_to_intervals(labels, times, *, end_time=None):
    """Merge runs of equal frame labels into labelled intervals (for mir_eval).

    Frame ``i`` covers ``[times[i], times[i + 1])``; the last one ends at
    ``end_time`` (default: one median frame step after it).

    Parameters
    ----------
    labels : list of str, length n_frames
    times : np.ndarray, shape (n_frames,), increasing (seconds)
        Frame start times.
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
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or len(times) != len(labels) or len(labels) == 0:
        raise ParameterError(f"times: shape {times.shape} does not match {len(labels)} labels "
                         "(need one time per frame, at least one frame)")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise ParameterError("times: must be finite and strictly increasing")
    if end_time is None:
        step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
        end_time = times[-1] + step
    if end_time <= times[-1]:
        raise ParameterError(f"end_time={end_time}: must come after the last frame ({times[-1]})")
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
            raise ParameterError(f"{name}_intervals: shape {iv.shape} does not match "
                             f"{len(lab)} labels (need (n, 2), n >= 1)")
        mir_eval.chord.validate(list(lab), list(lab))
    scores = mir_eval.chord.evaluate(ref_intervals, list(ref_labels), est_intervals,
                                     list(est_labels))
    return {k: float(scores[k]) for k in ("root", "majmin", "triads", "sevenths", "mirex")}


# --- chapter 8's chroma, scoring over clips and listening aids --------------------------------

#: Lowest CQT frequency of chapter 8's chroma: C2 (Hz).
CHROMA_FMIN = 65.41


def cqt_chroma(y, *, sr=22050, hop_length=2048, fmin=CHROMA_FMIN, n_bins=72, power=1.0,
               norm=np.inf):
    """Pitch-class profile of audio from :func:`mirbook.transforms.cqt` (chapter 8's chroma).

    The magnitudes of a 12-bin-per-octave CQT (``n_bins`` bins from ``fmin``), raised to
    ``power``, are summed over octaves (:func:`mirbook.transforms.chroma_from_cqt`).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Audio (cast to float32).
    sr : int
        Sample rate (Hz).
    hop_length : int
        Hop between frames (samples); 2048 at 22 050 Hz is 93 ms.
    fmin : float
        Frequency of the first CQT bin (Hz); its pitch class is row ``round(midi(fmin)) % 12``.
    n_bins : int
        Number of CQT bins (72: 6 octaves).
    power : float
        1 for magnitudes, 2 for energies.
    norm : float or None
        Per-frame normalisation of :func:`~mirbook.transforms.chroma_from_cqt` (``np.inf``:
        each frame scaled to a maximum of 1; None: none).

    Returns
    -------
    chroma : np.ndarray, shape (12, n_frames)
        Row ``q`` is pitch class ``q`` (C = 0).

    Examples
    --------
    >>> sr = 22050
    >>> t = np.arange(sr) / sr
    >>> y = sum(np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0))   # C E G
    >>> X = cqt_chroma(y, sr=sr)
    >>> X.shape, sorted(np.argsort(X.mean(axis=1))[-3:].tolist())
    ((12, 11), [0, 4, 7])

    Used in the chapter notebook ``notebooks/08_chords.ipynb``.
    """
    from mirbook import transforms

    power = _validate_positive(power, "power")
    C = np.abs(transforms.cqt(np.asarray(y, dtype=np.float32), sr=sr, hop_length=hop_length,
                              fmin=fmin, n_bins=n_bins))
    if power != 1:
        C = C**power
    return transforms.chroma_from_cqt(C, fmin=fmin, norm=norm)


def _validate_positive(value, name):
    from mirbook import _validate

    return _validate.finite_real(value, name, low=0, low_open=True)


def frame_times(*, n_frames, sr=22050, hop_length=2048):
    """Start times of centred frames, the first from 0 (for :func:`frames_to_intervals`).

    Frame ``p`` of a centred transform covers ``[(p - 1/2) hop, (p + 1/2) hop)``; the first
    one starts at 0.

    Parameters
    ----------
    n_frames : int
    sr : int
        Sample rate (Hz).
    hop_length : int
        Hop between frames (samples).

    Returns
    -------
    times : np.ndarray, shape (n_frames,)
        Start times (s).

    Examples
    --------
    >>> frame_times(n_frames=4, sr=10, hop_length=5).tolist()
    [0.0, 0.25, 0.75, 1.25]

    Used in the chapter notebook ``notebooks/08_chords.ipynb``.
    """
    from mirbook import _validate

    n_frames = _validate.positive_int(n_frames, "n_frames")
    sr = _validate.positive_int(sr, "sr")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    return np.maximum(0, np.arange(n_frames) - 0.5) * hop_length / sr


def evaluate_decoding(chroma, ref_intervals, ref_labels, *, end_times=None, sr=22050,
                      hop_length=2048, vocabulary="majmin", method="hmm", p_self=0.9,
                      metric="cosine", temperature=0.1):
    """Decode several clips with :func:`decode` and average their :func:`evaluate` scores.

    Each clip's scores are weighted by the span of its reference (first start to last end), as
    MIREX weights by duration.

    Parameters
    ----------
    chroma : list of np.ndarray, shape (12, n_frames)
        One chroma per clip, frames centred every ``hop_length`` samples.
    ref_intervals : list of np.ndarray, shape (n, 2)
        Reference chord intervals of each clip (s).
    ref_labels : list of list of str
        Reference chord labels of each clip (Harte syntax).
    end_times : list of float, optional
        End of each clip (s), the end of its last estimated segment; default one frame after
        the last frame.
    sr, hop_length : int
        Frame grid of the chroma (:func:`frame_times`).
    vocabulary, method, p_self, metric, temperature
        Passed to :func:`decode`.

    Returns
    -------
    scores : dict
        ``root``, ``majmin``, ``triads``, ``sevenths``, ``mirex``, duration-weighted means.

    Examples
    --------
    >>> X = np.zeros((12, 20))
    >>> X[[0, 4, 7], :10] = 1                            # C major, then A minor
    >>> X[[9, 0, 4], 10:] = 1
    >>> iv = np.array([[0.0, 10.0], [10.0, 20.0]])
    >>> s = evaluate_decoding([X], [iv], [["C:maj", "A:min"]], sr=1, hop_length=1,
    ...                       metric="correlation")
    >>> round(s["majmin"], 3)                        # centred frames: change at 9.5 s
    0.975

    Used in the chapter notebook ``notebooks/08_chords.ipynb``.
    """
    chroma, ref_intervals, ref_labels = list(chroma), list(ref_intervals), list(ref_labels)
    if not chroma or not len(chroma) == len(ref_intervals) == len(ref_labels):
        raise ParameterError(f"chroma, ref_intervals, ref_labels: need one of each per clip, got "
                             f"{len(chroma)}, {len(ref_intervals)}, {len(ref_labels)}")
    if end_times is None:
        end_times = [None] * len(chroma)
    end_times = list(end_times)
    if len(end_times) != len(chroma):
        raise ParameterError(f"end_times: {len(end_times)} values for {len(chroma)} clips")
    total, weight = {}, 0.0
    for X, iv, labs, end in zip(chroma, ref_intervals, ref_labels, end_times):
        est = decode(X, vocabulary=vocabulary, method=method, p_self=p_self, metric=metric,
                     temperature=temperature)
        times = frame_times(n_frames=np.shape(X)[1], sr=sr, hop_length=hop_length)
        if end is None:
            end = float(np.shape(X)[1] * hop_length / sr)
        est_iv, est_lab = frames_to_intervals(est, times, end_time=end)
        iv = np.asarray(iv, dtype=float)
        d = float(iv[-1, 1] - iv[0, 0])
        for k, v in evaluate(iv, labs, est_iv, est_lab).items():
            total[k] = total.get(k, 0.0) + v * d
        weight += d
    return {k: v / weight for k, v in total.items()}


def reduce_to_majmin(label):
    """The ``majmin`` label nearest to a chord label: its root, minor if the third is minor.

    Minor, diminished and their sevenths become ``min``; every other chord ``maj``; ``"N"``
    stays.

    Parameters
    ----------
    label : str
        Harte label (``"A:min7"``, ``"B:dim"``, ``"G:7"``, ``"N"``...).

    Returns
    -------
    label : str

    Examples
    --------
    >>> [reduce_to_majmin(x) for x in ["A:min7", "B:dim", "G:7", "N"]]
    ['A:min', 'B:min', 'G:maj', 'N']

    Used in the chapter notebook ``notebooks/08_chords.ipynb``.
    """
    if not isinstance(label, str) or not label:
        raise ParameterError(f"label must be a chord label (str), got {label!r}")
    if label == "N":
        return label
    root, _, quality = label.partition(":")
    return f"{root}:{'min' if 'min' in quality or 'dim' in quality else 'maj'}"


#: The families of :func:`confusion_family`, from the closest chords to the farthest.
CONFUSION_FAMILIES = ("parallel (same root)", "relative maj/min", "mediant (2 notes shared)",
                      "root a fifth away", "other", "with N")


def confusion_family(reference, estimate):
    """Which kind of mistake it is to decode chord ``reference`` as ``estimate``.

    Parameters
    ----------
    reference, estimate : str
        Vocabulary labels (:func:`parse_label`), usually ``majmin`` ones.

    Returns
    -------
    family : str
        One of :data:`CONFUSION_FAMILIES`: same root with the other quality (parallel),
        relative major/minor (C:maj and A:min), another pair with two notes in common
        (mediant: C:maj and E:min), roots a fifth apart, other, or a pair with ``"N"``.

    Examples
    --------
    >>> [confusion_family("C:maj", e) for e in ["C:min", "A:min", "E:min", "G:maj", "D:maj"]]
    ['parallel (same root)', 'relative maj/min', 'mediant (2 notes shared)', \
'root a fifth away', 'other']

    Used in the chapter notebook ``notebooks/08_chords.ipynb``.
    """
    (pr, qr), (pe, qe) = parse_label(reference), parse_label(estimate)
    if pr is None or pe is None:
        return "with N"
    step = (pe - pr) % 12
    if step == 0:
        return "parallel (same root)"
    if {qr, qe} == {"maj", "min"} and step == (9 if qr == "maj" else 3):
        return "relative maj/min"
    if (chord_templates([reference])[0] * chord_templates([estimate])[0]).sum() == 2:
        return "mediant (2 notes shared)"
    if step in (5, 7):
        return "root a fifth away"
    return "other"


def sonify(intervals, labels, *, sr=22050, length, octave=4, fade=400):
    """Play chord labels as sine tones: each chord's pitch classes in one octave.

    Parameters
    ----------
    intervals : np.ndarray, shape (n, 2)
        Chord intervals (s).
    labels : list of str
        Chord labels (``"N"`` is silence).
    sr : int
        Sample rate (Hz).
    length : int
        Number of samples of the output.
    octave : int
        Octave of the tones (4: C4 = MIDI 60 up to B4).
    fade : int
        Linear fade in and out of each chord (samples), against clicks.

    Returns
    -------
    y : np.ndarray, shape (length,)
        Sum of unit sines (peak up to the number of notes of a chord).

    Examples
    --------
    >>> y = sonify(np.array([[0.0, 0.5], [0.5, 1.0]]), ["C:maj", "N"], sr=8000, length=8000)
    >>> y.shape, bool(np.abs(y[:4000]).max() > 1), float(np.abs(y[4000:]).max())
    ((8000,), True, 0.0)

    Used in the chapter notebook ``notebooks/08_chords.ipynb``.
    """
    from mirbook import _validate

    sr = _validate.positive_int(sr, "sr")
    length = _validate.positive_int(length, "length")
    fade = _validate.positive_int(fade, "fade")
    intervals = np.asarray(intervals, dtype=float)
    labels = list(labels)
    if intervals.ndim != 2 or intervals.shape[1] != 2 or len(intervals) != len(labels):
        raise ParameterError(f"intervals: shape {intervals.shape} does not match "
                             f"{len(labels)} labels (need (n, 2))")
    out, t = np.zeros(length), np.arange(length) / sr
    base = 12 * (int(octave) + 1)
    for (a, b), label in zip(intervals, labels):
        i0, i1 = int(a * sr), min(length, int(b * sr))
        if label == "N" or i1 <= i0:
            continue
        ramp = np.arange(i1 - i0)
        env = np.minimum(1, np.minimum(ramp, ramp[::-1]) / fade)
        for pc in np.flatnonzero(chord_templates([label])[0]):
            f = 440.0 * 2.0 ** ((base + pc - 69) / 12)
            out[i0:i1] += env * np.sin(2 * np.pi * f * t[i0:i1])
    return out
