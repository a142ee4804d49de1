"""Keypoint explorer: the 134 keypoints of DWPose, where each one is and what its index is.

The plain functions do the work (the tests and the notebook call them directly)::

    print(layout_table())                         # the five groups: indices, counts, first and last names
    print(layout_table("right_hand"))             # every keypoint of one group, index and name
    print(describe_keypoint("right_hand_index_4"))    # one keypoint: index, group, place in the group, (x, y)
    fig = plot_keypoints("face", 54); plt.show()  # the whole body, a zoom on one group, the index strip
    fig = plot_keypoint_scores(logits[0, 0])      # 134 numbers (one frame of pose logits) by group

``keypoint_explorer_widget()`` wires a group menu, an index slider (with a box to type the index in)
and a labels checkbox to them (the menu and the slider follow each other, so the figure is drawn
once per move).
"""

from __future__ import annotations

import html
from numbers import Integral

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

import m2p_course

from ..i18n import _

__all__ = ["GROUP_COLORS", "keypoint_info", "describe_keypoint", "layout_table", "plot_keypoints",
           "plot_keypoint_scores", "keypoint_explorer_widget"]

# One colour per group of the layout (the hands as in m2p_course's skeleton drawings).
GROUP_COLORS = {"body": "#1f77b4", "feet": "#ff7f0e", "face": "#2ca02c",
                "left_hand": "#9467bd", "right_hand": "#e377c2"}
_SKELETON_COLOR = "0.78"
_MARK_COLOR = "#d62728"
# where to write an index next to its point (offset in points); the head's five body points sit close together
_LABEL_OFFSETS = {0: (-2, -10), 14: (-12, 2), 15: (3, 2), 16: (-13, -6), 17: (4, -6)}


def _group_of(i: int) -> str:
    return next(name for name, members in m2p_course.GROUPS.items() if i in members)


def _check_index(key) -> int:
    """A keypoint given by index (0..133) or name -> its index."""
    n = m2p_course.NUM_KEYPOINTS
    if isinstance(key, str):
        return m2p_course.index(key)            # ValueError with close matches for unknown names
    if isinstance(key, bool) or not isinstance(key, Integral):
        raise TypeError(f"keypoint must be an index 0..{n - 1} (int) or a name (str), got {type(key).__name__} {key!r}")
    if not 0 <= key < n:
        raise ValueError(f"keypoint index must be in 0..{n - 1}, got {key}")
    return int(key)


def _check_group(group) -> str:
    if not isinstance(group, str) or group not in m2p_course.GROUPS:
        raise ValueError(f"group must be one of {list(m2p_course.GROUPS)}, got {group!r}")
    return group


def _check_one_pose(pose) -> np.ndarray:
    if pose is None:
        return m2p_course.rest_pose()
    pose = m2p_course.check_pose(pose)
    if pose.ndim != 2:
        raise ValueError(f"expected one pose of shape [134, 2], got shape {tuple(pose.shape)}")
    return pose


def keypoint_info(keypoint, pose=None) -> dict:
    """Everything about one keypoint (an index 0..133 or a name such as ``"left_wrist"``).

    Returns ``{"index", "name", "group", "position", "group_size", "group_range", "xy"}``:
    ``position`` is its place inside its group (0-based), ``group_range`` the group's
    ``(first, last)`` index, ``xy`` its (x, y) in ``pose`` (default: ``rest_pose()``; x right, y down).
    """
    i = _check_index(keypoint)
    pose = _check_one_pose(pose)
    group = _group_of(i)
    members = m2p_course.GROUPS[group]
    return {"index": i, "name": m2p_course.KEYPOINT_NAMES[i], "group": group, "position": i - members.start,
            "group_size": len(members), "group_range": (members.start, members.stop - 1),
            "xy": (float(pose[i, 0]), float(pose[i, 1]))}


