"""Real recorded music from Debian's game-music packages, fetched into the cache and catalogued.

The offline corpus's recorded music comes from five packages of free game soundtracks by human
composers. They are fetched with ``apt-get download`` into
``mirbook.config.data_home()/debian/debs/`` and unpacked with ``dpkg-deb -x`` into
``.../debian/x/<package>_<version>/`` -- never installed system-wide, never committed.

- ``asc-music``: Michael Kievernagel (copyright ``Files``); GPL-2+.
- ``singularity-music``: Max McCracken, a.k.a. Maxstack (tags); CC-BY-SA-3.0.
- ``hyperrogue-music``: Shawn Parrotte, Will Savino, Lincoln Domina (copyright ``Files``
  stanzas); CC-BY-SA-3.0.
- ``warzone2100-music``: Martin Severn, LupusMechanicus (``album.json``); GPL-2+ (original),
  CC-BY-SA-3.0+ or GPL-2+ (community albums).
- ``nexuiz-music``: Gerd Raudenbusch (elysis), blkrbt, Braden Walters, Parapraxis (Vorbis tags);
  GPL-2+.

(Package: artists, and where the name comes from; licence, from the package's copyright file.)

Used by the ``speech_music`` and ``styles`` corpora (chapters on speech/music discrimination,
tagging, embeddings and artist disambiguation). Their ``prepare`` step calls :func:`catalog`
(fetch, unpack, describe; the result is cached as ``catalog.json``); their ``plan`` reads only that
cache (:func:`load_catalog`), and their ``render`` finds a file from its package and member
(:func:`track_path`): no absolute path enters a plan.

Examples
--------
>>> tracks = load_catalog()                               # doctest: +SKIP
>>> tracks[0].artist, tracks[0].title, round(tracks[0].duration)   # doctest: +SKIP
('Michael Kievernagel', 'Frontiers', 441)
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from mirbook._tools import require_tool
from mirbook.config import data_home
from mirbook.download import UnsafeArchiveError, check_member_name
from mirbook.errors import CorpusError, MirbookError, ParameterError

#: The packages, in catalogue order, with their approximate download size (MB, ``apt-cache show``).
PACKAGES = {
    "asc-music": 10.3,
    "singularity-music": 51.6,
    "hyperrogue-music": 63.8,
    "warzone2100-music": 85.7,
    "nexuiz-music": 84.0,
}

#: Packages of real recorded *speech* fetched the same way (their catalogue is
#: :mod:`mirbook.datasets.sources.voices`), with their approximate download size (MB).
SPEECH_PACKAGES = {
    "ktuberling-data": 46.7,
    "hedgewars-data": 145.3,
    "warzone2100-data": 142.6,
}

#: One artist, several spellings in the metadata -> the name the corpus uses.
ARTIST_ALIASES = {
    "Maxstack": "Max McCracken (Maxstack)",
    "Max McCracken": "Max McCracken (Maxstack)",
    "Gerd (elysis) Raudenbusch": "Gerd Raudenbusch (elysis)",
    "www.elysis.de": "Gerd Raudenbusch (elysis)",
    "elysis": "Gerd Raudenbusch (elysis)",
}

#: Fixed split of every artist (recordings are split by artist, never by excerpt). Hashing 11 artist
#: names at 80/10/10 could leave the test split without music; this table keeps about 55/20/25 %
#: of the excerpts, and two packages in each held-out split.
ARTIST_SPLITS = {
    "LupusMechanicus": "train",
    "Max McCracken (Maxstack)": "train",
    "Shawn Parrotte": "train",
    "Gerd Raudenbusch (elysis)": "train",
    "Will Savino": "train",
    "Braden Walters": "train",
    "Martin Severn": "validation",
    "Parapraxis": "validation",
    "Lincoln Domina": "validation",
    "blkrbt": "test",
    "Michael Kievernagel": "test",
}

#: Tags of the game each package belongs to, from the game package's Debian tags (debtags, shown by
#: ``apt-cache show asc warzone2100 singularity hyperrogue nexuiz``): ``game::strategy`` ->
#: "strategy-game", ``game::fps`` -> "shooter-game", ``game::rpg:rogue`` -> "roguelike-game"...
GAME_TAGS = {
    "asc-music": ["strategy-game"],
    "warzone2100-music": ["strategy-game"],
    "singularity-music": ["strategy-game", "simulation-game"],
    "hyperrogue-music": ["arcade-game", "roguelike-game"],
    "nexuiz-music": ["shooter-game"],
}

#: Licences of the packages whose copyright file is not machine-readable (DEP-5): read by hand from
#: ``usr/share/doc/<package>/copyright`` (singularity: "released under the ... BY-SA 3.0 license",
#: also in every file's LICENSE tag; nexuiz: "GNU General Public License ... version 2 ... or later").
_LICENCE_BY_HAND = {"singularity-music": "CC-BY-SA-3.0", "nexuiz-music": "GPL-2+"}

_AUDIO_EXT = (".ogg", ".opus", ".mp3", ".flac", ".wav")


class DebianFetchError(MirbookError, RuntimeError):
    """``apt-get download`` or ``dpkg-deb -x`` failed; the message says which and why."""


@dataclass(frozen=True)
class Track:
    """One recording in the catalogue.

    Attributes
    ----------
    package, version : str
        The Debian package (and its version) it comes from.
    path : str
        Absolute path of a file soundfile can read (inside the unpacked package or the cache).
    member : str
        Its path inside the package (or ``music.pk3:member`` for Nexuiz), a stable identifier.
    title, artist, album : str
    licence : str
        SPDX-style short name, from the package's copyright file.
    duration : float
        Seconds.
    sr : int
        The file's sample rate.
    bpm : float or None
        Tempo from the metadata where given (Warzone 2100's ``album.json``).
    extra : dict
        Other metadata tags (genre, software...).
    """

    package: str
    version: str
    path: str
    member: str
    title: str
    artist: str
    album: str
    licence: str
    duration: float
    sr: int
    bpm: float | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self):
        """The track as a plain dict (JSON-serialisable)."""
        return asdict(self)


# --------------------------------------------------------------------------------------------------
# fetching and unpacking


def cache_dir() -> Path:
    """``data_home()/debian``: downloaded ``.deb`` files in ``debs/``, unpacked trees in ``x/``."""
    path = data_home() / "debian"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _find_deb(package: str, folder: Path) -> Path | None:
    found = sorted(folder.glob(f"{package}_*.deb"))
    return found[-1] if found else None


def fetch(package: str, *, cache: Path | None = None) -> Path:
    """Download ``package``'s ``.deb`` with ``apt-get download`` (once; cached) and return its path.

    Raises
    ------
    DebianFetchError
        apt-get failed (no network, unknown package, stale package lists...): the message gives
        apt-get's own error and the command to try by hand.
    """
    known = {**PACKAGES, **SPEECH_PACKAGES, **ARTIST_PACKAGES, **CREDIT_PACKAGES}
    if package not in known:
        raise ParameterError(f"package={package!r} is not one of the corpus's packages: "
                             f"{sorted(known)}")
    debs = (cache or cache_dir()) / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    deb = _find_deb(package, debs)
    if deb is not None:
        return deb
    require_tool("apt-get", apt="apt", executable="apt-get")
    # download into a private folder, then move: an interrupted download leaves no partial .deb
    with tempfile.TemporaryDirectory(dir=debs, prefix=".download-") as tmp:
        proc = subprocess.run(["apt-get", "download", package], cwd=tmp,
                              capture_output=True, text=True)
        got = _find_deb(package, Path(tmp))
        if proc.returncode != 0 or got is None:
            err = "\n".join(line for line in (proc.stderr or "").splitlines()
                            if not line.startswith("W: Download is performed unsandboxed"))
            raise DebianFetchError(
                f"apt-get download {package} failed (exit status {proc.returncode}): "
                f"{err.strip() or 'no .deb was written'}\n"
                f"The corpus needs this package's music. Check the network and the package lists "
                f"(as root: `apt-get update`), then try `cd {debs} && apt-get download {package}`; "
                f"or build only the tiny corpora, which do not need it."
            )
        os.replace(got, debs / got.name)
    return debs / got.name


def unpack(package: str, *, cache: Path | None = None) -> Path:
    """Fetch ``package`` if needed and unpack it with ``dpkg-deb -x``; return the unpacked root.

    The tree goes to ``<cache>/x/<deb name>/`` through a temporary folder renamed into place, so a
    half-unpacked tree is never taken for a complete one.
    """
    cache = cache or cache_dir()
    deb = fetch(package, cache=cache)
    dest = cache / "x" / deb.stem
    if dest.is_dir():
        return dest
    require_tool("dpkg-deb", apt="dpkg", executable="dpkg-deb")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{deb.stem}."))
    try:
        proc = subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise DebianFetchError(f"dpkg-deb -x {deb} failed: {proc.stderr.strip()} "
                                   f"(delete {deb} to download it again)")
        try:
            os.replace(tmp, dest)
        except OSError:
            if not dest.is_dir():  # else another build unpacked it meanwhile: keep theirs
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _check_member(archive, name: str, dest: Path) -> Path:
    """The path inside ``dest`` where archive member ``name`` goes, or UnsafeArchiveError
    (the name rules are :mod:`mirbook.download`'s, shared by every extractor in mirbook)."""
    pure = PurePosixPath(check_member_name(archive, name))
    target = (dest / pure).resolve()
    root = dest.resolve()
    if target != root and root not in target.parents:
        raise UnsafeArchiveError(archive, name, f"it would land outside {dest}")
    return target


def safe_extract_zip(archive, *, dest, members=None) -> list[Path]:
    """Extract some or all members of a zip archive (e.g. a Quake ``.pk3``), safely.

    Unlike :func:`mirbook.download.extract` (a whole archive into a new folder, atomically), this
    takes a subset of members and writes each file atomically into an existing folder.

    Every member is checked *before* anything is written: an absolute name, a ``..`` component, a
    drive letter or a symbolic link raises :class:`UnsafeArchiveError` and leaves ``dest`` as it was.
    Files are written atomically (temporary name, then rename).

    Parameters
    ----------
    archive : path-like
    dest : path-like
        Folder to extract into (created).
    members : iterable of str, optional
        Only these members (default: all).

    Returns
    -------
    paths : list of Path
        The extracted files.
    """
    dest = Path(dest)
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if members is not None:
            wanted = set(members)
            infos = [i for i in infos if i.filename in wanted]
        plan = []
        for info in infos:
            target = _check_member(archive, info.filename, dest)
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:
                raise UnsafeArchiveError(archive, info.filename, "a symbolic link")
            plan.append((info, target))
        out = []
        for info, target in plan:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as f, zf.open(info) as src:
                    shutil.copyfileobj(src, f)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            out.append(target)
    return out


# --------------------------------------------------------------------------------------------------
# metadata


def parse_dep5(text: str) -> list[dict]:
    """Parse a machine-readable (DEP-5) ``debian/copyright`` into ``Files`` stanzas.

    Returns
    -------
    stanzas : list of dict
        ``{"files": [patterns], "copyright": [lines], "license": short name}`` for each stanza
        that has a ``Files`` field, in file order (the last matching stanza wins, as in DEP-5).
    """
    stanzas = []
    for para in re.split(r"\n\s*\n", text):
        fields, key = {}, None
        for line in para.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key].append(line.strip())
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = [value.strip()] if value.strip() else []
        if "files" in fields:
            files = " ".join(fields["files"]).split()
            stanzas.append({
                "files": files,
                "copyright": fields.get("copyright", []),
                "license": (fields.get("license") or [""])[0],
            })
    return stanzas


def dep5_lookup(stanzas: list[dict], relpath: str) -> dict | None:
    """The DEP-5 stanza that governs ``relpath`` (last match wins), or ``None``."""
    hit = None
    for st in stanzas:
        if any(fnmatch.fnmatch(relpath, pat) for pat in st["files"]):
            hit = st
    return hit


def _holder(copyright_lines: list[str]) -> str:
    """'2002 Michael Kievernagel' -> 'Michael Kievernagel'; strips years and URLs."""
    line = copyright_lines[0] if copyright_lines else ""
    line = re.sub(r"\(?https?://\S+\)?", "", line)
    line = re.sub(r"^[\d\s,\-]+", "", line)
    line = re.sub(r"<[^>]*>", "", line)
    return line.strip(" ,")


def _version(root: Path) -> str:
    return root.name.split("_")[1] if "_" in root.name else ""


def _tags(path: Path) -> dict:
    import soundfile as sf

    with sf.SoundFile(path) as f:
        info = {"sr": f.samplerate, "duration": f.frames / f.samplerate}
        try:
            meta = {k: v for k, v in f.copy_metadata().items() if v}
        except Exception:  # noqa: BLE001 - metadata is optional
            meta = {}
    return {**info, "meta": meta}


def _artist(name: str) -> str:
    name = name.strip()
    return ARTIST_ALIASES.get(name, name)


def _title_from_filename(path: Path) -> str:
    stem = re.sub(r"^(hr3?-|hr-\w+-)", "", path.stem)
    return stem.replace("_", " ").replace("-", " ").strip().title()


def _catalog_asc(root: Path) -> list[Track]:
    stanzas = parse_dep5((root / "usr/share/doc/asc-music/copyright").read_text())
    main = dep5_lookup(stanzas, "frontiers.mp3")
    out = []
    for path in sorted((root / "usr/share/games/asc/music").glob("*.mp3")):
        t = _tags(path)
        out.append(Track("asc-music", _version(root), str(path), str(path.relative_to(root)),
                         _title_from_filename(path), _artist(_holder(main["copyright"])),
                         "Advanced Strategic Command", main["license"], t["duration"], t["sr"]))
    return out


def _catalog_singularity(root: Path) -> list[Track]:
    out = []
    for path in sorted((root / "usr/share/games/singularity/music").rglob("*.ogg")):
        t = _tags(path)
        m = t["meta"]
        out.append(Track("singularity-music", _version(root), str(path), str(path.relative_to(root)),
                         m.get("title", path.stem), _artist(m.get("artist", "Max McCracken")),
                         m.get("album", "Endgame: Singularity"), _LICENCE_BY_HAND["singularity-music"],
                         t["duration"], t["sr"]))
    return out


def _hyperrogue_titles(root: Path) -> dict:
    """File name -> land name, from ``hyperrogue-music.txt`` (first land that plays the file)."""
    titles, last = {}, None
    txt = root / "usr/share/hyperrogue/hyperrogue-music.txt"
    for line in txt.read_text().splitlines():
        m = re.match(r"#\s*(.+?)\s*(\[[\d ,\->]+\])?\s*(\(.*\))?$", line)
        if m and not line.startswith("# None") and "[" in line:
            last = m.group(1)
        m2 = re.match(r"\[\d+\]\s*\*/music/(\S+)", line)
        if m2 and last:
            titles.setdefault(m2.group(1), last)
    return titles


def _catalog_hyperrogue(root: Path) -> list[Track]:
    # The Vorbis tags of the hr3-* files are copies of one file's (all say "Living Caves"), so the
    # artist comes from the DEP-5 copyright stanzas and the title from hyperrogue-music.txt.
    stanzas = parse_dep5((root / "usr/share/doc/hyperrogue-music/copyright").read_text())
    titles = _hyperrogue_titles(root)
    out = []
    for path in sorted((root / "usr/share/hyperrogue/music").glob("*.ogg")):
        st = dep5_lookup(stanzas, f"music/{path.name}")
        if st is None:
            continue
        t = _tags(path)
        out.append(Track("hyperrogue-music", _version(root), str(path), str(path.relative_to(root)),
                         titles.get(path.name, _title_from_filename(path)),
                         _artist(_holder(st["copyright"])), "HyperRogue", st["license"],
                         t["duration"], t["sr"]))
    return out


def _catalog_warzone(root: Path) -> list[Track]:
    stanzas = parse_dep5((root / "usr/share/doc/warzone2100-music/copyright").read_text())
    default_licence = dep5_lookup(stanzas, "data/music/track1.opus")["license"]
    out = []
    for album_json in sorted((root / "usr/share/games/warzone2100/music/albums").glob("*/album.json")):
        album = json.loads(album_json.read_text())
        lic_txt = album_json.parent / "license.txt"
        licence = default_licence
        if lic_txt.exists() and "CC-BY-SA-3.0" in lic_txt.read_text():
            licence = "CC-BY-SA-3.0+ OR GPL-2+"
        for tr in album["tracks"]:
            path = album_json.parent / tr["filename"]
            if "enhanced" in path.stem and path.stem != "menu_enhanced":
                # track3_enhanced is a remake of the original track3 (license.txt says so): it would
                # put one piece under two artists, so it is left out.
                continue
            t = _tags(path)
            out.append(Track("warzone2100-music", _version(root), str(path),
                             str(path.relative_to(root)), tr.get("title", path.stem),
                             _artist(tr.get("author", album.get("author", ""))),
                             album.get("title", ""), licence, t["duration"], t["sr"],
                             bpm=float(tr["bpm"]) if tr.get("bpm") else None))
    return out


def _catalog_nexuiz(root: Path, cache: Path) -> list[Track]:
    pk3 = root / "usr/share/games/nexuiz/data/music.pk3"
    dest = cache / "x" / f"{root.name}.pk3"
    if not (dest / ".complete").exists():
        safe_extract_zip(pk3, dest=dest)
        (dest / ".complete").write_text("ok\n")
    out = []
    for path in sorted((dest / "sound/cdtracks").glob("*.ogg")):
        t = _tags(path)
        m = t["meta"]
        if "artist" not in m or t["duration"] < 60:
            continue  # no artist in the metadata (northern-lights) or a jingle (thunder): left out
        title = m.get("title", path.stem)
        if title.startswith("elysis-"):
            title = title[len("elysis-"):].replace(".mp3", "").replace("_", " ").title()
        extra = {k: v for k, v in m.items() if k in ("genre", "software")}
        out.append(Track("nexuiz-music", _version(root), str(path),
                         f"music.pk3:{path.relative_to(dest)}", title, _artist(m["artist"]),
                         "Nexuiz", _LICENCE_BY_HAND["nexuiz-music"], t["duration"], t["sr"],
                         extra=extra))
    return out


_CATALOGUERS = {
    "asc-music": _catalog_asc,
    "singularity-music": _catalog_singularity,
    "hyperrogue-music": _catalog_hyperrogue,
    "warzone2100-music": _catalog_warzone,
}


def catalog(*, packages=None, cache: Path | None = None) -> list[Track]:
    """Fetch, unpack and describe every track of ``packages`` (default: all of :data:`PACKAGES`).

    The result is cached as ``<cache>/catalog.json`` (rebuilt when a package version changes), so
    a second call costs a file read.

    Returns
    -------
    tracks : list of Track
        Sorted by package then member path.
    """
    cache = cache or cache_dir()
    packages = list(PACKAGES if packages is None else packages)
    index_path = cache / "catalog.json"
    index = {}
    if index_path.exists():
        try:
            index = json.loads(index_path.read_text())
        except ValueError:
            index = {}
    out, changed = [], False
    for package in packages:
        root = unpack(package, cache=cache)
        entry = index.get(package)
        if entry is None or entry.get("root") != str(root) or not all(
                Path(t["path"]).exists() for t in entry["tracks"]):
            if package == "nexuiz-music":
                tracks = _catalog_nexuiz(root, cache)
            else:
                tracks = _CATALOGUERS[package](root)
            entry = {"root": str(root), "tracks": [t.to_dict() for t in tracks]}
            index[package] = entry
            changed = True
        out.extend(Track(**t) for t in entry["tracks"])
    if changed:
        from mirbook.io import atomic_path

        with atomic_path(index_path) as tmp:
            tmp.write_text(json.dumps(index, indent=1, sort_keys=True))
    return out


def load_catalog(*, cache: Path | None = None) -> list[Track]:
    """The tracks that :func:`catalog` described, read from the cache only (no fetch, no unpack).

    Raises
    ------
    mirbook.errors.CorpusError
        Nothing catalogued yet: the message gives the command that prepares it.
    """
    index_path = (cache or cache_dir()) / "catalog.json"
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError):
        raise CorpusError(f"{index_path}: no catalogue of the Debian music packages; it is made "
                          "by the build's prepare step: python -m mirbook data build --only "
                          "speech_music") from None
    missing = [p for p in PACKAGES if p not in index]
    if missing:
        raise CorpusError(f"{index_path}: {missing} not catalogued yet; run "
                          "python -m mirbook data build --only speech_music")
    return [Track(**t) for p in PACKAGES for t in index[p]["tracks"]]


