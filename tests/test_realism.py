"""Corpus realism (issue 13): the channel model, real-speech sources, the transfer split, DC/noise.

No network and no corpus build here (test_sources.py builds the tiny speech_music corpus); the
festival tests run only where festival and its voices are installed.
"""

from __future__ import annotations

import glob
import shutil

import numpy as np
import pytest

from mirbook.datasets import core, helpers, speech_music
from mirbook.datasets.sources import channel, speech, voices
from mirbook.errors import ParameterError

SR = 22050


def _tone(n=SR, f=220.0, amp=0.3):
    return (amp * np.sin(2 * np.pi * f * np.arange(n) / SR)).astype(np.float32)


# ------------------------------------------------------------------------------------------------
# the channel model


def test_draw_is_deterministic_and_json():
    import json

    a, b = channel.draw(random_state=3), channel.draw(random_state=3)
    assert a == b
    json.dumps(a)
    assert channel.draw(random_state=4) != a


def test_draw_ranges():
    ps = [channel.draw(random_state=i) for i in range(300)]
    assert all(40 <= p["highpass_hz"] <= 150 for p in ps)
    assert all(-65 <= p["floor_dbfs"] <= -50 for p in ps)
    assert all(-26 <= p["level_dbfs"] <= -16 for p in ps)
    # every optional step is sometimes on and sometimes off
    for key in ("lowpass_hz", "rt60", "bitrate", "snr_db", "drive"):
        on = np.mean([p[key] is not None for p in ps])
        assert 0.1 < on < 0.95, key


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_apply_no_silence_no_dc_same_length(seed):
    y = np.concatenate([_tone(), np.zeros(SR, dtype=np.float32), 0.2 + _tone()])
    p = channel.draw(random_state=seed, codec=False)
    z = channel.apply(y, sr=SR, params=p, random_state=seed)
    assert z.shape == y.shape and z.dtype == np.float32
    assert np.all(z != 0)
    assert abs(float(z.mean())) < 1e-6
    assert np.abs(z).max() <= 0.99
    rms_db = 20 * np.log10(np.sqrt(np.mean(z.astype(np.float64) ** 2)))
    assert abs(rms_db - p["level_dbfs"]) < 1.5
    # the same parameters and seed give the same clip
    assert np.array_equal(z, channel.apply(y, sr=SR, params=p, random_state=seed))


def test_apply_minimal_params():
    z = channel.apply(np.zeros(SR, dtype=np.float32), sr=SR,
                      params={"level_dbfs": -20.0, "floor_dbfs": -60.0})
    floor = 20 * np.log10(np.sqrt(np.mean(z.astype(np.float64) ** 2)))
    assert -61.5 < floor < -58.5


def test_highpass_removes_dc_and_lowpass_limits_band():
    z = channel.highpass(np.full(8000, 0.5) + _tone(8000), sr=SR, cutoff=40.0)
    assert abs(z.mean()) < 1e-4
    y = np.random.default_rng(0).standard_normal(SR)
    lp = channel.lowpass(y, sr=SR, cutoff=3000.0)
    spec = np.abs(np.fft.rfft(lp)) ** 2
    f = np.fft.rfftfreq(SR, 1 / SR)
    assert spec[f > 6000].mean() < 1e-3 * spec[f < 2000].mean()
    assert np.array_equal(channel.lowpass(y, sr=SR, cutoff=SR / 2), y)


def test_limiter_lowers_crest_factor():
    y = _tone() * np.linspace(0.05, 1, SR)
    z = channel.limiter(y, drive=4.0)

    def crest(x):
        return np.abs(x).max() / np.sqrt(np.mean(x ** 2))

    assert crest(z) < crest(y)
    assert np.isclose(np.abs(z).max(), np.abs(y).max())


def test_augment_numpy_and_torch():
    aug = channel.Augment(random_state=0)
    y = _tone()
    a, b = aug(y), aug(y)
    assert a.shape == y.shape and not np.array_equal(a, b)      # fresh parameters every call
    assert channel.Augment(random_state=0, p=0.0)(y) is y
    torch = pytest.importorskip("torch")
    t = channel.Augment(random_state=1)(torch.from_numpy(y))
    assert isinstance(t, torch.Tensor) and tuple(t.shape) == y.shape
    with pytest.raises(ParameterError, match="p="):
        channel.Augment(p=2.0)


# ------------------------------------------------------------------------------------------------
# DC removal and the noise floor of every saved clip


def test_remove_dc_and_save_labelled_audio(tmp_path):
    from mirbook.io import load_audio

    y = np.concatenate([0.01 + _tone(), np.zeros(SR, dtype=np.float32)])
    assert abs(helpers.remove_dc(y, sr=SR).mean()) < 1e-6
    helpers.save_labelled_audio(tmp_path, "a.flac", y, sr=SR)
    helpers.save_labelled_audio(tmp_path, "b.flac", y, sr=SR)
    helpers.save_labelled_audio(tmp_path, "c.flac", y, sr=SR, dc=False, noise_floor_dbfs=None)
    a, _ = load_audio(tmp_path / "a.flac")
    b, _ = load_audio(tmp_path / "b.flac")
    c, _ = load_audio(tmp_path / "c.flac")
    assert abs(a.mean()) < 1e-4 and abs(c.mean()) > 5e-3
    assert np.mean(c[SR:] == 0) == 1.0                 # digital silence when turned off...
    assert np.mean(a[SR:] == 0) < 0.3                  # ...a noise floor by default
    # seeded by the path: the same path gives the same file, another path other noise
    helpers.save_labelled_audio(tmp_path, "a.flac", y, sr=SR)
    a2, _ = load_audio(tmp_path / "a.flac")
    assert np.array_equal(a, a2) and not np.array_equal(a, b)


