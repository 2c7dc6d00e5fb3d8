"""Issue 12 sweep over mirbook.io: damaged audio refused, valid-but-unusual audio read, caller
mistakes named as ParameterErrors, no decoder output on stderr."""

from __future__ import annotations

import errno
import os
import warnings

import numpy as np
import pytest
import soundfile as sf

from mirbook import io
from mirbook.errors import AudioFileError, ParameterError

SR = 22050


def _tone(seconds=2.0, sr=SR, amp=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def _write(path, fmt, subtype, y=None, sr=SR):
    sf.write(path, _tone() if y is None else y, sr, format=fmt, subtype=subtype)
    return path.read_bytes()


# ---- damaged audio: the strict rule -----------------------------------------------------------

def _cut(data, frac):
    return data[: int(len(data) * frac)]


def _flip(data, at):
    b = bytearray(data)
    b[int(len(b) * at)] ^= 0xFF
    return bytes(b)


DAMAGED = [
    # name, container, subtype, damage, what the message says
    ("pcm_copying.wav", "WAV", "PCM_16", lambda d: _cut(d, 1 / 3), "header promises"),
    ("ima_cut.wav", "WAV", "IMA_ADPCM", lambda d: _cut(d, 0.5), "header promises"),
    ("ms_cut.wav", "WAV", "MS_ADPCM", lambda d: _cut(d, 0.6), "header promises"),
    ("float_cut.wav", "WAV", "FLOAT", lambda d: _cut(d, 0.7), "header promises"),
    ("cut.aiff", "AIFF", "PCM_16", lambda d: _cut(d, 0.5), "header promises"),
    ("mid_frame.mp3", "MP3", "MPEG_LAYER_III", lambda d: _cut(d, 0.5) + b"\xff", "MP3"),
    ("body.flac", "FLAC", "PCM_16", lambda d: _flip(d, 0.5), "corrupt FLAC data"),
    ("cut.flac", "FLAC", "PCM_16", lambda d: _cut(d, 0.5), "corrupt FLAC data"),
    ("tail.ogg", "OGG", "VORBIS", lambda d: _flip(d, 0.9), "corrupt"),
    ("middle.ogg", "OGG", "VORBIS", lambda d: _flip(d, 0.5), "corrupt"),
]


@pytest.mark.parametrize("name,fmt,subtype,damage,match", DAMAGED, ids=[d[0] for d in DAMAGED])
def test_damaged_audio_is_refused_quietly(tmp_path, capfd, name, fmt, subtype, damage, match):
    good = tmp_path / ("good" + os.path.splitext(name)[1])
    path = tmp_path / name
    path.write_bytes(damage(_write(good, fmt, subtype)))
    with pytest.raises(AudioFileError, match=match) as e:
        io.load_audio(path)
    assert e.value.path == str(path)
    assert capfd.readouterr().err == ""  # no libmpg123/libsndfile output reaches stderr


SALVAGE = {"pcm_copying.wav", "ima_cut.wav", "ms_cut.wav", "float_cut.wav", "cut.aiff",
           "mid_frame.mp3"}


@pytest.mark.parametrize("name,fmt,subtype,damage,match",
                         [d for d in DAMAGED if d[0] in SALVAGE],
                         ids=[d[0] for d in DAMAGED if d[0] in SALVAGE])
def test_strict_false_returns_what_decodes_with_a_warning(tmp_path, capfd, name, fmt, subtype,
                                                          damage, match):
    good = tmp_path / ("good" + os.path.splitext(name)[1])
    path = tmp_path / name
    path.write_bytes(damage(_write(good, fmt, subtype)))
    with pytest.warns(io.AudioWarning, match=name):
        y, sr = io.load_audio(path, strict=False)
    assert sr == SR and 0 < len(y) < 2 * SR
    assert capfd.readouterr().err == ""


def test_truncated_wav_message_gives_promised_and_present_length(tmp_path):
    good = tmp_path / "g.wav"
    path = tmp_path / "copying.wav"
    path.write_bytes(_cut(_write(good, "WAV", "PCM_16"), 1 / 3))
    with pytest.raises(AudioFileError, match=r"promises 44100 frames \(2\.000 s\) but the file "
                                             r"holds 1468\d frames|promises 44100 frames"):
        io.load_audio(path)


# ---- valid but unusual audio is read ----------------------------------------------------------

def _id3_prefixed(data):
    return b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10) + data


