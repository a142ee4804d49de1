"""Drawing the 134 keypoints: one frame, a grid of frames, an animation, a PNG file, an animated GIF.

Every function takes poses in the course's frame (see m2p_course.keypoints): (x, y) in
[-1, 1], x right, y DOWN; the axes are drawn with y inverted so that down is down.
Nothing here calls plt.show(); everything works with the headless "Agg" backend.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checks import check_frame_indices, check_int, check_real
from .keypoints import BODY_PARTS, EDGE_GROUPS, GROUPS, NUM_KEYPOINTS, SKELETON, check_pose

# -----------------------------------------------------------------------------
# style: the person's right side warm, left side cool

EDGE_COLORS = {
    "head": "#8c6d31", "torso": "#4d4d4d",
    "right_arm": "#d62728", "left_arm": "#1f77b4",
    "right_leg": "#ff7f0e", "left_leg": "#17becf",
    "right_foot": "#ff7f0e", "left_foot": "#17becf",
    "face": "#3a3a3a",
    "right_hand": "#e377c2", "left_hand": "#9467bd",
    "bridge": "#b0b0b0",
}
_EDGE_WIDTHS = {"head": 1.0, "face": 0.8, "right_hand": 0.9, "left_hand": 0.9, "bridge": 0.9}
_POINT_COLORS = {"body": "#222222", "feet": "#222222", "face": "#3a3a3a",
                 "left_hand": "#9467bd", "right_hand": "#e377c2"}
_POINT_SIZES = {"body": 10.0, "feet": 6.0, "face": 1.0, "left_hand": 1.5, "right_hand": 1.5}
_HEAD_POINT_SIZE = 3.0   # nose, eyes, ears: small, they sit on the face
_MAX_POINT_SIZE = 20.0
BEAT_COLOR = "#e41a1c"
_EDGES = np.array(SKELETON, dtype=np.int64)          # [E, 2]


def _per_point(table: dict) -> list:
    out = [None] * NUM_KEYPOINTS
    for group, idx in GROUPS.items():
        for i in idx:
            out[i] = table[group]
    return out


def _point_sizes(scale: float) -> np.ndarray:
    sizes = np.array(_per_point(_POINT_SIZES))
    sizes[list(BODY_PARTS["head"])] = _HEAD_POINT_SIZE
    return np.minimum(sizes * scale, _MAX_POINT_SIZE)


# -----------------------------------------------------------------------------
# one frame


@dataclass
class PoseArtists:
    """The matplotlib artists of one drawn pose; `update(pose)` moves them (for animation).

    lines: LineCollection with one segment per SKELETON edge; points: the scatter of the
    134 keypoints, or None when drawn without points.
    """
    lines: object
    points: object | None

    def update(self, pose) -> None:
        """Move the artists to a new pose [134, 2]."""
        pose = check_pose(pose)
        if pose.ndim != 2:
            raise ValueError(f"expected one pose of shape [134, 2], got shape {pose.shape}")
        self.lines.set_segments(pose[_EDGES])
        if self.points is not None:
            self.points.set_offsets(pose)


def setup_pose_axes(ax, *, limits=(-1.0, 1.0, -1.0, 1.0), title: str | None = None,
                    show_axes: bool = False):
    """Square axes over limits (xmin, xmax, ymin, ymax) with y pointing down; returns ax."""
    xmin, xmax, ymin, ymax = limits
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymax, ymin)  # inverted: y grows downwards, like the image
    ax.set_aspect("equal")
    if show_axes:
        ax.set_xlabel("x")
        ax.set_ylabel("y (down)")
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def zoom_limits(pose, group: str, margin: float = 0.15) -> tuple[float, float, float, float]:
    """Square limits (xmin, xmax, ymin, ymax) around one group of a pose [134, 2].

    group: a key of GROUPS ("face", "left_hand", ...); margin: fraction of the box size.
    """
    pose = check_pose(pose)
    if pose.ndim != 2:
        raise ValueError(f"expected one pose of shape [134, 2], got shape {pose.shape}")
    if group not in GROUPS:
        raise ValueError(f"expected group one of {tuple(GROUPS)}, got {group!r}")
    pts = pose[GROUPS[group]]
    centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
    half = max(float((pts.max(axis=0) - pts.min(axis=0)).max()) / 2, 1e-3) * (1 + margin)
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def draw_pose_artists(pose, ax, *, color_by_group: bool = True, show_points: bool = True,
                      color: str = "black", linewidth: float = 2.0,
                      point_scale: float = 1.0) -> PoseArtists:
    """Add one pose [134, 2] to ax as a LineCollection (+ scatter); returns PoseArtists.

    Does not touch the axes limits (see setup_pose_axes). Face and finger lines are
    drawn thinner than the limbs so the small parts stay readable.
    """
    from matplotlib.collections import LineCollection

    pose = check_pose(pose)
    if pose.ndim != 2:
        raise ValueError(f"expected one pose of shape [134, 2], got shape {pose.shape}")
    widths = [linewidth * _EDGE_WIDTHS.get(g, 2.0) / 2.0 for g in EDGE_GROUPS]
    colors = [EDGE_COLORS[g] for g in EDGE_GROUPS] if color_by_group else color
    lines = LineCollection(pose[_EDGES], colors=colors, linewidths=widths,
                           capstyle="round", zorder=2)
    ax.add_collection(lines)
    points = None
    if show_points:
        pcolors = _per_point(_POINT_COLORS) if color_by_group else color
        points = ax.scatter(pose[:, 0], pose[:, 1], s=_point_sizes(point_scale), c=pcolors,
                            linewidths=0, zorder=3)
    return PoseArtists(lines=lines, points=points)


def draw_pose(pose, ax=None, *, color_by_group: bool = True, show_points: bool = True,
              title: str | None = None, zoom: str | None = None, limits=None,
              show_axes: bool = False, color: str = "black", linewidth: float = 2.0):
    """Draw one pose [134, 2] (numpy or torch) and return the matplotlib Axes.

    ax: an Axes to draw on (default: a new pyplot figure, 3.5 in square). zoom: a group
    name ("face", "left_hand", "right_hand", ...) to frame just that part; limits:
    explicit (xmin, xmax, ymin, ymax); default [-1, 1] x [-1, 1]. y is drawn downwards.
    The artists are in ax.collections (the LineCollection first); use draw_pose_artists
    to get them back for animation.
    """
    pose = check_pose(pose)
    if pose.ndim != 2:
        raise ValueError(f"expected one pose of shape [134, 2], got shape {pose.shape}")
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(3.5, 3.5))
    if limits is None:
        limits = zoom_limits(pose, zoom) if zoom is not None else (-1.0, 1.0, -1.0, 1.0)
    setup_pose_axes(ax, limits=limits, title=title, show_axes=show_axes)
    scale = 1.0 if zoom is None else 6.0   # bigger dots when zoomed in on small parts
    draw_pose_artists(pose, ax, color_by_group=color_by_group, show_points=show_points,
                      color=color, linewidth=linewidth, point_scale=scale)
    return ax


# -----------------------------------------------------------------------------
# several frames


def _as_pose_list(poses) -> np.ndarray:
    """[N, 134, 2] from an array/tensor [N, 134, 2] or a list of [134, 2]."""
    if isinstance(poses, (list, tuple)):
        if len(poses) == 0:
            raise ValueError("expected at least one pose, got an empty list")
        return np.stack([_one_pose(p) for p in poses])
    poses = check_pose(poses, name="poses")
    return poses[None] if poses.ndim == 2 else poses


def _one_pose(pose) -> np.ndarray:
    pose = check_pose(pose)
    if pose.ndim != 2:
        raise ValueError(f"expected each pose of shape [134, 2], got shape {pose.shape}")
    return pose


def _grid_shape(n: int, ncols: int | None) -> tuple[int, int]:
    """(rows, columns) for n panels, at most ncols (default 6) per row."""
    ncols = min(n, ncols or 6)
    return math.ceil(n / ncols), ncols


def _fill_grid(fig, poses: np.ndarray, titles, shape: tuple[int, int], zoom: str | None):
    if titles is not None and len(titles) != len(poses):
        raise ValueError(f"expected {len(poses)} titles (one per pose), got {len(titles)}")
    axes = fig.subplots(*shape, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k < len(poses):
            draw_pose(poses[k], ax, zoom=zoom, title=None if titles is None else titles[k])
        else:
            ax.set_axis_off()
    return axes


def plot_pose_grid(poses, titles=None, *, ncols: int | None = None, size: float = 2.2,
                   zoom: str | None = None):
    """Draw N poses side by side ([N, 134, 2] or a list of [134, 2]); returns the Figure.

    titles: N strings or None; ncols: panels per row (default min(N, 6)); size: inches per
    panel; zoom: a group name to frame in every panel. Made with pyplot so it shows inline.
    """
    import matplotlib.pyplot as plt

    poses = _as_pose_list(poses)
    nrows, ncols = _grid_shape(len(poses), ncols)
    fig = plt.figure(figsize=(size * ncols, size * nrows + (0.3 if titles else 0)))
    _fill_grid(fig, poses, titles, (nrows, ncols), zoom)
    fig.tight_layout()
    return fig


def save_pose_figure(pose_or_poses, path, *, titles=None, num_panels: int = 6,
                     fps: float | None = None, dpi: int = 100) -> Path:
    """Write a PNG of one pose [134, 2] or of a sequence [T, 134, 2]; returns the path.

    A sequence is shown as num_panels evenly spaced frames titled "frame t" (or
    "t = 1.23 s" when fps is given) unless titles are given. Uses no pyplot state.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    poses = check_pose(pose_or_poses, name="pose_or_poses")
    if poses.ndim == 2:
        poses = poses[None]
    else:
        if num_panels < 1:
            raise ValueError(f"expected num_panels >= 1, got {num_panels}")
        frames = np.unique(np.linspace(0, len(poses) - 1, min(num_panels, len(poses)))
                           .round().astype(int)).tolist()
        poses = poses[frames]
        if titles is None:
            titles = [f"t = {t / fps:.2f} s" if fps else f"frame {t}" for t in frames]
    path = Path(path)
    if not path.parent.exists():
        raise FileNotFoundError(f"expected an existing folder for {path}, "
                                f"but {path.parent} does not exist")
    nrows, ncols = _grid_shape(len(poses), None)
    fig = Figure(figsize=(2.4 * ncols, 2.4 * nrows + 0.3))
    FigureCanvasAgg(fig)
    _fill_grid(fig, poses, titles, (nrows, ncols), None)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi, format="png")
    return path


