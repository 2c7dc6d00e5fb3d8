"""From a music21 score to note lists, beats, downbeats, Harte chord labels and a key, in seconds.

The score side of the book's corpora (``chorales``, ``piano``, ``mood``: :mod:`mirbook.datasets`)
and of :func:`mirbook.symbolic.score_to_midi`. Used in the chapter notebook
``notebooks/04_symbolic_midi.ipynb``. The same note list feeds the synthesizer and the label
files, so audio and labels cannot disagree; every time in seconds comes from one :class:`TimeMap`
(a tempo and optional fermata stretches, :meth:`TimeMap.from_tempo`).

The pitfalls handled here:

- **Repeats** are expanded (:meth:`music21.stream.Score.expandRepeats`) before anything else, for
  the audio and the labels alike; a score whose repeats cannot be expanded is refused.
- **Pickup measures** (anacrusis): beats and downbeats follow the metre, not the measure objects
  (a pickup measure's ``paddingLeft`` says where in the bar it starts), so the first downbeat is
  the first full bar and a repeated pickup does not create a spurious downbeat.
- **Ties** are merged into one note.
- **Fermatas** lengthen their notes by a factor, in the :class:`TimeMap`, so the audio holds them
  and the beat/chord/note times follow.

A score this module cannot use (no parts, corrupt, repeats that cannot be expanded...) raises
:class:`ScoreError`; the corpus build skips such an item and records why. Chord qualities and root
names are :mod:`mirbook.chords`' (:data:`~mirbook.chords.QUALITY_INTERVALS`,
:data:`~mirbook.chords.ROOTS`). The label files are written in mir_eval's formats by
:func:`write_notes`, :func:`write_labeled_intervals` and :func:`write_times`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirbook.chords import QUALITY_INTERVALS, ROOTS
from mirbook.errors import MirbookError, ParameterError

__all__ = [
    "RENDER_VERSION", "ScoreError", "TimeMap", "has_repeats", "expand", "check_score",
    "part_notes", "truncate", "fermata_spans", "beat_grid", "chordify_segments",
    "label_from_weights", "ONSET_WEIGHT", "beat_chords", "key_label", "score_events",
    "time_signature", "write_notes", "write_labeled_intervals", "write_times",
    "KEY_PROFILES", "estimate_key",
]

#: Version of what this module computes from a score: bump it when a change alters notes, times
#: or labels, and every corpus that lists ``"mirbook.scores"`` in its ``RENDERERS`` is rebuilt.
RENDER_VERSION = 1

#: The chord qualities the beat labels use (Harte shorthands), from :mod:`mirbook.chords`.
LABEL_QUALITIES = ("maj", "min", "dim", "aug", "7", "maj7", "min7", "dim7", "hdim7")


class ScoreError(MirbookError, ValueError):
    """A score that cannot be used (no parts, parts of unequal length, no time signature,
    repeats that cannot be expanded...); the message says why. Corpora skip such an item."""


class TimeMap:
    """A monotone piecewise-linear map between two time axes (the one time map of mirbook).

    Score time (quarter notes, or seconds at a nominal tempo) to performance time (seconds), or
    back (:meth:`inverse`). Built from anchors, or from a tempo with fermata stretches
    (:meth:`from_tempo`); :class:`mirbook.alignment.Alignment` is one too.

    Parameters
    ----------
    src, dst : array-like, shape (k,)
        Anchor points: ``src`` strictly increasing, ``dst`` non-decreasing; ``k >= 2`` unless
        both slopes are given (then ``k >= 1``).
    slope_before, slope_after : float, optional
        Slope of the map before the first and after the last anchor; by default the slope of
        the first / last segment.

    Examples
    --------
    >>> w = TimeMap([0, 1, 2], [0, 2, 3])
    >>> w([0.5, 1.5, 3.0]).tolist()
    [1.0, 2.5, 4.0]
    >>> w.inverse()([2.5]).tolist()
    [1.5]
    """

    def __init__(self, src, dst, *, slope_before=None, slope_after=None):
        src = np.asarray(src, dtype=float)
        dst = np.asarray(dst, dtype=float)
        need = 1 if slope_before is not None and slope_after is not None else 2
        if src.ndim != 1 or src.shape != dst.shape or len(src) < need:
            raise ParameterError(f"src {src.shape} and dst {dst.shape}: expected two 1-D arrays "
                                 f"of the same length >= {need}")
        if not (np.all(np.isfinite(src)) and np.all(np.isfinite(dst))):
            raise ParameterError("src, dst: NaN/Inf anchors")
        if np.any(np.diff(src) <= 0) or np.any(np.diff(dst) < 0):
            raise ParameterError("a time map needs increasing src and non-decreasing dst anchors")
        self.src, self.dst = src, dst
        self.slope_before = float((dst[1] - dst[0]) / (src[1] - src[0])
                                  if slope_before is None else slope_before)
        self.slope_after = float((dst[-1] - dst[-2]) / (src[-1] - src[-2])
                                 if slope_after is None else slope_after)

    @classmethod
    def from_tempo(cls, bpm, stretches=()):
        """Quarter-note offsets -> seconds: a constant tempo, slowed down over fermata spans.

        Parameters
        ----------
        bpm : float
            Quarter notes per minute.
        stretches : list of (start_q, end_q, factor)
            Spans (in quarter notes) played ``factor`` times slower (fermatas).

        Examples
        --------
        >>> tm = TimeMap.from_tempo(60, [(2.0, 3.0, 2.0)])
        >>> tm([0, 1, 2, 2.5, 3, 4]).tolist()
        [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        """
        bpm = float(bpm)
        if not (np.isfinite(bpm) and bpm > 0):
            raise ParameterError(f"bpm={bpm!r}: expected a positive tempo")
        spq = 60.0 / bpm
        q, s = [0.0], [0.0]
        for a, b, f in sorted(stretches):
            a = max(a, q[-1])
            if b <= a:
                continue
            if a > q[-1]:
                s.append(s[-1] + (a - q[-1]) * spq)
                q.append(a)
            s.append(s[-1] + (b - a) * spq * f)
            q.append(b)
        out = cls(q, s, slope_before=spq, slope_after=spq)
        out.bpm = bpm
        return out

    def __call__(self, t):
        t = np.asarray(t, dtype=float)
        s, d = self.src, self.dst
        out = np.interp(t, s, d)
        out = np.where(t < s[0], d[0] + (t - s[0]) * self.slope_before, out)
        return np.where(t > s[-1], d[-1] + (t - s[-1]) * self.slope_after, out)

    def inverse(self):
        """The inverse map (requires strictly increasing ``dst`` and non-zero end slopes)."""
        return TimeMap(self.dst, self.src, slope_before=1.0 / self.slope_before,
                       slope_after=1.0 / self.slope_after)


def has_repeats(score):
    """Whether the score has repeat barlines, volta brackets or D.C./D.S./segno/coda marks."""
    from music21 import bar, repeat, spanner

    for el in score.recurse():
        if isinstance(el, (bar.Repeat, repeat.RepeatMark)):
            return True
    return any(isinstance(sp, spanner.RepeatBracket) for sp in score.spannerBundle)


def expand(score):
    """The score with repeats expanded; :class:`ScoreError` when music21 cannot do it.

    A score without any repeat sign is returned as is (expansion deep-copies the whole score).
    """
    if not has_repeats(score):
        return score
    try:
        out = score.expandRepeats()
    except Exception as exc:  # music21 raises several kinds (ExpanderException, RepeatException...)
        raise ScoreError(f"repeats cannot be expanded: {type(exc).__name__}: {exc}") from None
    return out


def check_score(score, *, min_parts=1):
    """Refuse odd scores (:class:`ScoreError`): no parts, parts of different lengths, no notes."""
    parts = list(score.parts)
    if len(parts) < min_parts:
        raise ScoreError(f"{len(parts)} part(s), expected at least {min_parts}")
    ends = {round(float(p.highestTime), 3) for p in parts}
    if len(ends) > 1:
        raise ScoreError(f"parts end at different times {sorted(ends)} (corrupt or incomplete score)")
    if not any(len(p.recurse().notes) for p in parts):
        raise ScoreError("no notes")
    return parts


def _merged_notes(part):
    """``(onset_q, duration_q, music21 note)`` of a part with tied notes merged (no deep copy).

    :meth:`~music21.stream.Stream.stripTies` deep-copies the whole part, which dominates the
    build time; this walks the notes once and extends a note over the notes tied to it.
    """
    out, open_ties = [], {}
    for n in part.flatten().notes:
        d = float(n.duration.quarterLength)
        if d <= 0:  # grace notes
            continue
        on = float(n.offset)
        tie = n.tie.type if n.tie is not None else None
        key = tuple(round(p.ps, 3) for p in n.pitches)
        if tie in ("stop", "continue") and key in open_ties:
            i = open_ties[key]
            o_on, _, o_n = out[i]
            out[i] = (o_on, on + d - o_on, o_n)
            if tie == "stop":
                del open_ties[key]
            continue
        out.append((on, d, n))
        if tie in ("start", "continue"):
            open_ties[key] = len(out) - 1
    return out


def part_notes(part):
    """``(onset_q, offset_q, midi)`` of a part, ties merged, grace notes and rests dropped."""
    out = []
    for on, d, n in _merged_notes(part):
        for p in n.pitches:
            midi = int(round(p.ps))
            if not 0 <= midi <= 127:
                raise ScoreError(f"pitch {p} out of the MIDI range")
            out.append((on, on + d, midi))
    return out


def truncate(score, *, end_q):
    """Drop, in place, every measure that starts at or after ``end_q`` (quarter notes).

    The expensive music21 steps (chordify...) then only see the part of the piece that is used.
    Returns ``score``.
    """
    for part in score.parts:
        late = [m for m in part.getElementsByClass("Measure") if float(m.offset) >= end_q]
        if late:
            part.remove(late)
    return score


def fermata_spans(score):
    """``(start_q, end_q)`` of the notes that carry a fermata (all parts, merged)."""
    from music21 import expressions

    spans = set()
    for part in score.parts:
        for on, d, n in _merged_notes(part):
            if any(isinstance(e, expressions.Fermata) for e in n.expressions):
                spans.add((on, on + d))
    merged = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def beat_grid(part):
    """Beats and downbeats (quarter offsets) of a part, following the metre across measures.

    Returns
    -------
    beats, downbeats : list of float
    end : float
        The part's end (quarter notes).
    """
    from fractions import Fraction

    beats, downbeats = [], []
    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        raise ScoreError("the score has no measures")
    for m in measures:
        ts = m.timeSignature or m.getContextByClass("TimeSignature")
        if ts is None:
            raise ScoreError(f"measure {m.number} has no time signature")
        bar = Fraction(ts.barDuration.quarterLength)
        beat = Fraction(ts.beatDuration.quarterLength)
        pad = Fraction(m.paddingLeft)
        dur = Fraction(m.duration.quarterLength)
        start = Fraction(m.offset)
        # positions within the bar, from the pickup's padding on
        k = -(-pad // beat)  # first beat index >= pad (ceil)
        while k * beat < pad + dur:
            pos = k * beat
            t = start + pos - pad
            beats.append(float(t))
            if pos % bar == 0:
                downbeats.append(float(t))
            k += 1
    return beats, downbeats, float(part.highestTime)


def chordify_segments(score):
    """``(onset_q, offset_q, pitch_classes, bass_pc)`` of the chordified score (rests: empty)."""
    ch = score.chordify()
    out = []
    for c in ch.flatten().notesAndRests:
        on = float(c.offset)
        off = on + float(c.duration.quarterLength)
        if off <= on:
            continue
        if c.isRest:
            out.append((on, off, (), None))
            continue
        pitches = list(c.pitches)
        pcs = tuple(int(round(p.ps)) % 12 for p in pitches)
        bass = int(round(min(p.ps for p in pitches))) % 12
        out.append((on, off, pcs, bass))
    return out


def label_from_weights(chroma, *, bass=None, missing_penalty=0.2, bass_bonus=0.2,
                       seventh_penalty=0.2):
    """Best Harte label for a pitch-class weight vector (root position; ``N`` when silent).

    Each candidate (12 roots x :data:`LABEL_QUALITIES`) scores the weight inside its template minus the
    weight outside it, minus ``missing_penalty`` for each template note that is absent, minus
    ``seventh_penalty`` for a four-note chord, plus ``bass_bonus`` if the bass is the root; ties go
    to the simpler (earlier) quality. The defaults were chosen on the expert analyses
    (``expert_agreement`` of the ``chorales`` corpus), by a coarse grid search.

    Examples
    --------
    >>> w = np.zeros(12); w[[0, 4, 7]] = 1
    >>> label_from_weights(w, bass=0)
    'C:maj'
    """
    w = np.asarray(chroma, dtype=float)
    total = w.sum()
    if total <= 0:
        return "N"
    w = w / total
    best, best_score = "N", -np.inf
    for root in range(12):
        for name in LABEL_QUALITIES:
            ivs = QUALITY_INTERVALS[name]
            idx = [(root + i) % 12 for i in ivs]
            inside = w[idx].sum()
            score = inside - (1 - inside) - missing_penalty * sum(w[i] == 0 for i in idx)
            if len(ivs) == 4:
                score -= seventh_penalty
            if bass is not None and bass == root:
                score += bass_bonus
            if score > best_score + 1e-9:
                best, best_score = f"{ROOTS[root]}:{name}", score
    return best


#: Weight of the notes already sounding at a beat's onset, relative to those that start later
#: in the beat (passing notes and other ornaments are mostly off the beat).
ONSET_WEIGHT = 3.0


def beat_chords(segments, beats, *, end):
    """One Harte label per beat: pitch classes weighted by how long they sound in the beat.

    Notes sounding at the beat's onset weigh :data:`ONSET_WEIGHT` times more (passing notes).

    Parameters
    ----------
    segments : list
        From :func:`chordify_segments`.
    beats : list of float
        Beat starts (quarter notes); the last beat ends at ``end``.
    end : float

    Returns
    -------
    intervals : list of (start_q, end_q)
    labels : list of str
    """
    edges = list(beats) + [end]
    intervals, labels = [], []
    seg = sorted(segments)
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        w = np.zeros(12)
        bass_w = np.zeros(12)
        for on, off, pcs, bass in seg:
            ov = min(b, off) - max(a, on)
            if ov <= 0:
                continue
            if on <= a + 1e-9:
                ov *= ONSET_WEIGHT
            for pc in pcs:
                w[pc] += ov
            if bass is not None:
                bass_w[bass] += ov
        bass = int(np.argmax(bass_w)) if bass_w.sum() > 0 else None
        intervals.append((a, b))
        labels.append(label_from_weights(w, bass=bass))
    return intervals, labels


def key_label(score):
    """Key in mir_eval format (``"F major"``, ``"Bb minor"``) and how it was found.

    The key signature gives a major key and its relative minor; the final bass note picks one
    (chorales end on the tonic, often with a Picardy third, so the bass, not the chord quality,
    decides). Modal endings (neither tonic) fall back to music21's Krumhansl-Schmuckler analysis.
    """
    from music21 import key as m21key

    name = None
    method = "krumhansl"
    ks = None
    for part in score.parts:
        ks = part.recurse().getElementsByClass("KeySignature").first()
        if ks is not None:
            break
    notes = [n for p in score.parts for n in p.flatten().notes if n.duration.quarterLength > 0]
    if ks is not None and notes:
        last_end = max(float(n.offset) for n in notes)
        final = [n for n in notes if float(n.offset) >= last_end - 1e-6]
        bass = min(min(p.ps for p in n.pitches) for n in final)
        bass_pc = int(round(bass)) % 12
        major = m21key.KeySignature(ks.sharps).asKey("major")
        minor = major.relative
        if bass_pc == major.tonic.pitchClass:
            name, method = (major.tonic.name, "major"), "signature+final"
        elif bass_pc == minor.tonic.pitchClass:
            name, method = (minor.tonic.name, "minor"), "signature+final"
    if name is None:
        k = score.analyze("key")
        name = (k.tonic.name, k.mode)
    tonic = name[0].replace("-", "b")
    if tonic in ("Cb", "Fb", "E#", "B#") or "##" in tonic or "bb" in tonic:
        tonic = ROOTS[m21key.Key(name[0]).tonic.pitchClass]
    return f"{tonic} {name[1]}", method


def score_events(score, *, bpm, fermata_factor=1.0, max_duration=None, min_cut=12.0,
                 chords=True):
    """Everything a corpus needs from a score, in seconds, cut at a phrase end or bar line.

    Parameters
    ----------
    score : music21.stream.Score
        Repeats already expanded (:func:`expand`). When ``max_duration`` is given, the measures
        after it are removed from ``score`` (in place, see :func:`truncate`) before chordify.
    bpm : float
        Tempo in quarter notes per minute.
    fermata_factor : float
        How much slower fermata notes are played (1 = not held).
    max_duration : float, optional
        Keep the music up to the last fermata end (at or after ``min_cut`` seconds) or else the last
        downbeat (or, if that loses more than half, the last beat) before ``max_duration`` s.
    chords : bool
        Compute the beat-level chord labels (chordify: the slowest step).

    Returns
    -------
    dict
        ``notes`` [(on_s, off_s, midi, part_index)], ``beats``, ``downbeats`` (s),
        ``chords`` ([(start_s, end_s)], [label]), ``end`` (s), ``cut_q``, ``time_map``.
    """
    parts = check_score(score)
    if max_duration is not None:  # fermatas only slow down: this many quarter notes is enough
        truncate(score, end_q=max_duration * bpm / 60.0 + 1e-6)
    spans = fermata_spans(score) if fermata_factor != 1.0 else []
    tmap = TimeMap.from_tempo(bpm, [(a, b, fermata_factor) for a, b in spans])
    beats_q, downbeats_q, end_q = beat_grid(parts[0])
    if not downbeats_q:
        raise ScoreError("no downbeat (no complete bar)")
    cut_q = end_q
    if max_duration is not None and float(tmap(end_q)) > max_duration:
        ferm_ends = [b for _, b in spans if min_cut <= float(tmap(b)) <= max_duration]
        bars = [d for d in downbeats_q if 0 < float(tmap(d)) <= max_duration]
        beats = [b for b in beats_q if 0 < float(tmap(b)) <= max_duration]
        if ferm_ends:
            cut_q = max(ferm_ends)
        elif bars and float(tmap(max(bars))) >= max_duration / 2:
            cut_q = max(bars)
        elif beats:  # long bars (4/2...): cut at a beat rather than lose half the clip
            cut_q = max(beats)
        else:
            raise ScoreError("no beat before the maximum duration")
    notes = []
    for i, part in enumerate(parts):
        for on, off, midi in part_notes(part):
            if on >= cut_q - 1e-9:
                continue
            notes.append((on, min(off, cut_q), midi, i))
    if not notes:
        raise ScoreError("no notes before the cut")
    # unisons: two voices striking the same pitch at the same time are one note for a transcriber
    uniq = {}
    for on, off, midi, i in notes:
        k = (on, midi)
        if k not in uniq or off > uniq[k][1]:
            uniq[k] = (on, off, midi, i)
    notes = sorted(uniq.values())
    beats_q = [b for b in beats_q if b < cut_q - 1e-9]
    downbeats_q = [d for d in downbeats_q if d < cut_q - 1e-9]
    if chords:
        ivs_q, labels = beat_chords(chordify_segments(score), beats_q, end=cut_q)
    else:
        ivs_q, labels = [], []
    to_s = lambda q: float(tmap(q))  # noqa: E731
    return {
        "notes": [(to_s(a), to_s(b), m, i) for a, b, m, i in notes],
        "notes_q": notes,
        "beats": [to_s(b) for b in beats_q],
        "downbeats": [to_s(d) for d in downbeats_q],
        "chords": ([(to_s(a), to_s(b)) for a, b in ivs_q], labels),
        "beats_q": beats_q,
        "end": to_s(cut_q),
        "cut_q": cut_q,
        "time_map": tmap,
        "n_parts": len(parts),
    }


def time_signature(score):
    """The first time signature, as ``"4/4"`` (``"?"`` if none)."""
    ts = score.recurse().getElementsByClass("TimeSignature").first()
    return ts.ratioString if ts is not None else "?"


# --------------------------------------------------------------------------------------------
# label files (mir_eval formats), written atomically


def _midi_to_hz(pitch):
    try:
        from mirbook.convert import midi_to_hz
    except ImportError:  # pragma: no cover (convert arrives with the module split)
        return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=float) - 69.0) / 12.0)
    return midi_to_hz(pitch)


def _write_text(path, text):
    from mirbook.io import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_notes(path, notes):
    r"""Write notes in mir_eval's transcription format: ``onset offset frequency_hz`` per line.

    Parameters
    ----------
    path : path-like
    notes : iterable of tuple
        ``(onset_s, offset_s, midi_pitch, ...)``; written sorted by onset then pitch.

    Returns
    -------
    path : pathlib.Path
        Readable by :func:`mir_eval.io.load_valued_intervals`.

    Examples
    --------
    >>> import tempfile, os
    >>> p = write_notes(os.path.join(tempfile.mkdtemp(), "x.notes.txt"), [(0.5, 1.0, 69, 80)])
    >>> p.read_text()
    '0.500000\t1.000000\t440.0000\n'
    """
    rows = sorted((float(n[0]), float(n[1]), int(n[2])) for n in notes)
    text = "".join(f"{on:.6f}\t{off:.6f}\t{float(_midi_to_hz(p)):.4f}\n" for on, off, p in rows)
    return _write_text(path, text)


def write_labeled_intervals(path, intervals, labels):
    r"""Write ``start end label`` lines (mir_eval's ``.lab`` format), atomically.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.lab")
    >>> write_labeled_intervals(p, [(0.0, 1.5)], ["C:maj"]).read_text()
    '0.000000\t1.500000\tC:maj\n'
    """
    intervals, labels = list(intervals), list(labels)
    if len(intervals) != len(labels):
        raise ParameterError(f"intervals ({len(intervals)}) and labels ({len(labels)}): "
                             "expected one label per interval")
    text = "".join(f"{a:.6f}\t{b:.6f}\t{lab}\n" for (a, b), lab in zip(intervals, labels))
    return _write_text(path, text)


def write_times(path, times):
    r"""Write one time (seconds) per line (beats, downbeats), atomically.

    Examples
    --------
    >>> import tempfile, os
    >>> write_times(os.path.join(tempfile.mkdtemp(), "b.txt"), [0.5, 1.0]).read_text()
    '0.500000\n1.000000\n'
    """
    return _write_text(path, "".join(f"{t:.6f}\n" for t in times))


#: Krumhansl & Kessler's probe-tone profiles (major, minor), tonic first: how well each pitch
#: class fits a key, as rated by listeners (Krumhansl, *Cognitive Foundations of Musical Pitch*,
#: 1990).
KEY_PROFILES = {
    "krumhansl": (
        np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
        np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]),
    ),
}


def estimate_key(chroma, *, profiles="krumhansl"):
    """The best of the 24 major and minor keys for a pitch-class profile (Krumhansl-Schmuckler).

    The profile (a chroma summed over time, or note durations per pitch class) is correlated
    with the major and the minor key profile rotated to each of the 12 tonics; the key of the
    highest correlation wins.

    Parameters
    ----------
    chroma : np.ndarray, shape (12,) or (12, n_frames)
        Pitch-class profile, C first; frames are summed.
    profiles : str or (np.ndarray, np.ndarray)
        A name of :data:`KEY_PROFILES` or a pair (major, minor) of 12-value profiles, tonic
        first.

    Returns
    -------
    key : str
        In mir_eval's format, e.g. ``"A minor"`` (root names of :data:`mirbook.chords.ROOTS`).

    Examples
    --------
    >>> c_major = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1.0])
    >>> estimate_key(c_major), estimate_key(np.roll(c_major, 7))
    ('C major', 'G major')
    >>> estimate_key(np.roll(c_major, 7), profiles=(c_major, np.roll(c_major, 3)))
    'G major'

    Used in the chapter notebook ``notebooks/03_task_map.ipynb``.
    """
    from mirbook._validate import real_array

    chroma = real_array(chroma, name="chroma")
    if chroma.ndim == 2:
        chroma = chroma.sum(axis=1)
    if chroma.shape != (12,):
        raise ParameterError(f"chroma must have shape (12,) or (12, n_frames), got "
                             f"{chroma.shape}")
    if isinstance(profiles, str):
        if profiles not in KEY_PROFILES:
            raise ParameterError(f"profiles={profiles!r}: expected one of "
                                 f"{sorted(KEY_PROFILES)} or a pair (major, minor)")
        profiles = KEY_PROFILES[profiles]
    if len(profiles) != 2:
        raise ParameterError("profiles must be a pair (major, minor) of 12-value profiles")
    major, minor = (real_array(p, name="profiles", ndim=1) for p in profiles)
    if major.shape != (12,) or minor.shape != (12,):
        raise ParameterError("profiles: each profile must have 12 values")
    scores = [(np.corrcoef(chroma, np.roll(prof, tonic))[0, 1], f"{ROOTS[tonic]} {mode}")
              for mode, prof in (("major", major), ("minor", minor)) for tonic in range(12)]
    return max(scores)[1]