def describe_keypoint(keypoint, pose=None) -> str:
    """One line about one keypoint: index, name, group, its place in the group, (x, y).

    The place in the group counts from 0, like the indices and the names (``face_nose_3`` is the
    face's keypoint 30, iBUG landmark 30 counted from 0; ``right_hand_index_4`` the hand's keypoint
    8: wrist 0, thumb 1-4, index finger 5-8).
    """
    info = keypoint_info(keypoint, pose)
    first, last = info["group_range"]
    x, y = info["xy"]
    return _("{index:3d}  {name}: {group} keypoint {position} (counted from 0; {size} in all, indices "
             "{first}-{last}), at (x, y) = ({x:.2f}, {y:.2f})").format(
        index=info["index"], name=info["name"], group=info["group"], position=info["position"],
        size=info["group_size"], first=first, last=last, x=x, y=y)


def layout_table(group: str | None = None) -> str:
    """A text table of the layout: one row per group (``group=None``), or one row per keypoint of one group."""
    if group is None:
        header = f"{'group':<11} {'indices':>8} {'count':>6}   first ... last"
        lines = [header, "-" * 64]
        for name, members in m2p_course.GROUPS.items():
            names = m2p_course.KEYPOINT_NAMES
            span = f"{members.start}-{members.stop - 1}"
            first, last = names[members.start], names[members.stop - 1]
            lines.append(f"{name:<11} {span:>8} {len(members):>6}   {first} ... {last}")
        lines.append(f"{'total':<11} {'':>8} {sum(len(m) for m in m2p_course.GROUPS.values()):>6}")
        return "\n".join(lines)
    members = m2p_course.GROUPS[_check_group(group)]
    lines = [f"{'index':>5}  name", "-" * 30]
    lines += [f"{i:>5}  {m2p_course.KEYPOINT_NAMES[i]}" for i in members]
    return "\n".join(lines)


def _limits(points: np.ndarray, margin: float = 0.15) -> tuple[float, float, float, float]:
    """Square (xmin, xmax, ymin, ymax) around some points."""
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    half = max(float((high - low).max()) / 2, 0.02) * (1 + margin)
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def _label_indices(group: str) -> list[int]:
    """Which indices to write next to their points in the zoom (the face: each part's first and last)."""
    if group != "face":
        return list(m2p_course.GROUPS[group])
    ends = {i for part in m2p_course.FACE_PARTS.values() for i in (part.start, part.stop - 1)}
    return sorted(ends)


def _draw_skeleton(ax, pose: np.ndarray, limits) -> None:
    m2p_course.draw_pose(pose, ax, color_by_group=False, show_points=False, color=_SKELETON_COLOR,
                         limits=limits, linewidth=1.5)


def _group_point_colors() -> list[str]:
    return [GROUP_COLORS[_group_of(i)] for i in range(m2p_course.NUM_KEYPOINTS)]


