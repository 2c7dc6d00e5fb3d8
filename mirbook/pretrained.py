"""A pretrained transcriber beside chapter 9's NMF: Spotify's basic-pitch, its ONNX model.

The code behind the last section of chapter 12 (``notebooks/12_end_to_end.ipynb``), "What a
practitioner would pick instead". basic-pitch (Bittner et al., ICASSP 2022) is a small
convolutional network (its ONNX file is 230 kB) trained on GuitarSet, iKala, MAESTRO,
MedleyDB-Pitch and Slakh that turns 22 050 Hz audio into three posteriorgrams at 86 frames
per second: note activity and onsets (88 piano keys) and a pitch contour (3 bins per
semitone). Its own post-processing reads notes off them. The weights ship inside the
``basic-pitch`` wheel as ``nmp.onnx``: nothing is downloaded.

This module is a thin wrapper over basic-pitch's own inference code
(``basic_pitch.inference.Model``, ``window_audio_file``, ``unwrap_output`` and
``basic_pitch.note_creation.model_output_to_notes``), applied to an array instead of a file:

- :func:`predict` runs the network: audio in, posteriorgrams out;
- :func:`outputs_to_notes` reads notes off them with basic-pitch's thresholds;
- :func:`transcribe_basic_pitch` does both, returning a note list in chapter 9's format
  (:mod:`mirbook.transcription`: a float array ``(n_notes, 4)`` of ``onset (s), offset (s),
  MIDI pitch, velocity (1..127)``, sorted by onset then pitch), ready for
  :func:`mirbook.transcription.evaluate`.

basic-pitch declares TensorFlow as a requirement, which it needs only for its TensorFlow model
and which would downgrade numpy: install it without its dependencies, next to
``onnxruntime`` and ``resampy`` (``make setup`` does)::

    pip install onnxruntime==1.32.0 resampy==0.4.3
    pip install --no-deps basic-pitch==0.4.0

Without them, every function here raises one :class:`mirbook.errors.MissingToolError` with
these commands; :func:`available` says whether they are there.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from mirbook import _validate
from mirbook.errors import MissingToolError, ParameterError

__all__ = ["INSTALL", "available", "model_path", "predict", "outputs_to_notes",
           "transcribe_basic_pitch", "OUTPUT_NAMES"]

#: The commands that install the pretrained transcriber (the ONNX runtime, then basic-pitch
#: without its declared TensorFlow requirement).
INSTALL = ("pip install onnxruntime==1.32.0 resampy==0.4.3\n"
           "    pip install --no-deps basic-pitch==0.4.0")

#: Keys of the posteriorgrams :func:`predict` returns.
OUTPUT_NAMES = ("note", "onset", "contour")

_OVERLAP_FRAMES = 30          # basic_pitch.inference.run_inference: windows overlap 30 frames


@functools.lru_cache(maxsize=1)
def _basic_pitch():
    """Import basic-pitch (ONNX path) quietly, or raise the one MissingToolError."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise MissingToolError(
            f"mirbook.pretrained needs onnxruntime, which cannot be imported ({exc}).\n"
            f"Install it with:\n    {INSTALL}") from None
    # basic-pitch logs a warning per missing back end (TensorFlow, CoreML, TFLite) at import,
    # through the root logger: logging is disabled for the import (and a NullHandler keeps
    # logging.warning from configuring the root logger), then left as the caller had it.
    root = logging.getLogger()
    quiet = logging.NullHandler()
    root.addHandler(quiet)
    was_disabled = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        import basic_pitch
        import basic_pitch.constants as constants
        import basic_pitch.inference as inference
        import basic_pitch.note_creation as note_creation
    except ImportError as exc:
        raise MissingToolError(
            f"mirbook.pretrained needs basic-pitch, which cannot be imported ({exc}).\n"
            f"Install it with:\n    {INSTALL}") from None
    finally:
        logging.disable(was_disabled)
        root.removeHandler(quiet)
    return basic_pitch, constants, inference, note_creation


