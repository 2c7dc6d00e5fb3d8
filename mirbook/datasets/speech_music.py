"""``speech_music``: 5-second clips of speech or music through one random recording channel.

The corpus of the speech/music discrimination chapter (``notebooks/07_speech_music.ipynb``), built
offline from (see :mod:`mirbook.datasets.sources`):

- **real human speech** -- words and short phrases of one speaker per locale from
  ``ktuberling-data`` (joined into phrase-like clips with natural 0.08-0.6 s pauses), acted voice
  lines of the Hedgewars voice packs, and (transfer split only) Warzone 2100's game voice
  (:mod:`~mirbook.datasets.sources.voices`);
- **synthetic speech** -- sentences in 14 languages spoken by espeak-ng (13 voice variants, pitch,
  speed and word gaps drawn per clip), English by flite, and English, Italian and Finnish by
  festival's diphone and HTS voices; short clauses and compound sentences mixed, pauses of
  random length (:mod:`~mirbook.datasets.sources.speech`);
- **music** -- excerpts of real recordings by 11 human composers from five Debian game-music
  packages (:mod:`~mirbook.datasets.sources.debian_music`) and excerpts of music21 scores (Bach
  chorales, Palestrina, folk tunes) rendered with FluidSynth
  (:mod:`~mirbook.datasets.sources.symbolic`).

**The channel model** (:mod:`~mirbook.datasets.sources.channel`): every source is resampled to
22050 Hz, and every clip of both classes goes through one random chain drawn from the same
distribution: high-pass (no DC), band limit (60 %), room reverberation (50 %), MP3 (25 %),
background noise at 10-40 dB SNR (50 %), limiter (40 %), RMS level -26 to -16 dBFS and a noise
floor of -75 to -55 dBFS, so that no clip holds digital silence. The drawn parameters are in the
record (``labels["channel"]``). For training-time augmentation, pass
:class:`~mirbook.datasets.sources.channel.Augment` as the ``transform`` of
:class:`~mirbook.datasets.core.TorchDataset`.

``condition`` marks the channel-only clips (``"clean"``) and the **hard test conditions**, made
only from validation/test voices, artists and pieces: ``"mp3_32k"``, ``"telephone"`` (8 kHz,
300-3400 Hz, mu-law), ``"noise"`` (pink noise at ``snr_db`` 0, 5 or 10 dB), ``"reverb"`` (``rt60``
0.6-1.5 s), ``"speech_over_music"`` (speech over a music bed ``smr_db`` 0-10 dB below it; label
``speech``). See :mod:`mirbook.effects`.

Splits: speech by voice (engine + language + variant, or recorded speaker/voice pack; each
sentence is spoken in one clip only); recorded music by artist (:data:`MUSIC_SPLITS`); rendered
music by piece. **The ``transfer`` split** (:data:`mirbook.datasets.core.TRANSFER`) is the
disjoint-source test: speech from recorded speakers and voice packs, a game voice and a
synthesis engine (festival HTS, and flite's ``slt``, the same speaker) never used in
train/validation/test; music from a package (``asc-music``) and an artist (``blkrbt``) never used
there. Chapter 7 trains on ``train`` and reports both ``test`` and ``transfer``.

The ``tiny`` variant (12 clips) uses espeak-ng, flite and rendered scores only: no download.
The full corpus needs the Debian packages: :func:`prepare` fetches and unpacks them (once, into
the cache) before :func:`plan` reads their cached catalogues.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import TRANSFER, Item, assign_split

NAME = "speech_music"
DESCRIPTION = ("5 s clips: real (ktuberling, Hedgewars, Warzone) and synthetic (espeak-ng, flite, "
               "festival) speech vs music (Debian game music + rendered scores), one random "
               "channel for both; hard conditions; a disjoint-source transfer split")
VERSION = 2
RENDERERS = ("mirbook.effects", "mirbook.scores", "mirbook.synth")
DURATION = 5.0

#: Synthetic clean clips per espeak-ng language, per flite voice, per festival voice.
N_SPEECH_ESPEAK_PER_LANGUAGE = 5
N_SPEECH_FLITE_PER_VOICE = 3
N_SPEECH_FESTIVAL_PER_VOICE = 8
#: Recorded-speech clips per group (speaker or voice pack): at most this many, and at most one
#: per 3.5 s of the group's recordings.
MAX_PER_SPEAKER = {"train": 16, "validation": 16, "test": 16, TRANSFER: 10}
#: festival voice -> split (the HTS voice is the unseen engine of the transfer split).
FESTIVAL_SPLITS = {"kal_diphone": "train", "lp_diphone": "train", "suo_fi_lj_diphone": "train",
                   "ked_diphone": "test", "cmu_us_slt_arctic_hts": TRANSFER}
#: Recorded music: artist -> split in this corpus (``asc-music`` and ``blkrbt`` are the transfer
#: music, never in training) and clips per artist.
MUSIC_SPLITS = {
    "LupusMechanicus": ("train", 60), "Max McCracken (Maxstack)": ("train", 40),
    "Gerd Raudenbusch (elysis)": ("train", 40), "Shawn Parrotte": ("train", 30),
    "Will Savino": ("train", 12), "Braden Walters": ("train", 8),
    "Parapraxis": ("validation", 14), "Lincoln Domina": ("validation", 10),
    "Martin Severn": ("test", 24),
    "Michael Kievernagel": (TRANSFER, 45), "blkrbt": (TRANSFER, 45),
}
#: Rendered music clips per style (chorales, Palestrina, folk) and split.
RENDERED_SPLITS = {"train": 20, "validation": 4, "test": 4}
#: Hard conditions: clips per class (speech_over_music: twice as many speech clips, no music).
N_HARD = 10
CONDITIONS = ("mp3_32k", "telephone", "noise", "reverb", "speech_over_music")
RENDERED_STYLES = ("baroque-chorale", "renaissance-polyphony", "folk")
#: Warzone 2100 voice folders -> transfer clips.
N_WARZONE = {"tutorial": 8, "memressp": 8, "extra": 4, "countdown": 3, "taunts": 2,
             "sequenceaudio": 3}


def check():
    """espeak-ng, flite, festival (and its voices) and FluidSynth are needed."""
    from mirbook.datasets.sources.speech import check_engine
    from mirbook.synth import check_fluidsynth

    check_engine("espeak-ng", corpus=NAME)
    check_engine("flite", corpus=NAME)
    check_fluidsynth(corpus=NAME)


def prepare(*, tiny):
    """Fetch, unpack and catalogue the Debian music and speech packages (full corpus; cached)."""
    if not tiny:
        from mirbook.datasets.sources import debian_music, speech, voices

        for v in FESTIVAL_SPLITS:
            speech.check_festival_voice(v, corpus=NAME)
        debian_music.catalog()
        voices.catalog()


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


def _gaps(rng, n):
    """Pauses between sentences: mostly short, some long (s)."""
    return [round(float(np.clip(rng.lognormal(np.log(0.2), 0.5), 0.05, 0.8)), 3) for _ in range(n)]


def _speech_params(engine, lang, voice, rng, texts):
    from mirbook.datasets.sources import speech

    texts = speech.vary_sentences(texts, language=lang, random_state=rng)
    p = {"engine": engine, "language": lang, "voice": voice, "texts": texts,
         "gaps": _gaps(rng, len(texts)), "lead": round(float(rng.uniform(0.0, 0.25)), 3)}
    if engine == "espeak-ng":
        p.update(pitch=int(rng.integers(25, 80)), speed=int(rng.integers(120, 200)),
                 word_gap=int(rng.choice([0, 0, 0, 1, 2, 4])))
    elif engine == "festival":
        p.update(stretch=round(float(rng.uniform(0.85, 1.3)), 3),
                 f0=round(float(rng.uniform(90, 220)), 1))
    else:
        p.update(language="en", stretch=round(float(rng.uniform(0.85, 1.3)), 3))
    return p


def _voice_group(engine, lang, voice):
    if engine == "flite":
        return f"voice:flite:{'kal' if voice.startswith('kal') else voice}"
    if engine == "festival":
        return f"voice:festival:{voice}"
    return f"voice:espeak-ng:{lang}+{voice}"


def _flite_split(voice):
    # slt is the speaker of festival's HTS voice: both are transfer-only
    return TRANSFER if voice == "slt" else None


def _level(rng):
    return round(float(rng.uniform(-26.0, -16.0)), 2)


def _channel(seed):
    from mirbook.datasets.sources import channel

    return channel.draw(random_state=np.random.default_rng([seed, 7]))


def _minimal_channel(seed):
    """Hard conditions: only the steps every clip gets (high-pass, level, noise floor)."""
    p = _channel(seed)
    return {"highpass_hz": p["highpass_hz"], "level_dbfs": p["level_dbfs"],
            "floor_dbfs": p["floor_dbfs"]}


def _real_excerpts(tracks, artists, per_artist, rng, exclude=()):
    """Offsets of ``per_artist(artist)`` 5-s excerpts per artist, spread over its tracks."""
    from mirbook.datasets.helpers import spread_excerpts

    out = []
    for artist in artists:
        ts = [t for t in tracks if t.artist == artist]
        n = per_artist(artist, len(ts))
        k = 0
        for t, offset in spread_excerpts(ts, n, random_state=rng, duration=DURATION,
                                         lo_frac=0.05, hi_frac=0.9):
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


def _phrase_clips(utts, n, rng, target=DURATION + 0.6):
    """``n`` clips of one speaker: utterances drawn (without replacement, then again) until the
    clip is full, each with a pause before it and a gain (different takes differ in level)."""
    out = []
    order = list(rng.permutation(len(utts)))
    for _ in range(n):
        words, gaps, gains, total = [], [], [], float(rng.uniform(0.0, 0.25))
        lead = total
        while total < target:
            if not order:
                order = list(rng.permutation(len(utts)))
            u = utts[int(order.pop())]
            g = round(float(np.clip(rng.lognormal(np.log(0.12), 0.6), 0.03, 0.6)), 3)
            words.append(u["member"])
            gaps.append(g)
            gains.append(round(float(rng.uniform(-4.0, 4.0)), 2))
            total += u["duration"] * 0.8 + g
        out.append({"package": utts[0]["package"], "words": words, "gaps": gaps, "gains_db": gains,
                    "lead": round(lead, 3)})
    return out


def _tiny_plan(rng, sent, add):
    from mirbook.datasets.sources import symbolic

    voices = [("espeak-ng", "en", "m3", "train"), ("espeak-ng", "fr", "f2", "train"),
              ("espeak-ng", "ru", "m1", "validation"), ("flite", "en", "rms", "test"),
              ("flite", "en", "slt", TRANSFER)]
    for i, (engine, lang, voice, split) in enumerate(voices):
        p = _speech_params(engine, lang, voice, rng, sent.take(lang, 3))
        p.update(kind="speech", condition="clean", channel=_channel(100 + i))
        add(f"clean/speech_{i:04d}", _voice_group(engine, lang, voice), 100 + i, p, split)
    styles = ["baroque-chorale", "folk", "folk", "baroque-chorale", "renaissance-polyphony"]
    splits = ["train", "train", "validation", "test", TRANSFER]
    for i, (style, split) in enumerate(zip(styles, splits)):
        p = symbolic.choose(style, 1, random_state=np.random.default_rng(200 + i))[0]
        p.update(kind="rendered", condition="clean", seed=200 + i, channel=_channel(200 + i))
        add(f"clean/music_{i:04d}", p["group"], 200 + i, p, split)
    p = _speech_params("espeak-ng", "de", "f4", rng, sent.take("de", 3))
    p.update(kind="speech", condition="telephone", channel=_minimal_channel(300))
    add("telephone/speech_0000", _voice_group("espeak-ng", "de", "f4"), 300, p, "test")
    p = symbolic.choose("folk", 1, random_state=np.random.default_rng(301))[0]
    p.update(kind="rendered", condition="mp3_32k", seed=301, channel=_minimal_channel(301))
    add("mp3_32k/music_0000", p["group"], 301, p, "test")


def plan(*, tiny):
    """The clips: channel-only speech and music, the hard conditions, the transfer split."""
    from mirbook.datasets.sources import speech, symbolic

    rng = np.random.default_rng(7007)
    sent = _Sentences(seed=11)
    items = []

    def add(id_, group, seed, params, split=None):
        items.append(Item(id=id_, group=group, seed=seed, params=params, split=split))

    if tiny:
        _tiny_plan(rng, sent, add)
        return items

    from mirbook.datasets.sources import debian_music, voices

    # --- synthetic speech
    k = 0

    def add_speech(engine, lang, voice, split=None, n_texts=5):
        nonlocal k
        p = _speech_params(engine, lang, voice, rng, sent.take(lang, n_texts))
        p.update(kind="speech", condition="clean", channel=_channel(10_000 + k))
        add(f"clean/speech_{k:04d}", _voice_group(engine, lang, voice), 10_000 + k, p, split)
        k += 1

    for lang in sorted(speech.LANGUAGES):
        for _ in range(N_SPEECH_ESPEAK_PER_LANGUAGE):
            voice = speech.ESPEAK_VARIANTS[int(rng.integers(len(speech.ESPEAK_VARIANTS)))]
            add_speech("espeak-ng", lang, voice)
    for voice in speech.FLITE_VOICES:
        n = N_SPEECH_FLITE_PER_VOICE * (2 if voice == "slt" else 1)
        for _ in range(n):
            add_speech("flite", "en", voice, _flite_split(voice), n_texts=4)
    for voice, split in FESTIVAL_SPLITS.items():
        lang = speech.FESTIVAL_VOICES[voice][0]
        for _ in range(N_SPEECH_FESTIVAL_PER_VOICE + (2 if split == TRANSFER else 0)):
            add_speech("festival", lang, voice, split, n_texts=4)

    # --- recorded speech: phrase-like clips of one speaker / voice pack
    by_group = voices.groups(voices.load_catalog())
    for group in sorted(by_group):
        if group.startswith("warzone:"):
            continue
        utts = by_group[group]
        split = voices.GROUP_SPLITS[group]
        total = sum(u["duration"] for u in utts)
        n = int(min(MAX_PER_SPEAKER[split], total // 3.5))
        for clip in _phrase_clips(utts, n, rng):
            clip.update(kind="recorded_speech", group=group, language=utts[0]["language"],
                        condition="clean", channel=_channel(10_000 + k))
            add(f"clean/speech_{k:04d}", f"speaker:{group}", 10_000 + k, clip, split)
            k += 1
    for folder, n in N_WARZONE.items():
        utts = by_group[f"warzone:{folder}"]
        for clip in _phrase_clips(utts, n, rng):
            clip.update(kind="recorded_speech", group=f"warzone:{folder}", language="en",
                        condition="clean", channel=_channel(10_000 + k))
            add(f"clean/speech_{k:04d}", f"speaker:warzone:{folder}", 10_000 + k, clip, TRANSFER)
            k += 1

    # --- music: recordings (split by artist) and rendered scores (split by piece)
    tracks = debian_music.load_catalog()
    artists = sorted({t.artist for t in tracks})
    unknown = set(artists) - set(MUSIC_SPLITS)
    if unknown:
        raise ValueError(f"artists without a split in MUSIC_SPLITS: {sorted(unknown)}")
    real = _real_excerpts(tracks, artists, lambda a, n: MUSIC_SPLITS[a][1], rng)
    k = 0
    for ex in real:
        p = _music_real_params(ex)
        p.update(condition="clean", channel=_channel(20_000 + k))
        add(f"clean/music_{k:04d}", f"artist:{p['artist']}", 20_000 + k, p,
            MUSIC_SPLITS[p["artist"]][0])
        k += 1
    used_pieces = set()
    for style in RENDERED_STYLES:
        for p in symbolic.choose(style, 0, random_state=rng, splits=RENDERED_SPLITS):
            used_pieces.add((p["source"], p["number"]))
            p.update(kind="rendered", condition="clean", seed=20_000 + k,
                     channel=_channel(20_000 + k))
            add(f"clean/music_{k:04d}", p["group"], 20_000 + k, p)
            k += 1

    # --- hard conditions, from held-out (validation/test) voices, artists and pieces only
    held = ("validation", "test")
    held_voices = {s: [] for s in held}
    for lang in sorted(speech.LANGUAGES):
        for voice in speech.ESPEAK_VARIANTS:
            s = assign_split(_voice_group("espeak-ng", lang, voice))
            if s in held:
                held_voices[s].append(("espeak-ng", lang, voice))
    held_artists = {s: [a for a in artists if MUSIC_SPLITS[a][0] == s] for s in held}
    held_pieces = {s: [] for s in held}
    for style in RENDERED_STYLES:
        for p in symbolic.choose(style, 60, random_state=np.random.default_rng(5000),
                                 exclude=used_pieces):
            s = assign_split(p["group"])
            if s in held:
                held_pieces[s].append(p)
    held_speakers = {s: sorted(g for g, sp in voices.GROUP_SPLITS.items() if sp == s
                               and g in by_group) for s in held}

    def held_speech(i):
        split = held[i % 2]
        if i % 2 == 1 or i % 4 == 0:                   # recorded speech (3 of 4)
            group = held_speakers[split][int(rng.integers(len(held_speakers[split])))]
            clip = _phrase_clips(by_group[group], 1, rng)[0]
            clip.update(kind="recorded_speech", group=group,
                        language=by_group[group][0]["language"])
            return clip, f"speaker:{group}", split
        engine, lang, voice = held_voices[split][int(rng.integers(len(held_voices[split])))]
        p = _speech_params(engine, lang, voice, rng, sent.take(lang, 5))
        p.update(kind="speech")
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
            seed = 30_000 + len(items)
            p.update(condition=cond, channel=_minimal_channel(seed), **extra)
            add(f"{cond}/speech_{i:04d}", group, seed, p, split)
        if cond == "speech_over_music":
            continue
        for i in range(N_HARD):
            p, group, split = held_music(i, pieces_left)
            if cond == "noise":
                extra = {"snr_db": float((0, 5, 10)[i % 3])}
            elif cond == "reverb":
                extra = {"rt60": round(float(rng.uniform(0.6, 1.5)), 3)}
            seed = 30_000 + len(items)
            p.update(condition=cond, seed=seed, channel=_minimal_channel(seed), **extra)
            add(f"{cond}/music_{i:04d}", group, seed, p, split)
    return items


# ------------------------------------------------------------------------------------------------
# render


def _speech_audio(p):
    from mirbook.datasets.sources import speech

    kwargs = {k: p[k] for k in ("engine", "language", "voice", "pitch", "speed", "stretch",
                                "word_gap", "f0") if k in p}
    y, used = speech.speak(p["texts"], duration=DURATION, sr=SR, gaps=p.get("gaps"),
                           lead=p.get("lead", 0.0), **kwargs)
    return y, used


def _recorded_speech_audio(p):
    """Utterances of one speaker joined with pauses; each trimmed, resampled, gain applied."""
    from mirbook.datasets.sources import speech, voices
    from mirbook.effects import rms
    from mirbook.io import load_audio

    n = int(round(DURATION * SR))
    pieces = [np.zeros(int(round(p["lead"] * SR)), dtype=np.float32)]
    total, used = len(pieces[0]), []
    ref = None
    for member, gap, gain in zip(p["words"], p["gaps"], p["gains_db"]):
        path = voices.utterance_path(p["package"], member=member)
        y, _ = load_audio(str(path), sr=SR)
        y = speech.trim_silence(np.asarray(y, dtype=np.float32), threshold_db=-40.0)
        y = y - float(np.mean(y)) if y.size else y
        r = rms(y)
        if r <= 0:
            continue
        ref = r if ref is None else ref
        y = y * (ref / r) * 10 ** (gain / 20)
        pieces += [y.astype(np.float32), np.zeros(int(round(gap * SR)), dtype=np.float32)]
        used.append(Path(member).stem)
        total += len(y) + int(round(gap * SR))
        if total >= n:
            break
    y = np.concatenate(pieces)[:n]
    if len(y) < n:
        y = np.pad(y, (0, n - len(y)))
    return y.astype(np.float32), used


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
    """One clip: speech or music (resampled to 22050 Hz), its condition, then the channel."""
    from mirbook import effects
    from mirbook.datasets.helpers import save_labelled_audio
    from mirbook.datasets.sources import channel

    p = item.params
    rng = np.random.default_rng(item.seed)
    cond = p["condition"]
    labels = {"condition": cond}
    if p["kind"] == "speech":
        y, used = _speech_audio(p)
        voice = f"{p['engine']}:{p['language']}+{p['voice']}" if p["engine"] == "espeak-ng" \
            else f"{p['engine']}:{p['voice']}"
        labels.update(label="speech", source=p["engine"], language=p["language"], voice=voice,
                      recorded=False, text=" ".join(used))
    elif p["kind"] == "recorded_speech":
        y, used = _recorded_speech_audio(p)
        labels.update(label="speech", source=p["package"], language=p["language"],
                      voice=p["group"], recorded=True, text=" ".join(used),
                      licence=_speech_licence(p["package"]))
    else:
        y, info = _music_audio(p, item.seed)
        labels.update(label="music", artist=p["artist"], recorded=p["kind"] == "recorded")
        if p["kind"] == "rendered":
            labels.update(source="rendered", style=p["style"], score=p["source"],
                          ensemble=p["ensemble"], title=info["title"])
        else:
            labels.update(source=p["package"], package=p["package"], title=p["title"],
                          offset=info["offset"], licence=p["licence"])
    y = channel.highpass(y, sr=SR, cutoff=20.0)
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
    y = channel.apply(y, sr=SR, params=p["channel"], random_state=rng)
    labels["level_dbfs"] = p["channel"]["level_dbfs"]
    labels["channel"] = p["channel"]
    path = save_labelled_audio(root, f"{item.id}.flac", y, sr=SR)
    return {"path": path, "files": {}, "labels": labels}


def _speech_licence(package):
    from mirbook.datasets.sources.voices import LICENCES

    return LICENCES[package]


def manifest_extra(records, *, tiny):
    """Counts per label, condition and split (for ``data info`` and the book's datasets page)."""
    out = {}
    for key in ("label", "condition", "source", "language", "artist", "voice", "recorded"):
        counts = {}
        for r in records:
            v = r.get("labels", {}).get(key)
            if v is not None:
                counts[v] = counts.get(v, 0) + 1
        out[key] = dict(sorted(counts.items()))
    per_split = {}
    for r in records:
        d = per_split.setdefault(r["split"], {})
        lab = f"{r['labels']['label']}/{r['labels']['condition']}"
        d[lab] = d.get(lab, 0) + 1
    out["per_split"] = {s: dict(sorted(v.items())) for s, v in sorted(per_split.items())}
    return out
