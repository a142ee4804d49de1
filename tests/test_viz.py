"""Tests of the pose drawings: one frame, a grid, a PNG file and the notebook animation."""

import base64
import gc
import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from PIL import Image  # noqa: E402

from m2p_course.keypoints import GROUPS, SKELETON, index, rest_pose  # noqa: E402
from m2p_course.viz import (  # noqa: E402
    animate_poses,
    animation_html,
    draw_pose,
    draw_pose_artists,
    make_pose_animation,
    plot_pose_grid,
    save_dance_gif,
    save_pose_figure,
    zoom_limits,
)

FPS = 30


@pytest.fixture(scope="module")
def dance():
    """90 frames (3 s): the rest pose swaying sideways and bouncing twice a second."""
    t = np.arange(90, dtype=np.float32)[:, None]
    shift = np.stack([0.1 * np.sin(2 * np.pi * t / 90), 0.05 * np.abs(np.sin(np.pi * t / 15))],
                     axis=-1)                                      # [T, 1, 2]
    return (rest_pose()[None] + shift).astype(np.float32)


@pytest.fixture(scope="module")
def html90(dance):
    return animation_html(dance, FPS, beat_frames=np.arange(0, 90, 15), title="sway")


@pytest.fixture(scope="module")
def html20(dance):
    return animation_html(dance, FPS, max_frames=20)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def frames_in(html):
    return re.findall(r'frames\[\d+\] = "data:image/png;base64,', html)


# ---------------------------------------------------------------- one frame

def test_draw_pose_returns_axes_with_every_edge(dance):
    ax = draw_pose(torch.from_numpy(dance[0]), title="rest")
    assert isinstance(ax, matplotlib.axes.Axes)
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == len(SKELETON)
    seg = lines[0].get_segments()[0]
    np.testing.assert_allclose(seg, dance[0][list(SKELETON[0])])
    assert ax.get_ylim() == (1.0, -1.0)                  # y down: top of the axes is -1
    assert ax.get_xlim() == (-1.0, 1.0)
    assert ax.get_aspect() == 1.0
    assert ax.get_title() == "rest"
    assert len(ax.collections) == 2                      # lines + points


def test_draw_pose_options():
    ax = draw_pose(rest_pose(), show_points=False, color_by_group=False, color="red")
    assert len(ax.collections) == 1
    colors = ax.collections[0].get_colors()
    assert np.allclose(colors, matplotlib.colors.to_rgba("red"))
    ax = draw_pose(rest_pose())
    assert len(np.unique(ax.collections[0].get_colors(), axis=0)) > 5   # coloured by group


def test_zoom_frames_the_face():
    pose = rest_pose()
    ax = draw_pose(pose, zoom="face")
    x0, x1 = ax.get_xlim()
    face = pose[GROUPS["face"]]
    assert x0 < face[:, 0].min() and face[:, 0].max() < x1
    assert x1 - x0 < 0.3                                 # really zoomed in
    with pytest.raises(ValueError, match="group"):
        zoom_limits(pose, "tail")


def test_artists_update_moves_lines_and_points(dance):
    fig, ax = plt.subplots()
    artists = draw_pose_artists(dance[0], ax)
    artists.update(dance[10])
    np.testing.assert_allclose(artists.points.get_offsets(), dance[10])
    i, j = SKELETON[5]
    np.testing.assert_allclose(artists.lines.get_segments()[5], dance[10][[i, j]])
    with pytest.raises(ValueError, match=r"\[134, 2\]"):
        artists.update(dance[:2])


def test_draw_pose_errors(dance):
    with pytest.raises(ValueError, match=r"one pose of shape \[134, 2\]"):
        draw_pose(dance)
    with pytest.raises(ValueError, match=r"got shape \(17, 2\)"):
        draw_pose(np.zeros((17, 2)))
    with pytest.raises(TypeError, match="numpy array or torch tensor"):
        draw_pose("pose")


# ---------------------------------------------------------------- grids and files

def test_plot_pose_grid(dance):
    fig = plot_pose_grid(dance[[0, 30, 60]], titles=["a", "b", "c"])
    axes = [ax for ax in fig.axes if ax.collections]
    assert len(axes) == 3 and [ax.get_title() for ax in axes] == ["a", "b", "c"]
    fig = plot_pose_grid([dance[0], dance[1]], zoom="right_hand")
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="3 titles"):
        plot_pose_grid(dance[:3], titles=["only one"])
    with pytest.raises(ValueError, match="empty"):
        plot_pose_grid([])


