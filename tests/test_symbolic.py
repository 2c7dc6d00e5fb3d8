"""mirbook.symbolic: piano roll vs pretty_midi, MIDI round trip, score to MIDI, time warps."""

import music21
import numpy as np
import pretty_midi
import pytest

from mirbook import scores, symbolic
from mirbook.errors import MissingToolError, ParameterError


def _notes(seed=0, n=40):
    r = np.random.default_rng(seed)
    on = np.sort(r.choice(500, n, replace=False)) * 0.01 + r.uniform(0, 0.003, n)  # >= 7 ms apart
    off = on + r.uniform(0.05, 1.0, n)
    pitches = r.choice(np.arange(30, 100), n, replace=False)  # MIDI cannot overlap one pitch
    return symbolic.validate_notes(np.column_stack([on, off, pitches,
                                                    r.integers(20, 127, n)]))


def _fluidsynth_or_skip():
    from mirbook.synth import check_fluidsynth

    try:
        check_fluidsynth()
    except MissingToolError as exc:  # a system library, not a Python dependency
        pytest.skip(str(exc))


# ---- MIDI, piano roll, chroma ------------------------------------------------------------------


@pytest.mark.parametrize("fs", [100, 31.25])
def test_piano_roll_matches_pretty_midi(fs):
    notes = _notes(6)
    notes = np.vstack([notes, [[1.0, 1.5, notes[0, 2], 50.0]]])  # an overlap of one pitch
    pm = symbolic.notes_to_midi(notes[:30], program=0)
    pm2 = symbolic.notes_to_midi(notes[30:], program=40)
    pm.instruments += pm2.instruments
    ref = pm.get_piano_roll(fs=fs)
    ours = symbolic.piano_roll(pm, frame_rate=fs, pitch_range=(0, 128))
    np.testing.assert_array_equal(ours, ref)
    np.testing.assert_array_equal(symbolic.piano_roll(notes, frame_rate=fs), ref[21:109])


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


@pytest.mark.parametrize("call,match", [
    (lambda: symbolic.piano_roll([[0, 1, 60]], pitch_range=(60, 60)), "pitch_range"),
    (lambda: symbolic.piano_roll([[0, 1, 60]], frame_rate=0), "frame_rate=0"),
    (lambda: symbolic.notes_to_chroma([[0, 1, 60]], np.array([1.0, 0.5])), "increasing"),
    (lambda: symbolic.notes_to_chroma([[0, 1, 60]], np.array([0.5]), weight="loud"), "weight"),
    (lambda: symbolic.notes_to_chroma([[0, 1, 60]], np.array([0.5]), norm=3), "norm=3"),
    (lambda: symbolic.notes_to_midi([[0, 1, 60]], program=128), "0..127"),
    (lambda: symbolic.tempo_warp(duration=1.0, tempo_ratio=0), "tempo_ratio"),
    (lambda: scores.TimeMap([0, 1], [1, 0]), "non-decreasing"),
    (lambda: scores.TimeMap.from_tempo(0), "bpm"),
])
def test_parameter_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_score_to_midi_follows_the_corpus_clock():
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


# ---- time maps ------------------------------------------------------------------


def test_tempo_warp_and_inverse():
    w = symbolic.tempo_warp(duration=10.0, tempo_ratio=1.25, rubato=0.2, period=2.5)
    t = np.linspace(0, 10, 101)
    assert np.all(np.diff(w(t)) > 0)
    # over whole periods, the mean of 1 / (1 + a sin) is 1 / sqrt(1 - a^2)
    assert float(w(10.0)) == pytest.approx(8.0 / np.sqrt(1 - 0.2**2), rel=1e-5)
    np.testing.assert_allclose(w.inverse()(w(t)), t, atol=1e-9)


def test_time_map_extrapolates_with_the_end_slopes():
    w = scores.TimeMap([0, 1, 2], [0, 2, 3])
    np.testing.assert_allclose(w([-1.0, 3.0]), [-2.0, 4.0])
    tm = scores.TimeMap.from_tempo(60, [(1.0, 2.0, 3.0)])
    np.testing.assert_allclose(tm([5.0]), [7.0])  # back to the base tempo after the fermata
    np.testing.assert_allclose(tm.inverse()(tm([0.5, 1.5, 5.0])), [0.5, 1.5, 5.0])


