"""The keypoint explorer's plain functions and its widget (no browser needed)."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from m2p_course import GROUPS, KEYPOINT_NAMES, rest_pose  # noqa: E402
from m2p_course.widgets.keypoint_explorer import (  # noqa: E402
    GROUP_COLORS,
    describe_keypoint,
    keypoint_explorer_widget,
    keypoint_info,
    layout_table,
    plot_keypoint_scores,
    plot_keypoints,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_keypoint_info_by_index_and_by_name_agree():
    info = keypoint_info(121)
    assert info == keypoint_info("right_hand_index_4")
    assert info["name"] == "right_hand_index_4" and info["group"] == "right_hand"
    assert info["position"] == 8 and info["group_size"] == 21 and info["group_range"] == (113, 133)
    assert info["xy"] == pytest.approx(tuple(rest_pose()[121].tolist()))
    assert keypoint_info(np.int64(1))["name"] == "neck"
    for i in (0, 17, 18, 23, 24, 91, 92, 112, 113, 133):        # every group's first and last
        group = keypoint_info(i)["group"]
        assert i in GROUPS[group]


def test_keypoint_info_uses_the_pose_it_is_given():
    pose = rest_pose() + np.float32(0.5)
    assert keypoint_info("nose", pose)["xy"] == pytest.approx(tuple((rest_pose()[0] + 0.5).tolist()))
    assert keypoint_info(0, torch.from_numpy(pose))["xy"] == pytest.approx(tuple(pose[0].tolist()))


def test_describe_keypoint_is_one_line_with_index_group_and_place():
    line = describe_keypoint("left_wrist")
    assert line.startswith("  7  left_wrist: body keypoint 7 (counted from 0; 18 in all, indices 0-17)")
    assert "\n" not in line and "(x, y) = (0.29, 0.04)" in line


@pytest.mark.parametrize("key, place", [
    ("face_nose_3", "face keypoint 30 (counted from 0; 68 in all"),          # iBUG landmark 30, from 0
    ("face_jaw_0", "face keypoint 0 (counted from 0; 68 in all"),
    ("right_hand_index_4", "right_hand keypoint 8 (counted from 0; 21 in all"),  # wrist 0, thumb 1-4, index 5-8
    ("right_hand_wrist", "right_hand keypoint 0 (counted from 0; 21 in all"),
])
def test_describe_keypoint_counts_the_place_from_0_like_the_names(key, place):
    assert place in describe_keypoint(key)


@pytest.mark.parametrize("key, error, fragment", [
    (134, ValueError, "0..133"),
    (-1, ValueError, "0..133"),
    (True, TypeError, "index 0..133 (int) or a name"),
    (1.0, TypeError, "got float"),
    (None, TypeError, "got NoneType"),
    ("left_wirst", ValueError, "did you mean left_wrist"),
])
def test_bad_keypoints_get_clear_errors(key, error, fragment):
    with pytest.raises(error) as info:
        keypoint_info(key)
    assert fragment in str(info.value)


def test_bad_poses_get_clear_errors():
    with pytest.raises(ValueError, match=r"\[134, 2\]"):
        keypoint_info(0, np.zeros((134, 3)))
    with pytest.raises(ValueError, match="one pose"):
        keypoint_info(0, np.zeros((5, 134, 2)))


def test_layout_table_lists_the_five_groups_and_their_keypoints():
    lines = layout_table().splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert list(rows) == ["body", "feet", "face", "left_hand", "right_hand", "total"]
    assert [rows[g][1] for g in GROUPS] == ["0-17", "18-23", "24-91", "92-112", "113-133"]
    assert [int(rows[g][2]) for g in GROUPS] == [18, 6, 68, 21, 21]
    assert rows["total"][1] == "134"
    assert rows["body"][3:] == ["nose", "...", "left_ear"]
    hand = layout_table("left_hand").splitlines()
    assert len(hand) == 2 + 21 and hand[2].split() == ["92", "left_hand_wrist"]
    assert hand[-1].split() == ["112", "left_hand_pinky_4"]
    with pytest.raises(ValueError, match="group must be one of"):
        layout_table("hands")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_plot_keypoints_zooms_on_the_group_and_marks_the_keypoint():
    fig = plot_keypoints("right_hand", "right_hand_index_4")
    body, zoom, strip = fig.axes
    assert zoom.get_title() == "right_hand: indices 113-133"
    assert body.get_title() == "keypoint 121: right_hand_index_4"
    assert sorted(int(t) for t in _texts(zoom)) == list(range(113, 134))      # every index of the hand, once
    xmin, xmax = zoom.get_xlim()
    hand = rest_pose()[113:134]
    assert xmin < hand[:, 0].min() and hand[:, 0].max() < xmax and xmax - xmin < 0.4   # a zoom, not the body
    assert any(line.get_xdata()[0] == 121 for line in strip.get_lines())             # the strip's marker
    assert set(_texts(strip)) == {"body", "feet", "face", "left hand", "right hand"}


def test_plot_keypoints_changes_with_the_group():
    face, feet = plot_keypoints("face"), plot_keypoints("feet", labels=False)
    assert face.axes[1].get_xlim() != feet.axes[1].get_xlim()
    assert _texts(feet.axes[1]) == []                                   # labels off
    assert "24" in _texts(face.axes[1]) and "91" in _texts(face.axes[1]) and len(_texts(face.axes[1])) == 18
    assert face.axes[0].get_title() == "the 134 keypoints; face bright (68)"


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(group="hands"), ValueError, "group must be one of"),
    (dict(group=None), ValueError, "group must be one of"),
    (dict(keypoint=200), ValueError, "0..133"),
    (dict(labels="yes"), TypeError, "labels"),
    (dict(pose=np.zeros((133, 2))), ValueError, "shape (133, 2)"),
])
def test_plot_keypoints_bad_input(kwargs, error, fragment):
    with pytest.raises(error) as info:
        plot_keypoints(**kwargs)
    assert fragment in str(info.value)


def test_plot_keypoint_scores_draws_one_bar_per_keypoint_coloured_by_group():
    scores = torch.linspace(-1, 1, 134)
    fig = plot_keypoint_scores(scores, title="frame 0")
    bars = fig.axes[0].patches
    assert len(bars) == 134
    assert [round(b.get_height(), 4) for b in bars] == [round(v, 4) for v in scores.tolist()]
    assert matplotlib.colors.to_hex(bars[0].get_facecolor()) == GROUP_COLORS["body"]
    assert matplotlib.colors.to_hex(bars[133].get_facecolor()) == GROUP_COLORS["right_hand"]
    assert fig.axes[0].get_title() == "frame 0"
    dots = fig.axes[1].collections[-1]
    assert np.allclose(dots.get_offsets(), rest_pose())                # the skeleton does not move
    assert np.allclose(dots.get_array(), scores.numpy())


@pytest.mark.parametrize("scores, error, fragment", [
    (torch.zeros(2, 24, 134), ValueError, "pose_logits[0, 0]"),
    (np.zeros(133), ValueError, "shape (133,)"),
    ([0.0] * 134, TypeError, "tensor or array"),
    (np.full(134, np.nan), ValueError, "finite"),
])
def test_plot_keypoint_scores_bad_input(scores, error, fragment):
    with pytest.raises(error) as info:
        plot_keypoint_scores(scores)
    assert fragment in str(info.value)


def _controls(box):
    return [child for row in box.children if isinstance(row, widgets.HBox) for child in row.children]


def test_widget_builds_and_its_first_control_changes_the_output(capsys):
    box = keypoint_explorer_widget()
    assert isinstance(box, widgets.VBox)
    assert isinstance(box.children[0], widgets.HTML) and isinstance(box.children[-1], widgets.Output)
    group, keypoint, typed, labels = _controls(box)
    assert (type(group), type(keypoint), type(typed), type(labels)) == (
        widgets.Dropdown, widgets.IntSlider, widgets.BoundedIntText, widgets.Checkbox)
    assert (typed.min, typed.max) == (0, 133)
    assert list(group.options) == list(GROUPS) and (keypoint.min, keypoint.max) == (0, 133)
    capsys.readouterr()
    plt.close("all")
    group.value = "face"                      # outside a kernel the Output does not capture: stdout
    assert keypoint.value == 24               # the index follows the group
    out = capsys.readouterr().out
    assert out.count("24  face_jaw_0: face keypoint 0 (counted from 0; 68 in all") == 1
    assert typed.value == 24                  # the typing box follows the slider
    titles = [plt.figure(n).axes[1].get_title() for n in plt.get_fignums()]
    assert titles == ["face: indices 24-91"]  # the zoom moved to the face, drawn once (Agg leaves it open)


def test_widget_index_switches_the_group(capsys):
    box = keypoint_explorer_widget(torch.from_numpy(rest_pose()))
    group, keypoint, typed, labels = _controls(box)
    capsys.readouterr()
    plt.close("all")
    keypoint.value = 121
    assert group.value == "right_hand"
    assert capsys.readouterr().out.count(KEYPOINT_NAMES[121]) == 1
    assert len(plt.get_fignums()) == 1        # one move, one figure
    labels.value = False
    assert len(plt.get_fignums()) == 2 and len(plt.figure(plt.get_fignums()[-1]).axes[1].texts) == 0
    keypoint.value = 3
    assert group.value == "body"


def test_widget_typing_an_index_moves_the_slider_and_draws_once(capsys):
    box = keypoint_explorer_widget()
    group, keypoint, typed, labels = _controls(box)
    capsys.readouterr()
    plt.close("all")
    typed.value = 54
    assert keypoint.value == 54 and group.value == "face"
    assert capsys.readouterr().out.count("54  face_nose_3: face keypoint 30") == 1
    assert len(plt.get_fignums()) == 1        # one typed index, one figure


def test_widget_rejects_a_bad_pose():
    with pytest.raises(ValueError, match="one pose"):
        keypoint_explorer_widget(np.zeros((4, 134, 2)))


def test_public_names_come_from_the_widgets_package():
    import m2p_course.widgets as package
    from m2p_course.widgets import keypoint_explorer
    for name in keypoint_explorer.__all__:
        assert getattr(package, name) is getattr(keypoint_explorer, name)
