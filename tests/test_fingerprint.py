"""Landmark fingerprinting (mirbook.fingerprint, chapter 3): excerpts are found at the right
offset, also after MP3 coding and noise; foreign clips are not; everything is deterministic."""

import numpy as np
import pytest

from mirbook import codecs
from mirbook import fingerprint as FP
from mirbook.errors import AudioFileError, ParameterError

SR = 22050


def synth_music(seed, duration=20.0, sr=SR):
    """Deterministic 'music': random harmonic notes with decaying envelopes, 3 voices."""
    rng = np.random.default_rng(seed)
    n = int(duration * sr)
    y = np.zeros(n)
    for _ in range(3):
        t = 0.0
        while t < duration:
            d = rng.choice([0.15, 0.3, 0.45, 0.6])
            f0 = 110.0 * 2 ** (rng.integers(0, 36) / 12)
            i0, i1 = int(t * sr), min(n, int((t + d) * sr))
            tt = np.arange(i1 - i0) / sr
            note = sum(0.6 ** k * np.sin(2 * np.pi * (k + 1) * f0 * tt) for k in range(6))
            y[i0:i1] += note * np.exp(-3 * tt)
            t += d
    return 0.2 * y / np.abs(y).max()


def add_noise(y, snr_db, seed=0):
    noise = np.random.default_rng(seed).standard_normal(y.size)
    noise *= np.sqrt(np.mean(y ** 2) / np.mean(noise ** 2) / 10 ** (snr_db / 10))
    return y + noise


@pytest.fixture(scope="module")
def tracks():
    return {f"track{k:02d}": synth_music(k) for k in range(8)}


@pytest.fixture(scope="module")
def index(tracks):
    return FP.build_index(tracks, sr=SR)


def test_index_shape(index, tracks):
    assert index.names == list(tracks)
    assert len(index) == index.track_index.size == index.times.size
    assert np.all(np.diff(index.hashes) >= 0)
    # density control: about peaks_per_second * fan_out landmarks per second
    per_second = len(index) / (len(tracks) * 20.0)
    assert 50 < per_second < FP.DEFAULTS["peaks_per_second"] * FP.DEFAULTS["fan_out"] * 1.1


@pytest.mark.parametrize("name, start", [("track03", 7.3), ("track06", 11.05), ("track00", 0.0)])
def test_clean_excerpt_found_at_offset(index, tracks, name, start):
    y = tracks[name][int(start * SR): int((start + 4) * SR)]
    (best, offset, score), second = FP.query(index, y, sr=SR)[:2]
    assert best == name
    assert abs(offset - start) < 0.05
    assert score > 5 * max(second[2], 1)


def test_robust_to_mp3_and_noise(index, tracks):
    start = 5.5
    y = tracks["track05"][int(start * SR): int((start + 5) * SR)]
    y = codecs.roundtrip(y, sr=SR, codec="mp3", bitrate=64).astype(np.float64)
    y = add_noise(y, 10.0, seed=1)
    best, offset, score = FP.query(index, y, sr=SR)[0]
    assert best == "track05"
    assert abs(offset - start) < 0.05
    assert score >= 30


def test_foreign_clip_not_matched(index):
    foreign = add_noise(synth_music(100, duration=5.0), 20.0)
    results = FP.query(index, foreign, sr=SR)
    assert max((s for _, _, s in results), default=0) < 30
    assert FP.query(index, foreign, sr=SR, min_score=30) == []


def test_deterministic(tracks, index):
    again = FP.build_index(tracks, sr=SR)
    assert np.array_equal(again.hashes, index.hashes)
    assert np.array_equal(again.times, index.times)
    y = tracks["track02"][SR * 3: SR * 7]
    assert FP.query(index, y, sr=SR) == FP.query(again, y, sr=SR)


def test_peaks_and_landmarks_by_hand():
    S = np.full((40, 60), -100.0)
    S[5, 10], S[20, 14], S[30, 50] = 0.0, -3.0, -6.0
    peaks = FP.find_peaks(S, frames_per_second=60)
    assert peaks.tolist() == [[10, 5], [14, 20], [50, 30]]
    h, t = FP.landmarks(peaks, fan_out=5, max_dt=20, max_df=100)
    assert t.tolist() == [10]                    # (14 -> 50) is outside the 20-frame zone
    assert (int(h[0]) >> 18, (int(h[0]) >> 8) & 1023, int(h[0]) & 255) == (5, 20, 4)


def test_evaluate_identification(index, tracks):
    starts = {"track01": 3.0, "track04": 12.5}
    reference = [(name, start) for name, start in starts.items()] + [None]
    queries = [tracks[name][int(start * SR): int((start + 4) * SR)]
               for name, start in starts.items()]
    queries.append(add_noise(synth_music(101, duration=4.0), 20.0))
    estimate = [FP.query(index, q, sr=SR) for q in queries]
    s = FP.evaluate(reference, estimate, min_score=30)
    assert s == {"hit_rate": 1.0, "identification_rate": 1.0, "false_positive_rate": 0.0,
                 "n_known": 2, "n_foreign": 1}
    # a wrong offset is identified but not a hit; a low score is no answer
    wrong = [[("track01", 9.0, 50)], [("track04", 12.52, 20)], []]
    s = FP.evaluate(reference, wrong, min_score=30)
    assert s["identification_rate"] == 0.5 and s["hit_rate"] == 0.0
    assert FP.evaluate(reference, wrong)["hit_rate"] == 0.5
    assert np.isnan(FP.evaluate([None], [None])["hit_rate"])


