"""Symbolic music: scores, MIDI, piano rolls, synthesis, and score-to-audio alignment by DTW.

The code behind chapter 4 (``notebooks/04_symbolic_midi.ipynb``). A score is symbolic: notes with
pitches and durations in beats. MIDI turns it into *events in time* (note on/off, in seconds once
a tempo is fixed) with synthesis parameters (program, velocity), on the finite set of 128
equal-tempered pitches. A synthesizer renders those events to a signal (score to signal); the
inverse problems are transcription (signal to score) and, when the score is known, alignment:
finding *when* each score event happens in a recording.

Everything is built on the note lists of the book's corpora (:mod:`mirbook.datasets.scores` turns
music21 scores into notes in seconds; :mod:`mirbook.datasets.synth` renders them with FluidSynth),
so a MIDI file made here and the corpus audio share one clock.

A **note list** is a float array of shape ``(n_notes, 4)``: ``onset (s), offset (s), MIDI pitch,
velocity (1..127)``, sorted by onset then pitch, as in :mod:`mirbook.transcription`.

Dynamic time warping (:func:`dtw`) is ours (the chapter teaches it) and is tested against
:func:`librosa.sequence.dtw`; the piano roll is tested against
:meth:`pretty_midi.PrettyMIDI.get_piano_roll` (``tests/test_symbolic.py``).
"""

from __future__ import annotations


import numpy as np
from numpy.lib.stride_tricks import as_strided

from mirbook.datasets.core import SR
from mirbook.transcription import validate as validate_notes

__all__ = [
    "validate_notes", "score_to_midi", "notes_to_midi", "midi_to_notes", "piano_roll",
    "notes_to_chroma", "render", "TimeWarp", "tempo_warp", "warp_notes", "chroma",
    "cost_matrix", "dtw", "Alignment", "align", "alignment_error",
]

#: The standard DTW steps ``(score, audio)``: diagonal, horizontal, vertical (librosa's default).
STEP_SIZES = np.array([[1, 1], [0, 1], [1, 0]])


# --------------------------------------------------------------------------------------------
# scores and MIDI
# --------------------------------------------------------------------------------------------


def _pm():
    import pretty_midi

    return pretty_midi


def _programs(programs, n):
    if np.isscalar(programs):
        programs = [int(programs)] * n
    programs = [int(p) for p in programs]
    if not programs:
        raise ValueError("programs: empty list")
    programs = programs + [programs[-1]] * (n - len(programs))
    bad = [p for p in programs if not 0 <= p <= 127]
    if bad:
        raise ValueError(f"programs: {bad} outside the General MIDI range 0..127")
    return programs[:n]


