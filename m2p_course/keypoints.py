"""The 134 whole-body keypoints of DWPose, their skeleton, and a rest pose.

Layout (DWPose = COCO-WholeBody's 133 points + a neck, body reordered to OpenPose-18):

    0-17    body   nose, neck, right shoulder/elbow/wrist, left shoulder/elbow/wrist,
                   right hip/knee/ankle, left hip/knee/ankle, right/left eye, right/left ear
    18-23   feet   left big toe, left small toe, left heel, right big toe, right small toe,
                   right heel
    24-91   face   the 68 iBUG landmarks: jaw 17, right brow 5, left brow 5, nose 9,
                   right eye 6, left eye 6, mouth 20 (outer 12, inner 8)
    92-112  left hand   wrist, then thumb, index, middle, ring, pinky (4 points each,
                        base to tip)
    113-133 right hand  same order

"Right" and "left" are the person's own sides. Coordinates, shared by the whole course,
are those of kornia's ``spatial_soft_argmax2d`` with normalised coordinates: (x, y) in
[-1, 1], x to the right of the image, y DOWN the image (the head has a smaller y than the
feet). A person facing the viewer has their right side on the image's left (x < 0).
"""

from __future__ import annotations

import difflib
import itertools

import numpy as np

from .checks import as_numpy_poses

NUM_KEYPOINTS = 134

# -----------------------------------------------------------------------------
# names and groups

