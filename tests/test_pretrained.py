"""mirbook.pretrained: basic-pitch's ONNX transcriber behind chapter 9's note format.

Checked against basic-pitch's own file-based inference (``run_inference``), on rendered piano
from :mod:`mirbook.synth`, and for the one MissingToolError when it is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

from mirbook import pretrained as P
from mirbook import transcription as TR
from mirbook.errors import MissingToolError, ParameterError

SR = 22050
needs_basic_pitch = pytest.mark.skipif(not P.available(),
                                       reason="basic-pitch/onnxruntime not installed")


def _render_or_skip(notes, **kw):
    from mirbook import symbolic

    try:
        return symbolic.render(notes, sr=SR, **kw)
    except MissingToolError as exc:
        pytest.skip(str(exc))


# a C major scale, then a C major triad (rendered piano, FluidSynth)
SCALE = np.array([[0.5 * i, 0.5 * i + 0.4, p, 90] for i, p in
                  enumerate([60, 62, 64, 65, 67, 69, 71, 72])], dtype=float)
CHORD = np.array([[4.5, 6.0, p, 90] for p in (48, 52, 55)], dtype=float)
PIECE = np.vstack([SCALE, CHORD])


@pytest.fixture(scope="module")
def piece():
    return _render_or_skip(PIECE, duration=7.0)


@pytest.fixture(scope="module")
def transcribed(piece):
    if not P.available():
        pytest.skip("basic-pitch/onnxruntime not installed")
    return P.transcribe_basic_pitch(piece, sr=SR, return_info=True)


@needs_basic_pitch
def test_model_ships_in_the_wheel():
    path = P.model_path()
    assert path.name == "nmp.onnx" and path.is_file()
    assert "basic_pitch" in path.parts


@needs_basic_pitch
def test_output_shapes_and_ranges():
    y = np.random.default_rng(0).normal(scale=0.01, size=3 * SR)
    out = P.predict(y, sr=SR)
    n = int(np.floor(3 * SR * 86 / SR))
    assert {k: v.shape for k, v in out.items()} == {
        "note": (n, 88), "onset": (n, 88), "contour": (n, 264)}
    for v in out.values():
        assert v.dtype == np.float32 and v.min() >= 0 and v.max() <= 1


@needs_basic_pitch
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # audioread, under librosa.load
def test_array_path_equals_basic_pitch_file_inference(tmp_path, piece):
    """predict() on an array == basic-pitch's run_inference on the same audio as a file."""
    import soundfile as sf

    inference = P._basic_pitch()[2]
    wav = tmp_path / "piece.wav"
    sf.write(wav, piece, SR, subtype="FLOAT")
    ref = inference.run_inference(wav, P.model_path())
    out = P.predict(piece, sr=SR)
    for k in P.OUTPUT_NAMES:
        assert out[k].shape == ref[k].shape
        np.testing.assert_allclose(out[k], ref[k], atol=1e-4)


@needs_basic_pitch
def test_notes_have_chapter_9_format(transcribed):
    notes, info = transcribed
    assert notes.ndim == 2 and notes.shape[1] == 4 and len(notes) > 0
    assert np.array_equal(TR.validate(notes), notes)           # chapter 9's validator
    assert np.all(notes[:, 2] == np.round(notes[:, 2]))        # MIDI pitches
    assert np.all((notes[:, 3] >= 1) & (notes[:, 3] <= 127))   # velocities
    order = np.lexsort((notes[:, 2], notes[:, 0]))
    assert np.array_equal(order, np.arange(len(notes)))        # by onset, then pitch
    iv, hz = TR.notes_to_mir_eval(notes)                        # what mir_eval wants
    assert iv.shape == (len(notes), 2) and hz.shape == (len(notes),)
    assert set(info) == {"outputs"}


@needs_basic_pitch
def test_finds_the_rendered_notes(transcribed):
    notes, _ = transcribed
    # every rendered note, its onset within 50 ms, at the right pitch ...
    assert TR.evaluate(PIECE, notes)["Recall_no_offset"] == 1.0
    chord = notes[notes[:, 0] >= 4.3]
    assert {48, 52, 55} <= set(chord[:, 2].astype(int).tolist())
    # ... and what else it finds are short ghost notes (partials, octaves): the notes longer
    # than 0.3 s are exactly the piece
    long = notes[notes[:, 1] - notes[:, 0] >= 0.3]
    assert TR.evaluate(PIECE, long)["F-measure_no_offset"] == 1.0