# ------------------------------------------------------------------------------------------------
# speech sources


def test_vary_sentences_keeps_words_in_order():
    texts = speech.sentences("en", n=12, random_state=0)
    out = speech.vary_sentences(texts, language="en", random_state=1)
    assert 0 < len(out) <= len(texts)
    assert any(", and " in t for t in out)                 # compound sentences
    assert any(len(t.split()) < min(len(x.split()) for x in texts) for t in out)  # short ones
    assert out == speech.vary_sentences(texts, language="en", random_state=1)


def test_speak_gaps_and_lead():
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    y, used = speech.speak(["Hello there.", "Good morning."], duration=3.0, sr=SR,
                           gaps=[0.1, 0.1], lead=0.5, engine="espeak-ng", language="en")
    assert y.shape == (3 * SR,) and used
    assert not np.any(y[: int(0.5 * SR)])                  # the lead (the channel fills it)


def _festival_voice_installed(voice):
    return shutil.which("text2wave") and glob.glob(f"/usr/share/festival/voices/*/{voice}")


@pytest.mark.parametrize("voice", sorted(speech.FESTIVAL_VOICES))
def test_festival_voices(voice):
    if not _festival_voice_installed(voice):
        pytest.skip(f"festival voice {voice} not installed")
    lang = speech.FESTIVAL_VOICES[voice][0]
    text = speech.sentences(lang, n=1, random_state=0)[0]
    y = speech.synthesize(text, engine="festival", language=lang, voice=voice, sr=SR,
                          stretch=1.1, f0=150.0)
    assert y.dtype == np.float32 and len(y) > SR and np.abs(y).max() > 0.05


def test_festival_voice_errors():
    with pytest.raises(ParameterError, match="unknown festival voice"):
        speech.check_festival_voice("xx_diphone")


# ------------------------------------------------------------------------------------------------
# splits: the recorded speakers and the transfer split


def test_group_splits_cover_the_catalogue_groups():
    groups = ({f"ktuberling:{k}" for k in voices.KTUBERLING_LOCALES}
              | {f"hedgewars:{k}" for k in voices.HEDGEWARS_PACKS}
              | {f"warzone:{k.split('/')[-1]}" for k in voices.WARZONE_FOLDERS})
    assert groups == set(voices.GROUP_SPLITS)
    assert set(voices.GROUP_SPLITS.values()) == set(core.ALL_SPLITS)
    assert all(v == core.TRANSFER for k, v in voices.GROUP_SPLITS.items()
               if k.startswith("warzone:"))
    assert "hedgewars:Robot" not in voices.GROUP_SPLITS     # vocoded
    assert "hedgewars:Singer" not in voices.GROUP_SPLITS    # sung


def test_transfer_sources_are_disjoint_from_training():
    transfer_artists = {a for a, (s, _) in speech_music.MUSIC_SPLITS.items() if s == core.TRANSFER}
    assert transfer_artists == {"Michael Kievernagel", "blkrbt"}
    assert speech_music.FESTIVAL_SPLITS["cmu_us_slt_arctic_hts"] == core.TRANSFER
    assert speech_music._flite_split("slt") == core.TRANSFER   # the same speaker as the HTS voice
    assert core.TRANSFER not in core.SPLITS
    assert all(core.assign_split(f"g{i}") in core.SPLITS for i in range(200))


def test_plan_accepts_transfer_and_rejects_unknown_split():
    core._check_plan("x", [core.Item(id="a", group="g", split=core.TRANSFER)])
    with pytest.raises(core.CorpusError, match="unknown split"):
        core._check_plan("x", [core.Item(id="a", group="g", split="holdout")])


def test_tiny_plan_has_a_transfer_item_per_class():
    items = speech_music.plan(tiny=True)
    transfer = [it for it in items if it.split == core.TRANSFER]
    assert {it.id.split("/")[1].split("_")[0] for it in transfer} == {"speech", "music"}
    assert all("channel" in it.params for it in items)


def test_load_rejects_unknown_split(tmp_path):
    with pytest.raises(ParameterError, match="unknown split"):
        core.load("speech_music", split="holdout", root=tmp_path)


# ------------------------------------------------------------------------------------------------
# the command line forwards ``audit``


def test_cli_forwards_audit(monkeypatch):
    from mirbook.datasets import audit, cli

    seen = []

    def fake_main(argv):
        seen.append(argv)
        return 7

    monkeypatch.setattr(audit, "main", fake_main)
    assert cli.main(["audit", "--tiny", "--corpus", "mood"]) == 7
    assert seen == [["--tiny", "--corpus", "mood"]]
