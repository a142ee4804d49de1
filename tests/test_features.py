"""Tests for m2p_course.features: the recipe arithmetic, [T, 4800] on real-sounding music,
the T rule, normalisation, context stacking, the batch helper and precomputed features."""

import dataclasses
from fractions import Fraction

import librosa
import numpy as np
import pytest
import soundfile as sf

from m2p_course.features import (
    DEFAULT_RECIPE,
    EDGE_BASELINE_RECIPE,
    FeatureGroup,
    FeatureRecipe,
    extract_features_batch,
    extract_music_features,
    frame_descriptors,
    load_precomputed_features,
    num_pose_frames,
    stack_context,
    track_beats,
)
from m2p_course.synthetic.music import synth_music

SR = 22050
R = DEFAULT_RECIPE


def numpy_music(seconds: float, bpm: float = 120.0, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A music-like test signal: kick on every beat, hi-hat off-beats, a chord per bar, noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = 0.005 * rng.standard_normal(n)
    beat = 60.0 / bpm
    for k in range(int(seconds / beat) + 1):
        for start, hit in ((k * beat, "kick"), ((k + 0.5) * beat, "hat")):
            s = int(start * sr)
            length = min(int(0.15 * sr), n - s)
            if length <= 0:
                continue
            t = np.arange(length) / sr
            if hit == "kick":
                y[s:s + length] += 0.8 * np.sin(2 * np.pi * (50 + 100 * np.exp(-30 * t)) * t) * np.exp(-20 * t)
            else:
                y[s:s + length] += 0.1 * rng.standard_normal(length) * np.exp(-120 * t)
    chords = ([261.6, 329.6, 392.0], [220.0, 261.6, 329.6], [174.6, 220.0, 261.6], [196.0, 246.9, 293.7])
    bar = 4 * beat
    for i in range(int(np.ceil(seconds / bar))):
        s, e = int(i * bar * sr), min(int((i + 1) * bar * sr), n)
        t = np.arange(e - s) / sr
        for f in chords[i % 4]:
            y[s:e] += 0.1 * np.sin(2 * np.pi * f * t) * np.exp(-0.7 * t)
    return (0.9 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="module")
def music():
    return numpy_music(8.0)


@pytest.fixture(scope="module")
def music_features(music):
    return extract_music_features(music, sr=SR)


@pytest.fixture(scope="module")
def music_descriptors(music):
    return frame_descriptors(music, SR)


@pytest.fixture(scope="module")
def song():
    return synth_music(bpm=120, seconds=8, seed=0)


# -----------------------------------------------------------------------------
# the recipe


def test_default_recipe_arithmetic():
    sizes = {g.name: g.size for g in R.groups}
    assert sizes == {"mfcc": 20, "chroma": 12, "spectral_contrast": 7, "tonnetz": 6,
                     "onset_envelope": 1, "local_tempo": 1, "beat": 1}
    assert R.frame_dim == 48
    assert R.context == 100 and R.hop == 512
    assert R.dim == 4800
    assert R.sample_rate(30) == 15360 and R.sample_rate(60) == 30720


def test_edge_baseline_recipe():
    assert [(g.name, g.size) for g in EDGE_BASELINE_RECIPE.groups] == [
        ("onset_envelope", 1), ("mfcc", 20), ("chroma", 12), ("onset_peak", 1), ("beat", 1)]
    assert EDGE_BASELINE_RECIPE.context == 1
    assert EDGE_BASELINE_RECIPE.frame_dim == EDGE_BASELINE_RECIPE.dim == 35


def test_breakdown_columns_tile_the_frame():
    rows = R.breakdown()
    assert [r["group"] for r in rows] == [g.name for g in R.groups]
    columns = [c for r in rows for c in r["columns"]]
    assert columns == list(range(R.frame_dim))
    assert all(len(r["columns"]) == r["size"] for r in rows)
    assert R.group_columns("chroma") == slice(20, 32)
    assert {r["normalisation"] for r in rows} == {"z-score per clip", "log2(bpm / 120)", "0/1"}


def test_describe_shows_the_arithmetic():
    text = R.describe()
    for piece in ("mfcc", "tonnetz", "local_tempo", "48", "x context 100", "-50..+49", "= dim 4800",
                  "offset_index * 48 + k", "15360 Hz"):
        assert piece in text, piece
    assert "= dim 35" in EDGE_BASELINE_RECIPE.describe()


def test_custom_recipe_width():
    recipe = FeatureRecipe((FeatureGroup("mfcc", 40), FeatureGroup("chroma", 12)), context=8)
    assert recipe.frame_dim == 52 and recipe.dim == 416


@pytest.mark.parametrize(
    "make, err, match",
    [
        (lambda: FeatureGroup("loudness", 1), ValueError, "unknown feature group 'loudness'"),
        (lambda: FeatureGroup("chroma", 24), ValueError, "'chroma' has 12 values per frame, got size 24"),
        (lambda: FeatureGroup("mfcc", 0), ValueError, "positive int"),
        (lambda: FeatureGroup("mfcc", 129), ValueError, "1..128"),
        (lambda: FeatureGroup("mfcc", 20.0), TypeError, "positive int"),
        (lambda: FeatureRecipe(()), TypeError, "non-empty sequence of FeatureGroup"),
        (lambda: FeatureRecipe(("mfcc",)), TypeError, "FeatureGroup"),
        (lambda: FeatureRecipe((FeatureGroup("beat", 1),) * 2), ValueError, "once"),
        (lambda: FeatureRecipe(R.groups, context=0), ValueError, "context must be a positive int"),
        (lambda: FeatureRecipe(R.groups, hop=512.0), TypeError, "hop must be a positive int"),
        (lambda: FeatureRecipe(R.groups, hop=1024, n_fft=512), ValueError, "n_fft .512. must be at least hop"),
        (lambda: R.group_columns("onset_peak"), KeyError, "no group 'onset_peak'"),
        (lambda: R.sample_rate(10), ValueError, "5120 Hz is below 8000 Hz"),
    ],
)
def test_recipe_errors(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_recipe_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        R.context = 50


# -----------------------------------------------------------------------------
# features on music


def assert_no_constant_column(features):
    spread = np.ptp(features, axis=0)
    assert np.all(spread > 0), f"constant columns: {np.flatnonzero(spread == 0)[:10]}"


def test_music_features_shape_dtype(music, music_features):
    assert music_features.shape == (num_pose_frames(len(music), SR, 30), 4800) == (240, 4800)
    assert music_features.dtype == np.float32
    assert np.isfinite(music_features).all()


def test_no_constant_column_on_numpy_music(music_features):
    assert_no_constant_column(music_features)


def test_synth_song_gives_4800_and_no_constant_column(song):
    features = extract_music_features(song.audio, sr=song.sr)
    assert features.shape == (int(len(song.audio) * 30 // song.sr), 4800)
    assert_no_constant_column(features)


def test_group_normalisation(music_descriptors):
    d = music_descriptors.astype(np.float64)
    for g in R.groups:
        block = d[:, R.group_columns(g.name)]
        if g.normalisation == "z-score per clip":
            np.testing.assert_allclose(block.mean(axis=0), 0.0, atol=1e-5)
            np.testing.assert_allclose(block.std(axis=0), 1.0, atol=1e-4)
        elif g.normalisation == "0/1":
            assert set(np.unique(block)) == {0.0, 1.0}


def test_tempo_and_beats_follow_the_music(music_descriptors):
    bpm = 120 * 2 ** music_descriptors[:, R.group_columns("local_tempo")].ravel()
    assert np.all(np.abs(bpm - 120) < 1.5), (bpm.min(), bpm.max())
    beats = np.flatnonzero(music_descriptors[:, R.group_columns("beat")].ravel())
    assert len(beats) >= 12
    assert np.median(np.diff(beats)) == 15  # 0.5 s at 30 fps


def test_local_tempo_changes_over_time():
    y = np.concatenate([numpy_music(10.0, bpm=100), numpy_music(10.0, bpm=140, seed=1)])
    bpm = 120 * 2 ** frame_descriptors(y, SR)[:, R.group_columns("local_tempo")].ravel()
    first, last = np.median(bpm[:120]), np.median(bpm[-120:])
    assert abs(first - 100) < 3 and abs(last - 140) < 4, (first, last)


def zscore(x):
    return (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)


def test_shared_stft_equals_librosa_per_feature_calls(music, music_descriptors):
    """Each group from the one shared STFT equals librosa's own call on the audio."""
    rate, hop, T = 15360, 512, len(music_descriptors)
    y = librosa.resample(music, orig_sr=SR, target_sr=rate)
    direct = {
        "mfcc": librosa.feature.mfcc(y=y, sr=rate, n_mfcc=20, hop_length=hop),
        "chroma": librosa.feature.chroma_stft(y=y, sr=rate, hop_length=hop, norm=2),
        "spectral_contrast": librosa.feature.spectral_contrast(y=y, sr=rate, hop_length=hop),
        "onset_envelope": librosa.onset.onset_strength(y=y, sr=rate, hop_length=hop)[None],
    }
    for name, values in direct.items():
        ours = music_descriptors[:, R.group_columns(name)].T
        np.testing.assert_allclose(ours, zscore(values[:, :T]), atol=2e-3, err_msg=name)


def test_track_beats_equals_librosa_beat_track():
    """The numpy beat tracker gives librosa.beat.beat_track's beats (same envelope and tempo)."""
    import librosa.beat  # compiles librosa's numba beat kernels: a few seconds

    clips = [(numpy_music(8.0, bpm=bpm), SR) for bpm in (100, 120)]
    clips += [(s.audio, s.sr) for s in (synth_music(bpm=bpm, seconds=8, seed=bpm) for bpm in (90, 133, 150))]
    for fps, (y, sr) in zip([30, 60, 30, 60, 30], clips, strict=True):
        rate = fps * 512
        y = librosa.resample(y, orig_sr=sr, target_sr=rate)
        onsets = librosa.onset.onset_strength(y=y, sr=rate, hop_length=512)
        bpm = float(librosa.feature.tempo(onset_envelope=onsets, sr=rate, hop_length=512)[0])
        _, expected = librosa.beat.beat_track(onset_envelope=onsets, sr=rate, hop_length=512, bpm=bpm)
        assert len(expected) > 5
        np.testing.assert_array_equal(track_beats(onsets, bpm, rate / 512), expected)


def test_track_beats_on_an_impulse_train():
    envelope = np.full(300, 0.01)  # float64
    envelope[10::15] = 1.0
    beats = track_beats(envelope, bpm=120, frame_rate=30)
    assert set(beats) <= set(range(10, 300, 15)) and len(beats) >= 18
    assert len(track_beats(np.zeros(300), bpm=120, frame_rate=30)) == 0
    assert len(track_beats(np.ones(300), bpm=120, frame_rate=30)) == 0
    short = np.zeros(5)
    short[3] = 1.0  # shorter than one beat period
    assert set(track_beats(short, bpm=120, frame_rate=30)) <= set(range(5))


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.ones((2, 50)), 120, 30), "1-D float array"),
        (([1.0] * 50, 120, 30), "1-D float array"),
        ((np.arange(50), 120, 30), "1-D float array"),
        ((np.ones(50), 0, 30), r"^bpm must be a finite number > 0, got 0.0$"),
        ((np.ones(50), 120, np.nan), r"^frame_rate must be a finite number > 0, got nan$"),
        ((np.arange(50.0), 2000, 30), "under 2 frames per beat"),
    ],
)
def test_track_beats_errors(args, match):
    with pytest.raises(ValueError, match=match):
        track_beats(*args)


