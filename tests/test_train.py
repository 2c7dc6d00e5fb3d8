"""mirbook.train: fit (overfitting, determinism, early stopping, time budget), predict, checkpoints."""

import warnings

import numpy as np
import pytest
import torch

from mirbook.errors import CheckpointError, ParameterError
from mirbook.models import MelCNN, SeedCNN, WaveformCNN
from mirbook.train import (History, fit, load_checkpoint, predict, resolve_device,
                           save_checkpoint)


def _easy(n=32, shape=(3, 108, 12), random_state=0):
    rng = np.random.default_rng(random_state)
    X = rng.normal(size=(n, *shape)).astype(np.float32)
    y = np.arange(n) % 2
    X[y == 1] += 0.5
    return X, y


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_a_model_overfits_a_tiny_batch():
    X, y = _easy(8)
    model = SeedCNN(n_classes=2, dropout=0.0)
    h = fit(model, (X, y), epochs=40, batch_size=8, lr=3e-3, show_progress=False)
    assert h.train_loss[-1] < h.train_loss[0] / 10
    assert (predict(model, X).argmax(axis=1) == y).all()


def test_melcnn_and_waveformcnn_overfit_too():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 1, 32, 24)).astype(np.float32)
    y = np.arange(8) % 2
    h = fit(MelCNN(n_classes=2, dropout=0.0), (X, y), epochs=40, batch_size=8, lr=3e-3,
            show_progress=False)
    assert h.train_loss[-1] < h.train_loss[0] / 10
    W = rng.normal(size=(8, 2048)).astype(np.float32)
    h = fit(WaveformCNN(n_classes=2, dropout=0.0, channels=(16,)), (W, y), epochs=40,
            batch_size=8, lr=3e-3, show_progress=False)
    assert h.train_loss[-1] < h.train_loss[0] / 10


def test_two_seeded_fits_give_identical_weights_and_a_third_seed_differs():
    X, y = _easy(24)
    runs = []
    for random_state in (0, 0, 1):
        model = SeedCNN(n_classes=2)
        h = fit(model, (X, y), validation=(X[:8], y[:8]), epochs=2, batch_size=8,
                random_state=random_state, show_progress=False)
        runs.append((_weights(model), h))
    (w0, h0), (w1, h1), (w2, _) = runs
    assert all(torch.equal(w0[k], w1[k]) for k in w0)
    assert h0.train_loss == h1.train_loss and h0.val_metric == h1.val_metric
    assert not all(torch.equal(w0[k], w2[k]) for k in w0)


def test_fit_leaves_the_global_random_state_and_threads_alone():
    X, y = _easy(8)
    threads = torch.get_num_threads()
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    fit(SeedCNN(), (X, y), epochs=1, batch_size=4, n_jobs=1, show_progress=False)
    assert torch.equal(torch.rand(2), expected)
    assert torch.get_num_threads() == threads


def test_early_stopping_restores_the_best_weights():
    X, y = _easy(16)
    # a metric that only ever gets worse: epoch 0 is the best, patience 2 stops after epoch 2
    scores = iter([0.9, 0.5, 0.4, 0.3, 0.2])
    model = SeedCNN()
    seen = []

    def metric(y_true, out):
        seen.append(_weights(model))
        return next(scores)

    h = fit(model, (X, y), validation=(X, y), metric=metric, epochs=5, patience=2,
            batch_size=8, show_progress=False)
    assert h.n_epochs == 3 and h.stopped_early and not h.timed_out
    assert h.best_epoch == 0 and h.best_metric == 0.9 and h.val_metric == [0.9, 0.5, 0.4]
    final = _weights(model)
    assert all(torch.equal(final[k], seen[0][k]) for k in final)
    assert not all(torch.equal(final[k], seen[-1][k]) for k in final)


def test_metric_none_monitors_the_validation_loss():
    X, y = _easy(16)
    h = fit(SeedCNN(), (X, y), validation=(X, y), metric=None, epochs=3, batch_size=8,
            show_progress=False)
    assert h.metric == "val_loss" and h.val_metric == []
    assert h.best_metric == min(h.val_loss) and h.val_loss[h.best_epoch] == h.best_metric


def test_the_time_budget_stops_the_fit():
    X, y = _easy(32)
    h = fit(SeedCNN(), (X, y), validation=(X[:8], y[:8]), epochs=50, batch_size=4,
            max_seconds=1e-3, show_progress=False)
    assert h.timed_out and not h.stopped_early
    assert h.n_epochs == 1 and len(h.val_loss) == 1 and h.total_seconds < 10


