"""Tests for m2p_course.synthetic.music: the course's deterministic music synthesiser."""

import math

import librosa
import numpy as np
import pytest
import soundfile as sf

from m2p_course.synthetic.music import (
    PEAK,
    PROGRESSIONS,
    SCALES,
    STYLES,
    SynthSong,
    default_song,
    parse_key,
    synth_music,
    write_wav,
)


@pytest.fixture(scope="module")
def songs() -> dict[str, SynthSong]:
    """One 8-second song per style, shared by the tests that only read it."""
    return {style: synth_music(bpm=120, seconds=8.0, seed=0, style=style) for style in STYLES}


# -----------------------------------------------------------------------------
# determinism and the seed


def test_same_arguments_give_identical_song():
    a = synth_music(bpm=100, seconds=5.0, seed=3, style="hiphop")
    b = synth_music(bpm=100, seconds=5.0, seed=np.int64(3), style="hiphop")
    assert np.array_equal(a.audio, b.audio)
    assert all(np.array_equal(a.stems[name], b.stems[name]) for name in a.stems)
    assert np.array_equal(a.beat_times, b.beat_times)
    assert a.chords == b.chords and a.key == b.key and a.sections == b.sections


def test_different_seeds_give_different_songs():
    a = synth_music(seconds=4.0, seed=0)
    b = synth_music(seconds=4.0, seed=1)
    assert a.audio.shape == b.audio.shape
    assert np.abs(a.audio - b.audio).mean() > 0.01
    # over a few seeds, the key and the progressions vary too
    variants = {(s.key, tuple(s.chord_names)) for s in (synth_music(seconds=8.0, seed=k) for k in range(6))}
    assert len(variants) >= 4


# -----------------------------------------------------------------------------
# the audio


@pytest.mark.parametrize("style", sorted(STYLES))
def test_audio_format_and_stems(songs, style):
    song = songs[style]
    assert song.audio.dtype == np.float32 and song.audio.ndim == 1
    assert len(song.audio) == round(8.0 * song.sr) and song.duration == pytest.approx(8.0)
    assert np.all(np.isfinite(song.audio))
    assert float(np.abs(song.audio).max()) == pytest.approx(PEAK, abs=1e-6)
    assert set(song.stems) == {"drums", "bass", "chords", "melody"}
    assert np.allclose(sum(song.stems.values()), song.audio, atol=1e-5)
    for name, stem in song.stems.items():
        assert stem.shape == song.audio.shape and stem.dtype == np.float32
        assert np.sqrt(np.mean(stem**2)) > 0.005, f"{name} is (nearly) silent"


def test_sample_rate_and_length_follow_the_arguments():
    song = synth_music(seconds=2.3, sr=8000, seed=2, style="house")
    assert song.sr == 8000 and len(song.audio) == 18400
    assert np.all(np.isfinite(song.audio)) and float(np.abs(song.audio).max()) <= 1.0


def test_arrays_are_read_only(songs):
    song = songs["pop"]
    for array in (song.audio, song.beat_times, song.downbeat_times, song.stems["drums"]):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0


def test_a_drum_hit_starts_on_every_beat(songs):
    # the drum stem's onset strength peaks within 3 frames (35 ms) of every ground-truth beat
    for song in songs.values():
        onset = librosa.onset.onset_strength(y=song.stems["drums"], sr=song.sr, hop_length=256)
        frames = librosa.time_to_frames(song.beat_times[1:], sr=song.sr, hop_length=256)
        at_beats = np.array([onset[f : f + 3].max() for f in frames])
        assert at_beats.min() > 4 * onset.mean(), f"{song.style}: a beat without a drum onset"


# -----------------------------------------------------------------------------
# the ground truth


@pytest.mark.parametrize(
    "bpm, seconds, style, beats_per_bar, num_beats",
    [
        (120, 8.0, "pop", None, 16),  # a whole number of beats: the beat at 8.0 s is past the end
        (90, 10.0, "house", None, 15),
        (137.5, 7.3, "hiphop", None, 17),  # 7.3 s * 137.5 / 60 = 16.73 -> beats 0..16
        (150, 9.0, "waltz", None, 23),
        (100, 6.0, "pop", 5, 10),
    ],
)
def test_beats_bars_and_chords(bpm, seconds, style, beats_per_bar, num_beats):
    song = synth_music(bpm=bpm, seconds=seconds, style=style, beats_per_bar=beats_per_bar)
    expected_bpb = beats_per_bar or (3 if style == "waltz" else 4)
    assert song.bpm == bpm and song.beats_per_bar == expected_bpb
    assert len(song.beat_times) == num_beats == math.ceil(seconds * bpm / 60)
    assert song.beat_times[0] == 0.0 and song.beat_times[-1] < song.duration
    assert np.allclose(np.diff(song.beat_times), 60 / bpm)
    assert np.array_equal(song.downbeat_times, song.beat_times[::expected_bpb])
    num_bars = math.ceil(num_beats / expected_bpb)
    assert song.num_bars == len(song.chords) == len(song.sections) == len(song.downbeat_times) == num_bars
    for bar, chord in enumerate(song.chords):
        assert chord.bar == bar and chord.start == pytest.approx(song.downbeat_times[bar])
        assert chord.end == pytest.approx(min(chord.start + expected_bpb * 60 / bpm, song.duration))


