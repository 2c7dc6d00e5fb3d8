"""mirbook.genres: tag vectors, translation, the co-occurrence baseline, tag problems."""

import numpy as np
import pytest

from mirbook import genres as G
from mirbook.errors import ParameterError


def test_tag_vectors_are_mean_outputs():
    P = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    V, vocab, n = G.tag_vectors(P, [["a"], ["b"], ["a", "b"]], return_info=True)
    assert vocab == ["a", "b"]
    np.testing.assert_allclose(V, [[0.75, 0.25], [0.25, 0.75]])
    assert n.tolist() == [2, 2]
    V2, vocab2 = G.tag_vectors(P, [["a"], ["b"], ["a", "b"]], min_clips=3)
    assert V2.shape == (0, 2) and vocab2 == []


def test_confused_tags_are_close():
    # tag x's clips look like class 0, tag y's too (the classifier confuses them), z's class 1
    rng = np.random.default_rng(0)
    P = np.vstack([rng.dirichlet([8, 1], 20), rng.dirichlet([8, 1], 20),
                   rng.dirichlet([1, 8], 20)])
    tags = [["x"]] * 20 + [["y"]] * 20 + [["z"]] * 20
    V, vocab = G.tag_vectors(P, tags)
    pairs = G.translate(V[[0]], V[1:], src_tags=["x"], dst_tags=["y", "z"])
    assert pairs == [("x", "y")]


def test_cooccurrence_needs_overlap():
    tags_a = [["rock"], ["jazz"], [], []]
    tags_b = [["indie"], ["bop"], ["indie"], ["score"]]
    C = G.cooccurrence_vectors(tags_a, tags_b, vocab_a=["jazz", "rock"],
                               vocab_b=["bop", "indie", "score"])
    assert C[2].sum() == 0  # "score" is on no shared clip
    pairs = G.translate(C, np.eye(2), src_tags=["bop", "indie", "score"],
                        dst_tags=["jazz", "rock"])
    assert pairs == [("bop", "jazz"), ("indie", "rock"), ("score", None)]
    ev = G.evaluate(pairs, {"bop": "jazz", "indie": "rock", "score": "jazz"})
    assert ev == {"accuracy": pytest.approx(2 / 3), "n_judged": 3, "n_untranslated": 1}


def test_taxonomy_inference_and_accuracy():
    acc, pairs = G.taxonomy_inference([[0.9, 0.1], [0.2, 0.8]], [[1, 0], [0, 1]],
                                      sub_tags=["indie rock", "bebop"],
                                      main_tags=["rock", "jazz"],
                                      truth={"indie rock": "rock", "bebop": "jazz"})
    assert acc == 1.0 and pairs[1] == ("bebop", "jazz")
    assert G.translation_accuracy([("a", "x")], {"a": {"x", "y"}}) == 1.0


def test_tag_problems():
    probs = G.tag_problems(["Soundtrack", "soundtrack", "Death Metal", "Female Fronted Metal",
                            "game::arcade", "arcade"])
    kinds = {(p["kind"], tuple(p["tags"])) for p in probs}
    assert ("duplicate", ("Soundtrack", "soundtrack")) in kinds
    assert ("shared word", ("Death Metal", "Female Fronted Metal")) in kinds
    assert ("shared word", ("arcade", "game::arcade")) in kinds
    assert not any("game" in p["why"] for p in probs)  # namespaces are not words


def test_corpus_tag_systems():
    recs = [{"labels": {"source": "rendered", "style": "folk", "package": "music21:essen",
                        "artist": "traditional"}},
            {"labels": {"source": "recorded", "debtags": ["game::fps"],
                        "description_words": ["shooter"]}}]
    s1, s2 = G.corpus_tag_systems(recs)
    assert s1 == [["folk"], ["game::fps", "shooter"]]
    assert s2 == [["music21:essen", "composer:traditional"], []]


def test_validation_errors():
    with pytest.raises(ParameterError, match="tags"):
        G.tag_vectors([[1.0, 0.0]], [["a"], ["b"]])
    with pytest.raises(ParameterError, match="tags"):
        G.tag_vectors([[1.0, 0.0]], "rock")
    with pytest.raises(ParameterError, match="P"):
        G.tag_vectors([1.0, 0.0], [["a"]])
    with pytest.raises(ParameterError, match="V_src"):
        G.translate([[1, 0]], [[1, 0, 0]], src_tags=["a"], dst_tags=["b"])
    with pytest.raises(ParameterError, match="truth"):
        G.translation_accuracy([("a", "b")], {"c": "d"})


def test_reproduce_main_prints_the_seed(capsys, tmp_path):
    assert G.reproduce_main(["--ours", str(tmp_path / "none.json")]) == 0
    out = capsys.readouterr().out
    assert "bebop" in out and "no " in out
    (tmp_path / "ours.json").write_text('{"audio": [["music21:bach", "baroque-chorale"]], '
                                        '"cooccurrence": [["music21:bach", null]], '
                                        '"acc_audio": 0.5, "acc_cooc": 0.25, "overlap": 0.1}')
    G.reproduce_main(["--ours", str(tmp_path / "ours.json")])
    out = capsys.readouterr().out
    assert "baroque-chorale" in out and "0.50" in out
