"""``piano``: chorales, folk tunes, reels and quartet movements on the piano, plus isolated notes.

Two kinds of items (the record's ``labels["kind"]``):

``"piece"``
    A Bach chorale (music21 corpus, four voices) or an Essen folk song (music21 corpus, one voice),
    repeats expanded, cut at a phrase end or bar line (10-20 s), played on General MIDI program 0
    (acoustic grand piano, TimGM6mb soundfont, FluidSynth) with a per-note velocity drawn around a
    per-piece dynamic. ``files["notes"]`` lists ``onset offset frequency_hz`` (mir_eval
    transcription format), exactly the notes the synthesizer played; offsets are the key
    releases (the sound decays a little after them).

    Besides the chorales and Essen folk songs at their usual tempi (2-6 notes/s), the full corpus
    has **dense pieces** so that the note density spans 2 to 12 notes per second: reels,
    hornpipes and jigs of Ryan's Mammoth Collection and movements of string quartets (in every
    split: :data:`DENSE_SPLITS`) (Haydn op. 1
    no. 1, Mozart K. 155/156/458, Beethoven op. 59; none of the reserved works), played on the
    piano at a tempo chosen so that the excerpt reaches a *target density* drawn per piece
    (``labels["density"]``, notes per second, measured; the manifest's ``density_histogram``).
    The ``transfer`` split holds the held-out (validation/test) pieces again, rendered with a
    second General MIDI piano (``FluidR3_GM``, Debian's ``fluid-soundfont-gm``; ids
    ``fluidr3/...``), for the cross-soundfont row of chapter 9.
``"note"``
    One isolated piano note, 1 s long (the key is held for the whole second), for every MIDI pitch
    from 21 (A0) to 108 (C8) at three velocities: the dictionary ``W`` of supervised NMF
    (chapter 9). The labels give ``midi``, ``note_name``, ``frequency_hz``, ``velocity``. All of
    them are in the ``train`` split.

Audio is FLAC, 22050 Hz, mono. Pieces are split by source piece (the chorale's title, the folk
song's collection and number).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import Item, SkipItem

NAME = "piano"
DESCRIPTION = "chorales and folk songs on piano (FLAC) with note lists, plus isolated notes 21-108"
VERSION = 2  # 2: DC removed and a -84 dBFS noise floor added to every clip (shortcut audit)
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
#: Dense pieces: how many reels/jigs and quartet movements, and the target densities (notes/s).
#: Dense pieces per split, for the reels/jigs and for the quartet movements each (fewer where the
#: collection has too few pieces of a split; odd quartet scores are skipped at render time).
DENSE_SPLITS = {"train": 7, "validation": 3, "test": 6}
DENSITY_RANGE = (2.0, 12.0)
BPM_RANGE = (40.0, 300.0)
#: Density bins (notes/s) of the manifest's histogram and of chapter 9's per-band scores.
DENSITY_BINS = (0, 2, 4, 6, 8, 10, 12, 100)
#: The second piano of the ``transfer`` split.
CROSS_SOUNDFONT = "FluidR3_GM"


def note_name(midi):
    """Scientific pitch name of a MIDI number, with sharps (``60 -> "C4"``, ``21 -> "A0"``).

    :func:`mirbook.convert.midi_to_note` (kept here as the corpus's label writer).
    """
    from mirbook.convert import midi_to_note

    return midi_to_note(midi)


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
    if not tiny:
        items += _dense_items(max_d)
        from mirbook.datasets.core import TRANSFER, assign_split

        for it in list(items):
            if it.params["kind"] == "piece" and assign_split(it.group) in ("validation", "test"):
                items.append(Item(id=f"fluidr3/{it.id}", group=f"{it.group}@{CROSS_SOUNDFONT}",
                                  seed=it.seed, params={**it.params, "soundfont": CROSS_SOUNDFONT},
                                  split=TRANSFER))
    for midi, vel in notes:
        items.append(Item(
            id=f"notes/{midi:03d}-v{vel:03d}", group="piano:isolated-notes", seed=midi * 1000 + vel,
            params={"kind": "note", "midi": midi, "velocity": vel}, split="train"))
    return items


def _dense_items(max_d):
    """Reels/jigs and quartet movements with target densities spread over :data:`DENSITY_RANGE`."""
    from mirbook.datasets.sources import symbolic

    rng = np.random.default_rng(4242)
    reels = [p for p in symbolic.pieces("folk") if p[0].startswith("ryansMammoth/")
             and re.search(r"(Reel|Hornpipe|Jig)\.abc$", p[0])]
    quartets = list(symbolic.pieces("classical-quartet"))
    from mirbook.datasets.core import assign_split

    def take(style, pool, want):
        # by the piece's own (hashed) split, so that every split has dense pieces
        out, want = [], dict(want)
        for i in rng.permutation(len(pool)):
            split = assign_split(pool[int(i)][3])
            if want.get(split, 0) > 0:
                want[split] -= 1
                out.append((style, pool[int(i)]))
        return out

    chosen = take("reel", reels, DENSE_SPLITS) + take("quartet", quartets, DENSE_SPLITS)
    lo, hi = DENSITY_RANGE
    targets = rng.permutation(np.linspace(lo + 1.0, hi, len(chosen)))
    items = []
    for k, ((style, piece), target) in enumerate(zip(chosen, targets)):
        src = piece[0]
        seed = 5000 + k
        r = np.random.default_rng(seed)
        slug = re.sub(r"[^a-z0-9]+", "-", src.lower().rsplit(".", 1)[0]).strip("-")
        items.append(Item(
            id=f"pieces/{style}-{slug}", group=piece[3], seed=seed,
            params={"kind": "piece", "source": src, "number": None, "style": style,
                    "target_density": round(float(target), 2),
                    "dynamic": int(r.integers(55, 100)), "max_duration": max_d}))
    return items


def check():
    """FluidSynth is needed (:func:`mirbook.synth.check_fluidsynth`)."""
    from mirbook.synth import check_fluidsynth

    check_fluidsynth(corpus=NAME)


def prepare(*, tiny):
    """The full corpus needs the second piano (:data:`CROSS_SOUNDFONT`)."""
    if not tiny:
        from mirbook.datasets.helpers import check_soundfont

        check_soundfont(CROSS_SOUNDFONT, corpus=NAME)


def _bpm_for_density(score, target, max_duration):
    """The tempo at which the first ``max_duration`` s of ``score`` have ``target`` notes/s."""
    from mirbook.datasets.helpers import score_to_events

    _, _, _, ev = score_to_events(score, bpm=60.0, fermata_factor=1.0, max_duration=4 * max_duration,
                                  min_cut=1.0, chords=False)
    n_per_quarter = len(ev["notes"]) / max(ev["end"], 1e-6)       # at 60 bpm: 1 s = 1 quarter
    return float(np.clip(60.0 * target / max(n_per_quarter, 1e-6), *BPM_RANGE))


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
    bpm = p["bpm"] if "bpm" in p else round(_bpm_for_density(score, p["target_density"],
                                                                 p["max_duration"]), 2)
    score, key, _, ev = score_to_events(
        score, bpm=bpm, fermata_factor=1.6, max_duration=p["max_duration"],
        min_cut=min(10.0, p["max_duration"] / 2), chords=False,
        min_duration=min(8.0, p["max_duration"] / 2))
    r = np.random.default_rng(item.seed)
    notes = [(a, b, m, int(np.clip(p["dynamic"] + r.normal(0, 8), 20, 127)))
             for a, b, m, _ in ev["notes"]]
    from mirbook.datasets.helpers import use_soundfont

    with use_soundfont(p.get("soundfont", "TimGM6mb")):
        y = synth.render_tracks([(PROGRAM, notes)], sr=SR, duration=ev["end"] + TAIL,
                                fade_out=0.3, peak=0.89)
    audio = f"{item.id}.flac"
    files = {"notes": f"{item.id}.notes.txt"}
    save_labelled_audio(root, audio, y, sr=SR)
    scores.write_notes(root / files["notes"], notes)
    pitches = [m for _, _, m, _ in notes]
    title = score.metadata.title if score.metadata is not None else None
    return {"path": audio, "files": files, "labels": {
        "kind": "piece", "style": p["style"], "source": p["source"],
        "number": p["number"] if p["number"] is not None else 0,
        "title": title or "", "tempo_bpm": bpm, "dynamic": p["dynamic"],
        "key": key, "duration": round(len(y) / SR, 4),
        "n_notes": len(notes), "density": round(len(notes) / max(ev["end"], 1e-6), 3),
        "soundfont": p.get("soundfont", "TimGM6mb"), "polyphony": ev["n_parts"],
        "pitch_min": int(min(pitches)), "pitch_max": int(max(pitches))}}


def manifest_extra(records, *, tiny):
    """The note-density histogram of the pieces (notes/s, bins :data:`DENSITY_BINS`), per split."""
    pieces = [r for r in records if r["labels"].get("kind") == "piece"]
    edges = np.asarray(DENSITY_BINS, dtype=float)
    out = {"density_bins": list(DENSITY_BINS), "density_histogram": {}}
    for split in sorted({r["split"] for r in pieces}):
        d = [r["labels"]["density"] for r in pieces if r["split"] == split]
        out["density_histogram"][split] = np.histogram(d, bins=edges)[0].tolist()
    d = [r["labels"]["density"] for r in pieces]
    out["density_histogram"]["all"] = np.histogram(d, bins=edges)[0].tolist()
    if d:
        out["density_range"] = [round(float(min(d)), 2), round(float(max(d)), 2)]
    return out
