"""mirbook.metric: the triplet loss, mining against a brute-force search, collapse, clustering and
retrieval scores against scikit-learn and hand-computed cases, determinism."""

import itertools

import numpy as np
import pytest
import torch
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import cosine_distances

from mirbook import metric as M
from mirbook.errors import ParameterError
from mirbook.train import load_checkpoint, save_checkpoint


def _batch(n_per=4, n_classes=3, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    E = torch.randn(n_per * n_classes, d, generator=g, dtype=torch.float64)
    labels = torch.arange(n_classes).repeat_interleave(n_per)
    return E, labels


# ----------------------------------------------------------------------------- loss


@pytest.mark.parametrize("mining", M.MINING)
def test_loss_zero_when_every_triplet_satisfies_the_margin(mining):
    # three tight clusters on the unit circle, 120 degrees apart: d_an - d_ap >> 0.2
    angles = np.repeat([0.0, 2.1, 4.2], 4) + np.tile([0, 0.01, 0.02, 0.03], 3)
    E = torch.tensor(np.c_[np.cos(angles), np.sin(angles)])
    labels = np.repeat([0, 1, 2], 4)
    assert float(M.triplet_loss(E, labels, margin=0.2, mining=mining)) == 0.0
    # a margin larger than the gap makes it positive
    assert float(M.triplet_loss(E, labels, margin=4.0, mining=mining)) > 0.0


def test_loss_hand_computed():
    # 1-d, no normalisation: anchor 0 at 0, positive at 1, negative at 0.5
    E = torch.tensor([[0.0], [1.0], [0.5]], dtype=torch.float64)
    loss, info = M.triplet_loss(E, [0, 0, 1], margin=0.2, mining="hard", normalize=False,
                                return_info=True)
    # anchors 0 and 1 (anchor 2 has no positive): [1 - 0.25 + 0.2] = 0.95 each
    assert info["n_triplets"] == 2
    assert float(loss) == pytest.approx(0.95)


@pytest.mark.parametrize("mining", ["semi-hard", "hard"])
@pytest.mark.parametrize("normalize", [True, False])
def test_loss_gradient_matches_finite_differences(mining, normalize):
    E, labels = _batch(seed=1)
    E.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda e: M.triplet_loss(e, labels, margin=0.5, mining=mining, normalize=normalize),
        (E,), eps=1e-6, atol=1e-5)
    M.triplet_loss(E, labels, margin=0.5, mining=mining, normalize=normalize).backward()
    assert torch.isfinite(E.grad).all() and E.grad.abs().sum() > 0


def test_normalised_loss_ignores_the_scale():
    E, labels = _batch(seed=2)
    a = M.triplet_loss(E, labels, mining="hard")
    b = M.triplet_loss(7.0 * E, labels, mining="hard")
    assert float(a) == pytest.approx(float(b))
    # without normalisation, shrinking the embeddings towards 0 drives the loss to the margin
    tiny = M.triplet_loss(1e-6 * E, labels, margin=0.3, mining="hard", normalize=False)
    assert float(tiny) == pytest.approx(0.3, abs=1e-6)


def test_pairwise_distances_against_torch_cdist():
    E, _ = _batch(seed=3)
    D = M.pairwise_distances(E)
    assert torch.allclose(D, torch.cdist(E, E) ** 2, atol=1e-10)
    assert torch.all(torch.diagonal(D) == 0)


# ----------------------------------------------------------------------------- mining


def _brute_force(D, labels, mining):
    """The definitions of mine_triplets, one triplet at a time."""
    n = len(labels)
    out = []
    for a in range(n):
        pos = [p for p in range(n) if p != a and labels[p] == labels[a]]
        neg = [q for q in range(n) if labels[q] != labels[a]]
        if not pos or not neg:
            continue
        if mining == "hard":
            out.append((a, max(pos, key=lambda p: D[a, p]), min(neg, key=lambda q: D[a, q])))
            continue
        for p in pos:
            farther = [q for q in neg if D[a, q] > D[a, p]]
            q = min(farther, key=lambda q: D[a, q]) if farther else \
                max(neg, key=lambda q: D[a, q])
            out.append((a, p, q))
    return sorted(out)


