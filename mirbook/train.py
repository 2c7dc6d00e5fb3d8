"""One training loop for every Part III chapter: :func:`fit`, :func:`predict`, checkpoints.

- :func:`fit` trains a :class:`torch.nn.Module` on ``(X, y)`` arrays or any
  :class:`torch.utils.data.Dataset` (the corpus loaders' ``TorchDataset`` included): seeded and
  deterministic on CPU (the same weights on a re-run), on the GPU when there is one
  (``device="auto"``), a tqdm progress bar, early stopping on a validation metric (restoring the
  best weights), a wall-clock budget. It returns a :class:`History` that the chapters plot.
- :func:`predict` returns a model's scores as a numpy array.
- :func:`save_checkpoint` writes the model's class, :attr:`config` and weights atomically;
  :func:`load_checkpoint` reads them back with ``torch.load(..., weights_only=True)`` only, and
  raises :class:`mirbook.errors.CheckpointError` for a file of another model, other shapes, or no
  checkpoint at all.

Used by the Part III chapter notebooks (chapters 11 and 12).

>>> import numpy as np
>>> from mirbook.models import SeedCNN
>>> X = np.random.default_rng(0).normal(size=(16, 3, 108, 12)).astype("float32")
>>> y = np.arange(16) % 2
>>> history = fit(SeedCNN(n_classes=2), (X, y), epochs=2, batch_size=8, show_progress=False)
>>> len(history.train_loss)
2
"""

from __future__ import annotations

import copy
import numbers
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from mirbook import _validate
from mirbook.errors import CheckpointError, ParameterError

__all__ = ["History", "fit", "predict", "resolve_device", "save_checkpoint", "load_checkpoint",
           "LOSSES", "METRICS"]

#: Names :func:`fit` accepts for ``loss``.
LOSSES = ("cross_entropy", "bce", "mse")

#: Names :func:`fit` accepts for ``metric`` (higher is better for all of them).
METRICS = ("balanced_accuracy", "accuracy", "roc_auc")

_FORMAT = "mirbook-checkpoint"
_FORMAT_VERSION = 1


