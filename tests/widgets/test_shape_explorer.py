import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from m2p_course.model import M2PEncoder  # noqa: E402
from m2p_course.shapes import count_parameters  # noqa: E402
from m2p_course.widgets.shape_explorer import (  # noqa: E402
    explore_shapes,
    format_bytes,
    memory_estimate,
    parameters_by_stage,
    pipeline_figure,
    shape_explorer_widget,
    shape_table,
)

GUIDE_TOTAL = 88_992_134


@pytest.fixture(scope="module")
def guide_trace():
    return explore_shapes(2, 24)


def test_guide_shapes_and_total(guide_trace):
    assert guide_trace.shape_of("input") == (2, 24, 4800)
    assert guide_trace.shape_of("music_proj") == (2, 24, 1024)
    assert guide_trace.shape_of("transformer.layers[5]") == (2, 24, 1024)
    assert guide_trace.shape_of("pose_head") == (2, 24, 134)
    assert guide_trace.shape_of("face_head") == (2, 512)
    assert guide_trace.total_params == GUIDE_TOTAL


def test_any_size_is_traced_instantly():
    trace = explore_shapes(8, 6000, hidden_dim=256, num_layers=12, num_heads=16)
    assert trace.shape_of("transformer.layers[11]") == (8, 6000, 256)
    assert trace.shape_of("pose_head") == (8, 6000, 134)
    assert trace.shape_of("face_head") == (8, 512)
    assert sum(row.stage.startswith("transformer.layers[") for row in trace) == 12


def test_parameters_by_stage_matches_a_real_model():
    config = dict(music_input_dim=48, hidden_dim=64, num_layers=3, num_heads=4)
    torch.manual_seed(0)
    model = M2PEncoder(**config)
    groups = parameters_by_stage(explore_shapes(1, 5, **config))
    assert groups == {
        "music projection": count_parameters(model.music_proj),
        "transformer (3 layers)": count_parameters(model.transformer),
        "pose head": count_parameters(model.pose_head),
        "face head": count_parameters(model.face_head),
    }
    assert sum(groups.values()) == count_parameters(model)


def test_parameters_by_stage_of_the_guide(guide_trace):
    groups = parameters_by_stage(guide_trace)
    assert groups["music projection"] == 4800 * 2048 + 2048 + 2 * 2048 + 2048 * 1024 + 1024 + 2 * 1024
    assert groups["transformer (6 layers)"] == 6 * 12_596_224
    assert sum(groups.values()) == GUIDE_TOTAL


def test_parameters_by_stage_rejects_other_things():
    with pytest.raises(TypeError, match="ShapeTrace"):
        parameters_by_stage([1, 2, 3])


def test_memory_estimate_counts_bytes():
    memory = memory_estimate(2, 5400, 8, 6, GUIDE_TOTAL)
    assert memory["weights"] == GUIDE_TOTAL * 4
    assert memory["attention, one layer"] == 2 * 8 * 5400 * 5400 * 4
    assert memory["attention, all layers"] == 6 * memory["attention, one layer"]
    assert memory_estimate(1, 10, 1, 1, 1, bytes_per_value=2)["attention, one layer"] == 200


@pytest.mark.parametrize("args, error", [
    ((0, 10, 8, 6, 1), ValueError), ((2, 10.0, 8, 6, 1), TypeError), ((True, 10, 8, 6, 1), TypeError),
])
def test_memory_estimate_rejects_bad_sizes(args, error):
    with pytest.raises(error):
        memory_estimate(*args)


@pytest.mark.parametrize("n, text", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1 KiB"), (1536, "1.5 KiB"), (356 * 10**6, "340 MiB"),
    (2 * 8 * 5400 * 5400 * 4, "1.74 GiB"), (5 * 1024**5, "5120 TiB"),
])
def test_format_bytes(n, text):
    assert format_bytes(n) == text


@pytest.mark.parametrize("bad", [-1, 1.5, True, "1"])
def test_format_bytes_rejects_non_counts(bad):
    with pytest.raises(ValueError, match="byte count"):
        format_bytes(bad)


def test_shape_table_holds_shapes_total_and_memory():
    text = shape_table(2, 5400)
    assert "[2, 5400, 4800]" in text and "[2, 5400, 134]" in text and "[2, 512]" in text
    assert "88,992,134" in text
    assert "1.74 GiB" in text and "10.4 GiB" in text and "339 MiB" in text
    assert "2 x 8 x 5400 x 5400 x 4" in text


