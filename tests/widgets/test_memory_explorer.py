"""The memory explorer's plain functions and its widget (no browser needed)."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from m2p_course.performance import predict_memory  # noqa: E402
from m2p_course.widgets.memory_explorer import (  # noqa: E402
    MEMORY_BUDGETS,
    _predict,
    memory_explorer_widget,
    memory_plan,
    plan_table,
    plot_memory,
    predicted_memory,
)

# a small encoder, so that every prediction takes a fraction of a second
SMALL = dict(hidden_dim=64, num_heads=4, num_layers=2)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_predicted_memory_is_predict_memory_and_is_remembered():
    _predict.cache_clear()
    first = predicted_memory(200, 2, training=True, config=SMALL)
    direct = predict_memory(dict(SMALL, dropout=0.1), 2, 200, training=True)
    assert (first.weights, first.peak, first.kept_for_backward) == (direct.weights, direct.peak,
                                                                    direct.kept_for_backward)
    assert predicted_memory(200, 2, training=True, config=SMALL) is first          # from the cache
    assert _predict.cache_info().hits == 1


@pytest.mark.parametrize("kwargs, direct", [
    (dict(checkpointing=True), dict(checkpointing=True)),
    (dict(precision="bf16"), dict(dtype=torch.bfloat16)),
    (dict(precision="fp16"), dict(dtype=torch.float16)),
    (dict(dropout=0.0), dict(config=dict(SMALL, dropout=0.0))),
])
def test_each_setting_reaches_predict_memory(kwargs, direct):
    plain = predicted_memory(300, 1, training=True, config=SMALL)
    changed = predicted_memory(300, 1, training=True, config=SMALL, **kwargs)
    expected = predict_memory(**{"config": dict(SMALL, dropout=0.1), "batch": 1, "length": 300, "training": True,
                                 **direct})
    assert (changed.peak, changed.kept_for_backward) == (expected.peak, expected.kept_for_backward)
    assert changed.kept_for_backward < plain.kept_for_backward       # each keeps less for backward


def test_memory_plan_gives_the_numbers_and_the_verdict():
    prediction = predicted_memory(300, 2, training=True, config=SMALL)
    fits = memory_plan(300, 2, training=True, config=SMALL, budget=1.0)
    assert fits["total_gb"] == pytest.approx(prediction.total / 1e9)
    assert fits["weights_gb"] + fits["peak_gb"] == pytest.approx(fits["total_gb"])
    assert fits["fits"] is True and fits["margin_gb"] == pytest.approx(1.0 - fits["total_gb"])
    assert fits["verdict"] == f"fits, {fits['margin_gb']:.1f} GB to spare"
    assert fits["mode"] == "training step" and fits["budget"] == "1 GB"
    tight = memory_plan(300, 2, training=True, config=SMALL, budget=0.001)
    assert tight["fits"] is False
    assert tight["verdict"] == f"out of memory by {tight['total_gb'] - 0.001:.1f} GB"
    named = memory_plan(300, 2, training=False, config=SMALL, budget="Colab CPU runtime (12.7 GB)")
    assert named["budget_gb"] == MEMORY_BUDGETS["Colab CPU runtime (12.7 GB)"] == 12.7 and named["mode"] == "inference"
    assert named["kept_gb"] == 0
    assert memory_plan(300, 2, config=SMALL)["budget"] == "Colab CPU runtime (12.7 GB)"      # the default


def test_the_budgets_are_cpu_memory():
    assert MEMORY_BUDGETS == {"Colab CPU runtime (12.7 GB)": 12.7, "a 16 GB laptop": 16.0,
                              "the course's test machine (24 GB)": 24.0, "a 64 GB workstation": 64.0}
    for name, gb in MEMORY_BUDGETS.items():
        assert f"{gb:g} GB" in name                    # each name says its size


def test_the_guides_model_on_a_whole_song_does_not_fit_colabs_cpu_runtime_until_checkpointed():
    colab = "Colab CPU runtime (12.7 GB)"
    plain = memory_plan(5400, 1, training=True, budget=colab)
    assert not plain["fits"] and plain["verdict"].startswith("out of memory by ")
    assert plain["largest"][0][1] == pytest.approx(8 * 5400 * 5400 * 4 / 1e9)   # one layer's scores
    assert memory_plan(5400, 1, training=True, budget="the course's test machine (24 GB)")["fits"]
    assert memory_plan(5400, 1, training=True, checkpointing=True, budget=colab)["fits"]
    assert memory_plan(5400, 1, training=True, dropout=0.0, budget=colab)["fits"]   # the CPU's fused attention
    assert memory_plan(5400, 1, training=False, budget=colab)["fits"]


def test_plan_table_shows_the_settings_and_the_verdict():
    text = plan_table(300, 2, training=True, checkpointing=True, precision="bf16", config=SMALL, budget=0.001)
    plan = memory_plan(300, 2, training=True, checkpointing=True, precision="bf16", config=SMALL, budget=0.001)
    assert text.startswith("[B, T] = [2, 300] (10 s at 30 fps), training step, bf16, checkpointing, dropout 0.1")
    assert f"{plan['total_gb']:7.2f} GB" in text
    assert text.endswith(f"-> {plan['verdict']}")
    assert "checkpointing" not in plan_table(300, 2, training=False, checkpointing=True, config=SMALL)


def test_plot_memory_draws_the_curve_the_budget_and_the_point():
    fig = plot_memory(450, 1, training=True, config=SMALL, budget=0.05, curve_frames=(150, 300, 600))
    ax = fig.axes[0]
    curve, budget, point = ax.lines[:3]
    assert list(curve.get_xdata()) == [150, 300, 450, 600]
    expected = [memory_plan(t, 1, training=True, config=SMALL)["total_gb"] for t in (150, 300, 450, 600)]
    assert list(curve.get_ydata()) == pytest.approx(expected)
    assert list(budget.get_ydata()) == [0.05, 0.05]
    assert list(point.get_xdata()) == [450]
    plan = memory_plan(450, 1, training=True, config=SMALL, budget=0.05)
    assert ax.get_title().startswith("T = 450 (15 s)") and ax.get_title().endswith(plan["verdict"])


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(frames=0), ValueError, "frames must be a positive int"),
    (dict(frames=9001), ValueError, "frames must be at most 9000"),
    (dict(frames=2.5), TypeError, "frames must be a positive int"),
    (dict(batch=65), ValueError, "batch must be at most 64"),
    (dict(training="yes"), TypeError, "training must be a bool, got str 'yes'"),
    (dict(precision="fp8"), ValueError, r"precision must be one of \['fp32', 'bf16', 'fp16'\], got 'fp8'"),
    (dict(dropout=1.0), ValueError, r"dropout must be a finite number in \[0, 1\)"),
    (dict(config=[1]), TypeError, "config must be a dict of M2PEncoder arguments"),
    (dict(config=dict(dropout=0.0)), ValueError, "give dropout and checkpointing as their own arguments"),
    (dict(config=dict(hidden=3)), TypeError, "config has names M2PEncoder does not take"),
    (dict(budget="a big GPU"), ValueError, "budget must be one of"),
    (dict(budget=-1), ValueError, "budget must be a finite number > 0"),
])
def test_bad_input_is_refused_clearly(kwargs, error, message):
    args = {"frames": 100, "config": SMALL, **kwargs}
    with pytest.raises(error, match=message):
        memory_plan(**args)


def test_widget_shows_the_plan_and_its_first_control_changes_it(monkeypatch, capsys):
    # the widget itself predicts the guide's model: use the small one to keep the test quick
    import m2p_course.widgets.memory_explorer as module

    original = module.plot_memory

    def small_plot(frames, batch, **kwargs):
        return original(frames, batch, config=SMALL, curve_frames=(300, 600), **kwargs)

    def small_table(frames, batch, **kwargs):
        return plan_table(frames, batch, config=SMALL, **kwargs)

    monkeypatch.setattr(module, "plot_memory", small_plot)
    monkeypatch.setattr(module, "plan_table", small_table)
    panel = memory_explorer_widget(frames=600, batch=1)
    assert isinstance(panel, widgets.VBox)
    assert "CPU's memory" in panel.children[0].value and "CPU's kernels" in panel.children[0].value
    controls = [c for row in panel.children[1:-1] for c in row.children]
    assert [type(c).__name__ for c in controls] == ["IntSlider", "IntSlider", "ToggleButtons", "Checkbox",
                                                    "Dropdown", "Checkbox", "Dropdown"]
    assert isinstance(panel.children[-1], widgets.Output)
    before = capsys.readouterr().out                  # without a kernel the Output's text goes to stdout
    assert "[B, T] = [1, 600]" in before and "->" in before
    controls[0].value = 900                                  # the first control: T
    after = capsys.readouterr().out
    assert after != before and "[B, T] = [1, 900]" in after


def test_widget_refuses_a_bad_start():
    with pytest.raises(ValueError, match="budget must be one of"):
        memory_explorer_widget(budget="a big GPU")
    with pytest.raises(TypeError, match="frames must be a positive int"):
        memory_explorer_widget(frames="long")


def test_precision_names_match_torch_dtypes():
    from m2p_course.widgets.memory_explorer import _PRECISIONS

    assert _PRECISIONS == {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