@dataclass
class History:
    """What :func:`fit` did, epoch by epoch (lists of one value per epoch, in order).

    Attributes
    ----------
    train_loss : list of float
        Mean training loss of each epoch (with dropout active).
    val_loss, val_metric : list of float
        Loss and metric on ``validation`` after each epoch (empty without validation).
    seconds : list of float
        Wall-clock seconds of each epoch (training and validation).
    best_epoch : int or None
        Index (0-based) of the epoch whose weights the model holds at the end: the best
        validation metric (the lowest validation loss when ``metric=None``); ``None`` without
        validation (the model then holds the last epoch's weights).
    best_metric : float or None
        The monitored value at ``best_epoch``.
    stopped_early : bool
        ``patience`` epochs passed without improvement.
    timed_out : bool
        ``max_seconds`` ran out (the last epoch may be partial).
    metric : str
        Name of the monitored metric (``"val_loss"`` when ``metric=None``).
    device : str
        Where the model was trained.
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_metric: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    best_epoch: int | None = None
    best_metric: float | None = None
    stopped_early: bool = False
    timed_out: bool = False
    metric: str = "balanced_accuracy"
    device: str = "cpu"

    @property
    def n_epochs(self) -> int:
        """Epochs run (a partial last epoch included)."""
        return len(self.train_loss)

    @property
    def total_seconds(self) -> float:
        """Wall-clock seconds of the whole fit."""
        return float(sum(self.seconds))

    def as_dict(self) -> dict:
        """The history as a plain dict (for ``pandas.DataFrame`` or JSON)."""
        return asdict(self)


def resolve_device(*, device="auto"):
    """The :class:`torch.device` that ``device`` names.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device
        ``"auto"``: CUDA when a GPU is present, else the CPU.

    Returns
    -------
    device : torch.device

    Examples
    --------
    >>> resolve_device(device="cpu")
    device(type='cpu')
    >>> resolve_device(device="auto").type in ("cpu", "cuda")
    True

    Used by :func:`fit` and :func:`predict`.
    """
    if isinstance(device, torch.device):
        resolved = device
    elif device == "auto":
        resolved = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    elif isinstance(device, str):
        try:
            resolved = torch.device(device)
        except RuntimeError:
            raise ParameterError(f"device={device!r}: expected 'auto', 'cpu', 'cuda' or 'cuda:N'")\
                from None
    else:
        raise ParameterError(f"device={device!r}: expected 'auto', 'cpu', 'cuda' or a "
                             "torch.device")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r}: no CUDA device is available (use 'auto')")
    if resolved.type not in ("cpu", "cuda"):
        raise ParameterError(f"device={device!r}: only 'cpu' and 'cuda' are supported")
    return resolved


# ----------------------------------------------------------------------------- data


def _as_tensor(values, name, *, dtype=None):
    if isinstance(values, torch.Tensor):
        t = values
    else:
        arr = np.asarray(values)
        if arr.dtype.kind in "USO":
            raise ParameterError(f"{name}: labels of dtype {arr.dtype}: map them to integers "
                                 "first (e.g. np.unique(y, return_inverse=True)[1])")
        arr = np.ascontiguousarray(arr)
        if not arr.flags.writeable:   # e.g. mirbook.featcache's shared, read-only arrays
            arr = arr.copy()
        t = torch.from_numpy(arr)
    if dtype is not None:
        t = t.to(dtype)
    return t


def _target_dtype(loss):
    return torch.long if loss == "cross_entropy" else torch.float32


def _dataset(data, name, *, loss, labelled=True):
    """``data`` as a torch Dataset: ``(X, y)`` pairs become a TensorDataset."""
    if isinstance(data, torch.utils.data.Dataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = data
        X = _as_tensor(X, f"{name}[0] (X)", dtype=torch.float32)
        y = _as_tensor(y, f"{name}[1] (y)")
        y = y.to(_target_dtype(loss) if not callable(loss)
                 else (torch.float32 if y.is_floating_point() else y.dtype))
        if len(X) != len(y):
            raise ParameterError(f"{name}: {len(X)} inputs but {len(y)} targets")
        if len(X) == 0:
            raise ParameterError(f"{name}: no examples")
        if X.is_floating_point() and not torch.isfinite(X).all():
            raise ParameterError(f"{name}: X holds NaN/Inf values")
        return torch.utils.data.TensorDataset(X, y)
    if not labelled and isinstance(data, (np.ndarray, torch.Tensor)):
        X = _as_tensor(data, name, dtype=torch.float32)
        return torch.utils.data.TensorDataset(X)
    raise ParameterError(f"{name}: expected an (X, y) pair or a torch Dataset, got "
                         f"{type(data).__name__}")


def _collate(batch):
    """Stack ``(x, target)`` items; targets may be numbers, arrays or tensors."""
    if isinstance(batch[0], (tuple, list)):
        return tuple(_collate([item[i] for item in batch]) for i in range(len(batch[0])))
    first = batch[0]
    if isinstance(first, (torch.Tensor, np.ndarray)):
        shapes = {tuple(item.shape) for item in batch}
        if len(shapes) > 1:
            raise ParameterError(f"data: items of different shapes {sorted(shapes)[:3]} cannot be "
                                 "batched (crop or pad them, e.g. TorchDataset(..., duration=...))")
        return torch.stack([torch.as_tensor(item) for item in batch])
    if isinstance(first, str):
        raise ParameterError("data: string targets: use a numeric target (e.g. TorchDataset("
                             "..., target=lambda r: int(r['labels']['label'] == 'speech')))")
    return torch.as_tensor(np.asarray(batch))


def _loader(dataset, *, batch_size, shuffle, generator, training=False):
    # a last training batch of one example breaks batch normalisation: drop it (it is a
    # different example every epoch, the shuffle being seeded)
    n = len(dataset)
    drop_last = training and n > 1 and n % batch_size == 1
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
        collate_fn=_collate, num_workers=0, drop_last=drop_last,
    )


# ----------------------------------------------------------------------------- loss, metric


def _loss_fn(loss, weight=None):
    if callable(loss):
        return loss
    _validate.one_of(loss, "loss", LOSSES)
    if loss == "cross_entropy":
        fn = torch.nn.CrossEntropyLoss(weight=weight)
        return lambda out, t: fn(out, t.long())
    if loss == "bce":
        fn = torch.nn.BCEWithLogitsLoss()
        return lambda out, t: fn(out, t.float().reshape(out.shape))
    fn = torch.nn.MSELoss()
    return lambda out, t: fn(out, t.float().reshape(out.shape))


def _metric_fn(metric):
    if metric is None or callable(metric):
        return metric
    _validate.one_of(metric, "metric", METRICS)
    from sklearn import metrics as skm

    if metric == "roc_auc":
        def roc_auc(y_true, scores):
            if scores.ndim == 2 and scores.shape[1] == 2 and y_true.ndim == 1:
                scores = scores[:, 1]
            return float(skm.roc_auc_score(y_true, scores, average="macro"))
        return roc_auc

    fn = skm.balanced_accuracy_score if metric == "balanced_accuracy" else skm.accuracy_score

    def score(y_true, scores):
        pred = scores.argmax(axis=1) if scores.ndim == 2 and scores.shape[1] > 1 \
            else (scores.reshape(len(scores)) > 0).astype(int)
        return float(fn(y_true, pred))
    return score


def _evaluate(model, loader, device, loss_fn, metric_fn):
    model.eval()
    total, n, outs, targets = 0.0, 0, [], []
    with torch.no_grad():
        for xb, tb in loader:
            xb, tb = xb.to(device), tb.to(device)
            out = model(xb)
            total += float(loss_fn(out, tb)) * len(xb)
            n += len(xb)
            outs.append(out.float().cpu().numpy())
            targets.append(tb.cpu().numpy())
    val_loss = total / max(n, 1)
    value = None
    if metric_fn is not None:
        value = float(metric_fn(np.concatenate(targets), np.concatenate(outs)))
    return val_loss, value


# ----------------------------------------------------------------------------- fit


def fit(model, data, *, validation=None, loss="cross_entropy", metric="balanced_accuracy",
        epochs=20, batch_size=32, lr=1e-3, weight_decay=0.0, patience=None, max_seconds=None,
        augment=None, class_weight=None, random_state=0, device="auto", n_jobs=None,
        show_progress=True):
    """Train ``model`` with Adam (AdamW if ``weight_decay`` > 0): the loop of the Part III chapters.

    Seeded: with the same ``random_state`` on the same machine a re-run gives the same weights
    (torch's random state is seeded for the fit, with a seeded DataLoader shuffle, and restored
    afterwards; on CUDA cuDNN runs in deterministic mode). With ``validation``, the model holds at
    the end the weights of its best epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits, shape ``(batch, n_classes)``. Moved to ``device``, trained in place, left
        there in eval mode.
    data : (X, y) pair or torch.utils.data.Dataset
        ``X`` array_like, shape ``(n_examples, ...)`` (the model's input shape), ``y`` shape
        ``(n_examples,)`` integer classes (``"cross_entropy"``) or ``(n_examples, n_outputs)``
        (``"bce"``, ``"mse"``); or a Dataset of ``(x, target)`` items, such as the corpus loaders'
        ``TorchDataset`` with a numeric target.
    validation : (X, y) pair or torch.utils.data.Dataset, optional
        Evaluated after every epoch (loss and ``metric``); needed by ``patience``.
    loss : {"cross_entropy", "bce", "mse"} or callable
        ``"bce"`` is the multi-label loss (sigmoid per output). A callable takes
        ``(logits, targets)`` tensors and returns a scalar tensor.
    metric : {"balanced_accuracy", "accuracy", "roc_auc"}, callable or None
        Validation metric, higher is better; a callable takes ``(y_true, scores)`` numpy arrays
        (scores: the logits). ``None``: monitor the validation loss (lower is better).
    epochs : int
        Maximum number of passes over ``data``.
    batch_size : int
    lr, weight_decay : float
        Learning rate and (decoupled) weight decay.
    patience : int, optional
        Stop when the monitored value has not improved for this many epochs.
    max_seconds : float, optional
        Wall-clock budget: stop after the batch that exceeds it (the epoch then counts as partial
        and is validated). ``History.timed_out`` says it happened.
    augment : callable, optional
        Applied to each training batch of inputs (a tensor on ``device``) before the forward pass;
        not to validation. Draw its randomness from torch (``torch.rand``...) to stay seeded.
    class_weight : None, "balanced" or array_like, shape (n_classes,)
        Weights of the classes in the cross-entropy (``loss="cross_entropy"`` only), for the
        training and the validation loss. ``"balanced"`` is scikit-learn's rule,
        ``n_examples / (n_classes * count)``, from the training targets (``n_classes`` from the
        model's output width), so that a rare class weighs as much as a frequent one in total;
        a class absent from the training data gets weight 0.
    random_state : None, int or np.random.Generator
        Shuffling, dropout, ``augment``.
    device : {"auto", "cpu", "cuda"} or torch.device
        ``"auto"`` uses CUDA when present.
    n_jobs : int, optional
        Torch CPU threads during the fit (restored afterwards); torch's default if omitted.
    show_progress : bool
        A tqdm bar over the epochs (:func:`mirbook.utils.progress`) showing loss and metric.

    Returns
    -------
    history : History
        Per-epoch ``train_loss``, ``val_loss``, ``val_metric``, ``seconds``, and ``best_epoch``,
        ``stopped_early``, ``timed_out``.

    Raises
    ------
    ParameterError
        Bad arguments (``patience`` without ``validation``, mismatched ``X``/``y``...).

    Examples
    --------
    >>> import numpy as np
    >>> from mirbook.models import SeedCNN
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(32, 3, 108, 12)).astype("float32")
    >>> y = np.arange(32) % 2
    >>> X[y == 1] += 1.0                                  # an easy task
    >>> model = SeedCNN(n_classes=2)
    >>> h = fit(model, (X[:24], y[:24]), validation=(X[24:], y[24:]), epochs=5, patience=2,
    ...         batch_size=8, show_progress=False)
    >>> h.n_epochs <= 5 and h.best_epoch is not None and h.metric
    'balanced_accuracy'

    Used by the Part III chapter notebooks (chapters 11 and 12).
    """
    if not isinstance(model, torch.nn.Module):
        raise ParameterError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    epochs = _validate.positive_int(epochs, "epochs")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    lr = _validate.finite_real(lr, "lr", low=0.0, low_open=True)
    weight_decay = _validate.finite_real(weight_decay, "weight_decay", low=0.0)
    if patience is not None:
        patience = _validate.positive_int(patience, "patience")
        if validation is None:
            raise ParameterError("patience: early stopping needs validation data")
    if max_seconds is not None:
        max_seconds = _validate.finite_real(max_seconds, "max_seconds", low=0.0, low_open=True)
    if augment is not None and not callable(augment):
        raise ParameterError(f"augment={augment!r}: expected a callable")
    if n_jobs is not None:
        n_jobs = _validate.positive_int(n_jobs, "n_jobs")
    metric_fn = _metric_fn(metric)
    seed = int(_validate.random_state(random_state).integers(2**63 - 1))
    dev = resolve_device(device=device)
    train_set = _dataset(data, "data", loss=loss)
    val_set = None if validation is None else _dataset(validation, "validation", loss=loss)
    weight = None
    if class_weight is not None:
        weight = _class_weight(class_weight, train_set, model, loss=loss).to(dev)
    loss_fn = _loss_fn(loss, weight)

    history = History(metric="val_loss" if metric is None else
                      (metric if isinstance(metric, str) else getattr(metric, "__name__",
                                                                       "metric")),
                      device=str(dev))
    threads = torch.get_num_threads()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    devices = [dev.index or 0] if dev.type == "cuda" else []
    try:
        if n_jobs is not None:
            torch.set_num_threads(n_jobs)
        if dev.type == "cuda":
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            _fit_loop(model, train_set, val_set, history, loss_fn=loss_fn, metric_fn=metric_fn,
                      epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                      patience=patience, max_seconds=max_seconds, augment=augment, seed=seed,
                      device=dev, show_progress=show_progress)
    finally:
        torch.set_num_threads(threads)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
    return history


def _class_weight(class_weight, train_set, model, *, loss):
    """The ``class_weight`` of :func:`fit` as a float tensor, shape (n_classes,)."""
    if loss != "cross_entropy":
        raise ParameterError(f"class_weight: only for loss='cross_entropy', not loss={loss!r}")
    if isinstance(class_weight, str):
        _validate.one_of(class_weight, "class_weight", ("balanced",))
        if isinstance(train_set, torch.utils.data.TensorDataset):
            y = train_set.tensors[1]
        else:
            y = torch.as_tensor([int(train_set[i][1]) for i in range(len(train_set))])
        y = y.long().reshape(-1)
        param = next(model.parameters(), None)
        first = torch.as_tensor(train_set[0][0]).unsqueeze(0)
        if param is not None:
            first = first.to(param.device)
        with torch.no_grad():
            was_training = model.training
            model.eval()
            n_classes = int(model(first).shape[-1])
            model.train(was_training)
        if int(y.min()) < 0 or int(y.max()) >= n_classes:
            raise ParameterError(f"class_weight='balanced': targets must lie in [0, {n_classes}) "
                                 f"(the model's outputs); got {int(y.min())}..{int(y.max())}")
        count = torch.bincount(y, minlength=n_classes).double()
        w = torch.where(count > 0, len(y) / (n_classes * count.clamp(min=1)), 0.0)
        return w.float()
    w = torch.as_tensor(np.asarray(class_weight, dtype=np.float64)).float()
    if w.ndim != 1 or not torch.isfinite(w).all() or (w < 0).any() or not (w > 0).any():
        raise ParameterError(f"class_weight: expected 'balanced' or a 1-D array of finite "
                             f"non-negative weights, got {class_weight!r}")
    return w


def _fit_loop(model, train_set, val_set, history, *, loss_fn, metric_fn, epochs, batch_size, lr,
              weight_decay, patience, max_seconds, augment, seed, device, show_progress):
    from mirbook.utils import progress

    model.to(device)
    if weight_decay > 0:
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed % (2**63))
    train_loader = _loader(train_set, batch_size=batch_size, shuffle=True, generator=generator,
                           training=True)
    val_loader = None if val_set is None else _loader(val_set, batch_size=max(batch_size, 256),
                                                      shuffle=False, generator=None)
    lower_is_better = metric_fn is None
    best_state, since_best = None, 0
    start = time.perf_counter()
    bar = progress(range(epochs), desc=f"fit {type(model).__name__}", total=epochs,
                   disable=not show_progress)
    for epoch in bar:
        t0 = time.perf_counter()
        model.train()
        total, n = 0.0, 0
        for xb, tb in train_loader:
            xb, tb = xb.to(device, non_blocking=True), tb.to(device, non_blocking=True)
            if augment is not None:
                xb = augment(xb)
            optimizer.zero_grad(set_to_none=True)
            batch_loss = loss_fn(model(xb), tb)
            if not torch.isfinite(batch_loss):
                raise ParameterError(f"lr={lr}: the training loss became {float(batch_loss)} at "
                                     f"epoch {epoch} (lower the learning rate)")
            batch_loss.backward()
            optimizer.step()
            total += float(batch_loss.detach()) * len(xb)
            n += len(xb)
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                history.timed_out = True
                break
        history.train_loss.append(total / max(n, 1))
        postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
        if val_loader is not None:
            val_loss, value = _evaluate(model, val_loader, device, loss_fn, metric_fn)
            history.val_loss.append(val_loss)
            if value is not None:
                history.val_metric.append(value)
            monitored = val_loss if lower_is_better else value
            better = history.best_metric is None or (
                monitored < history.best_metric if lower_is_better
                else monitored > history.best_metric)
            if better:
                history.best_epoch, history.best_metric = epoch, float(monitored)
                best_state = copy.deepcopy(model.state_dict())
                since_best = 0
            else:
                since_best += 1
            postfix["val_loss"] = f"{val_loss:.4f}"
            if value is not None:
                postfix[history.metric] = f"{value:.3f}"
        history.seconds.append(time.perf_counter() - t0)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(postfix, refresh=False)
        if history.timed_out:
            break
        if patience is not None and since_best >= patience:
            history.stopped_early = epoch < epochs - 1
            break
    if hasattr(bar, "close"):
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


# ----------------------------------------------------------------------------- predict


def predict(model, data, *, batch_size=256, device="auto", activation=None):
    """A model's outputs on ``data``, in order, as a numpy array.

    Parameters
    ----------
    model : torch.nn.Module
    data : array_like, torch.Tensor, (X, y) pair or torch.utils.data.Dataset
        Inputs, shape ``(n_examples, ...)``; of a pair or of ``(x, target)`` items only ``x`` is
        used.
    batch_size : int
    device : {"auto", "cpu", "cuda"} or torch.device
        The model is moved there.
    activation : {None, "softmax", "sigmoid"}
        ``None`` returns the logits.

    Returns
    -------
    scores : np.ndarray, shape (n_examples, n_outputs)
        float32.

    Examples
    --------
    >>> import numpy as np
    >>> from mirbook.models import SeedCNN
    >>> P = predict(SeedCNN(n_classes=2), np.zeros((5, 3, 108, 12)), activation="softmax")
    >>> P.shape, bool(np.allclose(P.sum(axis=1), 1))
    ((5, 2), True)

    Used by the Part III chapter notebooks (chapters 11 and 12).
    """
    if not isinstance(model, torch.nn.Module):
        raise ParameterError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    _validate.one_of(activation, "activation", (None, "softmax", "sigmoid"))
    dev = resolve_device(device=device)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        data = data[0]
    dataset = _dataset(data, "data", loss="cross_entropy", labelled=False)
    loader = _loader(dataset, batch_size=batch_size, shuffle=False, generator=None)
    model.to(dev)
    was_training = model.training
    model.eval()
    outs = []
    with torch.no_grad():
        for batch in loader:
            xb = batch[0] if isinstance(batch, (tuple, list)) else batch
            out = model(xb.to(dev).float())
            if activation == "softmax":
                out = torch.softmax(out, dim=1)
            elif activation == "sigmoid":
                out = torch.sigmoid(out)
            outs.append(out.float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(outs).astype(np.float32, copy=False)


# ----------------------------------------------------------------------------- checkpoints


def _base(value):
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def _plain(value, where):
    """``value`` with numpy values turned into what ``torch.load(weights_only=True)`` reads."""
    if value is None or type(value) in (bool, str, int, float):
        return value
    if isinstance(value, (bool, str, int, float)):   # subclasses (TorchVersion, IntEnum...)
        return _base(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value, copy=True, order="C"))
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, numbers.Number):
        return float(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, (str, int)):
                raise ParameterError(f"{where}: key {k!r}: expected str or int keys")
            out[k] = _plain(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise ParameterError(f"{where}: a {type(value).__name__} cannot be stored in a checkpoint "
                         "(use numbers, strings, lists, dicts, arrays)")


def save_checkpoint(path, model, *, extra=None):
    """Write ``model``'s class name, :attr:`config` and weights to ``path``, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``.pt``); its folder is created. A reader never sees a half-written file.
    model : torch.nn.Module
        A model of :mod:`mirbook.models`, or any module with a ``config`` dict (or none: then
        :func:`load_checkpoint` needs ``model=``).
    extra : dict, optional
        Metadata kept beside the weights (history, class names, corpus version...): numbers,
        strings, lists, dicts, numpy arrays or tensors.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import tempfile, os
    >>> from mirbook.models import SeedCNN
    >>> path = save_checkpoint(os.path.join(tempfile.mkdtemp(), "seed.pt"), SeedCNN(),
    ...                        extra={"classes": ["speech", "music"]})
    >>> model, info = load_checkpoint(path, return_info=True)
    >>> type(model).__name__, info["extra"]["classes"]
    ('SeedCNN', ['speech', 'music'])

    Used by the Part III chapter notebooks (chapters 11 and 12).
    """
    from mirbook import __version__
    from mirbook.io import atomic_path

    if not isinstance(model, torch.nn.Module):
        raise ParameterError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    config = getattr(model, "config", None)
    payload = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "model_class": type(model).__name__,
        "config": None if config is None else _plain(dict(config), "model.config"),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": _plain({} if extra is None else dict(extra), "extra"),
        "mirbook_version": __version__,
        "torch_version": str(torch.__version__),
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def _read_checkpoint(path):
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file" if not path.exists() else "not a file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure to unpickle means "not a checkpoint"
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln).strip() for ln in str(err).splitlines()]
        lines = [ln for ln in lines if ln]
        named = [ln for ln in lines if "Unpickler error" in ln]
        first = (named or lines or [type(err).__name__])[0]
        raise CheckpointError(path, f"not a readable torch checkpoint ({first})") from None
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise CheckpointError(path, "not a mirbook checkpoint (no 'format': 'mirbook-checkpoint'; "
                                    "write it with mirbook.train.save_checkpoint)")
    if payload.get("format_version") != _FORMAT_VERSION:
        raise CheckpointError(path, f"checkpoint format version {payload.get('format_version')!r}"
                                    f", this mirbook reads version {_FORMAT_VERSION}")
    for key in ("model_class", "state_dict"):
        if key not in payload:
            raise CheckpointError(path, f"incomplete checkpoint: no {key!r}")
    return payload


def load_checkpoint(path, *, model=None, device="cpu", return_info=False):
    """Read a checkpoint of :func:`save_checkpoint` (``torch.load(..., weights_only=True)`` only).

    Parameters
    ----------
    path : str or os.PathLike
    model : torch.nn.Module, optional
        Load the weights into this model, which must be of the checkpoint's class with the same
        parameter shapes. If omitted, the model is rebuilt from the stored class name and config
        (classes of :data:`mirbook.models.MODELS` only).
    device : {"cpu", "auto", "cuda"} or torch.device
        Where the returned model lives.
    return_info : bool
        Also return the metadata.

    Returns
    -------
    model : torch.nn.Module
        In eval mode.
    info : dict
        Only with ``return_info=True``: ``model_class``, ``config``, ``extra``,
        ``mirbook_version``, ``torch_version``.

    Raises
    ------
    CheckpointError
        Missing file, not a checkpoint, a checkpoint of another model class, other parameter
        names or shapes; the message names the file and the problem.

    Examples
    --------
    >>> import tempfile, os
    >>> from mirbook.models import MelCNN
    >>> path = save_checkpoint(os.path.join(tempfile.mkdtemp(), "mel.pt"), MelCNN(n_classes=4))
    >>> load_checkpoint(path).config["n_classes"]
    4
    >>> load_checkpoint(path, model=MelCNN(n_classes=2))
    Traceback (most recent call last):
    ...
    mirbook.errors.CheckpointError: ...mel.pt: parameter shapes differ ...classifier.weight (4, 64) ...

    Used by the Part III chapter notebooks (chapters 11 and 12).
    """
    if model is not None and not isinstance(model, torch.nn.Module):
        raise ParameterError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    dev = resolve_device(device=device)
    payload = _read_checkpoint(path)
    stored = payload["model_class"]
    if model is None:
        from mirbook.models import MODELS

        if stored not in MODELS:
            raise CheckpointError(path, f"holds a {stored}, which mirbook.models does not know: "
                                        f"pass model={stored}(...) to load its weights")
        try:
            model = MODELS[stored](**(payload.get("config") or {}))
        except (TypeError, ValueError) as err:
            raise CheckpointError(path, f"cannot rebuild {stored} from its config: {err}") \
                from None
    elif type(model).__name__ != stored:
        raise CheckpointError(path, f"holds a {stored}, not a {type(model).__name__}")
    state = payload["state_dict"]
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:4])}"
                         f"{' ...' if len(unexpected) > 4 else ''}")
        raise CheckpointError(path, f"parameter names differ from the model's: {'; '.join(parts)}")
    shapes = [f"{k} {tuple(state[k].shape)} in the file, {tuple(v.shape)} in the model"
              for k, v in own.items() if tuple(state[k].shape) != tuple(v.shape)]
    if shapes:
        raise CheckpointError(path, "parameter shapes differ from the model's: "
                                    + "; ".join(shapes[:4]) + (" ..." if len(shapes) > 4 else ""))
    model.load_state_dict(state)
    model.to(dev)
    model.eval()
    if not return_info:
        return model
    info = {k: payload.get(k) for k in ("model_class", "config", "extra", "mirbook_version",
                                        "torch_version")}
    return model, info


# ----------------------------------------------------------------------------- augmentation


def augment_waveform(x, *, gain_db=6.0, snr_db=(10.0, 40.0), time_mask=0.1, freq_mask=0.1):
    """Random gain, noise, a time mask and a frequency mask on a batch of waveforms.

    The ``augment`` of :func:`fit` for waveform models (chapter 12): each example of the batch
    gets its own draws, from torch's random state (which :func:`fit` seeds, so a fit with
    augmentation stays reproducible). In order: a gain drawn uniformly in ``[-gain_db,
    gain_db]`` dB; white noise at an SNR drawn uniformly in ``snr_db`` (relative to the
    example's own power); one stretch of up to ``time_mask`` of the samples set to zero (a
    SpecAugment time mask, Park et al. 2019, on the waveform); one band of up to ``freq_mask``
    of the frequency bins removed (zeroed in the real FFT of the whole example: a frequency
    mask). ``None`` skips a step.

    Parameters
    ----------
    x : torch.Tensor, shape (batch, n_samples) or (batch, 1, n_samples)
    gain_db : float or None
    snr_db : (float, float) or None
        Lowest and highest SNR (dB).
    time_mask, freq_mask : float or None
        Largest masked fraction, in ``[0, 1]``.

    Returns
    -------
    x_augmented : torch.Tensor
        Same shape, dtype and device as ``x`` (a new tensor).

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(4, 22050)
    >>> augment_waveform(x).shape
    torch.Size([4, 22050])
    >>> g = augment_waveform(x, gain_db=6.0, snr_db=None, time_mask=None, freq_mask=None)
    >>> ratio = (g / x).amax(dim=1)
    >>> bool(((ratio >= 10 ** (-6 / 20)) & (ratio <= 10 ** (6 / 20))).all())
    True

    Used in the chapter 12 notebook (end-to-end learning).
    """
    if not isinstance(x, torch.Tensor):
        raise ParameterError(f"x: expected a torch.Tensor, got {type(x).__name__}")
    if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[1] != 1) or x.shape[-1] < 2:
        raise ParameterError(f"x: shape {tuple(x.shape)}, expected (batch, n_samples) or "
                             "(batch, 1, n_samples)")
    if gain_db is not None:
        gain_db = _validate.finite_real(gain_db, "gain_db", low=0.0)
    if snr_db is not None:
        try:
            low, high = (float(v) for v in snr_db)
        except (TypeError, ValueError):
            raise ParameterError(f"snr_db={snr_db!r}: expected (lowest, highest) in dB") \
                from None
        low = _validate.finite_real(low, "snr_db")
        high = _validate.finite_real(high, "snr_db", low=low)
    if time_mask is not None:
        time_mask = _validate.finite_real(time_mask, "time_mask", low=0.0, high=1.0)
    if freq_mask is not None:
        freq_mask = _validate.finite_real(freq_mask, "freq_mask", low=0.0, high=1.0)
    shape = x.shape
    y = x.reshape(shape[0], shape[-1]).clone()
    batch, n = y.shape
    device, dtype = y.device, y.dtype

    def uniform(lo, hi, size=(batch, 1)):
        return lo + (hi - lo) * torch.rand(size, device=device, dtype=dtype)

    if gain_db is not None:
        y = y * 10.0 ** (uniform(-gain_db, gain_db) / 20.0)
    if snr_db is not None:
        power = y.pow(2).mean(dim=1, keepdim=True).clamp_min(1e-12)
        noise_power = power / 10.0 ** (uniform(low, high) / 10.0)
        y = y + torch.randn(y.shape, device=device, dtype=dtype) * noise_power.sqrt()
    if time_mask:
        width = (uniform(0.0, time_mask) * n).long()
        start = (uniform(0.0, 1.0) * (n - width + 1)).long().clamp_max(n - 1)
        idx = torch.arange(n, device=device).unsqueeze(0)
        y = y.masked_fill((idx >= start) & (idx < start + width), 0.0)
    if freq_mask:
        spectrum = torch.fft.rfft(y, dim=1)
        n_bins = spectrum.shape[1]
        width = (uniform(0.0, freq_mask) * n_bins).long()
        start = (uniform(0.0, 1.0) * (n_bins - width + 1)).long().clamp_max(n_bins - 1)
        idx = torch.arange(n_bins, device=device).unsqueeze(0)
        spectrum = spectrum.masked_fill((idx >= start) & (idx < start + width), 0.0)
        y = torch.fft.irfft(spectrum, n=n, dim=1).to(dtype)
    return y.reshape(shape)


__all__ += ["augment_waveform"]