# -----------------------------------------------------------------------------
# animation


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _frame_plan(num_frames: int, fps: float, every: int | None,
                max_frames: int) -> tuple[np.ndarray, int]:
    """Which input frames to show, and the step between them."""
    check_real(fps, "fps", 0, low_open=True)
    if not _is_int(max_frames) or max_frames < 1:
        raise ValueError(f"expected max_frames >= 1 (an int), got {max_frames!r}")
    if every is None:
        every = max(1, math.ceil(num_frames / max_frames))
    elif not _is_int(every) or every < 1:
        raise ValueError(f"expected every to be a positive int, got {every!r}")
    shown = np.arange(0, num_frames, every)[:max_frames]
    return shown, every


def _beat_flags(shown: np.ndarray, every: int, beat_frames, num_frames: int) -> np.ndarray:
    """flags[k] is True when a beat falls in the input frames shown by panel k."""
    flags = np.zeros(len(shown), dtype=bool)
    if beat_frames is None:
        return flags
    beats = check_frame_indices(beat_frames, "beat_frames", num_frames)
    flags[np.isin(shown, beats // every * every)] = True
    return flags


def make_pose_animation(poses, fps: float = 30, *, beat_frames=None, title: str | None = None,
                        max_frames: int = 120, every: int | None = None,
                        size: float = 3.5, dpi: int = 60):
    """A matplotlib FuncAnimation of poses [T, 134, 2]; plays at real speed.

    Shows every `every`-th frame (default: the smallest step that keeps at most
    max_frames frames), at most max_frames frames, with interval 1000 * every / fps ms.
    beat_frames: frame indices of music beats; shown frames that hold a beat flash a red
    border and a dot. The figure is the animation's own, not pyplot's (so a notebook
    shows no stray still image). Returns the FuncAnimation.
    """
    from matplotlib.animation import FuncAnimation
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    poses = check_pose(poses, name="poses")
    if poses.ndim != 3:
        raise ValueError(f"expected poses of shape [T, 134, 2], got shape {poses.shape}")
    shown, every = _frame_plan(len(poses), fps, every, max_frames)
    beats = _beat_flags(shown, every, beat_frames, len(poses))

    fig = Figure(figsize=(size, size), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.90 if title else 0.96))
    setup_pose_axes(ax, title=title)
    artists = draw_pose_artists(poses[shown[0]], ax)
    marker = ax.scatter([0.85], [-0.85], s=120, c=BEAT_COLOR, zorder=4)
    label = ax.text(-0.95, 0.95, "", fontsize=7, color="#555555", va="bottom")

    def frame(k: int):
        artists.update(poses[shown[k]])
        on_beat = bool(beats[k])
        marker.set_visible(on_beat)
        for spine in ax.spines.values():
            spine.set_color(BEAT_COLOR if on_beat else "black")
            spine.set_linewidth(3.0 if on_beat else 0.8)
        label.set_text(f"{shown[k] / fps:5.2f} s")
        return artists.lines, marker, label

    frame(0)
    return FuncAnimation(fig, frame, frames=len(shown), interval=1000.0 * every / fps,
                         blit=False)


def _wav_data_uri(audio, sr: int, seconds: float) -> str:
    """A base64 data URI of a 16-bit mono WAV of the first `seconds` of audio."""
    audio = np.asarray(audio)
    if audio.ndim != 1 or audio.size == 0 or not np.issubdtype(audio.dtype, np.floating):
        raise ValueError(f"expected audio as a non-empty 1-D float array, "
                         f"got shape {audio.shape} dtype {audio.dtype}")
    if not _is_int(sr) or sr <= 0:
        raise ValueError(f"expected sr (sample rate) as a positive int with audio, got {sr!r}")
    if not np.isfinite(audio).all():
        raise ValueError("expected finite audio samples, got NaN/Inf")
    audio = audio[: int(math.ceil(seconds * sr))]
    peak = float(np.abs(audio).max())
    if peak > 1.0:
        audio = audio / peak
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sr))
        w.writeframes((audio * 32767).astype("<i2").tobytes())
    return "data:audio/wav;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


