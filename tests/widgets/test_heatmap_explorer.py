"""The heatmap explorer's plain functions and its widget (no browser needed)."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from m2p_course import M2PEncoder, PoseHead, count_parameters, soft_argmax2d  # noqa: E402
from m2p_course.widgets.heatmap_explorer import (  # noqa: E402
    MAP_KINDS,
    heatmap_explorer_widget,
    heatmap_price,
    heatmap_price_table,
    heatmap_readout,
    plot_heatmap,
    temperature_sweep,
    temperature_table,
    toy_logits,
)

CELL = 2 / 15                                     # one cell of a 16-wide grid, normalised


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_toy_logits_peak_where_asked():
    for kind in MAP_KINDS:
        logits = toy_logits(kind, size=(9, 16), x=0.6, y=-0.5)
        assert logits.shape == (9, 16) and logits.dtype == torch.float32
    one = toy_logits("one peak", size=(16, 16), x=0.6, y=-0.6)     # exactly on the centre of row 3, column 12
    assert divmod(int(one.argmax()), 16) == (3, 12)
    assert one.max().item() == pytest.approx(10.0) and one.min().item() == pytest.approx(0.0, abs=1e-6)
    two = toy_logits("two peaks", size=(16, 16), x=0.6, y=-0.6)
    assert two[3, 12].item() == pytest.approx(10.0) and two[3, 3].item() == pytest.approx(9.5)   # mirror at -0.6
    assert toy_logits("weak peak").max().item() < 1.5 + 1e-6


def test_readout_matches_the_package_and_the_definitions():
    logits = toy_logits("one peak", x=0.27, y=-0.42)
    r = heatmap_readout(logits, 0.7)
    assert r.prob.shape == (16, 16) and r.prob.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert torch.allclose(r.marginal_x, r.prob.sum(0)) and torch.allclose(r.marginal_y, r.prob.sum(1))
    assert r.soft_xy == pytest.approx(soft_argmax2d(logits, 0.7).tolist(), abs=1e-6)
    assert r.soft_xy[0] == pytest.approx((r.marginal_x * r.xs).sum().item(), abs=1e-6)
    assert r.argmax_xy == pytest.approx((-1 + 2 * 10 / 15, -1 + 2 * 4 / 15))   # the nearest cell centre
    assert r.peak == pytest.approx(r.prob.max().item())


def test_sub_cell_precision_and_the_pull_toward_the_centre():
    true = torch.tensor([0.27, -0.42])
    logits = toy_logits("one peak", x=0.27, y=-0.42)
    sweep = temperature_sweep(logits, [0.05, 1.0, 4.0])
    assert sweep.shape == (3, 2)
    error = (sweep - true).norm(dim=-1) / CELL
    argmax_error = (torch.tensor(heatmap_readout(logits).argmax_xy) - true).norm() / CELL
    assert error[1] < 0.1 < argmax_error                       # soft-argmax finer than a cell at temperature 1
    assert error[2] > 2                                        # a hot map is pulled toward (0, 0)
    assert sweep[2].norm() < sweep[1].norm()
    weak = temperature_sweep(toy_logits("weak peak", x=0.27, y=-0.42), [1.0, 0.15])
    assert weak[0].norm() < 0.1 and (weak[1] - true).norm() / CELL < 0.2   # flat: centre; colder: rescued


def test_two_peaks_land_in_between_until_the_map_is_cold():
    two = toy_logits("two peaks", x=0.6, y=-0.2)
    warm, cold = temperature_sweep(two, [1.0, 0.05])
    assert -0.6 + 0.3 < warm[0] < 0.6 - 0.3                       # far from both peaks
    assert cold.tolist() == pytest.approx([0.6, -0.2], abs=0.01)   # the higher peak wins


def test_temperature_table():
    logits = toy_logits("one peak", x=0.27, y=-0.42)
    lines = temperature_table(logits, [0.1, 1, 2.5], true_xy=(0.27, -0.42)).splitlines()
    assert len(lines) == 2 + 3
    assert lines[0].split()[:3] == ["temperature", "peak", "prob"] and "argmax error" in lines[0]
    assert lines[3].split()[0] == "1" and "(+0.27, -0.42)" in lines[3] and "0.01 cell" in lines[3]
    assert "error" not in temperature_table(logits, [1.0])


def test_plot_heatmap():
    logits = toy_logits("two peaks", x=0.6, y=-0.2)
    fig = plot_heatmap(logits, 1.0, true_xy=(0.6, -0.2))
    ax_map, ax_x = fig.axes[:2]
    assert ax_map.get_images()[0].get_array().shape == (16, 16)
    assert [t.get_text() for t in ax_map.get_legend().get_texts()] == ["soft-argmax", "argmax", "true"]
    assert len(ax_x.patches) == 16                                 # one bar per column
    assert "temperature 1" in ax_map.get_title()
    plain = plot_heatmap(logits, 0.5, show_argmax=False)
    assert [t.get_text() for t in plain.axes[0].get_legend().get_texts()] == ["soft-argmax"]


def test_price_counts_the_real_modules():
    guide = heatmap_price(None)
    assert guide == {"last_layer": 256 * 134 + 134, "pose_head": 690_566, "model": 88_992_134,
                     "logits_bytes": 5400 * 134 * 4}
    p = heatmap_price((16, 16), hidden_dim=64, frames=30)
    with torch.device("meta"):
        head = PoseHead(64, 134, heatmap_size=(16, 16))
        model = M2PEncoder(hidden_dim=64, heatmap_size=(16, 16))
    assert p == {"last_layer": (16 + 1) * 134 * 256, "pose_head": count_parameters(head),
                 "model": count_parameters(model), "logits_bytes": 30 * 134 * 256 * 4}
    lines = heatmap_price_table([None, (16, 16)]).splitlines()
    assert len(lines) == 4 and lines[2].startswith("None (guide)") and "88,992,134" in lines[2]
    assert lines[3].startswith("16 x 16") and "9,472,256" in lines[3] and "741.0 MB" in lines[3]


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: toy_logits("three peaks"), ValueError, "kind must be one of"),
    (lambda: toy_logits(size=(1, 16)), ValueError, ">= 2"),
    (lambda: toy_logits(size=16), TypeError, "pair (H, W)"),
    (lambda: toy_logits(x=1.5), ValueError, "x must be in [-1.0, 1.0]"),
    (lambda: toy_logits(height=0), ValueError, "height must be > 0"),
    (lambda: heatmap_readout(torch.zeros(2, 16, 16)), ValueError, "one joint's map [H, W]"),
    (lambda: heatmap_readout([[0.0, 1.0]]), TypeError, "torch.Tensor"),
    (lambda: heatmap_readout(torch.zeros(4, 4, dtype=torch.long)), TypeError, "floating-point"),
    (lambda: heatmap_readout(torch.full((4, 4), float("nan"))), ValueError, "NaN"),
    (lambda: heatmap_readout(torch.zeros(4, 4), temperature=0), ValueError, "temperature"),
    (lambda: temperature_sweep(torch.zeros(4, 4), []), ValueError, "at least one"),
    (lambda: temperature_sweep(torch.zeros(4, 4), 1.0), TypeError, "list of positive numbers"),
    (lambda: temperature_table(torch.zeros(4, 4), [1.0], true_xy=0.5), TypeError, "true_xy"),
    (lambda: heatmap_price((16, 0)), ValueError, "heatmap width"),
    (lambda: heatmap_price((16, 16), frames=0), ValueError, "frames"),
    (lambda: heatmap_price_table([]), ValueError, "at least one"),
    (lambda: heatmap_explorer_widget(size=64), ValueError, "4..32"),
])
def test_bad_input_gets_a_clear_error(call, error, fragment):
    with pytest.raises(error) as info:
        call()
    assert fragment in str(info.value)


def test_widget_builds_and_its_first_control_changes_the_output(capsys):
    box = heatmap_explorer_widget()
    assert isinstance(box, widgets.VBox) and isinstance(box.children[-1], widgets.Output)
    controls = [w for row in box.children[1:-1] for w in row.children]
    assert [type(w) for w in controls] == [widgets.FloatLogSlider, widgets.Dropdown, widgets.FloatSlider,
                                           widgets.IntSlider, widgets.Checkbox]
    temperature = controls[0]
    assert temperature.description == "temperature" and temperature.value == 1.0
    assert 10 ** temperature.min == pytest.approx(0.05, rel=0.01)
    assert 10 ** temperature.max == pytest.approx(5, rel=0.01)
    assert not any(w.continuous_update for w in (controls[0], controls[2], controls[3]))   # redraw on release
    capsys.readouterr()
    temperature.value = 10 ** (0 + temperature.step)             # one step of the arrow key: 1.05
    one_step = capsys.readouterr().out
    assert one_step.splitlines()[-1].split()[0] == "1.05"
    # Outside a kernel the Output widget lets the callback print to stdout: the table row it shows
    temperature.value = 3.0
    hot = capsys.readouterr().out
    temperature.value = 1.0
    cold = capsys.readouterr().out
    assert hot.splitlines()[-1].split()[0] == "3" and cold.splitlines()[-1].split()[0] == "1"
    assert hot.splitlines()[-1] != cold.splitlines()[-1]
    assert "(+0.27, -0.42)" in cold and "(+0.27, -0.42)" not in hot   # hot pulls the estimate to the centre
    for kind in (*MAP_KINDS[1:], MAP_KINDS[0]):                 # every control redraws without raising
        controls[1].value = kind
    controls[2].value, controls[3].value, controls[4].value = -0.5, 5, False
    assert capsys.readouterr().out.count("temperature") == len(MAP_KINDS) + 3
