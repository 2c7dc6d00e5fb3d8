"""Symbolic music: scores, MIDI, piano rolls, symbolic chroma, synthesis, performance timing.

The code behind chapter 4 (``notebooks/04_symbolic_midi.ipynb``). A score is symbolic: notes with
pitches and durations in beats. MIDI turns it into *events in time* (note on/off, in seconds once
a tempo is fixed) with synthesis parameters (program, velocity), on the finite set of 128
equal-tempered pitches. A synthesizer renders those events to a signal (score to signal); the
inverse problems are transcription (signal to score) and, when the score is known, alignment
(:mod:`mirbook.alignment`): finding *when* each score event happens in a recording.

Everything is built on the note lists of the book's corpora (:mod:`mirbook.scores` turns music21
scores into notes in seconds; :mod:`mirbook.synth` renders them with FluidSynth), so a MIDI file
made here and the corpus audio share one clock. Performances with known timing are made by
sending the notes through a :class:`mirbook.scores.TimeMap` (:func:`tempo_warp`,
:func:`warp_notes`).

A **note list** is a float array of shape ``(n_notes, 4)``: ``onset (s), offset (s), MIDI pitch,
velocity (1..127)``, sorted by onset then pitch, as in :mod:`mirbook.transcription`.

The piano roll is tested against :meth:`pretty_midi.PrettyMIDI.get_piano_roll`
(``tests/test_symbolic.py``); dynamic time warping is :func:`mirbook.sequence.dtw`.
"""

from __future__ import annotations


import numpy as np

from mirbook.config import SR
from mirbook.errors import ParameterError
from mirbook.transcription import validate as validate_notes

__all__ = [
    "validate_notes", "score_to_midi", "notes_to_midi", "midi_to_notes", "piano_roll",
    "notes_to_chroma", "render", "tempo_warp", "warp_notes",
]


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
        raise ParameterError("programs: empty list")
    programs = programs + [programs[-1]] * (n - len(programs))
    bad = [p for p in programs if not 0 <= p <= 127]
    if bad:
        raise ParameterError(f"programs: {bad} outside the General MIDI range 0..127")
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


def score_to_midi(score, *, bpm=100.0, programs=0, velocity=80, fermata_factor=1.0,
                  max_duration=None, resolution=960):
    """A music21 score as MIDI: one instrument per part, on the clock of the book's corpora.

    The notes, their times in seconds and the cut come from
    :func:`mirbook.scores.score_events` (repeats expanded, ties merged, grace notes
    dropped, fermatas optionally held), exactly as the ``chorales`` corpus computes them, so a
    chorale exported here at the corpus tempo and fermata factor has the notes of the corpus'
    ``notes.txt``. The tempo, the first time signature and the key
    (:func:`mirbook.scores.key_label`) are written as MIDI meta events.

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
    mirbook.scores.ScoreError
        A score the corpus would refuse (unequal parts, no measures, repeats that cannot be
        expanded...), with the reason.

    Examples
    --------
    >>> pm = score_to_midi("bach/bwv269", bpm=90)                     # doctest: +SKIP
    >>> [i.name for i in pm.instruments]                              # doctest: +SKIP
    ['Soprano', 'Alto', 'Tenor', 'Bass']

    See Also
    --------
    mirbook.scores.score_events, midi_to_notes
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    pretty_midi = _pm()
    from mirbook import scores

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


def midi_to_notes(midi, *, drums=False):
    """The notes of all instruments of a MIDI object as one note list.

    Parameters
    ----------
    midi : pretty_midi.PrettyMIDI
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
            for inst in midi.instruments if drums or not inst.is_drum for n in inst.notes]
    if not rows:
        return np.zeros((0, 4))
    arr = np.asarray(rows, dtype=float)
    return arr[np.lexsort((arr[:, 1], arr[:, 2], arr[:, 0]))]


def _as_notes(notes_or_pm, name="notes"):
    if hasattr(notes_or_pm, "instruments"):
        return midi_to_notes(notes_or_pm)
    return validate_notes(notes_or_pm, name=name)


