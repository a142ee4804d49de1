"""Real music: beats, bars and chords heard in a recording become a dance; a model is measured on one."""

import hashlib

import numpy as np
import pytest
import soundfile as sf
import torch

from m2p_course import M2PEncoder
from m2p_course.real_music import (
    TEMPO_BANDS,
    RecordingDanceDataset,
    analyse_music,
    dance_for_recording,
    dance_recording,
    dance_report,
    dancer_for_tempo,
    librosa_beats,
)
from m2p_course.recordings import Recording, recordings, sample_path
from m2p_course.synthetic.choreography import DANCER_NAMES
from m2p_course.synthetic.music import synth_music


@pytest.fixture(scope="module")
def song():
    return synth_music(bpm=112, seconds=16, seed=3, style="pop")


@pytest.fixture(scope="module")
def analysis(song):
    return analyse_music(song.audio, song.sr)


def test_beats_are_the_songs_beats(song, analysis):
    # the tracker lands about one frame after each attack (as librosa's does): within 70 ms
    distance = np.abs(analysis.beat_times[:, None] - song.beat_times[None]).min(axis=1)
    assert np.mean(distance < 0.07) >= 0.9
    assert analysis.bpm == pytest.approx(112, rel=0.02)


def test_downbeats_and_chords_are_the_songs_bars(song, analysis):
    distance = np.abs(analysis.downbeat_times[:, None] - song.downbeat_times[None]).min(axis=1)
    assert np.mean(distance < 0.07) >= 0.8                 # the first, a pick-up bar, may start a beat late
    truth = [str(c) for c in song.chords]
    heard = list(analysis.chords[1:])                      # bar 0 is the pick-up
    assert np.mean([h == t for h, t in zip(heard, truth[1:], strict=False)]) >= 0.8
    assert set(analysis.sections) <= {"verse", "chorus"} and "chorus" in analysis.sections


def test_silence_and_a_drone_have_no_beats_to_dance_to():
    with pytest.raises(ValueError, match="silent"):
        analyse_music(np.zeros(15360 * 5, dtype=np.float32), 15360)
    drone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(15360 * 5) / 15360).astype(np.float32)
    with pytest.raises(ValueError, match="at least 4"):
        analyse_music(drone, 15360)


@pytest.mark.parametrize("bpm, dancer", [(70, "swayer"), (110, "waver"), (128, "bouncer"), (175, "robot")])
def test_dancer_by_tempo_band(bpm, dancer):
    assert dancer_for_tempo(bpm) == dancer
    assert {name for _, name in TEMPO_BANDS} == {"swayer", "waver", "bouncer", "robot"}


def test_the_dance_stops_on_the_beats_it_heard(song, analysis):
    _, dance = dance_for_recording(song.audio, song.sr)
    assert dance.shape == (analysis.num_frames, 134, 2)
    report = dance_report(dance, analysis.beat_frames, analysis.bpm, seed=0)
    assert report["bas"] > report["bas_random"] + 0.3
    assert report["bas_still"] == 0.0
    assert report["on_tempo"]


def _fake_training_recording(tmp_path, song):
    path = tmp_path / "pkg" / "song.wav"
    path.parent.mkdir(parents=True)
    sf.write(path, song.audio, song.sr)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Recording("fake", "Fake", "nobody", "pkg=1", "song.wav", "CC0", "test", "train", digest, 0.0, 16.0)


def test_recording_dataset_cuts_clips_of_the_synthetic_shape(tmp_path, song):
    rec = _fake_training_recording(tmp_path, song)
    data = RecordingDanceDataset([rec], root=tmp_path, seconds=4.0, cache_dir=tmp_path / "cache")
    assert len(data) == 4                                                  # 16 s in clips of 4 s
    item = data[1]
    assert item["music"].shape == (120, 4800) and item["pose"].shape == (120, 134, 2)
    assert item["dancer"].item() == DANCER_NAMES.index("waver")            # 112 BPM: the waver's band
    assert item["beat_frames"].min() >= 0 and item["beat_frames"].max() < 120
    again = RecordingDanceDataset([rec], root=tmp_path, seconds=4.0, cache_dir=tmp_path / "cache")   # from the cache
    assert torch.equal(again[1]["pose"], item["pose"])
    with pytest.raises(IndexError):
        data[4]


def test_evaluation_recordings_never_become_training_pairs():
    with pytest.raises(ValueError, match="evaluation"):
        RecordingDanceDataset(recordings("eval")[:1])
    with pytest.raises(TypeError, match="Recording"):
        RecordingDanceDataset(["subcities"])


def test_librosa_beats_at_the_pose_rate(song):
    beats, bpm = librosa_beats(song.audio, song.sr)
    assert bpm == pytest.approx(112, rel=0.03)
    assert np.all(np.diff(beats) > 0) and beats.max() < 16 * 30


@pytest.fixture(scope="module")
def tiny_dancer():
    torch.manual_seed(0)
    return M2PEncoder(hidden_dim=16, num_layers=1, num_heads=2, face_embed_dim=8, heatmap_size=(4, 4)).eval()


def test_dance_recording_on_the_shipped_sample(tiny_dancer):
    danced = dance_recording(tiny_dancer, sample_path(), seconds=6.0)
    assert danced.predicted.shape == danced.choreography.shape == (180, 134, 2)
    assert danced.name == sample_path().name and danced.sr == 15360 and len(danced.audio) == 6 * 15360
    r = danced.report
    assert {"bas", "bas_random", "bas_still", "bas_choreography", "speed", "tempo_ratio", "dancer"} <= set(r)
    assert r["bas_choreography"] > r["bas_random"]             # the choreography is on librosa's beats
    assert danced.song_dance().truth.shape == (180, 134, 2)


def test_dance_recording_errors(tiny_dancer, song):
    with pytest.raises(ValueError, match="sample rate"):
        dance_recording(tiny_dancer, song.audio)
    with pytest.raises(ValueError, match="own rate"):
        dance_recording(tiny_dancer, sample_path(), sr=22050)
    with pytest.raises(ValueError, match="at least 2 s"):
        dance_recording(tiny_dancer, song.audio, song.sr, seconds=1.0)
    with pytest.raises(FileNotFoundError):
        dance_recording(tiny_dancer, "no_such_song.ogg")
