"""The executed-notebook cache key (mirbook._cachekey): what changes it, and what does not."""

import shutil
from pathlib import Path

import pytest

from mirbook._cachekey import ROOT_FILES, cache_inputs, cache_key, main, refresh

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tree(tmp_path):
    """A fake checkout and corpus: package sources, root files, two manifests, a bytecode file."""
    root = tmp_path / "repo"
    (root / "mirbook" / "datasets").mkdir(parents=True)
    (root / "mirbook" / "__pycache__").mkdir()
    (root / "mirbook" / "__init__.py").write_text("")
    (root / "mirbook" / "io.py").write_text("x = 1\n")
    (root / "mirbook" / "datasets" / "core.py").write_text("y = 2\n")
    (root / "mirbook" / "__pycache__" / "io.cpython-311.pyc").write_bytes(b"\0")
    for name in ROOT_FILES:
        (root / name).write_text(f"# {name}\n")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "01_x.ipynb").write_text("{}")
    data = tmp_path / "data"
    for corpus in ("piano", "speech"):
        (data / corpus).mkdir(parents=True)
        (data / corpus / "manifest.json").write_text(f'{{"corpus": "{corpus}"}}')
        (data / corpus / "a.flac").write_bytes(b"audio")
    return root, data


def test_inputs_cover_sources_root_files_and_manifests_only(tree):
    root, data = tree
    labels = [label for label, _ in cache_inputs(root, data_home=data)]
    assert labels == sorted([
        "conftest.py", "constraints.txt", "pyproject.toml",
        "mirbook/__init__.py", "mirbook/io.py", "mirbook/datasets/core.py",
        "data_home/piano/manifest.json", "data_home/speech/manifest.json",
    ])


@pytest.mark.parametrize("change", [
    "edit source", "add source", "remove source", "rename source", "edit pyproject",
    "edit constraints", "edit conftest", "edit manifest", "add manifest", "remove manifest",
])
def test_key_changes_with_every_input(tree, change):
    root, data = tree
    before = cache_key(root, data_home=data)
    if change == "edit source":
        (root / "mirbook" / "io.py").write_text("x = 3\n")
    elif change == "add source":
        (root / "mirbook" / "new.py").write_text("")
    elif change == "remove source":
        (root / "mirbook" / "datasets" / "core.py").unlink()
    elif change == "rename source":
        (root / "mirbook" / "io.py").rename(root / "mirbook" / "io2.py")
    elif change.startswith("edit ") and change != "edit manifest" and change != "edit source":
        name = {"pyproject": "pyproject.toml", "constraints": "constraints.txt",
                "conftest": "conftest.py"}[change.split()[1]]
        (root / name).write_text("changed\n")
    elif change == "edit manifest":
        (data / "piano" / "manifest.json").write_text('{"corpus": "piano", "v": 2}')
    elif change == "add manifest":
        (data / "mood").mkdir()
        (data / "mood" / "manifest.json").write_text("{}")
    elif change == "remove manifest":
        (data / "speech" / "manifest.json").unlink()
    assert cache_key(root, data_home=data) != before, change


@pytest.mark.parametrize("change", ["bytecode", "notebook", "audio file", "mtime"])
def test_key_ignores_what_the_cache_does_not_depend_on(tree, change):
    root, data = tree
    before = cache_key(root, data_home=data)
    if change == "bytecode":
        (root / "mirbook" / "__pycache__" / "io.cpython-311.pyc").write_bytes(b"\1")
    elif change == "notebook":  # jupyter-cache keys each notebook's cells itself
        (root / "notebooks" / "01_x.ipynb").write_text('{"cells": []}')
    elif change == "audio file":  # covered through the manifest's hashes
        (data / "piano" / "a.flac").write_bytes(b"other")
    elif change == "mtime":
        import os
        os.utime(root / "mirbook" / "io.py", (1, 1))
    assert cache_key(root, data_home=data) == before


def test_key_does_not_depend_on_where_the_folders_lie(tree, tmp_path):
    root, data = tree
    before = cache_key(root, data_home=data)
    moved_root, moved_data = tmp_path / "elsewhere" / "repo", tmp_path / "elsewhere" / "corpus"
    shutil.copytree(root, moved_root)
    shutil.copytree(data, moved_data)
    assert cache_key(moved_root, data_home=moved_data) == before


def test_key_is_not_fooled_by_moving_bytes_between_files(tree):
    root, data = tree
    (root / "mirbook" / "io.py").write_text("ab")
    (root / "mirbook" / "new.py").write_text("")
    before = cache_key(root, data_home=data)
    (root / "mirbook" / "io.py").write_text("a")
    (root / "mirbook" / "new.py").write_text("b")
    assert cache_key(root, data_home=data) != before


def test_default_data_home_follows_mirbook_data(tree, monkeypatch):
    root, data = tree
    monkeypatch.setenv("MIRBOOK_DATA", str(data))
    assert cache_key(root) == cache_key(root, data_home=data)
    monkeypatch.setenv("MIRBOOK_DATA", str(root / "empty"))
    assert cache_key(root) != cache_key(root, data_home=data)


def test_refresh_drops_the_cache_only_when_the_key_changes(tmp_path):
    stamp, cache = tmp_path / "build" / ".cache-key", tmp_path / "build" / "cache"
    cache.mkdir(parents=True)
    assert refresh(stamp, cache, key="k1") is True and not cache.exists()  # no stamp yet
    cache.mkdir()
    assert refresh(stamp, cache, key="k1") is False and cache.exists()
    assert refresh(stamp, cache, key="k2") is True and not cache.exists()
    cache.mkdir()
    assert refresh(stamp, cache, key="k2", force=True) is True and not cache.exists()
    assert stamp.read_text() == "k2\n"


def test_command_line_refreshes(tree, tmp_path, monkeypatch, capsys):
    root, data = tree
    monkeypatch.setenv("MIRBOOK_DATA", str(data))
    stamp, cache = tmp_path / ".cache-key", tmp_path / "cache"
    cache.mkdir()
    args = ["--stamp", str(stamp), "--cache", str(cache), "--root", str(root)]
    assert main(args) == 0 and not cache.exists() and "dropped" in capsys.readouterr().out
    cache.mkdir()
    assert main(args) == 0 and cache.exists() and capsys.readouterr().out == ""
    assert stamp.read_text().strip() == cache_key(root, data_home=data)


def test_the_makefile_uses_it():
    makefile = (ROOT / "Makefile").read_text()
    assert "mirbook._cachekey" in makefile
    assert "git ls-files" not in makefile and "data/cache" not in makefile


def test_this_checkout_has_every_root_file():
    labels = {label for label, _ in cache_inputs(ROOT, data_home=ROOT / "no-such-folder")}
    assert set(ROOT_FILES) <= labels and "mirbook/config.py" in labels
