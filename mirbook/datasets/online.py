"""Loaders for the real datasets of the field, for readers with internet (Google Colab).

The book's chapters run offline on corpora generated at set-up time; this module gives the same
kind of records for the datasets the literature uses, downloaded on demand:

==========================  ============================================  ======================
loader                      what                                          download
==========================  ============================================  ======================
:func:`gtzan_genre`         1000 clips x 30 s, 10 genres                  1.2 GB tar.gz
:func:`gtzan_music_speech`  120 clips x 30 s, music / speech              297 MB tar.gz
:func:`beatles_chords`      Isophonics chord annotations, 180 songs       tar.gz (no audio)
:func:`maestro`             MAESTRO v3 metadata + MIDI (+ audio, opt-in)  56 MB zip (101 GB)
:func:`deezer_mood`         Deezer mood CSV splits (valence, arousal)     3 CSV files
:func:`deezer_previews`     30 s mp3 previews through the Deezer API      one request per id
:func:`deezer_mood_audio`   the three splits with previews (a sample)     CSVs + previews
==========================  ============================================  ======================

Every loader returns a list of plain ``dict`` records (``path`` is the audio file, or ``None``,
plus the labels), which :class:`mirbook.datasets.TorchDataset` (``target="label"``) turns into a map-style dataset that
``torch.utils.data.DataLoader`` accepts.

Downloads go through :func:`mirbook.download.fetch` (sha256-pinned; a wrong file is refused and
deleted) and :func:`mirbook.download.extract` (safe, atomic). The addresses and hashes are in
the module-level :data:`REMOTES`; every loader takes ``mirror=BASE_URL`` (or the environment
variable ``MIRBOOK_MIRROR``) to download ``BASE_URL/<filename>`` instead, which is how the tests
point them at a local server and how you can use a copy of your own when an original host is
down. The Deezer API address is overridable the same way (``api_base=`` or
``MIRBOOK_DEEZER_API``).

Where a publisher gives no hash (the MAESTRO metadata files, the Deezer CSVs), the entry's
``hash`` is ``None`` and the loader refuses to download unless you pass ``allow_unpinned=True``
(or pin it: ``REMOTES["deezer_mood_train"]["hash"] = "<sha256>"``).

This module does not import the package ``mirbook.datasets`` itself (only :mod:`mirbook.io`,
:mod:`mirbook.config`, :mod:`mirbook.download`). The datasets page of the book
(``book/datasets.md``, section "The real datasets, online") describes each dataset, its licence
and its known faults.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
import urllib.parse
import warnings
from pathlib import Path

import numpy as np

from mirbook import download as _dl

__all__ = [
    "REMOTES",
    "GTZAN_GENRES",
    "DEEZER_API",
    "DEEZER_COLUMNS",
    "remote_url",
    "gtzan_genre",
    "gtzan_music_speech",
    "beatles_chords",
    "load_chord_lab",
    "maestro",
    "maestro_notes",
    "deezer_mood",
    "deezer_previews",
    "deezer_mood_audio",
    "artist_overlap",
    "mirdata_dataset",
]

#: Where each file comes from. ``hash`` is ``"<sha256 hex>"``, ``"md5:<hex>"`` when the publisher
#: gives only an md5, or ``None`` (not pinned: downloading needs ``allow_unpinned=True``).
#: ``filename`` is the name in the cache and under a mirror (``MIRBOOK_MIRROR/<filename>``).
#: ``source`` says where the hash was checked.
REMOTES: dict[str, dict] = {
    "gtzan_genre": {
        "url": "http://opihi.cs.uvic.ca/sound/genres.tar.gz",
        "filename": "genres.tar.gz",
        "hash": "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6",
        "md5": "5b3d6dddb579ab49814ab86dba69e7c7",
        "size": 1_225_571_541,
        "source": "sha256 in torchaudio's GTZAN loader and TensorFlow Datasets' checksums; "
        "URL and md5 in mirdata's gtzan_genre REMOTES['all']",
    },
    "gtzan_music_speech": {
        "url": "http://opihi.cs.uvic.ca/sound/music_speech.tar.gz",
        "filename": "music_speech.tar.gz",
        "hash": "8753bc4129fc0a916d6efcf25dbcaf30e06b41acb44ad7c3d0b5c9d9c90ff546",
        "size": 297_055_930,
        "source": "TensorFlow Datasets' gtzan_music_speech checksums",
    },
    "beatles_annotations": {
        "url": "http://isophonics.net/files/annotations/The%20Beatles%20Annotations.tar.gz",
        "filename": "The Beatles Annotations.tar.gz",
        "hash": "md5:62425c552d37c6bb655a78e4603828cc",
        "source": "md5 in mirdata's beatles REMOTES['annotations'] (no sha256 published)",
    },
    "maestro_midi": {
        "url": "https://storage.googleapis.com/magentadata/datasets/maestro/v3.0.0/"
        "maestro-v3.0.0-midi.zip",
        "filename": "maestro-v3.0.0-midi.zip",
        "hash": "70470ee253295c8d2c71e6d9d4a815189e35c89624b76d22fce5a019d5dde12c",
        "size": 58_416_533,
        "source": "sha256 on the MAESTRO page of the Magenta site",
    },
    "maestro_audio": {
        "url": "https://storage.googleapis.com/magentadata/datasets/maestro/v3.0.0/"
        "maestro-v3.0.0.zip",
        "filename": "maestro-v3.0.0.zip",
        "hash": "6680fea5be2339ea15091a249fbd70e49551246ddbd5ca50f1b2352c08c95291",
        "size": 101 * 10**9,
        "source": "sha256 on the MAESTRO page of the Magenta site",
    },
    "maestro_csv": {
        "url": "https://storage.googleapis.com/magentadata/datasets/maestro/v3.0.0/"
        "maestro-v3.0.0.csv",
        "filename": "maestro-v3.0.0.csv",
        "hash": None,
        "source": "not published; the same file is inside maestro-v3.0.0-midi.zip (pinned)",
    },
    "deezer_mood_train": {
        "url": "https://raw.githubusercontent.com/deezer/deezer_mood_detection_dataset/"
        "master/train.csv",
        "filename": "deezer_mood_train.csv",
        "hash": None,
        "source": "not published (a git repository); pin it after checking the file",
    },
    "deezer_mood_validation": {
        "url": "https://raw.githubusercontent.com/deezer/deezer_mood_detection_dataset/"
        "master/validation.csv",
        "filename": "deezer_mood_validation.csv",
        "hash": None,
        "source": "not published (a git repository); pin it after checking the file",
    },
    "deezer_mood_test": {
        "url": "https://raw.githubusercontent.com/deezer/deezer_mood_detection_dataset/"
        "master/test.csv",
        "filename": "deezer_mood_test.csv",
        "hash": None,
        "source": "not published (a git repository); pin it after checking the file",
    },
}

#: The ten GTZAN genres, in the order of the integer ``label`` of :func:`gtzan_genre` records.
GTZAN_GENRES = (
    "blues", "classical", "country", "disco", "hiphop",
    "jazz", "metal", "pop", "reggae", "rock",
)

#: The public Deezer API; ``MIRBOOK_DEEZER_API`` or ``api_base=`` override it.
DEEZER_API = "https://api.deezer.com"

#: The columns of the Deezer mood detection dataset's CSV files.
DEEZER_COLUMNS = (
    "dzr_sng_id", "MSD_sng_id", "MSD_track_id", "valence", "arousal", "artist_name", "track_name",
)

_AUDIO_EXT = (".wav", ".au", ".flac", ".mp3", ".ogg")


# --------------------------------------------------------------------------------------------
# plumbing


def _home(data_home=None) -> Path:
    """Root of the online datasets: ``data_home`` or ``mirbook.config.data_home() / "online"``."""
    if data_home is not None:
        path = Path(data_home).expanduser()
    else:
        from mirbook.config import data_home as _data_home

        path = _data_home() / "online"
    path.mkdir(parents=True, exist_ok=True)
    return path


def remote_url(key, *, mirror=None) -> str:
    """The URL to download ``REMOTES[key]`` from: ``mirror`` (or ``$MIRBOOK_MIRROR``) if set.

    Examples
    --------
    >>> remote_url("gtzan_genre", mirror="http://127.0.0.1:8000/")
    'http://127.0.0.1:8000/genres.tar.gz'
    """
    if key not in REMOTES:
        raise KeyError(f"unknown remote {key!r}; known: {sorted(REMOTES)}")
    mirror = mirror or os.environ.get("MIRBOOK_MIRROR") or None
    if mirror:
        return mirror.rstrip("/") + "/" + urllib.parse.quote(REMOTES[key]["filename"])
    return REMOTES[key]["url"]


def _fetch(key, home, *, mirror, timeout, progress, allow_unpinned=False, check=None):
    remote = REMOTES[key]
    return _dl.fetch(
        remote_url(key, mirror=mirror),
        sha256=remote["hash"],
        dest=home / "downloads" / remote["filename"],
        timeout=timeout,
        progress=progress,
        allow_unpinned=allow_unpinned,
        check=check,
    )


def _extract(archive, folder):
    return _dl.extract(archive, dest=folder)


def _need(folder: Path, download: bool, what: str):
    if not download:
        raise FileNotFoundError(
            f"{folder}: {what} is not there; call with download=True (needs internet) "
            "or set data_home= to where you unpacked it"
        )


# --------------------------------------------------------------------------------------------
# GTZAN


def gtzan_genre(*, data_home=None, mirror=None, download=True, timeout=30, progress=True):
    """GTZAN genre collection: 1000 clips of 30 s (22050 Hz mono), 100 per genre.

    The archive is unpacked in mirdata's layout
    (``<data_home>/gtzan_genre/gtzan_genre/genres/<genre>/<genre>.<nnnnn>.wav``), so
    ``mirdata_dataset("gtzan_genre", data_home)`` gives mirdata's loader over the same files.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Default ``mirbook.config.data_home() / "online"``.
    mirror : str, optional
        Base URL to download ``genres.tar.gz`` from instead of the original host
        (default ``$MIRBOOK_MIRROR``).
    download : bool
        Download and unpack if missing; ``False`` raises FileNotFoundError instead.
    timeout : float
        Socket timeout of the download, in seconds.
    progress : bool

    Returns
    -------
    records : list of dict
        ``{"track_id": "blues.00000", "path": str, "genre": "blues", "label": 0}`` sorted by
        ``track_id``; ``label`` indexes :data:`GTZAN_GENRES`.

    Notes
    -----
    The collection has known faults (repeated clips, mislabelled and distorted ones, artists
    across the split): see the book's datasets page before trusting a random split.
    """
    home = _home(data_home) / "gtzan_genre"
    folder = home / "gtzan_genre"
    if not folder.is_dir():
        _need(folder, download, "GTZAN genre")
        archive = _fetch("gtzan_genre", home, mirror=mirror, timeout=timeout, progress=progress)
        _extract(archive, folder)
    records = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in _AUDIO_EXT or path.name.startswith("."):
            continue
        genre = path.parent.name
        m = re.fullmatch(r"([a-z]+)\.(\d{5})", path.stem)
        if genre not in GTZAN_GENRES or not m or m.group(1) != genre:
            continue
        records.append(
            {"track_id": path.stem, "path": str(path), "genre": genre,
             "label": GTZAN_GENRES.index(genre)}
        )
    if not records:
        raise FileNotFoundError(f"{folder}: no GTZAN clip (genres/<genre>/<genre>.NNNNN.wav) found")
    records.sort(key=lambda r: r["track_id"])
    return records


def gtzan_music_speech(*, data_home=None, mirror=None, download=True, timeout=30, progress=True):
    """GTZAN music/speech collection: 120 clips of 30 s (22050 Hz mono), 60 music, 60 speech.

    Parameters
    ----------
    data_home, mirror, download, timeout, progress
        As in :func:`gtzan_genre`.

    Returns
    -------
    records : list of dict
        ``{"track_id": "music/bagpipe", "path": str, "label": "music", "is_speech": False}``.
    """
    home = _home(data_home) / "gtzan_music_speech"
    folder = home / "music_speech"
    if not folder.is_dir():
        _need(folder, download, "GTZAN music/speech")
        archive = _fetch(
            "gtzan_music_speech", home, mirror=mirror, timeout=timeout, progress=progress
        )
        _extract(archive, folder)
    records = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in _AUDIO_EXT or path.name.startswith("."):
            continue
        parent = path.parent.name.lower()
        label = "music" if parent.startswith("music") else "speech" if parent.startswith(
            "speech") else None
        if label is None:
            continue
        records.append(
            {"track_id": f"{label}/{path.stem}", "path": str(path), "label": label,
             "is_speech": label == "speech"}
        )
    if not records:
        raise FileNotFoundError(f"{folder}: no clip in music_wav/ or speech_wav/ found")
    return records


# --------------------------------------------------------------------------------------------
# Beatles (Isophonics)


def load_chord_lab(path):
    """Read a ``.lab`` chord file into mir_eval's format and validate it.

    Parameters
    ----------
    path : str or os.PathLike
        Lines ``start end label`` (seconds, Harte syntax), separated by spaces or tabs.

    Returns
    -------
    intervals : np.ndarray, shape (n, 2)
        Start and end times in seconds.
    labels : list of str, len n
        Chord labels, checked by ``mir_eval.chord.validate``.

    Raises
    ------
    ValueError
        Naming the file: unreadable line, bad interval (end before start, negative time) or a
        label that is not valid Harte syntax.
    """
    import mir_eval

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such chord annotation file")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            intervals, labels = mir_eval.io.load_labeled_intervals(str(path))
    except Exception as exc:
        raise ValueError(f"{path}: not a chord .lab file ({exc})") from None
    if caught:  # mir_eval warns (instead of raising) about bad intervals
        raise ValueError(f"{path}: bad intervals ({caught[0].message})")
    if len(labels) == 0:
        raise ValueError(f"{path}: no chord in the file")
    try:
        mir_eval.util.validate_intervals(intervals)
    except ValueError as exc:
        raise ValueError(f"{path}: bad intervals ({exc})") from None
    bad = []
    for i, lab in enumerate(labels):
        try:
            mir_eval.chord.validate_chord_label(lab)
        except Exception:  # mir_eval raises InvalidChordException (a BaseException subclass)
            bad.append(f"line {i + 1}: {lab!r}")
    if bad:
        raise ValueError(f"{path}: invalid chord label(s) {', '.join(bad[:5])}")
    mir_eval.chord.validate(labels, labels)
    return np.asarray(intervals, dtype=float), list(labels)


def beatles_chords(*, data_home=None, mirror=None, download=True, timeout=30, progress=True):
    """Chord annotations of the Beatles' 12 studio albums (Isophonics, 180 songs), no audio.

    Parameters
    ----------
    data_home, mirror, download, timeout, progress
        As in :func:`gtzan_genre`.

    Returns
    -------
    records : list of dict
        ``{"track_id": "01_-_Please_Please_Me/01_-_I_Saw_Her_Standing_There", "album": ...,
        "title": ..., "chords_path": str, "path": None, "intervals": (n, 2) array,
        "labels": list of str}``; ``path`` (the audio) is ``None``: the recordings are not
        distributed, match your own CDs to the annotations.
    """
    home = _home(data_home) / "beatles"
    folder = home / "annotations"
    if not folder.is_dir():
        _need(folder, download, "the Isophonics Beatles annotations")
        archive = _fetch(
            "beatles_annotations", home, mirror=mirror, timeout=timeout, progress=progress
        )
        _extract(archive, folder)
    labs = sorted(p for p in folder.rglob("*.lab") if "chordlab" in p.parts)
    if not labs:
        raise FileNotFoundError(f"{folder}: no chordlab/**/*.lab file found")
    records = []
    for lab in labs:
        intervals, labels = load_chord_lab(lab)
        album = lab.parent.name
        title = re.sub(r"^(CD\d+_-_)?\d+_-_", "", lab.stem).replace("_", " ")
        records.append(
            {"track_id": f"{album}/{lab.stem}", "album": album, "title": title,
             "chords_path": str(lab), "path": None, "intervals": intervals, "labels": labels}
        )
    return records


# --------------------------------------------------------------------------------------------
# MAESTRO


def _read_maestro_metadata(path: Path):
    import pandas as pd

    if path.suffix.lower() == ".json":
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        df = pd.DataFrame(data if isinstance(data, list) else {k: pd.Series(v) for k, v in
                                                              data.items()})
    else:
        df = pd.read_csv(path)
    need = {"canonical_composer", "canonical_title", "split", "year", "midi_filename",
            "audio_filename", "duration"}
    missing = need - set(df.columns)
    if missing:
        raise ValueError(f"{path}: not MAESTRO metadata, missing column(s) {sorted(missing)}")
    return df


def maestro(
    *, data_home=None, split=None, audio=False, mirror=None, download=True, timeout=30,
    progress=True,
):
    """MAESTRO v3.0.0: 1276 piano performances with aligned MIDI (about 200 h).

    By default only the MIDI archive (56 MB) is downloaded; ``audio=True`` downloads the full
    archive (101 GB: plan disk space and hours).

    Parameters
    ----------
    data_home, mirror, download, timeout, progress
        As in :func:`gtzan_genre`.
    split : {"train", "validation", "test"}, optional
        Keep one of the official splits (no composition is in two splits).
    audio : bool
        Also download the audio.

    Returns
    -------
    records : list of dict
        ``{"track_id", "path" (the WAV, or None without audio), "midi_path", "split",
        "composer", "title", "year", "duration"}``. Notes come from :func:`maestro_notes`.
    """
    if split not in (None, "train", "validation", "test"):
        raise ValueError(f"split={split!r}: expected 'train', 'validation', 'test' or None")
    home = _home(data_home) / "maestro"
    folder = home / ("audio" if audio else "midi")
    if not folder.is_dir():
        _need(folder, download, "MAESTRO")
        key = "maestro_audio" if audio else "maestro_midi"
        archive = _fetch(key, home, mirror=mirror, timeout=timeout, progress=progress)
        _extract(archive, folder)
    metas = sorted(folder.rglob("maestro-v*.csv")) or sorted(folder.rglob("maestro-v*.json"))
    if not metas:
        raise FileNotFoundError(f"{folder}: no maestro-v*.csv/json metadata file found")
    meta = metas[0]
    df = _read_maestro_metadata(meta)
    base = meta.parent
    records = []
    for row in df.itertuples(index=False):
        if split is not None and row.split != split:
            continue
        midi = base / row.midi_filename
        wav = base / row.audio_filename
        records.append(
            {"track_id": Path(row.midi_filename).stem, "path": str(wav) if wav.is_file() else None,
             "midi_path": str(midi), "split": row.split, "composer": row.canonical_composer,
             "title": row.canonical_title, "year": int(row.year),
             "duration": float(row.duration)}
        )
    return records


def maestro_notes(path, *, sustain=True):
    """Notes of a MAESTRO MIDI file in mir_eval's transcription format.

    Parameters
    ----------
    path : str or os.PathLike, or a record from :func:`maestro`
        The MIDI file (a record's ``"midi_path"``).
    sustain : bool
        Extend each note while the sustain pedal (CC 64 >= 64) holds it, as the MAESTRO
        benchmarks do; a note ends at the latest when the same key is struck again.

    Returns
    -------
    intervals : np.ndarray, shape (n, 2)
        Onset and offset times in seconds, sorted by onset.
    pitches : np.ndarray, shape (n,)
        Frequencies in Hz (``mir_eval.transcription`` expects Hz).
    velocities : np.ndarray, shape (n,)
        MIDI velocities (1-127).
    """
    import mir_eval
    import pretty_midi

    midi_path = path["midi_path"] if isinstance(path, dict) else path
    try:
        pm = pretty_midi.PrettyMIDI(str(midi_path))
    except Exception as exc:
        raise ValueError(f"{midi_path}: not a readable MIDI file ({exc})") from None
    notes = []
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        pedal = sorted((c.time, c.value >= 64) for c in inst.control_changes if c.number == 64)
        for n in inst.notes:
            end = n.end
            if sustain and pedal:
                end = _pedal_release(pedal, n.end)
            notes.append([n.start, end, n.pitch, n.velocity])
    if not notes:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    arr = np.array(sorted(notes), dtype=float)
    if sustain:
        # a note held by the pedal ends when its key is struck again
        for pitch in np.unique(arr[:, 2]):
            idx = np.flatnonzero(arr[:, 2] == pitch)
            for a, b in zip(idx[:-1], idx[1:]):
                arr[a, 1] = min(arr[a, 1], max(arr[b, 0], arr[a, 0] + 1e-3))
    intervals = arr[:, :2]
    pitches = np.array([pretty_midi.note_number_to_hz(p) for p in arr[:, 2]])
    mir_eval.transcription.validate(intervals, pitches, intervals, pitches)
    return intervals, pitches, arr[:, 3]


def _pedal_release(pedal, t):
    """The time the pedal is released after ``t`` if it is down at ``t``, else ``t``."""
    down = False
    for time_, is_down in pedal:
        if time_ > t:
            if down and not is_down:
                return time_
            if not down:
                return t
            continue
        down = is_down
    return t  # pedal still down at the end of the file: keep the key release


# --------------------------------------------------------------------------------------------
# Deezer mood detection dataset


def _read_deezer_csv(path: Path, split):
    import pandas as pd

    df = pd.read_csv(path)
    missing = [c for c in DEEZER_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: not a Deezer mood detection CSV, missing column(s) {missing} "
            f"(has {list(df.columns)})"
        )
    records = []
    for row in df.itertuples(index=False):
        rec = {c: getattr(row, c) for c in DEEZER_COLUMNS}
        rec["dzr_sng_id"] = int(rec["dzr_sng_id"])
        rec["valence"] = float(rec["valence"])
        rec["arousal"] = float(rec["arousal"])
        rec["split"] = split
        rec["path"] = None
        records.append(rec)
    return records


def deezer_mood(
    *, split="train", data_home=None, mirror=None, download=True, allow_unpinned=False,
    timeout=30, progress=True,
):
    """The Deezer mood detection dataset's CSV split: 18,644 songs with valence and arousal.

    The CSVs give Deezer and Million Song Dataset identifiers, artist, title and the two
    continuous labels; no audio (fetch 30 s previews with :func:`deezer_previews`).

    Parameters
    ----------
    split : {"train", "validation", "test"}
    data_home, mirror, download, timeout, progress
        As in :func:`gtzan_genre`.
    allow_unpinned : bool
        The CSVs have no published hash (``REMOTES["deezer_mood_<split>"]["hash"]`` is
        ``None``): downloading them needs ``allow_unpinned=True``, or pin the hash first.

    Returns
    -------
    records : list of dict
        One per song: the CSV's columns (:data:`DEEZER_COLUMNS`) plus ``"split"`` and
        ``"path": None``.
    """
    if split not in ("train", "validation", "test"):
        raise ValueError(f"split={split!r}: expected 'train', 'validation' or 'test'")
    key = f"deezer_mood_{split}"
    home = _home(data_home) / "deezer_mood"
    path = home / "downloads" / REMOTES[key]["filename"]
    check = _check_deezer_csv
    if path.is_file() and (REMOTES[key]["hash"] is None or not download):
        # a cached copy (unpinned, or no download allowed): used only if it is a Deezer CSV
        try:
            check(path)
            return _read_deezer_csv(path, split)
        except ValueError:
            if not download or not allow_unpinned and REMOTES[key]["hash"] is None:
                raise
    if not path.is_file():
        _need(path, download, f"the Deezer mood {split} split")
    path = _fetch(key, home, mirror=mirror, timeout=timeout, progress=progress,
                  allow_unpinned=allow_unpinned, check=check)
    return _read_deezer_csv(path, split)


def _check_deezer_csv(path):
    """Raise ValueError unless ``path`` is a CSV with :data:`DEEZER_COLUMNS` (before caching)."""
    import pandas as pd

    try:
        header = pd.read_csv(path, nrows=5)
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds (ParserError, Unicode...)
        raise ValueError(f"{path}: not a Deezer mood detection CSV ({type(exc).__name__}: "
                         f"{exc})") from None
    missing = [c for c in DEEZER_COLUMNS if c not in header.columns]
    if missing:
        raise ValueError(
            f"{path}: not a Deezer mood detection CSV, missing column(s) {missing} "
            f"(has {list(header.columns)[:10]})"
        )


def _check_preview(path):
    """Raise :class:`mirbook.errors.AudioFileError` unless ``path`` is an MP3 that decodes."""
    from mirbook.errors import AudioFileError
    from mirbook.io import _mp3_sync_in, load_audio

    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(65536)
    if not (head.startswith(b"ID3") or _mp3_sync_in(head)):
        raise AudioFileError(path, f"not an MP3 (starts with {head[:16]!r}): an error page?")
    load_audio(path)  # libsndfile recognises MP3 by content, whatever the file's name


def _deezer_api_base(api_base):
    return (api_base or os.environ.get("MIRBOOK_DEEZER_API") or DEEZER_API).rstrip("/")


def deezer_previews(
    records, *, data_home=None, api_base=None, limiter=None, timeout=10, quota_retries=3,
    quota_wait=5.0, progress=True, session=None,
):
    """Download the 30 s mp3 previews of Deezer songs, by ``dzr_sng_id``, through the public API.

    For each id, ``GET <api_base>/track/<id>`` returns JSON whose ``preview`` is an mp3 URL;
    that file is saved atomically as ``<data_home>/deezer_mood/previews/<id>.mp3``. A preview
    already there is used without any request. Songs without a preview (removed from the
    catalogue, no preview rights, expired link, timeout) are reported, not fatal.

    Parameters
    ----------
    records : iterable of dict or int
        Records from :func:`deezer_mood` (or bare ids).
    data_home : str or os.PathLike, optional
    api_base : str, optional
        Default :data:`DEEZER_API`, or ``$MIRBOOK_DEEZER_API``.
    limiter : mirbook.download.RateLimiter, optional
        Spaces the API calls; default 0.1 s apart and at most 50 per 5 s (the API's quota).
        Preview files come from Deezer's CDN and are not limited.
    timeout : float
        Socket timeout of each request, in seconds.
    quota_retries, quota_wait : int, float
        When the API answers "quota exceeded" (error code 4), wait ``quota_wait`` s and retry.
    progress : bool
    session : requests.Session, optional

    Returns
    -------
    found : list of dict
        Copies of the records whose preview is available, with ``path`` set to the mp3.
    missing : list of dict
        ``{"dzr_sng_id": int, "reason": str}`` for each song skipped.
    """
    import requests

    from mirbook.io import atomic_path
    from mirbook.utils import progress as progress_bar

    base = _deezer_api_base(api_base)
    if limiter is None:
        limiter = _dl.RateLimiter(0.1, max_calls=50, period=5.0)
    folder = _home(data_home) / "deezer_mood" / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    own_session = session is None
    session = session or requests.Session()
    found, missing = [], []
    records = list(records)
    try:
        for rec in progress_bar(records, desc="deezer previews") if progress else records:
            rec = {"dzr_sng_id": rec} if not isinstance(rec, dict) else copy.copy(rec)
            try:
                sid = int(rec["dzr_sng_id"])
            except (KeyError, TypeError, ValueError):
                missing.append({"dzr_sng_id": rec.get("dzr_sng_id"), "reason": "no valid id"})
                continue
            rec["dzr_sng_id"] = sid
            dest = folder / f"{sid}.mp3"
            if dest.is_file():
                try:
                    _check_preview(dest)
                    rec["path"] = str(dest)
                    found.append(rec)
                    continue
                except ValueError:  # a bad copy (an error page saved by an old version)
                    dest.unlink(missing_ok=True)
            reason = _download_preview(
                session, base, sid, dest, limiter, timeout, quota_retries, quota_wait,
                atomic_path,
            )
            if reason is None:
                rec["path"] = str(dest)
                found.append(rec)
            else:
                missing.append({"dzr_sng_id": sid, "reason": reason})
    finally:
        if own_session:
            session.close()
    return found, missing


def _download_preview(session, base, sid, dest, limiter, timeout, quota_retries, quota_wait,
                      atomic_path):
    """Fetch one preview; return None on success, else the reason it is missing."""
    import requests

    url = f"{base}/track/{sid}"
    for attempt in range(quota_retries + 1):
        limiter.wait()
        try:
            resp = session.get(url, timeout=timeout)
        except requests.exceptions.Timeout:
            return f"API request {url} timed out after {timeout} s"
        except requests.exceptions.RequestException as exc:
            return f"API request {url} failed ({exc.__class__.__name__})"
        if resp.status_code != 200:
            return f"API request {url} answered HTTP {resp.status_code}"
        try:
            data = resp.json()
        except ValueError:
            return f"API request {url} did not return JSON"
        err = data.get("error") if isinstance(data, dict) else None
        if err:
            code = err.get("code") if isinstance(err, dict) else None
            if code == 4 and attempt < quota_retries:  # "Quota limit exceeded"
                time.sleep(quota_wait)
                continue
            msg = err.get("message", err) if isinstance(err, dict) else err
            return f"API error for id {sid}: {msg} (code {code})"
        break
    else:  # pragma: no cover - the loop always breaks or returns
        return "API quota exceeded"
    preview = data.get("preview") if isinstance(data, dict) else None
    if not preview:
        return f"no preview for id {sid} (not available in the API's answer)"
    try:
        with session.get(preview, timeout=timeout, stream=True) as r:
            if r.status_code != 200:
                return f"preview {preview} answered HTTP {r.status_code} (expired or removed)"
            with atomic_path(dest) as tmp:
                n = 0
                with open(tmp, "wb") as f:
                    for chunk in r.iter_content(1 << 16):
                        f.write(chunk)
                        n += len(chunk)
                if n == 0:
                    raise _EmptyPreview("is empty")
                try:
                    _check_preview(tmp)
                except ValueError as exc:
                    raise _EmptyPreview(f"is not audio that decodes ({exc})") from None
    except _EmptyPreview as exc:
        return f"preview {preview} {exc}"
    except requests.exceptions.Timeout:
        return f"preview {preview} timed out after {timeout} s"
    except requests.exceptions.RequestException as exc:
        return f"preview {preview} failed ({exc.__class__.__name__})"
    return None


class _EmptyPreview(Exception):
    pass


def artist_overlap(splits):
    """Artists found in more than one split (the Deezer splits are meant to be artist-disjoint).

    Parameters
    ----------
    splits : dict
        ``{split: records}``, records with ``artist_name``.

    Returns
    -------
    dict
        ``{artist: sorted list of its splits}`` for every artist in two splits or more (empty
        when the splits are artist-disjoint).

    Examples
    --------
    >>> artist_overlap({"train": [{"artist_name": "A"}], "test": [{"artist_name": "a "}]})
    {'a': ['test', 'train']}
    """
    seen: dict = {}
    for split, recs in splits.items():
        for rec in recs:
            name = str(rec.get("artist_name", "")).strip().casefold()
            if name:
                seen.setdefault(name, set()).add(split)
    return {a: sorted(s) for a, s in sorted(seen.items()) if len(s) > 1}


def deezer_mood_audio(
    *, splits=("train", "validation", "test"), n_per_split=None, random_state=0,
    data_home=None, mirror=None, api_base=None, allow_unpinned=False, limiter=None, timeout=10,
    progress=True,
):
    """The Deezer mood splits with their audio: labels, artist check, 30 s previews.

    For each split: :func:`deezer_mood` (the CSV), a random sample of ``n_per_split`` songs
    (all songs with ``None``; about 20 minutes of API calls per 10,000 songs at the API's
    quota), then :func:`deezer_previews` (rate-limited, cached, each file checked to decode as
    audio). The splits are checked to be artist-disjoint (:func:`artist_overlap`) on the whole
    CSVs, before sampling. This is what the audio branch of chapter 13 trains and is
    evaluated on with real valence and arousal labels; the lyrics are not public, so only the
    audio rows of the seed's table can be reproduced this way.

    Parameters
    ----------
    splits : sequence of {"train", "validation", "test"}
    n_per_split : int or dict, optional
        Songs sampled per split (an int for all, or ``{split: n}``); ``None``: every song.
    random_state : None, int or np.random.Generator
        The sample.
    data_home, mirror, allow_unpinned
        As in :func:`deezer_mood`.
    api_base, limiter, timeout, progress
        As in :func:`deezer_previews`.

    Returns
    -------
    records : dict
        ``{split: records with "path"}`` (songs whose preview is available).
    info : dict
        ``{"missing": {split: [...]}, "artist_overlap": {...}, "n_csv": {split: int}}``.
    """
    from mirbook._validate import random_state as _rs

    rng = _rs(random_state)
    tables = {s: deezer_mood(split=s, data_home=data_home, mirror=mirror,
                             allow_unpinned=allow_unpinned, timeout=max(timeout, 30),
                             progress=progress) for s in splits}
    overlap = artist_overlap(tables)
    out, missing = {}, {}
    for split, recs in tables.items():
        n = n_per_split.get(split) if isinstance(n_per_split, dict) else n_per_split
        if n is not None:
            if int(n) < 1:
                raise ValueError(f"n_per_split={n_per_split!r}: at least one song per split")
            keep = np.sort(rng.choice(len(recs), size=min(int(n), len(recs)), replace=False))
            recs = [recs[int(i)] for i in keep]
        found, miss = deezer_previews(recs, data_home=data_home, api_base=api_base,
                                      limiter=limiter, timeout=timeout, progress=progress)
        out[split], missing[split] = found, miss
    return out, {"missing": missing, "artist_overlap": overlap,
                 "n_csv": {s: len(r) for s, r in tables.items()}}


# --------------------------------------------------------------------------------------------
# mirdata and torch


def mirdata_dataset(name, *, data_home=None):
    """mirdata's loader over the files the loaders above unpacked (``gtzan_genre``, ``beatles``).

    mirdata (1.0) adds beat and tempo annotations for GTZAN and section/key/beat annotations
    for the Beatles; its track index is downloaded by mirdata itself
    (``dataset.download(partial_download=[])``) on first use.

    Returns
    -------
    dataset : mirdata.core.Dataset
    """
    import mirdata

    folders = {"gtzan_genre": "gtzan_genre", "beatles": "beatles"}
    if name not in folders:
        raise ValueError(f"{name!r}: mirdata_dataset knows {sorted(folders)}")
    return mirdata.initialize(name, data_home=str(_home(data_home) / folders[name]))
