import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from m2p_course.attention import attention_maps, attention_memory_bytes  # noqa: E402
from m2p_course.model import M2PEncoder  # noqa: E402
from m2p_course.widgets import attention_map_widget, scaling_widget  # noqa: E402
from m2p_course.widgets.attention_explorer import (  # noqa: E402
    attention_by_offset,
    mean_attention_distance,
    plot_attention_map,
    plot_attention_memory,
    plot_softmax_saturation,
    saturation_curve,
    softmax_saturation,
)


@pytest.fixture(scope="module")
def maps():
    torch.manual_seed(0)
    model = M2PEncoder(music_input_dim=48, hidden_dim=64, num_heads=4, num_layers=2, face_embed_dim=32).eval()
    return attention_maps(model, torch.randn(2, 20, 48))          # [2, 2, 4, 20, 20]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# -- why sqrt(d_k) ----------------------------------------------------------------------------

def test_softmax_saturation_is_a_distribution_and_seeded():
    w = softmax_saturation(128, num_keys=10, scaled=True, seed=3)
    assert w.shape == (10,) and torch.allclose(w.sum(), torch.tensor(1.0))
    assert torch.equal(w, softmax_saturation(128, num_keys=10, scaled=True, seed=3))
    assert not torch.equal(w, softmax_saturation(128, num_keys=10, scaled=True, seed=4))


def test_scaling_removes_saturation():
    unscaled, scaled = saturation_curve([1, 16, 1024], num_keys=16, trials=300)
    assert unscaled[0] == pytest.approx(scaled[0])          # d_k = 1: sqrt(1) = 1, the same
    assert unscaled[2] > 0.9                                  # one key takes (almost) all the weight
    assert np.all(scaled < 0.4) and np.all(scaled > 1 / 16)  # spread out, at every d_k
    assert np.all(np.diff(unscaled) > 0)                      # saturation grows with d_k


def test_plot_softmax_saturation_figure():
    fig = plot_softmax_saturation(64, num_keys=8)
    assert len(fig.axes) == 2
    heights = [sum(p.get_height() for p in ax.patches) for ax in fig.axes]
    assert heights == pytest.approx([1.0, 1.0], abs=1e-5)
    assert "sqrt" in fig.axes[1].get_title()


@pytest.mark.parametrize("call, error", [
    (lambda: softmax_saturation(0), ValueError),
    (lambda: softmax_saturation(8.0), TypeError),
    (lambda: saturation_curve([]), ValueError),
    (lambda: saturation_curve([4, -1]), ValueError),
    (lambda: scaling_widget(num_keys=0), ValueError),
])
def test_saturation_bad_input(call, error):
    with pytest.raises(error):
        call()


def test_scaling_explorer_builds():
    w = scaling_widget()
    assert isinstance(w, widgets.VBox)
    dropdowns = [c for row in w.children if isinstance(row, widgets.HBox) for c in row.children
                 if isinstance(c, widgets.Dropdown)]
    assert dropdowns and 1024 in dropdowns[0].options
    assert isinstance(w.children[-1], widgets.Output)


# -- attention maps ---------------------------------------------------------------------------

def test_mean_attention_distance():
    eye = torch.eye(5)
    assert mean_attention_distance(eye).item() == 0.0
    uniform = torch.full((4, 4), 0.25)       # |i - j| averaged over all pairs of 4: 20 / 16
    assert mean_attention_distance(uniform).item() == pytest.approx(1.25)
    shifted = torch.zeros(3, 3)
    shifted[:, 0] = 1.0                      # everyone looks at frame 0: (0 + 1 + 2) / 3
    assert mean_attention_distance(shifted).item() == pytest.approx(1.0)
    assert mean_attention_distance(torch.stack([eye, torch.full((5, 5), 0.2)])).shape == (2,)
    with pytest.raises(ValueError, match="square"):
        mean_attention_distance(torch.zeros(3, 4))


def test_attention_by_offset():
    w = torch.zeros(4, 4)
    w[torch.arange(3), torch.arange(1, 4)] = 1.0   # each frame looks one ahead
    w[3, 3] = 1.0
    offsets, mean = attention_by_offset(w)
    assert offsets.tolist() == [-3, -2, -1, 0, 1, 2, 3]
    assert mean[offsets.tolist().index(1)] == pytest.approx(1.0)
    assert mean[offsets.tolist().index(0)] == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r"\[T, T\]"):
        attention_by_offset(torch.zeros(3, 4))


