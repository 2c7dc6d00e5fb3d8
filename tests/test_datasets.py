"""Tests of mirbook.datasets: the corpus protocol and machinery (on the template corpus), the
chorales, piano and mood corpora, the verify command.

The tiny variants are built once per module into a temporary folder (about 20 s on 2 cores).
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import mir_eval
import numpy as np
import pytest

from mirbook import scores, synth
from mirbook.datasets import core, template
from mirbook.errors import CorpusError, MissingToolError, ParameterError

OURS = ("chorales", "piano", "mood")


def _fluidsynth_ok():
    try:
        synth.check_fluidsynth()
    except MissingToolError:
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
    with pytest.raises(MissingToolError) as err:
        core.require_tool("espeak-ng", apt="espeak-ng", executable="surely-not-a-program-xyz",
                          corpus="speech_music")
    msg = str(err.value)
    assert "apt-get install -y espeak-ng" in msg and "speech_music" in msg
    assert "python -m mirbook data build" in msg

    import ctypes.util

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(MissingToolError, match="apt-get install -y libfluidsynth3"):
        synth.check_fluidsynth(corpus="chorales")


def test_cli_reports_missing_tool_once(monkeypatch, tmp_path, capsys):
    import ctypes.util

    from mirbook.datasets import cli

    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    rc = cli.main(["build", "--tiny", "--only", "chorales", "--root", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.count("apt-get install -y libfluidsynth3") == 1
    assert not (tmp_path / "chorales-tiny" / "manifest.json").exists()


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"name": "mood", "tiny": True}, CorpusError, r"python -m mirbook data build --tiny --only mood"),
    ({"name": "nope"}, CorpusError, "unknown corpus 'nope'"),
    ({"name": "mood", "tiny": True, "split": "dev"}, ParameterError, "split: unknown split"),
])
def test_load_errors(tmp_path, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        core.load(**kwargs, root=tmp_path)


@pytest.mark.parametrize("call", [core.build, core.build_one, core.read_manifest, core.verify,
                                  core.corpus_module])
def test_unknown_corpus_is_a_corpus_error(call):
    with pytest.raises(CorpusError, match="unknown corpus 'nope'"):
        call("nope")


def test_write_json_is_atomic(tmp_path):
    target = tmp_path / "x.json"
    core.write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        core.write_json(target, {"a": object()})  # fails half-way through
    assert json.loads(target.read_text()) == {"a": 1}  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary left behind


# ------------------------------------------------------------------------------------------------
# the protocol and the machinery, on the template corpus (mirbook/datasets/template.py)


@pytest.fixture
def tpl(monkeypatch):
    """The template corpus, registered, with its renders logged (and optionally made to crash)."""
    core.register("mirbook.datasets.template")
    rendered, crash = [], set()
    original = template.render

    def logged(item, root):
        rendered.append(item.id)
        if item.id in crash:
            raise RuntimeError("simulated crash")
        return original(item, root)

    monkeypatch.setattr(template, "render", logged)
    yield types.SimpleNamespace(rendered=rendered, crash=crash)
    core.unregister("template")


def test_registry_is_discovered():
    assert core.discover() == {n: f"mirbook.datasets.{n}" for n in
                               ("artists", "chorales", "mood", "piano", "speech_music",
                                "styles")}
    assert "template" not in core.CORPORA  # copied, not built
    for name in core.CORPORA:
        core.corpus_module(name)  # every corpus follows the protocol


def _module(**fields):
    base = dict(NAME="x", DESCRIPTION="d", VERSION=1, SR=22050, RENDERERS=(),
                plan=lambda *, tiny: [], render=lambda item, root: {})
    base.update(fields)
    mod = types.ModuleType("x")
    for k, v in base.items():
        if v is not ...:
            setattr(mod, k, v)
    return mod


@pytest.mark.parametrize("fields,match", [
    ({"NAME": ...}, "no NAME"),
    ({"DESCRIPTION": 3}, "DESCRIPTION=3 is not a str"),
    ({"VERSION": ...}, "no VERSION"),
    ({"VERSION": "1"}, "VERSION='1' is not a int"),
    ({"VERSION": 0}, "VERSION=0"),
    ({"SR": 22050.0}, "SR=22050.0 is not a int"),
    ({"plan": ...}, r"no function plan\(\)"),
    ({"render": None}, r"no function render\(\)"),
    ({"check": 3}, "check is not a function"),
    ({"RENDERERS": ...}, "no RENDERERS"),
    ({"RENDERERS": "mirbook.synth"}, "expected a tuple of module names"),
    ({"RENDERERS": ("mirbook.nope",)}, "cannot be imported"),
    ({"RENDERERS": ("mirbook.io",)}, "no integer RENDER_VERSION"),
])
def test_protocol_is_validated(fields, match):
    core.validate_corpus(_module())
    with pytest.raises(CorpusError, match=match):
        core.validate_corpus(_module(**fields))


def test_validation_names_the_registry_key():
    with pytest.raises(CorpusError, match="registered as 'y'"):
        core.validate_corpus(_module(), "y")


@pytest.mark.parametrize("params,match", [
    ({"path": "/abs/x.ogg"}, r"params.path='/abs/x.ogg'"),
    ({"bg": {"files": ["a", "/abs/y"]}}, r"params.bg.files\[1\]"),
    ({"path": "C:\\data\\x.ogg"}, "absolute path"),
])
def test_absolute_paths_in_a_plan_are_refused(params, match):
    with pytest.raises(CorpusError, match=match):
        core._check_plan("x", [core.Item(id="a", group="g", params=params)])


def test_duplicate_ids_and_bad_splits_are_refused():
    with pytest.raises(CorpusError, match="duplicate item ids"):
        core._check_plan("x", [core.Item(id="a", group="g")] * 2)
    with pytest.raises(CorpusError, match="unknown split 'dev'"):
        core._check_plan("x", [core.Item(id="a", group="g", split="dev")])


def test_crash_then_resume_renders_only_what_is_missing(tmp_path, tpl):
    root = tmp_path / "root"
    tpl.crash.add("t2")
    with pytest.raises(CorpusError, match="t2: RuntimeError: simulated crash"):
        core.build("template", tiny=True, jobs=1, root=root)
    folder = root / "template-tiny"
    assert not (folder / "manifest.json").exists()
    assert not list(folder.rglob("*.part"))
    assert sorted(p.name for p in folder.glob("audio/*")) == ["t0.flac", "t1.flac"]

    tpl.crash.clear()
    tpl.rendered.clear()
    core.build("template", tiny=True, jobs=1, root=root)
    assert tpl.rendered == ["t2"]  # t0, t1 kept; t3 skipped once and remembered
    m = json.loads((folder / "manifest.json").read_text())
    assert [r["id"] for r in m["records"]] == ["t0", "t1", "t2"]
    assert m["skipped"] == [{"id": "t3", "reason": "silent tone"}]

    (folder / "audio" / "t1.flac").write_bytes(b"tampered")  # wrong sha256 -> rendered again
    tpl.rendered.clear()
    core.build("template", tiny=True, jobs=1, root=root)
    assert tpl.rendered == ["t1"]
    assert json.loads((folder / "manifest.json").read_text()) == m


@pytest.mark.parametrize("bump", ["corpus", "renderer"])
def test_a_new_version_renders_everything_again(tmp_path, tpl, monkeypatch, bump):
    root = tmp_path / "root"
    core.build("template", tiny=True, jobs=1, root=root)
    tpl.rendered.clear()
    core.build("template", tiny=True, jobs=1, root=root)
    assert tpl.rendered == []  # up to date
    if bump == "corpus":
        monkeypatch.setattr(template, "VERSION", template.VERSION + 1)
    else:
        monkeypatch.setattr(scores, "RENDER_VERSION", scores.RENDER_VERSION + 1)
    core.build("template", tiny=True, jobs=1, root=root)
    assert tpl.rendered == ["t0", "t1", "t2", "t3"]
    m = json.loads((root / "template-tiny" / "manifest.json").read_text())
    assert m["version"] == template.VERSION
    assert m["renderers"] == {"mirbook.scores": scores.RENDER_VERSION}


def test_moving_the_data_home_keeps_the_fingerprints(tmp_path, tpl):
    before = core.build_one("template", tiny=True, jobs=1, root=tmp_path / "a").read_bytes()
    (tmp_path / "a").rename(tmp_path / "b")
    tpl.rendered.clear()
    after = core.build_one("template", tiny=True, jobs=1, root=tmp_path / "b").read_bytes()
    assert tpl.rendered == [] and after == before


@pytest.mark.parametrize("damage,problem", [
    ("delete", "audio/t0.flac: missing"),
    ("truncate", "audio/t0.flac: 10 bytes, the manifest says"),
    ("flip", "audio/t0.flac: sha256"),
])
def test_verify_names_each_bad_file(tmp_path, tpl, damage, problem):
    path = core.build_one("template", tiny=True, jobs=1, root=tmp_path)
    assert core.verify("template", tiny=True, root=tmp_path) == {"template": []}
    f = path.parent / "audio" / "t0.flac"
    if damage == "delete":
        f.unlink()
    elif damage == "truncate":
        f.write_bytes(f.read_bytes()[:10])
    else:
        data = bytearray(f.read_bytes())
        data[-1] ^= 0xFF
        f.write_bytes(bytes(data))
    (problems,) = core.verify("template", tiny=True, root=tmp_path).values()
    assert len(problems) == 1 and problems[0].startswith(problem), problems
    if damage == "delete":
        with pytest.raises(CorpusError, match=r"(?s)t0.flac is missing .*data verify"):
            core.load("template", tiny=True, root=tmp_path)


def test_verify_command(tmp_path, tpl, capsys):
    from mirbook.datasets import cli

    path = core.build_one("template", tiny=True, jobs=1, root=tmp_path)
    assert cli.main(["verify", "--tiny", "--root", str(tmp_path)]) == 0
    assert "template-tiny: all 6 files match the manifest" in capsys.readouterr().out
    (path.parent / "labels" / "t1.notes.txt").write_text("0.0\t1.0\t440.0\n")
    assert cli.main(["verify", "--tiny", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "1 bad file(s) of 6" in out and "labels/t1.notes.txt: " in out
    path.write_text(path.read_text()[:200])  # a truncated manifest: one clear message
    assert cli.main(["verify", "--tiny", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "manifest is damaged (not valid JSON" in err and "Traceback" not in err


def test_the_reference_manifests_are_compared(tmp_path, tpl, monkeypatch):
    path = core.build_one("template", tiny=True, jobs=1, root=tmp_path)
    ref_dir = tmp_path / "repo" / "data" / "manifests"
    ref_dir.mkdir(parents=True)
    m = json.loads(path.read_text())
    (ref_dir / "template-tiny.json").write_text(json.dumps(m))
    monkeypatch.setattr(core, "repo_root", lambda: tmp_path / "repo")
    assert core.compare_reference("template", tiny=True, root=tmp_path)["ok"]
    m["records"][0]["sha256"]["labels/t0.notes.txt"] = "0" * 64
    m["records"][1]["sha256"]["audio/t1.flac"] = "0" * 64
    m["records"].pop()
    (ref_dir / "template-tiny.json").write_text(json.dumps(m))
    diff = core.compare_reference("template", tiny=True, root=tmp_path)
    assert not diff["ok"]
    assert diff["differ_labels"] == ["labels/t0.notes.txt"]
    assert diff["differ_audio"] == ["audio/t1.flac"] and diff["extra"] == ["t2"]
    assert "1 label file(s) differ" in diff["summary"]


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
        for it in mod.plan(tiny=False):
            split = it.split or core.assign_split(it.group)
            assert seen.setdefault(it.group, split) == split, it.group


def _walk(root, corpus, kind):
    folder = root / f"{corpus}-tiny"
    m = json.loads((folder / "manifest.json").read_text())
    return [(r, folder / r["files"][kind]) for r in m["records"] if kind in r["files"]]


def test_every_note_file_passes_mir_eval(built):
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


@pytest.mark.parametrize("pcs,bass,label", [
    ((0, 4, 7), 0, "C:maj"), ((9, 0, 4), 9, "A:min"), ((7, 11, 2, 5), 7, "G:7"),
    ((11, 2, 5), 11, "B:dim"), ((), None, "N"),
])
def test_chord_labelling_on_known_chords(pcs, bass, label):
    v = np.zeros(12)
    v[list(pcs)] = 1
    assert scores.label_from_weights(v, bass=bass) == label


def test_time_map_holds_fermatas():
    tm = scores.TimeMap.from_tempo(60, [(2.0, 3.0, 2.0)])
    np.testing.assert_allclose(tm([0, 1, 2, 2.5, 3, 4]), [0, 1, 2, 3, 4, 5])
    # a stretch from the first beat, two touching stretches, and no stretch at all
    tm = scores.TimeMap.from_tempo(120, [(0.0, 1.0, 3.0), (1.0, 2.0, 2.0)])
    np.testing.assert_allclose(tm([0, 1, 2, 3]), [0, 1.5, 2.5, 3.0])
    np.testing.assert_allclose(scores.TimeMap.from_tempo(90)([0, 3]), [0, 2])


def test_load_and_torch_dataset(built):
    import torch

    root, _ = built
    recs = core.load("mood", tiny=True, root=root)
    train = core.load("mood", split="train", tiny=True, root=root)
    assert 0 < len(train) < len(recs)
    assert all(os.path.isabs(r["path"]) and os.path.isfile(r["path"]) for r in recs)
    assert all(os.path.isfile(p) for r in recs for p in r["files"].values())

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
