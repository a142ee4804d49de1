"""Tests of the 134-keypoint layout, its skeleton and the rest pose."""

import itertools

import numpy as np
import pytest
import torch

from m2p_course.keypoints import (
    BODY_PARTS,
    EDGE_GROUP_NAMES,
    EDGE_GROUPS,
    FACE_PARTS,
    FINGERS,
    GROUPS,
    KEYPOINT_NAMES,
    NUM_KEYPOINTS,
    SKELETON,
    check_pose,
    hand_finger,
    index,
    rest_pose,
)


@pytest.fixture(scope="module")
def pose():
    return rest_pose()


def P(pose, name):
    return pose[index(name)]


# ---------------------------------------------------------------- names and groups

def test_names_are_134_unique():
    assert NUM_KEYPOINTS == 134
    assert len(KEYPOINT_NAMES) == 134
    assert len(set(KEYPOINT_NAMES)) == 134


def test_groups_cover_every_index_exactly_once():
    seen = [i for idx in GROUPS.values() for i in idx]
    assert sorted(seen) == list(range(134))
    assert (GROUPS["body"], GROUPS["feet"], GROUPS["face"]) == (
        range(0, 18), range(18, 24), range(24, 92))
    assert (GROUPS["left_hand"], GROUPS["right_hand"]) == (range(92, 113), range(113, 134))


def test_face_parts_partition_the_face_in_ibug_order():
    seen = [i for idx in FACE_PARTS.values() for i in idx]
    assert seen == list(GROUPS["face"])
    sizes = {k: len(v) for k, v in FACE_PARTS.items()}
    assert sizes == {"jaw": 17, "right_brow": 5, "left_brow": 5, "nose_bridge": 4,
                     "nose_base": 5, "right_eye": 6, "left_eye": 6, "outer_mouth": 12,
                     "inner_mouth": 8}


def test_openpose18_body_order_and_names():
    expected = {0: "nose", 1: "neck", 2: "right_shoulder", 4: "right_wrist",
                5: "left_shoulder", 7: "left_wrist", 8: "right_hip", 10: "right_ankle",
                11: "left_hip", 13: "left_ankle", 14: "right_eye", 15: "left_eye",
                16: "right_ear", 17: "left_ear", 18: "left_big_toe", 20: "left_heel",
                21: "right_big_toe", 23: "right_heel", 24: "face_jaw_0", 40: "face_jaw_16",
                41: "face_right_brow_0", 51: "face_nose_0", 60: "face_right_eye_0",
                72: "face_mouth_0", 91: "face_mouth_19", 92: "left_hand_wrist",
                93: "left_hand_thumb_1", 97: "left_hand_index_1", 112: "left_hand_pinky_4",
                113: "right_hand_wrist", 133: "right_hand_pinky_4"}
    for i, name in expected.items():
        assert KEYPOINT_NAMES[i] == name
        assert index(name) == i


def test_body_parts_are_valid_indices():
    for idx in BODY_PARTS.values():
        assert all(0 <= i < 24 for i in idx)


def test_index_errors():
    with pytest.raises(ValueError, match="left_wrist"):
        index("left_wirst")                      # typo: suggests the right name
    with pytest.raises(TypeError, match="str"):
        index(7)


# ---------------------------------------------------------------- skeleton

def test_skeleton_edges_are_valid_distinct_and_unique():
    assert len(SKELETON) == 128
    undirected = set()
    for i, j in SKELETON:
        assert 0 <= i < 134 and 0 <= j < 134 and i != j
        undirected.add(frozenset((i, j)))
    assert len(undirected) == len(SKELETON)


def test_edge_groups_label_every_edge():
    assert len(EDGE_GROUPS) == len(SKELETON)
    assert set(EDGE_GROUPS) == set(EDGE_GROUP_NAMES)
    counts = {g: EDGE_GROUPS.count(g) for g in EDGE_GROUP_NAMES}
    assert counts["face"] == 63 and counts["left_hand"] == counts["right_hand"] == 20
    assert counts["bridge"] == 2
    body = sum(counts[g] for g in ("head", "torso", "right_arm", "left_arm",
                                   "right_leg", "left_leg"))
    assert body == 17
    bridges = {frozenset(e) for e, g in zip(SKELETON, EDGE_GROUPS, strict=True) if g == "bridge"}
    assert bridges == {frozenset((7, 92)), frozenset((4, 113))}


def test_every_keypoint_is_drawn():
    touched = {i for edge in SKELETON for i in edge}
    assert touched == set(range(134))


def test_each_finger_is_a_chain_from_the_wrist():
    edges = set(SKELETON)
    for side in ("left", "right"):
        for finger in FINGERS:
            chain = hand_finger(side, finger)
            assert chain[0] == index(f"{side}_hand_wrist")
            assert chain[1:] == tuple(index(f"{side}_hand_{finger}_{k}") for k in range(1, 5))
            for a, b in itertools.pairwise(chain):
                assert (a, b) in edges
    with pytest.raises(ValueError, match="finger"):
        hand_finger("left", "toe")
    with pytest.raises(ValueError, match="side"):
        hand_finger("middle", "thumb")


def test_eye_and_mouth_loops_are_closed():
    edges = {frozenset(e) for e in SKELETON}
    for part in ("right_eye", "left_eye", "outer_mouth", "inner_mouth"):
        idx = FACE_PARTS[part]
        assert frozenset((idx[-1], idx[0])) in edges


# ---------------------------------------------------------------- rest pose

