"""Procedural choreography on the 134 keypoints, locked to the music's beats and bars.

No dance data can be downloaded, so the course makes its own: a dancer built from
``rest_pose()`` whose moves follow the music's ground truth (beats, bars, chords,
sections). The rules are those a real dancer follows, simple enough to learn from music
features:

* every beat is a *hit*: the body arrives at a key pose on the beat and slows down there,
  so the joint speed has its minima on the beats (what the Beat Alignment Score measures);
* a bounce on every beat: the knees bend, the body's lowest point falls on the beat;
* the arms dance one *move* per bar (arms up, wave, punch, clap, robot, ...) called by the
  bar's chord: its root note picks the move and major / minor the leading arm, so the same
  chord brings back the same move in every song, and a model that hears the chord (the
  features' chroma) can know the move;
* the head bobs on every beat and nods deeper on the beats that carry an onset (or, with
  no onsets given, on every ``nod_every``-th beat, the dancer's habit);
* the chorus is danced bigger than the verse.

Each of the ``DANCER_STYLES`` is one identity (a label for the face head): its own body
proportions, move vocabulary, bounce, sway, head habit and how sharply it hits the beats.

The figure is animated hierarchically (forward kinematics): pelvis -> torso -> neck ->
head (face landmarks move rigidly with it) and shoulders -> elbows -> wrists -> hands
(fingers open and close); hips -> knees (two-bone IK) -> ankles (feet planted).

Angles of the arms are in degrees in the torso's frame, per side: 0 = hanging straight
down, 90 = straight out to the side, 180 = straight up, negative = across the body.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..checks import check_frame_indices, check_int, check_positive_int, check_real
from ..keypoints import FINGERS, GROUPS, NUM_KEYPOINTS, hand_finger, index, rest_pose
from .music import _PITCH_CLASS, STYLES

__all__ = ["DancerStyle", "DANCER_STYLES", "DANCER_NAMES", "MOVES", "dancer_style",
           "generate_dance", "dance_for_song", "random_motion"]

# -----------------------------------------------------------------------------
# the move vocabulary: a key pose per beat of the bar
#
# A move maps the beat's position in the bar to the two arms' key pose on that beat:
# (right arm, left arm), each (upper arm angle, forearm angle, hand angle, finger curl
# 0 = open .. 1 = fist). Moves are written for the dancer's right side leading; the
# generator mirrors them (swaps the arms) for a left-leading bar.

HIP = (45.0, -40.0, -60.0, 0.7)       # hand on the hip
CHAMBER = (25.0, 165.0, 170.0, 1.0)   # fist by the shoulder, ready to punch


def _groove(p):   # elbows pump in turn, loose fists
    bent, low = (20.0, 70.0, 80.0, 0.7), (10.0, 30.0, 35.0, 0.6)
    return (bent, low) if p % 2 == 0 else (low, bent)


def _arms_up(p):  # both arms up in a V, pumping: high on the even beats
    high, mid = (160.0, 165.0, 170.0, 0.0), (130.0, 150.0, 160.0, 0.1)
    return (high, high) if p % 2 == 0 else (mid, mid)


def _wave(p):     # right arm up, forearm swinging from side to side; left hand on the hip
    return ((125.0, 175.0 if p % 2 == 0 else 120.0, 180.0 if p % 2 == 0 else 110.0, 0.0), HIP)


def _punch(p):    # alternate punches straight out to the side
    out = (88.0, 90.0, 90.0, 1.0)
    return (out, CHAMBER) if p % 2 == 0 else (CHAMBER, out)


def _clap(p):     # hands meet in front of the chest on the backbeat (beats 2 and 4)
    together, apart = (20.0, -106.0, -165.0, 0.0), (35.0, -200.0, -205.0, 0.1)
    return (together, together) if p % 2 == 1 else (apart, apart)


def _robot(p):    # right angles: forearms up/down in turn, then both up, both level
    up, down, level = (90.0, 180.0, 180.0, 0.0), (90.0, 0.0, 0.0, 0.0), (90.0, 90.0, 90.0, 0.0)
    return ((up, down), (down, up), (up, up), (level, level))[p % 4]


def _point(p):    # disco: point up and out, then down across the body
    up, across = (145.0, 150.0, 155.0, 0.8), (-20.0, -35.0, -40.0, 0.8)
    return (up if p % 2 == 0 else across, HIP)


def _flap(p):     # wings: both arms out, lifting and dropping
    high, low = (100.0, 115.0, 120.0, 0.0), (65.0, 70.0, 70.0, 0.0)
    return (high, high) if p % 2 == 0 else (low, low)


def _hips(p):     # hands on the hips; the body does the dancing
    return (HIP, HIP)


MOVES = {
    "groove": _groove, "arms_up": _arms_up, "wave": _wave, "punch": _punch,
    "clap": _clap, "robot": _robot, "point": _point, "flap": _flap, "hips": _hips,
}

# -----------------------------------------------------------------------------
# dancer styles: one identity each


@dataclass(frozen=True)
class DancerStyle:
    """One dancer: body, habits and move vocabulary. Lengths are in rest-pose units
    (the rest pose is about 1.6 units tall), angles in degrees.

    music:      the synth_music style this dancer dances to in the dataset
    moves:      the dancer's vocabulary, names in MOVES
    size:       how much of the frame the dancer fills (1.0 = arms straight up touch 0.95)
    shoulders, arms, head, stance: width / length multipliers of the rest pose
    bounce:     depth of the dip on each beat
    sway:       side-to-side shift of the pelvis, turning on the beats
    lean:       torso roll with the sway (degrees)
    nod:        head nod depth (0..1), half as deep on unaccented beats; nod_every: without
                onsets, every nod_every-th beat (from the downbeat) is accented
    snap:       fraction of each beat spent moving between key poses (1 = smooth, small = robotic)
    hit:        how long the body stays low around each beat (1 = a sine bounce, 3 = a quick pop up)
    knees_out:  how much a knee bend shows sideways (the rest points at the viewer)
    jitter:     random variation of the key poses' angles (degrees), so no two bars are identical
    chorus:     how much bigger the chorus is danced (multiplies bounce, sway and nod)
    """

    name: str
    description: str
    music: str
    moves: tuple[str, ...]
    size: float = 0.9
    shoulders: float = 1.0
    arms: float = 1.0
    head: float = 1.0
    stance: float = 1.0
    bounce: float = 0.04
    sway: float = 0.02
    lean: float = 3.0
    nod: float = 0.6
    nod_every: int = 1
    snap: float = 0.8
    hit: float = 2.0
    knees_out: float = 0.5
    jitter: float = 4.0
    chorus: float = 1.3

    def __post_init__(self):
        unknown = [m for m in self.moves if m not in MOVES]
        if not self.moves or unknown:
            raise ValueError(f"moves must be a non-empty tuple of names in MOVES {list(MOVES)}, "
                             f"got {self.moves!r}")
        check_real(self.snap, "snap", 0, 1, low_open=True)
        check_real(self.hit, "hit", 1)
        if self.music not in STYLES:
            raise ValueError(f"music must be a synth style, one of {list(STYLES)}, got {self.music!r}")


DANCER_STYLES: dict[str, DancerStyle] = {
    "bouncer": DancerStyle(
        "bouncer", "pop: deep bounce on every beat, arms up, punches and claps, nods every beat",
        music="pop", moves=("arms_up", "punch", "clap", "point", "groove"),
        size=0.92, bounce=0.055, sway=0.015, lean=2.0, nod=0.7, nod_every=1, snap=0.5, hit=2.0),
    "robot": DancerStyle(
        "robot", "house: sharp right-angle moves snapped between beats, broad shoulders, small bounce",
        music="house", moves=("robot", "punch", "flap", "arms_up"),
        size=0.88, shoulders=1.18, arms=0.95, head=0.92, stance=1.15, bounce=0.025, sway=0.0,
        lean=0.0, nod=0.5, nod_every=1, snap=0.35, hit=3.0, knees_out=0.3, jitter=1.5),
    "waver": DancerStyle(
        "waver", "hip-hop: fluid waves and points, long arms, leans into a wide sway, nods every other beat",
        music="hiphop", moves=("wave", "point", "groove", "flap"),
        size=0.95, shoulders=0.9, arms=1.1, head=1.05, stance=0.9, bounce=0.035, sway=0.035,
        lean=6.0, nod=0.8, nod_every=2, snap=0.65, hit=2.0, knees_out=0.6, jitter=6.0),
    "swayer": DancerStyle(
        "swayer", "waltz: big side-to-side sway, hands on hips and gentle wings, nods on the downbeat",
        music="waltz", moves=("hips", "flap", "wave", "arms_up"),
        size=0.82, shoulders=1.0, arms=1.0, head=1.12, stance=1.3, bounce=0.02, sway=0.05,
        lean=8.0, nod=0.9, nod_every=3, snap=0.6, hit=2.0, knees_out=0.8, jitter=5.0, chorus=1.2),
}
DANCER_NAMES: tuple[str, ...] = tuple(DANCER_STYLES)


def dancer_style(style) -> DancerStyle:
    """A DancerStyle from its name ("robot"), its label (an index into DANCER_NAMES) or itself."""
    if isinstance(style, DancerStyle):
        return style
    if isinstance(style, str):
        if style not in DANCER_STYLES:
            raise ValueError(f"unknown dancer style {style!r}; choose one of {list(DANCER_NAMES)}")
        return DANCER_STYLES[style]
    if isinstance(style, Integral) and not isinstance(style, bool):
        if not 0 <= style < len(DANCER_NAMES):
            raise ValueError(f"dancer label must be in [0, {len(DANCER_NAMES) - 1}], got {style}")
        return DANCER_STYLES[DANCER_NAMES[style]]
    raise TypeError(f"expected a dancer style name, label (int) or DancerStyle, "
                    f"got {type(style).__name__}")


# -----------------------------------------------------------------------------
# timing: beats -> a continuous beat phase per frame, bars, and easing between key poses


def _ease(u: np.ndarray, snap: float) -> np.ndarray:
    """Progress 0 -> 1 over a beat (u in [0, 1)): still at both beats, moving for `snap` of it."""
    v = np.clip((u - 0.5) / snap + 0.5, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * v)


def _beat_grid(beats: np.ndarray, num_frames: int, fps: float):
    """Extend the beats at the first and last tempo so they cover every frame.

    Returns the beat labels k [K] (0 = the first real beat, negative before it) and the
    continuous beat phase of every frame [T] (phase k at beat k, linear in between).
    """
    first, last = beats[1] - beats[0], beats[-1] - beats[-2]
    before = int(math.ceil(beats[0] / first)) + 1
    after = int(math.ceil(max((num_frames - 1) / fps - beats[-1], 0.0) / last)) + 2
    times = np.concatenate([beats[0] - first * np.arange(before, 0, -1), beats,
                            beats[-1] + last * np.arange(1, after + 1)])
    labels = np.arange(-before, len(beats) + after)
    phase = np.interp(np.arange(num_frames) / fps, times, labels)
    return labels, phase


def _meter(beats: np.ndarray, downbeats: np.ndarray) -> tuple[int, int]:
    """(label of the first downbeat's beat, beats per bar) from the downbeat times."""
    if downbeats.size == 0:
        return 0, 4
    period = np.median(np.diff(beats))
    which = np.abs(beats[None, :] - downbeats[:, None]).argmin(axis=1)
    off = np.abs(beats[which] - downbeats)
    if (off > 0.25 * period).any():
        bad = downbeats[off > 0.25 * period][0]
        raise ValueError(f"expected every downbeat on a beat, got a downbeat at {bad:.3f} s "
                         f"with no beat within {0.25 * period:.3f} s")
    per_bar = int(np.median(np.diff(which))) if which.size > 1 else 4
    if per_bar < 1:
        raise ValueError(f"expected increasing downbeat times, got {downbeats.tolist()}")
    return int(which[0]), per_bar


# -----------------------------------------------------------------------------
# the score of the dance: one key pose per beat


# key-pose channels, in this order
_CH_SWAY, _CH_LEAN, _CH_NOD, _CH_ENERGY = 0, 1, 2, 3
_CH_RIGHT, _CH_LEFT = slice(4, 8), slice(8, 12)
_NUM_CHANNELS = 12


_CHORD_NAME = re.compile(r"^([A-G][#b]?)(m|dim|aug)?$")


def _chord_move(style: DancerStyle, label) -> tuple[str, int]:
    """(move, leading side) that a bar's chord calls for: the music decides, not a dice.

    A chord name ("C", "F#m", "Bdim") picks the move by its root's pitch class,
    ``moves[root % len(moves)]``, and the leading arm by its quality: a major (or augmented)
    chord leads with the right arm, a minor (or diminished) one with the left. The chroma
    columns of the music features carry both, so a model can learn the mapping. Any other label
    (e.g. the bar numbers used when no chords are given) picks by a checksum of its text, so the
    same label always brings back the same move.
    """
    chord = _CHORD_NAME.match(label[1]) if isinstance(label[1], str) else None
    if chord is not None:
        root, quality = _PITCH_CLASS[chord.group(1)], chord.group(2) or ""
        return style.moves[root % len(style.moves)], -1 if quality in ("m", "dim") else 1
    code = zlib.crc32(str(label[1]).encode())
    return style.moves[code % len(style.moves)], 1 if (code >> 16) % 2 == 0 else -1


def _bar_moves(style: DancerStyle, bar_labels: list) -> list[tuple[str, int]]:
    """(move, leading side) per bar, from each bar's (section, chord) label (``_chord_move``):
    the same chord always brings back the same move, in every song."""
    return [_chord_move(style, label) for label in bar_labels]


def _plan_of(bar_plan, bar: int) -> tuple[str, int]:
    """(move, side) of a bar; bars before the first or after the last take the nearest."""
    return bar_plan[min(max(bar, 0), len(bar_plan) - 1)]


def _arm_keys(bar_plan, bar: int, pos: int) -> np.ndarray:
    """The two arms' key pose [8] (right then left) at beat `pos` of `bar`."""
    move, side = _plan_of(bar_plan, bar)
    right, left = MOVES[move](pos)
    return np.array(left + right if side < 0 else right + left)


def _key_poses(style, rng, labels, first_downbeat, per_bar, bar_plan, energies, accented):
    """[K, _NUM_CHANNELS] key pose on every beat label.

    On the downbeat of a bar with a new move the arms stop half way between the old move and the
    new one, so the change takes two beats instead of one big jump.
    """
    keys = np.zeros((len(labels), _NUM_CHANNELS))
    for i, k in enumerate(labels):
        bar, pos = divmod(int(k) - first_downbeat, per_bar)
        arms = _arm_keys(bar_plan, bar, pos)
        if pos == 0 and _plan_of(bar_plan, bar) != _plan_of(bar_plan, bar - 1):
            arms = 0.5 * (arms + _arm_keys(bar_plan, bar - 1, per_bar))
        swing = 1.0 if k % 2 == 0 else -1.0
        keys[i, _CH_SWAY] = style.sway * swing
        keys[i, _CH_LEAN] = math.radians(style.lean) * swing
        keys[i, _CH_NOD] = style.nod * (1.0 if accented(k) else 0.5)
        keys[i, _CH_ENERGY] = energies[min(max(bar, 0), len(energies) - 1)]
        keys[i, 4:] = arms
    angles = np.r_[_CH_RIGHT][:3].tolist() + np.r_[_CH_LEFT][:3].tolist()
    keys[:, angles] += style.jitter * rng.standard_normal((len(labels), len(angles)))
    keys[:, angles] = np.unwrap(keys[:, angles], period=360.0, axis=0)  # turn the short way round
    return keys


def _interpolate(keys: np.ndarray, labels: np.ndarray, phase: np.ndarray, snap: float) -> np.ndarray:
    """Key poses [K, C] on the beats -> [T, C] per frame, eased (still on every beat)."""
    k = np.floor(phase).astype(np.int64)
    i = k - labels[0]
    e = _ease(phase - k, snap)[:, None]
    return keys[i] + (keys[i + 1] - keys[i]) * e


def _low_around_beats(phase: np.ndarray, hit: float) -> np.ndarray:
    """[T] 1 on each beat, 0 half way between, flat around the beats: 1 - sin(pi u)^(2 hit)."""
    return 1.0 - np.abs(np.sin(np.pi * phase)) ** (2 * hit)


# -----------------------------------------------------------------------------
# the body: rest-pose geometry and forward kinematics

_R, _L = -1.0, 1.0  # x direction of "outward" for the right and the left side
_HEAD_POINTS = np.r_[[index(n) for n in ("nose", "right_eye", "left_eye", "right_ear", "left_ear")],
                     np.arange(GROUPS["face"].start, GROUPS["face"].stop)]
_FEET = {_R: [index(n) for n in ("right_big_toe", "right_small_toe", "right_heel")],
         _L: [index(n) for n in ("left_big_toe", "left_small_toe", "left_heel")]}
_SIDE_NAME = {_R: "right", _L: "left"}


def _rot(angle: np.ndarray) -> np.ndarray:
    """[T] angles (radians) -> [T, 2, 2] rotations of the image plane."""
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def _direction(degrees: np.ndarray, side: float) -> np.ndarray:
    """Arm angles [T] (0 = down, 90 = outward) -> unit vectors [T, 2] in the torso frame."""
    a = np.radians(degrees)
    return np.stack([side * np.sin(a), np.cos(a)], -1)


def _apply(rot: np.ndarray, v: np.ndarray) -> np.ndarray:
    """[T, 2, 2] @ [T, ..., 2] -> [T, ..., 2]."""
    return np.einsum("tij,t...j->t...i", rot, v)


def _perp(v: np.ndarray) -> np.ndarray:
    return np.stack([-v[..., 1], v[..., 0]], -1)


class _Body:
    """The dancer's rest geometry, with the style's proportions, in rest-pose units."""

    def __init__(self, style: DancerStyle):
        rest = rest_pose().astype(np.float64)
        self.pelvis = (rest[index("right_hip")] + rest[index("left_hip")]) / 2
        self.neck = rest[index("neck")] - self.pelvis
        self.head = (rest[_HEAD_POINTS] - rest[index("neck")]) * style.head
        self.arm, self.hand, self.hip, self.ankle, self.feet, self.leg = {}, {}, {}, {}, {}, {}
        for side, name in _SIDE_NAME.items():
            shoulder, elbow, wrist = (rest[index(f"{name}_{j}")] for j in ("shoulder", "elbow", "wrist"))
            self.arm[side] = ((shoulder - rest[index("neck")]) * style.shoulders,
                              np.linalg.norm(elbow - shoulder) * style.arms,
                              np.linalg.norm(wrist - elbow) * style.arms)
            along = (wrist - elbow) / np.linalg.norm(wrist - elbow)
            offsets = rest[GROUPS[f"{name}_hand"]] - wrist  # the hand in (across, along) coordinates
            self.hand[side] = np.stack([offsets @ _perp(along), offsets @ along], -1) * style.arms
            hip, knee, ankle = (rest[index(f"{name}_{j}")] for j in ("hip", "knee", "ankle"))
            self.hip[side] = hip - self.pelvis
            self.ankle[side] = np.array([ankle[0] * style.stance, ankle[1]])
            self.feet[side] = rest[_FEET[side]] - ankle
            self.leg[side] = (np.linalg.norm(knee - hip), np.linalg.norm(ankle - knee))
        # the ready stance: knees soft, so the sway and the bounce stay within the legs' reach
        self.stance_drop = 0.03
        self.reach = (max(up + fore for _, up, fore in self.arm.values())
                      + np.linalg.norm(self.hand[_R], axis=-1).max())

    def frame_fit(self, style: DancerStyle) -> tuple[float, np.ndarray]:
        """(scale, centre) mapping rest-pose units to the [-1, 1] frame: everything the
        dancer can reach (arms straight up or out, feet, the sway) fits in size * 0.95."""
        shoulder_y = self.pelvis[1] + self.neck[1]
        top = shoulder_y - self.reach
        bottom = max(self.ankle[side][1] + self.feet[side][:, 1].max() for side in _SIDE_NAME)
        half_width = (np.abs(self.arm[_L][0][0]) + self.reach + style.sway * style.chorus
                      + math.radians(style.lean) * style.chorus * np.linalg.norm(self.neck))
        half = max((bottom - top) / 2, half_width)
        return 0.95 * style.size / half, np.array([0.0, (top + bottom) / 2])

    def pose(self, channels: np.ndarray, dip: np.ndarray, nod: np.ndarray, style: DancerStyle) -> np.ndarray:
        """Per-frame channels -> [T, 134, 2] in rest-pose units (forward kinematics)."""
        num_frames = len(channels)
        out = np.zeros((num_frames, NUM_KEYPOINTS, 2))
        pelvis = self.pelvis + np.stack([channels[:, _CH_SWAY], dip + self.stance_drop], -1)
        torso = _rot(channels[:, _CH_LEAN])
        neck = pelvis + _apply(torso, np.broadcast_to(self.neck, (num_frames, 2)))
        out[:, index("neck")] = neck
        # head: a nod tips the face down (it drops and foreshortens), then the torso's roll
        head = np.broadcast_to(self.head, (num_frames,) + self.head.shape).copy()
        head[..., 1] *= 1.0 - 0.25 * nod[:, None]
        upright = _rot(-0.5 * channels[:, _CH_LEAN])  # the head leans half as much as the torso
        out[:, _HEAD_POINTS] = neck[:, None] + _apply(upright, _apply(torso, head))
        for side, name in _SIDE_NAME.items():
            arm = channels[:, _CH_RIGHT if side == _R else _CH_LEFT]
            offset, upper, fore = self.arm[side]
            shoulder = neck + _apply(torso, np.broadcast_to(offset, (num_frames, 2)))
            elbow = shoulder + upper * _apply(torso, _direction(arm[:, 0], side))
            wrist = elbow + fore * _apply(torso, _direction(arm[:, 1], side))
            for joint, xy in (("shoulder", shoulder), ("elbow", elbow), ("wrist", wrist)):
                out[:, index(f"{name}_{joint}")] = xy
            hand_along = _apply(torso, _direction(arm[:, 2], side))
            out[:, GROUPS[f"{name}_hand"]] = self._hand(side, wrist, hand_along, np.clip(arm[:, 3], 0.0, 1.0))
            hip_offset = np.broadcast_to(self.hip[side], (num_frames, 2))
            hip = pelvis + _apply(_rot(0.3 * channels[:, _CH_LEAN]), hip_offset)  # the pelvis tilts a little
            ankle = np.broadcast_to(self.ankle[side], (num_frames, 2))
            out[:, index(f"{name}_hip")] = hip
            out[:, index(f"{name}_knee")] = self._knee(side, hip, ankle, style.knees_out)
            out[:, index(f"{name}_ankle")] = ankle
            out[:, _FEET[side]] = ankle[:, None] + self.feet[side]
        return out

    def _hand(self, side: float, wrist: np.ndarray, along: np.ndarray, curl: np.ndarray) -> np.ndarray:
        """The hand, rigid along `along` [T, 2], fingers curled towards their bases by `curl` [T]."""
        local = np.broadcast_to(self.hand[side], (len(wrist),) + self.hand[side].shape).copy()
        for finger in FINGERS:
            chain = np.array(hand_finger("left", finger)) - GROUPS["left_hand"].start  # 0..20
            base = local[:, chain[1]]
            shrink = 1.0 - 0.75 * curl[:, None, None] * np.array([1.0, 0.9, 0.8])[None, :, None]
            local[:, chain[2:]] = base[:, None] + (local[:, chain[2:]] - base[:, None]) * shrink
        across = _perp(along)
        return wrist[:, None] + local[..., :1] * across[:, None] + local[..., 1:] * along[:, None]

    def _knee(self, side: float, hip: np.ndarray, ankle: np.ndarray, knees_out: float) -> np.ndarray:
        """Two-bone IK: the knee between hip and ankle [T, 2]; `knees_out` of the bend shows sideways."""
        thigh, shin = self.leg[side]
        span = ankle - hip
        d = np.minimum(np.linalg.norm(span, axis=-1), 0.999 * (thigh + shin))
        along = span / d[:, None]
        a = (thigh**2 - shin**2 + d**2) / (2 * d)
        h = np.sqrt(np.maximum(thigh**2 - a**2, 0.0))
        out = _perp(along)
        out *= np.sign(out[:, :1] * side)  # point away from the body's midline
        return hip + a[:, None] * along + knees_out * h[:, None] * out


# -----------------------------------------------------------------------------
# argument checks


def _as_times(name: str, values, min_count: int) -> np.ndarray:
    times = np.asarray(values)
    if not (np.issubdtype(times.dtype, np.floating) or np.issubdtype(times.dtype, np.integer)):
        raise TypeError(f"expected {name} as numbers (seconds), got dtype {times.dtype}")
    times = times.astype(np.float64)
    if times.ndim != 1 or times.size < min_count:
        raise ValueError(f"expected {name} as a 1-D array of at least {min_count} times in "
                         f"seconds, got shape {times.shape}")
    if not np.isfinite(times).all() or (times < 0).any() or (np.diff(times) <= 0).any():
        raise ValueError(f"expected {name} finite, >= 0 and strictly increasing, "
                         f"got {times[:8].tolist()}{'...' if times.size > 8 else ''}")
    return times


def _bar_labels(name: str, values, num_bars: int) -> list[str]:
    values = [str(v) for v in values]
    if len(values) != num_bars:
        raise ValueError(f"expected one {name} label per bar ({num_bars} bars), got {len(values)}")
    return values


# -----------------------------------------------------------------------------
# the public entry points


def generate_dance(beat_times, downbeat_times, num_frames: int, fps: float = 30, style="bouncer",
                   seed: int = 0, chords=None, sections=None, onset_frames=None) -> np.ndarray:
    """A dance locked to the music: [num_frames, 134, 2] float32 in the normalised frame.

    beat_times:     [B] seconds, strictly increasing, B >= 2 (beyond them the last tempo goes on)
    downbeat_times: [N] seconds of the bars' first beats (each on a beat; [] = 4/4 from beat 0)
    num_frames:     T, the number of pose frames (e.g. features.num_pose_frames)
    fps:            pose frames per second
    style:          a name in DANCER_STYLES, a label (index into DANCER_NAMES) or a DancerStyle
    seed:           int >= 0; the same arguments always give the same dance
    chords:         None or N chord labels, one per bar (anything with a str(): names, Chord)
    sections:       None or N section labels, one per bar ("verse", "chorus": a chorus is bigger)
    onset_frames:   None (accents by the dancer's habit) or frame indices of onsets in
                    [0, T - 1]: the head nods deeper on every beat within a quarter beat of one

    Every coordinate stays inside [-0.95, 0.95]; the dance is smooth (no per-frame jitter)
    and still on each beat, so its kinematic beats fall on the music's beats.
    """
    num_frames = check_positive_int(num_frames, "num_frames")
    fps = check_real(fps, "fps", 0, low_open=True)
    seed = check_int(seed, "seed", 0)
    dancer = dancer_style(style)
    beats = _as_times("beat_times", beat_times, 2)
    downbeats = _as_times("downbeat_times", downbeat_times, 0)
    first_downbeat, per_bar = _meter(beats, downbeats)
    labels, phase = _beat_grid(beats, num_frames, fps)

    num_bars = len(downbeats) or math.ceil(len(beats) / per_bar)
    if chords is None:  # no harmony given: a 4-bar phrase that repeats
        chord_labels = [bar % 4 for bar in range(num_bars)]
    else:
        chord_labels = _bar_labels("chord", chords, num_bars)
    section_labels = [None] * num_bars if sections is None else _bar_labels("section", sections, num_bars)
    energies = [dancer.chorus if s == "chorus" else 1.0 for s in section_labels]

    if onset_frames is None:
        def accented(k):
            return (k - first_downbeat) % dancer.nod_every == 0
    else:
        onsets = check_frame_indices(onset_frames, "onset_frames", num_frames)
        onset_phase = phase[onsets]

        def accented(k):
            return bool(np.any(np.abs(onset_phase - k) <= 0.25))

    rng = np.random.default_rng((seed, zlib.crc32(dancer.name.encode())))
    bar_plan = _bar_moves(dancer, list(zip(section_labels, chord_labels, strict=True)))
    keys = _key_poses(dancer, rng, labels, first_downbeat, per_bar, bar_plan, energies, accented)

    channels = _interpolate(keys, labels, phase, dancer.snap)
    energy = channels[:, _CH_ENERGY]
    channels[:, _CH_SWAY] *= energy
    channels[:, _CH_LEAN] *= energy
    low = _low_around_beats(phase, dancer.hit)
    dip = dancer.bounce * energy * low
    nod = np.clip(channels[:, _CH_NOD] * energy, 0.0, 1.0) * low

    return _render(dancer, channels, dip, nod)


def _render(dancer: DancerStyle, channels: np.ndarray, dip: np.ndarray, nod: np.ndarray) -> np.ndarray:
    """Channels [T, _NUM_CHANNELS], dip [T], nod [T] -> [T, 134, 2] float32 in the [-1, 1] frame."""
    body = _Body(dancer)
    scale, centre = body.frame_fit(dancer)
    return ((body.pose(channels, dip, nod, dancer) - centre) * scale).astype(np.float32)


def random_motion(num_frames: int, fps: float = 30, style="bouncer", seed: int = 0,
                  smooth: float = 0.25) -> np.ndarray:
    """A baseline: the dancer's body moving smoothly at random, to no music: [T, 134, 2] float32.

    Every channel of the dance (sway, lean, the arms' angles, finger curl, dip, nod) is
    Gaussian-smoothed white noise (sigma = `smooth` seconds), so the skeleton stays a
    skeleton, stays in the frame and moves about as fast as a dance, but ignores the beats.
    """
    num_frames = check_positive_int(num_frames, "num_frames")
    fps = check_real(fps, "fps", 0, low_open=True)
    smooth = check_real(smooth, "smooth", 0, low_open=True)
    seed = check_int(seed, "seed", 0)
    dancer = dancer_style(style)
    sigma = smooth * fps
    pad = int(4 * sigma) + 1
    rng = np.random.default_rng((seed, zlib.crc32(b"random_motion")))
    white = rng.standard_normal((num_frames + 2 * pad, _NUM_CHANNELS + 2))
    noise = gaussian_filter1d(white, sigma, axis=0)[pad:-pad] * math.sqrt(2 * math.sqrt(math.pi) * sigma)
    channels = np.zeros((num_frames, _NUM_CHANNELS))
    channels[:, _CH_SWAY] = dancer.sway * noise[:, _CH_SWAY]
    channels[:, _CH_LEAN] = math.radians(dancer.lean) * noise[:, _CH_LEAN]
    for arm in (_CH_RIGHT, _CH_LEFT):
        upper, fore, hand, curl = (noise[:, c] for c in range(arm.start, arm.stop))
        channels[:, arm.start] = 70.0 + 50.0 * upper
        channels[:, arm.start + 1] = channels[:, arm.start] + 40.0 * fore
        channels[:, arm.start + 2] = channels[:, arm.start + 1] + 10.0 * hand
        channels[:, arm.start + 3] = 0.5 + 0.5 * np.tanh(curl)
    dip = dancer.bounce * 0.5 * (1.0 + np.tanh(noise[:, -2]))
    nod = dancer.nod * 0.5 * (1.0 + np.tanh(noise[:, -1]))
    return _render(dancer, channels, dip, nod)


def dance_for_song(song, fps: int = 30, style="bouncer", seed: int = 0, onsets: bool = True) -> np.ndarray:
    """generate_dance for a SynthSong (``synth_music``): [T, 134, 2] float32.

    T = features.num_pose_frames(len(song.audio), song.sr, fps), the same T as the song's
    music features. The song's beats, downbeats, chords and sections drive the dance; with
    `onsets`, the head nods deeper on the beats that carry an onset peak of the music
    features (librosa's onset detector on the features' onset envelope).
    """
    from ..features import num_pose_frames

    num_frames = num_pose_frames(len(song.audio), song.sr, fps)
    onset_frames = _onset_frames(song.audio, song.sr, fps, num_frames) if onsets else None
    return generate_dance(song.beat_times, song.downbeat_times, num_frames, fps=fps, style=style,
                          seed=seed, chords=song.chords, sections=song.sections,
                          onset_frames=onset_frames)


def _onset_frames(audio: np.ndarray, sr: int, fps: int, num_frames: int) -> np.ndarray:
    """Onset frames [K] int64 in [0, num_frames - 1]: the music features' own onset peaks.

    The ``onset_peak`` group of the features (EDGE's recipe has it) at their own rate, fps x
    512 samples per frame: the head nods on exactly the onsets the model's input marks. (The
    onset detector run on the clip at its own rate, hop sr / fps, which this replaced, found the
    same onsets for a clip rendered at the feature rate, as the dataset's are, but for 8 s songs
    at 22050 Hz only 40-50% of them on the same frame and 15-30% more than a frame away.)
    """
    from ..features import FeatureGroup, FeatureRecipe, frame_descriptors

    recipe = FeatureRecipe(groups=(FeatureGroup("onset_peak", 1),), context=1, name="onset-peaks")
    peaks = frame_descriptors(np.asarray(audio, dtype=np.float32), sr, fps=fps, recipe=recipe)[:num_frames, 0]
    return np.flatnonzero(peaks > 0.5).astype(np.int64)
