"""Embedding spaces and metric learning: the triplet loss, mining, collapse, artist disambiguation.

The lecture's "music embedding spaces" (Royo-Letelier et al., ISMIR 2018): instead of one network
per task, one map ``f`` from an excerpt to a point of :math:`\\mathbb{R}^d` such that
:math:`\\|f(x_1) - f(x_2)\\|` says how similar two excerpts are. Two ways to get ``f``:

- an intermediate layer of a trained classifier (:meth:`mirbook.models.MelCNN.embed` of an artist
  classifier trained with cross-entropy), and
- **metric learning**: the push-pull (triplet) loss :func:`triplet_loss` on **unit-norm**
  embeddings (:math:`\\|f(x)\\| = 1`), with triplets mined in each batch
  (:func:`mine_triplets`: random, semi-hard or hard negatives); :func:`criterion` makes it the
  ``loss`` of :func:`mirbook.train.fit`; :func:`collapse` measures whether the embeddings
  collapsed onto a point.

Then the task of the paper, **artist disambiguation**: several artists published under one name,
their excerpts clustered (:func:`cluster`, agglomerative on cosine distances) into the right
number of artists, given or estimated (:func:`estimate_n_clusters`); scored with the adjusted
Rand index and purity (:func:`evaluate`), and as retrieval, mean average precision and
recall@k (:func:`retrieval_scores`). :func:`embed` is the public entry point of a trained model:
audio in, unit-norm vector(s) out (chapter 16 embeds the catalogue with it).

Used in the chapter 14 notebook (``notebooks/14_embeddings_artists.ipynb``).

>>> import torch
>>> g = torch.Generator().manual_seed(0)
>>> E = torch.nn.functional.normalize(torch.randn(8, 4, generator=g))
>>> labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
>>> float(triplet_loss(E, labels, margin=0.2, mining="hard")) >= 0
True
"""

from __future__ import annotations

import functools
import itertools
import math
import os

import numpy as np
import torch

from mirbook import _validate
from mirbook.config import SR
from mirbook.errors import ParameterError

__all__ = [
    "MINING", "log_mel_input", "random_crop", "pairwise_distances", "mine_triplets",
    "triplet_loss", "criterion", "triplet_accuracy", "collapse", "embed_features", "embed",
    "embedding_model",
    "train_embedding", "cluster", "estimate_n_clusters", "choose_threshold", "purity",
    "validate", "evaluate", "retrieval_scores", "disambiguation_groups", "disambiguate",
    "metadata_distance", "mfcc_statistics", "excerpt_features",
]

#: The mining strategies of :func:`mine_triplets`.
MINING = ("random", "semi-hard", "hard")


# ----------------------------------------------------------------------------- inputs


@functools.lru_cache(maxsize=8)
def _mel_fb(sr, n_fft, n_mels):
    from mirbook.filters import mel_filterbank

    return mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, dtype=np.float32)


def _log_mel_db(y, sr, n_mels, n_fft, hop_length):
    from mirbook.features import _stft, log_mel

    n_mels = _validate.positive_int(n_mels, "n_mels")
    n_fft = _validate.positive_int(n_fft, "n_fft")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    sr = _validate.positive_int(sr, "sr")
    y = _validate.real_array(y, "y", ndim=1)
    if len(y) < n_fft:
        raise ParameterError(f"y: {len(y)} samples, fewer than n_fft={n_fft}")
    power = np.abs(_stft(np.asarray(y, dtype=np.float32), n_fft, hop_length)) ** 2
    return log_mel(power, mel_fb=_mel_fb(sr, n_fft, n_mels))


def log_mel_input(y, *, sr=SR, n_mels=64, n_fft=2048, hop_length=1024):
    """The network's input: a log-mel spectrogram, standardised, shape ``(1, n_mels, n_frames)``.

    Power mel spectrogram (:func:`mirbook.filters.mel_filterbank`), in dB
    (:func:`mirbook.features.log_mel`, 80 dB range), minus its mean and divided by 20 dB: the
    absolute level (all our excerpts are at -18 dBFS anyway) does not reach the network.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio, at least ``n_fft`` samples.
    sr : int
    n_mels, n_fft, hop_length : int
        At 22050 Hz, hop 1024 is 46 ms: a 15 s excerpt is 323 frames.

    Returns
    -------
    x : np.ndarray, shape (1, n_mels, n_frames), float32

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(22050 * 3)
    >>> x = log_mel_input(y, sr=22050)
    >>> x.shape, x.dtype.name, abs(float(x.mean())) < 1e-4
    ((1, 64, 65), 'float32', True)

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    L = _log_mel_db(y, sr, n_mels, n_fft, hop_length)
    return ((L - L.mean()) / 20.0)[None].astype(np.float32)


def mfcc_statistics(*, y=None, sr=SR, S=None, n_mfcc=20):
    """The baseline embedding: means and standard deviations of MFCCs and of their deltas.

    Parameters
    ----------
    y : np.ndarray, shape (n,), optional
        Mono audio (the 64-band log-mel of :func:`log_mel_input` is computed from it) ...
    sr : int
    S : np.ndarray, shape (n_mels, n_frames), optional
        ... or that log-mel spectrogram in dB directly.
    n_mfcc : int

    Returns
    -------
    v : np.ndarray, shape (4 * n_mfcc,)
        Mean and std over frames of the MFCCs (:func:`mirbook.features.mfcc`) and of their
        deltas (:func:`mirbook.features.delta`). Standardise the columns over a training set
        before using cosine distances.

    Examples
    --------
    >>> import numpy as np
    >>> mfcc_statistics(y=np.random.default_rng(0).standard_normal(22050), sr=22050).shape
    (80,)

    Used in the chapter 14 notebook (the MFCC-statistics baseline).
    """
    from mirbook.features import delta, mfcc, summarize

    n_mfcc = _validate.positive_int(n_mfcc, "n_mfcc")
    if (y is None) == (S is None):
        raise ParameterError("y, S: give exactly one of them")
    if S is None:
        S = _log_mel_db(y, sr, 64, 2048, 1024)
    C = mfcc(S=_validate.real_array(S, "S", ndim=2), n_mfcc=n_mfcc)
    return np.concatenate([summarize(C), summarize(delta(C))]).astype(np.float64)


def _one_excerpt(path):
    import warnings

    from mirbook.io import AudioWarning, load_audio

    with warnings.catch_warnings():    # a few decoded samples beyond +-1 are clipped: expected
        warnings.simplefilter("ignore", category=AudioWarning)
        y, _ = load_audio(path, sr=SR)
    L = _log_mel_db(y, SR, 64, 2048, 1024)
    return ((L - L.mean()) / 20.0)[None].astype(np.float32), mfcc_statistics(S=L)


def excerpt_features(paths, *, key=None, n_jobs=1, max_frames=None):
    """Both inputs of the chapter for many files: the network's log-mel and the MFCC baseline.

    Each file is loaded at 22050 Hz (:func:`mirbook.io.load_audio`), its 64-band log-mel
    computed once (:func:`log_mel_input`) and the MFCC statistics taken from it
    (:func:`mirbook.metric.mfcc_statistics`). With ``key`` the result is cached
    (:func:`mirbook.featcache.cached_features`: in memory and on disk).

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Excerpts of equal duration (they are stacked; longer ones are cut to the shortest).
    key : dict, optional
        What the features depend on besides the paths (corpus name, its ``manifest.json`` as a
        :class:`pathlib.Path`...); ``None``: no cache.
    n_jobs : int
        Worker processes (:func:`mirbook.utils.parallel_map`).
    max_frames : int, optional
        Keep at most this many frames.

    Returns
    -------
    features : dict
        ``X``: np.ndarray, shape (n, 1, 64, n_frames), float32; ``F``: np.ndarray, shape (n, 80).

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from mirbook.io import save_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "noise.wav")
    >>> _ = save_audio(path, 0.1 * np.random.default_rng(0).standard_normal(22050), sr=22050)
    >>> f = excerpt_features([path])
    >>> f["X"].shape, f["F"].shape
    ((1, 1, 64, 22), (1, 80))

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    from mirbook.utils import parallel_map

    paths = [str(p) for p in paths]
    if not paths:
        raise ParameterError("paths: empty")
    n_jobs = _validate.positive_int(n_jobs, "n_jobs")

    def compute():
        out = parallel_map(paths, func=_one_excerpt, n_jobs=n_jobs)
        T = min(x.shape[-1] for x, _ in out)
        if max_frames is not None:
            T = min(T, _validate.positive_int(max_frames, "max_frames"))
        return {"X": np.stack([x[..., :T] for x, _ in out]),
                "F": np.stack([f for _, f in out])}

    if key is None:
        return compute()
    from mirbook.featcache import cached_features

    full_key = {"what": "mirbook.metric.excerpt_features", "version": 1, "key": key,
                "paths": [os.path.basename(p) for p in paths], "max_frames": max_frames}
    return cached_features(full_key, compute=compute)


