"""The ArcFace explorer's plain functions and its widget (no browser needed)."""

import math

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from m2p_course import DANCER_NAMES, ArcFaceLoss  # noqa: E402
from m2p_course.widgets import arcface_explorer_widget  # noqa: E402
from m2p_course.widgets.arcface_explorer import (  # noqa: E402
    angle_stats,
    angle_table,
    dancer_clips,
    plot_embeddings,
    plot_target_logit,
    target_logit,
    train_embeddings,
)


@pytest.fixture(scope="module")
def small():
    """3 clips of 20 frames per dancer, for training and for testing."""
    return dancer_clips(3, frames=20, seed=0), dancer_clips(3, frames=20, seed=1)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_dancer_clips_shapes_labels_and_seeds():
    clips, labels = dancer_clips(2, frames=15, seed=0)
    assert clips.shape == (2 * len(DANCER_NAMES), 15, 268) and clips.dtype == torch.float32
    assert labels.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    again, _ = dancer_clips(2, frames=15, seed=0)
    other, _ = dancer_clips(2, frames=15, seed=1)
    assert torch.equal(clips, again)
    assert not torch.allclose(clips, other)
    assert not torch.allclose(clips[0], clips[1])                          # two clips of one dancer differ
    assert clips.abs().max() <= 0.95                                        # the poses stay in the frame


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(clips_per_dancer=0), ValueError, "clips_per_dancer"),
    (dict(clips_per_dancer=2.0), TypeError, "clips_per_dancer"),
    (dict(frames=1), ValueError, "frames"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(bpm_range=(140, 90)), ValueError, "low <= high"),
    (dict(bpm_range=120), TypeError, "pair"),
])
def test_dancer_clips_bad_input(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        dancer_clips(**kwargs)


def test_train_embeddings_gives_unit_embeddings_and_learns(small):
    (clips, labels), (test, _) = small
    for loss in ("softmax", "arcface"):
        run = train_embeddings(clips, labels, loss=loss, steps=40)
        e = run.embed(test)
        assert e.shape == (len(test), 3)
        assert torch.allclose(e.norm(dim=1), torch.ones(len(test)), atol=1e-5)
        assert run.centres.shape == (len(DANCER_NAMES), 3)
        assert torch.allclose(run.centres.norm(dim=1), torch.ones(len(DANCER_NAMES)), atol=1e-5)
        assert len(run.losses) == 40 and run.losses[-1] < 0.5 * run.losses[0], loss
    two = train_embeddings(clips, labels, dim=2, steps=5)
    assert two.embed(clips).shape == (len(clips), 2)


def test_train_embeddings_is_seeded_and_leaves_the_global_random_state(small):
    clips, labels = small[0]
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    a = train_embeddings(clips, labels, steps=10, seed=3)
    assert torch.equal(torch.rand(3), expected)
    b = train_embeddings(clips, labels, steps=10, seed=3)
    c = train_embeddings(clips, labels, steps=10, seed=4)
    assert torch.equal(a.embed(clips), b.embed(clips))
    assert not torch.allclose(a.embed(clips), c.embed(clips))


def test_padded_frames_do_not_change_a_clip_embedding(small):
    clips, labels = small[0]
    run = train_embeddings(clips, labels, steps=10)
    padded = torch.cat([clips, 5.0 + torch.randn(len(clips), 7, 268)], dim=1)     # 7 junk frames at the end
    mask = torch.zeros(len(clips), 27, dtype=torch.bool)
    mask[:, 20:] = True
    assert torch.allclose(run.embed(padded, mask), run.embed(clips), atol=1e-5)
    assert not torch.allclose(run.embed(padded), run.embed(clips), atol=1e-2)     # without the mask they count


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(loss="cosface"), ValueError, "loss must be one of"),
    (dict(margin=math.pi / 2), ValueError, "margin"),
    (dict(margin=-0.1), ValueError, "margin"),
    (dict(scale=0), ValueError, "scale"),
    (dict(scale="64"), TypeError, "scale"),
    (dict(dim=1), ValueError, "dim"),
    (dict(steps=0), ValueError, "steps"),
    (dict(labels=torch.zeros(12, dtype=torch.int32)), TypeError, "int64"),
    (dict(labels=torch.zeros(5, dtype=torch.int64)), ValueError, r"shape \[N\]"),
    (dict(clips=torch.zeros(12, 268)), TypeError, r"\[N, T, D\]"),
    (dict(clips=torch.full((12, 20, 268), float("nan"))), ValueError, "NaN"),
    (dict(padding_mask=torch.ones(12, 20, dtype=torch.bool)), ValueError, "every frame as padded"),
])
def test_train_embeddings_bad_input(small, kwargs, error, fragment):
    args = dict(clips=small[0][0], labels=small[0][1], steps=2)
    args.update(kwargs)
    with pytest.raises(error, match=fragment):
        train_embeddings(args.pop("clips"), args.pop("labels"), **args)


def test_embed_checks_its_input(small):
    run = train_embeddings(*small[0], steps=2)
    with pytest.raises(ValueError, match=r"\[N, T, 268\]"):
        run.embed(torch.zeros(2, 5, 100))


def _on_circle(degrees):
    radians = torch.deg2rad(torch.tensor(degrees, dtype=torch.float32))
    return torch.stack([torch.cos(radians), torch.sin(radians)], dim=1)