def track_path(package: str, *, member: str, cache: Path | None = None) -> str:
    """The file of a catalogued track, from its package and member (what a plan stores).

    Examples
    --------
    >>> track_path("asc-music", member="usr/share/games/asc/music/frontiers.mp3")  # doctest: +SKIP
    '/.../debian/x/asc-music_.../usr/share/games/asc/music/frontiers.mp3'
    """
    return _find_track(package, member, cache, artists=False)


def _find_track(package, member, cache, *, artists):
    """The file of (package, member) in the styles' or the artists' catalogue, or CorpusError."""
    table = _path_table(str(cache) if cache else None, artists)
    if (package, member) not in table:
        which, only = (("the artists' catalogue", " --only artists") if artists
                       else ("the catalogue", ""))
        raise CorpusError(f"{package}: no track {member!r} in {which} (run "
                          f"python -m mirbook data build{only} again)")
    return table[(package, member)]


@functools.lru_cache(maxsize=8)
def _path_table(cache, artists):
    load = load_artist_catalog if artists else load_catalog
    tracks = load(cache=Path(cache) if cache else None)
    return {(t.package, t.member): t.path for t in tracks}


def read_excerpt(path, *, offset: float, duration: float, sr: int):
    """Read ``duration`` seconds from ``offset`` of a file, mono, resampled to ``sr``.

    Returns
    -------
    y : np.ndarray, shape (round(duration * sr),), float32
    """
    import numpy as np

    from mirbook.io import load_audio

    y, _ = load_audio(path, sr=sr, offset=offset, duration=duration)
    n = int(round(duration * sr))
    if y.shape[-1] < n:
        y = np.pad(y, (0, n - y.shape[-1]))
    return y[:n].astype(np.float32)


