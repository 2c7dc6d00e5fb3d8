"""``piano``: chorales and folk tunes rendered on the acoustic grand piano, plus isolated notes.

Two kinds of items (the record's ``labels["kind"]``):

``"piece"``
    A Bach chorale (music21 corpus, four voices) or an Essen folk song (music21 corpus, one voice),
    repeats expanded, cut at a phrase end or bar line (10-20 s), played on General MIDI program 0
    (acoustic grand piano, TimGM6mb soundfont, FluidSynth) with a per-note velocity drawn around a
    per-piece dynamic. ``files["notes"]`` lists ``onset offset frequency_hz`` (mir_eval
    transcription format), exactly the notes the synthesizer played; offsets are the key
    releases (the sound decays a little after them).
``"note"``
    One isolated piano note, 1 s long (the key is held for the whole second), for every MIDI pitch
    from 21 (A0) to 108 (C8) at three velocities: the dictionary ``W`` of supervised NMF
    (chapter 9). The labels give ``midi``, ``note_name``, ``frequency_hz``, ``velocity``. All of
    them are in the ``train`` split.

Audio is FLAC, 22050 Hz, mono. Pieces are split by source piece (the chorale's title, the folk
song's collection and number).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import Item, SkipItem

NAME = "piano"
DESCRIPTION = "chorales and folk songs on piano (FLAC) with note lists, plus isolated notes 21-108"
VERSION = 1
RENDERERS = ("mirbook.scores", "mirbook.synth")

PROGRAM = 0  # acoustic grand piano
NOTE_RANGE = (21, 108)
VELOCITIES = (40, 80, 120)
NOTE_DURATION = 1.0
MAX_DURATION = 19.0
TAIL = 1.0
#: Chorales (Riemenschneider numbers) and Essen collections used for the pieces.
CHORALES = range(101, 131)
FOLK = {"altdeu10": 6, "ballad10": 6, "kinder0": 6, "boehme10": 6}
TINY_MAX_DURATION = 5.0


def note_name(midi):
    """Scientific pitch name of a MIDI number, with sharps (``60 -> "C4"``, ``21 -> "A0"``)."""
    names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    return f"{names[midi % 12]}{midi // 12 - 1}"


def plan(*, tiny):
    """Chorale and folk pieces, then the isolated notes (see the module docstring)."""
    from mirbook.datasets import chorales

    items = []
    rows = {r[0]: r for r in chorales.chorale_list()}
    if tiny:
        chosen = [101, 102]
        folk = [("altdeu10", 1), ("kinder0", 2)]
        notes = [(48, 80), (60, 80), (64, 40), (67, 120)]
        max_d = TINY_MAX_DURATION
        splits = iter(["train", "validation", "test", "train"])
    else:
        chosen = list(CHORALES)
        folk = [(f, n) for f, k in FOLK.items() for n in range(1, k + 1)]
        notes = [(m, v) for m in range(NOTE_RANGE[0], NOTE_RANGE[1] + 1) for v in VELOCITIES]
        max_d = MAX_DURATION
        splits = None
    for num in chosen:
        _, fn, bwv, title = rows[num]
        seed = 2000 + num
        r = np.random.default_rng(seed)
        items.append(Item(
            id=f"pieces/chorale-r{num:03d}-bwv{bwv}", group=chorales.group_of(bwv=bwv, title=title), seed=seed,
            params={"kind": "piece", "source": fn, "number": None, "style": "chorale",
                    "bpm": round(float(r.uniform(60, 90)), 2), "dynamic": int(r.integers(55, 100)),
                    "max_duration": max_d},
            split=next(splits) if splits else None))
    for i, (coll, n) in enumerate(folk):
        seed = 3000 + i
        r = np.random.default_rng(seed)
        items.append(Item(
            id=f"pieces/folk-{coll}-{n:03d}", group=f"folk:{coll}:{n}", seed=seed,
            params={"kind": "piece", "source": f"essenFolksong/{coll}", "number": n,
                    "style": "folk", "bpm": round(float(r.uniform(80, 120)), 2),
                    "dynamic": int(r.integers(55, 100)), "max_duration": max_d},
            split=next(splits) if splits else None))
    for midi, vel in notes:
        items.append(Item(
            id=f"notes/{midi:03d}-v{vel:03d}", group="piano:isolated-notes", seed=midi * 1000 + vel,
            params={"kind": "note", "midi": midi, "velocity": vel}, split="train"))
    return items


def check():
    """FluidSynth is needed (:func:`mirbook.synth.check_fluidsynth`)."""
    from mirbook.synth import check_fluidsynth

    check_fluidsynth(corpus=NAME)


def _render_note(item, root):
    from mirbook import scores, synth
    from mirbook.convert import midi_to_hz
    from mirbook.datasets.helpers import save_labelled_audio

    p = item.params
    notes = [(0.0, NOTE_DURATION, p["midi"], p["velocity"])]
    y = synth.render_tracks([(PROGRAM, notes)], sr=SR, duration=NOTE_DURATION, fade_out=0.01)
    if not np.any(y):
        raise SkipItem(f"the soundfont gives silence for MIDI {p['midi']}")
    audio = f"{item.id}.flac"
    files = {"notes": f"{item.id}.notes.txt"}
    save_labelled_audio(root, audio, y, sr=SR)
    scores.write_notes(root / files["notes"], notes)
    return {"path": audio, "files": files, "labels": {
        "kind": "note", "midi": p["midi"], "note_name": note_name(p["midi"]),
        "frequency_hz": round(float(midi_to_hz(p["midi"])), 4),
        "velocity": p["velocity"], "style": "isolated", "duration": NOTE_DURATION,
        "n_notes": 1}}


def render(item, root: Path):
    """A piece (score to piano audio and notes) or an isolated note."""
    from music21 import corpus

    from mirbook import scores, synth
    from mirbook.datasets.helpers import save_labelled_audio, score_to_events

    p = item.params
    if p["kind"] == "note":
        return _render_note(item, root)
    try:
        score = (corpus.parse(p["source"], number=p["number"]) if p["number"] is not None
                 else corpus.parse(p["source"]))
    except Exception as exc:
        raise SkipItem(f"music21 cannot parse {p['source']} #{p['number']}: {exc}") from None
    if score is None or not hasattr(score, "parts"):
        raise SkipItem(f"{p['source']} #{p['number']}: not a single score")
    score, key, _, ev = score_to_events(
        score, bpm=p["bpm"], fermata_factor=1.6, max_duration=p["max_duration"],
        min_cut=min(10.0, p["max_duration"] / 2), chords=False,
        min_duration=min(8.0, p["max_duration"] / 2))
    r = np.random.default_rng(item.seed)
    notes = [(a, b, m, int(np.clip(p["dynamic"] + r.normal(0, 8), 20, 127)))
             for a, b, m, _ in ev["notes"]]
    y = synth.render_tracks([(PROGRAM, notes)], sr=SR, duration=ev["end"] + TAIL, fade_out=0.3,
                            peak=0.89)
    audio = f"{item.id}.flac"
    files = {"notes": f"{item.id}.notes.txt"}
    save_labelled_audio(root, audio, y, sr=SR)
    scores.write_notes(root / files["notes"], notes)
    pitches = [m for _, _, m, _ in notes]
    title = score.metadata.title if score.metadata is not None else None
    return {"path": audio, "files": files, "labels": {
        "kind": "piece", "style": p["style"], "source": p["source"],
        "number": p["number"] if p["number"] is not None else 0,
        "title": title or "", "tempo_bpm": p["bpm"], "dynamic": p["dynamic"],
        "key": key, "duration": round(len(y) / SR, 4),
        "n_notes": len(notes), "polyphony": ev["n_parts"],
        "pitch_min": int(min(pitches)), "pitch_max": int(max(pitches))}}
