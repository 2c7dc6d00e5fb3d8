"""``styles``: 15-second excerpts with style tags, artist and package labels.

The corpus of the tagging, embedding, genre-representation and artist-disambiguation chapters.
Two halves (see :mod:`mirbook.datasets.sources`):

- **recorded**: excerpts of real game soundtracks by 11 human composers from five Debian packages
  (:mod:`~mirbook.datasets.sources.debian_music`); labels ``artist``, ``package``, ``title``,
  ``licence``, ``offset``.
- **rendered**: excerpts of music21 corpus scores in six styles -- ``baroque-chorale`` (Bach),
  ``renaissance-polyphony`` (Palestrina), ``madrigal`` (Monteverdi), ``medieval`` (Trecento),
  ``folk`` (Ryan's Mammoth Collection, Essen), ``classical-quartet`` (Haydn, Mozart, Beethoven) --
  rendered with FluidSynth by ensembles suited to the style
  (:mod:`~mirbook.datasets.sources.symbolic`).

Labels: ``style`` (one of the six styles, or ``game-music`` for the recordings), ``tags`` (a list:
multi-label), ``artist``, ``package`` (the Debian package, or ``music21:<collection>``).
How the tags are made -- only from facts the material states, never by listening:

- every excerpt: ``recorded`` or ``rendered``;
- recordings: ``game-music``; the game's genre from the game package's Debian tags
  (:data:`~mirbook.datasets.sources.debian_music.GAME_TAGS`: ``strategy-game``, ``shooter-game``...);
  ``electronic`` where the file's GENRE tag says so; ``slow`` (<= 90) / ``fast`` (>= 115 BPM)
  where Warzone 2100's ``album.json`` gives a tempo;
- renderings: the style's tags (``baroque``, ``renaissance``, ``sacred``/``secular``,
  ``polyphonic``/``monophonic``, ``folk``, ``chamber``...) and the instruments of the ensemble that
  played it (``organ``, ``choir``, ``strings``, ``flute``...: exact, since we chose them).

Audio: 22050 Hz mono Ogg Vorbis (about 100 kB per excerpt; the recordings are lossy at the
source already), every excerpt at -18 dBFS RMS (peaks limited to 0.99). Splits: recordings by artist
(:data:`~mirbook.datasets.sources.debian_music.ARTIST_SPLITS`, shared with ``speech_music``),
renderings by piece (a chorale lands in the same split as in the ``chorales`` corpus). The
composers of the rendered styles are *not* split-disjoint: one composer per style would put the
whole style in one split.

The ``tiny`` variant (6 rendered excerpts of 4 s) needs no download; for the full corpus
:func:`prepare` fetches the Debian packages before :func:`plan` reads their cached catalogue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import Item

NAME = "styles"
DESCRIPTION = ("15 s excerpts: Debian game-music artists + rendered music21 styles (baroque, "
               "renaissance, madrigal, medieval, folk, classical): style tags, artist, package")
VERSION = 3  # 2: DC removed, -84 dBFS noise floor; 3: random low-pass and limiter, both halves
#: Range of the low-pass every excerpt gets (Hz; drawn per excerpt, the same for both halves).
LOWPASS_HZ = (4500.0, 9000.0)
RENDERERS = ("mirbook.effects", "mirbook.scores", "mirbook.synth")
DURATION = 15.0
TINY_DURATION = 4.0
#: Rendered excerpts per style and split (pieces drawn so that their group hashes to the split),
#: recorded excerpts per artist (at most; 3 per track, tracks spread over the artist's list).
SPLIT_PER_STYLE = {"train": 8, "validation": 2, "test": 2}
MAX_PER_ARTIST = 8


def check():
    """FluidSynth is needed (:func:`mirbook.synth.check_fluidsynth`)."""
    from mirbook.synth import check_fluidsynth

    check_fluidsynth(corpus=NAME)


def prepare(*, tiny):
    """Fetch, unpack and catalogue the Debian music packages (full corpus only; cached)."""
    if not tiny:
        from mirbook.datasets.sources import debian_music

        debian_music.catalog()


def _real_tags(track: dict) -> list[str]:
    from mirbook.datasets.sources.debian_music import GAME_TAGS

    tags = ["recorded", "game-music", *GAME_TAGS.get(track["package"], [])]
    genre = str(track.get("extra", {}).get("genre", "")).lower()
    if genre and genre != "game":
        tags.append(genre)
    bpm = track.get("bpm")
    if bpm:
        if bpm <= 90:
            tags.append("slow")
        elif bpm >= 115:
            tags.append("fast")
    return sorted(set(tags))


_OGG_CRC_TABLE = []
for _i in range(256):
    _r = _i << 24
    for _ in range(8):
        _r = ((_r << 1) ^ 0x04C11DB7) if _r & 0x80000000 else (_r << 1)
    _OGG_CRC_TABLE.append(_r & 0xFFFFFFFF)


def _ogg_crc(data) -> int:
    crc = 0
    table = _OGG_CRC_TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[((crc >> 24) & 0xFF) ^ b]
    return crc


def fix_ogg_serial(path, *, serial: int = 0x6D697262):
    """Give every page of an Ogg file the stream serial number ``serial`` (CRCs recomputed).

    libsndfile draws the serial number at random, so two encodings of the same audio differ in
    those 4 bytes per page; fixing it makes the corpus byte-reproducible (same sha256 each build).
    The file is rewritten atomically.
    """
    from mirbook.io import atomic_path

    path = Path(path)
    data = bytearray(path.read_bytes())
    pos = 0
    while pos < len(data):
        if data[pos:pos + 4] != b"OggS":
            raise ValueError(f"{path}: not an Ogg page at byte {pos}")
        n_seg = data[pos + 26]
        page_len = 27 + n_seg + sum(data[pos + 27: pos + 27 + n_seg])
        data[pos + 14: pos + 18] = serial.to_bytes(4, "little")
        data[pos + 22: pos + 26] = b"\0\0\0\0"
        crc = _ogg_crc(data[pos: pos + page_len])
        data[pos + 22: pos + 26] = crc.to_bytes(4, "little")
        pos += page_len
    with atomic_path(path) as tmp:
        tmp.write_bytes(bytes(data))
    return path


def plan(*, tiny):
    """Recorded excerpts (split by artist) and rendered excerpts (split by piece)."""
    from mirbook.datasets.sources import symbolic

    rng = np.random.default_rng(4242)
    items = []
    if tiny:
        styles = ["baroque-chorale", "folk", "renaissance-polyphony", "baroque-chorale", "folk",
                  "renaissance-polyphony"]
        splits = ["train", "train", "train", "validation", "test", "test"]
        for i, (style, split) in enumerate(zip(styles, splits)):
            p = symbolic.choose(style, 1, random_state=np.random.default_rng(900 + i))[0]
            p.update(kind="rendered", seed=900 + i, duration=TINY_DURATION)
            items.append(Item(id=f"rendered/{style}_{i:03d}", group=p["group"], seed=900 + i,
                              params=p, split=split))
        return items

    from mirbook.datasets.helpers import spread_excerpts
    from mirbook.datasets.sources import debian_music

    tracks = debian_music.load_catalog()
    artists = sorted({t.artist for t in tracks})
    k = 0
    for artist in artists:
        ts = [t for t in tracks if t.artist == artist]
        n = min(MAX_PER_ARTIST, 3 * len(ts))
        for t, offset in spread_excerpts(ts, n, random_state=rng, duration=DURATION,
                                         lo_frac=0.05, hi_frac=0.9):
            td = t.to_dict()
            p = {"kind": "recorded", "package": t.package, "artist": artist, "title": t.title,
                 "member": t.member, "licence": t.licence,
                 "offset": round(float(offset), 3), "bpm": t.bpm, "tags": _real_tags(td),
                 "duration": DURATION}
            items.append(Item(id=f"recorded/{t.package}_{k:04d}", group=f"artist:{artist}",
                              seed=50_000 + k, params=p, split=debian_music.ARTIST_SPLITS[artist]))
            k += 1
    for style in symbolic.STYLES:
        for i, p in enumerate(symbolic.choose(style, 0, random_state=rng, splits=SPLIT_PER_STYLE)):
            p.update(kind="rendered", seed=60_000 + len(items), duration=DURATION)
            items.append(Item(id=f"rendered/{style}_{i:03d}", group=p["group"],
                              seed=60_000 + len(items), params=p))
    return items


def render(item, root: Path):
    """One excerpt (rendered score or recording) at -18 dBFS, as Ogg Vorbis with a fixed serial."""
    from mirbook import effects
    from mirbook.datasets.helpers import read_loud_excerpt, save_labelled_audio
    from mirbook.datasets.sources import debian_music, symbolic

    p = item.params
    if p["kind"] == "rendered":
        y, info = symbolic.render_excerpt(p, duration=p["duration"], sr=SR)
        style_tags = symbolic.STYLES[p["style"]][3]
        coll = p["source"].split("/", 1)[0]
        labels = {
            "style": p["style"], "source": "rendered", "artist": p["artist"],
            "package": f"music21:{coll}", "score": p["source"], "tune_number": p["number"],
            "title": info["title"], "ensemble": p["ensemble"], "tempo_bpm": p["bpm"],
            "tags": sorted(set(["rendered", p["style"], *style_tags, *info["tags"]])),
        }
    else:
        path = debian_music.track_path(p["package"], member=p["member"])
        y, offset = read_loud_excerpt(path, offset=p["offset"], duration=p["duration"], sr=SR,
                                      tries=5, what=p["member"])
        labels = {
            "style": "game-music", "source": "recorded", "artist": p["artist"],
            "package": p["package"], "title": p["title"], "member": p["member"],
            "licence": p["licence"], "offset": round(float(offset), 3), "tags": p["tags"],
        }
        if p.get("bpm"):
            labels["tempo_bpm"] = p["bpm"]
    # one band for both halves: a low-pass drawn per excerpt (4.5-9 kHz), so that the bandwidth of
    # the recordings' codecs and of the soundfont's samples does not tell them apart; then one
    # level (-18 dBFS RMS, peaks limited): loudness must not tell them apart either
    # (and a limiter drawn alike for both: game soundtracks are mastered, renderings are not)
    from mirbook.datasets.sources.channel import highpass, limiter, lowpass

    rng = np.random.default_rng([item.seed, 11])
    cutoff = round(float(np.exp(rng.uniform(np.log(LOWPASS_HZ[0]), np.log(LOWPASS_HZ[1])))), 1)
    drive = round(float(rng.uniform(1.0, 5.0)), 3)
    y = lowpass(highpass(y, sr=SR, cutoff=30.0), sr=SR, cutoff=cutoff)
    y = limiter(y, drive=drive)
    labels["lowpass_hz"] = cutoff
    labels["limiter_drive"] = drive
    y = effects.normalize(y, target_dbfs=-18.0)
    labels["tags_str"] = ";".join(labels["tags"])
    labels["duration"] = p["duration"]
    path = save_labelled_audio(root, f"{item.id}.ogg", y, sr=SR, subtype="VORBIS")
    fix_ogg_serial(root / path)
    return {"path": path, "files": {}, "labels": labels}


def manifest_extra(records, *, tiny):
    """Counts per style, tag, artist and package."""
    out = {"style": {}, "tag": {}, "artist": {}, "package": {}}
    for r in records:
        lab = r.get("labels", {})
        for key in ("style", "artist", "package"):
            if key in lab:
                out[key][lab[key]] = out[key].get(lab[key], 0) + 1
        for t in lab.get("tags", []):
            out["tag"][t] = out["tag"].get(t, 0) + 1
    return {k: dict(sorted(v.items())) for k, v in out.items()}
