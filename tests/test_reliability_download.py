"""Issue 12 sweep over mirbook.download and the online loaders: nothing written outside the
destination, archives capped and named, downloads checked before they enter the cache."""

from __future__ import annotations

import gzip
import hashlib
import os
import time
import zipfile

import pytest

from fixtures.builders import mp3_bytes, sha256, wav_bytes, write_tar, write_zip
from fixtures.local_server import LocalServer
from mirbook import download as dl
from mirbook.datasets import online
from mirbook.errors import ParameterError


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRBOOK_PROGRESS", "0")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    root = tmp_path / "served"
    root.mkdir()
    srv = LocalServer(root).start()
    yield srv
    srv.stop()


def snapshot(root):
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


# ---- URL-derived names: one safe component ----------------------------------------------------

ESCAPES = [
    "..%2F..%2Fescaped.bin",
    "%2E%2E%2F%2E%2E%2Fescaped.bin",
    "%2Ftmp%2Fescaped.bin",
    "..%5C..%5Cescaped.bin",
    "sub%2F..%2F..%2Fescaped.bin",
    "C%3A%5Cescaped.bin",
]


@pytest.mark.parametrize("tail", ESCAPES)
@pytest.mark.parametrize("pinned", [True, False])
def test_url_names_never_write_outside_the_destination(server, tmp_path, tail, pinned):
    body = b"payload"
    server.route("/d/" + tail, body=body)
    server.route("/d/" + tail.replace("%2E", "."), body=body)  # requests unquotes %2E
    outside = tmp_path / "escaped.bin"
    outside.write_bytes(b"precious")  # a file the download must not overwrite nor return
    dest = tmp_path / "deep" / "cache"
    dest.mkdir(parents=True)
    before = snapshot(tmp_path)
    digest = hashlib.sha256(body).hexdigest() if pinned else None
    path = dl.fetch(f"{server.base}/d/{tail}", sha256=digest, dest=dest,
                    allow_unpinned=not pinned, progress=False)
    assert path.parent == dest and path.name == "escaped.bin"
    assert path.read_bytes() == body
    after = snapshot(tmp_path)
    changed = {p for p in after if before.get(p) != after[p]}
    assert changed == {path}  # the one new file, inside dest; nothing else touched
    assert outside.read_bytes() == b"precious"


@pytest.mark.parametrize("name,safe", [
    ("a/b/c.txt", "c.txt"), ("..\\..\\x.wav", "x.wav"), ("C:x.wav", "x.wav"),
    ("bad\x00name.wav", "bad_name.wav"), ("tab\there.wav", "tab_here.wav"),
])
def test_safe_filename(name, safe):
    assert dl.safe_filename(name) == safe


@pytest.mark.parametrize("url", ["http://h/", "http://h/..", "http://h/%2E%2E", "http://h/a/%2F"])
def test_url_without_a_file_name_asks_for_dest(url):
    with pytest.raises(ParameterError, match="pass dest=PATH"):
        dl.fetch(url, sha256="0" * 64, dest="/nonexistent-folder/", progress=False)


@pytest.mark.parametrize("timeout,match", [
    (float("inf"), "finite"), ("5", "real number"), (0, ">"), (-1, ">"), (None, "finite"),
    (float("nan"), "finite"),
])
def test_bad_timeouts_are_named(timeout, match):
    with pytest.raises(ParameterError, match=f"timeout.*{match}"):
        dl.fetch("http://127.0.0.1:9/x.bin", sha256="0" * 64, dest="/tmp/x.bin", timeout=timeout)


def test_gzip_content_encoding_keeps_the_bytes(server, tmp_path):
    data = write_tar(tmp_path / "a.tar.gz", {"x.txt": b"x" * 1000}).read_bytes()
    # a server that labels the already-gzipped file as gzip-encoded (common for .tar.gz)
    server.route("/a.tar.gz", body=data, headers={"Content-Encoding": "gzip"})
    path = dl.fetch(server.url("a.tar.gz"), sha256=sha256(tmp_path / "a.tar.gz"),
                    dest=tmp_path / "out.tar.gz", progress=False, retries=0)
    assert path.read_bytes() == data and gzip.decompress(data)


