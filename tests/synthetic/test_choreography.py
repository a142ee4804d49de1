"""Procedural choreography: shape, range, determinism, beat locking, moves, styles, errors."""

import dataclasses

import numpy as np
import pytest

from m2p_course.keypoints import GROUPS, hand_finger, index
from m2p_course.synthetic.choreography import (
    DANCER_NAMES,
    DANCER_STYLES,
    MOVES,
    DancerStyle,
    dance_for_song,
    dancer_style,
    generate_dance,
    random_motion,
)
from m2p_course.synthetic.metrics import beat_alignment_score, joint_speed, kinematic_beats
from m2p_course.synthetic.music import synth_music

FPS = 30
PERIOD = 0.5  # 120 BPM: a beat every 15 frames exactly
BEATS = np.arange(32) * PERIOD  # 16 s of beats, 8 bars of 4/4
DOWNBEATS = BEATS[::4]
T = 450  # 15 s


def dance(style="bouncer", seed=0, **kwargs):
    return generate_dance(BEATS, DOWNBEATS, T, fps=FPS, style=style, seed=seed, **kwargs)


def beat_frames(num_frames=T):
    frames = np.round(BEATS * FPS).astype(np.int64)
    return frames[frames < num_frames]


@pytest.fixture(scope="module")
def dances():
    return {name: dance(name) for name in DANCER_NAMES}


def test_at_least_four_styles_with_moves_from_the_vocabulary():
    assert len(DANCER_STYLES) >= 4 and DANCER_NAMES == tuple(DANCER_STYLES)
    for name, style in DANCER_STYLES.items():
        assert style.name == name and set(style.moves) <= set(MOVES)
    assert dancer_style(1) is DANCER_STYLES[DANCER_NAMES[1]]
    assert dancer_style("robot") is DANCER_STYLES["robot"]


def test_shape_dtype_range(dances):
    for name, pose in dances.items():
        assert pose.shape == (T, 134, 2) and pose.dtype == np.float32, name
        assert np.isfinite(pose).all()
        assert np.abs(pose).max() <= 0.95, name


def test_range_holds_for_extreme_moves_and_tempos():
    for name in DANCER_NAMES:
        for move in ("arms_up", "flap", "punch", "robot"):
            style = dataclasses.replace(DANCER_STYLES[name], moves=(move,), jitter=20.0)
            for period in (0.3, 1.0):
                beats = np.arange(12) * period
                pose = generate_dance(beats, beats[::4], 200, style=style, seed=3,
                                      sections=["chorus"] * 3)
                assert np.abs(pose).max() <= 0.95, (name, move, period)


def test_upright_person_facing_the_viewer(dances):
    pose = dances["bouncer"]
    assert (pose[:, index("nose"), 1] < pose[:, index("neck"), 1]).all()  # y down: head above
    assert (pose[:, index("neck"), 1] < pose[:, index("right_hip"), 1]).all()
    assert (pose[:, index("right_hip"), 1] < pose[:, index("right_ankle"), 1]).all()
    assert (pose[:, index("right_hip"), 0] < pose[:, index("left_hip"), 0]).all()  # their right on the left


def test_deterministic_by_seed():
    a, b = dance(seed=5), dance(seed=5)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - dance(seed=6)).max() > 0.05


def test_smooth_no_jitter(dances):
    """Jitter flips the direction of motion from frame to frame; a dance turns at its key poses."""
    rng = np.random.default_rng(0)
    for name, pose in dances.items():
        jittered = pose + 0.003 * rng.standard_normal(pose.shape)
        for motion, limit in ((pose, (0.0, 0.15)), (jittered, (0.3, 1.0))):
            step = np.diff(motion.reshape(T, -1), axis=0)
            direction = np.sign(np.where(np.abs(step) > 1e-5, step, 0.0))
            flips = (direction[1:] * direction[:-1] < 0).mean()
            assert limit[0] <= flips < limit[1], (name, flips)


def test_still_on_every_beat(dances):
    for name, pose in dances.items():
        raw = joint_speed(pose, smooth=0)
        at_beats = raw[beat_frames()[1:]]
        assert at_beats.max() < 0.05 * np.median(raw), name


def test_kinematic_beats_on_the_music_beats(dances):
    for name, pose in dances.items():
        score = beat_alignment_score(pose, beat_frames())
        assert score > 0.75, (name, score)
        kinematic = kinematic_beats(pose)
        near = [np.abs(kinematic - b).min() <= 2 for b in beat_frames()[1:-1]]
        # the beats missed are downbeats where a small half-way step meets a big one: the smoothed
        # speed has no minimum there (waver, point -> flap: 7 of 28 beats)
        assert np.mean(near) >= 0.7, name