def random_crop(*, n_frames):
    """An ``augment`` for :func:`mirbook.train.fit`: a random ``n_frames`` window per example.

    Each example of the batch ``(batch, channels, n_bands, n_total)`` gets its own start, drawn
    from torch's random state (which ``fit`` seeds); shorter inputs are returned unchanged.

    Parameters
    ----------
    n_frames : int

    Returns
    -------
    augment : callable
        ``augment(x) -> x_cropped``, shape ``(batch, channels, n_bands, n_frames)``.

    Examples
    --------
    >>> import torch
    >>> crop = random_crop(n_frames=10)
    >>> crop(torch.zeros(4, 1, 64, 323)).shape
    torch.Size([4, 1, 64, 10])

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    n_frames = _validate.positive_int(n_frames, "n_frames")

    def crop(x):
        total = x.shape[-1]
        if total <= n_frames:
            return x
        starts = torch.randint(0, total - n_frames + 1, (x.shape[0],), device=x.device)
        idx = starts[:, None] + torch.arange(n_frames, device=x.device)[None]
        idx = idx[:, None, None, :].expand(-1, x.shape[1], x.shape[2], -1)
        return torch.gather(x, 3, idx)

    crop.n_frames = n_frames
    return crop


# ----------------------------------------------------------------------------- triplets


def pairwise_distances(E):
    """Squared Euclidean distances between the rows of ``E`` (the seed's :math:`\\|a-b\\|_2^2`).

    Parameters
    ----------
    E : torch.Tensor, shape (n, d)

    Returns
    -------
    D : torch.Tensor, shape (n, n)
        ``D[i, j] = ||E[i] - E[j]||^2``, >= 0, zero diagonal; differentiable. For unit-norm rows
        ``D = 2 - 2 cos``, in ``[0, 4]``.

    Examples
    --------
    >>> import torch
    >>> pairwise_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]])).tolist()
    [[0.0, 25.0], [25.0, 0.0]]

    Used by :func:`triplet_loss`.
    """
    if not isinstance(E, torch.Tensor) or E.ndim != 2:
        raise ParameterError(f"E: expected a 2-d torch.Tensor (n, d), got "
                             f"{getattr(E, 'shape', type(E).__name__)}")
    sq = (E * E).sum(dim=1)
    D = sq[:, None] + sq[None, :] - 2.0 * E @ E.T
    D = D.clamp_min(0.0)
    return D * (1.0 - torch.eye(len(E), dtype=E.dtype, device=E.device))


def _labels_tensor(labels, n, device):
    t = labels if isinstance(labels, torch.Tensor) else torch.as_tensor(np.asarray(labels))
    if t.ndim != 1 or len(t) != n:
        raise ParameterError(f"labels: shape {tuple(t.shape)}, expected ({n},)")
    if t.is_floating_point():
        t = t.long()
    return t.to(device)


def mine_triplets(D, labels, *, mining="semi-hard", margin=0.2, random_state=None):
    """Choose triplets (anchor, positive, negative) in a batch, from its distance matrix.

    - ``"random"``: every (anchor, positive) pair of the batch with one negative drawn uniformly
      among the items of another label;
    - ``"semi-hard"`` (Schroff et al. 2015, FaceNet): every (anchor, positive) pair with the
      closest negative that is still *farther* than the positive (``D[a, n] > D[a, p]``: a
      negative inside the margin band gives a loss below the margin); when no negative is
      farther, the farthest negative (TensorFlow Addons' rule);
    - ``"hard"`` (batch-hard, Hermans et al. 2017): one triplet per anchor, its farthest
      positive and its closest negative.

    Anchors without a positive or without a negative in the batch are skipped.

    Parameters
    ----------
    D : torch.Tensor or np.ndarray, shape (n, n)
        Distances (:func:`pairwise_distances`); not differentiated.
    labels : array_like or torch.Tensor, shape (n,)
        Integer classes (artists).
    mining : {"random", "semi-hard", "hard"}
    margin : float
        Unused by the choice itself (kept for the signature of :func:`triplet_loss`).
    random_state : None, int or np.random.Generator
        For ``"random"``: ``None`` draws from torch's random state (seeded by
        :func:`mirbook.train.fit`), an int or Generator from numpy.

    Returns
    -------
    anchors, positives, negatives : torch.Tensor of int64, shape (n_triplets,)

    Examples
    --------
    >>> import torch
    >>> E = torch.tensor([[0.0], [0.1], [1.0], [0.5], [3.0]])
    >>> a, p, n = mine_triplets(pairwise_distances(E), [0, 0, 0, 1, 1], mining="hard")
    >>> a.tolist(), p.tolist(), n.tolist()
    ([0, 1, 2, 3, 4], [2, 2, 0, 4, 3], [3, 3, 3, 1, 2])

    Used by :func:`triplet_loss`; checked against a brute-force search in the tests.
    """
    _validate.one_of(mining, "mining", MINING)
    _validate.finite_real(margin, "margin", low=0.0)
    D = D.detach() if isinstance(D, torch.Tensor) else torch.as_tensor(np.asarray(D, float))
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ParameterError(f"D: expected a square (n, n) matrix, got {tuple(D.shape)}")
    n = D.shape[0]
    lab = _labels_tensor(labels, n, D.device)
    same = lab[:, None] == lab[None, :]
    eye = torch.eye(n, dtype=torch.bool, device=D.device)
    pos, neg = same & ~eye, ~same
    has = pos.any(1) & neg.any(1)
    if mining == "hard":
        a = torch.nonzero(has).flatten()
        big = torch.finfo(D.dtype).max
        p = torch.where(pos, D, torch.full_like(D, -1.0)).argmax(1)[a]
        nn_ = torch.where(neg, D, torch.full_like(D, big)).argmin(1)[a]
        return a, p, nn_
    a, p = torch.nonzero(pos & has[:, None], as_tuple=True)
    if len(a) == 0:
        empty = torch.zeros(0, dtype=torch.long, device=D.device)
        return empty, empty, empty
    neg_a = neg[a]                                        # (n_pairs, n)
    if mining == "random":
        if random_state is None:
            u = torch.rand(neg_a.shape, device=D.device)
        else:
            rng = _validate.random_state(random_state)
            u = torch.as_tensor(rng.random(neg_a.shape), device=D.device)
        return a, p, torch.where(neg_a, u, torch.full_like(u, -1.0)).argmax(1)
    d_an = D[a]                                           # (n_pairs, n)
    d_ap = D[a, p][:, None]
    big = torch.finfo(D.dtype).max
    farther = neg_a & (d_an > d_ap)
    closest_farther = torch.where(farther, d_an, torch.full_like(d_an, big)).argmin(1)
    farthest = torch.where(neg_a, d_an, torch.full_like(d_an, -1.0)).argmax(1)
    return a, p, torch.where(farther.any(1), closest_farther, farthest)


def triplet_loss(E, labels, *, margin=0.2, mining="semi-hard", normalize=True,
                 return_info=False):
    """The push-pull loss of the seed, averaged over the triplets mined in the batch.

    .. math:: \\mathcal{L}(x^*, x^+, x^-) = \\big[\\|f(x^*) - f(x^+)\\|_2^2
              - \\|f(x^*) - f(x^-)\\|_2^2 + \\alpha\\big]_+

    With ``normalize=True`` the rows of ``E`` are first projected on the unit sphere
    (:math:`\\|f(x)\\| = 1`, the seed's remedy against collapse): distances then lie in
    ``[0, 4]`` and a margin means the same thing whatever the scale of the network's output.

    Parameters
    ----------
    E : torch.Tensor, shape (batch, d)
        The network's outputs (differentiable).
    labels : array_like or torch.Tensor, shape (batch,)
        Integer artist of each row.
    margin : float
        :math:`\\alpha` >= 0.
    mining : {"random", "semi-hard", "hard"}
        See :func:`mine_triplets` (mined on the detached distances).
    normalize : bool
        Unit-norm rows before the distances.
    return_info : bool
        Also return ``{"n_triplets", "active"}``: the number of triplets and the fraction with a
        positive loss.

    Returns
    -------
    loss : torch.Tensor, scalar
        0 for a batch without any triplet (then not differentiable in any useful way).

    Examples
    --------
    >>> import torch
    >>> E = torch.tensor([[1.0, 0.0], [0.99, 0.1], [-1.0, 0.0], [-0.99, -0.1]])
    >>> float(triplet_loss(E, [0, 0, 1, 1], margin=0.2))   # every triplet satisfied
    0.0
    >>> float(triplet_loss(E, [0, 1, 0, 1], margin=0.2)) > 0
    True

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    if not isinstance(E, torch.Tensor) or E.ndim != 2:
        raise ParameterError(f"E: expected a 2-d torch.Tensor (batch, d), got "
                             f"{getattr(E, 'shape', type(E).__name__)}")
    margin = _validate.finite_real(margin, "margin", low=0.0)
    if normalize:
        E = torch.nn.functional.normalize(E, dim=1)
    D = pairwise_distances(E)
    a, p, n = mine_triplets(D, labels, mining=mining, margin=margin)
    if len(a) == 0:
        loss = E.sum() * 0.0
        return (loss, {"n_triplets": 0, "active": 0.0}) if return_info else loss
    terms = torch.relu(D[a, p] - D[a, n] + margin)
    loss = terms.mean()
    if return_info:
        return loss, {"n_triplets": int(len(a)), "active": float((terms > 0).float().mean())}
    return loss


def criterion(*, margin=0.2, mining="semi-hard", normalize=True):
    """:func:`triplet_loss` as the ``loss`` of :func:`mirbook.train.fit`.

    Parameters
    ----------
    margin, mining, normalize
        As in :func:`triplet_loss`.

    Returns
    -------
    loss : callable
        ``loss(outputs, targets) -> scalar tensor``: the model's outputs are the embeddings, the
        targets the integer artists of the batch.

    Examples
    --------
    >>> import numpy as np
    >>> from mirbook.models import MelCNN
    >>> from mirbook.train import fit
    >>> X = np.random.default_rng(0).normal(size=(16, 1, 16, 20)).astype("float32")
    >>> h = fit(MelCNN(n_classes=8, dropout=0.0), (X, np.arange(16) % 4),
    ...         loss=criterion(margin=0.2), metric=None, epochs=1, batch_size=8,
    ...         show_progress=False)
    >>> h.n_epochs
    1

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    margin = _validate.finite_real(margin, "margin", low=0.0)
    _validate.one_of(mining, "mining", MINING)

    def loss(out, targets):
        return triplet_loss(out, targets, margin=margin, mining=mining, normalize=normalize)

    loss.__name__ = f"triplet_{mining}"
    return loss


def triplet_accuracy(E, labels, *, margin=0.2):
    """The share of all triplets of a set that satisfy the margin (their triplet loss is 0).

    Every (anchor, positive, negative) of the set counts, not only those a batch would mine;
    distances are squared Euclidean between the **unit-norm** rows (``2 - 2 cos``).

    Parameters
    ----------
    E : np.ndarray or torch.Tensor, shape (n, d)
    labels : array_like, shape (n,)
    margin : float

    Returns
    -------
    fraction : float
        In ``[0, 1]``: 0 when every excerpt sits at the same point (collapse), whatever their
        order.

    Examples
    --------
    >>> import numpy as np
    >>> E = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99]])
    >>> triplet_accuracy(E, [0, 0, 1, 1]), triplet_accuracy(E, [0, 1, 0, 1])
    (1.0, 0.0)

    Used in the chapter 14 notebook (the collapse table).
    """
    if isinstance(E, torch.Tensor):
        E = E.detach().cpu().numpy()
    validate(labels, E=E)
    margin = _validate.finite_real(margin, "margin", low=0.0)
    E = np.asarray(E, dtype=np.float64)
    U = E / np.maximum(np.linalg.norm(E, axis=1), 1e-12)[:, None]
    D = np.maximum(2.0 - 2.0 * U @ U.T, 0.0)
    lab = np.asarray(labels)
    ok = total = 0
    for a in range(len(U)):
        pos = np.flatnonzero((lab == lab[a]) & (np.arange(len(U)) != a))
        neg = np.flatnonzero(lab != lab[a])
        if len(pos) and len(neg):
            gap = D[a, neg][None, :] - D[a, pos][:, None]
            ok += int((gap >= margin).sum())
            total += gap.size
    if total == 0:
        raise ParameterError("labels: no triplet (one artist only, or one excerpt per artist)")
    return ok / total


def collapse(E):
    """How collapsed a set of embeddings is: four numbers.

    Parameters
    ----------
    E : np.ndarray or torch.Tensor, shape (n, d)
        Raw embeddings (as the network gives them, not normalised).

    Returns
    -------
    stats : dict
        ``mean_norm``: mean row norm (-> 0 when the network shrinks to the origin);
        ``mean_cosine``: mean cosine similarity over distinct pairs (-> 1 when every row points
        the same way); ``spread``: mean distance of the unit-norm rows to their centroid (0 for a
        point); ``effective_rank``: exp of the entropy of the normalised singular values of the
        unit-norm rows (Roy & Vetterli 2007): about 1 when they all point one way (or its
        opposite), up to ``d`` when they fill every direction.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s = collapse(rng.normal(size=(200, 8)))
    >>> abs(s["mean_cosine"]) < 0.05, s["effective_rank"] > 7
    (True, True)
    >>> collapse(np.ones((10, 8)) + 1e-9 * rng.normal(size=(10, 8)))["mean_cosine"] > 0.999
    True

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    if isinstance(E, torch.Tensor):
        E = E.detach().cpu().numpy()
    E = _validate.real_array(E, "E", ndim=2).astype(np.float64)
    if len(E) < 2:
        raise ParameterError(f"E: {len(E)} row(s), need at least 2")
    norms = np.linalg.norm(E, axis=1)
    U = E / np.maximum(norms, 1e-12)[:, None]
    C = U @ U.T
    n = len(E)
    mean_cos = float((C.sum() - np.trace(C)) / (n * (n - 1)))
    centred = U - U.mean(axis=0)
    spread = float(np.linalg.norm(centred, axis=1).mean())
    s = np.linalg.svd(U, compute_uv=False)
    if s.sum() <= 1e-12:
        rank = 1.0
    else:
        p = s / s.sum()
        p = p[p > 0]
        rank = float(np.exp(-(p * np.log(p)).sum()))
    return {"mean_norm": float(norms.mean()), "mean_cosine": mean_cos, "spread": spread,
            "effective_rank": rank}


