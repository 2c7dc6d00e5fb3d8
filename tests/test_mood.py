"""mirbook.mood: metrics against sklearn, the models' shapes, the fusions, the experiment loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mirbook import mood
from mirbook.errors import ParameterError


def _toy(n=48, seed=0):
    """Images whose mean level is the arousal, embeddings whose first axis is the valence."""
    rng = np.random.default_rng(seed)
    v, a = rng.normal(size=n), rng.normal(size=n)
    X = rng.normal(size=(n, 1, 16, 20)).astype(np.float32) + a[:, None, None, None]
    E = rng.normal(size=(n, 8)).astype(np.float32) * 0.3
    E[:, 0] += v
    Y = np.column_stack([(v > 0).astype(float), v, a])
    return X, E, Y, np.arange(n) // 2


def test_evaluate_matches_sklearn():
    from sklearn.metrics import accuracy_score, mean_squared_error

    rng = np.random.default_rng(1)
    y = np.column_stack([rng.integers(0, 2, 30), rng.normal(size=30), rng.normal(size=30)])
    p = np.column_stack([rng.random(30), rng.normal(size=30), rng.normal(size=30)])
    got = mood.evaluate(y, p)
    assert got["happy_sad_accuracy"] == pytest.approx(100 * accuracy_score(y[:, 0], p[:, 0] > .5))
    assert got["valence_mse"] == pytest.approx(mean_squared_error(y[:, 1], p[:, 1]))
    assert got["arousal_mse"] == pytest.approx(mean_squared_error(y[:, 2], p[:, 2]))
    # predicting the mean of standardised targets gives MSE 1
    z = (y[:, 1] - y[:, 1].mean()) / y[:, 1].std()
    assert mood.evaluate(np.column_stack([y[:, 0], z, z]),
                         np.full((30, 3), [0.5, 0, 0]))["valence_mse"] == pytest.approx(1.0)


@pytest.mark.parametrize("y_true, y_pred, match", [
    (np.zeros((3, 2)), np.zeros((3, 2)), "y_true: expected shape"),
    (np.zeros((3, 3)), np.zeros((2, 3)), "y_pred: 2 predictions for 3 clips"),
    (np.full((3, 3), 0.5), np.zeros((3, 3)), "y_true: column 0"),
    (np.zeros((3, 3)), np.full((3, 3), 2.0), r"y_pred: column 0 \(P\(happy\)\)"),
    (np.zeros((3, 3)), np.full((3, 3), np.nan), "y_pred"),
])
def test_validate_names_the_parameter(y_true, y_pred, match):
    with pytest.raises(ParameterError, match=match):
        mood.validate(y_true, y_pred)


def test_loss_is_bce_plus_mse():
    out = torch.tensor([[0.3, 0.5, -1.0], [-2.0, 0.0, 2.0]])
    t = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    ref = (torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0], t[:, 0])
           + torch.nn.functional.mse_loss(out[:, 1], t[:, 1])
           + torch.nn.functional.mse_loss(out[:, 2], t[:, 2]))
    assert float(mood.multitask_loss(out, t)) == pytest.approx(float(ref))


def test_mel_input_shape_and_padding():
    y = np.random.default_rng(0).normal(size=22050 * 4) * 0.1
    S = mood.mel_input(y, sr=22050)
    assert S.shape == (1, 64, 106) and S.dtype == np.float32
    # zero padding to 10 s: the frames after 4 s are at the floor (-100 dB)
    assert S[0, :, -10:].max() == pytest.approx(-100.0)
    assert mood.mel_input(np.concatenate([y, y, y]), sr=22050).shape == (1, 64, 106)
    with pytest.raises(ParameterError, match="y"):
        mood.mel_input(np.zeros((2, 100)))


def test_fusion_net_uses_both_inputs():
    net = mood.FusionNet(audio_shape=(16, 20), text_dim=8, random_state=0).eval()
    X, E, _, _ = _toy(4)
    x = mood.pack(X, E)
    assert x.shape == (4, 16 * 20 + 8)
    with torch.no_grad():
        base = net(x)
        assert not torch.allclose(base, net(mood.pack(X, E * 0)))
        assert not torch.allclose(base, net(mood.pack(X * 0, E)))
    with pytest.raises(ParameterError, match="pack"):
        net(torch.zeros(2, 10))
    with pytest.raises(ParameterError, match="E: 3 embeddings"):
        mood.pack(X, E[:3])


def test_same_seed_same_weights():
    a, b = mood.LyricsNet(in_dim=8, random_state=3), mood.LyricsNet(in_dim=8, random_state=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_late_fusion_and_weights():
    y = np.column_stack([[1, 0, 1, 0], [1.0, -1, 1, -1], [2.0, -2, 0, 0]])
    audio = np.column_stack([[0.6, 0.4, 0.6, 0.4], [0, 0, 0, 0], y[:, 2]])   # arousal right
    text = np.column_stack([[0.9, 0.1, 0.9, 0.1], y[:, 1], [0, 0, 0, 0]])     # valence right
    w = mood.fusion_weights(audio, text, y)
    assert w[1] == 0.0 and w[2] == 1.0 and w[0] < 0.5
    fused = mood.late_fusion(audio, text, weights=w)
    ev = mood.evaluate(y, fused)
    assert ev["valence_mse"] == 0 and ev["arousal_mse"] == 0
    with pytest.raises(ParameterError, match="weights"):
        mood.late_fusion(audio, text, weights=(2, 0, 0))


def test_cross_validate_learns_the_toy_task_and_is_seeded():
    X, E, Y, groups = _toy(48)
    texts = ["glad bright sun" if v > 0 else "sad grey rain" for v in Y[:, 1]]
    kw = {"groups": groups, "texts": texts, "epochs": 8, "patience": 8, "channels": (4, 8),
          "n_jobs": 1}
    scores, info = mood.cross_validate(X, E, Y, random_state=0, return_info=True, **kw)
    assert list(scores) == list(mood.MODELS)
    assert scores["Lyrics (TF-IDF + VADER)"]["happy_sad_accuracy"] == 100.0
    assert scores["Lyrics"]["valence_mse"] < 0.8          # embeddings carry the valence
    assert scores["Audio"]["arousal_mse"] < 0.8           # image level carries the arousal
    for m in mood.MODELS:
        assert info["predictions"][m].shape == (48, 3)
    assert len(info["weights"]) == 3
    again = mood.cross_validate(X, E, Y, random_state=0, **kw)
    assert again == scores
    s = mood.summary([scores, again])
    assert (s["valence_mse_std"] == 0).all() and (s["n_seeds"] == 2).all()
    with pytest.raises(ParameterError, match="lengths"):
        mood.cross_validate(X, E[:10], Y, groups=groups)


def test_table_puts_the_seed_beside_ours():
    run = {m: {"happy_sad_accuracy": 60.0, "valence_mse": 0.8, "arousal_mse": 0.4}
           for m in mood.MODELS}
    t = mood.table([run, run])
    assert len(t) == 4 + len(mood.MODELS)
    assert t.iloc[0]["happy/sad accuracy (%)"] == "80.26"
    assert t.iloc[-1]["valence MSE"] == "0.800 ± 0.000"


def test_library_module_does_not_import_datasets():
    import subprocess
    import sys

    code = "import sys, mirbook.mood; print('mirbook.datasets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_reproduce_main_prints_both_tables(monkeypatch, capsys):
    X, E, Y, groups = _toy(36)
    texts = ["glad sun" if v > 0 else "grey rain" for v in Y[:, 1]]
    data = {"X": X, "E": E, "Y": Y, "groups": groups, "texts": texts, "embed_seconds": 0.0}
    monkeypatch.setattr(mood, "corpus_inputs", lambda **kw: data)
    real = mood.run_seeds
    monkeypatch.setattr(mood, "run_seeds", lambda d, **kw: real(
        d, **kw, epochs=2, patience=2, channels=(4, 8)))
    assert mood.reproduce_main(["--seeds", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "80.26" in out and "ours (synthetic, 2 seeds)" in out and "±" in out
    assert "Data difference" in out and "384-d" in out and "MB on disk" in out