def test_tonnetz_comes_from_the_shared_chroma(music, music_descriptors):
    y = librosa.resample(music, orig_sr=SR, target_sr=15360)
    chroma = librosa.feature.chroma_stft(y=y, sr=15360, hop_length=512)
    expected = zscore(librosa.feature.tonnetz(chroma=chroma, sr=15360)[:, :len(music_descriptors)])
    np.testing.assert_allclose(music_descriptors[:, R.group_columns("tonnetz")].T, expected, atol=2e-3)


def test_descriptors_stack_to_features(music_descriptors, music_features):
    np.testing.assert_array_equal(stack_context(music_descriptors, 100), music_features)


def test_deterministic(music, music_features):
    again = extract_music_features(music.copy(), sr=SR)
    np.testing.assert_array_equal(again, music_features)


@pytest.mark.parametrize("seconds", [2.0, 3.7])
@pytest.mark.parametrize("fps", [30, 60])
@pytest.mark.parametrize("sr", [22050, 44100, 16000])
def test_T_rule(seconds, fps, sr):
    y = numpy_music(seconds, sr=sr)
    expected = int(Fraction(len(y), sr) * fps)  # floor(duration * fps), exactly
    d = frame_descriptors(y, sr, fps=fps)
    assert d.shape == (expected, 48)
    assert expected == int(seconds * fps)


