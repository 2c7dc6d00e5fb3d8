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