# --------------------------------------------------------------------------------------------------
# more artists: the packages of the ``artists`` corpus (chapters 14-15)
#
# Kept apart from PACKAGES on purpose: ``speech_music`` and ``styles`` read :func:`load_catalog`
# (PACKAGES only) and must keep drawing exactly what they drew; ``artists`` reads
# :func:`load_artist_catalog` (PACKAGES + ARTIST_PACKAGES). Only the music members (and the
# credits/copyright files) of these packages are unpacked, streamed out of ``dpkg-deb
# --fsys-tarfile``: the 862 MB Red Eclipse package leaves 17 MB on disk.

#: Packages that add artists, with their approximate download size (MB, ``apt-cache show``), the
#: members to unpack (shell patterns) and where the names of the composers come from.
ARTIST_PACKAGES = {
    "supertux-data": (161.6, ("./usr/share/games/supertux2/music/*",),
                      "Vorbis ARTIST tags (the credits' Music list names the same people)"),
    "supertuxkart-data": (627.3, ("./usr/share/games/supertuxkart/data/music/*",),
                          "the composer attribute of each track's .music file"),
    "naev-data": (349.0, ("./usr/share/naev/dat/snd/music/*",),
                  "Vorbis ARTIST tags, else the DEP-5 Files stanza of the track"),
    "widelands-data": (381.0, ("./usr/share/games/widelands/data/music/*",),
                       "Vorbis ARTIST tags (Stuart Marshall also in the DEP-5 stanzas)"),
    "hedgewars-data": (145.3, ("./usr/share/games/hedgewars/Data/Music/*",),
                       "Data/Music/credits.txt (file=composer)"),
    "redeclipse-data": (862.5, ("./usr/share/games/redeclipse/data/sounds/music/*",),
                        "data/sounds/music/readme.txt (a Files/Copyright stanza)"),
    "openarena-088-data": (71.7, ("./usr/share/games/openarena/baseoa/pak6-patch088.pk3",
                                  "./usr/share/doc/openarena-088-data/CREDITS-0.8.8"),
                           "CREDITS-0.8.8: 'jute gyte - Music (OA##.ogg)'; tracks in the pk3"),
    "colobot-common-sounds": (60.7, ("./usr/share/games/colobot/music/*",), "Vorbis ARTIST tags"),
    "marsshooter-data": (68.0, ("./usr/share/games/marsshooter/audio/*",), "Vorbis ARTIST tags"),
    "openclonk-data": (112.0, ("./usr/share/games/openclonk/Music.ocg/*",), "Vorbis ARTIST tags"),
    "pushover-data": (32.0, ("./usr/share/pushover/themes/*",),
                      "copyright: 'Roberto Lorenz (Music compositon and arrangement)'"),
    "amoebax-data": (8.0, ("./usr/share/games/amoebax/music/*",), "Vorbis ARTIST tags"),
    "xmoto-data": (31.9, ("./usr/share/games/xmoto/Textures/Musics/*",), "Vorbis ARTIST tags"),
    "fretsonfire-songs-muldjord": (29.0, ("./usr/share/games/fretsonfire/data/songs/*",),
                                   "copyright: 'composed by El Senator of ... Muldjord'"),
    "fretsonfire-songs-sectoid": (29.0, ("./usr/share/games/fretsonfire/data/songs/*",),
                                  "song.ini: 'Composed and performed by Sectoid'"),
    "starfighter-data": (45.0, ("./usr/share/starfighter/music/*",),
                         "LICENSES of the starfighter package: 'music/<file> Author: <name>'"),
    "unknown-horizons": (248.5, ("./usr/share/unknown-horizons/content/audio/music/*",),
                         "Vorbis ARTIST tags"),
    "davegnukem-data": (20.0, ("./usr/share/games/davegnukem/music/*",),
                        "Vorbis ARTIST tags (the folder is named music/eric_matyas)"),
    "wizznic-data": (16.5, ("./usr/share/games/wizznic/packs/*/music/*",
                            "./usr/share/games/wizznic/data/menu-music.ogg"),
                     "Vorbis ARTIST tags (the file names say 'Sean Hawk - <title>')"),
    "enigma-data": (30.3, ("./usr/share/games/enigma/music/*",), "Vorbis ARTIST tags"),
}

