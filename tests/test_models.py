"""mirbook.models: output shapes, configs, seeded initialisation, input checks."""

import warnings

import pytest
import torch

from mirbook.errors import ParameterError
from mirbook.models import MODELS, MelCNN, SeedCNN, WaveformCNN, build_model


@pytest.mark.parametrize("shape", [(4, 3, 108, 12), (2, 3, 54, 12), (1, 3, 216, 12)])
@pytest.mark.parametrize("n_classes", [2, 5])
def test_seedcnn_output_shape(shape, n_classes):
    out = SeedCNN(n_classes=n_classes).eval()(torch.zeros(shape))
    assert out.shape == (shape[0], n_classes)


@pytest.mark.parametrize("shape", [(2, 1, 64, 216), (3, 1, 64, 20), (1, 1, 128, 431), (1, 1, 8, 3)])
def test_melcnn_output_and_embedding_shapes(shape):
    model = MelCNN(n_classes=3, embedding_dim=32).eval()
    x = torch.randn(shape)
    assert model(x).shape == (shape[0], 3)
    assert model.embed(x).shape == (shape[0], 32)


@pytest.mark.parametrize("shape", [(2, 22050), (1, 1, 55125), (3, 256)])
def test_waveformcnn_output_shape(shape):
    model = WaveformCNN(n_classes=4).eval()
    assert model(torch.randn(shape)).shape == (shape[0], 4)
    assert model.frontend.weight.shape == (32, 1, 256)
    assert model.filters().shape == (32, 256)


def test_first_layer_filters_are_rectangular():
    assert SeedCNN().features[0][0].kernel_size == (9, 3)
    assert MelCNN().features[0][0].kernel_size == (7, 3)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_config_rebuilds_the_same_architecture_and_is_seeded(name):
    model = MODELS[name](n_classes=3)
    again = build_model(name, model.config)
    assert type(again) is type(model) and again.config == model.config
    for (k, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), k       # same random_state -> same initial weights
    other = MODELS[name](n_classes=3, random_state=1)
    assert not all(torch.equal(a, b) for a, b in
                   zip(model.state_dict().values(), other.state_dict().values()))


@pytest.mark.parametrize("kernel", [(8, 4), (6, 3), (5, 2)])
def test_even_kernels_keep_the_size_without_warning(kernel):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert SeedCNN(first_kernel=kernel)(torch.zeros(2, 3, 108, 12)).shape == (2, 2)
        assert MelCNN(first_kernel=kernel)(torch.zeros(2, 1, 64, 21)).shape == (2, 2)
        assert MelCNN(first_kernel=kernel).features[0](torch.zeros(1, 1, 64, 21)).shape \
            == (1, 16, 32, 11)


def test_construction_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    SeedCNN()
    assert torch.equal(torch.rand(3), expected)


def test_bad_arguments_and_inputs():
    with pytest.raises(ParameterError, match="n_classes"):
        SeedCNN(n_classes=0)
    with pytest.raises(ParameterError, match="first_kernel"):
        MelCNN(first_kernel=3)
    with pytest.raises(ParameterError, match="channels"):
        WaveformCNN(channels=())
    with pytest.raises(ParameterError, match="dropout"):
        SeedCNN(dropout=1.5)
    with pytest.raises(ParameterError, match=r"x: shape \(2, 1, 108, 12\)"):
        SeedCNN()(torch.zeros(2, 1, 108, 12))
    with pytest.raises(ParameterError, match="x: shape"):
        MelCNN()(torch.zeros(64, 216))
    with pytest.raises(ParameterError, match="filter_length"):
        WaveformCNN()(torch.zeros(1, 100))
    with pytest.raises(ParameterError, match="name="):
        build_model("ResNet50")
    with pytest.raises(ParameterError, match="config"):
        build_model("SeedCNN", {"n_mels": 3})


# ----------------------------------------------------------------------------- chapter 12

import numpy as np  # noqa: E402

from mirbook.models import (SPACING_SCALES, WaveformCRNN, filter_peak_frequencies,  # noqa: E402
                            spacing_fit)


@pytest.mark.parametrize("recurrent", [False, True])
@pytest.mark.parametrize("pooling", ["max_mean", "attention"])
@pytest.mark.parametrize("shape", [(2, 22050), (1, 1, 4410), (3, 256)])
def test_waveformcrnn_output_shapes(recurrent, pooling, shape):
    model = WaveformCRNN(n_classes=3, recurrent=recurrent, pooling=pooling).eval()
    assert model(torch.randn(shape)).shape == (shape[0], 3)
    assert model.filters().shape == (32, 256)
    if pooling == "attention":
        w = model.attention_weights(torch.randn(shape))
        assert w.shape[0] == shape[0]
        assert torch.allclose(w.sum(dim=1), torch.ones(shape[0]))
    else:
        with pytest.raises(ParameterError, match="pooling"):
            model.attention_weights(torch.randn(shape))