def test_downloads_follow_the_umask(server, tmp_path):
    server.route("/m.bin", body=b"m")
    old = os.umask(0o022)
    try:
        path = dl.fetch(server.url("m.bin"), sha256=None, allow_unpinned=True,
                        dest=tmp_path / "m.bin", progress=False)
        out = dl.extract(write_zip(tmp_path / "z.zip", {"d/f.txt": b"f"}), dest=tmp_path / "z")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    assert out.stat().st_mode & 0o777 == 0o755
    assert (out / "d" / "f.txt").stat().st_mode & 0o777 == 0o644


def test_a_failing_check_keeps_the_download_out_of_the_cache(server, tmp_path):
    server.route("/page.mp3", body=b"<html>not found</html>", ctype="text/html")

    def must_be_mp3(p):
        if open(p, "rb").read(3) != b"ID3":
            raise ValueError(f"{p}: not an MP3")

    with pytest.raises(ValueError, match="not an MP3"):
        dl.fetch(server.url("page.mp3"), sha256=None, allow_unpinned=True,
                 dest=tmp_path / "c", check=must_be_mp3, progress=False)
    assert not (tmp_path / "c").exists() or list((tmp_path / "c").iterdir()) == []


# ---- stale temporaries ------------------------------------------------------------------------

def test_stale_part_files_are_swept_fresh_ones_kept(server, tmp_path):
    dest = tmp_path / "cache"
    dest.mkdir()
    stale_file = dest / ".clip.wav.abc123.part"
    stale_dir = dest / ".folder.xyz.part"
    fresh = dest / ".other.wav.def456.part"
    stale_file.write_bytes(b"half")
    stale_dir.mkdir()
    (stale_dir / "member").write_bytes(b"m")
    fresh.write_bytes(b"being written now")
    old = time.time() - 2 * dl.STALE_PART_AGE
    for p in (stale_file, stale_dir / "member", stale_dir):
        os.utime(p, (old, old))
    (server.root / "clip.wav").write_bytes(wav_bytes())
    dl.fetch(server.url("clip.wav"), sha256=sha256(server.root / "clip.wav"), dest=dest,
             progress=False)
    assert sorted(p.name for p in dest.iterdir()) == [".other.wav.def456.part", "clip.wav"]


# ---- archives ---------------------------------------------------------------------------------

def test_zip_symlink_member_becomes_a_link(tmp_path):
    path = tmp_path / "l.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data/real.txt", b"real")
        info = zipfile.ZipInfo("data/alias.txt")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "real.txt")
    out = dl.extract(path, dest=tmp_path / "out")
    alias = out / "data" / "alias.txt"
    assert alias.is_symlink() and os.readlink(alias) == "real.txt"
    assert alias.read_bytes() == b"real"


def test_extract_onto_a_regular_file_is_refused(tmp_path):
    archive = write_zip(tmp_path / "a.zip", {"x.txt": b"x"})
    (tmp_path / "out").write_text("I am a file")
    with pytest.raises(NotADirectoryError, match="out: it exists and is not a folder"):
        dl.extract(archive, dest=tmp_path / "out")


def _bomb_zip(path, size):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", bytes(size))
    return path


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_decompression_bomb_is_capped(tmp_path, kind, monkeypatch):
    monkeypatch.setattr(dl, "MIN_ALLOWANCE", 1 << 20)
    size = 8 << 20
    if kind == "zip":
        archive = _bomb_zip(tmp_path / "bomb.zip", size)
    else:
        archive = write_tar(tmp_path / "bomb.tar.gz", {"zeros.bin": bytes(size)})
    assert archive.stat().st_size * dl.MAX_RATIO < size
    with pytest.raises(dl.UnsafeArchiveError, match=f"bomb.{kind}.*expands to more than"):
        dl.extract(archive, dest=tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"bomb.{kind}"]


def test_zip_lying_about_its_size_is_capped_while_writing(tmp_path):
    archive = _bomb_zip(tmp_path / "liar.zip", 4 << 20)
    with pytest.raises(dl.UnsafeArchiveError, match="expands to more than 1000 bytes"):
        dl.extract(archive, dest=tmp_path / "out", max_size=1000)
    assert not (tmp_path / "out").exists()


