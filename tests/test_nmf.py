"""mirbook.nmf: divergences and multiplicative updates against scikit-learn."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import _beta_divergence

from mirbook import nmf as mnmf
from mirbook.errors import ParameterError

BETAS = [0, 0.5, 1, 1.5, 2, 3]


def problem(seed=0, F=40, K=4, T=50):
    rng = np.random.default_rng(seed)
    V = rng.random((F, T)) + 0.01
    return V, rng.random((F, K)) + 0.1, rng.random((K, T)) + 0.1


@pytest.mark.parametrize("beta", BETAS)
def test_beta_divergence_matches_sklearn(beta):
    V, W, H = problem()
    assert mnmf.beta_divergence(V, W @ H, beta=beta) == pytest.approx(
        _beta_divergence(V, W, H, beta), rel=1e-10)


def test_beta_divergence_special_cases():
    V = np.array([[0.0, 1.0]])
    assert mnmf.beta_divergence(V, V, beta=1) == 0
    assert mnmf.beta_divergence(V, np.array([[2.0, 1.0]]), beta=1) == pytest.approx(2.0)  # 0 log 0 = 0
    assert mnmf.beta_divergence(np.array([[1.0]]), np.array([[0.0]]), beta=1) == np.inf
    with pytest.raises(ValueError, match="zero value"):
        mnmf.beta_divergence(V, V + 1, beta=0)              # IS is infinite where V = 0


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("beta", [0, 0.5, 1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_objective_never_increases(beta, dtype, backend):
    V, W, H = problem(1)
    _, _, hist = mnmf.nmf(V, W=W, H=H, beta=beta, n_iter=60, dtype=dtype, backend=backend)
    assert hist.shape == (61,)
    tol = 1e-9 if dtype == np.float64 else 1e-4
    assert np.all(np.diff(hist) <= tol * hist[0]), np.diff(hist).max()
    assert hist[-1] < 0.5 * hist[0]


@pytest.mark.parametrize("beta", [1, 1.5, 2])
def test_sparsity_objective_never_increases(beta):
    V, W, H = problem(2)
    _, Hs, hist = mnmf.nmf(V, W=W, H=H, beta=beta, n_iter=40, fix_W=True, sparsity_H=0.5,
                           dtype=np.float64)
    assert np.all(np.diff(hist) <= 1e-9 * hist[0])
    _, H0, _ = mnmf.nmf(V, W=W, H=H, beta=beta, n_iter=40, fix_W=True, dtype=np.float64)
    assert Hs.sum() < H0.sum()                          # the L1 penalty shrinks H


@pytest.mark.parametrize("fix_W", [False, True])
def test_kl_smoothness_is_monotone_and_smooths(fix_W):
    V, W, H = problem(3)
    kw = dict(W=W, H=H, beta=1, n_iter=50, fix_W=fix_W, dtype=np.float64)
    _, Hs, hist = mnmf.nmf(V, smoothness_H=2.0, sparsity_H=0.1, **kw)
    assert np.all(np.diff(hist) <= 1e-9 * hist[0])      # MM update: exact descent
    _, H0, _ = mnmf.nmf(V, **kw)
    tv = lambda X: np.abs(np.diff(X, axis=1)).sum() / X.sum()  # noqa: E731
    assert tv(Hs) < 0.8 * tv(H0)


def test_smoothness_other_beta_runs_and_smooths():
    V, W, H = problem(4)
    _, Hs, hist = mnmf.nmf(V, W=W, H=H, beta=2, n_iter=40, fix_W=True, smoothness_H=1.0)
    _, H0, _ = mnmf.nmf(V, W=W, H=H, beta=2, n_iter=40, fix_W=True)
    assert np.all(np.isfinite(Hs)) and hist[-1] < hist[0]
    assert np.abs(np.diff(Hs, axis=1)).sum() < np.abs(np.diff(H0, axis=1)).sum()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_supervised_keeps_W(backend):
    V, W, H = problem(5)
    W_in = W.copy()
    W_out, H_out, hist = mnmf.nmf(V, W=W, beta=1, n_iter=30, fix_W=True, backend=backend,
                                  dtype=np.float64)
    np.testing.assert_array_equal(W, W_in)              # input untouched
    np.testing.assert_array_equal(W_out, W_in)          # and not learned
    assert H_out.shape == (4, 50) and np.all(H_out >= 0)
    assert np.all(np.diff(hist) <= 1e-9 * hist[0])


def test_fix_H_keeps_H():
    V, W, H = problem(6)
    _, H_out, _ = mnmf.nmf(V, W=W, H=H, n_iter=10, fix_H=True, dtype=np.float64)
    np.testing.assert_array_equal(H_out, H)


@pytest.mark.parametrize("beta", [0, 1, 2])
def test_exact_low_rank_is_recovered(beta):
    # separable (hence essentially unique) exactly rank-4 factorisation: [I; R] [I, R'] + 0.05
    rng = np.random.default_rng(7)
    W_true = np.hstack([np.vstack([np.eye(3), rng.random((27, 3))]), np.full((30, 1), 0.05)])
    H_true = np.vstack([np.hstack([np.eye(3), rng.random((3, 37))]), np.ones((1, 40))])
    V = W_true @ H_true
    W, H, hist = mnmf.nmf(V, n_components=4, beta=beta, n_iter=1000, dtype=np.float64, track_every=0)
    assert hist.shape == (2,)                           # start and end only
    assert hist[-1] < 1e-4 * hist[0]
    assert np.abs(W @ H - V).max() < 0.02 * V.max()


def test_torch_is_the_default_backend():
    import inspect

    assert inspect.signature(mnmf.nmf).parameters["backend"].default == "torch"


@pytest.mark.parametrize("beta", [0, 0.5, 1, 2, 3])
@pytest.mark.parametrize("penalties", [dict(sparsity_H=0.1),
                                       dict(sparsity_H=0.1, smoothness_H=1.0)],
                         ids=["sparse", "sparse+smooth"])
def test_numpy_and_torch_agree(beta, penalties):
    V, W, H = problem(8)
    kw = dict(W=W, H=H, beta=beta, n_iter=40, **penalties)
    a = mnmf.nmf(V, dtype=np.float64, backend="numpy", **kw)
    b = mnmf.nmf(V, dtype=np.float64, backend="torch", device="cpu", **kw)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-9)
    c = mnmf.nmf(V, dtype=np.float32, backend="torch", device="auto", **kw)
    assert c[0].dtype == np.float32
    np.testing.assert_allclose(c[2], a[2], rtol=1e-3)


@pytest.mark.parametrize("fix", ["fix_W", "fix_H"])
def test_numpy_and_torch_agree_random_init_and_fixed(fix):
    V, W, H = problem(10)
    kw = dict(n_components=4, n_iter=25, dtype=np.float64, random_state=3)
    a = mnmf.nmf(V, backend="numpy", **kw)
    b = mnmf.nmf(V, backend="torch", **kw)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-9)
    fixed = dict(W=W, fix_W=True) if fix == "fix_W" else dict(H=H, fix_H=True)
    a = mnmf.nmf(V, backend="numpy", **kw, **fixed)
    b = mnmf.nmf(V, backend="torch", **kw, **fixed)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-9)


def test_random_state_generator_equals_seed():
    V, _, _ = problem(11)
    a = mnmf.nmf(V, n_components=3, n_iter=5, random_state=7, backend="numpy")
    b = mnmf.nmf(V, n_components=3, n_iter=5, random_state=np.random.default_rng(7),
                 backend="numpy")
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("beta", [1, 0.5, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_worse_than_sklearn(beta, dtype, backend):
    """Same updates (W then H), same W0/H0, same iterations as sklearn's solver='mu'."""
    V, W0, H0 = problem(9, F=60, K=6, T=70)
    V, W0, H0 = (x.astype(dtype) for x in (V, W0, H0))
    W, H, hist = mnmf.nmf(V, W=W0, H=H0, beta=beta, n_iter=80, dtype=dtype, backend=backend)
    model = NMF(6, solver="mu", beta_loss=beta, init="custom", max_iter=80, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # "max_iter reached"
        Ws = model.fit_transform(V, W=W0.copy(), H=H0.copy())
    ours = mnmf.beta_divergence(V, W.astype(float) @ H.astype(float), beta=beta)
    theirs = mnmf.beta_divergence(V, Ws.astype(float) @ model.components_.astype(float),
                                     beta=beta)
    rel = 1e-10 if dtype == np.float64 else 1e-4
    assert ours <= theirs * (1 + rel)
    assert ours == pytest.approx(theirs, rel=rel)
    assert hist[-1] == pytest.approx(ours, rel=rel)


def test_harmonic_templates():
    sr, n_fft = 22050, 2048
    W = mnmf.harmonic_templates(np.arange(21, 109), sr=sr, n_fft=n_fft, n_partials=8)
    assert W.shape == (1 + n_fft // 2, 88)
    np.testing.assert_allclose(W.sum(axis=0), 1.0, rtol=1e-5)
    assert np.all(W >= 0)
    f0_bins = 440 * 2 ** ((np.arange(21, 109) - 69) / 12) * n_fft / sr
    low = f0_bins < 400
    peaks = W.argmax(axis=0)
    assert np.all(np.abs(peaks[low] - f0_bins[low]) <= 1)   # the fundamental is the top peak
    # supervised NMF on a synthetic chord of templates finds the right notes
    H_true = np.zeros((88, 20))
    H_true[[39, 43, 46], :] = 1.0                            # C4, E4, G4
    V = W @ H_true + 1e-6
    _, H, _ = mnmf.nmf(V, W=W, fix_W=True, n_iter=100, beta=1, track_every=0)
    assert set(np.argsort(H.sum(axis=1))[-3:]) == {39, 43, 46}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(V=-np.ones((4, 5)), n_components=2), "V: 20 negative"),
        (dict(V=np.full((4, 5), np.nan), n_components=2), "V: 20 NaN/Inf"),
        (dict(V=np.ones(5), n_components=2), "V: expected a 2-d array"),
        (dict(V=np.ones((4, 5)) + 0j, n_components=2), "complex"),
        (dict(V=np.ones((4, 5)), W=np.ones((3, 2))), r"W: shape \(3, 2\) has 3 rows"),
        (dict(V=np.ones((4, 5)), H=np.ones((2, 6))), r"H: shape \(2, 6\) has 6 columns"),
        (dict(V=np.ones((4, 5)), W=np.ones((4, 2)), H=np.ones((3, 5))), "inconsistent"),
        (dict(V=np.ones((4, 5)), W=-np.ones((4, 2))), "W: 8 negative"),
        (dict(V=np.ones((4, 5))), "n_components"),
        (dict(V=np.zeros((4, 5)), n_components=2, beta=0), "zero value"),
        (dict(V=np.ones((4, 5)), n_components=2, beta="kl"), "beta"),
        (dict(V=np.ones((4, 5)), n_components=2, n_iter=-1), "n_iter"),
        (dict(V=np.ones((4, 5)), n_components=2, sparsity_H=-1.0), "sparsity_H"),
        (dict(V=np.ones((4, 5)), n_components=2, fix_W=True), "fix_W"),
        (dict(V=np.ones((4, 5)), n_components=2, backend="jax"), "backend"),
        (dict(V=np.ones((4, 5)), n_components=0), "n_components=0"),
        (dict(V=np.ones((4, 5)), n_components=2.5), "n_components=2.5"),
        (dict(V=np.ones((4, 5)), n_components=2, smoothness_H=np.inf), "smoothness_H"),
        (dict(V=np.ones((4, 5)), n_components=2, eps=-1.0), "eps"),
        (dict(V=np.ones((4, 5)), n_components=2, track_every=-1), "track_every"),
        (dict(V=np.ones((4, 5)), n_components=2, fix_H=True), "fix_H"),
        (dict(V=np.ones((4, 5)), n_components=2, dtype=np.int32), "dtype"),
        (dict(V=np.ones((4, 5)), n_components=2, random_state="a"), "random_state"),
        (dict(V=np.ones((4, 5)), n_components=2, random_state=-1), "random_state"),
        (dict(V=np.ones((4, 5)), n_components=2, backend="numpy", device="cpu"), "device"),
        (dict(V=np.ones((4, 5)), n_components=2, device="nonsense"), "device"),
        (dict(V=np.ones((4, 0)), n_components=2), "V: empty"),
        (dict(V=np.ones((4, 5), dtype=bool), n_components=2), "V: expected real numbers"),
    ],
)
def test_validation(kwargs, match):
    V = kwargs.pop("V")
    with pytest.raises(ParameterError, match=match):
        mnmf.nmf(V, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(pitches=[[60]]), "pitches: expected a 1-d"),
        (dict(pitches=[np.nan]), "pitches: 1 NaN"),
        (dict(pitches=[60], n_fft=0), "n_fft"),
        (dict(pitches=[60], n_partials=0), "n_partials"),
        (dict(pitches=[60], decay=0.0), "decay"),
        (dict(pitches=[60], decay=1.5), "decay"),
        (dict(pitches=[60], width=0.0), "width"),
        (dict(pitches=[60], inharmonicity=-1e-4), "inharmonicity"),
    ],
)
def test_harmonic_templates_validation(kwargs, match):
    kw = dict(sr=22050, n_fft=2048)
    kw.update(kwargs)
    pitches = kw.pop("pitches")
    with pytest.raises(ParameterError, match=match):
        mnmf.harmonic_templates(pitches, **kw)


def test_iteration_flops_counts_the_matrix_products():
    from mirbook.nmf import iteration_flops

    assert iteration_flops(n_features=929, n_components=88, n_frames=431) == 8 * 929 * 88 * 431
    assert iteration_flops(n_features=10, n_components=2, n_frames=3, fix_W=True) == 4 * 60
    with pytest.raises(ParameterError, match="n_frames"):
        iteration_flops(n_features=10, n_components=2, n_frames=0)