def notes_to_midi(notes, *, program=0, bpm=120.0, resolution=960, name=""):
    """A one-instrument :class:`pretty_midi.PrettyMIDI` from a note list.

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3) or (n_notes, 4)
        ``onset, offset, pitch[, velocity]`` in seconds (see :func:`validate_notes`).
    program : int
        General MIDI program (0 = acoustic grand piano).
    bpm : float
        Tempo written in the file; it only sets how seconds become ticks.
    resolution : int
        Ticks per quarter note: a time is stored to ``60 / (bpm * resolution)`` s.
    name : str
        Instrument (track) name.

    Returns
    -------
    pm : pretty_midi.PrettyMIDI

    Examples
    --------
    >>> pm = notes_to_midi([[0.0, 0.5, 60, 90], [0.5, 1.0, 64, 90]])
    >>> [(n.pitch, n.start, n.end) for n in pm.instruments[0].notes]
    [(60, 0.0, 0.5), (64, 0.5, 1.0)]

    See Also
    --------
    midi_to_notes, score_to_midi
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    pretty_midi = _pm()
    arr = validate_notes(notes)
    pm = pretty_midi.PrettyMIDI(resolution=int(resolution), initial_tempo=float(bpm))
    inst = pretty_midi.Instrument(program=_programs(program, 1)[0], name=name)
    for on, off, pitch, vel in arr:
        inst.notes.append(pretty_midi.Note(velocity=int(np.clip(round(vel), 1, 127)),
                                           pitch=int(pitch), start=float(on), end=float(off)))
    pm.instruments.append(inst)
    return pm


def score_to_midi(score, bpm=100.0, *, programs=0, velocity=80, fermata_factor=1.0,
                  max_duration=None, resolution=960):
    """A music21 score as MIDI: one instrument per part, on the clock of the book's corpora.

    The notes, their times in seconds and the cut come from
    :func:`mirbook.datasets.scores.score_events` (repeats expanded, ties merged, grace notes
    dropped, fermatas optionally held), exactly as the ``chorales`` corpus computes them, so a
    chorale exported here at the corpus tempo and fermata factor has the notes of the corpus'
    ``notes.txt``. The tempo, the first time signature and the key
    (:func:`mirbook.datasets.scores.key_label`) are written as MIDI meta events.

    Parameters
    ----------
    score : music21.stream.Score or str
        A score, or a path of music21's corpus (``"bach/bwv269"``).
    bpm : float
        Quarter notes per minute.
    programs : int or list of int
        General MIDI program of each part (the last one is reused for extra parts).
    velocity : int
        MIDI velocity of every note (a score has dynamics, a chorale rarely).
    fermata_factor : float
        Fermata notes last this many times longer (1: not held).
    max_duration : float, optional
        Cut at a phrase end or bar line before this many seconds (as the corpus does).
    resolution : int
        Ticks per quarter note.

    Returns
    -------
    pm : pretty_midi.PrettyMIDI
        ``len(pm.instruments) == number of parts``; instrument names are the part names.

    Raises
    ------
    mirbook.datasets.core.SkipItem
        A score the corpus would refuse (unequal parts, no measures, repeats that cannot be
        expanded...), with the reason.

    Examples
    --------
    >>> pm = score_to_midi("bach/bwv269", bpm=90)                     # doctest: +SKIP
    >>> [i.name for i in pm.instruments]                              # doctest: +SKIP
    ['Soprano', 'Alto', 'Tenor', 'Bass']

    See Also
    --------
    mirbook.datasets.scores.score_events, midi_to_notes
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    pretty_midi = _pm()
    from mirbook.datasets import scores

    if isinstance(score, str):
        from music21 import corpus

        score = corpus.parse(score)
    score = scores.expand(score)
    min_cut = 12.0 if max_duration is None else min(12.0, max_duration / 2)
    ev = scores.score_events(score, bpm=bpm, fermata_factor=fermata_factor,
                             max_duration=max_duration, min_cut=min_cut)
    parts = list(score.parts)
    progs = _programs(programs, ev["n_parts"])
    pm = pretty_midi.PrettyMIDI(resolution=int(resolution), initial_tempo=float(bpm))
    for i in range(ev["n_parts"]):
        name = parts[i].partName or f"Part {i + 1}"
        inst = pretty_midi.Instrument(program=progs[i], name=str(name))
        for on, off, pitch, part in ev["notes"]:
            if part == i:
                inst.notes.append(pretty_midi.Note(velocity=int(velocity), pitch=int(pitch),
                                                   start=float(on), end=float(off)))
        pm.instruments.append(inst)
    ts = scores.time_signature(score)
    if ts != "?":
        num, den = (int(x) for x in ts.split("/"))
        pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
    key, _ = scores.key_label(score)
    pm.key_signature_changes.append(
        pretty_midi.KeySignature(pretty_midi.key_name_to_key_number(key), 0.0))
    return pm


