"""The raw material of the offline corpus (speech engines, Debian music, mirbook.effects) and the
tiny ``speech_music`` and ``styles`` corpora. No network: the Debian packages are only touched by
the last test, and only when they are already in the cache. Every test builds what it reads (no
test reads a file another test wrote)."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mirbook import effects
from mirbook.datasets import core
from mirbook.datasets.sources import debian_music, speech
from mirbook.errors import CorpusError, MirbookError, MissingToolError, ParameterError

SR = 22050


# ------------------------------------------------------------------------------------------------
# safe extraction


def _zip(path, names):
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(zipfile.ZipInfo(name), b"data")
    return path


@pytest.mark.parametrize("bad", ["../evil.txt", "sound/../../evil.txt", "/etc/evil.txt",
                                 "C:/evil.txt", "..\\evil.txt"])
def test_safe_extract_refuses_escaping_members(tmp_path, bad):
    archive = _zip(tmp_path / "music.pk3", ["sound/ok.ogg", bad])
    dest = tmp_path / "out"
    with pytest.raises(debian_music.UnsafeArchiveError, match="refused"):
        debian_music.safe_extract_zip(archive, dest=dest)
    # checked before anything is written: not even the good member is there
    assert not (dest / "sound" / "ok.ogg").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_safe_extract_refuses_symlinks(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(debian_music.UnsafeArchiveError, match="symbolic link"):
        debian_music.safe_extract_zip(archive, dest=tmp_path / "out")


def test_safe_extract_writes_good_members(tmp_path):
    archive = _zip(tmp_path / "music.pk3", ["sound/cdtracks/a.ogg", "sound/b.ogg"])
    out = debian_music.safe_extract_zip(archive, dest=tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in out) == [
        "sound/b.ogg", "sound/cdtracks/a.ogg"]
    assert (tmp_path / "out/sound/b.ogg").read_bytes() == b"data"
    assert not list((tmp_path / "out").rglob("*.part"))


# ------------------------------------------------------------------------------------------------
# metadata


DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2011-2021 Zeno Rogue <zeno@example.org>
License: GPL-2+

Files: music/hr3-caves.ogg
       music/hr3-desert.ogg
Copyright: Shawn Parrotte (http://www.example.org)
License: CC-BY-SA-3.0

Files: music/hr-savino-*.ogg
Copyright: 2018 Will Savino
License: CC-BY-SA-3.0
"""


def test_dep5_lookup_last_match_wins():
    stanzas = debian_music.parse_dep5(DEP5)
    assert len(stanzas) == 3
    st = debian_music.dep5_lookup(stanzas, "music/hr3-desert.ogg")
    assert debian_music._holder(st["copyright"]) == "Shawn Parrotte"
    assert st["license"] == "CC-BY-SA-3.0"
    st = debian_music.dep5_lookup(stanzas, "music/hr-savino-ocean.ogg")
    assert debian_music._holder(st["copyright"]) == "Will Savino"
    assert debian_music.dep5_lookup(stanzas, "src/main.cpp")["license"] == "GPL-2+"


# ------------------------------------------------------------------------------------------------
# speech


@pytest.mark.parametrize("engine,lang,voice", [("espeak-ng", "en", "m3"), ("espeak-ng", "ru", "f2"),
                                                ("espeak-ng", "hi", None), ("flite", "en", "slt")])
def test_speech_is_not_silent(engine, lang, voice):
    y, used = speech.speak(speech.sentences(lang, n=3, random_state=1), duration=3.0, sr=SR,
                           engine=engine,
                           language=lang, voice=voice)
    assert y.shape == (3 * SR,) and y.dtype == np.float32
    assert np.isfinite(y).all()
    assert effects.rms(y) > 0.01
    # speech has pauses: the level varies a lot from 50 ms frame to frame
    frames = y[: len(y) // 1102 * 1102].reshape(-1, 1102)
    level = np.sqrt((frames**2).mean(axis=1))
    assert (level < 0.1 * level.max()).any()
    assert used and all(isinstance(t, str) for t in used)


def test_sentences_are_distinct_and_deterministic():
    for lang in speech.LANGUAGES:
        pool = speech.all_sentences(lang)
        assert len(pool) == len(set(pool)) == (288 if lang == "en" else 216)
    assert speech.sentences("de", n=5, random_state=3) == speech.sentences("de", n=5,
                                                                           random_state=3)
    assert len(set(speech.sentences("tr", n=50, random_state=0))) == 50


# ------------------------------------------------------------------------------------------------
# effects


def _three_tones():
    t = np.arange(2 * SR) / SR
    return (0.3 * np.sin(2 * np.pi * 100 * t) + 0.3 * np.sin(2 * np.pi * 1000 * t)
            + 0.3 * np.sin(2 * np.pi * 6000 * t)).astype(np.float32)


def test_effects_keep_length_and_state_their_parameters():
    rng = np.random.default_rng(0)
    y = _three_tones()
    tel = effects.telephone(y, sr=SR)
    spec = np.abs(np.fft.rfft(tel)) / (len(tel) / 2)
    f = np.fft.rfftfreq(len(tel), 1 / SR)
    at = lambda hz: spec[np.argmin(np.abs(f - hz))]  # noqa: E731
    assert at(1000) > 0.2 and at(100) < 0.01 and at(6000) < 0.01
    noisy = effects.add_noise(y, snr_db=5.0, random_state=rng)
    assert 20 * np.log10(effects.rms(y) / effects.rms(noisy - y)) == pytest.approx(5.0, abs=1e-6)
    for z in (tel, noisy, effects.reverb(y, sr=SR, rt60=0.8, random_state=rng),
              effects.mp3(y, sr=SR, bitrate=32)):
        assert z.shape == y.shape and np.isfinite(z).all()


def test_mp3_is_the_codecs_round_trip():
    from mirbook.codecs import roundtrip

    y = _three_tones()
    np.testing.assert_array_equal(effects.mp3(y, sr=SR, bitrate=32),
                                  roundtrip(y, sr=SR, codec="mp3", bitrate=32))


def test_random_state_is_reproducible_and_advances_a_generator():
    y = _three_tones()
    a = effects.add_noise(y, snr_db=3.0, random_state=7)
    assert np.array_equal(a, effects.add_noise(y, snr_db=3.0, random_state=7))
    g = np.random.default_rng(7)
    first = effects.add_noise(y, snr_db=3.0, random_state=g)
    assert np.array_equal(first, a)
    assert not np.array_equal(effects.add_noise(y, snr_db=3.0, random_state=g), a)


@pytest.mark.parametrize("call,match", [
    (lambda y: effects.add_noise(y, snr_db=float("nan")), "snr_db"),
    (lambda y: effects.add_noise(y, snr_db=0.0, kind="brown"), "kind"),
    (lambda y: effects.add_noise(y, snr_db=0.0, random_state="x"), "random_state"),
    (lambda y: effects.reverb(y, sr=SR, rt60=0.0), "rt60"),
    (lambda y: effects.mp3(y, sr=SR, bitrate=0), "bitrate"),
    (lambda y: effects.bandpass(y, sr=SR, low=3000, high=300), "low=3000"),
    (lambda y: effects.mix(y, y[:, None], ratio_db=0.0), "background"),
    (lambda y: effects.telephone(np.stack([y, y]), sr=SR), "mono"),
    (lambda y: effects.normalize(y, peak=0.0), "peak"),
    (lambda y: effects.pink_noise(0), "n=0"),
])
def test_effect_parameter_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call(_three_tones())


# ------------------------------------------------------------------------------------------------
# missing tools and failed downloads


def _empty_path(monkeypatch, tmp_path, scripts=None):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, body in (scripts or {}).items():
        p = bindir / name
        p.write_text("#!/bin/sh\n" + body)
        p.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))


@pytest.mark.parametrize("engine", ["espeak-ng", "flite"])
def test_missing_speech_engine_says_how_to_install(monkeypatch, tmp_path, engine):
    _empty_path(monkeypatch, tmp_path)
    with pytest.raises(MissingToolError, match=f"apt-get install -y {engine}"):
        speech.synthesize("hello", engine=engine)


def test_missing_apt_get_says_how_to_install(monkeypatch, tmp_path):
    _empty_path(monkeypatch, tmp_path)
    with pytest.raises(MissingToolError, match="apt-get install -y apt"):
        debian_music.fetch("asc-music", cache=tmp_path / "cache")


def test_failed_download_is_reported_clearly(monkeypatch, tmp_path):
    _empty_path(monkeypatch, tmp_path, {
        "apt-get": "echo 'E: Unable to locate package asc-music' >&2\nexit 100\n"})
    with pytest.raises(debian_music.DebianFetchError) as info:
        debian_music.fetch("asc-music", cache=tmp_path / "cache")
    msg = str(info.value)
    assert "apt-get download asc-music failed" in msg
    assert "Unable to locate package" in msg and "apt-get update" in msg
    assert not list((tmp_path / "cache" / "debs").rglob("*.deb"))
    assert isinstance(info.value, MirbookError)


@pytest.mark.parametrize("call,exc,match", [
    (lambda tmp: debian_music.fetch("some-other-music", cache=tmp), ParameterError, "not one of"),
    (lambda tmp: debian_music.load_catalog(cache=tmp), CorpusError, "no catalogue"),
    (lambda tmp: speech.sentences("xx", n=1), ParameterError, "unknown language 'xx'"),
    (lambda tmp: speech.sentences("en", n=1000), ParameterError, "n=1000"),
    (lambda tmp: speech.check_engine("mbrola"), ParameterError, "unknown speech engine"),
    (lambda tmp: speech.check_festival_voice("no_such_voice"), ParameterError,
     "unknown festival voice"),
    (lambda tmp: speech.synthesize("hi", engine="flite", language="fr"), ParameterError,
     "English only"),
])
def test_source_errors(tmp_path, call, exc, match):
    with pytest.raises(exc, match=match):
        call(tmp_path)


