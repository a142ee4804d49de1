import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from m2p_course.performance import STAGES, stage_flops  # noqa: E402
from m2p_course.widgets.performance_explorer import (  # noqa: E402
    TRAINING_FACTOR,
    cost_table,
    performance_explorer_widget,
    plot_flops_per_frame,
    stage_costs,
)


def test_stage_costs_are_the_forward_flops_with_shares_and_seconds():
    rows = stage_costs(5400, rate=1e11)
    forward = stage_flops(5400)
    assert [row["stage"] for row in rows] == list(STAGES)
    assert [row["flops"] for row in rows] == [forward[s] for s in STAGES]
    assert sum(row["share"] for row in rows) == pytest.approx(1.0)
    assert rows[0]["seconds"] == pytest.approx(forward["projection"] / 1e11)
    assert all(row["seconds"] is None for row in stage_costs(300))


def test_a_training_step_costs_three_forwards_and_checkpointing_recomputes_the_transformer():
    forward = {row["stage"]: row["flops"] for row in stage_costs(600, 2)}
    step = {row["stage"]: row["flops"] for row in stage_costs(600, 2, training=True)}
    ckpt = {row["stage"]: row["flops"] for row in stage_costs(600, 2, training=True, checkpointing=True)}
    assert all(step[s] == TRAINING_FACTOR * forward[s] for s in STAGES)
    assert ckpt["feed-forward"] == 4 * forward["feed-forward"]
    assert ckpt["projection"] == step["projection"]


def test_cost_table_text():
    text = cost_table(5400, rate=2.5e11)
    assert text.splitlines()[0] == "inference, B = 1, T = 5400, at 250 GFLOP/s"
    assert "attention scores" in text and "seconds" in text
    total = sum(stage_flops(5400).values())
    assert f"{total / 1e9:.1f}" in text.splitlines()[-1]
    assert "seconds" not in cost_table(300)
    assert cost_table(300, training=True, checkpointing=True).startswith("training step (checkpointed)")


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(length=0), ValueError, "length must be a positive int"),
    (dict(length=10, training="yes"), TypeError, "training must be a bool, got str 'yes'"),
    (dict(length=10, checkpointing=True), ValueError, "checkpointing only changes a training step"),
    (dict(length=10, rate=0.0), ValueError, "rate must be"),
])
def test_stage_costs_bad_input(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        stage_costs(**kwargs)


def test_plot_flops_per_frame():
    fig = plot_flops_per_frame([300, 1350, 5400])
    ax = fig.axes[0]
    assert len(ax.collections) == len(STAGES)
    assert ax.get_xlabel().startswith("T")
    plt.close(fig)
    with pytest.raises(ValueError, match="at least two values"):
        plot_flops_per_frame([300])


def test_widget_builds_and_its_first_control_changes_the_output(capsys):
    box = performance_explorer_widget({"float32": 2e11, "bfloat16": 8e11}, length=5400)
    assert isinstance(box, widgets.VBox) and isinstance(box.children[-1], widgets.Output)
    controls = [w for row in box.children[1:-1] for w in row.children]
    length, batch, mode, precision = controls
    before = capsys.readouterr().out                    # without a kernel the Output's text goes to stdout
    length.value = 1350
    after = capsys.readouterr().out
    assert "T = 5400" in before and "T = 1350" in after
    mode.value = "checkpointed step"
    assert "training step (checkpointed)" in capsys.readouterr().out
    precision.value = "bfloat16"
    assert "at 800 GFLOP/s" in capsys.readouterr().out


@pytest.mark.parametrize("rates, error, fragment", [
    ({}, TypeError, "rates must be a non-empty dict"),
    ({"float32": -1.0}, ValueError, "rates['float32'] must be"),
])
def test_widget_rejects_bad_rates(rates, error, fragment):
    with pytest.raises(error) as info:
        performance_explorer_widget(rates)
    assert fragment in str(info.value)
