"""The recording channel: one random chain of microphone, room, codec and noise, for every clip.

When speech and music are made by different machinery, everything that machinery leaves behind
(digital silence, bandwidth, level, a DC offset) separates the classes as well as the content
does, and a classifier learns it (see :mod:`mirbook.datasets.audit`). The channel model draws,
for each clip and *from the same distribution whatever its class*, the things a real recording
chain does to a signal, and applies them:

=================  ===============================================================================
step               what (probability, range)
=================  ===============================================================================
high-pass          DC and rumble removed: 2nd-order Butterworth at 40-150 Hz (always)
band limit         microphone/transmission low-pass at 3.5-10 kHz (60 %), 4th-order Butterworth
room               reverberation, RT60 0.15-0.9 s, direct-to-reverberant 0-12 dB (50 %)
                   (:func:`mirbook.effects.reverb`)
codec              MP3 at 48-128 kbit/s (25 %) (:func:`mirbook.effects.mp3`)
background noise   pink or white noise at 8-35 dB SNR (85 %) (:func:`mirbook.effects.add_noise`):
                   a room, a street, a hum; real recordings are rarely noiseless
limiter            soft saturation, drive 1.5-5 (60 %): real masters and broadcasts are limited
level              RMS normalised to the clip's level (-26 to -16 dBFS), peak below -1 dBFS
noise floor        white noise at -65 to -50 dBFS (always): no digital silence anywhere; the
                   mean is removed last (no DC offset)
=================  ===============================================================================

Every source is resampled to one rate (:data:`mirbook.config.SR`) before the chain, so the native
rate of a recording (8, 11.025, 16, 22.05, 32, 44.1, 48 kHz) is no cue either.

:func:`draw` makes the parameters (JSON, stored in the corpus plan so that a build is
reproducible); :func:`apply` applies them. :class:`Augment` draws fresh parameters at every call:
the *training-time augmentation* of the loaders, e.g.
``TorchDataset(load("speech_music", split="train"), target="label", transform=Augment())``.

Used by the ``speech_music`` corpus and the speech/music chapter
(``notebooks/07_speech_music.ipynb``).

Examples
--------
>>> import numpy as np
>>> p = draw(random_state=0)
>>> y = apply(np.zeros(22050, dtype=np.float32), sr=22050, params=p, random_state=0)
>>> bool(np.all(y != 0))        # the noise floor: never an exact zero
True
"""

from __future__ import annotations

import numpy as np

from mirbook import _validate
from mirbook.config import SR

__all__ = ["draw", "apply", "finish", "highpass", "lowpass", "limiter", "noise_floor", "Augment"]


def draw(*, random_state=None, level_range=(-26.0, -16.0), codec=True) -> dict:
    """Random channel parameters (JSON-serialisable), the same distribution for every class.

    Examples
    --------
    >>> sorted(draw(random_state=1))
    ['bitrate', 'drive', 'floor_dbfs', 'highpass_hz', 'level_dbfs', 'lowpass_hz', 'noise_kind', 'reverb_dr_db', 'rt60', 'snr_db']
    """
    rng = _validate.random_state(random_state)
    r = lambda lo, hi: round(float(rng.uniform(lo, hi)), 3)  # noqa: E731
    p = {"highpass_hz": r(40.0, 150.0)}
    p["lowpass_hz"] = round(float(np.exp(rng.uniform(np.log(3500), np.log(10000)))), 1) \
        if rng.uniform() < 0.6 else None
    p["rt60"] = r(0.15, 0.9) if rng.uniform() < 0.5 else None
    p["reverb_dr_db"] = r(0.0, 12.0)
    p["bitrate"] = int(rng.choice([48, 64, 96, 128])) if (codec and rng.uniform() < 0.25) else None
    p["snr_db"] = r(8.0, 35.0) if rng.uniform() < 0.85 else None
    p["noise_kind"] = "pink" if rng.uniform() < 0.5 else "white"
    p["drive"] = r(1.5, 5.0) if rng.uniform() < 0.6 else None
    p["level_dbfs"] = r(*level_range)
    p["floor_dbfs"] = r(-65.0, -50.0)
    return p


def _sos_filter(y, sos):
    from scipy.signal import sosfiltfilt

    return sosfiltfilt(sos, np.asarray(y, dtype=np.float64))


def highpass(y, *, sr=SR, cutoff=30.0, order=2):
    """Zero-phase Butterworth high-pass (removes DC and rumble); DC is also subtracted first.

    Examples
    --------
    >>> z = highpass(np.full(4000, 0.3), sr=8000, cutoff=30.0)
    >>> bool(abs(z.mean()) < 1e-6)
    True
    """
    from scipy.signal import butter

    y = np.asarray(y, dtype=np.float64)
    y = y - y.mean()
    sos = butter(order, cutoff, btype="highpass", fs=sr, output="sos")
    y = _sos_filter(y, sos)
    return y - y.mean()


