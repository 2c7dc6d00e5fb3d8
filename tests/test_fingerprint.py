"""Landmark fingerprinting (mirbook.fingerprint, chapter 3): excerpts are found at the right
offset, also after MP3 coding and noise; foreign clips are not; everything is deterministic."""

import numpy as np
import pytest

from mirbook import codecs
from mirbook import fingerprint as FP

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
    (best, offset, score), second = FP.query(index, y, SR)[:2]
    assert best == name
    assert abs(offset - start) < 0.05
    assert score > 5 * max(second[2], 1)


def test_robust_to_mp3_and_noise(index, tracks):
    start = 5.5
    y = tracks["track05"][int(start * SR): int((start + 5) * SR)]
    y = codecs.roundtrip(y, SR, "mp3", bitrate=64).astype(np.float64)
    y = add_noise(y, 10.0, seed=1)
    best, offset, score = FP.query(index, y, SR)[0]
    assert best == "track05"
    assert abs(offset - start) < 0.05
    assert score >= 30


def test_foreign_clip_not_matched(index):
    foreign = add_noise(synth_music(100, duration=5.0), 20.0)
    results = FP.query(index, foreign, SR)
    assert max((s for _, _, s in results), default=0) < 30
    assert FP.query(index, foreign, SR, min_score=30) == []


def test_deterministic(tracks, index):
    again = FP.build_index(tracks, sr=SR)
    assert np.array_equal(again.hashes, index.hashes)
    assert np.array_equal(again.times, index.times)
    y = tracks["track02"][SR * 3: SR * 7]
    assert FP.query(index, y, SR) == FP.query(again, y, SR)


def test_peaks_and_landmarks_by_hand():
    S = np.full((40, 60), -100.0)
    S[5, 10], S[20, 14], S[30, 50] = 0.0, -3.0, -6.0
    peaks = FP.find_peaks(S, frames_per_second=60)
    assert peaks.tolist() == [[10, 5], [14, 20], [50, 30]]
    h, t = FP.landmarks(peaks, fan_out=5, max_dt=20, max_df=100)
    assert t.tolist() == [10]                    # (14 -> 50) is outside the 20-frame zone
    assert (int(h[0]) >> 18, (int(h[0]) >> 8) & 1023, int(h[0]) & 255) == (5, 20, 4)


def test_invalid_input():
    with pytest.raises(Exception):
        FP.fingerprint(np.array([np.nan, 0.0, 1.0] * 1000), SR)
    with pytest.raises(TypeError):
        FP.query({"not": "an index"}, np.zeros(SR), SR)
    with pytest.raises(ValueError):
        FP.build_index({}, sr=SR)