@pytest.mark.parametrize("n, fps, expected", [(2 * 44100 - 1, 30, 59), (2 * 44100, 30, 60), (1470, 30, 1),
                                               (735, 60, 1)])
def test_T_rule_at_frame_boundaries(n, fps, expected):
    y = numpy_music(2.0, sr=44100)[:n]
    assert num_pose_frames(n, 44100, fps) == expected
    assert frame_descriptors(y, 44100, fps=fps).shape == (expected, 48)


def test_stereo_44k_wav_file(tmp_path):
    left = numpy_music(3.0, sr=44100)
    stereo = np.stack([left, 0.5 * np.roll(left, 100)])  # (2, n)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo.T, 44100, subtype="FLOAT")
    features = extract_music_features(path)
    assert features.shape == (90, 4800) and features.dtype == np.float32
    assert_no_constant_column(features)
    np.testing.assert_allclose(features, extract_music_features(stereo, sr=44100), atol=1e-4)


def test_flac_and_ogg_files_give_features(tmp_path, music):
    features = {}
    for fmt in ("flac", "ogg"):
        sf.write(tmp_path / f"m.{fmt}", music, SR)
        features[fmt] = extract_music_features(tmp_path / f"m.{fmt}", recipe=EDGE_BASELINE_RECIPE)
        assert features[fmt].shape == (240, 35)
    mfcc = EDGE_BASELINE_RECIPE.group_columns("mfcc")
    # lossy ogg still describes the same music: MFCC trajectories agree
    corr = np.corrcoef(features["flac"][:, mfcc].ravel(), features["ogg"][:, mfcc].ravel())[0, 1]
    assert corr > 0.9