def test_sections_alternate_every_four_bars():
    song = synth_music(bpm=160, seconds=30.0, seed=4)  # 20 bars
    assert song.sections == tuple(["verse"] * 4 + ["chorus"] * 4) * 2 + tuple(["verse"] * 4)
    verse = [c.roman for c in song.chords[0:4]]
    chorus = [c.roman for c in song.chords[4:8]]
    assert verse != chorus
    assert [c.roman for c in song.chords[8:12]] == verse and [c.roman for c in song.chords[12:16]] == chorus


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("key", [None, "C", "Bb", "F#m", "Ebm"])
def test_chords_belong_to_the_key_and_follow_a_progression(seed, key):
    song = synth_music(seconds=16.0, seed=seed, key=key)
    tonic, mode = parse_key(song.key)
    scale = {(tonic + step) % 12 for step in SCALES[mode]}
    for chord in song.chords:
        assert {note % 12 for note in chord.notes} <= scale, f"{chord} is not in {song.key}"
        assert chord.notes[0] % 12 == chord.root and parse_key(chord.name.removesuffix("dim"))[0] == chord.root
    named = {"-".join(p) for p in ([c.roman for c in song.chords[:4]], [c.roman for c in song.chords[4:8]])}
    assert named <= set(PROGRESSIONS[mode])
    if key is not None:
        assert song.key == key
        accidentals = {name[1] for name in song.chord_names if name[1:2] in ("#", "b")}
        assert accidentals <= ({"b"} if "b" in key else {"#"}), song.chord_names


def test_the_tonal_parts_sound_the_chord_of_each_bar(songs):
    # chroma of bass + chords + melody: in every bar the chord's pitch classes clearly dominate
    for song in songs.values():
        tonal = song.stems["bass"] + song.stems["chords"] + song.stems["melody"]
        chroma = librosa.feature.chroma_cqt(y=tonal, sr=song.sr)
        frame_times = librosa.frames_to_time(np.arange(chroma.shape[1]), sr=song.sr)
        for chord in song.chords:
            energy = chroma[:, (frame_times >= chord.start) & (frame_times < chord.end)].mean(axis=1)
            tones = sorted({note % 12 for note in chord.notes})
            others = [pc for pc in range(12) if pc not in tones]
            assert energy[tones].mean() > 2.5 * energy[others].mean(), f"{song.style} bar {chord.bar} ({chord})"


# -----------------------------------------------------------------------------
# the beat tracker hears the true tempo


@pytest.mark.parametrize("bpm", [90, 120, 140])
@pytest.mark.parametrize("style", sorted(STYLES))
def test_librosa_finds_the_true_tempo_and_beats(style, bpm):
    song = synth_music(bpm=bpm, seconds=8.0, seed=bpm, style=style)
    # librosa picks its tempo from the lags of an autocorrelation of onset frames; at the default
    # hop of 512 samples the lags next to 120 BPM are 117.5 and 123.0 BPM (both 2.5 % off) and
    # its tracker then drifts, so listen at hop 256, where neighbouring lags are ~1.5 % apart
    tempo, beats = librosa.beat.beat_track(y=song.audio, sr=song.sr, hop_length=256, units="time")
    assert abs(float(tempo[0]) / bpm - 1) < 0.02, f"librosa heard {float(tempo[0]):.1f} BPM"
    assert len(beats) >= 0.8 * len(song.beat_times)
    slope = np.polyfit(np.arange(len(beats)), beats, 1)[0]  # seconds per tracked beat
    assert abs(60 / slope / bpm - 1) < 0.02
    # the tracked beats sit on the true ones (librosa reports about one frame late)
    distance = np.abs(beats[:, None] - song.beat_times[None, :]).min(axis=1)
    assert np.median(distance) < 0.05


# -----------------------------------------------------------------------------
# the default song, speed