#: Packages fetched only for their credits (no music): the package whose tracks they name.
CREDIT_PACKAGES = {"starfighter": (0.1, ("./usr/share/doc/starfighter/LICENSES.gz",),
                                   "starfighter-data")}

#: One person, several spellings across the new packages -> the corpus's name.
MORE_ARTIST_ALIASES = {
    "Wansti": "Marek Moeckel (Wansti)",
    "Ozoneone": "0zone0ne", "OzoneOne": "0zone0ne",
    "Krobonil": "Chris Leutwyler (Krobonil)", "Chris Leutwyler": "Chris Leutwyler (Krobonil)",
    "Chris Leutwyler (Krobonil)": "Chris Leutwyler (Krobonil)",
    "Klaus Halfmann aka Hasi50": "Klaus Halfmann",
    "\u00c0lex Almarza": "Alex Almarza",
    "Composed and performed by Sectoid": "Sectoid (Carlos Viola Iborra)",
}

#: The game each package belongs to: its Debian tags (debtags, ``apt-cache show <game>``, the
#: ``game::`` facet) and its one-line package description, verbatim (the two metadata of the
#: package-side tag system of chapter 15).
GAME_INFO = {
    "asc-music": (["game::strategy"], "turn-based strategy game"),
    "singularity-music": (["game::simulation", "game::strategy"],
                          "game where one becomes the singularity"),
    "hyperrogue-music": (["game::arcade", "game::rpg:rogue"],
                         "non-euclidean graphical rogue-like game"),
    "warzone2100-music": (["game::strategy"], "3D real time strategy game"),
    "nexuiz-music": (["game::fps"], "Fast-paced 3D first-person shooter"),
    "supertux-data": (["game::arcade", "game::platform"],
                      "Classic 2D jump 'n run sidescroller with Tux"),
    "supertuxkart-data": (["game::sport:racing"], "3D arcade racer with a variety of "
                          "characters, tracks, and modes to play"),
    "naev-data": ([], "2D action/rpg space game"),
    "widelands-data": (["game::strategy"], "fantasy real-time strategy game"),
    "hedgewars-data": (["game::arcade", "game::strategy"],
                       "Funny turn-based artillery game, featuring fighting hedgehogs!"),
    "redeclipse-data": (["game::fps"], "free, casual arena shooter"),
    "openarena-088-data": (["game::fps"], "fast-paced 3D first-person shooter"),
    "colobot-common-sounds": ([], "educational programming strategy game"),
    "marsshooter-data": ([], "ridiculous space shooter governed by the laws of gravity"),
    "openclonk-data": ([], "multiplayer game of strategy, action and skill"),
    "pushover-data": (["game::puzzle"], "Fun puzzle game with dominos"),
    "amoebax-data": (["game::puzzle"], "Puyo Puyo-style puzzle game for up to two players"),
    "xmoto-data": (["game::platform"], "2D motocross platform game"),
    "fretsonfire-songs-muldjord": ([], "game of musical skill and fast fingers"),
    "fretsonfire-songs-sectoid": ([], "game of musical skill and fast fingers"),
    "starfighter-data": (["game::arcade"], "2D scrolling shooter game"),
    "unknown-horizons": (["game::simulation", "game::strategy"],
                         "2D realtime strategy simulation"),
    "davegnukem-data": ([], "Retro-style 2D scrolling platform shooter"),
    "wizznic-data": (["game::arcade", "game::puzzle"],
                     "implementation of the arcade classic Puzznic"),
    "enigma-data": (["game::puzzle"], "Game where you control a marble with the mouse"),
}