def test_max_size_allows_a_known_large_archive(tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "MIN_ALLOWANCE", 1 << 20)
    archive = _bomb_zip(tmp_path / "big.zip", 8 << 20)
    out = dl.extract(archive, dest=tmp_path / "out", max_size=9 << 20)
    assert (out / "zeros.bin").stat().st_size == 8 << 20


def _truncated_tar(tmp_path):
    data = write_tar(tmp_path / "full.tar.gz", {"a.bin": os.urandom(50000)}).read_bytes()
    path = tmp_path / "t.tar.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def _bad_crc_zip(tmp_path):
    path = write_zip(tmp_path / "crc.zip", {"a.txt": b"hello world " * 100})
    data = bytearray(path.read_bytes())
    i = data.index(b"a.txt") + len(b"a.txt") + 5  # inside the compressed data
    data[i] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def _encrypted_zip(tmp_path):
    path = write_zip(tmp_path / "enc.zip", {"a.txt": b"secret"})
    data = bytearray(path.read_bytes())
    # set the "encrypted" flag bit in the local and the central headers
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        i = data.index(sig)
        off = 6 if sig == b"PK\x03\x04" else 8
        data[i + off] |= 0x01
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make,name,problem", [
    (_truncated_tar, "t.tar.gz", "truncated|corrupt"),
    (_bad_crc_zip, "crc.zip", "CRC|corrupt"),
    (_encrypted_zip, "enc.zip", "encrypted"),
])
def test_damaged_archives_name_the_archive_and_the_problem(tmp_path, make, name, problem):
    archive = make(tmp_path)
    with pytest.raises(dl.UnsafeArchiveError, match=problem) as e:
        dl.extract(archive, dest=tmp_path / "out")
    assert name in str(e.value)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


# ---- online: checked before the cache ---------------------------------------------------------

@pytest.fixture
def env(server, tmp_path, monkeypatch):
    monkeypatch.delenv("MIRBOOK_MIRROR", raising=False)
    return server, tmp_path / "home", monkeypatch


@pytest.mark.parametrize("body,reason", [
    (b"<!DOCTYPE html><html>rate limited</html>", "not an MP3"),
    (b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(300), "decodes"),
])
def test_deezer_preview_that_is_not_audio_is_not_cached(env, body, reason):
    srv, home, mp = env
    (srv.root / "p").mkdir()
    (srv.root / "p" / "21.mp3").write_bytes(body)
    srv.route("/api/track/21", body=f'{{"id": 21, "preview": "{srv.url("p/21.mp3")}"}}',
              ctype="application/json")
    found, missing = online.deezer_previews([21], data_home=home, api_base=srv.base + "/api",
                                            limiter=dl.RateLimiter(0), progress=False)
    assert found == [] and missing[0]["dzr_sng_id"] == 21 and reason in missing[0]["reason"]
    folder = home / "deezer_mood" / "previews"
    assert list(folder.iterdir()) == []


def test_a_bad_cached_preview_is_downloaded_again(env):
    srv, home, mp = env
    folder = home / "deezer_mood" / "previews"
    folder.mkdir(parents=True)
    (folder / "22.mp3").write_bytes(b"<html>old error page</html>")
    (srv.root / "22.mp3").write_bytes(mp3_bytes())
    srv.route("/api/track/22", body=f'{{"id": 22, "preview": "{srv.url("22.mp3")}"}}',
              ctype="application/json")
    found, missing = online.deezer_previews([22], data_home=home, api_base=srv.base + "/api",
                                            limiter=dl.RateLimiter(0), progress=False)
    assert [r["dzr_sng_id"] for r in found] == [22] and missing == []
    assert (folder / "22.mp3").read_bytes() == mp3_bytes()


@pytest.mark.parametrize("body", [b"<html>Too many requests</html>", b"a,b\n1,2\n", b""])
def test_unpinned_bad_csv_is_not_cached(env, body):
    srv, home, mp = env
    target = srv.root / online.REMOTES["deezer_mood_test"]["filename"]
    target.write_bytes(body)
    with pytest.raises(ValueError, match="Deezer mood detection CSV"):
        online.deezer_mood(split="test", data_home=home, mirror=srv.base, allow_unpinned=True,
                           progress=False)
    cached = home / "deezer_mood" / "downloads" / online.REMOTES["deezer_mood_test"]["filename"]
    assert not cached.exists()