def available() -> bool:
    """Whether basic-pitch and onnxruntime import (so the other functions can run).

    Used in the chapter notebook ``notebooks/12_end_to_end.ipynb``.

    Returns
    -------
    ok : bool

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    try:
        _basic_pitch()
    except MissingToolError:
        return False
    return True


def model_path():
    """The ONNX model file inside the installed basic-pitch package (never downloaded).

    Used in the chapter notebook ``notebooks/12_end_to_end.ipynb``.

    Returns
    -------
    path : pathlib.Path
        ``.../basic_pitch/saved_models/icassp_2022/nmp.onnx``.

    Raises
    ------
    mirbook.errors.MissingToolError
        basic-pitch or onnxruntime is not installed, or the model file is missing.

    Examples
    --------
    >>> model_path().name
    'nmp.onnx'
    """
    basic_pitch = _basic_pitch()[0]
    path = basic_pitch.build_icassp_2022_model_path(basic_pitch.FilenameSuffix.onnx)
    if not path.is_file():
        raise MissingToolError(f"basic-pitch is installed but its ONNX model {path} is "
                               f"missing; reinstall it with:\n    {INSTALL}")
    return path


@functools.lru_cache(maxsize=1)
def _model(path):
    """basic-pitch's ``Model`` on one ONNX file, loaded once per process.

    Its ONNX session is rebuilt with one thread that does not spin-wait: the network is small,
    and on a machine shared with other work (2 cores, several processes) that is faster than
    onnxruntime's default pool, whose idle threads spin (measured: 2.8 s against 4.0 s for
    seven 10 s pieces under load). The outputs are the same.
    """
    import onnxruntime as ort

    model = _basic_pitch()[2].Model(path)
    if model.model_type == model.MODEL_TYPES.ONNX:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model.model = ort.InferenceSession(str(path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    return model


def predict(y, *, sr):
    """Run basic-pitch's network on an audio array: its three posteriorgrams.

    Does what ``basic_pitch.inference.run_inference`` does to a file (resample to 22 050 Hz,
    pad, cut into 2 s windows overlapping by 30 frames, run the model on each, unwrap), on an
    array: the audio is resampled with :func:`mirbook.io.resample`. Used in the chapter
    notebook ``notebooks/12_end_to_end.ipynb``.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio, at least one sample.
    sr : int
        Its sample rate (Hz).

    Returns
    -------
    outputs : dict of np.ndarray
        ``"note"`` and ``"onset"``: shape ``(n_frames, 88)``, one column per piano key
        (MIDI 21..108); ``"contour"``: shape ``(n_frames, 264)``, 3 bins per semitone; values
        in [0, 1], ``n_frames = floor(n * 86 / sr)`` (86 frames per second at the model's
        22 050 Hz, hop 256).

    Raises
    ------
    mirbook.errors.MissingToolError
        basic-pitch or onnxruntime is not installed.
    mirbook.errors.ParameterError
        ``y`` is not a finite, non-empty 1-d array, or ``sr`` is not a positive integer.

    Examples
    --------
    >>> import numpy as np
    >>> out = predict(np.zeros(22050), sr=22050)
    >>> {k: v.shape for k, v in out.items()}
    {'note': (86, 88), 'onset': (86, 88), 'contour': (86, 264)}
    """
    from mirbook.io import check_sr, resample

    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"y: shape {y.shape}, expected mono audio of shape (n,) "
                             "(average the channels first)")
    y = _validate.real_array(y, "y")
    sr = check_sr(sr)
    _, C, inference, _ = _basic_pitch()
    model = _model(model_path())
    audio = y.astype(np.float32)
    if sr != C.AUDIO_SAMPLE_RATE:
        audio = resample(audio, orig_sr=sr, target_sr=C.AUDIO_SAMPLE_RATE)
    overlap_len = _OVERLAP_FRAMES * C.FFT_HOP
    hop_size = C.AUDIO_N_SAMPLES - overlap_len
    padded = np.concatenate([np.zeros(overlap_len // 2, dtype=np.float32), audio])
    parts = {k: [] for k in OUTPUT_NAMES}
    for window, _ in inference.window_audio_file(padded, hop_size):
        for k, v in model.predict(window[None]).items():
            parts[k].append(v)
    return {k: inference.unwrap_output(np.concatenate(parts[k]), len(audio), _OVERLAP_FRAMES)
            for k in OUTPUT_NAMES}


def _check_outputs(outputs):
    if not isinstance(outputs, dict) or set(OUTPUT_NAMES) - set(outputs):
        raise ParameterError(f"outputs: expected the dict of predict() with keys "
                             f"{OUTPUT_NAMES}")
    out = {k: _validate.real_array(np.asarray(outputs[k], dtype=np.float32), f"outputs[{k!r}]",
                                   ndim=2, allow_empty=True) for k in OUTPUT_NAMES}
    n = out["note"].shape[0]
    shapes = {"note": (n, 88), "onset": (n, 88), "contour": (n, 264)}
    for k, shape in shapes.items():
        if out[k].shape != shape:
            raise ParameterError(f"outputs[{k!r}]: shape {out[k].shape}, expected {shape}")
    return out


def outputs_to_notes(outputs, *, onset_threshold=0.5, frame_threshold=0.3,
                     minimum_note_length=127.70, minimum_frequency=None, maximum_frequency=None,
                     melodia_trick=True):
    """Notes read off basic-pitch's posteriorgrams by its own post-processing.

    Calls ``basic_pitch.note_creation.model_output_to_notes`` (peaks of the onset
    posteriorgram above ``onset_threshold`` start notes, which last while the note
    posteriorgram stays above ``frame_threshold``) and returns the notes in chapter 9's format.
    The defaults are basic-pitch's. Used in the chapter notebook
    ``notebooks/12_end_to_end.ipynb``.

    Parameters
    ----------
    outputs : dict of np.ndarray
        As returned by :func:`predict`.
    onset_threshold : float
        In [0, 1]: the lowest onset peak that starts a note.
    frame_threshold : float
        In [0, 1]: a note lasts while its activity stays above it.
    minimum_note_length : float
        Shortest note kept, in **milliseconds** (basic-pitch's unit and name; its default is
        127.70 ms, 11 frames).
    minimum_frequency, maximum_frequency : float, optional
        Frequency range of the notes (Hz); default all 88 keys.
    melodia_trick : bool
        basic-pitch's second pass that also reads notes off the note posteriorgram alone.

    Returns
    -------
    notes : np.ndarray, shape (n_notes, 4)
        ``onset (s), offset (s), MIDI pitch, velocity`` (velocity ``round(127 * amplitude)``,
        at least 1, as basic-pitch writes its note files), sorted by onset then pitch: the
        format of :mod:`mirbook.transcription`.

    Raises
    ------
    mirbook.errors.ParameterError
        Malformed ``outputs`` or a threshold outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> out = {"note": np.zeros((86, 88)), "onset": np.zeros((86, 88)),
    ...        "contour": np.zeros((86, 264))}
    >>> out["note"][10:60, 39] = 0.9     # key 39 is MIDI 60, C4
    >>> out["onset"][9:12, 39] = [0.2, 0.9, 0.2]
    >>> outputs_to_notes(out).round(2).tolist()
    [[0.12, 0.7, 60.0, 114.0]]
    """
    out = _check_outputs(outputs)
    onset_threshold = _validate.finite_real(onset_threshold, "onset_threshold", low=0, high=1)
    frame_threshold = _validate.finite_real(frame_threshold, "frame_threshold", low=0, high=1)
    minimum_note_length = _validate.finite_real(minimum_note_length, "minimum_note_length",
                                                low=0)
    for name, f in (("minimum_frequency", minimum_frequency),
                    ("maximum_frequency", maximum_frequency)):
        if f is not None:
            _validate.finite_real(f, name, low=0, low_open=True)
    _, C, _, note_creation = _basic_pitch()
    if out["note"].shape[0] < 2:
        return np.zeros((0, 4))
    min_frames = int(np.round(minimum_note_length / 1000 * (C.AUDIO_SAMPLE_RATE / C.FFT_HOP)))
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 on silent outputs
        _, events = note_creation.model_output_to_notes(
            out, onset_thresh=onset_threshold, frame_thresh=frame_threshold,
            min_note_len=min_frames, min_freq=minimum_frequency, max_freq=maximum_frequency,
            melodia_trick=bool(melodia_trick), include_pitch_bends=False)
    notes = np.array([(start, max(end, start + 1e-3), pitch,
                       np.clip(np.round(127 * amplitude), 1, 127))
                      for start, end, pitch, amplitude, _ in events], dtype=float)
    if notes.size == 0:
        return np.zeros((0, 4))
    notes[:, 0] = np.maximum(notes[:, 0], 0.0)
    return notes[np.lexsort((notes[:, 2], notes[:, 0]))]


def transcribe_basic_pitch(y, *, sr, onset_threshold=0.5, frame_threshold=0.3,
                           minimum_note_length=127.70, minimum_frequency=None,
                           maximum_frequency=None, melodia_trick=True, return_info=False):
    """Transcribe audio to notes with basic-pitch: :func:`predict`, then
    :func:`outputs_to_notes`.

    The pretrained counterpart of chapter 9's supervised NMF
    (:func:`mirbook.transcription.activations_to_notes` on :func:`mirbook.nmf.nmf`): the same
    note format, scored by :func:`mirbook.transcription.evaluate`. Used in the chapter notebook
    ``notebooks/12_end_to_end.ipynb``.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio.
    sr : int
        Its sample rate (Hz); resampled to the model's 22 050 Hz.
    onset_threshold, frame_threshold, minimum_note_length, minimum_frequency, \