def plot_keypoints(group: str = "body", keypoint=None, *, pose=None, labels: bool = True) -> plt.Figure:
    """The layout as a picture: three panels, made with ``plt.figure`` (show or close the Figure).

    * left: the whole person (``pose``, default ``rest_pose()``), points coloured by group,
      the chosen ``group`` bright and the others faded;
    * right: a zoom on ``group``, with the indices written next to the points when ``labels``
      (for the face, the first and last index of each part);
    * bottom: the 134 indices as a coloured strip, one cell per keypoint, group by group.

    ``keypoint`` (an index or a name, optional) is ringed in red wherever it is visible and
    named in the title.
    """
    group = _check_group(group)
    pose = _check_one_pose(pose)
    marked = None if keypoint is None else _check_index(keypoint)
    if not isinstance(labels, bool):
        raise TypeError(f"labels must be True or False, got {type(labels).__name__}")
    colors = np.array(_group_point_colors())
    members = np.array(m2p_course.GROUPS[group])
    inside = np.isin(np.arange(m2p_course.NUM_KEYPOINTS), members)

    fig = plt.figure(figsize=(7, 3.9))
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 0.1], hspace=0.25, wspace=0.05)
    ax_body, ax_zoom, ax_strip = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])

    # the whole person
    _draw_skeleton(ax_body, pose, _limits(pose, margin=0.08))
    ax_body.scatter(*pose[~inside].T, s=4, c=list(colors[~inside]), alpha=0.3, linewidths=0, zorder=3)
    ax_body.scatter(*pose[inside].T, s=10, c=list(colors[inside]), linewidths=0, zorder=4)
    if group != "body":                  # where the zoom is (the body's box would be the whole panel)
        xmin, xmax, ymin, ymax = _limits(pose[members])
        ax_body.plot([xmin, xmax, xmax, xmin, xmin], [ymin, ymin, ymax, ymax, ymin], color="0.4", lw=0.6, ls="--")
    ax_body.set_title(f"the 134 keypoints; {group} bright ({len(members)})", fontsize=9)

    # the zoom on the group
    limits = _limits(pose[members])
    _draw_skeleton(ax_zoom, pose, limits)
    ax_zoom.scatter(*pose[members].T, s=18, c=GROUP_COLORS[group], linewidths=0, zorder=4)
    if labels:
        for i in _label_indices(group):
            ax_zoom.annotate(str(i), pose[i], xytext=_LABEL_OFFSETS.get(i, (3, 2)), textcoords="offset points",
                             fontsize=6, color="0.15", zorder=5, annotation_clip=True)
    title = f"{group}: indices {members[0]}-{members[-1]}"
    ax_zoom.set_title(title, fontsize=9)

    if marked is not None:
        for ax in (ax_body, ax_zoom):
            ax.scatter(*pose[marked], s=90, facecolors="none", edgecolors=_MARK_COLOR, linewidths=1.6, zorder=6)
        ax_body.set_title(f"keypoint {marked}: {m2p_course.KEYPOINT_NAMES[marked]}", fontsize=9, color=_MARK_COLOR)

    # the index strip
    for name, span in m2p_course.GROUPS.items():
        ax_strip.axvspan(span.start - 0.5, span.stop - 0.5, color=GROUP_COLORS[name],
                         alpha=1.0 if name == group else 0.45, lw=0)
        text = name.replace("_", " ") if len(span) > 10 else name
        ax_strip.text((span.start + span.stop - 1) / 2, 0.5, text, ha="center", va="center", fontsize=7,
                      color="white" if name == group else "black")
    if marked is not None:
        ax_strip.axvline(marked, color=_MARK_COLOR, lw=2)
    starts = [span.start for span in m2p_course.GROUPS.values()] + [m2p_course.NUM_KEYPOINTS - 1]
    ax_strip.set_xticks(starts)
    ax_strip.tick_params(labelsize=7, length=2)
    ax_strip.set_xlim(-0.5, m2p_course.NUM_KEYPOINTS - 0.5)
    ax_strip.set_yticks([])
    ax_strip.set_xlabel("index in the last dimension of [B, T, 134]", fontsize=8)
    return fig


def _as_scores(scores) -> np.ndarray:
    n = m2p_course.NUM_KEYPOINTS
    if hasattr(scores, "detach"):
        scores = scores.detach().cpu().float().numpy()
    if not isinstance(scores, np.ndarray):
        raise TypeError(f"scores must be a tensor or array of {n} numbers, got {type(scores).__name__}")
    if scores.shape != (n,):
        raise ValueError(f"scores must have shape ({n},): one number per keypoint of one frame "
                         f"(e.g. pose_logits[0, 0]), got shape {tuple(scores.shape)}")
    if not np.issubdtype(scores.dtype, np.number) or not np.isfinite(scores).all():
        raise ValueError("scores must be finite real numbers")
    return scores.astype(np.float64)


