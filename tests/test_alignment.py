"""mirbook.alignment: score-to-audio alignment by DTW on chroma, validate() and evaluate()."""

import numpy as np
import pytest

from mirbook import alignment, symbolic
from mirbook.errors import MissingToolError, ParameterError


def _fluidsynth_or_skip():
    from mirbook.synth import check_fluidsynth

    try:
        check_fluidsynth()
    except MissingToolError as exc:  # a system library, not a Python dependency
        pytest.skip(str(exc))


def test_evaluate():
    e = alignment.evaluate([0, 1, 2, 3], [0.02, 1.0, 2.2, 3.06])
    assert e["max"] == pytest.approx(0.2) and e["median"] == pytest.approx(0.04)
    assert e["within_50ms"] == 0.5 and e["within_100ms"] == 0.75


@pytest.mark.parametrize("ref,est,match", [
    ([0, 1], [0], "same non-zero length"),
    ([], [], "same non-zero length"),
    ([[0, 1]], [[0, 1]], "1-D"),
    ([0, np.nan], [0, 1], "NaN/Inf"),
])
def test_validate_rejects(ref, est, match):
    with pytest.raises(ParameterError, match=match):
        alignment.validate(ref, est)
    with pytest.raises(ParameterError, match=match):
        alignment.evaluate(ref, est)


@pytest.mark.parametrize("kwargs,match", [
    ({"feature": "mfcc"}, "feature='mfcc'"),
    ({"notes": np.zeros((0, 4))}, "no notes"),
    ({"y": np.zeros((2, 22050))}, "mono"),
])
def test_align_rejects(kwargs, match):
    args = {"notes": [[0.0, 0.5, 60, 80]], "y": np.zeros(22050), **kwargs}
    with pytest.raises(ParameterError, match=match):
        alignment.align(args.pop("notes"), args.pop("y"), sr=22050, **args)


def test_symbolic_alignment_of_a_rendering_needs_no_synthesizer():
    notes = np.array([[0.0, 0.5, 60, 90], [0.5, 1.0, 64, 90], [1.0, 1.5, 67, 90]])
    sr, t = 22050, np.arange(int(1.6 * 22050)) / 22050
    y = sum(np.sin(2 * np.pi * 440 * 2 ** ((p - 69) / 12) * t) * ((t >= a) & (t < b))
            for a, b, p, _ in notes)
    al = alignment.align(notes, y, sr=sr, feature="symbolic")
    err = alignment.evaluate(notes[:, 0], al(notes[:, 0]))
    assert err["max"] < 0.1, err





def test_align_recovers_a_time_warp():
    """A chorale excerpt at tempo A, and the same notes faster with rubato, aligned by DTW."""
    _fluidsynth_or_skip()
    sr = 22050
    notes = symbolic.midi_to_notes(symbolic.score_to_midi("bach/bwv269", bpm=80))
    score = notes[notes[:, 1] <= 10.0]
    warp = symbolic.tempo_warp(duration=score[:, 1].max(), tempo_ratio=1.3, rubato=0.15,
                               period=3.0)
    y = symbolic.render(symbolic.warp_notes(score, warp=warp), sr=sr, program=0)
    al = alignment.align(score, y, sr=sr, hop_length=512)
    onsets = np.unique(score[:, 0])
    err = alignment.evaluate(warp(onsets), al(onsets))
    assert err["median"] < 0.05, err
    assert err["within_100ms"] >= 0.9, err
    # the path is monotone and spans both files
    assert np.all(np.diff(al.path, axis=0) >= 0)
    assert tuple(al.path[-1]) == (al.C.shape[0] - 1, al.C.shape[1] - 1)
