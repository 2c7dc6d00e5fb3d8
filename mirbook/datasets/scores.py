"""From a music21 score to note lists, beats, downbeats, Harte chord labels and a key, in seconds.

Shared by the ``chorales``, ``piano`` and ``mood`` corpora. The same note list feeds the
synthesizer and the label files, so audio and labels cannot disagree; every time in seconds comes
from one :class:`TimeMap` (a tempo and optional fermata stretches).

The pitfalls handled here:

- **Repeats** are expanded (:meth:`music21.stream.Score.expandRepeats`) before anything else, for
  the audio and the labels alike; a score whose repeats cannot be expanded is refused.
- **Pickup measures** (anacrusis): beats and downbeats follow the metre, not the measure objects
  (a pickup measure's ``paddingLeft`` says where in the bar it starts), so the first downbeat is
  the first full bar and a repeated pickup does not create a spurious downbeat.
- **Ties** are merged (:meth:`~music21.stream.Stream.stripTies`) into one note.
- **Fermatas** lengthen their notes by a factor, in the :class:`TimeMap`, so the audio holds them
  and the beat/chord/note times follow.
"""

from __future__ import annotations

import numpy as np

from mirbook.datasets.core import SkipItem

#: Chord qualities used for the labels (Harte shorthands) and their intervals above the root.
QUALITIES = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
    "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10),
    "dim7": (0, 3, 6, 9), "hdim7": (0, 3, 6, 10),
}
#: Harte root names (sharps for black keys except Bb and Eb, as in the Isophonics annotations).
PC_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


class TimeMap:
    """Quarter-note offsets -> seconds: a constant tempo, slowed down over fermata spans.

    Parameters
    ----------
    bpm : float
        Quarter notes per minute.
    stretches : list of (start_q, end_q, factor)
        Spans (in quarter notes) played ``factor`` times slower (fermatas).
    """

    def __init__(self, bpm, stretches=()):
        self.bpm = float(bpm)
        spq = 60.0 / self.bpm
        q, s = [0.0], [0.0]
        for a, b, f in sorted(stretches):
            a = max(a, q[-1])
            if b <= a:
                continue
            s.append(s[-1] + (a - q[-1]) * spq)
            q.append(a)
            s.append(s[-1] + (b - a) * spq * f)
            q.append(b)
        self._q = np.asarray(q)
        self._s = np.asarray(s)
        self._spq = spq

    def __call__(self, q):
        q = np.asarray(q, dtype=float)
        out = np.interp(q, self._q, self._s)
        beyond = q > self._q[-1]
        return np.where(beyond, self._s[-1] + (q - self._q[-1]) * self._spq, out)


def has_repeats(score):
    """Whether the score has repeat barlines, volta brackets or D.C./D.S./segno/coda marks."""
    from music21 import bar, repeat, spanner

    for el in score.recurse():
        if isinstance(el, (bar.Repeat, repeat.RepeatMark)):
            return True
    return any(isinstance(sp, spanner.RepeatBracket) for sp in score.spannerBundle)


def expand(score):
    """The score with repeats expanded; :class:`SkipItem` when music21 cannot do it.

    A score without any repeat sign is returned as is (expansion deep-copies the whole score).
    """
    if not has_repeats(score):
        return score
    try:
        out = score.expandRepeats()
    except Exception as exc:  # music21 raises several kinds (ExpanderException, RepeatException...)
        raise SkipItem(f"repeats cannot be expanded: {type(exc).__name__}: {exc}") from None
    return out


def check_score(score, *, min_parts=1):
    """Refuse odd scores (:class:`SkipItem`): no parts, parts of different lengths, no notes."""
    parts = list(score.parts)
    if len(parts) < min_parts:
        raise SkipItem(f"{len(parts)} part(s), expected at least {min_parts}")
    ends = {round(float(p.highestTime), 3) for p in parts}
    if len(ends) > 1:
        raise SkipItem(f"parts end at different times {sorted(ends)} (corrupt or incomplete score)")
    if not any(len(p.recurse().notes) for p in parts):
        raise SkipItem("no notes")
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
                raise SkipItem(f"pitch {p} out of the MIDI range")
            out.append((on, on + d, midi))
    return out


def truncate(score, end_q):
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
        raise SkipItem("the score has no measures")
    for m in measures:
        ts = m.timeSignature or m.getContextByClass("TimeSignature")
        if ts is None:
            raise SkipItem(f"measure {m.number} has no time signature")
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


def label_from_weights(weights, bass=None, *, missing_penalty=0.2, bass_bonus=0.2,
                       seventh_penalty=0.2):
    """Best Harte label for a pitch-class weight vector (root position; ``N`` when silent).

    Each candidate (12 roots x :data:`QUALITIES`) scores the weight inside its template minus the
    weight outside it, minus ``missing_penalty`` for each template note that is absent, minus
    ``seventh_penalty`` for a four-note chord, plus ``bass_bonus`` if the bass is the root; ties go
    to the simpler (earlier) quality. The defaults were chosen on the expert analyses
    (:func:`mirbook.datasets.chorales.expert_agreement`), by a coarse grid search.

    Examples
    --------
    >>> w = np.zeros(12); w[[0, 4, 7]] = 1
    >>> label_from_weights(w, bass=0)
    'C:maj'
    """
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    if total <= 0:
        return "N"
    w = w / total
    best, best_score = "N", -np.inf
    for root in range(12):
        for name, ivs in QUALITIES.items():
            idx = [(root + i) % 12 for i in ivs]
            inside = w[idx].sum()
            score = inside - (1 - inside) - missing_penalty * sum(w[i] == 0 for i in idx)
            if len(ivs) == 4:
                score -= seventh_penalty
            if bass is not None and bass == root:
                score += bass_bonus
            if score > best_score + 1e-9:
                best, best_score = f"{PC_NAMES[root]}:{name}", score
    return best


#: Weight of the notes already sounding at a beat's onset, relative to those that start later
#: in the beat (passing notes and other ornaments are mostly off the beat).
ONSET_WEIGHT = 3.0


def beat_chords(segments, beats, end):
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
        labels.append(label_from_weights(w, bass))
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
        tonic = PC_NAMES[m21key.Key(name[0]).tonic.pitchClass]
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
        truncate(score, max_duration * bpm / 60.0 + 1e-6)
    spans = fermata_spans(score) if fermata_factor != 1.0 else []
    tmap = TimeMap(bpm, [(a, b, fermata_factor) for a, b in spans])
    beats_q, downbeats_q, end_q = beat_grid(parts[0])
    if not downbeats_q:
        raise SkipItem("no downbeat (no complete bar)")
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
            raise SkipItem("no beat before the maximum duration")
    notes = []
    for i, part in enumerate(parts):
        for on, off, midi in part_notes(part):
            if on >= cut_q - 1e-9:
                continue
            notes.append((on, min(off, cut_q), midi, i))
    if not notes:
        raise SkipItem("no notes before the cut")
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
        ivs_q, labels = beat_chords(chordify_segments(score), beats_q, cut_q)
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