def test_save_pose_figure_writes_png(tmp_path, dance):
    one = save_pose_figure(rest_pose(), tmp_path / "rest.png")
    many = save_pose_figure(dance, tmp_path / "dance.png", num_panels=4, fps=FPS)
    for path in (one, many):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = plt.imread(many)
    assert image.shape[1] > 2 * image.shape[0]           # four panels side by side
    assert image[..., :3].std() > 0.05                   # something is drawn
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_pose_figure(rest_pose(), tmp_path / "missing" / "x.png")
    with pytest.raises(ValueError, match=r"\[134, 2\]"):
        save_pose_figure(np.zeros((3, 2)), tmp_path / "x.png")


# ---------------------------------------------------------------- animation

@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_make_pose_animation_frames_and_interval(dance):
    anim = make_pose_animation(dance, FPS, max_frames=40)
    assert isinstance(anim, FuncAnimation)
    assert len(list(anim.new_frame_seq())) == 30        # every 3rd of 90 frames
    assert anim.event_source.interval == 100            # still real speed: 3 / 30 s
    anim = make_pose_animation(dance, FPS, every=1, max_frames=10)
    assert len(list(anim.new_frame_seq())) == 10
    del anim
    gc.collect()                                         # its never-rendered warning, here


def test_animation_html_has_all_frames_and_stays_small(html90):
    assert len(frames_in(html90)) == 90
    assert len(html90) < 400_000                         # measured about 280 KB
    assert "font-awesome" not in html90 and "&#x25B6;" in html90   # works offline


def test_animation_html_is_deterministic(dance, html20):
    assert animation_html(dance, FPS, max_frames=20) == html20


def test_animation_respects_max_frames(dance, html20):
    assert len(frames_in(html20)) == 18                  # every 5th frame: 0, 5, ..., 85
    html = animation_html(dance, FPS, max_frames=20, every=2)
    assert len(frames_in(html)) == 20                    # every 2nd, cut at 20


def frame_image(html, k):
    data = re.search(rf'frames\[{k}\] = "data:image/png;base64,([^"]*)"', html).group(1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"), dtype=int)


def test_beat_frames_flash(html90):
    """Beats at frames 0, 15, 30, ...: a red border and dot appear on those frames only."""
    def red_pixels(k):
        rgb = frame_image(html90, k)
        return int(((rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)).sum())
    on_beat, off_beat = red_pixels(15), red_pixels(16)
    assert on_beat > off_beat + 500
    assert red_pixels(30) > off_beat + 500 and red_pixels(29) < off_beat + 100


def test_beat_frames_errors(dance):
    with pytest.raises(ValueError, match=r"^beat_frames must be frame indices in \[0, 89\] \(a clip of 90 frames\), "
                                         r"got values from 90 to 90$"):
        make_pose_animation(dance, FPS, beat_frames=[90])
    with pytest.raises(TypeError,
                       match=r"^beat_frames must be a 1-D sequence of frame indices \(ints\), got dtype float64$"):
        make_pose_animation(dance, FPS, beat_frames=[1.5])
    with pytest.raises(ValueError, match=r"beat_frames must be a 1-D sequence .*, got shape \(1, 2\)"):
        make_pose_animation(dance, FPS, beat_frames=[[1, 2]])


def test_animate_poses_with_audio(dance):
    sr = 8000
    audio = (0.3 * np.sin(2 * np.pi * 220 * np.arange(4 * sr) / sr)).astype(np.float32)
    shown = animate_poses(dance[:30], FPS, audio=audio, sr=sr)
    html = shown.data
    assert len(frames_in(html)) == 30
    uid = re.search(r'id="m2p_audio_([0-9a-f]+)"', html).group(1)
    assert f"anim{uid}.play_animation()" in html         # the script drives this player
    wav = re.search(r'data:audio/wav;base64,([^"]*)"', html).group(1)
    assert 2 * sr * 1.0 <= len(wav) * 3 / 4 <= 2 * sr * 1.0 + 100   # cut to 1 s of audio
    assert hasattr(shown, "_repr_html_")


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(poses=np.zeros((90, 133, 2))), ValueError, r"got shape \(90, 133, 2\)"),
    (dict(poses=np.zeros((134, 2))), ValueError, r"\[T, 134, 2\]"),
    (dict(fps=0), ValueError, r"^fps must be a finite number > 0, got 0.0$"),
    (dict(max_frames=0), ValueError, "max_frames >= 1"),
    (dict(every=0), ValueError, "every"),
    (dict(audio=np.zeros(100, dtype=np.float32)), ValueError, "audio and sr together"),
    (dict(audio=np.zeros((2, 100), dtype=np.float32), sr=8000), ValueError, "1-D float"),
    (dict(audio=np.full(100, np.nan, dtype=np.float32), sr=8000), ValueError, "NaN"),
    (dict(audio=np.zeros(100, dtype=np.float32), sr=-1), ValueError, "positive int"),
])
def test_animation_errors(dance, kwargs, err, msg):
    args = dict(poses=dance[:5], fps=FPS) | kwargs
    with pytest.raises(err, match=msg):
        animation_html(args.pop("poses"), **args)