def test_beats_locked_at_other_tempos_and_meters():
    for period, per_bar in ((0.7, 3), (0.45, 4)):
        beats = np.arange(0.2, 14, period)
        pose = generate_dance(beats, beats[::per_bar], 420, style="waver", seed=1)
        frames = np.round(beats * FPS).astype(np.int64)
        assert beat_alignment_score(pose, frames[frames < 420]) > 0.75, period


def test_without_downbeats_or_chords_a_four_bar_phrase_repeats():
    style = dataclasses.replace(DANCER_STYLES["waver"], jitter=0.0)
    pose = generate_dance(BEATS, [], T, style=style)
    assert beat_alignment_score(pose, beat_frames()) > 0.75
    phrase = 16 * 15  # four bars of four beats, 15 frames each
    np.testing.assert_allclose(pose[phrase + 30 : 2 * phrase - 30], pose[30 : phrase - 30], atol=1e-5)


def test_bounce_bottoms_on_the_beat(dances):
    hip_y = dances["bouncer"][:, index("right_hip"), 1]  # y down: the lowest point has the largest y
    for b in beat_frames()[2:-2]:
        window = hip_y[b - 7 : b + 8]
        assert window.argmax() == 7 or window[7] >= window.max() - 1e-6


def test_same_chord_same_move_new_chord_new_move():
    style = dataclasses.replace(DANCER_STYLES["bouncer"], jitter=0.0)
    chords = ["C", "G", "C", "G", "C", "G", "C", "G"]
    pose = dance(style, chords=chords)
    arms = [index(n) for n in ("right_wrist", "left_wrist", "right_elbow", "left_elbow")]
    bar = 4 * 15  # frames per bar
    # beats 2-4 of bar 2 repeat bar 0 (same chord, same section); bar 1 has a new move
    for beat in (1, 2, 3):
        t0, t2 = beat * 15, 2 * bar + beat * 15
        np.testing.assert_allclose(pose[t2, arms], pose[t0, arms], atol=1e-5)
    assert max(np.abs(pose[bar + b * 15, arms] - pose[b * 15, arms]).max() for b in (1, 2, 3)) > 0.1


def test_chorus_is_danced_bigger():
    style = dataclasses.replace(DANCER_STYLES["bouncer"], jitter=0.0, chorus=1.5)
    sections = ["verse"] * 4 + ["chorus"] * 4
    pose = dance(style, chords=["C", "G"] * 4, sections=sections)
    hip_y = pose[:, index("right_hip"), 1]
    verse, chorus = np.ptp(hip_y[30:210]), np.ptp(hip_y[270:450])
    assert chorus / verse == pytest.approx(1.5, rel=0.05)


def test_head_nods_deeper_on_onset_beats():
    style = dataclasses.replace(DANCER_STYLES["robot"], jitter=0.0)
    onset_beat, plain_beat = 9, 10
    pose = dance(style, onset_frames=np.array([onset_beat * 15]))
    drop = pose[:, index("nose"), 1] - pose[:, index("neck"), 1]  # less negative = head tipped down
    lifted = drop[onset_beat * 15 - 7]  # half a beat before: head up
    assert drop[onset_beat * 15] - lifted > 1.5 * (drop[plain_beat * 15] - drop[plain_beat * 15 - 7])