def test_rest_pose_shape_dtype_range_and_determinism(pose):
    assert pose.shape == (134, 2) and pose.dtype == np.float32
    assert np.isfinite(pose).all()
    assert np.abs(pose).max() <= 0.9
    assert np.array_equal(pose, rest_pose())
    assert rest_pose() is not rest_pose()          # a fresh array each call


def test_rest_pose_is_upright(pose):
    y = lambda name: P(pose, name)[1]  # noqa: E731
    assert y("nose") < y("neck") < y("right_hip") < y("right_knee") < y("right_ankle")
    assert y("nose") < y("neck") < y("left_hip") < y("left_knee") < y("left_ankle")
    assert y("left_ankle") < y("left_big_toe") and y("right_ankle") < y("right_big_toe")
    assert y("right_eye") < y("nose")
    # head near the top of the frame, feet near the bottom
    assert pose[:, 1].min() < -0.6 and pose[:, 1].max() > 0.8


def test_rest_pose_faces_the_viewer(pose):
    """The person's right side is on the image's left (smaller x)."""
    for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "eye", "ear"):
        assert P(pose, f"right_{part}")[0] < 0 < P(pose, f"left_{part}")[0]
    assert pose[GROUPS["right_hand"], 0].max() < pose[GROUPS["left_hand"], 0].min()
    assert pose[FACE_PARTS["right_eye"], 0].max() < pose[FACE_PARTS["left_eye"], 0].min()
    assert P(pose, "face_jaw_0")[0] < P(pose, "face_jaw_16")[0]
    np.testing.assert_allclose(P(pose, "neck"),
                               (P(pose, "right_shoulder") + P(pose, "left_shoulder")) / 2)


def test_rest_pose_face_sits_in_the_head(pose):
    face = pose[GROUPS["face"]]
    assert face[:, 1].max() < P(pose, "neck")[1]                   # above the neck
    assert face[:, 0].min() > P(pose, "right_shoulder")[0]
    assert face[:, 0].max() < P(pose, "left_shoulder")[0]
    assert P(pose, "right_ear")[0] <= face[:, 0].min()
    assert face[:, 0].max() <= P(pose, "left_ear")[0]
    # body nose and eyes agree with the face landmarks
    np.testing.assert_allclose(P(pose, "nose"), P(pose, "face_nose_3"), atol=1e-6)
    np.testing.assert_allclose(P(pose, "right_eye"), pose[FACE_PARTS["right_eye"]].mean(0),
                               atol=1e-6)
    # face layout: brows above eyes above nose tip above mouth above chin
    y = lambda part: pose[FACE_PARTS[part], 1].mean()  # noqa: E731
    assert y("right_brow") < y("right_eye") < y("nose_base") < y("outer_mouth")
    assert y("outer_mouth") < P(pose, "face_jaw_8")[1]
    width = face[:, 0].max() - face[:, 0].min()
    assert 0.08 < width < 0.3                                        # small but not a dot


def test_rest_pose_hands_hang_from_the_wrists(pose):
    for side in ("left", "right"):
        wrist = P(pose, f"{side}_wrist")
        hand = pose[GROUPS[f"{side}_hand"]]
        np.testing.assert_allclose(hand[0], wrist, atol=1e-6)
        assert np.linalg.norm(hand - wrist, axis=1).max() < 0.25
        tips = [P(pose, f"{side}_hand_{f}_4") for f in FINGERS]
        assert all(t[1] > wrist[1] for t in tips)                   # fingers point down
        assert len({tuple(t) for t in tips}) == 5                    # five distinct tips
    # thumbs point away from the body (palms to the viewer)
    assert P(pose, "left_hand_thumb_4")[0] > P(pose, "left_hand_pinky_4")[0]
    assert P(pose, "right_hand_thumb_4")[0] < P(pose, "right_hand_pinky_4")[0]


# ---------------------------------------------------------------- check_pose

def test_check_pose_accepts_numpy_and_torch(pose):
    out = check_pose(pose)
    assert out.shape == (134, 2) and out.dtype == np.float32
    seq = check_pose(torch.from_numpy(np.stack([pose, pose])).double())
    assert isinstance(seq, np.ndarray) and seq.shape == (2, 134, 2) and seq.dtype == np.float32
    np.testing.assert_allclose(seq[1], pose)
    grad = torch.zeros(134, 2, requires_grad=True)
    assert check_pose(grad).shape == (134, 2)


@pytest.mark.parametrize("bad, err, msg", [
    (np.zeros((133, 2)), ValueError, r"\[134, 2\].*got shape \(133, 2\)"),
    (np.zeros((134, 3)), ValueError, r"got shape \(134, 3\)"),
    (np.zeros((2, 3, 134, 2)), ValueError, r"got shape \(2, 3, 134, 2\)"),
    (np.zeros((0, 134, 2)), ValueError, "at least one frame"),
    (np.zeros(268), ValueError, r"got shape \(268,\)"),
    (np.full((134, 2), np.nan), ValueError, "NaN"),
    (np.zeros((134, 2), dtype=bool), TypeError, "dtype bool"),
    (torch.zeros(134, 2, dtype=torch.bool), TypeError, "dtype torch.bool"),
    ([[0.0, 0.0]] * 134, TypeError, "got list"),
    (torch.zeros(5, 2), ValueError, r"got shape \(5, 2\)"),
])
def test_check_pose_errors(bad, err, msg):
    with pytest.raises(err, match=msg):
        check_pose(bad)