def test_edge_recipe_on_the_synth_song(song):
    features = extract_music_features(song.audio, sr=song.sr, recipe=EDGE_BASELINE_RECIPE)
    assert features.shape == (240, 35)
    assert_no_constant_column(features)
    for name in ("onset_peak", "beat"):
        assert set(np.unique(features[:, EDGE_BASELINE_RECIPE.group_columns(name)])) == {0.0, 1.0}


def test_60_fps_doubles_the_frames(music):
    features = extract_music_features(music, sr=SR, fps=60)
    assert features.shape == (480, 4800)
    beats = np.flatnonzero(features[:, 50 * 48 + R.group_columns("beat").start])  # offset 0 column
    assert np.median(np.diff(beats)) == 30


# -----------------------------------------------------------------------------
# extraction errors


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda m, p: extract_music_features(m), ValueError, "sr .* is required when passing an audio array"),
        (lambda m, p: extract_music_features(p, sr=SR), ValueError, "pass sr only with an audio array"),
        (lambda m, p: extract_music_features(list(m), sr=SR), TypeError, "got list"),
        (lambda m, p: extract_music_features(m, sr=SR, fps=0), ValueError, "fps must be a positive int"),
        (lambda m, p: extract_music_features(m, sr=SR, fps=29.97), TypeError, "fps must be a positive int"),
        (lambda m, p: extract_music_features(m, sr=SR, fps=10), ValueError, "below 8000 Hz"),
        (lambda m, p: extract_music_features(m, sr=SR, recipe="edge"), TypeError, "FeatureRecipe"),
        (lambda m, p: extract_music_features(m, sr=0), ValueError, "sr must be a positive int"),
        (lambda m, p: extract_music_features(p.parent / "missing.wav"), FileNotFoundError, "missing.wav"),
        (lambda m, p: extract_music_features(np.zeros_like(m), sr=SR), ValueError, "silent"),
        (lambda m, p: extract_music_features(m[:500], sr=SR), ValueError, "shorter than one pose frame"),
        (lambda m, p: frame_descriptors(np.where(np.arange(m.size) == 9, np.nan, m), SR), ValueError, "1 NaN"),
        (lambda m, p: frame_descriptors(m.astype(np.int32), SR), TypeError, "dtype int32"),
    ],
)
def test_extraction_errors(tmp_path, music, call, err, match):
    path = tmp_path / "m.wav"
    sf.write(path, music, SR)
    with pytest.raises(err, match=match):
        call(music, path)