def midi_to_notes(pm, *, drums=False):
    """The notes of all instruments of a MIDI object as one note list.

    Parameters
    ----------
    pm : pretty_midi.PrettyMIDI
        E.g. ``pretty_midi.PrettyMIDI("file.mid")``.
    drums : bool
        Keep the drum instruments (their "pitches" are drum sounds, not notes).

    Returns
    -------
    notes : np.ndarray, shape (n_notes, 4)
        ``onset, offset, pitch, velocity``, sorted by onset, then pitch, then offset.

    Examples
    --------
    >>> midi_to_notes(notes_to_midi([[0.5, 1.0, 64, 90], [0.0, 0.5, 60, 80]])).tolist()
    [[0.0, 0.5, 60.0, 80.0], [0.5, 1.0, 64.0, 90.0]]

    See Also
    --------
    notes_to_midi, score_to_midi
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    rows = [(n.start, n.end, n.pitch, n.velocity)
            for inst in pm.instruments if drums or not inst.is_drum for n in inst.notes]
    if not rows:
        return np.zeros((0, 4))
    arr = np.asarray(rows, dtype=float)
    return arr[np.lexsort((arr[:, 1], arr[:, 2], arr[:, 0]))]


def _as_notes(notes_or_pm, name="notes"):
    if hasattr(notes_or_pm, "instruments"):
        return midi_to_notes(notes_or_pm)
    return validate_notes(notes_or_pm, name=name)


def piano_roll(notes, fs=100, pitch_range=(21, 109), *, n_frames=None):
    """Piano roll: velocity of each pitch in each frame.

    Column ``t`` covers ``[t / fs, (t + 1) / fs)``; a note fills columns
    ``int(onset * fs)`` to ``int(offset * fs) - 1``, and the velocities of overlapping notes of
    the same pitch add up, exactly as :meth:`pretty_midi.PrettyMIDI.get_piano_roll` (without
    sustain pedal and pitch bends).

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4), or pretty_midi.PrettyMIDI
    fs : float
        Columns per second.
    pitch_range : (int, int)
        MIDI pitches ``lo`` (included) to ``hi`` (excluded); the default is the 88 piano keys
        A0 (21) to C8 (108). Notes outside are dropped.
    n_frames : int, optional
        Number of columns; default ``int(fs * last offset)`` (pretty_midi's).

    Returns
    -------
    roll : np.ndarray, shape (hi - lo, n_frames), float64
        Row ``k`` is MIDI pitch ``lo + k``.

    Examples
    --------
    >>> roll = piano_roll([[0.0, 0.03, 60, 100]], fs=100, pitch_range=(60, 62))
    >>> roll.tolist()
    [[100.0, 100.0, 100.0], [0.0, 0.0, 0.0]]

    See Also
    --------
    pretty_midi.PrettyMIDI.get_piano_roll, notes_to_chroma
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    arr = _as_notes(notes)
    lo, hi = (int(p) for p in pitch_range)
    if not 0 <= lo < hi <= 128:
        raise ValueError(f"pitch_range={pitch_range!r}: expected 0 <= lo < hi <= 128")
    if not fs > 0:
        raise ValueError(f"fs={fs!r}: must be positive")
    if n_frames is None:
        n_frames = int(fs * arr[:, 1].max()) if len(arr) else 0
    n_frames = int(n_frames)
    diff = np.zeros((hi - lo, n_frames + 1))
    keep = (arr[:, 2] >= lo) & (arr[:, 2] < hi)
    a = arr[keep]
    start = np.minimum((a[:, 0] * fs).astype(int), n_frames)
    end = np.minimum((a[:, 1] * fs).astype(int), n_frames)
    ok = end > start
    rows = a[ok, 2].astype(int) - lo
    np.add.at(diff, (rows, start[ok]), a[ok, 3])
    np.add.at(diff, (rows, end[ok]), -a[ok, 3])
    return np.cumsum(diff, axis=1)[:, :n_frames]


def notes_to_chroma(notes, frame_times, *, weight="velocity", norm=np.inf):
    """Symbolic chroma: the pitch classes sounding at each frame time.

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4), or pretty_midi.PrettyMIDI
    frame_times : np.ndarray, shape (n_frames,)
        Increasing times (s); a note sounds at ``t`` if ``onset <= t < offset``.
    weight : {"velocity", "binary"}
        Each sounding note adds its velocity, or 1.
    norm : {np.inf, 1, 2, None}
        Per-frame normalisation, as :func:`mirbook.transforms.chroma_from_cqt`; silent frames
        stay 0.

    Returns
    -------
    chroma : np.ndarray, shape (12, n_frames)
        Row 0 is C, row 9 is A.

    Examples
    --------
    >>> ch = notes_to_chroma([[0.0, 1.0, 60, 100], [0.0, 1.0, 64, 50]], np.array([0.5, 1.5]))
    >>> ch[[0, 4], 0].tolist(), ch[:, 1].tolist().count(0.0)
    ([1.0, 0.5], 12)

    See Also
    --------
    piano_roll, mirbook.transforms.chroma_from_cqt
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    arr = _as_notes(notes)
    t = np.asarray(frame_times, dtype=float)
    if t.ndim != 1 or np.any(np.diff(t) < 0):
        raise ValueError("frame_times: expected an increasing 1-D array of times")
    if weight not in ("velocity", "binary"):
        raise ValueError(f"weight={weight!r}: expected 'velocity' or 'binary'")
    diff = np.zeros((12, len(t) + 1))
    start = np.searchsorted(t, arr[:, 0], side="left")
    end = np.searchsorted(t, arr[:, 1], side="left")
    w = arr[:, 3] if weight == "velocity" else np.ones(len(arr))
    pc = arr[:, 2].astype(int) % 12
    np.add.at(diff, (pc, start), w)
    np.add.at(diff, (pc, end), -w)
    ch = np.cumsum(diff, axis=1)[:, : len(t)]
    ch[np.abs(ch) < 1e-9] = 0.0
    return _normalize_frames(ch, norm)


def _normalize_frames(X, norm):
    if norm is None:
        return X
    if norm == np.inf:
        scale = np.abs(X).max(axis=0, keepdims=True)
    elif norm in (1, 2):
        scale = (np.abs(X) ** norm).sum(axis=0, keepdims=True) ** (1.0 / norm)
    else:
        raise ValueError(f"norm={norm!r}: expected np.inf, 1, 2 or None")
    return np.where(scale > 0, X / np.where(scale > 0, scale, 1.0), 0.0)


def render(notes_or_pm, sr=SR, *, program=None, duration=None, peak=None):
    """Synthesise notes (or a MIDI object) with FluidSynth and a General MIDI soundfont.

    A thin wrapper over :func:`mirbook.datasets.synth.render_tracks`, the renderer of the book's
    corpora (soundfont ``TimGM6mb.sf2`` from pretty_midi, or ``$MIRBOOK_SOUNDFONT``).

    Parameters
    ----------
    notes_or_pm : array-like, shape (n_notes, 3 or 4), or pretty_midi.PrettyMIDI
        A MIDI object keeps one track per instrument (with its program, drums included).
    sr : int
        Sample rate.
    program : int, optional
        General MIDI program for every note (overrides the instruments' programs); default 0
        (piano) for a note list.
    duration : float, optional
        Cut or pad to this many seconds; by default the release tail is kept.
    peak : float, optional
        Scale to this peak amplitude.

    Returns
    -------
    y : np.ndarray, shape (n,), float32

    Raises
    ------
    mirbook.datasets.core.MissingToolError
        libfluidsynth or pyfluidsynth is missing (the message gives the install command).

    Examples
    --------
    >>> y = render([[0.0, 0.5, 69, 100]], 22050, program=0)          # doctest: +SKIP
    >>> y.dtype, len(y) > 0.5 * 22050                                # doctest: +SKIP
    (dtype('float32'), True)

    See Also
    --------
    mirbook.datasets.synth.render_tracks
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    from mirbook.datasets import synth
    from mirbook.io import check_sr

    sr = check_sr(sr)
    synth.check_fluidsynth()
    if hasattr(notes_or_pm, "instruments"):
        tracks = []
        for inst in notes_or_pm.instruments:
            rows = [(n.start, n.end, n.pitch, n.velocity) for n in inst.notes]
            prog = inst.program if program is None else _programs(program, 1)[0]
            tracks.append((prog, rows, inst.is_drum))
    else:
        arr = validate_notes(notes_or_pm)
        prog = 0 if program is None else _programs(program, 1)[0]
        tracks = [(prog, [tuple(r) for r in arr])]
    return synth.render_tracks(tracks, sr, duration=duration, peak=peak)


# --------------------------------------------------------------------------------------------
# time warps (performances with known timing)
# --------------------------------------------------------------------------------------------


class TimeWarp:
    """A monotone piecewise-linear map between two time axes (seconds).

    Parameters
    ----------
    src, dst : array-like, shape (k,)
        Anchor points: ``src`` strictly increasing, ``dst`` non-decreasing. Beyond the anchors
        the map continues with the slope of the first / last segment.

    Examples
    --------
    >>> w = TimeWarp([0, 1, 2], [0, 2, 3])
    >>> w([0.5, 1.5, 3.0]).tolist()
    [1.0, 2.5, 4.0]
    >>> w.inverse()([2.5]).tolist()
    [1.5]
    """

    def __init__(self, src, dst):
        src = np.asarray(src, dtype=float)
        dst = np.asarray(dst, dtype=float)
        if src.ndim != 1 or src.shape != dst.shape or len(src) < 2:
            raise ValueError(f"src {src.shape} and dst {dst.shape}: expected two 1-D arrays of "
                             "the same length >= 2")
        if np.any(np.diff(src) <= 0) or np.any(np.diff(dst) < 0):
            raise ValueError("a time warp needs increasing src and non-decreasing dst anchors")
        self.src, self.dst = src, dst

    def __call__(self, t):
        t = np.asarray(t, dtype=float)
        s, d = self.src, self.dst
        out = np.interp(t, s, d)
        lo_slope = (d[1] - d[0]) / (s[1] - s[0])
        hi_slope = (d[-1] - d[-2]) / (s[-1] - s[-2])
        out = np.where(t < s[0], d[0] + (t - s[0]) * lo_slope, out)
        return np.where(t > s[-1], d[-1] + (t - s[-1]) * hi_slope, out)

    def inverse(self):
        """The inverse map (requires strictly increasing ``dst``)."""
        return TimeWarp(self.dst, self.src)


def tempo_warp(duration, *, tempo_ratio=1.0, rubato=0.0, period=4.0, phase=0.0, step=0.001):
    """Score time -> performance time for a tempo change plus a sinusoidal rubato.

    The performance plays at ``tempo_ratio * (1 + rubato * sin(2 pi t / period + phase))`` times
    the score's tempo at score time ``t``; the performance time is the integral of the inverse
    of that rate (computed on a ``step`` grid, then linear).

    Parameters
    ----------
    duration : float
        Score duration covered by the anchors (the map extends linearly beyond).
    tempo_ratio : float > 0
        Above 1: faster than the score.
    rubato : float in [0, 1)
        Depth of the tempo oscillation.
    period, phase : float
        Period (score seconds) and phase (radians) of the oscillation.
    step : float
        Grid step of the integration (s).

    Returns
    -------
    warp : TimeWarp

    Examples
    --------
    >>> w = tempo_warp(10.0, tempo_ratio=2.0)
    >>> float(w(10.0))
    5.0
    """
    if not tempo_ratio > 0 or not 0 <= rubato < 1:
        raise ValueError(f"tempo_ratio={tempo_ratio!r} must be > 0, rubato={rubato!r} in [0, 1)")
    t = np.linspace(0.0, float(duration), max(2, int(np.ceil(duration / step)) + 1))
    rate = tempo_ratio * (1.0 + rubato * np.sin(2 * np.pi * t / period + phase))
    inv = 1.0 / rate
    perf = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(t))])
    return TimeWarp(t, perf)