UNUSUAL = [
    ("gsm.wav", "WAV", "GSM610", None),
    ("g721.wav", "WAV", "G721_32", None),
    ("nms.wav", "WAV", "NMS_ADPCM_16", None),
    ("w64_named.wav", "W64", "PCM_16", None),
    ("rf64.wav", "RF64", "PCM_16", None),
    ("id3.flac", "FLAC", "PCM_16", _id3_prefixed),
    ("junk.mp3", "MP3", "MPEG_LAYER_III", lambda d: b"\x00junk" * 100 + d),
    ("ulaw.wav", "WAV", "ULAW", None),
    ("pcm_u8.wav", "WAV", "PCM_U8", None),
    ("double.wav", "WAV", "DOUBLE", None),
]


@pytest.mark.parametrize("name,fmt,subtype,change", UNUSUAL, ids=[u[0] for u in UNUSUAL])
@pytest.mark.parametrize("offset", [0.0, 0.5])
def test_valid_unusual_audio_is_read(tmp_path, capfd, name, fmt, subtype, change, offset):
    tmp = tmp_path / ("src" + os.path.splitext(name)[1])
    data = _write(tmp, fmt, subtype)
    path = tmp_path / name
    path.write_bytes(change(data) if change else data)
    y, sr = io.load_audio(path, offset=offset)
    assert sr == SR and abs(len(y) - (2.0 - offset) * SR) < 0.1 * SR
    assert np.abs(y).max() > 0.3
    assert capfd.readouterr().err == ""  # an MP3 read with an offset is quiet too


def test_non_utf8_file_name(tmp_path):
    plain = tmp_path / "plain.wav"
    _write(plain, "WAV", "PCM_16")
    path = tmp_path / os.fsdecode(b"caf\xe9.wav")  # Latin-1 bytes: not valid UTF-8
    os.rename(plain, path)
    y, sr = io.load_audio(path)
    assert len(y) == 2 * SR


def test_m4a_through_the_shipped_ffmpeg(tmp_path, capfd):
    import subprocess

    import imageio_ffmpeg

    wav = tmp_path / "src.wav"
    _write(wav, "WAV", "PCM_16", sr=44100)
    m4a = tmp_path / "aac.m4a"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), "-c:a", "aac",
                    str(m4a)], check=True)
    y, sr = io.load_audio(m4a)
    assert sr == 44100 and abs(len(y) - len(_tone()) * 44100 / SR / 1) < 0.1 * 44100 + 2 * 44100
    assert capfd.readouterr().err == ""


# ---- float peaks ------------------------------------------------------------------------------

@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
def test_float_peaks_above_one_are_clipped_with_a_warning(tmp_path, subtype):
    y = _tone(0.5, amp=1.8)
    path = tmp_path / "hot.wav"
    sf.write(path, y, SR, subtype=subtype)
    with pytest.warns(io.AudioWarning, match=r"hot.wav: .*peak at 1\.8.*clipped"):
        out, _ = io.load_audio(path)
    assert out.max() == pytest.approx(1.0)