def test_invalid_audio():
    with pytest.raises(AudioFileError, match="NaN"):
        FP.fingerprint(np.array([np.nan, 0.0, 1.0] * 1000), sr=SR)
    with pytest.raises(AudioFileError, match="bad"):
        FP.build_index({"good": np.zeros(SR), "bad": np.zeros(0)}, sr=SR)


@pytest.mark.parametrize(
    "func, args, kwargs, match",
    [
        (FP.query, ({"not": "an index"}, np.zeros(SR)), dict(sr=SR), "index: expected a "
         "FingerprintIndex"),
        (FP.build_index, ({},), dict(sr=SR), "tracks: empty collection"),
        (FP.build_index, ([("a", np.zeros(SR)), ("a", np.zeros(SR))],), dict(sr=SR),
         "tracks: duplicate"),
        (FP.build_index, ([np.zeros(SR)],), dict(sr=SR), "tracks: expected a dict"),
        (FP.build_index, ({"a": np.zeros(SR)},), dict(sr=SR, fanout=3), "fanout: unknown"),
        (FP.fingerprint, (np.zeros(SR),), dict(sr=SR, n_fft=0), "n_fft"),
        (FP.fingerprint, (np.zeros(SR),), dict(sr=SR, hop=256), "hop: unknown"),
        (FP.spectrogram, (np.zeros(SR),), dict(sr=SR, target_sr=-1), "target_sr"),
        (FP.find_peaks, (np.zeros(5),), {}, "S_db: expected a 2-d"),
        (FP.find_peaks, (np.full((4, 4), np.nan),), {}, "S_db: 16 NaN"),
        (FP.find_peaks, (np.zeros((4, 4)),), dict(neighborhood=3), "neighborhood"),
        (FP.find_peaks, (np.zeros((4, 4)),), dict(peaks_per_second=0), "peaks_per_second"),
        (FP.landmarks, (np.zeros((3, 3), dtype=int),), {}, "peaks: expected integer"),
        (FP.landmarks, (np.array([[0, 2000]]),), {}, "peaks: bin index"),
        (FP.landmarks, (np.array([[5, 1], [2, 1]]),), {}, "peaks: expected rows sorted"),
        (FP.landmarks, (np.array([[0, 1]]),), dict(max_dt=300), "max_dt"),
        (FP.landmarks, (np.array([[0, 1]]),), dict(fan_out=0), "fan_out"),
        (FP.validate, ([("a", 1.0)], []), {}, "estimate: 0 answers for 1"),
        (FP.validate, ([("a", -1.0)], [None]), {}, r"reference\[0\]: offset_s=-1.0"),
        (FP.validate, (["a"], [None]), {}, r"reference\[0\]: expected \(name, offset_s\)"),
        (FP.validate, ([("a", 1.0)], [[("a", np.nan, 3)]]), {}, r"estimate\[0\]\[0\]: "
         "offset_s"),
        (FP.validate, ([("a", 1.0)], [[("a", 1.0)]]), {}, r"estimate\[0\]\[0\]: expected"),
        (FP.validate, ([("a", 1.0)], [3]), {}, r"estimate\[0\]: expected a query"),
        (FP.evaluate, ([("a", 1.0)], [None]), dict(offset_tolerance=-1), "offset_tolerance"),
    ],
)
def test_parameter_errors(func, args, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        func(*args, **kwargs)


def test_excerpts_and_their_truth(tracks):
    clips, ref = FP.excerpts(tracks, sr=SR, duration=4.0, n_excerpts=6, random_state=3)
    assert len(clips) == len(ref) == 6
    for clip, (name, start) in zip(clips, ref):
        first = round(start * SR)
        assert np.array_equal(clip, tracks[name][first: first + 4 * SR])
    again = FP.excerpts(tracks, sr=SR, duration=4.0, n_excerpts=6, random_state=3)
    assert again[1] == ref
    clips, ref = FP.excerpts(tracks, sr=SR, duration=4.0)
    assert [name for name, _ in ref] == list(tracks)


def test_degraded_excerpts_are_found(index, tracks):
    clips, ref = FP.excerpts(tracks, sr=SR, duration=5.0, n_excerpts=4, random_state=0)
    queries = [FP.degrade(q, sr=SR, bitrate=64, snr_db=10.0, random_state=k)
               for k, q in enumerate(clips)]
    noise = queries[0] - clips[0]
    assert 9.0 < 10 * np.log10(np.sum(clips[0] ** 2) / np.sum(noise ** 2)) < 10.5
    s = FP.evaluate(ref, [FP.query(index, q, sr=SR) for q in queries], min_score=30)
    assert s["hit_rate"] == 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"tracks": {}}, "tracks"),
    ({"tracks": {"a": np.zeros(100)}, "duration": 1.0}, "shorter"),
    ({"tracks": {"a": np.zeros(SR)}, "duration": 0.5, "n_excerpts": 0}, "n_excerpts"),
    ({"tracks": {"a": np.zeros(SR)}, "duration": -1.0}, "duration"),
])
def test_excerpts_parameter_errors(kwargs, match):
    tracks = kwargs.pop("tracks")
    with pytest.raises(ParameterError, match=match):
        FP.excerpts(tracks, sr=SR, **kwargs)