@pytest.mark.parametrize("mining", ["semi-hard", "hard"])
@pytest.mark.parametrize("seed", range(5))
def test_mining_matches_a_brute_force_search(mining, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=14)
    labels[:2] = [0, 5]                                  # an anchor without positive is skipped
    E = torch.tensor(rng.normal(size=(14, 4)))
    D = M.pairwise_distances(E)
    a, p, n = M.mine_triplets(D, labels, mining=mining)
    got = sorted(zip(a.tolist(), p.tolist(), n.tolist()))
    assert got == _brute_force(D.numpy(), labels, mining)


def test_semi_hard_negatives_lie_beyond_the_positive_when_they_can():
    E, labels = _batch(n_per=5, seed=4)
    D = M.pairwise_distances(E)
    a, p, n = M.mine_triplets(D, labels, mining="semi-hard")
    for ai, pi, ni in zip(a, p, n):
        farther = (labels != labels[ai]) & (D[ai] > D[ai, pi])
        if farther.any():
            assert D[ai, ni] > D[ai, pi]
            assert D[ai, ni] == D[ai][farther].min()


def test_random_mining_draws_valid_negatives_from_every_candidate():
    E, labels = _batch(n_per=3, n_classes=3, seed=5)
    D = M.pairwise_distances(E)
    seen = set()
    for seed in range(60):
        a, p, n = M.mine_triplets(D, labels, mining="random", random_state=seed)
        # every (anchor, positive) pair exactly once, negatives of another artist
        pairs = sorted(zip(a.tolist(), p.tolist()))
        assert pairs == sorted((i, j) for i, j in itertools.permutations(range(9), 2)
                               if labels[i] == labels[j])
        assert bool((labels[a] != labels[n]).all()) and bool((labels[a] == labels[p]).all())
        seen.update(zip(a.tolist(), n.tolist()))
    assert seen == {(i, j) for i in range(9) for j in range(9) if labels[i] != labels[j]}
    # seeded: the same draw twice
    one = M.mine_triplets(D, labels, mining="random", random_state=1)[2]
    assert torch.equal(one, M.mine_triplets(D, labels, mining="random", random_state=1)[2])


def test_mining_without_any_triplet_gives_a_zero_loss():
    E = torch.randn(4, 3, requires_grad=True)
    a, _, _ = M.mine_triplets(M.pairwise_distances(E), [0, 1, 2, 3])
    assert len(a) == 0
    loss = M.triplet_loss(E, [0, 1, 2, 3])
    assert float(loss.detach()) == 0.0
    loss.backward()


# ----------------------------------------------------------------------------- collapse


def test_collapse_measures():
    rng = np.random.default_rng(0)
    point = np.tile(rng.normal(size=(1, 8)), (30, 1)) + 1e-9 * rng.normal(size=(30, 8))
    c = M.collapse(point)
    assert c["mean_cosine"] > 0.9999 and c["spread"] < 1e-6
    iso = M.collapse(rng.normal(size=(500, 8)))
    assert abs(iso["mean_cosine"]) < 0.02 and iso["effective_rank"] > 7.5
    line = M.collapse(np.outer(rng.normal(size=50), np.ones(8)))   # +-v: two points
    assert line["effective_rank"] == pytest.approx(1.0, abs=1e-6)
    assert M.collapse(3.0 * rng.normal(size=(40, 4)))["mean_norm"] > 3


def test_triplet_accuracy_against_brute_force():
    rng = np.random.default_rng(7)
    E = rng.normal(size=(12, 3))
    labels = rng.integers(0, 3, size=12)
    U = E / np.linalg.norm(E, axis=1, keepdims=True)
    D = ((U[:, None] - U[None]) ** 2).sum(-1)
    ok = total = 0
    for a, p, n in itertools.product(range(12), repeat=3):
        if a != p and labels[a] == labels[p] and labels[n] != labels[a]:
            total += 1
            ok += D[a, n] - D[a, p] >= 0.3
    assert M.triplet_accuracy(E, labels, margin=0.3) == pytest.approx(ok / total)
    point = np.ones((6, 3)) + 1e-9 * rng.normal(size=(6, 3))
    assert M.triplet_accuracy(point, [0, 0, 1, 1, 2, 2], margin=0.1) == 0.0


