"""Shared render pipelines of the corpora: a score to labelled audio, excerpt picking, silence skipping.

A new corpus (copy :mod:`mirbook.datasets.template`) uses these instead of re-writing them; see
``book/datasets.md`` for the protocol.
"""

from __future__ import annotations

import numpy as np

from mirbook.datasets.core import SkipItem

__all__ = ["score_to_events", "spread_excerpts", "read_loud_excerpt", "save_labelled_audio"]


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


def save_labelled_audio(root, relpath, y, *, sr, subtype="PCM_16"):
    """Save a corpus clip (atomically) at ``root / relpath``; returns ``relpath``."""
    from mirbook.io import save_audio

    save_audio(root / relpath, y, sr=sr, subtype=subtype)
    return relpath
