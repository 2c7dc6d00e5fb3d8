"""``mood``: a SYNTHETIC stand-in for multimodal (audio + lyrics) mood data.

Delbouys et al. (ISMIR 2018) predicted valence and arousal from Deezer audio previews and lyrics,
with labels from Million Song Dataset tags projected onto the valence/arousal plane. That data
cannot be fetched here. This corpus imitates its *shape*, not its content:

- **audio**: 10 s openings of Bach chorale harmonisations (music21 corpus), re-moded to major or
  minor (scale degrees 3 and 6, and 7 when going to major, moved by a semitone), played slow
  (54-72 quarter notes/min) or fast (120-150), soft (-32..-26 dBFS RMS, low velocities) or loud
  (-18..-13 dBFS RMS, high velocities), legato or staccato (notes cut to 35 % of their length),
  in the written register or an octave higher, on a piano, organ, strings or woodwinds drawn
  independently of the labels;
- **lyrics**: two lines, each in one of three styles drawn at random: *lexicon* (neutral frames
  filled with VADER lexicon words of the wanted polarity; vaderSentiment, MIT licence), *negated*
  (words of the opposite polarity under a negation: "I will never be lonely or sad again") and
  *imagery* (hand-written lines with no sentiment word: "the last train left without me"). So a
  word count or the VADER score is a noisy reading of the lyrics' polarity, not the label. High-
  arousal lyrics get exclamation marks and an upper-case word. The lyrics' polarity disagrees with
  the music's mode in ``1 - AGREEMENT`` = 30 % of the clips, so neither modality alone gives the
  valence;
- **labels**: ``valence_raw = 0.7 * mode (+1 major / -1 minor) + 0.7 * lyrics polarity (+1/-1) +
  noise (sd 0.3)``; ``arousal_raw = 0.8 z(tempo) + 0.4 z(loudness) + 0.6 articulation (+1
  staccato) + 0.4 register (+1 high) + 0.3 excited lyrics (+1/-1) + noise (sd 0.3)``; the lyrics
  are excited when the music's arousal is above the median in 75 % of the clips (so they carry a
  weak, redundant arousal cue); both are standardised over the corpus (``valence``, ``arousal``:
  mean 0, std 1); ``happy`` is ``valence_raw > 0`` (else sad). The factors (``mode``,
  ``tempo_bpm``, ``loudness_db``, ``articulation``, ``register``, ``lyrics_positive``,
  ``lyrics_styles``, ``lyrics_valence`` the VADER compound...) are in the record too.

So the relations a model can learn here are known by construction: read the results as a test of
the pipeline, never as a claim about real music and mood.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import Item, SkipItem, write_text

NAME = "mood"
DESCRIPTION = ("SYNTHETIC stand-in: re-moded chorales x tempo x loudness x articulation x "
               "register + lyric lines (lexicon, negated, imagery)")
# 2: DC removed and a -84 dBFS noise floor added to every clip (shortcut audit)
# 3: less circular (chapter 13): negated and imagery lyric lines, the label from the lyrics'
#    polarity (not their VADER score), articulation and register as arousal cues, 30 % disagreement
VERSION = 3
RENDERERS = ("mirbook.scores", "mirbook.synth")

DURATION = 10.0
#: Chorales (Riemenschneider numbers) used as music, and clips (conditions) drawn from each.
SOURCES = range(131, 179)
PER_SOURCE = 3
CELLS = [(m, t, l) for m in ("major", "minor") for t in ("slow", "fast") for l in ("soft", "loud")]
TEMPO = {"slow": (54.0, 72.0), "fast": (120.0, 150.0)}
LOUDNESS = {"soft": (-32.0, -26.0), "loud": (-18.0, -13.0)}
VELOCITY = {"soft": 45, "loud": 105}
ENSEMBLES = ("piano", "organ", "strings", "woodwinds")
AGREEMENT = 0.7
ARTICULATIONS = ("legato", "staccato")
REGISTERS = {"written": 0, "high": 12}
STACCATO = 0.35
#: Line styles of the lyrics and their probabilities.
LINE_STYLES = {"lexicon": 0.4, "negated": 0.3, "imagery": 0.3}
#: Weights of the label formulas (module docstring).
VALENCE_WEIGHTS = {"mode": 0.7, "lyrics": 0.7, "noise": 0.3}
AROUSAL_WEIGHTS = {"tempo": 0.8, "loudness": 0.4, "articulation": 0.6, "register": 0.4,
                   "lyrics": 0.3, "noise": 0.3}

#: Lexicon words containing these are never used (VADER's lexicon has slurs and profanity).
BLOCKLIST = ("fuck", "shit", "bitch", "cunt", "dick", "piss", "bastard", "whore", "slut", "damn",
             "crap", "ass", "nigg", "fag", "retard", "rape", "dumb", "stupid", "idiot", "moron",
             "suck", "kill", "murder", "suicid", "porn", "sex", "douche", "cock", "boob", "tit",
             "screw", "weapon", "terror", "hell", "haha", "lol", "lmao", "smiley", "jerk", "jackass",
             "prick", "twat", "wank", "bloody", "racis", "nazi", "torture", "abuse", "victim")

FRAMES = [
    "the night was {} and {}", "my heart is {} and {}", "we walked through {} and {}",
    "your eyes are {} and {}", "this road feels {} and {}", "the morning brings {} and {}",
    "all the letters speak of {} and {}", "in the river there is {} and {}",
    "the old house is full of {} and {}", "every song we sing is {} and {}",
    "under the lights I feel {} and {}", "the winter wind is {} and {}",
]

#: Negated frames, filled with words of the *opposite* polarity.
NEGATED_FRAMES = [
    "I will never be {} or {} again", "there is no {} and no {} in this town",
    "nothing here is {} or {}", "we are not {} and not {} tonight",
    "you were never {} nor {}", "no more {} and no more {} for us",
]

#: Lines with no sentiment-lexicon word: the polarity is in the picture, not in a word.
IMAGERY = {
    True: ["the sun comes up over the hill", "we dance in the kitchen until the morning",
           "the children run down to the sea", "the bells ring out across the town",
           "spring is back in the garden", "we sing all the way home",
           "the light comes in through the open door", "the boats come home with the tide",
           "the fields are gold in the evening", "we ride with the windows down"],
    False: ["the rain comes down all night", "the letters come back unopened",
            "the last train left without me", "nobody calls my name anymore",
            "the candle burns down to the end", "the house is cold since you went away",
            "the phone is silent on the table", "the road ends at the river",
            "your coat still hangs behind the door", "the clock stopped when you left"],
}


@lru_cache(maxsize=1)
def lexicon_words():
    """``(positive, negative)``: lower-case alphabetic VADER lexicon words with ``|valence| >= 1.5``.

    Sorted, so the lyric lines do not depend on the lexicon file's order.
    """
    import vaderSentiment

    path = Path(vaderSentiment.__file__).parent / "vader_lexicon.txt"
    pos, neg = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].isalpha() or not parts[0].islower():
            continue
        v = float(parts[1])
        if len(parts[0]) < 3 or any(b in parts[0] for b in BLOCKLIST):
            continue
        if v >= 1.5:
            pos.append(parts[0])
        elif v <= -1.5:
            neg.append(parts[0])
    return sorted(pos), sorted(neg)


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def lyric_lines(*, random_state, positive: bool, excited: bool, return_info=False):
    """Two lyric lines of the wanted polarity (and arousal cues), drawn with ``random_state``.

    Each line's style (:data:`LINE_STYLES`) is drawn: lexicon words of the polarity, negated
    words of the other polarity, or an imagery line without sentiment words. With
    ``return_info=True`` also returns the list of styles.
    """
    from mirbook._validate import random_state as _rs

    r = _rs(random_state)
    pos, neg = lexicon_words()
    names = list(LINE_STYLES)
    probs = np.array([LINE_STYLES[k] for k in names])
    lines, styles = [], []
    for _ in range(2):
        style = names[int(r.choice(len(names), p=probs / probs.sum()))]
        if style == "imagery":
            options = IMAGERY[bool(positive)]
            line = options[int(r.integers(len(options)))]
        else:
            words = pos if positive == (style == "lexicon") else neg
            frames = FRAMES if style == "lexicon" else NEGATED_FRAMES
            frame = frames[int(r.integers(len(frames)))]
            w1, w2 = (words[int(i)] for i in r.choice(len(words), size=2, replace=False))
            if excited and r.random() < 0.5:
                w2 = w2.upper()
            line = frame.format(w1, w2)
        line = line[0].upper() + line[1:]
        lines.append(line + ("!" * int(r.integers(1, 3)) if excited else ""))
        styles.append(style)
    return (lines, styles) if return_info else lines


def vader_compound(text):
    """VADER's compound valence of ``text`` (in [-1, 1])."""
    return float(_analyzer().polarity_scores(text)["compound"])


