"""Small convolutional networks of Part III: plain :class:`torch.nn.Module` classes, no framework.

- :class:`SeedCNN`: the lecture's speech/music CNN on the ``(3, 108, 12)`` input of
  :func:`mirbook.speech_music.seed_input` (MFCC, delta, delta-delta x 108 frames x 12
  coefficients), rectangular first-layer filters.
- :class:`MelCNN`: a CNN on log-mel spectrograms ``(1, n_mels, n_frames)``, rectangular filters,
  global pooling (any clip length), an :meth:`MelCNN.embed` output for later chapters.
- :class:`WaveformCNN`: an end-to-end model on raw audio (Dieleman & Schrauwen 2014, a
  SampleCNN-style stack): a strided first layer of learnable filters (:attr:`WaveformCNN.frontend`,
  whose weights chapter 12 inspects), conv blocks, global pooling.

Every model takes keyword-only constructor arguments, initialises its weights from
``random_state`` (without touching torch's global random state) and has a :attr:`config` dict from
which :func:`build_model` (and :func:`mirbook.train.load_checkpoint`) rebuilds it. Outputs are
logits, shape ``(batch, n_classes)``: train them with :func:`mirbook.train.fit`.

Used by the Part III chapter notebooks (chapter 11, CNNs on spectrograms; chapter 12, end-to-end
learning).

>>> import torch
>>> model = SeedCNN(n_classes=2)
>>> model(torch.zeros(4, 3, 108, 12)).shape
torch.Size([4, 2])
>>> type(build_model("SeedCNN", model.config)).__name__
'SeedCNN'
"""

from __future__ import annotations

import torch
from torch import nn

from mirbook import _validate
from mirbook.errors import ParameterError

__all__ = ["SeedCNN", "MelCNN", "WaveformCNN", "MODELS", "build_model"]


def _seed_from(random_state):
    """A torch seed drawn from ``random_state`` (the one way mirbook asks for randomness)."""
    return int(_validate.random_state(random_state).integers(2**63 - 1))


def _pair(value, name):
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={value!r}: expected a pair of positive integers") from None
    return (_validate.positive_int(a, name), _validate.positive_int(b, name))


def _int_tuple(values, name):
    try:
        values = tuple(values)
    except TypeError:
        raise ParameterError(f"{name}={values!r}: expected a sequence of positive integers") \
            from None
    if not values:
        raise ParameterError(f"{name}=(): expected at least one value")
    return tuple(_validate.positive_int(v, name) for v in values)


def _dropout(value):
    return _validate.finite_real(value, "dropout", low=0.0, high=0.99)


def _check_input(x, *, ndim, channels, what):
    if not isinstance(x, torch.Tensor):
        raise ParameterError(f"x: expected a torch.Tensor, got {type(x).__name__}")
    if x.ndim != ndim or x.shape[1] != channels:
        raise ParameterError(f"x: shape {tuple(x.shape)}, expected {what}")