#: Licences read by hand where the copyright file is not DEP-5 or has no stanza for the music.
_MORE_LICENCES = {
    "openclonk-data": "CC-BY-3.0 (game content; engine ISC)",
    "fretsonfire-songs-muldjord": "CC-BY-SA-3.0",
    "fretsonfire-songs-sectoid": "MIT-style (Expat)",
    "pushover-data": "GPL-3+",
    "openarena-088-data": "GPL-2+",
    "colobot-common-sounds": "GPL-3+",
    "xmoto-data": "GPL-2+",
    "enigma-data": "GPL-2",
}

#: Installed path -> the path the DEP-5 ``Files`` patterns use (the upstream source tree).
_DEP5_PREFIX = {
    "supertux-data": ("usr/share/games/supertux2/", "data/"),
    "naev-data": ("usr/share/naev/", "./"),
    "widelands-data": ("usr/share/games/widelands/", ""),
    "marsshooter-data": ("usr/share/games/marsshooter/", "data/"),
    "amoebax-data": ("usr/share/games/amoebax/", "data/"),
    "unknown-horizons": ("usr/share/unknown-horizons/", ""),
    "davegnukem-data": ("usr/share/games/davegnukem/", "data/"),
    "wizznic-data": ("usr/share/games/wizznic/", ""),
}

