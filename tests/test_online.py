"""mirbook.datasets.online end to end against a local HTTP server on 127.0.0.1 (no network)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from fixtures.builders import (LAB_1, LAB_2, midi_bytes, mp3_bytes, sha256, wav_bytes,
                               write_tar, write_zip)
from fixtures.local_server import LocalServer
from mirbook import download as dl
from mirbook.datasets import online


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRBOOK_PROGRESS", "0")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("MIRBOOK_MIRROR", raising=False)
    monkeypatch.delenv("MIRBOOK_DEEZER_API", raising=False)
    root = tmp_path / "served"
    root.mkdir()
    srv = LocalServer(root).start()
    yield srv, tmp_path / "home", monkeypatch
    srv.stop()


def serve(srv, monkeypatch, key, path, pin=True):
    """Publish ``path`` as REMOTES[key]'s file on the mirror, pinned to its sha256."""
    target = srv.root / online.REMOTES[key]["filename"]
    target.write_bytes(path.read_bytes() if hasattr(path, "read_bytes") else path)
    remote = dict(online.REMOTES[key], hash=sha256(target) if pin else None)
    monkeypatch.setitem(online.REMOTES, key, remote)
    return target


# ------------------------------------------------------------------------------ GTZAN


def gtzan_archive(tmp_path):
    return write_tar(tmp_path / "genres.tar.gz", {
        "genres/blues/blues.00000.wav": wav_bytes(220),
        "genres/blues/blues.00001.wav": wav_bytes(330),
        "genres/rock/rock.00042.wav": wav_bytes(440),
        "genres/rock/notes.mf": b"not audio",
        "genres/input.mf": b"not audio",
    })


def test_remotes_are_pinned_or_explicitly_unpinned():
    for key, remote in online.REMOTES.items():
        assert remote["url"].startswith(("http://", "https://")), key
        assert remote["filename"] and remote["source"], key
        if remote["hash"] is not None:
            dl._parse_hash(remote["hash"])  # well formed


def test_remotes_agree_with_mirdata():
    from mirdata.datasets import beatles, gtzan_genre

    assert online.REMOTES["gtzan_genre"]["url"] == gtzan_genre.REMOTES["all"].url
    assert online.REMOTES["gtzan_genre"]["md5"] == gtzan_genre.REMOTES["all"].checksum
    assert online.REMOTES["beatles_annotations"]["url"] == beatles.REMOTES["annotations"].url
    assert online.REMOTES["beatles_annotations"]["hash"] == (
        "md5:" + beatles.REMOTES["annotations"].checksum)


def test_gtzan_genre_end_to_end(env, tmp_path):
    srv, home, mp = env
    serve(srv, mp, "gtzan_genre", gtzan_archive(tmp_path))
    recs = online.gtzan_genre(data_home=home, mirror=srv.base, progress=False)
    assert [r["track_id"] for r in recs] == ["blues.00000", "blues.00001", "rock.00042"]
    assert [r["label"] for r in recs] == [0, 0, 9]
    assert {r["genre"] for r in recs} == {"blues", "rock"}
    # mirdata's layout: <data_home>/gtzan_genre/gtzan_genre/genres/<genre>/<id>.wav
    assert recs[0]["path"].endswith("gtzan_genre/gtzan_genre/genres/blues/blues.00000.wav")
    # cached: no second download
    assert online.gtzan_genre(data_home=home, mirror=srv.base, progress=False) == recs
    assert srv.count("genres.tar.gz") == 1
    # usable as a torch dataset
    from torch.utils.data import DataLoader

    from mirbook.datasets import TorchDataset

    ds = TorchDataset(recs, target="label", sr=22050, duration=0.2)
    x, y = next(iter(DataLoader(ds, batch_size=3)))
    assert tuple(x.shape) == (3, 4410) and y.tolist() == [0, 0, 9]