def piano_roll(notes, *, frame_rate=100, pitch_range=(21, 109), n_frames=None):
    """Piano roll: velocity of each pitch in each frame.

    Column ``t`` covers ``[t / frame_rate, (t + 1) / frame_rate)``; a note fills columns
    ``int(onset * frame_rate)`` to ``int(offset * frame_rate) - 1``, and the velocities of overlapping notes of
    the same pitch add up,
    exactly as :meth:`pretty_midi.PrettyMIDI.get_piano_roll` (its ``fs``; without
    sustain pedal and pitch bends).

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4), or pretty_midi.PrettyMIDI
    frame_rate : float
        Columns per second.
    pitch_range : (int, int)
        MIDI pitches ``lo`` (included) to ``hi`` (excluded); the default is the 88 piano keys
        A0 (21) to C8 (108). Notes outside are dropped.
    n_frames : int, optional
        Number of columns; default ``int(frame_rate * last offset)`` (pretty_midi's).

    Returns
    -------
    roll : np.ndarray, shape (hi - lo, n_frames), float64
        Row ``k`` is MIDI pitch ``lo + k``.

    Examples
    --------
    >>> roll = piano_roll([[0.0, 0.03, 60, 100]], frame_rate=100, pitch_range=(60, 62))
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
        raise ParameterError(f"pitch_range={pitch_range!r}: expected 0 <= lo < hi <= 128")
    if not frame_rate > 0:
        raise ParameterError(f"frame_rate={frame_rate!r}: must be positive")
    fs = frame_rate
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


def notes_to_chroma(notes, times, *, weight="velocity", norm=np.inf):
    """Symbolic chroma: the pitch classes sounding at each frame time.

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4), or pretty_midi.PrettyMIDI
    times : np.ndarray, shape (n_frames,)
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
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or np.any(np.diff(t) < 0):
        raise ParameterError("times: expected an increasing 1-D array of times")
    if weight not in ("velocity", "binary"):
        raise ParameterError(f"weight={weight!r}: expected 'velocity' or 'binary'")
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
        raise ParameterError(f"norm={norm!r}: expected np.inf, 1, 2 or None")
    return np.where(scale > 0, X / np.where(scale > 0, scale, 1.0), 0.0)


def render(notes, *, sr=SR, program=None, duration=None, peak=None):
    """Synthesise notes (or a MIDI object) with FluidSynth and a General MIDI soundfont.

    A thin wrapper over :func:`mirbook.synth.render_tracks`, the renderer of the book's
    corpora (soundfont ``TimGM6mb.sf2`` from pretty_midi, or ``$MIRBOOK_SOUNDFONT``).

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4), or pretty_midi.PrettyMIDI
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
    mirbook.errors.MissingToolError
        libfluidsynth or pyfluidsynth is missing (the message gives the install command).

    Examples
    --------
    >>> y = render([[0.0, 0.5, 69, 100]], sr=22050, program=0)          # doctest: +SKIP
    >>> y.dtype, len(y) > 0.5 * 22050                                # doctest: +SKIP
    (dtype('float32'), True)

    See Also
    --------
    mirbook.synth.render_tracks
    notebooks/04_symbolic_midi.ipynb : the chapter.
    """
    from mirbook import synth
    from mirbook.io import check_sr

    sr = check_sr(sr)
    synth.check_fluidsynth()
    if hasattr(notes, "instruments"):
        tracks = []
        for inst in notes.instruments:
            rows = [(n.start, n.end, n.pitch, n.velocity) for n in inst.notes]
            prog = inst.program if program is None else _programs(program, 1)[0]
            tracks.append((prog, rows, inst.is_drum))
    else:
        arr = validate_notes(notes)
        prog = 0 if program is None else _programs(program, 1)[0]
        tracks = [(prog, [tuple(r) for r in arr])]
    return synth.render_tracks(tracks, sr=sr, duration=duration, peak=peak)


# --------------------------------------------------------------------------------------------
# performances with known timing
# --------------------------------------------------------------------------------------------


def tempo_warp(*, duration, tempo_ratio=1.0, rubato=0.0, period=4.0, phase=0.0, step=0.001):
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
    warp : mirbook.scores.TimeMap

    Examples
    --------
    >>> w = tempo_warp(duration=10.0, tempo_ratio=2.0)
    >>> float(w(10.0))
    5.0
    """
    from mirbook.scores import TimeMap

    if not tempo_ratio > 0 or not 0 <= rubato < 1:
        raise ParameterError(f"tempo_ratio={tempo_ratio!r} must be > 0, rubato={rubato!r} in [0, 1)")
    t = np.linspace(0.0, float(duration), max(2, int(np.ceil(duration / step)) + 1))
    rate = tempo_ratio * (1.0 + rubato * np.sin(2 * np.pi * t / period + phase))
    inv = 1.0 / rate
    perf = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(t))])
    return TimeMap(t, perf)


def warp_notes(notes, *, warp):
    """The notes with their onsets and offsets sent through a time map (``warp(t)``).

    Parameters
    ----------
    notes : array-like, shape (n_notes, 3 or 4)
    warp : callable
        A time map, e.g. :func:`tempo_warp` or a :class:`mirbook.scores.TimeMap`.

    Returns
    -------
    notes : np.ndarray, shape (n_notes, 4)

    Examples
    --------
    >>> warp_notes([[1.0, 2.0, 60, 90]], warp=tempo_warp(duration=4.0, tempo_ratio=2.0)).tolist()
    [[0.5, 1.0, 60.0, 90.0]]
    """
    arr = validate_notes(notes).copy()
    arr[:, 0] = warp(arr[:, 0])
    arr[:, 1] = warp(arr[:, 1])
    return arr