def warp_notes(notes, warp):
    """The notes with their onsets and offsets sent through a time map (``warp(t)``)."""
    arr = validate_notes(notes).copy()
    arr[:, 0] = warp(arr[:, 0])
    arr[:, 1] = warp(arr[:, 1])
    return arr


# --------------------------------------------------------------------------------------------
# features and costs
# --------------------------------------------------------------------------------------------


def chroma(y, sr=SR, *, hop_length=512, compression=100.0, n_bins=84, fmin=None):
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
    """
    from mirbook.io import validate_audio
    from mirbook.transforms import chroma_from_cqt, cqt

    validate_audio(y, sr, name="y")
    C = np.abs(cqt(np.asarray(y, dtype=np.float32), sr=sr, hop_length=hop_length,
                   n_bins=n_bins, fmin=fmin))
    if compression is not None:
        C = np.log1p(compression * C)
    return chroma_from_cqt(C, fmin=fmin).astype(np.float64)


def cost_matrix(X, Y, metric="cosine"):
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
        raise ValueError(f"X {X.shape} and Y {Y.shape}: expected (d, N) and (d, M)")
    if metric == "euclidean":
        d2 = (X**2).sum(0)[:, None] + (Y**2).sum(0)[None, :] - 2 * X.T @ Y
        return np.sqrt(np.maximum(d2, 0.0))
    if metric != "cosine":
        raise ValueError(f"metric={metric!r}: expected 'cosine' or 'euclidean'")

    def unit(Z):
        n = np.linalg.norm(Z, axis=0, keepdims=True)
        flat = np.full_like(Z, 1.0 / np.sqrt(Z.shape[0]))
        return np.where(n > 1e-12, Z / np.where(n > 1e-12, n, 1.0), flat)

    return np.clip(1.0 - unit(X).T @ unit(Y), 0.0, 2.0)


# --------------------------------------------------------------------------------------------
# dynamic time warping
# --------------------------------------------------------------------------------------------


def _check_steps(step_sizes, weights, weights_add):
    steps = STEP_SIZES if step_sizes is None else np.asarray(step_sizes)
    if steps.ndim != 2 or steps.shape[1] != 2 or len(steps) == 0:
        raise ValueError(f"step_sizes: shape {steps.shape}, expected (n_steps, 2)")
    if not np.issubdtype(steps.dtype, np.integer):
        if not np.all(steps == np.round(steps)):
            raise ValueError("step_sizes: steps must be whole numbers of frames")
        steps = steps.astype(int)
    if np.any(steps < 0) or np.any(steps.sum(axis=1) == 0):
        raise ValueError("step_sizes: steps must be >= 0 and move forward (no [0, 0] step)")
    k = len(steps)
    w_mul = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    w_add = np.zeros(k) if weights_add is None else np.asarray(weights_add, dtype=float)
    for name, w in (("weights", w_mul), ("weights_add", w_add)):
        if w.shape != (k,):
            raise ValueError(f"{name}: shape {w.shape}, expected ({k},), one per step")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{name}: NaN/Inf")
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
    librosa.sequence.dtw, align
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    C = np.asarray(C)
    if C.ndim != 2 or C.size == 0:
        raise ValueError(f"C: shape {C.shape}, expected a non-empty (N, M) cost matrix")
    if not np.issubdtype(C.dtype, np.number) or np.iscomplexobj(C):
        raise ValueError(f"C: dtype {C.dtype}, expected real numbers")
    C = C.astype(np.float64)
    if np.isnan(C).any():
        raise ValueError("C: NaN cost(s)")
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
        raise ValueError(f"no warping path reaches ({N - 1}, {M - 1}) with step sizes "
                         f"{steps.tolist()}")
    path = [(N - 1, M - 1)]
    n, m = N - 1, M - 1
    while (n, m) != (0, 0):
        a, b = steps[choice[n + m, n]]
        n, m = n - a, m - b
        if n < 0 or m < 0:  # pragma: no cover (D finite implies a path back to (0, 0))
            raise ValueError("the warping path leaves the matrix")
        path.append((n, m))
    return D, np.asarray(path[::-1], dtype=int)


# --------------------------------------------------------------------------------------------
# score-to-audio alignment
# --------------------------------------------------------------------------------------------


class Alignment(TimeWarp):
    """A score-to-audio alignment: a :class:`TimeWarp` (score time -> audio time) and its DTW.

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


