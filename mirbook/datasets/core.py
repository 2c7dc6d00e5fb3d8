"""The machinery every offline corpus shares: plan, render in parallel, resume, manifest, splits, load.

A corpus is a module ``mirbook/datasets/<name>.py`` that defines

``NAME`` : str
    The corpus name (the key of :data:`CORPORA`).
``DESCRIPTION`` : str
    One line for ``python -m mirbook data info``.
``plan(tiny: bool) -> list[Item]``
    A cheap, deterministic list of work items. Each :class:`Item` has a unique ``id`` (its
    relative output stem), a ``group`` (the source piece or artist: the split is drawn from it, so
    that no piece/artist leaks across splits) and every parameter the rendering needs, seed
    included.
``render(item, root: Path) -> dict``
    Writes the item's files under ``root`` (the corpus folder), each atomically
    (:func:`mirbook.io.atomic_path` / :func:`mirbook.io.save_audio`), and returns its label record::

        {"path": "audio/x.flac",                    # the audio file, relative to root
         "files": {"notes": "labels/x.notes.txt"},  # label files, relative to root (may be empty)
         "labels": {...}}                           # JSON-serialisable labels

``check()`` (optional)
    Raise :class:`MissingToolError` (through :func:`require_tool`) when a system tool is missing;
    called once, in the main process, before any rendering.

:func:`build` adds to each record the item's ``id``, ``group``, ``split``, the ``sha256`` and size of
every file, and writes ``<root>/<name>[-tiny]/manifest.json``: sorted records, no timestamps, so
two builds of the same plan give byte-identical manifests.

Resuming: after an item is rendered, its record (with the sha256 of its files and a fingerprint
of the item) is written to ``<corpus>/.records/<id>.json``. A later build reuses an item whose
record matches the plan and whose files still hash to the recorded values; anything missing,
changed or half-written is rendered again.

The corpus chapter of the book is ``book/datasets.md``.
"""

from __future__ import annotations

import ctypes.util
import dataclasses
import hashlib
import importlib
import json
import logging
import os
import shutil
from concurrent.futures import as_completed
from pathlib import Path

from mirbook.config import data_home
from mirbook.io import atomic_path
from mirbook.utils import process_pool, progress, sha256_file

log = logging.getLogger("mirbook.datasets")

#: name -> module of every offline corpus (imported only when used).
CORPORA = {
    "chorales": "mirbook.datasets.chorales",
    "piano": "mirbook.datasets.piano",
    "speech_music": "mirbook.datasets.speech_music",
    "styles": "mirbook.datasets.styles",
    "mood": "mirbook.datasets.mood",
}

#: The three splits, and the share of groups each gets (by hash of the group key).
SPLITS = ("train", "validation", "test")
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)

#: Sample rate of every generated corpus unless a corpus has a reason to differ.
SR = 22050

MANIFEST = "manifest.json"
_RECORDS = ".records"


# --------------------------------------------------------------------------------------------
# items and splits


@dataclasses.dataclass(frozen=True)
class Item:
    """One unit of work of a corpus: everything needed to render it, and nothing else.

    Parameters
    ----------
    id : str
        Unique within the corpus; a relative POSIX path stem (``"audio/bwv269"``), safe as a file name.
    group : str
        The split group: the source piece (``"chorale:jesu-meine-freude"``) or the artist. Items
        sharing a group always land in the same split.
    seed : int
        Seed of every random choice the rendering makes.
    params : dict
        JSON-serialisable parameters of the rendering.
    split : str, optional
        Force a split (e.g. the isolated piano notes are all ``"train"``, the tiny variants pin one
        item per split); ``None`` draws it from ``group`` with :func:`assign_split`.
    """

    id: str
    group: str
    seed: int = 0
    params: dict = dataclasses.field(default_factory=dict)
    split: str | None = None

    def fingerprint(self) -> str:
        """sha256 of the item's JSON form: a changed plan re-renders the item."""
        blob = json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


def assign_split(group: str, fractions=SPLIT_FRACTIONS) -> str:
    """Deterministic split of a group key (source piece, artist): ``train``/``validation``/``test``.

    The split depends on the key alone (a sha256 of it), not on the corpus nor on the other keys,
    so a piece rendered in two corpora (e.g. a chorale in ``chorales`` and ``mood``) lands in the
    same split in both, and adding pieces to a corpus never moves the others.

    Examples
    --------
    >>> assign_split("chorale:bwv269") in SPLITS
    True
    """
    h = int(hashlib.sha256(str(group).encode("utf-8")).hexdigest()[:12], 16) / float(16**12)
    acc = 0.0
    for name, frac in zip(SPLITS, fractions):
        acc += frac
        if h < acc:
            return name
    return SPLITS[-1]