#: Shortest track taken (s): a 15-s excerpt must fit well inside it.
MIN_TRACK_S = 30.0


def unpack_members(package: str, *, patterns, cache: Path | None = None) -> Path:
    """Fetch ``package`` and unpack only the members matching ``patterns``; return the root.

    The tar stream of ``dpkg-deb --fsys-tarfile`` is read once; every member name is checked
    (:func:`mirbook.download.check_member_name`: no absolute path, no ``..``) and only regular
    files are written, into ``<cache>/x/<deb name>.music/`` (through a temporary folder renamed
    into place, as :func:`unpack`).
    """
    import tarfile

    cache = cache or cache_dir()
    deb = fetch(package, cache=cache)
    dest = cache / "x" / f"{deb.stem}.music"
    if dest.is_dir():
        return dest
    require_tool("dpkg-deb", apt="dpkg", executable="dpkg-deb")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{deb.stem}."))
    wanted = tuple(patterns) + (f"./usr/share/doc/{package}/copyright",)
    try:
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
            for member in tf:
                if not member.isfile() or not any(fnmatch.fnmatch(member.name, p) for p in wanted):
                    continue
                target = _check_member(deb, member.name, tmp)
                target.parent.mkdir(parents=True, exist_ok=True)
                with tf.extractfile(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
        err = proc.stderr.read().decode(errors="replace")
        if proc.wait() != 0:
            raise DebianFetchError(f"dpkg-deb --fsys-tarfile {deb} failed: {err.strip()} "
                                   f"(delete {deb} to download it again)")
        try:
            os.replace(tmp, dest)
        except OSError:
            if not dest.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _more_artist(name: str) -> str:
    name = re.sub(r"\s+", " ", (name or "").replace("&amp;", "&")).strip()
    return MORE_ARTIST_ALIASES.get(name, ARTIST_ALIASES.get(name, name))


def _person(name: str) -> bool:
    """A single named person or artist (not a URL, a company, a duo, or 'with material from')."""
    low = name.lower()
    return bool(name) and not any(s in low for s in (
        "http", "www.", ".com", " & ", " and ", "(contains", "must credit", "vega strike",
        "edgar simo-serra", "\u00a9", "edit]"))


def _dep5_of(root: Path, package: str):
    path = root / f"usr/share/doc/{package}/copyright"
    return parse_dep5(path.read_text(errors="replace")) if path.exists() else []


_MORE_LICENCES_PER_FILE: dict = {}


def _licence(package: str, stanzas, rel: str) -> str:
    if (package, rel) in _MORE_LICENCES_PER_FILE:
        return _MORE_LICENCES_PER_FILE[(package, rel)]
    if package in _MORE_LICENCES:
        return _MORE_LICENCES[package]
    st = dep5_lookup(stanzas, rel) or dep5_lookup(stanzas, "./" + rel)
    return st["license"] if st else ""


def _track(package, root, path, member, *, title, artist, licence, album="", extra=None):
    t = _tags(path)
    m = t["meta"]
    extra = dict(extra or {})
    for key in ("genre", "date", "album"):
        if m.get(key) and key not in extra:
            extra[key] = m[key]
    if m.get("date"):
        year = re.search(r"(19|20)\d\d", m["date"])
        if year:
            extra["year"] = int(year.group(0))
    return Track(package, _version(root), str(path), member, title or _title_from_filename(path),
                 artist, album or m.get("album", "") or package, licence, t["duration"], t["sr"],
                 extra=extra)


def _catalog_more(package: str, root: Path, cache: Path) -> list[Track]:
    """The tracks of one of :data:`ARTIST_PACKAGES`, with a named composer each (else left out)."""
    stanzas = _dep5_of(root, package)
    out = []

    def add(path, *, artist, title="", rel=None, album="", member=None, extra=None):
        artist = _more_artist(artist)
        if not _person(artist):
            return
        tr = _track(package, root, path, member or str(path.relative_to(root)), title=title,
                    artist=artist, licence=_licence(package, stanzas, rel or ""), album=album,
                    extra=extra)
        if tr.duration >= MIN_TRACK_S:
            out.append(tr)

    if package == "supertuxkart-data":
        folder = root / "usr/share/games/supertuxkart/data/music"
        for mf in sorted(folder.glob("*.music")):
            text = mf.read_text(errors="replace")
            attrs = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', text))
            path = folder / attrs.get("file", "")
            if attrs.get("file") and path.exists():
                add(path, artist=attrs.get("composer", ""), title=attrs.get("title", ""),
                    rel=f"data/music/{path.name}", album="SuperTuxKart")
    elif package == "hedgewars-data":
        folder = root / "usr/share/games/hedgewars/Data/Music"
        credits = {}
        for line in (folder / "credits.txt").read_text(errors="replace").splitlines():
            if "=" in line:
                f, _, who = line.partition("=")
                credits[f.strip().lower()] = re.sub(r"<[^>]*>", "", who).strip()
        for path in sorted(folder.glob("*.ogg")):
            if path.name.lower() in credits:
                add(path, artist=credits[path.name.lower()], album="Hedgewars",
                    rel=f"share/hedgewars/Data/Music/{path.name}")
    elif package == "redeclipse-data":
        folder = root / "usr/share/games/redeclipse/data/sounds/music"
        readme = (folder / "readme.txt").read_text(errors="replace")
        who = re.search(r"Copyright:\s*(?:Copyright\s*)?(.+)", readme).group(1).strip()
        for path in sorted(folder.glob("*.ogg")):
            add(path, artist=who, album="Red Eclipse", rel=f"data/sounds/music/{path.name}")
    elif package == "openarena-088-data":
        credits = (root / "usr/share/doc/openarena-088-data/CREDITS-0.8.8").read_text(
            errors="replace")
        who = re.search(r"^(.+?)\s+-\s+Music \(OA##\.ogg\)", credits, re.M).group(1).strip()
        pk3 = root / "usr/share/games/openarena/baseoa/pak6-patch088.pk3"
        dest = cache / "x" / f"{root.name}.pk3"
        if not (dest / ".complete").exists():
            with zipfile.ZipFile(pk3) as zf:
                names = [n for n in zf.namelist() if re.fullmatch(r"music/OA\d\d\.ogg", n)]
            safe_extract_zip(pk3, dest=dest, members=names)
            (dest / ".complete").write_text("ok\n")
        for path in sorted((dest / "music").glob("OA*.ogg")):
            add(path, artist=who, album="OpenArena 0.8.8",
                member=f"pak6-patch088.pk3:{path.relative_to(dest)}")
    elif package == "pushover-data":
        text = (root / "usr/share/doc/pushover-data/copyright").read_text(errors="replace")
        who = re.search(r"\d{4}(?:-\d{4})?\s+(.+?)\s+\(Music", text).group(1).strip()
        for path in sorted((root / "usr/share/pushover/themes").glob("*.ogg")):
            add(path, artist=who, album="Pushover")
    elif package == "starfighter-data":
        import gzip

        doc = unpack_members("starfighter", patterns=CREDIT_PACKAGES["starfighter"][1],
                             cache=cache)
        text = gzip.decompress((doc / "usr/share/doc/starfighter/LICENSES.gz").read_bytes())
        for block in re.split(r"\n-{20,}\n", text.decode(errors="replace")):
            files = re.findall(r"^music/(\S+\.ogg)\s*$", block, re.M)
            who = re.search(r"^Author:\s*(.+?)\s*(<[^>]*>)?\s*$", block, re.M)
            lic = re.search(r"^License:\s*(.+?)\s*(<[^>]*>)?\s*$", block, re.M)
            for name in files:
                path = root / "usr/share/starfighter/music" / name
                if path.exists() and who:
                    name_ = {"matthew.pablo": "Matthew Pablo", "maxstack": "Maxstack"}.get(
                        who.group(1), who.group(1))
                    _MORE_LICENCES_PER_FILE[(package, name)] = lic.group(1) if lic else ""
                    add(path, artist=name_, album="Project: Starfighter", rel=name)
    elif package.startswith("fretsonfire-songs-"):
        for ini in sorted((root / "usr/share/games/fretsonfire/data/songs").glob("*/*/song.ini")):
            text = ini.read_text(errors="replace")
            name = (re.search(r"^name\s*=\s*(.+)$", text, re.M) or [None, ini.parent.name])[1]
            if package.endswith("muldjord"):
                who = "El Senator (Muldjord)"
            else:
                who = (re.search(r"^artist\s*=\s*(.+)$", text, re.M) or [None, ""])[1].strip()
            # song.ogg is the band without the lead guitar (guitar.ogg): the backing track
            add(ini.parent / "song.ogg", artist=who, title=name.strip(), album="Frets on Fire",
                extra={"stem": "song (without lead guitar)"})
    else:
        for path in sorted(p for p in root.rglob("*.ogg") if "/doc/" not in str(p)):
            meta = _tags(path)["meta"]
            who = meta.get("artist", "")
            rel = str(path.relative_to(root))
            strip, prefix = _DEP5_PREFIX.get(package, ("", ""))
            rel = prefix + rel[len(strip):] if rel.startswith(strip) and strip else rel
            if not who and package == "naev-data":
                st = dep5_lookup(stanzas, rel)
                who = _holder(st["copyright"]) if st else ""
            add(path, artist=who, title=meta.get("title", ""), rel=rel)
    return out


def artist_catalog(*, cache: Path | None = None) -> list[Track]:
    """Every track of :data:`PACKAGES` and :data:`ARTIST_PACKAGES` (fetched, unpacked, described).

    :data:`PACKAGES` go through :func:`catalog` (its cache, unchanged); the others are cached in
    ``<cache>/artists-catalog.json``.
    """
    cache = cache or cache_dir()
    out = catalog(cache=cache)
    index_path = cache / "artists-catalog.json"
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError):
        index = {}
    changed = False
    for package, (_, patterns, _) in ARTIST_PACKAGES.items():
        root = unpack_members(package, patterns=patterns, cache=cache)
        entry = index.get(package)
        if entry is None or entry.get("root") != str(root) or not all(
                Path(t["path"]).exists() for t in entry["tracks"]):
            entry = {"root": str(root),
                     "tracks": [t.to_dict() for t in _catalog_more(package, root, cache)]}
            index[package] = entry
            changed = True
        out.extend(Track(**t) for t in entry["tracks"])
    if changed:
        from mirbook.io import atomic_path

        with atomic_path(index_path) as tmp:
            tmp.write_text(json.dumps(index, indent=1, sort_keys=True))
    _path_table.cache_clear()
    return out


def load_artist_catalog(*, cache: Path | None = None) -> list[Track]:
    """The tracks :func:`artist_catalog` described, from the cache only (no fetch, no unpack)."""
    index_path = (cache or cache_dir()) / "artists-catalog.json"
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError):
        raise CorpusError(f"{index_path}: no catalogue of the artists' packages; it is made by "
                          "python -m mirbook data build --only artists") from None
    missing = [p for p in ARTIST_PACKAGES if p not in index]
    if missing:
        raise CorpusError(f"{index_path}: {missing} not catalogued yet; run "
                          "python -m mirbook data build --only artists")
    return load_catalog(cache=cache) + [Track(**t) for p in ARTIST_PACKAGES
                                        for t in index[p]["tracks"]]


def artist_track_path(package: str, *, member: str, cache: Path | None = None) -> str:
    """:func:`track_path` over the artists' catalogue (every package of the ``artists`` corpus)."""
    return _find_track(package, member, cache, artists=True)
