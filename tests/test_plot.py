"""mirbook.plot: shared figure defaults, labelled figures, labelled players, and figures that
actually render in the kernels that make test / make book start."""

import base64
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mirbook import plot  # noqa: E402
from mirbook.errors import ParameterError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SR = 22050


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _tone(seconds=1.0, sr=SR, f=440.0):
    t = np.arange(int(seconds * sr)) / sr
    return 0.5 * np.sin(2 * np.pi * f * t)


def test_setup_applies_the_shared_style():
    plot.setup()
    for key, value in plot.STYLE.items():
        got = matplotlib.rcParams[key]
        assert (list(got) == list(value)) if isinstance(value, tuple) else got == value, key
    plot.setup(**{"figure.figsize": (8.0, 4.0)})
    assert list(matplotlib.rcParams["figure.figsize"]) == [8.0, 4.0]
    plot.setup()


def test_default_figure_fits_the_content_column():
    width_px = plot.STYLE["figure.figsize"][0] * plot.STYLE["figure.dpi"]
    assert width_px <= 820  # the book's content column at 1280 px is about 820 px wide


@pytest.mark.parametrize("draw, xlabel, ylabel, colorbar", [
    (lambda ax: plot.waveform(_tone(), sr=SR, ax=ax), "time (s)", "amplitude", None),
    (lambda ax: plot.spectrogram(_tone(), sr=SR, ax=ax), "time (s)", "frequency (Hz)", "dB"),
    (lambda ax: plot.specshow(np.ones((12, 30)), y_axis="chroma", colorbar="energy", ax=ax),
     "time (s)", "pitch class", "energy"),
    (lambda ax: plot.specshow(np.ones((5, 30)), x_axis=None, y_axis=None, colorbar="gain",
                              ax=ax), "frame", "bin", "gain"),
    (lambda ax: plot.sampled(np.linspace(0, 1e-2, 50), np.zeros(50), np.linspace(0, 1e-2, 5),
                             np.zeros(5), ax=ax), "time (ms)", "amplitude", None),
    (lambda ax: plot.snr_vs_bits([{"n_bits": 8, "theory_db": 49.9, "measured_db": 49.0}], ax=ax),
     "bits per sample b", "SNR (dB)", None),
])
def test_figures_label_their_axes_and_colour(draw, xlabel, ylabel, colorbar):
    fig, ax = plt.subplots()
    assert draw(ax) is ax
    assert (ax.get_xlabel(), ax.get_ylabel()) == (xlabel, ylabel)
    others = [a for a in fig.axes if a is not ax]
    if colorbar is None:
        assert not others
    else:
        assert len(others) == 1 and others[0].get_ylabel() == colorbar


def test_helpers_make_their_own_figure_without_ax():
    before = len(plt.get_fignums())
    plot.waveform(_tone(0.1), sr=SR, title="a tone")
    assert len(plt.get_fignums()) == before + 1
    assert plt.gca().get_title() == "a tone"


def test_spectrogram_colour_scale_and_fmax():
    ax = plot.spectrogram(_tone(), sr=SR, fmax=4000, vmin_db=-60)
    assert ax.get_ylim() == (0, 4000)
    assert ax.collections[0].get_clim() == (-60, 0)