maximum_frequency, melodia_trick
        As in :func:`outputs_to_notes` (basic-pitch's defaults; ``minimum_note_length`` in ms).
    return_info : bool
        Also return ``{"outputs": the posteriorgrams of predict()}``, to read notes again with
        other thresholds without running the network.

    Returns
    -------
    notes : np.ndarray, shape (n_notes, 4)
        ``onset (s), offset (s), MIDI pitch, velocity (1..127)``, sorted by onset then pitch.
    info : dict
        Only with ``return_info=True``.

    Raises
    ------
    mirbook.errors.MissingToolError
        basic-pitch or onnxruntime is not installed (the message gives the commands).
    mirbook.errors.ParameterError
        Bad audio or parameter.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(2 * 22050) / 22050
    >>> y = 0.3 * np.sin(2 * np.pi * 440 * t) * np.exp(-t)    # A4 (MIDI 69) for 2 s
    >>> notes = transcribe_basic_pitch(y, sr=22050)
    >>> sorted(set(notes[:, 2].astype(int).tolist()))
    [69]
    """
    outputs = predict(y, sr=sr)
    notes = outputs_to_notes(outputs, onset_threshold=onset_threshold,
                             frame_threshold=frame_threshold,
                             minimum_note_length=minimum_note_length,
                             minimum_frequency=minimum_frequency,
                             maximum_frequency=maximum_frequency, melodia_trick=melodia_trick)
    if return_info:
        return notes, {"outputs": outputs}
    return notes