def check_disjoint(records, key="group") -> dict:
    """Raise ``ValueError`` if one value of ``key`` (group, artist...) occurs in two splits.

    Returns
    -------
    dict
        value -> split, for every value seen.
    """
    seen = {}
    for r in records:
        value = r.get(key, r.get("labels", {}).get(key))
        if value is None:
            continue
        if seen.setdefault(value, r["split"]) != r["split"]:
            raise ValueError(
                f"split leakage: {key}={value!r} is in both {seen[value]!r} and {r['split']!r} "
                f"(record {r.get('id')})"
            )
    return seen


# --------------------------------------------------------------------------------------------
# system tools


class SkipItem(Exception):
    """Raised by a corpus' ``render`` for an item that must not be rendered (corrupt or odd score).

    The build logs the reason, lists the item under ``"skipped"`` in the manifest, and does not
    retry it on the next build (the decision is deterministic).
    """


class MissingToolError(RuntimeError):
    """A system tool a corpus needs is not installed; the message says how to install it."""


def require_tool(tool, *, apt, executable=None, library=None, python=None, corpus=None):
    """Check that a system tool is available, or raise ONE clear :class:`MissingToolError`.

    Parameters
    ----------
    tool : str
        Human name (``"FluidSynth"``, ``"espeak-ng"``).
    apt : str or list of str
        The Debian/Ubuntu package(s) that install it (used in the message).
    executable : str, optional
        A program looked up on ``PATH``.
    library : str, optional
        A shared library looked up with :func:`ctypes.util.find_library` (``"fluidsynth"``).
    python : str, optional
        A Python module that must import (e.g. ``"fluidsynth"`` of pyfluidsynth).
    corpus : str, optional
        The corpus that needs it, for the message.

    Examples
    --------
    >>> require_tool("espeak-ng", apt="espeak-ng", executable="espeak-ng")  # doctest: +SKIP
    """
    missing = None
    if executable is not None and shutil.which(executable) is None:
        missing = f"the program `{executable}` is not on PATH"
    elif library is not None and ctypes.util.find_library(library) is None:
        missing = f"the shared library lib{library} is not installed"
    elif python is not None:
        try:
            importlib.import_module(python)
        except (ImportError, OSError) as exc:
            missing = f"the Python module `{python}` cannot be imported ({exc})"
    if missing is None:
        return
    pkgs = " ".join([apt] if isinstance(apt, str) else list(apt))
    who = f"The corpus {corpus!r} needs" if corpus else "mirbook needs"
    raise MissingToolError(
        f"{who} {tool}, but {missing}.\n"
        f"Install it with:\n    sudo apt-get install -y {pkgs}\n"
        "(as root, without sudo; run `apt-get update` first if the package is not found), "
        "then run `python -m mirbook data build` again."
    )


# --------------------------------------------------------------------------------------------
# helpers for corpus modules


def write_json(path, obj):
    """Write ``obj`` as sorted, indented JSON, atomically. Returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    return path


def write_text(path, text):
    """Write a text file atomically (UTF-8, ``\\n`` line ends). Returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def corpus_module(name):
    """Import the module of corpus ``name`` (a clear error for an unknown or absent corpus)."""
    if name not in CORPORA:
        raise KeyError(f"unknown corpus {name!r}: the corpora are {sorted(CORPORA)}")
    return importlib.import_module(CORPORA[name])


def corpus_dir(name, tiny=False, root=None) -> Path:
    """Folder of a corpus: ``<root>/<name>`` or ``<root>/<name>-tiny``."""
    root = Path(root) if root is not None else data_home()
    return root / (f"{name}-tiny" if tiny else name)


# --------------------------------------------------------------------------------------------
# build


def _record_files(record):
    return [record["path"], *record.get("files", {}).values()]


