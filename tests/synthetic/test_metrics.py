"""Beat Alignment Score: analytic cases, edge cases and errors."""

import math

import numpy as np
import pytest
import torch

from m2p_course.synthetic.metrics import beat_alignment_score, joint_speed, kinematic_beats

PERIOD = 20  # frames per oscillation; the speed |sin| has its minima every PERIOD / 2 frames


def oscillation(num_frames=200, joints=134, period=PERIOD, phase=0.0):
    """Every joint moves as x = cos(2 pi (t - phase) / period): it stops at t = phase + k period / 2."""
    t = np.arange(num_frames, dtype=np.float64)
    x = np.cos(2 * np.pi * (t - phase) / period)
    pose = np.zeros((num_frames, joints, 2))
    pose[:, :, 0] = x[:, None] * np.linspace(0.1, 0.5, joints)[None, :]
    return pose


def test_speed_minima_exactly_on_the_beats_score_one():
    pose = oscillation()
    beats = np.arange(20, 181, PERIOD // 2)
    assert beat_alignment_score(pose, beats) == pytest.approx(1.0, abs=1e-12)


def test_minima_three_frames_off_score_exp_minus_half():
    pose = oscillation(phase=3.0)  # stops at 3, 13, 23, ...
    beats = np.arange(20, 181, PERIOD // 2)  # each 3 frames after the previous stop, 7 before the next
    assert beat_alignment_score(pose, beats) == pytest.approx(math.exp(-0.5), abs=1e-12)


def test_sigma_sets_the_tolerance():
    pose = oscillation(phase=3.0)
    beats = np.arange(20, 181, PERIOD // 2)
    assert beat_alignment_score(pose, beats, sigma=6.0) == pytest.approx(math.exp(-9 / 72), abs=1e-12)


def test_mixed_distances_average_over_music_beats():
    pose = oscillation(phase=0.0)  # stops at 0, 10, 20, ...
    beats = np.array([50, 71, 92])  # distances 0, 1, 2
    expected = np.mean(np.exp(-np.array([0.0, 1.0, 4.0]) / 18))
    assert beat_alignment_score(pose, beats) == pytest.approx(expected, abs=1e-12)


def test_kinematic_beats_of_an_oscillation():
    beats = kinematic_beats(oscillation(phase=0.0))
    assert beats.dtype == np.int64
    assert len(beats) == 19
    # away from the clip's ends (where smoothing and one-sided differences bend the speed)
    np.testing.assert_array_equal(beats[1:-1], np.arange(20, 181, 10))


def test_still_pose_has_no_kinematic_beats_and_scores_zero():
    still = np.repeat(np.random.default_rng(0).uniform(-1, 1, (1, 134, 2)), 90, axis=0)
    assert kinematic_beats(still).size == 0
    assert beat_alignment_score(still, [10, 40, 70]) == 0.0


def test_torch_and_numpy_agree():
    pose = oscillation(phase=2.0)
    beats = np.arange(20, 181, 10)
    expected = beat_alignment_score(pose, beats)
    got = beat_alignment_score(torch.tensor(pose, dtype=torch.float32), torch.tensor(beats))
    assert got == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(math.exp(-4 / 18), abs=1e-12)


def test_any_joint_and_coordinate_count():
    pose = oscillation(joints=24)
    pose3d = np.concatenate([pose, pose[..., :1]], axis=-1)  # [T, 24, 3] like SMPL joints
    beats = np.arange(20, 181, 10)
    assert beat_alignment_score(pose3d, beats) == pytest.approx(1.0, abs=1e-12)


def test_joint_speed_is_smoothed_mean_speed():
    t = np.arange(50, dtype=np.float64)
    pose = np.zeros((50, 2, 2))
    pose[:, 0, 0] = 0.1 * t  # joint 0 moves at 0.1 per frame, joint 1 is still
    np.testing.assert_allclose(joint_speed(pose, smooth=0), np.full(50, 0.05))
    raw = joint_speed(oscillation(), smooth=0)
    smoothed = joint_speed(oscillation(), smooth=5)
    assert smoothed.shape == raw.shape == (200,)
    assert np.abs(np.diff(smoothed)).max() < np.abs(np.diff(raw)).max()


@pytest.mark.parametrize("beats, message", [
    ([], "^music_beat_frames must hold at least one music beat, got none"),
    ([-1, 10], r"^music_beat_frames must be frame indices in \[0, 199\] \(a clip of 200 frames\), "
               r"got values from -1.0"),
    ([10, 200], r"in \[0, 199\] .*, got values from 10.0 to 200.0$"),
    ([[1, 2]], r"^music_beat_frames must be a 1-D sequence .*, got shape \(1, 2\)$"),
    ([1.0, float("nan")], r"^music_beat_frames must be finite frame indices, got 1 NaN/Inf$"),
])
def test_bad_beats_raise(beats, message):
    with pytest.raises(ValueError, match=message):
        beat_alignment_score(oscillation(), np.array(beats, dtype=np.float64))


@pytest.mark.parametrize("pose, error, message", [
    (np.zeros((10, 134)), ValueError, r"^pose must have shape \[T, J, D\].*got shape \(10, 134\)$"),
    (np.zeros((2, 134, 2)), ValueError, "^pose must have at least 3 frames .*, got 2$"),
    (np.full((10, 134, 2), np.nan), ValueError, "^pose must be finite coordinates, got 2680 NaN/Inf values$"),
    ([[[0.0, 0.0]]] * 10, TypeError, "^pose must be a numpy array or torch tensor of coordinates, got list$"),
    (np.zeros((10, 134, 2), dtype=bool), TypeError, "^pose must hold real numbers .*, got dtype bool$"),
    (torch.zeros(10, 134, 2, dtype=torch.complex64), TypeError, "got dtype torch.complex64$"),
])
def test_bad_pose_raises(pose, error, message):
    with pytest.raises(error, match=message):
        beat_alignment_score(pose, [1, 5])


@pytest.mark.parametrize("kwargs, error", [
    (dict(sigma=0.0), ValueError), (dict(sigma=-1.0), ValueError),
    (dict(smooth=-1.0), ValueError), (dict(sigma="3"), TypeError),
])
def test_bad_widths_raise(kwargs, error):
    with pytest.raises(error, match="sigma|smooth"):
        beat_alignment_score(oscillation(), [10, 20], **kwargs)


# --- tempo of a dance -----------------------------------------------------------------------------

from m2p_course.synthetic.metrics import dance_tempo, envelope_tempo, on_tempo, tempo_ratio  # noqa: E402


def _bouncing(bpm, seconds=20.0, fps=30):
    """A point bouncing |sin|: still at every beat, so its kinematic beats are the beats."""
    t = np.arange(int(seconds * fps)) / fps
    y = np.abs(np.sin(np.pi * t * bpm / 60.0))
    return np.stack([np.zeros_like(y), y], axis=-1)[:, None, :].repeat(3, axis=1)


@pytest.mark.parametrize("bpm", [90.0, 124.0, 150.0])
def test_dance_tempo_reads_the_beat_of_a_bounce(bpm):
    assert dance_tempo(_bouncing(bpm)) == pytest.approx(bpm, rel=0.03)


def test_a_still_pose_has_no_tempo():
    assert dance_tempo(np.zeros((90, 3, 2))) == 0.0


def test_envelope_tempo_is_finer_than_the_frame_lags():
    fps, bpm = 30, 144.0
    t = np.arange(20 * fps) / fps
    envelope = np.maximum(np.cos(2 * np.pi * t * bpm / 60.0), 0) ** 8
    assert envelope_tempo(envelope, fps) == pytest.approx(bpm, rel=0.02)        # the lags alone: 138.5 or 150
    assert envelope_tempo(envelope, fps, upsample=1) in (pytest.approx(138.46, rel=1e-3), pytest.approx(150.0))


@pytest.mark.parametrize("ratio, expected", [(1.0, True), (0.5, True), (2.0, True), (1.07, True), (1.9, True),
                                             (1.5, False), (0.75, False), (1.1, False), (0.0, False)])
def test_on_tempo_counts_octaves_only(ratio, expected):
    assert on_tempo(ratio) is expected


def test_tempo_ratio_and_its_errors():
    assert tempo_ratio(150.0, 75.0) == 2.0
    with pytest.raises(ValueError):
        tempo_ratio(120.0, 0.0)
    with pytest.raises(ValueError):
        on_tempo(-1.0)
