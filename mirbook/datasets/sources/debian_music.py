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
    known = {**PACKAGES, **SPEECH_PACKAGES}
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
    key = (str(cache) if cache else None)
    table = _path_table(key)
    if (package, member) not in table:
        raise CorpusError(f"{package}: no track {member!r} in the cached catalogue (run "
                          "python -m mirbook data build again)")
    return table[(package, member)]


@functools.lru_cache(maxsize=4)
def _path_table(cache):
    tracks = load_catalog(cache=Path(cache) if cache else None)
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
