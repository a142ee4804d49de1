"""Tests for m2p_course.audio: reading every format, mono mixing, resampling, and each error."""

import numpy as np
import pytest
import soundfile as sf
import torch

from m2p_course.audio import SILENCE_PEAK, load_audio, validate_audio

SR = 44100


def tone(freq=440.0, seconds=1.0, sr=SR, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(y, sr):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.argmax(spectrum) * sr / len(y)


# -----------------------------------------------------------------------------
# reading files


def test_wav_reads_as_mono_float32_at_file_rate(tmp_path):
    y = tone()
    sf.write(tmp_path / "a.wav", y, SR, subtype="FLOAT")
    out, sr = load_audio(tmp_path / "a.wav")
    assert sr == SR and out.dtype == np.float32 and out.shape == y.shape
    np.testing.assert_array_equal(out, y)


def test_stereo_is_averaged_to_mono(tmp_path):
    left, right = tone(440.0), tone(660.0, amp=0.25)
    sf.write(tmp_path / "s.wav", np.stack([left, right], axis=1), SR, subtype="FLOAT")
    out, _ = load_audio(str(tmp_path / "s.wav"))
    np.testing.assert_allclose(out, (left + right) / 2, atol=1e-7)


def test_resample_on_request_keeps_pitch(tmp_path):
    sf.write(tmp_path / "a.wav", tone(440.0), SR)
    out, sr = load_audio(tmp_path / "a.wav", sr=16000)
    assert sr == 16000 and out.dtype == np.float32
    assert abs(len(out) - 16000) <= 1
    assert abs(peak_hz(out, sr) - 440.0) < 2.0


def test_flac_round_trip_is_lossless_to_16_bit(tmp_path):
    y = tone(330.0)
    sf.write(tmp_path / "a.flac", y, SR, subtype="PCM_16")
    out, sr = load_audio(tmp_path / "a.flac")
    assert sr == SR and out.shape == y.shape
    assert np.max(np.abs(out - y)) <= 1 / 32768 + 1e-7


@pytest.mark.parametrize("fmt, suffix", [("OGG", "ogg"), ("MP3", "mp3")])
def test_lossy_round_trip_keeps_length_and_pitch(tmp_path, fmt, suffix):
    y = tone(523.25, seconds=1.5)
    path = tmp_path / f"a.{suffix}"
    sf.write(path, y, SR, format=fmt)
    out, sr = load_audio(path)
    assert sr == SR and out.dtype == np.float32
    assert abs(len(out) - len(y)) < 0.06 * SR  # mp3 frames may pad the end a little
    assert abs(peak_hz(out, sr) - 523.25) < 2.0
    assert 0.3 < np.max(np.abs(out)) < 0.7


# -----------------------------------------------------------------------------
# file errors


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        load_audio(tmp_path / "nope.wav")


def test_directory_is_not_audio(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        load_audio(tmp_path)


def test_path_must_be_a_path():
    with pytest.raises(TypeError, match="path"):
        load_audio(42)


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00\x00\x00WAVEjunk", bytes(range(256)) * 40])
def test_corrupted_file(tmp_path, content):
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="could not read audio file .*broken.wav"):
        load_audio(path)


def test_truncated_flac(tmp_path):
    path = tmp_path / "cut.flac"
    sf.write(path, tone(), SR)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="cut.flac"):
        load_audio(path)


def test_empty_audio_file(tmp_path):
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), SR)
    with pytest.raises(ValueError, match="empty.wav.*empty"):
        load_audio(tmp_path / "empty.wav")


def test_silent_audio_file(tmp_path):
    sf.write(tmp_path / "quiet.wav", np.zeros(SR, np.float32), SR)
    with pytest.raises(ValueError, match="quiet.wav.*silent"):
        load_audio(tmp_path / "quiet.wav")


@pytest.mark.parametrize("bad, word", [(np.nan, "1 NaN"), (np.inf, "1 Inf")])
def test_non_finite_samples_in_file(tmp_path, bad, word):
    y = tone()
    y[1000] = bad
    sf.write(tmp_path / "bad.wav", y, SR, subtype="FLOAT")
    with pytest.raises(ValueError, match=f"bad.wav.*{word}"):
        load_audio(tmp_path / "bad.wav")