def test_left_hand_is_drawn_on_the_image_right():
    """Sanity of the picture itself: the left hand's pixels are on the right half."""
    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    pose = rest_pose()
    draw_pose(pose, ax, zoom=None)
    fig.canvas.draw()
    to_px = ax.transData.transform
    left_wrist_px = to_px(pose[index("left_wrist")])
    assert left_wrist_px[0] > fig.bbox.width / 2
    head_px, foot_px = to_px(pose[index("nose")]), to_px(pose[index("left_heel")])
    assert head_px[1] > foot_px[1]                       # display y is up: head on top


# ---------------------------------------------------------------- the animated GIF

def gif_frames(path):
    """Every frame of a GIF as RGB int arrays [K, H, W, 3], and each frame's duration in ms."""
    image = Image.open(path)
    frames, durations = [], []
    for k in range(image.n_frames):
        image.seek(k)
        frames.append(np.asarray(image.convert("RGB"), dtype=int))
        durations.append(image.info["duration"])
    return np.stack(frames), durations


def pixels_of(rgb, hex_color):
    """A mask of the pixels of exactly one colour."""
    return (rgb == np.array(matplotlib.colors.to_rgb(hex_color)) * 255).all(axis=-1)


@pytest.fixture(scope="module")
def dance_gif(dance, tmp_path_factory):
    """The dance beside its reverse, every 2nd frame, a beat every 15 frames."""
    path = tmp_path_factory.mktemp("gif") / "dance.gif"
    assert save_dance_gif(torch.from_numpy(dance), path, reference=dance[::-1].copy(),
                          beats=np.arange(0, 90, 15)) == path
    return path


def test_gif_frames_size_and_timing(dance_gif):
    image = Image.open(dance_gif)
    assert image.format == "GIF" and image.n_frames == 45              # 90 frames, every 2nd
    assert image.size == (2 * 240, 240)                                 # two panels of 240
    assert image.info["loop"] == 0                                      # forever
    _, durations = gif_frames(dance_gif)
    assert set(durations) <= {60, 70}                                   # 2 / 30 s = 66.7 ms, in centiseconds
    assert sum(durations) == 3000                                       # 3 s, as long as the music


def test_gif_one_panel_other_size_and_step(dance, tmp_path):
    path = save_dance_gif(dance, tmp_path / "one.gif", size=100, every=3, fps=25, titles=("only",))
    image = Image.open(path)
    assert image.size == (100, 100) and image.n_frames == 30
    _, durations = gif_frames(path)
    assert set(durations) == {120} and sum(durations) == 3600          # 90 frames at 25 fps


def test_gif_frames_differ_when_the_pose_moves(dance, dance_gif, tmp_path):
    frames, _ = gif_frames(dance_gif)
    above_stamp = frames[:, :200]                                       # the time stamp is at the bottom left
    assert (above_stamp[0] != above_stamp[5]).any(axis=-1).sum() > 100
    still = save_dance_gif(np.repeat(dance[:1], 20, axis=0), tmp_path / "still.gif", every=1)
    frames, _ = gif_frames(still)
    assert len(frames) == 20                                            # the time stamp changes every frame
    assert (frames[:, :200] == frames[:1, :200]).all()                 # ... and nothing else does
    assert (frames[1, 200:] != frames[0, 200:]).any()