def test_default_song_is_shared_and_fixed():
    song = default_song()
    assert default_song() is song
    assert (song.style, song.bpm, song.key, song.sr, song.beats_per_bar) == ("pop", 120.0, "C", 22050, 4)
    assert song.duration == pytest.approx(24.0) and song.num_bars == 12
    assert song.chord_names[:4] == ["C", "Am", "F", "G"]


# -----------------------------------------------------------------------------
# bad arguments


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(bpm=59.9), ValueError, r"^bpm must be a finite number in \[60, 200\], got 59.9$"),
        (dict(bpm=201), ValueError, r"^bpm must be a finite number in \[60, 200\], got 201.0$"),
        (dict(bpm=float("nan")), ValueError, r"^bpm must be a finite number in \[60, 200\], got nan$"),
        (dict(bpm="120"), TypeError, r"^bpm must be a finite number in \[60, 200\], got str '120'$"),
        (dict(bpm=True), TypeError, "bpm must be a finite number in .*, got bool True"),
        (dict(seconds=0), ValueError, r"^seconds must be a finite number in \[0.1, 600\], got 0.0$"),
        (dict(seconds=-1.0), ValueError, "seconds must be a finite number in .*, got -1.0"),
        (dict(seconds=600.5), ValueError, "seconds must be a finite number in .*, got 600.5"),
        (dict(seconds=float("inf")), ValueError, "seconds must be a finite number in .*, got inf"),
        (dict(seconds=None), TypeError, "seconds must be a finite number in .*, got NoneType None"),
        (dict(seed=-1), ValueError, "seed must be in"),
        (dict(seed=1.5), TypeError, "seed must be an int, got float"),
        (dict(style="polka"), ValueError,
         r"unknown style 'polka'; valid styles are \['hiphop', 'house', 'pop', 'waltz'\]"),
        (dict(style=3), TypeError, "style must be a str"),
        (dict(sr=22050.0), TypeError, "sr must be an int, got float"),
        (dict(sr=7999), ValueError, r"sr must be in \[8000, 192000\], got 7999"),
        (dict(key="H"), ValueError, "expected a key like 'C', 'F#', 'Bb' .* got 'H'"),
        (dict(key="c"), ValueError, "expected a key like"),
        (dict(key="C major"), ValueError, "expected a key like"),
        (dict(key=5), TypeError, "key must be a str"),
        (dict(beats_per_bar=1), ValueError, r"beats_per_bar must be in \[2, 8\], got 1"),
        (dict(beats_per_bar=3.0), TypeError, "beats_per_bar must be an int"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        synth_music(**kwargs)


# -----------------------------------------------------------------------------
# write_wav


def test_write_wav_round_trip(tmp_path, songs):
    song = songs["waltz"]
    path = write_wav(song, tmp_path / "waltz.wav")
    audio, sr = sf.read(path, dtype="float32")
    assert sr == song.sr and audio.shape == song.audio.shape
    assert np.abs(audio - song.audio).max() <= 1 / 32768 + 1e-7  # 16-bit PCM

    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)).astype(np.float64)
    path = write_wav(tone, str(tmp_path / "tone.WAV"), sr=8000)
    audio, sr = sf.read(path)
    assert sr == 8000 and np.abs(audio - tone).max() <= 1 / 32768 + 1e-7


@pytest.mark.parametrize(
    "what, name, sr, error, message",
    [
        ("array", "a.wav", None, ValueError, "sr is required"),
        ("song", "a.wav", 44100, ValueError, "sr=44100 conflicts with the song's sr=22050"),
        ("song", "a.mp3", None, ValueError, "expected a path ending in .wav"),
        ("song", "missing/a.wav", None, FileNotFoundError, "does not exist"),
        ("stereo", "a.wav", 8000, ValueError, r"expected a non-empty 1-D float array .* shape \(100, 2\)"),
        ("loud", "a.wav", 8000, ValueError, "audio peak 2.000 > 1.0 would clip"),
        ("nan", "a.wav", 8000, ValueError, "NaN or Inf"),
        ("list", "a.wav", 8000, TypeError, "expected a SynthSong or a numpy array"),
    ],
)
def test_write_wav_errors(tmp_path, songs, what, name, sr, error, message):
    inputs = {
        "array": np.zeros(100, dtype=np.float32),
        "song": songs["pop"],
        "stereo": np.zeros((100, 2), dtype=np.float32),
        "loud": np.full(100, 2.0),
        "nan": np.array([0.0, np.nan]),
        "list": [0.0, 0.1],
    }
    with pytest.raises(error, match=message):
        write_wav(inputs[what], tmp_path / name, sr=sr)
    assert not (tmp_path / name).exists()