def test_shorter_than_one_pose_frame(tmp_path):
    sf.write(tmp_path / "blip.wav", tone(seconds=1000 / SR), SR, subtype="FLOAT")  # 1000 samples
    with pytest.raises(ValueError, match="blip.wav.*shorter than one pose frame at 30 fps"):
        load_audio(tmp_path / "blip.wav")
    y, _ = load_audio(tmp_path / "blip.wav", fps=60)  # 60 fps: a frame is 735 samples
    assert len(y) == 1000


@pytest.mark.parametrize("sr, err", [(0, ValueError), (-16000, ValueError), (16000.0, TypeError), (True, TypeError)])
def test_bad_target_rate(tmp_path, sr, err):
    sf.write(tmp_path / "a.wav", tone(), SR)
    with pytest.raises(err, match="sr must be a positive int"):
        load_audio(tmp_path / "a.wav", sr=sr)


# -----------------------------------------------------------------------------
# arrays


def test_validate_mono_and_channels_first():
    y = tone()
    np.testing.assert_array_equal(validate_audio(y, SR), y)
    stereo = np.stack([y, -0.5 * y]).astype(np.float64)
    out = validate_audio(stereo, SR)
    assert out.dtype == np.float32 and out.shape == y.shape
    np.testing.assert_allclose(out, 0.25 * y, atol=1e-7)


def test_validate_rejects_samples_by_channels():
    with pytest.raises(ValueError, match=r"\(44100, 2\).*pass y.T"):
        validate_audio(np.zeros((SR, 2), np.float32) + 0.1, SR)


def test_validate_rejects_wrong_rank():
    with pytest.raises(ValueError, match=r"1-D float array .*got shape \(2, 3, 4\)"):
        validate_audio(np.ones((2, 3, 4), np.float32), SR)


@pytest.mark.parametrize(
    "y, match",
    [
        ([0.1, 0.2] * 1000, "numpy array .*got list"),
        (torch.ones(2000), r"tensor.numpy\(\)"),
        ((tone() * 32767).astype(np.int16), "dtype int16; for 16-bit PCM divide by 32768"),
        (np.ones(2000, dtype=complex), "dtype complex128"),
    ],
)
def test_validate_rejects_wrong_types(y, match):
    with pytest.raises(TypeError, match=match):
        validate_audio(y, SR)


def test_validate_names_the_source_and_the_problem():
    with pytest.raises(ValueError, match="my clip: the audio is empty"):
        validate_audio(np.zeros(0, np.float32), SR, source="my clip")
    y = tone()
    y[[5, 9]] = np.nan
    y[7] = -np.inf
    with pytest.raises(ValueError, match="2 NaN and 1 Inf samples .first at sample 5"):
        validate_audio(y, SR)


def test_silence_threshold_and_cancelling_stereo():
    quiet = tone(amp=0.5 * SILENCE_PEAK)
    with pytest.raises(ValueError, match="silent"):
        validate_audio(quiet, SR)
    assert validate_audio(tone(amp=2 * SILENCE_PEAK), SR).shape == (SR,)
    y = tone()
    with pytest.raises(ValueError, match="silent"):  # opposite phases cancel in the mono mix
        validate_audio(np.stack([y, -y]), SR)


def test_validate_min_length_follows_fps():
    y = tone(seconds=1.0, sr=16000)[:533]  # one frame: 16000 / 30 = 533.3 samples
    with pytest.raises(ValueError, match="533 samples .*shorter than one pose frame at 30 fps"):
        validate_audio(y, 16000, fps=30)
    assert validate_audio(y, 16000, fps=31).shape == (533,)


@pytest.mark.parametrize("fps, err", [(0, ValueError), (2.5, TypeError)])
def test_validate_bad_fps(fps, err):
    with pytest.raises(err, match="fps must be a positive int"):
        validate_audio(tone(), SR, fps=fps)