# ----------------------------------------------------------------------------- models


def test_embeddings_have_unit_norm():
    model = M.embedding_model(dim=8)
    X = np.random.default_rng(0).normal(size=(5, 1, 64, 40)).astype(np.float32)
    E = M.embed_features(X, model=model)
    assert E.shape == (5, 8)
    assert np.allclose(np.linalg.norm(E, axis=1), 1, atol=1e-6)
    H = M.embed_features(X, model=model, layer="embed")
    assert H.shape == (5, 64) and np.allclose(np.linalg.norm(H, axis=1), 1, atol=1e-6)
    y = np.random.default_rng(1).standard_normal(22050)
    v = M.embed(y, sr=22050, model=model)
    assert v.shape == (8,) and np.linalg.norm(v) == pytest.approx(1, abs=1e-6)
    # another sample rate is resampled first: the same embedding as resampling by hand
    from mirbook.io import resample

    y16 = resample(y, orig_sr=22050, target_sr=16000)
    assert np.allclose(M.embed(y16, sr=16000, model=model),
                       M.embed(resample(y16, orig_sr=16000, target_sr=22050), sr=22050,
                               model=model), atol=1e-6)


def test_random_crop_is_a_window_of_each_example():
    torch.manual_seed(0)
    x = torch.arange(2 * 3 * 50, dtype=torch.float32).reshape(2, 1, 3, 50)
    out = M.random_crop(n_frames=10)(x)
    assert out.shape == (2, 1, 3, 10)
    for b in range(2):
        start = int(out[b, 0, 0, 0] - x[b, 0, 0, 0])
        assert torch.equal(out[b], x[b, ..., start:start + 10])
    assert M.random_crop(n_frames=60)(x) is x