_FRAME_RE = re.compile(r'(frames\[\d+\] = "data:image/png;base64,)([^"]*)(")')


def _palette_png(b64_png: str, colors: int) -> str:
    """Re-encode one base64 PNG frame with a palette of `colors` colours (about 3x smaller)."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(b64_png.replace("\\\n", ""))))
    out = io.BytesIO()
    image.convert("RGB").quantize(colors).save(out, format="png", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _shrink_frames(html: str, colors: int) -> str:
    """Palette-encode every PNG frame embedded in a matplotlib jshtml page."""
    html, count = _FRAME_RE.subn(
        lambda m: m.group(1) + _palette_png(m.group(2), colors) + m.group(3), html)
    if count == 0:
        raise RuntimeError("found no PNG frames in matplotlib's jshtml; its format changed")
    return html


_ICONS = {"fa-minus": "&minus;", "fa-fast-backward": "&#x23EE;", "fa-step-backward": "&#x25C2;",
          "fa-play fa-flip-horizontal": "&#x25C0;", "fa-pause": "&#x23F8;",
          "fa-play": "&#x25B6;", "fa-step-forward": "&#x25B8;",
          "fa-fast-forward": "&#x23ED;", "fa-plus": "+"}


def _offline_buttons(html: str) -> str:
    """Drop jshtml's font-awesome link (a CDN: blank buttons offline); use text symbols."""
    html = re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">', "", html)
    return re.sub(r'<i class="fa ([^"]*)"></i>',
                  lambda m: _ICONS.get(m.group(1), m.group(1)), html)


