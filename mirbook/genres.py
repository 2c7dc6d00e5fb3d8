"""Genre representations from audio and tag translation (Hennequin et al., ISMIR 2018).

A tag system is a vocabulary and a way of applying it; two systems (a shop's and a database's)
disagree in vocabulary, granularity and meaning. The paper builds one vector per tag from a
trained audio classifier: the classifier's mean output on the clips carrying the tag, so that
two tags are close when the classifier confuses their clips (:func:`tag_vectors`). With it:

- **taxonomy inference**: a sub-genre's nearest main genre (:func:`taxonomy_inference`);
- **tag translation**: a tag of one system -> its nearest tag of the other (:func:`translate`),
  which needs no clip tagged by both systems, against the distributional baseline
  (:func:`cooccurrence_vectors`), which needs such an overlap.

Also :func:`tag_problems` (spelling duplicates, tags that are not genres, one word in several
tags) and :func:`corpus_tag_systems` (the two tag systems of our clips, from the sources' own
metadata). The chapter notebook is ``notebooks/15_genre_translation.ipynb``;
``python -m mirbook reproduce genre-translation`` prints our translation pairs beside the seed's
(:func:`reproduce_main`).
"""

from __future__ import annotations

import difflib
import re

import numpy as np

from mirbook import _validate
from mirbook.errors import ParameterError

__all__ = ["tag_vectors", "cooccurrence_vectors", "translate", "translation_accuracy",
           "taxonomy_inference", "tag_problems", "corpus_tag_systems", "validate",
           "evaluate", "reproduce_main"]


def _check_tag_lists(tags, name):
    if isinstance(tags, (str, bytes)) or not hasattr(tags, "__len__"):
        raise ParameterError(f"{name} must be a list with one list of tags per clip, "
                             f"got {type(tags).__name__}")
    out = []
    for i, t in enumerate(tags):
        if isinstance(t, str) or not hasattr(t, "__iter__"):
            raise ParameterError(f"{name}[{i}] must be a list of tags, got {t!r}")
        out.append([str(x) for x in t])
    return out


def validate(P, tags=None):
    """Check classifier outputs ``P`` (and per-clip ``tags``); raise ParameterError naming it.

    Parameters
    ----------
    P : array_like, shape (n_clips, n_classes)
        Classifier outputs (probabilities or scores), finite.
    tags : list of list of str, optional
        One list of tags per clip (``len(tags) == n_clips``).

    Returns
    -------
    P : np.ndarray, shape (n_clips, n_classes), float64
    tags : list of list of str or None

    Examples
    --------
    >>> validate([[0.5, 0.5]], [["rock"]])[0].shape
    (1, 2)
    """
    P = _validate.real_array(P, "P", ndim=2)
    if tags is not None:
        tags = _check_tag_lists(tags, "tags")
        if len(tags) != P.shape[0]:
            raise ParameterError(f"tags has {len(tags)} lists for {P.shape[0]} rows of P")
    return P, tags


def tag_vectors(P, tags, *, vocabulary=None, min_clips=1, return_info=False):
    """One vector per tag: the classifier's mean output on the clips that carry it.

    The construction of Hennequin et al.: a tag is represented by the average prediction of a
    trained classifier over its clips, so that the distance between two tags reflects how much
    the classifier confuses their clips. Works for any tag system, whether or not the classifier
    was trained on it.

    Parameters
    ----------
    P : array_like, shape (n_clips, n_classes)
        Classifier outputs (softmax or sigmoid) for each clip.
    tags : list of list of str, length n_clips
        The tags of each clip, in any tag system.
    vocabulary : list of str, optional
        Tags to represent (default: every tag seen, sorted).
    min_clips : int
        Tags with fewer clips are left out.
    return_info : bool
        Also return the number of clips of each tag.

    Returns
    -------
    V : np.ndarray, shape (n_tags, n_classes)
    vocabulary : list of str, length n_tags
    counts : np.ndarray, shape (n_tags,), int
        Only with ``return_info=True``.

    Examples
    --------
    >>> V, vocab = tag_vectors([[0.9, 0.1], [0.7, 0.3], [0.2, 0.8]],
    ...                        [["rock"], ["rock", "indie rock"], ["jazz"]])
    >>> vocab
    ['indie rock', 'jazz', 'rock']
    >>> V.round(2).tolist()
    [[0.7, 0.3], [0.2, 0.8], [0.8, 0.2]]
    """
    P, tags = validate(P, tags)
    min_clips = _validate.positive_int(min_clips, "min_clips")
    seen = sorted({t for ts in tags for t in ts})
    vocab = seen if vocabulary is None else [str(v) for v in vocabulary]
    rows, kept, counts = [], [], []
    for v in vocab:
        idx = [i for i, ts in enumerate(tags) if v in ts]
        if len(idx) >= min_clips:
            rows.append(P[idx].mean(axis=0))
            kept.append(v)
            counts.append(len(idx))
    V = np.array(rows).reshape(len(kept), P.shape[1])
    if return_info:
        return V, kept, np.array(counts, dtype=int)
    return V, kept