def lowpass(y, *, sr=SR, cutoff, order=4):
    """Zero-phase Butterworth low-pass at ``cutoff`` Hz (a no-op at or above Nyquist)."""
    from scipy.signal import butter

    if cutoff >= 0.49 * sr:
        return np.asarray(y, dtype=np.float64)
    sos = butter(order, cutoff, btype="lowpass", fs=sr, output="sos")
    return _sos_filter(y, sos)


def limiter(y, *, drive):
    """Soft saturation ``tanh(drive * y / peak) / tanh(drive) * peak``: lowers the crest factor."""
    y = np.asarray(y, dtype=np.float64)
    peak = float(np.abs(y).max()) if y.size else 0.0
    if peak <= 0:
        return y
    return np.tanh(drive * y / peak) / np.tanh(drive) * peak


def noise_floor(y, *, floor_dbfs, random_state=None):
    """Add white noise whose RMS is ``floor_dbfs`` dB full scale (a recording's own noise)."""
    rng = _validate.random_state(random_state)
    y = np.asarray(y, dtype=np.float64)
    return y + rng.standard_normal(y.shape) * 10 ** (floor_dbfs / 20)


def finish(y, *, level_dbfs, floor_dbfs, highpass_hz=20.0, random_state=None, sr=SR):
    """The steps every clip gets: high-pass, level (peak below -1 dBFS), noise floor."""
    from mirbook import effects

    rng = _validate.random_state(random_state)
    y = highpass(y, sr=sr, cutoff=highpass_hz)
    y = effects.normalize(y, target_dbfs=level_dbfs, peak=0.89)
    y = noise_floor(y, floor_dbfs=floor_dbfs, random_state=rng)
    y = np.clip(y, -0.99, 0.99)
    return (y - y.mean()).astype(np.float32)


def apply(y, *, sr=SR, params, random_state=None):
    """Apply the channel ``params`` (from :func:`draw`) to a mono clip; same length out.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    sr : int
    params : dict
        From :func:`draw`. Missing keys mean "step off" (except the level and the floor).
    random_state : None, int or np.random.Generator
        Seeds the room, the background noise and the noise floor.

    Returns
    -------
    y : np.ndarray, shape (n,), float32
    """
    from mirbook import effects

    rng = _validate.random_state(random_state)
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    p = params
    y = highpass(y, sr=sr, cutoff=p.get("highpass_hz") or 20.0)
    if p.get("lowpass_hz"):
        y = lowpass(y, sr=sr, cutoff=p["lowpass_hz"])
    if p.get("rt60"):
        y = effects.reverb(y.astype(np.float32), sr=sr, rt60=p["rt60"], random_state=rng,
                           direct_to_reverb_db=p.get("reverb_dr_db", 0.0)).astype(np.float64)
    y = effects.normalize(y, target_dbfs=-20.0)
    if p.get("bitrate"):
        y = effects.mp3(y, sr=sr, bitrate=int(p["bitrate"]))
    if p.get("snr_db") is not None:
        y = effects.add_noise(y, snr_db=p["snr_db"], random_state=rng,
                              kind=p.get("noise_kind", "pink"))
    if p.get("drive"):
        y = limiter(y, drive=p["drive"])
    y = finish(y, level_dbfs=p.get("level_dbfs", -20.0), floor_dbfs=p.get("floor_dbfs", -60.0),
               highpass_hz=p.get("highpass_hz") or 20.0, random_state=rng, sr=sr)
    return y[:n]


class Augment:
    """Training-time augmentation: a fresh random channel (:func:`draw`, :func:`apply`) per call.

    Works on NumPy arrays and on torch tensors (returned as the same type), so it can be the
    ``transform`` of :class:`mirbook.datasets.core.TorchDataset`. ``codec=False`` (the default)
    skips the MP3 step, which calls an external encoder and is slow inside a training loop.

    Parameters
    ----------
    sr : int
    random_state : None, int or np.random.Generator
    p : float
        Probability of augmenting a clip at all (otherwise it is returned unchanged).
    codec : bool

    Examples
    --------
    >>> aug = Augment(random_state=0)
    >>> aug(np.zeros(2205, dtype=np.float32)).shape
    (2205,)
    """

    def __init__(self, *, sr=SR, random_state=None, p=1.0, codec=False):
        self.sr = _validate.positive_int(sr, "sr")
        self.rng = _validate.random_state(random_state)
        self.p = _validate.finite_real(p, "p", low=0.0, high=1.0)
        self.codec = bool(codec)

    def __call__(self, y):
        if self.rng.uniform() >= self.p:
            return y
        is_torch = type(y).__module__.startswith("torch")
        x = y.detach().cpu().numpy() if is_torch else np.asarray(y)
        params = draw(random_state=self.rng, codec=self.codec)
        out = apply(x, sr=self.sr, params=params, random_state=self.rng)
        if is_torch:
            import torch

            return torch.from_numpy(out)
        return out
