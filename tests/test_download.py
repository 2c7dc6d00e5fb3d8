"""mirbook.download against a local HTTP server on 127.0.0.1 (no network)."""

from __future__ import annotations

import errno
import os
import tarfile
import time
import zipfile

import pytest

from fixtures.builders import sha256, wav_bytes, write_tar, write_tar_special, write_zip
from fixtures.local_server import LocalServer
from mirbook import download as dl


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRBOOK_PROGRESS", "0")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    root = tmp_path / "served"
    root.mkdir()
    (root / "clip.wav").write_bytes(wav_bytes())
    srv = LocalServer(root).start()
    srv.route("/boom.bin", status=500, body=b"internal error")
    srv.route("/slow.bin", body=b"late", delay=10)
    yield srv
    srv.stop()
    assert not srv.thread.is_alive()


@pytest.fixture
def dest(tmp_path):
    d = tmp_path / "cache"
    d.mkdir()
    return d


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------------- fetch


def test_server_binds_loopback_only(server):
    assert server.host == "127.0.0.1" and server.port > 0


def test_fetch_good_file(server, dest):
    digest = sha256(server.root / "clip.wav")
    path = dl.fetch(server.url("clip.wav"), sha256=digest, dest=dest, progress=False)
    assert path == dest / "clip.wav"
    assert path.read_bytes() == (server.root / "clip.wav").read_bytes()
    assert listing(dest) == ["clip.wav"]  # no temporary file left
    from mirbook.io import load_audio

    y, sr = load_audio(path)
    assert sr == 22050 and y.size == 2205


def test_fetch_cached_file_is_not_downloaded_twice(server, dest):
    digest = sha256(server.root / "clip.wav")
    url = server.url("clip.wav")
    dl.fetch(url, sha256=digest, dest=dest / "x.wav", progress=False)
    dl.fetch(url, sha256=digest, dest=dest / "x.wav", progress=False)
    dl.fetch(url, sha256=digest, dest=dest / "x.wav", progress=True)
    assert server.count("clip.wav") == 1


def test_fetch_replaces_a_corrupt_cached_copy(server, dest):
    digest = sha256(server.root / "clip.wav")
    (dest / "clip.wav").write_bytes(b"truncated")
    path = dl.fetch(server.url("clip.wav"), sha256=digest, dest=dest, progress=False)
    assert sha256(path) == digest and server.count("clip.wav") == 1


def test_fetch_wrong_hash_is_refused_and_leaves_nothing(server, dest):
    wrong = "0" * 64
    url = server.url("clip.wav")
    with pytest.raises(dl.HashMismatchError) as info:
        dl.fetch(url, sha256=wrong, dest=dest, progress=False, retries=2, retry_wait=0)
    err = info.value
    assert isinstance(err, ValueError)
    msg = str(err)
    assert url in msg and wrong in msg and sha256(server.root / "clip.wav") in msg
    assert listing(dest) == []  # neither the final file nor a .part
    assert server.count("clip.wav") == 1  # a wrong hash is not retried


def test_fetch_accepts_md5_pins(server, dest):
    import hashlib

    md5 = hashlib.md5((server.root / "clip.wav").read_bytes()).hexdigest()
    assert dl.fetch(server.url("clip.wav"), sha256=f"md5:{md5}", dest=dest, progress=False).is_file()
    with pytest.raises(dl.HashMismatchError, match="md5:"):
        dl.fetch(server.url("clip.wav"), sha256="md5:" + "1" * 32, dest=dest / "other.wav",
                 progress=False)


def test_fetch_refuses_unpinned_unless_allowed(server, dest):
    url = server.url("clip.wav")
    with pytest.raises(dl.UnpinnedDownloadError, match="allow_unpinned"):
        dl.fetch(url, sha256=None, dest=dest, progress=False)
    assert server.total == 0 and listing(dest) == []
    path = dl.fetch(url, sha256=None, dest=dest, progress=False, allow_unpinned=True)
    assert path.is_file()


@pytest.mark.parametrize("bad", ["abc", "f" * 63, "sha1:" + "0" * 40])
def test_fetch_rejects_malformed_hashes(server, dest, bad):
    with pytest.raises(ValueError, match="hash"):
        dl.fetch(server.url("clip.wav"), sha256=bad, dest=dest, progress=False)
    assert server.total == 0


