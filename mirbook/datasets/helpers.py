"""Shared render pipelines of the corpora: a score to labelled audio, excerpt picking, silence skipping.

A new corpus (copy :mod:`mirbook.datasets.template`) uses these instead of re-writing them; see
``book/datasets.md`` for the protocol.
"""

from __future__ import annotations

import numpy as np

from mirbook.datasets.core import SkipItem

__all__ = ["score_to_events", "spread_excerpts", "read_loud_excerpt", "remove_dc",
           "save_labelled_audio", "DC_CUTOFF", "NOISE_FLOOR_DBFS", "SOUNDFONTS",
           "check_soundfont", "use_soundfont"]

#: The General MIDI soundfonts a corpus may render with: name -> (file, Debian package). ``None``:
#: the default of :func:`mirbook.synth.soundfont_path` (TimGM6mb, inside pretty_midi). FluidR3 is
#: the *second* piano (and orchestra) sound of the cross-soundfont test rows (chapters 8 and 9).
SOUNDFONTS = {
    "TimGM6mb": (None, None),
    "FluidR3_GM": ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "fluid-soundfont-gm"),
}


def check_soundfont(name, *, corpus=None):
    """Raise :class:`mirbook.errors.MissingToolError` (with the apt-get command) if absent."""
    from pathlib import Path

    from mirbook.errors import MissingToolError, ParameterError

    if name not in SOUNDFONTS:
        raise ParameterError(f"soundfont {name!r}: choose from {sorted(SOUNDFONTS)}")
    path, pkg = SOUNDFONTS[name]
    if path is not None and not Path(path).is_file():
        raise MissingToolError(f"the {name} soundfont ({path}) is missing"
                               f"{f' (corpus {corpus})' if corpus else ''}: "
                               f"sudo apt-get install {pkg}")


class use_soundfont:
    """Context manager: render with soundfont ``name`` (sets ``MIRBOOK_SOUNDFONT`` meanwhile).

    Examples
    --------
    >>> import os
    >>> with use_soundfont("TimGM6mb"):
    ...     "MIRBOOK_SOUNDFONT" in os.environ
    False
    """

    def __init__(self, name):
        check_soundfont(name)
        self.path = SOUNDFONTS[name][0]

    def __enter__(self):
        import os

        self._old = os.environ.get("MIRBOOK_SOUNDFONT")
        if self.path is None:
            os.environ.pop("MIRBOOK_SOUNDFONT", None)
        else:
            os.environ["MIRBOOK_SOUNDFONT"] = self.path
        return self

    def __exit__(self, *exc):
        import os

        if self._old is None:
            os.environ.pop("MIRBOOK_SOUNDFONT", None)
        else:
            os.environ["MIRBOOK_SOUNDFONT"] = self._old
        return False


def score_to_events(score, *, bpm, fermata_factor, max_duration, min_cut, chords=True,
                    min_duration=None):
    """A parsed score -> ``(score, key, key_method, events)``: repeats expanded, key, events.

    The key is computed before :func:`mirbook.scores.score_events` truncates the score; a score
    with less than ``min_duration`` s of music is skipped (:class:`SkipItem`).

    Parameters
    ----------
    score : music21.stream.Score
    bpm, fermata_factor, max_duration, min_cut, chords
        Passed to :func:`mirbook.scores.score_events`.
    min_duration : float, optional

    Returns
    -------
    score, key, key_method, events
    """
    from mirbook import scores

    score = scores.expand(score)
    key, key_method = scores.key_label(score)  # before score_events truncates the score
    ev = scores.score_events(score, bpm=bpm, fermata_factor=fermata_factor,
                             max_duration=max_duration, min_cut=min_cut, chords=chords)
    if min_duration is not None and ev["end"] < min_duration:
        raise SkipItem(f"only {ev['end']:.1f} s of music")
    return score, key, key_method, ev