# -----------------------------------------------------------------------------
# context stacking


def test_stack_context_matches_numpy_reflect_padding():
    rng = np.random.default_rng(0)
    d = rng.standard_normal((37, 5)).astype(np.float32)
    for context in (1, 4, 7, 100):
        half = context // 2
        padded = np.pad(d, ((half, context - half - 1), (0, 0)), mode="reflect")
        expected = np.stack([padded[t:t + context].ravel() for t in range(len(d))])
        out = stack_context(d, context)
        assert out.dtype == np.float32 and out.shape == (37, 5 * context)
        np.testing.assert_array_equal(out, expected)


def test_stack_context_column_order_is_offset_major(music_descriptors, music_features):
    d, F = music_descriptors, 48
    for t in (50, 123, 189):  # frames whose whole window lies inside the clip
        for j in (0, 50, 99):
            np.testing.assert_array_equal(music_features[t, j * F:(j + 1) * F], d[t + j - 50])
    np.testing.assert_array_equal(music_features[:, 50 * F:51 * F], d)  # offset 0 is the frame itself


def test_stack_context_rows_window_equals_full_slice(music_descriptors, music_features):
    np.testing.assert_array_equal(stack_context(music_descriptors, 100, start=10, stop=70), music_features[10:70])
    np.testing.assert_array_equal(stack_context(music_descriptors, 100, start=200), music_features[200:])


def test_stack_context_single_frame():
    d = np.arange(3, dtype=np.float64)[None]
    np.testing.assert_array_equal(stack_context(d, 4), np.tile(d, (1, 4)))


@pytest.mark.parametrize(
    "args, err, match",
    [
        ((np.ones(10, np.float32), 4), ValueError, r"2-D \[T, F\] .*got shape \(10,\)"),
        ((np.ones((0, 3), np.float32), 4), ValueError, "T >= 1"),
        ((np.ones((10, 3), np.int64), 4), TypeError, "dtype int64"),
        (([[1.0]], 4), TypeError, "got list"),
        ((np.ones((10, 3)), 0), ValueError, "context must be a positive int"),
        ((np.ones((10, 3)), 4, 5, 5), ValueError, "0 <= start < stop <= T = 10"),
        ((np.ones((10, 3)), 4, 0, 11), ValueError, "start=0, stop=11"),
    ],
)
def test_stack_context_errors(args, err, match):
    with pytest.raises(err, match=match):
        stack_context(*args)


# -----------------------------------------------------------------------------
# batch


def test_batch_paths_and_arrays(tmp_path, music, music_features, capsys):
    short = numpy_music(2.0)
    sf.write(tmp_path / "short.wav", short, SR, subtype="FLOAT")
    out = extract_features_batch([tmp_path / "short.wav", music], sr=SR)
    assert [o.shape for o in out] == [(60, 4800), (240, 4800)]
    np.testing.assert_array_equal(out[0], extract_music_features(short, sr=SR))
    np.testing.assert_array_equal(out[1], music_features)
    assert "music features" in capsys.readouterr().err
    quiet = extract_features_batch([music], sr=SR, progress=False)
    np.testing.assert_array_equal(quiet[0], music_features)
    assert "music features" not in capsys.readouterr().err


