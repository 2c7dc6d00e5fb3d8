"""``speech_music``: 5-second clips of speech or music, clean and under hard test conditions.

The corpus of the speech/music discrimination chapter (``notebooks/07_speech_music.ipynb``), built
offline from (see :mod:`mirbook.datasets.sources`):

- **speech** -- sentences in 14 languages spoken by espeak-ng (13 voice variants, pitch and speed
  drawn per clip) and in English by flite's voices (:mod:`~mirbook.datasets.sources.speech`);
- **music** -- excerpts of real recordings by 11 human composers from five Debian game-music
  packages (:mod:`~mirbook.datasets.sources.debian_music`) and excerpts of music21 scores (Bach
  chorales, Palestrina, folk tunes) rendered with FluidSynth
  (:mod:`~mirbook.datasets.sources.symbolic`).

Every clip is 5.0 s, 22050 Hz mono FLAC, scaled to an RMS level drawn from the same range for both
classes (-26 to -16 dBFS), so that loudness does not give the class away.

``condition`` marks the clean clips (``"clean"``) and the **hard test conditions**, made only
from validation/test voices, artists and pieces (a model trained on the train split never heard
their sources): ``"mp3_32k"`` (MP3 at 32 kbit/s), ``"telephone"`` (8 kHz, 300-3400 Hz, mu-law),
``"noise"`` (pink noise at ``snr_db`` of 0, 5 or 10 dB), ``"reverb"`` (synthetic room,
``rt60`` 0.6-1.5 s), ``"speech_over_music"`` (speech over a music bed ``smr_db`` 0-10 dB below
it; label ``speech``). See :mod:`mirbook.effects`.

Splits: speech by voice (engine, language, variant) -- and each sentence is spoken in one clip
only; recorded music by artist (:data:`~mirbook.datasets.sources.debian_music.ARTIST_SPLITS`);
rendered music by piece.

The ``tiny`` variant (10 clips) uses espeak-ng, flite and rendered scores only: no download.
The full corpus needs the Debian packages: :func:`prepare` fetches and unpacks them (once, into
the cache) before :func:`plan` reads their cached catalogue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import Item, assign_split

NAME = "speech_music"
DESCRIPTION = ("5 s clips: speech (espeak-ng/flite, 14 languages) vs music (Debian game music + "
               "rendered scores), clean and hard conditions")
VERSION = 1
RENDERERS = ("mirbook.effects", "mirbook.scores", "mirbook.synth")
DURATION = 5.0

#: Clean clips per class in the full corpus.
N_SPEECH_ESPEAK_PER_LANGUAGE = 10
N_SPEECH_FLITE = 20
#: Rendered music clips per style (chorales, Palestrina, folk) and split.
RENDERED_SPLITS = {"train": 12, "validation": 2, "test": 2}
MAX_PER_ARTIST = 12                    # recorded music clips per artist (at most 4 per track)
#: Hard conditions: clips per class (speech_over_music: twice as many speech clips, no music).
N_HARD = 12
CONDITIONS = ("mp3_32k", "telephone", "noise", "reverb", "speech_over_music")
RENDERED_STYLES = ("baroque-chorale", "renaissance-polyphony", "folk")


def check():
    """espeak-ng, flite and FluidSynth are needed."""
    from mirbook.datasets.sources.speech import check_engine
    from mirbook.synth import check_fluidsynth

    check_engine("espeak-ng", corpus=NAME)
    check_engine("flite", corpus=NAME)
    check_fluidsynth(corpus=NAME)


def prepare(*, tiny):
    """Fetch, unpack and catalogue the Debian music packages (full corpus only; cached)."""
    if not tiny:
        from mirbook.datasets.sources import debian_music

        debian_music.catalog()


# ------------------------------------------------------------------------------------------------
# plan


class _Sentences:
    """Hands out each sentence of a language once (so no sentence is in two splits)."""

    def __init__(self, seed):
        from mirbook.datasets.sources import speech

        self._pools = {lang: speech.sentences(lang, n=len(speech.all_sentences(lang)),
                                              random_state=seed + i)
                       for i, lang in enumerate(sorted(speech.LANGUAGES))}

    def take(self, lang, n):
        pool = self._pools[lang]
        if len(pool) < n:
            raise ValueError(f"{lang}: out of sentences")
        out, self._pools[lang] = pool[:n], pool[n:]
        return out


def _speech_params(engine, lang, voice, rng):
    if engine == "espeak-ng":
        return {"engine": engine, "language": lang, "voice": voice,
                "pitch": int(rng.integers(30, 76)), "speed": int(rng.integers(140, 186))}
    return {"engine": engine, "language": "en", "voice": voice,
            "stretch": round(float(rng.uniform(0.9, 1.2)), 3)}


def _voice_group(engine, lang, voice):
    if engine == "flite":
        return f"voice:flite:{'kal' if voice.startswith('kal') else voice}"
    return f"voice:espeak-ng:{lang}+{voice}"


def _level(rng):
    return round(float(rng.uniform(-26.0, -16.0)), 2)


def _real_excerpts(tracks, artists, per_artist, rng, exclude=()):
    """Offsets of ``per_artist(artist)`` 5-s excerpts per artist, spread over its tracks."""
    from mirbook.datasets.helpers import spread_excerpts

    out = []
    for artist in artists:
        ts = [t for t in tracks if t.artist == artist]
        n = per_artist(artist, len(ts))
        k = 0
        for t, offset in spread_excerpts(ts, n, random_state=rng, duration=DURATION,
                                         lo_frac=0.08, hi_frac=0.84):
            key = (t.member, round(offset, 1))
            if key in exclude:
                offset += DURATION
            out.append({"track": t.to_dict(), "offset": round(float(offset), 3), "k": k})
            k += 1
    return out


def _music_real_params(ex):
    t = ex["track"]
    return {"kind": "recorded", "package": t["package"], "artist": t["artist"],
            "title": t["title"], "member": t["member"],
            "licence": t["licence"], "offset": ex["offset"]}


def plan(*, tiny):
    """The clips: clean speech and music, then the hard conditions (see the module docstring)."""
    from mirbook.datasets.sources import speech, symbolic

    rng = np.random.default_rng(7007)
    sent = _Sentences(seed=11)
    items = []

    def add(id_, group, seed, params, split=None):
        items.append(Item(id=id_, group=group, seed=seed, params=params, split=split))

    if tiny:
        voices = [("espeak-ng", "en", "m3", "train"), ("espeak-ng", "fr", "f2", "train"),
                  ("espeak-ng", "ru", "m1", "validation"), ("flite", "en", "slt", "test")]
        for i, (engine, lang, voice, split) in enumerate(voices):
            p = _speech_params(engine, lang, voice, rng)
            p.update(kind="speech", texts=sent.take(lang, 3), level=_level(rng), condition="clean")
            add(f"clean/speech_{i:04d}", _voice_group(engine, lang, voice), 100 + i, p, split)
        styles = ["baroque-chorale", "folk", "folk", "baroque-chorale"]
        for i, (style, split) in enumerate(zip(styles, ["train", "train", "validation", "test"])):
            p = symbolic.choose(style, 1, random_state=np.random.default_rng(200 + i))[0]
            p.update(kind="rendered", level=_level(rng), condition="clean", seed=200 + i)
            add(f"clean/music_{i:04d}", p["group"], 200 + i, p, split)
        p = _speech_params("espeak-ng", "de", "f4", rng)
        p.update(kind="speech", texts=sent.take("de", 3), level=_level(rng), condition="telephone")
        add("telephone/speech_0000", _voice_group("espeak-ng", "de", "f4"), 300, p, "test")
        p = symbolic.choose("folk", 1, random_state=np.random.default_rng(301))[0]
        p.update(kind="rendered", level=_level(rng), condition="mp3_32k", seed=301)
        add("mp3_32k/music_0000", p["group"], 301, p, "test")
        return items

    from mirbook.datasets.sources import debian_music

    # --- clean speech
    k = 0
    for lang in sorted(speech.LANGUAGES):
        for _ in range(N_SPEECH_ESPEAK_PER_LANGUAGE):
            voice = speech.ESPEAK_VARIANTS[int(rng.integers(len(speech.ESPEAK_VARIANTS)))]
            p = _speech_params("espeak-ng", lang, voice, rng)
            p.update(kind="speech", texts=sent.take(lang, 4), level=_level(rng), condition="clean")
            add(f"clean/speech_{k:04d}", _voice_group("espeak-ng", lang, voice), 10_000 + k, p)
            k += 1
    for j in range(N_SPEECH_FLITE):
        voice = speech.FLITE_VOICES[j % len(speech.FLITE_VOICES)]
        p = _speech_params("flite", "en", voice, rng)
        p.update(kind="speech", texts=sent.take("en", 4), level=_level(rng), condition="clean")
        add(f"clean/speech_{k:04d}", _voice_group("flite", "en", voice), 10_000 + k, p)
        k += 1
    n_speech = k

    # --- clean music: recordings (split by artist) and rendered scores (split by piece)
    tracks = debian_music.load_catalog()
    artists = sorted({t.artist for t in tracks})
    unknown = set(artists) - set(debian_music.ARTIST_SPLITS)
    if unknown:
        raise ValueError(f"artists without a split in ARTIST_SPLITS: {sorted(unknown)}")
    real = _real_excerpts(tracks, artists, lambda a, n: min(MAX_PER_ARTIST, 4 * n), rng)
    k = 0
    for ex in real:
        p = _music_real_params(ex)
        p.update(level=_level(rng), condition="clean")
        add(f"clean/music_{k:04d}", f"artist:{p['artist']}", 20_000 + k, p,
            debian_music.ARTIST_SPLITS[p["artist"]])
        k += 1
    used_pieces = set()
    for style in RENDERED_STYLES:
        for p in symbolic.choose(style, 0, random_state=rng, splits=RENDERED_SPLITS):
            used_pieces.add((p["source"], p["number"]))
            p.update(kind="rendered", level=_level(rng), condition="clean", seed=20_000 + k)
            add(f"clean/music_{k:04d}", p["group"], 20_000 + k, p)
            k += 1
    if abs(k - n_speech) > 0.05 * n_speech:
        raise AssertionError(f"unbalanced clean classes: {n_speech} speech, {k} music")

    # --- hard conditions, from held-out (validation/test) voices, artists and pieces only
    held = ("validation", "test")
    held_voices = {s: [] for s in held}
    for lang in sorted(speech.LANGUAGES):
        for voice in speech.ESPEAK_VARIANTS:
            s = assign_split(_voice_group("espeak-ng", lang, voice))
            if s in held:
                held_voices[s].append(("espeak-ng", lang, voice))
    held_artists = {s: [a for a in artists if debian_music.ARTIST_SPLITS[a] == s] for s in held}
    held_pieces = {s: [] for s in held}
    for style in RENDERED_STYLES:
        for p in symbolic.choose(style, 60, random_state=np.random.default_rng(5000),
                                 exclude=used_pieces):
            s = assign_split(p["group"])
            if s in held:
                held_pieces[s].append(p)

    def held_speech(i):
        split = held[i % 2]
        engine, lang, voice = held_voices[split][int(rng.integers(len(held_voices[split])))]
        p = _speech_params(engine, lang, voice, rng)
        p.update(kind="speech", texts=sent.take(lang, 4), level=_level(rng))
        return p, _voice_group(engine, lang, voice), split

    def held_music(i, pieces_left):
        split = held[i % 2]
        if i % 3 == 2 and pieces_left[split]:
            p = dict(pieces_left[split].pop(0))
            p.update(kind="rendered")
            return p, p["group"], split
        artist = held_artists[split][int(rng.integers(len(held_artists[split])))]
        ts = [t for t in tracks if t.artist == artist]
        t = ts[int(rng.integers(len(ts)))]
        offset = float(rng.uniform(t.duration * 0.08, t.duration * 0.92 - DURATION))
        p = _music_real_params({"track": t.to_dict(), "offset": round(offset, 3)})
        return p, f"artist:{artist}", split

    pieces_left = {s: list(v) for s, v in held_pieces.items()}
    for cond in CONDITIONS:
        extra = {}
        n_sp = 2 * N_HARD if cond == "speech_over_music" else N_HARD
        for i in range(n_sp):
            p, group, split = held_speech(i)
            if cond == "noise":
                extra = {"snr_db": float((0, 5, 10)[i % 3])}
            elif cond == "reverb":
                extra = {"rt60": round(float(rng.uniform(0.6, 1.5)), 3)}
            elif cond == "mp3_32k":
                extra = {"bitrate": 32}
            elif cond == "speech_over_music":
                bg, _, _ = held_music(i, pieces_left)       # same split as the voice (i % 2)
                bg = {kk: v for kk, v in bg.items() if kk not in ("level", "condition")}
                extra = {"smr_db": round(float(rng.uniform(0.0, 10.0)), 2), "background": bg}
            p.update(condition=cond, **extra)
            add(f"{cond}/speech_{i:04d}", group, 30_000 + len(items), p, split)
        if cond == "speech_over_music":
            continue
        for i in range(N_HARD):
            p, group, split = held_music(i, pieces_left)
            if cond == "noise":
                extra = {"snr_db": float((0, 5, 10)[i % 3])}
            elif cond == "reverb":
                extra = {"rt60": round(float(rng.uniform(0.6, 1.5)), 3)}
            p.update(condition=cond, level=_level(rng), seed=30_000 + len(items), **extra)
            add(f"{cond}/music_{i:04d}", group, 30_000 + len(items), p, split)
    return items


# ------------------------------------------------------------------------------------------------
# render


def _speech_audio(p):
    from mirbook.datasets.sources import speech

    kwargs = {k: p[k] for k in ("engine", "language", "voice", "pitch", "speed", "stretch") if k in p}
    y, used = speech.speak(p["texts"], duration=DURATION, sr=SR, **kwargs)
    return y, used


def _music_audio(p, seed):
    """Audio of a music clip; recorded excerpts that are near-silent move on by 5 s (up to 6 times)."""
    from mirbook.datasets.helpers import read_loud_excerpt
    from mirbook.datasets.sources import debian_music, symbolic

    if p["kind"] == "rendered":
        y, info = symbolic.render_excerpt({**p, "seed": seed}, duration=DURATION, sr=SR)
        return y, {"title": info["title"], "n_notes": info["n_notes"]}
    path = debian_music.track_path(p["package"], member=p["member"])
    y, offset = read_loud_excerpt(path, offset=p["offset"], duration=DURATION, sr=SR, tries=7,
                                  what=p["member"])
    return y, {"offset": round(float(offset), 3)}


def render(item, root: Path):
    """One clip: speech or music, then its condition, then its level."""
    from mirbook import effects
    from mirbook.datasets.helpers import save_labelled_audio

    p = item.params
    rng = np.random.default_rng(item.seed)
    cond = p["condition"]
    labels = {"condition": cond}
    if p["kind"] == "speech":
        y, used = _speech_audio(p)
        voice = f"{p['engine']}:{p['language']}+{p['voice']}" if p["engine"] == "espeak-ng" \
            else f"flite:{p['voice']}"
        labels.update(label="speech", source=p["engine"], language=p["language"], voice=voice,
                      text=" ".join(used))
    else:
        y, info = _music_audio(p, item.seed)
        labels.update(label="music", artist=p["artist"])
        if p["kind"] == "rendered":
            labels.update(source="rendered", style=p["style"], score=p["source"],
                          ensemble=p["ensemble"], title=info["title"])
        else:
            labels.update(source=p["package"], package=p["package"], title=p["title"],
                          offset=info["offset"], licence=p["licence"])
    y = effects.normalize(y, target_dbfs=-20.0)
    if cond == "mp3_32k":
        y = effects.mp3(y, sr=SR, bitrate=32)
        labels["bitrate_kbps"] = 32
    elif cond == "telephone":
        y = effects.telephone(y, sr=SR)
        labels["band_hz"] = "300-3400"
    elif cond == "noise":
        y = effects.add_noise(y, snr_db=p["snr_db"], random_state=rng)
        labels["snr_db"] = p["snr_db"]
    elif cond == "reverb":
        y = effects.reverb(y, sr=SR, rt60=p["rt60"], random_state=rng)
        labels["rt60"] = p["rt60"]
    elif cond == "speech_over_music":
        bg, _ = _music_audio(p["background"], item.seed + 1)
        y = effects.mix(y, bg, ratio_db=p["smr_db"])
        labels.update(smr_db=p["smr_db"], background_artist=p["background"]["artist"],
                      background_source=p["background"].get("package", "rendered"))
    y = effects.normalize(y, target_dbfs=p["level"])
    labels["level_dbfs"] = p["level"]
    path = save_labelled_audio(root, f"{item.id}.flac", y, sr=SR)
    return {"path": path, "files": {}, "labels": labels}


def manifest_extra(records, *, tiny):
    """Counts per label, condition and split (for ``data info`` and the book's datasets page)."""
    out = {}
    for key in ("label", "condition", "source", "language", "artist"):
        counts = {}
        for r in records:
            v = r.get("labels", {}).get(key)
            if v is not None:
                counts[v] = counts.get(v, 0) + 1
        out[key] = dict(sorted(counts.items()))
    return out