def test_gtzan_genre_mirror_from_environment(env, tmp_path):
    srv, home, mp = env
    serve(srv, mp, "gtzan_genre", gtzan_archive(tmp_path))
    mp.setenv("MIRBOOK_MIRROR", srv.base + "/")
    assert online.remote_url("gtzan_genre") == srv.base + "/genres.tar.gz"
    assert len(online.gtzan_genre(data_home=home, progress=False)) == 3


def test_gtzan_wrong_hash_leaves_nothing(env, tmp_path):
    srv, home, mp = env
    serve(srv, mp, "gtzan_genre", gtzan_archive(tmp_path))
    mp.setitem(online.REMOTES, "gtzan_genre", dict(online.REMOTES["gtzan_genre"], hash="1" * 64))
    with pytest.raises(dl.HashMismatchError, match="genres.tar.gz"):
        online.gtzan_genre(data_home=home, mirror=srv.base, progress=False)
    leftovers = [p for p in home.rglob("*") if p.is_file()]
    assert leftovers == []


def test_gtzan_without_download(env):
    srv, home, mp = env
    with pytest.raises(FileNotFoundError, match="download=True"):
        online.gtzan_genre(data_home=home, download=False)
    assert srv.total == 0


def test_gtzan_music_speech_end_to_end(env, tmp_path):
    srv, home, mp = env
    archive = write_tar(tmp_path / "ms.tar.gz", {
        "music_speech/music_wav/bagpipe.wav": wav_bytes(300),
        "music_speech/speech_wav/comedy.wav": wav_bytes(200),
        "music_speech/speech_wav/god.wav": wav_bytes(250),
    })
    serve(srv, mp, "gtzan_music_speech", archive)
    recs = online.gtzan_music_speech(data_home=home, mirror=srv.base, progress=False)
    assert [(r["track_id"], r["is_speech"]) for r in recs] == [
        ("music/bagpipe", False), ("speech/comedy", True), ("speech/god", True)]


def test_mirdata_dataset_points_at_our_folder(tmp_path):
    ds = online.mirdata_dataset("gtzan_genre", data_home=tmp_path)  # no network: the index is lazy
    assert ds.name == "gtzan_genre" and ds.data_home == str(tmp_path / "gtzan_genre")
    with pytest.raises(ValueError):
        online.mirdata_dataset("nope", data_home=tmp_path)


# ------------------------------------------------------------------------------ Beatles


def test_beatles_chords_end_to_end(env, tmp_path):
    import mir_eval

    srv, home, mp = env
    archive = write_tar(tmp_path / "beatles.tar.gz", {
        "chordlab/The Beatles/01_-_Please_Please_Me/01_-_I_Saw_Her_Standing_There.lab":
            LAB_1.encode(),
        "chordlab/The Beatles/02_-_With_the_Beatles/03_-_All_My_Loving.lab": LAB_2.encode(),
        "keylab/The Beatles/01_-_Please_Please_Me/01_-_I_Saw_Her_Standing_There.lab":
            b"0.0 10.0 Key E\n",
    })
    serve(srv, mp, "beatles_annotations", archive)
    recs = online.beatles_chords(data_home=home, mirror=srv.base, progress=False)
    assert [r["title"] for r in recs] == ["I Saw Her Standing There", "All My Loving"]
    r = recs[1]
    assert r["album"] == "02_-_With_the_Beatles" and r["path"] is None
    assert r["intervals"].shape == (4, 2) and r["labels"] == ["C:maj", "A:min/b3", "G:7(b9)", "X"]
    scores = mir_eval.chord.evaluate(r["intervals"], r["labels"], r["intervals"], r["labels"])
    assert scores["majmin"] == pytest.approx(1.0)
    assert srv.count("The Beatles Annotations.tar.gz") == 1


def test_load_chord_lab_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.lab"
    bad.write_text("0.0 1.0 C:maj\n1.0 2.0 H:nope\n")
    with pytest.raises(ValueError, match=r"bad\.lab.*H:nope"):
        online.load_chord_lab(bad)
    back = tmp_path / "backwards.lab"
    back.write_text("0.0 1.0 C\n2.0 1.5 G\n")
    with pytest.raises(ValueError, match="backwards.lab"):
        online.load_chord_lab(back)
    with pytest.raises(FileNotFoundError):
        online.load_chord_lab(tmp_path / "missing.lab")


# ------------------------------------------------------------------------------ MAESTRO


MAESTRO_CSV = (
    "canonical_composer,canonical_title,split,year,midi_filename,audio_filename,duration\n"
    'Frédéric Chopin,"Ballade No. 1, Op. 23",train,2004,2004/a.midi,2004/a.wav,2.5\n'
    "Johann Sebastian Bach,Prelude in C,test,2006,2006/b.midi,2006/b.wav,2.5\n"
)


def test_maestro_end_to_end(env, tmp_path):
    import mir_eval

    srv, home, mp = env
    midi = midi_bytes()
    archive = write_zip(tmp_path / "m.zip", {
        "maestro-v3.0.0/maestro-v3.0.0.csv": MAESTRO_CSV.encode(),
        "maestro-v3.0.0/2004/a.midi": midi,
        "maestro-v3.0.0/2006/b.midi": midi,
    })
    serve(srv, mp, "maestro_midi", archive)
    recs = online.maestro(data_home=home, mirror=srv.base, progress=False)
    assert [r["split"] for r in recs] == ["train", "test"]
    assert recs[0]["composer"] == "Frédéric Chopin" and recs[0]["year"] == 2004
    assert recs[0]["path"] is None  # MIDI-only download
    test = online.maestro(data_home=home, split="test", mirror=srv.base, progress=False)
    assert [r["track_id"] for r in test] == ["b"]
    assert srv.count("maestro-v3.0.0-midi.zip") == 1

    intervals, pitches, vel = online.maestro_notes(recs[0])
    assert intervals.shape == (3, 2)
    assert pitches == pytest.approx([261.6256, 329.6276, 391.9954], rel=1e-5)
    assert vel.tolist() == [80, 70, 90]
    # the pedal (down 0.25 s - 1.5 s) holds the first two notes until 1.5 s
    assert intervals[:, 1] == pytest.approx([1.5, 1.5, 2.5], abs=1e-3)
    raw, _, _ = online.maestro_notes(recs[0]["midi_path"], sustain=False)
    assert raw[:, 1] == pytest.approx([0.5, 1.0, 2.5], abs=1e-3)
    scores = mir_eval.transcription.evaluate(intervals, pitches, intervals, pitches)
    assert scores["F-measure"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="split"):
        online.maestro(data_home=home, split="dev")


def test_maestro_metadata_csv_is_unpinned(env):
    srv, home, mp = env
    with pytest.raises(dl.UnpinnedDownloadError):
        dl.fetch(online.remote_url("maestro_csv", mirror=srv.base),
                 sha256=online.REMOTES["maestro_csv"]["hash"], dest=home)
    assert srv.total == 0


# ------------------------------------------------------------------------------ Deezer


DEEZER_CSV = (
    "dzr_sng_id,MSD_sng_id,MSD_track_id,valence,arousal,artist_name,track_name\n"
    "11,SOAAA,TRAAA,0.5,-0.25,Artist A,Song A\n"
    "12,SOBBB,TRBBB,-1.0,1.5,Artist B,Song B\n"
    "13,SOCCC,TRCCC,0.1,0.2,Artist C,Song C\n"
    "14,SODDD,TRDDD,0.3,0.4,Artist D,\"Song, D\"\n"
)


def test_deezer_mood_csv(env):
    srv, home, mp = env
    serve(srv, mp, "deezer_mood_train", DEEZER_CSV.encode(), pin=False)
    with pytest.raises(dl.UnpinnedDownloadError, match="allow_unpinned"):
        online.deezer_mood(split="train", data_home=home, mirror=srv.base, progress=False)
    assert srv.total == 0
    recs = online.deezer_mood(split="train", data_home=home, mirror=srv.base, allow_unpinned=True,
                              progress=False)
    assert [r["dzr_sng_id"] for r in recs] == [11, 12, 13, 14]
    assert recs[1]["valence"] == -1.0 and recs[1]["arousal"] == 1.5
    assert recs[3]["track_name"] == "Song, D" and recs[0]["split"] == "train"
    assert set(online.DEEZER_COLUMNS) <= set(recs[0])
    # cached, even unpinned: no second request
    online.deezer_mood(split="train", data_home=home, mirror=srv.base, allow_unpinned=True, progress=False)
    assert srv.count("deezer_mood_train.csv") == 1
    # pinned: checked against the hash
    serve(srv, mp, "deezer_mood_validation", b"dzr_sng_id,valence\n1,0.5\n")
    with pytest.raises(ValueError, match="missing column"):
        online.deezer_mood(split="validation", data_home=home, mirror=srv.base, progress=False)
    with pytest.raises(ValueError, match="split"):
        online.deezer_mood(split="dev", data_home=home)


def deezer_api(srv):
    mp3 = mp3_bytes()  # a real MP3: previews are decoded before they enter the cache
    (srv.root / "previews").mkdir()
    (srv.root / "previews" / "11.mp3").write_bytes(mp3)
    (srv.root / "previews" / "15.mp3").write_bytes(mp3)
    api = {
        11: {"id": 11, "title": "Song A", "preview": srv.url("previews/11.mp3")},
        12: {"id": 12, "title": "Song B", "preview": ""},
        13: {"error": {"type": "DataException", "message": "no data", "code": 800}},
        14: {"id": 14, "preview": srv.url("previews/expired.mp3")},  # -> 404
    }
    for sid, body in api.items():
        srv.route(f"/api/track/{sid}", body=json.dumps(body), ctype="application/json")
    # id 15: first answer is "quota exceeded", then the track
    def quota(path, n):
        if n == 1:
            body = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
        else:
            body = {"id": 15, "preview": srv.url("previews/15.mp3")}
        return LocalServer.response(body=json.dumps(body), ctype="application/json")

    srv.route_fn("/api/track/15", quota)
    srv.route("/api/track/16", body=b"{}", delay=10)  # the API hangs on this one
    return mp3


def test_deezer_previews_end_to_end(env):
    srv, home, mp = env
    mp3 = deezer_api(srv)
    serve(srv, mp, "deezer_mood_train", DEEZER_CSV.encode())
    recs = online.deezer_mood(split="train", data_home=home, mirror=srv.base, progress=False)
    recs.append(dict(recs[0], dzr_sng_id=15))
    lim = dl.RateLimiter(0.05)
    t0 = time.monotonic()
    found, missing = online.deezer_previews(
        recs, data_home=home, api_base=srv.base + "/api", limiter=lim, progress=False, quota_wait=0.01)
    elapsed = time.monotonic() - t0
    assert [r["dzr_sng_id"] for r in found] == [11, 15]
    assert open(found[0]["path"], "rb").read() == mp3
    assert found[0]["path"].endswith("deezer_mood/previews/11.mp3")
    assert found[0]["valence"] == 0.5  # labels kept
    reasons = {m["dzr_sng_id"]: m["reason"] for m in missing}
    assert set(reasons) == {12, 13, 14}
    assert "no preview" in reasons[12]
    assert "no data" in reasons[13] and "800" in reasons[13]
    assert "404" in reasons[14]
    # rate limited: 6 API calls (15 twice) at least 0.05 s apart
    assert lim.n_calls == 6 and elapsed >= 5 * 0.05
    assert srv.count("api/track/15") == 2
    assert recs[0]["path"] is None  # the input records are not modified
    # cached previews: no API call, no download the second time
    before_api, before_mp3 = srv.count("api/track/11"), srv.count("previews/11.mp3")
    found2, _ = online.deezer_previews(
        [11, 15], data_home=home, api_base=srv.base + "/api", limiter=lim, progress=False)
    assert [r["dzr_sng_id"] for r in found2] == [11, 15]
    assert (srv.count("api/track/11"), srv.count("previews/11.mp3")) == (before_api, before_mp3)
    # no stray temporary files
    assert sorted(p.name for p in (home / "deezer_mood" / "previews").iterdir()) == [
        "11.mp3", "15.mp3"]


def test_deezer_mood_audio_trains_the_audio_branch(env):
    """CSV splits -> artist check -> sampled previews -> mel images -> the audio CNN, offline."""
    from mirbook import mood
    from mirbook.models import MelCNN

    srv, home, mp = env
    deezer_api(srv)
    row = "{},SOX{},TRX{},{},{},{},Song {}\n"
    head = DEEZER_CSV.splitlines()[0] + "\n"
    serve(srv, mp, "deezer_mood_train", DEEZER_CSV.encode())
    val = head + row.format(15, 5, 5, 0.7, -0.2, "Artist E", 5)
    serve(srv, mp, "deezer_mood_validation", val.encode())
    serve(srv, mp, "deezer_mood_test", (head + row.format(17, 7, 7, -0.3, 0.9, "artist a", 7)
                                        + row.format(18, 8, 8, 0.1, 0.1, "Artist F", 8)).encode())
    srv.route("/api/track/17", body=json.dumps({"id": 17, "preview": srv.url("previews/11.mp3")}),
              ctype="application/json")
    recs, info = online.deezer_mood_audio(
        n_per_split={"train": 4, "validation": 1, "test": 1}, random_state=0, data_home=home,
        mirror=srv.base, api_base=srv.base + "/api", limiter=dl.RateLimiter(0), progress=False)
    assert info["n_csv"] == {"train": 4, "validation": 1, "test": 2}
    assert info["artist_overlap"] == {"artist a": ["test", "train"]}   # reported, not hidden
    assert [r["dzr_sng_id"] for r in recs["train"]] == [11]
    assert [r["dzr_sng_id"] for r in recs["validation"]] == [15]
    assert len(recs["test"]) + len(info["missing"]["test"]) == 1
    with pytest.raises(ValueError, match="n_per_split"):
        online.deezer_mood_audio(n_per_split=0, data_home=home, mirror=srv.base, progress=False)
    # the audio branch on the previews, real-style labels (happy: valence > 0)
    both = recs["train"] + recs["validation"]
    X = mood.audio_inputs([r["path"] for r in both], duration=2.0)
    Y = mood.targets(both)
    assert X.shape == (2, 1, 64, 1 + (2 * 22050 - 4096) // 2048) and np.isfinite(X).all()
    assert Y.tolist() == [[1.0, 0.5, -0.25], [1.0, 0.7, -0.2]]
    net = MelCNN(n_classes=3, channels=(4, 8), embedding_dim=8)
    h = mood.fit_model(net, X / 100, Y, validation=(X / 100, Y), epochs=2, patience=2)
    assert h.n_epochs == 2
    from mirbook.train import predict
    scores = mood.evaluate(Y, mood.predictions(predict(net, X / 100)))
    assert set(scores) == {"happy_sad_accuracy", "valence_mse", "arousal_mse"}


def test_deezer_previews_timeout_is_reported_not_fatal(env):
    srv, home, mp = env
    deezer_api(srv)
    mp.setenv("MIRBOOK_DEEZER_API", srv.base + "/api")
    t0 = time.monotonic()
    found, missing = online.deezer_previews(
        [16, 11], data_home=home, limiter=dl.RateLimiter(0), timeout=0.3, progress=False)
    assert time.monotonic() - t0 < 3
    assert [r["dzr_sng_id"] for r in found] == [11]
    assert missing[0]["dzr_sng_id"] == 16 and "timed out" in missing[0]["reason"]