def spread_excerpts(tracks, n, *, random_state, duration, lo_frac, hi_frac):
    """``n`` excerpt offsets spread over an artist's ``tracks`` (a list of objects with ``duration``).

    Fewer excerpts than tracks: tracks spread over the list (albums, tempi), one each; more: every
    track gets ``ceil(n / len(tracks))`` slots between ``lo_frac`` and ``hi_frac`` of its length,
    each offset drawn inside its slot with ``random_state`` (a Generator is used as is, so the
    caller's stream advances exactly as if it drew the offsets itself).

    Returns
    -------
    list of (track, offset_s)
    """
    from mirbook._validate import random_state as _rs

    rng = _rs(random_state)
    out = []
    n_slots = -(-n // len(tracks))
    for j in range(n):
        t = tracks[j * len(tracks) // n] if n <= len(tracks) else tracks[j % len(tracks)]
        slot = 0 if n <= len(tracks) else j // len(tracks)
        lo, span = t.duration * lo_frac, t.duration * hi_frac - duration
        out.append((t, lo + span * (slot + float(rng.uniform(0.1, 0.9))) / n_slots))
    return out


def read_loud_excerpt(path, *, offset, duration, sr, tries, floor_db=-45.0, what=""):
    """Read an excerpt; while it is near-silent (RMS <= ``floor_db`` dBFS) move on by ``duration``.

    Returns
    -------
    y : np.ndarray, shape (round(duration * sr),), float32
    offset : float
        Where the excerpt finally starts.

    Raises
    ------
    SkipItem
        Still silent after ``tries`` reads.
    """
    from mirbook.datasets.sources.debian_music import read_excerpt
    from mirbook.effects import rms

    start = offset
    for _ in range(tries):
        y = read_excerpt(path, offset=offset, duration=duration, sr=sr)
        if 20 * np.log10(rms(y) + 1e-12) > floor_db:
            return y, offset
        offset += duration
    raise SkipItem(f"{what or path}: silent around {start} s")


#: Cut-off (Hz) of the DC-removing high-pass applied to every saved clip.
DC_CUTOFF = 10.0
#: RMS (dBFS) of the noise floor added to every saved clip (about 2 LSB of 16-bit audio).
NOISE_FLOOR_DBFS = -84.0


def remove_dc(y, *, sr, cutoff=DC_CUTOFF):
    """Subtract the mean and high-pass at ``cutoff`` Hz (zero phase): no DC offset, no drift.

    Synthesizers leave an instrument-dependent DC offset (an organ +0.007, a piano about 0) that
    tells the instrument apart without listening; real recordings are AC-coupled.

    Examples
    --------
    >>> y = remove_dc(np.full(22050, 0.1) + np.sin(np.arange(22050) / 3.0), sr=22050)
    >>> bool(abs(y.mean()) < 1e-4)
    True
    """
    from scipy.signal import butter, sosfiltfilt

    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return y
    y = y - y.mean()
    if y.size > 64:
        sos = butter(2, cutoff, btype="highpass", fs=sr, output="sos")
        y = sosfiltfilt(sos, y, padlen=min(3 * 64, y.size - 1))
    return y - y.mean()


def save_labelled_audio(root, relpath, y, *, sr, subtype="PCM_16", dc=True,
                        noise_floor_dbfs=NOISE_FLOOR_DBFS):
    """Save a corpus clip (atomically) at ``root / relpath``; returns ``relpath``.

    By default the DC offset is removed (:func:`remove_dc`) and a noise floor of
    ``noise_floor_dbfs`` is added (seeded by ``relpath``: a rebuild writes the same file), so
    that no corpus holds a DC offset or long runs of digital silence, two cues of the rendering
    machinery that the shortcut audit (:mod:`mirbook.datasets.audit`) catches. ``dc=False`` and
    ``noise_floor_dbfs=None`` turn them off.
    """
    import hashlib

    from mirbook.io import save_audio

    y = np.asarray(y, dtype=np.float64)
    if dc:
        y = remove_dc(y, sr=sr)
    if noise_floor_dbfs is not None:
        seed = int(hashlib.sha256(str(relpath).encode()).hexdigest()[:12], 16)
        y = y + np.random.default_rng(seed).standard_normal(y.shape) * 10 ** (noise_floor_dbfs / 20)
    y = np.clip(y, -0.999, 0.999).astype(np.float32)
    save_audio(root / relpath, y, sr=sr, subtype=subtype)
    return relpath