def test_angle_stats_on_known_angles():
    # class 0 at 0 deg +- 10, class 1 at 90 deg +- 20: within = mean(10, 10, 20, 20) = 15, between = 90
    e = _on_circle([-10.0, 10.0, 70.0, 110.0])
    stats = angle_stats(e, torch.tensor([0, 0, 1, 1]))
    assert stats["within"] == pytest.approx(15.0, abs=1e-3)
    assert stats["between"] == pytest.approx(90.0, abs=1e-3)
    assert stats["accuracy"] == 1.0
    swapped = angle_stats(e, torch.tensor([0, 1, 0, 1]))    # mislabelled: means at 30 and 60 deg, 40 and 50 off
    assert swapped["within"] == pytest.approx(45.0, abs=1e-3)
    assert swapped["between"] == pytest.approx(30.0, abs=1e-3)
    assert swapped["accuracy"] == 0.5


def test_angle_stats_bad_input():
    with pytest.raises(ValueError, match="unit length"):
        angle_stats(2 * _on_circle([0.0, 90.0]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="at least two classes"):
        angle_stats(_on_circle([0.0, 90.0]), torch.tensor([1, 1]))
    with pytest.raises(TypeError, match=r"\[N, dim\]"):
        angle_stats(torch.ones(3), torch.tensor([0, 1, 1]))
    with pytest.raises(TypeError, match="int64"):
        angle_stats(_on_circle([0.0, 90.0]), [0, 1])


def test_angle_table_rows():
    rows = {"softmax": {"within": 12.34, "between": 50.0, "accuracy": 0.99},
            "ArcFace": {"within": 5.0, "between": 90.0, "accuracy": 1.0}}
    lines = angle_table(rows).splitlines()
    assert len(lines) == 4 and lines[0].split()[0] == "loss"
    assert lines[2].split() == ["softmax", "12.3", "50.0", "4.1", "99%"]
    assert lines[3].split() == ["ArcFace", "5.0", "90.0", "18.0", "100%"]
    with pytest.raises(TypeError, match="non-empty dict"):
        angle_table({})
    with pytest.raises(ValueError, match="angle_stats"):
        angle_table({"x": {"within": 1.0}})


def test_target_logit_is_arcface_loss_true_logit():
    theta = torch.linspace(0, math.pi, 181)
    loss = ArcFaceLoss(2, 2, scale=10.0, margin=0.5)
    with torch.no_grad():
        loss.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    embeddings = torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)         # theta from centre 0
    logits = loss.logits(embeddings, torch.zeros(181, dtype=torch.int64))[:, 0] / 10.0
    ours = target_logit(theta, 0.5)
    assert torch.allclose(ours, logits, atol=1e-4)
    below = theta + 0.5 <= math.pi
    assert torch.allclose(ours[below], torch.cos(theta[below] + 0.5), atol=1e-6)
    assert bool((ours[1:] < ours[:-1]).all())                                   # always decreasing in theta
    assert torch.allclose(target_logit(theta, 0.0), torch.cos(theta), atol=1e-6)


def test_target_logit_bad_input():
    with pytest.raises(ValueError, match=r"\[0, pi\]"):
        target_logit(torch.tensor([4.0]), 0.5)
    with pytest.raises(ValueError, match="margin"):
        target_logit(torch.tensor([1.0]), 2.0)
    with pytest.raises(TypeError, match="theta"):
        target_logit([1.0], 0.5)


def test_plot_target_logit():
    fig = plot_target_logit(margin=0.5, scale=64.0)
    ax = fig.axes[0]
    assert len(ax.get_lines()) >= 2 and "28.6" in ax.get_title()
    assert ax.get_lines()[0].get_ydata().max() == pytest.approx(64.0)
    with pytest.raises(ValueError, match="scale"):
        plot_target_logit(scale=-1.0)


def test_plot_embeddings_circle_and_sphere():
    e2 = _on_circle([-10.0, 10.0, 70.0, 110.0])
    labels = torch.tensor([0, 0, 1, 1])
    fig = plot_embeddings({"a": e2, "b": e2}, labels, names=["x", "y"])
    assert len(fig.axes) == 2 and "within 15°, between 90°" in fig.axes[0].get_title()
    e3 = F.pad(e2, (0, 1))
    fig3 = plot_embeddings({"sphere": e3}, labels, names=["x", "y"])
    assert fig3.axes[0].name == "3d"
    with pytest.raises(ValueError, match=r"\[N, 2\] or \[N, 3\]"):
        plot_embeddings({"a": F.normalize(torch.randn(4, 5), dim=1)}, labels)
    with pytest.raises(ValueError, match="names must name every class"):
        plot_embeddings({"a": e2}, labels, names=["only one"])


def test_arcface_is_tighter_and_further_apart_than_softmax_in_the_notebook_setting():
    train, test = dancer_clips(32, seed=0), dancer_clips(32, seed=1)
    soft = angle_stats(train_embeddings(*train, loss="softmax").embed(test[0]), test[1])
    arc = angle_stats(train_embeddings(*train, loss="arcface", margin=0.5, scale=8.0).embed(test[0]), test[1])
    assert arc["within"] < soft["within"]
    assert arc["between"] > soft["between"]


def test_widget_builds_and_its_first_control_changes_the_output(small):
    box = arcface_explorer_widget(*small, steps=20)
    assert isinstance(box, widgets.VBox)
    header, row, table, out = box.children
    assert isinstance(out, widgets.Output) and isinstance(table, widgets.HTML)
    margin, scale = row.children
    assert isinstance(margin, widgets.FloatSlider) and isinstance(scale, widgets.FloatSlider)
    assert "ArcFace m=28.6°" in table.value and "plain softmax" in table.value
    before = table.value
    margin.value = 10.0                                                       # the first control
    assert table.value != before and "ArcFace m=10°" in table.value
    scale.value = 30.0
    assert "s=30" in table.value


def test_widget_rejects_bad_clips(small):
    with pytest.raises(TypeError, match="clips"):
        arcface_explorer_widget((torch.zeros(4, 268), small[0][1]))
