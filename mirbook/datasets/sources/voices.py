"""Real recorded human speech from Debian packages, fetched into the cache and catalogued.

Text-to-speech alone does not teach a speech/music classifier what people sound like: synthetic
voices are steadier and cleaner than real ones, and a model trained on them calls real speech
music. These packages ship real recordings (words, short phrases, acted lines) under free
licences; they are fetched with ``apt-get download`` into ``data_home()/debian/debs/`` and
unpacked there (:func:`mirbook.datasets.sources.debian_music.unpack`), never installed.

==================  ==============================================  ================  ===========
package             what (groups: one speaker, or one voice pack)    licence            used as
==================  ==============================================  ================  ===========
ktuberling-data     isolated words and short phrases, one speaker   GPL-2+            words joined
                    per locale (``ktuberling:<locale>``)                               into phrases
hedgewars-data      acted voice lines ("Incoming!", taunts), one    GFDL-1.3          lines joined
                    actor per voice pack (``hedgewars:<pack>``)
warzone2100-data    game voice: tutorial, mission messages,         GPL-2+            transfer test
                    narration (``warzone:<folder>``), 11 kHz radio                     only
==================  ==============================================  ================  ===========

Left out: ktuberling's 8 kHz WAV files (a sample-rate cue), the ``Robot`` (vocoded) and
``Singer`` (sung) packs of Hedgewars, Warzone's sound effects and its processed NEXUS voice.
:data:`GROUP_SPLITS` fixes the split of every group; the ``transfer`` groups are never in the
train/validation/test splits of ``speech_music`` (chapter ``notebooks/07_speech_music.ipynb``).

Examples
--------
>>> utts = load_catalog()                                   # doctest: +SKIP
>>> utts[0]["group"], round(utts[0]["duration"], 2)         # doctest: +SKIP
('hedgewars:British', 0.93)
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from mirbook.errors import CorpusError, ParameterError

__all__ = ["PACKAGES", "KTUBERLING_LOCALES", "HEDGEWARS_PACKS", "WARZONE_FOLDERS", "GROUP_SPLITS",
           "LICENCES", "catalog", "load_catalog", "utterance_path", "groups"]

#: The packages (see :data:`mirbook.datasets.sources.debian_music.SPEECH_PACKAGES`).
PACKAGES = ("ktuberling-data", "hedgewars-data", "warzone2100-data")

LICENCES = {"ktuberling-data": "GPL-2+", "hedgewars-data": "GFDL-1.3", "warzone2100-data": "GPL-2+"}

#: ktuberling locales with at least 50 s of recordings at 22.05 kHz or more.
KTUBERLING_LOCALES = ("ca", "da", "de", "el", "en", "fr", "gl", "lt", "nn", "ru", "sl", "uk", "wa")
#: Hedgewars voice packs of plain speech (not Robot, not Singer).
HEDGEWARS_PACKS = ("British", "Classic", "Default", "Default_es", "Default_pl", "Default_ru",
                   "Default_uk", "HillBilly", "Mobster", "Pirate", "Russian", "Russian_pl",
                   "Surfer")
#: Warzone 2100 folders (inside ``base.wz``) of spoken voice.
WARZONE_FOLDERS = ("audio/tutorial", "audio/extra", "audio/countdown", "audio/memressp",
                   "audio/taunts", "audio/vtoltalk", "sequenceaudio")

#: group -> split. ``transfer``: speakers never heard in training (the disjoint-source test).
GROUP_SPLITS = {
    **{f"ktuberling:{k}": "train" for k in ("ca", "da", "de", "lt", "nn", "ru")},
    "ktuberling:el": "validation", "ktuberling:sl": "validation", "ktuberling:en": "test",
    **{f"ktuberling:{k}": "transfer" for k in ("fr", "gl", "uk", "wa")},
    **{f"hedgewars:{k}": "train" for k in ("Classic", "Default", "Default_es", "HillBilly",
                                          "Mobster", "Russian", "Russian_pl")},
    "hedgewars:Default_pl": "validation", "hedgewars:Default_ru": "test",
    "hedgewars:Surfer": "test",
    **{f"hedgewars:{k}": "transfer" for k in ("British", "Default_uk", "Pirate")},
    **{f"warzone:{k.split('/')[-1]}": "transfer" for k in WARZONE_FOLDERS},
}

_MIN_SR = 22050
_CATALOG = "voices.json"


def _audio_info(path):
    import soundfile as sf

    info = sf.info(str(path))
    return float(info.duration), int(info.samplerate)


def _catalog_ktuberling(root: Path) -> list[dict]:
    base = root / "usr/share/ktuberling/sounds"
    out = []
    for loc in KTUBERLING_LOCALES:
        for f in sorted((base / loc).glob("*")):
            if f.suffix.lower() not in (".ogg", ".opus", ".wav"):
                continue
            dur, sr = _audio_info(f)
            if sr < _MIN_SR or dur < 0.2:
                continue
            out.append({"package": "ktuberling-data", "member": str(f.relative_to(root)),
                        "group": f"ktuberling:{loc}", "language": loc, "duration": dur, "sr": sr})
    return out


def _catalog_hedgewars(root: Path) -> list[dict]:
    base = root / "usr/share/games/hedgewars/Data/Sounds/voices"
    lang = {"Default_es": "es", "Default_pl": "pl", "Default_ru": "ru", "Default_uk": "uk",
            "Russian": "ru", "Russian_pl": "pl"}
    out = []
    for pack in HEDGEWARS_PACKS:
        for f in sorted((base / pack).glob("*.ogg")):
            dur, sr = _audio_info(f)
            if dur < 0.2:
                continue
            out.append({"package": "hedgewars-data", "member": str(f.relative_to(root)),
                        "group": f"hedgewars:{pack}", "language": lang.get(pack, "en"),
                        "duration": dur, "sr": sr})
    return out


def _catalog_warzone(root: Path) -> list[dict]:
    import zipfile

    from mirbook.datasets.sources.debian_music import safe_extract_zip

    wz = root / "usr/share/games/warzone2100/base.wz"
    dest = root.parent / f"{root.name}.base"
    with zipfile.ZipFile(wz) as z:
        names = [n for n in z.namelist() if n.endswith(".ogg")
                 and any(n.startswith(d + "/") for d in WARZONE_FOLDERS)]
    missing = [n for n in names if not (dest / n).is_file()]
    if missing:
        safe_extract_zip(wz, dest=dest, members=missing)
    out = []
    for n in sorted(names):
        dur, sr = _audio_info(dest / n)
        if dur < 0.3:
            continue
        folder = next(d for d in WARZONE_FOLDERS if n.startswith(d + "/")).split("/")[-1]
        out.append({"package": "warzone2100-data", "member": f"base.wz:{n}",
                    "group": f"warzone:{folder}", "language": "en", "duration": dur, "sr": sr})
    return out


def catalog(*, packages=PACKAGES, cache: Path | None = None) -> list[dict]:
    """Fetch, unpack and describe every utterance of ``packages`` (cached as ``voices.json``).

    Returns
    -------
    list of dict
        ``package``, ``member`` (path inside the package; ``base.wz:<name>`` for Warzone),
        ``group``, ``language``, ``duration`` (s), ``sr`` (Hz of the file).
    """
    from mirbook.datasets.sources.debian_music import cache_dir, unpack

    cache = cache or cache_dir()
    path = cache / _CATALOG
    index = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    changed = False
    for pkg in packages:
        if pkg not in PACKAGES:
            raise ParameterError(f"packages: {pkg!r} is not one of {PACKAGES}")
        root = unpack(pkg, cache=cache)
        if index.get(pkg, {}).get("root") == root.name:
            continue
        fn = {"ktuberling-data": _catalog_ktuberling, "hedgewars-data": _catalog_hedgewars,
              "warzone2100-data": _catalog_warzone}[pkg]
        index[pkg] = {"root": root.name, "utterances": fn(root)}
        changed = True
    if changed:
        from mirbook.datasets.core import write_json

        write_json(path, index)
    _table.cache_clear()
    return [u for p in packages for u in index[p]["utterances"]]


def load_catalog(*, cache: Path | None = None) -> list[dict]:
    """The cached catalogue (:func:`catalog` must have run: the corpus's ``prepare`` step)."""
    from mirbook.datasets.sources.debian_music import cache_dir

    path = (cache or cache_dir()) / _CATALOG
    if not path.is_file():
        raise CorpusError(f"{path}: no catalogue of the speech packages; run "
                          "python -m mirbook data build --only speech_music")
    index = json.loads(path.read_text(encoding="utf-8"))
    missing = [p for p in PACKAGES if p not in index]
    if missing:
        raise CorpusError(f"{path}: the catalogue lacks {missing}; run "
                          "python -m mirbook data build --only speech_music")
    return [u for p in PACKAGES for u in index[p]["utterances"]]


def groups(records) -> dict:
    """group -> list of utterances (``records``: catalogue entries), in catalogue order.

    Examples
    --------
    >>> sorted(groups([{"group": "a"}, {"group": "b"}, {"group": "a"}]))
    ['a', 'b']
    """
    out = {}
    for u in records:
        out.setdefault(u["group"], []).append(u)
    return out


@functools.lru_cache(maxsize=2)
def _table(cache):
    from mirbook.datasets.sources.debian_music import cache_dir

    c = Path(cache) if cache else cache_dir()
    index = json.loads((c / _CATALOG).read_text(encoding="utf-8"))
    return {p: c / "x" / v["root"] for p, v in index.items()}


def utterance_path(package: str, *, member: str, cache: Path | None = None) -> Path:
    """The file of a catalogued utterance, from its package and member (what a plan stores)."""
    roots = _table(str(cache) if cache else None)
    if package not in roots:
        raise CorpusError(f"{package}: not in the speech catalogue")
    root = roots[package]
    m = re.match(r"base\.wz:(.*)", member)
    if m:
        return root.parent / f"{root.name}.base" / m.group(1)
    return root / member
