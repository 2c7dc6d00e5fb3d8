"""The machinery every offline corpus shares: the corpus protocol, build, resume, manifest, verify, load.

The corpus protocol
-------------------
A corpus is ONE module ``mirbook/datasets/<name>.py`` (copy :mod:`mirbook.datasets.template`).
The registry :data:`CORPORA` is derived, never edited: every module of this package that assigns
a string to ``NAME`` at its top level is a corpus. Its fields are checked when it is first used
(:func:`validate_corpus`; a missing or ill-typed field is a :class:`~mirbook.errors.CorpusError`
that lists every problem):

``NAME`` : str
    The corpus name (the key of :data:`CORPORA`, the folder under the data home).
``DESCRIPTION`` : str
    One line for ``python -m mirbook data info`` and the manifest.
``VERSION`` : int >= 1
    Version of the corpus' content. Bump it whenever ``plan`` or ``render`` change what is made:
    it is part of every item's resume key, so every item is rendered again.
``SR`` : int
    Sample rate of the audio (normally :data:`mirbook.config.SR`).
``RENDERERS`` : tuple of str
    The library modules whose output the audio depends on (``"mirbook.synth"``,
    ``"mirbook.scores"``, ``"mirbook.effects"``); each has an integer ``RENDER_VERSION`` that
    enters the resume key, so bumping a renderer re-renders every corpus that uses it.
``plan(*, tiny: bool) -> list[Item]``
    A cheap, deterministic list of work items, with NO I/O beyond reading package data (the
    music21 corpus, shipped lexicons) and what ``prepare`` has cached. Each :class:`Item` has a
    unique ``id`` (its relative output stem), a ``group`` (the source piece or artist: the split is
    drawn from it) and every parameter the rendering needs, seed included. Parameters hold no
    absolute path (checked): moving ``MIRBOOK_DATA`` must not change a fingerprint.
``render(item, root: Path) -> dict``
    Writes the item's files under ``root`` (the corpus folder), each atomically, and returns its
    label record::

        {"path": "audio/x.flac",                    # the audio file, relative to root
         "files": {"notes": "labels/x.notes.txt"},  # label files, relative to root (may be empty)
         "labels": {...}}                           # JSON-serialisable labels

    An item that must not be rendered (odd score) raises :class:`SkipItem` (or
    :class:`mirbook.scores.ScoreError`): it is listed under ``"skipped"`` in the manifest.
``check()`` (optional)
    Raise :class:`~mirbook.errors.MissingToolError` (through :func:`require_tool`) when a system
    tool is missing; called once, in the main process, before anything else.
``prepare(*, tiny: bool)`` (optional)
    Fetch or unpack raw material into the cache (e.g. Debian packages); called by :func:`build`
    after ``check`` and before ``plan``. ``plan`` then reads only what this cached.
``manifest_extra(records, *, tiny) -> dict`` (optional)
    Summary counts stored under ``"extra"`` in the manifest.

The shared render pipelines (score to labelled audio, excerpt picking, silence skipping) are in
:mod:`mirbook.datasets.helpers`.

Build, resume, verify
---------------------
:func:`build` adds to each record the item's ``id``, ``group``, ``split``, the ``sha256`` and size
of every file, and writes ``<root>/<name>[-tiny]/manifest.json``: sorted records, no timestamps,
so two builds of the same plan give byte-identical manifests. It then compares the sha256 sums
with the reference manifests committed in the repository (``data/manifests/``) and reports every
difference (:func:`compare_reference`).

Resuming: after an item is rendered, its record (with the sha256 of its files and the item's
fingerprint: the item, the corpus ``NAME``, ``VERSION``, ``SR`` and its renderers' versions) is
written to ``<corpus>/.records/<id>.json``. A later build reuses an item whose fingerprint matches
and whose files still hash to the recorded values; anything missing, changed, half-written or
made by another version is rendered again.

:func:`verify` (``python -m mirbook data verify``) checks every file of a built corpus against
its manifest (size and sha256) and names each bad file.

The corpus chapter of the book is ``book/datasets.md``.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib
import json
import logging
import os
from concurrent.futures import as_completed
from pathlib import Path, PurePosixPath, PureWindowsPath

from mirbook._tools import require_tool
from mirbook.config import SR, data_home, repo_root
from mirbook.errors import CorpusError, MirbookError, MissingToolError, ParameterError
from mirbook.io import atomic_path
from mirbook.utils import process_pool, progress, sha256_file

__all__ = [
    "CORPORA", "SPLITS", "SPLIT_FRACTIONS", "TRANSFER", "ALL_SPLITS", "SR", "MANIFEST", "Item",
    "SkipItem", "assign_split",
    "check_disjoint", "require_tool", "MissingToolError", "CorpusError", "write_json",
    "write_text", "discover", "register", "validate_corpus", "corpus_module", "corpus_dir",
    "render_key", "build_one", "build", "read_manifest", "reference_manifest",
    "compare_reference", "verify", "load", "info",
]

log = logging.getLogger("mirbook.datasets")

_PACKAGE_DIR = Path(__file__).resolve().parent


def discover() -> dict:
    """name -> module of every corpus module of :mod:`mirbook.datasets` (nothing is imported).

    A corpus module is a ``.py`` file of this package, not private, whose top level assigns a
    string to ``NAME``; the source is parsed (:mod:`ast`), not imported, so this is cheap and
    imports neither music21 nor torch.

    Examples
    --------
    >>> sorted(discover())
    ['artists', 'chorales', 'mood', 'piano', 'speech_music', 'styles']
    """
    out = {}
    for path in sorted(_PACKAGE_DIR.glob("*.py")):
        if path.stem.startswith("_") or path.stem == "template":
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError as exc:
            raise CorpusError(f"{path.name}: cannot be parsed ({exc})") from None
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "NAME"
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                name = node.value.value
                if name in out:
                    raise CorpusError(f"two corpus modules are named {name!r}: "
                                      f"{out[name]} and mirbook.datasets.{path.stem}")
                out[name] = f"mirbook.datasets.{path.stem}"
    return out


#: name -> module of every offline corpus: derived by :func:`discover` (imported only when used;
#: :func:`register` adds one from elsewhere, e.g. a test's copy of the template).
CORPORA = discover()
_VALIDATED = {}

#: The three splits, and the share of groups each gets (by hash of the group key).
SPLITS = ("train", "validation", "test")
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
#: The disjoint-source test split: items whose *sources* (voices, engines, recordings, packages,
#: soundfonts) never occur in train/validation/test. Never drawn by :func:`assign_split`; a corpus
#: pins it (``Item(split=TRANSFER)``). It measures whether a model transfers beyond the machinery
#: that made its training data (the ``speech_music`` corpus has one).
TRANSFER = "transfer"
#: Every split a record may carry.
ALL_SPLITS = SPLITS + (TRANSFER,)

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

    def fingerprint(self, key=None) -> str:
        """sha256 of the item's JSON form and of the render ``key`` (:func:`render_key`).

        A changed item, corpus ``VERSION`` or renderer version re-renders the item.
        """
        blob = json.dumps({"item": dataclasses.asdict(self), "key": key}, sort_keys=True,
                          default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


def assign_split(key: str, *, fractions=SPLIT_FRACTIONS) -> str:
    """Deterministic split of a group key (source piece, artist): ``train``/``validation``/``test``.

    The split depends on the key alone (a sha256 of it), not on the corpus nor on the other keys,
    so a piece rendered in two corpora (e.g. a chorale in ``chorales`` and ``mood``) lands in the
    same split in both, and adding pieces to a corpus never moves the others.

    Examples
    --------
    >>> assign_split("chorale:bwv269") in SPLITS
    True
    """
    h = int(hashlib.sha256(str(key).encode("utf-8")).hexdigest()[:12], 16) / float(16**12)
    acc = 0.0
    for name, frac in zip(SPLITS, fractions):
        acc += frac
        if h < acc:
            return name
    return SPLITS[len(fractions) - 1]


def check_disjoint(records, *, key="group") -> dict:
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


class SkipItem(MirbookError):
    """Raised by a corpus' ``render`` for an item that must not be rendered (corrupt or odd score).

    The build logs the reason, lists the item under ``"skipped"`` in the manifest, and does not
    retry it on the next build (the decision is deterministic).
    :class:`mirbook.scores.ScoreError` is treated the same way.
    """


# --------------------------------------------------------------------------------------------
# helpers for corpus modules


def write_json(path, data):
    """Write ``data`` as sorted, indented JSON, atomically. Returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    return path


