"""mirbook.reproduce: the seed's tables as package data, our speech/music rows, the CLI.

The pipeline runs on a handful of synthetic clips written to a temporary folder (the corpus
loader is monkeypatched), so these tests need neither the built corpus nor more than a few
seconds.
"""

import json
import re
from importlib import resources

import numpy as np
import pytest

from mirbook import io, reproduce
from mirbook.errors import ParameterError

#: The package data file, read directly (not through reproduce), inside the package.
PAPER_TABLES = json.loads(
    resources.files("mirbook").joinpath("data/paper_tables.json").read_text("utf-8"))

SEED = {  # model -> (input, training s, recall, precision, F-measure), from the seed's slide
    "SVM": ("(1, 3888)", 40, 82.17, 89.83, 85.83),
    "RF": ("(1, 3888)", 16, 76.27, 89.11, 82.19),
    "CNN": ("(3, 108, 12)", 504, 93.10, 90.00, 91.53),
}


def test_seed_table_is_the_published_one():
    rows = {r["model"]: r for r in reproduce.SEED_SPEECH_MUSIC}
    assert set(rows) == set(SEED)
    for model, (shape, t, rec, prec, f) in SEED.items():
        r = rows[model]
        assert (r["input"], r["train_s"], r["recall"], r["precision"], r["f_measure"]) == (
            shape, t, rec, prec, f)
        # F is the harmonic mean of the published recall and precision (to the rounding)
        assert abs(2 * rec * prec / (rec + prec) - f) < 0.01
    assert "000_3d838ec46a911936" in reproduce.SEED_SOURCE
    assert "41,000" in reproduce.SEED_DATA


def test_seed_table_matches_the_package_data():
    rows = PAPER_TABLES["speech_music"]["rows"]
    assert [tuple(sorted(r.items())) for r in rows] == [
        tuple(sorted(r.items())) for r in reproduce.SEED_SPEECH_MUSIC]
    assert reproduce.paper_tables("speech_music")["rows"] == rows
    assert "41,000" in PAPER_TABLES["speech_music"]["data"]


def test_every_section_has_a_citation():
    sections = ["speech_music", "mood", "genre_translation", "artist_disambiguation", "scale"]
    for name in sections:
        assert "000_3d838ec46a911936" in PAPER_TABLES[name]["citation"], name
        assert reproduce.paper_tables(name) == PAPER_TABLES[name]
    with pytest.raises(ParameterError, match="name"):
        reproduce.paper_tables("tagging")
    t = reproduce.paper_tables()
    t["speech_music"]["rows"][0]["recall"] = 0.0                # a copy
    assert reproduce.SEED_SPEECH_MUSIC[0]["recall"] == 82.17


def test_mood_genre_artist_and_scale_are_the_published_ones():
    mood = reproduce.paper_tables("mood")
    assert [(s["split"], s["happy_sad"], s["valence_arousal"]) for s in mood["splits"]] == [
        ("train", 3838, 12174), ("test", 1220, 3831), ("validation", 1302, 4240)]
    assert [(r["model"], r["happy_sad_accuracy"], r["valence_mse"], r["arousal_mse"])
            for r in mood["rows"]] == [
        ("Audio", 80.26, 0.9141, 0.6721), ("Lyrics", 72.52, 0.9700, 0.8870),
        ("Late fusion", 82.12, 0.9009, 0.6721), ("Mid-level fusion", 82.15, 0.8701, 0.6675)]
    assert mood["public_labels"]["rows"] == {"train": 11267, "validation": 3863, "test": 3514}
    genre = reproduce.paper_tables("genre_translation")
    assert len(genre["audio_based"]) == len(genre["cooccurrence_based"]) == 10
    assert genre["audio_based"][0] == ["bebop", "bop"]
    assert genre["cooccurrence_based"][-1] == ["comedy & spoken word", "comedy"]
    artist = reproduce.paper_tables("artist_disambiguation")
    assert any("triplet" in f for f in artist["facts"])
    scale = {f["fact"]: f["value"] for f in reproduce.paper_tables("scale")["facts"]}
    assert scale["Deezer catalogue"] == 55_000_000
    assert scale["one minute of stereo 44.1 kHz PCM: matrix shape"] == [2, 60 * 44100]


def _clip(kind, i, sr=22050, seconds=3.0):
    """Toy speech (noise bursts at a syllable rate) or music (a steady chord)."""
    rng = np.random.default_rng(100 + i)
    t = np.arange(int(sr * seconds)) / sr
    if kind == "speech":
        env = (np.sin(2 * np.pi * (3.0 + 0.3 * i) * t) > 0.2).astype(float)
        y = env * rng.standard_normal(t.size) * 0.2
    else:
        f0 = 220.0 * 2 ** (i / 12)
        y = sum(0.1 * np.sin(2 * np.pi * f0 * k * t) for k in (1, 1.25, 1.5))
        y = y + 0.001 * rng.standard_normal(t.size)
    return y.astype(np.float32)