def test_fetch_server_error_names_url_and_status(server, dest):
    url = server.url("boom.bin")
    with pytest.raises(dl.DownloadError) as info:
        dl.fetch(url, sha256="0" * 64, dest=dest, progress=False, retries=1, retry_wait=0)
    assert info.value.status == 500
    assert url in str(info.value) and "500" in str(info.value)
    assert server.count("boom.bin") == 2  # 5xx is retried
    assert listing(dest) == []


def test_fetch_404_is_not_retried(server, dest):
    url = server.url("nothing-here.bin")
    with pytest.raises(dl.DownloadError, match="404") as info:
        dl.fetch(url, sha256="0" * 64, dest=dest, progress=False, retries=3, retry_wait=0)
    assert info.value.status == 404 and url in str(info.value)
    assert server.count("nothing-here.bin") == 1
    assert listing(dest) == []


def test_fetch_timeout_is_quick_and_clear(server, dest):
    url = server.url("slow.bin")
    t0 = time.monotonic()
    with pytest.raises(dl.DownloadTimeout) as info:
        dl.fetch(url, sha256="0" * 64, dest=dest, progress=False, timeout=0.3, retries=1,
                 retry_wait=0)
    elapsed = time.monotonic() - t0
    assert elapsed < 3, elapsed
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, dl.DownloadError)
    assert url in str(info.value) and "0.3" in str(info.value)
    assert server.count("slow.bin") == 2
    assert listing(dest) == []


def test_fetch_connection_refused(dest):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}/x.bin"
    with pytest.raises(dl.DownloadError, match="cannot connect"):
        dl.fetch(url, sha256="0" * 64, dest=dest, progress=False, retries=0, timeout=2)
    assert listing(dest) == []