# ----------------------------------------------------------------------------- models, embeddings


def embedding_model(*, dim=32, channels=(8, 16, 32), embedding_dim=64, n_classes=None,
                    random_state=0):
    """The chapter's network: a :class:`mirbook.models.MelCNN`, as embedder or as classifier.

    The same backbone serves both ways of getting an embedding: with ``n_classes=None`` its
    output layer has ``dim`` units and *is* the embedding (trained with :func:`criterion`,
    normalised by :func:`embed_features`); with ``n_classes`` it is an artist classifier
    (cross-entropy) whose 64-unit layer :meth:`~mirbook.models.MelCNN.embed` is the other
    embedding. No dropout before the output (it would perturb the embedding).

    Parameters
    ----------
    dim : int
        Size of the metric-learning embedding.
    channels : sequence of int
        Conv blocks of the backbone.
    embedding_dim : int
        The hidden layer (:meth:`~mirbook.models.MelCNN.embed`).
    n_classes : int, optional
        Make a classifier with this many artists instead.
    random_state : None, int or np.random.Generator

    Returns
    -------
    model : mirbook.models.MelCNN
        Saved and loaded with :func:`mirbook.train.save_checkpoint` /
        :func:`~mirbook.train.load_checkpoint` like any model of :mod:`mirbook.models`.

    Examples
    --------
    >>> import torch
    >>> model = embedding_model(dim=16)
    >>> model(torch.zeros(2, 1, 64, 65)).shape, model.n_parameters()
    (torch.Size([2, 16]), 9192)

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    from mirbook.models import MelCNN

    out = _validate.positive_int(dim if n_classes is None else n_classes,
                                 "dim" if n_classes is None else "n_classes")
    return MelCNN(n_classes=out, channels=channels, embedding_dim=embedding_dim,
                  dropout=0.0 if n_classes is None else 0.2, random_state=random_state)


def _as_input(X):
    X = _validate.real_array(X, "X", ndim=4)
    X = np.ascontiguousarray(X, dtype=np.float32)
    return X if X.flags.writeable else X.copy()     # featcache's arrays are read-only


def embed_features(X, *, model, layer="output", batch_size=64):
    """Unit-norm embeddings of prepared inputs (:func:`log_mel_input` stacked).

    Parameters
    ----------
    X : np.ndarray, shape (n, 1, n_mels, n_frames)
    model : torch.nn.Module
        A :class:`~mirbook.models.MelCNN` (:func:`embedding_model`).
    layer : {"output", "embed"}
        ``"output"``: the model's output (metric learning); ``"embed"``: its hidden layer
        :meth:`~mirbook.models.MelCNN.embed` (the classifier-layer embedding).
    batch_size : int

    Returns
    -------
    E : np.ndarray, shape (n, d), float32
        Rows of norm 1.

    Examples
    --------
    >>> import numpy as np
    >>> E = embed_features(np.zeros((3, 1, 64, 65)), model=embedding_model(dim=8))
    >>> E.shape, bool(np.allclose(np.linalg.norm(E, axis=1), 1))
    ((3, 8), True)

    Used in the chapter 14 notebook (embeddings, artist disambiguation) and by :func:`embed`.
    """
    _validate.one_of(layer, "layer", ("output", "embed"))
    batch_size = _validate.positive_int(batch_size, "batch_size")
    if not isinstance(model, torch.nn.Module):
        raise ParameterError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    X = _as_input(X)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outs = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb = torch.from_numpy(X[i:i + batch_size]).to(device)
            out = model(xb) if layer == "output" else model.embed(xb)
            outs.append(torch.nn.functional.normalize(out.float(), dim=1).cpu().numpy())
    model.train(was_training)
    return np.concatenate(outs).astype(np.float32)


def embed(y, *, sr=SR, model, layer="output", n_mels=64, n_fft=2048, hop_length=1024):
    """Audio in, unit-norm embedding out: the public entry point of the chapter's model.

    Parameters
    ----------
    y : np.ndarray, shape (n,), or a list of such arrays
        Mono audio (any length of at least ``n_fft`` samples; the network pools over time).
    sr : int
        Sample rate of ``y``; resampled to the model's 22050 Hz if different.
    model : torch.nn.Module
        A trained :func:`embedding_model` (e.g. ``mirbook.train.load_checkpoint(path)``).
    layer : {"output", "embed"}
        See :func:`embed_features`.
    n_mels, n_fft, hop_length : int
        The input the model was trained on (:func:`log_mel_input`).

    Returns
    -------
    v : np.ndarray, shape (d,) for one signal, (n_signals, d) for a list; float32
        Norm 1: cosine similarity is the dot product.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(22050 * 2)
    >>> v = embed(y, sr=22050, model=embedding_model(dim=8))
    >>> v.shape, round(float(np.linalg.norm(v)), 5)
    ((8,), 1.0)
    >>> embed([y, y[:30000]], sr=22050, model=embedding_model(dim=8)).shape
    (2, 8)

    Used in the chapter 14 notebook and by chapter 16 (the catalogue at scale).
    """
    single = not isinstance(y, (list, tuple))
    signals = [y] if single else list(y)
    if not signals:
        raise ParameterError("y: an empty list")
    sr = _validate.positive_int(sr, "sr")
    out = []
    for i, s in enumerate(signals):
        s = _validate.real_array(s, "y" if single else f"y[{i}]", ndim=1)
        if sr != SR:
            from mirbook.io import resample

            s = resample(s, orig_sr=sr, target_sr=SR)
        x = log_mel_input(s, sr=SR, n_mels=n_mels, n_fft=n_fft, hop_length=hop_length)
        out.append(embed_features(x[None], model=model, layer=layer)[0])
    return out[0] if single else np.stack(out)


def train_embedding(X, labels, *, validation=None, kind="triplet", margin=0.2,
                    mining="semi-hard", normalize=True, dim=32, crop_frames=64, repeats=1,
                    epochs=10, batch_size=32, lr=2e-3, patience=None, max_seconds=None,
                    random_state=0, device="cpu", n_jobs=1, show_progress=False,
                    return_info=False):
    """Train the chapter's network on excerpts of known artists, one way or the other.

    Parameters
    ----------
    X : np.ndarray, shape (n, 1, n_mels, n_frames)
        Whole excerpts (:func:`log_mel_input`); each training batch sees a random
        ``crop_frames`` window of each (:func:`random_crop`).
    labels : array_like, shape (n,)
        Artist of each excerpt (any hashable values).
    validation : (X_val, labels_val), optional
        Excerpts of *other* artists: after each epoch the retrieval mAP of their embeddings
        (:func:`retrieval_scores`) is measured and the best epoch kept.
    kind : {"triplet", "classifier"}
        Metric learning (:func:`criterion`) or an artist classifier (cross-entropy).
    margin, mining, normalize
        Of the triplet loss.
    dim : int
        Embedding size (``kind="triplet"``).
    crop_frames : int
        Training window (64 frames of 46 ms: 3 s).
    repeats : int
        Each epoch sees every training excerpt this many times, each time another random
        window (more gradient steps per epoch on a small corpus).
    epochs, batch_size, lr, patience, max_seconds, random_state, device, n_jobs, show_progress
        Passed to :func:`mirbook.train.fit` (``device="cpu"`` by default: seeded runs give the
        same weights).
    return_info : bool
        Also return ``{"history", "classes", "seconds", "trace"}``: ``trace`` has one dict per
        epoch (with ``validation``): the validation mAP, :func:`triplet_accuracy` (``margin``, or
        0.2 for a margin of 0) and :func:`collapse` of the validation
        embeddings *before* normalisation, at that epoch (the model keeps the best epoch's
        weights, the trace shows every epoch, collapsed ones included).

    Returns
    -------
    model : mirbook.models.MelCNN
        In eval mode; use :func:`embed_features` with ``layer="output"`` (triplet) or
        ``layer="embed"`` (classifier).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(24, 1, 16, 40)).astype("float32")
    >>> model = train_embedding(X, np.arange(24) % 4, dim=8, crop_frames=20, epochs=1)
    >>> embed_features(X, model=model).shape
    (24, 8)

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    import time

    from mirbook.train import fit

    _validate.one_of(kind, "kind", ("triplet", "classifier"))
    X = _as_input(X)
    labels = np.asarray(labels)
    if labels.shape != (len(X),):
        raise ParameterError(f"labels: shape {labels.shape}, expected ({len(X)},)")
    classes, y = np.unique(labels, return_inverse=True)
    model = (embedding_model(dim=dim, random_state=random_state) if kind == "triplet" else
             embedding_model(n_classes=len(classes), random_state=random_state))
    val, metric, trace = None, None, []
    if validation is not None:
        X_val, lab_val = validation
        X_val = _as_input(X_val)
        _, y_val = np.unique(np.asarray(lab_val), return_inverse=True)
        if len(y_val) != len(X_val):
            raise ParameterError(f"validation: {len(X_val)} inputs but {len(y_val)} labels")

        def val_map(y_true, scores):
            if kind == "triplet":                   # the outputs are the embeddings
                raw = scores
            else:                                   # the hidden layer, not the logits
                with torch.no_grad():
                    raw = torch.cat([model.embed(torch.from_numpy(X_val[i:i + 64]).to(
                        next(model.parameters()).device)).cpu()
                        for i in range(0, len(X_val), 64)]).numpy()
            value = retrieval_scores(raw, y_val)["mAP"]
            trace.append({"val_mAP": value, "margin_kept": triplet_accuracy(
                raw, y_val, margin=margin if margin > 0 else 0.2), **collapse(raw)})
            return value

        metric = val_map
        # the classifier's validation loss is meaningless (other artists): targets are dummies
        val = (X_val, y_val if kind == "triplet" else np.zeros(len(X_val), dtype=int))
    loss = (criterion(margin=margin, mining=mining, normalize=normalize)
            if kind == "triplet" else "cross_entropy")
    repeats = _validate.positive_int(repeats, "repeats")
    if repeats > 1:
        X, y = np.concatenate([X] * repeats), np.concatenate([y] * repeats)
    t0 = time.perf_counter()
    history = fit(model, (X, y), validation=val, loss=loss, metric=metric, epochs=epochs,
                  batch_size=batch_size, lr=lr, patience=patience, max_seconds=max_seconds,
                  augment=random_crop(n_frames=crop_frames), random_state=random_state,
                  device=device,
                  n_jobs=n_jobs, show_progress=show_progress)
    seconds = time.perf_counter() - t0
    if return_info:
        return model, {"history": history, "classes": classes.tolist(), "seconds": seconds,
                       "trace": trace}
    return model


