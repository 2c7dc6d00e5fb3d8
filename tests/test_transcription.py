"""mirbook.transcription: activations -> notes, and the mir_eval wrappers."""

import mir_eval
import numpy as np
import pytest

from mirbook import transcription as tr
from mirbook.errors import ParameterError

SR, HOP = 22050, 512
STEP = HOP / SR


def synthetic_activations(seed=0, n_notes=25, n_frames=800, noise=0.03):
    """Activation rows with known notes (attack + decay envelopes) plus noise."""
    rng = np.random.default_rng(seed)
    pitches = np.arange(48, 72)
    H = noise * rng.random((len(pitches), n_frames))
    notes = []
    for _ in range(n_notes):
        k = int(rng.integers(len(pitches)))
        start = int(rng.integers(0, n_frames - 60))
        length = int(rng.integers(10, 50))
        if np.any(H[k, max(0, start - 5):start + length + 5] > 0.2):
            continue                                     # keep notes of a pitch apart
        amp = rng.uniform(0.5, 1.0)
        H[k, start:start + length] += amp * np.linspace(1.0, 0.5, length)
        notes.append((start * STEP, (start + length) * STEP, pitches[k], amp))
    notes = np.array(sorted(notes))
    return H, pitches, notes


def test_recovers_known_notes_exactly():
    H, pitches, ref = synthetic_activations()
    est = tr.activations_to_notes(H, pitches, sr=SR, hop_length=HOP, threshold=0.2)
    assert est.shape == ref.shape
    est = est[np.lexsort((est[:, 2], est[:, 0]))]
    ref = ref[np.lexsort((ref[:, 2], ref[:, 0]))]
    np.testing.assert_allclose(est[:, :3], ref[:, :3], atol=1e-9)
    # velocity follows the peak activation
    assert np.corrcoef(est[:, 3], ref[:, 3])[0, 1] > 0.95
    assert est[:, 3].min() >= 1 and est[:, 3].max() == 127
    scores = tr.evaluate(ref, est)
    assert scores["F-measure"] == pytest.approx(1.0)
    assert scores["F-measure_no_offset"] == pytest.approx(1.0)
    frames = tr.evaluate_frames(ref, est)
    assert frames["Accuracy"] == pytest.approx(1.0)


def test_frame_times_equal_sr_hop():
    H, pitches, _ = synthetic_activations(1)
    a = tr.activations_to_notes(H, pitches, sr=SR, hop_length=HOP)
    b = tr.activations_to_notes(H, pitches, frame_times=np.arange(H.shape[1]) * STEP)
    np.testing.assert_allclose(a, b)


def test_hysteresis_and_min_duration():
    H = np.zeros((1, 20))
    H[0, 2:12] = [1.0, 0.9, 0.3, 0.3, 0.9, 1.0, 0.3, 0.05, 0.0, 0.0]
    H[0, 15] = 0.8                                        # a one-frame blip
    kw = dict(sr=1000, hop_length=10)
    k0 = dict(kw, min_duration=0.0)
    notes = tr.activations_to_notes(H, [60], threshold=0.5, threshold_off=0.2, **k0)
    # the dips to 0.3 stay above threshold_off: one note from frame 2 to 8 (ends at 0.09 s)
    assert notes[:, :3].round(6).tolist() == [[0.02, 0.09, 60.0], [0.15, 0.16, 60.0]]
    notes = tr.activations_to_notes(H, [60], threshold=0.5, threshold_off=0.5, **k0)
    assert notes[:, 0].round(6).tolist() == [0.02, 0.06, 0.15]           # no hysteresis
    notes = tr.activations_to_notes(H, [60], threshold=0.5, threshold_off=0.2,
                                    min_duration=0.02, **kw)
    assert len(notes) == 1                                # the blip is dropped
    notes = tr.activations_to_notes(H * 5, [60], threshold=2.0, relative=False, **k0)
    assert len(notes) == 2
    assert tr.activations_to_notes(np.zeros((2, 5)), [60, 61], **kw).shape == (0, 4)


def test_notes_to_mir_eval():
    iv, hz = tr.notes_to_mir_eval([[0.0, 0.5, 60, 80], [0.25, 1.0, 69, 90]])
    np.testing.assert_allclose(iv, [[0.0, 0.5], [0.25, 1.0]])
    np.testing.assert_allclose(hz, mir_eval.util.midi_to_hz(np.array([60, 69])))
    mir_eval.transcription.validate(iv, hz, iv, hz)