def _is_done(item, folder: Path):
    """The stored record of ``item`` if its files are all there with the recorded sha256."""
    rec_path = folder / _RECORDS / f"{item.id.replace('/', '__')}.json"
    if not rec_path.is_file():
        return None
    try:
        stored = json.loads(rec_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("fingerprint") != item.fingerprint():
        return None
    if "skipped" in stored:
        return {"id": item.id, "skipped": stored["skipped"]}
    record = stored.get("record", {})
    sums = record.get("sha256", {})
    for rel in _record_files(record):
        f = folder / rel
        if rel not in sums or not f.is_file() or sha256_file(f) != sums[rel]:
            return None
    return record


def _render_one(module_name, item, folder):
    """Worker: render one item and store its record (runs in a child process)."""
    module = importlib.import_module(module_name)
    folder = Path(folder)
    try:
        out = module.render(item, folder)
    except SkipItem as exc:
        log.warning("%s: skipped %s: %s", module_name, item.id, exc)
        write_json(folder / _RECORDS / f"{item.id.replace('/', '__')}.json",
                   {"fingerprint": item.fingerprint(), "skipped": str(exc)})
        return {"id": item.id, "skipped": str(exc)}
    record = {
        "id": item.id,
        "group": item.group,
        "split": item.split or assign_split(item.group),
        "path": out["path"],
        "files": dict(sorted(out.get("files", {}).items())),
        "labels": out.get("labels", {}),
    }
    sums, sizes = {}, {}
    for rel in _record_files(record):
        f = folder / rel
        if not f.is_file():
            raise RuntimeError(f"{module_name}.render({item.id!r}) did not write {rel}")
        sums[rel] = sha256_file(f)
        sizes[rel] = f.stat().st_size
    record["sha256"] = dict(sorted(sums.items()))
    record["bytes"] = int(sum(sizes.values()))
    json.dumps(record)  # fails here, with the item named by the caller, if not serialisable
    write_json(folder / _RECORDS / f"{item.id.replace('/', '__')}.json",
               {"fingerprint": item.fingerprint(), "record": record})
    return record


def _check_plan(name, items):
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise ValueError(f"corpus {name!r}: duplicate item ids in the plan: {dup}")
    for it in items:
        if it.split is not None and it.split not in SPLITS:
            raise ValueError(f"corpus {name!r}, item {it.id!r}: unknown split {it.split!r}")


def build_one(name, tiny=False, jobs=None, root=None, force=False) -> Path:
    """Build (or finish building) one corpus; returns the path of its manifest.

    See :func:`build`.
    """
    module = corpus_module(name)
    if hasattr(module, "check"):
        module.check()
    folder = corpus_dir(name, tiny, root)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.rglob(".*.part"):  # temporaries of a build that was killed outright
        leftover.unlink(missing_ok=True)
    items = list(module.plan(tiny))
    _check_plan(name, items)

    records, todo = {}, []
    for item in items:
        rec = None if force else _is_done(item, folder)
        if rec is None:
            todo.append(item)
        else:
            records[item.id] = rec

    jobs = max(1, int(jobs or os.cpu_count() or 1))
    desc = f"{name}{'-tiny' if tiny else ''}"
    failures = []
    if todo:
        bar = progress(total=len(todo), desc=desc, unit="item")
        try:
            if jobs == 1 or len(todo) == 1:
                for item in todo:
                    try:
                        records[item.id] = _render_one(CORPORA[name], item, str(folder))
                    except MissingToolError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - reported below, with the item
                        failures.append((item.id, exc))
                    bar.update()
            else:
                with process_pool(min(jobs, len(todo))) as pool:
                    futures = {pool.submit(_render_one, CORPORA[name], item, str(folder)): item
                               for item in todo}
                    for fut in as_completed(futures):
                        item = futures[fut]
                        try:
                            records[item.id] = fut.result()
                        except MissingToolError:
                            for f in futures:
                                f.cancel()
                            raise
                        except Exception as exc:  # noqa: BLE001 - reported below, with the item
                            failures.append((item.id, exc))
                        bar.update()
        finally:
            bar.close()
    if failures:
        lines = "\n".join(f"  {i}: {type(e).__name__}: {e}" for i, e in failures[:10])
        raise RuntimeError(
            f"corpus {name!r}: {len(failures)} item(s) failed to render (the others are kept; "
            f"run the build again to retry):\n{lines}"
        )

    skipped = [{"id": k, "reason": records[k]["skipped"]} for k in sorted(records)
               if "skipped" in records[k]]
    ordered = [records[k] for k in sorted(records) if "skipped" not in records[k]]
    split_counts = {s: sum(r["split"] == s for r in ordered) for s in SPLITS}
    manifest = {
        "name": name,
        "tiny": bool(tiny),
        "description": getattr(module, "DESCRIPTION", ""),
        "version": getattr(module, "VERSION", 1),
        "sample_rate": getattr(module, "SR", SR),
        "n_items": len(ordered),
        "bytes": int(sum(r.get("bytes", 0) for r in ordered)),
        "splits": split_counts,
        "records": ordered,
        "skipped": skipped,
    }
    extra = getattr(module, "manifest_extra", None)
    if extra is not None:
        manifest["extra"] = extra(ordered, tiny)
    return write_json(folder / MANIFEST, manifest)


def build(names=None, tiny=False, jobs=None, root=None, force=False):
    """Build the offline corpora (resumable, parallel, deterministic).

    Parameters
    ----------
    names : str or list of str, optional
        Corpora to build (keys of :data:`CORPORA`); all of them by default.
    tiny : bool
        Build the tiny variants (a handful of short items, seconds to build; for tests).
    jobs : int, optional
        Worker processes (default: ``os.cpu_count()``).
    root : path, optional
        Where the corpora go (default :func:`mirbook.config.data_home`, i.e. ``$MIRBOOK_DATA``).
    force : bool
        Render every item again even if its files are intact.

    Returns
    -------
    dict
        name -> path of the corpus' ``manifest.json``.

    Raises
    ------
    MissingToolError
        A system tool is missing (the message gives the apt-get command).

    Examples
    --------
    >>> build(["chorales"], tiny=True, root="/tmp/mirdata")      # doctest: +SKIP
    {'chorales': PosixPath('/tmp/mirdata/chorales-tiny/manifest.json')}
    """
    if names is None:
        names = list(CORPORA)
    elif isinstance(names, str):
        names = [names]
    for n in names:
        if n not in CORPORA:
            raise KeyError(f"unknown corpus {n!r}: the corpora are {sorted(CORPORA)}")
    return {n: build_one(n, tiny=tiny, jobs=jobs, root=root, force=force) for n in names}


# --------------------------------------------------------------------------------------------
# load


def _build_command(name, tiny):
    return f"python -m mirbook data build {'--tiny ' if tiny else ''}--only {name}"


def read_manifest(name, tiny=False, root=None) -> dict:
    """The parsed ``manifest.json`` of a built corpus (``FileNotFoundError`` naming the command)."""
    if name not in CORPORA:
        raise KeyError(f"unknown corpus {name!r}: the corpora are {sorted(CORPORA)}")
    path = corpus_dir(name, tiny, root) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"the corpus {name!r}{' (tiny)' if tiny else ''} is not built (no {path}). Build it with:"
            f"\n    {_build_command(name, tiny)}"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def load(name, split=None, tiny=False, root=None) -> list[dict]:
    """The records of a built corpus, with absolute paths.

    Parameters
    ----------
    name : str
        A key of :data:`CORPORA`.
    split : {None, "train", "validation", "test"} or list of them
        Keep only these splits (all by default).
    tiny : bool
        The tiny variant.
    root : path, optional
        Default :func:`mirbook.config.data_home`.

    Returns
    -------
    list of dict
        One per item, sorted by id: ``id``, ``corpus``, ``split``, ``group``, ``path`` (absolute
        path of the audio), ``files`` (label kind -> absolute path), ``labels`` (dict).

    Raises
    ------
    FileNotFoundError
        The corpus is not built; the message gives the command that builds it.

    Examples
    --------
    >>> recs = load("chorales", split="train")                  # doctest: +SKIP
    >>> recs[0]["path"], recs[0]["labels"]["key"]               # doctest: +SKIP
    """
    manifest = read_manifest(name, tiny, root)
    folder = corpus_dir(name, tiny, root).resolve()
    if split is not None:
        wanted = {split} if isinstance(split, str) else set(split)
        bad = wanted - set(SPLITS)
        if bad:
            raise ValueError(f"unknown split(s) {sorted(bad)}: use {SPLITS}")
    out = []
    for r in manifest["records"]:
        if split is not None and r["split"] not in wanted:
            continue
        out.append({
            "id": r["id"],
            "corpus": name,
            "split": r["split"],
            "group": r["group"],
            "path": str(folder / r["path"]),
            "files": {k: str(folder / v) for k, v in r.get("files", {}).items()},
            "labels": r.get("labels", {}),
        })
    return out


def _make_torch_dataset():
    import numpy as np
    import torch
    import torch.utils.data

    from mirbook.io import load_audio

    class TorchDataset(torch.utils.data.Dataset):
        """A :class:`torch.utils.data.Dataset` over corpus records: ``(audio tensor, target)``.

        Parameters
        ----------
        records : list of dict
            From :func:`load`.
        transform : callable, optional
            Applied to the float32 audio tensor (shape ``(n,)``) before it is returned.
        target : str or callable, optional
            What to return beside the audio: ``None`` (the record's ``labels`` dict), a label
            name (``"happy"``, looked up in ``labels``, or at the top of the record for the flat
            records of :mod:`mirbook.datasets.online`), or a function of the record.
        sr : int
            Sample rate to load at (:func:`mirbook.io.load_audio` resamples if needed).
        duration : float, optional
            Crop or zero-pad every clip to this many seconds (so that a DataLoader can batch).

        Examples
        --------
        >>> ds = TorchDataset(load("mood", split="train"), target="happy", duration=10.0)  # doctest: +SKIP
        >>> x, y = ds[0]                                                                  # doctest: +SKIP
        """

        def __init__(self, records, transform=None, target=None, sr=SR, duration=None):
            self.records = list(records)
            self.transform = transform
            self.target = target
            self.sr = sr
            self.duration = duration

        def __len__(self):
            return len(self.records)

        def __getitem__(self, index):
            rec = self.records[index]
            y, _ = load_audio(rec["path"], sr=self.sr)
            if self.duration is not None:
                n = int(round(self.duration * self.sr))
                y = y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))
            x = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))
            if self.transform is not None:
                x = self.transform(x)
            if self.target is None:
                t = rec["labels"]
            elif callable(self.target):
                t = self.target(rec)
            else:
                t = rec["labels"][self.target] if "labels" in rec else rec[self.target]
            return x, t

    TorchDataset.__module__ = __name__
    TorchDataset.__qualname__ = "TorchDataset"
    return TorchDataset