@pytest.fixture
def tiny_corpus(tmp_path, monkeypatch):
    sizes = {"train": 4, "validation": 2, "test": 2, "transfer": 2}
    splits, k = {}, 0
    for split, n in sizes.items():
        recs = []
        for label in ("speech", "music"):
            for j in range(n):
                cond = "telephone" if (split == "test" and j == 1) else "clean"
                path = tmp_path / f"{split}_{label}_{j}.wav"
                io.save_audio(path, _clip(label, k), sr=22050)
                k += 1
                recs.append({"id": path.stem, "path": str(path), "split": split,
                             "labels": {"label": label, "condition": cond,
                                        "source": "toy"}})
        splits[split] = recs
    monkeypatch.setattr(reproduce, "_load_split", lambda split: splits[split])
    monkeypatch.setattr(reproduce, "_RUNS", {})
    monkeypatch.setattr(reproduce, "_FEATURES", {})
    monkeypatch.setattr(reproduce, "_CNN_FITS", {})
    monkeypatch.setattr(reproduce, "_MAPS_CACHE_DIR", tmp_path / "features")
    return splits


def test_speech_music_classical_columns_and_rows(tiny_corpus):
    table = reproduce.speech_music_classical(show_progress=False)
    assert list(table.columns) == reproduce.COLUMNS
    assert list(zip(table["model"], table["source"])) == [
        ("SVM", "seed"), ("RF", "seed"), ("SVM", "ours"), ("RF", "ours")]
    ours = table[table["source"] == "ours"]
    assert (ours["n_train"] == 8).all() and (ours["n_test"] == 2).all()   # clean test clips
    for col in ("recall", "precision", "f_measure"):
        assert ours[col].between(0, 100).all()
    assert (ours["train_s"] >= 0).all()
    run = reproduce.speech_music_run()
    assert set(run["params"]) == {"SVM", "RF"}
    assert run["test_pred"]["SVM"].shape == (4,)
    by_cond = reproduce.scores_by_condition()
    assert set(by_cond["condition"]) == {"clean", "telephone"}
    assert (by_cond["n"] == 2).all()


def test_train_subset_is_balanced_and_seeded(tiny_corpus):
    recs = tiny_corpus["train"]
    a = reproduce._balanced_subset(recs, 2, random_state=0)
    assert [r["labels"]["label"] for r in a].count("speech") == 2
    assert a == reproduce._balanced_subset(recs, 2, random_state=0)


def test_window_rows_are_seed_input(tiny_corpus):
    from mirbook import features, speech_music

    path = tiny_corpus["train"][0]["path"]
    y, sr = io.load_audio(path, sr=22050)
    maps = reproduce.clip_maps(path)
    mid = reproduce.windows(maps)
    assert mid.shape == (1, 3888)
    np.testing.assert_allclose(mid[0], speech_music.seed_input(y, sr=sr, flatten=True), atol=1e-3)
    assert reproduce.windows(maps, hop_frames=10).shape[1] == 3888
    # the windows are features.stacked_frames of the maps, not a private copy of it
    every = reproduce.windows(maps, hop_frames=10)
    blocks = features.stacked_frames(np.swapaxes(maps, 1, 2), hop_frames=10)
    assert np.array_equal(every, blocks.reshape(len(blocks), -1))


def test_public_helpers(tiny_corpus):
    assert reproduce.condition_name({"condition": "noise", "snr_db": 10}) == "noise 10 dB"
    assert reproduce.condition_name({"condition": "clean"}) == "clean"
    pipe = reproduce.make_model("RF", params={"n_estimators": 5}, random_state=3)
    assert pipe.named_steps["clf"].n_estimators == 5 and pipe.named_steps["clf"].random_state == 3
    with pytest.raises(ParameterError, match="model"):
        reproduce.make_model("CNN")
    with pytest.raises(ParameterError, match="random_state"):
        reproduce.speech_music_run(random_state=-1)