# ----------------------------------------------------------------------------- clustering


def _square(D, name="D"):
    D = _validate.real_array(D, name, ndim=2, nonneg=True)
    if D.shape[0] != D.shape[1]:
        raise ParameterError(f"{name}: expected a square (n, n) matrix, got {D.shape}")
    return D


def cluster(D, *, n_clusters=None, distance_threshold=None, linkage="average"):
    """Agglomerative clustering of a distance matrix (scikit-learn), into a given number of
    clusters or cut at a distance.

    Parameters
    ----------
    D : np.ndarray, shape (n, n)
        Distances, e.g. ``sklearn.metrics.pairwise.cosine_distances(E)`` or a mix with
        :func:`metadata_distance`.
    n_clusters : int, optional
        The number of artists, when given.
    distance_threshold : float, optional
        Otherwise: merge clusters while their linkage distance is below it (the number of
        artists estimated; see :func:`choose_threshold`).
    linkage : {"average", "complete", "single"}

    Returns
    -------
    labels_pred : np.ndarray of int, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics.pairwise import cosine_distances
    >>> E = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    >>> cluster(cosine_distances(E), n_clusters=2).tolist()
    [1, 1, 0, 0]
    >>> len(set(cluster(cosine_distances(E), distance_threshold=0.5)))
    2

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    from sklearn.cluster import AgglomerativeClustering

    D = _square(D)
    _validate.one_of(linkage, "linkage", ("average", "complete", "single"))
    if (n_clusters is None) == (distance_threshold is None):
        raise ParameterError("n_clusters, distance_threshold: give exactly one of them")
    if n_clusters is not None:
        n_clusters = _validate.positive_int(n_clusters, "n_clusters")
        if n_clusters > len(D):
            raise ParameterError(f"n_clusters={n_clusters}: more clusters than the {len(D)} items")
        if n_clusters == 1 or len(D) == 1:
            return np.zeros(len(D), dtype=int)
    else:
        distance_threshold = _validate.finite_real(distance_threshold, "distance_threshold",
                                                   low=0.0)
        if len(D) == 1:
            return np.zeros(1, dtype=int)
    model = AgglomerativeClustering(n_clusters=n_clusters, distance_threshold=distance_threshold,
                                    metric="precomputed", linkage=linkage)
    return model.fit_predict(D).astype(int)


def estimate_n_clusters(D, *, max_clusters=8, linkage="average"):
    """The number of clusters with the best silhouette (scikit-learn), between 2 and
    ``max_clusters``.

    Parameters
    ----------
    D : np.ndarray, shape (n, n)
        Distances.
    max_clusters : int
    linkage : str
        As in :func:`cluster`.

    Returns
    -------
    n_clusters : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics.pairwise import euclidean_distances
    >>> E = np.repeat(np.eye(3) * 10, 4, axis=0) + np.random.default_rng(0).normal(size=(12, 3))
    >>> estimate_n_clusters(euclidean_distances(E))
    3

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    from sklearn.metrics import silhouette_score

    D = _square(D)
    max_clusters = _validate.positive_int(max_clusters, "max_clusters")
    top = min(max_clusters, len(D) - 1)
    if top < 2:
        return 1
    scores = {k: silhouette_score(D, cluster(D, n_clusters=k, linkage=linkage),
                                  metric="precomputed") for k in range(2, top + 1)}
    return int(max(scores, key=scores.get))


