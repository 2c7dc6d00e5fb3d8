"""Rendering note lists to audio with FluidSynth and a General MIDI soundfont.

The renderer of the book's corpora (:mod:`mirbook.datasets`) and of :func:`mirbook.symbolic.render`.
Used in the chapter notebooks ``notebooks/03_task_map.ipynb`` and ``notebooks/04_symbolic_midi.ipynb``.

The soundfont is ``TimGM6mb.sf2``, shipped inside the ``pretty_midi`` wheel (small, GPL-2 licensed,
by Tim Brechbill), so every machine renders the same audio. ``$MIRBOOK_SOUNDFONT`` may point at
another General MIDI ``.sf2`` (e.g. Debian's ``fluid-soundfont-gm``,
``/usr/share/sounds/sf2/FluidR3_GM.sf2``): better sound, but the corpus then differs from the
reference build (its sha256 sums change).

A *track* is ``(program, notes)`` or ``(program, notes, is_drum)`` where ``program`` is a General
MIDI program number (0-127) and ``notes`` a list of ``(onset_s, offset_s, midi_pitch, velocity)``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from mirbook._tools import require_tool
from mirbook.config import SR
from mirbook.errors import ParameterError

__all__ = ["GM", "RENDER_VERSION", "check_fluidsynth", "soundfont_path", "render_tracks"]

#: Version of what this module renders: bump it when a change alters the audio, and every corpus
#: that lists ``"mirbook.synth"`` in its ``RENDERERS`` is rendered again on the next build.
RENDER_VERSION = 1

#: A few General MIDI programs by family (0-based program numbers).
GM = {
    "acoustic_grand_piano": 0, "bright_piano": 1, "harpsichord": 6, "celesta": 8,
    "church_organ": 19, "reed_organ": 20, "accordion": 21, "nylon_guitar": 24,
    "violin": 40, "viola": 41, "cello": 42, "contrabass": 43, "string_ensemble": 48,
    "slow_strings": 49, "choir_aahs": 52, "voice_oohs": 53, "trumpet": 56, "trombone": 57,
    "tuba": 58, "french_horn": 60, "brass_section": 61, "soprano_sax": 64, "alto_sax": 65,
    "tenor_sax": 66, "baritone_sax": 67, "oboe": 68, "english_horn": 69, "bassoon": 70,
    "clarinet": 71, "piccolo": 72, "flute": 73, "recorder": 74, "pan_flute": 75,
}


def check_fluidsynth(*, corpus=None):
    """Raise :class:`mirbook.errors.MissingToolError` if FluidSynth cannot be used.

    Parameters
    ----------
    corpus : str, optional
        The corpus that needs it (named in the message).

    Examples
    --------
    >>> check_fluidsynth()                      # doctest: +SKIP
    """
    require_tool("FluidSynth (libfluidsynth)", apt="libfluidsynth3", library="fluidsynth",
                 corpus=corpus)
    require_tool("FluidSynth (libfluidsynth, through pyfluidsynth)", apt="libfluidsynth3",
                 python="fluidsynth", corpus=corpus)


def soundfont_path() -> Path:
    """The General MIDI soundfont: ``$MIRBOOK_SOUNDFONT`` or pretty_midi's ``TimGM6mb.sf2``.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    FileNotFoundError
        ``$MIRBOOK_SOUNDFONT`` names no file, or pretty_midi's soundfont is missing.

    Examples
    --------
    >>> soundfont_path().suffix
    '.sf2'
    """
    env = os.environ.get("MIRBOOK_SOUNDFONT")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"MIRBOOK_SOUNDFONT={env}: no such soundfont file")
        return path
    import pretty_midi

    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the soundfont shipped with pretty_midi is missing; "
                                "reinstall pretty_midi")
    return path


def render_tracks(tracks, *, sr=SR, duration=None, fade_out=0.05, peak=None):
    """Render tracks with FluidSynth; returns a float32 mono signal.

    Parameters
    ----------
    tracks : list of tuple
        ``(program, notes)`` or ``(program, notes, is_drum)``; notes are
        ``(onset_s, offset_s, midi_pitch, velocity)``.
    sr : int
        Sample rate (default :data:`mirbook.config.SR`).
    duration : float, optional
        Cut (or zero-pad) to this length in seconds; by default the release tail (1 s) is kept.
    fade_out : float
        Length of a linear fade at the cut, in seconds (only when ``duration`` is given).
    peak : float, optional
        Scale so that the maximum absolute sample is ``peak``; ``None`` keeps FluidSynth's level
        (summed tracks, divided by 32768 times the number of tracks).

    Returns
    -------
    y : np.ndarray, shape (n,), float32

    Raises
    ------
    mirbook.errors.ParameterError
        A track that is not ``(program, notes[, is_drum])``, or a bad ``sr``/``duration``.
    mirbook.errors.MissingToolError
        FluidSynth is not installed.

    Examples
    --------
    >>> y = render_tracks([(0, [(0.0, 0.5, 69, 100)])], sr=22050, duration=1.0)  # doctest: +SKIP
    >>> y.shape, y.dtype                                                      # doctest: +SKIP
    ((22050,), dtype('float32'))
    """
    from mirbook.io import check_sr

    sr = check_sr(sr)
    if duration is not None and not (np.isfinite(duration) and duration > 0):
        raise ParameterError(f"duration={duration!r}: expected a positive number of seconds")
    tracks = list(tracks)
    for k, track in enumerate(tracks):
        if not isinstance(track, (tuple, list)) or len(track) not in (2, 3):
            raise ParameterError(f"tracks[{k}]: expected (program, notes) or "
                                 f"(program, notes, is_drum), got {type(track).__name__}")
        if not 0 <= int(track[0]) <= 127:
            raise ParameterError(f"tracks[{k}]: program {track[0]} outside 0..127")
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(resolution=960, initial_tempo=120.0)
    for track in tracks:
        program, notes = track[0], track[1]
        is_drum = bool(track[2]) if len(track) > 2 else False
        inst = pretty_midi.Instrument(program=int(program), is_drum=is_drum)
        for on, off, pitch, vel in notes:
            if off - on <= 0:
                continue
            inst.notes.append(pretty_midi.Note(velocity=int(np.clip(vel, 1, 127)),
                                               pitch=int(pitch), start=float(on), end=float(off)))
        if inst.notes:
            pm.instruments.append(inst)
    if not pm.instruments:
        n = int(round((duration or 1.0) * sr))
        return np.zeros(n, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = pm.fluidsynth(fs=sr, synthesizer=str(soundfont_path()), normalize=False)
    y = np.asarray(y, dtype=np.float64)
    if duration is not None:
        n = int(round(duration * sr))
        y = y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))
        k = min(len(y), int(round(fade_out * sr)))
        if k > 0:
            y[-k:] *= np.linspace(1.0, 0.0, k)
    if peak is not None:
        m = np.abs(y).max()
        if m > 0:
            y = y * (peak / m)
    return np.clip(y, -1.0, 1.0).astype(np.float32)
