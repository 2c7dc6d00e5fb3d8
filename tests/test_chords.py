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


# --- chapter 8 helpers -------------------------------------------------------------------------

def _triad(freqs, sr=22050, seconds=1.0):
    t = np.arange(int(seconds * sr)) / sr
    return sum(np.sin(2 * np.pi * f * t) for f in freqs)


def test_cqt_chroma_finds_the_notes_and_folds_energy():
    y = _triad([261.63, 329.63, 392.0])                      # C E G
    X = chords.cqt_chroma(y, sr=22050)
    assert X.shape[0] == 12 and np.isclose(X.max(axis=0), 1).all()
    assert sorted(np.argsort(X.mean(axis=1))[-3:].tolist()) == [0, 4, 7]
    E = chords.cqt_chroma(y, sr=22050, power=2, norm=None)
    M = chords.cqt_chroma(y, sr=22050, norm=None)
    assert np.all(E >= 0) and not np.allclose(E, M**2)       # summed after squaring
    assert chords.decode(X, vocabulary="majmin", method="frame",
                         metric="correlation")[5] == "C:maj"


def test_frame_times_start_at_zero_and_are_centred():
    t = chords.frame_times(n_frames=5, sr=22050, hop_length=2048)
    np.testing.assert_allclose(t, np.array([0, 0.5, 1.5, 2.5, 3.5]) * 2048 / 22050)


def test_evaluate_decoding_weights_clips_by_duration():
    X = np.zeros((12, 20))
    X[[0, 4, 7]] = 1                                         # C major throughout
    iv_long, iv_short = np.array([[0.0, 15.0]]), np.array([[0.0, 5.0]])
    s = chords.evaluate_decoding([X, X], [iv_long, iv_short], [["C:maj"], ["A:min"]],
                                 end_times=[20.0, 20.0], sr=1, hop_length=1,
                                 metric="correlation", method="frame")
    assert s["majmin"] == pytest.approx(15 / 20)             # right on 15 s, wrong on 5 s
    assert set(s) == {"root", "majmin", "triads", "sevenths", "mirex"}


@pytest.mark.parametrize("kwargs, match", [
    ({"chroma": [], "ref_intervals": [], "ref_labels": []}, "chroma"),
    ({"chroma": [np.ones((12, 3))], "ref_intervals": [], "ref_labels": []}, "ref_intervals"),
    ({"chroma": [np.ones((12, 3))], "ref_intervals": [np.array([[0.0, 1.0]])],
      "ref_labels": [["N"]], "end_times": [1.0, 2.0]}, "end_times"),
])
def test_evaluate_decoding_mistakes(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        chords.evaluate_decoding(**kwargs)


@pytest.mark.parametrize("label, expected", [
    ("A:min7", "A:min"), ("B:dim", "B:min"), ("B:hdim7", "B:min"), ("G:7", "G:maj"),
    ("C:maj7", "C:maj"), ("F#:aug", "F#:maj"), ("N", "N"),
])
def test_reduce_to_majmin(label, expected):
    assert chords.reduce_to_majmin(label) == expected


@pytest.mark.parametrize("ref, est, family", [
    ("C:maj", "C:min", "parallel (same root)"), ("A:maj", "F#:min", "relative maj/min"),
    ("A:min", "C:maj", "relative maj/min"), ("G:maj", "B:min", "mediant (2 notes shared)"),
    ("F:maj", "C:maj", "root a fifth away"), ("E:min", "Bb:maj", "other"),
    ("N", "C:maj", "with N"), ("C:maj", "N", "with N"),
])
def test_confusion_family(ref, est, family):
    assert chords.confusion_family(ref, est) == family
    assert family in chords.CONFUSION_FAMILIES


def test_sonify_plays_the_chord_pitch_classes():
    sr = 8000
    y = chords.sonify(np.array([[0.0, 1.0], [1.0, 2.0]]), ["A:min", "N"], sr=sr, length=2 * sr)
    assert y.shape == (2 * sr,) and np.all(y[sr:] == 0)
    spectrum = np.abs(np.fft.rfft(y[:sr]))
    peaks = sorted(np.argsort(spectrum)[-3:].tolist())       # 1 Hz bins
    expected = [round(440.0 * 2 ** ((m - 69) / 12)) for m in (60, 64, 69)]  # C4 E4 A4
    assert peaks == expected
    with pytest.raises(ParameterError, match="intervals"):
        chords.sonify(np.zeros((2, 3)), ["N", "N"], sr=sr, length=10)


def test_parse_label_is_public():
    assert "parse_label" in chords.__all__ and chords.parse_label("A:min") == (9, "min")