def align(score_notes, y, sr=SR, *, hop_length=512, feature="chroma", program=0,
          step_sizes=None, weights=None, compression=100.0):
    """Align a score (a note list on a nominal clock) to a recording of it, with DTW on chroma.

    1. The score's chroma: ``feature="chroma"`` renders the notes with :func:`render`
       (``program``) and computes :func:`chroma` of the rendering, like the audio's;
       ``feature="symbolic"`` uses :func:`notes_to_chroma` on the audio's frame grid.
    2. The audio's :func:`chroma` (our CQT, log-compressed, folded to 12 pitch classes).
    3. Cosine :func:`cost_matrix`, :func:`dtw`, and a time map through the path: each score frame
       goes to the mean time of the audio frames it is paired with, linear in between.

    Parameters
    ----------
    score_notes : array-like, shape (n_notes, 3 or 4), or pretty_midi.PrettyMIDI
        The score in seconds at any nominal tempo.
    y : np.ndarray, shape (n,)
        The performance.
    sr, hop_length : int
        Frames are ``hop_length / sr`` seconds apart (23 ms by default at 22050 Hz).
    feature : {"chroma", "symbolic"}
    program : int
        General MIDI program of the score's rendering.
    step_sizes, weights
        Passed to :func:`dtw`.
    compression : float, optional
        Passed to :func:`chroma`.

    Returns
    -------
    alignment : Alignment
        Callable: ``alignment(score_times)`` gives audio times.

    Examples
    --------
    >>> al = align(notes, y, 22050)                                  # doctest: +SKIP
    >>> est_onsets = al(notes[:, 0])                                 # doctest: +SKIP

    See Also
    --------
    dtw, alignment_error, tempo_warp
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    from mirbook.io import check_sr, validate_audio

    sr = check_sr(sr)
    validate_audio(y, sr, name="y")
    if np.asarray(y).ndim != 1:
        raise ValueError(f"y: shape {np.shape(y)}, expected a mono signal (n,)")
    notes = _as_notes(score_notes, name="score_notes")
    if len(notes) == 0:
        raise ValueError("score_notes: no notes to align")
    Y = chroma(y, sr, hop_length=hop_length, compression=compression)
    if feature == "chroma":
        X = chroma(render(notes, sr, program=program), sr, hop_length=hop_length,
                   compression=compression)
    elif feature == "symbolic":
        n_frames = int(np.ceil(notes[:, 1].max() * sr / hop_length)) + 1
        X = notes_to_chroma(notes, np.arange(n_frames) * hop_length / sr)
    else:
        raise ValueError(f"feature={feature!r}: expected 'chroma' or 'symbolic'")
    C = cost_matrix(X, Y)
    D, path = dtw(C, step_sizes=step_sizes, weights=weights)
    return Alignment(path, C, D, X, Y, hop_length / sr)


def alignment_error(true_onsets, est_onsets, tolerances=(0.05, 0.1)):
    """How far estimated event times are from the true ones.

    Parameters
    ----------
    true_onsets, est_onsets : array-like, shape (n,)
        Times (s) of the same events.
    tolerances : tuple of float
        Report the fraction of events within each (s).

    Returns
    -------
    dict
        ``mean``, ``median``, ``max`` absolute error (s), ``n``, and ``within_50ms``,
        ``within_100ms``... (fractions in [0, 1]).

    Examples
    --------
    >>> alignment_error([0.0, 1.0, 2.0], [0.01, 1.08, 2.0])["within_50ms"]
    0.6666666666666666
    """
    t = np.asarray(true_onsets, dtype=float)
    e = np.asarray(est_onsets, dtype=float)
    if t.shape != e.shape or t.ndim != 1 or t.size == 0:
        raise ValueError(f"true_onsets {t.shape} and est_onsets {e.shape}: expected two 1-D "
                         "arrays of the same non-zero length")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(e))):
        raise ValueError("onsets: NaN/Inf times")
    err = np.abs(e - t)
    out = {"mean": float(err.mean()), "median": float(np.median(err)), "max": float(err.max()),
           "n": int(err.size)}
    for tol in tolerances:
        out[f"within_{round(tol * 1000)}ms"] = float(np.mean(err <= tol + 1e-12))
    return out