@pytest.mark.parametrize("call, match", [
    (lambda: plot.waveform(np.zeros((2, 10)), sr=SR), "y"),
    (lambda: plot.waveform(np.zeros(10), sr=0), "sr"),
    (lambda: plot.spectrogram(_tone(), sr=SR, vmin_db=10), "vmin_db"),
    (lambda: plot.spectrogram(_tone(), sr=SR, y_axis="mel"), "y_axis"),
    (lambda: plot.specshow(np.ones(10)), "S"),
    (lambda: plot.encode_player(np.zeros((3, 10)), sr=SR), "y"),
    (lambda: plot.encode_player(np.zeros(10), sr=SR, format="flac"), "format"),
    (lambda: plot.encode_player(np.zeros(10), sr=10000), "sr"),
    (lambda: plot.players({}), "items"),
    (lambda: plot.players({"": np.zeros(10)}), "label"),
    (lambda: plot.players([np.zeros(10)]), "items"),
])
def test_caller_mistakes_name_the_parameter(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def _sources(table_html):
    return re.findall(r'src="data:(audio/[a-z]+);base64,([^"]+)"', table_html)


def test_players_put_each_label_next_to_its_player():
    table = plot.players({"original": (_tone(), SR), "an <octave> up": _tone(f=880.0)},
                         caption="listen for the pitch")
    text = table.data
    rows = re.findall(r"<tr>(.*?)</tr>", text)
    assert len(rows) == 2
    assert '<th scope="row">original</th>' in rows[0] and "<audio" in rows[0]
    assert "an &lt;octave&gt; up" in rows[1] and 'aria-label="an &lt;octave&gt; up"' in rows[1]
    assert "<caption>listen for the pitch</caption>" in text
    assert "1.0 s" in rows[0]
    assert [mime for mime, _ in _sources(text)] == ["audio/mpeg", "audio/mpeg"]


def test_players_are_a_tenth_of_wav():
    y = _tone(10.0)
    mp3 = sum(len(d) for _, d in _sources(plot.players({"x": y}).data))
    wav = sum(len(d) for _, d in _sources(plot.players({"x": y}, format="wav").data))
    assert mp3 < wav / 3
    assert mp3 < 200_000  # 10 s of audio: 4 MB pages hold a few dozen such players


def test_encoded_audio_decodes_to_the_signal():
    import soundfile as sf
    import io

    y = _tone(0.5)
    mime, data = plot.encode_player(y, sr=SR, format="wav")
    back, sr = sf.read(io.BytesIO(data))
    assert mime == "audio/wav" and sr == SR
    np.testing.assert_allclose(back, y, atol=1 / 32767)
    mime, data = plot.encode_player(np.stack([y, -y]), sr=SR)
    assert mime == "audio/mpeg" and data[0] == 0xFF and data[1] & 0xE0 == 0xE0  # frame sync


def test_normalize_and_clipping():
    loud = 3 * _tone(0.1)
    _, clipped = plot.encode_player(loud, sr=SR, format="wav")
    _, normed = plot.encode_player(loud, sr=SR, format="wav", normalize=True)
    import io
    import soundfile as sf
    assert np.max(np.abs(sf.read(io.BytesIO(clipped))[0])) == pytest.approx(1.0, abs=1e-4)
    assert np.max(np.abs(sf.read(io.BytesIO(normed))[0])) == pytest.approx(0.99, abs=1e-3)


def _makefile_kernel_backend():
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^KERNEL_ENV\s*:?=\s*MPLBACKEND=(\S+)", text, re.M)
    assert match, "the Makefile gives the kernels their matplotlib backend (KERNEL_ENV)"
    return match.group(1)


def test_makefile_does_not_export_a_non_inline_backend_to_kernels():
    text = (ROOT / "Makefile").read_text()
    assert not re.search(r"^export MPLBACKEND", text, re.M), "kernels would inherit it"
    assert _makefile_kernel_backend() == "module://matplotlib_inline.backend_inline"
    for recipe in ("--nbval-lax", "jupyter-book build"):
        line = next(line for line in text.splitlines() if recipe in line)
        assert "$(KERNEL_ENV)" in line, f"the {recipe} recipe must run with $(KERNEL_ENV)"


def _run_in_kernel(monkeypatch, backend):
    import nbformat
    from nbclient import NotebookClient

    if backend is None:
        monkeypatch.delenv("MPLBACKEND", raising=False)
    else:
        monkeypatch.setenv("MPLBACKEND", backend)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1])\nplt.show()")])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return [o for o in nb.cells[0].outputs if "image/png" in o.get("data", {})]


@pytest.mark.slow
def test_figures_render_in_a_kernel_started_as_make_starts_them(monkeypatch):
    assert len(_run_in_kernel(monkeypatch, _makefile_kernel_backend())) == 1
    # the bug this guards against: with MPLBACKEND=Agg inherited, plt.show() shows nothing
    assert _run_in_kernel(monkeypatch, "Agg") == []


def test_chords_over_chroma_labels_every_row_and_colour():
    X = np.random.default_rng(0).random((12, 40))
    iv = np.array([[0.0, 1.0], [1.0, 3.7]])
    fig = plot.chords_over_chroma(X, {"reference": (iv, ["C:maj", "A:min"]),
                                      "estimate": (iv, ["C:maj", "C:maj"])},
                                  sr=SR, hop_length=2048, title="chords", t_max=2.0)
    top, rows, cbar = fig.axes
    assert top.get_title() == "chords" and top.get_ylabel() == "pitch class"
    assert rows.get_xlabel() == "time (s)" and rows.get_xlim() == (0.0, 2.0)
    assert [t.get_text() for t in rows.get_yticklabels()] == ["reference", "estimate"]
    assert {t.get_text() for t in rows.texts} == {"C\nmaj", "A\nmin"}
    assert cbar.get_ylabel() == "chroma (frame max = 1)"


@pytest.mark.parametrize("call, match", [
    (lambda: plot.chords_over_chroma(np.ones((11, 4)), {"r": ([[0, 1]], ["N"])}), "chroma"),
    (lambda: plot.chords_over_chroma(np.ones((12, 4)), {}), "rows"),
    (lambda: plot.chords_over_chroma(np.ones((12, 4)), {"r": ([[0, 1]], ["N", "N"])}), "rows"),
    (lambda: plot.activations(np.ones((3, 4)), pitches=[60, 61]), "pitches"),
    (lambda: plot.activations(-np.ones((3, 4)), pitches=[60, 61, 62]), "H"),
])
def test_chapter_figure_mistakes_name_the_parameter(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_activations_draw_a_piano_roll_with_notes():
    H = np.zeros((3, 100))
    H[1, 10:50] = 4.0
    ax = plot.activations(H, pitches=[60, 61, 62], notes=[[0.1, 0.5, 61, 80]],
                          title="H", pitch_range=(59, 63))
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("time (s)", "MIDI pitch", "H")
    img = ax.get_images()[0]
    assert img.get_array().max() == 1.0                  # sqrt(H / max H)
    assert ax.get_ylim() == (59.0, 63.0)
    assert len(ax.lines) == 1 and ax.figure.axes[-1].get_ylabel().startswith("activation")
