"""Figures and players the chapters share: one look across the book.

- :data:`STYLE` and :func:`setup`: the shared matplotlib defaults (size, resolution, fonts,
  colour map). Each chapter calls ``mirbook.plot.setup()`` once, in its imports cell.
- :func:`waveform`, :func:`spectrogram`, :func:`specshow`, :func:`sampled`, :func:`snr_vs_bits`:
  figures with labelled axes and, where colour carries a value, a labelled colorbar. Each draws
  on ``ax`` when given, else on a new figure, and returns the ``Axes`` it drew on so that a
  notebook can add a title or annotations.
- :func:`players`: several audio players side by side, each next to its label, in a small HTML
  table; the audio is embedded as MP3 (or WAV where the comparison is about coding artefacts), so
  that a chapter page stays light.

Figures show through the kernel's inline backend (``make`` gives the kernels
``MPLBACKEND=module://matplotlib_inline.backend_inline``).
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np

from mirbook._validate import finite_real, one_of, positive_int, real_array
from mirbook.config import SR
from mirbook.errors import ParameterError

__all__ = ["STYLE", "setup", "waveform", "spectrogram", "specshow", "sampled", "snr_vs_bits",
           "players", "encode_player",
           "chords_over_chroma", "activations"]

#: The shared matplotlib defaults (``matplotlib.rcParams`` keys), applied by :func:`setup`.
#: 100 dpi at 8 x 3 inches gives an 800 x 300 px figure that fits the book's content column.
STYLE = {
    "figure.figsize": (8.0, 3.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.autolayout": False,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "image.cmap": "magma",
    "lines.linewidth": 1.2,
}

#: Colour map of magnitude displays (dB); chroma and activations use the same one.
CMAP = "magma"

_FORMATS = ("mp3", "wav")

#: Axis labels of librosa's axis types (one wording across the book).
_AXIS_LABELS = {
    "time": "time (s)", "s": "time (s)", "ms": "time (ms)", "frames": "frame",
    "hz": "frequency (Hz)", "log": "frequency (Hz)", "linear": "frequency (Hz)",
    "fft": "frequency (Hz)", "mel": "frequency (Hz, mel scale)", "cqt_hz": "frequency (Hz)",
    "cqt_note": "note", "note": "note", "chroma": "pitch class",
}


def setup(**overrides) -> None:
    """Apply :data:`STYLE` (and ``overrides``) to matplotlib's rcParams.

    Parameters
    ----------
    **overrides
        rcParams to set on top of :data:`STYLE`, e.g. ``setup(**{"figure.figsize": (8, 4)})``.

    Examples
    --------
    >>> import matplotlib
    >>> setup()
    >>> matplotlib.rcParams["image.cmap"]
    'magma'

    Used by every chapter notebook (``notebooks/01_sampling_quantization.ipynb`` on).
    """
    import matplotlib

    matplotlib.rcParams.update({**STYLE, **overrides})
    _plain_text_for_styled_tables()


def _styler_text(styler, printer, cycle):
    printer.text(styler.data.to_string())


def _plain_text_for_styled_tables():
    """In a notebook, give captioned tables (pandas ``Styler``) a plain-text form.

    The book shows a ``Styler``'s HTML; its default text form is ``<...Styler at 0x7f...>``, a
    memory address that changes on every run. Registered here, the text form is the table itself.
    """
    try:
        from IPython import get_ipython
        from pandas.io.formats.style import Styler
    except ImportError:  # pragma: no cover - IPython and pandas come with the book extras
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/plain"].for_type(Styler, _styler_text)


def _axes(ax, figsize=None):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def waveform(y, *, sr=SR, ax=None, title=None, label=None, color="C0"):
    """Draw a signal against time in seconds.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Audio signal.
    sr : int
        Sample rate (Hz).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title, label : str, optional
        Axes title; legend label of the line.
    color : str
        Line colour.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = waveform(np.zeros(100), sr=1000, title="silence")
    >>> ax.get_xlabel(), ax.get_title()
    ('time (s)', 'silence')

    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb`` and after.
    """
    y = real_array(y, name="y", ndim=1)
    sr = positive_int(sr, name="sr")
    ax = _axes(ax)
    ax.plot(np.arange(y.shape[-1]) / sr, y, color=color, label=label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    ax.set_xlim(0, max(y.shape[-1] - 1, 1) / sr)
    if title:
        ax.set_title(title)
    if label:
        ax.legend(loc="upper right")
    return ax


def sampled(t_cont, y_cont, t_samples, y_samples, *, ax=None, label_cont="x(t)",
            label_samples="x[n]", color="C0"):
    """Draw a "continuous" signal as a line and its samples as stems.

    Parameters
    ----------
    t_cont, y_cont : np.ndarray, shape (m,)
        Densely sampled stand-in for the continuous signal (times in s).
    t_samples, y_samples : np.ndarray, shape (n,)
        Sampling instants (s) and sample values.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    label_cont, label_samples : str
        Legend labels of the line and of the stems.
    color : str
        Colour of both.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> t = np.linspace(0, 0.01, 200)
    >>> ax = sampled(t, np.sin(2 * np.pi * 100 * t), t[::20], np.sin(2 * np.pi * 100 * t[::20]))
    >>> ax.get_xlabel()
    'time (ms)'

    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.
    """
    ax = _axes(ax)
    ax.plot(np.asarray(t_cont) * 1e3, y_cont, color=color, lw=1, alpha=0.6, label=label_cont)
    markers, stems, base = ax.stem(np.asarray(t_samples) * 1e3, y_samples, label=label_samples)
    markers.set_color(color)
    stems.set_color(color)
    base.set_visible(False)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("amplitude")
    return ax


def specshow(S, *, sr=SR, hop_length=512, x_axis="time", y_axis="hz", ax=None, title=None,
             colorbar="dB", vmin=None, vmax=None, cmap=CMAP, fmin=None, bins_per_octave=12):
    """Show a matrix (spectrogram, chroma, activations) with labelled axes and a colorbar.

    A thin layer over :func:`librosa.display.specshow` that always labels both axes and, unless
    ``colorbar=None``, adds a colorbar labelled with what the colour means.

    Parameters
    ----------
    S : np.ndarray, shape (n_bins, n_frames)
        The matrix; rows go up the y axis.
    sr : int
        Sample rate (Hz), for the time and frequency axes.
    hop_length : int
        Hop between frames (samples), for the time axis.
    x_axis, y_axis : str or None
        librosa axis types: ``"time"``, ``"frames"``, ``"hz"``, ``"log"``, ``"mel"``,
        ``"cqt_note"``, ``"cqt_hz"``, ``"chroma"``..., or None for bin numbers.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Axes title: say what to look at.
    colorbar : str or None
        Label of the colorbar (``"dB"``, ``"magnitude"``, ``"activation"``...); None for no
        colorbar (only where colour carries no value).
    vmin, vmax : float, optional
        Colour scale limits.
    cmap : str
        Colour map.
    fmin : float, optional
        Lowest frequency of ``cqt_*`` axes (Hz).
    bins_per_octave : int
        Bins per octave of ``cqt_*`` axes.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = specshow(np.random.default_rng(0).random((12, 40)), y_axis="chroma",
    ...               colorbar="energy", title="chroma")
    >>> ax.get_xlabel(), ax.figure.axes[-1].get_ylabel()
    ('time (s)', 'energy')

    Used in the chapter notebooks from ``notebooks/05_stft.ipynb`` on.
    """
    import librosa.display

    S = real_array(S, name="S", ndim=2)
    sr = positive_int(sr, name="sr")
    hop_length = positive_int(hop_length, name="hop_length")
    ax = _axes(ax)
    kwargs = {}
    if fmin is not None:
        kwargs["fmin"] = finite_real(fmin, name="fmin")
    if y_axis and str(y_axis).startswith("cqt"):
        kwargs["bins_per_octave"] = positive_int(bins_per_octave, name="bins_per_octave")
    img = librosa.display.specshow(S, sr=sr, hop_length=hop_length, x_axis=x_axis,
                                   y_axis=y_axis, ax=ax, vmin=vmin, vmax=vmax, cmap=cmap,
                                   **kwargs)
    ax.set_xlabel(_AXIS_LABELS.get(x_axis, x_axis) if x_axis else "frame")
    ax.set_ylabel(_AXIS_LABELS.get(y_axis, y_axis) if y_axis else "bin")
    if title:
        ax.set_title(title)
    if colorbar:
        cb = ax.figure.colorbar(img, ax=ax, format="%+2.0f dB" if colorbar == "dB" else None)
        cb.set_label(colorbar)
    return ax


def spectrogram(y, *, sr=SR, n_fft=1024, hop_length=256, ax=None, fmax=None, title=None,
                vmin_db=-80.0, y_axis="hz"):
    """Log-magnitude spectrogram (dB relative to the maximum) with time and frequency axes.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Audio signal.
    sr : int
        Sample rate (Hz).
    n_fft, hop_length : int
        STFT frame and hop (samples).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    fmax : float, optional
        Top of the frequency axis (Hz).
    title : str, optional
        Axes title: say what to look at.
    vmin_db : float
        Floor of the colour scale, in dB below the maximum (negative).
    y_axis : str
        ``"hz"`` (linear) or ``"log"``.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> t = np.arange(4000) / 8000
    >>> ax = spectrogram(np.sin(2 * np.pi * 440 * t), sr=8000, n_fft=256, hop_length=64)
    >>> ax.get_ylabel(), ax.figure.axes[-1].get_ylabel()
    ('frequency (Hz)', 'dB')

    Used in the chapter notebooks ``notebooks/01_sampling_quantization.ipynb`` and
    ``notebooks/02_compression.ipynb``.
    """
    import librosa

    y = real_array(y, name="y", ndim=1)
    n_fft = positive_int(n_fft, name="n_fft")
    vmin_db = finite_real(vmin_db, name="vmin_db")
    if vmin_db >= 0:
        raise ParameterError(f"vmin_db must be negative (dB below the maximum), got {vmin_db}")
    y_axis = one_of(y_axis, "y_axis", ("hz", "log"))
    S = np.abs(librosa.stft(np.asarray(y, dtype=np.float32), n_fft=n_fft, hop_length=hop_length))
    S_db = librosa.amplitude_to_db(S, ref=np.max, top_db=-vmin_db)
    ax = specshow(S_db, sr=sr, hop_length=hop_length, x_axis="time", y_axis=y_axis, ax=ax,
                  title=title, colorbar="dB", vmin=vmin_db, vmax=0)
    if fmax:
        ax.set_ylim(0, fmax)
    return ax


def snr_vs_bits(rows, *, ax=None):
    """Measured SNR against the 6.02 b + 1.76 dB rule.

    Parameters
    ----------
    rows : list of dict
        Rows with keys ``n_bits``, ``theory_db`` and ``measured_db``
        (from :func:`mirbook.signal.quantization_snr`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> rows = [{"n_bits": b, "theory_db": 6.02 * b + 1.76, "measured_db": 6 * b} for b in (4, 8)]
    >>> snr_vs_bits(rows).get_ylabel()
    'SNR (dB)'

    Used in the chapter notebook ``notebooks/01_sampling_quantization.ipynb``.
    """
    ax = _axes(ax, figsize=(7, 3.5))
    bits = [r["n_bits"] for r in rows]
    ax.plot(bits, [r["theory_db"] for r in rows], "k--", lw=1, label="6.02 b + 1.76 dB")
    ax.plot(bits, [r["measured_db"] for r in rows], "o", color="C3", label="measured")
    ax.set_xlabel("bits per sample b")
    ax.set_ylabel("SNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def encode_player(y, *, sr=SR, format="mp3", bitrate=96, normalize=False) -> tuple[str, bytes]:
    """Encode audio for an HTML ``<audio>`` element.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (2, n)
        Audio in [-1, 1] (mono, or stereo channels first); values beyond are clipped.
    sr : int
        Sample rate (Hz). MP3 takes 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 and
        48000 Hz.
    format : {"mp3", "wav"}
        ``"mp3"`` (``bitrate`` kbit/s, about a tenth of WAV's size) or ``"wav"`` (16-bit PCM,
        for comparisons where coding artefacts are the point).
    bitrate : int
        MP3 bit rate (kbit/s).
    normalize : bool
        Scale to a peak of 0.99 first (loses the level differences between players).

    Returns
    -------
    mime : str
        ``"audio/mpeg"`` or ``"audio/wav"``.
    data : bytes
        The encoded file.

    Examples
    --------
    >>> mime, data = encode_player(np.zeros(22050), sr=22050)
    >>> mime, 0 < len(data) < 22050
    ('audio/mpeg', True)
    >>> encode_player(np.zeros(100), sr=8000, format="wav")[1][:4]
    b'RIFF'

    Used by :func:`players`.
    """
    y = real_array(y, name="y")
    if y.ndim == 2 and y.shape[0] == 1:
        y = y[0]
    if not (y.ndim == 1 or (y.ndim == 2 and y.shape[0] == 2)):
        raise ParameterError(f"y must have shape (n,) or (2, n), got {y.shape}")
    sr = positive_int(sr, name="sr")
    format = one_of(format, "format", _FORMATS)
    bitrate = positive_int(bitrate, name="bitrate")
    if normalize:
        peak = float(np.max(np.abs(y))) if y.size else 0.0
        if peak > 0:
            y = y * (0.99 / peak)
    pcm = (np.clip(y, -1.0, 1.0) * 32767).round().astype("<i2")
    channels = 1 if y.ndim == 1 else 2
    frames = pcm if channels == 1 else pcm.T
    if format == "wav":
        import soundfile as sf

        buf = io.BytesIO()
        sf.write(buf, frames, sr, format="WAV", subtype="PCM_16")
        return "audio/wav", buf.getvalue()
    import lameenc

    if sr not in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000):
        raise ParameterError(f"sr={sr} is not an MP3 sample rate; resample, or use format='wav'")
    enc = lameenc.Encoder()
    enc.set_bit_rate(bitrate)
    enc.set_in_sample_rate(sr)
    enc.set_channels(channels)
    enc.set_quality(2)
    data = bytes(enc.encode(np.ascontiguousarray(frames).tobytes()) + enc.flush())
    return "audio/mpeg", data


def players(items, *, sr=SR, format="mp3", bitrate=96, normalize=False, caption=None):
    """Audio players in a table, each next to its label (and duration).

    Parameters
    ----------
    items : dict
        ``{label: y}`` or ``{label: (y, sr)}``, in display order; ``y`` of shape (n,) or (2, n).
    sr : int
        Sample rate of the items given without one (Hz).
    format : {"mp3", "wav"}
        Encoding (:func:`encode_player`): MP3 keeps pages light; WAV where the listener must
        hear coding artefacts exactly as computed.
    bitrate : int
        MP3 bit rate (kbit/s).
    normalize : bool
        Scale each item to a peak of 0.99 (off by default: level differences are often the point).
    caption : str, optional
        Caption of the table: what to listen for.

    Returns
    -------
    table : IPython.display.HTML
        Shown as the cell's output (make it the cell's last expression, or pass it to
        ``display``).

    Examples
    --------
    >>> t = np.arange(2205) / 22050
    >>> table = players({"tone": np.sin(2 * np.pi * 440 * t), "silence": (np.zeros(800), 8000)},
    ...                 caption="a tone, then silence")
    >>> html_text = table.data
    >>> html_text.count("<audio"), "<th scope=\\"row\\">tone</th>" in html_text
    (2, True)

    Used wherever a chapter compares several sounds (``notebooks/05_stft.ipynb``...).
    """
    from IPython.display import HTML

    if not isinstance(items, dict) or not items:
        raise ParameterError("items must be a non-empty dict {label: y or (y, sr)}")
    rows = []
    for label, value in items.items():
        if not isinstance(label, str) or not label.strip():
            raise ParameterError(f"items: every label must be a non-empty string, got {label!r}")
        y, item_sr = value if isinstance(value, tuple) else (value, sr)
        mime, data = encode_player(y, sr=item_sr, format=format, bitrate=bitrate,
                                   normalize=normalize)
        seconds = np.shape(y)[-1] / item_sr
        text = html.escape(label)
        src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        rows.append(
            f'<tr><th scope="row">{text}</th>'
            f'<td><audio controls preload="none" aria-label="{text}" src="{src}"></audio></td>'
            f'<td class="mirbook-duration">{seconds:.1f} s</td></tr>')
    head = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return HTML(f'<table class="mirbook-players">{head}<tbody>{"".join(rows)}</tbody></table>')


def chords_over_chroma(chroma, rows, *, sr=SR, hop_length=2048, title=None, t_max=None,
                       colorbar="chroma (frame max = 1)"):
    """Chroma on top, one row of chord labels per chord sequence below, on one time axis.

    Parameters
    ----------
    chroma : np.ndarray, shape (12, n_frames)
        Pitch-class profile (row 0 = C), frames every ``hop_length`` samples.
    rows : dict
        ``{name: (intervals, labels)}``: chord sequences to write under the chroma
        (``intervals`` of shape (n, 2) in seconds, Harte labels), top to bottom.
    sr, hop_length : int
        Frame grid of ``chroma``.
    title : str, optional
        Title of the figure: say what to look at.
    t_max : float, optional
        End of the time axis (s); default the end of the chroma.
    colorbar : str or None
        Label of the chroma's colorbar.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Its axes: the chroma, the label rows (and the colorbar).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> X = np.random.default_rng(0).random((12, 40))
    >>> fig = chords_over_chroma(X, {"reference": (np.array([[0.0, 1.0], [1.0, 3.7]]),
    ...                                             ["C:maj", "A:min"])},
    ...                          sr=22050, hop_length=2048, title="chroma and chords")
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['pitch class', '', 'chroma (frame max = 1)']

    Used in the chapter notebook ``notebooks/08_chords.ipynb``.
    """
    import matplotlib.pyplot as plt

    chroma = real_array(chroma, name="chroma", ndim=2)
    if chroma.shape[0] != 12:
        raise ParameterError(f"chroma must have 12 rows (pitch classes), got {chroma.shape}")
    sr = positive_int(sr, name="sr")
    hop_length = positive_int(hop_length, name="hop_length")
    if not isinstance(rows, dict) or not rows:
        raise ParameterError("rows must be a non-empty dict {name: (intervals, labels)}")
    end = chroma.shape[1] * hop_length / sr
    t_max = end if t_max is None else finite_real(t_max, name="t_max")
    fig, axes = plt.subplots(2, 1, figsize=(8.0, 2.6 + 0.35 * len(rows)), sharex=True,
                             gridspec_kw={"height_ratios": [3, 0.6 * len(rows)]},
                             layout="constrained")
    img = axes[0].imshow(chroma, origin="lower", aspect="auto", cmap=CMAP,
                         extent=[0, end, -0.5, 11.5], interpolation="nearest")
    from mirbook.chords import ROOTS

    axes[0].set_yticks(range(12), ROOTS, fontsize=7)
    axes[0].set_ylabel("pitch class")
    if title:
        axes[0].set_title(title)
    for row, (iv, labels) in enumerate(rows.values()):
        iv = np.asarray(iv, dtype=float)
        if iv.ndim != 2 or iv.shape[1] != 2 or len(iv) != len(labels):
            raise ParameterError(f"rows: {list(rows)[row]!r} needs (intervals of shape (n, 2), "
                                 f"n labels), got {iv.shape} and {len(labels)} labels")
        for (a, b), label in zip(iv, labels):
            axes[1].axvline(a, color="0.7", lw=0.5)
            if a < t_max:
                axes[1].text((a + min(b, t_max)) / 2, row, label.replace(":", "\n"),
                             ha="center", va="center", fontsize=6)
    axes[1].set_yticks(range(len(rows)), list(rows), fontsize=8)
    axes[1].set_ylim(len(rows) - 0.5, -0.5)
    axes[1].set_xlim(0, t_max)
    axes[1].set_xlabel("time (s)")
    if colorbar:
        cb = fig.colorbar(img, ax=axes[0], pad=0.01)
        cb.set_label(colorbar)
    return fig


def activations(H, *, pitches, sr=SR, hop_length=512, notes=None, ax=None, title=None,
                pitch_range=None, colorbar="activation (sqrt of H / max H)"):
    """Activations of one row per pitch as a piano roll (square-root scale, grey), with notes.

    Parameters
    ----------
    H : np.ndarray, shape (n_pitches, n_frames)
        Non-negative activations, row ``k`` for MIDI pitch ``pitches[k]``.
    pitches : array-like, shape (n_pitches,)
        Consecutive MIDI pitches of the rows.
    sr, hop_length : int
        Frame grid of ``H``.
    notes : array-like, shape (n, 3 or more), optional
        ``onset, offset, pitch`` drawn as red lines (the reference).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        What to look at.
    pitch_range : (float, float), optional
        Limits of the pitch axis.
    colorbar : str or None
        Label of the colorbar.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = activations(np.eye(3), pitches=[60, 61, 62], notes=[[0.0, 0.02, 61]])
    >>> ax.get_xlabel(), ax.get_ylabel(), ax.figure.axes[-1].get_ylabel()
    ('time (s)', 'MIDI pitch', 'activation (sqrt of H / max H)')

    Used in the chapter notebook ``notebooks/09_nmf_transcription.ipynb``.
    """
    H = real_array(H, name="H", ndim=2, nonneg=True)
    pitches = np.asarray(pitches, dtype=float)
    if pitches.shape != (H.shape[0],):
        raise ParameterError(f"pitches: shape {pitches.shape} does not match H: {H.shape}")
    sr = positive_int(sr, name="sr")
    hop_length = positive_int(hop_length, name="hop_length")
    ax = _axes(ax)
    peak = float(H.max()) or 1.0
    img = ax.imshow(np.sqrt(H / peak), origin="lower", aspect="auto", cmap="gray_r",
                    extent=[0, H.shape[1] * hop_length / sr, pitches[0] - 0.5,
                            pitches[-1] + 0.5], vmin=0, vmax=1, interpolation="nearest")
    if notes is not None:
        for i, (on, off, p) in enumerate(np.asarray(notes, dtype=float)[:, :3]):
            ax.plot([on, off], [p, p], color="tab:red", lw=1, alpha=0.7,
                    label="reference notes" if i == 0 else None)
        if len(notes):
            ax.legend(loc="upper right", fontsize=8)
    if pitch_range is not None:
        ax.set_ylim(*pitch_range)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("MIDI pitch")
    if title:
        ax.set_title(title)
    if colorbar:
        cb = ax.figure.colorbar(img, ax=ax, pad=0.01)
        cb.set_label(colorbar)
    return ax