def test_batch_errors(tmp_path, music):
    with pytest.raises(TypeError, match="single str; wrap it in a list"):
        extract_features_batch(str(tmp_path / "a.wav"))
    with pytest.raises(TypeError, match="single ndarray"):
        extract_features_batch(music, sr=SR)
    bad = music.copy()
    bad[100] = np.inf
    with pytest.raises(ValueError, match=r"item 1 \(audio array\).*1 Inf"):
        extract_features_batch([music, bad], sr=SR, progress=False)
    with pytest.raises(FileNotFoundError, match="gone.wav"):
        extract_features_batch([tmp_path / "gone.wav"], progress=False)


# -----------------------------------------------------------------------------
# precomputed features


def test_load_precomputed(tmp_path):
    jukebox = np.random.default_rng(0).standard_normal((75, 4800))  # float64 on disk
    np.save(tmp_path / "juke.npy", jukebox)
    out = load_precomputed_features(tmp_path / "juke.npy")
    assert out.dtype == np.float32 and out.shape == (75, 4800)
    np.testing.assert_allclose(out, jukebox, rtol=1e-6)
    np.save(tmp_path / "edge.npy", jukebox[:, :35].astype(np.float16))
    assert load_precomputed_features(str(tmp_path / "edge.npy"), expected_dim=35).shape == (75, 35)
    assert load_precomputed_features(tmp_path / "edge.npy", expected_dim=None).shape == (75, 35)


@pytest.mark.parametrize(
    "array, err, match",
    [
        (np.zeros((10, 4096), np.float32), ValueError, "Expected music features dimension 4800, got 4096$"),
        (np.zeros((4800, 10), np.float32), ValueError, "got 10; the array looks transposed"),
        (np.zeros((1, 10, 4800), np.float32), ValueError, r"shape \[T, D\] .*got shape \(1, 10, 4800\)"),
        (np.zeros(4800, np.float32), ValueError, r"got shape \(4800,\)"),
        (np.zeros((0, 4800), np.float32), ValueError, "T >= 1"),
        (np.zeros((10, 4800), np.int64), TypeError, "float features, got dtype int64"),
        (np.where(np.eye(10, 4800) > 0, np.nan, 0.0), ValueError, "10 of the feature values are NaN or Inf"),
        (np.array([{"a": 1}], dtype=object), ValueError, "could not read"),
    ],
)
def test_load_precomputed_errors(tmp_path, array, err, match):
    path = tmp_path / "f.npy"
    np.save(path, array, allow_pickle=True)
    with pytest.raises(err, match=match):
        load_precomputed_features(path)


def test_load_precomputed_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="none.npy"):
        load_precomputed_features(tmp_path / "none.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(ValueError, match="could not read .*junk.npy"):
        load_precomputed_features(tmp_path / "junk.npy")
    np.savez(tmp_path / "pack.npz", a=np.zeros((3, 4800)))
    with pytest.raises(ValueError, match="npz archive"):
        load_precomputed_features(tmp_path / "pack.npz")
    with pytest.raises(TypeError, match="path to a .npy file"):
        load_precomputed_features(np.zeros((3, 4800)))
    with pytest.raises(ValueError, match="expected_dim must be a positive int"):
        load_precomputed_features(tmp_path / "pack.npz", expected_dim=0)


# -----------------------------------------------------------------------------
# the descriptors as a picture


def test_save_features_figure(tmp_path):
    from m2p_course.features import save_features_figure

    rng = np.random.default_rng(0)
    path = save_features_figure(rng.standard_normal((90, 48)), tmp_path / "f.png", beat_frames=[0, 15, 30])
    assert path == tmp_path / "f.png" and path.read_bytes()[:4] == b"\x89PNG"
    save_features_figure(rng.standard_normal((10, 35)), tmp_path / "e.png", recipe=EDGE_BASELINE_RECIPE)
    assert (tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match=r"\[T, 48\].*got shape \(10, 35\)"):
        save_features_figure(np.zeros((10, 35)), tmp_path / "x.png", recipe=DEFAULT_RECIPE)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_features_figure(np.zeros((10, 48)), tmp_path / "no" / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_importing_features_does_not_load_matplotlib():
    import subprocess
    import sys

    code = "import sys, m2p_course.features; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]
