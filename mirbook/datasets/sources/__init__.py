"""Where the offline corpus's raw material comes from (used by ``speech_music`` and ``styles``).

- :mod:`~mirbook.datasets.sources.debian_music`: real recorded music, Debian game-music packages
  fetched with ``apt-get download`` into the cache.
- :mod:`~mirbook.datasets.sources.speech`: sentences in 14 languages spoken by espeak-ng and flite.
- :mod:`~mirbook.datasets.sources.symbolic`: excerpts of music21 corpus scores by style, rendered
  with :mod:`mirbook.synth` (the renderer the ``chorales`` corpus uses).

The hard test conditions (codec, telephone, noise, reverberation, mixing) are library code:
:mod:`mirbook.effects`.
"""