def test_cli_prints_seed_and_our_rows(tiny_corpus, capsys):
    from mirbook.__main__ import main

    assert main(["reproduce", "speech-music", "--classical", "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for model in ("SVM", "RF"):
        assert any(re.match(rf"{model}\s+seed\s", ln) for ln in lines)
        assert any(re.match(rf"{model}\s+ours\s", ln) for ln in lines)
    assert "85.83" in out and "82.19" in out
    assert "Data differ" in out and "positive class: speech" in out
    # the disjoint-source rows, beside the in-distribution ones
    for model in ("SVM", "RF"):
        assert any(re.match(rf"{model}\s+transfer\s+\(1, 3888\)", ln) for ln in lines)
        assert any(re.match(rf"{model}\s+test\s+1\+1\s", ln) for ln in lines)
        assert any(re.match(rf"{model}\s+transfer\s+2\+2\s", ln) for ln in lines)
    assert "never used in training" in out


def test_cli_without_flag_prints_the_whole_table(tiny_corpus, capsys):
    assert reproduce.main(["speech-music", "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for model, shape in (("SVM", "(1, 3888)"), ("RF", "(1, 3888)"), ("CNN", "(3, 108, 12)")):
        assert any(re.match(rf"{model}\s+seed\s+{re.escape(shape)}", ln) for ln in lines)
        # ours twice: in-distribution (test) and disjoint-source (transfer)
        assert sum(bool(re.match(rf"{model}\s+ours\s+{re.escape(shape)}", ln))
                   for ln in lines) == 2
    assert "91.53" in out and "Data differ" in out and "transfer" in out
    assert "Part III's" not in out


def test_speech_music_cnn_tiny_run(tiny_corpus):
    table, info = reproduce.speech_music_cnn(epochs=3, patience=2, show_progress=False,
                                             return_info=True)
    assert list(table.columns) == reproduce.COLUMNS
    assert list(zip(table["model"], table["source"])) == [("CNN", "seed"), ("CNN", "ours")]
    ours = table.iloc[1]
    assert ours["input"] == "(3, 108, 12)" and ours["n_train"] == 8 and ours["n_test"] == 2
    assert 0 <= ours["f_measure"] <= 100 and ours["train_s"] > 0
    assert 1 <= info["history"].n_epochs <= 3
    assert info["test_score"].shape == info["test_pred"].shape == (4,)
    assert ((info["test_score"] >= 0) & (info["test_score"] <= 1)).all()
    assert info["mean"].shape == info["std"].shape == (1, 3, 1, 12)
    # the transfer row reuses the fit; a re-run from scratch gives the same scores
    _, again = reproduce.speech_music_cnn(epochs=3, patience=2, show_progress=False,
                                          test_split="transfer", return_info=True)
    assert again["model"] is info["model"]
    reproduce._CNN_FITS.clear()
    _, fresh = reproduce.speech_music_cnn(epochs=3, patience=2, show_progress=False,
                                          return_info=True)
    np.testing.assert_allclose(fresh["test_score"], info["test_score"], atol=1e-6)
    whole = reproduce.speech_music_table(epochs=3, patience=2, show_progress=False)
    assert list(zip(whole["model"], whole["source"])) == [
        ("SVM", "seed"), ("RF", "seed"), ("CNN", "seed"),
        ("SVM", "ours"), ("RF", "ours"), ("CNN", "ours")]
    with pytest.raises(ParameterError, match="epochs"):
        reproduce.speech_music_cnn(epochs=0)


def test_seed_maps_are_cached_on_disk(tiny_corpus, tmp_path):
    recs = tiny_corpus["train"][:3]
    maps = reproduce.seed_maps(recs, show_progress=False)
    assert [m.shape[0] for m in maps] == [3, 3, 3] and all(m.shape[2] == 12 for m in maps)
    files = list((tmp_path / "features").glob("*.npz"))
    assert len(files) == 1
    np.testing.assert_array_equal(maps[0], reproduce.clip_maps(recs[0]["path"]))
    # a fresh session reads the file instead of extracting again
    from mirbook import featcache

    reproduce._FEATURES.clear()
    featcache.clear_memory_cache()
    again = reproduce.seed_maps(recs, show_progress=False)
    for a, b in zip(maps, again):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ParameterError, match="records"):
        reproduce.seed_maps([])


def test_speech_music_transfer_per_class(tiny_corpus):
    table = reproduce.speech_music_transfer(show_progress=False)
    assert list(zip(table["model"], table["split"])) == [
        ("SVM", "test"), ("SVM", "transfer"), ("RF", "test"), ("RF", "transfer")]
    # clean clips only: the fixture's test split has one telephone clip per class
    assert list(table["n_speech"]) == list(table["n_music"]) == [1, 2, 1, 2]
    for col in ("speech_recall", "music_recall", "precision", "f_measure", "accuracy"):
        assert table[col].between(0, 100).all()
    # accuracy is the mean of the two recalls (as many speech as music clips)
    np.testing.assert_allclose(table["accuracy"],
                               (table["speech_recall"] + table["music_recall"]) / 2)
    # the transfer run reuses the fit of the test run: same models, same validation F
    test_run = reproduce.speech_music_run(show_progress=False)
    transfer_run = reproduce.speech_music_run(show_progress=False, test_split="transfer")
    for name in ("SVM", "RF"):
        assert transfer_run["models"][name] is test_run["models"][name]
        assert transfer_run["val_f"][name] == test_run["val_f"][name]
    assert (table.groupby("model")["val_f"].nunique() == 1).all()
    assert [r["split"] for r in transfer_run["records"]["test"]] == ["transfer"] * 4
    text = reproduce.format_transfer(table)
    assert text.splitlines()[2].startswith("SVM   test      1+1")
    assert "speech positive" in text
