"""The one API convention (CONTRIBUTING.md, "API convention"), held over every public function.

- Parameters before ``*`` are the primary data only (names in ``PRIMARY``); everything else
  (``sr`` included, as in librosa) is keyword-only.
- Randomness is ``random_state`` (never ``seed``/``rng``); extra returns are asked for with
  ``return_info`` (never ``full``/``return_*``/``with_*``).
- librosa's names: no ``nfft``, ``hop``, ``hopsize``, ``fs``, ``samplerate``, ``n_bin``...
- Every public function has a docstring; every module's public names import; importing a library
  module does not import :mod:`mirbook.datasets`.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import subprocess
import sys

import pytest

import mirbook
import mirbook.errors

#: Names a function may take positionally: the data it works on.
PRIMARY = {
    "y", "S", "D", "X", "V", "W", "H", "F", "C", "M", "Y", "Z", "A", "B", "P", "R", "T", "E",
    "x", "data", "path", "paths", "archive", "url", "chroma", "notes", "ref", "est", "reference",
    "estimate", "ref_intervals", "ref_labels", "est_intervals", "est_labels", "ref_notes",
    "est_notes", "intervals", "labels", "times", "frequencies", "mels", "midi", "pitches", "score",
    "scores", "tracks", "records", "items", "peaks", "index", "label", "labels_true", "labels_pred",
    "Y_true", "Y_score", "y_true", "y_pred", "y_score", "text", "texts", "signals", "rows",
    "table", "model", "module", "checkpoint", "S_db", "S_power", "emission", "p_init",
    "transition", "templates", "residual", "frames", "name", "names", "key", "condition",
    "embeddings", "anchors", "targets", "dataset", "loader", "batch", "values", "a", "b",
    "self", "cls", "item", "root", "fg", "bg", "foreground", "background", "t", "q", "n",
    "event", "events", "segments", "beats", "part", "stanzas", "relpath", "source",
    "t_cont", "y_cont", "t_samples", "y_samples", "V_hat", "pitch", "program", "package", "outputs",
    "fig", "ax", "players", "argv", "P_audio", "P_lyrics", "runs", "splits", "corpus", "config", "pairs", "frequency", "Y_train", "Y_test", "prob", "states", "tags", "tags_a", "tags_b", "V_src", "V_dst", "V_sub", "V_main", "truth", "artists", "L", "G", "K", "Q", "U", "I", "O",
}

FORBIDDEN_NAMES = {
    "seed": "random_state", "rng": "random_state", "nfft": "n_fft", "hop": "hop_length",
    "hopsize": "hop_length", "hop_size": "hop_length", "fs": "sr", "samplerate": "sr",
    "sample_rate": "sr", "nbins": "n_bins", "full": "return_info",
}


def _library_modules():
    names = []
    for info in pkgutil.walk_packages(mirbook.__path__, "mirbook."):
        short = info.name.split(".")[-1]
        if short.startswith("_") or short == "__main__":
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _library_modules()


def _public_functions(module):
    public = getattr(module, "__all__", None)
    for name, obj in vars(module).items():
        if name.startswith("_") or (public is not None and name not in public):
            continue
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            yield name, obj


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name):
    importlib.import_module(name)


@pytest.mark.parametrize("name", sorted(n for n in mirbook.__all__ if not n.startswith("__")))
def test_every_advertised_name_imports(name):
    assert getattr(mirbook, name) is not None


def test_advertised_names_are_the_modules():
    top = {m.split(".")[1] for m in MODULES}
    assert set(n for n in mirbook.__all__ if not n.startswith("__")) == top


@pytest.mark.parametrize("name", [m for m in MODULES if not m.startswith("mirbook.datasets")])
def test_library_does_not_import_datasets(name):
    code = (f"import sys, importlib; importlib.import_module({name!r}); "
            "bad = [m for m in sys.modules if m.startswith('mirbook.datasets')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, f"importing {name} imports {done.stdout.strip()}"


def _signature_problems(module):
    for fname, func in _public_functions(module):
        where = f"{module.__name__}.{fname}"
        if not (func.__doc__ or "").strip():
            yield f"{where}: no docstring"
        for p in inspect.signature(func).parameters.values():
            if p.name in FORBIDDEN_NAMES:
                yield f"{where}({p.name}): use {FORBIDDEN_NAMES[p.name]!r}"
            if p.name.startswith(("return_", "with_")) and p.name != "return_info":
                yield f"{where}({p.name}): extra returns are asked for with return_info"
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in PRIMARY:
                yield f"{where}({p.name}): keyword-only after the primary data (add '*')"


@pytest.mark.parametrize("name", MODULES)
def test_api_convention(name):
    problems = list(_signature_problems(importlib.import_module(name)))
    assert not problems, "\n".join(problems)


ERRORS = [getattr(mirbook.errors, n) for n in mirbook.errors.__all__]


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_error_pickles(cls):
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind == p.POSITIONAL_OR_KEYWORD]
    args = [f"arg{i}" for i in range(len(params))] or ["message"]
    err = cls(*args)
    again = pickle.loads(pickle.dumps(err))
    assert str(err), f"{cls.__name__} has an empty message"
    assert type(again) is cls and str(again) == str(err) and vars(again) == vars(err)
    assert isinstance(again, mirbook.errors.MirbookError)


def _all_error_classes():
    found = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Exception) \
                    and not issubclass(obj, Warning) and not obj.__name__.startswith("_") \
                    and obj.__module__.startswith("mirbook"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


ALL_ERRORS = _all_error_classes()

#: constructor arguments for the error classes whose arguments are not strings
SPECIAL_ARGS = {"ItemError": [[("clip_001.wav", mirbook.errors.AudioFileError("clip_001.wav", "empty"))]]}


@pytest.mark.parametrize("qualname", sorted(ALL_ERRORS))
def test_every_error_class_is_a_mirbook_error_and_pickles(qualname):
    """Errors cross process pools: every exception class of the package, wherever it is defined,
    derives from MirbookError and survives pickling with its message and attributes."""
    cls = ALL_ERRORS[qualname]
    assert issubclass(cls, mirbook.errors.MirbookError), f"{qualname} is not a MirbookError"
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind == p.POSITIONAL_OR_KEYWORD
              and p.default is p.empty]
    args = SPECIAL_ARGS.get(cls.__name__) or [f"arg{i}" for i in range(len(params))] or ["message"]
    err = cls(*args)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and str(again) == str(err)
    assert repr(vars(again)) == repr(vars(err))   # nested errors compare by identity: use repr


def test_no_dangling_file_references():
    """Docstrings name only files of this repository."""
    import re
    from pathlib import Path

    root = Path(mirbook.__file__).resolve().parent.parent
    pattern = re.compile(r"DESIGN\.md|paper-tables\.md|datasets_online\.md|shared/|/work/")
    bad = []
    for path in sorted((root / "mirbook").rglob("*.py")):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                bad.append(f"{path.relative_to(root)}:{i}: {line.strip()}")
    assert not bad, "\n".join(bad)