def purity(labels_true, labels_pred):
    """Cluster purity: each predicted cluster counts its most frequent true artist.

    Parameters
    ----------
    labels_true, labels_pred : array_like, shape (n,)

    Returns
    -------
    purity : float
        In ``(0, 1]``; 1 when no cluster mixes artists (also when every item is its own cluster:
        read it with the adjusted Rand index).

    Examples
    --------
    >>> purity([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1])
    0.8333333333333334

    Used by :func:`evaluate`.
    """
    from sklearn.metrics.cluster import contingency_matrix

    validate(labels_true, labels_pred)
    C = contingency_matrix(labels_true, labels_pred)
    return float(C.max(axis=0).sum() / C.sum())


def validate(labels_true, labels_pred=None, *, E=None):
    """Check the inputs of the evaluation functions (mir_eval's style).

    Parameters
    ----------
    labels_true : array_like, shape (n,)
    labels_pred : array_like, shape (n,), optional
    E : array_like, shape (n, d), optional
        Embeddings that go with ``labels_true``.

    Raises
    ------
    ParameterError
        Empty or non-1-d labels, mismatched lengths, embeddings with NaN or of the wrong shape.

    Examples
    --------
    >>> validate([0, 1, 1], [1, 0, 0])
    >>> validate([0, 1], [0])
    Traceback (most recent call last):
    ...
    mirbook.errors.ParameterError: labels_pred: 1 labels, labels_true has 2

    Used by :func:`evaluate`, :func:`purity` and :func:`retrieval_scores`.
    """
    t = np.asarray(labels_true)
    if t.ndim != 1 or len(t) == 0:
        raise ParameterError(f"labels_true: expected a non-empty 1-d array, got shape {t.shape}")
    if labels_pred is not None:
        p = np.asarray(labels_pred)
        if p.ndim != 1:
            raise ParameterError(f"labels_pred: expected a 1-d array, got shape {p.shape}")
        if len(p) != len(t):
            raise ParameterError(f"labels_pred: {len(p)} labels, labels_true has {len(t)}")
    if E is not None:
        E = _validate.real_array(E, "E", ndim=2)
        if len(E) != len(t):
            raise ParameterError(f"E: {len(E)} rows, labels_true has {len(t)}")