def _z(a):
    a = np.asarray(a, dtype=float)
    s = a.std()
    return (a - a.mean()) / (s if s > 0 else 1.0)


def plan(*, tiny):
    """Clips of the mood cells (mode x tempo x loudness) with their lyrics and labels."""
    from mirbook.datasets import chorales

    rows = {r[0]: r for r in chorales.chorale_list()}
    if tiny:
        sources, per_source = [131, 132, 133, 135], 1
    else:
        sources, per_source = list(SOURCES), PER_SOURCE
    raw = []
    for i, num in enumerate(sources):
        _, fn, bwv, title = rows[num]
        for j in range(per_source):
            # full: the 8 cells in turn; tiny: 4 clips, both modes, tempi and loudnesses
            cell = CELLS[(per_source * i + j) % len(CELLS)] if not tiny else CELLS[(0, 7, 5, 2)[i]]
            seed = 5000 + 10 * num + j
            r = np.random.default_rng(seed)
            mode, tempo, loud = cell
            bpm = float(r.uniform(*TEMPO[tempo]))
            loudness = float(r.uniform(*LOUDNESS[loud]))
            agree = bool(r.random() < AGREEMENT)
            lyrics_positive = (mode == "major") == agree
            raw.append({
                "source": fn, "bwv": bwv, "title": title, "num": num, "clip": j, "seed": seed,
                "mode": mode, "tempo": tempo, "loudness": loud,
                "bpm": round(bpm, 2), "loudness_db": round(loudness, 2),
                "articulation": ARTICULATIONS[int(r.integers(2))],
                "register": list(REGISTERS)[int(r.integers(2))],
                "ensemble": ENSEMBLES[int(r.integers(len(ENSEMBLES)))],
                "lyrics_positive": lyrics_positive,
                "noise": (float(r.normal(0, 1)), float(r.normal(0, 1))),
                "rng": r,
            })
    sign = lambda flags: np.where(np.asarray(flags), 1.0, -1.0)  # noqa: E731
    vw, aw = VALENCE_WEIGHTS, AROUSAL_WEIGHTS
    music_arousal = (aw["tempo"] * _z([d["bpm"] for d in raw])
                     + aw["loudness"] * _z([d["loudness_db"] for d in raw])
                     + aw["articulation"] * sign([d["articulation"] == "staccato" for d in raw])
                     + aw["register"] * sign([d["register"] == "high" for d in raw]))
    median = float(np.median(music_arousal))
    for d, m_a in zip(raw, music_arousal):
        r = d.pop("rng")
        d["lyrics_excited"] = bool((m_a > median) == bool(r.random() < 0.75))
        lines, styles = lyric_lines(random_state=r, positive=d["lyrics_positive"],
                                    excited=d["lyrics_excited"], return_info=True)
        d["lyrics"] = "\n".join(lines)
        d["lyrics_styles"] = styles
        d["lyrics_valence"] = round(vader_compound(d["lyrics"]), 4)
        d["exclamations"] = d["lyrics"].count("!")
    v_raw = (vw["mode"] * sign([d["mode"] == "major" for d in raw])
             + vw["lyrics"] * sign([d["lyrics_positive"] for d in raw])
             + vw["noise"] * np.array([d["noise"][0] for d in raw]))
    a_raw = (music_arousal + aw["lyrics"] * sign([d["lyrics_excited"] for d in raw])
             + aw["noise"] * np.array([d["noise"][1] for d in raw]))
    v, a = _z(v_raw), _z(a_raw)
    items = []
    tiny_splits = ["train", "train", "validation", "test"]
    for k, d in enumerate(raw):
        d = dict(d)
        d.pop("noise")
        d["valence"] = round(float(v[k]), 4)
        d["arousal"] = round(float(a[k]), 4)
        d["valence_raw"] = round(float(v_raw[k]), 4)
        d["arousal_raw"] = round(float(a_raw[k]), 4)
        d["happy"] = bool(v_raw[k] > 0)
        items.append(Item(
            id=f"r{d['num']:03d}-bwv{d['bwv']}-{d['clip']}",
            group=chorales.group_of(bwv=d["bwv"], title=d["title"]),
            seed=d["seed"], params=d,
            split=tiny_splits[sources.index(d["num"])] if tiny else None))
    return items


