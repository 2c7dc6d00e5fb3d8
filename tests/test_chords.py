"""mirbook.chords: vocabularies and templates against mir_eval, HMM vs frame-wise decoding."""

import mir_eval
import numpy as np
import pytest

from mirbook import chords
from mirbook.errors import ParameterError


@pytest.mark.parametrize("name, size", [("majmin", 25), ("triads", 49), ("sevenths", 61)])
def test_vocabulary_labels_are_valid_harte(name, size):
    labels = chords.vocabulary(name)
    assert len(labels) == len(set(labels)) == size
    assert labels[-1] == "N"
    mir_eval.chord.validate(labels, labels)           # raises on a malformed label
    for label in labels:
        mir_eval.chord.encode(label)


@pytest.mark.parametrize("name", ["majmin", "triads", "sevenths"])
def test_templates_equal_mir_eval_bitmaps(name):
    labels = chords.vocabulary(name)
    T = chords.chord_templates(name, no_chord="zero")
    assert T.shape == (len(labels), 12)
    roots, bitmaps, _ = mir_eval.chord.encode_many(labels)
    absolute = mir_eval.chord.rotate_bitmaps_to_roots(bitmaps, roots)
    np.testing.assert_array_equal(T, absolute)
    np.testing.assert_array_equal(chords.chord_templates(name)[-1], np.ones(12))  # flat "N"


def test_templates_accept_other_spellings():
    np.testing.assert_array_equal(chords.chord_templates(["Db:min", "C#:min"])[0],
                                  chords.chord_templates(["Db:min", "C#:min"])[1])
    with pytest.raises(ParameterError, match="quality"):
        chords.chord_templates(["C:sus9"])
    with pytest.raises(ParameterError, match="root"):
        chords.chord_templates(["H:maj"])


def test_match_templates_metrics():
    T = chords.chord_templates("majmin")
    s = chords.match_templates(T[:24].T, T)           # each template as a chroma frame
    assert s.shape == (25, 24)
    np.testing.assert_allclose(np.diag(s[:24]), 1.0)
    assert np.array_equal(s.argmax(axis=0), np.arange(24))
    r = chords.match_templates(T[:24].T, T, metric="correlation")
    assert np.array_equal(r.argmax(axis=0), np.arange(24))
    np.testing.assert_allclose(r[24], 0.0)             # a flat template correlates with nothing
    silent = chords.match_templates(np.zeros((12, 3)), T)
    np.testing.assert_array_equal(silent, 0.0)


def test_chord_hmm_rows():
    A = chords.chord_hmm(25, p_self=0.8)
    np.testing.assert_allclose(A.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.diag(A), 0.8)


def synthetic_song(seed, n_segments=40, frames_per_seg=(6, 16), noise=0.25, p_spurious=0.12):
    """Template chroma per segment + noise + random spurious frames; returns chroma, labels."""
    rng = np.random.default_rng(seed)
    labels = chords.vocabulary("majmin")
    T = chords.chord_templates("majmin")
    frame_labels, frames = [], []
    for _ in range(n_segments):
        c = int(rng.integers(24))
        for _ in range(int(rng.integers(*frames_per_seg))):
            frame_labels.append(labels[c])
            shown = int(rng.integers(24)) if rng.random() < p_spurious else c
            frames.append(T[shown] + noise * rng.random(12))
    return np.array(frames).T, frame_labels


@pytest.mark.parametrize("seed", range(5))
def test_hmm_beats_framewise_on_majmin(seed):
    chroma, ref = synthetic_song(seed)
    times = np.arange(len(ref)) * 0.1
    ref_iv, ref_lab = chords.frames_to_intervals(ref, times)
    scores = {}
    for method in ("frame", "hmm"):
        est = chords.decode(chroma, vocabulary="majmin", method=method, p_self=0.9)
        est_iv, est_lab = chords.frames_to_intervals(est, times)
        scores[method] = chords.evaluate(ref_iv, ref_lab, est_iv, est_lab)["majmin"]
    assert scores["hmm"] > scores["frame"] + 0.03, scores
    assert scores["hmm"] > 0.93


def test_perfect_input_scores_one():
    T = chords.chord_templates("sevenths")
    labels = chords.vocabulary("sevenths")
    rng = np.random.default_rng(0)
    idx = np.repeat(rng.permutation(60)[:20], 5)
    chroma = T[idx].T
    times = np.arange(len(idx)) * 0.25
    ref_iv, ref_lab = chords.frames_to_intervals([labels[i] for i in idx], times)
    for method in ("frame", "hmm"):
        est = chords.decode(chroma, vocabulary="sevenths", method=method)
        assert est == [labels[i] for i in idx]
        est_iv, est_lab = chords.frames_to_intervals(est, times)
        scores = chords.evaluate(ref_iv, ref_lab, est_iv, est_lab)
        assert set(scores) == {"root", "majmin", "triads", "sevenths", "mirex"}
        for v in scores.values():
            assert v == pytest.approx(1.0)


def test_frames_to_intervals_merges_runs():
    iv, lab = chords.frames_to_intervals(["N", "N", "C:maj", "C:maj", "N"], [0, 1, 2, 3, 4],
                                         end_time=6)
    assert lab == ["N", "C:maj", "N"]
    np.testing.assert_array_equal(iv, [[0, 2], [2, 4], [4, 6]])
    with pytest.raises(ParameterError, match="times: shape"):
        chords.frames_to_intervals(["N", "N"], [0.0])
    with pytest.raises(ParameterError, match="increasing"):
        chords.frames_to_intervals(["N", "N"], [1.0, 0.0])


def test_evaluate_partial():
    iv = np.array([[0.0, 1.0], [1.0, 3.0]])
    s = chords.evaluate(iv, ["C:maj", "A:min7"], iv, ["C:maj", "A:min"])
    assert s["majmin"] == pytest.approx(1.0)
    assert s["sevenths"] == pytest.approx(1 / 3)
    assert s["root"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "chroma, match",
    [
        (np.ones((20, 12)), r"expected \(12, n_frames\) \(transpose it\?\)"),
        (np.ones((12,)), r"expected \(12, n_frames\)"),
        (-np.ones((12, 4)), "chroma: 48 negative"),
        (np.full((12, 4), np.nan), "chroma: 48 NaN/Inf"),
    ],
)
def test_validate_rejects(chroma, match):
    with pytest.raises(ParameterError, match=match):
        chords.decode(chroma)


@pytest.mark.parametrize("call,match", [
    (lambda: chords.decode(np.ones((12, 3)), method="crf"), "method"),
    (lambda: chords.decode(np.ones((12, 3)), vocabulary="jazz"), "vocabulary"),
    (lambda: chords.match_templates(np.ones((12, 3)), np.ones((5, 11))), "templates"),
])
def test_decode_bad_args(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
