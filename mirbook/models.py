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


def _waveform_frontend(module, *, n_filters, filter_length, stride, channels):
    """Give ``module`` the raw-waveform front end shared by WaveformCNN and WaveformCRNN: a
    strided conv of learnable filters, then SampleCNN-style blocks. Returns the output width.
    (Built in one order, so both classes start from the same weights for one seed.)"""
    module.frontend = nn.Conv1d(1, n_filters, filter_length, stride=stride, bias=False)
    module.frontend_norm = nn.Sequential(nn.BatchNorm1d(n_filters), nn.ReLU())
    blocks, c_in = [], n_filters
    for c_out in channels:
        blocks.append(nn.Sequential(
            nn.Conv1d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm1d(c_out),
            nn.ReLU(),
            nn.MaxPool1d(3, ceil_mode=True),
        ))
        c_in = c_out
    module.features = nn.Sequential(*blocks)
    return c_in


def _waveform_features(module, x):
    """Checked input -> front end -> blocks: ``(batch, channels, n_frames)``."""
    if isinstance(x, torch.Tensor) and x.ndim == 2:
        x = x.unsqueeze(1)
    _check_input(x, ndim=3, channels=1, what="(batch, n_samples) or (batch, 1, n_samples)")
    if x.shape[-1] < module._config["filter_length"]:
        raise ParameterError(f"x: {x.shape[-1]} samples, fewer than "
                             f"filter_length={module._config['filter_length']}")
    return module.features(module.frontend_norm(module.frontend(x)))


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
            c_in = _waveform_frontend(self, n_filters=n_filters, filter_length=filter_length,
                                      stride=stride, channels=channels)
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
        h = _waveform_features(self, x)
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


# ----------------------------------------------------------------------------- chapter 12


class WaveformCRNN(_Model):
    """:class:`WaveformCNN` with the lecture's "decisive advances": a recurrent layer, attention.

    The same front end and conv blocks as :class:`WaveformCNN` (built in the same order from
    ``random_state``, so with ``recurrent=False, pooling="max_mean"`` it *is* a
    :class:`WaveformCNN`, weight for weight), then optionally a GRU over the block outputs (one
    step per pooled frame: temporal dependencies across the clip) and either the global max + mean
    pool or **attention pooling**: a linear score per frame, a softmax over time, the weighted
    mean of the frames (the model learns which moments of the clip to listen to).

    Parameters
    ----------
    n_classes, n_filters, filter_length, stride, channels, dropout, random_state
        As :class:`WaveformCNN`.
    recurrent : bool
        Add a one-layer GRU (``hidden_size`` units) after the conv blocks.
    hidden_size : int
        GRU units.
    pooling : {"max_mean", "attention"}
        How the frames become one vector.

    Examples
    --------
    >>> import torch
    >>> model = WaveformCRNN(recurrent=True, pooling="attention")
    >>> model(torch.zeros(2, 22050)).shape
    torch.Size([2, 2])
    >>> model.attention_weights(torch.zeros(2, 22050)).shape    # one weight per frame
    torch.Size([2, 7])
    >>> plain = WaveformCRNN(recurrent=False, pooling="max_mean")
    >>> bool(torch.equal(plain.frontend.weight, WaveformCNN().frontend.weight))
    True

    Used in the chapter 12 notebook (end-to-end learning).
    """

    def __init__(self, *, n_classes=2, n_filters=32, filter_length=256, stride=128,
                 channels=(32, 64, 64), recurrent=True, hidden_size=32, pooling="attention",
                 dropout=0.3, random_state=0):
        super().__init__()
        n_classes = _validate.positive_int(n_classes, "n_classes")
        n_filters = _validate.positive_int(n_filters, "n_filters")
        filter_length = _validate.positive_int(filter_length, "filter_length")
        stride = _validate.positive_int(stride, "stride")
        channels = _int_tuple(channels, "channels")
        if not isinstance(recurrent, bool):
            raise ParameterError(f"recurrent={recurrent!r}: expected True or False")
        hidden_size = _validate.positive_int(hidden_size, "hidden_size")
        _validate.one_of(pooling, "pooling", ("max_mean", "attention"))
        dropout = _dropout(dropout)
        self._remember(n_classes=n_classes, n_filters=n_filters, filter_length=filter_length,
                       stride=stride, channels=channels, recurrent=recurrent,
                       hidden_size=hidden_size, pooling=pooling, dropout=dropout,
                       random_state=random_state
                       if isinstance(random_state, (int, type(None))) else None)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_seed_from(random_state))
            # the same construction order as WaveformCNN: the same initial weights
            c_in = _waveform_frontend(self, n_filters=n_filters, filter_length=filter_length,
                                      stride=stride, channels=channels)
            self.dropout = nn.Dropout(dropout)
            width = hidden_size if recurrent else c_in
            self.classifier = nn.Linear(2 * width if pooling == "max_mean" else width, n_classes)
            self.rnn = nn.GRU(c_in, hidden_size, batch_first=True) if recurrent else None
            self.attention = nn.Linear(width, 1) if pooling == "attention" else None

    filters = WaveformCNN.filters

    def _frames(self, x):
        h = _waveform_features(self, x).transpose(1, 2)  # (B, T, C)
        if self.rnn is not None:
            h = self.rnn(h)[0]
        return h

    def attention_weights(self, x):
        """Attention pooling's weight of each frame (they sum to 1 over time).

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_samples) or (batch, 1, n_samples)

        Returns
        -------
        weights : torch.Tensor, shape (batch, n_frames)
        """
        if self.attention is None:
            raise ParameterError("pooling: this model pools with max_mean, not attention")
        return torch.softmax(self.attention(self._frames(x)).squeeze(-1), dim=1)

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
        h = self._frames(x)
        if self.attention is None:
            pooled = torch.cat([h.amax(dim=1), h.mean(dim=1)], dim=1)
        else:
            weights = torch.softmax(self.attention(h).squeeze(-1), dim=1)
            pooled = (weights.unsqueeze(-1) * h).sum(dim=1)
        return self.classifier(self.dropout(pooled))


