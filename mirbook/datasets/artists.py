"""``artists``: 15-second excerpts of real recorded music by 32 human artists, split by artist.

The corpus of the embedding / artist-disambiguation chapter (``notebooks/14_embeddings_artists``)
and of the genre-representation chapter (``notebooks/15_genre_translation``). Every track is a
real recording of a free game soundtrack or song pack shipped by Debian, whose composer is named
by the package's own metadata (Vorbis ARTIST tags, DEP-5 copyright stanzas, credits files,
SuperTuxKart's ``.music`` files: :data:`~mirbook.datasets.sources.debian_music.ARTIST_PACKAGES`
says which, per package). Only artists with at least :data:`MIN_TRACKS` tracks of at least 30 s
are kept: 32 artists from 24 packages (4 of the 5 of ``styles`` plus 20 more; one further package,
``starfighter``, is fetched only for its credits). Anonymous tracks, companies, duos and remixes are left out.

Splits (artist-disjoint, so ``test`` holds **artists never seen in training**): the artists are
ordered by the sha256 of their name and dealt 18 / 7 / 7 to ``train`` / ``validation`` /
``test`` (:func:`artist_split`). The splits are *not* package-disjoint: two artists of one game
may land in different splits (which is what artist disambiguation needs: same game, same
production, different composer).

Labels: ``artist``, ``package``, ``title``, ``licence``, ``album``, ``year`` (where the file says),
``member``, ``offset``; for the tag systems of chapter 15, ``debtags`` (the game's ``game::``
Debian tags), ``description`` (the package description, verbatim) and ``description_words`` (the
genre words found in it: ``strategy``, ``shooter``, ``puzzle``...), and ``file_genre`` (the audio
file's own GENRE comment, verbatim, where it has one).

Audio: as ``styles`` (the same treatment, so that no excerpt is told apart by its channel): 22050
Hz mono Ogg Vorbis, a high-pass at 30 Hz, a low-pass drawn per excerpt in 4.5-9 kHz, a limiter
of random drive, -18 dBFS RMS. At most :data:`PER_TRACK` excerpts per track and
:data:`MAX_PER_ARTIST` per artist (spread over the artist's tracks), so no artist dominates.

The ``tiny`` variant (6 rendered music21 excerpts of 4 s by three composers, artist-split) needs no
download; for the full corpus :func:`prepare` fetches the Debian packages (about 3.4 GB of
downloads, of which only the music members are unpacked) before :func:`plan` reads their cached
catalogue.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import Item

NAME = "artists"
DESCRIPTION = ("15 s excerpts of real recordings by 32 human artists from Debian game-music "
               "packages, split by artist (unseen-artist test): artist, package, album, tags")
VERSION = 2
RENDERERS = ("mirbook.effects", "mirbook.scores", "mirbook.synth")
DURATION = 15.0
TINY_DURATION = 4.0
#: Artists kept must have at least this many tracks (of >= 30 s).
MIN_TRACKS = 4
#: Excerpts per track (at most) and per artist (at most).
PER_TRACK = 3
MAX_PER_ARTIST = 12
#: Artists per split (train, validation, test), dealt in sha256 order of the names.
SPLIT_SIZES = {"train": 18, "validation": 7, "test": 7}
LOWPASS_HZ = (4500.0, 9000.0)

#: Genre words looked for in the package descriptions (word -> the tag it gives).
DESCRIPTION_WORDS = {
    "strategy": "strategy", "shooter": "shooter", "first-person": "shooter",
    "puzzle": "puzzle", "racer": "racing", "racing": "racing", "motocross": "racing",
    "platform": "platform", "jump 'n run": "platform", "sidescroller": "platform",
    "rpg": "rpg", "rogue-like": "roguelike", "arcade": "arcade", "simulation": "simulation",
    "artillery": "artillery", "educational": "educational", "space": "space",
    "fantasy": "fantasy", "turn-based": "turn-based", "real time": "real-time",
    "real-time": "real-time", "realtime": "real-time", "musical skill": "rhythm",
}


def check():
    """FluidSynth is needed for the tiny variant (:func:`mirbook.synth.check_fluidsynth`)."""
    from mirbook.synth import check_fluidsynth

    check_fluidsynth(corpus=NAME)


def prepare(*, tiny):
    """Fetch, unpack (music members only) and catalogue the packages (full corpus; cached)."""
    if not tiny:
        from mirbook.datasets.sources import debian_music

        debian_music.artist_catalog()


def description_words(text: str) -> list[str]:
    """The genre words of a package description (:data:`DESCRIPTION_WORDS`), sorted.

    Examples
    --------
    >>> description_words("fantasy real-time strategy game")
    ['fantasy', 'real-time', 'strategy']
    """
    low = text.lower()
    return sorted({tag for word, tag in DESCRIPTION_WORDS.items()
                   if re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", low)})


def artist_split(artists) -> dict:
    """Artist -> split: names in sha256 order, dealt :data:`SPLIT_SIZES` (train first).

    Examples
    --------
    >>> s = artist_split([f"a{i}" for i in range(32)])
    >>> sorted(list(s.values()).count(k) for k in ("train", "validation", "test"))
    [7, 7, 18]
    """
    order = sorted(set(artists), key=lambda a: hashlib.sha256(a.encode()).hexdigest())
    n_tr, n_va = SPLIT_SIZES["train"], SPLIT_SIZES["validation"]
    n = len(order)
    if n != sum(SPLIT_SIZES.values()):  # scale the shares to another number of artists
        n_tr = round(n * SPLIT_SIZES["train"] / sum(SPLIT_SIZES.values()))
        n_va = round(n * SPLIT_SIZES["validation"] / sum(SPLIT_SIZES.values()))
    return {a: ("train" if i < n_tr else "validation" if i < n_tr + n_va else "test")
            for i, a in enumerate(order)}


def _game_labels(package: str, extra: dict) -> dict:
    from mirbook.datasets.sources.debian_music import GAME_INFO

    debtags, desc = GAME_INFO.get(package, ([], ""))
    out = {"debtags": list(debtags), "description": desc,
           "description_words": description_words(desc)}
    if extra.get("genre"):
        out["file_genre"] = str(extra["genre"])
    return out


def plan(*, tiny):
    """Recorded excerpts, split by artist (tiny: rendered excerpts, no download)."""
    rng = np.random.default_rng(5151)
    items = []
    if tiny:
        from mirbook.datasets.sources import symbolic

        # one composer per split (two excerpts each): the tiny variant is artist-disjoint too
        styles = ["baroque-chorale", "baroque-chorale", "folk", "folk",
                  "renaissance-polyphony", "renaissance-polyphony"]
        splits = ["train", "train", "validation", "validation", "test", "test"]
        for i, (style, split) in enumerate(zip(styles, splits)):
            p = symbolic.choose(style, 1, random_state=np.random.default_rng(700 + i))[0]
            p.update(kind="rendered", seed=700 + i, duration=TINY_DURATION)
            items.append(Item(id=f"rendered/{style}_{i:03d}", group=f"artist:{p['artist']}",
                              seed=700 + i, params=p, split=split))
        return items

    from mirbook.datasets.helpers import spread_excerpts
    from mirbook.datasets.sources import debian_music

    tracks = debian_music.load_artist_catalog()
    by_artist = {}
    for t in tracks:
        by_artist.setdefault(t.artist, []).append(t)
    kept = sorted(a for a, ts in by_artist.items() if len(ts) >= MIN_TRACKS)
    splits = artist_split(kept)
    k = 0
    for artist in kept:
        ts = by_artist[artist]
        n = min(MAX_PER_ARTIST, PER_TRACK * len(ts))
        for t, offset in spread_excerpts(ts, n, random_state=rng, duration=DURATION,
                                         lo_frac=0.05, hi_frac=0.9):
            extra = dict(t.extra)
            p = {"kind": "recorded", "package": t.package, "artist": artist, "title": t.title,
                 "member": t.member, "licence": t.licence, "album": t.album,
                 "offset": round(float(max(offset, 0.0)), 3), "duration": DURATION,
                 **_game_labels(t.package, extra)}
            if extra.get("year"):
                p["year"] = int(extra["year"])
            items.append(Item(id=f"recorded/{t.package}_{k:04d}", group=f"artist:{artist}",
                              seed=80_000 + k, params=p, split=splits[artist]))
            k += 1
    return items


def render(item, root: Path):
    """One excerpt at -18 dBFS after the shared band/limiter treatment, as Ogg Vorbis."""
    from mirbook import effects
    from mirbook.datasets.helpers import read_loud_excerpt, save_labelled_audio
    from mirbook.datasets.sources.channel import highpass, limiter, lowpass
    from mirbook.datasets.styles import fix_ogg_serial

    p = item.params
    if p["kind"] == "rendered":
        from mirbook.datasets.sources import symbolic

        y, info = symbolic.render_excerpt(p, duration=p["duration"], sr=SR)
        coll = p["source"].split("/", 1)[0]
        labels = {"artist": p["artist"], "package": f"music21:{coll}", "title": info["title"],
                  "licence": "public-domain score (music21 corpus)", "album": coll,
                  "source": "rendered", "debtags": [], "description": "",
                  "description_words": [], "file_genre": p["style"]}
    else:
        from mirbook.datasets.sources import debian_music

        path = debian_music.artist_track_path(p["package"], member=p["member"])
        from mirbook.datasets.core import SkipItem
        from mirbook.errors import ParameterError

        try:
            y, offset = read_loud_excerpt(path, offset=p["offset"], duration=p["duration"],
                                          sr=SR, tries=5, what=p["member"])
        except ParameterError as exc:  # silent up to the end of the track
            raise SkipItem(f"{p['member']}: silent from {p['offset']} s to the end") from exc
        labels = {k: p[k] for k in ("artist", "package", "title", "licence", "album", "member",
                                    "debtags", "description", "description_words")}
        labels.update(source="recorded", offset=round(float(offset), 3))
        for key in ("year", "file_genre"):
            if key in p:
                labels[key] = p[key]
    rng = np.random.default_rng([item.seed, 11])
    cutoff = round(float(np.exp(rng.uniform(np.log(LOWPASS_HZ[0]), np.log(LOWPASS_HZ[1])))), 1)
    drive = round(float(rng.uniform(1.0, 5.0)), 3)
    y = lowpass(highpass(y, sr=SR, cutoff=30.0), sr=SR, cutoff=cutoff)
    y = limiter(y, drive=drive)
    y = effects.normalize(y, target_dbfs=-18.0)
    labels.update(lowpass_hz=cutoff, limiter_drive=drive, duration=p["duration"])
    out = save_labelled_audio(root, f"{item.id}.ogg", y, sr=SR, subtype="VORBIS")
    fix_ogg_serial(root / out)
    return {"path": out, "files": {}, "labels": labels}


def manifest_extra(records, *, tiny):
    """Counts per artist and package, and artists/tracks per split."""
    out = {"artist": {}, "package": {}}
    per_split = {}
    for r in records:
        lab = r.get("labels", {})
        for key in ("artist", "package"):
            out[key][lab[key]] = out[key].get(lab[key], 0) + 1
        s = per_split.setdefault(r["split"], {"artists": set(), "tracks": set(),
                                              "packages": set()})
        s["artists"].add(lab["artist"])
        s["tracks"].add((lab["package"], lab.get("member", lab.get("title"))))
        s["packages"].add(lab["package"])
    res = {k: dict(sorted(v.items())) for k, v in out.items()}
    res["splits"] = {k: {kk: len(vv) for kk, vv in v.items()} for k, v in sorted(per_split.items())}
    return res
