"""Rendering note lists to audio with FluidSynth and a General MIDI soundfont (shared by the corpora).

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

from mirbook.datasets.core import SR, require_tool

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


def check_fluidsynth(corpus=None):
    """Raise :class:`~mirbook.datasets.core.MissingToolError` if FluidSynth cannot be used."""
    require_tool("FluidSynth (libfluidsynth)", apt="libfluidsynth3", library="fluidsynth",
                 corpus=corpus)
    require_tool("FluidSynth (libfluidsynth, through pyfluidsynth)", apt="libfluidsynth3",
                 python="fluidsynth", corpus=corpus)


def soundfont_path() -> Path:
    """The General MIDI soundfont: ``$MIRBOOK_SOUNDFONT`` or pretty_midi's ``TimGM6mb.sf2``."""
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


def render_tracks(tracks, sr=SR, *, duration=None, fade_out=0.05, peak=None):
    """Render tracks with FluidSynth; returns a float32 mono signal.

    Parameters
    ----------
    tracks : list of tuple
        ``(program, notes)`` or ``(program, notes, is_drum)``; notes are
        ``(onset_s, offset_s, midi_pitch, velocity)``.
    sr : int
        Sample rate.
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
    """
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


def midi_to_hz(pitch):
    """Equal-tempered frequency (A4 = 440 Hz) of MIDI pitch(es)."""
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=float) - 69.0) / 12.0)


def write_notes(path, notes):
    """Write notes in mir_eval's transcription format: ``onset offset frequency_hz`` per line.

    ``notes`` are ``(onset_s, offset_s, midi_pitch, ...)``; written atomically, sorted by onset
    then pitch; readable by :func:`mir_eval.io.load_valued_intervals`.
    """
    from mirbook.datasets.core import write_text

    rows = sorted((float(n[0]), float(n[1]), int(n[2])) for n in notes)
    text = "".join(f"{on:.6f}\t{off:.6f}\t{midi_to_hz(p):.4f}\n" for on, off, p in rows)
    return write_text(path, text)


def write_labeled_intervals(path, intervals, labels):
    """Write ``start end label`` lines (mir_eval's ``.lab`` format), atomically."""
    from mirbook.datasets.core import write_text

    text = "".join(f"{a:.6f}\t{b:.6f}\t{lab}\n" for (a, b), lab in zip(intervals, labels))
    return write_text(path, text)


def write_times(path, times):
    """Write one time (seconds) per line (beats, downbeats), atomically."""
    from mirbook.datasets.core import write_text

    return write_text(path, "".join(f"{t:.6f}\n" for t in times))