def evaluate(labels_true, labels_pred):
    """Clustering scores of one disambiguation: ARI, purity, numbers of artists.

    Parameters
    ----------
    labels_true : array_like, shape (n,)
        The real artist of each excerpt.
    labels_pred : array_like, shape (n,)
        The cluster found.

    Returns
    -------
    scores : dict
        ``ARI`` (``sklearn.metrics.adjusted_rand_score``: 0 for chance, 1 for exact), ``purity``
        (:func:`purity`), ``inverse_purity`` (purity with the roles swapped: 1 when no artist is
        split), ``n_true``, ``n_pred``.

    Examples
    --------
    >>> s = evaluate([0, 0, 1, 1], [5, 5, 7, 7])
    >>> s["ARI"], s["purity"], s["n_pred"]
    (1.0, 1.0, 2)

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    from sklearn.metrics import adjusted_rand_score

    validate(labels_true, labels_pred)
    return {"ARI": float(adjusted_rand_score(labels_true, labels_pred)),
            "purity": purity(labels_true, labels_pred),
            "inverse_purity": purity(labels_pred, labels_true),
            "n_true": int(len(np.unique(labels_true))),
            "n_pred": int(len(np.unique(labels_pred)))}


def _average_precision(relevant, scores):
    """``sklearn.metrics.average_precision_score(relevant, scores)``, ties included: the sum
    over distinct score thresholds (highest first) of recall increments times precision."""
    order = np.argsort(-scores, kind="stable")
    s, r = scores[order], relevant[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]     # end of each group of ties
    tp = np.cumsum(r)[last]
    precision = tp / (last + 1)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def retrieval_scores(E, labels, *, k=(1, 5, 10), exclude=None):
    """Artist retrieval: every excerpt queries the others, ranked by cosine similarity.

    Parameters
    ----------
    E : np.ndarray, shape (n, d)
        Embeddings (normalised or not: cosine similarity is used).
    labels : array_like, shape (n,)
        Artist of each excerpt: the relevant items of a query are the other excerpts of its
        artist.
    k : sequence of int
        Cut-offs of recall@k.
    exclude : array_like, shape (n,), optional
        A group per excerpt (e.g. its track): items of the query's own group are removed from
        its ranking (an excerpt of the same track is too easy a match).

    Returns
    -------
    scores : dict
        ``mAP``: mean over queries of the average precision (equal to
        ``sklearn.metrics.average_precision_score``, tested; computed without its input
        checks, which would dominate the per-epoch validation);
        ``recall@k``: fraction of queries with at least one relevant item in their first ``k``
        (the metric-learning usage, Song et al. 2016); queries without any relevant item are
        skipped (``n_queries`` says how many count).

    Examples
    --------
    >>> import numpy as np
    >>> E = np.array([[1, 0], [0.9, 0.2], [0, 1], [0.2, 0.9], [0.7, 0.7]])
    >>> s = retrieval_scores(E, [0, 0, 1, 1, 1], k=(1,))
    >>> round(s["mAP"], 3), s["recall@1"], s["n_queries"]
    (0.9, 0.8, 5)

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    validate(labels, E=E)
    E = np.asarray(E, dtype=np.float64)
    labels = np.asarray(labels)
    ks = [_validate.positive_int(v, "k") for v in k]
    U = E / np.maximum(np.linalg.norm(E, axis=1), 1e-12)[:, None]
    S = U @ U.T
    groups = None if exclude is None else np.asarray(exclude)
    if groups is not None and groups.shape != labels.shape:
        raise ParameterError(f"exclude: shape {groups.shape}, expected {labels.shape}")
    aps, hits = [], {kk: [] for kk in ks}
    for i in range(len(E)):
        keep = np.ones(len(E), dtype=bool)
        keep[i] = False
        if groups is not None:
            keep &= groups != groups[i]
        rel = labels[keep] == labels[i]
        if not rel.any():
            continue
        s = S[i, keep]
        aps.append(_average_precision(rel, s))
        order = np.argsort(-s, kind="stable")
        for kk in ks:
            hits[kk].append(bool(rel[order[:kk]].any()))
    if not aps:
        raise ParameterError("labels: no query has a relevant item (one excerpt per artist?)")
    out = {"mAP": float(np.mean(aps))}
    out.update({f"recall@{kk}": float(np.mean(v)) for kk, v in hits.items()})
    out["n_queries"] = len(aps)
    return out


def disambiguation_groups(labels, *, n_artists=(2, 3, 4), n_groups=50, random_state=0):
    """Homonyms made on purpose: groups of artists merged under one name, as in the paper.

    Parameters
    ----------
    labels : array_like, shape (n,)
        Artist of each excerpt.
    n_artists : sequence of int
        Sizes of the merged groups, used in turn.
    n_groups : int
        Groups per size: distinct random ones, or every possible group when there are no more
        than ``n_groups`` (e.g. the 15 pairs of 6 artists).
    random_state : None, int or np.random.Generator

    Returns
    -------
    groups : list of np.ndarray of int
        Indices (into ``labels``) of every excerpt of the group's artists.

    Examples
    --------
    >>> g = disambiguation_groups([0, 0, 1, 1, 2, 2], n_artists=(2,), n_groups=10)
    >>> len(g), [ix.tolist() for ix in g]             # the 3 possible pairs
    (3, [[0, 1, 2, 3], [0, 1, 4, 5], [2, 3, 4, 5]])

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    validate(labels)
    labels = np.asarray(labels)
    rng = _validate.random_state(random_state)
    n_groups = _validate.positive_int(n_groups, "n_groups")
    artists = np.unique(labels)
    groups = []
    for size in n_artists:
        size = _validate.positive_int(size, "n_artists")
        if size > len(artists):
            raise ParameterError(f"n_artists={size}: only {len(artists)} artists")
        n_possible = math.comb(len(artists), size)
        if n_possible <= n_groups:                    # all of them, in a fixed order
            combos = [list(c) for c in itertools.combinations(range(len(artists)), size)]
        else:                                          # distinct random ones
            seen, combos = set(), []
            while len(combos) < n_groups:
                c = tuple(sorted(rng.choice(len(artists), size=size, replace=False)))
                if c not in seen:
                    seen.add(c)
                    combos.append(list(c))
        groups += [np.flatnonzero(np.isin(labels, artists[c])) for c in combos]
    return groups


def metadata_distance(labels):
    """0 between excerpts of the same album (or year, package...), 1 otherwise.

    Parameters
    ----------
    labels : array_like, shape (n,)
        A metadata value per excerpt (album title, year...); ``None``, NaN or ``""`` for
        unknown (distance 0.5 to everything: no evidence either way).

    Returns
    -------
    D : np.ndarray, shape (n, n), float64

    Examples
    --------
    >>> metadata_distance(["a", "a", "b", None]).tolist()
    [[0.0, 0.0, 1.0, 0.5], [0.0, 0.0, 1.0, 0.5], [1.0, 1.0, 0.0, 0.5], [0.5, 0.5, 0.5, 0.0]]

    Used in the chapter 14 notebook ("best used with metadata").
    """
    def known(v):
        return not (v is None or (isinstance(v, float) and np.isnan(v)) or v == "")

    values = np.asarray([str(v) if known(v) else "" for v in labels], dtype=object)
    if values.ndim != 1 or len(values) == 0:
        raise ParameterError("labels: expected a non-empty 1-d sequence")
    D = (values[:, None] != values[None, :]).astype(np.float64)
    unknown = values == ""
    D[unknown, :] = 0.5
    D[:, unknown] = 0.5
    np.fill_diagonal(D, 0.0)
    return D


def _cuts(Z, n, thresholds):
    """Flat clusterings of a scipy dendrogram ``Z`` of ``n`` items: for each threshold ``t``,
    the merges of distance < ``t`` applied (what ``cluster(D, distance_threshold=t)`` does)."""
    order = np.argsort(thresholds)
    out = [None] * len(thresholds)
    lab = np.arange(n)
    members = {i: [i] for i in range(n)}
    merge = 0
    for j in order:
        while merge < len(Z) and Z[merge, 2] < thresholds[j]:
            a, b = int(Z[merge, 0]), int(Z[merge, 1])
            members[n + merge] = members.pop(a) + members.pop(b)
            lab[members[n + merge]] = n + merge
            merge += 1
        out[j] = lab.copy()
    return out


def _ari(labels_true, labels_pred):
    """Adjusted Rand index from the pair-confusion matrix: the formula and special case of
    ``sklearn.metrics.adjusted_rand_score`` (tested equal), without its input checks (the
    threshold sweep calls it thousands of times)."""
    _, t = np.unique(labels_true, return_inverse=True)
    _, p = np.unique(labels_pred, return_inverse=True)
    n = len(t)
    C = np.bincount(t * (p.max() + 1) + p, minlength=(t.max() + 1) * (p.max() + 1))
    C = C.reshape(t.max() + 1, p.max() + 1).astype(np.int64)
    sum_sq = int((C ** 2).sum())
    rows, cols = C.sum(axis=1), C.sum(axis=0)
    tp = sum_sq - n
    fp = int((cols ** 2).sum()) - sum_sq
    fn = int((rows ** 2).sum()) - sum_sq
    tn = n * n - fp - fn - sum_sq
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def choose_threshold(D, labels, *, thresholds=None, linkage="average"):
    """The cut distance of :func:`cluster` that maximises the mean ARI over groups (validation).

    Parameters
    ----------
    D : list of np.ndarray, shape (n_i, n_i)
        Distance matrices of the validation groups.
    labels : list of array_like, shape (n_i,)
        Their true artists.
    thresholds : array_like, optional
        Candidates; 40 values between 0.02 and 1.5 by default.
    linkage : str

    Returns
    -------
    threshold : float
    mean_ari : np.ndarray, shape (n_thresholds,)
        The curve it was chosen on (same order as ``thresholds``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics.pairwise import cosine_distances
    >>> D = cosine_distances(np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]))
    >>> t, curve = choose_threshold([D], [[0, 0, 1, 1]], thresholds=[0.1, 0.5, 1.5])
    >>> t, curve.tolist()
    (0.1, [1.0, 1.0, 0.0])

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    from scipy.cluster.hierarchy import linkage as scipy_linkage
    from scipy.spatial.distance import squareform

    _validate.one_of(linkage, "linkage", ("average", "complete", "single"))
    if thresholds is None:
        thresholds = np.linspace(0.02, 1.5, 40)
    thresholds = _validate.real_array(thresholds, "thresholds", ndim=1)
    if not isinstance(D, (list, tuple)) or len(D) != len(labels) or not len(D):
        raise ParameterError("D, labels: expected two non-empty lists of equal length (one "
                             "distance matrix and one label array per group)")
    # one dendrogram per group (scipy: the same merges as cluster()), cut at every threshold
    scores = np.zeros((len(D), len(thresholds)))
    for i, (Di, lab) in enumerate(zip(D, labels)):
        Di = _square(Di, f"D[{i}]")
        if len(Di) < 2:
            scores[i] = 1.0
            continue
        Z = scipy_linkage(squareform(Di, checks=False), method=linkage)
        for j, pred in enumerate(_cuts(Z, len(Di), thresholds)):
            scores[i, j] = _ari(lab, pred)
    curve = scores.mean(axis=0)
    return float(thresholds[int(np.argmax(curve))]), curve


