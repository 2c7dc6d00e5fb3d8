"""mirbook.convert against librosa's conversions."""

import librosa
import numpy as np
import pytest

from mirbook import convert
from mirbook.errors import ParameterError


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_matches_librosa(htk):
    f = np.array([0.0, 100.0, 999.0, 1000.0, 1001.0, 4000.0, 11025.0])
    assert np.allclose(convert.hz_to_mel(f, htk=htk), librosa.hz_to_mel(f, htk=htk), rtol=1e-12)
    m = convert.hz_to_mel(f, htk=htk)
    assert np.allclose(convert.mel_to_hz(m, htk=htk), f, rtol=1e-12, atol=1e-9)
    assert np.allclose(convert.mel_frequencies(n_mels=40, fmin=30.0, fmax=8000.0, htk=htk),
                       librosa.mel_frequencies(n_mels=40, fmin=30.0, fmax=8000.0, htk=htk),
                       rtol=1e-12)


def test_fft_and_midi_frequencies_match_librosa():
    assert np.allclose(convert.fft_frequencies(sr=22050, n_fft=2048),
                       librosa.fft_frequencies(sr=22050, n_fft=2048))
    midi = np.arange(21, 109)
    assert np.allclose(convert.midi_to_hz(midi), librosa.midi_to_hz(midi), rtol=1e-12)
    assert np.allclose(convert.hz_to_midi(librosa.midi_to_hz(midi)), midi)
    assert [convert.midi_to_note(m) for m in (21, 60, 61, 69, 108)] == [
        librosa.midi_to_note(m, unicode=False) for m in (21, 60, 61, 69, 108)]


@pytest.mark.parametrize("call, match", [
    (lambda: convert.fft_frequencies(sr=22050, n_fft=0), "n_fft"),
    (lambda: convert.fft_frequencies(sr=-1), "sr"),
    (lambda: convert.mel_frequencies(n_mels=0), "n_mels"),
    (lambda: convert.hz_to_midi(0.0), "positive"),
    (lambda: convert.midi_to_note(60.5), "midi"),
])
def test_parameter_errors(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