def write_text(path, text):
    """Write a text file atomically (UTF-8, ``\\n`` line ends). Returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


_REQUIRED = {"NAME": str, "DESCRIPTION": str, "VERSION": int, "SR": int}
_CALLABLES = ("plan", "render")
_OPTIONAL = ("check", "prepare", "manifest_extra")


def validate_corpus(module, name=None):
    """Check that a module follows the corpus protocol (see the module docstring).

    Parameters
    ----------
    module : module
    name : str, optional
        The registry key it was found under (must equal ``module.NAME``).

    Raises
    ------
    mirbook.errors.CorpusError
        Listing every missing or ill-typed field.

    Examples
    --------
    >>> import types
    >>> validate_corpus(types.ModuleType("empty"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mirbook.errors.CorpusError: corpus module 'empty' does not follow the corpus protocol: ...
    """
    problems = []
    for field, typ in _REQUIRED.items():
        value = getattr(module, field, None)
        if value is None:
            problems.append(f"no {field}")
        elif not isinstance(value, typ) or isinstance(value, bool):
            problems.append(f"{field}={value!r} is not a {typ.__name__}")
    if isinstance(getattr(module, "VERSION", None), int) and module.VERSION < 1:
        problems.append(f"VERSION={module.VERSION}: expected an integer >= 1")
    if name is not None and getattr(module, "NAME", name) != name:
        problems.append(f"NAME={module.NAME!r} but it is registered as {name!r}")
    for field in _CALLABLES:
        if not callable(getattr(module, field, None)):
            problems.append(f"no function {field}()")
    for field in _OPTIONAL:
        if hasattr(module, field) and not callable(getattr(module, field)):
            problems.append(f"{field} is not a function")
    renderers = getattr(module, "RENDERERS", None)
    if renderers is None:
        problems.append("no RENDERERS (a tuple of library module names, () if none)")
    elif isinstance(renderers, str) or not all(isinstance(r, str) for r in renderers):
        problems.append(f"RENDERERS={renderers!r}: expected a tuple of module names")
    else:
        for r in renderers:
            try:
                version = getattr(importlib.import_module(r), "RENDER_VERSION", None)
            except ImportError as exc:
                problems.append(f"renderer {r!r} cannot be imported ({exc})")
                continue
            if not isinstance(version, int):
                problems.append(f"renderer {r!r} has no integer RENDER_VERSION")
    if problems:
        raise CorpusError(f"corpus module {module.__name__!r} does not follow the corpus "
                          f"protocol: " + "; ".join(problems))
    return module


def register(module):
    """Add a corpus module from outside :mod:`mirbook.datasets` to :data:`CORPORA`.

    The module is imported and validated (:func:`validate_corpus`); returns its ``NAME``. The
    tests register their copy of :mod:`mirbook.datasets.template` this way.

    Examples
    --------
    >>> register("mirbook.datasets.template")
    'template'
    >>> unregister("template")
    """
    module_name = module
    module = validate_corpus(importlib.import_module(module_name))
    if module.NAME in CORPORA and CORPORA[module.NAME] != module_name:
        raise CorpusError(f"corpus {module.NAME!r} is already {CORPORA[module.NAME]}")
    CORPORA[module.NAME] = module_name
    _VALIDATED[module.NAME] = module
    return module.NAME


def unregister(name):
    """Remove a corpus that :func:`register` added (the discovered ones come back on import)."""
    CORPORA.pop(name, None)
    _VALIDATED.pop(name, None)


def _unknown(name):
    return CorpusError(f"unknown corpus {name!r}: the corpora are {sorted(CORPORA)}")


def corpus_module(name):
    """Import and validate the module of corpus ``name`` (:class:`CorpusError` if unknown)."""
    if name not in CORPORA:
        raise _unknown(name)
    if name not in _VALIDATED or _VALIDATED[name].__name__ != CORPORA[name]:
        _VALIDATED[name] = validate_corpus(importlib.import_module(CORPORA[name]), name)
    return _VALIDATED[name]


def corpus_dir(name, *, tiny=False, root=None) -> Path:
    """Folder of a corpus: ``<root>/<name>`` or ``<root>/<name>-tiny``."""
    root = Path(root) if root is not None else data_home()
    return root / (f"{name}-tiny" if tiny else name)


def render_key(module) -> dict:
    """What, beside the item, decides a rendering: corpus name, ``VERSION``, ``SR``, renderers.

    Part of every item's fingerprint (:meth:`Item.fingerprint`), so bumping the corpus'
    ``VERSION`` or a renderer's ``RENDER_VERSION`` (e.g. :data:`mirbook.synth.RENDER_VERSION`)
    renders the items again.

    Examples
    --------
    >>> render_key(corpus_module("chorales"))["renderers"]
    {'mirbook.scores': 1, 'mirbook.synth': 1}
    """
    return {
        "corpus": module.NAME,
        "version": int(module.VERSION),
        "sr": int(module.SR),
        "renderers": {r: int(importlib.import_module(r).RENDER_VERSION)
                      for r in sorted(module.RENDERERS)},
    }


# --------------------------------------------------------------------------------------------
# build


def _record_files(record):
    return [record["path"], *record.get("files", {}).values()]


def _record_path(folder, item):
    return folder / _RECORDS / f"{item.id.replace('/', '__')}.json"


def _is_done(item, folder: Path, key):
    """The stored record of ``item`` if its files are all there with the recorded sha256."""
    rec_path = _record_path(folder, item)
    if not rec_path.is_file():
        return None
    try:
        stored = json.loads(rec_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("fingerprint") != item.fingerprint(key):
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


def _render_one(module_name, item, folder, key):
    """Worker: render one item and store its record (runs in a child process)."""
    from mirbook.scores import ScoreError

    module = importlib.import_module(module_name)
    folder = Path(folder)
    try:
        out = module.render(item, folder)
    except (SkipItem, ScoreError) as exc:
        log.warning("%s: skipped %s: %s", module_name, item.id, exc)
        write_json(_record_path(folder, item),
                   {"fingerprint": item.fingerprint(key), "skipped": str(exc)})
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
            raise CorpusError(f"{module_name}.render({item.id!r}) did not write {rel}")
        sums[rel] = sha256_file(f)
        sizes[rel] = f.stat().st_size
    record["sha256"] = dict(sorted(sums.items()))
    record["sizes"] = dict(sorted(sizes.items()))
    record["bytes"] = int(sum(sizes.values()))
    json.dumps(record)  # fails here, with the item named by the caller, if not serialisable
    write_json(_record_path(folder, item), {"fingerprint": item.fingerprint(key), "record": record})
    return record


def _absolute_paths(value, where):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _absolute_paths(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _absolute_paths(v, f"{where}[{i}]")
    elif isinstance(value, str) and (PurePosixPath(value).is_absolute()
                                     or PureWindowsPath(value).drive):
        yield f"{where}={value!r}"


def _check_plan(name, items):
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise CorpusError(f"corpus {name!r}: duplicate item ids in the plan: {dup}")
    for it in items:
        if not isinstance(it, Item):
            raise CorpusError(f"corpus {name!r}: plan() returned {type(it).__name__}, not an Item")
        if it.split is not None and it.split not in ALL_SPLITS:
            raise CorpusError(f"corpus {name!r}, item {it.id!r}: unknown split {it.split!r}")
        bad = list(_absolute_paths(it.params, "params"))
        if bad:
            raise CorpusError(f"corpus {name!r}, item {it.id!r}: absolute path(s) in the plan "
                              f"({', '.join(bad[:3])}); store paths relative to the cache so that "
                              "moving MIRBOOK_DATA does not change the fingerprints")


def build_one(name, *, tiny=False, jobs=None, root=None, force=False) -> Path:
    """Build (or finish building) one corpus; returns the path of its manifest.

    See :func:`build`.
    """
    module = corpus_module(name)
    if hasattr(module, "check"):
        module.check()
    if hasattr(module, "prepare"):
        module.prepare(tiny=tiny)
    folder = corpus_dir(name, tiny=tiny, root=root)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.rglob(".*.part"):  # temporaries of a build that was killed outright
        leftover.unlink(missing_ok=True)
    items = list(module.plan(tiny=tiny))
    _check_plan(name, items)
    key = render_key(module)

    records, todo = {}, []
    for item in items:
        rec = None if force else _is_done(item, folder, key)
        if rec is None:
            todo.append(item)
        else:
            records[item.id] = rec

    jobs = max(1, int(jobs or os.cpu_count() or 1))
    desc = f"{name}{'-tiny' if tiny else ''}"
    failures = []
    module_name = CORPORA[name]
    if todo:
        bar = progress(total=len(todo), desc=desc, unit="item")
        try:
            if jobs == 1 or len(todo) == 1:
                for item in todo:
                    try:
                        records[item.id] = _render_one(module_name, item, str(folder), key)
                    except MissingToolError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - reported below, with the item
                        failures.append((item.id, exc))
                    bar.update()
            else:
                with process_pool(max_workers=min(jobs, len(todo))) as pool:
                    futures = {pool.submit(_render_one, module_name, item, str(folder), key): item
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
        raise CorpusError(
            f"corpus {name!r}: {len(failures)} item(s) failed to render (the others are kept; "
            f"run the build again to retry):\n{lines}"
        )

    skipped = [{"id": k, "reason": records[k]["skipped"]} for k in sorted(records)
               if "skipped" in records[k]]
    ordered = [records[k] for k in sorted(records) if "skipped" not in records[k]]
    split_counts = {s: sum(r["split"] == s for r in ordered) for s in SPLITS}
    if any(r["split"] == TRANSFER for r in ordered):
        split_counts[TRANSFER] = sum(r["split"] == TRANSFER for r in ordered)
    manifest = {
        "name": name,
        "tiny": bool(tiny),
        "description": module.DESCRIPTION,
        "version": module.VERSION,
        "renderers": key["renderers"],
        "sample_rate": module.SR,
        "n_items": len(ordered),
        "bytes": int(sum(r.get("bytes", 0) for r in ordered)),
        "splits": split_counts,
        "records": ordered,
        "skipped": skipped,
    }
    extra = getattr(module, "manifest_extra", None)
    if extra is not None:
        manifest["extra"] = extra(ordered, tiny=tiny)
    path = write_json(folder / MANIFEST, manifest)
    diff = compare_reference(name, tiny=tiny, manifest=manifest)
    if diff is not None:
        if diff["ok"]:
            log.info("%s: every file matches the reference manifest %s", desc, diff["reference"])
        else:
            log.warning("%s", diff["summary"])
    return path


def build(names=None, *, tiny=False, jobs=None, root=None, force=False):
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
    mirbook.errors.MissingToolError
        A system tool is missing (the message gives the apt-get command).
    mirbook.errors.CorpusError
        An unknown corpus, an ill-defined corpus module or plan, or items that failed to render.

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
            raise _unknown(n)
    return {n: build_one(n, tiny=tiny, jobs=jobs, root=root, force=force) for n in names}


# --------------------------------------------------------------------------------------------
# manifests: read, compare with the reference, verify


def _build_command(name, tiny):
    return f"python -m mirbook data build {'--tiny ' if tiny else ''}--only {name}"


def _parse_manifest(path: Path, what: str) -> dict:
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CorpusError(f"{path}: the {what} is damaged (not valid JSON: {exc}); build the "
                          "corpus again") from None
    if not isinstance(m, dict) or not isinstance(m.get("records"), list):
        raise CorpusError(f"{path}: the {what} is damaged (no list of records); build the "
                          "corpus again")
    return m


def read_manifest(name, *, tiny=False, root=None) -> dict:
    """The parsed ``manifest.json`` of a built corpus.

    Raises
    ------
    mirbook.errors.CorpusError
        Unknown corpus; not built (the message gives the command that builds it); a damaged
        (e.g. truncated) manifest.
    """
    if name not in CORPORA:
        raise _unknown(name)
    path = corpus_dir(name, tiny=tiny, root=root) / MANIFEST
    if not path.is_file():
        raise CorpusError(
            f"the corpus {name!r}{' (tiny)' if tiny else ''} is not built (no {path}). Build it with:"
            f"\n    {_build_command(name, tiny)}"
        )
    return _parse_manifest(path, "manifest")


def reference_manifest(name, *, tiny=False):
    """Path of the committed reference manifest ``data/manifests/<name>[-tiny].json``, or ``None``.

    Only a repository checkout has them (:func:`mirbook.config.repo_root`).
    """
    repo = repo_root()
    if repo is None:
        return None
    path = repo / "data" / "manifests" / f"{name}{'-tiny' if tiny else ''}.json"
    return path if path.is_file() else None


def compare_reference(name, *, tiny=False, manifest=None, root=None):
    """Compare a built manifest with the committed reference, file by file (sha256).

    Parameters
    ----------
    name : str
    tiny : bool
    manifest : dict, optional
        The built manifest (default: read from ``root``).
    root : path, optional

    Returns
    -------
    dict or None
        ``None`` without a reference manifest; else ``{"ok", "reference", "missing", "extra",
        "differ_labels", "differ_audio", "summary"}``: items only in the reference, only in the
        build, label files (deterministic) and audio files (tool-version dependent, see
        ``data/README.md``) whose sha256 differs.
    """
    ref_path = reference_manifest(name, tiny=tiny)
    if ref_path is None:
        return None
    ref = _parse_manifest(ref_path, "reference manifest")
    got = manifest if manifest is not None else read_manifest(name, tiny=tiny, root=root)
    ref_recs = {r["id"]: r for r in ref["records"]}
    got_recs = {r["id"]: r for r in got["records"]}
    missing = sorted(set(ref_recs) - set(got_recs))
    extra = sorted(set(got_recs) - set(ref_recs))
    labels, audio = [], []
    for i in sorted(set(ref_recs) & set(got_recs)):
        a, b = ref_recs[i]["sha256"], got_recs[i]["sha256"]
        for rel in sorted(set(a) | set(b)):
            if a.get(rel) != b.get(rel):
                (audio if rel == ref_recs[i]["path"] else labels).append(rel)
    ok = not (missing or extra or labels or audio)
    desc = f"{name}{'-tiny' if tiny else ''}"
    parts = []
    if missing:
        parts.append(f"{len(missing)} item(s) of the reference not built ({', '.join(missing[:5])})")
    if extra:
        parts.append(f"{len(extra)} item(s) not in the reference ({', '.join(extra[:5])})")
    if labels:
        parts.append(f"{len(labels)} label file(s) differ ({', '.join(labels[:5])})")
    if audio:
        parts.append(f"{len(audio)} audio file(s) differ ({', '.join(audio[:5])}; audio depends "
                     "on the versions of FluidSynth, libsndfile, espeak-ng... see data/README.md)")
    summary = (f"{desc}: matches the reference {ref_path.name}" if ok else
               f"{desc} differs from the reference {ref_path}: " + "; ".join(parts))
    return {"ok": ok, "reference": str(ref_path), "missing": missing, "extra": extra,
            "differ_labels": labels, "differ_audio": audio, "summary": summary}


def verify(names=None, *, tiny=False, root=None) -> dict:
    """Check every file of built corpora against their manifests (size and sha256).

    Parameters
    ----------
    names : str or list of str, optional
        Default: every corpus that is built under ``root``.
    tiny : bool
    root : path, optional

    Returns
    -------
    dict
        name -> list of problems (``"audio/x.flac: sha256 ..."``, ``"labels/y.txt: missing"``);
        an empty list for a corpus whose files are all intact.

    Raises
    ------
    mirbook.errors.CorpusError
        A named corpus is unknown or not built, or its manifest is damaged.

    Examples
    --------
    >>> verify("chorales", tiny=True)                 # doctest: +SKIP
    {'chorales': []}
    """
    if names is None:
        names = [n for n in CORPORA
                 if (corpus_dir(n, tiny=tiny, root=root) / MANIFEST).is_file()]
    elif isinstance(names, str):
        names = [names]
    out = {}
    for name in names:
        m = read_manifest(name, tiny=tiny, root=root)
        folder = corpus_dir(name, tiny=tiny, root=root)
        problems = []
        for r in m["records"]:
            sums, sizes = r.get("sha256", {}), r.get("sizes", {})
            for rel in _record_files(r):
                f = folder / rel
                if not f.is_file():
                    problems.append(f"{rel}: missing")
                    continue
                if rel in sizes and f.stat().st_size != sizes[rel]:
                    problems.append(f"{rel}: {f.stat().st_size} bytes, the manifest says "
                                    f"{sizes[rel]}")
                    continue
                digest = sha256_file(f)
                if digest != sums.get(rel):
                    problems.append(f"{rel}: sha256 {digest[:12]}..., the manifest says "
                                    f"{str(sums.get(rel))[:12]}...")
        out[name] = problems
    return out


def load(name, *, split=None, tiny=False, root=None) -> list[dict]:
    """The records of a built corpus, with absolute paths.

    Parameters
    ----------
    name : str
        A key of :data:`CORPORA`.
    split : {None, "train", "validation", "test", "transfer"} or list of them
        Keep only these splits (all by default). ``"transfer"`` is the disjoint-source test of
        the corpora that have one (:data:`TRANSFER`).
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
    mirbook.errors.CorpusError
        The corpus is not built (the message gives the command that builds it), its manifest is
        damaged, or a file it lists is missing (the message names the file).
    mirbook.errors.ParameterError
        An unknown split.

    Examples
    --------
    >>> recs = load("chorales", split="train")                  # doctest: +SKIP
    >>> recs[0]["path"], recs[0]["labels"]["key"]               # doctest: +SKIP
    """
    if split is not None:
        wanted = {split} if isinstance(split, str) else set(split)
        bad = wanted - set(ALL_SPLITS)
        if bad:
            raise ParameterError(f"split: unknown split(s) {sorted(bad)}: use {ALL_SPLITS}")
    manifest = read_manifest(name, tiny=tiny, root=root)
    folder = corpus_dir(name, tiny=tiny, root=root).resolve()
    out = []
    for r in manifest["records"]:
        if split is not None and r["split"] not in wanted:
            continue
        rec = {
            "id": r["id"],
            "corpus": name,
            "split": r["split"],
            "group": r["group"],
            "path": str(folder / r["path"]),
            "files": {k: str(folder / v) for k, v in r.get("files", {}).items()},
            "labels": r.get("labels", {}),
        }
        for f in (rec["path"], *rec["files"].values()):
            if not os.path.isfile(f):
                raise CorpusError(f"corpus {name!r}{' (tiny)' if tiny else ''}: {f} is missing "
                                  f"(listed in its manifest). Rebuild it with:\n    "
                                  f"{_build_command(name, tiny)}\n(`python -m mirbook data verify` "
                                  "checks every file)")
        out.append(rec)
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
            Applied to the float32 audio tensor (shape ``(n,)``) before it is returned. For
            training-time augmentation pass
            :class:`mirbook.datasets.sources.channel.Augment` (a fresh random room, band limit,
            noise and level for every read), e.g.
            ``TorchDataset(load("speech_music", split="train"), target="label",
            transform=Augment(random_state=0))``.
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

        def __init__(self, records, *, transform=None, target=None, sr=SR, duration=None):
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
            folder = corpus_dir(name, tiny=tiny, root=root)
            key = f"{name}-tiny" if tiny else name
            if not (folder / MANIFEST).is_file():
                if not tiny:
                    out[key] = {"built": False, "command": _build_command(name, tiny)}
                continue
            m = read_manifest(name, tiny=tiny, root=root)
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