def disambiguate(E, labels, *, groups, n_clusters="given", distance_threshold=None,
                 albums=None, album_weight=0.0, linkage="average"):
    """Cluster each homonym group and score it: the paper's evaluation, averaged over groups.

    Parameters
    ----------
    E : np.ndarray, shape (n, d)
        Embeddings of every excerpt.
    labels : array_like, shape (n,)
        True artists.
    groups : list of array_like of int
        :func:`disambiguation_groups`.
    n_clusters : {"given", "threshold", "silhouette"}
        The true number of artists, or estimated: cut at ``distance_threshold``
        (:func:`choose_threshold`) or the best silhouette (:func:`estimate_n_clusters`).
    distance_threshold : float, optional
        Needed by ``"threshold"``.
    albums : array_like, shape (n,), optional
        Metadata per excerpt (album title, year...): the distance becomes
        ``(1 - album_weight) * cosine + album_weight * metadata_distance(albums)``.
    album_weight : float
        In ``[0, 1]``.
    linkage : str

    Returns
    -------
    scores : dict
        Means over the groups of :func:`evaluate`'s ``ARI``, ``purity``, ``inverse_purity``,
        and ``n_error``, the mean absolute error on the number of artists; ``per_group``: the
        list of per-group dicts.

    Examples
    --------
    >>> import numpy as np
    >>> E = np.repeat(np.eye(3), 3, axis=0) + 0.01
    >>> lab = np.repeat([0, 1, 2], 3)
    >>> s = disambiguate(E, lab, groups=disambiguation_groups(lab, n_artists=(2,), n_groups=2))
    >>> s["ARI"], s["n_error"]
    (1.0, 0.0)

    Used in the chapter 14 notebook (embeddings, artist disambiguation).
    """
    from sklearn.metrics.pairwise import cosine_distances

    validate(labels, E=E)
    labels = np.asarray(labels)
    _validate.one_of(n_clusters, "n_clusters", ("given", "threshold", "silhouette"))
    if n_clusters == "threshold" and distance_threshold is None:
        raise ParameterError("distance_threshold: needed with n_clusters='threshold'")
    album_weight = _validate.finite_real(album_weight, "album_weight", low=0.0, high=1.0)
    D_all = cosine_distances(np.asarray(E, dtype=np.float64))
    if albums is not None and album_weight > 0:
        albums = np.asarray(albums, dtype=object)
        if albums.shape != labels.shape:
            raise ParameterError(f"albums: shape {albums.shape}, expected {labels.shape}")
        D_all = (1 - album_weight) * D_all + album_weight * metadata_distance(albums)
    D_all = np.maximum(D_all, 0.0)
    rows = []
    for ix in groups:
        ix = np.asarray(ix, dtype=int)
        D, lab = D_all[np.ix_(ix, ix)], labels[ix]
        k = len(np.unique(lab))
        if n_clusters == "given":
            pred = cluster(D, n_clusters=k, linkage=linkage)
        elif n_clusters == "threshold":
            pred = cluster(D, distance_threshold=distance_threshold, linkage=linkage)
        else:
            pred = cluster(D, n_clusters=estimate_n_clusters(D, linkage=linkage),
                           linkage=linkage)
        s = evaluate(lab, pred)
        s["n_error"] = abs(s["n_pred"] - s["n_true"])
        rows.append(s)
    if not rows:
        raise ParameterError("groups: empty")
    out = {key: float(np.mean([r[key] for r in rows]))
           for key in ("ARI", "purity", "inverse_purity", "n_error")}
    out["per_group"] = rows
    return out