def test_fetch_default_destination_is_the_cache(server, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRBOOK_DATA", str(tmp_path / "home"))
    path = dl.fetch(server.url("clip.wav"), sha256=sha256(server.root / "clip.wav"), progress=False)
    assert path == tmp_path / "home" / "downloads" / "clip.wav"


def test_fetch_rejects_other_schemes(dest):
    with pytest.raises(ValueError, match="http"):
        dl.fetch("file:///etc/passwd", sha256="0" * 64, dest=dest)


# ---------------------------------------------------------------------------------- extract


def test_extract_zip(tmp_path):
    archive = write_zip(tmp_path / "a.zip", {"top/x.txt": b"x", "top/sub/y.txt": b"y"})
    out = dl.extract(archive, dest=tmp_path / "out")
    assert (out / "top" / "sub" / "y.txt").read_bytes() == b"y"
    assert listing(tmp_path) == ["a.zip", "out"]  # no temporary folder left


@pytest.mark.parametrize("mode,suffix", [("w:gz", ".tar.gz"), ("w:bz2", ".tar.bz2"),
                                         ("w:xz", ".tar.xz"), ("w", ".tar")])
def test_extract_tar(tmp_path, mode, suffix):
    archive = write_tar(tmp_path / f"a{suffix}", {"top/x.txt": b"x"}, mode=mode)
    out = dl.extract(archive)
    assert out == tmp_path / "a"
    assert (out / "top" / "x.txt").read_bytes() == b"x"


def test_extract_existing_dest_is_kept_unless_overwrite(tmp_path):
    archive = write_zip(tmp_path / "a.zip", {"x.txt": b"new"})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.txt").write_bytes(b"old")
    assert (dl.extract(archive, dest=tmp_path / "out") / "x.txt").read_bytes() == b"old"
    again = dl.extract(archive, dest=tmp_path / "out", overwrite=True)
    assert (again / "x.txt").read_bytes() == b"new"


@pytest.mark.parametrize("member", ["../evil.txt", "ok/../../evil.txt", "/abs/evil.txt",
                                    "..\\evil.txt", "C:/evil.txt"])
def test_extract_refuses_escaping_zip_members(tmp_path, member):
    archive = write_zip(tmp_path / "evil.zip", {"fine.txt": b"f", member: b"evil"})
    with pytest.raises(dl.UnsafeArchiveError) as info:
        dl.extract(archive, dest=tmp_path / "out")
    assert "evil.zip" in str(info.value) and repr(member) in str(info.value)
    assert info.value.member == member
    assert isinstance(info.value, ValueError)
    assert listing(tmp_path) == ["evil.zip"]  # nothing extracted, no temporary folder
    assert not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("member", ["../evil.txt", "a/../../evil.txt", "/abs/evil.txt"])
def test_extract_refuses_escaping_tar_members(tmp_path, member):
    archive = write_tar(tmp_path / "evil.tar.gz", {"fine.txt": b"f", member: b"evil"})
    with tarfile.open(archive) as tf:  # the archive really holds the bad name
        assert member in tf.getnames()
    with pytest.raises(dl.UnsafeArchiveError) as info:
        dl.extract(archive, dest=tmp_path / "out")
    assert "evil.tar.gz" in str(info.value) and member in str(info.value)
    assert listing(tmp_path) == ["evil.tar.gz"]


@pytest.mark.parametrize("kind,name,link,problem", [
    ("sym", "data/link", "../../etc/passwd", "outside"),
    ("sym", "data/link", "/etc/passwd", "absolute"),
    ("hard", "data/link", "../outside.txt", "outside"),
    ("chr", "data/dev", "", "device"),
    ("fifo", "data/pipe", "", "FIFO"),
])
def test_extract_refuses_links_out_and_devices(tmp_path, kind, name, link, problem):
    archive = write_tar_special(tmp_path / "special.tar.gz", name, kind, link)
    with pytest.raises(dl.UnsafeArchiveError, match=problem) as info:
        dl.extract(archive, dest=tmp_path / "out")
    assert "special.tar.gz" in str(info.value) and name in str(info.value)
    assert listing(tmp_path) == ["special.tar.gz"]


def test_extract_allows_links_inside(tmp_path):
    archive = write_tar_special(tmp_path / "ok.tar.gz", "data/alias.txt", "sym", "ok.txt")
    out = dl.extract(archive, dest=tmp_path / "out")
    assert (out / "data" / "alias.txt").read_bytes() == b"ok"


def test_extract_zip_symlink_out_is_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("data/link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "../../etc/passwd")
    with pytest.raises(dl.UnsafeArchiveError, match="outside"):
        dl.extract(path, dest=tmp_path / "out")


def test_extract_not_an_archive(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"not an archive at all")
    with pytest.raises(ValueError, match="not a zip or tar"):
        dl.extract(path)
    with pytest.raises(FileNotFoundError):
        dl.extract(tmp_path / "missing.zip")


def test_extract_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    archive = write_zip(tmp_path / "a.zip", {"x.txt": b"x"})

    def boom(archive, zf, tmp, *a, **k):
        (open(os.path.join(tmp, "partial"), "w")).close()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dl, "_extract_zip", boom)
    with pytest.raises(OSError, match="a.zip: cannot unpack into .*No space left on device"):
        dl.extract(archive, dest=tmp_path / "out")
    assert listing(tmp_path) == ["a.zip"]


# ---------------------------------------------------------------------------------- rate limiter


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, s):
        self.t += s


def test_rate_limiter_min_interval():
    clock = FakeClock()
    lim = dl.RateLimiter(0.5, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(4):
        lim.wait()
        times.append(clock.t)
    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5])
    assert lim.n_calls == 4 and lim.slept == pytest.approx(1.5)


def test_rate_limiter_window():
    clock = FakeClock()
    lim = dl.RateLimiter(0.0, max_calls=3, period=5.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(7):
        lim.wait()
        times.append(clock.t)
    assert times == pytest.approx([0, 0, 0, 5, 5, 5, 10])


def test_rate_limiter_real_time_and_errors():
    lim = dl.RateLimiter(0.02)
    t0 = time.monotonic()
    for _ in range(4):
        with lim:
            pass
    assert time.monotonic() - t0 >= 0.055
    with pytest.raises(ValueError):
        dl.RateLimiter(-1)
    with pytest.raises(ValueError):
        dl.RateLimiter(0.1, max_calls=5)


def test_fetch_into_a_new_folder_given_with_a_slash(server, tmp_path):
    path = dl.fetch(server.url("clip.wav"), sha256=sha256(server.root / "clip.wav"),
                    dest=str(tmp_path / "new") + "/", progress=False)
    assert path == tmp_path / "new" / "clip.wav" and path.is_file()