def test_history_fields():
    X, y = _easy(16)
    h = fit(SeedCNN(), (X, y), validation=(X, y), metric="accuracy", epochs=2, batch_size=8,
            show_progress=False)
    assert isinstance(h, History) and h.device == "cpu"
    d = h.as_dict()
    assert set(d) >= {"train_loss", "val_loss", "val_metric", "seconds", "best_epoch",
                      "stopped_early", "timed_out"}
    assert len(d["seconds"]) == 2 and all(s > 0 for s in d["seconds"])
    assert all(0 <= v <= 1 for v in h.val_metric)


def test_device_auto_works_on_cpu():
    assert resolve_device(device="cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device(device="auto").type == expected
    X, y = _easy(8)
    model = SeedCNN()
    h = fit(model, (X, y), epochs=1, batch_size=8, device="auto", show_progress=False)
    assert h.device.startswith(expected)
    assert predict(model, X, device="auto").shape == (8, 2)
    with pytest.raises(ParameterError, match="device"):
        resolve_device(device="tpu")


def test_a_torch_dataset_and_other_losses():
    X, y = _easy(16)

    class Items(torch.utils.data.Dataset):   # like mirbook.datasets.TorchDataset: (x, target)
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return torch.from_numpy(X[i]), int(y[i])

    model = SeedCNN()
    h = fit(model, Items(), validation=Items(), epochs=1, batch_size=8, show_progress=False)
    assert len(h.val_metric) == 1
    P = predict(model, Items(), activation="softmax")
    assert P.shape == (16, 2) and np.allclose(P.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(predict(model, (X, y)), predict(model, torch.from_numpy(X)), atol=1e-6)
    # multi-label: bce with a (n, n_outputs) float target, ROC AUC
    Y = np.stack([y, 1 - y, y], axis=1).astype(np.float32)
    h = fit(SeedCNN(n_classes=3), (X, Y), validation=(X, Y), loss="bce", metric="roc_auc",
            epochs=1, batch_size=8, show_progress=False)
    assert 0 <= h.val_metric[0] <= 1
    h = fit(SeedCNN(n_classes=1), (X, y.astype(np.float32)[:, None]), loss="mse", epochs=1,
            batch_size=8, show_progress=False)
    assert np.isfinite(h.train_loss[0])


def test_items_of_different_lengths_are_a_caller_mistake():
    class Ragged(torch.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return torch.zeros(1000 + 10 * i), i % 2

    with pytest.raises(ParameterError, match="different shapes.*duration"):
        fit(WaveformCNN(), Ragged(), epochs=1, batch_size=4, show_progress=False)


def test_a_last_batch_of_one_is_dropped_in_training():
    X, y = _easy(9)
    h = fit(MelCNN(), (X[:, :1, :8, :3], y), epochs=1, batch_size=4, show_progress=False)
    assert np.isfinite(h.train_loss[0])


def test_augment_is_applied_to_training_batches_only():
    X, y = _easy(8)
    shapes = []

    def augment(xb):
        shapes.append(tuple(xb.shape))
        return xb + 0.01 * torch.randn_like(xb)

    fit(SeedCNN(), (X, y), validation=(X, y), augment=augment, epochs=2, batch_size=4,
        show_progress=False)
    assert shapes == [(4, 3, 108, 12)] * 4


def test_fit_rejects_caller_mistakes():
    X, y = _easy(8)
    model = SeedCNN()
    with pytest.raises(ParameterError, match="patience"):
        fit(model, (X, y), patience=2, show_progress=False)
    with pytest.raises(ParameterError, match="8 inputs but 7 targets"):
        fit(model, (X, y[:7]), show_progress=False)
    with pytest.raises(ParameterError, match="loss"):
        fit(model, (X, y), loss="hinge", show_progress=False)
    with pytest.raises(ParameterError, match="metric"):
        fit(model, (X, y), metric="f1", show_progress=False)
    with pytest.raises(ParameterError, match="labels of dtype"):
        fit(model, (X, np.array(["speech", "music"] * 4)), show_progress=False)
    with pytest.raises(ParameterError, match="epochs"):
        fit(model, (X, y), epochs=0, show_progress=False)
    with pytest.raises(ParameterError, match="data"):
        fit(model, X, show_progress=False)
    with pytest.raises(ParameterError, match="model"):
        fit("model", (X, y), show_progress=False)


def test_fit_writes_no_warning(capfd, tmp_path):
    X, y = _easy(8)
    X.setflags(write=False)   # as mirbook.featcache returns them
    y.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predict(SeedCNN(), X)
        save_checkpoint(tmp_path / "m.pt", SeedCNN(), extra={"y": y})
        fit(SeedCNN(), (X, y), validation=(X, y), epochs=1, batch_size=4, show_progress=True)
        fit(MelCNN(), (X[:, :1], y), epochs=1, batch_size=4, show_progress=False)
        fit(WaveformCNN(), (X.reshape(8, -1), y), epochs=1, batch_size=4, show_progress=False)
    assert "Warning" not in capfd.readouterr().err


# ----------------------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("cls", [SeedCNN, MelCNN, WaveformCNN])
def test_checkpoint_round_trip_gives_the_same_outputs(tmp_path, cls):
    model = cls(n_classes=3, random_state=7).eval()
    x = {SeedCNN: torch.randn(2, 3, 108, 12), MelCNN: torch.randn(2, 1, 64, 50),
         WaveformCNN: torch.randn(2, 4000)}[cls]
    path = save_checkpoint(tmp_path / "sub" / "model.pt", model,
                           extra={"epoch": np.int64(3), "scores": np.arange(3.0),
                                  "classes": ["a", "b", "c"]})
    assert path.is_file() and not list(path.parent.glob("*.part"))
    again, info = load_checkpoint(path, return_info=True)
    assert type(again) is cls and again.config == model.config and not again.training
    assert torch.equal(again(x), model(x))
    assert info["extra"]["epoch"] == 3 and info["extra"]["classes"] == ["a", "b", "c"]
    assert torch.equal(info["extra"]["scores"], torch.arange(3.0, dtype=torch.float64))
    into = load_checkpoint(path, model=cls(n_classes=3, random_state=1))
    assert torch.equal(into(x), model(x))


def test_a_trained_model_round_trips(tmp_path):
    X, y = _easy(8)
    model = SeedCNN()
    fit(model, (X, y), epochs=1, batch_size=4, show_progress=False)
    path = save_checkpoint(tmp_path / "m.pt", model)
    assert np.array_equal(predict(load_checkpoint(path), X), predict(model, X))


def test_bad_checkpoints_raise_checkpoint_error(tmp_path):
    path = save_checkpoint(tmp_path / "seed.pt", SeedCNN(n_classes=2))
    with pytest.raises(CheckpointError, match="holds a SeedCNN, not a MelCNN") as err:
        load_checkpoint(path, model=MelCNN())
    assert err.value.path == str(path)
    with pytest.raises(CheckpointError, match=r"shapes differ.*classifier.weight \(2, 64\) in the "
                                              r"file, \(5, 64\) in the model"):
        load_checkpoint(path, model=SeedCNN(n_classes=5))
    with pytest.raises(CheckpointError, match="names differ"):
        load_checkpoint(path, model=SeedCNN(channels=(16, 32)))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00not a checkpoint at all" * 10)
    with pytest.raises(CheckpointError, match="garbage.pt: not a readable torch checkpoint"):
        load_checkpoint(garbage)
    plain = tmp_path / "plain.pt"
    torch.save(SeedCNN().state_dict(), plain)     # a bare state_dict: no class, no config
    with pytest.raises(CheckpointError, match="not a mirbook checkpoint"):
        load_checkpoint(plain)
    with pytest.raises(CheckpointError, match="missing.pt: no such file"):
        load_checkpoint(tmp_path / "missing.pt")


def test_a_pickled_object_is_refused(tmp_path):
    """weights_only=True: a checkpoint that would run code on load is not loaded."""
    evil = tmp_path / "evil.pt"
    torch.save({"format": "mirbook-checkpoint", "obj": History()}, evil)
    with pytest.raises(CheckpointError, match="evil.pt: not a readable torch checkpoint"):
        load_checkpoint(evil)


def test_unknown_class_needs_model(tmp_path):
    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 2)

    path = save_checkpoint(tmp_path / "tiny.pt", Tiny())
    with pytest.raises(CheckpointError, match="holds a Tiny.*pass model="):
        load_checkpoint(path)
    assert isinstance(load_checkpoint(path, model=Tiny()), Tiny)
    with pytest.raises(ParameterError, match="extra"):
        save_checkpoint(tmp_path / "x.pt", Tiny(), extra={"f": object()})


# ----------------------------------------------------------------------------- augment_waveform

from mirbook.train import augment_waveform  # noqa: E402


def test_augment_waveform_shape_dtype_and_seeded():
    x = torch.randn(4, 1, 4000)
    torch.manual_seed(0)
    a = augment_waveform(x)
    torch.manual_seed(0)
    b = augment_waveform(x)
    assert a.shape == x.shape and a.dtype == x.dtype and torch.equal(a, b)
    assert not torch.equal(a, x)
    assert torch.equal(augment_waveform(x, gain_db=None, snr_db=None, time_mask=None,
                                        freq_mask=None), x)


def test_augment_waveform_each_step():
    torch.manual_seed(1)
    x = torch.randn(8, 4000) + 0.1
    g = augment_waveform(x, snr_db=None, time_mask=None, freq_mask=None)
    ratio = g / x
    assert torch.allclose(ratio, ratio[:, :1].expand_as(ratio), atol=1e-5)  # one gain each
    assert ((ratio[:, 0] >= 10 ** (-6 / 20) - 1e-6) & (ratio[:, 0] <= 10 ** (6 / 20) + 1e-6)).all()
    n = augment_waveform(x, gain_db=None, snr_db=(20.0, 20.0), time_mask=None, freq_mask=None)
    snr = 10 * torch.log10(x.pow(2).mean(dim=1) / (n - x).pow(2).mean(dim=1))
    assert torch.allclose(snr, torch.full_like(snr, 20.0), atol=0.5)
    t = augment_waveform(x, gain_db=None, snr_db=None, time_mask=0.1, freq_mask=None)
    zeroed = (t == 0) & (x != 0)
    assert (zeroed.sum(dim=1) <= 400).all()
    assert torch.equal(t[~zeroed], x[~zeroed])
    f = augment_waveform(x, gain_db=None, snr_db=None, time_mask=None, freq_mask=0.2)
    removed = torch.fft.rfft(f, dim=1).abs() < 1e-3 * torch.fft.rfft(x, dim=1).abs()
    assert (removed.sum(dim=1) <= 0.2 * 2001 + 1).all()


def test_augment_waveform_bad_arguments():
    with pytest.raises(ParameterError, match="x"):
        augment_waveform(np.zeros((2, 100)))
    with pytest.raises(ParameterError, match="x"):
        augment_waveform(torch.zeros(2, 3, 100))
    with pytest.raises(ParameterError, match="snr_db"):
        augment_waveform(torch.zeros(2, 100), snr_db=10.0)
    with pytest.raises(ParameterError, match="time_mask"):
        augment_waveform(torch.zeros(2, 100), time_mask=1.5)


def test_fit_with_augment_waveform_is_deterministic():
    X, y = _easy(n=16, shape=(2000,))
    weights = []
    for _ in range(2):
        model = WaveformCNN(n_filters=4, filter_length=64, stride=32, channels=(4,))
        fit(model, (X, y), epochs=2, batch_size=8, augment=augment_waveform,
            show_progress=False)
        weights.append(model.filters())
    assert np.array_equal(weights[0], weights[1])


def test_class_weight_balanced_is_sklearns_rule_and_ones_change_nothing():
    from sklearn.utils.class_weight import compute_class_weight

    from mirbook.train import _class_weight, _dataset

    X, _ = _easy(30)
    y = np.array([0] * 20 + [1] * 7 + [2] * 3)
    model = SeedCNN(n_classes=4)  # class 3 never seen: weight 0
    w = _class_weight("balanced", _dataset((X, y), "data", loss="cross_entropy"), model,
                      loss="cross_entropy")
    ref = compute_class_weight("balanced", classes=np.arange(3), y=y) * 3 / 4
    np.testing.assert_allclose(w.numpy()[:3], ref, rtol=1e-6)
    assert w[3] == 0
    y2 = np.arange(30) % 2
    a, b = SeedCNN(n_classes=2), SeedCNN(n_classes=2)
    b.load_state_dict(a.state_dict())
    fit(a, (X, y2), epochs=2, batch_size=8, show_progress=False)
    fit(b, (X, y2), epochs=2, batch_size=8, class_weight=[1.0, 1.0], show_progress=False)
    for k, v in _weights(a).items():
        torch.testing.assert_close(v, _weights(b)[k])


def test_class_weight_helps_the_rare_class_and_rejects_mistakes():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(64, 3, 108, 12)).astype(np.float32)
    y = (np.arange(64) < 8).astype(int)           # 8 of class 1, 56 of class 0
    X[y == 1] += 0.3
    scores = {}
    for cw in (None, "balanced"):
        model = SeedCNN(n_classes=2, dropout=0.0)
        fit(model, (X, y), epochs=15, batch_size=16, lr=3e-3, class_weight=cw,
            show_progress=False, random_state=0)
        scores[cw] = predict(model, X).argmax(axis=1)[y == 1].mean()
    assert scores["balanced"] >= scores[None]
    model = SeedCNN(n_classes=2)
    with pytest.raises(ParameterError, match="class_weight"):
        fit(model, (X, y), class_weight="auto", show_progress=False)
    with pytest.raises(ParameterError, match="class_weight"):
        fit(model, (X, y), class_weight=[-1.0, 1.0], show_progress=False)
    with pytest.raises(ParameterError, match="class_weight"):
        fit(model, (X, y.astype(np.float32)[:, None]), loss="bce", class_weight="balanced",
            show_progress=False)
    with pytest.raises(ParameterError, match=r"targets must lie in \[0, 2\)"):
        fit(model, (X, y + 1), class_weight="balanced", show_progress=False)
