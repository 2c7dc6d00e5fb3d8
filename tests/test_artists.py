"""The ``artists`` corpus: plan invariants (on the cached catalogue, if any), the tiny build."""

from collections import defaultdict

import pytest

from mirbook.datasets import artists
from mirbook.datasets.sources import debian_music

RESERVED = ("klettres-data", "wesnoth", "ufoai-music", "musescore-general-soundfont",
            "fluid-soundfont-gs")


@pytest.fixture(scope="module")
def items():
    try:
        debian_music.load_artist_catalog()
    except Exception as exc:  # noqa: BLE001 - not fetched on this machine
        pytest.skip(f"artists' packages not catalogued: {exc}")
    return artists.plan(tiny=False)


def test_enough_artists_with_enough_tracks(items):
    tracks = defaultdict(set)
    for it in items:
        tracks[it.params["artist"]].add((it.params["package"], it.params["member"]))
    assert len(tracks) >= 30
    assert all(len(t) >= artists.MIN_TRACKS for t in tracks.values())


def test_artist_disjoint_splits_and_caps(items):
    split_of = {}
    per_artist = defaultdict(int)
    for it in items:
        a = it.params["artist"]
        assert split_of.setdefault(a, it.split) == it.split
        per_artist[a] += 1
    assert sorted(set(split_of.values())) == ["test", "train", "validation"]
    assert sum(s == "test" for s in split_of.values()) >= 5
    assert max(per_artist.values()) <= artists.MAX_PER_ARTIST


def test_no_reserved_package_and_labels_present(items):
    for it in items:
        p = it.params
        assert not any(r in p["package"] for r in RESERVED)
        for key in ("artist", "package", "title", "licence", "album", "debtags", "description",
                    "description_words"):
            assert key in p, key
        assert p["licence"]
        assert p["duration"] == artists.DURATION


def test_existing_corpora_keep_their_packages():
    assert set(debian_music.PACKAGES) == {"asc-music", "singularity-music", "hyperrogue-music",
                                          "warzone2100-music", "nexuiz-music"}
    assert not set(debian_music.ARTIST_PACKAGES) & set(debian_music.PACKAGES)


def test_split_helper_and_description_words():
    s = artists.artist_split([f"x{i}" for i in range(32)])
    assert list(s.values()).count("train") == 18
    assert artists.artist_split(["b", "a"]) == artists.artist_split(["a", "b"])
    assert artists.description_words("fast-paced 3D first-person shooter") == ["shooter"]


def test_tiny_build(tmp_path):
    from mirbook.datasets import build, load

    build(["artists"], tiny=True, root=tmp_path, jobs=1)
    recs = load("artists", split=None, tiny=True, root=tmp_path)
    assert len(recs) == 6
    by_split = defaultdict(set)
    for r in recs:
        by_split[r["split"]].add(r["labels"]["artist"])
    assert len(by_split) == 3
    assert not (by_split["train"] & by_split["test"])