def check():
    """FluidSynth is needed (:func:`mirbook.synth.check_fluidsynth`)."""
    from mirbook.synth import check_fluidsynth

    check_fluidsynth(corpus=NAME)


def remode(notes, *, tonic_pc, source_mode, target_mode):
    """Move scale degrees to turn a major-key note list into minor or back.

    Major -> minor (harmonic minor): degrees 3 and 6 go down a semitone (the leading tone stays).
    Minor -> major: the minor third, sixth and seventh go up a semitone.
    """
    if source_mode == target_mode:
        return list(notes)
    if source_mode == "major":
        moves = {4: -1, 9: -1}
    else:
        moves = {3: +1, 8: +1, 10: +1}
    out = []
    for on, off, m, v in notes:
        out.append((on, off, m + moves.get((m - tonic_pc) % 12, 0), v))
    return out


def render(item, root: Path):
    """One re-moded, re-timed chorale clip and its lyrics file."""
    from mirbook import synth
    from mirbook.chords import ROOTS
    from mirbook.datasets import chorales
    from mirbook.datasets.helpers import save_labelled_audio, score_to_events

    p = item.params
    score, key, _, ev = score_to_events(
        chorales.parse(p["source"]), bpm=p["bpm"], fermata_factor=1.6,
        max_duration=DURATION + 6.0, min_cut=DURATION + 1.0, chords=False)
    if ev["end"] < DURATION:
        raise SkipItem(f"only {ev['end']:.1f} s of music at {p['bpm']} bpm")
    tonic_name, source_mode = key.split()
    tonic_pc = ROOTS.index(tonic_name) if tonic_name in ROOTS else \
        {"C#": 1, "Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10}[tonic_name]
    r = np.random.default_rng(item.seed)
    vel = VELOCITY[p["loudness"]]
    notes = [(a, b, m, int(np.clip(vel + r.normal(0, 6), 15, 127)), i)
             for a, b, m, i in ev["notes"] if a < DURATION]
    if p.get("articulation") == "staccato":  # the attack stays, the note is cut short
        notes = [(a, a + max(0.06, STACCATO * (b - a)), m, v, i) for a, b, m, v, i in notes]
    programs = list(chorales.ENSEMBLES[p["ensemble"]])
    n_parts = ev["n_parts"]
    programs += [programs[-1]] * (n_parts - len(programs))
    tracks = []
    for i in range(n_parts):
        part = [(a, b, m, v) for a, b, m, v, j in notes if j == i]
        part = remode(part, tonic_pc=tonic_pc, source_mode=source_mode, target_mode=p["mode"])
        shift = REGISTERS[p.get("register", "written")]
        tracks.append((programs[i], [(a, b, m + shift, v) for a, b, m, v in part]))
    y = synth.render_tracks(tracks, sr=SR, duration=DURATION, fade_out=0.5).astype(np.float64)
    rms = np.sqrt(np.mean(y**2))
    if rms <= 0:
        raise SkipItem("silent rendering")
    y *= 10 ** (p["loudness_db"] / 20) / rms
    peak = np.abs(y).max()
    if peak > 0.99:  # a limiter would change the timbre; turn the clip down instead
        y *= 0.99 / peak
    measured = 20 * np.log10(np.sqrt(np.mean(y**2)))
    audio = f"audio/{item.id}.flac"
    files = {"lyrics": f"lyrics/{item.id}.txt"}
    save_labelled_audio(root, audio, y.astype(np.float32), sr=SR)
    write_text(root / files["lyrics"], p["lyrics"] + "\n")
    labels = {k: p[k] for k in ("valence", "arousal", "happy", "valence_raw", "arousal_raw",
                                "mode", "tempo", "loudness", "articulation", "register",
                                "lyrics", "lyrics_valence", "lyrics_positive", "lyrics_styles",
                                "lyrics_excited", "exclamations", "ensemble", "bwv", "source")}
    labels.update({
        "tempo_bpm": p["bpm"], "loudness_db": p["loudness_db"],
        "loudness_db_measured": round(float(measured), 2),
        "source_key": key, "title": p["title"] or "", "duration": DURATION,
        "synthetic": True,
    })
    return {"path": audio, "files": files, "labels": labels}
