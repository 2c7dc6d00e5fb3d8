"""mirbook.featcache: features computed once, in memory and on disk, recomputed when the key changes."""

import numpy as np
import pytest

from mirbook import featcache
from mirbook.errors import ParameterError
from mirbook.featcache import cached_features, clear_memory_cache, feature_key


@pytest.fixture(autouse=True)
def _empty_memory():
    clear_memory_cache()
    yield
    clear_memory_cache()


class Counter:
    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_same_key_same_arrays_computed_once(tmp_path):
    compute = Counter({"X": np.arange(6.0).reshape(2, 3), "y": np.array(["speech", "music"])})
    key = {"corpus": "speech_music", "version": 2, "n_mels": 64, "hop_length": 512}
    a = cached_features(key, compute=compute, cache_dir=tmp_path)
    b = cached_features(dict(reversed(list(key.items()))), compute=compute, cache_dir=tmp_path)
    assert compute.calls == 1 and a is b
    assert np.array_equal(a["X"], np.arange(6.0).reshape(2, 3)) and a["y"].tolist() == ["speech", "music"]
    assert not a["X"].flags.writeable
    assert len(list(tmp_path.glob("*.npz"))) == 1 and not list(tmp_path.glob("*.part"))
    # a new session (memory cleared) reads the file instead of computing
    clear_memory_cache()
    c = cached_features(key, compute=compute, cache_dir=tmp_path)
    assert compute.calls == 1 and np.array_equal(c["X"], a["X"]) and c["y"].dtype == a["y"].dtype


@pytest.mark.parametrize("change", [{"n_mels": 128}, {"version": 3}, {"hop_length": 512.0}])
def test_another_key_recomputes(tmp_path, change):
    compute = Counter(np.ones(3))
    key = {"corpus": "speech_music", "version": 2, "n_mels": 64, "hop_length": 512}
    cached_features(key, compute=compute, cache_dir=tmp_path)
    cached_features({**key, **change}, compute=compute, cache_dir=tmp_path)
    assert compute.calls == 2 and len(list(tmp_path.glob("*.npz"))) == 2


def test_a_path_in_the_key_counts_by_content(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"version": 1}')
    k1 = feature_key({"manifest": manifest})
    manifest.write_text('{"version": 2}')
    assert feature_key({"manifest": manifest}) != k1
    with pytest.raises(ParameterError, match="not a file"):
        feature_key({"manifest": tmp_path / "nowhere.json"})


def test_tuple_and_array_results_and_memory_only(tmp_path):
    X, y = cached_features("tuple", compute=lambda: (np.zeros((2, 2)), np.arange(2)),
                           cache_dir=tmp_path)
    assert X.shape == (2, 2) and y.tolist() == [0, 1]
    clear_memory_cache()
    X2, y2 = cached_features("tuple", compute=lambda: 1 / 0, cache_dir=tmp_path)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    compute = Counter(np.arange(3))
    cached_features("mem", compute=compute, disk=False, cache_dir=tmp_path / "never")
    cached_features("mem", compute=compute, disk=False, cache_dir=tmp_path / "never")
    assert compute.calls == 1 and not (tmp_path / "never").exists()


def test_default_folder_is_data_home_features(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRBOOK_DATA", str(tmp_path))
    cached_features("home", compute=lambda: np.ones(2))
    assert len(list((tmp_path / "features").glob("*.npz"))) == 1


def test_a_damaged_cache_file_is_recomputed(tmp_path):
    cached_features("damaged", compute=lambda: np.ones(2), cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.npz")
    path.write_bytes(b"garbage")
    clear_memory_cache()
    assert cached_features("damaged", compute=lambda: np.full(2, 7.0),
                           cache_dir=tmp_path).tolist() == [7.0, 7.0]


def test_caller_mistakes():
    with pytest.raises(ParameterError, match="compute"):
        cached_features("k", compute=None, disk=False)
    with pytest.raises(ParameterError, match="compute: returned a list"):
        cached_features("k", compute=lambda: [1, 2], disk=False)
    with pytest.raises(ParameterError, match="object array"):
        cached_features("k2", compute=lambda: {"a": np.array([{}, 1], dtype=object)}, disk=False)
    with pytest.raises(ParameterError, match="cannot be part of a cache key"):
        feature_key({"f": object()})
    assert featcache._MEMORY == {}


def test_compute_runs_with_one_blas_thread():
    from threadpoolctl import threadpool_info, threadpool_limits

    from mirbook.featcache import cached_features

    def threads():
        return np.array(sorted(i["num_threads"] for i in threadpool_info()
                               if i["user_api"] == "blas"))

    with threadpool_limits(limits=2, user_api="blas"):
        seen = cached_features(["blas threads", 1], compute=threads, disk=False)
    assert set(seen.tolist()) == {1}