def _stable_id(html: str) -> tuple[str, str]:
    """Replace jshtml's random element id by a hash of the page: same poses, same HTML."""
    found = re.search(r"anim([0-9a-f]+)\.play_animation\(\)", html)
    if found is None:
        raise RuntimeError("could not find the animation id in matplotlib's jshtml; "
                           "its format changed")
    uid = found.group(1)
    stable = hashlib.sha1(html.replace(uid, "").encode()).hexdigest()[:32]
    return html.replace(uid, stable), stable


_SYNC_JS = """<div style="font-size:small">music (the animation follows the audio player):</div>
<audio id="m2p_audio_{id}" controls src="{src}"></audio>
<script>
(function() {{
  var audio = document.getElementById("m2p_audio_{id}");
  function follow() {{
    var anim = window["anim{id}"];
    if (anim) {{
      anim.pause_animation();
      anim.set_frame(Math.min({last}, Math.floor(audio.currentTime * {rate})));
    }}
    if (!audio.paused) requestAnimationFrame(follow);
  }}
  audio.addEventListener("play", follow);
  audio.addEventListener("seeked", follow);
}})();
</script>"""


def animation_html(poses, fps: float = 30, *, beat_frames=None, audio=None,
                   sr: int | None = None, title: str | None = None, max_frames: int = 120,
                   every: int | None = None, size: float = 3.5, dpi: int = 60,
                   palette_colors: int | None = 64) -> str:
    """The HTML text of animate_poses (a jshtml player, plus an audio player if given)."""
    poses = check_pose(poses, name="poses")
    if poses.ndim != 3:
        raise ValueError(f"expected poses of shape [T, 134, 2], got shape {poses.shape}")
    if (audio is None) != (sr is None):
        raise ValueError("expected audio and sr together (samples and their sample rate), "
                         f"got audio={'None' if audio is None else 'given'}, sr={sr!r}")
    shown, step = _frame_plan(len(poses), fps, every, max_frames)
    rate = fps / step                       # shown frames per second
    wav = None if audio is None else _wav_data_uri(audio, sr, len(shown) / rate)

    anim = make_pose_animation(poses, fps, beat_frames=beat_frames, title=title,
                               max_frames=max_frames, every=every, size=size, dpi=dpi)
    html = anim.to_jshtml(default_mode="once")
    if palette_colors is not None:
        html = _shrink_frames(html, palette_colors)
    html, uid = _stable_id(_offline_buttons(html))
    if wav is None:
        return html
    return html + _SYNC_JS.format(id=uid, src=wav, last=len(shown) - 1, rate=rate)