def test_shape_table_follows_the_sliders():
    text = shape_table(3, 100, hidden_dim=128, num_layers=2, num_heads=4)
    assert "[3, 100, 128]" in text and "transformer.layers[1]" in text and "transformer.layers[2]" not in text
    torch.manual_seed(0)
    total = count_parameters(M2PEncoder(hidden_dim=128, num_layers=2, num_heads=4))
    assert f"{total:,}" in text


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(batch=2, frames=24, hidden_dim=100, num_heads=8), ValueError, "divisible"),
    (dict(batch=0, frames=24), ValueError, "batch"),
    (dict(batch=2, frames=-1), ValueError, "frames"),
    (dict(batch=2, frames=24.0), TypeError, "frames"),
    (dict(batch=2, frames=24, num_layers=0), ValueError, "num_layers"),
])
def test_shape_table_rejects_impossible_sizes(kwargs, error, match):
    with pytest.raises(error, match=match):
        shape_table(**kwargs)


def _texts(fig):
    return " | ".join(t.get_text() for t in fig.axes[0].texts)


def test_pipeline_figure_symbolic():
    fig = pipeline_figure()
    texts = _texts(fig)
    for expected in ("[B, T, 4800]", "[B, T, 1024]", "[B, T, 134]", "[B, 512]", "transformer × 6",
                     "88,992,134", "11.9 M params", "75.6 M params"):
        assert expected in texts
    assert "soft-argmax" not in texts
    plt.close(fig)


def test_pipeline_figure_numbers_and_spatial_head():
    fig = pipeline_figure(3, 5400, hidden_dim=256, num_layers=2, num_heads=4, heatmap_size=(8, 8))
    texts = _texts(fig)
    for expected in ("[3, 5400, 4800]", "[3, 5400, 256]", "[3, 5400, 134, 8, 8]", "[3, 5400, 134, 2]",
                     "[3, 512]", "transformer × 2", "4 heads, feed-forward 1024", "B = 3, T = 5400"):
        assert expected in texts
    plt.close(fig)


def test_pipeline_figure_needs_both_sizes():
    with pytest.raises(ValueError, match="both batch and frames"):
        pipeline_figure(2)


def _controls(panel):
    return [child for row in panel.children if isinstance(row, widgets.HBox) for child in row.children]


def test_widget_builds_and_updates(capsys):
    panel = shape_explorer_widget()
    assert isinstance(panel, widgets.VBox)
    assert isinstance(panel.children[0], widgets.HTML) and isinstance(panel.children[-1], widgets.Output)
    controls = {c.description: c for c in _controls(panel)}
    assert set(controls) == {"B (batch)", "T (frames)", "hidden size", "layers", "heads", "draw the pipeline"}
    assert controls["T (frames)"].max >= 5400
    assert all(h % n == 0 for h in controls["hidden size"].options for n in controls["heads"].options)
    capsys.readouterr()
    controls["T (frames)"].value = 5400          # outside a kernel the Output does not capture: stdout
    assert "[2, 5400, 1024]" in capsys.readouterr().out
    controls["layers"].value = 12
    assert "transformer.layers[11]" in capsys.readouterr().out


def test_widget_draws_the_pipeline_when_asked():
    plt.close("all")
    shape_explorer_widget(frames=300, diagram=True)     # Agg's plt.show() leaves the figure open
    figures = [plt.figure(n) for n in plt.get_fignums()]
    assert len(figures) == 1 and "[2, 300, 134]" in _texts(figures[0])
    plt.close("all")


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(frames=7000), ValueError, "frames must be between 1 and 6000"),
    (dict(batch=0), ValueError, "batch"),
    (dict(hidden_dim=100), ValueError, "hidden_dim must be one of"),
    (dict(num_heads=3), ValueError, "num_heads must be one of"),
    (dict(num_layers=13), ValueError, "num_layers"),
    (dict(diagram="yes"), TypeError, "diagram"),
])
def test_widget_rejects_values_its_controls_cannot_show(kwargs, error, match):
    with pytest.raises(error, match=match):
        shape_explorer_widget(**kwargs)


def test_package_level_names_are_the_functions():
    from m2p_course import widgets as package
    assert package.shape_table is shape_table and package.shape_explorer_widget is shape_explorer_widget