def __getattr__(name):
    # TorchDataset subclasses torch's Dataset; it is made on first use so that importing
    # mirbook.datasets never imports torch (and it still pickles, for DataLoader workers).
    if name == "TorchDataset":
        cls = _make_torch_dataset()
        globals()["TorchDataset"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------------
# info


def _label_stats(records):
    import numpy as np

    values = {}
    for r in records:
        for k, v in r.get("labels", {}).items():
            values.setdefault(k, []).append(v)
    stats = {}
    for k, vs in sorted(values.items()):
        if all(isinstance(v, bool) for v in vs) or all(isinstance(v, str) for v in vs):
            counts = {}
            for v in vs:
                counts[str(v)] = counts.get(str(v), 0) + 1
            top = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:12])
            stats[k] = {"kind": "categorical", "n_distinct": len(counts), "counts": top}
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vs):
            a = np.asarray(vs, dtype=float)
            stats[k] = {"kind": "numeric", "mean": round(float(a.mean()), 4),
                        "std": round(float(a.std()), 4), "min": round(float(a.min()), 4),
                        "max": round(float(a.max()), 4)}
    return stats


def info(root=None) -> dict:
    """What is built under ``root``: items, size on disk, counts per split, label statistics.

    Returns
    -------
    dict
        ``"<name>"`` or ``"<name>-tiny"`` -> ``{"n_items", "bytes", "megabytes", "splits",
        "labels", "path"}``; a corpus that is not built maps to ``{"built": False, "command"}``.
    """
    root = Path(root) if root is not None else data_home()
    out = {}
    for name in CORPORA:
        for tiny in (False, True):
            folder = corpus_dir(name, tiny, root)
            key = f"{name}-tiny" if tiny else name
            if not (folder / MANIFEST).is_file():
                if not tiny:
                    out[key] = {"built": False, "command": _build_command(name, tiny)}
                continue
            m = read_manifest(name, tiny, root)
            on_disk = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            out[key] = {
                "built": True,
                "path": str(folder),
                "n_items": m["n_items"],
                "bytes": on_disk,
                "megabytes": round(on_disk / 1e6, 2),
                "splits": m["splits"],
                "labels": _label_stats(m["records"]),
                "description": m.get("description", ""),
            }
    return out