def animate_poses(poses, fps: float = 30, *, beat_frames=None, audio=None,
                  sr: int | None = None, title: str | None = None, max_frames: int = 120,
                  every: int | None = None, size: float = 3.5, dpi: int = 60,
                  palette_colors: int | None = 64):
    """An animation of poses [T, 134, 2] that plays in a notebook: IPython HTML.

    A matplotlib jshtml player (PNG frames embedded, so the notebook works offline).
    Size: about 3 KB per shown frame at the default 3.5 in x 60 dpi; max_frames (120)
    bounds it; longer clips are subsampled (every k-th frame, still real speed) so the
    whole clip is shown. beat_frames flash a red border on beats.
    audio (1-D float samples) with sr: an audio player is added below; jshtml itself has
    no sound, so when the audio plays, a small script sets the animation's frame from
    the audio's current time (the audio is the clock; the player's own Play button
    stays silent). The audio is embedded as 16-bit WAV (2 * sr bytes per second, cut
    to the animation's duration): keep clips short. Display with IPython.display.display
    or as a cell's last expression.
    """
    from IPython.display import HTML

    return HTML(animation_html(poses, fps, beat_frames=beat_frames, audio=audio, sr=sr,
                               title=title, max_frames=max_frames, every=every, size=size,
                               dpi=dpi, palette_colors=palette_colors))


