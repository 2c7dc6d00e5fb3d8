"""``template``: the corpus a new corpus copies (pure tones; no system tool, builds in a second).

To add a corpus ``<name>``: copy this file to ``mirbook/datasets/<name>.py``, set ``NAME`` (the
registry finds the module by it: nothing else to edit), write ``plan`` and ``render``, add its test
(``tests/test_datasets.py`` builds every tiny corpus) and its section in ``book/datasets.md``.
The protocol (every field below) is documented in :mod:`mirbook.datasets.core`; the shared render
pipelines are in :mod:`mirbook.datasets.helpers`.

This module is not registered by default (it is skipped by discovery); the tests register it
(:func:`mirbook.datasets.core.register`) and build it to test the build machinery.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirbook.config import SR
from mirbook.datasets.core import Item, SkipItem

#: The registry key and folder name.
NAME = "template"
#: One line for ``python -m mirbook data info``.
DESCRIPTION = "pure tones with their note labels (the template corpus)"
#: Bump when plan() or render() change what is made: every item is rendered again.
VERSION = 1
#: Sample rate of the audio.
SR = SR
#: Library modules whose RENDER_VERSION enters the resume key (the label writer here).
RENDERERS = ("mirbook.scores",)

N_TONES = 4


def plan(*, tiny):
    """The tones: cheap, deterministic, no I/O; every parameter (and seed) of the rendering.

    The last tone has amplitude 0 and is skipped by :func:`render` (to show :class:`SkipItem`).
    """
    n = N_TONES if tiny else 3 * N_TONES
    items = []
    for i in range(n):
        r = np.random.default_rng(100 + i)
        items.append(Item(
            id=f"t{i}",
            group=f"tone:{i}",                     # the split is drawn from the group
            seed=100 + i,
            params={"midi": 57 + 3 * i, "duration": 0.25,
                    "amplitude": 0.0 if i == n - 1 else round(float(r.uniform(0.2, 0.5)), 3)},
        ))
    return items


def render(item, root: Path):
    """Write the tone and its note file under ``root``; return the record."""
    from mirbook import scores
    from mirbook.convert import midi_to_hz
    from mirbook.datasets.helpers import save_labelled_audio

    p = item.params
    if p["amplitude"] == 0:
        raise SkipItem("silent tone")
    f0 = float(midi_to_hz(p["midi"]))
    t = np.arange(int(round(p["duration"] * SR))) / SR
    rng = np.random.default_rng(item.seed)
    y = p["amplitude"] * np.sin(2 * np.pi * f0 * t + rng.uniform(0, 2 * np.pi))
    audio = save_labelled_audio(root, f"audio/{item.id}.flac", y.astype(np.float32), sr=SR)
    files = {"notes": f"labels/{item.id}.notes.txt"}
    scores.write_notes(root / files["notes"], [(0.0, p["duration"], p["midi"])])
    return {"path": audio, "files": files,
            "labels": {"midi": p["midi"], "frequency_hz": round(f0, 4), "duration": p["duration"]}}