def test_float_within_range_loads_without_warning(tmp_path):
    path = tmp_path / "ok.wav"
    sf.write(path, _tone(0.5, amp=1.0), SR, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        io.load_audio(path)


# ---- caller mistakes are ParameterErrors naming the parameter ---------------------------------

@pytest.mark.parametrize("kwargs,name", [
    ({"offset": -0.5}, "offset"),
    ({"offset": float("nan")}, "offset"),
    ({"offset": "1"}, "offset"),
    ({"offset": float("inf")}, "offset"),
    ({"duration": -1.0}, "duration"),
    ({"duration": 0}, "duration"),
    ({"duration": float("nan")}, "duration"),
    ({"duration": "2"}, "duration"),
    ({"n_fft": 0}, "n_fft"),
    ({"n_fft": 2.5}, "n_fft"),
    ({"strict": "yes"}, "strict"),
    ({"offset": 5.0}, "offset"),  # past the end of the 2 s file
])
def test_bad_parameters_name_the_parameter(tmp_path, kwargs, name):
    path = tmp_path / "ok.wav"
    _write(path, "WAV", "PCM_16")
    with pytest.raises(ParameterError, match=f"^{name}=") as e:
        io.load_audio(path, **kwargs)
    assert not isinstance(e.value, AudioFileError)


def test_offset_past_the_end_gives_the_file_length(tmp_path):
    path = tmp_path / "ok.wav"
    _write(path, "WAV", "PCM_16")
    with pytest.raises(ParameterError, match=r"offset=5.0 s is at or past the end of .*ok.wav "
                                             r"\(2.000 s long\)"):
        io.load_audio(path, offset=5.0)


@pytest.mark.parametrize("call", [
    lambda: io.check_sr(0),
    lambda: io.validate_audio(np.zeros(4), sr=-1),
    lambda: io.resample(np.zeros(4), orig_sr=22050, target_sr=5),
    lambda: io.save_audio("x.mp4", np.zeros(4), sr=22050),
])
def test_parameter_errors_are_not_audio_file_errors(call):
    with pytest.raises(ParameterError) as e:
        call()
    assert not isinstance(e.value, AudioFileError)


# ---- not a regular file: each named for what it is --------------------------------------------

def test_fifo(tmp_path):
    path = tmp_path / "pipe.wav"
    os.mkfifo(path)
    with pytest.raises(AudioFileError, match="pipe.wav: is a FIFO"):
        io.load_audio(path)


def test_character_device():
    with pytest.raises(AudioFileError, match="/dev/zero: is a character device"):
        io.load_audio("/dev/zero")


def test_symlink_loop(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    os.symlink(b, a)
    os.symlink(a, b)
    with pytest.raises(AudioFileError, match="symbolic link loop"):
        io.load_audio(a)


def test_broken_symlink(tmp_path):
    link = tmp_path / "gone.wav"
    os.symlink(tmp_path / "nowhere.wav", link)
    with pytest.raises(AudioFileError, match="broken symbolic link"):
        io.load_audio(link)


def test_missing_file_is_file_not_found_with_errno(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.wav: no such audio file") as e:
        io.load_audio(tmp_path / "nope.wav")
    assert e.value.errno == errno.ENOENT


# ---- size guard before a whole-file load ------------------------------------------------------

def test_size_guard_names_the_file_and_the_size(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    _write(path, "WAV", "PCM_16")
    monkeypatch.setattr(io, "_available_memory", lambda: 100_000)
    with pytest.raises(AudioFileError, match=r"long.wav: holds .* GiB as float32\), more than "
                                             r"half the .* available; read a part"):
        io.load_audio(path)
    y, _ = io.load_audio(path, duration=0.1)  # a part fits
    assert len(y) == 2205


def test_flac_header_claiming_hours_is_refused_without_a_memory_error(tmp_path):
    path = tmp_path / "liar.flac"
    data = bytearray(_write(path, "FLAC", "PCM_16"))
    # STREAMINFO: total samples is the low 36 bits of bytes 18..22 of the block (after "fLaC")
    i = 4 + 4 + 13
    total = (data[i] & 0x0F) << 32 | int.from_bytes(data[i + 1:i + 5], "big")
    assert total == 2 * SR
    big = 10 * 3600 * SR
    data[i] = (data[i] & 0xF0) | (big >> 32)
    data[i + 1:i + 5] = (big & 0xFFFFFFFF).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    with pytest.raises(AudioFileError, match="liar.flac"):
        io.load_audio(path)


# ---- writing respects the umask ---------------------------------------------------------------

@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = io.save_audio(tmp_path / "u.wav", np.zeros(100), sr=SR)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode
