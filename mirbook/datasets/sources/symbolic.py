"""Excerpts of music21 corpus scores, by style, rendered with FluidSynth (``speech_music``, ``styles``).

Each style is a music21 corpus collection, rendered with ensembles that suit it (the General MIDI
programs are chosen per excerpt from :data:`STYLES`, so instrument tags are exact):

- ``baroque-chorale``: ``bach`` (chorales, ``bwv*.mxl``); J. S. Bach; organ, choir...
- ``renaissance-polyphony``: ``palestrina`` (mass movements, kern); Palestrina; choir, recorders.
- ``madrigal``: ``monteverdi`` (madrigals, MusicXML); Monteverdi; choir, viols.
- ``medieval``: ``trecento`` (Italian ars nova); Trecento composers; recorders, voice.
- ``folk``: ``ryansMammoth`` and ``essenFolksong``; traditional; fiddle, flute...
- ``classical-quartet``: ``haydn``/``mozart``/``beethoven`` quartets; Haydn/Mozart/...; string
  quartet.

(Style: music21 collection; artist label; ensembles.)

Notes come from :mod:`mirbook.scores` (ties merged; repeats as written) and audio from
:func:`mirbook.synth.render_tracks` (TimGM6mb soundfont): the same renderer as the ``chorales``
corpus.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from mirbook import _validate
from mirbook.datasets.core import SkipItem
from mirbook.errors import ParameterError

#: General MIDI ensembles: name -> (programs of the parts, top to bottom; extra parts reuse the
#: last), instrument tags.
ENSEMBLES = {
    "organ": ((19, 19, 19, 19), ["organ"]),
    "choir": ((52, 52, 53, 53), ["choir", "vocal"]),
    "strings": ((48, 48, 48, 48), ["strings"]),
    "string-quartet": ((40, 40, 41, 42), ["strings", "violin", "cello"]),
    "woodwinds": ((73, 68, 71, 70), ["woodwinds", "flute"]),
    "brass": ((56, 60, 57, 58), ["brass"]),
    "piano": ((0, 0, 0, 0), ["piano"]),
    "harpsichord": ((6, 6, 6, 6), ["harpsichord"]),
    "recorders": ((74, 74, 74, 74), ["woodwinds", "recorder"]),
    "viols": ((41, 41, 42, 42), ["strings"]),
    "voice-and-recorders": ((53, 74, 74, 74), ["vocal", "recorder", "woodwinds"]),
    "fiddle": ((40,), ["strings", "violin"]),
    "flute": ((73,), ["woodwinds", "flute"]),
    "accordion": ((21,), ["accordion"]),
    "pan-flute": ((75,), ["woodwinds", "flute"]),
}

#: style -> (collections, ensembles, bpm range, tags).
STYLES = {
    "baroque-chorale": (["bach"], ["organ", "choir", "strings", "woodwinds", "brass",
                                   "harpsichord"], (66, 96), ["baroque", "chorale", "polyphonic",
                                                              "classical-music"]),
    "renaissance-polyphony": (["palestrina"], ["choir", "recorders", "viols"], (70, 100),
                              ["renaissance", "sacred", "polyphonic", "classical-music"]),
    "madrigal": (["monteverdi"], ["choir", "viols", "recorders"], (72, 104),
                 ["renaissance", "secular", "polyphonic", "classical-music"]),
    "medieval": (["trecento"], ["voice-and-recorders", "recorders", "viols"], (80, 120),
                 ["medieval", "polyphonic", "classical-music"]),
    "folk": (["ryansMammoth", "essenFolksong"], ["fiddle", "flute", "accordion", "pan-flute"],
             (90, 130), ["folk", "monophonic", "dance-tune"]),
    "classical-quartet": (["haydn", "mozart", "beethoven"], ["string-quartet"], (80, 132),
                          ["classical-period", "chamber", "polyphonic", "classical-music"]),
}

#: Essen collections sampled (the tune number is drawn from 1..20; they are opus files).
_ESSEN = ["essenFolksong/altdeu10.abc", "essenFolksong/ballad10.abc", "essenFolksong/erk5.abc",
          "essenFolksong/kinder0.abc", "essenFolksong/boehme10.abc", "essenFolksong/dva0.abc"]


#: music21 corpus paths reserved for independent evaluation (issue 13): never used anywhere in
#: the project. Prefixes of ``corpus`` paths (works, or whole composers' folders).
RESERVED = ("mozart/k545", "mozart/k80", "haydn/opus74no1", "beethoven/opus18no1", "joplin/",
            "chopin/", "schumann", "schubert/", "beach/", "cpebach/", "handel/",
            "liliuokalani/", "oneills1850/")


def is_reserved(path: str) -> bool:
    """Whether a music21 corpus path is reserved for independent evaluation (:data:`RESERVED`).

    Examples
    --------
    >>> is_reserved("mozart/k545/movement1.mxl"), is_reserved("mozart/k458/movement1.mxl")
    (True, False)
    """
    return any(path.startswith(r) or f"/{r}" in path for r in RESERVED)


def _composer(path: str) -> str:
    return path.split("/", 1)[0]


@lru_cache(maxsize=None)
def pieces(name: str) -> tuple:
    """``((source, number_or_0, artist, group), ...)`` available for style ``name``, fixed order."""
    from music21 import corpus

    style = name
    collections = STYLES[style][0]
    out = []
    for coll in collections:
        if coll == "essenFolksong":
            for src in _ESSEN:
                for k in range(1, 21):
                    out.append((src, k, "traditional", f"piece:{src}#{k}"))
            continue
        paths = sorted(str(p).split("/corpus/", 1)[-1] for p in corpus.getComposer(coll))
        for p in paths:
            if is_reserved(p):
                continue
            if coll == "bach":
                if not re.match(r"bach/bwv[\d.]+\.mxl$", p):
                    continue
                out.append((p, 0, "J. S. Bach", None))
            elif coll == "palestrina":
                out.append((p, 0, "Palestrina", f"piece:{p}"))
            elif coll == "monteverdi":
                if p.endswith(".mxl"):
                    out.append((p, 0, "Monteverdi", f"piece:{p}"))
            elif coll == "trecento":
                out.append((p, 0, "Trecento composers", f"piece:{p}"))
            elif coll == "ryansMammoth":
                out.append((p, 0, "traditional", f"piece:{p}"))
            elif coll in ("haydn", "mozart", "beethoven"):
                # one file per movement (the whole-quartet files take tens of seconds to parse).
                # Grouped by movement: the 11 quartets would hash to train and validation only.
                if p.endswith(".mxl") and "/movement" in p:
                    out.append((p, 0, coll.capitalize(), f"piece:{p}"))
    return tuple(out)


@lru_cache(maxsize=1)
def _chorale_titles():
    from mirbook.datasets import chorales

    return {b: t for _, _, b, t in chorales.chorale_list()}


def bach_group(source: str) -> str:
    """The split group the ``chorales`` corpus gives this chorale (so both corpora agree)."""
    from mirbook.datasets import chorales

    bwv = source.split("bwv", 1)[1].rsplit(".mxl", 1)[0]
    return chorales.group_of(bwv=bwv, title=_chorale_titles().get(bwv))


def _params(style, piece, rng):
    src, num, artist, group = piece
    lo, hi = STYLES[style][2]
    ensembles = STYLES[style][1]
    return {
        "style": style, "source": src, "number": int(num), "artist": artist,
        "group": group if group is not None else bach_group(src),
        "ensemble": ensembles[int(rng.integers(len(ensembles)))],
        "bpm": round(float(rng.uniform(lo, hi)), 2),
        "start_frac": round(float(rng.uniform(0.0, 0.6)), 4),
        "velocity": int(rng.integers(70, 100)),
    }


def choose(name: str, n: int, *, random_state, exclude=(), splits=None) -> list[dict]:
    """``n`` distinct pieces of style ``name`` as parameter dicts (source, number, artist, group...).

    Parameters
    ----------
    name : str
        A key of :data:`STYLES`.
    n : int
    random_state : np.random.Generator or int
        Drives the choice (a Generator is used as is, so the caller's stream advances).
    exclude : set of (source, number)
    splits : dict, optional
        ``{"train": 8, "validation": 2, "test": 2}``: take that many pieces whose group
        :func:`~mirbook.datasets.core.assign_split` puts in each split (``n`` is then ignored), so
        that every style is in every split and the split still follows the piece.
    """
    from mirbook.datasets.core import assign_split

    style = name
    rng = _validate.random_state(random_state)
    exclude = set(exclude)
    pool = [p for p in pieces(style) if (p[0], p[1]) not in exclude]
    order = [pool[int(i)] for i in rng.permutation(len(pool))]
    if splits is None:
        if n > len(pool):
            raise ParameterError(f"{style}: n={n} pieces asked, {len(pool)} available")
        return [_params(style, piece, rng) for piece in order[:n]]
    want, out = dict(splits), []
    for piece in order:
        if not any(want.values()):
            break
        group = piece[3] if piece[3] is not None else bach_group(piece[0])
        split = assign_split(group)
        if want.get(split, 0) > 0:
            want[split] -= 1
            out.append(_params(style, piece, rng))
    if any(want.values()):
        raise ParameterError(f"{style}: not enough pieces for the split counts {splits}")
    return out


def parse(source: str, *, number: int = 0):
    """Parse a corpus score (``number`` picks a tune of an opus); :class:`SkipItem` on failure."""
    from music21 import corpus, stream

    try:
        s = corpus.parse(source, number=number) if number else corpus.parse(source)
    except Exception as exc:  # noqa: BLE001 - corrupt file, missing tune number
        raise SkipItem(f"music21 cannot parse {source}#{number}: {type(exc).__name__}: {exc}") from None
    if isinstance(s, stream.Opus):
        raise SkipItem(f"{source}: an opus, give a tune number")
    return s


def excerpt_tracks(config: dict, *, duration: float, max_parts: int = 6):
    """The General MIDI tracks of a ``duration``-second excerpt of a score.

    ``config`` is the excerpt's parameters (an :class:`~mirbook.datasets.core.Item`'s
    ``params``: ``source``, ``number``, ``ensemble``, ``bpm``, ``start_frac``, ``velocity``,
    ``seed``). The excerpt starts at the bar line nearest to ``start_frac`` of the piece (so that
    ``duration`` seconds fit when possible) and is played at ``bpm`` quarter notes per minute.
    An excerpt with sound in less than 60 % of its duration is tried again from fixed starts
    (0, 25, 50, 75, 100 % of the piece) before the item is skipped.

    Returns
    -------
    tracks : list of (program, notes)
        For :func:`mirbook.synth.render_tracks`.
    info : dict
        ``start_q``, ``title``, ``n_notes``, ``programs``, instrument ``tags``.
    """
    from mirbook import scores

    params = config
    score = parse(params["source"], number=params.get("number", 0))
    # Repeats are not expanded: an excerpt is read as written (expanding the repeats of a long
    # quartet movement costs tens of seconds, and changes nothing a listener could tell).
    parts = list(score.parts)[:max_parts]
    if not parts:
        raise SkipItem("no parts")
    spq = 60.0 / params["bpm"]
    length_q = duration / spq
    measures = list(parts[0].getElementsByClass("Measure"))
    if not measures:
        raise SkipItem("the score has no measures")
    offs = [float(m.offset) for m in measures]
    end_q = float(parts[0].highestTime)
    latest = max(0.0, end_q - length_q)
    programs, tags = ENSEMBLES[params["ensemble"]]
    # the drawn start first; if the excerpt is too sparse (long rests), other fixed starts
    reason = ""
    for frac in (params["start_frac"], 0.0, 0.25, 0.5, 0.75, 1.0):
        target = frac * latest
        candidates = [i for i, o in enumerate(offs) if o <= latest + 1e-9] or [0]
        i0 = min(candidates, key=lambda i: (abs(offs[i] - target), i))
        i1 = next((i for i in range(i0, len(offs)) if offs[i] >= offs[i0] + length_q), len(offs))
        start_q = offs[i0]
        rng = np.random.default_rng(int(params.get("seed", 0)))
        tracks, n_notes = [], 0
        for i, part in enumerate(parts):
            sub = part.measures(i0, i1, indicesNotNumbers=True)
            sub_ms = list(sub.getElementsByClass("Measure"))
            base = float(sub_ms[0].offset) if sub_ms else 0.0
            notes = []
            for on, off, midi in scores.part_notes(sub):
                on, off = on - base, off - base
                if off <= 0 or on >= length_q:
                    continue
                a, b = max(on, 0.0) * spq, min(off, length_q) * spq
                notes.append((a, b, midi, params["velocity"] + int(rng.integers(-8, 9))))
            n_notes += len(notes)
            tracks.append((programs[min(i, len(programs) - 1)], notes))
        spans = sorted((a, b) for _, notes in tracks for a, b, _, _ in notes)
        covered, reach = 0.0, 0.0
        for a, b in spans:
            covered += max(0.0, b - max(a, reach))
            reach = max(reach, b)
        if n_notes >= 3 and covered >= 0.6 * duration:
            break
        reason = f"too sparse: {n_notes} notes sounding {covered:.1f} of {duration:.1f} s"
    else:
        raise SkipItem(reason)
    title = score.metadata.title if score.metadata is not None and score.metadata.title else ""
    if not title and params["source"].startswith("bach/bwv"):
        bwv = params["source"].split("bwv", 1)[1].rsplit(".mxl", 1)[0]
        title = _chorale_titles().get(bwv) or f"BWV {bwv}"
    return tracks, {"start_q": start_q, "title": str(title), "n_notes": n_notes,
                    "programs": [t[0] for t in tracks], "tags": list(tags)}


def render_excerpt(config: dict, *, duration: float, sr: int):
    """Render an excerpt (see :func:`excerpt_tracks`) to exactly ``duration`` s of float32 audio."""
    from mirbook import synth

    tracks, info = excerpt_tracks(config, duration=duration)
    y = synth.render_tracks(tracks, sr=sr, duration=duration, fade_out=0.3, peak=0.89)
    return y, info