MODELS["WaveformCRNN"] = WaveformCRNN


def filter_peak_frequencies(W, *, sr=22050, n_fft=2048, return_info=False):
    """The frequency where each filter's magnitude response peaks (DC excluded).

    Each row of ``W`` (a first-layer filter of a waveform model, :meth:`WaveformCNN.filters`) is
    zero-padded to ``n_fft`` samples; its magnitude response is read on the ``n_fft // 2 + 1``
    bins of ``numpy.fft.rfft`` and the peak is taken over the bins above 0 Hz.

    Parameters
    ----------
    W : np.ndarray, shape (n_filters, filter_length)
    sr : int
        Sample rate the filters run at (Hz).
    n_fft : int
        FFT size (at least ``filter_length``): the frequency grid is ``sr / n_fft``.
    return_info : bool
        Also return the responses.

    Returns
    -------
    frequencies : np.ndarray, shape (n_filters,)
        Peak frequency of each filter (Hz).
    info : dict
        Only with ``return_info=True``: ``"response_db"``, shape ``(n_filters, n_fft // 2 + 1)``,
        each response in dB relative to its own peak; ``"fft_frequencies"``, shape
        ``(n_fft // 2 + 1,)``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(256) / 22050
    >>> W = np.stack([np.hanning(256) * np.cos(2 * np.pi * f * t) for f in (500, 2000)])
    >>> np.round(filter_peak_frequencies(W, sr=22050, n_fft=4096), -1)
    array([ 500., 2000.])

    Used in the chapter 12 notebook (end-to-end learning).
    """
    import numpy as np

    W = _validate.real_array(W, name="W", ndim=2)
    sr = _validate.positive_int(sr, "sr")
    n_fft = _validate.positive_int(n_fft, "n_fft")
    if n_fft < W.shape[1]:
        raise ParameterError(f"n_fft={n_fft}: shorter than the filters ({W.shape[1]} samples)")
    if n_fft < 4:
        raise ParameterError(f"n_fft={n_fft}: expected at least 4")
    magnitude = np.abs(np.fft.rfft(W, n=n_fft, axis=1))
    grid = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    peaks = grid[1 + np.argmax(magnitude[:, 1:], axis=1)]
    if not return_info:
        return peaks
    top = np.maximum(magnitude.max(axis=1, keepdims=True), 1e-12)
    response_db = 20 * np.log10(np.maximum(magnitude / top, 1e-6))
    return peaks, {"response_db": response_db, "fft_frequencies": grid}


#: The frequency axes :func:`spacing_fit` compares.
SPACING_SCALES = ("linear", "mel", "log")


def spacing_fit(frequencies):
    """How well sorted centre frequencies follow a straight line on a linear, mel and log axis.

    The frequencies are sorted; for each axis (Hz; mel, :func:`librosa.hz_to_mel`'s Slaney
    formula, linear below 1 kHz and logarithmic above; log2 Hz) a least-squares line of the
    transformed frequency against the rank is fitted and its coefficient of determination R²
    reported. Evenly spaced filters give R² = 1 on the linear axis, log-spaced ones (a
    constant-Q bank) R² = 1 on the log axis.

    Parameters
    ----------
    frequencies : array_like, shape (n_filters,)
        Positive centre frequencies (Hz), at least 3 of them, not all equal.

    Returns
    -------
    r2 : dict
        ``{"linear": R², "mel": R², "log": R²}`` (floats, at most 1).

    Examples
    --------
    >>> import numpy as np
    >>> r2 = spacing_fit(110 * 2 ** (np.arange(24) / 4))   # a log-spaced bank
    >>> round(r2["log"], 6), r2["linear"] < 0.9
    (1.0, True)
    >>> round(spacing_fit(np.arange(100, 3300, 100))["linear"], 6)
    1.0

    Used in the chapter 12 notebook (end-to-end learning).
    """
    import numpy as np

    f = np.sort(_validate.real_array(frequencies, name="frequencies", ndim=1))
    if len(f) < 3:
        raise ParameterError(f"frequencies: {len(f)} values, expected at least 3")
    if f[0] <= 0:
        raise ParameterError("frequencies: expected positive frequencies (Hz)")
    if f[-1] == f[0]:
        raise ParameterError("frequencies: all equal, no spacing to fit")
    rank = np.arange(len(f), dtype=float)
    # Slaney mel (librosa's default): linear below 1 kHz, logarithmic above
    mel = np.where(f < 1000.0, 3.0 * f / 200.0,
                   15.0 + 27.0 * np.log(np.maximum(f, 1e-9) / 1000.0) / np.log(6.4))
    out = {}
    for name, v in zip(SPACING_SCALES, (f, mel, np.log2(f))):
        slope, intercept = np.polyfit(rank, v, 1)
        residual = v - (slope * rank + intercept)
        out[name] = float(1.0 - residual.var() / v.var())
    return out


__all__ += ["WaveformCRNN", "filter_peak_frequencies", "SPACING_SCALES", "spacing_fit"]