def test_gif_beat_flash_is_visible(dance_gif):
    frames, _ = gif_frames(dance_gif)
    red = [int(pixels_of(f, "#e41a1c").sum()) for f in frames]
    beat_frames = [0, 7, 15, 22, 30, 37]                                # beats 0, 15, 30, ... shown at 0, 14, 30, ...
    for k in range(45):
        if k in beat_frames:
            assert red[k] > 2 * 300                                     # a dot of radius 11 in each panel
        else:
            assert red[k] == 0


def test_gif_draws_the_skeleton_y_down_left_on_the_right(tmp_path):
    path = save_dance_gif(rest_pose()[None].repeat(2, axis=0), tmp_path / "rest.gif", titles=None)
    rgb = gif_frames(path)[0][0]
    head, legs = pixels_of(rgb, "#8c6d31"), pixels_of(rgb, "#ff7f0e") | pixels_of(rgb, "#17becf")
    assert head.sum() > 10 and legs.sum() > 100
    assert np.nonzero(head)[0].mean() < np.nonzero(legs)[0].mean()     # the head above the feet
    left_arm, right_arm = pixels_of(rgb, "#1f77b4"), pixels_of(rgb, "#d62728")
    assert np.nonzero(left_arm)[1].mean() > 120 > np.nonzero(right_arm)[1].mean()   # the person's left: image right
    for face_or_hand in ("#3a3a3a", "#e377c2", "#9467bd"):              # face and both hands are drawn
        assert pixels_of(rgb, face_or_hand).sum() > 10


def test_gif_size_of_a_whole_song(tmp_path):
    """24 s at 30 fps, two synthetic dancers side by side, beats flashing: measured 626 KB with Pillow 13."""
    from m2p_course.synthetic.choreography import generate_dance

    beats = np.arange(0, 24, 0.5)                                       # 120 BPM
    bouncer, robot = (generate_dance(beats, beats[::4], 720, fps=30, style=style, seed=1)
                      for style in ("bouncer", "robot"))
    path = save_dance_gif(bouncer, tmp_path / "song.gif", reference=robot, beats=np.arange(0, 720, 15))
    assert Image.open(path).n_frames == 360
    assert path.stat().st_size < 800_000


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(poses=np.zeros((134, 2))), ValueError,
     r"poses must have shape \[T, 134, 2\] \(a dance\), got shape \(134, 2\)"),
    (dict(poses=np.zeros((5, 17, 2))), ValueError, r"got shape \(5, 17, 2\)"),
    (dict(reference=np.zeros((4, 134, 2))), ValueError, r"reference must have shape \[T, 134, 2\] with the T of "
                                                        r"poses \(5 frames\), got shape \(4, 134, 2\)"),
    (dict(titles="model"), TypeError, "titles must be None or a list or tuple of strings"),
    (dict(titles=[1]), TypeError, "titles must be None or a list or tuple of strings"),
    (dict(reference=np.zeros((5, 134, 2)), titles=("model",)), ValueError, "at least 2 strings"),
    (dict(poses=[rest_pose()] * 5), TypeError, "numpy array or torch tensor"),
    (dict(every=0), ValueError, "every must be a positive int"),
    (dict(fps=60, every=1), ValueError, r"at least 20 ms .* 16.7 ms; use every >= 2"),
    (dict(fps=0), ValueError, "fps must be a finite number > 0"),
    (dict(size=10), ValueError, "size must be >= 64, got 10"),
    (dict(beats=[5]), ValueError, r"beats must be frame indices in \[0, 4\]"),
    (dict(beats=[0.5]), TypeError, "beats must be a 1-D sequence of frame indices"),
])
def test_gif_errors(tmp_path, kwargs, err, msg):
    args = dict(poses=np.zeros((5, 134, 2), dtype=np.float32), path=tmp_path / "x.gif") | kwargs
    with pytest.raises(err, match=msg):
        save_dance_gif(**args)
    assert not (tmp_path / "x.gif").exists()


def test_gif_missing_folder(tmp_path, dance):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_dance_gif(dance, tmp_path / "missing" / "x.gif")