def test_limbs_keep_their_length_and_hands_follow_the_wrists(dances):
    pose = dances["waver"]
    for a, b in (("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
                 ("left_shoulder", "left_elbow"), ("neck", "left_shoulder")):
        length = np.linalg.norm(pose[:, index(a)] - pose[:, index(b)], axis=-1)
        assert np.ptp(length) < 1e-4, (a, b)
    for side in ("left", "right"):
        hand_wrist = GROUPS[f"{side}_hand"].start
        np.testing.assert_allclose(pose[:, index(f"{side}_wrist")], pose[:, hand_wrist], atol=1e-6)
        wrist, base, *_, tip = hand_finger(side, "middle")
        palm = np.linalg.norm(pose[:, base] - pose[:, wrist], axis=-1)
        finger = np.linalg.norm(pose[:, tip] - pose[:, wrist], axis=-1)
        assert np.ptp(palm) < 1e-4  # the palm is rigid
        assert np.ptp(finger) > 0.15 * finger.max()  # the fingers open and close


def test_styles_are_different_dancers(dances):
    def shoulder_width(pose):
        span = pose[:, index("left_shoulder")] - pose[:, index("right_shoulder")]
        return np.linalg.norm(span, axis=-1).mean()

    widths = {name: shoulder_width(pose) for name, pose in dances.items()}
    assert len({round(w, 3) for w in widths.values()}) == len(widths)
    sways = {name: np.ptp(pose[:, index("neck"), 0]) for name, pose in dances.items()}
    assert sways["swayer"] > 2 * sways["robot"]
    names = list(dances)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.abs(dances[a] - dances[b]).mean() > 0.02, (a, b)


def test_dance_for_song_matches_the_feature_frames():
    song = synth_music(bpm=110, seconds=5.0, seed=2, style="house", sr=15360)
    pose = dance_for_song(song, style="robot", seed=1)
    assert pose.shape == (150, 134, 2)
    frames = np.round(song.beat_times * FPS).astype(np.int64)
    assert beat_alignment_score(pose, frames[frames < 150]) > 0.7
    np.testing.assert_array_equal(pose, dance_for_song(song, style="robot", seed=1))
    without = dance_for_song(song, style="robot", seed=1, onsets=False)
    assert without.shape == pose.shape


def test_random_motion_is_a_smooth_skeleton_that_ignores_the_beats(dances):
    noise = random_motion(T, style="bouncer", seed=0)
    assert noise.shape == (T, 134, 2) and noise.dtype == np.float32 and np.abs(noise).max() <= 0.95
    np.testing.assert_array_equal(noise, random_motion(T, style="bouncer", seed=0))
    speed, dance_speed = joint_speed(noise, 0).mean(), joint_speed(dances["bouncer"], 0).mean()
    assert 0.5 < speed / dance_speed < 2.0
    assert beat_alignment_score(noise, beat_frames()) < 0.5


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(beat_times=[0.5]), ValueError, "at least 2"),
    (dict(beat_times=[0.0, 0.5, 0.5, 1.0]), ValueError, "strictly increasing"),
    (dict(beat_times=[0.0, float("nan")]), ValueError, "finite"),
    (dict(downbeat_times=[0.25]), ValueError, "on a beat"),
    (dict(num_frames=0), ValueError, "num_frames"),
    (dict(num_frames=2.5), TypeError, "num_frames"),
    (dict(fps=0), ValueError, r"^fps must be a finite number > 0, got 0.0$"),
    (dict(fps="30"), TypeError, r"^fps must be a finite number > 0, got str '30'$"),
    (dict(style="salsa"), ValueError, "unknown dancer style"),
    (dict(style=17), ValueError, "label"),
    (dict(style=1.5), TypeError, "dancer style"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=1.5), TypeError, "seed must be an int"),
    (dict(chords=["C", "G"]), ValueError, "one chord label per bar"),
    (dict(sections=["verse"] * 9), ValueError, "one section label per bar"),
    (dict(onset_frames=np.array([T])), ValueError,
     rf"^onset_frames must be frame indices in \[0, {T - 1}\] \(a clip of {T} frames\), got values from {T} to {T}$"),
    (dict(onset_frames=np.array([-1, 3])), ValueError, r"onset_frames must be frame indices in .*, got values from -1"),
    (dict(onset_frames=np.array([1.5])), TypeError, r"^onset_frames must be a 1-D sequence of frame indices \(ints\), "
                                                     r"got dtype float64$"),
    (dict(onset_frames=np.array([[1, 2]])), ValueError, r"onset_frames must be a 1-D sequence .* got shape \(1, 2\)"),
])
def test_bad_arguments_raise(kwargs, error, message):
    args = dict(beat_times=BEATS, downbeat_times=DOWNBEATS, num_frames=T)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        generate_dance(**args)


def test_bad_dancer_style_definition_raises():
    with pytest.raises(ValueError, match="MOVES"):
        DancerStyle("x", "x", music="pop", moves=("moonwalk",))
    with pytest.raises(ValueError, match=r"^snap must be a finite number in \(0, 1\], got 0.0$"):
        DancerStyle("x", "x", music="pop", moves=("wave",), snap=0.0)
    with pytest.raises(ValueError, match=r"^hit must be a finite number >= 1, got 0.5$"):
        DancerStyle("x", "x", music="pop", moves=("wave",), hit=0.5)
    with pytest.raises(ValueError, match="synth style"):
        DancerStyle("x", "x", music="polka", moves=("wave",))
