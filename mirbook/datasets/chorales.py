"""``chorales``: Bach chorales from the music21 corpus, rendered with varied General MIDI ensembles.

Each item is the opening of one chorale (repeats expanded, cut at a phrase end or bar line,
10-20 s), rendered with FluidSynth and the TimGM6mb soundfont by one ensemble drawn per piece
(piano, organ, strings, choir, woodwinds, brass, harpsichord), at a tempo drawn per piece, with
fermatas held. Beside the audio (``audio/<id>.flac``, 22050 Hz mono) are its labels, derived from
the very note list the synthesizer played:

- ``labels/<id>.notes.txt``: ``onset offset frequency_hz`` (mir_eval transcription format);
- ``labels/<id>.chords.lab``: one Harte chord per beat (``C:maj``, ``A:min``, ``G:7``, ``N``...),
  from :meth:`music21.stream.Score.chordify` and template matching
  (:func:`mirbook.scores.beat_chords`);
- ``labels/<id>.beats.txt`` and ``labels/<id>.downbeats.txt``: times in seconds, one per line;
- the key (``"F major"``, mir_eval format) in the record's labels.

Splits are drawn from the chorale's title (several chorales harmonise the same hymn: they share a
split), else from its BWV number. How well the chordify labels agree with the expert
Roman-numeral analyses shipped with music21 is measured by :func:`expert_agreement`.

Used by the chapters on the task map, chords, key and beat tracking.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import Item, SkipItem

NAME = "chorales"
DESCRIPTION = "Bach chorales (music21) rendered with GM ensembles: notes, beat chords, key, beats"
VERSION = 2  # 2: DC removed and a -84 dBFS noise floor added to every clip (shortcut audit)
RENDERERS = ("mirbook.scores", "mirbook.synth")

#: Ensembles: General MIDI program of soprano, alto, tenor, bass (extra parts reuse the last).
ENSEMBLES = {
    "piano": (0, 0, 0, 0),
    "organ": (19, 19, 19, 19),
    "strings": (40, 40, 41, 42),
    "choir": (52, 52, 53, 53),
    "woodwinds": (73, 68, 71, 70),
    "brass": (56, 60, 57, 58),
    "harpsichord": (6, 6, 6, 6),
}

#: Number of chorales in the full corpus: the first ones of the Riemenschneider numbering (so the
#: 20 with an expert analysis are included).
N_FULL = 80
MAX_DURATION = 19.5     # seconds of music; 0.5 s of release tail follows
TAIL = 0.5
TINY_MAX_DURATION = 6.0
#: The second soundfont of the ``transfer`` split: the validation and test chorales rendered
#: again with it (ids ``fluidr3/...``), for a cross-soundfont row in chapter 8.
CROSS_SOUNDFONT = "FluidR3_GM"


def _slug(text):
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "untitled"


@lru_cache(maxsize=1)
def chorale_list():
    """``[(riemenschneider_number, corpus_path, bwv, title_or_None)]`` for the 371 chorales."""
    from music21 import corpus
    from music21.corpus import chorales as m21chorales

    fns = list(corpus.chorales.Iterator(returnType="filename"))
    titles = {str(k): v["title"] for k, v in m21chorales.ChoraleList().byBWV.items()}
    out = []
    for i, fn in enumerate(fns, start=1):
        bwv = fn.split("bwv", 1)[1]
        out.append((i, fn, bwv, titles.get(bwv)))
    return out


def group_of(*, bwv, title):
    """Split group of a chorale: its hymn title when known, else its BWV number."""
    return f"chorale:{_slug(title)}" if title else f"chorale:bwv{bwv}"


def plan(*, tiny):
    """The chorales to render: Riemenschneider 1..N_FULL (4 short ones, one per split, if tiny)."""
    rows = chorale_list()
    if tiny:
        chosen = [rows[0], rows[1], rows[5], rows[8]]
        splits = ["train", "train", "validation", "test"]
    else:
        chosen = rows[:N_FULL]
        splits = [None] * len(chosen)
    items = []
    for (num, fn, bwv, title), split in zip(chosen, splits):
        seed = 1000 + num
        r = np.random.default_rng(seed)
        ensemble = sorted(ENSEMBLES)[int(r.integers(len(ENSEMBLES)))]
        items.append(Item(
            id=f"r{num:03d}-bwv{bwv}",
            group=group_of(bwv=bwv, title=title),
            seed=seed,
            params={
                "source": fn, "bwv": bwv, "riemenschneider": num, "title": title,
                "ensemble": ensemble,
                "bpm": round(float(r.uniform(66.0, 96.0)), 2),
                "fermata": round(float(r.uniform(1.5, 2.2)), 3),
                "velocity": int(r.integers(64, 100)),
                "max_duration": TINY_MAX_DURATION if tiny else MAX_DURATION,
            },
            split=split,
        ))
    if not tiny:
        # the cross-soundfont rows (chapter 8): the held-out chorales again, on FluidR3
        from mirbook.datasets.core import TRANSFER, assign_split

        for it in list(items):
            if assign_split(it.group) in ("validation", "test"):
                items.append(Item(id=f"fluidr3/{it.id}", group=f"{it.group}@{CROSS_SOUNDFONT}",
                                  seed=it.seed, params={**it.params, "soundfont": CROSS_SOUNDFONT},
                                  split=TRANSFER))
    return items


def check():
    """FluidSynth is needed (:func:`mirbook.synth.check_fluidsynth`)."""
    from mirbook.synth import check_fluidsynth

    check_fluidsynth(corpus=NAME)


def prepare(*, tiny):
    """The full corpus needs the second soundfont (:data:`CROSS_SOUNDFONT`)."""
    if not tiny:
        from mirbook.datasets.helpers import check_soundfont

        check_soundfont(CROSS_SOUNDFONT, corpus=NAME)


def parse(source):
    """Parse a corpus score; :class:`SkipItem` if music21 cannot."""
    from music21 import corpus

    try:
        return corpus.parse(source)
    except Exception as exc:  # corrupt file
        raise SkipItem(f"music21 cannot parse {source}: {type(exc).__name__}: {exc}") from None


def render(item, root: Path):
    """One chorale: audio, notes, beat chords, beats, downbeats, key (see the module docstring)."""
    from mirbook import scores, synth
    from mirbook.datasets.helpers import save_labelled_audio, score_to_events

    p = item.params
    score, key, key_method, ev = score_to_events(
        parse(p["source"]), bpm=p["bpm"], fermata_factor=p["fermata"],
        max_duration=p["max_duration"], min_cut=min(12.0, p["max_duration"] / 2),
        min_duration=min(10.0, p["max_duration"] / 2))
    programs = list(ENSEMBLES[p["ensemble"]])
    programs += [programs[-1]] * (ev["n_parts"] - len(programs))
    r = np.random.default_rng(item.seed)
    tracks = []
    for i in range(ev["n_parts"]):
        notes = [(a, b, m, p["velocity"] + int(r.integers(-8, 9)))
                 for a, b, m, v in ev["notes"] if v == i]
        tracks.append((programs[i], notes))
    from mirbook.datasets.helpers import use_soundfont

    with use_soundfont(p.get("soundfont", "TimGM6mb")):
        y = synth.render_tracks(tracks, sr=SR, duration=ev["end"] + TAIL, fade_out=0.2, peak=0.89)

    stem = item.id
    audio = f"audio/{stem}.flac"
    files = {
        "notes": f"labels/{stem}.notes.txt",
        "chords": f"labels/{stem}.chords.lab",
        "beats": f"labels/{stem}.beats.txt",
        "downbeats": f"labels/{stem}.downbeats.txt",
    }
    save_labelled_audio(root, audio, y, sr=SR)
    scores.write_notes(root / files["notes"], ev["notes"])
    scores.write_labeled_intervals(root / files["chords"], *ev["chords"])
    scores.write_times(root / files["beats"], ev["beats"])
    scores.write_times(root / files["downbeats"], ev["downbeats"])
    labels = ev["chords"][1]
    return {
        "path": audio,
        "files": files,
        "labels": {
            "key": key,
            "key_method": key_method,
            "bwv": p["bwv"],
            "riemenschneider": p["riemenschneider"],
            "title": p["title"] or "",
            "source": p["source"],
            "ensemble": p["ensemble"],
            "soundfont": p.get("soundfont", "TimGM6mb"),
            "programs": programs[: ev["n_parts"]],
            "tempo_bpm": p["bpm"],
            "time_signature": scores.time_signature(score),
            "duration": round(len(y) / SR, 4),
            "n_notes": len(ev["notes"]),
            "n_beats": len(ev["beats"]),
            "n_chord_labels": len(set(labels)),
            "expert_analysis": p["riemenschneider"] <= 20,
        },
    }


# ----------------------------------------------------------------------------------------------
# agreement with the expert analyses


def _expert_events(num, score):
    """``[(onset_q, pitch-class weights, root_pc)]`` of the expert analysis, on the score's clock.

    Raises :class:`SkipItem` when the analysis and the score do not have the same measures (the
    score of music21's corpus then has instrumental interludes the analysis leaves out).
    """
    from music21 import corpus

    rn_score = corpus.parse(f"bach/choraleAnalyses/riemenschneider{num:03d}.rntxt")
    m_off = {}
    for m in score.parts[0].getElementsByClass("Measure"):
        m_off.setdefault(m.number, float(m.offset))
    rns = list(rn_score.recurse().getElementsByClass("RomanNumeral"))
    last = max(rn.measureNumber for rn in rns)
    if last != max(m_off):
        raise SkipItem(f"the analysis has {last} measures, the score {max(m_off)}")
    events = []
    for rn in rns:
        w = np.zeros(12)
        for p in rn.pitches:
            w[p.pitchClass] = 1.0
        events.append((m_off[rn.measureNumber] + float(rn.offset), w, rn.root().pitchClass))
    events.sort(key=lambda e: e[0])
    return events


def _expert_labels(events, beats_q, shift=0):
    from mirbook import scores

    ons = [e[0] for e in events]
    out = []
    for b in beats_q:
        i = int(np.searchsorted(ons, b + 1e-9)) - 1
        if i < 0:
            out.append(None)
            continue
        _, w, root = events[i]
        out.append(scores.label_from_weights(np.roll(w, shift), bass=(root + shift) % 12))
    return out


def expert_agreement(*, numbers=range(1, 21), verbose=False):
    """Beat-level agreement of the chordify labels with the expert Roman-numeral analyses.

    music21 ships 20 analyses of Bach chorales (Riemenschneider 1-20, ``.rntxt``, by A. Jones,
    proofread by D. Tymoczko and H. Robb). On each beat of each (unexpanded, uncut) chorale, the
    expert chord (the Roman numeral sounding at the beat's onset, spelled as a Harte root-position
    label) is compared with ours, with :mod:`mir_eval.chord`'s ``root`` and ``majmin`` rules
    (``majmin`` ignores beats whose expert chord is neither major nor minor).

    Two editorial mismatches are handled: an analysis written in another key than music21's score
    (the analyses follow Riemenschneider's edition) is transposed onto the score (the shift that
    best aligns the roots; reported in ``shifts``); a score whose measures differ from the
    analysis' (instrumental interludes) is left out (reported in ``excluded``).

    Returns
    -------
    dict
        ``root``, ``majmin`` (overall, weighted by beat duration), ``n_beats``, ``n_chorales``,
        ``per_chorale`` (number -> (root, majmin)), ``shifts`` (number -> semitones, where not 0),
        ``excluded`` (number -> reason).
    """
    import mir_eval

    from mirbook import scores

    rows = {r[0]: r for r in chorale_list()}
    all_ref, all_est, all_dur = [], [], []
    per, shifts, excluded = {}, {}, {}
    for num in numbers:
        _, fn, _, _ = rows[num]
        score = parse(fn)
        parts = scores.check_score(score)
        beats_q, _, end_q = scores.beat_grid(parts[0])
        ivs, est = scores.beat_chords(scores.chordify_segments(score), beats_q, end=end_q)
        try:
            events = _expert_events(num, score)
        except (SkipItem, scores.ScoreError) as exc:
            excluded[num] = str(exc)
            continue
        onsets = [a for a, _ in ivs]
        best = None
        for shift in range(12):
            ref = _expert_labels(events, onsets, shift)
            hits = sum(r is not None and r != "N" and e != "N" and r.split(":")[0] == e.split(":")[0]
                       for r, e in zip(ref, est))
            if best is None or hits > best[0]:
                best = (hits, shift, ref)
        _, shift, ref = best
        if shift:
            shifts[num] = shift if shift <= 6 else shift - 12
        keep = [i for i, r in enumerate(ref) if r is not None]
        ref = [ref[i] for i in keep]
        est_k = [est[i] for i in keep]
        dur = np.array([ivs[i][1] - ivs[i][0] for i in keep])
        root = mir_eval.chord.weighted_accuracy(mir_eval.chord.root(ref, est_k), dur)
        mm = mir_eval.chord.weighted_accuracy(mir_eval.chord.majmin(ref, est_k), dur)
        per[num] = (round(float(root), 4), round(float(mm), 4))
        if verbose:
            print(f"riemenschneider {num:3d} {fn:<22} root {root:.3f}  majmin {mm:.3f}"
                  + (f"  (analysis transposed {shifts[num]:+d})" if shift else ""))
        all_ref += ref
        all_est += est_k
        all_dur.append(dur)
    if verbose:
        for num, why in excluded.items():
            print(f"riemenschneider {num:3d} left out: {why}")
    dur = np.concatenate(all_dur)
    return {
        "root": round(float(mir_eval.chord.weighted_accuracy(
            mir_eval.chord.root(all_ref, all_est), dur)), 4),
        "majmin": round(float(mir_eval.chord.weighted_accuracy(
            mir_eval.chord.majmin(all_ref, all_est), dur)), 4),
        "n_beats": int(len(all_ref)),
        "n_chorales": len(per),
        "per_chorale": per,
        "shifts": shifts,
        "excluded": excluded,
    }