# -----------------------------------------------------------------------------
# an animated GIF (Pillow only: no matplotlib, fast enough for a whole song)

_GIF_BACKGROUND, _GIF_TEXT, _GIF_LABEL, _GIF_BEAT, _GIF_RULE = "#ffffff", "#222222", "#777777", BEAT_COLOR, "#d0d0d0"
_GIF_WIDTHS = {"head": 2, "face": 1, "right_hand": 1, "left_hand": 1, "bridge": 1}   # pixels at size 240; limbs 3
_GIF_DOTS = [i for i in GROUPS["body"] if i not in BODY_PARTS["head"]]                # body joints get a dot


def _gif_palette() -> tuple[dict[str, int], list[int]]:
    """Every colour a GIF frame uses -> its palette index, and the flat RGB palette (index 0 = white)."""
    names = [_GIF_BACKGROUND, _GIF_TEXT, _GIF_LABEL, _GIF_BEAT, _GIF_RULE, *EDGE_COLORS.values()]
    index = {c: i for i, c in enumerate(dict.fromkeys(c.lower() for c in names))}
    flat = [int(c[k:k + 2], 16) for c in index for k in (1, 3, 5)]
    return index, flat


def _gif_font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=max(10, round(11 * size / 240)))   # Pillow >= 10.1
    except TypeError:
        return ImageFont.load_default()                                       # older: the small bitmap font


def _gif_durations(shown: np.ndarray, every: int, fps: float) -> list[int]:
    """Per-frame durations in ms, multiples of 10 (GIF counts centiseconds) whose running sum
    stays within 5 ms of real time: 2 frames at 30 fps are 66.7 ms, written 70, 60, 70, 70, 60, ..."""
    ends = np.append(shown, shown[-1] + every) * 1000.0 / fps               # [K + 1] ms
    ticks = np.round(ends / 10.0).astype(np.int64) * 10
    return np.diff(ticks).tolist()


