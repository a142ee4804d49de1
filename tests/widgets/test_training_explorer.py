"""The training explorer's plain functions and its widget (no browser needed)."""

import matplotlib

matplotlib.use("Agg")

import base64  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402
import wave  # noqa: E402

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from m2p_course import M2PEncoder, SyntheticDanceDataset, beat_alignment_score, predict_dance  # noqa: E402
from m2p_course.widgets.training_explorer import (  # noqa: E402
    SongDance,
    comparison_gif,
    comparison_html,
    dance_songs,
    face_embeddings,
    frame_errors,
    frame_summary,
    history_table,
    pca_2d,
    plot_dance_frame,
    plot_face_embeddings,
    plot_history,
    score_table,
    training_explorer_widget,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Four 2-second songs (60 frames each), one per dancer."""
    return SyntheticDanceDataset(4, seconds=2.0, seed=3, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return M2PEncoder(music_input_dim=4800, hidden_dim=16, num_heads=2, num_layers=1, face_embed_dim=8,
                      heatmap_size=(4, 4)).eval()


def _dance(frames=40, shift=(0.3, 0.4), beats=(0, 10, 20, 30), name="song x"):
    truth = np.random.default_rng(0).uniform(-0.5, 0.5, (frames, 134, 2)).astype(np.float32)
    beats = np.array([b for b in beats if b < frames], dtype=np.int64)
    return SongDance(name, truth + np.array(shift, dtype=np.float32), truth, beats, "bouncer")


# -----------------------------------------------------------------------------
# errors and scores


def test_frame_errors_are_the_mean_keypoint_distance_of_each_frame():
    dance = _dance()
    errors = frame_errors(dance.predicted, dance.truth)
    assert errors.shape == (40,) and errors.dtype == np.float64
    np.testing.assert_allclose(errors, 0.5, rtol=1e-6)                     # a (0.3, 0.4) shift is 0.5 away
    moved = dance.truth.copy()
    moved[7, :10] += np.array([0.0, 1.34], dtype=np.float32)               # 10 of 134 keypoints, 1.34 away
    errors = frame_errors(torch.from_numpy(moved), dance.truth)            # torch works too
    np.testing.assert_allclose(errors[7], 10 * 1.34 / 134, rtol=1e-5)
    assert errors[6] == 0 and errors[8] == 0


@pytest.mark.parametrize("predicted, truth, error, fragment", [
    (np.zeros((5, 134, 2)), np.zeros((6, 134, 2)), ValueError, "the same shape [T, 134, 2]"),
    (np.zeros((134, 2)), np.zeros((134, 2)), ValueError, "must be a dance of shape [T, 134, 2]"),
    (np.zeros((5, 133, 2)), np.zeros((5, 133, 2)), ValueError, "must have shape [134, 2] or [T, 134, 2]"),
    ([[0.0]], np.zeros((5, 134, 2)), TypeError, "numpy array or torch tensor"),
    (np.full((5, 134, 2), np.nan), np.zeros((5, 134, 2)), ValueError, "finite"),
])
def test_frame_errors_bad_input(predicted, truth, error, fragment):
    with pytest.raises(error) as info:
        frame_errors(predicted, truth)
    assert fragment in str(info.value)


def test_song_dance_checks_its_fields_and_scores_itself():
    dance = _dance()
    assert dance.predicted.dtype == np.float32 and dance.beat_frames.dtype == np.int64 and dance.num_frames == 40
    scores = dance.scores()
    assert scores["error"] == pytest.approx(0.5, rel=1e-6)
    assert scores["bas"] == beat_alignment_score(dance.predicted, dance.beat_frames)
    assert scores["bas_truth"] == scores["bas"]                             # a shifted dance moves the same
    with pytest.raises(ValueError, match=r"beat_frames must be frame indices in \[0, 39\]"):
        SongDance("x", dance.predicted, dance.truth, [0, 40])
    with pytest.raises(ValueError, match="fps must be a positive int"):
        SongDance("x", dance.predicted, dance.truth, [0], fps=0)


def test_dance_songs_is_predict_dance_beside_the_dataset(model, dataset):
    dances = dance_songs(model, dataset, clips=[1, 3], window=30, overlap=10)
    assert [d.name.split(" · ")[0] for d in dances] == ["song 1", "song 3"]
    assert dances[0].dancer == "robot" and f"{dataset[1]['bpm']:g} BPM" in dances[0].name
    for dance, i in zip(dances, [1, 3], strict=True):
        item = dataset[i]
        assert dance.predicted.shape == dance.truth.shape == (60, 134, 2)
        np.testing.assert_array_equal(dance.truth, item["pose"].numpy())
        np.testing.assert_array_equal(dance.beat_frames, item["beat_frames"].numpy())
        np.testing.assert_array_equal(dance.predicted, predict_dance(model, item["music"], window=30, overlap=10))
    assert len(dance_songs(model, dataset, window=30, overlap=10)) == 4       # default: every clip


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(clips=[4]), ValueError, "clips[0] must be in [0, 3], got 4"),
    (dict(clips=[0, 1.5]), TypeError, "clips[1] must be an int"),
    (dict(clips="0"), TypeError, "clips must be a list of clip indices"),
    (dict(clips=[]), ValueError, "at least one clip"),
    (dict(window=0), ValueError, "window must be a positive int"),
])
def test_dance_songs_bad_input(model, dataset, kwargs, error, fragment):
    with pytest.raises(error) as info:
        dance_songs(model, dataset, **kwargs)
    assert fragment in str(info.value)


def test_dance_songs_needs_a_dataset(model):
    with pytest.raises(TypeError, match="dataset must be a SyntheticDanceDataset"):
        dance_songs(model, 42)


def test_score_table_lists_every_song_and_the_means():
    a, b = _dance(name="first"), _dance(shift=(0.0, 0.1), name="second")
    table = score_table([a, b]).splitlines()
    assert table[0].split() == ["song", "keypoint", "error", "BAS", "model", "BAS", "truth"]
    assert table[2].startswith("first ") and table[3].startswith("second")
    assert table[4].split()[:2] == ["mean", f"{(0.5 + 0.1) / 2:.3f}"]
    with pytest.raises(TypeError, match="non-empty list of SongDance"):
        score_table([])


# -----------------------------------------------------------------------------
# one frame


def test_frame_summary_says_the_time_the_error_and_the_nearest_beat():
    dance = _dance()
    assert frame_summary(dance, 10) == ("song x: frame 10 of 40 (0.33 s), keypoint error 0.500 (the song's mean "
                                        "0.500); on a beat (frame 10)")
    assert frame_summary(dance, 12).endswith("2 frames after a beat (frame 10)")
    assert frame_summary(dance, 18).endswith("2 frames before a beat (frame 20)")
    no_beats = SongDance("quiet", dance.predicted, dance.truth, [])
    assert frame_summary(no_beats, 3).endswith("(the song's mean 0.500)")


@pytest.mark.parametrize("frame, error, fragment", [
    (40, ValueError, "frame must be in [0, 39], got 40"),
    (-1, ValueError, "frame must be in [0, 39]"),
    (2.0, TypeError, "frame must be an int"),
])
def test_frame_summary_bad_frame(frame, error, fragment):
    with pytest.raises(error) as info:
        frame_summary(_dance(), frame)
    assert fragment in str(info.value)


def test_plot_dance_frame_draws_both_poses_and_the_error_curve():
    dance = _dance()
    fig = plot_dance_frame(dance, 12)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes[:2]] == ["the model", "the ground truth"]
    curve = fig.axes[2].lines
    assert len([line for line in curve if len(line.get_xdata()) == 40]) == 1     # the error of every frame
    assert sum(1 for line in curve if line.get_xdata()[0] == line.get_xdata()[-1]) >= 4   # a line per beat
    overlay = plot_dance_frame(dance, 12, overlay=True)
    assert len(overlay.axes) == 2 and len(overlay.axes[0].collections) == 2       # two skeletons in one panel
    with pytest.raises(TypeError, match="dance must be a SongDance"):
        plot_dance_frame(dance.truth, 0)
    with pytest.raises(TypeError, match="overlay must be True or False"):
        plot_dance_frame(dance, 0, overlay=1)


# -----------------------------------------------------------------------------
# a training history

HISTORY = {"step": [1, 2, 3, 4], "loss": [1.0, 0.8, 0.6, 0.5], "position": [0.3, 0.25, 0.2, 0.18],
           "velocity": [0.1, 0.09, 0.08, 0.07], "heatmap": [], "arcface": [1.4, 1.3, 1.2, 1.0],
           "val": [{"step": 2, "keypoint_error": 0.15, "mean_pose_error": 0.155, "error_ratio": 0.968, "bas": 0.3,
                    "bas_truth": 0.85, "bas_ratio": 0.353, "dancer_accuracy": 0.75},
                   {"step": 4, "keypoint_error": 0.14, "mean_pose_error": 0.155, "error_ratio": 0.903, "bas": 0.4,
                    "bas_truth": 0.85, "bas_ratio": 0.471, "dancer_accuracy": 1.0}]}


def test_plot_history_draws_the_loss_parts_and_the_validations():
    fig = plot_history(HISTORY, smooth=2)
    ax, bx = fig.axes
    labels = [line.get_label() for line in ax.lines if not line.get_label().startswith("_")]
    assert labels == ["loss", "position", "velocity", "arcface"]                  # heatmap: not recorded
    smoothed = next(line for line in ax.lines if line.get_label() == "loss").get_ydata()
    np.testing.assert_allclose(smoothed, [1.0, 0.9, 0.7, 0.55])                   # running mean of 2 steps
    assert ax.get_yscale() == "log"
    val = [line for line in bx.lines if not line.get_label().startswith("_")]
    assert [list(line.get_xdata()) for line in val] == [[2, 4]] * 3
    assert list(val[2].get_ydata()) == [0.75, 1.0]


def test_history_table_has_one_line_per_validation():
    lines = history_table(HISTORY).splitlines()
    assert len(lines) == 3 and lines[1].split()[:3] == ["2", "0.1500", "(0.97"]
    assert lines[2].endswith("100%")
    no_val = {"step": [1, 2], "loss": [1.0, 0.9], "val": []}
    assert history_table(no_val) == "2 steps, no validation (eval_every is larger than the run)"
    assert "no validation yet" in plot_history(no_val).axes[1].texts[0].get_text()


@pytest.mark.parametrize("history, error, fragment", [
    ([1, 2], TypeError, "history must be the dict of a training run"),
    ({"loss": [1.0]}, TypeError, "with 'step' and 'loss' lists"),
    ({"step": [1, 2], "loss": [1.0]}, ValueError, "one loss per step, got 2 steps and 1 losses"),
    ({"step": [], "loss": []}, ValueError, "one loss per step"),
])
def test_history_bad_input(history, error, fragment):
    for fn in (plot_history, history_table):
        with pytest.raises(error) as info:
            fn(history)
        assert fragment in str(info.value)


def test_plot_history_bad_smooth():
    with pytest.raises(ValueError, match="smooth must be a positive int"):
        plot_history(HISTORY, smooth=0)


# -----------------------------------------------------------------------------
# face embeddings


def test_face_embeddings_embed_every_whole_window(model, dataset):
    embed, dancer = face_embeddings(model, dataset, window=25)                  # 60 frames: 2 windows per clip
    assert embed.shape == (8, 8) and dancer.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    torch.testing.assert_close(embed.norm(dim=1), torch.ones(8))
    with torch.no_grad():
        second = model(dataset[2]["music"][None, 25:50])[1][0]
    torch.testing.assert_close(embed[5], second)
    model.train()
    face_embeddings(model, dataset, window=60)
    assert model.training                                                       # the mode is given back
    model.eval()
    with pytest.raises(ValueError, match=r"window \(61 frames\) must fit in the clips"):
        face_embeddings(model, dataset, window=61)
    with pytest.raises(TypeError, match="model must be an M2PEncoder"):
        face_embeddings(torch.nn.Linear(2, 2), dataset)


def test_pca_2d_finds_the_main_axes_with_a_fixed_sign():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 3, 50), rng.normal(0, 1, 50)
    a, b = a - a.mean(), b - b.mean()
    b -= a * (a @ b) / (a @ a)                        # uncorrelated: the main axes are exactly e1 and e2
    e1, e2 = np.array([0.6, 0.8, 0.0]), np.array([0.0, 0.0, -1.0])
    x = 5.0 + a[:, None] * e1 + b[:, None] * e2
    points, explained = pca_2d(torch.from_numpy(x))
    assert points.shape == (50, 2)
    np.testing.assert_allclose(explained.sum(), 1.0, atol=1e-9)                 # all the variance is in 2 axes
    assert explained[0] > explained[1]
    # each axis is signed so that its largest component is positive: e1 as it is, e2 = (0, 0, -1) turned round
    np.testing.assert_allclose(points[:, 0], a, atol=1e-9)
    np.testing.assert_allclose(points[:, 1], -b, atol=1e-9)
    mirrored, _ = pca_2d(-x)                                                    # the same axes: mirrored points
    np.testing.assert_allclose(mirrored, -points, atol=1e-9)


@pytest.mark.parametrize("x, fragment", [
    (np.zeros((1, 4)), "N >= 2 points"),
    (np.zeros((5,)), "shape [N, E]"),
    (np.full((3, 2), np.nan), "finite"),
])
def test_pca_2d_bad_input(x, fragment):
    with pytest.raises(ValueError) as info:
        pca_2d(x)
    assert fragment in str(info.value)


def test_plot_face_embeddings_one_colour_per_dancer():
    points = np.arange(16.0).reshape(8, 2)
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    fig = plot_face_embeddings(points, labels, ["a", "b", "c", "d"], explained=np.array([0.6, 0.3]))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c", "d"]
    assert len(ax.collections) == 4 and "60% of the variance" in ax.get_xlabel()
    with pytest.raises(ValueError, match="names must name every label"):
        plot_face_embeddings(points, labels, ["a", "b"])
    with pytest.raises(ValueError, match=r"labels must be \[N\] = \(8,\) integers"):
        plot_face_embeddings(points, labels[:4])
    with pytest.raises(ValueError, match=r"points must have shape \[N, 2\]"):
        plot_face_embeddings(np.zeros((8, 3)), labels)


# -----------------------------------------------------------------------------
# the dance beside the truth, moving


def test_comparison_gif_shows_both_dances_side_by_side():
    dance = _dance(frames=30)
    image = Image.open(io.BytesIO(comparison_gif(dance, size=100, every=3)))
    assert image.format == "GIF" and image.size == (200, 100) and image.n_frames == 10
    with pytest.raises(TypeError, match="dance must be a SongDance"):
        comparison_gif(dance.truth)


def _data_uri(html, kind):
    found = re.search(rf'src="data:{kind};base64,([^"]+)"', html)
    assert found, f"no {kind} in the page"
    return base64.b64decode(found.group(1))


def test_comparison_html_without_audio_is_the_gif():
    dance = _dance(frames=30)
    html = comparison_html(dance, size=100, every=3)
    assert _data_uri(html, "image/gif") == comparison_gif(dance, size=100, every=3)
    assert "<audio" not in html and "<script" not in html and "song x" in html


def test_comparison_html_adds_the_music_cut_to_the_dance_and_at_most_max_sr():
    dance = _dance(frames=30)                                                   # 1 s at 30 fps
    sr = 16000
    audio = (0.5 * np.sin(2 * np.pi * 220 * np.arange(3 * sr) / sr)).astype(np.float32)   # 3 s of music
    html = comparison_html(dance, audio, sr, size=100, every=3)
    with wave.open(io.BytesIO(_data_uri(html, "audio/wav"))) as w:
        assert w.getframerate() == 8000 and w.getnframes() == 8000               # halved, and cut to 1 s
    ids = set(re.findall(r'id="m2p_(?:dance|music)_([0-9a-f]+)"', html))
    assert len(ids) == 1 and html.count(ids.pop()) == 4                          # img, audio, and the script's two
    assert html == comparison_html(dance, audio, sr, size=100, every=3)          # the same page every time
    with wave.open(io.BytesIO(_data_uri(comparison_html(dance, audio, sr, size=100, every=3, max_sr=16000),
                                        "audio/wav"))) as w:
        assert w.getframerate() == 16000


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(audio=np.zeros(100, dtype=np.float32)), ValueError, "audio and sr must come together"),
    (dict(sr=8000), ValueError, "audio and sr must come together"),
    (dict(audio=np.zeros((2, 100), dtype=np.float32), sr=8000), ValueError, "non-empty 1-D float array"),
    (dict(audio=np.zeros(100, dtype=np.float32), sr=8000.5), TypeError, "sr must be a positive int"),
    (dict(audio=np.zeros(100, dtype=np.float32), sr=8000, max_sr=10), ValueError, "max_sr must be >= 1000"),
])
def test_comparison_html_bad_input(kwargs, error, fragment):
    with pytest.raises(error) as info:
        comparison_html(_dance(frames=30), size=100, every=3, **kwargs)
    assert fragment in str(info.value)


# -----------------------------------------------------------------------------
# the widget


def test_widget_builds_and_its_first_control_changes_the_output(capsys):
    dances = [_dance(name="first"), _dance(frames=20, shift=(0.0, 0.1), beats=[5], name="second")]
    box = training_explorer_widget(dances, frame=30)
    assert isinstance(box, widgets.VBox)
    controls = [w for row in box.children[1:-1] for w in row.children]
    assert [type(w) for w in controls] == [widgets.Dropdown, widgets.IntSlider, widgets.Checkbox]
    assert isinstance(box.children[-1], widgets.Output)
    song, frame, overlay = controls
    assert frame.max == 39 and frame.continuous_update is False
    before = capsys.readouterr().out                  # without a kernel the Output's text goes to stdout
    song.value = "second"
    after = capsys.readouterr().out
    assert "first: frame 30 of 40" in before
    assert "second: frame 19 of 20" in after and "error 0.100" in after        # the frame, kept within the song
    overlay.value = True
    assert "second: frame 19 of 20" in capsys.readouterr().out


@pytest.mark.parametrize("args, kwargs, error, fragment", [
    (([],), {}, TypeError, "non-empty list of SongDance"),
    (([np.zeros((3, 134, 2))],), {}, TypeError, "non-empty list of SongDance"),
    (([_dance()],), dict(frame=40), ValueError, "frame must be in [0, 39]"),
    (([_dance(), _dance()],), {}, ValueError, "distinct names"),
])
def test_widget_rejects_bad_arguments_at_once(args, kwargs, error, fragment):
    with pytest.raises(error) as info:
        training_explorer_widget(*args, **kwargs)
    assert fragment in str(info.value)


def test_public_names_come_from_the_widgets_package():
    import m2p_course.widgets as package
    from m2p_course.widgets import training_explorer
    for name in training_explorer.__all__:
        assert getattr(package, name) is getattr(training_explorer, name)
