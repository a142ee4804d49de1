"""The projection explorer's plain functions and its widget (no browser needed)."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from m2p_course import MusicProjection  # noqa: E402
from m2p_course.widgets.projection_explorer import (  # noqa: E402
    STAGE_NAMES,
    plot_stage,
    projection_explorer_widget,
    projection_stages,
    stage_table,
)


@pytest.fixture(scope="module")
def small():
    """A small projection 48 -> 64 -> 32 and features [2, 30, 48]."""
    torch.manual_seed(0)
    return MusicProjection(input_dim=48, hidden_dim=32), torch.randn(2, 30, 48) * 3 + 1


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_stages_follow_the_module_layer_by_layer(small):
    projection, x = small
    stages = projection_stages(projection, x)
    assert tuple(stages) == STAGE_NAMES
    widths = [48, 64, 64, 64, 64, 32, 32, 32, 32]
    assert [tuple(h.shape) for h in stages.values()] == [(2, 30, w) for w in widths]
    assert torch.equal(stages["input"], x)
    h = x
    for name, layer in zip(STAGE_NAMES[1:], projection.eval(), strict=True):
        h = layer(h)
        assert torch.allclose(stages[name], h, atol=1e-6), name
    assert torch.allclose(stages["Dropout 2"], projection(x), atol=1e-6)


def test_layernorm_stages_have_unit_frames(small):
    stages = projection_stages(*small)
    for name in ("LayerNorm 1", "LayerNorm 2"):
        frames = stages[name]
        assert torch.allclose(frames.mean(-1), torch.zeros(2, 30), atol=1e-5)
        assert torch.allclose(frames.std(-1, correction=0), torch.ones(2, 30), atol=1e-3)


def test_train_mode_drops_and_rescales_deterministically(small):
    projection, x = small
    a = projection_stages(projection, x, train=True, dropout=0.5, seed=3)
    b = projection_stages(projection, x, train=True, dropout=0.5, seed=3)
    c = projection_stages(projection, x, train=True, dropout=0.5, seed=4)
    assert all(torch.equal(a[k], b[k]) for k in STAGE_NAMES)
    assert not torch.equal(a["Dropout 1"], c["Dropout 1"])
    kept = a["Dropout 1"] != 0
    assert 0.4 < kept.float().mean() < 0.6
    assert torch.allclose(a["Dropout 1"][kept], 2 * a["GELU 1"][kept])
    # eval mode: dropout is the identity, whatever p
    ev = projection_stages(projection, x, train=False, dropout=0.5)
    assert torch.equal(ev["Dropout 1"], ev["GELU 1"]) and torch.equal(ev["Dropout 2"], ev["GELU 2"])
    # p = 0 in train mode is the identity too; the module's own p (0.1) is used when dropout is None
    assert torch.equal(projection_stages(projection, x, train=True, dropout=0.0)["Dropout 1"], ev["GELU 1"])
    own = projection_stages(projection, x, train=True)["Dropout 1"]
    assert 0.05 < (own == 0).float().mean() < 0.15


def test_global_random_state_untouched(small):
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    projection_stages(*small, train=True)
    assert torch.equal(torch.rand(3), expected)


def test_two_dimensional_features_are_one_sequence(small):
    projection, x = small
    stages = projection_stages(projection, x[0])
    assert stages["Dropout 2"].shape == (1, 30, 32)
    assert torch.allclose(stages["Dropout 2"][0], projection(x[0]), atol=1e-6)


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(projection=torch.nn.Linear(48, 32)), TypeError, "MusicProjection"),
    (dict(features=torch.zeros(2, 30, 40)), ValueError, "Expected music features dimension 48, got 40"),
    (dict(features=torch.zeros(2, 3, 30, 48)), ValueError, "got shape (2, 3, 30, 48)"),
    (dict(features=torch.zeros(2, 30, 48, dtype=torch.long)), TypeError, "floating-point"),
    (dict(features=[[0.0] * 48]), TypeError, "torch.Tensor"),
    (dict(dropout=1.0), ValueError, "[0, 1)"),
    (dict(dropout="0.1"), TypeError, "number"),
    (dict(seed=1.5), TypeError, "seed"),
])
def test_bad_input(small, kwargs, error, fragment):
    args = dict(projection=small[0], features=small[1])
    args.update(kwargs)
    projection, features = args.pop("projection"), args.pop("features")
    with pytest.raises(error, match=None) as info:
        projection_stages(projection, features, **args)
    assert fragment in str(info.value)


def test_stage_table_lists_every_stage(small):
    stages = projection_stages(*small)
    table = stage_table(stages)
    lines = table.splitlines()
    assert len(lines) == 2 + len(STAGE_NAMES)
    assert lines[0].split()[:2] == ["stage", "shape"]
    assert lines[2].startswith("input") and "[2, 30, 48]" in lines[2]
    layernorm = next(line for line in lines if line.startswith("LayerNorm 1"))
    assert layernorm.rstrip().endswith("1.00..1.00")           # every frame has std 1 after LayerNorm
    with pytest.raises(TypeError, match="projection_stages"):
        stage_table([1, 2])
    with pytest.raises(ValueError, match=r"\[B, T, width\]"):
        stage_table({"x": torch.zeros(3)})


def test_plot_stage(small):
    stages = projection_stages(*small)
    fig = plot_stage(stages, "LayerNorm 1")
    hist, timeline = fig.axes[:2]
    assert "LayerNorm 1" in hist.get_title()
    assert [t.get_text() for t in hist.get_legend().get_texts()] == ["before: Linear 1", "LayerNorm 1"]
    assert len(timeline.get_lines()[0].get_xdata()) == 30      # one point per frame
    alone = plot_stage(stages, "input", overlay_previous=True)  # nothing before the input
    assert [t.get_text() for t in alone.axes[0].get_legend().get_texts()] == ["input"]
    with pytest.raises(ValueError, match="stage must be one of"):
        plot_stage(stages, "Softmax")
    with pytest.raises(ValueError, match="bins"):
        plot_stage(stages, "input", bins=1)


def test_widget_builds_without_a_browser(small):
    projection, x = small
    box = projection_explorer_widget(x, projection)
    assert isinstance(box, widgets.VBox)
    kinds = [type(w) for row in box.children[1:-1] for w in row.children]
    assert kinds == [widgets.Dropdown, widgets.ToggleButtons, widgets.FloatSlider, widgets.Checkbox]
    assert isinstance(box.children[-1], widgets.Output)
    stage, mode, p, _ = [w for row in box.children[1:-1] for w in row.children]
    stage.value, mode.value, p.value = "Dropout 2", "train", 0.5     # the callback runs; it must not raise


def test_widget_builds_its_own_projection_and_rejects_bad_features():
    box = projection_explorer_widget(torch.randn(10, 24))
    assert isinstance(box, widgets.VBox)
    with pytest.raises(ValueError, match="Expected music features dimension 48, got 24"):
        projection_explorer_widget(torch.randn(10, 24), MusicProjection(input_dim=48, hidden_dim=16))


def test_public_names_come_from_the_widgets_package():
    import m2p_course.widgets as package
    from m2p_course.widgets import projection_explorer
    for name in projection_explorer.__all__:
        assert getattr(package, name) is getattr(projection_explorer, name)
