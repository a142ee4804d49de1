"""The batch explorer's plain functions and its widget (no browser needed)."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from m2p_course import pad_collate  # noqa: E402
from m2p_course.widgets.batch_explorer import (  # noqa: E402
    BatchMemory,
    batch_explorer_widget,
    batch_memory,
    batch_table,
    clip_lengths,
    lengths_to_mask,
    plot_batch,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_clip_lengths_are_evenly_spaced_in_frames():
    assert clip_lengths(4, 2, 8) == [60, 120, 180, 240]
    assert clip_lengths(3, 1, 2, fps=10) == [10, 15, 20]
    assert clip_lengths(1, 2, 8) == [240]                       # one clip: the longest
    assert clip_lengths(2, 5, 5) == [150, 150]
    assert clip_lengths(2, 0.01, 0.02) == [1, 1]                # at least one frame


@pytest.mark.parametrize("args, error, fragment", [
    ((0, 2, 8), ValueError, "batch must be an int >= 1, got 0"),
    ((2.0, 2, 8), TypeError, "batch must be an int"),
    ((2, 8, 2), ValueError, "shortest must be <= longest"),
    ((2, 0, 8), ValueError, "shortest must be a number of seconds > 0"),
    ((2, 2, float("inf")), ValueError, "longest must be a number of seconds > 0"),
    ((2, "2", 8), TypeError, "shortest must be a number of seconds"),
    ((2, 2, 8, 0), ValueError, "fps must be an int >= 1"),
])
def test_clip_lengths_bad_input(args, error, fragment):
    with pytest.raises(error) as info:
        clip_lengths(*args)
    assert fragment in str(info.value)


def test_mask_equals_pad_collate():
    lengths = [3, 7, 5]
    items = [{"music": torch.randn(n, 4), "pose": torch.zeros(n, 134, 2)} for n in lengths]
    expected = pad_collate(items)["padding_mask"]
    for form in (lengths, tuple(lengths), torch.tensor(lengths), np.array(lengths)):
        mask = lengths_to_mask(form)
        assert mask.dtype == torch.bool and mask.shape == (3, 7)
        assert torch.equal(mask, expected)
    assert mask.sum().item() == (7 - 3) + 0 + (7 - 5)


@pytest.mark.parametrize("lengths, error, fragment", [
    ([], ValueError, "at least one clip"),
    ([3, 0], ValueError, "lengths[1] must be an int >= 1, got 0"),
    ([3, 2.5], TypeError, "lengths[1] must be an int"),
    ([True, 3], TypeError, "lengths[0] must be an int"),
    (torch.tensor([3.0, 2.0]), TypeError, "1-D sequence of ints"),
    (torch.tensor([[3, 2]]), TypeError, "1-D sequence of ints"),
    (np.array([1.5]), TypeError, "1-D sequence of ints"),
    ("3, 4", TypeError, "list of ints"),
    (5, TypeError, "list of ints"),
])
def test_mask_bad_lengths(lengths, error, fragment):
    with pytest.raises(error) as info:
        lengths_to_mask(lengths)
    assert fragment in str(info.value)


def test_memory_counts_bytes_from_shapes():
    memory = batch_memory([60, 240])
    assert isinstance(memory, BatchMemory)
    assert memory.t_max == 240 and memory.lengths == (60, 240)
    assert memory.padded_frames == 180 and memory.padded_fraction == pytest.approx(180 / 480)
    rows = {row.name: row for row in memory.rows}
    assert rows["music features"].padded == 2 * 240 * 4800 * 4
    assert rows["music features"].unpadded == (60 + 240) * 4800 * 4
    assert rows["hidden states, one layer"].padded == 2 * 240 * 1024 * 4
    assert rows["feed-forward, one layer"].padded == 2 * 240 * 4096 * 4
    attention = rows["attention, one layer"]
    assert attention.shape == "[B, 8, T, T]"
    assert attention.padded == 2 * 8 * 240 * 240 * 4
    assert attention.unpadded == 8 * (60 ** 2 + 240 ** 2) * 4
    assert attention.wasted == attention.padded - attention.unpadded > 0
    assert memory.total_padded == sum(r.padded for r in memory.rows)
    assert memory.total_unpadded == sum(r.unpadded for r in memory.rows)


def test_memory_training_keeps_every_layer_and_sizes_follow_the_config():
    inference = {r.shape: r for r in batch_memory([100]).rows}
    training = {r.shape: r for r in batch_memory([100], training=True).rows}
    assert training["[B, T, 4800]"].padded == inference["[B, T, 4800]"].padded       # the input: once
    for shape in ("[B, T, 1024]", "[B, T, 4096]", "[B, 8, T, T]"):
        assert training[shape].padded == 6 * inference[shape].padded
    small = batch_memory([10, 20], hidden_dim=64, num_heads=2, num_layers=3, music_input_dim=35,
                         dim_feedforward=100, training=True)
    assert [r.shape for r in small.rows] == ["[B, T, 35]", "[B, T, 64]", "[B, T, 100]", "[B, 2, T, T]"]
    assert small.rows[3].padded == 3 * 2 * 2 * 20 * 20 * 4
    # no padding: nothing is wasted
    equal = batch_memory([50, 50, 50])
    assert equal.padded_frames == 0 and all(r.wasted == 0 for r in equal.rows)


def test_attention_grows_with_t_squared_the_rest_with_t():
    short, long = batch_memory([240]).rows, batch_memory([480]).rows
    assert [b.padded / a.padded for a, b in zip(short, long, strict=True)] == [2, 2, 2, 4]


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(hidden_dim=0), ValueError, "hidden_dim"),
    (dict(num_heads=1.5), TypeError, "num_heads"),
    (dict(training="yes"), TypeError, "training must be True or False"),
    (dict(dim_feedforward=-1), ValueError, "dim_feedforward"),
])
def test_memory_bad_config(kwargs, error, fragment):
    with pytest.raises(error) as info:
        batch_memory([10], **kwargs)
    assert fragment in str(info.value)


def test_table_lists_clips_padding_and_memory():
    table = batch_table([60, 120, 240])
    lines = table.splitlines()
    assert lines[0].startswith("B = 3 clips padded to T_max = 240 frames (8.0 s at 30 FPS)")
    assert lines[1].split() == ["clip", "0:", "60", "frames", "(", "2.0", "s)", "+", "180", "padded"]
    assert "padding: 300 of 720 frames (42%)" in table
    attention = next(line for line in lines if line.startswith("attention, one layer"))
    assert attention.split()[-6:] == ["5.27", "MiB", "2.31", "MiB", "2.97", "MiB"]
    assert "attention x 6 layers" in batch_table([60], training=True)
    many = batch_table(list(range(1, 12))).splitlines()                # clip numbers right-aligned from 10 on
    assert many[1].startswith("  clip  0:") and many[11].startswith("  clip 10:")
    assert len({line.index("frames") for line in many[1:12]}) == 1
    assert "10 FPS" in batch_table([60], fps=10)
    with pytest.raises(ValueError, match="fps"):
        batch_table([60], fps=0)


def test_plot_shows_the_mask_and_the_memory():
    fig = plot_batch([60, 120, 240])
    ax_mask, ax_mem = fig.axes[:2]
    image = ax_mask.get_images()[0].get_array()
    assert image.shape == (3, 240)
    assert np.array_equal(np.asarray(image), ~lengths_to_mask([60, 120, 240]).numpy())
    assert "38%" not in ax_mask.get_title() and "42%" in ax_mask.get_title()
    assert len(ax_mem.patches) == 8                              # 4 rows x (padded, no padding)
    assert "inference" in ax_mem.get_title()
    assert "training" in plot_batch([60], training=True).axes[1].get_title()
    with pytest.raises(ValueError, match="at least one clip"):
        plot_batch([])


def test_widget_builds_and_its_first_control_changes_the_output(capsys):
    box = batch_explorer_widget()
    assert isinstance(box, widgets.VBox)
    controls = [w for row in box.children[1:-1] for w in row.children]
    assert [type(w) for w in controls] == [widgets.IntSlider, widgets.IntSlider, widgets.IntSlider, widgets.Checkbox]
    assert all(w.continuous_update is False for w in controls[:3])    # redraw on release, not while dragged
    assert isinstance(box.children[-1], widgets.Output)
    longest, shortest, batch, training = controls
    before = capsys.readouterr().out                  # without a kernel the Output's text goes to stdout
    longest.value = 60
    after = capsys.readouterr().out
    assert "T_max = 240 frames" in before and "T_max = 1800 frames" in after
    shortest.value, batch.value, training.value = 120, 16, True    # shortest > longest is swapped, not an error
    out = capsys.readouterr().out.split("B = ")[-1]
    assert out.startswith("16 clips padded to T_max = 3600 frames") and "x 6 layers" in out


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(batch=0), ValueError, "batch must be an int >= 1"),
    (dict(batch=17), ValueError, "batch must be an int in [1, 16]"),
    (dict(longest=8.5), TypeError, "longest must be an int"),
    (dict(longest=181), ValueError, "longest must be an int in [1, 180]"),
    (dict(shortest=0), ValueError, "shortest must be an int >= 1"),
    (dict(fps=0), ValueError, "fps must be an int >= 1"),
    (dict(training=1), TypeError, "training must be True or False"),
])
def test_widget_rejects_bad_arguments_at_once(kwargs, error, fragment):
    with pytest.raises(error) as info:
        batch_explorer_widget(**kwargs)
    assert fragment in str(info.value)


def test_public_names_come_from_the_widgets_package():
    import m2p_course.widgets as package
    from m2p_course.widgets import batch_explorer
    for name in batch_explorer.__all__:
        assert getattr(package, name) is getattr(batch_explorer, name)