def test_evaluate_onset_only_vs_offsets():
    ref = np.array([[0.0, 1.0, 60], [1.0, 2.0, 64], [2.0, 3.0, 67]])
    est = ref.copy()
    est[:, 0] += 0.02                                     # onsets within 50 ms
    est[0, 1] = 0.3                                       # first offset far off
    est[2, 2] = 68                                        # wrong pitch
    s = tr.evaluate(ref, est)
    assert s["Precision_no_offset"] == pytest.approx(2 / 3)
    assert s["Recall_no_offset"] == pytest.approx(2 / 3)
    assert s["F-measure"] == pytest.approx(1 / 3)
    assert tr.evaluate(ref, np.zeros((0, 4)))["F-measure"] == 0.0


def test_multipitch_frames():
    notes = [[0.0, 0.05, 60], [0.02, 0.04, 64]]
    t, f = tr.multipitch_frames(notes, np.arange(0, 0.06, 0.01))
    assert [len(x) for x in f] == [1, 1, 2, 2, 1, 0]
    np.testing.assert_allclose(f[2], mir_eval.util.midi_to_hz(np.array([60, 64])))
    s = tr.evaluate_frames(notes, [[0.0, 0.05, 60]], time_step=0.01)
    assert s["Precision"] == pytest.approx(1.0)
    assert s["Recall"] == pytest.approx(5 / 7)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(H=-np.ones((2, 5)), pitches=[60, 61], sr=SR, hop_length=HOP), "non-negative"),
        (dict(H=np.ones(5), pitches=[60], sr=SR, hop_length=HOP), "expected"),
        (dict(H=np.ones((2, 5)), pitches=[60], sr=SR, hop_length=HOP), "pitches"),
        (dict(H=np.ones((2, 5)), pitches=[60, 61]), "frame_times, or sr and hop_length"),
        (dict(H=np.ones((2, 5)), pitches=[60, 61], frame_times=np.arange(4)), "frame_times"),
        (dict(H=np.ones((2, 5)), pitches=[60, 61], sr=SR, hop_length=HOP, threshold=0.1,
              threshold_off=0.5), "threshold_off"),
        (dict(H=np.full((2, 5), np.nan), pitches=[60, 61], sr=SR, hop_length=HOP), "H: 10 NaN"),
        (dict(H=np.ones((2, 0)), pitches=[60, 61], sr=SR, hop_length=HOP), "H: empty"),
        (dict(H=np.ones((2, 5)), pitches=[60, 61], sr=SR, hop_length=0), "hop_length"),
        (dict(H=np.ones((2, 5)), pitches=[60, 61], frame_times=[0, 1, 1, 2, 3]),
         "strictly increasing"),
        (dict(H=np.ones((2, 5)), pitches=[60, 61], sr=SR, hop_length=HOP, threshold=-1),
         "threshold"),
        (dict(H=np.ones((2, 5)), pitches=[60, 61], sr=SR, hop_length=HOP, min_duration=np.nan),
         "min_duration"),
    ],
)
def test_activations_validation(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        tr.activations_to_notes(**kwargs)


@pytest.mark.parametrize(
    "notes, match",
    [
        ([[0.5, 0.4, 60]], "offset 0.4 <= onset 0.5"),
        ([[0.0, 1.0]], "expected"),
        ([[-1.0, 1.0, 60]], "negative onset"),
        ([[0.0, 1.0, 200]], r"\[0, 127\]"),
        ([[0.0, np.nan, 60]], "NaN"),
        ([["a", "b", "c"]], "array of numbers"),
    ],
)
def test_note_validation(notes, match):
    with pytest.raises(ParameterError, match="ref_notes: .*" + match):
        tr.evaluate(notes, [[0.0, 1.0, 60]])
    with pytest.raises(ParameterError, match="est_notes: .*" + match):
        tr.evaluate_frames([[0.0, 1.0, 60]], notes)
    with pytest.raises(ParameterError, match="notes: .*" + match):
        tr.validate(notes)


@pytest.mark.parametrize(
    "func, kwargs, match",
    [
        (tr.evaluate, dict(onset_tolerance=-0.1), "onset_tolerance"),
        (tr.evaluate, dict(pitch_tolerance=np.inf), "pitch_tolerance"),
        (tr.evaluate_frames, dict(time_step=0.0), "time_step"),
        (tr.evaluate_frames, dict(duration=-1.0), "duration"),
    ],
)
def test_evaluate_parameter_errors(func, kwargs, match):
    ref = [[0.0, 1.0, 60]]
    with pytest.raises(ParameterError, match=match):
        func(ref, ref, **kwargs)


def test_multipitch_times_validation():
    with pytest.raises(ParameterError, match="times: expected a 1-d"):
        tr.multipitch_frames([[0.0, 1.0, 60]], np.zeros((2, 2)))


# --- chapter 9 helpers -------------------------------------------------------------------------

def test_read_notes_inverts_write_notes(tmp_path):
    from mirbook import scores

    path = scores.write_notes(tmp_path / "x.notes.txt", [(0.5, 1.5, 69, 80), (2.0, 3.0, 60, 80)])
    notes = tr.read_notes(path)
    np.testing.assert_allclose(notes, [[0.5, 1.5, 69, 100], [2.0, 3.0, 60, 100]])
    cut = tr.read_notes(path, end_time=1.0, velocity=80)
    np.testing.assert_allclose(cut, [[0.5, 1.0, 69, 80]])
    with pytest.raises(ParameterError, match="end_time"):
        tr.read_notes(path, end_time=0)


def test_magnitude_keeps_the_bins_below_fmax():
    t = np.arange(22050) / 22050
    X = tr.magnitude(np.sin(2 * np.pi * 1000 * t), sr=22050, n_fft=4096, hop_length=512,
                     fmax=5000.0)
    assert X.shape == (int(5000 * 4096 / 22050) + 1, 44)
    assert abs(np.argmax(X[:, 20]) * 22050 / 4096 - 1000) < 22050 / 4096


def test_name_and_merge_components():
    combs = np.eye(4)[:, :3]
    W = np.array([[0.1, 0.0, 2.0], [0.0, 0.2, 0.0], [0.9, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(tr.name_components(W, templates=combs, pitches=[60, 62, 64]),
                                  [64, 62, 60])
    W2 = np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 2.0]])
    Hm, p = tr.merge_components(W2, np.ones((3, 5)), templates=np.eye(2), pitches=[50, 40])
    np.testing.assert_array_equal(p, [40, 50])
    np.testing.assert_allclose(Hm, [[2.0] * 5, [4.0] * 5])
    with pytest.raises(ParameterError, match="templates"):
        tr.name_components(W, templates=np.eye(3), pitches=[1, 2, 3])
    with pytest.raises(ParameterError, match="H"):
        tr.merge_components(W2, np.ones((2, 5)), templates=np.eye(2), pitches=[50, 40])


def test_score_activations_matches_evaluate():
    H, pitches, notes = synthetic_activations()
    s = tr.score_activations(H, notes, pitches=pitches, threshold=0.3, sr=SR, hop_length=HOP,
                             min_duration=0.06)
    est = tr.activations_to_notes(H, pitches, sr=SR, hop_length=HOP, threshold=0.3,
                                  min_duration=0.06)
    ref = tr.evaluate(notes, est)
    f = tr.evaluate_frames(notes, est)
    assert s[0] == ref["F-measure_no_offset"] and s[1] == ref["F-measure"]
    assert s[2] == pytest.approx(2 * f["Precision"] * f["Recall"] / (f["Precision"] + f["Recall"]))
    assert s[0] > 0.9


def test_tune_threshold_picks_the_best_mean():
    H, pitches, notes = synthetic_activations()
    th, s, info = tr.tune_threshold([H, H], [notes, notes], pitches=pitches,
                                    thresholds=[0.01, 0.3], sr=SR, hop_length=HOP,
                                    return_info=True)
    assert th == 0.3 and set(info["table"]) == {0.01, 0.3}
    assert info["table"][0.3][0] > info["table"][0.01][0]
    np.testing.assert_array_equal(s, info["table"][0.3])
    th2, _ = tr.tune_threshold([H], [notes], pitches=[pitches], thresholds=[0.01, 0.3],
                               sr=SR, hop_length=HOP, criterion="frame F")
    assert th2 in (0.01, 0.3)


@pytest.mark.parametrize("kwargs, match", [
    ({"H": [], "ref_notes": []}, "H"),
    ({"thresholds": []}, "thresholds"),
    ({"criterion": "accuracy"}, "criterion"),
])
def test_tune_threshold_mistakes(kwargs, match):
    H, pitches, notes = synthetic_activations()
    args = {"H": [H], "ref_notes": [notes], "pitches": pitches, "thresholds": [0.3], **kwargs}
    with pytest.raises(ParameterError, match=match):
        tr.tune_threshold(**args)