def test_plot_attention_map_shows_the_chosen_head(maps):
    fig = plot_attention_map(maps, layer=1, head=2, batch=1, fps=10, beat_times=[0.5, 1.0, 5.0])
    image = fig.axes[0].images[0].get_array()
    assert np.allclose(np.asarray(image), maps[1, 1, 2].numpy())
    assert fig.axes[0].images[0].get_extent() == [0, 2.0, 2.0, 0]   # 20 frames at 10 FPS
    assert "layer 1, head 2" in fig.axes[0].get_title()
    assert len(fig.axes[0].lines) == 4          # beats at 0.5 and 1.0 s, both axes; 5.0 s is off the clip


def test_plot_attention_map_mean_and_title(maps):
    fig = plot_attention_map(maps, layer=0, head=None)
    assert np.allclose(np.asarray(fig.axes[0].images[0].get_array()), maps[0, 0].mean(0).numpy(), atol=1e-6)
    assert "mean of all heads" in fig.axes[0].get_title()
    fig = plot_attention_map(maps, title="a hand-made head")
    assert fig.axes[0].get_title().startswith("a hand-made head")


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(layer=2), ValueError, "layer must be in 0..1"),
    (dict(head=4), ValueError, "head must be in 0..3"),
    (dict(batch=-1), ValueError, "batch must be in 0..1"),
    (dict(layer=1.0), TypeError, "layer must be an int"),
    (dict(fps=0), ValueError, "fps"),
])
def test_plot_attention_map_bad_input(maps, kwargs, error, words):
    with pytest.raises(error, match=words):
        plot_attention_map(maps, **kwargs)


@pytest.mark.parametrize("bad, error", [(torch.zeros(2, 3, 3), ValueError), (torch.zeros(1, 1, 1, 3, 4), ValueError),
                                        (np.zeros((1, 1, 1, 3, 3)), TypeError)])
def test_maps_must_be_5d_square_tensors(bad, error):
    with pytest.raises(error):
        plot_attention_map(bad)
    with pytest.raises(error):
        attention_map_widget(bad)


def test_attention_explorer_builds(maps):
    w = attention_map_widget(maps, fps=30, beat_times=[0.5])
    assert isinstance(w, widgets.VBox)
    controls = {c.description: c for row in w.children if isinstance(row, widgets.HBox) for c in row.children}
    assert controls["layer"].max == 1
    assert list(controls["head"].options) == ["mean", 0, 1, 2, 3]
    assert controls["clip"].max == 1
    controls["head"].value = "mean"    # the callback runs without a browser
    controls["layer"].value = 1
    assert isinstance(w.children[-1], widgets.Output)


# -- memory -----------------------------------------------------------------------------------

def test_plot_attention_memory_lines_are_the_formula():
    fig = plot_attention_memory(max_seconds=180, fps=30, heads=8, layers=6, batches=(1, 8))
    ax = fig.axes[0]
    one, six, six_b8 = ax.lines[:3]
    assert one.get_xdata()[-1] == pytest.approx(180.0)
    assert one.get_ydata()[-1] * 1024 ** 3 == pytest.approx(attention_memory_bytes(5400))
    assert six.get_ydata()[-1] == pytest.approx(6 * one.get_ydata()[-1])
    assert six_b8.get_ydata()[-1] == pytest.approx(48 * one.get_ydata()[-1])
    assert len(ax.lines) == 5  # and two GPU lines


@pytest.mark.parametrize("kwargs", [dict(max_seconds=0), dict(max_seconds=True), dict(fps=0), dict(batches=())])
def test_plot_attention_memory_bad_input(kwargs):
    with pytest.raises((ValueError, TypeError)):
        plot_attention_memory(**kwargs)


def test_package_names_are_the_functions_whatever_the_import_order():
    import m2p_course.widgets as package
    import m2p_course.widgets.attention_explorer as module
    assert package.attention_map_widget is module.attention_map_widget
    assert package.plot_attention_map is module.plot_attention_map