BODY_NAMES = (
    "nose", "neck",
    "right_shoulder", "right_elbow", "right_wrist",
    "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle",
    "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)
FEET_NAMES = (
    "left_big_toe", "left_small_toe", "left_heel",
    "right_big_toe", "right_small_toe", "right_heel",
)
_FACE_PART_SIZES = (  # iBUG 68 order
    ("jaw", 17), ("right_brow", 5), ("left_brow", 5), ("nose", 9),
    ("right_eye", 6), ("left_eye", 6), ("mouth", 20),
)
FACE_NAMES = tuple(f"face_{part}_{i}" for part, n in _FACE_PART_SIZES for i in range(n))
FINGERS = ("thumb", "index", "middle", "ring", "pinky")


def _hand_names(side: str) -> tuple[str, ...]:
    return (f"{side}_hand_wrist",) + tuple(
        f"{side}_hand_{finger}_{k}" for finger in FINGERS for k in range(1, 5))


KEYPOINT_NAMES: tuple[str, ...] = (
    BODY_NAMES + FEET_NAMES + FACE_NAMES + _hand_names("left") + _hand_names("right"))

GROUPS: dict[str, range] = {
    "body": range(0, 18),
    "feet": range(18, 24),
    "face": range(24, 92),
    "left_hand": range(92, 113),
    "right_hand": range(113, 134),
}

_FACE0 = GROUPS["face"].start
FACE_PARTS: dict[str, range] = {
    "jaw": range(_FACE0 + 0, _FACE0 + 17),
    "right_brow": range(_FACE0 + 17, _FACE0 + 22),
    "left_brow": range(_FACE0 + 22, _FACE0 + 27),
    "nose_bridge": range(_FACE0 + 27, _FACE0 + 31),
    "nose_base": range(_FACE0 + 31, _FACE0 + 36),
    "right_eye": range(_FACE0 + 36, _FACE0 + 42),
    "left_eye": range(_FACE0 + 42, _FACE0 + 48),
    "outer_mouth": range(_FACE0 + 48, _FACE0 + 60),
    "inner_mouth": range(_FACE0 + 60, _FACE0 + 68),
}

BODY_PARTS: dict[str, tuple[int, ...]] = {
    "head": (0, 14, 15, 16, 17),
    "torso": (1, 2, 5, 8, 11),
    "right_arm": (2, 3, 4),
    "left_arm": (5, 6, 7),
    "right_leg": (8, 9, 10),
    "left_leg": (11, 12, 13),
    "right_foot": (21, 22, 23),
    "left_foot": (18, 19, 20),
}


def hand_finger(side: str, finger: str) -> tuple[int, ...]:
    """Indices of one finger's chain, wrist first: 5 ints (wrist, base, ..., tip).

    side: "left" or "right"; finger: one of FINGERS.
    """
    if side not in ("left", "right"):
        raise ValueError(f"expected side 'left' or 'right', got {side!r}")
    if finger not in FINGERS:
        raise ValueError(f"expected finger one of {FINGERS}, got {finger!r}")
    wrist = GROUPS[f"{side}_hand"].start
    base = wrist + 1 + 4 * FINGERS.index(finger)
    return (wrist, base, base + 1, base + 2, base + 3)


_NAME_TO_INDEX = {name: i for i, name in enumerate(KEYPOINT_NAMES)}


def index(name: str) -> int:
    """The index (0..133) of a keypoint given its name, e.g. index("left_wrist") == 7."""
    if not isinstance(name, str):
        raise TypeError(f"expected a keypoint name (str), got {type(name).__name__}")
    if name not in _NAME_TO_INDEX:
        close = difflib.get_close_matches(name, KEYPOINT_NAMES, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown keypoint name {name!r}{hint}")
    return _NAME_TO_INDEX[name]


# -----------------------------------------------------------------------------
# skeleton edges for drawing


def _chain(idx, closed: bool = False) -> list[tuple[int, int]]:
    idx = list(idx)
    edges = list(itertools.pairwise(idx))
    return edges + [(idx[-1], idx[0])] if closed else edges


def _build_skeleton() -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
    parts: list[tuple[str, list[tuple[int, int]]]] = [
        # OpenPose-18 limbs (the 17 drawn by OpenPose; ear-shoulder links are left out)
        ("head", [(1, 0), (0, 14), (14, 16), (0, 15), (15, 17)]),
        ("torso", [(1, 2), (1, 5), (1, 8), (1, 11)]),
        ("right_arm", [(2, 3), (3, 4)]),
        ("left_arm", [(5, 6), (6, 7)]),
        ("right_leg", [(8, 9), (9, 10)]),
        ("left_leg", [(11, 12), (12, 13)]),
        # COCO-WholeBody feet: ankle to big toe, small toe and heel
        ("right_foot", [(10, 21), (10, 22), (10, 23)]),
        ("left_foot", [(13, 18), (13, 19), (13, 20)]),
        ("face", _chain(FACE_PARTS["jaw"]) + _chain(FACE_PARTS["right_brow"])
         + _chain(FACE_PARTS["left_brow"]) + _chain(FACE_PARTS["nose_bridge"])
         + _chain(FACE_PARTS["nose_base"]) + _chain(FACE_PARTS["right_eye"], closed=True)
         + _chain(FACE_PARTS["left_eye"], closed=True)
         + _chain(FACE_PARTS["outer_mouth"], closed=True)
         + _chain(FACE_PARTS["inner_mouth"], closed=True)),
    ]
    for side in ("right", "left"):
        parts.append((f"{side}_hand",
                      [e for f in FINGERS for e in _chain(hand_finger(side, f))]))
    # visual bridges: the hand detector's wrist joined to the body's wrist
    parts.append(("bridge", [(index("left_wrist"), index("left_hand_wrist")),
                             (index("right_wrist"), index("right_hand_wrist"))]))
    edges = tuple(e for _, es in parts for e in es)
    labels = tuple(name for name, es in parts for _ in es)
    return edges, labels


# SKELETON: 128 (i, j) index pairs to draw: OpenPose-18 limbs (17), feet (6), face
# contour (jaw, brows, nose bridge and base, eye loops, outer and inner mouth loops: 63),
# fingers (wrist to each finger base, then along the finger: 20 per hand) and 2 *visual
# bridges* (left_wrist-left_hand_wrist, right_wrist-right_hand_wrist) that join the hands
# to the arms: not bones, they only make the drawing connected.
# EDGE_GROUPS: one label per edge of SKELETON, for colouring; EDGE_GROUP_NAMES lists them.
SKELETON, EDGE_GROUPS = _build_skeleton()
EDGE_GROUP_NAMES = tuple(dict.fromkeys(EDGE_GROUPS))


# -----------------------------------------------------------------------------
# validation


def check_pose(pose, *, name: str = "pose") -> np.ndarray:
    """Check one pose [134, 2] or a sequence [T, 134, 2] and return it as numpy float32.

    Accepts a numpy array or a torch tensor (detached, moved to the CPU). Raises
    TypeError for other types or non-numeric dtypes, ValueError for a wrong shape, an
    empty sequence, or NaN/Inf values. Returns an array of the same shape, float32.
    """
    pose = as_numpy_poses(pose, name)
    if pose.ndim not in (2, 3) or pose.shape[-2:] != (NUM_KEYPOINTS, 2):
        raise ValueError(f"{name} must have shape [134, 2] or [T, 134, 2] "
                         f"(x, y per keypoint), got shape {tuple(pose.shape)}")
    if pose.ndim == 3 and pose.shape[0] == 0:
        raise ValueError(f"{name} must have at least one frame, got shape {tuple(pose.shape)}")
    return pose


# -----------------------------------------------------------------------------
# the rest pose: a person standing, facing the viewer

# Mean dlib/iBUG 68-landmark face, x right, y down, from OpenFace's align_dlib.py
# (Copyright 2015-2016 Carnegie Mellon University, Apache License 2.0), rounded.
_FACE_TEMPLATE = np.array([
    (0.0792, 0.3392), (0.0829, 0.4570), (0.0968, 0.5756), (0.1221, 0.6919),
    (0.1687, 0.8003), (0.2398, 0.8957), (0.3257, 0.9771), (0.4223, 1.0433),
    (0.5318, 1.0608), (0.6413, 1.0398), (0.7381, 0.9723), (0.8244, 0.8896),
    (0.8948, 0.7925), (0.9394, 0.6815), (0.9611, 0.5622), (0.9706, 0.4418),
    (0.9712, 0.3221), (0.1638, 0.2492), (0.2178, 0.2043), (0.2913, 0.1924),
    (0.3675, 0.2036), (0.4393, 0.2331), (0.5864, 0.2281), (0.6602, 0.1959),
    (0.7380, 0.1824), (0.8132, 0.1928), (0.8708, 0.2353), (0.5153, 0.3186),
    (0.5162, 0.3962), (0.5171, 0.4738), (0.5182, 0.5532), (0.4337, 0.6041),
    (0.4755, 0.6208), (0.5207, 0.6343), (0.5659, 0.6188), (0.6071, 0.6016),
    (0.2524, 0.3311), (0.2987, 0.3026), (0.3557, 0.3030), (0.4037, 0.3387),
    (0.3525, 0.3500), (0.2968, 0.3505), (0.6313, 0.3341), (0.6791, 0.2965),
    (0.7360, 0.2947), (0.7829, 0.3213), (0.7403, 0.3418), (0.6850, 0.3437),
    (0.3532, 0.7462), (0.4146, 0.7191), (0.4777, 0.7068), (0.5227, 0.7171),
    (0.5698, 0.7054), (0.6352, 0.7157), (0.6995, 0.7394), (0.6394, 0.8052),
    (0.5764, 0.8354), (0.5254, 0.8417), (0.4764, 0.8375), (0.4138, 0.8100),
    (0.3801, 0.7500), (0.4780, 0.7451), (0.5234, 0.7489), (0.5711, 0.7433),
    (0.6724, 0.7442), (0.5725, 0.7766), (0.5240, 0.7834), (0.4776, 0.7785),
], dtype=np.float64)

# One hand, fingers pointing along +v, thumb on the +u side, in units of hand length
# (wrist to the middle fingertip). Rows: wrist, then per finger base..tip.
_HAND_TEMPLATE = np.array([
    (0.00, 0.00),
    (0.20, 0.10), (0.33, 0.22), (0.40, 0.34), (0.45, 0.45),   # thumb: CMC, MCP, IP, tip
    (0.21, 0.45), (0.24, 0.66), (0.25, 0.79), (0.26, 0.89),   # index: MCP, PIP, DIP, tip
    (0.06, 0.47), (0.07, 0.71), (0.07, 0.86), (0.07, 1.00),   # middle
    (-0.09, 0.45), (-0.10, 0.67), (-0.11, 0.81), (-0.11, 0.92),  # ring
    (-0.22, 0.41), (-0.24, 0.58), (-0.25, 0.69), (-0.26, 0.78),  # pinky
], dtype=np.float64)

# Body joints (x, y) of a person 1.7 units tall standing in the middle of the frame.
_BODY = {
    "neck": (0.00, -0.50),
    "right_shoulder": (-0.17, -0.50), "left_shoulder": (0.17, -0.50),
    "right_elbow": (-0.24, -0.22), "left_elbow": (0.24, -0.22),
    "right_wrist": (-0.29, 0.04), "left_wrist": (0.29, 0.04),
    "right_hip": (-0.10, 0.08), "left_hip": (0.10, 0.08),
    "right_knee": (-0.11, 0.45), "left_knee": (0.11, 0.45),
    "right_ankle": (-0.12, 0.80), "left_ankle": (0.12, 0.80),
    "right_big_toe": (-0.09, 0.87), "right_small_toe": (-0.16, 0.86),
    "right_heel": (-0.12, 0.83),
    "left_big_toe": (0.09, 0.87), "left_small_toe": (0.16, 0.86),
    "left_heel": (0.12, 0.83),
}
_FACE_WIDTH = 0.15     # jaw point 0 to jaw point 16, ear to ear
_NOSE_TIP = (0.0, -0.66)
_HAND_LENGTH = 0.16


def _place_face() -> np.ndarray:
    """The 68-point template scaled to the head, nose tip (landmark 30) at _NOSE_TIP: [68, 2]."""
    t = _FACE_TEMPLATE
    scale = _FACE_WIDTH / (t[16, 0] - t[0, 0])
    return (t - t[30]) * scale + np.array(_NOSE_TIP)


def _place_hand(wrist: np.ndarray, elbow: np.ndarray, thumb_sign: float) -> np.ndarray:
    """The hand template hanging from the wrist along the forearm: [21, 2].

    thumb_sign = +1 puts the thumb towards +x (the left hand, palm to the viewer).
    """
    v = (wrist - elbow) / np.linalg.norm(wrist - elbow)   # along the forearm
    u = np.array([v[1], -v[0]]) * thumb_sign               # across the palm
    return wrist + _HAND_LENGTH * (_HAND_TEMPLATE[:, :1] * u + _HAND_TEMPLATE[:, 1:] * v)


def rest_pose() -> np.ndarray:
    """A person standing and facing the viewer, arms slightly out: [134, 2] float32.

    Normalised soft-argmax frame (x right, y down, in [-1, 1]); the figure spans about
    y -0.73 (brows) to 0.87 (toes); the person's right side is at x < 0. The face is the
    mean iBUG-68 face scaled to the head; the body's nose, eyes and ears are taken from
    it, and each hand's wrist coincides with the body's wrist. Deterministic.
    """
    pose = np.zeros((NUM_KEYPOINTS, 2), dtype=np.float64)
    for joint, xy in _BODY.items():
        pose[index(joint)] = xy
    face = _place_face()
    pose[GROUPS["face"]] = face
    pose[index("nose")] = face[30]
    pose[index("right_eye")] = face[36:42].mean(axis=0)
    pose[index("left_eye")] = face[42:48].mean(axis=0)
    pose[index("right_ear")] = face[1] + np.array([-0.01, 0.0])
    pose[index("left_ear")] = face[15] + np.array([0.01, 0.0])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        wrist, elbow = pose[index(f"{side}_wrist")], pose[index(f"{side}_elbow")]
        pose[GROUPS[f"{side}_hand"]] = _place_hand(wrist, elbow, sign)
    return pose.astype(np.float32)
