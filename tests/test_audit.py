"""The shortcut audit (mirbook.datasets.audit): trivial statistics and the classifiers on them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mirbook.datasets import audit as A
from mirbook.errors import ParameterError

SR = 8000


def _sine(f=440.0, seconds=1.0, amp=1.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return amp * np.sin(2 * np.pi * f * t)


# --------------------------------------------------------------------------------------------
# clip_statistics


def test_statistics_keys_and_types():
    s = A.clip_statistics(_sine(), sr=SR)
    assert tuple(s) == A.STATISTICS
    assert all(isinstance(v, float) and math.isfinite(v) for v in s.values())
    assert set(A.LEVEL_STATISTICS) | set(A.SPECTRAL_STATISTICS) == set(A.STATISTICS)


def test_sine_crest_factor_rms_and_duration():
    s = A.clip_statistics(_sine(amp=0.5, seconds=2.0), sr=SR)
    assert s["crest_factor"] == pytest.approx(math.sqrt(2), rel=1e-3)
    assert s["rms_dbfs"] == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.01)
    assert s["peak"] == pytest.approx(0.5, rel=1e-4)
    assert s["duration"] == pytest.approx(2.0)
    assert s["sample_rate"] == SR
    assert abs(s["dc_offset"]) < 1e-6
    assert s["zero_run_fraction"] == 0.0
    assert s["silent_frame_fraction"] == 0.0
    assert s["full_scale_fraction"] == 0.0


def test_digital_silence_is_detected():
    s = A.clip_statistics(np.zeros(SR), sr=SR)
    assert s["zero_fraction"] == 1.0 and s["zero_run_fraction"] == 1.0
    assert s["silent_frame_fraction"] == 1.0 and s["quiet_frame_fraction"] == 1.0
    assert s["rms_dbfs"] == A.FLOOR_DB and s["noise_floor_dbfs"] == A.FLOOR_DB
    assert s["crest_factor"] == 0.0 and s["peak"] == 0.0

    # half a second of exact zeros between two tones: a TTS pause
    y = np.concatenate([_sine(amp=0.3), np.zeros(SR // 2), _sine(amp=0.3)])
    s = A.clip_statistics(y, sr=SR)
    assert s["zero_run_fraction"] == pytest.approx(0.2, abs=0.01)
    assert 0.05 < s["silent_frame_fraction"] < 0.25
    assert s["noise_floor_dbfs"] == A.FLOOR_DB

    # the same pause filled with a -70 dBFS noise floor: no digital silence left
    rng = np.random.default_rng(0)
    y = y + 10 ** (-70 / 20) * rng.standard_normal(y.size)
    s = A.clip_statistics(y, sr=SR)
    assert s["zero_fraction"] == 0.0 and s["zero_run_fraction"] == 0.0
    assert s["silent_frame_fraction"] == 0.0
    assert -75 < s["noise_floor_dbfs"] < -65


def test_leading_and_trailing_silence():
    y = np.concatenate([np.zeros(SR // 4), _sine(amp=0.3), np.zeros(SR // 2)])
    s = A.clip_statistics(y, sr=SR)
    assert s["leading_silence"] == pytest.approx(0.25, abs=2 / SR)
    assert s["trailing_silence"] == pytest.approx(0.5, abs=2 / SR)


def test_dc_offset():
    s = A.clip_statistics(0.25 + _sine(amp=0.1), sr=SR)
    assert s["dc_offset"] == pytest.approx(0.25, abs=1e-4)
    assert s["energy_below_40hz"] > 0.8


def test_clipping_and_int16_grid():
    y = np.clip(_sine(amp=2.0), -1, 1)
    assert A.clip_statistics(y, sr=SR)["full_scale_fraction"] > 0.5
    y = _sine(amp=0.3) + 1e-7  # off the 16-bit grid
    assert A.clip_statistics(y, sr=SR)["int16_grid_fraction"] < 0.01
    q = np.round(_sine(amp=0.3) * 32768) / 32768  # a 16-bit file read as float
    assert A.clip_statistics(q.astype(np.float32), sr=SR)["int16_grid_fraction"] == 1.0


def test_band_limit_traces():
    from scipy.signal import butter, sosfilt

    sr = 22050
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(2 * sr)
    full = A.clip_statistics(noise, sr=sr)
    assert full["band_edge"] > 10000 and full["energy_top_decile"] > 0.05
    assert full["energy_above_16k"] == 0.0  # the Nyquist frequency is 11025 Hz
    sos = butter(10, 3400, fs=sr, output="sos")  # telephone-like low-pass
    tel = A.clip_statistics(sosfilt(sos, noise), sr=sr)
    assert 3000 < tel["band_edge"] < 6000
    assert tel["rolloff99"] < 4000 and tel["rolloff85"] < 3400
    assert tel["bandwidth"] < full["bandwidth"]
    assert tel["energy_top_decile"] < 1e-4
    hi = A.clip_statistics(rng.standard_normal(44100), sr=44100)
    assert hi["energy_above_16k"] == pytest.approx((22050 - 16000) / 22050, abs=0.03)


def test_stereo_is_averaged():
    y = np.stack([_sine(amp=0.5), _sine(amp=0.5)])
    assert A.clip_statistics(y, sr=SR)["peak"] == pytest.approx(0.5, rel=1e-4)


@pytest.mark.parametrize("kwargs, match", [
    ({"y": np.zeros(100), "sr": 0}, "sr"),
    ({"y": np.array([0.0, np.nan]), "sr": SR}, "y"),
    ({"y": np.zeros((2, 2, 10)), "sr": SR}, "y"),
    ({"y": np.zeros(0), "sr": SR}, "y"),
    ({"y": np.zeros(100), "sr": SR, "hop_length": 0}, "hop_length"),
])
def test_statistics_reject_bad_input(kwargs, match):
    y = kwargs.pop("y")
    with pytest.raises(ParameterError, match=match):
        A.clip_statistics(y, **kwargs)


def test_file_statistics_reads_and_caches(tmp_path):
    from mirbook.io import save_audio

    path = tmp_path / "tone.flac"
    save_audio(path, _sine(amp=0.5).astype(np.float32), sr=SR)
    s = A.file_statistics(path)
    assert s["crest_factor"] == pytest.approx(math.sqrt(2), rel=1e-2)
    assert s["int16_grid_fraction"] == 1.0  # a 16-bit FLAC, read at its own rate
    assert str(path) in A._CACHE
    assert A.file_statistics(path) == s


# --------------------------------------------------------------------------------------------
# audit


def _noise_clip(rng, *, level_db=-20.0, silent=False, n=4000):
    y = 10 ** (level_db / 20) * rng.standard_normal(n)
    if silent:
        y[n // 4: n // 2] = 0.0
    return {"y": y, "sr": SR}


def test_audit_detects_a_planted_shortcut():
    """One class has digital silence (TTS pauses), the other a noise floor: found at once."""
    rng = np.random.default_rng(0)
    records, labels = [], []
    for i in range(60):
        group = i // 4  # 15 sources (voices, artists) of 4 clips, each of one class
        cls = "speech" if group % 2 == 0 else "music"
        rec = _noise_clip(rng, level_db=rng.uniform(-30, -10), silent=cls == "speech")
        rec["group"] = f"source{group}"
        records.append(rec)
        labels.append(cls)
    res = A.audit(records, labels)
    assert res["grouped"] and res["n"] == 60 and res["chance"] == 0.5
    assert res["balanced_accuracy"] > 0.95
    assert res["passes"] is False
    assert res["top_cue"] in {"zero_fraction", "zero_run_fraction", "silent_frame_fraction",
                              "quiet_frame_fraction", "noise_floor_dbfs"}
    assert set(res["models"]) == {"random_forest", "logistic_regression"}


def test_audit_stays_near_chance_without_a_shortcut():
    rng = np.random.default_rng(1)
    records = [_noise_clip(rng, level_db=rng.uniform(-30, -10)) for _ in range(80)]
    labels = ["a" if i % 2 else "b" for i in range(80)]
    res = A.audit(records, labels, groups=False, random_state=3)
    assert res["balanced_accuracy"] < 0.65
    assert res["passes"] is True
    assert res["classes"] == {"a": 40, "b": 40}


def test_audit_groups_prevent_leakage():
    """A cue that only recognises the source must not count: group-aware folds ignore it."""
    rng = np.random.default_rng(2)
    records, labels = [], []
    group_label = rng.permutation(["x"] * 10 + ["y"] * 10)
    for g in range(20):
        for _ in range(6):
            rec = _noise_clip(rng, level_db=-60 + 3 * g + rng.normal(0, 0.05), n=8000)
            rec["group"] = f"g{g}"
            records.append(rec)
            labels.append(group_label[g])
    # the level identifies the source (a greedy tree needs few other columns to find 19 cuts)
    feats = ["rms_dbfs", "crest_factor", "zero_fraction"]
    leaky = A.audit(records, labels, groups=False, features=feats)
    honest = A.audit(records, labels, features=feats)
    assert leaky["balanced_accuracy"] > 0.8
    assert honest["balanced_accuracy"] < 0.7


def test_audit_multiclass_and_chance():
    rng = np.random.default_rng(3)
    levels = {"a": -40, "b": -25, "c": -10}
    records, labels = [], []
    for i in range(60):
        cls = "abc"[i % 3]
        records.append(_noise_clip(rng, level_db=levels[cls] + rng.normal(0, 1)))
        labels.append(cls)
    res = A.audit(records, labels, groups=False)
    assert res["chance"] == pytest.approx(1 / 3)
    assert res["threshold"] == pytest.approx(1 / 3 + A.MAX_LIFT * 2 / 3)
    assert res["balanced_accuracy"] > 0.9 and res["passes"] is False
    # the level cue is gone when the level statistics are not shown
    spectral = A.audit(records, labels, groups=False, features=A.SPECTRAL_STATISTICS)
    assert spectral["balanced_accuracy"] < 0.6


def test_audit_tags_one_vs_rest():
    rng = np.random.default_rng(4)
    records, tags = [], []
    for i in range(60):
        loud = i % 2 == 0
        records.append(_noise_clip(rng, level_db=-10 if loud else -40))
        tags.append(["loud", "any"] if loud else ["any", "quiet" if i % 4 else "other"])
    res = A.audit(records, tags, groups=False)
    assert res["tag"] in {"loud", "quiet", "other"}
    assert "any" not in res["tags"]  # every record has it: nothing to cross-validate
    assert res["tags"]["loud"] > 0.9 and res["passes"] is False


def test_audit_continuous_label_split_at_median_and_none_dropped():
    rng = np.random.default_rng(5)
    records = [_noise_clip(rng, level_db=rng.uniform(-30, -10)) for _ in range(41)]
    values = [float(v) for v in rng.normal(size=41)]
    values[0] = None
    res = A.audit(records, values, groups=False)
    assert res["n"] == 40 and set(res["classes"]) == {"low", "high"}
    assert "median" in res["note"]


def test_audit_label_by_name_and_stats_records():
    rng = np.random.default_rng(6)
    records = []
    for i in range(30):
        s = A.clip_statistics(_noise_clip(rng)["y"], sr=SR)
        records.append({"stats": s, "labels": {"kind": "a" if i % 2 else "b"}})
    res = A.audit(records, "kind", groups=False)
    assert res["n"] == 30 and res["classes"] == {"a": 15, "b": 15}
    assert res["balanced_accuracy"] < 0.75


def test_audit_small_sets_are_not_judged():
    rng = np.random.default_rng(7)
    records = [_noise_clip(rng, silent=i % 2 == 0) for i in range(8)]
    res = A.audit(records, [i % 2 for i in range(8)], groups=False)
    assert res["passes"] is None and "not judged" in res["note"]
    one_group = A.audit(records, [i % 2 for i in range(8)], groups=["g"] * 8)
    assert one_group["passes"] is None and math.isnan(one_group["balanced_accuracy"])


@pytest.mark.parametrize("kwargs, match", [
    ({"records": []}, "records"),
    ({"cv": 1}, "cv"),
    ({"label": [0, 1]}, "label"),
    ({"features": ["no_such_statistic"]}, "features"),
    ({"records": [{"labels": {}}] * 4}, "records"),
    ({"random_state": "x"}, "random_state"),
])
def test_audit_rejects_bad_input(kwargs, match):
    rng = np.random.default_rng(8)
    args = {"records": [_noise_clip(rng) for _ in range(4)], "label": [0, 1, 0, 1]}
    args.update(kwargs)
    records, label = args.pop("records"), args.pop("label")
    if len(label) != len(records) and "label" not in kwargs:
        label = [i % 2 for i in range(len(records))]
    with pytest.raises(ParameterError, match=match):
        A.audit(records, label, groups=False, **args)


def test_channel_statistics_are_statistics():
    assert set(A.CHANNEL_STATISTICS) < set(A.STATISTICS)
    for content in ("noise_floor_dbfs", "crest_factor", "rolloff85", "energy_below_40hz"):
        assert content not in A.CHANNEL_STATISTICS


def test_known_cues_name_audited_labels():
    for key in A.KNOWN_CUES:
        corpus, label = key.split(":")
        assert any(row.split()[0] == label for row, *_ in A.LABELS[corpus]), key


# --------------------------------------------------------------------------------------------
# the tiny corpus, end to end


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    from mirbook.datasets import core

    root = tmp_path_factory.mktemp("mirdata")
    try:
        core.build(["speech_music", "mood"], tiny=True, jobs=1, root=root)
    except core.MissingToolError as exc:  # espeak-ng / FluidSynth not installed
        pytest.skip(str(exc))
    return root


def test_audit_corpus_tiny(tiny_root):
    table = A.audit_corpus("speech_music", tiny=True, root=tiny_root)
    assert list(table.columns[:8]) == ["corpus", "label", "n", "classes", "balanced_accuracy",
                                       "std", "chance", "threshold"]
    assert {"passes", "known", "note", "top_cue", "without_spectrum"} <= set(table.columns)
    assert table["label"].tolist() == ["label", "label (clean)", "label (channel)",
                                       "label (clean, channel)", "label (transfer, channel)"]
    assert (table["n"][:4] > 0).all()          # (the tiny transfer split: 1 clip a class)
    # the rows on the channel statistics are judged, never excused as a known cue
    assert (table["known"] != "").tolist() == [True, True, False, False, False]
    assert table["passes"].isna().all() or (table["passes"] == None).all()  # noqa: E711


def test_cli_tiny_exits_zero_and_prints_table(tiny_root, capsys):
    rc = A.main(["--tiny", "--root", str(tiny_root), "--corpus", "speech_music", "mood"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "speech_music" in out and "happy" in out and "bal_acc" in out


def test_cli_missing_corpus_exits_2(tmp_path, capsys):
    assert A.main(["--tiny", "--root", str(tmp_path), "--corpus", "styles"]) == 2
    assert "not built" in capsys.readouterr().err


def test_audit_corpus_rejects_unknown_name(tmp_path):
    with pytest.raises(ParameterError, match="name"):
        A.audit_corpus("no_such_corpus", root=tmp_path)
