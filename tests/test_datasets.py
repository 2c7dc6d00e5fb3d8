"""Tests of mirbook.datasets: the corpus machinery and the chorales, piano and mood corpora.

The tiny variants are built once per session into a temporary folder (about 20 s on 2 cores).
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mirbook.datasets import core

OURS = ("chorales", "piano", "mood")


def _fluidsynth_ok():
    from mirbook.datasets.synth import check_fluidsynth

    try:
        check_fluidsynth()
    except core.MissingToolError:
        return False
    return True


needs_fluidsynth = pytest.mark.skipif(not _fluidsynth_ok(),
                                      reason="FluidSynth missing: apt-get install libfluidsynth3")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not _fluidsynth_ok():
        pytest.skip("FluidSynth missing: apt-get install libfluidsynth3")
    root = tmp_path_factory.mktemp("corpus")
    paths = core.build(list(OURS), tiny=True, jobs=2, root=root)
    return root, paths


# ------------------------------------------------------------------------------------------------
# machinery without audio


def test_assign_split_is_deterministic_and_roughly_80_10_10():
    keys = [f"piece:{i}" for i in range(3000)]
    a = [core.assign_split(k) for k in keys]
    assert a == [core.assign_split(k) for k in keys]
    share = {s: a.count(s) / len(a) for s in core.SPLITS}
    assert abs(share["train"] - 0.8) < 0.03 and abs(share["test"] - 0.1) < 0.03


def test_check_disjoint_detects_leakage():
    ok = [{"id": "a", "group": "g1", "split": "train"}, {"id": "b", "group": "g1", "split": "train"},
          {"id": "c", "group": "g2", "split": "test"}]
    assert core.check_disjoint(ok) == {"g1": "train", "g2": "test"}
    bad = ok + [{"id": "d", "group": "g1", "split": "test"}]
    with pytest.raises(ValueError, match="leakage.*g1"):
        core.check_disjoint(bad)
    by_artist = [{"id": "x", "split": "train", "labels": {"artist": "A"}},
                 {"id": "y", "split": "validation", "labels": {"artist": "A"}}]
    with pytest.raises(ValueError, match="artist='A'"):
        core.check_disjoint(by_artist, key="artist")


def test_missing_tool_gives_one_clear_message(monkeypatch):
    with pytest.raises(core.MissingToolError) as err:
        core.require_tool("espeak-ng", apt="espeak-ng", executable="surely-not-a-program-xyz",
                          corpus="speech_music")
    msg = str(err.value)
    assert "apt-get install -y espeak-ng" in msg and "speech_music" in msg
    assert "python -m mirbook data build" in msg

    import ctypes.util

    from mirbook.datasets import synth

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(core.MissingToolError, match="apt-get install -y libfluidsynth3"):
        synth.check_fluidsynth("chorales")


def test_cli_reports_missing_tool_once(monkeypatch, tmp_path, capsys):
    import ctypes.util

    from mirbook.datasets import cli

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    rc = cli.main(["build", "--tiny", "--only", "chorales", "--root", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.count("apt-get install -y libfluidsynth3") == 1
    assert not (tmp_path / "chorales-tiny" / "manifest.json").exists()


def test_load_unbuilt_corpus_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"python -m mirbook data build --tiny --only mood"):
        core.load("mood", tiny=True, root=tmp_path)
    with pytest.raises(KeyError, match="unknown corpus"):
        core.load("nope", root=tmp_path)


def test_write_json_is_atomic(tmp_path):
    target = tmp_path / "x.json"
    core.write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        core.write_json(target, {"a": object()})  # fails half-way through
    assert json.loads(target.read_text()) == {"a": 1}  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary left behind


FAKE = textwrap.dedent('''
    """A fake corpus for the tests of the build machinery."""
    import os
    from pathlib import Path
    from mirbook.datasets.core import Item, SkipItem, write_text

    NAME = "fake"
    DESCRIPTION = "fake"

    def plan(tiny):
        return [Item(id=f"f{i}", group=f"g{i}", seed=i, params={"i": i}) for i in range(4)]

    def render(item, root):
        log = Path(os.environ["FAKE_LOG"])
        log.write_text(log.read_text() + item.id + "\\n" if log.exists() else item.id + "\\n")
        if item.id == "f2" and os.environ.get("FAKE_CRASH"):
            raise RuntimeError("simulated crash")
        if item.id == "f3":
            raise SkipItem("odd score")
        write_text(root / f"{item.id}.txt", f"content {item.params['i']}\\n")
        return {"path": f"{item.id}.txt", "labels": {"i": item.params["i"]}}
''')


def test_crash_then_resume_renders_only_what_is_missing(tmp_path, monkeypatch):
    (tmp_path / "fakecorpus.py").write_text(FAKE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(core.CORPORA, "fake", "fakecorpus")
    log = tmp_path / "log.txt"
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_CRASH", "1")
    root = tmp_path / "root"
    with pytest.raises(RuntimeError, match="f2: RuntimeError: simulated crash"):
        core.build("fake", jobs=1, root=root)
    folder = root / "fake"
    assert not (folder / "manifest.json").exists()
    assert not list(folder.rglob("*.part"))
    assert sorted(p.name for p in folder.glob("*.txt")) == ["f0.txt", "f1.txt"]

    monkeypatch.delenv("FAKE_CRASH")
    log.unlink()
    core.build("fake", jobs=1, root=root)
    assert log.read_text().split() == ["f2"]  # f0, f1 kept; f3 skipped once and remembered
    m = json.loads((folder / "manifest.json").read_text())
    assert [r["id"] for r in m["records"]] == ["f0", "f1", "f2"]
    assert m["skipped"] == [{"id": "f3", "reason": "odd score"}]

    (folder / "f1.txt").write_text("tampered\n")  # wrong sha256 -> rendered again
    log.unlink()
    core.build("fake", jobs=1, root=root)
    assert log.read_text().split() == ["f1"]
    assert json.loads((folder / "manifest.json").read_text()) == m


# ------------------------------------------------------------------------------------------------
# the tiny corpora


def test_manifests_have_records_hashes_and_splits(built):
    root, paths = built
    from mirbook.utils import sha256_file

    for name in OURS:
        m = json.loads(paths[name].read_text())
        assert m["name"] == name and m["tiny"] and m["n_items"] == len(m["records"]) >= 4
        assert not m["skipped"], m["skipped"]
        assert [r["id"] for r in m["records"]] == sorted(r["id"] for r in m["records"])
        for r in m["records"]:
            assert r["split"] in core.SPLITS
            for rel, digest in r["sha256"].items():
                assert sha256_file(paths[name].parent / rel) == digest
        assert not list(paths[name].parent.rglob("*.part"))
        json.dumps(m)  # plain JSON


def test_build_is_deterministic(built, tmp_path):
    root, paths = built
    again = core.build("chorales", tiny=True, jobs=1, root=tmp_path)["chorales"]
    assert again.read_bytes() == paths["chorales"].read_bytes()


def test_resume_rebuilds_a_deleted_file_and_nothing_else(built):
    root, paths = built
    folder = paths["piano"].parent
    before = paths["piano"].read_bytes()
    m = json.loads(before)
    victim = folder / m["records"][0]["path"]
    other = folder / m["records"][1]["path"]
    other_mtime = other.stat().st_mtime_ns
    victim.unlink()
    killed = victim.parent / f".{victim.name}.abc123.part"  # what a SIGKILL would leave behind
    killed.write_bytes(b"half a file")
    core.build("piano", tiny=True, jobs=1, root=root)
    assert victim.is_file() and not killed.exists()
    assert other.stat().st_mtime_ns == other_mtime
    assert paths["piano"].read_bytes() == before


def test_splits_are_disjoint_by_piece(built):
    root, _ = built
    groups = {}
    for name in OURS:
        recs = core.load(name, tiny=True, root=root)
        core.check_disjoint(recs, key="group")
        for r in recs:
            groups.setdefault(r["group"], set()).add(r["split"])
        assert {r["split"] for r in recs} == set(core.SPLITS), name
    # the full plans too (cheap: no rendering), and across corpora (same piece, same split)
    seen = {}
    for name in OURS:
        mod = core.corpus_module(name)
        for it in mod.plan(False):
            split = it.split or core.assign_split(it.group)
            assert seen.setdefault(it.group, split) == split, it.group


def _walk(root, corpus, kind):
    folder = root / f"{corpus}-tiny"
    m = json.loads((folder / "manifest.json").read_text())
    return [(r, folder / r["files"][kind]) for r in m["records"] if kind in r["files"]]


def test_every_note_file_passes_mir_eval(built):
    import mir_eval
    import soundfile as sf

    root, _ = built
    n = 0
    for corpus in ("chorales", "piano"):
        for rec, path in _walk(root, corpus, "notes"):
            intervals, pitches = mir_eval.io.load_valued_intervals(str(path))
            mir_eval.transcription.validate(intervals, pitches, intervals, pitches)
            assert len(intervals) == rec["labels"]["n_notes"]
            assert np.all(intervals[:, 1] > intervals[:, 0])
            assert np.all((pitches > 25) & (pitches < 4500))
            dur = sf.info(str(path.parent.parent / rec["path"]) if corpus == "chorales"
                          else str(root / f"{corpus}-tiny" / rec["path"])).duration
            assert intervals.max() <= dur + 1e-3
            n += 1
    assert n >= 10


def test_every_chord_beat_and_key_label_passes_mir_eval(built):
    import mir_eval

    root, _ = built
    recs = core.load("chorales", tiny=True, root=root)
    assert recs
    for r in recs:
        intervals, labels = mir_eval.io.load_labeled_intervals(r["files"]["chords"])
        mir_eval.util.validate_intervals(intervals)
        for lab in labels:
            mir_eval.chord.validate_chord_label(lab)
        roots, bitmaps, basses = mir_eval.chord.encode_many(labels)
        assert np.all(roots[np.array(labels) != "N"] >= 0)
        beats = mir_eval.io.load_events(r["files"]["beats"])
        downbeats = mir_eval.io.load_events(r["files"]["downbeats"])
        mir_eval.beat.validate(beats, beats)
        assert set(np.round(downbeats, 6)) <= set(np.round(beats, 6))
        np.testing.assert_allclose(intervals[:, 0], beats, atol=1e-6)  # one chord per beat
        mir_eval.key.validate_key(r["labels"]["key"])
    for r in core.load("piano", tiny=True, root=root):
        if r["labels"]["kind"] == "piece":
            mir_eval.key.validate_key(r["labels"]["key"])


def test_chord_labelling_on_known_chords():
    from mirbook.datasets import scores

    def w(*pcs):
        v = np.zeros(12)
        v[list(pcs)] = 1
        return v

    assert scores.label_from_weights(w(0, 4, 7), 0) == "C:maj"
    assert scores.label_from_weights(w(9, 0, 4), 9) == "A:min"
    assert scores.label_from_weights(w(7, 11, 2, 5), 7) == "G:7"
    assert scores.label_from_weights(w(11, 2, 5), 11) == "B:dim"
    assert scores.label_from_weights(np.zeros(12)) == "N"


def test_time_map_holds_fermatas():
    from mirbook.datasets.scores import TimeMap

    tm = TimeMap(60, [(2.0, 3.0, 2.0)])
    np.testing.assert_allclose(tm([0, 1, 2, 2.5, 3, 4]), [0, 1, 2, 3, 4, 5])


def test_load_and_torch_dataset(built):
    import torch

    root, _ = built
    recs = core.load("mood", tiny=True, root=root)
    train = core.load("mood", split="train", tiny=True, root=root)
    assert 0 < len(train) < len(recs)
    assert all(os.path.isabs(r["path"]) and os.path.isfile(r["path"]) for r in recs)
    assert all(os.path.isfile(p) for r in recs for p in r["files"].values())
    with pytest.raises(ValueError, match="unknown split"):
        core.load("mood", split="dev", tiny=True, root=root)

    ds = core.TorchDataset(recs, target="happy", duration=10.0)
    assert isinstance(ds, torch.utils.data.Dataset) and len(ds) == len(recs)
    x, y = ds[0]
    assert x.dtype == torch.float32 and x.shape == (220500,) and isinstance(y, bool)
    xb, yb = next(iter(torch.utils.data.DataLoader(ds, batch_size=2)))
    assert xb.shape == (2, 220500)
    x, labels = core.TorchDataset(recs, transform=lambda t: t * 0)[1]
    assert float(x.abs().max()) == 0 and "valence" in labels


def test_mood_labels(built):
    root, _ = built
    recs = core.load("mood", tiny=True, root=root)
    for r in recs:
        lab = r["labels"]
        assert lab["synthetic"] is True
        assert lab["happy"] == (lab["valence_raw"] > 0)
        assert lab["mode"] in ("major", "minor") and lab["tempo"] in ("slow", "fast")
        assert Path(r["files"]["lyrics"]).read_text().strip() == lab["lyrics"]
        assert -1 <= lab["lyrics_valence"] <= 1
    v = np.array([r["labels"]["valence"] for r in recs])
    assert abs(v.mean()) < 1e-3 and abs(v.std() - 1) < 1e-2
    loud = [r["labels"]["loudness_db_measured"] for r in recs if r["labels"]["loudness"] == "loud"]
    soft = [r["labels"]["loudness_db_measured"] for r in recs if r["labels"]["loudness"] == "soft"]
    assert min(loud) > max(soft)


def test_piano_isolated_notes(built):
    root, _ = built
    notes = [r for r in core.load("piano", tiny=True, root=root) if r["labels"]["kind"] == "note"]
    assert {r["labels"]["note_name"] for r in notes} >= {"C4", "E4", "G4"}
    assert all(r["split"] == "train" for r in notes)
    c4 = next(r for r in notes if r["labels"]["midi"] == 60)
    assert abs(c4["labels"]["frequency_hz"] - 261.6256) < 1e-3


def test_info_and_cli(built, capsys):
    root, _ = built
    rep = core.info(root)
    assert rep["chorales-tiny"]["n_items"] == 4 and rep["chorales-tiny"]["megabytes"] > 0
    assert rep["mood-tiny"]["labels"]["happy"]["kind"] == "categorical"
    assert rep["chorales"]["built"] is False

    from mirbook.datasets import cli

    assert cli.main(["info", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "chorales-tiny" in out and "not built" in out


def test_import_is_light():
    import subprocess

    code = ("import sys, mirbook.datasets as d; d.CORPORA; "
            "print('torch' in sys.modules, 'music21' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