@needs_basic_pitch
def test_rereading_outputs_with_other_thresholds(transcribed):
    notes, info = transcribed
    again = P.outputs_to_notes(info["outputs"])                 # the defaults: same notes
    np.testing.assert_array_equal(again, notes)
    strict = P.outputs_to_notes(info["outputs"], onset_threshold=0.95, frame_threshold=0.9)
    assert len(strict) <= len(notes)


@needs_basic_pitch
def test_resamples_other_rates():
    t = np.arange(2 * 16000) / 16000
    y = 0.3 * np.sin(2 * np.pi * 440 * t) * np.exp(-t)
    notes = P.transcribe_basic_pitch(y, sr=16000)
    assert len(notes) and set(notes[:, 2].astype(int).tolist()) == {69}


@needs_basic_pitch
def test_silence_and_empty_outputs():
    assert P.transcribe_basic_pitch(np.zeros(SR), sr=SR).shape == (0, 4)
    empty = {"note": np.zeros((0, 88)), "onset": np.zeros((0, 88)),
             "contour": np.zeros((0, 264))}
    assert P.outputs_to_notes(empty).shape == (0, 4)


@needs_basic_pitch
@pytest.mark.parametrize("kwargs, name", [
    ({"onset_threshold": 1.5}, "onset_threshold"),
    ({"frame_threshold": -0.1}, "frame_threshold"),
    ({"minimum_note_length": float("nan")}, "minimum_note_length"),
    ({"minimum_frequency": 0.0}, "minimum_frequency"),
])
def test_bad_parameters_are_named(kwargs, name):
    out = {"note": np.zeros((10, 88)), "onset": np.zeros((10, 88)),
           "contour": np.zeros((10, 264))}
    with pytest.raises(ParameterError, match=name):
        P.outputs_to_notes(out, **kwargs)


@needs_basic_pitch
def test_bad_inputs_are_named():
    with pytest.raises(ParameterError, match="mono"):
        P.predict(np.zeros((2, SR)), sr=SR)
    with pytest.raises(ParameterError, match="y"):
        P.predict(np.array([0.0, np.nan]), sr=SR)
    with pytest.raises(ParameterError, match="sr"):
        P.predict(np.zeros(SR), sr=0)
    with pytest.raises(ParameterError, match="outputs"):
        P.outputs_to_notes({"note": np.zeros((10, 88))})
    with pytest.raises(ParameterError, match="contour"):
        P.outputs_to_notes({"note": np.zeros((10, 88)), "onset": np.zeros((10, 88)),
                            "contour": np.zeros((10, 88))})


def test_missing_tool_error_names_the_install_command(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_basic_pitch(name, *args, **kwargs):
        if name.split(".")[0] in ("basic_pitch", "onnxruntime"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    P._basic_pitch.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_basic_pitch)
    try:
        assert P.available() is False
        with pytest.raises(MissingToolError, match="--no-deps basic-pitch==0.4.0"):
            P.transcribe_basic_pitch(np.zeros(SR), sr=SR)
        with pytest.raises(MissingToolError, match="onnxruntime"):
            P.model_path()
    finally:
        monkeypatch.undo()
        P._basic_pitch.cache_clear()


def test_import_is_quiet():
    """Importing basic-pitch logs a warning per missing back end: none reaches stderr, and the
    caller's logging is left as it was (a fresh interpreter: the import runs once)."""
    import subprocess
    import sys

    code = ("import logging; logging.basicConfig(); from mirbook import pretrained as P; "
            "ok = P.available(); print(ok, len(logging.getLogger().handlers), "
            "logging.root.manager.disable)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stderr == ""
    # (the last line: with CI set, pyfluidsynth prints where it found its library first)
    assert run.stdout.splitlines()[-1].split()[1:] == ["1", "0"]   # the caller's handler only, not disabled