def plot_keypoint_scores(scores, *, title: str | None = None) -> plt.Figure:
    """One frame of pose logits, 134 numbers, two ways: as bars by index (coloured by group), and as
    colours on the rest pose's points. The skeleton stays where ``rest_pose()`` puts it: the
    numbers can colour the keypoints, they cannot move them. Returns the Figure (``plt.subplots``)."""
    values = _as_scores(scores)
    pose = m2p_course.rest_pose()
    fig, (ax_bars, ax_pose) = plt.subplots(1, 2, figsize=(7, 3), gridspec_kw={"width_ratios": [3, 2]})
    ax_bars.bar(np.arange(values.size), values, width=1.0, color=_group_point_colors())
    for span in list(m2p_course.GROUPS.values())[1:]:
        ax_bars.axvline(span.start - 0.5, color="0.5", lw=0.5)
    ax_bars.axhline(0, color="0.3", lw=0.5)
    ax_bars.set_xlim(-0.5, values.size - 0.5)
    ax_bars.set_xticks([span.start for span in m2p_course.GROUPS.values()])
    ax_bars.set_xlabel("keypoint index (body | feet | face | left hand | right hand)", fontsize=8)
    ax_bars.set_ylabel("score", fontsize=8)
    ax_bars.tick_params(labelsize=7)
    ax_bars.set_title(title or f"{values.size} numbers, one per keypoint", fontsize=9)

    _draw_skeleton(ax_pose, pose, _limits(pose, margin=0.08))
    bound = max(float(np.abs(values).max()), 1e-12)
    dots = ax_pose.scatter(*pose.T, s=14, c=values, cmap="coolwarm", vmin=-bound, vmax=bound, linewidths=0,
                           zorder=4)
    fig.colorbar(dots, ax=ax_pose, shrink=0.8).ax.tick_params(labelsize=7)
    ax_pose.set_title("as colours on a fixed skeleton", fontsize=9)
    fig.tight_layout()
    return fig


def keypoint_explorer_widget(pose=None) -> widgets.VBox:
    """A widget over ``plot_keypoints``: pick a group (the zoom), a keypoint by index (slider or typed), labels.

    Picking a group moves the index to the group's first keypoint; moving the index to another
    group switches the group; either way the figure is drawn once. ``pose``: one pose [134, 2]
    to draw (default ``rest_pose()``). Returns the VBox to display.
    """
    pose = _check_one_pose(pose)
    group = widgets.Dropdown(options=list(m2p_course.GROUPS), value="body", description=_("group"))
    keypoint = widgets.IntSlider(value=0, min=0, max=m2p_course.NUM_KEYPOINTS - 1, description=_("index"),
                                 continuous_update=False)
    typed = widgets.BoundedIntText(value=0, min=0, max=m2p_course.NUM_KEYPOINTS - 1, description=_("or type"),
                                   layout=widgets.Layout(width="170px"))
    widgets.link((typed, "value"), (keypoint, "value"))     # typing 54 moves the slider to 54 (one draw)
    labels = widgets.Checkbox(value=True, description=_("write the indices"))
    out = widgets.Output()
    linking = [False]                    # True while one control moves the other: draw once, not twice

    def draw() -> None:
        with out:
            out.clear_output(wait=True)
            plot_keypoints(group.value, keypoint.value, pose=pose, labels=labels.value)
            plt.show()                   # the figure first, then the line under it
            print(describe_keypoint(keypoint.value, pose))

    def move_other(control, value) -> None:
        if control.value != value:
            linking[0] = True
            try:
                control.value = value
            finally:
                linking[0] = False

    def group_changed(change) -> None:
        if not linking[0]:
            if keypoint.value not in m2p_course.GROUPS[change["new"]]:
                move_other(keypoint, m2p_course.GROUPS[change["new"]].start)
            draw()

    def keypoint_changed(change) -> None:
        if not linking[0]:
            move_other(group, _group_of(change["new"]))
            draw()

    group.observe(group_changed, names="value")
    keypoint.observe(keypoint_changed, names="value")
    labels.observe(lambda change: draw(), names="value")
    draw()
    title = widgets.HTML("<b>" + html.escape(_("Keypoint explorer: the 134 keypoints, their groups and indices"),
                                             quote=False) + "</b>")
    return widgets.VBox([title, widgets.HBox([group, keypoint]), widgets.HBox([typed, labels]), out])
