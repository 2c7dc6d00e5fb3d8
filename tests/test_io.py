"""mirbook.io: loading audio, and every bad input named with its file and its problem."""

import numpy as np
import pytest
import soundfile as sf

from mirbook.errors import ParameterError
from mirbook.io import AudioFileError, atomic_path, check_sr, load_audio, resample, save_audio
from mirbook.signal import tone

SR = 22050


@pytest.fixture
def stereo(tmp_path):
    left = tone(440, sr=SR, duration=0.5, amplitude=0.5)
    right = tone(660, sr=SR, duration=0.5, amplitude=0.25)
    y = np.stack([left, right])
    path = tmp_path / "stereo.wav"
    sf.write(path, y.T, SR, subtype="PCM_16")
    return path, y


@pytest.mark.parametrize("fmt,subtype,ext,tol", [
    ("WAV", "PCM_16", ".wav", 1e-4),
    ("WAV", "FLOAT", ".wav", 1e-7),
    ("FLAC", "PCM_24", ".flac", 1e-6),
    ("OGG", "VORBIS", ".ogg", None),
    ("OGG", "OPUS", ".opus", None),
    ("MP3", "MPEG_LAYER_III", ".mp3", None),
])
def test_formats_load_as_float32_in_range(tmp_path, fmt, subtype, ext, tol):
    sr = 48000 if subtype == "OPUS" else 44100
    y = tone(997, sr=sr, duration=1.0, amplitude=0.5).astype(np.float32)
    path = tmp_path / f"x{ext}"
    sf.write(path, y, sr, format=fmt, subtype=subtype)
    out, out_sr = load_audio(path)
    assert out_sr == sr
    assert out.dtype == np.float32 and out.ndim == 1
    assert np.abs(out).max() <= 1.0
    if tol is not None:
        np.testing.assert_allclose(out, y, atol=tol)
    else:  # lossy: same length within the codec's padding, same tone
        spectrum = np.abs(np.fft.rfft(out[: sr // 2] * np.hanning(sr // 2)))
        peak_hz = np.argmax(spectrum) * sr / (sr // 2)
        assert abs(peak_hz - 997) < 5


def test_stereo_layouts(stereo):
    path, y = stereo
    mono, _ = load_audio(path)
    assert mono.shape == (y.shape[1],)
    np.testing.assert_allclose(mono, y.mean(axis=0), atol=1e-4)
    both, _ = load_audio(path, mono=False)
    assert both.shape == y.shape
    both2, _ = load_audio(path, channels=2)
    np.testing.assert_array_equal(both, both2)
    one, _ = load_audio(path, channels=1)
    np.testing.assert_array_equal(one, mono)


def test_mono_to_stereo_duplicates(tmp_path):
    path = tmp_path / "m.wav"
    sf.write(path, tone(220, sr=SR, duration=0.2, amplitude=0.3), SR)
    y, _ = load_audio(path, channels=2)
    assert y.shape[0] == 2
    np.testing.assert_array_equal(y[0], y[1])


def test_resampling_to_target_rate(tmp_path):
    path = tmp_path / "r.wav"
    sf.write(path, tone(1000, sr=44100, duration=1.0, amplitude=0.5), 44100, subtype="FLOAT")
    y, sr = load_audio(path, sr=16000)
    assert sr == 16000 and abs(len(y) - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    assert abs(np.argmax(spectrum) * sr / len(y) - 1000) < 2
    np.testing.assert_allclose(resample(y, orig_sr=16000, target_sr=16000), y)


def test_offset_and_duration(tmp_path):
    path = tmp_path / "ramp.wav"
    y = np.linspace(-0.5, 0.5, SR, dtype=np.float32)
    sf.write(path, y, SR, subtype="FLOAT")
    out, _ = load_audio(path, offset=0.5, duration=0.25)
    assert len(out) == SR // 4
    np.testing.assert_allclose(out, y[SR // 2: SR // 2 + SR // 4])


# ---- bad input: each problem named, with the file -------------------------------------------

def _msg(excinfo):
    return str(excinfo.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        load_audio(tmp_path / "nope.wav")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioFileError, match="empty file") as e:
        load_audio(path)
    assert "empty.wav" in _msg(e) and isinstance(e.value, ValueError)


def test_truncated_header(tmp_path, stereo):
    src, _ = stereo
    path = tmp_path / "trunc.wav"
    path.write_bytes(src.read_bytes()[:20])
    with pytest.raises(AudioFileError, match="truncated or corrupt WAV header") as e:
        load_audio(path)
    assert "trunc.wav" in _msg(e)


def test_truncated_flac_header(tmp_path):
    full = tmp_path / "full.flac"
    sf.write(full, tone(440, sr=SR, duration=0.3, amplitude=0.5), SR)
    path = tmp_path / "cut.flac"
    path.write_bytes(full.read_bytes()[:30])
    with pytest.raises(AudioFileError, match="cut.flac: truncated or corrupt FLAC header"):
        load_audio(path)


def test_not_audio(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are lecture notes, not a recording\n" * 20)
    with pytest.raises(AudioFileError, match="not an audio file") as e:
        load_audio(path)
    assert "notes.wav" in _msg(e)


def test_directory(tmp_path):
    with pytest.raises(AudioFileError, match="is a directory"):
        load_audio(tmp_path)


def test_zero_length_audio(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), SR)
    with pytest.raises(AudioFileError, match="zero-length audio") as e:
        load_audio(path)
    assert "zero.wav" in _msg(e)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_inf_samples(tmp_path, bad):
    y = tone(440, sr=SR, duration=0.1, amplitude=0.5).astype(np.float32)
    y[100] = bad
    path = tmp_path / "nan.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    with pytest.raises(AudioFileError, match="NaN/Inf sample.*sample 100") as e:
        load_audio(path)
    assert "nan.wav" in _msg(e)


@pytest.mark.parametrize("request_kw,error,match", [
    ({"channels": 2}, AudioFileError, "surround.wav: cannot make 2 channel"),
    ({"channels": 6}, ParameterError, "channels=6: only 1 \\(mono\\), 2 \\(stereo\\) or None"),
    ({"channels": 0}, ParameterError, "channels=0: only 1 \\(mono\\), 2 \\(stereo\\) or None"),
])
def test_unsupported_channel_layout(tmp_path, request_kw, error, match):
    """A layout the file cannot give is the file's problem; a layout that does not exist is the
    caller's (a ParameterError naming the parameter)."""
    path = tmp_path / "surround.wav"
    sf.write(path, np.zeros((1000, 6), dtype=np.float32) + 0.1, SR)
    with pytest.raises(error, match=match):
        load_audio(path, **request_kw)


@pytest.mark.parametrize("sr", [0, -44100, 10, 10_000_000, 44100.5, float("nan"), "44100"])
def test_absurd_requested_rate(stereo, sr):
    """A caller mistake: a ParameterError naming ``sr``, not an AudioFileError blaming the file."""
    path, _ = stereo
    with pytest.raises(ParameterError, match="sample rate|Hz") as e:
        load_audio(path, sr=sr)
    assert _msg(e).startswith("sr=") and not isinstance(e.value, AudioFileError)


def test_absurd_file_rate(tmp_path):
    path = tmp_path / "slow.wav"
    sf.write(path, np.zeros(100, dtype=np.float32), 100)  # 100 Hz: a valid header, an absurd rate
    with pytest.raises(AudioFileError, match="slow.wav: the file's sr=100 Hz is absurd"):
        load_audio(path)


def test_too_short_for_n_fft(tmp_path):
    path = tmp_path / "blip.wav"
    sf.write(path, tone(440, sr=SR, duration=0.01, amplitude=0.5), SR)
    with pytest.raises(AudioFileError, match="220 samples long, shorter than n_fft=2048") as e:
        load_audio(path, n_fft=2048)
    assert "blip.wav" in _msg(e)
    y, _ = load_audio(path, n_fft=128)
    assert len(y) == 220


def test_check_sr_accepts_integral_floats():
    assert check_sr(44100.0) == 44100
    with pytest.raises(ParameterError, match="positive"):
        check_sr(0)
    with pytest.raises(ParameterError, match="absurd"):
        check_sr(999)


# ---- writing -------------------------------------------------------------------------------

def test_save_audio_round_trip_and_atomic(tmp_path):
    y = tone(440, sr=SR, duration=0.2, amplitude=0.5)
    path = save_audio(tmp_path / "out.flac", y, sr=SR)
    out, sr = load_audio(path)
    assert sr == SR
    np.testing.assert_allclose(out, y, atol=1e-4)
    assert [p.name for p in tmp_path.iterdir()] == ["out.flac"]


def test_save_audio_rejects_nan_and_leaves_nothing(tmp_path):
    y = np.full(100, np.nan)
    with pytest.raises(AudioFileError, match="bad.wav: .*NaN"):
        save_audio(tmp_path / "bad.wav", y, sr=SR)
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_cleans_up_on_error(tmp_path):
    target = tmp_path / "x.bin"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


@pytest.mark.parametrize("name,kind", [("notes.mp3", "MP3"), ("notes.flac", "FLAC"), ("notes.ogg", "Ogg")])
def test_content_not_matching_extension_is_refused_quietly(tmp_path, capfd, name, kind):
    """The decoder never sees it, so no C library prints on stderr (the book fails on stderr)."""
    path = tmp_path / name
    path.write_text("not a recording")
    with pytest.raises(AudioFileError, match=f"extension says {kind}") as e:
        load_audio(path)
    assert name in str(e.value)
    assert capfd.readouterr().err == ""