def test_plans_hold_no_absolute_path():
    # the tiny plans (no download); the full plans are checked by every build (_check_plan)
    for name in ("speech_music", "styles"):
        core._check_plan(name, core.corpus_module(name).plan(tiny=True))


# ------------------------------------------------------------------------------------------------
# tiny corpora


def _check_records(folder: Path, manifest: dict):
    recs = manifest["records"]
    assert recs and manifest["n_items"] == len(recs)
    for r in recs:
        f = folder / r["path"]
        assert f.is_file() and f.stat().st_size > 0, r["path"]
        assert r["split"] in core.ALL_SPLITS
    core.check_disjoint(recs, key="group")
    return recs


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    """Both tiny corpora, built once for this module (every test that reads them asks for this)."""
    root = tmp_path_factory.mktemp("corpora")
    for name in ("speech_music", "styles"):
        core.build_one(name, tiny=True, root=root, jobs=2)
    return root


def test_tiny_speech_music(tiny_root):
    from mirbook.io import load_audio

    path = core.build_one("speech_music", tiny=True, root=tiny_root, jobs=2)  # up to date
    manifest = json.loads(Path(path).read_text())
    assert not manifest["skipped"]
    recs = _check_records(path.parent, manifest)
    labels = [r["labels"]["label"] for r in recs]
    assert labels.count("speech") == labels.count("music") == len(recs) // 2
    speech_recs = [r for r in recs if r["labels"]["label"] == "speech"]
    assert len({r["labels"]["language"] for r in speech_recs}) >= 3
    assert {r["labels"]["source"] for r in speech_recs} == {"espeak-ng", "flite"}
    core.check_disjoint(speech_recs, key="voice")
    assert {r["labels"]["condition"] for r in recs} >= {"clean", "telephone", "mp3_32k"}
    assert all(r["split"] == "test" for r in recs if r["labels"]["condition"] != "clean")
    assert set(r["split"] for r in recs) == set(core.ALL_SPLITS)        # with "transfer"
    transfer = [r for r in recs if r["split"] == core.TRANSFER]
    assert {r["labels"]["label"] for r in transfer} == {"speech", "music"}
    # the transfer voice (flite slt) is never in the other splits
    assert {r["labels"]["voice"] for r in transfer if r["labels"]["label"] == "speech"} \
        .isdisjoint(r["labels"]["voice"] for r in recs if r["split"] != core.TRANSFER
                    and r["labels"]["label"] == "speech")
    for r in recs:
        y, sr = load_audio(path.parent / r["path"])
        assert sr == 22050 and y.shape == (5 * 22050,)
        assert effects.rms(y) > 0.01
        # the channel model: no digital silence, no DC offset, level in the drawn range
        assert not np.any(y == 0) or np.mean(y == 0) < 0.01
        assert abs(float(np.mean(y))) < 1e-3
        assert r["labels"]["channel"]["level_dbfs"] == r["labels"]["level_dbfs"]


def test_tiny_styles(tiny_root):
    path = core.build_one("styles", tiny=True, root=tiny_root, jobs=2)  # up to date
    manifest = json.loads(Path(path).read_text())
    assert not manifest["skipped"]
    recs = _check_records(path.parent, manifest)
    styles = [r["labels"]["style"] for r in recs]
    assert len(set(styles)) == 3 and all(styles.count(s) == 2 for s in set(styles))
    for r in recs:
        tags = r["labels"]["tags"]
        assert "rendered" in tags and r["labels"]["style"] in tags and len(tags) >= 4
        assert r["labels"]["tags_str"] == ";".join(tags)
    assert set(r["split"] for r in recs) == set(core.SPLITS)


def test_tiny_build_is_deterministic(tiny_root, tmp_path):
    first = json.loads((tiny_root / "styles-tiny" / "manifest.json").read_text())
    path = core.build_one("styles", tiny=True, root=tmp_path, jobs=1)
    second = json.loads(Path(path).read_text())
    assert [r["sha256"] for r in first["records"]] == [r["sha256"] for r in second["records"]]


# ------------------------------------------------------------------------------------------------
# the Debian catalogue (only when already downloaded: tests never touch the network)


def _debs_cached():
    debs = debian_music.cache_dir() / "debs"
    return all(list(debs.glob(f"{p}_*.deb")) for p in debian_music.PACKAGES)


@pytest.mark.skipif(not _debs_cached() or os.environ.get("MIRBOOK_OFFLINE_ONLY") == "1",
                    reason="Debian music packages not in the cache")
def test_catalog_artists_and_splits():
    tracks = debian_music.catalog()
    artists = {t.artist for t in tracks}
    assert artists == set(debian_music.ARTIST_SPLITS)
    assert {t.package for t in tracks} == set(debian_music.PACKAGES)
    assert all(t.duration > 30 and t.licence for t in tracks)
    parrotte = [t for t in tracks if t.artist == "Shawn Parrotte"]
    assert len(parrotte) == 11 and all(t.package == "hyperrogue-music" for t in parrotte)