class _Model(nn.Module):
    """Shared by the models: ``config`` and seeded construction."""

    def _remember(self, **config):
        self._config = config

    @property
    def config(self) -> dict:
        """The constructor arguments (plain Python values): ``type(model)(**model.config)``
        builds the same architecture."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self._config.items()}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config.items())

    def n_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def _same_conv2d(c_in, c_out, kernel):
    """A conv that keeps the size ('same' padding), even kernels included (padded explicitly:
    torch's ``padding="same"`` warns for them)."""
    kh, kw = kernel
    if kh % 2 and kw % 2:
        return nn.Conv2d(c_in, c_out, kernel, padding=(kh // 2, kw // 2), bias=False)
    pad = nn.ZeroPad2d(((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2))
    return nn.Sequential(pad, nn.Conv2d(c_in, c_out, kernel, bias=False))


def _conv2d_block(c_in, c_out, kernel, pool):
    return nn.Sequential(
        _same_conv2d(c_in, c_out, kernel),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.MaxPool2d(pool, ceil_mode=True),
    )


class SeedCNN(_Model):
    """The lecture's speech/music CNN on the ``(3, 108, 12)`` input.

    Input ``x``, shape ``(batch, 3, n_frames, n_bands)``: 3 channels (MFCC, delta, delta-delta;
    :func:`mirbook.speech_music.seed_input`), 108 frames (2.5 s), 12 coefficients. The first layer
    has rectangular filters, long in time and short across coefficients (``first_kernel``); then
    square conv blocks with max pooling, a global average pool (so other ``n_frames`` work too),
    dropout and a linear classifier. The lecture gives only the input shape; this architecture is
    our reconstruction.

    Parameters
    ----------
    n_classes : int
        Number of outputs (logits).
    in_channels : int
        3 for the seed's input.
    channels : sequence of int
        Filters of each conv block (the first block uses ``first_kernel``).
    first_kernel : (int, int)
        (frames, coefficients) of the first layer's filters.
    dropout : float
        Dropout before the classifier.
    random_state : None, int or np.random.Generator
        Weight initialisation.

    Examples
    --------
    >>> import torch
    >>> model = SeedCNN(n_classes=2)
    >>> model(torch.zeros(8, 3, 108, 12)).shape
    torch.Size([8, 2])
    >>> model(torch.zeros(1, 3, 54, 12)).shape    # other lengths work (global pooling)
    torch.Size([1, 2])
    >>> model.config["first_kernel"]
    [9, 3]

    Used in the chapter 11 notebook (CNNs on spectrograms).
    """

    def __init__(self, *, n_classes=2, in_channels=3, channels=(16, 32, 64), first_kernel=(9, 3),
                 dropout=0.3, random_state=0):
        super().__init__()
        n_classes = _validate.positive_int(n_classes, "n_classes")
        in_channels = _validate.positive_int(in_channels, "in_channels")
        channels = _int_tuple(channels, "channels")
        first_kernel = _pair(first_kernel, "first_kernel")
        dropout = _dropout(dropout)
        self._remember(n_classes=n_classes, in_channels=in_channels, channels=channels,
                       first_kernel=first_kernel, dropout=dropout, random_state=random_state
                       if isinstance(random_state, (int, type(None))) else None)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_seed_from(random_state))
            blocks, c_in = [], in_channels
            for i, c_out in enumerate(channels):
                kernel = first_kernel if i == 0 else (3, 3)
                pool = (2, 1) if i == 0 else (2, 2)   # keep the 12 coefficients a while
                blocks.append(_conv2d_block(c_in, c_out, kernel, pool))
                c_in = c_out
            self.features = nn.Sequential(*blocks)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(c_in, n_classes)

    def forward(self, x):
        """Logits.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, in_channels, n_frames, n_bands)

        Returns
        -------
        logits : torch.Tensor, shape (batch, n_classes)
        """
        _check_input(x, ndim=4, channels=self._config["in_channels"],
                     what=f"(batch, {self._config['in_channels']}, n_frames, n_bands)")
        h = self.pool(self.features(x)).flatten(1)
        return self.classifier(self.dropout(h))


class MelCNN(_Model):
    """A CNN on log-mel spectrograms: rectangular filters, global pooling, an embedding.

    Input ``x``, shape ``(batch, 1, n_mels, n_frames)`` (librosa's orientation: frequency, then
    time). The first layer's filters are rectangular (``first_kernel``, tall in frequency: timbre
    shapes over a few frames); then 3x3 conv blocks with 2x2 max pooling; a global average pool over
    frequency and time makes the output independent of the clip length and of small shifts in time;
    a linear layer gives the ``embedding_dim`` embedding (:meth:`embed`), dropout and a linear
    classifier the logits.

    Parameters
    ----------
    n_classes : int
    in_channels : int
    channels : sequence of int
        Filters of each conv block.
    first_kernel : (int, int)
        (mel bands, frames) of the first layer's filters.
    embedding_dim : int
        Size of :meth:`embed`'s output.
    dropout : float
    random_state : None, int or np.random.Generator

    Examples
    --------
    >>> import torch
    >>> model = MelCNN(n_classes=3)
    >>> model(torch.zeros(2, 1, 64, 216)).shape
    torch.Size([2, 3])
    >>> model(torch.zeros(2, 1, 64, 40)).shape     # any length
    torch.Size([2, 3])
    >>> model.embed(torch.zeros(2, 1, 64, 216)).shape
    torch.Size([2, 64])

    Used in the chapter 11 notebook (CNNs on spectrograms).
    """

    def __init__(self, *, n_classes=2, in_channels=1, channels=(16, 32, 64, 64),
                 first_kernel=(7, 3), embedding_dim=64, dropout=0.3, random_state=0):
        super().__init__()
        n_classes = _validate.positive_int(n_classes, "n_classes")
        in_channels = _validate.positive_int(in_channels, "in_channels")
        channels = _int_tuple(channels, "channels")
        first_kernel = _pair(first_kernel, "first_kernel")
        embedding_dim = _validate.positive_int(embedding_dim, "embedding_dim")
        dropout = _dropout(dropout)
        self._remember(n_classes=n_classes, in_channels=in_channels, channels=channels,
                       first_kernel=first_kernel, embedding_dim=embedding_dim, dropout=dropout,
                       random_state=random_state
                       if isinstance(random_state, (int, type(None))) else None)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_seed_from(random_state))
            blocks, c_in = [], in_channels
            for i, c_out in enumerate(channels):
                blocks.append(_conv2d_block(c_in, c_out, first_kernel if i == 0 else (3, 3),
                                            (2, 2)))
                c_in = c_out
            self.features = nn.Sequential(*blocks)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.embedding = nn.Sequential(nn.Linear(c_in, embedding_dim), nn.ReLU())
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(embedding_dim, n_classes)

    def embed(self, x):
        """The embedding before the classifier.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, in_channels, n_mels, n_frames)

        Returns
        -------
        embedding : torch.Tensor, shape (batch, embedding_dim)
        """
        _check_input(x, ndim=4, channels=self._config["in_channels"],
                     what=f"(batch, {self._config['in_channels']}, n_mels, n_frames)")
        return self.embedding(self.pool(self.features(x)).flatten(1))

    def forward(self, x):
        """Logits.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, in_channels, n_mels, n_frames)

        Returns
        -------
        logits : torch.Tensor, shape (batch, n_classes)
        """
        return self.classifier(self.dropout(self.embed(x)))


class WaveformCNN(_Model):
    """An end-to-end model on raw audio: learnable strided filters, conv blocks, global pooling.

    The first layer (:attr:`frontend`, a :class:`torch.nn.Conv1d` without bias) slides
    ``n_filters`` learnable filters of ``filter_length`` samples with stride ``stride`` over the
    waveform, as a filterbank would (Dieleman & Schrauwen 2014); its weights, shape
    ``(n_filters, 1, filter_length)``, are what chapter 12 inspects (:meth:`filters`). Then
    SampleCNN-style blocks (Lee et al. 2017): 1-d convolutions of size 3 with max pooling by 3, a
    global max + average pool (any length), dropout and a linear classifier.

    Parameters
    ----------
    n_classes : int
    n_filters : int
        Filters of the first layer.
    filter_length : int
        Samples per first-layer filter (256 samples = 11.6 ms at 22050 Hz).
    stride : int
        Hop of the first layer, in samples.
    channels : sequence of int
        Filters of each conv block after the first layer.
    dropout : float
    random_state : None, int or np.random.Generator

    Examples
    --------
    >>> import torch
    >>> model = WaveformCNN(n_classes=2)
    >>> model(torch.zeros(2, 22050)).shape             # (batch, n_samples)
    torch.Size([2, 2])
    >>> model(torch.zeros(2, 1, 8000)).shape           # or (batch, 1, n_samples)
    torch.Size([2, 2])
    >>> model.filters().shape                           # (n_filters, filter_length), numpy
    (32, 256)

    Used in the chapter 12 notebook (end-to-end learning).
    """

    def __init__(self, *, n_classes=2, n_filters=32, filter_length=256, stride=128,
                 channels=(32, 64, 64), dropout=0.3, random_state=0):
        super().__init__()
        n_classes = _validate.positive_int(n_classes, "n_classes")
        n_filters = _validate.positive_int(n_filters, "n_filters")
        filter_length = _validate.positive_int(filter_length, "filter_length")
        stride = _validate.positive_int(stride, "stride")
        channels = _int_tuple(channels, "channels")
        dropout = _dropout(dropout)
        self._remember(n_classes=n_classes, n_filters=n_filters, filter_length=filter_length,
                       stride=stride, channels=channels, dropout=dropout,
                       random_state=random_state
                       if isinstance(random_state, (int, type(None))) else None)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_seed_from(random_state))
            self.frontend = nn.Conv1d(1, n_filters, filter_length, stride=stride, bias=False)
            self.frontend_norm = nn.Sequential(nn.BatchNorm1d(n_filters), nn.ReLU())
            blocks, c_in = [], n_filters
            for c_out in channels:
                blocks.append(nn.Sequential(
                    nn.Conv1d(c_in, c_out, 3, padding=1, bias=False),
                    nn.BatchNorm1d(c_out),
                    nn.ReLU(),
                    nn.MaxPool1d(3, ceil_mode=True),
                ))
                c_in = c_out
            self.features = nn.Sequential(*blocks)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(2 * c_in, n_classes)

    def filters(self):
        """The first layer's filters as a numpy array, shape ``(n_filters, filter_length)``."""
        return self.frontend.weight.detach().cpu().numpy()[:, 0, :].copy()

    def forward(self, x):
        """Logits.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_samples) or (batch, 1, n_samples)
            At least ``filter_length`` samples.

        Returns
        -------
        logits : torch.Tensor, shape (batch, n_classes)
        """
        if isinstance(x, torch.Tensor) and x.ndim == 2:
            x = x.unsqueeze(1)
        _check_input(x, ndim=3, channels=1, what="(batch, n_samples) or (batch, 1, n_samples)")
        if x.shape[-1] < self._config["filter_length"]:
            raise ParameterError(f"x: {x.shape[-1]} samples, fewer than "
                                 f"filter_length={self._config['filter_length']}")
        h = self.features(self.frontend_norm(self.frontend(x)))
        h = torch.cat([h.amax(dim=-1), h.mean(dim=-1)], dim=1)
        return self.classifier(self.dropout(h))


#: The model classes :func:`build_model` and :func:`mirbook.train.load_checkpoint` know by name.
MODELS = {"SeedCNN": SeedCNN, "MelCNN": MelCNN, "WaveformCNN": WaveformCNN}


def build_model(name, config=None):
    """Build a model of :data:`MODELS` from its class name and :attr:`config`.

    Parameters
    ----------
    name : str
        ``"SeedCNN"``, ``"MelCNN"`` or ``"WaveformCNN"``.
    config : dict, optional
        Constructor arguments (a model's ``config``); the defaults if omitted.

    Returns
    -------
    model : torch.nn.Module

    Raises
    ------
    ParameterError
        Unknown name, or a config the class does not accept.

    Examples
    --------
    >>> model = build_model("MelCNN", {"n_classes": 5})
    >>> model.config["n_classes"], type(model).__name__
    (5, 'MelCNN')

    Used by :func:`mirbook.train.load_checkpoint` and the Part III chapter notebooks.
    """
    if name not in MODELS:
        raise ParameterError(f"name={name!r}: expected one of {', '.join(map(repr, MODELS))}")
    config = {} if config is None else dict(config)
    try:
        return MODELS[name](**config)
    except TypeError as err:
        raise ParameterError(f"config: {err}") from None
