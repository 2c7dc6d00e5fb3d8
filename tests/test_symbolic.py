"""mirbook.symbolic: DTW vs librosa, piano roll vs pretty_midi, MIDI round trip, alignment."""

import numpy as np
import pytest

librosa = pytest.importorskip("librosa")
pretty_midi = pytest.importorskip("pretty_midi")

from mirbook import symbolic  # noqa: E402
from mirbook.datasets.core import MissingToolError  # noqa: E402


def _notes(seed=0, n=40):
    r = np.random.default_rng(seed)
    on = np.sort(r.choice(500, n, replace=False)) * 0.01 + r.uniform(0, 0.003, n)  # >= 7 ms apart
    off = on + r.uniform(0.05, 1.0, n)
    pitches = r.choice(np.arange(30, 100), n, replace=False)  # MIDI cannot overlap one pitch
    return symbolic.validate_notes(np.column_stack([on, off, pitches,
                                                    r.integers(20, 127, n)]))


def _fluidsynth_or_skip():
    from mirbook.datasets.synth import check_fluidsynth

    try:
        check_fluidsynth()
    except MissingToolError as exc:
        pytest.skip(str(exc))


# ---- DTW ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("weights", [None, [2.0, 1.0, 1.0], [1.0, 1.5, 1.5]])
def test_dtw_matches_librosa(weights):
    r = np.random.default_rng(1)
    for _ in range(15):
        N, M = r.integers(1, 60, size=2)
        C = r.random((N, M))
        D, path = symbolic.dtw(C, weights=weights)
        kw = {} if weights is None else {"weights_mul": np.asarray(weights)}
        D_ref, wp = librosa.sequence.dtw(C=C, **kw)
        np.testing.assert_allclose(D, D_ref, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(path, wp[::-1])


def test_dtw_other_steps_and_additive_weights_match_librosa():
    r = np.random.default_rng(2)
    C = r.random((40, 55))
    steps = np.array([[1, 1], [1, 2], [2, 1]])
    D, path = symbolic.dtw(C, step_sizes=steps, weights_add=[0.0, 0.1, 0.1])
    D_ref, wp = librosa.sequence.dtw(C=C, step_sizes_sigma=steps,
                                     weights_add=np.array([0.0, 0.1, 0.1]))
    np.testing.assert_allclose(D, D_ref, rtol=1e-12)
    np.testing.assert_array_equal(path, wp[::-1])


def test_dtw_ties_on_integer_costs_match_librosa():
    C = np.random.default_rng(3).integers(0, 3, size=(30, 25)).astype(float)
    D, path = symbolic.dtw(C)
    D_ref, wp = librosa.sequence.dtw(C=C)
    np.testing.assert_array_equal(D, D_ref)
    np.testing.assert_array_equal(path, wp[::-1])


def test_dtw_path_invariants():
    r = np.random.default_rng(4)
    X, Y = r.random((12, 70)), r.random((12, 90))
    C = symbolic.cost_matrix(X, Y)
    D, path = symbolic.dtw(C)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (69, 89)
    steps = np.diff(path, axis=0)
    assert {tuple(s) for s in steps} <= {(1, 1), (0, 1), (1, 0)}
    # the accumulated cost at the end is the sum of the costs along the path (unit weights)
    assert np.isclose(D[-1, -1], C[path[:, 0], path[:, 1]].sum())
    assert np.all(np.diff(D[0]) >= 0) and np.all(np.diff(D[:, 0]) >= 0)


def test_dtw_identical_sequences_give_the_diagonal_at_zero_cost():
    X = np.random.default_rng(5).random((12, 50))
    D, path = symbolic.dtw(symbolic.cost_matrix(X, X))
    np.testing.assert_array_equal(path, np.column_stack([np.arange(50), np.arange(50)]))
    assert abs(D[-1, -1]) < 1e-9


def test_dtw_rejects_bad_input():
    with pytest.raises(ValueError, match="C: shape"):
        symbolic.dtw(np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        symbolic.dtw(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="one per step"):
        symbolic.dtw(np.zeros((3, 3)), weights=[1.0, 1.0])
    with pytest.raises(ValueError, match="move forward"):
        symbolic.dtw(np.zeros((3, 3)), step_sizes=[[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="no warping path"):  # only diagonal steps, 3 x 5
        symbolic.dtw(np.zeros((3, 5)), step_sizes=[[1, 1]])


# ---- MIDI, piano roll, chroma ------------------------------------------------------------------


@pytest.mark.parametrize("fs", [100, 31.25])
def test_piano_roll_matches_pretty_midi(fs):
    notes = _notes(6)
    notes = np.vstack([notes, [[1.0, 1.5, notes[0, 2], 50.0]]])  # an overlap of one pitch
    pm = symbolic.notes_to_midi(notes[:30], program=0)
    pm2 = symbolic.notes_to_midi(notes[30:], program=40)
    pm.instruments += pm2.instruments
    ref = pm.get_piano_roll(fs=fs)
    ours = symbolic.piano_roll(pm, fs=fs, pitch_range=(0, 128))
    np.testing.assert_array_equal(ours, ref)
    np.testing.assert_array_equal(symbolic.piano_roll(notes, fs=fs), ref[21:109])


def test_midi_round_trip_through_a_file(tmp_path):
    notes = _notes(7)
    bpm, resolution = 96.0, 480
    pm = symbolic.notes_to_midi(notes, program=19, bpm=bpm, resolution=resolution)
    path = tmp_path / "notes.mid"
    pm.write(str(path))
    back = pretty_midi.PrettyMIDI(str(path))
    got = symbolic.midi_to_notes(back)
    tick = 60.0 / (bpm * resolution)
    assert got.shape == notes.shape
    np.testing.assert_array_equal(got[:, 2:], notes[:, 2:].round())
    assert np.abs(got[:, :2] - notes[:, :2]).max() <= tick
    assert back.instruments[0].program == 19
    assert np.isclose(back.get_tempo_changes()[1][0], bpm)


def test_notes_to_chroma_and_validation():
    notes = [[0.0, 1.0, 60, 100], [0.5, 1.0, 67, 100], [0.0, 2.0, 72, 50]]
    ch = symbolic.notes_to_chroma(notes, np.array([0.25, 0.75, 1.5, 2.5]), norm=None)
    np.testing.assert_array_equal(ch[0], [150, 150, 50, 0])
    np.testing.assert_array_equal(ch[7], [0, 100, 0, 0])
    assert ch.sum() == 150 + 250 + 50
    with pytest.raises(ValueError, match="offset"):
        symbolic.piano_roll([[1.0, 0.5, 60]])


def test_score_to_midi_follows_the_corpus_clock():
    music21 = pytest.importorskip("music21")
    from mirbook.datasets import scores

    score = music21.corpus.parse("bach/bwv269")
    pm = symbolic.score_to_midi(score, bpm=90)
    ev = scores.score_events(scores.expand(score), bpm=90)
    assert len(pm.instruments) == ev["n_parts"] == 4
    got = symbolic.midi_to_notes(pm)
    ref = np.array(sorted((a, b, m) for a, b, m, _ in ev["notes"]))
    ref = ref[np.lexsort((ref[:, 1], ref[:, 2], ref[:, 0]))]
    np.testing.assert_allclose(got[:, :3], ref)
    # no fermata held: a quarter note lasts 60 / 90 s from the first to the last note
    q_onsets = np.unique([a for a, _, _, _ in ev["notes_q"]])
    np.testing.assert_allclose(np.unique(got[:, 0]), q_onsets * 60 / 90)
    ts = pm.time_signature_changes[0]
    assert f"{ts.numerator}/{ts.denominator}" == scores.time_signature(score)


# ---- time warps and alignment ------------------------------------------------------------------


def test_tempo_warp_and_inverse():
    w = symbolic.tempo_warp(10.0, tempo_ratio=1.25, rubato=0.2, period=2.5)
    t = np.linspace(0, 10, 101)
    assert np.all(np.diff(w(t)) > 0)
    # over whole periods, the mean of 1 / (1 + a sin) is 1 / sqrt(1 - a^2)
    assert float(w(10.0)) == pytest.approx(8.0 / np.sqrt(1 - 0.2**2), rel=1e-5)
    np.testing.assert_allclose(w.inverse()(w(t)), t, atol=1e-9)


def test_alignment_error():
    e = symbolic.alignment_error([0, 1, 2, 3], [0.02, 1.0, 2.2, 3.06])
    assert e["max"] == pytest.approx(0.2) and e["median"] == pytest.approx(0.04)
    assert e["within_50ms"] == 0.5 and e["within_100ms"] == 0.75
    with pytest.raises(ValueError, match="same"):
        symbolic.alignment_error([0, 1], [0])


def test_align_recovers_a_time_warp():
    """A chorale excerpt at tempo A, and the same notes faster with rubato, aligned by DTW."""
    pytest.importorskip("music21")
    _fluidsynth_or_skip()
    sr = 22050
    notes = symbolic.midi_to_notes(symbolic.score_to_midi("bach/bwv269", bpm=80))
    score = notes[notes[:, 1] <= 10.0]
    warp = symbolic.tempo_warp(score[:, 1].max(), tempo_ratio=1.3, rubato=0.15, period=3.0)
    y = symbolic.render(symbolic.warp_notes(score, warp), sr, program=0)
    al = symbolic.align(score, y, sr, hop_length=512)
    onsets = np.unique(score[:, 0])
    err = symbolic.alignment_error(warp(onsets), al(onsets))
    assert err["median"] < 0.05, err
    assert err["within_100ms"] >= 0.9, err
    # the path is monotone and spans both files
    assert np.all(np.diff(al.path, axis=0) >= 0)
    assert tuple(al.path[-1]) == (al.C.shape[0] - 1, al.C.shape[1] - 1)