def save_dance_gif(poses, path, fps: float = 30, reference=None, titles=("model", "ground truth"),
                   size: int = 240, every: int = 2, beats=None) -> Path:
    """Write an animated GIF of a dance [T, 134, 2] (and a reference [T, 134, 2] beside it); returns the path.

    poses:     [T, 134, 2] numpy or torch, the course's frame ([-1, 1], y down, drawn down).
    reference: None or [T, 134, 2] with the same T (e.g. the ground truth), drawn in a second
               panel to the right; the image is (panels x size) wide and size high.
    titles:    one string per panel, drawn small at the panel's top left (extra ones are
               ignored, so the default suits both cases); None for no titles.
    every:     draw every `every`-th frame; each lasts every / fps seconds, written in the GIF's
               centiseconds so that the running time stays within 5 ms of the music's; a frame
               must last at least 20 ms (browsers play shorter ones at 100 ms).
    beats:     frame indices of music beats: a shown frame that holds one flashes a red dot at
               the top right of every panel.

    The skeleton is keypoints.SKELETON in the colours of the package's figures (the person's
    right warm, left cool), limbs 3 px thick at size 240, face and fingers 1 px; a time stamp
    sits at the bottom left, so every frame differs and the GIF has exactly ceil(T / every)
    frames. Drawn straight in palette mode "P" (15 colours, no anti-aliasing) and saved with
    optimize=True: Pillow stores each frame as its changes from the previous one. It loops forever.
    Size, measured with Pillow 13: 24 s at 30 fps, two synthetic dancers side by side (480 x 240,
    360 frames, beats flashing) take 500-760 KB depending on how much they move (the default
    song's bouncer beside another bouncer: 760 KB; beside the robot: 630 KB), written in about
    1 s. GIF has no motion compensation, so the bytes follow the moving pixels: 1-px lines save
    only 10%, while size=180 (520 KB) or every=3 (575 KB) trade detail or smoothness for size.
    Raises ValueError for wrong shapes, a reference of another length or beats out of range,
    FileNotFoundError when the folder of `path` does not exist.
    """
    from PIL import Image, ImageDraw

    poses = check_pose(poses, name="poses")
    if poses.ndim != 3:
        raise ValueError(f"poses must have shape [T, 134, 2] (a dance), got shape {poses.shape}")
    panels = [poses]
    if reference is not None:
        reference = check_pose(reference, name="reference")
        if reference.ndim != 3 or len(reference) != len(poses):
            raise ValueError(f"reference must have shape [T, 134, 2] with the T of poses ({len(poses)} frames), "
                             f"got shape {reference.shape}")
        panels.append(reference)
    if titles is not None:
        if not isinstance(titles, (list, tuple)) or not all(isinstance(t, str) for t in titles):
            raise TypeError(f"titles must be None or a list or tuple of strings (one per panel), got {titles!r}")
        if len(titles) < len(panels):
            raise ValueError(f"titles must hold at least {len(panels)} strings (one per panel), got {titles!r}")
        titles = list(titles)[:len(panels)]
    size = check_int(size, "size", 64)
    fps = check_real(fps, "fps", 0, low_open=True)
    if not _is_int(every) or every < 1:
        raise ValueError(f"every must be a positive int (draw every k-th frame), got {every!r}")
    if every / fps < 0.02:
        raise ValueError(f"each GIF frame must last at least 20 ms (browsers play shorter ones at 100 ms), "
                         f"got every / fps = {every} / {fps:g} = {1000 * every / fps:.1f} ms; "
                         f"use every >= {math.ceil(0.02 * fps)}")
    if beats is not None:
        beats = check_frame_indices(beats, "beats", len(poses))
    path = Path(path)
    if not path.parent.exists():
        raise FileNotFoundError(f"expected an existing folder for {path}, but {path.parent} does not exist")

    shown = np.arange(0, len(poses), every)
    flash = _beat_flags(shown, every, beats, len(poses))
    color, flat_palette = _gif_palette()
    font = _gif_font(size)
    label_y = size - 3 - font.getbbox("0.00 s")[3]                              # the time stamp's top
    scale = size / 240
    widths = [max(1, round(_GIF_WIDTHS.get(g, 3) * scale)) for g in EDGE_GROUPS]
    fills = [color[EDGE_COLORS[g]] for g in EDGE_GROUPS]
    dot, beat_r = max(1, round(2 * scale)), max(4, round(11 * scale))
    # the frame [-1, 1] fills the panel; y grows downwards in both
    pixels = [(p.astype(np.float64) + 1.0) * (size - 1) / 2.0 for p in panels]      # [T, 134, 2] each

    def frame(k: int):
        image = Image.new("P", (size * len(panels), size), color[_GIF_BACKGROUND])
        image.putpalette(flat_palette)
        draw = ImageDraw.Draw(image)
        for p, xy in enumerate(pixels):
            x0 = p * size
            pose = xy[shown[k]] + np.array([x0, 0.0])
            for (i, j), width, fill in zip(SKELETON, widths, fills, strict=True):
                draw.line([tuple(pose[i]), tuple(pose[j])], fill=fill, width=width)
            for i in _GIF_DOTS:
                x, y = pose[i]
                draw.ellipse([x - dot, y - dot, x + dot, y + dot], fill=color[_GIF_TEXT])
            if p > 0:
                draw.line([(x0, 0), (x0, size - 1)], fill=color[_GIF_RULE], width=1)
            if titles is not None:
                draw.text((x0 + 4, 2), titles[p], fill=color[_GIF_TEXT], font=font)
            if flash[k]:                      # a dot, not a border: a border redraws the whole frame twice a beat
                cx, cy = x0 + size - 1 - 2 * beat_r, 2 * beat_r
                draw.ellipse([cx - beat_r, cy - beat_r, cx + beat_r, cy + beat_r], fill=color[_GIF_BEAT])
        draw.text((4, label_y), f"{shown[k] / fps:.2f} s", fill=color[_GIF_LABEL], font=font)
        return image

    first = frame(0)
    first.save(path, format="GIF", save_all=True, append_images=(frame(k) for k in range(1, len(shown))),
               duration=_gif_durations(shown, every, fps), loop=0, optimize=True, disposal=1)
    return path