def test_waveformcrnn_without_advances_is_the_waveformcnn():
    """recurrent=False, pooling="max_mean": the same weights and outputs as WaveformCNN."""
    a = WaveformCRNN(recurrent=False, pooling="max_mean", random_state=3).eval()
    b = WaveformCNN(random_state=3).eval()
    sa, sb = a.state_dict(), b.state_dict()
    assert set(sa) == set(sb)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    x = torch.randn(2, 8000)
    assert torch.allclose(a(x), b(x))


def test_waveformcrnn_bad_arguments_and_checkpoint(tmp_path):
    from mirbook.train import load_checkpoint, save_checkpoint

    with pytest.raises(ParameterError, match="pooling"):
        WaveformCRNN(pooling="sum")
    with pytest.raises(ParameterError, match="recurrent"):
        WaveformCRNN(recurrent="yes")
    with pytest.raises(ParameterError, match="fewer than filter_length"):
        WaveformCRNN()(torch.zeros(1, 100))
    model = WaveformCRNN(n_classes=4, hidden_size=8)
    again = load_checkpoint(save_checkpoint(tmp_path / "crnn.pt", model))
    assert type(again) is WaveformCRNN and again.config == model.config
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 again.state_dict().values()))


def _cosine_bank(freqs, *, sr=22050, length=256):
    t = np.arange(length) / sr
    return np.stack([np.hanning(length) * np.cos(2 * np.pi * f * t) for f in freqs])


def test_filter_peak_frequencies_known_answer():
    freqs = np.array([300.0, 1000.0, 2500.0, 7000.0, 10000.0])
    peaks, info = filter_peak_frequencies(_cosine_bank(freqs), sr=22050, n_fft=8192,
                                          return_info=True)
    assert np.all(np.abs(peaks - freqs) <= 22050 / 8192)       # within one bin
    assert info["response_db"].shape == (5, 4097)
    assert np.allclose(info["response_db"].max(axis=1), 0.0)
    assert info["fft_frequencies"][-1] == 11025.0
    # DC is excluded: a constant filter peaks at the first bin above 0 Hz
    assert filter_peak_frequencies(np.ones((1, 64)), sr=8000, n_fft=64)[0] == 125.0


def test_filter_peak_frequencies_bad_arguments():
    with pytest.raises(ParameterError, match="n_fft"):
        filter_peak_frequencies(np.ones((2, 256)), n_fft=128)
    with pytest.raises(ParameterError, match="W"):
        filter_peak_frequencies(np.ones(256))


def test_log_spaced_sinusoid_filters_fit_the_log_axis():
    """The known answer: a bank of log-spaced sinusoid filters gives R² ~ 1 on the log axis."""
    freqs = 200.0 * 2 ** (np.arange(32) / 6)                    # 200 Hz .. 7.4 kHz
    rng = np.random.default_rng(0)
    W = _cosine_bank(rng.permutation(freqs))                    # order does not matter
    r2 = spacing_fit(filter_peak_frequencies(W, sr=22050, n_fft=8192))
    assert tuple(r2) == SPACING_SCALES
    assert r2["log"] > 0.999 and r2["linear"] < 0.85 and r2["log"] > r2["mel"] > r2["linear"]


def test_linear_spaced_filters_fit_the_linear_axis():
    freqs = np.linspace(300.0, 10000.0, 32)
    r2 = spacing_fit(filter_peak_frequencies(_cosine_bank(freqs), sr=22050, n_fft=8192))
    assert r2["linear"] > 0.999 and r2["log"] < 0.95


def test_spacing_fit_mel_bank_fits_the_mel_axis():
    import librosa

    r2 = spacing_fit(librosa.mel_frequencies(n_mels=40, fmax=11025)[1:-1])
    assert r2["mel"] > 0.9999 and r2["mel"] > r2["log"] and r2["mel"] > r2["linear"]


def test_spacing_fit_bad_arguments():
    with pytest.raises(ParameterError, match="at least 3"):
        spacing_fit([100.0, 200.0])
    with pytest.raises(ParameterError, match="positive"):
        spacing_fit([0.0, 100.0, 200.0])
    with pytest.raises(ParameterError, match="all equal"):
        spacing_fit([100.0, 100.0, 100.0])