def cooccurrence_vectors(tags_a, tags_b, *, vocab_a, vocab_b):
    """The distributional baseline: each tag of system B as its co-occurrence with A's tags.

    Only clips that carry tags of *both* systems count (the overlap between two catalogues).

    Parameters
    ----------
    tags_a, tags_b : list of list of str, same length (one entry per clip; empty where a
        system did not tag the clip)
    vocab_a, vocab_b : list of str

    Returns
    -------
    C : np.ndarray, shape (len(vocab_b), len(vocab_a))
        ``C[j, i]``: fraction of the overlap clips tagged ``vocab_b[j]`` that carry
        ``vocab_a[i]``; a row of zeros where a B tag never occurs in the overlap.

    Examples
    --------
    >>> cooccurrence_vectors([["rock"], [], ["jazz"]], [["indie"], ["bop"], ["bop"]],
    ...                      vocab_a=["jazz", "rock"], vocab_b=["bop", "indie"]).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    tags_a = _check_tag_lists(tags_a, "tags_a")
    tags_b = _check_tag_lists(tags_b, "tags_b")
    if len(tags_a) != len(tags_b):
        raise ParameterError(f"tags_a has {len(tags_a)} clips, tags_b {len(tags_b)}")
    ia = {t: i for i, t in enumerate(vocab_a)}
    ib = {t: j for j, t in enumerate(vocab_b)}
    C = np.zeros((len(vocab_b), len(vocab_a)))
    n = np.zeros(len(vocab_b))
    for ta, tb in zip(tags_a, tags_b):
        a = [ia[t] for t in ta if t in ia]
        if not a:
            continue
        for t in tb:
            if t in ib:
                n[ib[t]] += 1
                C[ib[t], a] += 1
    return np.divide(C, n[:, None], out=np.zeros_like(C), where=n[:, None] > 0)


def _cosine(A, B):
    A = np.asarray(A, float)
    B = np.asarray(B, float)
    na = np.linalg.norm(A, axis=1, keepdims=True)
    nb = np.linalg.norm(B, axis=1, keepdims=True)
    return (A / np.maximum(na, 1e-12)) @ (B / np.maximum(nb, 1e-12)).T


def translate(V_src, V_dst, *, src_tags, dst_tags):
    """Each source tag -> the destination tag whose vector is nearest (cosine similarity).

    Parameters
    ----------
    V_src : array_like, shape (n_src, d)
    V_dst : array_like, shape (n_dst, d)
    src_tags, dst_tags : list of str

    Returns
    -------
    pairs : list of (str, str or None)
        ``None`` where a source vector is all zeros (no evidence: the baseline without overlap).

    Examples
    --------
    >>> translate([[1, 0], [0, 0]], [[0.9, 0.1], [0.1, 0.9]], src_tags=["bebop", "x"],
    ...           dst_tags=["jazz", "rock"])
    [('bebop', 'jazz'), ('x', None)]
    """
    V_src = _validate.real_array(V_src, "V_src", ndim=2)
    V_dst = _validate.real_array(V_dst, "V_dst", ndim=2)
    if V_src.shape[1] != V_dst.shape[1]:
        raise ParameterError(f"V_src has {V_src.shape[1]} columns, V_dst {V_dst.shape[1]}")
    if len(src_tags) != len(V_src) or len(dst_tags) != len(V_dst):
        raise ParameterError("src_tags/dst_tags must name every row of V_src/V_dst")
    S = _cosine(V_src, V_dst)
    empty = np.linalg.norm(V_src, axis=1) == 0
    return [(s, None if empty[i] else dst_tags[int(np.argmax(S[i]))])
            for i, s in enumerate(src_tags)]


def translation_accuracy(pairs, truth):
    """Fraction of the source tags in ``truth`` translated to their true destination tag.

    Parameters
    ----------
    pairs : list of (str, str or None)
    truth : dict str -> str or set of str

    Returns
    -------
    accuracy : float

    Examples
    --------
    >>> translation_accuracy([("bebop", "jazz"), ("x", None)], {"bebop": "jazz", "x": "rock"})
    0.5
    """
    judged = [(s, d) for s, d in pairs if s in truth]
    if not judged:
        raise ParameterError("no source tag of pairs is in truth")
    ok = [d is not None and (d in truth[s] if isinstance(truth[s], (set, frozenset, list,
                                                                    tuple)) else d == truth[s])
          for s, d in judged]
    return float(np.mean(ok))


def taxonomy_inference(V_sub, V_main, *, sub_tags, main_tags, truth):
    """Retrieve each sub-genre's main genre as its nearest main-genre vector.

    Parameters
    ----------
    V_sub : array_like, shape (n_sub, d)
    V_main : array_like, shape (n_main, d)
    sub_tags, main_tags : list of str
    truth : dict sub tag -> main tag

    Returns
    -------
    accuracy : float
        Fraction of the sub-genres (in ``truth``) whose nearest main genre is the true one.
    pairs : list of (str, str)

    Examples
    --------
    >>> acc, pairs = taxonomy_inference([[0.8, 0.2]], [[1, 0], [0, 1]], sub_tags=["indie rock"],
    ...                                 main_tags=["rock", "jazz"], truth={"indie rock": "rock"})
    >>> acc, pairs
    (1.0, [('indie rock', 'rock')])
    """
    pairs = translate(V_sub, V_main, src_tags=sub_tags, dst_tags=main_tags)
    return translation_accuracy(pairs, truth), pairs


def _norm(tag):
    return re.sub(r"[^a-z0-9]+", "", tag.casefold())


def tag_problems(tags, *, cutoff=0.85):
    """The seed's genre problems in one vocabulary: duplicates and shared words.

    Parameters
    ----------
    tags : iterable of str
    cutoff : float
        Two tags whose normalised spellings (case folded, punctuation and spaces removed) are
        this similar (:class:`difflib.SequenceMatcher` ratio) are reported as duplicates.

    Returns
    -------
    problems : list of dict
        ``{"kind": "duplicate" | "shared word", "tags": [...], "why": str}``.

    Examples
    --------
    >>> [p["tags"] for p in tag_problems(["Bossa Nova", "Bossanova", "Trash Metal",
    ...                                   "Thrash Metal"]) if p["kind"] == "duplicate"]
    [['Bossa Nova', 'Bossanova'], ['Thrash Metal', 'Trash Metal']]
    """
    tags = sorted({str(t) for t in tags})
    out = []
    for i, a in enumerate(tags):
        for b in tags[i + 1:]:
            na, nb = _norm(a), _norm(b)
            r = difflib.SequenceMatcher(None, na, nb).ratio()
            if na == nb or r >= cutoff:
                why = "same letters" if na == nb else f"spellings {r:.2f} similar"
                out.append({"kind": "duplicate", "tags": [a, b], "why": why})
    words = {}
    for t in tags:
        # the words of the tag itself, not of its namespace ("composer:", "game::")
        for w in re.findall(r"[a-z]{3,}", t.casefold().rsplit(":", 1)[-1]):
            words.setdefault(w, set()).add(t)
    dup = {frozenset(p["tags"]) for p in out}
    for w, ts in sorted(words.items()):
        if len(ts) > 1 and frozenset(ts) not in dup:
            out.append({"kind": "shared word", "tags": sorted(ts),
                        "why": f"'{w}' in {len(ts)} tags: one concept or several?"})
    return out


def corpus_tag_systems(records):
    """The two tag systems of our clips, from the sources' own metadata.

    - **system 1, the catalogue** (coarse, per package or per style): for a recording, its
      game's Debian tags (``game::strategy``...) and the genre words of the package description
      (``strategy``, ``shooter``...); for a rendering, its style (``baroque-chorale``...).
    - **system 2, the files** (fine, per file or per piece): for a recording, the file's own
      GENRE comment, verbatim (``Soundtrack``, ``soundtrack``, ``Death Metal``...); for a
      rendering, the music21 metadata: its collection (``music21:bach``) and composer
      (``composer:Palestrina``).

    Parameters
    ----------
    records : list of dict
        Corpus records of ``artists`` and/or ``styles`` (``labels`` as those corpora write them).

    Returns
    -------
    system1, system2 : list of list of str, one entry per record

    Examples
    --------
    >>> rec = {"labels": {"source": "recorded", "debtags": ["game::fps"],
    ...                   "description_words": ["shooter"], "file_genre": "Soundtrack"}}
    >>> corpus_tag_systems([rec])
    ([['game::fps', 'shooter']], [['Soundtrack']])
    """
    s1, s2 = [], []
    for r in records:
        lab = r.get("labels", {})
        if lab.get("source") == "rendered":
            s1.append([lab["style"]] if lab.get("style") else [])
            t2 = [lab["package"]] if str(lab.get("package", "")).startswith("music21:") else []
            if lab.get("artist"):
                t2.append(f"composer:{lab['artist']}")
            s2.append(t2)
        else:
            s1.append(list(lab.get("debtags", [])) + list(lab.get("description_words", [])))
            s2.append([lab["file_genre"]] if lab.get("file_genre") else [])
    return s1, s2


def evaluate(pairs, truth):
    """Translation accuracy and the number of source tags judged and left untranslated.

    Examples
    --------
    >>> evaluate([("a", "x"), ("b", None)], {"a": "x", "b": "y"})
    {'accuracy': 0.5, 'n_judged': 2, 'n_untranslated': 1}
    """
    judged = [(s, d) for s, d in pairs if s in truth]
    return {"accuracy": translation_accuracy(pairs, truth), "n_judged": len(judged),
            "n_untranslated": sum(d is None for _, d in judged)}


def reproduce_main(argv=None):
    """``python -m mirbook reproduce genre-translation``: our translation pairs beside the seed's.

    Our pairs are those the chapter notebook computes (audio-based and co-occurrence-based,
    system 2 -> system 1) and stores in ``<data home>/features/genre_translation.json``; without
    that file, the seed's table is printed alone with the command that makes ours.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    status : int
        0.
    """
    import argparse
    import json

    import pandas as pd

    from mirbook.config import data_home
    from mirbook.reproduce import paper_tables

    parser = argparse.ArgumentParser(prog="python -m mirbook reproduce genre-translation")
    parser.add_argument("--ours", default=None, help="JSON file of our pairs")
    ns = parser.parse_args(argv)
    seed = paper_tables("genre_translation")
    n = len(seed["audio_based"])
    table = {"seed audio: Mumu tag": [a for a, _ in seed["audio_based"]],
             "seed audio: Discogs tag": [b for _, b in seed["audio_based"]],
             "seed co-occ.: Mumu tag": [a for a, _ in seed["cooccurrence_based"]],
             "seed co-occ.: Discogs tag": [b for _, b in seed["cooccurrence_based"]]}
    path = ns.ours or (data_home() / "features" / "genre_translation.json")
    try:
        ours = json.loads(open(path).read())
    except (OSError, ValueError):
        ours = None
    if ours:
        for key, label in (("audio", "ours audio"), ("cooccurrence", "ours co-occ.")):
            pairs = (ours.get(key) or [])[:n]
            pairs = pairs + [["", ""]] * (n - len(pairs))
            table[f"{label}: file tag"] = [a for a, _ in pairs]
            table[f"{label}: catalogue tag"] = [b or "-" for _, b in pairs]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(seed["title"] + " -- " + seed["task"])
        print(pd.DataFrame(table).to_string(index=False))
        if ours:
            print(f"\nours: translation accuracy audio {ours.get('acc_audio', float('nan')):.2f}, "
                  f"co-occurrence {ours.get('acc_cooc', float('nan')):.2f} "
                  f"(overlap {ours.get('overlap', float('nan')):.0%} of the clips)")
        else:
            print(f"\n(no {path}: run notebooks/15_genre_translation.ipynb to make our pairs)")
        print(f"\nSource: {seed['citation']}")
    return 0