def _toy(seed=0, n_per=6, n_artists=4):
    """Excerpts whose artist is a band of raised energy: learnable in one epoch or two."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_artists), n_per)
    X = rng.normal(size=(len(labels), 1, 16, 40)).astype(np.float32)
    for i, lab in enumerate(labels):
        X[i, 0, 4 * lab:4 * lab + 4] += 2.0
    return X, labels


def test_training_is_deterministic_and_checkpoints_round_trip(tmp_path):
    X, labels = _toy()
    a = M.train_embedding(X, labels, dim=8, crop_frames=20, epochs=2, batch_size=12)
    b = M.train_embedding(X, labels, dim=8, crop_frames=20, epochs=2, batch_size=12)
    c = M.train_embedding(X, labels, dim=8, crop_frames=20, epochs=2, batch_size=12,
                          random_state=1)
    Ea, Eb, Ec = (M.embed_features(X, model=m) for m in (a, b, c))
    assert np.array_equal(Ea, Eb) and not np.allclose(Ea, Ec)
    path = save_checkpoint(tmp_path / "emb.pt", a)
    assert np.array_equal(M.embed_features(X, model=load_checkpoint(path)), Ea)


def test_training_learns_the_toy_artists():
    X, labels = _toy(n_per=8)
    Xv, lv = _toy(seed=1, n_per=8)
    model, info = M.train_embedding(X, labels, validation=(Xv, lv), dim=8, crop_frames=20,
                                    epochs=4, batch_size=16, return_info=True)
    assert info["history"].best_metric > 0.8
    clf = M.train_embedding(X, labels, validation=(Xv, lv), kind="classifier", crop_frames=20,
                            epochs=4, batch_size=16)
    assert M.retrieval_scores(M.embed_features(Xv, model=clf, layer="embed"), lv)["mAP"] > 0.6


# ----------------------------------------------------------------------------- clustering


def test_cluster_matches_sklearn_on_cosine():
    rng = np.random.default_rng(0)
    E = rng.normal(size=(30, 6))
    ours = M.cluster(cosine_distances(E), n_clusters=4)
    ref = AgglomerativeClustering(n_clusters=4, metric="cosine", linkage="average").fit_predict(E)
    assert adjusted_rand_score(ours, ref) == 1.0


def test_cluster_threshold_and_estimated_number():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(4, 10)) * 5
    E = np.repeat(centres, 6, axis=0) + 0.1 * rng.normal(size=(24, 10))
    D = cosine_distances(E)
    assert len(set(M.cluster(D, distance_threshold=0.3))) == 4
    assert M.estimate_n_clusters(D, max_clusters=8) == 4
    t, curve = M.choose_threshold([D], [np.repeat(np.arange(4), 6)])
    assert curve.max() == 1.0 and len(set(M.cluster(D, distance_threshold=t))) == 4


def test_threshold_sweep_cuts_like_cluster():
    rng = np.random.default_rng(2)
    Ds = [cosine_distances(rng.normal(size=(15, 4))) for _ in range(3)]
    labs = [rng.integers(0, 3, size=15) for _ in range(3)]
    grid = np.linspace(0.05, 1.4, 12)
    _, curve = M.choose_threshold(Ds, labs, thresholds=grid)
    for j, t in enumerate(grid):
        ref = np.mean([adjusted_rand_score(lab, M.cluster(D, distance_threshold=t))
                       for D, lab in zip(Ds, labs)])
        assert curve[j] == pytest.approx(ref)


@pytest.mark.parametrize("seed", range(20))
def test_fast_ari_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    t = rng.integers(0, rng.integers(1, 5), size=n)
    p = rng.integers(0, rng.integers(1, 6), size=n)
    assert M._ari(t, p) == pytest.approx(adjusted_rand_score(t, p), abs=1e-12)
    assert M._ari(t, t) == adjusted_rand_score(t, t) == 1.0


def test_purity_and_evaluate_hand_computed():
    assert M.purity([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]) == pytest.approx(5 / 6)
    assert M.purity([0, 0, 1, 1], [0, 1, 2, 3]) == 1.0
    s = M.evaluate([0, 0, 1, 1], [0, 0, 0, 0])
    assert s["purity"] == 0.5 and s["inverse_purity"] == 1.0 and s["ARI"] == 0.0
    t, p = [0, 0, 1, 1, 2, 2], [1, 1, 0, 2, 2, 2]
    assert M.evaluate(t, p)["ARI"] == pytest.approx(adjusted_rand_score(t, p))


def _ap(rel_in_rank_order):
    rel = np.asarray(rel_in_rank_order, dtype=bool)
    hits = np.cumsum(rel)
    return float(np.mean((hits / np.arange(1, len(rel) + 1))[rel]))


@pytest.mark.parametrize("seed", range(20))
def test_fast_average_precision_equals_sklearn(seed):
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    rel = rng.random(n) < 0.3
    rel[0] = True
    scores = rng.normal(size=n)
    if seed % 2:                                          # ties
        scores = np.round(scores, 0)
    assert M._average_precision(rel, scores) == pytest.approx(
        average_precision_score(rel, scores), abs=1e-12)


def test_retrieval_scores_against_the_definition():
    rng = np.random.default_rng(3)
    E = rng.normal(size=(20, 5))
    labels = rng.integers(0, 4, size=20)
    s = M.retrieval_scores(E, labels, k=(1, 3))
    U = E / np.linalg.norm(E, axis=1, keepdims=True)
    aps, r1, r3 = [], [], []
    for i in range(20):
        others = [j for j in range(20) if j != i]
        order = sorted(others, key=lambda j: -U[i] @ U[j])
        rel = [labels[j] == labels[i] for j in order]
        if not any(rel):
            continue
        aps.append(_ap(rel))
        r1.append(any(rel[:1]))
        r3.append(any(rel[:3]))
    assert s["mAP"] == pytest.approx(np.mean(aps))
    assert s["recall@1"] == pytest.approx(np.mean(r1))
    assert s["recall@3"] == pytest.approx(np.mean(r3))


def test_retrieval_exclude_removes_the_query_group():
    # 0 and 1 are two excerpts of one track; 2 is another track of the same artist
    E = np.array([[1.0, 0.0], [1.0, 0.01], [0.3, 1.0], [0.9, -0.5]])
    labels, tracks = [0, 0, 0, 1], ["a", "a", "b", "c"]
    assert M.retrieval_scores(E, labels, k=(1,))["recall@1"] == 1.0   # the same track
    s = M.retrieval_scores(E, labels, k=(1,), exclude=tracks)
    # queries 0 and 1 now see only 2 (relevant) and 3, and rank 3 first; query 2 finds 0
    assert s["recall@1"] == pytest.approx(1 / 3) and s["n_queries"] == 3


def test_disambiguation_groups_and_metadata():
    labels = np.repeat(np.arange(5), 4)
    groups = M.disambiguation_groups(labels, n_artists=(2, 3), n_groups=4, random_state=0)
    assert [len(np.unique(labels[g])) for g in groups] == [2] * 4 + [3] * 4
    assert all(len(g) == 4 * len(np.unique(labels[g])) for g in groups)
    sets = [tuple(np.unique(labels[g])) for g in groups]
    assert len(set(sets)) == len(sets)                             # distinct groups
    again = M.disambiguation_groups(labels, n_artists=(2, 3), n_groups=4, random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(groups, again))
    every = M.disambiguation_groups(labels, n_artists=(2, 4), n_groups=100)
    assert len(every) == 10 + 5                                    # C(5, 2) + C(5, 4)
    noise = np.random.default_rng(0).normal(size=(20, 4))
    chance = M.disambiguate(noise, labels, groups=groups)
    # the album is the artist here: with full weight on it the clustering is exact
    exact = M.disambiguate(noise, labels, groups=groups, albums=labels.astype(str),
                           album_weight=1.0)
    assert exact["ARI"] == 1.0 and exact["n_error"] == 0.0 and chance["ARI"] < 0.5
    thr = M.disambiguate(noise, labels, groups=groups, albums=labels.astype(str),
                         album_weight=0.9, n_clusters="threshold", distance_threshold=0.5)
    assert thr["ARI"] == 1.0
    D = M.metadata_distance(["x", "x", "y", ""])
    assert D[0, 1] == 0 and D[0, 2] == 1 and D[3, 0] == 0.5 and D[3, 3] == 0
    years = M.metadata_distance(np.array([2010.0, np.nan, 2010.0, None], dtype=object))
    assert years[0, 2] == 0 and years[1, 3] == 0.5 and years[0, 1] == 0.5


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("call, name", [
    (lambda: M.triplet_loss(torch.zeros(3, 2), [0, 1], mining="hard"), "labels"),
    (lambda: M.triplet_loss(torch.zeros(3, 2), [0, 1, 1], mining="easy"), "mining"),
    (lambda: M.triplet_loss(torch.zeros(3, 2), [0, 1, 1], margin=-1), "margin"),
    (lambda: M.triplet_loss(np.zeros((3, 2)), [0, 1, 1]), "E"),
    (lambda: M.validate([0, 1], [0]), "labels_pred"),
    (lambda: M.validate([], None), "labels_true"),
    (lambda: M.retrieval_scores(np.zeros((3, 2)), [0, 1]), "E"),
    (lambda: M.retrieval_scores(np.eye(3), [0, 1, 2]), "labels"),
    (lambda: M.cluster(np.zeros((3, 3))), "n_clusters"),
    (lambda: M.cluster(np.zeros((3, 2)), n_clusters=2), "D"),
    (lambda: M.embed_features(np.zeros((2, 64, 10)), model=M.embedding_model()), "X"),
    (lambda: M.embed(np.zeros(100), sr=22050, model=M.embedding_model()), "y"),
    (lambda: M.disambiguate(np.eye(2), [0, 1], groups=[[0, 1]], n_clusters="threshold"),
     "distance_threshold"),
    (lambda: M.train_embedding(np.zeros((4, 1, 8, 8)), [0, 1], epochs=1), "labels"),
])
def test_errors_name_the_parameter(call, name):
    with pytest.raises(ParameterError, match=name):
        call()
